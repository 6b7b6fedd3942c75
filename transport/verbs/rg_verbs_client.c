/* The verbs client: one RC queue pair to a memory server, set up with
   librdmacm on the device asked for (rg_verbs_port.c), and the memory
   operations of rg_verbs_qp.c over it (see rg_verbs.h for the ordering
   argument). */

#include "rg_verbs_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rg_verbs_client {
  rg_mem_t                    mem;
  rg_verbs_qp_t               qp;
  struct rdma_event_channel * ch;
  struct rdma_cm_id *         id;
  struct ibv_pd *             pd;
  uint64_t                    remote_addr;
  uint32_t                    rkey;
  uint64_t                    size;
  uint64_t                    identity[ 2 ]; /* the server's boot id, our serial */
  int                         connected;
  int                         gid_used;      /* the GID index the queue pair uses, -1 if none (IB without GRH) */
  char                        via[ 112 ];    /* " from rxe1 port 1 (169.254.8.1)" when a device was asked for */
};

/* Connection **********************************************************/

static int
rg_verbs_expect( rg_verbs_client_t *     c,
                 int                     timeout_ms,
                 enum rdma_cm_event_type want,
                 char const *            host,
                 uint16_t                port ) {
  struct rdma_cm_event * ev;
  int err = rg_verbs_wait_event( c->ch, timeout_ms, &ev );
  if( err ) {
    char why[ 160 ]; /* rg_err writes the buffer rg_errmsg reads */
    snprintf( why, sizeof(why), "%s", rg_errmsg() );
    return rg_err( RG_ERR_IO, "connecting to %s:%u%s: %s: is rgroove-server running there, and reachable over RDMA?",
                   host, port, c->via, why );
  }
  enum rdma_cm_event_type got = ev->event;
  if( got==want && want==RDMA_CM_EVENT_ESTABLISHED ) {
    rg_verbs_rep_t rep = {0};
    if( ev->param.conn.private_data && ev->param.conn.private_data_len>=sizeof(rep) )
      memcpy( &rep, ev->param.conn.private_data, sizeof(rep) );
    rdma_ack_cm_event( ev );
    if( rep.magic!=RG_VERBS_MAGIC ) return rg_err( RG_ERR_IO, "%s:%u accepted, but is not an rgroove server", host, port );
    c->remote_addr = rep.addr;
    c->rkey        = rep.rkey;
    c->size        = rep.size;
    c->identity[0] = rep.boot;
    c->identity[1] = rep.serial;
    return RG_SUCCESS;
  }
  if( got==want ) { rdma_ack_cm_event( ev ); return RG_SUCCESS; }
  if( got==RDMA_CM_EVENT_REJECTED ) {
    rg_verbs_rej_t rej = {0};
    if( ev->param.conn.private_data && ev->param.conn.private_data_len>=sizeof(rej) )
      memcpy( &rej, ev->param.conn.private_data, sizeof(rej) );
    int status = ev->status;
    rdma_ack_cm_event( ev );
    if( rej.magic==RG_VERBS_MAGIC ) {
      rej.reason[ sizeof(rej.reason)-1 ] = '\0';
      return rg_err( rej.err ? rej.err : RG_ERR_PERM, "%s:%u refused the connection: %s", host, port, rej.reason );
    }
    return rg_err( RG_ERR_IO, "%s:%u rejected the connection%s (status %d): is an rgroove server listening there?",
                   host, port, c->via, status );
  }
  int status = ev->status;
  rdma_ack_cm_event( ev );
  return rg_err( RG_ERR_IO, "connecting to %s:%u%s: %s (status %d)%s", host, port, c->via, rdma_event_str( got ), status,
                 got==RDMA_CM_EVENT_ADDR_ERROR ? ": the address is not reachable over an RDMA interface" : "" );
}

static void
rg_verbs_client_free( rg_verbs_client_t * c ) {
  if( c->connected ) {
    rdma_disconnect( c->id );
    struct rdma_cm_event * ev;
    if( !rg_verbs_wait_event( c->ch, 1000, &ev ) ) rdma_ack_cm_event( ev ); /* DISCONNECTED */
  }
  if( c->id && c->id->qp ) rdma_destroy_qp( c->id );
  rg_verbs_qp_fini( &c->qp );
  if( c->pd ) ibv_dealloc_pd( c->pd );
  if( c->id ) rdma_destroy_id( c->id );
  if( c->ch ) rdma_destroy_event_channel( c->ch );
  free( c );
}

/* rg_verbs_client_resolve resolves dst on a new CM id, from source
   address src (NULL: the one the route takes). */

static int
rg_verbs_client_resolve( rg_verbs_client_t *     c,
                         char const *            src,
                         struct sockaddr const * dst,
                         char const *            host,
                         uint16_t                port,
                         int                     timeout_ms ) {
  if( c->id ) { rdma_destroy_id( c->id ); c->id = NULL; }
  if( rdma_create_id( c->ch, &c->id, c, RDMA_PS_TCP ) )
    return rg_err( RG_ERR_IO, "librdmacm unavailable (%s): is an RDMA device present (ibv_devices)?", strerror( errno ) );
  struct sockaddr_in sin = { .sin_family = AF_INET };
  if( src && inet_pton( AF_INET, src, &sin.sin_addr )!=1 ) return rg_err( RG_ERR_INVAL, "'%s' is not an IPv4 address", src );
  if( rdma_resolve_addr( c->id, src ? (struct sockaddr *)&sin : NULL, (struct sockaddr *)dst, timeout_ms ) )
    return rg_err( RG_ERR_IO, "cannot resolve %s over RDMA%s: %s", host, c->via, strerror( errno ) );
  int err = rg_verbs_expect( c, timeout_ms, RDMA_CM_EVENT_ADDR_RESOLVED, host, port );
  if( !err && !c->id->verbs ) err = rg_err( RG_ERR_IO, "no RDMA device reaches %s%s", host, c->via );
  return err;
}

static void
rg_verbs_client_via( rg_verbs_client_t *     c,
                     rg_verbs_port_t const * p ) {
  snprintf( c->via, sizeof(c->via), " from %s port %u (%s)", p->dev, p->num, p->addr );
}

/* rg_verbs_client_route: resolve the server's address on the device and
   GID index w asks for.  rdma_cm chooses both by source address, so a
   device means binding the address of its port, a GID index the
   address that GID holds; with neither, the route decides. */

static int
rg_verbs_client_route( rg_verbs_client_t *     c,
                       rg_verbs_want_t const * w,
                       char const *            host,
                       uint16_t                port,
                       int                     timeout_ms ) {
  char service[ 8 ];
  snprintf( service, sizeof(service), "%u", port );
  struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, * ai;
  int gai = getaddrinfo( host, service, &hints, &ai );
  if( gai ) return rg_err( RG_ERR_IO, "cannot resolve %s: %s", host, gai_strerror( gai ) );
  rg_verbs_port_t p = { .num = 0 };
  int err = RG_SUCCESS;
  if( w->dev[0] && !(err = rg_verbs_choose( w, &p )) ) {
    if( !p.addr[0] )
      err = rg_err( RG_ERR_IO, "RDMA device %s port %u has no IPv4 address (interface %s): give it one (ip addr add ADDR dev IF)",
                    p.dev, p.num, p.netdev[0] ? p.netdev : "unknown" );
    else rg_verbs_client_via( c, &p );
  }
  if( !err ) err = rg_verbs_client_resolve( c, w->dev[0] ? p.addr : NULL, ai->ai_addr, host, port, timeout_ms );
  if( !err && !w->dev[0] && w->gid_index>=0 ) { /* a GID of the device the route takes */
    char local[ INET_ADDRSTRLEN ] = "";
    inet_ntop( AF_INET, &((struct sockaddr_in *)rdma_get_local_addr( c->id ))->sin_addr, local, sizeof(local) );
    err = rg_verbs_port_query( ibv_get_device_name( c->id->verbs->device ), c->id->port_num, w->gid_index, &p );
    if( !err && strcmp( local, p.addr ) ) {
      rg_verbs_client_via( c, &p );
      err = rg_verbs_client_resolve( c, p.addr, ai->ai_addr, host, port, timeout_ms );
    }
  }
  freeaddrinfo( ai );
  if( err || (!w->dev[0] && w->gid_index<0) ) return err;
  char const * name = ibv_get_device_name( c->id->verbs->device );
  if( strcmp( name, p.dev ) || c->id->port_num!=p.num )
    return rg_err( RG_ERR_IO, "the route to %s from %s goes through RDMA device %s port %u, not %s port %u: "
                   "choose the device whose network reaches %s", host, p.addr, name, c->id->port_num, p.dev, p.num, host );
  return RG_SUCCESS;
}

/* rg_verbs_client_gid_check: the queue pair uses the GID index asked
   for.  rdma_cm takes the GID of the source address of the port's
   default RoCE type (configfs: rdma_cm/DEV/ports/N/default_roce_mode);
   another type's GID of the same address cannot be had through it. */

static int
rg_verbs_client_gid_check( rg_verbs_client_t * c,
                           int                 want ) {
  struct ibv_qp_attr      qa;
  struct ibv_qp_init_attr qi;
  if( ibv_query_qp( c->id->qp, &qa, IBV_QP_AV, &qi ) )
    return rg_err( RG_ERR_IO, "cannot query the queue pair's address vector: %s", strerror( errno ) );
  c->gid_used = qa.ah_attr.is_global ? (int)qa.ah_attr.grh.sgid_index : -1;
  if( want<0 || c->gid_used==want ) return RG_SUCCESS;
  if( c->gid_used<0 )
    return rg_err( RG_ERR_IO, "the connection%s goes without a GRH (InfiniBand, one subnet): GID index %d is not used; "
                   "leave the GID index out", c->via, want );
  return rg_err( RG_ERR_IO, "rdma_cm gave the connection%s GID index %d, not %d: it takes the GID of the source address "
                 "of the port's default RoCE type; use gid=%d, or set that type in configfs (rdma_cm/DEV/ports/N/default_roce_mode)",
                 c->via, c->gid_used, want, c->gid_used );
}

static int
rg_verbs_client_setup( rg_verbs_client_t *     c,
                       char const *            host,
                       uint16_t                port,
                       rg_verbs_want_t const * w,
                       void const *            token,
                       uint64_t                token_sz,
                       int                     timeout_ms,
                       uint32_t                version ) {
  if( !(c->ch = rdma_create_event_channel()) )
    return rg_err( RG_ERR_IO, "librdmacm unavailable (%s): is an RDMA device present (ibv_devices)?", strerror( errno ) );
  int err = rg_verbs_client_route( c, w, host, port, timeout_ms );
  if( err ) return err;
  struct ibv_context * ctx = c->id->verbs;
  struct ibv_device_attr dev;
  if( (err = rg_verbs_check_device( ctx, c->id->port_num )) ) return err;
  if( ibv_query_device( ctx, &dev ) ) return rg_err( RG_ERR_IO, "cannot query the RDMA device: %s", strerror( errno ) );
  if( rdma_resolve_route( c->id, timeout_ms ) )
    return rg_err( RG_ERR_IO, "cannot resolve a route to %s%s: %s", host, c->via, strerror( errno ) );
  if( (err = rg_verbs_expect( c, timeout_ms, RDMA_CM_EVENT_ROUTE_RESOLVED, host, port )) ) return err;

  /* the send queue and completion queue hold the in-flight limits of
     rg_mem.h with room to spare; a smaller device makes the data path
     wait for slots sooner (rg_verbs_qp.h) */
  uint32_t depth = RG_VERBS_SQ_DEPTH;
  if( dev.max_qp_wr>0 && (uint32_t)dev.max_qp_wr<depth ) depth = (uint32_t)dev.max_qp_wr;
  if( dev.max_cqe>0   && (uint32_t)dev.max_cqe<depth   ) depth = (uint32_t)dev.max_cqe;
  if( !(c->pd = ibv_alloc_pd( ctx )) ) return rg_err( RG_ERR_IO, "cannot create a protection domain: %s", strerror( errno ) );
  if( (err = rg_verbs_qp_init( &c->qp, ctx, c->pd, depth )) ) return err;
  struct ibv_qp_init_attr qa = {
    .send_cq = c->qp.cq, .recv_cq = c->qp.cq, .qp_type = IBV_QPT_RC, .sq_sig_all = 0,
    .cap = { .max_send_wr = depth, .max_recv_wr = 1, .max_send_sge = 1, .max_recv_sge = 1 },
  };
  if( rdma_create_qp( c->id, c->pd, &qa ) ) return rg_err( RG_ERR_IO, "cannot create a queue pair: %s", strerror( errno ) );

  rg_verbs_req_t req = { .magic = RG_VERBS_MAGIC, .version = version, .token_sz = (uint32_t)token_sz };
  if( token_sz ) memcpy( req.token, token, token_sz );
  int depth_ra = dev.max_qp_init_rd_atom < (int)RG_MEM_INFLIGHT_RA ? dev.max_qp_init_rd_atom : (int)RG_MEM_INFLIGHT_RA;
  struct rdma_conn_param cp = {
    .private_data = &req, .private_data_len = sizeof(req),
    .initiator_depth = (uint8_t)depth_ra, .responder_resources = 0, .retry_count = 7, .rnr_retry_count = 7,
  };
  if( rdma_connect( c->id, &cp ) ) return rg_err( RG_ERR_IO, "rdma_connect to %s:%u%s: %s", host, port, c->via, strerror( errno ) );
  if( (err = rg_verbs_expect( c, timeout_ms, RDMA_CM_EVENT_ESTABLISHED, host, port )) ) return err;
  c->connected = 1;
  rg_verbs_qp_attach( &c->qp, c->id->qp, c->remote_addr, c->rkey, c->size );
  c->mem.size = c->size;
  return rg_verbs_client_gid_check( c, w->gid_index );
}

static rg_verbs_client_t *
rg_verbs_client_open( char const * host,
                      uint16_t     port,
                      char const * device,
                      int          gid_index,
                      void const * token,
                      uint64_t     token_sz,
                      int          timeout_ms,
                      uint32_t     proto_version,
                      int *        opt_err ) {
  int dummy;
  int * e = opt_err ? opt_err : &dummy;
  if( !host || token_sz>RG_VERBS_TOKEN_MAX || (token_sz && !token) || timeout_ms<=0 || gid_index>255 ) {
    *e = rg_err( RG_ERR_INVAL, "bad connect arguments (host NULL, token over %lu bytes, timeout <= 0 or GID index over 255)",
                 RG_VERBS_TOKEN_MAX );
    return NULL;
  }
  rg_verbs_want_t w;
  if( (*e = rg_verbs_want_init( &w, device, gid_index )) ) return NULL;
  rg_verbs_client_t * c = calloc( 1, sizeof(rg_verbs_client_t) );
  if( !c ) { *e = rg_err( RG_ERR_IO, "out of memory" ); return NULL; }
  c->gid_used = -1;
  c->mem = (rg_mem_t){ .base = NULL, .ops = &rg_verbs_qp_ops, .ctx = &c->qp, .caps = RG_MEM_CAP_ROUND_TRIP,
                       .domain = RG_MEM_DOMAIN_ADAPTER };
  *e = rg_verbs_client_setup( c, host, port, &w, token, token_sz, timeout_ms, proto_version );
  if( *e ) { rg_verbs_client_free( c ); return NULL; }
  return c;
}

rg_verbs_client_t *
rg_verbs_client_connect_on( char const * host,
                            uint16_t     port,
                            char const * device,
                            int          gid_index,
                            void const * token,
                            uint64_t     token_sz,
                            int          timeout_ms,
                            int *        opt_err ) {
  return rg_verbs_client_open( host, port, device, gid_index, token, token_sz, timeout_ms, RG_VERBS_PROTO_VERSION, opt_err );
}

rg_verbs_client_t *
rg_verbs_client_connect_as( char const * host,
                            uint16_t     port,
                            void const * token,
                            uint64_t     token_sz,
                            int          timeout_ms,
                            uint32_t     proto_version,
                            int *        opt_err ) {
  return rg_verbs_client_open( host, port, NULL, -1, token, token_sz, timeout_ms, proto_version, opt_err );
}

rg_verbs_client_t *
rg_verbs_client_connect( char const * host,
                         uint16_t     port,
                         void const * token,
                         uint64_t     token_sz,
                         int          timeout_ms,
                         int *        opt_err ) {
  return rg_verbs_client_open( host, port, NULL, -1, token, token_sz, timeout_ms, RG_VERBS_PROTO_VERSION, opt_err );
}

rg_mem_t const *
rg_verbs_client_mem( rg_verbs_client_t const * c ) {
  return &c->mem;
}

void
rg_verbs_client_identity( rg_verbs_client_t const * c,
                          uint64_t                  id[ 2 ] ) {
  id[0] = c->identity[0];
  id[1] = c->identity[1];
}

void
rg_verbs_client_stats( rg_verbs_client_t const * c,
                       rg_mem_stats_t *          stats ) {
  *stats = c->qp.stats;
}

rg_verbs_qp_t *
rg_verbs_client_qp( rg_verbs_client_t * c ) {
  return &c->qp;
}

void
rg_verbs_client_device( rg_verbs_client_t const * c,
                        char *                    buf,
                        uint64_t                  buf_sz ) {
  snprintf( buf, buf_sz, "%s:%u gid %d", ibv_get_device_name( c->id->verbs->device ), c->id->port_num, c->gid_used );
}

int
rg_verbs_client_disconnect( rg_verbs_client_t * c ) {
  if( !c ) return rg_err( RG_ERR_INVAL, "NULL client" );
  int err = c->qp.broken ? RG_SUCCESS : rg_verbs_qp_fence( &c->qp );
  rg_verbs_client_free( c );
  return err;
}
