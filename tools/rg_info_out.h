#ifndef RGROOVE_TOOLS_RG_INFO_OUT_H
#define RGROOVE_TOOLS_RG_INFO_OUT_H

/* rg_info_out.h: rgroove-info's output of a scan (rg_info_scan.h).

   Text: "name  value" lines for the pool (geometry, volumes, clients,
   the audit's totals), then aligned tables of the size classes, the
   tags and the client records, each under a title line.

   JSON: one object, schema "rgroove-info/1" (its fields are listed in
   rg_info_out.c).  64-bit values that are identifiers rather than counts
   (the layout fingerprint, a server's boot id) are hex strings; tags and
   counts are numbers.

   Both list only the size classes that hold something, and the top
   tags by objects (top 0: every tag).  Neither fails: a write error
   shows in ferror(f). */

#include "rg_info_scan.h"

#include <stdio.h>

void
rg_info_out_text( FILE *            f,
                  rg_info_t const * info,
                  uint64_t          top );

void
rg_info_out_json( FILE *            f,
                  rg_info_t const * info,
                  uint64_t          top );

#endif /* RGROOVE_TOOLS_RG_INFO_OUT_H */
