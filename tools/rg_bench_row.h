#ifndef RGROOVE_TOOLS_RG_BENCH_ROW_H
#define RGROOVE_TOOLS_RG_BENCH_ROW_H

/* rg_bench_row.h: one row of rgroove-bench's results and the
   statistics that fill it.  A row is one kind of operation (a CAS, an
   alloc+free pair, a random step, ...) measured one way:

   - a latency row (lat 1): one worker times each of iters operations
     one by one; t_* are over those operations (perftest's columns:
     minimum, maximum, median, mean, sample standard deviation, 99th and
     99.9th percentiles).
   - a rate row (lat 0): workers threads or processes each run iters
     operations, runs times over; each run gives the mean time of one
     operation on one worker, and t_* are over the runs (no percentiles:
     p99 and p999 stay undefined).

   Times are in microseconds.  An undefined figure is NaN (rg_bench_out
   prints it "-", null in JSON, empty in CSV).  Rows are plain values,
   used by one thread. */

#include "rgroove/rgroove.h"

typedef struct {
  char const *   op;          /* "cas", "alloc+free", "random", ... */
  char const *   impl;        /* "rgroove" or "malloc" */
  char           bytes[ 24 ]; /* bytes per operation as printed: "64", "16+8", "16-8192" */
  uint64_t       size;        /* the same as one number for plots; 0: none (a range) */
  int            lat;         /* 1: latency row, 0: rate row */
  uint64_t       workers;
  int            procs;       /* the workers are processes (1) or threads (0) */
  uint64_t       runs;        /* 1 on latency rows */
  uint64_t       iters;       /* timed operations per worker per run */
  double         t_min, t_max, t_typical, t_avg, t_stdev, p99, p999;
  double         ops_per_s;   /* operations per second over all workers */
  double         vs_malloc;   /* t_typical over glibc malloc's on the same row; NaN: none */
  double         seconds;     /* wall time of the row, set-up and warm-up included */
  int            counted;     /* the transport counts its requests (RG_MEM_CAP_ROUND_TRIP) */
  uint64_t       ops;         /* timed operations the counters cover, over every worker and run */
  rg_mem_stats_t sum;         /* the transport's counters over those operations */
  double         rt_alloc;    /* round trips per alloc and per free of a pair; NaN: not split */
  double         rt_free;
} rg_bench_row_t;

/* rg_bench_row_init clears row and names it: op and impl must outlive
   the row; bytes is copied (truncated to 23 characters); size as
   above.  Every figure starts undefined (NaN), every count at 0. */

void
rg_bench_row_init( rg_bench_row_t * row,
                   char const *     op,
                   char const *     impl,
                   char const *     bytes,
                   uint64_t         size );

/* rg_bench_row_lat fills a latency row's t_*, p99, p999 and ops_per_s
   (one over the mean) from n>=1 samples us[] (microseconds per
   operation), which it sorts in place.  Sets lat, workers 1, runs 1,
   iters n. */

void
rg_bench_row_lat( rg_bench_row_t * row,
                  double *         us,
                  uint64_t         n );

/* rg_bench_row_rate fills a rate row's t_* and ops_per_s (workers over
   the median) from runs>=1 figures us[] (mean microseconds per
   operation per worker of each run), sorted in place; p99 and p999 stay
   NaN.  row->workers must be set. */

void
rg_bench_row_rate( rg_bench_row_t * row,
                   double *         us,
                   uint64_t         runs );

/* rg_bench_row_count adds the counters a connection gained between
   before and after to row->sum. */

void
rg_bench_row_count( rg_bench_row_t *       row,
                    rg_mem_stats_t const * before,
                    rg_mem_stats_t const * after );

#endif /* RGROOVE_TOOLS_RG_BENCH_ROW_H */
