/* Allocation.  A slot is claimed only by its superblock's holder, and
   its header is written before the atomic that claims it, so that a
   claimed slot always shows a live header: a survivor that finds a live
   header in a free slot of a superblock a dead client held knows that
   allocation was interrupted (doc/architecture.md, "interrupted operations"). */

#include "rg_groove_private.h"

/* rg_alloc_hdr writes the header (bits, tag) of the object about to be
   claimed in slot idx of the class-c superblock sb, and its owner entry
   when write_owner is set. */

static inline int
rg_alloc_hdr( rg_groove_t *    g,
              rg_mem_t const * m,
              uint64_t         sb,
              uint64_t         c,
              uint64_t         idx,
              uint64_t         bits,
              uint64_t         tag,
              int              write_owner ) {
  uint64_t hdr[2] = { bits, tag };
  int err = RG_SUCCESS;
  if( write_owner ) {
    uint32_t own = (uint32_t)g->owner;
    err = rg_mem_write( m, sb + RG_SB_OWNER_OFF + 4UL*idx, &own, 4UL );
  }
  if( !err ) err = rg_mem_write_words( m, rg_groove_slot_off( sb, c, idx ), hdr, 2UL );
  return err;
}

/* rg_held_claim claims the slots of bits (known free, owned) in the
   superblock this join holds for class c, whose headers are written.
   When that takes every slot known free it is the last claim: the
   superblock leaves its slot, and if it is full indeed it goes out of
   circulation unheld, in the CAS that claims. */

static inline __attribute__((always_inline)) int
rg_held_claim( rg_groove_t *    g,
               rg_mem_t const * m,
               uint64_t         c,
               uint64_t         bits ) {
  rg_held_t * h   = &g->held[ c ];
  uint64_t    cnt = rg_groove_szc_cfg[ c ].obj_cnt, old;
  int err;
  h->claimed = g->epoch; /* what a free in flight posted before knew of h->free is stale now */
  if( bits==h->free ) {
    if( h->slot ) {
      if( (err = rg_slot_drop( g, h->slot, h->sb )) ) return err;
      h->slot = 0UL;
    }
    if( (err = rg_mem_cas( m, h->sb + RG_SB_FREE_OFF, bits | g->mark, 0UL, &old )) ) return err;
    if( old==(bits | g->mark) ) { /* full: nobody holds it, nobody needs to */
      if( rg_mem_round_trips( m ) ) g->seen[ c ] = (rg_seen_t){ .sb = h->sb }; /* its first free looks at it with the header */
      h->sb = 0UL;
      return rg_client_held( g, c, 0UL );
    }
  }
  if( (err = rg_mem_fetch_clear_bit( m, h->sb + RG_SB_FREE_OFF, bits, &old )) ) return err;
  if( RG_PARANOID && ( (old & bits)!=bits || rg_sb_mark( old )!=g->me || rg_sb_free_bits( old )>>cnt ) )
    return rg_err( RG_ERR_CORRUPT, "held class %lu superblock at %#lx: claimed %#lx from free word %#lx", c, h->sb, bits, old );
  h->free = rg_sb_free_bits( old ) & ~bits; /* and whatever others freed meanwhile */
  return RG_SUCCESS;
}

/* rg_held_claim_next: rg_held_claim's last claim of bits (every bit
   known free of the superblock held out of every container) and the
   claim of nbits in the one held next (owner entries and headers
   written), posted together: one round trip.  The held one found full,
   the next one is held from then on; found with more free bits (others
   freed there), it is claimed from as rg_held_claim does and the next
   one stays next. */

static int
rg_held_claim_next( rg_groove_t * g,
                    uint64_t      c,
                    uint64_t      bits,
                    uint64_t      nbits ) {
  rg_held_t * h = &g->held[ c ];
  uint64_t    cnt = rg_groove_szc_cfg[ c ].obj_cnt, s = h->next, owned = h->next_free, hold, sold, t;
  rg_mem_req_t req[2] = {
    { .op = RG_MEM_OP_CAS, .off = h->sb + RG_SB_FREE_OFF, .cmp = bits | g->mark, .swp = 0UL, .old = &hold },
    { .op = RG_MEM_OP_FAA, .off = s + RG_SB_FREE_OFF,     .cmp = 0UL - nbits,                .old = &sold } };
  h->claimed = g->epoch;
  int err = rg_mem_post( g->mem, req, 2UL, &t );
  if( !err ) err = rg_mem_wait( g->mem, t );
  if( err ) return err;
  if( RG_PARANOID && ( (sold & nbits)!=nbits || rg_sb_mark( sold )!=g->me || rg_sb_free_bits( sold )>>cnt ) )
    return rg_err( RG_ERR_CORRUPT, "next class %lu superblock at %#lx: claimed %#lx from free word %#lx", c, s, nbits, sold );
  uint64_t left = rg_sb_free_bits( sold ) & ~nbits;
  if( hold==(bits | g->mark) ) { /* full: out of circulation; the next one is held (named so before it is no longer next) */
    g->seen[ c ] = (rg_seen_t){ .sb = h->sb };
    if( (err = rg_client_held( g, c, s )) ) return err;
    rg_sb_held_set( g, c, s, left, 0UL );
    h->owned = left & owned; /* the slots others freed meanwhile carry their owners' entries */
    h->next  = h->next_free = 0UL;
    return rg_client_next( g, c, 0UL );
  }
  h->next_free    = left;
  h->next_claimed = g->epoch; /* what a free in flight posted before knew of it is stale now */
  if( !left ) { /* full too: it goes, as a held one would */
    h->next = 0UL;
    if( (err = rg_sb_release( g, c, s, 0UL )) || (err = rg_client_next( g, c, 0UL )) ) return err;
  }
  if( (err = rg_mem_fetch_clear_bit( g->mem, h->sb + RG_SB_FREE_OFF, bits, &hold )) ) return err;
  if( RG_PARANOID && ( (hold & bits)!=bits || rg_sb_mark( hold )!=g->me || rg_sb_free_bits( hold )>>cnt ) )
    return rg_err( RG_ERR_CORRUPT, "held class %lu superblock at %#lx: claimed %#lx from free word %#lx", c, h->sb, bits, hold );
  h->free = rg_sb_free_bits( hold ) & ~bits;
  return RG_SUCCESS;
}

/* rg_held_take: a superblock of held class c for this join, whose held
   one has no slot known free (it lets that one go). */

static int
rg_held_take( rg_groove_t * g,
              uint64_t      c ) {
  rg_held_t * h = &g->held[ c ];
  uint64_t sb, f, slot;
  int err = h->sb ? rg_sb_release( g, c, h->sb, h->slot ) : RG_SUCCESS; /* known full: let it go */
  if( err ) return err;
  h->sb = 0UL;
  return rg_sb_acquire( g, c, &sb, &f, &slot );
}

/* rg_alloc_held: one object of a held class, any case. */

static int
rg_alloc_held( rg_groove_t * g,
               uint64_t      c,
               uint64_t      hdr_bits,
               uint64_t      tag,
               uint64_t *    obj ) {
  rg_held_t * h = &g->held[ c ];
  int err;
  if( (!h->sb || !h->free) && (err = rg_held_take( g, c )) ) return err;
  uint64_t b = rg_lowest_bit( h->free ), idx = (uint64_t)__builtin_ctzl( b );
  if( (err = rg_alloc_hdr( g, g->mem, h->sb, c, idx, hdr_bits | (idx<<16), tag, !(h->owned & b) )) ) return err;
  h->owned |= b;
  uint64_t sb = h->sb;
  if( (err = rg_held_claim( g, g->mem, c, b )) ) return err;
  *obj = rg_groove_slot_off( sb, c, idx );
  return RG_SUCCESS;
}

/* rg_alloc_large: one object of a class that is not held: its
   superblock is taken for the claim and let go in the claiming CAS. */

static int
rg_alloc_large( rg_groove_t * g,
                uint64_t      c,
                uint64_t      hdr_bits,
                uint64_t      tag,
                uint64_t *    obj ) {
  uint64_t sb, f, slot;
  int err = rg_sb_acquire( g, c, &sb, &f, &slot );
  if( err ) return err;
  uint64_t b = rg_lowest_bit( rg_sb_free_bits( f ) ), idx = (uint64_t)__builtin_ctzl( b );
  if( (err = rg_alloc_hdr( g, g->mem, sb, c, idx, hdr_bits | (idx<<16), tag, 1 )) ) return err;
  if( (err = rg_sb_claim( g, c, sb, slot, b, &f )) ) return err;
  if( rg_mem_round_trips( g->mem ) ) g->seen[ c ] = (rg_seen_t){ .sb = sb }; /* its free looks at sb with the header */
  *obj = rg_groove_slot_off( sb, c, idx );
  return RG_SUCCESS;
}

/* rg_span_run: the lowest run of k adjacent free bits in f (0: none). */

static uint64_t
rg_span_run( uint64_t f,
             uint64_t k ) {
  uint64_t run = rg_full_mask( k );
  for( uint64_t i=0UL; i + k<=rg_groove_szc_cfg[ RG_GROOVE_SPAN_SZC ].obj_cnt; i++ )
    if( ((f>>i) & run)==run ) return run<<i;
  return 0UL;
}

/* rg_span_sb: a class-31 superblock with a run of k free slots, taken
   (*run the run): from this join's active slot (*slot set), else from
   one off the class's stacks, else a new volume's. */

static int
rg_span_sb( rg_groove_t * g,
            uint64_t      k,
            uint64_t *    sb_out,
            uint64_t *    f_out,
            uint64_t *    slot_out,
            uint64_t *    run_out ) {
  uint64_t const c = RG_GROOVE_SPAN_SZC;
  uint64_t sb = 0UL, f = 0UL, slot = 0UL, run = 0UL;
  int err = rg_slot_take( g, rg_groove_active_off( g, c ), c, &sb, &f );
  if( !err && sb ) {
    slot = rg_groove_active_off( g, c );
    if( !(run = rg_span_run( rg_sb_free_bits( f ), k )) ) { err = rg_sb_release( g, c, sb, slot ); sb = 0UL; }
  }
  for( uint64_t tries=0UL; !err && !sb && tries<8UL; tries++ ) { /* one that fits off a stack */
    err = rg_stk_pop_marked( g, rg_groove_inactive_off( g, c ), c, &sb, &f );
    if( err || !sb ) break;
    slot = 0UL;
    if( !(run = rg_span_run( rg_sb_free_bits( f ), k )) ) { err = rg_sb_release( g, c, sb, 0UL ); sb = 0UL; break; }
  }
  if( !err && !sb ) { /* a new volume's: it fits, k <= 51 */
    slot = 0UL;
    if( !(err = rg_sb_new( g, c, &sb, &f )) ) run = rg_span_run( rg_sb_free_bits( f ), k );
  }
  if( err==RG_ERR_FULL ) { /* room in another group's stack or slot? */
    slot = 0UL;
    if( !(err = rg_stk_steal( g, c, &sb, &f )) && !sb ) err = rg_slot_steal( g, c, &sb, &f );
    if( !err && sb && !(run = rg_span_run( rg_sb_free_bits( f ), k )) ) { err = rg_sb_release( g, c, sb, slot ); sb = 0UL; }
    if( !err && !sb ) err = rg_err( RG_ERR_FULL, "pool full: no volume has %lu free slots in a row for a span (add volumes or free objects)", k );
  }
  *sb_out = sb; *f_out = f; *slot_out = slot; *run_out = run;
  return err;
}

/* rg_alloc_span: an object above RG_GROOVE_SZ_MAX, a run of class-31
   slots (no volume free: a while again, see rg_full_pause). */

static int
rg_alloc_span( rg_groove_t * g,
               uint64_t      align,
               uint64_t      sz,
               uint64_t      tag,
               uint64_t *    obj ) {
  uint64_t const c = RG_GROOVE_SPAN_SZC;
  uint64_t k = rg_hdr_span_cnt( sz ), sb, f, slot, run;
  int err;
  for( uint64_t tries=0UL; (err = rg_span_sb( g, k, &sb, &f, &slot, &run ))==RG_ERR_FULL && rg_full_pause( tries ); tries++ ) ;
  if( err ) return err;
  uint64_t idx = (uint64_t)__builtin_ctzl( run ), first = rg_groove_slot_off( sb, c, idx );
  uint64_t bits = rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_ALLOC, idx, c, align, sz<(1UL<<25) ? sz : (1UL<<25)-1UL );
  if( (err = rg_mem_store( g->mem, first + 16UL, sz )) ) return err; /* the exact size, before the header that makes it live */
  if( (err = rg_alloc_hdr( g, g->mem, sb, c, idx, bits, tag, 1 )) ) return err;
  if( (err = rg_sb_claim( g, c, sb, slot, run, &f )) ) return err;
  *obj = first;
  return RG_SUCCESS;
}

/* rg_alloc_check: the request's footprint and class, or RG_ERR_INVAL. */

static inline int
rg_alloc_check( uint64_t   align,
                uint64_t   sz,
                uint64_t * footprint ) {
  if( RG_UNLIKELY( (align & (align-1UL)) || align>RG_GROOVE_ALIGN_MAX ) )
    return rg_err( RG_ERR_INVAL, "bad align %lu: use a power of two up to %lu, or 0 for %lu", align, RG_GROOVE_ALIGN_MAX, RG_GROOVE_ALIGN_DEFAULT );
  if( RG_UNLIKELY( sz>RG_GROOVE_SPAN_SZ_MAX ) )
    return rg_err( RG_ERR_INVAL, "bad size %lu: at most %lu bytes (a volume's worth)", sz, RG_GROOVE_SPAN_SZ_MAX );
  *footprint = rg_hdr_footprint( align, sz );
  return RG_SUCCESS;
}

/* rg_alloc_any: rg_groove_alloc of a checked request of class c (the
   span class for an object above RG_GROOVE_SZ_MAX), any case. */

static int
rg_alloc_any( rg_groove_t * g,
              uint64_t      c,
              uint64_t      align,
              uint64_t      sz,
              uint64_t      tag,
              uint64_t *    obj_off ) {
  int err;
  uint64_t obj = 0UL;
  if( c==RG_GROOVE_SPAN_SZC ) {
    if( (err = rg_alloc_span( g, align, sz, tag, &obj )) ) return err;
    *obj_off = obj + RG_GROOVE_SPAN_OFFSET;
    return RG_SUCCESS;
  }
  uint64_t bits = rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_ALLOC, 0UL, c, align, sz );
  err = c<RG_GROOVE_HELD_SZC_CNT ? rg_alloc_held( g, c, bits, tag, &obj ) : rg_alloc_large( g, c, bits, tag, &obj );
  if( err ) return err;
  *obj_off = obj + rg_groove_obj_offset( align );
  return RG_SUCCESS;
}

/* rg_groove_alloc_slow: rg_alloc_any, then the frees in flight that its
   round trips completed.  A pool found full is trimmed and tried again
   once. */

static __attribute__((noinline)) int
rg_groove_alloc_slow( rg_groove_t * g,
                      uint64_t      footprint,
                      uint64_t      align,
                      uint64_t      sz,
                      uint64_t      tag,
                      uint64_t *    obj_off ) {
  int err = rg_groove_writable( g );
  if( err ) return err;
  uint64_t start = rg_free_begin( g );
  /* a superblock to take: one the join's own frees in flight may have
     revived should be taken first (one round trip at most) */
  uint64_t c = footprint<=RG_GROOVE_FOOTPRINT_MAX ? rg_groove_szc_of( footprint ) : RG_GROOVE_SPAN_SZC;
  if( (c>=RG_GROOVE_HELD_SZC_CNT || !g->held[ c ].sb || !g->held[ c ].free) && rg_free_may_revive( g, c ) && (err = rg_free_settle( g )) ) return err;
  err = rg_alloc_any( g, c, align, sz, tag, obj_off );
  if( err==RG_ERR_FULL && g->pend_cnt ) { /* its own frees in flight may make the room */
    if( (err = rg_free_settle( g )) ) return err;
    err = rg_alloc_any( g, c, align, sz, tag, obj_off );
  }
  if( err==RG_ERR_FULL ) { /* the spares that reclaim keeps (rg_sb.c) and the join's own may make the room */
    if( (err = rg_groove_trim( g, NULL )) ) return err;
    err = rg_alloc_any( g, c, align, sz, tag, obj_off );
  }
  if( !err ) err = rg_free_settle_before( g, start );
  return err;
}

/* rg_alloc_small: rg_groove_alloc of a held class on mapped memory
   where the fast path stops: the held superblock's last slot known
   free, a slot whose owner entry is another's, or none held.  In a
   workload whose frees land all over the pool most superblocks have a
   slot or two free, so these are most allocations: they do
   rg_alloc_held's steps (rg_alloc_hdr, rg_held_claim) with the mapping's
   base in a register, without the slow path's frames for frees in
   flight (none on mapped memory).  A full pool takes the slow path. */

static __attribute__((noinline)) int
rg_alloc_small( rg_groove_t * g,
                uint64_t      c,
                uint64_t      align,
                uint64_t      sz,
                uint64_t      tag,
                uint64_t *    obj_off ) {
  rg_held_t * h = &g->held[ c ];
  if( !h->sb && g->me ) { /* the one held next, else one taken (a full pool: the slow path tries harder) */
    uint64_t s, f, slot;
    int err = rg_sb_acquire( g, c, &s, &f, &slot );
    if( err && err!=RG_ERR_FULL ) return err;
  }
  if( RG_UNLIKELY( !h->sb || !h->free ) ) return rg_groove_alloc_slow( g, rg_hdr_footprint( align, sz ), align, sz, tag, obj_off );
  rg_mem_t const m = *g->mem;
  if( !m.base ) __builtin_unreachable(); /* the caller's test: the rg_mem_* below need not repeat it */
  uint64_t sb = h->sb, b = rg_lowest_bit( h->free ), idx = (uint64_t)__builtin_ctzl( b );
  rg_alloc_hdr( g, &m, sb, c, idx, rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_ALLOC, idx, c, align, sz ), tag, !(h->owned & b) );
  h->owned |= b;
  int err = rg_held_claim( g, &m, c, b );
  if( !err ) *obj_off = rg_groove_slot_off( sb, c, idx ) + rg_groove_obj_offset( align );
  return err;
}

/* The fast path: memory mapped here, a superblock this join holds, a
   slot known free that is not its last and whose owner entry is ours.
   A locked instruction waits for every earlier store to drain, spilled
   registers and return addresses included, so this path calls nothing
   but its slow path, as a tail call, and works on a copy of the rg_mem_t
   (no store can change it, so the mapping's base stays in a register).
   It stores the header, then claims: the same two stores the seed made
   after its claim, now before it. */

int
rg_groove_alloc( rg_groove_t * g,
                 uint64_t      align,
                 uint64_t      sz,
                 uint64_t      tag,
                 uint64_t *    obj_off ) {
  if( RG_UNLIKELY( !obj_off ) ) return rg_err( RG_ERR_INVAL, "NULL obj_off" );
  *obj_off = 0UL;
  if( RG_UNLIKELY( !g ) ) return rg_err( RG_ERR_INVAL, "NULL groove join" );
  align = align ? align : RG_GROOVE_ALIGN_DEFAULT;
  uint64_t footprint;
  int err = rg_alloc_check( align, sz, &footprint );
  if( RG_UNLIKELY( err ) ) return err;

  uint64_t blocks = footprint>>9; /* the small table's classes are the held ones */
  if( RG_UNLIKELY( blocks>RG_GROOVE_SMALL_BLOCKS || !rg_mem_is_mapped( g->mem ) ) )
    return rg_groove_alloc_slow( g, footprint, align, sz, tag, obj_off );
  uint64_t    c = rg_groove_szc_small[ blocks-1UL ];
  rg_held_t * h = &g->held[ c ];
  uint64_t    f = h->free, b = rg_lowest_bit( f );
  if( RG_UNLIKELY( !h->sb || f==b || !(h->owned & b) ) ) return rg_alloc_small( g, c, align, sz, tag, obj_off );
  rg_mem_t const m   = *g->mem;
  uint64_t       sb  = h->sb;
  uint64_t       idx = (uint64_t)__builtin_ctzl( b );
  uint64_t       obj = rg_groove_slot_off( sb, c, idx );
  uint64_t hdr[2] = { rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_ALLOC, idx, c, align, sz ), tag };
  rg_mem_write_words( &m, obj, hdr, 2UL );
  uint64_t old;
  rg_mem_fetch_clear_bit( &m, sb + RG_SB_FREE_OFF, b, &old );
  if( RG_PARANOID && RG_UNLIKELY( !(old & b) ) ) /* the slow path checks the mark too */
    return rg_err( RG_ERR_CORRUPT, "held class %lu superblock at %#lx: claimed bit %#lx from free word %#lx", c, sb, b, old );
  h->free  = rg_sb_free_bits( old ) & ~b;
  *obj_off = obj + rg_groove_obj_offset( align );
  return RG_SUCCESS;
}

/* rg_alloc_batch: rg_groove_alloc_n of a checked request. */

static int
rg_alloc_batch( rg_groove_t * g,
                uint64_t      footprint,
                uint64_t      align,
                uint64_t      sz,
                uint64_t      tag,
                uint64_t      n,
                uint64_t *    obj_off,
                uint64_t *    got ) {
  int err;
  uint64_t c = footprint<=RG_GROOVE_FOOTPRINT_MAX ? rg_groove_szc_of( footprint ) : RG_GROOVE_SZC_CNT;
  if( c>=RG_GROOVE_HELD_SZC_CNT ) { /* one at a time: these classes are not held */
    for( ; *got<n; (*got)++ ) if( (err = rg_groove_alloc_slow( g, footprint, align, sz, tag, &obj_off[ *got ] )) ) return err;
    return RG_SUCCESS;
  }
  rg_held_t * h = &g->held[ c ];
  while( *got<n ) {
    if( !h->sb || !h->free ) { /* a superblock to claim from, else (full?) one the slow way, which tries harder */
      if( rg_free_may_revive( g, c ) && (err = rg_free_settle( g )) ) return err;
      err = rg_held_take( g, c );
      if( err==RG_ERR_FULL && !(err = rg_groove_alloc_slow( g, footprint, align, sz, tag, &obj_off[ *got ] )) ) (*got)++;
      if( err ) return err;
      continue;
    }
    /* a claim of every bit known free would find more where frees of
       this join's are in flight (the last-claim CAS fails, then a
       fetch-and-add: two round trips): they are completed first, in one
       wait, and the claim is exact */
    if( n - *got>=(uint64_t)__builtin_popcountl( h->free ) && rg_free_into( g, h->sb ) ) {
      if( (err = rg_free_settle( g )) ) return err;
      continue;
    }
    /* every header first, then one atomic claims them all */
    uint64_t bits = 0UL, f = h->free, sb = h->sb, k0 = *got;
    for( ; f && *got<n; f &= f - 1UL ) {
      uint64_t b = rg_lowest_bit( f ), idx = (uint64_t)__builtin_ctzl( b );
      err = rg_alloc_hdr( g, g->mem, sb, c, idx, rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_ALLOC, idx, c, align, sz ), tag, !(h->owned & b) );
      if( err ) { *got = k0; return err; } /* none of this superblock's were claimed */
      h->owned |= b;
      bits |= b;
      obj_off[ (*got)++ ] = rg_groove_slot_off( sb, c, idx ) + rg_groove_obj_offset( align );
    }
    if( bits==h->free && !h->slot && h->next && *got<n && rg_mem_round_trips( g->mem ) ) {
      /* its last claim and the first in the one held next, together */
      uint64_t s = h->next, nbits = 0UL;
      err = rg_sb_own_slots( g, s, h->next_free );
      for( f = h->next_free; !err && f && *got<n; f &= f - 1UL ) {
        uint64_t b = rg_lowest_bit( f ), idx = (uint64_t)__builtin_ctzl( b );
        err = rg_alloc_hdr( g, g->mem, s, c, idx, rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_ALLOC, idx, c, align, sz ), tag, 0 );
        nbits |= b;
        obj_off[ (*got)++ ] = rg_groove_slot_off( s, c, idx ) + rg_groove_obj_offset( align );
      }
      if( err || (err = rg_held_claim_next( g, c, bits, nbits )) ) { *got = k0; return err; }
      continue;
    }
    if( (err = rg_held_claim( g, g->mem, c, bits )) ) { *got = k0; return err; }
  }
  return RG_SUCCESS;
}

int
rg_groove_alloc_n( rg_groove_t * g,
                   uint64_t      align,
                   uint64_t      sz,
                   uint64_t      tag,
                   uint64_t      n,
                   uint64_t *    obj_off,
                   uint64_t *    got ) {
  if( !g || !got || (n && !obj_off) ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  *got = 0UL;
  int err = n ? rg_groove_writable( g ) : RG_SUCCESS;
  if( err || !n ) return err;
  align = align ? align : RG_GROOVE_ALIGN_DEFAULT;
  uint64_t footprint;
  if( (err = rg_alloc_check( align, sz, &footprint )) ) return err;
  /* The fast path, as rg_groove_alloc's: mapped memory, the held
     superblock of a small class, slots known free and owned, not its
     last: every header stored, then one fetch-and-add claims them all. */
  uint64_t blocks = footprint>>9;
  if( blocks<=RG_GROOVE_SMALL_BLOCKS && rg_mem_is_mapped( g->mem ) ) {
    uint64_t    c = rg_groove_szc_small[ blocks-1UL ];
    rg_held_t * h = &g->held[ c ];
    uint64_t    f = h->sb ? h->free : 0UL, bits = 0UL;
    rg_mem_t const m = *g->mem;
    uint64_t hdr = rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_ALLOC, 0UL, c, align, sz ), add = rg_groove_obj_offset( align );
    for( ; (f & (f - 1UL)) && *got<n; f &= f - 1UL ) { /* while two are left: never its last */
      uint64_t b = rg_lowest_bit( f ), idx = (uint64_t)__builtin_ctzl( b ), obj = rg_groove_slot_off( h->sb, c, idx );
      if( !(h->owned & b) ) break; /* its owner entry to write: the general path */
      uint64_t w[2] = { hdr | (idx<<16), tag };
      rg_mem_write_words( &m, obj, w, 2UL );
      bits |= b;
      obj_off[ (*got)++ ] = obj + add;
    }
    if( bits ) {
      uint64_t old;
      rg_mem_faa( &m, h->sb + RG_SB_FREE_OFF, 0UL - bits, &old );
      if( RG_PARANOID && RG_UNLIKELY( (old & bits)!=bits ) ) {
        *got = 0UL;
        return rg_err( RG_ERR_CORRUPT, "held class %lu superblock at %#lx: claimed %#lx from free word %#lx", c, h->sb, bits, old );
      }
      h->free    = rg_sb_free_bits( old ) & ~bits;
      h->claimed = g->epoch;
      if( *got==n ) return RG_SUCCESS;
    }
  }
  uint64_t start = rg_free_begin( g );
  if( !(err = rg_alloc_batch( g, footprint, align, sz, tag, n, obj_off, got )) ) err = rg_free_settle_before( g, start );
  return err;
}
