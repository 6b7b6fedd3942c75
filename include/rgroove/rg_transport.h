#ifndef RGROOVE_RG_TRANSPORT_H
#define RGROOVE_RG_TRANSPORT_H

/* rg_transport.h: the transport registry.

   A transport reaches a region's memory and gives the allocator an
   rg_mem_t over it.  Each one contributes one rg_transport_t from its
   own folder under transport/, and the registry (transport/rg_transport.c)
   lists them, one line each:

     shm    anon, shm:/NAME, file:PATH: the region mapped here, CPU atomics
     loop   loop:LOCAL: a local region reached through the remote code path,
            with request and round-trip counts and fault injection (rg_loop.h)
     verbs  verbs://HOST[:PORT]: a memory server over RDMA (libibverbs)
     ucx    ucx://HOST[:PORT]: a memory server over UCX (PUT, GET; atomics carried
            out by the server)

   Pool handles (rg_pool.h), rgroove-server and the MPI bootstrap find
   transports here; nothing above this layer names one.  A transport that
   this library was built without is still listed, with built 0: its
   calls return RG_ERR_INVAL saying so. */

#include "rg_mem.h"
#include "rg_uri.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rg_transport rg_transport_t;

/* rg_conn_t: one opened region, a mapping or a connection.  A transport
   embeds it at the start of its own state.  identity says who this
   client is, so that a memory server or a peer process can tell when it
   is gone (doc/architecture.md, "clients and their records"):
   RG_CONN_ID_PID or RG_CONN_ID_SERVER (rg_base.h). */

typedef struct rg_conn {
  rg_transport_t const * tp;
  rg_mem_t               mem;
  uint32_t               id_kind;
  uint64_t               id[ 2 ];
} rg_conn_t;

/* A server's configuration (network transports). */

typedef void (*rg_log_fn_t)( void * ctx, char const * line );

#define RG_SERVE_CONNECT    (1) /* a client was admitted */
#define RG_SERVE_DISCONNECT (2) /* an admitted client's connection is gone */

typedef void (*rg_serve_event_fn_t)( void * ctx, int event, uint64_t serial, char const * peer );

typedef struct rg_serve_cfg {
  char const *        addr;      /* IPv4 address to listen on; NULL: every interface */
  uint16_t            port;      /* 0: the system picks (see uri) */
  char const *        device;    /* NAME[:PORT]; NULL: RGROOVE_DEVICE, else the device of addr */
  int                 gid_index; /* -1: RGROOVE_GID_INDEX, else the transport's choice */
  void const *        token;     /* admission token clients must present */
  uint64_t            token_sz;
  rg_log_fn_t         log;       /* one line per connect, reject, disconnect (NULL: stderr) */
  void *              log_ctx;
  rg_serve_event_fn_t event;     /* NULL: none */
  void *              event_ctx;
  uint64_t            boot;      /* the boot id clients' identities carry (0: the transport draws one);
                                    last, as domain below: the fields before keep their offsets */
} rg_serve_cfg_t;

typedef struct rg_server rg_server_t;

struct rg_transport {
  char const * name;    /* "shm", "loop", "verbs", "ucx" */
  char const * schemes; /* the URI schemes it serves, space separated */
  char const * summary; /* one line: what it needs, what an operation costs */
  int          built;   /* 0: this library was built without it */
  uint32_t     caps;    /* RG_MEM_CAP_* of the memory it gives */

  /* Client side.  open attaches to the region uri names, or creates one
     of create_size bytes (local transports only; network ones take 0).
     Returns the connection or NULL with *err set: RG_ERR_INVAL (bad URI,
     a name that exists when creating), RG_ERR_KEY (no such pool),
     RG_ERR_PERM (refused by the server), RG_ERR_IO.  dup gives another
     handle on the same region for another thread (the mapping shared, or
     a new connection).  close releases one.  unlink removes a named
     local backing (NULL for network transports).  stats copies the
     connection's counters (zeros for mapped memory). */
  rg_conn_t * (*open  )( rg_uri_t const * uri, uint64_t create_size, int * err );
  rg_conn_t * (*dup   )( rg_conn_t * conn, int * err );
  int         (*close )( rg_conn_t * conn );
  int         (*unlink)( rg_uri_t const * uri );
  void        (*stats )( rg_conn_t const * conn, rg_mem_stats_t * stats );

  /* Server side (network transports; NULL for local ones).  probe says
     whether this host can serve or reach pools over the transport and
     fills where->host (and device) with what a server here would listen
     on; RG_ERR_IO with the reason otherwise.  serve registers region
     (mapped here) and listens; poll handles the connection events that
     arrive within timeout_ms; admit opens (1) or closes (0) admission,
     turning new clients away while closed; clients counts connections
     accepted and not yet gone; uri writes the URI clients use; stop
     disconnects everyone and frees the server. */
  int           (*probe  )( rg_uri_t * where );
  rg_server_t * (*serve  )( rg_mem_t const * region, rg_serve_cfg_t const * cfg, int * err );
  int           (*poll   )( rg_server_t * server, int timeout_ms );
  int           (*admit  )( rg_server_t * server, int open );
  uint64_t      (*clients)( rg_server_t const * server );
  int           (*uri    )( rg_server_t const * server, char * buf, uint64_t buf_sz );
  void          (*stop   )( rg_server_t * server );

  uint32_t      domain; /* RG_MEM_DOMAIN_* its clients' atomics execute in (rg_mem.h) */
};

/* rg_transport_find returns the transport serving a URI scheme ("shm",
   "verbs", ...) or named so, NULL if none.  rg_transport_at returns the
   i-th registered transport, NULL past the last.  Pure, thread safe. */

rg_transport_t const * rg_transport_find( char const * scheme_or_name );
rg_transport_t const * rg_transport_at  ( uint64_t i );

/* Admission tokens: at most RG_TOKEN_MAX bytes.  rg_token_load reads
   the token a client presents and a server requires: the one this
   process set with rg_token_set, else RGROOVE_TOKEN (the token itself),
   else the file RGROOVE_TOKEN_FILE names (a trailing newline dropped);
   none gives an empty token.  Returns RG_SUCCESS, or RG_ERR_INVAL
   (unreadable file, longer than token_max).

   rg_token_set makes token (token_sz bytes, at most RG_TOKEN_MAX) this
   process's own, ahead of the environment and never passed to child
   processes; token_sz 0 drops it.  Returns RG_SUCCESS or RG_ERR_INVAL.
   Not thread safe against rg_token_load: set it before opening pools. */

#define RG_TOKEN_MAX (32UL)

int
rg_token_load( void *     token,
               uint64_t   token_max,
               uint64_t * token_sz );

int
rg_token_set( void const * token,
              uint64_t     token_sz );

/* rg_transport_open parses text and opens it with its transport (see
   open above): the one way a URI becomes a connection. */

rg_conn_t *
rg_transport_open( char const * text,
                   uint64_t     create_size,
                   int *        err );

#ifdef __cplusplus
}
#endif

#endif /* RGROOVE_RG_TRANSPORT_H */
