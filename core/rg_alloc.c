/* Allocation and free: the seed's circulation of superblocks (active
   slots, inactive stacks, full superblocks out of circulation) written
   against the memory-operation interface.  groove-spec.md sections 5
   and 6 describe every step; comments here note where rgroove differs. */

#include "rg_groove_private.h"

#include <time.h>

/* How often an allocation that found no volume looks for a superblock
   again before returning RG_ERR_FULL (about 20 ms in all). */
#define RG_FULL_RETRIES (12UL)

static inline uint64_t rg_lowest_bit( uint64_t x ) { return x & (0UL - x); }

/* rg_full_mask: the free bitfield of an empty superblock of cnt slots
   (mask compares instead of popcounts: baseline x86-64 has no popcnt) */

static inline uint64_t rg_full_mask( uint64_t cnt ) { return (1UL<<cnt) - 1UL; }

static inline int
rg_bits_in_range( uint64_t f,
                  uint64_t cnt ) {
  return !(f>>cnt); /* cnt <= 51 in the table */
}

/* Inactive stacks ****************************************************/

int
rg_groove_stack_push( rg_groove_t * g,
                      uint64_t      szc,
                      uint64_t      sb ) {
  rg_mem_t const * m   = g->mem;
  uint64_t         stk = rg_groove_inactive_off( g, szc );
  uint64_t         w;
  int err = rg_mem_load( m, stk, &w );
  for(;;) {
    if( err ) return err;
    /* publish after write: the link is stored before the CAS that
       makes sb reachable */
    err = rg_mem_store( m, sb + RG_SB_INFO_OFF, rg_stk_off( w ) );
    if( err ) return err;
    uint64_t old;
    err = rg_mem_cas( m, stk, w, rg_stk_next( w, sb ), &old );
    if( !err && old==w ) return RG_SUCCESS;
    w = old;
  }
}

/* rg_groove_stack_pop_at pops the stack at region offset stk. */

static int
rg_groove_stack_pop_at( rg_groove_t * g,
                        uint64_t      stk,
                        uint64_t      szc,
                        uint64_t *    sb ) {
  rg_mem_t const * m = g->mem;
  uint64_t         w;
  int err = rg_mem_load( m, stk, &w );
  for(;;) {
    if( err ) return err;
    uint64_t top = rg_stk_off( w );
    if( !top ) { *sb = 0UL; return RG_SUCCESS; }
    if( !rg_groove_sb_in_range( g, top ) )
      return rg_err( RG_ERR_CORRUPT, "inactive stack %lu holds offset %#lx outside the volumes", szc, top );
    uint64_t next; /* may be stale if top was popped meanwhile: the versioned CAS catches it */
    err = rg_mem_load( m, top + RG_SB_INFO_OFF, &next );
    if( err ) return err;
    uint64_t old;
    err = rg_mem_cas( m, stk, w, rg_stk_next( w, next ), &old );
    if( !err && old==w ) { *sb = top; return RG_SUCCESS; }
    w = old;
  }
}

int
rg_groove_stack_pop( rg_groove_t * g,
                     uint64_t      szc,
                     uint64_t *    sb ) {
  return rg_groove_stack_pop_at( g, rg_groove_inactive_off( g, szc ), szc, sb );
}

/* rg_groove_stack_steal pops a superblock off another concurrency
   group's stack of class szc (*sb 0 if all are empty).  Remotely the
   tops of groups 1..63 are read in one request (one word per line). */

int
rg_groove_stack_steal( rg_groove_t * g,
                       uint64_t      szc,
                       uint64_t *    sb ) {
  uint64_t mask = rg_groove_szc_cfg[ szc ].cgroup_mask;
  uint64_t mine = g->cgroup_hint & mask;
  uint64_t top[ RG_GROOVE_CGROUP_MAX ] = {0};
  int err = RG_SUCCESS;
  *sb = 0UL;
  if( !mask ) return RG_SUCCESS;
  if( rg_mem_round_trips( g->mem ) ) {
    uint64_t const stride = RG_STK_LINE/8UL;
    uint64_t lines[ (RG_GROOVE_CGROUP_MAX-1UL)*(RG_STK_LINE/8UL) ];
    err = rg_mem_read( g->mem, rg_groove_inactive_cg_off( g, szc, 1UL ), lines, RG_STK_LINE*(mask-1UL) + 8UL );
    for( uint64_t cg=1UL; !err && cg<=mask; cg++ ) top[ cg ] = lines[ stride*(cg-1UL) ];
    if( !err ) err = rg_mem_load( g->mem, rg_groove_inactive_cg_off( g, szc, 0UL ), top );
  }
  for( uint64_t i=1UL; !err && i<=mask; i++ ) {
    uint64_t cg = (mine + i) & mask, stk = rg_groove_inactive_cg_off( g, szc, cg );
    if( !rg_mem_round_trips( g->mem ) ) err = rg_mem_load( g->mem, stk, &top[ cg ] );
    if( err || !rg_stk_off( top[ cg ] ) ) continue;
    err = rg_groove_stack_pop_at( g, stk, szc, sb );
    if( err || *sb ) break;
  }
  return err;
}

/* Allocation **********************************************************/

static int rg_groove_take_obj( rg_groove_t * g, uint64_t c, uint64_t * obj, uint64_t * idx );

/* rg_groove_sb_create makes a new class-c superblock, exclusively held
   by the caller, in a slot of the parent class or in a whole volume. */

static int
rg_groove_sb_create( rg_groove_t * g,
                     uint64_t      c,
                     uint64_t *    sb_out ) {
  rg_mem_t const * m      = g->mem;
  uint64_t         parent = rg_groove_szc_cfg[ c ].parent_szc;
  uint64_t         sb, parent_idx;
  int              err;
  if( parent==RG_GROOVE_SZC_CNT ) {
    uint64_t vi;
    err = rg_groove_pool_acquire( g, &vi );
    if( err==RG_ERR_EMPTY ) return rg_err( RG_ERR_FULL, "pool full: every volume is in use (add volumes or free objects)" );
    if( err ) return err;
    uint64_t vol = rg_groove_vol_off( g, vi );
    if( RG_PARANOID ) {
      uint64_t hdr[4];
      err = rg_mem_read_words( m, vol, hdr, 4UL );
      if( err ) return err;
      if( hdr[0]!=~RG_VOLUME_MAGIC || hdr[1]!=vi || hdr[3]>RG_VOLUME_INFO_MAX )
        return rg_err( RG_ERR_CORRUPT, "volume %lu from the pool has a bad header (magic %#lx idx %lu)", vi, hdr[0], hdr[1] );
    }
    err = rg_mem_store( m, vol + RG_VOL_MAGIC_OFF, RG_VOLUME_MAGIC );
    if( err ) return err;
    sb         = vol + RG_VOL_HDR_SZ;
    parent_idx = 0UL;
  } else {
    err = rg_groove_take_obj( g, parent, &sb, &parent_idx );
    if( err ) return err;
  }
  if( RG_PARANOID && !rg_groove_sb_in_range( g, sb ) )
    return rg_err( RG_ERR_CORRUPT, "new class %lu superblock at bad offset %#lx", c, sb );

  uint64_t cnt     = rg_groove_szc_cfg[ c ].obj_cnt;
  uint64_t meta[3] = { rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_SUPERBLOCK, parent_idx, c, 16UL, rg_groove_sb_sz( c ) ),
                       0UL, rg_full_mask( cnt ) };
  err = rg_mem_write_words( m, sb, meta, 3UL );
  if( err ) return err;
  *sb_out = sb;
  return RG_SUCCESS;
}

/* rg_groove_sb_find makes a new class-c superblock or takes another
   concurrency group's spare one, whichever suits this join.  A group
   that takes others' superblocks shares them with the groups that
   still free into them (each such free moves a cache line, or costs a
   retry remotely: two random workers sharing a pool ran 25% slower per
   step than two pools).  So a join whose frees put superblocks of this
   class back into circulation (create credit) makes its own, as it
   drains nobody; one that only allocates, a producer whose objects
   others free, takes the spare ones first, which keeps the pool from
   growing while the consumer's stack fills.  Either falls back on the
   other, so FULL means neither worked. */

static int
rg_groove_sb_find( rg_groove_t * g,
                   uint64_t      c,
                   uint64_t *    sb ) {
  int err;
  if( g->create_credit[ c ] ) {
    err = rg_groove_sb_create( g, c, sb );
    if( !err ) g->create_credit[ c ]--;
    if( err!=RG_ERR_FULL ) return err;
    err = rg_groove_stack_steal( g, c, sb );
    return err ? err : *sb ? RG_SUCCESS : RG_ERR_FULL;
  }
  err = rg_groove_stack_steal( g, c, sb );
  return err || *sb ? err : rg_groove_sb_create( g, c, sb );
}

/* rg_groove_sb_acquire takes a class-c superblock out of circulation
   for the caller: this join's active slot, else its inactive stack,
   else a new one or another group's (rg_groove_sb_find). */

static int
rg_groove_sb_acquire( rg_groove_t * g,
                      uint64_t      c,
                      uint64_t *    sb ) {
  uint64_t slot = rg_groove_active_off( g, c );
  int      err;
  for( uint64_t tries=0UL;; tries++ ) {
    *sb = g->slot_seen[ c ];
    err = rg_mem_xchg( g->mem, slot, 0UL, sb );
    if( err ) return err;
    g->slot_seen[ c ] = 0UL;
    if( !*sb ) err = rg_groove_stack_pop( g, c, sb );
    if( !err && !*sb ) err = rg_groove_sb_find( g, c, sb );
    /* No volume left does not yet mean full: a volume's top superblock
       is out of circulation while another client carves a slot from it
       (microseconds over RDMA).  Look again a few times, backing off,
       before saying FULL. */
    if( err!=RG_ERR_FULL || rg_groove_szc_cfg[ c ].parent_szc!=RG_GROOVE_SZC_CNT || tries>=RG_FULL_RETRIES ) return err;
    struct timespec pause = { 0, 10000L<<(tries<8UL ? tries : 8UL) }; /* 10 us doubling to 2.56 ms */
    nanosleep( &pause, NULL );
  }
}

/* rg_groove_sb_claim clears one free bit of the class-c superblock sb,
   just acquired (state X: only we may clear its bits).  *b gets the bit
   and *old the bitfield before. */

static int
rg_groove_sb_claim( rg_groove_t * g,
                    uint64_t      c,
                    uint64_t      sb,
                    uint64_t *    b,
                    uint64_t *    old ) {
  rg_mem_t const * m   = g->mem;
  uint64_t         cnt = rg_groove_szc_cfg[ c ].obj_cnt;
  int              err;
  if( rg_mem_round_trips( m ) && sb==g->sb_seen[ c ] && g->free_seen[ c ] ) {
    /* Remote, and a superblock this join validated before: claim with a
       CAS seeded by the bitfield left there last time, one round trip
       instead of a read and a fetch-and-sub.  Others can only have set
       bits since (we hold it), so a wrong seed costs one retry. */
    uint64_t f = g->free_seen[ c ];
    for(;;) {
      *b  = rg_lowest_bit( f );
      err = rg_mem_cas( m, sb + RG_SB_FREE_OFF, f, f & ~*b, old );
      if( err ) return err;
      if( *old==f ) return RG_SUCCESS;
      if( !*old || !rg_bits_in_range( *old, cnt ) )
        return rg_err( RG_ERR_CORRUPT, "class %lu superblock at %#lx in circulation has bitfield %#lx", c, sb, *old );
      f = *old;
    }
  }
  uint64_t meta[3];
  err = rg_mem_read_words( m, sb, meta, 3UL );
  if( err ) return err;
  uint64_t f = meta[2];
  if( RG_PARANOID && ( !rg_groove_sb_in_range( g, sb ) ||
                       rg_groove_hdr_type( meta[0] )!=RG_GROOVE_HDR_TYPE_SUPERBLOCK ||
                       rg_groove_hdr_szc ( meta[0] )!=c || !f || !rg_bits_in_range( f, cnt ) ) )
    return rg_err( RG_ERR_CORRUPT, "class %lu superblock at %#lx in circulation is bad (bits %#lx free %#lx)", c, sb, meta[0], f );
  *b  = rg_lowest_bit( f );
  err = rg_mem_fetch_clear_bit( m, sb + RG_SB_FREE_OFF, *b, old );
  if( err ) return err;
  if( RG_PARANOID && ( !(*old & *b) || !rg_bits_in_range( *old, cnt ) ) )
    return rg_err( RG_ERR_CORRUPT, "class %lu superblock at %#lx: claimed bit %#lx from bitfield %#lx", c, sb, *b, *old );
  return RG_SUCCESS;
}

/* rg_groove_slot_at: offset and index of the slot of bit b in the
   class-c superblock sb. */

static inline void
rg_groove_slot_at( uint64_t   sb,
                   uint64_t   c,
                   uint64_t   b,
                   uint64_t * obj,
                   uint64_t * idx ) {
  uint64_t i = (uint64_t)__builtin_ctzl( b );
  *obj = sb + RG_GROOVE_BLOCK_FOOTPRINT + i*(uint64_t)rg_groove_szc_cfg[ c ].obj_footprint;
  *idx = i;
}

/* Superblocks held across allocations.

   The seed takes a superblock out of the active slot, claims a slot and
   puts the superblock back: two exchanges on a shared word around every
   claim.  For the small classes a join keeps the superblock instead
   (held_sb) until it claims the last free slot, so an allocation is one
   fetch-and-sub on the bitfield (one round trip remotely), with nothing
   read first: the bits left in held_free are still free, since only the
   holder clears bits.  A held superblock is out of circulation exactly
   as the seed's is during its alloc, only for longer; rg_groove_flush
   (and leave) put it back, and rg_groove_recover finds the ones of a
   client that died.  A free that revives a full superblock of a class
   this join holds none of keeps it as held: no exchange through the
   active slot and back.  The larger classes keep the seed's put-back: their
   superblocks are big and shared by few concurrency groups. */

static inline void
rg_groove_hold( rg_groove_t * g,
                uint64_t      c,
                uint64_t      sb,
                uint64_t      b,
                uint64_t      old ) {
  g->held_sb  [ c ] = old!=b ? sb : 0UL; /* kept while slots remain; a full one is out of circulation */
  g->held_free[ c ] = old & ~b;
}

/* rg_groove_take_new claims one slot of class c from a superblock it
   takes out of circulation; then holds it, or puts it back. */

static int
rg_groove_take_new( rg_groove_t * g,
                    uint64_t      c,
                    uint64_t *    obj,
                    uint64_t *    idx ) {
  rg_mem_t const * m = g->mem;
  uint64_t         sb, b = 0UL, old = 0UL;
  int err = rg_groove_sb_acquire( g, c, &sb );
  if( !err ) err = rg_groove_sb_claim( g, c, sb, &b, &old );
  if( err ) return err;

  if( c<RG_GROOVE_HELD_SZC_CNT ) rg_groove_hold( g, c, sb, b, old );
  else {
    if( rg_mem_round_trips( m ) ) { g->sb_seen[ c ] = sb; g->free_seen[ c ] = old & ~b; }
    if( old!=b ) { /* slots remain: back into circulation */
      uint64_t displaced = 0UL; /* we emptied the slot above */
      err = rg_mem_xchg( m, rg_groove_active_off( g, c ), sb, &displaced );
      if( err ) return err;
      g->slot_seen[ c ] = sb;
      if( displaced ) err = rg_groove_stack_push( g, c, displaced );
      if( err ) return err;
    }
  }
  rg_groove_slot_at( sb, c, b, obj, idx );
  return RG_SUCCESS;
}

/* rg_groove_held_claim claims the lowest slot known free in sb, the
   class-c superblock this join holds, through m (g's memory). */

static inline int
rg_groove_held_claim( rg_groove_t *    g,
                      rg_mem_t const * m,
                      uint64_t         c,
                      uint64_t         sb,
                      uint64_t *       obj,
                      uint64_t *       idx ) {
  uint64_t b = rg_lowest_bit( g->held_free[ c ] ), old;
  int err = rg_mem_fetch_clear_bit( m, sb + RG_SB_FREE_OFF, b, &old );
  if( RG_UNLIKELY( err ) ) return err;
  if( RG_PARANOID && RG_UNLIKELY( !(old & b) || !rg_bits_in_range( old, rg_groove_szc_cfg[ c ].obj_cnt ) ) )
    return rg_err( RG_ERR_CORRUPT, "held class %lu superblock at %#lx: claimed bit %#lx from bitfield %#lx", c, sb, b, old );
  rg_groove_hold( g, c, sb, b, old );
  rg_groove_slot_at( sb, c, b, obj, idx );
  return RG_SUCCESS;
}

/* rg_groove_take_obj claims one slot of class c and returns its offset
   and index: from the superblock this join holds, else through
   rg_groove_take_new. */

static int
rg_groove_take_obj( rg_groove_t * g,
                    uint64_t      c,
                    uint64_t *    obj,
                    uint64_t *    idx ) {
  uint64_t sb = c<RG_GROOVE_HELD_SZC_CNT ? g->held_sb[ c ] : 0UL;
  return sb ? rg_groove_held_claim( g, g->mem, c, sb, obj, idx ) : rg_groove_take_new( g, c, obj, idx );
}

/* rg_groove_obj_init writes, through m, the header of the class-c
   object just claimed at obj (slot idx) and returns its first byte in
   *obj_off. */

static inline int
rg_groove_obj_init( rg_mem_t const * m,
                    uint64_t         obj,
                    uint64_t         idx,
                    uint64_t         c,
                    uint64_t         align,
                    uint64_t         sz,
                    uint64_t         tag,
                    uint64_t *       obj_off ) {
  uint64_t hdr[2] = { rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_ALLOC, idx, c, align, sz ), tag };
  int err = rg_mem_write_words( m, obj, hdr, 2UL );
  if( RG_UNLIKELY( err ) ) return err;
  *obj_off = obj + rg_groove_obj_offset( align );
  return RG_SUCCESS;
}

/* rg_groove_alloc_slow: rg_groove_alloc of a checked request, any
   case. */

static __attribute__((noinline)) int
rg_groove_alloc_slow( rg_groove_t * g,
                      uint64_t      footprint,
                      uint64_t      align,
                      uint64_t      sz,
                      uint64_t      tag,
                      uint64_t *    obj_off ) {
  uint64_t c   = rg_groove_szc_of( footprint );
  uint64_t obj = 0UL, idx = 0UL;
  int err = rg_groove_take_obj( g, c, &obj, &idx );
  return err ? err : rg_groove_obj_init( g->mem, obj, idx, c, align, sz, tag, obj_off );
}

/* The fast paths of alloc and free: memory mapped here, this join's
   held superblock.  A locked instruction waits for every earlier store
   to drain, spilled registers and return addresses included (measured:
   the pair's two atomics alone take 12.7 ns here, and each store before
   them 0.35 ns more), so these paths call nothing but their slow paths,
   as tail calls, and use a copy of the rg_mem_t: with no store able to
   change the copy, the mapping's base stays in a register. */

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
  if( RG_UNLIKELY( (align & (align-1UL)) || align>RG_GROOVE_ALIGN_MAX ) )
    return rg_err( RG_ERR_INVAL, "bad align %lu: use a power of two up to %lu, or 0 for %lu", align, RG_GROOVE_ALIGN_MAX, RG_GROOVE_ALIGN_DEFAULT );
  uint64_t off_obj   = rg_groove_obj_offset( align );
  uint64_t footprint = (off_obj + sz + RG_GROOVE_BLOCK_FOOTPRINT - 1UL) & ~(RG_GROOVE_BLOCK_FOOTPRINT-1UL);
  if( RG_UNLIKELY( sz>=footprint || footprint>RG_GROOVE_FOOTPRINT_MAX ) )
    return rg_err( RG_ERR_INVAL, "bad size %lu with align %lu: at most %lu bytes", sz, align, RG_GROOVE_FOOTPRINT_MAX - off_obj );

  uint64_t blocks = footprint>>9; /* the small table's classes are the held ones */
  if( RG_UNLIKELY( blocks>RG_GROOVE_SMALL_BLOCKS || !rg_mem_is_mapped( g->mem ) ) )
    return rg_groove_alloc_slow( g, footprint, align, sz, tag, obj_off );
  uint64_t c  = rg_groove_szc_small[ blocks-1UL ];
  uint64_t sb = g->held_sb[ c ];
  if( RG_UNLIKELY( !sb ) ) return rg_groove_alloc_slow( g, footprint, align, sz, tag, obj_off );
  rg_mem_t const m   = *g->mem;
  uint64_t       obj = 0UL, idx = 0UL;
  int err = rg_groove_held_claim( g, &m, c, sb, &obj, &idx );
  return RG_UNLIKELY( err ) ? err : rg_groove_obj_init( &m, obj, idx, c, align, sz, tag, obj_off );
}

/* Free ****************************************************************/

static int rg_groove_slot_free( rg_groove_t * g, uint64_t h, uint64_t c, uint64_t idx );

/* rg_groove_reclaim: a class-c superblock just became empty.  It stays
   in circulation (someone may be allocating from it); instead try to
   destroy one other superblock off the inactive stack if it is empty
   too, returning its slot to the parent class, or its volume to the
   pool (seed: at most one per event). */

static int
rg_groove_reclaim( rg_groove_t * g,
                   uint64_t      c ) {
  rg_mem_t const * m   = g->mem;
  uint64_t         cnt = rg_groove_szc_cfg[ c ].obj_cnt;
  uint64_t         t, w;

  /* Peek before popping: the seed popped the top and pushed it back when
     it was not empty, two CASes on a word every free-er shares; a look
     at the top's bitfield leaves the stack alone in that common case.
     Remotely a peek is a round trip: after finding the stack empty, the
     next 63 empty events of the class skip it (reclaim is best effort:
     the seed too reclaims at most one superblock per event). */
  if( g->reclaim_skip[ c ] ) { g->reclaim_skip[ c ]--; return RG_SUCCESS; }
  int err = rg_mem_load( m, rg_groove_inactive_off( g, c ), &w );
  if( !err && !rg_stk_off( w ) && rg_mem_round_trips( m ) ) g->reclaim_skip[ c ] = 63UL;
  if( err || !rg_stk_off( w ) ) return err;
  if( !rg_groove_sb_in_range( g, rg_stk_off( w ) ) )
    return rg_err( RG_ERR_CORRUPT, "inactive stack %lu holds offset %#lx outside the volumes", c, rg_stk_off( w ) );
  uint64_t f;
  err = rg_mem_load( m, rg_stk_off( w ) + RG_SB_FREE_OFF, &f );
  if( err || f!=rg_full_mask( cnt ) ) return err;

  err = rg_groove_stack_pop( g, c, &t );
  if( err || !t ) return err;

  uint64_t meta[3];
  err = rg_mem_read_words( m, t, meta, 3UL );
  if( err ) return err;
  /* the seed checked a stale header here (spec section 11, item 1); this checks t's own */
  if( RG_PARANOID && ( rg_groove_hdr_type( meta[0] )!=RG_GROOVE_HDR_TYPE_SUPERBLOCK ||
                       rg_groove_hdr_szc ( meta[0] )!=c || !rg_bits_in_range( meta[2], cnt ) ) )
    return rg_err( RG_ERR_CORRUPT, "class %lu superblock at %#lx on the inactive stack is bad (bits %#lx free %#lx)",
                   c, t, meta[0], meta[2] );

  if( meta[2]!=rg_full_mask( cnt ) ) return rg_groove_stack_push( g, c, t ); /* not empty: back on the stack */

  uint64_t parent = rg_groove_szc_cfg[ c ].parent_szc;
  if( parent<RG_GROOVE_SZC_CNT ) {
    uint64_t pc, pidx;
    if( !rg_groove_bits_valid( meta[0], RG_GROOVE_HDR_TYPE_SUPERBLOCK, &pc, &pidx ) )
      return rg_err( RG_ERR_CORRUPT, "empty class %lu superblock at %#lx has a bad header %#lx", c, t, meta[0] );
    err = rg_groove_slot_free( g, t, pc, pidx );
    return err==RG_ERR_INVAL ? RG_ERR_CORRUPT : err;
  }

  uint64_t vol = t - RG_VOL_HDR_SZ;
  uint64_t vi  = (vol - g->volume0_off)>>RG_VOLUME_LG_FOOTPRINT;
  if( RG_PARANOID ) {
    uint64_t hdr[4];
    err = rg_mem_read_words( m, vol, hdr, 4UL );
    if( err ) return err;
    if( hdr[0]!=RG_VOLUME_MAGIC || hdr[1]!=vi || hdr[3]>RG_VOLUME_INFO_MAX )
      return rg_err( RG_ERR_CORRUPT, "volume %lu being released has a bad header (magic %#lx idx %lu)", vi, hdr[0], hdr[1] );
  }
  err = rg_mem_store( m, vol + RG_VOL_MAGIC_OFF, ~RG_VOLUME_MAGIC );
  if( !err ) err = rg_groove_pool_release( g, vi );
  return err;
}

/* rg_groove_revive puts a superblock back into circulation (one that
   was full and just got a free slot, or one this join held): into this
   join's active slot if that is empty, else onto the inactive stack.  The seed always displaced the
   active superblock (which has more free slots) onto the stack, so the
   next alloc had to pop again: a push and a pop on a word that every
   worker shares, for nearly every free of a random workload. */

static int
rg_groove_revive( rg_groove_t * g,
                  uint64_t      c,
                  uint64_t      sb ) {
  rg_mem_t const * m    = g->mem;
  uint64_t         slot = rg_groove_active_off( g, c );
  uint64_t         cur  = g->slot_seen[ c ];
  int err = !rg_mem_round_trips( m ) ? rg_mem_load( m, slot, &cur ) : RG_SUCCESS;
  if( !err && !cur ) {
    err = rg_mem_cas( m, slot, 0UL, sb, &cur );
    if( !err && !cur ) { g->slot_seen[ c ] = sb; return RG_SUCCESS; }
    g->slot_seen[ c ] = cur;
  }
  return err ? err : rg_groove_stack_push( g, c, sb );
}

/* rg_groove_slot_freed: slot bit of the class-c superblock sb was just
   set in bitfield old.  A superblock that was full goes back into
   circulation; one that became empty gives reclaim its chance. */

static int
rg_groove_slot_freed( rg_groove_t * g,
                      uint64_t      c,
                      uint64_t      sb,
                      uint64_t      old,
                      uint64_t      bit ) {
  if( !old ) {
    if( g->create_credit[ c ]<RG_GROOVE_CREDIT_MAX ) g->create_credit[ c ]++;
    if( c<RG_GROOVE_HELD_SZC_CNT && !g->held_sb[ c ] ) { /* this join's next alloc of the class takes it from here */
      g->held_sb  [ c ] = sb;
      g->held_free[ c ] = bit;
      return RG_SUCCESS;
    }
    return rg_groove_revive( g, c, sb );
  }
  if( (old | bit)==rg_full_mask( rg_groove_szc_cfg[ c ].obj_cnt ) ) return rg_groove_reclaim( g, c );
  return RG_SUCCESS;
}

/* rg_groove_sb_bits checks that the class-c superblock sb, which the
   object at h names as its own, is one, and returns in *f its bitfield
   or a guess of it (the CAS that follows corrects a wrong guess). */

static int
rg_groove_sb_bits( rg_groove_t * g,
                   uint64_t      h,
                   uint64_t      c,
                   uint64_t      sb,
                   uint64_t      bit,
                   uint64_t *    f ) {
  rg_mem_t const * m = g->mem;
  if( RG_PARANOID && ( !rg_groove_sb_in_range( g, sb ) ||
                       ((sb - g->volume0_off)>>RG_VOLUME_LG_FOOTPRINT)!=((h - g->volume0_off)>>RG_VOLUME_LG_FOOTPRINT) ) )
    return rg_err( RG_ERR_INVAL, "object at %#lx: its superblock would be at %#lx, outside its volume", h, sb );
  if( rg_mem_round_trips( m ) && sb==g->sb_seen[ c ] && !(g->free_seen[ c ] & bit) ) {
    /* Remote, and a superblock this join validated before (the object's
       live header means it still holds that object, so it is still
       that superblock): seed the CAS with the bitfield seen last, saving
       the read.  A cached set bit is not trusted: it may be stale, so
       that case reads. */
    *f = g->free_seen[ c ];
    return RG_SUCCESS;
  }
  uint64_t meta[3];
  int err = rg_mem_read_words( m, sb, meta, 3UL );
  if( RG_UNLIKELY( err ) ) return err;
  if( RG_PARANOID && ( rg_groove_hdr_type( meta[0] )!=RG_GROOVE_HDR_TYPE_SUPERBLOCK || rg_groove_hdr_szc( meta[0] )!=c ) )
    return rg_err( RG_ERR_INVAL, "object at %#lx is not in a class %lu superblock (found bits %#lx)", h, c, meta[0] );
  *f = meta[2];
  return RG_SUCCESS;
}

/* rg_groove_slot_free returns slot idx of class c, whose header is at
   h, to its superblock. */

static __attribute__((noinline)) int
rg_groove_slot_free( rg_groove_t * g,
                     uint64_t      h,
                     uint64_t      c,
                     uint64_t      idx ) {
  rg_mem_t const * m    = g->mem;
  uint64_t         cnt  = rg_groove_szc_cfg[ c ].obj_cnt;
  uint64_t         sb   = rg_groove_sb_hdr_off( h, c, idx );
  uint64_t         bit  = 1UL<<idx;
  int              held = c<RG_GROOVE_HELD_SZC_CNT && sb==g->held_sb[ c ];
  /* A held superblock this join validated when it took it, and the bits
     it knows free there are a subset of the free bits: a guess of the
     bitfield to seed a remote CAS with (others' frees cost a retry). */
  uint64_t f   = held ? g->held_free[ c ] : 0UL;
  int      err = held ? RG_SUCCESS : rg_groove_sb_bits( g, h, c, sb, bit, &f );
  if( RG_UNLIKELY( err ) ) return err;
  if( RG_UNLIKELY( (f & bit) || !rg_bits_in_range( f, cnt ) ) )
    return rg_err( RG_ERR_INVAL, "object at %#lx is already free (double free?)", h );

  /* Mark the object dead, then set its bit.  The seed set the bit with a
     fetch-and-add, which two racing frees of one object would both apply
     (a carry into the next slot); rg_mem_fetch_set_bit refuses a bit that
     is already set, so exactly one of them wins and the other returns
     INVAL.  The dead mark is stored first so that nobody can see the
     slot free with a live header. */
  uint64_t old = f;
  err = rg_mem_store( m, h, 0UL );
  if( RG_LIKELY( !err ) ) err = rg_mem_fetch_set_bit( m, sb + RG_SB_FREE_OFF, bit, &old );
  if( RG_UNLIKELY( err ) ) return err;
  if( RG_UNLIKELY( old & bit ) ) return rg_err( RG_ERR_INVAL, "object at %#lx was freed concurrently (double free)", h );
  if( RG_UNLIKELY( !rg_bits_in_range( old, cnt ) ) )
    return rg_err( RG_ERR_CORRUPT, "superblock at %#lx has bitfield %#lx beyond its %lu slots", sb, old, cnt );
  if( held ) g->held_free[ c ] = old | bit;
  else if( rg_mem_round_trips( m ) ) { g->sb_seen[ c ] = sb; g->free_seen[ c ] = old | bit; }

  /* A held superblock that empties is no surplus (its holder allocates
     from it next), so it leaves reclaim alone: with a fixed size, every
     alloc+free pair would empty it. */
  if( RG_UNLIKELY( !old || ( !held && (old | bit)==rg_full_mask( cnt ) ) ) ) return rg_groove_slot_freed( g, c, sb, old, bit );
  return RG_SUCCESS;
}

/* rg_groove_obj_find finds, through m (g's memory), the live object
   whose first byte is at obj_off: its header's offset *h, its class *c
   and its slot *idx.  RG_ERR_INVAL if there is none. */

static inline int
rg_groove_obj_find( rg_groove_t const * g,
                    rg_mem_t const *    m,
                    uint64_t            obj_off,
                    uint64_t *          h,
                    uint64_t *          c,
                    uint64_t *          idx ) {
  if( RG_UNLIKELY( obj_off<g->volume0_off + RG_VOL_HDR_SZ + RG_GROOVE_BLOCK_FOOTPRINT + RG_GROOVE_HDR_FOOTPRINT ||
                   obj_off>=g->volume1_off ) )
    return rg_err( RG_ERR_INVAL, "free of %#lx: not inside this pool's volumes [%#lx,%#lx)", obj_off, g->volume0_off, g->volume1_off );
  *h = rg_groove_obj_hdr_off( obj_off );
  uint64_t bits;
  int err = rg_mem_load( m, *h, &bits );
  if( RG_UNLIKELY( err ) ) return err;
  if( RG_UNLIKELY( !rg_groove_bits_valid( bits, RG_GROOVE_HDR_TYPE_ALLOC, c, idx ) ) )
    return rg_err( RG_ERR_INVAL, "free of %#lx: no live allocation there (freed already, or not an object)", obj_off );
  uint64_t start = *h + rg_groove_obj_offset( rg_groove_hdr_align( bits ) );
  if( RG_UNLIKELY( obj_off!=start ) )
    return rg_err( RG_ERR_INVAL, "free of %#lx: not the first byte of the object at %#lx", obj_off, start );
  return RG_SUCCESS;
}

/* rg_groove_free_slow: rg_groove_free over a remote transport. */

static __attribute__((noinline)) int
rg_groove_free_slow( rg_groove_t * g,
                     uint64_t      obj_off ) {
  uint64_t h = 0UL, c = 0UL, idx = 0UL;
  int err = rg_groove_obj_find( g, g->mem, obj_off, &h, &c, &idx );
  return err ? err : rg_groove_slot_free( g, h, c, idx );
}

int
rg_groove_free( rg_groove_t * g,
                uint64_t      obj_off ) {
  if( RG_UNLIKELY( !g ) ) return rg_err( RG_ERR_INVAL, "NULL groove join" );
  rg_mem_t const m = *g->mem;
  if( RG_UNLIKELY( !rg_mem_is_mapped( &m ) ) ) return rg_groove_free_slow( g, obj_off );
  uint64_t h = 0UL, c = 0UL, idx = 0UL;
  int err = rg_groove_obj_find( g, &m, obj_off, &h, &c, &idx );
  if( RG_UNLIKELY( err ) ) return err;

  /* Into this join's held superblock: mark the object dead and set its
     bit with one CAS seeded with the bits known free (exact unless
     another join freed into the superblock meanwhile).  A held
     superblock is never full nor left empty by this, so that is all;
     a failed CAS takes the general path. */
  uint64_t sb  = rg_groove_sb_hdr_off( h, c, idx );
  uint64_t bit = 1UL<<idx;
  if( RG_LIKELY( c<RG_GROOVE_HELD_SZC_CNT && sb==g->held_sb[ c ] && !(g->held_free[ c ] & bit) ) ) {
    uint64_t f = g->held_free[ c ], seen;
    rg_mem_store( &m, h, 0UL );
    rg_mem_cas( &m, sb + RG_SB_FREE_OFF, f, f | bit, &seen );
    if( RG_LIKELY( seen==f ) ) { g->held_free[ c ] = f | bit; return RG_SUCCESS; }
  }
  return rg_groove_slot_free( g, h, c, idx );
}

int
rg_groove_flush( rg_groove_t * g ) {
  if( RG_UNLIKELY( !g ) ) return rg_err( RG_ERR_INVAL, "NULL groove join" );
  for( uint64_t c=0UL; c<RG_GROOVE_HELD_SZC_CNT; c++ ) {
    if( !g->held_sb[ c ] ) continue;
    int err = rg_groove_revive( g, c, g->held_sb[ c ] );
    if( err ) return err;
    g->held_sb[ c ] = 0UL;
  }
  return RG_SUCCESS;
}

int
rg_groove_obj_info( rg_groove_t const *    g,
                    uint64_t               obj_off,
                    rg_groove_obj_info_t * info ) {
  if( !g || !info ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  if( obj_off<g->volume0_off + RG_VOL_HDR_SZ + RG_GROOVE_BLOCK_FOOTPRINT + RG_GROOVE_HDR_FOOTPRINT || obj_off>=g->volume1_off )
    return rg_err( RG_ERR_INVAL, "%#lx is not inside this pool's volumes", obj_off );
  uint64_t h = rg_groove_obj_hdr_off( obj_off );
  uint64_t hdr[2];
  int err = rg_mem_read_words( g->mem, h, hdr, 2UL );
  if( err ) return err;
  uint64_t c, idx;
  if( !rg_groove_bits_valid( hdr[0], RG_GROOVE_HDR_TYPE_ALLOC, &c, &idx ) ||
      obj_off!=h + rg_groove_obj_offset( rg_groove_hdr_align( hdr[0] ) ) )
    return rg_err( RG_ERR_INVAL, "%#lx is not the first byte of a live allocation", obj_off );
  info->align = rg_groove_hdr_align( hdr[0] );
  info->sz    = rg_groove_hdr_sz( hdr[0] );
  info->tag   = hdr[1];
  info->start = h + RG_GROOVE_HDR_FOOTPRINT;
  info->stop  = h + (uint64_t)rg_groove_szc_cfg[ c ].obj_footprint;
  return RG_SUCCESS;
}
