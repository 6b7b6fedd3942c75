/* rgroove-bench: alloc+free cost of an rgroove pool beside glibc malloc,
   printed as a perftest-style table. */

#include "rgroove/rgroove.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIVE_CNT    (4096UL) /* live objects per worker in the random workload */
#define WARMUP_CNT  (16UL*LIVE_CNT) /* untimed steps per worker before each run, at most --iters */
#define WORKER_MAX  (64UL)
#define RUN_MAX     (101UL)

typedef struct {
  char const * uri;      /* the rgroove pool, NULL for malloc */
  uint64_t     size;     /* fixed size, or 0 for the random workload */
  uint64_t     iters;    /* pairs or steps per worker */
} job_t;

/* Per worker results live in shared memory so forked workers can report. */

typedef struct {
  uint64_t start_gate;            /* workers spin until this is set */
  uint64_t ready;
  double   ns[ WORKER_MAX ];      /* elapsed per worker */
  int      err[ WORKER_MAX ];
} shared_t;

static shared_t * sh;

static double
now_ns( void ) {
  struct timespec ts;
  clock_gettime( CLOCK_MONOTONIC, &ts );
  return (double)ts.tv_sec*1e9 + (double)ts.tv_nsec;
}

static uint64_t
rnd( uint64_t * s ) {
  uint64_t x = *s;
  x ^= x>>12; x ^= x<<25; x ^= x>>27;
  *s = x;
  return x*0x2545f4914f6cdd1dUL;
}

/* An allocator under test: rgroove pool handle or malloc. */

typedef struct {
  rg_pool_t * pool;
} alloc_t;

static inline int
do_alloc( alloc_t * a, uint64_t sz, uint64_t * out ) {
  if( a->pool ) return rg_pool_alloc( a->pool, 0UL, sz, 0UL, out );
  void * p = malloc( sz );
  *out = (uint64_t)(uintptr_t)p;
  return p ? 0 : RG_ERR_FULL;
}

static inline int
do_free( alloc_t * a, uint64_t obj ) {
  if( a->pool ) return rg_pool_free( a->pool, obj );
  free( (void *)(uintptr_t)obj );
  return 0;
}

static void
wait_gate( void ) {
  __atomic_add_fetch( &sh->ready, 1UL, __ATOMIC_ACQ_REL );
  while( !__atomic_load_n( &sh->start_gate, __ATOMIC_ACQUIRE ) ) ;
}

/* run_steps runs n pairs (fixed size) or n random steps over live. */

static int
run_steps( job_t const * job,
           alloc_t *     a,
           uint64_t *    live,
           uint64_t *    s,
           uint64_t      n ) {
  int err = 0;
  if( job->size ) {
    uint64_t obj;
    for( uint64_t i=0UL; i<n && !err; i++ ) {
      err = do_alloc( a, job->size, &obj );
      if( !err ) err = do_free( a, obj );
    }
  } else {
    for( uint64_t i=0UL; i<n && !err; i++ ) {
      uint64_t r = rnd( s ), k = r % LIVE_CNT;
      err = do_free( a, live[k] );
      if( !err ) err = do_alloc( a, 16UL + (r>>32) % 8177UL, &live[k] );
    }
  }
  return err;
}

/* run_worker runs the job on one worker and records its elapsed time.
   Untimed warm-up steps first (as perftest does), so that first touches
   of pages and cold caches stay out of the timed loop. */

static void
run_worker( job_t const * job,
            uint64_t      w,
            rg_pool_t *   pool ) {
  alloc_t a = { pool };
  uint64_t s = 0x9e3779b97f4a7c15UL*(w + 1UL);
  int err = 0;
  uint64_t * live = NULL;
  if( !job->size ) { /* random workload: fill LIVE_CNT objects first */
    live = malloc( LIVE_CNT*sizeof(uint64_t) );
    for( uint64_t i=0UL; i<LIVE_CNT && !err; i++ ) err = do_alloc( &a, 16UL + rnd( &s ) % 8177UL, &live[i] );
  }
  if( !err ) err = run_steps( job, &a, live, &s, job->iters<WARMUP_CNT ? job->iters : WARMUP_CNT );
  wait_gate();
  double t0 = now_ns();
  if( !err ) err = run_steps( job, &a, live, &s, job->iters );
  sh->ns[w]  = now_ns() - t0;
  sh->err[w] = err;
  if( live ) {
    for( uint64_t i=0UL; i<LIVE_CNT; i++ ) do_free( &a, live[i] );
    free( live );
  }
}

typedef struct { job_t const * job; uint64_t w; rg_pool_t * pool; } thread_arg_t;

static void *
thread_main( void * p ) {
  thread_arg_t * t = p;
  run_worker( t->job, t->w, t->pool );
  return NULL;
}

/* run_once runs the job on `workers` threads or processes and returns
   the mean elapsed ns per operation per worker (NaN on error). */

static double
run_once( job_t const * job,
          uint64_t      workers,
          int           procs,
          rg_pool_t *   pool ) {
  memset( sh, 0, sizeof(*sh) );
  pthread_t    tid[ WORKER_MAX ];
  pid_t        pid[ WORKER_MAX ];
  thread_arg_t arg[ WORKER_MAX ];
  for( uint64_t w=0UL; w<workers; w++ ) {
    if( procs ) {
      pid[w] = fork();
      if( !pid[w] ) {
        rg_pool_t * mine = job->uri ? rg_pool_open( job->uri, w + 1UL, NULL ) : NULL;
        if( job->uri && !mine ) { sh->err[w] = RG_ERR_IO; __atomic_add_fetch( &sh->ready, 1UL, __ATOMIC_ACQ_REL ); _exit( 1 ); }
        run_worker( job, w, mine );
        if( mine ) rg_pool_close( mine );
        _exit( 0 );
      }
    } else {
      arg[w] = (thread_arg_t){ job, w, job->uri ? rg_pool_dup( pool, w + 1UL, NULL ) : NULL };
      pthread_create( &tid[w], NULL, thread_main, &arg[w] );
    }
  }
  while( __atomic_load_n( &sh->ready, __ATOMIC_ACQUIRE )<workers ) usleep( 100 );
  __atomic_store_n( &sh->start_gate, 1UL, __ATOMIC_RELEASE );
  for( uint64_t w=0UL; w<workers; w++ ) {
    if( procs ) waitpid( pid[w], NULL, 0 );
    else { pthread_join( tid[w], NULL ); if( arg[w].pool ) rg_pool_close( arg[w].pool ); }
  }
  double sum = 0.0;
  for( uint64_t w=0UL; w<workers; w++ ) {
    if( sh->err[w] ) { fprintf( stderr, "worker %lu failed: %s\n", w, rg_strerror( sh->err[w] ) ); return -1.0; }
    sum += sh->ns[w];
  }
  return sum/(double)workers/(double)job->iters;
}

static int
cmp_double( void const * a, void const * b ) {
  double x = *(double const *)a, y = *(double const *)b;
  return (x>y) - (x<y);
}

typedef struct { double med, min, max; } stat_t;

static int
measure( job_t const * job, uint64_t workers, int procs, rg_pool_t * pool, uint64_t runs, stat_t * st ) {
  double v[ RUN_MAX ];
  for( uint64_t r=0UL; r<runs; r++ ) if( (v[r] = run_once( job, workers, procs, pool ))<0.0 ) return -1;
  qsort( v, runs, sizeof(double), cmp_double );
  *st = (stat_t){ v[ runs/2UL ], v[0], v[ runs-1UL ] };
  return 0;
}


/* Remote pools (--pool verbs://...) ************************************/

typedef struct { double min, max, typical, avg, stdev, p99; } lat_t;

static lat_t
lat_stats( double * us,
           uint64_t n ) {
  qsort( us, n, sizeof(double), cmp_double );
  double sum = 0.0, sq = 0.0;
  for( uint64_t i=0UL; i<n; i++ ) sum += us[i];
  double avg = sum/(double)n;
  for( uint64_t i=0UL; i<n; i++ ) sq += (us[i]-avg)*(us[i]-avg);
  lat_t l = { us[0], us[n-1UL], us[n/2UL], avg, 0.0, us[ (n*99UL)/100UL ] };
  l.stdev = n>1UL ? __builtin_sqrt( sq/(double)(n-1UL) ) : 0.0;
  return l;
}

static void
lat_print( char const * op,
           char const * bytes,
           uint64_t     n,
           lat_t        l,
           char const * extra ) {
  printf( "%-12s %8s %11lu %11.2f %11.2f %15.2f %11.2f %13.2f %9.2f  %s\n",
          op, bytes, n, l.min, l.max, l.typical, l.avg, l.stdev, l.p99, extra );
}

static uint64_t rts( rg_pool_t * p ) { rg_mem_stats_t st; rg_pool_stats( p, &st ); return st.round_trips; }

/* remote_atomics: raw CAS and FAA round trips on a word of an object of
   our own, so the allocator's words are not disturbed. */

static int
remote_atomics( rg_pool_t * pool,
                rg_gaddr_t  scratch,
                uint64_t    iters,
                double *    us,
                lat_t *     cas,
                lat_t *     faa ) {
  rg_mem_t const * m = rg_groove_mem( rg_pool_groove( pool ) );
  uint64_t off = rg_gaddr_off( scratch ), old = 0UL;
  rg_pool_write( pool, scratch, &old, 8UL );
  for( uint64_t i=0UL; i<iters; i++ ) {
    double t0 = now_ns();
    if( rg_mem_cas( m, off, old, old + 1UL, &old ) ) return -1;
    us[i] = (now_ns() - t0)/1e3;
    old++;
  }
  *cas = lat_stats( us, iters );
  for( uint64_t i=0UL; i<iters; i++ ) {
    double t0 = now_ns();
    if( rg_mem_faa( m, off, 1UL, &old ) ) return -1;
    us[i] = (now_ns() - t0)/1e3;
  }
  *faa = lat_stats( us, iters );
  return RG_SUCCESS;
}

/* remote_pairs: alloc+free of size bytes, timed one by one after a
   warm-up, with the round trips of each half counted separately. */

static int
remote_pairs( rg_pool_t * pool,
              uint64_t    size,
              uint64_t    iters,
              double *    us,
              lat_t *     lat,
              double *    rt_alloc,
              double *    rt_free ) {
  rg_gaddr_t a;
  for( int i=0; i<16; i++ ) if( rg_pool_alloc( pool, 0UL, size, 0UL, &a ) || rg_pool_free( pool, a ) ) return -1;
  uint64_t ra = 0UL, rf = 0UL;
  for( uint64_t i=0UL; i<iters; i++ ) {
    uint64_t r0 = rts( pool );
    double   t0 = now_ns();
    if( rg_pool_alloc( pool, 0UL, size, 0UL, &a ) ) return -1;
    uint64_t r1 = rts( pool );
    if( rg_pool_free( pool, a ) ) return -1;
    us[i] = (now_ns() - t0)/1e3;
    ra += r1 - r0;
    rf += rts( pool ) - r1;
  }
  *lat      = lat_stats( us, iters );
  *rt_alloc = (double)ra/(double)iters;
  *rt_free  = (double)rf/(double)iters;
  return 0;
}

/* remote_random: the random workload with 256 live objects (a smaller
   working set than locally: every step is network round trips). */

static int
remote_random( rg_pool_t * pool,
               uint64_t    iters,
               double *    us,
               lat_t *     lat,
               double *    rt_step ) {
  enum { LIVE = 256 };
  rg_gaddr_t live[ LIVE ];
  uint64_t s = 12345UL;
  for( int i=0; i<LIVE; i++ ) if( rg_pool_alloc( pool, 0UL, 16UL + rnd( &s ) % 8177UL, 0UL, &live[i] ) ) return -1;
  uint64_t r0 = rts( pool );
  for( uint64_t i=0UL; i<iters; i++ ) {
    uint64_t r = rnd( &s ), k = r % LIVE;
    double t0 = now_ns();
    if( rg_pool_free( pool, live[k] ) || rg_pool_alloc( pool, 0UL, 16UL + (r>>32) % 8177UL, 0UL, &live[k] ) ) return -1;
    us[i] = (now_ns() - t0)/1e3;
  }
  *rt_step = (double)(rts( pool ) - r0)/(double)iters;
  *lat     = lat_stats( us, iters );
  for( int i=0; i<LIVE; i++ ) rg_pool_free( pool, live[i] );
  return 0;
}

/* remote_throughput: workers threads, each with its own connection
   (threads, not forked processes: librdmacm's device handles do not
   survive a fork), doing 64-byte alloc+free pairs; total pairs/s. */

static double
remote_throughput( rg_pool_t *  pool,
                   char const * uri,
                   uint64_t     workers,
                   uint64_t     iters ) {
  job_t job = { uri, 64UL, iters };
  double ns = run_once( &job, workers, 0, pool );
  return ns>0.0 ? 1e9*(double)workers/ns : -1.0;
}

static int
run_remote( char const * uri,
            uint64_t     iters,
            uint64_t     workers,
            uint64_t *   sizes,
            uint64_t     size_cnt ) {
  int err;
  rg_pool_t * pool = rg_pool_open( uri, 1UL, &err );
  if( !pool ) { fprintf( stderr, "rgroove-bench: cannot open %s: %s\n", uri, rg_errmsg() ); return 1; }
  double * us = malloc( iters*sizeof(double) );
  printf( "# rgroove-bench: %s, one RC queue pair per client; paranoid checks %s\n", uri, RG_PARANOID ? "on" : "off" );
  printf( "# every figure below comes from this run, on this connection; latencies in usec\n" );
  printf( "%-12s %8s %11s %11s %11s %15s %11s %13s %9s  %s\n", "#op", "#bytes", "#iterations", "t_min[usec]", "t_max[usec]",
          "t_typical[usec]", "t_avg[usec]", "t_stdev[usec]", "99%[usec]", "round trips" );
  lat_t cas, faa, lat;
  rg_gaddr_t scratch;
  if( rg_pool_alloc( pool, 64UL, 64UL, 0UL, &scratch ) ) goto fail;
  if( remote_atomics( pool, scratch, iters, us, &cas, &faa ) ) goto fail;
  lat_print( "cas", "8", iters, cas, "1" );
  lat_print( "faa", "8", iters, faa, "1" );
  rg_mem_t const * m = rg_groove_mem( rg_pool_groove( pool ) );
  uint64_t off = rg_gaddr_off( scratch ), word[3], old;
  for( uint64_t i=0UL; i<iters; i++ ) { /* a superblock's metadata: the read the allocator does */
    double t0 = now_ns();
    if( rg_mem_read_words( m, off, word, 3UL ) ) goto fail;
    us[i] = (now_ns() - t0)/1e3;
  }
  lat_print( "read", "24", iters, lat_stats( us, iters ), "1" );
  for( uint64_t i=0UL; i<iters; i++ ) { /* a posted write published by a CAS: the header before the slot */
    double t0 = now_ns();
    if( rg_mem_write_words( m, off + 8UL, word, 2UL ) || rg_mem_cas( m, off, 0UL, 0UL, &old ) ) goto fail;
    us[i] = (now_ns() - t0)/1e3;
  }
  lat_print( "write+cas", "16+8", iters, lat_stats( us, iters ), "1 (write posted)" );
  if( rg_pool_free( pool, scratch ) ) goto fail;
  double worst_ratio = 0.0, worst_rt = 0.0;
  for( uint64_t i=0UL; i<size_cnt; i++ ) {
    double rt_a, rt_f;
    char bytes[ 24 ], extra[ 64 ];
    snprintf( bytes, sizeof(bytes), "%lu", sizes[i] );
    if( remote_pairs( pool, sizes[i], iters, us, &lat, &rt_a, &rt_f ) ) goto fail;
    snprintf( extra, sizeof(extra), "%.2f (alloc %.2f + free %.2f)", rt_a + rt_f, rt_a, rt_f );
    lat_print( "alloc+free", bytes, iters, lat, extra );
    if( lat.typical/cas.typical>worst_ratio ) worst_ratio = lat.typical/cas.typical;
    if( rt_a + rt_f>worst_rt ) worst_rt = rt_a + rt_f;
  }
  double rt_step;
  if( remote_random( pool, iters, us, &lat, &rt_step ) ) goto fail;
  char extra[ 64 ];
  snprintf( extra, sizeof(extra), "%.2f per step", rt_step );
  lat_print( "random", "16-8192", iters, lat, extra );
  printf( "# steady-state alloc+free: at most %.2f round trips, typical latency at most %.2f x one CAS\n", worst_rt, worst_ratio );
  fflush( stdout );
  for( uint64_t w=1UL; w<=workers; w++ ) {
    double tput = remote_throughput( pool, uri, w, iters );
    if( tput<0.0 ) goto fail;
    printf( "# throughput, 64-byte alloc+free, %lu client process(es): %.0f pairs/s\n", w, tput );
    fflush( stdout );
  }
  free( us );
  rg_pool_close( pool );
  return 0;
fail:
  fprintf( stderr, "rgroove-bench: %s\n", rg_errmsg() );
  free( us );
  rg_pool_close( pool );
  return 1;
}

static void
usage( FILE * f ) {
  fprintf( f,
    "usage: rgroove-bench [options]\n"
    "\n"
    "Measures ns per alloc+free pair (fixed sizes) and per random step (free a\n"
    "random one of %lu live objects, allocate 16..8192 bytes) on an rgroove shm\n"
    "pool with 1 and N threads and N processes, beside glibc malloc in the same run.\n"
    "Each figure is the median of --runs runs, with min and max; before each run\n"
    "every worker runs --iters untimed steps, at most %lu.\n"
    "\n"
    "With --pool verbs://HOST[:PORT] it measures a memory server instead: latency of\n"
    "each CAS, FAA, alloc+free pair and random step on one connection (perftest\n"
    "columns), round trips per alloc and per free, and throughput with 1..N clients.\n"
    "\n"
    "  --pool URI    measure this remote pool (verbs://...) instead of a local one\n"
    "  --iters N     pairs or steps per worker per run (default 1000000)\n"
    "  --runs N      runs per figure (default 5, at most %lu)\n"
    "  --workers N   the multi-worker rows use N threads / processes (default 2)\n"
    "                (remote: throughput with 1..N client processes)\n"
    "  --sizes LIST  comma-separated fixed sizes (default 64,512,4096,65536)\n"
    "  --no-malloc   skip the glibc malloc rows\n"
    "  --help        this text\n", LIVE_CNT, WARMUP_CNT, RUN_MAX );
}

int
main( int     argc,
      char ** argv ) {
  uint64_t iters = 1000000UL, runs = 5UL, workers = 2UL;
  int      with_malloc = 1;
  char     sizes_arg[ 256 ] = "64,512,4096,65536";
  char const * remote_uri = NULL;
  static struct option const opts[] = {
    { "iters", required_argument, NULL, 'i' }, { "runs", required_argument, NULL, 'r' },
    { "workers", required_argument, NULL, 'w' }, { "sizes", required_argument, NULL, 's' },
    { "no-malloc", no_argument, NULL, 'm' }, { "pool", required_argument, NULL, 'p' },
    { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
  };
  for( int c; (c = getopt_long( argc, argv, "i:r:w:s:mp:h", opts, NULL ))!=-1; ) {
    switch( c ) {
    case 'i': iters   = strtoul( optarg, NULL, 0 ); break;
    case 'r': runs    = strtoul( optarg, NULL, 0 ); break;
    case 'w': workers = strtoul( optarg, NULL, 0 ); break;
    case 's': snprintf( sizes_arg, sizeof(sizes_arg), "%s", optarg ); break;
    case 'm': with_malloc = 0; break;
    case 'p': remote_uri = optarg; break;
    case 'h': usage( stdout ); return 0;
    default:  usage( stderr ); return 2;
    }
  }
  if( !iters || !runs || runs>RUN_MAX || workers<2UL || workers>WORKER_MAX ) {
    fprintf( stderr, "rgroove-bench: need --iters >= 1, --runs 1..%lu, --workers 2..%lu\n", RUN_MAX, WORKER_MAX );
    return 2;
  }

  char * save = NULL;
  uint64_t size_list[ 16 ], size_cnt = 0UL;
  for( char * t=strtok_r( sizes_arg, ",", &save ); t && size_cnt<15UL; t=strtok_r( NULL, ",", &save ) ) size_list[ size_cnt++ ] = strtoul( t, NULL, 0 );

  sh = mmap( NULL, sizeof(shared_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0 );
  if( sh==MAP_FAILED ) { perror( "mmap" ); return 1; }
  if( remote_uri ) return run_remote( remote_uri, iters, workers, size_list, size_cnt );
  size_list[ size_cnt++ ] = 0UL; /* the random workload */
  char uri[ 64 ];
  snprintf( uri, sizeof(uri), "shm:/rgroove-bench-%d", (int)getpid() );
  uint64_t volumes = 2UL*workers + 2UL;
  rg_pool_t * pool = rg_pool_create( uri, volumes, volumes, NULL );
  if( !pool ) { fprintf( stderr, "rgroove-bench: cannot create %s: %s\n", uri, rg_errmsg() ); return 1; }

  printf( "# rgroove-bench: shm transport, POSIX shared-memory pool of %lu x 1 GiB volumes (touched pages only)\n", volumes );
  printf( "# paranoid checks %s; %lu runs per figure (median, min, max); %lu ops per worker per run, after %lu untimed\n",
          RG_PARANOID ? "on" : "off", runs, iters, iters<WARMUP_CNT ? iters : WARMUP_CNT );
  printf( "# random: each worker keeps %lu live objects; a step frees a random one and allocates 16..8192 bytes\n", LIVE_CNT );
  printf( "# ns/op is per worker (alloc+free pair, or random step); Mops/s is the total over all workers\n" );
  printf( "%-9s %7s  %-12s %-9s %10s %10s %10s %10s %10s\n",
          "#workload", "bytes", "workers", "allocator", "ns/op", "ns_min", "ns_max", "Mops/s", "vs_malloc" );
  fflush( stdout );


  int failed = 0;
  for( uint64_t si=0UL; si<size_cnt; si++ ) {
    for( int mode=0; mode<3; mode++ ) { /* 1 thread, N threads, N processes */
      uint64_t n     = mode ? workers : 1UL;
      int      procs = mode==2;
      char     who[ 32 ];
      snprintf( who, sizeof(who), "%lu %s", n, procs ? "procs" : n==1UL ? "thread" : "threads" );
      job_t  rj = { uri, size_list[si], iters }, mj = { NULL, size_list[si], iters };
      stat_t r, m = { 0.0, 0.0, 0.0 };
      if( measure( &rj, n, procs, pool, runs, &r ) || (with_malloc && measure( &mj, n, procs, NULL, runs, &m )) ) { failed = 1; continue; }
      char bytes[ 24 ] = "16-8192";
      if( size_list[si] ) snprintf( bytes, sizeof(bytes), "%lu", size_list[si] );
      char const * wl = size_list[si] ? "fixed" : "random";
      printf( "%-9s %7s  %-12s %-9s %10.1f %10.1f %10.1f %10.1f %10.2f\n", wl, bytes, who, "rgroove",
              r.med, r.min, r.max, 1e3*(double)n/r.med, with_malloc ? r.med/m.med : 0.0 );
      if( with_malloc )
        printf( "%-9s %7s  %-12s %-9s %10.1f %10.1f %10.1f %10.1f %10s\n", wl, bytes, who, "malloc",
                m.med, m.min, m.max, 1e3*(double)n/m.med, "1.00" );
      fflush( stdout );
    }
  }
  rg_pool_close( pool );
  rg_pool_unlink( uri );
  return failed;
}
