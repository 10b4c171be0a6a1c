/* daemon/http_impl.h - what http.c (connections) and http_server.c (the
 * listener) share: the connection, exchange and server objects.
 *
 * Owns: those structures and the calls between the two files.
 * Does not own: the exchange API oip.c uses (http.h). */
#ifndef EDGED_HTTP_IMPL_H
#define EDGED_HTTP_IMPL_H

#include <sys/socket.h>
#include <sys/un.h>

#include <http_parser.h>

#include "http.h"

#define FIELD_MAX 40         /* longest header name we look at */
#define VALUE_MAX 32         /* longest header value we keep */
#define DIRECT_READ_MIN 4096 /* read a body into place when this much is left */
#define PREWAKE_BYTES 65536  /* a body this large wakes a worker at its headers */

typedef struct dm_conn conn;

typedef enum { X_PENDING, X_READY, X_WRITING } x_state;

struct dm_exchange {
    conn *c;
    dm_exchange *prev, *next;
    dm_http_request req;
    char *target; /* path, NUL, query, NUL */
    x_state state;
    bool keep_alive; /* false: the connection closes after this reply */
    bool http10;
    dm_request *inflight;
    uv_write_t wr;
    char head[384];
    size_t head_len;
    char *body;
    size_t len;
};

enum { H_NONE, H_IHCL, H_EXPECT };

struct dm_conn {
    dm_server *s;
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_pipe_t pipe; /* from the Unix socket */
        uv_tcp_t tcp;   /* from the TCP listener ([server] tcp) */
    } io;
    bool tcp;
    uv_timer_t timer;
    uv_shutdown_t shut;
    http_parser parser;
    int refs; /* open handles + exchanges */
    conn *prev, *next;
    bool counted; /* counts against max_connections */
    bool peer_known;
    struct ucred cred;
    /* reading */
    char *rbuf;
    char *rdata;       /* what was read last: rbuf, or the body (read into place) */
    size_t roff, rlen; /* unparsed bytes at rdata (kept while paused) */
    bool paused;       /* back-pressure: parser paused, reading stopped */
    bool stop_parsing; /* no further request will be read */
    bool lingering;
    bool closing;
    uint64_t last_active;
    /* the request being parsed */
    bool in_msg;
    uint64_t msg_start;
    size_t hdr_bytes;
    char *url;
    size_t url_len, url_cap;
    char field[FIELD_MAX + 1];
    size_t field_len;
    bool in_value;
    int which;
    char value[VALUE_MAX + 1];
    size_t value_len;
    int64_t ihcl;
    bool expect_continue;
    uint8_t *body;
    size_t body_len, body_cap;
    bool body_direct; /* Content-Length known: read the body into place */
    int fail_status;
    char fail_msg[200];
    /* exchanges in request order */
    dm_exchange *xhead, *xtail;
    size_t n_x;
};

struct dm_server {
    dm_daemon *d;
    uv_pipe_t listener;
    uv_tcp_t tcp_listener; /* when has_tcp */
    int refs;              /* owner + listener handles + connections */
    bool has_tcp;
    char tcp_name[64];
    bool accepting;
    bool unlink_path;
    size_t n_conns; /* counted connections */
    conn *conns;
    uint64_t last_emfile_log;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* http.c */
void dm_conn_accept(dm_server *s, uv_stream_t *listener);
void dm_conn_close(conn *c); /* the client is gone: cancel its queued inferences */
void dm_conn_drain(conn *c);

/* http_server.c */
void dm_server_unref(dm_server *s); /* owner, listener and each connection hold one */

#endif
