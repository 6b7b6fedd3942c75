/* The shared-memory transport: a mapping and an rg_mem_t whose base is
   set, so every operation is an inline CPU atomic (rg_mem.h).  Named
   backings keep their descriptor open: the owner lock is an flock on it
   (rg_shm.h). */

#include "rgroove/rg_shm.h"
#include "rg_shm_backing.h"
#include "base/rg_err.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct rg_shm {
  rg_mem_t mem;
  int      fd;          /* the named backing, open for its lock; -1: anon */
  char     name[ 256 ]; /* for messages */
};

#define RG_SHM_GIB(x) ((double)(x)/(double)(1UL<<30))

static rg_shm_t *
rg_shm_map( int          fd,
            char const * name,
            uint64_t     size,
            int *        err ) {
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
  shm->fd  = fd;
  snprintf( shm->name, sizeof(shm->name), "%s", name ? name : "anon" );
  *err = RG_SUCCESS;
  return shm;
}

static int
rg_shm_open_name( int          kind,
                  char const * name,
                  int          oflag ) {
  return kind==RG_SHM_POSIX ? shm_open( name, oflag, 0600 ) : open( name, oflag | O_CLOEXEC, 0600 );
}

/* rg_shm_holder writes who holds an flock on fd's file, as /proc/locks
   tells it ("pid 123 (rgroove-server)"), or "another process". */

static void
rg_shm_holder( int    fd,
               char * buf,
               size_t buf_sz ) {
  snprintf( buf, buf_sz, "another process" );
  struct stat st;
  FILE * f = fstat( fd, &st ) ? NULL : fopen( "/proc/locks", "r" );
  if( !f ) return;
  char line[ 256 ];
  while( fgets( line, sizeof(line), f ) ) {
    char     type[ 16 ];
    long     pid;
    unsigned maj, min;
    uint64_t ino;
    /* "1: FLOCK  ADVISORY  WRITE 123 00:1a:4567 0 EOF"; waiters read "1: -> FLOCK ..." */
    if( sscanf( line, "%*d: %15s %*s %*s %ld %x:%x:%" SCNu64, type, &pid, &maj, &min, &ino )!=5 ) continue;
    if( strcmp( type, "FLOCK" ) || ino!=(uint64_t)st.st_ino || maj!=major( st.st_dev ) || min!=minor( st.st_dev ) ) continue;
    char path[ 64 ], comm[ 96 ] = "no longer running: the lock lives on in a process it passed the descriptor to";
    snprintf( path, sizeof(path), "/proc/%ld/comm", pid );
    FILE * c = fopen( path, "r" );
    if( c ) {
      if( fgets( comm, sizeof(comm), c ) ) comm[ strcspn( comm, "\n" ) ] = '\0';
      fclose( c );
    }
    snprintf( buf, buf_sz, "pid %ld (%s)", pid, comm );
    break;
  }
  fclose( f );
}

int
rg_shm_lock( rg_shm_t * shm ) {
  if( shm->fd<0 || !flock( shm->fd, LOCK_EX | LOCK_NB ) ) return RG_SUCCESS;
  if( errno!=EWOULDBLOCK ) return rg_err( RG_ERR_IO, "cannot lock %s: %s", shm->name, strerror( errno ) );
  char who[ 128 ];
  rg_shm_holder( shm->fd, who, sizeof(who) );
  return rg_err( RG_ERR_PERM, "%s is owned by %s: a pool has one owner (the process that created it, or the server "
                 "that serves it); stop that one first, or open the pool as a client", shm->name, who );
}

/* rg_shm_free_space: bytes an unprivileged writer may still take on the
   filesystem that holds path. */

static int
rg_shm_free_space( char const * path,
                   uint64_t *   avail ) {
  struct statvfs vfs;
  if( statvfs( path, &vfs ) ) return rg_err( RG_ERR_INVAL, "cannot check the free space of %s: %s", path, strerror( errno ) );
  *avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
  return RG_SUCCESS;
}

/* rg_shm_reserve gives a new file backing all of its blocks now, where
   its filesystem can (fallocate); elsewhere (9p, some network
   filesystems) it sizes the file and checks the free space instead:
   writing every block, as posix_fallocate would there, takes too long. */

static int
rg_shm_reserve( int          fd,
                char const * name,
                uint64_t     size ) {
  struct statvfs vfs;
  uint64_t avail = fstatvfs( fd, &vfs ) ? 0UL : (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
  int rc = fallocate( fd, 0, 0, (off_t)size ) ? errno : 0;
  if( rc==EOPNOTSUPP || rc==ENOSYS ) {
    if( ftruncate( fd, (off_t)size ) ) return rg_err( RG_ERR_IO, "cannot size %s to %lu bytes: %s", name, size, strerror( errno ) );
    rc = size>avail ? ENOSPC : 0;
  }
  if( !rc ) return RG_SUCCESS;
  if( rc!=ENOSPC && rc!=EDQUOT ) return rg_err( RG_ERR_IO, "cannot reserve %lu bytes for %s: %s", size, name, strerror( rc ) );
  return rg_err( RG_ERR_FULL, "the filesystem of %s is full: the pool needs %.2f GiB (%lu bytes) and %.2f GiB (%lu bytes) "
                 "were free; free space there, put the pool elsewhere, or ask for fewer volumes",
                 name, RG_SHM_GIB( size ), size, RG_SHM_GIB( avail ), avail );
}

rg_shm_t *
rg_shm_create( int          kind,
               char const * name,
               uint64_t     size,
               int *        opt_err ) {
  int err, dummy;
  int * e = opt_err ? opt_err : &dummy;
  if( !size ) { *e = rg_err( RG_ERR_INVAL, "region size is 0" ); return NULL; }
  if( kind==RG_SHM_ANON ) return rg_shm_map( -1, NULL, size, e );
  if( (kind!=RG_SHM_POSIX && kind!=RG_SHM_FILE) || !name || !name[0] ) {
    *e = rg_err( RG_ERR_INVAL, "bad shm kind %d or empty name", kind );
    return NULL;
  }
  if( kind==RG_SHM_POSIX && (*e = rg_shm_preflight( kind, name, size, RG_SHM_FIT_NEW )) ) return NULL;
  int fd = rg_shm_open_name( kind, name, O_RDWR | O_CREAT | O_EXCL );
  if( fd<0 ) {
    err  = errno;
    *e = rg_err( err==EEXIST ? RG_ERR_INVAL : RG_ERR_IO, "cannot create %s: %s%s", name, strerror( err ),
                 err==EEXIST ? " (attach to it, or remove it first)" : "" );
    return NULL;
  }
  /* the creator owns it from the start: a server that attaches before
     it is formatted is refused */
  if( flock( fd, LOCK_EX | LOCK_NB ) ) *e = rg_err( RG_ERR_IO, "cannot lock %s: %s", name, strerror( errno ) );
  else if( kind==RG_SHM_FILE ) *e = rg_shm_reserve( fd, name, size );
  else if( ftruncate( fd, (off_t)size ) ) *e = rg_err( RG_ERR_IO, "cannot size %s to %lu bytes: %s", name, size, strerror( errno ) );
  else *e = RG_SUCCESS;
  rg_shm_t * shm = *e ? NULL : rg_shm_map( fd, name, size, e );
  if( !shm ) {
    err = *e;
    close( fd );
    rg_shm_unlink( kind, name );
    *e = err;
  }
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
  else shm = rg_shm_map( fd, name, (uint64_t)st.st_size, e );
  if( !shm ) close( fd );
  return shm;
}

int
rg_shm_close( rg_shm_t * shm ) {
  if( !shm ) return rg_err( RG_ERR_INVAL, "NULL shm" );
  munmap( shm->mem.base, shm->mem.size );
  if( shm->fd>=0 ) close( shm->fd ); /* drops the owner lock, if held */
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

/* rg_shm_mem_available: MemAvailable of /proc/meminfo, in bytes. */

static int
rg_shm_mem_available( uint64_t * avail ) {
  FILE * f = fopen( "/proc/meminfo", "r" );
  if( !f ) return rg_err( RG_ERR_INVAL, "cannot read /proc/meminfo: %s", strerror( errno ) );
  char line[ 128 ];
  int  found = 0;
  while( !found && fgets( line, sizeof(line), f ) ) {
    uint64_t kib;
    if( sscanf( line, "MemAvailable: %" SCNu64 " kB", &kib )==1 ) { *avail = kib<<10; found = 1; }
  }
  fclose( f );
  return found ? RG_SUCCESS : rg_err( RG_ERR_INVAL, "/proc/meminfo has no MemAvailable line" );
}

/* rg_shm_can_lock_all: this process has CAP_IPC_LOCK (bit 14 of CapEff),
   so RLIMIT_MEMLOCK does not bound what it pins. */

static int
rg_shm_can_lock_all( void ) {
  FILE * f = fopen( "/proc/self/status", "r" );
  if( !f ) return 0;
  char line[ 128 ];
  unsigned long long caps = 0ULL;
  while( fgets( line, sizeof(line), f ) && sscanf( line, "CapEff: %llx", &caps )!=1 ) {}
  fclose( f );
  return !!(caps & (1ULL<<14));
}

static int
rg_shm_fit_pinned( uint64_t size ) {
  uint64_t avail;
  int err = rg_shm_mem_available( &avail );
  if( err ) return err;
  if( size>avail )
    return rg_err( RG_ERR_FULL, "the pool needs %.2f GiB of memory pinned (registered for RDMA) and this host has %.2f GiB "
                   "available (MemAvailable): ask for fewer volumes, or free memory", RG_SHM_GIB( size ), RG_SHM_GIB( avail ) );
  struct rlimit rl;
  if( getrlimit( RLIMIT_MEMLOCK, &rl ) || rl.rlim_cur==RLIM_INFINITY || size<=(uint64_t)rl.rlim_cur || rg_shm_can_lock_all() )
    return RG_SUCCESS;
  return rg_err( RG_ERR_FULL, "the pool needs %.2f GiB pinned (registered for RDMA) but this process may lock only %lu KiB "
                 "(ulimit -l): raise the limit (ulimit -l unlimited; LimitMEMLOCK=infinity for a systemd service; "
                 "memlock in /etc/security/limits.conf), run with CAP_IPC_LOCK, or ask for fewer volumes",
                 RG_SHM_GIB( size ), (uint64_t)rl.rlim_cur>>10 );
}

static int
rg_shm_fit_new( int          kind,
                char const * name,
                uint64_t     size ) {
  char dir[ 256 ] = "/dev/shm";
  if( kind==RG_SHM_FILE ) { /* the directory the file goes in */
    char const * slash = strrchr( name, '/' );
    if( !slash ) snprintf( dir, sizeof(dir), "." );
    else snprintf( dir, sizeof(dir), "%.*s", slash==name ? 1 : (int)(slash - name), name );
  }
  uint64_t avail;
  int err = rg_shm_free_space( dir, &avail );
  if( err || size<=avail ) return err;
  return rg_err( RG_ERR_FULL, "%s needs %.2f GiB (%lu bytes) and %s has %.2f GiB (%lu bytes) free: ask for fewer volumes, "
                 "free space there%s", name, RG_SHM_GIB( size ), size, dir, RG_SHM_GIB( avail ), avail,
                 kind==RG_SHM_POSIX ? ", or enlarge it (mount -o remount,size=SIZE /dev/shm)" : ", or put the pool elsewhere" );
}

int
rg_shm_preflight( int          kind,
                  char const * name,
                  uint64_t     size,
                  int          flags ) {
  if( kind!=RG_SHM_ANON && kind!=RG_SHM_POSIX && kind!=RG_SHM_FILE ) return rg_err( RG_ERR_INVAL, "bad shm kind %d", kind );
  if( !size || (flags & ~(RG_SHM_FIT_NEW | RG_SHM_FIT_PINNED)) ) return rg_err( RG_ERR_INVAL, "size 0 or bad flags %#x", (unsigned)flags );
  int named_new = (flags & RG_SHM_FIT_NEW) && kind!=RG_SHM_ANON;
  if( named_new && (!name || !name[0]) ) return rg_err( RG_ERR_INVAL, "a new named backing needs its name" );
  int err = named_new ? rg_shm_fit_new( kind, name, size ) : RG_SUCCESS;
  if( !err && (flags & RG_SHM_FIT_PINNED) ) err = rg_shm_fit_pinned( size );
  return err;
}
