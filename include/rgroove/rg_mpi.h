#ifndef RGROOVE_RG_MPI_H
#define RGROOVE_RG_MPI_H

/* rg_mpi.h: opening a pool collectively under MPI (librgroove_mpi).

   rg_mpi_open is called by every rank of a communicator.  Chosen ranks
   become memory servers: each creates a pool region and serves it; they
   publish how to reach it with one allgather on a duplicate of the
   communicator; then every rank opens one pool handle over all servers
   (rg_pool_open_multi), server i being the i-th server rank.  MPI carries
   only these bootstrap messages, never pool traffic.

   Transport, chosen once for the job and printed by rank 0:
   - verbs where every rank has a usable RDMA device (server ranks run a
     progress thread that admits clients; a server rank reaches its own
     pool through the device too, like everyone else: doc/architecture.md,
     "one atomic domain");
   - shm when all ranks share one host and there is no device (server
     ranks create POSIX shared-memory pools that the others map; each
     pool's name is removed as soon as every rank has it open, so a job
     that is killed leaves nothing in /dev/shm);
   - forced by opts.transport or the RGROOVE_TRANSPORT environment
     variable ("shm" or "verbs"; the option wins).

   Ranks share a host when their host names and kernel boot ids match.
   A verbs server rank first checks that it can pin its whole region
   (rg_shm_preflight).

   Every wait has a time limit (opts.timeout_ms): every collective of
   rg_mpi_open, rg_mpi_barrier, rg_mpi_verify and rg_mpi_close is a
   nonblocking one given up after the timeout, so a rank that is gone
   or hangs makes the others report it ("gave up after T ms waiting for
   the other ranks (what)" on stderr) and return RG_ERR_IO instead of
   hanging.  After that the communicator holds requests that will never
   complete: later calls on the handle fail at once (rg_mpi_close still
   frees it), and the program should end with MPI_Abort rather than
   MPI_Finalize, which may wait for the lost rank. */

#include <mpi.h>
#include "rg_pool.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rg_mpi_opts {
  int          servers;     /* server ranks; 0 = the first rank of every node */
  char const * transport;   /* "auto" or NULL (shm on one host, else the first network transport every rank reaches), "shm", "verbs", "ucx" */
  uint64_t     volumes;     /* 1 GiB volumes per server (0 = 1) */
  int          timeout_ms;  /* bound on every collective wait (0 = 60000) */
  int          quiet;       /* rank 0 does not print the transport choice */
} rg_mpi_opts_t;

typedef struct rg_mpi rg_mpi_t;

/* rg_mpi_open: collective over comm.  On success *out is this rank's
   handle and RG_SUCCESS is returned on every rank.  On failure every
   rank returns the same error (the failing rank's rg_errmsg is printed
   by that rank to stderr): RG_ERR_INVAL (more servers than ranks, an
   unknown transport, bad volumes), RG_ERR_IO (a network transport
   forced where it cannot work, ranks on several hosts that no network
   transport connects, a server that could not
   create or register its pool, a timeout).  Not thread safe: one call
   per process, from the thread that uses MPI. */

int
rg_mpi_open( MPI_Comm              comm,
             rg_mpi_opts_t const * opts,
             rg_mpi_t **           out );

/* Accessors: this rank's pool handle (all servers); whether this rank is
   a server and which; the transport chosen ("shm" or "verbs"); the
   duplicated communicator (for the caller's own bootstrap messages). */

rg_pool_t *  rg_mpi_pool        ( rg_mpi_t const * mpi );
int          rg_mpi_server_idx  ( rg_mpi_t const * mpi ); /* -1: not a server */
int          rg_mpi_server_cnt  ( rg_mpi_t const * mpi );
char const * rg_mpi_transport   ( rg_mpi_t const * mpi );
MPI_Comm     rg_mpi_comm        ( rg_mpi_t const * mpi );

/* rg_mpi_barrier: a barrier on the handle's communicator that gives up
   after the open's timeout.  Returns RG_SUCCESS or RG_ERR_IO (a rank did
   not arrive in time; the message names the wait). */

int
rg_mpi_barrier( rg_mpi_t * mpi,
                char const * what );

/* rg_mpi_verify: collective.  Every rank flushes its pool handle
   (rg_pool_flush); once no rank uses the pool, every server rank
   verifies its own, recovering first what dead clients left; returns
   the first failure on every rank.  *objects (if not NULL) receives
   the live objects over all servers. */

int
rg_mpi_verify( rg_mpi_t * mpi,
               uint64_t * objects );

/* rg_mpi_close: collective.  Every rank closes its handle, then the
   servers stop serving and delete their pools.  Returns RG_SUCCESS or
   the first error. */

int
rg_mpi_close( rg_mpi_t * mpi );

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_MPI_H */
