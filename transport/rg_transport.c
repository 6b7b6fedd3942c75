/* The transport registry: one line per transport (rg_transport.h). */

#include "rgroove/rg_transport.h"
#include "base/rg_err.h"

#include <string.h>

extern rg_transport_t const rg_transport_shm;
extern rg_transport_t const rg_transport_loop;
extern rg_transport_t const rg_transport_verbs;
extern rg_transport_t const rg_transport_ucx;

static rg_transport_t const * const rg_transports[] = {
  &rg_transport_shm,
  &rg_transport_loop,
  &rg_transport_verbs,
  &rg_transport_ucx,
};

#define RG_TRANSPORT_CNT (sizeof(rg_transports)/sizeof(rg_transports[0]))

rg_transport_t const *
rg_transport_at( uint64_t i ) {
  return i<RG_TRANSPORT_CNT ? rg_transports[ i ] : NULL;
}

/* rg_word_in: word is one of the space-separated words of list. */

static int
rg_word_in( char const * word,
            char const * list ) {
  uint64_t n = strlen( word );
  for( char const * p=list; p && *p; ) {
    char const * sp = strchr( p, ' ' );
    uint64_t     m  = sp ? (uint64_t)(sp - p) : strlen( p );
    if( m==n && !strncmp( p, word, n ) ) return 1;
    p = sp ? sp + 1 : NULL;
  }
  return 0;
}

rg_transport_t const *
rg_transport_find( char const * scheme_or_name ) {
  if( !scheme_or_name ) return NULL;
  for( uint64_t i=0UL; i<RG_TRANSPORT_CNT; i++ ) {
    rg_transport_t const * t = rg_transports[ i ];
    if( !strcmp( t->name, scheme_or_name ) || rg_word_in( scheme_or_name, t->schemes ) ) return t;
  }
  return NULL;
}

rg_conn_t *
rg_transport_open( char const * text,
                   uint64_t     create_size,
                   int *        err ) {
  rg_uri_t uri;
  if( (*err = rg_uri_parse( text, &uri )) ) return NULL;
  rg_transport_t const * t = rg_transport_find( uri.scheme );
  if( !t ) {
    *err = rg_err( RG_ERR_INVAL, "pool URI '%s': no transport serves '%s://' (rgroove-info --transports lists them)", text, uri.scheme );
    return NULL;
  }
  if( !t->built || !t->open ) {
    *err = rg_err( RG_ERR_INVAL, "pool URI '%s': this rgroove was built without the %s transport (%s)", text, t->name, t->summary );
    return NULL;
  }
  return t->open( &uri, create_size, err );
}
