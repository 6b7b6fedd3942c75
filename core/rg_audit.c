/* The audit of a quiescent groove (rg_audit.h). */

#include "rg_audit.h"
#include "base/rg_proc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void
rg_audit_say( rg_audit_t * a,
              int          damage,
              char const * fmt,
              ... ) __attribute__((format(printf,3,4)));

static void
rg_audit_say( rg_audit_t * a,
              int          damage,
              char const * fmt,
              ... ) {
  char line[ 256 ];
  va_list ap;
  va_start( ap, fmt );
  vsnprintf( line, sizeof(line), fmt, ap );
  va_end( ap );
  if( damage && !a->damage++ ) snprintf( a->first, sizeof(a->first), "%s", line );
  if( !damage ) a->leftovers++;
  if( a->rec && a->rec->report ) {
    char out[ 300 ];
    snprintf( out, sizeof(out), "%s: %s", damage ? "damage" : "left by a client that is gone", line );
    a->rec->report( a->rec->report_ctx, out );
  }
}

static void
rg_audit_fix( rg_audit_t * a,
              int          kind,
              uint64_t     x,
              uint64_t     y,
              uint64_t     z ) {
  if( !a->want_fix ) return;
  if( a->fix_cnt==a->fix_max ) {
    uint64_t max = a->fix_max ? 2UL*a->fix_max : 64UL;
    rg_audit_fix_t * p = realloc( a->fix, max*sizeof(rg_audit_fix_t) );
    if( !p ) return;
    a->fix = p; a->fix_max = max;
  }
  a->fix[ a->fix_cnt++ ] = (rg_audit_fix_t){ .kind = kind, .a = x, .b = y, .c = z };
}

/* The superblock table: open addressing on the offset. */

static uint64_t rg_audit_hash( uint64_t off ) { return (off>>9)*0x9e3779b97f4a7c15UL; }

static rg_audit_sb_t *
rg_audit_find( rg_audit_t const * a,
               uint64_t     off ) {
  if( !a->tab_max ) return NULL;
  for( uint64_t i=rg_audit_hash( off ) & (a->tab_max-1UL);; i = (i+1UL) & (a->tab_max-1UL) ) {
    if( a->tab[i].off==off ) return &a->tab[i];
    if( !a->tab[i].off ) return NULL;
  }
}

static rg_audit_sb_t *
rg_audit_add( rg_audit_t * a,
              uint64_t     off ) {
  if( 2UL*(a->tab_cnt + 1UL)>a->tab_max ) {
    uint64_t max = a->tab_max ? 2UL*a->tab_max : 4096UL;
    rg_audit_sb_t * old = a->tab, * t = calloc( max, sizeof(rg_audit_sb_t) );
    if( !t ) return NULL;
    uint64_t old_max = a->tab_max;
    a->tab = t; a->tab_max = max; a->tab_cnt = 0UL;
    for( uint64_t i=0UL; i<old_max; i++ ) if( old[i].off ) *rg_audit_add( a, old[i].off ) = old[i];
    free( old );
  }
  for( uint64_t i=rg_audit_hash( off ) & (a->tab_max-1UL);; i = (i+1UL) & (a->tab_max-1UL) ) {
    if( a->tab[i].off==off ) return &a->tab[i];
    if( !a->tab[i].off ) { a->tab[i].off = off; a->tab_cnt++; return &a->tab[i]; }
  }
}

/* rg_audit_alive: mark m (a record index + 1) is a client that is
   attached.  A record of a process of this host that is gone is not. */

static int
rg_audit_alive( rg_audit_t const * a,
                uint64_t           m ) {
  return m && m<=a->g->client_max && a->alive[ m-1UL ];
}

static int
rg_audit_named( rg_audit_t const * a,
                uint64_t           m,
                uint64_t           sb ) {
  rg_client_rec_t const * r = &a->recs[ m-1UL ];
  for( uint64_t c=0UL; c<RG_GROOVE_HELD_SZC_CNT; c++ ) if( r->held[c]==sb || r->next[c]==sb ) return 1;
  for( uint64_t k=0UL; k<RG_GROOVE_HELD_SZC_CNT*RG_SPARE_CNT; k++ ) if( r->spare[ k/RG_SPARE_CNT ][ k%RG_SPARE_CNT ]==sb ) return 1;
  for( uint64_t k=0UL; k<RG_FREEING_CNT; k++ ) if( r->freeing[k]==sb ) return 1; /* revived by a free */
  if( rg_op_code( r->op ) && rg_op_sb( r->op )==sb ) return 1;
  if( rg_op_code( r->made )==RG_OP_CREATE && rg_op_sb( r->made )==sb ) return 1; /* the parent it makes in */
  rg_audit_sb_t const * p = rg_op_code( r->made )==RG_OP_CREATE ? rg_audit_find( a, rg_op_sb( r->made ) ) : NULL;
  return p && rg_op_where( r->made )<rg_groove_szc_cfg[ p->c ].obj_cnt && rg_groove_slot_off( p->off, p->c, rg_op_where( r->made ) )==sb;
}

/* Superblock trees *******************************************************/

static int rg_audit_sb( rg_audit_t * a, uint64_t sb, uint64_t c, uint64_t pidx );

/* rg_audit_slots checks every slot of sb (class c, free word f; marked
   by m) and walks the superblocks nested in them. */

static int
rg_audit_slots( rg_audit_t * a,
                uint64_t     sb,
                uint64_t     c,
                uint64_t     f,
                uint64_t     m ) {
  rg_groove_t * g = a->g;
  uint64_t cnt = rg_groove_szc_cfg[ c ].obj_cnt, heads[ 64 ], sc, si;
  rg_groove_class_usage_t * u = a->usage ? &a->usage->cls[ c ] : NULL;
  int err = rg_sb_heads( g, sb, c, heads );
  if( err ) return err;
  for( uint64_t i=0UL; i<cnt; i++ ) {
    uint64_t bit = 1UL<<i, h = heads[i], slot = rg_groove_slot_off( sb, c, i );
    int live = rg_hdr_live( h, &sc, &si ) && sc==c && si==i;
    if( f & bit ) {
      if( rg_hdr_live( h, &sc, &si ) ) { /* a free slot under a live header */
        if( m && !rg_audit_alive( a, m ) ) rg_audit_say( a, 0, "an allocation at %#lx that client %lu did not finish", slot, m-1UL );
        else rg_audit_say( a, 1, "free slot %lu of superblock %#lx is under a live header %#lx", i, sb, h );
      }
      continue;
    }
    if( live && rg_groove_hdr_type( h )==RG_GROOVE_HDR_TYPE_SUPERBLOCK ) {
      if( (err = rg_audit_sb( a, slot, rg_groove_hdr_szc( h ), i )) ) return err;
      continue;
    }
    if( live ) { /* an object */
      uint64_t sz = rg_groove_hdr_sz( h ), k = 1UL;
      if( c==RG_GROOVE_SPAN_SZC ) {
        if( (err = rg_mem_load( g->mem, slot + 16UL, &sz )) ) return err;
        k = rg_hdr_span_cnt( sz );
        if( sz>RG_GROOVE_SPAN_SZ_MAX || i + k>cnt || ((f>>i) & rg_full_mask( k )) ) {
          rg_audit_say( a, 1, "span at %#lx: size %lu does not fit its superblock's claimed slots", slot, sz );
          continue;
        }
        if( a->usage ) a->usage->spans++;
      }
      if( a->usage ) { a->usage->objects++; a->usage->object_bytes += sz; }
      if( u ) { u->objects++; u->object_bytes += sz; }
      i += k - 1UL;
      continue;
    }
    if( rg_groove_hdr_type( h )==RG_GROOVE_HDR_TYPE_DEAD ) { /* a free that did not set its bit */
      uint64_t by = rg_hdr_dead_by( h ), k = (h>>28) & 63UL;
      if( by && by==g->me ) continue; /* a free of this join's in flight (rg_free.c) */
      if( rg_audit_alive( a, by ) && by ) rg_audit_say( a, 1, "claimed slot %#lx was freed by client %lu, which is attached: not quiescent, or damaged", slot, by-1UL );
      else {
        rg_audit_say( a, 0, "a free of %#lx that client %lu did not finish", slot, by ? by-1UL : 0UL );
        rg_audit_fix( a, RG_FIX_FREE, slot, c, (k ? rg_full_mask( k ) : 1UL)<<i );
      }
      continue;
    }
    rg_audit_say( a, 1, "allocated slot %lu of class %lu superblock %#lx has a bad header %#lx", i, c, sb, h );
    if( a->salvage ) rg_audit_fix( a, RG_FIX_DROP_SLOT, slot, c, i ); /* the slot holds nothing that can be accounted for */
  }
  return RG_SUCCESS;
}

/* rg_audit_sb checks the class-c superblock at sb, slot pidx of its
   parent, and everything nested in it. */

static int
rg_audit_sb( rg_audit_t * a,
             uint64_t     sb,
             uint64_t     c,
             uint64_t     pidx ) {
  rg_groove_t * g = a->g;
  static __thread rg_sb_hdr_t h;
  if( c>=RG_GROOVE_SZC_CNT || !rg_groove_sb_in_range( g, sb ) ) { rg_audit_say( a, 1, "superblock offset %#lx out of range", sb ); return RG_SUCCESS; }
  uint64_t cnt = rg_groove_szc_cfg[ c ].obj_cnt;
  int err = rg_mem_read( g->mem, sb, &h, sizeof(h) );
  if( err ) return err;
  if( h.bits!=rg_groove_sb_bits( c, pidx ) || h.check!=rg_sb_check( g->key, sb, h.bits ) ) {
    rg_audit_say( a, 1, "class %lu superblock at %#lx has a bad header %#lx or check word %#lx", c, sb, h.bits, h.check );
    if( a->salvage ) rg_audit_fix( a, RG_FIX_DROP, sb, c, pidx );
    return RG_SUCCESS;
  }
  for( uint64_t i=0UL; i<sizeof(h.zero0)/8UL; i++ )
    if( h.zero0[i] ) rg_audit_say( a, 1, "superblock at %#lx: reserved word %lu is %#lx", sb, i, h.zero0[i] );
  for( uint64_t i=0UL; i<sizeof(h.zero1)/8UL; i++ )
    if( h.zero1[i] ) rg_audit_say( a, 1, "superblock at %#lx: reserved word %lu is %#lx", sb, 4UL + 32UL + i, h.zero1[i] );
  for( uint64_t i=cnt; i<64UL; i++ )
    if( h.owner[i] ) rg_audit_say( a, 1, "superblock at %#lx: owner entry %lu past its %lu slots is %#x", sb, i, cnt, h.owner[i] );
  uint64_t f = h.free, m = rg_sb_mark( f );
  if( rg_sb_free_bits( f )>>cnt ) { rg_audit_say( a, 1, "superblock at %#lx has free bits %#lx beyond its %lu slots", sb, f, cnt ); return RG_SUCCESS; }
  if( m>g->client_max || (m && rg_rec_state( a->recs[ m-1UL ].state )==RG_CLIENT_FREE) ) {
    rg_audit_say( a, 1, "superblock at %#lx is marked by client record %lu, which holds nothing", sb, m-1UL );
    return RG_SUCCESS;
  }
  rg_audit_sb_t * e = rg_audit_add( a, sb );
  if( !e ) return rg_err( RG_ERR_INVAL, "out of memory auditing the pool" );
  e->c = (uint32_t)c;
  e->free = f;
  e->pad = h.next!=0UL; /* a link: must be on a stack */
  if( a->usage ) {
    rg_groove_class_usage_t * u = &a->usage->cls[ c ];
    uint64_t nfree = (uint64_t)__builtin_popcountl( rg_sb_free_bits( f ) );
    a->usage->superblocks++;
    u->superblocks++;
    u->free_slots += nfree;
    u->empty += nfree==cnt;
    if( c<RG_GROOVE_SZC_CNT-1UL ) a->usage->free_slots += nfree;
  }
  return rg_audit_slots( a, sb, c, rg_sb_free_bits( f ), m );
}

/* Volumes and the pool ****************************************************/

static int
rg_audit_volumes( rg_audit_t * a ) {
  rg_groove_t * g = a->g;
  static __thread rg_volume_hdr_t h;
  uint8_t * in_pool = calloc( g->volume_max, 1 );
  if( !in_pool ) return rg_err( RG_ERR_INVAL, "out of memory auditing the pool" );
  uint64_t w;
  int err = rg_mem_load( g->mem, g->shoff + RG_SH_POOL_TOP_OFF, &w );
  uint64_t n = 0UL;
  for( uint64_t vi=rg_pool_top_idx( w ); !err && vi!=RG_POOL_IDX_NULL; n++ ) {
    if( vi>=g->volume_max ) { rg_audit_say( a, 1, "the volume pool links to volume %lu of %lu", vi, g->volume_max ); break; }
    if( in_pool[ vi ] ) { rg_audit_say( a, 1, "the volume pool chain has a cycle at volume %lu", vi ); break; }
    in_pool[ vi ] = 1;
    err = rg_mem_load( g->mem, rg_groove_vol_off( g, vi ) + RG_VOL_NEXT_OFF, &vi );
  }
  for( uint64_t vi=0UL; !err && vi<g->volume_max; vi++ ) {
    uint64_t vol = rg_groove_vol_off( g, vi );
    if( (err = rg_mem_read( g->mem, vol, &h, sizeof(h) )) ) break;
    if( h.magic==0UL ) {
      if( in_pool[ vi ] ) rg_audit_say( a, 1, "removed volume %lu is in the pool", vi );
      continue; /* never added, or removed */
    }
    if( h.magic!=RG_VOLUME_MAGIC && h.magic!=~RG_VOLUME_MAGIC ) {
      rg_audit_say( a, 1, "volume %lu has an unknown magic %#lx", vi, h.magic );
      if( a->salvage ) rg_audit_fix( a, RG_FIX_MAGIC, vi, 0UL, 0UL );
      continue;
    }
    if( !rg_volume_hdr_ok( &h, vi ) ) {
      rg_audit_say( a, 1, "volume %lu's header is damaged (idx %lu, info_sz %lu, checksum %#lx)", vi, h.idx, h.info_sz, h.check );
      if( a->salvage ) rg_audit_fix( a, RG_FIX_MAGIC, vi, 0UL, 0UL );
      continue;
    }
    if( h.magic==~RG_VOLUME_MAGIC ) {
      if( a->usage ) a->usage->volumes_empty++;
      if( !in_pool[ vi ] ) { rg_audit_say( a, 0, "empty volume %lu is not in the pool", vi ); rg_audit_fix( a, RG_FIX_VOL_OUT, vi, 0UL, 0UL ); }
      continue;
    }
    if( in_pool[ vi ] ) rg_audit_say( a, 1, "volume %lu is in use and in the pool", vi );
    if( h.next!=RG_POOL_IDX_NULL ) rg_audit_say( a, 1, "volume %lu is in use but links to %lu", vi, h.next );
    if( a->usage ) a->usage->volumes_in_use++;
    uint64_t top[ RG_SB_META_WORDS ];
    if( (err = rg_mem_read_words( g->mem, vol + RG_VOL_HDR_SZ, top, RG_SB_META_WORDS )) ) break;
    if( !rg_sb_meta_ok( g, vol + RG_VOL_HDR_SZ, RG_GROOVE_SZC_CNT-1UL, top ) ) {
      /* never made (a client died taking the volume), or damaged: the
         first holds nothing, which its slots' headers show */
      uint64_t heads[ 64 ], sc, si, any = 0UL;
      if( (err = rg_sb_heads( g, vol + RG_VOL_HDR_SZ, RG_GROOVE_SZC_CNT-1UL, heads )) ) break;
      for( uint64_t i=0UL; i<rg_groove_szc_cfg[ RG_GROOVE_SZC_CNT-1UL ].obj_cnt; i++ ) any |= (uint64_t)rg_hdr_live( heads[i], &sc, &si );
      if( any ) { rg_audit_sb( a, vol + RG_VOL_HDR_SZ, RG_GROOVE_SZC_CNT-1UL, 0UL ); continue; } /* reports the damage */
      rg_audit_say( a, 0, "volume %lu is in use but was never set up", vi );
      rg_audit_fix( a, RG_FIX_VOL_BARE, vi, 0UL, 0UL );
      continue;
    }
    err = rg_audit_sb( a, vol + RG_VOL_HDR_SZ, RG_GROOVE_SZC_CNT-1UL, 0UL );
  }
  free( in_pool );
  return err;
}

/* The shared state, its containers, and the accounting *********************/

static int
rg_audit_shared( rg_audit_t * a ) {
  rg_groove_t * g = a->g;
  static __thread rg_groove_shared_t s;
  int err = rg_mem_read( g->mem, g->shoff, &s, sizeof(s) );
  if( err ) return err;
  if( s.magic!=RG_GROOVE_MAGIC ) rg_audit_say( a, 1, "bad groove magic %#lx", s.magic );
  if( s.pool_magic!=RG_VOLUME_POOL_MAGIC ) rg_audit_say( a, 1, "bad volume pool magic %#lx", s.pool_magic );
  for( uint64_t i=0UL; i<15UL; i++ ) if( s.zero0[i] ) rg_audit_say( a, 1, "groove state: reserved word %lu is %#lx", i + 1UL, s.zero0[i] );
  for( uint64_t i=0UL; i<14UL; i++ ) if( s.zero1[i] ) rg_audit_say( a, 1, "groove state: reserved word after the pool %lu is %#lx", i, s.zero1[i] );
  return RG_SUCCESS;
}

/* rg_audit_entry counts a container entry naming sb for class c. */

static void
rg_audit_entry( rg_audit_t * a,
                uint64_t     sb,
                uint64_t     c,
                char const * where ) {
  rg_audit_sb_t * e = rg_audit_find( a, sb );
  if( !e || e->c!=c ) { rg_audit_say( a, 1, "%s names %#lx, not a class %lu superblock of the volumes", where, sb, c ); return; }
  e->in++;
  if( !rg_sb_free_bits( e->free ) ) rg_audit_say( a, 1, "%s holds full superblock %#lx", where, sb );
}

/* rg_audit_in_place: a superblock an attached client holds in an
   active slot sits in its own group's slot of the class, where a
   recovery of the client looks for it (its record's cgroup). */

static void
rg_audit_in_place( rg_audit_t * a,
                   uint64_t     sb,
                   uint64_t     c,
                   uint64_t     cg ) {
  rg_audit_sb_t const * e = rg_audit_find( a, sb );
  uint64_t m = e && e->c==c ? rg_sb_mark( e->free ) : 0UL;
  if( !rg_audit_alive( a, m ) ) return;
  uint64_t mine = a->recs[ m-1UL ].cgroup & (uint64_t)rg_groove_szc_cfg[ c ].cgroup_mask;
  if( mine!=cg ) rg_audit_say( a, 1, "superblock at %#lx, held by client %lu, sits in group %lu's active slot of class %lu; "
                               "its record says group %lu", sb, m-1UL, cg, c, mine );
}

/* rg_audit_aside: the chains of superblocks trims set aside.  An
   attached client has none when quiescent; one that is gone may have
   left one, whose links are its own. */

static int
rg_audit_aside( rg_audit_t * a,
                uint64_t     bound ) {
  for( uint64_t i=0UL; i<a->g->client_max; i++ ) {
    uint64_t sb = a->recs[i].aside;
    if( !sb || rg_rec_state( a->recs[i].state )==RG_CLIENT_FREE ) continue;
    if( a->alive[i] ) { rg_audit_say( a, 1, "client %lu has superblocks set aside by a trim: not quiescent, or damaged", i ); continue; }
    for( uint64_t n=0UL; sb && n<=bound; n++ ) {
      rg_audit_sb_t * e = rg_audit_find( a, sb );
      if( !e || rg_sb_mark( e->free )!=i + 1UL ) break; /* the rest went back before it died */
      e->pad = 0U;
      int err = rg_mem_load( a->g->mem, sb + RG_SB_INFO_OFF, &sb );
      if( err ) return err;
    }
  }
  return RG_SUCCESS;
}

static int
rg_audit_containers( rg_audit_t * a ) {
  rg_groove_t * g = a->g;
  char where[ 64 ];
  uint64_t bound = (g->volume_max<<RG_VOLUME_LG_FOOTPRINT)/1024UL;
  /* every slot and stack word in one read (remotely: one round trip) */
  uint64_t * sh = malloc( RG_GROOVE_FOOTPRINT );
  if( !sh ) return rg_err( RG_ERR_INVAL, "out of memory auditing the pool" );
  int err = rg_mem_read( g->mem, g->shoff, sh, RG_GROOVE_FOOTPRINT );
  for( uint64_t c=0UL; !err && c<RG_GROOVE_SZC_CNT; c++ ) {
    for( uint64_t cg=0UL; !err && cg<RG_GROOVE_CGROUP_MAX; cg++ ) {
      uint64_t s = sh[ (rg_groove_active_cg_off( g, c, cg ) - g->shoff)/8UL ];
      uint64_t w = sh[ (rg_groove_inactive_cg_off( g, c, cg ) - g->shoff)/8UL ];
      if( cg>rg_groove_szc_cfg[ c ].cgroup_mask ) {
        if( s || w ) rg_audit_say( a, 1, "class %lu has an active slot or stack word for unused group %lu (%#lx, %#lx)", c, cg, s, w );
        continue;
      }
      snprintf( where, sizeof(where), "active slot %lu/%lu", c, cg );
      if( s ) {
        rg_audit_entry( a, s, c, where );
        rg_audit_in_place( a, s, c, cg );
      }
      snprintf( where, sizeof(where), "inactive stack %lu/%lu", c, cg );
      uint64_t n = 0UL;
      for( uint64_t sb=rg_stk_off( w ); sb; n++ ) {
        if( n>bound ) { rg_audit_say( a, 1, "%s has a cycle", where ); break; }
        rg_audit_sb_t * e = rg_audit_find( a, sb );
        if( !e || e->c!=c ) { rg_audit_say( a, 1, "%s names %#lx, not a class %lu superblock of the volumes", where, sb, c ); break; }
        rg_audit_entry( a, sb, c, where );
        e->pad = 0U; /* its link is the stack's */
        if( (err = rg_mem_load( g->mem, sb + RG_SB_INFO_OFF, &sb )) ) break;
      }
    }
  }
  free( sh );
  if( !err ) err = rg_audit_aside( a, bound );
  if( err ) return err;
  for( uint64_t i=0UL; i<a->tab_max; i++ ) {
    rg_audit_sb_t * e = &a->tab[i];
    if( !e->off ) continue;
    uint64_t m = rg_sb_mark( e->free );
    if( e->pad ) rg_audit_say( a, 1, "superblock at %#lx is on no stack but links to another", e->off );
    if( m ) {
      if( !rg_audit_alive( a, m ) ) { rg_audit_say( a, 0, "superblock at %#lx is held by client %lu, which is gone", e->off, m-1UL ); continue; }
      if( !rg_audit_named( a, m, e->off ) ) rg_audit_say( a, 1, "superblock at %#lx is marked by client %lu, whose record does not name it", e->off, m-1UL );
      if( e->in>1U ) rg_audit_say( a, 1, "held superblock at %#lx is in %u containers", e->off, e->in );
      continue;
    }
    if( !rg_sb_free_bits( e->free ) ) continue; /* full: in no container (checked at the entries) */
    if( e->in>1U ) rg_audit_say( a, 1, "superblock at %#lx is in circulation %u times", e->off, e->in );
    if( !e->in ) {
      rg_audit_say( a, 0, "class %u superblock at %#lx with free slots is out of circulation", e->c, e->off );
      rg_audit_fix( a, RG_FIX_SB_OUT, e->off, e->c, 0UL );
    }
  }
  return RG_SUCCESS;
}

/* rg_audit_records reads the client table: which records are clients
   attached, and whether each record is sound. */

static int
rg_audit_records( rg_audit_t * a ) {
  rg_groove_t * g = a->g;
  uint64_t n = g->client_max;
  a->recs  = malloc( n*sizeof(rg_client_rec_t) );
  a->alive = calloc( n, 1 );
  if( !a->recs || !a->alive ) return rg_err( RG_ERR_INVAL, "out of memory auditing the pool" );
  int err = rg_mem_read( g->mem, g->client_off, a->recs, n*sizeof(rg_client_rec_t) );
  if( err ) return err;
  for( uint64_t i=0UL; i<n; i++ ) {
    rg_client_rec_t const * r = &a->recs[i];
    uint64_t st = rg_rec_state( r->state ), body = 0UL;
    for( uint64_t k=1UL; k<sizeof(*r)/8UL; k++ ) body |= ((uint64_t const *)r)[k];
    if( st==RG_CLIENT_FREE ) {
      if( body || (r->state & 0xffffff00UL) ) rg_audit_say( a, 1, "free client record %lu is not clear", i );
      continue;
    }
    if( st!=RG_CLIENT_LIVE && st!=RG_CLIENT_RECOVERING ) { rg_audit_say( a, 1, "client record %lu has a bad state %#lx", i, r->state ); continue; }
    /* a live record's state has no recoverer; a recovering one's names
       a record index + 1 in 12 bits */
    if( (r->state>>8) & (st==RG_CLIENT_LIVE ? 0xffffffUL : 0xfff000UL) )
      rg_audit_say( a, 1, "client record %lu has reserved bits set in its state %#lx", i, r->state );
    for( uint64_t k=0UL; k<sizeof(r->zero)/8UL; k++ )
      if( r->zero[k] ) rg_audit_say( a, 1, "client record %lu: reserved word %lu is %#lx", i, k, r->zero[k] );
    if( st==RG_CLIENT_LIVE && r->aside_at ) /* only its recoverer writes it */
      rg_audit_say( a, 1, "client record %lu: aside_at is %#lx while it is not being recovered", i, r->aside_at );
    int live = st==RG_CLIENT_LIVE && i + 1UL==g->me;
    if( st==RG_CLIENT_LIVE && i + 1UL!=g->me )
      live = (r->id_kind==RG_CONN_ID_SERVER && !a->server_gone) /* the server tells */ || (r->id_kind==RG_CONN_ID_PID && rg_proc_alive( r->id ));
    a->alive[i] = (uint8_t)live;
    if( !live ) { rg_audit_say( a, 0, "client %lu (%s %lu) is gone", i, r->id_kind==RG_CONN_ID_PID ? "pid" : "connection", r->id[ r->id_kind==RG_CONN_ID_PID ? 0 : 1 ] );
                  rg_audit_fix( a, RG_FIX_CLIENT, i, 0UL, 0UL ); }
  }
  return RG_SUCCESS;
}

/* rg_audit_held: every held, next and spare word of an attached
   client names a superblock it marks. */

static void
rg_audit_held_word( rg_audit_t * a,
                    uint64_t     i,
                    uint64_t     c,
                    uint64_t     sb,
                    char const * as ) {
  rg_audit_sb_t * e = sb ? rg_audit_find( a, sb ) : NULL;
  if( sb && ( !e || e->c!=c || rg_sb_mark( e->free )!=i + 1UL ) )
    rg_audit_say( a, 1, "client %lu's record says it holds %#lx (class %lu%s), which it does not mark", i, sb, c, as );
}

static void
rg_audit_held( rg_audit_t * a ) {
  for( uint64_t i=0UL; i<a->g->client_max; i++ ) {
    if( !a->alive[i] ) continue;
    rg_client_rec_t const * r = &a->recs[i];
    for( uint64_t c=0UL; c<RG_GROOVE_HELD_SZC_CNT; c++ ) {
      rg_audit_held_word( a, i, c, r->held[c], "" );
      rg_audit_held_word( a, i, c, r->next[c], ", next" );
      for( uint64_t k=0UL; k<RG_SPARE_CNT; k++ ) rg_audit_held_word( a, i, c, r->spare[c][k], ", spare" );
    }
  }
}

int
rg_audit_run( rg_audit_t * a ) {
  rg_region_info_t info;
  int err = rg_region_query( a->g->mem, &info );
  if( err==RG_ERR_CORRUPT ) { rg_audit_say( a, 1, "%s", rg_errmsg() ); return RG_SUCCESS; }
  if( err ) return err;
  if( a->usage ) *a->usage = (rg_groove_usage_t){0};
  if( (err = rg_audit_shared( a )) || (err = rg_audit_records( a )) || (err = rg_audit_volumes( a )) ||
      (err = rg_audit_containers( a )) ) return err;
  rg_audit_held( a );
  return RG_SUCCESS;
}

void
rg_audit_fini( rg_audit_t * a ) {
  free( a->tab );
  free( a->recs );
  free( a->alive );
  free( a->fix );
  a->tab = NULL; a->recs = NULL; a->alive = NULL; a->fix = NULL;
}
