/* tests/voice/wake_double.c - a test double of audio/wake.h for the Wyoming server's protocol
 * tests (tests/voice/test_wyoming_proto.c); never linked into edged.
 *
 * Owns: a fixed set of three "models" (alexa_v0.1: openWakeWord, okay_nabu: microWakeWord,
 * vad: microWakeWord's VAD), whatever the folder; a stream that "detects" a model when the audio
 * holds its marker sample (12345: alexa_v0.1, 23456: okay_nabu), with the refractory period, and
 * takes 50 ms over a sample 777 (a job still running when the test acts); and
 * a converter (channels averaged, widths scaled, nearest sample for the rate) good enough for the
 * server's wiring. Does not own: any real wake-word engine (audio/wake.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/wake.h"

static void seterr(edge_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(edge_error *e, int code, const char *fmt, ...)
{
    if (!e)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    e->code = code;
}

static const char *const en[] = {"en", NULL};

struct wake_set {
    wake_model_info m[3];
    uint32_t refractory_ms;
};

struct wake_stream {
    const wake_set *s;
    bool on[3];
    uint64_t samples, last[3];
    bool fired[3];
};

static const int16_t marker[3] = {12345, 23456, 0};

int wake_set_open(const char *dir, const wake_set_options *o, wake_log_fn log, void *log_arg,
                  wake_set **out, edge_error *err)
{
    (void)log, (void)log_arg;
    if (!dir || !dir[0]) {
        seterr(err, EDGE_EIO, "wake words: no folder");
        return -1;
    }
    wake_set *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->m[0] = (wake_model_info){"alexa_v0.1", "alexa", en, WAKE_OWW, 0.5f, 1, false};
    s->m[1] = (wake_model_info){"okay_nabu", "okay nabu", en, WAKE_MWW, 0.9f, 5, false};
    s->m[2] = (wake_model_info){"vad", "vad", en, WAKE_MWW, 0.5f, 5, true};
    s->refractory_ms = o && o->refractory_ms ? o->refractory_ms : 2000;
    *out = s;
    return 0;
}

void wake_set_free(wake_set *s)
{
    free(s);
}

size_t wake_set_count(const wake_set *s)
{
    (void)s;
    return 3;
}

const wake_model_info *wake_set_model(const wake_set *s, size_t i)
{
    return &s->m[i];
}

int wake_set_find(const wake_set *s, const char *name)
{
    for (int i = 0; i < 3; i++) {
        const size_t n = strlen(name);
        if (!strcmp(s->m[i].name, name) || !strcmp(s->m[i].phrase, name) ||
            (!strncmp(s->m[i].name, name, n) && !strncmp(s->m[i].name + n, "_v", 2)))
            return i;
    }
    return -1;
}

int wake_stream_new(const wake_set *s, const size_t *models, size_t n, wake_score_fn score,
                    void *score_arg, wake_stream **out, edge_error *err)
{
    (void)score, (void)score_arg, (void)err;
    wake_stream *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    st->s = s;
    for (size_t i = 0; i < n; i++)
        st->on[models[i]] = true;
    if (!n)
        st->on[0] = st->on[1] = true;
    *out = st;
    return 0;
}

void wake_stream_free(wake_stream *st)
{
    free(st);
}

void wake_stream_reset(wake_stream *st)
{
    st->samples = 0;
    memset(st->fired, 0, sizeof st->fired);
}

int wake_stream_feed(wake_stream *st, const int16_t *pcm, size_t n, wake_detection *out, size_t max,
                     size_t *n_out, edge_error *err)
{
    (void)err;
    *n_out = 0;
    const uint64_t refr = (uint64_t)st->s->refractory_ms * 16;
    for (size_t i = 0; i < n; i++)
        if (pcm[i] == 777) /* the slow marker: an inference still running when the test acts */
            usleep(50000);
    for (size_t i = 0; i < n; i++, st->samples++)
        for (size_t m = 0; m < 2; m++)
            if (st->on[m] && pcm[i] == marker[m] &&
                (!st->fired[m] || st->samples - st->last[m] >= refr)) {
                st->fired[m] = true;
                st->last[m] = st->samples;
                if (*n_out < max)
                    out[(*n_out)++] =
                        (wake_detection){m, (st->samples + 1) * 1000 / WAKE_RATE, 0.99f};
            }
    return 0;
}

uint64_t wake_stream_samples(const wake_stream *st)
{
    return st->samples;
}

int wake_convert_init(wake_convert *c, uint32_t rate, unsigned width, unsigned channels,
                      edge_error *err)
{
    if (rate < 8000 || rate > 192000 || (width != 1 && width != 2 && width != 4) || channels < 1 ||
        channels > 8) {
        seterr(err, EDGE_EINVAL, "audio of %u Hz, %u bytes, %u channels is not supported", rate,
               width, channels);
        return -1;
    }
    *c = (wake_convert){.rate = rate, .width = width, .channels = channels};
    return 0;
}

static int32_t sample(const uint8_t *p, unsigned width)
{
    if (width == 1)
        return ((int32_t)p[0] - 128) << 8;
    if (width == 2)
        return (int16_t)(p[0] | p[1] << 8);
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24) >>
           16;
}

int wake_convert_run(wake_convert *c, const uint8_t *in, size_t bytes, int16_t *out, size_t max,
                     size_t *n_out, edge_error *err)
{
    const size_t frame = (size_t)c->width * c->channels;
    *n_out = 0;
    if (bytes % frame) {
        seterr(err, EDGE_EINVAL, "%zu bytes are not whole frames", bytes);
        return -1;
    }
    const size_t frames = bytes / frame;
    const double step = (double)c->rate / WAKE_RATE;
    for (; c->pos < (double)frames && *n_out < max; c->pos += step) {
        const uint8_t *f = in + (size_t)c->pos * frame;
        int32_t sum = 0;
        for (unsigned ch = 0; ch < c->channels; ch++)
            sum += sample(f + ch * c->width, c->width);
        out[(*n_out)++] = (int16_t)(sum / (int32_t)c->channels);
    }
    c->pos -= (double)frames;
    return 0;
}

size_t wake_convert_max_out(const wake_convert *c, size_t bytes)
{
    return (size_t)((double)(bytes / (c->width * c->channels)) * WAKE_RATE / c->rate) + 2;
}
