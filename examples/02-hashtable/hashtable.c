/* 02-hashtable: a distributed open-addressing hash table whose buckets
   and entries live in the pool.  Rank 0 allocates the bucket array; every
   rank inserts its keys by allocating an entry object and claiming an
   empty bucket with a compare-and-swap on pool memory; then every rank
   looks up the keys another rank inserted, reading buckets and entries
   one-sidedly.  Finally the owners free their entries.

     mpirun -np 4 examples/02-hashtable/hashtable [keys-per-rank] */

#include <rgroove/rg_mpi.h>

#include <stdio.h>
#include <stdlib.h>

typedef struct { uint64_t key, value, owner; } entry_t;

static uint64_t
hash( uint64_t k ) {
  k ^= k>>33; k *= 0xff51afd7ed558ccdUL; k ^= k>>33;
  return k;
}

static uint64_t value_of( uint64_t key ) { return key*key + 7UL; }

/* insert claims the first empty bucket from hash(key) on with a CAS. */

static int
insert( rg_pool_t * pool, rg_gaddr_t table, uint64_t buckets, rg_gaddr_t entry, uint64_t key, uint64_t * probes ) {
  for( uint64_t i=0UL; i<buckets; i++ ) {
    rg_gaddr_t bucket = table + 8UL*((hash( key ) + i) % buckets), old;
    int err = rg_pool_cas( pool, bucket, 0UL, entry, &old );
    (*probes)++;
    if( err || !old ) return err;
  }
  return RG_ERR_FULL;
}

static int
lookup( rg_pool_t * pool, rg_gaddr_t table, uint64_t buckets, uint64_t key, entry_t * out ) {
  for( uint64_t i=0UL; i<buckets; i++ ) {
    rg_gaddr_t bucket = table + 8UL*((hash( key ) + i) % buckets), e;
    int err = rg_pool_read( pool, bucket, &e, 8UL );
    if( err ) return err;
    if( !e ) return RG_ERR_KEY;
    if( (err = rg_pool_read( pool, e, out, sizeof(*out) )) ) return err;
    if( out->key==key ) return RG_SUCCESS;
  }
  return RG_ERR_KEY;
}

int
main( int     argc,
      char ** argv ) {
  MPI_Init( &argc, &argv );
  int rank, size;
  MPI_Comm_rank( MPI_COMM_WORLD, &rank );
  MPI_Comm_size( MPI_COMM_WORLD, &size );
  uint64_t keys = argc>1 ? strtoul( argv[1], NULL, 0 ) : 500UL, buckets = 2UL*keys*(uint64_t)size;

  rg_mpi_t * mpi;
  if( rg_mpi_open( MPI_COMM_WORLD, NULL, &mpi ) ) { MPI_Finalize(); return 1; }
  rg_pool_t * pool = rg_mpi_pool( mpi );
  MPI_Comm comm = rg_mpi_comm( mpi );

  rg_gaddr_t table = RG_GADDR_NULL;
  int err = 0;
  if( !rank ) { /* the buckets: one zeroed object on server 0 */
    uint64_t * zero = calloc( buckets, 8UL );
    err = rg_pool_alloc_on( pool, 0UL, 64UL, 8UL*buckets, 0UL, &table );
    if( !err ) err = rg_pool_write( pool, table, zero, 8UL*buckets );
    free( zero );
  }
  MPI_Bcast( &table, 1, MPI_UINT64_T, 0, comm );
  if( !table ) { MPI_Finalize(); return 1; }

  rg_gaddr_t * mine = calloc( keys, sizeof(rg_gaddr_t) );
  uint64_t probes = 0UL;
  for( uint64_t i=0UL; i<keys && !err; i++ ) {
    uint64_t key = (uint64_t)rank*keys + i + 1UL;
    entry_t  e   = { key, value_of( key ), (uint64_t)rank };
    err = rg_pool_alloc( pool, 0UL, sizeof(e), key, &mine[i] );          /* round robin over the servers */
    if( !err ) err = rg_pool_write( pool, mine[i], &e, sizeof(e) );
    if( !err ) err = insert( pool, table, buckets, mine[i], key, &probes );
  }
  MPI_Barrier( comm );

  int peer = (rank + 1) % size;                                            /* look up another rank's keys */
  uint64_t found = 0UL, wrong = 0UL;
  for( uint64_t i=0UL; i<keys && !err; i++ ) {
    uint64_t key = (uint64_t)peer*keys + i + 1UL;
    entry_t  e;
    int lerr = lookup( pool, table, buckets, key, &e );
    if( !lerr && e.value==value_of( key ) && e.owner==(uint64_t)peer ) found++; else wrong++;
  }
  printf( "rank %d: inserted %lu keys (%.2f probes each), found %lu of rank %d's keys, %lu wrong%s\n",
          rank, keys, (double)probes/(double)keys, found, peer, wrong, err ? " (an error stopped it)" : "" );
  fflush( stdout );
  MPI_Barrier( comm );

  for( uint64_t i=0UL; i<keys; i++ ) if( mine[i] && rg_pool_free( pool, mine[i] ) ) err = 1;
  if( !rank && rg_pool_free( pool, table ) ) err = 1;
  free( mine );
  uint64_t live;
  int verr = rg_mpi_verify( mpi, &live );
  int bad = err || wrong || found!=keys || verr || live, any;
  MPI_Allreduce( &bad, &any, 1, MPI_INT, MPI_MAX, comm );
  if( !rank ) printf( "verify: %s, %lu live object(s) left\n%s\n", verr ? "FAILED" : "success", live, any ? "hashtable: FAILED" : "hashtable: OK" );
  rg_mpi_close( mpi );
  MPI_Finalize();
  return any;
}
