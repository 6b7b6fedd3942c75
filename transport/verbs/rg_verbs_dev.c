/* Device capability checks and CM event waits shared by both sides. */

#include "rg_verbs_private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
  if( dev->max_qp_rd_atom<(int)RG_VERBS_RD_ATOM_MIN || dev->max_qp_init_rd_atom<(int)RG_VERBS_RD_ATOM_MIN )
    return rg_err( RG_ERR_IO, "RDMA device %s allows %d outstanding reads/atomics per queue pair, rgroove needs at least %u",
                   name, dev->max_qp_rd_atom<dev->max_qp_init_rd_atom ? dev->max_qp_rd_atom : dev->max_qp_init_rd_atom,
                   RG_VERBS_RD_ATOM_MIN );
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
