#ifndef RGROOVE_TOOLS_RG_BENCH_LAT_H
#define RGROOVE_TOOLS_RG_BENCH_LAT_H

/* rg_bench_lat.h: rgroove-bench's latency rows.  One handle times each
   step of a row one by one (perftest's way): a row is described by an
   rg_bench_lat_desc_t (set-up, one step, tear-down), and the harness
   warms up, picks the step count for a duration if asked, times, and
   counts the transport's requests over the timed steps. */

#include "rg_bench_row.h"

#define RG_BENCH_LAT_WARMUP   (16UL)      /* untimed steps before the timed ones */
#define RG_BENCH_LAT_ITER_MAX (1UL<<22)   /* timed steps per row with a duration (memory: 8 bytes each) */

/* What a row's steps work on. */

typedef struct {
  rg_pool_t *      pool;
  rg_mem_t const * mem;      /* the pool's first server's memory operations */
  uint64_t         size;     /* the row's size (rows per --sizes entry) */
  rg_gaddr_t       scratch;  /* an object of the row's own (init/fini) */
  uint64_t         word[ 4 ];
  rg_gaddr_t *     live;     /* the row's live objects (init/fini) */
  uint64_t         live_cnt; /* how many a row wants */
  uint64_t         rng;
  uint64_t         rt_alloc; /* a split step adds the round trips of its alloc and its free here */
  uint64_t         rt_free;
} rg_bench_lat_t;

/* A latency row.  step does one operation (what the row's op names);
   init (NULL: none) sets up before the warm-up, fini (NULL: none)
   releases what init took and runs whenever init succeeded.  init and
   step return RG_SUCCESS or an RG_ERR_* code (rg_errmsg says why); an
   init that fails releases what it took. */

typedef struct {
  char const * op;     /* "cas", "alloc+free", ... */
  char const * bytes;  /* bytes per step as printed; NULL: one row per --sizes entry, named by it */
  uint64_t     size;   /* bytes as one number for plots (0: a range); ignored with bytes NULL */
  int          split;  /* step fills rt_alloc and rt_free */
  int  (*init)( rg_bench_lat_t * c );
  int  (*step)( rg_bench_lat_t * c );
  void (*fini)( rg_bench_lat_t * c );
} rg_bench_lat_desc_t;

/* rg_bench_lat_run runs row d over c (pool, mem, size and live_cnt set
   by the caller) with iters timed steps, or (iters 0) as many as fit in
   about duration seconds, at most RG_BENCH_LAT_ITER_MAX.  Fills row
   (initialized by the caller): the latency figures, seconds, the
   counters over the timed steps, and rt_alloc / rt_free for a split
   row.  Returns RG_SUCCESS, RG_ERR_FULL (no memory for the samples) or
   the step's error; on failure it has said why on stderr. */

int
rg_bench_lat_run( rg_bench_lat_desc_t const * d,
                  rg_bench_lat_t *            c,
                  uint64_t                    iters,
                  uint64_t                    duration,
                  rg_bench_row_t *            row );

#endif /* RGROOVE_TOOLS_RG_BENCH_LAT_H */
