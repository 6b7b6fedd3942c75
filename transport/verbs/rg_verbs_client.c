/* The verbs client: one RC queue pair to a memory server and the
   memory-operation interface on top of it (see rg_verbs.h for the
   ordering argument). */

#include "rg_verbs_private.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RG_VERBS_SQ_DEPTH  (128U)       /* send queue: writes posted between two waits */
#define RG_VERBS_BOUNCE_SZ (1UL<<20)    /* reads land here */
#define RG_VERBS_RING_SZ   (1UL<<20)    /* writes leave from here */
#define RG_VERBS_OP_TIMEOUT_NS (10000000000L) /* a completion that takes 10 s means a dead peer */

struct rg_verbs_client {
  rg_mem_t                    mem;
  struct rdma_event_channel * ch;
  struct rdma_cm_id *         id;
  struct ibv_pd *             pd;
  struct ibv_cq *             cq;
  struct ibv_mr *             mr;
  uint8_t *                   buf;        /* atomic result | bounce | ring */
  uint64_t                    remote_addr;
  uint32_t                    rkey;
  uint64_t                    identity[ 2 ]; /* the server's boot id, our serial */
  int                         connected;
  int                         broken;     /* a completion failed: the QP is in error */
  uint64_t                    wr_seq;
  uint64_t                    posted;     /* unsignaled writes since the last wait */
  uint64_t                    ring_used;
  rg_mem_stats_t            stats;
};

#define RG_VERBS_ATOMIC_OFF (0UL)
#define RG_VERBS_BOUNCE_OFF (64UL)
#define RG_VERBS_RING_OFF   (RG_VERBS_BOUNCE_OFF + RG_VERBS_BOUNCE_SZ)
#define RG_VERBS_BUF_SZ     (RG_VERBS_RING_OFF + RG_VERBS_RING_SZ)

/* Completions *********************************************************/

/* rg_verbs_wait: wait for the completion of signaled request wr_id.
   Requests complete in order, so every earlier one is done too and the
   ring is free again. */

static int
rg_verbs_wait( rg_verbs_client_t * c,
               uint64_t            wr_id ) {
  struct timespec t0, t;
  clock_gettime( CLOCK_MONOTONIC, &t0 );
  c->stats.round_trips++;
  for( uint64_t spin=0UL;; spin++ ) {
    struct ibv_wc wc;
    int n = ibv_poll_cq( c->cq, 1, &wc );
    if( n<0 ) { c->broken = 1; return rg_err( RG_ERR_IO, "ibv_poll_cq failed" ); }
    if( n==1 ) {
      if( wc.status!=IBV_WC_SUCCESS ) {
        c->broken = 1;
        return rg_err( RG_ERR_IO, "verbs request failed: %s (%d); the connection is unusable, reconnect",
                       ibv_wc_status_str( wc.status ), (int)wc.status );
      }
      if( wc.wr_id==wr_id ) { c->posted = 0UL; c->ring_used = 0UL; return RG_SUCCESS; }
      continue;
    }
    if( (spin & 1023UL)==1023UL ) {
      clock_gettime( CLOCK_MONOTONIC, &t );
      if( (t.tv_sec - t0.tv_sec)*1000000000L + (t.tv_nsec - t0.tv_nsec) > RG_VERBS_OP_TIMEOUT_NS ) {
        c->broken = 1;
        return rg_err( RG_ERR_IO, "no completion from the memory server within 10 s: it is gone or unreachable" );
      }
    }
  }
}

/* rg_verbs_post posts one request on local bytes [local, local+sz) of
   the registered buffer; signaled requests are waited for. */

static int
rg_verbs_post( rg_verbs_client_t *    c,
               struct ibv_send_wr *   wr,
               uint8_t *              local,
               uint64_t               sz,
               int                    signaled ) {
  if( c->broken ) return rg_err( RG_ERR_IO, "the connection to the memory server failed earlier: reconnect" );
  struct ibv_sge sge = { .addr = (uintptr_t)local, .length = (uint32_t)sz, .lkey = c->mr->lkey };
  struct ibv_send_wr * bad = NULL;
  wr->wr_id      = ++c->wr_seq;
  wr->sg_list    = &sge;
  wr->num_sge    = 1;
  wr->send_flags = signaled ? IBV_SEND_SIGNALED : 0;
  int rc = ibv_post_send( c->id->qp, wr, &bad );
  if( rc ) { c->broken = 1; return rg_err( RG_ERR_IO, "ibv_post_send: %s", strerror( rc ) ); }
  if( !signaled ) { c->posted++; return RG_SUCCESS; }
  return rg_verbs_wait( c, wr->wr_id );
}

static int
rg_verbs_range( rg_verbs_client_t const * c,
                uint64_t                  off,
                uint64_t                  sz ) {
  if( off>c->mem.size || sz>c->mem.size - off )
    return rg_err( RG_ERR_INVAL, "remote range %#lx+%lu is outside the server's region of %lu bytes", off, sz, c->mem.size );
  return RG_SUCCESS;
}

/* Memory operations ***************************************************/

static int
rg_verbs_read( void *   ctx,
               uint64_t off,
               void *   dst,
               uint64_t sz ) {
  rg_verbs_client_t * c = ctx;
  int err = rg_verbs_range( c, off, sz );
  for( uint64_t done=0UL; !err && done<sz; ) {
    uint64_t n = sz - done < RG_VERBS_BOUNCE_SZ ? sz - done : RG_VERBS_BOUNCE_SZ;
    struct ibv_send_wr wr = { .opcode = IBV_WR_RDMA_READ };
    wr.wr.rdma.remote_addr = c->remote_addr + off + done;
    wr.wr.rdma.rkey        = c->rkey;
    err = rg_verbs_post( c, &wr, c->buf + RG_VERBS_BOUNCE_OFF, n, 1 );
    if( err ) break;
    memcpy( (uint8_t *)dst + done, c->buf + RG_VERBS_BOUNCE_OFF, n );
    c->stats.reads++;
    c->stats.bytes_read += n;
    done += n;
  }
  return err;
}

static int rg_verbs_fence( void * ctx );

static int
rg_verbs_write( void *       ctx,
                uint64_t     off,
                void const * src,
                uint64_t     sz ) {
  rg_verbs_client_t * c = ctx;
  int err = rg_verbs_range( c, off, sz );
  for( uint64_t done=0UL; !err && done<sz; ) {
    uint64_t n = sz - done < RG_VERBS_RING_SZ ? sz - done : RG_VERBS_RING_SZ;
    /* the ring slot must not be reused before its write completed */
    if( c->ring_used + n > RG_VERBS_RING_SZ || c->posted + 1UL >= RG_VERBS_SQ_DEPTH ) err = rg_verbs_fence( c );
    if( err ) break;
    uint8_t * slot = c->buf + RG_VERBS_RING_OFF + c->ring_used;
    memcpy( slot, (uint8_t const *)src + done, n );
    c->ring_used += (n + 7UL) & ~7UL;
    struct ibv_send_wr wr = { .opcode = IBV_WR_RDMA_WRITE };
    wr.wr.rdma.remote_addr = c->remote_addr + off + done;
    wr.wr.rdma.rkey        = c->rkey;
    err = rg_verbs_post( c, &wr, slot, n, 0 );
    c->stats.writes++;
    c->stats.bytes_written += n;
    done += n;
  }
  return err;
}

static int
rg_verbs_atomic( rg_verbs_client_t *  c,
                 struct ibv_send_wr * wr,
                 uint64_t             off,
                 uint64_t *           old ) {
  int err = rg_verbs_range( c, off, 8UL );
  if( err ) return err;
  if( off & 7UL ) return rg_err( RG_ERR_INVAL, "atomic at %#lx is not 8-byte aligned", off );
  wr->wr.atomic.remote_addr = c->remote_addr + off;
  wr->wr.atomic.rkey        = c->rkey;
  err = rg_verbs_post( c, wr, c->buf + RG_VERBS_ATOMIC_OFF, 8UL, 1 );
  if( !err ) memcpy( old, c->buf + RG_VERBS_ATOMIC_OFF, 8UL );
  return err;
}

static int
rg_verbs_cas( void *     ctx,
              uint64_t   off,
              uint64_t   cmp,
              uint64_t   swp,
              uint64_t * old ) {
  rg_verbs_client_t * c = ctx;
  struct ibv_send_wr wr = { .opcode = IBV_WR_ATOMIC_CMP_AND_SWP };
  wr.wr.atomic.compare_add = cmp;
  wr.wr.atomic.swap        = swp;
  int err = rg_verbs_atomic( c, &wr, off, old );
  c->stats.cas++;
  if( !err && *old!=cmp ) c->stats.cas_failed++;
  return err;
}

static int
rg_verbs_faa( void *     ctx,
              uint64_t   off,
              uint64_t   add,
              uint64_t * old ) {
  rg_verbs_client_t * c = ctx;
  struct ibv_send_wr wr = { .opcode = IBV_WR_ATOMIC_FETCH_AND_ADD };
  wr.wr.atomic.compare_add = add;
  c->stats.faa++;
  return rg_verbs_atomic( c, &wr, off, old );
}

/* rg_verbs_fence: nothing to do without posted writes; otherwise one
   small signaled read (its completion follows every earlier write's). */

static int
rg_verbs_fence( void * ctx ) {
  rg_verbs_client_t * c = ctx;
  if( !c->posted ) return RG_SUCCESS;
  struct ibv_send_wr wr = { .opcode = IBV_WR_RDMA_READ };
  wr.wr.rdma.remote_addr = c->remote_addr;
  wr.wr.rdma.rkey        = c->rkey;
  return rg_verbs_post( c, &wr, c->buf + RG_VERBS_BOUNCE_OFF, 8UL, 1 );
}

/* Interim post/wait: each request runs as its synchronous operation
   (replaced by chained work requests in flight together). */

static int
rg_verbs_post_reqs( void *               ctx,
                    rg_mem_req_t const * req,
                    uint64_t             cnt,
                    uint64_t *           ticket ) {
  int err = RG_SUCCESS;
  for( uint64_t i=0UL; !err && i<cnt; i++ ) {
    rg_mem_req_t const * r = req + i;
    uint64_t old = 0UL;
    switch( r->op ) {
    case RG_MEM_OP_READ:  err = rg_verbs_read ( ctx, r->off, r->buf, r->sz ); break;
    case RG_MEM_OP_WRITE: err = rg_verbs_write( ctx, r->off, r->buf, r->sz ); break;
    case RG_MEM_OP_CAS:   err = rg_verbs_cas  ( ctx, r->off, r->cmp, r->swp, &old ); break;
    case RG_MEM_OP_FAA:   err = rg_verbs_faa  ( ctx, r->off, r->cmp, &old ); break;
    default:              err = rg_err( RG_ERR_INVAL, "bad request op %u", r->op );
    }
    if( !err && r->old && (r->op==RG_MEM_OP_CAS || r->op==RG_MEM_OP_FAA) ) *r->old = old;
  }
  *ticket = ((rg_verbs_client_t *)ctx)->wr_seq;
  return err;
}

static int
rg_verbs_wait_reqs( void *   ctx,
                    uint64_t ticket ) {
  (void)ctx; (void)ticket;
  return RG_SUCCESS;
}

static rg_mem_ops_t const rg_verbs_ops = {
  .read  = rg_verbs_read,
  .write = rg_verbs_write,
  .cas   = rg_verbs_cas,
  .faa   = rg_verbs_faa,
  .fence = rg_verbs_fence,
  .post  = rg_verbs_post_reqs,
  .wait  = rg_verbs_wait_reqs,
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
  if( err ) return rg_err( RG_ERR_IO, "connecting to %s:%u: %s (is rgroove-server running there?)", host, port, rg_errmsg() );
  enum rdma_cm_event_type got = ev->event;
  if( got==want && want==RDMA_CM_EVENT_ESTABLISHED ) {
    rg_verbs_rep_t rep = {0};
    if( ev->param.conn.private_data && ev->param.conn.private_data_len>=sizeof(rep) )
      memcpy( &rep, ev->param.conn.private_data, sizeof(rep) );
    rdma_ack_cm_event( ev );
    if( rep.magic!=RG_VERBS_MAGIC ) return rg_err( RG_ERR_IO, "%s:%u accepted, but is not an rgroove server", host, port );
    c->remote_addr = rep.addr;
    c->rkey        = rep.rkey;
    c->mem.size    = rep.size;
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
    return rg_err( RG_ERR_IO, "%s:%u rejected the connection (status %d): is an rgroove server listening there?",
                   host, port, status );
  }
  int status = ev->status;
  rdma_ack_cm_event( ev );
  return rg_err( RG_ERR_IO, "connecting to %s:%u: %s (status %d)%s", host, port, rdma_event_str( got ), status,
                 got==RDMA_CM_EVENT_ADDR_ERROR ? ": the address is not reachable over an RDMA interface" : "" );
}

static void
rg_verbs_client_free( rg_verbs_client_t * c ) {
  if( c->id && c->id->qp ) rdma_destroy_qp( c->id );
  if( c->mr ) ibv_dereg_mr( c->mr );
  if( c->cq ) ibv_destroy_cq( c->cq );
  if( c->pd ) ibv_dealloc_pd( c->pd );
  if( c->id ) rdma_destroy_id( c->id );
  if( c->ch ) rdma_destroy_event_channel( c->ch );
  free( c->buf );
  free( c );
}

static int
rg_verbs_client_setup( rg_verbs_client_t * c,
                       char const *        host,
                       uint16_t            port,
                       void const *        token,
                       uint64_t            token_sz,
                       int                 timeout_ms,
                       uint32_t            version ) {
  char service[ 8 ];
  snprintf( service, sizeof(service), "%u", port );
  struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, * ai;
  int gai = getaddrinfo( host, service, &hints, &ai );
  if( gai ) return rg_err( RG_ERR_IO, "cannot resolve %s: %s", host, gai_strerror( gai ) );

  int err = RG_SUCCESS;
  if( !(c->ch = rdma_create_event_channel()) ||
      rdma_create_id( c->ch, &c->id, c, RDMA_PS_TCP ) )
    err = rg_err( RG_ERR_IO, "librdmacm unavailable (%s): is an RDMA device present (ibv_devices)?", strerror( errno ) );
  else if( rdma_resolve_addr( c->id, NULL, ai->ai_addr, timeout_ms ) )
    err = rg_err( RG_ERR_IO, "cannot resolve %s over RDMA: %s", host, strerror( errno ) );
  freeaddrinfo( ai );
  if( err ) return err;
  if( (err = rg_verbs_expect( c, timeout_ms, RDMA_CM_EVENT_ADDR_RESOLVED, host, port )) ) return err;
  if( !c->id->verbs ) return rg_err( RG_ERR_IO, "no RDMA device reaches %s", host );
  if( (err = rg_verbs_check_device( c->id->verbs, c->id->port_num )) ) return err;
  if( rdma_resolve_route( c->id, timeout_ms ) )
    return rg_err( RG_ERR_IO, "cannot resolve a route to %s: %s", host, strerror( errno ) );
  if( (err = rg_verbs_expect( c, timeout_ms, RDMA_CM_EVENT_ROUTE_RESOLVED, host, port )) ) return err;

  c->buf = aligned_alloc( 4096UL, RG_VERBS_BUF_SZ );
  if( !c->buf ) return rg_err( RG_ERR_IO, "out of memory" );
  memset( c->buf, 0, RG_VERBS_BUF_SZ );
  if( !(c->pd = ibv_alloc_pd( c->id->verbs )) ||
      !(c->cq = ibv_create_cq( c->id->verbs, (int)RG_VERBS_SQ_DEPTH + 1, NULL, NULL, 0 )) )
    return rg_err( RG_ERR_IO, "cannot create a protection domain or completion queue: %s", strerror( errno ) );
  if( !(c->mr = ibv_reg_mr( c->pd, c->buf, RG_VERBS_BUF_SZ, IBV_ACCESS_LOCAL_WRITE )) )
    return rg_err( RG_ERR_IO, "cannot register %lu bytes: %s (raise the memlock limit: ulimit -l)", RG_VERBS_BUF_SZ, strerror( errno ) );
  struct ibv_qp_init_attr qa = {
    .send_cq = c->cq, .recv_cq = c->cq, .qp_type = IBV_QPT_RC, .sq_sig_all = 0,
    .cap = { .max_send_wr = RG_VERBS_SQ_DEPTH, .max_recv_wr = 1, .max_send_sge = 1, .max_recv_sge = 1 },
  };
  if( rdma_create_qp( c->id, c->pd, &qa ) ) return rg_err( RG_ERR_IO, "cannot create a queue pair: %s", strerror( errno ) );

  rg_verbs_req_t req = { .magic = RG_VERBS_MAGIC, .version = version, .token_sz = (uint32_t)token_sz };
  if( token_sz ) memcpy( req.token, token, token_sz );
  struct rdma_conn_param cp = {
    .private_data = &req, .private_data_len = sizeof(req),
    .initiator_depth = RG_VERBS_RD_ATOM, .responder_resources = 0, .retry_count = 7, .rnr_retry_count = 7,
  };
  if( rdma_connect( c->id, &cp ) ) return rg_err( RG_ERR_IO, "rdma_connect to %s:%u: %s", host, port, strerror( errno ) );
  if( (err = rg_verbs_expect( c, timeout_ms, RDMA_CM_EVENT_ESTABLISHED, host, port )) ) return err;
  c->connected = 1;
  return RG_SUCCESS;
}

rg_verbs_client_t *
rg_verbs_client_connect_as( char const * host,
                            uint16_t     port,
                            void const * token,
                            uint64_t     token_sz,
                            int          timeout_ms,
                            uint32_t     proto_version,
                            int *        opt_err ) {
  int dummy;
  int * e = opt_err ? opt_err : &dummy;
  if( !host || token_sz>RG_VERBS_TOKEN_MAX || (token_sz && !token) || timeout_ms<=0 ) {
    *e = rg_err( RG_ERR_INVAL, "bad connect arguments (host NULL, token over %lu bytes, or timeout <= 0)", RG_VERBS_TOKEN_MAX );
    return NULL;
  }
  rg_verbs_client_t * c = calloc( 1, sizeof(rg_verbs_client_t) );
  if( !c ) { *e = rg_err( RG_ERR_IO, "out of memory" ); return NULL; }
  c->mem = (rg_mem_t){ .base = NULL, .ops = &rg_verbs_ops, .ctx = c, .caps = RG_MEM_CAP_ROUND_TRIP, .domain = RG_MEM_DOMAIN_ADAPTER };
  *e = rg_verbs_client_setup( c, host, port, token, token_sz, timeout_ms, proto_version );
  if( *e ) { rg_verbs_client_free( c ); return NULL; }
  return c;
}

rg_verbs_client_t *
rg_verbs_client_connect( char const * host,
                         uint16_t     port,
                         void const * token,
                         uint64_t     token_sz,
                         int          timeout_ms,
                         int *        opt_err ) {
  return rg_verbs_client_connect_as( host, port, token, token_sz, timeout_ms, RG_VERBS_PROTO_VERSION, opt_err );
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
                       rg_mem_stats_t *        stats ) {
  *stats = c->stats;
}

int
rg_verbs_client_disconnect( rg_verbs_client_t * c ) {
  if( !c ) return rg_err( RG_ERR_INVAL, "NULL client" );
  int err = c->broken ? RG_SUCCESS : rg_verbs_fence( c );
  if( c->connected ) {
    rdma_disconnect( c->id );
    struct rdma_cm_event * ev;
    if( !rg_verbs_wait_event( c->ch, 1000, &ev ) ) rdma_ack_cm_event( ev ); /* DISCONNECTED */
  }
  rg_verbs_client_free( c );
  return err;
}
