/* One row of rgroove-bench's results (rg_bench_row.h). */

#include "rg_bench_row.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
rg_bench_row_init( rg_bench_row_t * row,
                   char const *     op,
                   char const *     impl,
                   char const *     bytes,
                   uint64_t         size ) {
  memset( row, 0, sizeof(*row) );
  row->op   = op;
  row->impl = impl;
  row->size = size;
  snprintf( row->bytes, sizeof(row->bytes), "%s", bytes );
  row->t_min    = row->t_max = row->t_typical = row->t_avg = row->t_stdev = NAN;
  row->p99      = row->p999  = row->ops_per_s = row->vs_malloc = NAN;
  row->rt_alloc = row->rt_free = NAN;
}

static int
rg_bench_cmp( void const * a,
              void const * b ) {
  double x = *(double const *)a, y = *(double const *)b;
  return (x>y) - (x<y);
}

/* rg_bench_row_spread sorts v and sets the figures every row has. */

static void
rg_bench_row_spread( rg_bench_row_t * row,
                     double *         v,
                     uint64_t         n ) {
  qsort( v, n, sizeof(double), rg_bench_cmp );
  double sum = 0.0, sq = 0.0;
  for( uint64_t i=0UL; i<n; i++ ) sum += v[i];
  double avg = sum/(double)n;
  for( uint64_t i=0UL; i<n; i++ ) sq += (v[i] - avg)*(v[i] - avg);
  row->t_min     = v[0];
  row->t_max     = v[ n-1UL ];
  row->t_typical = v[ n/2UL ];
  row->t_avg     = avg;
  row->t_stdev   = n>1UL ? sqrt( sq/(double)(n - 1UL) ) : 0.0;
}

void
rg_bench_row_lat( rg_bench_row_t * row,
                  double *         us,
                  uint64_t         n ) {
  rg_bench_row_spread( row, us, n );
  row->lat       = 1;
  row->workers   = 1UL;
  row->runs      = 1UL;
  row->iters     = n;
  row->p99       = us[ (n*99UL)/100UL ];
  row->p999      = us[ (n*999UL)/1000UL ];
  row->ops_per_s = row->t_avg>0.0 ? 1e6/row->t_avg : NAN;
}

void
rg_bench_row_rate( rg_bench_row_t * row,
                   double *         us,
                   uint64_t         runs ) {
  rg_bench_row_spread( row, us, runs );
  row->lat       = 0;
  row->runs      = runs;
  row->ops_per_s = row->t_typical>0.0 ? 1e6*(double)row->workers/row->t_typical : NAN;
}

void
rg_bench_row_count( rg_bench_row_t *       row,
                    rg_mem_stats_t const * before,
                    rg_mem_stats_t const * after ) {
  rg_mem_stats_t * s = &row->sum;
  s->reads         += after->reads         - before->reads;
  s->writes        += after->writes        - before->writes;
  s->cas           += after->cas           - before->cas;
  s->cas_failed    += after->cas_failed    - before->cas_failed;
  s->faa           += after->faa           - before->faa;
  s->round_trips   += after->round_trips   - before->round_trips;
  s->bytes_read    += after->bytes_read    - before->bytes_read;
  s->bytes_written += after->bytes_written - before->bytes_written;
  s->doorbells     += after->doorbells     - before->doorbells;
}
