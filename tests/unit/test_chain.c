/* tests/unit/test_chain.c - row chains: consecutive depthwise layers run as one parallel loop
 * (runtime/interp/chain.c, backends/cpu/fast_ops.c edge_fast_rows).
 *
 * Owns: checking that stacks of depthwise convolutions (3x3 and 5x5, stride 1 and 2, SAME and
 * VALID, 8 to 256 channels, every fused activation; a one-channel first layer with a depth
 * multiplier, which runs on the direct convolution; a pointwise CONV_2D after some, fused into
 * them, an expanding pointwise CONV_2D before some (a GEMM row node on int8), a SiLU after
 * some, and a residual ADD of the layer's input after some, where the shapes match) give the scalar
 * level's bytes on one thread at every level this machine runs, on 2 to 4 threads, with row chains
 * and without (EDGE_CHAIN=0), over invokes of fresh inputs (a piece that read rows before they were
 * written would read the last invoke's); half of the runs with every piece delayed at random
 * (edge__chain_piece_hook, 0 to 40 us), so that the threads take each other's pieces and wait for
 * each other's borders in every order. And that person_detect's shape (14 layers from 48 rows to 3)
 * is one chain on 2 threads, none on one thread or with EDGE_CHAIN=0, its arena under twice one
 * thread's (a layer's output lives two layers on, not to the chain's end; the random delays above
 * check that no piece writes over what a piece two layers back still reads), and its second band's
 * copy of the chain's tensors (every band but the first writes them in a copy of its own and copies
 * in the other bands' rows it reads: every run above on 2 to 4 threads reads them there) no larger
 * than the arena and counted in the interpreter's bytes; and that a layer's
 * output read again after the chain (an ADD at the end) is still right. And that the caller
 * finishes a chain alone whose helper never joins (it takes the other band's pieces it reads as it
 * needs them), and takes what is left of a slow helper's band once its own is done. Random stacks
 * are uint8 one time in three (weights about their zero point, one layer in six on the flipping
 * path, which is no row node) and start with a CONV_2D on the direct convolution one time in three;
 * mobilenet_v1_025_128_quant_u8's stack (a first CONV_2D, 13 uint8 pairs) is one chain of 14 layers
 * on 2 threads, and a mobilenet_v2-like stack of 5 blocks (expand, depthwise, project, 3 residual
 * ADDs) one chain of
 * 13. And on 2 threads, that each of a chain's plans (band 0's share of the rows, 30% to 70%)
 * gives the same bytes, its last layer (3 rows) cut between the bands by pixels or, with
 * EDGE_CHAIN_PX=0, by rows, and that the plan moves rows to the caller's band when the helper's
 * pieces are slowed, and away when the caller's are (not under valgrind, whose one thread at a
 * time leaves the threads' paces unmeasured). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "runtime/interp/interp_impl.h"
#include "runtime/exec.h"
#include "runtime/interp/steps.h"
#include "test_rng.h"
#include "test_support.h"
#include "tflite_schema.h"
#include "tflite_writer.h"
#include "conv_weights.h"

#define MAX_LAYERS 16
#define INVOKES 6

typedef struct layer {
    int32_t k, stride, pad, act;
    int32_t expand; /* a pointwise CONV_2D to this many channels before it (a GEMM row node on
                       int8), 0: none */
    int32_t pw;     /* pointwise output channels after it, 0: none */
    bool silu;      /* x * LOGISTIC(x) after it (after its pointwise layer, if any) */
    bool residual;  /* then ADD(that, the layer's input: before its expanding layer) where the
                       shapes match (an int8 row node) */
} layer;

typedef struct stack {
    int32_t h, w, c; /* input [1, h, w, c]; c == 1: the first layer multiplies by mult */
    int32_t mult;
    int32_t conv0; /* a first CONV_2D 3x3 stride 2 to conv0 channels (the direct convolution of
                      1 to 4 input channels), 0: none */
    bool u8;       /* uint8 throughout: weights that do not fit int8 (the uint8 kernels) but
                      for some layers' (the flipping path: no row node) unless WIDE */
    bool wide;
    int n;
    layer l[MAX_LAYERS];
    bool side_read; /* an ADD reads the second layer's output too (at the end) */
} stack;

typedef struct built {
    uint8_t *buf;
    size_t size, in_bytes;
} built;

/* The stack being built: uint8 activations (zero points 128 up) when set, and every weight
 * outside int8 when WIDE. */
static bool u8, wide;

/* The scales of the activation tensors added, by tensor index (the biases' scales follow them). */
#define MAX_TENSORS 1024
static float scale_of[MAX_TENSORS];

static int32_t add_i8(tfw_writer *w, const char *name, const int32_t *dims)
{
    const float scale = (float)rnd_in(20, 120) / 1000.0f;
    const int32_t t = tfw_add_q(w, u8 ? EDGE_UINT8 : EDGE_INT8, name, 4, dims, scale,
                                rnd_in(-30, 30) + (u8 ? 128 : 0));
    assert_true(t >= 0 && t < MAX_TENSORS);
    scale_of[t] = scale;
    return t;
}

/* Weights of DIMS (COUNT channels along AXIS) and biases into *WI, *BI for input tensor IN:
 * per-channel int8, or per-tensor uint8 whose zero point leaves w - zw outside int8 but one time
 * in six (128). */
static void weights(tfw_writer *w, const int32_t *dims, int32_t count, int32_t axis, int32_t in,
                    int32_t *wi, int32_t *bi)
{
    if (u8)
        conv_weights_u8(w, dims, count, wide || rnd_in(0, 5) ? rnd_in(60, 110) : 128, scale_of[in],
                        wi, bi);
    else
        conv_weights(w, dims, count, axis, scale_of[in], wi, bi);
}

static int32_t out_size(int32_t in, int32_t k, int32_t stride, int32_t pad)
{
    return pad == EDGE_PAD_SAME ? (in + stride - 1) / stride : (in - k) / stride + 1;
}

/* A KxK CONV_2D (STRIDE, PAD) from X (of DIMS) to CH channels, a random fused activation; its
 * output, whose dims go to OUT_DIMS. */
static int32_t conv(tfw_writer *w, int32_t x, const int32_t *dims, int32_t ch, int32_t k,
                    int32_t stride, int32_t pad, int32_t *out_dims)
{
    const int32_t w_dims[4] = {ch, k, k, dims[3]};
    const int32_t y_dims[4] = {1, out_size(dims[1], k, stride, pad),
                               out_size(dims[2], k, stride, pad), ch};
    int32_t wi, bi;
    weights(w, w_dims, ch, 0, x, &wi, &bi);
    const int32_t y = add_i8(w, "conv", y_dims), c_in[3] = {x, wi, bi};
    tfw_options opt;
    tfw_opt_init(&opt, TFL_OPT_Conv2DOptions);
    tfw_opt_i8(&opt, 0, (int8_t)pad);
    tfw_opt_i32(&opt, 1, stride);
    tfw_opt_i32(&opt, 2, stride);
    tfw_opt_i8(&opt, 3, (int8_t)rnd_in(0, 3));
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_CONV_2D, 3), c_in, 3, &y, 1, &opt);
    memcpy(out_dims, y_dims, sizeof y_dims);
    return y;
}

static built build(const stack *s)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    u8 = s->u8;
    wide = s->wide;
    int32_t dims[4] = {1, s->h, s->w, s->c};
    const int32_t in = add_i8(w, "in", dims);
    int32_t x = in, second = -1, second_dims[4] = {0};
    tfw_options opt;
    if (s->conv0)
        x = conv(w, x, dims, s->conv0, 3, 2, EDGE_PAD_SAME, dims);
    for (int i = 0; i < s->n; i++) {
        const layer *l = &s->l[i];
        const int32_t block_in = x, block_dims[4] = {dims[0], dims[1], dims[2], dims[3]};
        if (l->expand)
            x = conv(w, x, dims, l->expand, 1, 1, EDGE_PAD_VALID, dims);
        const int32_t mult = i == 0 && dims[3] == 1 ? s->mult : 1, ch = dims[3] * mult;
        int32_t y_dims[4] = {1, out_size(dims[1], l->k, l->stride, l->pad),
                             out_size(dims[2], l->k, l->stride, l->pad), ch};
        int32_t wi, bi;
        const int32_t w_dims[4] = {1, l->k, l->k, ch};
        weights(w, w_dims, ch, 3, x, &wi, &bi);
        int32_t y = add_i8(w, "dw", y_dims);
        tfw_opt_init(&opt, TFL_OPT_DepthwiseConv2DOptions);
        tfw_opt_i8(&opt, 0, (int8_t)l->pad);
        tfw_opt_i32(&opt, 1, l->stride);
        tfw_opt_i32(&opt, 2, l->stride);
        tfw_opt_i32(&opt, 3, mult);
        tfw_opt_i8(&opt, 4, (int8_t)l->act);
        const int32_t d_in[3] = {x, wi, bi};
        tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_DEPTHWISE_CONV_2D, 3), d_in, 3, &y, 1, &opt);
        if (l->pw)
            y = conv(w, y, y_dims, l->pw, 1, 1, EDGE_PAD_VALID, y_dims);
        if (l->silu && !s->u8) {
            const int32_t sg = tfw_add_q(w, EDGE_INT8, "s", 4, y_dims, 1.0f / 256.0f, -128);
            const int32_t o = add_i8(w, "silu", y_dims), mul_in[2] = {y, sg};
            tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_LOGISTIC, 2), &y, 1, &sg, 1, NULL);
            tfw_opt_init(&opt, TFL_OPT_MulOptions);
            tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_MUL, 2), mul_in, 2, &o, 1, &opt);
            y = o;
        }
        if (l->residual && !memcmp(y_dims, block_dims, sizeof block_dims)) {
            const int32_t r = add_i8(w, "res", y_dims), add_in[2] = {y, block_in};
            tfw_opt_init(&opt, TFL_OPT_AddOptions);
            tfw_opt_i8(&opt, 0, (int8_t)rnd_in(0, 3)); /* a fused activation */
            tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_ADD, 2), add_in, 2, &r, 1, &opt);
            y = r;
        }
        if (i == 1) {
            second = y;
            memcpy(second_dims, y_dims, sizeof second_dims);
        }
        x = y;
        memcpy(dims, y_dims, sizeof dims);
    }
    int32_t outs[2] = {x, -1}, n_out = 1;
    if (s->side_read) { /* x2 = ADD(second, second), a second output */
        const int32_t x2 = add_i8(w, "x2", second_dims), add_in[2] = {second, second};
        tfw_opt_init(&opt, TFL_OPT_AddOptions);
        tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_ADD, 2), add_in, 2, &x2, 1, &opt);
        outs[1] = x2;
        n_out = 2;
    }
    tfw_set_io(w, &in, 1, outs, n_out);
    built b = {.in_bytes = (size_t)s->h * (size_t)s->w * (size_t)s->c};
    assert_int_equal(tfw_finish(w, &b.buf, &b.size), 0);
    tfw_free(w);
    return b;
}

/* ---- the piece hook: a random delay before each piece ---- */

static atomic_uint delay_seed = 1;

static void delay_piece(unsigned thread, int32_t piece)
{
    static _Thread_local uint32_t x;
    if (!x)
        x = atomic_fetch_add(&delay_seed, 0x9E3779B9u) | 1u;
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    (void)thread, (void)piece;
    const long us = (long)(x % 41u);
    if (x & 0x100u) /* about half of the pieces wait */
        nanosleep(&(struct timespec){0, us * 1000}, NULL);
}

/* ---- running ---- */

typedef struct run_opts {
    edge_isa isa;
    unsigned threads;
    bool chain, delay;
} run_opts;

/* Open B as O says; *CHAINS and *LAYERS: its row chains (edge__chain_count). */
static edge_model *open_as(const built *b, const run_opts *o, int32_t *chains, int32_t *layers)
{
    if (o->chain)
        unsetenv("EDGE_CHAIN");
    else
        setenv("EDGE_CHAIN", "0", 1);
    edge_model_options opt = {.isa = o->isa, .threads = o->threads};
    edge_error err = {0};
    edge_model *m = NULL;
    const int rc = edge_model_open_buffer(b->buf, b->size, &opt, &m, &err);
    unsetenv("EDGE_CHAIN");
    if (rc)
        fail_msg("open: %s", err.message);
    *chains = edge__chain_count(m, layers);
    return m;
}

/* Every output of one invoke of IT, concatenated into OUT (BYTES of them). */
static size_t outputs(edge_interp *it, uint8_t *out, size_t bytes)
{
    const size_t n_out = edge_model_output_count(edge_interp_model(it));
    size_t at = 0;
    for (size_t i = 0; i < n_out; i++) {
        size_t n = 0;
        const void *p = edge_interp_output(it, i, &n);
        assert_true(at + n <= bytes);
        memcpy(out + at, p, n);
        at += n;
    }
    return at;
}

#define OUT_MAX (1u << 20)

/* INVOKES invokes of B as O says on inputs IN (INVOKES of b->in_bytes) into OUT (INVOKES of
 * OUT_MAX); returns one invoke's output bytes. */
static size_t run(const built *b, const run_opts *o, const uint8_t *in, uint8_t *out)
{
    int32_t chains, layers;
    edge_model *m = open_as(b, o, &chains, &layers);
    edge_interp *it = NULL;
    edge_error err = {0};
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    edge__chain_piece_hook(o->delay ? delay_piece : NULL);
    size_t n = 0;
    for (int k = 0; k < INVOKES; k++) {
        memcpy(edge_interp_input(it, 0, NULL), in + (size_t)k * b->in_bytes, b->in_bytes);
        assert_int_equal(edge_interp_invoke(it), 0);
        n = outputs(it, out + (size_t)k * OUT_MAX, OUT_MAX);
    }
    edge__chain_piece_hook(NULL);
    edge_interp_free(it);
    edge_model_unref(m);
    return n;
}

static const edge_isa levels[] = {EDGE_ISA_AVX2, EDGE_ISA_AVXVNNI, EDGE_ISA_AVX512VNNI,
                                  EDGE_ISA_NEON, EDGE_ISA_NEONDOT};

/* S at every level here on 2 to 4 threads, chains on and off, delays on and off, against the
 * scalar level on one thread. Returns how many configurations ran. */
static int check(const stack *s, const char *what)
{
    built b = build(s);
    uint8_t *in = malloc((size_t)INVOKES * b.in_bytes);
    uint8_t *want = malloc((size_t)INVOKES * OUT_MAX), *got = malloc((size_t)INVOKES * OUT_MAX);
    assert_true(in && want && got);
    for (size_t i = 0; i < (size_t)INVOKES * b.in_bytes; i++)
        in[i] = (uint8_t)rnd();
    const run_opts ref = {EDGE_ISA_SCALAR, 1, false, false};
    const size_t n = run(&b, &ref, in, want);
    int ran = 0;
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
        if (edge_isa_effective(levels[l]) != levels[l])
            continue;
        for (unsigned threads = 2; threads <= 4; threads++)
            for (int v = 0; v < 4; v++) {
                const run_opts o = {levels[l], threads, v & 1, v >> 1};
                assert_int_equal(run(&b, &o, in, got), n);
                for (int k = 0; k < INVOKES; k++) {
                    const uint8_t *g = got + (size_t)k * OUT_MAX, *e = want + (size_t)k * OUT_MAX;
                    const size_t i = edge_test_first_diff(g, e, n);
                    if (i < n)
                        fail_msg("%s, %s, %u threads, chains %d, delays %d, invoke %d: byte %zu of "
                                 "%zu is %d, not %d",
                                 what, edge_isa_name(levels[l]), threads, o.chain, o.delay, k, i, n,
                                 g[i], e[i]);
                }
                ran++;
            }
    }
    free(in), free(want), free(got), free(b.buf);
    return ran;
}

/* person_detect's depthwise stack (96x96 gray, 3x3 layers: a one-channel first layer of 8, then
 * pairs with pointwise layers, strides 2 at 48, 24, 12 and 6 rows) with fewer channels, as many
 * as its own from 64 on: depthwise layers on whole blocks of every level's kernel (16, 64), whose
 * rows a neighbour reads without the over-read row (edge_rows_geom.over 0), and on partial ones. */
static stack person_like(void)
{
    stack s = {.h = 96, .w = 96, .c = 1, .mult = 8, .n = 0};
    static const int32_t stride[] = {2, 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
    static const int32_t pw[] = {0, 16, 16, 16, 24, 24, 64, 64, 64, 128, 128, 128, 128, 256};
    for (int i = 0; i < 14; i++)
        s.l[s.n++] = (layer){3, stride[i], EDGE_PAD_SAME, rnd_in(0, 3), 0, pw[i], false, false};
    return s;
}

/* mobilenet_v1_025_128_quant_u8's stack (the Coral zoo's uint8 MobileNet: a first CONV_2D of 3
 * channels to 8, stride 2, then 13 depthwise layers each with its pointwise one) at half its
 * size, uint8 throughout, weights that do not fit int8 (the uint8 kernels). */
static stack mobilenet_u8(void)
{
    stack s = {.h = 128, .w = 128, .c = 3, .mult = 1, .conv0 = 8, .u8 = true, .wide = true, .n = 0};
    static const int32_t stride[] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
    static const int32_t pw[] = {16, 32, 32, 64, 64, 128, 128, 128, 128, 128, 128, 256, 256};
    for (int i = 0; i < 13; i++)
        s.l[s.n++] = (layer){3, stride[i], EDGE_PAD_SAME, rnd_in(0, 3), 0, pw[i], false, false};
    return s;
}

/* mobilenet_v2's blocks (expand to 6 times the channels, a 3x3 depthwise layer, project, and the
 * residual ADD of the block's input where the shapes match) from its 28x28 stage on, at a third of
 * its channels, int8: the expanding layers are GEMM row nodes and the ADDs row nodes too, so the
 * chain runs through the blocks rather than breaking at each. */
static stack mobilenet_v2_like(void)
{
    stack s = {.h = 28, .w = 28, .c = 8, .mult = 1, .n = 0};
    static const int32_t stride[] = {1, 2, 1, 1, 1};
    static const int32_t out[] = {8, 16, 16, 16, 24};
    int32_t c = s.c;
    for (int i = 0; i < 5; i++) {
        s.l[s.n++] = (layer){3,     stride[i], EDGE_PAD_SAME, rnd_in(0, 3),
                             6 * c, out[i],    false,         stride[i] == 1 && out[i] == c};
        c = out[i];
    }
    return s;
}

static stack random_stack(void)
{
    stack s = {.h = rnd_in(9, 40), .w = rnd_in(3, 24), .c = rnd_in(0, 2) ? 8 * rnd_in(1, 4) : 1};
    s.mult = s.c == 1 ? 8 * rnd_in(1, 2) : 1;
    s.u8 = rnd_in(0, 2) == 0;
    if (rnd_in(0, 2) == 0) { /* a first layer on the direct convolution */
        s.c = rnd_in(1, 4);
        s.conv0 = 8 * rnd_in(1, 3);
    }
    s.n = rnd_in(3, 6);
    int32_t h = s.h, w = s.w;
    if (s.conv0) {
        h = out_size(h, 3, 2, EDGE_PAD_SAME);
        w = out_size(w, 3, 2, EDGE_PAD_SAME);
    }
    for (int i = 0; i < s.n; i++) {
        layer *l = &s.l[i];
        l->k = rnd_in(0, 3) ? 3 : 5;
        l->stride = h >= 12 && rnd_in(0, 2) == 0 ? 2 : 1;
        l->pad = h > l->k + 2 && w > l->k + 2 && rnd_in(0, 3) == 0 ? EDGE_PAD_VALID : EDGE_PAD_SAME;
        l->act = rnd_in(0, 3);
        l->expand = rnd_in(0, 2) == 0 ? 8 * rnd_in(1, 6) : 0;
        l->pw = rnd_in(0, 2) ? 8 * rnd_in(1, 5) : 0;
        l->silu = rnd_in(0, 4) == 0;
        l->residual = rnd_in(0, 1) == 0;
        h = out_size(h, l->k, l->stride, l->pad);
        w = out_size(w, l->k, l->stride, l->pad);
        if (h < 1 || w < 1) { /* too small for another layer: end here */
            s.n = i;
            break;
        }
    }
    return s;
}

static bool has_fast_level(void)
{
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++)
        if (edge_isa_effective(levels[l]) == levels[l])
            return true;
    return false;
}

/* The last of LEVELS this machine runs (the scalar level when none). */
static edge_isa best_level(void)
{
    edge_isa best = EDGE_ISA_SCALAR;
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++)
        if (edge_isa_effective(levels[l]) == levels[l])
            best = levels[l];
    return best;
}

/* Every plan of M's chains gives each piece that a piece of another band reads a place of its
 * rows' bytes in the exchange (64-byte aligned, none overlapping another, within the plan's and
 * the model's exchange bytes), and no place to the others. */
static void check_exchange(const edge_model *m)
{
    for (int32_t c = 0; c < m->n_chains; c++) {
        const edge_chain *ch = &m->chains[c];
        for (int32_t k = 0; k < ch->n_plans; k++) {
            const edge_chain_plan *pl = &ch->plans[k];
            assert_true(pl->xch_bytes <= m->chain_xch_bytes);
            bool *read = calloc((size_t)pl->n_pieces, sizeof *read);
            assert_non_null(read);
            for (int32_t q = 0; q < pl->n_pieces; q++)
                for (int32_t d = pl->pieces[q].dep0; d < pl->pieces[q].dep1; d++)
                    if (pl->pieces[d].band != pl->pieces[q].band)
                        read[d] = true;
            size_t used = 0;
            for (int32_t q = 0; q < pl->n_pieces; q++) {
                const edge_chain_piece *p = &pl->pieces[q];
                if (!read[q]) {
                    assert_int_equal(p->xoff, -1);
                    continue;
                }
                assert_true(p->xoff >= 0 && p->xoff % 64 == 0);
                const size_t bytes =
                    (size_t)(p->r1 - p->r0) * (size_t)ch->layers[p->layer + 1].in_row_bytes;
                assert_true((size_t)p->xoff + bytes <= pl->xch_bytes);
                for (int32_t o = 0; o < q; o++) {
                    const edge_chain_piece *r = &pl->pieces[o];
                    if (!read[o])
                        continue;
                    const size_t rb =
                        (size_t)(r->r1 - r->r0) * (size_t)ch->layers[r->layer + 1].in_row_bytes;
                    assert_true((size_t)r->xoff + rb <= (size_t)p->xoff ||
                                (size_t)p->xoff + bytes <= (size_t)r->xoff);
                }
                used += bytes;
            }
            assert_true(used > 0 && used <= pl->xch_bytes);
            free(read);
        }
    }
}

static void test_person_like(void **state)
{
    (void)state;
    if (!has_fast_level())
        skip();
    const stack s = person_like();
    assert_true(check(&s, "person_detect-like") > 0);
    built b = build(&s);
    int32_t chains, layers;
    const edge_isa best = best_level();
    const run_opts two = {best, 2, true, false}, one = {best, 1, true, false},
                   off = {best, 2, false, false};
    edge_model *m2 = open_as(&b, &two, &chains, &layers);
    assert_int_equal(chains, 1);
    assert_int_equal(layers, 14); /* down to the 3-row layers: every band has a row */
    edge_model *m1 = open_as(&b, &one, &chains, &layers);
    assert_int_equal(chains, 0);
    /* a layer's output lives two layers on, not to the chain's end: person_detect's arena was
     * 3.3 times one thread's, now 1.4 times (this stack's: 2.4 and 1.25) */
    printf("arena: %zu bytes on 2 threads (%zu in the second band's copy), %zu on one\n",
           m2->arena_bytes, m2->band_bytes, edge_model_arena_bytes(m1));
    assert_true(m2->arena_bytes < 2 * edge_model_arena_bytes(m1));
    /* the second band writes the chain's tensors but its output in a copy of its own, laid out
     * as the arena lays them, and the interpreter's bytes count it */
    assert_true(m2->band_bytes > 0 && m2->band_bytes <= m2->arena_bytes + EDGE_ARENA_ALIGN);
    assert_int_equal(edge_model_arena_bytes(m2), m2->arena_bytes + edge_band_copies_bytes(m2));
    assert_int_equal(m1->band_bytes, 0);
    /* the rows another band reads go through the exchange, counted with the copies */
    check_exchange(m2);
    assert_true(m2->chain_xch_bytes > 0 &&
                edge_band_copies_bytes(m2) >= m2->chain_xch_bytes + m2->band_bytes);
    edge_model_unref(m2);
    edge_model_unref(m1);
    edge_model_unref(open_as(&b, &off, &chains, &layers));
    assert_int_equal(chains, 0);
    free(b.buf);
}

/* Stack S (WHAT) checked, then opened on 2 threads: one chain of LAYERS layers. */
static void check_one_chain(const stack *s, const char *what, int32_t want_layers)
{
    if (!has_fast_level())
        skip();
    assert_true(check(s, what) > 0);
    built b = build(s);
    int32_t chains, layers;
    const run_opts two = {best_level(), 2, true, false};
    edge_model *m = open_as(&b, &two, &chains, &layers);
    printf("%s on 2 threads: %d chains, %d layers (%s)\n", what, chains, layers,
           edge_model_kernels(m));
    assert_int_equal(chains, 1);
    assert_int_equal(layers, want_layers);
    check_exchange(m);
    edge_model_unref(m);
    free(b.buf);
}

static void test_mobilenet_u8(void **state)
{
    (void)state;
    const stack s = mobilenet_u8();
    /* the first CONV_2D and the 13 fused pairs */
    check_one_chain(&s, "mobilenet_v1_025-like, uint8", 14);
}

static void test_mobilenet_v2_like(void **state)
{
    (void)state;
    const stack s = mobilenet_v2_like();
    /* 5 expanding GEMM layers, 5 depthwise ones with their pointwise, 3 residual ADDs */
    check_one_chain(&s, "mobilenet_v2-like", 13);
}

static void test_random_stacks(void **state)
{
    (void)state;
    if (!has_fast_level())
        skip();
    char what[64];
    for (int r = 0, n = rounds(10); r < n; r++) {
        const stack s = random_stack();
        if (s.n < 1)
            continue;
        snprintf(what, sizeof what, "stack %d (%dx%dx%d%s, conv0 %d, %d layers)", r, s.h, s.w, s.c,
                 s.u8 ? " uint8" : "", s.conv0, s.n);
        assert_true(check(&s, what) > 0);
    }
}

static void test_side_read(void **state)
{
    (void)state;
    if (!has_fast_level())
        skip();
    stack s = person_like();
    s.n = 5;
    s.side_read = true; /* the second layer's output is read at the end too */
    assert_true(check(&s, "side read") > 0);
}

/* ---- a helper that never comes, and a slow one ---- */

static atomic_int ran_by[2][64]; /* [thread 0 or another][piece]: pieces run */
/* The slow helper: SLOW_PIECE (-1: none), held by a helper until the caller has begun its own
 * band's last piece (LAST0) in this invoke (INVOKE), then 20 ms more; and per invoke, whether a
 * helper held it (HELD_IN) and whether the caller ran band 1's last piece (LAST1, TAKEN_IN). */
static atomic_int slow_piece, last0, last1, invoke;
#define SLOW_INVOKES 40 /* at most: until a helper was held in 3 */
static atomic_bool caller_at_last0, held_in[SLOW_INVOKES], taken_in[SLOW_INVOKES];

static void note_piece(unsigned thread, int32_t piece)
{
    if (piece >= 0 && piece < 64)
        atomic_fetch_add(&ran_by[thread != 0][piece], 1);
    const int k = atomic_load(&invoke);
    if (!thread && piece == atomic_load(&last0))
        atomic_store(&caller_at_last0, true);
    if (!thread && piece == atomic_load(&last1))
        atomic_store(&taken_in[k], true);
    if (!thread || piece != atomic_load(&slow_piece))
        return;
    for (int i = 0; i < 20000 && !atomic_load(&caller_at_last0); i++)
        nanosleep(&(struct timespec){0, 100000}, NULL); /* 2 s at most */
    nanosleep(&(struct timespec){0, 20000000}, NULL);
    atomic_store(&held_in[k], true);
}

/* Invokes of S on 2 threads, each checked against the scalar level on one thread: INVOKES with
 * helpers held (HELD), else with a helper slow in band 1's middle of the layer before the last,
 * until one was in 3 invokes (a helper may not join at all under valgrind), at most SLOW_INVOKES.
 * Returns how many ran. */
static int run_helpers(const stack *s, bool held)
{
    built b = build(s);
    uint8_t *in = malloc((size_t)INVOKES * b.in_bytes);
    uint8_t *want = malloc((size_t)INVOKES * OUT_MAX), *got = malloc(OUT_MAX);
    assert_true(in && want && got);
    for (size_t i = 0; i < (size_t)INVOKES * b.in_bytes; i++)
        in[i] = (uint8_t)rnd();
    const run_opts ref = {EDGE_ISA_SCALAR, 1, false, false};
    const size_t n = run(&b, &ref, in, want);
    const edge_isa best = best_level();
    const run_opts two = {best, 2, true, false};
    int32_t chains, layers;
    edge_model *m = open_as(&b, &two, &chains, &layers);
    assert_int_equal(chains, 1);
    const edge_chain *c = &m->chains[0];
    assert_true(c->n_pieces <= 64 && c->n_layers >= 3);
    atomic_store(&slow_piece, -1);
    edge__chain_plan_hook(c->even); /* the pieces named here are the even cut's */
    const edge_chain_layer *l = &c->layers[c->n_layers - 2];
    for (int32_t q = l->first; !held && q < l->first + l->n; q++)
        if (c->pieces[q].band == 1 && !c->pieces[q].border)
            atomic_store(&slow_piece, q);
    assert_true(held || atomic_load(&slow_piece) >= 0);
    atomic_store(&last0, held ? -1 : c->last[0]);
    atomic_store(&last1, held ? -1 : c->last[1]);
    edge_interp *it = NULL;
    edge_error err = {0};
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    memset(ran_by, 0, sizeof ran_by);
    edge__exec_spells(0); /* the team's loops stay the team's, whatever its helpers do */
    edge__chain_piece_hook(note_piece);
    if (held)
        edge__exec_stall(1);
    int k = 0;
    for (int held_n = 0; held ? k < INVOKES : k < SLOW_INVOKES && held_n < 3; k++) {
        const int i = k % INVOKES; /* its input and want */
        memcpy(edge_interp_input(it, 0, NULL), in + (size_t)i * b.in_bytes, b.in_bytes);
        atomic_store(&invoke, k);
        atomic_store(&caller_at_last0, false);
        atomic_store(&held_in[k], false);
        atomic_store(&taken_in[k], false);
        assert_int_equal(edge_interp_invoke(it), 0);
        assert_int_equal(outputs(it, got, OUT_MAX), n);
        assert_memory_equal(got, want + (size_t)i * OUT_MAX, n);
        held_n += atomic_load(&held_in[k]);
    }
    edge__exec_stall(0);
    edge__chain_piece_hook(NULL);
    edge__chain_plan_hook(-1);
    edge__exec_spells(1);
    edge_interp_free(it);
    edge_model_unref(m);
    free(in), free(want), free(got), free(b.buf);
    return k;
}

/* Helpers held before they join: the caller runs both bands (its own task's pieces, the other
 * band's that its pieces read as it needs them, then the rest), and nothing waits forever. */
static void test_helper_never_joins(void **state)
{
    (void)state;
    if (!has_fast_level())
        skip();
    const stack s = person_like();
    run_helpers(&s, true);
    int by0 = 0, by1 = 0;
    for (int q = 0; q < 64; q++)
        by0 += atomic_load(&ran_by[0][q]), by1 += atomic_load(&ran_by[1][q]);
    assert_int_equal(by1, 0);
    assert_true(by0 > 0); /* the chain ran on the team's way, not a node alone */
}

/* Three 40-row layers, a helper held in its band's middle of the second (which the caller's
 * band does not read) until the caller has done its own band: the caller then takes the helper's
 * band of the last layer, which no piece reads and which the helper has not begun (in every
 * invoke the helper joined, but for the scheduler keeping the caller off its CPU 20 ms). */
static void test_slow_helper(void **state)
{
    (void)state;
    if (!has_fast_level())
        skip();
    stack s = {.h = 40, .w = 8, .c = 16, .mult = 1, .n = 3};
    for (int i = 0; i < s.n; i++)
        s.l[i] = (layer){3, 1, EDGE_PAD_SAME, 0, 0, 0, false, false};
    const int ran = run_helpers(&s, false);
    int held = 0, taken = 0;
    for (int k = 0; k < ran; k++)
        if (atomic_load(&held_in[k])) {
            held++;
            taken += atomic_load(&taken_in[k]);
        }
    if (!held) {
        print_message("skipped: no helper reached its slow piece in %d invokes (valgrind runs one "
                      "thread at a time)\n",
                      ran);
        skip();
    }
    assert_true(taken > 0);
}

/* ---- plans: every cut right, and the cut following the threads' paces ---- */

/* person_detect's stack built into *B, INVOKES fresh inputs into *IN and the scalar level's
 * outputs on one thread into *WANT (INVOKES of OUT_MAX each); returns an invoke's output bytes. */
static size_t person_ref(built *b, uint8_t **in, uint8_t **want)
{
    const stack s = person_like();
    *b = build(&s);
    *in = malloc((size_t)INVOKES * b->in_bytes);
    *want = malloc((size_t)INVOKES * OUT_MAX);
    assert_true(*in && *want);
    for (size_t i = 0; i < (size_t)INVOKES * b->in_bytes; i++)
        (*in)[i] = (uint8_t)rnd();
    const run_opts ref = {EDGE_ISA_SCALAR, 1, false, false};
    return run(b, &ref, *in, *want);
}

/* Plan P's last layer (of N_LAYERS; its pixels a row W, 0: cut by rows) on THREADS threads: cut by
 * pixels (person_detect's 3 rows do not share out evenly), one piece a band in band order, their
 * pixels every pixel of the layer once, each piece's rows those its pixels lie in. */
static void px_cut_check(const edge_chain_plan *p, int32_t n_layers, int32_t w, unsigned threads)
{
    assert_true(w > 0);
    const int32_t q0 = p->first[n_layers - 1], q1 = p->first[n_layers];
    assert_int_equal(q1 - q0, (int32_t)threads);
    int32_t at = 0;
    for (int32_t q = q0; q < q1; q++) {
        const edge_chain_piece *x = &p->pieces[q];
        assert_int_equal(x->band, q - q0);
        assert_int_equal(x->px0, at);
        assert_true(x->px1 > x->px0);
        assert_int_equal(x->r0, x->px0 / w);
        assert_int_equal(x->r1, (x->px1 + w - 1) / w);
        at = x->px1;
    }
    assert_int_equal(at % w, 0);
    assert_int_equal(at / w, p->pieces[q1 - 1].r1);
    for (int32_t q = p->first[0]; q < q0; q++) /* every other layer by rows */
        assert_int_equal(p->pieces[q].px1, p->pieces[q].px0);
}

/* person_detect's stack on 2 threads at the best level: 9 plans, the even one sharing 500 per
 * mille, band 0's rows growing with the share, its last layer cut by pixels in each; and each plan,
 * forced (edge__chain_plan_hook), with pieces delayed at random, gives the scalar level's bytes, as
 * does the last layer cut by rows (EDGE_CHAIN_PX=0). */
static void test_plans(void **state)
{
    (void)state;
    if (!has_fast_level())
        skip();
    built b;
    uint8_t *in, *want, *got = malloc((size_t)INVOKES * OUT_MAX);
    const size_t n = person_ref(&b, &in, &want);
    assert_non_null(got);
    const run_opts two = {best_level(), 2, true, true};
    int32_t chains, layers;
    edge_model *m = open_as(&b, &two, &chains, &layers);
    assert_int_equal(chains, 1);
    const edge_chain *c = &m->chains[0];
    assert_int_equal(c->n_plans, 9);
    assert_int_equal(c->plans[c->even].share, 500);
    assert_ptr_equal(c->pieces, c->plans[c->even].pieces);
    for (int32_t k = 1; k < c->n_plans; k++) {
        assert_true(c->plans[k].share > c->plans[k - 1].share);
        assert_true(c->plans[k].rows0[0] >= c->plans[k - 1].rows0[0]);
    }
    assert_true(c->plans[0].rows0[0] < c->plans[c->even].rows0[0]);
    assert_true(c->plans[c->n_plans - 1].rows0[0] > c->plans[c->even].rows0[0]);
    for (int32_t k = 0; k < c->n_plans; k++)
        px_cut_check(&c->plans[k], c->n_layers, c->layers[c->n_layers - 1].px_w, 2);
    const int32_t plans = c->n_plans;
    edge_model_unref(m);
    for (int32_t k = 0; k < plans; k++) {
        edge__chain_plan_hook(k);
        assert_int_equal(run(&b, &two, in, got), n);
        edge__chain_plan_hook(-1);
        for (int i = 0; i < INVOKES; i++) {
            const uint8_t *g = got + (size_t)i * OUT_MAX, *e = want + (size_t)i * OUT_MAX;
            const size_t at = edge_test_first_diff(g, e, n);
            if (at < n)
                fail_msg("plan %d, invoke %d: byte %zu of %zu is %d, not %d", (int)k, i, at, n,
                         g[at], e[at]);
        }
    }
    setenv("EDGE_CHAIN_PX", "0", 1); /* the last layer cut by rows, as before */
    m = open_as(&b, &two, &chains, &layers);
    assert_int_equal(m->chains[0].layers[m->chains[0].n_layers - 1].px_w, 0);
    edge_model_unref(m);
    assert_int_equal(run(&b, &two, in, got), n);
    unsetenv("EDGE_CHAIN_PX");
    for (int i = 0; i < INVOKES; i++) {
        const uint8_t *g = got + (size_t)i * OUT_MAX, *e = want + (size_t)i * OUT_MAX;
        const size_t at = edge_test_first_diff(g, e, n);
        if (at < n)
            fail_msg("last layer by rows, invoke %d: byte %zu of %zu is %d, not %d", i, at, n,
                     g[at], e[at]);
    }
    setenv("EDGE_CHAIN_STEER", "0", 1); /* the even cut alone */
    m = open_as(&b, &two, &chains, &layers);
    unsetenv("EDGE_CHAIN_STEER");
    assert_int_equal(m->chains[0].n_plans, 1);
    assert_int_equal(m->chains[0].plans[0].share, 500);
    edge_model_unref(m);
    free(in), free(want), free(got), free(b.buf);
}

static atomic_uint slowed; /* the thread whose pieces sleep SLOW_US first (2: none) */
static atomic_int helper_ran;
#define SLOW_US 50
#define STEER_INVOKES 400

static void slow_thread(unsigned thread, int32_t piece)
{
    (void)piece;
    if (thread)
        atomic_fetch_add(&helper_ran, 1);
    if (thread == atomic_load(&slowed))
        nanosleep(&(struct timespec){0, SLOW_US * 1000}, NULL);
}

/* The team's invokes judged faster than alone, whatever the sleeps make them. */
static uint64_t team_faster(void *arg, edge_exec_way way)
{
    (void)arg;
    return way == EDGE_WAY_TEAM ? 1000 : 1000000;
}

/* person_detect's stack on 2 threads, the helper's pieces each SLOW_US longer: within
 * STEER_INVOKES invokes its chain gives band 0 (the caller's) more than half of the rows; then
 * the caller's pieces slowed instead: less than half. The outputs stay the scalar level's. */
static void test_steer(void **state)
{
    (void)state;
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload")) {
        print_message("skipped: valgrind runs the threads one at a time, so each one's kernel "
                      "times hold the other's\n");
        skip();
    }
    if (!has_fast_level())
        skip();
    built b;
    uint8_t *in, *want, *got = malloc(OUT_MAX);
    const size_t n = person_ref(&b, &in, &want);
    assert_non_null(got);
    const run_opts two = {best_level(), 2, true, false};
    int32_t chains, layers;
    edge_model *m = open_as(&b, &two, &chains, &layers);
    assert_int_equal(chains, 1);
    edge_interp *it = NULL;
    edge_error err = {0};
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    assert_int_equal(edge__chain_share(m, it->chain_words, 0), 500);
    edge__exec_spells(0);
    edge__exec_invoke_ticks(team_faster, NULL);
    edge__chain_piece_hook(slow_thread);
    atomic_store(&helper_ran, 0);
    int took[2] = {-1, -1};
    for (int phase = 0; phase < 2; phase++) {
        atomic_store(&slowed, phase ? 0u : 1u);
        for (int k = 0; k < STEER_INVOKES && took[phase] < 0; k++) {
            const int i = k % INVOKES;
            memcpy(edge_interp_input(it, 0, NULL), in + (size_t)i * b.in_bytes, b.in_bytes);
            assert_int_equal(edge_interp_invoke(it), 0);
            assert_int_equal(outputs(it, got, OUT_MAX), n);
            assert_memory_equal(got, want + (size_t)i * OUT_MAX, n);
            const unsigned share = edge__chain_share(m, it->chain_words, 0);
            if (phase ? share < 500 : share > 500)
                took[phase] = k + 1;
        }
    }
    edge__chain_piece_hook(NULL);
    edge__exec_invoke_ticks(NULL, NULL);
    edge__exec_spells(1);
    edge_interp_free(it);
    edge_model_unref(m);
    free(in), free(want), free(got), free(b.buf);
    if (!atomic_load(&helper_ran)) {
        print_message("skipped: the helper ran no piece\n");
        skip();
    }
    if (took[0] < 0 || took[1] < 0)
        fail_msg("the cut did not follow the paces: band 0 took more rows after %d invokes, fewer "
                 "after %d (-1: not in %d)",
                 took[0], took[1], STEER_INVOKES);
}

int main(void)
{
    test_rng_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_person_like),
        cmocka_unit_test(test_mobilenet_u8),
        cmocka_unit_test(test_mobilenet_v2_like),
        cmocka_unit_test(test_random_stacks),
        cmocka_unit_test(test_side_read),
        cmocka_unit_test(test_helper_never_joins),
        cmocka_unit_test(test_slow_helper),
        cmocka_unit_test(test_plans),
        cmocka_unit_test(test_steer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
