/* Free.  A free marks the object dead, naming the freer, then sets its
   bit with a CAS that refuses a bit already set: of two racing frees of
   one object exactly one takes effect, and a survivor that finds a dead
   header over a claimed slot knows whose free was interrupted.  A free
   is accepted only for the exact first byte of a live object in a
   superblock whose keyed check word is right (doc/design.md, "free"). */

#include "rg_groove_private.h"


/* rg_obj_find finds, through m (g's memory), the live object whose
   first byte is at obj_off: its header's offset *h, header word *bits,
   its class *c and its slot *idx.  RG_ERR_INVAL if there is none. */

static inline __attribute__((always_inline)) int
rg_obj_find( rg_groove_t const * g,
             rg_mem_t const *    m,
             uint64_t            obj_off,
             uint64_t *          h,
             uint64_t *          bits,
             uint64_t *          c,
             uint64_t *          idx ) {
  if( RG_UNLIKELY( obj_off<g->volume0_off + RG_VOL_HDR_SZ + RG_GROOVE_BLOCK_FOOTPRINT + RG_GROOVE_HDR_FOOTPRINT ||
                   obj_off>=g->volume1_off ) )
    return rg_err( RG_ERR_INVAL, "free of %#lx: not inside this pool's volumes [%#lx,%#lx)", obj_off, g->volume0_off, g->volume1_off );
  *h = rg_groove_obj_hdr_off( obj_off );
  int err = rg_mem_load( m, *h, bits );
  if( RG_UNLIKELY( err ) ) return err;
  if( RG_UNLIKELY( !rg_hdr_alloc_live( *bits, c, idx ) ) )
    return rg_err( RG_ERR_INVAL, "free of %#lx: no live allocation there (freed already, or not an object)", obj_off );
  if( RG_UNLIKELY( obj_off!=rg_hdr_obj_start( *h, *bits ) ) )
    return rg_err( RG_ERR_INVAL, "free of %#lx: not the first byte of the object at %#lx", obj_off, rg_hdr_obj_start( *h, *bits ) );
  return RG_SUCCESS;
}

/* rg_slot_bits: the free bits a free of the object at h (class c, slot
   idx) sets: one, or a span's run; *dead the dead header to write. */

static int
rg_slot_bits( rg_groove_t * g,
              uint64_t      h,
              uint64_t      c,
              uint64_t      idx,
              uint64_t *    bits,
              uint64_t *    dead ) {
  uint64_t hdr;
  *bits = 1UL<<idx;
  *dead = g->dead;
  if( c!=RG_GROOVE_SPAN_SZC ) return RG_SUCCESS;
  int err = rg_mem_load( g->mem, h, &hdr );
  if( err || rg_groove_hdr_type( hdr )!=RG_GROOVE_HDR_TYPE_ALLOC ) return err; /* a class-30 superblock's slot: one bit */
  uint64_t sz;
  if( (err = rg_mem_load( g->mem, h + 16UL, &sz )) ) return err;
  uint64_t k = rg_hdr_span_cnt( sz );
  if( sz>RG_GROOVE_SPAN_SZ_MAX || idx + k>rg_groove_szc_cfg[ c ].obj_cnt )
    return rg_err( RG_ERR_INVAL, "object at %#lx: its span size %lu does not fit its superblock", h, sz );
  *bits = rg_full_mask( k )<<idx;
  *dead |= k<<28;
  return RG_SUCCESS;
}

/* rg_slot_guess: a guess of the free word of sb (class c), which the
   object at h names as its own, after checking it is a real superblock:
   the join's held one needs no read, nor (remotely) the one it used last. */

static int
rg_slot_guess( rg_groove_t * g,
               uint64_t      h,
               uint64_t      c,
               uint64_t      sb,
               uint64_t      bits,
               uint64_t *    f ) {
  if( c<RG_GROOVE_HELD_SZC_CNT && sb==g->held[ c ].sb ) { *f = g->held[ c ].free | g->mark; return RG_SUCCESS; }
  if( rg_mem_round_trips( g->mem ) && sb==g->seen[ c ].sb && !(g->seen[ c ].free & bits) ) {
    *f = g->seen[ c ].free; /* validated when seen; a wrong guess costs a retry */
    return RG_SUCCESS;
  }
  if( !rg_groove_sb_in_range( g, sb ) ||
      ((sb - g->volume0_off)>>RG_VOLUME_LG_FOOTPRINT)!=((h - g->volume0_off)>>RG_VOLUME_LG_FOOTPRINT) )
    return rg_err( RG_ERR_INVAL, "object at %#lx: its superblock would be at %#lx, outside its volume", h, sb );
  uint64_t meta[ RG_SB_META_WORDS ];
  int err = rg_mem_read_words( g->mem, sb, meta, RG_SB_META_WORDS );
  if( RG_UNLIKELY( err ) ) return err;
  if( !rg_sb_meta_ok( g, sb, c, meta ) )
    return rg_err( RG_ERR_INVAL, "object at %#lx is not in a real class %lu superblock (header %#lx, check word %#lx): "
                   "a forged or copied header, or foreign memory", h, c, meta[0], meta[3] );
  *f = meta[2];
  return RG_SUCCESS;
}

/* rg_slot_free returns slot idx of class c, whose header is at h, to
   its superblock: an object, or a superblock being destroyed. */

int
rg_slot_free( rg_groove_t * g,
              uint64_t      h,
              uint64_t      c,
              uint64_t      idx,
              int           destroy,
              int *         reported ) {
  rg_mem_t const * m   = g->mem;
  uint64_t         cnt = rg_groove_szc_cfg[ c ].obj_cnt;
  uint64_t         sb  = rg_groove_sb_hdr_off( h, c, idx );
  uint64_t         bits, dead, f;
  *reported = 0;
  int err = rg_slot_bits( g, h, c, idx, &bits, &dead );
  if( !err ) err = rg_slot_guess( g, h, c, sb, bits, &f );
  if( RG_UNLIKELY( err ) ) return err;
  if( RG_UNLIKELY( (rg_sb_free_bits( f ) & bits) || (rg_sb_free_bits( f )>>cnt) ) )
    return rg_err( RG_ERR_INVAL, "object at %#lx is already free (double free?)", h );

  int held = c<RG_GROOVE_HELD_SZC_CNT && sb==g->held[ c ].sb;
  if( !held && (err = rg_client_freeing( g, sb )) ) return err; /* a survivor finishes it from there */
  if( (err = rg_mem_store( m, h, dead )) ) return err;
  uint64_t old, swp;
  for(;;) {
    /* a full superblock nobody holds: setting its first bit takes it,
       marked, so that it goes back into circulation exactly once */
    int revive = !f;
    swp = revive ? bits | g->mark : f | bits;
    if( revive && (err = rg_client_op( g, RG_OP_REVIVE, sb, 0UL )) ) return err;
    if( (err = rg_mem_cas( m, sb + RG_SB_FREE_OFF, f, swp, &old )) ) return err;
    if( old==f ) break;
    if( rg_sb_free_bits( old ) & bits ) { *reported = 1; return rg_err( RG_ERR_INVAL, "object at %#lx was freed concurrently (double free)", h ); }
    if( rg_sb_free_bits( old )>>cnt ) return rg_err( RG_ERR_CORRUPT, "superblock at %#lx has free word %#lx beyond its %lu slots", sb, old, cnt );
    f = old;
  }
  if( held ) g->held[ c ].free = rg_sb_free_bits( swp ); /* and what others freed meanwhile */
  else if( rg_mem_round_trips( m ) ) g->seen[ c ] = (rg_seen_t){ .sb = sb, .free = swp };

  if( !f ) return rg_sb_revived( g, c, sb, swp );
  /* emptied a superblock in circulation (nobody holds it): reclaim.  A
     held one that empties is its holder's spare. */
  if( !rg_sb_mark( old ) && rg_sb_free_bits( swp )==rg_full_mask( cnt ) ) return rg_sb_reclaim( g, c, destroy ? sb : 0UL );
  return RG_SUCCESS;
}

/* rg_groove_free_slot: rg_groove_free of the object found at h (class c,
   slot idx), any case. */

static __attribute__((noinline)) int
rg_groove_free_slot( rg_groove_t * g,
                     uint64_t      h,
                     uint64_t      c,
                     uint64_t      idx ) {
  int err = rg_groove_writable( g );
  if( !err ) err = rg_free_settle( g );
  int reported;
  return err ? err : rg_slot_free( g, h, c, idx, 0, &reported );
}

static __attribute__((noinline)) int
rg_groove_free_slow( rg_groove_t * g,
                     uint64_t      obj_off ) {
  uint64_t h = 0UL, bits = 0UL, c = 0UL, idx = 0UL;
  int err = rg_obj_find( g, g->mem, obj_off, &h, &bits, &c, &idx );
  return err ? err : rg_groove_free_slot( g, h, c, idx );
}

/* The fast path: mapped memory, into this join's held superblock: mark
   the object dead and set its bit with one CAS seeded with the bits
   known free (exact unless another join freed into the superblock
   meanwhile).  A held superblock is never full, and one that empties
   stays as the holder's spare, so that is all; a failed CAS takes the
   general path (the dead mark is this join's, which it accepts). */

int
rg_groove_free( rg_groove_t * g,
                uint64_t      obj_off ) {
  if( RG_UNLIKELY( !g ) ) return rg_err( RG_ERR_INVAL, "NULL groove join" );
  rg_mem_t const m = *g->mem;
  if( RG_UNLIKELY( !rg_mem_is_mapped( &m ) ) ) return rg_groove_free_slow( g, obj_off );
  uint64_t h = 0UL, bits = 0UL, c = 0UL, idx = 0UL;
  int err = rg_obj_find( g, &m, obj_off, &h, &bits, &c, &idx );
  if( RG_UNLIKELY( err ) ) return err;
  uint64_t sb  = rg_groove_sb_hdr_off( h, c, idx );
  uint64_t bit = 1UL<<idx;
  if( RG_LIKELY( c<RG_GROOVE_HELD_SZC_CNT && sb==g->held[ c ].sb && !(g->held[ c ].free & bit) ) ) {
    uint64_t f = g->held[ c ].free | g->mark, seen;
    rg_mem_store( &m, h, g->dead );
    rg_mem_cas( &m, sb + RG_SB_FREE_OFF, f, f | bit, &seen );
    if( RG_LIKELY( seen==f ) ) { g->held[ c ].free |= bit; return RG_SUCCESS; }
  }
  return rg_groove_free_slot( g, h, c, idx );
}

int
rg_groove_free_n( rg_groove_t *    g,
                  uint64_t         n,
                  uint64_t const * obj_off,
                  int *            err ) {
  if( !g || (n && !obj_off) ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  int first = RG_SUCCESS;
  for( uint64_t i=0UL; i<n; i++ ) {
    int e = rg_groove_free( g, obj_off[i] );
    if( err ) err[i] = e;
    if( e && !first ) first = e;
  }
  return first;
}

int
rg_free_settle( rg_groove_t * g ) {
  (void)g;
  return RG_SUCCESS;
}

int
rg_groove_quiet( rg_groove_t * g ) {
  if( !g ) return rg_err( RG_ERR_INVAL, "NULL groove join" );
  int err = rg_free_settle( g );
  if( !err && g->quiet_err ) {
    err = g->quiet_err;
    rg_err_record( "%s", g->quiet_msg );
  }
  g->quiet_err = RG_SUCCESS;
  return err;
}

int
rg_groove_obj_info( rg_groove_t const *    g,
                    uint64_t               obj_off,
                    rg_groove_obj_info_t * info ) {
  if( !g || !info ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  uint64_t h = 0UL, bits = 0UL, c = 0UL, idx = 0UL, tag, sz;
  uint32_t owner;
  int err = rg_obj_find( g, g->mem, obj_off, &h, &bits, &c, &idx );
  if( err ) return err==RG_ERR_INVAL ? rg_err( RG_ERR_INVAL, "%#lx is not the first byte of a live allocation", obj_off ) : err;
  uint64_t sb = rg_groove_sb_hdr_off( h, c, idx );
  if( (err = rg_mem_load( g->mem, h + 8UL, &tag )) ) return err;
  if( (err = rg_mem_read( g->mem, sb + RG_SB_OWNER_OFF + 4UL*idx, &owner, 4UL )) ) return err;
  sz = rg_groove_hdr_sz( bits );
  uint64_t stop = h + (uint64_t)rg_groove_szc_cfg[ c ].obj_footprint;
  if( c==RG_GROOVE_SPAN_SZC ) {
    if( (err = rg_mem_load( g->mem, h + 16UL, &sz )) ) return err;
    stop = h + rg_hdr_span_cnt( sz )*(uint64_t)rg_groove_szc_cfg[ c ].obj_footprint;
  }
  *info = (rg_groove_obj_info_t){ .align = rg_groove_hdr_align( bits ), .sz = sz, .tag = tag, .owner = owner,
                                  .start = h + (c==RG_GROOVE_SPAN_SZC ? RG_GROOVE_SPAN_OFFSET : RG_GROOVE_HDR_FOOTPRINT),
                                  .stop = stop, .off = obj_off };
  return RG_SUCCESS;
}
