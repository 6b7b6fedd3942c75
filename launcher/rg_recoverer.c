/* rg_recoverer.h: online recovery of a memory server's departed
   clients, through a connection of its own. */

#include "rg_recoverer.h"
#include "base/rg_err.h"
#include "base/rg_proc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RG_RECOVERER_QUEUE (256UL) /* departures waiting; more wait for the quiet checks */

struct rg_recoverer {
  pthread_t       thread;
  pthread_mutex_t lock;
  pthread_cond_t  wake;
  char            uri[ 256 ];
  rg_conn_t       local;    /* mapped: the server's own region, reached with CPU atomics */
  int             mapped;
  uint64_t        boot;     /* the server's boot id, in its clients' identities */
  rg_log_fn_t     log;
  void *          log_ctx;

  /* under lock */
  uint64_t        queue[ RG_RECOVERER_QUEUE ];
  uint64_t        queued;
  uint64_t        dropped;  /* departures the queue had no room for */
  int             busy;     /* recovering one now */
  int             stopping;
  int             done;     /* the thread has left and closed */
  uint64_t        serial;   /* its own connection's */

  /* the thread's own */
  int             paused;   /* not connected or not joined: tried again at each departure */
};

static void
rg_recoverer_say( rg_recoverer_t * r,
                  char const *     fmt,
                  ... ) __attribute__((format(printf,2,3)));

static void
rg_recoverer_say( rg_recoverer_t * r,
                  char const *     fmt,
                  ... ) {
  char line[ 512 ];
  va_list ap;
  va_start( ap, fmt );
  vsnprintf( line, sizeof(line), fmt, ap );
  va_end( ap );
  r->log( r->log_ctx, line );
}

/* The record of the client with identity {kind, id}: a connection's
   {RG_CONN_ID_SERVER, {boot, serial}}, or the recoverer's own. */

typedef struct {
  uint32_t kind;
  uint64_t id[2], idx;
  int      found;
} rg_recoverer_find_t;

static int
rg_recoverer_match( void *                          ctx,
                    rg_groove_client_info_t const * c ) {
  rg_recoverer_find_t * f = ctx;
  if( c->id_kind!=f->kind || c->id[0]!=f->id[0] || c->id[1]!=f->id[1] ) return 0;
  f->idx   = c->idx;
  f->found = 1;
  return 1;
}

/* rg_recoverer_one recovers the client of connection serial, if it had
   joined. */

static void
rg_recoverer_one( rg_recoverer_t * r,
                  rg_groove_t *    g,
                  uint64_t         serial ) {
  double t0 = rg_proc_now_ms();
  rg_recoverer_find_t f = { .kind = RG_CONN_ID_SERVER, .id = { r->boot, serial } };
  int err = rg_groove_clients( g, rg_recoverer_match, &f );
  if( err<0 ) { rg_recoverer_say( r, "recovery of client %lu: cannot read the client table: %s", serial, rg_errmsg() ); return; }
  if( !f.found ) return; /* it never joined, or left cleanly */
  rg_groove_recovery_t rec = {0};
  err = rg_groove_recover_client( g, f.idx, 0, &rec );
  if( !err || err==RG_ERR_AGAIN ) { /* what it took over goes back: between recoveries it holds nothing */
    int e = rg_groove_flush( g );
    if( e ) err = e;
  }
  double ms = rg_proc_now_ms() - t0;
  if( err && err!=RG_ERR_AGAIN ) {
    rg_recoverer_say( r, "recovery of client %lu (record %lu) failed after %.2f ms: %s: %s; the next quiet check retries",
                      serial, f.idx, ms, rg_strerror( err ), rg_errmsg() );
    return;
  }
  rg_recoverer_say( r, "client %lu (record %lu) recovered online in %.2f ms: %lu superblock(s) put back, %lu interrupted operation(s) finished%s",
                    serial, f.idx, ms, rec.superblocks_recirculated, rec.slots_freed,
                    rec.in_doubt ? "; some left for the quiet check (SIGUSR1 or shutdown)" : "" );
}

/* rg_recoverer_rejoin: g if its record is still its own, else (none
   yet, or the region was formatted anew meanwhile, as tests do) a new
   join in ljoin, or NULL.  A join that fails (a region being formatted
   shows no magic for a moment) is tried again at the next departure:
   giving up would leave every later departure to the quiet checks. */

static rg_groove_t *
rg_recoverer_rejoin( rg_recoverer_t * r,
                     rg_conn_t *      conn,
                     rg_groove_t *    g,
                     void *           ljoin ) {
  rg_recoverer_find_t f = { .kind = conn->id_kind, .id = { conn->id[0], conn->id[1] } };
  if( g && rg_groove_clients( g, rg_recoverer_match, &f )>=0 && f.found ) return g;
  int err;
  g = rg_region_join( ljoin, &conn->mem, 0UL, conn->id_kind, conn->id, &err );
  if( !g && !r->paused ) rg_recoverer_say( r, "online recovery paused: it cannot join the region: %s; it tries again at each departure", rg_errmsg() );
  if( g && r->paused ) rg_recoverer_say( r, "online recovery resumed: joined the region again" );
  r->paused = !g;
  return g;
}

/* rg_recoverer_connect: conn, else a new connection to the server, or
   NULL.  One refused (the server closes admission while it checks the
   pool, and a SIGUSR1 right after another finds it closed again) is
   tried again at each departure, like a join. */

static rg_conn_t *
rg_recoverer_connect( rg_recoverer_t * r,
                      rg_conn_t *      conn ) {
  if( conn ) return conn;
  if( r->mapped ) return &r->local;
  int err;
  conn = rg_transport_open( r->uri, 0UL, &err );
  if( !conn && !r->paused ) rg_recoverer_say( r, "online recovery paused: cannot reach this server at %s: %s; it tries again at each departure", r->uri, rg_errmsg() );
  if( !conn ) { r->paused = 1; return NULL; } /* rg_recoverer_rejoin says when it resumes */
  pthread_mutex_lock( &r->lock );
  r->serial = conn->id[1]; /* its own departure is nobody's to recover */
  pthread_mutex_unlock( &r->lock );
  return conn;
}

static void *
rg_recoverer_main( void * arg ) {
  rg_recoverer_t * r = arg;
  static _Alignas(RG_GROOVE_LJOIN_ALIGN) uint8_t ljoin[ RG_GROOVE_LJOIN_FOOTPRINT ]; /* one recoverer at a time */
  rg_conn_t * conn = rg_recoverer_connect( r, NULL );
  rg_groove_t * g = conn ? rg_recoverer_rejoin( r, conn, NULL, ljoin ) : NULL;
  pthread_mutex_lock( &r->lock );
  for(;;) {
    while( !r->queued && !r->stopping ) pthread_cond_wait( &r->wake, &r->lock );
    if( !r->queued ) break;
    uint64_t serial = r->queue[ --r->queued ];
    r->busy = 1;
    pthread_mutex_unlock( &r->lock );
    conn = rg_recoverer_connect( r, conn );
    if( conn ) g = rg_recoverer_rejoin( r, conn, g, ljoin );
    if( g ) rg_recoverer_one( r, g, serial );
    pthread_mutex_lock( &r->lock );
    r->busy = 0;
  }
  pthread_mutex_unlock( &r->lock );
  if( g ) rg_groove_leave( g );
  if( conn && conn!=&r->local ) conn->tp->close( conn );
  pthread_mutex_lock( &r->lock );
  r->done = 1;
  pthread_mutex_unlock( &r->lock );
  return NULL;
}

rg_recoverer_t *
rg_recoverer_new( char const *     uri,
                  rg_mem_t const * mem,
                  uint64_t         boot,
                  rg_log_fn_t      log,
                  void *           log_ctx ) {
  rg_recoverer_t * r = calloc( 1UL, sizeof(*r) );
  if( !r ) { rg_err_record( "online recovery: out of memory" ); return NULL; }
  snprintf( r->uri, sizeof(r->uri), "%s", uri );
  r->boot   = boot;
  r->mapped = !!mem;
  /* the server's own identity, serial 0, which no connection has: a
     server's client, never a process that rg_pool_recover_dead on some
     host could take for a dead one of its own */
  if( mem ) r->local = (rg_conn_t){ .mem = *mem, .id_kind = RG_CONN_ID_SERVER, .id = { boot, 0UL } };
  r->log = log;
  r->log_ctx = log_ctx;
  pthread_mutex_init( &r->lock, NULL );
  pthread_cond_init( &r->wake, NULL );
  if( pthread_create( &r->thread, NULL, rg_recoverer_main, r ) ) {
    free( r );
    rg_err_record( "online recovery: cannot start its thread" );
    return NULL;
  }
  return r;
}

void
rg_recoverer_gone( rg_recoverer_t * r,
                   uint64_t         serial ) {
  pthread_mutex_lock( &r->lock );
  if( serial!=r->serial ) {
    if( r->queued<RG_RECOVERER_QUEUE ) r->queue[ r->queued++ ] = serial;
    else r->dropped++;
    pthread_cond_signal( &r->wake );
  }
  pthread_mutex_unlock( &r->lock );
}

uint64_t
rg_recoverer_serial( rg_recoverer_t * r ) {
  pthread_mutex_lock( &r->lock );
  uint64_t s = r->serial;
  pthread_mutex_unlock( &r->lock );
  return s;
}

int
rg_recoverer_idle( rg_recoverer_t * r ) {
  pthread_mutex_lock( &r->lock );
  int idle = !r->queued && !r->busy;
  pthread_mutex_unlock( &r->lock );
  return idle;
}

void
rg_recoverer_delete_begin( rg_recoverer_t * r ) {
  if( !r ) return;
  pthread_mutex_lock( &r->lock );
  r->stopping = 1;
  pthread_cond_signal( &r->wake );
  pthread_mutex_unlock( &r->lock );
}

int
rg_recoverer_delete_done( rg_recoverer_t * r ) {
  if( !r ) return 1;
  pthread_mutex_lock( &r->lock );
  int done = r->done;
  pthread_mutex_unlock( &r->lock );
  return done;
}

void
rg_recoverer_delete_end( rg_recoverer_t * r ) {
  if( !r ) return;
  pthread_join( r->thread, NULL );
  if( r->dropped ) rg_recoverer_say( r, "%lu departure(s) found the recovery queue full: left to the quiet check", r->dropped );
  pthread_cond_destroy( &r->wake );
  pthread_mutex_destroy( &r->lock );
  free( r );
}
