/* Collective open and close of a pool under MPI (see rg_mpi.h).  Every
   collective is a nonblocking one completed by rg_mpi_wait within the
   timeout: a rank that is gone or hangs is reported, never waited for
   forever. */

#include "rgroove/rg_mpi.h"
#include "rgroove/rg_shm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define RG_MPI_URI_MAX (128)

/* rg_mpi_host_t: what tells whether two ranks share a host (and its
   /dev/shm): the host name and the kernel's boot id. */

typedef struct {
  char name[ 64 ];
  char boot[ 40 ];
} rg_mpi_host_t;

struct rg_mpi {
  MPI_Comm               comm;
  int                    rank, size, timeout_ms;
  int                    lost;                    /* a wait timed out: the job is broken, wait no more */
  int                    one_host;                /* every rank on this rank's host */
  int                    node_first;              /* the lowest rank of this host */
  int                    server_idx, server_cnt;
  char                   transport[ 16 ];
  rg_transport_t const * net;                     /* the network transport, NULL on one host over shm */
  char                   uri[ RG_MPI_URI_MAX ];   /* this rank's server URI */
  rg_conn_t *            region;                  /* a server's own region, mapped here */
  int                    named;                   /* uri names a shm pool this rank made and must remove */
  rg_pool_t *            pool;
  rg_server_t *          server;
  pthread_t              progress;
  int                    progress_started;
  volatile int           stop;
};

/* rg_mpi_wait completes a nonblocking collective within the timeout.
   Once one has timed out, the others cannot complete either: later
   waits fail at once. */

static int
rg_mpi_wait( rg_mpi_t *   m,
             MPI_Request * req,
             char const *  what ) {
  if( m->lost ) return RG_ERR_IO;
  struct timespec t0, t;
  clock_gettime( CLOCK_MONOTONIC, &t0 );
  for( int done=0;; ) {
    MPI_Test( req, &done, MPI_STATUS_IGNORE );
    if( done ) return RG_SUCCESS;
    clock_gettime( CLOCK_MONOTONIC, &t );
    if( (t.tv_sec - t0.tv_sec)*1000L + (t.tv_nsec - t0.tv_nsec)/1000000L > m->timeout_ms ) {
      fprintf( stderr, "rgroove rank %d: gave up after %d ms waiting for the other ranks (%s): a rank exited or hangs\n",
               m->rank, m->timeout_ms, what );
      m->lost = 1;
      return RG_ERR_IO;
    }
    usleep( 200 );
  }
}

/* rg_mpi_allreduce: MPI_Allreduce on the handle's communicator, bounded. */

static int
rg_mpi_allreduce( rg_mpi_t *   m,
                  void const * in,
                  void *       out,
                  int          cnt,
                  MPI_Datatype type,
                  MPI_Op       op,
                  char const * what ) {
  MPI_Request req;
  MPI_Iallreduce( in, out, cnt, type, op, m->comm, &req );
  return rg_mpi_wait( m, &req, what );
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
  int werr  = rg_mpi_allreduce( m, &err, &worst, 1, MPI_INT, MPI_MIN, what );
  return werr ? werr : worst;
}

/* rg_mpi_hosts: collective; which ranks share this rank's host (sets
   one_host and node_first).  An allgather of host names and boot ids,
   not MPI_Comm_split_type, which has no bounded form. */

static int
rg_mpi_hosts( rg_mpi_t * m ) {
  rg_mpi_host_t me, * all = calloc( (size_t)m->size, sizeof(rg_mpi_host_t) );
  if( !all ) return RG_ERR_IO;
  memset( &me, 0, sizeof(me) ); /* compared whole */
  gethostname( me.name, sizeof(me.name) - 1 );
  FILE * f = fopen( "/proc/sys/kernel/random/boot_id", "r" );
  if( f ) { if( !fgets( me.boot, sizeof(me.boot), f ) ) me.boot[0] = '\0'; fclose( f ); }
  MPI_Request req;
  MPI_Iallgather( &me, (int)sizeof(me), MPI_BYTE, all, (int)sizeof(me), MPI_BYTE, m->comm, &req );
  int err = rg_mpi_wait( m, &req, "every rank's host name" );
  if( !err ) {
    m->one_host   = 1;
    m->node_first = m->rank;
    for( int r=m->size-1; r>=0; r-- ) {
      int same = !memcmp( &all[r], &me, sizeof(me) );
      m->one_host &= same;
      if( same ) m->node_first = r;
    }
  }
  free( all );
  return err;
}

static void *
rg_mpi_progress( void * arg ) {
  rg_mpi_t * m = arg;
  while( !m->stop ) if( m->net->poll( m->server, 100 ) ) break;
  return NULL;
}

static void
rg_mpi_log( void *       ctx,
            char const * line ) {
  (void)ctx;
  if( getenv( "RGROOVE_SERVER_LOG" ) ) fprintf( stderr, "rgroove server: %s\n", line );
}

/* rg_mpi_serve: this rank becomes server idx: make the region and a URI
   others can open. */

static int
rg_mpi_serve( rg_mpi_t * m,
              uint64_t   volumes,
              uint64_t   job ) {
  uint64_t size = rg_region_footprint( volumes );
  int err;
  char local[ RG_MPI_URI_MAX ] = "anon";
  if( !m->net ) snprintf( local, sizeof(local), "shm:/rgroove-%lx-%d", job, m->server_idx );
  else if( (err = rg_shm_preflight( RG_SHM_ANON, NULL, size, RG_SHM_FIT_PINNED )) ) return err; /* all of it registered */
  if( !(m->region = rg_transport_open( local, size, &err )) ) return err;
  if( !m->net ) { snprintf( m->uri, sizeof(m->uri), "%s", local ); m->named = 1; }
  if( (err = rg_region_new( &m->region->mem, volumes, volumes )) ) return err;
  if( !m->net ) return RG_SUCCESS;

  rg_uri_t where = { .gid_index = -1 };
  uint8_t  token[ RG_TOKEN_MAX ];
  uint64_t token_sz;
  if( (err = m->net->probe( &where )) || (err = rg_token_load( token, sizeof(token), &token_sz )) ) return err;
  rg_serve_cfg_t cfg = { .addr = where.host, .port = 0, .gid_index = -1, .token = token, .token_sz = token_sz, .log = rg_mpi_log };
  if( !(m->server = m->net->serve( &m->region->mem, &cfg, &err )) ) return err;
  if( (err = m->net->uri( m->server, m->uri, sizeof(m->uri) )) ) return err;
  if( pthread_create( &m->progress, NULL, rg_mpi_progress, m ) ) return RG_ERR_IO;
  m->progress_started = 1;
  return RG_SUCCESS;
}

/* rg_mpi_usable: collective; 1 on every rank if every rank can use
   network transport t. */

static int
rg_mpi_usable( rg_mpi_t *             m,
               rg_transport_t const * t ) {
  rg_uri_t where = { .gid_index = -1 };
  int mine = t->built && t->serve && !t->probe( &where ), all = 0;
  return !rg_mpi_allreduce( m, &mine, &all, 1, MPI_INT, MPI_MIN, "whether every rank can use a network transport" ) && all;
}

/* rg_mpi_choose_transport: collective; sets m->transport and m->net.
   auto: shm when all ranks share one host (CPU atomics, no round trips),
   else the first network transport of the registry that every rank can
   use. */

static int
rg_mpi_choose_transport( rg_mpi_t *   m,
                         char const * forced ) {
  int one_host = m->one_host;
  if( forced && strcmp( forced, "auto" ) ) {
    rg_transport_t const * t = rg_transport_find( forced );
    if( t && !t->built ) {
      if( !m->rank ) fprintf( stderr, "rgroove: the %s transport is forced but this rgroove was built without it (%s)\n", t->name, t->summary );
      return RG_ERR_IO;
    }
    if( !t || (!t->serve && strcmp( t->name, "shm" )) ) {
      if( !m->rank ) fprintf( stderr, "rgroove: unknown transport '%s': use auto, shm or a network transport (verbs, ucx)\n", forced );
      return RG_ERR_INVAL;
    }
    if( !t->serve ) {
      if( !one_host ) {
        if( !m->rank ) fprintf( stderr, "rgroove: the shm transport is forced but the ranks run on several hosts\n" );
        return RG_ERR_INVAL;
      }
    } else if( !rg_mpi_usable( m, t ) ) {
      if( m->lost ) return RG_ERR_IO;
      rg_uri_t where = { .gid_index = -1 };
      if( !t->built || t->probe( &where ) )
        fprintf( stderr, "rgroove rank %d: the %s transport is forced but cannot be used here: %s\n", m->rank, t->name,
                 t->built ? rg_errmsg() : "this rgroove was built without it" );
      return RG_ERR_IO;
    }
    m->net = t->serve ? t : NULL;
    snprintf( m->transport, sizeof(m->transport), "%s", t->name );
    return RG_SUCCESS;
  }
  for( uint64_t i=0UL; !one_host && rg_transport_at( i ); i++ ) {
    rg_transport_t const * t = rg_transport_at( i );
    if( !t->serve || !rg_mpi_usable( m, t ) ) {
      if( m->lost ) return RG_ERR_IO;
      continue;
    }
    m->net = t;
    snprintf( m->transport, sizeof(m->transport), "%s", t->name );
    return RG_SUCCESS;
  }
  if( !one_host ) {
    if( !m->rank ) fprintf( stderr, "rgroove: the ranks run on several hosts and no network transport reaches every rank\n" );
    return RG_ERR_IO;
  }
  snprintf( m->transport, sizeof(m->transport), "shm" );
  return RG_SUCCESS;
}

/* rg_mpi_pick_servers: which rank serves which index.  Server i is the
   rank of index server_rank[i]. */

static int
rg_mpi_pick_servers( rg_mpi_t * m,
                     int        want ) {
  int is_first = 0;
  if( want<=0 ) { /* the first rank of every node */
    is_first = m->node_first==m->rank;
  } else {
    if( want>m->size ) {
      if( !m->rank ) fprintf( stderr, "rgroove: %d servers asked for, but the job has only %d ranks\n", want, m->size );
      return RG_ERR_INVAL;
    }
    for( int i=0; i<want; i++ ) is_first |= (int)(((long)i*m->size)/want)==m->rank; /* spread over the ranks */
  }
  MPI_Request req;
  MPI_Iscan( &is_first, &m->server_idx, 1, MPI_INT, MPI_SUM, m->comm, &req );
  int err = rg_mpi_wait( m, &req, "the numbering of the servers" );
  if( !err ) err = rg_mpi_allreduce( m, &is_first, &m->server_cnt, 1, MPI_INT, MPI_SUM, "the count of the servers" );
  m->server_idx = is_first ? m->server_idx - 1 : -1;
  return err;
}

int
rg_mpi_open( MPI_Comm              comm,
             rg_mpi_opts_t const * opts,
             rg_mpi_t **           out ) {
  rg_mpi_opts_t o = opts ? *opts : (rg_mpi_opts_t){0};
  if( !o.volumes ) o.volumes = 1UL;
  if( o.timeout_ms<=0 ) o.timeout_ms = 60000;
  char const * forced = o.transport ? o.transport : getenv( "RGROOVE_TRANSPORT" );

  if( !out ) return RG_ERR_INVAL;
  *out = NULL;
  rg_mpi_t * m = calloc( 1, sizeof(rg_mpi_t) );
  if( !m ) return RG_ERR_IO;
  MPI_Comm_rank( comm, &m->rank );
  MPI_Comm_size( comm, &m->size );
  m->timeout_ms = o.timeout_ms;
  MPI_Request req;
  MPI_Comm_idup( comm, &m->comm, &req );
  int err = rg_mpi_wait( m, &req, "a duplicate of the communicator" );
  if( err ) { free( m ); return err; }

  err = rg_mpi_hosts( m );
  if( !err ) err = rg_mpi_choose_transport( m, forced );
  if( !err ) err = rg_mpi_pick_servers( m, o.servers );
  if( !err && !rg_region_footprint( o.volumes ) ) {
    if( !m->rank ) fprintf( stderr, "rgroove: %lu volumes per server is outside [1,%lu]\n", o.volumes, RG_VOLUME_MAX );
    err = RG_ERR_INVAL;
  }
  if( err ) { MPI_Comm_free( &m->comm ); free( m ); return err; }
  if( !m->rank && !o.quiet )
    printf( "rgroove: %d rank(s), %d server(s), transport %s%s\n", m->size, m->server_cnt, m->transport,
            forced && strcmp( forced, "auto" ) ? " (forced)" : " (auto)" );

  /* A job id names the shm pools; a random token guards the network
     servers, kept in this process (rg_token_set), never in the
     environment children inherit.  A token the user gave wins. */
  struct { uint64_t job; uint8_t token[ RG_TOKEN_MAX ]; } secret;
  if( getrandom( &secret.job, sizeof(secret.job), 0 )!=(ssize_t)sizeof(secret.job) )
    secret.job = ((uint64_t)getpid()<<20) ^ (uint64_t)time( NULL );
  if( getrandom( secret.token, sizeof(secret.token), 0 )!=(ssize_t)sizeof(secret.token) ) err = RG_ERR_IO;
  err = rg_mpi_agree( m, err, "a random admission token" );
  if( !err ) {
    MPI_Ibcast( &secret, (int)sizeof(secret), MPI_BYTE, 0, m->comm, &req );
    err = rg_mpi_wait( m, &req, "rank 0's job id and token" );
  }
  if( err ) { MPI_Comm_free( &m->comm ); free( m ); return err; }
  if( !getenv( "RGROOVE_TOKEN" ) && !getenv( "RGROOVE_TOKEN_FILE" ) ) rg_token_set( secret.token, sizeof(secret.token) );

  err = m->server_idx>=0 ? rg_mpi_serve( m, o.volumes, secret.job ) : RG_SUCCESS;
  if( err ) fprintf( stderr, "rgroove rank %d: cannot serve a pool of %lu volume(s): %s\n", m->rank, o.volumes, rg_errmsg() );
  err = rg_mpi_agree( m, err, "the servers' setup" );

  char * all = err ? NULL : calloc( (size_t)m->size, RG_MPI_URI_MAX );
  if( !err && !all ) err = RG_ERR_IO;
  if( !err ) {
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
  if( m->named ) { /* every rank has it mapped: a killed job leaves nothing in /dev/shm */
    rg_pool_unlink( m->uri );
    m->named = 0;
  }
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
    err = rg_region_check( &m->region->mem, 1, NULL, &u );
    if( err ) fprintf( stderr, "rgroove rank %d: server %d does not verify: %s\n", m->rank, m->server_idx, rg_errmsg() );
    else live = u.objects;
  }
  uint64_t total = 0UL;
  int werr = rg_mpi_allreduce( m, &live, &total, 1, MPI_UINT64_T, MPI_SUM, "the servers' counts of live objects" );
  if( objects ) *objects = total;
  return werr ? werr : rg_mpi_agree( m, err, "verify" );
}

int
rg_mpi_close( rg_mpi_t * m ) {
  if( !m ) return RG_ERR_INVAL;
  int err = RG_SUCCESS;
  if( m->pool ) rg_pool_close( m->pool );
  err = rg_mpi_barrier( m, "every rank to close its pool handle" ); /* before any server stops */
  if( m->progress_started ) {
    m->stop = 1;
    pthread_join( m->progress, NULL );
  }
  if( m->server ) m->net->stop( m->server );
  if( m->region ) m->region->tp->close( m->region );
  if( m->named ) rg_pool_unlink( m->uri );
  MPI_Comm_free( &m->comm );
  free( m );
  return err;
}
