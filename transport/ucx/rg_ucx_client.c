/* The ucx client: one UCP endpoint to a memory server and the
   memory-operation interface on it (rg_ucx.h: ordering, domain).

   Two layers of bookkeeping.  The counters (stats, tickets, what is
   outstanding by the in-flight rule) follow rg_mem.h's rule exactly as
   the loop transport keeps it, so the same calls count the same.  The
   ordering state (writes not yet flushed, reads and atomics not yet
   answered, the kind issued last) decides what UCX must be told before
   the next request so that requests execute in order.

   Atomics, and reads and writes where UCX has no transport RMA to the
   server, go as requests of our own (rg_ucx.h): an active message the
   server answers, matched to its slot by tag. */

#include "rg_ucx_private.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Requests not yet waited for: by the in-flight rule at most
   RG_MEM_INFLIGHT_RA reads and atomics and RG_MEM_INFLIGHT_WR writes are
   outstanding (a fence waits for everything), so this many slots hold
   them all. */
#define RG_UCX_SLOTS  (RG_MEM_INFLIGHT_RA + RG_MEM_INFLIGHT_WR + 1UL)
#define RG_UCX_INLINE (64UL)   /* writes up to this size are copied into their slot */
#define RG_UCX_OP_FENCE (0U)   /* a fence's request: counted as loop counts it */
#define RG_UCX_TAG_SLOT (56)   /* a request's tag: its slot above this bit, its ticket below */

typedef struct rg_ucx_client rg_ucx_client_t;

typedef struct {
  rg_ucx_client_t * c;
  uint64_t          ticket;
  uint32_t          op;      /* RG_MEM_OP_* or RG_UCX_OP_FENCE */
  int               done;
  ucs_status_t      status;
  uint64_t          operand; /* cas: the value compared (a reply that differs: a failed cas) */
  uint64_t          reply;   /* cas, faa: the word found */
  uint64_t *        old;
  uint8_t *         copy;    /* write: the source's copy when it did not fit inline */
  uint8_t           inl[ RG_UCX_INLINE ];
  void *            dst;     /* a read of our own: where its bytes go, and how many */
  uint64_t          sz;
  rg_ucx_op_t       msg;     /* a request of our own: its header (UCX reads it until the request is sent) */
} rg_ucx_slot_t;

struct rg_ucx_client {
  rg_conn_t       conn;      /* first: the registry's handle */
  rg_ucx_worker_t w;
  ucp_ep_h        ep;
  ucp_rkey_h      rkey;
  uint64_t        remote;    /* the region's base at the server */
  char            host[ 128 ];
  uint16_t        port;
  char            device[ 64 ];
  int             gid_index;
  int             broken;    /* a request or the endpoint failed: unusable */
  int             own_rw;    /* reads and writes go as requests of our own (no transport RMA) */
  ucs_status_t    ep_status; /* the endpoint's failure, if it failed */

  int             answered;  /* handshake: the server's answer arrived */
  uint64_t        answer_sz;
  uint8_t *       answer;    /* RG_UCX_ANSWER_MAX bytes */

  rg_ucx_slot_t   slot[ RG_UCX_SLOTS ];
  uint64_t        head, tail; /* slots [head,tail) (mod RG_UCX_SLOTS) are not yet waited for */

  /* ordering (rg_ucx.h) */
  int             unflushed;  /* a write was issued since the last completed flush */
  uint64_t        reads_busy; /* reads issued and not yet complete */
  uint64_t        amos_busy;  /* atomics issued and not yet answered */
  uint64_t        writes_busy;/* writes issued and not yet complete (of our own: answered) */
  uint32_t        last_op;

  /* counting, as rg_loop.c does */
  rg_mem_stats_t  stats;
  uint64_t        ticket, waited, failed;
  int             writes_out;
  uint64_t        ra_out, wr_out, wr_bytes_out;
};

static int
rg_ucx_failure( rg_ucx_client_t const * c,
                ucs_status_t            st ) {
  return rg_err( RG_ERR_IO, "ucx request to %s:%u failed: %s; the connection is unusable, reconnect",
                 c->host, c->port, ucs_status_string( c->ep_status!=UCS_OK ? c->ep_status : st ) );
}

static void
rg_ucx_slot_finish( rg_ucx_slot_t * s,
                    ucs_status_t    st ) {
  s->status = st;
  s->done   = 1;
  if( s->op==RG_MEM_OP_READ ) s->c->reads_busy--;
  else if( s->op==RG_MEM_OP_WRITE ) s->c->writes_busy--;
  else if( s->op==RG_MEM_OP_CAS || s->op==RG_MEM_OP_FAA ) s->c->amos_busy--;
  if( st!=UCS_OK ) s->c->broken = 1;
}

static void
rg_ucx_slot_done( void *       req,
                  ucs_status_t st,
                  void *       user ) {
  rg_ucx_slot_finish( user, st );
  ucp_request_free( req );
}

/* A request of our own is done when its answer arrives; its send's
   completion only says whether it left (the slot may be gone by then). */

static void
rg_ucx_op_sent( void *       req,
                ucs_status_t st,
                void *       user ) {
  if( st!=UCS_OK ) ((rg_ucx_client_t *)user)->broken = 1;
  ucp_request_free( req );
}

static ucs_status_t
rg_ucx_client_on_done( void *                      arg,
                       void const *                header,
                       size_t                      header_sz,
                       void *                      data,
                       size_t                      sz,
                       ucp_am_recv_param_t const * param ) {
  rg_ucx_client_t * c = arg;
  rg_ucx_done_t d;
  if( header_sz!=sizeof(d) || (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV) ) return UCS_OK; /* the server answers eagerly */
  memcpy( &d, header, sizeof(d) );
  uint64_t k = d.tag>>RG_UCX_TAG_SLOT;
  if( k>=RG_UCX_SLOTS ) return UCS_OK;
  rg_ucx_slot_t * s = &c->slot[ k ];
  if( s->done || s->ticket!=(d.tag & ((1UL<<RG_UCX_TAG_SLOT) - 1UL)) ) return UCS_OK; /* not one waiting */
  ucs_status_t st = d.err ? UCS_ERR_INVALID_PARAM : UCS_OK;
  if( !st && s->op==RG_MEM_OP_READ ) {
    if( sz==s->sz ) memcpy( s->dst, data, sz );
    else st = UCS_ERR_MESSAGE_TRUNCATED;
  }
  s->reply = d.old;
  rg_ucx_slot_finish( s, st );
  return UCS_OK;
}

/* rg_ucx_progress_until waits (progressing the worker) until *busy is 0
   or the slot s is done (s NULL: only busy counts).  Returns RG_SUCCESS
   or RG_ERR_IO (the endpoint failed, or 10 s passed). */

static int
rg_ucx_progress_until( rg_ucx_client_t *     c,
                       uint64_t const *      busy,
                       rg_ucx_slot_t const * s ) {
  int64_t deadline = rg_ucx_now_ms() + RG_UCX_OP_TIMEOUT_MS;
  for( uint64_t spin=0UL; s ? !s->done : *busy!=0UL; spin++ ) {
    ucp_worker_progress( c->w.worker );
    if( c->broken && c->ep_status!=UCS_OK ) return rg_ucx_failure( c, c->ep_status );
    if( (spin & 1023UL)==1023UL && rg_ucx_now_ms()>deadline ) {
      c->broken = 1;
      return rg_err( RG_ERR_IO, "no completion from the memory server %s:%u within %d s: it is gone, or does not poll",
                     c->host, c->port, RG_UCX_OP_TIMEOUT_MS/1000 );
    }
  }
  return RG_SUCCESS;
}

/* rg_ucx_flush: every operation issued so far is complete at the server
   (a write published).  A real round trip, not counted (rg_ucx.h); for
   writes of our own, their answers. */

static int
rg_ucx_flush( rg_ucx_client_t * c ) {
  if( c->own_rw ) {
    int err = c->writes_busy ? rg_ucx_progress_until( c, &c->writes_busy, NULL ) : RG_SUCCESS;
    if( !err ) c->unflushed = 0;
    return err;
  }
  ucp_request_param_t p = { .op_attr_mask = 0 };
  ucs_status_t st = rg_ucx_wait( c->w.worker, ucp_ep_flush_nbx( c->ep, &p ), RG_UCX_OP_TIMEOUT_MS );
  if( st!=UCS_OK ) { c->broken = 1; return rg_ucx_failure( c, st ); }
  c->unflushed = 0;
  return RG_SUCCESS;
}

/* rg_ucx_order does what must precede a request of kind op so that it
   executes after every request issued before it (rg_ucx.h). */

static int
rg_ucx_order( rg_ucx_client_t * c,
              uint32_t          op ) {
  int err = RG_SUCCESS;
  switch( op ) {
  case RG_MEM_OP_READ:
    if( c->unflushed ) err = rg_ucx_flush( c );
    if( !err && c->amos_busy ) err = rg_ucx_progress_until( c, &c->amos_busy, NULL );
    break;
  case RG_MEM_OP_CAS:
  case RG_MEM_OP_FAA:
    if( c->unflushed ) err = rg_ucx_flush( c );
    if( !err && c->reads_busy ) err = rg_ucx_progress_until( c, &c->reads_busy, NULL );
    if( !err && c->amos_busy ) ucp_worker_fence( c->w.worker ); /* atomics share one lane */
    break;
  case RG_MEM_OP_WRITE:
    if( c->reads_busy ) err = rg_ucx_progress_until( c, &c->reads_busy, NULL );
    if( !err && c->amos_busy ) err = rg_ucx_progress_until( c, &c->amos_busy, NULL );
    if( !err && c->unflushed && c->last_op==RG_MEM_OP_WRITE ) ucp_worker_fence( c->w.worker ); /* puts share one lane */
    break;
  default: /* a fence */
    if( c->unflushed ) err = rg_ucx_flush( c );
    break;
  }
  return err;
}

/* rg_ucx_send_op sends request r (src: a write's bytes) as one of our
   own, in slot s. */

static int
rg_ucx_send_op( rg_ucx_client_t *    c,
                rg_ucx_slot_t *      s,
                rg_mem_req_t const * r,
                void const *         src ) {
  int rw = r->op==RG_MEM_OP_READ || r->op==RG_MEM_OP_WRITE;
  s->msg = (rg_ucx_op_t){ .op = r->op, .tag = ((uint64_t)(s - c->slot)<<RG_UCX_TAG_SLOT) | s->ticket, .off = r->off,
                          .sz = rw ? r->sz : 8UL, .cmp = r->cmp, .swp = r->swp };
  s->dst = r->op==RG_MEM_OP_READ ? r->buf : NULL;
  s->sz  = r->sz;
  ucp_request_param_t p = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS | UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA,
                            .flags = UCP_AM_SEND_FLAG_REPLY | UCP_AM_SEND_FLAG_EAGER, .cb.send = rg_ucx_op_sent, .user_data = c };
  ucs_status_ptr_t req = ucp_am_send_nbx( c->ep, RG_UCX_AM_OP, &s->msg, sizeof(s->msg), src,
                                          r->op==RG_MEM_OP_WRITE ? r->sz : 0UL, &p );
  if( UCS_PTR_IS_ERR( req ) ) { c->broken = 1; return rg_ucx_failure( c, UCS_PTR_STATUS( req ) ); }
  return RG_SUCCESS;
}

/* rg_ucx_issue starts request r as slot s. */

static int
rg_ucx_issue( rg_ucx_client_t *    c,
              rg_ucx_slot_t *      s,
              rg_mem_req_t const * r ) {
  int err = rg_ucx_order( c, r->op );
  if( err ) return err;
  c->last_op = r->op;
  ucp_request_param_t p = {
    .op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA,
    .cb.send      = rg_ucx_slot_done,
    .user_data    = s,
  };
  uint64_t remote = c->remote + r->off;
  ucs_status_ptr_t req = NULL;
  uint64_t * busy = NULL;
  switch( r->op ) {
  case RG_MEM_OP_READ:
    c->stats.reads++;
    c->stats.bytes_read += r->sz;
    if( r->sz && c->own_rw ) { c->reads_busy++; return rg_ucx_send_op( c, s, r, NULL ); }
    if( r->sz ) { req = ucp_get_nbx( c->ep, r->buf, r->sz, remote, c->rkey, &p ); busy = &c->reads_busy; }
    break;
  case RG_MEM_OP_WRITE: {
    c->stats.writes++;
    c->stats.bytes_written += r->sz;
    if( !r->sz ) break;
    uint8_t * src = s->inl;
    if( r->sz>RG_UCX_INLINE && !(src = s->copy = malloc( r->sz )) ) return rg_err( RG_ERR_IO, "out of memory" );
    memcpy( src, r->buf, r->sz );
    c->unflushed = 1;
    c->writes_busy++;
    if( c->own_rw ) return rg_ucx_send_op( c, s, r, src );
    req = ucp_put_nbx( c->ep, src, r->sz, remote, c->rkey, &p );
    if( !req ) c->writes_busy--;
    break;
  }
  case RG_MEM_OP_CAS:
  case RG_MEM_OP_FAA:
    if( r->op==RG_MEM_OP_CAS ) c->stats.cas++;
    else                       c->stats.faa++;
    s->operand = r->cmp;
    c->amos_busy++;
    return rg_ucx_send_op( c, s, r, NULL ); /* always emulated: rg_ucx.h */
  default: break; /* a fence: rg_ucx_order did it */
  }
  if( UCS_PTR_IS_ERR( req ) ) { c->broken = 1; return rg_ucx_failure( c, UCS_PTR_STATUS( req ) ); }
  if( !req ) { s->done = 1; s->status = UCS_OK; return RG_SUCCESS; } /* complete already */
  if( busy ) (*busy)++;
  return RG_SUCCESS;
}

static int
rg_ucx_range( rg_ucx_client_t const * c,
              uint32_t                op,
              uint64_t                off,
              uint64_t                sz ) {
  uint64_t size = c->conn.mem.size;
  if( op!=RG_MEM_OP_READ && op!=RG_MEM_OP_WRITE && op!=RG_MEM_OP_CAS && op!=RG_MEM_OP_FAA )
    return rg_err( RG_ERR_INVAL, "bad request op %u", op );
  if( off>size || sz>size - off )
    return rg_err( RG_ERR_INVAL, "remote range %#lx+%lu is outside the server's region of %lu bytes", off, sz, size );
  if( (op==RG_MEM_OP_CAS || op==RG_MEM_OP_FAA) && (off & 7UL) )
    return rg_err( RG_ERR_INVAL, "atomic at %#lx is not 8-byte aligned", off );
  return RG_SUCCESS;
}

static int rg_ucx_wait_ticket( void * ctx, uint64_t ticket );

/* rg_ucx_post_one counts and issues one request (a fence's too). */

static int
rg_ucx_post_one( rg_ucx_client_t *    c,
                 rg_mem_req_t const * r ) {
  int ra = r->op==RG_MEM_OP_READ || r->op==RG_MEM_OP_CAS || r->op==RG_MEM_OP_FAA;
  int wr = r->op==RG_MEM_OP_WRITE;
  if( ( ra && c->ra_out + 1UL>RG_MEM_INFLIGHT_RA ) ||
      ( wr && ( c->wr_out + 1UL>RG_MEM_INFLIGHT_WR || c->wr_bytes_out + r->sz>RG_MEM_INFLIGHT_WR_BYTES ) ) ) {
    int err = rg_ucx_wait_ticket( c, c->ticket ); /* the in-flight rule of rg_mem.h: one round trip */
    if( err ) return err;
  }
  c->ra_out       += (uint64_t)ra;
  c->wr_out       += (uint64_t)wr;
  c->wr_bytes_out += wr ? r->sz : 0UL;
  c->writes_out   |= wr;
  uint64_t t = ++c->ticket;
  rg_ucx_slot_t * s = &c->slot[ c->tail % RG_UCX_SLOTS ];
  *s = (rg_ucx_slot_t){ .c = c, .ticket = t, .op = r->op, .old = r->old };
  c->tail++;
  int err = rg_ucx_issue( c, s, r );
  if( err ) {
    s->done = 1;
    s->status = UCS_ERR_IO_ERROR;
    c->broken = 1;
    if( !c->failed ) c->failed = t;
  }
  return err;
}

static int
rg_ucx_post( void *               ctx,
             rg_mem_req_t const * req,
             uint64_t             cnt,
             uint64_t *           ticket ) {
  rg_ucx_client_t * c = ctx;
  if( c->broken ) return rg_ucx_failure( c, UCS_ERR_IO_ERROR );
  for( uint64_t i=0UL; i<cnt; i++ ) {
    int err = rg_ucx_range( c, req[i].op, req[i].off, req[i].op==RG_MEM_OP_CAS || req[i].op==RG_MEM_OP_FAA ? 8UL : req[i].sz );
    if( err ) return err;
  }
  c->stats.doorbells++;
  for( uint64_t i=0UL; i<cnt; i++ ) {
    int err = rg_ucx_post_one( c, &req[i] );
    if( err ) return err;
  }
  *ticket = c->ticket;
  return RG_SUCCESS;
}

/* rg_ucx_deliver hands a completed slot's results over and frees it. */

static void
rg_ucx_deliver( rg_ucx_client_t * c,
                rg_ucx_slot_t *   s ) {
  if( s->status==UCS_OK && (s->op==RG_MEM_OP_CAS || s->op==RG_MEM_OP_FAA) ) {
    if( s->old ) *s->old = s->reply;
    if( s->op==RG_MEM_OP_CAS && s->reply!=s->operand ) c->stats.cas_failed++;
  }
  if( s->status!=UCS_OK && !c->failed ) c->failed = s->ticket;
  free( s->copy );
  s->copy = NULL;
}

static int
rg_ucx_wait_ticket( void *   ctx,
                    uint64_t ticket ) {
  rg_ucx_client_t * c = ctx;
  if( ticket==RG_MEM_TICKET_ALL ) ticket = c->ticket;
  if( ticket>c->ticket ) return rg_err( RG_ERR_INVAL, "wait for ticket %lu, only %lu were handed out", ticket, c->ticket );
  if( ticket>c->waited ) { c->stats.round_trips++; c->waited = ticket; }
  if( ticket==c->ticket ) { c->writes_out = 0; c->ra_out = c->wr_out = c->wr_bytes_out = 0UL; }
  int err = RG_SUCCESS;
  for( ; c->head<c->tail; c->head++ ) {
    rg_ucx_slot_t * s = &c->slot[ c->head % RG_UCX_SLOTS ];
    if( s->ticket>ticket ) break;
    if( !s->done && (err = rg_ucx_progress_until( c, NULL, s )) ) return err; /* the slot stays for close */
    rg_ucx_deliver( c, s );
  }
  return c->failed && c->failed<=ticket ? rg_ucx_failure( c, UCS_ERR_IO_ERROR ) : RG_SUCCESS;
}

/* The synchronous operations: one request each, waited for (writes
   only posted), as over loop. */

static int
rg_ucx_one( rg_ucx_client_t *    c,
            rg_mem_req_t const * r ) {
  uint64_t t;
  int err = rg_ucx_post( c, r, 1UL, &t );
  return err ? err : rg_ucx_wait_ticket( c, t );
}

static int
rg_ucx_read( void * ctx, uint64_t off, void * dst, uint64_t sz ) {
  rg_mem_req_t r = { .op = RG_MEM_OP_READ, .off = off, .sz = sz, .buf = dst };
  return rg_ucx_one( ctx, &r );
}

static int
rg_ucx_write( void * ctx, uint64_t off, void const * src, uint64_t sz ) {
  rg_mem_req_t r = { .op = RG_MEM_OP_WRITE, .off = off, .sz = sz, .buf = (void *)src };
  uint64_t t;
  return rg_ucx_post( ctx, &r, 1UL, &t );
}

static int
rg_ucx_cas( void * ctx, uint64_t off, uint64_t cmp, uint64_t swp, uint64_t * old ) {
  rg_mem_req_t r = { .op = RG_MEM_OP_CAS, .off = off, .cmp = cmp, .swp = swp, .old = old };
  return rg_ucx_one( ctx, &r );
}

static int
rg_ucx_faa( void * ctx, uint64_t off, uint64_t add, uint64_t * old ) {
  rg_mem_req_t r = { .op = RG_MEM_OP_FAA, .off = off, .cmp = add, .old = old };
  return rg_ucx_one( ctx, &r );
}

/* rg_ucx_fence: counted as over loop (a request and a round trip when
   writes were posted since the last full wait); the flush happens
   whenever a write may not have reached the server, counted or not. */

static int
rg_ucx_fence( void * ctx ) {
  rg_ucx_client_t * c = ctx;
  if( c->broken ) return rg_ucx_failure( c, UCS_ERR_IO_ERROR );
  if( c->writes_out ) {
    c->stats.doorbells++;
    rg_mem_req_t r = { .op = RG_UCX_OP_FENCE };
    int err = rg_ucx_post_one( c, &r );
    return err ? err : rg_ucx_wait_ticket( c, c->ticket );
  }
  return c->unflushed ? rg_ucx_flush( c ) : RG_SUCCESS;
}

static rg_mem_ops_t const rg_ucx_ops = {
  .read = rg_ucx_read, .write = rg_ucx_write, .cas = rg_ucx_cas, .faa = rg_ucx_faa,
  .fence = rg_ucx_fence, .post = rg_ucx_post, .wait = rg_ucx_wait_ticket,
};

/* Connection ************************************************************/

static void
rg_ucx_client_ep_failed( void *       arg,
                         ucp_ep_h     ep,
                         ucs_status_t st ) {
  (void)ep;
  rg_ucx_client_t * c = arg;
  c->broken    = 1;
  c->ep_status = st;
}

static ucs_status_t
rg_ucx_client_on_answer( void *                     arg,
                         void const *               header,
                         size_t                     header_sz,
                         void *                     data,
                         size_t                     sz,
                         ucp_am_recv_param_t const * param ) {
  (void)header; (void)header_sz;
  rg_ucx_client_t * c = arg;
  if( c->answered || (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV) || sz>RG_UCX_ANSWER_MAX ) return UCS_OK; /* not ours to take */
  memcpy( c->answer, data, sz );
  c->answer_sz = sz;
  c->answered  = 1;
  return UCS_OK;
}

/* rg_ucx_rma_native: UCX reaches the server's memory with transport RMA
   (GET and PUT need no reply from the server's worker).  UCX 1.13 has
   no call that says so; its endpoint report lists a "put[LANE]" line
   per RMA lane, and none where it would emulate them. */

static int
rg_ucx_rma_native( ucp_ep_h ep ) {
  char * text = NULL;
  size_t len = 0;
  FILE * f = open_memstream( &text, &len );
  if( !f ) return 0; /* requests of our own work either way */
  ucp_ep_print_info( ep, f );
  fclose( f );
  int native = text && strstr( text, " put[" );
  free( text );
  return native;
}

/* rg_ucx_client_take reads the server's answer.  Returns RG_SUCCESS or
   the server's refusal. */

static int
rg_ucx_client_take( rg_ucx_client_t * c ) {
  rg_ucx_answer_t const * a = (rg_ucx_answer_t const *)c->answer;
  if( c->answer_sz<sizeof(*a) || a->magic!=RG_UCX_MAGIC )
    return rg_err( RG_ERR_IO, "%s:%u answered, but is not an rgroove server", c->host, c->port );
  if( a->err ) {
    char why[ sizeof(a->reason) ];
    memcpy( why, a->reason, sizeof(why) );
    why[ sizeof(why)-1 ] = '\0';
    int err = a->err==RG_ERR_PERM || a->err==RG_ERR_AGAIN ? a->err : RG_ERR_IO;
    return rg_err( err, "%s:%u refused the connection: %s", c->host, c->port, why );
  }
  if( a->rkey_sz>c->answer_sz - sizeof(*a) || (a->domain!=RG_MEM_DOMAIN_CPU && a->domain!=RG_MEM_DOMAIN_ADAPTER) )
    return rg_err( RG_ERR_IO, "%s:%u sent a malformed answer (%lu bytes)", c->host, c->port, c->answer_sz );
  ucs_status_t st = ucp_ep_rkey_unpack( c->ep, a->rkey, &c->rkey );
  if( st!=UCS_OK ) {
    c->rkey = NULL;
    return rg_err( RG_ERR_IO, "cannot use %s:%u's memory key: %s (do both sides share a transport? UCX_TLS)",
                   c->host, c->port, ucs_status_string( st ) );
  }
  c->own_rw        = !rg_ucx_rma_native( c->ep );
  c->remote        = a->addr;
  c->conn.mem.size = a->size;
  c->conn.mem.domain = a->domain;
  c->conn.id[0]    = a->boot;
  c->conn.id[1]    = a->serial;
  return RG_SUCCESS;
}

/* rg_ucx_client_connect: endpoint, hello, answer. */

static int
rg_ucx_client_connect( rg_ucx_client_t * c,
                       void const *      token,
                       uint64_t          token_sz,
                       uint32_t          version,
                       int               timeout_ms ) {
  struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, * ai;
  char service[ 8 ];
  snprintf( service, sizeof(service), "%u", c->port );
  int gai = getaddrinfo( c->host, service, &hints, &ai );
  if( gai ) return rg_err( RG_ERR_IO, "cannot resolve %s: %s", c->host, gai_strerror( gai ) );
  ucp_ep_params_t ep = {
    .field_mask  = UCP_EP_PARAM_FIELD_FLAGS | UCP_EP_PARAM_FIELD_SOCK_ADDR | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE |
                   UCP_EP_PARAM_FIELD_ERR_HANDLER,
    .flags       = UCP_EP_PARAMS_FLAGS_CLIENT_SERVER,
    .sockaddr    = { .addr = ai->ai_addr, .addrlen = ai->ai_addrlen },
    .err_mode    = UCP_ERR_HANDLING_MODE_PEER,
    .err_handler = { .cb = rg_ucx_client_ep_failed, .arg = c },
  };
  ucs_status_t st = ucp_ep_create( c->w.worker, &ep, &c->ep );
  freeaddrinfo( ai );
  if( st!=UCS_OK ) {
    c->ep = NULL;
    return rg_err( RG_ERR_IO, "cannot connect to %s:%u over UCX: %s", c->host, c->port, ucs_status_string( st ) );
  }
  ucp_am_handler_param_t h = {
    .field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID | UCP_AM_HANDLER_PARAM_FIELD_CB | UCP_AM_HANDLER_PARAM_FIELD_ARG |
                  UCP_AM_HANDLER_PARAM_FIELD_FLAGS,
    .id = RG_UCX_AM_ANSWER, .cb = rg_ucx_client_on_answer, .arg = c, .flags = UCP_AM_FLAG_WHOLE_MSG,
  };
  if( (st = ucp_worker_set_am_recv_handler( c->w.worker, &h ))!=UCS_OK )
    return rg_err( RG_ERR_IO, "UCX refuses an active-message handler: %s", ucs_status_string( st ) );
  h.id = RG_UCX_AM_DONE;
  h.cb = rg_ucx_client_on_done;
  if( (st = ucp_worker_set_am_recv_handler( c->w.worker, &h ))!=UCS_OK )
    return rg_err( RG_ERR_IO, "UCX refuses an active-message handler: %s", ucs_status_string( st ) );

  rg_ucx_hello_t hello = { .magic = RG_UCX_MAGIC, .version = version, .token_sz = (uint32_t)token_sz };
  if( token_sz ) memcpy( hello.token, token, token_sz );
  ucp_request_param_t p = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS, .flags = UCP_AM_SEND_FLAG_REPLY | UCP_AM_SEND_FLAG_EAGER };
  void * req = ucp_am_send_nbx( c->ep, RG_UCX_AM_HELLO, NULL, 0UL, &hello, sizeof(hello), &p );
  int64_t deadline = rg_ucx_now_ms() + timeout_ms;
  while( !c->answered && !c->broken && rg_ucx_now_ms()<deadline && !UCS_PTR_IS_ERR( req ) ) ucp_worker_progress( c->w.worker );
  st = rg_ucx_wait( c->w.worker, req, 0 ); /* sent by now, or it failed */
  if( c->answered ) return rg_ucx_client_take( c );
  if( c->broken || (st!=UCS_OK && st!=UCS_ERR_TIMED_OUT) )
    return rg_err( RG_ERR_IO, "cannot connect to %s:%u over UCX: %s (is rgroove-server --transport ucx running there?)",
                   c->host, c->port, ucs_status_string( c->ep_status!=UCS_OK ? c->ep_status : st ) );
  return rg_err( RG_ERR_IO, "no answer from %s:%u within %d ms (is it an rgroove ucx server? RGROOVE_TIMEOUT_MS waits longer)",
                 c->host, c->port, timeout_ms );
}

/* rg_ucx_client_free closes the endpoint (forced when the connection
   failed) and frees everything. */

static void
rg_ucx_client_free( rg_ucx_client_t * c ) {
  if( c->rkey ) ucp_rkey_destroy( c->rkey );
  if( c->ep ) {
    ucp_request_param_t p = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS, .flags = c->broken ? UCP_EP_CLOSE_FLAG_FORCE : 0U };
    rg_ucx_wait( c->w.worker, ucp_ep_close_nbx( c->ep, &p ), 2000 );
  }
  rg_ucx_worker_delete( &c->w ); /* requests still open complete here, into their slots */
  for( uint64_t i=c->head; i<c->tail; i++ ) free( c->slot[ i % RG_UCX_SLOTS ].copy );
  free( c->answer );
  free( c );
}

static int
rg_ucx_timeout_ms( void ) {
  char const * tmo = getenv( "RGROOVE_TIMEOUT_MS" );
  int ms = tmo ? atoi( tmo ) : 0;
  return ms>0 ? ms : 5000;
}

rg_conn_t *
rg_ucx_client_open( char const * host,
                    uint16_t     port,
                    char const * device,
                    int          gid_index,
                    void const * token,
                    uint64_t     token_sz,
                    uint32_t     proto_version,
                    int *        opt_err ) {
  int dummy;
  int * e = opt_err ? opt_err : &dummy;
  if( !host || !host[0] || strlen( host )>=128UL || token_sz>RG_TOKEN_MAX || (token_sz && !token) ) {
    *e = rg_err( RG_ERR_INVAL, "bad connect arguments (no host, or a token over %lu bytes)", RG_TOKEN_MAX );
    return NULL;
  }
  rg_ucx_client_t * c = calloc( 1, sizeof(rg_ucx_client_t) );
  if( !c || !(c->answer = malloc( RG_UCX_ANSWER_MAX )) ) {
    free( c );
    *e = rg_err( RG_ERR_IO, "out of memory" );
    return NULL;
  }
  snprintf( c->host, sizeof(c->host), "%s", host );
  c->port      = port ? port : (uint16_t)RG_UCX_PORT_DEFAULT;
  c->gid_index = gid_index;
  snprintf( c->device, sizeof(c->device), "%s", device ? device : "" );
  c->conn.tp      = &rg_transport_ucx;
  c->conn.mem     = (rg_mem_t){ .base = NULL, .ops = &rg_ucx_ops, .ctx = c, .caps = RG_MEM_CAP_ROUND_TRIP,
                                .domain = RG_MEM_DOMAIN_CPU };
  c->conn.id_kind = RG_CONN_ID_SERVER;
  *e = rg_ucx_worker_new( &c->w, rg_ucx_device( c->device ), gid_index, 0 );
  if( !*e ) *e = rg_ucx_client_connect( c, token, token_sz, proto_version, rg_ucx_timeout_ms() );
  if( *e ) {
    c->broken = c->ep_status!=UCS_OK; /* a failed endpoint is closed by force */
    rg_ucx_client_free( c );
    return NULL;
  }
  return &c->conn;
}

rg_conn_t *
rg_ucx_open_as( char const * host,
                uint16_t     port,
                void const * token,
                uint64_t     token_sz,
                uint32_t     proto_version,
                int *        opt_err ) {
  return rg_ucx_client_open( host, port, NULL, -1, token, token_sz, proto_version, opt_err );
}

rg_conn_t *
rg_ucx_client_dup( rg_conn_t * conn,
                   int *       err ) {
  rg_ucx_client_t const * c = (rg_ucx_client_t const *)conn;
  uint8_t  token[ RG_TOKEN_MAX ];
  uint64_t token_sz;
  if( (*err = rg_token_load( token, sizeof(token), &token_sz )) ) return NULL;
  return rg_ucx_client_open( c->host, c->port, c->device, c->gid_index, token, token_sz, RG_UCX_PROTO_VERSION, err );
}

int
rg_ucx_client_close( rg_conn_t * conn ) {
  if( !conn ) return rg_err( RG_ERR_INVAL, "NULL connection" );
  rg_ucx_client_t * c = (rg_ucx_client_t *)conn;
  int err = RG_SUCCESS;
  if( !c->broken ) { /* as verbs: the writes posted last land, or the caller hears why not */
    err = c->head<c->tail ? rg_ucx_wait_ticket( c, c->ticket ) : RG_SUCCESS;
    if( !err && c->unflushed ) err = rg_ucx_flush( c );
  }
  rg_ucx_client_free( c );
  return err;
}

void
rg_ucx_client_stats( rg_conn_t const * conn,
                     rg_mem_stats_t *  stats ) {
  *stats = ((rg_ucx_client_t const *)conn)->stats;
}
