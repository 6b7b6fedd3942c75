#ifndef RGROOVE_RG_GROOVE_H
#define RGROOVE_RG_GROOVE_H

/* rg_groove.h: the lock-free volume allocator, a port of Firedancer's
   fd_groove_data (volumes, 32 size classes of nested superblocks,
   per-class active slots, versioned inactive stacks).  doc/architecture.md
   credits it ("fd_groove_data and the seed") and describes every
   departure from it ("departures from the seed").

   A region (one memory server's memory, reached through an rg_mem_t)
   holds a header, the groove shared state, a client table and volumes
   (rg_region.h; core/rg_layout.h declares every field).  Every allocator
   word is an 8-byte aligned u64 in the region, changed only with the
   rg_mem_t operations, and holds region offsets, never pointers, so
   every process may map the region anywhere and a remote client may
   reach it without a mapping.

   The departures that change what a caller sees:

   - Every join registers a record in the region's client table (who it
     is, the superblocks it holds, the operation it has in flight), so
     that a survivor can put back what a client that died held and
     finish or undo what it was doing, while every other client goes on
     (rg_groove_recover_client).  Every object carries its allocator's
     owner id (rg_groove_obj_info, rg_groove_walk, rg_groove_free_owner).
   - Only a superblock's holder claims its slots, and the holder is
     written into the superblock's free-bit word itself (a mark), so
     holding never depends on where a client died.
   - A free is accepted only for an object whose superblock carries a
     valid keyed check word (a forged or copied header fails), whose
     header is live and whose address is exactly its first byte; a
     double free, racing or not, is refused.
   - Superblocks that empty go back to their parent and emptied volumes
     to the pool, except those a join holds (per small class at most
     ten: the one it allocates from, the next and up to eight spares,
     kept until it flushes or leaves); rg_groove_trim returns
     everything it can.
   - Objects above 10 MiB, up to nearly a whole volume, are runs of
     class-31 slots (spans).
   - verify accounts for every superblock, volume and record and checks
     checksums and reserved bytes: damage is reported, never skipped;
     whole-pool recovery refuses damage it cannot attribute to an
     interrupted operation, and can dry-run.
   - Inactive-stack words carry a 27-bit ABA version (the seed: 9 bits);
     one inactive stack per class and concurrency group.
   - Volume headers keep 472 info bytes (the seed: 480) and a checksum.

   Formats otherwise follow the seed: object header (type, index, class,
   alignment, size, tag), size classes, superblock layout, volume-pool
   word. */

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
#define RG_GROOVE_HDR_TYPE_DEAD       (0xdeadUL) /* freed: bits 16..27 hold the freer's record index + 1 */

#define RG_GROOVE_ALIGN_DEFAULT       (16UL)
#define RG_GROOVE_ALIGN_MAX           (512UL)
#define RG_GROOVE_FOOTPRINT_MAX       (10486272UL)  /* 10 MiB + 512: the largest object of a class (class 30) */
#define RG_GROOVE_SZ_MAX              (RG_GROOVE_FOOTPRINT_MAX-RG_GROOVE_HDR_FOOTPRINT)

/* Spans: an object above RG_GROOVE_SZ_MAX takes a run of class-31 slots
   (21053440 bytes each, 51 per volume).  Its header sits at the start
   of the first slot with class 31 and the size saturated; the exact
   size follows at +16; the object starts at +512. */
#define RG_GROOVE_SPAN_SZC            (31UL)
#define RG_GROOVE_SPAN_OFFSET         (512UL)
#define RG_GROOVE_SPAN_SZ_MAX         (51UL*21053440UL - RG_GROOVE_SPAN_OFFSET)

#define RG_GROOVE_SZC_CNT             (32UL)
#define RG_GROOVE_CGROUP_MAX          (64UL)

#define RG_GROOVE_ALIGN               (128UL)
#define RG_GROOVE_FOOTPRINT           (33024UL)  /* the seed's 16896, then 63 more stacks per class */
#define RG_GROOVE_MAGIC               (0xfd67007eda7a36c0UL)

#define RG_VOLUME_MAGIC               (0xfd67007e701c3300UL)
#define RG_VOLUME_INFO_MAX            (472UL)  /* the seed: 480; 8 bytes hold the header's checksum */

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
   table (doc/architecture.md, "size classes").  parent_szc==32 means the parent
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

typedef struct rg_groove      rg_groove_t;
typedef struct rg_region_info rg_region_info_t; /* rg_region.h */

#define RG_GROOVE_LJOIN_ALIGN     (64UL)
#define RG_GROOVE_LJOIN_FOOTPRINT (4096UL)

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
   any other use of that shared state.  (Regions are normally made with
   rg_region_new, which also makes the client table.) */

int
rg_groove_new( rg_mem_t const * mem,
               uint64_t         shoff );

/* rg_groove_join joins the groove of the region whose geometry region
   describes (rg_region_query), using the active slots of concurrency
   group cgroup_hint (any value; each class masks it).  ljoin is caller
   memory of rg_groove_ljoin_footprint() bytes, aligned
   rg_groove_ljoin_align(); mem must outlive the join.

   With id_kind RG_CONN_ID_PID or RG_CONN_ID_SERVER (rg_transport.h) the
   join takes a record in the region's client table, writing id (two
   words) there, so that a survivor can recover what it leaves should it
   die (rg_groove_recover_client).  With id_kind 0 it is read-only: it
   may verify, walk and count but every call that changes the groove
   returns RG_ERR_PERM.

   Returns the join, or NULL with *opt_err (if given) set to
   RG_ERR_INVAL (ljoin, mem or region NULL or misaligned, a geometry
   that does not fit mem, the shared state's magic wrong), RG_ERR_FULL
   (every record of the client table is taken: recover dead clients) or
   RG_ERR_IO.  Thread safe. */

rg_groove_t *
rg_groove_join( void *                   ljoin,
                rg_mem_t const *         mem,
                rg_region_info_t const * region,
                uint64_t                 cgroup_hint,
                uint32_t                 id_kind,
                uint64_t const *         id,
                int *                    opt_err );

/* rg_groove_leave ends a join and returns the caller memory it used
   (NULL if join is NULL).  It first completes its pending frees
   (rg_groove_quiet; a bad free found then changed nothing and is not
   reported), puts back the superblocks it holds, returns to
   their parents the empty superblocks of its own concurrency group's
   containers (small classes) and of every group's (the other classes),
   then releases its record; if the transport fails there,
   the record stays for rg_groove_recover_client to finish. */

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

/* Join accessors.  rg_groove_client: the join's record index (-1 for a
   read-only join).  rg_groove_owner: the owner id its allocations carry
   (0 for a read-only join). */

rg_mem_t const * rg_groove_mem        ( rg_groove_t const * join );
uint64_t         rg_groove_shoff      ( rg_groove_t const * join );
uint64_t         rg_groove_volume0_off( rg_groove_t const * join );
uint64_t         rg_groove_volume1_off( rg_groove_t const * join );
uint64_t         rg_groove_volume_max ( rg_groove_t const * join );
uint64_t         rg_groove_cgroup_hint( rg_groove_t const * join );
int64_t          rg_groove_client     ( rg_groove_t const * join );
uint64_t         rg_groove_owner      ( rg_groove_t const * join );

/* rg_groove_volume_add formats volumes [vol_idx, vol_idx+vol_cnt) (each
   header: idx, info, checksum, then the "empty" magic) and pushes them
   onto the volume pool, highest index first so the lowest is used
   first.  info (info_sz bytes, clamped to RG_VOLUME_INFO_MAX; NULL means
   none) is copied into each header.  vol_cnt 0 does nothing.  Returns
   RG_SUCCESS, RG_ERR_INVAL (join NULL, range outside [0,volume_max), or
   a volume of the range already in the pool or in use: nothing is
   changed then), RG_ERR_PERM (read-only join) or RG_ERR_IO.  Safe
   concurrently with allocation, not with another add of the same
   volumes. */

int
rg_groove_volume_add( rg_groove_t * join,
                      uint64_t      vol_idx,
                      uint64_t      vol_cnt,
                      void const *  info,
                      uint64_t      info_sz );

/* rg_groove_volume_remove takes one empty volume out of the pool (its
   magic becomes 0) and stores its index in *vol_idx.  Returns
   RG_SUCCESS, RG_ERR_EMPTY (no empty volume in the pool), RG_ERR_INVAL
   (NULL arguments), RG_ERR_PERM, RG_ERR_CORRUPT (the pool gave a volume
   with a bad header) or RG_ERR_IO.  Safe concurrently with allocation. */

int
rg_groove_volume_remove( rg_groove_t * join,
                         uint64_t *    vol_idx );

/* rg_groove_alloc allocates sz bytes (0 allowed; up to
   RG_GROOVE_SPAN_SZ_MAX) aligned to align (a power of two up to 512; 0
   means 16) and records tag and the join's owner id with the object.
   On success *obj_off is the region offset of the object's first byte
   and RG_SUCCESS is returned.  Errors, with *obj_off set to 0:
   RG_ERR_INVAL (join or obj_off NULL, bad align, sz too large),
   RG_ERR_FULL (no room: add volumes or free objects; a span needs that
   many adjacent class-31 slots), RG_ERR_PERM (read-only join),
   RG_ERR_CORRUPT (paranoid checks found a damaged structure) or
   RG_ERR_IO.  Lock-free; safe concurrently with every other operation,
   from any number of joins in any number of processes or clients. */

int
rg_groove_alloc( rg_groove_t * join,
                 uint64_t      align,
                 uint64_t      sz,
                 uint64_t      tag,
                 uint64_t *    obj_off );

/* rg_groove_alloc_n allocates up to n objects like rg_groove_alloc (one
   align, sz and tag), claiming as many slots per atomic as the
   superblocks it holds allow.  *got receives how many were allocated
   (their offsets in obj_off[0..*got)); it is below n only on an error,
   which is returned (RG_ERR_FULL when room ran out).  n 0 does nothing. */

int
rg_groove_alloc_n( rg_groove_t * join,
                   uint64_t      align,
                   uint64_t      sz,
                   uint64_t      tag,
                   uint64_t      n,
                   uint64_t *    obj_off,
                   uint64_t *    got );

/* rg_groove_free frees the object whose first byte is at region offset
   obj_off.  Returns RG_SUCCESS; RG_ERR_INVAL, with nothing changed, for
   a NULL join, an offset outside the volumes, an offset that is not
   exactly a live object's first byte (a pointer into an object, a
   superblock, foreign memory), an object whose superblock fails its
   check word (a forged or copied header), or an object already freed;
   RG_ERR_PERM (read-only join); RG_ERR_CORRUPT (the pool was found
   damaged after the state started to change); RG_ERR_IO.

   Over a round-trip transport the free waits for one round trip (the
   header read that validates the object); setting its bit is posted and
   completed by a later call of the join: the next one that waits, or
   rg_groove_quiet.  Of two frees of one object racing from two clients,
   exactly one takes effect; the other's RG_ERR_INVAL then comes from its
   rg_groove_quiet (or the free itself where nothing was deferred).  On
   mapped memory everything completes before it returns.  Lock-free;
   safe concurrently with every other operation. */

int
rg_groove_free( rg_groove_t * join,
                uint64_t      obj_off );

/* rg_groove_free_n frees n objects, setting the bits of those in one
   superblock with one atomic.  err[i] receives each one's result as
   rg_groove_free would return it (err may be NULL); one bad offset
   among good ones does not stop the others; a double free inside the
   batch is refused like any other.  Returns RG_SUCCESS if every free
   succeeded, else the first error.  Over a round-trip transport the
   headers are read together (one read per run of nearby headers, up to
   RG_MEM_INFLIGHT_RA runs per round trip) and the atomics posted as
   rg_groove_free's are: a racing double free found later is reported by
   rg_groove_quiet, not in err. */

int
rg_groove_free_n( rg_groove_t *    join,
                  uint64_t         n,
                  uint64_t const * obj_off,
                  int *            err );

/* rg_groove_free_nbi frees obj_off without waiting: over a round-trip
   transport it posts the header read and returns; the rest of the free
   (validation, dead header, CAS) happens in a later call of the join,
   and rg_groove_quiet reports what failed, RG_ERR_INVAL for a bad free
   among them.  Only an offset outside the volumes (RG_ERR_INVAL), a
   read-only join (RG_ERR_PERM) or RG_ERR_IO is returned at once.  On
   memory without round trips it is rg_groove_free.  At most
   RG_GROOVE_FREES_IN_FLIGHT frees are in flight: one more first
   completes what it can (one round trip). */

#define RG_GROOVE_FREES_IN_FLIGHT (7UL)

int
rg_groove_free_nbi( rg_groove_t * join,
                    uint64_t      obj_off );

/* rg_groove_quiet completes everything the join has posted and not yet
   completed (deferred frees).  Returns RG_SUCCESS or the first failure
   since the last quiet, with rg_errmsg naming the call and offset it
   came from. */

int
rg_groove_quiet( rg_groove_t * join );

/* rg_groove_flush puts the superblocks this join holds back into
   circulation, where other joins can use their free slots, keeping
   nothing (the empty ones go back to their parents).  Returns
   RG_SUCCESS, RG_ERR_INVAL (join NULL), RG_ERR_PERM, RG_ERR_IO or
   RG_ERR_CORRUPT.  Lock-free; the join keeps working afterwards. */

int
rg_groove_flush( rg_groove_t * join );

/* rg_groove_trim returns every empty superblock it can find to its
   parent, and every emptied volume to the pool: it flushes the join,
   then takes the empty superblocks out of every active slot and
   inactive stack (superblocks other joins hold stay; the others of a
   stack are set aside meanwhile, so allocations racing it may make new
   ones).  *trimmed (if not
   NULL) counts the superblocks it destroyed.  Returns like
   rg_groove_flush.  Safe concurrently with every other operation. */

int
rg_groove_trim( rg_groove_t * join,
                uint64_t *    trimmed );

/* rg_groove_obj_info describes the live allocation at obj_off: the
   alignment, size, tag and owner id it was allocated with, and its
   usable byte range [start, stop) as region offsets (start <= obj_off,
   obj_off+sz <= stop).  Returns RG_SUCCESS, RG_ERR_INVAL (not a live
   allocation's first byte; *info untouched) or RG_ERR_IO.  Thread safe;
   describes the object as it was when read. */

typedef struct rg_groove_obj_info {
  uint64_t align;
  uint64_t sz;
  uint64_t tag;
  uint64_t owner;
  uint64_t start;
  uint64_t stop;
  uint64_t off;   /* the object's first byte (rg_groove_walk) */
} rg_groove_obj_info_t;

int
rg_groove_obj_info( rg_groove_t const *    join,
                    uint64_t               obj_off,
                    rg_groove_obj_info_t * info );

/* rg_groove_walk calls fn once for every live object, in address order,
   with its description, until fn returns non-zero (which is returned).
   Safe concurrently with allocation and free (read-only); it then shows
   each object as it was when read, and may miss objects allocated or
   include objects freed meanwhile.  Returns RG_SUCCESS, fn's value,
   RG_ERR_INVAL, RG_ERR_CORRUPT (a structure it must follow is damaged)
   or RG_ERR_IO. */

typedef int (*rg_groove_walk_fn_t)( void * ctx, rg_groove_obj_info_t const * obj );

int
rg_groove_walk( rg_groove_t const * join,
                rg_groove_walk_fn_t fn,
                void *              ctx );

/* rg_groove_free_owner frees every live object whose owner id is owner
   (0: any owner) and, with RG_FREE_TAG in flags, whose tag is tag;
   *freed (if not NULL) counts them.  Online: other joins go on, and an
   object freed by someone else meanwhile is skipped.  Returns
   RG_SUCCESS, RG_ERR_INVAL (owner and tag filter both absent: it would
   free everything; pass RG_FREE_ALL to mean that), RG_ERR_PERM or the
   first error of a free. */

#define RG_FREE_TAG (1)
#define RG_FREE_ALL (2)

int
rg_groove_free_owner( rg_groove_t * join,
                      uint64_t      owner,
                      uint64_t      tag,
                      int           flags,
                      uint64_t *    freed );

/* rg_groove_verify checks the whole groove against everything the
   region records: the region header's checksum and reserved bytes, the
   shared state's magic and padding, every volume header (checksum;
   an unknown magic is damage, not skipped), the volume pool chain, every
   superblock of every volume in use (header, check word, reserved bytes,
   bitfield, each allocated slot's header; a free slot under a live
   header is damage), the active slots and inactive stacks (every
   superblock with a free slot in exactly one of them, or held by a live
   record that says so; no full one in them), and the client records.
   rg_groove_volume_verify checks a volume in range, and the whole groove
   with it (its soundness depends on the accounting of all).  Both
   return RG_SUCCESS, RG_ERR_INVAL (bad arguments), RG_ERR_CORRUPT
   (rg_errmsg says what and where), RG_ERR_AGAIN (not damaged, but a
   client died mid-operation: run recovery) or RG_ERR_IO.  The groove
   must be quiescent: no alloc or free may run anywhere meanwhile, and
   other joins' frees in flight completed (rg_groove_quiet); this join's
   own are no damage. */

int
rg_groove_verify( rg_groove_t const * join );

int
rg_groove_volume_verify( rg_groove_t const * join,
                         uint64_t            vol_idx );

/* rg_groove_usage walks every volume of a quiescent groove and counts
   what it holds, in total and per size class.  Returns RG_SUCCESS,
   RG_ERR_INVAL, RG_ERR_CORRUPT or RG_ERR_IO. */

typedef struct rg_groove_class_usage {
  uint64_t superblocks;     /* of this class */
  uint64_t objects;         /* live allocations in them */
  uint64_t object_bytes;
  uint64_t free_slots;
  uint64_t empty;           /* superblocks with every slot free */
} rg_groove_class_usage_t;

typedef struct rg_groove_usage {
  uint64_t volumes_in_use;   /* magic says "holds data" */
  uint64_t volumes_empty;    /* in the pool */
  uint64_t superblocks;      /* in used volumes */
  uint64_t objects;          /* live allocations */
  uint64_t object_bytes;     /* sum of their requested sizes */
  uint64_t free_slots;       /* free slots of the leaf classes 0..30 */
  uint64_t spans;            /* objects of the span size (class-31 runs) */
  rg_groove_class_usage_t cls[ RG_GROOVE_SZC_CNT ];
} rg_groove_usage_t;

int
rg_groove_usage( rg_groove_t const * join,
                 rg_groove_usage_t * usage );

/* rg_groove_clients calls fn for every record of the client table that
   is not free (index, state RG_GROOVE_CLIENT_*, identity, join time,
   superblocks held) until fn returns non-zero (returned).  Read-only,
   safe anytime. */

#define RG_GROOVE_CLIENT_LIVE       (1)
#define RG_GROOVE_CLIENT_RECOVERING (2)

typedef struct rg_groove_client_info {
  uint64_t idx;
  int      state;
  uint32_t id_kind;
  uint64_t id[ 2 ];
  uint64_t joined;   /* seconds since the epoch */
  uint64_t owner;    /* owner id of its allocations */
  uint64_t held;     /* superblocks it holds */
  uint64_t op;       /* the last operation it recorded (RG_OP_* of core/rg_layout.h; 0: none): the one in flight, if any */
} rg_groove_client_info_t;

typedef int (*rg_groove_client_fn_t)( void * ctx, rg_groove_client_info_t const * client );

int
rg_groove_clients( rg_groove_t const *   join,
                   rg_groove_client_fn_t fn,
                   void *                ctx );

/* Recovery.  What a recovery did, and where it reports each step. */

typedef void (*rg_groove_report_fn_t)( void * ctx, char const * line );

typedef struct rg_groove_recovery {
  uint64_t clients;                   /* client records recovered */
  uint64_t slots_freed;               /* interrupted frees completed, interrupted allocations undone */
  uint64_t superblocks_recirculated;  /* put back into circulation */
  uint64_t superblocks_destroyed;     /* empty ones returned to their parent */
  uint64_t volumes_released;
  uint64_t in_doubt;                  /* left for a later pass (rg_groove_recover_client says why) */
  uint64_t objects_dropped;           /* salvage only */
  rg_groove_report_fn_t report;       /* if set, one line per change (or planned change) and per damage */
  void *                report_ctx;
} rg_groove_recovery_t;

/* rg_groove_recover_client recovers the client of record idx, which
   must be gone (a process that died, a connection the server saw
   close): it finishes or undoes the operation the record says was in
   flight, completes its interrupted frees, undoes its interrupted
   allocations, puts the superblocks it held back into circulation (the
   empty ones back to their parents) and frees the record.  The objects
   it allocated stay (they may be shared data; see
   rg_groove_free_owner).  Online: every other client keeps allocating
   and freeing meanwhile.  With RG_RECOVER_IF_DEAD it first checks that
   a process identity (RG_CONN_ID_PID) is gone and returns RG_ERR_AGAIN
   if it is still running; a server identity must be judged by the
   caller.  Returns RG_SUCCESS, RG_ERR_KEY (the record is free or being
   recovered by another), RG_ERR_AGAIN (alive, or a step must be retried
   later: rec->in_doubt says how many), RG_ERR_INVAL, RG_ERR_PERM,
   RG_ERR_CORRUPT or RG_ERR_IO.  rec (may be NULL) counts what it did.
   The join doing it must not be idx's. */

#define RG_RECOVER_IF_DEAD (1)

int
rg_groove_recover_client( rg_groove_t *          join,
                          uint64_t               idx,
                          int                    flags,
                          rg_groove_recovery_t * rec );

/* rg_groove_recover_dead runs rg_groove_recover_client with
   RG_RECOVER_IF_DEAD on every live record with a process identity of
   this host whose process is gone, then on every record left half
   recovered by a recoverer that is gone.  Returns RG_SUCCESS or the
   first error; rec sums. */

int
rg_groove_recover_dead( rg_groove_t *          join,
                        rg_groove_recovery_t * rec );

/* rg_groove_recover repairs a quiescent groove whole: every record left
   by a client that is gone (all of them: no client may be attached), then
   what the volumes, stacks and pool show was left half done.  It first
   analyses without changing anything; damage that no interrupted
   operation explains makes it return RG_ERR_CORRUPT having changed
   nothing, rec->report naming every damaged structure.  flags:
   RG_RECOVER_DRY_RUN reports what it would change and changes nothing;
   RG_RECOVER_SALVAGE repairs damage too, freeing what it cannot account
   for and reporting every object it drops (rec->objects_dropped);
   RG_RECOVER_SERVER_GONE says no client of a memory server is attached
   (the server that knows says so), so records with a server identity
   are recovered too (without it they count as attached: only their
   server can tell).  Returns RG_SUCCESS, RG_ERR_INVAL, RG_ERR_PERM,
   RG_ERR_CORRUPT or RG_ERR_IO.  No alloc or free may run anywhere
   meanwhile. */

#define RG_RECOVER_DRY_RUN     (2)
#define RG_RECOVER_SALVAGE     (4)
#define RG_RECOVER_SERVER_GONE (8)

int
rg_groove_recover( rg_groove_t *          join,
                   int                    flags,
                   rg_groove_recovery_t * rec );

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_GROOVE_H */
