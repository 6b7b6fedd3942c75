// rg_mpi.h compiled as C++ and linked against librgroove_mpi (and so
// libmpi): only the link is tested, the program is not run under
// mpirun.  It prints what it would open with.  Built with
// OMPI_SKIP_MPICXX so that mpi.h leaves out Open MPI's C++ bindings
// (libmpi_cxx): a C++ program may use MPI's C API.

#include <rgroove/rg_mpi.h>

#include <cstdio>

int
main( int argc, char ** argv ) {
  rg_mpi_opts_t opts = {};
  opts.servers    = 1;
  opts.timeout_ms = 5000;
  if( argc>1 ) { // only run under mpirun when asked: the test is the link
    MPI_Init( &argc, &argv );
    rg_mpi_t * mpi = nullptr;
    int err = rg_mpi_open( MPI_COMM_WORLD, &opts, &mpi );
    if( !err ) { std::printf( "transport %s\n", rg_mpi_transport( mpi ) ); err = rg_mpi_close( mpi ); }
    MPI_Finalize();
    return err ? 1 : 0;
  }
  std::printf( "linked against librgroove_mpi (run it under mpirun with an argument to open a pool)\n" );
  return 0;
}
