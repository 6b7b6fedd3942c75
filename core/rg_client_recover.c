/* Online recovery of one client that is gone (doc/architecture.md, "online
   recovery").  Its record names every superblock it may have left
   marked or half changed; the superblocks themselves say the rest:

   - in a superblock it held, a free slot under a live header is an
     allocation it did not finish (headers go before claims): cleared;
   - a claimed slot whose dead header names it is a free it did not
     finish: its bits are set;
   - a superblock still marked as its is taken over, where it is: left
     in the slot or on the stack it is in, otherwise put back.

   Every other client goes on meanwhile: the superblocks handled are the
   dead client's own, which nobody else claims from while they carry its
   mark, and the bits set are of objects it was freeing. */

#include "rg_groove_private.h"
#include "base/rg_proc.h"

#include <stdarg.h>
#include <stdio.h>

static void
rg_report( rg_groove_recovery_t * rec,
           char const *           fmt,
           ... ) __attribute__((format(printf,2,3)));

static void
rg_report( rg_groove_recovery_t * rec,
           char const *           fmt,
           ... ) {
  if( !rec->report ) return;
  char line[ 256 ];
  va_list ap;
  va_start( ap, fmt );
  vsnprintf( line, sizeof(line), fmt, ap );
  va_end( ap );
  rec->report( rec->report_ctx, line );
}

/* rg_rec_sb_class: the class of the superblock at sb if it is a real one
   (header and check word), else -1. */

static int64_t
rg_rec_sb_class( rg_groove_t * g,
                 uint64_t      sb,
                 uint64_t *    meta ) {
  if( !rg_groove_sb_in_range( g, sb ) ) return -1L;
  if( rg_mem_read_words( g->mem, sb, meta, RG_SB_META_WORDS ) ) return -1L;
  uint64_t c = rg_groove_hdr_szc( meta[0] );
  return c<RG_GROOVE_SZC_CNT && rg_sb_meta_ok( g, sb, c, meta ) ? (int64_t)c : -1L;
}

/* rg_rec_set_bits sets bits in sb (class c) for a free of d's that was
   interrupted: whoever holds sb goes on, and a full one is revived by
   this join. */

static int
rg_rec_set_bits( rg_groove_t * g,
                 uint64_t      sb,
                 uint64_t      c,
                 uint64_t      bits ) {
  uint64_t f, old;
  int err = rg_mem_load( g->mem, sb + RG_SB_FREE_OFF, &f );
  for(;;) {
    if( err ) return err;
    if( rg_sb_free_bits( f ) & bits ) return RG_SUCCESS; /* someone finished it */
    uint64_t swp = f ? f | bits : bits | g->mark;
    if( !f && (err = rg_client_op( g, RG_OP_REVIVE, sb, 0UL )) ) return err;
    if( (err = rg_mem_cas( g->mem, sb + RG_SB_FREE_OFF, f, swp, &old )) ) return err;
    if( old==f ) return f ? RG_SUCCESS : rg_sb_revived( g, c, sb, swp );
    f = old;
  }
}

/* rg_rec_sweep finishes d's interrupted operations inside sb (class c,
   meta just read); held: d holds it (its mark is on it). */

static int
rg_rec_sweep( rg_groove_t *          g,
              uint64_t               sb,
              uint64_t               c,
              uint64_t               d,
              int                    held,
              rg_groove_recovery_t * rec ) {
  uint64_t cnt = rg_groove_szc_cfg[ c ].obj_cnt, heads[ 64 ], f, sc, si;
  int err = rg_sb_heads( g, sb, c, heads );
  if( !err ) err = rg_mem_load( g->mem, sb + RG_SB_FREE_OFF, &f );
  if( err ) return err;
  for( uint64_t i=0UL; i<cnt; i++ ) {
    uint64_t bit = 1UL<<i, h = heads[i], slot = rg_groove_slot_off( sb, c, i );
    int live = rg_hdr_live( h, &sc, &si ) && sc==c && si==i;
    if( f & bit ) {
      if( held && rg_hdr_live( h, &sc, &si ) ) { /* written before a claim that never came (an object's or a child's) */
        if( (err = rg_mem_store( g->mem, slot, 0UL )) ) return err;
        rec->slots_freed++;
        rg_report( rec, "client %lu: undid an allocation at %#lx it had not finished", d - 1UL, slot );
      }
      continue;
    }
    if( live && c==RG_GROOVE_SPAN_SZC && rg_groove_hdr_type( h )==RG_GROOVE_HDR_TYPE_ALLOC ) { /* a span: skip its other slots */
      uint64_t sz;
      if( (err = rg_mem_load( g->mem, slot + 16UL, &sz )) ) return err;
      i += rg_hdr_span_cnt( sz ) - 1UL;
      continue;
    }
    if( rg_groove_hdr_type( h )!=RG_GROOVE_HDR_TYPE_DEAD || rg_hdr_dead_by( h )!=d ) continue;
    uint64_t k = (h>>28) & 63UL;
    if( (err = rg_rec_set_bits( g, sb, c, (k ? rg_full_mask( k ) : 1UL)<<i )) ) return err;
    rec->slots_freed++;
    rg_report( rec, "client %lu: finished its free of %#lx", d - 1UL, slot );
  }
  return RG_SUCCESS;
}

/* rg_rec_find_stack: is sb on the stack at stk (*stk_found = stk)?
   RG_ERR_AGAIN (reported as in doubt) if the stack kept moving. */

static int
rg_rec_find_stack( rg_groove_t *          g,
                   uint64_t               stk,
                   uint64_t               sb,
                   uint64_t               d,
                   uint64_t *             stk_found,
                   rg_groove_recovery_t * rec ) {
  int found = 0, err = rg_stk_find( g, stk, sb, &found );
  if( err==RG_ERR_AGAIN ) { rec->in_doubt++; rg_report( rec, "client %lu: superblock %#lx left for later: %s", d - 1UL, sb, rg_errmsg() ); }
  if( !err && found ) *stk_found = stk;
  return err;
}

/* rg_rec_locate finds sb (class c), marked by d, which nobody but d
   moves: in the active slot *slot, on the stack *stk or out (both 0).
   It looks where d's record says first: the slot or stack its op
   names, else d's own active slot (one it holds in place).  d marks a
   superblock it found in a slot or on top of a stack before it checks
   the superblock is still there, so an op that was taking sb from a
   container may have left the mark on sb in any container of the class:
   then every one is looked at. */

static int
rg_rec_locate( rg_groove_t *           g,
               uint64_t                sb,
               uint64_t                c,
               uint64_t                d,
               rg_client_rec_t const * r,
               uint64_t *              slot,
               uint64_t *              stk,
               rg_groove_recovery_t *  rec ) {
  uint64_t op = rg_op_code( r->op ), named = rg_op_sb( r->op )==sb ? g->shoff + 8UL*rg_op_where( r->op ) : 0UL, s;
  uint64_t w  = op==RG_OP_SLOT && named ? named : rg_groove_active_cg_off( g, c, r->cgroup & (uint64_t)rg_groove_szc_cfg[ c ].cgroup_mask );
  *slot = *stk = 0UL;
  int err = rg_mem_load( g->mem, w, &s );
  if( err || s==sb ) { *slot = w; return err; }
  if( named && (op==RG_OP_POP || op==RG_OP_PUSH) && (err = rg_rec_find_stack( g, named, sb, d, stk, rec )) ) return err;
  if( *stk || !named || (op!=RG_OP_POP && op!=RG_OP_SLOT) ) return RG_SUCCESS;
  for( uint64_t cg=0UL; cg<=rg_groove_szc_cfg[ c ].cgroup_mask; cg++ ) {
    uint64_t a = rg_groove_active_cg_off( g, c, cg ), k = rg_groove_inactive_cg_off( g, c, cg );
    if( (err = rg_mem_load( g->mem, a, &s )) ) return err;
    if( s==sb ) { *slot = a; return RG_SUCCESS; }
    if( k!=named && (err = rg_rec_find_stack( g, k, sb, d, stk, rec )) ) return err;
    if( *stk ) return RG_SUCCESS;
  }
  return RG_SUCCESS;
}

/* rg_rec_take_over makes sb (class c), marked by d, this join's and puts
   it back: left in the container it is in, or put into one.  This
   join's record names it first, as for any superblock it marks. */

static int
rg_rec_take_over( rg_groove_t *           g,
                  uint64_t                sb,
                  uint64_t                c,
                  uint64_t                d,
                  rg_client_rec_t const * r,
                  rg_groove_recovery_t *  rec ) {
  uint64_t w, stk, f;
  int err = rg_rec_locate( g, sb, c, d, r, &w, &stk, rec );
  if( !err ) err = w ? rg_client_op( g, RG_OP_SLOT, sb, w ) : stk ? rg_client_op( g, RG_OP_PUSH, sb, stk ) : rg_client_op( g, RG_OP_REVIVE, sb, 0UL );
  if( !err ) err = rg_mem_load( g->mem, sb + RG_SB_FREE_OFF, &f );
  if( err ) return err;
  /* its mark becomes ours, then it goes back as any of ours would */
  for(;;) {
    uint64_t old;
    if( rg_sb_mark( f )!=d ) return RG_SUCCESS; /* not d's after all */
    if( (err = rg_mem_cas( g->mem, sb + RG_SB_FREE_OFF, f, rg_sb_free_bits( f ) | g->mark, &old )) ) return err;
    if( old==f ) break;
    f = old;
  }
  rec->superblocks_recirculated++;
  rg_report( rec, "client %lu: took back its class %lu superblock %#lx (%s)", d - 1UL, c, sb,
             w ? "in an active slot" : stk ? "on a stack" : "out of circulation" );
  /* out, it may still link where a push that never happened would have */
  if( !w && !stk && (err = rg_mem_store( g->mem, sb + RG_SB_INFO_OFF, 0UL )) ) return err;
  if( !stk ) return rg_sb_release( g, c, sb, w );
  f = rg_sb_free_bits( f );
  if( !(err = rg_sb_unmark( g, sb, g->me, &f )) ) err = rg_client_op( g, RG_OP_NONE, 0UL, 0UL );
  return err;
}

/* rg_rec_sb: handle the superblock sb d's record names. */

static int
rg_rec_sb( rg_groove_t *           g,
           uint64_t                sb,
           uint64_t                d,
           rg_client_rec_t const * r,
           rg_groove_recovery_t *  rec ) {
  uint64_t meta[ RG_SB_META_WORDS ];
  int64_t c = rg_rec_sb_class( g, sb, meta );
  if( c<0L ) return RG_SUCCESS; /* gone since (destroyed, reused): nothing of d's left there */
  int held = rg_sb_mark( meta[2] )==d;
  int err = rg_rec_sweep( g, sb, (uint64_t)c, d, held, rec );
  return err || !held ? err : rg_rec_take_over( g, sb, (uint64_t)c, d, r, rec );
}

/* rg_rec_aside: the superblocks a trim of d's set aside, a chain
   through their links from the aside word of d's record (at rec_off);
   the chain ends at the first that is not d's (one d had pushed back
   already).  Each is named by the record's aside_at word, and the aside
   word moves on to the rest, before it is handled: a recovery cut short
   (a stack search in doubt, an error, the recoverer's death) resumes
   with that one and the rest of the chain, still whole, where starting
   over from the first would stop at one already put back. */

static int
rg_rec_aside( rg_groove_t *           g,
              uint64_t                rec_off,
              uint64_t                d,
              rg_client_rec_t const * r,
              rg_groove_recovery_t *  rec ) {
  uint64_t bound = (g->volume_max<<RG_VOLUME_LG_FOOTPRINT)/1024UL, meta[ RG_SB_META_WORDS ], head = r->aside;
  /* aside_at is handled first unless aside did not move past it (then it
     is the head, untouched, and the walk takes it in turn) */
  int err = r->aside_at && r->aside_at!=head ? rg_rec_sb( g, r->aside_at, d, r, rec ) : RG_SUCCESS;
  for( uint64_t n=0UL; !err && head && n<bound; n++ ) {
    int64_t c = rg_rec_sb_class( g, head, meta );
    if( c<0L || rg_sb_mark( meta[2] )!=d ) break;
    uint64_t sb = head;
    err = rg_mem_load( g->mem, sb + RG_SB_INFO_OFF, &head ); /* before it goes back and links elsewhere */
    if( !err ) err = rg_mem_store( g->mem, rec_off + offsetof( rg_client_rec_t, aside_at ), sb );
    if( !err ) err = rg_mem_store( g->mem, rec_off + offsetof( rg_client_rec_t, aside ), head );
    if( !err ) err = rg_mem_store( g->mem, sb + RG_SB_INFO_OFF, 0UL );
    if( !err ) err = rg_rec_sb( g, sb, d, r, rec );
  }
  return err;
}

/* rg_rec_create: d made a superblock in slot x of p last.  p itself
   first: d held it while making, and when d had just made p and found
   its active slot taken, p was held out with this word its only name
   (the one that named p in its own parent was overwritten): its sweep
   clears the header of a child never claimed, and it is taken over if
   still d's.  Then the child, if claimed: d's if d's mark is on it. */

static int
rg_rec_create( rg_groove_t *           g,
               uint64_t                p,
               uint64_t                x,
               uint64_t                d,
               rg_client_rec_t const * r,
               rg_groove_recovery_t *  rec ) {
  uint64_t meta[ RG_SB_META_WORDS ];
  int64_t pc = rg_rec_sb_class( g, p, meta );
  if( pc<0L || x>=(uint64_t)rg_groove_szc_cfg[ pc ].obj_cnt ) return RG_SUCCESS;
  int err = rg_rec_sb( g, p, d, r, rec );
  if( err || (rg_sb_free_bits( meta[2] ) & (1UL<<x)) ) return err;
  return rg_rec_sb( g, rg_groove_slot_off( p, (uint64_t)pc, x ), d, r, rec );
}

/* rg_rec_volume: d was taking the volume whose top superblock is sb. */

static int
rg_rec_volume( rg_groove_t *           g,
               uint64_t                sb,
               uint64_t                d,
               rg_client_rec_t const * r,
               rg_groove_recovery_t *  rec ) {
  uint64_t vol = sb - RG_VOL_HDR_SZ, magic, meta[ RG_SB_META_WORDS ];
  if( !rg_groove_sb_in_range( g, sb ) || ((vol - g->volume0_off) & (RG_VOLUME_FOOTPRINT-1UL)) ) return RG_SUCCESS;
  int err = rg_mem_load( g->mem, vol, &magic );
  if( err ) return err;
  if( magic==RG_VOLUME_MAGIC ) {
    if( rg_rec_sb_class( g, sb, meta )>=0L ) return rg_rec_sb( g, sb, d, r, rec );
    rec->in_doubt++; /* in use with no top yet: d's or another's in the making; the quiet pass settles it */
    rg_report( rec, "client %lu: volume at %#lx is in use without a top superblock: left for a quiet recovery", d - 1UL, vol );
    return RG_SUCCESS;
  }
  if( magic==~RG_VOLUME_MAGIC ) {
    rec->in_doubt++; /* in the pool, or taken and not yet marked: the quiet pass tells which */
    rg_report( rec, "client %lu: volume at %#lx may be out of the pool: left for a quiet recovery", d - 1UL, vol );
  }
  return RG_SUCCESS;
}

int
rg_groove_recover_client( rg_groove_t *          g,
                          uint64_t               idx,
                          int                    flags,
                          rg_groove_recovery_t * opt_rec ) {
  rg_groove_recovery_t scratch = {0}, * rec = opt_rec ? opt_rec : &scratch;
  int err = rg_groove_writable( g );
  if( err ) return err;
  if( idx>=g->client_max ) return rg_err( RG_ERR_INVAL, "client %lu: the table has %lu records", idx, g->client_max );
  if( idx + 1UL==g->me ) return rg_err( RG_ERR_INVAL, "client %lu is this join itself", idx );
  if( (err = rg_free_settle( g )) ) return err;

  static __thread rg_client_rec_t r;
  uint64_t rec_off = rg_groove_rec_off( g, idx ), d = idx + 1UL, old;
  if( (err = rg_mem_read( g->mem, rec_off, &r, sizeof(r) )) ) return err;
  uint64_t st = rg_rec_state( r.state ), by = (r.state>>8) & 0xfffUL;
  if( st==RG_CLIENT_FREE ) return rg_err( RG_ERR_KEY, "client %lu: its record is free (nothing to recover)", idx );
  if( st==RG_CLIENT_RECOVERING && by!=g->me ) {
    uint64_t bw;
    if( (err = rg_mem_load( g->mem, rg_groove_rec_off( g, by - 1UL ), &bw )) ) return err;
    if( rg_rec_state( bw )==RG_CLIENT_LIVE ) return rg_err( RG_ERR_KEY, "client %lu is being recovered by client %lu", idx, by - 1UL );
  }
  if( st==RG_CLIENT_LIVE ) {
    if( !r.id_kind ) return rg_err( RG_ERR_AGAIN, "client %lu is joining: try again", idx );
    if( (flags & RG_RECOVER_IF_DEAD) && r.id_kind==RG_CONN_ID_PID && rg_proc_alive( r.id ) )
      return rg_err( RG_ERR_AGAIN, "client %lu (pid %lu) is alive", idx, r.id[0] );
  }
  uint64_t mine = rg_rec_word( rg_rec_gen( r.state ), g->me, RG_CLIENT_RECOVERING );
  if( (err = rg_mem_cas( g->mem, rec_off, r.state, mine, &old )) ) return err;
  if( old!=r.state ) return rg_err( RG_ERR_KEY, "client %lu: its record changed meanwhile (recovered by another?)", idx );
  uint64_t doubt = rec->in_doubt;

  /* what a trim set aside first, while its chain is whole (the other
     words may name its links); then its frees (a superblock they revive
     or empty is then handled like any other); then what it held and the
     operation it was in, then what it held next and its spares */
  if( r.aside || r.aside_at ) err = rg_rec_aside( g, rec_off, d, &r, rec );
  for( uint64_t k=0UL; !err && k<RG_FREEING_CNT; k++ ) if( r.freeing[k] ) err = rg_rec_sb( g, r.freeing[k], d, &r, rec );
  uint64_t op = rg_op_code( r.op ), osb = rg_op_sb( r.op );
  if( !err && rg_op_code( r.made )==RG_OP_CREATE ) err = rg_rec_create( g, rg_op_sb( r.made ), rg_op_where( r.made ), d, &r, rec );
  if( !err && op==RG_OP_VOLUME ) err = rg_rec_volume( g, osb, d, &r, rec );
  if( !err && op!=RG_OP_NONE && op!=RG_OP_VOLUME ) err = rg_rec_sb( g, osb, d, &r, rec );
  for( uint64_t c=0UL; !err && c<RG_GROOVE_HELD_SZC_CNT; c++ ) if( r.held[c] ) err = rg_rec_sb( g, r.held[c], d, &r, rec );
  for( uint64_t c=0UL; !err && c<RG_GROOVE_HELD_SZC_CNT; c++ ) if( r.next[c] ) err = rg_rec_sb( g, r.next[c], d, &r, rec );
  for( uint64_t k=0UL; !err && k<RG_GROOVE_HELD_SZC_CNT*RG_SPARE_CNT; k++ ) {
    uint64_t sb = r.spare[ k/RG_SPARE_CNT ][ k%RG_SPARE_CNT ];
    if( sb ) err = rg_rec_sb( g, sb, d, &r, rec );
  }
  if( err ) return err; /* the record stays ours, recovering: a retry resumes */

  /* the record is free again; the objects d allocated stay */
  rg_client_rec_t body = {0};
  err = rg_mem_write_words( g->mem, rec_off + 8UL, &body.id_kind, sizeof(body)/8UL - 1UL );
  if( !err ) err = rg_mem_cas( g->mem, rec_off, mine, rg_rec_word( rg_rec_gen( r.state ), 0UL, RG_CLIENT_FREE ), &old );
  if( !err ) err = rg_client_op( g, RG_OP_NONE, 0UL, 0UL );
  if( err ) return err;
  rec->clients++;
  rg_report( rec, "client %lu: recovered", idx );
  return rec->in_doubt>doubt ? rg_err( RG_ERR_AGAIN, "client %lu: recovered but %lu item(s) left for a quiet recovery", idx, rec->in_doubt - doubt )
                             : RG_SUCCESS;
}

/* rg_dead_ctx: the records rg_groove_recover_dead found to recover:
   those of processes that are gone, then those left half recovered (a
   recoverer that died, or is one of the first). */

typedef struct {
  uint64_t dead[ 256 ], dead_cnt;
  uint64_t half[ 256 ], half_cnt;
} rg_dead_ctx_t;

static int
rg_dead_collect( void *                          ctx,
                 rg_groove_client_info_t const * c ) {
  rg_dead_ctx_t * d = ctx;
  if( c->state==RG_GROOVE_CLIENT_LIVE && c->id_kind==RG_CONN_ID_PID && !rg_proc_alive( c->id ) && d->dead_cnt<256UL )
    d->dead[ d->dead_cnt++ ] = c->idx;
  if( c->state==RG_GROOVE_CLIENT_RECOVERING && d->half_cnt<256UL ) d->half[ d->half_cnt++ ] = c->idx;
  return 0;
}

int
rg_groove_recover_dead( rg_groove_t *          g,
                        rg_groove_recovery_t * rec ) {
  int err = rg_groove_writable( g );
  if( err ) return err;
  static __thread rg_dead_ctx_t d;
  d.dead_cnt = d.half_cnt = 0UL;
  if( (err = rg_groove_clients( g, rg_dead_collect, &d )) ) return err;
  int first = RG_SUCCESS;
  for( uint64_t i=0UL; i<d.dead_cnt + d.half_cnt; i++ ) {
    uint64_t idx = i<d.dead_cnt ? d.dead[i] : d.half[ i - d.dead_cnt ];
    if( idx + 1UL==g->me ) continue;
    int e = rg_groove_recover_client( g, idx, RG_RECOVER_IF_DEAD, rec );
    if( e && e!=RG_ERR_KEY && !first ) first = e; /* KEY: someone else got there first, or is at it */
  }
  return first;
}
