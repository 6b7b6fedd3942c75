/* region_tool: formats a server's region anew through a raw connection,
   for tests/ucx/recoverer.sh.

     region_tool URI format   rg_region_new over every volume the region
                              can hold, one of them in the pool
     region_tool URI blank    the same, then the header's magic word
                              cleared: what a region shows while a client
                              formats it

   Either way the connection then closes: a departure the server's
   recoverer handles, with its own record gone from the table.  Exit
   status 0, 1 on a failure (said on stderr), 2 on bad arguments. */

#include "rgroove/rgroove.h"
#include "rgroove/rg_region.h"
#include "rgroove/rg_transport.h"

#include <stdio.h>
#include <string.h>

int
main( int     argc,
      char ** argv ) {
  int blank = argc==3 && !strcmp( argv[2], "blank" );
  if( argc!=3 || (!blank && strcmp( argv[2], "format" )) ) {
    fprintf( stderr, "usage: region_tool URI format|blank\n" );
    return 2;
  }
  int err;
  rg_conn_t * conn = rg_transport_open( argv[1], 0UL, &err );
  if( !conn ) { fprintf( stderr, "region_tool: cannot open %s: %s\n", argv[1], rg_errmsg() ); return 1; }
  uint64_t max = 0UL;
  while( rg_region_footprint( max + 1UL ) && rg_region_footprint( max + 1UL )<=conn->mem.size ) max++;
  err = rg_region_new( &conn->mem, max, 1UL ); /* max 0 is RG_ERR_INVAL */
  if( !err && blank ) err = rg_mem_store( &conn->mem, 0UL, 0UL ); /* the header's magic, its first word */
  if( !err ) err = rg_mem_fence( &conn->mem );
  if( err ) fprintf( stderr, "region_tool: %s %s: %s\n", argv[2], argv[1], rg_errmsg() );
  conn->tp->close( conn );
  return err ? 1 : 0;
}
