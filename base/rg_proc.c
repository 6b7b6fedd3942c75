/* Process identity and liveness for clients on one host. */

#include "rg_proc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* rg_proc_stat reads the state (field 3) and start time (field 22) of
   /proc/PID/stat, after the command name in parentheses (which may
   itself hold spaces).  Returns 0 if unreadable. */

static int
rg_proc_stat( uint64_t   pid,
              char *     state,
              uint64_t * start ) {
  char path[ 64 ], buf[ 1024 ];
  snprintf( path, sizeof(path), "/proc/%lu/stat", pid );
  FILE * f = fopen( path, "r" );
  if( !f ) return 0;
  size_t n = fread( buf, 1, sizeof(buf)-1UL, f );
  fclose( f );
  buf[n] = '\0';
  char * p = strrchr( buf, ')' );
  unsigned long long st = 0ULL;
  /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     utime stime cutime cstime priority nice threads itrealvalue starttime */
  if( !p || sscanf( p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", state, &st )!=2 ) return 0;
  *start = (uint64_t)st;
  return 1;
}

void
rg_proc_identity( uint64_t id[ 2 ] ) {
  char state;
  id[0] = (uint64_t)getpid();
  if( !rg_proc_stat( id[0], &state, &id[1] ) ) id[1] = 0UL;
}

int
rg_proc_alive( uint64_t const id[ 2 ] ) {
  if( !id[0] || id[0]>(uint64_t)INT32_MAX ) return 0;
  if( kill( (pid_t)id[0], 0 ) && errno==ESRCH ) return 0;
  char     state;
  uint64_t start;
  if( !rg_proc_stat( id[0], &state, &start ) ) return 1; /* no /proc: trust kill() */
  return start==id[1] && state!='Z' && state!='X';      /* a zombie is dead; another start time is another process */
}

uint64_t
rg_proc_random( void ) {
  uint64_t v;
  if( getrandom( &v, sizeof(v), 0 )!=(ssize_t)sizeof(v) ) v = (uint64_t)time( NULL ) ^ ((uint64_t)getpid()<<32);
  return v;
}

double
rg_proc_now_ms( void ) {
  struct timespec ts;
  clock_gettime( CLOCK_MONOTONIC, &ts );
  return 1e3*(double)ts.tv_sec + 1e-6*(double)ts.tv_nsec;
}
