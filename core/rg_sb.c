/* Superblocks: taken out of circulation (marked), held, put back, made
   and destroyed.  rg_stack.c moves them between containers; this file
   decides which move to make.  doc/architecture.md, "circulation". */

#include "rg_groove_private.h"

#include <string.h>
#include <time.h>

/* Superblocks a reclaim destroys per emptying free at most. */
#define RG_RECLAIM_MAX (4UL)

/* rg_sb_load_free: the current free word of sb. */

static int
rg_sb_load_free( rg_groove_t * g,
                 uint64_t      sb,
                 uint64_t *    w ) {
  return rg_mem_load( g->mem, sb + RG_SB_FREE_OFF, w );
}

/* rg_sb_own_slots writes this join's owner id into the owner entries of
   sb's free slots (free_bits), so that its claims there need none: one
   write per run of adjacent free slots (posted remotely: no round trip,
   and one work request for a fresh superblock's). */

static __attribute__((noinline)) int
rg_sb_own_runs( rg_groove_t * g,
                uint64_t      sb,
                uint64_t      free_bits ) {
  int err = RG_SUCCESS;
  for( uint64_t f=free_bits; !err && f; ) { /* free_bits has fewer than 64 slots: a run ends below bit 64 */
    uint64_t i = (uint64_t)__builtin_ctzl( f ), run = (uint64_t)__builtin_ctzl( ~(f>>i) );
    err = rg_mem_write( g->mem, sb + RG_SB_OWNER_OFF + 4UL*i, g->own_run, 4UL*run );
    f &= ~(rg_full_mask( run )<<i);
  }
  return err;
}

int
rg_sb_own_slots( rg_groove_t * g,
                 uint64_t      sb,
                 uint64_t      free_bits ) {
  if( free_bits & (free_bits - 1UL) ) return rg_sb_own_runs( g, sb, free_bits );
  /* one slot or none, as a superblock a free revived has: one small store */
  return free_bits ? rg_mem_write( g->mem, sb + RG_SB_OWNER_OFF + 4UL*(uint64_t)__builtin_ctzl( free_bits ), g->own_run, 4UL ) : RG_SUCCESS;
}

/* rg_sb_held_set records that this join holds sb of class c (a held
   class), in place in the active slot at slot or out (slot 0). */

void
rg_sb_held_set( rg_groove_t * g,
                uint64_t      c,
                uint64_t      sb,
                uint64_t      free_bits,
                uint64_t      slot ) {
  rg_held_t * h = &g->held[ c ];
  h->sb      = sb;
  h->free    = free_bits;
  h->owned   = 0UL;
  h->slot    = slot;
  h->claimed = g->epoch;
}

static int
rg_sb_hold( rg_groove_t * g,
            uint64_t      c,
            uint64_t      sb,
            uint64_t      free_word,
            uint64_t      slot ) {
  int err = rg_client_held( g, c, sb );
  if( !err ) err = rg_sb_own_slots( g, sb, rg_sb_free_bits( free_word ) );
  if( err ) return err;
  rg_sb_held_set( g, c, sb, rg_sb_free_bits( free_word ), slot );
  g->held[ c ].owned = rg_sb_free_bits( free_word );
  return RG_SUCCESS;
}

/* rg_sb_format writes the header block of a new class-c superblock at
   sb, slot parent_idx of its parent, marked as this join's (it is born
   held), and clears its slots' headers: a free slot never shows a live
   header, whatever its memory held before. */

static int
rg_sb_format( rg_groove_t * g,
              uint64_t      sb,
              uint64_t      c,
              uint64_t      parent_idx ) {
  static __thread rg_sb_hdr_t h;
  uint64_t cnt = rg_groove_szc_cfg[ c ].obj_cnt;
  memset( &h, 0, sizeof(h) );
  h.bits  = rg_groove_sb_bits( c, parent_idx );
  h.free  = rg_full_mask( cnt ) | g->mark;
  h.check = rg_sb_check( g->key, sb, h.bits );
  int err = RG_SUCCESS;
  for( uint64_t i=0UL; !err && i<cnt; i++ ) err = rg_mem_store( g->mem, rg_groove_slot_off( sb, c, i ), 0UL );
  if( !err ) err = rg_mem_write( g->mem, sb, &h, sizeof(h) );
  return err;
}

/* rg_sb_drop_claim takes sb, which this join holds in place in the
   active slot at slot, out of it, then CASes its free word from f to 0
   (*old the word found): its last slots claimed.  Remotely both CASes go
   in one post (one round trip): if the claim finds others freed slots
   meanwhile, sb is out of the slot and still held, as after the drop
   alone. */

static int
rg_sb_drop_claim( rg_groove_t * g,
                  uint64_t      slot,
                  uint64_t      sb,
                  uint64_t      f,
                  uint64_t *    old ) {
  if( !rg_mem_round_trips( g->mem ) ) {
    int err = rg_slot_drop( g, slot, sb );
    return err ? err : rg_mem_cas( g->mem, sb + RG_SB_FREE_OFF, f, 0UL, old );
  }
  uint64_t was, t;
  rg_mem_req_t req[2] = { { .op = RG_MEM_OP_CAS, .off = slot,                .cmp = sb, .swp = 0UL, .old = &was },
                          { .op = RG_MEM_OP_CAS, .off = sb + RG_SB_FREE_OFF, .cmp = f,  .swp = 0UL, .old = old  } };
  int err = rg_client_op( g, RG_OP_SLOT, sb, slot );
  if( !err ) err = rg_mem_post( g->mem, req, 2UL, &t );
  if( !err ) err = rg_mem_wait( g->mem, t );
  if( !err && was!=sb )
    return rg_err( RG_ERR_CORRUPT, "active slot at %#lx holds %#lx, not the superblock %#lx this join holds there", slot, was, sb );
  return err;
}

/* rg_sb_claim claims the free slots bits of the class-c superblock sb
   that this join holds and lets it go: in place in slot, the claim and
   the letting go are one CAS; out of every container, it goes back
   after.  For the classes not held, child superblocks and spans.
   *free_word is the word known before and after. */

int
rg_sb_claim( rg_groove_t * g,
                    uint64_t      c,
                    uint64_t      sb,
                    uint64_t      slot,
                    uint64_t      bits,
                    uint64_t *    free_word ) {
  uint64_t f = *free_word;
  for(;;) {
    uint64_t left = rg_sb_free_bits( f ) & ~bits, old, in = slot;
    if( slot && !left ) slot = 0UL; /* its last slots: out of the slot first, nothing full stays in one */
    /* in place, let it go with the claim; out, keep holding it */
    uint64_t swp = slot || !left ? left : left | g->mark;
    int err = in && !slot ? rg_sb_drop_claim( g, in, sb, f, &old ) /* swp is 0 */
                          : rg_mem_cas( g->mem, sb + RG_SB_FREE_OFF, f, swp, &old );
    if( err ) return err;
    if( old==f ) {
      *free_word = swp;
      if( !slot && left ) return rg_sb_release( g, c, sb, 0UL );
      return rg_client_op( g, RG_OP_NONE, 0UL, 0UL );
    }
    if( rg_sb_mark( old )!=g->me || (old & bits)!=bits )
      return rg_err( RG_ERR_CORRUPT, "class %lu superblock at %#lx changed under its holder (free word %#lx)", c, sb, old );
    f = old; /* others freed slots meanwhile */
  }
}

/* rg_sb_new makes a new class-c superblock, marked as this join's and
   in no container (*sb, *free_word): in a slot of the parent class, or
   as a volume's top superblock. */

static int rg_sb_acquire_any( rg_groove_t * g, uint64_t c, uint64_t * sb, uint64_t * free_word, uint64_t * slot );

int
rg_sb_new( rg_groove_t * g,
              uint64_t      c,
              uint64_t *    sb,
              uint64_t *    free_word ) {
  uint64_t parent = rg_groove_szc_cfg[ c ].parent_szc;
  uint64_t cnt    = rg_groove_szc_cfg[ c ].obj_cnt;
  int      err;
  if( parent==RG_GROOVE_SZC_CNT ) {
    uint64_t vol;
    if( (err = rg_volume_take( g, &vol )) ) return err;
    *sb = vol + RG_VOL_HDR_SZ;
    if( (err = rg_sb_format( g, *sb, c, 0UL )) ) return err;
    *free_word = rg_full_mask( cnt ) | g->mark;
    return RG_SUCCESS;
  }
  uint64_t p, pf, pslot;
  if( (err = rg_sb_acquire_any( g, parent, &p, &pf, &pslot )) ) return err;
  uint64_t b = rg_lowest_bit( rg_sb_free_bits( pf ) ), x = (uint64_t)__builtin_ctzl( b );
  uint64_t s = rg_groove_slot_off( p, parent, x );
  if( RG_PARANOID && !rg_groove_sb_in_range( g, s ) )
    return rg_err( RG_ERR_CORRUPT, "new class %lu superblock at bad offset %#lx", c, s );
  /* the child's header before the claim that makes it reachable:
     a survivor finds it in the parent's free slot and clears it */
  if( (err = rg_client_made( g, p, x )) ) return err;
  if( (err = rg_sb_format( g, s, c, x )) ) return err;
  if( (err = rg_mem_write( g->mem, p + RG_SB_OWNER_OFF + 4UL*x, &(uint32_t){ (uint32_t)g->owner }, 4UL )) ) return err;
  if( (err = rg_sb_claim( g, parent, p, pslot, b, &pf )) ) return err;
  *sb        = s;
  *free_word = rg_full_mask( cnt ) | g->mark;
  return RG_SUCCESS;
}

/* rg_sb_find makes a new class-c superblock or takes another
   concurrency group's spare one, whichever suits this join.  A group
   that takes others' superblocks shares them with the groups that still
   free into them (each such free moves a cache line, or costs a retry
   remotely), so a join whose frees put superblocks of this class back
   into circulation (credit) makes its own, as it drains nobody; one that
   only allocates, a producer whose objects others free, takes the spare
   ones first, which keeps the pool from growing while the consumer's
   stack fills.  Either falls back on the other, so FULL means neither
   worked. */

static int
rg_sb_find( rg_groove_t * g,
            uint64_t      c,
            uint64_t *    sb,
            uint64_t *    free_word ) {
  int err;
  if( g->credit[ c ] ) {
    err = rg_sb_new( g, c, sb, free_word );
    if( !err ) g->credit[ c ]--;
    if( err!=RG_ERR_FULL ) return err;
    err = rg_stk_steal( g, c, sb, free_word );
    return err ? err : *sb ? RG_SUCCESS : RG_ERR_FULL;
  }
  err = rg_stk_steal( g, c, sb, free_word );
  return err || *sb ? err : rg_sb_new( g, c, sb, free_word );
}

/* rg_sb_acquire_any takes a class-c superblock for this join: marked in
   place in its active slot (*slot set), else off its inactive stack,
   made new or taken from another group, and then put into the active
   slot if that is empty (*slot set) or held out of every container
   (*slot 0). */

static int
rg_sb_acquire_any( rg_groove_t * g,
                   uint64_t      c,
                   uint64_t *    sb,
                   uint64_t *    free_word,
                   uint64_t *    slot ) {
  uint64_t w = rg_groove_active_off( g, c );
  for( uint64_t tries=0UL;; tries++ ) {
    int err = rg_slot_take( g, w, c, sb, free_word );
    if( err ) return err;
    if( *sb ) { *slot = w; return RG_SUCCESS; }
    err = rg_stk_pop_marked( g, rg_groove_inactive_off( g, c ), c, sb, free_word );
    if( !err && !*sb ) err = rg_sb_find( g, c, sb, free_word );
    if( !err ) {
      /* a class a join holds: held out of every container, so that the
         claim of its last slot is one atomic, not one more to take it out
         of the active slot; another class's goes into the slot if empty */
      int in = 0;
      if( c>=RG_GROOVE_HELD_SZC_CNT && (err = rg_slot_put( g, w, *sb, &in )) ) return err;
      *slot = in ? w : 0UL;
      return RG_SUCCESS;
    }
    if( err==RG_ERR_FULL ) { /* room in another group's active slot? */
      if( (err = rg_slot_steal( g, c, sb, free_word )) ) return err;
      if( *sb ) { *slot = 0UL; return RG_SUCCESS; }
      err = RG_ERR_FULL; /* rg_errmsg still says why, from rg_sb_find */
    }
    if( err!=RG_ERR_FULL || rg_groove_szc_cfg[ c ].parent_szc!=RG_GROOVE_SZC_CNT || !rg_full_pause( tries ) ) return err;
  }
}

/* rg_sb_spare_next: the last spare of class c, if any, becomes the one
   held next (none held next now), with the free bits its word shows now
   (mapped memory: a load).  The record names it as next before it stops
   naming it as a spare. */

static int
rg_sb_spare_next( rg_groove_t * g,
                  uint64_t      c ) {
  rg_held_t * h = &g->held[ c ];
  if( !h->spare_cnt ) return rg_client_next( g, c, 0UL );
  uint64_t k = h->spare_cnt - 1UL, s = h->spare[ k ], f;
  int err = rg_sb_load_free( g, s, &f );
  if( err ) return err;
  if( RG_UNLIKELY( rg_sb_mark( f )!=g->me ) )
    return rg_err( RG_ERR_CORRUPT, "spare superblock at %#lx: mark %lu while this join (%lu) holds it", s, rg_sb_mark( f ), g->me );
  if( (err = rg_client_next( g, c, s )) || (err = rg_client_spare( g, c, k, 0UL )) ) return err;
  h->next         = s;
  h->next_free    = rg_sb_free_bits( f );
  h->next_claimed = g->epoch;
  h->spare[ k ]   = 0UL;
  h->spare_cnt    = k;
  return RG_SUCCESS;
}

/* rg_sb_take_next: the superblock held next for class c becomes the
   one held.  The record names it as held before it stops naming it as
   next: a survivor finds it under one word or both, never under none. */

static int
rg_sb_take_next( rg_groove_t * g,
                 uint64_t      c,
                 uint64_t *    sb,
                 uint64_t *    free_word,
                 uint64_t *    slot ) {
  rg_held_t * h = &g->held[ c ];
  *sb        = h->next;
  *free_word = h->next_free | g->mark; /* a subset of its free bits: only its holder claims */
  *slot      = 0UL;
  int err = rg_sb_hold( g, c, *sb, *free_word, 0UL );
  if( err ) return err;
  h->next = h->next_free = 0UL;
  return rg_sb_spare_next( g, c );
}

int
rg_sb_acquire( rg_groove_t * g,
               uint64_t      c,
               uint64_t *    sb,
               uint64_t *    free_word,
               uint64_t *    slot ) {
  if( c<RG_GROOVE_HELD_SZC_CNT && g->held[ c ].next ) return rg_sb_take_next( g, c, sb, free_word, slot );
  int err = rg_sb_acquire_any( g, c, sb, free_word, slot );
  if( err || c>=RG_GROOVE_HELD_SZC_CNT ) return err;
  return rg_sb_hold( g, c, *sb, *free_word, *slot );
}

/* rg_sb_release puts sb, which this join holds (in place in slot, or
   out of every container with slot 0), back into circulation: an empty
   one back to its parent, a full one out of circulation, any other
   where others can take it. */

/* rg_sb_release_from: rg_sb_release with f a guess of sb's free word
   (a wrong one costs a retry). */

static int
rg_sb_release_from( rg_groove_t * g,
                    uint64_t      c,
                    uint64_t      sb,
                    uint64_t      slot,
                    uint64_t      f ) {
  uint64_t cnt = rg_groove_szc_cfg[ c ].obj_cnt;
  int err = RG_SUCCESS;
  for(;;) {
    if( err ) return err;
    if( rg_sb_mark( f )!=g->me )
      return rg_err( RG_ERR_CORRUPT, "superblock at %#lx: mark %lu while this join (%lu) holds it", sb, rg_sb_mark( f ), g->me );
    uint64_t bits = rg_sb_free_bits( f ), old;
    if( bits==rg_full_mask( cnt ) ) {
      if( slot && (err = rg_slot_drop( g, slot, sb )) ) return err;
      return rg_sb_destroy( g, c, sb );
    }
    if( !bits ) { /* full: out of circulation, unless a free lands meanwhile */
      if( slot && (err = rg_slot_drop( g, slot, sb )) ) return err;
      slot = 0UL;
      if( (err = rg_mem_cas( g->mem, sb + RG_SB_FREE_OFF, f, 0UL, &old )) ) return err;
      if( old==f ) return rg_client_op( g, RG_OP_NONE, 0UL, 0UL );
      f = old;
      continue;
    }
    if( !slot ) { /* into a container while still held, then let go */
      int in = 0;
      uint64_t w = rg_groove_active_off( g, c );
      int mine = c<RG_GROOVE_HELD_SZC_CNT && g->held[ c ].sb && g->held[ c ].slot==w; /* the slot holds its own: no try */
      if( !mine && (err = rg_slot_put( g, w, sb, &in )) ) return err;
      if( in ) slot = w;
      else if( (err = rg_stk_push_marked( g, rg_groove_inactive_off( g, c ), sb )) ) return err;
    }
    if( (err = rg_sb_unmark( g, sb, g->me, &f )) ) return err;
    return rg_client_op( g, RG_OP_NONE, 0UL, 0UL );
  }
}

int
rg_sb_release( rg_groove_t * g,
               uint64_t      c,
               uint64_t      sb,
               uint64_t      slot ) {
  uint64_t f;
  int err = rg_sb_load_free( g, sb, &f );
  return err ? err : rg_sb_release_from( g, c, sb, slot, f );
}

/* rg_sb_destroy returns sb (class c, empty, held by this join, in no
   container) to its parent: its slot there is freed like an object, or
   its volume goes back to the pool. */

int
rg_sb_destroy( rg_groove_t * g,
               uint64_t      c,
               uint64_t      sb ) {
  uint64_t bits;
  int err = rg_client_op( g, RG_OP_DESTROY, sb, 0UL );
  if( !err ) err = rg_mem_load( g->mem, sb, &bits );
  if( err ) return err;
  if( c<RG_GROOVE_HELD_SZC_CNT && g->held[ c ].sb==sb ) {
    g->held[ c ].sb = 0UL;
    if( (err = rg_client_held( g, c, 0UL )) ) return err;
  }
  uint64_t parent = rg_groove_szc_cfg[ c ].parent_szc;
  if( parent==RG_GROOVE_SZC_CNT ) {
    if( (err = rg_mem_store( g->mem, sb, 0UL )) ) return err;
    err = rg_volume_give_back( g, sb - RG_VOL_HDR_SZ );
  } else {
    err = rg_slot_free( g, sb, parent, rg_groove_hdr_idx( bits ), 1 );
    if( err==RG_ERR_INVAL ) err = rg_err( RG_ERR_CORRUPT, "empty class %lu superblock at %#lx: its parent is damaged (%s)", c, sb, rg_errmsg() );
  }
  if( !err ) err = rg_client_op( g, RG_OP_NONE, 0UL, 0UL );
  return err;
}

/* rg_sb_spare: keep the revived sb as a spare of class c, named by its
   record word before the freeing word stops naming it.  No room puts it
   back, and so does memory a round trip away, where frees in flight
   would have to track the spares' bits as they do the next one's. */

static int
rg_sb_spare( rg_groove_t * g,
             uint64_t      c,
             uint64_t      sb,
             uint64_t      free_word ) {
  rg_held_t * h = &g->held[ c ];
  uint64_t    k = h->spare_cnt;
  if( !rg_mem_is_mapped( g->mem ) || k==RG_SPARE_CNT ) return rg_sb_release_from( g, c, sb, 0UL, free_word );
  int err = rg_client_spare( g, c, k, sb );
  if( err ) return err;
  h->spare[ k ] = sb;
  h->spare_cnt  = k + 1UL;
  return RG_SUCCESS;
}

/* rg_sb_revived: this join's free just marked sb as its own while
   setting a bit there (sb was full, out of circulation; the record's
   freeing word names it).  Hold it if the join holds none of the class
   (its next alloc takes it from here), else hold it next if it holds
   none next (the alloc that fills the held one takes it), else keep it
   as a spare or put it back.  In a steady mix of allocs and frees most
   revived superblocks are taken this way, with no atomic beyond the
   free's own. */

int
rg_sb_revived( rg_groove_t * g,
               uint64_t      c,
               uint64_t      sb,
               uint64_t      free_word ) {
  if( g->credit[ c ]<RG_GROOVE_CREDIT_MAX ) g->credit[ c ]++;
  if( c>=RG_GROOVE_HELD_SZC_CNT ) return rg_sb_release_from( g, c, sb, 0UL, free_word );
  rg_held_t * h = &g->held[ c ];
  if( !h->sb ) return rg_sb_hold( g, c, sb, free_word, 0UL ); /* held out, as rg_sb_acquire's */
  if( h->next ) return rg_sb_spare( g, c, sb, free_word );
  int err = rg_client_next( g, c, sb );
  if( err ) return err;
  h->next         = sb;
  h->next_free    = rg_sb_free_bits( free_word );
  h->next_claimed = g->epoch; /* frees in flight posted before knew it in another state */
  return RG_SUCCESS;
}

/* rg_sb_reclaim: a free just emptied a class-c superblock in
   circulation (wide: the one at offset wide, emptied by destroying a
   child).  Destroy empty ones found where this join looks first:
   its active slot, then the top of its inactive stack (up to
   RG_RECLAIM_MAX).  An empty superblock of a class that is not held
   (objects above 9.5 KiB, spans too) stays in the active slot as its
   group's spare: without it, every alloc+free of such an object made and
   destroyed a superblock and the chain of parents above it, up to the
   volume, and other joins found the pool full meanwhile.  A trim, the
   join's leave, or an allocation that finds the pool full takes the
   spares back; one in another group's slot is taken out of it and used
   (rg_slot_steal).  Over a round trip transport a look that found
   nothing makes the next 63 emptying frees of the class skip it.  What
   this misses, the join's leave (its own group's containers) or
   rg_groove_trim (everyone's) returns. */

/* rg_sb_reclaim_wide looks for the empty superblock it in every group's
   active slot and stack top of class c: a parent that a destroyed child
   emptied sits in whichever group last put it back.  Destructions are
   rare, so this look at up to 128 words is too. */

static int
rg_sb_reclaim_wide( rg_groove_t * g,
                    uint64_t      c,
                    uint64_t      it ) {
  uint64_t full = rg_full_mask( rg_groove_szc_cfg[ c ].obj_cnt ), sb, f, s;
  for( uint64_t cg=0UL; cg<=rg_groove_szc_cfg[ c ].cgroup_mask; cg++ ) {
    uint64_t w = rg_groove_active_cg_off( g, c, cg ), stk = rg_groove_inactive_cg_off( g, c, cg );
    int err = rg_mem_load( g->mem, w, &s );
    if( !err && s==it && !(err = rg_slot_take( g, w, c, &sb, &f )) && sb ) {
      if( rg_sb_free_bits( f )!=full || sb!=it ) return rg_sb_release( g, c, sb, w );
      if( (err = rg_slot_drop( g, w, sb )) ) return err;
      return rg_sb_destroy( g, c, sb );
    }
    if( !err ) err = rg_mem_load( g->mem, stk, &s );
    if( !err && rg_stk_off( s )==it && !(err = rg_stk_pop_marked( g, stk, c, &sb, &f )) && sb )
      return rg_sb_free_bits( f )==full ? rg_sb_destroy( g, c, sb ) : rg_sb_release( g, c, sb, 0UL );
    if( err ) return err;
  }
  return RG_SUCCESS;
}

int
rg_sb_reclaim( rg_groove_t * g,
               uint64_t      c,
               uint64_t      wide ) {
  uint64_t full = rg_full_mask( rg_groove_szc_cfg[ c ].obj_cnt ), sb, f, meta[ RG_SB_META_WORDS ];
  if( wide ) return rg_sb_reclaim_wide( g, c, wide );
  if( g->reclaim_skip[ c ] ) { g->reclaim_skip[ c ]--; return RG_SUCCESS; }
  uint64_t w = rg_groove_active_off( g, c ), s = 0UL;
  int spare = c>=RG_GROOVE_HELD_SZC_CNT;
  int moved = 0, err = spare ? RG_SUCCESS : rg_mem_load( g->mem, w, &s );
  if( !err && s && !(err = rg_sb_read_meta( g, w, s, s, c, meta, &moved )) && !moved && meta[2]==full ) {
    if( !(err = rg_slot_take( g, w, c, &sb, &f )) && sb ) {
      if( rg_sb_free_bits( f )==full ) err = rg_slot_drop( g, w, sb );
      err = err ? err : rg_sb_free_bits( f )==full ? rg_sb_destroy( g, c, sb ) : rg_sb_release( g, c, sb, w );
    }
  }
  uint64_t stk = rg_groove_inactive_off( g, c ), destroyed = 0UL;
  for( uint64_t n=0UL; !err && n<RG_RECLAIM_MAX; n++ ) {
    uint64_t top;
    if( (err = rg_mem_load( g->mem, stk, &top )) ) break;
    if( !rg_stk_off( top ) ) break;
    if( (err = rg_sb_read_meta( g, stk, top, rg_stk_off( top ), c, meta, &moved )) || moved ) break;
    if( meta[2]!=full ) break; /* not empty, or held: leave the stack alone */
    if( (err = rg_stk_pop_marked( g, stk, c, &sb, &f )) || !sb ) break;
    err = rg_sb_free_bits( f )==full ? rg_sb_destroy( g, c, sb ) : rg_sb_release( g, c, sb, 0UL );
    destroyed++;
  }
  if( !err && !destroyed && rg_mem_round_trips( g->mem ) ) g->reclaim_skip[ c ] = 63UL;
  return err;
}

int
rg_groove_flush( rg_groove_t * g ) {
  int err = rg_groove_writable( g );
  if( err ) return err;
  if( (err = rg_free_settle( g )) ) return err;
  for( uint64_t c=0UL; c<RG_GROOVE_HELD_SZC_CNT; c++ ) {
    rg_held_t h = g->held[ c ];
    for( uint64_t k=h.spare_cnt; k--; ) {
      g->held[ c ].spare[ k ] = 0UL;
      g->held[ c ].spare_cnt  = k;
      if( (err = rg_sb_release( g, c, h.spare[ k ], 0UL )) ) return err;
      if( (err = rg_client_spare( g, c, k, 0UL )) ) return err;
    }
    if( h.next ) {
      g->held[ c ].next = g->held[ c ].next_free = 0UL;
      if( (err = rg_sb_release( g, c, h.next, 0UL )) ) return err;
      if( (err = rg_client_next( g, c, 0UL )) ) return err;
    }
    if( !h.sb ) continue;
    g->held[ c ].sb = 0UL;
    if( (err = rg_sb_release( g, c, h.sb, h.slot )) ) return err;
    if( (err = rg_client_held( g, c, 0UL )) ) return err;
  }
  return RG_SUCCESS;
}

/* rg_trim_slot / rg_trim_stack: destroy the empty superblocks of one
   container; others' held ones stay. */

static int
rg_trim_slot( rg_groove_t * g,
              uint64_t      c,
              uint64_t      w,
              uint64_t *    trimmed ) {
  uint64_t full = rg_full_mask( rg_groove_szc_cfg[ c ].obj_cnt ), sb, f;
  int err = rg_slot_take( g, w, c, &sb, &f );
  if( err || !sb ) return err;
  if( rg_sb_free_bits( f )!=full ) return rg_sb_release( g, c, sb, w );
  if( (err = rg_slot_drop( g, w, sb )) ) return err;
  (*trimmed)++;
  return rg_sb_destroy( g, c, sb );
}

/* rg_trim_stack destroys the empty superblocks of a stack.  Shallow, it
   stops at the first that is not empty (or is held).  Deep, it pops
   every superblock it can, sets the others aside on a chain its record
   names (their links: a survivor of this join finds them all) and
   pushes them back, in their order, after. */

static int
rg_trim_stack( rg_groove_t * g,
               uint64_t      c,
               uint64_t      stk,
               int           deep,
               uint64_t *    trimmed ) {
  uint64_t full = rg_full_mask( rg_groove_szc_cfg[ c ].obj_cnt ), meta[ RG_SB_META_WORDS ], head = 0UL, sb, f;
  int err = RG_SUCCESS;
  for(;;) {
    uint64_t top;
    int moved;
    if( (err = rg_mem_load( g->mem, stk, &top )) || !rg_stk_off( top ) ) break;
    if( (err = rg_sb_read_meta( g, stk, top, rg_stk_off( top ), c, meta, &moved )) ) break;
    if( moved ) continue;
    if( !deep && meta[2]!=full ) break;
    if( (err = rg_stk_pop_marked( g, stk, c, &sb, &f )) || !sb ) break;
    if( rg_sb_free_bits( f )==full ) {
      (*trimmed)++;
      if( (err = rg_sb_destroy( g, c, sb )) ) break;
      continue;
    }
    if( !deep ) { err = rg_sb_release( g, c, sb, 0UL ); break; }
    if( (err = rg_mem_store( g->mem, sb + RG_SB_INFO_OFF, head )) ) break;
    if( (err = rg_client_aside( g, sb )) ) break;
    head = sb;
  }
  while( head ) { /* named by the op before the chain lets go of it */
    uint64_t next;
    int e = rg_mem_load( g->mem, head + RG_SB_INFO_OFF, &next );
    if( !e ) e = rg_client_op( g, RG_OP_PUSH, head, stk );
    if( !e ) e = rg_client_aside( g, next );
    if( !e ) e = rg_stk_push_marked( g, stk, head );
    if( !e ) { f = 0UL; e = rg_sb_unmark( g, head, g->me, &f ); }
    if( e ) return err ? err : e;
    head = next;
  }
  if( !err ) err = rg_client_op( g, RG_OP_NONE, 0UL, 0UL );
  return err;
}

/* rg_trim_groups destroys the empty superblocks in the containers of
   the concurrency groups of every class: all of them, each stack deep,
   or (all 0) the tops of this join's own group of the held classes and
   of every group of the others (the classes parents belong to, whose
   superblocks any group may have put back: 139 slots and stacks). */

static int
rg_trim_groups( rg_groove_t * g,
                int           all,
                uint64_t *    n ) {
  int err = RG_SUCCESS;
  for( uint64_t c=0UL; !err && c<RG_GROOVE_SZC_CNT; c++ ) { /* children first: their parents may empty */
    uint64_t mine = rg_groove_cg( g, c );
    for( uint64_t cg=0UL; !err && cg<=rg_groove_szc_cfg[ c ].cgroup_mask; cg++ ) {
      if( !all && c<RG_GROOVE_HELD_SZC_CNT && cg!=mine ) continue;
      err = rg_trim_slot( g, c, rg_groove_active_cg_off( g, c, cg ), n );
      if( !err ) err = rg_trim_stack( g, c, rg_groove_inactive_cg_off( g, c, cg ), all, n );
    }
  }
  return err;
}

int
rg_sb_trim_own( rg_groove_t * g ) {
  uint64_t n = 0UL;
  return rg_trim_groups( g, 0, &n );
}

int
rg_groove_trim( rg_groove_t * g,
                uint64_t *    trimmed ) {
  uint64_t n = 0UL;
  int err = rg_groove_flush( g );
  if( !err ) err = rg_trim_groups( g, 1, &n );
  if( trimmed ) *trimmed = n;
  return err;
}

int
rg_full_pause( uint64_t tries ) {
  if( tries>=RG_FULL_RETRIES ) return 0;
  struct timespec pause = { 0, 10000L<<(tries<8UL ? tries : 8UL) }; /* 10 us doubling to 2.56 ms */
  nanosleep( &pause, NULL );
  return 1;
}
