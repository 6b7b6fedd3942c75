#ifndef RGROOVE_TRANSPORT_SHM_RG_SHM_BACKING_H
#define RGROOVE_TRANSPORT_SHM_RG_SHM_BACKING_H

/* Internal: a local region's mapping, shared by the handles of the shm
   and loop transports that dup made, and freed with the last one. */

#include "rgroove/rg_shm.h"
#include "rgroove/rg_uri.h"

typedef struct rg_shm_backing {
  rg_shm_t * shm;
  uint64_t   refcnt; /* atomic */
} rg_shm_backing_t;

/* rg_shm_backing_open maps the local pool uri names (anon, shm, file;
   for loop: the pool inside), creating it with create_size bytes when
   that is not 0.  Returns the backing with one reference, or NULL with
   *err set (RG_ERR_INVAL, RG_ERR_KEY, RG_ERR_IO as rg_shm_create and
   rg_shm_attach). */

rg_shm_backing_t *
rg_shm_backing_open( rg_uri_t const * uri,
                     uint64_t         create_size,
                     int *            err );

void rg_shm_backing_ref  ( rg_shm_backing_t * b );
void rg_shm_backing_unref( rg_shm_backing_t * b );

/* rg_shm_backing_unlink removes the named backing of a local pool URI:
   RG_SUCCESS, RG_ERR_INVAL (anon, or not local) or RG_ERR_KEY. */

int
rg_shm_backing_unlink( rg_uri_t const * uri );

/* rg_shm_lock takes the owner lock of shm's named backing (rg_shm_own,
   rg_shm.h): RG_SUCCESS (anon too), RG_ERR_PERM naming the holder, or
   RG_ERR_IO. */

int
rg_shm_lock( rg_shm_t * shm );

#endif /* RGROOVE_TRANSPORT_SHM_RG_SHM_BACKING_H */
