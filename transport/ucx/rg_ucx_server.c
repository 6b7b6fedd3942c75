/* The ucx server: maps the region with UCP, listens, admits clients by
   a handshake of active messages (rg_ucx.h), and progresses its worker,
   which carries out the clients' requests of our own (every atomic, and
   reads and writes over tcp).  Callbacks only take note and poll acts
   on what they noted, but for those requests: answered at once. */

#include "rg_ucx_private.h"
#include "transport/rg_serve_log.h"
#include "base/rg_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RG_UCX_PENDING_MAX (64)    /* connection requests noted between two polls */
#define RG_UCX_HELLO_MS    (10000) /* a client that says nothing, or stays after a refusal, for this long is closed */
#define RG_UCX_SPIN_US     (2000L) /* after an event, poll keeps progressing this long before it sleeps: it runs the
                                      emulated atomics, and a wake-up per request is slow (doc/architecture.md, "one atomic domain") */

#define RG_UCX_PEER_NEW      (0)   /* connected, no hello handled yet */
#define RG_UCX_PEER_ADMITTED (1)
#define RG_UCX_PEER_REFUSED  (2)   /* refused: the client closes after reading why */

typedef struct rg_ucx_peer rg_ucx_peer_t;
typedef struct rg_ucx_server rg_ucx_server_t;

struct rg_ucx_peer {
  rg_ucx_peer_t *   next;
  rg_ucx_server_t * s;
  ucp_ep_h          ep;
  int               state;
  uint64_t          serial;    /* from admission on */
  int               hello;     /* a hello arrived, not handled yet */
  uint64_t          hello_sz;
  rg_ucx_hello_t    msg;
  int               failed;    /* the endpoint's error handler ran */
  ucs_status_t      why;
  void *            send;      /* the answer in flight */
  uint8_t *         answer;    /* its bytes */
  int64_t           since_ms;
  char              name[ 64 ];
};

struct rg_ucx_server {
  rg_ucx_worker_t     w;
  rg_mem_t const *    mem;
  ucp_mem_h           memh;
  void *              rkey;
  size_t              rkey_sz;
  ucp_listener_h      listener;
  int                 efd;
  rg_ucx_peer_t *     peers;
  ucp_conn_request_h  pending[ RG_UCX_PENDING_MAX ];
  int                 pending_cnt;
  uint64_t            peer_cnt;  /* admitted and not yet gone */
  uint64_t            serial;
  uint64_t            boot;
  int                 closed;    /* admission closed */
  char                addr[ 64 ];
  uint16_t            port;
  uint8_t             token[ RG_TOKEN_MAX ];
  uint64_t            token_sz;
  rg_log_fn_t         log;
  void *              log_ctx;
  rg_serve_event_fn_t event;
  void *              event_ctx;
};

/* Callbacks: they note, poll acts. ***********************************/

static void
rg_ucx_on_conn( ucp_conn_request_h req,
                void *             arg ) {
  rg_ucx_server_t * s = arg;
  if( s->pending_cnt==RG_UCX_PENDING_MAX ) { ucp_listener_reject( s->listener, req ); return; }
  s->pending[ s->pending_cnt++ ] = req;
}

static void
rg_ucx_on_ep_failed( void *       arg,
                     ucp_ep_h     ep,
                     ucs_status_t st ) {
  (void)ep;
  rg_ucx_peer_t * p = arg;
  p->failed = 1;
  p->why    = st;
}

static ucs_status_t
rg_ucx_on_hello( void *                      arg,
                 void const *                header,
                 size_t                      header_sz,
                 void *                      data,
                 size_t                      sz,
                 ucp_am_recv_param_t const * param ) {
  (void)header; (void)header_sz;
  rg_ucx_server_t * s = arg;
  if( !(param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP) || (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV) ) return UCS_OK;
  for( rg_ucx_peer_t * p=s->peers; p; p=p->next ) {
    if( p->ep!=param->reply_ep ) continue;
    if( p->state!=RG_UCX_PEER_NEW || p->hello ) return UCS_OK; /* one hello per connection */
    memset( &p->msg, 0, sizeof(p->msg) );
    memcpy( &p->msg, data, sz<sizeof(p->msg) ? sz : sizeof(p->msg) );
    p->hello_sz = sz;
    p->hello    = 1;
    return UCS_OK;
  }
  return UCS_OK;
}

/* Requests of our own (rg_ucx.h): carried out here, in the thread that
   progresses the worker, as UCX carries out what it emulates.  The
   answer goes as an active message, whose failure (the client died
   meanwhile) completes its request with an error; UCX 1.13's own
   answers to emulated operations abort the process there instead. */

static void
rg_ucx_done_sent( void *       req,
                  ucs_status_t st,
                  void *       user ) {
  (void)st;
  free( user );
  ucp_request_free( req );
}

/* rg_ucx_op_run carries out op (data, data_sz: a write's bytes) on the
   region; *d gets its result.  Returns the bytes a read answers with,
   at out (0 otherwise). */

static uint64_t
rg_ucx_op_run( rg_ucx_server_t const * s,
               rg_ucx_op_t const *     op,
               void const *            data,
               size_t                  data_sz,
               rg_ucx_done_t *         d,
               uint8_t *               out ) {
  uint64_t size = s->mem->size;
  int word = op->op==RG_MEM_OP_CAS || op->op==RG_MEM_OP_FAA;
  uint64_t sz = word ? 8UL : op->sz;
  d->err = RG_ERR_INVAL;
  if( op->off>size || sz>size - op->off || (word && (op->off & 7UL)) ) return 0UL;
  uint8_t * at = s->mem->base + op->off;
  switch( op->op ) {
  case RG_MEM_OP_READ:
    memcpy( out, at, sz );
    d->err = RG_SUCCESS;
    return sz;
  case RG_MEM_OP_WRITE:
    if( data_sz!=sz ) return 0UL;
    memcpy( at, data, sz );
    break;
  case RG_MEM_OP_CAS:
    d->old = op->cmp;
    __atomic_compare_exchange_n( (uint64_t *)at, &d->old, op->swp, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST );
    break;
  case RG_MEM_OP_FAA:
    d->old = __atomic_fetch_add( (uint64_t *)at, op->cmp, __ATOMIC_SEQ_CST );
    break;
  default:
    return 0UL;
  }
  d->err = RG_SUCCESS;
  return 0UL;
}

/* rg_ucx_on_op: a request from an admitted client, answered at once (a
   request from anyone else is dropped). */

static ucs_status_t
rg_ucx_on_op( void *                      arg,
              void const *                header,
              size_t                      header_sz,
              void *                      data,
              size_t                      sz,
              ucp_am_recv_param_t const * param ) {
  rg_ucx_server_t * s = arg;
  if( header_sz!=sizeof(rg_ucx_op_t) || !(param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP) ||
      (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV) ) return UCS_OK; /* clients send eagerly */
  rg_ucx_peer_t * p = s->peers;
  while( p && p->ep!=param->reply_ep ) p = p->next;
  if( !p || p->state!=RG_UCX_PEER_ADMITTED || p->failed ) return UCS_OK;
  rg_ucx_op_t op;
  memcpy( &op, header, sizeof(op) );
  uint64_t out_max = op.op==RG_MEM_OP_READ && op.sz<=s->mem->size ? op.sz : 0UL;
  rg_ucx_done_t * d = malloc( sizeof(rg_ucx_done_t) + out_max ); /* freed once sent */
  if( !d ) return UCS_OK; /* the client times out */
  *d = (rg_ucx_done_t){ .tag = op.tag };
  uint64_t out_sz = rg_ucx_op_run( s, &op, data, sz, d, (uint8_t *)(d + 1) );
  ucp_request_param_t rp = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS | UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA,
                             .flags = UCP_AM_SEND_FLAG_EAGER, .cb.send = rg_ucx_done_sent, .user_data = d };
  ucs_status_ptr_t req = ucp_am_send_nbx( param->reply_ep, RG_UCX_AM_DONE, d, sizeof(*d), d + 1, out_sz, &rp );
  if( !UCS_PTR_IS_PTR( req ) ) free( d ); /* sent already, or failed: the client is gone */
  return UCS_OK;
}

/* Peers ****************************************************************/

/* rg_ucx_peer_drop closes a peer's endpoint and frees it; an admitted
   one is counted out and its disconnect event fires. */

static void
rg_ucx_peer_drop( rg_ucx_server_t * s,
                  rg_ucx_peer_t *   p,
                  char const *      why ) {
  for( rg_ucx_peer_t ** pp=&s->peers; *pp; pp=&(*pp)->next ) {
    if( *pp!=p ) continue;
    *pp = p->next;
    break;
  }
  if( p->send && !UCS_PTR_IS_ERR( p->send ) ) ucp_request_free( p->send ); /* released when it completes */
  ucp_request_param_t cp = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS, .flags = UCP_EP_CLOSE_FLAG_FORCE };
  rg_ucx_wait( s->w.worker, ucp_ep_close_nbx( p->ep, &cp ), 1000 );
  if( p->state==RG_UCX_PEER_ADMITTED ) {
    __atomic_sub_fetch( &s->peer_cnt, 1UL, __ATOMIC_RELEASE );
    rg_serve_log( s->log, s->log_ctx, "client %lu (%s) %s; %lu connected", p->serial, p->name, why, s->peer_cnt );
    if( s->event ) s->event( s->event_ctx, RG_SERVE_DISCONNECT, p->serial, p->name ); /* its endpoint is closed: it can do nothing more */
  }
  free( p->answer );
  free( p );
}

static void
rg_ucx_peer_new( rg_ucx_server_t *  s,
                 ucp_conn_request_h req ) {
  rg_ucx_peer_t * p = calloc( 1, sizeof(rg_ucx_peer_t) );
  if( !p ) { ucp_listener_reject( s->listener, req ); rg_serve_log( s->log, s->log_ctx, "rejected a client: out of memory" ); return; }
  p->s = s;
  snprintf( p->name, sizeof(p->name), "?" );
  ucp_conn_request_attr_t qa = { .field_mask = UCP_CONN_REQUEST_ATTR_FIELD_CLIENT_ADDR };
  if( ucp_conn_request_query( req, &qa )==UCS_OK && qa.client_address.ss_family==AF_INET ) {
    struct sockaddr_in const * sin = (struct sockaddr_in const *)&qa.client_address;
    char ip[ INET_ADDRSTRLEN ] = "?";
    inet_ntop( AF_INET, &sin->sin_addr, ip, sizeof(ip) );
    snprintf( p->name, sizeof(p->name), "%s:%u", ip, ntohs( sin->sin_port ) );
  }
  ucp_ep_params_t ep = {
    .field_mask   = UCP_EP_PARAM_FIELD_CONN_REQUEST | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE | UCP_EP_PARAM_FIELD_ERR_HANDLER,
    .conn_request = req,
    .err_mode     = UCP_ERR_HANDLING_MODE_PEER,
    .err_handler  = { .cb = rg_ucx_on_ep_failed, .arg = p },
  };
  ucs_status_t st = ucp_ep_create( s->w.worker, &ep, &p->ep );
  if( st!=UCS_OK ) {
    rg_serve_log( s->log, s->log_ctx, "rejected a client (%s): cannot make its endpoint: %s", p->name, ucs_status_string( st ) );
    free( p );
    return;
  }
  p->since_ms = rg_ucx_now_ms();
  p->next  = s->peers;
  s->peers = p;
}

/* rg_ucx_peer_check: RG_SUCCESS if the hello admits the peer, else the
   code and reason to refuse it with. */

static int
rg_ucx_peer_check( rg_ucx_server_t const * s,
                   rg_ucx_peer_t const *   p,
                   char *                  why,
                   uint64_t                why_sz ) {
  rg_ucx_hello_t const * h = &p->msg;
  if( p->hello_sz!=sizeof(*h) || h->magic!=RG_UCX_MAGIC ) { snprintf( why, why_sz, "not an rgroove client" ); return RG_ERR_PERM; }
  if( __atomic_load_n( &s->closed, __ATOMIC_ACQUIRE ) ) { snprintf( why, why_sz, "the server is checking the pool: try again shortly" ); return RG_ERR_AGAIN; }
  if( h->version!=RG_UCX_PROTO_VERSION ) {
    snprintf( why, why_sz, "protocol version %u, this server speaks %u: use matching rgroove versions", h->version, RG_UCX_PROTO_VERSION );
    return RG_ERR_PERM;
  }
  uint8_t diff = (uint8_t)(h->token_sz!=s->token_sz);
  for( uint64_t i=0UL; i<RG_TOKEN_MAX; i++ ) diff |= (uint8_t)(i<s->token_sz ? h->token[i]^s->token[i] : 0);
  if( diff ) { snprintf( why, why_sz, "wrong admission token: use the server's token (RGROOVE_TOKEN)" ); return RG_ERR_PERM; }
  return RG_SUCCESS;
}

/* rg_ucx_peer_answer handles a peer's hello: admit or refuse it.  An
   admitted peer is counted, and its connect event fires, before the
   answer leaves: the client cannot see its admission first. */

static void
rg_ucx_peer_answer( rg_ucx_server_t * s,
                    rg_ucx_peer_t *   p ) {
  p->hello = 0;
  rg_ucx_answer_t * a = calloc( 1, sizeof(rg_ucx_answer_t) + s->rkey_sz );
  if( !a ) { rg_serve_log( s->log, s->log_ctx, "rejected a client (%s): out of memory", p->name ); rg_ucx_peer_drop( s, p, "dropped" ); return; }
  a->magic   = RG_UCX_MAGIC;
  a->version = RG_UCX_PROTO_VERSION;
  a->err     = rg_ucx_peer_check( s, p, a->reason, sizeof(a->reason) );
  p->answer   = (uint8_t *)a;
  p->since_ms = rg_ucx_now_ms();
  uint64_t sz = sizeof(*a);
  if( a->err ) {
    p->state = RG_UCX_PEER_REFUSED;
    rg_serve_log( s->log, s->log_ctx, "rejected a client (%s): %s", p->name, a->reason );
  } else {
    p->state   = RG_UCX_PEER_ADMITTED;
    p->serial  = ++s->serial;
    a->domain  = RG_MEM_DOMAIN_CPU; /* atomic mode cpu: rg_ucx.h */
    a->addr    = (uint64_t)(uintptr_t)s->mem->base;
    a->size    = s->mem->size;
    a->boot    = s->boot;
    a->serial  = p->serial;
    a->rkey_sz = (uint32_t)s->rkey_sz;
    memcpy( a->rkey, s->rkey, s->rkey_sz );
    sz += s->rkey_sz;
    uint64_t cnt = __atomic_add_fetch( &s->peer_cnt, 1UL, __ATOMIC_RELEASE ); /* from here on it may use the pool */
    rg_serve_log( s->log, s->log_ctx, "client %lu (%s) connected; %lu connected", p->serial, p->name, cnt );
    if( s->event ) s->event( s->event_ctx, RG_SERVE_CONNECT, p->serial, p->name );
  }
  ucp_request_param_t rp = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS, .flags = UCP_AM_SEND_FLAG_EAGER };
  p->send = ucp_am_send_nbx( p->ep, RG_UCX_AM_ANSWER, NULL, 0UL, a, sz, &rp );
  if( UCS_PTR_IS_ERR( p->send ) ) {
    rg_serve_log( s->log, s->log_ctx, "could not answer a client (%s): %s", p->name, ucs_status_string( UCS_PTR_STATUS( p->send ) ) );
    p->send = NULL;
    rg_ucx_peer_drop( s, p, "could not be answered" );
  }
}

/* rg_ucx_server_work acts on what the callbacks noted.  Returns 1 if it
   did anything. */

static int
rg_ucx_server_work( rg_ucx_server_t * s ) {
  int did = s->pending_cnt>0;
  while( s->pending_cnt ) rg_ucx_peer_new( s, s->pending[ --s->pending_cnt ] );
  int64_t now = rg_ucx_now_ms();
  for( rg_ucx_peer_t * p=s->peers, * next; p; p=next ) {
    next = p->next;
    if( p->send && !UCS_PTR_IS_ERR( p->send ) && ucp_request_check_status( p->send )!=UCS_INPROGRESS ) {
      ucp_request_free( p->send );
      p->send = NULL;
    }
    if( p->failed ) {
      did = 1;
      char why[ 96 ];
      snprintf( why, sizeof(why), "disconnected (%s)", ucs_status_string( p->why ) );
      rg_ucx_peer_drop( s, p, why );
    } else if( p->hello ) {
      did = 1;
      rg_ucx_peer_answer( s, p );
    } else if( p->state!=RG_UCX_PEER_ADMITTED && now - p->since_ms>RG_UCX_HELLO_MS ) {
      did = 1;
      rg_serve_log( s->log, s->log_ctx, "closed a connection (%s): %s within %d s", p->name,
                  p->state==RG_UCX_PEER_NEW ? "no hello" : "still open after its refusal", RG_UCX_HELLO_MS/1000 );
      rg_ucx_peer_drop( s, p, "closed" );
    }
  }
  return did;
}

/* The registry's calls ***********************************************/

/* rg_ucx_server_setup: worker, region, listener. */

static int
rg_ucx_server_setup( rg_ucx_server_t *      s,
                     rg_serve_cfg_t const * cfg ) {
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons( cfg->port ) };
  int wild = !cfg->addr || !strcmp( cfg->addr, "0.0.0.0" );
  if( !wild && inet_pton( AF_INET, cfg->addr, &sin.sin_addr )!=1 ) return rg_err( RG_ERR_INVAL, "'%s' is not an IPv4 address", cfg->addr );
  int err = rg_ucx_worker_new( &s->w, rg_ucx_device( cfg->device ), cfg->gid_index, 1 );
  if( err ) return err;
  ucp_mem_map_params_t mp = { .field_mask = UCP_MEM_MAP_PARAM_FIELD_ADDRESS | UCP_MEM_MAP_PARAM_FIELD_LENGTH,
                              .address = s->mem->base, .length = s->mem->size };
  ucs_status_t st = ucp_mem_map( s->w.ctx, &mp, &s->memh );
  if( st!=UCS_OK ) {
    s->memh = NULL;
    return rg_err( RG_ERR_IO, "UCX cannot register the %lu-byte region: %s (raise the memlock limit, or use fewer volumes)",
                   s->mem->size, ucs_status_string( st ) );
  }
  if( (st = ucp_rkey_pack( s->w.ctx, s->memh, &s->rkey, &s->rkey_sz ))!=UCS_OK ) {
    s->rkey = NULL;
    return rg_err( RG_ERR_IO, "UCX cannot pack the region's key: %s", ucs_status_string( st ) );
  }
  if( s->rkey_sz>RG_UCX_RKEY_MAX ) return rg_err( RG_ERR_IO, "the region's packed key has %zu bytes, over %u: use fewer transports (UCX_TLS)", s->rkey_sz, RG_UCX_RKEY_MAX );
  ucp_am_handler_param_t h = {
    .field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID | UCP_AM_HANDLER_PARAM_FIELD_CB | UCP_AM_HANDLER_PARAM_FIELD_ARG |
                  UCP_AM_HANDLER_PARAM_FIELD_FLAGS,
    .id = RG_UCX_AM_HELLO, .cb = rg_ucx_on_hello, .arg = s, .flags = UCP_AM_FLAG_WHOLE_MSG,
  };
  if( (st = ucp_worker_set_am_recv_handler( s->w.worker, &h ))!=UCS_OK )
    return rg_err( RG_ERR_IO, "UCX refuses an active-message handler: %s", ucs_status_string( st ) );
  h.id = RG_UCX_AM_OP;
  h.cb = rg_ucx_on_op;
  if( (st = ucp_worker_set_am_recv_handler( s->w.worker, &h ))!=UCS_OK )
    return rg_err( RG_ERR_IO, "UCX refuses an active-message handler: %s", ucs_status_string( st ) );
  if( (st = ucp_worker_get_efd( s->w.worker, &s->efd ))!=UCS_OK )
    return rg_err( RG_ERR_IO, "UCX gives no event descriptor: %s (a transport without wakeup? check UCX_TLS)", ucs_status_string( st ) );
  ucp_listener_params_t lp = {
    .field_mask   = UCP_LISTENER_PARAM_FIELD_SOCK_ADDR | UCP_LISTENER_PARAM_FIELD_CONN_HANDLER,
    .sockaddr     = { .addr = (struct sockaddr const *)&sin, .addrlen = sizeof(sin) },
    .conn_handler = { .cb = rg_ucx_on_conn, .arg = s },
  };
  if( (st = ucp_listener_create( s->w.worker, &lp, &s->listener ))!=UCS_OK ) {
    s->listener = NULL;
    return rg_err( RG_ERR_IO, "cannot listen on %s:%u over UCX: %s (is the port free, the address on this host?)",
                   wild ? "0.0.0.0" : cfg->addr, cfg->port, ucs_status_string( st ) );
  }
  ucp_listener_attr_t la = { .field_mask = UCP_LISTENER_ATTR_FIELD_SOCKADDR };
  if( ucp_listener_query( s->listener, &la )!=UCS_OK || la.sockaddr.ss_family!=AF_INET )
    return rg_err( RG_ERR_IO, "UCX does not say where its listener listens" );
  s->port = ntohs( ((struct sockaddr_in const *)&la.sockaddr)->sin_port );
  if( wild ) rg_ucx_host_addr( s->addr, sizeof(s->addr) );
  else       snprintf( s->addr, sizeof(s->addr), "%s", cfg->addr );
  return RG_SUCCESS;
}

rg_server_t *
rg_ucx_server_new( rg_mem_t const *       mem,
                   rg_serve_cfg_t const * cfg,
                   int *                  opt_err ) {
  int dummy;
  int * e = opt_err ? opt_err : &dummy;
  if( !mem || !mem->base || !mem->size || !cfg || cfg->token_sz>RG_TOKEN_MAX || (cfg->token_sz && !cfg->token) ) {
    *e = rg_err( RG_ERR_INVAL, "bad server arguments (no local region, or token over %lu bytes)", RG_TOKEN_MAX );
    return NULL;
  }
  rg_ucx_server_t * s = calloc( 1, sizeof(rg_ucx_server_t) );
  if( !s ) { *e = rg_err( RG_ERR_IO, "out of memory" ); return NULL; }
  s->mem       = mem;
  s->efd       = -1;
  s->token_sz  = cfg->token_sz;
  s->log       = cfg->log;
  s->log_ctx   = cfg->log_ctx;
  s->event     = cfg->event;
  s->event_ctx = cfg->event_ctx;
  if( cfg->token_sz ) memcpy( s->token, cfg->token, cfg->token_sz );
  s->boot = cfg->boot ? cfg->boot : rg_proc_random();
  if( (*e = rg_ucx_server_setup( s, cfg )) ) { rg_ucx_server_delete( (rg_server_t *)s ); return NULL; }
  return (rg_server_t *)s;
}

int
rg_ucx_server_poll( rg_server_t * server,
                    int           timeout_ms ) {
  rg_ucx_server_t * s = (rg_ucx_server_t *)server;
  int64_t deadline = rg_ucx_now_ms() + (timeout_ms>0 ? timeout_ms : 0);
  int64_t busy_until = 0L;
  for(;;) {
    int64_t now = rg_ucx_now_us();
    if( ucp_worker_progress( s->w.worker ) ) { busy_until = now + RG_UCX_SPIN_US; continue; }
    if( rg_ucx_server_work( s ) ) continue; /* it may have sent: progress again */
    if( now<busy_until ) continue;
    int64_t left = deadline - rg_ucx_now_ms();
    if( left<=0 ) return RG_SUCCESS;
    ucs_status_t st = ucp_worker_arm( s->w.worker );
    if( st==UCS_ERR_BUSY ) continue; /* events arrived meanwhile */
    if( st!=UCS_OK ) return rg_err( RG_ERR_IO, "UCX cannot arm its worker: %s", ucs_status_string( st ) );
    struct pollfd pfd = { .fd = s->efd, .events = POLLIN };
    int n = poll( &pfd, 1, (int)left );
    if( n<0 && errno!=EINTR ) return rg_err( RG_ERR_IO, "poll on the UCX worker: %s", strerror( errno ) );
    if( n<=0 ) return RG_SUCCESS; /* the time is up, or a signal for the caller */
  }
}

/* admit and clients may be called from another thread than poll's (a
   word each, atomically). */

int
rg_ucx_server_admit( rg_server_t * s,
                     int           open ) {
  __atomic_store_n( &((rg_ucx_server_t *)s)->closed, !open, __ATOMIC_RELEASE );
  return RG_SUCCESS;
}

uint64_t
rg_ucx_server_cnt( rg_server_t const * s ) {
  return __atomic_load_n( &((rg_ucx_server_t const *)s)->peer_cnt, __ATOMIC_ACQUIRE );
}

int
rg_ucx_server_uri( rg_server_t const * server,
                   char *              buf,
                   uint64_t            buf_sz ) {
  rg_ucx_server_t const * s = (rg_ucx_server_t const *)server;
  int n = snprintf( buf, buf_sz, "ucx://%s:%u", s->addr, s->port );
  return n<0 || (uint64_t)n>=buf_sz ? rg_err( RG_ERR_INVAL, "URI buffer too small" ) : RG_SUCCESS;
}

void
rg_ucx_server_delete( rg_server_t * server ) {
  rg_ucx_server_t * s = (rg_ucx_server_t *)server;
  if( !s ) return;
  while( s->pending_cnt ) ucp_listener_reject( s->listener, s->pending[ --s->pending_cnt ] );
  if( s->listener ) ucp_listener_destroy( s->listener );
  while( s->peers ) rg_ucx_peer_drop( s, s->peers, "disconnected by the server" );
  if( s->rkey ) ucp_rkey_buffer_release( s->rkey );
  if( s->memh ) ucp_mem_unmap( s->w.ctx, s->memh );
  rg_ucx_worker_delete( &s->w );
  free( s );
}
