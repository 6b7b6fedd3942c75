#ifndef RGROOVE_RGROOVE_H
#define RGROOVE_RGROOVE_H

/* rgroove.h: the whole public API (rg_mpi.h apart, in librgroove_mpi).

   rg_version.h    the version
   rg_base.h       error codes, limits, global addresses
   rg_mem.h        the memory-operation interface transports implement
   rg_groove.h     the lock-free allocator on a region
   rg_region.h     a memory server's region layout
   rg_uri.h        pool URIs
   rg_transport.h  the transport registry
   rg_shm.h        the shared-memory transport
   rg_loop.h       the loop transport (remote code path on a local region)
   rg_verbs.h      the verbs transport: memory server and client
   rg_ucx.h        the ucx transport: its rules, and a client for admission tests
   rg_pool.h       pool handles opened by URI: what most programs use */

#include "rg_version.h"
#include "rg_base.h"
#include "rg_mem.h"
#include "rg_groove.h"
#include "rg_region.h"
#include "rg_uri.h"
#include "rg_transport.h"
#include "rg_shm.h"
#include "rg_loop.h"
#include "rg_verbs.h"
#include "rg_ucx.h"
#include "rg_pool.h"

#endif /* RGROOVE_RGROOVE_H */
