/* Online recovery under fire: client processes are SIGKILLed at random
   moments (now and then in the middle of a trim) while two others keep
   allocating, filling, checking and freeing their own objects on the
   same pool.  After each death a third process recovers the dead
   client's record online; at the end the survivors' objects are all
   intact, nothing is left unaccounted (verify), the dead clients'
   objects are freed by owner, and the pool verifies with no object
   left.

   test_kill [KILLS]; RG_TEST_TRANSPORT=loop runs it over loop:.  With
   RG_TEST_POOL=verbs://HOST:PORT (or ucx://) it runs against a memory
   server of a fresh pool, which recovers each dead client online when
   its connection goes: the test then times death to the record's
   release, and the server's log tells what each recovery did.  Network
   transports are not fork safe, so then this process opens the pool
   only once every child is forked, and a watcher child sees the records
   go. */

#include "rg_test.h"
#include "rgroove/rgroove.h"

#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIVE_CNT  (512UL)
#define VICTIM_MAX (1000UL)

typedef struct {
  uint64_t stop;
  uint64_t ready;
  uint64_t allocs[2], frees[2], errors[2], bad[2];
  uint64_t owner[ VICTIM_MAX ];  /* each victim's owner id, written when it has joined */
  uint64_t killed[ VICTIM_MAX ]; /* remote: set once it is dead */
  double   gone_at[ VICTIM_MAX ];/* remote: when the watcher saw its record released */
  uint64_t watch_stop;
} shared_t;

static shared_t * sh;
static char       uri[ 128 ];

static double
now_s( void ) {
  struct timespec ts;
  clock_gettime( CLOCK_MONOTONIC, &ts );
  return (double)ts.tv_sec + 1e-9*(double)ts.tv_nsec;
}

/* rg_batch_step: free up to 8 live objects from k on in one call (or
   one by one without waiting), then allocate as many in one call. */

static void
batch_step( rg_pool_t *  p,
            rg_gaddr_t * live,
            uint64_t     k,
            uint64_t *   allocs,
            uint64_t *   frees,
            uint64_t *   errors ) {
  rg_gaddr_t a[ 8 ];
  uint64_t   slot[ 8 ], n = 0UL, got = 0UL;
  for( uint64_t i=k; i<k + 8UL && i<LIVE_CNT; i++ ) if( live[i] ) { slot[n] = i; a[ n++ ] = live[i]; live[i] = 0UL; }
  if( n && (k & 1UL) ) {
    if( rg_pool_free_n( p, n, a, NULL ) ) (*errors)++; else *frees += n;
  } else {
    for( uint64_t i=0UL; i<n; i++ ) if( rg_pool_free_nbi( p, a[i] ) ) (*errors)++; else (*frees)++;
  }
  if( !n || rg_pool_alloc_n( p, 0UL, 100UL, k, n, a, &got ) ) (*errors) += !!n;
  for( uint64_t i=0UL; i<got; i++ ) live[ slot[i] ] = a[i];
  *allocs += got;
}

/* One random step: free a random live object (checking it, when asked)
   or allocate 16 B..100 KB, mostly small; a victim trims the pool one
   step in 1000 and works in batches one step in 16. */

static void
step( rg_pool_t * p,
      rg_gaddr_t * live,
      uint64_t *   s,
      int          check,
      int          trims,
      uint64_t *   allocs,
      uint64_t *   frees,
      uint64_t *   errors,
      uint64_t *   bad ) {
  uint64_t k = rg_test_rand( s ) % LIVE_CNT;
  if( trims && !(k % 1000UL) && rg_pool_trim( p, NULL ) ) (*errors)++;
  if( trims && (k % 16UL)==3UL ) { batch_step( p, live, k, allocs, frees, errors ); return; }
  if( live[k] ) {
    if( check && !rg_tagged_intact( p, live[k] ) ) (*bad)++;
    if( rg_pool_free( p, live[k] ) ) (*errors)++; else (*frees)++;
    live[k] = 0UL;
    return;
  }
  uint64_t r = rg_test_rand( s ), sz = (r & 7UL) ? 16UL + (r>>8) % 4000UL : 16UL + (r>>8) % 100000UL;
  uint64_t tag = rg_test_rand( s );
  if( rg_pool_alloc( p, 0UL, sz, tag, &live[k] ) ) { (*errors)++; live[k] = 0UL; return; }
  if( check && rg_tagged_fill( p, live[k], sz, tag ) ) (*errors)++;
  (*allocs)++;
}

static void
survivor( int me ) {
  rg_pool_t * p = rg_pool_open( uri, 100UL + (uint64_t)me, NULL );
  if( !p ) { fprintf( stderr, "\n  survivor %d cannot open %s: %s\n", me, uri, rg_errmsg() ); _exit( 3 ); }
  static rg_gaddr_t live[ LIVE_CNT ];
  uint64_t s = 77UL + (uint64_t)me;
  __atomic_add_fetch( &sh->ready, 1UL, __ATOMIC_ACQ_REL );
  while( !__atomic_load_n( &sh->stop, __ATOMIC_ACQUIRE ) )
    step( p, live, &s, 1, 0, &sh->allocs[me], &sh->frees[me], &sh->errors[me], &sh->bad[me] );
  for( uint64_t k=0UL; k<LIVE_CNT; k++ ) if( live[k] ) {
    if( !rg_tagged_intact( p, live[k] ) ) sh->bad[me]++;
    if( rg_pool_free( p, live[k] ) ) sh->errors[me]++; else sh->frees[me]++;
  }
  rg_pool_close( p );
  _exit( 0 );
}

static void
victim( uint64_t v ) {
  rg_pool_t * p = rg_pool_open( uri, 200UL + v, NULL );
  if( !p ) { fprintf( stderr, "\n  victim %lu cannot open %s: %s\n", v, uri, rg_errmsg() ); _exit( 3 ); }
  static rg_gaddr_t live[ LIVE_CNT ];
  uint64_t s = 1000UL + v, a = 0UL, f = 0UL, e = 0UL, b = 0UL;
  __atomic_store_n( &sh->owner[v], rg_pool_owner( p, 0UL ), __ATOMIC_RELEASE );
  for(;;) step( p, live, &s, 0, 1, &a, &f, &e, &b ); /* until it is killed */
}

static void say( void * ctx, char const * line ) { (void)ctx; printf( "    %s\n", line ); }

static int cmp_double( void const * x, void const * y ) { double a = *(double const *)x, b = *(double const *)y; return (a>b) - (a<b); }

static uint64_t kill_cnt = 100UL;

/* The watcher (remote): notes when each killed victim's record is
   released by the server. */

typedef struct { uint64_t owner; int found; } find_t;

static int
find_owner( void *                          ctx,
            rg_groove_client_info_t const * c ) {
  find_t * f = ctx;
  if( c->owner==f->owner ) f->found = 1;
  return f->found;
}

static void
watcher( void ) {
  rg_pool_t * p = rg_pool_open( uri, 300UL, NULL );
  if( !p ) { fprintf( stderr, "\n  the watcher cannot open %s: %s\n", uri, rg_errmsg() ); _exit( 3 ); }
  __atomic_add_fetch( &sh->ready, 1UL, __ATOMIC_ACQ_REL );
  while( !__atomic_load_n( &sh->watch_stop, __ATOMIC_ACQUIRE ) ) {
    for( uint64_t v=0UL; v<VICTIM_MAX; v++ ) {
      if( !__atomic_load_n( &sh->killed[v], __ATOMIC_ACQUIRE ) || sh->gone_at[v]>0.0 ) continue;
      find_t f = { .owner = sh->owner[v] };
      if( rg_pool_clients( p, 0UL, find_owner, &f )<0 ) _exit( 4 );
      double t = now_s();
      if( !f.found ) __atomic_store( &sh->gone_at[v], &t, __ATOMIC_RELEASE );
    }
    usleep( 500 );
  }
  rg_pool_close( p );
  _exit( 0 );
}

static void
test_kills_recovered_online( void ) {
  char const * t = getenv( "RG_TEST_TRANSPORT" ), * server = getenv( "RG_TEST_POOL" );
  int remote = server && (!strncmp( server, "verbs://", 8 ) || !strncmp( server, "ucx://", 6 ));
  if( remote ) snprintf( uri, sizeof(uri), "%s", server );
  else snprintf( uri, sizeof(uri), "%sshm:/rgroove-kill-%d", t && !strcmp( t, "loop" ) ? "loop:" : "", (int)getpid() );
  rg_pool_t * pool = remote ? NULL : rg_pool_create( uri, 2UL, 2UL, NULL );
  if( !remote ) CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  pid_t surv[2], watch = 0;
  for( int i=0; i<2; i++ ) { surv[i] = rg_test_fork(); if( !surv[i] ) survivor( i ); }
  if( remote && !(watch = rg_test_fork()) ) watcher();
  pid_t kids[4] = { surv[0], surv[1], watch, 0 }, early;
  if( (early = rg_test_wait_word( &sh->ready, remote ? 3UL : 2UL, kids, 3 )) ) {
    printf( "\n  child %d exited before it opened the pool\n", (int)early );
    CU_FAIL_FATAL( "a child could not open the pool" );
  }

  static double took[ VICTIM_MAX ];
  uint64_t s = 4242UL, in_doubt = 0UL, recovered = 0UL, slots = 0UL, back = 0UL;
  for( uint64_t v=0UL; v<kill_cnt; v++ ) {
    pid_t pid = rg_test_fork();
    if( !pid ) victim( v );
    kids[3] = pid;
    if( (early = rg_test_wait_word( &sh->owner[v], 1UL, kids, 4 )) ) {
      printf( "\n  child %d exited before victim %lu opened the pool\n", (int)early, v );
      CU_FAIL_FATAL( "a child exited early" );
    }
    usleep( (useconds_t)(1000UL + rg_test_rand( &s ) % 20000UL) ); /* 1 to 21 ms of work */
    kill( pid, SIGKILL );
    waitpid( pid, NULL, 0 );
    double t0 = now_s();
    rg_groove_recovery_t rec = {0};
    int err;
    if( remote ) { /* the server does it when it sees the connection go */
      __atomic_store_n( &sh->killed[v], 1UL, __ATOMIC_RELEASE );
      double gone = 0.0;
      for( int i=0; i<30000 && !(__atomic_load( &sh->gone_at[v], &gone, __ATOMIC_ACQUIRE ), gone>0.0); i++ ) usleep( 1000 );
      err = gone>0.0 ? RG_SUCCESS : RG_ERR_AGAIN;
      if( err ) printf( "\n  kill %lu: the server did not release its record within 30 s\n", v );
      rec.clients = !err;
      took[v] = err ? 30.0 : gone - t0;
    } else {
      err = rg_pool_recover_dead( pool, &rec );
      took[v] = now_s() - t0;
    }
    if( err && err!=RG_ERR_AGAIN ) printf( "\n  kill %lu: recovery failed: %s\n", v, rg_errmsg() );
    CU_ASSERT( !err || err==RG_ERR_AGAIN );
    CU_ASSERT_EQUAL( rec.clients, 1UL );
    recovered += rec.clients;
    in_doubt  += rec.in_doubt;
    slots     += rec.slots_freed;
    back      += rec.superblocks_recirculated;
  }
  __atomic_store_n( &sh->stop, 1UL, __ATOMIC_RELEASE );
  __atomic_store_n( &sh->watch_stop, 1UL, __ATOMIC_RELEASE );
  if( watch ) waitpid( watch, NULL, 0 );
  for( int i=0; i<2; i++ ) {
    int status = -1;
    waitpid( surv[i], &status, 0 );
    CU_ASSERT( WIFEXITED( status ) && !WEXITSTATUS( status ) );
    printf( "\n  survivor %d: %lu allocs, %lu frees, %lu errors, %lu objects not intact", i, sh->allocs[i], sh->frees[i], sh->errors[i], sh->bad[i] );
    CU_ASSERT_EQUAL( sh->errors[i], 0UL );
    CU_ASSERT_EQUAL( sh->bad[i], 0UL );
    CU_ASSERT_EQUAL( sh->allocs[i], sh->frees[i] );
  }
  qsort( took, kill_cnt, sizeof(double), cmp_double );
  if( remote ) printf( "\n  %lu clients killed, %lu recovered online by the server (its log says what each recovery did);\n"
                       "  death to record released: median %.2f ms, max %.2f ms\n",
                       kill_cnt, recovered, 1e3*took[ kill_cnt/2UL ], 1e3*took[ kill_cnt-1UL ] );
  else printf( "\n  %lu clients killed, %lu recovered online: %lu superblocks put back, %lu interrupted operations finished,"
               " %lu item(s) left in doubt;\n  death to repaired: median %.2f ms, max %.2f ms\n",
               kill_cnt, recovered, back, slots, in_doubt, 1e3*took[ kill_cnt/2UL ], 1e3*took[ kill_cnt-1UL ] );

  if( remote ) { /* every child is gone: no fork from here on */
    pool = rg_pool_open( uri, 0UL, NULL );
    if( !pool ) printf( "  cannot open %s: %s\n", uri, rg_errmsg() );
    CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  }
  int verdict = rg_pool_verify( pool );
  if( verdict ) {
    printf( "  before freeing the dead clients' objects: %s; a dry run of recovery says:\n", rg_errmsg() );
    rg_groove_recovery_t dry = { .report = say };
    rg_pool_recover( pool, RG_RECOVER_DRY_RUN, &dry );
  }
  CU_ASSERT_EQUAL( verdict, in_doubt ? RG_ERR_AGAIN : RG_SUCCESS );
  if( in_doubt ) { /* the quiet pass: nobody is attached but this handle now */
    rg_groove_recovery_t rec = {0};
    CU_ASSERT_EQUAL( rg_pool_recover( pool, 0, &rec ), RG_SUCCESS );
    printf( "  quiet recovery: %lu superblocks, %lu volumes put back\n", rec.superblocks_recirculated, rec.volumes_released );
  }
  uint64_t freed = 0UL, sum = 0UL;
  for( uint64_t v=0UL; v<kill_cnt; v++ ) {
    CU_ASSERT_EQUAL( rg_pool_free_owner( pool, sh->owner[v], 0UL, 0, &freed ), RG_SUCCESS );
    sum += freed;
  }
  printf( "  freed %lu objects the dead clients had allocated\n", sum );
  rg_groove_usage_t u;
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_usage( pool, &u ), RG_SUCCESS );
  CU_ASSERT_EQUAL( u.objects, 0UL );
  rg_pool_close( pool );
  if( !remote ) CU_ASSERT_EQUAL( rg_pool_unlink( uri ), RG_SUCCESS );
}

int
main( int     argc,
      char ** argv ) {
  if( argc>1 ) kill_cnt = strtoul( argv[1], NULL, 0 );
  if( !kill_cnt || kill_cnt>VICTIM_MAX ) return 2;
  setenv( "RDMAV_FORK_SAFE", "1", 0 ); /* the children fork while this process holds a verbs connection */
  sh = mmap( NULL, sizeof(shared_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0 );
  if( sh==MAP_FAILED ) return 2;
  static rg_test_t const tests[] = {
    { "clients killed at random moments, recovered online", test_kills_recovered_online },
    { NULL, NULL }
  };
  return rg_test_main( "kill", tests );
}
