/* The ucx transport against a server in this process (a thread polls
   it, as rg_mpi's progress thread does): admission and its refusals,
   connect and disconnect events by serial, a killed client, clients
   that die with requests in flight, a fixed sequence of memory
   operations whose results and counters must equal loop's, and opens
   that wait while admission is closed.  Run by tests/ucx/admission.sh
   (UCX_TLS=tcp on a host without RDMA).

   The killed client is this program again (fork and exec): a child of
   a process that runs UCX must not reuse its parent's UCX state. */

#include "rg_test.h"
#include "rgroove/rgroove.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOKEN "the-right-token"
#define EVENT_MAX (64)

static rg_transport_t const * tp;
static rg_server_t *          srv;
static uint16_t               port;
static char                   uri[ 64 ];
static volatile int           stop;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t        connected[ EVENT_MAX ], disconnected[ EVENT_MAX ];
static int             connected_cnt, disconnected_cnt;

static void
on_event( void *       ctx,
          int          event,
          uint64_t     serial,
          char const * peer ) {
  (void)ctx; (void)peer;
  pthread_mutex_lock( &lock );
  if( event==RG_SERVE_CONNECT    && connected_cnt<EVENT_MAX    ) connected   [ connected_cnt++    ] = serial;
  if( event==RG_SERVE_DISCONNECT && disconnected_cnt<EVENT_MAX ) disconnected[ disconnected_cnt++ ] = serial;
  pthread_mutex_unlock( &lock );
}

static void on_log( void * ctx, char const * line ) { (void)ctx; printf( "    server: %s\n", line ); fflush( stdout ); }

static int
seen( uint64_t const * list,
      int const *      cnt,
      uint64_t         serial ) {
  pthread_mutex_lock( &lock );
  int found = 0;
  for( int i=0; i<*cnt; i++ ) found |= list[i]==serial;
  pthread_mutex_unlock( &lock );
  return found;
}

/* wait_disconnect: the server reports serial gone, within 20 s (a bound
   against hanging, not a timing check). */

static int
wait_disconnect( uint64_t serial ) {
  for( int ms=0; ms<20000; ms+=10 ) {
    if( seen( disconnected, &disconnected_cnt, serial ) ) return 1;
    usleep( 10000 );
  }
  return 0;
}

static int paused, parked; /* asked to leave the server alone; out of it */

static void *
progress( void * arg ) {
  (void)arg;
  while( !stop ) {
    int p = __atomic_load_n( &paused, __ATOMIC_ACQUIRE );
    __atomic_store_n( &parked, p, __ATOMIC_RELEASE );
    if( p ) { usleep( 1000 ); continue; }
    if( tp->poll( srv, 50 ) ) break;
  }
  return NULL;
}

static rg_conn_t *
connect_as( char const * token,
            uint32_t     version,
            uint16_t     at,
            int *        err ) {
  return rg_ucx_open_as( "127.0.0.1", at, token, token ? strlen( token ) : 0UL, version, err );
}

static void
test_admission( void ) {
  int err = 0;
  CU_ASSERT_PTR_NULL( connect_as( "not-the-token", RG_UCX_PROTO_VERSION, port, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_PERM );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "wrong admission token" ) );
  printf( "\n  wrong token: %s\n", rg_errmsg() );
  CU_ASSERT_PTR_NULL( connect_as( TOKEN, RG_UCX_PROTO_VERSION + 1U, port, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_PERM );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "protocol version" ) );
  printf( "  wrong version: %s\n", rg_errmsg() );
  CU_ASSERT_EQUAL( tp->admit( srv, 0 ), RG_SUCCESS );
  CU_ASSERT_PTR_NULL( connect_as( TOKEN, RG_UCX_PROTO_VERSION, port, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_AGAIN );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "try again" ) );
  printf( "  admission closed: %s\n", rg_errmsg() );
  CU_ASSERT_EQUAL( tp->admit( srv, 1 ), RG_SUCCESS );
  /* a port bound here and not listening: nobody can be there */
  int sock = socket( AF_INET, SOCK_STREAM, 0 );
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl( INADDR_LOOPBACK ) };
  socklen_t sin_sz = sizeof(sin);
  CU_ASSERT_FATAL( sock>=0 && !bind( sock, (struct sockaddr *)&sin, sizeof(sin) ) && !getsockname( sock, (struct sockaddr *)&sin, &sin_sz ) );
  CU_ASSERT_PTR_NULL( connect_as( TOKEN, RG_UCX_PROTO_VERSION, ntohs( sin.sin_port ), &err ) );
  close( sock );
  CU_ASSERT_EQUAL( err, RG_ERR_IO );
  printf( "  no server there: %s\n", rg_errmsg() );
  char long_token[ RG_TOKEN_MAX + 2UL ];
  memset( long_token, 'x', sizeof(long_token) - 1UL );
  long_token[ sizeof(long_token) - 1UL ] = '\0';
  CU_ASSERT_PTR_NULL( connect_as( long_token, RG_UCX_PROTO_VERSION, port, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  CU_ASSERT_EQUAL( tp->clients( srv ), 0UL ); /* no refused client was ever counted */
  CU_ASSERT_EQUAL( connected_cnt, 0 );
}

static void
test_events_by_serial( void ) {
  int err;
  rg_conn_t * a = connect_as( TOKEN, RG_UCX_PROTO_VERSION, port, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( a );
  rg_conn_t * b = connect_as( TOKEN, RG_UCX_PROTO_VERSION, port, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( b );
  CU_ASSERT_EQUAL( a->id_kind, RG_CONN_ID_SERVER );
  CU_ASSERT_EQUAL( a->id[0], b->id[0] );      /* one server boot */
  CU_ASSERT_EQUAL( b->id[1], a->id[1] + 1UL ); /* serials in admission order */
  CU_ASSERT_EQUAL( a->mem.domain, RG_MEM_DOMAIN_CPU );
  CU_ASSERT_PTR_NULL( a->mem.base );
  CU_ASSERT( rg_mem_round_trips( &a->mem ) );
  CU_ASSERT( seen( connected, &connected_cnt, a->id[1] ) && seen( connected, &connected_cnt, b->id[1] ) );
  CU_ASSERT_EQUAL( tp->clients( srv ), 2UL );   /* counted from the answer on */
  uint64_t sa = a->id[1], sb = b->id[1];
  CU_ASSERT_EQUAL( a->tp->close( a ), RG_SUCCESS );
  CU_ASSERT( wait_disconnect( sa ) );
  CU_ASSERT( !seen( disconnected, &disconnected_cnt, sb ) );
  CU_ASSERT_EQUAL( tp->clients( srv ), 1UL );
  CU_ASSERT_EQUAL( b->tp->close( b ), RG_SUCCESS );
  CU_ASSERT( wait_disconnect( sb ) );
  CU_ASSERT_EQUAL( tp->clients( srv ), 0UL );
  char buf[ 64 ], want[ 64 ];
  CU_ASSERT_EQUAL( tp->uri( srv, buf, sizeof(buf) ), RG_SUCCESS );
  snprintf( want, sizeof(want), "ucx://127.0.0.1:%u", port );
  CU_ASSERT_STRING_EQUAL( buf, want );
}

/* The child: connect, say the serial, work until killed. */

static int
victim_main( int fd ) {
  rg_conn_t * c = connect_as( TOKEN, RG_UCX_PROTO_VERSION, port, NULL );
  if( !c ) { fprintf( stderr, "victim: %s\n", rg_errmsg() ); return 1; }
  if( write( fd, &c->id[1], sizeof(c->id[1]) )!=(ssize_t)sizeof(c->id[1]) ) return 1;
  for( uint64_t old;; ) if( rg_mem_faa( &c->mem, 4096UL, 0UL, &old ) ) return 1;
}

/* The other child: connect, say so, post as many atomics as may be in
   flight (a read or write among them would wait for their answers) and
   die.  The server, held meanwhile, then answers a process that is
   gone. */

static int
flood_main( int fd ) {
  rg_conn_t * c = connect_as( TOKEN, RG_UCX_PROTO_VERSION, port, NULL );
  if( !c ) { fprintf( stderr, "flood: %s\n", rg_errmsg() ); return 1; }
  char go;
  if( write( fd, "c", 1 )!=1 || read( fd, &go, 1 )!=1 ) return 1;
  static uint64_t word[ RG_MEM_INFLIGHT_RA ];
  rg_mem_req_t r[ RG_MEM_INFLIGHT_RA ];
  for( uint64_t i=0UL; i<RG_MEM_INFLIGHT_RA; i++ )
    r[i] = (rg_mem_req_t){ .op = i & 1UL ? RG_MEM_OP_CAS : RG_MEM_OP_FAA, .off = 8192UL + 8UL*i, .old = &word[i] };
  uint64_t t;
  if( rg_mem_post( &c->mem, r, RG_MEM_INFLIGHT_RA, &t ) ) { fprintf( stderr, "flood: %s\n", rg_errmsg() ); return 1; }
  raise( SIGKILL );
  return 1;
}

/* spawn runs this program again as a child client: test_ucx MODE FD
   PORT, fd its end of a pipe or socket pair to this process. */

static pid_t
spawn( char const * mode,
       int          fd ) {
  pid_t pid = rg_test_fork();
  if( !pid ) {
    char a[ 16 ], p[ 16 ];
    snprintf( a, sizeof(a), "%d", fd );
    snprintf( p, sizeof(p), "%u", port );
    execl( "/proc/self/exe", "test_ucx", mode, a, p, (char *)NULL );
    _exit( 127 );
  }
  return pid;
}

static void
test_killed_client( void ) {
  int fds[ 2 ];
  CU_ASSERT_FATAL( !pipe( fds ) );
  pid_t pid = spawn( "--victim", fds[1] );
  close( fds[1] );
  uint64_t serial = 0UL;
  CU_ASSERT_EQUAL( read( fds[0], &serial, sizeof(serial) ), (ssize_t)sizeof(serial) );
  close( fds[0] );
  usleep( 100000 ); /* let it work a little */
  CU_ASSERT_EQUAL( kill( pid, SIGKILL ), 0 );
  int status;
  waitpid( pid, &status, 0 );
  CU_ASSERT( WIFSIGNALED( status ) );
  CU_ASSERT( serial && seen( connected, &connected_cnt, serial ) );
  CU_ASSERT( wait_disconnect( serial ) );
  printf( "\n  client %lu killed: the server saw it go\n", serial );
  CU_ASSERT_EQUAL( tp->clients( srv ), 0UL );
  rg_conn_t * c = connect_as( TOKEN, RG_UCX_PROTO_VERSION, port, NULL ); /* the server still serves */
  CU_ASSERT_PTR_NOT_NULL_FATAL( c );
  CU_ASSERT_EQUAL( c->tp->close( c ), RG_SUCCESS );
}

/* A client that dies with its requests in flight, 20 times: the server
   (this process) must answer into the void and serve on.  UCX 1.13's
   own emulated operations abort the process there. */

static void
test_died_with_requests( void ) {
  uint64_t served = 0UL;
  for( int i=0; i<20; i++ ) {
    int fds[ 2 ];
    CU_ASSERT_FATAL( !socketpair( AF_UNIX, SOCK_STREAM, 0, fds ) );
    pid_t pid = spawn( "--flood", fds[1] );
    close( fds[1] );
    char said;
    CU_ASSERT( read( fds[0], &said, 1 )==1 ); /* connected */
    __atomic_store_n( &paused, 1, __ATOMIC_RELEASE );
    while( !__atomic_load_n( &parked, __ATOMIC_ACQUIRE ) ) usleep( 1000 );
    CU_ASSERT( write( fds[0], "g", 1 )==1 );
    int status;
    waitpid( pid, &status, 0 );
    close( fds[0] );
    __atomic_store_n( &paused, 0, __ATOMIC_RELEASE );
    CU_ASSERT( WIFSIGNALED( status ) && WTERMSIG( status )==SIGKILL );
    for( int ms=0; ms<20000 && tp->clients( srv ); ms+=10 ) usleep( 10000 );
    served += !tp->clients( srv );
  }
  CU_ASSERT_EQUAL( served, 20UL );
  rg_conn_t * c = connect_as( TOKEN, RG_UCX_PROTO_VERSION, port, NULL ); /* the server still serves */
  CU_ASSERT_PTR_NOT_NULL_FATAL( c );
  uint64_t old = 1UL;
  CU_ASSERT_EQUAL( rg_mem_faa( &c->mem, 8192UL, 0UL, &old ), RG_SUCCESS );
  CU_ASSERT_EQUAL( c->tp->close( c ), RG_SUCCESS );
  printf( "\n  20 clients died with %lu requests in flight each; the server saw each go and serves on\n", RG_MEM_INFLIGHT_RA );
}

/* sequence: a fixed set of calls on words [off, off+4096) of m; every
   result goes into out (compared across transports), with checks of
   what the order of requests implies. */

#define OUT_MAX (512)

static void
sequence( rg_mem_t const * m,
          uint64_t         off,
          uint64_t *       out ) {
  uint64_t n = 0UL, old, t, w[ 8 ];
  for( uint64_t i=0UL; i<8UL; i++ ) w[i] = 0x1000UL + i;
  CU_ASSERT_EQUAL( rg_mem_write_words( m, off, w, 8UL ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_mem_cas( m, off, 0x1000UL, 7UL, &old ), RG_SUCCESS ); /* publishes the write */
  CU_ASSERT_EQUAL( old, 0x1000UL );
  out[ n++ ] = old;
  CU_ASSERT_EQUAL( rg_mem_cas( m, off, 0x1000UL, 9UL, &old ), RG_SUCCESS ); /* fails */
  CU_ASSERT_EQUAL( old, 7UL );
  out[ n++ ] = old;
  CU_ASSERT_EQUAL( rg_mem_faa( m, off + 8UL, 5UL, &old ), RG_SUCCESS );
  CU_ASSERT_EQUAL( old, 0x1001UL );
  out[ n++ ] = old;
  CU_ASSERT_EQUAL( rg_mem_read_words( m, off, w, 8UL ), RG_SUCCESS );
  CU_ASSERT_EQUAL( w[1], 0x1006UL );
  for( uint64_t i=0UL; i<8UL; i++ ) out[ n++ ] = w[i];
  CU_ASSERT_EQUAL( rg_mem_fence( m ), RG_SUCCESS ); /* nothing outstanding */
  CU_ASSERT_EQUAL( rg_mem_store( m, off + 64UL, 42UL ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_mem_fence( m ), RG_SUCCESS ); /* a store to wait for */

  /* one post: executed in the order given */
  uint64_t src[ 2 ] = { 100UL, 200UL }, got[ 2 ] = { 0UL, 0UL }, last[ 2 ] = { 0UL, 0UL }, o1 = 0UL, o2 = 0UL;
  rg_mem_req_t req[ 5 ] = {
    { .op = RG_MEM_OP_WRITE, .off = off + 128UL, .sz = 16UL, .buf = src },
    { .op = RG_MEM_OP_READ,  .off = off + 128UL, .sz = 16UL, .buf = got },
    { .op = RG_MEM_OP_CAS,   .off = off + 128UL, .cmp = 100UL, .swp = 300UL, .old = &o1 },
    { .op = RG_MEM_OP_FAA,   .off = off + 128UL, .cmp = 1UL, .old = &o2 },
    { .op = RG_MEM_OP_READ,  .off = off + 128UL, .sz = 16UL, .buf = last },
  };
  CU_ASSERT_EQUAL( rg_mem_post( m, req, 5UL, &t ), RG_SUCCESS );
  src[0] = 0UL; /* the post copied it */
  CU_ASSERT_EQUAL( rg_mem_wait( m, t ), RG_SUCCESS );
  CU_ASSERT( got[0]==100UL && got[1]==200UL && o1==100UL && o2==300UL && last[0]==301UL && last[1]==200UL );
  out[ n++ ] = got[0]; out[ n++ ] = o1; out[ n++ ] = o2; out[ n++ ] = last[0];

  /* more than the in-flight limits in one post, then waits on an older
     and on the newest ticket */
  rg_mem_req_t many[ 100 ];
  uint64_t     vals[ 100 ];
  for( uint64_t i=0UL; i<100UL; i++ ) {
    vals[i] = i*3UL;
    many[i] = i<70UL ? (rg_mem_req_t){ .op = RG_MEM_OP_WRITE, .off = off + 1024UL + 8UL*i, .sz = 8UL, .buf = &vals[i] }
                     : (rg_mem_req_t){ .op = RG_MEM_OP_READ,  .off = off + 1024UL + 8UL*(i - 70UL), .sz = 8UL, .buf = &vals[i] };
  }
  CU_ASSERT_EQUAL( rg_mem_post( m, many, 100UL, &t ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_mem_wait( m, t - 10UL ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_mem_wait( m, t ), RG_SUCCESS );
  for( uint64_t i=70UL; i<100UL; i++ ) { CU_ASSERT_EQUAL( vals[i], (i - 70UL)*3UL ); out[ n++ ] = vals[i]; }
  CU_ASSERT_EQUAL( rg_mem_load( m, off + 64UL, &old ), RG_SUCCESS );
  CU_ASSERT_EQUAL( old, 42UL );
  out[ n++ ] = old;
  CU_ASSERT( n<=OUT_MAX );
}

/* run_sequence: sequence on a fresh object of pool; *d gets what the
   calls added to the connection's counters. */

static void
run_sequence( rg_pool_t *      pool,
              uint64_t *       out,
              rg_mem_stats_t * d ) {
  rg_gaddr_t a;
  CU_ASSERT_EQUAL_FATAL( rg_pool_alloc( pool, 0UL, 4096UL, 1UL, &a ), RG_SUCCESS );
  rg_conn_t * c = rg_pool_conn( pool, 0UL );
  rg_mem_stats_t s0, s1;
  c->tp->stats( c, &s0 );
  sequence( &c->mem, rg_gaddr_off( a ), out );
  c->tp->stats( c, &s1 );
  uint64_t * p0 = (uint64_t *)&s0, * p1 = (uint64_t *)&s1, * pd = (uint64_t *)d;
  for( uint64_t i=0UL; i<sizeof(*d)/8UL; i++ ) pd[i] = p1[i] - p0[i];
  CU_ASSERT_EQUAL( rg_pool_free( pool, a ), RG_SUCCESS );
}

static void
test_same_as_loop( void ) {
  rg_pool_t * over_ucx  = rg_pool_open( uri, 0UL, NULL );
  rg_pool_t * over_loop = rg_pool_create( "loop:anon", 1UL, 1UL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( over_ucx );
  CU_ASSERT_PTR_NOT_NULL_FATAL( over_loop );
  static uint64_t out_ucx[ OUT_MAX ], out_loop[ OUT_MAX ];
  rg_mem_stats_t d_ucx, d_loop;
  run_sequence( over_ucx,  out_ucx,  &d_ucx  );
  run_sequence( over_loop, out_loop, &d_loop );
  CU_ASSERT_EQUAL( memcmp( out_ucx, out_loop, sizeof(out_ucx) ), 0 );
  printf( "\n  ucx:  %lu reads, %lu writes, %lu cas (%lu failed), %lu faa, %lu round trips, %lu doorbells\n",
          d_ucx.reads, d_ucx.writes, d_ucx.cas, d_ucx.cas_failed, d_ucx.faa, d_ucx.round_trips, d_ucx.doorbells );
  printf( "  loop: %lu reads, %lu writes, %lu cas (%lu failed), %lu faa, %lu round trips, %lu doorbells\n",
          d_loop.reads, d_loop.writes, d_loop.cas, d_loop.cas_failed, d_loop.faa, d_loop.round_trips, d_loop.doorbells );
  CU_ASSERT_EQUAL( memcmp( &d_ucx, &d_loop, sizeof(d_ucx) ), 0 );
  CU_ASSERT_EQUAL( rg_pool_verify( over_ucx ), RG_SUCCESS );
  rg_pool_close( over_ucx );
  rg_pool_close( over_loop );
}

/* A server checking the pool turns connects away for a moment:
   rg_pool_open and rg_pool_dup wait for it (RGROOVE_OPEN_WAIT_MS). */

static int reopened;

static void *
reopen_later( void * arg ) {
  (void)arg;
  usleep( 300000 );
  __atomic_store_n( &reopened, 1, __ATOMIC_RELEASE ); /* before: whoever gets in saw it set */
  tp->admit( srv, 1 );
  return NULL;
}

static rg_pool_t *
open_while_closed( rg_pool_t * from,
                   int *       err ) {
  pthread_t t;
  __atomic_store_n( &reopened, 0, __ATOMIC_RELEASE );
  CU_ASSERT_EQUAL_FATAL( tp->admit( srv, 0 ), RG_SUCCESS );
  CU_ASSERT_FATAL( !pthread_create( &t, NULL, reopen_later, NULL ) );
  rg_pool_t * p = from ? rg_pool_dup( from, 1UL, err ) : rg_pool_open( uri, 0UL, err );
  CU_ASSERT( __atomic_load_n( &reopened, __ATOMIC_ACQUIRE ) ); /* it got in only once admission reopened */
  pthread_join( t, NULL );
  return p;
}

static void
test_open_waits( void ) {
  int err = 0;
  setenv( "RGROOVE_OPEN_WAIT_MS", "0", 1 );
  CU_ASSERT_EQUAL( tp->admit( srv, 0 ), RG_SUCCESS );
  CU_ASSERT_PTR_NULL( rg_pool_open( uri, 0UL, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_AGAIN );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "RGROOVE_OPEN_WAIT_MS" ) );
  printf( "\n  closed, RGROOVE_OPEN_WAIT_MS=0: %s\n", rg_errmsg() );
  setenv( "RGROOVE_OPEN_WAIT_MS", "soon", 1 );
  CU_ASSERT_PTR_NULL( rg_pool_open( uri, 0UL, &err ) );
  CU_ASSERT_EQUAL( err, RG_ERR_INVAL );
  printf( "  RGROOVE_OPEN_WAIT_MS=soon: %s\n", rg_errmsg() );
  CU_ASSERT_EQUAL( tp->admit( srv, 1 ), RG_SUCCESS );

  setenv( "RGROOVE_OPEN_WAIT_MS", "20000", 1 );
  rg_pool_t * p = open_while_closed( NULL, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( p );
  rg_pool_t * d = open_while_closed( p, &err );
  CU_ASSERT_PTR_NOT_NULL( d );
  printf( "  closed for 300 ms: rg_pool_open and rg_pool_dup waited, then got in\n" );
  rg_gaddr_t a;
  CU_ASSERT_EQUAL( rg_pool_alloc( d ? d : p, 0UL, 64UL, 0UL, &a ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_pool_free( p, a ), RG_SUCCESS );
  if( d ) rg_pool_close( d );
  rg_pool_close( p );
  unsetenv( "RGROOVE_OPEN_WAIT_MS" );
}

int
main( int     argc,
      char ** argv ) {
  if( argc==4 && !strcmp( argv[1], "--victim" ) ) {
    port = (uint16_t)strtoul( argv[3], NULL, 10 );
    return victim_main( atoi( argv[2] ) );
  }
  if( argc==4 && !strcmp( argv[1], "--flood" ) ) {
    port = (uint16_t)strtoul( argv[3], NULL, 10 );
    return flood_main( atoi( argv[2] ) );
  }
  tp = rg_transport_find( "ucx" );
  if( !tp || !tp->built ) { fprintf( stderr, "test_ucx: this rgroove was built without the ucx transport\n" ); return 77; }
  int err;
  rg_conn_t * region = rg_transport_open( "anon", rg_region_footprint( 1UL ), &err );
  if( !region || rg_region_new( &region->mem, 1UL, 1UL ) ) { fprintf( stderr, "test_ucx: %s\n", rg_errmsg() ); return 2; }
  rg_serve_cfg_t cfg = { .addr = "127.0.0.1", .gid_index = -1, .token = TOKEN, .token_sz = strlen( TOKEN ),
                         .log = on_log, .event = on_event };
  if( !(srv = tp->serve( &region->mem, &cfg, &err )) ) { fprintf( stderr, "test_ucx: cannot serve: %s\n", rg_errmsg() ); return 2; }
  char where[ 64 ];
  tp->uri( srv, where, sizeof(where) );
  port = (uint16_t)strtoul( strrchr( where, ':' ) + 1, NULL, 10 );
  snprintf( uri, sizeof(uri), "%s", where );
  rg_token_set( TOKEN, strlen( TOKEN ) ); /* for rg_pool_open */
  pthread_t thread;
  if( pthread_create( &thread, NULL, progress, NULL ) ) return 2;
  printf( "server in this process at %s\n", uri );

  static rg_test_t const tests[] = {
    { "admission: wrong token, wrong version, closed, no server",   test_admission        },
    { "connect and disconnect events by serial, clients counted",   test_events_by_serial },
    { "a killed client: the server sees it go, serves on",         test_killed_client    },
    { "clients that die with requests in flight",                  test_died_with_requests },
    { "a call sequence: the same results and counters as loop",    test_same_as_loop     },
    { "open and dup wait while the server is checking",            test_open_waits       },
    { NULL, NULL }
  };
  int rc = rg_test_main( "ucx", tests );
  stop = 1;
  pthread_join( thread, NULL );
  tp->stop( srv );
  region->tp->close( region );
  return rc;
}
