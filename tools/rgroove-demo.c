/* rgroove-demo: several processes share one pool on this host.

   The parent creates a named shared-memory pool and a mailbox object in
   it, then forks --procs workers.  Each worker opens the pool by name
   (mapped at its own address), allocates --objects objects of random
   sizes, fills each with a pattern derived from its tag, and posts the
   addresses in the mailbox.  After all have posted, each worker checks
   and frees the objects of its neighbour.  The parent then verifies the
   pool and shows that no object is left.

   Nothing outlives the demo: the parent removes the pool's name as soon
   as every worker has opened it (the mapping lives on while anyone has
   it), so even SIGKILL of every process leaves nothing in /dev/shm;
   before that, SIGINT, SIGTERM and SIGHUP make the parent stop the
   workers and remove it.  Workers die with the parent (PDEATHSIG), and
   the parent stops them all when one fails. */

#include "rgroove/rgroove.h"
#include "base/rg_opt.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  uint64_t arrived;  /* barrier counter */
  uint64_t attached; /* workers that have opened the pool by name */
  uint64_t addr[];   /* procs*objects global addresses, worker-major */
} mailbox_t;

static volatile sig_atomic_t stop_signal;

static void on_stop( int sig ) { stop_signal = sig; }

static void
usage( FILE * f ) {
  fprintf( f,
    "Usage: rgroove-demo [options]\n"
    "\n"
    "Shares one rgroove pool (POSIX shared memory) between N processes:\n"
    "each allocates objects, writes a pattern, and its neighbour checks and\n"
    "frees them.  Prints what each did and the pool's verify result.\n"
    "\n"
    "  -p, --procs N     worker processes, 1 to 64 (default 4)\n"
    "  -o, --objects N   objects per worker, 1 to 1000000 (default 10000)\n"
    "  -v, --volumes N   1 GiB volumes in the pool, 1 to %lu (default 1; only touched\n"
    "                    pages use memory, /dev/shm must have room for all of it)\n"
    "  -h, --help        this text\n"
    "      --version     the version\n"
    "\n"
    "The pool, shm:/rgroove-demo-PID, is removed once every worker has opened it,\n"
    "and on SIGINT, SIGTERM or a worker's failure: nothing is left behind.  Exit\n"
    "status: 0 the demo verified, 1 it failed, 2 bad arguments, 128+N stopped by\n"
    "signal N.\n", RG_VOLUME_MAX );
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
  __atomic_add_fetch( &mb->attached, 1UL, __ATOMIC_ACQ_REL ); /* the parent may remove the name now */
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

/* start_worker forks worker me; it dies with the parent. */

static pid_t
start_worker( char const * uri,
              rg_gaddr_t   mailbox,
              uint64_t     me,
              uint64_t     procs,
              uint64_t     objects ) {
  pid_t parent = getpid(), pid = fork();
  if( pid ) return pid;
  signal( SIGINT, SIG_DFL );
  signal( SIGTERM, SIG_DFL );
  signal( SIGHUP, SIG_DFL );
  if( prctl( PR_SET_PDEATHSIG, SIGKILL ) || getppid()!=parent ) _exit( 1 );
  _exit( worker( uri, mailbox, me, procs, objects ) );
}

/* stop_workers kills and reaps the workers still running. */

static void
stop_workers( pid_t *  pid,
              uint64_t procs ) {
  for( uint64_t p=0UL; p<procs; p++ ) if( pid[p]>0 ) kill( pid[p], SIGKILL );
  for( uint64_t p=0UL; p<procs; p++ ) if( pid[p]>0 ) { waitpid( pid[p], NULL, 0 ); pid[p] = 0; }
}

/* reap takes one worker's exit (waiting at most until a signal when
   block is set): 1 if one exited, 0 if none, -1 if it failed (told). */

static int
reap( pid_t *  pid,
      uint64_t procs,
      int      block ) {
  int   status;
  pid_t w = waitpid( -1, &status, block ? 0 : WNOHANG );
  if( w<=0 ) return 0;
  for( uint64_t p=0UL; p<procs; p++ ) {
    if( pid[p]!=w ) continue;
    pid[p] = 0;
    if( WIFEXITED( status ) && !WEXITSTATUS( status ) ) return 1;
    if( WIFSIGNALED( status ) ) fprintf( stderr, "rgroove-demo: worker %lu (pid %d) was killed by signal %d\n", p, (int)w, WTERMSIG( status ) );
    else fprintf( stderr, "rgroove-demo: worker %lu (pid %d) failed (exit %d)\n", p, (int)w, WEXITSTATUS( status ) );
    return -1;
  }
  return 0;
}

/* supervise waits for the workers: it removes the pool's name once all
   have opened it (*named cleared) and stops them all on a failure or a
   signal.  Returns 0 when every worker succeeded. */

static int
supervise( char const *      uri,
           mailbox_t const * mb,
           pid_t *           pid,
           uint64_t          procs,
           int *             named ) {
  for( uint64_t done=0UL; done<procs; ) {
    if( stop_signal ) { stop_workers( pid, procs ); return 1; }
    if( *named && __atomic_load_n( &mb->attached, __ATOMIC_ACQUIRE )==procs ) {
      rg_pool_unlink( uri );
      *named = 0;
      printf( "pool name removed: all %lu workers have the pool open (a killed run leaves nothing behind)\n", procs );
      fflush( stdout );
    }
    int r = reap( pid, procs, !*named ); /* poll while the name is there, then block */
    if( r<0 ) { fprintf( stderr, "rgroove-demo: stopping the other workers\n" ); stop_workers( pid, procs ); return 1; }
    done += (uint64_t)r;
    if( !r && *named ) usleep( 1000 );
  }
  return 0;
}

/* check_pool verifies the pool the workers left, reports its usage, then
   trims: the frees left empty superblocks deep in the inactive stacks (kept
   for reuse) and a trim hands them all back to their volume.  Returns
   non-zero on a failure (printed). */

static int
check_pool( rg_pool_t *         pool,
            rg_groove_usage_t * u ) {
  int err = rg_pool_verify( pool );
  printf( "verify: %s%s%s\n", rg_strerror( err ), err ? ": " : "", err ? rg_errmsg() : "" );
  if( err ) return 1;
  uint64_t trimmed = 0UL;
  char const * step = "usage";
  err = rg_pool_usage( pool, u );
  if( !err ) printf( "usage: %lu live objects, %lu superblocks, %lu volume(s) in use, %lu empty\n",
                     u->objects, u->superblocks, u->volumes_in_use, u->volumes_empty );
  if( !err ) { step = "trim"; err = rg_pool_trim( pool, &trimmed ); }
  if( !err ) { step = "usage"; err = rg_pool_usage( pool, u ); }
  if( err ) { printf( "%s: %s: %s\n", step, rg_strerror( err ), rg_errmsg() ); return 1; }
  printf( "after trim (%lu empty superblocks taken out of the stacks): %lu live objects, %lu superblocks, %lu volume(s) in use\n",
          trimmed, u->objects, u->superblocks, u->volumes_in_use );
  return 0;
}

int
main( int     argc,
      char ** argv ) {
  uint64_t procs = 4UL, objects = 10000UL, volumes = 1UL;
  static struct option const opts[] = {
    { "procs", required_argument, NULL, 'p' }, { "objects", required_argument, NULL, 'o' },
    { "volumes", required_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'W' }, { NULL, 0, NULL, 0 }
  };
  for( int c; (c = getopt_long( argc, argv, "p:o:v:h", opts, NULL ))!=-1; ) {
    int bad = 0;
    switch( c ) {
    case 'p': bad = rg_opt_u64( "rgroove-demo", "--procs",   optarg, 1UL, 64UL,          &procs   ); break;
    case 'o': bad = rg_opt_u64( "rgroove-demo", "--objects", optarg, 1UL, 1000000UL,     &objects ); break;
    case 'v': bad = rg_opt_u64( "rgroove-demo", "--volumes", optarg, 1UL, RG_VOLUME_MAX, &volumes ); break;
    case 'h': usage( stdout ); return 0;
    case 'W': rg_opt_version( "rgroove-demo" ); return 0;
    default:  usage( stderr ); return 2;
    }
    if( bad ) return 2;
  }
  if( optind<argc ) { fprintf( stderr, "rgroove-demo: unexpected argument '%s' (see --help)\n", argv[ optind ] ); return 2; }

  char uri[ 64 ];
  snprintf( uri, sizeof(uri), "shm:/rgroove-demo-%d", (int)getpid() );
  struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART: waitpid returns to look at the flag */
  sigaction( SIGINT, &sa, NULL );
  sigaction( SIGTERM, &sa, NULL );
  sigaction( SIGHUP, &sa, NULL );
  int err;
  rg_pool_t * pool = rg_pool_create( uri, volumes, volumes, &err );
  if( !pool ) { fprintf( stderr, "rgroove-demo: cannot create %s: %s\n", uri, rg_errmsg() ); return 1; }
  printf( "pool %s: %lu volume(s) of 1 GiB (reserved, touched pages only)\n", uri, volumes );

  rg_gaddr_t mailbox;
  if( (err = rg_pool_alloc( pool, 64UL, sizeof(mailbox_t) + 8UL*procs*objects, 0UL, &mailbox )) ) {
    fprintf( stderr, "rgroove-demo: mailbox: %s (try fewer --objects)\n", rg_errmsg() );
    rg_pool_close( pool );
    rg_pool_unlink( uri );
    return 1;
  }
  mailbox_t * mb = rg_pool_laddr( pool, mailbox );
  memset( mb, 0, sizeof(mailbox_t) );
  fflush( stdout );

  pid_t pid[ 64 ] = { 0 };
  int   named = 1, failed = 0;
  for( uint64_t p=0UL; p<procs && !failed; p++ ) {
    pid[p] = start_worker( uri, mailbox, p, procs, objects );
    if( pid[p]<0 ) { perror( "rgroove-demo: fork" ); pid[p] = 0; stop_workers( pid, procs ); failed = 1; }
  }
  if( !failed ) failed = supervise( uri, mb, pid, procs, &named );
  if( named ) rg_pool_unlink( uri );
  if( stop_signal ) {
    rg_pool_close( pool );
    fprintf( stderr, "rgroove-demo: stopped by signal %d; workers stopped, pool removed\n", (int)stop_signal );
    return 128 + (int)stop_signal;
  }

  rg_pool_free( pool, mailbox );
  rg_groove_usage_t u = { 0 };
  if( !failed ) failed = check_pool( pool, &u );
  rg_pool_close( pool );
  int ok = !failed && !u.objects && !u.volumes_in_use;
  printf( "%s\n", ok ? "demo: OK" : "demo: FAILED" );
  return ok ? 0 : 1;
}
