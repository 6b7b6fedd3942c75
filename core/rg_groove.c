/* Groove lifecycle: new / join / leave / delete and join accessors. */

#include "rg_groove_private.h"

uint64_t rg_groove_align           ( void ) { return RG_GROOVE_ALIGN;           }
uint64_t rg_groove_footprint       ( void ) { return RG_GROOVE_FOOTPRINT;       }
uint64_t rg_groove_ljoin_align     ( void ) { return RG_GROOVE_LJOIN_ALIGN;     }
uint64_t rg_groove_ljoin_footprint ( void ) { return RG_GROOVE_LJOIN_FOOTPRINT; }

static int
rg_groove_shoff_check( rg_mem_t const * mem,
                       uint64_t         shoff ) {
  if( !mem ) return rg_err( RG_ERR_INVAL, "NULL memory" );
  if( shoff & (RG_GROOVE_ALIGN-1UL) )
    return rg_err( RG_ERR_INVAL, "groove state offset %#lx is not %lu-aligned", shoff, RG_GROOVE_ALIGN );
  if( shoff > mem->size || mem->size - shoff < RG_GROOVE_FOOTPRINT )
    return rg_err( RG_ERR_INVAL, "groove state at %#lx does not fit in a region of %lu bytes", shoff, mem->size );
  return RG_SUCCESS;
}

int
rg_groove_new( rg_mem_t const * mem,
               uint64_t         shoff ) {
  int err = rg_groove_shoff_check( mem, shoff );
  if( err ) return err;

  static uint8_t const zero[ RG_GROOVE_FOOTPRINT ];
  uint64_t pool[2] = { RG_VOLUME_POOL_MAGIC, rg_pool_top( 0UL, RG_POOL_IDX_NULL ) };
  err = rg_mem_write( mem, shoff, zero, RG_GROOVE_FOOTPRINT );
  if( !err ) err = rg_mem_write( mem, shoff + RG_SH_POOL_OFF, pool, sizeof(pool) );
  if( !err ) err = rg_mem_fence( mem );
  if( !err ) err = rg_mem_store( mem, shoff + RG_SH_MAGIC_OFF, RG_GROOVE_MAGIC );
  if( !err ) err = rg_mem_fence( mem );
  return err;
}

static int
rg_groove_magic_check( rg_mem_t const * mem,
                       uint64_t         shoff ) {
  uint64_t magic, pool_magic;
  int err = rg_mem_load( mem, shoff + RG_SH_MAGIC_OFF, &magic );
  if( !err ) err = rg_mem_load( mem, shoff + RG_SH_POOL_OFF, &pool_magic );
  if( err ) return err;
  if( magic!=RG_GROOVE_MAGIC )
    return rg_err( RG_ERR_INVAL, "no groove at offset %#lx (magic %#lx): format it with rg_region_new first", shoff, magic );
  if( pool_magic!=RG_VOLUME_POOL_MAGIC )
    return rg_err( RG_ERR_INVAL, "bad volume pool magic %#lx at offset %#lx", pool_magic, shoff + RG_SH_POOL_OFF );
  return RG_SUCCESS;
}

static int
rg_groove_geometry_check( rg_mem_t const *         mem,
                          rg_region_info_t const * r ) {
  if( (r->volume0_off & 4095UL) || !r->volume_max || r->volume_max>RG_VOLUME_MAX ||
      r->volume0_off < r->shoff + RG_GROOVE_FOOTPRINT || r->volume0_off>mem->size ||
      (mem->size - r->volume0_off)>>RG_VOLUME_LG_FOOTPRINT < r->volume_max )
    return rg_err( RG_ERR_INVAL, "%lu volumes at offset %#lx do not fit in a region of %lu bytes after the groove state",
                   r->volume_max, r->volume0_off, mem->size );
  if( !r->client_max || r->client_max>RG_CLIENT_MAX || r->client_off < r->shoff + RG_GROOVE_FOOTPRINT ||
      r->client_off + r->client_max*sizeof(rg_client_rec_t) > r->volume0_off )
    return rg_err( RG_ERR_INVAL, "the client table (%lu records at %#lx) does not fit before the volumes", r->client_max, r->client_off );
  return RG_SUCCESS;
}

rg_groove_t *
rg_groove_join( void *                   ljoin,
                rg_mem_t const *         mem,
                rg_region_info_t const * region,
                uint64_t                 cgroup_hint,
                uint32_t                 id_kind,
                uint64_t const *         id,
                int *                    opt_err ) {
  int err;
  if( !ljoin || ((uintptr_t)ljoin & (RG_GROOVE_LJOIN_ALIGN-1UL)) )
    err = rg_err( RG_ERR_INVAL, "join memory is NULL or not %lu-aligned", RG_GROOVE_LJOIN_ALIGN );
  else if( !region ) err = rg_err( RG_ERR_INVAL, "NULL region geometry" );
  else if( id_kind && !id ) err = rg_err( RG_ERR_INVAL, "a client identity needs its id words" );
  else if( (err = rg_groove_shoff_check( mem, region->shoff )) ) ;
  else if( (err = rg_groove_geometry_check( mem, region )) ) ;
  else err = rg_groove_magic_check( mem, region->shoff );

  rg_groove_t * g = NULL;
  if( !err ) {
    g = (rg_groove_t *)ljoin;
    memset( g, 0, sizeof(*g) );
    g->mem         = mem;
    g->shoff       = region->shoff;
    g->volume0_off = region->volume0_off;
    g->volume1_off = region->volume0_off + (region->volume_max<<RG_VOLUME_LG_FOOTPRINT);
    g->volume_max  = region->volume_max;
    g->client_off  = region->client_off;
    g->client_max  = region->client_max;
    g->key         = region->key;
    g->cgroup_hint = cgroup_hint;
    if( id_kind ) err = rg_client_claim( g, id_kind, id );
  }
  if( opt_err ) *opt_err = err;
  return err ? NULL : g;
}

void *
rg_groove_leave( rg_groove_t * g ) {
  if( !g ) return NULL;
  if( g->me ) {
    /* on a failure here the record stays, naming what is left, for
       rg_groove_recover_client */
    int err = rg_groove_quiet( g );
    if( err==RG_ERR_INVAL ) err = RG_SUCCESS; /* a late-reported bad free changed nothing: leave all the same */
    if( !err ) err = rg_groove_flush( g );
    if( !err ) err = rg_sb_trim_own( g ); /* what reclaims missed goes back with it */
    if( !err ) rg_client_release( g );
  }
  return g;
}

int
rg_groove_delete( rg_mem_t const * mem,
                  uint64_t         shoff ) {
  int err = rg_groove_shoff_check( mem, shoff );
  if( !err ) err = rg_groove_magic_check( mem, shoff );
  if( !err ) err = rg_mem_store( mem, shoff + RG_SH_MAGIC_OFF, 0UL );
  if( !err ) err = rg_mem_fence( mem );
  return err;
}

int
rg_groove_writable( rg_groove_t const * g ) {
  if( !g ) return rg_err( RG_ERR_INVAL, "NULL groove join" );
  if( !g->me ) return rg_err( RG_ERR_PERM, "a read-only join cannot change the pool: join with a client identity" );
  return RG_SUCCESS;
}

rg_mem_t const * rg_groove_mem        ( rg_groove_t const * g ) { return g->mem;         }
uint64_t         rg_groove_shoff      ( rg_groove_t const * g ) { return g->shoff;       }
uint64_t         rg_groove_volume0_off( rg_groove_t const * g ) { return g->volume0_off; }
uint64_t         rg_groove_volume1_off( rg_groove_t const * g ) { return g->volume1_off; }
uint64_t         rg_groove_volume_max ( rg_groove_t const * g ) { return g->volume_max;  }
uint64_t         rg_groove_cgroup_hint( rg_groove_t const * g ) { return g->cgroup_hint; }
int64_t          rg_groove_client     ( rg_groove_t const * g ) { return g->me ? (int64_t)g->me - 1L : -1L; }
uint64_t         rg_groove_owner      ( rg_groove_t const * g ) { return g->owner;       }
