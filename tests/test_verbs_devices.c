/* Device selection on a host with two RDMA devices (the rxe VM: rxe0 on
   dummy0 at 169.254.7.1, rxe1 on dummy1 at 169.254.8.1), against two
   live servers: RG_DEV_A=verbs://ADDR:PORT on rxe0, RG_DEV_B on rxe1
   (token in RGROOVE_TOKEN).  Run by tests/rxe/devices.sh.

   What rxe cannot do is printed, not asserted: a queue pair on rxe0
   does not reach one on rxe1 of the same host (see devices.sh).

   test_verbs_devices --probe prints what rg_verbs_probe finds (for the
   script's port-down case). */

#include "rg_test.h"
#include "rgroove/rgroove.h"
#include "transport/verbs/rg_verbs_private.h"

#include <string.h>

#define ADDR_A "169.254.7.1"
#define ADDR_B "169.254.8.1"

static char const * uri_a;
static char const * uri_b;
static char const * token;
static uint64_t     token_sz;

static void
split( char const * uri,
       char *       host,
       uint16_t *   port ) {
  snprintf( host, 64, "%s", uri + strlen( "verbs://" ) );
  char * colon = strrchr( host, ':' );
  *port = colon ? (uint16_t)strtoul( colon + 1, NULL, 10 ) : (uint16_t)RG_VERBS_PORT_DEFAULT;
  if( colon ) *colon = '\0';
}

/* try connects to uri's server through device and gid; on success
   writes the device the queue pair uses into dev and checks the
   connection with an atomic.  Returns the connect error. */

static int
try( char const * uri,
     char const * device,
     int          gid,
     int          timeout_ms,
     char *       dev,
     uint64_t     dev_sz ) {
  char host[ 64 ];
  uint16_t port;
  split( uri, host, &port );
  int err;
  dev[0] = '\0';
  rg_verbs_client_t * c = rg_verbs_client_connect_on( host, port, device, gid, token, token_sz, timeout_ms, &err );
  if( !c ) return err;
  rg_verbs_client_device( c, dev, dev_sz );
  uint64_t old;
  err = rg_mem_faa( rg_verbs_client_mem( c ), 64UL, 0UL, &old ); /* adds 0 to a header word: harmless */
  if( rg_verbs_client_disconnect( c ) && !err ) err = RG_ERR_IO;
  return err;
}

static void
test_probe( void ) {
  char addr[ 64 ];
  unsetenv( "RGROOVE_DEVICE" );
  unsetenv( "RGROOVE_GID_INDEX" );
  CU_ASSERT_EQUAL( rg_verbs_probe( addr, sizeof(addr) ), RG_SUCCESS );
  printf( "\n  automatic: %s\n", addr );
  CU_ASSERT( !strcmp( addr, ADDR_A ) || !strcmp( addr, ADDR_B ) );
  setenv( "RGROOVE_DEVICE", "rxe1", 1 );
  CU_ASSERT_EQUAL( rg_verbs_probe( addr, sizeof(addr) ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( addr, ADDR_B );
  setenv( "RGROOVE_DEVICE", "rxe0:1", 1 );
  CU_ASSERT_EQUAL( rg_verbs_probe( addr, sizeof(addr) ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( addr, ADDR_A );
  setenv( "RGROOVE_GID_INDEX", "1", 1 );
  CU_ASSERT_EQUAL( rg_verbs_probe( addr, sizeof(addr) ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( addr, ADDR_A );
  setenv( "RGROOVE_GID_INDEX", "0", 1 );              /* rxe's GID 0: the IPv6 link-local address */
  CU_ASSERT_EQUAL( rg_verbs_probe( addr, sizeof(addr) ), RG_ERR_IO );
  printf( "  gid 0: %s\n", rg_errmsg() );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "not an IPv4 address" ) );
  unsetenv( "RGROOVE_GID_INDEX" );
  setenv( "RGROOVE_DEVICE", "mlx5_3", 1 );
  CU_ASSERT_EQUAL( rg_verbs_probe( addr, sizeof(addr) ), RG_ERR_IO );
  printf( "  absent: %s\n", rg_errmsg() );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "RDMA device mlx5_3 not found; found: rxe0 port 1 ACTIVE, rxe1 port 1 ACTIVE; "
                                               "set RGROOVE_DEVICE=NAME[:PORT]" ) );
  CU_ASSERT_STRING_EQUAL( addr, "" );

  /* the transport's probe, as the MPI bootstrap calls it */
  rg_transport_t const * tp = rg_transport_find( "verbs" );
  rg_uri_t where = { .gid_index = -1 };
  setenv( "RGROOVE_DEVICE", "rxe1", 1 );
  CU_ASSERT_EQUAL( tp->probe( &where ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( where.host, ADDR_B );
  CU_ASSERT_STRING_EQUAL( where.device, "rxe1:1" );
  where = (rg_uri_t){ .gid_index = -1 };
  snprintf( where.device, sizeof(where.device), "rxe0" ); /* named by the caller: beats the environment */
  CU_ASSERT_EQUAL( tp->probe( &where ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( where.host, ADDR_A );
  unsetenv( "RGROOVE_DEVICE" );
}

/* Without a device the route decides; a device, named in the call or
   the URI or the environment (in that order), binds the source. */

static void
test_choose_device( void ) {
  char dev[ 64 ];
  CU_ASSERT_EQUAL( try( uri_b, NULL, -1, 5000, dev, sizeof(dev) ), RG_SUCCESS );
  printf( "\n  server on rxe1, automatic: %s\n", dev );
  CU_ASSERT_STRING_EQUAL( dev, "rxe1:1 gid 1" );
  CU_ASSERT_EQUAL( try( uri_a, NULL, -1, 5000, dev, sizeof(dev) ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( dev, "rxe0:1 gid 1" );
  CU_ASSERT_EQUAL( try( uri_b, "rxe1", -1, 5000, dev, sizeof(dev) ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( dev, "rxe1:1 gid 1" );
  CU_ASSERT_EQUAL( try( uri_a, "rxe0:1", -1, 5000, dev, sizeof(dev) ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( dev, "rxe0:1 gid 1" );
  setenv( "RGROOVE_DEVICE", "rxe1", 1 );
  CU_ASSERT_EQUAL( try( uri_b, NULL, -1, 5000, dev, sizeof(dev) ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( dev, "rxe1:1 gid 1" );
  CU_ASSERT_EQUAL( try( uri_a, "rxe0", -1, 5000, dev, sizeof(dev) ), RG_SUCCESS ); /* explicit beats RGROOVE_DEVICE */
  CU_ASSERT_STRING_EQUAL( dev, "rxe0:1 gid 1" );
  unsetenv( "RGROOVE_DEVICE" );

  /* rxe: rxe0 does not reach a queue pair on rxe1 of the same host */
  int err = try( uri_b, "rxe0", -1, 3000, dev, sizeof(dev) );
  printf( "  rxe0 -> server on rxe1 (not asserted): %s\n", err ? rg_errmsg() : dev );
}

static void
test_gid_index( void ) {
  char dev[ 64 ];
  CU_ASSERT_EQUAL( try( uri_b, "rxe1", 1, 5000, dev, sizeof(dev) ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( dev, "rxe1:1 gid 1" );
  CU_ASSERT_EQUAL( try( uri_b, NULL, 1, 5000, dev, sizeof(dev) ), RG_SUCCESS ); /* a GID of the route's device */
  CU_ASSERT_STRING_EQUAL( dev, "rxe1:1 gid 1" );
  setenv( "RGROOVE_GID_INDEX", "1", 1 );
  CU_ASSERT_EQUAL( try( uri_a, NULL, -1, 5000, dev, sizeof(dev) ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( dev, "rxe0:1 gid 1" );
  unsetenv( "RGROOVE_GID_INDEX" );
  CU_ASSERT_EQUAL( try( uri_b, "rxe1", 0, 5000, dev, sizeof(dev) ), RG_ERR_IO );
  printf( "\n  gid 0: %s\n", rg_errmsg() );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "GID index 0 of RDMA device rxe1 port 1 is fe80:" ) );
  CU_ASSERT_EQUAL( try( uri_b, "rxe1", 9, 5000, dev, sizeof(dev) ), RG_ERR_IO );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "has no GID index 9" ) );
}

/* Through pool URIs: ?device= and ?gid=, and what a wrong one says. */

static void
test_uri_options( void ) {
  char u[ 256 ];
  int err;
  snprintf( u, sizeof(u), "%s?device=rxe1&gid=1", uri_b );
  rg_pool_t * pool = rg_pool_open( u, 0UL, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  rg_gaddr_t a;
  CU_ASSERT_EQUAL( rg_pool_alloc( pool, 0UL, 100UL, 1UL, &a ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_free( pool, a ), RG_SUCCESS );
  rg_pool_close( pool );
  snprintf( u, sizeof(u), "%s?device=mlx5_3", uri_b );
  CU_ASSERT_PTR_NULL( rg_pool_open( u, 0UL, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_IO );
  printf( "\n  %s: %s\n", u, rg_errmsg() );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "RDMA device mlx5_3 not found; found: rxe0 port 1 ACTIVE, rxe1 port 1 ACTIVE" ) );
  snprintf( u, sizeof(u), "%s?device=rxe1:2", uri_b );
  CU_ASSERT_PTR_NULL( rg_pool_open( u, 0UL, &err ) );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "RDMA device rxe1 has no port 2" ) );
  snprintf( u, sizeof(u), "%s?device=rxe1&gid=0", uri_b );
  CU_ASSERT_PTR_NULL( rg_pool_open( u, 0UL, &err ) );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "not an IPv4 address" ) );
  setenv( "RGROOVE_DEVICE", "rxe1:", 1 );
  CU_ASSERT_PTR_NULL( rg_pool_open( uri_b, 0UL, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  printf( "  RGROOVE_DEVICE=rxe1: %s\n", rg_errmsg() );
  unsetenv( "RGROOVE_DEVICE" );
}

/* A server nobody listens for, through a chosen device: one message. */

static void
test_timeout_message( void ) {
  char dev[ 64 ];
  CU_ASSERT_EQUAL( try( "verbs://169.254.7.99:7471", "rxe0", -1, 2000, dev, sizeof(dev) ), RG_ERR_IO );
  printf( "\n  %s\n", rg_errmsg() );
  char const * m = rg_errmsg();
  char const * first = strstr( m, "connecting to 169.254.7.99:7471" );
  CU_ASSERT_PTR_NOT_NULL( first );
  CU_ASSERT_PTR_NULL( first ? strstr( first + 1, "connecting to" ) : NULL ); /* said once */
}

int
main( int     argc,
      char ** argv ) {
  if( argc==2 && !strcmp( argv[1], "--probe" ) ) {
    char addr[ 64 ];
    int err = rg_verbs_probe( addr, sizeof(addr) );
    if( err ) printf( "probe: %s\n", rg_errmsg() );
    else      printf( "probe: %s\n", addr );
    return err ? 1 : 0;
  }
  uri_a = getenv( "RG_DEV_A" );
  uri_b = getenv( "RG_DEV_B" );
  if( !uri_a || !uri_b ) {
    fprintf( stderr, "test_verbs_devices: set RG_DEV_A and RG_DEV_B (tests/rxe/devices.sh does)\n" );
    return 77;
  }
  token    = getenv( "RGROOVE_TOKEN" );
  token_sz = token ? strlen( token ) : 0UL;
  static rg_test_t const tests[] = {
    { "probe: RGROOVE_DEVICE, RGROOVE_GID_INDEX, absent device",  test_probe           },
    { "the route decides, else call, URI or environment",         test_choose_device   },
    { "GID index: used, or refused with the GIDs listed",         test_gid_index       },
    { "pool URIs: ?device= and ?gid=",                            test_uri_options     },
    { "a connect timeout says so once",                           test_timeout_message },
    { NULL, NULL }
  };
  return rg_test_main( "verbs devices", tests );
}
