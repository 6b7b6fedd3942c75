/* Recovery of a quiescent groove after clients died mid-operation
   (design.md, "failures the design must survive").  Every object is
   self-describing, so a walk of the volumes finds what an interrupted
   alloc or free left behind:

   - a slot whose bit is claimed but whose header is not a live object
     of that slot (an alloc that died before writing the header, a free
     that died between marking the object dead and setting its bit):
     the slot is freed;
   - a superblock with free slots that is in no active slot and on no
     inactive stack (taken out of circulation by a client that died):
     it is pushed onto its class's inactive stack;
   - a volume marked in use whose top superblock was never written, or
     a volume marked empty that is not in the volume pool: it goes back
     to the pool. */

#include "rg_groove_private.h"

#include <stdlib.h>

typedef struct {
  uint64_t * off;  /* superblocks in circulation, sorted */
  uint64_t   cnt;
  uint64_t   max;
} rg_offset_set_t;

static int
rg_offset_set_add( rg_offset_set_t * s,
                   uint64_t          off ) {
  if( s->cnt==s->max ) {
    uint64_t   max = s->max ? 2UL*s->max : 1024UL;
    uint64_t * p   = realloc( s->off, max*sizeof(uint64_t) );
    if( !p ) return rg_err( RG_ERR_IO, "out of memory" );
    s->off = p;
    s->max = max;
  }
  s->off[ s->cnt++ ] = off;
  return RG_SUCCESS;
}

static int
rg_offset_cmp( void const * a,
               void const * b ) {
  uint64_t x = *(uint64_t const *)a, y = *(uint64_t const *)b;
  return (x>y) - (x<y);
}

static int
rg_offset_set_has( rg_offset_set_t const * s,
                   uint64_t                off ) {
  return s->cnt && bsearch( &off, s->off, s->cnt, sizeof(uint64_t), rg_offset_cmp )!=NULL;
}

/* rg_recover_circulation collects every superblock in an active slot or
   on an inactive stack, and every volume in the pool. */

static int
rg_recover_circulation( rg_groove_t const * g,
                        rg_offset_set_t *   sbs,
                        rg_offset_set_t *   vols ) {
  rg_mem_t const * m = g->mem;
  int err = RG_SUCCESS;
  for( uint64_t i=0UL; !err && i<RG_GROOVE_SZC_CNT*RG_GROOVE_CGROUP_MAX; i++ ) {
    uint64_t sb;
    err = rg_mem_load( m, g->shoff + RG_SH_ACTIVE_OFF + 8UL*i, &sb );
    if( !err && sb ) err = rg_offset_set_add( sbs, sb );
  }
  uint64_t bound = (g->volume_max<<RG_VOLUME_LG_FOOTPRINT)/1024UL;
  for( uint64_t i=0UL; !err && i<RG_GROOVE_SZC_CNT*RG_GROOVE_CGROUP_MAX; i++ ) {
    uint64_t c = i % RG_GROOVE_SZC_CNT, w;
    err = rg_mem_load( m, rg_groove_inactive_cg_off( g, c, i / RG_GROOVE_SZC_CNT ), &w );
    uint64_t n = 0UL;
    for( uint64_t sb=rg_stk_off( w ); !err && sb; n++ ) {
      if( n>bound || !rg_groove_sb_in_range( g, sb ) ) return rg_err( RG_ERR_CORRUPT, "recover: inactive stack %lu is damaged", c );
      err = rg_offset_set_add( sbs, sb );
      if( !err ) err = rg_mem_load( m, sb + RG_SB_INFO_OFF, &sb );
    }
  }
  uint64_t w;
  if( !err ) err = rg_mem_load( m, g->shoff + RG_SH_POOL_TOP_OFF, &w );
  uint64_t n = 0UL;
  for( uint64_t vi=rg_pool_top_idx( w ); !err && vi!=RG_POOL_IDX_NULL; n++ ) {
    if( n>=g->volume_max || vi>=g->volume_max ) return rg_err( RG_ERR_CORRUPT, "recover: the volume pool chain is damaged" );
    err = rg_offset_set_add( vols, vi );
    if( !err ) err = rg_mem_load( m, rg_groove_vol_off( g, vi ) + RG_VOL_NEXT_OFF, &vi );
  }
  if( !err && sbs->cnt  ) qsort( sbs->off,  sbs->cnt,  sizeof(uint64_t), rg_offset_cmp );
  if( !err && vols->cnt ) qsort( vols->off, vols->cnt, sizeof(uint64_t), rg_offset_cmp );
  return err;
}

/* rg_recover_sb repairs the class-c superblock at sb and everything
   nested in it.  Returns RG_ERR_CORRUPT when sb's own header is bad. */

static int
rg_recover_sb( rg_groove_t *             g,
               uint64_t                  sb,
               uint64_t                  c,
               rg_offset_set_t const *   circ,
               rg_groove_recovery_t *    rec ) {
  rg_mem_t const * m   = g->mem;
  uint64_t         cnt = rg_groove_szc_cfg[ c ].obj_cnt;
  uint64_t         fp  = rg_groove_szc_cfg[ c ].obj_footprint;
  uint64_t meta[3];
  int err = rg_mem_read_words( m, sb, meta, 3UL );
  if( err ) return err;
  if( rg_groove_hdr_type( meta[0] )!=RG_GROOVE_HDR_TYPE_SUPERBLOCK || rg_groove_hdr_szc( meta[0] )!=c || (meta[2]>>cnt) )
    return rg_err( RG_ERR_CORRUPT, "recover: class %lu superblock at %#lx has a bad header %#lx or bitfield %#lx", c, sb, meta[0], meta[2] );

  uint64_t f = meta[2];
  for( uint64_t i=0UL; i<cnt; i++ ) {
    if( (f>>i) & 1UL ) continue;
    uint64_t slot = sb + RG_GROOVE_BLOCK_FOOTPRINT + i*fp, bits, sc, si;
    if( (err = rg_mem_load( m, slot, &bits )) ) return err;
    uint64_t type = rg_groove_hdr_type( bits );
    int live = (type==RG_GROOVE_HDR_TYPE_ALLOC || type==RG_GROOVE_HDR_TYPE_SUPERBLOCK) &&
               rg_groove_bits_valid( bits, type, &sc, &si ) && sc==c && si==i;
    if( live && type==RG_GROOVE_HDR_TYPE_SUPERBLOCK ) {
      err = rg_recover_sb( g, slot, rg_groove_hdr_szc( bits ), circ, rec );
      if( err==RG_ERR_CORRUPT ) live = 0; /* a superblock never finished: the slot holds nothing */
      else if( err ) return err;
    }
    if( live ) continue;
    if( (err = rg_mem_store( m, slot, 0UL )) ) return err;
    f |= 1UL<<i;
    rec->slots_freed++;
  }
  if( f!=meta[2] && (err = rg_mem_store( m, sb + RG_SB_FREE_OFF, f )) ) return err;
  if( f && !rg_offset_set_has( circ, sb ) ) {
    if( (err = rg_groove_stack_push( g, c, sb )) ) return err;
    rec->superblocks_recirculated++;
  }
  return RG_SUCCESS;
}

int
rg_groove_recover( rg_groove_t *          g,
                   rg_groove_recovery_t * rec ) {
  if( !g || !rec ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  *rec = (rg_groove_recovery_t){0};
  rg_offset_set_t sbs = {0}, vols = {0};
  int err = rg_recover_circulation( g, &sbs, &vols );
  for( uint64_t vi=0UL; !err && vi<g->volume_max; vi++ ) {
    uint64_t vol = rg_groove_vol_off( g, vi ), hdr[2];
    if( (err = rg_mem_read_words( g->mem, vol, hdr, 2UL )) ) break;
    if( hdr[1]!=vi || (hdr[0]!=RG_VOLUME_MAGIC && hdr[0]!=~RG_VOLUME_MAGIC) ) continue; /* never added, or removed */
    if( hdr[0]==RG_VOLUME_MAGIC ) {
      err = rg_recover_sb( g, vol + RG_VOL_HDR_SZ, RG_GROOVE_SZC_CNT-1UL, &sbs, rec );
      if( err!=RG_ERR_CORRUPT ) continue;
      /* its top superblock was never written: the volume holds nothing */
      err = rg_mem_store( g->mem, vol + RG_VOL_MAGIC_OFF, ~RG_VOLUME_MAGIC );
    } else if( rg_offset_set_has( &vols, vi ) ) continue;
    if( !err ) err = rg_groove_pool_release( g, vi );
    if( !err ) rec->volumes_released++;
  }
  if( !err ) err = rg_mem_fence( g->mem );
  free( sbs.off );
  free( vols.off );
  return err;
}
