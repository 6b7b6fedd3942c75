#ifndef RGROOVE_RG_VERBS_H
#define RGROOVE_RG_VERBS_H

/* rg_verbs.h: the verbs transport.  A memory server registers its region
   with remote read, write and atomic access and listens with librdmacm;
   a client connects one RC queue pair and gets an rg_mem_t whose every
   operation is one work request:

     read        RDMA READ into a registered bounce buffer, waited for
     write       RDMA WRITE from a registered ring, posted unsignaled
     cas, faa    IBV_WR_ATOMIC_CMP_AND_SWP / _FETCH_AND_ADD, waited for
     fence       waits until every posted write has completed

   Publish after write (doc/design.md): a write and the atomic that
   publishes it go on the same RC queue pair.  The responder executes an
   RC queue pair's requests in order and an atomic may not pass an
   earlier RDMA WRITE (only reads and atomics may be passed, by later
   writes), so the bytes are in place before the atomic changes the word
   that makes them reachable.  No fence, no extra round trip.  And since
   completions of one send queue arrive in order, the completion of any
   later signaled request tells that every earlier write is done: that
   is when a ring slot is reused.

   The connect request carries a protocol version and an admission token;
   the server answers with the region's address, key and size, or rejects
   with a reason the client reports.

   fork: librdmacm opens the RDMA devices once per process, and the kernel
   refuses a child the device handles its parent opened.  A process that
   has connected must not expect its forked children to connect; start
   them with exec (as mpirun does), or connect only in the children. */

#include "rg_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RG_VERBS_PROTO_VERSION (2U)
#define RG_VERBS_TOKEN_MAX     (RG_TOKEN_MAX)
#define RG_VERBS_PORT_DEFAULT  (7471U)


/* Client ************************************************************/

typedef struct rg_verbs_client rg_verbs_client_t;

/* rg_verbs_client_connect connects to the memory server at host:port
   (host: a name or address that resolves to an RDMA-capable interface)
   presenting token (token_sz bytes, at most RG_VERBS_TOKEN_MAX; NULL and
   0 for none).  Every step waits at most timeout_ms.  Checks the device:
   atomics supported (atomic_cap not NONE), enough outstanding reads and
   atomics (max_qp_rd_atom), the port active.

   Returns the connection, or NULL with *opt_err set: RG_ERR_INVAL (bad
   arguments), RG_ERR_PERM (the server refused: wrong token or version;
   rg_errmsg has its reason), RG_ERR_IO (no route, no RDMA device, the
   device lacks atomics, the server is not there, a timeout).  rg_errmsg
   says what to do.  Thread safe; the connection itself belongs to one
   thread at a time. */

rg_verbs_client_t *
rg_verbs_client_connect( char const * host,
                         uint16_t     port,
                         void const * token,
                         uint64_t     token_sz,
                         int          timeout_ms,
                         int *        opt_err );

/* rg_verbs_client_connect_as is rg_verbs_client_connect presenting
   protocol version proto_version: for tests of the server's admission. */

rg_verbs_client_t *
rg_verbs_client_connect_as( char const * host,
                            uint16_t     port,
                            void const * token,
                            uint64_t     token_sz,
                            int          timeout_ms,
                            uint32_t     proto_version,
                            int *        opt_err );

/* rg_verbs_client_mem returns the connection's memory operations over
   the server's whole region (offset 0 = region base, size = its size).
   Valid until rg_verbs_client_disconnect. */

rg_mem_t const *
rg_verbs_client_mem( rg_verbs_client_t const * client );

/* rg_verbs_client_identity: {the server's boot id, this connection's
   serial there}, as the server's connect and disconnect events name it. */

void
rg_verbs_client_identity( rg_verbs_client_t const * client,
                          uint64_t                  id[ 2 ] );

/* rg_verbs_client_stats copies the connection's counters. */

void
rg_verbs_client_stats( rg_verbs_client_t const * client,
                       rg_mem_stats_t *        stats );

/* rg_verbs_client_disconnect waits for posted writes, disconnects and
   frees everything.  Returns RG_SUCCESS, RG_ERR_INVAL (NULL) or
   RG_ERR_IO (posted writes failed). */

int
rg_verbs_client_disconnect( rg_verbs_client_t * client );

/* Server ************************************************************/

typedef struct rg_verbs_server rg_verbs_server_t;

/* rg_verbs_server_new registers mem's region (mem->base must be set:
   the server's own mapping) with remote read, write and atomic access
   and listens on cfg->addr:cfg->port (addr NULL or "0.0.0.0": every
   interface; port 0: the system picks).  Clients must present cfg's
   token (token_sz bytes, may be 0).  cfg->log receives one line per
   connect, reject and disconnect (NULL: stderr); cfg->event (if set)
   hears of each client admitted and each admitted client gone, by its
   serial.

   Returns the server, or NULL with *opt_err set: RG_ERR_INVAL (bad
   arguments, token too long), RG_ERR_IO (no RDMA device, the address is
   not on an RDMA interface, the port is taken, the device lacks
   atomics, the memlock limit is below the region size: rg_errmsg says
   which and what to do). */

rg_verbs_server_t *
rg_verbs_server_new( rg_mem_t const *       mem,
                     rg_serve_cfg_t const * cfg,
                     int *                  opt_err );

/* rg_verbs_server_poll handles the connection events that arrive within
   timeout_ms (admits, rejects, disconnects) and returns RG_SUCCESS or
   RG_ERR_IO.  The server's CPU takes no part in allocation: between
   polls the clients work alone.  One thread polls. */

int
rg_verbs_server_poll( rg_verbs_server_t * server,
                      int                 timeout_ms );

/* rg_verbs_server_admit opens (open 1) or closes (0) admission: while
   closed, connect requests are rejected with RG_ERR_AGAIN ("try again
   shortly").  Returns RG_SUCCESS.

   rg_verbs_server_client_cnt: clients accepted and not yet gone (a
   client may work from the moment it is accepted, before the server
   sees its connection established).
   rg_verbs_server_fd: a descriptor that is readable when
   rg_verbs_server_poll has work (for poll/select loops). */

int      rg_verbs_server_admit     ( rg_verbs_server_t * server, int open );
uint64_t rg_verbs_server_client_cnt( rg_verbs_server_t const * server );
int      rg_verbs_server_fd        ( rg_verbs_server_t const * server );

/* rg_verbs_server_port: the port the server listens on (the one the
   system chose when it was created with port 0). */

uint16_t rg_verbs_server_port( rg_verbs_server_t const * server );

/* rg_verbs_server_delete disconnects every client, deregisters the
   region and stops listening.  The region itself is the caller's. */

void
rg_verbs_server_delete( rg_verbs_server_t * server );

/* rg_verbs_probe tells whether this host has an RDMA device with an
   active port and remote atomics.  On RG_SUCCESS, if addr is not NULL,
   it receives (addr_sz bytes at most) the IPv4 address of the network
   interface that port runs over ("" if none is found, e.g. InfiniBand
   without IPoIB).  Returns RG_SUCCESS, or RG_ERR_IO when there is no
   usable device (rg_errmsg says why).  Thread safe. */

int
rg_verbs_probe( char * addr,
                uint64_t addr_sz );

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_VERBS_H */
