/* daemon/mqtt.c - the MQTT connection: libmosquitto driven from the libuv loop.
 *
 * Owns: the mosquitto handle and its options (client id, persistent session,
 * MQTT v5 with a fall back to 3.1.1, TLS, user and password, the last will),
 * connecting (in a thread of its own, so that a slow name lookup or TCP
 * connect never stalls the loop), the socket (uv_poll on mosquitto_socket:
 * mosquitto_loop_read when readable, mosquitto_loop_write when it wants to
 * write, mosquitto_loop_misc every second), reconnection with exponential
 * backoff and jitter, the subscriptions, PREFIX/status and PREFIX/models
 * (retained), reading flow control (stop reading at [mqtt] max_inflight), the
 * drain on stop, and the counters /metrics shows.
 * Does not own: what a request says and how it is answered (mqtt_req.c).
 *
 * libmosquitto acknowledges a QoS 1 PUBLISH as soon as it has read it, so a
 * request edged has read is edged's to answer: flow control therefore stops
 * reading from the socket (the broker keeps the rest in edged's session), and
 * the drain shuts the socket for writing once every reply is written and reads
 * it to the broker's EOF without acting on what arrives (unacknowledged, it
 * stays in the session for the next start). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mqtt_protocol.h>

#include "mqtt_impl.h"

#define MISC_INTERVAL_MS 1000
#define MODELS_DELAY_MS 100 /* coalesce bursts of model events into one publish */
#define CLOSE_WAIT_MS 2000  /* drain: how long to wait for the broker's EOF */
#define JOIN_WAIT_S 2       /* free: how long to wait for a connect thread */
/* v5 Maximum Packet Size beyond [mqtt] max_payload_bytes: room for the topic and properties */
#define PACKET_HEADROOM (64u * 1024u)
#define MQTT_PACKET_MAX 268435460u

static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER; /* conn_thread_live, abandoned */

static void pump(dm_mqtt *m, bool readable);
static void start_connect(dm_mqtt *m);
static void check_drain(dm_mqtt *m);

/* ------------------------------------------------------------ helpers */

static const char *proto_name(int proto)
{
    return proto == MQTT_PROTOCOL_V5 ? "MQTT v5" : "MQTT 3.1.1";
}

/* A uniformly random 32-bit number (jitter); seeded from the kernel once. */
static uint32_t rnd(void)
{
    static uint64_t s;
    if (!s) {
        if (getrandom(&s, sizeof s, GRND_NONBLOCK) != sizeof s)
            s = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        s |= 1;
    }
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    return (uint32_t)(s >> 16);
}

/* Why libmosquitto gave up on a connection (RC: MOSQ_ERR_* or a v5 reason code). */
static const char *why(int rc, int err)
{
    if (rc == MOSQ_ERR_ERRNO)
        return strerror(err);
    if (rc >= 128)
        return mosquitto_reason_string(rc);
    return mosquitto_strerror(rc);
}

void mq_out_free(mq_out *o)
{
    if (!o)
        return;
    free(o->topic);
    free(o->payload);
    free(o->corr);
    free(o);
}

/* ------------------------------------------------------------ the socket */

static void poll_closed(uv_handle_t *h)
{
    free(h);
}

static void poll_close(dm_mqtt *m)
{
    if (!m->poll)
        return;
    uv_close((uv_handle_t *)m->poll, poll_closed);
    m->poll = NULL;
    m->poll_fd = -1;
    m->poll_events = 0;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    dm_mqtt *m = h->data;
    if (m->st == MQ_CLOSING) {
        char sink[4096];
        ssize_t n;
        while ((n = recv(m->poll_fd, sink, sizeof sink, MSG_DONTWAIT)) > 0)
            ; /* requests after our FIN: never acknowledged, they stay at the broker */
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || status < 0) {
            uv_timer_stop(&m->close_timer);
            m->st = MQ_IDLE;
            poll_close(m);
            check_drain(m);
        }
        return;
    }
    /* An error shows as readable: libmosquitto's read then reports it. */
    pump(m, status < 0 || (events & (UV_READABLE | UV_DISCONNECT)));
}

/* Flow control. libmosquitto reads, per call, one packet more than it has
 * outgoing messages awaiting acknowledgement (our replies), and acknowledges
 * each request as it reads it. So edged reads only while the requests it holds
 * plus its unacknowledged replies stay under [mqtt] max_inflight: then one read
 * never takes it past the limit. With no request held it reads anyway, to
 * collect the acknowledgements (else replies awaiting them would stop it for
 * good); mqtt_req.c refuses with 429 what would pass twice the limit. */
bool mq_may_read(const dm_mqtt *m)
{
    if (m->st == MQ_HANDSHAKE)
        return true; /* CONNACK, the TLS handshake */
    if (m->draining || m->st != MQ_UP)
        return false;
    const uint64_t held = m->stats.in_progress;
    return held == 0 || held + m->stats.unacked < m->d->cfg.mqtt_max_inflight;
}

/* Watch the socket for what we want now: reading when flow control allows
 * (to EOF when closing), writing while libmosquitto has something queued. */
static void poll_update(dm_mqtt *m)
{
    if (!m->poll)
        return;
    int ev = 0;
    if (m->st == MQ_CLOSING || mq_may_read(m))
        ev |= UV_READABLE;
    if (m->st != MQ_CLOSING && mosquitto_want_write(m->mosq))
        ev |= UV_WRITABLE;
    if (ev == m->poll_events)
        return;
    m->poll_events = ev;
    if (ev)
        uv_poll_start(m->poll, ev, on_poll);
    else
        uv_poll_stop(m->poll);
}

static int poll_open(dm_mqtt *m, int fd)
{
    uv_poll_t *p = malloc(sizeof *p);
    if (!p || uv_poll_init_socket(m->loop, p, fd) != 0) {
        free(p);
        return -1;
    }
    p->data = m;
    m->poll = p;
    m->poll_fd = fd;
    m->poll_events = 0;
    poll_update(m);
    return 0;
}

/* ------------------------------------------------------------ retries */

static void on_retry(uv_timer_t *t)
{
    dm_mqtt *m = t->data;
    if (m->st == MQ_IDLE && !m->draining)
        start_connect(m);
}

/* The next attempt in a random time between half the backoff and all of it
 * (jitter: a fleet that lost its broker does not come back in one burst). */
static void schedule_retry(dm_mqtt *m)
{
    const dm_config *c = &m->d->cfg;
    const uint32_t b = m->backoff_ms;
    const uint32_t delay = b / 2 + rnd() % (b / 2 + 1);
    m->backoff_ms = b >= c->mqtt_reconnect_max_ms / 2 ? c->mqtt_reconnect_max_ms : b * 2;
    dm_log(DM_LOG_INFO, "mqtt: next attempt to reach %s:%u in %.1f s", m->host, c->mqtt_port,
           delay / 1000.0);
    uv_timer_start(&m->retry_timer, on_retry, delay, 0);
}

/* The connection is gone (RC: the last libmosquitto result). */
static void conn_lost(dm_mqtt *m, int rc)
{
    const mq_state was = m->st;
    poll_close(m);
    m->st = MQ_IDLE;
    m->stats.connected = false;
    if (was == MQ_UP) {
        m->stats.losses++;
        dm_log(DM_LOG_WARN,
               "mqtt: lost the connection to %s:%u: %s; %" PRIu64 " requests in progress, %" PRIu64
               " replies not yet acknowledged (they go out when it is back)",
               m->host, m->d->cfg.mqtt_port, why(m->lost_rc ? m->lost_rc : rc, errno),
               m->stats.in_progress, m->stats.unacked);
    } else if (!m->refused) {
        m->stats.connect_failures++;
        dm_log(DM_LOG_WARN, "mqtt: cannot connect to %s:%u: %s", m->host, m->d->cfg.mqtt_port,
               why(m->lost_rc ? m->lost_rc : rc, errno));
    }
    m->lost_rc = 0;
    m->refused = false;
    if (m->draining)
        check_drain(m);
    else
        schedule_retry(m);
}

/* After a libmosquitto call: has it closed the socket? */
static bool check_socket(dm_mqtt *m, int rc)
{
    if (m->poll && mosquitto_socket(m->mosq) == m->poll_fd)
        return true;
    conn_lost(m, rc);
    return false;
}

/* ------------------------------------------------------------ driving libmosquitto */

static void pump(dm_mqtt *m, bool readable)
{
    if (m->in_pump) {
        m->kick = m->kick || readable;
        return;
    }
    m->in_pump = true;
    bool again = true;
    while (again && m->poll) {
        again = false;
        m->kick = false;
        const bool read = readable && mq_may_read(m);
        readable = false;
        int rc = MOSQ_ERR_SUCCESS;
        if (read) {
            rc = mosquitto_loop_read(m->mosq, 1);
            if (!check_socket(m, rc))
                break;
        }
        if (mosquitto_want_write(m->mosq) || m->st == MQ_HANDSHAKE) {
            rc = mosquitto_loop_write(m->mosq, 1);
            if (!check_socket(m, rc))
                break;
        }
        if (m->kick) { /* reading resumed during the calls: read what waits */
            again = true;
            readable = true;
        }
    }
    m->in_pump = false;
    poll_update(m);
    check_drain(m);
}

static void on_misc(uv_timer_t *t)
{
    dm_mqtt *m = t->data;
    if (m->in_pump || !m->poll || m->st == MQ_CLOSING || m->draining)
        return;
    const int rc = mosquitto_loop_misc(m->mosq); /* keep-alive: PINGREQ, or a dead broker */
    if (check_socket(m, rc))
        poll_update(m);
}

/* ------------------------------------------------------------ publishing */

static void own_mid_add(dm_mqtt *m, int mid)
{
    for (size_t i = 0; i < MQ_OWN_MIDS; i++)
        if (!m->own_mids[i]) {
            m->own_mids[i] = mid;
            return;
        }
}

static bool own_mid_take(dm_mqtt *m, int mid)
{
    for (size_t i = 0; i < MQ_OWN_MIDS; i++)
        if (m->own_mids[i] == mid) {
            m->own_mids[i] = 0;
            return true;
        }
    return false;
}

static mosquitto_property *out_props(const mq_out *o)
{
    mosquitto_property *p = NULL;
    char num[24];
    int rc = MOSQ_ERR_SUCCESS;
    if (o->corr)
        rc = mosquitto_property_add_binary(&p, MQTT_PROP_CORRELATION_DATA, o->corr, o->corr_len);
    if (!rc && o->ctype)
        rc = mosquitto_property_add_string(&p, MQTT_PROP_CONTENT_TYPE, o->ctype);
    if (!rc && o->status) {
        snprintf(num, sizeof num, "%d", o->status);
        rc = mosquitto_property_add_string_pair(&p, MQTT_PROP_USER_PROPERTY, "status", num);
    }
    if (!rc && o->version >= 0) {
        snprintf(num, sizeof num, "%" PRId64, o->version);
        rc = mosquitto_property_add_string_pair(&p, MQTT_PROP_USER_PROPERTY, "model_version", num);
    }
    if (!rc && o->header_len >= 0) {
        snprintf(num, sizeof num, "%" PRId64, o->header_len);
        rc = mosquitto_property_add_string_pair(&p, MQTT_PROP_USER_PROPERTY,
                                                "inference-header-content-length", num);
    }
    if (rc)
        mosquitto_property_free_all(&p);
    return p;
}

/* A reply libmosquitto refused (larger than the broker takes): say so instead. */
static int publish_refusal(dm_mqtt *m, mq_out *o, int rc, int *mid)
{
    char body[256];
    const int n = snprintf(body, sizeof body,
                           "{\"error\":\"the reply (%zu bytes) could not be published: %s\","
                           "\"status\":500}",
                           o->len, mosquitto_strerror(rc));
    free(o->payload);
    o->payload = (uint8_t *)strdup(body);
    o->len = o->payload ? (size_t)n : 0;
    o->ctype = "application/json";
    o->status = 500;
    o->version = o->header_len = -1;
    o->error = true;
    mosquitto_property *props = m->proto == MQTT_PROTOCOL_V5 ? out_props(o) : NULL;
    rc = mosquitto_publish_v5(m->mosq, mid, o->topic, (int)o->len, o->payload,
                              (int)m->d->cfg.mqtt_qos, false, props);
    mosquitto_property_free_all(&props);
    return rc;
}

static void do_publish(dm_mqtt *m, mq_out *o)
{
    const int qos = (int)m->d->cfg.mqtt_qos;
    mosquitto_property *props = m->proto == MQTT_PROTOCOL_V5 ? out_props(o) : NULL;
    int mid = 0;
    int rc = o->len > INT32_MAX ? MOSQ_ERR_PAYLOAD_SIZE
                                : mosquitto_publish_v5(m->mosq, &mid, o->topic, (int)o->len,
                                                       o->payload, qos, o->retain, props);
    mosquitto_property_free_all(&props);
    if (o->reply && (rc == MOSQ_ERR_OVERSIZE_PACKET || rc == MOSQ_ERR_PAYLOAD_SIZE)) {
        dm_log(DM_LOG_WARN, "mqtt: reply on %s (%zu bytes) refused: %s; replying with an error",
               o->topic, o->len, mosquitto_strerror(rc));
        rc = publish_refusal(m, o, rc, &mid);
    }
    /* QoS 1 and 2 messages are queued even without a connection (NO_CONN):
     * libmosquitto sends them when it is back. */
    const bool queued = rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && qos > 0);
    if (!queued)
        dm_log(DM_LOG_WARN, "mqtt: cannot publish on %s: %s%s", o->topic, mosquitto_strerror(rc),
               rc == MOSQ_ERR_NO_CONN ? " (QoS 0 while the broker is away: lost)" : "");
    if (o->reply) {
        m->stats.replies += queued;
        m->stats.error_replies += queued && o->error;
        m->stats.unacked += queued && qos > 0;
    } else if (queued && qos > 0) {
        own_mid_add(m, mid);
    }
}

void mq_publish(dm_mqtt *m, mq_out *o)
{
    if (m->st == MQ_CONNECTING || m->st == MQ_DONE || m->st == MQ_CLOSING) {
        if (m->st != MQ_CONNECTING) { /* after the drain: nothing can go out any more */
            dm_log(DM_LOG_WARN, "mqtt: a reply on %s after the stop is lost", o->topic);
            goto finish;
        }
        o->next = NULL;
        if (m->deferred_tail)
            m->deferred_tail->next = o;
        else
            m->deferred = o;
        m->deferred_tail = o;
        return;
    }
    do_publish(m, o);
finish:
    if (o->reply)
        mq_request_end(m);
    mq_out_free(o);
    if (!m->in_pump) {
        poll_update(m);
        check_drain(m);
    }
}

void mq_request_end(dm_mqtt *m)
{
    const bool could = mq_may_read(m);
    if (m->stats.in_progress > 0)
        m->stats.in_progress--;
    if (!could && mq_may_read(m) && m->poll)
        pump(m, true); /* read what waited (TLS may hold it decrypted), or flag it */
}

/* Publishes made while the connect thread owned the handle. */
static void flush_deferred(dm_mqtt *m)
{
    mq_out *o = m->deferred;
    m->deferred = m->deferred_tail = NULL;
    while (o) {
        mq_out *next = o->next;
        mq_publish(m, o);
        o = next;
    }
}

static void publish_own(dm_mqtt *m, const char *topic, char *payload, size_t len)
{
    mq_out *o = calloc(1, sizeof *o);
    if (!o || !(o->topic = strdup(topic))) {
        free(o);
        free(payload);
        return;
    }
    o->payload = (uint8_t *)payload;
    o->len = len;
    o->retain = true;
    o->version = o->header_len = -1;
    mq_publish(m, o);
}

static void publish_models(dm_mqtt *m)
{
    size_t len = 0;
    char *json = mq_models_json(m, &len);
    if (json)
        publish_own(m, m->models_topic, json, len);
}

static void on_models_timer(uv_timer_t *t)
{
    dm_mqtt *m = t->data;
    if (m->st == MQ_UP && !m->draining)
        publish_models(m);
}

static void on_model_event(const char *name, dm_model_event ev, int64_t version, const char *detail,
                           void *arg)
{
    (void)name, (void)ev, (void)version, (void)detail;
    dm_mqtt *m = arg;
    if (m->st == MQ_UP && !m->draining && !uv_is_active((uv_handle_t *)&m->models_timer))
        uv_timer_start(&m->models_timer, on_models_timer, MODELS_DELAY_MS, 0);
}

/* ------------------------------------------------------------ libmosquitto callbacks */

static void subscribe(dm_mqtt *m, const char *topic)
{
    const int rc = mosquitto_subscribe_v5(m->mosq, NULL, topic, (int)m->d->cfg.mqtt_qos, 0, NULL);
    if (rc)
        dm_log(DM_LOG_ERROR, "mqtt: cannot subscribe to %s: %s", topic, mosquitto_strerror(rc));
}

static void on_connect(struct mosquitto *mosq, void *arg, int rc, int flags,
                       const mosquitto_property *props)
{
    (void)mosq, (void)props;
    dm_mqtt *m = arg;
    const dm_config *c = &m->d->cfg;
    if (rc != 0) {
        m->refused = true;
        m->stats.connect_failures++;
        const char *reason = m->proto == MQTT_PROTOCOL_V5 ? mosquitto_reason_string(rc)
                                                          : mosquitto_connack_string(rc);
        if (rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION && m->proto_auto &&
            m->proto == MQTT_PROTOCOL_V5) {
            dm_log(DM_LOG_WARN, "mqtt: %s:%u does not speak MQTT v5; falling back to 3.1.1",
                   m->host, c->mqtt_port);
            m->proto = MQTT_PROTOCOL_V311;
            m->backoff_ms = c->mqtt_reconnect_min_ms;
            return;
        }
        const bool auth = rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD || rc == MQTT_RC_NOT_AUTHORIZED ||
                          (m->proto != MQTT_PROTOCOL_V5 && (rc == 4 || rc == 5));
        dm_log(DM_LOG_ERROR, "mqtt: %s:%u refused the connection: %s%s%s%s", m->host, c->mqtt_port,
               reason, auth ? " (user '" : "", auth ? c->mqtt_username : "",
               auth ? "'; check [mqtt] username and password_file)" : "");
        return;
    }
    m->st = MQ_UP;
    m->stats.connected = true;
    m->stats.connects++;
    m->backoff_ms = c->mqtt_reconnect_min_ms;
    dm_log(DM_LOG_INFO,
           "mqtt: connected to %s:%u as %s (%s%s, %s session); requests on %s%s%s, status on %s",
           m->host, c->mqtt_port, m->client_id, proto_name(m->proto), c->mqtt_tls ? ", TLS" : "",
           (flags & 1) ? "resumed" : "new", m->sub_own, m->sub_fleet[0] ? " and " : "",
           m->sub_fleet, m->status_topic);
    subscribe(m, m->sub_own);
    if (m->sub_fleet[0])
        subscribe(m, m->sub_fleet);
    if (m->draining)
        return;
    publish_own(m, m->status_topic, strdup("online"), 6);
    publish_models(m);
}

static void on_disconnect(struct mosquitto *mosq, void *arg, int rc,
                          const mosquitto_property *props)
{
    (void)mosq, (void)props;
    dm_mqtt *m = arg;
    m->lost_rc = rc;
}

static void on_publish(struct mosquitto *mosq, void *arg, int mid, int reason,
                       const mosquitto_property *props)
{
    (void)mosq, (void)props;
    dm_mqtt *m = arg;
    if (reason >= 128)
        dm_log(DM_LOG_WARN, "mqtt: the broker did not take message %d: %s", mid,
               mosquitto_reason_string(reason));
    const bool could = mq_may_read(m);
    if (!own_mid_take(m, mid) && m->stats.unacked > 0)
        m->stats.unacked--;
    if (!could && mq_may_read(m))
        m->kick = true; /* inside the pump: it reads again */
}

static void on_subscribe(struct mosquitto *mosq, void *arg, int mid, int n, const int *granted,
                         const mosquitto_property *props)
{
    (void)mosq, (void)mid, (void)props;
    dm_mqtt *m = arg;
    for (int i = 0; i < n; i++)
        if (granted[i] >= 128)
            dm_log(DM_LOG_ERROR,
                   "mqtt: the broker refused a subscription (%s): check its access control for "
                   "%s%s%s",
                   mosquitto_reason_string(granted[i]), m->sub_own, m->sub_fleet[0] ? " and " : "",
                   m->sub_fleet);
}

static void on_message(struct mosquitto *mosq, void *arg, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    (void)mosq;
    /* Read, so acknowledged: answered even while draining (after the FIN
     * edged reads the socket itself, and nothing reaches here). */
    mq_on_message(arg, msg, props);
}

static void on_mosq_log(struct mosquitto *mosq, void *arg, int level, const char *str)
{
    (void)mosq, (void)arg;
    if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
        dm_log(DM_LOG_WARN, "mqtt: libmosquitto: %s", str);
}

/* ------------------------------------------------------------ connecting */

/* The connect thread: name lookup, TCP connect, the TLS handshake's start and
 * CONNECT, with the loop leaving the handle alone meanwhile. */
static void *conn_main(void *arg)
{
    dm_mqtt *m = arg;
    const dm_config *c = &m->d->cfg;
    errno = 0;
    m->conn_rc = mosquitto_connect_bind_v5(m->mosq, m->host, (int)c->mqtt_port,
                                           (int)c->mqtt_keepalive_s, NULL, m->conn_props);
    m->conn_errno = errno;
    pthread_mutex_lock(&conn_lock);
    if (m->conn_thread_live) /* not abandoned by dm_mqtt_free */
        uv_async_send(&m->conn_async);
    pthread_mutex_unlock(&conn_lock);
    return NULL;
}

static void on_connected(uv_async_t *h)
{
    dm_mqtt *m = h->data;
    pthread_mutex_lock(&conn_lock);
    const bool live = m->conn_thread_live;
    m->conn_thread_live = false;
    pthread_mutex_unlock(&conn_lock);
    if (!live)
        return;
    pthread_join(m->conn_thread, NULL);
    const int rc = m->conn_rc;
    const int fd = mosquitto_socket(m->mosq);
    m->st = MQ_HANDSHAKE;
    flush_deferred(m);
    if (rc != MOSQ_ERR_SUCCESS || fd < 0 || poll_open(m, fd) != 0) {
        m->stats.connect_failures++;
        m->st = MQ_IDLE;
        dm_log(DM_LOG_WARN, "mqtt: cannot connect to %s:%u: %s", m->host, m->d->cfg.mqtt_port,
               rc == MOSQ_ERR_EAI ? gai_strerror(m->conn_errno) : why(rc, m->conn_errno));
        if (m->draining)
            check_drain(m);
        else
            schedule_retry(m);
        return;
    }
    pump(m, true);
}

static void start_connect(dm_mqtt *m)
{
    const dm_config *c = &m->d->cfg;
    mosquitto_property_free_all(&m->conn_props);
    mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, m->proto);
    if (m->proto == MQTT_PROTOCOL_V5) {
        uint64_t max = c->mqtt_max_payload_bytes + PACKET_HEADROOM;
        if (max > MQTT_PACKET_MAX)
            max = MQTT_PACKET_MAX;
        if (mosquitto_property_add_int32(&m->conn_props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                         c->mqtt_session_expiry_s) ||
            mosquitto_property_add_int16(&m->conn_props, MQTT_PROP_RECEIVE_MAXIMUM,
                                         (uint16_t)c->mqtt_max_inflight) ||
            mosquitto_property_add_int32(&m->conn_props, MQTT_PROP_MAXIMUM_PACKET_SIZE,
                                         (uint32_t)max)) {
            dm_log(DM_LOG_ERROR, "mqtt: out of memory building CONNECT");
            schedule_retry(m);
            return;
        }
    }
    m->st = MQ_CONNECTING;
    m->refused = false;
    m->lost_rc = 0;
    pthread_mutex_lock(&conn_lock);
    m->conn_thread_live = pthread_create(&m->conn_thread, NULL, conn_main, m) == 0;
    const bool started = m->conn_thread_live;
    pthread_mutex_unlock(&conn_lock);
    if (!started) {
        m->st = MQ_IDLE;
        dm_log(DM_LOG_ERROR, "mqtt: cannot start a thread to connect: %s", strerror(errno));
        schedule_retry(m);
    }
}

/* ------------------------------------------------------------ draining and closing */

static void on_close_timeout(uv_timer_t *t)
{
    dm_mqtt *m = t->data;
    if (m->st != MQ_CLOSING)
        return;
    dm_log(DM_LOG_WARN, "mqtt: %s did not close the connection within %d ms; closing it", m->host,
           CLOSE_WAIT_MS);
    m->st = MQ_IDLE;
    poll_close(m);
    check_drain(m);
}

static void really_free(dm_mqtt *m)
{
    for (mq_out *o = m->deferred, *next; o; o = next) {
        next = o->next;
        mq_out_free(o);
    }
    mosquitto_destroy(m->mosq);
    mosquitto_property_free_all(&m->conn_props);
    mosquitto_lib_cleanup();
    free(m);
}

static void handle_closed(uv_handle_t *h)
{
    dm_mqtt *m = h->data;
    if (--m->closing_handles == 0 && m->free_pending && !m->abandoned)
        really_free(m);
}

static void close_handle(dm_mqtt *m, uv_handle_t *h)
{
    m->closing_handles++;
    uv_close(h, handle_closed);
}

/* Waits a little for a connect thread still running (its broker does not
 * answer); past that it is left to finish alone, with the handle, and M is
 * never freed. */
static void join_connect_thread(dm_mqtt *m)
{
    pthread_mutex_lock(&conn_lock);
    const bool live = m->conn_thread_live;
    m->conn_thread_live = false; /* it will not signal the loop any more */
    pthread_mutex_unlock(&conn_lock);
    if (!live)
        return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += JOIN_WAIT_S;
    if (pthread_timedjoin_np(m->conn_thread, NULL, &until) == 0)
        return;
    pthread_detach(m->conn_thread);
    m->abandoned = true;
    dm_log(DM_LOG_WARN, "mqtt: a connection attempt to %s is still running; leaving it", m->host);
}

static void close_handles(dm_mqtt *m)
{
    if (!m->handles_open)
        return;
    m->handles_open = false;
    join_connect_thread(m);
    poll_close(m);
    close_handle(m, (uv_handle_t *)&m->misc_timer);
    close_handle(m, (uv_handle_t *)&m->retry_timer);
    close_handle(m, (uv_handle_t *)&m->models_timer);
    close_handle(m, (uv_handle_t *)&m->close_timer);
    close_handle(m, (uv_handle_t *)&m->conn_async);
}

static void drained(dm_mqtt *m)
{
    if (m->stats.unacked > 0 || m->deferred)
        dm_log(DM_LOG_WARN,
               "mqtt: stopping with %" PRIu64 " replies the broker has not acknowledged "
               "(it is unreachable)",
               m->stats.unacked);
    m->st = MQ_DONE;
    m->stats.connected = false;
    close_handles(m);
    dm_log(DM_LOG_INFO, "mqtt: left %s:%u; requests published from now on wait in session %s",
           m->host, m->d->cfg.mqtt_port, m->client_id);
    void (*cb)(void *) = m->drained_cb;
    m->drained_cb = NULL;
    if (cb)
        cb(m->drained_arg);
}

/* Every request answered and written: say offline, shut our side for
 * writing, and wait for the broker's EOF, which tells it read everything. */
static void check_drain(dm_mqtt *m)
{
    if (!m->draining || m->st == MQ_DONE || m->st == MQ_CLOSING || m->in_pump ||
        m->stats.in_progress > 0)
        return;
    const bool pending = m->stats.unacked > 0 || m->deferred;
    if (m->st == MQ_CONNECTING || m->st == MQ_HANDSHAKE) {
        if (pending)
            return; /* replies wait for this connection */
        drained(m);
        return;
    }
    if (m->st != MQ_UP) {
        drained(m);
        return;
    }
    if (!m->offline_sent) {
        m->offline_sent = true;
        publish_own(m, m->status_topic, strdup("offline"), 7); /* may come back here */
        if (m->st != MQ_UP)
            return;
    }
    if (mosquitto_want_write(m->mosq)) {
        poll_update(m); /* the pump comes back here once it is written */
        return;
    }
    shutdown(m->poll_fd, SHUT_WR);
    m->st = MQ_CLOSING;
    m->stats.connected = false;
    m->poll_events = -1; /* re-arm: reading to EOF */
    poll_update(m);
    uv_timer_start(&m->close_timer, on_close_timeout, CLOSE_WAIT_MS, 0);
}

void dm_mqtt_drain(dm_mqtt *m, void (*cb)(void *arg), void *arg)
{
    m->draining = true;
    m->drained_cb = cb;
    m->drained_arg = arg;
    uv_timer_stop(&m->retry_timer);
    uv_timer_stop(&m->models_timer);
    poll_update(m);
    check_drain(m);
}

/* ------------------------------------------------------------ start and free */

static int read_password(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        dm_log(DM_LOG_ERROR, "mqtt: [mqtt] password_file %s: cannot read it: %s", path,
               strerror(errno));
        return -1;
    }
    const bool got = fgets(out, (int)len, f) != NULL;
    fclose(f);
    if (!got) {
        dm_log(DM_LOG_ERROR, "mqtt: [mqtt] password_file %s is empty", path);
        return -1;
    }
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static int setup_tls(dm_mqtt *m)
{
    const dm_config *c = &m->d->cfg;
    if (!c->mqtt_tls)
        return 0;
    const char *cafile = c->mqtt_tls_ca_file[0] ? c->mqtt_tls_ca_file : NULL;
    const char *capath = c->mqtt_tls_ca_path[0] ? c->mqtt_tls_ca_path : NULL;
    const char *cert = c->mqtt_tls_cert_file[0] ? c->mqtt_tls_cert_file : NULL;
    const char *key = c->mqtt_tls_key_file[0] ? c->mqtt_tls_key_file : NULL;
    if (!cert != !key) {
        dm_log(DM_LOG_ERROR, "mqtt: [mqtt] tls_cert_file and tls_key_file go together");
        return -1;
    }
    if (!cafile && !capath)
        mosquitto_int_option(m->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
    int rc = mosquitto_tls_set(m->mosq, cafile, capath, cert, key, NULL);
    if (rc) {
        dm_log(DM_LOG_ERROR,
               "mqtt: TLS files: %s (check that [mqtt] tls_ca_file %s, tls_ca_path %s, "
               "tls_cert_file %s and tls_key_file %s exist and are readable)",
               mosquitto_strerror(rc), cafile ? cafile : "-", capath ? capath : "-",
               cert ? cert : "-", key ? key : "-");
        return -1;
    }
    rc = mosquitto_tls_opts_set(m->mosq, c->mqtt_tls_verify ? 1 : 0, NULL, NULL);
    if (!rc)
        rc = mosquitto_tls_insecure_set(m->mosq, !c->mqtt_tls_verify);
    if (rc) {
        dm_log(DM_LOG_ERROR, "mqtt: TLS options: %s", mosquitto_strerror(rc));
        return -1;
    }
    if (!c->mqtt_tls_verify)
        dm_log(DM_LOG_WARN, "mqtt: [mqtt] tls_verify = 0: the broker's certificate is not "
                            "checked; anyone on the path can pose as the broker");
    return 0;
}

static int setup_names(dm_mqtt *m)
{
    const dm_config *c = &m->d->cfg;
    char host[65] = "localhost";
    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
        snprintf(host, sizeof host, "localhost");
    host[strcspn(host, "+#/")] = '\0'; /* not a topic level otherwise */
    snprintf(m->host, sizeof m->host, "%s", c->mqtt_host);
    if (c->mqtt_client_id[0])
        snprintf(m->client_id, sizeof m->client_id, "%s", c->mqtt_client_id);
    else
        snprintf(m->client_id, sizeof m->client_id, "edged-%s", host);
    if (c->mqtt_topic_prefix[0])
        snprintf(m->prefix, sizeof m->prefix, "%s", c->mqtt_topic_prefix);
    else
        snprintf(m->prefix, sizeof m->prefix, "edged/%s", host);
    snprintf(m->fleet, sizeof m->fleet, "%s", c->mqtt_fleet_prefix);
    snprintf(m->sub_own, sizeof m->sub_own, "%s/infer/+", m->prefix);
    if (c->mqtt_shared_group[0]) {
        if (strpbrk(c->mqtt_shared_group, "+#/")) {
            dm_log(DM_LOG_ERROR, "mqtt: [mqtt] shared_group '%s' must not hold + # or /",
                   c->mqtt_shared_group);
            return -1;
        }
        snprintf(m->sub_fleet, sizeof m->sub_fleet, "$share/%s/%s/infer/+", c->mqtt_shared_group,
                 m->fleet);
    }
    snprintf(m->status_topic, sizeof m->status_topic, "%s/status", m->prefix);
    snprintf(m->models_topic, sizeof m->models_topic, "%s/models", m->prefix);
    return 0;
}

static int setup_mosq(dm_mqtt *m)
{
    const dm_config *c = &m->d->cfg;
    m->mosq = mosquitto_new(m->client_id, false, m); /* a persistent session */
    if (!m->mosq) {
        dm_log(DM_LOG_ERROR, "mqtt: cannot create the client: %s", strerror(errno));
        return -1;
    }
    mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_v5_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_v5_callback_set(m->mosq, on_disconnect);
    mosquitto_publish_v5_callback_set(m->mosq, on_publish);
    mosquitto_subscribe_v5_callback_set(m->mosq, on_subscribe);
    mosquitto_message_v5_callback_set(m->mosq, on_message);
    mosquitto_log_callback_set(m->mosq, on_mosq_log);
    int rc = mosquitto_will_set(m->mosq, m->status_topic, 7, "offline", 1, true);
    if (rc) {
        dm_log(DM_LOG_ERROR, "mqtt: last will on %s: %s", m->status_topic, mosquitto_strerror(rc));
        return -1;
    }
    if (c->mqtt_username[0] || c->mqtt_password_file[0]) {
        char password[512] = "";
        if (c->mqtt_password_file[0] &&
            read_password(c->mqtt_password_file, password, sizeof password) != 0)
            return -1;
        rc = mosquitto_username_pw_set(m->mosq, c->mqtt_username[0] ? c->mqtt_username : NULL,
                                       c->mqtt_password_file[0] ? password : NULL);
        explicit_bzero(password, sizeof password);
        if (rc) {
            dm_log(DM_LOG_ERROR, "mqtt: user name and password: %s", mosquitto_strerror(rc));
            return -1;
        }
    }
    return setup_tls(m);
}

static void init_handles(dm_mqtt *m)
{
    uv_timer_init(m->loop, &m->misc_timer);
    uv_timer_init(m->loop, &m->retry_timer);
    uv_timer_init(m->loop, &m->models_timer);
    uv_timer_init(m->loop, &m->close_timer);
    uv_async_init(m->loop, &m->conn_async, on_connected);
    m->misc_timer.data = m->retry_timer.data = m->models_timer.data = m;
    m->close_timer.data = m->conn_async.data = m;
    /* Timers must not keep the loop alive on their own. */
    uv_unref((uv_handle_t *)&m->misc_timer);
    uv_unref((uv_handle_t *)&m->close_timer);
    m->handles_open = true;
}

int dm_mqtt_start(dm_daemon *d, dm_mqtt **out)
{
    *out = NULL;
    if (!d->cfg.mqtt_host[0])
        return 0;
    dm_mqtt *m = calloc(1, sizeof *m);
    if (!m) {
        dm_log(DM_LOG_ERROR, "mqtt: out of memory");
        return -1;
    }
    m->d = d;
    m->loop = d->loop;
    m->poll_fd = -1;
    m->st = MQ_IDLE;
    m->proto_auto = strcmp(d->cfg.mqtt_protocol, "auto") == 0;
    m->proto = strcmp(d->cfg.mqtt_protocol, "3.1.1") == 0 ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5;
    m->backoff_ms = d->cfg.mqtt_reconnect_min_ms;
    mosquitto_lib_init();
    if (setup_names(m) != 0 || setup_mosq(m) != 0) {
        mosquitto_destroy(m->mosq);
        mosquitto_lib_cleanup();
        free(m);
        return -1;
    }
    init_handles(m);
    uv_timer_start(&m->misc_timer, on_misc, MISC_INTERVAL_MS, MISC_INTERVAL_MS);
    dm_registry_listen(d->reg, on_model_event, m);
    if (d->metrics)
        dm_metrics_set_mqtt(d->metrics, &m->stats);
    dm_log(DM_LOG_INFO, "mqtt: connecting to %s:%u as %s (%s%s)", m->host, d->cfg.mqtt_port,
           m->client_id, m->proto_auto ? "MQTT v5, or 3.1.1" : proto_name(m->proto),
           d->cfg.mqtt_tls ? ", TLS" : "");
    start_connect(m);
    *out = m;
    return 0;
}

const dm_mqtt_stats *dm_mqtt_stats_get(const dm_mqtt *m)
{
    return &m->stats;
}

void dm_mqtt_free(dm_mqtt *m)
{
    if (!m)
        return;
    if (m->d->metrics)
        dm_metrics_set_mqtt(m->d->metrics, NULL);
    dm_registry_unlisten(m->d->reg, on_model_event, m);
    if (m->stats.in_progress)
        dm_log(DM_LOG_WARN, "mqtt: %" PRIu64 " requests were never answered", m->stats.in_progress);
    close_handles(m);
    /* The handles close on the loop's next turn (main.c runs it); M goes with the last. */
    m->free_pending = true;
    if (m->closing_handles == 0 && !m->abandoned)
        really_free(m);
}
