#ifndef RGROOVE_RG_GROOVE_H
#define RGROOVE_RG_GROOVE_H

/* rg_groove.h: the lock-free volume allocator (a port of Firedancer's
   fd_groove_data; reference/groove-spec.md specifies it to the bit).

   A region (one memory server's memory, reached through an rg_mem_t)
   holds:

     [0, 4096)                  region header (rg_region.h)
     [shoff, shoff+33024)       groove shared state: active slots,
                                inactive stacks, volume pool
     [volume0_off + i GiB, ...) volume i, for i in [0, volume_max)

   Every allocator word (active slots, inactive-stack tops, superblock
   free bitfields, superblock next links, the volume-pool top, volume
   next links) is an 8-byte aligned u64 in the region, changed only with
   the rg_mem_t operations.  Shared state holds region offsets, never
   pointers, so every process may map the region anywhere and a remote
   client may reach it without any mapping at all.

   Departures from the seed, on purpose:

   - Offsets are region offsets (volume 0 sits at volume0_off, not at
     offset 0), so one registered memory region with one key covers the
     shared state and every volume.
   - Inactive-stack words carry a 27-bit version (bits 37..63) above the
     superblock offset divided by 512 (bits 0..36), not the seed's 9-bit
     tag: a remote pop spends microseconds between reading the top and
     its CAS (design.md, rule 3).
   - One inactive stack per class and concurrency group, not per class:
     the seed's 32 stacks keep their place (they are cgroup 0's) and
     63*32 more follow the volume pool (shared state 33024 bytes, not
     16896), each group's on cache lines of its own.  A group pops its
     own stack; then a join whose frees revive superblocks of the class
     makes a new one before taking another group's spare one, and a
     join that revives none (a producer) takes one first.  With the
     seed's shared stacks two workers of a random workload were 3x
     slower per step than one; now two run at 1.9x the steps of one.
   - Free sets the object's bit with a CAS that refuses a bit already
     set, not a fetch-and-add, so of two concurrent frees of one object
     exactly one succeeds and the other returns RG_ERR_INVAL (the seed
     could carry into a neighbour's bit on a concurrent double free).
     Paranoid or not, free marks the object dead before that CAS.
   - Free rejects an address that is not exactly an object's start (the
     seed freed the object for any address inside its first block).
   - Verify returns RG_ERR_CORRUPT on a cyclic stack instead of aborting.
   - For classes 0..9 (objects up to 9728 bytes) a join keeps the
     superblock it allocates from until its last free slot is claimed,
     instead of putting it back into the active slot after every alloc:
     an allocation is then one fetch-and-sub (the seed: two exchanges
     around it), and a free that revives a full superblock of a class
     the join holds none of keeps it.  rg_groove_flush and
     rg_groove_leave put held superblocks back; rg_groove_recover finds
     those of a dead client.  A held superblock's bitfield stays exact,
     so verify holds anytime.
   - Over a remote transport a join remembers, per class, the superblock
     it last used and the bitfield it left there: it claims with a CAS
     seeded by that value and frees into it without re-reading its
     header (a round trip each), and after finding an inactive stack
     empty it skips the next 63 reclaim peeks of that class.  So a
     superblock header corrupted after this join validated it is found
     by verify, not by free.

   Formats (volume header, object header, size classes, superblock
   layout, volume-pool word) are the seed's, byte for byte. */

#include "rg_mem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Object header: 16 bytes at the start of an object's first 512-byte
   block.  bits = type | idx<<16 | szc<<22 | align<<29 | sz<<39; info is
   the user tag of an allocation, the next-inactive link of a
   superblock. */

#define RG_GROOVE_BLOCK_FOOTPRINT     (512UL)
#define RG_GROOVE_HDR_FOOTPRINT       (16UL)
#define RG_GROOVE_HDR_TYPE_ALLOC      (0xfd67UL)
#define RG_GROOVE_HDR_TYPE_SUPERBLOCK (0x0298UL)

#define RG_GROOVE_ALIGN_DEFAULT       (16UL)
#define RG_GROOVE_ALIGN_MAX           (512UL)
#define RG_GROOVE_FOOTPRINT_MAX       (10486272UL)  /* 10 MiB + 512 */
#define RG_GROOVE_SZ_MAX              (RG_GROOVE_FOOTPRINT_MAX-RG_GROOVE_HDR_FOOTPRINT)

#define RG_GROOVE_SZC_CNT             (32UL)
#define RG_GROOVE_CGROUP_MAX          (64UL)

#define RG_GROOVE_ALIGN               (128UL)
#define RG_GROOVE_FOOTPRINT           (33024UL)  /* the seed's 16896, then 63 more stacks per class */
#define RG_GROOVE_MAGIC               (0xfd67007eda7a36c0UL)

#define RG_VOLUME_MAGIC               (0xfd67007e701c3300UL)
#define RG_VOLUME_INFO_MAX            (480UL)

typedef struct rg_groove_hdr {
  uint64_t bits;
  uint64_t info;
} rg_groove_hdr_t;

static inline uint64_t
rg_groove_hdr_bits( uint64_t type,
                    uint64_t idx,
                    uint64_t szc,
                    uint64_t align,
                    uint64_t sz ) {
  return type | (idx<<16) | (szc<<22) | (align<<29) | (sz<<39);
}

static inline uint64_t rg_groove_hdr_type ( uint64_t bits ) { return  bits      & 0xffffUL; }
static inline uint64_t rg_groove_hdr_idx  ( uint64_t bits ) { return (bits>>16) & 63UL;     }
static inline uint64_t rg_groove_hdr_szc  ( uint64_t bits ) { return (bits>>22) & 127UL;    }
static inline uint64_t rg_groove_hdr_align( uint64_t bits ) { return (bits>>29) & 1023UL;   }
static inline uint64_t rg_groove_hdr_sz   ( uint64_t bits ) { return  bits>>39;             }

/* Size classes: rg_groove_szc_cfg[c] for c in [0,32) is the seed's
   table (groove-spec.md, section 4.2).  parent_szc==32 means the parent
   is a whole volume. */

typedef struct rg_groove_szc_cfg {
  uint32_t obj_footprint; /* multiple of 512 */
  uint8_t  obj_cnt;       /* objects per superblock, in [2,64] */
  uint8_t  cgroup_mask;   /* concurrency groups - 1, a power of two - 1 */
  uint8_t  parent_szc;    /* class whose objects hold this class's superblocks */
} rg_groove_szc_cfg_t;

extern rg_groove_szc_cfg_t const rg_groove_szc_cfg[ RG_GROOVE_SZC_CNT ];

/* rg_groove_szc returns the smallest class whose obj_footprint is at
   least footprint.  Assumes footprint <= rg_groove_szc_cfg[31]'s.  A
   branch-free binary search of 5 fixed steps. */

static inline uint64_t
rg_groove_szc( uint64_t footprint ) {
  uint64_t lo = 0UL, hi = RG_GROOVE_SZC_CNT-1UL;
  for( int i=0; i<5; i++ ) {
    uint64_t m  = (lo+hi)>>1;
    int      ok = (uint64_t)rg_groove_szc_cfg[ m ].obj_footprint >= footprint;
    hi = ok ? m  : hi;
    lo = ok ? lo : m+1UL;
  }
  return hi;
}

/* rg_groove_obj_offset returns where an object of alignment align
   starts inside its first block: align_up(16,align), in {16,...,512}. */

static inline uint64_t
rg_groove_obj_offset( uint64_t align ) {
  return (RG_GROOVE_HDR_FOOTPRINT + align - 1UL) & ~(align - 1UL);
}

/* rg_groove_obj_hdr_off returns the region offset of the header of the
   object at region offset obj_off: align_down(obj_off-16, 512). */

static inline uint64_t
rg_groove_obj_hdr_off( uint64_t obj_off ) {
  return (obj_off - RG_GROOVE_HDR_FOOTPRINT) & ~(RG_GROOVE_BLOCK_FOOTPRINT-1UL);
}

/* rg_groove_sb_hdr_off returns the region offset of the superblock that
   holds slot idx of class szc whose header is at hdr_off. */

static inline uint64_t
rg_groove_sb_hdr_off( uint64_t hdr_off,
                      uint64_t szc,
                      uint64_t idx ) {
  return hdr_off - idx*(uint64_t)rg_groove_szc_cfg[ szc ].obj_footprint - RG_GROOVE_BLOCK_FOOTPRINT;
}

/* rg_groove_t is a local join: cheap, private to the thread that uses
   it (join once per thread; joins share everything through the region).
   Its contents are opaque; rg_groove_ljoin_{align,footprint} size the
   caller memory it lives in. */

typedef struct rg_groove rg_groove_t;

#define RG_GROOVE_LJOIN_ALIGN     (8UL)
#define RG_GROOVE_LJOIN_FOOTPRINT (1280UL)

uint64_t rg_groove_ljoin_align    ( void );
uint64_t rg_groove_ljoin_footprint( void );

/* rg_groove_align / rg_groove_footprint: alignment (128) and size
   (33024) of the groove shared state inside a region. */

uint64_t rg_groove_align    ( void );
uint64_t rg_groove_footprint( void );

/* rg_groove_new formats the shared state at region offset shoff: every
   active slot and inactive stack empty, an empty volume pool, then the
   magic.  The result holds no volumes (see rg_groove_volume_add).
   Returns RG_SUCCESS, RG_ERR_INVAL (mem NULL, shoff not 128-aligned or
   the state not inside the region) or RG_ERR_IO.  Not concurrent with
   any other use of that shared state. */

int
rg_groove_new( rg_mem_t const * mem,
               uint64_t         shoff );

/* rg_groove_join joins the shared state at shoff for volumes
   [volume0_off, volume0_off + volume_max GiB) of mem, using the active
   slots of concurrency group cgroup_hint (any value; each class masks
   it).  ljoin is caller memory of rg_groove_ljoin_footprint() bytes,
   rg_groove_ljoin_align()-aligned.  mem must outlive the join.

   Returns the join, or NULL with *opt_err (if given) set to
   RG_ERR_INVAL when ljoin or mem is NULL or misaligned, shoff is not
   128-aligned, volume0_off is not 4096-aligned, volume_max is 0 or above
   RG_VOLUME_MAX, the volumes do not fit in the region, or the shared
   state's magic is wrong (never formatted, or deleted); RG_ERR_IO when
   the transport failed.  Thread safe. */

rg_groove_t *
rg_groove_join( void *           ljoin,
                rg_mem_t const * mem,
                uint64_t         shoff,
                uint64_t         volume0_off,
                uint64_t         volume_max,
                uint64_t         cgroup_hint,
                int *            opt_err );

/* rg_groove_leave ends a join and returns the caller memory it used
   (NULL if join is NULL).  It first puts back the superblocks the join
   holds (rg_groove_flush); if the transport fails there, they stay out
   of circulation until rg_groove_recover finds them. */

void *
rg_groove_leave( rg_groove_t * join );

/* rg_groove_delete unformats the shared state at shoff (clears its
   magic; later joins fail with RG_ERR_INVAL).  Frees nothing: the caller
   owns every volume and object afterwards.  Returns RG_SUCCESS,
   RG_ERR_INVAL (bad arguments or not a formatted groove) or RG_ERR_IO.
   No join may be in use. */

int
rg_groove_delete( rg_mem_t const * mem,
                  uint64_t         shoff );

/* Join accessors. */

rg_mem_t const * rg_groove_mem        ( rg_groove_t const * join );
uint64_t         rg_groove_shoff      ( rg_groove_t const * join );
uint64_t         rg_groove_volume0_off( rg_groove_t const * join );
uint64_t         rg_groove_volume1_off( rg_groove_t const * join );
uint64_t         rg_groove_volume_max ( rg_groove_t const * join );
uint64_t         rg_groove_cgroup_hint( rg_groove_t const * join );

/* rg_groove_volume_add formats volumes [vol_idx, vol_idx+vol_cnt) (each
   header: idx, info, then the "empty" magic) and pushes them onto the
   volume pool, highest index first so the lowest is used first.  info
   (info_sz bytes, clamped to 480; NULL means none) is copied into each
   header.  vol_cnt 0 does nothing.  The volumes must not hold live
   data.  Returns RG_SUCCESS, RG_ERR_INVAL (join NULL, range outside
   [0,volume_max)) or RG_ERR_IO.  Safe concurrently with allocation. */

int
rg_groove_volume_add( rg_groove_t * join,
                      uint64_t      vol_idx,
                      uint64_t      vol_cnt,
                      void const *  info,
                      uint64_t      info_sz );

/* rg_groove_volume_remove takes one empty volume out of the pool (its
   magic becomes 0) and stores its index in *vol_idx.  Returns
   RG_SUCCESS, RG_ERR_EMPTY (no empty volume in the pool), RG_ERR_INVAL
   (NULL arguments), RG_ERR_CORRUPT (the pool gave a volume with a bad
   header) or RG_ERR_IO.  Safe concurrently with allocation. */

int
rg_groove_volume_remove( rg_groove_t * join,
                         uint64_t *    vol_idx );

/* rg_groove_alloc allocates sz bytes (0 allowed) aligned to align (a
   power of two up to 512; 0 means 16) and records tag in the object's
   header.  On success *obj_off is the region offset of the object's
   first byte and RG_SUCCESS is returned.  Errors, with *obj_off set to
   0: RG_ERR_INVAL (join or obj_off NULL, bad align, sz above
   RG_GROOVE_SZ_MAX for that align), RG_ERR_FULL (no volume left in the
   pool: add volumes or free objects), RG_ERR_CORRUPT (paranoid checks
   found a damaged structure) or RG_ERR_IO.  Lock-free; safe
   concurrently with every other operation, from any number of joins in
   any number of processes or clients. */

int
rg_groove_alloc( rg_groove_t * join,
                 uint64_t      align,
                 uint64_t      sz,
                 uint64_t      tag,
                 uint64_t *    obj_off );

/* rg_groove_free frees the object whose first byte is at region offset
   obj_off.  Returns RG_SUCCESS; RG_ERR_INVAL, with nothing changed, for
   a NULL join, an offset outside the volumes, an offset that is not
   exactly an object's first byte (a pointer into an object, a
   superblock, foreign memory) or an object already freed (also when two
   frees of one object race: one of them wins); RG_ERR_CORRUPT when the
   pool was found damaged after the state started to change; RG_ERR_IO.
   Lock-free; safe concurrently with every other operation. */

int
rg_groove_free( rg_groove_t * join,
                uint64_t      obj_off );

/* rg_groove_flush puts the superblocks this join holds (see the
   departures above) back into circulation, where other joins can use
   their free slots.  Run it before rg_groove_recover is run elsewhere on
   a live groove: recovery would take a held superblock for lost.
   Returns RG_SUCCESS, RG_ERR_INVAL (join NULL), RG_ERR_IO, or
   RG_ERR_CORRUPT (an inactive stack is damaged).  Lock-free, like
   alloc; the join keeps working afterwards. */

int
rg_groove_flush( rg_groove_t * join );

/* rg_groove_obj_info describes the live allocation at obj_off: the
   alignment, size and tag it was allocated with, and its usable byte
   range [start, stop) as region offsets (start <= obj_off, obj_off+sz
   <= stop).  Returns RG_SUCCESS, RG_ERR_INVAL (not a live allocation's
   first byte; *info untouched) or RG_ERR_IO.  Thread safe; describes
   the object as it was when read. */

typedef struct rg_groove_obj_info {
  uint64_t align;
  uint64_t sz;
  uint64_t tag;
  uint64_t start;
  uint64_t stop;
} rg_groove_obj_info_t;

int
rg_groove_obj_info( rg_groove_t const *    join,
                    uint64_t               obj_off,
                    rg_groove_obj_info_t * info );

/* rg_groove_verify checks the whole groove: the volume pool chain (no
   cycle, each volume marked empty with the right index), the shared
   state's magic, the size-class table, and every superblock reachable
   from an active slot or an inactive stack.  rg_groove_volume_verify
   checks one volume's header and, if it is in use, every superblock and
   object header inside it, recursively.  Both return RG_SUCCESS,
   RG_ERR_INVAL (bad arguments), RG_ERR_CORRUPT (rg_errmsg says what
   and where) or RG_ERR_IO.  The groove must be quiescent: no alloc or
   free may run anywhere meanwhile. */

int
rg_groove_verify( rg_groove_t const * join );

int
rg_groove_volume_verify( rg_groove_t const * join,
                         uint64_t            vol_idx );

/* rg_groove_usage walks every volume of a quiescent groove and counts
   what it holds.  Returns RG_SUCCESS, RG_ERR_INVAL, RG_ERR_CORRUPT or
   RG_ERR_IO. */

typedef struct rg_groove_usage {
  uint64_t volumes_in_use;   /* magic says "holds data" */
  uint64_t volumes_empty;    /* in the pool */
  uint64_t superblocks;      /* in used volumes */
  uint64_t objects;          /* live allocations */
  uint64_t object_bytes;     /* sum of their requested sizes */
  uint64_t free_slots;       /* free slots of the leaf classes 0..30 */
} rg_groove_usage_t;

int
rg_groove_usage( rg_groove_t const * join,
                 rg_groove_usage_t * usage );

/* rg_groove_recover repairs what clients that died mid-operation left
   in a quiescent groove: slots claimed but never given a header (or
   freed halfway) are freed, superblocks with free slots that are in no
   active slot and on no inactive stack go back onto their stack,
   volumes taken from the pool but never set up (or marked empty but
   missing from the pool) go back to the pool.  A sound groove is left
   as it is.  *rec counts what was repaired.  Returns RG_SUCCESS,
   RG_ERR_INVAL, RG_ERR_CORRUPT (damage it cannot attribute to an
   interrupted operation; rg_errmsg says where) or RG_ERR_IO.  No alloc
   or free may run anywhere meanwhile (e.g. no client attached), and
   every join that lives on must have been flushed (rg_groove_flush):
   a superblock a join still holds would be put back twice. */

typedef struct rg_groove_recovery {
  uint64_t slots_freed;
  uint64_t superblocks_recirculated;
  uint64_t volumes_released;
} rg_groove_recovery_t;

int
rg_groove_recover( rg_groove_t *          join,
                   rg_groove_recovery_t * rec );

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_GROOVE_H */
