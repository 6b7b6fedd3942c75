/* Device capability checks and CM event waits shared by both sides. */

#include "rg_verbs_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

int
rg_verbs_check_attrs( char const *                   name,
                      uint8_t                        port,
                      struct ibv_device_attr const * dev,
                      struct ibv_port_attr const *   pa ) {
  if( dev->atomic_cap==IBV_ATOMIC_NONE )
    return rg_err( RG_ERR_IO, "RDMA device %s has no remote atomics (atomic_cap NONE): rgroove needs them; "
                   "use an adapter with atomics, or the shm transport on one host", name );
  if( dev->max_qp_rd_atom<(int)RG_VERBS_RD_ATOM || dev->max_qp_init_rd_atom<(int)RG_VERBS_RD_ATOM )
    return rg_err( RG_ERR_IO, "RDMA device %s allows %d outstanding reads/atomics per queue pair, rgroove needs %u",
                   name, dev->max_qp_rd_atom, RG_VERBS_RD_ATOM );
  if( pa->state!=IBV_PORT_ACTIVE )
    return rg_err( RG_ERR_IO, "port %u of RDMA device %s is %s, not active: check the link (rdma link show)",
                   port, name, ibv_port_state_str( pa->state ) );
  return RG_SUCCESS;
}

int
rg_verbs_check_memlock( uint64_t region_sz,
                        uint64_t limit,
                        int      privileged ) {
  if( privileged || limit==(uint64_t)RLIM_INFINITY || limit>=region_sz ) return RG_SUCCESS;
  return rg_err( RG_ERR_IO, "the memlock limit (%lu bytes) is below the region size (%lu bytes): raise it "
                 "(ulimit -l unlimited, or LimitMEMLOCK=infinity for a service) or run as root", limit, region_sz );
}

int
rg_verbs_check_device( struct ibv_context * ctx,
                       uint8_t              port ) {
  char const * name = ibv_get_device_name( ctx->device );
  struct ibv_device_attr dev;
  struct ibv_port_attr   pa;
  if( ibv_query_device( ctx, &dev ) )
    return rg_err( RG_ERR_IO, "cannot query RDMA device %s: %s", name, strerror( errno ) );
  if( ibv_query_port( ctx, port, &pa ) )
    return rg_err( RG_ERR_IO, "cannot query port %u of RDMA device %s: %s", port, name, strerror( errno ) );
  return rg_verbs_check_attrs( name, port, &dev, &pa );
}

int
rg_verbs_wait_event( struct rdma_event_channel * ch,
                     int                         timeout_ms,
                     struct rdma_cm_event **     ev ) {
  int fl = fcntl( ch->fd, F_GETFL );
  if( fl<0 || fcntl( ch->fd, F_SETFL, fl | O_NONBLOCK ) )
    return rg_err( RG_ERR_IO, "cannot make the CM channel non-blocking: %s", strerror( errno ) );
  struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
  for(;;) {
    if( !rdma_get_cm_event( ch, ev ) ) return RG_SUCCESS;
    if( errno!=EAGAIN && errno!=EWOULDBLOCK ) return rg_err( RG_ERR_IO, "rdma_get_cm_event: %s", strerror( errno ) );
    int n = poll( &pfd, 1, timeout_ms );
    if( n==0 ) return rg_err( RG_ERR_AGAIN, "no connection event within %d ms", timeout_ms );
    if( n<0 && errno!=EINTR ) return rg_err( RG_ERR_IO, "poll: %s", strerror( errno ) );
  }
}

/* rg_verbs_netdev_addr: the IPv4 address of the netdev behind port 1 of
   device name (RoCE and rxe expose it in sysfs). */

static void
rg_verbs_netdev_addr( char const * name,
                      char *       addr,
                      uint64_t     addr_sz ) {
  char path[ 256 ], netdev[ 64 ] = "";
  addr[0] = '\0';
  snprintf( path, sizeof(path), "/sys/class/infiniband/%s/ports/1/gid_attrs/ndevs/0", name );
  FILE * f = fopen( path, "r" );
  if( !f ) return;
  if( !fgets( netdev, sizeof(netdev), f ) ) netdev[0] = '\0';
  fclose( f );
  netdev[ strcspn( netdev, "\n" ) ] = '\0';
  struct ifaddrs * ifs;
  if( !netdev[0] || getifaddrs( &ifs ) ) return;
  for( struct ifaddrs * i=ifs; i; i=i->ifa_next ) {
    if( !i->ifa_addr || i->ifa_addr->sa_family!=AF_INET || strcmp( i->ifa_name, netdev ) ) continue;
    inet_ntop( AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, addr, (socklen_t)addr_sz );
    break;
  }
  freeifaddrs( ifs );
}

int
rg_verbs_probe( char *   addr,
                uint64_t addr_sz ) {
  int n = 0, err = rg_err( RG_ERR_IO, "no RDMA device on this host (ibv_devices lists none): "
                                      "use the shm transport, or add one (e.g. rdma link add rxe0 type rxe netdev IF)" );
  struct ibv_device ** list = ibv_get_device_list( &n );
  for( int i=0; list && i<n; i++ ) {
    struct ibv_context * ctx = ibv_open_device( list[i] );
    if( !ctx ) continue;
    err = rg_verbs_check_device( ctx, 1 );
    ibv_close_device( ctx );
    if( err ) continue;
    if( addr ) rg_verbs_netdev_addr( ibv_get_device_name( list[i] ), addr, addr_sz );
    break;
  }
  if( list ) ibv_free_device_list( list );
  return err;
}
