#ifndef RGROOVE_RG_MEM_H
#define RGROOVE_RG_MEM_H

/* rg_mem.h: the memory-operation interface.

   The allocator (core/) reaches pool memory only through the operations
   declared here, on byte offsets into one memory server's region
   (offset 0 = the region base).  A transport fills in an rg_mem_t:

   - A transport whose region is mapped in this process (shm) sets base
     to the mapping.  Every operation then runs inline as a CPU atomic or
     a plain access, at the cost of the seed allocator's direct code.
   - A transport that reaches the region over a network (verbs) sets
     base to NULL and supplies ops: each operation is then one request
     to the server.

   Ordering contract, which core/ relies on and every transport keeps:

   - read, load, cas and faa complete before they return.
   - write and store may return before the bytes land, but they are
     visible to every client before any later cas, faa or fence issued
     through the same rg_mem_t completes ("publish after write").
   - cas and faa are atomic against each other on 8-byte aligned words
     from every client of the same region (one atomic domain: see
     design.md, rule 1).

   Every operation returns RG_SUCCESS or RG_ERR_IO (the transport logged
   why).  An rg_mem_t may be used by one thread at a time; threads use
   one each. */

#include "rg_base.h"
#include <string.h>

typedef struct rg_mem_ops {
  int (*read )( void * ctx, uint64_t off, void * dst, uint64_t sz );
  int (*write)( void * ctx, uint64_t off, void const * src, uint64_t sz );
  int (*cas  )( void * ctx, uint64_t off, uint64_t cmp, uint64_t swp, uint64_t * old );
  int (*faa  )( void * ctx, uint64_t off, uint64_t add, uint64_t * old );
  int (*fence)( void * ctx );
} rg_mem_ops_t;

/* Counters a remote transport keeps per connection: what the allocator
   cost in requests and round trips. */

typedef struct rg_mem_stats {
  uint64_t reads;         /* remote reads */
  uint64_t writes;        /* remote writes */
  uint64_t cas;           /* compare-and-swaps */
  uint64_t cas_failed;    /* of which found another value than expected */
  uint64_t faa;           /* fetch-and-adds */
  uint64_t round_trips;   /* waits for a completion */
  uint64_t bytes_read;
  uint64_t bytes_written;
} rg_mem_stats_t;

typedef struct rg_mem {
  uint8_t *            base; /* region mapped here, or NULL for remote */
  uint64_t             size; /* region bytes */
  rg_mem_ops_t const * ops;  /* used when base is NULL */
  void *               ctx;  /* first argument of every op */
} rg_mem_t;

static inline int rg_mem_is_local( rg_mem_t const * m ) { return m->base!=NULL; }

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

/* Derived operations (design.md, "the memory-operation interface").

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

#endif /* RGROOVE_RG_MEM_H */
