/* Containers: the active slots and the inactive stacks, and the marks
   that say who holds a superblock (doc/architecture.md, "holding").

   A superblock with a free slot is in exactly one container or held
   (marked, out of every container) by one client; a full one is in
   none.  Every move keeps that, and the client records the move before
   the atomic that makes it, so a survivor can tell where a superblock
   is whatever instant its client died at:

   - taking from a slot: mark the superblock where it sits; it stays in
     the slot (others see the mark and look elsewhere; nobody takes a
     marked superblock out of a slot but its holder);
   - taking from a stack: mark the top, then pop it; nobody pops a
     marked top, so once marked it leaves the stack only by its holder;
   - putting back: into a slot or onto a stack while still marked, then
     unmark.

   A marked superblock is therefore in the container its holder's record
   names, or out, and rg_stk_find tells which for a stack. */

#include "rg_groove_private.h"

/* rg_sb_read_meta reads the metadata words of the class-c superblock sb,
   just found in the container word at where (which held seen).  A
   superblock taken, emptied and destroyed between that look and this
   read fails its check without being damaged: *moved is set when the
   container no longer holds seen.  An active slot has no version, so it
   may hold seen again by then (sb destroyed, made anew and put back):
   the read is tried again, and only a superblock that fails every try
   while the container keeps holding it is reported damaged. */

#define RG_STALE_TRIES (8UL)

int
rg_sb_read_meta( rg_groove_t const * g,
                 uint64_t            where,
                 uint64_t            seen,
                 uint64_t            sb,
                 uint64_t            c,
                 uint64_t *          meta,
                 int *               moved ) {
  *moved = 0;
  if( !rg_groove_sb_in_range( g, sb ) )
    return rg_err( RG_ERR_CORRUPT, "a class %lu superblock offset %#lx in circulation is outside the volumes", c, sb );
  for( uint64_t t=0UL;; t++ ) {
    int err = rg_mem_read_words( g->mem, sb, meta, RG_SB_META_WORDS );
    if( err || rg_sb_meta_ok( g, sb, c, meta ) ) return err;
    uint64_t now;
    if( (err = rg_mem_load( g->mem, where, &now )) ) return err;
    if( now!=seen ) { *moved = 1; return RG_SUCCESS; }
    if( t + 1UL==RG_STALE_TRIES )
      return rg_err( RG_ERR_CORRUPT, "class %lu superblock at %#lx in circulation is damaged (bits %#lx free %#lx check %#lx)",
                     c, sb, meta[0], meta[2], meta[3] );
  }
}

/* rg_sb_full_stays: the unmarked class-c superblock sb, found in the
   container word at where (holding seen), showed no free slot.  Taken,
   filled and let go since the look, it is gone from there or back with
   a free slot, or someone holds it: RG_SUCCESS (look elsewhere).  Full
   and unheld in a container try after try is damage (RG_ERR_CORRUPT). */

static int
rg_sb_full_stays( rg_groove_t const * g,
                  uint64_t            where,
                  uint64_t            seen,
                  uint64_t            sb,
                  uint64_t            c,
                  char const *        container ) {
  for( uint64_t t=0UL; t<RG_STALE_TRIES; t++ ) {
    uint64_t now, f;
    int err = rg_mem_load( g->mem, where, &now );
    if( err || now!=seen ) return err;
    if( (err = rg_mem_load( g->mem, sb + RG_SB_FREE_OFF, &f )) ) return err;
    if( f ) return RG_SUCCESS;
  }
  return rg_err( RG_ERR_CORRUPT, "full class %lu superblock at %#lx sits in %s", c, sb, container );
}

/* rg_sb_heads reads the first header word of every slot of sb (class
   c); remotely RG_MEM_INFLIGHT_RA reads in flight together. */

int
rg_sb_heads( rg_groove_t const * g,
              uint64_t      sb,
              uint64_t      c,
              uint64_t *    heads ) {
  uint64_t cnt = rg_groove_szc_cfg[ c ].obj_cnt;
  if( !rg_mem_round_trips( g->mem ) ) {
    for( uint64_t i=0UL; i<cnt; i++ ) {
      int err = rg_mem_load( g->mem, rg_groove_slot_off( sb, c, i ), &heads[i] );
      if( err ) return err;
    }
    return RG_SUCCESS;
  }
  rg_mem_req_t req[ RG_MEM_INFLIGHT_RA ];
  for( uint64_t i=0UL; i<cnt; ) { /* in flight together: a round trip per RG_MEM_INFLIGHT_RA slots */
    uint64_t n = cnt - i < RG_MEM_INFLIGHT_RA ? cnt - i : RG_MEM_INFLIGHT_RA, t;
    for( uint64_t k=0UL; k<n; k++ )
      req[k] = (rg_mem_req_t){ .op = RG_MEM_OP_READ, .off = rg_groove_slot_off( sb, c, i + k ), .sz = 8UL, .buf = &heads[ i + k ] };
    int err = rg_mem_post( g->mem, req, n, &t );
    if( !err ) err = rg_mem_wait( g->mem, t );
    if( err ) return err;
    i += n;
  }
  return RG_SUCCESS;
}

/* rg_sb_mark_mine marks sb as this join's, expecting the unmarked free word
   expect (a guess: a CAS that finds more free bits retries with them).
   Returns RG_SUCCESS with *free_word the marked word, or RG_ERR_AGAIN
   with *free_word the word found when someone else holds it or it has
   no free slot left. */

int
rg_sb_mark_mine( rg_groove_t * g,
            uint64_t      sb,
            uint64_t      expect,
            uint64_t *    free_word ) {
  for(;;) {
    uint64_t old;
    int err = rg_mem_cas( g->mem, sb + RG_SB_FREE_OFF, expect, expect | g->mark, &old );
    if( err ) return err;
    if( old==expect ) { *free_word = expect | g->mark; return RG_SUCCESS; }
    *free_word = old;
    if( rg_sb_mark( old ) || !rg_sb_free_bits( old ) ) return RG_ERR_AGAIN;
    expect = old; /* others freed slots meanwhile */
  }
}

/* rg_sb_unmark clears mark (a record index + 1) from sb's free word;
   *free_word is a guess on entry and the unmarked word on return. */

int
rg_sb_unmark( rg_groove_t * g,
              uint64_t      sb,
              uint64_t      mark,
              uint64_t *    free_word ) {
  uint64_t expect = rg_sb_free_bits( *free_word ) | (mark<<RG_SB_MARK_SHIFT);
  for(;;) {
    uint64_t old;
    int err = rg_mem_cas( g->mem, sb + RG_SB_FREE_OFF, expect, rg_sb_free_bits( expect ), &old );
    if( err ) return err;
    if( old==expect ) { *free_word = rg_sb_free_bits( expect ); return RG_SUCCESS; }
    if( rg_sb_mark( old )!=mark )
      return rg_err( RG_ERR_CORRUPT, "superblock at %#lx: its mark became %lu while record %lu held it", sb, rg_sb_mark( old ), mark - 1UL );
    expect = old;
  }
}

/* rg_sb_mark_mine_then_load: rg_sb_mark_mine, then *now is the word at
   off (and *now2 the one at off2, if off2 is not 0) as they are after
   the mark.  Remotely each CAS and the reads go in one post: the reads
   execute after the CAS. */

static int
rg_sb_mark_mine_then_load( rg_groove_t * g,
                           uint64_t      sb,
                           uint64_t      expect,
                           uint64_t      off,
                           uint64_t      off2,
                           uint64_t *    free_word,
                           uint64_t *    now,
                           uint64_t *    now2 ) {
  if( !rg_mem_round_trips( g->mem ) ) {
    int err = rg_sb_mark_mine( g, sb, expect, free_word );
    if( !err ) err = rg_mem_load( g->mem, off, now );
    if( !err && off2 ) err = rg_mem_load( g->mem, off2, now2 );
    return err;
  }
  for(;;) {
    uint64_t old, t;
    rg_mem_req_t req[3] = {
      { .op = RG_MEM_OP_CAS,  .off = sb + RG_SB_FREE_OFF, .cmp = expect, .swp = expect | g->mark, .old = &old },
      { .op = RG_MEM_OP_READ, .off = off,  .sz = 8UL, .buf = now  },
      { .op = RG_MEM_OP_READ, .off = off2, .sz = 8UL, .buf = now2 } };
    int err = rg_mem_post( g->mem, req, off2 ? 3UL : 2UL, &t );
    if( !err ) err = rg_mem_wait( g->mem, t );
    if( err ) return err;
    if( old==expect ) { *free_word = expect | g->mark; return RG_SUCCESS; }
    *free_word = old;
    if( rg_sb_mark( old ) || !rg_sb_free_bits( old ) ) return RG_ERR_AGAIN;
    expect = old; /* others freed slots meanwhile */
  }
}

/* rg_slot_look reads the active slot at slot (class c) into *s and, when
   it can, the metadata of the superblock there into meta (meta[0] ~0UL
   when it could not): remotely the slot and the metadata of the
   superblock this join last saw in its own slot are read in one post. */

static int
rg_slot_look( rg_groove_t * g,
              uint64_t      slot,
              uint64_t      c,
              uint64_t *    s,
              uint64_t *    meta ) {
  int own = rg_mem_round_trips( g->mem ) && slot==rg_groove_active_off( g, c );
  uint64_t guess = own ? g->slot_seen[ c ] : 0UL, t;
  meta[0] = ~0UL;
  if( !guess ) {
    int err = rg_mem_load( g->mem, slot, s );
    if( !err && own ) g->slot_seen[ c ] = *s;
    return err;
  }
  rg_mem_req_t req[2] = {
    { .op = RG_MEM_OP_READ, .off = slot,  .sz = 8UL,                   .buf = s    },
    { .op = RG_MEM_OP_READ, .off = guess, .sz = 8UL*RG_SB_META_WORDS, .buf = meta } };
  int err = rg_mem_post( g->mem, req, 2UL, &t );
  if( !err ) err = rg_mem_wait( g->mem, t );
  if( err ) return err;
  if( *s!=guess ) meta[0] = ~0UL;
  g->slot_seen[ c ] = *s;
  return RG_SUCCESS;
}

/* Active slots **********************************************************/

/* rg_slot_take marks, where it sits, the class-c superblock in the
   active slot at slot.  *sb is 0 when the slot is empty, its
   superblock is held by someone else, or it changed while looked at. */

int
rg_slot_take( rg_groove_t * g,
              uint64_t      slot,
              uint64_t      c,
              uint64_t *    sb,
              uint64_t *    free_word ) {
  uint64_t s, meta[ RG_SB_META_WORDS ];
  int moved;
  *sb = 0UL;
  int err = rg_slot_look( g, slot, c, &s, meta );
  if( err || !s ) return err;
  if( meta[0]!=~0UL && rg_sb_meta_ok( g, s, c, meta ) ) moved = 0; /* read together with the slot */
  else if( (err = rg_sb_read_meta( g, slot, s, s, c, meta, &moved )) || moved ) return err;
  if( rg_sb_mark( meta[2] ) ) return RG_SUCCESS; /* busy: someone holds it in place */
  if( !rg_sb_free_bits( meta[2] ) ) /* taken, filled and dropped since the slot was read, or damage */
    return rg_sb_full_stays( g, slot, s, s, c, "an active slot" );
  if( (err = rg_client_op( g, RG_OP_SLOT, s, slot )) ) return err;
  /* The free word has no version: s may have left the slot and come back
     to the same word before the mark.  Marked, it stays where it is now:
     in the slot, or somewhere to leave it; the slot read after the mark
     tells (posted with it remotely: one round trip). */
  uint64_t now;
  err = rg_sb_mark_mine_then_load( g, s, meta[2], slot, 0UL, free_word, &now, NULL );
  if( err==RG_ERR_AGAIN ) return RG_SUCCESS;
  if( err ) return err;
  if( now!=s ) return rg_sb_unmark( g, s, g->me, free_word );
  *sb = s;
  return RG_SUCCESS;
}

/* rg_slot_put puts the marked sb into the active slot at slot if that
   is empty (*done 1), else leaves it (*done 0).  Where a look costs no
   round trip, a slot seen occupied is left without the CAS (a locked
   instruction that would fail: most puts in a random workload). */

int
rg_slot_put( rg_groove_t * g,
             uint64_t      slot,
             uint64_t      sb,
             int *         done ) {
  uint64_t old = 0UL;
  int err = rg_mem_round_trips( g->mem ) ? RG_SUCCESS : rg_mem_load( g->mem, slot, &old );
  if( !err && !old ) err = rg_client_op( g, RG_OP_SLOT, sb, slot );
  if( !err && !old ) err = rg_mem_cas( g->mem, slot, 0UL, sb, &old );
  *done = !err && !old;
  return err;
}

/* rg_slot_drop takes the marked sb out of the active slot it sits in. */

int
rg_slot_drop( rg_groove_t * g,
              uint64_t      slot,
              uint64_t      sb ) {
  uint64_t old;
  int err = rg_client_op( g, RG_OP_SLOT, sb, slot );
  if( !err ) err = rg_mem_cas( g->mem, slot, sb, 0UL, &old );
  if( !err && old!=sb )
    return rg_err( RG_ERR_CORRUPT, "active slot at %#lx holds %#lx, not the superblock %#lx this join holds there", slot, old, sb );
  return err;
}

/* Inactive stacks *******************************************************/

int
rg_stk_push_marked( rg_groove_t * g,
                    uint64_t      stk,
                    uint64_t      sb ) {
  rg_mem_t const * m = g->mem;
  uint64_t         w;
  int err = rg_client_op( g, RG_OP_PUSH, sb, stk );
  if( !err ) err = rg_mem_load( m, stk, &w );
  for(;;) {
    if( err ) return err;
    /* publish after write: the link is in place before the CAS that
       makes sb reachable */
    err = rg_mem_store( m, sb + RG_SB_INFO_OFF, rg_stk_off( w ) );
    if( err ) return err;
    uint64_t old;
    err = rg_mem_cas( m, stk, w, rg_stk_next( w, sb ), &old );
    if( !err && old==w ) return RG_SUCCESS;
    w = old;
  }
}

/* rg_stk_pop_marked marks the class-c superblock on top of the stack at
   stk, then pops it.  *sb is 0 when the stack is empty or its top is
   held by someone else (it is being popped or pushed). */

int
rg_stk_pop_marked( rg_groove_t * g,
                   uint64_t      stk,
                   uint64_t      c,
                   uint64_t *    sb,
                   uint64_t *    free_word ) {
  rg_mem_t const * m = g->mem;
  *sb = 0UL;
  for(;;) {
    uint64_t w, meta[ RG_SB_META_WORDS ];
    int moved;
    int err = rg_mem_load( m, stk, &w );
    if( err || !rg_stk_off( w ) ) return err;
    uint64_t top = rg_stk_off( w );
    if( (err = rg_sb_read_meta( g, stk, w, top, c, meta, &moved )) ) return err;
    if( moved ) continue;
    if( rg_sb_mark( meta[2] ) ) return RG_SUCCESS; /* busy */
    if( !rg_sb_free_bits( meta[2] ) ) { /* popped and filled since the top was read, or damage */
      if( (err = rg_sb_full_stays( g, stk, w, top, c, "an inactive stack" )) ) return err;
      continue;
    }
    if( (err = rg_client_op( g, RG_OP_POP, top, stk )) ) return err;
    /* Marked, nobody else pops it or moves it.  The free word has no
       version, so it may have been popped and pushed back before the mark:
       the top and its link are read again after it (with it, remotely);
       from there on, while it is on top, they hold. */
    uint64_t next;
    err = rg_sb_mark_mine_then_load( g, top, meta[2], stk, top + RG_SB_INFO_OFF, free_word, &w, &next );
    if( err==RG_ERR_AGAIN ) return RG_SUCCESS;
    if( err ) return err;
    while( rg_stk_off( w )==top ) {
      uint64_t old;
      if( (err = rg_mem_cas( m, stk, w, rg_stk_next( w, next ), &old )) ) return err;
      if( old==w ) {
        err = rg_mem_store( m, top + RG_SB_INFO_OFF, 0UL ); /* off the stack, no link */
        if( !err ) *sb = top;
        return err;
      }
      w = old; /* pushes and pops above it: still on top if its offset is */
    }
    /* buried under a push: leave it where it is, unmarked, and look at
       the new top */
    if( (err = rg_sb_unmark( g, top, g->me, free_word )) ) return err;
    if( (err = rg_client_op( g, RG_OP_NONE, 0UL, 0UL )) ) return err;
  }
}

/* rg_stk_steal pops a superblock off another concurrency group's stack
   of class c (*sb 0 if none can be had).  Remotely the tops of groups
   1..63 are read in one request (one word per line). */

int
rg_stk_steal( rg_groove_t * g,
              uint64_t      c,
              uint64_t *    sb,
              uint64_t *    free_word ) {
  uint64_t mask = rg_groove_szc_cfg[ c ].cgroup_mask;
  uint64_t mine = rg_groove_cg( g, c );
  uint64_t top[ RG_GROOVE_CGROUP_MAX ] = {0};
  int err = RG_SUCCESS;
  *sb = 0UL;
  if( !mask ) return RG_SUCCESS;
  if( rg_mem_round_trips( g->mem ) ) {
    uint64_t const stride = RG_STK_LINE/8UL;
    uint64_t lines[ (RG_GROOVE_CGROUP_MAX-1UL)*(RG_STK_LINE/8UL) ];
    err = rg_mem_read( g->mem, rg_groove_inactive_cg_off( g, c, 1UL ), lines, RG_STK_LINE*(mask-1UL) + 8UL );
    for( uint64_t cg=1UL; !err && cg<=mask; cg++ ) top[ cg ] = lines[ stride*(cg-1UL) ];
    if( !err ) err = rg_mem_load( g->mem, rg_groove_inactive_cg_off( g, c, 0UL ), top );
  }
  for( uint64_t i=1UL; !err && i<=mask; i++ ) {
    uint64_t cg = (mine + i) & mask, stk = rg_groove_inactive_cg_off( g, c, cg );
    if( !rg_mem_round_trips( g->mem ) ) err = rg_mem_load( g->mem, stk, &top[ cg ] );
    if( err || !rg_stk_off( top[ cg ] ) ) continue;
    err = rg_stk_pop_marked( g, stk, c, sb, free_word );
    if( err || *sb ) break;
  }
  return err;
}

/* rg_slot_steal takes the class-c superblock in another concurrency
   group's active slot out of it, marked (*sb 0 if none can be had): the
   last place an allocation that found the pool full looks, as a
   superblock there with room is seen by no other group's join.  Out,
   not held in place: a survivor looks for a superblock a join held in
   place only in that join's own group's slot, and one it did not find
   there would go back into circulation a second time (doc/architecture.md,
   "circulation"). */

int
rg_slot_steal( rg_groove_t * g,
               uint64_t      c,
               uint64_t *    sb,
               uint64_t *    free_word ) {
  uint64_t mask = rg_groove_szc_cfg[ c ].cgroup_mask, mine = rg_groove_cg( g, c );
  *sb = 0UL;
  for( uint64_t i=1UL; i<=mask; i++ ) {
    uint64_t slot = rg_groove_active_cg_off( g, c, (mine + i) & mask );
    int err = rg_slot_take( g, slot, c, sb, free_word );
    if( err ) return err;
    if( *sb ) return rg_slot_drop( g, slot, *sb );
  }
  return RG_SUCCESS;
}

/* rg_stk_find: is sb, marked by a client that is gone, on the stack at
   stk?  Nobody pops a marked superblock, so if it is there it stays,
   and nobody but its holder puts it there, so if it is not it will not
   be: a walk whose top did not move meanwhile tells which.  RG_ERR_AGAIN
   if the stack kept moving. */

#define RG_FIND_TRIES (64UL)

int
rg_stk_find( rg_groove_t * g,
             uint64_t      stk,
             uint64_t      sb,
             int *         found ) {
  uint64_t bound = (g->volume_max<<RG_VOLUME_LG_FOOTPRINT)/1024UL;
  for( uint64_t t=0UL; t<RG_FIND_TRIES; t++ ) {
    uint64_t w1, w2, s;
    int err = rg_mem_load( g->mem, stk, &w1 );
    if( err ) return err;
    s = rg_stk_off( w1 );
    for( uint64_t n=0UL; s && s!=sb && n<bound; n++ ) {
      if( !rg_groove_sb_in_range( g, s ) ) break; /* a stale link: the top moved */
      if( (err = rg_mem_load( g->mem, s + RG_SB_INFO_OFF, &s )) ) return err;
    }
    if( (err = rg_mem_load( g->mem, stk, &w2 )) ) return err;
    if( w1==w2 ) { *found = sb && s==sb; return RG_SUCCESS; }
  }
  return rg_err( RG_ERR_AGAIN, "the inactive stack at %#lx kept changing while looking for %#lx", stk, sb );
}
