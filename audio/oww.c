/* audio/oww.c - openWakeWord's streaming features and classifiers (oww.h).
 *
 * Owns: the chunking (samples gathered into 1280-sample chunks whatever the caller's split, so
 * the result is the one openWakeWord gives for 80 ms chunks), the 480 samples of context, the mel
 * buffer (76 + 8 frames, shifted per chunk), the embedding buffer (OWW_MAX_FRAMES rows, shifted
 * per chunk), the silence embedding streams start with. Does not own: the models' arithmetic
 * (libedge), detection (audio/wake.c). */
#include "oww.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edge/runtime.h>
#include "wake_util.h"

#define MEL_FIRST 1280u                    /* the first chunk has no context */
#define MEL_FULL (OWW_CHUNK + OWW_CONTEXT) /* 1760 */
#define MEL_KEEP (OWW_WINDOW + 8)          /* frames kept: a window plus one chunk's */

struct oww_features {
    edge_model *mel_first; /* melspectrogram resized to [1, 1280] */
    edge_model *mel_full;  /* ... to [1, 1760] */
    edge_model *embed;     /* [1, 76, 32, 1] -> 96 */
    size_t frames_first, frames_full;
    float silence[OWW_EMBED]; /* the embedding of 76 mel frames of silence */
};

struct oww_classifier {
    edge_model *m;
    unsigned frames;
};

struct oww_stream {
    const oww_features *f;
    edge_interp *mel_first, *mel_full, *embed;
    float audio[MEL_FULL]; /* context then the chunk being gathered */
    size_t have;           /* samples of the chunk gathered */
    uint64_t chunks;
    float mel[MEL_KEEP][OWW_MELS];        /* the last MEL_KEEP frames, oldest first */
    float emb[OWW_MAX_FRAMES][OWW_EMBED]; /* the last OWW_MAX_FRAMES embeddings, oldest first */
};

struct oww_scorer {
    const oww_classifier *c;
    edge_interp *it;
};

/* Input I / output I of M is float32 of EXPECT elements (0: any multiple of PER). */
static int check_tensor(const edge_model *m, bool input, size_t expect, size_t per,
                        const char *path, size_t *elems, edge_error *err)
{
    edge_tensor_info ti;
    int rc = input ? edge_model_input_info(m, 0, &ti) : edge_model_output_info(m, 0, &ti);
    const char *what = input ? "input" : "output";
    if (rc != 0)
        return wake_fail(err, EDGE_ESHAPE, "%s: the model has no %s", path, what);
    size_t n = ti.bytes / 4;
    if (ti.type != EDGE_FLOAT32 || (expect && n != expect) || (!expect && (n == 0 || n % per)))
        return wake_fail(err, EDGE_ESHAPE,
                         "%s: %s 0 is not the float32 tensor openWakeWord expects (%zu bytes)",
                         path, what, ti.bytes);
    if (elems)
        *elems = n;
    return 0;
}

static int run(edge_interp *it, const char *what, edge_error *err)
{
    if (edge_interp_invoke(it) != 0)
        return wake_fail(err, EDGE_ESTATE, "openWakeWord %s model: %s", what,
                         edge_interp_error(it));
    return 0;
}

/* Melspectrogram of N samples (N is 1280 or 1760) through IT, scaled x / 10 + 2, into OUT
 * (FRAMES rows). */
static int melspec(edge_interp *it, const float *pcm, size_t n, size_t frames,
                   float (*out)[OWW_MELS], edge_error *err)
{
    size_t bytes;
    float *in = edge_interp_input(it, 0, &bytes);
    memcpy(in, pcm, n * sizeof *pcm);
    if (run(it, "melspectrogram", err))
        return -1;
    const float *mel = edge_interp_output(it, 0, &bytes);
    for (size_t i = 0; i < frames; i++)
        for (size_t j = 0; j < OWW_MELS; j++)
            out[i][j] = mel[i * OWW_MELS + j] / 10.0f + 2.0f;
    return 0;
}

/* The embedding of the 76 mel frames MEL into OUT. */
static int embed(edge_interp *it, const float (*mel)[OWW_MELS], float *out, edge_error *err)
{
    size_t bytes;
    float *in = edge_interp_input(it, 0, &bytes);
    memcpy(in, mel, OWW_WINDOW * OWW_MELS * sizeof(float));
    if (run(it, "embedding", err))
        return -1;
    memcpy(out, edge_interp_output(it, 0, &bytes), OWW_EMBED * sizeof(float));
    return 0;
}

/* The embedding of silence: a mel frame of zeros (every frame of silence is the same) repeated
 * 76 times, through the embedding model. */
static int silence_embedding(oww_features *f, edge_error *err)
{
    static const float zeros[MEL_FULL];
    float(*mel)[OWW_MELS] = calloc(OWW_WINDOW, sizeof *mel);
    edge_interp *im = NULL, *ie = NULL;
    int rc = -1;
    if (!mel) {
        wake_fail(err, EDGE_ENOMEM, "openWakeWord: no memory for the silence embedding");
        goto out;
    }
    if (edge_interp_new(f->mel_full, &im, err) || edge_interp_new(f->embed, &ie, err))
        goto out;
    if (melspec(im, zeros, MEL_FULL, 1, mel, err))
        goto out;
    for (size_t i = 1; i < OWW_WINDOW; i++)
        memcpy(mel[i], mel[0], sizeof mel[0]);
    rc = embed(ie, (const float(*)[OWW_MELS])mel, f->silence, err);
out:
    edge_interp_free(im);
    edge_interp_free(ie);
    free(mel);
    return rc;
}

int oww_features_open(const char *melspec_path, const char *embedding_path, unsigned threads,
                      oww_features **out, edge_error *err)
{
    oww_features *f = calloc(1, sizeof *f);
    size_t n;
    if (!f)
        return wake_fail(err, EDGE_ENOMEM, "openWakeWord: no memory for the feature models");
    if (wake_model_open(melspec_path, NULL, threads, MEL_FIRST, &f->mel_first, err) ||
        wake_model_open(melspec_path, NULL, threads, MEL_FULL, &f->mel_full, err) ||
        wake_model_open(embedding_path, NULL, threads, 0, &f->embed, err))
        goto fail;
    if (check_tensor(f->mel_first, true, MEL_FIRST, 0, melspec_path, NULL, err) ||
        check_tensor(f->mel_full, true, MEL_FULL, 0, melspec_path, NULL, err) ||
        check_tensor(f->mel_first, false, 0, OWW_MELS, melspec_path, &n, err))
        goto fail;
    f->frames_first = n / OWW_MELS;
    if (check_tensor(f->mel_full, false, 0, OWW_MELS, melspec_path, &n, err))
        goto fail;
    f->frames_full = n / OWW_MELS;
    if (f->frames_full != 8 || f->frames_first > 8) {
        wake_fail(err, EDGE_ESHAPE,
                  "%s: gives %zu mel frames for 1760 samples and %zu for 1280, not 8 and at most 8",
                  melspec_path, f->frames_full, f->frames_first);
        goto fail;
    }
    if (check_tensor(f->embed, true, OWW_WINDOW * OWW_MELS, 0, embedding_path, NULL, err) ||
        check_tensor(f->embed, false, OWW_EMBED, 0, embedding_path, NULL, err) ||
        silence_embedding(f, err))
        goto fail;
    *out = f;
    return 0;
fail:
    oww_features_free(f);
    return -1;
}

void oww_features_free(oww_features *f)
{
    if (!f)
        return;
    edge_model_unref(f->mel_first);
    edge_model_unref(f->mel_full);
    edge_model_unref(f->embed);
    free(f);
}

int oww_classifier_open(const char *path, unsigned threads, oww_classifier **out, edge_error *err)
{
    oww_classifier *c = calloc(1, sizeof *c);
    edge_tensor_info ti;
    if (!c)
        return wake_fail(err, EDGE_ENOMEM, "%s: no memory", path);
    if (wake_model_open(path, NULL, threads, 0, &c->m, err))
        goto fail;
    if (edge_model_input_info(c->m, 0, &ti) || ti.type != EDGE_FLOAT32 || ti.rank != 3 ||
        ti.dims[0] != 1 || ti.dims[2] != OWW_EMBED || ti.dims[1] < 1 ||
        ti.dims[1] > OWW_MAX_FRAMES) {
        wake_fail(err, EDGE_ESHAPE,
                  "%s: input 0 is not float32 [1, N, 96] embeddings (N 1..%d): not an openWakeWord "
                  "classifier",
                  path, OWW_MAX_FRAMES);
        goto fail;
    }
    c->frames = (unsigned)ti.dims[1];
    if (check_tensor(c->m, false, 1, 0, path, NULL, err))
        goto fail;
    *out = c;
    return 0;
fail:
    oww_classifier_free(c);
    return -1;
}

void oww_classifier_free(oww_classifier *c)
{
    if (!c)
        return;
    edge_model_unref(c->m);
    free(c);
}

unsigned oww_classifier_frames(const oww_classifier *c)
{
    return c->frames;
}

int oww_stream_new(const oww_features *f, oww_stream **out, edge_error *err)
{
    oww_stream *s = calloc(1, sizeof *s);
    if (!s)
        return wake_fail(err, EDGE_ENOMEM, "openWakeWord: no memory for a stream");
    s->f = f;
    if (edge_interp_new(f->mel_first, &s->mel_first, err) ||
        edge_interp_new(f->mel_full, &s->mel_full, err) ||
        edge_interp_new(f->embed, &s->embed, err)) {
        oww_stream_free(s);
        return -1;
    }
    oww_stream_reset(s);
    *out = s;
    return 0;
}

void oww_stream_free(oww_stream *s)
{
    if (!s)
        return;
    edge_interp_free(s->mel_first);
    edge_interp_free(s->mel_full);
    edge_interp_free(s->embed);
    free(s);
}

void oww_stream_reset(oww_stream *s)
{
    s->have = 0;
    s->chunks = 0;
    for (size_t i = 0; i < MEL_KEEP; i++)
        for (size_t j = 0; j < OWW_MELS; j++)
            s->mel[i][j] = 1.0f; /* utils.py: melspectrogram_buffer = np.ones((76, 32)) */
    for (size_t i = 0; i < OWW_MAX_FRAMES; i++)
        memcpy(s->emb[i], s->f->silence, sizeof s->emb[i]);
}

/* The chunk in s->audio is complete: its mel frames, then its embedding. */
static int step(oww_stream *s, edge_error *err)
{
    const oww_features *f = s->f;
    bool first = s->chunks == 0;
    size_t frames = first ? f->frames_first : f->frames_full;
    /* shift the mel buffer by FRAMES, the new ones at the end */
    memmove(s->mel[0], s->mel[frames], (MEL_KEEP - frames) * sizeof s->mel[0]);
    float(*dst)[OWW_MELS] = s->mel + (MEL_KEEP - frames);
    int rc = first ? melspec(s->mel_first, s->audio + OWW_CONTEXT, MEL_FIRST, frames, dst, err)
                   : melspec(s->mel_full, s->audio, MEL_FULL, frames, dst, err);
    if (rc)
        return -1;
    memmove(s->emb[0], s->emb[1], (OWW_MAX_FRAMES - 1) * sizeof s->emb[0]);
    if (embed(s->embed, (const float(*)[OWW_MELS])(s->mel + (MEL_KEEP - OWW_WINDOW)),
              s->emb[OWW_MAX_FRAMES - 1], err))
        return -1;
    /* the chunk's last 480 samples are the next one's context */
    memmove(s->audio, s->audio + OWW_CHUNK, OWW_CONTEXT * sizeof s->audio[0]);
    s->have = 0;
    s->chunks++;
    return 0;
}

int oww_stream_push(oww_stream *s, const int16_t *pcm, size_t n, size_t *consumed, edge_error *err)
{
    size_t take = OWW_CHUNK - s->have;
    if (take > n)
        take = n;
    float *dst = s->audio + OWW_CONTEXT + s->have;
    for (size_t i = 0; i < take; i++)
        dst[i] = (float)pcm[i];
    s->have += take;
    *consumed = take;
    if (s->have < OWW_CHUNK)
        return 0;
    return step(s, err) ? -1 : 1;
}

uint64_t oww_stream_chunks(const oww_stream *s)
{
    return s->chunks;
}

const float *oww_stream_embedding(const oww_stream *s)
{
    return s->emb[OWW_MAX_FRAMES - 1];
}

int oww_scorer_new(const oww_classifier *c, oww_scorer **out, edge_error *err)
{
    oww_scorer *sc = calloc(1, sizeof *sc);
    if (!sc)
        return wake_fail(err, EDGE_ENOMEM, "openWakeWord: no memory for a classifier");
    sc->c = c;
    if (edge_interp_new(c->m, &sc->it, err)) {
        free(sc);
        return -1;
    }
    *out = sc;
    return 0;
}

void oww_scorer_free(oww_scorer *sc)
{
    if (!sc)
        return;
    edge_interp_free(sc->it);
    free(sc);
}

int oww_scorer_run(oww_scorer *sc, const oww_stream *s, float *score, edge_error *err)
{
    size_t bytes, n = sc->c->frames;
    float *in = edge_interp_input(sc->it, 0, &bytes);
    memcpy(in, s->emb[OWW_MAX_FRAMES - n], n * sizeof s->emb[0]);
    if (run(sc->it, "classifier", err))
        return -1;
    const float *o = edge_interp_output(sc->it, 0, &bytes);
    *score = s->chunks <= OWW_ZEROED ? 0.0f : o[0];
    return 0;
}
