/* rgroove-demo: several processes share one pool on this host.

   The parent creates a named shared-memory pool and a mailbox object in
   it, then forks --procs workers.  Each worker opens the pool by name
   (mapped at its own address), allocates --objects objects of random
   sizes, fills each with a pattern derived from its tag, and posts the
   addresses in the mailbox.  After all have posted, each worker checks
   and frees the objects of its neighbour.  The parent then verifies the
   pool and shows that no object is left. */

#include "rgroove/rgroove.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  uint64_t arrived; /* barrier counter */
  uint64_t addr[];  /* procs*objects global addresses, worker-major */
} mailbox_t;

static void
usage( FILE * f ) {
  fprintf( f,
    "usage: rgroove-demo [--procs N] [--objects N] [--volumes N]\n"
    "\n"
    "Shares one rgroove pool (POSIX shared memory) between N processes:\n"
    "each allocates objects, writes a pattern, and its neighbour checks and\n"
    "frees them.  Prints what each did and the pool's verify result.\n"
    "\n"
    "  --procs N     worker processes (default 4, at most 64)\n"
    "  --objects N   objects per worker (default 10000)\n"
    "  --volumes N   1 GiB volumes in the pool (default 1; only touched pages use memory)\n"
    "  --help        this text\n" );
}

static uint64_t
mix( uint64_t x ) {
  x ^= x>>33; x *= 0xff51afd7ed558ccdUL; x ^= x>>33; x *= 0xc4ceb9fe1a85ec53UL; x ^= x>>33;
  return x;
}

static void
barrier( mailbox_t * mb,
         uint64_t    n ) {
  __atomic_add_fetch( &mb->arrived, 1UL, __ATOMIC_ACQ_REL );
  while( __atomic_load_n( &mb->arrived, __ATOMIC_ACQUIRE )<n ) usleep( 100 );
}

static int
worker( char const * uri,
        rg_gaddr_t   mailbox,
        uint64_t     me,
        uint64_t     procs,
        uint64_t     objects ) {
  int err;
  rg_pool_t * pool = rg_pool_open( uri, me, &err );
  if( !pool ) { fprintf( stderr, "worker %lu: open failed: %s\n", me, rg_errmsg() ); return 1; }
  mailbox_t * mb = rg_pool_laddr( pool, mailbox );
  uint64_t bytes = 0UL;
  for( uint64_t i=0UL; i<objects; i++ ) {
    uint64_t tag = mix( me*objects + i + 1UL );
    uint64_t sz  = 1UL + tag % 4000UL;
    rg_gaddr_t a;
    if( (err = rg_pool_alloc( pool, 0UL, sz, tag, &a )) ) {
      fprintf( stderr, "worker %lu: alloc failed: %s (%s)\n", me, rg_strerror( err ), rg_errmsg() );
      return 1;
    }
    memset( rg_pool_laddr( pool, a ), (int)(tag & 0xff), sz );
    mb->addr[ me*objects + i ] = a;
    bytes += sz;
  }
  printf( "worker %lu (pid %d): allocated %lu objects, %lu bytes, posted their addresses\n", me, (int)getpid(), objects, bytes );
  fflush( stdout );
  barrier( mb, procs );

  uint64_t peer = (me + 1UL) % procs, bad = 0UL;
  for( uint64_t i=0UL; i<objects; i++ ) {
    rg_gaddr_t a = mb->addr[ peer*objects + i ];
    rg_groove_obj_info_t info;
    if( (err = rg_pool_info( pool, a, &info )) ) { fprintf( stderr, "worker %lu: %s\n", me, rg_errmsg() ); return 1; }
    uint8_t const * p = rg_pool_laddr( pool, a );
    for( uint64_t j=0UL; j<info.sz; j++ ) bad += p[j]!=(uint8_t)(info.tag & 0xff);
    if( (err = rg_pool_free( pool, a )) ) { fprintf( stderr, "worker %lu: free failed: %s\n", me, rg_errmsg() ); return 1; }
  }
  printf( "worker %lu: checked and freed worker %lu's %lu objects, %lu bad bytes\n", me, peer, objects, bad );
  rg_pool_close( pool );
  fflush( stdout ); /* the worker ends in _exit */
  return bad ? 1 : 0;
}

int
main( int     argc,
      char ** argv ) {
  uint64_t procs = 4UL, objects = 10000UL, volumes = 1UL;
  static struct option const opts[] = {
    { "procs", required_argument, NULL, 'p' }, { "objects", required_argument, NULL, 'o' },
    { "volumes", required_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
  };
  for( int c; (c = getopt_long( argc, argv, "p:o:v:h", opts, NULL ))!=-1; ) {
    switch( c ) {
    case 'p': procs   = strtoul( optarg, NULL, 0 ); break;
    case 'o': objects = strtoul( optarg, NULL, 0 ); break;
    case 'v': volumes = strtoul( optarg, NULL, 0 ); break;
    case 'h': usage( stdout ); return 0;
    default:  usage( stderr ); return 2;
    }
  }
  if( !procs || procs>64UL || !objects || objects>1000000UL || !volumes ) {
    fprintf( stderr, "rgroove-demo: --procs must be 1..64, --objects 1..1000000, --volumes at least 1\n" );
    return 2;
  }

  char uri[ 64 ];
  snprintf( uri, sizeof(uri), "shm:/rgroove-demo-%d", (int)getpid() );
  int err;
  rg_pool_t * pool = rg_pool_create( uri, volumes, volumes, &err );
  if( !pool ) { fprintf( stderr, "rgroove-demo: cannot create %s: %s\n", uri, rg_errmsg() ); return 1; }
  printf( "pool %s: %lu volume(s) of 1 GiB (reserved, touched pages only)\n", uri, volumes );

  rg_gaddr_t mailbox;
  if( (err = rg_pool_alloc( pool, 64UL, sizeof(mailbox_t) + 8UL*procs*objects, 0UL, &mailbox )) ) {
    fprintf( stderr, "rgroove-demo: mailbox: %s (try fewer --objects)\n", rg_errmsg() );
    rg_pool_unlink( uri );
    return 1;
  }
  memset( rg_pool_laddr( pool, mailbox ), 0, sizeof(mailbox_t) );
  fflush( stdout );

  pid_t pid[ 64 ];
  for( uint64_t p=0UL; p<procs; p++ ) {
    pid[p] = fork();
    if( pid[p]<0 ) { perror( "fork" ); return 1; }
    if( !pid[p] ) _exit( worker( uri, mailbox, p, procs, objects ) );
  }
  int failed = 0;
  for( uint64_t p=0UL; p<procs; p++ ) {
    int status;
    waitpid( pid[p], &status, 0 );
    failed |= !WIFEXITED( status ) || WEXITSTATUS( status );
  }

  rg_pool_free( pool, mailbox );
  err = rg_pool_verify( pool );
  printf( "verify: %s%s%s\n", rg_strerror( err ), err ? ": " : "", err ? rg_errmsg() : "" );
  rg_groove_usage_t u;
  if( !err ) err = rg_pool_usage( pool, &u );
  if( !err ) printf( "usage: %lu live objects, %lu superblocks, %lu volume(s) in use, %lu empty\n",
                     u.objects, u.superblocks, u.volumes_in_use, u.volumes_empty );
  rg_pool_close( pool );
  rg_pool_unlink( uri );
  int ok = !failed && !err && !u.objects;
  printf( "%s\n", ok ? "demo: OK" : "demo: FAILED" );
  return ok ? 0 : 1;
}
