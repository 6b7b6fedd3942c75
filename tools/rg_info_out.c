/* rgroove-info's text and JSON (rg_info_out.h). */

#include "rg_info_out.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Pieces shared by both ***************************************************/

static uint64_t
tags_shown( rg_info_t const * in,
            uint64_t          top ) {
  return top && top<in->tag_cnt ? top : in->tag_cnt;
}

static int
class_used( rg_info_t const * in,
            uint64_t          c ) {
  return in->cls_objects[c] || (!in->usage_err && (in->usage.cls[c].superblocks || in->usage.cls[c].objects));
}

/* cls_objects / cls_bytes: the audit's counts when it succeeded, else
   the walk's. */

static uint64_t cls_objects( rg_info_t const * in, uint64_t c ) { return in->usage_err ? in->cls_objects[c] : in->usage.cls[c].objects;      }
static uint64_t cls_bytes  ( rg_info_t const * in, uint64_t c ) { return in->usage_err ? in->cls_bytes[c]   : in->usage.cls[c].object_bytes; }

static char const *
utc( uint64_t secs,
     char     buf[ 32 ] ) {
  time_t t = (time_t)secs;
  struct tm tm;
  if( !gmtime_r( &t, &tm ) || !strftime( buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm ) ) snprintf( buf, 32, "%lu", secs );
  return buf;
}

/* Text ********************************************************************/

/* A table: cells filled row by row, then printed with every column as
   wide as its widest cell ('l' left-aligned, 'r' right-aligned). */

#define CELL_SZ (48)

typedef struct {
  uint64_t     cols, cnt, max;
  char const * align;
  char      (* cell)[ CELL_SZ ];
} table_t;

static int
table_new( table_t *    t,
           char const * align,
           uint64_t     rows ) {
  t->cols  = strlen( align );
  t->align = align;
  t->cnt   = 0UL;
  t->max   = (rows + 1UL)*t->cols;
  t->cell  = calloc( t->max, CELL_SZ );
  return t->cell ? 0 : -1;
}

static void table_cell( table_t * t, char const * fmt, ... ) __attribute__((format(printf,2,3)));

static void
table_cell( table_t *    t,
            char const * fmt,
            ... ) {
  if( t->cnt==t->max ) return;
  va_list ap;
  va_start( ap, fmt );
  vsnprintf( t->cell[ t->cnt++ ], CELL_SZ, fmt, ap );
  va_end( ap );
}

static void
table_print( FILE *    f,
             table_t * t ) {
  int w[ 16 ] = {0};
  for( uint64_t i=0UL; i<t->cnt; i++ ) {
    int n = (int)strlen( t->cell[i] );
    if( n>w[ i % t->cols ] ) w[ i % t->cols ] = n;
  }
  for( uint64_t i=0UL; i<t->cnt; i++ ) {
    uint64_t c = i % t->cols;
    int last = c + 1UL==t->cols;
    if( !c ) fputs( "  ", f );
    if( t->align[c]=='r' ) fprintf( f, "%*s", w[c], t->cell[i] );
    else                   fprintf( f, "%-*s", last ? 0 : w[c], t->cell[i] );
    fputs( last ? "\n" : "  ", f );
  }
  free( t->cell );
  t->cell = NULL;
}

static char const *
human( uint64_t bytes,
       char     buf[ 24 ] ) {
  static char const * const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
  double v = (double)bytes;
  int    u = 0;
  while( v>=1024.0 && u<5 ) { v /= 1024.0; u++; }
  snprintf( buf, 24, u && v!=(double)(uint64_t)v ? "%.1f %s" : "%.0f %s", v, unit[u] );
  return buf;
}

static void
text_head( FILE *            f,
           rg_info_t const * in ) {
  rg_region_info_t const * r = &in->region;
  rg_groove_usage_t const * u = &in->usage;
  char h[ 24 ];
  fprintf( f, "pool            %s (transport %s)\n", in->uri, in->transport );
  fprintf( f, "layout          version %lu, fingerprint %#018lx\n", r->version, r->fingerprint );
  fprintf( f, "region          %lu bytes (%s), volume 0 at %#lx\n", r->size, human( r->size, h ), r->volume0_off );
  if( in->usage_err ) fprintf( f, "volumes         %s each, volume_max %lu; added, in use: not counted (see the notes)\n",
                               human( RG_VOLUME_FOOTPRINT, h ), r->volume_max );
  else fprintf( f, "volumes         %s each: %lu added of volume_max %lu (%lu in use, %lu empty in the pool)\n",
                human( RG_VOLUME_FOOTPRINT, h ), u->volumes_in_use + u->volumes_empty, r->volume_max, u->volumes_in_use, u->volumes_empty );
  fprintf( f, "client records  %lu taken of %lu: %lu attached, %lu of a process that is gone\n",
           in->client_cnt, r->client_max, rg_info_attached( in ), rg_info_gone( in ) );
  fprintf( f, "objects         %lu live, %lu bytes (%s) requested (walk)\n", in->objects, in->bytes, human( in->bytes, h ) );
  if( in->usage_err ) fprintf( f, "superblocks     not counted (the last of %lu audits: %s)\n", in->usage_tries, in->usage_msg );
  else fprintf( f, "superblocks     %lu, %lu free slots, %lu spans; audit: %lu live objects, %lu bytes (%lu %s)\n",
                u->superblocks, u->free_slots, u->spans, u->objects, u->object_bytes, in->usage_tries, in->usage_tries==1UL ? "try" : "tries" );
  if( in->cost.round_trips )
    fprintf( f, "cost            %lu reads (%lu bytes), %lu round trips\n", in->cost.reads, in->cost.bytes_read, in->cost.round_trips );
}

static void
text_notes( FILE *            f,
            rg_info_t const * in ) {
  uint64_t attached = rg_info_attached( in ), gone = rg_info_gone( in );
  if( attached )
    fprintf( f, "note: %lu client(s) attached: every figure is a snapshot of a pool that may be changing\n", attached );
  if( gone )
    fprintf( f, "note: %lu record(s) of processes that are gone keep what they held: recover them "
             "(rg_pool_recover_dead, or rgroove-server --recover)\n", gone );
  if( in->usage_err && attached )
    fprintf( f, "note: the pool changed under the audit in %lu tries: the size classes come from the walk, "
             "without superblocks (run again, or when the clients are idle)\n", in->usage_tries );
  else if( in->usage_err )
    fprintf( f, "note: the audit found a quiet pool inconsistent: verify it (rg_pool_verify, or "
             "rgroove-server --verify --pool for shm:/ and file: pools)\n" );
}

static void
text_classes( FILE *            f,
              rg_info_t const * in ) {
  table_t t;
  if( table_new( &t, "rrrrrrrr", RG_GROOVE_SZC_CNT ) ) return;
  fprintf( f, "\nsize classes (%s)\n", in->usage_err ? "from the walk" : "from the audit" );
  char const * head[] = { "class", "slot_bytes", "slots/sb", "superblocks", "objects", "bytes", "free_slots", "empty" };
  for( int i=0; i<8; i++ ) table_cell( &t, "%s", head[i] );
  for( uint64_t c=0UL; c<RG_GROOVE_SZC_CNT; c++ ) {
    if( !class_used( in, c ) ) continue;
    rg_groove_class_usage_t const * u = &in->usage.cls[c];
    table_cell( &t, "%lu", c );
    table_cell( &t, "%u", rg_groove_szc_cfg[c].obj_footprint );
    table_cell( &t, "%u", rg_groove_szc_cfg[c].obj_cnt );
    if( in->usage_err ) table_cell( &t, "-" ); else table_cell( &t, "%lu", u->superblocks );
    table_cell( &t, "%lu", cls_objects( in, c ) );
    table_cell( &t, "%lu", cls_bytes( in, c ) );
    if( in->usage_err ) { table_cell( &t, "-" ); table_cell( &t, "-" ); }
    else                { table_cell( &t, "%lu", u->free_slots ); table_cell( &t, "%lu", u->empty ); }
  }
  table_print( f, &t );
}

static void
text_tags( FILE *            f,
           rg_info_t const * in,
           uint64_t          top ) {
  uint64_t n = tags_shown( in, top );
  if( !in->tag_cnt ) { fprintf( f, "\ntags: none (no live object)\n" ); return; }
  if( n==in->tag_cnt ) fprintf( f, "\ntags: %lu, all shown\n", in->tag_cnt );
  else fprintf( f, "\ntags: %lu, the top %lu by objects shown (--all shows every one)\n", in->tag_cnt, n );
  table_t t;
  if( table_new( &t, "rrr", n ) ) return;
  table_cell( &t, "tag" ); table_cell( &t, "objects" ); table_cell( &t, "bytes" );
  for( uint64_t i=0UL; i<n; i++ ) {
    table_cell( &t, "%lu", in->tag[i].key );
    table_cell( &t, "%lu", in->tag[i].objects );
    table_cell( &t, "%lu", in->tag[i].bytes );
  }
  table_print( f, &t );
}

static void
text_clients( FILE *            f,
              rg_info_t const * in ) {
  if( !in->client_cnt ) { fprintf( f, "\nclient records: none taken\n" ); return; }
  fprintf( f, "\nclient records: %lu\n", in->client_cnt );
  table_t t;
  if( table_new( &t, "rllllrrrr", in->client_cnt ) ) return;
  char const * head[] = { "idx", "state", "identity", "joined_utc", "owner", "held_sb", "last_op", "objects", "bytes" };
  for( int i=0; i<9; i++ ) table_cell( &t, "%s", head[i] );
  for( uint64_t i=0UL; i<in->client_cnt; i++ ) {
    rg_info_client_t const * c = &in->client[i];
    char ts[ 32 ];
    table_cell( &t, "%lu", c->rec.idx );
    table_cell( &t, "%s", c->rec.state==RG_GROOVE_CLIENT_LIVE ? "live" : "recovering" );
    if( c->rec.id_kind==RG_CONN_ID_PID )
      table_cell( &t, "pid %lu%s", c->rec.id[0], c->alive==1 ? " (running)" : c->alive==0 ? " (gone)" : "" );
    else if( c->rec.id_kind==RG_CONN_ID_SERVER ) table_cell( &t, "connection %lu", c->rec.id[1] );
    else table_cell( &t, "kind %u", c->rec.id_kind );
    table_cell( &t, "%s", utc( c->rec.joined, ts ) );
    table_cell( &t, "%#lx", c->rec.owner );
    table_cell( &t, "%lu", c->rec.held );
    if( c->rec.op ) table_cell( &t, "%lu", c->rec.op ); else table_cell( &t, "-" );
    table_cell( &t, "%lu", c->objects );
    table_cell( &t, "%lu", c->bytes );
  }
  table_print( f, &t );
}

void
rg_info_out_text( FILE *            f,
                  rg_info_t const * in,
                  uint64_t          top ) {
  text_head( f, in );
  text_notes( f, in );
  text_classes( f, in );
  text_tags( f, in, top );
  text_clients( f, in );
}

/* JSON ********************************************************************

   {
     "schema": "rgroove-info/1",
     "uri": "...", "transport": "shm" | "loop" | "verbs" | "ucx",
     "layout":  { "version", "fingerprint": "0x..." },
     "region":  { "size", "volume_size", "volume_max", "groove_off", "volume0_off",
                  "client_off", "client_max" },
     "attached": clients that may be at work, "gone": records of processes gone,
     "snapshot": attached > 0,
     "usage":   { "ok", "error": null | "why", "tries",
                  "volumes_added", "volumes_in_use", "volumes_empty", "superblocks",
                  "objects", "bytes", "free_slots", "spans" }      (counts null unless ok)
     "objects": { "count", "bytes" }                               (the walk)
     "classes_from": "audit" | "walk",
     "classes": [ { "class", "slot_bytes", "slots_per_superblock", "superblocks",
                    "objects", "bytes", "free_slots", "empty" } ]  (null: not counted)
     "tags":    { "count", "shown", "top": [ { "tag", "objects", "bytes" } ] },
     "clients": [ { "idx", "state": "live" | "recovering",
                    "identity": { "kind": "pid", "pid", "start", "alive": true | false | null }
                              | { "kind": "server", "boot": "0x...", "connection" }
                              | { "kind": "unknown", "id_kind" },
                    "joined", "joined_utc", "owner", "held_superblocks", "last_op",
                    "objects", "bytes" } ],
     "cost":    { "reads", "bytes_read", "round_trips" }
   }

   last_op is rg_groove_client_info_t's op: the code of the operation the
   record names (0: none).  A join leaves a finished one named there, so
   it is in flight only while the client works. */

static void
json_str( FILE *       f,
          char const * s ) {
  fputc( '"', f );
  for( ; *s; s++ ) {
    unsigned char ch = (unsigned char)*s;
    if( ch=='"' || ch=='\\' ) fprintf( f, "\\%c", ch );
    else if( ch<0x20 )        fprintf( f, "\\u%04x", ch );
    else                      fputc( ch, f );
  }
  fputc( '"', f );
}

/* json_u64: a count, or null when not counted. */

static void
json_u64( FILE *       f,
          char const * name,
          int          ok,
          uint64_t     v,
          char const * sep ) {
  if( ok ) fprintf( f, "\"%s\": %lu%s", name, v, sep );
  else     fprintf( f, "\"%s\": null%s", name, sep );
}

static void
json_head( FILE *            f,
           rg_info_t const * in ) {
  rg_region_info_t const * r = &in->region;
  rg_groove_usage_t const * u = &in->usage;
  int ok = !in->usage_err;
  fprintf( f, "{\n  \"schema\": \"rgroove-info/1\",\n  \"uri\": " );
  json_str( f, in->uri );
  fprintf( f, ",\n  \"transport\": " );
  json_str( f, in->transport );
  fprintf( f, ",\n  \"layout\": { \"version\": %lu, \"fingerprint\": \"%#018lx\" },\n", r->version, r->fingerprint );
  fprintf( f, "  \"region\": { \"size\": %lu, \"volume_size\": %lu, \"volume_max\": %lu, \"groove_off\": %lu, "
           "\"volume0_off\": %lu, \"client_off\": %lu, \"client_max\": %lu },\n",
           r->size, RG_VOLUME_FOOTPRINT, r->volume_max, r->shoff, r->volume0_off, r->client_off, r->client_max );
  uint64_t attached = rg_info_attached( in );
  fprintf( f, "  \"attached\": %lu,\n  \"gone\": %lu,\n  \"snapshot\": %s,\n", attached, rg_info_gone( in ), attached ? "true" : "false" );
  fprintf( f, "  \"usage\": { \"ok\": %s, \"error\": ", ok ? "true" : "false" );
  if( ok ) fputs( "null", f ); else json_str( f, in->usage_msg );
  fprintf( f, ", \"tries\": %lu, ", in->usage_tries );
  json_u64( f, "volumes_added", ok, u->volumes_in_use + u->volumes_empty, ", " );
  json_u64( f, "volumes_in_use", ok, u->volumes_in_use, ", " );
  json_u64( f, "volumes_empty", ok, u->volumes_empty, ", " );
  json_u64( f, "superblocks", ok, u->superblocks, ", " );
  json_u64( f, "objects", ok, u->objects, ", " );
  json_u64( f, "bytes", ok, u->object_bytes, ", " );
  json_u64( f, "free_slots", ok, u->free_slots, ", " );
  json_u64( f, "spans", ok, u->spans, " },\n" );
  fprintf( f, "  \"objects\": { \"count\": %lu, \"bytes\": %lu },\n", in->objects, in->bytes );
}

static void
json_classes( FILE *            f,
              rg_info_t const * in ) {
  int ok = !in->usage_err;
  fprintf( f, "  \"classes_from\": \"%s\",\n  \"classes\": [", ok ? "audit" : "walk" );
  int first = 1;
  for( uint64_t c=0UL; c<RG_GROOVE_SZC_CNT; c++ ) {
    if( !class_used( in, c ) ) continue;
    rg_groove_class_usage_t const * u = &in->usage.cls[c];
    fprintf( f, "%s\n    { \"class\": %lu, \"slot_bytes\": %u, \"slots_per_superblock\": %u, ", first ? "" : ",",
             c, rg_groove_szc_cfg[c].obj_footprint, rg_groove_szc_cfg[c].obj_cnt );
    json_u64( f, "superblocks", ok, u->superblocks, ", " );
    fprintf( f, "\"objects\": %lu, \"bytes\": %lu, ", cls_objects( in, c ), cls_bytes( in, c ) );
    json_u64( f, "free_slots", ok, u->free_slots, ", " );
    json_u64( f, "empty", ok, u->empty, " }" );
    first = 0;
  }
  fprintf( f, "%s],\n", first ? "" : "\n  " );
}

static void
json_tags( FILE *            f,
           rg_info_t const * in,
           uint64_t          top ) {
  uint64_t n = tags_shown( in, top );
  fprintf( f, "  \"tags\": { \"count\": %lu, \"shown\": %lu, \"top\": [", in->tag_cnt, n );
  for( uint64_t i=0UL; i<n; i++ )
    fprintf( f, "%s\n    { \"tag\": %lu, \"objects\": %lu, \"bytes\": %lu }", i ? "," : "",
             in->tag[i].key, in->tag[i].objects, in->tag[i].bytes );
  fprintf( f, "%s] },\n", n ? "\n  " : "" );
}

static void
json_identity( FILE *                   f,
               rg_info_client_t const * c ) {
  if( c->rec.id_kind==RG_CONN_ID_PID )
    fprintf( f, "{ \"kind\": \"pid\", \"pid\": %lu, \"start\": %lu, \"alive\": %s }", c->rec.id[0], c->rec.id[1],
             c->alive==1 ? "true" : c->alive==0 ? "false" : "null" );
  else if( c->rec.id_kind==RG_CONN_ID_SERVER )
    fprintf( f, "{ \"kind\": \"server\", \"boot\": \"%#lx\", \"connection\": %lu }", c->rec.id[0], c->rec.id[1] );
  else fprintf( f, "{ \"kind\": \"unknown\", \"id_kind\": %u }", c->rec.id_kind );
}

static void
json_clients( FILE *            f,
              rg_info_t const * in ) {
  fprintf( f, "  \"clients\": [" );
  for( uint64_t i=0UL; i<in->client_cnt; i++ ) {
    rg_info_client_t const * c = &in->client[i];
    char ts[ 32 ];
    fprintf( f, "%s\n    { \"idx\": %lu, \"state\": \"%s\", \"identity\": ", i ? "," : "", c->rec.idx,
             c->rec.state==RG_GROOVE_CLIENT_LIVE ? "live" : "recovering" );
    json_identity( f, c );
    fprintf( f, ", \"joined\": %lu, \"joined_utc\": \"%s\", \"owner\": %lu, \"held_superblocks\": %lu, \"last_op\": %lu, "
             "\"objects\": %lu, \"bytes\": %lu }",
             c->rec.joined, utc( c->rec.joined, ts ), c->rec.owner, c->rec.held, c->rec.op, c->objects, c->bytes );
  }
  fprintf( f, "%s],\n", in->client_cnt ? "\n  " : "" );
}

void
rg_info_out_json( FILE *            f,
                  rg_info_t const * in,
                  uint64_t          top ) {
  json_head( f, in );
  json_classes( f, in );
  json_tags( f, in, top );
  json_clients( f, in );
  fprintf( f, "  \"cost\": { \"reads\": %lu, \"bytes_read\": %lu, \"round_trips\": %lu }\n}\n",
           in->cost.reads, in->cost.bytes_read, in->cost.round_trips );
}
