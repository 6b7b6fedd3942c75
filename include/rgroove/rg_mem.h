#ifndef RGROOVE_RG_MEM_H
#define RGROOVE_RG_MEM_H

/* rg_mem.h: the memory-operation interface.

   The allocator (core/) reaches pool memory only through the operations
   declared here, on byte offsets into one memory server's region
   (offset 0 = the region base).  A transport fills in an rg_mem_t and
   says what its operations are (caps, domain):

   - RG_MEM_CAP_MAPPED: the region is mapped in this process at base.
     Every operation then runs inline as a CPU atomic or a plain access,
     at the cost of the seed allocator's direct code (shm).
   - otherwise base is NULL and every operation goes through ops (verbs,
     ucx, loop).  With RG_MEM_CAP_ROUND_TRIP each read, atomic and
     wait is a round trip to a server: the allocator then spends local
     memory to save them (caches of what it saw last).

   The atomic domain says whose atomics are atomic against these ones:
   RG_MEM_DOMAIN_CPU (CPU atomics on the host that holds the region),
   RG_MEM_DOMAIN_ADAPTER (an RDMA adapter's: not atomic against CPU
   atomics on the server host, see doc/architecture.md, "one atomic domain").

   Ordering contract, which core/ relies on and every transport keeps:

   - read, load, cas and faa complete before they return.
   - write and store may return before the bytes land, but they are
     visible to every client before any later cas, faa, read or fence
     issued through the same rg_mem_t completes ("publish after write").
   - cas and faa are atomic against each other on 8-byte aligned words
     from every client of the same region.
   - post/wait (below): the requests of a post execute in the order
     given, after every request issued earlier through the rg_mem_t.

   Every operation returns RG_SUCCESS or RG_ERR_IO (the transport said
   why in rg_errmsg; the connection is then unusable).  An rg_mem_t may
   be used by one thread at a time; threads use one each. */

#include "rg_base.h"
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RG_MEM_CAP_MAPPED     (1U<<0) /* base is the region, mapped here */
#define RG_MEM_CAP_ROUND_TRIP (1U<<1) /* reads, atomics and waits are round trips */

#define RG_MEM_DOMAIN_CPU     (0U)
#define RG_MEM_DOMAIN_ADAPTER (1U)

/* A request of the post/complete form.  Several are posted together
   (one doorbell: the verbs transport chains them in one ibv_post_send)
   and completed later by one wait. */

#define RG_MEM_OP_READ  (1U)
#define RG_MEM_OP_WRITE (2U)
#define RG_MEM_OP_CAS   (3U)
#define RG_MEM_OP_FAA   (4U)

typedef struct rg_mem_req {
  uint32_t   op;   /* RG_MEM_OP_* */
  uint32_t   pad;
  uint64_t   off;  /* region offset (8-byte aligned for atomics) */
  uint64_t   sz;   /* read / write: bytes */
  void *     buf;  /* read: where the bytes land (after the wait); write: the source, copied by the post */
  uint64_t   cmp;  /* cas: compared value; faa: the addend */
  uint64_t   swp;  /* cas: the new value */
  uint64_t * old;  /* cas / faa: the word found (after the wait); may be NULL */
} rg_mem_req_t;

typedef struct rg_mem_ops {
  int (*read )( void * ctx, uint64_t off, void * dst, uint64_t sz );
  int (*write)( void * ctx, uint64_t off, void const * src, uint64_t sz );
  int (*cas  )( void * ctx, uint64_t off, uint64_t cmp, uint64_t swp, uint64_t * old );
  int (*faa  )( void * ctx, uint64_t off, uint64_t add, uint64_t * old );
  int (*fence)( void * ctx );
  /* post cnt requests; *ticket gets the last one's number (tickets count
     requests from 1 up).  wait: every request up to ticket has completed
     (its data and results are in place); the first failure among them
     is returned. */
  int (*post )( void * ctx, rg_mem_req_t const * req, uint64_t cnt, uint64_t * ticket );
  int (*wait )( void * ctx, uint64_t ticket );
} rg_mem_ops_t;

/* In-flight limits, the same for every remote transport so that round
   trips count the same over each: a post that would leave more than
   RG_MEM_INFLIGHT_RA reads and atomics, or more than RG_MEM_INFLIGHT_WR
   writes (or RG_MEM_INFLIGHT_WR_BYTES bytes of them) outstanding first
   waits for everything posted before it: one round trip.  Outstanding
   means posted since the last wait that covered every request posted
   until then (a fence counts as such a wait; a wait on an older ticket
   leaves the count as it is).  Devices must take RG_MEM_INFLIGHT_RA reads and atomics
   in flight per queue pair (max_qp_rd_atom); the allocator never asks
   for more in one post. */

#define RG_MEM_INFLIGHT_RA       (16UL)
#define RG_MEM_INFLIGHT_WR       (128UL) /* a batch of 64: its headers and the words around them */
#define RG_MEM_INFLIGHT_WR_BYTES (256UL<<10)

/* Counters a remote transport keeps per connection: what the allocator
   cost in requests and round trips.  A round trip is a wait that blocks
   on a request no earlier wait covered (a synchronous read or atomic, a
   fence with writes outstanding, a wait on a newer ticket): counted by
   that rule, and not by what has happened to arrive, the figure is the
   same on every run and over every transport for the same calls. */

typedef struct rg_mem_stats {
  uint64_t reads;         /* remote reads */
  uint64_t writes;        /* remote writes */
  uint64_t cas;           /* compare-and-swaps */
  uint64_t cas_failed;    /* of which found another value than expected */
  uint64_t faa;           /* fetch-and-adds */
  uint64_t round_trips;   /* waits for a completion */
  uint64_t bytes_read;
  uint64_t bytes_written;
  uint64_t doorbells;     /* posts: one or more requests handed to the transport at once */
} rg_mem_stats_t;

typedef struct rg_mem {
  uint8_t *            base;   /* with RG_MEM_CAP_MAPPED: the region mapped here; else NULL */
  uint64_t             size;   /* region bytes */
  rg_mem_ops_t const * ops;    /* used when base is NULL */
  void *               ctx;    /* first argument of every op */
  uint32_t             caps;   /* RG_MEM_CAP_* */
  uint32_t             domain; /* RG_MEM_DOMAIN_* */
} rg_mem_t;

/* rg_mem_is_mapped: the operations are inline CPU ones on base (the
   inline functions below test base itself: one register).
   rg_mem_round_trips: operations cost round trips worth saving. */

static inline int rg_mem_is_mapped  ( rg_mem_t const * m ) { return m->base!=NULL; }
static inline int rg_mem_round_trips( rg_mem_t const * m ) { return !!(m->caps & RG_MEM_CAP_ROUND_TRIP); }

static inline uint64_t volatile *
rg_mem_word( rg_mem_t const * m,
             uint64_t         off ) {
  return (uint64_t volatile *)(m->base + off);
}

static inline int
rg_mem_read( rg_mem_t const * m,
             uint64_t         off,
             void *           dst,
             uint64_t         sz ) {
  if( RG_LIKELY( m->base ) ) { memcpy( dst, m->base + off, sz ); return RG_SUCCESS; }
  return m->ops->read( m->ctx, off, dst, sz );
}

static inline int
rg_mem_write( rg_mem_t const * m,
              uint64_t         off,
              void const *     src,
              uint64_t         sz ) {
  if( RG_LIKELY( m->base ) ) { memcpy( m->base + off, src, sz ); return RG_SUCCESS; }
  return m->ops->write( m->ctx, off, src, sz );
}

/* rg_mem_read_words / rg_mem_write_words: n 8-byte words at an 8-byte
   aligned offset (allocator metadata).  Locally they move one word at a
   time, so a word stored and then loaded is forwarded by the CPU instead
   of stalling on a wider copy; remotely they are one read or write. */

static inline int
rg_mem_read_words( rg_mem_t const * m,
                   uint64_t         off,
                   uint64_t *       w,
                   uint64_t         n ) {
  if( RG_LIKELY( m->base ) ) {
    uint64_t * p = (uint64_t *)(m->base + off);
    for( uint64_t i=0UL; i<n; i++ ) w[i] = __atomic_load_n( p + i, __ATOMIC_RELAXED );
    return RG_SUCCESS;
  }
  return m->ops->read( m->ctx, off, w, 8UL*n );
}

static inline int
rg_mem_write_words( rg_mem_t const * m,
                    uint64_t         off,
                    uint64_t const * w,
                    uint64_t         n ) {
  if( RG_LIKELY( m->base ) ) {
    uint64_t * p = (uint64_t *)(m->base + off); /* base read once: the stores below may alias it */
    for( uint64_t i=0UL; i<n; i++ ) __atomic_store_n( p + i, w[i], __ATOMIC_RELAXED );
    return RG_SUCCESS;
  }
  return m->ops->write( m->ctx, off, w, 8UL*n );
}

static inline int
rg_mem_load( rg_mem_t const * m,
             uint64_t         off,
             uint64_t *       val ) {
  if( RG_LIKELY( m->base ) ) {
    *val = __atomic_load_n( (uint64_t *)(m->base + off), __ATOMIC_ACQUIRE );
    return RG_SUCCESS;
  }
  return m->ops->read( m->ctx, off, val, 8UL );
}

static inline int
rg_mem_store( rg_mem_t const * m,
              uint64_t         off,
              uint64_t         val ) {
  if( RG_LIKELY( m->base ) ) {
    __atomic_store_n( (uint64_t *)(m->base + off), val, __ATOMIC_RELEASE );
    return RG_SUCCESS;
  }
  return m->ops->write( m->ctx, off, &val, 8UL );
}

/* rg_mem_cas: if the word at off equals cmp, replace it with swp.
   *old receives the value found (the swap happened iff *old==cmp). */

static inline int
rg_mem_cas( rg_mem_t const * m,
            uint64_t         off,
            uint64_t         cmp,
            uint64_t         swp,
            uint64_t *       old ) {
  if( RG_LIKELY( m->base ) ) {
    __atomic_compare_exchange_n( (uint64_t *)(m->base + off), &cmp, swp, 0,
                                 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST );
    *old = cmp;
    return RG_SUCCESS;
  }
  return m->ops->cas( m->ctx, off, cmp, swp, old );
}

/* rg_mem_faa: add to the word at off (mod 2^64); *old receives the
   value before the add. */

static inline int
rg_mem_faa( rg_mem_t const * m,
            uint64_t         off,
            uint64_t         add,
            uint64_t *       old ) {
  if( RG_LIKELY( m->base ) ) {
    *old = __atomic_fetch_add( (uint64_t *)(m->base + off), add, __ATOMIC_SEQ_CST );
    return RG_SUCCESS;
  }
  return m->ops->faa( m->ctx, off, add, old );
}

/* rg_mem_fence: every earlier write and store is visible to all
   clients when this returns. */

static inline int
rg_mem_fence( rg_mem_t const * m ) {
  if( RG_LIKELY( m->base ) ) { __atomic_thread_fence( __ATOMIC_SEQ_CST ); return RG_SUCCESS; }
  return m->ops->fence( m->ctx );
}

/* rg_mem_post posts cnt requests (see rg_mem_req_t); *ticket gets what
   rg_mem_wait takes to complete them.  Mapped memory runs them inline
   (ticket 0, nothing to wait for).  Returns RG_SUCCESS, or RG_ERR_IO
   (nothing more can be posted). */

static inline int
rg_mem_post( rg_mem_t const *     m,
             rg_mem_req_t const * req,
             uint64_t             cnt,
             uint64_t *           ticket ) {
  if( !m->base ) return m->ops->post( m->ctx, req, cnt, ticket );
  for( uint64_t i=0UL; i<cnt; i++ ) {
    rg_mem_req_t const * r = req + i;
    uint64_t * w = (uint64_t *)(m->base + r->off), old = 0UL;
    switch( r->op ) {
    case RG_MEM_OP_READ:  memcpy( r->buf, m->base + r->off, r->sz ); break;
    case RG_MEM_OP_WRITE: memcpy( m->base + r->off, r->buf, r->sz ); break;
    case RG_MEM_OP_CAS:   old = r->cmp; __atomic_compare_exchange_n( w, &old, r->swp, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST ); break;
    case RG_MEM_OP_FAA:   old = __atomic_fetch_add( w, r->cmp, __ATOMIC_SEQ_CST ); break;
    default: break;
    }
    if( r->old && (r->op==RG_MEM_OP_CAS || r->op==RG_MEM_OP_FAA) ) *r->old = old;
  }
  *ticket = 0UL;
  return RG_SUCCESS;
}

/* rg_mem_wait: every request posted up to ticket has completed; ticket
   RG_MEM_TICKET_ALL means every request posted so far.  Returns
   RG_SUCCESS or the first failure (RG_ERR_IO). */

#define RG_MEM_TICKET_ALL (~0UL)

static inline int
rg_mem_wait( rg_mem_t const * m,
             uint64_t         ticket ) {
  return m->base ? RG_SUCCESS : m->ops->wait( m->ctx, ticket );
}

/* Derived operations (doc/architecture.md, "the memory-operation interface").

   rg_mem_xchg: replace the word at off with val and return the previous
   value in *seen.  On entry *seen is the caller's best guess of the
   current value.  Locally this is one XCHG instruction (after a plain
   load when val is 0, so an empty slot costs no atomic).  Remotely it is
   a CAS loop seeded with the guess: each failed CAS returns the current
   value, so a wrong guess costs one more round trip, not a separate
   read. */

static inline int
rg_mem_xchg( rg_mem_t const * m,
             uint64_t         off,
             uint64_t         val,
             uint64_t *       seen ) {
  if( RG_LIKELY( m->base ) ) {
    uint64_t * w = (uint64_t *)(m->base + off);
    if( !val && !__atomic_load_n( w, __ATOMIC_ACQUIRE ) ) { *seen = 0UL; return RG_SUCCESS; }
    *seen = __atomic_exchange_n( w, val, __ATOMIC_SEQ_CST );
    return RG_SUCCESS;
  }
  uint64_t guess = *seen;
  for(;;) {
    uint64_t old;
    int err = m->ops->cas( m->ctx, off, guess, val, &old );
    if( RG_UNLIKELY( err ) ) return err;
    if( old==guess || (!val && !old) ) { *seen = old; return RG_SUCCESS; } /* swapped, or an empty slot to empty */
    guess = old;
  }
}

/* rg_mem_fetch_clear_bit: clear bit (a single set bit that no one else
   may clear) with a fetch-and-add of 2^64-bit, as the seed (x86 returns
   the old word of an add in one instruction, not of an AND).  *old gets
   the previous word. */

static inline int
rg_mem_fetch_clear_bit( rg_mem_t const * m,
                        uint64_t         off,
                        uint64_t         bit,
                        uint64_t *       old ) {
  return rg_mem_faa( m, off, 0UL - bit, old );
}

/* rg_mem_fetch_set_bit: set bit (a single bit) unless it is set already.
   *old gets the previous word: bit set in it means nothing changed, so
   of two racing callers exactly one sets it (a fetch-and-add, the
   seed's, would carry into the next bit).  On entry *old is the
   caller's best guess of the word: a CAS loop seeded with it, so a
   right guess costs one CAS and no read (locally no load sits between
   the caller's last atomic and this one), a wrong one a CAS more (a
   round trip remotely). */

static inline int
rg_mem_fetch_set_bit( rg_mem_t const * m,
                      uint64_t         off,
                      uint64_t         bit,
                      uint64_t *       old ) {
  uint64_t guess = *old & ~bit;
  for(;;) {
    uint64_t seen;
    int err = rg_mem_cas( m, off, guess, guess | bit, &seen );
    if( RG_UNLIKELY( err ) ) return err;
    if( RG_LIKELY( seen==guess ) || (seen & bit) ) { *old = seen; return RG_SUCCESS; }
    guess = seen;
  }
}

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_MEM_H */
