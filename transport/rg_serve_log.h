#ifndef RGROOVE_TRANSPORT_RG_SERVE_LOG_H
#define RGROOVE_TRANSPORT_RG_SERVE_LOG_H

/* The log of a network transport's server: one line per event, to the
   callback its configuration named or, without one, to stderr. */

#include "rgroove/rg_transport.h"

#include <stdarg.h>
#include <stdio.h>

static inline void __attribute__((format( printf, 3, 4 )))
rg_serve_log( rg_log_fn_t  log,
              void *       log_ctx,
              char const * fmt,
              ... ) {
  char line[ 256 ];
  va_list ap;
  va_start( ap, fmt );
  vsnprintf( line, sizeof(line), fmt, ap );
  va_end( ap );
  if( log ) log( log_ctx, line );
  else      fprintf( stderr, "%s\n", line );
}

#endif /* RGROOVE_TRANSPORT_RG_SERVE_LOG_H */
