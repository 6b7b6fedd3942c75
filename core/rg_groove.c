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
    return rg_err( RG_ERR_INVAL, "no groove at offset %#lx (magic %#lx): format it with rg_groove_new first", shoff, magic );
  if( pool_magic!=RG_VOLUME_POOL_MAGIC )
    return rg_err( RG_ERR_INVAL, "bad volume pool magic %#lx at offset %#lx", pool_magic, shoff + RG_SH_POOL_OFF );
  return RG_SUCCESS;
}

rg_groove_t *
rg_groove_join( void *           ljoin,
                rg_mem_t const * mem,
                uint64_t         shoff,
                uint64_t         volume0_off,
                uint64_t         volume_max,
                uint64_t         cgroup_hint,
                int *            opt_err ) {
  int err;
  if( !ljoin || ((uintptr_t)ljoin & (RG_GROOVE_LJOIN_ALIGN-1UL)) )
    err = rg_err( RG_ERR_INVAL, "join memory is NULL or not %lu-aligned", RG_GROOVE_LJOIN_ALIGN );
  else if( (err = rg_groove_shoff_check( mem, shoff )) ) ;
  else if( volume0_off & 4095UL )
    err = rg_err( RG_ERR_INVAL, "volume0 offset %#lx is not 4096-aligned", volume0_off );
  else if( !volume_max || volume_max>RG_VOLUME_MAX )
    err = rg_err( RG_ERR_INVAL, "volume_max %lu is outside [1,%lu]", volume_max, RG_VOLUME_MAX );
  else if( volume0_off < shoff + RG_GROOVE_FOOTPRINT || volume0_off > mem->size ||
           (mem->size - volume0_off)>>RG_VOLUME_LG_FOOTPRINT < volume_max )
    err = rg_err( RG_ERR_INVAL, "%lu volumes at offset %#lx do not fit in a region of %lu bytes after the groove state",
                  volume_max, volume0_off, mem->size );
  else err = rg_groove_magic_check( mem, shoff );

  if( opt_err ) *opt_err = err;
  if( err ) return NULL;

  rg_groove_t * g = (rg_groove_t *)ljoin;
  *g = (rg_groove_t){
    .mem         = mem,
    .shoff       = shoff,
    .volume0_off = volume0_off,
    .volume1_off = volume0_off + (volume_max<<RG_VOLUME_LG_FOOTPRINT),
    .volume_max  = volume_max,
    .cgroup_hint = cgroup_hint,
  };
  return g;
}

void *
rg_groove_leave( rg_groove_t * join ) {
  if( join ) rg_groove_flush( join ); /* on failure the superblocks wait for rg_groove_recover */
  return join;
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

rg_mem_t const * rg_groove_mem        ( rg_groove_t const * g ) { return g->mem;         }
uint64_t         rg_groove_shoff      ( rg_groove_t const * g ) { return g->shoff;       }
uint64_t         rg_groove_volume0_off( rg_groove_t const * g ) { return g->volume0_off; }
uint64_t         rg_groove_volume1_off( rg_groove_t const * g ) { return g->volume1_off; }
uint64_t         rg_groove_volume_max ( rg_groove_t const * g ) { return g->volume_max;  }
uint64_t         rg_groove_cgroup_hint( rg_groove_t const * g ) { return g->cgroup_hint; }
