/* A seeded bit-flip campaign on a file: pool.

   A pool with a realistic state (four volumes, three in use and one in
   the pool, a fifth never added; objects of every class 0..30 and spans
   of three volumes; a third of them freed; two clients attached holding
   superblocks; inactive stacks that are not empty) is snapshotted, then
   every trial restores the snapshot, flips one random bit or writes one
   random word at a random metadata location of one of six kinds (region
   header; groove shared state: active slots, stacks, volume pool;
   volume headers; superblock headers: free words, check words, links,
   owner entries; client records; object headers) and, in a forked
   process bounded by an alarm, runs verify, recovery with
   RG_RECOVER_DRY_RUN, recovery, and a few allocations and frees.

   Asserted: no trial crashes or hangs; verify never returns success for
   a change that matters (the words that may absorb one are listed in
   harmless() with the reason); a dry run changes nothing; a recovery
   that reports success loses no live object and leaves a pool that
   verifies, and allocations after it never land on a live object.

   test_flip [TRIALS [SEED]]; the pool file goes in $TMPDIR (or /tmp). */

#include "rg_test.h"
#include "rgroove/rgroove.h"
#include "core/rg_groove_private.h"
#include "base/rg_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <linux/fiemap.h>

#define VOL_MAX     (5UL)
#define VOL_CNT     (4UL)
#define LIVE_MAX    (1024UL)
#define LOC_MAX     (1UL<<17)
#define TRIAL_ALARM (60U)     /* seconds: a trial that takes longer hangs */

/* Metadata kinds, and what a word of one is (harmless() reads it). */

enum { K_REGION, K_SHARED, K_VOLUME, K_SB, K_RECORD, K_OBJECT, K_CNT };
static char const * const kind_name[ K_CNT ] = { "region header", "groove shared state", "volume headers",
                                                 "superblock headers", "client records", "object headers" };

enum {
  W_PLAIN,        /* every change matters */
  W_STACK,        /* an inactive-stack word of a group in use */
  W_POOL_TOP,
  W_VOL_UNUSED,   /* a word past the magic of a volume never added */
  W_OWNER,        /* two owner entries: arg the first one's slot, arg2 the superblock's slot count */
  W_REC_STATE,    /* a record's state word: arg 1 if live */
  W_REC_JOINED,
  W_REC_HINT,     /* freeing words and the made word */
  W_REC_CGROUP,   /* arg 1 if live, arg2 the record's offset */
  W_REC_OP,
  W_OBJ_BITS,     /* a live object's header word: arg its slot's class */
  W_OBJ_TAG,
  W_SPAN_SZ,      /* a span's exact size */
  W_FREE_HDR      /* the header of a free slot */
};

typedef struct {
  uint8_t  kind, what;
  uint64_t off, arg, arg2;
} loc_t;

typedef struct { uint64_t off, start, stop; } live_t;

typedef struct {
  int      done, joined_ro, verify, joined_rw, dry, recover, verify_after;
  uint64_t dry_changed, gone, twice;
  char     msg[ 200 ];
} trial_out_t;

static char           path[ 256 ], uri[ 280 ];
static int            fd = -1;
static uint8_t *      base;
static uint64_t       size;
static loc_t *        locs[ K_CNT ];
static uint64_t       loc_cnt[ K_CNT ];
static live_t         live[ LIVE_MAX ];
static uint64_t       live_cnt;
static trial_out_t *  out;
static uint64_t       trials = 2000UL, seed = 1UL;

static void cleanup( void ) { if( path[0] ) unlink( path ); }

static uint64_t word( uint64_t off ) { return *(uint64_t const *)(base + off); }

static void
loc_add( int kind, int what, uint64_t off, uint64_t arg, uint64_t arg2, uint64_t times ) {
  for( uint64_t i=0UL; i<times && loc_cnt[ kind ]<LOC_MAX; i++ )
    locs[ kind ][ loc_cnt[ kind ]++ ] = (loc_t){ .kind = (uint8_t)kind, .what = (uint8_t)what, .off = off, .arg = arg, .arg2 = arg2 };
}

/* The snapshot: the file's data extents and their bytes. ******************/

typedef struct { uint64_t off, len; uint8_t * data; } extent_t;

static extent_t ext[ 4096 ];
static uint64_t ext_cnt;

static uint64_t
extents( extent_t * e, uint64_t max ) {
  uint64_t n = 0UL;
  off_t    at = 0;
  for(;;) {
    off_t d = lseek( fd, at, SEEK_DATA );
    if( d<0 ) break;
    off_t h = lseek( fd, d, SEEK_HOLE );
    if( h<0 ) h = (off_t)size;
    CU_ASSERT_FATAL( n<max );
    e[n++] = (extent_t){ .off = (uint64_t)d, .len = (uint64_t)(h - d) };
    at = h;
  }
  return n;
}

/* sparsify: the blocks a file: pool reserves when it is made
   (rg_pool_create allocates them all) and the pool never wrote punched
   out, so that the snapshot holds only what it wrote: the extents the
   filesystem marks unwritten (FIEMAP), else every all-zero 64 KiB block
   (filesystems without FIEMAP). */

static int
sparsify_unwritten( void ) {
  static union { struct fiemap m; uint8_t b[ sizeof(struct fiemap) + 512UL*sizeof(struct fiemap_extent) ]; } u;
  for( uint64_t at=0UL; at<size; ) {
    memset( &u, 0, sizeof(u) );
    u.m.fm_start = at;
    u.m.fm_length = size - at;
    u.m.fm_extent_count = 512U;
    u.m.fm_flags = FIEMAP_FLAG_SYNC; /* written through the mapping, still unwritten on disk until then */
    if( ioctl( fd, FS_IOC_FIEMAP, &u.m ) ) return -1;
    if( !u.m.fm_mapped_extents ) return 0;
    for( uint32_t i=0U; i<u.m.fm_mapped_extents; i++ ) {
      struct fiemap_extent const * e = &u.m.fm_extents[i];
      if( e->fe_flags & FIEMAP_EXTENT_UNWRITTEN )
        CU_ASSERT_EQUAL_FATAL( fallocate( fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)e->fe_logical, (off_t)e->fe_length ), 0 );
      at = e->fe_logical + e->fe_length;
      if( e->fe_flags & FIEMAP_EXTENT_LAST ) return 0;
    }
  }
  return 0;
}

static void
sparsify( void ) {
  static uint8_t const zero[ 1UL<<16 ];
  if( !sparsify_unwritten() ) return;
  for( uint64_t off=0UL; off<size; off+=sizeof(zero) ) {
    uint64_t n = size - off < sizeof(zero) ? size - off : sizeof(zero);
    if( !memcmp( base + off, zero, n ) )
      CU_ASSERT_EQUAL_FATAL( fallocate( fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)n ), 0 );
  }
}

static void
snapshot( void ) {
  sparsify();
  ext_cnt = extents( ext, 4096UL );
  for( uint64_t i=0UL; i<ext_cnt; i++ ) {
    ext[i].data = malloc( ext[i].len );
    CU_ASSERT_PTR_NOT_NULL_FATAL( ext[i].data );
    memcpy( ext[i].data, base + ext[i].off, ext[i].len );
  }
}

/* restore: the snapshot's pages that differ copied back, every byte
   outside it punched out (a hole reads as zeros, as before). */

static void
restore( void ) {
  static extent_t now[ 4096 ];
  for( uint64_t i=0UL; i<ext_cnt; i++ )
    for( uint64_t o=0UL; o<ext[i].len; o+=4096UL ) {
      uint64_t n = ext[i].len - o < 4096UL ? ext[i].len - o : 4096UL;
      if( memcmp( base + ext[i].off + o, ext[i].data + o, n ) ) memcpy( base + ext[i].off + o, ext[i].data + o, n );
    }
  uint64_t cnt = extents( now, 4096UL );
  for( uint64_t i=0UL; i<cnt; i++ ) {
    uint64_t lo = now[i].off, hi = now[i].off + now[i].len;
    for( uint64_t j=0UL; j<=ext_cnt && lo<hi; j++ ) { /* the parts of [lo,hi) before each snapshot extent */
      uint64_t s = j<ext_cnt ? ext[j].off : hi, e = j<ext_cnt ? ext[j].off + ext[j].len : hi;
      if( e<=lo ) continue;
      if( s>lo ) {
        uint64_t stop = s<hi ? s : hi;
        CU_ASSERT_EQUAL_FATAL( fallocate( fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)lo, (off_t)(stop - lo) ), 0 );
      }
      lo = e;
    }
  }
  cnt = extents( now, 4096UL ); /* what is left is inside the snapshot */
  for( uint64_t i=0UL, j=0UL; i<cnt; i++ ) {
    while( j<ext_cnt && ext[j].off + ext[j].len<=now[i].off ) j++;
    CU_ASSERT_FATAL( j<ext_cnt && ext[j].off<=now[i].off && now[i].off + now[i].len<=ext[j].off + ext[j].len );
  }
}

/* The state ****************************************************************/

static int
live_collect( void * ctx, uint64_t server, rg_groove_obj_info_t const * o ) {
  (void)ctx; (void)server;
  if( live_cnt==LIVE_MAX ) return 1;
  live[ live_cnt++ ] = (live_t){ .off = rg_gaddr_off( o->off ), .start = o->start, .stop = o->stop };
  return 0;
}

static void
build( void ) {
  int err;
  rg_pool_t * p = rg_pool_create( uri, VOL_CNT, VOL_MAX, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( p );
  static rg_gaddr_t a[ 512 ];
  uint64_t n = 0UL;
  for( uint64_t c=0UL; c<RG_GROOVE_SZC_CNT-1UL; c++ ) { /* every class but spans', a few of the small ones */
    uint64_t cnt = c<10UL ? 5UL : c<20UL ? 2UL : 1UL, sz = rg_groove_szc_cfg[c].obj_footprint - 16UL - 5UL;
    for( uint64_t i=0UL; i<cnt; i++, n++ ) CU_ASSERT_EQUAL_FATAL( rg_pool_alloc( p, 0UL, sz, 0x1000UL + n, &a[n] ), RG_SUCCESS );
  }
  for( uint64_t i=0UL; i<n; i+=3UL ) CU_ASSERT_EQUAL_FATAL( rg_pool_free( p, a[i] ), RG_SUCCESS );
  uint64_t const span[] = { 30UL<<20, 200UL<<20, 900UL<<20, 900UL<<20, 30UL<<20 }; /* volumes 0, 1 and 2 */
  for( uint64_t i=0UL; i<5UL; i++, n++ ) CU_ASSERT_EQUAL_FATAL( rg_pool_alloc( p, 0UL, span[i], 0x2000UL + i, &a[n] ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_pool_free( p, a[ n-4UL ] ), RG_SUCCESS );

  /* two handles of group 0 leave partly used superblocks on its stacks */
  for( uint64_t k=0UL; k<2UL; k++ ) {
    rg_pool_t * q = rg_pool_dup( p, 0UL, &err );
    CU_ASSERT_PTR_NOT_NULL_FATAL( q );
    for( uint64_t i=0UL; i<10UL; i++ ) CU_ASSERT_EQUAL_FATAL( rg_pool_alloc( q, 0UL, i & 1UL ? 100UL : 2000UL, 0x3000UL + i, &a[ n++ ] ), RG_SUCCESS );
    rg_pool_close( q );
  }
  /* a second client attached, holding superblocks of three classes */
  rg_pool_t * h = rg_pool_dup( p, 5UL, &err );
  CU_ASSERT_PTR_NOT_NULL_FATAL( h );
  for( uint64_t i=0UL; i<12UL; i++ ) CU_ASSERT_EQUAL_FATAL( rg_pool_alloc( h, 0UL, i%3UL==0UL ? 100UL : i%3UL==1UL ? 1500UL : 4000UL, 0x4000UL + i, &a[ n++ ] ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_pool_free( h, a[ n-1UL ] ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_pool_free( h, a[ n-5UL ] ), RG_SUCCESS );
  CU_ASSERT_EQUAL_FATAL( rg_pool_verify( p ), RG_SUCCESS );
  live_cnt = 0UL;
  CU_ASSERT_EQUAL_FATAL( rg_pool_walk( p, live_collect, NULL ), RG_SUCCESS );
  rg_groove_usage_t u;
  CU_ASSERT_EQUAL_FATAL( rg_pool_usage( p, &u ), RG_SUCCESS );
  printf( "\n  pool: %lu volumes in use, %lu empty, %lu superblocks, %lu live objects (%lu spans)\n",
          u.volumes_in_use, u.volumes_empty, u.superblocks, u.objects, u.spans );
  CU_ASSERT_EQUAL_FATAL( u.volumes_in_use, 3UL );

  fd = open( path, O_RDWR );
  CU_ASSERT_FATAL( fd>=0 );
  base = mmap( NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0 );
  CU_ASSERT_FATAL( base!=MAP_FAILED );
  snapshot(); /* both clients attached: their records are live (this process) */
  rg_pool_close( h );
  rg_pool_close( p );
  restore();
}

/* Where to flip ***********************************************************/

static void locs_sb( uint64_t sb, uint64_t c );

static void
locs_slots( uint64_t sb, uint64_t c ) {
  uint64_t cnt = rg_groove_szc_cfg[c].obj_cnt, f = rg_sb_free_bits( word( sb + RG_SB_FREE_OFF ) ), sc, si;
  for( uint64_t i=0UL; i<cnt; i++ ) {
    uint64_t slot = rg_groove_slot_off( sb, c, i ), h = word( slot );
    if( (f>>i) & 1UL ) { loc_add( K_OBJECT, W_FREE_HDR, slot, c, i, 1UL ); continue; }
    if( !rg_hdr_live( h, &sc, &si ) ) continue;
    if( rg_groove_hdr_type( h )==RG_GROOVE_HDR_TYPE_SUPERBLOCK ) { locs_sb( slot, rg_groove_hdr_szc( h ) ); continue; }
    loc_add( K_OBJECT, W_OBJ_BITS, slot, c, i, 4UL );
    loc_add( K_OBJECT, W_OBJ_TAG, slot + 8UL, c, i, 1UL );
    if( c==RG_GROOVE_SPAN_SZC ) {
      loc_add( K_OBJECT, W_SPAN_SZ, slot + 16UL, c, i, 3UL );
      i += rg_hdr_span_cnt( word( slot + 16UL ) ) - 1UL;
    }
  }
}

static void
locs_sb( uint64_t sb, uint64_t c ) {
  for( uint64_t w=0UL; w<64UL; w++ ) {
    uint64_t off = sb + 8UL*w;
    int owner = off>=sb + RG_SB_OWNER_OFF && off<sb + RG_SB_OWNER_OFF + 256UL;
    loc_add( K_SB, owner ? W_OWNER : W_PLAIN, off, owner ? (off - sb - RG_SB_OWNER_OFF)/4UL : 0UL, rg_groove_szc_cfg[c].obj_cnt,
             w<RG_SB_META_WORDS ? 6UL : 1UL );
  }
  locs_slots( sb, c );
}

static void
locs_build( void ) {
  for( int k=0; k<K_CNT; k++ ) { locs[k] = calloc( LOC_MAX, sizeof(loc_t) ); CU_ASSERT_PTR_NOT_NULL_FATAL( locs[k] ); }
  for( uint64_t w=0UL; w<512UL; w++ ) loc_add( K_REGION, W_PLAIN, 8UL*w, 0UL, 0UL, w<RG_REGION_HDR_WORDS ? 20UL : 1UL );

  uint64_t sh = RG_REGION_GROOVE_OFF;
  loc_add( K_SHARED, W_PLAIN, sh + RG_SH_MAGIC_OFF, 0UL, 0UL, 30UL );
  loc_add( K_SHARED, W_PLAIN, sh + RG_SH_POOL_OFF, 0UL, 0UL, 30UL );
  loc_add( K_SHARED, W_POOL_TOP, sh + RG_SH_POOL_TOP_OFF, 0UL, 0UL, 30UL );
  for( uint64_t i=1UL; i<16UL; i++ ) loc_add( K_SHARED, W_PLAIN, sh + 8UL*i, 0UL, 0UL, 2UL );
  for( uint64_t i=0UL; i<14UL; i++ ) loc_add( K_SHARED, W_PLAIN, sh + RG_SH_POOL_TOP_OFF + 8UL + 8UL*i, 0UL, 0UL, 2UL );
  rg_groove_t fake = { .shoff = sh };
  for( uint64_t c=0UL; c<RG_GROOVE_SZC_CNT; c++ )
    for( uint64_t cg=0UL; cg<RG_GROOVE_CGROUP_MAX; cg++ ) {
      uint64_t act = rg_groove_active_cg_off( &fake, c, cg ), stk = rg_groove_inactive_cg_off( &fake, c, cg );
      int used = cg<=rg_groove_szc_cfg[c].cgroup_mask;
      loc_add( K_SHARED, W_PLAIN, act, 0UL, 0UL, word( act ) ? 40UL : 1UL );
      loc_add( K_SHARED, used ? W_STACK : W_PLAIN, stk, 0UL, 0UL, rg_stk_off( word( stk ) ) ? 40UL : 1UL );
    }

  for( uint64_t vi=0UL; vi<VOL_MAX; vi++ ) {
    uint64_t vol = RG_REGION_VOLUME0_OFF + (vi<<RG_VOLUME_LG_FOOTPRINT), magic = word( vol );
    for( uint64_t w=0UL; w<64UL; w++ )
      loc_add( K_VOLUME, !magic && w ? W_VOL_UNUSED : W_PLAIN, vol + 8UL*w, 0UL, 0UL, w<4UL || w==63UL ? 10UL : 1UL );
    if( magic==RG_VOLUME_MAGIC ) locs_sb( vol + RG_VOL_HDR_SZ, RG_GROOVE_SZC_CNT-1UL );
  }

  for( uint64_t r=0UL; r<RG_CLIENT_MAX; r++ ) {
    uint64_t rec = RG_REGION_CLIENT_OFF + r*sizeof(rg_client_rec_t), st = rg_rec_state( word( rec ) );
    if( st==RG_CLIENT_FREE && r>=8UL ) continue; /* the live ones, and a few free ones */
    for( uint64_t w=0UL; w<sizeof(rg_client_rec_t)/8UL; w++ ) {
      uint64_t off = 8UL*w;
      int what = !off ? W_REC_STATE : off==offsetof( rg_client_rec_t, joined ) ? W_REC_JOINED :
                 off==offsetof( rg_client_rec_t, cgroup ) ? W_REC_CGROUP : off==offsetof( rg_client_rec_t, op ) ? W_REC_OP :
                 off==offsetof( rg_client_rec_t, made ) || (off>=offsetof( rg_client_rec_t, freeing ) && off<offsetof( rg_client_rec_t, held )) ? W_REC_HINT : W_PLAIN;
      loc_add( K_RECORD, st==RG_CLIENT_FREE && what!=W_REC_STATE ? W_PLAIN : what, rec + off, st!=RG_CLIENT_FREE, rec, st!=RG_CLIENT_FREE ? 10UL : 1UL );
    }
  }
}

/* harmless: the reason a change from old to now at l may go unseen, or
   NULL if verify must report it. */

static char const *
harmless( loc_t const * l, uint64_t old, uint64_t now ) {
  uint64_t d = old ^ now, sc, si;
  switch( l->what ) {
  case W_STACK:
    /* the 27-bit ABA version: any value is as good as another */
    return d & RG_STK_OFF_MASK ? NULL : "stack version";
  case W_POOL_TOP:
    /* the volume pool's version (bit 34 the seed's lock bit, never read) */
    return d & RG_POOL_IDX_NULL ? NULL : "pool version";
  case W_VOL_UNUSED:
    /* nobody reads a volume never added past its magic; adding it
       writes the whole header */
    return "volume never added";
  case W_OWNER: {
    /* owner entries of a superblock's slots carry no check (rg_layout.h):
       like a tag, an owner id is data the allocator keeps and never
       trusts; entries past the slot count must be zero */
    uint64_t lo = d & 0xffffffffUL, hi = d>>32;
    int past = (lo && l->arg>=l->arg2) || (hi && l->arg + 1UL>=l->arg2);
    return past ? NULL : "owner entry";
  }
  case W_REC_STATE:
    /* a generation counter (owner ids of later joins); any value */
    return d>>32 ? (d & 0xffffffffUL ? NULL : "record generation") : NULL;
  case W_REC_JOINED:
    return l->arg ? "join time (information)" : NULL;
  case W_REC_HINT:
    /* superblocks a recovery of the client sweeps for its marks: each is
       checked (class, check word, mark) before anything changes */
    return l->arg ? "recovery hint, checked before use" : NULL;
  case W_REC_CGROUP: {
    /* each class masks the hint to its groups (6 bits at most); it
       tells where the client holds superblocks in place, in its group's
       active slots, and matters only for a class where it does */
    if( !l->arg ) return NULL;
    rg_groove_t fake = { .shoff = RG_REGION_GROOVE_OFF };
    for( uint64_t c=0UL; c<RG_GROOVE_HELD_SZC_CNT; c++ ) {
      uint64_t mask = rg_groove_szc_cfg[c].cgroup_mask, sb = word( l->arg2 + offsetof( rg_client_rec_t, held ) + 8UL*c );
      if( sb && (d & mask) && word( rg_groove_active_cg_off( &fake, c, old & mask ) )==sb ) return NULL;
    }
    return "group hint of classes it holds nothing in place in";
  }
  case W_REC_OP:
    /* a live client's operation word: its next call overwrites it; a
       recovery of it takes what it names as a hint of where to look,
       and checks the superblock's header, check word and mark first */
    return l->arg ? "a live client's op word, checked before use" : NULL;
  case W_OBJ_BITS: {
    /* the size field within the slot's footprint: the allocator's
       accounting depends on the class only; the size is the user's */
    if( !rg_hdr_live( now, &sc, &si ) || sc!=l->arg || si!=l->arg2 || (d & ((1UL<<39)-1UL)) ) return NULL;
    return "object size within its class";
  }
  case W_OBJ_TAG:
    return "user tag";
  case W_SPAN_SZ:
    return now<=RG_GROOVE_SPAN_SZ_MAX && rg_hdr_span_cnt( now )==rg_hdr_span_cnt( old ) ? "span size within its slots" : NULL;
  case W_FREE_HDR:
    /* a free slot's header is written before the slot is claimed */
    return rg_hdr_live( now, &sc, &si ) ? NULL : "header of a free slot";
  default:
    return NULL;
  }
}

/* A trial (in a child process) *********************************************/

static int
overlaps( uint64_t start, uint64_t stop ) {
  for( uint64_t i=0UL; i<live_cnt; i++ ) if( start<live[i].stop && live[i].start<stop ) return 1;
  return 0;
}

typedef struct { uint64_t seen[ LIVE_MAX ]; uint64_t cnt; } seen_t;

static int
seen_add( void * ctx, rg_groove_obj_info_t const * o ) {
  seen_t * s = ctx;
  if( s->cnt<LIVE_MAX ) s->seen[ s->cnt++ ] = o->off;
  return 0;
}

static uint64_t
objects_gone( rg_groove_t * g ) {
  static seen_t s;
  s.cnt = 0UL;
  if( rg_groove_walk( g, seen_add, &s ) ) return live_cnt;
  uint64_t gone = 0UL;
  for( uint64_t i=0UL; i<live_cnt; i++ ) {
    uint64_t k = 0UL;
    while( k<s.cnt && s.seen[k]!=live[i].off ) k++;
    gone += (uint64_t)(k==s.cnt);
  }
  return gone;
}

static void
trial_child( void ) {
  alarm( TRIAL_ALARM );
  rg_shm_t * shm = rg_shm_attach( RG_SHM_FILE, path, NULL );
  if( !shm ) _exit( 3 );
  rg_mem_t const * mem = rg_shm_mem( shm );
  uint8_t ro_mem[ RG_GROOVE_LJOIN_FOOTPRINT ] __attribute__((aligned(RG_GROOVE_LJOIN_ALIGN)));
  uint8_t rw_mem[ RG_GROOVE_LJOIN_FOOTPRINT ] __attribute__((aligned(RG_GROOVE_LJOIN_ALIGN)));
  int err;
  rg_groove_t * ro = rg_region_join( ro_mem, mem, 0UL, 0U, NULL, &err );
  out->joined_ro = !!ro;
  out->verify = ro ? rg_groove_verify( ro ) : err;
  snprintf( out->msg, sizeof(out->msg), "%s", rg_errmsg() );
  uint64_t id[2];
  rg_proc_identity( id );
  rg_groove_t * g = rg_region_join( rw_mem, mem, 7UL, RG_CONN_ID_PID, id, &err );
  out->joined_rw = !!g;
  if( g ) {
    static uint8_t before[ RG_REGION_VOLUME0_OFF ];
    memcpy( before, mem->base, sizeof(before) );
    rg_groove_recovery_t rec = {0};
    out->dry = rg_groove_recover( g, RG_RECOVER_DRY_RUN, &rec );
    out->dry_changed = (uint64_t)!!memcmp( before, mem->base, sizeof(before) );
    rec = (rg_groove_recovery_t){0};
    out->recover = rg_groove_recover( g, 0, &rec );
    if( !out->recover ) {
      out->gone = objects_gone( g );
      out->verify_after = rg_groove_verify( g );
    }
    static uint64_t const sz[] = { 100UL, 3000UL, 60000UL, 30UL<<20 };
    uint64_t got[ 8 ];
    for( uint64_t i=0UL; i<8UL; i++ ) {
      got[i] = 0UL;
      if( rg_groove_alloc( g, 0UL, sz[ i & 3UL ], 9UL, &got[i] ) ) continue;
      rg_groove_obj_info_t info;
      if( !out->recover && !rg_groove_obj_info( g, got[i], &info ) && overlaps( info.start, info.stop ) ) out->twice++;
    }
    for( uint64_t i=0UL; i<8UL; i++ ) if( got[i] ) rg_groove_free( g, got[i] );
    rg_groove_leave( g );
  }
  out->done = 1;
  _exit( 0 );
}

/* The campaign *************************************************************/

typedef struct { uint64_t trials, caught, refused, harmless, missed; } tally_t;

static struct { char const * why; uint64_t cnt; } reason[ 16 ];
static uint64_t reason_cnt;

/* baseline: the restored pool verifies and holds the objects it held. */

static void
baseline( void ) {
  rg_shm_t * shm = rg_shm_attach( RG_SHM_FILE, path, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( shm );
  uint8_t ro_mem[ RG_GROOVE_LJOIN_FOOTPRINT ] __attribute__((aligned(RG_GROOVE_LJOIN_ALIGN)));
  rg_groove_t * ro = rg_region_join( ro_mem, rg_shm_mem( shm ), 0UL, 0U, NULL, NULL );
  CU_ASSERT_PTR_NOT_NULL_FATAL( ro );
  CU_ASSERT_EQUAL( rg_groove_verify( ro ), RG_SUCCESS );
  CU_ASSERT_EQUAL( objects_gone( ro ), 0UL );
  rg_groove_leave( ro );
  rg_shm_close( shm );
}

static void
test_flips( void ) {
  char const * dir = getenv( "TMPDIR" );
  snprintf( path, sizeof(path), "%s/rgroove-flip-%d.pool", dir && dir[0] ? dir : "/tmp", (int)getpid() );
  snprintf( uri, sizeof(uri), "file:%s", path );
  atexit( cleanup );
  size = rg_region_footprint( VOL_MAX );
  out = mmap( NULL, sizeof(trial_out_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0 );
  CU_ASSERT_FATAL( out!=MAP_FAILED );
  build();
  baseline();
  locs_build();
  printf( "  %lu trials, seed %lu; locations:", trials, seed );
  for( int k=0; k<K_CNT; k++ ) printf( " %s %lu%s", kind_name[k], loc_cnt[k], k + 1<K_CNT ? "," : "\n" );

  tally_t  t[ K_CNT ] = {{0}};
  uint64_t s = seed, crashes = 0UL, dry_changed = 0UL, lost = 0UL, twice = 0UL, unsound = 0UL, shown = 0UL;
  struct timespec t0, t1;
  clock_gettime( CLOCK_MONOTONIC, &t0 );
  for( uint64_t n=0UL; n<trials; n++ ) {
    int           k   = (int)(rg_test_rand( &s ) % K_CNT);
    loc_t const * l   = &locs[k][ rg_test_rand( &s ) % loc_cnt[k] ];
    uint64_t      old = word( l->off ), r = rg_test_rand( &s );
    uint64_t      now = (r & 3UL) ? old ^ (1UL<<((r>>2) & 63UL)) : rg_test_rand( &s );
    if( now==old ) now = ~old;
    *(uint64_t *)(base + l->off) = now;
    memset( out, 0, sizeof(*out) );
    pid_t pid = rg_test_fork();
    CU_ASSERT_FATAL( pid>=0 );
    if( !pid ) trial_child();
    int status = 0;
    waitpid( pid, &status, 0 );
    restore();

    t[k].trials++;
    char const * why = harmless( l, old, now );
    int crashed = !out->done || !WIFEXITED( status ) || WEXITSTATUS( status );
    crashes += (uint64_t)crashed;
    if( crashed ) {
      printf( "  trial %lu: %s word at %#lx %#lx -> %#lx: the trial %s (status %#x)\n", n, kind_name[k], l->off, old, now,
              WIFSIGNALED( status ) && WTERMSIG( status )==SIGALRM ? "hung" : "crashed", status );
      continue;
    }
    if( out->verify ) t[k].caught++;
    else if( why ) {
      t[k].harmless++;
      uint64_t j = 0UL;
      while( j<reason_cnt && strcmp( reason[j].why, why ) ) j++;
      if( j==reason_cnt && reason_cnt<16UL ) reason[ reason_cnt++ ].why = why;
      if( j<reason_cnt ) reason[j].cnt++;
    }
    else {
      t[k].missed++;
      if( shown++<20UL ) printf( "  trial %lu: verify passed a change at %#lx (%s, word kind %d) %#lx -> %#lx\n", n, l->off, kind_name[k], l->what, old, now );
    }
    if( !out->joined_rw || out->recover ) t[k].refused++;
    dry_changed += out->dry_changed;
    if( out->joined_rw && !out->recover ) {
      lost  += out->gone;
      twice += out->twice;
      if( out->verify_after ) unsound++;
      if( (out->gone || out->verify_after || out->twice) && shown++<20UL )
        printf( "  trial %lu: recovery succeeded after a change at %#lx (%s) %#lx -> %#lx: %lu objects gone, verify %d, %lu overlaps\n",
                n, l->off, kind_name[k], old, now, out->gone, out->verify_after, out->twice );
    }
  }
  clock_gettime( CLOCK_MONOTONIC, &t1 );
  printf( "  %-20s %7s %8s %8s %9s %7s\n", "kind", "trials", "caught", "refused", "harmless", "missed" );
  tally_t sum = {0};
  for( int k=0; k<K_CNT; k++ ) {
    printf( "  %-20s %7lu %8lu %8lu %9lu %7lu\n", kind_name[k], t[k].trials, t[k].caught, t[k].refused, t[k].harmless, t[k].missed );
    sum.trials += t[k].trials; sum.caught += t[k].caught; sum.refused += t[k].refused; sum.harmless += t[k].harmless; sum.missed += t[k].missed;
  }
  printf( "  %-20s %7lu %8lu %8lu %9lu %7lu\n", "all", sum.trials, sum.caught, sum.refused, sum.harmless, sum.missed );
  printf( "  harmless by rule (see harmless()):" );
  for( uint64_t j=0UL; j<reason_cnt; j++ ) printf( "%s %s %lu", j ? "," : "", reason[j].why, reason[j].cnt );
  printf( "\n" );
  baseline(); /* the snapshot came back whole after every trial */
  printf( "  caught: verify did not return success; refused: recovery returned an error or could not join;\n"
          "  %lu crashed or hung, %lu dry runs changed memory, %lu live objects gone after a successful recovery,\n"
          "  %lu successful recoveries that verify then refused, %lu allocations on a live object; %.1f s\n",
          crashes, dry_changed, lost, unsound, twice, (double)(t1.tv_sec - t0.tv_sec) + 1e-9*(double)(t1.tv_nsec - t0.tv_nsec) );
  CU_ASSERT_EQUAL( crashes, 0UL );
  CU_ASSERT_EQUAL( sum.missed, 0UL );
  CU_ASSERT_EQUAL( dry_changed, 0UL );
  CU_ASSERT_EQUAL( lost, 0UL );
  CU_ASSERT_EQUAL( unsound, 0UL );
  CU_ASSERT_EQUAL( twice, 0UL );

  munmap( base, size );
  close( fd );
  for( uint64_t i=0UL; i<ext_cnt; i++ ) free( ext[i].data );
  for( int k=0; k<K_CNT; k++ ) free( locs[k] );
  munmap( out, sizeof(trial_out_t) );
  CU_ASSERT_EQUAL( rg_pool_unlink( uri ), RG_SUCCESS );
  path[0] = '\0';
}

int
main( int     argc,
      char ** argv ) {
  if( argc>1 ) trials = strtoul( argv[1], NULL, 0 );
  if( argc>2 ) seed   = strtoul( argv[2], NULL, 0 );
  if( !trials || !seed ) return 2;
  static rg_test_t const tests[] = {
    { "one flipped bit or word of metadata: caught, refused or harmless", test_flips },
    { NULL, NULL }
  };
  return rg_test_main( "flip", tests );
}
