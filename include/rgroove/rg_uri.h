#ifndef RGROOVE_RG_URI_H
#define RGROOVE_RG_URI_H

/* rg_uri.h: pool URIs, parsed in one place.

     anon                       anonymous shared memory (this process and
                                the children it forks afterwards)
     shm:/NAME                  a POSIX shared-memory object on this host
     file:PATH                  a file, mapped shared
     loop:anon, loop:shm:/NAME, loop:file:PATH
                                a local pool reached through the remote
                                code path (see rg_loop.h)
     SCHEME://HOST[:PORT][?device=NAME[:PORT]&gid=N]
                                a memory server over a network transport
                                (verbs, ucx: see rg_transport.h)

   The network options pick the RDMA device, its port and the GID index;
   a transport falls back on RGROOVE_DEVICE and RGROOVE_GID_INDEX, then
   on its own choice. */

#include "rg_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rg_uri {
  char     scheme[ 16 ];  /* "anon", "shm", "file", "loop", or a network scheme */
  char     inner [ 16 ];  /* loop: the local scheme inside ("anon", "shm", "file") */
  char     path  [ 256 ]; /* shm: "/NAME"; file: PATH (also inside loop:) */
  char     host  [ 128 ]; /* network: host name or address */
  uint16_t port;          /* network: 0 means the transport's default */
  char     device[ 64 ];  /* network: ?device=NAME[:PORT], "" if not given */
  int      gid_index;     /* network: ?gid=N, -1 if not given */
  char     text  [ 512 ]; /* the URI as given */
} rg_uri_t;

/* rg_uri_parse fills *uri from text.  Returns RG_SUCCESS or RG_ERR_INVAL
   (NULL arguments, an unknown form, a bad port, option or name, a part
   too long; rg_errmsg says which and shows the valid forms).  Pure and
   thread safe; reads no environment.  Whether a transport serves a
   network scheme is for rg_transport_find to say. */

int
rg_uri_parse( char const * text,
              rg_uri_t *   uri );

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_URI_H */
