/* The loop transport (rg_loop.h): a local mapping behind the ops table,
   counted like the verbs transport, with injected failures. */

#include "rgroove/rg_loop.h"
#include "transport/shm/rg_shm_backing.h"
#include "base/rg_err.h"
#include "base/rg_proc.h"

#include <stdlib.h>
#include <string.h>

/* A request whose result the next wait delivers. */

typedef struct {
  uint64_t   ticket;
  void *     dst;    /* read: where the data goes; atomic: the old word's home */
  uint64_t   sz;
  uint64_t   val;    /* atomic: the word found */
  uint8_t *  data;   /* read: a copy taken when the request executed */
  int        read;
} rg_loop_result_t;

typedef struct {
  rg_conn_t          conn;
  rg_shm_backing_t * backing;
  uint8_t *          region;
  uint64_t           size;
  rg_mem_stats_t     stats;
  uint64_t           seq;          /* requests issued */
  uint64_t           fault_at;     /* request number that fails (0: none) */
  int                fault_mode;
  int                broken;
  uint8_t *          trace;        /* rg_loop_trace: kinds of the requests after trace_seq */
  uint64_t           trace_seq, trace_max;
  uint64_t           ticket;       /* last ticket handed out */
  uint64_t           waited;       /* highest ticket a wait covered */
  uint64_t           failed;       /* first ticket that failed (0: none) */
  int                writes_out;   /* writes since the last wait: a fence must wait */
  rg_loop_result_t * res;
  uint64_t           res_cnt, res_max;
  uint64_t           ra_out, wr_out, wr_bytes_out; /* outstanding since the last wait on the newest ticket */
} rg_loop_t;

rg_transport_t const rg_transport_loop;
static rg_mem_ops_t const rg_loop_ops;

/* What a fence posts over verbs: a request that waits for the writes
   before it (a small read there), counted as neither read nor write. */
#define RG_LOOP_OP_FENCE (0U)

/* rg_loop_issue: count one request and decide its fate.  Returns 1 if
   it executes, and *fail is set if it is reported failed. */

static int
rg_loop_issue( rg_loop_t * l,
               uint32_t    op,
               int *       fail ) {
  l->seq++;
  if( l->trace && l->seq - l->trace_seq<=l->trace_max ) l->trace[ l->seq - l->trace_seq - 1UL ] = (uint8_t)op;
  *fail = l->broken;
  if( l->broken ) return 0;
  if( l->fault_at && l->seq==l->fault_at ) {
    l->broken = 1;
    *fail     = 1;
    return l->fault_mode==RG_LOOP_FAULT_AFTER;
  }
  return 1;
}

static int
rg_loop_failure( rg_loop_t const * l ) {
  return rg_err( RG_ERR_IO, "loop: request %lu failed (injected fault at request %lu); the connection is unusable, reconnect",
                 l->seq, l->fault_at );
}

static int
rg_loop_range( rg_loop_t const * l,
               uint32_t          op,
               uint64_t          off,
               uint64_t          sz ) {
  if( off>l->size || sz>l->size - off )
    return rg_err( RG_ERR_INVAL, "remote range %#lx+%lu is outside the region of %lu bytes", off, sz, l->size );
  if( (op==RG_MEM_OP_CAS || op==RG_MEM_OP_FAA) && (off & 7UL) )
    return rg_err( RG_ERR_INVAL, "atomic at %#lx is not 8-byte aligned", off );
  return RG_SUCCESS;
}

/* rg_loop_exec runs one request on the mapping; *val gets an atomic's
   old word. */

static void
rg_loop_exec( rg_loop_t *          l,
              rg_mem_req_t const * r,
              uint64_t *           val ) {
  uint64_t * w = (uint64_t *)(l->region + r->off);
  switch( r->op ) {
  case RG_MEM_OP_WRITE:
    memcpy( l->region + r->off, r->buf, r->sz );
    l->stats.writes++;
    l->stats.bytes_written += r->sz;
    l->writes_out = 1;
    break;
  case RG_MEM_OP_READ:
    l->stats.reads++;
    l->stats.bytes_read += r->sz;
    break;
  case RG_MEM_OP_CAS:
    *val = r->cmp;
    __atomic_compare_exchange_n( w, val, r->swp, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST );
    l->stats.cas++;
    if( *val!=r->cmp ) l->stats.cas_failed++;
    break;
  case RG_MEM_OP_FAA:
    *val = __atomic_fetch_add( w, r->cmp, __ATOMIC_SEQ_CST );
    l->stats.faa++;
    break;
  default: break;
  }
}

static int
rg_loop_keep( rg_loop_t *          l,
              rg_mem_req_t const * r,
              uint64_t             ticket,
              uint64_t             val ) {
  if( r->op==RG_MEM_OP_WRITE || r->op==RG_LOOP_OP_FENCE || (r->op!=RG_MEM_OP_READ && !r->old) ) return RG_SUCCESS;
  if( l->res_cnt==l->res_max ) {
    uint64_t max = l->res_max ? 2UL*l->res_max : 64UL;
    rg_loop_result_t * p = realloc( l->res, max*sizeof(rg_loop_result_t) );
    if( !p ) return rg_err( RG_ERR_IO, "out of memory" );
    l->res     = p;
    l->res_max = max;
  }
  rg_loop_result_t * k = &l->res[ l->res_cnt ];
  *k = (rg_loop_result_t){ .ticket = ticket, .dst = r->op==RG_MEM_OP_READ ? r->buf : (void *)r->old, .sz = r->sz, .val = val,
                           .read = r->op==RG_MEM_OP_READ };
  if( r->op==RG_MEM_OP_READ ) {
    if( r->sz && !(k->data = malloc( r->sz )) ) return rg_err( RG_ERR_IO, "out of memory" );
    if( r->sz ) memcpy( k->data, l->region + r->off, r->sz ); /* the memory as the request found it */
  }
  l->res_cnt++;
  return RG_SUCCESS;
}

static int rg_loop_wait( void * ctx, uint64_t ticket );

/* rg_loop_submit posts cnt requests; internal: a fence's, not checked. */

static int
rg_loop_submit( rg_loop_t *          l,
                rg_mem_req_t const * req,
                uint64_t             cnt,
                uint64_t *           ticket,
                int                  internal ) {
  if( l->broken ) return rg_err( RG_ERR_IO, "loop: the connection failed earlier: reconnect" );
  for( uint64_t i=0UL; !internal && i<cnt; i++ ) {
    if( req[i].op<RG_MEM_OP_READ || req[i].op>RG_MEM_OP_FAA )
      return rg_err( RG_ERR_INVAL, "bad request op %u (RG_MEM_OP_READ, _WRITE, _CAS or _FAA)", req[i].op );
    int err = rg_loop_range( l, req[i].op, req[i].off, req[i].op==RG_MEM_OP_CAS || req[i].op==RG_MEM_OP_FAA ? 8UL : req[i].sz );
    if( err ) return err;
  }
  l->stats.doorbells++;
  for( uint64_t i=0UL; i<cnt; i++ ) {
    int ra = req[i].op==RG_MEM_OP_READ || req[i].op==RG_MEM_OP_CAS || req[i].op==RG_MEM_OP_FAA;
    int wr = req[i].op==RG_MEM_OP_WRITE;
    if( ( ra && l->ra_out + 1UL>RG_MEM_INFLIGHT_RA ) ||
        ( wr && ( l->wr_out + 1UL>RG_MEM_INFLIGHT_WR || l->wr_bytes_out + req[i].sz>RG_MEM_INFLIGHT_WR_BYTES ) ) ) {
      int err = rg_loop_wait( l, l->ticket ); /* the in-flight rule of rg_mem.h: one round trip */
      if( err ) return err;
    }
    l->ra_out       += (uint64_t)ra;
    l->wr_out       += (uint64_t)wr;
    l->wr_bytes_out += wr ? req[i].sz : 0UL;
    uint64_t t = ++l->ticket, val = 0UL;
    int fail, run = rg_loop_issue( l, req[i].op, &fail );
    if( run ) rg_loop_exec( l, &req[i], &val );
    if( fail && !l->failed ) l->failed = t;
    if( run && !fail ) {
      int err = rg_loop_keep( l, &req[i], t, val );
      if( err ) { l->broken = 1; if( !l->failed ) l->failed = t; return err; }
    }
  }
  *ticket = l->ticket;
  return RG_SUCCESS;
}

static int
rg_loop_post( void *               ctx,
              rg_mem_req_t const * req,
              uint64_t             cnt,
              uint64_t *           ticket ) {
  return rg_loop_submit( ctx, req, cnt, ticket, 0 );
}

static int
rg_loop_wait( void *   ctx,
              uint64_t ticket ) {
  rg_loop_t * l = ctx;
  if( ticket==RG_MEM_TICKET_ALL ) ticket = l->ticket;
  if( ticket>l->ticket ) return rg_err( RG_ERR_INVAL, "wait for ticket %lu, only %lu were handed out", ticket, l->ticket );
  if( ticket>l->waited ) { l->stats.round_trips++; l->waited = ticket; }
  if( ticket==l->ticket ) { l->writes_out = 0; l->ra_out = l->wr_out = l->wr_bytes_out = 0UL; }
  uint64_t keep = 0UL;
  for( uint64_t i=0UL; i<l->res_cnt; i++ ) {
    rg_loop_result_t * k = &l->res[i];
    if( k->ticket>ticket ) { l->res[ keep++ ] = *k; continue; }
    if( !k->read ) memcpy( k->dst, &k->val, 8UL );
    else if( k->data ) { memcpy( k->dst, k->data, k->sz ); free( k->data ); }
  }
  l->res_cnt = keep;
  return l->failed && l->failed<=ticket ? rg_loop_failure( l ) : RG_SUCCESS;
}

/* The synchronous operations: one request each, waited for. */

static int
rg_loop_one( rg_loop_t *          l,
             rg_mem_req_t const * r ) {
  uint64_t t;
  int err = rg_loop_submit( l, r, 1UL, &t, r->op==RG_LOOP_OP_FENCE );
  return err ? err : rg_loop_wait( l, t );
}

static int
rg_loop_read( void * ctx, uint64_t off, void * dst, uint64_t sz ) {
  rg_mem_req_t r = { .op = RG_MEM_OP_READ, .off = off, .sz = sz, .buf = dst };
  return rg_loop_one( ctx, &r );
}

static int
rg_loop_write( void * ctx, uint64_t off, void const * src, uint64_t sz ) {
  rg_mem_req_t r = { .op = RG_MEM_OP_WRITE, .off = off, .sz = sz, .buf = (void *)src };
  uint64_t t;
  return rg_loop_submit( ctx, &r, 1UL, &t, 0 ); /* posted: the next wait covers it */
}

static int
rg_loop_cas( void * ctx, uint64_t off, uint64_t cmp, uint64_t swp, uint64_t * old ) {
  rg_mem_req_t r = { .op = RG_MEM_OP_CAS, .off = off, .cmp = cmp, .swp = swp, .old = old };
  return rg_loop_one( ctx, &r );
}

static int
rg_loop_faa( void * ctx, uint64_t off, uint64_t add, uint64_t * old ) {
  rg_mem_req_t r = { .op = RG_MEM_OP_FAA, .off = off, .cmp = add, .old = old };
  return rg_loop_one( ctx, &r );
}

/* rg_loop_fence: as over verbs, nothing without writes outstanding, else
   a small read whose completion follows theirs. */

static int
rg_loop_fence( void * ctx ) {
  rg_loop_t * l = ctx;
  if( !l->writes_out ) return l->broken ? rg_loop_failure( l ) : RG_SUCCESS;
  rg_mem_req_t r = { .op = RG_LOOP_OP_FENCE };
  return rg_loop_one( l, &r );
}

static rg_mem_ops_t const rg_loop_ops = {
  .read = rg_loop_read, .write = rg_loop_write, .cas = rg_loop_cas, .faa = rg_loop_faa,
  .fence = rg_loop_fence, .post = rg_loop_post, .wait = rg_loop_wait,
};

/* Connections ***********************************************************/

static void
rg_loop_env_fault( rg_loop_t * l ) {
  char const * env = getenv( "RGROOVE_FAULT" );
  if( !env || !env[0] ) return;
  char * end;
  unsigned long n = strtoul( env, &end, 10 );
  l->fault_at   = n;
  l->fault_mode = !strcmp( end, ":after" ) ? RG_LOOP_FAULT_AFTER : RG_LOOP_FAULT_BEFORE;
}

static rg_conn_t *
rg_loop_new( rg_shm_backing_t * b,
             int *              err ) {
  rg_loop_t * l = calloc( 1, sizeof(rg_loop_t) );
  if( !l ) { *err = rg_err( RG_ERR_IO, "out of memory" ); return NULL; }
  rg_mem_t const * m = rg_shm_mem( b->shm );
  l->backing = b;
  l->region  = m->base;
  l->size    = m->size;
  l->conn.tp = &rg_transport_loop;
  l->conn.mem = (rg_mem_t){ .base = NULL, .size = m->size, .ops = &rg_loop_ops, .ctx = l,
                            .caps = RG_MEM_CAP_ROUND_TRIP, .domain = RG_MEM_DOMAIN_CPU };
  l->conn.id_kind = RG_CONN_ID_PID;
  rg_proc_identity( l->conn.id );
  rg_loop_env_fault( l );
  rg_shm_backing_ref( b );
  *err = RG_SUCCESS;
  return &l->conn;
}

static rg_conn_t *
rg_loop_tp_open( rg_uri_t const * uri,
                 uint64_t         create_size,
                 int *            err ) {
  rg_shm_backing_t * b = rg_shm_backing_open( uri, create_size, err );
  if( !b ) return NULL;
  rg_conn_t * c = rg_loop_new( b, err );
  rg_shm_backing_unref( b );
  return c;
}

static rg_conn_t *
rg_loop_tp_dup( rg_conn_t * conn,
                int *       err ) {
  return rg_loop_new( ((rg_loop_t *)conn)->backing, err );
}

static int
rg_loop_tp_close( rg_conn_t * conn ) {
  if( !conn ) return rg_err( RG_ERR_INVAL, "NULL connection" );
  rg_loop_t * l = (rg_loop_t *)conn;
  for( uint64_t i=0UL; i<l->res_cnt; i++ ) free( l->res[i].data );
  free( l->res );
  rg_shm_backing_unref( l->backing );
  free( l );
  return RG_SUCCESS;
}

static void
rg_loop_tp_stats( rg_conn_t const * conn,
                  rg_mem_stats_t *  stats ) {
  *stats = ((rg_loop_t const *)conn)->stats;
}

rg_transport_t const rg_transport_loop = {
  .name    = "loop",
  .schemes = "loop",
  .summary = "a local region through the remote code path: counts round trips as verbs does, injects faults (tests)",
  .built   = 1,
  .caps    = RG_MEM_CAP_ROUND_TRIP,
  .domain  = RG_MEM_DOMAIN_CPU,
  .open    = rg_loop_tp_open,
  .dup     = rg_loop_tp_dup,
  .close   = rg_loop_tp_close,
  .unlink  = rg_shm_backing_unlink,
  .stats   = rg_loop_tp_stats,
};

static rg_loop_t *
rg_loop_of( rg_conn_t const * conn ) {
  return conn && conn->tp==&rg_transport_loop ? (rg_loop_t *)conn : NULL;
}

int
rg_loop_fault( rg_conn_t * conn,
               uint64_t    nth,
               int         mode ) {
  rg_loop_t * l = rg_loop_of( conn );
  if( !l ) return rg_err( RG_ERR_INVAL, "not a loop connection" );
  if( mode!=RG_LOOP_FAULT_BEFORE && mode!=RG_LOOP_FAULT_AFTER ) return rg_err( RG_ERR_INVAL, "bad fault mode %d", mode );
  l->fault_at   = nth ? l->seq + nth : 0UL;
  l->fault_mode = mode;
  return RG_SUCCESS;
}

int
rg_loop_trace( rg_conn_t * conn,
               uint8_t *   kind,
               uint64_t    max ) {
  rg_loop_t * l = rg_loop_of( conn );
  if( !l ) return rg_err( RG_ERR_INVAL, "not a loop connection" );
  if( kind && !max ) return rg_err( RG_ERR_INVAL, "a trace of 0 requests: give max, or NULL to stop" );
  l->trace     = kind;
  l->trace_seq = l->seq;
  l->trace_max = kind ? max : 0UL;
  return RG_SUCCESS;
}

uint64_t
rg_loop_requests( rg_conn_t const * conn ) {
  rg_loop_t const * l = rg_loop_of( conn );
  return l ? l->seq : 0UL;
}

int
rg_loop_broken( rg_conn_t const * conn ) {
  rg_loop_t const * l = rg_loop_of( conn );
  return l ? l->broken : 0;
}
