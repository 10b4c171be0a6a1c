/* daemon/wyoming.h - the Wyoming server: Home Assistant's satellites send audio, edged answers
 * wake-word detections (issue 47; the protocol: rhasspy/wyoming).
 *
 * Owns: the server's contract: its options, start, stop, free and figures (wyoming.c); the
 * front end around it ([wyoming], dm_frontend_wyoming: wyoming_fe.c).
 * Does not own: the framing (wyoming_proto.c), the wake words (audio/wake.h).
 * Threads: the loop thread; the streams are fed on libuv's thread pool, one job per connection
 * at a time. */
#ifndef EDGED_WYOMING_H
#define EDGED_WYOMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "audio/wake.h"

#define WY_READ_BUF 16384 /* bytes read at once per connection */
#define WY_PEND_CAP                                                         \
    65536 /* samples (16 kHz) waiting per stream: an audio-chunk that would \
           * convert to more is refused; more waiting pauses the reading */
#define WY_OUT_MAX                                                                             \
    262144               /* bytes of events written but not yet taken by a client: past it the \
                          * client is not reading and is dropped */
#define WY_DETECT_MAX 16 /* models a detect may name */

typedef struct wy_options {
    const char *tcp;      /* "HOST[:PORT]" (port 10400 when absent), or "" */
    const char *socket;   /* a Unix socket path, or "" */
    unsigned socket_mode; /* its permissions */
    const char *models;   /* the wake-word folder */
    float threshold;      /* openWakeWord's (0: 0.5) */
    uint32_t refractory_ms;
    uint32_t max_connections, max_streams;
    uint32_t idle_timeout_ms; /* a connection silent this long is closed (0: never) */
} wy_options;

typedef struct wy_stats {
    uint64_t connections, streams;        /* now */
    uint64_t connections_total, refused;  /* accepted; turned away at max_connections */
    uint64_t streams_total, streams_busy; /* audio-starts served; refused at max_streams */
    uint64_t detections, not_detected;    /* events sent */
    uint64_t errors;                      /* error events sent */
    uint64_t dropped;                     /* clients dropped for not reading */
    uint64_t idle_closed;                 /* closed silent: past idle_timeout_ms, or to make room */
    uint64_t samples;                     /* 16 kHz samples scored */
    uint64_t models;                      /* wake words served */
} wy_stats;

typedef struct wy_server wy_server;

/* Load the wake words of O->models and listen: 0 with *OUT, -1 (logged) when it cannot. */
int wy_server_start(uv_loop_t *loop, const wy_options *o, wy_server **out);
/* Stop listening and reading; streams being scored finish. */
void wy_server_stop(wy_server *s);
/* DONE(ARG) once no stream is being scored (maybe before this returns). */
void wy_server_drain(wy_server *s, void (*done)(void *arg), void *arg);
/* Close everything; the object goes once its handles closed and its jobs returned. */
void wy_server_free(wy_server *s);
wy_stats wy_server_stats(const wy_server *s);
/* The TCP listener's bound address (its port when [wyoming] listen gave none or 0): 0, or -1
 * without a TCP listener (or once stopped). */
int wy_server_tcp_addr(const wy_server *s, struct sockaddr_storage *out);

#endif
