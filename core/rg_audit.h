#ifndef RGROOVE_CORE_RG_AUDIT_H
#define RGROOVE_CORE_RG_AUDIT_H

/* Internal: the audit of a quiescent groove, shared by verify, usage and
   whole-pool recovery (rg_audit.c).  It reads everything the region
   holds (header, shared state, client table, volume headers, the pool
   chain, every superblock tree, every container) and sorts what does
   not add up into damage, which no interrupted operation explains, and
   leftovers, which clients that are gone explain and recovery repairs
   (doc/architecture.md, "verify and recovery"). */

#include "rg_groove_private.h"

/* What the audit knows of one superblock. */

typedef struct rg_audit_sb {
  uint64_t off;      /* 0: an empty entry of the table */
  uint64_t free;     /* its free word */
  uint32_t c;
  uint32_t in;       /* container entries naming it */
  uint32_t named_by; /* record index + 1 whose held words or op name it */
  uint32_t pad;
} rg_audit_sb_t;

/* A repair a leftover calls for. */

#define RG_FIX_SB_OUT    (1) /* an unmarked superblock with free slots in no container: put it back */
#define RG_FIX_VOL_OUT   (2) /* an empty volume missing from the pool: put it back */
#define RG_FIX_VOL_BARE  (3) /* a volume in use whose top superblock was never made: give it back */
#define RG_FIX_FREE      (4) /* a claimed slot under a dead header of a client that is gone: finish the free */
#define RG_FIX_CLIENT    (5) /* a record of a client that is gone */
#define RG_FIX_DROP      (6) /* salvage: a damaged superblock (a, its class b, its slot c in its parent): free that slot */
#define RG_FIX_MAGIC     (7) /* salvage: a volume whose header is damaged (reported; left to an operator) */
#define RG_FIX_DROP_SLOT (8) /* salvage: slot c of a class-b superblock, at a, has a bad header: free it */

typedef struct rg_audit_fix {
  int      kind;
  uint64_t a, b, c; /* what: an offset, a class, bits... */
} rg_audit_fix_t;

typedef struct rg_audit {
  rg_groove_t *          g;
  rg_groove_recovery_t * rec;      /* reports (may be NULL) */
  rg_groove_usage_t *    usage;    /* counts (may be NULL) */
  int                    want_fix; /* collect fixes */
  int                    salvage;  /* damage becomes a fix too */
  int                    server_gone; /* records of a memory server's clients are gone */

  rg_audit_sb_t *        tab;
  uint64_t               tab_max, tab_cnt;
  rg_client_rec_t *      recs;     /* the client table as read */
  uint8_t *              alive;    /* per record: a live client (attached) */
  rg_audit_fix_t *       fix;
  uint64_t               fix_cnt, fix_max;

  uint64_t               damage, leftovers;
  char                   first[ 256 ]; /* the first damage, for rg_errmsg */
} rg_audit_t;

/* rg_audit_run audits g into a (zeroed but for the inputs above).
   Returns RG_SUCCESS (the counts say what was found), RG_ERR_IO, or
   RG_ERR_INVAL (out of memory).  rg_audit_fini frees what it kept. */

int  rg_audit_run ( rg_audit_t * a );
void rg_audit_fini( rg_audit_t * a );

#endif /* RGROOVE_CORE_RG_AUDIT_H */
