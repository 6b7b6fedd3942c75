#ifndef RGROOVE_CORE_RG_GROOVE_PRIVATE_H
#define RGROOVE_CORE_RG_GROOVE_PRIVATE_H

/* Layouts shared by the core's files: the groove shared state, volume
   headers, superblocks, and the packed words of the volume pool and the
   inactive stacks. */

#include "rgroove/rg_groove.h"
#include "base/rg_err.h"

/* Shared state, relative to shoff (groove-spec.md, section 2.1). */

#define RG_SH_MAGIC_OFF     (0UL)
#define RG_SH_ACTIVE_OFF    (128UL)    /* u64 active_slot[ szc + 32*cgroup ] */
#define RG_SH_INACTIVE_OFF  (16512UL)  /* u64 inactive_stack[ szc ]: cgroup 0's, the seed's */
#define RG_SH_POOL_OFF      (16768UL)  /* volume pool: magic, ver_top */
#define RG_SH_POOL_TOP_OFF  (RG_SH_POOL_OFF + 8UL)
#define RG_SH_INACTIVE2_OFF (16896UL)  /* cgroups 1..63's stacks, rgroove's: see rg_groove_inactive_cg_off */

#define RG_VOLUME_POOL_MAGIC (0xfd67007e70190010UL)

/* Volume header fields, relative to the volume. */

#define RG_VOL_MAGIC_OFF    (0UL)
#define RG_VOL_IDX_OFF      (8UL)
#define RG_VOL_NEXT_OFF     (16UL)
#define RG_VOL_INFO_SZ_OFF  (24UL)
#define RG_VOL_INFO_OFF     (32UL)
#define RG_VOL_HDR_SZ       (512UL)

/* Superblock: header {bits, info = next inactive} then free_objs. */

#define RG_SB_INFO_OFF      (8UL)
#define RG_SB_FREE_OFF      (16UL)
#define RG_SB_META_SZ       (24UL)

/* Volume-pool top (seed format): bits 0..33 top volume index
   (RG_POOL_IDX_NULL when empty), bits 34..63 a version that steps by 2
   on every push and pop (bit 34 is the seed's lock bit, never set by
   the allocator). */

#define RG_POOL_IDX_BITS    (34)
#define RG_POOL_IDX_NULL    ((1UL<<RG_POOL_IDX_BITS)-1UL)

static inline uint64_t rg_pool_top_idx( uint64_t w ) { return w & RG_POOL_IDX_NULL; }
static inline uint64_t rg_pool_top_ver( uint64_t w ) { return w>>RG_POOL_IDX_BITS; }

static inline uint64_t
rg_pool_top( uint64_t ver,
             uint64_t idx ) {
  return (ver<<RG_POOL_IDX_BITS) | idx;
}

/* Inactive-stack top (rgroove format, design.md rule 3): bits 0..36 the
   top superblock's offset / 512 (0: empty), bits 37..63 a 27-bit
   version that steps by 1 on every push and pop. */

#define RG_STK_OFF_BITS     (RG_REGION_OFF_BITS-9)
#define RG_STK_OFF_MASK     ((1UL<<RG_STK_OFF_BITS)-1UL)

static inline uint64_t rg_stk_off( uint64_t w ) { return (w & RG_STK_OFF_MASK)<<9; }

static inline uint64_t
rg_stk_next( uint64_t w,
             uint64_t off ) {
  return (((w>>RG_STK_OFF_BITS)+1UL)<<RG_STK_OFF_BITS) | (off>>9);
}

/* Classes below RG_GROOVE_HELD_SZC_CNT (objects up to 9728 bytes, the
   classes the seed gives 64 concurrency groups; superblocks of at most
   19968 bytes) are held by a join across allocations instead of going
   back to the active slot after each one (rg_alloc.c). */

#define RG_GROOVE_HELD_SZC_CNT (10UL)

#define RG_GROOVE_CREDIT_MAX (64U)

/* rg_groove_szc_of: rg_groove_szc, by a table for the footprints of the
   held classes (up to RG_GROOVE_SMALL_BLOCKS blocks), the usual sizes. */

#define RG_GROOVE_SMALL_BLOCKS (19UL)

extern uint8_t const rg_groove_szc_small[ RG_GROOVE_SMALL_BLOCKS ];

static inline uint64_t
rg_groove_szc_of( uint64_t footprint ) { /* a positive multiple of 512 */
  uint64_t blocks = footprint>>9;
  return blocks<=RG_GROOVE_SMALL_BLOCKS ? (uint64_t)rg_groove_szc_small[ blocks-1UL ] : rg_groove_szc( footprint );
}

struct rg_groove {
  rg_mem_t const * mem;
  uint64_t         shoff;
  uint64_t         volume0_off;
  uint64_t         volume1_off;
  uint64_t         volume_max;
  uint64_t         cgroup_hint;
  uint64_t         slot_seen[ RG_GROOVE_SZC_CNT ]; /* last value seen in this join's active slots */

  /* Remote joins only, to save round trips: per class, the superblock
     this join last claimed from or freed into, the bitfield it left
     there, and how many more empty events may skip the reclaim peek. */
  uint64_t         sb_seen     [ RG_GROOVE_SZC_CNT ];
  uint64_t         free_seen   [ RG_GROOVE_SZC_CNT ];
  uint64_t         reclaim_skip[ RG_GROOVE_SZC_CNT ];

  /* Per class, superblocks this join may make before taking other
     groups' spare ones: one per superblock its frees put back into
     circulation, at most RG_GROOVE_CREDIT_MAX (rg_alloc.c). */
  uint8_t          create_credit[ RG_GROOVE_SZC_CNT ];

  /* Per small class, the superblock this join holds (0: none) and bits
     known free in it.  Only the holder clears bits, so they stay free. */
  uint64_t         held_sb  [ RG_GROOVE_HELD_SZC_CNT ];
  uint64_t         held_free[ RG_GROOVE_HELD_SZC_CNT ];
};

_Static_assert( sizeof(struct rg_groove)<=RG_GROOVE_LJOIN_FOOTPRINT, "update RG_GROOVE_LJOIN_FOOTPRINT" );

static inline uint64_t
rg_groove_vol_off( rg_groove_t const * g,
                   uint64_t            idx ) {
  return g->volume0_off + (idx<<RG_VOLUME_LG_FOOTPRINT);
}

static inline uint64_t
rg_groove_active_off( rg_groove_t const * g,
                      uint64_t            szc ) {
  uint64_t cg = g->cgroup_hint & (uint64_t)rg_groove_szc_cfg[ szc ].cgroup_mask;
  return g->shoff + RG_SH_ACTIVE_OFF + 8UL*(szc + RG_GROOVE_SZC_CNT*cg);
}

/* rg_groove_inactive_cg_off: the inactive stack of class szc kept by
   concurrency group cg.  A superblock that a group's frees revive stays
   on that group's stack, so workers keep to their own superblocks (with
   one stack per class, the seed's, superblocks migrated between workers
   and every step touched lines the other had just written); a group
   whose stack is empty makes a new one or takes one of the others'
   (rg_groove_sb_find says which first).

   Groups 1..63 keep the stacks of classes 8k..8k+7 in one 64-byte line
   of their own: line 63*k + cg-1.  So two groups never push and pop on
   one cache line (with the stacks of one class side by side, two random
   workers ran at 60% of the speed of two separate pools), and a remote
   steal still reads one class's stacks in one request, 64 bytes apart. */

#define RG_STK_LINE (64UL)

static inline uint64_t
rg_groove_inactive_cg_off( rg_groove_t const * g,
                           uint64_t            szc,
                           uint64_t            cg ) {
  return g->shoff + ( cg ? RG_SH_INACTIVE2_OFF + RG_STK_LINE*((RG_GROOVE_CGROUP_MAX-1UL)*(szc>>3) + cg - 1UL) + 8UL*(szc & 7UL)
                         : RG_SH_INACTIVE_OFF + 8UL*szc );
}

static inline uint64_t
rg_groove_inactive_off( rg_groove_t const * g,
                        uint64_t            szc ) {
  return rg_groove_inactive_cg_off( g, szc, g->cgroup_hint & (uint64_t)rg_groove_szc_cfg[ szc ].cgroup_mask );
}

/* rg_groove_sb_in_range: a superblock offset is 512-aligned, past its
   volume's header and inside the volumes. */

static inline int
rg_groove_sb_in_range( rg_groove_t const * g,
                       uint64_t            sb ) {
  return sb>=g->volume0_off + RG_VOL_HDR_SZ && sb<g->volume1_off &&
         !((sb - g->volume0_off) & (RG_GROOVE_BLOCK_FOOTPRINT-1UL)) &&
         ((sb - g->volume0_off) & (RG_VOLUME_FOOTPRINT-1UL))>=RG_VOL_HDR_SZ;
}

/* rg_groove_sb_sz: the size field of a class-szc superblock's header. */

static inline uint64_t
rg_groove_sb_sz( uint64_t szc ) {
  rg_groove_szc_cfg_t const * cfg = &rg_groove_szc_cfg[ szc ];
  uint64_t sz = 496UL + (uint64_t)cfg->obj_cnt*(uint64_t)cfg->obj_footprint;
  return sz < (1UL<<25) ? sz : (1UL<<25)-1UL;
}

/* rg_groove_bits_valid: bits is a sane header of type exp_type; on
   success *slot_szc is the class of the slot it occupies (its own class
   for an allocation, its parent's for a superblock) and *idx its index
   there.  Returns 0 when not valid. */

static inline int
rg_groove_bits_valid( uint64_t   bits,
                      uint64_t   exp_type,
                      uint64_t * slot_szc,
                      uint64_t * idx ) {
  uint64_t type = rg_groove_hdr_type( bits );
  uint64_t szc  = rg_groove_hdr_szc ( bits );
  if( type!=exp_type || szc>=RG_GROOVE_SZC_CNT ) return 0;
  uint64_t c = type==RG_GROOVE_HDR_TYPE_ALLOC ? szc : (uint64_t)rg_groove_szc_cfg[ szc ].parent_szc;
  if( c>=RG_GROOVE_SZC_CNT ) return 0; /* a class-31 superblock sits in a volume, not a slot */
  uint64_t i     = rg_groove_hdr_idx  ( bits );
  uint64_t align = rg_groove_hdr_align( bits );
  uint64_t sz    = rg_groove_hdr_sz   ( bits );
  if( i>=(uint64_t)rg_groove_szc_cfg[ c ].obj_cnt ) return 0;
  if( !align || (align & (align-1UL)) || align>RG_GROOVE_ALIGN_MAX ) return 0;
  uint64_t footprint = (rg_groove_obj_offset( align ) + sz + RG_GROOVE_BLOCK_FOOTPRINT - 1UL) & ~(RG_GROOVE_BLOCK_FOOTPRINT-1UL);
  if( footprint>(uint64_t)rg_groove_szc_cfg[ c ].obj_footprint ) return 0;
  *slot_szc = c;
  *idx      = i;
  return 1;
}

/* Inactive stacks (rg_alloc.c). */

int rg_groove_stack_push ( rg_groove_t * g, uint64_t szc, uint64_t sb );
int rg_groove_stack_pop  ( rg_groove_t * g, uint64_t szc, uint64_t * sb );
int rg_groove_stack_steal( rg_groove_t * g, uint64_t szc, uint64_t * sb );

/* Volume pool (rg_volume.c). */

int rg_groove_pool_acquire( rg_groove_t * g, uint64_t * idx );
int rg_groove_pool_release( rg_groove_t * g, uint64_t idx );

#endif /* RGROOVE_CORE_RG_GROOVE_PRIVATE_H */
