/* rgroove-info: what is in a pool.  Opens it with a read-only join
   (nothing written, no client record taken), reads its geometry, the
   audit's counts per size class, one walk of the live objects grouped
   by tag and owner, and the client table (rg_info_scan.h), and prints
   them as aligned text or JSON (rg_info_out.h).  Works on every
   transport: the reads go through the pool's memory operations. */

#include "rg_info_out.h"
#include "base/rg_opt.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define PROG      "rgroove-info"
#define TOP_MAX   (1000000UL)
#define TRIES_MAX (1000UL)

typedef struct {
  char const * uri;
  int          json;
  uint64_t     top;   /* 0: every tag */
  uint64_t     tries;
} opts_t;

static void
usage( FILE * f ) {
  fprintf( f,
    "Usage: rgroove-info [options] URI\n"
    "\n"
    "Shows what is in an rgroove pool: its geometry (region size, volume_max,\n"
    "volumes added, in use and empty in the pool, layout version and fingerprint),\n"
    "per size class the superblocks, live objects, bytes and free slots, the live\n"
    "objects grouped by tag, and the client records attached (index, state,\n"
    "identity, join time, owner id, superblocks held, the last operation its record\n"
    "names and the live objects it allocated).\n"
    "\n"
    "URI is shm:/NAME, file:PATH, loop:shm:/NAME, loop:file:PATH, or a memory\n"
    "server's verbs://HOST[:PORT] or ucx://HOST[:PORT].  The pool is joined\n"
    "read-only: nothing in it is written and no client record is taken; a pool\n"
    "that does not exist is reported, never created.  With clients attached every\n"
    "figure is a snapshot of a pool that may be changing; the audit behind the\n"
    "size classes is then tried again (--tries) and, should the pool keep changing\n"
    "under it, the classes come from the walk, without superblock counts.\n"
    "\n"
    "Options:\n"
    "  -j, --json       print one JSON object (schema rgroove-info/1) instead of text\n"
    "  -n, --top N      show the N tags with the most objects (default 10, at most %lu)\n"
    "  -a, --all        show every tag\n"
    "  -t, --tries N    audits tried while the pool changes under them (default 5,\n"
    "                   at most %lu)\n"
    "  -V, --version    print the version and exit\n"
    "  -h, --help       print this text and exit\n"
    "\n"
    "Environment:\n"
    "  RGROOVE_TOKEN, RGROOVE_TOKEN_FILE   the admission token a server requires\n"
    "  RGROOVE_TIMEOUT_MS                  connect timeout (default 5000)\n"
    "\n"
    "Exit status:\n"
    "  0 shown; 1 the pool could not be read (none there, not a pool, refused,\n"
    "  a transport failure); 2 bad options; 3 shown, but the audit found a pool\n"
    "  with no client attached inconsistent (verify it).\n",
    TOP_MAX, TRIES_MAX );
}

/* parse_opts fills o; returns 0 to run, 1 to exit 0 (--help,
   --version), 2 on bad options (said on stderr). */

static int
parse_opts( int      argc,
            char **  argv,
            opts_t * o ) {
  static struct option const opts[] = {
    { "json",    no_argument,       NULL, 'j' }, { "top",  required_argument, NULL, 'n' },
    { "all",     no_argument,       NULL, 'a' }, { "tries", required_argument, NULL, 't' },
    { "version", no_argument,       NULL, 'V' }, { "help", no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 }
  };
  *o = (opts_t){ .top = 10UL, .tries = 5UL };
  int bad = 0, all = 0;
  for( int c; (c = getopt_long( argc, argv, "jn:at:Vh", opts, NULL ))!=-1; ) {
    switch( c ) {
    case 'j': o->json = 1; break;
    case 'n': bad |= !!rg_opt_u64( PROG, "--top",   optarg, 1UL, TOP_MAX,   &o->top   ); break;
    case 'a': all = 1; break;
    case 't': bad |= !!rg_opt_u64( PROG, "--tries", optarg, 1UL, TRIES_MAX, &o->tries ); break;
    case 'V': rg_opt_version( PROG ); return 1;
    case 'h': usage( stdout ); return 1;
    default:  fprintf( stderr, "%s: see --help\n", PROG ); return 2;
    }
  }
  if( bad ) return 2;
  if( optind==argc ) { fprintf( stderr, "%s: give the pool's URI (see --help)\n", PROG ); return 2; }
  if( argc - optind>1 ) { fprintf( stderr, "%s: one URI at a time; unexpected '%s' (see --help)\n", PROG, argv[ optind + 1 ] ); return 2; }
  o->uri = argv[ optind ];
  if( all ) o->top = 0UL;
  return 0;
}

/* check_uri: a URI that names a pool to open (anon has no name). */

static int
check_uri( char const * uri ) {
  rg_uri_t u;
  if( rg_uri_parse( uri, &u ) ) { fprintf( stderr, "%s: %s\n", PROG, rg_errmsg() ); return 2; }
  if( !strcmp( u.scheme, "anon" ) || (!strcmp( u.scheme, "loop" ) && !strcmp( u.inner, "anon" )) ) {
    fprintf( stderr, "%s: %s: an anonymous pool has no name to open; give shm:/NAME, file:PATH, "
             "loop:shm:/NAME, loop:file:PATH or a server's URI\n", PROG, uri );
    return 2;
  }
  return 0;
}

int
main( int     argc,
      char ** argv ) {
  opts_t o;
  int st = parse_opts( argc, argv, &o );
  if( st ) return st==1 ? 0 : 2;
  if( check_uri( o.uri ) ) return 2;

  rg_info_t in;
  int err = rg_info_scan( o.uri, o.tries, &in );
  if( err ) {
    if( err==RG_ERR_KEY ) fprintf( stderr, "%s: %s: no pool there (%s); nothing was created\n", PROG, o.uri, in.why );
    else fprintf( stderr, "%s: cannot inspect %s: %s: %s\n", PROG, o.uri, rg_strerror( err ), in.why );
    rg_info_fini( &in );
    return 1;
  }
  if( o.json ) rg_info_out_json( stdout, &in, o.top );
  else         rg_info_out_text( stdout, &in, o.top );
  st = in.usage_err && !rg_info_attached( &in ) ? 3 : 0;
  rg_info_fini( &in );
  if( fflush( stdout ) || ferror( stdout ) ) { fprintf( stderr, "%s: cannot write the output\n", PROG ); return 1; }
  return st;
}
