/* Free.  A free marks the object dead, naming the freer, then sets its
   bit with a CAS that refuses a bit already set: of two racing frees of
   one object exactly one takes effect, and a survivor that finds a dead
   header over a claimed slot knows whose free was interrupted.  A free
   is accepted only for the exact first byte of a live object in a
   superblock whose keyed check word is right (doc/architecture.md, "free").

   Over a round-trip transport the free validates the object with one
   read, then posts its dead header and the CAS and returns: the CAS's
   result is looked at once a later call of the join has waited for a
   request posted after it (every wait covers the ones before), so in
   the common case it costs no wait at all.  A CAS that guessed wrong is
   retried then; a racing double free is reported by rg_groove_quiet. */

#include "rg_groove_private.h"

#include <stdio.h>
#include <stdlib.h>


/* rg_obj_in_volumes: obj_off can be an object's first byte as far as
   its offset tells. */

static inline int
rg_obj_in_volumes( rg_groove_t const * g,
                   uint64_t            obj_off ) {
  if( RG_UNLIKELY( obj_off<g->volume0_off + RG_VOL_HDR_SZ + RG_GROOVE_BLOCK_FOOTPRINT + RG_GROOVE_HDR_FOOTPRINT ||
                   obj_off>=g->volume1_off ) )
    return rg_err( RG_ERR_INVAL, "free of %#lx: not inside this pool's volumes [%#lx,%#lx)", obj_off, g->volume0_off, g->volume1_off );
  return RG_SUCCESS;
}

/* rg_obj_check: bits, read at h (obj_off's header), is the header of a
   live object starting exactly at obj_off; *c and *idx its class and
   slot.  RG_ERR_INVAL if not. */

static inline int
rg_obj_check( uint64_t   obj_off,
              uint64_t   h,
              uint64_t   bits,
              uint64_t * c,
              uint64_t * idx ) {
  if( RG_UNLIKELY( !rg_hdr_alloc_live( bits, c, idx ) ) )
    return rg_err( RG_ERR_INVAL, "free of %#lx: no live allocation there (freed already, or not an object)", obj_off );
  if( RG_UNLIKELY( obj_off!=rg_hdr_obj_start( h, bits ) ) )
    return rg_err( RG_ERR_INVAL, "free of %#lx: not the first byte of the object at %#lx", obj_off, rg_hdr_obj_start( h, bits ) );
  return RG_SUCCESS;
}

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
  int err = rg_obj_in_volumes( g, obj_off );
  if( RG_UNLIKELY( err ) ) return err;
  *h = rg_groove_obj_hdr_off( obj_off );
  if( RG_UNLIKELY( err = rg_mem_load( m, *h, bits ) ) ) return err;
  return rg_obj_check( obj_off, *h, *bits, c, idx );
}

/* rg_look_for: a superblock this join saw (remotely) whose slots span
   obj_off, to read the metadata of in the same round trip as obj_off's
   header (0: none, or one it holds, which needs no read). */

static uint64_t
rg_look_for( rg_groove_t const * g,
             uint64_t            obj_off ) {
  for( uint64_t c=0UL; c<RG_GROOVE_SZC_CNT; c++ ) {
    uint64_t sb = g->seen[ c ].sb;
    if( !sb || obj_off<=sb || obj_off>=sb + RG_GROOVE_BLOCK_FOOTPRINT + (uint64_t)rg_groove_szc_cfg[ c ].obj_cnt*rg_groove_szc_cfg[ c ].obj_footprint ) continue;
    if( c<RG_GROOVE_HELD_SZC_CNT && (sb==g->held[ c ].sb || sb==g->held[ c ].next) ) return 0UL;
    return sb;
  }
  return 0UL;
}

/* rg_slot_bits_of: the free bits a free of the object at h (class c,
   slot idx, header word hdr; span_sz its third word, a span's exact
   size) sets: one, or a span's run; *dead the dead header to write. */

static int
rg_slot_bits_of( rg_groove_t const * g,
                 uint64_t            h,
                 uint64_t            c,
                 uint64_t            idx,
                 uint64_t            hdr,
                 uint64_t            span_sz,
                 uint64_t *          bits,
                 uint64_t *          dead ) {
  *bits = 1UL<<idx;
  *dead = g->dead;
  if( c!=RG_GROOVE_SPAN_SZC || rg_groove_hdr_type( hdr )!=RG_GROOVE_HDR_TYPE_ALLOC ) return RG_SUCCESS; /* a class-31 superblock's slot: one bit */
  uint64_t k = rg_hdr_span_cnt( span_sz );
  if( span_sz>RG_GROOVE_SPAN_SZ_MAX || idx + k>rg_groove_szc_cfg[ c ].obj_cnt )
    return rg_err( RG_ERR_INVAL, "object at %#lx: its span size %lu does not fit its superblock", h, span_sz );
  *bits = rg_full_mask( k )<<idx;
  *dead |= k<<28;
  return RG_SUCCESS;
}

/* rg_slot_bits: rg_slot_bits_of, reading the header words it needs. */

static int
rg_slot_bits( rg_groove_t * g,
              uint64_t      h,
              uint64_t      c,
              uint64_t      idx,
              uint64_t *    bits,
              uint64_t *    dead ) {
  uint64_t w[3] = { 0UL, 0UL, 0UL };
  int err = c==RG_GROOVE_SPAN_SZC ? rg_mem_read_words( g->mem, h, w, 3UL ) : RG_SUCCESS;
  return err ? err : rg_slot_bits_of( g, h, c, idx, w[0], w[2], bits, dead );
}

/* rg_sb_of_ok: sb, where the object at h says its superblock is, can
   be one: RG_ERR_INVAL if not. */

static inline int
rg_sb_of_ok( rg_groove_t const * g,
             uint64_t            h,
             uint64_t            sb ) {
  if( RG_UNLIKELY( !rg_groove_sb_in_range( g, sb ) ||
                   ((sb - g->volume0_off)>>RG_VOLUME_LG_FOOTPRINT)!=((h - g->volume0_off)>>RG_VOLUME_LG_FOOTPRINT) ) )
    return rg_err( RG_ERR_INVAL, "object at %#lx: its superblock would be at %#lx, outside its volume", h, sb );
  return RG_SUCCESS;
}

/* rg_sb_forged: the superblock of the object at h (class c) has header
   bits and check word check that no real one has. */

static __attribute__((cold,noinline)) int
rg_sb_forged( uint64_t h,
              uint64_t c,
              uint64_t bits,
              uint64_t check ) {
  return rg_err( RG_ERR_INVAL, "object at %#lx is not in a real class %lu superblock (header %#lx, check word %#lx): "
                 "a forged or copied header, or foreign memory", h, c, bits, check );
}

/* rg_sb_meta_free: *f the free word of sb (class c), from its metadata
   meta, after checking that it is a real superblock: RG_ERR_INVAL if
   not (the object at h is then forged, copied or foreign). */

static inline int
rg_sb_meta_free( rg_groove_t const * g,
                 uint64_t            h,
                 uint64_t            c,
                 uint64_t            sb,
                 uint64_t const *    meta,
                 uint64_t *          f ) {
  if( RG_UNLIKELY( !rg_sb_meta_ok( g, sb, c, meta ) ) ) return rg_sb_forged( h, c, meta[0], meta[3] );
  *f = meta[2];
  return RG_SUCCESS;
}

/* rg_slot_guess: a guess of the free word of sb (class c), which the
   object at h names as its own, after checking it is a real superblock:
   the join's held ones need no read, nor (remotely) one whose metadata
   was read with the object's header (g->look). */

static int
rg_slot_guess( rg_groove_t * g,
               uint64_t      h,
               uint64_t      c,
               uint64_t      sb,
               uint64_t *    f ) {
  if( c<RG_GROOVE_HELD_SZC_CNT && sb==g->held[ c ].sb ) { *f = g->held[ c ].free | g->mark; return RG_SUCCESS; }
  if( c<RG_GROOVE_HELD_SZC_CNT && sb==g->held[ c ].next ) { *f = g->held[ c ].next_free | g->mark; return RG_SUCCESS; }
  int err = rg_sb_of_ok( g, h, sb );
  if( err ) return err;
  uint64_t meta[ RG_SB_META_WORDS ];
  if( sb==g->look.sb ) memcpy( meta, g->look.meta, sizeof(meta) );
  else if( RG_UNLIKELY( err = rg_mem_read_words( g->mem, sb, meta, RG_SB_META_WORDS ) ) ) return err;
  return rg_sb_meta_free( g, h, c, sb, meta, f );
}

/* rg_freed: sb (class c) had free word f and took swp, setting bits of
   a free of this join's.  A full one nobody held is now this join's, to
   put back; one emptied in circulation is reclaimed. */

static int
rg_freed( rg_groove_t * g,
          uint64_t      c,
          uint64_t      sb,
          uint64_t      f,
          uint64_t      swp,
          int           destroy ) {
  if( !f ) return rg_sb_revived( g, c, sb, swp );
  /* a held one that empties is its holder's spare */
  if( !rg_sb_mark( f ) && rg_sb_free_bits( swp )==rg_full_mask( rg_groove_szc_cfg[ c ].obj_cnt ) )
    return rg_sb_reclaim( g, c, destroy ? sb : 0UL );
  return RG_SUCCESS;
}

/* rg_bits_cas sets bits (dead headers written) in sb of class c with a
   CAS loop from the guess *f; on return *f is the word before and *swp
   the word after.  Bits found set already are a concurrent double free:
   RG_ERR_INVAL with *dup those bits (the others are not set). */

static inline __attribute__((always_inline)) int
rg_bits_cas( rg_groove_t *    g,
             rg_mem_t const * m,
             uint64_t         sb,
             uint64_t         c,
             uint64_t         bits,
             uint64_t *       f,
             uint64_t *       swp,
             uint64_t *       dup ) {
  uint64_t cnt = rg_groove_szc_cfg[ c ].obj_cnt, old;
  *dup = 0UL;
  for(;;) {
    /* a full superblock nobody holds: setting its first bit takes it,
       marked, so that it goes back into circulation exactly once (the
       freeing word names it meanwhile) */
    *swp = *f ? *f | bits : bits | g->mark;
    int err = rg_mem_cas( m, sb + RG_SB_FREE_OFF, *f, *swp, &old );
    if( RG_UNLIKELY( err ) ) return err;
    if( RG_LIKELY( old==*f ) ) return RG_SUCCESS;
    if( (*dup = rg_sb_free_bits( old ) & bits) ) { *f = old; return rg_err( RG_ERR_INVAL, "an object of superblock %#lx was freed concurrently (double free)", sb ); }
    if( rg_sb_free_bits( old )>>cnt ) return rg_err( RG_ERR_CORRUPT, "superblock at %#lx has free word %#lx beyond its %lu slots", sb, old, cnt );
    *f = old;
  }
}

/* rg_still_live: none of bits (slots of the class-c object at h) is
   free in the superblock's free word f, which has no bit beyond its
   slots: RG_ERR_INVAL (a double free) if not. */

static inline int
rg_still_live( uint64_t h,
               uint64_t c,
               uint64_t f,
               uint64_t bits ) {
  if( RG_UNLIKELY( (rg_sb_free_bits( f ) & bits) || (rg_sb_free_bits( f )>>rg_groove_szc_cfg[ c ].obj_cnt) ) )
    return rg_err( RG_ERR_INVAL, "object at %#lx is already free (double free?)", h );
  return RG_SUCCESS;
}

/* rg_slot_free returns slot idx of class c, whose header is at h, to
   its superblock, waiting for every step: an object on mapped memory,
   or a superblock being destroyed. */

int
rg_slot_free( rg_groove_t * g,
              uint64_t      h,
              uint64_t      c,
              uint64_t      idx,
              int           destroy ) {
  uint64_t sb = rg_groove_sb_hdr_off( h, c, idx );
  uint64_t bits, dead, f, swp, dup;
  int err = rg_slot_bits( g, h, c, idx, &bits, &dead );
  if( !err ) err = rg_slot_guess( g, h, c, sb, &f );
  if( !err ) err = rg_still_live( h, c, f, bits );
  if( RG_UNLIKELY( err ) ) return err;

  int held = c<RG_GROOVE_HELD_SZC_CNT && sb==g->held[ c ].sb;
  if( !held && (err = rg_client_freeing( g, 0UL, sb )) ) return err; /* a survivor finishes it from there */
  if( (err = rg_mem_store( g->mem, h, dead )) ) return err;
  if( (err = rg_bits_cas( g, g->mem, sb, c, bits, &f, &swp, &dup )) ) return err;
  if( held ) g->held[ c ].free = rg_sb_free_bits( swp ); /* and what others freed meanwhile */
  else if( c<RG_GROOVE_HELD_SZC_CNT && sb==g->held[ c ].next ) g->held[ c ].next_free = rg_sb_free_bits( swp );
  else if( rg_mem_round_trips( g->mem ) ) g->seen[ c ] = (rg_seen_t){ .sb = sb };
  return rg_freed( g, c, sb, f, swp, destroy );
}

/* Frees in flight (round-trip transports) ******************************/

/* rg_pend_fail records a free's failure found after it returned, for
   rg_groove_quiet (the first since the last quiet). */

static void
rg_pend_fail( rg_groove_t * g,
              int           err,
              uint64_t      obj ) {
  if( g->quiet_err ) return;
  g->quiet_err = err;
  snprintf( g->quiet_msg, sizeof(g->quiet_msg), "free of %#lx (completed later): %s", obj, rg_errmsg() );
}

/* rg_pend_slot: a free entry of the ring (one must be). */

static uint64_t
rg_pend_slot( rg_groove_t * g ) {
  uint64_t k = 0UL;
  while( g->pend[k].state ) k++;
  g->pend_cnt++;
  return k;
}

static void
rg_pend_done( rg_groove_t * g,
              rg_pend_t *   e ) {
  e->state = 0UL;
  g->pend_cnt--;
}

/* rg_pend_guess: the free word a CAS setting bits in sb should expect:
   what the newest free in flight there left, else rg_slot_guess's (for
   the held superblock a claim since that free was posted knows better:
   its word came after the free's CAS). */

static int
rg_pend_guess( rg_groove_t * g,
               uint64_t      h,
               uint64_t      c,
               uint64_t      sb,
               uint64_t *    f ) {
  uint64_t newest = 0UL;
  int held = c<RG_GROOVE_HELD_SZC_CNT && sb==g->held[ c ].sb;
  for( uint64_t k=0UL; k<RG_PEND_MAX; k++ ) {
    rg_pend_t const * e = &g->pend[k];
    if( e->state==RG_PEND_CAS && e->sb==sb && e->ticket>newest && !(held && g->held[ c ].claimed>=e->epoch) ) { newest = e->ticket; *f = e->swp; }
  }
  return newest ? RG_SUCCESS : rg_slot_guess( g, h, c, sb, f );
}

/* rg_pend_cas posts the CAS of entry k (sb, c, bits, guess filled; the
   record names sb, then the dead headers were posted). */

static int
rg_pend_cas( rg_groove_t * g,
             uint64_t      k ) {
  rg_pend_t * e = &g->pend[k];
  int err;
  e->swp = e->guess ? e->guess | e->bits : e->bits | g->mark;
  rg_mem_req_t r = { .op = RG_MEM_OP_CAS, .off = e->sb + RG_SB_FREE_OFF, .cmp = e->guess, .swp = e->swp, .old = &e->old };
  if( (err = rg_mem_post( g->mem, &r, 1UL, &e->ticket )) ) return err;
  e->state = RG_PEND_CAS;
  e->epoch = g->epoch;
  if( !e->held ) g->seen[ e->c ] = (rg_seen_t){ .sb = e->sb };
  return RG_SUCCESS;
}

/* rg_pend_submit: the free of obj_off, whose header (at h) read w, into
   entry k: validated as rg_groove_free does, its dead header posted,
   then its CAS.  RG_ERR_INVAL (entry k left free) for a bad free. */

static int
rg_pend_submit( rg_groove_t *    g,
                uint64_t         k,
                uint64_t         obj_off,
                uint64_t         h,
                uint64_t const * w ) {
  rg_pend_t * e = &g->pend[k];
  uint64_t c, idx, bits, dead, f;
  int err = rg_obj_check( obj_off, h, w[0], &c, &idx );
  uint64_t sb = err ? 0UL : rg_groove_sb_hdr_off( h, c, idx );
  if( !err ) err = rg_slot_bits_of( g, h, c, idx, w[0], w[2], &bits, &dead );
  if( !err ) err = rg_pend_guess( g, h, c, sb, &f );
  if( !err ) err = rg_still_live( h, c, f, bits );
  if( err ) return err;
  int held = c<RG_GROOVE_HELD_SZC_CNT && sb==g->held[ c ].sb;
  if( !held && (err = rg_client_freeing( g, k + 1UL, sb )) ) return err; /* before the dead header: a survivor finds it */
  if( (err = rg_mem_store( g->mem, h, dead )) ) return err;
  *e = (rg_pend_t){ .obj = obj_off, .sb = sb, .c = c, .bits = bits, .guess = f, .held = (uint64_t)held };
  return rg_pend_cas( g, k );
}

/* rg_pend_finish: entry e's CAS has completed: retried while it guessed
   wrong, then what follows the free. */

static int
rg_pend_finish( rg_groove_t * g,
                rg_pend_t *   e ) {
  uint64_t f = e->guess, swp = e->swp, dup;
  int err = RG_SUCCESS;
  if( e->old!=f ) {
    f = e->old;
    uint64_t bits = e->bits & ~rg_sb_free_bits( f );
    if( bits!=e->bits ) rg_pend_fail( g, rg_err( RG_ERR_INVAL, "an object of superblock %#lx was freed concurrently (double free)", e->sb ), e->obj );
    if( !bits ) return RG_SUCCESS;
    err = rg_bits_cas( g, g->mem, e->sb, e->c, bits, &f, &swp, &dup );
    if( err==RG_ERR_INVAL ) { rg_pend_fail( g, err, e->obj ); return RG_SUCCESS; }
    if( err ) return err;
    if( !e->held ) g->seen[ e->c ] = (rg_seen_t){ .sb = e->sb };
  }
  rg_held_t * h = e->c<RG_GROOVE_HELD_SZC_CNT ? &g->held[ e->c ] : NULL;
  if( h && h->sb==e->sb && h->claimed<e->epoch ) h->free |= rg_sb_free_bits( swp ); /* nothing claimed there since it was posted: its bits only grew */
  if( h && h->next==e->sb && h->next_claimed<e->epoch ) h->next_free |= rg_sb_free_bits( swp ); /* as for the held one */
  return rg_freed( g, e->c, e->sb, f, swp, 0 );
}

/* rg_pend_step takes entry k one step on: a header read completes into
   its CAS, a CAS into the end of its free. */

static int
rg_pend_step( rg_groove_t * g,
              uint64_t      k ) {
  rg_pend_t * e = &g->pend[k];
  int err = rg_mem_wait( g->mem, e->ticket );
  if( err ) return err;
  if( e->state==RG_PEND_READ ) {
    uint64_t w[3] = { e->hdr[0], e->hdr[1], e->hdr[2] }, obj = e->obj;
    g->look = e->look;
    err = rg_pend_submit( g, k, obj, rg_groove_obj_hdr_off( obj ), w );
    g->look.sb = 0UL;
    if( err==RG_ERR_INVAL ) { rg_pend_fail( g, err, obj ); rg_pend_done( g, e ); return RG_SUCCESS; }
    return err;
  }
  rg_pend_t done = *e;
  rg_pend_done( g, e );
  return rg_pend_finish( g, &done );
}

int
rg_free_may_revive( rg_groove_t const * g,
                    uint64_t            c ) {
  for( uint64_t k=0UL; g->pend_cnt && k<RG_PEND_MAX; k++ ) {
    rg_pend_t const * e = &g->pend[k];
    if( e->state==RG_PEND_READ || (e->state==RG_PEND_CAS && e->c==c && !e->guess) ) return 1;
  }
  return 0;
}

int
rg_free_into( rg_groove_t const * g,
              uint64_t            sb ) {
  for( uint64_t k=0UL; g->pend_cnt && k<RG_PEND_MAX; k++ ) {
    rg_pend_t const * e = &g->pend[k];
    if( e->state==RG_PEND_READ || (e->state==RG_PEND_CAS && e->sb==sb) ) return 1;
  }
  return 0;
}

uint64_t
rg_free_begin( rg_groove_t * g ) {
  return ++g->epoch;
}

int
rg_free_settle_before( rg_groove_t * g,
                       uint64_t      start ) {
  if( !g->pend_cnt ) return RG_SUCCESS; /* always so on mapped memory */
  for( uint64_t state=RG_PEND_CAS; state>=RG_PEND_READ; state-- ) /* older CASes first: newer frees guess from them */
    for( uint64_t k=0UL; g->pend_cnt && k<RG_PEND_MAX; k++ ) {
      if( g->pend[k].state!=state || g->pend[k].epoch>=start ) continue;
      int err = rg_pend_step( g, k );
      if( err ) return err;
    }
  return RG_SUCCESS;
}

/* rg_free_round waits for every request in flight (one round trip at
   most) and takes every entry a step on. */

static int
rg_free_round( rg_groove_t * g ) {
  uint64_t start = rg_free_begin( g );
  int err = rg_mem_wait( g->mem, RG_MEM_TICKET_ALL );
  return err ? err : rg_free_settle_before( g, start );
}

int
rg_free_settle( rg_groove_t * g ) {
  while( g->pend_cnt ) {
    int err = rg_free_round( g );
    if( err ) return err;
  }
  return RG_SUCCESS;
}

/* rg_free_room: an entry of the ring free for one more free in flight. */

static int
rg_free_room( rg_groove_t * g ) {
  while( g->pend_cnt==RG_PEND_MAX ) {
    int err = rg_free_round( g );
    if( err ) return err;
  }
  return RG_SUCCESS;
}

/* rg_free_remote: rg_groove_free over a round-trip transport: the
   header read that validates (it also covers the frees in flight,
   which this call then completes), then the free posted. */

static int
rg_free_remote( rg_groove_t * g,
                uint64_t      obj_off ) {
  int err = rg_groove_writable( g );
  if( !err ) err = rg_obj_in_volumes( g, obj_off );
  if( err ) return err;
  uint64_t start = rg_free_begin( g ), h = rg_groove_obj_hdr_off( obj_off ), w[3], t;
  rg_look_t look = { .sb = rg_look_for( g, obj_off ) };
  rg_mem_req_t r[2] = { { .op = RG_MEM_OP_READ, .off = h,       .sz = sizeof(w),         .buf = w         },
                        { .op = RG_MEM_OP_READ, .off = look.sb, .sz = sizeof(look.meta), .buf = look.meta } };
  if( (err = rg_mem_post( g->mem, r, look.sb ? 2UL : 1UL, &t )) || (err = rg_mem_wait( g->mem, t )) ) return err;
  if( (err = rg_free_settle_before( g, start )) || (err = rg_free_room( g )) ) return err;
  uint64_t k = rg_pend_slot( g );
  g->look = look;
  if( (err = rg_pend_submit( g, k, obj_off, h, w )) ) g->pend_cnt--;
  g->look.sb = 0UL;
  return err;
}

int
rg_groove_free_nbi( rg_groove_t * g,
                    uint64_t      obj_off ) {
  if( !g || !rg_mem_round_trips( g->mem ) ) return rg_groove_free( g, obj_off );
  int err = rg_groove_writable( g );
  if( !err ) err = rg_obj_in_volumes( g, obj_off );
  if( !err ) err = rg_free_room( g );
  if( err ) return err;
  uint64_t k = rg_pend_slot( g );
  rg_pend_t * e = &g->pend[k];
  *e = (rg_pend_t){ .state = RG_PEND_READ, .epoch = g->epoch, .obj = obj_off, .look = { .sb = rg_look_for( g, obj_off ) } };
  rg_mem_req_t r[2] = { { .op = RG_MEM_OP_READ, .off = rg_groove_obj_hdr_off( obj_off ), .sz = sizeof(e->hdr),       .buf = e->hdr       },
                        { .op = RG_MEM_OP_READ, .off = e->look.sb,                       .sz = sizeof(e->look.meta), .buf = e->look.meta } };
  if( (err = rg_mem_post( g->mem, r, e->look.sb ? 2UL : 1UL, &e->ticket )) ) rg_pend_done( g, e );
  return err;
}

/* rg_groove_free_slot: rg_groove_free of the object found at h (class c,
   slot idx) on memory without round trips, any case. */

static __attribute__((noinline)) int
rg_groove_free_slot( rg_groove_t * g,
                     uint64_t      h,
                     uint64_t      c,
                     uint64_t      idx ) {
  int err = rg_groove_writable( g );
  return err ? err : rg_slot_free( g, h, c, idx, 0 );
}

static __attribute__((noinline)) int
rg_groove_free_slow( rg_groove_t * g,
                     uint64_t      obj_off ) {
  if( rg_mem_round_trips( g->mem ) ) return rg_free_remote( g, obj_off );
  uint64_t h = 0UL, bits = 0UL, c = 0UL, idx = 0UL;
  int err = rg_obj_find( g, g->mem, obj_off, &h, &bits, &c, &idx );
  return err ? err : rg_groove_free_slot( g, h, c, idx );
}

/* rg_free_other: rg_groove_free on mapped memory of the object at h
   (class c, slot idx), any case.  Most frees land in a superblock the
   join does not hold: rg_slot_free's steps for those (not a span's),
   with the mapping's base in a register and nothing called before the
   CAS, whose wait for earlier stores to drain includes every register
   a call saves (rg_alloc.c, the fast path). */

static __attribute__((noinline)) int
rg_free_other( rg_groove_t * g,
               uint64_t      h,
               uint64_t      c,
               uint64_t      idx ) {
  uint64_t sb = rg_groove_sb_hdr_off( h, c, idx );
  if( RG_UNLIKELY( !g->me || c==RG_GROOVE_SPAN_SZC ||
                   ( c<RG_GROOVE_HELD_SZC_CNT && (sb==g->held[ c ].sb || sb==g->held[ c ].next) ) ) )
    return rg_groove_free_slot( g, h, c, idx );
  rg_mem_t const m = *g->mem;
  if( !m.base ) __builtin_unreachable(); /* the caller's test: the rg_mem_* below need not repeat it */
  uint64_t bit = 1UL<<idx, f, swp, dup;
  int err = rg_sb_of_ok( g, h, sb );
  if( RG_UNLIKELY( err ) ) return err;
  uint64_t bits  = *rg_mem_word( &m, sb ), check = *rg_mem_word( &m, sb + RG_SB_CHECK_OFF );
  f = *rg_mem_word( &m, sb + RG_SB_FREE_OFF );
  if( RG_UNLIKELY( !rg_sb_words_ok( g, sb, c, bits, f, check ) ) ) return rg_sb_forged( h, c, bits, check );
  if( RG_UNLIKELY( err = rg_still_live( h, c, f, bit ) ) ) return err;
  rg_client_freeing( g, 0UL, sb );
  rg_mem_store( &m, h, g->dead );
  if( RG_UNLIKELY( err = rg_bits_cas( g, &m, sb, c, bit, &f, &swp, &dup ) ) ) return err;
  return rg_freed( g, c, sb, f, swp, 0 );
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
  return rg_free_other( g, h, c, idx );
}

/* Batches ***************************************************************/

#define RG_FREE_N_CHUNK (64UL)     /* objects looked at together */
#define RG_FREE_SPAN    (32UL<<10) /* one read covers the headers within this */

typedef struct {
  uint64_t off;    /* the object's first byte */
  uint64_t h;      /* its header */
  uint64_t i;      /* its index in the caller's arrays */
  uint64_t w[3];   /* its header's words */
  uint64_t sb;
  uint64_t c;
  uint64_t bits;
  uint64_t dead;
  int      err;
} rg_fobj_t;

/* rg_fobj_sort: by header offset, so that one superblock's objects sit
   together (a child superblock's within its slot); batches come mostly
   in order, which insertion sort takes in one pass. */

static void
rg_fobj_sort( rg_fobj_t * o,
              uint64_t    n ) {
  for( uint64_t i=1UL; i<n; i++ ) {
    rg_fobj_t x = o[i];
    uint64_t  j = i;
    for( ; j && o[j-1UL].h>x.h; j-- ) o[j] = o[j-1UL];
    o[j] = x;
  }
}

/* rg_free_n_read reads the header words of o[0..n) (sorted): mapped,
   directly; remotely one read per run of headers within RG_FREE_SPAN,
   RG_MEM_INFLIGHT_RA of them in flight together, the first of them
   with the metadata of the look_cnt superblocks of look. */

#define RG_FREE_N_LOOKS (4UL) /* superblocks looked at with a batch's headers */

static int
rg_free_n_read( rg_groove_t * g,
                rg_fobj_t *   o,
                uint64_t      n,
                rg_look_t *   look,
                uint64_t      look_cnt ) {
  if( !rg_mem_round_trips( g->mem ) ) {
    for( uint64_t i=0UL; i<n; i++ ) { int err = rg_mem_read_words( g->mem, o[i].h, o[i].w, 3UL ); if( err ) return err; }
    return RG_SUCCESS;
  }
  uint8_t * buf = malloc( RG_MEM_INFLIGHT_RA*RG_FREE_SPAN );
  if( !buf ) return rg_err( RG_ERR_IO, "free_n: out of memory for %lu bytes of headers", RG_MEM_INFLIGHT_RA*RG_FREE_SPAN );
  int err = RG_SUCCESS;
  for( uint64_t i=0UL; !err && i<n; ) {
    rg_mem_req_t req[ RG_MEM_INFLIGHT_RA ];
    uint64_t first[ RG_MEM_INFLIGHT_RA + 1UL ], r = 0UL, t, lc = look_cnt;
    for( ; i<n && r + lc<RG_MEM_INFLIGHT_RA; r++ ) {
      uint64_t j = i;
      while( j + 1UL<n && o[ j+1UL ].h + 24UL - o[i].h<=RG_FREE_SPAN ) j++;
      req[r] = (rg_mem_req_t){ .op = RG_MEM_OP_READ, .off = o[i].h, .sz = o[j].h + 24UL - o[i].h, .buf = buf + r*RG_FREE_SPAN };
      first[r] = i;
      i = j + 1UL;
    }
    first[r] = i;
    for( uint64_t q=0UL; q<lc; q++ )
      req[ r + q ] = (rg_mem_req_t){ .op = RG_MEM_OP_READ, .off = look[q].sb, .sz = sizeof(look[q].meta), .buf = look[q].meta };
    look_cnt = 0UL; /* with the first post only */
    err = rg_mem_post( g->mem, req, r + lc, &t );
    if( !err ) err = rg_mem_wait( g->mem, t );
    for( uint64_t q=0UL; !err && q<r; q++ )
      for( uint64_t x=first[q]; x<first[ q+1UL ]; x++ ) memcpy( o[x].w, (uint8_t *)req[q].buf + (o[x].h - req[q].off), 24UL );
  }
  free( buf );
  return err;
}

/* rg_free_n_group frees o[0..n), live objects of one superblock with
   their bits found: every one whose bits the guess shows free already
   is refused; the others' dead headers go out, then one CAS sets all
   their bits (posted remotely, waited for otherwise). */

static int
rg_free_n_group( rg_groove_t * g,
                 rg_fobj_t *   o,
                 uint64_t      n ) {
  uint64_t sb = o[0].sb, c = o[0].c, bits = 0UL, f, swp, dup;
  int rt = rg_mem_round_trips( g->mem ), held = c<RG_GROOVE_HELD_SZC_CNT && sb==g->held[ c ].sb;
  int err = rt ? rg_pend_guess( g, o[0].h, c, sb, &f ) : rg_slot_guess( g, o[0].h, c, sb, &f );
  if( err==RG_ERR_INVAL ) { for( uint64_t x=0UL; x<n; x++ ) o[x].err = err; return RG_SUCCESS; }
  if( err ) return err;
  for( uint64_t x=0UL; x<n; x++ ) {
    if( (rg_sb_free_bits( f ) | bits) & o[x].bits ) { o[x].err = rg_err( RG_ERR_INVAL, "object at %#lx is already free (double free?)", o[x].off ); continue; }
    bits |= o[x].bits;
  }
  if( !bits ) return RG_SUCCESS;
  if( rt ) { /* an entry of the ring, whose freeing word names sb */
    if( (err = rg_free_room( g )) ) return err;
    uint64_t k = rg_pend_slot( g ), first = 0UL;
    while( o[ first ].err ) first++;
    err = held ? RG_SUCCESS : rg_client_freeing( g, k + 1UL, sb );
    for( uint64_t x=0UL; !err && x<n; x++ ) if( !o[x].err ) err = rg_mem_store( g->mem, o[x].h, o[x].dead );
    g->pend[k] = (rg_pend_t){ .obj = o[ first ].off, .sb = sb, .c = c, .bits = bits, .guess = f, .held = (uint64_t)held };
    if( err || (err = rg_pend_cas( g, k )) ) g->pend_cnt--;
    return err;
  }
  if( !held && (err = rg_client_freeing( g, 0UL, sb )) ) return err;
  for( uint64_t x=0UL; !err && x<n; x++ ) if( !o[x].err ) err = rg_mem_store( g->mem, o[x].h, o[x].dead );
  if( err ) return err;
  while( (err = rg_bits_cas( g, g->mem, sb, c, bits, &f, &swp, &dup ))==RG_ERR_INVAL ) { /* some were freed meanwhile by others */
    for( uint64_t x=0UL; x<n; x++ ) if( !o[x].err && (o[x].bits & dup) ) o[x].err = err;
    if( !(bits &= ~dup) ) return RG_SUCCESS;
  }
  if( err ) return err;
  if( held ) g->held[ c ].free = rg_sb_free_bits( swp );
  else if( c<RG_GROOVE_HELD_SZC_CNT && sb==g->held[ c ].next ) g->held[ c ].next_free = rg_sb_free_bits( swp );
  return rg_freed( g, c, sb, f, swp, 0 );
}

/* rg_free_n_chunk: rg_groove_free_n of at most RG_FREE_N_CHUNK objects;
   res[i] gets each one's result. */

static int
rg_free_n_chunk( rg_groove_t *    g,
                 uint64_t         n,
                 uint64_t const * obj_off,
                 int *            res ) {
  rg_fobj_t o[ RG_FREE_N_CHUNK ];
  uint64_t  cnt = 0UL;
  for( uint64_t i=0UL; i<n; i++ ) {
    res[i] = rg_obj_in_volumes( g, obj_off[i] );
    if( !res[i] ) o[ cnt++ ] = (rg_fobj_t){ .off = obj_off[i], .h = rg_groove_obj_hdr_off( obj_off[i] ), .i = i };
  }
  rg_fobj_sort( o, cnt );
  rg_look_t look[ RG_FREE_N_LOOKS ];
  uint64_t  look_cnt = 0UL;
  for( uint64_t x=0UL; x<cnt && look_cnt<RG_FREE_N_LOOKS; x++ ) {
    uint64_t sb = rg_look_for( g, o[x].off ), q = 0UL;
    while( q<look_cnt && look[q].sb!=sb ) q++;
    if( sb && q==look_cnt ) look[ look_cnt++ ].sb = sb;
  }
  uint64_t start = rg_free_begin( g );
  int err = rg_free_n_read( g, o, cnt, look, look_cnt );
  if( !err ) err = rg_free_settle_before( g, start );
  if( err ) return err;
  uint64_t live = 0UL;
  for( uint64_t x=0UL; x<cnt; x++ ) { /* validated, then compacted to the live ones */
    uint64_t idx;
    o[x].err = rg_obj_check( o[x].off, o[x].h, o[x].w[0], &o[x].c, &idx );
    if( !o[x].err && live && o[ live-1UL ].h==o[x].h ) o[x].err = rg_err( RG_ERR_INVAL, "free of %#lx: twice in one batch (double free)", o[x].off );
    if( !o[x].err ) {
      o[x].sb  = rg_groove_sb_hdr_off( o[x].h, o[x].c, idx );
      o[x].err = rg_slot_bits_of( g, o[x].h, o[x].c, idx, o[x].w[0], o[x].w[2], &o[x].bits, &o[x].dead );
    }
    res[ o[x].i ] = o[x].err;
    if( !o[x].err ) o[ live++ ] = o[x];
  }
  for( uint64_t x=0UL; x<live; ) {
    uint64_t y = x + 1UL;
    while( y<live && o[y].sb==o[x].sb ) y++;
    for( uint64_t q=0UL; q<look_cnt; q++ ) if( look[q].sb==o[x].sb ) g->look = look[q];
    err = rg_free_n_group( g, o + x, y - x );
    g->look.sb = 0UL;
    if( err ) return err;
    for( uint64_t q=x; q<y; q++ ) res[ o[q].i ] = o[q].err;
    x = y;
  }
  return RG_SUCCESS;
}

/* rg_free_n_mapped: rg_free_n_chunk on memory without round trips:
   nothing to read together, so no sort either: a run of objects of one
   superblock in the caller's order is one group (a batch from alloc_n
   is one run per superblock); a bit already in the run is a second free
   of one object in the batch. */

static int
rg_free_n_mapped( rg_groove_t *    g,
                  uint64_t         n,
                  uint64_t const * obj_off,
                  int *            res ) {
  rg_fobj_t o[ RG_FREE_N_CHUNK ];
  uint64_t  cnt = 0UL, run_bits = 0UL;
  for( uint64_t i=0UL; i<=n; i++ ) {
    uint64_t h = 0UL, hdr = 0UL, c = 0UL, idx = 0UL, bits = 0UL, dead = 0UL, sb = 0UL;
    int e = RG_SUCCESS;
    if( i<n ) {
      e = rg_obj_find( g, g->mem, obj_off[i], &h, &hdr, &c, &idx );
      if( !e ) e = rg_slot_bits( g, h, c, idx, &bits, &dead );
      sb = e ? 0UL : rg_groove_sb_hdr_off( h, c, idx );
      if( !e && cnt && sb==o[0].sb && (run_bits & bits) ) e = rg_err( RG_ERR_INVAL, "free of %#lx: twice in one batch (double free)", obj_off[i] );
      res[i] = e;
      if( e ) continue;
    }
    if( cnt && (i==n || sb!=o[0].sb) ) { /* the run ends: its group */
      int err = rg_free_n_group( g, o, cnt );
      if( err ) return err;
      for( uint64_t q=0UL; q<cnt; q++ ) res[ o[q].i ] = o[q].err;
      cnt = 0UL;
      run_bits = 0UL;
    }
    if( i==n ) break;
    rg_fobj_t * x = &o[ cnt++ ];
    x->off = obj_off[i]; x->h = h; x->i = i; x->sb = sb; x->c = c; x->bits = bits; x->dead = dead; x->err = RG_SUCCESS;
    run_bits |= bits;
  }
  return RG_SUCCESS;
}

/* rg_free_n_held: the fast path of rg_groove_free_n, as rg_groove_free's:
   on mapped memory, when every object is live in the superblock its
   join holds for its class (as after an alloc_n), all are validated
   first, then their dead headers go out and one CAS per class sets its
   bits (a CAS that finds others' frees meanwhile retries from what it
   found).  0 when the batch is not such (nothing changed). */

static int
rg_free_n_held( rg_groove_t *    g,
                uint64_t         n,
                uint64_t const * obj_off,
                int *            err,
                int *            ret ) {
  uint64_t bits[ RG_GROOVE_HELD_SZC_CNT ] = {0}, used = 0UL;
  uint8_t  cls[ RG_FREE_N_CHUNK ], slot[ RG_FREE_N_CHUNK ];
  rg_mem_t const m = *g->mem;
  for( uint64_t i=0UL; i<n; i++ ) {
    uint64_t h, hb, c, idx;
    if( rg_obj_find( g, &m, obj_off[i], &h, &hb, &c, &idx ) || c>=RG_GROOVE_HELD_SZC_CNT ) return 0;
    uint64_t b = 1UL<<idx;
    if( rg_groove_sb_hdr_off( h, c, idx )!=g->held[ c ].sb || ((g->held[ c ].free | bits[c]) & b) ) return 0;
    bits[c] |= b;
    used |= 1UL<<c;
    cls[i] = (uint8_t)c;
    slot[i] = (uint8_t)idx;
  }
  for( uint64_t i=0UL; i<n; i++ ) rg_mem_store( &m, rg_groove_obj_hdr_off( obj_off[i] ), g->dead );
  *ret = RG_SUCCESS;
  if( err ) for( uint64_t i=0UL; i<n; i++ ) err[i] = RG_SUCCESS;
  for( ; used; used &= used - 1UL ) {
    uint64_t c = (uint64_t)__builtin_ctzl( used ), sb = g->held[ c ].sb, f = g->held[ c ].free | g->mark, swp, dup;
    int e;
    while( (e = rg_bits_cas( g, g->mem, sb, c, bits[c], &f, &swp, &dup ))==RG_ERR_INVAL ) { /* another join freed some meanwhile */
      for( uint64_t i=0UL; err && i<n; i++ ) if( cls[i]==c && ((dup>>slot[i]) & 1UL) ) err[i] = e;
      if( !*ret ) *ret = e;
      if( !(bits[c] &= ~dup) ) break;
    }
    if( e && e!=RG_ERR_INVAL ) { *ret = e; return 1; }
    if( !e ) g->held[ c ].free = rg_sb_free_bits( swp );
  }
  return 1;
}

int
rg_groove_free_n( rg_groove_t *    g,
                  uint64_t         n,
                  uint64_t const * obj_off,
                  int *            err ) {
  if( !g || (n && !obj_off) ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  int e = n ? rg_groove_writable( g ) : RG_SUCCESS;
  if( e ) return e;
  if( rg_mem_is_mapped( g->mem ) && n<=RG_FREE_N_CHUNK && rg_free_n_held( g, n, obj_off, err, &e ) ) return e;
  int first = RG_SUCCESS, res[ RG_FREE_N_CHUNK ];
  for( uint64_t k=0UL; k<n; k+=RG_FREE_N_CHUNK ) {
    uint64_t m = n - k < RG_FREE_N_CHUNK ? n - k : RG_FREE_N_CHUNK;
    e = rg_mem_round_trips( g->mem ) ? rg_free_n_chunk( g, m, obj_off + k, res ) : rg_free_n_mapped( g, m, obj_off + k, res );
    if( e ) return e;
    for( uint64_t i=0UL; i<m; i++ ) {
      if( err ) err[ k + i ] = res[i];
      if( res[i] && !first ) first = res[i];
    }
  }
  return first;
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
