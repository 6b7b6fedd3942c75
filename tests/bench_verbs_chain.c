/* bench_verbs_chain: fetch-and-adds per second over a live
   rgroove-server (RG_TEST_POOL=verbs://HOST:PORT, token in RGROOVE_TOKEN)
   when they are posted in chains of 1, 8, 16 and 64 per post, each post
   waited for.  Prints figures (perftest-like table); fails only if the
   counter does not end where the adds put it.  A post of more than
   RG_MEM_INFLIGHT_RA atomics waits inside itself (rg_mem.h), so the
   doorbells column shows how many ibv_post_send calls a post took. */

#include "rgroove/rgroove.h"
#include "transport/verbs/rg_verbs_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now_s( void ) {
  struct timespec t;
  clock_gettime( CLOCK_MONOTONIC, &t );
  return (double)t.tv_sec + 1e-9*(double)t.tv_nsec;
}

/* run: iters posts of chain FAAs of 1 on off, each waited for. */

static int
run( rg_verbs_client_t * c,
     uint64_t            off,
     uint64_t            chain,
     uint64_t            iters,
     uint64_t *          rings ) {
  rg_mem_t const * m = rg_verbs_client_mem( c );
  rg_mem_req_t r[ 64 ];
  uint64_t old[ 64 ];
  for( uint64_t i=0UL; i<chain; i++ ) r[i] = (rg_mem_req_t){ .op = RG_MEM_OP_FAA, .off = off, .cmp = 1UL, .old = &old[i] };
  uint64_t r0 = rg_verbs_client_qp( c )->rings;
  for( uint64_t it=0UL; it<iters; it++ ) {
    uint64_t t;
    int err = rg_mem_post( m, r, chain, &t );
    if( !err ) err = rg_mem_wait( m, t );
    if( err ) { fprintf( stderr, "bench_verbs_chain: %s\n", rg_errmsg() ); return err; }
  }
  *rings = rg_verbs_client_qp( c )->rings - r0;
  return RG_SUCCESS;
}

int
main( int     argc,
      char ** argv ) {
  char const * uri = getenv( "RG_TEST_POOL" );
  uint64_t total = argc>1 ? strtoul( argv[1], NULL, 10 ) : 16384UL; /* atomics per chain length */
  if( !uri || strncmp( uri, "verbs://", 8 ) || !total ) {
    fprintf( stderr, "usage: RG_TEST_POOL=verbs://HOST:PORT bench_verbs_chain [ATOMICS]\n" );
    return 2;
  }
  char host[ 128 ];
  snprintf( host, sizeof(host), "%s", uri + 8 );
  char * colon = strrchr( host, ':' );
  uint16_t port = RG_VERBS_PORT_DEFAULT;
  if( colon ) { port = (uint16_t)strtoul( colon + 1, NULL, 10 ); *colon = '\0'; }
  char const * token = getenv( "RGROOVE_TOKEN" );
  int err;
  rg_pool_t * pool = rg_pool_open( uri, 0UL, &err );
  rg_gaddr_t a = 0UL;
  if( !pool || rg_pool_alloc( pool, 0UL, 8UL, 0UL, &a ) ) { fprintf( stderr, "bench_verbs_chain: %s\n", rg_errmsg() ); return 1; }
  rg_verbs_client_t * c = rg_verbs_client_connect( host, port, token, token ? strlen( token ) : 0UL, 5000, &err );
  int status = c ? 0 : 1;
  if( !c ) fprintf( stderr, "bench_verbs_chain: %s\n", rg_errmsg() );
  uint64_t off = rg_gaddr_off( a ), expect = 0UL, rings;
  static uint64_t const chains[] = { 1UL, 8UL, 16UL, 64UL };
  if( c ) {
    char dev[ 64 ];
    struct ibv_qp_attr      qa = { .max_rd_atomic = 0 };
    struct ibv_qp_init_attr qi;
    rg_verbs_client_device( c, dev, sizeof(dev) );
    ibv_query_qp( rg_verbs_client_qp( c )->qp, &qa, IBV_QP_MAX_QP_RD_ATOMIC, &qi );
    printf( "# bench_verbs_chain: %s via %s, %u reads/atomics in flight at most (initiator depth), "
            "%lu FAAs per chain length, each post waited for\n", uri, dev, qa.max_rd_atomic, total );
    printf( "#chain %10s %8s %10s %12s %14s\n", "#atomics", "#posts", "sec", "atomics/s", "doorbells/post" );
    uint64_t zero = 0UL;
    status |= rg_mem_write( rg_verbs_client_mem( c ), off, &zero, 8UL ) || rg_mem_fence( rg_verbs_client_mem( c ) );
    status |= run( c, off, 64UL, 64UL, &rings ); /* warm-up, untimed */
    expect += 64UL*64UL;
  }
  for( uint64_t k=0UL; c && !status && k<sizeof(chains)/sizeof(chains[0]); k++ ) {
    uint64_t iters = (total + chains[k] - 1UL) / chains[k];
    double t0 = now_s();
    status |= run( c, off, chains[k], iters, &rings );
    double dt = now_s() - t0;
    expect += iters*chains[k];
    printf( " %5lu %10lu %8lu %10.3f %12.0f %14.2f\n", chains[k], iters*chains[k], iters, dt,
            (double)(iters*chains[k])/dt, (double)rings/(double)iters );
  }
  uint64_t got = 0UL;
  if( c && !status ) {
    status |= rg_mem_load( rg_verbs_client_mem( c ), off, &got );
    if( got!=expect ) { fprintf( stderr, "bench_verbs_chain: the counter is %lu, the adds made %lu\n", got, expect ); status = 1; }
  }
  if( c ) rg_verbs_client_disconnect( c );
  rg_pool_free( pool, a );
  rg_pool_close( pool );
  return status;
}
