/* The shared-memory transport: a mapping and an rg_mem_t whose base is
   set, so every operation is an inline CPU atomic (rg_mem.h). */

#include "rgroove/rg_shm.h"
#include "base/rg_err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct rg_shm {
  rg_mem_t mem;
};

static rg_shm_t *
rg_shm_map( int        fd,
            uint64_t   size,
            int *      err ) {
  rg_shm_t * shm = malloc( sizeof(rg_shm_t) );
  if( !shm ) { *err = rg_err( RG_ERR_IO, "out of memory" ); return NULL; }
  int flags = MAP_SHARED | MAP_NORESERVE | (fd<0 ? MAP_ANONYMOUS : 0);
  void * base = mmap( NULL, size, PROT_READ | PROT_WRITE, flags, fd, 0 );
  if( base==MAP_FAILED ) {
    *err = rg_err( RG_ERR_IO, "mmap of %lu bytes failed: %s (check ulimit -v and free address space)", size, strerror( errno ) );
    free( shm );
    return NULL;
  }
  shm->mem = (rg_mem_t){ .base = base, .size = size, .caps = RG_MEM_CAP_MAPPED, .domain = RG_MEM_DOMAIN_CPU };
  *err = RG_SUCCESS;
  return shm;
}

static int
rg_shm_open_name( int          kind,
                  char const * name,
                  int          oflag ) {
  return kind==RG_SHM_POSIX ? shm_open( name, oflag, 0600 ) : open( name, oflag | O_CLOEXEC, 0600 );
}

rg_shm_t *
rg_shm_create( int          kind,
               char const * name,
               uint64_t     size,
               int *        opt_err ) {
  int err, dummy;
  int * e = opt_err ? opt_err : &dummy;
  if( !size ) { *e = rg_err( RG_ERR_INVAL, "region size is 0" ); return NULL; }
  if( kind==RG_SHM_ANON ) return rg_shm_map( -1, size, e );
  if( (kind!=RG_SHM_POSIX && kind!=RG_SHM_FILE) || !name || !name[0] ) {
    *e = rg_err( RG_ERR_INVAL, "bad shm kind %d or empty name", kind );
    return NULL;
  }
  int fd = rg_shm_open_name( kind, name, O_RDWR | O_CREAT | O_EXCL );
  if( fd<0 ) {
    err  = errno;
    *e = rg_err( err==EEXIST ? RG_ERR_INVAL : RG_ERR_IO, "cannot create %s: %s%s", name, strerror( err ),
                 err==EEXIST ? " (attach to it, or remove it first)" : "" );
    return NULL;
  }
  if( ftruncate( fd, (off_t)size ) ) {
    *e = rg_err( RG_ERR_IO, "cannot size %s to %lu bytes: %s", name, size, strerror( errno ) );
    close( fd );
    rg_shm_unlink( kind, name );
    return NULL;
  }
  rg_shm_t * shm = rg_shm_map( fd, size, e );
  close( fd );
  if( !shm ) rg_shm_unlink( kind, name );
  return shm;
}

rg_shm_t *
rg_shm_attach( int          kind,
               char const * name,
               int *        opt_err ) {
  int dummy;
  int * e = opt_err ? opt_err : &dummy;
  if( (kind!=RG_SHM_POSIX && kind!=RG_SHM_FILE) || !name || !name[0] ) {
    *e = rg_err( RG_ERR_INVAL, "bad shm kind %d or empty name", kind );
    return NULL;
  }
  int fd = rg_shm_open_name( kind, name, O_RDWR );
  if( fd<0 ) {
    int err = errno;
    *e = rg_err( err==ENOENT ? RG_ERR_KEY : RG_ERR_IO, "cannot open %s: %s", name, strerror( err ) );
    return NULL;
  }
  struct stat st;
  rg_shm_t * shm = NULL;
  if( fstat( fd, &st ) ) *e = rg_err( RG_ERR_IO, "cannot stat %s: %s", name, strerror( errno ) );
  else if( !st.st_size ) *e = rg_err( RG_ERR_INVAL, "%s is empty", name );
  else shm = rg_shm_map( fd, (uint64_t)st.st_size, e );
  close( fd );
  return shm;
}

int
rg_shm_close( rg_shm_t * shm ) {
  if( !shm ) return rg_err( RG_ERR_INVAL, "NULL shm" );
  munmap( shm->mem.base, shm->mem.size );
  free( shm );
  return RG_SUCCESS;
}

int
rg_shm_unlink( int          kind,
               char const * name ) {
  if( (kind!=RG_SHM_POSIX && kind!=RG_SHM_FILE) || !name ) return rg_err( RG_ERR_INVAL, "bad shm kind %d or NULL name", kind );
  int rc = kind==RG_SHM_POSIX ? shm_unlink( name ) : unlink( name );
  if( rc ) return rg_err( errno==ENOENT ? RG_ERR_KEY : RG_ERR_IO, "cannot remove %s: %s", name, strerror( errno ) );
  return RG_SUCCESS;
}

rg_mem_t const *
rg_shm_mem( rg_shm_t const * shm ) {
  return &shm->mem;
}
