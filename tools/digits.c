/* tools/digits.c - the demo digit model and its inputs (see digits.h).
 *
 * Owns: the drawings and the model's construction. The classifier's real
 * function is plain template matching: with x in {0, 1} (ink = 1) and the
 * template T of class c,
 *   logit_c = sum_i x_i (2 T_ci - 1) + 32 - |T_c| = 32 - (pixels where x and T_c differ)
 * so the drawing of c scores 32 for class c and less for every other class.
 * The weights are +-1 (int8 +-127, one scale per output channel) and the bias
 * 32 - |T_c| (int32 at scale s_in * s_w), as a full-integer converter would
 * quantize them; SOFTMAX turns the logits into probabilities.
 * Does not own the writer or any file format detail. */
#include "digits.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/runtime.h"
#include "runtime/tflite_schema.h"
#include "tflite_writer.h"

/* Each digit drawn as it looks, '#' for ink. */
/* clang-format off */
static const char *const glyphs[DIGITS_CLASSES][DIGITS_SIDE] = {
    { /* 0 */
        "..####..",
        ".##..##.",
        ".##.###.",
        ".###.##.",
        ".##..##.",
        ".##..##.",
        "..####..",
        "........",
    },
    { /* 1 */
        "...##...",
        "..###...",
        ".#.##...",
        "...##...",
        "...##...",
        "...##...",
        ".######.",
        "........",
    },
    { /* 2 */
        "..####..",
        ".##..##.",
        ".....##.",
        "....##..",
        "...##...",
        "..##....",
        ".######.",
        "........",
    },
    { /* 3 */
        "..####..",
        ".##..##.",
        ".....##.",
        "...###..",
        ".....##.",
        ".##..##.",
        "..####..",
        "........",
    },
    { /* 4 */
        "....##..",
        "...###..",
        "..#.##..",
        ".#..##..",
        ".######.",
        "....##..",
        "....##..",
        "........",
    },
    { /* 5 */
        ".######.",
        ".##.....",
        ".#####..",
        ".....##.",
        ".....##.",
        ".##..##.",
        "..####..",
        "........",
    },
    { /* 6 */
        "...###..",
        "..##....",
        ".##.....",
        ".#####..",
        ".##..##.",
        ".##..##.",
        "..####..",
        "........",
    },
    { /* 7 */
        ".######.",
        ".....##.",
        "....##..",
        "...##...",
        "..##....",
        "..##....",
        "..##....",
        "........",
    },
    { /* 8 */
        "..####..",
        ".##..##.",
        ".##..##.",
        "..####..",
        ".##..##.",
        ".##..##.",
        "..####..",
        "........",
    },
    { /* 9 */
        "..####..",
        ".##..##.",
        ".##..##.",
        "..#####.",
        ".....##.",
        "....##..",
        "..###...",
        "........",
    },
};
/* clang-format on */

static int ink(int digit, int i)
{
    return glyphs[digit][i / DIGITS_SIDE][i % DIGITS_SIDE] == '#';
}

void digits_image(int digit, int8_t out[DIGITS_PIXELS])
{
    for (int i = 0; i < DIGITS_PIXELS; i++)
        out[i] = (digit >= 0 && digit < DIGITS_CLASSES && ink(digit, i)) ? 127 : -128;
}

void digits_text(int digit, char out[DIGITS_PIXELS + DIGITS_SIDE + 1])
{
    size_t n = 0;
    for (int y = 0; y < DIGITS_SIDE; y++) {
        for (int x = 0; x < DIGITS_SIDE; x++)
            out[n++] = ink(digit, y * DIGITS_SIDE + x) ? '#' : '.';
        out[n++] = '\n';
    }
    out[n] = 0;
}

int digits_distance(int a, int b)
{
    int d = 0;
    for (int i = 0; i < DIGITS_PIXELS; i++)
        d += ink(a, i) != ink(b, i);
    return d;
}

const char *digits_labels(void)
{
    return "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n";
}

/* Quantization of the activations (real ranges in the comments). */
static const float in_scale = 1.0f / 255.0f; /* [0, 1] */
static const int32_t in_zp = -128;
static const float w_scale = 1.0f / 127.0f;             /* weights +-1 */
static const float logit_lo = -33.0f, logit_hi = 33.0f; /* 32 - [0, 64] with a margin */

static void add_tensors(tfw_writer *w, int32_t t[7])
{
    int8_t wq[DIGITS_CLASSES * DIGITS_PIXELS];
    int32_t bq[DIGITS_CLASSES];
    float ws[DIGITS_CLASSES], bs[DIGITS_CLASSES];
    for (int c = 0; c < DIGITS_CLASSES; c++) {
        int count = 0;
        for (int i = 0; i < DIGITS_PIXELS; i++) {
            wq[c * DIGITS_PIXELS + i] = ink(c, i) ? 127 : -127;
            count += ink(c, i);
        }
        ws[c] = w_scale;
        bs[c] = in_scale * w_scale;
        bq[c] = (int32_t)lrint((32.0 - count) / (double)bs[c]);
    }
    const float lscale = (logit_hi - logit_lo) / 255.0f;
    const int32_t lzp = (int32_t)lrintf(-128.0f - logit_lo / lscale);
    const int32_t d_img[4] = {1, DIGITS_SIDE, DIGITS_SIDE, 1}, d_shape[1] = {2};
    const int32_t d_flat[2] = {1, DIGITS_PIXELS}, d_w[2] = {DIGITS_CLASSES, DIGITS_PIXELS};
    const int32_t d_b[1] = {DIGITS_CLASSES}, d_out[2] = {1, DIGITS_CLASSES};
    const int32_t shape[2] = {1, DIGITS_PIXELS};
    const tfw_tensor_desc image = {.type = EDGE_INT8,
                                   .rank = 4,
                                   .dims = d_img,
                                   .name = "image",
                                   .q_count = 1,
                                   .scale = in_scale,
                                   .zero_point = in_zp};
    tfw_tensor_desc flat = image;
    flat.rank = 2, flat.dims = d_flat, flat.name = "flat";
    const tfw_tensor_desc sh = {.type = EDGE_INT32, .rank = 1, .dims = d_shape, .name = "shape"};
    const tfw_tensor_desc tw = {.type = EDGE_INT8,
                                .rank = 2,
                                .dims = d_w,
                                .name = "templates",
                                .q_count = DIGITS_CLASSES,
                                .scales = ws,
                                .q_axis = 0};
    const tfw_tensor_desc tb = {.type = EDGE_INT32,
                                .rank = 1,
                                .dims = d_b,
                                .name = "bias",
                                .q_count = DIGITS_CLASSES,
                                .scales = bs};
    tfw_tensor_desc logits = image; /* int8 activations with one quantization, like the image */
    logits.rank = 2, logits.dims = d_out, logits.name = "logits";
    logits.scale = lscale, logits.zero_point = lzp;
    tfw_tensor_desc probs = logits;
    probs.name = "probs", probs.scale = 1.0f / 256.0f, probs.zero_point = -128;
    t[0] = tfw_add_tensor(w, &image);
    t[1] = tfw_add_const(w, &sh, shape, sizeof shape);
    t[2] = tfw_add_tensor(w, &flat);
    t[3] = tfw_add_const(w, &tw, wq, sizeof wq);
    t[4] = tfw_add_const(w, &tb, bq, sizeof bq);
    t[5] = tfw_add_tensor(w, &logits);
    t[6] = tfw_add_tensor(w, &probs);
}

int digits_model(uint8_t **out, size_t *size)
{
    tfw_writer *w = tfw_new();
    if (!w)
        return EDGE_ENOMEM;
    int32_t t[7];
    tfw_set_description(w, "edged demo: 8x8 digit images matched against ten templates");
    add_tensors(w, t);
    tfw_options fc, sm;
    tfw_opt_init(&fc, TFL_OPT_FullyConnectedOptions);
    tfw_opt_i8(&fc, 0, EDGE_ACT_NONE);
    tfw_opt_init(&sm, TFL_OPT_SoftmaxOptions);
    tfw_opt_f32(&sm, 0, 1.0f);
    const int32_t reshape = tfw_add_opcode(w, EDGE_OP_RESHAPE, 1);
    const int32_t dense = tfw_add_opcode(w, EDGE_OP_FULLY_CONNECTED, 4);
    const int32_t softmax = tfw_add_opcode(w, EDGE_OP_SOFTMAX, 2);
    const int32_t in0[2] = {t[0], t[1]}, in1[3] = {t[2], t[3], t[4]};
    tfw_add_operator(w, reshape, in0, 2, &t[2], 1, NULL);
    tfw_add_operator(w, dense, in1, 3, &t[5], 1, &fc);
    tfw_add_operator(w, softmax, &t[5], 1, &t[6], 1, &sm);
    tfw_set_io(w, &t[0], 1, &t[6], 1);
    const int rc = tfw_finish(w, out, size);
    tfw_free(w);
    return rc;
}

static int save_in(const char *dir, const char *name, const void *data, size_t size)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return EDGE_EINVAL;
    return tfw_save(path, data, size);
}

int digits_write_demo(const char *dir)
{
    uint8_t *model;
    size_t size;
    int rc = digits_model(&model, &size);
    if (rc)
        return rc;
    rc = save_in(dir, "digits.tflite", model, size);
    free(model);
    if (!rc)
        rc = save_in(dir, "digits.labels", digits_labels(), strlen(digits_labels()));
    for (int d = 0; d < DIGITS_CLASSES && !rc; d++) {
        int8_t img[DIGITS_PIXELS];
        char name[32];
        digits_image(d, img);
        snprintf(name, sizeof name, "digits-%d.bin", d);
        rc = save_in(dir, name, img, sizeof img);
    }
    return rc;
}
