/* The pool handle: one or more servers, each a URI opened on a
   transport plus a groove join.  Global addresses name the server by
   its index in the handle. */

#include "rgroove/rg_pool.h"
#include "base/rg_err.h"
#include "base/rg_proc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct rg_pool_server {
  uint8_t       ljoin[ RG_GROOVE_LJOIN_FOOTPRINT ] __attribute__((aligned(128)));
  rg_conn_t *   conn;   /* this handle's own: a shared mapping, or a connection */
  rg_groove_t * groove;
} rg_pool_server_t;

struct rg_pool {
  uint64_t         server_cnt;
  uint64_t         next;        /* round-robin cursor */
  uint64_t         cgroup_hint;
  rg_pool_server_t server[];    /* own cache lines: each join is written on every alloc */
};

static rg_pool_t *
rg_pool_alloc_handle( uint64_t server_cnt,
                      uint64_t cgroup_hint,
                      int *    err ) {
  uint64_t sz = sizeof(rg_pool_t) + server_cnt*sizeof(rg_pool_server_t);
  rg_pool_t * pool = aligned_alloc( 128UL, (sz + 127UL) & ~127UL );
  if( !pool ) { *err = rg_err( RG_ERR_IO, "out of memory" ); return NULL; }
  memset( pool, 0, sz );
  pool->server_cnt  = server_cnt;
  pool->cgroup_hint = cgroup_hint;
  return pool;
}

/* rg_pool_server_join joins server s of a handle over conn, which it
   then owns (closed on failure too). */

static int
rg_pool_server_join( rg_pool_server_t * s,
                     rg_conn_t *        conn,
                     uint64_t           cgroup_hint ) {
  int err;
  s->groove = rg_region_join( s->ljoin, &conn->mem, cgroup_hint, conn->id_kind, conn->id, &err );
  if( !s->groove ) { conn->tp->close( conn ); return err; }
  s->conn = conn;
  return RG_SUCCESS;
}

/* A server that is checking the pool turns connects away for that
   moment (RG_ERR_AGAIN): a program started then waits rather than
   fails.  The check itself is bounded (rgroove-server waits a few
   seconds for clients to go, then verifies), so the wait is too. */

#define RG_POOL_OPEN_WAIT_MS (30000L)

static int
rg_pool_open_wait_ms( long * ms ) {
  char const * env = getenv( "RGROOVE_OPEN_WAIT_MS" );
  *ms = RG_POOL_OPEN_WAIT_MS;
  if( !env ) return RG_SUCCESS;
  char * end;
  errno = 0;
  long v = strtol( env, &end, 10 );
  if( errno || end==env || *end || v<0L )
    return rg_err( RG_ERR_INVAL, "RGROOVE_OPEN_WAIT_MS='%s': not a number of milliseconds (0: do not wait)", env );
  *ms = v;
  return RG_SUCCESS;
}

/* rg_pool_connect opens uri (from NULL) or a second connection like
   from's, trying again while the server turns it away, for up to
   RGROOVE_OPEN_WAIT_MS. */

static rg_conn_t *
rg_pool_connect( char const * uri,
                 rg_conn_t *  from,
                 int *        err ) {
  long wait_ms;
  if( (*err = rg_pool_open_wait_ms( &wait_ms )) ) return NULL;
  double deadline = rg_proc_now_ms() + (double)wait_ms;
  for( long pause_ms=20L;; pause_ms = pause_ms<500L ? 2L*pause_ms : 1000L ) {
    rg_conn_t * conn = from ? from->tp->dup( from, err ) : rg_transport_open( uri, 0UL, err );
    if( conn || *err!=RG_ERR_AGAIN ) return conn;
    double left = deadline - rg_proc_now_ms();
    if( left<=0.0 ) {
      char why[ 256 ];
      snprintf( why, sizeof(why), "%s", rg_errmsg() );
      *err = rg_err( RG_ERR_AGAIN, "%s (turned away for %ld ms; RGROOVE_OPEN_WAIT_MS sets how long to wait)", why, wait_ms );
      return NULL;
    }
    long nap_ms = left<(double)pause_ms ? (long)left + 1L : pause_ms;
    nanosleep( &(struct timespec){ .tv_sec = nap_ms/1000L, .tv_nsec = 1000000L*(nap_ms%1000L) }, NULL );
  }
}

static void
rg_pool_server_leave( rg_pool_server_t * s ) {
  if( !s->groove ) return;
  rg_groove_leave( s->groove );
  s->groove = NULL;
  s->conn->tp->close( s->conn );
  s->conn = NULL;
}

rg_pool_t *
rg_pool_create( char const * uri,
                uint64_t     volume_cnt,
                uint64_t     volume_max,
                int *        opt_err ) {
  int dummy;
  int * err = opt_err ? opt_err : &dummy;
  uint64_t size = rg_region_footprint( volume_max );
  if( !size ) { *err = rg_err( RG_ERR_INVAL, "volume_max %lu is outside [1,%lu]", volume_max, RG_VOLUME_MAX ); return NULL; }
  if( volume_cnt>volume_max ) { *err = rg_err( RG_ERR_INVAL, "volume count %lu exceeds volume_max %lu", volume_cnt, volume_max ); return NULL; }
  rg_conn_t * conn = rg_transport_open( uri, size, err );
  if( !conn ) return NULL;
  rg_pool_t * pool = NULL;
  if( !(*err = rg_region_new( &conn->mem, volume_max, volume_cnt )) ) pool = rg_pool_alloc_handle( 1UL, 0UL, err );
  if( !pool ) {
    conn->tp->close( conn );
    rg_pool_unlink( uri );
    return NULL;
  }
  if( (*err = rg_pool_server_join( &pool->server[0], conn, 0UL )) ) { free( pool ); return NULL; }
  return pool;
}

rg_pool_t *
rg_pool_open_multi( char const * const * uris,
                    uint64_t             uri_cnt,
                    uint64_t             cgroup_hint,
                    int *                opt_err ) {
  int dummy;
  int * err = opt_err ? opt_err : &dummy;
  if( !uris || !uri_cnt || uri_cnt>RG_SERVER_MAX ) {
    *err = rg_err( RG_ERR_INVAL, "need 1 to %lu server URIs", RG_SERVER_MAX );
    return NULL;
  }
  rg_pool_t * pool = rg_pool_alloc_handle( uri_cnt, cgroup_hint, err );
  if( !pool ) return NULL;
  pool->next = cgroup_hint % uri_cnt; /* spread the first allocations of many handles */
  for( uint64_t i=0UL; i<uri_cnt; i++ ) {
    rg_conn_t * conn = rg_pool_connect( uris[i], NULL, err );
    if( !conn || (*err = rg_pool_server_join( &pool->server[i], conn, cgroup_hint )) ) {
      rg_pool_close( pool );
      return NULL;
    }
  }
  return pool;
}

rg_pool_t *
rg_pool_open( char const * uri,
              uint64_t     cgroup_hint,
              int *        opt_err ) {
  return rg_pool_open_multi( &uri, 1UL, cgroup_hint, opt_err );
}

rg_pool_t *
rg_pool_dup( rg_pool_t * pool,
             uint64_t    cgroup_hint,
             int *       opt_err ) {
  int dummy;
  int * err = opt_err ? opt_err : &dummy;
  if( !pool ) { *err = rg_err( RG_ERR_INVAL, "NULL pool" ); return NULL; }
  rg_pool_t * dup = rg_pool_alloc_handle( pool->server_cnt, cgroup_hint, err );
  if( !dup ) return NULL;
  dup->next = cgroup_hint % pool->server_cnt;
  for( uint64_t i=0UL; i<pool->server_cnt; i++ ) {
    rg_conn_t * conn = rg_pool_connect( NULL, pool->server[i].conn, err );
    if( !conn || (*err = rg_pool_server_join( &dup->server[i], conn, cgroup_hint )) ) { rg_pool_close( dup ); return NULL; }
  }
  return dup;
}

int
rg_pool_close( rg_pool_t * pool ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  for( uint64_t i=0UL; i<pool->server_cnt; i++ ) rg_pool_server_leave( &pool->server[i] );
  free( pool );
  return RG_SUCCESS;
}

int
rg_pool_unlink( char const * uri ) {
  rg_uri_t u;
  int err = rg_uri_parse( uri, &u );
  if( err ) return err;
  rg_transport_t const * t = rg_transport_find( u.scheme );
  if( !t || !t->built || !t->unlink ) return rg_err( RG_ERR_INVAL, "'%s' has no backing to remove here", uri );
  return t->unlink( &u );
}

uint64_t
rg_pool_server_cnt( rg_pool_t const * pool ) {
  return pool ? pool->server_cnt : 0UL;
}

/* rg_pool_locate returns the server an address names (NULL if none)
   and its region offset. */

static rg_pool_server_t *
rg_pool_locate( rg_pool_t const * pool,
                rg_gaddr_t        addr,
                uint64_t *        off ) {
  uint64_t s = rg_gaddr_server( addr );
  *off = rg_gaddr_off( addr );
  if( !pool || s>=pool->server_cnt || !*off || addr!=rg_gaddr( s, *off ) ) return NULL; /* bits 46..47 set: no address */
  return (rg_pool_server_t *)&pool->server[s];
}

int
rg_pool_alloc_on( rg_pool_t *  pool,
                  uint64_t     server,
                  uint64_t     align,
                  uint64_t     sz,
                  uint64_t     tag,
                  rg_gaddr_t * addr ) {
  if( !pool || !addr ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  *addr = RG_GADDR_NULL;
  if( server>=pool->server_cnt ) return rg_err( RG_ERR_INVAL, "server %lu: the pool has %lu", server, pool->server_cnt );
  uint64_t off;
  int err = rg_groove_alloc( pool->server[ server ].groove, align, sz, tag, &off );
  if( !err ) *addr = rg_gaddr( server, off );
  return err;
}

/* rg_pool_alloc_rr: rg_pool_alloc over several servers, round robin; a
   full server passes to the next.  Out of line, so the one-server path
   saves no registers (a store each, which the allocator's next atomic
   waits for). */

static __attribute__((noinline)) int
rg_pool_alloc_rr( rg_pool_t *  pool,
                  uint64_t     align,
                  uint64_t     sz,
                  uint64_t     tag,
                  rg_gaddr_t * addr ) {
  int err = RG_ERR_FULL;
  for( uint64_t tries=0UL; tries<pool->server_cnt && err==RG_ERR_FULL; tries++ ) {
    uint64_t s = pool->next;
    pool->next = s + 1UL==pool->server_cnt ? 0UL : s + 1UL;
    err = rg_pool_alloc_on( pool, s, align, sz, tag, addr );
  }
  return err;
}

int
rg_pool_alloc( rg_pool_t *  pool,
               uint64_t     align,
               uint64_t     sz,
               uint64_t     tag,
               rg_gaddr_t * addr ) {
  if( !pool || !addr ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  if( pool->server_cnt==1UL ) /* the usual case, straight through: server 0's addresses are its offsets */
    return rg_groove_alloc( pool->server[ 0 ].groove, align, sz, tag, addr );
  return rg_pool_alloc_rr( pool, align, sz, tag, addr );
}

int
rg_pool_free( rg_pool_t * pool,
              rg_gaddr_t  addr ) {
  uint64_t off;
  rg_pool_server_t * s = rg_pool_locate( pool, addr, &off );
  if( !s ) return rg_err( RG_ERR_INVAL, "free of %#lx: null, or names no server of this pool", addr );
  return rg_groove_free( s->groove, off );
}

int
rg_pool_info( rg_pool_t const *      pool,
              rg_gaddr_t             addr,
              rg_groove_obj_info_t * info ) {
  uint64_t off;
  rg_pool_server_t * s = rg_pool_locate( pool, addr, &off );
  if( !s ) return rg_err( RG_ERR_INVAL, "%#lx is null, or names no server of this pool", addr );
  return rg_groove_obj_info( s->groove, off, info );
}

void *
rg_pool_laddr( rg_pool_t const * pool,
               rg_gaddr_t        addr ) {
  uint64_t off;
  rg_pool_server_t * s = rg_pool_locate( pool, addr, &off );
  if( !s || !s->conn->mem.base || off>=s->conn->mem.size ) return NULL;
  return s->conn->mem.base + off;
}

static rg_pool_server_t *
rg_pool_range( rg_pool_t const * pool,
               rg_gaddr_t        addr,
               uint64_t          sz,
               uint64_t *        off ) {
  rg_pool_server_t * s = rg_pool_locate( pool, addr, off );
  if( !s || *off>s->conn->mem.size || sz>s->conn->mem.size - *off ) {
    rg_err_record( "range %#lx+%lu is outside the pool", addr, sz );
    return NULL;
  }
  return s;
}

int
rg_pool_read( rg_pool_t const * pool,
              rg_gaddr_t        addr,
              void *            buf,
              uint64_t          sz ) {
  uint64_t off;
  rg_pool_server_t * s = rg_pool_range( pool, addr, sz, &off );
  return s ? rg_mem_read( &s->conn->mem, off, buf, sz ) : RG_ERR_INVAL;
}

int
rg_pool_write( rg_pool_t const * pool,
               rg_gaddr_t        addr,
               void const *      buf,
               uint64_t          sz ) {
  uint64_t off;
  rg_pool_server_t * s = rg_pool_range( pool, addr, sz, &off );
  if( !s ) return RG_ERR_INVAL;
  int err = rg_mem_write( &s->conn->mem, off, buf, sz );
  return err ? err : rg_mem_fence( &s->conn->mem );
}

static rg_pool_server_t *
rg_pool_word( rg_pool_t const * pool,
              rg_gaddr_t        addr,
              uint64_t *        off ) {
  if( addr & 7UL ) { rg_err_record( "atomic at %#lx: not 8-byte aligned", addr ); return NULL; }
  return rg_pool_range( pool, addr, 8UL, off );
}

int
rg_pool_cas( rg_pool_t const * pool,
             rg_gaddr_t        addr,
             uint64_t          cmp,
             uint64_t          swp,
             uint64_t *        old ) {
  uint64_t off;
  rg_pool_server_t * s = rg_pool_word( pool, addr, &off );
  return s && old ? rg_mem_cas( &s->conn->mem, off, cmp, swp, old ) : rg_err( RG_ERR_INVAL, "bad atomic arguments" );
}

int
rg_pool_faa( rg_pool_t const * pool,
             rg_gaddr_t        addr,
             uint64_t          add,
             uint64_t *        old ) {
  uint64_t off;
  rg_pool_server_t * s = rg_pool_word( pool, addr, &off );
  return s && old ? rg_mem_faa( &s->conn->mem, off, add, old ) : rg_err( RG_ERR_INVAL, "bad atomic arguments" );
}

int
rg_pool_verify( rg_pool_t const * pool ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  for( uint64_t i=0UL; i<pool->server_cnt; i++ ) {
    int err = rg_groove_verify( pool->server[i].groove );
    if( err ) return err;
  }
  return RG_SUCCESS;
}

int
rg_pool_flush( rg_pool_t * pool ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  for( uint64_t i=0UL; i<pool->server_cnt; i++ ) {
    int err = rg_groove_flush( pool->server[i].groove );
    if( !err ) err = rg_mem_fence( rg_groove_mem( pool->server[i].groove ) ); /* landed: a server may check next */
    if( err ) return err;
  }
  return RG_SUCCESS;
}

int
rg_pool_usage( rg_pool_t const *   pool,
               rg_groove_usage_t * usage ) {
  if( !pool || !usage ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  static __thread rg_groove_usage_t sum, u;
  memset( &sum, 0, sizeof(sum) );
  for( uint64_t i=0UL; i<pool->server_cnt; i++ ) {
    int err = rg_groove_usage( pool->server[i].groove, &u );
    if( err ) return err;
    sum.volumes_in_use += u.volumes_in_use; sum.volumes_empty += u.volumes_empty;
    sum.superblocks    += u.superblocks;    sum.objects       += u.objects;
    sum.object_bytes   += u.object_bytes;   sum.free_slots    += u.free_slots;
    sum.spans          += u.spans;
    for( uint64_t c=0UL; c<RG_GROOVE_SZC_CNT; c++ ) {
      sum.cls[c].superblocks  += u.cls[c].superblocks;  sum.cls[c].objects    += u.cls[c].objects;
      sum.cls[c].object_bytes += u.cls[c].object_bytes; sum.cls[c].free_slots += u.cls[c].free_slots;
      sum.cls[c].empty        += u.cls[c].empty;
    }
  }
  *usage = sum;
  return RG_SUCCESS;
}

rg_groove_t *
rg_pool_groove( rg_pool_t * pool ) {
  return pool ? pool->server[0].groove : NULL;
}

int
rg_pool_stats( rg_pool_t const * pool,
               rg_mem_stats_t *  stats ) {
  if( !pool || !stats ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  memset( stats, 0, sizeof(*stats) );
  for( uint64_t i=0UL; i<pool->server_cnt; i++ ) {
    rg_conn_t const * c = pool->server[i].conn;
    rg_mem_stats_t s;
    c->tp->stats( c, &s );
    stats->reads += s.reads;             stats->writes += s.writes;
    stats->cas += s.cas;                 stats->cas_failed += s.cas_failed;
    stats->faa += s.faa;                 stats->round_trips += s.round_trips;
    stats->bytes_read += s.bytes_read;   stats->bytes_written += s.bytes_written;
    stats->doorbells += s.doorbells;
  }
  return RG_SUCCESS;
}

rg_conn_t *
rg_pool_conn( rg_pool_t * pool,
              uint64_t    server ) {
  return pool && server<pool->server_cnt ? pool->server[ server ].conn : NULL;
}

/* Trim, recovery, owners, walks **********************************************/

static void
rg_pool_rec_add( rg_groove_recovery_t *       sum,
                 rg_groove_recovery_t const * r ) {
  sum->clients += r->clients;                   sum->slots_freed += r->slots_freed;
  sum->superblocks_recirculated += r->superblocks_recirculated;
  sum->superblocks_destroyed += r->superblocks_destroyed;
  sum->volumes_released += r->volumes_released; sum->in_doubt += r->in_doubt;
  sum->objects_dropped += r->objects_dropped;
}

int
rg_pool_trim( rg_pool_t * pool,
              uint64_t *  trimmed ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  uint64_t sum = 0UL;
  int err = RG_SUCCESS;
  for( uint64_t i=0UL; !err && i<pool->server_cnt; i++ ) {
    uint64_t n = 0UL;
    err = rg_groove_trim( pool->server[i].groove, &n );
    sum += n;
  }
  if( trimmed ) *trimmed = sum;
  return err;
}

/* rg_pool_each_rec runs one recovery call per server, summing into rec. */

static int
rg_pool_each_rec( rg_pool_t *            pool,
                  int                    flags,
                  int                    whole,
                  rg_groove_recovery_t * rec ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  int first = RG_SUCCESS;
  for( uint64_t i=0UL; i<pool->server_cnt; i++ ) {
    rg_groove_recovery_t r = { .report = rec ? rec->report : NULL, .report_ctx = rec ? rec->report_ctx : NULL };
    int err = whole ? rg_groove_recover( pool->server[i].groove, flags, &r ) : rg_groove_recover_dead( pool->server[i].groove, &r );
    if( rec ) rg_pool_rec_add( rec, &r );
    if( err && !first ) first = err;
  }
  return first;
}

int rg_pool_recover_dead( rg_pool_t * pool, rg_groove_recovery_t * rec ) { return rg_pool_each_rec( pool, 0, 0, rec ); }
int rg_pool_recover     ( rg_pool_t * pool, int flags, rg_groove_recovery_t * rec ) { return rg_pool_each_rec( pool, flags, 1, rec ); }

int
rg_pool_recover_client( rg_pool_t *            pool,
                        uint64_t               server,
                        uint64_t               idx,
                        int                    flags,
                        rg_groove_recovery_t * rec ) {
  if( !pool || server>=pool->server_cnt ) return rg_err( RG_ERR_INVAL, "no server %lu in this pool", server );
  return rg_groove_recover_client( pool->server[ server ].groove, idx, flags, rec );
}

uint64_t
rg_pool_owner( rg_pool_t const * pool,
               uint64_t          server ) {
  return pool && server<pool->server_cnt ? rg_groove_owner( pool->server[ server ].groove ) : 0UL;
}

int
rg_pool_free_owner( rg_pool_t * pool,
                    uint64_t    owner,
                    uint64_t    tag,
                    int         flags,
                    uint64_t *  freed ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  uint64_t sum = 0UL;
  int err = RG_SUCCESS;
  for( uint64_t i=0UL; !err && i<pool->server_cnt; i++ ) {
    uint64_t n = 0UL;
    err = rg_groove_free_owner( pool->server[i].groove, owner, tag, flags, &n );
    sum += n;
  }
  if( freed ) *freed = sum;
  return err;
}

typedef struct { rg_pool_walk_fn_t fn; void * ctx; uint64_t server; } rg_pool_walk_ctx_t;

static int
rg_pool_walk_one( void *                       vctx,
                  rg_groove_obj_info_t const * o ) {
  rg_pool_walk_ctx_t const * w = vctx;
  rg_groove_obj_info_t g = *o;
  g.off = rg_gaddr( w->server, o->off );
  return w->fn( w->ctx, w->server, &g );
}

int
rg_pool_walk( rg_pool_t const * pool,
              rg_pool_walk_fn_t fn,
              void *            ctx ) {
  if( !pool || !fn ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  for( uint64_t i=0UL; i<pool->server_cnt; i++ ) {
    rg_pool_walk_ctx_t w = { fn, ctx, i };
    int err = rg_groove_walk( pool->server[i].groove, rg_pool_walk_one, &w );
    if( err ) return err;
  }
  return RG_SUCCESS;
}

int
rg_pool_clients( rg_pool_t const *     pool,
                 uint64_t              server,
                 rg_groove_client_fn_t fn,
                 void *                ctx ) {
  if( !pool || server>=pool->server_cnt ) return rg_err( RG_ERR_INVAL, "no server %lu in this pool", server );
  return rg_groove_clients( pool->server[ server ].groove, fn, ctx );
}

/* Batches and non-blocking calls ***********************************************/

int
rg_pool_alloc_n( rg_pool_t *  pool,
                 uint64_t     align,
                 uint64_t     sz,
                 uint64_t     tag,
                 uint64_t     n,
                 rg_gaddr_t * addr,
                 uint64_t *   got ) {
  if( !pool || !got || (n && !addr) ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  *got = 0UL;
  int err = RG_ERR_FULL;
  for( uint64_t tries=0UL; tries<pool->server_cnt && err==RG_ERR_FULL && *got<n; tries++ ) {
    uint64_t s = pool->next, k = 0UL;
    pool->next = s + 1UL==pool->server_cnt ? 0UL : s + 1UL;
    err = rg_groove_alloc_n( pool->server[s].groove, align, sz, tag, n - *got, addr + *got, &k );
    for( uint64_t i=0UL; i<k; i++ ) addr[ *got + i ] = rg_gaddr( s, addr[ *got + i ] );
    *got += k;
  }
  return err;
}

int
rg_pool_free_n( rg_pool_t *        pool,
                uint64_t           n,
                rg_gaddr_t const * addr,
                int *              err ) {
  if( !pool || (n && !addr) ) return rg_err( RG_ERR_INVAL, "NULL argument" );
  int first = RG_SUCCESS;
  for( uint64_t i=0UL; i<n; ) { /* a run of addresses of one server at a time */
    uint64_t s = rg_gaddr_server( addr[i] ), j = i;
    while( j<n && rg_gaddr_server( addr[j] )==s && addr[j]==rg_gaddr( s, rg_gaddr_off( addr[j] ) ) ) j++;
    int e;
    if( j==i || s>=pool->server_cnt ) { /* not an address of this pool */
      e = rg_err( RG_ERR_INVAL, "free of %#lx: null, or names no server of this pool", addr[i] );
      if( err ) err[i] = e;
      j = i + 1UL;
    } else {
      uint64_t off[ 64 ];
      for( uint64_t k=i; k<j; k+=64UL ) {
        uint64_t m = j - k < 64UL ? j - k : 64UL;
        for( uint64_t q=0UL; q<m; q++ ) off[q] = rg_gaddr_off( addr[ k + q ] );
        int ee = rg_groove_free_n( pool->server[s].groove, m, off, err ? err + k : NULL );
        if( ee && !first ) first = ee;
      }
      e = RG_SUCCESS;
    }
    if( e && !first ) first = e;
    i = j;
  }
  return first;
}

int
rg_pool_free_nbi( rg_pool_t * pool,
                  rg_gaddr_t  addr ) {
  uint64_t off;
  rg_pool_server_t * s = rg_pool_locate( pool, addr, &off );
  if( !s ) return rg_err( RG_ERR_INVAL, "free of %#lx: null, or names no server of this pool", addr );
  return rg_groove_free_nbi( s->groove, off );
}

/* rg_pool_post_io posts one read or write on the server addr names. */

static int
rg_pool_post_io( rg_pool_t * pool,
                 uint32_t    op,
                 rg_gaddr_t  addr,
                 void *      buf,
                 uint64_t    sz ) {
  uint64_t off, t;
  rg_pool_server_t * s = rg_pool_range( pool, addr, sz, &off );
  if( !s ) return RG_ERR_INVAL;
  rg_mem_req_t r = { .op = op, .off = off, .sz = sz, .buf = buf };
  return rg_mem_post( &s->conn->mem, &r, 1UL, &t );
}

int rg_pool_write_nbi( rg_pool_t * pool, rg_gaddr_t addr, void const * buf, uint64_t sz ) { return rg_pool_post_io( pool, RG_MEM_OP_WRITE, addr, (void *)buf, sz ); }
int rg_pool_read_nbi ( rg_pool_t * pool, rg_gaddr_t addr, void * buf, uint64_t sz )       { return rg_pool_post_io( pool, RG_MEM_OP_READ,  addr, buf, sz ); }

int
rg_pool_quiet( rg_pool_t * pool ) {
  if( !pool ) return rg_err( RG_ERR_INVAL, "NULL pool" );
  int first = RG_SUCCESS;
  for( uint64_t i=0UL; i<pool->server_cnt; i++ ) {
    int err = rg_groove_quiet( pool->server[i].groove ); /* its own deferred frees */
    if( !err ) err = rg_mem_wait( &pool->server[i].conn->mem, RG_MEM_TICKET_ALL ); /* posted reads */
    if( err && !first ) first = err;
  }
  return first;
}
