/* tools/prune_model.c - pruned int8 models (the contract: prune_model.h). */
#include "prune_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/ops.h"
#include "edge/runtime.h"
#include "tflite_schema.h"
#include "tflite_writer.h"

static uint32_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

static int32_t block_of(edge_prune_pattern p)
{
    return p == EDGE_PRUNE_1X16 ? 16 : p == EDGE_PRUNE_1X4 ? 4 : 1;
}

const char *edge_prune_pattern_name(edge_prune_pattern p)
{
    return p == EDGE_PRUNE_1X16 ? "1x16" : p == EDGE_PRUNE_1X4 ? "1x4" : "1x1";
}

int edge_prune_pattern_of(const char *name)
{
    return !strcmp(name, "1x1")    ? EDGE_PRUNE_1X1
           : !strcmp(name, "1x4")  ? EDGE_PRUNE_1X4
           : !strcmp(name, "1x16") ? EDGE_PRUNE_1X16
                                   : -1;
}

int8_t *edge_prune_weights(const edge_prune_spec *s)
{
    const size_t n = (size_t)s->n, k = (size_t)s->k, bs = (size_t)block_of(s->pattern);
    const size_t per_row = (k + bs - 1) / bs, blocks = n * per_row;
    int8_t *w = malloc(n * k + 1);
    uint32_t *order = malloc((blocks + 1) * sizeof *order);
    if (!w || !order) {
        free(w);
        free(order);
        return NULL;
    }
    uint64_t st = s->seed ? s->seed : 1;
    for (size_t i = 0; i < n * k; i++) { /* nonzero in [-127, 127] */
        const int32_t v = (int32_t)(next(&st) % 254) - 127;
        w[i] = (int8_t)(v >= 0 ? v + 1 : v);
    }
    for (size_t i = 0; i < blocks; i++)
        order[i] = (uint32_t)i;
    for (size_t i = blocks; i > 1; i--) { /* Fisher-Yates: the first zeros blocks are cut */
        const size_t j = next(&st) % i;
        const uint32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    const size_t zeros = (size_t)llround(s->sparsity * (double)blocks);
    for (size_t i = 0; i < zeros && i < blocks; i++) {
        const size_t r = order[i] / per_row, c0 = order[i] % per_row * bs;
        for (size_t c = c0; c < c0 + bs && c < k; c++)
            w[r * k + c] = 0;
    }
    free(order);
    return w;
}

/* W (N x K elements of ESIZE bytes) as a constant named "weights" in W's writer, sparse when S
 * says. */
static int32_t add_weights(tfw_writer *tw, const edge_prune_spec *s, const void *w, size_t esize,
                           const tfw_tensor_desc *wd, char *err, size_t len)
{
    if (!s->stored_sparse)
        return tfw_add_const(tw, wd, w, (size_t)s->n * (size_t)s->k * esize);
    const int32_t bs = block_of(s->pattern);
    const int r = wd->rank; /* 2, or 4 for [n, 1, 1, k]: the block along the last dimension */
    const int32_t order[5] = {0, 1, 2, 3, 4}, map[1] = {r - 1}, size[1] = {bs};
    uint8_t fmt_block[5] = {0, 0, 0, 0, 0};
    fmt_block[r - 1] = 1; /* CSR over the blocks of the last dimension, dense within a block */
    const tfw_sparse_spec spec = {bs > 1 ? order : NULL,     bs > 1 ? 1 : 0,
                                  bs > 1 ? map : NULL,       bs > 1 ? size : NULL,
                                  bs > 1 ? fmt_block : NULL, NULL};
    tfw_sparsity *sp = NULL;
    void *values = NULL;
    size_t vbytes = 0;
    if (tfw_sparsify(w, esize, r, wd->dims, &spec, &sp, &values, &vbytes)) {
        snprintf(err, len, "cannot write the weights sparse");
        return -1;
    }
    tfw_tensor_desc d = *wd;
    d.sparsity = sp;
    d.name = "weights_sparse";
    const int32_t ws = tfw_add_const(tw, &d, values, vbytes);
    tfw_sparsity_free(sp);
    free(values);
    if (!s->conv)
        return ws; /* FULLY_CONNECTED v8 reads them directly */
    tfw_tensor_desc dd = *wd;
    const int32_t wdn = tfw_add_tensor(tw, &dd);
    tfw_add_operator(tw, tfw_add_opcode(tw, EDGE_OP_DENSIFY, 1), &ws, 1, &wdn, 1, NULL);
    return wdn;
}

int edge_prune_model(const edge_prune_spec *s, uint8_t **out, size_t *size, char *err, size_t len)
{
    const int32_t bs = block_of(s->pattern);
    if (s->k < 1 || s->n < 1 || s->batch < 1 || (s->conv && (s->h < 1 || s->w < 1)) ||
        s->sparsity < 0 || s->sparsity > 1 || s->n > 4096) {
        snprintf(err, len, "bad layer: k %d, n %d, batch %d, sparsity %g (n at most 4096)",
                 (int)s->k, (int)s->n, (int)s->batch, s->sparsity);
        return -1;
    }
    if (s->stored_sparse && s->k % bs) {
        snprintf(err, len, "stored sparse with %s blocks needs k (%d) a multiple of %d",
                 edge_prune_pattern_name(s->pattern), (int)s->k, (int)bs);
        return -1;
    }
    int8_t *w = edge_prune_weights(s);
    float *ws = malloc((size_t)s->n * sizeof(float)), *bsc = malloc((size_t)s->n * sizeof(float));
    int32_t *bias = malloc((size_t)s->n * sizeof(int32_t));
    float *wf = s->f32 ? malloc((size_t)s->n * (size_t)s->k * sizeof(float) + 1) : NULL;
    float *bf = s->f32 ? malloc((size_t)s->n * sizeof(float)) : NULL;
    tfw_writer *tw = tfw_new();
    int rc = -1;
    if (!w || !ws || !bsc || !bias || !tw || (s->f32 && (!wf || !bf))) {
        snprintf(err, len, "out of memory");
        goto done;
    }
    uint64_t st = s->seed ^ 0x5bd1e995u;
    const float in_scale = 0.02f;
    const int32_t in_zp = -3;
    for (int32_t i = 0; i < s->n; i++) {
        ws[i] = (float)(10 + next(&st) % 20) / 1000.0f;
        bsc[i] = in_scale * ws[i];
        bias[i] = (int32_t)(next(&st) % 4001) - 2000;
    }
    /* the accumulator's spread over the kept weights, in about 3 output steps a sigma */
    const double kept = (double)s->k * (1.0 - s->sparsity) + 1.0;
    const float out_scale = (float)(in_scale * 0.02 * 73.0 * 73.0 * sqrt(kept) / 40.0);
    const int32_t in4[4] = {s->batch, s->h, s->w, s->k}, out4[4] = {s->batch, s->h, s->w, s->n};
    const int32_t in2[2] = {s->batch, s->k}, out2[2] = {s->batch, s->n};
    const int32_t wdims4[4] = {s->n, 1, 1, s->k}, wdims2[2] = {s->n, s->k}, bdims[1] = {s->n};
    tfw_tensor_desc in = {.type = EDGE_INT8,
                          .rank = s->conv ? 4 : 2,
                          .dims = s->conv ? in4 : in2,
                          .name = "input",
                          .q_count = 1,
                          .scale = in_scale,
                          .zero_point = in_zp};
    tfw_tensor_desc ou = in;
    ou.dims = s->conv ? out4 : out2;
    ou.name = "output";
    ou.scale = out_scale;
    ou.zero_point = 5;
    if (s->f32) { /* no quantization anywhere */
        in.type = ou.type = EDGE_FLOAT32;
        in.q_count = ou.q_count = 0;
        for (size_t i = 0; i < (size_t)s->n * (size_t)s->k; i++)
            wf[i] = (float)w[i] / 64.0f;
        for (int32_t i = 0; i < s->n; i++)
            bf[i] = (float)bias[i] / 1000.0f;
    }
    const int32_t ii = tfw_add_tensor(tw, &in), oi = tfw_add_tensor(tw, &ou);
    tfw_tensor_desc wd = {.type = EDGE_INT8,
                          .rank = s->conv ? 4 : 2,
                          .dims = s->conv ? wdims4 : wdims2,
                          .name = "weights",
                          .q_count = s->n,
                          .scale = ws[0],
                          .scales = ws,
                          .q_axis = 0};
    tfw_tensor_desc bd = {.type = EDGE_INT32,
                          .rank = 1,
                          .dims = bdims,
                          .name = "bias",
                          .q_count = s->n,
                          .scale = bsc[0],
                          .scales = bsc};
    if (s->f32) {
        wd.type = EDGE_FLOAT32, bd.type = EDGE_FLOAT32;
        wd.q_count = bd.q_count = 0;
        wd.scales = bd.scales = NULL;
    }
    const int32_t wi = s->f32 ? add_weights(tw, s, wf, sizeof(float), &wd, err, len)
                              : add_weights(tw, s, w, 1, &wd, err, len);
    if (wi < 0)
        goto done;
    const int32_t bi = s->f32 ? tfw_add_const(tw, &bd, bf, (size_t)s->n * sizeof(float))
                              : tfw_add_const(tw, &bd, bias, (size_t)s->n * sizeof(int32_t));
    const int32_t ins[3] = {ii, wi, bi};
    tfw_options o;
    if (s->conv) {
        tfw_opt_init(&o, TFL_OPT_Conv2DOptions);
        tfw_opt_i8(&o, 0, 1); /* VALID */
        tfw_opt_i32(&o, 1, 1);
        tfw_opt_i32(&o, 2, 1);
        tfw_opt_i8(&o, 3, s->relu ? 1 : 0);
    } else {
        tfw_opt_init(&o, TFL_OPT_FullyConnectedOptions);
        tfw_opt_i8(&o, 0, s->relu ? 1 : 0);
    }
    const int32_t version = s->conv ? 3 : s->stored_sparse ? 8 : 4;
    tfw_add_operator(
        tw, tfw_add_opcode(tw, s->conv ? EDGE_OP_CONV_2D : EDGE_OP_FULLY_CONNECTED, version), ins,
        3, &oi, 1, &o);
    tfw_set_io(tw, &ii, 1, &oi, 1);
    if (tfw_finish(tw, out, size)) {
        snprintf(err, len, "the writer failed (%d)", tfw_error(tw));
        goto done;
    }
    rc = 0;
done:
    tfw_free(tw);
    free(w);
    free(ws);
    free(bsc);
    free(bias);
    free(wf);
    free(bf);
    return rc;
}
