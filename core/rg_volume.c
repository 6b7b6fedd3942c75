/* The volume pool: a lock-free versioned stack of empty volumes linked
   through their headers' next field (seed: fd_pool_para over the
   volume array), and volume add / remove on top of it. */

#include "rg_groove_private.h"

#include <string.h>

static uint64_t
rg_groove_pool_top_off( rg_groove_t const * g ) {
  return g->shoff + RG_SH_POOL_TOP_OFF;
}

int
rg_groove_pool_acquire( rg_groove_t * g,
                        uint64_t *    idx ) {
  rg_mem_t const * m   = g->mem;
  uint64_t         top = rg_groove_pool_top_off( g );
  uint64_t         w;
  int err = rg_mem_load( m, top, &w );
  for(;;) {
    if( err ) return err;
    uint64_t i = rg_pool_top_idx( w );
    if( i==RG_POOL_IDX_NULL ) return RG_ERR_EMPTY;
    if( i>=g->volume_max ) return rg_err( RG_ERR_CORRUPT, "volume pool top names volume %lu of %lu", i, g->volume_max );

    uint64_t next; /* may be stale: the CAS below checks the version */
    err = rg_mem_load( m, rg_groove_vol_off( g, i ) + RG_VOL_NEXT_OFF, &next );
    if( err ) return err;
    if( next>=g->volume_max && next!=RG_POOL_IDX_NULL ) { /* stale, or corrupt if the top did not move */
      uint64_t again;
      err = rg_mem_load( m, top, &again );
      if( !err && again==w ) return rg_err( RG_ERR_CORRUPT, "volume %lu links to volume %lu of %lu", i, next, g->volume_max );
      w = again;
      continue;
    }
    uint64_t old;
    err = rg_mem_cas( m, top, w, rg_pool_top( rg_pool_top_ver( w ) + 2UL, next ), &old );
    if( !err && old==w ) { *idx = i; return RG_SUCCESS; }
    w = old;
  }
}

int
rg_groove_pool_release( rg_groove_t * g,
                        uint64_t      idx ) {
  rg_mem_t const * m   = g->mem;
  uint64_t         top = rg_groove_pool_top_off( g );
  uint64_t         w;
  int err = rg_mem_load( m, top, &w );
  for(;;) {
    if( err ) return err;
    /* publish after write: next is stored before the CAS that makes idx the top */
    err = rg_mem_store( m, rg_groove_vol_off( g, idx ) + RG_VOL_NEXT_OFF, rg_pool_top_idx( w ) );
    if( err ) return err;
    uint64_t old;
    err = rg_mem_cas( m, top, w, rg_pool_top( rg_pool_top_ver( w ) + 2UL, idx ), &old );
    if( !err && old==w ) return RG_SUCCESS;
    w = old;
  }
}

int
rg_groove_volume_add( rg_groove_t * g,
                      uint64_t      vol_idx,
                      uint64_t      vol_cnt,
                      void const *  info,
                      uint64_t      info_sz ) {
  if( !g ) return rg_err( RG_ERR_INVAL, "NULL groove join" );
  if( !vol_cnt ) return RG_SUCCESS;
  if( vol_idx>=g->volume_max || vol_cnt>g->volume_max - vol_idx )
    return rg_err( RG_ERR_INVAL, "volumes [%lu,%lu) are outside [0,%lu)", vol_idx, vol_idx + vol_cnt, g->volume_max );
  if( !info ) info_sz = 0UL;
  if( info_sz>RG_VOLUME_INFO_MAX ) info_sz = RG_VOLUME_INFO_MAX;

  struct { uint64_t magic, idx, next, info_sz; uint8_t info[ RG_VOLUME_INFO_MAX ]; } hdr;
  _Static_assert( sizeof(hdr)==RG_VOL_HDR_SZ, "volume header layout" );
  memset( &hdr, 0, sizeof(hdr) );
  hdr.next    = RG_POOL_IDX_NULL;
  hdr.info_sz = info_sz;
  if( info_sz ) memcpy( hdr.info, info, info_sz );

  for( uint64_t i=vol_idx + vol_cnt; i>vol_idx; i-- ) { /* highest first: the lowest ends on top */
    uint64_t vol = rg_groove_vol_off( g, i-1UL );
    hdr.idx = i-1UL;
    int err = rg_mem_write( g->mem, vol + 8UL, &hdr.idx, RG_VOL_HDR_SZ - 8UL );
    if( !err ) err = rg_mem_fence( g->mem );
    if( !err ) err = rg_mem_store( g->mem, vol + RG_VOL_MAGIC_OFF, ~RG_VOLUME_MAGIC );
    if( !err ) err = rg_groove_pool_release( g, i-1UL );
    if( err ) return err;
  }
  return RG_SUCCESS;
}

int
rg_groove_volume_remove( rg_groove_t * g,
                         uint64_t *    vol_idx ) {
  if( !g || !vol_idx ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  uint64_t i;
  int err = rg_groove_pool_acquire( g, &i );
  if( err==RG_ERR_EMPTY ) return rg_err( RG_ERR_EMPTY, "no empty volume in the pool" );
  if( err ) return err;

  uint64_t hdr[4];
  uint64_t vol = rg_groove_vol_off( g, i );
  err = rg_mem_read_words( g->mem, vol, hdr, 4UL );
  if( err ) return err;
  if( hdr[0]!=~RG_VOLUME_MAGIC || hdr[1]!=i || hdr[3]>RG_VOLUME_INFO_MAX )
    return rg_err( RG_ERR_CORRUPT, "volume %lu taken from the pool has a bad header (magic %#lx idx %lu info_sz %lu)",
                   i, hdr[0], hdr[1], hdr[3] );
  err = rg_mem_store( g->mem, vol + RG_VOL_MAGIC_OFF, 0UL );
  if( !err ) err = rg_mem_fence( g->mem );
  if( err ) return err;
  *vol_idx = i;
  return RG_SUCCESS;
}
