/* The admission token, from the environment (see rg_transport.h). */

#include "rgroove/rg_transport.h"
#include "rg_err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t  rg_token_own[ RG_TOKEN_MAX ];
static uint64_t rg_token_own_sz;

int
rg_token_set( void const * token,
              uint64_t     token_sz ) {
  if( token_sz>RG_TOKEN_MAX || (token_sz && !token) ) return rg_err( RG_ERR_INVAL, "a token is 0 to %lu bytes", RG_TOKEN_MAX );
  if( token_sz ) memcpy( rg_token_own, token, token_sz );
  rg_token_own_sz = token_sz;
  return RG_SUCCESS;
}

int
rg_token_load( void *     token,
               uint64_t   token_max,
               uint64_t * token_sz ) {
  char const * env  = getenv( "RGROOVE_TOKEN" );
  char const * path = getenv( "RGROOVE_TOKEN_FILE" );
  char buf[ 256 ];
  uint64_t n = 0UL;
  if( rg_token_own_sz ) {
    n = rg_token_own_sz;
    memcpy( buf, rg_token_own, n );
  } else if( env ) {
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
