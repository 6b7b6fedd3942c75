/* hang: rg_mpi_open, rg_mpi_verify and rg_mpi_close with one rank that
   hangs at a chosen collective, to show that the others give up after
   the timeout instead of waiting forever.

     RG_HANG_RANK=R RG_HANG_AT=K mpirun -np N hang TIMEOUT_MS

   Rank R stops at the K-th collective that librgroove_mpi starts (it
   sleeps instead, as a rank stuck in a loop would).  The collectives
   are caught through MPI's profiling interface: this program defines
   the MPI_ entry points librgroove_mpi calls and passes them on to the
   PMPI_ ones, the injection a real job cannot make on demand.  Without
   RG_HANG_AT nothing hangs and rank 0 prints how many collectives each
   call started.  A rank whose call fails prints why and ends the job
   with MPI_Abort (MPI_Finalize could wait for the hung rank). */

#include <rgroove/rg_mpi.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int hang_rank = -1, hang_at = -1, started, me;

/* step counts one collective start and hangs there when asked */

static void
step( char const * name ) {
  started++;
  if( me!=hang_rank || started!=hang_at ) return;
  printf( "rank %d: hanging at collective %d (%s)\n", me, started, name );
  fflush( stdout );
  sleep( 120 ); /* the job is aborted long before */
  _exit( 3 );
}

int MPI_Comm_idup( MPI_Comm c, MPI_Comm * n, MPI_Request * r ) { step( "MPI_Comm_idup" ); return PMPI_Comm_idup( c, n, r ); }
int MPI_Ibarrier( MPI_Comm c, MPI_Request * r ) { step( "MPI_Ibarrier" ); return PMPI_Ibarrier( c, r ); }
int MPI_Ibcast( void * b, int n, MPI_Datatype t, int root, MPI_Comm c, MPI_Request * r ) {
  step( "MPI_Ibcast" ); return PMPI_Ibcast( b, n, t, root, c, r );
}
int MPI_Iallreduce( void const * i, void * o, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request * r ) {
  step( "MPI_Iallreduce" ); return PMPI_Iallreduce( i, o, n, t, op, c, r );
}
int MPI_Iscan( void const * i, void * o, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request * r ) {
  step( "MPI_Iscan" ); return PMPI_Iscan( i, o, n, t, op, c, r );
}
int MPI_Iallgather( void const * i, int ni, MPI_Datatype ti, void * o, int no, MPI_Datatype to, MPI_Comm c, MPI_Request * r ) {
  step( "MPI_Iallgather" ); return PMPI_Iallgather( i, ni, ti, o, no, to, c, r );
}

static void
give_up( char const * call,
         int          err ) {
  fprintf( stderr, "hang rank %d: %s: %s\n", me, call, rg_strerror( err ) );
  MPI_Abort( MPI_COMM_WORLD, 1 );
}

int
main( int     argc,
      char ** argv ) {
  MPI_Init( &argc, &argv );
  MPI_Comm_rank( MPI_COMM_WORLD, &me );
  if( getenv( "RG_HANG_RANK" ) ) hang_rank = atoi( getenv( "RG_HANG_RANK" ) );
  if( getenv( "RG_HANG_AT"   ) ) hang_at   = atoi( getenv( "RG_HANG_AT" ) );
  rg_mpi_opts_t o = { .servers = 1, .timeout_ms = argc>1 ? atoi( argv[1] ) : 1000, .quiet = 1 };
  rg_mpi_t * mpi;
  int err = rg_mpi_open( MPI_COMM_WORLD, &o, &mpi );
  if( err ) give_up( "rg_mpi_open", err );
  int in_open = started;
  uint64_t live;
  if( (err = rg_mpi_verify( mpi, &live )) ) give_up( "rg_mpi_verify", err );
  int in_verify = started - in_open;
  if( (err = rg_mpi_close( mpi )) ) give_up( "rg_mpi_close", err );
  if( !me ) printf( "collectives started: rg_mpi_open %d, rg_mpi_verify %d, rg_mpi_close %d\n", in_open, in_verify, started - in_open - in_verify );
  MPI_Finalize();
  return 0;
}
