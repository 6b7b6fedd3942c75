/* info_fill: a client that puts known objects in a pool, for
   tests/info.sh.

     info_fill [-c VOLUMES] [-w | -s TAG] URI TAG:SIZE:COUNT...

   Creates the pool with VOLUMES volumes (-c) or opens it, allocates
   COUNT objects of SIZE bytes with tag TAG for every triple and leaves
   them allocated.  With -w it then prints "ready" and stays attached
   (its client record taken, the superblocks it uses held) until SIGTERM
   or SIGINT, when it closes; without, it closes at once.  -s TAG is -w
   that keeps working meanwhile: it allocates and frees objects of 16 to
   70000 bytes with tag TAG, up to 256 live at once, and frees them all
   before it closes.  Exit status 0, 1 on a pool failure (said on
   stderr), 2 on bad arguments. */

#include "rgroove/rgroove.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STIR_LIVE (256UL)

static int
fill( rg_pool_t *  pool,
      char const * spec ) {
  unsigned long tag, sz, cnt;
  char end;
  if( sscanf( spec, "%lu:%lu:%lu%c", &tag, &sz, &cnt, &end )!=3 ) {
    fprintf( stderr, "info_fill: '%s' is not TAG:SIZE:COUNT\n", spec );
    return 2;
  }
  for( unsigned long i=0UL; i<cnt; i++ ) {
    rg_gaddr_t a;
    int err = rg_pool_alloc( pool, 0UL, sz, tag, &a );
    if( err ) { fprintf( stderr, "info_fill: alloc %lu of %s: %s\n", i, spec, rg_errmsg() ); return 1; }
  }
  return 0;
}

/* stir allocates and frees tag objects until one of stop arrives. */

static int
stir( rg_pool_t *      pool,
      uint64_t         tag,
      sigset_t const * stop ) {
  rg_gaddr_t live[ STIR_LIVE ] = {0};
  uint64_t   x = (uint64_t)getpid();
  struct timespec now = {0};
  int err = 0;
  for( uint64_t n=0UL; !err; n++ ) {
    if( !(n & 1023UL) && sigtimedwait( stop, NULL, &now )>=0 ) break;
    x = x*6364136223846793005UL + 1442695040888963407UL;
    uint64_t k = (x>>33) % STIR_LIVE;
    if( live[k] ) { err = rg_pool_free( pool, live[k] ); live[k] = RG_GADDR_NULL; }
    else err = rg_pool_alloc( pool, 0UL, 16UL + (x>>40) % 70000UL, tag, &live[k] );
  }
  if( err ) fprintf( stderr, "info_fill: stirring: %s\n", rg_errmsg() );
  for( uint64_t k=0UL; k<STIR_LIVE; k++ ) if( live[k] ) rg_pool_free( pool, live[k] );
  return err ? 1 : 0;
}

int
main( int     argc,
      char ** argv ) {
  unsigned long volumes = 0UL, stir_tag = 0UL;
  int wait = 0;
  for( int c; (c = getopt( argc, argv, "c:ws:" ))!=-1; ) {
    if( c=='c' ) volumes = strtoul( optarg, NULL, 10 );
    else if( c=='w' ) wait = 1;
    else if( c=='s' ) { wait = 2; stir_tag = strtoul( optarg, NULL, 10 ); }
    else return 2;
  }
  if( optind>=argc ) { fprintf( stderr, "usage: info_fill [-c VOLUMES] [-w | -s TAG] URI TAG:SIZE:COUNT...\n" ); return 2; }
  char const * uri = argv[ optind++ ];

  sigset_t stop;
  sigemptyset( &stop );
  sigaddset( &stop, SIGTERM );
  sigaddset( &stop, SIGINT );
  sigprocmask( SIG_BLOCK, &stop, NULL ); /* taken by sigwait below */

  int err;
  rg_pool_t * pool = volumes ? rg_pool_create( uri, volumes, volumes, &err ) : rg_pool_open( uri, (uint64_t)getpid(), &err );
  if( !pool ) { fprintf( stderr, "info_fill: %s: %s\n", uri, rg_errmsg() ); return 1; }
  int st = 0;
  for( int i=optind; !st && i<argc; i++ ) st = fill( pool, argv[i] );
  if( !st && wait ) {
    printf( "ready\n" );
    fflush( stdout );
    int sig;
    if( wait==2 ) st = stir( pool, stir_tag, &stop );
    else sigwait( &stop, &sig );
  }
  rg_pool_close( pool );
  return st;
}
