/* The verbs transport's registry entry: verbs://HOST[:PORT] clients and
   the memory-server side. */

#include "rg_verbs_private.h"
#include "rgroove/rg_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  rg_conn_t           conn;
  rg_verbs_client_t * client;
  rg_uri_t            uri;
} rg_verbs_conn_t;

rg_transport_t const rg_transport_verbs;

static int
rg_verbs_timeout_ms( void ) {
  char const * tmo = getenv( "RGROOVE_TIMEOUT_MS" );
  int ms = tmo ? atoi( tmo ) : 0;
  return ms>0 ? ms : 5000;
}

static rg_conn_t *
rg_verbs_tp_open( rg_uri_t const * uri,
                  uint64_t         create_size,
                  int *            err ) {
  if( create_size ) { *err = rg_err( RG_ERR_INVAL, "a verbs pool is made by rgroove-server: open %s instead", uri->text ); return NULL; }
  uint8_t  token[ RG_VERBS_TOKEN_MAX ];
  uint64_t token_sz;
  if( (*err = rg_token_load( token, sizeof(token), &token_sz )) ) return NULL;
  rg_verbs_conn_t * c = calloc( 1, sizeof(rg_verbs_conn_t) );
  if( !c ) { *err = rg_err( RG_ERR_IO, "out of memory" ); return NULL; }
  c->client = rg_verbs_client_connect_on( uri->host, uri->port ? uri->port : (uint16_t)RG_VERBS_PORT_DEFAULT,
                                          uri->device[0] ? uri->device : NULL, uri->gid_index,
                                          token, token_sz, rg_verbs_timeout_ms(), err );
  if( !c->client ) { free( c ); return NULL; }
  c->uri          = *uri;
  c->conn.tp      = &rg_transport_verbs;
  c->conn.mem     = *rg_verbs_client_mem( c->client );
  c->conn.id_kind = RG_CONN_ID_SERVER;
  rg_verbs_client_identity( c->client, c->conn.id );
  return &c->conn;
}

static rg_conn_t *
rg_verbs_tp_dup( rg_conn_t * conn,
                 int *       err ) {
  return rg_verbs_tp_open( &((rg_verbs_conn_t *)conn)->uri, 0UL, err ); /* a connection per handle */
}

static int
rg_verbs_tp_close( rg_conn_t * conn ) {
  if( !conn ) return rg_err( RG_ERR_INVAL, "NULL connection" );
  int err = rg_verbs_client_disconnect( ((rg_verbs_conn_t *)conn)->client );
  free( conn );
  return err;
}

static void
rg_verbs_tp_stats( rg_conn_t const * conn,
                   rg_mem_stats_t *  stats ) {
  rg_verbs_client_stats( ((rg_verbs_conn_t const *)conn)->client, stats );
}

/* rg_verbs_tp_probe: the device where names (else RGROOVE_DEVICE, else
   the first usable one) and the address a server there listens on. */

static int
rg_verbs_tp_probe( rg_uri_t * where ) {
  rg_verbs_want_t w;
  rg_verbs_port_t p;
  int err = rg_verbs_want_init( &w, where->device[0] ? where->device : NULL, where->gid_index );
  if( !err ) err = rg_verbs_probe_want( &w, &p );
  if( err ) return err;
  if( !p.addr[0] )
    return rg_err( RG_ERR_IO, "RDMA device %s port %u has no IPv4 address (interface %s): give it one (ip addr add ADDR dev IF)",
                   p.dev, p.num, p.netdev[0] ? p.netdev : "unknown" );
  snprintf( where->host, sizeof(where->host), "%s", p.addr );
  snprintf( where->device, sizeof(where->device), "%.59s:%u", p.dev, p.num ); /* device names are shorter */
  return RG_SUCCESS;
}

static rg_server_t *
rg_verbs_tp_serve( rg_mem_t const *       region,
                   rg_serve_cfg_t const * cfg,
                   int *                  err ) {
  return (rg_server_t *)rg_verbs_server_new( region, cfg, err );
}

static int      rg_verbs_tp_poll   ( rg_server_t * s, int ms )  { return rg_verbs_server_poll( (rg_verbs_server_t *)s, ms ); }
static int      rg_verbs_tp_admit  ( rg_server_t * s, int open ) { return rg_verbs_server_admit( (rg_verbs_server_t *)s, open ); }
static uint64_t rg_verbs_tp_clients( rg_server_t const * s )    { return rg_verbs_server_client_cnt( (rg_verbs_server_t const *)s ); }
static void     rg_verbs_tp_stop   ( rg_server_t * s )          { rg_verbs_server_delete( (rg_verbs_server_t *)s ); }

static int
rg_verbs_tp_uri( rg_server_t const * s,
                 char *              buf,
                 uint64_t            buf_sz ) {
  char addr[ 64 ];
  rg_verbs_server_addr( (rg_verbs_server_t const *)s, addr, sizeof(addr) );
  int n = snprintf( buf, buf_sz, "verbs://%s:%u", addr, rg_verbs_server_port( (rg_verbs_server_t const *)s ) );
  return n<0 || (uint64_t)n>=buf_sz ? rg_err( RG_ERR_INVAL, "URI buffer too small" ) : RG_SUCCESS;
}

rg_transport_t const rg_transport_verbs = {
  .name    = "verbs",
  .schemes = "verbs",
  .summary = "a memory server over RDMA (libibverbs, librdmacm): one round trip per read or atomic",
  .built   = 1,
  .caps    = RG_MEM_CAP_ROUND_TRIP,
  .domain  = RG_MEM_DOMAIN_ADAPTER,
  .open    = rg_verbs_tp_open,
  .dup     = rg_verbs_tp_dup,
  .close   = rg_verbs_tp_close,
  .stats   = rg_verbs_tp_stats,
  .probe   = rg_verbs_tp_probe,
  .serve   = rg_verbs_tp_serve,
  .poll    = rg_verbs_tp_poll,
  .admit   = rg_verbs_tp_admit,
  .clients = rg_verbs_tp_clients,
  .uri     = rg_verbs_tp_uri,
  .stop    = rg_verbs_tp_stop,
};
