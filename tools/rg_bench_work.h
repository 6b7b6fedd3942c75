#ifndef RGROOVE_TOOLS_RG_BENCH_WORK_H
#define RGROOVE_TOOLS_RG_BENCH_WORK_H

/* rg_bench_work.h: rgroove-bench's rate rows.  Workers (threads, or
   processes forked for the row) each take a handle of their own
   (rg_pool_dup of the caller's pool, with concurrency-group hint
   worker + 1) or use glibc malloc, set up, run untimed warm-up
   operations, wait for a common start, and run the timed ones; a row
   is runs such runs (see rg_bench_row.h).  Processes need a pool that
   survives a fork (shm, loop: not verbs, whose device handles do not). */

#include "rg_bench_row.h"

#include <stdlib.h>

#define RG_BENCH_WORKER_MAX (64UL)
#define RG_BENCH_RUN_MAX    (101UL)
#define RG_BENCH_ITER_MAX   (1000000000UL)
#define RG_BENCH_WARMUP     (65536UL) /* untimed operations per worker per run, at most iters */

/* What one worker has: its handle (NULL: glibc malloc), the row's size,
   a random state of its own, and room for a unit's objects. */

typedef struct {
  rg_pool_t * pool;
  uint64_t    size;
  uint64_t    rng;
  uint64_t *  live;     /* a unit's objects (its init allocates them), else NULL */
  uint64_t    live_cnt; /* how many a unit wants (the job's live) */
} rg_bench_worker_t;

/* A unit of work: what a worker's operations are.  init (NULL: none)
   sets the worker up before the warm-up, run does n operations, fini
   (NULL: none) releases what init took.  init and run return
   RG_SUCCESS or an RG_ERR_* code (rg_errmsg says why); an init that
   fails releases what it took; fini runs after init succeeded,
   whatever run returned. */

typedef struct {
  int  (*init)( rg_bench_worker_t * w );
  int  (*run )( rg_bench_worker_t * w, uint64_t n );
  void (*fini)( rg_bench_worker_t * w );
} rg_bench_unit_t;

/* A rate row to run. */

typedef struct {
  rg_bench_unit_t const * unit;
  rg_pool_t *             pool;     /* the caller's handle, duplicated per worker; NULL: glibc malloc */
  uint64_t                size;     /* for the unit */
  uint64_t                live;     /* for the unit */
  uint64_t                workers;  /* 1..RG_BENCH_WORKER_MAX */
  int                     procs;    /* fork processes (1) or start threads (0) */
  uint64_t                iters;    /* timed operations per worker per run, 1..RG_BENCH_ITER_MAX;
                                       0: chosen by a trial so that the row takes about duration */
  uint64_t                duration; /* seconds, with iters 0 */
  uint64_t                runs;     /* 1..RG_BENCH_RUN_MAX */
} rg_bench_job_t;

/* rg_bench_work_run runs job and fills row (initialized by the caller
   with rg_bench_row_init): workers, procs, iters, runs, the t_* figures,
   ops_per_s, seconds, and the counters summed over every worker's
   timed operations (counted when the pool's transport counts).  Returns
   RG_SUCCESS, or RG_ERR_INVAL (bad job) or the first worker's error
   (RG_ERR_IO for a worker that could not start or died), having said
   which worker failed and why on stderr.  Blocks; call from one thread;
   the caller must not use job->pool until it returns. */

int
rg_bench_work_run( rg_bench_job_t const * job,
                   rg_bench_row_t *       row );

/* rg_bench_rnd: xorshift64*, one step of *s (non-zero). */

static inline uint64_t
rg_bench_rnd( uint64_t * s ) {
  uint64_t x = *s;
  x ^= x>>12; x ^= x<<25; x ^= x>>27;
  *s = x;
  return x*0x2545f4914f6cdd1dUL;
}

/* rg_bench_alloc / rg_bench_free: the worker's allocator, rgroove or
   glibc malloc (an address is then a pointer).  RG_SUCCESS or the
   allocator's error (RG_ERR_FULL when malloc fails). */

static inline int
rg_bench_alloc( rg_bench_worker_t * w,
                uint64_t            sz,
                uint64_t *          out ) {
  if( w->pool ) return rg_pool_alloc( w->pool, 0UL, sz, 0UL, out );
  void * p = malloc( sz );
  *out = (uint64_t)(uintptr_t)p;
  return p ? RG_SUCCESS : RG_ERR_FULL;
}

static inline int
rg_bench_free( rg_bench_worker_t * w,
               uint64_t            obj ) {
  if( w->pool ) return rg_pool_free( w->pool, obj );
  free( (void *)(uintptr_t)obj );
  return RG_SUCCESS;
}

#endif /* RGROOVE_TOOLS_RG_BENCH_WORK_H */
