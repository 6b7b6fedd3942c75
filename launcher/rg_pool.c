/* The pool handle: a URI opened on a transport, plus a groove join. */

#include "config.h"
#include "rgroove/rg_pool.h"
#include "rgroove/rg_shm.h"
#include "rgroove/rg_verbs.h"
#include "core/rg_err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One mapping, shared by every handle rg_pool_dup made from it. */

typedef struct rg_pool_backing {
  rg_shm_t * shm;
  uint64_t   refcnt; /* atomic */
} rg_pool_backing_t;

struct rg_pool {
  rg_pool_backing_t * backing; /* shm: the mapping, shared by dups */
  rg_verbs_client_t * verbs;   /* verbs: this handle's own connection */
  char                uri[ 256 ];
  rg_mem_t const *    mem;
  rg_groove_t *       groove;
  uint64_t            server;  /* this server's index in global addresses */
  uint8_t             ljoin[ RG_GROOVE_LJOIN_FOOTPRINT ] __attribute__((aligned(RG_GROOVE_LJOIN_ALIGN)));
};

#define RG_POOL_VERBS (100) /* a kind beside the RG_SHM_* ones */

/* rg_pool_uri_parse splits a URI into a kind and a name. */

static int
rg_pool_uri_parse( char const *  uri,
                   int *         kind,
                   char const ** name ) {
  if( !uri ) return rg_err( RG_ERR_INVAL, "NULL pool URI" );
  if( !strcmp( uri, "anon" ) )         { *kind = RG_SHM_ANON;  *name = NULL;    return RG_SUCCESS; }
  if( !strncmp( uri, "shm:/", 5 ) )    { *kind = RG_SHM_POSIX; *name = uri + 4; return RG_SUCCESS; }
  if( !strncmp( uri, "file:", 5 ) && uri[5] ) { *kind = RG_SHM_FILE; *name = uri + 5; return RG_SUCCESS; }
  if( !strncmp( uri, "verbs://", 8 ) && uri[8] ) { *kind = RG_POOL_VERBS; *name = uri + 8; return RG_SUCCESS; }
  return rg_err( RG_ERR_INVAL, "unknown pool URI '%s': use anon, shm:/NAME, file:PATH or verbs://HOST[:PORT]", uri );
}

static rg_pool_t *
rg_pool_join( char const *        uri,
              rg_pool_backing_t * backing,
              rg_verbs_client_t * verbs,
              uint64_t            cgroup_hint,
              int *               err ) {
  /* own cache lines: each thread's join is written on every alloc */
  rg_pool_t * pool = aligned_alloc( 128UL, (sizeof(rg_pool_t) + 127UL) & ~127UL );
  if( !pool ) { *err = rg_err( RG_ERR_IO, "out of memory" ); return NULL; }
  memset( pool, 0, sizeof(rg_pool_t) );
  snprintf( pool->uri, sizeof(pool->uri), "%s", uri );
  pool->backing = backing;
  pool->verbs   = verbs;
#ifdef RG_HAVE_VERBS
  pool->mem     = verbs ? rg_verbs_client_mem( verbs ) : rg_shm_mem( backing->shm );
#else
  pool->mem     = rg_shm_mem( backing->shm );
#endif
  pool->groove  = rg_region_join( pool->ljoin, pool->mem, cgroup_hint, err );
  if( !pool->groove ) { free( pool ); return NULL; }
  if( backing ) __atomic_add_fetch( &backing->refcnt, 1UL, __ATOMIC_ACQ_REL );
  return pool;
}

static rg_pool_t *
rg_pool_adopt( char const * uri,
               rg_shm_t *   shm,
               uint64_t     cgroup_hint,
               int *        err ) {
  rg_pool_backing_t * backing = calloc( 1, sizeof(rg_pool_backing_t) );
  if( !backing ) { *err = rg_err( RG_ERR_IO, "out of memory" ); rg_shm_close( shm ); return NULL; }
  backing->shm = shm;
  rg_pool_t * pool = rg_pool_join( uri, backing, NULL, cgroup_hint, err );
  if( !pool ) { rg_shm_close( shm ); free( backing ); }
  return pool;
}

int
rg_token_load( void *   token,
               uint64_t token_max,
               uint64_t * token_sz ) {
  char const * env  = getenv( "RGROOVE_TOKEN" );
  char const * path = getenv( "RGROOVE_TOKEN_FILE" );
  char buf[ 256 ];
  uint64_t n = 0UL;
  if( env ) {
    n = strlen( env );
    if( n>sizeof(buf) ) n = sizeof(buf);
    memcpy( buf, env, n );
  } else if( path ) {
    FILE * f = fopen( path, "r" );
    if( !f ) return rg_err( RG_ERR_INVAL, "cannot read the token file %s: %s", path, strerror( errno ) );
    n = fread( buf, 1, sizeof(buf), f );
    fclose( f );
    while( n && (buf[n-1]=='\n' || buf[n-1]=='\r') ) n--;
  }
  if( n>token_max ) return rg_err( RG_ERR_INVAL, "the admission token is %lu bytes, at most %lu are allowed", n, token_max );
  memcpy( token, buf, n );
  *token_sz = n;
  return RG_SUCCESS;
}

#ifdef RG_HAVE_VERBS
static rg_pool_t *
rg_pool_connect( char const * uri,
                 char const * hostport,
                 uint64_t     cgroup_hint,
                 int *        err ) {
  char host[ 200 ];
  snprintf( host, sizeof(host), "%s", hostport );
  unsigned long port = RG_VERBS_PORT_DEFAULT;
  char * colon = strrchr( host, ':' );
  if( colon ) {
    char * end;
    port = strtoul( colon + 1, &end, 10 );
    if( *end || !port || port>65535UL ) { *err = rg_err( RG_ERR_INVAL, "bad port in '%s'", uri ); return NULL; }
    *colon = '\0';
  }
  uint8_t  token[ RG_VERBS_TOKEN_MAX ];
  uint64_t token_sz;
  if( (*err = rg_token_load( token, sizeof(token), &token_sz )) ) return NULL;
  char const * tmo = getenv( "RGROOVE_TIMEOUT_MS" );
  int timeout_ms = tmo ? atoi( tmo ) : 5000;
  rg_verbs_client_t * c = rg_verbs_client_connect( host, (uint16_t)port, token, token_sz, timeout_ms, err );
  if( !c ) return NULL;
  rg_pool_t * pool = rg_pool_join( uri, NULL, c, cgroup_hint, err );
  if( !pool ) rg_verbs_client_disconnect( c );
  return pool;
}
#endif

rg_pool_t *
rg_pool_create( char const * uri,
                uint64_t     volume_cnt,
                uint64_t     volume_max,
                int *        opt_err ) {
  int dummy, kind;
  int * err = opt_err ? opt_err : &dummy;
  char const * name;
  uint64_t size = rg_region_footprint( volume_max );
  if( (*err = rg_pool_uri_parse( uri, &kind, &name )) ) return NULL;
  if( kind==RG_POOL_VERBS ) { *err = rg_err( RG_ERR_INVAL, "a verbs pool is made by rgroove-server: open it instead" ); return NULL; }
  if( !size ) { *err = rg_err( RG_ERR_INVAL, "volume_max %lu is outside [1,%lu]", volume_max, RG_VOLUME_MAX ); return NULL; }
  if( volume_cnt>volume_max ) { *err = rg_err( RG_ERR_INVAL, "volume count %lu exceeds volume_max %lu", volume_cnt, volume_max ); return NULL; }
  rg_shm_t * shm = rg_shm_create( kind, name, size, err );
  if( !shm ) return NULL;
  if( (*err = rg_region_new( rg_shm_mem( shm ), volume_max, volume_cnt )) ) {
    rg_shm_close( shm );
    if( name ) rg_shm_unlink( kind, name );
    return NULL;
  }
  return rg_pool_adopt( uri, shm, 0UL, err );
}

rg_pool_t *
rg_pool_open( char const * uri,
              uint64_t     cgroup_hint,
              int *        opt_err ) {
  int dummy, kind;
  int * err = opt_err ? opt_err : &dummy;
  char const * name;
  if( (*err = rg_pool_uri_parse( uri, &kind, &name )) ) return NULL;
  if( kind==RG_SHM_ANON ) { *err = rg_err( RG_ERR_INVAL, "an anon pool cannot be opened by name: use rg_pool_dup" ); return NULL; }
  if( kind==RG_POOL_VERBS ) {
#ifdef RG_HAVE_VERBS
    return rg_pool_connect( uri, name, cgroup_hint, err );
#else
    *err = rg_err( RG_ERR_INVAL, "this rgroove was built without the verbs transport (configure --with-verbs)" );
    return NULL;
#endif
  }
  rg_shm_t * shm = rg_shm_attach( kind, name, err );
  return shm ? rg_pool_adopt( uri, shm, cgroup_hint, err ) : NULL;
}

rg_pool_t *
rg_pool_dup( rg_pool_t * pool,
             uint64_t    cgroup_hint,
             int *       opt_err ) {
  int dummy;
  int * err = opt_err ? opt_err : &dummy;
  if( !pool ) { *err = rg_err( RG_ERR_INVAL, "NULL pool" ); return NULL; }
  if( pool->verbs ) return rg_pool_open( pool->uri, cgroup_hint, err ); /* a connection per handle */
  return rg_pool_join( pool->uri, pool->backing, NULL, cgroup_hint, err );
}

int
rg_pool_close( rg_pool_t * pool ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  rg_groove_leave( pool->groove );
  int err = RG_SUCCESS;
  rg_pool_backing_t * backing = pool->backing;
  if( backing && !__atomic_sub_fetch( &backing->refcnt, 1UL, __ATOMIC_ACQ_REL ) ) {
    rg_shm_close( backing->shm );
    free( backing );
  }
#ifdef RG_HAVE_VERBS
  if( pool->verbs ) err = rg_verbs_client_disconnect( pool->verbs );
#endif
  free( pool );
  return err;
}

int
rg_pool_unlink( char const * uri ) {
  int kind;
  char const * name;
  int err = rg_pool_uri_parse( uri, &kind, &name );
  if( err ) return err;
  if( kind==RG_SHM_ANON || kind==RG_POOL_VERBS ) return rg_err( RG_ERR_INVAL, "'%s' has no name to remove here", uri );
  return rg_shm_unlink( kind, name );
}

/* rg_pool_off checks that addr names this pool's server and returns its
   region offset (0 if not). */

static uint64_t
rg_pool_off( rg_pool_t const * pool,
             rg_gaddr_t        addr ) {
  return rg_gaddr_server( addr )==pool->server ? rg_gaddr_off( addr ) : 0UL;
}

int
rg_pool_alloc( rg_pool_t *  pool,
               uint64_t     align,
               uint64_t     sz,
               uint64_t     tag,
               rg_gaddr_t * addr ) {
  if( !pool || !addr ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  uint64_t off;
  int err = rg_groove_alloc( pool->groove, align, sz, tag, &off );
  *addr = err ? RG_GADDR_NULL : rg_gaddr( pool->server, off );
  return err;
}

int
rg_pool_free( rg_pool_t * pool,
              rg_gaddr_t  addr ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  uint64_t off = rg_pool_off( pool, addr );
  if( !off ) return rg_err( RG_ERR_INVAL, "free of %#lx: null, or names another server", addr );
  return rg_groove_free( pool->groove, off );
}

int
rg_pool_info( rg_pool_t const *      pool,
              rg_gaddr_t             addr,
              rg_groove_obj_info_t * info ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  uint64_t off = rg_pool_off( pool, addr );
  if( !off ) return rg_err( RG_ERR_INVAL, "%#lx is null, or names another server", addr );
  return rg_groove_obj_info( pool->groove, off, info );
}

void *
rg_pool_laddr( rg_pool_t const * pool,
               rg_gaddr_t        addr ) {
  uint64_t off = pool ? rg_pool_off( pool, addr ) : 0UL;
  if( !off || !pool->mem->base || off>=pool->mem->size ) return NULL;
  return pool->mem->base + off;
}

static int
rg_pool_range( rg_pool_t const * pool,
               rg_gaddr_t        addr,
               uint64_t          sz,
               uint64_t *        off ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  *off = rg_pool_off( pool, addr );
  if( !*off || *off>pool->mem->size || sz>pool->mem->size - *off )
    return rg_err( RG_ERR_INVAL, "range %#lx+%lu is outside the pool", addr, sz );
  return RG_SUCCESS;
}

int
rg_pool_read( rg_pool_t const * pool,
              rg_gaddr_t        addr,
              void *            buf,
              uint64_t          sz ) {
  uint64_t off = 0UL;
  int err = rg_pool_range( pool, addr, sz, &off );
  return err ? err : rg_mem_read( pool->mem, off, buf, sz );
}

int
rg_pool_write( rg_pool_t const * pool,
               rg_gaddr_t        addr,
               void const *      buf,
               uint64_t          sz ) {
  uint64_t off = 0UL;
  int err = rg_pool_range( pool, addr, sz, &off );
  if( !err ) err = rg_mem_write( pool->mem, off, buf, sz );
  return err ? err : rg_mem_fence( pool->mem );
}

int
rg_pool_verify( rg_pool_t const * pool ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  rg_groove_usage_t usage;
  int err = rg_groove_verify( pool->groove );
  return err ? err : rg_groove_usage( pool->groove, &usage ); /* walks and checks every volume */
}

int
rg_pool_usage( rg_pool_t const *   pool,
               rg_groove_usage_t * usage ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  return rg_groove_usage( pool->groove, usage );
}

rg_groove_t *
rg_pool_groove( rg_pool_t * pool ) {
  return pool ? pool->groove : NULL;
}

int
rg_pool_stats( rg_pool_t const * pool,
               rg_mem_stats_t *  stats ) {
  if( !pool || !stats ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  memset( stats, 0, sizeof(*stats) );
#ifdef RG_HAVE_VERBS
  if( pool->verbs ) rg_verbs_client_stats( pool->verbs, stats );
#endif
  return RG_SUCCESS;
}
