#ifndef RGROOVE_BASE_RG_ERR_H
#define RGROOVE_BASE_RG_ERR_H

/* Internal: record why an operation failed (read back with rg_errmsg)
   and yield err, so a failure site reads
   "return rg_err( RG_ERR_INVAL, "...", ... );".  Thread safe.

   A macro, so the compiler sees the code returned: a fast path that
   returns rg_err( ... ) then needs no register kept across the call. */

#include "rgroove/rg_base.h"

void
rg_err_record( char const * fmt,
               ... ) __attribute__((format(printf,1,2),cold));

#define rg_err( err, ... ) ( rg_err_record( __VA_ARGS__ ), (err) )

#endif /* RGROOVE_BASE_RG_ERR_H */
