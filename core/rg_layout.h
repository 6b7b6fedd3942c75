#ifndef RGROOVE_CORE_RG_LAYOUT_H
#define RGROOVE_CORE_RG_LAYOUT_H

/* The region's layout as one declared fact.  The structs below are
   used for offsetof and sizeof only: the allocator reaches the region
   through rg_mem_t offsets, never through pointers to these (a remote
   client has no mapping).  doc/architecture.md, "the region",
   explains each field; the static asserts tie the constants the code
   uses to them.

     [0, 4096)                 rg_region_hdr_t
     [4096, +33024)            rg_groove_shared_t
     [65536, +4095*960)        rg_client_rec_t[ RG_CLIENT_MAX ]
     [4 MiB + i GiB, +1 GiB)   volume i: rg_volume_hdr_t, then its class-31
                               superblock at +512 */

#include "rgroove/rg_groove.h"
#include "rgroove/rg_region.h"

#include <stddef.h>

/* Region header ********************************************************/

typedef struct rg_region_hdr {
  uint64_t magic;        /* RG_REGION_MAGIC, written last by rg_region_new */
  uint64_t version;      /* RG_REGION_VERSION */
  uint64_t size;         /* bytes the region spans */
  uint64_t shoff;        /* groove shared state */
  uint64_t volume0_off;  /* volume 0 */
  uint64_t volume_max;   /* volumes the region can hold */
  uint64_t client_off;   /* client table */
  uint64_t client_max;   /* records in it */
  uint64_t fingerprint;  /* rg_layout_fingerprint() of the library that made it */
  uint64_t key;          /* random: keys the superblock check words */
  uint64_t check;        /* rg_layout_check of the words above */
  uint64_t zero[ 501 ];  /* reserved: zero */
} rg_region_hdr_t;

#define RG_REGION_HDR_WORDS (11UL) /* words up to and including check */

_Static_assert( sizeof(rg_region_hdr_t)==4096UL, "region header is one page" );

/* Groove shared state ***************************************************/

#define RG_STK_LINE     (64UL)  /* bytes: one line holds one group's stacks of 8 classes */
#define RG_STK_PER_LINE (8UL)

typedef struct rg_groove_shared {
  uint64_t magic;                                             /* RG_GROOVE_MAGIC */
  uint64_t zero0[ 15 ];
  uint64_t active[ RG_GROOVE_CGROUP_MAX ][ RG_GROOVE_SZC_CNT ]; /* the seed's active slots, [cgroup][class] */
  uint64_t inactive0[ RG_GROOVE_SZC_CNT ];                    /* group 0's inactive stacks (the seed's) */
  uint64_t pool_magic;                                        /* RG_VOLUME_POOL_MAGIC */
  uint64_t pool_top;                                          /* the volume pool's versioned top */
  uint64_t zero1[ 14 ];
  uint64_t inactive[ RG_GROOVE_SZC_CNT/RG_STK_PER_LINE ][ RG_GROOVE_CGROUP_MAX-1UL ][ RG_STK_PER_LINE ]; /* groups 1..63 */
} rg_groove_shared_t;

#define RG_SH_MAGIC_OFF     (offsetof( rg_groove_shared_t, magic      ))
#define RG_SH_ACTIVE_OFF    (offsetof( rg_groove_shared_t, active     ))
#define RG_SH_INACTIVE_OFF  (offsetof( rg_groove_shared_t, inactive0  ))
#define RG_SH_POOL_OFF      (offsetof( rg_groove_shared_t, pool_magic ))
#define RG_SH_POOL_TOP_OFF  (offsetof( rg_groove_shared_t, pool_top   ))
#define RG_SH_INACTIVE2_OFF (offsetof( rg_groove_shared_t, inactive   ))

_Static_assert( RG_SH_ACTIVE_OFF==128UL && RG_SH_INACTIVE_OFF==16512UL && RG_SH_POOL_OFF==16768UL,
                "the seed's offsets of active slots, stacks and volume pool" );
_Static_assert( RG_SH_INACTIVE2_OFF==16896UL, "groups 1..63 follow the seed's state" );
_Static_assert( sizeof(rg_groove_shared_t)==RG_GROOVE_FOOTPRINT, "RG_GROOVE_FOOTPRINT" );

#define RG_VOLUME_POOL_MAGIC (0xfd67007e70190010UL)

/* Client table ***********************************************************/

/* A record per join (doc/architecture.md, "clients and their records"):
   who it is, what it holds, and the one operation it has in flight,
   written before the atomic that starts the operation so that a
   survivor can finish or undo it.  state packs gen<<32 | recoverer<<8 |
   RG_CLIENT_*: gen counts the joins that used the record (owner ids
   carry it), recoverer is the record index + 1 of the client recovering
   this one. */

#define RG_CLIENT_FREE       (0UL)
#define RG_CLIENT_LIVE       (1UL)
#define RG_CLIENT_RECOVERING (2UL)

#define RG_FREEING_CNT (8UL)
#define RG_SPARE_CNT   (8UL) /* spares per small class */

typedef struct rg_client_rec {
  uint64_t state;
  uint64_t id_kind;                 /* RG_CONN_ID_* of the transport (rg_transport.h) */
  uint64_t id[ 2 ];                 /* its identity: {pid, start time} or {server boot id, serial} */
  uint64_t joined;                  /* seconds since the epoch */
  uint64_t cgroup;                  /* its concurrency group hint */
  uint64_t op;                      /* the operation in flight, packed (rg_op_word) */
  uint64_t freeing[ RG_FREEING_CNT ]; /* superblocks its frees may be setting bits in */
  uint64_t held[ 10 ];              /* per small class: the superblock held (0: none) */
  uint64_t next[ 10 ];              /* per small class: the one held to take next (0: none) */
  uint64_t made;                    /* the superblock it made last, packed: RG_OP_CREATE, its slot, its parent */
  uint64_t aside;                   /* the superblocks a trim set aside: a chain through their links (0: none) */
  uint64_t spare[ 10 ][ RG_SPARE_CNT ]; /* per small class: more held to take next, on mapped memory (0: none) */
  uint64_t aside_at;                /* recovering: the one taken off the aside chain, being handled (0: none) */
  uint64_t zero[ 2 ];
} rg_client_rec_t;

_Static_assert( sizeof(rg_client_rec_t)==960UL, "client record: fifteen lines" );

#define RG_CLIENT_MAX        (4095UL)   /* records: marks and owner ids carry an index + 1 in 12 bits */
#define RG_CLIENT_GEN_BITS   (20)

/* The op word packs the operation (bits 0..3), where (bits 4..16: the
   container word's index in the groove state, or a slot index) and the
   superblock's offset / 512 (bits 17..53), so that one store records it
   whole: a client that dies mid-write leaves the old op or the new. */

static inline uint64_t rg_op_word ( uint64_t op, uint64_t where, uint64_t sb ) { return op | (where<<4) | ((sb>>9)<<17); }
static inline uint64_t rg_op_code ( uint64_t w ) { return w & 15UL; }
static inline uint64_t rg_op_where( uint64_t w ) { return (w>>4) & 0x1fffUL; }
static inline uint64_t rg_op_sb   ( uint64_t w ) { return (w>>17)<<9; }

#define RG_OP_NONE      (0UL)
#define RG_OP_POP       (1UL) /* marking sb on top of the stack at where, then popping it */
#define RG_OP_PUSH      (2UL) /* pushing the marked sb onto the stack at where (or marking it there), then unmarking */
#define RG_OP_SLOT      (3UL) /* marking sb in the active slot where, putting it there or taking it out */
#define RG_OP_REVIVE    (4UL) /* marking sb out of every container: setting a bit in a full one, or taking over a dead client's */
#define RG_OP_CREATE    (5UL) /* (the made word) a new superblock in slot where of sb */
#define RG_OP_DESTROY   (6UL) /* returning the marked, empty sb to its parent */
#define RG_OP_VOLUME    (7UL) /* taking the volume of sb (its class-31 superblock) from the pool */

/* Volume header ********************************************************/

typedef struct rg_volume_hdr {
  uint64_t magic;    /* RG_VOLUME_MAGIC (in use), ~RG_VOLUME_MAGIC (empty, in the pool), 0 (removed) */
  uint64_t idx;
  uint64_t next;     /* the pool's link while empty, RG_POOL_IDX_NULL while in use */
  uint64_t info_sz;  /* at most RG_VOLUME_INFO_MAX */
  uint8_t  info[ RG_VOLUME_INFO_MAX ];
  uint64_t check;    /* rg_layout_check of idx, info_sz and info */
} rg_volume_hdr_t;

_Static_assert( sizeof(rg_volume_hdr_t)==512UL, "volume header is one block" );

#define RG_VOL_MAGIC_OFF   (offsetof( rg_volume_hdr_t, magic   ))
#define RG_VOL_IDX_OFF     (offsetof( rg_volume_hdr_t, idx     ))
#define RG_VOL_NEXT_OFF    (offsetof( rg_volume_hdr_t, next    ))
#define RG_VOL_INFO_SZ_OFF (offsetof( rg_volume_hdr_t, info_sz ))
#define RG_VOL_CHECK_OFF   (offsetof( rg_volume_hdr_t, check   ))
#define RG_VOL_HDR_SZ      (sizeof(rg_volume_hdr_t))

/* Superblock header block *************************************************/

/* free packs the slots' free bits (bit i: slot i free; obj_cnt <= 51)
   with the holder's mark in bits 52..63: the record index + 1 of the
   client holding the superblock exclusively (only it claims slots), 0
   when no one does.  check is a keyed check word of the superblock's
   offset and bits (rg_sb_check): a copy of a header anywhere else, or a
   forged one, does not pass.  owner[i] is the owner id of the object in
   slot i (doc/architecture.md, "owners"). */

#define RG_SB_MARK_SHIFT (52)
#define RG_SB_FREE_MASK  ((1UL<<RG_SB_MARK_SHIFT)-1UL)

typedef struct rg_sb_hdr {
  uint64_t bits;           /* the header: type SUPERBLOCK, parent slot, class, 16, size */
  uint64_t next;           /* inactive-stack link while on a stack, else 0 */
  uint64_t free;           /* free bits | mark<<52 */
  uint64_t check;          /* rg_sb_check( key, offset, bits ) */
  uint64_t zero0[ 4 ];
  uint32_t owner[ 64 ];    /* per slot */
  uint64_t zero1[ 24 ];
} rg_sb_hdr_t;

_Static_assert( sizeof(rg_sb_hdr_t)==512UL, "superblock header is one block" );

#define RG_SB_INFO_OFF   (offsetof( rg_sb_hdr_t, next  ))
#define RG_SB_FREE_OFF   (offsetof( rg_sb_hdr_t, free  ))
#define RG_SB_CHECK_OFF  (offsetof( rg_sb_hdr_t, check ))
#define RG_SB_OWNER_OFF  (offsetof( rg_sb_hdr_t, owner ))
#define RG_SB_META_WORDS (4UL) /* bits, next, free, check: read together */

/* Layout constants that other constants are derived from. */

_Static_assert( RG_REGION_GROOVE_OFF>=sizeof(rg_region_hdr_t), "the groove state follows the region header" );
_Static_assert( RG_REGION_GROOVE_OFF + RG_GROOVE_FOOTPRINT<=RG_REGION_CLIENT_OFF, "the client table follows the groove state" );
_Static_assert( RG_REGION_CLIENT_OFF + RG_CLIENT_MAX*sizeof(rg_client_rec_t)<=RG_REGION_VOLUME0_OFF, "volumes follow the client table" );
_Static_assert( RG_CLIENT_MAX<(1UL<<(64-RG_SB_MARK_SHIFT)), "a mark holds a record index + 1" );

/* rg_layout_check: a checksum of n words, for metadata written rarely
   (region and volume headers).  Never 0 for a non-empty input, so a
   zeroed header does not pass. */

static inline uint64_t
rg_layout_check( uint64_t const * w,
                 uint64_t         n ) {
  uint64_t h = 0x243f6a8885a308d3UL;
  for( uint64_t i=0UL; i<n; i++ ) {
    h ^= w[i] + 0x9e3779b97f4a7c15UL + (h<<6) + (h>>2);
    h *= 0xff51afd7ed558ccdUL;
    h ^= h>>33;
  }
  return h | 1UL;
}

/* rg_sb_check: the keyed check word of the superblock at off with
   header bits (a mix of the three: not cryptographic, it only has to
   tell a real header from user bytes that happen to look like one). */

static inline uint64_t
rg_sb_check( uint64_t key,
             uint64_t off,
             uint64_t bits ) {
  uint64_t h = key ^ (off*0x9e3779b97f4a7c15UL);
  h ^= bits + 0x632be59bd9b4e019UL + (h<<6) + (h>>2);
  h *= 0xc4ceb9fe1a85ec53UL;
  h ^= h>>29;
  h *= 0xff51afd7ed558ccdUL;
  return (h ^ (h>>32)) | 1UL;
}

/* rg_layout_fingerprint: the size-class table and the layout constants,
   hashed.  A region made by a library with another table or layout has
   another fingerprint and is refused at join. */

uint64_t
rg_layout_fingerprint( void );

#endif /* RGROOVE_CORE_RG_LAYOUT_H */
