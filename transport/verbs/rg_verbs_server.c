/* The verbs server: registers a region and admits clients.  After the
   handshake it does nothing per operation: clients work one-sidedly. */

#include "rg_verbs_private.h"
#include "transport/rg_serve_log.h"
#include "base/rg_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

typedef struct rg_verbs_peer {
  struct rdma_cm_id *    id;
  struct rg_verbs_peer * next;
  uint64_t               serial;
  int                    established;
  char                   name[ 64 ];
} rg_verbs_peer_t;

struct rg_verbs_server {
  rg_mem_t const *            mem;
  struct rdma_event_channel * ch;
  struct rdma_cm_id *         listen_id;
  struct ibv_context *        ctx;      /* the device the region is registered with */
  struct ibv_pd *             pd;
  struct ibv_cq *             cq;       /* required by every QP; the server posts nothing */
  struct ibv_mr *             mr;
  rg_verbs_peer_t *           peers;
  uint64_t                    peer_cnt; /* accepted and not yet gone */
  uint64_t                    serial;
  uint64_t                    boot;     /* this server's boot id, random */
  int                         closed;   /* admission closed: turn clients away */
  char                        addr[ 64 ]; /* where clients reach it */
  uint8_t                     token[ RG_VERBS_TOKEN_MAX ];
  uint64_t                    token_sz;
  rg_log_fn_t                 log;
  void *                      log_ctx;
  rg_serve_event_fn_t         event;
  void *                      event_ctx;
};

/* rg_verbs_server_register: register the region with the device that
   first connects (a wildcard listener learns its device only then). */

static int
rg_verbs_server_register( rg_verbs_server_t *  s,
                          struct ibv_context * ctx,
                          uint8_t              port ) {
  if( s->ctx ) return s->ctx==ctx ? RG_SUCCESS
                    : rg_err( RG_ERR_IO, "a client came through a second RDMA device: listen on one address" );
  int err = rg_verbs_check_device( ctx, port );
  if( err ) return err;
  struct rlimit rl;
  if( !getrlimit( RLIMIT_MEMLOCK, &rl ) && (err = rg_verbs_check_memlock( s->mem->size, (uint64_t)rl.rlim_cur, !geteuid() )) )
    return err;
  if( !(s->pd = ibv_alloc_pd( ctx )) || !(s->cq = ibv_create_cq( ctx, 1, NULL, NULL, 0 )) )
    return rg_err( RG_ERR_IO, "cannot create a protection domain or completion queue: %s", strerror( errno ) );
  s->mr = ibv_reg_mr( s->pd, s->mem->base, s->mem->size,
                      IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC );
  if( !s->mr )
    return rg_err( RG_ERR_IO, "cannot register the %lu-byte region: %s (raise the memlock limit, or use fewer volumes)",
                   s->mem->size, strerror( errno ) );
  s->ctx = ctx;
  return RG_SUCCESS;
}

/* rg_verbs_server_not_rdma: addr is served by no RDMA device (nothing
   can reach a listener there); say which interfaces are. */

static int
rg_verbs_server_not_rdma( char const * addr,
                          uint16_t     port,
                          char const * why ) {
  rg_verbs_port_t ports[ RG_VERBS_PORT_MAX ];
  uint64_t cnt = 0UL;
  char ifs[ 320 ];
  rg_verbs_ports_query( ports, RG_VERBS_PORT_MAX, &cnt );
  rg_verbs_ports_ifaces( ports, cnt, ifs, sizeof(ifs) );
  return rg_err( RG_ERR_IO, "cannot listen on %s:%u: no RDMA device serves that address%s; RDMA devices run over: %s: "
                 "give --addr one of those addresses, or --device NAME[:PORT]", addr, port, why, ifs );
}

/* rg_verbs_server_check_port: the bound address is on the device, port
   and GID w asks for. */

static int
rg_verbs_server_check_port( rg_verbs_server_t const * s,
                            rg_verbs_want_t const *   w,
                            char const *              addr ) {
  char const * dev  = ibv_get_device_name( s->listen_id->verbs->device );
  uint8_t      port = s->listen_id->port_num;
  if( w->dev[0] && (strcmp( dev, w->dev ) || (w->port && w->port!=port)) ) {
    char asked[ 96 ];
    if( w->port ) snprintf( asked, sizeof(asked), "%s port %u", w->dev, w->port );
    else          snprintf( asked, sizeof(asked), "%s", w->dev );
    return rg_err( RG_ERR_IO, "address %s is on RDMA device %s port %u, not on %s (asked by --device or RGROOVE_DEVICE): "
                   "listen on an address of that device, or leave --addr out", addr, dev, port, asked );
  }
  if( w->gid_index<0 ) return RG_SUCCESS;
  rg_verbs_port_t p;
  int err = rg_verbs_port_query( dev, port, w->gid_index, &p );
  if( !err && strcmp( p.addr, addr ) )
    err = rg_err( RG_ERR_IO, "GID index %d of RDMA device %s port %u holds %s, not the listen address %s: "
                  "listen on %s, or leave the GID index out", w->gid_index, dev, port, p.addr, addr, p.addr );
  return err;
}

/* rg_verbs_server_listen binds and listens on addr:port (addr NULL:
   every interface), registering the region when the address tells the
   device. */

static int
rg_verbs_server_listen( rg_verbs_server_t *     s,
                        char const *            addr,
                        uint16_t                port,
                        rg_verbs_want_t const * w ) {
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons( port ) };
  if( addr && inet_pton( AF_INET, addr, &sin.sin_addr )!=1 ) return rg_err( RG_ERR_INVAL, "'%s' is not an IPv4 address", addr );
  if( !(s->ch = rdma_create_event_channel()) || rdma_create_id( s->ch, &s->listen_id, s, RDMA_PS_TCP ) )
    return rg_err( RG_ERR_IO, "librdmacm unavailable (%s): is an RDMA device present (ibv_devices)?", strerror( errno ) );
  if( rdma_bind_addr( s->listen_id, (struct sockaddr *)&sin ) ) {
    int e = errno;
    if( e==EADDRINUSE || !addr )
      return rg_err( RG_ERR_IO, "cannot bind %s:%u: %s (is the port free?)", addr ? addr : "0.0.0.0", port, strerror( e ) );
    char why[ 64 ];
    snprintf( why, sizeof(why), " (rdma_bind_addr: %s)", strerror( e ) );
    return rg_verbs_server_not_rdma( addr, port, why );
  }
  int err;
  if( addr && !s->listen_id->verbs ) return rg_verbs_server_not_rdma( addr, port, "" ); /* e.g. 127.0.0.1 */
  if( addr && (w->dev[0] || w->gid_index>=0) && (err = rg_verbs_server_check_port( s, w, addr )) ) return err;
  if( s->listen_id->verbs && (err = rg_verbs_server_register( s, s->listen_id->verbs, s->listen_id->port_num )) ) return err;
  if( rdma_listen( s->listen_id, 64 ) )
    return rg_err( RG_ERR_IO, "cannot listen on %s:%u: %s", addr ? addr : "0.0.0.0", port, strerror( errno ) );
  if( s->listen_id->verbs ) {
    rg_verbs_port_t p;
    char const * dev = ibv_get_device_name( s->listen_id->verbs->device );
    if( rg_verbs_port_query( dev, s->listen_id->port_num, -1, &p ) ) p.netdev[0] = '\0';
    rg_serve_log( s->log, s->log_ctx, "listening on %s:%u, RDMA device %s port %u (%s)", addr, ntohs( rdma_get_src_port( s->listen_id ) ),
                  dev, s->listen_id->port_num, p.netdev[0] ? p.netdev : "interface unknown" );
  }
  return RG_SUCCESS;
}

rg_verbs_server_t *
rg_verbs_server_new( rg_mem_t const *       mem,
                     rg_serve_cfg_t const * cfg,
                     int *                  opt_err ) {
  int dummy;
  int * e = opt_err ? opt_err : &dummy;
  if( !mem || !mem->base || !mem->size || !cfg || cfg->token_sz>RG_VERBS_TOKEN_MAX || (cfg->token_sz && !cfg->token) ||
      cfg->gid_index>255 ) {
    *e = rg_err( RG_ERR_INVAL, "bad server arguments (no local region, token over %lu bytes, or GID index over 255)",
                 RG_VERBS_TOKEN_MAX );
    return NULL;
  }
  rg_verbs_want_t w;
  if( (*e = rg_verbs_want_init( &w, cfg->device, cfg->gid_index )) ) return NULL;
  rg_verbs_server_t * s = calloc( 1, sizeof(rg_verbs_server_t) );
  if( !s ) { *e = rg_err( RG_ERR_IO, "out of memory" ); return NULL; }
  char const * addr = cfg->addr && strcmp( cfg->addr, "0.0.0.0" ) ? cfg->addr : NULL;
  s->mem       = mem;
  s->token_sz  = cfg->token_sz;
  s->log       = cfg->log;
  s->log_ctx   = cfg->log_ctx;
  s->event     = cfg->event;
  s->event_ctx = cfg->event_ctx;
  if( cfg->token_sz ) memcpy( s->token, cfg->token, cfg->token_sz );
  s->boot = cfg->boot ? cfg->boot : rg_proc_random();

  rg_verbs_port_t p;
  *e = RG_SUCCESS;
  if( !addr && (w.dev[0] || w.gid_index>=0) ) { /* listen on the address of the port (or GID) asked for */
    if( !(*e = rg_verbs_choose( &w, &p )) && !p.addr[0] )
      *e = rg_err( RG_ERR_IO, "RDMA device %s port %u has no IPv4 address (interface %s): give it one (ip addr add ADDR dev IF)",
                   p.dev, p.num, p.netdev[0] ? p.netdev : "unknown" );
    addr = p.addr;
  }
  if( !*e ) *e = rg_verbs_server_listen( s, addr, cfg->port, &w );
  if( *e ) { rg_verbs_server_delete( s ); return NULL; }
  if( addr ) snprintf( s->addr, sizeof(s->addr), "%s", addr );
  else if( rg_verbs_probe( s->addr, sizeof(s->addr) ) || !s->addr[0] ) snprintf( s->addr, sizeof(s->addr), "0.0.0.0" );
  return s;
}

static void
rg_verbs_reject( rg_verbs_server_t * s,
                 struct rdma_cm_id * id,
                 int                 err,
                 char const *        why ) {
  rg_verbs_rej_t rej = { .magic = RG_VERBS_MAGIC, .err = err };
  snprintf( rej.reason, sizeof(rej.reason), "%s", why );
  rdma_reject( id, &rej, sizeof(rej) );
  rg_serve_log( s->log, s->log_ctx, "rejected a client: %s", why );
}

static void
rg_verbs_peer_name( struct rdma_cm_id * id,
                    char *              name,
                    size_t              sz ) {
  struct sockaddr_in const * sin = (struct sockaddr_in const *)rdma_get_peer_addr( id );
  char ip[ INET_ADDRSTRLEN ] = "?";
  if( sin && sin->sin_family==AF_INET ) inet_ntop( AF_INET, &sin->sin_addr, ip, sizeof(ip) );
  snprintf( name, sz, "%s:%u", ip, sin ? ntohs( sin->sin_port ) : 0U );
}

/* rg_verbs_admit handles a connect request on a new id: check the
   handshake, give the id a queue pair, accept with the region's key.
   Returns 1 when the id was turned away and must be destroyed (after
   its event is acknowledged). */

static int
rg_verbs_admit( rg_verbs_server_t *          s,
                struct rdma_cm_event const * ev ) {
  struct rdma_cm_id * id = ev->id;
  rg_verbs_req_t req = {0};
  if( ev->param.conn.private_data && ev->param.conn.private_data_len>=sizeof(req) )
    memcpy( &req, ev->param.conn.private_data, sizeof(req) );
  char why[ 112 ];
  if( req.magic!=RG_VERBS_MAGIC ) { rg_verbs_reject( s, id, RG_ERR_PERM, "not an rgroove client" ); return 1; }
  if( s->closed ) { rg_verbs_reject( s, id, RG_ERR_AGAIN, "the server is checking the pool: try again shortly" ); return 1; }
  if( req.version!=RG_VERBS_PROTO_VERSION ) {
    snprintf( why, sizeof(why), "protocol version %u, this server speaks %u: use matching rgroove versions",
              req.version, RG_VERBS_PROTO_VERSION );
    rg_verbs_reject( s, id, RG_ERR_PERM, why );
    return 1;
  }
  uint8_t diff = (uint8_t)(req.token_sz!=s->token_sz);
  for( uint64_t i=0UL; i<RG_VERBS_TOKEN_MAX; i++ ) diff |= (uint8_t)(i<s->token_sz ? req.token[i]^s->token[i] : 0);
  if( diff ) { rg_verbs_reject( s, id, RG_ERR_PERM, "wrong admission token: use the server's token (RGROOVE_TOKEN)" ); return 1; }
  if( rg_verbs_server_register( s, id->verbs, id->port_num ) ) { rg_verbs_reject( s, id, RG_ERR_IO, rg_errmsg() ); return 1; }

  rg_verbs_peer_t * p = calloc( 1, sizeof(rg_verbs_peer_t) );
  struct ibv_qp_init_attr qa = {
    .send_cq = s->cq, .recv_cq = s->cq, .qp_type = IBV_QPT_RC,
    .cap = { .max_send_wr = 1, .max_recv_wr = 1, .max_send_sge = 1, .max_recv_sge = 1 },
  };
  if( !p || rdma_create_qp( id, s->pd, &qa ) ) {
    free( p );
    rg_verbs_reject( s, id, RG_ERR_IO, "the server could not create a queue pair" );
    return 1;
  }
  struct ibv_device_attr dev;
  ibv_query_device( id->verbs, &dev );
  rg_verbs_rep_t rep = { .magic = RG_VERBS_MAGIC, .version = RG_VERBS_PROTO_VERSION,
                         .addr = (uint64_t)(uintptr_t)s->mem->base, .size = s->mem->size, .rkey = s->mr->rkey,
                         .boot = s->boot, .serial = s->serial + 1UL };
  /* a request's depths arrive from this side's point of view: the
     client's initiator depth is what we must be able to respond to */
  uint8_t want = ev->param.conn.responder_resources;
  struct rdma_conn_param cp = {
    .private_data = &rep, .private_data_len = sizeof(rep),
    .responder_resources = (uint8_t)(want < dev.max_qp_rd_atom ? want : dev.max_qp_rd_atom),
    .initiator_depth = 0, .rnr_retry_count = 7,
  };
  if( rdma_accept( id, &cp ) ) {
    rg_serve_log( s->log, s->log_ctx, "accept failed: %s", strerror( errno ) );
    rdma_destroy_qp( id );
    free( p );
    return 1;
  }
  p->id     = id;
  p->serial = ++s->serial;
  rg_verbs_peer_name( id, p->name, sizeof(p->name) );
  p->next   = s->peers;
  s->peers  = p;
  id->context = p;
  s->peer_cnt++; /* from here on it may use the pool, established or not */
  if( s->event ) s->event( s->event_ctx, RG_SERVE_CONNECT, p->serial, p->name );
  return 0;
}

static void
rg_verbs_drop( rg_verbs_server_t * s,
               rg_verbs_peer_t *   p,
               char const *        why ) {
  for( rg_verbs_peer_t ** pp=&s->peers; *pp; pp=&(*pp)->next ) {
    if( *pp!=p ) continue;
    *pp = p->next;
    s->peer_cnt--;
    rg_serve_log( s->log, s->log_ctx, "client %lu (%s) %s; %lu connected", p->serial, p->name, why, s->peer_cnt );
    rdma_destroy_qp( p->id );
    rdma_destroy_id( p->id );
    if( s->event ) s->event( s->event_ctx, RG_SERVE_DISCONNECT, p->serial, p->name ); /* its queue pair is gone: it can do nothing more */
    free( p );
    return;
  }
}

int
rg_verbs_server_poll( rg_verbs_server_t * s,
                      int                 timeout_ms ) {
  struct rdma_cm_event * ev;
  int err = rg_verbs_wait_event( s->ch, timeout_ms, &ev );
  if( err ) return err==RG_ERR_AGAIN ? RG_SUCCESS : err;
  rg_verbs_peer_t * p = ev->id==s->listen_id ? NULL : ev->id->context;
  switch( ev->event ) {
  case RDMA_CM_EVENT_CONNECT_REQUEST: {
    struct rdma_cm_id * id = ev->id;
    int turned_away = rg_verbs_admit( s, ev );
    rdma_ack_cm_event( ev );
    if( turned_away ) rdma_destroy_id( id );
    break;
  }
  case RDMA_CM_EVENT_ESTABLISHED:
    rdma_ack_cm_event( ev );
    if( p ) {
      p->established = 1;
      rg_serve_log( s->log, s->log_ctx, "client %lu (%s) connected; %lu connected", p->serial, p->name, s->peer_cnt );
    }
    break;
  case RDMA_CM_EVENT_DISCONNECTED:
  case RDMA_CM_EVENT_TIMEWAIT_EXIT:
  case RDMA_CM_EVENT_CONNECT_ERROR:
  case RDMA_CM_EVENT_UNREACHABLE:
  case RDMA_CM_EVENT_REJECTED: {
    char const * why = ev->event==RDMA_CM_EVENT_DISCONNECTED ? "disconnected" : rdma_event_str( ev->event );
    rdma_ack_cm_event( ev );
    if( p ) rg_verbs_drop( s, p, why );
    break;
  }
  case RDMA_CM_EVENT_DEVICE_REMOVAL:
    rdma_ack_cm_event( ev );
    return rg_err( RG_ERR_IO, "the RDMA device was removed" );
  default:
    rdma_ack_cm_event( ev );
  }
  return RG_SUCCESS;
}

uint64_t rg_verbs_server_client_cnt( rg_verbs_server_t const * s ) { return s->peer_cnt; }
int      rg_verbs_server_admit     ( rg_verbs_server_t * s, int open ) { s->closed = !open; return RG_SUCCESS; }

void
rg_verbs_server_addr( rg_verbs_server_t const * s,
                      char *                    buf,
                      uint64_t                  buf_sz ) {
  snprintf( buf, buf_sz, "%s", s->addr );
}
uint16_t rg_verbs_server_port      ( rg_verbs_server_t const * s ) { return ntohs( rdma_get_src_port( s->listen_id ) ); }
int      rg_verbs_server_fd        ( rg_verbs_server_t const * s ) { return s->ch->fd;    }

void
rg_verbs_server_delete( rg_verbs_server_t * s ) {
  if( !s ) return;
  while( s->peers ) {
    rdma_disconnect( s->peers->id );
    rg_verbs_drop( s, s->peers, "disconnected by the server" );
  }
  if( s->listen_id ) rdma_destroy_id( s->listen_id );
  if( s->mr ) ibv_dereg_mr( s->mr );
  if( s->cq ) ibv_destroy_cq( s->cq );
  if( s->pd ) ibv_dealloc_pd( s->pd );
  if( s->ch ) rdma_destroy_event_channel( s->ch );
  free( s );
}
