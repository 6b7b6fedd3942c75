/* A pool's life on this host: one owner at a time (rg_shm_own), space
   reserved or checked before a pool is made (rg_shm_preflight, file
   backings reserved), and nothing left behind by a refused creation.

   With RG_TEST_SMALLFS set to a directory on a small filesystem (see
   tests/fullfs.sh) a file pool larger than it is refused as full. */

#include "rg_test.h"
#include "rgroove/rgroove.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define GIB (1UL<<30)

static int
exists( char const * path ) {
  struct stat st;
  return !stat( path, &st );
}

static void
test_one_owner( void ) {
  char uri[ 64 ], who[ 32 ];
  snprintf( uri, sizeof(uri), "shm:/rgroove-own-%d", (int)getpid() );
  snprintf( who, sizeof(who), "pid %d (", (int)getpid() );
  int err;
  rg_conn_t * creator = rg_transport_open( uri, rg_region_footprint( 1UL ), &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( creator );
  CU_ASSERT_EQUAL( rg_shm_own( creator ), RG_SUCCESS );               /* the creator owns it already */

  rg_conn_t * client = rg_transport_open( uri, 0UL, &err );           /* clients attach without a lock */
  CU_ASSERT_PTR_NOT_NULL_FATAL( client );
  CU_ASSERT_EQUAL( rg_shm_own( client ), RG_ERR_PERM );               /* a second owner is refused ... */
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), who ) );              /* ... told who holds it */
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "is owned by" ) );

  creator->tp->close( creator );                                     /* the owner goes: the lock with it */
  CU_ASSERT_EQUAL( rg_shm_own( client ), RG_SUCCESS );
  rg_conn_t * dup = client->tp->dup( client, &err );                 /* a dup shares the mapping and the lock */
  CU_ASSERT_PTR_NOT_NULL_FATAL( dup );
  client->tp->close( client );
  rg_conn_t * third = rg_transport_open( uri, 0UL, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( third );
  CU_ASSERT_EQUAL( rg_shm_own( third ), RG_ERR_PERM );
  dup->tp->close( dup );
  CU_ASSERT_EQUAL( rg_shm_own( third ), RG_SUCCESS );
  third->tp->close( third );
  CU_ASSERT_EQUAL( rg_pool_unlink( uri ), RG_SUCCESS );
}

static void
test_dead_owner( void ) {
  char path[ 64 ], uri[ 80 ];
  snprintf( path, sizeof(path), "/tmp/rgroove-own-%d.pool", (int)getpid() );
  snprintf( uri, sizeof(uri), "file:%s", path );
  int ready[ 2 ];
  CU_ASSERT_FATAL( !pipe( ready ) );
  pid_t pid = rg_test_fork();
  CU_ASSERT_FATAL( pid>=0 );
  if( !pid ) { /* the owner: create, say so, wait to be killed */
    rg_pool_t * p = rg_pool_create( uri, 1UL, 1UL, NULL );
    char c = p ? 'y' : 'n';
    if( write( ready[1], &c, 1 )!=1 ) _exit( 1 );
    for(;;) pause();
  }
  char c = 'n';
  CU_ASSERT_EQUAL( read( ready[0], &c, 1 ), 1 );
  CU_ASSERT_EQUAL_FATAL( c, 'y' );
  int err;
  rg_conn_t * conn = rg_transport_open( uri, 0UL, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( conn );
  CU_ASSERT_EQUAL( rg_shm_own( conn ), RG_ERR_PERM );
  kill( pid, SIGKILL );
  waitpid( pid, NULL, 0 );
  CU_ASSERT_EQUAL( rg_shm_own( conn ), RG_SUCCESS );                  /* the kernel dropped a dead owner's lock */
  conn->tp->close( conn );
  close( ready[0] );
  close( ready[1] );
  CU_ASSERT_EQUAL( rg_pool_unlink( uri ), RG_SUCCESS );
}

static void
test_own_bad_args( void ) {
  int err;
  CU_ASSERT_EQUAL( rg_shm_own( NULL ), RG_ERR_INVAL );
  rg_conn_t * anon = rg_transport_open( "anon", rg_region_footprint( 1UL ), &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( anon );
  CU_ASSERT_EQUAL( rg_shm_own( anon ), RG_SUCCESS );                  /* nobody else can reach it */
  anon->tp->close( anon );
  rg_conn_t * loop = rg_transport_open( "loop:anon", rg_region_footprint( 1UL ), &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( loop );
  CU_ASSERT_EQUAL( rg_shm_own( loop ), RG_ERR_INVAL );                /* not a shm connection */
  loop->tp->close( loop );
}

static uint64_t
free_bytes( char const * dir ) {
  struct statvfs v;
  return statvfs( dir, &v ) ? 0UL : (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
}

static void
test_preflight( void ) {
  CU_ASSERT_EQUAL( rg_shm_preflight( 7, "/x", GIB, 0 ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_shm_preflight( RG_SHM_ANON, NULL, 0UL, 0 ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_shm_preflight( RG_SHM_ANON, NULL, GIB, 4 ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_shm_preflight( RG_SHM_POSIX, NULL, GIB, RG_SHM_FIT_NEW ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_shm_preflight( RG_SHM_ANON, NULL, GIB, RG_SHM_FIT_NEW | RG_SHM_FIT_PINNED ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_shm_preflight( RG_SHM_POSIX, "/x", GIB, RG_SHM_FIT_NEW ), RG_SUCCESS );

  /* more than /dev/shm has free: refused, whether pinned or not */
  uint64_t shm_free = free_bytes( "/dev/shm" );
  CU_ASSERT_FATAL( shm_free>0UL );
  uint64_t too_big = (shm_free/GIB + 2UL)*GIB;
  CU_ASSERT_EQUAL( rg_shm_preflight( RG_SHM_POSIX, "/x", too_big, RG_SHM_FIT_NEW ), RG_ERR_FULL );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "/dev/shm has" ) );
  CU_ASSERT_EQUAL( rg_shm_preflight( RG_SHM_POSIX, "/x", too_big, 0 ), RG_SUCCESS );         /* an existing one: not checked */

  /* rg_pool_create runs it: nothing is left behind */
  char uri[ 64 ];
  snprintf( uri, sizeof(uri), "shm:/rgroove-big-%d", (int)getpid() );
  int err;
  CU_ASSERT_PTR_NULL( rg_pool_create( uri, 1UL, too_big/GIB, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_FULL );
  CU_ASSERT_EQUAL( rg_pool_unlink( uri ), RG_ERR_KEY );

  /* pinned: against MemAvailable */
  long pages = sysconf( _SC_PHYS_PAGES ), page = sysconf( _SC_PAGESIZE );
  uint64_t ram = (uint64_t)pages*(uint64_t)page;
  CU_ASSERT_EQUAL( rg_shm_preflight( RG_SHM_ANON, NULL, ram + GIB, RG_SHM_FIT_PINNED ), RG_ERR_FULL );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "MemAvailable" ) );
  CU_ASSERT_EQUAL( rg_shm_preflight( RG_SHM_ANON, NULL, ram + GIB, 0 ), RG_SUCCESS );          /* unpinned: touched pages only */

  /* a file on a filesystem with less room */
  uint64_t tmp_free = free_bytes( "/tmp" );
  CU_ASSERT_EQUAL( rg_shm_preflight( RG_SHM_FILE, "/tmp/rgroove-x.pool", tmp_free + GIB, RG_SHM_FIT_NEW ), RG_ERR_FULL );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "/tmp has" ) );
}

/* In a child without CAP_IPC_LOCK (root drops to nobody) and with a
   64 KiB memlock limit, a pinned 1 GiB region is refused. */

static void
test_preflight_memlock( void ) {
  pid_t pid = fork();
  CU_ASSERT_FATAL( pid>=0 );
  if( !pid ) {
    struct rlimit rl = { .rlim_cur = 64UL<<10, .rlim_max = 64UL<<10 };
    if( setrlimit( RLIMIT_MEMLOCK, &rl ) || (!geteuid() && setuid( 65534 )) ) _exit( 2 );
    int err = rg_shm_preflight( RG_SHM_ANON, NULL, GIB, RG_SHM_FIT_PINNED );
    printf( "    memlock refusal: %s\n", rg_errmsg() );
    _exit( err==RG_ERR_FULL && strstr( rg_errmsg(), "ulimit -l" ) ? 0 : 1 );
  }
  int status;
  waitpid( pid, &status, 0 );
  CU_ASSERT( WIFEXITED( status ) && !WEXITSTATUS( status ) );
  CU_ASSERT_EQUAL( rg_shm_preflight( RG_SHM_ANON, NULL, 1UL<<20, RG_SHM_FIT_PINNED ), RG_SUCCESS );
}

static void
test_file_reserved( void ) {
  char path[ 64 ];
  snprintf( path, sizeof(path), "/tmp/rgroove-reserve-%d.pool", (int)getpid() );
  int err;
  rg_shm_t * shm = rg_shm_create( RG_SHM_FILE, path, 64UL<<20, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( shm );
  struct stat st;
  CU_ASSERT_EQUAL( stat( path, &st ), 0 );
  CU_ASSERT_EQUAL( (uint64_t)st.st_size, 64UL<<20 );
  CU_ASSERT( (uint64_t)st.st_blocks*512UL>=64UL<<20 );                /* every block is there: no SIGBUS later */
  rg_shm_close( shm );
  CU_ASSERT_EQUAL( rg_shm_unlink( RG_SHM_FILE, path ), RG_SUCCESS );
}

static void
test_full_filesystem( void ) {
  char const * dir = getenv( "RG_TEST_SMALLFS" );
  if( !dir ) { printf( "    (no RG_TEST_SMALLFS: tests/fullfs.sh runs this on a small tmpfs)\n" ); return; }
  char path[ 256 ], uri[ 280 ];
  snprintf( path, sizeof(path), "%s/pool", dir );
  snprintf( uri, sizeof(uri), "file:%s", path );
  int err;
  CU_ASSERT_PTR_NULL( rg_pool_create( uri, 1UL, 1UL, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_FULL );
  printf( "    %s\n", rg_errmsg() );
  char want[ 96 ];
  snprintf( want, sizeof(want), "is full: the pool needs 1.00 GiB (%lu bytes)", rg_region_footprint( 1UL ) );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), want ) );
  CU_ASSERT( !exists( path ) );                                       /* nothing left, the space given back */
  CU_ASSERT( free_bytes( dir )>(32UL<<20) );
}

int
main( void ) {
  static rg_test_t const tests[] = {
    { "a named pool has one owner",                      test_one_owner         },
    { "a dead owner's lock is gone",                     test_dead_owner        },
    { "rg_shm_own rejects what is not a shm connection", test_own_bad_args      },
    { "preflight against free space and memory",         test_preflight         },
    { "preflight against the memlock limit",             test_preflight_memlock },
    { "a file pool's blocks are reserved",               test_file_reserved     },
    { "a full filesystem is reported as full",           test_full_filesystem   },
    { NULL, NULL }
  };
  return rg_test_main( "pool lifecycle", tests );
}
