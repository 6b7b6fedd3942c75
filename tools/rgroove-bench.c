/* rgroove-bench: what an rgroove pool's operations cost, as one table
   (perftest's layout and setup block), and as JSON and CSV.

   Without --pool: alloc+free pairs and random steps on a local shm pool
   with 1 thread, N threads and N processes, beside glibc malloc.  With
   --pool URI (verbs://, ucx://, loop:anon, ...): latency rows on one
   connection, then rate rows with 1..N threads.  The rows are the
   tables below: a new row is a line there. */

#include "rg_bench_lat.h"
#include "rg_bench_out.h"
#include "rg_bench_work.h"
#include "base/rg_opt.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG        "rgroove-bench"
#define LIVE_LOCAL  (4096UL) /* live objects per worker, random workload, local */
#define LIVE_REMOTE (256UL)  /* the same over a remote pool: every step is round trips */
#define SIZE_MAX_CNT (16UL)

typedef struct {
  char const * pool;       /* --pool, NULL: the local table */
  uint64_t     iters;      /* 0: --duration */
  uint64_t     duration;
  uint64_t     runs;
  uint64_t     workers;
  uint64_t     size[ SIZE_MAX_CNT ];
  uint64_t     size_cnt;
  int          malloc_rows;
  int          quiet;
  char const * json;
  char const * csv;
} opts_t;

/* Units of work of rate rows (rg_bench_work.h) *************************/

static int
unit_pairs_run( rg_bench_worker_t * w,
                uint64_t            n ) {
  uint64_t obj;
  for( uint64_t i=0UL; i<n; i++ ) {
    int err = rg_bench_alloc( w, w->size, &obj );
    if( !err ) err = rg_bench_free( w, obj );
    if( err ) return err;
  }
  return RG_SUCCESS;
}

static uint64_t
random_size( uint64_t r ) {
  return 16UL + r % 8177UL; /* 16..8192 bytes */
}

static int
unit_random_init( rg_bench_worker_t * w ) {
  if( !(w->live = malloc( w->live_cnt*sizeof(uint64_t) )) ) return RG_ERR_FULL;
  for( uint64_t i=0UL; i<w->live_cnt; i++ ) {
    int err = rg_bench_alloc( w, random_size( rg_bench_rnd( &w->rng ) ), &w->live[i] );
    if( err ) {
      while( i ) rg_bench_free( w, w->live[ --i ] );
      free( w->live );
      w->live = NULL;
      return err;
    }
  }
  return RG_SUCCESS;
}

static int
unit_random_run( rg_bench_worker_t * w,
                 uint64_t            n ) {
  for( uint64_t i=0UL; i<n; i++ ) {
    uint64_t r = rg_bench_rnd( &w->rng ), k = r % w->live_cnt;
    int err = rg_bench_free( w, w->live[k] );
    if( !err ) err = rg_bench_alloc( w, random_size( r>>32 ), &w->live[k] );
    if( err ) { w->live[k] = 0UL; return err; }
  }
  return RG_SUCCESS;
}

static void
unit_random_fini( rg_bench_worker_t * w ) {
  for( uint64_t i=0UL; i<w->live_cnt; i++ ) if( w->live[i] ) rg_bench_free( w, w->live[i] );
  free( w->live );
  w->live = NULL;
}

/* unit_batch8: alloc_n and free_n of 8 objects of the row's size per
   operation; unit_faa: one fetch-and-add on a word of the worker's own
   object per operation (the raw atomic rate, beside ib_atomic_bw's). */

static int
unit_batch8_run( rg_bench_worker_t * w,
                 uint64_t            n ) {
  rg_gaddr_t a[ 8 ];
  for( uint64_t i=0UL; i<n; i++ ) {
    uint64_t got;
    int err = rg_pool_alloc_n( w->pool, 0UL, w->size, 0UL, 8UL, a, &got );
    if( !err ) err = rg_pool_free_n( w->pool, 8UL, a, NULL );
    if( err ) return err;
  }
  return rg_pool_quiet( w->pool );
}

static int
unit_faa_init( rg_bench_worker_t * w ) {
  if( !(w->live = malloc( sizeof(uint64_t) )) ) return RG_ERR_FULL;
  int err = rg_pool_alloc( w->pool, 64UL, 64UL, 0UL, w->live );
  if( err ) { free( w->live ); w->live = NULL; }
  return err;
}

static int
unit_faa_run( rg_bench_worker_t * w,
              uint64_t            n ) {
  uint64_t old;
  for( uint64_t i=0UL; i<n; i++ ) {
    int err = rg_pool_faa( w->pool, w->live[0], 1UL, &old );
    if( err ) return err;
  }
  return RG_SUCCESS;
}

static void
unit_faa_fini( rg_bench_worker_t * w ) {
  rg_pool_free( w->pool, w->live[0] );
  free( w->live );
  w->live = NULL;
}

static rg_bench_unit_t const unit_pairs  = { NULL, unit_pairs_run, NULL };
static rg_bench_unit_t const unit_random = { unit_random_init, unit_random_run, unit_random_fini };
static rg_bench_unit_t const unit_batch8 = { NULL, unit_batch8_run, NULL };
static rg_bench_unit_t const unit_faa    = { unit_faa_init, unit_faa_run, unit_faa_fini };

/* Steps of latency rows (rg_bench_lat.h) *******************************/

/* scratch: a word of an object of our own, so that raw atomics, reads
   and writes leave the allocator's words alone. */

static int
scratch_init( rg_bench_lat_t * c ) {
  int err = rg_pool_alloc( c->pool, 64UL, 64UL, 0UL, &c->scratch );
  memset( c->word, 0, sizeof(c->word) );
  if( !err && (err = rg_pool_write( c->pool, c->scratch, c->word, sizeof(c->word) )) ) rg_pool_free( c->pool, c->scratch );
  return err;
}

static void
scratch_fini( rg_bench_lat_t * c ) {
  rg_pool_free( c->pool, c->scratch );
}

static int
step_cas( rg_bench_lat_t * c ) { /* a CAS that succeeds: cmp is the word's value */
  uint64_t found;
  int err = rg_mem_cas( c->mem, rg_gaddr_off( c->scratch ), c->word[0], c->word[0] + 1UL, &found );
  c->word[0] = found==c->word[0] ? found + 1UL : found;
  return err;
}

static int
step_faa( rg_bench_lat_t * c ) {
  uint64_t old;
  return rg_mem_faa( c->mem, rg_gaddr_off( c->scratch ), 1UL, &old );
}

static int
step_read( rg_bench_lat_t * c ) { /* a superblock's metadata: the read the allocator does */
  return rg_mem_read_words( c->mem, rg_gaddr_off( c->scratch ), c->word, 3UL );
}

static int
step_write_cas( rg_bench_lat_t * c ) { /* a posted write published by a CAS: a header before its slot */
  uint64_t off = rg_gaddr_off( c->scratch ), old, w[2] = { 1UL, 2UL };
  int err = rg_mem_write_words( c->mem, off + 8UL, w, 2UL );
  return err ? err : rg_mem_cas( c->mem, off, 0UL, 0UL, &old );
}

/* rts: the handle's round trips so far. */

static uint64_t
rts( rg_pool_t * pool ) {
  rg_mem_stats_t st;
  rg_pool_stats( pool, &st );
  return st.round_trips;
}

static int
step_pair( rg_bench_lat_t * c ) {
  rg_gaddr_t a;
  uint64_t r0 = rts( c->pool );
  int err = rg_pool_alloc( c->pool, 0UL, c->size, 0UL, &a );
  if( err ) return err;
  uint64_t r1 = rts( c->pool );
  err = rg_pool_free( c->pool, a );
  c->rt_alloc += r1 - r0;
  c->rt_free  += rts( c->pool ) - r1;
  return err;
}

static int
random_init( rg_bench_lat_t * c ) {
  if( !(c->live = malloc( c->live_cnt*sizeof(rg_gaddr_t) )) ) return RG_ERR_FULL;
  c->rng = 12345UL;
  for( uint64_t i=0UL; i<c->live_cnt; i++ ) {
    int err = rg_pool_alloc( c->pool, 0UL, random_size( rg_bench_rnd( &c->rng ) ), 0UL, &c->live[i] );
    if( err ) {
      while( i ) rg_pool_free( c->pool, c->live[ --i ] );
      free( c->live );
      return err;
    }
  }
  return RG_SUCCESS;
}

static int
step_random( rg_bench_lat_t * c ) {
  uint64_t r = rg_bench_rnd( &c->rng ), k = r % c->live_cnt;
  uint64_t r0 = rts( c->pool );
  int err = rg_pool_free( c->pool, c->live[k] );
  uint64_t r1 = rts( c->pool );
  if( !err ) err = rg_pool_alloc( c->pool, 0UL, random_size( r>>32 ), 0UL, &c->live[k] );
  if( err ) c->live[k] = RG_GADDR_NULL;
  c->rt_free  += r1 - r0;
  c->rt_alloc += rts( c->pool ) - r1;
  return err;
}

static void
random_fini( rg_bench_lat_t * c ) {
  for( uint64_t i=0UL; i<c->live_cnt; i++ ) if( c->live[i] ) rg_pool_free( c->pool, c->live[i] );
  free( c->live );
}

/* step_batch: alloc_n of n 64 B objects, then free_n of them. */

static int
step_batch( rg_bench_lat_t * c,
            uint64_t         n ) {
  rg_gaddr_t a[ 64 ];
  uint64_t got, r0 = rts( c->pool );
  int err = rg_pool_alloc_n( c->pool, 0UL, 64UL, 0UL, n, a, &got );
  if( err ) return err;
  uint64_t r1 = rts( c->pool );
  err = rg_pool_free_n( c->pool, n, a, NULL );
  c->rt_alloc += r1 - r0;
  c->rt_free  += rts( c->pool ) - r1;
  return err;
}

static int step_batch1 ( rg_bench_lat_t * c ) { return step_batch( c,  1UL ); }
static int step_batch8 ( rg_bench_lat_t * c ) { return step_batch( c,  8UL ); }
static int step_batch64( rg_bench_lat_t * c ) { return step_batch( c, 64UL ); }

/* step_pair_nbi: a 64 B alloc, then a free that does not wait. */

static int
step_pair_nbi( rg_bench_lat_t * c ) {
  rg_gaddr_t a;
  uint64_t r0 = rts( c->pool );
  int err = rg_pool_alloc( c->pool, 0UL, 64UL, 0UL, &a );
  if( err ) return err;
  uint64_t r1 = rts( c->pool );
  err = rg_pool_free_nbi( c->pool, a );
  c->rt_alloc += r1 - r0;
  c->rt_free  += rts( c->pool ) - r1;
  return err;
}

/* step_write_nbi: 8 posted writes of 64 B into the row's object, then
   a quiet that completes them. */

static int
write_nbi_init( rg_bench_lat_t * c ) {
  memset( c->word, 0, sizeof(c->word) );
  return rg_pool_alloc( c->pool, 64UL, 512UL, 0UL, &c->scratch );
}

static int
step_write_nbi( rg_bench_lat_t * c ) {
  static uint8_t buf[ 64 ];
  for( uint64_t i=0UL; i<8UL; i++ ) {
    int err = rg_pool_write_nbi( c->pool, c->scratch + 64UL*i, buf, sizeof(buf) );
    if( err ) return err;
  }
  return rg_pool_quiet( c->pool );
}

static void
quiet_fini( rg_bench_lat_t * c ) {
  rg_pool_quiet( c->pool );
}

/* The rows *************************************************************/

/* Latency rows of a --pool run, in order, a line each: op, bytes
   (NULL: a row per --sizes entry), size, split.  A batch row's step is
   one alloc_n and one free_n of n objects ("64x8": n 8 of 64 B). */

static rg_bench_lat_desc_t const lat_rows[] = {
  { "cas",            "8",       8UL,  0, scratch_init,   step_cas,       scratch_fini },
  { "faa",            "8",       8UL,  0, scratch_init,   step_faa,       scratch_fini },
  { "read",           "24",      24UL, 0, scratch_init,   step_read,      scratch_fini },
  { "write+cas",      "16+8",    24UL, 0, scratch_init,   step_write_cas, scratch_fini },
  { "alloc+free",     NULL,      0UL,  1, NULL,           step_pair,      NULL         },
  { "alloc+free_nbi", "64",      64UL, 1, NULL,           step_pair_nbi,  quiet_fini   },
  { "alloc_n+free_n", "64x1",    64UL, 1, NULL,           step_batch1,    quiet_fini   },
  { "alloc_n+free_n", "64x8",    64UL, 1, NULL,           step_batch8,    quiet_fini   },
  { "alloc_n+free_n", "64x64",   64UL, 1, NULL,           step_batch64,   quiet_fini   },
  { "write_nbi+quiet","64x8",    64UL, 0, write_nbi_init, step_write_nbi, scratch_fini },
  { "random",         "16-8192", 0UL,  1, random_init,    step_random,    random_fini  },
};

/* Rate rows of a --pool run: each for 1..--workers threads, a
   connection each: raw fetch-and-adds (the atomics per second to set
   beside perftest's ib_atomic_bw), alloc+free pairs, and batches of 8. */

typedef struct {
  char const *            op;
  char const *            bytes;
  uint64_t                size;
  rg_bench_unit_t const * unit;
  int                     pool_only; /* no glibc malloc twin (rgroove's own calls) */
} rate_desc_t;

static rate_desc_t const remote_rate_rows[] = {
  { "faa",            "8",    8UL,  &unit_faa,    1 },
  { "alloc+free",     "64",   64UL, &unit_pairs,  0 },
  { "alloc_n+free_n", "64x8", 64UL, &unit_batch8, 1 },
};

/* Rate rows of the local table: each for every --sizes entry (fixed)
   or once (random), with 1 thread, N threads and N processes. */

static rate_desc_t const local_rate_rows[] = {
  { "alloc+free",     NULL,      0UL,  &unit_pairs,  0 },
  { "alloc_n+free_n", "64x8",    64UL, &unit_batch8, 1 },
  { "random",         "16-8192", 0UL,  &unit_random, 0 },
};

#define COUNT(a) (sizeof(a)/sizeof((a)[0]))

/* A run: its options, outputs, and rows so far. */

typedef struct {
  opts_t const *   o;
  rg_bench_out_t * out;
  uint64_t         row_i, row_cnt;
  char             label[ 96 ];   /* the row being measured */
  double           cas_typical;   /* for the closing note */
  double           worst_ratio, worst_rt;
} run_t;

static void
progress( run_t *                run,
          rg_bench_row_t const * row,
          uint64_t               workers,
          int                    procs ) {
  run->row_i++;
  snprintf( run->label, sizeof(run->label), "row %lu/%lu: %s %s B, %s, %lu %s", run->row_i, run->row_cnt, row->op, row->bytes,
            row->impl, workers, procs ? "processes" : workers==1UL ? "thread" : "threads" );
  if( run->o->quiet ) return;
  if( run->o->duration ) fprintf( stderr, "%s: %s, about %lu s\n", PROG, run->label, run->o->duration );
  else                   fprintf( stderr, "%s: %s\n", PROG, run->label );
}

/* rate_row measures one rate row and writes it.  vs: the malloc row to
   compare with (NULL: none). */

static int
rate_row( run_t *              run,
          rate_desc_t const *  d,
          rg_pool_t *          pool,
          char const *         bytes,
          uint64_t             size,
          uint64_t             live,
          uint64_t             workers,
          int                  procs,
          rg_bench_row_t *     row,
          rg_bench_row_t const * vs ) {
  rg_bench_row_init( row, d->op, pool ? "rgroove" : "malloc", bytes, size );
  progress( run, row, workers, procs );
  rg_bench_job_t job = { d->unit, pool, size, live, workers, procs, run->o->iters, run->o->duration, run->o->runs };
  int err = rg_bench_work_run( &job, row );
  if( err ) return err;
  if( vs ) row->vs_malloc = row->t_typical/vs->t_typical;
  else if( !pool && run->o->malloc_rows ) row->vs_malloc = 1.0;
  err = rg_bench_out_row( run->out, row );
  if( !err && row->counted && row->ops && row->ops_per_s>0.0 ) { /* what the adapter was asked for */
    double secs = (double)row->ops/row->ops_per_s;
    rg_bench_out_note( run->out, "%s %s B, %lu thread(s): %.0f atomics/s (CAS and FAA), %.3f CAS retries per operation",
                       row->op, row->bytes, workers, (double)(row->sum.cas + row->sum.faa)/secs,
                       (double)row->sum.cas_failed/(double)row->ops );
  }
  return err;
}

static int
run_local( run_t *     run,
           rg_pool_t * pool ) {
  opts_t const * o = run->o;
  for( uint64_t di=0UL; di<COUNT(local_rate_rows); di++ ) {
    rate_desc_t const * d = &local_rate_rows[di];
    uint64_t n = d->bytes ? 1UL : o->size_cnt;
    for( uint64_t si=0UL; si<n; si++ ) {
      uint64_t size = d->bytes ? d->size : o->size[si];
      char     bytes[ 24 ];
      snprintf( bytes, sizeof(bytes), "%lu", size );
      for( int mode=0; mode<3; mode++ ) { /* 1 thread, N threads, N processes */
        uint64_t workers = mode ? o->workers : 1UL;
        if( mode==1 && workers==1UL ) continue;
        rg_bench_row_t m, r;
        int twin = o->malloc_rows && !d->pool_only;
        int err = twin ? rate_row( run, d, NULL, d->bytes ? d->bytes : bytes, size, LIVE_LOCAL, workers, mode==2, &m, NULL ) : 0;
        if( !err ) err = rate_row( run, d, pool, d->bytes ? d->bytes : bytes, size, LIVE_LOCAL, workers, mode==2, &r, twin ? &m : NULL );
        if( err ) return err;
      }
    }
  }
  return RG_SUCCESS;
}

/* lat_row measures one latency row and writes it. */

static int
lat_row( run_t *                     run,
         rg_bench_lat_desc_t const * d,
         rg_pool_t *                 pool,
         char const *                bytes,
         uint64_t                    size ) {
  rg_bench_row_t row;
  rg_bench_row_init( &row, d->op, "rgroove", bytes, size );
  progress( run, &row, 1UL, 0 );
  rg_bench_lat_t c = { .pool = pool, .mem = rg_groove_mem( rg_pool_groove( pool ) ), .size = size, .live_cnt = LIVE_REMOTE };
  int err = rg_bench_lat_run( d, &c, run->o->iters, run->o->duration, &row );
  if( err ) return err;
  if( !strcmp( d->op, "cas" ) ) run->cas_typical = row.t_typical;
  if( d->split && !strcmp( d->op, "alloc+free" ) ) {
    if( run->cas_typical>0.0 && row.t_typical/run->cas_typical>run->worst_ratio ) run->worst_ratio = row.t_typical/run->cas_typical;
    if( row.rt_alloc + row.rt_free>run->worst_rt ) run->worst_rt = row.rt_alloc + row.rt_free;
  }
  err = rg_bench_out_row( run->out, &row );
  char const * x = strchr( bytes, 'x' );
  if( !err && x && row.counted && !strcmp( d->op, "alloc_n+free_n" ) ) {
    double n = strtod( x + 1, NULL );
    rg_bench_out_note( run->out, "alloc_n+free_n of %.0f: %.3f round trips per object (alloc %.3f, free %.3f), %.2f us per object",
                       n, (row.rt_alloc + row.rt_free)/n, row.rt_alloc/n, row.rt_free/n, row.t_typical/n );
  }
  return err;
}

static int
run_remote( run_t *     run,
            rg_pool_t * pool ) {
  opts_t const * o = run->o;
  for( uint64_t di=0UL; di<COUNT(lat_rows); di++ ) {
    rg_bench_lat_desc_t const * d = &lat_rows[di];
    for( uint64_t si=0UL; si<(d->bytes ? 1UL : o->size_cnt); si++ ) {
      char bytes[ 24 ];
      snprintf( bytes, sizeof(bytes), "%lu", o->size[si] );
      int err = d->bytes ? lat_row( run, d, pool, d->bytes, d->size ) : lat_row( run, d, pool, bytes, o->size[si] );
      if( err ) return err;
    }
  }
  int counted = rg_mem_round_trips( rg_groove_mem( rg_pool_groove( pool ) ) );
  if( counted && run->cas_typical>0.0 )
    rg_bench_out_note( run->out, "steady-state alloc+free: at most %.2f round trips, typical latency at most %.2f x one CAS",
                       run->worst_rt, run->worst_ratio );
  for( uint64_t di=0UL; di<COUNT(remote_rate_rows); di++ ) {
    rate_desc_t const * d = &remote_rate_rows[di];
    for( uint64_t w=1UL; w<=o->workers; w++ ) {
      rg_bench_row_t row;
      int err = rate_row( run, d, pool, d->bytes, d->size, LIVE_REMOTE, w, 0, &row, NULL );
      if( err ) return err;
    }
  }
  return RG_SUCCESS;
}

static uint64_t
row_count( opts_t const * o ) {
  uint64_t n = 0UL;
  if( o->pool ) {
    for( uint64_t i=0UL; i<COUNT(lat_rows); i++ ) n += lat_rows[i].bytes ? 1UL : o->size_cnt;
    return n + COUNT(remote_rate_rows)*o->workers;
  }
  for( uint64_t i=0UL; i<COUNT(local_rate_rows); i++ )
    n += (local_rate_rows[i].bytes ? 1UL : o->size_cnt)*(o->malloc_rows && !local_rate_rows[i].pool_only ? 2UL : 1UL);
  return n*(o->workers>1UL ? 3UL : 2UL);
}

/* Options **************************************************************/

static void
usage( FILE * f ) {
  fprintf( f,
    "usage: rgroove-bench [options]\n"
    "\n"
    "Without --pool: ns per alloc+free pair (each --sizes entry) and per random\n"
    "step (free a random one of %lu live objects, allocate 16..8192 bytes) on a\n"
    "local shm pool with 1 thread, N threads and N processes, beside glibc malloc.\n"
    "With --pool URI (verbs://HOST[:PORT], ucx://HOST[:PORT], loop:anon, ...):\n"
    "latency rows on one connection (CAS, FAA, a 24-byte read, a posted write and\n"
    "a CAS, alloc+free per size, alloc + a non-blocking free, alloc_n+free_n of 1,\n"
    "8 and 64 objects, 8 non-blocking writes and a quiet, a random step over %lu\n"
    "live objects; perftest's columns with 99%% and 99.9%%), round trips per alloc,\n"
    "per free, per step and per object of a batch, then throughput with 1..N\n"
    "threads of raw FAAs (atomics/s, to set beside ib_atomic_bw), alloc+free pairs\n"
    "and batches of 8, with the atomics/s and CAS retries each asked for.  anon and\n"
    "loop:anon pools are created for the run; others are opened.\n"
    "\n"
    "Output: a '#' setup block, a header line ('#op ...') and one line per row,\n"
    "each printed as it completes; progress lines go to stderr.\n"
    "\n"
    "  -p, --pool URI        measure this pool instead of the local table\n"
    "  -i, --iters N         timed operations per row (rate rows: per worker per\n"
    "                        run; default 1000000 locally)\n"
    "  -d, --duration SECS   run each row for about SECS seconds instead, its\n"
    "                        iterations chosen by a trial (default 1 with --pool;\n"
    "                        latency rows time at most %lu operations)\n"
    "  -r, --runs N          runs per rate row (default 5, at most %lu)\n"
    "  -w, --workers N       local: N threads and N processes; --pool: rate rows for\n"
    "                        1..N threads (default 2, at most %lu)\n"
    "  -s, --sizes LIST      comma-separated alloc+free sizes (default 64,512,4096,65536)\n"
    "  -m, --no-malloc       no glibc malloc rows\n"
    "  -j, --json FILE       also write the results as JSON ('-': stdout, no table)\n"
    "  -c, --csv FILE        also write them as CSV ('-': stdout, no table)\n"
    "  -q, --quiet           no progress lines on stderr\n"
    "  -V, --version         print the version and exit\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 done, 1 a row or an output failed, 2 bad options.\n",
    LIVE_LOCAL, LIVE_REMOTE, RG_BENCH_LAT_ITER_MAX, RG_BENCH_RUN_MAX, RG_BENCH_WORKER_MAX );
}

static int
parse_sizes( char const * text,
             opts_t *     o ) {
  char buf[ 256 ], * save = NULL;
  if( strlen( text )>=sizeof(buf) ) { fprintf( stderr, "%s: --sizes: the list is too long\n", PROG ); return RG_ERR_INVAL; }
  strcpy( buf, text );
  o->size_cnt = 0UL;
  for( char * t=strtok_r( buf, ",", &save ); t; t=strtok_r( NULL, ",", &save ) ) {
    if( o->size_cnt==SIZE_MAX_CNT ) { fprintf( stderr, "%s: --sizes: at most %lu sizes\n", PROG, SIZE_MAX_CNT ); return RG_ERR_INVAL; }
    if( rg_opt_u64( PROG, "--sizes", t, 1UL, RG_VOLUME_FOOTPRINT, &o->size[ o->size_cnt++ ] ) ) return RG_ERR_INVAL;
  }
  if( !o->size_cnt ) { fprintf( stderr, "%s: --sizes: give at least one size\n", PROG ); return RG_ERR_INVAL; }
  return RG_SUCCESS;
}

/* parse_opts fills o; returns 0 to run, 1 to exit 0 (--help,
   --version), 2 on bad options (said on stderr). */

static int
parse_opts( int      argc,
            char **  argv,
            opts_t * o ) {
  static struct option const opts[] = {
    { "pool",    required_argument, NULL, 'p' }, { "iters",     required_argument, NULL, 'i' },
    { "duration",required_argument, NULL, 'd' }, { "runs",      required_argument, NULL, 'r' },
    { "workers", required_argument, NULL, 'w' }, { "sizes",     required_argument, NULL, 's' },
    { "json",    required_argument, NULL, 'j' }, { "csv",       required_argument, NULL, 'c' },
    { "no-malloc", no_argument,     NULL, 'm' }, { "quiet",     no_argument,       NULL, 'q' },
    { "version", no_argument,       NULL, 'V' }, { "help",      no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
  };
  *o = (opts_t){ .runs = 5UL, .workers = 2UL, .malloc_rows = 1 };
  if( parse_sizes( "64,512,4096,65536", o ) ) return 2;
  int bad = 0;
  for( int c; (c = getopt_long( argc, argv, "p:i:d:r:w:s:j:c:mqVh", opts, NULL ))!=-1; ) {
    switch( c ) {
    case 'p': o->pool = optarg; break;
    case 'i': bad |= !!rg_opt_u64( PROG, "--iters",    optarg, 1UL, RG_BENCH_ITER_MAX,   &o->iters    ); break;
    case 'd': bad |= !!rg_opt_u64( PROG, "--duration", optarg, 1UL, 86400UL,             &o->duration ); break;
    case 'r': bad |= !!rg_opt_u64( PROG, "--runs",     optarg, 1UL, RG_BENCH_RUN_MAX,    &o->runs     ); break;
    case 'w': bad |= !!rg_opt_u64( PROG, "--workers",  optarg, 1UL, RG_BENCH_WORKER_MAX, &o->workers  ); break;
    case 's': bad |= !!parse_sizes( optarg, o ); break;
    case 'j': o->json = optarg; break;
    case 'c': o->csv  = optarg; break;
    case 'm': o->malloc_rows = 0; break;
    case 'q': o->quiet = 1; break;
    case 'V': rg_opt_version( PROG ); return 1;
    case 'h': usage( stdout ); return 1;
    default:  fprintf( stderr, "%s: see --help\n", PROG ); return 2;
    }
  }
  if( optind<argc ) { fprintf( stderr, "%s: unexpected argument '%s' (see --help)\n", PROG, argv[ optind ] ); return 2; }
  if( o->iters && o->duration ) { fprintf( stderr, "%s: give --iters or --duration, not both\n", PROG ); return 2; }
  if( bad ) return 2;
  if( !o->iters && !o->duration ) { if( o->pool ) o->duration = 1UL; else o->iters = 1000000UL; }
  if( o->pool ) o->malloc_rows = 0;
  return 0;
}

/* The pool *************************************************************/

/* open_pool creates an anonymous pool (anon, loop:anon: nothing to open
   by name) or opens the named one; *created says which.  NULL on
   failure, said on stderr. */

static rg_pool_t *
open_pool( char const * uri,
           uint64_t     volumes,
           int *        created ) {
  rg_uri_t u;
  if( rg_uri_parse( uri, &u ) ) { fprintf( stderr, "%s: --pool %s: %s\n", PROG, uri, rg_errmsg() ); return NULL; }
  *created = !strcmp( u.scheme, "anon" ) || (!strcmp( u.scheme, "loop" ) && !strcmp( u.inner, "anon" ));
  int err;
  rg_pool_t * pool = *created ? rg_pool_create( uri, volumes, volumes, &err ) : rg_pool_open( uri, 1UL, &err );
  if( !pool ) fprintf( stderr, "%s: cannot %s %s: %s\n", PROG, *created ? "create" : "open", uri, rg_errmsg() );
  return pool;
}

int
main( int     argc,
      char ** argv ) {
  opts_t o;
  int st = parse_opts( argc, argv, &o );
  if( st ) return st==1 ? 0 : 2;

  int err;
  rg_bench_out_t * out = rg_bench_out_open( o.json, o.csv, &err ); /* first: a bad path fails before a long set-up */
  if( !out ) return err==RG_ERR_INVAL ? 2 : 1;
  char const * uri     = o.pool ? o.pool : "anon";
  uint64_t     volumes = o.pool ? o.workers + 2UL : 2UL*o.workers + 2UL;
  int          created;
  rg_pool_t *  pool    = open_pool( uri, volumes, &created );
  if( !pool ) {
    rg_bench_out_close( out, "the pool could not be opened (see stderr)" );
    return 1;
  }

  rg_conn_t const * conn = rg_pool_conn( pool, 0UL );
  rg_bench_setup_t setup = {
    .pool        = uri,
    .transport   = conn->tp->name,
    .transport_summary = conn->tp->summary,
    .remote      = !!o.pool,
    .created     = created,
    .volumes     = created ? volumes : 0UL,
    .counted     = rg_mem_round_trips( &conn->mem ),
    .malloc_rows = o.malloc_rows,
    .iters       = o.iters,
    .duration    = o.duration,
    .runs        = o.runs,
    .workers     = o.workers,
    .warmup_lat  = o.pool ? RG_BENCH_LAT_WARMUP : 0UL,
    .warmup_rate = RG_BENCH_WARMUP,
    .live        = o.pool ? LIVE_REMOTE : LIVE_LOCAL,
    .row_cnt     = row_count( &o ),
  };
  run_t run = { .o = &o, .out = out, .row_cnt = setup.row_cnt };
  err = rg_bench_out_setup( out, &setup );
  if( !err ) err = o.pool ? run_remote( &run, pool ) : run_local( &run, pool );
  char why[ 160 ];
  if( run.row_i ) snprintf( why, sizeof(why), "%s failed (stderr says why)", run.label );
  else            snprintf( why, sizeof(why), "writing the setup block failed" );
  int out_err = rg_bench_out_close( out, err ? why : NULL );
  rg_pool_close( pool );
  return err || out_err ? 1 : 0;
}
