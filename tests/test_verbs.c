/* Against a live rgroove-server (RG_TEST_POOL=verbs://HOST:PORT, token in
   RGROOVE_TOKEN): admission, concurrent clients, a killed client, bad
   input over the wire.  Run by tests/rxe/check-rxe inside the rxe VM.

   Client processes are started with fork and exec: librdmacm opens its
   devices once per process, and a child that inherits those handles
   from a parent that used them is refused by the kernel (EACCES). */

#include "rg_test.h"
#include "rgroove/rgroove.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLIENT_CNT (4UL)
#define SLOT_CNT   (256UL)

static char const * uri;
static char         host[ 128 ];
static uint16_t     port;

typedef struct {
  uint64_t slot[ SLOT_CNT ];  /* live objects' global addresses, passed between clients */
  uint64_t allocs, frees, errors, bad_patterns, kill_ops;
} shared_t;

static shared_t * sh;
static char       shm_name[ 64 ];

/* spawn runs this program again as "test_verbs --client ROLE ARG" with
   the shared area named in the environment. */

static pid_t
spawn( char const * role,
       uint64_t     arg ) {
  pid_t pid = rg_test_fork();
  if( pid ) return pid;
  char a[ 24 ];
  snprintf( a, sizeof(a), "%lu", arg );
  setenv( "RG_TEST_SHM", shm_name, 1 );
  execl( "/proc/self/exe", "test_verbs", "--client", role, a, (char *)NULL );
  _exit( 127 );
}

static void
parse_uri( void ) {
  char const * hp = uri + strlen( "verbs://" );
  snprintf( host, sizeof(host), "%s", hp );
  char * colon = strrchr( host, ':' );
  port = RG_VERBS_PORT_DEFAULT;
  if( colon ) { port = (uint16_t)strtoul( colon + 1, NULL, 10 ); *colon = '\0'; }
}

static void
test_admission( void ) {
  char const * token = getenv( "RGROOVE_TOKEN" );
  uint64_t token_sz = token ? strlen( token ) : 0UL;
  int err = 0;
  CU_ASSERT_PTR_NULL( rg_verbs_client_connect( host, port, "not-the-token", 13UL, 5000, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_PERM );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "wrong admission token" ) );
  printf( "\n  wrong token: %s\n", rg_errmsg() );
  CU_ASSERT_PTR_NULL( rg_verbs_client_connect_as( host, port, token, token_sz, 5000, RG_VERBS_PROTO_VERSION + 1U, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_PERM );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "protocol version" ) );
  printf( "  wrong version: %s\n", rg_errmsg() );
  CU_ASSERT_PTR_NULL( rg_verbs_client_connect( host, (uint16_t)(port + 1U), token, token_sz, 3000, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_IO );
  printf( "  no server there: %s\n", rg_errmsg() );
  CU_ASSERT_PTR_NULL( rg_verbs_client_connect( host, port, token, RG_VERBS_TOKEN_MAX + 1UL, 3000, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_INVAL );

  /* the server is unaffected: a right client gets in and works */
  rg_pool_t * pool = rg_pool_open( uri, 0UL, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  rg_gaddr_t a;
  CU_ASSERT_EQUAL( rg_pool_alloc( pool, 0UL, 64UL, 1UL, &a ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_free( pool, a ), RG_SUCCESS );
  CU_ASSERT_PTR_NULL( rg_pool_laddr( pool, a ) ); /* nothing is mapped here */
  rg_pool_close( pool );
}

static uint8_t
pattern( uint64_t tag,
         uint64_t i ) {
  return (uint8_t)((tag * 0x9e3779b97f4a7c15UL + i * 0x2545f4914f6cdd1dUL)>>56);
}

/* check_and_free: read the object back over RDMA, compare the pattern,
   free it (it may have been allocated by another client). */

static void
check_and_free( rg_pool_t * pool,
                rg_gaddr_t  a ) {
  rg_groove_obj_info_t info;
  static uint8_t buf[ 4096 ];
  if( rg_pool_info( pool, a, &info ) || rg_pool_read( pool, a, buf, info.sz ) ) {
    __atomic_add_fetch( &sh->errors, 1UL, __ATOMIC_RELAXED );
    return;
  }
  for( uint64_t i=0UL; i<info.sz; i++ ) if( buf[i]!=pattern( info.tag, i ) ) { __atomic_add_fetch( &sh->bad_patterns, 1UL, __ATOMIC_RELAXED ); break; }
  if( rg_pool_free( pool, a ) ) __atomic_add_fetch( &sh->errors, 1UL, __ATOMIC_RELAXED );
  else                          __atomic_add_fetch( &sh->frees, 1UL, __ATOMIC_RELAXED );
}

static int
client_main( uint64_t me,
             uint64_t iters ) {
  int err;
  rg_pool_t * pool = rg_pool_open( uri, me + 1UL, &err );
  if( !pool ) { fprintf( stderr, "client %lu: %s\n", me, rg_errmsg() ); return 1; }
  uint64_t s = me*7919UL + 1UL;
  static uint8_t buf[ 4096 ];
  for( uint64_t it=0UL; it<iters; it++ ) {
    uint64_t i = rg_test_rand( &s ) % SLOT_CNT;
    rg_gaddr_t cur = __atomic_exchange_n( &sh->slot[i], 0UL, __ATOMIC_ACQ_REL );
    if( cur ) { check_and_free( pool, cur ); continue; }
    uint64_t sz = rg_test_rand( &s ) % sizeof(buf), tag = rg_test_rand( &s );
    rg_gaddr_t a;
    if( rg_pool_alloc( pool, 0UL, sz, tag, &a ) ) { __atomic_add_fetch( &sh->errors, 1UL, __ATOMIC_RELAXED ); continue; }
    __atomic_add_fetch( &sh->allocs, 1UL, __ATOMIC_RELAXED );
    for( uint64_t k=0UL; k<sz; k++ ) buf[k] = pattern( tag, k );
    if( rg_pool_write( pool, a, buf, sz ) ) __atomic_add_fetch( &sh->errors, 1UL, __ATOMIC_RELAXED );
    uint64_t expect = 0UL;
    if( !__atomic_compare_exchange_n( &sh->slot[i], &expect, a, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE ) ) check_and_free( pool, a );
  }
  rg_mem_stats_t st;
  rg_pool_stats( pool, &st );
  printf( "  client %lu: %lu round trips, %lu CAS (%lu found another value), %lu FAA, %lu reads, %lu writes\n",
          me, st.round_trips, st.cas, st.cas_failed, st.faa, st.reads, st.writes );
  fflush( stdout );
  rg_pool_close( pool );
  return 0;
}

#define CLIENT_ITERS (1500UL)

static void
test_concurrent_clients( void ) {
  memset( sh, 0, sizeof(*sh) );
  uint64_t iters = CLIENT_ITERS;
  printf( "\n" );
  pid_t pid[ CLIENT_CNT ];
  for( uint64_t c=0UL; c<CLIENT_CNT; c++ ) pid[c] = spawn( "work", c );
  for( uint64_t c=0UL; c<CLIENT_CNT; c++ ) {
    int status = -1;
    waitpid( pid[c], &status, 0 );
    CU_ASSERT( WIFEXITED( status ) && WEXITSTATUS( status )==0 );
  }
  rg_pool_t * pool = rg_pool_open( uri, 99UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  for( uint64_t i=0UL; i<SLOT_CNT; i++ ) if( sh->slot[i] ) { check_and_free( pool, sh->slot[i] ); sh->slot[i] = 0UL; }
  printf( "  %lu clients: %lu allocs, %lu frees, %lu errors, %lu bad patterns\n",
          CLIENT_CNT, sh->allocs, sh->frees, sh->errors, sh->bad_patterns );
  CU_ASSERT_EQUAL( sh->errors, 0UL );
  CU_ASSERT_EQUAL( sh->bad_patterns, 0UL );
  CU_ASSERT_EQUAL( sh->allocs, sh->frees );
  CU_ASSERT( sh->allocs>CLIENT_CNT*iters/4UL );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS ); /* quiescent now: walk it remotely */
  rg_groove_usage_t u;
  CU_ASSERT_EQUAL( rg_pool_usage( pool, &u ), RG_SUCCESS );
  CU_ASSERT_EQUAL( u.objects, 0UL );
  rg_pool_close( pool );
}

static void
test_bad_input_over_the_wire( void ) {
  rg_pool_t * pool = rg_pool_open( uri, 0UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  rg_gaddr_t a;
  CU_ASSERT_EQUAL_FATAL( rg_pool_alloc( pool, 0UL, 100UL, 5UL, &a ), RG_SUCCESS );
  rg_groove_usage_t before, after;
  CU_ASSERT_EQUAL( rg_pool_usage( pool, &before ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_free( pool, rg_gaddr( 0UL, 8UL ) ), RG_ERR_INVAL );            /* foreign: the region header */
  CU_ASSERT_EQUAL( rg_pool_free( pool, rg_gaddr( 0UL, 1UL<<45 ) ), RG_ERR_INVAL );        /* beyond the region */
  CU_ASSERT_EQUAL( rg_pool_free( pool, a + 8UL ), RG_ERR_INVAL );                         /* misaligned */
  CU_ASSERT_EQUAL( rg_pool_free( pool, rg_gaddr( 3UL, rg_gaddr_off( a ) ) ), RG_ERR_INVAL ); /* another server */
  uint8_t buf[ 16 ];
  CU_ASSERT_EQUAL( rg_pool_read( pool, rg_gaddr( 0UL, (1UL<<45) ), buf, 16UL ), RG_ERR_INVAL ); /* refused before the wire */
  CU_ASSERT_EQUAL( rg_pool_usage( pool, &after ), RG_SUCCESS );
  CU_ASSERT_EQUAL( memcmp( &before, &after, sizeof(before) ), 0 );
  CU_ASSERT_EQUAL( rg_pool_free( pool, a ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_free( pool, a ), RG_ERR_INVAL );                               /* already freed */
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  rg_gaddr_t b;
  CU_ASSERT_EQUAL( rg_pool_alloc( pool, 0UL, 100UL, 6UL, &b ), RG_SUCCESS );                /* the connection still works */
  CU_ASSERT_EQUAL( rg_pool_free( pool, b ), RG_SUCCESS );
  rg_pool_close( pool );
}

/* A client killed with SIGKILL in the middle of its work: the server
   notices the disconnect and keeps serving the others. */

static int
victim_main( void ) {
  rg_pool_t * pool = rg_pool_open( uri, 5UL, NULL );
  if( !pool ) { fprintf( stderr, "victim: %s\n", rg_errmsg() ); return 1; }
  for( uint64_t s=3UL;; ) { /* until killed */
    rg_gaddr_t a;
    if( !rg_pool_alloc( pool, 0UL, rg_test_rand( &s ) % 2000UL, 0UL, &a ) ) rg_pool_free( pool, a );
    __atomic_add_fetch( &sh->kill_ops, 1UL, __ATOMIC_RELAXED );
  }
}

static void
test_killed_client( void ) {
  memset( sh, 0, sizeof(*sh) );
  pid_t victim = spawn( "victim", 0UL );
  int status = 0, exited = 0;
  for( int ms=0; ms<120000 && __atomic_load_n( &sh->kill_ops, __ATOMIC_ACQUIRE )<200UL; ms++ ) {
    if( waitpid( victim, &status, WNOHANG )==victim ) { exited = 1; break; }
    usleep( 1000 );
  }
  CU_ASSERT_FATAL( !exited ); /* it must still be working when killed */
  CU_ASSERT_EQUAL( kill( victim, SIGKILL ), 0 );
  waitpid( victim, &status, 0 );
  CU_ASSERT( WIFSIGNALED( status ) );
  printf( "\n  killed a client after %lu alloc/free steps\n", sh->kill_ops );

  rg_pool_t * pool = rg_pool_open( uri, 6UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  rg_gaddr_t a[ 64 ];
  for( int i=0; i<64; i++ ) CU_ASSERT_EQUAL( rg_pool_alloc( pool, 0UL, 100UL*(uint64_t)i, (uint64_t)i, &a[i] ), RG_SUCCESS );
  for( int i=0; i<64; i++ ) CU_ASSERT_EQUAL( rg_pool_free( pool, a[i] ), RG_SUCCESS );
  rg_pool_close( pool );
}

int
main( int     argc,
      char ** argv ) {
  uri = getenv( "RG_TEST_POOL" );
  if( !uri || strncmp( uri, "verbs://", 8 ) ) {
    fprintf( stderr, "test_verbs: set RG_TEST_POOL=verbs://HOST:PORT (tests/rxe/check-rxe does)\n" );
    return 77; /* automake: skipped */
  }
  parse_uri();
  int child = argc==4 && !strcmp( argv[1], "--client" );
  if( child ) snprintf( shm_name, sizeof(shm_name), "%s", getenv( "RG_TEST_SHM" ) ? getenv( "RG_TEST_SHM" ) : "" );
  else        snprintf( shm_name, sizeof(shm_name), "/rgroove-test-verbs-%d", (int)getpid() );
  int fd = shm_open( shm_name, child ? O_RDWR : O_RDWR | O_CREAT | O_EXCL, 0600 );
  if( fd<0 || (!child && ftruncate( fd, sizeof(shared_t) )) ) { perror( "shm_open" ); return 2; }
  sh = mmap( NULL, sizeof(shared_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0 );
  close( fd );
  if( sh==MAP_FAILED ) return 2;
  if( child ) return !strcmp( argv[2], "victim" ) ? victim_main() : client_main( strtoul( argv[3], NULL, 10 ), CLIENT_ITERS );

  static rg_test_t const tests[] = {
    { "admission: wrong token, wrong version, no server",        test_admission               },
    { "4 clients: RDMA-written patterns, cross-client frees",     test_concurrent_clients      },
    { "bad frees over the wire: INVAL, nothing changed",          test_bad_input_over_the_wire },
    { "a client killed mid-run: the server serves the others",    test_killed_client           },
    { NULL, NULL }
  };
  int rc = rg_test_main( "verbs", tests );
  shm_unlink( shm_name );
  return rc;
}
