#ifndef RGROOVE_TOOLS_RG_INFO_SCAN_H
#define RGROOVE_TOOLS_RG_INFO_SCAN_H

/* rg_info_scan.h: what rgroove-info reads from a pool.  Everything goes
   through the region's memory operations (rg_mem.h) with a read-only
   join (rg_region_join with id_kind 0): no client record is taken and no
   word of the pool is written, so the same scan works on a mapped pool,
   over loop: and over a network transport, beside working clients.

   A scan reads, in this order: the region header (rg_region_query), the
   client table (rg_groove_clients), the audit's counts (rg_groove_usage,
   retried while clients attached make it see a pool that changes under
   it) and one walk of the live objects (rg_groove_walk), tallied by tag,
   by size class and by owner.  Each is a snapshot of its own moment:
   with clients at work the figures of one part need not add up to
   another's. */

#include "rgroove/rgroove.h"

/* A tally entry: objects and their requested bytes for one key (a tag,
   an owner id). */

typedef struct {
  uint64_t key;
  uint64_t objects;
  uint64_t bytes;
} rg_info_tally_t;

/* A client record as read, with what the walk credited to its owner
   id.  alive: for a process identity of a pool on this host, 1 if the
   process runs, 0 if it is gone; -1 where this host cannot tell (a
   server's connection, or a pool reached over a network). */

typedef struct {
  rg_groove_client_info_t rec;
  int                     alive;
  uint64_t                objects;
  uint64_t                bytes;
} rg_info_client_t;

typedef struct {
  char const *       uri;
  char const *       transport;       /* the transport's name: "shm", "loop", "ucx", ... */
  rg_region_info_t   region;

  rg_info_client_t * client;          /* in record order */
  uint64_t           client_cnt;

  int                usage_err;       /* RG_SUCCESS: usage holds the audit's counts */
  char               usage_msg[ 256 ];/* why not (rg_errmsg of the last try) */
  uint64_t           usage_tries;     /* audits run */
  rg_groove_usage_t  usage;

  uint64_t           objects;         /* the walk's live objects and their requested bytes */
  uint64_t           bytes;
  uint64_t           cls_objects[ RG_GROOVE_SZC_CNT ];
  uint64_t           cls_bytes  [ RG_GROOVE_SZC_CNT ];
  rg_info_tally_t *  tag;             /* most objects first (then most bytes, then lowest tag) */
  uint64_t           tag_cnt;

  rg_mem_stats_t     cost;            /* what the scan cost the transport (zeros when mapped) */
  char               why[ 256 ];      /* why rg_info_scan failed */
} rg_info_t;

/* rg_info_scan opens uri (never creating anything: a name that does not
   exist is RG_ERR_KEY), scans it into *info (zeroed first) and closes
   it.  usage_tries (at least 1) bounds the audits run while each one
   fails with RG_ERR_CORRUPT or RG_ERR_AGAIN: with clients attached that
   is the pool changing under the audit; the last failure is then kept in
   info->usage_err and usage_msg, and the scan still succeeds.  Returns
   RG_SUCCESS, or the error that stopped it with info->why saying why:
   RG_ERR_INVAL (a bad URI, anon (nothing to open by name), not an
   rgroove region, out of memory),
   RG_ERR_KEY (no pool there), RG_ERR_PERM (a server refused us), RG_ERR_IO
   (a transport failure), RG_ERR_CORRUPT (a region header that fails its
   checksum).  info must be released with rg_info_fini whatever is
   returned. */

int
rg_info_scan( char const * uri,
              uint64_t     usage_tries,
              rg_info_t *  info );

void
rg_info_fini( rg_info_t * info );

/* rg_info_attached counts the records of clients that may be at work:
   live ones not known to be gone, and those being recovered.  Nonzero
   means every figure of the scan is a snapshot of a changing pool.
   rg_info_gone counts live records of processes known to be gone. */

uint64_t rg_info_attached( rg_info_t const * info );
uint64_t rg_info_gone    ( rg_info_t const * info );

#endif /* RGROOVE_TOOLS_RG_INFO_SCAN_H */
