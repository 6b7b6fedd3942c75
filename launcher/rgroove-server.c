/* rgroove-server: the memory server.  Holds a pool region, registers it
   for remote read, write and atomics, admits clients, and otherwise
   stays out of the way: allocation is done by the clients. */

#include "rgroove/rgroove.h"
#include "rgroove/rg_verbs.h"

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

static void
usage( FILE * f ) {
  fprintf( f,
    "usage: rgroove-server [options]\n"
    "\n"
    "Serves an rgroove pool over RDMA: clients connect with verbs://ADDR:PORT and\n"
    "allocate, free, read and write in it one-sidedly.\n"
    "\n"
    "  --pool URI       the pool's memory: anon, shm:/NAME or file:PATH (default anon).\n"
    "                   An existing shm:/ or file: pool is verified and served again.\n"
    "  --volumes N      1 GiB volumes to create the pool with (default 1); all of the\n"
    "                   region is registered, so it is pinned in memory\n"
    "  --addr A         IPv4 address of an RDMA interface to listen on (default 0.0.0.0)\n"
    "  --port P         port (default %u)\n"
    "  --token-file F   clients must present the token in F (default: RGROOVE_TOKEN or\n"
    "                   RGROOVE_TOKEN_FILE from the environment; none: an empty token)\n"
    "  --ready-file F   create F once listening (for scripts)\n"
    "  --verify         verify the pool and exit (0 if it is sound) without serving\n"
    "  --recover        first repair what clients that died mid-operation left\n"
    "                   (with --verify, or when re-serving an existing pool)\n"
    "  --quiet          log only errors\n"
    "  --help           this text\n"
    "\n"
    "Logs every connect, reject and disconnect.  SIGUSR1 repairs (see --recover) and\n"
    "verifies the pool when no client is attached; SIGINT or SIGTERM disconnect\n"
    "everyone, repair and verify the now quiet pool and exit (status 3 if it is\n"
    "not sound).\n", RG_VERBS_PORT_DEFAULT );
}

static int quiet;

static void
log_line( void *       ctx,
          char const * line ) {
  (void)ctx;
  if( quiet ) return;
  time_t now = time( NULL );
  char ts[ 32 ];
  strftime( ts, sizeof(ts), "%H:%M:%S", localtime( &now ) );
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
  int err = rg_region_check( mem, recover, &rec, &u );
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

/* open_region attaches an existing named pool or creates a new one. */

static rg_shm_t *
open_region( char const * uri,
             uint64_t     volumes,
             int *        created ) {
  int kind, err;
  char const * name = NULL;
  if( !strcmp( uri, "anon" ) ) kind = RG_SHM_ANON;
  else if( !strncmp( uri, "shm:/", 5 ) ) { kind = RG_SHM_POSIX; name = uri + 4; }
  else if( !strncmp( uri, "file:", 5 ) && uri[5] ) { kind = RG_SHM_FILE; name = uri + 5; }
  else { fprintf( stderr, "rgroove-server: --pool '%s': use anon, shm:/NAME or file:PATH\n", uri ); return NULL; }

  rg_shm_t * shm = name ? rg_shm_attach( kind, name, &err ) : NULL;
  *created = !shm;
  if( shm ) return shm;
  if( name && err!=RG_ERR_KEY ) { fprintf( stderr, "rgroove-server: %s\n", rg_errmsg() ); return NULL; }
  shm = rg_shm_create( kind, name, rg_region_footprint( volumes ), &err );
  if( !shm ) { fprintf( stderr, "rgroove-server: %s\n", rg_errmsg() ); return NULL; }
  if( (err = rg_region_new( rg_shm_mem( shm ), volumes, volumes )) ) {
    fprintf( stderr, "rgroove-server: cannot format the pool: %s\n", rg_errmsg() );
    rg_shm_close( shm );
    if( name ) rg_shm_unlink( kind, name );
    return NULL;
  }
  return shm;
}

int
main( int     argc,
      char ** argv ) {
  char const * pool_uri = "anon", * addr = "0.0.0.0", * token_file = NULL, * ready_file = NULL;
  unsigned long volumes = 1UL, port = RG_VERBS_PORT_DEFAULT;
  int verify_only = 0, recover = 0;
  static struct option const opts[] = {
    { "pool", required_argument, NULL, 'P' }, { "volumes", required_argument, NULL, 'v' },
    { "addr", required_argument, NULL, 'a' }, { "port", required_argument, NULL, 'p' },
    { "token-file", required_argument, NULL, 't' }, { "ready-file", required_argument, NULL, 'r' },
    { "verify", no_argument, NULL, 'V' }, { "recover", no_argument, NULL, 'R' }, { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
  };
  for( int c; (c = getopt_long( argc, argv, "P:v:a:p:t:r:VRqh", opts, NULL ))!=-1; ) {
    switch( c ) {
    case 'P': pool_uri   = optarg; break;
    case 'v': volumes    = strtoul( optarg, NULL, 0 ); break;
    case 'a': addr       = optarg; break;
    case 'p': port       = strtoul( optarg, NULL, 0 ); break;
    case 't': token_file = optarg; break;
    case 'r': ready_file = optarg; break;
    case 'V': verify_only = 1; break;
    case 'R': recover = 1; break;
    case 'q': quiet = 1; break;
    case 'h': usage( stdout ); return 0;
    default:  usage( stderr ); return 2;
    }
  }
  if( optind<argc || !volumes || volumes>RG_VOLUME_MAX || !port || port>65535UL ) {
    fprintf( stderr, "rgroove-server: bad arguments: --volumes 1..%lu, --port 1..65535 (see --help)\n", RG_VOLUME_MAX );
    return 2;
  }
  if( token_file && setenv( "RGROOVE_TOKEN_FILE", token_file, 1 ) ) return 2;
  if( token_file ) unsetenv( "RGROOVE_TOKEN" );
  uint8_t  token[ RG_VERBS_TOKEN_MAX ];
  uint64_t token_sz;
  if( rg_token_load( token, sizeof(token), &token_sz ) ) { fprintf( stderr, "rgroove-server: %s\n", rg_errmsg() ); return 2; }

  int created;
  rg_shm_t * shm = open_region( pool_uri, volumes, &created );
  if( !shm ) return 1;
  rg_mem_t const * mem = rg_shm_mem( shm );
  rg_region_info_t info;
  if( rg_region_query( mem, &info ) ) { fprintf( stderr, "rgroove-server: %s is not a pool: %s\n", pool_uri, rg_errmsg() ); return 1; }
  if( !created || verify_only ) {
    int err = check_pool( mem, recover );
    if( verify_only || err ) { rg_shm_close( shm ); return err ? 3 : 0; }
  }

  signal( SIGINT, on_stop );
  signal( SIGTERM, on_stop );
  signal( SIGUSR1, on_verify );
  signal( SIGPIPE, SIG_IGN );

  int err;
  rg_verbs_server_t * srv = rg_verbs_server_new( mem, addr, (uint16_t)port, token, token_sz, log_line, NULL, &err );
  if( !srv ) { fprintf( stderr, "rgroove-server: %s\n", rg_errmsg() ); rg_shm_close( shm ); return 1; }
  char line[ 256 ];
  snprintf( line, sizeof(line), "%s pool %s: %lu volume(s), %lu bytes registered; listening on %s:%lu (token: %s)",
            created ? "created" : "serving", pool_uri, info.volume_max, info.size, addr, port, token_sz ? "required" : "none" );
  log_line( NULL, line );
  if( ready_file ) { FILE * f = fopen( ready_file, "w" ); if( f ) fclose( f ); }

  int status = 0;
  while( !stop_requested ) {
    if( (err = rg_verbs_server_poll( srv, 200 )) ) {
      fprintf( stderr, "rgroove-server: %s\n", rg_errmsg() );
      status = 1;
      break;
    }
    if( verify_requested ) {
      verify_requested = 0;
      if( rg_verbs_server_client_cnt( srv ) ) log_line( NULL, "verify: skipped, clients are attached (the pool must be quiet)" );
      else if( check_pool( mem, 1 ) ) status = 3;
    }
  }
  log_line( NULL, "shutting down" );
  rg_verbs_server_delete( srv );
  if( check_pool( mem, 1 ) ) status = 3;
  rg_shm_close( shm );
  return status;
}
