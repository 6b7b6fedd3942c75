#ifndef RGROOVE_TESTS_RG_TEST_H
#define RGROOVE_TESTS_RG_TEST_H

/* Shared by the CUnit suites: a tiny runner, and rg_tagged.h's and
   rg_child.h's helpers. */

#include "rg_child.h"
#include "rg_tagged.h"

#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct rg_test {
  char const * name;
  void      (* fn)( void );
} rg_test_t;

/* rg_test_main registers one suite of tests (ended by a NULL name) and
   runs it verbosely; the exit status is the number of failures. */

static inline int
rg_test_main( char const *      suite_name,
              rg_test_t const * tests ) {
  if( CU_initialize_registry()!=CUE_SUCCESS ) return 2;
  CU_pSuite suite = CU_add_suite( suite_name, NULL, NULL );
  for( rg_test_t const * t=tests; t->name; t++ ) CU_add_test( suite, t->name, t->fn );
  CU_basic_set_mode( CU_BRM_VERBOSE );
  CU_basic_run_tests();
  unsigned fails = CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return fails ? 1 : 0;
}

#endif /* RGROOVE_TESTS_RG_TEST_H */
