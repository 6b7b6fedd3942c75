#ifndef RGROOVE_RG_VERBS_H
#define RGROOVE_RG_VERBS_H

/* rg_verbs.h: the verbs transport.  A memory server registers its region
   with remote read, write and atomic access and listens with librdmacm;
   a client connects one RC queue pair and gets an rg_mem_t over it:

     post        the requests as one chain of work requests, one
                 ibv_post_send (one doorbell); only the last asks for a
                 completion (the send queue completes in order); a write
                 over bytes an earlier read or atomic still reads goes
                 with IBV_SEND_FENCE (a later write may pass them)
     wait        polls until the completion that covers the ticket, then
                 copies read bytes and atomic results to the caller
     read        RDMA READ into registered landing space: post + wait
     write       RDMA WRITE from a registered ring, the source copied at
                 the post: posted, never waited for
     cas, faa    IBV_WR_ATOMIC_CMP_AND_SWP / _FETCH_AND_ADD, the result
                 landing in registered space: post + wait
     fence       with writes outstanding, a small read and its wait

   Round trips, doorbells and requests are counted by the rule of rg_mem.h,
   the same as loop: counts for the same calls.  A connection asks for
   RG_MEM_INFLIGHT_RA outstanding reads and atomics (initiator depth),
   bounded by the devices' max_qp_init_rd_atom and max_qp_rd_atom; with
   less, the adapter holds the requests beyond its depth until earlier
   ones are answered (they wait earlier, the count stays the same).
   A failed completion breaks the connection: the wait covering it
   returns RG_ERR_IO naming the verbs status, later posts are refused.

   Publish after write (doc/architecture.md): a write and the atomic that
   publishes it go on the same RC queue pair.  The responder executes an
   RC queue pair's requests in order and an atomic may not pass an
   earlier RDMA WRITE (only reads and atomics may be passed, by later
   writes), so the bytes are in place before the atomic changes the word
   that makes them reachable.  No fence, no extra round trip.

   Device selection.  rdma_cm picks the RDMA device by IPv4 address, so
   rgroove chooses a device, port or GID index by choosing the address:
   a server listens on the address of the port it is given (--device,
   cfg->device, RGROOVE_DEVICE=NAME[:PORT]) or, without one, on --addr,
   whose interface tells the device; a client binds its source address
   to the port it is given (?device=NAME[:PORT] in the URI, then
   RGROOVE_DEVICE) or lets the route to the server decide.  A GID index
   (?gid=N, RGROOVE_GID_INDEX, --gid-index) means the IPv4 address that
   GID holds (RoCE: ::ffff:a.b.c.d); a client checks that its queue pair
   got that index and refuses the connection otherwise (rdma_cm takes the
   port's default RoCE type: another type's GID of the same address
   cannot be chosen).  An option given explicitly beats the environment.

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

/* rg_verbs_client_connect_on connects to the memory server at
   host:port (host: a name or address that resolves to an RDMA-capable
   interface) through RDMA device device ("NAME[:PORT]"; NULL:
   RGROOVE_DEVICE, else the device the route to host takes) with GID
   index gid_index (-1: RGROOVE_GID_INDEX, else rdma_cm's choice),
   presenting token (token_sz bytes, at most RG_VERBS_TOKEN_MAX; NULL and
   0 for none).  Every step waits at most timeout_ms.  Checks the device:
   atomics supported (atomic_cap not NONE), at least one outstanding read
   or atomic (max_qp_rd_atom), the port active.

   Returns the connection, or NULL with *opt_err set: RG_ERR_INVAL (bad
   arguments, a malformed device, GID index or environment value),
   RG_ERR_PERM (the server refused: wrong token or version; rg_errmsg
   has its reason), RG_ERR_IO (the device absent or its port not active,
   listing the devices and ports found; no IPv4 address on it; the route
   goes through another device; the GID index not available; no route,
   no RDMA device, the device lacks atomics, the server is not there, a
   timeout).  rg_errmsg says what to do.  Thread safe; the connection
   itself belongs to one thread at a time. */

rg_verbs_client_t *
rg_verbs_client_connect_on( char const * host,
                            uint16_t     port,
                            char const * device,
                            int          gid_index,
                            void const * token,
                            uint64_t     token_sz,
                            int          timeout_ms,
                            int *        opt_err );

/* rg_verbs_client_connect is rg_verbs_client_connect_on with device
   NULL and gid_index -1 (the environment, else automatic). */

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
   frees everything (results of requests never waited for are dropped).  Returns RG_SUCCESS, RG_ERR_INVAL (NULL) or
   RG_ERR_IO (posted writes failed). */

int
rg_verbs_client_disconnect( rg_verbs_client_t * client );

/* Server ************************************************************/

typedef struct rg_verbs_server rg_verbs_server_t;

/* rg_verbs_server_new registers mem's region (mem->base must be set:
   the server's own mapping) with remote read, write and atomic access
   and listens on cfg->addr:cfg->port (port 0: the system picks).  The
   device: cfg->device ("NAME[:PORT]"), else RGROOVE_DEVICE, else the one
   of addr's interface; the GID index: cfg->gid_index (>= 0), else
   RGROOVE_GID_INDEX, else rdma_cm's.  With a device or GID index and
   addr NULL or "0.0.0.0" it listens on the address of that port or GID;
   with an addr too, addr must be on it.  addr NULL or "0.0.0.0" and
   neither: every interface (the region is registered with the device of
   the first client).  Clients must present cfg's token (token_sz bytes,
   may be 0).  cfg->log receives one line on the device listened on and
   one per connect, reject and disconnect (NULL: stderr); cfg->event (if
   set) hears of each client admitted and each admitted client gone, by
   its serial.

   Returns the server, or NULL with *opt_err set: RG_ERR_INVAL (bad
   arguments, token too long, a malformed device or GID index),
   RG_ERR_IO (no RDMA device; the device absent or its port not active,
   listing what was found; addr not on an RDMA interface, listing the
   interfaces that are; addr on another device than asked; the port is
   taken; the device lacks atomics; the memlock limit is below the
   region size: rg_errmsg says which and what to do). */

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
   active port and remote atomics: the one RGROOVE_DEVICE names
   (NAME[:PORT]), else the first active port with an IPv4 address.  On
   RG_SUCCESS, if addr is not NULL, it receives (addr_sz bytes at most)
   the IPv4 address that port is reached at: on RoCE the address of its
   IPv4 GID (RGROOVE_GID_INDEX's, if set), on InfiniBand that of its
   IPoIB interface ("" if none is found).  Returns RG_SUCCESS, RG_ERR_IO
   when there is no usable device or the one named is absent or down
   (rg_errmsg lists the devices and ports found), or RG_ERR_INVAL for a
   malformed RGROOVE_DEVICE or RGROOVE_GID_INDEX.  Thread safe. */

int
rg_verbs_probe( char * addr,
                uint64_t addr_sz );

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_VERBS_H */
