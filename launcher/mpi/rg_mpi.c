/* Collective open and close of a pool under MPI (see rg_mpi.h). */

#include "config.h"
#include "rgroove/rg_mpi.h"
#include "rgroove/rg_shm.h"
#include "rgroove/rg_verbs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RG_MPI_URI_MAX (128)

struct rg_mpi {
  MPI_Comm            comm;
  int                 rank, size, timeout_ms;
  int                 server_idx, server_cnt;
  char                transport[ 8 ];
  char                uri[ RG_MPI_URI_MAX ];   /* this rank's server URI */
  rg_shm_t *          shm;                     /* a server's region */
  rg_pool_t *         pool;
#ifdef RG_HAVE_VERBS
  rg_verbs_server_t * server;
  pthread_t           progress;
  volatile int        stop;
#endif
};

/* rg_mpi_wait completes a nonblocking collective within the timeout. */

static int
rg_mpi_wait( rg_mpi_t *   m,
             MPI_Request * req,
             char const *  what ) {
  struct timespec t0, t;
  clock_gettime( CLOCK_MONOTONIC, &t0 );
  for( int done=0;; ) {
    MPI_Test( req, &done, MPI_STATUS_IGNORE );
    if( done ) return RG_SUCCESS;
    clock_gettime( CLOCK_MONOTONIC, &t );
    if( (t.tv_sec - t0.tv_sec)*1000L + (t.tv_nsec - t0.tv_nsec)/1000000L > m->timeout_ms ) {
      fprintf( stderr, "rgroove rank %d: gave up after %d ms waiting for the other ranks (%s): a rank exited or hangs\n",
               m->rank, m->timeout_ms, what );
      return RG_ERR_IO;
    }
    usleep( 200 );
  }
}

int
rg_mpi_barrier( rg_mpi_t *   m,
                char const * what ) {
  MPI_Request req;
  MPI_Ibarrier( m->comm, &req );
  return rg_mpi_wait( m, &req, what );
}

/* rg_mpi_agree: every rank learns the worst (lowest) error of all. */

static int
rg_mpi_agree( rg_mpi_t *   m,
              int          err,
              char const * what ) {
  int worst = err;
  MPI_Request req;
  MPI_Iallreduce( &err, &worst, 1, MPI_INT, MPI_MIN, m->comm, &req );
  int werr = rg_mpi_wait( m, &req, what );
  return werr ? werr : worst;
}

#ifdef RG_HAVE_VERBS
static void *
rg_mpi_progress( void * arg ) {
  rg_mpi_t * m = arg;
  while( !m->stop ) if( rg_verbs_server_poll( m->server, 100 ) ) break;
  return NULL;
}

static void
rg_mpi_log( void *       ctx,
            char const * line ) {
  (void)ctx;
  if( getenv( "RGROOVE_SERVER_LOG" ) ) fprintf( stderr, "rgroove server: %s\n", line );
}
#endif

/* rg_mpi_serve: this rank becomes server idx: make the region and a URI
   others can open. */

static int
rg_mpi_serve( rg_mpi_t * m,
              uint64_t   volumes,
              uint64_t   job ) {
  uint64_t size = rg_region_footprint( volumes );
  int err;
  if( !strcmp( m->transport, "shm" ) ) {
    snprintf( m->uri, sizeof(m->uri), "shm:/rgroove-%lx-%d", job, m->server_idx );
    m->shm = rg_shm_create( RG_SHM_POSIX, m->uri + 4, size, &err );
  } else {
    m->shm = rg_shm_create( RG_SHM_ANON, NULL, size, &err );
  }
  if( !m->shm ) return err;
  if( (err = rg_region_new( rg_shm_mem( m->shm ), volumes, volumes )) ) return err;
#ifdef RG_HAVE_VERBS
  if( !strcmp( m->transport, "verbs" ) ) {
    char addr[ 64 ];
    uint8_t token[ RG_VERBS_TOKEN_MAX ];
    uint64_t token_sz;
    if( (err = rg_verbs_probe( addr, sizeof(addr) )) ) return err;
    if( !addr[0] ) {
      fprintf( stderr, "rgroove rank %d: no IPv4 address on the RDMA device's interface\n", m->rank );
      return RG_ERR_IO;
    }
    if( (err = rg_token_load( token, sizeof(token), &token_sz )) ) return err;
    m->server = rg_verbs_server_new( rg_shm_mem( m->shm ), addr, 0, token, token_sz, rg_mpi_log, NULL, &err );
    if( !m->server ) return err;
    snprintf( m->uri, sizeof(m->uri), "verbs://%s:%u", addr, rg_verbs_server_port( m->server ) );
    if( pthread_create( &m->progress, NULL, rg_mpi_progress, m ) ) return RG_ERR_IO;
  }
#endif
  return RG_SUCCESS;
}

/* rg_mpi_choose_transport: collective; fills m->transport. */

static int
rg_mpi_choose_transport( rg_mpi_t *   m,
                         char const * forced ) {
  int have_device = 0;
#ifdef RG_HAVE_VERBS
  have_device = !rg_verbs_probe( NULL, 0UL );
#endif
  MPI_Comm node;
  int node_size, all_device;
  MPI_Comm_split_type( m->comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node );
  MPI_Comm_size( node, &node_size );
  MPI_Comm_free( &node );
  int one_host = node_size==m->size;
  MPI_Allreduce( &have_device, &all_device, 1, MPI_INT, MPI_MIN, m->comm );
  MPI_Allreduce( MPI_IN_PLACE, &one_host, 1, MPI_INT, MPI_MIN, m->comm );

  if( forced && strcmp( forced, "auto" ) ) {
    if( strcmp( forced, "shm" ) && strcmp( forced, "verbs" ) ) {
      if( !m->rank ) fprintf( stderr, "rgroove: unknown transport '%s': use auto, shm or verbs\n", forced );
      return RG_ERR_INVAL;
    }
    if( !strcmp( forced, "verbs" ) && !all_device ) {
      fprintf( stderr, "rgroove rank %d: the verbs transport is forced but %s\n", m->rank,
               have_device ? "another rank has no usable RDMA device" : "this rank has no usable RDMA device (ibv_devices)" );
      return RG_ERR_IO;
    }
    if( !strcmp( forced, "shm" ) && !one_host ) {
      if( !m->rank ) fprintf( stderr, "rgroove: the shm transport is forced but the ranks run on several hosts\n" );
      return RG_ERR_INVAL;
    }
    snprintf( m->transport, sizeof(m->transport), "%s", forced );
  } else if( all_device ) {
    snprintf( m->transport, sizeof(m->transport), "verbs" );
  } else if( one_host ) {
    snprintf( m->transport, sizeof(m->transport), "shm" );
  } else {
    if( !m->rank ) fprintf( stderr, "rgroove: the ranks run on several hosts and not all have an RDMA device: "
                                    "no transport reaches every rank\n" );
    return RG_ERR_IO;
  }
  return RG_SUCCESS;
}

/* rg_mpi_pick_servers: which rank serves which index.  Server i is the
   rank of index server_rank[i]. */

static int
rg_mpi_pick_servers( rg_mpi_t * m,
                     int        want ) {
  int is_first = 0;
  if( want<=0 ) { /* the first rank of every node */
    MPI_Comm node;
    int node_rank;
    MPI_Comm_split_type( m->comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node );
    MPI_Comm_rank( node, &node_rank );
    MPI_Comm_free( &node );
    is_first = node_rank==0;
  } else {
    if( want>m->size ) {
      if( !m->rank ) fprintf( stderr, "rgroove: %d servers asked for, but the job has only %d ranks\n", want, m->size );
      return RG_ERR_INVAL;
    }
    for( int i=0; i<want; i++ ) is_first |= (int)(((long)i*m->size)/want)==m->rank; /* spread over the ranks */
  }
  MPI_Scan( &is_first, &m->server_idx, 1, MPI_INT, MPI_SUM, m->comm );
  m->server_idx = is_first ? m->server_idx - 1 : -1;
  MPI_Allreduce( &is_first, &m->server_cnt, 1, MPI_INT, MPI_SUM, m->comm );
  return RG_SUCCESS;
}

int
rg_mpi_open( MPI_Comm              comm,
             rg_mpi_opts_t const * opts,
             rg_mpi_t **           out ) {
  rg_mpi_opts_t o = opts ? *opts : (rg_mpi_opts_t){0};
  if( !o.volumes ) o.volumes = 1UL;
  if( o.timeout_ms<=0 ) o.timeout_ms = 60000;
  char const * forced = o.transport ? o.transport : getenv( "RGROOVE_TRANSPORT" );

  rg_mpi_t * m = calloc( 1, sizeof(rg_mpi_t) );
  if( !m || !out ) return RG_ERR_INVAL;
  *out = NULL;
  MPI_Comm_dup( comm, &m->comm );
  MPI_Comm_rank( m->comm, &m->rank );
  MPI_Comm_size( m->comm, &m->size );
  m->timeout_ms = o.timeout_ms;

  int err = rg_mpi_choose_transport( m, forced );
  if( !err ) err = rg_mpi_pick_servers( m, o.servers );
  if( !err && !rg_region_footprint( o.volumes ) ) {
    if( !m->rank ) fprintf( stderr, "rgroove: %lu volumes per server is outside [1,%lu]\n", o.volumes, RG_VOLUME_MAX );
    err = RG_ERR_INVAL;
  }
  if( err ) { MPI_Comm_free( &m->comm ); free( m ); return err; }
  if( !m->rank && !o.quiet )
    printf( "rgroove: %d rank(s), %d server(s), transport %s%s\n", m->size, m->server_cnt, m->transport,
            forced && strcmp( forced, "auto" ) ? " (forced)" : " (auto)" );

  /* a job id names the shm pools; a token guards the verbs servers */
  uint64_t job = ((uint64_t)getpid()<<20) ^ (uint64_t)time( NULL );
  char token[ 2*16+1 ];
  snprintf( token, sizeof(token), "%016lx%016lx", job * 0x9e3779b97f4a7c15UL, (uint64_t)clock() ^ job );
  MPI_Bcast( &job, 1, MPI_UINT64_T, 0, m->comm );
  MPI_Bcast( token, sizeof(token), MPI_CHAR, 0, m->comm );
  if( !getenv( "RGROOVE_TOKEN" ) && !getenv( "RGROOVE_TOKEN_FILE" ) ) setenv( "RGROOVE_TOKEN", token, 1 );

  err = m->server_idx>=0 ? rg_mpi_serve( m, o.volumes, job ) : RG_SUCCESS;
  if( err ) fprintf( stderr, "rgroove rank %d: cannot serve a pool of %lu volume(s): %s\n", m->rank, o.volumes, rg_errmsg() );
  err = rg_mpi_agree( m, err, "the servers' setup" );

  char * all = err ? NULL : calloc( (size_t)m->size, RG_MPI_URI_MAX );
  if( !err && !all ) err = RG_ERR_IO;
  if( !err ) {
    MPI_Request req;
    MPI_Iallgather( m->uri, RG_MPI_URI_MAX, MPI_CHAR, all, RG_MPI_URI_MAX, MPI_CHAR, m->comm, &req );
    err = rg_mpi_wait( m, &req, "the servers' addresses" );
  }
  if( !err ) {
    char const * uris[ m->server_cnt ];
    int n = 0;
    for( int r=0; r<m->size && n<m->server_cnt; r++ ) if( all[ (size_t)r*RG_MPI_URI_MAX ] ) uris[ n++ ] = all + (size_t)r*RG_MPI_URI_MAX;
    m->pool = rg_pool_open_multi( uris, (uint64_t)n, (uint64_t)m->rank, &err );
    if( !m->pool ) fprintf( stderr, "rgroove rank %d: cannot open the pool: %s\n", m->rank, rg_errmsg() );
    err = rg_mpi_agree( m, err, "every rank's connection" );
  }
  free( all );
  if( err ) { rg_mpi_close( m ); return err; }
  *out = m;
  return RG_SUCCESS;
}

rg_pool_t *  rg_mpi_pool      ( rg_mpi_t const * m ) { return m->pool;       }
int          rg_mpi_server_idx( rg_mpi_t const * m ) { return m->server_idx; }
int          rg_mpi_server_cnt( rg_mpi_t const * m ) { return m->server_cnt; }
char const * rg_mpi_transport ( rg_mpi_t const * m ) { return m->transport;  }
MPI_Comm     rg_mpi_comm      ( rg_mpi_t const * m ) { return m->comm;       }

int
rg_mpi_verify( rg_mpi_t * m,
               uint64_t * objects ) {
  int err = rg_pool_flush( m->pool ); /* recovery below must not take held superblocks for lost */
  if( err ) fprintf( stderr, "rgroove rank %d: cannot flush the pool: %s\n", m->rank, rg_errmsg() );
  err = rg_mpi_agree( m, err, "everyone to stop using the pool and flush it before verify" );
  if( err ) return err;
  uint64_t live = 0UL;
  if( m->server_idx>=0 ) { /* quiet now: the server checks its own memory directly */
    rg_groove_usage_t u;
    err = rg_region_check( rg_shm_mem( m->shm ), 1, NULL, &u );
    if( err ) fprintf( stderr, "rgroove rank %d: server %d does not verify: %s\n", m->rank, m->server_idx, rg_errmsg() );
    else live = u.objects;
  }
  uint64_t total = 0UL;
  MPI_Allreduce( &live, &total, 1, MPI_UINT64_T, MPI_SUM, m->comm );
  if( objects ) *objects = total;
  return rg_mpi_agree( m, err, "verify" );
}

int
rg_mpi_close( rg_mpi_t * m ) {
  if( !m ) return RG_ERR_INVAL;
  int err = RG_SUCCESS;
  if( m->pool ) rg_pool_close( m->pool );
  err = rg_mpi_barrier( m, "every rank to close its pool handle" ); /* before any server stops */
#ifdef RG_HAVE_VERBS
  if( m->server ) {
    m->stop = 1;
    pthread_join( m->progress, NULL );
    rg_verbs_server_delete( m->server );
  }
#endif
  if( m->shm ) {
    rg_shm_close( m->shm );
    if( !strncmp( m->uri, "shm:/", 5 ) ) rg_shm_unlink( RG_SHM_POSIX, m->uri + 4 );
  }
  MPI_Comm_free( &m->comm );
  free( m );
  return err;
}
