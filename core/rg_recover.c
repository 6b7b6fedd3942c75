/* Whole-pool recovery of a quiescent groove (doc/architecture.md, "verify and
   recovery").  The audit says what does not add up; recovery repairs
   what clients that are gone left (their records first, then what the
   volumes, stacks and pool show half done), and refuses, changing
   nothing, when there is damage no interrupted operation explains,
   unless asked to salvage. */

#include "rg_audit.h"

#include <stdarg.h>
#include <stdio.h>

static void
rg_say( rg_groove_recovery_t * rec,
        char const *           fmt,
        ... ) __attribute__((format(printf,2,3)));

static void
rg_say( rg_groove_recovery_t * rec,
        char const *           fmt,
        ... ) {
  if( !rec->report ) return;
  char line[ 300 ];
  va_list ap;
  va_start( ap, fmt );
  vsnprintf( line, sizeof(line), fmt, ap );
  va_end( ap );
  rec->report( rec->report_ctx, line );
}

/* rg_fix_sb_out puts back a superblock nobody holds and no container
   has: marked as this join's, then released like any of its own. */

static int
rg_fix_sb_out( rg_groove_t *          g,
               uint64_t               sb,
               uint64_t               c,
               rg_groove_recovery_t * rec ) {
  uint64_t f;
  int err = rg_mem_load( g->mem, sb + RG_SB_FREE_OFF, &f );
  if( err ) return err;
  if( rg_sb_mark( f ) || !rg_sb_free_bits( f ) ) return RG_SUCCESS;
  if( (err = rg_sb_mark_mine( g, sb, f, &f )) ) return err==RG_ERR_AGAIN ? RG_SUCCESS : err;
  rec->superblocks_recirculated++;
  return rg_sb_release( g, c, sb, 0UL );
}

/* rg_fix_free finishes a free whose bits never got set. */

static int
rg_fix_free( rg_groove_t * g,
             uint64_t      slot,
             uint64_t      c,
             uint64_t      bits ) {
  uint64_t idx = (uint64_t)__builtin_ctzl( bits );
  uint64_t sb  = slot - RG_GROOVE_BLOCK_FOOTPRINT - idx*(uint64_t)rg_groove_szc_cfg[ c ].obj_footprint, f, old;
  int err = rg_mem_load( g->mem, sb + RG_SB_FREE_OFF, &f );
  for(;;) {
    if( err ) return err;
    if( rg_sb_free_bits( f ) & bits ) return RG_SUCCESS;
    uint64_t swp = f ? f | bits : bits | g->mark;
    if( (err = rg_mem_cas( g->mem, sb + RG_SB_FREE_OFF, f, swp, &old )) ) return err;
    if( old==f ) return f ? RG_SUCCESS : rg_sb_release( g, c, sb, 0UL );
    f = old;
  }
}

/* rg_fix_bare_record frees record idx if it is live without an identity
   and holds nothing: a join cut short between claiming the record and
   writing who it is, or a leave between clearing it and letting it go.
   Online recovery must leave such a record alone (its client may still
   be writing); on a quiescent groove nobody is. */

static int
rg_fix_bare_record( rg_groove_t *          g,
                    uint64_t               idx,
                    rg_groove_recovery_t * rec ) {
  static __thread rg_client_rec_t r;
  uint64_t off = rg_groove_rec_off( g, idx ), any = 0UL, old;
  int err = rg_mem_read( g->mem, off, &r, sizeof(r) );
  if( err ) return err;
  for( uint64_t k=1UL; k<sizeof(r)/8UL; k++ ) any |= ((uint64_t const *)&r)[k];
  if( rg_rec_state( r.state )!=RG_CLIENT_LIVE || any ) return RG_SUCCESS;
  if( (err = rg_mem_cas( g->mem, off, r.state, rg_rec_word( rg_rec_gen( r.state ), 0UL, RG_CLIENT_FREE ), &old )) ) return err;
  if( old==r.state ) { rec->clients++; rg_say( rec, "freed client record %lu, taken by a join or left by a leave that did not finish", idx ); }
  return RG_SUCCESS;
}

/* rg_drop_report lists the objects whose headers lie in [lo, hi), which
   salvage is about to drop. */

static int
rg_drop_report( rg_groove_t *          g,
                uint64_t               lo,
                uint64_t               hi,
                rg_groove_recovery_t * rec ) {
  for( uint64_t h=lo; h<hi; h+=RG_GROOVE_BLOCK_FOOTPRINT ) {
    uint64_t w[2], sc, si;
    int err = rg_mem_read_words( g->mem, h, w, 2UL );
    if( err ) return err;
    if( rg_groove_hdr_type( w[0] )!=RG_GROOVE_HDR_TYPE_ALLOC || !rg_hdr_live( w[0], &sc, &si ) ) continue;
    rec->objects_dropped++;
    rg_say( rec, "salvage: dropped the object at %#lx (%lu bytes, tag %#lx)", rg_hdr_obj_start( h, w[0] ), rg_groove_hdr_sz( w[0] ), w[1] );
  }
  return RG_SUCCESS;
}

/* rg_fix_drop (salvage): what sits in slot idx, at off, of a class
   slot_c superblock cannot be accounted for: list it, free the slot (a
   volume's damaged top superblock: the volume, with slot_c 32). */

static int
rg_fix_drop( rg_groove_t *          g,
             uint64_t               off,
             uint64_t               slot_c,
             uint64_t               idx,
             rg_groove_recovery_t * rec ) {
  int err;
  if( slot_c==RG_GROOVE_SZC_CNT ) { /* a volume's top superblock: the volume goes */
    uint64_t vol = off - RG_VOL_HDR_SZ;
    if( (err = rg_drop_report( g, off, vol + RG_VOLUME_FOOTPRINT, rec )) ) return err;
    if( (err = rg_mem_store( g->mem, vol + RG_VOL_MAGIC_OFF, ~RG_VOLUME_MAGIC )) ) return err;
    rec->volumes_released++;
    rg_say( rec, "salvage: volume at %#lx emptied", vol );
    return rg_groove_pool_release( g, (vol - g->volume0_off)>>RG_VOLUME_LG_FOOTPRINT );
  }
  if( (err = rg_drop_report( g, off, off + (uint64_t)rg_groove_szc_cfg[ slot_c ].obj_footprint, rec )) ) return err;
  if( (err = rg_mem_store( g->mem, off, rg_hdr_dead( g->me ) )) ) return err;
  return rg_fix_free( g, off, slot_c, 1UL<<idx );
}

/* rg_recover_pass audits and applies the fixes of one kind. */

static int
rg_recover_pass( rg_groove_t *          g,
                 int                    kinds,
                 int                    flags,
                 rg_groove_recovery_t * rec ) {
  int salvage = !!(flags & RG_RECOVER_SALVAGE);
  rg_audit_t a = { .g = g, .want_fix = 1, .salvage = salvage, .server_gone = !!(flags & RG_RECOVER_SERVER_GONE) };
  int err = rg_audit_run( &a );
  for( uint64_t i=0UL; !err && i<a.fix_cnt; i++ ) {
    rg_audit_fix_t const * x = &a.fix[i];
    if( !(kinds & (1<<x->kind)) ) continue;
    switch( x->kind ) {
    case RG_FIX_CLIENT: {
      int e = rg_groove_recover_client( g, x->a, 0, rec );
      if( e==RG_ERR_AGAIN ) e = rg_fix_bare_record( g, x->a, rec );
      if( e && e!=RG_ERR_KEY ) err = e;
      break;
    }
    case RG_FIX_FREE:
      if( !(err = rg_fix_free( g, x->a, x->b, x->c )) ) { rec->slots_freed++; rg_say( rec, "finished the free of %#lx", x->a ); }
      break;
    case RG_FIX_SB_OUT:
      err = rg_fix_sb_out( g, x->a, x->b, rec );
      if( !err ) rg_say( rec, "put class %lu superblock %#lx back into circulation", x->b, x->a );
      break;
    case RG_FIX_VOL_OUT:
      if( !(err = rg_groove_pool_release( g, x->a )) ) { rec->volumes_released++; rg_say( rec, "put empty volume %lu back into the pool", x->a ); }
      break;
    case RG_FIX_VOL_BARE:
      err = rg_mem_store( g->mem, rg_groove_vol_off( g, x->a ) + RG_VOL_MAGIC_OFF, ~RG_VOLUME_MAGIC );
      if( !err ) err = rg_groove_pool_release( g, x->a );
      if( !err ) { rec->volumes_released++; rg_say( rec, "gave back volume %lu, never set up", x->a ); }
      break;
    case RG_FIX_DROP:
      err = rg_fix_drop( g, x->a, rg_groove_szc_cfg[ x->b ].parent_szc, x->c, rec );
      break;
    case RG_FIX_DROP_SLOT:
      err = rg_fix_drop( g, x->a, x->b, x->c, rec );
      break;
    default: break; /* RG_FIX_MAGIC: a header to rewrite needs an operator (the tree is not read without it) */
    }
  }
  rg_audit_fini( &a );
  return err;
}

int
rg_groove_recover( rg_groove_t *          g,
                   int                    flags,
                   rg_groove_recovery_t * opt_rec ) {
  rg_groove_recovery_t scratch = {0}, * rec = opt_rec ? opt_rec : &scratch;
  int err = rg_groove_writable( g );
  if( err ) return err;
  int salvage = !!(flags & RG_RECOVER_SALVAGE);

  /* the analysis: nothing changes before it says there is nothing it
     would refuse */
  rg_audit_t a = { .g = g, .rec = rec, .want_fix = 1, .salvage = salvage, .server_gone = !!(flags & RG_RECOVER_SERVER_GONE) };
  err = rg_audit_run( &a );
  uint64_t damage = a.damage, fixes = a.fix_cnt;
  if( !err && (flags & RG_RECOVER_DRY_RUN) ) {
    static char const * const what[] = { "", "put back a superblock out of circulation", "put back an empty volume missing from the pool",
                                         "give back a volume never set up", "finish an interrupted free", "recover a client that is gone",
                                         "drop what a damaged structure held", "rewrite a damaged volume header",
                                         "drop what a slot with a bad header held" };
    for( uint64_t i=0UL; i<a.fix_cnt; i++ ) rg_say( rec, "would %s (%#lx)", what[ a.fix[i].kind ], a.fix[i].a );
  }
  rg_audit_fini( &a );
  if( err ) return err;
  if( damage && !salvage )
    return rg_err( RG_ERR_CORRUPT, "recover: the pool is damaged (%lu problem(s), the first: %s); nothing was changed "
                   "(RG_RECOVER_SALVAGE drops what cannot be accounted for)", damage, a.first );
  if( (flags & RG_RECOVER_DRY_RUN) || !fixes ) return RG_SUCCESS;

  /* clients first (they explain most of the rest), then the frees they
     left half done, then what is still out of place */
  int const phase[] = { 1<<RG_FIX_CLIENT, 1<<RG_FIX_FREE, (1<<RG_FIX_SB_OUT) | (1<<RG_FIX_VOL_OUT) | (1<<RG_FIX_VOL_BARE),
                        (1<<RG_FIX_DROP) | (1<<RG_FIX_DROP_SLOT) };
  for( uint64_t p=0UL; !err && p<sizeof(phase)/sizeof(phase[0]); p++ ) {
    if( (phase[p] & (1<<RG_FIX_DROP)) && !salvage ) break;
    err = rg_recover_pass( g, phase[p], flags, rec );
  }
  if( !err ) err = rg_mem_fence( g->mem );
  return err;
}
