/* daemon/mqtt.c - the MQTT front end: two connections, flow control, status, the drain.
 *
 * Owns: the front end's names (client ids, topics), its two connections to the
 * broker (mqtt_link.c; mqtt_impl.h says why two): the request connection
 * (a persistent session, the subscriptions PREFIX/infer/+ and
 * $share/GROUP/FLEET/infer/+, the retained PREFIX/status with its last will,
 * PREFIX/models) and the reply connection; flow control (the request
 * connection reads while the requests held plus the replies not yet
 * acknowledged stay under [mqtt] max_inflight); the keep-alive timer; the
 * drain on stop (answer what was read, publish offline, shut the request
 * connection for writing and read it to the broker's EOF, so that nothing read
 * is lost and nothing unread leaves the broker); the counters /metrics shows; its front-end
 * contract (dm_frontend_mqtt, frontend.h).
 * Does not own: a connection's mechanics (mqtt_link.c), what a request says and
 * how it is answered (mqtt_req.c). */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mqtt_protocol.h>

#include "common/cleanup.h"
#include "config_impl.h"
#include "frontend.h"
#include "mqtt_impl.h"
#include "codec.h"
#include "log.h"
#include "mqtt.h"
#include "registry.h"

#define MISC_MIN_MS 1000
#define MISC_MAX_MS 10000
#define MODELS_DELAY_MS 100 /* coalesce bursts of model events into one publish */
#define CLOSE_WAIT_MS 2000  /* drain: how long to wait for the broker's EOF */

void mq_out_free(mq_out *o)
{
    if (!o)
        return;
    free(o->topic);
    free(o->fallback);
    free(o->payload);
    free(o->corr);
    free(o);
}

/* ------------------------------------------------------------ flow control */

bool mq_may_read(const dm_mqtt *m)
{
    if (m->in.st == MQ_HANDSHAKE)
        return true; /* CONNACK, the TLS handshake */
    if (m->draining || m->in.st != MQ_UP)
        return false;
    return m->stats.in_progress + m->out.unacked < dm_mqtt_cfg(m->d)->max_inflight;
}

/* The request connection may read again: read what waits now (TLS may hold
 * it decrypted, where poll cannot see it). Inside its pump: a kick. */
static void maybe_resume(dm_mqtt *m)
{
    mq_link *in = &m->in;
    if (!in->poll || !mq_may_read(m))
        return;
    if (in->in_pump)
        in->kick = true;
    else if (!(in->poll_events & UV_READABLE))
        mq_link_pump(in, true);
}

void mq_request_end(dm_mqtt *m)
{
    if (m->stats.in_progress > 0)
        m->stats.in_progress--;
    maybe_resume(m);
    mq_check_drain(m);
}

void mq_publish(dm_mqtt *m, mq_out *o)
{
    const bool reply = o->reply;
    if (!m->handles_open) { /* after the drain */
        dm_log(DM_LOG_WARN, "mqtt: a message on %s after the stop is lost", o->topic);
        mq_out_free(o);
    } else {
        mq_link_publish(reply ? &m->out : &m->in, o); /* takes O */
    }
    if (reply)
        mq_request_end(m);
}

/* ------------------------------------------------------------ link events */

static void publish_own(dm_mqtt *m, const char *topic, char *payload, size_t len)
{
    _cleanup_free_ char *owned = payload;
    _cleanup_free_ mq_out *o = calloc(1, sizeof *o);
    if (!o || !owned || !(o->topic = strdup(topic)))
        return;
    o->payload = (uint8_t *)edge_take_ptr(owned);
    o->len = len;
    o->retain = true;
    o->version = o->header_len = -1;
    mq_publish(m, edge_take_ptr(o));
}

static void publish_models(dm_mqtt *m)
{
    size_t len = 0;
    char *json = mq_models_json(m, &len);
    if (json)
        publish_own(m, m->models_topic, json, len);
}

/* Triton's statistics of every model (GET /v2/models/stats), retained on PREFIX/stats. */
static void publish_stats(dm_mqtt *m)
{
    char err[320];
    int status;
    json_t *j = dm_mqtt_cfg(m->d)->stats_interval_s
                    ? dm_codec_stats(m->d, NULL, -1, &status, err, sizeof err)
                    : NULL;
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (text)
        publish_own(m, m->stats_topic, text, strlen(text));
}

static void on_stats_timer(uv_timer_t *t)
{
    dm_mqtt *m = t->data;
    if (m->in.st == MQ_UP && !m->draining)
        publish_stats(m);
}

static void subscribe(dm_mqtt *m, const char *topic)
{
    const int rc =
        mosquitto_subscribe_v5(m->in.mosq, NULL, topic, (int)dm_mqtt_cfg(m->d)->qos, 0, NULL);
    if (rc)
        dm_log(DM_LOG_ERROR, "mqtt: cannot subscribe to %s: %s", topic, mosquitto_strerror(rc));
}

void mq_on_up(mq_link *l, bool session_present)
{
    dm_mqtt *m = l->m;
    const dm_mqtt_config *c = dm_mqtt_cfg(m->d);
    if (!l->requests) {
        dm_log(DM_LOG_INFO, "mqtt: replies: connected to %s:%u as %s", m->host, c->port,
               l->client_id);
        return;
    }
    m->stats.connects++;
    dm_log(DM_LOG_INFO,
           "mqtt: connected to %s:%u as %s (%s%s, %s session); requests on %s%s%s, status on %s",
           m->host, c->port, l->client_id, mq_proto_name(m->proto), c->tls ? ", TLS" : "",
           session_present ? "resumed" : "new", m->sub_own, m->sub_fleet[0] ? " and " : "",
           m->sub_fleet, m->status_topic);
    if (m->proto == MQTT_PROTOCOL_V5)
        dm_log(DM_LOG_DEBUG,
               "mqtt: requests over %" PRIu64 " bytes are answered 413; the broker drops those "
               "over %" PRIu64 " (the Maximum Packet Size edged announced)",
               c->max_payload_bytes, mq_packet_max(c));
    else if (!m->said_311_size)
        dm_log(DM_LOG_INFO,
               "mqtt: MQTT 3.1.1 cannot tell the broker a maximum packet size: edged reads "
               "every request whole (over %" PRIu64 " bytes it answers 413); the broker's own "
               "limit (mosquitto: max_packet_size) bounds them",
               c->max_payload_bytes);
    m->said_311_size = m->said_311_size || m->proto != MQTT_PROTOCOL_V5;
    subscribe(m, m->sub_own);
    if (m->sub_fleet[0])
        subscribe(m, m->sub_fleet);
    if (m->draining)
        return;
    publish_own(m, m->status_topic, strdup("online"), 6);
    publish_models(m);
    publish_stats(m);
}

void mq_on_lost(mq_link *l)
{
    mq_check_drain(l->m);
}

void mq_on_acked(mq_link *l)
{
    dm_mqtt *m = l->m;
    /* One fewer reply awaiting acknowledgement: the request connection may
     * read again, once the reply connection's call has returned (a call on
     * one handle never runs inside another's callback: their locks stay
     * unnested). */
    if (!l->requests)
        m->resume_pending = true;
}

void mq_link_pumped(mq_link *l)
{
    dm_mqtt *m = l->m;
    if (m->resume_pending && !m->out.in_pump) {
        m->resume_pending = false;
        maybe_resume(m);
    }
    mq_check_drain(m);
}

static void on_models_timer(uv_timer_t *t)
{
    dm_mqtt *m = t->data;
    if (m->in.st == MQ_UP && !m->draining)
        publish_models(m);
}

static void on_model_event(const char *name, dm_model_event ev, int64_t version, const char *detail,
                           void *arg)
{
    (void)name, (void)ev, (void)version, (void)detail;
    dm_mqtt *m = arg;
    if (m->in.st == MQ_UP && !m->draining && !uv_is_active((uv_handle_t *)&m->models_timer))
        uv_timer_start(&m->models_timer, on_models_timer, MODELS_DELAY_MS, 0);
}

static void on_misc(uv_timer_t *t)
{
    dm_mqtt *m = t->data;
    if (!m->draining) /* draining: the request connection is not read any more */
        mq_link_misc(&m->in);
    mq_link_misc(&m->out);
}

/* ------------------------------------------------------------ the drain */

static void on_close_timeout(uv_timer_t *t)
{
    dm_mqtt *m = t->data;
    if (m->in.st != MQ_CLOSING)
        return;
    dm_log(DM_LOG_WARN, "mqtt: %s did not close the connection within %d ms; closing it", m->host,
           CLOSE_WAIT_MS);
    m->in.st = MQ_IDLE;
    mq_link_close(&m->in);
    mq_check_drain(m);
}

static void handle_closed_cb(uv_handle_t *h)
{
    mq_handle_closed(h->data);
}

static void close_handles(dm_mqtt *m)
{
    if (!m->handles_open)
        return;
    m->handles_open = false;
    mq_link_close_handles(&m->in);
    mq_link_close_handles(&m->out);
    uv_timer_t *timers[] = {&m->misc_timer, &m->models_timer, &m->close_timer, &m->stats_timer};
    for (size_t i = 0; i < 4; i++) {
        m->closing_handles++;
        uv_close((uv_handle_t *)timers[i], handle_closed_cb);
    }
}

static void drained(dm_mqtt *m)
{
    if (m->out.unacked > 0)
        dm_log(DM_LOG_WARN,
               "mqtt: stopping with %" PRIu64 " replies the broker has not acknowledged",
               m->out.unacked);
    close_handles(m);
    dm_log(DM_LOG_INFO, "mqtt: left %s:%u; requests published from now on wait in session %s",
           m->host, dm_mqtt_cfg(m->d)->port, m->in.client_id);
    void (*cb)(void *) = m->drained_cb;
    m->drained_cb = NULL;
    if (cb)
        cb(m->drained_arg);
}

/* The reply connection: leave once every reply is acknowledged (or it is down). */
static bool out_settled(dm_mqtt *m)
{
    mq_link *o = &m->out;
    if (o->st == MQ_IDLE)
        return !o->unacked || !uv_is_active((uv_handle_t *)&o->retry_timer);
    if (o->st != MQ_UP || o->unacked > 0 || mosquitto_want_write(o->mosq))
        return false;
    o->leaving = true;
    mosquitto_disconnect(o->mosq); /* written at once; libmosquitto then closes it */
    if (o->poll && mosquitto_socket(o->mosq) != o->poll_fd) {
        mq_link_close(o);
        o->st = MQ_IDLE;
    }
    return o->st == MQ_IDLE;
}

/* The request connection: offline, then shut for writing; the broker's EOF
 * says it has read everything before. */
static bool in_settled(dm_mqtt *m)
{
    mq_link *i = &m->in;
    if (i->st == MQ_IDLE)
        return true;
    if (i->st == MQ_CLOSING || i->st == MQ_CONNECTING || i->st == MQ_HANDSHAKE)
        return false; /* waiting for the EOF; an attempt under way decides */
    if (!m->offline_sent) {
        m->offline_sent = true;
        publish_own(m, m->status_topic, strdup("offline"), 7); /* may come back here */
        if (i->st != MQ_UP)
            return i->st == MQ_IDLE;
    }
    if (mosquitto_want_write(i->mosq)) { /* written first: the data goes before our FIN */
        mq_link_poll_update(i);
        return false;
    }
    i->leaving = true;
    mq_link_shut(i);
    uv_timer_start(&m->close_timer, on_close_timeout, CLOSE_WAIT_MS, 0);
    return false;
}

void mq_check_drain(dm_mqtt *m)
{
    if (!m->draining || !m->handles_open || m->in.in_pump || m->out.in_pump ||
        m->stats.in_progress > 0)
        return;
    const bool out = out_settled(m);
    const bool in = out && in_settled(m);
    if (in && out && m->in.st == MQ_IDLE && m->out.st == MQ_IDLE)
        drained(m);
}

void dm_mqtt_drain(dm_mqtt *m, void (*cb)(void *arg), void *arg)
{
    m->draining = true;
    m->drained_cb = cb;
    m->drained_arg = arg;
    uv_timer_stop(&m->in.retry_timer);
    uv_timer_stop(&m->models_timer);
    uv_timer_stop(&m->stats_timer);
    if (m->in.st == MQ_IDLE)
        m->in.leaving = true;
    mq_link_poll_update(&m->in);
    mq_check_drain(m);
}

/* ------------------------------------------------------------ start and free */

static int read_password(dm_mqtt *m, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        dm_log(DM_LOG_ERROR, "mqtt: [mqtt] password_file %s: cannot read it: %s", path,
               strerror(errno));
        return -1;
    }
    const bool got = fgets(m->password, sizeof m->password, f) != NULL;
    fclose(f);
    if (!got) {
        dm_log(DM_LOG_ERROR, "mqtt: [mqtt] password_file %s is empty", path);
        return -1;
    }
    m->password[strcspn(m->password, "\r\n")] = '\0';
    return 0;
}

static int setup_names(dm_mqtt *m)
{
    const dm_mqtt_config *c = dm_mqtt_cfg(m->d);
    char host[65] = "localhost";
    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
        snprintf(host, sizeof host, "localhost");
    host[strcspn(host, "+#/")] = '\0'; /* not a topic level otherwise */
    snprintf(m->host, sizeof m->host, "%s", c->host);
    if (c->client_id[0])
        snprintf(m->in.client_id, sizeof m->in.client_id, "%s", c->client_id);
    else
        snprintf(m->in.client_id, sizeof m->in.client_id, "edged-%s", host);
    snprintf(m->out.client_id, sizeof m->out.client_id, "%.150s-replies", m->in.client_id);
    if (c->topic_prefix[0])
        snprintf(m->prefix, sizeof m->prefix, "%s", c->topic_prefix);
    else
        snprintf(m->prefix, sizeof m->prefix, "edged/%s", host);
    snprintf(m->fleet, sizeof m->fleet, "%s", c->fleet_prefix);
    snprintf(m->sub_own, sizeof m->sub_own, "%s/infer/+", m->prefix);
    if (c->shared_group[0]) {
        if (strpbrk(c->shared_group, "+#/")) {
            dm_log(DM_LOG_ERROR, "mqtt: [mqtt] shared_group '%s' must not hold + # or /",
                   c->shared_group);
            return -1;
        }
        snprintf(m->sub_fleet, sizeof m->sub_fleet, "$share/%s/%s/infer/+", c->shared_group,
                 m->fleet);
    }
    snprintf(m->status_topic, sizeof m->status_topic, "%s/status", m->prefix);
    snprintf(m->models_topic, sizeof m->models_topic, "%s/models", m->prefix);
    snprintf(m->stats_topic, sizeof m->stats_topic, "%s/stats", m->prefix);
    return 0;
}

static void really_free(dm_mqtt *m)
{
    const bool abandoned = m->in.abandoned || m->out.abandoned;
    mq_link_destroy(&m->in);
    mq_link_destroy(&m->out);
    explicit_bzero(m->password, sizeof m->password);
    if (abandoned)
        return; /* a connect thread still holds M: both go with the process */
    mosquitto_lib_cleanup();
    free(m);
}

void mq_handle_closed(dm_mqtt *m)
{
    if (--m->closing_handles == 0 && m->free_pending)
        really_free(m);
}

int dm_mqtt_start(dm_daemon *d, dm_mqtt **out)
{
    *out = NULL;
    if (!dm_mqtt_cfg(d)->host[0])
        return 0;
    dm_mqtt *m = calloc(1, sizeof *m);
    if (!m) {
        dm_log(DM_LOG_ERROR, "mqtt: out of memory");
        return -1;
    }
    m->d = d;
    m->loop = d->loop;
    m->proto_auto = strcmp(dm_mqtt_cfg(d)->protocol, "auto") == 0;
    m->proto =
        strcmp(dm_mqtt_cfg(d)->protocol, "3.1.1") == 0 ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5;
    mosquitto_lib_init();
    if (setup_names(m) != 0 ||
        (dm_mqtt_cfg(d)->password_file[0] &&
         read_password(m, dm_mqtt_cfg(d)->password_file) != 0) ||
        mq_link_init(&m->in, m, true) != 0 || mq_link_init(&m->out, m, false) != 0) {
        mq_link_destroy(&m->in); /* no uv handle exists yet */
        mq_link_destroy(&m->out);
        explicit_bzero(m->password, sizeof m->password);
        mosquitto_lib_cleanup();
        free(m);
        return -1;
    }
    mq_link_start_handles(&m->in);
    mq_link_start_handles(&m->out);
    if (!dm_mqtt_cfg(d)->tls_verify && dm_mqtt_cfg(d)->tls)
        dm_log(DM_LOG_WARN, "mqtt: [mqtt] tls_verify = 0: the broker's certificate is not "
                            "checked; anyone on the path can pose as the broker");
    uv_timer_init(m->loop, &m->misc_timer);
    uv_timer_init(m->loop, &m->models_timer);
    uv_timer_init(m->loop, &m->close_timer);
    uv_timer_init(m->loop, &m->stats_timer);
    m->misc_timer.data = m->models_timer.data = m->close_timer.data = m->stats_timer.data = m;
    uv_unref((uv_handle_t *)&m->misc_timer); /* never keeps the loop alive on its own */
    uv_unref((uv_handle_t *)&m->close_timer);
    uv_unref((uv_handle_t *)&m->stats_timer);
    const uint64_t stats_ms = (uint64_t)dm_mqtt_cfg(d)->stats_interval_s * 1000u;
    if (stats_ms)
        uv_timer_start(&m->stats_timer, on_stats_timer, stats_ms, stats_ms);
    m->handles_open = true;
    /* libmosquitto's keep-alive (PINGREQ, a silent broker) needs no finer clock than an eighth
     * of the interval: an idle daemon wakes for it every few seconds, not every second */
    uint64_t misc_ms = (uint64_t)dm_mqtt_cfg(d)->keepalive_s * 1000u / 8u;
    misc_ms = misc_ms < MISC_MIN_MS ? MISC_MIN_MS : misc_ms > MISC_MAX_MS ? MISC_MAX_MS : misc_ms;
    uv_timer_start(&m->misc_timer, on_misc, misc_ms, misc_ms);
    dm_registry_listen(d->reg, on_model_event, m);
    dm_log(DM_LOG_INFO, "mqtt: connecting to %s:%u as %s (%s%s)", m->host, dm_mqtt_cfg(d)->port,
           m->in.client_id, m->proto_auto ? "MQTT v5, or 3.1.1" : mq_proto_name(m->proto),
           dm_mqtt_cfg(d)->tls ? ", TLS" : "");
    mq_link_connect(&m->in);
    mq_link_connect(&m->out);
    *out = m;
    return 0;
}

dm_mqtt_stats dm_mqtt_stats_get(const dm_mqtt *m)
{
    dm_mqtt_stats s = m->stats; /* the counters */
    s.connected = m->in.st == MQ_UP;
    s.unacked = m->out.unacked;
    return s;
}

void dm_mqtt_free(dm_mqtt *m)
{
    if (!m || m->free_pending)
        return;
    dm_registry_unlisten(m->d->reg, on_model_event, m);
    if (m->stats.in_progress)
        dm_log(DM_LOG_WARN, "mqtt: %" PRIu64 " requests were never answered", m->stats.in_progress);
    close_handles(m);
    /* The handles close on the loop's next turn (main.c runs it); M goes with the last. */
    m->free_pending = true;
    if (m->closing_handles == 0)
        really_free(m);
}

/* ------------------------------------------------------------ the front-end contract */

static int fe_start(dm_daemon *d, const dm_listen_fds *fds, void **state)
{
    return dm_mqtt_start(d, (dm_mqtt **)state);
}

static void fe_drain(void *state, void (*done)(void *arg), void *arg)
{
    dm_mqtt_drain(state, done, arg);
}

static void fe_drain_left(const void *state, char *buf, size_t len)
{
    const dm_mqtt_stats q = dm_mqtt_stats_get(state);
    if (q.in_progress || q.unacked)
        snprintf(buf, len,
                 " (MQTT: %llu requests unanswered, %llu replies the broker has not "
                 "acknowledged)",
                 (unsigned long long)q.in_progress, (unsigned long long)q.unacked);
}

static void fe_free(void *state)
{
    dm_mqtt_free(state);
}

static void fe_metrics(const void *state, FILE *f)
{
    if (!state)
        return;
    const dm_mqtt_stats s = dm_mqtt_stats_get(state), *q = &s;
    dm_metrics_put_one(f, "edged_mqtt_connected", "gauge",
                       "1 while edged is connected to its MQTT broker.", q->connected);
    dm_metrics_put_one(
        f, "edged_mqtt_connects_total", "counter",
        "Connections to the MQTT broker accepted (the first and every reconnection).", q->connects);
    dm_metrics_put_one(f, "edged_mqtt_connect_failures_total", "counter",
                       "Connection attempts that failed or were refused by the broker.",
                       q->connect_failures);
    dm_metrics_put_one(f, "edged_mqtt_connection_losses_total", "counter",
                       "Established connections that were lost.", q->losses);
    dm_metrics_put_one(f, "edged_mqtt_requests_total", "counter", "Requests received over MQTT.",
                       q->received);
    dm_metrics_put_one(f, "edged_mqtt_replies_total", "counter",
                       "Replies published over MQTT (results and errors).", q->replies);
    dm_metrics_put_one(f, "edged_mqtt_error_replies_total", "counter",
                       "Replies that were errors (bad payloads, unknown models, full queues, ...).",
                       q->error_replies);
    dm_metrics_put_one(f, "edged_mqtt_inflight", "gauge",
                       "MQTT requests received and not yet answered.", q->in_progress);
    dm_metrics_put_one(
        f, "edged_mqtt_inflight_max", "gauge",
        "The most MQTT requests edged has held at once (bounded by [mqtt] max_inflight plus "
        "the rest of one read from the broker).",
        q->in_progress_max);
    dm_metrics_put_one(f, "edged_mqtt_replies_unacked", "gauge",
                       "Replies (QoS 1 or 2) the broker has not acknowledged yet.", q->unacked);
}

static void fe_status(const void *state, dm_frontend_status *out)
{
    out->enabled = true;
    out->connected = dm_mqtt_stats_get(state).connected;
}

static const char *fe_idle_veto(const dm_daemon *d, const void *state)
{
    return state ? "MQTT requests would go unanswered" : NULL;
}

/* ------------------------------------------------------------ [mqtt] */

#define FIELD(f) offsetof(dm_mqtt_config, f), sizeof(((dm_mqtt_config *)0)->f)

static const opt mqtt_options[] = {
    {"mqtt", "host", "mqtt-host", OPT_STRING, FIELD(host), 0, 255, "", false,
     "MQTT broker to take inference requests from (a host name or address). Empty: MQTT is off. "
     "See docs/protocol.md (MQTT) for the topics and payloads.",
     NULL},
    {"mqtt", "port", "mqtt-port", OPT_UINT, FIELD(port), 1, 65535, "1883", false,
     "The broker's port (8883 is the usual one for TLS).", NULL},
    {"mqtt", "protocol", NULL, OPT_CHOICE, FIELD(protocol), 1, 7, "auto", false,
     "MQTT version edged speaks to the broker: auto (v5, and 3.1.1 when the broker refuses v5), "
     "5 or 3.1.1. Requesters may use either.",
     "auto|5|3.1.1"},
    {"mqtt", "client_id", NULL, OPT_STRING, FIELD(client_id), 0, 127, "", false,
     "Client identifier; it names edged's persistent session at the broker, so it must be "
     "stable and unique per daemon. Empty: edged-HOSTNAME.",
     NULL},
    {"mqtt", "username", NULL, OPT_STRING, FIELD(username), 0, 127, "", false,
     "User name for the broker. Empty: connect without one.", NULL},
    {"mqtt", "password_file", NULL, OPT_PATH, FIELD(password_file), 0, 255, "", false,
     "File holding the broker password (its first line). Keep it readable by edged only.", NULL},
    {"mqtt", "tls", NULL, OPT_UINT, FIELD(tls), 0, 1, "0", false,
     "1: connect with TLS. The broker's certificate is checked against tls_ca_file or "
     "tls_ca_path, or the system's certificate authorities when both are empty.",
     NULL},
    {"mqtt", "tls_ca_file", NULL, OPT_PATH, FIELD(tls_ca_file), 0, 255, "", false,
     "PEM file of the certificate authorities that sign the broker's certificate.", NULL},
    {"mqtt", "tls_ca_path", NULL, OPT_PATH, FIELD(tls_ca_path), 0, 255, "", false,
     "Folder of certificate authority files (hashed, as c_rehash makes it).", NULL},
    {"mqtt", "tls_cert_file", NULL, OPT_PATH, FIELD(tls_cert_file), 0, 255, "", false,
     "PEM client certificate, for brokers that require one (with tls_key_file).", NULL},
    {"mqtt", "tls_key_file", NULL, OPT_PATH, FIELD(tls_key_file), 0, 255, "", false,
     "PEM private key of the client certificate (unencrypted).", NULL},
    {"mqtt", "tls_verify", NULL, OPT_UINT, FIELD(tls_verify), 0, 1, "1", false,
     "1: refuse a broker whose certificate does not chain to the authorities above or does "
     "not name the host. 0: encrypt without checking who answers (logged as a warning; for "
     "testing only).",
     NULL},
    {"mqtt", "topic_prefix", NULL, OPT_TOPIC, FIELD(topic_prefix), 0, 127, "", false,
     "Topics of this daemon: requests on PREFIX/infer/MODEL, replies without a response topic "
     "on PREFIX/result/MODEL, PREFIX/status and PREFIX/models. Empty: edged/HOSTNAME.",
     NULL},
    {"mqtt", "fleet_prefix", NULL, OPT_TOPIC, FIELD(fleet_prefix), 1, 127, "edged/fleet", false,
     "Topics shared by a fleet of daemons: requests on FLEET/infer/MODEL, replies on "
     "FLEET/result/MODEL. Used with shared_group.",
     NULL},
    {"mqtt", "shared_group", NULL, OPT_STRING, FIELD(shared_group), 0, 63, "", false,
     "Join the shared subscription $share/GROUP/FLEET/infer/+: the broker hands each fleet "
     "request to one daemon of the group. Empty: no fleet requests.",
     NULL},
    {"mqtt", "qos", NULL, OPT_UINT, FIELD(qos), 0, 2, "1", false,
     "QoS of the request subscriptions and of the replies. 1 (at least once) keeps requests "
     "that arrive while edged is away; 0 does not.",
     NULL},
    {"mqtt", "stats_interval_s", NULL, OPT_UINT, FIELD(stats_interval_s), 0, 86400, "60", false,
     "Every this many seconds (and on each connection) edged publishes its models' statistics, "
     "retained, on PREFIX/stats: the JSON of GET /v2/models/stats (Triton's statistics "
     "extension). 0: never.",
     NULL},
    {"mqtt", "max_inflight", NULL, OPT_UINT, FIELD(max_inflight), 1, 65535, "64", false,
     "Requests edged holds at once (received, not yet answered and acknowledged). At the limit "
     "it stops reading from the broker, which keeps the rest.",
     NULL},
    {"mqtt", "max_payload_bytes", NULL, OPT_BYTES, FIELD(max_payload_bytes), 1 * KIB, 256 * MIB - 1,
     "16M", false,
     "Largest request payload; a larger one gets an error reply (413). MQTT v5 brokers are "
     "told not to send packets over twice this plus 64 KiB; they drop larger ones without a "
     "reply (docs/protocol.md, MQTT size limits).",
     NULL},
    {"mqtt", "keepalive_s", NULL, OPT_UINT, FIELD(keepalive_s), 5, 65535, "30", false,
     "Keep-alive interval (seconds): a broker silent for 1.5 times this is taken as gone.", NULL},
    {"mqtt", "session_expiry_s", NULL, OPT_UINT, FIELD(session_expiry_s), 0, 4294967295u, "86400",
     false,
     "How long (seconds) the broker keeps edged's session, and the requests for it, while edged "
     "is away (MQTT v5; 3.1.1 brokers keep it until they are told otherwise).",
     NULL},
    {"mqtt", "reconnect_min_ms", NULL, OPT_UINT, FIELD(reconnect_min_ms), 10, 3600000, "500", false,
     "First delay before reconnecting to the broker; it doubles on every failure, with random "
     "jitter, up to reconnect_max_ms.",
     NULL},
    {"mqtt", "reconnect_max_ms", NULL, OPT_UINT, FIELD(reconnect_max_ms), 10, 3600000, "30000",
     false, "Longest delay between two connection attempts.", NULL},
};
#undef FIELD

static const dm_config_section mqtt_section = {
    .name = "mqtt",
    .after = "scheduler",
    .help = "The MQTT front end (off unless host is set).",
    .opts = mqtt_options,
    .n_opts = sizeof mqtt_options / sizeof mqtt_options[0],
    .size = sizeof(dm_mqtt_config),
};

const dm_mqtt_config *dm_mqtt_cfg(const dm_daemon *d)
{
    return dm_config_section_get(&d->cfg, &mqtt_section);
}

const dm_frontend dm_frontend_mqtt = {
    .name = "mqtt",
    .section = "mqtt",
    .config = &mqtt_section,
    .start = fe_start,
    .drain = fe_drain, /* stops reading requests; answers those taken, then leaves the broker */
    .drain_left = fe_drain_left,
    .free = fe_free, /* its handles close in main.c's last loop run */
    .metrics = fe_metrics,
    .status = fe_status,
    .idle_veto = fe_idle_veto,
};
