#ifndef RGROOVE_LAUNCHER_RG_RECOVERER_H
#define RGROOVE_LAUNCHER_RG_RECOVERER_H

/* rg_recoverer: a memory server's online recovery of the clients that
   disconnect (doc/architecture.md, "online recovery").  A thread of the
   server works in the clients' atomic domain: where that is an
   adapter's (verbs: never the server's CPU while clients are attached)
   it holds a client connection of its own to the server, through the
   same transport as every client; where the server's CPU carries out
   every client's atomic (ucx) it joins the region mapped here, and the
   process runs no second UCX worker.  For each client gone it finds the
   record of that connection (identity {boot id, serial}) and recovers it
   while the others go on, logging what it did and how long it took. */

#include "rgroove/rgroove.h"

typedef struct rg_recoverer rg_recoverer_t;

/* rg_recoverer_new starts the thread, which joins mem (the region
   mapped here, when the server's transport works in the CPU's atomic
   domain), else connects to uri (the server's own, with the server's
   token from the environment) while the caller keeps the server
   polling.  boot is the server's boot id (rg_serve_cfg_t).  log (thread
   safe) gets one line per recovery.  Returns NULL with rg_errmsg set if
   the thread cannot start; a connection that fails is logged and leaves
   recovery to the quiet checks. */

rg_recoverer_t *
rg_recoverer_new( char const *     uri,
                  rg_mem_t const * mem,
                  uint64_t         boot,
                  rg_log_fn_t      log,
                  void *           log_ctx );

/* rg_recoverer_gone queues the client of connection serial for
   recovery (its own connection's serial is ignored).  Never blocks on
   the recovery itself.  Called from the server's event callback. */

void
rg_recoverer_gone( rg_recoverer_t * r,
                   uint64_t         serial );

/* rg_recoverer_serial: the serial of its own connection, 0 until it is
   connected. */

uint64_t
rg_recoverer_serial( rg_recoverer_t * r );

/* rg_recoverer_idle: nothing queued or being recovered. */

int
rg_recoverer_idle( rg_recoverer_t * r );

/* Deletion in three steps, as the server must keep polling while the
   thread finishes what is queued, leaves the pool and closes its
   connection: rg_recoverer_delete_begin asks it to, delete_done says
   when it has, delete_end then ends the thread and frees r.  NULL is a
   no-op (done at once). */

void
rg_recoverer_delete_begin( rg_recoverer_t * r );

int
rg_recoverer_delete_done( rg_recoverer_t * r );

void
rg_recoverer_delete_end( rg_recoverer_t * r );

#endif /* RGROOVE_LAUNCHER_RG_RECOVERER_H */
