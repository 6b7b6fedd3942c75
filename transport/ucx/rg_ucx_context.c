/* UCP contexts and workers as the ucx transport makes them, and small
   helpers shared by its client and server. */

#include "rg_ucx_private.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t
rg_ucx_now_ms( void ) {
  struct timespec t;
  clock_gettime( CLOCK_MONOTONIC, &t );
  return (int64_t)t.tv_sec*1000L + t.tv_nsec/1000000L;
}

int64_t
rg_ucx_now_us( void ) {
  struct timespec t;
  clock_gettime( CLOCK_MONOTONIC, &t );
  return (int64_t)t.tv_sec*1000000L + t.tv_nsec/1000L;
}

char const *
rg_ucx_device( char const * dev ) {
  if( dev && dev[0] ) return dev;
  char const * env = getenv( "RGROOVE_DEVICE" );
  return env && env[0] ? env : NULL;
}

/* rg_ucx_config: UCX's configuration from the environment, with the
   settings rgroove decides itself. */

static int
rg_ucx_config( ucp_config_t ** out,
               char const *    device,
               int             gid_index ) {
  ucp_config_t * cfg;
  ucs_status_t st = ucp_config_read( NULL, NULL, &cfg );
  if( st!=UCS_OK ) return rg_err( RG_ERR_IO, "UCX cannot read its configuration: %s (check the UCX_* variables)", ucs_status_string( st ) );
  char gid[ 16 ];
  snprintf( gid, sizeof(gid), "%d", gid_index );
  if( (st = ucp_config_modify( cfg, "ATOMIC_MODE", "cpu" ))!=UCS_OK ||
      (st = ucp_config_modify( cfg, "MAX_EAGER_RAILS", "1" ))!=UCS_OK || /* requests of our own on one lane, in order */
      (device && (st = ucp_config_modify( cfg, "NET_DEVICES", device ))!=UCS_OK) ||
      (gid_index>=0 && (st = ucp_config_modify( cfg, "IB_GID_INDEX", gid ))!=UCS_OK) ) {
    ucp_config_release( cfg );
    return rg_err( RG_ERR_IO, "UCX refuses the setting for device '%s' / gid %d: %s (use a device ucx_info -d lists)",
                   device ? device : "", gid_index, ucs_status_string( st ) );
  }
  *out = cfg;
  return RG_SUCCESS;
}

int
rg_ucx_worker_new( rg_ucx_worker_t * w,
                   char const *      device,
                   int               gid_index,
                   int               wakeup ) {
  *w = (rg_ucx_worker_t){0};
  ucp_config_t * cfg;
  int err = rg_ucx_config( &cfg, device, gid_index );
  if( err ) return err;
  ucp_params_t p = {
    .field_mask = UCP_PARAM_FIELD_FEATURES | UCP_PARAM_FIELD_MT_WORKERS_SHARED,
    .features   = UCP_FEATURE_RMA | UCP_FEATURE_AMO64 | UCP_FEATURE_AM | (wakeup ? UCP_FEATURE_WAKEUP : 0UL),
    .mt_workers_shared = 0,
  };
  ucs_status_t st = ucp_init( &p, cfg, &w->ctx );
  ucp_config_release( cfg );
  if( st!=UCS_OK ) {
    w->ctx = NULL;
    return rg_err( RG_ERR_IO, "UCX cannot start: %s (is a transport usable here? ucx_info -d; UCX_TLS=tcp without RDMA)",
                   ucs_status_string( st ) );
  }
  ucp_worker_params_t wp = { .field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE, .thread_mode = UCS_THREAD_MODE_SINGLE };
  if( (st = ucp_worker_create( w->ctx, &wp, &w->worker ))!=UCS_OK ) {
    w->worker = NULL;
    rg_ucx_worker_delete( w );
    return rg_err( RG_ERR_IO, "UCX cannot make a worker: %s", ucs_status_string( st ) );
  }
  return RG_SUCCESS;
}

void
rg_ucx_worker_delete( rg_ucx_worker_t * w ) {
  if( w->worker ) ucp_worker_destroy( w->worker );
  if( w->ctx    ) ucp_cleanup( w->ctx );
  *w = (rg_ucx_worker_t){0};
}

ucs_status_t
rg_ucx_wait( ucp_worker_h worker,
             void *       req,
             int          timeout_ms ) {
  if( !req ) return UCS_OK;
  if( UCS_PTR_IS_ERR( req ) ) return UCS_PTR_STATUS( req );
  int64_t deadline = rg_ucx_now_ms() + timeout_ms;
  ucs_status_t st;
  for( uint64_t spin=0UL; (st = ucp_request_check_status( req ))==UCS_INPROGRESS; spin++ ) {
    ucp_worker_progress( worker );
    if( (spin & 255UL)==255UL && rg_ucx_now_ms()>deadline ) { st = UCS_ERR_TIMED_OUT; break; }
  }
  ucp_request_free( req ); /* an unfinished one is released when it finishes */
  return st;
}

void
rg_ucx_host_addr( char *   buf,
                  uint64_t buf_sz ) {
  snprintf( buf, buf_sz, "127.0.0.1" );
  struct ifaddrs * list;
  if( getifaddrs( &list ) ) return;
  for( struct ifaddrs * i=list; i; i=i->ifa_next ) {
    if( !i->ifa_addr || i->ifa_addr->sa_family!=AF_INET || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK) ) continue;
    inet_ntop( AF_INET, &((struct sockaddr_in const *)i->ifa_addr)->sin_addr, buf, (socklen_t)buf_sz );
    break;
  }
  freeifaddrs( list );
}
