#ifndef RGROOVE_BASE_RG_OPT_H
#define RGROOVE_BASE_RG_OPT_H

/* Internal: command-line numbers, checked, for every rgroove command. */

#include "rgroove/rg_base.h"

/* rg_opt_u64 parses text (decimal, or 0x hex) as an unsigned number in
   [min, max] into *out.  On anything else (empty, trailing characters,
   a sign, out of range) it prints "PROG: --OPT TEXT: expected a number
   from MIN to MAX" to stderr and returns RG_ERR_INVAL, *out untouched. */

int
rg_opt_u64( char const * prog,
            char const * opt,
            char const * text,
            uint64_t     min,
            uint64_t     max,
            uint64_t *   out );

/* rg_opt_version prints "PROG (rgroove) VERSION" to stdout, the first
   line help2man reads. */

void
rg_opt_version( char const * prog );

#endif /* RGROOVE_BASE_RG_OPT_H */
