/* tests/support/conv_weights.h - random per-channel int8 convolution weights for the tests that
 * write models with tools/tflite_writer.h (test_fuse_pw.c, test_chain.c).
 * Owns: conv_weights (header-only, drawing from the program's test_rng.h generator). */
#ifndef EDGE_TEST_CONV_WEIGHTS_H
#define EDGE_TEST_CONV_WEIGHTS_H

#include <stdint.h>
#include <stdlib.h>

#include "test_rng.h"
#include "tflite_writer.h"

/* Per-channel int8 weights of DIMS (COUNT channels along axis AXIS, in [-127, 127]) and int32
 * biases for input scale IN_SCALE, added to W: their tensors in *WI and *BI. */
static inline void conv_weights(tfw_writer *w, const int32_t *dims, int32_t count, int32_t axis,
                                float in_scale, int32_t *wi, int32_t *bi)
{
    const size_t n = (size_t)dims[0] * (size_t)dims[1] * (size_t)dims[2] * (size_t)dims[3];
    int8_t *wv = malloc(n);
    int32_t *bv = malloc(4 * (size_t)count);
    float *ws = malloc(sizeof(float) * (size_t)count), *bs = malloc(sizeof(float) * (size_t)count);
    if (!wv || !bv || !ws || !bs)
        abort();
    for (size_t i = 0; i < n; i++)
        wv[i] = (int8_t)rnd_in(-127, 127);
    for (int32_t i = 0; i < count; i++) {
        ws[i] = (float)rnd_in(2, 30) / 1000.0f;
        bs[i] = in_scale * ws[i];
        bv[i] = rnd_in(-3000, 3000);
    }
    tfw_tensor_desc wd = {.type = EDGE_INT8,
                          .rank = 4,
                          .dims = dims,
                          .name = "w",
                          .q_count = count,
                          .scales = ws,
                          .q_axis = axis};
    const int32_t b_dims[1] = {count};
    tfw_tensor_desc bd = {
        .type = EDGE_INT32, .rank = 1, .dims = b_dims, .name = "b", .q_count = count, .scales = bs};
    *wi = tfw_add_const(w, &wd, wv, n);
    *bi = tfw_add_const(w, &bd, bv, 4 * (size_t)count);
    free(wv), free(bv), free(ws), free(bs);
}

/* Per-tensor uint8 weights of DIMS (COUNT output channels) with zero point ZW, spread about it
 * with one in 61 at the far end (ZW 128: every w - zw fits int8; any other: some do not), and int32
 * biases for input scale IN_SCALE, added to W: their tensors in *WI and *BI. */
static inline void conv_weights_u8(tfw_writer *w, const int32_t *dims, int32_t count, int32_t zw,
                                   float in_scale, int32_t *wi, int32_t *bi)
{
    const size_t n = (size_t)dims[0] * (size_t)dims[1] * (size_t)dims[2] * (size_t)dims[3];
    uint8_t *wv = malloc(n);
    int32_t *bv = malloc(4 * (size_t)count);
    if (!wv || !bv)
        abort();
    for (size_t i = 0; i < n; i++) { /* about zw, as trained weights are, and a few at 255 */
        const int32_t v = i % 61 == 7 ? (zw > 128 ? 0 : 255) : zw + rnd_in(-60, 60);
        wv[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    for (int32_t i = 0; i < count; i++)
        bv[i] = rnd_in(-3000, 3000);
    const float ws = (float)rnd_in(2, 12) / 1000.0f;
    tfw_tensor_desc wd = {.type = EDGE_UINT8,
                          .rank = 4,
                          .dims = dims,
                          .name = "w",
                          .q_count = 1,
                          .scale = ws,
                          .zero_point = zw};
    const int32_t b_dims[1] = {count};
    tfw_tensor_desc bd = {.type = EDGE_INT32,
                          .rank = 1,
                          .dims = b_dims,
                          .name = "b",
                          .q_count = 1,
                          .scale = in_scale * ws};
    *wi = tfw_add_const(w, &wd, wv, n);
    *bi = tfw_add_const(w, &bd, bv, 4 * (size_t)count);
    free(wv), free(bv);
}

#endif
