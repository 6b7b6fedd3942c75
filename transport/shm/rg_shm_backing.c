/* Shared mappings of local pools (see rg_shm_backing.h). */

#include "rg_shm_backing.h"
#include "base/rg_err.h"

#include <stdlib.h>
#include <string.h>

/* rg_shm_kind: the local scheme of uri (loop: the one inside). */

static int
rg_shm_kind( rg_uri_t const * uri,
             int *            kind ) {
  char const * s = strcmp( uri->scheme, "loop" ) ? uri->scheme : uri->inner;
  if( !strcmp( s, "anon" ) ) { *kind = RG_SHM_ANON;  return RG_SUCCESS; }
  if( !strcmp( s, "shm"  ) ) { *kind = RG_SHM_POSIX; return RG_SUCCESS; }
  if( !strcmp( s, "file" ) ) { *kind = RG_SHM_FILE;  return RG_SUCCESS; }
  return rg_err( RG_ERR_INVAL, "'%s' is not a local pool (anon, shm:/NAME, file:PATH)", uri->text );
}

rg_shm_backing_t *
rg_shm_backing_open( rg_uri_t const * uri,
                     uint64_t         create_size,
                     int *            err ) {
  int kind;
  if( (*err = rg_shm_kind( uri, &kind )) ) return NULL;
  if( kind==RG_SHM_ANON && !create_size ) {
    *err = rg_err( RG_ERR_INVAL, "'%s': an anonymous pool cannot be opened by name (create it, then use rg_pool_dup)", uri->text );
    return NULL;
  }
  rg_shm_backing_t * b = calloc( 1, sizeof(rg_shm_backing_t) );
  if( !b ) { *err = rg_err( RG_ERR_IO, "out of memory" ); return NULL; }
  char const * name = kind==RG_SHM_ANON ? NULL : uri->path;
  b->shm = create_size ? rg_shm_create( kind, name, create_size, err ) : rg_shm_attach( kind, name, err );
  if( !b->shm ) { free( b ); return NULL; }
  b->refcnt = 1UL;
  return b;
}

void
rg_shm_backing_ref( rg_shm_backing_t * b ) {
  __atomic_add_fetch( &b->refcnt, 1UL, __ATOMIC_ACQ_REL );
}

void
rg_shm_backing_unref( rg_shm_backing_t * b ) {
  if( __atomic_sub_fetch( &b->refcnt, 1UL, __ATOMIC_ACQ_REL ) ) return;
  rg_shm_close( b->shm );
  free( b );
}

int
rg_shm_backing_unlink( rg_uri_t const * uri ) {
  int kind, err = rg_shm_kind( uri, &kind );
  if( err ) return err;
  if( kind==RG_SHM_ANON ) return rg_err( RG_ERR_INVAL, "'%s' has no name to remove", uri->text );
  return rg_shm_unlink( kind, uri->path );
}
