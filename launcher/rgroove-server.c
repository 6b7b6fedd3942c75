/* rgroove-server: the memory server.  Holds a pool region, registers it
   for remote read, write and atomics, admits clients, and otherwise
   stays out of the way: allocation is done by the clients. */

#include "rgroove/rgroove.h"
#include "base/rg_opt.h"
#include "base/rg_proc.h"
#include "rg_recoverer.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested, verify_requested;

static void on_stop  ( int sig ) { (void)sig; stop_requested   = 1; }
static void on_verify( int sig ) { (void)sig; verify_requested = 1; }

/* A client's connection is gone: the recoverer repairs what it left. */

static rg_recoverer_t * recoverer;

static void
on_event( void *       ctx,
          int          event,
          uint64_t     serial,
          char const * peer ) {
  (void)ctx; (void)peer;
  if( event==RG_SERVE_DISCONNECT && recoverer ) rg_recoverer_gone( recoverer, serial );
}

/* recoverer_stop ends the recoverer, polling meanwhile (its connection
   closes through this server), then waits until no client is counted
   (bounded): the quiet checks need them all gone. */

static int
recoverer_stop( rg_transport_t const * tp,
                rg_server_t *          srv ) {
  rg_recoverer_delete_begin( recoverer );
  for( int i=0; !rg_recoverer_delete_done( recoverer ); i++ ) {
    int err = tp->poll( srv, 20 );
    if( err ) return err;
  }
  rg_recoverer_delete_end( recoverer );
  recoverer = NULL;
  for( int i=0; i<100 && tp->clients( srv ); i++ ) { int err = tp->poll( srv, 20 ); if( err ) return err; }
  return RG_SUCCESS;
}

static void
usage( FILE * f ) {
  fprintf( f,
    "Usage: rgroove-server [options]\n"
    "\n"
    "Serves an rgroove pool over a network transport: clients connect with\n"
    "verbs://ADDR:PORT (or ucx://ADDR:PORT) and allocate, free, read and write in it\n"
    "one-sidedly.\n"
    "\n"
    "  -P, --pool URI      the pool's memory: anon, shm:/NAME or file:PATH (default\n"
    "                      anon).  An existing shm:/ or file: pool is verified and\n"
    "                      served again.  The server owns the pool (a lock): a second\n"
    "                      server, or --verify, on it is refused while it runs\n"
    "  -T, --transport T   verbs (default) or ucx\n"
    "  -v, --volumes N     1 GiB volumes to create the pool with, 1 to %lu (default 1);\n"
    "                      all of the region is registered, so it is pinned in memory:\n"
    "                      checked first against MemAvailable, ulimit -l (unless\n"
    "                      CAP_IPC_LOCK) and the free space of /dev/shm or the file's\n"
    "                      filesystem\n"
    "  -a, --addr A        IPv4 address to listen on (default 0.0.0.0): over verbs\n"
    "                      one of an RDMA interface\n"
    "  -p, --port P        port, 1 to 65535 (default %u)\n"
    "  -d, --device D      RDMA device NAME[:PORT] to serve through (default:\n"
    "                      RGROOVE_DEVICE, else the device of --addr); without --addr,\n"
    "                      listen on its address\n"
    "  -g, --gid-index N   GID index 0 to 255 (default: RGROOVE_GID_INDEX, else\n"
    "                      rdma_cm's); without --addr, listen on the IPv4 address that\n"
    "                      GID holds\n"
    "  -t, --token-file F  clients must present the token in F (default: RGROOVE_TOKEN\n"
    "                      or RGROOVE_TOKEN_FILE from the environment; none: an empty\n"
    "                      token)\n"
    "  -r, --ready-file F  create F once listening (for scripts)\n"
    "  -V, --verify        verify an existing pool and exit (0 if it is sound) without\n"
    "                      serving; never creates one\n"
    "  -R, --recover       first repair what clients that died mid-operation left\n"
    "                      (with --verify, or when re-serving an existing pool)\n"
    "  -q, --quiet         log only errors\n"
    "  -h, --help          this text\n"
    "      --version       the version\n"
    "\n"
    "Exit status: 0 done, 1 the pool could not be opened or served, 2 bad arguments,\n"
    "3 the pool is not sound.\n"
    "\n"
    "Logs every connect, reject and disconnect.  A client that disconnects without\n"
    "leaving (killed, or its host gone) is recovered at once, online, through the\n"
    "server's own connection: what it held goes back, its interrupted operation is\n"
    "finished or undone (the log says how long it took); its objects stay.\n"
    "SIGUSR1 repairs (see --recover) and verifies the pool when no client is\n"
    "attached (admission stays closed meanwhile, and a client that connects then\n"
    "waits: RGROOVE_OPEN_WAIT_MS); SIGINT or SIGTERM disconnect everyone, repair\n"
    "and verify the now quiet pool and exit (status 3 if it is not sound).\n", RG_VOLUME_MAX, 7471U );
}

static int quiet;

static void
log_line( void *       ctx,
          char const * line ) {
  (void)ctx;
  if( quiet ) return;
  time_t now = time( NULL );
  struct tm tm;
  char ts[ 32 ];
  strftime( ts, sizeof(ts), "%H:%M:%S", localtime_r( &now, &tm ) );
  printf( "%s rgroove-server: %s\n", ts, line );
  fflush( stdout );
}

/* check_pool runs on a quiet pool: repair what clients that died left
   (when recover is set), then verify circulation and every volume. */

static int
check_pool( rg_mem_t const * mem,
            int              recover ) {
  rg_groove_recovery_t rec;
  rg_groove_usage_t    u;
  char                 line[ 256 ];
  int err = rg_region_check( mem, recover ? RG_RECOVER_SERVER_GONE : 0, &rec, &u ); /* quiet: every network client is gone */
  if( !err && (rec.slots_freed || rec.superblocks_recirculated || rec.volumes_released) ) {
    snprintf( line, sizeof(line), "recover: freed %lu slot(s) and recirculated %lu superblock(s) left by dead clients, released %lu volume(s)",
              rec.slots_freed, rec.superblocks_recirculated, rec.volumes_released );
    log_line( NULL, line );
  }
  if( err ) snprintf( line, sizeof(line), "verify: %s: %s", rg_strerror( err ), rg_errmsg() );
  else snprintf( line, sizeof(line), "verify: success (%lu live objects, %lu bytes, %lu superblocks, %lu volume(s) in use, %lu empty)",
                 u.objects, u.object_bytes, u.superblocks, u.volumes_in_use, u.volumes_empty );
  int was_quiet = quiet;
  quiet = 0;
  log_line( NULL, line );
  quiet = was_quiet;
  return err;
}

/* open_region attaches an existing named pool and owns it (rg_shm_own:
   first, so that a second server is refused before anything else), or
   creates a new one unless only verifying.  Either way the host must be
   able to hold it pinned (rg_shm_preflight) before it is served. */

static rg_conn_t *
open_region( char const * uri,
             uint64_t     volumes,
             int          verify_only,
             int *        created ) {
  rg_uri_t u;
  int err, kind = -1;
  *created = 0;
  if( rg_uri_parse( uri, &u ) ) { fprintf( stderr, "rgroove-server: %s\n", rg_errmsg() ); return NULL; }
  if( !strcmp( u.scheme, "anon" ) ) kind = RG_SHM_ANON;
  if( !strcmp( u.scheme, "shm"  ) ) kind = RG_SHM_POSIX;
  if( !strcmp( u.scheme, "file" ) ) kind = RG_SHM_FILE;
  if( kind<0 ) {
    fprintf( stderr, "rgroove-server: --pool %s: a server serves a pool mapped here (anon, shm:/NAME, file:PATH)\n", uri );
    return NULL;
  }
  int pinned = verify_only ? 0 : RG_SHM_FIT_PINNED;
  rg_conn_t * conn = kind!=RG_SHM_ANON ? rg_transport_open( uri, 0UL, &err ) : NULL;
  if( conn ) {
    if( (err = rg_shm_own( conn )) || (err = rg_shm_preflight( kind, NULL, conn->mem.size, pinned )) ) {
      fprintf( stderr, "rgroove-server: --pool %s: %s\n", uri, rg_errmsg() );
      conn->tp->close( conn );
      return NULL;
    }
    return conn;
  }
  if( kind!=RG_SHM_ANON && (err!=RG_ERR_KEY || verify_only) ) {
    fprintf( stderr, "rgroove-server: %s\n", err==RG_ERR_KEY ? "no pool there: --verify checks an existing pool, it never makes one" : rg_errmsg() );
    return NULL;
  }
  if( verify_only ) { fprintf( stderr, "rgroove-server: --verify needs an existing pool (shm:/NAME or file:PATH)\n" ); return NULL; }
  uint64_t size = rg_region_footprint( volumes );
  if( rg_shm_preflight( kind, u.path, size, RG_SHM_FIT_NEW | RG_SHM_FIT_PINNED ) ) {
    fprintf( stderr, "rgroove-server: --pool %s --volumes %lu: %s\n", uri, volumes, rg_errmsg() );
    return NULL;
  }
  conn = rg_transport_open( uri, size, &err ); /* its creator owns it */
  if( !conn ) { fprintf( stderr, "rgroove-server: %s\n", rg_errmsg() ); return NULL; }
  *created = 1;
  if( (err = rg_region_new( &conn->mem, volumes, volumes )) ) {
    fprintf( stderr, "rgroove-server: cannot format the pool: %s\n", rg_errmsg() );
    conn->tp->close( conn );
    rg_pool_unlink( uri );
    return NULL;
  }
  return conn;
}

int
main( int     argc,
      char ** argv ) {
  char const * pool_uri = "anon", * addr = "0.0.0.0", * token_file = NULL, * ready_file = NULL, * transport = "verbs";
  char const * device = NULL;
  uint64_t volumes = 1UL, port = 7471UL, gid = 0UL;
  long gid_index = -1L;
  int verify_only = 0, recover = 0;
  static struct option const opts[] = {
    { "pool", required_argument, NULL, 'P' }, { "volumes", required_argument, NULL, 'v' },
    { "transport", required_argument, NULL, 'T' },
    { "addr", required_argument, NULL, 'a' }, { "port", required_argument, NULL, 'p' },
    { "device", required_argument, NULL, 'd' }, { "gid-index", required_argument, NULL, 'g' },
    { "token-file", required_argument, NULL, 't' }, { "ready-file", required_argument, NULL, 'r' },
    { "verify", no_argument, NULL, 'V' }, { "recover", no_argument, NULL, 'R' }, { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'W' }, { NULL, 0, NULL, 0 }
  };
  for( int c; (c = getopt_long( argc, argv, "P:v:T:a:p:d:g:t:r:VRqh", opts, NULL ))!=-1; ) {
    switch( c ) {
    case 'P': pool_uri   = optarg; break;
    case 'T': transport  = optarg; break;
    case 'v': if( rg_opt_u64( "rgroove-server", "--volumes", optarg, 1UL, RG_VOLUME_MAX, &volumes ) ) return 2; break;
    case 'a': addr       = optarg; break;
    case 'p': if( rg_opt_u64( "rgroove-server", "--port", optarg, 1UL, 65535UL, &port ) ) return 2; break;
    case 'd': device     = optarg; break;
    case 'g': if( rg_opt_u64( "rgroove-server", "--gid-index", optarg, 0UL, 255UL, &gid ) ) return 2; gid_index = (long)gid; break;
    case 't': token_file = optarg; break;
    case 'r': ready_file = optarg; break;
    case 'V': verify_only = 1; break;
    case 'R': recover = 1; break;
    case 'q': quiet = 1; break;
    case 'h': usage( stdout ); return 0;
    case 'W': rg_opt_version( "rgroove-server" ); return 0;
    default:  usage( stderr ); return 2;
    }
  }
  if( optind<argc ) {
    fprintf( stderr, "rgroove-server: unexpected argument '%s' (see --help)\n", argv[ optind ] );
    return 2;
  }
  if( token_file && setenv( "RGROOVE_TOKEN_FILE", token_file, 1 ) ) return 2;
  if( token_file ) unsetenv( "RGROOVE_TOKEN" );
  rg_transport_t const * tp = rg_transport_find( transport );
  if( !tp || !tp->serve || !tp->built ) {
    fprintf( stderr, "rgroove-server: --transport %s: %s\n", transport,
             !tp || !tp->serve ? "not a network transport (use verbs or ucx)" : "this rgroove was built without it" );
    return 2;
  }
  uint8_t  token[ RG_TOKEN_MAX ];
  uint64_t token_sz;
  if( rg_token_load( token, sizeof(token), &token_sz ) ) { fprintf( stderr, "rgroove-server: %s\n", rg_errmsg() ); return 2; }

  int created;
  rg_conn_t * region = open_region( pool_uri, volumes, verify_only, &created );
  if( !region ) return 1;
  rg_mem_t const * mem = &region->mem;
  rg_region_info_t info;
  if( rg_region_query( mem, &info ) ) {
    fprintf( stderr, "rgroove-server: %s is not a pool: %s\n", pool_uri, rg_errmsg() );
    region->tp->close( region );
    return 1;
  }
  if( !created || verify_only ) {
    int err = check_pool( mem, recover );
    if( verify_only || err ) { region->tp->close( region ); return err ? 3 : 0; }
  }

  signal( SIGINT, on_stop );
  signal( SIGTERM, on_stop );
  signal( SIGUSR1, on_verify );
  signal( SIGPIPE, SIG_IGN );

  int err;
  uint64_t boot = rg_proc_random(); /* the recoverer matches departed clients by it */
  rg_serve_cfg_t cfg = { .addr = addr, .port = (uint16_t)port, .device = device, .gid_index = (int)gid_index,
                         .token = token, .token_sz = token_sz, .boot = boot, .log = log_line, .event = on_event };
  rg_mem_t const * mapped = tp->domain==RG_MEM_DOMAIN_CPU ? mem : NULL; /* recovery through the mapping: rg_recoverer.h */
  rg_server_t * srv = tp->serve( mem, &cfg, &err );
  if( !srv ) {
    fprintf( stderr, "rgroove-server: %s\n", rg_errmsg() );
    region->tp->close( region );
    if( created ) rg_pool_unlink( pool_uri ); /* never served: nothing in it to keep */
    return 1;
  }
  char line[ 512 ], where[ 256 ] = "?";
  tp->uri( srv, where, sizeof(where) );
  snprintf( line, sizeof(line), "%s pool %s: %lu volume(s), %lu bytes registered; listening at %s (token: %s)",
            created ? "created" : "serving", pool_uri, info.volume_max, info.size, where, token_sz ? "required" : "none" );
  log_line( NULL, line );
  recoverer = rg_recoverer_new( where, mapped, boot, log_line, NULL );
  if( !recoverer ) log_line( NULL, rg_errmsg() );
  if( ready_file ) { FILE * f = fopen( ready_file, "w" ); if( f ) fclose( f ); }

  int status = 0;
  while( !stop_requested ) {
    if( !(err = tp->poll( srv, 200 )) && verify_requested ) {
      verify_requested = 0;
      tp->admit( srv, 0 ); /* no client may arrive while the pool is checked */
      err = recoverer_stop( tp, srv );
      if( err ) break;
      if( tp->clients( srv ) ) log_line( NULL, "verify: skipped, clients are attached (the pool must be quiet)" );
      else if( check_pool( mem, 1 ) ) status = 3;
      tp->admit( srv, 1 );
      recoverer = rg_recoverer_new( where, mapped, boot, log_line, NULL );
    }
    if( err ) break;
  }
  if( err ) {
    fprintf( stderr, "rgroove-server: %s\n", rg_errmsg() );
    status = 1;
  }
  log_line( NULL, "shutting down" );
  if( !err && recoverer_stop( tp, srv ) ) fprintf( stderr, "rgroove-server: %s\n", rg_errmsg() );
  tp->stop( srv ); /* every connection gone before the pool is checked */
  if( check_pool( mem, 1 ) ) status = 3;
  region->tp->close( region );
  return status;
}
