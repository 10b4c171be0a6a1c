/* daemon/mqtt_impl.h - what the MQTT files share: mqtt.c (the front end: two
 * connections, flow control, status, the drain), mqtt_link.c (one connection:
 * libmosquitto driven by the loop) and mqtt_req.c (requests and replies).
 *
 * Why two connections: libmosquitto acknowledges a request as it reads it and
 * reads, per call, one packet more than it has outgoing messages awaiting
 * acknowledgement. With replies on the connection that brings requests, every
 * reply not yet acknowledged lets the next read take one more request, and
 * pausing reads (to bound the requests held) also stops the acknowledgements:
 * the batches grow (2 allowed, 13 seen). Replies therefore go out on a second
 * connection of their own, whose reads are only acknowledgements, and the
 * request connection reads one packet at a time, exactly as flow control
 * allows.
 *
 * Threads: everything here belongs to the loop thread, except a link's
 * mosquitto handle while its connect thread runs (state MQ_CONNECTING), when
 * the loop leaves it alone.
 * Does not own: the protocol's JSON (codec_infer.c), the queues (sched.c). */
#ifndef EDGED_MQTT_IMPL_H
#define EDGED_MQTT_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <mosquitto.h>

#include "common/cleanup.h"
#include "daemon.h"
#include "mqtt.h"

/* Longest topic edged builds: a 127-byte prefix, "/result/", a 64-byte model
 * name; response topics from requesters may be longer (MQ_RESPONSE_TOPIC_MAX). */
#define MQ_TOPIC_MAX 256

/* [mqtt] (its rows: mqtt.c's section): MQTT is off when host is empty. */
typedef struct dm_mqtt_config {
    char host[256];
    uint32_t port;
    char protocol[8]; /* auto, 5, 3.1.1 */
    char client_id[128];
    char username[128];
    char password_file[256];
    uint32_t tls;
    char tls_ca_file[256];
    char tls_ca_path[256];
    char tls_cert_file[256];
    char tls_key_file[256];
    uint32_t tls_verify;
    char topic_prefix[128];
    char fleet_prefix[128];
    char shared_group[64];
    uint32_t qos;
    uint32_t max_inflight;
    uint32_t stats_interval_s; /* PREFIX/stats every this many seconds (0: never) */
    uint64_t max_payload_bytes;
    uint32_t keepalive_s;
    uint32_t session_expiry_s;
    uint32_t reconnect_min_ms;
    uint32_t reconnect_max_ms;
} dm_mqtt_config;

/* D's [mqtt] section (mqtt.c). */
const dm_mqtt_config *dm_mqtt_cfg(const dm_daemon *d);
#define MQ_RESPONSE_TOPIC_MAX 1024

typedef enum {
    MQ_IDLE,       /* not connected; a retry may be scheduled */
    MQ_CONNECTING, /* the connect thread owns the mosquitto handle */
    MQ_HANDSHAKE,  /* socket up, TLS and CONNECT under way, no CONNACK yet */
    MQ_UP,         /* CONNACK accepted */
    MQ_CLOSING,    /* draining: our side shut for writing, reading to EOF */
} mq_state;

/* One PUBLISH edged makes: a reply or one of its own (status, models). */
typedef struct mq_out {
    struct mq_out *next;
    char *topic;
    /* A reply to a requester's response topic: where an error goes when the broker refuses
     * it (PREFIX/result/MODEL; owned), or NULL. */
    char *fallback;
    int mid;    /* its message id while the link keeps it for that (mq_link.sent) */
    int reason; /* the broker's refusal (a PUBACK reason >= 128), while in mq_link.unreported */
    uint8_t *payload;
    size_t len;
    bool retain;
    bool reply;    /* answers a request: its end counts in in_progress */
    bool error;    /* an error reply (metrics) */
    uint8_t *corr; /* v5 correlation data (owned), or NULL */
    uint16_t corr_len;
    const char *ctype;  /* v5 content type (static), or NULL */
    int status;         /* v5 user property "status"; 0: none */
    int64_t version;    /* v5 user property "model_version"; -1: none */
    int64_t header_len; /* v5 user property "inference-header-content-length"; -1: none */
} mq_out;

typedef struct dm_mqtt dm_mqtt;

/* One connection to the broker (mqtt_link.c). */
typedef struct mq_link {
    dm_mqtt *m;
    bool requests;    /* the request connection (else the reply connection) */
    const char *what; /* "requests" or "replies", for the log */
    struct mosquitto *mosq;
    char client_id[160];
    mq_state st;
    uv_poll_t *poll; /* on mosquitto_socket() while connected; freed on close */
    int poll_fd, poll_events;
    uv_timer_t retry_timer;
    uv_async_t conn_async; /* the connect thread finished */
    pthread_t conn_thread;
    bool conn_thread_live;
    bool abandoned; /* a connect thread outlived the free: the handle stays with it */
    int conn_rc, conn_errno;
    mosquitto_property *conn_props;
    uint32_t backoff_ms;
    bool refused;                     /* the broker refused this attempt (on_connect logged it) */
    bool leaving;                     /* edged closes it (the drain): no retry, no warning */
    int lost_rc;                      /* on_disconnect's reason, for the log */
    bool in_pump;                     /* inside a libmosquitto call: no reentry */
    bool kick;                        /* read again once the current pump returns */
    unsigned events;                  /* callbacks so far: did a read consume something */
    uint64_t unacked;                 /* publishes (QoS 1, 2) not yet acknowledged */
    mq_out *deferred, *deferred_tail; /* publishes made while MQ_CONNECTING */
    mq_out *sent;       /* replies with a fallback not yet acknowledged (payloads dropped) */
    mq_out *unreported; /* of those, the ones the broker refused: reported after the pump */
} mq_link;

struct dm_mqtt {
    dm_daemon *d;
    uv_loop_t *loop;
    mq_link in, out; /* requests, status and models; replies */
    int proto;       /* MQTT_PROTOCOL_V5 or MQTT_PROTOCOL_V311, the one tried now */
    bool proto_auto; /* [mqtt] protocol = auto */
    char host[256];
    char prefix[128], fleet[128];
    char sub_own[MQ_TOPIC_MAX], sub_fleet[MQ_TOPIC_MAX]; /* the subscriptions */
    char status_topic[MQ_TOPIC_MAX], models_topic[MQ_TOPIC_MAX], stats_topic[MQ_TOPIC_MAX];
    char password[512];
    uv_timer_t misc_timer;   /* every second: keep-alive (mosquitto_loop_misc) */
    uv_timer_t models_timer; /* republish the models list, coalesced */
    uv_timer_t close_timer;  /* bounds the wait for the broker's EOF when draining */
    uv_timer_t stats_timer;  /* [mqtt] stats_interval_s: the statistics on PREFIX/stats */
    bool handles_open;
    unsigned closing_handles; /* closed, callback not yet run */
    bool free_pending;        /* dm_mqtt_free ran: M goes with the last handle */
    bool draining, offline_sent;
    bool said_311_size;  /* logged that 3.1.1 has no maximum packet size */
    bool resume_pending; /* an acknowledgement may let the request connection read */
    void (*drained_cb)(void *arg);
    void *drained_arg;
    dm_mqtt_stats stats; /* the counters (connected, unacked: see dm_mqtt_stats_get) */
};

/* ---- mqtt_link.c: one connection */
int mq_link_init(mq_link *l, dm_mqtt *m, bool requests); /* the handle, not yet the uv ones */
void mq_link_start_handles(mq_link *l);
void mq_link_connect(mq_link *l);             /* start an attempt now (from MQ_IDLE) */
void mq_link_pump(mq_link *l, bool readable); /* drive libmosquitto (reentry flags a kick) */
void mq_link_poll_update(mq_link *l);
void mq_link_publish(mq_link *l, mq_out *o); /* takes O */
void mq_link_misc(mq_link *l);               /* keep-alive */
void mq_link_close(mq_link *l);              /* drop the socket and its poll handle */
void mq_link_shut(mq_link *l);               /* drain: shut for writing, read to EOF */
void mq_link_close_handles(mq_link *l);
void mq_link_destroy(mq_link *l); /* after the handles closed */
const char *mq_proto_name(int proto);
/* The v5 Maximum Packet Size of the request connection: the broker drops larger requests. */
uint64_t mq_packet_max(const dm_mqtt_config *c);

/* ---- mqtt.c: the front end, called by the links */
/* Publish O (taken): replies on the reply connection, the rest on the request
 * connection; now, or once a connect thread is done. A reply ends its
 * request's stay in in_progress. */
void mq_publish(dm_mqtt *m, mq_out *o);
void mq_out_free(mq_out *o);
EDGE_DEFINE_CLEANUP(mq_out, mq_out_free)
/* A request left in_progress without a reply (nothing could be sent). */
void mq_request_end(dm_mqtt *m);
/* Flow control: whether the request connection reads now. */
bool mq_may_read(const dm_mqtt *m);
/* Link events. */
void mq_on_up(mq_link *l, bool session_present);
void mq_on_lost(mq_link *l);
void mq_on_acked(mq_link *l);
void mq_check_drain(dm_mqtt *m);
/* A link's pump returned (no libmosquitto call under way on it). */
void mq_link_pumped(mq_link *l);
/* A handle of M (or of its links) has closed: M goes with the last once freed. */
void mq_handle_closed(dm_mqtt *m);

/* ---- mqtt_req.c: one PUBLISH from the broker (loop thread, inside libmosquitto) */
void mq_on_message(dm_mqtt *m, const struct mosquitto_message *msg,
                   const mosquitto_property *props);
/* The broker refused reply O (REASON: a v5 reason code >= 128): an error to O's fallback topic,
 * with its correlation data. */
void mq_reply_refused(dm_mqtt *m, const mq_out *o, int reason);
/* The retained models list as JSON (malloc'd, *len bytes), or NULL. */
char *mq_models_json(dm_mqtt *m, size_t *len);

#endif
