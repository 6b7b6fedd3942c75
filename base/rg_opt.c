/* Checked command-line numbers and --version (rg_opt.h). */

#include "rg_opt.h"
#include "rgroove/rg_version.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int
rg_opt_u64( char const * prog,
            char const * opt,
            char const * text,
            uint64_t     min,
            uint64_t     max,
            uint64_t *   out ) {
  char * end = NULL;
  errno = 0;
  unsigned long long v = text && text[0]!='-' && text[0]!='+' ? strtoull( text, &end, 0 ) : 0ULL;
  if( !text || !text[0] || !end || *end || errno || (uint64_t)v<min || (uint64_t)v>max ) {
    fprintf( stderr, "%s: %s %s: expected a number from %lu to %lu (see --help)\n", prog, opt, text ? text : "(none)", min, max );
    return RG_ERR_INVAL;
  }
  *out = (uint64_t)v;
  return RG_SUCCESS;
}

void
rg_opt_version( char const * prog ) {
  printf( "%s (rgroove) %s\n", prog, rg_version() );
}
