/* The verbs data path (rg_verbs_qp.h): chains of work requests in
   flight together, completions, and the round-trip rule of rg_mem.h. */

#include "rg_verbs_qp.h"
#include "base/rg_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RG_VERBS_LAND_OFF (0UL)
#define RG_VERBS_RING_OFF (RG_VERBS_LAND_SZ)
#define RG_VERBS_BUF_SZ   (RG_VERBS_LAND_SZ + RG_VERBS_RING_SZ)
#define RG_VERBS_NOFIT    (~0UL)

/* Setup ***************************************************************/

int
rg_verbs_qp_init( rg_verbs_qp_t *      q,
                  struct ibv_context * ctx,
                  struct ibv_pd *      pd,
                  uint32_t             sq_depth ) {
  memset( q, 0, sizeof(*q) );
  q->sq_depth = sq_depth;
  q->land_cap = 64UL;
  q->buf   = aligned_alloc( 4096UL, RG_VERBS_BUF_SZ );
  q->chain = calloc( sq_depth, sizeof(struct ibv_send_wr) );
  q->sge   = calloc( sq_depth, sizeof(struct ibv_sge) );
  q->sent  = calloc( sq_depth, sizeof(rg_verbs_sent_t) );
  q->land  = calloc( q->land_cap, sizeof(rg_verbs_land_t) );
  if( !q->buf || !q->chain || !q->sge || !q->sent || !q->land ) return rg_err( RG_ERR_IO, "out of memory" );
  memset( q->buf, 0, RG_VERBS_BUF_SZ );
  /* every signaled request is one completion, and no more than sq_depth
     requests are in flight: the queue cannot overflow */
  if( !(q->cq = ibv_create_cq( ctx, (int)sq_depth, NULL, NULL, 0 )) )
    return rg_err( RG_ERR_IO, "cannot create a completion queue of %u entries: %s", sq_depth, strerror( errno ) );
  if( !(q->mr = ibv_reg_mr( pd, q->buf, RG_VERBS_BUF_SZ, IBV_ACCESS_LOCAL_WRITE )) )
    return rg_err( RG_ERR_IO, "cannot register %lu bytes: %s (raise the memlock limit: ulimit -l)", RG_VERBS_BUF_SZ, strerror( errno ) );
  return RG_SUCCESS;
}

void
rg_verbs_qp_fini( rg_verbs_qp_t * q ) {
  if( q->mr ) ibv_dereg_mr( q->mr );
  if( q->cq ) ibv_destroy_cq( q->cq );
  for( uint64_t i=q->land_lo; q->land && i<q->land_hi; i++ ) free( q->land[ i & (q->land_cap-1UL) ].stash );
  free( q->land );
  free( q->sent );
  free( q->sge );
  free( q->chain );
  free( q->buf );
  memset( q, 0, sizeof(*q) );
}

void
rg_verbs_qp_attach( rg_verbs_qp_t * q,
                    struct ibv_qp * qp,
                    uint64_t        remote_addr,
                    uint32_t        rkey,
                    uint64_t        size ) {
  q->qp          = qp;
  q->remote_addr = remote_addr;
  q->rkey        = rkey;
  q->size        = size;
}

/* Completions *********************************************************/

/* rg_verbs_qp_fail: request wr failed (or cannot be known to complete):
   the connection is broken from its ticket on. */

static void __attribute__((format(printf,3,4)))
rg_verbs_qp_fail( rg_verbs_qp_t * q,
                  uint64_t        wr,
                  char const *    fmt,
                  ... ) {
  if( q->broken ) return;
  q->broken    = 1;
  q->chain_cnt = 0U; /* what is not posted yet never goes out */
  q->failed_wr = wr;
  q->failed    = wr<=q->wr_seq ? q->sent[ wr % q->sq_depth ].ticket : q->ticket + 1UL;
  va_list ap;
  va_start( ap, fmt );
  vsnprintf( q->why, sizeof(q->why), fmt, ap );
  va_end( ap );
}

static int
rg_verbs_qp_broken( rg_verbs_qp_t const * q ) {
  return rg_err( RG_ERR_IO, "%s; the connection to the memory server is unusable: reconnect", q->why );
}

/* rg_verbs_qp_done: every work request up to wr completed; the ring
   bytes of its writes are free again. */

static void
rg_verbs_qp_done( rg_verbs_qp_t * q,
                  uint64_t        wr ) {
  for( uint64_t w=q->done_wr+1UL; w<=wr; w++ ) {
    rg_verbs_sent_t const * s = &q->sent[ w % q->sq_depth ];
    if( s->write ) q->ring_tail = s->ring_end;
  }
  if( wr>q->done_wr ) q->done_wr = wr;
  if( q->ring_tail==q->ring_head ) q->ring_tail = q->ring_head = 0UL; /* empty: start over at the front */
}

/* rg_verbs_qp_poll takes the completions there are, without waiting.
   Returns how many. */

static int
rg_verbs_qp_poll( rg_verbs_qp_t * q ) {
  struct ibv_wc wc[ 16 ];
  int n = ibv_poll_cq( q->cq, 16, wc );
  if( n<0 ) { rg_verbs_qp_fail( q, q->done_wr + 1UL, "ibv_poll_cq failed" ); return 0; }
  for( int i=0; i<n; i++ ) {
    if( wc[i].status==IBV_WC_SUCCESS ) {
      if( !q->broken || wc[i].wr_id<q->failed_wr ) rg_verbs_qp_done( q, wc[i].wr_id );
    } else if( !q->broken ) { /* the first failure; what follows it is flushed */
      rg_verbs_qp_done( q, wc[i].wr_id - 1UL );
      rg_verbs_qp_fail( q, wc[i].wr_id, "verbs request failed: %s (status %d)",
                        ibv_wc_status_str( wc[i].status ), (int)wc[i].status );
    }
  }
  return n;
}

/* rg_verbs_qp_reach polls until work request wr (handed to the device)
   has completed.  Returns RG_SUCCESS, or RG_ERR_IO if it failed, an
   earlier one did, or nothing completes within RG_VERBS_OP_TIMEOUT_NS. */

static int
rg_verbs_qp_reach( rg_verbs_qp_t * q,
                   uint64_t        wr ) {
  struct timespec t0 = { 0 }, t;
  int timing = 0; /* the clock is read only once polls find nothing for a while */
  for( uint64_t spin=1UL;; spin++ ) {
    if( q->done_wr>=wr ) return RG_SUCCESS;
    if( q->broken && wr>=q->failed_wr ) return rg_verbs_qp_broken( q );
    if( rg_verbs_qp_poll( q ) ) { timing = 0; continue; }
    if( spin & 1023UL ) continue;
    clock_gettime( CLOCK_MONOTONIC, &t );
    if( !timing ) { t0 = t; timing = 1; continue; }
    if( (t.tv_sec - t0.tv_sec)*1000000000L + (t.tv_nsec - t0.tv_nsec) > RG_VERBS_OP_TIMEOUT_NS )
      rg_verbs_qp_fail( q, q->done_wr + 1UL, "no completion from the memory server within %ld s: it is gone or unreachable",
                        RG_VERBS_OP_TIMEOUT_NS/1000000000L );
  }
}

/* Posting *************************************************************/

/* rg_verbs_qp_ring hands the chain built so far to the device, its last
   request signaled: one doorbell. */

static int
rg_verbs_qp_ring( rg_verbs_qp_t * q ) {
  uint32_t n = q->chain_cnt;
  if( q->broken ) return rg_verbs_qp_broken( q );
  if( !n ) return RG_SUCCESS;
  for( uint32_t i=0U; i+1U<n; i++ ) q->chain[i].next = &q->chain[i+1U];
  q->chain[n-1U].next        = NULL;
  q->chain[n-1U].send_flags |= IBV_SEND_SIGNALED;
  q->chain_cnt = 0U;
  struct ibv_send_wr * bad = NULL;
  int rc = ibv_post_send( q->qp, q->chain, &bad );
  if( rc ) { /* some may be posted, but none after them signaled: the chain counts as lost */
    rg_verbs_qp_fail( q, q->wr_posted + 1UL, "ibv_post_send: %s", strerror( rc ) );
    return rg_verbs_qp_broken( q );
  }
  q->wr_posted = q->wr_seq;
  q->rings++;
  return RG_SUCCESS;
}

/* rg_verbs_qp_reclaim: ring the chain and wait for the oldest work
   request in flight, so that its slot (and what it held) is free. */

static int
rg_verbs_qp_reclaim( rg_verbs_qp_t * q ) {
  int err = rg_verbs_qp_ring( q );
  return err ? err : rg_verbs_qp_reach( q, q->done_wr + 1UL );
}

/* rg_verbs_fit: the position where n bytes (n <= sz) go in a ring of sz
   bytes (a power of 2) whose live bytes are [tail, head), a piece never
   wrapping around the end; RG_VERBS_NOFIT if they do not fit now. */

static uint64_t
rg_verbs_fit( uint64_t head,
              uint64_t tail,
              uint64_t n,
              uint64_t sz ) {
  uint64_t pos = head;
  if( (pos & (sz-1UL)) + n > sz ) pos += sz - (pos & (sz-1UL));
  return pos + n - tail <= sz ? pos : RG_VERBS_NOFIT;
}

/* rg_verbs_qp_slot numbers the next work request of ticket and appends
   it to the chain, first waiting for a free send-queue slot. */

static int
rg_verbs_qp_slot( rg_verbs_qp_t *       q,
                  uint64_t              ticket,
                  struct ibv_send_wr ** out ) {
  while( q->wr_seq - q->done_wr >= q->sq_depth ) {
    int err = rg_verbs_qp_reclaim( q );
    if( err ) return err;
  }
  uint64_t w = ++q->wr_seq;
  q->sent[ w % q->sq_depth ] = (rg_verbs_sent_t){ .ticket = ticket };
  struct ibv_sge *     sge = &q->sge[ q->chain_cnt ];
  struct ibv_send_wr * wr  = &q->chain[ q->chain_cnt++ ];
  *wr = (struct ibv_send_wr){ .wr_id = w, .sg_list = sge, .num_sge = 1 };
  *out = wr;
  return RG_SUCCESS;
}

/* rg_verbs_qp_move_out: the oldest result still in the landing space
   goes to the heap (after its request completed), freeing its bytes. */

static int
rg_verbs_qp_move_out( rg_verbs_qp_t * q ) {
  rg_verbs_land_t * r = &q->land[ q->land_held & (q->land_cap-1UL) ];
  int err = r->wr>q->wr_posted ? rg_verbs_qp_ring( q ) : RG_SUCCESS;
  if( !err ) err = rg_verbs_qp_reach( q, r->wr );
  if( err ) return err;
  if( r->op==RG_MEM_OP_READ && r->len ) {
    if( !(r->stash = malloc( r->len )) ) { rg_verbs_qp_fail( q, q->wr_seq, "out of memory" ); return rg_verbs_qp_broken( q ); }
    memcpy( r->stash, q->buf + RG_VERBS_LAND_OFF + r->off, r->len );
  } else {
    memcpy( &r->val, q->buf + RG_VERBS_LAND_OFF + r->off, 8UL );
  }
  r->moved    = 1;
  q->land_tail = r->end;
  q->land_held++;
  return RG_SUCCESS;
}

/* rg_verbs_qp_land takes n landing bytes (rounded up to 8, so atomic
   results are aligned): *off is their offset, *end the position past. */

static int
rg_verbs_qp_land( rg_verbs_qp_t * q,
                  uint64_t        n,
                  uint64_t *      off,
                  uint64_t *      end ) {
  n = (n + 7UL) & ~7UL;
  for(;;) {
    if( q->land_held==q->land_hi ) q->land_head = q->land_tail = 0UL; /* nothing held */
    uint64_t pos = rg_verbs_fit( q->land_head, q->land_tail, n, RG_VERBS_LAND_SZ );
    if( pos!=RG_VERBS_NOFIT ) {
      q->land_head = pos + n;
      *off = pos & (RG_VERBS_LAND_SZ-1UL);
      *end = q->land_head;
      return RG_SUCCESS;
    }
    int err = rg_verbs_qp_move_out( q );
    if( err ) return err;
  }
}

/* rg_verbs_qp_keep records a result for the wait of its ticket. */

static int
rg_verbs_qp_keep( rg_verbs_qp_t *         q,
                  rg_verbs_land_t const * r ) {
  if( q->land_hi - q->land_lo==q->land_cap ) {
    uint64_t cap = 2UL*q->land_cap;
    rg_verbs_land_t * p = calloc( cap, sizeof(rg_verbs_land_t) );
    if( !p ) { rg_verbs_qp_fail( q, r->wr, "out of memory" ); return rg_verbs_qp_broken( q ); }
    for( uint64_t i=q->land_lo; i<q->land_hi; i++ ) p[ i & (cap-1UL) ] = q->land[ i & (q->land_cap-1UL) ];
    free( q->land );
    q->land     = p;
    q->land_cap = cap;
  }
  q->land[ q->land_hi++ & (q->land_cap-1UL) ] = *r;
  return RG_SUCCESS;
}

/* rg_verbs_qp_landed posts a request whose result lands: a read piece,
   an atomic or a fence.  wr is filled in but for the local side. */

static int
rg_verbs_qp_landed( rg_verbs_qp_t *            q,
                    struct ibv_send_wr const * tmpl,
                    rg_verbs_land_t *          r,
                    uint64_t                   len ) {
  uint64_t off, end;
  struct ibv_send_wr * wr;
  int err = rg_verbs_qp_land( q, len, &off, &end );
  if( !err ) err = rg_verbs_qp_slot( q, r->ticket, &wr );
  if( err ) return err;
  struct ibv_sge * sge = wr->sg_list;
  uint64_t         id  = wr->wr_id;
  *wr = *tmpl;
  wr->wr_id   = id;
  wr->sg_list = sge;
  wr->num_sge = 1;
  *sge = (struct ibv_sge){ .addr = (uintptr_t)(q->buf + RG_VERBS_LAND_OFF + off), .length = (uint32_t)len, .lkey = q->mr->lkey };
  r->wr  = id;
  r->off = off;
  r->end = end;
  r->len = (uint32_t)len;
  return rg_verbs_qp_keep( q, r );
}

static int
rg_verbs_qp_read_req( rg_verbs_qp_t *      q,
                      rg_mem_req_t const * req,
                      uint64_t             ticket ) {
  for( uint64_t done=0UL; done<req->sz; ) {
    uint64_t n = req->sz - done < RG_VERBS_LAND_SZ ? req->sz - done : RG_VERBS_LAND_SZ;
    struct ibv_send_wr wr = { .opcode = IBV_WR_RDMA_READ };
    wr.wr.rdma.remote_addr = q->remote_addr + req->off + done;
    wr.wr.rdma.rkey        = q->rkey;
    rg_verbs_land_t r = { .ticket = ticket, .dst = (uint8_t *)req->buf + done, .op = RG_MEM_OP_READ,
                          .roff = req->off + done, .rlen = n };
    int err = rg_verbs_qp_landed( q, &wr, &r, n );
    if( err ) return err;
    done += n;
  }
  return RG_SUCCESS;
}

/* rg_verbs_qp_overlaps: a read or atomic not known complete reads some
   of the remote bytes [off, off+n): a write there must not pass it. */

static int
rg_verbs_qp_overlaps( rg_verbs_qp_t const * q,
                      uint64_t              off,
                      uint64_t              n ) {
  for( uint64_t i=q->land_hi; i>q->land_lo; i-- ) {
    rg_verbs_land_t const * r = &q->land[ (i-1UL) & (q->land_cap-1UL) ];
    if( r->wr<=q->done_wr ) break; /* in order: every earlier one is complete too */
    if( r->roff < off + n && off < r->roff + r->rlen ) return 1;
  }
  return 0;
}

static int
rg_verbs_qp_write_req( rg_verbs_qp_t *      q,
                       rg_mem_req_t const * req,
                       uint64_t             ticket ) {
  for( uint64_t done=0UL; done<req->sz; ) {
    uint64_t n = req->sz - done < RG_VERBS_RING_SZ ? req->sz - done : RG_VERBS_RING_SZ, pos;
    while( (pos = rg_verbs_fit( q->ring_head, q->ring_tail, n, RG_VERBS_RING_SZ ))==RG_VERBS_NOFIT ) {
      int err = rg_verbs_qp_reclaim( q ); /* the oldest writes in flight free their bytes */
      if( err ) return err;
    }
    struct ibv_send_wr * wr;
    int err = rg_verbs_qp_slot( q, ticket, &wr );
    if( err ) return err;
    if( q->ring_tail==q->ring_head ) pos = 0UL; /* the slot's wait may have emptied the ring */
    q->ring_head = pos + n;
    uint8_t * src = q->buf + RG_VERBS_RING_OFF + (pos & (RG_VERBS_RING_SZ-1UL));
    memcpy( src, (uint8_t const *)req->buf + done, n );
    q->sent[ wr->wr_id % q->sq_depth ] = (rg_verbs_sent_t){ .ticket = ticket, .ring_end = q->ring_head, .write = 1 };
    wr->opcode              = IBV_WR_RDMA_WRITE;
    if( rg_verbs_qp_overlaps( q, req->off + done, n ) ) { wr->send_flags = IBV_SEND_FENCE; q->fenced++; }
    wr->wr.rdma.remote_addr = q->remote_addr + req->off + done;
    wr->wr.rdma.rkey        = q->rkey;
    *wr->sg_list = (struct ibv_sge){ .addr = (uintptr_t)src, .length = (uint32_t)n, .lkey = q->mr->lkey };
    done += n;
  }
  return RG_SUCCESS;
}

static int
rg_verbs_qp_atomic_req( rg_verbs_qp_t *      q,
                        rg_mem_req_t const * req,
                        uint64_t             ticket ) {
  struct ibv_send_wr wr = { .opcode = req->op==RG_MEM_OP_CAS ? IBV_WR_ATOMIC_CMP_AND_SWP : IBV_WR_ATOMIC_FETCH_AND_ADD };
  wr.wr.atomic.remote_addr = q->remote_addr + req->off;
  wr.wr.atomic.rkey        = q->rkey;
  wr.wr.atomic.compare_add = req->cmp;
  wr.wr.atomic.swap        = req->swp;
  rg_verbs_land_t r = { .ticket = ticket, .dst = (uint8_t *)req->old, .cmp = req->cmp, .op = req->op,
                        .roff = req->off, .rlen = 8UL };
  return rg_verbs_qp_landed( q, &wr, &r, 8UL );
}

static int
rg_verbs_qp_fence_req( rg_verbs_qp_t * q,
                       uint64_t        ticket ) {
  struct ibv_send_wr wr = { .opcode = IBV_WR_RDMA_READ };
  wr.wr.rdma.remote_addr = q->remote_addr;
  wr.wr.rdma.rkey        = q->rkey;
  rg_verbs_land_t r = { .ticket = ticket, .op = RG_VERBS_OP_FENCE, .rlen = 8UL };
  return rg_verbs_qp_landed( q, &wr, &r, 8UL );
}

static int
rg_verbs_qp_check( rg_verbs_qp_t const * q,
                   rg_mem_req_t const *  r ) {
  int atomic = r->op==RG_MEM_OP_CAS || r->op==RG_MEM_OP_FAA;
  uint64_t sz = atomic ? 8UL : r->sz;
  if( r->op<RG_MEM_OP_READ || r->op>RG_MEM_OP_FAA )
    return rg_err( RG_ERR_INVAL, "bad request op %u (RG_MEM_OP_READ, _WRITE, _CAS or _FAA)", r->op );
  if( r->off>q->size || sz>q->size - r->off )
    return rg_err( RG_ERR_INVAL, "remote range %#lx+%lu is outside the server's region of %lu bytes", r->off, sz, q->size );
  if( atomic && (r->off & 7UL) ) return rg_err( RG_ERR_INVAL, "atomic at %#lx is not 8-byte aligned", r->off );
  return RG_SUCCESS;
}

static int rg_verbs_qp_wait( void * ctx, uint64_t ticket );

/* rg_verbs_qp_submit posts cnt requests (internal: a fence, unchecked)
   and counts them as rg_mem.h says, as loop: does. */

static int
rg_verbs_qp_submit( rg_verbs_qp_t *      q,
                    rg_mem_req_t const * req,
                    uint64_t             cnt,
                    uint64_t *           ticket,
                    int                  internal ) {
  if( q->broken ) return rg_err( RG_ERR_IO, "the connection to the memory server failed earlier (%s): reconnect", q->why );
  for( uint64_t i=0UL; !internal && i<cnt; i++ ) {
    int err = rg_verbs_qp_check( q, &req[i] );
    if( err ) return err;
  }
  q->stats.doorbells++;
  for( uint64_t i=0UL; i<cnt; i++ ) {
    rg_mem_req_t const * r = &req[i];
    int ra = r->op==RG_MEM_OP_READ || r->op==RG_MEM_OP_CAS || r->op==RG_MEM_OP_FAA;
    int wr = r->op==RG_MEM_OP_WRITE;
    if( ( ra && q->ra_out + 1UL>RG_MEM_INFLIGHT_RA ) ||
        ( wr && ( q->wr_out + 1UL>RG_MEM_INFLIGHT_WR || q->wr_bytes_out + r->sz>RG_MEM_INFLIGHT_WR_BYTES ) ) ) {
      int err = rg_verbs_qp_wait( q, q->ticket ); /* the in-flight rule: one round trip */
      if( err ) return err;
    }
    q->ra_out       += (uint64_t)ra;
    q->wr_out       += (uint64_t)wr;
    q->wr_bytes_out += wr ? r->sz : 0UL;
    uint64_t t = ++q->ticket;
    int err;
    switch( r->op ) {
    case RG_MEM_OP_READ:
      q->stats.reads++;
      q->stats.bytes_read += r->sz;
      err = rg_verbs_qp_read_req( q, r, t );
      break;
    case RG_MEM_OP_WRITE:
      q->stats.writes++;
      q->stats.bytes_written += r->sz;
      q->writes_out = 1;
      err = rg_verbs_qp_write_req( q, r, t );
      break;
    case RG_MEM_OP_CAS:
    case RG_MEM_OP_FAA:
      if( r->op==RG_MEM_OP_CAS ) q->stats.cas++;
      else                       q->stats.faa++;
      err = rg_verbs_qp_atomic_req( q, r, t );
      break;
    default:
      err = rg_verbs_qp_fence_req( q, t );
    }
    if( err ) return err;
  }
  int err = rg_verbs_qp_ring( q );
  if( err ) return err;
  *ticket = q->ticket;
  return RG_SUCCESS;
}

static int
rg_verbs_qp_post( void *               ctx,
                  rg_mem_req_t const * req,
                  uint64_t             cnt,
                  uint64_t *           ticket ) {
  return rg_verbs_qp_submit( ctx, req, cnt, ticket, 0 );
}

/* Waiting *************************************************************/

/* rg_verbs_qp_last_wr: the last work request of the requests up to
   ticket not yet known complete (done_wr if there is none). */

static uint64_t
rg_verbs_qp_last_wr( rg_verbs_qp_t const * q,
                     uint64_t              ticket ) {
  for( uint64_t w=q->wr_seq; w>q->done_wr; w-- ) if( q->sent[ w % q->sq_depth ].ticket<=ticket ) return w;
  return q->done_wr;
}

/* rg_verbs_qp_deliver copies the results of the requests up to ticket
   to their callers (those whose request completed) and frees them. */

static void
rg_verbs_qp_deliver( rg_verbs_qp_t * q,
                     uint64_t        ticket ) {
  for( ; q->land_lo<q->land_hi; q->land_lo++ ) {
    rg_verbs_land_t * r = &q->land[ q->land_lo & (q->land_cap-1UL) ];
    if( r->ticket>ticket ) break;
    uint8_t const * src = r->moved ? (r->op==RG_MEM_OP_READ ? r->stash : (uint8_t const *)&r->val)
                                   : q->buf + RG_VERBS_LAND_OFF + r->off;
    if( r->wr<=q->done_wr ) {
      if( r->op==RG_MEM_OP_READ && r->len ) memcpy( r->dst, src, r->len );
      if( r->op==RG_MEM_OP_CAS || r->op==RG_MEM_OP_FAA ) {
        uint64_t v;
        memcpy( &v, src, 8UL );
        if( r->dst ) memcpy( r->dst, &v, 8UL );
        if( r->op==RG_MEM_OP_CAS && v!=r->cmp ) q->stats.cas_failed++; /* counted when the result arrives */
      }
    }
    free( r->stash );
    r->stash = NULL;
    if( q->land_held==q->land_lo ) { q->land_tail = r->end; q->land_held++; }
  }
}

static int
rg_verbs_qp_wait( void *   ctx,
                  uint64_t ticket ) {
  rg_verbs_qp_t * q = ctx;
  if( ticket==RG_MEM_TICKET_ALL ) ticket = q->ticket;
  if( ticket>q->ticket ) return rg_err( RG_ERR_INVAL, "wait for ticket %lu, only %lu were handed out", ticket, q->ticket );
  if( ticket>q->waited ) { q->stats.round_trips++; q->waited = ticket; }
  if( ticket==q->ticket ) { q->writes_out = 0; q->ra_out = q->wr_out = q->wr_bytes_out = 0UL; }
  uint64_t w   = rg_verbs_qp_last_wr( q, ticket );
  int      err = w>q->wr_posted ? rg_verbs_qp_ring( q ) : RG_SUCCESS;
  if( !err && w>q->done_wr ) err = rg_verbs_qp_reach( q, w );
  rg_verbs_qp_deliver( q, ticket );
  if( q->broken && q->failed<=ticket ) return rg_verbs_qp_broken( q );
  return err;
}

/* The synchronous operations: one request each, posted and waited for
   (a write only posted: the next wait covers it). */

static int
rg_verbs_qp_one( rg_verbs_qp_t *      q,
                 rg_mem_req_t const * r,
                 int                  internal ) {
  uint64_t t;
  int err = rg_verbs_qp_submit( q, r, 1UL, &t, internal );
  return err ? err : rg_verbs_qp_wait( q, t );
}

static int
rg_verbs_qp_read( void * ctx, uint64_t off, void * dst, uint64_t sz ) {
  rg_mem_req_t r = { .op = RG_MEM_OP_READ, .off = off, .sz = sz, .buf = dst };
  return rg_verbs_qp_one( ctx, &r, 0 );
}

static int
rg_verbs_qp_write( void * ctx, uint64_t off, void const * src, uint64_t sz ) {
  rg_mem_req_t r = { .op = RG_MEM_OP_WRITE, .off = off, .sz = sz, .buf = (void *)src };
  uint64_t t;
  return rg_verbs_qp_submit( ctx, &r, 1UL, &t, 0 );
}

static int
rg_verbs_qp_cas( void * ctx, uint64_t off, uint64_t cmp, uint64_t swp, uint64_t * old ) {
  rg_mem_req_t r = { .op = RG_MEM_OP_CAS, .off = off, .cmp = cmp, .swp = swp, .old = old };
  return rg_verbs_qp_one( ctx, &r, 0 );
}

static int
rg_verbs_qp_faa( void * ctx, uint64_t off, uint64_t add, uint64_t * old ) {
  rg_mem_req_t r = { .op = RG_MEM_OP_FAA, .off = off, .cmp = add, .old = old };
  return rg_verbs_qp_one( ctx, &r, 0 );
}

/* rg_verbs_qp_fence: nothing without writes outstanding, else a small
   read: RC executes it after every earlier write, so its completion
   follows theirs. */

int
rg_verbs_qp_fence( rg_verbs_qp_t * q ) {
  if( !q->writes_out ) return q->broken ? rg_verbs_qp_broken( q ) : RG_SUCCESS;
  rg_mem_req_t r = { .op = RG_VERBS_OP_FENCE };
  return rg_verbs_qp_one( q, &r, 1 );
}

static int
rg_verbs_qp_fence_op( void * ctx ) {
  return rg_verbs_qp_fence( ctx );
}

rg_mem_ops_t const rg_verbs_qp_ops = {
  .read  = rg_verbs_qp_read,
  .write = rg_verbs_qp_write,
  .cas   = rg_verbs_qp_cas,
  .faa   = rg_verbs_qp_faa,
  .fence = rg_verbs_qp_fence_op,
  .post  = rg_verbs_qp_post,
  .wait  = rg_verbs_qp_wait,
};
