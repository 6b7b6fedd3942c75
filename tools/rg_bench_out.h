#ifndef RGROOVE_TOOLS_RG_BENCH_OUT_H
#define RGROOVE_TOOLS_RG_BENCH_OUT_H

/* rg_bench_out.h: rgroove-bench's output.  One set of rows goes to up
   to three places at once, each written and flushed row by row:

   - the table (stdout): a '#' setup block, one header line whose fields
     match every row's one for one, the rows, '#' notes.  A reader
     parses it as: lines starting "# " are comments, the line starting
     "#op" is the header, every other line is a row of whitespace
     separated fields ("-" where a figure is undefined).
   - JSON (--json FILE): the schema is in rg_bench_out.c.
   - CSV (--csv FILE): one header line, then one line per row: the
     setup fields first (named setup_NAME after JSON's), then the row's
     fields (named as in JSON); an undefined figure is an empty field.

   FILE "-" is stdout; then the table is not printed.  An rg_bench_out_t
   is used by one thread. */

#include "rg_bench_row.h"

#include <stdio.h>

/* What a run measured and how: the setup block. */

typedef struct {
  char const * pool;              /* the URI measured */
  char const * transport;         /* its transport's name: "shm", "loop", "verbs", "ucx" */
  char const * transport_summary; /* the transport's one-line summary */
  int          remote;            /* 1: a --pool run (latency rows, then rate rows for 1..workers
                                     threads); 0: the local table beside glibc malloc */
  int          created;           /* this run created the pool and drops it at the end */
  uint64_t     volumes;           /* 1 GiB volumes of a created pool; 0: not known */
  int          counted;           /* the transport counts requests: per-operation counters exist */
  int          malloc_rows;       /* the local table has glibc malloc rows */
  uint64_t     iters;             /* --iters; 0 when rows run for --duration */
  uint64_t     duration;          /* --duration: seconds per row; 0 with --iters */
  uint64_t     runs;              /* runs per rate row */
  uint64_t     workers;           /* local: the N of the N-thread and N-process rows;
                                     remote: rate rows for 1..N threads */
  uint64_t     warmup_lat;        /* untimed operations before a latency row's (0: none) */
  uint64_t     warmup_rate;       /* untimed operations per worker before each rate run, at most */
  uint64_t     live;              /* live objects of the random workload (per worker) */
  uint64_t     row_cnt;           /* rows planned */
} rg_bench_setup_t;

typedef struct rg_bench_out rg_bench_out_t;

/* rg_bench_out_open opens the outputs: json_path and csv_path may be
   NULL (none), "-" (stdout; at most one of them) or a file, created or
   truncated.  Returns the handle, or NULL with *err RG_ERR_INVAL (both
   "-") or RG_ERR_IO (a file cannot be created), having said why on
   stderr. */

rg_bench_out_t *
rg_bench_out_open( char const * json_path,
                   char const * csv_path,
                   int *        err );

/* rg_bench_out_setup writes the setup block: the table's '#' lines and
   header, JSON's "setup" object, the CSV header.  Once, before any row;
   setup is copied.  Returns RG_SUCCESS or RG_ERR_IO (a write failed,
   said on stderr; so for the functions below). */

int
rg_bench_out_setup( rg_bench_out_t *         out,
                    rg_bench_setup_t const * setup );

/* rg_bench_out_row writes one row everywhere and flushes.  Returns
   RG_SUCCESS or RG_ERR_IO (a write failed). */

int
rg_bench_out_row( rg_bench_out_t *       out,
                  rg_bench_row_t const * row );

/* rg_bench_out_note adds a note: a "# " line in the table now, an entry
   of JSON's "notes" at the end (at most 16 notes, 255 characters each;
   more are dropped from JSON).  Returns RG_SUCCESS or RG_ERR_IO. */

int
rg_bench_out_note( rg_bench_out_t * out,
                   char const *     fmt,
                   ... ) __attribute__((format(printf,2,3)));

/* rg_bench_out_close ends the JSON document ("complete": true when
   error is NULL, else false with "error": error), closes the files and
   frees out (NULL: nothing).  Returns RG_SUCCESS or RG_ERR_IO (a write
   or close failed: the output is incomplete). */

int
rg_bench_out_close( rg_bench_out_t * out,
                    char const *     error );

#endif /* RGROOVE_TOOLS_RG_BENCH_OUT_H */
