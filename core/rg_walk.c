/* Live objects, walked online (read-only, beside every other client),
   and the frees of every object of an owner or tag built on it. */

#include "rg_groove_private.h"

#include <stdlib.h>

/* rg_walk_sb calls fn for every live object in the class-c superblock
   sb and those nested in it.  What changes meanwhile is skipped, not an
   error: a superblock that no longer passes its checks is being made or
   destroyed by someone. */

static int
rg_walk_sb( rg_groove_t const * g,
            uint64_t            sb,
            uint64_t            c,
            rg_groove_walk_fn_t fn,
            void *              ctx ) {
  uint64_t meta[ RG_SB_META_WORDS ], heads[ 64 ], sc, si;
  uint32_t owner[ 64 ];
  uint64_t cnt = rg_groove_szc_cfg[ c ].obj_cnt;
  int err = rg_mem_read_words( g->mem, sb, meta, RG_SB_META_WORDS );
  if( err || !rg_sb_meta_ok( g, sb, c, meta ) ) return err;
  if( (err = rg_sb_heads( g, sb, c, heads )) ) return err;
  if( (err = rg_mem_read( g->mem, sb + RG_SB_OWNER_OFF, owner, 4UL*cnt )) ) return err;
  uint64_t f = rg_sb_free_bits( meta[2] );
  for( uint64_t i=0UL; i<cnt; i++ ) {
    uint64_t h = heads[i], slot = rg_groove_slot_off( sb, c, i );
    if( ((f>>i) & 1UL) || !rg_hdr_live( h, &sc, &si ) || sc!=c || si!=i ) continue;
    if( rg_groove_hdr_type( h )==RG_GROOVE_HDR_TYPE_SUPERBLOCK ) {
      if( (err = rg_walk_sb( g, slot, rg_groove_hdr_szc( h ), fn, ctx )) ) return err;
      continue;
    }
    uint64_t w[2], sz = rg_groove_hdr_sz( h ), k = 1UL;
    if( (err = rg_mem_read_words( g->mem, slot + 8UL, w, 2UL )) ) return err; /* tag, and a span's size */
    uint64_t stop = slot + (uint64_t)rg_groove_szc_cfg[ c ].obj_footprint;
    if( c==RG_GROOVE_SPAN_SZC ) {
      sz = w[1];
      k  = rg_hdr_span_cnt( sz );
      if( sz>RG_GROOVE_SPAN_SZ_MAX || i + k>cnt ) continue;
      stop = slot + k*(uint64_t)rg_groove_szc_cfg[ c ].obj_footprint;
    }
    rg_groove_obj_info_t o = { .align = rg_groove_hdr_align( h ), .sz = sz, .tag = w[0], .owner = owner[i],
                               .start = slot + (c==RG_GROOVE_SPAN_SZC ? RG_GROOVE_SPAN_OFFSET : RG_GROOVE_HDR_FOOTPRINT),
                               .stop = stop, .off = rg_hdr_obj_start( slot, h ) };
    if( (err = fn( ctx, &o )) ) return err;
    i += k - 1UL;
  }
  return RG_SUCCESS;
}

int
rg_groove_walk( rg_groove_t const * g,
                rg_groove_walk_fn_t fn,
                void *              ctx ) {
  if( !g || !fn ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  for( uint64_t vi=0UL; vi<g->volume_max; vi++ ) {
    uint64_t magic;
    int err = rg_mem_load( g->mem, rg_groove_vol_off( g, vi ), &magic );
    if( !err && magic==RG_VOLUME_MAGIC ) err = rg_walk_sb( g, rg_groove_vol_off( g, vi ) + RG_VOL_HDR_SZ, RG_GROOVE_SZC_CNT-1UL, fn, ctx );
    if( err ) return err;
  }
  return RG_SUCCESS;
}

/* What rg_groove_free_owner collects before it frees: the walk reads,
   the frees follow, so the walk never sees a superblock change under
   its own hand. */

typedef struct {
  uint64_t   owner, tag;
  int        flags;
  uint64_t * off;
  uint64_t   cnt, max;
  int        err;
} rg_free_owner_ctx_t;

static int
rg_free_owner_pick( void *                       vctx,
                    rg_groove_obj_info_t const * o ) {
  rg_free_owner_ctx_t * x = vctx;
  if( x->owner && o->owner!=x->owner ) return 0;
  if( (x->flags & RG_FREE_TAG) && o->tag!=x->tag ) return 0;
  if( x->cnt==x->max ) {
    uint64_t max = x->max ? 2UL*x->max : 1024UL;
    uint64_t * p = realloc( x->off, max*sizeof(uint64_t) );
    if( !p ) { x->err = rg_err( RG_ERR_INVAL, "out of memory collecting objects to free" ); return 1; }
    x->off = p; x->max = max;
  }
  x->off[ x->cnt++ ] = o->off;
  return 0;
}

int
rg_groove_free_owner( rg_groove_t * g,
                      uint64_t      owner,
                      uint64_t      tag,
                      int           flags,
                      uint64_t *    freed ) {
  int err = rg_groove_writable( g );
  if( err ) return err;
  if( !owner && !(flags & (RG_FREE_TAG | RG_FREE_ALL)) )
    return rg_err( RG_ERR_INVAL, "no owner and no tag: that would free every object (pass RG_FREE_ALL to mean it)" );
  rg_free_owner_ctx_t x = { .owner = owner, .tag = tag, .flags = flags };
  err = rg_groove_walk( g, rg_free_owner_pick, &x );
  if( err==1 ) err = x.err;
  uint64_t n = 0UL;
  for( uint64_t i=0UL; !err && i<x.cnt; i++ ) {
    int e = rg_groove_free( g, x.off[i] );
    if( !e ) n++;
    else if( e!=RG_ERR_INVAL ) err = e; /* INVAL: someone freed it meanwhile */
  }
  if( !err ) err = rg_groove_quiet( g );
  free( x.off );
  if( freed ) *freed = n;
  return err;
}
