/* rgroove-bench's latency rows (rg_bench_lat.h). */

#include "rg_bench_lat.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define TRIAL_NS (1e7) /* a duration trial lasts at least this long */

static double
rg_bench_lat_now( void ) {
  struct timespec ts;
  clock_gettime( CLOCK_MONOTONIC, &ts );
  return (double)ts.tv_sec*1e9 + (double)ts.tv_nsec;
}

static int
rg_bench_lat_failed( rg_bench_lat_desc_t const * d,
                     char const *                what,
                     int                         err ) {
  fprintf( stderr, "rgroove-bench: %s: %s failed: %s (%s)\n", d->op, what, rg_errmsg(), rg_strerror( err ) );
  return err;
}

/* rg_bench_lat_trial: untimed steps from 16 up, doubling, until a
   batch lasts TRIAL_NS; *iters then fills about duration seconds. */

static int
rg_bench_lat_trial( rg_bench_lat_desc_t const * d,
                    rg_bench_lat_t *            c,
                    uint64_t                    duration,
                    uint64_t *                  iters ) {
  double ns = 0.0;
  uint64_t n = 16UL;
  for( ; n<=RG_BENCH_LAT_ITER_MAX; n *= 2UL ) {
    double t0 = rg_bench_lat_now();
    for( uint64_t i=0UL; i<n; i++ ) {
      int err = d->step( c );
      if( err ) return rg_bench_lat_failed( d, "a trial step", err );
    }
    if( (ns = rg_bench_lat_now() - t0)>=TRIAL_NS ) break;
  }
  double want = 1e9*(double)duration/(ns>0.0 ? ns/(double)n : 1.0);
  *iters = want<1.0 ? 1UL : want>(double)RG_BENCH_LAT_ITER_MAX ? RG_BENCH_LAT_ITER_MAX : (uint64_t)want;
  return RG_SUCCESS;
}

/* rg_bench_lat_timed times iters steps into us[]; counters into row. */

static int
rg_bench_lat_timed( rg_bench_lat_desc_t const * d,
                    rg_bench_lat_t *            c,
                    uint64_t                    iters,
                    double *                    us,
                    rg_bench_row_t *            row ) {
  rg_mem_stats_t s0, s1;
  c->rt_alloc = c->rt_free = 0UL;
  rg_pool_stats( c->pool, &s0 );
  for( uint64_t i=0UL; i<iters; i++ ) {
    double t0 = rg_bench_lat_now();
    int err = d->step( c );
    if( err ) return rg_bench_lat_failed( d, "a timed step", err );
    us[i] = (rg_bench_lat_now() - t0)/1e3;
  }
  rg_pool_stats( c->pool, &s1 );
  rg_bench_row_lat( row, us, iters );
  row->counted = rg_mem_round_trips( c->mem );
  row->ops     = iters;
  rg_bench_row_count( row, &s0, &s1 );
  if( d->split ) {
    row->rt_alloc = (double)c->rt_alloc/(double)iters;
    row->rt_free  = (double)c->rt_free /(double)iters;
  }
  return RG_SUCCESS;
}

int
rg_bench_lat_run( rg_bench_lat_desc_t const * d,
                  rg_bench_lat_t *            c,
                  uint64_t                    iters,
                  uint64_t                    duration,
                  rg_bench_row_t *            row ) {
  double t0  = rg_bench_lat_now();
  int    err = d->init ? d->init( c ) : RG_SUCCESS;
  if( err ) return rg_bench_lat_failed( d, "set-up", err );
  for( uint64_t i=0UL; i<RG_BENCH_LAT_WARMUP && !err; i++ ) if( (err = d->step( c )) ) rg_bench_lat_failed( d, "a warm-up step", err );
  if( !err && !iters ) err = rg_bench_lat_trial( d, c, duration, &iters );
  double * us = err ? NULL : malloc( iters*sizeof(double) );
  if( !err && !us ) {
    fprintf( stderr, "rgroove-bench: %s: no memory for %lu samples; use a smaller --iters\n", d->op, iters );
    err = RG_ERR_FULL;
  }
  if( !err ) err = rg_bench_lat_timed( d, c, iters, us, row );
  if( d->fini ) d->fini( c );
  free( us );
  row->seconds = (rg_bench_lat_now() - t0)/1e9;
  return err;
}
