/* daemon/http_impl.h - what http.c (connections), http_parse.c (requests),
 * http_server.c (the listener), http_admit.c and http_codec.c share: the
 * connection, exchange and server objects.
 *
 * Owns: those structures and the calls between those files.
 * Does not own: the exchange API oip.c uses (http.h). */
#ifndef EDGED_HTTP_IMPL_H
#define EDGED_HTTP_IMPL_H

#include <sys/socket.h>
#include <sys/un.h>

#include <http_parser.h>

#include "http.h"
#include "scheduler.h"

#define FIELD_MAX 40         /* longest header name we look at */
#define VALUE_MAX 128        /* longest header value we keep */
#define DIRECT_READ_MIN 4096 /* read a body into place when this much is left */
#define PREWAKE_BYTES 65536  /* a body this large wakes a worker at its headers */
#define READ_BUF_BYTES 65536 /* the server's one read buffer */
#define GZIP_MIN_BYTES 1024  /* smaller replies are not worth compressing */
#define DRAIN_NEW_MS 1000    /* at the stop: how long a new connection may take to send */

_Static_assert(VALUE_MAX == DM_HTTP_CTYPE_MAX, "Content-Type is kept as a header value");

/* Content codings (http_codec.c) */
enum { DM_CODING_IDENTITY, DM_CODING_GZIP, DM_CODING_DEFLATE };

typedef struct dm_conn conn;

/* The listeners, each with its own connection slots (max_connections each). */
enum { DM_L_UNIX, DM_L_TCP, DM_L_VISION, DM_N_LISTENERS };

typedef enum { X_PENDING, X_READY, X_WRITING } x_state;

struct dm_exchange {
    conn *c;
    dm_exchange *prev, *next;
    dm_http_request req;
    char *target; /* path, NUL, query, NUL */
    x_state state;
    bool keep_alive; /* false: the connection closes after this reply */
    bool http10;
    bool gzip_ok;         /* the client accepts a gzipped reply */
    bool gzipped;         /* the reply body is gzipped */
    uint32_t retry_after; /* seconds, for a Retry-After header (0: none) */
    uint64_t charged;     /* bytes of the server's budget this exchange holds */
    dm_request *inflight;
    atomic_bool *cancel; /* set when the client goes (dm_http_set_cancel_flag) */
    uv_write_t wr;
    char head[768]; /* the status page's security headers take 300 bytes */
    size_t head_len;
    char *body;
    size_t len;
};

enum { H_NONE, H_IHCL, H_EXPECT, H_HOST, H_CENC, H_AENC, H_CTYPE };

struct dm_conn {
    dm_server *s;
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_pipe_t pipe; /* from the Unix socket */
        uv_tcp_t tcp;   /* from the TCP listener ([server] tcp) */
    } io;
    bool tcp;
    bool vision;  /* from [vision] listen: only the vision API is served */
    int listener; /* DM_L_*: whose slots it takes */
    uv_timer_t timer;
    uv_shutdown_t shut;
    http_parser parser;
    int refs; /* open handles + exchanges */
    conn *prev, *next;
    bool counted;         /* counts against max_connections */
    bool uid_counted;     /* counts against max_connections_per_uid */
    bool reserved;        /* one of the reserved_connections (an administrator's) */
    bool proven;          /* has sent a complete request */
    uint64_t accept_turn; /* dm_server.turn_seq when accepted */
    uint64_t accept_ms;   /* the loop's time then */
    bool heard;           /* a byte of it has been read */
    bool peer_known;
    struct ucred cred;
    /* reading */
    char *stash;       /* unparsed bytes kept from the server's read buffer while paused */
    size_t stash_len;  /* the budget a connection holds: url_cap + body_charge + stash_len */
    char *rdata;       /* what was read last: the server's rbuf, the stash, or the body */
    size_t roff, rlen; /* unparsed bytes at rdata (kept while paused) */
    bool paused;       /* back-pressure: parser paused, reading stopped */
    bool stop_parsing; /* no further request will be read */
    bool draining;     /* the server stops: the request being read (or the first) is the last */
    bool holding;      /* holds the scheduler's drain (dm_sched_hold) until its request is in */
    uint64_t drain_at; /* when the drain began (ms) */
    bool lingering;
    bool closing;
    uint64_t last_active;
    const char *exec_start; /* the data of the current one */
    char prev_last;         /* the last byte parsed before it */
    /* the request being parsed */
    bool in_msg;
    bool headers_done;
    uint64_t msg_start;
    uint64_t win_start;   /* body rate: the window's start (ms) */
    size_t win_bytes;     /* and body_len then */
    uint64_t body_charge; /* budget held for the body (announced length, or capacity) */
    int n_host;
    int coding; /* Content-Encoding: DM_CODING_* */
    bool accept_gzip;
    char ctype[VALUE_MAX + 1]; /* Content-Type ("" when none; VALUE_MAX chars: cut) */
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
    uint32_t fail_retry; /* Retry-After for the failure reply */
    char fail_msg[200];
    /* exchanges in request order */
    dm_exchange *xhead, *xtail;
    size_t n_x;
};

struct dm_server {
    dm_daemon *d;
    uv_pipe_t listener;
    uv_tcp_t tcp_listener;             /* when has_tcp */
    uv_tcp_t vision_listener;          /* when has_vision ([vision] listen) */
    char vision_addr[64];              /* its address */
    uv_check_t turn;                   /* after each loop turn's I/O: deferred accepts */
    uint32_t accepted[DM_N_LISTENERS]; /* connections accepted in this turn, by listener */
    uint64_t accepted_total;           /* and since the start */
    uint64_t turn_seq;                 /* loop turns with accepts (a quiet spell counts as two) */
    uv_stream_t *deferred[DM_N_LISTENERS]; /* listeners with a connection left pending */
    int64_t wait_ms[DM_N_LISTENERS]; /* a deferred accept's wait (dm_admit_wait) */
    uv_idle_t spin;   /* runs while an accept waits a turn: the next turn comes at once */
    uv_timer_t grace; /* wakes the loop when an accept waits on a newcomer's grace */
    int refs;         /* owner + listener handles + the turn, spin and grace handles + conns */
    bool has_tcp;
    bool has_vision;
    char tcp_name[64];
    bool accepting;
    bool unlink_path;
    size_t n_conns[DM_N_LISTENERS]; /* counted connections, by listener */
    size_t n_reserved;              /* reserved ones (administrators beyond max_connections) */
    conn *conns;                    /* newest first */
    conn *conns_tail;               /* oldest */
    uint64_t buffered;              /* bytes charged against max_buffered_bytes */
    uint64_t buffered_peak;
    uint64_t evicted, refused; /* connections closed to make room, refused */
    int decoding;              /* compressed bodies being decoded off the loop */
    struct dm_uid_count {
        uid_t uid;
        uint32_t n;
    } * uids; /* connections per peer uid (Unix socket) */
    size_t n_uids, cap_uids;
    char *rbuf; /* READ_BUF_BYTES: every connection reads into it, one at a time */
    uint64_t last_emfile_log;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static inline const dm_config *dm_conn_cfg(const conn *c)
{
    return &c->s->d->cfg;
}

static inline uint64_t dm_conn_now(const conn *c)
{
    return uv_now(c->s->d->loop);
}

/* http.c */
bool dm_conn_accept(dm_server *s, uv_stream_t *listener); /* false: left pending */
void dm_conn_close(conn *c); /* the client is gone: cancel its queued inferences */
void dm_conn_drain(conn *c);
/* Close C at once with a best-effort 503 MSG (no lingering, no exchange). */
void dm_conn_refuse(conn *c, const char *msg);
/* Answer STATUS/MSG after the replies before it, then close: nothing more is read. */
void dm_conn_fail(conn *c, int status, const char *msg);
/* (Re)start C's one timer for what it waits for now (see http.c). */
void dm_conn_arm_timer(conn *c);
/* Reading C should pause: too many exchanges or bytes queued. */
bool dm_conn_backpressure(const conn *c);
/* A new exchange at the tail of C's queue (holds a reference to C), or NULL. */
dm_exchange *dm_x_new(conn *c);
/* Unlink and free X, its buffers and its share of the budget; drops its reference to C. */
void dm_x_free(dm_exchange *x);

/* http_parse.c */
/* Run C's parser over LEN bytes of DATA (the callbacks fill C and queue
 * exchanges); the bytes consumed, as http_parser_execute. */
size_t dm_http_execute(conn *c, const char *data, size_t len);
/* Answer the error that stopped C's parser, then close after it. */
void dm_http_parse_error(conn *c);

/* http_server.c */
void dm_server_unref(dm_server *s); /* owner, listener and each connection hold one */
/* C's peer is root or in GROUP; otherwise false with the reason in WHY. */
bool dm_conn_peer_is_admin(const conn *c, const char *group, char *why, size_t len);

/* http_admit.c: the memory budget and who may connect */
bool dm_budget_take(dm_server *s, uint64_t n);  /* false (nothing taken) when over the cap */
void dm_budget_force(dm_server *s, uint64_t n); /* taken even over the cap (replies) */
void dm_budget_put(dm_server *s, uint64_t n);
bool dm_budget_over(const dm_server *s);
void dm_conns_link(dm_server *s, conn *c);
void dm_conns_unlink(dm_server *s, conn *c);
/* Admit the accepted C (its credentials known): counts it against its
 * listener's slots, closing a connection of that listener to make room when a
 * limit is reached (the oldest lingering one, else the oldest idle keep-alive
 * one, else the oldest without a complete request).
 * false: refused, with the reason in WHY (the caller closes C). */
bool dm_admit(dm_server *s, conn *c, char *why, size_t len);
void dm_admit_release(dm_server *s, conn *c); /* C closes */
/* Whether accepting on listener L should wait: 0 when it may go ahead (there
 * is room, a connection can make room, or the newcomer will be refused); when
 * L is full and only new connections not heard from yet could make room, -1
 * (one accepted in this turn or the last: wait a loop turn) or the
 * milliseconds until the first one's grace (DM_SILENT_GRACE_MS) ends. */
int64_t dm_admit_wait(dm_server *s, int l);
/* A connection that has sent nothing yet is not closed for a newcomer within
 * this long of its accept: its client may not have had the CPU to write the
 * request it connected for (a loaded machine, a client descheduled between
 * connect and write). */
#define DM_SILENT_GRACE_MS 250

/* http_codec.c */
/* Content-Encoding VALUE: a DM_CODING_*, or -1 when edged cannot decode it. */
int dm_http_content_coding(const char *value);
/* Accept-Encoding VALUE allows gzip. */
bool dm_http_accepts_gzip(const char *value);
/* Decode LEN bytes of CODING into *OUT (malloc'd, NUL after *OUT_LEN bytes),
 * at most MAX bytes; 0, or an HTTP status (400 corrupt, 413 too large, 500)
 * with the reason in ERR. */
int dm_http_inflate(int coding, const uint8_t *in, size_t len, uint64_t max, uint8_t **out,
                    size_t *out_len, char *err, size_t errlen);
/* IN gzipped (malloc'd), or NULL when that fails or is not smaller. */
char *dm_http_gzip(const char *in, size_t len, size_t *out_len);

#endif
