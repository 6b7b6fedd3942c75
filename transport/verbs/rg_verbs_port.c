/* RDMA device selection (rg_verbs_private.h, "device selection"): which
   device and port a server or client uses, and the IPv4 address that
   port is reached at.

   rdma_cm picks the device by IPv4 address (the source address of a
   client, the listen address of a server), so choosing a device, a port
   or a GID index comes down to choosing that address: on RoCE the GID
   table holds an IPv4-mapped GID (::ffff:a.b.c.d) for every address of
   the port's netdev, on InfiniBand the IPoIB interface of the port
   carries the port GID in its hardware address. */

#include "rg_verbs_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netpacket/packet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decisions (pure) ****************************************************/

int
rg_verbs_spec_parse( char const * text,
                     char *       name,
                     uint64_t     name_sz,
                     uint8_t *    port ) {
  char const * col = strchr( text, ':' );
  uint64_t     n   = col ? (uint64_t)(col - text) : strlen( text );
  *port = 0U;
  if( !n || n>=name_sz || strspn( text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-." )<n )
    return rg_err( RG_ERR_INVAL, "RDMA device '%s' is not NAME[:PORT] (a device name as ibv_devices lists it, "
                   "optionally a port number 1..255)", text );
  memcpy( name, text, n );
  name[n] = '\0';
  if( !col ) return RG_SUCCESS;
  char * end;
  unsigned long p = strtoul( col + 1, &end, 10 );
  if( !col[1] || *end || !p || p>255UL )
    return rg_err( RG_ERR_INVAL, "RDMA device '%s': the port after ':' must be a number 1..255", text );
  *port = (uint8_t)p;
  return RG_SUCCESS;
}

int
rg_verbs_gid_parse( char const * text,
                    char const * what,
                    int *        gid_index ) {
  char * end;
  long v = strtol( text, &end, 10 );
  if( !text[0] || *end || v<0 || v>255 )
    return rg_err( RG_ERR_INVAL, "%s '%s' is not a GID index 0..255 (ibv_devinfo -v lists a port's GIDs)", what, text );
  *gid_index = (int)v;
  return RG_SUCCESS;
}

static char const *
rg_verbs_state_str( int state ) {
  switch( state ) {
  case IBV_PORT_DOWN:         return "DOWN";
  case IBV_PORT_INIT:         return "INIT";
  case IBV_PORT_ARMED:        return "ARMED";
  case IBV_PORT_ACTIVE:       return "ACTIVE";
  case IBV_PORT_ACTIVE_DEFER: return "ACTIVE_DEFER";
  default:                    return "NOP";
  }
}

void
rg_verbs_ports_describe( rg_verbs_port_t const * ports,
                         uint64_t                cnt,
                         char *                  buf,
                         uint64_t                buf_sz ) {
  uint64_t n = 0UL;
  buf[0] = '\0';
  if( !cnt ) { snprintf( buf, buf_sz, "no RDMA device" ); return; }
  for( uint64_t i=0UL; i<cnt && n<buf_sz; i++ ) {
    int w = snprintf( buf + n, buf_sz - n, "%s%s port %u %s", i ? ", " : "", ports[i].dev, ports[i].num,
                      rg_verbs_state_str( ports[i].state ) );
    if( w<0 ) break;
    n += (uint64_t)w;
  }
}

void
rg_verbs_ports_ifaces( rg_verbs_port_t const * ports,
                       uint64_t                cnt,
                       char *                  buf,
                       uint64_t                buf_sz ) {
  uint64_t n = 0UL, shown = 0UL;
  buf[0] = '\0';
  for( uint64_t i=0UL; i<cnt && n<buf_sz; i++ ) {
    rg_verbs_port_t const * p = &ports[i];
    int w = snprintf( buf + n, buf_sz - n, "%s%s %s (%s port %u)", shown ? ", " : "", p->netdev[0] ? p->netdev : "?",
                      p->addr[0] ? p->addr : "without an IPv4 address", p->dev, p->num );
    if( w<0 ) break;
    n += (uint64_t)w;
    shown++;
  }
  if( !shown ) snprintf( buf, buf_sz, "none (no RDMA device on this host)" );
}

int
rg_verbs_port_pick( rg_verbs_port_t const * ports,
                    uint64_t                cnt,
                    char const *            name,
                    uint8_t                 num,
                    uint64_t *              idx ) {
  char found[ 256 ];
  rg_verbs_ports_describe( ports, cnt, found, sizeof(found) );
  if( !cnt ) return rg_err( RG_ERR_IO, "no RDMA device on this host (ibv_devices lists none): use the shm transport, "
                            "or add one (e.g. rdma link add rxe0 type rxe netdev IF)" );
  if( !name || !name[0] ) { /* automatic: an active port that can serve, one with an address first */
    for( int pass=0; pass<2; pass++ )
      for( uint64_t i=0UL; i<cnt; i++ )
        if( ports[i].state==IBV_PORT_ACTIVE && ports[i].usable && (pass || ports[i].addr[0]) ) { *idx = i; return RG_SUCCESS; }
    return rg_err( RG_ERR_IO, "no active RDMA port with remote atomics; found: %s: check the links (rdma link show)", found );
  }
  int dev_seen = 0;
  for( uint64_t i=0UL; i<cnt; i++ ) {
    if( strcmp( ports[i].dev, name ) ) continue;
    dev_seen = 1;
    if( num && ports[i].num!=num ) continue;
    if( ports[i].state==IBV_PORT_ACTIVE ) { *idx = i; return RG_SUCCESS; }
    if( num )
      return rg_err( RG_ERR_IO, "port %u of RDMA device %s is %s, not ACTIVE; found: %s: check the link (rdma link show) "
                     "or set RGROOVE_DEVICE=NAME[:PORT] to another", num, name, rg_verbs_state_str( ports[i].state ), found );
  }
  if( !dev_seen )
    return rg_err( RG_ERR_IO, "RDMA device %s not found; found: %s; set RGROOVE_DEVICE=NAME[:PORT]", name, found );
  if( num )
    return rg_err( RG_ERR_IO, "RDMA device %s has no port %u; found: %s; set RGROOVE_DEVICE=NAME[:PORT]", name, num, found );
  return rg_err( RG_ERR_IO, "RDMA device %s has no ACTIVE port; found: %s: check the link (rdma link show) "
                 "or set RGROOVE_DEVICE=NAME[:PORT] to another", name, found );
}

/* rg_verbs_gid_ipv4: the IPv4 address of an IPv4-mapped GID
   (::ffff:a.b.c.d), 0 if it is not one. */

static int
rg_verbs_gid_ipv4( union ibv_gid const * gid,
                   char *                addr,
                   uint64_t              addr_sz ) {
  static uint8_t const mapped[ 12 ] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };
  if( memcmp( gid->raw, mapped, sizeof(mapped) ) ) return 0;
  return inet_ntop( AF_INET, gid->raw + 12, addr, (socklen_t)addr_sz )!=NULL;
}

static void
rg_verbs_gids_describe( struct ibv_gid_entry const * gids,
                        uint64_t                     cnt,
                        uint8_t                      num,
                        char *                       buf,
                        uint64_t                     buf_sz ) {
  uint64_t n = 0UL;
  buf[0] = '\0';
  for( uint64_t i=0UL; i<cnt && n<buf_sz; i++ ) {
    if( gids[i].port_num!=num ) continue;
    char g[ INET6_ADDRSTRLEN ];
    inet_ntop( AF_INET6, gids[i].gid.raw, g, sizeof(g) );
    int w = snprintf( buf + n, buf_sz - n, "%s%u %s", n ? ", " : "", gids[i].gid_index, g );
    if( w<0 ) break;
    n += (uint64_t)w;
  }
  if( !n ) snprintf( buf, buf_sz, "none" );
}

static rg_verbs_if_t const *
rg_verbs_if_by_index( rg_verbs_if_t const * ifs,
                      uint64_t              if_cnt,
                      uint32_t              index ) {
  for( uint64_t i=0UL; i<if_cnt; i++ ) if( ifs[i].index==index ) return &ifs[i];
  return NULL;
}

int
rg_verbs_port_resolve( rg_verbs_port_t *            p,
                       struct ibv_gid_entry const * gids,
                       uint64_t                     gid_cnt,
                       rg_verbs_if_t const *        ifs,
                       uint64_t                     if_cnt,
                       int                          want_gid ) {
  p->netdev[0] = p->addr[0] = '\0';
  p->gid_index = -1;
  char list[ 256 ];
  rg_verbs_gids_describe( gids, gid_cnt, p->num, list, sizeof(list) );
  struct ibv_gid_entry const * e = NULL;
  for( uint64_t i=0UL; i<gid_cnt; i++ ) { /* the asked index, else the port's lowest */
    if( gids[i].port_num!=p->num ) continue;
    if( want_gid>=0 ? gids[i].gid_index==(uint32_t)want_gid : (!e || gids[i].gid_index<e->gid_index) ) e = &gids[i];
  }
  if( want_gid>=0 && !e )
    return rg_err( RG_ERR_IO, "port %u of RDMA device %s has no GID index %d; its GIDs: %s (ibv_devinfo -v)",
                   p->num, p->dev, want_gid, list );
  if( p->link==IBV_LINK_LAYER_INFINIBAND ) { /* the IPoIB interface whose address holds the GID */
    for( uint64_t i=0UL; e && i<if_cnt; i++ ) {
      if( ifs[i].hatype!=ARPHRD_INFINIBAND || ifs[i].halen!=20U || memcmp( ifs[i].hw + 4, e->gid.raw, 16UL ) ) continue;
      snprintf( p->netdev, sizeof(p->netdev), "%s", ifs[i].name );
      snprintf( p->addr, sizeof(p->addr), "%s", ifs[i].addr );
      break;
    }
    if( e ) p->gid_index = (int)e->gid_index;
    return RG_SUCCESS;
  }
  if( want_gid<0 ) { /* RoCE: the port's first IPv4 GID, RoCE v2 (rdma_cm's default type) first */
    e = NULL;
    char a[ INET_ADDRSTRLEN ];
    for( uint64_t i=0UL; i<gid_cnt; i++ ) {
      if( gids[i].port_num!=p->num || !rg_verbs_gid_ipv4( &gids[i].gid, a, sizeof(a) ) ) continue;
      if( !e || (gids[i].gid_type==IBV_GID_TYPE_ROCE_V2 && e->gid_type!=IBV_GID_TYPE_ROCE_V2) ) e = &gids[i];
    }
  }
  if( e && !rg_verbs_gid_ipv4( &e->gid, p->addr, sizeof(p->addr) ) ) {
    char g[ INET6_ADDRSTRLEN ];
    inet_ntop( AF_INET6, e->gid.raw, g, sizeof(g) );
    return rg_err( RG_ERR_IO, "GID index %d of RDMA device %s port %u is %s, not an IPv4 address: rgroove connects over "
                   "IPv4; choose an IPv4 GID (::ffff:a.b.c.d) among: %s", want_gid, p->dev, p->num, g, list );
  }
  uint32_t ifindex = e ? e->ndev_ifindex : 0U;
  for( uint64_t i=0UL; !ifindex && i<gid_cnt; i++ ) if( gids[i].port_num==p->num ) ifindex = gids[i].ndev_ifindex;
  rg_verbs_if_t const * nd = rg_verbs_if_by_index( ifs, if_cnt, ifindex );
  if( nd ) snprintf( p->netdev, sizeof(p->netdev), "%s", nd->name );
  if( e ) p->gid_index = (int)e->gid_index;
  else if( nd ) snprintf( p->addr, sizeof(p->addr), "%s", nd->addr ); /* no IPv4 GID yet: the netdev's own */
  return RG_SUCCESS;
}

/* Queries *************************************************************/

/* rg_verbs_ifs_query lists this host's interfaces: index, hardware
   address (glibc's getifaddrs gives all of it, IPoIB's 20 bytes too)
   and first IPv4 address. */

static uint64_t
rg_verbs_ifs_query( rg_verbs_if_t * ifs,
                    uint64_t        max ) {
  struct ifaddrs * list;
  uint64_t cnt = 0UL;
  if( getifaddrs( &list ) ) return 0UL;
  for( struct ifaddrs * i=list; i; i=i->ifa_next ) {
    if( !i->ifa_addr ) continue;
    unsigned idx = if_nametoindex( i->ifa_name );
    rg_verbs_if_t * f = NULL;
    for( uint64_t k=0UL; k<cnt; k++ ) if( ifs[k].index==idx ) f = &ifs[k];
    if( !f ) {
      if( cnt==max ) continue;
      f = &ifs[ cnt++ ];
      memset( f, 0, sizeof(*f) );
      f->index = idx;
      snprintf( f->name, sizeof(f->name), "%s", i->ifa_name );
    }
    if( i->ifa_addr->sa_family==AF_PACKET ) {
      struct sockaddr_ll const * ll = (struct sockaddr_ll const *)i->ifa_addr;
      f->hatype = ll->sll_hatype;
      f->halen  = ll->sll_halen < sizeof(f->hw) ? ll->sll_halen : (uint8_t)sizeof(f->hw);
      memcpy( f->hw, (uint8_t const *)ll + offsetof( struct sockaddr_ll, sll_addr ), f->halen );
    } else if( i->ifa_addr->sa_family==AF_INET && !f->addr[0] ) {
      inet_ntop( AF_INET, &((struct sockaddr_in const *)i->ifa_addr)->sin_addr, f->addr, sizeof(f->addr) );
    }
  }
  freeifaddrs( list );
  return cnt;
}

/* rg_verbs_dev_ports adds the ports of the open device ctx to ports
   (at most max in all), resolved with want_gid.  Returns RG_SUCCESS or
   the first resolve error. */

static int
rg_verbs_dev_ports( struct ibv_context *  ctx,
                    uint8_t               only,
                    int                   want_gid,
                    rg_verbs_if_t const * ifs,
                    uint64_t              if_cnt,
                    rg_verbs_port_t *     ports,
                    uint64_t              max,
                    uint64_t *            cnt ) {
  struct ibv_device_attr dev;
  if( ibv_query_device( ctx, &dev ) ) return RG_SUCCESS; /* a device that cannot be queried is not listed */
  uint64_t gid_max = 0UL;
  for( uint8_t n=1U; n<=dev.phys_port_cnt; n++ ) {
    struct ibv_port_attr pa;
    if( !ibv_query_port( ctx, n, &pa ) ) gid_max += (uint64_t)pa.gid_tbl_len;
  }
  struct ibv_gid_entry * gids = gid_max ? calloc( gid_max, sizeof(struct ibv_gid_entry) ) : NULL;
  ssize_t gid_cnt = gids ? ibv_query_gid_table( ctx, gids, gid_max, 0U ) : 0;
  if( gid_cnt<0 ) gid_cnt = 0;
  int err = RG_SUCCESS;
  for( uint8_t n=1U; !err && n<=dev.phys_port_cnt && *cnt<max; n++ ) {
    struct ibv_port_attr pa;
    if( (only && n!=only) || ibv_query_port( ctx, n, &pa ) ) continue;
    rg_verbs_port_t * p = &ports[ (*cnt)++ ];
    memset( p, 0, sizeof(*p) );
    snprintf( p->dev, sizeof(p->dev), "%s", ibv_get_device_name( ctx->device ) );
    p->num    = n;
    p->link   = pa.link_layer;
    p->state  = pa.state;
    p->usable = dev.atomic_cap!=IBV_ATOMIC_NONE && dev.max_qp_rd_atom>=(int)RG_VERBS_RD_ATOM_MIN &&
                dev.max_qp_init_rd_atom>=(int)RG_VERBS_RD_ATOM_MIN;
    err = rg_verbs_port_resolve( p, gids, (uint64_t)gid_cnt, ifs, if_cnt, want_gid );
  }
  free( gids );
  return err;
}

/* rg_verbs_ports_scan: the ports of every device (name NULL), or of
   device name's port num (0: all its ports), resolved with want_gid. */

static int
rg_verbs_ports_scan( char const *      name,
                     uint8_t           num,
                     int               want_gid,
                     rg_verbs_port_t * ports,
                     uint64_t          max,
                     uint64_t *        cnt ) {
  rg_verbs_if_t ifs[ RG_VERBS_IF_MAX ];
  uint64_t if_cnt = rg_verbs_ifs_query( ifs, RG_VERBS_IF_MAX );
  int n = 0, err = RG_SUCCESS;
  *cnt = 0UL;
  struct ibv_device ** list = ibv_get_device_list( &n );
  for( int i=0; !err && list && i<n; i++ ) {
    if( name && strcmp( ibv_get_device_name( list[i] ), name ) ) continue;
    struct ibv_context * ctx = ibv_open_device( list[i] );
    if( !ctx ) continue;
    err = rg_verbs_dev_ports( ctx, num, want_gid, ifs, if_cnt, ports, max, cnt );
    ibv_close_device( ctx );
  }
  if( list ) ibv_free_device_list( list );
  return err;
}

int
rg_verbs_ports_query( rg_verbs_port_t * ports,
                      uint64_t          max,
                      uint64_t *        cnt ) {
  return rg_verbs_ports_scan( NULL, 0U, -1, ports, max, cnt );
}

int
rg_verbs_port_query( char const *      name,
                     uint8_t           num,
                     int               want_gid,
                     rg_verbs_port_t * port ) {
  uint64_t cnt;
  int err = rg_verbs_ports_scan( name, num, want_gid, port, 1UL, &cnt );
  if( err ) return err;
  if( !cnt ) return rg_err( RG_ERR_IO, "RDMA device %s port %u is gone", name, num );
  return RG_SUCCESS;
}

/* Choices *************************************************************/

int
rg_verbs_want_init( rg_verbs_want_t * w,
                    char const *      device,
                    int               gid_index ) {
  memset( w, 0, sizeof(*w) );
  w->gid_index = -1;
  char const * dev = device && device[0] ? device : getenv( "RGROOVE_DEVICE" );
  int err;
  if( dev && dev[0] && (err = rg_verbs_spec_parse( dev, w->dev, sizeof(w->dev), &w->port )) ) return err;
  if( gid_index>=0 ) { w->gid_index = gid_index; return RG_SUCCESS; }
  char const * gid = getenv( "RGROOVE_GID_INDEX" );
  return gid && gid[0] ? rg_verbs_gid_parse( gid, "RGROOVE_GID_INDEX", &w->gid_index ) : RG_SUCCESS;
}

int
rg_verbs_choose( rg_verbs_want_t const * w,
                 rg_verbs_port_t *       port ) {
  rg_verbs_port_t ports[ RG_VERBS_PORT_MAX ];
  uint64_t cnt, i;
  int err = rg_verbs_ports_query( ports, RG_VERBS_PORT_MAX, &cnt );
  if( !err ) err = rg_verbs_port_pick( ports, cnt, w->dev, w->port, &i );
  if( err ) return err;
  if( w->gid_index<0 ) { *port = ports[i]; return RG_SUCCESS; }
  return rg_verbs_port_query( ports[i].dev, ports[i].num, w->gid_index, port );
}

int
rg_verbs_probe_want( rg_verbs_want_t const * w,
                     rg_verbs_port_t *       port ) {
  int err = rg_verbs_choose( w, port );
  if( err ) return err;
  int n = 0;
  struct ibv_device ** list = ibv_get_device_list( &n );
  err = rg_err( RG_ERR_IO, "RDMA device %s is gone", port->dev );
  for( int i=0; list && i<n; i++ ) {
    if( strcmp( ibv_get_device_name( list[i] ), port->dev ) ) continue;
    struct ibv_context * ctx = ibv_open_device( list[i] );
    if( !ctx ) { err = rg_err( RG_ERR_IO, "cannot open RDMA device %s: %s", port->dev, strerror( errno ) ); break; }
    err = rg_verbs_check_device( ctx, port->num );
    ibv_close_device( ctx );
    break;
  }
  if( list ) ibv_free_device_list( list );
  return err;
}

int
rg_verbs_probe( char *   addr,
                uint64_t addr_sz ) {
  rg_verbs_want_t w;
  rg_verbs_port_t p;
  if( addr && addr_sz ) addr[0] = '\0';
  int err = rg_verbs_want_init( &w, NULL, -1 );
  if( !err ) err = rg_verbs_probe_want( &w, &p );
  if( !err && addr ) snprintf( addr, addr_sz, "%s", p.addr );
  return err;
}
