/* The one parser of pool URIs (see rg_uri.h for the forms). */

#include "rgroove/rg_uri.h"
#include "rg_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
rg_uri_copy( char *       dst,
             uint64_t     dst_sz,
             char const * src,
             uint64_t     n,
             char const * uri,
             char const * what ) {
  if( n>=dst_sz ) return rg_err( RG_ERR_INVAL, "pool URI '%s': the %s is longer than %lu bytes", uri, what, dst_sz-1UL );
  memcpy( dst, src, n );
  dst[n] = '\0';
  return RG_SUCCESS;
}

/* rg_uri_local: anon, shm:/NAME or file:PATH (also the inside of loop:). */

static int
rg_uri_local( char const * s,
              rg_uri_t *   u,
              char const * uri ) {
  if( !strcmp( s, "anon" ) ) { strcpy( u->scheme, "anon" ); return RG_SUCCESS; }
  if( !strncmp( s, "shm:", 4 ) ) {
    char const * name = s + 4;
    if( name[0]!='/' || !name[1] || strchr( name + 1, '/' ) )
      return rg_err( RG_ERR_INVAL, "pool URI '%s': a shared-memory pool is shm:/NAME (one name, no further '/')", uri );
    strcpy( u->scheme, "shm" );
    return rg_uri_copy( u->path, sizeof(u->path), name, strlen( name ), uri, "name" );
  }
  if( !strncmp( s, "file:", 5 ) ) {
    if( !s[5] ) return rg_err( RG_ERR_INVAL, "pool URI '%s': a file pool is file:PATH", uri );
    strcpy( u->scheme, "file" );
    return rg_uri_copy( u->path, sizeof(u->path), s + 5, strlen( s + 5 ), uri, "path" );
  }
  return RG_ERR_KEY; /* not a local form */
}

/* rg_uri_options parses "k=v&k=v" after a network URI's '?'. */

static int
rg_uri_options( char const * s,
                rg_uri_t *   u,
                char const * uri ) {
  while( *s ) {
    char const * amp = strchr( s, '&' );
    uint64_t     n   = amp ? (uint64_t)(amp - s) : strlen( s );
    char const * eq  = memchr( s, '=', n );
    if( !eq ) return rg_err( RG_ERR_INVAL, "pool URI '%s': option '%.*s' has no value (use key=value)", uri, (int)n, s );
    uint64_t     kn  = (uint64_t)(eq - s);
    char const * v   = eq + 1;
    uint64_t     vn  = n - kn - 1UL;
    int err;
    if( kn==6 && !strncmp( s, "device", 6 ) ) {
      if( (err = rg_uri_copy( u->device, sizeof(u->device), v, vn, uri, "device" )) ) return err;
    } else if( kn==3 && !strncmp( s, "gid", 3 ) ) {
      char num[ 16 ], * end;
      if( (err = rg_uri_copy( num, sizeof(num), v, vn, uri, "gid index" )) ) return err;
      long gid = strtol( num, &end, 10 );
      if( !num[0] || *end || gid<0 || gid>255 )
        return rg_err( RG_ERR_INVAL, "pool URI '%s': gid=%s is not a GID index 0..255", uri, num );
      u->gid_index = (int)gid;
    } else {
      return rg_err( RG_ERR_INVAL, "pool URI '%s': unknown option '%.*s' (known: device, gid)", uri, (int)kn, s );
    }
    s += n + (amp ? 1UL : 0UL);
  }
  return RG_SUCCESS;
}

/* rg_uri_network: SCHEME://HOST[:PORT][?OPTIONS]. */

static int
rg_uri_network( char const * scheme,
                char const * s,
                rg_uri_t *   u,
                char const * uri ) {
  strcpy( u->scheme, scheme );
  char const * q    = strchr( s, '?' );
  uint64_t     n    = q ? (uint64_t)(q - s) : strlen( s );
  char const * col  = memchr( s, ':', n );
  uint64_t     hn   = col ? (uint64_t)(col - s) : n;
  int err;
  if( !hn ) return rg_err( RG_ERR_INVAL, "pool URI '%s': no host (use %s://HOST[:PORT])", uri, scheme );
  if( (err = rg_uri_copy( u->host, sizeof(u->host), s, hn, uri, "host" )) ) return err;
  if( col ) {
    char num[ 8 ], * end;
    if( (err = rg_uri_copy( num, sizeof(num), col + 1, n - hn - 1UL, uri, "port" )) ) return err;
    unsigned long port = strtoul( num, &end, 10 );
    if( !num[0] || *end || !port || port>65535UL )
      return rg_err( RG_ERR_INVAL, "pool URI '%s': bad port '%s' (use 1..65535)", uri, num );
    u->port = (uint16_t)port;
  }
  return q ? rg_uri_options( q + 1, u, uri ) : RG_SUCCESS;
}

int
rg_uri_parse( char const * text,
              rg_uri_t *   u ) {
  if( !text || !u ) return rg_err( RG_ERR_INVAL, "NULL pool URI" );
  memset( u, 0, sizeof(*u) );
  u->gid_index = -1;
  int err = rg_uri_copy( u->text, sizeof(u->text), text, strlen( text ), text, "URI" );
  if( err ) return err;
  if( !strncmp( text, "loop:", 5 ) ) {
    if( (err = rg_uri_local( text + 5, u, text ))==RG_ERR_KEY )
      return rg_err( RG_ERR_INVAL, "pool URI '%s': loop: takes a local pool (loop:anon, loop:shm:/NAME, loop:file:PATH)", text );
    if( err ) return err;
    if( (err = rg_uri_copy( u->inner, sizeof(u->inner), u->scheme, strlen( u->scheme ), text, "scheme" )) ) return err;
    strcpy( u->scheme, "loop" );
    return RG_SUCCESS;
  }
  if( (err = rg_uri_local( text, u, text ))!=RG_ERR_KEY ) return err;
  char const * sep = strstr( text, "://" );
  uint64_t     sn  = sep ? (uint64_t)(sep - text) : 0UL;
  if( sn && sn<sizeof(u->scheme) && strspn( text, "abcdefghijklmnopqrstuvwxyz0123456789" )==sn ) {
    char scheme[ sizeof(u->scheme) ];
    memcpy( scheme, text, sn );
    scheme[ sn ] = '\0';
    return rg_uri_network( scheme, sep + 3, u, text ); /* whether a transport serves it is the registry's call */
  }
  return rg_err( RG_ERR_INVAL, "unknown pool URI '%s': use anon, shm:/NAME, file:PATH, loop:LOCAL, verbs://HOST[:PORT] "
                 "or ucx://HOST[:PORT]", text );
}
