/* daemon/mqtt_impl.h - what the MQTT connection (mqtt.c) and the MQTT requests
 * (mqtt_req.c) share.
 *
 * Owns: the dm_mqtt state, the outgoing message (mq_out) both files build, and
 * the calls between them. Threads: everything here belongs to the loop thread;
 * the only other thread is the one connecting (mqtt.c), which touches the
 * mosquitto handle alone while the loop leaves it be (state MQ_CONNECTING).
 * Does not own: the protocol's JSON (oip_infer.c), the queues (sched.c). */
#ifndef EDGED_MQTT_IMPL_H
#define EDGED_MQTT_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <mosquitto.h>

#include "daemon.h"

/* Longest topic edged builds: a 127-byte prefix, "/result/", a 64-byte model
 * name; response topics from requesters may be longer (MQ_RESPONSE_TOPIC_MAX). */
#define MQ_TOPIC_MAX 256
#define MQ_RESPONSE_TOPIC_MAX 1024

typedef enum {
    MQ_IDLE,       /* not connected; a retry is scheduled (or draining is over) */
    MQ_CONNECTING, /* the connect thread owns the mosquitto handle */
    MQ_HANDSHAKE,  /* socket up, TLS and CONNECT under way, no CONNACK yet */
    MQ_UP,         /* CONNACK accepted: serving */
    MQ_CLOSING,    /* draining: our side shut for writing, reading to EOF */
    MQ_DONE,       /* drained, handles closed */
} mq_state;

/* One PUBLISH edged makes: a reply or one of its own (status, models). */
typedef struct mq_out {
    struct mq_out *next;
    char *topic;
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

#define MQ_OWN_MIDS 16 /* status and models publishes awaiting their PUBACK */

struct dm_mqtt {
    dm_daemon *d;
    uv_loop_t *loop;
    struct mosquitto *mosq;
    mq_state st;
    int proto;       /* MQTT_PROTOCOL_V5 or MQTT_PROTOCOL_V311, the one tried now */
    bool proto_auto; /* [mqtt] protocol = auto */
    /* names */
    char host[256];
    char client_id[128];
    char prefix[128], fleet[128];
    char sub_own[MQ_TOPIC_MAX], sub_fleet[MQ_TOPIC_MAX]; /* the subscriptions */
    char status_topic[MQ_TOPIC_MAX], models_topic[MQ_TOPIC_MAX];
    /* the connection */
    uv_poll_t *poll; /* on mosquitto_socket() while connected; freed on close */
    int poll_fd, poll_events;
    uv_timer_t misc_timer;   /* every second: keep-alive (mosquitto_loop_misc) */
    uv_timer_t retry_timer;  /* the next connection attempt */
    uv_timer_t models_timer; /* republish the models list, coalesced */
    uv_timer_t close_timer;  /* bounds the wait for the broker's EOF when draining */
    uv_async_t conn_async;   /* the connect thread finished */
    pthread_t conn_thread;
    bool conn_thread_live;
    int conn_rc, conn_errno; /* the connect thread's result */
    mosquitto_property *conn_props;
    uint32_t backoff_ms;
    bool refused; /* the broker refused this attempt (logged by on_connect) */
    int lost_rc;  /* on_disconnect's reason, for the log */
    bool in_pump; /* inside a libmosquitto call: no reentry */
    bool kick;    /* read again once the current pump returns */
    bool handles_open;
    unsigned closing_handles; /* closed, callback not yet run */
    bool free_pending;        /* dm_mqtt_free ran: M goes with the last handle */
    bool abandoned;           /* a connect thread outlived dm_mqtt_free: M stays */
    /* requests */
    uint64_t in_progress;             /* received, reply not yet published */
    bool paused;                      /* reading stopped: in_progress at max_inflight */
    mq_out *deferred, *deferred_tail; /* publishes made while MQ_CONNECTING */
    int own_mids[MQ_OWN_MIDS];
    /* draining */
    bool draining;
    bool offline_sent;
    void (*drained_cb)(void *arg);
    void *drained_arg;
    dm_mqtt_stats stats;
};

/* mqtt.c: publish O (taken) now, or once the connect thread is done. A reply
 * ends its request's stay in in_progress. */
void mq_publish(dm_mqtt *m, mq_out *o);
void mq_out_free(mq_out *o);
/* A request left in_progress (its reply is published, or it cannot be):
 * reading resumes below [mqtt] max_inflight. */
void mq_request_end(dm_mqtt *m);
/* Flow control: whether edged reads from the broker now. */
bool mq_may_read(const dm_mqtt *m);

/* mqtt_req.c: one PUBLISH from the broker (loop thread, inside libmosquitto). */
void mq_on_message(dm_mqtt *m, const struct mosquitto_message *msg,
                   const mosquitto_property *props);
/* mqtt_req.c: the retained models list as JSON (malloc'd, *len bytes), or NULL. */
char *mq_models_json(dm_mqtt *m, size_t *len);

#endif
