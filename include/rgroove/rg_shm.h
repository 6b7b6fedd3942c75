#ifndef RGROOVE_RG_SHM_H
#define RGROOVE_RG_SHM_H

/* rg_shm.h: the shared-memory transport.  A region mapped into this
   process, reached with CPU atomics (rg_mem_t with base set).  Three
   backings:

   RG_SHM_ANON   anonymous shared memory: this process's threads and the
                 children it forks after creating it.
   RG_SHM_POSIX  a POSIX shared-memory object (shm_open name, "/x"):
                 any process on this host may attach, at any address.
   RG_SHM_FILE   a file, mapped MAP_SHARED: attachable like POSIX, and
                 the pool outlives every process.

   The whole span is reserved with MAP_NORESERVE, so a region of many
   1 GiB volumes costs only the pages that are touched, except a file
   backing: its blocks are reserved when it is made (fallocate), so that
   a full filesystem is reported then, not met later as SIGBUS on a page
   that cannot be written.  (On a filesystem that cannot reserve, such
   as 9p, the free space is checked instead.)

   A named backing has at most one owner at a time: the process that
   created it, or one that took it with rg_shm_own (a memory server
   serving it).  The owner holds an exclusive lock (flock) on the
   backing until its last handle on the mapping closes or it dies (the
   kernel drops the lock).  Clients that attach take no lock. */

#include "rg_mem.h"
#include "rg_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RG_SHM_ANON  (0)
#define RG_SHM_POSIX (1)
#define RG_SHM_FILE  (2)

typedef struct rg_shm rg_shm_t;

/* rg_shm_create makes a new backing of size bytes (name is ignored for
   RG_SHM_ANON; it must not exist yet for the others), maps it, and makes
   this process its owner.  A POSIX backing is checked against /dev/shm's
   free space first (rg_shm_preflight with RG_SHM_FIT_NEW); a file
   backing gets its blocks reserved (see above).  Returns the handle, or NULL with
   *opt_err set and nothing left behind: RG_ERR_INVAL (bad kind, size 0,
   missing name, the name exists already), RG_ERR_FULL (the filesystem
   cannot hold size bytes: rg_errmsg says how much is needed and free)
   or RG_ERR_IO (the system refused: rg_errmsg says why).  Thread safe. */

rg_shm_t *
rg_shm_create( int          kind,
               char const * name,
               uint64_t     size,
               int *        opt_err );

/* rg_shm_attach maps an existing POSIX or file backing whole, without
   taking its owner lock.  Returns the handle, or NULL with *opt_err
   set: RG_ERR_INVAL (bad kind, NULL name), RG_ERR_KEY (no such name) or
   RG_ERR_IO. */

rg_shm_t *
rg_shm_attach( int          kind,
               char const * name,
               int *        opt_err );

/* rg_shm_close unmaps and frees the handle and drops its owner lock if
   it holds one (the backing stays: see rg_shm_unlink).  Returns
   RG_SUCCESS or RG_ERR_INVAL (NULL). */

int
rg_shm_close( rg_shm_t * shm );

/* rg_shm_unlink removes a POSIX or file backing by name; processes that
   have it mapped keep their mapping.  Returns RG_SUCCESS, RG_ERR_INVAL
   or RG_ERR_KEY (no such name). */

int
rg_shm_unlink( int          kind,
               char const * name );

/* rg_shm_mem returns the memory-operation interface of the mapping:
   valid until rg_shm_close, usable by any number of threads (the shm
   operations keep no state). */

rg_mem_t const *
rg_shm_mem( rg_shm_t const * shm );

/* rg_shm_own makes this process the owner of the backing that conn maps
   (a connection of the shm transport: rg_transport_open of shm:/NAME or
   file:PATH), so that no second owner, such as a second memory server,
   can take it.  Returns RG_SUCCESS (also when this process owns it
   already, and for anon, which no other process can open), RG_ERR_PERM
   (another process owns it; rg_errmsg names it, pid and command, where
   /proc/locks tells) or RG_ERR_INVAL (NULL, or not a connection of the
   shm transport).  Never waits.  The lock is held until the last handle
   on the mapping closes.  Not thread safe against closing conn. */

int
rg_shm_own( rg_conn_t * conn );

/* rg_shm_preflight checks, before a region of size bytes is made or
   served here, that this host can hold it, so that too large a pool
   fails at once with a message instead of later with SIGBUS or the OOM
   killer.  flags:

   RG_SHM_FIT_NEW     the backing is still to be made: an RG_SHM_POSIX
                      one must fit in /dev/shm's free space, an
                      RG_SHM_FILE one in the free space of name's
                      filesystem (anonymous memory has no filesystem)
   RG_SHM_FIT_PINNED  all of it will be pinned in memory (registered for
                      RDMA by a memory server): size must fit in the
                      memory available (MemAvailable, /proc/meminfo)
                      and, unless this process has CAP_IPC_LOCK (root
                      has), in the memory-lock limit (RLIMIT_MEMLOCK)

   Without RG_SHM_FIT_PINNED memory is not checked: a local pool uses
   only the pages it touches.  Returns RG_SUCCESS, RG_ERR_FULL (rg_errmsg
   says what is asked, what is there and what to do) or RG_ERR_INVAL
   (bad kind or flags, size 0, no name for a new named backing).  Reads
   the system's figures only; thread safe. */

#define RG_SHM_FIT_NEW    (1)
#define RG_SHM_FIT_PINNED (2)

int
rg_shm_preflight( int          kind,
                  char const * name,
                  uint64_t     size,
                  int          flags );

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_SHM_H */
