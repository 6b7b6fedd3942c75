/* rgroove-bench's rate rows: workers on threads or processes
   (rg_bench_work.h). */

#include "rg_bench_work.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRIAL_NS   (2e7)  /* a duration trial lasts at least this long */
#define TRIAL_ITER (1000UL)

#define GATE_GO    (1UL)
#define GATE_ABORT (2UL)

/* What workers report, in shared memory so forked ones can. */

typedef struct {
  uint64_t       gate;      /* workers spin until GATE_GO or GATE_ABORT */
  uint64_t       ready;
  double         ns [ RG_BENCH_WORKER_MAX ];   /* timed elapsed */
  int            err[ RG_BENCH_WORKER_MAX ];
  char           msg[ RG_BENCH_WORKER_MAX ][ 160 ];
  rg_mem_stats_t before[ RG_BENCH_WORKER_MAX ], after[ RG_BENCH_WORKER_MAX ];
} rg_bench_shared_t;

typedef struct {
  rg_bench_job_t const * job;
  rg_bench_shared_t *    sh;
  uint64_t               iters;
  uint64_t               w;
  rg_pool_t *            pool;  /* the worker's own handle, NULL: malloc */
} rg_bench_arg_t;

static double
rg_bench_now_ns( void ) {
  struct timespec ts;
  clock_gettime( CLOCK_MONOTONIC, &ts );
  return (double)ts.tv_sec*1e9 + (double)ts.tv_nsec;
}

static void
rg_bench_fail( rg_bench_shared_t * sh,
               uint64_t            w,
               int                 err,
               char const *        what ) {
  sh->err[w] = err;
  snprintf( sh->msg[w], sizeof(sh->msg[w]), "%s: %s", what, rg_errmsg() );
}

/* rg_bench_worker runs one worker's part of a run: set up, warm up,
   wait for the start, time iters operations.  It counts itself ready
   on every path, so the parent never waits for a worker that failed. */

static void
rg_bench_worker( rg_bench_arg_t const * a ) {
  rg_bench_job_t const * job = a->job;
  rg_bench_shared_t *    sh  = a->sh;
  rg_bench_worker_t      w   = { .pool = a->pool, .size = job->size, .live_cnt = job->live,
                                 .rng  = 0x9e3779b97f4a7c15UL*(a->w + 1UL) };
  int err = job->unit->init ? job->unit->init( &w ) : RG_SUCCESS;
  int set = !err;
  if( err ) rg_bench_fail( sh, a->w, err, "set-up" );
  if( !err && (err = job->unit->run( &w, a->iters<RG_BENCH_WARMUP ? a->iters : RG_BENCH_WARMUP )) )
    rg_bench_fail( sh, a->w, err, "warm-up" );
  __atomic_add_fetch( &sh->ready, 1UL, __ATOMIC_ACQ_REL );
  uint64_t gate;
  while( !(gate = __atomic_load_n( &sh->gate, __ATOMIC_ACQUIRE )) ) ;
  if( !err && gate==GATE_GO ) {
    if( w.pool ) rg_pool_stats( w.pool, &sh->before[ a->w ] );
    double t0 = rg_bench_now_ns();
    err = job->unit->run( &w, a->iters );
    sh->ns[ a->w ] = rg_bench_now_ns() - t0;
    if( w.pool ) rg_pool_stats( w.pool, &sh->after[ a->w ] );
    if( err ) rg_bench_fail( sh, a->w, err, "timed run" );
  }
  if( set && job->unit->fini ) job->unit->fini( &w );
}

static void *
rg_bench_thread( void * p ) {
  rg_bench_worker( p );
  return NULL;
}

/* rg_bench_fork starts worker w as a process with a handle it
   duplicates itself (a handle belongs to one process). */

static pid_t
rg_bench_fork( rg_bench_arg_t * a ) {
  pid_t pid = fork();
  if( pid ) return pid;
  rg_bench_arg_t mine = *a;
  int err = RG_SUCCESS;
  if( a->job->pool && !(mine.pool = rg_pool_dup( a->job->pool, a->w + 1UL, &err )) ) {
    rg_bench_fail( a->sh, a->w, err, "rg_pool_dup in the worker process" );
    __atomic_add_fetch( &a->sh->ready, 1UL, __ATOMIC_ACQ_REL );
    _exit( 1 );
  }
  rg_bench_worker( &mine );
  if( mine.pool ) rg_pool_close( mine.pool );
  _exit( 0 );
}

/* rg_bench_start starts worker w; RG_SUCCESS or RG_ERR_IO (noted in sh). */

static int
rg_bench_start( rg_bench_arg_t * a,
                pthread_t *      tid,
                pid_t *          pid ) {
  rg_bench_job_t const * job = a->job;
  int err = RG_SUCCESS;
  if( job->procs ) {
    if( (*pid = rg_bench_fork( a ))>0 ) return RG_SUCCESS;
    snprintf( a->sh->msg[ a->w ], sizeof(a->sh->msg[ a->w ]), "fork failed: %m" );
  } else {
    a->pool = NULL;
    if( job->pool && !(a->pool = rg_pool_dup( job->pool, a->w + 1UL, &err )) ) {
      rg_bench_fail( a->sh, a->w, err, "rg_pool_dup" );
      return err;
    }
    if( !(errno = pthread_create( tid, NULL, rg_bench_thread, a )) ) return RG_SUCCESS;
    snprintf( a->sh->msg[ a->w ], sizeof(a->sh->msg[ a->w ]), "pthread_create failed: %m" );
    if( a->pool ) rg_pool_close( a->pool );
    a->pool = NULL;
  }
  a->sh->err[ a->w ] = RG_ERR_IO;
  return RG_ERR_IO;
}

/* rg_bench_once runs one run of iters operations per worker; *us gets
   the mean microseconds per operation per worker.  With row non-NULL
   the workers' counters are added to it. */

static int
rg_bench_once( rg_bench_job_t const * job,
               rg_bench_shared_t *    sh,
               uint64_t               iters,
               rg_bench_row_t *       row,
               double *               us ) {
  memset( sh, 0, sizeof(*sh) );
  pthread_t      tid[ RG_BENCH_WORKER_MAX ];
  pid_t          pid[ RG_BENCH_WORKER_MAX ];
  rg_bench_arg_t arg[ RG_BENCH_WORKER_MAX ];
  uint64_t started = 0UL;
  int      err     = RG_SUCCESS;
  for( ; started<job->workers; started++ ) {
    arg[ started ] = (rg_bench_arg_t){ job, sh, iters, started, NULL };
    if( (err = rg_bench_start( &arg[ started ], &tid[ started ], &pid[ started ] )) ) break;
  }
  while( __atomic_load_n( &sh->ready, __ATOMIC_ACQUIRE )<started ) usleep( 100 );
  __atomic_store_n( &sh->gate, err ? GATE_ABORT : GATE_GO, __ATOMIC_RELEASE );
  for( uint64_t w=0UL; w<started; w++ ) {
    if( job->procs ) {
      int status = 0;
      waitpid( pid[w], &status, 0 );
      if( !sh->err[w] && !(WIFEXITED( status ) && !WEXITSTATUS( status )) ) {
        sh->err[w] = RG_ERR_IO;
        snprintf( sh->msg[w], sizeof(sh->msg[w]), "the worker process died (wait status %#x)", (unsigned)status );
      }
    } else {
      pthread_join( tid[w], NULL );
      if( arg[w].pool ) rg_pool_close( arg[w].pool );
    }
  }
  double sum = 0.0;
  for( uint64_t w=0UL; w<job->workers; w++ ) {
    if( sh->err[w] ) {
      fprintf( stderr, "rgroove-bench: worker %lu of %lu failed: %s\n", w, job->workers, sh->msg[w] );
      return sh->err[w];
    }
    sum += sh->ns[w];
    if( row ) rg_bench_row_count( row, &sh->before[w], &sh->after[w] );
  }
  *us = sum/(double)job->workers/(double)iters/1e3;
  return err;
}

/* rg_bench_trial picks iters so that runs runs take about duration:
   trial runs from TRIAL_ITER operations up, until one lasts TRIAL_NS. */

static int
rg_bench_trial( rg_bench_job_t const * job,
                rg_bench_shared_t *    sh,
                uint64_t *             iters ) {
  uint64_t n = TRIAL_ITER;
  double   us;
  for( ;; ) {
    int err = rg_bench_once( job, sh, n, NULL, &us );
    if( err ) return err;
    double run_ns = 1e3*us*(double)n;
    if( run_ns>=TRIAL_NS || n>=RG_BENCH_ITER_MAX ) break;
    double grow = run_ns>0.0 ? 1.5*TRIAL_NS/run_ns : 100.0;
    n = (uint64_t)((double)n*(grow<100.0 ? (grow>2.0 ? grow : 2.0) : 100.0));
    if( n>RG_BENCH_ITER_MAX ) n = RG_BENCH_ITER_MAX;
  }
  double want = 1e6*(double)job->duration/(double)job->runs/(us>0.0 ? us : 1e-3);
  *iters = want<1.0 ? 1UL : want>(double)RG_BENCH_ITER_MAX ? RG_BENCH_ITER_MAX : (uint64_t)want;
  return RG_SUCCESS;
}

int
rg_bench_work_run( rg_bench_job_t const * job,
                   rg_bench_row_t *       row ) {
  if( !job || !row || !job->unit || !job->unit->run || !job->workers || job->workers>RG_BENCH_WORKER_MAX ||
      !job->runs || job->runs>RG_BENCH_RUN_MAX || job->iters>RG_BENCH_ITER_MAX || (!job->iters && !job->duration) ) {
    fprintf( stderr, "rgroove-bench: bad rate row (workers 1..%lu, runs 1..%lu, iters up to %lu or a duration)\n",
             RG_BENCH_WORKER_MAX, RG_BENCH_RUN_MAX, RG_BENCH_ITER_MAX );
    return RG_ERR_INVAL;
  }
  rg_bench_shared_t * sh = mmap( NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0 );
  if( sh==MAP_FAILED ) { fprintf( stderr, "rgroove-bench: mmap of %zu bytes failed: %m\n", sizeof(*sh) ); return RG_ERR_IO; }
  double   t0    = rg_bench_now_ns();
  uint64_t iters = job->iters;
  int      err   = iters ? RG_SUCCESS : rg_bench_trial( job, sh, &iters );
  double   us[ RG_BENCH_RUN_MAX ];
  row->workers = job->workers;
  row->procs   = job->procs;
  row->iters   = iters;
  row->counted = job->pool && rg_mem_round_trips( &rg_pool_conn( job->pool, 0UL )->mem );
  for( uint64_t r=0UL; r<job->runs && !err; r++ ) err = rg_bench_once( job, sh, iters, row, &us[r] );
  if( !err ) {
    rg_bench_row_rate( row, us, job->runs );
    row->ops = job->runs*job->workers*iters;
  }
  row->seconds = (rg_bench_now_ns() - t0)/1e9;
  munmap( sh, sizeof(*sh) );
  return err;
}
