/* The shm transport's registry entry: anon, shm:/NAME and file:PATH
   pools mapped here.  Handles made by dup share one mapping. */

#include "rgroove/rg_transport.h"
#include "rgroove/rg_shm.h"
#include "rg_shm_backing.h"
#include "base/rg_err.h"
#include "base/rg_proc.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  rg_conn_t           conn;
  rg_shm_backing_t *  backing;
} rg_shm_conn_t;

rg_transport_t const rg_transport_shm;

static rg_conn_t *
rg_shm_conn_new( rg_shm_backing_t * backing,
                 int *              err ) {
  rg_shm_conn_t * c = calloc( 1, sizeof(rg_shm_conn_t) );
  if( !c ) { *err = rg_err( RG_ERR_IO, "out of memory" ); return NULL; }
  c->conn.tp      = &rg_transport_shm;
  c->conn.mem     = *rg_shm_mem( backing->shm );
  c->conn.id_kind = RG_CONN_ID_PID;
  rg_proc_identity( c->conn.id );
  c->backing      = backing;
  rg_shm_backing_ref( backing );
  *err = RG_SUCCESS;
  return &c->conn;
}

static rg_conn_t *
rg_shm_tp_open( rg_uri_t const * uri,
                uint64_t         create_size,
                int *            err ) {
  rg_shm_backing_t * b = rg_shm_backing_open( uri, create_size, err );
  if( !b ) return NULL;
  rg_conn_t * c = rg_shm_conn_new( b, err );
  rg_shm_backing_unref( b );
  return c;
}

static rg_conn_t *
rg_shm_tp_dup( rg_conn_t * conn,
               int *       err ) {
  return rg_shm_conn_new( ((rg_shm_conn_t *)conn)->backing, err );
}

static int
rg_shm_tp_close( rg_conn_t * conn ) {
  if( !conn ) return rg_err( RG_ERR_INVAL, "NULL connection" );
  rg_shm_backing_unref( ((rg_shm_conn_t *)conn)->backing );
  free( conn );
  return RG_SUCCESS;
}

static void
rg_shm_tp_stats( rg_conn_t const * conn,
                 rg_mem_stats_t *  stats ) {
  (void)conn;
  memset( stats, 0, sizeof(*stats) );
}

int
rg_shm_own( rg_conn_t * conn ) {
  if( !conn || conn->tp!=&rg_transport_shm ) return rg_err( RG_ERR_INVAL, "not a connection of the shm transport (anon, shm:/NAME, file:PATH)" );
  return rg_shm_lock( ((rg_shm_conn_t *)conn)->backing->shm );
}

rg_transport_t const rg_transport_shm = {
  .name    = "shm",
  .schemes = "anon shm file",
  .summary = "the region mapped in this process: CPU atomics, no round trips (one host)",
  .built   = 1,
  .caps    = RG_MEM_CAP_MAPPED,
  .domain  = RG_MEM_DOMAIN_CPU,
  .open    = rg_shm_tp_open,
  .dup     = rg_shm_tp_dup,
  .close   = rg_shm_tp_close,
  .unlink  = rg_shm_backing_unlink,
  .stats   = rg_shm_tp_stats,
};
