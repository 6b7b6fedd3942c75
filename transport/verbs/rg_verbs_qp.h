#ifndef RGROOVE_TRANSPORT_VERBS_RG_VERBS_QP_H
#define RGROOVE_TRANSPORT_VERBS_RG_VERBS_QP_H

/* The verbs data path: the memory operations (rg_mem.h) of one client
   over its connected RC queue pair.

   A post is one chain of ibv_send_wr linked by next and handed over with
   one ibv_post_send (one doorbell).  Only the last work request of a
   chain asks for a completion: a send queue completes in order, so that
   completion says every earlier request is done.  Writes leave from a
   registered ring (the source is copied at the post, so the caller may
   reuse it at once); reads and atomic results land in registered landing
   space and the wait copies them to the caller, never earlier.

   Order: an RC responder executes requests in order, but a later RDMA
   WRITE may pass an earlier READ or atomic (their responses are still
   being made).  A write whose bytes overlap a read or atomic not yet
   complete is posted with IBV_SEND_FENCE, so a post's requests take
   effect in the order given (rg_mem.h); others are not held back.

   Resources are recycled by completions: a send-queue slot or a ring
   byte when the chain holding it completed, landing bytes when the wait
   delivered them.  A request that finds them all taken (a read or write
   larger than the buffers, several large reads before one wait) rings
   what it has chained so far and polls for completions; read results
   waiting for their wait then move to the heap.  These waits are the
   transport's own: the round-trip count follows the rule of rg_mem.h
   (the one loop:, transport/loop/rg_loop.c, keeps), so that a sequence of
   calls counts the same over both.

   Ownership: one thread at a time, like the rg_mem_t it backs. */

#include "rgroove/rg_mem.h"

#include <infiniband/verbs.h>

#define RG_VERBS_SQ_DEPTH   (256U)       /* send queue: RA + WR limits of rg_mem.h, a fence, and room */
#define RG_VERBS_LAND_SZ    (1UL<<20)    /* reads and atomic results land here; a power of 2 */
#define RG_VERBS_RING_SZ    (1UL<<20)    /* writes leave from here; a power of 2 */
#define RG_VERBS_OP_TIMEOUT_NS (10000000000L) /* no completion for 10 s means a dead peer */

/* What a fence posts: a small read whose completion follows every
   earlier write's, counted as neither read nor write (as loop: does). */
#define RG_VERBS_OP_FENCE   (0U)

/* A work request in the send queue, by its number. */

typedef struct {
  uint64_t ticket;   /* the request it belongs to */
  uint64_t ring_end; /* a write: the ring position past its bytes */
  int      write;
} rg_verbs_sent_t;

/* A result the wait of its ticket delivers. */

typedef struct {
  uint64_t  ticket;
  uint64_t  wr;     /* the work request that brings it */
  uint64_t  off;    /* landing offset of its bytes */
  uint64_t  end;    /* landing position past them */
  uint8_t * dst;    /* read: where the bytes go; atomic: the old word's home (NULL: none) */
  uint8_t * stash;  /* a read's bytes, moved out of the landing space before their wait */
  uint64_t  val;    /* an atomic's word, when moved out */
  uint64_t  cmp;    /* cas: the expected word (counts cas_failed) */
  uint64_t  roff;   /* the remote bytes it reads: region offset and length */
  uint64_t  rlen;
  uint32_t  len;
  uint32_t  op;     /* RG_MEM_OP_READ, _CAS, _FAA, or RG_VERBS_OP_FENCE */
  int       moved;  /* the bytes are in stash or val, not in the landing space */
} rg_verbs_land_t;

typedef struct rg_verbs_qp {
  struct ibv_qp *      qp;
  struct ibv_cq *      cq;
  struct ibv_mr *      mr;
  uint8_t *            buf;          /* landing space | write ring, registered */
  uint64_t             remote_addr;  /* the server's region */
  uint32_t             rkey;
  uint64_t             size;
  uint32_t             sq_depth;

  struct ibv_send_wr * chain;        /* the chain being built, sq_depth long */
  struct ibv_sge *     sge;
  uint32_t             chain_cnt;
  rg_verbs_sent_t *    sent;         /* [ wr % sq_depth ] for work requests not yet known complete */
  uint64_t             wr_seq;       /* last work request numbered */
  uint64_t             wr_posted;    /* last one handed to the device */
  uint64_t             done_wr;      /* every one up to it has completed */

  rg_verbs_land_t *    land;         /* results by ticket, [ i & (land_cap-1) ] for land_lo <= i < land_hi */
  uint64_t             land_lo, land_held, land_hi, land_cap; /* land_lo..land_held-1 were moved out */
  uint64_t             land_head, land_tail; /* landing positions (they count up; offset = position mod size) */
  uint64_t             ring_head, ring_tail; /* write ring positions, likewise */

  uint64_t             ticket;       /* last ticket handed out */
  uint64_t             waited;       /* highest ticket a wait covered */
  int                  writes_out;   /* writes since the last wait on the newest ticket: a fence waits */
  uint64_t             ra_out, wr_out, wr_bytes_out; /* the in-flight counts of rg_mem.h */

  int                  broken;       /* a request failed: nothing more is posted */
  uint64_t             failed;       /* its ticket */
  uint64_t             failed_wr;    /* its work request */
  char                 why[ 200 ];   /* what failed */

  uint64_t             rings;        /* ibv_post_send calls (stats.doorbells counts posts) */
  uint64_t             fenced;       /* writes posted with IBV_SEND_FENCE */
  rg_mem_stats_t       stats;
} rg_verbs_qp_t;

/* rg_verbs_qp_init sets up q's buffers (registered with pd) and its
   completion queue on ctx for a send queue of sq_depth (at most
   RG_VERBS_SQ_DEPTH) work requests.  Returns RG_SUCCESS or RG_ERR_IO
   (out of memory, registration refused: rg_errmsg says what to do).
   rg_verbs_qp_fini frees what init made (call it after the queue pair
   is destroyed); safe on a q that init failed on or never saw (zeroed). */

int
rg_verbs_qp_init( rg_verbs_qp_t *      q,
                  struct ibv_context * ctx,
                  struct ibv_pd *      pd,
                  uint32_t             sq_depth );

void
rg_verbs_qp_fini( rg_verbs_qp_t * q );

/* rg_verbs_qp_attach: q's requests go out on qp (created on q->cq with
   q->sq_depth send slots) to the region [remote_addr, +size) of key
   rkey. */

void
rg_verbs_qp_attach( rg_verbs_qp_t * q,
                    struct ibv_qp * qp,
                    uint64_t        remote_addr,
                    uint32_t        rkey,
                    uint64_t        size );

/* The memory operations over q (ctx = q): rg_mem.h says what each does
   and what it counts.  Besides RG_ERR_IO, post returns RG_ERR_INVAL for
   a request outside the region, a misaligned atomic or an unknown op
   (nothing posted, nothing counted), and wait RG_ERR_INVAL for a ticket
   never handed out. */

extern rg_mem_ops_t const rg_verbs_qp_ops;

/* rg_verbs_qp_fence: every posted write has completed (rg_mem_fence).
   Returns RG_SUCCESS or RG_ERR_IO. */

int
rg_verbs_qp_fence( rg_verbs_qp_t * q );

#endif /* RGROOVE_TRANSPORT_VERBS_RG_VERBS_QP_H */
