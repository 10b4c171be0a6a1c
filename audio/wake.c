/* audio/wake.c - a set of wake-word models and streams scored against them (wake.h).
 *
 * Owns: scanning a folder (and its subfolders, one level) for openWakeWord classifiers and
 * microWakeWord models, names and phrases, streams (one openWakeWord feature pipeline per stream
 * shared by its openWakeWord classifiers; one microfrontend per stream shared by its
 * microWakeWord models), thresholds, the refractory period (in audio time: one utterance, one
 * detection), detection times. Does not own: the engines (audio/oww.c, audio/mww.c), audio
 * conversion (audio/convert.c). */
#include "wake.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "oww.h"
#ifdef WAKE_HAVE_MWW
#include "microfrontend.h"
#include "mww.h"
#endif
#include "wake_util.h"

#define OWW_MEL_FILE "melspectrogram.tflite"
#define OWW_EMB_FILE "embedding_model.tflite"
#define MAX_MODELS 256
#define SCAN_DEPTH 1

static const char *const lang_en[] = {"en", NULL};

typedef struct wake_entry {
    wake_model_info info;
    oww_classifier *oww;
#ifdef WAKE_HAVE_MWW
    struct mww_model *mww;
#endif
} wake_entry;

struct wake_set {
    wake_entry *e;
    size_t n, cap;
    oww_features *feat;
    wake_set_options o;
    wake_log_fn log;
    void *log_arg;
};

typedef struct stream_model {
    size_t index; /* in the set */
    const wake_entry *e;
    oww_scorer *sc;
#ifdef WAKE_HAVE_MWW
    struct mww_stream *ms;
#endif
    uint64_t quiet_until_ms; /* refractory: no detection before this */
} stream_model;

struct wake_stream {
    const wake_set *set;
    stream_model *m;
    size_t n;
    oww_stream *oww; /* NULL: no openWakeWord model */
#ifdef WAKE_HAVE_MWW
    mfe_state *mfe; /* NULL: no microWakeWord model */
    uint16_t features[MWW_CHANNELS];
    uint64_t mfe_frames; /* front-end frames since the start */
#endif
    wake_score_fn score;
    void *score_arg;
    uint64_t samples;
};

static void logf_(const wake_set *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(const wake_set *s, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    if (!s->log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->log(s->log_arg, msg);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Length of NAME without a version suffix "_v<digits>[.<digits>...]" ("alexa_v0.1" -> 5). */
static size_t base_len(const char *name)
{
    const char *v = strrchr(name, '_');
    if (!v || v[1] != 'v' || !isdigit((unsigned char)v[2]))
        return strlen(name);
    for (const char *p = v + 2; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            return strlen(name);
    return (size_t)(v - name);
}

/* openWakeWord's phrase from a file stem: "hey_jarvis_v0.1" -> "hey jarvis". */
static void phrase_of(const char *name, char *out, size_t cap)
{
    size_t n = base_len(name), j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++)
        out[j++] = name[i] == '_' ? ' ' : (char)tolower((unsigned char)name[i]);
    out[j] = '\0';
}

static wake_entry *add_entry(wake_set *s)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        if (cap > MAX_MODELS)
            return NULL;
        wake_entry *e = realloc(s->e, cap * sizeof *e);
        if (!e)
            return NULL;
        s->e = e;
        s->cap = cap;
    }
    wake_entry *e = &s->e[s->n];
    memset(e, 0, sizeof *e);
    return e;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* DIR's feature models, if the set has none yet. */
static void open_features(wake_set *s, const char *dir)
{
    char mel[4096], emb[4096];
    edge_error err = {0};
    snprintf(mel, sizeof mel, "%s/%s", dir, OWW_MEL_FILE);
    snprintf(emb, sizeof emb, "%s/%s", dir, OWW_EMB_FILE);
    if (s->feat || !is_file(mel) || !is_file(emb))
        return;
    if (oww_features_open(mel, emb, s->o.threads, &s->feat, &err))
        logf_(s,
              "wake words: %s: openWakeWord's feature models cannot load, its classifiers "
              "are skipped: %s",
              dir, err.message);
}

static void add_oww(wake_set *s, const char *dir, const char *file)
{
    char path[4096];
    edge_error err = {0};
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (!s->feat) {
        logf_(s, "wake words: %s skipped: no %s and %s beside it (openWakeWord's features)", path,
              OWW_MEL_FILE, OWW_EMB_FILE);
        return;
    }
    oww_classifier *c;
    if (oww_classifier_open(path, s->o.threads, &c, &err)) {
        logf_(s, "wake words: %s skipped: %s", path, err.message);
        return;
    }
    wake_entry *e = add_entry(s);
    if (!e) {
        logf_(s, "wake words: %s skipped: more than %d models or no memory", path, MAX_MODELS);
        oww_classifier_free(c);
        return;
    }
    size_t stem = strlen(file) - strlen(".tflite");
    if (stem >= WAKE_NAME_MAX)
        stem = WAKE_NAME_MAX - 1;
    memcpy(e->info.name, file, stem);
    e->info.name[stem] = '\0';
    phrase_of(e->info.name, e->info.phrase, sizeof e->info.phrase);
    e->info.languages = lang_en;
    e->info.engine = WAKE_OWW;
    e->info.threshold = s->o.oww_threshold;
    e->info.window = 1;
    e->oww = c;
    s->n++;
}

static void add_mww(wake_set *s, const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
#ifdef WAKE_HAVE_MWW
    static const char *const lang_none[] = {NULL};
    edge_error err = {0};
    wake_entry *e = add_entry(s);
    if (!e) {
        logf_(s, "wake words: %s skipped: more than %d models or no memory", path, MAX_MODELS);
        return;
    }
    if (mww_model_open(path, s->o.threads, &e->mww, &e->info, &err)) {
        logf_(s, "wake words: %s skipped: %s", path, err.message);
        return;
    }
    if (!e->info.languages)
        e->info.languages = lang_none;
    e->info.engine = WAKE_MWW;
    s->n++;
#else
    logf_(s, "wake words: %s skipped: this edged has no microWakeWord engine", path);
#endif
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Whether FILE (a .tflite in DIR) belongs to a microWakeWord JSON: NAME.json beside it. */
static bool has_json(const char *dir, const char *file)
{
    char path[4096];
    int stem = (int)(strlen(file) - strlen(".tflite"));
    snprintf(path, sizeof path, "%s/%.*s.json", dir, stem, file);
    return is_file(path);
}

static int scan(wake_set *s, const char *dir, int depth, edge_error *err)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, by_name);
    if (n < 0)
        return wake_fail(err, EDGE_EIO, "wake words: cannot read the folder %s: %s", dir,
                         strerror(errno));
    open_features(s, dir);
    for (int i = 0; i < n; i++) {
        const char *f = ents[i]->d_name;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, f);
        if (f[0] == '.')
            continue;
        if (ends_with(f, ".json") && is_file(path))
            add_mww(s, dir, f);
        else if (ends_with(f, ".tflite") && strcmp(f, OWW_MEL_FILE) && strcmp(f, OWW_EMB_FILE) &&
                 !has_json(dir, f) && is_file(path))
            add_oww(s, dir, f);
    }
    for (int i = 0; i < n; i++) {
        const char *f = ents[i]->d_name;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, f);
        if (depth > 0 && f[0] != '.' && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            scan(s, path, depth - 1, NULL); /* an unreadable subfolder: skipped */
    }
    for (int i = 0; i < n; i++)
        free(ents[i]);
    free(ents);
    return 0;
}

int wake_set_open(const char *dir, const wake_set_options *o, wake_log_fn log, void *log_arg,
                  wake_set **out, edge_error *err)
{
    wake_set *s = calloc(1, sizeof *s);
    if (!s)
        return wake_fail(err, EDGE_ENOMEM, "wake words: no memory");
    if (o)
        s->o = *o;
    if (s->o.oww_threshold <= 0.0f)
        s->o.oww_threshold = 0.5f;
    if (!s->o.refractory_ms)
        s->o.refractory_ms = 2000;
    if (!s->o.threads)
        s->o.threads = 1;
    s->log = log;
    s->log_arg = log_arg;
    if (scan(s, dir, SCAN_DEPTH, err)) {
        wake_set_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void wake_set_free(wake_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        oww_classifier_free(s->e[i].oww);
#ifdef WAKE_HAVE_MWW
        mww_model_free(s->e[i].mww);
#endif
    }
    oww_features_free(s->feat);
    free(s->e);
    free(s);
}

size_t wake_set_count(const wake_set *s)
{
    return s->n;
}

const wake_model_info *wake_set_model(const wake_set *s, size_t i)
{
    return i < s->n ? &s->e[i].info : NULL;
}

int wake_set_find(const wake_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++) /* the file stem */
        if (strcmp(s->e[i].info.name, name) == 0)
            return (int)i;
    for (size_t i = 0; i < s->n; i++) /* the phrase */
        if (strcasecmp(s->e[i].info.phrase, name) == 0)
            return (int)i;
    for (size_t i = 0; i < s->n; i++) { /* the stem without its version: "alexa" */
        size_t b = base_len(s->e[i].info.name);
        if (b == strlen(name) && strncmp(s->e[i].info.name, name, b) == 0)
            return (int)i;
    }
    return -1;
}

/* ---- streams ---- */

static int stream_model_new(wake_stream *st, stream_model *m, edge_error *err)
{
    const wake_set *s = st->set;
    m->e = &s->e[m->index];
    if (m->e->info.engine == WAKE_OWW) {
        if (!st->oww && oww_stream_new(s->feat, &st->oww, err))
            return -1;
        return oww_scorer_new(m->e->oww, &m->sc, err);
    }
#ifdef WAKE_HAVE_MWW
    if (!st->mfe) {
        mfe_config c;
        mfe_config_default_mww(&c);
        if (mfe_new(&c, WAKE_RATE, &st->mfe, err))
            return -1;
    }
    return mww_stream_new(m->e->mww, &m->ms, err);
#else
    return wake_fail(err, EDGE_EUNSUPPORTED, "wake words: no microWakeWord engine");
#endif
}

int wake_stream_new(const wake_set *s, const size_t *models, size_t n, wake_score_fn score,
                    void *score_arg, wake_stream **out, edge_error *err)
{
    wake_stream *st = calloc(1, sizeof *st);
    size_t count = n;
    if (!n)
        for (size_t i = 0; i < s->n; i++)
            count += !s->e[i].info.vad;
    if (!st || !(st->m = calloc(count ? count : 1, sizeof *st->m))) {
        free(st);
        return wake_fail(err, EDGE_ENOMEM, "wake words: no memory for a stream");
    }
    st->set = s;
    st->score = score;
    st->score_arg = score_arg;
    for (size_t i = 0, k = 0; k < count; i++) {
        size_t idx = n ? models[i] : i;
        if (n && idx >= s->n) {
            wake_stream_free(st);
            return wake_fail(err, EDGE_EINVAL,
                             "wake words: model %zu is not in the set (%zu models)", idx, s->n);
        }
        if (!n && s->e[idx].info.vad)
            continue;
        st->m[k].index = idx;
        st->n = ++k;
        if (stream_model_new(st, &st->m[k - 1], err)) {
            wake_stream_free(st);
            return -1;
        }
    }
    *out = st;
    return 0;
}

void wake_stream_free(wake_stream *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++) {
        oww_scorer_free(st->m[i].sc);
#ifdef WAKE_HAVE_MWW
        mww_stream_free(st->m[i].ms);
#endif
    }
    oww_stream_free(st->oww);
#ifdef WAKE_HAVE_MWW
    mfe_free(st->mfe);
#endif
    free(st->m);
    free(st);
}

void wake_stream_reset(wake_stream *st)
{
    if (st->oww)
        oww_stream_reset(st->oww);
#ifdef WAKE_HAVE_MWW
    if (st->mfe)
        mfe_reset(st->mfe);
    st->mfe_frames = 0;
#endif
    for (size_t i = 0; i < st->n; i++) {
#ifdef WAKE_HAVE_MWW
        if (st->m[i].ms)
            mww_stream_reset(st->m[i].ms);
#endif
        st->m[i].quiet_until_ms = 0;
    }
    st->samples = 0;
}

uint64_t wake_stream_samples(const wake_stream *st)
{
    return st->samples;
}

/* SCORE of model M at AT_MS: reported, then a detection when above the threshold and past the
 * refractory period. */
static void judge(wake_stream *st, stream_model *m, uint64_t at_ms, float score, bool may_fire,
                  wake_detection *out, size_t max, size_t *n_out)
{
    if (st->score)
        st->score(st->score_arg, m->index, at_ms, score);
    if (!may_fire || !(score > m->e->info.threshold) || at_ms < m->quiet_until_ms)
        return;
    m->quiet_until_ms = at_ms + st->set->o.refractory_ms;
    if (*n_out < max)
        out[(*n_out)++] = (wake_detection){.model = m->index, .at_ms = at_ms, .score = score};
}

static int feed_oww(wake_stream *st, const int16_t *pcm, size_t n, wake_detection *out, size_t max,
                    size_t *n_out, edge_error *err)
{
    uint64_t base = st->samples;
    size_t done = 0;
    while (done < n) {
        size_t used;
        int rc = oww_stream_push(st->oww, pcm + done, n - done, &used, err);
        done += used;
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue;
        uint64_t at_ms = (base + done) * 1000 / WAKE_RATE;
        for (size_t i = 0; i < st->n; i++) {
            stream_model *m = &st->m[i];
            float score;
            if (!m->sc)
                continue;
            if (oww_scorer_run(m->sc, st->oww, &score, err))
                return -1;
            judge(st, m, at_ms, score, true, out, max, n_out);
        }
    }
    return 0;
}

#ifdef WAKE_HAVE_MWW
static int feed_mww(wake_stream *st, const int16_t *pcm, size_t n, wake_detection *out, size_t max,
                    size_t *n_out, edge_error *err)
{
    uint64_t base = st->samples;
    size_t done = 0;
    while (done < n) {
        size_t used = 0;
        int got = mfe_process(st->mfe, pcm + done, n - done, &used, st->features);
        done += used;
        if (!got) {
            if (used == 0)
                break;
            continue;
        }
        uint64_t at_ms = (base + done) * 1000 / WAKE_RATE;
        bool may_fire = ++st->mfe_frames > MWW_MIN_FRAMES; /* ESPHome's rule after a reset */
        for (size_t i = 0; i < st->n; i++) {
            stream_model *m = &st->m[i];
            float prob, mean;
            if (!m->ms)
                continue;
            int rc = mww_stream_frame(m->ms, st->features, &prob, &mean, err);
            if (rc < 0)
                return -1;
            if (rc > 0)
                judge(st, m, at_ms, mean, may_fire, out, max, n_out);
        }
    }
    return 0;
}
#endif

int wake_stream_feed(wake_stream *st, const int16_t *pcm, size_t n, wake_detection *out, size_t max,
                     size_t *n_out, edge_error *err)
{
    *n_out = 0;
    if (st->oww && feed_oww(st, pcm, n, out, max, n_out, err))
        return -1;
#ifdef WAKE_HAVE_MWW
    if (st->mfe && feed_mww(st, pcm, n, out, max, n_out, err))
        return -1;
#endif
    st->samples += n;
    return 0;
}
