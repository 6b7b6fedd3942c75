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
   1 GiB volumes costs only the pages that are touched. */

#include "rg_mem.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RG_SHM_ANON  (0)
#define RG_SHM_POSIX (1)
#define RG_SHM_FILE  (2)

typedef struct rg_shm rg_shm_t;

/* rg_shm_create makes a new backing of size bytes (name is ignored for
   RG_SHM_ANON; it must not exist yet for the others) and maps it.
   Returns the handle, or NULL with *opt_err set: RG_ERR_INVAL (bad kind,
   size 0, missing name, the name exists already) or RG_ERR_IO (the
   system refused: rg_errmsg says why).  Thread safe. */

rg_shm_t *
rg_shm_create( int          kind,
               char const * name,
               uint64_t     size,
               int *        opt_err );

/* rg_shm_attach maps an existing POSIX or file backing whole.  Returns
   the handle, or NULL with *opt_err set: RG_ERR_INVAL (bad kind, NULL
   name), RG_ERR_KEY (no such name) or RG_ERR_IO. */

rg_shm_t *
rg_shm_attach( int          kind,
               char const * name,
               int *        opt_err );

/* rg_shm_close unmaps and frees the handle (the backing stays: see
   rg_shm_unlink).  Returns RG_SUCCESS or RG_ERR_INVAL (NULL). */

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

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_SHM_H */
