/* The library's version (rg_version.h). */

#include "rgroove/rg_version.h"

char const *
rg_version( void ) {
  return RG_VERSION_STRING;
}
