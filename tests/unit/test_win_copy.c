/* tests/unit/test_win_copy.c - the indirect GEMM on a team reads its input from flipped copies
 * (backends/cpu/fast_ops.c win_copy): each block of its output pixels copies the input rows its
 * windows read, each byte x ^ 0x80, into its thread's scratch, and its window pointers point
 * there; the tensor is never flipped in place.
 *
 * Owns: checking that stacks of int8 KxK CONV_2D layers on the indirect GEMM (3x3 and 5x5,
 * strides 1 and 2, SAME and VALID, dilation 1 and 2, 8 to 64 input channels, images from 3 to 41
 * pixels a side, every fused activation) give the scalar level's bytes at every level this
 * machine runs, on 1 to 3 threads, with blocks of the default size and blocks of 1 to 9 KiB (so
 * that a task runs many blocks, which start inside an output row and whose windows reach rows
 * the next block copies again), on random inputs; with the first layer's output an
 * output of the model too, which must still hold its own bytes after the next layer read it (the
 * in-place flip flipped it back; the copies never change it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backends/cpu/fast_ops.h"
#include "conv_weights.h"
#include "edge/runtime.h"
#include "test_rng.h"
#include "test_support.h"
#include "tflite_schema.h"
#include "tflite_writer.h"

#define MAX_LAYERS 4
#define INPUTS 2

typedef struct layer {
    int32_t k, stride, pad, dil, ch;
} layer;

typedef struct stack {
    int32_t h, w, c;
    int n;
    layer l[MAX_LAYERS];
} stack;

typedef struct built {
    uint8_t *buf;
    size_t size, in_bytes;
} built;

static int32_t add_i8(tfw_writer *w, const char *name, const int32_t *dims, float *scale)
{
    *scale = (float)rnd_in(20, 120) / 1000.0f;
    return tfw_add_q(w, EDGE_INT8, name, 4, dims, *scale, rnd_in(-30, 30));
}

static int32_t out_size(int32_t in, int32_t k, int32_t stride, int32_t pad, int32_t dil)
{
    const int32_t ke = (k - 1) * dil + 1;
    return pad == EDGE_PAD_SAME ? (in + stride - 1) / stride : (in - ke) / stride + 1;
}

static built build(const stack *s)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    int32_t dims[4] = {1, s->h, s->w, s->c};
    float scale;
    const int32_t in = add_i8(w, "in", dims, &scale);
    int32_t x = in, first = -1;
    for (int i = 0; i < s->n; i++) {
        const layer *l = &s->l[i];
        const int32_t w_dims[4] = {l->ch, l->k, l->k, dims[3]};
        const int32_t y_dims[4] = {1, out_size(dims[1], l->k, l->stride, l->pad, l->dil),
                                   out_size(dims[2], l->k, l->stride, l->pad, l->dil), l->ch};
        int32_t wi, bi;
        conv_weights(w, w_dims, l->ch, 0, scale, &wi, &bi);
        const int32_t y = add_i8(w, "conv", y_dims, &scale), c_in[3] = {x, wi, bi};
        tfw_options opt;
        tfw_opt_init(&opt, TFL_OPT_Conv2DOptions);
        tfw_opt_i8(&opt, 0, (int8_t)l->pad);
        tfw_opt_i32(&opt, 1, l->stride);
        tfw_opt_i32(&opt, 2, l->stride);
        tfw_opt_i8(&opt, 3, (int8_t)rnd_in(0, 3));
        tfw_opt_i32(&opt, 4, l->dil);
        tfw_opt_i32(&opt, 5, l->dil);
        tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_CONV_2D, 3), c_in, 3, &y, 1, &opt);
        if (i == 0)
            first = y;
        x = y;
        memcpy(dims, y_dims, sizeof dims);
    }
    const int32_t outs[2] = {x, first};
    tfw_set_io(w, &in, 1, outs, s->n > 1 ? 2 : 1);
    built b = {.in_bytes = (size_t)s->h * (size_t)s->w * (size_t)s->c};
    assert_int_equal(tfw_finish(w, &b.buf, &b.size), 0);
    tfw_free(w);
    return b;
}

/* B at ISA on THREADS threads, blocks of WIN bytes (0: the default), on input IN: every output,
 * malloc'd (*N bytes), and the model's kernels into KERNELS (LEN bytes). */
static uint8_t *run(const built *b, edge_isa isa, unsigned threads, size_t win, const uint8_t *in,
                    size_t *n, char *kernels, size_t len)
{
    edge__fast_win_bytes(win);
    uint8_t *out = edge_test_run_buffer_all(b->buf, b->size, isa, threads, in, b->in_bytes, n,
                                            kernels, len);
    edge__fast_win_bytes(0);
    return out;
}

static const edge_isa levels[] = {EDGE_ISA_AVX2, EDGE_ISA_AVXVNNI, EDGE_ISA_AVX512VNNI,
                                  EDGE_ISA_NEON, EDGE_ISA_NEONDOT};

/* S at every level here on 1 to 3 threads with blocks of the default size and of WIN bytes,
 * against the scalar level on one thread, on INPUTS random inputs. Returns how many
 * configurations ran the indirect GEMM. */
static int check(const stack *s, size_t win, const char *what)
{
    built b = build(s);
    uint8_t *in = malloc(b.in_bytes);
    assert_non_null(in);
    int ran = 0;
    for (int k = 0; k < INPUTS; k++) {
        for (size_t i = 0; i < b.in_bytes; i++)
            in[i] = (uint8_t)rnd();
        char kernels[1024];
        size_t n = 0, got_n = 0;
        uint8_t *want = run(&b, EDGE_ISA_SCALAR, 1, 0, in, &n, kernels, sizeof kernels);
        for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
            if (edge_isa_effective(levels[l]) != levels[l])
                continue;
            for (unsigned threads = 1; threads <= 3; threads++)
                for (int v = 0; v < 2; v++) {
                    const size_t block = v ? win : 0;
                    uint8_t *got = run(&b, levels[l], threads, block, in, &got_n, kernels,
                                       sizeof kernels);
                    assert_int_equal(got_n, n);
                    ran += strstr(kernels, "igemm") != NULL;
                    const size_t i = edge_test_first_diff(got, want, n);
                    if (i < n)
                        fail_msg("%s, %s, %u threads, blocks of %zu bytes, input %d: byte %zu of "
                                 "%zu is %d, not %d (kernels %s)",
                                 what, edge_isa_name(levels[l]), threads, block, k, i, n, got[i],
                                 want[i], kernels);
                    free(got);
                }
        }
        free(want);
    }
    free(in), free(b.buf);
    return ran;
}

static stack random_stack(void)
{
    static const int32_t chans[] = {8, 16, 24, 32, 48, 64};
    stack s = {.h = rnd_in(3, 41), .w = rnd_in(3, 41), .c = chans[rnd_in(0, 5)],
               .n = rnd_in(1, MAX_LAYERS)};
    int32_t h = s.h, w = s.w;
    for (int i = 0; i < s.n; i++) {
        layer *l = &s.l[i];
        l->k = rnd_in(0, 3) ? 3 : 5;
        l->stride = rnd_in(0, 2) ? 1 : 2;
        l->dil = l->stride == 1 && !rnd_in(0, 4) ? 2 : 1;
        l->pad = rnd_in(0, 3) ? EDGE_PAD_SAME : EDGE_PAD_VALID;
        if ((l->k - 1) * l->dil + 1 > (h < w ? h : w))
            l->pad = EDGE_PAD_SAME;
        l->ch = chans[rnd_in(0, 5)];
        h = out_size(h, l->k, l->stride, l->pad, l->dil);
        w = out_size(w, l->k, l->stride, l->pad, l->dil);
    }
    return s;
}

static void test_random_stacks(void **state)
{
    (void)state;
    int ran = 0;
    const int n = rounds(12);
    for (int r = 0; r < n; r++) {
        const stack s = random_stack();
        char what[96];
        const size_t win = (size_t)rnd_in(1, 9) << 10;
        snprintf(what, sizeof what, "stack %d (%dx%dx%d, %d layers)", r, s.h, s.w, s.c, s.n);
        ran += check(&s, win, what);
    }
    if (!ran) {
        print_message("skipped: no level here runs the indirect GEMM\n");
        skip();
    }
}

/* yolov8n's 80x80 3x3 layers on fewer rows: a wide image whose task spans several blocks of
 * 4 KiB, each starting inside an output row. */
static void test_wide_rows(void **state)
{
    (void)state;
    const stack s = {.h = 12, .w = 80, .c = 32, .n = 2,
                     .l = {{3, 1, EDGE_PAD_SAME, 1, 32}, {3, 2, EDGE_PAD_SAME, 1, 16}}};
    if (!check(&s, 4096, "80-pixel rows")) {
        print_message("skipped: no level here runs the indirect GEMM\n");
        skip();
    }
}

int main(void)
{
    test_rng_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_stacks),
        cmocka_unit_test(test_wide_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
