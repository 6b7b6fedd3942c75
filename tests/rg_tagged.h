#ifndef RGROOVE_TESTS_RG_TAGGED_H
#define RGROOVE_TESTS_RG_TAGGED_H

/* Shared by the kill tests (test_kill, soak), with or without CUnit: a
   random stream, and objects whose bytes follow from their tag, so that
   whoever holds an address can check the object without knowing who
   wrote it. */

#include "rgroove/rgroove.h"

#include <stdint.h>

/* xorshift64*: a reproducible random stream per test and worker. */

static inline uint64_t
rg_test_rand( uint64_t * s ) {
  uint64_t x = *s;
  x ^= x>>12; x ^= x<<25; x ^= x>>27;
  *s = x;
  return x*0x2545f4914f6cdd1dUL;
}

#define RG_TAGGED_SZ_MAX (131072UL) /* the largest object rg_tagged_* handle */

static inline uint8_t rg_tagged_byte( uint64_t tag, uint64_t i ) { return (uint8_t)((tag>>((i & 7UL)*8UL)) ^ i); }

/* rg_tagged_fill writes the sz bytes of the object at a (sz at most
   RG_TAGGED_SZ_MAX) as its tag says. */

static inline int
rg_tagged_fill( rg_pool_t * p,
                rg_gaddr_t  a,
                uint64_t    sz,
                uint64_t    tag ) {
  static __thread uint8_t buf[ RG_TAGGED_SZ_MAX ];
  for( uint64_t i=0UL; i<sz; i++ ) buf[i] = rg_tagged_byte( tag, i );
  return rg_pool_write( p, a, buf, sz );
}

/* rg_tagged_intact: the object at a is live and holds the bytes its
   size and tag (rg_pool_info) say. */

static inline int
rg_tagged_intact( rg_pool_t * p,
                  rg_gaddr_t  a ) {
  static __thread uint8_t buf[ RG_TAGGED_SZ_MAX ];
  rg_groove_obj_info_t info;
  if( rg_pool_info( p, a, &info ) || info.sz>sizeof(buf) || rg_pool_read( p, a, buf, info.sz ) ) return 0;
  for( uint64_t i=0UL; i<info.sz; i++ ) if( buf[i]!=rg_tagged_byte( info.tag, i ) ) return 0;
  return 1;
}

#endif /* RGROOVE_TESTS_RG_TAGGED_H */
