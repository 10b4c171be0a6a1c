/* daemon/wyoming.c - the Wyoming server (see wyoming.h).
 *
 * Owns: the listeners (TCP, Unix), the connections (a bounded number; each with its parser,
 * its chosen wake words, its stream of audio and the events it is owed), what each event
 * does (describe -> info, detect, audio-start/chunk/stop -> detection / not-detected, a chunk
 * without audio-start beginning a session as wyoming-satellite streams, ping -> pong, anything
 * else ignored as the reference servers do), the jobs that feed the streams on
 * libuv's thread pool (one per connection at a time, so a connection's audio is scored in
 * order; the loop thread never runs an inference), the back-pressure (a connection whose
 * audio waits is not read until it is scored) and the bound on what a client that does not
 * read can make edged hold (WY_OUT_MAX, then the connection is dropped), the idle timeout (a
 * connection that sends nothing for idle_timeout_ms is closed, one timer for all, running only
 * while a connection is open) and making room at max_connections (the connection silent
 * longest, not holding a stream, is closed for the newcomer).
 * Does not own: the framing (wyoming_proto.c), the wake words (audio/wake.h), [wyoming]
 * (wyoming_fe.c). */
#include "wyoming.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon.h"
#include "log.h"
#ifndef EDGED_VERSION
#define EDGED_VERSION "unknown"
#endif
#include "wyoming_proto.h"

#define WY_DEFAULT_PORT "10400"

typedef struct wy_conn wy_conn;

struct wy_server {
    uv_loop_t *loop;
    wy_options o;
    char tcp_name[80], path[108];
    uv_tcp_t tcp;
    uv_pipe_t pipe;
    uv_timer_t idle_timer; /* runs while a connection is open and idle_timeout_ms is set */
    bool has_tcp, has_pipe, stopped, freeing;
    bool full_logged; /* "max_connections reached" said since the server was last not full */
    uint32_t open;    /* connections not closing (st.connections counts those closing too) */
    unsigned handles; /* listeners and connections not yet closed */
    wake_set *set;
    wy_conn *conns;
    size_t jobs;
    wy_stats st;
    void (*drain_done)(void *arg);
    void *drain_arg;
};

struct wy_conn {
    wy_server *s;
    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
        uv_stream_t stream;
        uv_handle_t handle;
    } io;
    wy_conn *prev, *next;
    wy_parser parser;
    uint8_t in[WY_READ_BUF]; /* bytes read and not parsed yet (the parser paused) */
    size_t in_len, in_off;
    bool paused, closing, closed;
    uint64_t last_active; /* uv_now when it last sent a byte (or a job of its ended) */
    /* detect: the models and the names they answer to ("alexa" for alexa_v0.1) */
    size_t models[WY_DETECT_MAX];
    char names[WY_DETECT_MAX][WAKE_NAME_MAX];
    size_t n_models;
    /* the audio session */
    bool streaming, refused, detected;
    bool implicit; /* the stream began with an audio-chunk (no audio-start: wyoming-satellite) */
    wake_convert cv;
    wake_stream *st;      /* made by the first job of a session (its interpreters) */
    bool reset_next;      /* the next job resets it first */
    int16_t *pend, *work; /* WY_PEND_CAP samples each: converted audio waiting, being scored */
    size_t pend_n, work_n;
    /* the job */
    bool busy;
    uv_work_t req;
    wake_detection dets[WY_DETECT_MAX];
    size_t n_dets;
    int job_rc;
    edge_error job_err;
};

typedef struct wy_write {
    uv_write_t req;
    uv_buf_t buf;
} wy_write;

static void conn_close(wy_conn *c);
static void conn_resume(wy_conn *c);

/* ------------------------------------------------------------ writing events */

static void on_written(uv_write_t *req, int status)
{
    wy_write *w = (wy_write *)req;
    (void)status;
    free(w->buf.base);
    free(w);
}

/* Send the event TYPE with DATA (stolen; NULL: none). A client with WY_OUT_MAX bytes it has
 * not taken is dropped. */
static void send_event(wy_conn *c, const char *type, json_t *data)
{
    size_t len = 0;
    uint8_t *bytes = c->closing ? NULL : wy_event_bytes(type, data, NULL, 0, &len);
    json_decref(data);
    if (!bytes)
        return;
    if (uv_stream_get_write_queue_size(&c->io.stream) + len > WY_OUT_MAX) {
        free(bytes);
        c->s->st.dropped++;
        dm_log(DM_LOG_WARN,
               "wyoming: a client has not read %zu bytes of events: dropped (it must read what "
               "edged answers)",
               uv_stream_get_write_queue_size(&c->io.stream));
        conn_close(c);
        return;
    }
    wy_write *w = malloc(sizeof *w);
    if (!w) {
        free(bytes);
        conn_close(c);
        return;
    }
    w->buf = uv_buf_init((char *)bytes, (unsigned)len);
    if (uv_write(&w->req, &c->io.stream, &w->buf, 1, on_written) != 0) {
        free(bytes);
        free(w);
        conn_close(c);
    }
}

static void send_error(wy_conn *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void send_error(wy_conn *c, const char *code, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    c->s->st.errors++;
    dm_log(DM_LOG_DEBUG, "wyoming: error event (%s): %s", code, text);
    send_event(c, "error", json_pack("{s:s, s:s}", "text", text, "code", code));
}

/* ------------------------------------------------------------ describe */

static json_t *attribution(wake_engine e)
{
    return e == WAKE_OWW ? json_pack("{s:s, s:s}", "name", "dscripka", "url",
                                     "https://github.com/dscripka/openWakeWord")
                         : json_pack("{s:s, s:s}", "name", "kahrendt", "url",
                                     "https://github.com/kahrendt/microWakeWord");
}

/* The wake program of engine E with its models (NULL when it has none). */
static json_t *program(const wake_set *set, wake_engine e)
{
    json_t *models = json_array();
    for (size_t i = 0; models && i < wake_set_count(set); i++) {
        const wake_model_info *m = wake_set_model(set, i);
        if (m->engine != e || m->vad)
            continue;
        json_t *langs = json_array();
        for (const char *const *l = m->languages; langs && *l; l++)
            json_array_append_new(langs, json_string(*l));
        json_array_append_new(models, json_pack("{s:s, s:s, s:s, s:o, s:b, s:o, s:n}", "name",
                                                m->name, "description", m->phrase, "phrase",
                                                m->phrase, "attribution", attribution(e),
                                                "installed", 1, "languages", langs, "version"));
    }
    if (!json_array_size(models)) {
        json_decref(models);
        return NULL;
    }
    const bool oww = e == WAKE_OWW;
    return json_pack("{s:s, s:s, s:o, s:b, s:s, s:o}", "name",
                     oww ? "openwakeword" : "microwakeword", "description",
                     oww ? "openWakeWord's models, run by edged"
                         : "microWakeWord's streaming models, run by edged",
                     "attribution", attribution(e), "installed", 1, "version", EDGED_VERSION,
                     "models", models);
}

static void on_describe(wy_conn *c)
{
    json_t *wake = json_array();
    for (wake_engine e = WAKE_OWW; wake && e <= WAKE_MWW; e++) {
        json_t *p = program(c->s->set, e);
        if (p)
            json_array_append_new(wake, p);
    }
    send_event(c, "info",
               json_pack("{s:[], s:[], s:[], s:[], s:o}", "asr", "tts", "handle", "intent", "wake",
                         wake ? wake : json_array()));
}

/* ------------------------------------------------------------ detect */

static void on_detect(wy_conn *c, const json_t *data)
{
    const json_t *names = json_object_get(data, "names");
    c->n_models = 0;
    if (names && !json_is_null(names) && !json_is_array(names)) {
        send_error(c, "bad-data", "detect: \"names\" is not a list of wake-word names");
        return;
    }
    size_t i;
    const json_t *n;
    json_array_foreach(names, i, n)
    {
        const int m = json_is_string(n) ? wake_set_find(c->s->set, json_string_value(n)) : -1;
        if (m < 0 || wake_set_model(c->s->set, (size_t)m)->vad) {
            dm_log(DM_LOG_INFO, "wyoming: detect names %s%s%s, which edged does not have: ignored",
                   json_is_string(n) ? "\"" : "",
                   json_is_string(n) ? json_string_value(n) : "a non-string",
                   json_is_string(n) ? "\"" : "");
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < c->n_models; k++)
            dup |= c->models[k] == (size_t)m;
        if (dup || c->n_models == WY_DETECT_MAX)
            continue;
        c->models[c->n_models] = (size_t)m;
        snprintf(c->names[c->n_models], WAKE_NAME_MAX, "%s", json_string_value(n));
        c->n_models++;
    }
    /* none known (or none named): every wake word, as the reference falls back to its default */
    if (c->st) { /* the next session makes a stream over the new choice */
        wake_stream_free(c->st);
        c->st = NULL;
    }
}

/* ------------------------------------------------------------ the jobs */

static void job_run(uv_work_t *req)
{
    wy_conn *c = req->data;
    c->n_dets = 0;
    c->job_rc = 0;
    if (!c->st) {
        if (wake_stream_new(c->s->set, c->models, c->n_models, NULL, NULL, &c->st, &c->job_err)) {
            c->job_rc = -1;
            return;
        }
    } else if (c->reset_next) {
        wake_stream_reset(c->st);
    }
    c->reset_next = false;
    size_t n = 0;
    if (wake_stream_feed(c->st, c->work, c->work_n, c->dets, WY_DETECT_MAX, &n, &c->job_err))
        c->job_rc = -1;
    c->n_dets = n;
}

static const char *model_name(const wy_conn *c, size_t model)
{
    for (size_t k = 0; k < c->n_models; k++)
        if (c->models[k] == model)
            return c->names[k];
    return wake_set_model(c->s->set, model)->name;
}

static void conn_free(wy_conn *c);
static void kick(wy_conn *c);

static void job_done(uv_work_t *req, int status)
{
    wy_conn *c = req->data;
    wy_server *s = c->s;
    c->busy = false;
    s->jobs--;
    /* the drain's callback, taken first: conn_free may free S (when freeing, there is none) */
    void (*done)(void *) = NULL;
    void *done_arg = s->drain_arg;
    if (s->jobs == 0 && s->drain_done) {
        done = s->drain_done;
        s->drain_done = NULL;
    }
    if (c->closed) {
        conn_free(c);
    } else if (status || c->job_rc) {
        send_error(c, "inference", "wake words: %s",
                   status ? uv_strerror(status) : c->job_err.message);
        c->refused = true; /* the rest of the session is ignored */
        c->pend_n = 0;
        conn_resume(c);
    } else {
        s->st.samples += c->work_n;
        for (size_t i = 0; i < c->n_dets && !c->closing; i++) {
            s->st.detections++;
            c->detected = true;
            send_event(c, "detection",
                       json_pack("{s:s, s:I, s:n}", "name", model_name(c, c->dets[i].model),
                                 "timestamp", (json_int_t)c->dets[i].at_ms, "speaker"));
        }
        if (c->pend_n && !c->closing)
            kick(c);
        else
            conn_resume(c);
    }
    if (done)
        done(done_arg);
}

/* Score the audio waiting (loop thread; C not busy). */
static void kick(wy_conn *c)
{
    int16_t *t = c->work;
    c->work = c->pend;
    c->pend = t;
    c->work_n = c->pend_n;
    c->pend_n = 0;
    c->busy = true;
    c->s->jobs++;
    c->req.data = c;
    const int rc = uv_queue_work(c->s->loop, &c->req, job_run, job_done);
    if (rc) { /* cannot happen with a valid loop and callbacks */
        c->busy = false;
        c->s->jobs--;
        send_error(c, "inference", "wake words: %s", uv_strerror(rc));
    }
}

/* ------------------------------------------------------------ audio */

/* The audio format of DATA (an audio-start or audio-chunk's). */
static int audio_format(wy_conn *c, const char *what, const json_t *data, uint32_t *rate,
                        unsigned *width, unsigned *channels)
{
    const json_t *r = json_object_get(data, "rate"), *w = json_object_get(data, "width"),
                 *ch = json_object_get(data, "channels");
    if (!json_is_integer(r) || !json_is_integer(w) || !json_is_integer(ch) ||
        json_integer_value(r) <= 0 || json_integer_value(r) > 1000000 ||
        json_integer_value(w) <= 0 || json_integer_value(w) > 16 || json_integer_value(ch) <= 0 ||
        json_integer_value(ch) > 64) {
        send_error(c, "bad-audio",
                   "%s: its data must give \"rate\", \"width\" and \"channels\" as positive "
                   "integers (16000, 2, 1)",
                   what);
        return -1;
    }
    *rate = (uint32_t)json_integer_value(r);
    *width = (unsigned)json_integer_value(w);
    *channels = (unsigned)json_integer_value(ch);
    return 0;
}

/* The session's converter for RATE/WIDTH/CHANNELS (kept when they are the same). */
static int converter(wy_conn *c, const char *what, uint32_t rate, unsigned width, unsigned channels)
{
    if (c->cv.rate == rate && c->cv.width == width && c->cv.channels == channels)
        return 0;
    edge_error err = {0};
    if (wake_convert_init(&c->cv, rate, width, channels, &err)) {
        send_error(c, "bad-audio", "%s: %s", what, err.message);
        return -1;
    }
    return 0;
}

/* The stream is idle: nothing waits and nothing is being scored. */
static bool idle(const wy_conn *c)
{
    return !c->busy && c->pend_n == 0;
}

/* A session begins (WHAT: the event that began it, its DATA giving the format). */
static int on_audio_start(wy_conn *c, const char *what, const json_t *data)
{
    if (!idle(c))
        return WY_PAUSE; /* the previous session's audio first */
    wy_server *s = c->s;
    c->streaming = true;
    c->implicit = false;
    c->refused = false;
    c->detected = false;
    uint32_t rate;
    unsigned width, channels;
    memset(&c->cv, 0, sizeof c->cv);
    if (audio_format(c, what, data, &rate, &width, &channels) ||
        converter(c, what, rate, width, channels)) {
        c->refused = true;
        return WY_GO;
    }
    if (!c->pend) {
        if (s->st.streams >= s->o.max_streams) {
            s->st.streams_busy++;
            c->refused = true;
            send_error(c, "busy",
                       "edged scores at most %u streams at once ([wyoming] max_streams): this "
                       "audio is ignored",
                       s->o.max_streams);
            return WY_GO;
        }
        c->pend = malloc(WY_PEND_CAP * sizeof *c->pend);
        c->work = malloc(WY_PEND_CAP * sizeof *c->work);
        if (!c->pend || !c->work) {
            free(c->pend), free(c->work);
            c->pend = c->work = NULL;
            c->refused = true;
            send_error(c, "busy", "edged has no memory for another stream: this audio is ignored");
            return WY_GO;
        }
        s->st.streams++;
    }
    s->st.streams_total++;
    c->reset_next = true;
    return WY_GO;
}

static int on_audio_chunk(wy_conn *c, const wy_event *ev)
{
    if (!c->streaming) {
        /* wyoming-satellite sends its wake service detect, then audio-chunks without an
         * audio-start: the chunk's own format begins the session (ended by audio-stop or the
         * next detect) */
        const int rc = on_audio_start(c, "audio-chunk", ev->data);
        if (rc != WY_GO)
            return rc;
        c->implicit = true;
    }
    if (c->refused || !ev->payload_len)
        return WY_GO;
    uint32_t rate;
    unsigned width, channels;
    if (audio_format(c, "audio-chunk", ev->data, &rate, &width, &channels) ||
        converter(c, "audio-chunk", rate, width, channels)) {
        c->refused = true;
        return WY_GO;
    }
    const size_t frame = (size_t)width * channels;
    if (ev->payload_len % frame) {
        send_error(c, "bad-audio",
                   "audio-chunk: %zu bytes are not whole frames of %u channels of %u bytes",
                   ev->payload_len, channels, width);
        return WY_GO;
    }
    const size_t most = wake_convert_max_out(&c->cv, ev->payload_len);
    if (most > WY_PEND_CAP) {
        send_error(c, "too-large",
                   "audio-chunk: %zu bytes are more than %d samples at 16 kHz: send shorter "
                   "chunks",
                   ev->payload_len, WY_PEND_CAP);
        return WY_GO;
    }
    if (c->pend_n + most > WY_PEND_CAP)
        return WY_PAUSE; /* what waits is scored first */
    size_t n = 0;
    edge_error err = {0};
    if (wake_convert_run(&c->cv, ev->payload, ev->payload_len, c->pend + c->pend_n,
                         WY_PEND_CAP - c->pend_n, &n, &err)) {
        send_error(c, "bad-audio", "audio-chunk: %s", err.message);
        return WY_GO;
    }
    c->pend_n += n;
    if (!c->busy && c->pend_n)
        kick(c);
    return WY_GO;
}

/* The session's stream goes (its interpreters), and its slot among max_streams. */
static void end_stream(wy_conn *c)
{
    if (c->st)
        wake_stream_free(c->st);
    c->st = NULL;
    if (c->pend)
        c->s->st.streams--;
    free(c->pend);
    free(c->work);
    c->pend = c->work = NULL;
    c->pend_n = c->work_n = 0;
}

static int on_audio_stop(wy_conn *c)
{
    if (!idle(c))
        return WY_PAUSE; /* its audio is scored first */
    if (!c->detected) {
        c->s->st.not_detected++;
        send_event(c, "not-detected", NULL);
    }
    c->streaming = false;
    c->detected = false;
    end_stream(c);
    return WY_GO;
}

/* ------------------------------------------------------------ events */

static int on_event(void *arg, const wy_event *ev)
{
    wy_conn *c = arg;
    if (c->closing)
        return WY_PAUSE;
    const char *t = ev->type;
    if (!strcmp(t, "audio-chunk"))
        return on_audio_chunk(c, ev);
    if (!strcmp(t, "audio-start"))
        return on_audio_start(c, "audio-start", ev->data);
    if (!strcmp(t, "audio-stop"))
        return on_audio_stop(c);
    if (!strcmp(t, "detect")) {
        if (!idle(c))
            return WY_PAUSE;
        if (c->streaming && c->implicit) {
            /* a satellite asks again after its pipeline ran: a new session (time and
             * refractory period from 0), which its next audio-chunk begins */
            c->streaming = false;
            c->detected = false;
            end_stream(c);
        }
        on_detect(c, ev->data);
    } else if (!strcmp(t, "describe")) {
        on_describe(c);
    } else if (!strcmp(t, "ping")) {
        const json_t *text = json_object_get(ev->data, "text");
        send_event(c, "pong", json_is_string(text) ? json_pack("{s:O}", "text", text) : NULL);
    } else {
        dm_log(DM_LOG_DEBUG, "wyoming: event %s ignored (not a wake-word event)", t);
    }
    return WY_GO;
}

/* Parse what was read; a protocol error is said and the connection closed. */
static void parse_input(wy_conn *c)
{
    wy_error err = {0};
    const long used =
        wy_parse(&c->parser, c->in + c->in_off, c->in_len - c->in_off, on_event, c, &err);
    if (used < 0) {
        dm_log(DM_LOG_INFO, "wyoming: a client's bytes are not Wyoming (%s): closed", err.text);
        send_error(c, err.code, "%s; edged closes the connection", err.text);
        conn_close(c);
        return;
    }
    c->in_off += (size_t)used;
    if (c->in_off < c->in_len || c->parser.held) {
        c->paused = true; /* the rest once the stream is idle (conn_resume) */
        return;
    }
    c->in_off = c->in_len = 0;
    c->paused = false;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    wy_conn *c = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)c->in + c->in_len, (unsigned)(sizeof c->in - c->in_len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    wy_conn *c = st->data;
    (void)buf;
    if (n < 0) {
        dm_log(DM_LOG_DEBUG, "wyoming: a client closed: %s", uv_strerror((int)n));
        conn_close(c);
        return;
    }
    c->in_len += (size_t)n;
    if (n > 0)
        c->last_active = uv_now(c->s->loop); /* any event counts: ping, audio, describe */
    parse_input(c);
    if (c->paused && !c->closing)
        uv_read_stop(&c->io.stream);
}

/* The stream became idle (or a job ended): parse what was left, then read again. */
static void conn_resume(wy_conn *c)
{
    c->last_active = uv_now(c->s->loop); /* its silence counts from the end of its job */
    if (!c->paused || c->closing)
        return;
    parse_input(c);
    if (!c->paused && !c->closing && !c->s->stopped)
        uv_read_start(&c->io.stream, on_alloc, on_read);
}

/* ------------------------------------------------------------ connections */

static void release_handle(wy_server *s);

static void conn_free(wy_conn *c)
{
    wy_server *s = c->s;
    end_stream(c);
    wy_parser_free(&c->parser);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->st.connections--;
    if (!s->conns && !s->freeing)
        uv_timer_stop(&s->idle_timer); /* no connection: no timer (an idle edged sleeps) */
    free(c);
    release_handle(s);
}

static void on_conn_closed(uv_handle_t *h)
{
    wy_conn *c = h->data;
    c->closed = true;
    if (!c->busy)
        conn_free(c); /* else when its job returns */
}

static void conn_close(wy_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    c->s->open--;
    uv_read_stop(&c->io.stream);
    uv_close(&c->io.handle, on_conn_closed);
}

static void on_refused_closed(uv_handle_t *h)
{
    wy_conn *c = h->data;
    wy_server *s = c->s;
    free(c);
    release_handle(s);
}

/* C sent nothing for a while and holds no stream: a client may go, edged may close it. */
static bool silent(const wy_conn *c)
{
    return !c->closing && !c->busy && !c->paused && !c->pend;
}

/* At max_connections: close the connection silent longest that holds no stream (a satellite
 * between two sessions reconnects; a client that connected and said nothing is the usual
 * one), with an error event saying why. False when every connection holds a stream. */
static bool make_room(wy_server *s)
{
    wy_conn *best = NULL;
    for (wy_conn *c = s->conns; c; c = c->next)
        if (silent(c) && (!best || c->last_active <= best->last_active))
            best = c; /* the list is newest first: of equals, the one that came first */
    if (!best)
        return false;
    s->st.idle_closed++;
    dm_log(DM_LOG_DEBUG, "wyoming: closing the connection silent longest to make room");
    send_error(best, "evicted",
               "edged serves at most %u Wyoming connections ([wyoming] max_connections) and "
               "closed this one, silent longest, for a new client: connect again",
               s->o.max_connections);
    conn_close(best);
    return true;
}

/* Turn C away: an error event (busy) if the socket takes it at once, then the close. */
static void refuse(wy_server *s, wy_conn *c)
{
    s->st.refused++;
    if (!s->full_logged)
        dm_log(DM_LOG_WARN,
               "wyoming: %u connections are open, each holding an audio stream ([wyoming] "
               "max_connections): new clients are turned away (busy) until one ends",
               s->o.max_connections);
    s->full_logged = true;
    char msg[200];
    size_t len = 0;
    snprintf(msg, sizeof msg,
             "edged serves at most %u Wyoming connections ([wyoming] max_connections), each "
             "streaming audio now: try again later",
             s->o.max_connections);
    json_t *d = json_pack("{s:s, s:s}", "text", msg, "code", "busy");
    uint8_t *b = wy_event_bytes("error", d, NULL, 0, &len);
    json_decref(d);
    if (b) {
        uv_buf_t ub = uv_buf_init((char *)b, (unsigned)len);
        uv_try_write(&c->io.stream, &ub, 1); /* best effort: it is closed anyway */
        free(b);
    }
    uv_close(&c->io.handle, on_refused_closed);
}

static void on_idle_timer(uv_timer_t *t);

/* The idle timer runs while a connection is open (an idle edged runs no timer). */
static void idle_timer_arm(wy_server *s)
{
    if (s->o.idle_timeout_ms && !s->stopped && !uv_is_active((uv_handle_t *)&s->idle_timer))
        uv_timer_start(&s->idle_timer, on_idle_timer, s->o.idle_timeout_ms, 0);
}

/* Close the connections silent for idle_timeout_ms; wake again at the next one due (at most
 * once a second, or once per timeout when it is shorter). */
static void on_idle_timer(uv_timer_t *t)
{
    wy_server *s = t->data;
    const uint64_t now = uv_now(s->loop), idle = s->o.idle_timeout_ms;
    uint64_t next = UINT64_MAX;
    for (wy_conn *c = s->conns; c; c = c->next) {
        if (c->closing)
            continue;
        if (c->busy || c->paused) /* its audio is being scored: not silent */
            c->last_active = now;
        if (c->last_active + idle > now) {
            next = c->last_active + idle < next ? c->last_active + idle : next;
            continue;
        }
        s->st.idle_closed++;
        dm_log(DM_LOG_INFO,
               "wyoming: a client sent nothing for %llu ms ([wyoming] "
               "idle_timeout_ms): closed",
               (unsigned long long)(now - c->last_active));
        send_error(c, "idle-timeout",
                   "no event for %u ms ([wyoming] idle_timeout_ms): edged closes the connection; "
                   "connect again (or send ping events while silent)",
                   s->o.idle_timeout_ms);
        conn_close(c);
    }
    if (next == UINT64_MAX || s->stopped)
        return; /* no connection left: armed again by the next one */
    const uint64_t floor = idle < 1000 ? idle : 1000;
    uv_timer_start(&s->idle_timer, on_idle_timer, next - now > floor ? next - now : floor, 0);
}

static void on_connection(uv_stream_t *listener, int status)
{
    wy_server *s = listener->data;
    if (status < 0 || s->stopped)
        return;
    const bool tcp = listener == (uv_stream_t *)&s->tcp;
    wy_conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->s = s;
    if (tcp)
        uv_tcp_init(s->loop, &c->io.tcp);
    else
        uv_pipe_init(s->loop, &c->io.pipe, 0);
    c->io.handle.data = c;
    s->handles++;
    if (uv_accept(listener, &c->io.stream) != 0) {
        uv_close(&c->io.handle, on_refused_closed);
        return;
    }
    if (s->open >= s->o.max_connections && !make_room(s)) {
        refuse(s, c);
        return;
    }
    if (wy_parser_init(&c->parser) != 0) {
        wy_parser_free(&c->parser);
        uv_close(&c->io.handle, on_refused_closed);
        return;
    }
    if (tcp)
        uv_tcp_nodelay(&c->io.tcp, 1);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    c->last_active = uv_now(s->loop);
    s->open++;
    s->st.connections++;
    s->st.connections_total++;
    if (s->open < s->o.max_connections)
        s->full_logged = false;
    idle_timer_arm(s);
    uv_read_start(&c->io.stream, on_alloc, on_read);
}

/* ------------------------------------------------------------ the server */

static void server_free_now(wy_server *s)
{
    wake_set_free(s->set);
    if (s->path[0] && unlink(s->path) && errno != ENOENT)
        dm_log(DM_LOG_WARN, "wyoming: cannot remove %s: %s", s->path, strerror(errno));
    free(s);
}

static void release_handle(wy_server *s)
{
    if (--s->handles == 0 && s->freeing && s->jobs == 0)
        server_free_now(s);
}

static void on_listener_closed(uv_handle_t *h)
{
    release_handle(h->data);
}

static void wake_log(void *arg, const char *msg)
{
    (void)arg;
    dm_log(DM_LOG_WARN, "wyoming: %s", msg);
}

/* O->tcp with the default port when it has none: "0.0.0.0" -> "0.0.0.0:10400". */
static void with_port(const char *v, char *out, size_t len)
{
    const char *colon = strrchr(v, ':');
    const bool v6 = v[0] == '[';
    const bool has_port = v6 ? (strstr(v, "]:") != NULL) : (colon && strchr(v, ':') == colon);
    if (has_port)
        snprintf(out, len, "%s", v);
    else if (v6 || !strchr(v, ':'))
        snprintf(out, len, "%s:%s", v, WY_DEFAULT_PORT);
    else
        snprintf(out, len, "[%s]:%s", v, WY_DEFAULT_PORT); /* a bare IPv6 address */
}

static int listen_tcp(wy_server *s)
{
    struct sockaddr_storage sa;
    char msg[256];
    with_port(s->o.tcp, s->tcp_name, sizeof s->tcp_name);
    if (dm_parse_addr(s->tcp_name, &sa, msg, sizeof msg) != 0) {
        dm_log(DM_LOG_ERROR, "wyoming: [wyoming] listen %s: %s", s->o.tcp, msg);
        return -1;
    }
    uv_tcp_init(s->loop, &s->tcp);
    s->tcp.data = s;
    s->has_tcp = true;
    s->handles++;
    int rc = uv_tcp_bind(&s->tcp, (struct sockaddr *)&sa, 0);
    if (!rc)
        rc = uv_listen((uv_stream_t *)&s->tcp, SOMAXCONN, on_connection);
    if (rc) {
        dm_log(DM_LOG_ERROR, "wyoming: cannot listen on %s ([wyoming] listen): %s", s->tcp_name,
               uv_strerror(rc));
        return -1;
    }
    return 0;
}

static int listen_unix(wy_server *s)
{
    if (strlen(s->o.socket) >= sizeof s->path) {
        dm_log(DM_LOG_ERROR, "wyoming: [wyoming] socket %s is longer than %zu bytes", s->o.socket,
               sizeof s->path - 1);
        return -1;
    }
    uv_pipe_init(s->loop, &s->pipe, 0);
    s->pipe.data = s;
    s->has_pipe = true;
    s->handles++;
    struct stat sb;
    if (lstat(s->o.socket, &sb) == 0 && S_ISSOCK(sb.st_mode))
        unlink(s->o.socket); /* a stale one from a crash */
    int rc = uv_pipe_bind(&s->pipe, s->o.socket);
    if (!rc) {
        snprintf(s->path, sizeof s->path, "%s", s->o.socket);
        if (chmod(s->path, s->o.socket_mode) != 0)
            rc = -errno;
    }
    if (!rc)
        rc = uv_listen((uv_stream_t *)&s->pipe, SOMAXCONN, on_connection);
    if (rc) {
        dm_log(DM_LOG_ERROR, "wyoming: cannot listen on %s ([wyoming] socket): %s", s->o.socket,
               uv_strerror(rc));
        return -1;
    }
    return 0;
}

int wy_server_start(uv_loop_t *loop, const wy_options *o, wy_server **out)
{
    *out = NULL;
    wy_server *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->loop = loop;
    s->o = *o;
    const wake_set_options wo = {
        .threads = 1, .oww_threshold = o->threshold, .refractory_ms = o->refractory_ms};
    edge_error err = {0};
    if (wake_set_open(o->models, &wo, wake_log, NULL, &s->set, &err)) {
        dm_log(DM_LOG_ERROR, "wyoming: [wyoming] models: %s", err.message);
        free(s);
        return -1;
    }
    uv_timer_init(loop, &s->idle_timer);
    uv_unref((uv_handle_t *)&s->idle_timer); /* it never keeps the loop (edged's stop) alive */
    s->idle_timer.data = s;
    s->handles++;
    s->st.models = 0;
    for (size_t i = 0; i < wake_set_count(s->set); i++)
        s->st.models += !wake_set_model(s->set, i)->vad;
    if (s->st.models == 0)
        dm_log(DM_LOG_WARN,
               "wyoming: no wake word in %s ([wyoming] models): nothing can be detected",
               o->models);
    if ((o->tcp[0] && listen_tcp(s)) || (o->socket[0] && listen_unix(s))) {
        s->freeing = true;
        s->stopped = true;
        uv_close((uv_handle_t *)&s->idle_timer, on_listener_closed);
        if (s->has_tcp)
            uv_close((uv_handle_t *)&s->tcp, on_listener_closed);
        if (s->has_pipe)
            uv_close((uv_handle_t *)&s->pipe, on_listener_closed);
        return -1; /* freed once the loop closed the listeners */
    }
    dm_log(DM_LOG_INFO, "wyoming: %llu wake words of %s on %s%s%s",
           (unsigned long long)s->st.models, o->models, s->has_tcp ? s->tcp_name : "",
           s->has_tcp && s->has_pipe ? " and " : "", s->has_pipe ? s->path : "");
    *out = s;
    return 0;
}

void wy_server_stop(wy_server *s)
{
    if (!s || s->stopped)
        return;
    s->stopped = true;
    uv_timer_stop(&s->idle_timer);
    if (s->has_tcp)
        uv_close((uv_handle_t *)&s->tcp, on_listener_closed);
    if (s->has_pipe)
        uv_close((uv_handle_t *)&s->pipe, on_listener_closed);
    for (wy_conn *c = s->conns; c; c = c->next)
        if (!c->closing)
            uv_read_stop(&c->io.stream);
}

void wy_server_drain(wy_server *s, void (*done)(void *arg), void *arg)
{
    if (s->jobs == 0) {
        done(arg);
        return;
    }
    s->drain_done = done;
    s->drain_arg = arg;
}

void wy_server_free(wy_server *s)
{
    if (!s)
        return;
    wy_server_stop(s);
    s->freeing = true;
    s->drain_done = NULL;
    s->handles++; /* held across the closes below */
    uv_close((uv_handle_t *)&s->idle_timer, on_listener_closed);
    for (wy_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        conn_close(c);
    }
    release_handle(s);
}

wy_stats wy_server_stats(const wy_server *s)
{
    return s ? s->st : (wy_stats){0};
}

int wy_server_tcp_addr(const wy_server *s, struct sockaddr_storage *out)
{
    int len = sizeof *out;
    if (!s || !s->has_tcp || s->stopped)
        return -1;
    return uv_tcp_getsockname(&s->tcp, (struct sockaddr *)out, &len) == 0 ? 0 : -1;
}
