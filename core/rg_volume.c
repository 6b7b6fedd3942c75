/* The volume pool: a lock-free versioned stack of empty volumes linked
   through their headers' next field (the seed's fd_pool_para over the
   volume array), volumes taken for and given back by class-31
   superblocks, and volume add / remove on top of it. */

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
    if( g->me && (err = rg_client_op( g, RG_OP_VOLUME, rg_groove_vol_off( g, i ) + RG_VOL_HDR_SZ, 0UL )) ) return err;
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

/* rg_volume_hdr_check: a volume header's checksum covers its index and
   info, what is written once when the volume is added. */

static uint64_t
rg_volume_hdr_check( rg_volume_hdr_t const * h ) {
  return rg_layout_check( &h->idx, 1UL ) ^ rg_layout_check( &h->info_sz, 1UL + RG_VOLUME_INFO_MAX/8UL );
}

int
rg_volume_hdr_ok( rg_volume_hdr_t const * h,
                  uint64_t                idx ) {
  return h->idx==idx && h->info_sz<=RG_VOLUME_INFO_MAX && h->check==rg_volume_hdr_check( h );
}

/* rg_volume_take takes a volume from the pool for a new class-31
   superblock: marked in use, its link cleared.  *vol gets its offset. */

int
rg_volume_take( rg_groove_t * g,
                uint64_t *    vol ) {
  uint64_t vi;
  int err = rg_groove_pool_acquire( g, &vi );
  if( err==RG_ERR_EMPTY ) return rg_err( RG_ERR_FULL, "pool full: every volume is in use (add volumes or free objects)" );
  if( err ) return err;
  uint64_t v = rg_groove_vol_off( g, vi );
  if( RG_PARANOID ) {
    static __thread rg_volume_hdr_t h;
    if( (err = rg_mem_read( g->mem, v, &h, sizeof(h) )) ) return err;
    if( h.magic!=~RG_VOLUME_MAGIC || !rg_volume_hdr_ok( &h, vi ) )
      return rg_err( RG_ERR_CORRUPT, "volume %lu from the pool has a bad header (magic %#lx idx %lu)", vi, h.magic, h.idx );
  }
  err = rg_mem_store( g->mem, v + RG_VOL_NEXT_OFF, RG_POOL_IDX_NULL );
  if( !err ) err = rg_mem_store( g->mem, v + RG_VOL_MAGIC_OFF, RG_VOLUME_MAGIC );
  if( !err ) *vol = v;
  return err;
}

/* rg_volume_give_back returns the volume at vol, whose class-31
   superblock was just destroyed, to the pool. */

int
rg_volume_give_back( rg_groove_t * g,
                     uint64_t      vol ) {
  uint64_t vi = (vol - g->volume0_off)>>RG_VOLUME_LG_FOOTPRINT;
  if( RG_PARANOID ) {
    uint64_t hdr[2];
    int err = rg_mem_read_words( g->mem, vol, hdr, 2UL );
    if( err ) return err;
    if( hdr[0]!=RG_VOLUME_MAGIC || hdr[1]!=vi )
      return rg_err( RG_ERR_CORRUPT, "volume %lu being released has a bad header (magic %#lx idx %lu)", vi, hdr[0], hdr[1] );
  }
  int err = rg_mem_store( g->mem, vol + RG_VOL_MAGIC_OFF, ~RG_VOLUME_MAGIC );
  if( !err ) err = rg_groove_pool_release( g, vi );
  return err;
}

int
rg_groove_volume_add( rg_groove_t * g,
                      uint64_t      vol_idx,
                      uint64_t      vol_cnt,
                      void const *  info,
                      uint64_t      info_sz ) {
  int err = rg_groove_writable( g );
  if( err ) return err;
  if( !vol_cnt ) return RG_SUCCESS;
  if( vol_idx>=g->volume_max || vol_cnt>g->volume_max - vol_idx )
    return rg_err( RG_ERR_INVAL, "volumes [%lu,%lu) are outside [0,%lu)", vol_idx, vol_idx + vol_cnt, g->volume_max );
  if( !info ) info_sz = 0UL;
  if( info_sz>RG_VOLUME_INFO_MAX ) info_sz = RG_VOLUME_INFO_MAX;

  for( uint64_t i=vol_idx; i<vol_idx + vol_cnt; i++ ) { /* nothing changes if one of them is there already */
    uint64_t magic;
    if( (err = rg_mem_load( g->mem, rg_groove_vol_off( g, i ), &magic )) ) return err;
    if( magic==RG_VOLUME_MAGIC || magic==~RG_VOLUME_MAGIC )
      return rg_err( RG_ERR_INVAL, "volume %lu is already %s: add only volumes not in the pool", i,
                     magic==RG_VOLUME_MAGIC ? "in use" : "in the pool" );
  }

  static __thread rg_volume_hdr_t hdr;
  memset( &hdr, 0, sizeof(hdr) );
  hdr.next    = RG_POOL_IDX_NULL;
  hdr.info_sz = info_sz;
  if( info_sz ) memcpy( hdr.info, info, info_sz );

  for( uint64_t i=vol_idx + vol_cnt; i>vol_idx; i-- ) { /* highest first: the lowest ends on top */
    uint64_t vol = rg_groove_vol_off( g, i-1UL );
    hdr.idx   = i-1UL;
    hdr.check = rg_volume_hdr_check( &hdr );
    err = rg_mem_write( g->mem, vol + 8UL, &hdr.idx, RG_VOL_HDR_SZ - 8UL );
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
  if( !vol_idx ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  int err = rg_groove_writable( g );
  if( err ) return err;
  uint64_t i;
  err = rg_groove_pool_acquire( g, &i );
  if( err==RG_ERR_EMPTY ) return rg_err( RG_ERR_EMPTY, "no empty volume in the pool" );
  if( err ) return err;
  static __thread rg_volume_hdr_t h;
  uint64_t vol = rg_groove_vol_off( g, i );
  if( (err = rg_mem_read( g->mem, vol, &h, sizeof(h) )) ) return err;
  if( h.magic!=~RG_VOLUME_MAGIC || !rg_volume_hdr_ok( &h, i ) )
    return rg_err( RG_ERR_CORRUPT, "volume %lu taken from the pool has a bad header (magic %#lx idx %lu info_sz %lu)",
                   i, h.magic, h.idx, h.info_sz );
  err = rg_mem_store( g->mem, vol + RG_VOL_MAGIC_OFF, 0UL );
  if( !err ) err = rg_client_op( g, RG_OP_NONE, 0UL, 0UL );
  if( !err ) err = rg_mem_fence( g->mem );
  if( err ) return err;
  *vol_idx = i;
  return RG_SUCCESS;
}
