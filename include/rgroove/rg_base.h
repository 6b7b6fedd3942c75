#ifndef RGROOVE_RG_BASE_H
#define RGROOVE_RG_BASE_H

/* rg_base.h: error codes, limits and the global address of an object.

   Every rgroove function that can fail returns one of the RG_ERR_*
   codes below (0 on success).  The codes and their meaning follow the
   groove allocator's (fd_groove_base.h) so that a port of code written
   against it reads the same; RG_ERR_IO and RG_ERR_PERM are rgroove's
   own, for transports that reach memory over a network. */

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RG_SUCCESS      ( 0) /* done */
#define RG_ERR_INVAL    (-1) /* bad input; nothing was changed */
#define RG_ERR_AGAIN    (-2) /* try again later */
#define RG_ERR_CORRUPT  (-3) /* the pool is corrupt; state may have changed */
#define RG_ERR_EMPTY    (-4) /* nothing to take */
#define RG_ERR_FULL     (-5) /* no room: add volumes or free objects */
#define RG_ERR_KEY      (-6) /* not found */
#define RG_ERR_IO       (-7) /* a transport operation failed (see the log) */
#define RG_ERR_PERM     (-8) /* refused: a wrong token, version or limit */

/* rg_strerror returns a static, non-NULL, human readable string for an
   RG_ERR_* code ("unknown" for anything else).  Thread safe. */

char const *
rg_strerror( int err );

/* rg_errmsg returns a message that says what the calling thread's last
   failed rgroove call found wrong and, where it can, what to do about
   it.  Valid until this thread's next rgroove call.  Never NULL. */

char const *
rg_errmsg( void );

/* Paranoid checks (header, superblock and bitfield validation on every
   alloc and free, double-free detection) are on unless the library is
   built with -DRG_PARANOID=0. */

#ifndef RG_PARANOID
#define RG_PARANOID 1
#endif

/* Limits of one memory server's region.  Volumes are 1 GiB
   (RG_VOLUME_FOOTPRINT).  RG_VOLUME_MAX bounds the volumes of one region
   so that every region offset fits in 46 bits: that leaves room for a
   27-bit version in the inactive-stack words (see rg_groove.h) and for
   a 16-bit server id in a global address. */

#define RG_VOLUME_LG_FOOTPRINT (30)
#define RG_VOLUME_FOOTPRINT    (1UL<<RG_VOLUME_LG_FOOTPRINT)
#define RG_VOLUME_MAX          (65535UL)
#define RG_REGION_OFF_BITS     (46)
#define RG_SERVER_MAX          (65535UL)

/* rg_gaddr_t names one object anywhere in a pool: bits 0..45 are the
   offset of the object inside its memory server's region, bits 48..63
   the server's index in the pool.  0 is the null address (offset 0 of
   a region is its header and never an object). */

typedef uint64_t rg_gaddr_t;

#define RG_GADDR_NULL ((rg_gaddr_t)0)

static inline rg_gaddr_t
rg_gaddr( uint64_t server,
          uint64_t off ) {
  return (server<<48) | off;
}

static inline uint64_t rg_gaddr_server( rg_gaddr_t a ) { return a>>48; }
static inline uint64_t rg_gaddr_off   ( rg_gaddr_t a ) { return a & ((1UL<<RG_REGION_OFF_BITS)-1UL); }

/* Who a client is, so that a peer or a memory server can tell when it
   is gone (see rg_groove_join): RG_CONN_ID_PID, {pid, process start
   time} of a process on the region's host; RG_CONN_ID_SERVER, {the
   memory server's boot id, the connection's serial there}. */

#define RG_CONN_ID_PID    (1U)
#define RG_CONN_ID_SERVER (2U)

#define RG_LIKELY(c)   __builtin_expect( !!(c), 1 )
#define RG_UNLIKELY(c) __builtin_expect( !!(c), 0 )

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_BASE_H */
