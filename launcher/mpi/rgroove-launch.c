/* rgroove-launch: run a workload on every rank of an MPI job over a pool
   opened collectively (rg_mpi_open), print per-rank and total figures,
   verify every server at the end, exit non-zero on any failure.

     mpirun -np 4 rgroove-launch --servers 2 --workload stress */

#include "rgroove/rg_mpi.h"
#include "base/rg_opt.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX (4096)

typedef struct {
  char const * workload;
  int          servers, kill_rank, exit_rank, timeout_ms;
  uint64_t     iters, batch, volumes;
  char const * transport;
} cfg_t;

static int rank, size;

static void
usage( FILE * f ) {
  fprintf( f,
    "Usage: mpirun -np N rgroove-launch [options]\n"
    "\n"
    "Opens one rgroove pool over the job (chosen ranks serve memory, every rank\n"
    "allocates in all of it), runs a workload on every rank, prints per-rank and\n"
    "total figures, verifies every server, and exits non-zero on any failure.\n"
    "mpirun looks a program up on PATH only: from a build tree, run\n"
    "mpirun -np N launcher/mpi/rgroove-launch (as root add --allow-run-as-root).\n"
    "\n"
    "  -w, --workload W     stress (default): objects allocated on one rank, filled,\n"
    "                       sent to the next rank, checked and freed there; bench:\n"
    "                       timed alloc+free pairs\n"
    "  -s, --servers K      server ranks, 0 to 65535 (default 0: the first rank of\n"
    "                       every node)\n"
    "  -t, --transport T    auto (default: shm on one host, else verbs or ucx), shm, verbs\n"
    "                       or ucx (also RGROOVE_TRANSPORT)\n"
    "  -v, --volumes N      1 GiB volumes per server, 1 to %lu (default 1)\n"
    "  -i, --iters N        rounds (stress) or pairs (bench) per rank, 1 to 10^12\n"
    "                       (default 20 / 100000)\n"
    "  -b, --batch N        objects per rank per stress round, 1 to %d (default 256)\n"
    "  -T, --timeout-ms T   give up on any collective wait after T ms, 1 to %d\n"
    "                       (default 60000)\n"
    "  -k, --kill-rank R    rank R kills itself with SIGKILL mid-run (failure test)\n"
    "  -e, --exit-rank R    rank R exits early without finishing (failure test)\n"
    "  -h, --help           this text\n"
    "      --version        the version\n", RG_VOLUME_MAX, BATCH_MAX, INT_MAX );
}

static double
now_s( void ) {
  struct timespec ts;
  clock_gettime( CLOCK_MONOTONIC, &ts );
  return (double)ts.tv_sec + 1e-9*(double)ts.tv_nsec;
}

static uint64_t
mix( uint64_t x ) {
  x ^= x>>33; x *= 0xff51afd7ed558ccdUL; x ^= x>>33; x *= 0xc4ceb9fe1a85ec53UL; x ^= x>>33;
  return x;
}

/* exchange sends n addresses to the next rank and receives n from the
   previous one, giving up after the timeout. */

static int
exchange( rg_mpi_t * mpi,
          cfg_t const * cfg,
          uint64_t * out,
          uint64_t * in,
          int        n ) {
  MPI_Comm    comm = rg_mpi_comm( mpi );
  MPI_Request req[2];
  MPI_Irecv( in,  n, MPI_UINT64_T, (rank + size - 1) % size, 7, comm, &req[0] );
  MPI_Isend( out, n, MPI_UINT64_T, (rank + 1) % size,        7, comm, &req[1] );
  double t0 = now_s();
  for( int done=0; !done; ) {
    MPI_Testall( 2, req, &done, MPI_STATUSES_IGNORE );
    if( !done && now_s() - t0 > 1e-3*cfg->timeout_ms ) {
      fprintf( stderr, "rank %d: no addresses from rank %d within %d ms: it exited or hangs\n",
               rank, (rank + size - 1) % size, cfg->timeout_ms );
      return 1;
    }
    if( !done ) usleep( 100 );
  }
  return 0;
}

static void
failure_injection( cfg_t const * cfg,
                   uint64_t       round ) {
  if( round!=cfg->iters/2UL ) return;
  if( rank==cfg->kill_rank ) { fprintf( stderr, "rank %d: killing myself as asked (--kill-rank)\n", rank ); raise( SIGKILL ); }
  if( rank==cfg->exit_rank ) { fprintf( stderr, "rank %d: exiting early as asked (--exit-rank)\n", rank ); _exit( 0 ); }
}

static int
stress( rg_mpi_t * mpi,
        cfg_t const * cfg ) {
  rg_pool_t * pool = rg_mpi_pool( mpi );
  static uint64_t out[ BATCH_MAX ], in[ BATCH_MAX ];
  static uint8_t  buf[ 4096 ];
  int n = (int)cfg->batch;
  uint64_t allocs = 0UL, frees = 0UL, bad = 0UL, errors = 0UL, bytes = 0UL;
  uint64_t per_server[ 64 ] = {0};
  double t0 = now_s();
  for( uint64_t round=0UL; round<cfg->iters; round++ ) {
    failure_injection( cfg, round );
    for( int i=0; i<n; i++ ) {
      uint64_t tag = mix( ((uint64_t)rank<<40) ^ (round<<20) ^ (uint64_t)i ), sz = tag % sizeof(buf);
      if( rg_pool_alloc( pool, 0UL, sz, tag, &out[i] ) ) { errors++; out[i] = 0UL; continue; }
      for( uint64_t k=0UL; k<sz; k++ ) buf[k] = (uint8_t)(tag>>((k&7UL)*8UL)) ^ (uint8_t)k;
      if( rg_pool_write( pool, out[i], buf, sz ) ) errors++;
      allocs++;
      bytes += sz;
      per_server[ rg_gaddr_server( out[i] ) & 63UL ]++;
    }
    if( exchange( mpi, cfg, out, in, n ) ) return 2;
    for( int i=0; i<n; i++ ) { /* the previous rank's objects: check, then free them here */
      if( !in[i] ) continue;
      rg_groove_obj_info_t info;
      if( rg_pool_info( pool, in[i], &info ) || rg_pool_read( pool, in[i], buf, info.sz ) ) { errors++; continue; }
      for( uint64_t k=0UL; k<info.sz; k++ ) if( buf[k]!=((uint8_t)(info.tag>>((k&7UL)*8UL)) ^ (uint8_t)k) ) { bad++; break; }
      if( rg_pool_free( pool, in[i] ) ) errors++; else frees++;
    }
  }
  double dt = now_s() - t0;
  printf( "rank %d: %lu objects allocated (%lu bytes; per server:", rank, allocs, bytes );
  for( int s=0; s<rg_mpi_server_cnt( mpi ) && s<64; s++ ) printf( " %lu", per_server[s] );
  printf( "), %lu of rank %d's checked and freed, %lu bad, %lu errors, %.2f s\n", frees, (rank + size - 1) % size, bad, errors, dt );
  fflush( stdout );
  uint64_t mine[4] = { allocs, frees, bad, errors }, sum[4];
  MPI_Allreduce( mine, sum, 4, MPI_UINT64_T, MPI_SUM, rg_mpi_comm( mpi ) );
  if( !rank ) printf( "total: %lu allocated, %lu checked and freed by another rank, %lu bad, %lu errors\n", sum[0], sum[1], sum[2], sum[3] );
  return sum[2] || sum[3] || sum[0]!=sum[1];
}

/* bench: alloc+free pairs over a size sweep, OSU style: per size, every
   rank times cfg->iters pairs after a bounded barrier and a warm-up,
   and rank 0 prints one row from reductions over the ranks. */

#define BENCH_SIZE_MIN (16UL)
#define BENCH_SIZE_MAX (65536UL)
#define BENCH_WARMUP   (16UL)

typedef struct {
  double   us, rate, rt; /* this rank: microseconds per pair, pairs/s, round trips per pair */
  uint64_t errors;
} bench_fig_t;

/* bench_size times cfg->iters pairs of sz bytes on this rank. */

static bench_fig_t
bench_size( rg_pool_t *   pool,
            cfg_t const * cfg,
            uint64_t      sz,
            int           inject ) {
  bench_fig_t f = { 0.0, 0.0, 0.0, 0UL };
  rg_gaddr_t  a;
  for( uint64_t i=0UL; i<BENCH_WARMUP; i++ ) if( rg_pool_alloc( pool, 0UL, sz, 0UL, &a ) || rg_pool_free( pool, a ) ) f.errors++;
  rg_mem_stats_t s0, s1;
  rg_pool_stats( pool, &s0 );
  double t0 = now_s();
  for( uint64_t i=0UL; i<cfg->iters; i++ ) {
    if( inject ) failure_injection( cfg, i );
    if( rg_pool_alloc( pool, 0UL, sz, i, &a ) ) { f.errors++; continue; }
    if( rg_pool_free( pool, a ) ) f.errors++;
  }
  double dt = now_s() - t0;
  rg_pool_stats( pool, &s1 );
  f.us   = 1e6*dt/(double)cfg->iters;
  f.rate = dt>0.0 ? (double)cfg->iters/dt : 0.0;
  f.rt   = (double)(s1.round_trips - s0.round_trips)/(double)cfg->iters;
  return f;
}

static int
bench( rg_mpi_t * mpi,
       cfg_t const * cfg ) {
  rg_pool_t * pool    = rg_mpi_pool( mpi );
  MPI_Comm    comm    = rg_mpi_comm( mpi );
  int         counted = rg_mem_round_trips( &rg_pool_conn( pool, 0UL )->mem );
  if( !rank ) {
    printf( "# rgroove-launch bench: alloc+free pairs, %d rank(s), %d server(s), transport %s, paranoid checks %s\n",
            size, rg_mpi_server_cnt( mpi ), rg_mpi_transport( mpi ), RG_PARANOID ? "on" : "off" );
    printf( "# %lu timed pairs per rank per size after %lu untimed; every rank starts each size together\n", cfg->iters, BENCH_WARMUP );
    printf( "# avg: mean over ranks of usec per pair; min, max: the fastest and the slowest rank\n" );
    printf( "# pairs/s/rank: mean over ranks; pairs/s_total: sum over ranks; rt/pair: round trips per pair, mean over ranks%s\n",
            counted ? "" : " ('-': this transport counts none)" );
    printf( "%-8s %11s %11s %11s %14s %15s %8s %7s\n", "#bytes", "avg[usec]", "min[usec]", "max[usec]", "pairs/s/rank",
            "pairs/s_total", "rt/pair", "errors" );
    fflush( stdout );
  }
  uint64_t esum = 0UL;
  double   rate_sum = 0.0;
  for( uint64_t sz=BENCH_SIZE_MIN; sz<=BENCH_SIZE_MAX; sz *= 2UL ) {
    if( rg_mpi_barrier( mpi, "the start of a benchmark size" ) ) return 2;
    bench_fig_t f = bench_size( pool, cfg, sz, sz==BENCH_SIZE_MIN );
    double   sum[3], us_min, us_max, mine[3] = { f.us, f.rate, f.rt };
    uint64_t errors;
    MPI_Reduce( mine, sum, 3, MPI_DOUBLE, MPI_SUM, 0, comm );
    MPI_Reduce( &f.us, &us_min, 1, MPI_DOUBLE, MPI_MIN, 0, comm );
    MPI_Reduce( &f.us, &us_max, 1, MPI_DOUBLE, MPI_MAX, 0, comm );
    MPI_Allreduce( &f.errors, &errors, 1, MPI_UINT64_T, MPI_SUM, comm );
    esum     += errors;
    rate_sum += f.rate;
    if( rank ) continue;
    char rt[ 16 ] = "-";
    if( counted ) snprintf( rt, sizeof(rt), "%.2f", sum[2]/(double)size );
    printf( "%-8lu %11.3f %11.3f %11.3f %14.0f %15.0f %8s %7lu\n", sz, sum[0]/(double)size, us_min, us_max,
            sum[1]/(double)size, sum[1], rt, errors );
    fflush( stdout );
  }
  /* every size counts the same: a rank's mean rate over the sizes, summed over ranks */
  uint64_t sizes = 0UL;
  for( uint64_t sz=BENCH_SIZE_MIN; sz<=BENCH_SIZE_MAX; sz *= 2UL ) sizes++;
  double mean_rate = rate_sum/(double)sizes, total = 0.0;
  MPI_Reduce( &mean_rate, &total, 1, MPI_DOUBLE, MPI_SUM, 0, comm );
  if( !rank ) printf( "total: %.0f pairs/s over %d ranks and %d server(s), %lu errors (mean over the sizes)\n",
                      total, size, rg_mpi_server_cnt( mpi ), esum );
  return esum!=0UL;
}

int
main( int     argc,
      char ** argv ) {
  cfg_t cfg = { .workload = "stress", .kill_rank = -1, .exit_rank = -1, .timeout_ms = 60000, .batch = 256UL, .volumes = 1UL };
  static struct option const opts[] = {
    { "workload", required_argument, NULL, 'w' }, { "servers", required_argument, NULL, 's' },
    { "transport", required_argument, NULL, 't' }, { "volumes", required_argument, NULL, 'v' },
    { "iters", required_argument, NULL, 'i' }, { "batch", required_argument, NULL, 'b' },
    { "timeout-ms", required_argument, NULL, 'T' }, { "kill-rank", required_argument, NULL, 'k' },
    { "exit-rank", required_argument, NULL, 'e' }, { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'W' }, { NULL, 0, NULL, 0 }
  };
  char const * prog = "rgroove-launch";
  for( int c; (c = getopt_long( argc, argv, "w:s:t:v:i:b:T:k:e:h", opts, NULL ))!=-1; ) {
    uint64_t n = 0UL;
    int bad = 0;
    switch( c ) {
    case 'w': cfg.workload  = optarg; break;
    case 't': cfg.transport = optarg; break;
    case 's': bad = rg_opt_u64( prog, "--servers",    optarg, 0UL, RG_SERVER_MAX,     &n ); cfg.servers    = (int)n; break;
    case 'v': bad = rg_opt_u64( prog, "--volumes",    optarg, 1UL, RG_VOLUME_MAX,     &cfg.volumes ); break;
    case 'i': bad = rg_opt_u64( prog, "--iters",      optarg, 1UL, 1000000000000UL,   &cfg.iters ); break;
    case 'b': bad = rg_opt_u64( prog, "--batch",      optarg, 1UL, BATCH_MAX,         &cfg.batch ); break;
    case 'T': bad = rg_opt_u64( prog, "--timeout-ms", optarg, 1UL, (uint64_t)INT_MAX, &n ); cfg.timeout_ms = (int)n; break;
    case 'k': bad = rg_opt_u64( prog, "--kill-rank",  optarg, 0UL, (uint64_t)INT_MAX, &n ); cfg.kill_rank  = (int)n; break;
    case 'e': bad = rg_opt_u64( prog, "--exit-rank",  optarg, 0UL, (uint64_t)INT_MAX, &n ); cfg.exit_rank  = (int)n; break;
    case 'h': usage( stdout ); return 0;
    case 'W': rg_opt_version( prog ); return 0;
    default:  usage( stderr ); return 2;
    }
    if( bad ) return 2;
  }
  if( optind<argc ) { fprintf( stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[ optind ] ); return 2; }
  int is_stress = !strcmp( cfg.workload, "stress" );
  if( !is_stress && strcmp( cfg.workload, "bench" ) ) {
    fprintf( stderr, "rgroove-launch: --workload %s: expected stress or bench (see --help)\n", cfg.workload );
    return 2;
  }
  if( !cfg.iters ) cfg.iters = is_stress ? 20UL : 100000UL;

  MPI_Init( &argc, &argv );
  MPI_Comm_rank( MPI_COMM_WORLD, &rank );
  MPI_Comm_size( MPI_COMM_WORLD, &size );
  rg_mpi_opts_t o = { .servers = cfg.servers, .transport = cfg.transport, .volumes = cfg.volumes, .timeout_ms = cfg.timeout_ms };
  rg_mpi_t * mpi;
  int err = rg_mpi_open( MPI_COMM_WORLD, &o, &mpi );
  if( err ) {
    fprintf( stderr, "rgroove-launch rank %d: could not open the pool: %s\n", rank, rg_strerror( err ) );
    MPI_Finalize();
    return 1;
  }
  if( !rank ) { printf( "workload %s on %d rank(s)\n", cfg.workload, size ); fflush( stdout ); }
  int failed = is_stress ? stress( mpi, &cfg ) : bench( mpi, &cfg );
  if( failed==2 ) { /* a rank is gone: waiting on it again would only hang */
    fprintf( stderr, "rgroove-launch rank %d: aborting the job\n", rank );
    MPI_Abort( MPI_COMM_WORLD, 1 );
  }
  uint64_t live = 0UL;
  err = rg_mpi_verify( mpi, &live );
  if( !rank ) printf( "verify: %s on all %d server(s); %lu live object(s) left\n", err ? rg_strerror( err ) : "success",
                      rg_mpi_server_cnt( mpi ), live );
  failed |= err || live;
  int any;
  MPI_Allreduce( &failed, &any, 1, MPI_INT, MPI_MAX, rg_mpi_comm( mpi ) );
  rg_mpi_close( mpi );
  if( !rank ) printf( "%s\n", any ? "rgroove-launch: FAILED" : "rgroove-launch: OK" );
  MPI_Finalize();
  return any ? 1 : 0;
}
