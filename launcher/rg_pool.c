/* The pool handle: a URI opened on a transport, plus a groove join. */

#include "rgroove/rg_pool.h"
#include "rgroove/rg_shm.h"
#include "core/rg_err.h"

#include <stdlib.h>
#include <string.h>

/* One mapping, shared by every handle rg_pool_dup made from it. */

typedef struct rg_pool_backing {
  rg_shm_t * shm;
  uint64_t   refcnt; /* atomic */
} rg_pool_backing_t;

struct rg_pool {
  rg_pool_backing_t * backing;
  rg_mem_t const *    mem;
  rg_groove_t *       groove;
  uint64_t            server;  /* this server's index in global addresses */
  uint8_t             ljoin[ RG_GROOVE_LJOIN_FOOTPRINT ] __attribute__((aligned(RG_GROOVE_LJOIN_ALIGN)));
};

/* rg_pool_uri_parse splits a shm URI into a kind and a name. */

static int
rg_pool_uri_parse( char const *  uri,
                   int *         kind,
                   char const ** name ) {
  if( !uri ) return rg_err( RG_ERR_INVAL, "NULL pool URI" );
  if( !strcmp( uri, "anon" ) )         { *kind = RG_SHM_ANON;  *name = NULL;    return RG_SUCCESS; }
  if( !strncmp( uri, "shm:/", 5 ) )    { *kind = RG_SHM_POSIX; *name = uri + 4; return RG_SUCCESS; }
  if( !strncmp( uri, "file:", 5 ) && uri[5] ) { *kind = RG_SHM_FILE; *name = uri + 5; return RG_SUCCESS; }
  return rg_err( RG_ERR_INVAL, "unknown pool URI '%s': use anon, shm:/NAME or file:PATH", uri );
}

static rg_pool_t *
rg_pool_join( rg_pool_backing_t * backing,
              uint64_t            cgroup_hint,
              int *               err ) {
  /* own cache lines: each thread's join is written on every alloc */
  rg_pool_t * pool = aligned_alloc( 128UL, (sizeof(rg_pool_t) + 127UL) & ~127UL );
  if( !pool ) { *err = rg_err( RG_ERR_IO, "out of memory" ); return NULL; }
  memset( pool, 0, sizeof(rg_pool_t) );
  pool->backing = backing;
  pool->mem     = rg_shm_mem( backing->shm );
  pool->groove  = rg_region_join( pool->ljoin, pool->mem, cgroup_hint, err );
  if( !pool->groove ) { free( pool ); return NULL; }
  __atomic_add_fetch( &backing->refcnt, 1UL, __ATOMIC_ACQ_REL );
  return pool;
}

static rg_pool_t *
rg_pool_adopt( rg_shm_t * shm,
               uint64_t   cgroup_hint,
               int *      err ) {
  rg_pool_backing_t * backing = calloc( 1, sizeof(rg_pool_backing_t) );
  if( !backing ) { *err = rg_err( RG_ERR_IO, "out of memory" ); rg_shm_close( shm ); return NULL; }
  backing->shm = shm;
  rg_pool_t * pool = rg_pool_join( backing, cgroup_hint, err );
  if( !pool ) { rg_shm_close( shm ); free( backing ); }
  return pool;
}

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
  if( !size ) { *err = rg_err( RG_ERR_INVAL, "volume_max %lu is outside [1,%lu]", volume_max, RG_VOLUME_MAX ); return NULL; }
  if( volume_cnt>volume_max ) { *err = rg_err( RG_ERR_INVAL, "volume count %lu exceeds volume_max %lu", volume_cnt, volume_max ); return NULL; }
  rg_shm_t * shm = rg_shm_create( kind, name, size, err );
  if( !shm ) return NULL;
  if( (*err = rg_region_new( rg_shm_mem( shm ), volume_max, volume_cnt )) ) {
    rg_shm_close( shm );
    if( name ) rg_shm_unlink( kind, name );
    return NULL;
  }
  return rg_pool_adopt( shm, 0UL, err );
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
  rg_shm_t * shm = rg_shm_attach( kind, name, err );
  return shm ? rg_pool_adopt( shm, cgroup_hint, err ) : NULL;
}

rg_pool_t *
rg_pool_dup( rg_pool_t * pool,
             uint64_t    cgroup_hint,
             int *       opt_err ) {
  int dummy;
  int * err = opt_err ? opt_err : &dummy;
  if( !pool ) { *err = rg_err( RG_ERR_INVAL, "NULL pool" ); return NULL; }
  return rg_pool_join( pool->backing, cgroup_hint, err );
}

int
rg_pool_close( rg_pool_t * pool ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  rg_groove_leave( pool->groove );
  rg_pool_backing_t * backing = pool->backing;
  if( !__atomic_sub_fetch( &backing->refcnt, 1UL, __ATOMIC_ACQ_REL ) ) {
    rg_shm_close( backing->shm );
    free( backing );
  }
  free( pool );
  return RG_SUCCESS;
}

int
rg_pool_unlink( char const * uri ) {
  int kind;
  char const * name;
  int err = rg_pool_uri_parse( uri, &kind, &name );
  if( err ) return err;
  if( kind==RG_SHM_ANON ) return rg_err( RG_ERR_INVAL, "an anon pool has no name to remove" );
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
