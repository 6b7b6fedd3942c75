/* Allocation and free on one join: alignments, sizes, headers, errors,
   exhaustion, bad frees, corruption and the widened stack version.

   One suite for every transport: RG_TEST_POOL names the pool (default
   "anon", shared memory in this process; "loop:anon", the same through
   the remote code path; "verbs://HOST:PORT" for a memory server, whose
   region each test formats afresh through the connection).  Memory is touched only through the pool's rg_mem_t. */

#include "rg_test.h"
#include "rgroove/rgroove.h"
#include "core/rg_groove_private.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static rg_pool_t *   pool;
static rg_groove_t * g;

static char const *
pool_uri( void ) {
  char const * uri = getenv( "RG_TEST_POOL" );
  return uri && uri[0] ? uri : "anon";
}

/* A server's recoverer (launcher/rg_recoverer.h) has a record of its
   own, which setup's format wipes: it joins again when it handles the
   disconnect that follows, at a moment of its choosing, and a verify
   that read its record half claimed would call that record a client
   gone.  wait_for_recoverer waits (at most 10 s) until the table shows
   a second whole record, the recoverer's, beside this join's. */

static int
count_joined( void *                          ctx,
              rg_groove_client_info_t const * c ) {
  if( c->state==RG_GROOVE_CLIENT_LIVE && c->id_kind ) (*(uint64_t *)ctx)++;
  return 0;
}

static void
wait_for_recoverer( void ) {
  for( int i=0; i<1000; i++ ) {
    uint64_t joined = 0UL;
    CU_ASSERT_EQUAL_FATAL( rg_groove_clients( g, count_joined, &joined ), RG_SUCCESS );
    if( joined>=2UL ) return;
    usleep( 10000 );
  }
  printf( "\n  no recoverer joined the formatted pool in 10 s: testing on\n" );
}

static void
setup( uint64_t volume_cnt ) {
  char const * uri = pool_uri();
  if( !strcmp( uri, "anon" ) || !strcmp( uri, "loop:anon" ) ) {
    pool = rg_pool_create( uri, volume_cnt, volume_cnt, NULL );
  } else { /* a server's region: format it for this test, then join */
    pool = rg_pool_open( uri, 0UL, NULL );
    CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
    CU_ASSERT_EQUAL_FATAL( rg_region_new( rg_groove_mem( rg_pool_groove( pool ) ), volume_cnt, volume_cnt ), RG_SUCCESS );
    rg_pool_close( pool );
    pool = rg_pool_open( uri, 0UL, NULL );
  }
  if( !pool ) printf( "\n  cannot open %s: %s\n", uri, rg_errmsg() );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  g = rg_pool_groove( pool );
  if( strcmp( uri, "anon" ) && strcmp( uri, "loop:anon" ) ) wait_for_recoverer();
}

static void
teardown( void ) {
  rg_pool_close( pool );
}

static uint64_t
peek( uint64_t off ) {
  uint64_t v = 0UL;
  CU_ASSERT_EQUAL_FATAL( rg_mem_load( rg_groove_mem( g ), off, &v ), RG_SUCCESS );
  return v;
}

static void
poke( uint64_t off,
      uint64_t v ) {
  CU_ASSERT_EQUAL_FATAL( rg_mem_store( rg_groove_mem( g ), off, v ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_mem_fence( rg_groove_mem( g ) ), RG_SUCCESS );
}

/* verify_ok: the pool verifies, else the test fails saying why. */

static void
verify_ok( void ) {
  int err = rg_groove_verify( g );
  if( err ) printf( "\n  verify: %s\n", rg_errmsg() );
  CU_ASSERT_EQUAL( err, RG_SUCCESS );
}

static void
check_obj( uint64_t obj,
           uint64_t align,
           uint64_t sz,
           uint64_t tag ) {
  rg_groove_obj_info_t info;
  CU_ASSERT_EQUAL_FATAL( rg_groove_obj_info( g, obj, &info ), RG_SUCCESS );
  uint64_t a = align ? align : 16UL;
  CU_ASSERT_FATAL( !(obj % a) );
  uint8_t * p = rg_pool_laddr( pool, rg_gaddr( 0UL, obj ) );
  CU_ASSERT_FATAL( !p || !((uintptr_t)p % a) ); /* where mapped, the pointer is aligned too */
  CU_ASSERT_EQUAL_FATAL( info.align, a );
  CU_ASSERT_EQUAL_FATAL( info.sz, sz );
  CU_ASSERT_EQUAL_FATAL( info.tag, tag );
  CU_ASSERT_FATAL( info.start<=obj && obj + sz<=info.stop );
  CU_ASSERT_FATAL( info.start>=g->volume0_off && info.stop<=g->volume1_off );
}

static void
test_alignments_and_sizes( void ) {
  setup( 1UL );
  uint64_t sizes[] = { 0UL, 1UL, 15UL, 16UL, 495UL, 496UL, 497UL, 4096UL, 65536UL, 1000000UL };
  uint64_t objs[ 11*10 ], n = 0UL;
  for( uint64_t lg=0UL; lg<=10UL; lg++ ) {
    uint64_t align = lg==10UL ? 0UL : 1UL<<lg;
    for( uint64_t i=0UL; i<sizeof(sizes)/sizeof(sizes[0]); i++ ) {
      uint64_t tag = lg*100UL + i;
      CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, align, sizes[i], tag, &objs[n] ), RG_SUCCESS );
      check_obj( objs[n], align, sizes[i], tag );
      static uint8_t fill[ 1000000 ];
      memset( fill, 0xa5, sizes[i] );
      CU_ASSERT_EQUAL_FATAL( rg_pool_write( pool, rg_gaddr( 0UL, objs[n] ), fill, sizes[i] ), RG_SUCCESS );
      n++;
    }
  }
  /* the largest objects the header allows, per alignment */
  uint64_t big;
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, RG_GROOVE_SZ_MAX, 1UL, &big ), RG_SUCCESS );
  check_obj( big, 0UL, RG_GROOVE_SZ_MAX, 1UL );
  CU_ASSERT_EQUAL( rg_groove_free( g, big ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 512UL, 10UL<<20, 2UL, &big ), RG_SUCCESS );
  check_obj( big, 512UL, 10UL<<20, 2UL );
  CU_ASSERT_EQUAL( rg_groove_free( g, big ), RG_SUCCESS );
  /* zero-size objects are unique */
  uint64_t z1, z2;
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 0UL, 0UL, &z1 ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 0UL, 0UL, &z2 ), RG_SUCCESS );
  CU_ASSERT_NOT_EQUAL( z1, z2 );
  CU_ASSERT_EQUAL( rg_groove_free( g, z1 ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( g, z2 ), RG_SUCCESS );

  verify_ok();
  rg_groove_usage_t u;
  CU_ASSERT_EQUAL( rg_groove_usage( g, &u ), RG_SUCCESS );
  CU_ASSERT_EQUAL( u.objects, n );
  for( uint64_t i=0UL; i<n; i++ ) CU_ASSERT_EQUAL( rg_groove_free( g, objs[i] ), RG_SUCCESS );
  verify_ok();
  CU_ASSERT_EQUAL( rg_groove_usage( g, &u ), RG_SUCCESS );
  CU_ASSERT_EQUAL( u.objects, 0UL );
  CU_ASSERT_EQUAL( u.object_bytes, 0UL );
  teardown();
}

static void
test_alloc_bad_args( void ) {
  setup( 1UL );
  uint64_t obj = 5UL;
  CU_ASSERT_EQUAL( rg_groove_alloc( NULL, 0UL, 1UL, 0UL, &obj ), RG_ERR_INVAL ); CU_ASSERT_EQUAL( obj, 0UL );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 1UL, 0UL, NULL ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 3UL, 1UL, 0UL, &obj ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 1024UL, 1UL, 0UL, &obj ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, RG_GROOVE_SPAN_SZ_MAX + 1UL, 0UL, &obj ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 512UL, 1UL<<30, 0UL, &obj ), RG_ERR_INVAL ); /* more than a volume */
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, ~0UL, 0UL, &obj ), RG_ERR_INVAL );     /* wraps */
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, ~0UL-20UL, 0UL, &obj ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( obj, 0UL );
  CU_ASSERT_EQUAL( rg_groove_free( NULL, 4096UL ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_groove_free( g, 0UL ), RG_ERR_INVAL );
  rg_groove_usage_t u;
  CU_ASSERT_EQUAL( rg_groove_usage( g, &u ), RG_SUCCESS );
  CU_ASSERT_EQUAL( u.volumes_in_use, 0UL ); /* nothing was taken */
  CU_ASSERT_EQUAL( u.volumes_empty, 1UL );
  teardown();
}

static void
test_exhaustion( void ) {
  setup( 1UL );
  /* the biggest class holds 2 per class-30 superblock, 51 superblocks per volume */
  uint64_t objs[ 200 ], n = 0UL, obj;
  int err;
  while( (err = rg_groove_alloc( g, 0UL, 10UL<<20, n, &obj ))==RG_SUCCESS ) { CU_ASSERT_FATAL( n<200UL ); objs[n++] = obj; }
  CU_ASSERT_EQUAL( err, RG_ERR_FULL );
  CU_ASSERT_EQUAL( n, 102UL );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 1UL, 0UL, &obj ), RG_ERR_FULL ); /* no room for a small class either */
  verify_ok();
  CU_ASSERT_EQUAL( rg_groove_free( g, objs[7] ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 10UL<<20, 1UL, &obj ), RG_SUCCESS ); /* works again after a free */
  CU_ASSERT_EQUAL( obj, objs[7] );
  for( uint64_t i=0UL; i<n; i++ ) CU_ASSERT_EQUAL( rg_groove_free( g, objs[i] ), RG_SUCCESS );
  verify_ok();
  /* everything free: small objects fit again */
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 1UL, 0UL, &obj ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( g, obj ), RG_SUCCESS );
  teardown();
}

static void
test_bad_frees( void ) {
  setup( 1UL );
  uint64_t a, b, big;
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 1UL, &a ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 64UL, 100UL, 2UL, &b ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 5000UL, 3UL, &big ), RG_SUCCESS );
  rg_groove_usage_t before, after;
  CU_ASSERT_EQUAL( rg_groove_usage( g, &before ), RG_SUCCESS );

  uint64_t sb = rg_groove_sb_hdr_off( rg_groove_obj_hdr_off( a ), rg_groove_hdr_szc( peek( rg_groove_obj_hdr_off( a ) ) ),
                                      rg_groove_hdr_idx( peek( rg_groove_obj_hdr_off( a ) ) ) );
  uint64_t bad[] = {
    8UL, RG_REGION_GROOVE_OFF + 16UL,            /* foreign: header and shared state */
    g->volume0_off + 16UL,                       /* the volume header */
    g->volume1_off, g->volume1_off + 4096UL, ~0UL,/* past the volumes */
    a + 1UL, a + 8UL, a - 8UL, b - 48UL,         /* misaligned, or inside the object's first block */
    big + 512UL, big + 1024UL,                   /* inside a multi-block object */
    sb + 16UL, sb + 512UL + 16UL + 4096UL,       /* a superblock, an unused slot */
  };
  for( uint64_t i=0UL; i<sizeof(bad)/sizeof(bad[0]); i++ ) {
    if( rg_groove_free( g, bad[i] )!=RG_ERR_INVAL ) { CU_FAIL( "bad free not rejected" ); printf( "  offset %#lx\n", bad[i] ); }
  }
  /* global addresses: bits 46..47 are no part of one, another server is not in this pool */
  rg_gaddr_t gbad[] = { a | (1UL<<46), a | (1UL<<47), rg_gaddr( 1UL, a ), RG_GADDR_NULL };
  for( uint64_t i=0UL; i<sizeof(gbad)/sizeof(gbad[0]); i++ ) {
    if( rg_pool_free( pool, gbad[i] )!=RG_ERR_INVAL ) { CU_FAIL( "bad global free not rejected" ); printf( "  address %#lx\n", gbad[i] ); }
  }
  CU_ASSERT_EQUAL( rg_groove_usage( g, &after ), RG_SUCCESS );
  CU_ASSERT_EQUAL( memcmp( &before, &after, sizeof(before) ), 0 );
  verify_ok();

  CU_ASSERT_EQUAL( rg_groove_free( g, a ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( g, a ), RG_ERR_INVAL ); /* double free */
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "freed already" ) );
  verify_ok();
  CU_ASSERT_EQUAL( rg_groove_usage( g, &after ), RG_SUCCESS );
  CU_ASSERT_EQUAL( after.objects, before.objects - 1UL );

  /* a stale pointer whose slot was reused by an object of another alignment */
  uint64_t c;
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 256UL, 10UL, 4UL, &c ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_obj_hdr_off( c ), rg_groove_obj_hdr_off( a ) );
  CU_ASSERT_EQUAL( rg_groove_free( g, a ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_groove_free( g, c ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( g, b ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( g, big ), RG_SUCCESS );
  verify_ok();
  teardown();
}

static void
test_corruption_detected( void ) {
  setup( 1UL );
  uint64_t a, b;
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 1UL, &a ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 2UL, &b ), RG_SUCCESS );
  verify_ok();
  uint64_t hdr   = rg_groove_obj_hdr_off( b );
  uint64_t saved = peek( hdr );

  poke( hdr, rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_ALLOC, 5UL, 0UL, 16UL, 100UL ) ); /* wrong slot index */
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "bad header" ) );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_ERR_CORRUPT );
  poke( hdr, 0x1234UL );                                                              /* garbage */
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  poke( hdr, saved );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );

  uint64_t h  = rg_groove_obj_hdr_off( a );
  uint64_t sb = rg_groove_sb_hdr_off( h, 0UL, rg_groove_hdr_idx( peek( h ) ) );
  uint64_t saved_free = peek( sb + RG_SB_FREE_OFF );
  CU_ASSERT_EQUAL( g->held[ 0 ].sb, sb );                                              /* held, */
  CU_ASSERT_EQUAL( g->held[ 0 ].slot, 0UL );                                           /* out of every container */
  CU_ASSERT_EQUAL( saved_free>>RG_SB_MARK_SHIFT, (uint64_t)rg_groove_client( g ) + 1UL ); /* marked as g's */
  poke( sb + RG_SB_FREE_OFF, saved_free | (1UL<<50) );                               /* bit beyond obj_cnt */
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  poke( sb + RG_SB_FREE_OFF, 1UL );                                                   /* its mark gone, one slot free */
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  poke( sb + RG_SB_FREE_OFF, 0UL );                                                   /* full, yet named as held */
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  poke( sb + RG_SB_FREE_OFF, saved_free );
  verify_ok();
  uint64_t saved_sb = peek( sb );
  poke( sb, saved_sb ^ (1UL<<22) );                                                   /* wrong class */
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  /* a join that has not validated this superblock refuses the free (a
     join trusts the superblocks it holds; verify finds what appears
     later) */
  rg_pool_t * fresh = rg_pool_dup( pool, 7UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( fresh );
  CU_ASSERT_EQUAL( rg_groove_free( rg_pool_groove( fresh ), a ), RG_ERR_INVAL ); /* refused, nothing changed */
  rg_pool_close( fresh );
  poke( sb, saved_sb );
  uint64_t saved_check = peek( sb + RG_SB_CHECK_OFF );
  poke( sb + RG_SB_CHECK_OFF, saved_check ^ 4UL );                                    /* its check word */
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  poke( sb + RG_SB_CHECK_OFF, saved_check );
  verify_ok();

  poke( g->volume0_off, 42UL );                                                        /* an unknown volume magic */
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "unknown magic" ) );
  poke( g->volume0_off, RG_VOLUME_MAGIC );

  uint64_t stk  = rg_groove_inactive_off( g, 3UL );                                   /* a stack pointing at a fake */
  uint64_t fake = g->volume0_off + (1UL<<20);
  verify_ok();
  poke( fake, rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_SUPERBLOCK, 0UL, 3UL, 16UL, rg_groove_sb_sz( 3UL ) ) );
  poke( fake + RG_SB_INFO_OFF, fake );
  poke( fake + RG_SB_FREE_OFF, 1UL );
  poke( stk, rg_stk_next( 0UL, fake ) );
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  uint64_t obj;
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 2000UL, 0UL, &obj ), RG_ERR_CORRUPT );   /* no check word: refused */
  poke( stk, rg_stk_next( 0UL, 12345UL * 512UL + (1UL<<44) ) );                     /* out of range */
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_CORRUPT );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 2000UL, 0UL, &obj ), RG_ERR_CORRUPT );   /* refused, no crash */
  poke( stk, 0UL );
  poke( fake, 0UL ); poke( fake + RG_SB_INFO_OFF, 0UL ); poke( fake + RG_SB_FREE_OFF, 0UL );
  CU_ASSERT_EQUAL( rg_groove_free( g, a ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( g, b ), RG_SUCCESS );
  verify_ok();
  teardown();
}

/* A client process that dies holding superblocks, with an object
   half freed: a survivor recovers it online; its objects stay until
   freed by owner.  Over a network transport a forked child cannot use
   the parent's connection: test_verbs kills real clients there. */

static void
test_recovery( void ) {
  setup( 2UL );
  rg_groove_recovery_t rec = {0};
  CU_ASSERT_EQUAL( rg_groove_recover( g, 0, &rec ), RG_SUCCESS ); /* a sound groove is left alone */
  CU_ASSERT_EQUAL( rec.slots_freed + rec.superblocks_recirculated + rec.volumes_released + rec.clients, 0UL );
  if( strncmp( pool_uri(), "anon", 4 ) && strncmp( pool_uri(), "loop:anon", 9 ) ) { teardown(); return; }

  uint64_t keep;
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 9UL, &keep ), RG_SUCCESS );
  int pipefd[2];
  CU_ASSERT_EQUAL_FATAL( pipe( pipefd ), 0 );
  pid_t pid = rg_test_fork();
  CU_ASSERT_FATAL( pid>=0 );
  if( !pid ) { /* the client: holds superblocks of three classes and one next, frees some, then waits to be killed */
    rg_pool_t * mine = rg_pool_dup( pool, 3UL, NULL );
    rg_groove_t * m = mine ? rg_pool_groove( mine ) : NULL;
    uint64_t o[ 20 ], p[ 38 ], owner = m ? rg_groove_owner( m ) : 0UL;
    for( int i=0; m && i<38; i++ ) if( rg_groove_alloc( m, 0UL, 100UL, 0x5a5aUL, &p[i] ) ) _exit( 3 ); /* a full superblock */
    for( int i=0; m && i<20; i++ ) if( rg_groove_alloc( m, 0UL, i<10 ? 100UL : i<15 ? 3000UL : 60000UL, 0x5a5aUL, &o[i] ) ) _exit( 3 );
    if( !m || rg_groove_free( m, p[0] ) || rg_groove_quiet( m ) || !m->held[ 0 ].next ) _exit( 7 ); /* revived: held next */
    for( int i=0; m && i<20; i+=4 ) if( rg_groove_free( m, o[i] ) ) _exit( 4 );
    if( !m || rg_groove_free( m, keep ) ) _exit( 5 ); /* one of the parent's */
    /* a free cut short: its dead mark written, its bit never set */
    uint64_t h = rg_groove_obj_hdr_off( o[1] );
    rg_mem_store( rg_groove_mem( m ), h, RG_GROOVE_HDR_TYPE_DEAD | ((uint64_t)(rg_groove_client( m ) + 1L)<<16) );
    if( write( pipefd[1], &owner, sizeof(owner) )!=sizeof(owner) ) _exit( 6 );
    for(;;) pause();
  }
  uint64_t owner = 0UL;
  CU_ASSERT_EQUAL_FATAL( read( pipefd[0], &owner, sizeof(owner) ), (ssize_t)sizeof(owner) );
  close( pipefd[0] ); close( pipefd[1] );
  CU_ASSERT_EQUAL( rg_groove_recover_dead( g, &rec ), RG_SUCCESS );  /* alive: nothing to do */
  CU_ASSERT_EQUAL( rec.clients, 0UL );
  kill( pid, SIGKILL );
  waitpid( pid, NULL, 0 );
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_AGAIN );             /* not damaged: left by a client that is gone */

  rec = (rg_groove_recovery_t){0};
  CU_ASSERT_EQUAL( rg_groove_recover_dead( g, &rec ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rec.clients, 1UL );
  CU_ASSERT_EQUAL( rec.slots_freed, 1UL );                            /* its half-done free, finished */
  CU_ASSERT_EQUAL( rec.superblocks_recirculated, 3UL );               /* what it held (classes 0 and 5, and next of 0), back */
  verify_ok();
  rg_groove_usage_t u;
  CU_ASSERT_EQUAL( rg_groove_usage( g, &u ), RG_SUCCESS );
  CU_ASSERT_EQUAL( u.objects, 51UL );                                  /* 38 - 1 + 20 - 5 freed - 1 finished; the parent's is gone */
  CU_ASSERT_EQUAL( rg_groove_free( g, keep ), RG_ERR_INVAL );         /* the dead client had freed it */

  uint64_t freed = 0UL;
  CU_ASSERT_EQUAL( rg_groove_free_owner( g, 0UL, 0UL, 0, &freed ), RG_ERR_INVAL ); /* everything: not without RG_FREE_ALL */
  CU_ASSERT_EQUAL( rg_groove_free_owner( g, owner, 0UL, 0, &freed ), RG_SUCCESS );
  CU_ASSERT_EQUAL( freed, 51UL );
  verify_ok();
  CU_ASSERT_EQUAL( rg_groove_usage( g, &u ), RG_SUCCESS );
  CU_ASSERT_EQUAL( u.objects, 0UL );
  CU_ASSERT_EQUAL( rg_groove_recover( NULL, 0, &rec ), RG_ERR_INVAL );
  teardown();
}

/* A popper reads top S2 and next S1, then stalls.  Meanwhile others pop
   S2 and S1, push S3 and S2, and pop/push S2 until 512 operations have
   passed: with the seed's 9-bit tag the top word would be the same as
   before and the stalled CAS would install S1, which is in use.  The
   27-bit version makes the CAS fail.  (The stack words alone, changed
   as rg_stack.c changes them.) */

static uint64_t raw_next[ 4 ];

static void
raw_push( uint64_t stk, uint64_t s, int k ) {
  uint64_t w = peek( stk ), old;
  raw_next[k] = rg_stk_off( w );
  CU_ASSERT_EQUAL( rg_mem_cas( rg_groove_mem( g ), stk, w, rg_stk_next( w, s ), &old ), RG_SUCCESS );
}

static uint64_t
raw_pop( uint64_t stk, uint64_t const * s ) {
  uint64_t w = peek( stk ), old, top = rg_stk_off( w ), k = 0UL;
  while( s[k]!=top ) k++;
  CU_ASSERT_EQUAL( rg_mem_cas( rg_groove_mem( g ), stk, w, rg_stk_next( w, raw_next[k] ), &old ), RG_SUCCESS );
  return top;
}

static void
test_widened_version( void ) {
  setup( 1UL );
  uint64_t s[3] = { g->volume0_off + 512UL*100UL, g->volume0_off + 512UL*200UL, g->volume0_off + 512UL*300UL };
  uint64_t stk = rg_groove_inactive_off( g, 5UL );
  raw_push( stk, s[0], 0 );
  raw_push( stk, s[1], 1 );
  uint64_t w_stalled = peek( stk ), next_stalled = raw_next[1];
  CU_ASSERT_EQUAL( rg_stk_off( w_stalled ), s[1] );
  CU_ASSERT_EQUAL( next_stalled, s[0] );

  uint64_t ops = 0UL;
  CU_ASSERT_EQUAL( raw_pop( stk, s ), s[1] ); ops++;
  CU_ASSERT_EQUAL( raw_pop( stk, s ), s[0] ); ops++; /* s[0] now in use */
  raw_push( stk, s[2], 2 ); ops++;
  raw_push( stk, s[1], 1 ); ops++;
  while( ops<512UL ) { raw_push( stk, raw_pop( stk, s ), 1 ); ops += 2UL; }
  uint64_t w_now = peek( stk );
  uint64_t seed_tag_then = (w_stalled>>RG_STK_OFF_BITS) & 511UL, seed_tag_now = (w_now>>RG_STK_OFF_BITS) & 511UL;
  CU_ASSERT_EQUAL( seed_tag_then, seed_tag_now );            /* a 9-bit tag could not tell */
  CU_ASSERT_EQUAL( rg_stk_off( w_now ), rg_stk_off( w_stalled ) );
  CU_ASSERT_NOT_EQUAL( w_now, w_stalled );                   /* the 27-bit version can */
  uint64_t old;
  CU_ASSERT_EQUAL( rg_mem_cas( rg_groove_mem( g ), stk, w_stalled, rg_stk_next( w_stalled, next_stalled ), &old ), RG_SUCCESS );
  CU_ASSERT_EQUAL( old, w_now );                             /* the stalled CAS fails */
  poke( stk, 0UL );
  teardown();
}

/* A join holds the superblock it allocates small objects from, marked
   as its own where it sits: others make their own, the holder lets it
   go when it claims the last slot, its own free that revives it holds it
   again (another join's puts it back in the active slot), and leave puts
   it back into circulation. */

static uint64_t mark_of( uint64_t sb ) { return peek( sb + RG_SB_FREE_OFF )>>RG_SB_MARK_SHIFT; }
static uint64_t me_of  ( rg_groove_t * j ) { return (uint64_t)rg_groove_client( j ) + 1UL; }

static void
test_held_superblocks( void ) {
  setup( 1UL );
  uint64_t cnt  = rg_groove_szc_cfg[ 0 ].obj_cnt, full = (1UL<<cnt) - 1UL;
  uint64_t slot = rg_groove_active_off( g, 0UL );
  uint64_t obj[ 64 ];
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &obj[0] ), RG_SUCCESS );
  uint64_t sb = g->held[ 0 ].sb;
  CU_ASSERT_FATAL( sb!=0UL );
  CU_ASSERT_EQUAL( g->held[ 0 ].slot, 0UL );                     /* held out of every container */
  CU_ASSERT_EQUAL( peek( slot ), 0UL );                          /* (its last claim is then one atomic), */
  CU_ASSERT_EQUAL( mark_of( sb ), me_of( g ) );                  /* marked as g's */
  CU_ASSERT_EQUAL( g->held[ 0 ].free, peek( sb + RG_SB_FREE_OFF ) & RG_SB_FREE_MASK );

  rg_pool_t * other = rg_pool_dup( pool, rg_groove_cgroup_hint( g ), NULL ); /* same concurrency group */
  CU_ASSERT_PTR_NOT_NULL_FATAL( other );
  rg_groove_t * h = rg_pool_groove( other );
  uint64_t y;
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( h, 0UL, 100UL, 0UL, &y ), RG_SUCCESS );
  uint64_t hsb = h->held[ 0 ].sb;
  CU_ASSERT( hsb!=0UL && hsb!=sb );                              /* a superblock of its own, */
  CU_ASSERT_EQUAL( h->held[ 0 ].slot, 0UL );                     /* held out too */
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &obj[1] ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( h, obj[0] ), RG_SUCCESS );   /* a free into g's held superblock */
  CU_ASSERT_EQUAL( rg_groove_free( g, y ), RG_SUCCESS );        /* and into h's */
  CU_ASSERT_EQUAL( rg_groove_free( g, obj[1] ), RG_SUCCESS );   /* g's view of its bits is stale now */
  CU_ASSERT_EQUAL( rg_groove_quiet( h ), RG_SUCCESS );           /* frees in flight over a round-trip transport */
  CU_ASSERT_EQUAL( rg_groove_quiet( g ), RG_SUCCESS );
  CU_ASSERT_EQUAL( peek( sb + RG_SB_FREE_OFF ) & RG_SB_FREE_MASK, full );
  CU_ASSERT_EQUAL( g->held[ 0 ].free, full );
  CU_ASSERT_EQUAL( g->held[ 0 ].sb, sb );                        /* empty, still held: g's spare */
  CU_ASSERT_EQUAL( rg_groove_free( g, obj[1] ), RG_ERR_INVAL ); /* double free */
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );

  for( uint64_t i=0UL; i<cnt; i++ ) {                            /* fill g's superblock */
    CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, i, &obj[i] ), RG_SUCCESS );
    CU_ASSERT_EQUAL( rg_groove_sb_hdr_off( rg_groove_obj_hdr_off( obj[i] ), 0UL, rg_groove_hdr_idx( peek( rg_groove_obj_hdr_off( obj[i] ) ) ) ), sb );
  }
  CU_ASSERT_EQUAL( g->held[ 0 ].sb, 0UL );                       /* full: let go, out of circulation */
  CU_ASSERT_EQUAL( peek( sb + RG_SB_FREE_OFF ), 0UL );
  CU_ASSERT_EQUAL( peek( slot ), 0UL );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( h, obj[3] ), RG_SUCCESS );   /* another join's free revives it */
  CU_ASSERT_EQUAL( rg_groove_quiet( h ), RG_SUCCESS );
  uint64_t next_word = h->rec + offsetof( rg_client_rec_t, next );
  CU_ASSERT_EQUAL( h->held[ 0 ].next, sb );                      /* h holds one: sb is held next, */
  CU_ASSERT_EQUAL( peek( next_word ), sb );                      /* its record says so, */
  CU_ASSERT_EQUAL( mark_of( sb ), me_of( h ) );                  /* marked as h's, */
  CU_ASSERT_EQUAL( peek( slot ), 0UL );                          /* in no container */
  CU_ASSERT_EQUAL( rg_groove_free( g, obj[4] ), RG_SUCCESS );   /* not full now: stays there */
  CU_ASSERT_EQUAL( rg_groove_quiet( g ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );

  uint64_t z[ 64 ];
  for( uint64_t i=0UL; i<cnt; i++ ) CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( h, 0UL, 100UL, 0UL, &z[i] ), RG_SUCCESS ); /* fills hsb */
  CU_ASSERT_EQUAL( h->held[ 0 ].sb, 0UL );
  CU_ASSERT_EQUAL( h->held[ 0 ].next, sb );
  uint64_t zn;
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( h, 0UL, 100UL, 0UL, &zn ), RG_SUCCESS ); /* the next one is taken, */
  CU_ASSERT_EQUAL( rg_groove_obj_hdr_off( zn ), sb + 512UL + 3UL*(uint64_t)rg_groove_szc_cfg[ 0 ].obj_footprint ); /* its lowest free slot */
  CU_ASSERT_EQUAL( h->held[ 0 ].sb, sb );                        /* held now, */
  CU_ASSERT_EQUAL( h->held[ 0 ].next, 0UL );
  CU_ASSERT_EQUAL( peek( next_word ), 0UL );                     /* named as held only, */
  CU_ASSERT_EQUAL( peek( slot ), 0UL );                          /* through no container */
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( h, zn ), RG_SUCCESS );
  for( uint64_t i=0UL; i<cnt; i++ ) CU_ASSERT_EQUAL( rg_groove_free( h, z[i] ), RG_SUCCESS ); /* revive hsb: next, then empty */
  CU_ASSERT_EQUAL( rg_groove_quiet( h ), RG_SUCCESS );
  CU_ASSERT_EQUAL( h->held[ 0 ].next, hsb );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );

  rg_pool_close( other );                                        /* leave: h's empty next goes back to its parent, */
  CU_ASSERT_EQUAL( rg_groove_hdr_type( peek( hsb ) ), RG_GROOVE_HDR_TYPE_DEAD );
  CU_ASSERT_EQUAL( peek( slot ), sb );                           /* the one it held into the active slot */
  CU_ASSERT_EQUAL( mark_of( sb ), 0UL );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );

  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 3UL, &obj[3] ), RG_SUCCESS ); /* taken in place, held */
  CU_ASSERT_EQUAL( g->held[ 0 ].sb, sb );
  CU_ASSERT_EQUAL( g->held[ 0 ].slot, slot );
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 4UL, &obj[4] ), RG_SUCCESS ); /* full again */
  CU_ASSERT_EQUAL( rg_groove_obj_hdr_off( obj[4] ), sb + 512UL + 4UL*(uint64_t)rg_groove_szc_cfg[ 0 ].obj_footprint );
  CU_ASSERT_EQUAL( g->held[ 0 ].sb, 0UL );
  CU_ASSERT_EQUAL( peek( slot ), 0UL );
  CU_ASSERT_EQUAL( rg_groove_free( g, obj[5] ), RG_SUCCESS );   /* its own free revives it: g holds it */
  CU_ASSERT_EQUAL( rg_groove_quiet( g ), RG_SUCCESS );
  CU_ASSERT_EQUAL( g->held[ 0 ].sb, sb );
  CU_ASSERT_EQUAL( g->held[ 0 ].free, 1UL<<5 );
  CU_ASSERT_EQUAL( mark_of( sb ), me_of( g ) );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 100UL, 5UL, &obj[5] ), RG_SUCCESS );
  CU_ASSERT_EQUAL( g->held[ 0 ].sb, 0UL );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  for( uint64_t i=0UL; i<cnt; i++ ) CU_ASSERT_EQUAL( rg_groove_free( g, obj[i] ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  teardown();
}

/* Spares (mapped memory): a join's frees that revive more superblocks
   of a class than it holds and holds next keep up to RG_SPARE_CNT more,
   marked and named in its record; the next revival past them goes back
   into the active slot.  Filling the held one makes the next one held
   and the last spare next, named so before its spare word is cleared.
   A client killed with spares has them recirculated by recovery; a join
   that leaves puts them back itself. */

static uint64_t
spare_word( rg_groove_t * j,
            uint64_t      k ) {
  return peek( j->rec + offsetof( rg_client_rec_t, spare ) + 8UL*k ); /* class 0's */
}

/* full_sbs allocates class-0 objects with j until n superblocks are
   full of them: each one's offset in sb[], one of its objects in one[].
   Returns how many it allocated. */

static uint64_t
sb_of( uint64_t obj ) {
  uint64_t h = rg_groove_obj_hdr_off( obj );
  return rg_groove_sb_hdr_off( h, 0UL, rg_groove_hdr_idx( peek( h ) ) );
}

static uint64_t
full_sbs( rg_groove_t * j,
          uint64_t      n,
          uint64_t *    sb,
          uint64_t *    one ) {
  uint64_t cnt = rg_groove_szc_cfg[ 0 ].obj_cnt, seen[ 16 ], first[ 16 ], got[ 16 ] = {0}, m = 0UL, done = 0UL, t;
  for( t=0UL; done<n && t<(n + 2UL)*cnt; t++ ) {
    uint64_t obj, s, i = 0UL;
    CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( j, 0UL, 100UL, 0UL, &obj ), RG_SUCCESS );
    s = sb_of( obj );
    while( i<m && seen[i]!=s ) i++;
    if( i==m ) { CU_ASSERT_FATAL( m<16UL ); seen[ m ] = s; first[ m++ ] = obj; }
    if( ++got[i]==cnt ) { sb[ done ] = s; one[ done++ ] = first[i]; }
  }
  CU_ASSERT_EQUAL_FATAL( done, n );
  return t;
}

static void
test_spares( void ) {
  setup( 1UL );
  if( !rg_mem_is_mapped( rg_groove_mem( g ) ) ) { teardown(); return; }
  enum { N = 3 + RG_SPARE_CNT };
  uint64_t sb[ N ], one[ N ], slot = rg_groove_active_off( g, 0UL );
  full_sbs( g, N, sb, one );
  for( uint64_t i=0UL; i<N; i++ ) CU_ASSERT_EQUAL( rg_groove_free( g, one[i] ), RG_SUCCESS );
  CU_ASSERT_EQUAL( g->held[ 0 ].sb, sb[0] );                        /* held, */
  CU_ASSERT_EQUAL( g->held[ 0 ].next, sb[1] );                      /* held next, */
  for( uint64_t k=0UL; k<RG_SPARE_CNT; k++ ) {
    CU_ASSERT_EQUAL( g->held[ 0 ].spare[ k ], sb[ 2UL + k ] );      /* spares, */
    CU_ASSERT_EQUAL( spare_word( g, k ), sb[ 2UL + k ] );           /* named in the record, */
    CU_ASSERT_EQUAL( mark_of( sb[ 2UL + k ] ), me_of( g ) );        /* marked as g's */
  }
  CU_ASSERT_EQUAL( peek( slot ), sb[ N - 1 ] );                     /* the one past them: back in the slot, */
  CU_ASSERT_EQUAL( mark_of( sb[ N - 1 ] ), 0UL );                   /* unmarked */
  verify_ok();

  uint64_t a, b;
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &a ), RG_SUCCESS ); /* fills the held one */
  CU_ASSERT_EQUAL( a, one[0] );
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &b ), RG_SUCCESS ); /* takes the next one */
  CU_ASSERT_EQUAL( b, one[1] );
  uint64_t last = sb[ 1UL + RG_SPARE_CNT ];
  CU_ASSERT_EQUAL( g->held[ 0 ].next, last );                       /* the last spare is next now, */
  CU_ASSERT_EQUAL( peek( g->rec + offsetof( rg_client_rec_t, next ) ), last );
  CU_ASSERT_EQUAL( spare_word( g, RG_SPARE_CNT - 1UL ), 0UL );      /* a spare no more */
  CU_ASSERT_EQUAL( g->held[ 0 ].spare[ RG_SPARE_CNT - 1UL ], 0UL );
  verify_ok();
  CU_ASSERT_EQUAL( rg_groove_free( g, a ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( g, b ), RG_SUCCESS );

  /* a client killed holding spares: recovery puts every one back */
  int pipefd[2];
  CU_ASSERT_EQUAL_FATAL( pipe( pipefd ), 0 );
  pid_t pid = rg_test_fork();
  CU_ASSERT_FATAL( pid>=0 );
  if( !pid ) {
    rg_pool_t * mine = rg_pool_dup( pool, 3UL, NULL );
    rg_groove_t * m = mine ? rg_pool_groove( mine ) : NULL;
    uint64_t csb[ N ], cone[ N ], said[2] = { m ? rg_groove_owner( m ) : 0UL, 0UL }; /* its owner id, its objects */
    if( !m ) _exit( 3 );
    said[1] = full_sbs( m, N - 1, csb, cone ) - (N - 1);
    for( uint64_t i=0UL; i<N - 1; i++ ) if( rg_groove_free( m, cone[i] ) ) _exit( 4 );
    if( !m->held[ 0 ].spare[ RG_SPARE_CNT - 1UL ] ) _exit( 5 );
    if( write( pipefd[1], said, sizeof(said) )!=sizeof(said) ) _exit( 6 );
    for(;;) pause();
  }
  uint64_t said[2] = { 0UL, 0UL };
  CU_ASSERT_EQUAL_FATAL( read( pipefd[0], said, sizeof(said) ), (ssize_t)sizeof(said) );
  close( pipefd[0] ); close( pipefd[1] );
  kill( pid, SIGKILL );
  waitpid( pid, NULL, 0 );
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_ERR_AGAIN );           /* left by a client that is gone */
  rg_groove_recovery_t rec = {0};
  CU_ASSERT_EQUAL( rg_groove_recover_dead( g, &rec ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rec.clients, 1UL );
  CU_ASSERT_EQUAL( rec.superblocks_recirculated, 2UL + RG_SPARE_CNT ); /* held, next and spares */
  verify_ok();
  uint64_t freed = 0UL;
  CU_ASSERT_EQUAL( rg_groove_free_owner( g, said[0], 0UL, 0, &freed ), RG_SUCCESS );
  CU_ASSERT_EQUAL( freed, said[1] );                                /* its objects stayed until then */

  /* a join that leaves puts its spares back */
  rg_pool_t * other = rg_pool_dup( pool, rg_groove_cgroup_hint( g ), NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( other );
  rg_groove_t * h = rg_pool_groove( other );
  uint64_t hsb[ N ], hone[ N ];
  full_sbs( h, N - 1, hsb, hone );
  for( uint64_t i=0UL; i<N - 1; i++ ) CU_ASSERT_EQUAL( rg_groove_free( h, hone[i] ), RG_SUCCESS );
  uint64_t spare0 = h->held[ 0 ].spare[ 0 ];
  CU_ASSERT_EQUAL( mark_of( spare0 ), me_of( h ) );
  rg_pool_close( other );
  CU_ASSERT_EQUAL( mark_of( spare0 ), 0UL );
  verify_ok();
  CU_ASSERT_EQUAL( rg_groove_free_owner( g, 0UL, 0UL, RG_FREE_ALL, &freed ), RG_SUCCESS );
  rg_groove_usage_t u;
  CU_ASSERT_EQUAL( rg_groove_usage( g, &u ), RG_SUCCESS );
  CU_ASSERT_EQUAL( u.objects, 0UL );
  verify_ok();
  teardown();
}

/* A batch that fills the held superblock takes the one held next in
   the same post; a slot another join freed there meanwhile keeps that
   join's owner entry until this one writes its own: the object this join
   allocates there names this join as its owner. */

/* other_join: a second join of the pool under test, in group 5. */

static rg_pool_t *
other_join( rg_groove_t ** h ) {
  rg_pool_t * other = rg_pool_dup( pool, 5UL, NULL );
  *h = other ? rg_pool_groove( other ) : NULL;
  return other;
}

static void
test_next_owner( void ) {
  setup( 1UL );
  rg_groove_t * h;
  rg_pool_t * other = other_join( &h );
  CU_ASSERT_PTR_NOT_NULL_FATAL( other );
  uint64_t cnt = rg_groove_szc_cfg[ 0 ].obj_cnt, a[ 64 ], b[ 64 ], got, x;
  for( uint64_t i=0UL; i<cnt; i++ ) CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( h, 0UL, 100UL, 0UL, &a[i] ), RG_SUCCESS ); /* h's, full */
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &x ), RG_SUCCESS );  /* g holds one of its own */
  CU_ASSERT_EQUAL( rg_groove_free( g, a[0] ), RG_SUCCESS );                          /* g revives h's: held next */
  CU_ASSERT_EQUAL( rg_groove_quiet( g ), RG_SUCCESS );
  uint64_t sb = g->held[ 0 ].next, left = (uint64_t)__builtin_popcountl( g->held[ 0 ].free );
  CU_ASSERT_FATAL( sb!=0UL );
  CU_ASSERT_EQUAL( rg_groove_free( h, a[1] ), RG_SUCCESS );                          /* h frees its own there */
  CU_ASSERT_EQUAL( rg_groove_quiet( h ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc_n( g, 0UL, 100UL, 0UL, left + 1UL, b, &got ), RG_SUCCESS ); /* the held one's rest and a[0]'s slot */
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &b[ got ] ), RG_SUCCESS );  /* a[1]'s slot */
  CU_ASSERT_EQUAL( b[ got ], a[1] );
  rg_groove_obj_info_t info;
  CU_ASSERT_EQUAL( rg_groove_obj_info( g, b[ got ], &info ), RG_SUCCESS );
  CU_ASSERT_EQUAL( info.owner, rg_groove_owner( g ) );
  for( uint64_t i=0UL; i<=got; i++ ) CU_ASSERT_EQUAL( rg_groove_free( g, b[i] ), RG_SUCCESS );
  for( uint64_t i=2UL; i<cnt; i++ ) CU_ASSERT_EQUAL( rg_groove_free( h, a[i] ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( g, x ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_quiet( g ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_quiet( h ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  rg_pool_close( other );
  teardown();
}

/* A superblock a join saw (remotely: it guesses its free word from
   that) is emptied by another join and destroyed, and its memory becomes
   user data that imitates a header at one of its old slots: a free of
   that interior pointer is refused, and the data stays as it was. */

static void
test_seen_then_forged( void ) {
  setup( 1UL );
  rg_groove_t * h;
  rg_pool_t * other = other_join( &h );
  CU_ASSERT_PTR_NOT_NULL_FATAL( other );
  uint64_t o[3];
  for( int i=0; i<3; i++ ) CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 12000UL, 7UL, &o[i] ), RG_SUCCESS ); /* class 10: one superblock */
  uint64_t hdr = rg_groove_obj_hdr_off( o[0] ), w0 = peek( hdr ), w1 = peek( hdr + 8UL );
  uint64_t sb  = rg_groove_sb_hdr_off( hdr, rg_groove_hdr_szc( w0 ), rg_groove_hdr_idx( w0 ) );
  for( int i=0; i<3; i++ ) CU_ASSERT_EQUAL( rg_groove_free( h, o[i] ), RG_SUCCESS ); /* emptied by another join */
  CU_ASSERT_EQUAL( rg_groove_quiet( h ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_trim( h, NULL ), RG_SUCCESS );                       /* and destroyed */
  CU_ASSERT_EQUAL( rg_groove_hdr_type( peek( sb ) ), RG_GROOVE_HDR_TYPE_DEAD );
  uint64_t big;
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( h, 0UL, 40000UL, 0UL, &big ), RG_SUCCESS ); /* its memory: user data now */
  CU_ASSERT_FATAL( big<=sb + RG_SB_FREE_OFF && hdr + 16UL<=big + 40000UL );
  poke( hdr, w0 );                                                                 /* the old header, imitated */
  poke( hdr + 8UL, w1 );
  poke( sb + RG_SB_FREE_OFF, 0UL );                                                /* and a free word "full" */
  CU_ASSERT_EQUAL( rg_groove_free( g, o[0] ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_groove_quiet( g ), RG_SUCCESS );
  CU_ASSERT_EQUAL( peek( sb + RG_SB_FREE_OFF ), 0UL );                            /* untouched */
  CU_ASSERT_EQUAL( peek( hdr ), w0 );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( h, big ), RG_SUCCESS );
  rg_pool_close( other );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  teardown();
}

/* Batches: alloc_n hands out distinct live objects; free_n frees the
   good offsets of a batch and refuses, one by one, an interior pointer,
   an offset outside the volumes and a second free of one object in the
   same batch; after quiet nothing is left and verify passes. */

static void
test_batches( void ) {
  setup( 2UL );
  static uint64_t const sizes[] = { 64UL, 5000UL, 100000UL };
  static uint64_t obj[ 200 ];
  static int      err[ 200 ];
  for( uint64_t si=0UL; si<3UL; si++ ) {
    for( uint64_t n=1UL; n<=130UL; n = n*4UL + 1UL ) { /* 1, 5, 21, 85 */
      uint64_t got = 99UL;
      CU_ASSERT_EQUAL_FATAL( rg_groove_alloc_n( g, 0UL, sizes[si], 7UL, n, obj, &got ), RG_SUCCESS );
      CU_ASSERT_EQUAL_FATAL( got, n );
      for( uint64_t i=0UL; i<n; i++ ) {
        rg_groove_obj_info_t info;
        CU_ASSERT_EQUAL( rg_groove_obj_info( g, obj[i], &info ), RG_SUCCESS );
        CU_ASSERT_EQUAL( info.sz, sizes[si] );
        CU_ASSERT_EQUAL( info.tag, 7UL );
        CU_ASSERT_EQUAL( obj[i] & 15UL, 0UL );
        for( uint64_t j=0UL; j<i; j++ ) CU_ASSERT_NOT_EQUAL( obj[i], obj[j] );
      }
      /* the first half alone (all good: the fast path where it applies) */
      uint64_t half = n/2UL;
      memset( err, 0x55, sizeof(err) );
      CU_ASSERT_EQUAL( rg_groove_free_n( g, half, obj, err ), RG_SUCCESS );
      for( uint64_t i=0UL; i<half; i++ ) CU_ASSERT_EQUAL( err[i], RG_SUCCESS );
      /* the rest, with bad ones among them */
      uint64_t * rest = obj + half, m = n - half;
      rest[ m ] = rest[0] + 16UL;     /* inside an object */
      rest[ m+1UL ] = 1UL<<62;        /* outside the volumes */
      rest[ m+2UL ] = rest[ m-1UL ];  /* the last one twice */
      rest[ m+3UL ] = half ? obj[0] : rest[0] + 32UL; /* one freed by the first half */
      memset( err, 0x55, sizeof(err) );
      CU_ASSERT_EQUAL( rg_groove_free_n( g, m + 4UL, rest, err ), RG_ERR_INVAL );
      for( uint64_t i=0UL; i<m; i++ ) CU_ASSERT_EQUAL( err[i], RG_SUCCESS );
      for( uint64_t i=m; i<m + 4UL; i++ ) CU_ASSERT_EQUAL( err[i], RG_ERR_INVAL );
      CU_ASSERT_EQUAL( rg_groove_quiet( g ), RG_SUCCESS );
      rg_groove_usage_t u;
      CU_ASSERT_EQUAL( rg_groove_usage( g, &u ), RG_SUCCESS );
      CU_ASSERT_EQUAL( u.objects, 0UL );
      verify_ok();
    }
  }
  uint64_t got = 1UL;
  CU_ASSERT_EQUAL( rg_groove_alloc_n( g, 0UL, 64UL, 0UL, 0UL, obj, &got ), RG_SUCCESS ); /* n 0: nothing */
  CU_ASSERT_EQUAL( got, 0UL );
  CU_ASSERT_EQUAL( rg_groove_free_n( g, 0UL, obj, err ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_alloc_n( g, 3UL, 64UL, 0UL, 4UL, obj, &got ), RG_ERR_INVAL ); /* bad align */
  CU_ASSERT_EQUAL( got, 0UL );
  teardown();
}

/* Non-blocking frees, writes and reads: a bad free_nbi inside the
   volumes is reported by quiet (over a round-trip transport; at once
   otherwise), the good ones take effect, data written with write_nbi is
   read back with read_nbi after quiet, and the pool stays sound. */

static void
test_nonblocking( void ) {
  setup( 1UL );
  uint64_t obj[ 20 ];
  for( uint64_t i=0UL; i<20UL; i++ ) CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 200UL, i, &obj[i] ), RG_SUCCESS );
  int rt = rg_mem_round_trips( rg_groove_mem( g ) );
  for( uint64_t i=0UL; i<10UL; i++ ) CU_ASSERT_EQUAL( rg_groove_free_nbi( g, obj[i] ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free_nbi( g, obj[10] + 16UL ), rt ? RG_SUCCESS : RG_ERR_INVAL ); /* not a first byte */
  CU_ASSERT_EQUAL( rg_groove_free_nbi( g, 1UL<<62 ), RG_ERR_INVAL );                       /* outside: at once */
  CU_ASSERT_EQUAL( rg_groove_quiet( g ), rt ? RG_ERR_INVAL : RG_SUCCESS );
  if( rt ) CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "not the first byte" ) );
  CU_ASSERT_EQUAL( rg_groove_quiet( g ), RG_SUCCESS );                                      /* reported once */
  rg_groove_obj_info_t info;
  for( uint64_t i=0UL; i<20UL; i++ ) CU_ASSERT_EQUAL( rg_groove_obj_info( g, obj[i], &info ), i<10UL ? RG_ERR_INVAL : RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free_nbi( g, obj[0] ), rt ? RG_SUCCESS : RG_ERR_INVAL );      /* a second free, posted */
  CU_ASSERT_EQUAL( rg_groove_quiet( g ), rt ? RG_ERR_INVAL : RG_SUCCESS );
  verify_ok();
  for( uint64_t i=10UL; i<20UL; i++ ) CU_ASSERT_EQUAL( rg_groove_free( g, obj[i] ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_quiet( g ), RG_SUCCESS );
  rg_groove_usage_t u;
  CU_ASSERT_EQUAL( rg_groove_usage( g, &u ), RG_SUCCESS );
  CU_ASSERT_EQUAL( u.objects, 0UL );
  verify_ok();

  /* bytes: posted writes, then posted reads of them, complete at quiet */
  rg_gaddr_t a;
  CU_ASSERT_EQUAL_FATAL( rg_pool_alloc( pool, 0UL, 4096UL, 0UL, &a ), RG_SUCCESS );
  static uint8_t src[ 4096 ], dst[ 4096 ];
  for( uint64_t i=0UL; i<sizeof(src); i++ ) src[i] = (uint8_t)(i*7UL + 3UL);
  for( uint64_t k=0UL; k<4UL; k++ ) CU_ASSERT_EQUAL( rg_pool_write_nbi( pool, a + k*1024UL, src + k*1024UL, 1024UL ), RG_SUCCESS );
  memset( src, 0, 1024UL ); /* the source may be reused once posted */
  CU_ASSERT_EQUAL( rg_pool_read_nbi( pool, a, dst, sizeof(dst) ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_quiet( pool ), RG_SUCCESS );
  for( uint64_t i=0UL; i<sizeof(dst); i++ ) if( dst[i]!=(uint8_t)(i*7UL + 3UL) ) { CU_FAIL( "read_nbi after write_nbi" ); break; }
  CU_ASSERT_EQUAL( rg_pool_write_nbi( pool, a + (1UL<<40), src, 200UL ), RG_ERR_INVAL ); /* outside the region */
  CU_ASSERT_EQUAL( rg_pool_free_nbi( pool, a ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_quiet( pool ), RG_SUCCESS );
  verify_ok();
  teardown();
}

/* Round trips over loop (deterministic counts, not times): in steady
   state a 64 B alloc+free pair waits for 2 (alloc 1, free 1), and
   alloc_n + free_n of 8 objects for at most 2 in all. */

static void
test_round_trips( void ) {
  setup( 1UL );
  rg_mem_stats_t s0, s1;
  if( !rg_mem_round_trips( rg_groove_mem( g ) ) || rg_pool_stats( pool, &s0 ) ) { teardown(); return; } /* no counters here */
  uint64_t obj[ 8 ], got;
  for( int i=0; i<4; i++ ) { /* steady state: the join holds its superblock */
    CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 64UL, 0UL, &obj[0] ), RG_SUCCESS );
    CU_ASSERT_EQUAL_FATAL( rg_groove_free( g, obj[0] ), RG_SUCCESS );
  }
  CU_ASSERT_EQUAL( rg_pool_stats( pool, &s0 ), RG_SUCCESS );
  for( int i=0; i<100; i++ ) {
    CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 64UL, 0UL, &obj[0] ), RG_SUCCESS );
    CU_ASSERT_EQUAL_FATAL( rg_groove_free( g, obj[0] ), RG_SUCCESS );
  }
  CU_ASSERT_EQUAL( rg_pool_stats( pool, &s1 ), RG_SUCCESS );
  printf( "\n  64 B alloc+free pair: %.2f round trips", (double)(s1.round_trips - s0.round_trips)/100.0 );
  CU_ASSERT( s1.round_trips - s0.round_trips<=200UL );
  for( int i=0; i<4; i++ ) {
    CU_ASSERT_EQUAL_FATAL( rg_groove_alloc_n( g, 0UL, 64UL, 0UL, 8UL, obj, &got ), RG_SUCCESS );
    CU_ASSERT_EQUAL_FATAL( rg_groove_free_n( g, 8UL, obj, NULL ), RG_SUCCESS );
  }
  CU_ASSERT_EQUAL( rg_pool_stats( pool, &s0 ), RG_SUCCESS );
  for( int i=0; i<100; i++ ) {
    CU_ASSERT_EQUAL_FATAL( rg_groove_alloc_n( g, 0UL, 64UL, 0UL, 8UL, obj, &got ), RG_SUCCESS );
    CU_ASSERT_EQUAL_FATAL( rg_groove_free_n( g, 8UL, obj, NULL ), RG_SUCCESS );
  }
  CU_ASSERT_EQUAL( rg_pool_stats( pool, &s1 ), RG_SUCCESS );
  printf( "; alloc_n + free_n of 8: %.3f per object", (double)(s1.round_trips - s0.round_trips)/800.0 );
  CU_ASSERT( s1.round_trips - s0.round_trips<=200UL );
  static uint64_t many[ 64 ];
  for( int i=0; i<4; i++ ) {
    CU_ASSERT_EQUAL_FATAL( rg_groove_alloc_n( g, 0UL, 64UL, 0UL, 64UL, many, &got ), RG_SUCCESS );
    CU_ASSERT_EQUAL_FATAL( rg_groove_free_n( g, 64UL, many, NULL ), RG_SUCCESS );
  }
  CU_ASSERT_EQUAL( rg_pool_stats( pool, &s0 ), RG_SUCCESS );
  for( int i=0; i<100; i++ ) {
    CU_ASSERT_EQUAL_FATAL( rg_groove_alloc_n( g, 0UL, 64UL, 0UL, 64UL, many, &got ), RG_SUCCESS );
    CU_ASSERT_EQUAL_FATAL( rg_groove_free_n( g, 64UL, many, NULL ), RG_SUCCESS );
  }
  CU_ASSERT_EQUAL( rg_pool_stats( pool, &s1 ), RG_SUCCESS );
  printf( "; of 64: %.3f", (double)(s1.round_trips - s0.round_trips)/6400.0 );
  /* a wait for the frees in flight into the held superblock, its last
     claim and the next one's first in one post, a header read: no
     last-claim CAS that fails, no look at a superblock this join just
     filled, no wait for write slots (0.05 per object at most) */
  CU_ASSERT( s1.round_trips - s0.round_trips<=300UL );

  /* random sizes: most superblocks frees revive are the freer's next
     ones, taken with no container move */
  static uint64_t live[ 256 ];
  uint64_t x = 1UL;
  for( int i=0; i<256; i++ ) { x = x*6364136223846793005UL + 1442695040888963407UL; CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 16UL + (x>>33) % 8177UL, 0UL, &live[i] ), RG_SUCCESS ); }
  CU_ASSERT_EQUAL( rg_pool_stats( pool, &s0 ), RG_SUCCESS );
  for( int i=0; i<4000; i++ ) {
    x = x*6364136223846793005UL + 1442695040888963407UL;
    uint64_t k = (x>>33) % 256UL;
    CU_ASSERT_EQUAL_FATAL( rg_groove_free( g, live[k] ), RG_SUCCESS );
    CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 16UL + (x>>17) % 8177UL, 0UL, &live[k] ), RG_SUCCESS );
  }
  CU_ASSERT_EQUAL( rg_pool_stats( pool, &s1 ), RG_SUCCESS );
  printf( "; random step: %.3f\n", (double)(s1.round_trips - s0.round_trips)/4000.0 );
  CU_ASSERT( s1.round_trips - s0.round_trips<=4UL*4000UL ); /* 4.9 when each went through a container */
  for( int i=0; i<256; i++ ) CU_ASSERT_EQUAL( rg_groove_free( g, live[i] ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_quiet( g ), RG_SUCCESS );
  verify_ok();
  teardown();
}

/* A spare whose free word no longer carries this join's mark (damage, or
   a foreign write) is refused when it would become the next one: the
   alloc that gets there returns CORRUPT and names it, the spare stays
   where the record names it, and the pool verifies once the word is
   mended. */

static void
test_spare_mark_checked( void ) {
  setup( 1UL );
  if( !rg_mem_is_mapped( rg_groove_mem( g ) ) ) { teardown(); return; }
  uint64_t sb[ 3 ], one[ 3 ], a, b;
  full_sbs( g, 3UL, sb, one );
  for( uint64_t i=0UL; i<3UL; i++ ) CU_ASSERT_EQUAL( rg_groove_free( g, one[i] ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( g->held[ 0 ].spare[ 0 ], sb[2] );          /* held, next, one spare */
  uint64_t w = peek( sb[2] + RG_SB_FREE_OFF );
  poke( sb[2] + RG_SB_FREE_OFF, w + (1UL<<RG_SB_MARK_SHIFT) );      /* another client's mark */
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &a ), RG_SUCCESS ); /* fills the held one */
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &b ), RG_ERR_CORRUPT );   /* the spare would be next */
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "spare superblock" ) );
  CU_ASSERT_EQUAL( g->held[ 0 ].spare[ 0 ], sb[2] );                /* still a spare, */
  CU_ASSERT_EQUAL( spare_word( g, 0UL ), sb[2] );                   /* still named so */
  poke( sb[2] + RG_SB_FREE_OFF, w );
  verify_ok();
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &b ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( g, a ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_free( g, b ), RG_SUCCESS );
  uint64_t freed = 0UL;
  CU_ASSERT_EQUAL( rg_groove_free_owner( g, 0UL, 0UL, RG_FREE_ALL, &freed ), RG_SUCCESS );
  verify_ok();
  teardown();
}

/* fill_pool allocates with g until the pool is full for every class:
   sizes from 10 MiB down to 16 B, each until FULL, so that no class
   finds room but in superblocks other joins hold.  Returns how many. */

static uint64_t
fill_pool( void ) {
  uint64_t n = 0UL, obj;
  for( uint64_t sz=10UL<<20; sz>=16UL; sz = sz*3UL/4UL ) {
    int err;
    while( (err = rg_groove_alloc( g, 0UL, sz, 0UL, &obj ))==RG_SUCCESS ) n++;
    CU_ASSERT_EQUAL_FATAL( err, RG_ERR_FULL );
  }
  return n;
}

/* A join that finds the pool full may take a superblock with room from
   another group's active slot: it takes it out of that slot and holds it
   out.  Killed holding it (and after an operation that moved its op word
   on), it is put back by recovery exactly once.  Held in place in the
   other group's slot, it was found in neither the op word nor the dead
   client's own slot, went back into circulation a second time, and the
   pool failed verify. */

static void
test_stolen_from_slot( void ) {
  setup( 1UL );
  if( strncmp( pool_uri(), "anon", 4 ) && strncmp( pool_uri(), "loop:anon", 9 ) ) { teardown(); return; } /* forks */
  rg_groove_t * h;
  rg_pool_t * other = other_join( &h ); /* group 5 */
  CU_ASSERT_PTR_NOT_NULL_FATAL( other );
  uint64_t kept[ 3 ];
  for( uint64_t i=0UL; i<3UL; i++ ) CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( h, 0UL, 100UL, 0UL, &kept[i] ), RG_SUCCESS );
  uint64_t sb = sb_of( kept[0] ), slot = rg_groove_active_cg_off( g, 0UL, 5UL );
  uint64_t filled = fill_pool();
  CU_ASSERT( filled>100UL );
  rg_pool_close( other ); /* its superblock, with room, goes into group 5's active slot */
  CU_ASSERT_EQUAL_FATAL( peek( slot ), sb );
  CU_ASSERT_EQUAL( mark_of( sb ), 0UL );
  uint64_t obj;
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 10UL<<20, 0UL, &obj ), RG_ERR_FULL );

  int pipefd[2];
  CU_ASSERT_EQUAL_FATAL( pipe( pipefd ), 0 );
  pid_t pid = rg_test_fork();
  CU_ASSERT_FATAL( pid>=0 );
  if( !pid ) { /* group 3: nothing of class 0 but the one in group 5's slot */
    rg_pool_t * mine = rg_pool_dup( pool, 3UL, NULL );
    rg_groove_t * m = mine ? rg_pool_groove( mine ) : NULL;
    uint64_t said[2] = { 0UL, 0UL };
    if( !m || rg_groove_alloc( m, 0UL, 100UL, 0UL, &said[0] ) ) _exit( 3 );
    if( rg_groove_free( m, kept[1] ) || rg_groove_quiet( m ) ) _exit( 4 ); /* another op: the op word moves on */
    said[1] = m->held[ 0 ].slot;
    if( write( pipefd[1], said, sizeof(said) )!=sizeof(said) ) _exit( 5 );
    for(;;) pause();
  }
  uint64_t said[2] = { 0UL, 0UL };
  CU_ASSERT_EQUAL_FATAL( read( pipefd[0], said, sizeof(said) ), (ssize_t)sizeof(said) );
  close( pipefd[0] ); close( pipefd[1] );
  CU_ASSERT_EQUAL( sb_of( said[0] ), sb );                        /* it took that one, */
  CU_ASSERT_EQUAL( said[1], 0UL );                                /* held out, */
  CU_ASSERT_EQUAL( peek( slot ), 0UL );                           /* out of group 5's slot */
  kill( pid, SIGKILL );
  waitpid( pid, NULL, 0 );
  rg_groove_recovery_t rec = {0};
  CU_ASSERT_EQUAL( rg_groove_recover_dead( g, &rec ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rec.clients, 1UL );
  CU_ASSERT_EQUAL( rec.superblocks_recirculated, 1UL );
  verify_ok();                                                    /* in circulation once */
  CU_ASSERT_EQUAL_FATAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &obj ), RG_SUCCESS ); /* and usable */
  CU_ASSERT_EQUAL( sb_of( obj ), sb );
  uint64_t freed = 0UL;
  CU_ASSERT_EQUAL( rg_groove_free_owner( g, 0UL, 0UL, RG_FREE_ALL, &freed ), RG_SUCCESS );
  CU_ASSERT_EQUAL( freed, filled + 4UL );                         /* g's and its last, h's two left, the dead client's */
  verify_ok();
  teardown();
}

int
main( void ) {
  static rg_test_t const tests[] = {
    { "every alignment and size, header read back", test_alignments_and_sizes },
    { "alloc rejects bad arguments",                test_alloc_bad_args       },
    { "exhausting the volumes gives FULL",          test_exhaustion           },
    { "bad frees are rejected, nothing changes",    test_bad_frees            },
    { "verify reports planted corruption",          test_corruption_detected  },
    { "the widened stack version defeats ABA",      test_widened_version      },
    { "recovery after clients died mid-operation",  test_recovery             },
    { "a join holds its small-class superblocks",   test_held_superblocks     },
    { "spares: kept, taken in turn, recovered",     test_spares               },
    { "a spare with a foreign mark is refused",     test_spare_mark_checked   },
    { "a superblock stolen from a slot goes back once", test_stolen_from_slot  },
    { "a seen superblock, destroyed, is not trusted", test_seen_then_forged    },
    { "a batch that takes the next one owns its slots", test_next_owner       },
    { "batches: alloc_n and free_n",                test_batches              },
    { "non-blocking frees, writes and reads",       test_nonblocking          },
    { "round trips of pairs and batches",           test_round_trips          },
    { NULL, NULL }
  };
  printf( "pool under test: %s\n", pool_uri() );
  return rg_test_main( "alloc", tests );
}
