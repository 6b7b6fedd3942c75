/* 01-hello: every rank allocates an object in the shared pool, writes a
   greeting into it, and hands its global address to the next rank,
   which reads the greeting one-sidedly and frees the object.

     mpirun -np 4 examples/01-hello/hello */

#include <rgroove/rg_mpi.h>

#include <stdio.h>
#include <string.h>

int
main( int     argc,
      char ** argv ) {
  MPI_Init( &argc, &argv );
  int rank, size;
  MPI_Comm_rank( MPI_COMM_WORLD, &rank );
  MPI_Comm_size( MPI_COMM_WORLD, &size );

  rg_mpi_t * mpi;
  int err = rg_mpi_open( MPI_COMM_WORLD, NULL, &mpi );     /* collective: servers chosen, pool opened */
  if( err ) { MPI_Finalize(); return 1; }
  rg_pool_t * pool = rg_mpi_pool( mpi );

  char greeting[ 64 ];
  snprintf( greeting, sizeof(greeting), "hello from rank %d of %d", rank, size );
  rg_gaddr_t mine, theirs;
  err = rg_pool_alloc( pool, 0UL, sizeof(greeting), (uint64_t)rank, &mine );
  if( !err ) err = rg_pool_write( pool, mine, greeting, sizeof(greeting) );

  /* only the 8-byte address travels over MPI; the bytes stay in the pool */
  MPI_Sendrecv( &mine,   1, MPI_UINT64_T, (rank + 1) % size,        0,
                &theirs, 1, MPI_UINT64_T, (rank + size - 1) % size, 0, rg_mpi_comm( mpi ), MPI_STATUS_IGNORE );

  char got[ 64 ], want[ 64 ];
  snprintf( want, sizeof(want), "hello from rank %d of %d", (rank + size - 1) % size, size );
  if( !err ) err = rg_pool_read( pool, theirs, got, sizeof(got) );
  int ok = !err && !strcmp( got, want );
  printf( "rank %d read \"%s\" from server %lu, offset %#lx%s\n", rank, err ? rg_errmsg() : got,
          rg_gaddr_server( theirs ), rg_gaddr_off( theirs ), ok ? "" : "  <-- WRONG" );
  fflush( stdout );
  if( !err ) err = rg_pool_free( pool, theirs );           /* freed by a rank that did not allocate it */

  uint64_t live;
  int verr = rg_mpi_verify( mpi, &live );
  int bad = !ok || err || verr || live, any;
  MPI_Allreduce( &bad, &any, 1, MPI_INT, MPI_MAX, rg_mpi_comm( mpi ) );
  if( !rank ) printf( "verify: %s, %lu live object(s) left\n%s\n", verr ? "FAILED" : "success", live, any ? "hello: FAILED" : "hello: OK" );
  rg_mpi_close( mpi );
  MPI_Finalize();
  return any;
}
