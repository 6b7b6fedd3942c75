#ifndef RGROOVE_RG_REGION_H
#define RGROOVE_RG_REGION_H

/* rg_region.h: the layout of one memory server's region, so that any
   process or remote client that reaches the region learns its geometry
   from the region itself.

     [0, 4096)                   header (rg_region_info_t, a checksum, zeros)
     [4096, 4096+33024)          groove shared state (rg_groove.h)
     [65536, 65536+4095*960)     client table: one record per join
     [4 MiB + i GiB, +1 GiB)     volume i, i in [0, volume_max)

   Only the first 4 MiB and the volumes in use are ever touched, so a
   transport may reserve the whole span without committing memory.
   core/rg_layout.h declares every field. */

#include "rg_groove.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RG_REGION_MAGIC        (0x3165766f6f726772UL) /* "rgroove1", little endian */
#define RG_REGION_VERSION      (5UL)
#define RG_REGION_GROOVE_OFF   (4096UL)
#define RG_REGION_CLIENT_OFF   (65536UL)
#define RG_REGION_VOLUME0_OFF  (4UL<<20)

typedef struct rg_region_info {
  uint64_t magic;       /* RG_REGION_MAGIC */
  uint64_t version;     /* RG_REGION_VERSION */
  uint64_t size;        /* bytes the region spans */
  uint64_t shoff;       /* groove shared state */
  uint64_t volume0_off; /* volume 0 */
  uint64_t volume_max;  /* volumes the region can hold */
  uint64_t client_off;  /* client table */
  uint64_t client_max;  /* records in it */
  uint64_t fingerprint; /* of the size-class table and layout that made it */
  uint64_t key;         /* keys the superblock check words (random per region) */
} rg_region_info_t;

/* rg_region_footprint returns the bytes a region of volume_max volumes
   spans, or 0 if volume_max is 0 or above RG_VOLUME_MAX. */

uint64_t
rg_region_footprint( uint64_t volume_max );

/* rg_region_new formats the region reached through mem (mem->size must
   be at least rg_region_footprint(volume_max)): header (with a random
   key), an empty groove, an empty client table, then volumes
   [0, volume_cnt) added to the pool.  Returns RG_SUCCESS, RG_ERR_INVAL
   (bad sizes; nothing written) or RG_ERR_IO.  No one else may use the
   region meanwhile. */

int
rg_region_new( rg_mem_t const * mem,
               uint64_t         volume_max,
               uint64_t         volume_cnt );

/* rg_region_query reads and checks the header of the region reached
   through mem into *info.  Returns RG_SUCCESS, RG_ERR_INVAL (not an
   rgroove region, another layout version, made with another size-class
   table or layout (the fingerprint differs), or a geometry that does
   not fit mem), RG_ERR_CORRUPT (the header's checksum or its reserved
   bytes are wrong) or RG_ERR_IO.  rg_errmsg says which.  Thread safe. */

int
rg_region_query( rg_mem_t const *   mem,
                 rg_region_info_t * info );

/* rg_region_join joins the groove of a formatted region as a client
   with identity (id_kind, id: see rg_groove_join), or read-only with
   id_kind 0.  A thin wrapper of rg_region_query and rg_groove_join. */

rg_groove_t *
rg_region_join( void *           ljoin,
                rg_mem_t const * mem,
                uint64_t         cgroup_hint,
                uint32_t         id_kind,
                uint64_t const * id,
                int *            opt_err );

/* rg_region_check checks a quiet region: with RG_RECOVER_* flags in
   recover (0: none) it first runs rg_groove_recover with them (what it
   did in *rec if not NULL), then rg_groove_verify, and walks every
   volume (rg_groove_usage, into *usage if not NULL).  Returns
   RG_SUCCESS or the first error (rg_errmsg says where).  No client may
   use the region meanwhile. */

int
rg_region_check( rg_mem_t const *       mem,
                 int                    recover,
                 rg_groove_recovery_t * rec,
                 rg_groove_usage_t *    usage );

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_REGION_H */
