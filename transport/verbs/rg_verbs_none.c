/* The verbs transport in a library built without libibverbs/librdmacm:
   the same ABI, every call refused with a message saying why. */

#include "rgroove/rg_verbs.h"
#include "base/rg_err.h"

#define RG_VERBS_NONE "this rgroove was built without the verbs transport: install libibverbs-dev and librdmacm-dev, " \
                      "then configure again (or use another transport: rgroove-info --transports)"

static rg_verbs_client_t *
rg_verbs_none_client( int * opt_err ) {
  int e = rg_err( RG_ERR_INVAL, RG_VERBS_NONE );
  if( opt_err ) *opt_err = e;
  return NULL;
}

rg_verbs_client_t *
rg_verbs_client_connect( char const * host, uint16_t port, void const * token, uint64_t token_sz, int timeout_ms, int * opt_err ) {
  (void)host; (void)port; (void)token; (void)token_sz; (void)timeout_ms;
  return rg_verbs_none_client( opt_err );
}

rg_verbs_client_t *
rg_verbs_client_connect_on( char const * host, uint16_t port, char const * device, int gid_index, void const * token,
                            uint64_t token_sz, int timeout_ms, int * opt_err ) {
  (void)host; (void)port; (void)device; (void)gid_index; (void)token; (void)token_sz; (void)timeout_ms;
  return rg_verbs_none_client( opt_err );
}

rg_verbs_client_t *
rg_verbs_client_connect_as( char const * host, uint16_t port, void const * token, uint64_t token_sz, int timeout_ms,
                            uint32_t proto_version, int * opt_err ) {
  (void)host; (void)port; (void)token; (void)token_sz; (void)timeout_ms; (void)proto_version;
  return rg_verbs_none_client( opt_err );
}

/* No client can exist, so these are never reached with one. */
rg_mem_t const * rg_verbs_client_mem( rg_verbs_client_t const * c ) { (void)c; return NULL; }
void rg_verbs_client_identity( rg_verbs_client_t const * c, uint64_t id[ 2 ] ) { (void)c; id[0] = id[1] = 0UL; }
void rg_verbs_client_stats( rg_verbs_client_t const * c, rg_mem_stats_t * stats ) { (void)c; *stats = (rg_mem_stats_t){0}; }
int  rg_verbs_client_disconnect( rg_verbs_client_t * c ) { (void)c; return rg_err( RG_ERR_INVAL, RG_VERBS_NONE ); }

rg_verbs_server_t *
rg_verbs_server_new( rg_mem_t const * mem, rg_serve_cfg_t const * cfg, int * opt_err ) {
  (void)mem; (void)cfg;
  int e = rg_err( RG_ERR_INVAL, RG_VERBS_NONE );
  if( opt_err ) *opt_err = e;
  return NULL;
}

int      rg_verbs_server_poll      ( rg_verbs_server_t * s, int ms ) { (void)s; (void)ms; return rg_err( RG_ERR_INVAL, RG_VERBS_NONE ); }
int      rg_verbs_server_admit     ( rg_verbs_server_t * s, int open ) { (void)s; (void)open; return rg_err( RG_ERR_INVAL, RG_VERBS_NONE ); }
uint64_t rg_verbs_server_client_cnt( rg_verbs_server_t const * s ) { (void)s; return 0UL; }
int      rg_verbs_server_fd        ( rg_verbs_server_t const * s ) { (void)s; return -1; }
uint16_t rg_verbs_server_port      ( rg_verbs_server_t const * s ) { (void)s; return 0U; }
void     rg_verbs_server_delete    ( rg_verbs_server_t * s ) { (void)s; }
int      rg_verbs_probe            ( char * addr, uint64_t addr_sz ) { if( addr && addr_sz ) addr[0] = '\0'; return rg_err( RG_ERR_IO, RG_VERBS_NONE ); }

rg_transport_t const rg_transport_verbs = {
  .name    = "verbs",
  .schemes = "verbs",
  .summary = "a memory server over RDMA (libibverbs, librdmacm): not built into this library",
  .built   = 0,
  .caps    = RG_MEM_CAP_ROUND_TRIP,
  .domain  = RG_MEM_DOMAIN_ADAPTER,
};
