/* Error codes and the per-thread message that explains the last one. */

#include "rg_err.h"

#include <stdarg.h>
#include <stdio.h>

static __thread char rg_errmsg_buf[ 512 ];

char const *
rg_strerror( int err ) {
  switch( err ) {
  case RG_SUCCESS:     return "success";
  case RG_ERR_INVAL:   return "bad input";
  case RG_ERR_AGAIN:   return "try again later";
  case RG_ERR_CORRUPT: return "corrupt";
  case RG_ERR_EMPTY:   return "empty";
  case RG_ERR_FULL:    return "full";
  case RG_ERR_KEY:     return "key not found";
  case RG_ERR_IO:      return "transport failure";
  case RG_ERR_PERM:    return "not permitted";
  default:             return "unknown";
  }
}

char const *
rg_errmsg( void ) {
  return rg_errmsg_buf[0] ? rg_errmsg_buf : "no error recorded";
}

void
rg_err_record( char const * fmt,
               ... ) {
  va_list ap;
  va_start( ap, fmt );
  vsnprintf( rg_errmsg_buf, sizeof(rg_errmsg_buf), fmt, ap );
  va_end( ap );
}
