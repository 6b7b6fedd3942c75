#ifndef RGROOVE_TRANSPORT_VERBS_RG_VERBS_PRIVATE_H
#define RGROOVE_TRANSPORT_VERBS_RG_VERBS_PRIVATE_H

/* Shared by the verbs client and server: the connection handshake's
   private data, device checks, and waiting for a CM event. */

#include "rgroove/rg_verbs.h"
#include "base/rg_err.h"

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#define RG_VERBS_MAGIC (0x72677276U) /* "rgrv" */

/* The depth of outstanding RDMA reads and atomics a connection asks for:
   rgroove waits for each before the next, so 1 suffices; more helps
   nothing. */
#define RG_VERBS_RD_ATOM (1U)

/* Connect request: fits RC's 56 bytes of private data. */

typedef struct __attribute__((packed)) rg_verbs_req {
  uint32_t magic;
  uint32_t version;
  uint32_t token_sz;
  uint8_t  token[ RG_VERBS_TOKEN_MAX ];
} rg_verbs_req_t;

/* Accept: what a client needs to reach the region. */

typedef struct __attribute__((packed)) rg_verbs_rep {
  uint32_t magic;
  uint32_t version;
  uint64_t addr;   /* region base in the server's address space */
  uint64_t size;   /* region bytes */
  uint32_t rkey;
  uint64_t boot;   /* the server's boot id: a client's identity is {boot, serial} */
  uint64_t serial; /* this connection's serial at the server */
} rg_verbs_rep_t;

/* Reject: why (fits the 148 bytes a reject may carry). */

typedef struct __attribute__((packed)) rg_verbs_rej {
  uint32_t magic;
  int32_t  err;    /* RG_ERR_* */
  char     reason[ 120 ];
} rg_verbs_rej_t;

_Static_assert( sizeof(rg_verbs_req_t)<=56,  "connect private data" );
_Static_assert( sizeof(rg_verbs_rej_t)<=148, "reject private data" );
_Static_assert( sizeof(rg_verbs_rep_t)<=196, "accept private data" );

/* rg_verbs_check_device: the device behind ctx supports 64-bit atomics,
   RG_VERBS_RD_ATOM outstanding reads/atomics, and port is active.
   Returns RG_SUCCESS or RG_ERR_IO with a message saying what to do.
   rg_verbs_check_attrs is the decision on attributes already queried;
   rg_verbs_check_memlock the one on a memlock limit (privileged: the
   process may lock memory beyond it). */

int
rg_verbs_check_attrs( char const *                   name,
                      uint8_t                        port,
                      struct ibv_device_attr const * dev,
                      struct ibv_port_attr const *   pa );

int
rg_verbs_check_memlock( uint64_t region_sz,
                        uint64_t limit,
                        int      privileged );


int
rg_verbs_check_device( struct ibv_context * ctx,
                       uint8_t              port );

/* rg_verbs_server_addr: the IPv4 address clients reach the server at
   (its listen address, or for a wildcard listener the first RDMA
   interface's). */

void
rg_verbs_server_addr( rg_verbs_server_t const * server,
                      char *                    buf,
                      uint64_t                  buf_sz );

/* rg_verbs_wait_event waits up to timeout_ms for the next CM event on
   ch.  Returns RG_SUCCESS with *ev (ack it), RG_ERR_AGAIN when none came
   in time, or RG_ERR_IO. */

int
rg_verbs_wait_event( struct rdma_event_channel * ch,
                     int                         timeout_ms,
                     struct rdma_cm_event **     ev );

#endif /* RGROOVE_TRANSPORT_VERBS_RG_VERBS_PRIVATE_H */
