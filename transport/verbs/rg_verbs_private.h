#ifndef RGROOVE_TRANSPORT_VERBS_RG_VERBS_PRIVATE_H
#define RGROOVE_TRANSPORT_VERBS_RG_VERBS_PRIVATE_H

/* Shared by the verbs client and server: the connection handshake's
   private data, device checks and selection, and waiting for a CM
   event. */

#include "rgroove/rg_verbs.h"
#include "base/rg_err.h"
#include "rg_verbs_qp.h"

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#define RG_VERBS_MAGIC (0x72677276U) /* "rgrv" */

/* Outstanding RDMA reads and atomics per queue pair: a client asks for
   RG_MEM_INFLIGHT_RA (the most rg_mem.h lets be in flight; more helps
   nothing), bounded by its device's max_qp_init_rd_atom and the
   server's max_qp_rd_atom.  A device must allow at least
   RG_VERBS_RD_ATOM_MIN; one that allows fewer than RG_MEM_INFLIGHT_RA
   holds the requests beyond its depth in the send queue until earlier
   ones are answered (RC requesters may not exceed the negotiated
   depth): they wait earlier, in the adapter, and the round-trip count,
   a count of the rule, stays the same. */
#define RG_VERBS_RD_ATOM_MIN (1U)

/* Connect request: fits RC's 56 bytes of private data. */

typedef struct __attribute__((packed)) rg_verbs_req {
  uint32_t magic;
  uint32_t version;
  uint32_t token_sz;
  uint8_t  token[ RG_VERBS_TOKEN_MAX ];
} rg_verbs_req_t;

/* Accept: what a client needs to reach the region. */

typedef struct __attribute__((packed)) rg_verbs_rep {
  uint32_t magic;
  uint32_t version;
  uint64_t addr;   /* region base in the server's address space */
  uint64_t size;   /* region bytes */
  uint32_t rkey;
  uint64_t boot;   /* the server's boot id: a client's identity is {boot, serial} */
  uint64_t serial; /* this connection's serial at the server */
} rg_verbs_rep_t;

/* Reject: why (fits the 148 bytes a reject may carry). */

typedef struct __attribute__((packed)) rg_verbs_rej {
  uint32_t magic;
  int32_t  err;    /* RG_ERR_* */
  char     reason[ 120 ];
} rg_verbs_rej_t;

_Static_assert( sizeof(rg_verbs_req_t)<=56,  "connect private data" );
_Static_assert( sizeof(rg_verbs_rej_t)<=148, "reject private data" );
_Static_assert( sizeof(rg_verbs_rep_t)<=196, "accept private data" );

/* rg_verbs_check_device: the device behind ctx supports 64-bit atomics,
   RG_VERBS_RD_ATOM_MIN outstanding reads/atomics, and port is active.
   Returns RG_SUCCESS or RG_ERR_IO with a message saying what to do.
   rg_verbs_check_attrs is the decision on attributes already queried;
   rg_verbs_check_memlock the one on a memlock limit (privileged: the
   process may lock memory beyond it). */

int
rg_verbs_check_attrs( char const *                   name,
                      uint8_t                        port,
                      struct ibv_device_attr const * dev,
                      struct ibv_port_attr const *   pa );

int
rg_verbs_check_memlock( uint64_t region_sz,
                        uint64_t limit,
                        int      privileged );


int
rg_verbs_check_device( struct ibv_context * ctx,
                       uint8_t              port );

/* Device selection (rg_verbs_port.c) ***********************************/

#define RG_VERBS_PORT_MAX (64UL) /* ports looked at */
#define RG_VERBS_IF_MAX   (64UL) /* network interfaces looked at */

/* A port of an RDMA device and where it is reached. */

typedef struct rg_verbs_port {
  char    dev[ 64 ];     /* device name, as ibv_devices lists it */
  uint8_t num;           /* port number, from 1 */
  uint8_t link;          /* IBV_LINK_LAYER_ETHERNET (RoCE) or _INFINIBAND */
  int     state;         /* enum ibv_port_state */
  int     usable;        /* the device has remote atomics and RG_VERBS_RD_ATOM_MIN reads/atomics in flight */
  char    netdev[ 32 ];  /* the network interface it runs over, "" if none found */
  char    addr[ 16 ];    /* the IPv4 address rdma_cm reaches it at, "" if none */
  int     gid_index;     /* the GID of addr (RoCE) or of the port (IB); -1 if none */
} rg_verbs_port_t;

/* A network interface, as getifaddrs tells. */

typedef struct rg_verbs_if {
  char     name[ 32 ];
  uint32_t index;
  uint16_t hatype;      /* ARPHRD_* */
  uint8_t  halen;
  uint8_t  hw[ 32 ];    /* hardware address (IPoIB: 4 bytes, then the port GID) */
  char     addr[ 16 ];  /* first IPv4 address, "" if none */
} rg_verbs_if_t;

/* What was asked for: the device (dev "" for any) and port (0 for the
   first active one), the GID index (-1 for rdma_cm's choice). */

typedef struct rg_verbs_want {
  char    dev[ 64 ];
  uint8_t port;
  int     gid_index;
} rg_verbs_want_t;

/* rg_verbs_spec_parse splits NAME[:PORT] into name (name_sz bytes at
   most) and *port (0 when not given).  rg_verbs_gid_parse reads a GID
   index 0..255 (what names the source in the message).  Both return
   RG_SUCCESS or RG_ERR_INVAL saying what is wrong.  Pure. */

int
rg_verbs_spec_parse( char const * text,
                     char *       name,
                     uint64_t     name_sz,
                     uint8_t *    port );

int
rg_verbs_gid_parse( char const * text,
                    char const * what,
                    int *        gid_index );

/* rg_verbs_want_init fills *w by precedence: device (NAME[:PORT]) and
   gid_index (>= 0) when given, else RGROOVE_DEVICE and
   RGROOVE_GID_INDEX, else nothing (automatic).  Returns RG_SUCCESS or
   RG_ERR_INVAL (a malformed value, rg_errmsg says which). */

int
rg_verbs_want_init( rg_verbs_want_t * w,
                    char const *      device,
                    int               gid_index );

/* rg_verbs_port_pick chooses among cnt ports: name NULL or "" picks the
   first ACTIVE usable port, one with an IPv4 address first; a name picks
   that device's port num (0: its first ACTIVE one).  *idx gets the
   index.  Returns RG_SUCCESS, or RG_ERR_IO with a message that lists
   every device, port and state found ("RDMA device mlx5_3 not found;
   found: rxe0 port 1 ACTIVE, ...; set RGROOVE_DEVICE=NAME[:PORT]"), for
   an absent device or port, a port not ACTIVE, or nothing active.
   Pure. */

int
rg_verbs_port_pick( rg_verbs_port_t const * ports,
                    uint64_t                cnt,
                    char const *            name,
                    uint8_t                 num,
                    uint64_t *              idx );

/* rg_verbs_port_resolve fills p's netdev, addr and gid_index (p's dev,
   num and link set) from the device's GID table (gid_cnt entries of any
   port) and the host's interfaces.  RoCE: want_gid's entry, else the
   port's first IPv4-mapped GID (RoCE v2 first), gives the address; its
   ndev_ifindex the interface.  InfiniBand: the IPoIB interface whose
   hardware address holds GID want_gid (else the port's lowest) gives
   both.  Returns RG_SUCCESS (addr "" when nothing was found), or
   RG_ERR_IO when want_gid is not in the table or, on RoCE, is not an
   IPv4 GID (the message lists the port's GIDs).  Pure. */

int
rg_verbs_port_resolve( rg_verbs_port_t *            p,
                       struct ibv_gid_entry const * gids,
                       uint64_t                     gid_cnt,
                       rg_verbs_if_t const *        ifs,
                       uint64_t                     if_cnt,
                       int                          want_gid );

/* rg_verbs_ports_describe writes "rxe0 port 1 ACTIVE, rxe1 port 1 DOWN"
   (cnt ports); rg_verbs_ports_ifaces "dummy0 169.254.7.1 (rxe0 port
   1), ...": the interfaces RDMA devices run over.  Pure. */

void
rg_verbs_ports_describe( rg_verbs_port_t const * ports,
                         uint64_t                cnt,
                         char *                  buf,
                         uint64_t                buf_sz );

void
rg_verbs_ports_ifaces( rg_verbs_port_t const * ports,
                       uint64_t                cnt,
                       char *                  buf,
                       uint64_t                buf_sz );

/* rg_verbs_ports_query lists the ports of this host's RDMA devices (at
   most max), resolved without a GID index.  rg_verbs_port_query
   resolves device name's port num with want_gid.  Return RG_SUCCESS or
   RG_ERR_IO (rg_verbs_port_resolve's errors; a port that is gone). */

int
rg_verbs_ports_query( rg_verbs_port_t * ports,
                      uint64_t          max,
                      uint64_t *        cnt );

int
rg_verbs_port_query( char const *      name,
                     uint8_t           num,
                     int               want_gid,
                     rg_verbs_port_t * port );

/* rg_verbs_choose: the port w asks for (rg_verbs_port_pick), resolved
   with its GID index.  rg_verbs_probe_want also checks that the device
   can serve (rg_verbs_check_device).  Return RG_SUCCESS or RG_ERR_IO. */

int
rg_verbs_choose( rg_verbs_want_t const * w,
                 rg_verbs_port_t *       port );

int
rg_verbs_probe_want( rg_verbs_want_t const * w,
                     rg_verbs_port_t *       port );

/* For tests: the client's data path (to read its doorbell count, or to
   give it another rkey so that requests fail at the server), and the
   device, port and GID index its queue pair uses ("rxe1:1 gid 1"). */

rg_verbs_qp_t *
rg_verbs_client_qp( rg_verbs_client_t * client );

void
rg_verbs_client_device( rg_verbs_client_t const * client,
                        char *                    buf,
                        uint64_t                  buf_sz );

/* rg_verbs_server_addr: the IPv4 address clients reach the server at
   (its listen address, or for a wildcard listener the first RDMA
   interface's). */

void
rg_verbs_server_addr( rg_verbs_server_t const * server,
                      char *                    buf,
                      uint64_t                  buf_sz );

/* rg_verbs_wait_event waits up to timeout_ms for the next CM event on
   ch.  Returns RG_SUCCESS with *ev (ack it), RG_ERR_AGAIN when none came
   in time, or RG_ERR_IO. */

int
rg_verbs_wait_event( struct rdma_event_channel * ch,
                     int                         timeout_ms,
                     struct rdma_cm_event **     ev );

#endif /* RGROOVE_TRANSPORT_VERBS_RG_VERBS_PRIVATE_H */
