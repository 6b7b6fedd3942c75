#ifndef RGROOVE_CORE_RG_ERR_H
#define RGROOVE_CORE_RG_ERR_H

/* Internal: record why an operation failed (read back with rg_errmsg)
   and return err, so a failure site reads
   "return rg_err( RG_ERR_INVAL, "...", ... );".  Thread safe. */

#include "rgroove/rg_base.h"

int
rg_err( int          err,
        char const * fmt,
        ... ) __attribute__((format(printf,2,3)));

#endif /* RGROOVE_CORE_RG_ERR_H */
