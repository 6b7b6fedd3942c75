#ifndef RGROOVE_RG_LOOP_H
#define RGROOVE_RG_LOOP_H

/* rg_loop.h: the loop transport.  loop:anon, loop:shm:/NAME and
   loop:file:PATH open a local pool but hand the allocator an rg_mem_t
   without a mapping (base NULL, RG_MEM_CAP_ROUND_TRIP), so every
   operation takes the remote code path through the ops table, as over
   verbs.  It counts requests and round trips by the same rule as the
   verbs transport (rg_mem.h), so the figures of a workload are the same
   over both, and it fails requests on demand:

   - rg_loop_fault, or RGROOVE_FAULT=N[:after] in the environment (the
     N-th request of every loop connection opened), makes one request
     fail with RG_ERR_IO.  RG_LOOP_FAULT_BEFORE: the request is not
     executed (lost on the way); RG_LOOP_FAULT_AFTER: it is executed and
     its reply is lost.  Either way the connection is then broken, like
     a queue pair in error: every later request fails too.
   - Posted requests (rg_mem_post) execute in order when posted; their
     read data and atomic results are delivered by the wait, never
     before, as on a network.
   - rg_loop_trace records what each request is, so that a test knows
     which of them a failure can leave memory changed by. */

#include "rg_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RG_LOOP_FAULT_BEFORE (0)
#define RG_LOOP_FAULT_AFTER  (1)

/* rg_loop_fault arms conn (a loop connection) so that its nth request
   from now fails (1: the next one; 0 disarms) in the given mode.
   Returns RG_SUCCESS or RG_ERR_INVAL (not a loop connection, bad mode). */

int
rg_loop_fault( rg_conn_t * conn,
               uint64_t    nth,
               int         mode );

/* rg_loop_trace makes conn record what each request it issues from now
   on is: kind[i] gets the RG_MEM_OP_* code of the request that
   rg_loop_fault( conn, i+1, mode ) would have failed (0 for a fence), for
   i below max; later requests are not recorded.  A test tells from it
   which failures can leave memory in distinct states (only writes and
   atomics change it).  kind NULL stops recording.  Returns RG_SUCCESS or
   RG_ERR_INVAL (not a loop connection, max 0 with kind set).  kind must
   outlive the recording. */

int
rg_loop_trace( rg_conn_t * conn,
               uint8_t *   kind,
               uint64_t    max );

/* rg_loop_requests: requests conn has issued so far (0 if conn is not
   a loop connection).  rg_loop_broken: 1 once a request has failed. */

uint64_t rg_loop_requests( rg_conn_t const * conn );
int      rg_loop_broken  ( rg_conn_t const * conn );

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_LOOP_H */
