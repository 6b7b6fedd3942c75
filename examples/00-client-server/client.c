/* 00-client-server: a client of a memory server, without MPI.

     RGROOVE_TOKEN=secret rgroove-server --pool file:/tmp/pool --addr 10.0.0.5 &
     RGROOVE_TOKEN=secret examples/00-client-server/client verbs://10.0.0.5:7471

   Opens the pool the URI names (any pool URI works: shm:/NAME too),
   allocates objects of several sizes, writes a pattern into each, reads
   every one back and checks its bytes, size and tag, frees them, checks
   that a second free is refused, and exits 0 only if every step
   succeeded (1 on any failure, 2 on bad arguments). */

#include <rgroove/rgroove.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OBJ_CNT (40)

static uint64_t const sizes[] = { 1UL, 100UL, 4000UL, 70000UL, 1UL<<20 };

static void
fill( uint8_t * buf,
      uint64_t  sz,
      uint64_t  tag ) {
  for( uint64_t k=0UL; k<sz; k++ ) buf[k] = (uint8_t)(tag + k*31UL);
}

/* fail says which step failed and why, and gives the exit status */

static int
fail( char const * step,
      int          err ) {
  fprintf( stderr, "client: %s: %s (%s)\n", step, rg_strerror( err ), rg_errmsg() );
  return 1;
}

/* round_trip allocates, writes, reads back and checks every object,
   then frees them all.  Returns 0 or 1 (said why). */

static int
round_trip( rg_pool_t * pool ) {
  rg_gaddr_t obj[ OBJ_CNT ];
  uint8_t *  want = malloc( 1UL<<20 ), * got = malloc( 1UL<<20 );
  if( !want || !got ) { free( want ); free( got ); fprintf( stderr, "client: out of memory\n" ); return 1; }
  int err = RG_SUCCESS, bad = 0;
  uint64_t n = 0UL, bytes = 0UL;
  for( ; n<OBJ_CNT && !err; n++ ) { /* allocate and write */
    uint64_t sz = sizes[ n % (sizeof(sizes)/sizeof(sizes[0])) ], tag = 1000UL + n;
    if( (err = rg_pool_alloc( pool, 0UL, sz, tag, &obj[n] )) ) { bad = fail( "alloc", err ); break; }
    fill( want, sz, tag );
    if( (err = rg_pool_write( pool, obj[n], want, sz )) ) { bad = fail( "write", err ); n++; break; }
    bytes += sz;
  }
  for( uint64_t i=0UL; i<n && !bad; i++ ) { /* read back and check */
    rg_groove_obj_info_t info;
    uint64_t sz = sizes[ i % (sizeof(sizes)/sizeof(sizes[0])) ], tag = 1000UL + i;
    if( (err = rg_pool_info( pool, obj[i], &info )) ) { bad = fail( "info", err ); break; }
    if( info.sz!=sz || info.tag!=tag ) {
      fprintf( stderr, "client: object %lu: size %lu tag %lu, expected %lu and %lu\n", i, info.sz, info.tag, sz, tag );
      bad = 1;
      break;
    }
    if( (err = rg_pool_read( pool, obj[i], got, sz )) ) { bad = fail( "read", err ); break; }
    fill( want, sz, tag );
    if( memcmp( want, got, sz ) ) { fprintf( stderr, "client: object %lu: the bytes read back differ\n", i ); bad = 1; break; }
  }
  for( uint64_t i=0UL; i<n; i++ ) if( (err = rg_pool_free( pool, obj[i] )) ) bad = fail( "free", err );
  if( !bad && n && rg_pool_free( pool, obj[0] )!=RG_ERR_INVAL ) { fprintf( stderr, "client: a second free was not refused\n" ); bad = 1; }
  if( !bad ) printf( "client: %lu objects (%lu bytes) allocated, written, read back, checked and freed; a second free refused\n", n, bytes );
  free( want );
  free( got );
  return bad;
}

int
main( int     argc,
      char ** argv ) {
  if( argc!=2 || !strcmp( argv[1], "--help" ) ) {
    fprintf( argc==2 ? stdout : stderr, "usage: client URI   (e.g. verbs://10.0.0.5:7471; the token from RGROOVE_TOKEN)\n" );
    return argc==2 ? 0 : 2;
  }
  int err;
  rg_pool_t * pool = rg_pool_open( argv[1], 0UL, &err );
  if( !pool ) return fail( "open", err );
  int bad = round_trip( pool );
  rg_mem_stats_t st;
  if( !bad && !(err = rg_pool_stats( pool, &st )) )
    printf( "client: %lu round trips, %lu bytes written, %lu read\n", st.round_trips, st.bytes_written, st.bytes_read );
  if( (err = rg_pool_close( pool )) ) bad = fail( "close", err );
  printf( "%s\n", bad ? "client: FAILED" : "client: OK" );
  return bad;
}
