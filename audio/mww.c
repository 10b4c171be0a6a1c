/* audio/mww.c - microWakeWord's engine (mww.h).
 *
 * Owns: the JSON's checks and the model's (what ESPHome's StreamingModel checks at load: an int8
 * input [1, STEP, 40], a one-value uint8 output), the frame gathering, the invoke and the window
 * of probabilities. The gathered frames are kept in the stream and copied into the input before
 * each invoke (libedge may reuse the input's bytes once read). Written from ESPHome's
 * esphome/components/micro_wake_word (micro_wake_word.cpp, streaming_model.cpp).
 * Does not own: the front end (microfrontend.c), detection policy (wake.c). */
#include "mww.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <edge/runtime.h>
#include "wake_util.h"

#define JSON_MAX_BYTES (64 * 1024)
#define MAX_LANGS 8

struct mww_model {
    edge_model *model;
    wake_model_info info;
    unsigned step;
    const char *langs[MAX_LANGS + 1];
    char lang_buf[MAX_LANGS][16];
};

struct mww_stream {
    const mww_model *m;
    edge_interp *it;
    unsigned pos;    /* frames gathered for the next invoke */
    unsigned idx;    /* next slot of the window */
    uint32_t sum;    /* of the window's raw probabilities */
    int8_t *frames;  /* step * MWW_CHANNELS */
    uint8_t *recent; /* window raw probabilities */
    int out_signed;  /* int8 output (raw + 128) instead of uint8 */
};

int8_t mww_quantize(uint16_t v)
{
    int32_t q = ((int32_t)v * 256 + 666 / 2) / 666 - 128;
    return (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
}

/* NAME gets PATH's file name without ".json". */
static void stem_of(const char *path, char *name, size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && strcmp(b + n - 5, ".json") == 0)
        n -= 5;
    if (n >= cap)
        n = cap - 1;
    memcpy(name, b, n);
    name[n] = '\0';
}

static json_t *load_json(const char *path, edge_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return wake_fail(err, EDGE_EIO, "%s: cannot read the file", path), NULL;
    if (st.st_size > JSON_MAX_BYTES)
        return wake_fail(err, EDGE_ELIMIT, "%s: %lld bytes, above the %d a model's JSON may have",
                         path, (long long)st.st_size, JSON_MAX_BYTES),
               NULL;
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return wake_fail(err, EDGE_EFORMAT, "%s:%d: %s", path, je.line, je.text), NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        return wake_fail(err, EDGE_EFORMAT, "%s: not a JSON object", path), NULL;
    }
    return j;
}

/* The JSON's fields into M's info; *MODEL the .tflite's file name (owned by J). */
static int read_fields(const char *path, json_t *j, mww_model *m, const char **model,
                       edge_error *err)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type || strcmp(type, "micro") != 0)
        return wake_fail(err, EDGE_EFORMAT,
                         "%s: \"type\" is not \"micro\" (not a microWakeWord model)", path);
    *model = json_string_value(json_object_get(j, "model"));
    if (!*model || !**model || strchr(*model, '/') || strcmp(*model, "..") == 0)
        return wake_fail(err, EDGE_EFORMAT, "%s: \"model\" is not a file name beside the JSON",
                         path);
    json_t *micro = json_object_get(j, "micro");
    json_t *cut = json_object_get(micro, "probability_cutoff");
    json_t *win = json_object_get(micro, "sliding_window_size");
    json_t *step = json_object_get(micro, "feature_step_size");
    if (!json_is_number(cut) || !(json_number_value(cut) > 0 && json_number_value(cut) < 1))
        return wake_fail(err, EDGE_EFORMAT, "%s: micro.probability_cutoff missing or not in (0, 1)",
                         path);
    if (!json_is_integer(win) || json_integer_value(win) < 1 ||
        json_integer_value(win) > MWW_MAX_WINDOW)
        return wake_fail(err, EDGE_EFORMAT, "%s: micro.sliding_window_size missing or not in 1..%d",
                         path, MWW_MAX_WINDOW);
    if (!json_is_integer(step) || json_integer_value(step) != MWW_STEP_MS)
        return wake_fail(err, EDGE_EUNSUPPORTED,
                         "%s: micro.feature_step_size missing or not %d (the front end's step, ms)",
                         path, MWW_STEP_MS);
    wake_model_info *in = &m->info;
    stem_of(path, in->name, sizeof in->name);
    const char *phrase = json_string_value(json_object_get(j, "wake_word"));
    snprintf(in->phrase, sizeof in->phrase, "%s", phrase ? phrase : in->name);
    in->engine = WAKE_MWW;
    in->threshold = (float)json_number_value(cut);
    in->window = (unsigned)json_integer_value(win);
    in->vad = strcasecmp(in->name, "vad") == 0 || strcasecmp(in->phrase, "vad") == 0;
    size_t n = 0;
    json_t *langs = json_object_get(j, "trained_languages"), *l;
    size_t i;
    json_array_foreach(langs, i, l)
    {
        const char *s = json_string_value(l);
        if (n < MAX_LANGS && s && *s && strlen(s) < sizeof m->lang_buf[0]) {
            snprintf(m->lang_buf[n], sizeof m->lang_buf[n], "%s", s);
            m->langs[n] = m->lang_buf[n];
            n++;
        }
    }
    m->langs[n] = NULL;
    in->languages = m->langs;
    return 0;
}

/* ESPHome's StreamingModel checks: int8 [1, STEP, 40] in, one uint8 (or int8) out. */
static int check_model(const char *path, mww_model *m, edge_error *err)
{
    edge_tensor_info in, out;
    if (edge_model_input_count(m->model) != 1 || edge_model_output_count(m->model) != 1 ||
        edge_model_input_info(m->model, 0, &in) != 0 ||
        edge_model_output_info(m->model, 0, &out) != 0)
        return wake_fail(err, EDGE_ESHAPE, "%s: not one input and one output", path);
    if (in.type != EDGE_INT8 || in.rank != 3 || in.dims[0] != 1 || in.dims[1] < 1 ||
        in.dims[1] > 64 || in.dims[2] != MWW_CHANNELS)
        return wake_fail(err, EDGE_ESHAPE, "%s: input is not int8 [1, 1..64, %d] features", path,
                         MWW_CHANNELS);
    size_t n = 1;
    for (int d = 0; d < out.rank; d++)
        n *= (size_t)(out.dims[d] > 0 ? out.dims[d] : 0);
    if ((out.type != EDGE_UINT8 && out.type != EDGE_INT8) || n != 1)
        return wake_fail(err, EDGE_ESHAPE, "%s: output is not one uint8 probability", path);
    m->step = (unsigned)in.dims[1];
    return 0;
}

/* The JSON's fields into M, and PATH the .tflite beside it. */
static int read_json(const char *json_path, mww_model *m, char *path, size_t cap, edge_error *err)
{
    json_t *j = load_json(json_path, err);
    if (!j)
        return -1;
    const char *file = NULL;
    int rc = read_fields(json_path, j, m, &file, err);
    if (rc == 0) {
        const char *slash = strrchr(json_path, '/');
        const int dir = slash ? (int)(slash - json_path + 1) : 0;
        if (snprintf(path, cap, "%.*s%s", dir, json_path, file) >= (int)cap)
            rc = wake_fail(err, EDGE_ELIMIT, "%s: the model's path is too long", json_path);
    }
    json_decref(j);
    return rc;
}

int mww_model_open(const char *json_path, unsigned threads, mww_model **out, wake_model_info *info,
                   edge_error *err)
{
    *out = NULL;
    mww_model *m = calloc(1, sizeof *m);
    if (!m)
        return wake_fail(err, EDGE_ENOMEM, "%s: out of memory", json_path);
    char path[PATH_MAX];
    if (read_json(json_path, m, path, sizeof path, err) != 0) {
        free(m);
        return -1;
    }
    edge_error e = {0};
    if (wake_model_open(path, m->info.name, threads, 0, &m->model, &e) != 0) {
        free(m);
        return wake_fail(err, e.code ? e.code : EDGE_EFORMAT, "%s: its model %s: %s", json_path,
                         strrchr(path, '/') ? strrchr(path, '/') + 1 : path, e.message);
    }
    if (check_model(json_path, m, err) != 0) {
        mww_model_free(m);
        return -1;
    }
    if (info)
        *info = m->info;
    *out = m;
    return 0;
}

void mww_model_free(mww_model *m)
{
    if (!m)
        return;
    edge_model_unref(m->model);
    free(m);
}

unsigned mww_model_step(const mww_model *m)
{
    return m->step;
}

const wake_model_info *mww_model_info(const mww_model *m)
{
    return &m->info;
}

int mww_stream_new(const mww_model *m, mww_stream **out, edge_error *err)
{
    *out = NULL;
    mww_stream *s = calloc(1, sizeof *s);
    if (!s)
        return wake_fail(err, EDGE_ENOMEM, "%s: out of memory for a stream", m->info.name);
    s->m = m;
    s->frames = calloc((size_t)m->step * MWW_CHANNELS, 1);
    s->recent = calloc(m->info.window, 1);
    if (!s->frames || !s->recent) {
        mww_stream_free(s);
        return wake_fail(err, EDGE_ENOMEM, "%s: out of memory for a stream", m->info.name);
    }
    if (edge_interp_new(m->model, &s->it, err) != 0) {
        mww_stream_free(s);
        return -1;
    }
    edge_tensor_info o;
    edge_model_output_info(m->model, 0, &o);
    s->out_signed = o.type == EDGE_INT8;
    *out = s;
    return 0;
}

void mww_stream_reset(mww_stream *s)
{
    edge_interp_reset_state(s->it);
    s->pos = s->idx = 0;
    s->sum = 0;
    memset(s->recent, 0, s->m->info.window);
}

void mww_stream_free(mww_stream *s)
{
    if (!s)
        return;
    edge_interp_free(s->it);
    free(s->frames);
    free(s->recent);
    free(s);
}

int mww_stream_frame(mww_stream *s, const uint16_t *features, float *prob, float *mean,
                     edge_error *err)
{
    int8_t *f = s->frames + (size_t)s->pos * MWW_CHANNELS;
    for (int c = 0; c < MWW_CHANNELS; c++)
        f[c] = mww_quantize(features[c]);
    if (++s->pos < s->m->step)
        return 0;
    s->pos = 0;
    size_t bytes;
    void *in = edge_interp_input(s->it, 0, &bytes);
    memcpy(in, s->frames, (size_t)s->m->step * MWW_CHANNELS);
    if (edge_interp_invoke(s->it) != 0)
        return wake_fail(err, EDGE_ESTATE, "%s: invoke failed: %s", s->m->info.name,
                         edge_interp_error(s->it));
    const uint8_t *o = edge_interp_output(s->it, 0, &bytes);
    const uint8_t raw = s->out_signed ? (uint8_t)((int8_t)o[0] + 128) : o[0];
    s->sum += (uint32_t)raw - s->recent[s->idx];
    s->recent[s->idx] = raw;
    s->idx = (s->idx + 1) % s->m->info.window;
    *prob = (float)raw / 255.0f;
    *mean = (float)s->sum / (float)(255 * s->m->info.window);
    return 1;
}
