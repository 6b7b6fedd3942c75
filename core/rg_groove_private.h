#ifndef RGROOVE_CORE_RG_GROOVE_PRIVATE_H
#define RGROOVE_CORE_RG_GROOVE_PRIVATE_H

/* Shared by the core's files: the local join, the packed words of the
   volume pool, the inactive stacks and the superblock marks, header
   checks, and the functions one file gives another.  doc/architecture.md
   explains the protocols; the comments here say what each piece is. */

#include "rg_layout.h"
#include "base/rg_err.h"

/* Volume-pool top (seed format): bits 0..33 the top volume's index
   (RG_POOL_IDX_NULL when empty), bits 34..63 a version that steps by 2
   on every push and pop (bit 34 is the seed's lock bit, never set). */

#define RG_POOL_IDX_BITS (34)
#define RG_POOL_IDX_NULL ((1UL<<RG_POOL_IDX_BITS)-1UL)

static inline uint64_t rg_pool_top_idx( uint64_t w ) { return w & RG_POOL_IDX_NULL; }
static inline uint64_t rg_pool_top_ver( uint64_t w ) { return w>>RG_POOL_IDX_BITS; }
static inline uint64_t rg_pool_top( uint64_t ver, uint64_t idx ) { return (ver<<RG_POOL_IDX_BITS) | idx; }

/* Inactive-stack top: bits 0..36 the top superblock's offset / 512 (0:
   empty), bits 37..63 a 27-bit version stepping by 1 on every change. */

#define RG_STK_OFF_BITS (RG_REGION_OFF_BITS-9)
#define RG_STK_OFF_MASK ((1UL<<RG_STK_OFF_BITS)-1UL)

static inline uint64_t rg_stk_off( uint64_t w ) { return (w & RG_STK_OFF_MASK)<<9; }
static inline uint64_t rg_stk_next( uint64_t w, uint64_t off ) { return (((w>>RG_STK_OFF_BITS)+1UL)<<RG_STK_OFF_BITS) | (off>>9); }

/* Superblock free words: free bits below RG_SB_MARK_SHIFT, the holder's
   mark above (rg_layout.h). */

static inline uint64_t rg_sb_free_bits( uint64_t w ) { return w & RG_SB_FREE_MASK; }
static inline uint64_t rg_sb_mark     ( uint64_t w ) { return w>>RG_SB_MARK_SHIFT; }

static inline uint64_t rg_lowest_bit( uint64_t x ) { return x & (0UL - x); }
static inline uint64_t rg_full_mask ( uint64_t cnt ) { return (1UL<<cnt) - 1UL; }

/* The DEAD header a free writes before setting its bit: it names the
   freer, so that a survivor can tell whose free was interrupted. */

static inline uint64_t rg_hdr_dead( uint64_t me ) { return RG_GROOVE_HDR_TYPE_DEAD | (me<<16); }
static inline uint64_t rg_hdr_dead_by( uint64_t bits ) { return (bits>>16) & 0xfffUL; }

/* Owner ids: (record index + 1)<<RG_CLIENT_GEN_BITS | the record's
   generation, as rg_groove_obj_info reports them. */

static inline uint64_t rg_owner_id ( uint64_t me, uint64_t gen ) { return (me<<RG_CLIENT_GEN_BITS) | (gen & ((1UL<<RG_CLIENT_GEN_BITS)-1UL)); }
static inline uint64_t rg_owner_rec( uint64_t owner ) { return owner>>RG_CLIENT_GEN_BITS; }

/* Record state word. */

static inline uint64_t rg_rec_state( uint64_t w ) { return w & 0xffUL; }
static inline uint64_t rg_rec_gen  ( uint64_t w ) { return w>>32; }
static inline uint64_t rg_rec_word ( uint64_t gen, uint64_t recoverer, uint64_t state ) { return (gen<<32) | (recoverer<<8) | state; }

/* Classes below RG_GROOVE_HELD_SZC_CNT (objects up to 9728 bytes, the
   ones the seed gives 64 concurrency groups) are held by a join across
   allocations (rg_sb.c). */

#define RG_GROOVE_HELD_SZC_CNT (10UL)
#define RG_GROOVE_CREDIT_MAX   (64U)

_Static_assert( RG_GROOVE_HELD_SZC_CNT==sizeof(((rg_client_rec_t *)0)->held)/sizeof(uint64_t), "a held word per held class" );
_Static_assert( RG_GROOVE_HELD_SZC_CNT==sizeof(((rg_client_rec_t *)0)->next)/sizeof(uint64_t), "a next word per held class" );
_Static_assert( RG_GROOVE_HELD_SZC_CNT*RG_SPARE_CNT==sizeof(((rg_client_rec_t *)0)->spare)/sizeof(uint64_t), "spare words per held class" );

/* rg_groove_szc_of: rg_groove_szc, by a table for the footprints of the
   held classes (up to RG_GROOVE_SMALL_BLOCKS blocks), the usual sizes. */

#define RG_GROOVE_SMALL_BLOCKS (19UL)

extern uint8_t const rg_groove_szc_small[ RG_GROOVE_SMALL_BLOCKS ];

static inline uint64_t
rg_groove_szc_of( uint64_t footprint ) { /* a positive multiple of 512, at most class 30's */
  uint64_t blocks = footprint>>9;
  return blocks<=RG_GROOVE_SMALL_BLOCKS ? (uint64_t)rg_groove_szc_small[ blocks-1UL ] : rg_groove_szc( footprint );
}

/* The local join. *******************************************************/

/* A superblock this join holds (small classes): claimed from without a
   read, since only the holder claims.  free: bits known free (a subset
   of the real ones: others only add); owned: slots whose owner entry
   already carries this join's id; slot: the active slot it sits in when
   held in place there, 0 when held out of every container.  next: a
   superblock a free of this join's revived while it held sb, held out
   of every container to be taken when sb is full (next_free: its bits
   known free), so that a steady mix of allocs and frees of a class
   moves no superblock through the containers (rg_sb.c).  spare: on
   mapped memory, up to RG_SPARE_CNT more revived while it held both,
   to become next in turn, the last first (their free words are read
   then): frees and allocations of a class come in runs, and each
   superblock they would put back and take again costs a mark, a move
   and an unmark. */

typedef struct rg_held {
  uint64_t sb;
  uint64_t free;
  uint64_t owned;
  uint64_t slot;
  uint64_t claimed; /* the join's epoch at its last claim there */
  uint64_t next;
  uint64_t next_free;
  uint64_t next_claimed; /* the join's epoch at its last claim in next (rg_alloc.c) */
  uint64_t spare_cnt; /* spares in spare[ 0, spare_cnt ), taken from the top */
  uint64_t spare[ RG_SPARE_CNT ];
} rg_held_t;

/* What a round-trip transport's join remembers to save round trips:
   per class, the superblock it last used (seen), and the metadata of
   one read in the same round trip as the header of the object being
   freed (a look: sb 0 when none).  A look is only a guess of where a
   free goes: a superblock seen once may have been destroyed since and
   its memory be user data, so a free trusts no superblock it does not
   hold without a check of metadata read for that free. */

typedef struct rg_seen {
  uint64_t sb;
} rg_seen_t;

typedef struct rg_look {
  uint64_t sb;
  uint64_t meta[ RG_SB_META_WORDS ];
} rg_look_t;

/* A free in flight over a round-trip transport (rg_free.c): its header
   read posted (a free_nbi), or the CAS that sets its bits in sb posted,
   expecting guess.  Entry i of the ring names its superblock in the
   record's freeing word i + 1 (word 0 is the synchronous frees'). */

#define RG_PEND_MAX  (RG_FREEING_CNT - 1UL)
_Static_assert( RG_PEND_MAX==RG_GROOVE_FREES_IN_FLIGHT, "rg_groove.h's frees in flight" );
#define RG_PEND_READ (1UL)
#define RG_PEND_CAS  (2UL)

typedef struct rg_pend {
  uint64_t state;   /* 0 (unused), RG_PEND_READ or RG_PEND_CAS */
  uint64_t epoch;   /* the join's epoch when its request was posted */
  uint64_t ticket;
  uint64_t obj;     /* the object's offset (a batch's first in sb), for messages */
  uint64_t hdr[3];  /* RG_PEND_READ: the header's words (bits, tag, a span's size) */
  uint64_t sb;
  uint64_t c;
  uint64_t bits;    /* slots being freed */
  uint64_t guess;   /* the free word the CAS expects */
  uint64_t swp;
  uint64_t old;     /* what it found (after the wait) */
  uint64_t held;    /* sb is the one this join holds for c */
  rg_look_t look;   /* RG_PEND_READ: a look read with the header */
} rg_pend_t;

struct rg_groove {
  /* where things are */
  rg_mem_t const * mem;
  uint64_t         shoff;
  uint64_t         volume0_off;
  uint64_t         volume1_off;
  uint64_t         volume_max;
  uint64_t         client_off;
  uint64_t         client_max;
  uint64_t         key;
  uint64_t         cgroup_hint;

  /* who this join is: its record, mark and owner id (all 0 read-only) */
  uint64_t         rec;
  uint64_t         me;
  uint64_t         mark;
  uint64_t         owner;
  uint64_t         dead;          /* the dead header its frees write: rg_hdr_dead( me ) */
  uint32_t         own_run[ 64 ]; /* its owner id 64 times: the owner entries of a run of slots, written as one */

  rg_held_t        held[ RG_GROOVE_HELD_SZC_CNT ];

  /* per class: superblocks this join may make before taking other
     groups' spare ones (one per superblock its frees revive) */
  uint8_t          credit[ RG_GROOVE_SZC_CNT ];

  /* round-trip transports only */
  uint64_t         slot_seen   [ RG_GROOVE_SZC_CNT ];
  rg_seen_t        seen        [ RG_GROOVE_SZC_CNT ];
  rg_look_t        look;          /* the free being completed's, if any */
  uint64_t         reclaim_skip[ RG_GROOVE_SZC_CNT ];
  rg_pend_t        pend[ RG_PEND_MAX ];
  uint64_t         pend_cnt;      /* entries in use */
  uint64_t         epoch;         /* counts the calls that may complete frees in flight */
  int              quiet_err;     /* first deferred failure since the last quiet */
  char             quiet_msg[ 200 ];
};

_Static_assert( sizeof(struct rg_groove)<=RG_GROOVE_LJOIN_FOOTPRINT, "update RG_GROOVE_LJOIN_FOOTPRINT" );

/* Offsets. ************************************************************/

static inline uint64_t
rg_groove_vol_off( rg_groove_t const * g,
                   uint64_t            idx ) {
  return g->volume0_off + (idx<<RG_VOLUME_LG_FOOTPRINT);
}

static inline uint64_t
rg_groove_cg( rg_groove_t const * g,
              uint64_t            szc ) {
  return g->cgroup_hint & (uint64_t)rg_groove_szc_cfg[ szc ].cgroup_mask;
}

static inline uint64_t
rg_groove_active_cg_off( rg_groove_t const * g,
                         uint64_t            szc,
                         uint64_t            cg ) {
  return g->shoff + RG_SH_ACTIVE_OFF + 8UL*(szc + RG_GROOVE_SZC_CNT*cg);
}

static inline uint64_t
rg_groove_active_off( rg_groove_t const * g,
                      uint64_t            szc ) {
  return rg_groove_active_cg_off( g, szc, rg_groove_cg( g, szc ) );
}

/* rg_groove_inactive_cg_off: the inactive stack of class szc kept by
   concurrency group cg.  A superblock that a group's frees revive stays
   on that group's stack, so workers keep to their own superblocks;
   groups 1..63 keep the stacks of classes 8k..8k+7 in one 64-byte line
   of their own, so two groups never push and pop on one cache line, and
   a remote steal still reads one class's stacks in one request. */

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
  return rg_groove_inactive_cg_off( g, szc, rg_groove_cg( g, szc ) );
}

static inline uint64_t
rg_groove_rec_off( rg_groove_t const * g,
                   uint64_t            idx ) {
  return g->client_off + idx*sizeof(rg_client_rec_t);
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

static inline uint64_t
rg_groove_sb_bits( uint64_t szc,
                   uint64_t parent_idx ) {
  return rg_groove_hdr_bits( RG_GROOVE_HDR_TYPE_SUPERBLOCK, parent_idx, szc, 16UL, rg_groove_sb_sz( szc ) );
}

/* rg_groove_slot_off: the offset of slot idx of the class-c superblock sb. */

static inline uint64_t
rg_groove_slot_off( uint64_t sb,
                    uint64_t c,
                    uint64_t idx ) {
  return sb + RG_GROOVE_BLOCK_FOOTPRINT + idx*(uint64_t)rg_groove_szc_cfg[ c ].obj_footprint;
}

/* Header checks: the one place that says what a header must be. ********/

/* rg_hdr_footprint: the footprint of an allocation of sz bytes at align
   (a power of two up to 512): the blocks it spans from its header. */

static inline uint64_t
rg_hdr_footprint( uint64_t align,
                  uint64_t sz ) {
  return (rg_groove_obj_offset( align ) + sz + RG_GROOVE_BLOCK_FOOTPRINT - 1UL) & ~(RG_GROOVE_BLOCK_FOOTPRINT-1UL);
}

/* rg_hdr_live: bits is the header of a live allocation or superblock of
   a slot: on success *slot_szc is the class of the slot it occupies (its
   own class for an allocation, its parent's for a superblock) and *idx
   its index there.  A span (class 31 allocation) passes here with its
   first slot; rg_hdr_span says how many slots it covers.  Returns 0
   when not live (free, dead, damaged). */

static inline int
rg_hdr_live( uint64_t   bits,
             uint64_t * slot_szc,
             uint64_t * idx ) {
  uint64_t type = rg_groove_hdr_type( bits );
  uint64_t szc  = rg_groove_hdr_szc ( bits );
  if( (type!=RG_GROOVE_HDR_TYPE_ALLOC && type!=RG_GROOVE_HDR_TYPE_SUPERBLOCK) || szc>=RG_GROOVE_SZC_CNT ) return 0;
  uint64_t c = type==RG_GROOVE_HDR_TYPE_ALLOC ? szc : (uint64_t)rg_groove_szc_cfg[ szc ].parent_szc;
  if( c>=RG_GROOVE_SZC_CNT ) return 0; /* a class-31 superblock sits in a volume, not a slot */
  uint64_t i     = rg_groove_hdr_idx  ( bits );
  uint64_t align = rg_groove_hdr_align( bits );
  if( i>=(uint64_t)rg_groove_szc_cfg[ c ].obj_cnt ) return 0;
  if( !align || (align & (align-1UL)) || align>RG_GROOVE_ALIGN_MAX ) return 0;
  if( type==RG_GROOVE_HDR_TYPE_SUPERBLOCK ) {
    if( align!=16UL || rg_groove_hdr_sz( bits )!=rg_groove_sb_sz( szc ) ) return 0;
  } else if( c!=RG_GROOVE_SPAN_SZC && rg_hdr_footprint( align, rg_groove_hdr_sz( bits ) )>(uint64_t)rg_groove_szc_cfg[ c ].obj_footprint ) {
    return 0;
  }
  *slot_szc = c;
  *idx      = i;
  return 1;
}

/* rg_hdr_alloc_live: rg_hdr_live for a header that must be a live
   allocation's (the free path): its class is its slot's. */

static inline __attribute__((always_inline)) int
rg_hdr_alloc_live( uint64_t   bits,
                   uint64_t * c,
                   uint64_t * idx ) {
  uint64_t szc   = rg_groove_hdr_szc  ( bits );
  uint64_t i     = rg_groove_hdr_idx  ( bits );
  uint64_t align = rg_groove_hdr_align( bits );
  if( rg_groove_hdr_type( bits )!=RG_GROOVE_HDR_TYPE_ALLOC || szc>=RG_GROOVE_SZC_CNT ) return 0;
  if( i>=(uint64_t)rg_groove_szc_cfg[ szc ].obj_cnt || !align || (align & (align-1UL)) || align>RG_GROOVE_ALIGN_MAX ) return 0;
  if( szc!=RG_GROOVE_SPAN_SZC && rg_hdr_footprint( align, rg_groove_hdr_sz( bits ) )>(uint64_t)rg_groove_szc_cfg[ szc ].obj_footprint ) return 0;
  *c   = szc;
  *idx = i;
  return 1;
}

/* rg_hdr_obj_start: where the allocation whose header is at hdr starts. */

static inline uint64_t
rg_hdr_obj_start( uint64_t hdr,
                  uint64_t bits ) {
  return hdr + ( rg_groove_hdr_szc( bits )==RG_GROOVE_SPAN_SZC ? RG_GROOVE_SPAN_OFFSET
                                                              : rg_groove_obj_offset( rg_groove_hdr_align( bits ) ) );
}

/* rg_hdr_span_cnt: class-31 slots a span of exact size sz covers. */

static inline uint64_t
rg_hdr_span_cnt( uint64_t sz ) {
  uint64_t fp = rg_groove_szc_cfg[ RG_GROOVE_SPAN_SZC ].obj_footprint;
  return (RG_GROOVE_SPAN_OFFSET + sz + fp - 1UL)/fp;
}

/* rg_sb_words_ok: bits, free and check of rg_sb_hdr_t, read at sb, are
   a class-c superblock's, with a valid check word and free bits within
   its slots; rg_sb_meta_ok: the same of meta (its first four words). */

static inline int
rg_sb_words_ok( rg_groove_t const * g,
                uint64_t            sb,
                uint64_t            c,
                uint64_t            bits,
                uint64_t            free,
                uint64_t            check ) {
  return rg_groove_hdr_type( bits )==RG_GROOVE_HDR_TYPE_SUPERBLOCK && rg_groove_hdr_szc( bits )==c &&
         check==rg_sb_check( g->key, sb, bits ) && !(rg_sb_free_bits( free )>>rg_groove_szc_cfg[ c ].obj_cnt);
}

static inline int
rg_sb_meta_ok( rg_groove_t const * g,
               uint64_t            sb,
               uint64_t            c,
               uint64_t const *    meta ) {
  return rg_sb_words_ok( g, sb, c, meta[0], meta[2], meta[3] );
}

/* Paranoid or not, these guard every offset read from the region
   before it is used (doc/architecture.md, "damage"). */

static inline int
rg_groove_range_ok( rg_groove_t const * g,
                    uint64_t            off,
                    uint64_t            sz ) {
  return off>=g->volume0_off && off<g->volume1_off && sz<=g->volume1_off - off;
}

/* Between the core's files. ********************************************/

/* rg_client.c: this join's record */
int  rg_client_claim( rg_groove_t * g, uint32_t id_kind, uint64_t const * id );
int  rg_client_release( rg_groove_t * g );

/* The record's words, each one store (inline: most are on the paths
   of allocations and frees). */

/* rg_client_op records the operation this join is starting (RG_OP_*,
   the superblock, the container or slot): a store, before the atomic
   that starts it. */

static inline int
rg_client_op( rg_groove_t * g,
              uint64_t      op,
              uint64_t      sb,
              uint64_t      where ) {
  uint64_t code = where ? (where - g->shoff)>>3 : 0UL;
  return rg_mem_store( g->mem, g->rec + offsetof( rg_client_rec_t, op ), rg_op_word( op, code, sb ) );
}

/* rg_client_made names the superblock this join is making in free slot
   x of p, which it holds: its own word, as the ops that claim the slot
   and put p back overwrite the op word while the new one is still
   held. */

static inline int
rg_client_made( rg_groove_t * g,
                uint64_t      p,
                uint64_t      x ) {
  return rg_mem_store( g->mem, g->rec + offsetof( rg_client_rec_t, made ), rg_op_word( RG_OP_CREATE, x, p ) );
}

static inline int
rg_client_aside( rg_groove_t * g,
                 uint64_t      head ) {
  return rg_mem_store( g->mem, g->rec + offsetof( rg_client_rec_t, aside ), head );
}

static inline int
rg_client_held( rg_groove_t * g,
                uint64_t      c,
                uint64_t      word ) {
  return rg_mem_store( g->mem, g->rec + offsetof( rg_client_rec_t, held ) + 8UL*c, word );
}

static inline int
rg_client_next( rg_groove_t * g,
                uint64_t      c,
                uint64_t      word ) {
  return rg_mem_store( g->mem, g->rec + offsetof( rg_client_rec_t, next ) + 8UL*c, word );
}

static inline int
rg_client_spare( rg_groove_t * g,
                 uint64_t      c,
                 uint64_t      k,
                 uint64_t      word ) {
  return rg_mem_store( g->mem, g->rec + offsetof( rg_client_rec_t, spare ) + 8UL*(RG_SPARE_CNT*c + k), word );
}

/* rg_client_freeing names sb in the record's freeing word k before a
   free sets bits there: word 0 for the synchronous frees, one per entry
   of the ring of frees in flight over a round-trip transport. */

static inline int
rg_client_freeing( rg_groove_t * g,
                   uint64_t      k,
                   uint64_t      sb ) {
  return rg_mem_store( g->mem, g->rec + offsetof( rg_client_rec_t, freeing ) + 8UL*k, sb );
}

/* rg_stack.c: containers (active slots, inactive stacks) */
int  rg_stk_push_marked( rg_groove_t * g, uint64_t stk, uint64_t sb );
int  rg_stk_pop_marked( rg_groove_t * g, uint64_t stk, uint64_t c, uint64_t * sb, uint64_t * free_word );
int  rg_stk_steal( rg_groove_t * g, uint64_t c, uint64_t * sb, uint64_t * free_word );
int  rg_stk_find( rg_groove_t * g, uint64_t stk, uint64_t sb, int * found );
int  rg_slot_take( rg_groove_t * g, uint64_t slot, uint64_t c, uint64_t * sb, uint64_t * free_word );
int  rg_slot_steal( rg_groove_t * g, uint64_t c, uint64_t * sb, uint64_t * free_word );
int  rg_slot_put( rg_groove_t * g, uint64_t slot, uint64_t sb, int * done );
int  rg_slot_drop( rg_groove_t * g, uint64_t slot, uint64_t sb );
/* rg_full_pause: an allocation that found no volume waits, then looks
   again, RG_FULL_RETRIES times (about 20 ms in all) before returning
   RG_ERR_FULL: a volume's top superblock is held while another client
   carves a slot or a span from it.  Returns 0 when out of tries. */

#define RG_FULL_RETRIES (12UL)

int  rg_full_pause( uint64_t tries );
int  rg_sb_read_meta( rg_groove_t const * g, uint64_t where, uint64_t seen, uint64_t sb, uint64_t c, uint64_t * meta, int * moved );
int  rg_sb_heads( rg_groove_t const * g, uint64_t sb, uint64_t c, uint64_t * heads );
int  rg_sb_mark_mine( rg_groove_t * g, uint64_t sb, uint64_t expect, uint64_t * free_word );
int  rg_sb_unmark( rg_groove_t * g, uint64_t sb, uint64_t mark, uint64_t * free_word );

/* rg_sb.c: superblocks taken, held, released, made and destroyed */
int  rg_sb_acquire( rg_groove_t * g, uint64_t c, uint64_t * sb, uint64_t * free_word, uint64_t * slot );
int  rg_sb_release( rg_groove_t * g, uint64_t c, uint64_t sb, uint64_t slot );
int  rg_sb_destroy( rg_groove_t * g, uint64_t c, uint64_t sb );
int  rg_sb_revived( rg_groove_t * g, uint64_t c, uint64_t sb, uint64_t free_word );
int  rg_sb_reclaim( rg_groove_t * g, uint64_t c, uint64_t wide );
int  rg_sb_trim_own( rg_groove_t * g );
int  rg_sb_claim( rg_groove_t * g, uint64_t c, uint64_t sb, uint64_t slot, uint64_t bits, uint64_t * free_word );
int  rg_sb_new( rg_groove_t * g, uint64_t c, uint64_t * sb, uint64_t * free_word );
void rg_sb_held_set( rg_groove_t * g, uint64_t c, uint64_t sb, uint64_t free_bits, uint64_t slot );
int  rg_sb_own_slots( rg_groove_t * g, uint64_t sb, uint64_t free_bits );

/* rg_free.c */
int  rg_slot_free( rg_groove_t * g, uint64_t h, uint64_t c, uint64_t idx, int destroy );
int  rg_free_settle( rg_groove_t * g );
uint64_t rg_free_begin( rg_groove_t * g );
int  rg_free_may_revive( rg_groove_t const * g, uint64_t c );
int  rg_free_into( rg_groove_t const * g, uint64_t sb );
int  rg_free_settle_before( rg_groove_t * g, uint64_t start );

/* rg_volume.c: the volume pool */
int  rg_groove_pool_acquire( rg_groove_t * g, uint64_t * idx );
int  rg_groove_pool_release( rg_groove_t * g, uint64_t idx );
int  rg_volume_take( rg_groove_t * g, uint64_t * vol );
int  rg_volume_hdr_ok( rg_volume_hdr_t const * h, uint64_t idx );
int  rg_volume_give_back( rg_groove_t * g, uint64_t vol );

/* rg_groove.c: guards of every call that changes the groove */
int  rg_groove_writable( rg_groove_t const * g );

#endif /* RGROOVE_CORE_RG_GROOVE_PRIVATE_H */
