/* test_dlopen LIB SYMBOL...: dlopen each built shared library alone
   with RTLD_NOW (every undefined symbol resolved at once, so a library
   that does not name a library it needs fails here) and look up one of
   its functions.  Prints one line per library; exits non-zero if any
   fails. */

#include <dlfcn.h>
#include <stdio.h>

int
main( int     argc,
      char ** argv ) {
  if( argc<3 || !(argc & 1) ) { fprintf( stderr, "usage: test_dlopen LIB SYMBOL [LIB SYMBOL]...\n" ); return 2; }
  int failed = 0;
  for( int i=1; i+1<argc; i+=2 ) {
    void * h = dlopen( argv[i], RTLD_NOW | RTLD_LOCAL );
    void * f = h ? dlsym( h, argv[i+1] ) : NULL;
    if( f ) printf( "PASS: dlopen( %s, RTLD_NOW ) and dlsym( %s )\n", argv[i], argv[i+1] );
    else    printf( "FAIL: dlopen( %s, RTLD_NOW ) and dlsym( %s ): %s\n", argv[i], argv[i+1], dlerror() );
    failed |= !f;
    if( h ) dlclose( h );
  }
  return failed;
}
