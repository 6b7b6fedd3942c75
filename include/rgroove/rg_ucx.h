#ifndef RGROOVE_RG_UCX_H
#define RGROOVE_RG_UCX_H

/* rg_ucx.h: the ucx transport, ucx://HOST[:PORT] (see rg_transport.h).
   A memory server maps its region with UCP (ucp_mem_map of the memory it
   already holds), packs its remote key and listens with a UCP listener;
   a client makes one UCP context, worker and endpoint per connection and
   gets an rg_mem_t (base NULL, RG_MEM_CAP_ROUND_TRIP) whose operations
   are:

     read        ucp_get_nbx into the caller's buffer (over tcp: a request
                 of our own, below)
     write       ucp_put_nbx from a copy, the caller's buffer free at return
                 (over tcp: a request of our own)
     cas, faa    a request of our own: 64-bit CSWAP / ADD with a reply
     fence       the writes are in the server's memory: ucp_ep_flush_nbx,
                 or the answers to writes of our own
     post/wait   the same operations, several in flight, results at the wait

   Requests of our own.  Where UCX has no transport for an operation it
   emulates it: the client sends an active message, the server's worker
   carries it out and answers.  UCX 1.13 aborts the server process when
   such an answer cannot be sent because the client died meanwhile.  So
   the client sends those operations as active messages of rgroove's own
   (RG_UCX_AM_OP: the operation, offset, size, operands; a write's bytes)
   and the server carries each out on the region with the CPU in its
   polling thread and answers (RG_UCX_AM_DONE: the word found, a read's
   bytes), as UCX would; an answer that fails only fails.  That is every
   atomic (no transport offers them to rgroove: "Atomic domain" below),
   and reads and writes where the endpoint has no RMA lane (tcp: UCX's
   endpoint report lists no "put" line).  The server answers admitted
   clients only, and checks every range against the region.

   Handshake.  A UCP connection request carries no data of ours, so the
   client's first message on the new endpoint is an active message with
   a magic, the protocol version and the admission token.  The server
   answers with the region's address and size, its packed remote key, its
   boot id and the client's serial (the client's identity, as the
   server's connect and disconnect events name it), or with an RG_ERR
   code and a reason the client reports: RG_ERR_PERM for a wrong token or
   version, RG_ERR_AGAIN while admission is closed.  A client counts from
   that answer on; the server notices one that dies through its
   endpoint's peer-failure error handling.

   Ordering (UCX 1.13).  UCP orders nothing between two operations on an
   endpoint by itself, and ucp_worker_fence only fences each transport
   interface: it orders operations that travel on the same lane.  GET and
   PUT go on the endpoint's RMA lane, requests of our own as active
   messages on its AM lane (eager, one lane: MAX_EAGER_RAILS=1); those
   may be different lanes (UCX 1.14 added a fence that flushes endpoints
   for this reason).  So the client keeps "publish after write" itself: a
   read, atomic or fence issued while a write may not have reached the
   server first flushes the endpoint (ucp_ep_flush_nbx completes once
   every earlier operation is complete at the target; a write of our own
   is complete when its answer arrives) and waits for it; a write issued
   while reads or atomics are in flight first waits for their replies;
   between two operations of one kind (one lane) a ucp_worker_fence keeps
   their order.  Requests therefore execute in the order posted, as
   rg_mem.h asks.  The flush is a real network round trip that the
   rg_mem.h rule does not count (the counters match loop's for the same
   calls); it costs one extra latency per write published, and nothing
   when no write is outstanding.

   Atomic domain.  rgroove sets UCX_ATOMIC_MODE=cpu in the contexts it
   makes, whatever the environment says: a server's worker offers its
   clients transport atomics only on the interfaces its atomic mode
   selects, and in cpu mode those are the ones UCX marks consistent with
   CPU atomics (UCT_IFACE_FLAG_ATOMIC_CPU).  A client's endpoint uses a
   transport's atomics only if that transport also offers UCP's whole
   64-bit set (add, and, or, xor, swap, cswap, with and without fetch,
   as UCP_FEATURE_AMO64 asks); otherwise UCP would emulate them: the
   client sends each one as an active message, and the server's worker
   executes it with a locked CPU instruction on the region, in the thread
   that progresses that worker (rgroove's poll), and replies.  rgroove
   does exactly that with requests of its own (above).  Case by case,
   with UCX 1.13 (emulated: no transport atomics for rgroove):

   - tcp: no transport atomics: emulated, CPU atomics on the server.
   - rc_verbs (any verbs device, rxe included): fetch-add and cswap only,
     not the whole set: emulated over the verbs connection's active
     messages, CPU atomics on the server.
   - rc_mlx5 / dc_mlx5 with PCIe atomics (consistent with the CPU's):
     fetch-add and cswap only again: emulated.
   - rc_mlx5 / dc_mlx5 with extended atomics: the whole set, but device
     atomics, not atomic against the CPU's; UCX's default mode would use
     them, cpu mode does not: emulated.

   So a ucx connection's atomics are always RG_MEM_DOMAIN_CPU (the server
   says so in its answer), and the server process may use CPU atomics on
   the region while clients are attached.  The price: every atomic costs
   the server's CPU a message and a reply, and no adapter atomics are
   used (rgroove never mixes the two domains on one region).

   Progress.  Requests of our own (every atomic, and reads and writes
   over tcp) are carried out by the server's worker: the server must call poll in a loop
   (rgroove-server does; rg_mpi runs a progress thread).  A server that
   stops polling stalls its clients; their operations fail with RG_ERR_IO
   after 10 s.

   Probe (rg_transport.h) says yes where UCX starts and either this host
   has an RDMA device or UCX_TLS is set: over sockets alone every atomic
   costs the server's CPU, and a launcher choosing by itself (rg_mpi's
   auto) must not take that over shared memory; setting UCX_TLS (e.g.
   UCX_TLS=tcp) asks for it.  rgroove-server and ucx:// URIs do not
   probe.

   Devices.  ?device=NAME[:PORT] in the URI, cfg->device or RGROOVE_DEVICE
   become UCX_NET_DEVICES for that context; UCX_TLS and UCX's other
   variables apply as usual (UCX_TLS=tcp on a host without RDMA). */

#include "rg_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RG_UCX_PROTO_VERSION (2U)
#define RG_UCX_PORT_DEFAULT  (7471U) /* rgroove-server's default port */

/* rg_ucx_open_as connects to the ucx memory server at host:port (an
   IPv4 address or a name that resolves to one; port 0: the default)
   presenting token (token_sz bytes, at most RG_TOKEN_MAX; NULL and 0
   for none) and protocol version proto_version (RG_UCX_PROTO_VERSION
   for a real client; others exist to test the server's admission).
   Waits at most RGROOVE_TIMEOUT_MS (default 5000) for the answer.

   Returns the connection (close it with conn->tp->close), or NULL with
   *opt_err set: RG_ERR_INVAL (bad arguments, or a library built without
   UCX), RG_ERR_PERM (refused: wrong token or version; rg_errmsg has the
   server's reason), RG_ERR_AGAIN (admission closed for now), RG_ERR_IO
   (no server there, UCX cannot reach it, a timeout).  Thread safe; the
   connection belongs to one thread at a time. */

rg_conn_t *
rg_ucx_open_as( char const * host,
                uint16_t     port,
                void const * token,
                uint64_t     token_sz,
                uint32_t     proto_version,
                int *        opt_err );

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_UCX_H */
