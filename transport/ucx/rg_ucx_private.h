#ifndef RGROOVE_TRANSPORT_UCX_RG_UCX_PRIVATE_H
#define RGROOVE_TRANSPORT_UCX_RG_UCX_PRIVATE_H

/* Shared by the ucx client and server: the handshake's messages, making
   a UCP context and worker, and waiting for a request. */

#include "rgroove/rg_ucx.h"
#include "base/rg_err.h"

#include <ucp/api/ucp.h>

#define RG_UCX_MAGIC     (0x72677578U) /* "rgux" */
#define RG_UCX_AM_HELLO  (0x5247U)     /* client -> server: who I am */
#define RG_UCX_AM_ANSWER (0x5248U)     /* server -> client: the region, or why not */
#define RG_UCX_AM_OP     (0x5249U)     /* client -> server: a request the server carries out (rg_ucx_op_t) */
#define RG_UCX_AM_DONE   (0x524aU)     /* server -> client: its result (rg_ucx_done_t) */
#define RG_UCX_RKEY_MAX  (4096U)       /* a packed remote key's bytes, at most */
#define RG_UCX_OP_TIMEOUT_MS (10000)   /* an operation that takes 10 s means a dead peer */

typedef struct rg_ucx_hello {
  uint32_t magic;
  uint32_t version;
  uint32_t token_sz;
  uint32_t pad;
  uint8_t  token[ RG_TOKEN_MAX ];
} rg_ucx_hello_t;

/* The answer: err 0 admits (the fields after reason and rkey_sz bytes
   of packed key follow), else err is an RG_ERR_* code and reason says
   why. */

typedef struct rg_ucx_answer {
  uint32_t magic;
  int32_t  err;
  uint32_t version;  /* the server's protocol version */
  uint32_t domain;   /* RG_MEM_DOMAIN_* of the atomics the server's worker performs */
  uint64_t addr;     /* region base in the server's address space */
  uint64_t size;     /* region bytes */
  uint64_t boot;     /* the server's boot id */
  uint64_t serial;   /* this connection's serial there */
  uint32_t rkey_sz;
  uint32_t pad;
  char     reason[ 120 ];
  uint8_t  rkey[];   /* rkey_sz bytes */
} rg_ucx_answer_t;

#define RG_UCX_ANSWER_MAX (sizeof(rg_ucx_answer_t) + RG_UCX_RKEY_MAX)

/* Requests the server's worker carries out: every atomic, and reads and
   writes where UCX would emulate them (rg_ucx.h, "requests of our own").
   The header of an RG_UCX_AM_OP message; a write's bytes are its data.
   The server answers each with an RG_UCX_AM_DONE message: the header
   below, a read's bytes as data.  tag comes back as it went. */

typedef struct rg_ucx_op {
  uint32_t op;   /* RG_MEM_OP_READ, _WRITE, _CAS or _FAA */
  uint32_t pad;
  uint64_t tag;
  uint64_t off;  /* into the region */
  uint64_t sz;   /* read, write: bytes */
  uint64_t cmp;  /* cas: the value compared; faa: the addend */
  uint64_t swp;  /* cas: the value swapped in */
} rg_ucx_op_t;

typedef struct rg_ucx_done {
  uint64_t tag;
  uint64_t old;  /* cas, faa: the word found */
  int32_t  err;  /* RG_SUCCESS, or RG_ERR_INVAL for a request the server refused */
  uint32_t pad;
} rg_ucx_done_t;

/* A context and its one worker. */

typedef struct rg_ucx_worker {
  ucp_context_h ctx;
  ucp_worker_h  worker;
} rg_ucx_worker_t;

/* rg_ucx_worker_new makes a context with RMA, 64-bit atomics and active
   messages (and wakeup when wakeup is set: the server sleeps on its
   worker's event fd), atomic mode cpu (rg_ucx.h says why), and device
   (NULL or "": UCX's choice) as UCX_NET_DEVICES, gid_index (-1: UCX's
   choice) as UCX_IB_GID_INDEX; then its worker, for one thread.
   Returns RG_SUCCESS or RG_ERR_IO saying what to do. */

int
rg_ucx_worker_new( rg_ucx_worker_t * w,
                   char const *      device,
                   int               gid_index,
                   int               wakeup );

/* rg_ucx_worker_delete frees what rg_ucx_worker_new made (a zeroed w:
   nothing). */

void
rg_ucx_worker_delete( rg_ucx_worker_t * w );

/* rg_ucx_wait progresses worker until request req (a ucs_status_ptr_t
   from an _nbx call) completes or timeout_ms passes, and frees it.
   Returns the request's status, UCS_ERR_TIMED_OUT (req is then
   cancelled and freed as well) or the error req carries. */

ucs_status_t
rg_ucx_wait( ucp_worker_h worker,
             void *       req,
             int          timeout_ms );

/* rg_ucx_client_open is rg_ucx_open_as with a device (NULL: see
   rg_ucx_device) and a GID index (-1: UCX's choice), as a URI's options
   give them.  The connection's tp is rg_transport_ucx. */

extern rg_transport_t const rg_transport_ucx;

rg_conn_t *
rg_ucx_client_open( char const * host,
                    uint16_t     port,
                    char const * device,
                    int          gid_index,
                    void const * token,
                    uint64_t     token_sz,
                    uint32_t     proto_version,
                    int *        opt_err );

/* rg_ucx_client_close waits for the connection's outstanding requests,
   closes it and frees it.  Returns RG_SUCCESS, or RG_ERR_IO (outstanding
   writes failed, or it had failed earlier). */

int
rg_ucx_client_close( rg_conn_t * conn );

/* rg_ucx_client_stats copies the connection's counters. */

void
rg_ucx_client_stats( rg_conn_t const * conn,
                     rg_mem_stats_t *  stats );

/* rg_ucx_client_dup opens another connection to the same server. */

rg_conn_t *
rg_ucx_client_dup( rg_conn_t * conn,
                   int *       err );

/* The server (rg_ucx_server.c), behind the registry's calls. */

rg_server_t * rg_ucx_server_new   ( rg_mem_t const * region, rg_serve_cfg_t const * cfg, int * err );
int           rg_ucx_server_poll  ( rg_server_t * server, int timeout_ms );
int           rg_ucx_server_admit ( rg_server_t * server, int open );
uint64_t      rg_ucx_server_cnt   ( rg_server_t const * server );
int           rg_ucx_server_uri   ( rg_server_t const * server, char * buf, uint64_t buf_sz );
void          rg_ucx_server_delete( rg_server_t * server );

/* rg_ucx_now_ms, rg_ucx_now_us: a monotonic clock. */

int64_t
rg_ucx_now_ms( void );

int64_t
rg_ucx_now_us( void );

/* rg_ucx_host_addr writes (buf_sz bytes at most) the IPv4 address a
   server on this host publishes when it listens on every interface: the
   first interface that is up and not loopback, else 127.0.0.1. */

void
rg_ucx_host_addr( char *   buf,
                  uint64_t buf_sz );

/* rg_ucx_device: the device to use, dev if set, else RGROOVE_DEVICE,
   else NULL (UCX picks). */

char const *
rg_ucx_device( char const * dev );

#endif /* RGROOVE_TRANSPORT_UCX_RG_UCX_PRIVATE_H */
