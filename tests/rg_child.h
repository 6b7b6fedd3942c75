#ifndef RGROOVE_TESTS_RG_CHILD_H
#define RGROOVE_TESTS_RG_CHILD_H

/* Shared by the tests that fork, with or without CUnit. */

#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

/* rg_test_fork is fork() for a test's child process, which is killed
   when the test process ends, however it ends (a failed fatal
   assertion, a timeout, a signal): a child that loops until told to
   stop, or waits to be killed, never outlives the test spinning and
   holding its pool.  The child exits at once if the test process is
   already gone. */

static inline pid_t
rg_test_fork( void ) {
  pid_t parent = getpid(), pid = fork();
  if( !pid && (prctl( PR_SET_PDEATHSIG, SIGKILL ) || getppid()!=parent) ) _exit( 99 );
  return pid;
}

#endif /* RGROOVE_TESTS_RG_CHILD_H */
