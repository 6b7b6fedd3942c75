/* The region header: the geometry a joiner needs, kept in the region
   with a checksum, the layout's fingerprint and the key of the
   superblock check words. */

#include "rg_groove_private.h"
#include "base/rg_proc.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>

uint64_t
rg_region_footprint( uint64_t volume_max ) {
  if( !volume_max || volume_max>RG_VOLUME_MAX ) return 0UL;
  return RG_REGION_VOLUME0_OFF + (volume_max<<RG_VOLUME_LG_FOOTPRINT);
}

/* rg_region_key: a random key, so that the check words of one region
   mean nothing in another. */

static uint64_t
rg_region_key( void ) {
  uint64_t k = 0UL;
  if( getrandom( &k, sizeof(k), 0 )!=(ssize_t)sizeof(k) ) {
    struct timespec ts;
    clock_gettime( CLOCK_REALTIME, &ts );
    k = ((uint64_t)ts.tv_nsec<<32) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)&ts);
  }
  return k | 1UL;
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

  static rg_region_hdr_t h; /* 4 KiB: not on the stack; zero but for the fields below */
  static uint8_t const zero_table[ 1UL<<16 ];
  memset( &h, 0, sizeof(h) );
  h = (rg_region_hdr_t){ .magic = 0UL, .version = RG_REGION_VERSION, .size = size, .shoff = RG_REGION_GROOVE_OFF,
                         .volume0_off = RG_REGION_VOLUME0_OFF, .volume_max = volume_max, .client_off = RG_REGION_CLIENT_OFF,
                         .client_max = RG_CLIENT_MAX, .fingerprint = rg_layout_fingerprint(), .key = rg_region_key() };
  h.check = rg_layout_check( &h.magic + 1, RG_REGION_HDR_WORDS - 2UL ); /* every field but magic and check */
  int err = rg_mem_write( mem, 0UL, &h, sizeof(h) );
  for( uint64_t off=0UL; !err && off<RG_CLIENT_MAX*sizeof(rg_client_rec_t); off += sizeof(zero_table) ) {
    uint64_t n = RG_CLIENT_MAX*sizeof(rg_client_rec_t) - off;
    err = rg_mem_write( mem, RG_REGION_CLIENT_OFF + off, zero_table, n<sizeof(zero_table) ? n : sizeof(zero_table) );
  }
  /* a region formatted before keeps its volumes' magics: none is a volume until added */
  for( uint64_t i=0UL; !err && i<volume_max; i++ ) err = rg_mem_store( mem, RG_REGION_VOLUME0_OFF + (i<<RG_VOLUME_LG_FOOTPRINT), 0UL );
  if( !err ) err = rg_groove_new( mem, RG_REGION_GROOVE_OFF );
  if( err ) return err;

  rg_region_info_t info;
  uint8_t ljoin[ RG_GROOVE_LJOIN_FOOTPRINT ] __attribute__((aligned(RG_GROOVE_LJOIN_ALIGN)));
  h.magic = RG_REGION_MAGIC; /* what rg_region_query would read once it is written */
  memcpy( &info, &h, sizeof(info) );
  uint64_t id[2];
  rg_proc_identity( id );
  rg_groove_t * g = rg_groove_join( ljoin, mem, &info, 0UL, RG_CONN_ID_PID, id, &err );
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
  static __thread rg_region_hdr_t h;
  int err = rg_mem_read( mem, 0UL, &h, sizeof(h) );
  if( err ) return err;
  if( h.magic!=RG_REGION_MAGIC ) return rg_err( RG_ERR_INVAL, "not an rgroove region (magic %#lx)", h.magic );
  if( h.version!=RG_REGION_VERSION )
    return rg_err( RG_ERR_INVAL, "region layout version %lu, this library reads version %lu: use the rgroove that made it",
                   h.version, RG_REGION_VERSION );
  if( h.check!=rg_layout_check( &h.magic + 1, RG_REGION_HDR_WORDS - 2UL ) )
    return rg_err( RG_ERR_CORRUPT, "the region header's checksum is wrong (%#lx): the header is damaged", h.check );
  for( uint64_t i=0UL; i<sizeof(h.zero)/sizeof(h.zero[0]); i++ )
    if( h.zero[i] ) return rg_err( RG_ERR_CORRUPT, "reserved word %lu of the region header is %#lx, not 0: the header is damaged", i, h.zero[i] );
  if( h.fingerprint!=rg_layout_fingerprint() )
    return rg_err( RG_ERR_INVAL, "the region was made with another size-class table or layout (fingerprint %#lx, this library's %#lx): "
                   "use the rgroove that made it", h.fingerprint, rg_layout_fingerprint() );
  if( h.size!=rg_region_footprint( h.volume_max ) || h.size>mem->size || h.shoff!=RG_REGION_GROOVE_OFF ||
      h.volume0_off!=RG_REGION_VOLUME0_OFF || h.client_off!=RG_REGION_CLIENT_OFF || h.client_max!=RG_CLIENT_MAX )
    return rg_err( RG_ERR_INVAL, "region header geometry is inconsistent (size %lu of %lu, volume_max %lu)",
                   h.size, mem->size, h.volume_max );
  memcpy( info, &h, sizeof(*info) );
  return RG_SUCCESS;
}

rg_groove_t *
rg_region_join( void *           ljoin,
                rg_mem_t const * mem,
                uint64_t         cgroup_hint,
                uint32_t         id_kind,
                uint64_t const * id,
                int *            opt_err ) {
  rg_region_info_t info;
  int err = rg_region_query( mem, &info );
  if( err ) {
    if( opt_err ) *opt_err = err;
    return NULL;
  }
  return rg_groove_join( ljoin, mem, &info, cgroup_hint, id_kind, id, opt_err );
}

int
rg_region_check( rg_mem_t const *       mem,
                 int                    recover,
                 rg_groove_recovery_t * rec,
                 rg_groove_usage_t *    usage ) {
  uint8_t ljoin[ RG_GROOVE_LJOIN_FOOTPRINT ] __attribute__((aligned(RG_GROOVE_LJOIN_ALIGN)));
  rg_groove_recovery_t r = {0};
  static __thread rg_groove_usage_t u;
  uint64_t id[2];
  int err;
  if( rec ) { r.report = rec->report; r.report_ctx = rec->report_ctx; }
  rg_proc_identity( id );
  rg_groove_t * g = rg_region_join( ljoin, mem, 0UL, recover ? RG_CONN_ID_PID : 0U, id, &err );
  if( !g ) return err;
  if( recover ) err = rg_groove_recover( g, recover, &r );
  if( !err ) err = rg_groove_verify( g );
  if( !err ) err = rg_groove_usage( g, &u );
  rg_groove_leave( g );
  if( rec ) *rec = r;
  if( !err && usage ) *usage = u;
  return err;
}
