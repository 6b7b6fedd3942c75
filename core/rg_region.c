/* The region header: the geometry a joiner needs, kept in the region. */

#include "rgroove/rg_region.h"
#include "base/rg_err.h"

uint64_t
rg_region_footprint( uint64_t volume_max ) {
  if( !volume_max || volume_max>RG_VOLUME_MAX ) return 0UL;
  return RG_REGION_VOLUME0_OFF + (volume_max<<RG_VOLUME_LG_FOOTPRINT);
}

int
rg_region_new( rg_mem_t const * mem,
               uint64_t         volume_max,
               uint64_t         volume_cnt ) {
  uint64_t size = rg_region_footprint( volume_max );
  if( !mem ) return rg_err( RG_ERR_INVAL, "NULL memory" );
  if( !size ) return rg_err( RG_ERR_INVAL, "volume_max %lu is outside [1,%lu]", volume_max, RG_VOLUME_MAX );
  if( mem->size<size ) return rg_err( RG_ERR_INVAL, "region of %lu bytes is too small for %lu volumes (%lu bytes)", mem->size, volume_max, size );
  if( volume_cnt>volume_max ) return rg_err( RG_ERR_INVAL, "%lu volumes requested, the region holds %lu", volume_cnt, volume_max );

  rg_region_info_t info = { 0UL, RG_REGION_VERSION, size, RG_REGION_GROOVE_OFF, RG_REGION_VOLUME0_OFF, volume_max };
  int err = rg_mem_write( mem, 0UL, &info, sizeof(info) );
  if( !err ) err = rg_groove_new( mem, RG_REGION_GROOVE_OFF );
  if( err ) return err;

  uint8_t ljoin[ RG_GROOVE_LJOIN_FOOTPRINT ] __attribute__((aligned(RG_GROOVE_LJOIN_ALIGN)));
  rg_groove_t * g = rg_groove_join( ljoin, mem, RG_REGION_GROOVE_OFF, RG_REGION_VOLUME0_OFF, volume_max, 0UL, &err );
  if( !g ) return err;
  err = rg_groove_volume_add( g, 0UL, volume_cnt, NULL, 0UL );
  rg_groove_leave( g );
  if( !err ) err = rg_mem_fence( mem );
  if( !err ) err = rg_mem_store( mem, 0UL, RG_REGION_MAGIC ); /* last: a half-formatted region is not one */
  if( !err ) err = rg_mem_fence( mem );
  return err;
}

int
rg_region_query( rg_mem_t const *   mem,
                 rg_region_info_t * info ) {
  if( !mem || !info ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  if( mem->size<RG_REGION_VOLUME0_OFF ) return rg_err( RG_ERR_INVAL, "region of %lu bytes is too small to hold a header", mem->size );
  rg_region_info_t h;
  int err = rg_mem_read( mem, 0UL, &h, sizeof(h) );
  if( err ) return err;
  if( h.magic!=RG_REGION_MAGIC ) return rg_err( RG_ERR_INVAL, "not an rgroove region (magic %#lx)", h.magic );
  if( h.version!=RG_REGION_VERSION )
    return rg_err( RG_ERR_INVAL, "region layout version %lu, this library reads version %lu", h.version, RG_REGION_VERSION );
  if( h.size!=rg_region_footprint( h.volume_max ) || h.size>mem->size ||
      h.shoff!=RG_REGION_GROOVE_OFF || h.volume0_off!=RG_REGION_VOLUME0_OFF )
    return rg_err( RG_ERR_INVAL, "region header geometry is inconsistent (size %lu of %lu, volume_max %lu)",
                   h.size, mem->size, h.volume_max );
  *info = h;
  return RG_SUCCESS;
}

rg_groove_t *
rg_region_join( void *           ljoin,
                rg_mem_t const * mem,
                uint64_t         cgroup_hint,
                int *            opt_err ) {
  rg_region_info_t info;
  int err = rg_region_query( mem, &info );
  if( err ) {
    if( opt_err ) *opt_err = err;
    return NULL;
  }
  return rg_groove_join( ljoin, mem, info.shoff, info.volume0_off, info.volume_max, cgroup_hint, opt_err );
}

int
rg_region_check( rg_mem_t const *       mem,
                 int                    recover,
                 rg_groove_recovery_t * rec,
                 rg_groove_usage_t *    usage ) {
  uint8_t ljoin[ RG_GROOVE_LJOIN_FOOTPRINT ] __attribute__((aligned(RG_GROOVE_LJOIN_ALIGN)));
  rg_groove_recovery_t r = {0};
  rg_groove_usage_t    u;
  int err;
  rg_groove_t * g = rg_region_join( ljoin, mem, 0UL, &err );
  if( !g ) return err;
  if( recover && (err = rg_groove_recover( g, &r )) ) return err;
  if( (err = rg_groove_verify( g )) || (err = rg_groove_usage( g, &u )) ) return err;
  if( rec   ) *rec   = r;
  if( usage ) *usage = u;
  return RG_SUCCESS;
}
