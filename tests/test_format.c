/* Formats: header packing, the size-class table and its mapping, the
   packed words of the stacks and the volume pool, global addresses. */

#include "rg_test.h"
#include "core/rg_groove_private.h"
#include "rgroove/rg_region.h"

static void
test_hdr_round_trip( void ) {
  uint64_t s = 1UL;
  for( int i=0; i<1000000; i++ ) {
    uint64_t bits = rg_test_rand( &s );
    uint64_t back = rg_groove_hdr_bits( rg_groove_hdr_type( bits ), rg_groove_hdr_idx( bits ), rg_groove_hdr_szc( bits ),
                                        rg_groove_hdr_align( bits ), rg_groove_hdr_sz( bits ) );
    if( back!=bits ) { CU_FAIL( "header word did not round trip" ); return; }
  }
  uint64_t b = rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_ALLOC, 37UL, 30UL, 512UL, (1UL<<25)-1UL );
  CU_ASSERT_EQUAL( rg_groove_hdr_type( b ), 0xfd67UL );
  CU_ASSERT_EQUAL( rg_groove_hdr_idx( b ), 37UL );
  CU_ASSERT_EQUAL( rg_groove_hdr_szc( b ), 30UL );
  CU_ASSERT_EQUAL( rg_groove_hdr_align( b ), 512UL );
  CU_ASSERT_EQUAL( rg_groove_hdr_sz( b ), (1UL<<25)-1UL );
}

static void
test_szc_boundaries( void ) {
  for( uint64_t c=0UL; c<RG_GROOVE_SZC_CNT; c++ ) {
    uint64_t hi = rg_groove_szc_cfg[ c ].obj_footprint;
    uint64_t lo = c ? (uint64_t)rg_groove_szc_cfg[ c-1UL ].obj_footprint + 1UL : 0UL;
    CU_ASSERT_EQUAL( rg_groove_szc( hi ), c );
    CU_ASSERT_EQUAL( rg_groove_szc( lo ), c );
    CU_ASSERT_EQUAL( rg_groove_szc( (lo+hi)/2UL ), c );
  }
  uint64_t s = 7UL; /* random block-multiple footprints map to the smallest class that holds them */
  for( int i=0; i<100000; i++ ) {
    uint64_t fp = ((rg_test_rand( &s ) % (RG_GROOVE_FOOTPRINT_MAX/512UL)) + 1UL)*512UL;
    uint64_t c  = rg_groove_szc( fp );
    CU_ASSERT_FATAL( rg_groove_szc_cfg[ c ].obj_footprint>=fp );
    CU_ASSERT_FATAL( !c || rg_groove_szc_cfg[ c-1UL ].obj_footprint<fp );
  }
  CU_ASSERT( rg_groove_szc( RG_GROOVE_FOOTPRINT_MAX )<=30UL );
  for( uint64_t fp=512UL; fp<=4UL*RG_GROOVE_SMALL_BLOCKS*512UL; fp+=512UL ) /* the core's table agrees */
    CU_ASSERT_EQUAL( rg_groove_szc_of( fp ), rg_groove_szc( fp ) );
  CU_ASSERT_EQUAL( rg_groove_szc_cfg[ RG_GROOVE_HELD_SZC_CNT-1UL ].obj_footprint, RG_GROOVE_SMALL_BLOCKS*512UL );
}

static void
test_szc_table_invariants( void ) {
  for( uint64_t c=0UL; c<RG_GROOVE_SZC_CNT; c++ ) {
    rg_groove_szc_cfg_t const * cfg = &rg_groove_szc_cfg[ c ];
    CU_ASSERT_EQUAL( cfg->obj_footprint % 512U, 0U );
    CU_ASSERT( cfg->obj_cnt>=2 && cfg->obj_cnt<=64 );
    CU_ASSERT_EQUAL( cfg->cgroup_mask & (cfg->cgroup_mask+1U), 0U );
    CU_ASSERT( cfg->cgroup_mask<RG_GROOVE_CGROUP_MAX );
    CU_ASSERT( c==0UL || cfg->obj_footprint>rg_groove_szc_cfg[ c-1UL ].obj_footprint );
    CU_ASSERT( cfg->parent_szc>c && cfg->parent_szc<=RG_GROOVE_SZC_CNT );
    uint64_t cap = cfg->parent_szc==RG_GROOVE_SZC_CNT ? RG_VOLUME_FOOTPRINT - 512UL
                 : rg_groove_szc_cfg[ cfg->parent_szc ].obj_footprint;
    CU_ASSERT( 512UL + (uint64_t)cfg->obj_cnt*cfg->obj_footprint<=cap ); /* each superblock fits its parent */
    uint64_t p = c, depth = 0UL; /* nesting ends at a volume */
    while( p<RG_GROOVE_SZC_CNT && depth<=RG_GROOVE_SZC_CNT ) { p = rg_groove_szc_cfg[ p ].parent_szc; depth++; }
    CU_ASSERT_EQUAL( p, RG_GROOVE_SZC_CNT );
  }
  CU_ASSERT_EQUAL( rg_groove_szc_cfg[ 31 ].parent_szc, 32 );
  CU_ASSERT_EQUAL( rg_groove_szc_cfg[ 0 ].obj_cnt, 38 );
}

static void
test_object_arithmetic( void ) {
  uint64_t s = 3UL;
  for( int i=0; i<100000; i++ ) {
    uint64_t c     = rg_test_rand( &s ) % 31UL;
    uint64_t idx   = rg_test_rand( &s ) % rg_groove_szc_cfg[ c ].obj_cnt;
    uint64_t align = 1UL<<(rg_test_rand( &s ) % 10UL);
    uint64_t sb    = RG_REGION_VOLUME0_OFF + 512UL*(1UL + rg_test_rand( &s ) % 1000000UL);
    uint64_t h     = sb + 512UL + idx*rg_groove_szc_cfg[ c ].obj_footprint;
    uint64_t obj   = h + rg_groove_obj_offset( align );
    CU_ASSERT_FATAL( rg_groove_obj_offset( align )>=16UL && rg_groove_obj_offset( align )<=512UL );
    CU_ASSERT_FATAL( !(obj % align) );
    CU_ASSERT_FATAL( rg_groove_obj_hdr_off( obj )==h );
    CU_ASSERT_FATAL( rg_groove_sb_hdr_off( h, c, idx )==sb );
  }
}

static void
test_packed_words( void ) {
  uint64_t off = RG_REGION_VOLUME0_OFF + (RG_VOLUME_MAX-1UL)*RG_VOLUME_FOOTPRINT + 512UL*12345UL;
  uint64_t w   = 0UL;
  for( uint64_t v=1UL; v<=1000UL; v++ ) {
    w = rg_stk_next( w, off );
    CU_ASSERT_FATAL( rg_stk_off( w )==off );
    CU_ASSERT_FATAL( (w>>RG_STK_OFF_BITS)==v );
  }
  CU_ASSERT( 64 - RG_STK_OFF_BITS>=24 ); /* doc/architecture.md, "ABA versions" */
  uint64_t wrap = rg_stk_next( ((1UL<<(64-RG_STK_OFF_BITS))-1UL)<<RG_STK_OFF_BITS, 0UL );
  CU_ASSERT_EQUAL( wrap, 0UL ); /* the version wraps without touching the offset */

  CU_ASSERT_EQUAL( rg_pool_top_idx( rg_pool_top( 6UL, 42UL ) ), 42UL );
  CU_ASSERT_EQUAL( rg_pool_top_ver( rg_pool_top( 6UL, 42UL ) ), 6UL );
  CU_ASSERT_EQUAL( rg_pool_top_idx( rg_pool_top( 0UL, RG_POOL_IDX_NULL ) ), RG_POOL_IDX_NULL );

  rg_gaddr_t a = rg_gaddr( 513UL, off );
  CU_ASSERT_EQUAL( rg_gaddr_server( a ), 513UL );
  CU_ASSERT_EQUAL( rg_gaddr_off( a ), off );
  CU_ASSERT( rg_region_footprint( RG_VOLUME_MAX )<(1UL<<RG_REGION_OFF_BITS) );
  CU_ASSERT_EQUAL( rg_region_footprint( 0UL ), 0UL );
  CU_ASSERT_EQUAL( rg_region_footprint( RG_VOLUME_MAX+1UL ), 0UL );
}

static void
test_strerror( void ) {
  for( int e=0; e>=-8; e-- ) CU_ASSERT_STRING_NOT_EQUAL( rg_strerror( e ), "unknown" );
  CU_ASSERT_STRING_EQUAL( rg_strerror( 1 ), "unknown" );
  CU_ASSERT_STRING_EQUAL( rg_strerror( RG_ERR_FULL ), "full" );
}

int
main( void ) {
  static rg_test_t const tests[] = {
    { "header pack/unpack round trips",           test_hdr_round_trip       },
    { "size-class boundaries map to their class", test_szc_boundaries       },
    { "size-class table invariants",              test_szc_table_invariants },
    { "object and superblock arithmetic",         test_object_arithmetic    },
    { "stack, pool and address words",            test_packed_words         },
    { "error strings",                            test_strerror             },
    { NULL, NULL }
  };
  return rg_test_main( "format", tests );
}
