/* rgroove-info's reading of a pool (rg_info_scan.h). */

#include "rg_info_scan.h"
#include "base/rg_proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Tallies: open addressing on the key; an entry with no object is
   empty (every tallied key has at least one). */

typedef struct {
  rg_info_tally_t * e;
  uint64_t          max, cnt;
} tally_t;

static uint64_t tally_hash( uint64_t key ) { return key*0x9e3779b97f4a7c15UL; }

static rg_info_tally_t *
tally_slot( rg_info_tally_t * e,
            uint64_t          max,
            uint64_t          key ) {
  for( uint64_t i=tally_hash( key ) & (max-1UL);; i = (i+1UL) & (max-1UL) )
    if( !e[i].objects || e[i].key==key ) return &e[i];
}

static int
tally_grow( tally_t * t ) {
  uint64_t max = t->max ? 2UL*t->max : 256UL;
  rg_info_tally_t * e = calloc( max, sizeof(rg_info_tally_t) );
  if( !e ) return RG_ERR_INVAL; /* out of memory */
  for( uint64_t i=0UL; i<t->max; i++ ) if( t->e[i].objects ) *tally_slot( e, max, t->e[i].key ) = t->e[i];
  free( t->e );
  t->e = e; t->max = max;
  return RG_SUCCESS;
}

static int
tally_add( tally_t * t,
           uint64_t  key,
           uint64_t  bytes ) {
  if( 2UL*(t->cnt + 1UL)>t->max && tally_grow( t ) ) return RG_ERR_INVAL;
  rg_info_tally_t * s = tally_slot( t->e, t->max, key );
  if( !s->objects ) { s->key = key; t->cnt++; }
  s->objects++;
  s->bytes += bytes;
  return RG_SUCCESS;
}

static rg_info_tally_t const *
tally_find( tally_t const * t,
            uint64_t        key ) {
  if( !t->max ) return NULL;
  rg_info_tally_t const * s = tally_slot( t->e, t->max, key );
  return s->objects ? s : NULL;
}

static int
tally_order( void const * va,
             void const * vb ) {
  rg_info_tally_t const * a = va, * b = vb;
  if( a->objects!=b->objects ) return a->objects>b->objects ? -1 : 1;
  if( a->bytes  !=b->bytes   ) return a->bytes  >b->bytes   ? -1 : 1;
  return a->key<b->key ? -1 : a->key>b->key;
}

/* tally_sorted compacts t's entries into a sorted array it hands over. */

static rg_info_tally_t *
tally_sorted( tally_t * t,
              uint64_t * cnt ) {
  uint64_t n = 0UL;
  for( uint64_t i=0UL; i<t->max; i++ ) if( t->e[i].objects ) t->e[ n++ ] = t->e[i];
  qsort( t->e, n, sizeof(rg_info_tally_t), tally_order );
  rg_info_tally_t * e = t->e;
  *cnt = n;
  t->e = NULL; t->max = t->cnt = 0UL;
  return e;
}

/* The client table ******************************************************/

typedef struct {
  rg_info_t * info;
  int         local;   /* the pool is on this host: process identities can be checked */
  uint64_t    max;
  int         err;
} clients_ctx_t;

static int
on_client( void *                          vctx,
           rg_groove_client_info_t const * rec ) {
  clients_ctx_t * x = vctx;
  rg_info_t * in = x->info;
  if( in->client_cnt==x->max ) {
    uint64_t max = x->max ? 2UL*x->max : 16UL;
    rg_info_client_t * p = realloc( in->client, max*sizeof(rg_info_client_t) );
    if( !p ) { snprintf( in->why, sizeof(in->why), "out of memory listing client records" ); x->err = RG_ERR_INVAL; return 1; }
    in->client = p; x->max = max;
  }
  rg_info_client_t * c = &in->client[ in->client_cnt++ ];
  *c = (rg_info_client_t){ .rec = *rec, .alive = -1 };
  if( x->local && rec->id_kind==RG_CONN_ID_PID ) c->alive = rg_proc_alive( rec->id );
  return 0;
}

static int
scan_clients( rg_groove_t const * g,
              rg_info_t *         in ) {
  clients_ctx_t x = { .info = in, .local = !strcmp( in->transport, "shm" ) || !strcmp( in->transport, "loop" ) };
  int err = rg_groove_clients( g, on_client, &x );
  return err==1 ? x.err : err;
}

/* The audit *************************************************************/

/* scan_usage runs the audit up to tries times while it finds the pool
   inconsistent (damage or leftovers a working client makes for an
   instant), a few milliseconds apart. */

static int
scan_usage( rg_groove_t const * g,
            uint64_t            tries,
            rg_info_t *         in ) {
  struct timespec pause = { 0, 20L*1000L*1000L };
  for( in->usage_tries=1UL;; in->usage_tries++ ) {
    in->usage_err = rg_groove_usage( g, &in->usage );
    if( !in->usage_err ) return RG_SUCCESS;
    snprintf( in->usage_msg, sizeof(in->usage_msg), "%s", rg_errmsg() );
    if( in->usage_err!=RG_ERR_CORRUPT && in->usage_err!=RG_ERR_AGAIN ) return in->usage_err; /* a transport failure */
    if( in->usage_tries>=tries ) return RG_SUCCESS; /* kept in usage_err */
    nanosleep( &pause, NULL );
  }
}

/* The walk **************************************************************/

typedef struct {
  rg_info_t * info;
  tally_t     tags, owners;
  int         err;
} walk_ctx_t;

/* obj_class: the class of the slot an object sits in.  Its usable
   range is its slot less the header, so the smallest class holding that
   many bytes is the slot's own; anything longer than class 30's slot is
   a span of class-31 slots. */

static uint64_t
obj_class( rg_groove_obj_info_t const * o ) {
  uint64_t usable = o->stop - o->start;
  if( usable>rg_groove_szc_cfg[ RG_GROOVE_SPAN_SZC-1UL ].obj_footprint ) return RG_GROOVE_SPAN_SZC;
  return rg_groove_szc( usable );
}

static int
on_object( void *                       vctx,
           rg_groove_obj_info_t const * o ) {
  walk_ctx_t * w = vctx;
  rg_info_t * in = w->info;
  uint64_t c = obj_class( o );
  in->objects++;        in->bytes        += o->sz;
  in->cls_objects[c]++; in->cls_bytes[c] += o->sz;
  if( (w->err = tally_add( &w->tags, o->tag, o->sz )) || (w->err = tally_add( &w->owners, o->owner, o->sz )) ) {
    snprintf( in->why, sizeof(in->why), "out of memory tallying %lu objects", in->objects );
    return 1;
  }
  return 0;
}

static int
scan_objects( rg_groove_t const * g,
              rg_info_t *         in ) {
  walk_ctx_t w = { .info = in };
  int err = rg_groove_walk( g, on_object, &w );
  if( err==1 ) err = w.err;
  if( !err ) {
    for( uint64_t i=0UL; i<in->client_cnt; i++ ) {
      rg_info_tally_t const * t = tally_find( &w.owners, in->client[i].rec.owner );
      if( t ) { in->client[i].objects = t->objects; in->client[i].bytes = t->bytes; }
    }
    in->tag = tally_sorted( &w.tags, &in->tag_cnt );
  }
  free( w.tags.e );
  free( w.owners.e );
  return err;
}

/* The scan **************************************************************/

int
rg_info_scan( char const * uri,
              uint64_t     usage_tries,
              rg_info_t *  in ) {
  memset( in, 0, sizeof(*in) );
  in->uri = uri;
  int err;
  rg_conn_t * conn = rg_transport_open( uri, 0UL, &err ); /* 0: open what exists, never create */
  if( !conn ) { snprintf( in->why, sizeof(in->why), "%s", rg_errmsg() ); return err; }
  in->transport = conn->tp->name;

  uint8_t ljoin[ RG_GROOVE_LJOIN_FOOTPRINT ] __attribute__((aligned(RG_GROOVE_LJOIN_ALIGN)));
  rg_groove_t * g = NULL;
  if( !(err = rg_region_query( &conn->mem, &in->region )) )
    g = rg_groove_join( ljoin, &conn->mem, &in->region, 0UL, 0U /* read-only */, NULL, &err );
  if( g && !(err = scan_clients( g, in )) && !(err = scan_usage( g, usage_tries ? usage_tries : 1UL, in )) )
    err = scan_objects( g, in );
  if( err && !in->why[0] ) snprintf( in->why, sizeof(in->why), "%s", rg_errmsg() );
  if( g ) rg_groove_leave( g ); /* a read-only join holds nothing to give back */
  conn->tp->stats( conn, &in->cost );
  conn->tp->close( conn );
  return err;
}

void
rg_info_fini( rg_info_t * in ) {
  free( in->client );
  free( in->tag );
  in->client = NULL; in->tag = NULL;
  in->client_cnt = in->tag_cnt = 0UL;
}

uint64_t
rg_info_attached( rg_info_t const * in ) {
  uint64_t n = 0UL;
  for( uint64_t i=0UL; i<in->client_cnt; i++ ) n += in->client[i].alive!=0 || in->client[i].rec.state!=RG_GROOVE_CLIENT_LIVE;
  return n;
}

uint64_t
rg_info_gone( rg_info_t const * in ) {
  return in->client_cnt - rg_info_attached( in );
}
