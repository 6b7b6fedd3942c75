/* The UCX transport in a library built without libucx: listed, not
   usable (rg_pool_open of a ucx:// URI says why). */

#include "rgroove/rg_transport.h"

rg_transport_t const rg_transport_ucx = {
  .name    = "ucx",
  .schemes = "ucx",
  .summary = "a memory server over UCX (UCP atomics, PUT, GET): not built into this library",
  .built   = 0,
  .caps    = RG_MEM_CAP_ROUND_TRIP,
};
