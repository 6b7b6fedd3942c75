/* Concurrency on one local pool: threads and forked processes allocate
   and free at random, write a per-object pattern, check it before every
   free, and free objects that other workers allocated.  At the end the
   pool verifies and holds no object.

   RG_TEST_TRANSPORT=loop runs it all over the loop transport (the remote
   code path, loop:anon and loop:shm:/NAME); otherwise over shm. */

#include "rg_test.h"
#include "rgroove/rgroove.h"
#include "core/rg_groove_private.h" /* RG_SPARE_CNT */

#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLOT_CNT (2048UL)

/* Shared between workers (anonymous shared memory survives fork). */

typedef struct {
  uint64_t slot[ SLOT_CNT ]; /* a live object's global address, or 0 */
  uint64_t allocs, frees, errors, bad_patterns;
} shared_t;

static shared_t * sh;
static uint64_t iter_cnt = 40000UL;

/* uri: the local pool URI over the transport under test. */

static char const *
uri( char const * local ) {
  static __thread char buf[ 128 ];
  char const * t = getenv( "RG_TEST_TRANSPORT" );
  snprintf( buf, sizeof(buf), "%s%s", t && !strcmp( t, "loop" ) ? "loop:" : "", local );
  return buf;
}

static uint64_t
pattern_word( uint64_t tag,
              uint64_t i ) {
  return (tag ^ (i*0x9e3779b97f4a7c15UL)) * 0xff51afd7ed558ccdUL;
}

/* fill / intact write and check an object's pattern through the pool
   (mapped or not). */

static int
fill( rg_pool_t * pool, rg_gaddr_t addr, uint64_t sz, uint64_t tag ) {
  uint8_t p[ 8192 ];
  for( uint64_t i=0UL; i<sz; i++ ) p[i] = (uint8_t)(pattern_word( tag, i>>3 )>>((i&7UL)*8UL));
  return rg_pool_write( pool, addr, p, sz );
}

static int
intact( rg_pool_t * pool, rg_gaddr_t addr, uint64_t sz, uint64_t tag ) {
  uint8_t p[ 8192 ];
  if( sz>sizeof(p) || rg_pool_read( pool, addr, p, sz ) ) return 0;
  for( uint64_t i=0UL; i<sz; i++ ) if( p[i]!=(uint8_t)(pattern_word( tag, i>>3 )>>((i&7UL)*8UL)) ) return 0;
  return 1;
}

/* check_and_free: the object's header still says what was allocated and
   its bytes still hold the pattern; then free it. */

static void
check_and_free( rg_pool_t * pool,
                rg_gaddr_t  addr ) {
  rg_groove_obj_info_t info;
  if( rg_pool_info( pool, addr, &info ) ) { __atomic_add_fetch( &sh->errors, 1UL, __ATOMIC_RELAXED ); return; }
  if( !intact( pool, addr, info.sz, info.tag ) ) __atomic_add_fetch( &sh->bad_patterns, 1UL, __ATOMIC_RELAXED );
  if( rg_pool_free( pool, addr ) ) __atomic_add_fetch( &sh->errors, 1UL, __ATOMIC_RELAXED );
  else                             __atomic_add_fetch( &sh->frees, 1UL, __ATOMIC_RELAXED );
}

static void
work( rg_pool_t * pool,
      uint64_t    seed ) {
  uint64_t s = seed*0x100000001b3UL + 1UL;
  for( uint64_t it=0UL; it<iter_cnt; it++ ) {
    uint64_t i   = rg_test_rand( &s ) % SLOT_CNT;
    rg_gaddr_t cur = __atomic_exchange_n( &sh->slot[i], 0UL, __ATOMIC_ACQ_REL );
    if( cur ) { check_and_free( pool, cur ); continue; }

    uint64_t r     = rg_test_rand( &s );
    uint64_t align = (r & 15UL)<10UL ? 1UL<<(r & 15UL) : 0UL;
    uint64_t sz    = (r>>8) % ((r>>40) & 1UL ? 8192UL : 600UL);
    uint64_t tag   = rg_test_rand( &s );
    rg_gaddr_t addr;
    int err = rg_pool_alloc( pool, align, sz, tag, &addr );
    if( err ) { __atomic_add_fetch( &sh->errors, 1UL, __ATOMIC_RELAXED ); continue; }
    __atomic_add_fetch( &sh->allocs, 1UL, __ATOMIC_RELAXED );
    if( fill( pool, addr, sz, tag ) ) __atomic_add_fetch( &sh->errors, 1UL, __ATOMIC_RELAXED );
    uint64_t expect = 0UL;
    if( !__atomic_compare_exchange_n( &sh->slot[i], &expect, addr, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE ) )
      check_and_free( pool, addr );
  }
}

static void *
thread_main( void * arg ) {
  rg_pool_t * pool = arg;
  work( pool, rg_groove_cgroup_hint( rg_pool_groove( pool ) ) );
  return NULL;
}

static void
drain_and_check( rg_pool_t * pool,
                 uint64_t    worker_cnt ) {
  for( uint64_t i=0UL; i<SLOT_CNT; i++ ) if( sh->slot[i] ) { check_and_free( pool, sh->slot[i] ); sh->slot[i] = 0UL; }
  printf( "\n  %lu workers: %lu allocs, %lu frees, %lu errors, %lu bad patterns\n",
          worker_cnt, sh->allocs, sh->frees, sh->errors, sh->bad_patterns );
  CU_ASSERT_EQUAL( sh->errors, 0UL );
  CU_ASSERT_EQUAL( sh->bad_patterns, 0UL );
  CU_ASSERT_EQUAL( sh->allocs, sh->frees );
  CU_ASSERT( sh->allocs>iter_cnt*worker_cnt/4UL );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  rg_groove_usage_t u;
  CU_ASSERT_EQUAL( rg_pool_usage( pool, &u ), RG_SUCCESS );
  CU_ASSERT_EQUAL( u.objects, 0UL );
  memset( sh, 0, sizeof(*sh) );
}

static void
run_threads( uint64_t thread_cnt ) {
  rg_pool_t * pool = rg_pool_create( uri( "anon" ), 2UL, 2UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  pthread_t  tid[ 8 ];
  rg_pool_t * dup[ 8 ];
  for( uint64_t t=0UL; t<thread_cnt; t++ ) {
    dup[t] = rg_pool_dup( pool, t+1UL, NULL );
    CU_ASSERT_PTR_NOT_NULL_FATAL( dup[t] );
    CU_ASSERT_EQUAL_FATAL( pthread_create( &tid[t], NULL, thread_main, dup[t] ), 0 );
  }
  for( uint64_t t=0UL; t<thread_cnt; t++ ) { pthread_join( tid[t], NULL ); rg_pool_close( dup[t] ); }
  drain_and_check( pool, thread_cnt );
  rg_pool_close( pool );
}

static void test_two_threads ( void ) { run_threads( 2UL ); }
static void test_four_threads( void ) { run_threads( 4UL ); }

/* Processes attach the pool by name: each maps it at its own address. */

static void
run_processes( uint64_t proc_cnt ) {
  char name[ 128 ], local[ 64 ];
  snprintf( local, sizeof(local), "shm:/rgroove-conc-%d", (int)getpid() );
  snprintf( name, sizeof(name), "%s", uri( local ) );
  rg_pool_t * pool = rg_pool_create( name, 2UL, 2UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  pid_t pid[ 8 ];
  for( uint64_t p=0UL; p<proc_cnt; p++ ) {
    pid[p] = rg_test_fork();
    CU_ASSERT_FATAL( pid[p]>=0 );
    if( !pid[p] ) {
      rg_pool_t * mine = rg_pool_open( name, p+7UL, NULL );
      if( !mine ) _exit( 3 );
      work( mine, p+100UL );
      rg_pool_close( mine );
      _exit( 0 );
    }
  }
  for( uint64_t p=0UL; p<proc_cnt; p++ ) {
    int status = -1;
    waitpid( pid[p], &status, 0 );
    CU_ASSERT( WIFEXITED( status ) && WEXITSTATUS( status )==0 );
  }
  drain_and_check( pool, proc_cnt );
  rg_pool_close( pool );
  CU_ASSERT_EQUAL( rg_pool_unlink( name ), RG_SUCCESS );
}

static void test_two_processes ( void ) { run_processes( 2UL ); }
static void test_three_processes( void ) { run_processes( 3UL ); }

/* Racing double frees: both workers free the same objects; exactly one
   free of each takes effect.  On shm the other free fails; over a
   round-trip transport a free that lost the race after its header read
   returns success and its handle's next rg_pool_quiet reports the double
   free (rg_pool.h), so there every success beyond one per object must
   have such a report. */

typedef struct { rg_pool_t * pool; uint64_t frees; int quiet; } dfree_arg_t;

static void *
double_free_main( void * arg ) {
  dfree_arg_t * a = arg;
  for( uint64_t i=0UL; i<SLOT_CNT; i++ ) {
    int err = rg_pool_free( a->pool, sh->slot[i] );
    if( !err ) a->frees++;
    __atomic_add_fetch( err ? &sh->errors : &sh->frees, 1UL, __ATOMIC_RELAXED );
  }
  a->quiet = rg_pool_quiet( a->pool );
  return NULL;
}

static void
test_racing_double_frees( void ) {
  rg_pool_t * pool = rg_pool_create( uri( "anon" ), 1UL, 1UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  for( uint64_t i=0UL; i<SLOT_CNT; i++ ) CU_ASSERT_EQUAL_FATAL( rg_pool_alloc( pool, 0UL, i & 1023UL, i, &sh->slot[i] ), RG_SUCCESS );
  pthread_t   tid[2];
  dfree_arg_t arg[2];
  for( int t=0; t<2; t++ ) {
    arg[t] = (dfree_arg_t){ .pool = rg_pool_dup( pool, (uint64_t)t, NULL ) };
    CU_ASSERT_PTR_NOT_NULL_FATAL( arg[t].pool );
    pthread_create( &tid[t], NULL, double_free_main, &arg[t] );
  }
  for( int t=0; t<2; t++ ) pthread_join( tid[t], NULL );
  CU_ASSERT_EQUAL( sh->frees + sh->errors, 2UL*SLOT_CNT );
  if( !getenv( "RG_TEST_TRANSPORT" ) ) {
    CU_ASSERT_EQUAL( sh->frees, SLOT_CNT );
    CU_ASSERT_EQUAL( arg[0].quiet, RG_SUCCESS );
    CU_ASSERT_EQUAL( arg[1].quiet, RG_SUCCESS );
  } else {
    CU_ASSERT( sh->frees>=SLOT_CNT );
    if( sh->frees>SLOT_CNT ) CU_ASSERT( arg[0].quiet==RG_ERR_INVAL || arg[1].quiet==RG_ERR_INVAL );
    printf( "\n  %lu frees lost the race after their header read (reported by rg_pool_quiet)\n", sh->frees - SLOT_CNT );
  }
  for( int t=0; t<2; t++ ) rg_pool_close( arg[t].pool );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  rg_groove_usage_t u;
  CU_ASSERT_EQUAL( rg_pool_usage( pool, &u ), RG_SUCCESS );
  CU_ASSERT_EQUAL( u.objects, 0UL );
  memset( sh, 0, sizeof(*sh) );
  rg_pool_close( pool );
}

/* groups_open: an anonymous one-volume pool and handles of concurrency
   groups 1 (*a) and 2 (*b) on it; groups_close closes all three. */

static rg_pool_t *
groups_open( rg_pool_t ** a,
             rg_pool_t ** b ) {
  rg_pool_t * pool = rg_pool_create( uri( "anon" ), 1UL, 1UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
  *a = rg_pool_dup( pool, 1UL, NULL );
  *b = rg_pool_dup( pool, 2UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( *a );
  CU_ASSERT_PTR_NOT_NULL_FATAL( *b );
  return pool;
}

static void
groups_close( rg_pool_t * pool,
              rg_pool_t * a,
              rg_pool_t * b ) {
  rg_pool_close( a );
  rg_pool_close( b );
  rg_pool_close( pool );
}

/* Superblocks revived by one concurrency group stay with it (held,
   held next, its spares on mapped memory, in its active slot, then on
   its stack); a group with none that revives none takes them from the
   others' stacks before making new ones; one that revives its own makes
   new ones. */

static void
test_stealing( void ) {
  rg_pool_t * a, * b, * pool = groups_open( &a, &b );
  uint64_t kept = 2UL + (rg_mem_is_mapped( rg_groove_mem( rg_pool_groove( a ) ) ) ? RG_SPARE_CNT : 0UL); /* held, next, spares */
  rg_gaddr_t x[ (2UL + RG_SPARE_CNT + 3UL)*38UL ];
  uint64_t full = kept + 3UL, stacked = 38UL*(kept + 1UL);
  for( uint64_t i=0UL; i<full*38UL; i++ ) CU_ASSERT_EQUAL_FATAL( rg_pool_alloc( a, 0UL, 100UL, 0UL, &x[i] ), RG_SUCCESS ); /* full superblocks */
  for( uint64_t i=0UL; i<kept; i++ ) CU_ASSERT_EQUAL( rg_pool_free( a, x[ 38UL*i ] ), RG_SUCCESS ); /* revived: a keeps them */
  CU_ASSERT_EQUAL( rg_pool_free( a, x[ 38UL*kept ] ), RG_SUCCESS ); /* revived into a's empty active slot */
  CU_ASSERT_EQUAL( rg_pool_free( a, x[ stacked ] ), RG_SUCCESS );   /* revived onto a's inactive stack */
  CU_ASSERT_EQUAL( rg_pool_quiet( a ), RG_SUCCESS );        /* what a round-trip transport left in flight */
  rg_groove_usage_t before, after;
  CU_ASSERT_EQUAL( rg_pool_usage( pool, &before ), RG_SUCCESS );
  rg_gaddr_t y;
  CU_ASSERT_EQUAL( rg_pool_alloc( b, 0UL, 100UL, 0UL, &y ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_usage( pool, &after ), RG_SUCCESS );
  CU_ASSERT_EQUAL( after.superblocks, before.superblocks ); /* b took a's superblock, made none */
  CU_ASSERT_EQUAL( y, x[ stacked ] );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );

  CU_ASSERT_EQUAL( rg_pool_free( b, y ), RG_SUCCESS );      /* b revives that full superblock: credit */
  CU_ASSERT_EQUAL( rg_pool_alloc( b, 0UL, 100UL, 0UL, &y ), RG_SUCCESS ); /* from it again, full again */
  CU_ASSERT_EQUAL( y, x[ stacked ] );
  CU_ASSERT_EQUAL( rg_pool_free( a, x[ stacked + 38UL ] ), RG_SUCCESS ); /* a spare superblock on a's stack */
  CU_ASSERT_EQUAL( rg_pool_quiet( a ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_usage( pool, &before ), RG_SUCCESS );
  rg_gaddr_t z;
  CU_ASSERT_EQUAL( rg_pool_alloc( b, 0UL, 100UL, 0UL, &z ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_usage( pool, &after ), RG_SUCCESS );
  CU_ASSERT( after.superblocks>before.superblocks );        /* b made its own (and a parent for it) */
  CU_ASSERT_NOT_EQUAL( z, x[ stacked + 38UL ] );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  groups_close( pool, a, b );
}

/* A producer whose objects another group frees takes the consumer's
   spare superblocks before making new ones: round after round, the
   pool stays the size the first round made it. */

static void
test_producer_consumer( void ) {
  rg_pool_t * producer, * consumer, * pool = groups_open( &producer, &consumer );
  enum { CNT = 2000, ROUNDS = 40 };
  static rg_gaddr_t x[ CNT ];
  rg_groove_usage_t u;
  uint64_t first = 0UL, s = 1UL;
  for( int round=0; round<ROUNDS; round++ ) {
    for( int i=0; i<CNT; i++ ) CU_ASSERT_EQUAL_FATAL( rg_pool_alloc( producer, 0UL, 16UL + rg_test_rand( &s ) % 4000UL, 0UL, &x[i] ), RG_SUCCESS );
    for( int i=0; i<CNT; i++ ) CU_ASSERT_EQUAL_FATAL( rg_pool_free( consumer, x[i] ), RG_SUCCESS );
    CU_ASSERT_EQUAL( rg_pool_usage( pool, &u ), RG_SUCCESS );
    if( !round ) first = u.superblocks;
  }
  printf( "\n  superblocks after round 1: %lu, after round %d: %lu\n", first, ROUNDS, u.superblocks );
  CU_ASSERT( u.superblocks<=2UL*first );
  CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
  groups_close( pool, producer, consumer );
}

/* Large objects in a loop: three groups alloc+free objects of one size
   above the held classes (64 KiB, 1 MiB, a 20 MiB span, a 300 MiB span)
   on a one-volume pool.  Each call succeeds: the superblock a free
   empties stays as its group's spare, so no join finds the pool full
   while another one makes and destroys the chain up to the volume, and
   nobody reports a superblock destroyed under its look as damage. */

typedef struct { rg_pool_t * pool; uint64_t sz, n, errors; } churn_arg_t;

static void *
churn_main( void * p ) {
  churn_arg_t * a = p;
  for( uint64_t i=0UL; i<a->n; i++ ) {
    rg_gaddr_t x;
    int err = rg_pool_alloc( a->pool, 0UL, a->sz, 0UL, &x );
    if( !err ) err = rg_pool_free( a->pool, x );
    if( err && !a->errors++ ) printf( "\n  %lu B, call %lu: %s", a->sz, i, rg_errmsg() );
  }
  return NULL;
}

static void
test_large_churn( void ) {
  uint64_t const sizes[] = { 64UL<<10, 1UL<<20, 20UL<<20, 300UL<<20 };
  for( uint64_t k=0UL; k<sizeof(sizes)/sizeof(sizes[0]); k++ ) {
    rg_pool_t * pool = rg_pool_create( uri( "anon" ), 1UL, 1UL, NULL );
    CU_ASSERT_PTR_NOT_NULL_FATAL( pool );
    pthread_t   tid[3];
    churn_arg_t arg[3];
    for( int t=0; t<3; t++ ) {
      arg[t] = (churn_arg_t){ .pool = rg_pool_dup( pool, (uint64_t)t + 1UL, NULL ), .sz = sizes[k], .n = iter_cnt/2UL };
      CU_ASSERT_PTR_NOT_NULL_FATAL( arg[t].pool );
      pthread_create( &tid[t], NULL, churn_main, &arg[t] );
    }
    for( int t=0; t<3; t++ ) {
      pthread_join( tid[t], NULL );
      CU_ASSERT_EQUAL( arg[t].errors, 0UL );
      rg_pool_close( arg[t].pool );
    }
    CU_ASSERT_EQUAL( rg_pool_verify( pool ), RG_SUCCESS );
    rg_groove_usage_t u;
    CU_ASSERT_EQUAL( rg_pool_usage( pool, &u ), RG_SUCCESS );
    CU_ASSERT_EQUAL( u.objects, 0UL );
    CU_ASSERT_EQUAL( u.volumes_in_use, 0UL ); /* the spares went back with their joins */
    rg_pool_close( pool );
  }
}

int
main( int     argc,
      char ** argv ) {
  if( argc>1 ) iter_cnt = strtoul( argv[1], NULL, 0 );
  sh = mmap( NULL, sizeof(shared_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0 );
  if( sh==MAP_FAILED ) return 2;
  static rg_test_t const tests[] = {
    { "2 threads, random alloc/free, cross frees", test_two_threads         },
    { "4 threads, random alloc/free, cross frees", test_four_threads        },
    { "2 processes attached by name",              test_two_processes       },
    { "3 processes attached by name",              test_three_processes     },
    { "racing double frees: one of each wins",     test_racing_double_frees },
    { "a group with no superblock takes another's", test_stealing            },
    { "a producer reuses what its consumer frees",  test_producer_consumer   },
    { "3 groups alloc+free large objects, 1 volume", test_large_churn         },
    { NULL, NULL }
  };
  return rg_test_main( "concurrency", tests );
}
