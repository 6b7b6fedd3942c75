/* Client records: a join takes one when it joins, writes there what
   only it knows (the superblocks it holds, the operation it has in
   flight, the superblocks its frees are setting bits in, the one it
   made last and those a trim of its set aside) and gives it back when
   it leaves.  doc/architecture.md, "clients and their records". */

#include "rg_groove_private.h"

#include <time.h>

/* Records are read in chunks when looking for a free one: remotely one
   round trip per chunk, not per record. */
#define RG_CLIENT_SCAN (64UL)

int
rg_client_claim( rg_groove_t *    g,
                 uint32_t         id_kind,
                 uint64_t const * id ) {
  rg_mem_t const * m = g->mem;
  static __thread uint64_t state[ RG_CLIENT_SCAN*sizeof(rg_client_rec_t)/8UL ];
  uint64_t start = (g->cgroup_hint*2654435761UL) % g->client_max; /* spread joins over the table */
  for( uint64_t n=0UL; n<g->client_max; n+=RG_CLIENT_SCAN ) {
    uint64_t base = (start + n) % g->client_max;
    uint64_t cnt  = g->client_max - base < RG_CLIENT_SCAN ? g->client_max - base : RG_CLIENT_SCAN;
    int err = rg_mem_read( m, rg_groove_rec_off( g, base ), state, cnt*sizeof(rg_client_rec_t) );
    if( err ) return err;
    for( uint64_t i=0UL; i<cnt; i++ ) {
      uint64_t w = state[ i*sizeof(rg_client_rec_t)/8UL ];
      if( rg_rec_state( w )!=RG_CLIENT_FREE ) continue;
      uint64_t idx = base + i, rec = rg_groove_rec_off( g, idx ), old;
      err = rg_mem_cas( m, rec, w, rg_rec_word( rg_rec_gen( w ) + 1UL, 0UL, RG_CLIENT_LIVE ), &old );
      if( err ) return err;
      if( old!=w ) continue; /* another join took it first */
      /* then who we are: a live record without an identity yet is left
         alone by recovery (rg_client_recover.c) */
      rg_client_rec_t body = { .id_kind = id_kind, .id = { id[0], id[1] }, .joined = (uint64_t)time( NULL ), .cgroup = g->cgroup_hint };
      err = rg_mem_write_words( m, rec + 8UL, &body.id_kind, sizeof(body)/8UL - 1UL );
      if( err ) return err;
      g->rec   = rec;
      g->me    = idx + 1UL;
      g->mark  = g->me<<RG_SB_MARK_SHIFT;
      g->owner = rg_owner_id( g->me, rg_rec_gen( w ) + 1UL );
      g->dead  = rg_hdr_dead( g->me );
      for( uint64_t k=0UL; k<64UL; k++ ) g->own_run[k] = (uint32_t)g->owner;
      return RG_SUCCESS;
    }
  }
  return rg_err( RG_ERR_FULL, "every one of the %lu client records is taken: recover the clients that died "
                 "(rg_pool_recover_dead, or the server does it when they disconnect)", g->client_max );
}

/* rg_client_release: the record back to free, its words cleared first. */

int
rg_client_release( rg_groove_t * g ) {
  rg_mem_t const * m = g->mem;
  rg_client_rec_t body = {0};
  uint64_t w, old;
  int err = rg_mem_write_words( m, g->rec + 8UL, &body.id_kind, sizeof(body)/8UL - 1UL );
  if( !err ) err = rg_mem_load( m, g->rec, &w );
  if( !err && rg_rec_state( w )!=RG_CLIENT_LIVE )
    return rg_err( RG_ERR_CORRUPT, "client record %lu is no longer this join's (state %#lx): another client took it for dead", g->me - 1UL, w );
  if( !err ) err = rg_mem_cas( m, g->rec, w, rg_rec_word( rg_rec_gen( w ), 0UL, RG_CLIENT_FREE ), &old );
  if( !err ) err = rg_mem_fence( m );
  if( err ) return err;
  g->rec = g->me = g->mark = g->owner = g->dead = 0UL;
  return RG_SUCCESS;
}

int
rg_groove_clients( rg_groove_t const *   g,
                   rg_groove_client_fn_t fn,
                   void *                ctx ) {
  if( !g || !fn ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  static __thread rg_client_rec_t r[ RG_CLIENT_SCAN ];
  for( uint64_t base=0UL; base<g->client_max; base+=RG_CLIENT_SCAN ) {
    uint64_t cnt = g->client_max - base < RG_CLIENT_SCAN ? g->client_max - base : RG_CLIENT_SCAN;
    int err = rg_mem_read( g->mem, rg_groove_rec_off( g, base ), r, cnt*sizeof(rg_client_rec_t) );
    if( err ) return err;
    for( uint64_t i=0UL; i<cnt; i++ ) {
      uint64_t st = rg_rec_state( r[i].state );
      if( st==RG_CLIENT_FREE ) continue;
      rg_groove_client_info_t info = {
        .idx = base + i, .state = st==RG_CLIENT_LIVE ? RG_GROOVE_CLIENT_LIVE : RG_GROOVE_CLIENT_RECOVERING,
        .id_kind = (uint32_t)r[i].id_kind, .id = { r[i].id[0], r[i].id[1] }, .joined = r[i].joined,
        .owner = rg_owner_id( base + i + 1UL, rg_rec_gen( r[i].state ) ), .op = rg_op_code( r[i].op ),
      };
      for( uint64_t c=0UL; c<RG_GROOVE_HELD_SZC_CNT; c++ ) {
        info.held += !!r[i].held[c] + !!r[i].next[c];
        for( uint64_t k=0UL; k<RG_SPARE_CNT; k++ ) info.held += !!r[i].spare[c][k];
      }
      int ret = fn( ctx, &info );
      if( ret ) return ret;
    }
  }
  return RG_SUCCESS;
}
