/* The UCX transport in a library built without libucx: listed, not
   usable (rg_pool_open of a ucx:// URI says why), and rg_ucx_open_as
   refused with the same reason. */

#include "rgroove/rg_ucx.h"
#include "base/rg_err.h"

rg_transport_t const rg_transport_ucx = {
  .name    = "ucx",
  .schemes = "ucx",
  .summary = "a memory server over UCX (PUT, GET; atomics carried out by the server): not built into this library",
  .built   = 0,
  .caps    = RG_MEM_CAP_ROUND_TRIP,
  .domain  = RG_MEM_DOMAIN_CPU,
};

rg_conn_t *
rg_ucx_open_as( char const * host, uint16_t port, void const * token, uint64_t token_sz, uint32_t proto_version, int * opt_err ) {
  (void)host; (void)port; (void)token; (void)token_sz; (void)proto_version;
  int e = rg_err( RG_ERR_INVAL, "this rgroove was built without the ucx transport: install libucx-dev, then configure again" );
  if( opt_err ) *opt_err = e;
  return NULL;
}
