/* The verbs transport's decisions, on attributes a real device
   reports: capability checks (each shortfall refused with a message
   that says what to do; rxe always has atomics and an active port, so
   these cannot be provoked on it) and device selection (which port, at
   which address, on synthetic lists of ports, GID tables and
   interfaces: RoCE and InfiniBand).  Runs without any RDMA device; the
   real paths run in the VM (tests/rxe/devices.sh). */

#include "rg_test.h"
#include "transport/verbs/rg_verbs_private.h"

#include <arpa/inet.h>
#include <net/if_arp.h>
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

/* Device selection ****************************************************/

static void
test_spec_parse( void ) {
  char name[ 64 ];
  uint8_t num;
  CU_ASSERT_EQUAL( rg_verbs_spec_parse( "mlx5_0", name, sizeof(name), &num ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( name, "mlx5_0" );
  CU_ASSERT_EQUAL( num, 0U );
  CU_ASSERT_EQUAL( rg_verbs_spec_parse( "rxe1:2", name, sizeof(name), &num ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( name, "rxe1" );
  CU_ASSERT_EQUAL( num, 2U );
  char const * bad[] = { "", ":1", "rxe0:", "rxe0:0", "rxe0:256", "rxe0:1x", "rx e0", "rxe0/1", NULL };
  for( int i=0; bad[i]; i++ ) {
    CU_ASSERT_EQUAL( rg_verbs_spec_parse( bad[i], name, sizeof(name), &num ), RG_ERR_INVAL );
    CU_ASSERT( strstr( rg_errmsg(), "NAME[:PORT]" ) || strstr( rg_errmsg(), "1..255" ) );
  }
  CU_ASSERT_EQUAL( rg_verbs_spec_parse( "a_very_long_device_name_that_does_not_fit_in_the_buffer_of_64_bytes_at_all",
                                        name, sizeof(name), &num ), RG_ERR_INVAL );
  int gid = -1;
  CU_ASSERT_EQUAL( rg_verbs_gid_parse( "3", "--gid-index", &gid ), RG_SUCCESS );
  CU_ASSERT_EQUAL( gid, 3 );
  CU_ASSERT_EQUAL( rg_verbs_gid_parse( "256", "RGROOVE_GID_INDEX", &gid ), RG_ERR_INVAL );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "RGROOVE_GID_INDEX '256'" ) );
  CU_ASSERT_EQUAL( rg_verbs_gid_parse( "", "x", &gid ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( rg_verbs_gid_parse( "-1", "x", &gid ), RG_ERR_INVAL );
  CU_ASSERT_EQUAL( gid, 3 ); /* bad input changes nothing */
}

/* want_init: explicit beats the environment, which beats nothing. */

static void
test_want_precedence( void ) {
  rg_verbs_want_t w;
  unsetenv( "RGROOVE_DEVICE" );
  unsetenv( "RGROOVE_GID_INDEX" );
  CU_ASSERT_EQUAL( rg_verbs_want_init( &w, NULL, -1 ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( w.dev, "" );
  CU_ASSERT_EQUAL( w.gid_index, -1 );
  setenv( "RGROOVE_DEVICE", "rxe1:1", 1 );
  setenv( "RGROOVE_GID_INDEX", "1", 1 );
  CU_ASSERT_EQUAL( rg_verbs_want_init( &w, NULL, -1 ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( w.dev, "rxe1" );
  CU_ASSERT_EQUAL( w.port, 1U );
  CU_ASSERT_EQUAL( w.gid_index, 1 );
  CU_ASSERT_EQUAL( rg_verbs_want_init( &w, "mlx5_0", 0 ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( w.dev, "mlx5_0" );
  CU_ASSERT_EQUAL( w.port, 0U );
  CU_ASSERT_EQUAL( w.gid_index, 0 );
  CU_ASSERT_EQUAL( rg_verbs_want_init( &w, "", -1 ), RG_SUCCESS ); /* "" is not given: the environment */
  CU_ASSERT_STRING_EQUAL( w.dev, "rxe1" );
  setenv( "RGROOVE_GID_INDEX", "x", 1 );
  CU_ASSERT_EQUAL( rg_verbs_want_init( &w, NULL, -1 ), RG_ERR_INVAL );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "RGROOVE_GID_INDEX" ) );
  CU_ASSERT_EQUAL( rg_verbs_want_init( &w, NULL, 2 ), RG_SUCCESS );  /* not read when given */
  setenv( "RGROOVE_DEVICE", "rxe1:", 1 );
  CU_ASSERT_EQUAL( rg_verbs_want_init( &w, NULL, 2 ), RG_ERR_INVAL );
  unsetenv( "RGROOVE_DEVICE" );
  unsetenv( "RGROOVE_GID_INDEX" );
}

static rg_verbs_port_t
port_of( char const * name,
         uint8_t      num,
         int          state,
         char const * addr ) {
  rg_verbs_port_t p = { .num = num, .state = state, .usable = 1, .link = IBV_LINK_LAYER_ETHERNET, .gid_index = -1 };
  snprintf( p.dev, sizeof(p.dev), "%s", name );
  snprintf( p.addr, sizeof(p.addr), "%s", addr );
  snprintf( p.netdev, sizeof(p.netdev), "%s", addr[0] ? "eth9" : "" );
  return p;
}

static void
test_port_pick( void ) {
  rg_verbs_port_t ports[ 4 ] = {
    port_of( "mlx5_0", 1, IBV_PORT_DOWN, "" ),
    port_of( "mlx5_0", 2, IBV_PORT_ACTIVE, "" ),
    port_of( "rxe0", 1, IBV_PORT_ACTIVE, "169.254.7.1" ),
    port_of( "rxe1", 1, IBV_PORT_ACTIVE, "169.254.8.1" ),
  };
  uint64_t i = 99UL;
  CU_ASSERT_EQUAL( rg_verbs_port_pick( ports, 4, NULL, 0, &i ), RG_SUCCESS );
  CU_ASSERT_EQUAL( i, 2UL );                /* automatic: active, with an address first */
  ports[2].usable = 0;                      /* no atomics: passed over */
  CU_ASSERT_EQUAL( rg_verbs_port_pick( ports, 4, "", 0, &i ), RG_SUCCESS );
  CU_ASSERT_EQUAL( i, 3UL );
  ports[2].usable = 1;
  CU_ASSERT_EQUAL( rg_verbs_port_pick( ports, 4, "rxe1", 0, &i ), RG_SUCCESS );
  CU_ASSERT_EQUAL( i, 3UL );
  CU_ASSERT_EQUAL( rg_verbs_port_pick( ports, 4, "mlx5_0", 0, &i ), RG_SUCCESS );
  CU_ASSERT_EQUAL( i, 1UL );                /* its first ACTIVE port */
  CU_ASSERT_EQUAL( rg_verbs_port_pick( ports, 4, "mlx5_0", 2, &i ), RG_SUCCESS );
  CU_ASSERT_EQUAL( i, 1UL );

  i = 99UL;
  CU_ASSERT_EQUAL( rg_verbs_port_pick( ports, 4, "mlx5_3", 0, &i ), RG_ERR_IO );
  CU_ASSERT_EQUAL( i, 99UL );
  printf( "\n  absent: %s\n", rg_errmsg() );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "RDMA device mlx5_3 not found; found: mlx5_0 port 1 DOWN, mlx5_0 port 2 ACTIVE, "
                                               "rxe0 port 1 ACTIVE, rxe1 port 1 ACTIVE; set RGROOVE_DEVICE=NAME[:PORT]" ) );
  CU_ASSERT_EQUAL( rg_verbs_port_pick( ports, 4, "mlx5_0", 1, &i ), RG_ERR_IO );
  printf( "  port down: %s\n", rg_errmsg() );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "port 1 of RDMA device mlx5_0 is DOWN, not ACTIVE; found: mlx5_0 port 1 DOWN" ) );
  CU_ASSERT_EQUAL( rg_verbs_port_pick( ports, 4, "rxe0", 2, &i ), RG_ERR_IO );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "RDMA device rxe0 has no port 2; found:" ) );
  ports[1].state = IBV_PORT_INIT;
  CU_ASSERT_EQUAL( rg_verbs_port_pick( ports, 4, "mlx5_0", 0, &i ), RG_ERR_IO );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "RDMA device mlx5_0 has no ACTIVE port; found: mlx5_0 port 1 DOWN, mlx5_0 port 2 INIT" ) );
  ports[2].state = ports[3].state = IBV_PORT_DOWN;
  CU_ASSERT_EQUAL( rg_verbs_port_pick( ports, 4, NULL, 0, &i ), RG_ERR_IO );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "no active RDMA port" ) );
  CU_ASSERT_EQUAL( rg_verbs_port_pick( ports, 0, NULL, 0, &i ), RG_ERR_IO );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "no RDMA device on this host" ) );
  CU_ASSERT_EQUAL( i, 99UL );
}

static struct ibv_gid_entry
gid_of( uint32_t     num,
        uint32_t     index,
        uint32_t     type,
        uint32_t     ifindex,
        char const * ip6 ) {
  struct ibv_gid_entry e = { .port_num = num, .gid_index = index, .gid_type = type, .ndev_ifindex = ifindex };
  inet_pton( AF_INET6, ip6, e.gid.raw );
  return e;
}

static rg_verbs_if_t
if_of( char const * name,
       uint32_t     index,
       uint16_t     hatype,
       char const * addr ) {
  rg_verbs_if_t f = { .index = index, .hatype = hatype, .halen = 6 };
  snprintf( f.name, sizeof(f.name), "%s", name );
  snprintf( f.addr, sizeof(f.addr), "%s", addr );
  return f;
}

/* RoCE: the IPv4-mapped GID gives the address, its netdev the name; a
   GID index must hold an IPv4 address. */

static void
test_resolve_roce( void ) {
  struct ibv_gid_entry gids[] = { /* as rxe shows them, plus a RoCE v1 twin and a second port */
    gid_of( 1, 0, IBV_GID_TYPE_ROCE_V2, 3, "fe80::20f9:31ff:fec7:72f5" ),
    gid_of( 1, 1, IBV_GID_TYPE_IB,      3, "::ffff:169.254.8.1" ),
    gid_of( 1, 2, IBV_GID_TYPE_ROCE_V2, 3, "::ffff:169.254.8.1" ),
    gid_of( 2, 0, IBV_GID_TYPE_ROCE_V2, 4, "::ffff:10.0.0.2" ),
  };
  rg_verbs_if_t ifs[] = { if_of( "lo", 1, ARPHRD_LOOPBACK, "127.0.0.1" ), if_of( "dummy1", 3, ARPHRD_ETHER, "169.254.8.1" ),
                          if_of( "eth1", 4, ARPHRD_ETHER, "10.0.0.2" ) };
  rg_verbs_port_t p = port_of( "rxe1", 1, IBV_PORT_ACTIVE, "" );
  CU_ASSERT_EQUAL( rg_verbs_port_resolve( &p, gids, 4, ifs, 3, -1 ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( p.addr, "169.254.8.1" );
  CU_ASSERT_STRING_EQUAL( p.netdev, "dummy1" );
  CU_ASSERT_EQUAL( p.gid_index, 2 );        /* the RoCE v2 one, rdma_cm's default type */
  CU_ASSERT_EQUAL( rg_verbs_port_resolve( &p, gids, 4, ifs, 3, 1 ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( p.addr, "169.254.8.1" );
  CU_ASSERT_EQUAL( p.gid_index, 1 );
  CU_ASSERT_EQUAL( rg_verbs_port_resolve( &p, gids, 4, ifs, 3, 0 ), RG_ERR_IO );
  printf( "\n  IPv6 GID: %s\n", rg_errmsg() );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "GID index 0 of RDMA device rxe1 port 1 is fe80::20f9:31ff:fec7:72f5, not an IPv4 address" ) );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "1 ::ffff:169.254.8.1, 2 ::ffff:169.254.8.1" ) );
  CU_ASSERT_EQUAL( rg_verbs_port_resolve( &p, gids, 4, ifs, 3, 7 ), RG_ERR_IO );
  CU_ASSERT_PTR_NOT_NULL( strstr( rg_errmsg(), "has no GID index 7" ) );
  p.num = 2;
  CU_ASSERT_EQUAL( rg_verbs_port_resolve( &p, gids, 4, ifs, 3, -1 ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( p.addr, "10.0.0.2" );
  CU_ASSERT_STRING_EQUAL( p.netdev, "eth1" );
  CU_ASSERT_EQUAL( p.gid_index, 0 );
  /* only a link-local GID yet: the netdev's own address, no GID index */
  p.num = 1;
  CU_ASSERT_EQUAL( rg_verbs_port_resolve( &p, gids, 1, ifs, 3, -1 ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( p.netdev, "dummy1" );
  CU_ASSERT_STRING_EQUAL( p.addr, "169.254.8.1" );
  CU_ASSERT_EQUAL( p.gid_index, -1 );
  CU_ASSERT_EQUAL( rg_verbs_port_resolve( &p, NULL, 0, ifs, 3, -1 ), RG_SUCCESS ); /* no GIDs at all */
  CU_ASSERT_STRING_EQUAL( p.addr, "" );
  CU_ASSERT_STRING_EQUAL( p.netdev, "" );
}

/* InfiniBand: the IPoIB interface whose hardware address ends with the
   port GID gives name and address. */

static void
test_resolve_ib( void ) {
  struct ibv_gid_entry gids[] = {
    gid_of( 1, 0, IBV_GID_TYPE_IB, 0, "fe80::248a:703:49:d4f0" ),
    gid_of( 2, 0, IBV_GID_TYPE_IB, 0, "fe80::248a:703:49:d4f1" ),
  };
  rg_verbs_if_t ifs[] = { if_of( "eth0", 2, ARPHRD_ETHER, "192.168.1.5" ), if_of( "ib0", 5, ARPHRD_INFINIBAND, "10.10.0.5" ),
                          if_of( "ib1", 6, ARPHRD_INFINIBAND, "10.11.0.5" ) };
  for( int k=1; k<=2; k++ ) {
    rg_verbs_if_t * f = &ifs[k];
    f->halen = 20;
    f->hw[1] = 0x01; f->hw[2] = 0x02; f->hw[3] = 0x03; /* flags and QPN, then the GID */
    memcpy( f->hw + 4, gids[k-1].gid.raw, 16 );
  }
  rg_verbs_port_t p = port_of( "mlx5_0", 2, IBV_PORT_ACTIVE, "" );
  p.link = IBV_LINK_LAYER_INFINIBAND;
  CU_ASSERT_EQUAL( rg_verbs_port_resolve( &p, gids, 2, ifs, 3, -1 ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( p.netdev, "ib1" );
  CU_ASSERT_STRING_EQUAL( p.addr, "10.11.0.5" );
  CU_ASSERT_EQUAL( p.gid_index, 0 );
  p.num = 1;
  CU_ASSERT_EQUAL( rg_verbs_port_resolve( &p, gids, 2, ifs, 3, 0 ), RG_SUCCESS );
  CU_ASSERT_STRING_EQUAL( p.addr, "10.10.0.5" );
  CU_ASSERT_EQUAL( rg_verbs_port_resolve( &p, gids, 2, ifs, 1, -1 ), RG_SUCCESS ); /* no IPoIB interface */
  CU_ASSERT_STRING_EQUAL( p.addr, "" );
  CU_ASSERT_EQUAL( rg_verbs_port_resolve( &p, gids, 2, ifs, 3, 3 ), RG_ERR_IO );
}

static void
test_describe( void ) {
  rg_verbs_port_t ports[ 2 ] = { port_of( "rxe0", 1, IBV_PORT_ACTIVE, "169.254.7.1" ), port_of( "rxe1", 1, IBV_PORT_DOWN, "" ) };
  snprintf( ports[0].netdev, sizeof(ports[0].netdev), "dummy0" );
  char buf[ 256 ];
  rg_verbs_ports_describe( ports, 2, buf, sizeof(buf) );
  CU_ASSERT_STRING_EQUAL( buf, "rxe0 port 1 ACTIVE, rxe1 port 1 DOWN" );
  rg_verbs_ports_ifaces( ports, 2, buf, sizeof(buf) );
  CU_ASSERT_STRING_EQUAL( buf, "dummy0 169.254.7.1 (rxe0 port 1), ? without an IPv4 address (rxe1 port 1)" );
  rg_verbs_ports_ifaces( ports, 0, buf, sizeof(buf) );
  CU_ASSERT_STRING_EQUAL( buf, "none (no RDMA device on this host)" );
  char small[ 12 ];
  rg_verbs_ports_describe( ports, 2, small, sizeof(small) ); /* truncated, terminated */
  CU_ASSERT_EQUAL( strlen( small ), sizeof(small)-1 );
}

int
main( void ) {
  static rg_test_t const tests[] = {
    { "a sound device passes",                  test_sound_device           },
    { "no remote atomics: refused",             test_no_atomics             },
    { "no outstanding reads/atomics: refused",  test_no_outstanding_atomics },
    { "port down: refused",                     test_port_down              },
    { "memlock below the region: refused",      test_memlock                },
    { "NAME[:PORT] and GID indexes parsed",     test_spec_parse             },
    { "explicit, then environment, then none",  test_want_precedence        },
    { "port choice; absent or down: listed",    test_port_pick              },
    { "RoCE: address and netdev from GIDs",     test_resolve_roce           },
    { "InfiniBand: address from IPoIB",         test_resolve_ib             },
    { "port and interface lists",               test_describe               },
    { NULL, NULL }
  };
  return rg_test_main( "verbs checks", tests );
}
