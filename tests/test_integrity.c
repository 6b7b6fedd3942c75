/* Integrity: what a long-running shared pool must never do, each case a
   failure seen in an earlier version: drop live objects in recovery,
   crash or pass verify on damaged metadata, accept a forged header,
   keep freed memory from the volumes, cap objects at 10 MiB. */

#include "rg_test.h"
#include "rgroove/rgroove.h"
#include "core/rg_groove_private.h"

#include <pthread.h>
#include <string.h>

static uint64_t
peek( rg_groove_t * g,
      uint64_t      off ) {
  uint64_t v = 0UL;
  CU_ASSERT_EQUAL_FATAL( rg_mem_load( rg_groove_mem( g ), off, &v ), RG_SUCCESS );
  return v;
}

static void
poke( rg_groove_t * g,
      uint64_t      off,
      uint64_t      v ) {
  CU_ASSERT_EQUAL_FATAL( rg_mem_store( rg_groove_mem( g ), off, v ), RG_SUCCESS );
}

static uint64_t
objects( rg_groove_t * g ) {
  static rg_groove_usage_t u;
  CU_ASSERT_EQUAL_FATAL( rg_groove_usage( g, &u ), RG_SUCCESS );
  return u.objects;
}

static uint64_t lines;
static void count_line( void * ctx, char const * line ) { (void)ctx; (void)line; lines++; }

/* A superblock full of live objects whose header is zeroed, a volume
   holding objects whose magic says "empty": recovery refuses, changes
   nothing, and says what is damaged; salvage drops and lists. */

static void
test_recovery_refuses_damage( void ) {
  rg_pool_t * pool = rg_pool_create( "anon", 1UL, 1UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  rg_groove_t * g = rg_pool_groove( pool );
  uint64_t obj[ 38 ];
  for( int i=0; i<38; i++ ) CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, (uint64_t)i, &obj[i] ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_groove_flush( g ), RG_SUCCESS );
  uint64_t live = objects( g );
  CU_ASSERT_EQUAL( live, 38UL );
  uint64_t h  = rg_groove_obj_hdr_off( obj[0] );
  uint64_t sb = rg_groove_sb_hdr_off( h, 0UL, rg_groove_hdr_idx( peek( g, h ) ) );
  uint64_t saved = peek( g, sb );

  poke( g, sb, 0UL );                                          /* the full superblock's header, zeroed */
  rg_groove_recovery_t rec = { .report = count_line };
  lines = 0UL;
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  CU_ASSERT_EQUAL( rg_groove_recover( g, 0, &rec ), RG_ERR_CORRUPT );
  CU_ASSERT( lines>0UL );                                      /* it said what is damaged */
  CU_ASSERT_EQUAL( rec.slots_freed + rec.superblocks_recirculated + rec.volumes_released + rec.objects_dropped, 0UL );
  CU_ASSERT_EQUAL( rg_groove_recover( g, RG_RECOVER_DRY_RUN, &rec ), RG_ERR_CORRUPT );
  poke( g, sb, saved );
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_SUCCESS );
  CU_ASSERT_EQUAL( objects( g ), live );                       /* nothing was changed */

  uint64_t vol = rg_groove_volume0_off( g );
  poke( g, vol, ~RG_VOLUME_MAGIC );                            /* "empty", yet it holds objects */
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  CU_ASSERT_EQUAL( rg_groove_recover( g, 0, &rec ), RG_ERR_CORRUPT );
  poke( g, vol, RG_VOLUME_MAGIC ^ 1UL );                       /* a one-bit flip: unknown magic */
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  CU_ASSERT_EQUAL( rg_groove_recover( g, 0, &rec ), RG_ERR_CORRUPT );
  poke( g, vol, RG_VOLUME_MAGIC );
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_SUCCESS );
  CU_ASSERT_EQUAL( objects( g ), live );

  poke( g, sb, 0UL );                                          /* salvage drops, and lists every object it drops */
  rec = (rg_groove_recovery_t){ .report = count_line };
  CU_ASSERT_EQUAL( rg_groove_recover( g, RG_RECOVER_SALVAGE, &rec ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rec.objects_dropped, 38UL );
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_SUCCESS );
  CU_ASSERT_EQUAL( objects( g ), 0UL );
  rg_pool_close( pool );
}

/* Out-of-range offsets where an active slot, a stack or the pool top
   should name a superblock or a volume: errors, no crash. */

static void
test_damaged_words_no_crash( void ) {
  rg_pool_t * pool = rg_pool_create( "anon", 1UL, 1UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  rg_groove_t * g = rg_pool_groove( pool );
  uint64_t obj, w;
  uint64_t words[] = { rg_groove_active_off( g, 3UL ), rg_groove_inactive_off( g, 3UL ) };
  uint64_t bad[]   = { 0x7fffffff0000UL, 8UL, RG_REGION_GROOVE_OFF, rg_groove_volume1_off( g ), rg_groove_volume0_off( g ) + 4096UL + 8UL };
  for( uint64_t i=0UL; i<2UL; i++ ) {
    for( uint64_t k=0UL; k<sizeof(bad)/sizeof(bad[0]); k++ ) {
      if( i && !(bad[k] & ~511UL) ) continue; /* a stack top of offset 0 is an empty stack */
      poke( g, words[i], i ? rg_stk_next( 0UL, bad[k] & ~511UL ) : bad[k] );
      rg_pool_t * fresh = rg_pool_dup( pool, 0UL, NULL ); /* same group, holding nothing: it must look there */
      CU_ASSERT_PTR_NOT_NULL_FATAL( fresh );
      CU_ASSERT_EQUAL( rg_groove_alloc( rg_pool_groove( fresh ), 0UL, 2000UL, 0UL, &obj ), RG_ERR_CORRUPT );
      rg_pool_close( fresh );
      CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
      poke( g, words[i], 0UL );
    }
  }
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_SUCCESS );
  w = peek( g, rg_groove_shoff( g ) + RG_SH_POOL_TOP_OFF ); /* a pool top naming no volume */
  poke( g, rg_groove_shoff( g ) + RG_SH_POOL_TOP_OFF, rg_pool_top( rg_pool_top_ver( w ), 12345UL ) );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &obj ), RG_ERR_CORRUPT );
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  poke( g, rg_groove_shoff( g ) + RG_SH_POOL_TOP_OFF, w );
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &obj ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( g, obj ), RG_SUCCESS );
  rg_pool_close( pool );
}

/* A free slot under a live header: verify says so; the next allocation
   does not hand the live object out again through a fresh holder. */

static void
test_verify_free_under_live( void ) {
  rg_pool_t * pool = rg_pool_create( "anon", 1UL, 1UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  rg_groove_t * g = rg_pool_groove( pool );
  uint64_t a, b;
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 1UL, &a ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 2UL, &b ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_groove_flush( g ), RG_SUCCESS );
  uint64_t h  = rg_groove_obj_hdr_off( a ), idx = rg_groove_hdr_idx( peek( g, h ) );
  uint64_t sb = rg_groove_sb_hdr_off( h, 0UL, idx );
  uint64_t f  = peek( g, sb + RG_SB_FREE_OFF );
  poke( g, sb + RG_SB_FREE_OFF, f | (1UL<<idx) );              /* a's slot marked free, its header live */
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "under a live header" ) );
  poke( g, sb + RG_SB_FREE_OFF, f );
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( g, a ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( g, b ), RG_SUCCESS );
  rg_pool_close( pool );
}

/* Bytes inside an object that imitate an allocation header and its
   superblock (user data can hold any bytes, even a copy of a real
   superblock's header block): a free of the interior pointer is refused
   and later allocations stay out of the object. */

static void
test_forged_headers( void ) {
  rg_pool_t * pool = rg_pool_create( "anon", 1UL, 1UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  rg_groove_t * g = rg_pool_groove( pool );
  uint64_t real, big;
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &real ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 60000UL, 0UL, &big ), RG_SUCCESS );
  uint64_t rh  = rg_groove_obj_hdr_off( real );
  uint64_t rsb = rg_groove_sb_hdr_off( rh, 0UL, rg_groove_hdr_idx( peek( g, rh ) ) );
  uint64_t fake_sb = rg_groove_obj_hdr_off( big ) + 4096UL;    /* a block boundary inside big */
  uint8_t  block[ 512 ];
  CU_ASSERT_EQUAL( rg_mem_read( rg_groove_mem( g ), rsb, block, sizeof(block) ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_mem_write( rg_groove_mem( g ), fake_sb, block, sizeof(block) ), RG_SUCCESS ); /* a copy, check word and all */
  poke( g, fake_sb + RG_SB_FREE_OFF, 0UL );                    /* "full": a free would revive it */
  uint64_t fake_obj = fake_sb + 512UL;                         /* slot 0 of the fake */
  poke( g, fake_obj, rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_ALLOC, 0UL, 0UL, 16UL, 100UL ) );
  poke( g, fake_obj + 8UL, 0UL );
  CU_ASSERT_EQUAL( rg_groove_free( g, fake_obj + 16UL ), RG_ERR_INVAL );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "forged or copied" ) );
  poke( g, fake_sb + RG_SB_CHECK_OFF, rg_sb_check( 0x1234UL, fake_sb, peek( g, fake_sb ) ) ); /* a check word under another key */
  CU_ASSERT_EQUAL( rg_groove_free( g, fake_obj + 16UL ), RG_ERR_INVAL );
  for( int i=0; i<2000; i++ ) {                                /* allocations never land inside big */
    uint64_t o;
    CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &o ), RG_SUCCESS );
    CU_ASSERT_FATAL( o<big || o>=big + 60000UL );
  }
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_SUCCESS );
  rg_pool_close( pool );
}

/* Free-all: workers allocate and free objects of 16 B..1 MiB at random,
   then free everything; the volumes come back, the largest objects fit
   as in a fresh pool, a 512 MiB object fits a 1-volume pool. */

#define FREEALL_LIVE (2000UL)

typedef struct { rg_pool_t * pool; uint64_t seed, allocs, errors; } freeall_arg_t;

static void *
freeall_worker( void * p ) {
  freeall_arg_t * a = p;
  static __thread uint64_t live[ FREEALL_LIVE ];
  memset( live, 0, sizeof(live) );
  uint64_t s = a->seed;
  while( a->allocs<25000UL ) {
    uint64_t k = rg_test_rand( &s ) % FREEALL_LIVE;
    if( live[k] && rg_pool_free( a->pool, live[k] ) ) a->errors++;
    uint64_t lg = 4UL + rg_test_rand( &s ) % 17UL;             /* 16 B .. 1 MiB, log-uniform */
    uint64_t sz = (1UL<<lg) + rg_test_rand( &s ) % (1UL<<lg);
    if( sz>(1UL<<20) ) sz = 1UL<<20;
    if( rg_pool_alloc( a->pool, 0UL, sz, 0UL, &live[k] ) ) { a->errors++; live[k] = 0UL; }
    a->allocs++;
  }
  for( uint64_t k=0UL; k<FREEALL_LIVE; k++ ) if( live[k] && rg_pool_free( a->pool, live[k] ) ) a->errors++;
  return NULL;
}

static uint64_t
fill_largest( rg_pool_t * pool ) {
  static rg_gaddr_t got[ 4096 ];
  uint64_t n = 0UL;
  while( n<4096UL && !rg_pool_alloc( pool, 0UL, RG_GROOVE_SZ_MAX, 0UL, &got[n] ) ) n++;
  for( uint64_t i=0UL; i<n; i++ ) CU_ASSERT_EQUAL( rg_pool_free( pool, got[i] ), RG_SUCCESS );
  return n;
}

static void
test_free_all_returns_memory( void ) {
  rg_pool_t * fresh = rg_pool_create( "anon", 32UL, 32UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( fresh );
  uint64_t fresh_cnt = fill_largest( fresh );
  rg_pool_close( fresh );
  CU_ASSERT_EQUAL( fresh_cnt, 32UL*102UL );

  rg_pool_t * pool = rg_pool_create( "anon", 32UL, 32UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  pthread_t     tid[4];
  freeall_arg_t arg[4];
  for( int t=0; t<4; t++ ) {
    arg[t] = (freeall_arg_t){ .pool = rg_pool_dup( pool, (uint64_t)t + 1UL, NULL ), .seed = 99UL + (uint64_t)t };
    CU_ASSERT_PTR_NOT_NULL_FATAL( arg[t].pool );
    pthread_create( &tid[t], NULL, freeall_worker, &arg[t] );
  }
  uint64_t total = 0UL;
  for( int t=0; t<4; t++ ) {
    pthread_join( tid[t], NULL );
    CU_ASSERT_EQUAL( arg[t].errors, 0UL );
    total += arg[t].allocs;
  }
  static rg_groove_usage_t u;
  CU_ASSERT_EQUAL( rg_pool_usage( pool, &u ), RG_SUCCESS );
  printf( "\n  %lu objects of 16 B..1 MiB from 4 workers, all freed: %lu volume(s) in use, %lu superblocks (workers attached)\n",
          total, u.volumes_in_use, u.superblocks );
  /* with the workers still attached, a trim leaves only the volumes their
     spares (per small class each, the superblock held, the one held next
     and up to RG_SPARE_CNT more) sit in */
  uint64_t trimmed = 0UL, spare_vol[ 64 ], spare_vols = 0UL;
  CU_ASSERT_EQUAL( rg_pool_trim( pool, &trimmed ), RG_SUCCESS );
  for( int t=0; t<4; t++ ) {
    rg_groove_t * wg = rg_pool_groove( arg[t].pool );
    for( uint64_t j=0UL; j<(2UL + RG_SPARE_CNT)*RG_GROOVE_HELD_SZC_CNT; j++ ) {
      uint64_t c = j % RG_GROOVE_HELD_SZC_CNT, w = j/RG_GROOVE_HELD_SZC_CNT;
      uint64_t sb = !w ? wg->held[c].sb : w==1UL ? wg->held[c].next : wg->held[c].spare[ w - 2UL ];
      if( !sb ) continue;
      uint64_t v = (sb - rg_groove_volume0_off( wg ))>>RG_VOLUME_LG_FOOTPRINT, k = 0UL;
      while( k<spare_vols && spare_vol[k]!=v ) k++;
      if( k==spare_vols ) spare_vol[ spare_vols++ ] = v;
    }
  }
  CU_ASSERT_EQUAL( rg_pool_usage( pool, &u ), RG_SUCCESS );
  printf( "  trimmed with the workers attached: %lu superblocks destroyed; %lu volume(s) in use, %lu holding the workers' spares\n",
          trimmed, u.volumes_in_use, spare_vols );
  CU_ASSERT( u.volumes_in_use<=spare_vols );
  for( int t=0; t<4; t++ ) rg_pool_close( arg[t].pool );    /* their spares go back with them */
  CU_ASSERT_EQUAL( rg_pool_usage( pool, &u ), RG_SUCCESS );
  printf( "  after the workers left: %lu volume(s) in use, %lu superblocks\n", u.volumes_in_use, u.superblocks );
  CU_ASSERT_EQUAL( u.objects, 0UL );
  CU_ASSERT_EQUAL( u.volumes_in_use, 0UL );
  CU_ASSERT_EQUAL( rg_pool_trim( pool, &trimmed ), RG_SUCCESS ); /* nothing left to trim */
  CU_ASSERT_EQUAL( trimmed, 0UL );
  uint64_t after = fill_largest( pool );
  printf( "  largest objects that fit: %lu (a fresh pool: %lu)\n", after, fresh_cnt );
  CU_ASSERT_EQUAL( after, fresh_cnt );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  rg_pool_close( pool );

  rg_pool_t * one = rg_pool_create( "anon", 1UL, 1UL, NULL );  /* free-all on one volume, then half a volume */
  CU_ASSERT_PTR_NOT_NULL_FATAL( one );
  freeall_arg_t a1 = { .pool = one, .seed = 7UL };
  freeall_worker( &a1 );
  CU_ASSERT_EQUAL( a1.errors, 0UL );
  CU_ASSERT_EQUAL( rg_pool_flush( one ), RG_SUCCESS );
  rg_gaddr_t half;
  CU_ASSERT_EQUAL( rg_pool_alloc( one, 0UL, 512UL<<20, 5UL, &half ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_free( one, half ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_verify( one ), RG_SUCCESS );
  rg_pool_close( one );
}

/* Objects above 10 MiB: spans of class-31 slots, up to nearly a volume. */

static void
test_spans( void ) {
  rg_pool_t * pool = rg_pool_create( "anon", 2UL, 2UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  uint64_t sizes[] = { RG_GROOVE_SZ_MAX + 1UL, 11UL<<20, 100UL<<20, 512UL<<20, RG_GROOVE_SPAN_SZ_MAX };
  for( uint64_t i=0UL; i<sizeof(sizes)/sizeof(sizes[0]); i++ ) {
    rg_gaddr_t a;
    CU_ASSERT_EQUAL_FATAL( rg_pool_alloc( pool, 0UL, sizes[i], 40UL + i, &a ), RG_SUCCESS );
    rg_groove_obj_info_t info;
    CU_ASSERT_EQUAL( rg_pool_info( pool, a, &info ), RG_SUCCESS );
    CU_ASSERT_EQUAL( info.sz, sizes[i] );
    CU_ASSERT_EQUAL( info.tag, 40UL + i );
    CU_ASSERT( info.start<=rg_gaddr_off( a ) && rg_gaddr_off( a ) + sizes[i]<=info.stop );
    CU_ASSERT_EQUAL( rg_pool_write( pool, a, "first", 5UL ), RG_SUCCESS );
    CU_ASSERT_EQUAL( rg_pool_write( pool, a + sizes[i] - 4UL, "last", 4UL ), RG_SUCCESS );
    char buf[5];
    CU_ASSERT_EQUAL( rg_pool_read( pool, a + sizes[i] - 4UL, buf, 4UL ), RG_SUCCESS );
    CU_ASSERT_EQUAL( memcmp( buf, "last", 4 ), 0 );
    rg_groove_usage_t u;
    CU_ASSERT_EQUAL( rg_pool_usage( pool, &u ), RG_SUCCESS );
    CU_ASSERT_EQUAL( u.spans, 1UL );
    CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
    CU_ASSERT_EQUAL( rg_pool_free( pool, a + 512UL ), RG_ERR_INVAL ); /* inside it */
    CU_ASSERT_EQUAL( rg_pool_free( pool, a ), RG_SUCCESS );
    CU_ASSERT_EQUAL( rg_pool_free( pool, a ), RG_ERR_INVAL );
    CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  }
  rg_gaddr_t x, y, z;                                          /* two half volumes and a third: another volume */
  CU_ASSERT_EQUAL( rg_pool_alloc( pool, 0UL, 500UL<<20, 0UL, &x ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_alloc( pool, 0UL, 500UL<<20, 0UL, &y ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_alloc( pool, 0UL, 500UL<<20, 0UL, &z ), RG_SUCCESS );
  rg_gaddr_t w;
  CU_ASSERT_EQUAL( rg_pool_alloc( pool, 0UL, 500UL<<20, 0UL, &w ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_alloc( pool, 0UL, 500UL<<20, 0UL, &w ), RG_ERR_FULL ); /* 2 volumes, 2 halves each */
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  rg_pool_close( pool );
}

int
main( void ) {
  static rg_test_t const tests[] = {
    { "recovery refuses damage and changes nothing",       test_recovery_refuses_damage },
    { "damaged words give errors, never a crash",          test_damaged_words_no_crash  },
    { "verify reports a free slot under a live header",    test_verify_free_under_live  },
    { "a forged or copied header does not free",           test_forged_headers          },
    { "free-all gives the memory back to the volumes",     test_free_all_returns_memory },
    { "objects above 10 MiB, up to a volume",              test_spans                   },
    { NULL, NULL }
  };
  return rg_test_main( "integrity", tests );
}
