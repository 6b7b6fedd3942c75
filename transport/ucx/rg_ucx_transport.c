/* The ucx transport's registry entry: ucx://HOST[:PORT] clients and the
   memory-server side (rg_ucx.h). */

#include "rg_ucx_private.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static rg_conn_t *
rg_ucx_tp_open( rg_uri_t const * uri,
                uint64_t         create_size,
                int *            err ) {
  if( create_size ) { *err = rg_err( RG_ERR_INVAL, "a ucx pool is made by rgroove-server: open %s instead", uri->text ); return NULL; }
  uint8_t  token[ RG_TOKEN_MAX ];
  uint64_t token_sz;
  if( (*err = rg_token_load( token, sizeof(token), &token_sz )) ) return NULL;
  return rg_ucx_client_open( uri->host, uri->port, uri->device, uri->gid_index, token, token_sz, RG_UCX_PROTO_VERSION, err );
}

/* rg_ucx_tp_probe: UCX starts here with what this process asks of it
   (RMA, 64-bit atomics, active messages, wakeup): over sockets too, for
   clusters without RDMA, with every atomic served by the server's CPU
   (rg_mpi's auto takes shared memory first on one host).  where->host
   gets the address a server here publishes. */

static int
rg_ucx_tp_probe( rg_uri_t * where ) {
  rg_ucx_worker_t w;
  int err = rg_ucx_worker_new( &w, rg_ucx_device( where->device ), where->gid_index, 1 );
  if( err ) return err;
  rg_ucx_worker_delete( &w );
  rg_ucx_host_addr( where->host, sizeof(where->host) );
  return RG_SUCCESS;
}

rg_transport_t const rg_transport_ucx = {
  .name    = "ucx",
  .schemes = "ucx",
  .summary = "a memory server over UCX (PUT, GET; atomics carried out by the server): one round trip per read or atomic, two to publish a write",
  .built   = 1,
  .caps    = RG_MEM_CAP_ROUND_TRIP,
  .domain  = RG_MEM_DOMAIN_CPU, /* every atomic is carried out by the server's CPU: rg_ucx.h */
  .open    = rg_ucx_tp_open,
  .dup     = rg_ucx_client_dup,
  .close   = rg_ucx_client_close,
  .stats   = rg_ucx_client_stats,
  .probe   = rg_ucx_tp_probe,
  .serve   = rg_ucx_server_new,
  .poll    = rg_ucx_server_poll,
  .admit   = rg_ucx_server_admit,
  .clients = rg_ucx_server_cnt,
  .uri     = rg_ucx_server_uri,
  .stop    = rg_ucx_server_delete,
};
