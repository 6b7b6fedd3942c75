#ifndef RGROOVE_TESTS_RG_CHILD_H
#define RGROOVE_TESTS_RG_CHILD_H

/* Shared by the tests that fork, with or without CUnit. */

#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
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

/* rg_test_wait_word waits until *word (written by children) reaches
   want, while the n children in pid (0: none there) live: 0 when it
   does, else the pid of a child that exited first (say, one that could
   not open the pool), left unreaped for the caller's waitpid.  A wait
   on a child that is gone would spin forever. */

static inline pid_t
rg_test_wait_word( uint64_t const * word,
                   uint64_t         want,
                   pid_t const *    pid,
                   int              n ) {
  while( __atomic_load_n( word, __ATOMIC_ACQUIRE )<want ) {
    for( int i=0; i<n; i++ ) {
      siginfo_t info = { .si_pid = 0 };
      if( pid[i]>0 && !waitid( P_PID, (id_t)pid[i], &info, WEXITED | WNOHANG | WNOWAIT ) && info.si_pid ) return pid[i];
    }
    usleep( 200 );
  }
  return 0;
}

#endif /* RGROOVE_TESTS_RG_CHILD_H */
