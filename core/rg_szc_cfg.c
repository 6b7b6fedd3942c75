/* The seed's size-class table (doc/architecture.md, "size classes"), unchanged:
   obj_footprint, obj_cnt, cgroup_mask, parent_szc. */

#include "rg_groove_private.h"

rg_groove_szc_cfg_t const rg_groove_szc_cfg[ RG_GROOVE_SZC_CNT ] = {
  {      512U, 38, 63, 11 }, {     1024U, 19, 63, 11 }, {     1536U, 12, 63, 11 },
  {     2048U,  9, 63, 11 }, {     2560U,  7, 63, 11 }, {     3072U,  6, 63, 11 },
  {     3584U,  5, 63, 11 }, {     4608U,  4, 63, 11 }, {     6144U,  3, 63, 11 },
  {     9728U,  2, 63, 11 }, {    13312U,  3, 31, 13 }, {    19968U,  2, 31, 13 },
  {    26624U,  3, 15, 15 }, {    40448U,  2, 15, 15 }, {    54272U,  3,  7, 18 },
  {    81408U,  2,  7, 18 }, {    81920U,  4,  3, 20 }, {   109056U,  3,  3, 20 },
  {   163840U,  2,  3, 20 }, {   218624U,  3,  1, 22 }, {   328192U,  2,  1, 22 },
  {   438272U,  3,  0, 24 }, {   657408U,  2,  0, 24 }, {   876544U,  3,  0, 26 },
  {  1315328U,  2,  0, 26 }, {  1754112U,  3,  0, 28 }, {  2631168U,  2,  0, 28 },
  {  3508224U,  3,  0, 30 }, {  5262848U,  2,  0, 30 }, {  7017472U,  3,  0, 31 },
  { 10526208U,  2,  0, 31 }, { 21053440U, 51,  0, 32 }
};

/* Class of each footprint of 1..19 blocks (up to class 9's 9728 bytes):
   rg_groove_szc without the search, checked against it by test_format. */

uint8_t const rg_groove_szc_small[ RG_GROOVE_SMALL_BLOCKS ] = {
  0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9
};

/* The fingerprint hashes what a region made by this library depends on:
   the size-class table and the layout constants. */

uint64_t
rg_layout_fingerprint( void ) {
  uint64_t w[ 4*RG_GROOVE_SZC_CNT + 8 ], n = 0UL;
  for( uint64_t c=0UL; c<RG_GROOVE_SZC_CNT; c++ ) {
    w[ n++ ] = rg_groove_szc_cfg[ c ].obj_footprint;
    w[ n++ ] = rg_groove_szc_cfg[ c ].obj_cnt;
    w[ n++ ] = rg_groove_szc_cfg[ c ].cgroup_mask;
    w[ n++ ] = rg_groove_szc_cfg[ c ].parent_szc;
  }
  w[ n++ ] = RG_REGION_VERSION;
  w[ n++ ] = sizeof(rg_region_hdr_t);
  w[ n++ ] = sizeof(rg_groove_shared_t);
  w[ n++ ] = sizeof(rg_client_rec_t);
  w[ n++ ] = sizeof(rg_volume_hdr_t);
  w[ n++ ] = sizeof(rg_sb_hdr_t);
  w[ n++ ] = RG_SB_MARK_SHIFT;
  w[ n++ ] = RG_STK_OFF_BITS;
  return rg_layout_check( w, n );
}
