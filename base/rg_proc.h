#ifndef RGROOVE_BASE_RG_PROC_H
#define RGROOVE_BASE_RG_PROC_H

/* Internal: who this process is, and whether a process is still alive,
   telling a reused pid from the process that had it by its start time. */

#include "rgroove/rg_base.h"

/* rg_proc_identity fills id with {pid, start time in clock ticks since
   boot} of the calling process.  Thread safe. */

void
rg_proc_identity( uint64_t id[ 2 ] );

/* rg_proc_alive: 1 if the process rg_proc_identity described is still
   running (on this host), 0 if it is gone.  Thread safe. */

int
rg_proc_alive( uint64_t const id[ 2 ] );

/* rg_proc_random: 64 random bits (getrandom; the clock and the pid if
   that fails): identities such as a server's boot id, not secrets.
   Thread safe. */

uint64_t
rg_proc_random( void );

/* rg_proc_now_ms: a monotonic clock, in milliseconds.  Thread safe. */

double
rg_proc_now_ms( void );

#endif /* RGROOVE_BASE_RG_PROC_H */
