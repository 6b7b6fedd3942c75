/* Requests in flight together over a live rgroove-server
   (RG_TEST_POOL=verbs://HOST:PORT, token in RGROOVE_TOKEN): chains of
   writes, a CAS publishing them, reads and FAAs in one post; results
   delivered by the wait and not before; partial waits; transfers larger
   than the transport's buffers; failures, local and remote; and the key
   one: one scripted sequence of rg_mem operations over loop:anon and
   over verbs gives the same counters and the same results.  Run by
   tests/rxe/check-rxe inside the rxe VM.

   The raw connections work inside one object allocated in the pool, so
   the pool stays sound for the server's verify at shutdown. */

#include "rg_test.h"
#include "rgroove/rgroove.h"
#include "transport/verbs/rg_verbs_private.h"

#include <string.h>

#define SCRATCH_SZ (4UL<<20) /* larger than the landing space and the ring together */
#define SENTINEL   (0x5a)

static char const *        uri;
static char                host[ 128 ];
static uint16_t            port;
static char const *        token;
static uint64_t            token_sz;
static rg_pool_t *         pool;
static rg_gaddr_t          scratch;
static uint64_t            base;     /* the scratch object's region offset */
static uint8_t             buf[ SCRATCH_SZ ], back[ SCRATCH_SZ ];

static void
parse_uri( void ) {
  snprintf( host, sizeof(host), "%s", uri + strlen( "verbs://" ) );
  char * colon = strrchr( host, ':' );
  port = RG_VERBS_PORT_DEFAULT;
  if( colon ) { port = (uint16_t)strtoul( colon + 1, NULL, 10 ); *colon = '\0'; }
}

static rg_verbs_client_t *
connect_raw( void ) {
  int err;
  rg_verbs_client_t * c = rg_verbs_client_connect( host, port, token, token_sz, 5000, &err );
  if( !c ) fprintf( stderr, "connect: %s\n", rg_errmsg() );
  return c;
}

static void
fill( uint8_t * p,
      uint64_t  n,
      uint64_t  seed ) {
  for( uint64_t i=0UL; i<n; i++ ) p[i] = (uint8_t)((seed*0x9e3779b97f4a7c15UL + i*0x2545f4914f6cdd1dUL)>>56);
}

/* zero the scratch object through the pool's own connection */
static void
zero_scratch( void ) {
  memset( buf, 0, SCRATCH_SZ );
  CU_ASSERT_EQUAL_FATAL( rg_pool_write( pool, scratch, buf, SCRATCH_SZ ), RG_SUCCESS );
}

static void
stats_delta( rg_verbs_client_t const * c,
             rg_mem_stats_t const *    before,
             rg_mem_stats_t *          d ) {
  rg_mem_stats_t now;
  rg_verbs_client_stats( c, &now );
  d->reads       = now.reads       - before->reads;
  d->writes      = now.writes      - before->writes;
  d->cas         = now.cas         - before->cas;
  d->cas_failed  = now.cas_failed  - before->cas_failed;
  d->faa         = now.faa         - before->faa;
  d->round_trips = now.round_trips - before->round_trips;
  d->doorbells   = now.doorbells   - before->doorbells;
}

/* One chain: two writes, a CAS publishing them, reads of what was
   written and of the flag, two FAAs.  Nothing reaches the caller before
   the wait; after it everything is in order, and another connection
   sees the published bytes.  Then writes after reads and atomics of the
   same bytes. */

static void
test_chain( void ) {
  zero_scratch();
  rg_verbs_client_t * c = connect_raw(), * other = connect_raw();
  CU_ASSERT_PTR_NOT_NULL_FATAL( c );
  CU_ASSERT_PTR_NOT_NULL_FATAL( other );
  rg_mem_t const * m = rg_verbs_client_mem( c );
  rg_verbs_qp_t * q = rg_verbs_client_qp( c );
  struct ibv_qp_attr      qa;
  struct ibv_qp_init_attr qi;
  CU_ASSERT_EQUAL_FATAL( ibv_query_qp( q->qp, &qa, IBV_QP_MAX_QP_RD_ATOMIC, &qi ), 0 );
  CU_ASSERT_EQUAL( qa.max_rd_atomic, (uint8_t)RG_MEM_INFLIGHT_RA ); /* negotiated: rxe allows 128 */
  uint8_t data[ 4096 ], small[ 100 ], rd[ 4096 ], rd_small[ 100 ];
  fill( data, sizeof(data), 1 );
  fill( small, sizeof(small), 2 );
  memset( rd, SENTINEL, sizeof(rd) );
  memset( rd_small, SENTINEL, sizeof(rd_small) );
  uint64_t flag = 0x5a5a5a5a5a5a5a5aUL, cas_old = 0x5a5a5a5a5a5a5a5aUL, faa1 = cas_old, faa2 = cas_old;
  uint64_t f_off = base + 8192UL, n_off = base + 8200UL;
  rg_mem_req_t req[] = {
    { .op = RG_MEM_OP_WRITE, .off = base,         .sz = sizeof(data),  .buf = data },
    { .op = RG_MEM_OP_WRITE, .off = base + 4096UL, .sz = sizeof(small), .buf = small },
    { .op = RG_MEM_OP_CAS,   .off = f_off, .cmp = 0UL, .swp = 0xabcUL, .old = &cas_old },
    { .op = RG_MEM_OP_READ,  .off = base,          .sz = sizeof(rd),       .buf = rd },
    { .op = RG_MEM_OP_READ,  .off = base + 4096UL, .sz = sizeof(rd_small), .buf = rd_small },
    { .op = RG_MEM_OP_FAA,   .off = n_off, .cmp = 5UL, .old = &faa1 },
    { .op = RG_MEM_OP_FAA,   .off = n_off, .cmp = 7UL, .old = &faa2 },
    { .op = RG_MEM_OP_READ,  .off = f_off,         .sz = 8UL,              .buf = &flag },
  };
  rg_mem_stats_t before, d;
  rg_verbs_client_stats( c, &before );
  uint64_t rings = q->rings, t = 0UL;
  CU_ASSERT_EQUAL_FATAL( rg_mem_post( m, req, 8UL, &t ), RG_SUCCESS );
  fill( data, sizeof(data), 3 ); /* the source was copied at the post */
  CU_ASSERT_EQUAL( q->rings - rings, 1UL );                              /* one doorbell */
  CU_ASSERT_EQUAL( cas_old, 0x5a5a5a5a5a5a5a5aUL );                      /* nothing before the wait */
  CU_ASSERT_EQUAL( faa1, 0x5a5a5a5a5a5a5a5aUL );
  CU_ASSERT_EQUAL( rd[0], SENTINEL );
  CU_ASSERT_EQUAL( rd[4095], SENTINEL );
  CU_ASSERT_EQUAL( flag, 0x5a5a5a5a5a5a5a5aUL );
  CU_ASSERT_EQUAL_FATAL( rg_mem_wait( m, t ), RG_SUCCESS );
  fill( data, sizeof(data), 1 );
  CU_ASSERT_EQUAL( memcmp( rd, data, sizeof(rd) ), 0 );
  CU_ASSERT_EQUAL( memcmp( rd_small, small, sizeof(small) ), 0 );
  CU_ASSERT_EQUAL( cas_old, 0UL );
  CU_ASSERT_EQUAL( faa1, 0UL );
  CU_ASSERT_EQUAL( faa2, 5UL );
  CU_ASSERT_EQUAL( flag, 0xabcUL );                                      /* executed in order */
  stats_delta( c, &before, &d );
  CU_ASSERT_EQUAL( d.writes, 2UL );
  CU_ASSERT_EQUAL( d.reads, 3UL );
  CU_ASSERT_EQUAL( d.cas, 1UL );
  CU_ASSERT_EQUAL( d.cas_failed, 0UL );
  CU_ASSERT_EQUAL( d.faa, 2UL );
  CU_ASSERT_EQUAL( d.round_trips, 1UL );
  CU_ASSERT_EQUAL( d.doorbells, 1UL );

  /* the other connection sees what the CAS published */
  uint64_t seen = 0UL, count = 0UL;
  rg_mem_t const * o = rg_verbs_client_mem( other );
  CU_ASSERT_EQUAL( rg_mem_load( o, f_off, &seen ), RG_SUCCESS );
  CU_ASSERT_EQUAL( seen, 0xabcUL );
  CU_ASSERT_EQUAL( rg_mem_read( o, base, back, sizeof(data) ), RG_SUCCESS );
  CU_ASSERT_EQUAL( memcmp( back, data, sizeof(data) ), 0 );
  CU_ASSERT_EQUAL( rg_mem_load( o, n_off, &count ), RG_SUCCESS );
  CU_ASSERT_EQUAL( count, 12UL );
  CU_ASSERT_EQUAL( rg_verbs_client_disconnect( other ), RG_SUCCESS );

  /* a write after a read or atomic of the same bytes does not pass it
     (it goes with IBV_SEND_FENCE); a write elsewhere is not held back */
  uint64_t x_off = base + 8448UL, y_off = base + 8456UL, z_off = base + 8464UL;
  uint64_t one = 1UL, two = 2UL, nine = 9UL, r1 = 0UL, r2 = 0UL, y_old = 7UL, y_now = 0UL;
  rg_mem_req_t w0[ 2 ] = { { .op = RG_MEM_OP_WRITE, .off = x_off, .sz = 8UL, .buf = &one },
                           { .op = RG_MEM_OP_WRITE, .off = y_off, .sz = 8UL, .buf = &one } };
  CU_ASSERT_EQUAL( rg_mem_post( m, w0, 2UL, &t ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_mem_wait( m, t ), RG_SUCCESS );
  rg_mem_req_t order[] = {
    { .op = RG_MEM_OP_READ,  .off = x_off, .sz = 8UL, .buf = &r1 },
    { .op = RG_MEM_OP_WRITE, .off = z_off, .sz = 8UL, .buf = &nine },  /* elsewhere: not fenced */
    { .op = RG_MEM_OP_WRITE, .off = x_off, .sz = 8UL, .buf = &two },   /* after the read of x: fenced */
    { .op = RG_MEM_OP_READ,  .off = x_off, .sz = 8UL, .buf = &r2 },
    { .op = RG_MEM_OP_FAA,   .off = y_off, .cmp = 5UL, .old = &y_old },
    { .op = RG_MEM_OP_WRITE, .off = y_off, .sz = 8UL, .buf = &nine },  /* after the FAA of y: fenced */
    { .op = RG_MEM_OP_READ,  .off = y_off, .sz = 8UL, .buf = &y_now },
  };
  uint64_t fenced = q->fenced;
  CU_ASSERT_EQUAL_FATAL( rg_mem_post( m, order, 7UL, &t ), RG_SUCCESS );
  CU_ASSERT_EQUAL( q->fenced - fenced, 2UL );
  CU_ASSERT_EQUAL( rg_mem_wait( m, t ), RG_SUCCESS );
  CU_ASSERT_EQUAL( r1, 1UL );
  CU_ASSERT_EQUAL( r2, 2UL );
  CU_ASSERT_EQUAL( y_old, 1UL );
  CU_ASSERT_EQUAL( y_now, 9UL );
  CU_ASSERT_EQUAL( rg_verbs_client_disconnect( c ), RG_SUCCESS );
}

/* A wait delivers what it covers and nothing later; waiting again costs
   nothing; a ticket never handed out is refused. */

static void
test_partial_waits( void ) {
  rg_verbs_client_t * c = connect_raw();
  CU_ASSERT_PTR_NOT_NULL_FATAL( c );
  rg_mem_t const * m = rg_verbs_client_mem( c );
  uint64_t w[ 2 ] = { 11UL, 22UL }, a = 0UL, b = 0UL, old = 0UL;
  CU_ASSERT_EQUAL( rg_mem_write( m, base, w, 16UL ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_mem_fence( m ), RG_SUCCESS );
  rg_mem_req_t ra = { .op = RG_MEM_OP_READ, .off = base, .sz = 8UL, .buf = &a };
  rg_mem_req_t rb[ 2 ] = { { .op = RG_MEM_OP_READ, .off = base + 8UL, .sz = 8UL, .buf = &b },
                           { .op = RG_MEM_OP_FAA, .off = base + 8UL, .cmp = 1UL, .old = &old } };
  rg_mem_stats_t before, d;
  rg_verbs_client_stats( c, &before );
  uint64_t ta, tb;
  CU_ASSERT_EQUAL_FATAL( rg_mem_post( m, &ra, 1UL, &ta ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_mem_post( m, rb, 2UL, &tb ), RG_SUCCESS );
  CU_ASSERT_EQUAL( tb, ta + 2UL );
  CU_ASSERT_EQUAL( rg_mem_wait( m, ta ), RG_SUCCESS );
  CU_ASSERT_EQUAL( a, 11UL );
  CU_ASSERT_EQUAL( b, 0UL );   /* not covered yet */
  CU_ASSERT_EQUAL( old, 0UL );
  CU_ASSERT_EQUAL( rg_mem_wait( m, tb ), RG_SUCCESS );
  CU_ASSERT_EQUAL( b, 22UL );
  CU_ASSERT_EQUAL( old, 22UL );
  CU_ASSERT_EQUAL( rg_mem_wait( m, ta ), RG_SUCCESS ); /* covered already: no round trip */
  CU_ASSERT_EQUAL( rg_mem_wait( m, tb ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_mem_wait( m, tb + 1UL ), RG_ERR_INVAL );
  stats_delta( c, &before, &d );
  CU_ASSERT_EQUAL( d.round_trips, 2UL );
  CU_ASSERT_EQUAL( d.doorbells, 2UL );
  CU_ASSERT_EQUAL( rg_verbs_client_disconnect( c ), RG_SUCCESS );
}

/* Transfers beyond the landing space and the ring: a 3 MiB write in one
   request, then three large reads in one post (their results wait on
   the heap for the wait), and a synchronous 4 MiB read. */

static void
test_large( void ) {
  rg_verbs_client_t * c = connect_raw();
  CU_ASSERT_PTR_NOT_NULL_FATAL( c );
  rg_mem_t const * m = rg_verbs_client_mem( c );
  uint64_t big = 3UL<<20, half = big/2UL;
  fill( buf, SCRATCH_SZ, 7 );
  uint64_t t;
  rg_mem_req_t w = { .op = RG_MEM_OP_WRITE, .off = base, .sz = SCRATCH_SZ, .buf = buf };
  CU_ASSERT_EQUAL_FATAL( rg_mem_post( m, &w, 1UL, &t ), RG_SUCCESS );
  static uint8_t r1[ 3UL<<20 ], r2[ 3UL<<20 ], r3[ 3UL<<20 ];
  memset( r1, SENTINEL, sizeof(r1) );
  memset( r2, SENTINEL, sizeof(r2) );
  memset( r3, SENTINEL, sizeof(r3) );
  rg_mem_req_t r[ 3 ] = { { .op = RG_MEM_OP_READ, .off = base,        .sz = half, .buf = r1 },
                          { .op = RG_MEM_OP_READ, .off = base + half, .sz = half, .buf = r2 },
                          { .op = RG_MEM_OP_READ, .off = base,        .sz = big,  .buf = r3 } };
  CU_ASSERT_EQUAL_FATAL( rg_mem_post( m, r, 3UL, &t ), RG_SUCCESS );
  CU_ASSERT_EQUAL( r1[0], SENTINEL );
  CU_ASSERT_EQUAL( r3[big-1UL], SENTINEL );
  CU_ASSERT_EQUAL_FATAL( rg_mem_wait( m, t ), RG_SUCCESS );
  CU_ASSERT_EQUAL( memcmp( r1, buf, half ), 0 );
  CU_ASSERT_EQUAL( memcmp( r2, buf + half, half ), 0 );
  CU_ASSERT_EQUAL( memcmp( r3, buf, big ), 0 );
  memset( back, 0, SCRATCH_SZ );
  CU_ASSERT_EQUAL( rg_mem_read( m, base, back, SCRATCH_SZ ), RG_SUCCESS );
  CU_ASSERT_EQUAL( memcmp( back, buf, SCRATCH_SZ ), 0 );
  rg_mem_stats_t st;
  rg_verbs_client_stats( c, &st );
  CU_ASSERT_EQUAL( st.reads, 4UL );      /* requests, not work requests */
  CU_ASSERT_EQUAL( st.bytes_read, big + big + SCRATCH_SZ );
  CU_ASSERT_EQUAL( st.round_trips, 2UL );
  CU_ASSERT_EQUAL( rg_verbs_client_disconnect( c ), RG_SUCCESS );
}

/* 40 FAAs in one post: the in-flight rule waits after 16 and after 32
   (two round trips) and the chain goes out in three doorbells. */

static void
test_inflight_limit( void ) {
  rg_verbs_client_t * c = connect_raw();
  CU_ASSERT_PTR_NOT_NULL_FATAL( c );
  rg_mem_t const * m = rg_verbs_client_mem( c );
  rg_verbs_qp_t * q = rg_verbs_client_qp( c );
  uint64_t start, old[ 40 ], t;
  CU_ASSERT_EQUAL( rg_mem_load( m, base + 64UL, &start ), RG_SUCCESS );
  rg_mem_req_t r[ 40 ];
  for( int i=0; i<40; i++ ) r[i] = (rg_mem_req_t){ .op = RG_MEM_OP_FAA, .off = base + 64UL, .cmp = 1UL, .old = &old[i] };
  rg_mem_stats_t before, d;
  rg_verbs_client_stats( c, &before );
  uint64_t rings = q->rings;
  CU_ASSERT_EQUAL_FATAL( rg_mem_post( m, r, 40UL, &t ), RG_SUCCESS );
  stats_delta( c, &before, &d );
  CU_ASSERT_EQUAL( d.round_trips, 2UL );
  CU_ASSERT_EQUAL( q->rings - rings, 3UL );
  CU_ASSERT_EQUAL( rg_mem_wait( m, t ), RG_SUCCESS );
  for( int i=0; i<40; i++ ) CU_ASSERT_EQUAL( old[i], start + (uint64_t)i );
  stats_delta( c, &before, &d );
  CU_ASSERT_EQUAL( d.round_trips, 3UL );
  CU_ASSERT_EQUAL( d.faa, 40UL );
  CU_ASSERT_EQUAL( d.doorbells, 1UL );
  CU_ASSERT_EQUAL( rg_verbs_client_disconnect( c ), RG_SUCCESS );
}

/* The scripted sequence: every rule of rg_mem.h's count once at least.
   Offsets are relative to b; *h hashes every result delivered. */

static void
hash( uint64_t *   h,
      void const * p,
      uint64_t     n ) {
  for( uint64_t i=0UL; i<n; i++ ) *h = (*h ^ ((uint8_t const *)p)[i]) * 0x100000001b3UL;
}

static int
script( rg_mem_t const * m,
        uint64_t         b,
        uint64_t *       h ) {
  static uint8_t src[ 160UL<<10 ], dst[ 4096 ];
  uint64_t old = 0UL, t, t2, v[ 32 ];
  int err = 0;
  fill( src, sizeof(src), 11 );
  /* synchronous operations */
  err |= rg_mem_write( m, b, src, 64UL );
  err |= rg_mem_fence( m );                                   /* writes outstanding: a round trip */
  err |= rg_mem_fence( m );                                   /* none: nothing */
  err |= rg_mem_read( m, b, dst, 64UL );            hash( h, dst, 64UL );
  err |= rg_mem_cas( m, b + 4096UL, 0UL, 1UL, &old ); hash( h, &old, 8UL );
  err |= rg_mem_cas( m, b + 4096UL, 0UL, 2UL, &old ); hash( h, &old, 8UL ); /* fails: counted */
  err |= rg_mem_faa( m, b + 4104UL, 3UL, &old );    hash( h, &old, 8UL );
  old = 1UL;
  err |= rg_mem_xchg( m, b + 4096UL, 9UL, &old );   hash( h, &old, 8UL );   /* a wrong guess: one CAS more */
  old = 0UL;
  err |= rg_mem_fetch_set_bit( m, b + 4112UL, 4UL, &old ); hash( h, &old, 8UL );
  /* 20 atomics in one post: the RA limit waits once inside it */
  rg_mem_req_t r[ 80 ];
  for( int i=0; i<20; i++ ) r[i] = (rg_mem_req_t){ .op = i&1 ? RG_MEM_OP_FAA : RG_MEM_OP_CAS, .off = b + 4120UL,
                                                   .cmp = (uint64_t)i, .swp = (uint64_t)i + 100UL, .old = &v[ i%16 ] };
  err |= rg_mem_post( m, r, 20UL, &t );
  err |= rg_mem_wait( m, t );                        hash( h, v, sizeof(v[0])*16UL );
  /* 70 small writes in one post: the WR limit waits once; then an older ticket, then the newest */
  for( int i=0; i<70; i++ ) r[i] = (rg_mem_req_t){ .op = RG_MEM_OP_WRITE, .off = b + 8192UL + 16UL*(uint64_t)i, .sz = 16UL,
                                                   .buf = src + 16*i };
  err |= rg_mem_post( m, r, 70UL, &t );
  err |= rg_mem_wait( m, t - 3UL );
  err |= rg_mem_wait( m, t );
  /* writes of 100 KiB: the byte limit waits before the third */
  for( int i=0; i<5; i++ ) {
    rg_mem_req_t w = { .op = RG_MEM_OP_WRITE, .off = b + (64UL<<10) + (uint64_t)i*(100UL<<10), .sz = 100UL<<10, .buf = src };
    err |= rg_mem_post( m, &w, 1UL, &t );
  }
  err |= rg_mem_fence( m );
  /* a mixed chain, waited for in two steps */
  uint64_t a = 0UL, c = 0UL;
  rg_mem_req_t mix[ 4 ] = {
    { .op = RG_MEM_OP_WRITE, .off = b + 4200UL, .sz = 8UL, .buf = src },
    { .op = RG_MEM_OP_CAS,   .off = b + 4208UL, .cmp = 0UL, .swp = 5UL, .old = &a },
    { .op = RG_MEM_OP_READ,  .off = b + 4200UL, .sz = 16UL, .buf = dst },
    { .op = RG_MEM_OP_FAA,   .off = b + 4208UL, .cmp = 2UL, .old = &c },
  };
  err |= rg_mem_post( m, mix, 4UL, &t );
  err |= rg_mem_wait( m, t - 2UL );                  hash( h, &a, 8UL );
  err |= rg_mem_wait( m, t );                        hash( h, dst, 16UL ); hash( h, &c, 8UL );
  /* two posts, waited for out of order and twice */
  rg_mem_req_t rd[ 3 ];
  for( int i=0; i<3; i++ ) rd[i] = (rg_mem_req_t){ .op = RG_MEM_OP_READ, .off = b + 8192UL + 64UL*(uint64_t)i, .sz = 64UL,
                                                   .buf = dst + 64*i };
  err |= rg_mem_post( m, rd, 2UL, &t );
  err |= rg_mem_post( m, rd + 2, 1UL, &t2 );
  err |= rg_mem_wait( m, t2 );
  err |= rg_mem_wait( m, t );
  err |= rg_mem_wait( m, t2 );                       hash( h, dst, 192UL );
  /* 17 reads: the RA limit once more; a write then a fence */
  for( int i=0; i<17; i++ ) r[i] = (rg_mem_req_t){ .op = RG_MEM_OP_READ, .off = b + 8192UL + 8UL*(uint64_t)i, .sz = 8UL,
                                                   .buf = &v[ i%16 ] };
  err |= rg_mem_post( m, r, 17UL, &t );
  err |= rg_mem_store( m, b + 4300UL, 77UL );
  err |= rg_mem_wait( m, t );                        hash( h, v, sizeof(v[0])*16UL );
  err |= rg_mem_fence( m );                          /* the wait on the newest ticket covered the store */
  err |= rg_mem_store( m, b + 4304UL, 78UL );
  err |= rg_mem_fence( m );
  err |= rg_mem_read( m, b + (64UL<<10), dst, 4096UL ); hash( h, dst, 4096UL );
  return err;
}

static void
test_counts_match_loop( void ) {
  int err;
  rg_conn_t * lc = rg_transport_open( "loop:anon", 1UL<<20, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( lc );
  zero_scratch();
  rg_verbs_client_t * c = connect_raw();
  CU_ASSERT_PTR_NOT_NULL_FATAL( c );
  uint64_t hl = 0xcbf29ce484222325UL, hv = hl;
  CU_ASSERT_EQUAL( script( &lc->mem, 0UL, &hl ), 0 );
  CU_ASSERT_EQUAL( script( rg_verbs_client_mem( c ), base, &hv ), 0 );
  rg_mem_stats_t sl, sv;
  lc->tp->stats( lc, &sl );
  rg_verbs_client_stats( c, &sv );
  printf( "\n  %-6s %6s %6s %6s %6s %6s %6s %9s %9s %6s\n", "stats", "reads", "writes", "cas", "failed", "faa", "trips",
          "bytes_rd", "bytes_wr", "bells" );
  rg_mem_stats_t const * s[ 2 ] = { &sl, &sv };
  for( int i=0; i<2; i++ )
    printf( "  %-6s %6lu %6lu %6lu %6lu %6lu %6lu %9lu %9lu %6lu\n", i ? "verbs" : "loop", s[i]->reads, s[i]->writes, s[i]->cas,
            s[i]->cas_failed, s[i]->faa, s[i]->round_trips, s[i]->bytes_read, s[i]->bytes_written, s[i]->doorbells );
  printf( "  results hash: loop %016lx, verbs %016lx\n", hl, hv );
  CU_ASSERT_EQUAL( sl.reads, sv.reads );
  CU_ASSERT_EQUAL( sl.writes, sv.writes );
  CU_ASSERT_EQUAL( sl.cas, sv.cas );
  CU_ASSERT_EQUAL( sl.cas_failed, sv.cas_failed );
  CU_ASSERT_EQUAL( sl.faa, sv.faa );
  CU_ASSERT_EQUAL( sl.round_trips, sv.round_trips );
  CU_ASSERT_EQUAL( sl.bytes_read, sv.bytes_read );
  CU_ASSERT_EQUAL( sl.bytes_written, sv.bytes_written );
  CU_ASSERT_EQUAL( sl.doorbells, sv.doorbells );
  CU_ASSERT_EQUAL( hl, hv );
  CU_ASSERT( sl.round_trips>0UL && sl.cas_failed>0UL ); /* the script did exercise them */
  CU_ASSERT_EQUAL( rg_verbs_client_disconnect( c ), RG_SUCCESS );
  lc->tp->close( lc );
}

/* Refused before the wire: nothing posted, nothing counted, the
   connection still works. */

static void
test_local_reject( void ) {
  rg_verbs_client_t * c = connect_raw();
  CU_ASSERT_PTR_NOT_NULL_FATAL( c );
  rg_mem_t const * m = rg_verbs_client_mem( c );
  rg_mem_stats_t before, after;
  rg_verbs_client_stats( c, &before );
  uint64_t v = 0UL, t = 12345UL;
  rg_mem_req_t ok  = { .op = RG_MEM_OP_READ, .off = base, .sz = 8UL, .buf = &v };
  rg_mem_req_t bad[ 3 ][ 2 ] = {
    { ok, { .op = RG_MEM_OP_READ, .off = m->size - 4UL, .sz = 8UL, .buf = &v } },   /* past the region's end */
    { ok, { .op = RG_MEM_OP_CAS,  .off = base + 4UL, .old = &v } },                 /* misaligned atomic */
    { ok, { .op = 9U, .off = base } },                                                /* no such op */
  };
  for( int i=0; i<3; i++ ) {
    CU_ASSERT_EQUAL( rg_mem_post( m, bad[i], 2UL, &t ), RG_ERR_INVAL );
    printf( "%s  refused: %s", i ? "" : "\n", rg_errmsg() );
    printf( "\n" );
  }
  CU_ASSERT_EQUAL( t, 12345UL );
  rg_verbs_client_stats( c, &after );
  CU_ASSERT_EQUAL( memcmp( &before, &after, sizeof(before) ), 0 );
  CU_ASSERT_EQUAL( rg_mem_post( m, &ok, 1UL, &t ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_mem_wait( m, t ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_verbs_client_disconnect( c ), RG_SUCCESS );
}

/* A request the server refuses (a key it never gave out): the wait that
   covers it says so with the verbs status, earlier requests keep their
   results, and nothing more is posted. */

static void
test_remote_error( void ) {
  rg_verbs_client_t * c = connect_raw();
  CU_ASSERT_PTR_NOT_NULL_FATAL( c );
  rg_mem_t const * m = rg_verbs_client_mem( c );
  rg_verbs_qp_t * q = rg_verbs_client_qp( c );
  uint64_t w = 0x1234UL, a = 0UL, b = 0UL, ta, tb;
  CU_ASSERT_EQUAL( rg_mem_write( m, base, &w, 8UL ), RG_SUCCESS );
  rg_mem_req_t ra = { .op = RG_MEM_OP_READ, .off = base, .sz = 8UL, .buf = &a };
  rg_mem_req_t rb = { .op = RG_MEM_OP_READ, .off = base, .sz = 8UL, .buf = &b };
  CU_ASSERT_EQUAL_FATAL( rg_mem_post( m, &ra, 1UL, &ta ), RG_SUCCESS );
  uint32_t rkey = q->rkey;
  q->rkey = rkey ^ 0x00ffff00U; /* tests only: a key the server never handed out */
  CU_ASSERT_EQUAL_FATAL( rg_mem_post( m, &rb, 1UL, &tb ), RG_SUCCESS );
  q->rkey = rkey;
  CU_ASSERT_EQUAL( rg_mem_wait( m, ta ), RG_SUCCESS );
  CU_ASSERT_EQUAL( a, 0x1234UL );
  int err = rg_mem_wait( m, tb );
  CU_ASSERT_EQUAL( err, RG_ERR_IO );
  printf( "\n  bad key: %s\n", rg_errmsg() );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "remote access error" ) );
  CU_ASSERT_EQUAL( b, 0UL );
  CU_ASSERT_EQUAL( rg_mem_post( m, &ra, 1UL, &ta ), RG_ERR_IO );
  printf( "  then: %s\n", rg_errmsg() );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "failed earlier" ) );
  CU_ASSERT_EQUAL( rg_verbs_client_disconnect( c ), RG_SUCCESS );
  /* the server serves others as before */
  rg_verbs_client_t * d = connect_raw();
  CU_ASSERT_PTR_NOT_NULL_FATAL( d );
  CU_ASSERT_EQUAL( rg_mem_load( rg_verbs_client_mem( d ), base, &a ), RG_SUCCESS );
  CU_ASSERT_EQUAL( a, 0x1234UL );
  CU_ASSERT_EQUAL( rg_verbs_client_disconnect( d ), RG_SUCCESS );
}

int
main( void ) {
  uri = getenv( "RG_TEST_POOL" );
  if( !uri || strncmp( uri, "verbs://", 8 ) ) {
    fprintf( stderr, "test_verbs_post: set RG_TEST_POOL=verbs://HOST:PORT (tests/rxe/check-rxe does)\n" );
    return 77; /* automake: skipped */
  }
  parse_uri();
  token    = getenv( "RGROOVE_TOKEN" );
  token_sz = token ? strlen( token ) : 0UL;
  int err;
  if( !(pool = rg_pool_open( uri, 0UL, &err )) ) { fprintf( stderr, "test_verbs_post: %s\n", rg_errmsg() ); return 1; }
  if( rg_pool_alloc( pool, 0UL, SCRATCH_SZ, 0x7e57UL, &scratch ) ) {
    fprintf( stderr, "test_verbs_post: %s\n", rg_errmsg() );
    rg_pool_close( pool );
    return 1;
  }
  base = rg_gaddr_off( scratch );
  static rg_test_t const tests[] = {
    { "one chain: writes, CAS publishing them, reads, FAAs",     test_chain             },
    { "a wait delivers what it covers, nothing later",           test_partial_waits     },
    { "transfers beyond the landing space and the ring",         test_large             },
    { "40 atomics in one post: the in-flight rule",              test_inflight_limit    },
    { "one script over loop: and verbs: the same counters",      test_counts_match_loop },
    { "bad requests refused locally, nothing counted",           test_local_reject      },
    { "a request the server refuses: reported by the wait",      test_remote_error      },
    { NULL, NULL }
  };
  int rc = rg_test_main( "verbs post", tests );
  if( rg_pool_free( pool, scratch ) ) { fprintf( stderr, "test_verbs_post: free: %s\n", rg_errmsg() ); rc = 1; }
  rg_pool_close( pool );
  return rc;
}
