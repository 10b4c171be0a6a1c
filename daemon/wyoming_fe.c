/* daemon/wyoming_fe.c - [wyoming] and the Wyoming server's place among the front ends.
 *
 * Owns: the [wyoming] section (its rows: wyoming_options, at the end), the front-end contract
 * (dm_frontend_wyoming, frontend.h): start when [wyoming] listen or socket is set, the stop,
 * the drain (the streams being scored), the free, the /metrics lines and the status fields,
 * and advertising the TCP listener over zeroconf ([wyoming] zeroconf: when and where).
 * Does not own: the server (wyoming.c), talking to avahi-daemon (zeroconf.c). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "config_impl.h"
#include "frontend.h"
#include "log.h"
#include "wyoming.h"
#include "zeroconf.h"

/* [wyoming]: off while listen and socket are both empty. */
typedef struct wyoming_config {
    char listen[64];
    char socket[108];
    uint32_t socket_mode;
    char models[256];
    char threshold[16];
    uint32_t refractory_ms;
    uint32_t max_connections, max_streams;
    uint32_t idle_timeout_ms;
    char zeroconf[8];       /* auto, yes or no */
    char zeroconf_name[64]; /* "" = "edged on HOST" */
} wyoming_config;

/* The front end's state: the server and its advertisement. */
typedef struct wyoming_fe {
    wy_server *srv;
#if EDGED_HAVE_DBUS
    dm_zeroconf *zc;
#endif
} wyoming_fe;

static const wyoming_config *wyoming_cfg(const dm_daemon *d);

#if EDGED_HAVE_DBUS
/* Advertise F's TCP listener as _wyoming._tcp unless [wyoming] zeroconf says no, or it
 * listens on a loopback address (then only with yes: nobody else can reach it). */
static void advertise(uv_loop_t *loop, wyoming_fe *f, const wyoming_config *c, dm_zc_mode mode)
{
    struct sockaddr_storage sa;
    if (mode == DM_ZC_NO || wy_server_tcp_addr(f->srv, &sa) != 0)
        return;
    dm_zc_options o = {.mode = mode,
                       .type = "_wyoming._tcp",
                       .name = c->zeroconf_name,
                       .what = "wyoming",
                       .key = "[wyoming] zeroconf",
                       .port = ntohs(sa.ss_family == AF_INET
                                         ? ((struct sockaddr_in *)&sa)->sin_port
                                         : ((struct sockaddr_in6 *)&sa)->sin6_port)};
    char msg[128];
    const int scope = dm_zc_scope((struct sockaddr *)&sa, &o.ifindex, &o.proto, msg, sizeof msg);
    if (scope < 0) {
        dm_log(DM_LOG_WARN, "wyoming: not advertised over zeroconf: [wyoming] listen %s: %s",
               c->listen, msg);
        return;
    }
    if (scope == 1 && mode == DM_ZC_AUTO) {
        dm_log(DM_LOG_INFO,
               "wyoming: [wyoming] listen %s is a loopback address: not advertised over zeroconf "
               "(only this machine could connect; [wyoming] zeroconf = yes advertises it on the "
               "loopback interface anyway)",
               c->listen);
        return;
    }
    f->zc = dm_zeroconf_start(loop, &o);
}
#endif

static int fe_start(dm_daemon *d, const dm_listen_fds *fds, void **state)
{
    (void)fds;
    const wyoming_config *c = wyoming_cfg(d);
    if (!c->listen[0] && !c->socket[0])
        return 0;
    char *end = NULL;
    const float threshold = strtof(c->threshold, &end);
    if (!end || *end || !(threshold > 0 && threshold < 1)) {
        dm_log(DM_LOG_ERROR, "wyoming: [wyoming] threshold %s is not a number between 0 and 1",
               c->threshold);
        return -1;
    }
    const wy_options o = {.tcp = c->listen,
                          .socket = c->socket,
                          .socket_mode = c->socket_mode,
                          .models = c->models,
                          .threshold = threshold,
                          .refractory_ms = c->refractory_ms,
                          .max_connections = c->max_connections,
                          .max_streams = c->max_streams,
                          .idle_timeout_ms = c->idle_timeout_ms};
    wyoming_fe *f = calloc(1, sizeof *f);
    if (!f || wy_server_start(d->loop, &o, &f->srv) != 0) {
        free(f);
        return -1;
    }
    const dm_zc_mode mode = strcmp(c->zeroconf, "yes") == 0  ? DM_ZC_YES
                            : strcmp(c->zeroconf, "no") == 0 ? DM_ZC_NO
                                                             : DM_ZC_AUTO;
#if EDGED_HAVE_DBUS
    advertise(d->loop, f, c, mode);
#else
    if (mode == DM_ZC_YES && c->listen[0])
        dm_log(DM_LOG_WARN, "wyoming: [wyoming] zeroconf = yes, but this edged was built without "
                            "sd-bus (-Ddbus): not advertised");
#endif
    *state = f;
    return 0;
}

static void fe_stop(void *state)
{
    wyoming_fe *f = state;
#if EDGED_HAVE_DBUS
    dm_zeroconf_free(f->zc); /* no longer listening: no longer advertised */
    f->zc = NULL;
#endif
    wy_server_stop(f->srv);
}

static void fe_drain(void *state, void (*done)(void *arg), void *arg)
{
    wy_server_drain(((wyoming_fe *)state)->srv, done, arg);
}

static void fe_free(void *state)
{
    wyoming_fe *f = state;
    if (!f)
        return;
#if EDGED_HAVE_DBUS
    dm_zeroconf_free(f->zc);
#endif
    wy_server_free(f->srv);
    free(f);
}

static void fe_metrics(const void *state, FILE *f)
{
    if (!state)
        return;
    const wy_stats q = wy_server_stats(((const wyoming_fe *)state)->srv);
    dm_metrics_put_one(f, "edged_wyoming_models", "gauge",
                       "Wake words the Wyoming server offers ([wyoming] models).", q.models);
    dm_metrics_put_one(f, "edged_wyoming_connections", "gauge",
                       "Wyoming clients (satellites, Home Assistant) connected now.",
                       q.connections);
    dm_metrics_put_one(f, "edged_wyoming_connections_total", "counter",
                       "Wyoming connections accepted.", q.connections_total);
    dm_metrics_put_one(f, "edged_wyoming_connections_refused_total", "counter",
                       "Wyoming connections turned away: [wyoming] max_connections were open.",
                       q.refused);
    dm_metrics_put_one(f, "edged_wyoming_streams", "gauge",
                       "Wyoming audio streams being scored now (between audio-start and "
                       "audio-stop).",
                       q.streams);
    dm_metrics_put_one(f, "edged_wyoming_streams_total", "counter",
                       "Wyoming audio streams started (audio-start).", q.streams_total);
    dm_metrics_put_one(f, "edged_wyoming_streams_refused_total", "counter",
                       "Wyoming audio streams refused: [wyoming] max_streams were being scored.",
                       q.streams_busy);
    dm_metrics_put_one(f, "edged_wyoming_audio_seconds_total", "counter",
                       "Seconds of audio the Wyoming streams scored.", q.samples / 16000);
    dm_metrics_put_one(f, "edged_wyoming_detections_total", "counter",
                       "Wake words detected (detection events sent).", q.detections);
    dm_metrics_put_one(f, "edged_wyoming_not_detected_total", "counter",
                       "Wyoming streams that ended without a detection (not-detected events).",
                       q.not_detected);
    dm_metrics_put_one(f, "edged_wyoming_errors_total", "counter",
                       "Wyoming error events sent (malformed events, bad audio, busy).", q.errors);
    dm_metrics_put_one(f, "edged_wyoming_dropped_total", "counter",
                       "Wyoming clients dropped because they did not read the events edged sent.",
                       q.dropped);
    dm_metrics_put_one(f, "edged_wyoming_idle_closed_total", "counter",
                       "Wyoming connections closed silent: for [wyoming] idle_timeout_ms, or the "
                       "one silent longest to make room at [wyoming] max_connections.",
                       q.idle_closed);
}

static void fe_status(const void *state, dm_frontend_status *out)
{
    out->enabled = true;
    out->connected = wy_server_stats(((const wyoming_fe *)state)->srv).connections > 0;
}

static const char *fe_idle_veto(const dm_daemon *d, const void *state)
{
    (void)d;
    return state ? "Wyoming satellites would find nobody on [wyoming] listen" : NULL;
}

/* ------------------------------------------------------------ [wyoming] */

#define FIELD(f) offsetof(wyoming_config, f), sizeof(((wyoming_config *)0)->f)

static const opt wyoming_options[] = {
    {"wyoming", "listen", NULL, OPT_STRING, FIELD(listen), 0, 63, "", false,
     "Serve wake words to Home Assistant's Wyoming integration and its satellites on this TCP "
     "address: a numeric HOST or HOST:PORT ([V6]:PORT; port 10400 when absent, the Wyoming "
     "wake-word servers' "
     "port): 0.0.0.0 for the LAN, 127.0.0.1 for this machine. Wyoming has no authentication: "
     "anyone who reaches the port may stream audio. Empty (and socket empty): off.",
     NULL},
    {"wyoming", "socket", NULL, OPT_PATH, FIELD(socket), 0, 107, "", false,
     "Serve Wyoming on this Unix socket too (or only), e.g. /run/edged/wyoming.sock, for a "
     "client on this machine. Empty: none.",
     NULL},
    {"wyoming", "socket_mode", NULL, OPT_MODE, FIELD(socket_mode), 0, 0777, "0660", false,
     "Permissions of [wyoming] socket, in octal (set at start whatever the umask).", NULL},
    {"wyoming", "models", NULL, OPT_PATH, FIELD(models), 1, 255, "/var/lib/edged/wakewords", false,
     "The wake-word folder: openWakeWord classifiers (NAME.tflite beside its feature models "
     "melspectrogram.tflite and embedding_model.tflite) and microWakeWord models (NAME.json and "
     "the .tflite it names). Read at start; each is offered to Wyoming clients by its file "
     "name.",
     NULL},
    {"wyoming", "threshold", NULL, OPT_STRING, FIELD(threshold), 1, 15, "0.5", false,
     "openWakeWord's detection threshold (0 to 1; openWakeWord's and wyoming-openwakeword's "
     "default: 0.5). microWakeWord models use the probability_cutoff of their JSON.",
     NULL},
    {"wyoming", "refractory_ms", NULL, OPT_UINT, FIELD(refractory_ms), 1, 60000, "2000", false,
     "After a detection, the same wake word stays quiet this long in that stream (milliseconds "
     "of audio), so that one utterance is one detection.",
     NULL},
    {"wyoming", "max_connections", NULL, OPT_UINT, FIELD(max_connections), 1, 100000, "64", false,
     "Wyoming connections served at once. When a new client arrives at the limit, the "
     "connection silent longest that is not streaming audio is closed to make room (it gets "
     "an error event, evicted); only when every connection holds an audio stream is the "
     "newcomer turned away with an error event (busy) and closed.",
     NULL},
    {"wyoming", "max_streams", NULL, OPT_UINT, FIELD(max_streams), 1, 4096, "16", false,
     "Audio streams scored at once (satellites between audio-start and audio-stop): each has "
     "its interpreters and 256 KiB of audio buffers. Beyond them an audio-start gets an error "
     "event (busy) and its audio is ignored.",
     NULL},
    {"wyoming", "idle_timeout_ms", NULL, OPT_UINT, FIELD(idle_timeout_ms), 0, 86400000, "300000",
     false,
     "A connection that sends nothing (no event: audio, ping, describe) for this long "
     "(milliseconds) gets an error event (idle-timeout) and is closed, so that silent clients "
     "do not hold max_connections. Satellites stream audio without pause while they listen "
     "and reconnect when closed; 5 minutes covers a conversation between two wake words. 0: "
     "never.",
     NULL},
    {"wyoming", "zeroconf", NULL, OPT_CHOICE, FIELD(zeroconf), 2, 4, "auto", false,
     "Advertise the listen address over zeroconf (mDNS/DNS-SD) as a _wyoming._tcp service, so "
     "that Home Assistant discovers it, through avahi-daemon on the system D-Bus: auto "
     "(advertise while avahi-daemon is there; one info line when it is not), yes (the same, "
     "with warnings when it cannot, and a loopback listen address is advertised on the "
     "loopback interface), no. auto skips a loopback listen address (only this machine could "
     "connect). The Unix socket is never advertised. A failure never stops the server.",
     "auto|yes|no"},
    {"wyoming", "zeroconf_name", NULL, OPT_STRING, FIELD(zeroconf_name), 0, 63, "", false,
     "The zeroconf service's name (what a browser lists; Home Assistant shows the name from "
     "the server's info). On a collision avahi's next name is taken (\"NAME #2\"). Empty: "
     "\"edged on HOST\" (this machine's host name).",
     NULL},
};
#undef FIELD

static const dm_config_section wyoming_section = {
    .name = "wyoming",
    .after = "frigate",
    .opts = wyoming_options,
    .n_opts = sizeof wyoming_options / sizeof wyoming_options[0],
    .size = sizeof(wyoming_config),
};

static const wyoming_config *wyoming_cfg(const dm_daemon *d)
{
    return dm_config_section_get(&d->cfg, &wyoming_section);
}

const dm_frontend dm_frontend_wyoming = {
    .name = "wyoming",
    .section = "wyoming",
    .config = &wyoming_section,
    .start = fe_start,
    .stop = fe_stop,
    .drain = fe_drain,
    .free = fe_free,
    .metrics = fe_metrics,
    .status = fe_status,
    .idle_veto = fe_idle_veto,
};
