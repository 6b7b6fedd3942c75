/* soak: clients killed at random moments on a busy pool, for as long as
   asked (make check-soak runs three configurations).

   Two survivors keep 2048 objects of 16 B..100 KB each live on a fresh
   shm: pool, freeing and allocating at random, filling every object and
   checking its bytes before freeing it.  Victims, two at a time,
   allocate 2048 objects, then do the same and also batches, non-blocking
   frees, trims and recoveries of dead clients (the bytes of what they
   keep are not checked); one of them is SIGKILLed every 5..405 ms and this
   process recovers it online, while everyone else goes on.  With
   --volumes 1 the objects the dead leave behind fill the pool, so the
   full-pool paths (trims, taking superblocks from other groups) run too.
   With --handoff victims pass filled objects to survivor 1, which checks
   and frees them (frees by another client than the owner, into
   superblocks the dead held).  --loop runs everyone over loop:, the
   remote code path.

   Passes (exit 0) when the survivors saw no error but RG_ERR_FULL, every
   object checked was intact, and, once the survivors have freed theirs
   and the dead clients' objects are freed by owner, the pool verifies
   and holds no object.  The test_kill suite of make check is the short,
   deterministic-length version of this; the soak runs longer to find
   rare interleavings. */

#include "rg_child.h"
#include "rg_tagged.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIVE_CNT   (2048UL)
#define VICTIM_MAX (4096UL)
#define RING_CNT   (256UL)

typedef struct { uint64_t head, tail, a[ RING_CNT ]; } ring_t;

typedef struct {
  uint64_t stop, ready;
  uint64_t allocs[2], frees[2], full[2], errors[2], bad[2];
  uint64_t taken, taken_bad;
  uint64_t owner[ VICTIM_MAX ], joined[ VICTIM_MAX ];
  ring_t   ring[ VICTIM_MAX ];
} shared_t;

static shared_t * sh;
static char       uri[ 96 ];
static int        handoff;
static pid_t      children[ 4 ];

static uint64_t size_of( uint64_t r ) { return (r & 31UL) ? 16UL + (r>>8) % 8177UL : 16UL + (r>>8) % 100000UL; }

/* count: a survivor's call result; FULL is expected once the dead fill
   the pool, anything else is a failure (said once per survivor). */

static void
count( int me, int err, char const * what ) {
  static int said;
  if( err==RG_ERR_FULL ) { sh->full[me]++; return; }
  sh->errors[me]++;
  if( !said++ ) fprintf( stderr, "soak: survivor %d: %s failed: %s\n", me, what, rg_errmsg() );
}

/* take_handed: survivor 1 checks and frees what victims handed over. */

static void
take_handed( rg_pool_t * p ) {
  for( uint64_t v=0UL; v<VICTIM_MAX && __atomic_load_n( &sh->joined[v], __ATOMIC_ACQUIRE ); v++ ) {
    ring_t * q = &sh->ring[v];
    for( ; q->tail<__atomic_load_n( &q->head, __ATOMIC_ACQUIRE ); q->tail++ ) {
      rg_gaddr_t a = q->a[ q->tail % RING_CNT ];
      sh->taken_bad += !rg_tagged_intact( p, a );
      sh->taken++;
      int err = rg_pool_free( p, a );
      if( err ) count( 1, err, "a free of a handed object" );
    }
  }
}

static void
survivor( int me ) {
  rg_pool_t * p = rg_pool_open( uri, 100UL + (uint64_t)me, NULL );
  if( !p ) _exit( 3 );
  static rg_gaddr_t live[ LIVE_CNT ];
  uint64_t s = 77UL + (uint64_t)me;
  __atomic_add_fetch( &sh->ready, 1UL, __ATOMIC_ACQ_REL );
  while( !__atomic_load_n( &sh->stop, __ATOMIC_ACQUIRE ) ) {
    if( me==1 && handoff && !(rg_test_rand( &s ) & 3UL) ) take_handed( p );
    uint64_t k = rg_test_rand( &s ) % LIVE_CNT, sz = size_of( rg_test_rand( &s ) ), tag = rg_test_rand( &s );
    int err;
    if( live[k] ) {
      sh->bad[me] += !rg_tagged_intact( p, live[k] );
      if( (err = rg_pool_free( p, live[k] )) ) count( me, err, "free" ); else sh->frees[me]++;
      live[k] = 0UL;
    }
    if( (err = rg_pool_alloc( p, 0UL, sz, tag, &live[k] )) ) { count( me, err, "alloc" ); live[k] = 0UL; continue; }
    sh->allocs[me]++;
    if( (err = rg_tagged_fill( p, live[k], sz, tag )) ) count( me, err, "write" );
  }
  if( me==1 && handoff ) take_handed( p );
  for( uint64_t k=0UL; k<LIVE_CNT; k++ ) if( live[k] ) {
    sh->bad[me] += !rg_tagged_intact( p, live[k] );
    int err = rg_pool_free( p, live[k] );
    if( err ) count( me, err, "free" ); else sh->frees[me]++;
  }
  rg_pool_close( p );
  _exit( 0 );
}

/* victim_batch: free up to 8 of its objects from k on in one call or
   without waiting, then allocate as many in one call. */

static void
victim_batch( rg_pool_t * p, rg_gaddr_t * live, uint64_t k, uint64_t r ) {
  rg_gaddr_t a[ 8 ];
  uint64_t   n = 0UL, got = 0UL;
  for( uint64_t i=k; i<k + 8UL && i<LIVE_CNT; i++ ) if( live[i] ) { a[ n++ ] = live[i]; live[i] = 0UL; }
  if( (r>>50) & 1UL ) rg_pool_free_n( p, n, a, NULL );
  else { for( uint64_t i=0UL; i<n; i++ ) rg_pool_free_nbi( p, a[i] ); rg_pool_quiet( p ); }
  rg_pool_alloc_n( p, 0UL, 16UL + (r>>52) % 2000UL, 0UL, 8UL, a, &got );
  for( uint64_t i=0UL; i<got && k + i<LIVE_CNT; i++ ) live[ k + i ] = a[i];
}

static void
victim_hand( rg_pool_t * p, uint64_t v, uint64_t r, uint64_t tag ) {
  ring_t * q = &sh->ring[v];
  uint64_t sz = 16UL + (r>>20) % 3000UL;
  rg_gaddr_t a;
  if( q->head - q->tail>=RING_CNT || rg_pool_alloc( p, 0UL, sz, tag, &a ) ) return;
  if( rg_tagged_fill( p, a, sz, tag ) ) _exit( 5 );
  q->a[ q->head % RING_CNT ] = a;
  __atomic_store_n( &q->head, q->head + 1UL, __ATOMIC_RELEASE );
}

static void
victim( uint64_t v ) {
  rg_pool_t * p = rg_pool_open( uri, 200UL + v, NULL );
  if( !p ) _exit( 3 );
  sh->owner[v] = rg_pool_owner( p, 0UL );
  __atomic_store_n( &sh->joined[v], 1UL, __ATOMIC_RELEASE );
  static rg_gaddr_t live[ LIVE_CNT ];
  uint64_t s = 1000UL + v;
  for( uint64_t k=0UL; k<LIVE_CNT; k++ ) rg_pool_alloc( p, 0UL, size_of( rg_test_rand( &s ) ), v, &live[k] ); /* the pool fills sooner */
  for(;;) { /* until it is killed */
    uint64_t r = rg_test_rand( &s ), k = r % LIVE_CNT, w = (r>>40) % 4096UL;
    if( w==0UL ) rg_pool_recover_dead( p, NULL );
    else if( w==1UL ) rg_pool_trim( p, NULL );
    else if( (w % 16UL)==3UL ) { victim_batch( p, live, k, r ); continue; }
    else if( handoff && (w % 8UL)==0UL ) { victim_hand( p, v, r, rg_test_rand( &s ) ); continue; }
    if( live[k] ) { rg_pool_free( p, live[k] ); live[k] = 0UL; }
    rg_pool_alloc( p, 0UL, size_of( rg_test_rand( &s ) ), v, &live[k] );
  }
}

static pid_t
spawn( void (*fn)( uint64_t ), uint64_t arg ) {
  pid_t pid = rg_test_fork();
  if( pid<0 ) { perror( "soak: fork" ); exit( 2 ); }
  if( !pid ) { signal( SIGINT, SIG_DFL ); signal( SIGTERM, SIG_DFL ); signal( SIGHUP, SIG_DFL ); fn( arg ); } /* a child never runs the parent's cleanup */
  return pid;
}

static void run_survivor( uint64_t me ) { survivor( (int)me ); }

/* on every exit path: no child and no pool left behind */

static void
cleanup( void ) {
  for( int i=0; i<4; i++ ) if( children[i]>0 ) { kill( children[i], SIGKILL ); waitpid( children[i], NULL, 0 ); children[i] = 0; }
  rg_pool_unlink( uri );
}

static void on_signal( int sig ) { (void)sig; exit( 2 ); }

static void
usage( FILE * f ) {
  fprintf( f,
    "usage: soak [--kills N] [--seed S] [--volumes V] [--loop] [--handoff]\n"
    "Kills N clients (default 200), one every 5..405 ms, on a fresh shm: pool of V\n"
    "volumes (default 2; 1 fills up with the dead clients' objects) while two\n"
    "survivors churn and check their objects; recovers each one online; at the end\n"
    "frees the dead clients' objects and verifies.  --loop: everyone over loop:;\n"
    "--handoff: victims pass filled objects to a survivor, which checks and frees\n"
    "them.  Prints progress every 25 kills; exit 0 if nothing was lost or damaged.\n" );
}

int
main( int     argc,
      char ** argv ) {
  static struct option const opts[] = {
    { "kills", required_argument, NULL, 'k' }, { "seed", required_argument, NULL, 's' },
    { "volumes", required_argument, NULL, 'v' }, { "loop", no_argument, NULL, 'l' },
    { "handoff", no_argument, NULL, 'h' }, { "help", no_argument, NULL, '?' + 1 }, { NULL, 0, NULL, 0 } };
  uint64_t kills = 200UL, seed = 4242UL, volumes = 2UL;
  int loop = 0, o;
  while( (o = getopt_long( argc, argv, "", opts, NULL ))!=-1 ) {
    switch( o ) {
      case 'k': kills   = strtoul( optarg, NULL, 0 ); break;
      case 's': seed    = strtoul( optarg, NULL, 0 ); break;
      case 'v': volumes = strtoul( optarg, NULL, 0 ); break;
      case 'l': loop    = 1; break;
      case 'h': handoff = 1; break;
      case '?' + 1: usage( stdout ); return 0;
      default: usage( stderr ); return 2;
    }
  }
  if( optind<argc || !kills || kills>VICTIM_MAX - 2UL || !volumes || volumes>8UL ) {
    fprintf( stderr, "soak: kills must be 1..%lu and volumes 1..8\n", VICTIM_MAX - 2UL );
    usage( stderr );
    return 2;
  }
  sh = mmap( NULL, sizeof(shared_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0 );
  if( sh==MAP_FAILED ) { perror( "soak: mmap" ); return 2; }
  snprintf( uri, sizeof(uri), "%sshm:/rgroove-soak-%d", loop ? "loop:" : "", (int)getpid() );
  rg_pool_t * pool = rg_pool_create( uri, volumes, volumes + 1UL, NULL );
  if( !pool ) { fprintf( stderr, "soak: cannot create %s: %s\n", uri, rg_errmsg() ); return 2; }
  atexit( cleanup );
  signal( SIGINT, on_signal );
  signal( SIGTERM, on_signal );
  signal( SIGHUP, on_signal );
  printf( "soak: %lu kills, seed %lu, %lu volume(s)%s%s on %s\n", kills, seed, volumes, loop ? ", over loop:" : "", handoff ? ", handoff" : "", uri );
  for( uint64_t i=0UL; i<2UL; i++ ) children[i] = spawn( run_survivor, i );
  if( rg_test_wait_word( &sh->ready, 2UL, children, 2 ) ) { fprintf( stderr, "soak: a survivor exited before it opened %s\n", uri ); return 1; }

  uint64_t v_next = 0UL, vidx[2], s = seed, recovered = 0UL, back = 0UL, doubt = 0UL;
  for( uint64_t n=0UL; n<kills; n++ ) {
    for( int j=0; j<2; j++ ) if( !children[ 2 + j ] ) {
      vidx[j] = v_next++;
      children[ 2 + j ] = spawn( victim, vidx[j] );
      if( rg_test_wait_word( &sh->joined[ vidx[j] ], 1UL, children, 4 ) ) { fprintf( stderr, "soak: a child exited before victim %lu opened %s\n", vidx[j], uri ); return 1; }
    }
    usleep( (useconds_t)(5000UL + rg_test_rand( &s ) % 400000UL) );
    int j = (int)(rg_test_rand( &s ) & 1UL);
    kill( children[ 2 + j ], SIGKILL );
    waitpid( children[ 2 + j ], NULL, 0 );
    children[ 2 + j ] = 0;
    rg_groove_recovery_t rec = {0};
    int err = rg_pool_recover_dead( pool, &rec );
    if( err && err!=RG_ERR_AGAIN ) { fprintf( stderr, "soak: kill %lu: recovery failed: %s\n", n, rg_errmsg() ); return 1; }
    recovered += rec.clients; back += rec.superblocks_recirculated; doubt += rec.in_doubt;
    if( !((n + 1UL) % 25UL) || n + 1UL==kills )
      printf( "  %4lu killed, %4lu recovered (some by other victims), %6lu superblocks put back, %lu in doubt; "
              "survivors: %lu allocs, %lu FULL, %lu errors, %lu not intact\n", n + 1UL, recovered, back, doubt,
              sh->allocs[0] + sh->allocs[1], sh->full[0] + sh->full[1], sh->errors[0] + sh->errors[1], sh->bad[0] + sh->bad[1] );
    fflush( stdout );
  }
  for( int j=0; j<2; j++ ) if( children[ 2 + j ]>0 ) { /* (kill of 0 would be the whole process group's) */
    kill( children[ 2 + j ], SIGKILL );
    waitpid( children[ 2 + j ], NULL, 0 );
    children[ 2 + j ] = 0;
  }
  rg_groove_recovery_t rec = {0};
  int err = rg_pool_recover_dead( pool, &rec );
  __atomic_store_n( &sh->stop, 1UL, __ATOMIC_RELEASE );
  int failed = err && err!=RG_ERR_AGAIN;
  for( int i=0; i<2; i++ ) {
    int status = -1;
    waitpid( children[i], &status, 0 );
    children[i] = 0;
    failed |= !WIFEXITED( status ) || WEXITSTATUS( status );
  }
  if( doubt + rec.in_doubt && (err = rg_pool_recover( pool, 0, NULL )) ) { fprintf( stderr, "soak: quiet recovery: %s\n", rg_errmsg() ); failed = 1; }
  uint64_t freed = 0UL, sum = 0UL;
  for( uint64_t v=0UL; v<v_next; v++ ) {
    if( (err = rg_pool_free_owner( pool, sh->owner[v], 0UL, 0, &freed )) ) { fprintf( stderr, "soak: freeing victim %lu's objects: %s\n", v, rg_errmsg() ); failed = 1; }
    sum += freed;
  }
  rg_groove_usage_t u = {0};
  int verdict = rg_pool_verify( pool );
  if( verdict ) { fprintf( stderr, "soak: verify: %s\n", rg_errmsg() ); failed = 1; }
  if( rg_pool_usage( pool, &u ) || u.objects ) { fprintf( stderr, "soak: %lu objects left\n", u.objects ); failed = 1; }
  uint64_t bad = sh->bad[0] + sh->bad[1] + sh->taken_bad, errors = sh->errors[0] + sh->errors[1];
  printf( "soak: %lu objects of the dead freed by owner; %lu handed objects checked; %lu not intact, %lu errors but FULL; "
          "verify %s, %lu objects left: %s\n", sum, sh->taken, bad, errors, verdict ? "failed" : "passed", u.objects,
          failed || bad || errors ? "FAILED" : "passed" );
  rg_pool_close( pool );
  return failed || bad || errors ? 1 : 0;
}
