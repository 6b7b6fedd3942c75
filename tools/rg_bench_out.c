/* rgroove-bench's output: table, JSON, CSV (rg_bench_out.h).

   JSON schema "rgroove-bench/1": one object,

     {
       "schema":   "rgroove-bench/1",
       "setup":    { SETUP } | null,      null: the run stopped before it began
       "rows":     [ { ROW }, ... ],      in the order measured
       "notes":    [ "text", ... ],       the table's closing '#' notes
       "complete": true | false,          false: the run stopped early
       "error":    null | "what failed"
     }

   SETUP (the table's '#' block; rg_bench_setup_t says more; in CSV
   each is a column setup_NAME on every row):
     "tool" "rgroove-bench", "version" string, "date" string (UTC, ISO 8601),
     "host" string, "pool" string (URI), "transport" string,
     "transport_summary" string, "remote" bool, "created" bool,
     "volumes" number|null, "paranoid" bool, "counted" bool,
     "malloc_rows" bool, "iters" number|null (null: rows ran for
     "duration_s"), "duration_s" number|null, "runs" number, "workers"
     number, "warmup_latency" number, "warmup_rate_max" number,
     "live_objects" number, "random_bytes" "16-8192", "rows_planned" number.

   ROW (a row of the table, whose mode column says "procs"; the same
   names in CSV; times in microseconds;
   an "operation" is what "op" names: one CAS, one alloc+free pair, one
   random step, ...):
     "op" string, "impl" "rgroove"|"malloc", "bytes" string (as printed),
     "size" number|null (bytes as one number, for plots; null: a range),
     "kind" "latency"|"rate", "workers" number, "mode" "threads"|"processes",
     "runs" number, "iters" number (timed operations per worker per run),
     "t_min_us", "t_max_us", "t_typical_us" (median), "t_avg_us",
     "t_stdev_us" numbers: over operations (latency) or over runs (rate),
     "p99_us", "p999_us" number (latency) | null (rate),
     "ops_per_s" number (over all workers),
     "vs_malloc" number|null (t_typical over glibc malloc's, same row),
     "seconds" number (wall time of the row),
     "ops_counted" number (timed operations the counters cover),
     and per operation, null where the transport counts nothing (shm,
     malloc): "round_trips_per_op", "reads_per_op", "writes_per_op",
     "atomics_per_op" (cas + faa), "cas_per_op", "cas_failed_per_op",
     "faa_per_op", "doorbells_per_op", "bytes_read_per_op",
     "bytes_written_per_op"; "round_trips_alloc", "round_trips_free"
     number|null (per alloc and per free of an alloc+free pair or a
     random step; null: not split).

   A number undefined for a row is null; a consumer must accept null
   for every number but "runs", "iters", "workers" and "ops_counted". */

#include "rg_bench_out.h"
#include "rgroove/rg_version.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOTE_MAX    (16)
#define NOTE_SZ     (256)

/* A field's value, for every writer. */

#define V_STR  (0)
#define V_U64  (1)
#define V_F64  (2) /* NaN: undefined */
#define V_BOOL (3)

typedef struct {
  int          t;
  char const * s;
  uint64_t     u;
  double       d;
} val_t;

static val_t v_str ( char const * s ) { return (val_t){ .t = V_STR,  .s = s }; }
static val_t v_u64 ( uint64_t u )     { return (val_t){ .t = V_U64,  .u = u }; }
static val_t v_f64 ( double d )       { return (val_t){ .t = V_F64,  .d = d }; }
static val_t v_bool( int b )          { return (val_t){ .t = V_BOOL, .u = !!b }; }
static val_t v_opt ( uint64_t u )     { return u ? v_u64( u ) : v_f64( NAN ); } /* 0: null */

/* A field: its JSON and CSV name, and its table column (head NULL: not
   in the table) with width and decimals.  The table's header and rows
   both walk this list, so their fields match one for one. */

typedef struct {
  char const * name;
  char const * head;
  int          width;
  int          prec;
} field_t;

enum {
  R_OP, R_IMPL, R_BYTES, R_SIZE, R_KIND, R_WORKERS, R_MODE, R_RUNS, R_ITERS,
  R_TMIN, R_TMAX, R_TTYP, R_TAVG, R_TSTDEV, R_P99, R_P999, R_OPS, R_RT, R_RT_ALLOC, R_RT_FREE,
  R_VS_MALLOC, R_SECONDS, R_OPS_COUNTED, R_READS, R_WRITES, R_ATOMICS, R_CAS, R_CAS_FAILED, R_FAA,
  R_DOORBELLS, R_BYTES_READ, R_BYTES_WRITTEN, R_CNT
};

static field_t const row_field[ R_CNT ] = {
  [R_OP]           = { "op",                   "#op",             12, 0 },
  [R_IMPL]         = { "impl",                 "impl",             7, 0 },
  [R_BYTES]        = { "bytes",                "bytes",            7, 0 },
  [R_SIZE]         = { "size",                 NULL,               0, 0 },
  [R_KIND]         = { "kind",                 "kind",             7, 0 },
  [R_WORKERS]      = { "workers",              "workers",          7, 0 },
  [R_MODE]         = { "mode",                 "mode",             9, 0 },
  [R_RUNS]         = { "runs",                 "runs",             4, 0 },
  [R_ITERS]        = { "iters",                "iters",           10, 0 },
  [R_TMIN]         = { "t_min_us",             "t_min[usec]",     11, 4 },
  [R_TMAX]         = { "t_max_us",             "t_max[usec]",     11, 4 },
  [R_TTYP]         = { "t_typical_us",         "t_typical[usec]", 15, 4 },
  [R_TAVG]         = { "t_avg_us",             "t_avg[usec]",     11, 4 },
  [R_TSTDEV]       = { "t_stdev_us",           "t_stdev[usec]",   13, 4 },
  [R_P99]          = { "p99_us",               "99%[usec]",       11, 4 },
  [R_P999]         = { "p999_us",              "99.9%[usec]",     11, 4 },
  [R_OPS]          = { "ops_per_s",            "ops/s",           12, 0 },
  [R_RT]           = { "round_trips_per_op",   "rt/op",            6, 2 },
  [R_RT_ALLOC]     = { "round_trips_alloc",    "rt_alloc",         8, 2 },
  [R_RT_FREE]      = { "round_trips_free",     "rt_free",          7, 2 },
  [R_VS_MALLOC]    = { "vs_malloc",            NULL,               0, 0 },
  [R_SECONDS]      = { "seconds",              NULL,               0, 0 },
  [R_OPS_COUNTED]  = { "ops_counted",          NULL,               0, 0 },
  [R_READS]        = { "reads_per_op",         NULL,               0, 0 },
  [R_WRITES]       = { "writes_per_op",        NULL,               0, 0 },
  [R_ATOMICS]      = { "atomics_per_op",       NULL,               0, 0 },
  [R_CAS]          = { "cas_per_op",           NULL,               0, 0 },
  [R_CAS_FAILED]   = { "cas_failed_per_op",    NULL,               0, 0 },
  [R_FAA]          = { "faa_per_op",           NULL,               0, 0 },
  [R_DOORBELLS]    = { "doorbells_per_op",     NULL,               0, 0 },
  [R_BYTES_READ]   = { "bytes_read_per_op",    NULL,               0, 0 },
  [R_BYTES_WRITTEN]= { "bytes_written_per_op", NULL,               0, 0 },
};

enum {
  S_TOOL, S_VERSION, S_DATE, S_HOST, S_POOL, S_TRANSPORT, S_SUMMARY, S_REMOTE, S_CREATED, S_VOLUMES,
  S_PARANOID, S_COUNTED, S_MALLOC, S_ITERS, S_DURATION, S_RUNS, S_WORKERS, S_WARMUP_LAT, S_WARMUP_RATE,
  S_LIVE, S_RANDOM, S_ROWS, S_CNT
};

static char const * const setup_field[ S_CNT ] = {
  [S_TOOL] = "tool", [S_VERSION] = "version", [S_DATE] = "date", [S_HOST] = "host", [S_POOL] = "pool",
  [S_TRANSPORT] = "transport", [S_SUMMARY] = "transport_summary", [S_REMOTE] = "remote",
  [S_CREATED] = "created", [S_VOLUMES] = "volumes", [S_PARANOID] = "paranoid", [S_COUNTED] = "counted",
  [S_MALLOC] = "malloc_rows", [S_ITERS] = "iters", [S_DURATION] = "duration_s", [S_RUNS] = "runs",
  [S_WORKERS] = "workers", [S_WARMUP_LAT] = "warmup_latency", [S_WARMUP_RATE] = "warmup_rate_max",
  [S_LIVE] = "live_objects", [S_RANDOM] = "random_bytes", [S_ROWS] = "rows_planned",
};

struct rg_bench_out {
  FILE *           table;   /* NULL: not printed */
  FILE *           json;
  FILE *           csv;
  rg_bench_setup_t setup;
  char             date[ 32 ];
  char             host[ 64 ];
  val_t            sv[ S_CNT ];
  int              started; /* the setup block is written */
  uint64_t         rows;
  int              note_cnt;
  char             note[ NOTE_MAX ][ NOTE_SZ ];
};

static FILE *
rg_bench_out_file( char const * path,
                   int *        err ) {
  if( !strcmp( path, "-" ) ) return stdout;
  FILE * f = fopen( path, "w" );
  if( !f ) {
    fprintf( stderr, "rgroove-bench: cannot create %s: %m; give a writable path\n", path );
    *err = RG_ERR_IO;
  }
  return f;
}

rg_bench_out_t *
rg_bench_out_open( char const * json_path,
                   char const * csv_path,
                   int *        err ) {
  if( json_path && csv_path && !strcmp( json_path, "-" ) && !strcmp( csv_path, "-" ) ) {
    fprintf( stderr, "rgroove-bench: --json - and --csv - both want stdout; send one to a file\n" );
    *err = RG_ERR_INVAL;
    return NULL;
  }
  rg_bench_out_t * out = calloc( 1, sizeof(rg_bench_out_t) );
  if( !out ) { fprintf( stderr, "rgroove-bench: out of memory\n" ); *err = RG_ERR_IO; return NULL; }
  *err = RG_SUCCESS;
  out->table = stdout;
  if( json_path && !(out->json = rg_bench_out_file( json_path, err )) ) goto fail;
  if( csv_path  && !(out->csv  = rg_bench_out_file( csv_path,  err )) ) goto fail;
  if( out->json==stdout || out->csv==stdout ) out->table = NULL;
  return out;
fail:
  if( out->json && out->json!=stdout ) fclose( out->json );
  free( out );
  return NULL;
}

/* Writers of one value. */

static void
json_str( FILE *       f,
          char const * s ) {
  fputc( '"', f );
  for( ; *s; s++ ) {
    unsigned char c = (unsigned char)*s;
    if( c=='"' || c=='\\' ) fprintf( f, "\\%c", c );
    else if( c<0x20 )       fprintf( f, "\\u%04x", c );
    else                    fputc( c, f );
  }
  fputc( '"', f );
}

static void
json_val( FILE * f,
          val_t  v ) {
  switch( v.t ) {
  case V_STR:  json_str( f, v.s ); break;
  case V_U64:  fprintf( f, "%lu", v.u ); break;
  case V_BOOL: fputs( v.u ? "true" : "false", f ); break;
  default:     if( isfinite( v.d ) ) fprintf( f, "%.9g", v.d ); else fputs( "null", f ); break;
  }
}

static void
csv_val( FILE * f,
         val_t  v ) {
  if( v.t==V_STR ) {
    if( !strpbrk( v.s, ",\"\n" ) ) { fputs( v.s, f ); return; }
    fputc( '"', f );
    for( char const * s=v.s; *s; s++ ) { if( *s=='"' ) fputc( '"', f ); fputc( *s, f ); }
    fputc( '"', f );
  } else if( v.t==V_F64 && !isfinite( v.d ) ) {
    /* undefined: an empty field */
  } else json_val( f, v );
}

static void
table_val( FILE *          f,
           field_t const * fd,
           val_t           v,
           int             first ) {
  if( !first ) fputc( ' ', f );
  if( v.t==V_STR )                          fprintf( f, "%-*s", fd->width, v.s );
  else if( v.t==V_U64 )                     fprintf( f, "%*lu", fd->width, v.u );
  else if( v.t==V_F64 && isfinite( v.d ) )  fprintf( f, "%*.*f", fd->width, fd->prec, v.d );
  else                                      fprintf( f, "%*s", fd->width, "-" );
}

static int
rg_bench_out_check( rg_bench_out_t * out ) {
  int bad = 0;
  FILE * f[3] = { out->table, out->json, out->csv };
  for( int i=0; i<3; i++ ) if( f[i] && (fflush( f[i] ) || ferror( f[i] )) ) bad = 1;
  if( bad ) { fprintf( stderr, "rgroove-bench: writing the results failed: %m; check the disk and the paths\n" ); return RG_ERR_IO; }
  return RG_SUCCESS;
}

/* The setup block. */

static void
rg_bench_out_setup_vals( rg_bench_out_t * out ) {
  rg_bench_setup_t const * s = &out->setup;
  val_t * v = out->sv;
  v[S_TOOL]        = v_str( "rgroove-bench" );
  v[S_VERSION]     = v_str( rg_version() );
  v[S_DATE]        = v_str( out->date );
  v[S_HOST]        = v_str( out->host );
  v[S_POOL]        = v_str( s->pool );
  v[S_TRANSPORT]   = v_str( s->transport );
  v[S_SUMMARY]     = v_str( s->transport_summary );
  v[S_REMOTE]      = v_bool( s->remote );
  v[S_CREATED]     = v_bool( s->created );
  v[S_VOLUMES]     = v_opt( s->volumes );
  v[S_PARANOID]    = v_bool( RG_PARANOID );
  v[S_COUNTED]     = v_bool( s->counted );
  v[S_MALLOC]      = v_bool( s->malloc_rows );
  v[S_ITERS]       = v_opt( s->iters );
  v[S_DURATION]    = v_opt( s->duration );
  v[S_RUNS]        = v_u64( s->runs );
  v[S_WORKERS]     = v_u64( s->workers );
  v[S_WARMUP_LAT]  = v_u64( s->warmup_lat );
  v[S_WARMUP_RATE] = v_u64( s->warmup_rate );
  v[S_LIVE]        = v_u64( s->live );
  v[S_RANDOM]      = v_str( "16-8192" );
  v[S_ROWS]        = v_u64( s->row_cnt );
}

static void
rg_bench_out_setup_table( rg_bench_out_t * out,
                          FILE *           f ) {
  rg_bench_setup_t const * s = &out->setup;
  fprintf( f, "# rgroove-bench %s on %s, %s\n", rg_version(), out->host, out->date );
  fprintf( f, "# pool:            %s", s->pool );
  if( s->created ) fprintf( f, ", created for this run (%lu x 1 GiB volumes, touched pages only)", s->volumes );
  fprintf( f, "\n# transport:       %s: %s\n", s->transport, s->transport_summary );
  fprintf( f, "# paranoid checks: %s\n", RG_PARANOID ? "on" : "off" );
  if( s->iters ) fprintf( f, "# iterations:      %lu timed operations per row (rate rows: per worker per run)\n", s->iters );
  else           fprintf( f, "# duration:        about %lu s per row (its iterations chosen by a trial first)\n", s->duration );
  if( s->remote ) {
    fprintf( f, "# latency rows:    one connection, every operation timed, after %lu untimed\n", s->warmup_lat );
    fprintf( f, "# rate rows:       1..%lu threads, a connection each; %lu runs per row\n", s->workers, s->runs );
  } else {
    fprintf( f, "# rate rows:       1 thread, %lu threads, %lu processes, a handle each; %lu runs per row%s\n",
             s->workers, s->workers, s->runs, s->malloc_rows ? "; glibc malloc beside" : "" );
  }
  fprintf( f, "# rate runs:       t_* over runs of the mean time per operation per worker, each run after at most %lu untimed\n",
           s->warmup_rate );
  fprintf( f, "# random:          %lu live objects%s; a step frees a random one and allocates 16..8192 bytes\n",
           s->live, s->remote ? "" : " per worker" );
  if( s->counted ) fprintf( f, "# counters:        per operation: rt/op round trips; rt_alloc, rt_free per alloc and per free of a pair\n" );
  else             fprintf( f, "# counters:        none (%s counts no requests): rt columns '-'\n", s->transport );
  fprintf( f, "# units:           times in usec; ops/s over all workers (an op: what #op names); '-' undefined\n" );
  int first = 1;
  for( int i=0; i<R_CNT; i++ ) {
    if( !row_field[i].head ) continue;
    table_val( f, &row_field[i], v_str( row_field[i].head ), first );
    first = 0;
  }
  fputc( '\n', f );
}

int
rg_bench_out_setup( rg_bench_out_t *         out,
                    rg_bench_setup_t const * setup ) {
  out->setup   = *setup;
  out->started = 1;
  time_t now = time( NULL );
  struct tm tm;
  strftime( out->date, sizeof(out->date), "%Y-%m-%dT%H:%M:%SZ", gmtime_r( &now, &tm ) );
  if( gethostname( out->host, sizeof(out->host) ) ) snprintf( out->host, sizeof(out->host), "unknown" );
  out->host[ sizeof(out->host)-1UL ] = '\0';
  rg_bench_out_setup_vals( out );
  if( out->table ) rg_bench_out_setup_table( out, out->table );
  if( out->json ) {
    fprintf( out->json, "{\n  \"schema\": \"rgroove-bench/1\",\n  \"setup\": {" );
    for( int i=0; i<S_CNT; i++ ) {
      fprintf( out->json, "%s\n    \"%s\": ", i ? "," : "", setup_field[i] );
      json_val( out->json, out->sv[i] );
    }
    fprintf( out->json, "\n  },\n  \"rows\": [" );
  }
  if( out->csv ) {
    for( int i=0; i<S_CNT; i++ ) fprintf( out->csv, "setup_%s,", setup_field[i] ); /* rows have iters, runs, workers too */
    for( int i=0; i<R_CNT; i++ ) fprintf( out->csv, "%s%s", i ? "," : "", row_field[i].name );
    fputc( '\n', out->csv );
  }
  return rg_bench_out_check( out );
}

/* One row. */

static double
per_op( rg_bench_row_t const * r,
        uint64_t               n ) {
  return r->counted && r->ops ? (double)n/(double)r->ops : NAN;
}

static void
rg_bench_out_row_vals( rg_bench_row_t const * r,
                       val_t *                v ) {
  rg_mem_stats_t const * s = &r->sum;
  v[R_OP]            = v_str( r->op );
  v[R_IMPL]          = v_str( r->impl );
  v[R_BYTES]         = v_str( r->bytes );
  v[R_SIZE]          = v_opt( r->size );
  v[R_KIND]          = v_str( r->lat ? "latency" : "rate" );
  v[R_WORKERS]       = v_u64( r->workers );
  v[R_MODE]          = v_str( r->procs ? "processes" : "threads" );
  v[R_RUNS]          = v_u64( r->runs );
  v[R_ITERS]         = v_u64( r->iters );
  v[R_TMIN]          = v_f64( r->t_min );
  v[R_TMAX]          = v_f64( r->t_max );
  v[R_TTYP]          = v_f64( r->t_typical );
  v[R_TAVG]          = v_f64( r->t_avg );
  v[R_TSTDEV]        = v_f64( r->t_stdev );
  v[R_P99]           = v_f64( r->p99 );
  v[R_P999]          = v_f64( r->p999 );
  v[R_OPS]           = v_f64( r->ops_per_s );
  v[R_RT]            = v_f64( per_op( r, s->round_trips ) );
  v[R_RT_ALLOC]      = v_f64( r->counted ? r->rt_alloc : NAN );
  v[R_RT_FREE]       = v_f64( r->counted ? r->rt_free : NAN );
  v[R_VS_MALLOC]     = v_f64( r->vs_malloc );
  v[R_SECONDS]       = v_f64( r->seconds );
  v[R_OPS_COUNTED]   = v_u64( r->ops );
  v[R_READS]         = v_f64( per_op( r, s->reads ) );
  v[R_WRITES]        = v_f64( per_op( r, s->writes ) );
  v[R_ATOMICS]       = v_f64( per_op( r, s->cas + s->faa ) );
  v[R_CAS]           = v_f64( per_op( r, s->cas ) );
  v[R_CAS_FAILED]    = v_f64( per_op( r, s->cas_failed ) );
  v[R_FAA]           = v_f64( per_op( r, s->faa ) );
  v[R_DOORBELLS]     = v_f64( per_op( r, s->doorbells ) );
  v[R_BYTES_READ]    = v_f64( per_op( r, s->bytes_read ) );
  v[R_BYTES_WRITTEN] = v_f64( per_op( r, s->bytes_written ) );
}

int
rg_bench_out_row( rg_bench_out_t *       out,
                  rg_bench_row_t const * row ) {
  val_t v[ R_CNT ];
  rg_bench_out_row_vals( row, v );
  if( out->table ) {
    /* the table's mode column is short: "procs" */
    int first = 1;
    for( int i=0; i<R_CNT; i++ ) {
      if( !row_field[i].head ) continue;
      val_t x = i==R_MODE && row->procs ? v_str( "procs" ) : v[i];
      table_val( out->table, &row_field[i], x, first );
      first = 0;
    }
    fputc( '\n', out->table );
  }
  if( out->json ) {
    fprintf( out->json, "%s\n    {", out->rows ? "," : "" );
    for( int i=0; i<R_CNT; i++ ) {
      fprintf( out->json, "%s\"%s\": ", i ? ", " : "", row_field[i].name );
      json_val( out->json, v[i] );
    }
    fputc( '}', out->json );
  }
  if( out->csv ) {
    for( int i=0; i<S_CNT; i++ ) { csv_val( out->csv, out->sv[i] ); fputc( ',', out->csv ); }
    for( int i=0; i<R_CNT; i++ ) { if( i ) fputc( ',', out->csv ); csv_val( out->csv, v[i] ); }
    fputc( '\n', out->csv );
  }
  out->rows++;
  return rg_bench_out_check( out );
}

int
rg_bench_out_note( rg_bench_out_t * out,
                   char const *     fmt,
                   ... ) {
  char text[ NOTE_SZ ];
  va_list ap;
  va_start( ap, fmt );
  vsnprintf( text, sizeof(text), fmt, ap );
  va_end( ap );
  if( out->table ) fprintf( out->table, "# %s\n", text );
  if( out->note_cnt<NOTE_MAX ) memcpy( out->note[ out->note_cnt++ ], text, sizeof(text) );
  return rg_bench_out_check( out );
}

int
rg_bench_out_close( rg_bench_out_t * out,
                    char const *     error ) {
  if( !out ) return RG_SUCCESS;
  if( out->json && !out->started ) fprintf( out->json, "{\n  \"schema\": \"rgroove-bench/1\",\n  \"setup\": null,\n  \"rows\": [" );
  if( out->json ) {
    fprintf( out->json, "\n  ],\n  \"notes\": [" );
    for( int i=0; i<out->note_cnt; i++ ) { fprintf( out->json, "%s\n    ", i ? "," : "" ); json_str( out->json, out->note[i] ); }
    fprintf( out->json, "\n  ],\n  \"complete\": %s,\n  \"error\": ", error ? "false" : "true" );
    json_val( out->json, error ? v_str( error ) : v_f64( NAN ) );
    fprintf( out->json, "\n}\n" );
  }
  int err = rg_bench_out_check( out );
  FILE * f[2] = { out->json, out->csv };
  for( int i=0; i<2; i++ ) {
    if( f[i] && f[i]!=stdout && fclose( f[i] ) && !err ) {
      fprintf( stderr, "rgroove-bench: closing the results failed: %m\n" );
      err = RG_ERR_IO;
    }
  }
  free( out );
  return err;
}
