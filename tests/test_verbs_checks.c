/* The verbs transport's capability decisions, on attributes a real
   device reports: each shortfall is refused with a message that says
   what to do.  (rxe always has atomics and an active port, so these
   cases cannot be provoked on it.)  Runs without any RDMA device. */

#include "rg_test.h"
#include "transport/verbs/rg_verbs_private.h"

#include <string.h>
#include <sys/resource.h>

static struct ibv_device_attr dev;
static struct ibv_port_attr   port;

static void
good( void ) {
  memset( &dev, 0, sizeof(dev) );
  memset( &port, 0, sizeof(port) );
  dev.atomic_cap = IBV_ATOMIC_HCA;
  dev.max_qp_rd_atom = dev.max_qp_init_rd_atom = 16;
  port.state = IBV_PORT_ACTIVE;
}

static void
test_sound_device( void ) {
  good();
  CU_ASSERT_EQUAL( rg_verbs_check_attrs( "rxe0", 1, &dev, &port ), RG_SUCCESS );
  dev.atomic_cap = IBV_ATOMIC_GLOB;
  CU_ASSERT_EQUAL( rg_verbs_check_attrs( "rxe0", 1, &dev, &port ), RG_SUCCESS );
}

static void
test_no_atomics( void ) {
  good();
  dev.atomic_cap = IBV_ATOMIC_NONE;
  CU_ASSERT_EQUAL( rg_verbs_check_attrs( "mlx5_0", 1, &dev, &port ), RG_ERR_IO );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "atomic_cap NONE" ) );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "shm transport" ) );
}

static void
test_no_outstanding_atomics( void ) {
  good();
  dev.max_qp_rd_atom = 0;
  CU_ASSERT_EQUAL( rg_verbs_check_attrs( "dev", 1, &dev, &port ), RG_ERR_IO );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "outstanding reads/atomics" ) );
  good();
  dev.max_qp_init_rd_atom = 0;
  CU_ASSERT_EQUAL( rg_verbs_check_attrs( "dev", 1, &dev, &port ), RG_ERR_IO );
}

static void
test_port_down( void ) {
  good();
  port.state = IBV_PORT_DOWN;
  CU_ASSERT_EQUAL( rg_verbs_check_attrs( "rxe0", 1, &dev, &port ), RG_ERR_IO );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "not active" ) );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "rdma link show" ) );
}

static void
test_memlock( void ) {
  CU_ASSERT_EQUAL( rg_verbs_check_memlock( 1UL<<30, 64UL<<10, 0 ), RG_ERR_IO );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "ulimit -l unlimited" ) );
  CU_ASSERT_EQUAL( rg_verbs_check_memlock( 1UL<<30, 64UL<<10, 1 ), RG_SUCCESS );      /* root may lock beyond */
  CU_ASSERT_EQUAL( rg_verbs_check_memlock( 1UL<<30, 2UL<<30, 0 ), RG_SUCCESS );
  CU_ASSERT_EQUAL( rg_verbs_check_memlock( 1UL<<30, (uint64_t)RLIM_INFINITY, 0 ), RG_SUCCESS );
}

int
main( void ) {
  static rg_test_t const tests[] = {
    { "a sound device passes",                  test_sound_device           },
    { "no remote atomics: refused",             test_no_atomics             },
    { "no outstanding reads/atomics: refused",  test_no_outstanding_atomics },
    { "port down: refused",                     test_port_down              },
    { "memlock below the region: refused",      test_memlock                },
    { NULL, NULL }
  };
  return rg_test_main( "verbs checks", tests );
}
