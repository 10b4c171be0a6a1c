/* daemon/mqtt_link.c - one MQTT connection, libmosquitto driven by the libuv loop.
 *
 * Owns: a mosquitto handle and its options (client id, session, TLS, user and
 * password, the last will on the request connection), connecting (in a thread
 * of its own, so that a slow name lookup or TCP connect never stalls the loop),
 * the socket (uv_poll on mosquitto_socket: mosquitto_loop_read when readable
 * and flow control allows, mosquitto_loop_write while it wants to write),
 * reconnecting with exponential backoff and jitter, the fall back to MQTT
 * 3.1.1 when the broker refuses v5, the v5 Maximum Packet Size, counting
 * publishes not yet acknowledged (and keeping replies to response topics until
 * then, to report a refusal: mqtt_req.c), and the drain's last step (shut for writing, read to the
 * broker's EOF). Does not own: what to subscribe, publish or answer (mqtt.c, mqtt_req.c). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mqtt_protocol.h>

#include "log.h"
#include "mem.h"
#include "mqtt.h"
#include "mqtt_impl.h"
#include "table.h"

#define JOIN_WAIT_S 2     /* closing: how long to wait for a connect thread */
#define PUMP_READS_MAX 64 /* reads per wake-up before the loop serves others */
/* v5 Maximum Packet Size beyond twice [mqtt] max_payload_bytes: the topic and properties */
#define PACKET_HEADROOM (64u * 1024u)
#define MQTT_PACKET_MAX 268435460u /* the largest packet MQTT can encode */

static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER; /* conn_thread_live */
/* One connect at a time in the process: libmosquitto 2.0 sets up its OpenSSL
 * state on the first TLS connect behind an unlocked flag, so two handles
 * connecting at once race there (and leak what the loser set up). */
static pthread_mutex_t connect_serial = PTHREAD_MUTEX_INITIALIZER;

const char *mq_proto_name(int proto)
{
    return proto == MQTT_PROTOCOL_V5 ? "MQTT v5" : "MQTT 3.1.1";
}

/* A uniformly random 32-bit number (jitter), seeded from the kernel once. */
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
    if (rc == MOSQ_ERR_EAI)
        return gai_strerror(err);
    if (rc >= 128)
        return mosquitto_reason_string(rc);
    return mosquitto_strerror(rc);
}

static bool may_read(const mq_link *l)
{
    if (l->requests)
        return mq_may_read(l->m);
    return l->st == MQ_HANDSHAKE || l->st == MQ_UP; /* acknowledgements only */
}

/* ------------------------------------------------------------ the socket */

static void poll_closed(uv_handle_t *h)
{
    free(h);
}

void mq_link_close(mq_link *l)
{
    if (!l->poll)
        return;
    uv_close((uv_handle_t *)l->poll, poll_closed);
    l->poll = NULL;
    l->poll_fd = -1;
    l->poll_events = 0;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    mq_link *l = h->data;
    if (l->st == MQ_CLOSING) {
        char sink[4096];
        ssize_t n;
        while ((n = recv(l->poll_fd, sink, sizeof sink, MSG_DONTWAIT)) > 0)
            ; /* requests after our FIN: never acknowledged, they stay at the broker */
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || status < 0) {
            l->st = MQ_IDLE;
            mq_link_close(l);
            mq_check_drain(l->m);
        }
        return;
    }
    /* An error shows as readable: libmosquitto's read then reports it. */
    mq_link_pump(l, status < 0 || (events & (UV_READABLE | UV_DISCONNECT)));
}

void mq_link_poll_update(mq_link *l)
{
    if (!l->poll)
        return;
    int ev = 0;
    if (l->st == MQ_CLOSING || may_read(l))
        ev |= UV_READABLE;
    if (l->st != MQ_CLOSING && mosquitto_want_write(l->mosq))
        ev |= UV_WRITABLE;
    if (ev == l->poll_events)
        return;
    l->poll_events = ev;
    if (ev)
        uv_poll_start(l->poll, ev, on_poll);
    else
        uv_poll_stop(l->poll);
}

static int poll_open(mq_link *l, int fd)
{
    uv_poll_t *p = malloc(sizeof *p);
    if (!p || uv_poll_init_socket(l->m->loop, p, fd) != 0) {
        free(p);
        return -1;
    }
    p->data = l;
    l->poll = p;
    l->poll_fd = fd;
    l->poll_events = 0;
    mq_link_poll_update(l);
    return 0;
}

void mq_link_shut(mq_link *l)
{
    shutdown(l->poll_fd, SHUT_WR);
    l->st = MQ_CLOSING;
    l->poll_events = -1; /* re-arm: reading to EOF */
    mq_link_poll_update(l);
}

/* ------------------------------------------------------------ retries */

static void on_retry(uv_timer_t *t)
{
    mq_link *l = t->data;
    if (l->st == MQ_IDLE && !l->leaving)
        mq_link_connect(l);
}

/* The next attempt in a random time between half the backoff and all of it
 * (jitter: a fleet that lost its broker does not come back in one burst). */
static void schedule_retry(mq_link *l)
{
    const dm_mqtt_config *c = dm_mqtt_cfg(l->m->d);
    const uint32_t b = l->backoff_ms;
    const uint32_t delay = b / 2 + rnd() % (b / 2 + 1);
    l->backoff_ms = b >= c->reconnect_max_ms / 2 ? c->reconnect_max_ms : b * 2;
    dm_log(DM_LOG_INFO, "mqtt: %s: next attempt to reach %s:%u in %.1f s", l->what, l->m->host,
           c->port, delay / 1000.0);
    uv_timer_start(&l->retry_timer, on_retry, delay, 0);
}

/* The connection is gone (RC: the last libmosquitto result). */
static void conn_lost(mq_link *l, int rc)
{
    dm_mqtt *m = l->m;
    const mq_state was = l->st;
    const int err = errno;
    mq_link_close(l);
    l->st = MQ_IDLE;
    const int reason = l->lost_rc ? l->lost_rc : rc;
    if (l->leaving) {
        /* the drain closed it */
    } else if (was == MQ_UP) {
        if (l->requests)
            m->stats.losses++;
        dm_log(DM_LOG_WARN,
               "mqtt: %s: lost the connection to %s:%u: %s; %llu requests in progress, %llu "
               "replies not yet acknowledged (they go out when it is back)",
               l->what, m->host, dm_mqtt_cfg(m->d)->port, why(reason, err),
               (unsigned long long)m->stats.in_progress, (unsigned long long)m->out.unacked);
    } else if (!l->refused) {
        if (l->requests)
            m->stats.connect_failures++;
        dm_log(DM_LOG_WARN, "mqtt: %s: cannot connect to %s:%u: %s", l->what, m->host,
               dm_mqtt_cfg(m->d)->port, why(reason, err));
    }
    l->lost_rc = 0;
    l->refused = false;
    mq_on_lost(l);
    /* While draining only the reply connection comes back, for replies it still owes. */
    if (!l->leaving && (!m->draining || (!l->requests && l->unacked > 0)))
        schedule_retry(l);
}

/* After a libmosquitto call: has it closed the socket? */
static bool check_socket(mq_link *l, int rc)
{
    if (l->poll && mosquitto_socket(l->mosq) == l->poll_fd)
        return true;
    conn_lost(l, rc);
    return false;
}

/* ------------------------------------------------------------ driving libmosquitto */

/* Reads while flow control allows and a read consumes something (each call
 * takes at most one packet on the request connection), then writes. */
static bool pump_once(mq_link *l, bool readable)
{
    int rc;
    for (int i = 0; readable && i < PUMP_READS_MAX && may_read(l); i++) {
        const unsigned before = l->events;
        rc = mosquitto_loop_read(l->mosq, 1);
        if (!check_socket(l, rc))
            return false;
        if (l->events == before && l->st != MQ_HANDSHAKE)
            break; /* nothing more to read (or a packet without a callback) */
    }
    if (mosquitto_want_write(l->mosq) || l->st == MQ_HANDSHAKE) {
        rc = mosquitto_loop_write(l->mosq, 1);
        if (!check_socket(l, rc))
            return false;
    }
    return true;
}

void mq_link_pump(mq_link *l, bool readable)
{
    if (l->in_pump) {
        l->kick = l->kick || readable;
        return;
    }
    l->in_pump = true;
    bool again = true;
    while (again && l->poll) {
        l->kick = false;
        if (!pump_once(l, readable))
            break;
        again = readable = l->kick; /* reading became allowed during the calls */
    }
    l->in_pump = false;
    while (l->unreported) {
        mq_out *o = l->unreported;
        l->unreported = o->next;
        mq_reply_refused(l->m, o, o->reason);
        mq_out_free(o);
    }
    mq_link_poll_update(l);
    mq_link_pumped(l);
}

void mq_link_misc(mq_link *l)
{
    if (l->in_pump || !l->poll || l->st == MQ_CLOSING)
        return;
    const int rc = mosquitto_loop_misc(l->mosq); /* keep-alive: PINGREQ, or a dead broker */
    if (check_socket(l, rc))
        mq_link_poll_update(l);
}

/* ------------------------------------------------------------ publishing */

/* O's properties into *OUT; a libmosquitto error (out of memory) leaves none. */
static int out_props(const mq_out *o, mosquitto_property **out)
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
        snprintf(num, sizeof num, "%lld", (long long)o->version);
        rc = mosquitto_property_add_string_pair(&p, MQTT_PROP_USER_PROPERTY, "model_version", num);
    }
    if (!rc && o->header_len >= 0) {
        snprintf(num, sizeof num, "%lld", (long long)o->header_len);
        rc = mosquitto_property_add_string_pair(&p, MQTT_PROP_USER_PROPERTY,
                                                "inference-header-content-length", num);
    }
    if (rc)
        mosquitto_property_free_all(&p);
    *out = p;
    return rc;
}

/* Without its properties (out of memory) a reply is not sent: its client could not match it. */
static int publish_raw(mq_link *l, mq_out *o, int *mid)
{
    mosquitto_property *props = NULL;
    int rc = l->m->proto == MQTT_PROTOCOL_V5 ? out_props(o, &props) : MOSQ_ERR_SUCCESS;
    if (!rc)
        rc = o->len > INT32_MAX
                 ? MOSQ_ERR_PAYLOAD_SIZE
                 : mosquitto_publish_v5(l->mosq, mid, o->topic, (int)o->len, o->payload,
                                        (int)dm_mqtt_cfg(l->m->d)->qos, o->retain, props);
    mosquitto_property_free_all(&props);
    return rc;
}

/* A reply libmosquitto refused (larger than the broker takes): say so instead. */
static int publish_refusal(mq_link *l, mq_out *o, int rc, int *mid)
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
    return publish_raw(l, o, mid);
}

/* Publish O; true when the link keeps it (in l->sent, until its acknowledgement says whether
 * the broker took it), else the caller frees it. */
static bool do_publish(mq_link *l, mq_out *o)
{
    const int qos = (int)dm_mqtt_cfg(l->m->d)->qos;
    int mid = 0;
    int rc = publish_raw(l, o, &mid);
    if (o->reply && (rc == MOSQ_ERR_OVERSIZE_PACKET || rc == MOSQ_ERR_PAYLOAD_SIZE)) {
        dm_log(DM_LOG_WARN, "mqtt: reply on %s (%zu bytes) refused: %s; replying with an error",
               o->topic, o->len, mosquitto_strerror(rc));
        rc = publish_refusal(l, o, rc, &mid);
    }
    /* QoS 1 and 2 messages are queued even without a connection (NO_CONN):
     * libmosquitto sends them when it is back. */
    const bool queued = rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && qos > 0);
    if (!queued)
        dm_log(DM_LOG_WARN, "mqtt: cannot publish on %s: %s%s", o->topic, mosquitto_strerror(rc),
               rc == MOSQ_ERR_NO_CONN ? " (QoS 0 while the broker is away: lost)" : "");
    l->unacked += queued && qos > 0;
    if (o->reply) {
        l->m->stats.replies += queued;
        l->m->stats.error_replies += queued && o->error;
    }
    if (!queued || qos == 0 || !o->fallback)
        return false;
    free(o->payload); /* the topic and correlation data are all an error needs */
    o->payload = NULL;
    o->len = 0;
    o->mid = mid;
    o->next = l->sent;
    l->sent = o;
    return true;
}

/* The reply kept for message MID (taken from l->sent), or NULL. */
static mq_out *sent_take(mq_link *l, int mid)
{
    for (mq_out **p = &l->sent; *p; p = &(*p)->next)
        if ((*p)->mid == mid) {
            mq_out *o = *p;
            *p = o->next;
            return o;
        }
    return NULL;
}

void mq_link_publish(mq_link *l, mq_out *o)
{
    if (l->st == MQ_CONNECTING) { /* the connect thread has the handle */
        DM_QUEUE_PUSH(l->deferred, l->deferred_tail, o, next);
        l->unacked++; /* counted from now on, as it will be */
        return;
    }
    if (!do_publish(l, o))
        mq_out_free(o);
    if (!l->in_pump)
        mq_link_poll_update(l);
}

static void flush_deferred(mq_link *l)
{
    mq_out *o = l->deferred;
    l->deferred = l->deferred_tail = NULL;
    while (o) {
        mq_out *next = o->next;
        l->unacked--; /* do_publish counts it again */
        if (!do_publish(l, o))
            mq_out_free(o);
        o = next;
    }
}

/* ------------------------------------------------------------ libmosquitto callbacks */

static void on_connect(struct mosquitto *mosq, void *arg, int rc, int flags,
                       const mosquitto_property *props)
{
    (void)mosq, (void)props;
    mq_link *l = arg;
    dm_mqtt *m = l->m;
    const dm_mqtt_config *c = dm_mqtt_cfg(m->d);
    l->events++;
    if (rc == 0) {
        l->st = MQ_UP;
        l->backoff_ms = c->reconnect_min_ms;
        mq_on_up(l, flags & 1);
        return;
    }
    l->refused = true;
    if (l->requests)
        m->stats.connect_failures++;
    if (rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION && m->proto_auto) {
        if (m->proto == MQTT_PROTOCOL_V5)
            dm_log(DM_LOG_WARN, "mqtt: %s:%u does not speak MQTT v5; falling back to 3.1.1",
                   m->host, c->port);
        m->proto = MQTT_PROTOCOL_V311;
        l->backoff_ms = c->reconnect_min_ms;
        return;
    }
    const bool v5 = m->proto == MQTT_PROTOCOL_V5;
    const char *reason = v5 ? mosquitto_reason_string(rc) : mosquitto_connack_string(rc);
    const bool auth = rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD || rc == MQTT_RC_NOT_AUTHORIZED ||
                      (!v5 && (rc == 4 || rc == 5));
    dm_log(DM_LOG_ERROR, "mqtt: %s: %s:%u refused the connection: %s%s%s%s", l->what, m->host,
           c->port, reason, auth ? " (user '" : "", auth ? c->username : "",
           auth ? "'; check [mqtt] username and password_file)" : "");
}

static void on_disconnect(struct mosquitto *mosq, void *arg, int rc,
                          const mosquitto_property *props)
{
    (void)mosq, (void)props;
    mq_link *l = arg;
    l->events++;
    l->lost_rc = rc;
}

static void on_publish(struct mosquitto *mosq, void *arg, int mid, int reason,
                       const mosquitto_property *props)
{
    (void)mosq, (void)props;
    mq_link *l = arg;
    l->events++;
    mq_out *o = sent_take(l, mid);
    if (reason >= 128)
        dm_log(DM_LOG_WARN, "mqtt: %s: the broker did not take message %d%s%s: %s%s%s", l->what,
               mid, o ? " on " : "", o ? o->topic : "", mosquitto_reason_string(reason),
               o ? "; the error goes to " : "", o ? o->fallback : "");
    if (l->unacked > 0)
        l->unacked--;
    if (o && reason >= 128) { /* reported once libmosquitto's call returns (no publish inside
                               * its callback: it holds its own locks there) */
        o->reason = reason;
        o->next = l->unreported;
        l->unreported = o;
        o = NULL;
    }
    mq_out_free(o);
    mq_on_acked(l);
}

static void on_subscribe(struct mosquitto *mosq, void *arg, int mid, int n, const int *granted,
                         const mosquitto_property *props)
{
    (void)mosq, (void)mid, (void)props;
    mq_link *l = arg;
    l->events++;
    for (int i = 0; i < n; i++)
        if (granted[i] >= 128)
            dm_log(DM_LOG_ERROR,
                   "mqtt: the broker refused a subscription (%s): check its access control for "
                   "%s%s%s",
                   mosquitto_reason_string(granted[i]), l->m->sub_own,
                   l->m->sub_fleet[0] ? " and " : "", l->m->sub_fleet);
}

static void on_message(struct mosquitto *mosq, void *arg, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    (void)mosq;
    mq_link *l = arg;
    l->events++;
    /* Read, so acknowledged: answered, also while draining (after the FIN the
     * link reads the socket itself and nothing comes here). */
    if (l->requests)
        mq_on_message(l->m, msg, props);
    /* libmosquitto frees the packet and its payload copy after this returns */
    if (msg->payloadlen >= (1 << 20))
        dm_trim_soon(l->m->d);
}

static void on_mosq_log(struct mosquitto *mosq, void *arg, int level, const char *str)
{
    (void)mosq;
    const mq_link *l = arg;
    if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
        dm_log(DM_LOG_WARN, "mqtt: %s: libmosquitto: %s", l->what, str);
}

/* ------------------------------------------------------------ connecting */

/* The connect thread: name lookup, TCP connect, the start of the TLS
 * handshake and CONNECT, while the loop leaves the handle alone. */
static void *conn_main(void *arg)
{
    mq_link *l = arg;
    const dm_mqtt_config *c = dm_mqtt_cfg(l->m->d);
    pthread_mutex_lock(&connect_serial);
    errno = 0;
    l->conn_rc = mosquitto_connect_bind_v5(l->mosq, l->m->host, (int)c->port, (int)c->keepalive_s,
                                           NULL, l->conn_props);
    l->conn_errno = errno;
    pthread_mutex_unlock(&connect_serial);
    pthread_mutex_lock(&conn_lock);
    if (l->conn_thread_live) /* else the link was closed meanwhile */
        uv_async_send(&l->conn_async);
    pthread_mutex_unlock(&conn_lock);
    return NULL;
}

static void on_connected(uv_async_t *h)
{
    mq_link *l = h->data;
    pthread_mutex_lock(&conn_lock);
    const bool live = l->conn_thread_live;
    l->conn_thread_live = false;
    pthread_mutex_unlock(&conn_lock);
    if (!live)
        return;
    pthread_join(l->conn_thread, NULL);
    const int rc = l->conn_rc, fd = mosquitto_socket(l->mosq);
    l->st = MQ_HANDSHAKE;
    flush_deferred(l);
    if (rc != MOSQ_ERR_SUCCESS || fd < 0 || poll_open(l, fd) != 0) {
        errno = l->conn_errno;
        l->st = MQ_HANDSHAKE; /* conn_lost logs it as a failed attempt */
        l->poll = NULL;
        conn_lost(l, rc != MOSQ_ERR_SUCCESS ? rc : MOSQ_ERR_NO_CONN);
        return;
    }
    mq_link_pump(l, true);
}

/* Twice the accepted payload, so that a request somewhat too large still
 * arrives and is answered 413 (libmosquitto reads a packet whole, and copies
 * its payload once: an oversize request costs at most twice this while it is
 * answered, one at a time on the request connection); brokers drop larger
 * ones (docs/protocol.md, MQTT, has the figures). */
uint64_t mq_packet_max(const dm_mqtt_config *c)
{
    const uint64_t max = 2 * c->max_payload_bytes + PACKET_HEADROOM;
    return max > MQTT_PACKET_MAX ? MQTT_PACKET_MAX : max;
}

static int connect_props(mq_link *l)
{
    const dm_mqtt_config *c = dm_mqtt_cfg(l->m->d);
    mosquitto_property_free_all(&l->conn_props);
    if (!l->requests || l->m->proto != MQTT_PROTOCOL_V5)
        return 0;
    const uint64_t max = mq_packet_max(c);
    /* The session outlives the connection; the broker sends at most
     * max_inflight requests unacknowledged, none larger than MAX. */
    return mosquitto_property_add_int32(&l->conn_props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                        c->session_expiry_s) ||
           mosquitto_property_add_int16(&l->conn_props, MQTT_PROP_RECEIVE_MAXIMUM,
                                        (uint16_t)c->max_inflight) ||
           mosquitto_property_add_int32(&l->conn_props, MQTT_PROP_MAXIMUM_PACKET_SIZE,
                                        (uint32_t)max);
}

void mq_link_connect(mq_link *l)
{
    mosquitto_int_option(l->mosq, MOSQ_OPT_PROTOCOL_VERSION, l->m->proto);
    if (connect_props(l) != 0) {
        dm_log(DM_LOG_ERROR, "mqtt: out of memory building CONNECT");
        schedule_retry(l);
        return;
    }
    l->st = MQ_CONNECTING;
    l->refused = false;
    l->lost_rc = 0;
    pthread_mutex_lock(&conn_lock);
    l->conn_thread_live = pthread_create(&l->conn_thread, NULL, conn_main, l) == 0;
    const bool started = l->conn_thread_live;
    pthread_mutex_unlock(&conn_lock);
    if (!started) {
        l->st = MQ_IDLE;
        dm_log(DM_LOG_ERROR, "mqtt: cannot start a thread to connect: %s", strerror(errno));
        schedule_retry(l);
    }
}

/* ------------------------------------------------------------ setting up and closing */

static int setup_tls(mq_link *l)
{
    const dm_mqtt_config *c = dm_mqtt_cfg(l->m->d);
    if (!c->tls)
        return 0;
    const char *cafile = c->tls_ca_file[0] ? c->tls_ca_file : NULL;
    const char *capath = c->tls_ca_path[0] ? c->tls_ca_path : NULL;
    const char *cert = c->tls_cert_file[0] ? c->tls_cert_file : NULL;
    const char *key = c->tls_key_file[0] ? c->tls_key_file : NULL;
    if (!cert != !key) {
        dm_log(DM_LOG_ERROR, "mqtt: [mqtt] tls_cert_file and tls_key_file go together");
        return -1;
    }
    if (!cafile && !capath)
        mosquitto_int_option(l->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
    int rc = mosquitto_tls_set(l->mosq, cafile, capath, cert, key, NULL);
    if (rc) {
        dm_log(DM_LOG_ERROR,
               "mqtt: TLS files: %s (check that [mqtt] tls_ca_file %s, tls_ca_path %s, "
               "tls_cert_file %s and tls_key_file %s exist and are readable)",
               mosquitto_strerror(rc), cafile ? cafile : "-", capath ? capath : "-",
               cert ? cert : "-", key ? key : "-");
        return -1;
    }
    rc = mosquitto_tls_opts_set(l->mosq, c->tls_verify ? 1 : 0, NULL, NULL);
    if (!rc)
        rc = mosquitto_tls_insecure_set(l->mosq, !c->tls_verify);
    if (rc) {
        dm_log(DM_LOG_ERROR, "mqtt: TLS options: %s", mosquitto_strerror(rc));
        return -1;
    }
    return 0;
}

int mq_link_init(mq_link *l, dm_mqtt *m, bool requests)
{
    const dm_mqtt_config *c = dm_mqtt_cfg(m->d);
    l->m = m;
    l->requests = requests;
    l->what = requests ? "requests" : "replies";
    l->poll_fd = -1;
    l->backoff_ms = c->reconnect_min_ms;
    /* The request connection keeps a session (its subscriptions and the
     * requests for it); the reply connection needs none. */
    l->mosq = mosquitto_new(l->client_id, !requests, l);
    if (!l->mosq) {
        dm_log(DM_LOG_ERROR, "mqtt: cannot create the client: %s", strerror(errno));
        return -1;
    }
    mosquitto_int_option(l->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_v5_callback_set(l->mosq, on_connect);
    mosquitto_disconnect_v5_callback_set(l->mosq, on_disconnect);
    mosquitto_publish_v5_callback_set(l->mosq, on_publish);
    mosquitto_subscribe_v5_callback_set(l->mosq, on_subscribe);
    mosquitto_message_v5_callback_set(l->mosq, on_message);
    mosquitto_log_callback_set(l->mosq, on_mosq_log);
    int rc = requests ? mosquitto_will_set(l->mosq, m->status_topic, 7, "offline", 1, true) : 0;
    if (!rc && (c->username[0] || c->password_file[0]))
        rc = mosquitto_username_pw_set(l->mosq, c->username[0] ? c->username : NULL,
                                       c->password_file[0] ? m->password : NULL);
    if (rc) {
        dm_log(DM_LOG_ERROR, "mqtt: setting up the client: %s", mosquitto_strerror(rc));
        return -1;
    }
    return setup_tls(l);
}

void mq_link_start_handles(mq_link *l)
{
    uv_timer_init(l->m->loop, &l->retry_timer);
    uv_async_init(l->m->loop, &l->conn_async, on_connected);
    l->retry_timer.data = l->conn_async.data = l;
}

static void link_join(mq_link *l)
{
    pthread_mutex_lock(&conn_lock);
    const bool live = l->conn_thread_live;
    l->conn_thread_live = false; /* it will not signal the loop any more */
    pthread_mutex_unlock(&conn_lock);
    if (!live)
        return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += JOIN_WAIT_S;
    if (pthread_timedjoin_np(l->conn_thread, NULL, &until) == 0)
        return;
    pthread_detach(l->conn_thread);
    l->abandoned = true;
    dm_log(DM_LOG_WARN, "mqtt: %s: a connection attempt to %s is still running; leaving it",
           l->what, l->m->host);
}

static void link_handle_closed(uv_handle_t *h)
{
    const mq_link *l = h->data;
    mq_handle_closed(l->m);
}

void mq_link_close_handles(mq_link *l)
{
    link_join(l);
    mq_link_close(l);
    l->m->closing_handles += 2;
    uv_close((uv_handle_t *)&l->retry_timer, link_handle_closed);
    uv_close((uv_handle_t *)&l->conn_async, link_handle_closed);
}

void mq_link_destroy(mq_link *l)
{
    for (mq_out *o = l->deferred, *next; o; o = next) {
        next = o->next;
        mq_out_free(o);
    }
    l->deferred = l->deferred_tail = NULL;
    for (mq_out *o = l->sent, *next; o; o = next) {
        next = o->next;
        mq_out_free(o);
    }
    l->sent = NULL;
    for (mq_out *o = l->unreported, *next; o; o = next) {
        next = o->next;
        mq_out_free(o);
    }
    l->unreported = NULL;
    if (l->abandoned)
        return; /* its connect thread still uses the handle: left to the exit */
    mosquitto_destroy(l->mosq);
    l->mosq = NULL;
    mosquitto_property_free_all(&l->conn_props);
}
