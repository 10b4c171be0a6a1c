/* daemon/wakeword.c - the model kind `wakeword`: a folder of the model repository whose
 * model.conf says `kind = wakeword` holds openWakeWord and microWakeWord models (audio/wake.h),
 * and OIP requests (and MQTT's, mqtt_req.c, through the same dm_wakeword_submit) stream audio
 * to it in a sequence (Triton's sequence extension) and get each wake word's score and detection
 * back (issue 47, Deliver 5).
 *
 * Owns: finding those folders at start (the registry skips them: they have no version
 * folders), opening each one's wake_set, the request's syntax (one input of INT16 samples or
 * one BYTES element of 16-bit PCM, JSON or the binary tensor extension, or raw 16 kHz PCM
 * without JSON; parameters.rate optional; sequence_id required), its sequences (one wake_stream
 * each, made on the thread pool at sequence_start, at most [scheduler] max_sequences live per
 * model, one chunk at a time with at most 16 waiting behind it in arrival order, ended by
 * sequence_end or after [scheduler] sequence_idle_ms idle),
 * running each chunk on libuv's thread pool, the answer, and its /metrics lines. A front end in the
 * table (frontends.c) for its start, drain, free, metrics and tick; it has no config section of its
 * own (its table row names [models], whose repository holds the folders).
 * Does not own: the engines (audio/wake.c, oww.c, mww.c), routing (oip.c: oip_inference.c and
 * oip_models.c ask here first; mqtt_req.c), the answer's transport (the chunk's done callback), the
 * parameters' rules (request_params.c), model.conf's syntax (modelconf.c). Loop thread, but for the
 * work items (which touch their sequence only). */
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "audio/wake.h"
#include "clock.h"
#include "codec.h"
#include "common/cleanup.h"
#include "frontend.h"
#include "http.h"
#include "json_dump.h"
#include "log.h"
#include "modelconf.h"
#include "registry.h"
#include "request_params.h"
#include "wakeword.h"

#define WK_MODELS_MAX 16                /* kind = wakeword folders served */
#define WK_SAMPLES_MAX (WAKE_RATE * 10) /* one chunk at most: 10 s at 16 kHz (after conversion) */
#define WK_DETECTIONS_MAX 16 /* per chunk (one per wake word with the refractory period) */
#define WK_WAIT_MAX 16       /* chunks waiting behind a sequence's running one (or queue_depth) */

static const dm_param_src json_src = {"parameters.", "parameters"};

/* One live sequence. */
typedef struct wk_seq {
    struct wk_seq *next;
    char id[DM_SEQ_ID_MAX + 1];
    wake_stream *st; /* made by its first work item */
    wake_convert conv;
    bool convert; /* rate other than 16 kHz */
    bool busy;    /* a work item runs on it */
    bool ending;  /* sequence_end came: no chunk after it; freed once its chunks are answered */
    uint64_t last_ns;
    struct wk_job *cur;                   /* the work item running on it (the scores go there) */
    struct wk_job *wait_head, *wait_tail; /* admitted behind it, in arrival order */
    size_t waiting;
} wk_seq;

typedef struct wk_model {
    char name[65];
    wake_set *set;
    wk_seq *seqs;
    size_t live;
    uint64_t chunks, detections, refused;
} wk_model;

typedef struct wk_state {
    dm_daemon *d;
    wk_model m[WK_MODELS_MAX];
    size_t n;
    size_t pending; /* work items in flight */
    void (*drained)(void *arg);
    void *drained_arg;
} wk_state;

/* One chunk's work. */
typedef struct wk_job {
    uv_work_t work;
    struct wk_job *next; /* waiting behind its sequence's running chunk */
    wk_state *s;
    wk_model *m;
    wk_seq *q;
    void (*done)(void *ctx, int status, char *body, const char *msg); /* the chunk's */
    void *ctx;
    bool start, end;
    json_t *id;     /* the request's "id", echoed */
    json_t *seq_id; /* parameters.sequence_id as sent, echoed */
    int16_t *pcm;   /* 16 kHz samples (converted by the work when the rate differs) */
    uint8_t *raw;   /* the request's bytes when they need conversion */
    size_t n, raw_bytes;
    /* results */
    float score[WK_MODELS_MAX * 4];
    wake_detection det[WK_DETECTIONS_MAX];
    size_t n_det;
    int rc;
    char err[600]; /* an edge_error's message and our words */
} wk_job;

/* ---------------------------------------------------------------- the state */

static wk_state *state_of(dm_daemon *d)
{
    extern const dm_frontend dm_frontend_wakeword;
    for (size_t i = 0; d && i < d->n_frontends; i++)
        if (d->frontends[i] == &dm_frontend_wakeword)
            return d->fe[i];
    return NULL;
}

static wk_model *find_model(dm_daemon *d, const char *name)
{
    wk_state *s = state_of(d);
    for (size_t i = 0; s && i < s->n; i++)
        if (strcmp(s->m[i].name, name) == 0)
            return &s->m[i];
    return NULL;
}

static wk_seq *find_seq(wk_model *m, const char *id)
{
    for (wk_seq *q = m->seqs; q; q = q->next)
        if (strcmp(q->id, id) == 0)
            return q;
    return NULL;
}

static void seq_free(wk_model *m, wk_seq *q)
{
    wk_seq **pp = &m->seqs;
    while (*pp != q)
        pp = &(*pp)->next;
    *pp = q->next;
    m->live--;
    wake_stream_free(q->st);
    free(q);
}

/* M's sequences idle for [scheduler] sequence_idle_ms go. */
static void expire(const wk_state *s, wk_model *m)
{
    const uint64_t now = dm_now_ns(), idle = (uint64_t)s->d->cfg.sequence_idle_ms * 1000000u;
    for (wk_seq *q = m->seqs, *next; q; q = next) {
        next = q->next;
        if (!q->busy && now - q->last_ns >= idle)
            seq_free(m, q);
    }
}

/* ---------------------------------------------------------------- the request */

/* BIN_LEN bytes of 16-bit PCM at BIN (WHERE: what holds them) into *RAW (malloc'd), *BYTES:
 * 0, or 400/503 with ERR. */
static int copy_pcm(const uint8_t *bin, size_t bin_len, uint8_t **raw, size_t *bytes,
                    const char *where, char *err, size_t len)
{
    if (bin_len % 2) {
        snprintf(err, len, "%s: 16-bit PCM has an even number of bytes, got %zu", where, bin_len);
        return 400;
    }
    if (!(*raw = malloc(bin_len ? bin_len : 1))) {
        snprintf(err, len, "out of memory for %zu bytes of audio", bin_len);
        return 503;
    }
    memcpy(*raw, bin, bin_len);
    *bytes = bin_len;
    return 0;
}

/* The samples of the one input of ROOT (NULL: BIN is raw PCM): JSON data (INT16) or BIN/BIN_LEN
 * (the binary tensor extension: INT16 little-endian, or one BYTES element: a 4-byte length, then
 * 16-bit PCM). 0 with *RAW (malloc'd) and *BYTES, or 400 with ERR. */
static int read_audio(const json_t *root, const uint8_t *bin, size_t bin_len, bool binary,
                      uint8_t **raw, size_t *bytes, char *err, size_t len)
{
    if (!root) /* raw PCM: as the binary data of an INT16 input */
        return copy_pcm(bin, bin_len, raw, bytes, "the payload", err, len);
    const json_t *inputs = json_object_get(root, "inputs");
    if (!json_is_array(inputs) || json_array_size(inputs) != 1) {
        snprintf(err, len, "inputs must be an array of one input (the audio), got %s",
                 json_is_array(inputs) ? "another count" : "none");
        return 400;
    }
    const json_t *in = json_array_get(inputs, 0);
    const char *dt = json_string_value(json_object_get(in, "datatype"));
    if (!dt || (strcmp(dt, "INT16") && strcmp(dt, "BYTES"))) {
        snprintf(err, len,
                 "inputs[0].datatype must be INT16 (16 kHz samples, or parameters.rate) or "
                 "BYTES (one element of 16-bit little-endian PCM), got %s",
                 dt ? dt : "none");
        return 400;
    }
    const bool is_bytes = dt[0] == 'B';
    const json_t *data = json_object_get(in, "data");
    const json_t *bds = json_object_get(json_object_get(in, "parameters"), "binary_data_size");
    if (binary && bds) {
        if (!json_is_integer(bds) || json_integer_value(bds) != (json_int_t)bin_len) {
            snprintf(err, len,
                     "inputs[0].parameters.binary_data_size must be the %zu bytes after the "
                     "JSON header",
                     bin_len);
            return 400;
        }
        if (is_bytes) { /* one element: its 4-byte length, then the bytes */
            uint32_t n = 0;
            if (bin_len >= 4)
                n = (uint32_t)bin[0] | (uint32_t)bin[1] << 8 | (uint32_t)bin[2] << 16 |
                    (uint32_t)bin[3] << 24;
            if (bin_len < 4 || n != bin_len - 4) {
                snprintf(err, len,
                         "inputs[0]: a BYTES tensor holds one element here (4 bytes of its "
                         "length, then the PCM): %zu bytes do not",
                         bin_len);
                return 400;
            }
            bin += 4;
            bin_len -= 4;
        }
        return copy_pcm(bin, bin_len, raw, bytes, "inputs[0]", err, len);
    }
    if (is_bytes) {
        snprintf(err, len,
                 "inputs[0]: BYTES audio comes as binary data (the binary tensor extension: "
                 "Inference-Header-Content-Length); in JSON send INT16 samples");
        return 400;
    }
    if (!json_is_array(data)) {
        snprintf(err, len, "inputs[0].data must be an array of INT16 samples");
        return 400;
    }
    const size_t n = json_array_size(data);
    if (n > WK_SAMPLES_MAX * 12) {
        snprintf(err, len, "inputs[0]: %zu samples; a chunk has at most %d", n,
                 WK_SAMPLES_MAX * 12);
        return 400;
    }
    int16_t *pcm = malloc(n ? n * 2 : 1);
    if (!pcm) {
        snprintf(err, len, "out of memory for %zu samples", n);
        return 503;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(data, i);
        const json_int_t k = json_is_integer(v) ? json_integer_value(v) : INT64_MIN;
        if (k < INT16_MIN || k > INT16_MAX) {
            snprintf(err, len, "inputs[0].data[%zu] is not an INT16 (-32768 to 32767)", i);
            free(pcm);
            return 400;
        }
        pcm[i] = (int16_t)k;
    }
    *raw = (uint8_t *)pcm;
    *bytes = n * 2;
    return 0;
}

/* parameters: the sequence's (through the request layer's rules; SEQ, when given, wins) and
 * rate. ROOT may be NULL (raw PCM: 16 kHz). */
static int read_params(const json_t *root, const dm_seq_params *seq, dm_req_params *rp,
                       uint32_t *rate, char *err, size_t len)
{
    dm_req_params_init(rp);
    *rate = WAKE_RATE;
    const json_t *p = json_object_get(root, "parameters");
    if (p && !json_is_object(p)) {
        snprintf(err, len, "parameters must be an object");
        return 400;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)p, key, v)
    {
        dm_param pv;
        dm_codec_json_param(v, &pv);
        const int rc = dm_req_param(rp, key, &pv, &json_src, err, len);
        if (rc < 0)
            return 400;
        if (rc == 1 && strcmp(key, "rate") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 8000 ||
                json_integer_value(v) > 192000) {
                snprintf(err, len, "parameters.rate must be an integer from 8000 to 192000 (Hz)");
                return 400;
            }
            *rate = (uint32_t)json_integer_value(v);
        }
    }
    if (seq)
        rp->seq = *seq;
    if (dm_req_params_check(rp, &json_src, err, len))
        return 400;
    if (!rp->seq.id[0]) {
        snprintf(err, len,
                 "a wakeword model takes audio in a sequence: %s (and sequence_start on its "
                 "first chunk, sequence_end on its last)",
                 root ? "parameters.sequence_id" : "the user property sequence_id");
        return 400;
    }
    return 0;
}

/* The chunk's error answer: STATUS, "model 'NAME': " and FMT. */
static void fail(void (*done)(void *, int, char *, const char *), void *ctx, int status,
                 const char *name, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void fail(void (*done)(void *, int, char *, const char *), void *ctx, int status,
                 const char *name, const char *fmt, ...)
{
    char msg[1024];
    int n = snprintf(msg, sizeof msg, "model '%s': ", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    done(ctx, status, NULL, msg);
}

/* ---------------------------------------------------------------- the work */

static void on_score(void *arg, size_t model, uint64_t at_ms, float score)
{
    (void)at_ms;
    const wk_seq *q = arg;
    wk_job *j = q->cur;
    if (model < sizeof j->score / sizeof j->score[0] && score > j->score[model])
        j->score[model] = score;
}

/* On the thread pool: the stream (made at the sequence's first chunk), conversion, the feed. */
static void job_run(uv_work_t *w)
{
    wk_job *j = w->data;
    wk_seq *q = j->q;
    edge_error e = {0};
    j->rc = 0;
    q->cur = j;
    if (!q->st && wake_stream_new(j->m->set, NULL, 0, on_score, q, &q->st, &e)) {
        snprintf(j->err, sizeof j->err, "cannot start the sequence's stream: %s", e.message);
        j->rc = -1;
        return;
    }
    if (j->start)
        wake_stream_reset(q->st);
    if (j->raw && q->convert) {
        if (wake_convert_run(&q->conv, j->raw, j->raw_bytes, j->pcm, WK_SAMPLES_MAX, &j->n, &e)) {
            snprintf(j->err, sizeof j->err, "%s", e.message);
            j->rc = -2;
            return;
        }
    }
    size_t found = 0;
    if (wake_stream_feed(q->st, j->pcm, j->n, j->det, WK_DETECTIONS_MAX, &found, &e)) {
        snprintf(j->err, sizeof j->err, "inference failed: %s", e.message);
        j->rc = -1;
    }
    j->n_det = found;
}

static json_t *tensor(const char *name, const char *type, size_t n, json_t *data)
{
    return json_pack("{s:s, s:s, s:[I], s:o}", "name", name, "datatype", type, "shape",
                     (json_int_t)n, "data", data);
}

/* The answer: each wake word's name, its highest score in this chunk, and its detection. */
static json_t *answer_json(const wk_job *j)
{
    const wake_set *set = j->m->set;
    json_t *names = json_array(), *scores = json_array(), *hit = json_array(), *at = json_array();
    size_t n = 0;
    for (size_t i = 0; i < wake_set_count(set); i++) {
        const wake_model_info *mi = wake_set_model(set, i);
        if (mi->vad)
            continue;
        int64_t when = -1;
        for (size_t k = 0; k < j->n_det; k++)
            if (j->det[k].model == i)
                when = (int64_t)j->det[k].at_ms;
        json_array_append_new(names, json_string(mi->name));
        json_array_append_new(
            scores, json_real(i < sizeof j->score / sizeof j->score[0] ? j->score[i] : 0.0));
        json_array_append_new(hit, json_boolean(when >= 0));
        json_array_append_new(at, json_integer(when));
        n++;
    }
    json_t *params = json_pack("{s:O?, s:I}", "sequence_id", j->seq_id, "samples",
                               (json_int_t)(j->q->st ? wake_stream_samples(j->q->st) : 0));
    json_t *r =
        json_pack("{s:s, s:s, s:o, s:[o, o, o, o]}", "model_name", j->m->name, "model_version", "1",
                  "parameters", params, "outputs", tensor("words", "BYTES", n, names),
                  tensor("scores", "FP32", n, scores), tensor("detected", "BOOL", n, hit),
                  tensor("detection_ms", "INT64", n, at));
    if (r && j->id)
        json_object_set(r, "id", j->id);
    return r;
}

static void job_free(wk_job *j)
{
    json_decref(j->id);
    json_decref(j->seq_id);
    free(j->pcm);
    free(j->raw);
    free(j);
}

static void job_done(uv_work_t *w, int status);

/* One work item fewer: the drain's callback once none is left. */
static void job_gone(wk_state *s)
{
    if (--s->pending == 0 && s->drained) {
        void (*cb)(void *) = s->drained;
        s->drained = NULL;
        cb(s->drained_arg);
    }
}

/* Run J (counted in pending, its sequence busy) on the thread pool: 0, or -1 (J answered 503
 * and freed, pending not counting it). */
static int job_queue(wk_job *j)
{
    j->work.data = j;
    if (!uv_queue_work(j->s->d->loop, &j->work, job_run, job_done))
        return 0;
    fail(j->done, j->ctx, 503, j->m->name, "cannot queue the work");
    wk_state *s = j->s;
    job_free(j);
    job_gone(s);
    return -1;
}

/* Q's next waiting chunk runs, or, with none, Q is idle (and freed when it ended). FAILED: the
 * chunk before failed with nothing to continue from (MSG): the waiting ones are answered so. */
static void seq_next(wk_model *m, wk_seq *q, bool failed, const char *msg)
{
    while (q->wait_head) {
        wk_job *j = q->wait_head;
        q->wait_head = j->next;
        if (!q->wait_head)
            q->wait_tail = NULL;
        q->waiting--;
        if (!failed && job_queue(j) == 0)
            return; /* busy still */
        if (failed) {
            fail(j->done, j->ctx, 500, m->name,
                 "sequence '%s' ended: an earlier chunk failed (%s); start it again", q->id, msg);
            wk_state *s = j->s;
            job_free(j);
            job_gone(s);
        }
    }
    q->busy = false;
    if (q->ending || failed)
        seq_free(m, q);
}

/* Back on the loop thread: answer, then the sequence's next chunk, or its end. */
static void job_done(uv_work_t *w, int status)
{
    wk_job *j = w->data;
    wk_state *s = j->s;
    wk_seq *q = j->q;
    bool failed = false;
    q->last_ns = dm_now_ns();
    j->m->chunks++;
    j->m->detections += j->n_det;
    if (status || j->rc) {
        if (j->rc == -2)
            fail(j->done, j->ctx, 400, j->m->name, "%s", j->err);
        else
            fail(j->done, j->ctx, 500, j->m->name, "%s",
                 status ? "the work was cancelled" : j->err);
        failed = !q->st || j->rc == -1; /* nothing to continue from */
    } else {
        json_t *r = answer_json(j);
        char *text = r ? dm_json_dumps(r, JSON_COMPACT) : NULL;
        json_decref(r);
        if (!text)
            fail(j->done, j->ctx, 503, j->m->name, "out of memory for the answer");
        else
            j->done(j->ctx, 200, text, NULL);
    }
    wk_model *m = j->m;
    char msg[sizeof j->err];
    snprintf(msg, sizeof msg, "%s", status ? "the work was cancelled" : j->err);
    job_free(j);
    seq_next(m, q, failed, msg);
    job_gone(s);
}

/* ---------------------------------------------------------------- admission */

/* The sequence P names for a chunk: made or restarted at sequence_start. NULL: answered. */
static wk_seq *admit(wk_state *s, wk_model *m, const dm_wakeword_chunk *x, const dm_seq_params *p,
                     uint32_t rate)
{
    wk_seq *q = find_seq(m, p->id);
    if (q && q->busy && p->start) {
        m->refused++;
        fail(x->done, x->ctx, 400, m->name,
             "sequence '%s' has a chunk in flight: sequence_start restarts an idle sequence "
             "only (wait for its answers, or use a new id)",
             p->id);
        return NULL;
    }
    const size_t wait_max =
        s->d->cfg.queue_depth < WK_WAIT_MAX ? s->d->cfg.queue_depth : WK_WAIT_MAX;
    if (q && q->busy && !q->ending && q->waiting >= wait_max) {
        m->refused++;
        fail(x->done, x->ctx, 429, m->name,
             "sequence '%s' has %zu chunks waiting behind the one running (at most %zu: "
             "[scheduler] queue_depth, 16 at most); try again later",
             p->id, q->waiting, wait_max);
        return NULL;
    }
    if (!p->start && (!q || q->ending)) {
        m->refused++;
        fail(x->done, x->ctx, 400, m->name,
             "sequence '%s' is unknown: it was never started, it ended "
             "(sequence_end), or it expired (idle longer than [scheduler] "
             "sequence_idle_ms = %" PRIu32 " ms); start it with sequence_start",
             p->id, s->d->cfg.sequence_idle_ms);
        return NULL;
    }
    if (!q) {
        if (m->live >= s->d->cfg.max_sequences) {
            m->refused++;
            fail(x->done, x->ctx, 429, m->name,
                 "%zu live sequences already, the limit ([scheduler] "
                 "max_sequences = %" PRIu32 "); end one (sequence_end) or let one "
                 "expire (sequence_idle_ms = %" PRIu32 " ms)",
                 m->live, s->d->cfg.max_sequences, s->d->cfg.sequence_idle_ms);
            return NULL;
        }
        if (!(q = calloc(1, sizeof *q))) {
            fail(x->done, x->ctx, 503, m->name, "out of memory for a sequence");
            return NULL;
        }
        snprintf(q->id, sizeof q->id, "%s", p->id);
        q->last_ns = dm_now_ns();
        q->next = m->seqs;
        m->seqs = q;
        m->live++;
    }
    if (p->start) {
        edge_error e = {0};
        q->convert = rate != WAKE_RATE;
        if (q->convert && wake_convert_init(&q->conv, rate, 2, 1, &e)) {
            fail(x->done, x->ctx, 400, m->name, "parameters.rate: %s", e.message);
            seq_free(m, q);
            return NULL;
        }
    }
    return q;
}

bool dm_wakeword_is(dm_daemon *d, const char *name)
{
    return find_model(d, name) != NULL;
}

/* Chunk C's JSON, parameters and audio: 0 with *ROOT (NULL for raw PCM), RP, RATE, *RAW and
 * BYTES, or an HTTP status with ERR (nothing held). */
static int read_chunk(const wk_model *m, const dm_wakeword_chunk *c, json_t **root,
                      dm_req_params *rp, uint32_t *rate, uint8_t **raw, size_t *bytes, char *err,
                      size_t len)
{
    *root = NULL;
    if (c->json) {
        json_error_t je;
        *root = json_loadb((const char *)c->json, c->json_len, 0, &je);
        if (!json_is_object(*root)) {
            json_decref(*root);
            *root = NULL;
            snprintf(err, len, "the request is not a JSON object (line %d: %s)", je.line, je.text);
            return 400;
        }
    }
    int st = read_params(*root, c->seq, rp, rate, err, len);
    if (!st)
        st = read_audio(*root, c->bin, c->bin_len, c->binary, raw, bytes, err, len);
    const wk_seq *q = st ? NULL : find_seq((wk_model *)m, rp->seq.id);
    if (!st && !rp->seq.start && q && q->convert != (*rate != WAKE_RATE))
        st = 400, snprintf(err, len, "parameters.rate changed within the sequence");
    const size_t out_max = *bytes / 2 * (size_t)WAKE_RATE / *rate + 2;
    if (!st && out_max > WK_SAMPLES_MAX)
        st = 400, snprintf(err, len,
                           "a chunk of %zu samples at %" PRIu32 " Hz is over %d s; send "
                           "shorter chunks",
                           *bytes / 2, *rate, WK_SAMPLES_MAX / WAKE_RATE);
    if (st) {
        free(*raw);
        *raw = NULL;
        json_decref(*root);
        *root = NULL;
    }
    return st;
}

bool dm_wakeword_submit(dm_daemon *d, const char *name, int64_t version, const dm_wakeword_chunk *c)
{
    wk_model *m = find_model(d, name);
    if (!m)
        return false;
    wk_state *s = state_of(d);
    if (version > 1) {
        fail(c->done, c->ctx, 404, name, "a wakeword model has version 1 only");
        return true;
    }
    expire(s, m);
    char err[400];
    dm_req_params rp;
    uint32_t rate;
    uint8_t *raw = NULL;
    size_t bytes = 0;
    json_t *root = NULL;
    const int st = read_chunk(m, c, &root, &rp, &rate, &raw, &bytes, err, sizeof err);
    if (st) {
        if (st == 400)
            m->refused++;
        fail(c->done, c->ctx, st, name, "%s", err);
        return true;
    }
    wk_job *j = calloc(1, sizeof *j);
    wk_seq *q = j ? admit(s, m, c, &rp.seq, rate) : NULL;
    if (!q) {
        if (!j)
            fail(c->done, c->ctx, 503, name, "out of memory");
        free(j);
        free(raw);
        json_decref(root);
        return true;
    }
    *j = (wk_job){.s = s,
                  .m = m,
                  .q = q,
                  .done = c->done,
                  .ctx = c->ctx,
                  .start = rp.seq.start,
                  .end = rp.seq.end};
    j->id = json_incref(json_object_get(root, "id"));
    /* the id as sent: the JSON's, or (MQTT's user properties, which win) a string */
    j->seq_id =
        c->seq ? json_string(rp.seq.id)
               : json_incref(json_object_get(json_object_get(root, "parameters"), "sequence_id"));
    json_decref(root);
    if (q->convert) {
        j->raw = raw;
        j->raw_bytes = bytes;
        j->pcm = malloc(WK_SAMPLES_MAX * sizeof *j->pcm);
    } else {
        j->pcm = (int16_t *)raw;
        j->n = bytes / 2;
    }
    if (!j->pcm) {
        fail(c->done, c->ctx, 503, name, "out of memory");
        if (!q->st && !q->busy) /* nothing to continue from */
            seq_free(m, q);
        job_free(j);
        return true;
    }
    q->ending = rp.seq.end;
    s->pending++;
    if (q->busy) { /* it waits its turn: arrival order, one at a time */
        if (q->wait_tail)
            q->wait_tail->next = j;
        else
            q->wait_head = j;
        q->wait_tail = j;
        q->waiting++;
        return true;
    }
    q->busy = true;
    if (job_queue(j))
        seq_next(m, q, !q->st, "cannot queue the work");
    return true;
}

/* An OIP request's answer (the chunk's done). */
static void http_done(void *ctx, int status, char *body, const char *msg)
{
    dm_exchange *x = ctx;
    if (status != 200)
        dm_http_error(x, status, "%s", msg);
    else
        dm_http_reply(x, &(dm_http_response){
                             .status = 200, .header_len = -1, .body = body, .len = strlen(body)});
}

bool dm_wakeword_infer(dm_daemon *d, dm_exchange *x, const char *name, int64_t version)
{
    if (!find_model(d, name))
        return false;
    const dm_http_request *req = dm_http_req(x);
    const int64_t hlen = req->header_len;
    const size_t blen = req->body_len;
    if (hlen < -1 || (hlen >= 0 && (uint64_t)hlen > blen)) {
        dm_http_error(x, 400,
                      "model '%s': Inference-Header-Content-Length must be a decimal number of "
                      "bytes within the body (%zu)",
                      name, blen);
        return true;
    }
    const size_t jlen = hlen >= 0 ? (size_t)hlen : blen;
    return dm_wakeword_submit(d, name, version,
                              &(dm_wakeword_chunk){.json = req->body,
                                                   .json_len = jlen,
                                                   .bin = req->body + jlen,
                                                   .bin_len = blen - jlen,
                                                   .binary = hlen >= 0,
                                                   .done = http_done,
                                                   .ctx = x});
}

bool dm_wakeword_metadata(dm_daemon *d, dm_exchange *x, const char *name, int64_t version)
{
    wk_model *m = find_model(d, name);
    if (!m)
        return false;
    if (version > 1) {
        dm_http_error(x, 404, "model '%s' (a wakeword model) has version 1 only", name);
        return true;
    }
    json_t *words = json_array();
    for (size_t i = 0; i < wake_set_count(m->set); i++) {
        const wake_model_info *mi = wake_set_model(m->set, i);
        if (!mi->vad)
            json_array_append_new(
                words,
                json_pack("{s:s, s:s, s:s, s:f}", "name", mi->name, "phrase", mi->phrase, "engine",
                          mi->engine == WAKE_MWW ? "microwakeword" : "openwakeword", "threshold",
                          (double)mi->threshold));
    }
    json_t *r =
        json_pack("{s:s, s:[s], s:s, s:s, s:o, s:[{s:s, s:s, s:[i, i]}], s:["
                  "{s:s, s:s, s:[i]}, {s:s, s:s, s:[i]}, {s:s, s:s, s:[i]}, {s:s, s:s, s:[i]}]}",
                  "name", m->name, "versions", "1", "platform", "edged_wakeword", "kind",
                  "wakeword", "wake_words", words, "inputs", "name", "audio", "datatype", "INT16",
                  "shape", 1, -1, "outputs", "name", "words", "datatype", "BYTES", "shape", -1,
                  "name", "scores", "datatype", "FP32", "shape", -1, "name", "detected", "datatype",
                  "BOOL", "shape", -1, "name", "detection_ms", "datatype", "INT64", "shape", -1);
    char *text = r ? dm_json_dumps(r, JSON_COMPACT) : NULL;
    json_decref(r);
    if (!text)
        dm_http_error(x, 503, "model '%s': out of memory", name);
    else
        dm_http_reply(x, &(dm_http_response){
                             .status = 200, .header_len = -1, .body = text, .len = strlen(text)});
    return true;
}

/* ---------------------------------------------------------------- the front end's hooks */

static void log_line(void *arg, const char *msg)
{
    dm_log(DM_LOG_WARN, "wakeword model %s: %s", (const char *)arg, msg);
}

/* Open the kind = wakeword folder NAME of the repository into M: 0, or -1 (logged). */
static int open_model(const dm_config *c, const char *name, wk_model *m)
{
    char dir[4096], conf_path[4200], err[512];
    snprintf(dir, sizeof dir, "%s/%s", c->models_dir, name);
    snprintf(conf_path, sizeof conf_path, "%s/model.conf", dir);
    dm_model_conf conf;
    if (dm_model_conf_load(conf_path, &conf, err, sizeof err)) {
        dm_log(DM_LOG_ERROR, "wakeword model %s: %s", name, err);
        return -1;
    }
    if (conf.kind != DM_KIND_WAKEWORD)
        return -1;
    snprintf(m->name, sizeof m->name, "%s", name);
    const wake_set_options o = {.threads = 1,
                                .oww_threshold = conf.wake.threshold,
                                .refractory_ms = conf.wake.refractory_ms};
    edge_error e = {0};
    if (wake_set_open(dir, &o, log_line, m->name, &m->set, &e)) {
        dm_log(DM_LOG_ERROR, "wakeword model %s: %s", name, e.message);
        return -1;
    }
    if (!wake_set_count(m->set)) {
        dm_log(DM_LOG_ERROR, "wakeword model %s: no wake-word model loads from %s", name, dir);
        wake_set_free(m->set);
        m->set = NULL;
        return -1;
    }
    dm_log(DM_LOG_INFO, "wakeword model %s: %zu models from %s", name, wake_set_count(m->set), dir);
    return 0;
}

/* A folder of the repository whose model.conf says kind = wakeword. */
static bool is_wakeword_dir(const char *repo, const char *name)
{
    char path[4096];
    struct stat st;
    if (name[0] == '.' || !dm_model_name_valid(name, strlen(name)) ||
        snprintf(path, sizeof path, "%s/%s/model.conf", repo, name) >= (int)sizeof path ||
        stat(path, &st) || !S_ISREG(st.st_mode))
        return false;
    dm_model_conf conf;
    char err[512];
    return dm_model_conf_load(path, &conf, err, sizeof err) == 0 && conf.kind == DM_KIND_WAKEWORD;
}

static int fe_start(dm_daemon *d, const dm_listen_fds *fds, void **state)
{
    (void)fds;
    DIR *dh = opendir(d->cfg.models_dir);
    if (!dh)
        return 0; /* the registry says why */
    wk_state *s = NULL;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (!is_wakeword_dir(d->cfg.models_dir, de->d_name))
            continue;
        if (!s && !(s = calloc(1, sizeof *s))) {
            dm_log(DM_LOG_ERROR, "out of memory for the wakeword models");
            break;
        }
        if (s->n == WK_MODELS_MAX) {
            dm_log(DM_LOG_WARN, "wakeword model %s: skipped, %d are served at most", de->d_name,
                   WK_MODELS_MAX);
            continue;
        }
        if (open_model(&d->cfg, de->d_name, &s->m[s->n]) == 0)
            s->n++;
    }
    closedir(dh);
    if (s && !s->n) {
        free(s);
        s = NULL;
    }
    if (s)
        s->d = d;
    *state = s;
    return 0;
}

static void fe_drain(void *state, void (*done)(void *arg), void *arg)
{
    wk_state *s = state;
    if (!s->pending) {
        done(arg);
        return;
    }
    s->drained = done;
    s->drained_arg = arg;
}

static void fe_free(void *state)
{
    wk_state *s = state;
    for (size_t i = 0; i < s->n; i++) {
        while (s->m[i].seqs)
            seq_free(&s->m[i], s->m[i].seqs);
        wake_set_free(s->m[i].set);
    }
    free(s);
}

/* Once a second (service.c's tick, while requests are answered), and before each chunk: idle
 * sequences expire. */
static void fe_tick(void *state)
{
    wk_state *s = state;
    for (size_t i = 0; i < s->n; i++)
        expire(s, &s->m[i]);
}

static void fe_metrics(const void *state, FILE *f)
{
    const wk_state *s = state;
    if (!s)
        return;
    static const struct {
        const char *name, *type, *help;
    } fam[] = {
        {"edged_wakeword_sequences", "gauge", "Live audio sequences of a wakeword model."},
        {"edged_wakeword_chunks_total", "counter", "Audio chunks a wakeword model scored."},
        {"edged_wakeword_detections_total", "counter", "Wake words a wakeword model detected."},
        {"edged_wakeword_refused_total", "counter",
         "Chunks refused (bad request, sequence unknown or busy, too many sequences)."},
    };
    for (size_t k = 0; k < sizeof fam / sizeof fam[0]; k++) {
        dm_metrics_put_head(f, fam[k].name, fam[k].type, fam[k].help);
        for (size_t i = 0; i < s->n; i++) {
            const wk_model *m = &s->m[i];
            const uint64_t v = k == 0   ? m->live
                               : k == 1 ? m->chunks
                               : k == 2 ? m->detections
                                        : m->refused;
            fprintf(f, "%s{model=\"", fam[k].name);
            dm_metrics_put_label(f, m->name);
            fprintf(f, "\"} %" PRIu64 "\n", v);
        }
    }
}

const dm_frontend dm_frontend_wakeword = {
    .name = "wakeword",
    .section = "models", /* no section of its own: [models] repository holds its folders */
    .start = fe_start,
    .drain = fe_drain,
    .free = fe_free,
    .metrics = fe_metrics,
    .tick = fe_tick,
};
