#ifndef RGROOVE_RG_POOL_H
#define RGROOVE_RG_POOL_H

/* rg_pool.h: the handle most programs use.  A pool is named by a URI:

     anon            anonymous shared memory (this process and the
                     children it forks afterwards)
     shm:/NAME       a POSIX shared-memory object on this host
     file:PATH       a file, mapped shared (survives restarts)
     verbs://HOST[:PORT][?device=NAME[:PORT]&gid=N]
                     a memory server (rgroove-server) reached over RDMA;
                     the admission token comes from RGROOVE_TOKEN or the
                     file RGROOVE_TOKEN_FILE names, the connect timeout
                     from RGROOVE_TIMEOUT_MS (default 5000)
     ucx://HOST[:PORT]
                     a memory server reached over UCX (rg_ucx.h)
     loop:anon, loop:shm:/NAME, loop:file:PATH
                     a local pool through the remote code path, counting
                     and failing requests on demand (rg_loop.h: tests)

   Objects are named by global addresses (rg_base.h); where the pool is
   mapped in this process, rg_pool_laddr gives a pointer too.

   A handle belongs to one thread at a time.  Threads of one process
   share a pool through rg_pool_dup, each with its own handle (over
   verbs, each with its own connection). */

#include "rg_region.h"
#include "rg_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rg_pool rg_pool_t;

/* rg_pool_create makes and formats a new pool at uri able to hold
   volume_max 1 GiB volumes, volume_cnt of them added now (only touched
   pages use memory).  Returns the handle (joined with cgroup hint 0) or
   NULL with *opt_err set: RG_ERR_INVAL (bad URI, counts, or the name
   exists) or RG_ERR_IO; rg_errmsg says which. */

rg_pool_t *
rg_pool_create( char const * uri,
                uint64_t     volume_cnt,
                uint64_t     volume_max,
                int *        opt_err );

/* rg_pool_open attaches to an existing pool (any URI above but anon) with
   concurrency-group hint cgroup_hint (use a different one per process
   or thread for the least contention).  A server that is checking the
   pool (rgroove-server's SIGUSR1) turns connects away meanwhile: open
   tries again until RGROOVE_OPEN_WAIT_MS have passed (default 30000;
   0: not at all).  Returns the handle or NULL with *opt_err set:
   RG_ERR_INVAL (bad URI, not an rgroove pool, a bad
   RGROOVE_OPEN_WAIT_MS), RG_ERR_KEY (no such pool), RG_ERR_PERM (the
   server refused the token or version), RG_ERR_AGAIN (the server still
   turned it away when the wait ended) or RG_ERR_IO (no device, no
   server, a timeout). */

rg_pool_t *
rg_pool_open( char const * uri,
              uint64_t     cgroup_hint,
              int *        opt_err );

/* rg_pool_open_multi opens one pool over uri_cnt servers (any mix of
   the URIs above): server i of the pool is uris[i], and global addresses
   carry that index.  Capacity and atomic throughput add up across
   servers.  Returns the handle or NULL with *opt_err set as for
   rg_pool_open (the first server that failed says why). */

rg_pool_t *
rg_pool_open_multi( char const * const * uris,
                    uint64_t             uri_cnt,
                    uint64_t             cgroup_hint,
                    int *                opt_err );

/* rg_pool_server_cnt: how many servers the pool spans (0 for NULL). */

uint64_t
rg_pool_server_cnt( rg_pool_t const * pool );

/* rg_pool_dup returns a new handle on the same pool for another thread,
   with its own join (cgroup_hint).  The mapping is shared and lives
   until the last handle closes.  NULL with *opt_err on failure (its new
   connections wait as rg_pool_open's do). */

rg_pool_t *
rg_pool_dup( rg_pool_t * pool,
             uint64_t    cgroup_hint,
             int *       opt_err );

/* rg_pool_close releases the handle.  The pool itself stays (see
   rg_pool_unlink).  Returns RG_SUCCESS or RG_ERR_INVAL (NULL). */

int
rg_pool_close( rg_pool_t * pool );

/* rg_pool_unlink removes the named backing of a shm:/ or file: pool.
   Returns RG_SUCCESS, RG_ERR_INVAL or RG_ERR_KEY. */

int
rg_pool_unlink( char const * uri );

/* rg_pool_alloc, rg_pool_free, rg_pool_info: rg_groove_alloc,
   rg_groove_free and rg_groove_obj_info (same errors, same concurrency)
   on global addresses.  rg_pool_alloc picks the server round robin
   (each handle starts at cgroup_hint modulo the server count) and moves
   on to the next when one is full: RG_ERR_FULL means every server is.
   rg_pool_alloc_on allocates on the given server (a caller's hint or an
   explicit choice; RG_ERR_INVAL if there is no such server).  A free or
   info of a null address, or of one naming no server of this pool, is
   RG_ERR_INVAL; frees go to the server the address names. */

int
rg_pool_alloc( rg_pool_t *  pool,
               uint64_t     align,
               uint64_t     sz,
               uint64_t     tag,
               rg_gaddr_t * addr );

int
rg_pool_alloc_on( rg_pool_t *  pool,
                  uint64_t     server,
                  uint64_t     align,
                  uint64_t     sz,
                  uint64_t     tag,
                  rg_gaddr_t * addr );

int
rg_pool_free( rg_pool_t * pool,
              rg_gaddr_t  addr );

int
rg_pool_info( rg_pool_t const *      pool,
              rg_gaddr_t             addr,
              rg_groove_obj_info_t * info );

/* rg_pool_laddr returns where addr is mapped in this process, or NULL
   if the pool is not mapped here or addr is outside it.  Pure. */

void *
rg_pool_laddr( rg_pool_t const * pool,
               rg_gaddr_t        addr );

/* rg_pool_read / rg_pool_write copy sz bytes between buf and the pool
   at addr.  Returns RG_SUCCESS, RG_ERR_INVAL (range outside the
   region) or RG_ERR_IO. */

int
rg_pool_read( rg_pool_t const * pool,
              rg_gaddr_t        addr,
              void *            buf,
              uint64_t          sz );

int
rg_pool_write( rg_pool_t const * pool,
               rg_gaddr_t        addr,
               void const *      buf,
               uint64_t          sz );

/* rg_pool_cas / rg_pool_faa: a 64-bit compare-and-swap or fetch-and-add
   on the 8-byte aligned word at addr (inside an object of the caller's:
   never on allocator metadata), atomic against every other client's
   rg_pool_cas and rg_pool_faa on that word.  *old gets the value found.
   Returns RG_SUCCESS, RG_ERR_INVAL (misaligned, or outside the pool) or
   RG_ERR_IO.  One remote atomic over verbs. */

int
rg_pool_cas( rg_pool_t const * pool,
             rg_gaddr_t        addr,
             uint64_t          cmp,
             uint64_t          swp,
             uint64_t *        old );

int
rg_pool_faa( rg_pool_t const * pool,
             rg_gaddr_t        addr,
             uint64_t          add,
             uint64_t *        old );

/* rg_pool_flush runs rg_groove_flush on the handle's join of every
   server: the superblocks it holds go back into circulation, where other
   handles can use their free slots, and every write has landed when it
   returns (a server may check the pool next).  Returns RG_SUCCESS, RG_ERR_INVAL
   (pool NULL), RG_ERR_IO or RG_ERR_CORRUPT. */

int
rg_pool_flush( rg_pool_t * pool );

/* rg_pool_verify runs rg_groove_verify on every server; rg_pool_usage
   sums rg_groove_usage over the servers.  The pool must be quiescent. */

int
rg_pool_verify( rg_pool_t const * pool );

int
rg_pool_usage( rg_pool_t const *   pool,
               rg_groove_usage_t * usage );

/* rg_pool_stats copies the handle's transport counters (requests and
   round trips; all zero for shared memory, where operations are CPU
   instructions).  Returns RG_SUCCESS or RG_ERR_INVAL. */

int
rg_pool_stats( rg_pool_t const * pool,
               rg_mem_stats_t *  stats );

/* rg_pool_groove returns the handle's groove join on its first server
   (for the rg_groove_* calls).  Valid until rg_pool_close. */

rg_groove_t *
rg_pool_groove( rg_pool_t * pool );

/* rg_pool_trim runs rg_groove_trim on every server (*trimmed, if not
   NULL, sums the superblocks destroyed).  rg_pool_recover_dead runs
   rg_groove_recover_dead on every server (clients of this host that
   died); rg_pool_recover_client recovers record idx of server
   (rg_groove_recover_client, flags as there).  rg_pool_recover runs
   rg_groove_recover (quiescent, whole pool; flags RG_RECOVER_*) on every
   server.  Each returns RG_SUCCESS or the first error; rec (may be NULL)
   sums what was done and carries the report callback. */

int rg_pool_trim          ( rg_pool_t * pool, uint64_t * trimmed );
int rg_pool_recover_dead  ( rg_pool_t * pool, rg_groove_recovery_t * rec );
int rg_pool_recover_client( rg_pool_t * pool, uint64_t server, uint64_t idx, int flags, rg_groove_recovery_t * rec );
int rg_pool_recover       ( rg_pool_t * pool, int flags, rg_groove_recovery_t * rec );

/* rg_pool_owner: the owner id this handle's allocations on server carry
   (0 if there is no such server).  rg_pool_free_owner frees, on every
   server, every live object of owner (0: any) and, with RG_FREE_TAG,
   tag (rg_groove_free_owner); *freed sums.  rg_pool_walk calls fn for
   every live object of every server with its global address in
   obj->off; rg_pool_clients calls fn for every record of server's
   client table.  Online, read-only (but free_owner). */

typedef int (*rg_pool_walk_fn_t)( void * ctx, uint64_t server, rg_groove_obj_info_t const * obj );

uint64_t rg_pool_owner     ( rg_pool_t const * pool, uint64_t server );
int      rg_pool_free_owner( rg_pool_t * pool, uint64_t owner, uint64_t tag, int flags, uint64_t * freed );
int      rg_pool_walk      ( rg_pool_t const * pool, rg_pool_walk_fn_t fn, void * ctx );
int      rg_pool_clients   ( rg_pool_t const * pool, uint64_t server, rg_groove_client_fn_t fn, void * ctx );

/* Batches.  rg_pool_alloc_n allocates up to n objects (one align, sz
   and tag) on one server, round robin like rg_pool_alloc, claiming as
   many slots per atomic as its held superblocks allow (rg_groove_alloc_n);
   *got counts them, below n only with the error returned.  rg_pool_free_n
   frees n addresses, per server one rg_groove_free_n (each superblock's
   bits set with one atomic); err[i] (err may be NULL) gets each one's
   result; returns RG_SUCCESS if all succeeded, else the first error. */

int rg_pool_alloc_n( rg_pool_t * pool, uint64_t align, uint64_t sz, uint64_t tag, uint64_t n, rg_gaddr_t * addr, uint64_t * got );
int rg_pool_free_n ( rg_pool_t * pool, uint64_t n, rg_gaddr_t const * addr, int * err );

/* Non-blocking calls (OpenSHMEM's _nbi and quiet).  Each posts its
   operation and returns; rg_pool_quiet waits for everything the handle
   posted and reports the first failure since the last quiet, naming the
   call (rg_errmsg).  Until quiet returns, a read's buffer is not filled
   and a write's source may be reused (it is copied when posted); a
   later read of what a write_nbi wrote sees it (the operations of one
   handle to one server are done in order), but completion, and so the
   data of a read_nbi, is only certain after quiet.  A free_nbi's object
   must not be used afterwards; an address outside the pool's volumes
   returns the error at once, any other bad free (not a live object's
   first byte, a double free) is reported by quiet (rg_groove_free_nbi).
   On mapped memory every call completes before it returns. */

int rg_pool_free_nbi ( rg_pool_t * pool, rg_gaddr_t addr );
int rg_pool_write_nbi( rg_pool_t * pool, rg_gaddr_t addr, void const * buf, uint64_t sz );
int rg_pool_read_nbi ( rg_pool_t * pool, rg_gaddr_t addr, void * buf, uint64_t sz );
int rg_pool_quiet    ( rg_pool_t * pool );

/* rg_pool_conn returns the handle's connection to server (its
   transport, memory operations and identity), NULL if there is no such
   server.  Valid until rg_pool_close. */

rg_conn_t *
rg_pool_conn( rg_pool_t * pool,
              uint64_t    server );

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_POOL_H */
