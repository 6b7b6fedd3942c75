// The public headers compiled as C++ and linked against the shared
// librgroove: their extern "C" guards let a C++ program call the C
// library.  Creates an anonymous pool, allocates, writes, reads back,
// frees, verifies, and checks the library's version against the
// headers'.  Exits non-zero on any failure.

#include <rgroove/rgroove.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

static int passes = 0, failures = 0;

static void
check( bool ok, std::string const & what ) {
  std::printf( "%s: %s%s%s\n", ok ? "PASS" : "FAIL", what.c_str(), ok ? "" : ": ", ok ? "" : rg_errmsg() );
  passes += ok;
  failures += !ok;
}

int
main() {
  check( std::string( rg_version() )==RG_VERSION_STRING, std::string( "rg_version() is " ) + rg_version() );

  int err = 0;
  rg_pool_t * pool = rg_pool_create( "anon", 1UL, 1UL, &err );
  check( pool!=nullptr, "rg_pool_create( \"anon\" )" );
  if( !pool ) return 1;

  std::vector<rg_gaddr_t> objs;
  std::string const text = "hello from C++";
  for( uint64_t i=0UL; i<16UL; i++ ) {
    rg_gaddr_t a = RG_GADDR_NULL;
    if( rg_pool_alloc( pool, 0UL, 64UL + 100UL*i, i, &a ) ) break;
    objs.push_back( a );
  }
  check( objs.size()==16UL, "16 objects allocated" );
  bool same = true;
  for( rg_gaddr_t a : objs ) {
    char buf[ 32 ] = { 0 };
    same = same && !rg_pool_write( pool, a, text.c_str(), text.size() + 1UL )
                && !rg_pool_read ( pool, a, buf, text.size() + 1UL ) && text==buf;
  }
  check( same, "every object written and read back" );
  uint64_t freed = 0UL;
  for( rg_gaddr_t a : objs ) freed += !rg_pool_free( pool, a );
  check( freed==objs.size(), "every object freed" );
  check( rg_pool_free( pool, objs.empty() ? RG_GADDR_NULL : objs[0] )==RG_ERR_INVAL, "a second free is refused" );
  check( rg_pool_verify( pool )==RG_SUCCESS, "rg_pool_verify" );
  rg_groove_usage_t u;
  check( !rg_pool_usage( pool, &u ) && !u.objects, "no object left" );
  check( rg_pool_close( pool )==RG_SUCCESS, "rg_pool_close" );
  check( std::strcmp( rg_strerror( RG_ERR_FULL ), "unknown" )!=0, "rg_strerror( RG_ERR_FULL )" );
  std::printf( "%d passed, %d failed\n", passes, failures );
  return failures ? 1 : 0;
}
