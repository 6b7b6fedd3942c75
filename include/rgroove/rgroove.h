#ifndef RGROOVE_RGROOVE_H
#define RGROOVE_RGROOVE_H

/* rgroove.h: the whole public API.

   rg_base.h    error codes, limits, global addresses
   rg_mem.h     the memory-operation interface transports implement
   rg_groove.h  the lock-free allocator on a region
   rg_region.h  a memory server's region layout
   rg_shm.h     the shared-memory transport
   rg_pool.h    pool handles opened by URI: what most programs use
   rg_verbs.h   the verbs transport: memory server and client */

#include "rg_base.h"
#include "rg_mem.h"
#include "rg_groove.h"
#include "rg_region.h"
#include "rg_shm.h"
#include "rg_pool.h"
#include "rg_verbs.h"

#endif /* RGROOVE_RGROOVE_H */
