/* Lifecycle and bad arguments: every failure returns the right code and
   changes nothing. */

#include "rg_test.h"
#include "rgroove/rgroove.h"

#include <string.h>
#include <unistd.h>

#define LJOIN_DECL( name ) uint8_t name[ RG_GROOVE_LJOIN_FOOTPRINT ] __attribute__((aligned(RG_GROOVE_LJOIN_ALIGN)))

static void
test_groove_new_bad_args( void ) {
  rg_shm_t * shm = rg_shm_create( RG_SHM_ANON, NULL, rg_region_footprint( 1UL ), NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( shm );
  rg_mem_t const * mem = rg_shm_mem( shm );
  CU_ASSERT_EQUAL( rg_groove_new( NULL, RG_REGION_GROOVE_OFF ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_groove_new( mem, RG_REGION_GROOVE_OFF + 8UL ), RG_ERR_INVAL ); /* misaligned */
  CU_ASSERT_EQUAL( rg_groove_new( mem, mem->size - 128UL ), RG_ERR_INVAL );         /* does not fit */
  CU_ASSERT_EQUAL( rg_groove_new( mem, ~127UL ), RG_ERR_INVAL );
  uint8_t zero[ RG_GROOVE_FOOTPRINT ] = {0};
  CU_ASSERT_EQUAL( memcmp( mem->base + RG_REGION_GROOVE_OFF, zero, sizeof(zero) ), 0 ); /* nothing written */
  CU_ASSERT_EQUAL( rg_groove_align(), 128UL );
  CU_ASSERT_EQUAL( rg_groove_footprint(), 33024UL );
  rg_shm_close( shm );
}

static void
test_groove_join_bad_args( void ) {
  rg_shm_t * shm = rg_shm_create( RG_SHM_ANON, NULL, rg_region_footprint( 2UL ), NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( shm );
  rg_mem_t const * mem = rg_shm_mem( shm );
  LJOIN_DECL( lj );
  int err = 0;
  uint64_t id[2] = { 1UL, 2UL };
  rg_region_info_t ok = { .magic = RG_REGION_MAGIC, .version = RG_REGION_VERSION, .size = rg_region_footprint( 2UL ),
                          .shoff = RG_REGION_GROOVE_OFF, .volume0_off = RG_REGION_VOLUME0_OFF, .volume_max = 2UL,
                          .client_off = RG_REGION_CLIENT_OFF, .client_max = 4095UL, .key = 1UL };

  CU_ASSERT_PTR_NULL( rg_groove_join( lj, mem, &ok, 0UL, 0U, NULL, &err ) ); /* never formatted */
  CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_EQUAL_FATAL( rg_groove_new( mem, ok.shoff ), RG_SUCCESS );

  rg_region_info_t bad[ 9 ];
  for( int i=0; i<9; i++ ) bad[i] = ok;
  bad[0].shoff       += 64UL;                   /* misaligned state */
  bad[1].volume0_off += 512UL;                  /* misaligned volumes */
  bad[2].volume_max   = 0UL;
  bad[3].volume_max   = 3UL;                    /* beyond the region */
  bad[4].volume_max   = ~0UL;                   /* too many */
  bad[5].volume0_off  = 0UL;                    /* volumes over the state */
  bad[6].client_max   = 0UL;                    /* no client table */
  bad[7].client_off   = RG_REGION_VOLUME0_OFF;  /* the table over the volumes */
  bad[8].client_max   = 1UL<<20;                /* a table too large */
  for( int i=0; i<9; i++ ) { CU_ASSERT_PTR_NULL( rg_groove_join( lj, mem, &bad[i], 0UL, 0U, NULL, &err ) ); CU_ASSERT_EQUAL( err, RG_ERR_INVAL ); }
  CU_ASSERT_PTR_NULL( rg_groove_join( NULL, mem,  &ok,  0UL, 0U, NULL, &err ) ); CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_PTR_NULL( rg_groove_join( lj+1, mem,  &ok,  0UL, 0U, NULL, &err ) ); CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_PTR_NULL( rg_groove_join( lj,   NULL, &ok,  0UL, 0U, NULL, &err ) ); CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_PTR_NULL( rg_groove_join( lj,   mem,  NULL, 0UL, 0U, NULL, &err ) ); CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_PTR_NULL( rg_groove_join( lj,   mem,  &ok,  0UL, RG_CONN_ID_PID, NULL, &err ) ); CU_ASSERT_EQUAL( err, RG_ERR_INVAL ); /* identity without id */

  rg_groove_t * g = rg_groove_join( lj, mem, &ok, 5UL, 0U, NULL, &err ); /* read-only */
  CU_ASSERT_PTR_NOT_NULL_FATAL( g );
  CU_ASSERT_EQUAL( err, RG_SUCCESS );
  CU_ASSERT_PTR_EQUAL( rg_groove_mem( g ), mem );
  CU_ASSERT_EQUAL( rg_groove_shoff( g ), ok.shoff );
  CU_ASSERT_EQUAL( rg_groove_volume0_off( g ), ok.volume0_off );
  CU_ASSERT_EQUAL( rg_groove_volume1_off( g ), ok.volume0_off + 2UL*RG_VOLUME_FOOTPRINT );
  CU_ASSERT_EQUAL( rg_groove_volume_max( g ), 2UL );
  CU_ASSERT_EQUAL( rg_groove_cgroup_hint( g ), 5UL );
  CU_ASSERT_EQUAL( rg_groove_client( g ), -1L );
  uint64_t obj;
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 8UL, 0UL, &obj ), RG_ERR_PERM ); /* a read-only join changes nothing */
  CU_ASSERT_EQUAL( rg_groove_volume_add( g, 0UL, 1UL, NULL, 0UL ), RG_ERR_PERM );
  CU_ASSERT_PTR_EQUAL( rg_groove_leave( g ), lj );
  CU_ASSERT_PTR_NULL( rg_groove_leave( NULL ) );

  g = rg_groove_join( lj, mem, &ok, 5UL, RG_CONN_ID_PID, id, &err ); /* a client: takes a record */
  CU_ASSERT_PTR_NOT_NULL_FATAL( g );
  CU_ASSERT( rg_groove_client( g )>=0L );
  CU_ASSERT( rg_groove_owner( g )!=0UL );
  CU_ASSERT_PTR_EQUAL( rg_groove_leave( g ), lj );

  /* delete: bad args change nothing; after delete, join and delete fail */
  CU_ASSERT_EQUAL( rg_groove_delete( NULL, ok.shoff ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_groove_delete( mem, ok.shoff+8UL ), RG_ERR_INVAL );
  CU_ASSERT_PTR_NOT_NULL( rg_groove_join( lj, mem, &ok, 0UL, 0U, NULL, &err ) );
  CU_ASSERT_EQUAL( rg_groove_delete( mem, ok.shoff ), RG_SUCCESS );
  CU_ASSERT_PTR_NULL( rg_groove_join( lj, mem, &ok, 0UL, 0U, NULL, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_groove_delete( mem, ok.shoff ), RG_ERR_INVAL );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "rg_region_new" ) ); /* the message says what to do */
  rg_shm_close( shm );
}

static void
test_volume_add_remove( void ) {
  rg_pool_t * pool = rg_pool_create( "anon", 0UL, 4UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  rg_groove_t * g = rg_pool_groove( pool );
  uint64_t vi = 99UL;
  CU_ASSERT_EQUAL( rg_groove_volume_remove( g, &vi ), RG_ERR_EMPTY );
  CU_ASSERT_EQUAL( vi, 99UL );
  CU_ASSERT_EQUAL( rg_groove_volume_add( NULL, 0UL, 1UL, NULL, 0UL ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_groove_volume_add( g, 3UL, 2UL, NULL, 0UL ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_groove_volume_add( g, 0UL, 0UL, NULL, 0UL ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_volume_remove( g, &vi ), RG_ERR_EMPTY ); /* the failed adds added nothing */

  char info[ 600 ];
  memset( info, 'x', sizeof(info) );
  CU_ASSERT_EQUAL( rg_groove_volume_add( g, 0UL, 4UL, info, sizeof(info) ), RG_SUCCESS ); /* info clamped to 472 */
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_volume_add( g, 1UL, 2UL, NULL, 0UL ), RG_ERR_INVAL ); /* already in the pool: refused, no cycle */
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "already in the pool" ) );
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_SUCCESS );
  for( uint64_t i=0UL; i<4UL; i++ ) CU_ASSERT_EQUAL( rg_groove_volume_verify( g, i ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_volume_verify( g, 4UL ), RG_ERR_INVAL );
  for( uint64_t i=0UL; i<4UL; i++ ) { /* ascending order, lowest on top */
    CU_ASSERT_EQUAL( rg_groove_volume_remove( g, &vi ), RG_SUCCESS );
    CU_ASSERT_EQUAL( vi, i );
  }
  CU_ASSERT_EQUAL( rg_groove_volume_remove( g, &vi ), RG_ERR_EMPTY );
  CU_ASSERT_EQUAL( rg_groove_volume_remove( NULL, &vi ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_SUCCESS ); /* removed volumes (magic 0) are no damage */

  uint64_t obj;
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 1UL, 0UL, &obj ), RG_ERR_FULL );
  CU_ASSERT_EQUAL( rg_groove_volume_add( g, 2UL, 1UL, NULL, 0UL ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 1UL, 0UL, &obj ), RG_SUCCESS );
  CU_ASSERT( obj>RG_REGION_VOLUME0_OFF + 2UL*RG_VOLUME_FOOTPRINT );
  rg_pool_close( pool );
}

/* rg_region_new over a region formatted before (a server's region that
   a test formats again) starts afresh: volumes that were in use or in
   the pool are not refused as already there. */

static void
test_region_new_again( void ) {
  rg_shm_t * shm = rg_shm_create( RG_SHM_ANON, NULL, rg_region_footprint( 3UL ), NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( shm );
  rg_mem_t const * mem = rg_shm_mem( shm );
  static uint8_t ljoin[ 2 ][ 1UL<<16 ] __attribute__((aligned(4096)));
  CU_ASSERT_FATAL( rg_groove_ljoin_footprint()<=sizeof(ljoin[0]) );
  uint64_t id[2] = { 0UL, 0UL }, obj, vi;
  CU_ASSERT_EQUAL_FATAL( rg_region_new( mem, 3UL, 2UL ), RG_SUCCESS );
  rg_groove_t * g = rg_region_join( ljoin[0], mem, 0UL, RG_CONN_ID_SERVER, id, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( g );
  CU_ASSERT_EQUAL( rg_groove_alloc( g, 0UL, 100UL, 0UL, &obj ), RG_SUCCESS ); /* volume 0 in use, 1 in the pool */
  CU_ASSERT_PTR_EQUAL( rg_groove_leave( g ), ljoin[0] );
  CU_ASSERT_EQUAL( rg_region_new( mem, 3UL, 3UL ), RG_SUCCESS );
  g = rg_region_join( ljoin[1], mem, 0UL, RG_CONN_ID_SERVER, id, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( g );
  CU_ASSERT_EQUAL( rg_groove_verify( g ), RG_SUCCESS );
  for( uint64_t i=0UL; i<3UL; i++ ) { CU_ASSERT_EQUAL( rg_groove_volume_remove( g, &vi ), RG_SUCCESS ); CU_ASSERT_EQUAL( vi, i ); }
  CU_ASSERT_EQUAL( rg_groove_volume_remove( g, &vi ), RG_ERR_EMPTY );
  CU_ASSERT_PTR_EQUAL( rg_groove_leave( g ), ljoin[1] );
  rg_shm_close( shm );
}

static void
test_region_and_shm( void ) {
  int err = 0;
  CU_ASSERT_PTR_NULL( rg_shm_create( RG_SHM_ANON, NULL, 0UL, &err ) );   CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_PTR_NULL( rg_shm_create( 7, "x", 4096UL, &err ) );             CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_PTR_NULL( rg_shm_create( RG_SHM_POSIX, NULL, 4096UL, &err ) ); CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_PTR_NULL( rg_shm_attach( RG_SHM_POSIX, "/rgroove-test-none", &err ) ); CU_ASSERT_EQUAL( err, RG_ERR_KEY );
  CU_ASSERT_PTR_NULL( rg_pool_open( "anon", 0UL, &err ) );                 CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_PTR_NULL( rg_pool_open( "tcp://x", 0UL, &err ) );              CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_PTR_NULL( rg_pool_open( "shm:/", 0UL, &err ) );                CU_ASSERT_EQUAL( err, RG_ERR_INVAL ); /* no name: bad input, not IO */
  CU_ASSERT_PTR_NULL( rg_pool_create( "anon", 2UL, 1UL, &err ) );          CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_PTR_NULL( rg_pool_create( "anon", 0UL, 0UL, &err ) );          CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_PTR_NULL( rg_pool_create( "anon", 0UL, RG_VOLUME_MAX+1UL, &err ) ); CU_ASSERT_EQUAL( err, RG_ERR_INVAL );

  /* a small mapping is no region */
  rg_shm_t * shm = rg_shm_create( RG_SHM_ANON, NULL, 1UL<<20, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( shm );
  rg_region_info_t info;
  CU_ASSERT_EQUAL( rg_region_query( rg_shm_mem( shm ), &info ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_region_new( rg_shm_mem( shm ), 1UL, 1UL ), RG_ERR_INVAL );
  rg_shm_close( shm );

  /* a named pool: create, attach from elsewhere, objects visible, name exists */
  char name[ 64 ];
  snprintf( name, sizeof(name), "shm:/rgroove-test-%d", (int)getpid() );
  rg_pool_t * a = rg_pool_create( name, 1UL, 2UL, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( a );
  CU_ASSERT_PTR_NULL( rg_pool_create( name, 1UL, 2UL, &err ) );            CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  rg_pool_t * b = rg_pool_open( name, 1UL, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( b );
  rg_gaddr_t addr;
  CU_ASSERT_EQUAL( rg_pool_alloc( a, 0UL, 100UL, 77UL, &addr ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_write( a, addr, "hello", 6UL ), RG_SUCCESS );
  char buf[ 6 ];
  CU_ASSERT_EQUAL( rg_pool_read( b, addr, buf, 6UL ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( buf, "hello" );
  CU_ASSERT_PTR_NOT_EQUAL( rg_pool_laddr( a, addr ), rg_pool_laddr( b, addr ) ); /* mapped at two addresses */
  CU_ASSERT_EQUAL( rg_pool_read( b, addr, buf, ~0UL ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_pool_free( b, addr ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_free( a, addr ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_pool_free( a, rg_gaddr( 1UL, rg_gaddr_off( addr ) ) ), RG_ERR_INVAL ); /* another server */
  CU_ASSERT_EQUAL( rg_pool_verify( b ), RG_SUCCESS );
  rg_pool_close( b );
  rg_pool_close( a );
  CU_ASSERT_EQUAL( rg_pool_unlink( name ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_unlink( name ), RG_ERR_KEY );
  CU_ASSERT_PTR_NULL( rg_pool_open( name, 0UL, &err ) );                   CU_ASSERT_EQUAL( err, RG_ERR_KEY );
}

static void
test_file_pool_survives( void ) {
  char path[ 64 ], uri[ 80 ];
  snprintf( path, sizeof(path), "/tmp/rgroove-test-%d.pool", (int)getpid() );
  snprintf( uri, sizeof(uri), "file:%s", path );
  rg_pool_t * a = rg_pool_create( uri, 1UL, 1UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( a );
  rg_gaddr_t addr;
  CU_ASSERT_EQUAL( rg_pool_alloc( a, 64UL, 1000UL, 0xabcUL, &addr ), RG_SUCCESS );
  rg_pool_close( a ); /* no process holds it now */
  rg_pool_t * b = rg_pool_open( uri, 0UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( b );
  rg_groove_obj_info_t info;
  CU_ASSERT_EQUAL( rg_pool_info( b, addr, &info ), RG_SUCCESS );
  CU_ASSERT_EQUAL( info.tag, 0xabcUL );
  CU_ASSERT_EQUAL( info.sz, 1000UL );
  CU_ASSERT_EQUAL( rg_pool_verify( b ), RG_SUCCESS );
  rg_pool_close( b );
  CU_ASSERT_EQUAL( rg_pool_unlink( uri ), RG_SUCCESS );
}

static void
test_multi_server_pool( void ) {
  char a[ 64 ], b[ 64 ];
  snprintf( a, sizeof(a), "shm:/rgroove-test-a-%d", (int)getpid() );
  snprintf( b, sizeof(b), "shm:/rgroove-test-b-%d", (int)getpid() );
  rg_pool_t * pa = rg_pool_create( a, 1UL, 1UL, NULL ), * pb = rg_pool_create( b, 1UL, 1UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pa );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pb );
  char const * uris[2] = { a, b };
  int err;
  rg_pool_t * pool = rg_pool_open_multi( uris, 2UL, 0UL, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  CU_ASSERT_EQUAL( rg_pool_server_cnt( pool ), 2UL );

  /* round robin alternates servers; frees go where the address says */
  rg_gaddr_t x[ 8 ];
  uint64_t on[2] = { 0UL, 0UL };
  for( int i=0; i<8; i++ ) { CU_ASSERT_EQUAL( rg_pool_alloc( pool, 0UL, 100UL, (uint64_t)i, &x[i] ), RG_SUCCESS ); on[ rg_gaddr_server( x[i] ) ]++; }
  CU_ASSERT_EQUAL( on[0], 4UL );
  CU_ASSERT_EQUAL( on[1], 4UL );
  rg_groove_usage_t u;
  CU_ASSERT_EQUAL( rg_pool_usage( pb, &u ), RG_SUCCESS );
  CU_ASSERT_EQUAL( u.objects, 4UL );                                   /* seen from server b alone */
  for( int i=0; i<8; i++ ) CU_ASSERT_EQUAL( rg_pool_free( pool, x[i] ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_alloc_on( pool, 1UL, 0UL, 10UL, 9UL, &x[0] ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_gaddr_server( x[0] ), 1UL );
  CU_ASSERT_EQUAL( rg_pool_free( pool, x[0] ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_alloc_on( pool, 2UL, 0UL, 10UL, 0UL, &x[0] ), RG_ERR_INVAL ); /* no third server */
  CU_ASSERT_EQUAL( rg_pool_free( pool, rg_gaddr( 2UL, 4096UL*1024UL ) ), RG_ERR_INVAL );

  /* a full server passes allocations to the next */
  uint64_t n = 0UL;
  rg_gaddr_t big;
  while( rg_pool_alloc_on( pool, 0UL, 0UL, 10UL<<20, 0UL, &big )==RG_SUCCESS ) n++;
  CU_ASSERT( n>=100UL && n<=102UL ); /* 102 per volume, less what the freed small objects' superblocks hold */
  for( int i=0; i<4; i++ ) {
    CU_ASSERT_EQUAL( rg_pool_alloc( pool, 0UL, 10UL<<20, 0UL, &big ), RG_SUCCESS );
    CU_ASSERT_EQUAL( rg_gaddr_server( big ), 1UL );
  }
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  CU_ASSERT_PTR_NULL( rg_pool_open_multi( uris, 0UL, 0UL, &err ) );    CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  rg_pool_close( pool );
  rg_pool_close( pa );
  rg_pool_close( pb );
  rg_pool_unlink( a );
  rg_pool_unlink( b );
}

int
main( void ) {
  static rg_test_t const tests[] = {
    { "groove new rejects bad arguments",           test_groove_new_bad_args  },
    { "groove join/delete reject bad arguments",    test_groove_join_bad_args },
    { "volume add/remove",                          test_volume_add_remove    },
    { "a region formatted again starts afresh",    test_region_new_again     },
    { "regions, shm backings and pool URIs",        test_region_and_shm       },
    { "a file-backed pool outlives its processes",  test_file_pool_survives   },
    { "a pool over two servers",                    test_multi_server_pool    },
    { NULL, NULL }
  };
  return rg_test_main( "lifecycle", tests );
}
