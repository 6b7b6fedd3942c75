/* Verification of a quiescent groove (groove-spec.md, section 10) and
   the usage walk, which is the same walk with counters. */

#include "rg_groove_private.h"

#define RG_VERIFY_FAIL( ... ) rg_err( RG_ERR_CORRUPT, "verify: " __VA_ARGS__ )

/* rg_sb_verify checks the class-c superblock at sb (slot parent_idx of
   a parent with parent_cnt slots) and, when usage is given, everything
   nested in it. */

static int
rg_sb_verify( rg_groove_t const * g,
              uint64_t            sb,
              uint64_t            c,
              uint64_t            parent_cnt,
              int                 need_free,
              rg_groove_usage_t * usage ) {
  rg_mem_t const * m   = g->mem;
  uint64_t         cnt = rg_groove_szc_cfg[ c ].obj_cnt;
  uint64_t         fp  = rg_groove_szc_cfg[ c ].obj_footprint;
  if( !rg_groove_sb_in_range( g, sb ) ) return RG_VERIFY_FAIL( "class %lu superblock offset %#lx out of range", c, sb );
  uint64_t meta[3];
  int err = rg_mem_read_words( m, sb, meta, 3UL );
  if( err ) return err;
  uint64_t bits = meta[0], f = meta[2];
  if( rg_groove_hdr_type( bits )!=RG_GROOVE_HDR_TYPE_SUPERBLOCK || rg_groove_hdr_szc( bits )!=c ||
      rg_groove_hdr_idx( bits )>=parent_cnt || rg_groove_hdr_align( bits )!=16UL ||
      rg_groove_hdr_sz( bits )!=rg_groove_sb_sz( c ) )
    return RG_VERIFY_FAIL( "class %lu superblock at %#lx has a bad header %#lx", c, sb, bits );
  if( f>>cnt ) return RG_VERIFY_FAIL( "superblock at %#lx has free bits %#lx beyond its %lu slots", sb, f, cnt );
  if( need_free && !f ) return RG_VERIFY_FAIL( "full superblock at %#lx is in circulation", sb );
  if( !usage ) return RG_SUCCESS;

  usage->superblocks++;
  usage->free_slots += (uint64_t)__builtin_popcountl( f );
  for( uint64_t i=0UL; i<cnt; i++ ) {
    if( (f>>i) & 1UL ) continue;
    uint64_t slot = sb + RG_GROOVE_BLOCK_FOOTPRINT + i*fp;
    uint64_t slot_bits;
    err = rg_mem_load( m, slot, &slot_bits );
    if( err ) return err;
    uint64_t type = rg_groove_hdr_type( slot_bits ), sc, si;
    if( !rg_groove_bits_valid( slot_bits, type, &sc, &si ) || sc!=c || si!=i )
      return RG_VERIFY_FAIL( "allocated slot %lu of superblock %#lx has a bad header %#lx", i, sb, slot_bits );
    if( type==RG_GROOVE_HDR_TYPE_SUPERBLOCK ) {
      err = rg_sb_verify( g, slot, rg_groove_hdr_szc( slot_bits ), cnt, 0, usage );
      if( err ) return err;
    } else {
      usage->objects++;
      usage->object_bytes += rg_groove_hdr_sz( slot_bits );
    }
  }
  return RG_SUCCESS;
}

static int
rg_volume_walk( rg_groove_t const * g,
                uint64_t            vi,
                rg_groove_usage_t * usage ) {
  if( !g ) return rg_err( RG_ERR_INVAL, "NULL groove join" );
  if( vi>=g->volume_max ) return rg_err( RG_ERR_INVAL, "volume %lu is outside [0,%lu)", vi, g->volume_max );
  uint64_t vol = rg_groove_vol_off( g, vi );
  uint64_t hdr[4];
  int err = rg_mem_read_words( g->mem, vol, hdr, 4UL );
  if( err ) return err;
  if( (hdr[0]!=RG_VOLUME_MAGIC && hdr[0]!=~RG_VOLUME_MAGIC) || hdr[1]!=vi || hdr[3]>RG_VOLUME_INFO_MAX )
    return RG_VERIFY_FAIL( "volume %lu has a bad header (magic %#lx idx %lu info_sz %lu)", vi, hdr[0], hdr[1], hdr[3] );
  if( hdr[0]==~RG_VOLUME_MAGIC ) {
    usage->volumes_empty++;
    return RG_SUCCESS;
  }
  usage->volumes_in_use++;
  return rg_sb_verify( g, vol + RG_VOL_HDR_SZ, RG_GROOVE_SZC_CNT-1UL, 1UL, 0, usage );
}

int
rg_groove_volume_verify( rg_groove_t const * g,
                         uint64_t            vi ) {
  rg_groove_usage_t usage = {0};
  return rg_volume_walk( g, vi, &usage );
}

static int
rg_verify_pool( rg_groove_t const * g ) {
  rg_mem_t const * m = g->mem;
  uint64_t w;
  int err = rg_mem_load( m, g->shoff + RG_SH_POOL_TOP_OFF, &w );
  if( err ) return err;
  uint64_t i = rg_pool_top_idx( w );
  for( uint64_t n=0UL; i!=RG_POOL_IDX_NULL; n++ ) {
    if( n>=g->volume_max ) return RG_VERIFY_FAIL( "volume pool chain has a cycle" );
    if( i>=g->volume_max ) return RG_VERIFY_FAIL( "volume pool links to volume %lu of %lu", i, g->volume_max );
    uint64_t hdr[3];
    err = rg_mem_read_words( m, rg_groove_vol_off( g, i ), hdr, 3UL );
    if( err ) return err;
    if( hdr[0]!=~RG_VOLUME_MAGIC || hdr[1]!=i )
      return RG_VERIFY_FAIL( "volume %lu in the pool is not marked empty (magic %#lx idx %lu)", i, hdr[0], hdr[1] );
    i = hdr[2];
  }
  return RG_SUCCESS;
}

static int
rg_verify_szc_cfg( void ) {
  for( uint64_t c=0UL; c<RG_GROOVE_SZC_CNT; c++ ) {
    rg_groove_szc_cfg_t const * cfg = &rg_groove_szc_cfg[ c ];
    uint64_t cap = cfg->parent_szc==RG_GROOVE_SZC_CNT ? RG_VOLUME_FOOTPRINT - 2UL*RG_VOL_HDR_SZ
                 : cfg->parent_szc<RG_GROOVE_SZC_CNT  ? (uint64_t)rg_groove_szc_cfg[ cfg->parent_szc ].obj_footprint : 0UL;
    if( cfg->obj_cnt<2 || cfg->obj_cnt>64 || (cfg->obj_footprint & 511U) || (cfg->cgroup_mask & (cfg->cgroup_mask+1U)) ||
        RG_GROOVE_BLOCK_FOOTPRINT + (uint64_t)cfg->obj_cnt*cfg->obj_footprint > cap )
      return RG_VERIFY_FAIL( "size class %lu is misconfigured", c );
  }
  return RG_SUCCESS;
}

int
rg_groove_verify( rg_groove_t const * g ) {
  if( !g ) return rg_err( RG_ERR_INVAL, "NULL groove join" );
  rg_mem_t const * m = g->mem;
  uint64_t magic;
  int err = rg_mem_load( m, g->shoff + RG_SH_MAGIC_OFF, &magic );
  if( err ) return err;
  if( magic!=RG_GROOVE_MAGIC ) return RG_VERIFY_FAIL( "bad groove magic %#lx", magic );
  if( (err = rg_verify_pool( g )) || (err = rg_verify_szc_cfg()) ) return err;

  for( uint64_t c=0UL; c<RG_GROOVE_SZC_CNT; c++ ) {
    uint64_t parent_cnt = rg_groove_szc_cfg[ c ].parent_szc<RG_GROOVE_SZC_CNT
                        ? rg_groove_szc_cfg[ rg_groove_szc_cfg[ c ].parent_szc ].obj_cnt : 1UL;
    for( uint64_t cg=0UL; cg<RG_GROOVE_CGROUP_MAX; cg++ ) {
      uint64_t sb;
      err = rg_mem_load( m, g->shoff + RG_SH_ACTIVE_OFF + 8UL*(c + RG_GROOVE_SZC_CNT*cg), &sb );
      if( err ) return err;
      if( !sb ) continue;
      if( cg>rg_groove_szc_cfg[ c ].cgroup_mask ) return RG_VERIFY_FAIL( "class %lu has a superblock in unused cgroup %lu", c, cg );
      if( (err = rg_sb_verify( g, sb, c, parent_cnt, 1, NULL )) ) return err;
    }
    for( uint64_t cg=0UL; cg<RG_GROOVE_CGROUP_MAX; cg++ ) {
      uint64_t w;
      err = rg_mem_load( m, rg_groove_inactive_cg_off( g, c, cg ), &w );
      if( err ) return err;
      if( rg_stk_off( w ) && cg>rg_groove_szc_cfg[ c ].cgroup_mask )
        return RG_VERIFY_FAIL( "class %lu has an inactive stack for unused cgroup %lu", c, cg );
      uint64_t bound = (g->volume_max<<RG_VOLUME_LG_FOOTPRINT)/1024UL;
      uint64_t n     = 0UL;
      for( uint64_t sb=rg_stk_off( w ); sb; n++ ) {
        if( n>bound ) return RG_VERIFY_FAIL( "inactive stack %lu of cgroup %lu has a cycle", c, cg );
        if( (err = rg_sb_verify( g, sb, c, parent_cnt, 1, NULL )) ) return err;
        err = rg_mem_load( m, sb + RG_SB_INFO_OFF, &sb );
        if( err ) return err;
      }
    }
  }
  return RG_SUCCESS;
}

int
rg_groove_usage( rg_groove_t const * g,
                 rg_groove_usage_t * usage ) {
  if( !g || !usage ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  *usage = (rg_groove_usage_t){0};
  for( uint64_t vi=0UL; vi<g->volume_max; vi++ ) {
    uint64_t magic;
    int err = rg_mem_load( g->mem, rg_groove_vol_off( g, vi ), &magic );
    if( err ) return err;
    if( magic!=RG_VOLUME_MAGIC && magic!=~RG_VOLUME_MAGIC ) continue; /* never added, or removed */
    if( (err = rg_volume_walk( g, vi, usage )) ) return err;
  }
  return RG_SUCCESS;
}
