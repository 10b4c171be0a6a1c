/* tests/unit/test_int4.c - TensorFlow Lite's INT4 weights (two values a byte, low nibble first).
 *
 * Owns: checking that a model whose constant weights are INT4 (odd element counts: the last
 * byte's high nibble is padding, set to garbage here) gives, at every kernel level this machine
 * runs, the bytes of its int8 twin (the same values stored one a byte) at the scalar level, for
 * FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D and BATCH_MATMUL with int8 activations (weights
 * per channel; BATCH_MATMUL per tensor) and with float32 activations (hybrid); that
 * EMBEDDING_LOOKUP of an INT4 table writes value * scale of each row (computed here); that
 * DEQUANTIZE of an INT4 constant gives its int8 twin's floats, (v - zero point) * scale; and that
 * the loader refuses an INT4 buffer of the wrong size, an INT4 tensor read by an operator that
 * takes no INT4, and an INT4 table looked up into int8, each with a clear message.
 * FULLY_CONNECTED, int8 and hybrid (odd depths, so rows start mid-byte; per channel and per
 * tensor; hybrid symmetric and asymmetric inputs; units past the kernels' passes; a third of the
 * int8 cases at the largest partial sums, weights 7 and inputs -128; one and two threads) must run
 * on an fc_int4 kernel, and the model's weight bytes must be the nibbles' (the int8 copy freed);
 * so must every node on a packed path (CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED above the
 * scalar level, which must take one), and the GEMM's packing (past 8 rows of FULLY_CONNECTED,
 * CONV_2D 1x1, indirect and im2col, one and two threads, channels past a block) must be smaller
 * than the int8 twin's (its blocks held 4-bit). BATCH_MATMUL keeps the int8 copy. Planted bugs
 * this caught: nibble order, sign extension, padded rows at odd depths, the quads swapped at
 * avx512vnni and avxvnni, five int16 groups at avx2, a thread's block offset, the int8 copy kept;
 * hybrid: the zero-point term, the second block's sums at avx2, a task's scale offset, asymmetric
 * inputs ignored; the GEMM's 4-bit blocks: the high nibble's sign, a block's channel offset
 * (direct and indirect rows), a last block's channel count, the blocks kept int8, the packed
 * nodes not counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/ops.h"
#include "edge/runtime.h"
#include "test_rng.h"
#include "test_support.h"
#include "tflite_schema.h"
#include "tflite_writer.h"

#define INT4_TYPE 17 /* schema.fbs TensorType INT4 */

typedef enum kind { K_FC, K_CONV, K_DW, K_BMM, K_COUNT } kind;
static const char *const kind_name[K_COUNT] = {"FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D",
                                               "BATCH_MATMUL"};

/* One drawn case: shapes, weights (values in [-8, 7]), quantization. */
typedef struct i4_case {
    kind k;
    bool hybrid; /* float32 input and output */
    int32_t in_rank, in_dims[4];
    int32_t w_rank, w_dims[4];
    int32_t out_rank, out_dims[4];
    int32_t n_ch, axis; /* weight scales: count and axis (BATCH_MATMUL: 1) */
    bool per_tensor;    /* FULLY_CONNECTED: one weight scale (n_ch is then the bias count) */
    bool extreme;       /* weights 7 and inputs -128 (int8): the largest partial sums */
    bool asym;          /* hybrid FULLY_CONNECTED: asymmetric_quantize_inputs */
    int8_t *w;
    size_t wn;
    float w_scale[128];
    int32_t bias[128];
    float fbias[128];
    bool has_bias;
    float in_scale, out_scale;
    int32_t in_zp, out_zp;
    int32_t stride, act;
} i4_case;

/* W's values two a byte, low nibble first; an odd count's last high nibble is PAD. */
static uint8_t *pack4(const int8_t *w, size_t n, unsigned pad, size_t *bytes)
{
    *bytes = n / 2 + n % 2;
    uint8_t *p = calloc(*bytes + 1, 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i / 2] |= (uint8_t)(((unsigned)w[i] & 15u) << (i % 2 ? 4 : 0));
    if (n % 2)
        p[n / 2] |= (uint8_t)((pad & 15u) << 4);
    return p;
}

static int32_t count_of(const int32_t *d, int r)
{
    int32_t c = 1;
    for (int i = 0; i < r; i++)
        c *= d[i];
    return c;
}

static void draw(i4_case *c, kind k, bool hybrid, bool extreme)
{
    memset(c, 0, sizeof *c);
    c->extreme = extreme;
    c->k = k;
    c->hybrid = hybrid;
    c->in_scale = (float)rnd_in(5, 60) / 1000.0f;
    c->in_zp = rnd_in(-20, 20);
    c->has_bias = k != K_BMM;
    c->act = rnd_in(0, 3) == 0 ? 1 : 0; /* NONE or RELU */
    /* FULLY_CONNECTED: a quarter of the cases past fc_int4's 8 rows (the GEMM's 4-bit blocks),
     * half of those at depths of whole k groups (rows read in place, and channels split over
     * two threads where the rows are few) */
    const bool big = k == K_FC && rnd_in(0, 3) == 0;
    const int32_t b = big ? rnd_in(9, 14) : rnd_in(1, 3);
    if (k == K_FC) {
        /* odd depths: every other row starts in the middle of a byte; units past the kernels'
         * passes (64 channels at avx512vnni) at times */
        const int32_t kk = big && rnd_in(0, 1) ? 8 * rnd_in(2, 12)
                                               : 2 * rnd_in(extreme ? 24 : 8, 40) + 1,
                      n = 2 * rnd_in(2, rnd_in(0, 2) ? 20 : 50) + 1;
        c->per_tensor = rnd_in(0, 1);
        c->asym = hybrid && rnd_in(0, 1);
        c->in_rank = 2, c->in_dims[0] = b, c->in_dims[1] = kk;
        c->w_rank = 2, c->w_dims[0] = n, c->w_dims[1] = kk;
        c->out_rank = 2, c->out_dims[0] = b, c->out_dims[1] = n;
        c->n_ch = n, c->axis = 0;
    } else if (k == K_CONV || k == K_DW) {
        const int32_t h = rnd_in(4, 9), wd = rnd_in(4, 9), kh = rnd_in(1, 3),
                      kw = 2 * rnd_in(0, 1) + 1;
        const int32_t cin = k == K_DW ? rnd_in(3, 37) : rnd_in(1, 19);
        /* past avx512vnni's 64 channels a block at times (more than one 4-bit block) */
        const int32_t cout = k == K_DW ? cin : 2 * rnd_in(1, rnd_in(0, 2) ? 12 : 40) + 1;
        c->stride = rnd_in(1, 2);
        c->in_rank = 4;
        memcpy(c->in_dims, (int32_t[]){1, h, wd, cin}, sizeof(int32_t[4]));
        c->w_rank = 4;
        if (k == K_CONV)
            memcpy(c->w_dims, (int32_t[]){cout, kh, kw, cin}, sizeof(int32_t[4]));
        else
            memcpy(c->w_dims, (int32_t[]){1, kh, kw, cout}, sizeof(int32_t[4]));
        c->out_rank = 4; /* VALID */
        memcpy(c->out_dims,
               (int32_t[]){1, (h - kh) / c->stride + 1, (wd - kw) / c->stride + 1, cout},
               sizeof(int32_t[4]));
        c->n_ch = cout, c->axis = k == K_CONV ? 0 : 3;
    } else {
        const int32_t m = rnd_in(1, 9), kk = 2 * rnd_in(4, 30) + 1, n = 2 * rnd_in(1, 20) + 1;
        c->in_rank = 3;
        memcpy(c->in_dims, (int32_t[]){b, m, kk}, sizeof(int32_t[3]));
        c->w_rank = 2, c->w_dims[0] = kk, c->w_dims[1] = n;
        c->out_rank = 3;
        memcpy(c->out_dims, (int32_t[]){b, m, n}, sizeof(int32_t[3]));
        c->n_ch = 1, c->axis = 0;
    }
    c->wn = (size_t)count_of(c->w_dims, c->w_rank);
    c->w = malloc(c->wn);
    assert_non_null(c->w);
    for (size_t i = 0; i < c->wn; i++)
        c->w[i] = (int8_t)(i < 16 ? (int)i - 8 : rnd_in(-8, 7)); /* every value, then random */
    for (size_t i = 0; c->extreme && i < c->wn; i++)
        c->w[i] = 7;
    int32_t red = k == K_FC     ? c->w_dims[1]
                  : k == K_CONV ? c->w_dims[1] * c->w_dims[2] * c->w_dims[3]
                  : k == K_DW   ? c->w_dims[1] * c->w_dims[2]
                                : c->w_dims[0];
    for (int32_t i = 0; i < c->n_ch; i++) {
        c->w_scale[i] = (float)rnd_in(20, 200) / 1000.0f;
        const float acc_scale = c->in_scale * c->w_scale[i];
        c->bias[i] = rnd_in(-2000, 2000);
        c->fbias[i] = (float)c->bias[i] * acc_scale;
    }
    /* the output spans about the accumulator's range over a third of the reduction */
    c->out_scale = c->in_scale * c->w_scale[0] * 8.0f * 128.0f * (float)red / 3.0f / 127.0f;
    c->out_scale /= (float)rnd_in(1, 4);
    if (extreme) /* the sums lie near 7 * -128 * red: unsaturated outputs show a wrong one */
        c->out_scale *= 4.0f;
    c->out_zp = rnd_in(-10, 10);
}

static void conv_options(const i4_case *c, tfw_options *o)
{
    if (c->k == K_FC) {
        tfw_opt_init(o, TFL_OPT_FullyConnectedOptions);
        tfw_opt_i8(o, 0, (int8_t)c->act);
        tfw_opt_bool(o, 3, c->asym); /* asymmetric_quantize_inputs */
    } else if (c->k == K_CONV) {
        tfw_opt_init(o, TFL_OPT_Conv2DOptions);
        tfw_opt_i8(o, 0, 1); /* VALID */
        tfw_opt_i32(o, 1, c->stride);
        tfw_opt_i32(o, 2, c->stride);
        tfw_opt_i8(o, 3, (int8_t)c->act);
    } else if (c->k == K_DW) {
        tfw_opt_init(o, TFL_OPT_DepthwiseConv2DOptions);
        tfw_opt_i8(o, 0, 1);
        tfw_opt_i32(o, 1, c->stride);
        tfw_opt_i32(o, 2, c->stride);
        tfw_opt_i32(o, 3, 1); /* depth_multiplier */
        tfw_opt_i8(o, 4, (int8_t)c->act);
    } else {
        tfw_opt_init(o, TFL_OPT_BatchMatMulOptions);
    }
}

static const int32_t op_code[K_COUNT] = {EDGE_OP_FULLY_CONNECTED, EDGE_OP_CONV_2D,
                                         EDGE_OP_DEPTHWISE_CONV_2D, EDGE_OP_BATCH_MATMUL};

/* The case as a model, weights INT4 (AS_INT4, high padding nibble PAD) or int8. */
static uint8_t *build(const i4_case *c, bool as_int4, unsigned pad, size_t *size)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int act_type = c->hybrid ? EDGE_FLOAT32 : EDGE_INT8;
    tfw_tensor_desc in = {.type = act_type, .rank = c->in_rank, .dims = c->in_dims, .name = "in"};
    tfw_tensor_desc out = {
        .type = act_type, .rank = c->out_rank, .dims = c->out_dims, .name = "out"};
    if (!c->hybrid) {
        in.q_count = out.q_count = 1;
        in.scale = c->in_scale, in.zero_point = c->in_zp;
        out.scale = c->out_scale, out.zero_point = c->out_zp;
    }
    const int32_t ii = tfw_add_tensor(w, &in), oi = tfw_add_tensor(w, &out);
    tfw_tensor_desc wt = {.type = as_int4 ? INT4_TYPE : EDGE_INT8,
                          .rank = c->w_rank,
                          .dims = c->w_dims,
                          .name = "weights",
                          .q_count = c->per_tensor ? 1 : c->n_ch,
                          .scale = c->w_scale[0],
                          .scales = c->n_ch > 1 && !c->per_tensor ? c->w_scale : NULL,
                          .q_axis = c->axis};
    int32_t wi;
    if (as_int4) {
        size_t bytes = 0;
        uint8_t *p = pack4(c->w, c->wn, pad, &bytes);
        wi = tfw_add_const(w, &wt, p, bytes);
        free(p);
    } else {
        wi = tfw_add_const(w, &wt, c->w, c->wn);
    }
    int32_t ins[3] = {ii, wi, -1};
    if (c->has_bias) {
        const int32_t bd[1] = {c->n_ch};
        float bscale[128];
        for (int32_t i = 0; i < c->n_ch; i++)
            bscale[i] = c->in_scale * c->w_scale[c->per_tensor ? 0 : i];
        tfw_tensor_desc bt = {.type = c->hybrid ? EDGE_FLOAT32 : EDGE_INT32,
                              .rank = 1,
                              .dims = bd,
                              .name = "bias",
                              .q_count = c->hybrid       ? 0
                                         : c->per_tensor ? 1
                                                         : c->n_ch,
                              .scale = bscale[0],
                              .scales = c->n_ch > 1 && !c->per_tensor ? bscale : NULL};
        ins[2] = c->hybrid ? tfw_add_const(w, &bt, c->fbias, sizeof(float) * (size_t)c->n_ch)
                           : tfw_add_const(w, &bt, c->bias, sizeof(int32_t) * (size_t)c->n_ch);
    }
    tfw_options o;
    conv_options(c, &o);
    const int32_t opc = tfw_add_opcode(w, op_code[c->k], c->k == K_BMM ? 1 : 3);
    tfw_add_operator(w, opc, ins, c->has_bias ? 3 : 2, &oi, 1, &o);
    tfw_set_io(w, &ii, 1, &oi, 1);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w, &buf, size), 0);
    tfw_free(w);
    return buf;
}

/* Output 0 of the model in BUF at level ISA with THREADS (0: one) on input IN (IN_BYTES);
 * malloc'd, *OUT_BYTES; *WEIGHTS and *PACKED (when not NULL) the model's weight and packed
 * weight bytes, *KERNEL its first node's kernel (KERNEL_LEN bytes). */
static uint8_t *run_as(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads,
                       const void *in, size_t in_bytes, size_t *out_bytes, size_t *weights,
                       size_t *packed, char *kernel, size_t kernel_len)
{
    edge_model_options opt = {.isa = isa, .threads = threads};
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    if (edge_model_open_buffer(buf, size, &opt, &m, &err))
        fail_msg("open at %s: %s", edge_isa_name(isa), err.message);
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    if (weights)
        *weights = edge_model_weight_bytes(m);
    if (packed)
        *packed = edge_model_packed_bytes(m);
    edge_node_info ni;
    if (kernel && edge_model_node_info(m, 0, &ni) == 0)
        snprintf(kernel, kernel_len, "%s", ni.kernel ? ni.kernel : "");
    size_t n = 0;
    void *dst = edge_interp_input(it, 0, &n);
    assert_int_equal(n, in_bytes);
    memcpy(dst, in, in_bytes);
    if (edge_interp_invoke(it))
        fail_msg("invoke at %s failed", edge_isa_name(isa));
    const void *src = edge_interp_output(it, 0, out_bytes);
    uint8_t *out = malloc(*out_bytes ? *out_bytes : 1);
    assert_non_null(out);
    memcpy(out, src, *out_bytes);
    edge_interp_free(it);
    edge_model_unref(m);
    return out;
}

static uint8_t *run(const uint8_t *buf, size_t size, edge_isa isa, const void *in, size_t in_bytes,
                    size_t *out_bytes)
{
    return run_as(buf, size, isa, 0, in, in_bytes, out_bytes, NULL, NULL, NULL, 0);
}

/* The weights (tensor 2 of BUF, opened at level ISA) as edge_model_tensor_info and _data show
 * them: INT4 (type 17) and the file's nibbles PACKED when kept 4-bit (DIRECT), else int8 and
 * the values W. */
static void check_weights_view(const uint8_t *buf, size_t size, edge_isa isa, bool direct,
                               const i4_case *c, const uint8_t *packed, size_t packed_bytes)
{
    edge_model *m = NULL;
    const edge_model_options opt = {.isa = isa};
    assert_int_equal(edge_model_open_buffer(buf, size, &opt, &m, NULL), 0);
    edge_tensor_info ti;
    assert_int_equal(edge_model_tensor_info(m, 2, &ti), 0);
    size_t n = 0;
    const void *d = edge_model_tensor_data(m, 2, &n);
    assert_non_null(d);
    if (direct) {
        assert_int_equal(ti.type, INT4_TYPE);
        assert_int_equal(n, packed_bytes);
        assert_memory_equal(d, packed, packed_bytes);
    } else {
        assert_int_equal(ti.type, EDGE_INT8);
        assert_int_equal(n, c->wn);
        assert_memory_equal(d, c->w, c->wn);
    }
    edge_model_unref(m);
}

static void check_case(const i4_case *c)
{
    size_t s8 = 0, s4 = 0;
    uint8_t *m8 = build(c, false, 0, &s8);
    const unsigned pad = (unsigned)rnd();
    uint8_t *m4 = build(c, true, pad, &s4);
    const size_t n_in = (size_t)count_of(c->in_dims, c->in_rank);
    const size_t in_bytes = n_in * (c->hybrid ? sizeof(float) : 1);
    uint8_t *in = malloc(in_bytes);
    assert_non_null(in);
    for (size_t i = 0; i < n_in; i++) {
        if (c->hybrid)
            ((float *)in)[i] = (float)rnd_in(-3000, 3000) / 1000.0f;
        else
            in[i] = c->extreme ? 0x80 : (uint8_t)rnd();
    }
    size_t want_n = 0;
    uint8_t *want = run(m8, s8, EDGE_ISA_SCALAR, in, in_bytes, &want_n);
    edge_isa lv[8];
    const int nl = edge_test_levels(lv);
    const size_t bias_bytes = c->has_bias ? (size_t)c->n_ch * sizeof(int32_t) : 0;
    bool kept4 = false; /* at the last level: the int8 copy freed */
    for (int l = 0; l < nl; l++)
        for (unsigned th = 1; th <= 2; th++) {
            size_t got_n = 0, wb = 0, pk = 0, wb8 = 0, pk8 = 0;
            char kern[64] = "";
            uint8_t *got =
                run_as(m4, s4, lv[l], th, in, in_bytes, &got_n, &wb, &pk, kern, sizeof kern);
            free(run_as(m8, s8, lv[l], th, in, in_bytes, &got_n, &wb8, &pk8, NULL, 0));
            assert_int_equal(got_n, want_n);
            if (memcmp(got, want, want_n))
                fail_msg("%s%s int4 at %s, %u threads (kernel %s) differs from the int8 twin at "
                         "scalar (weights %d values, input %zu values)",
                         kind_name[c->k], c->hybrid ? " hybrid" : "", edge_isa_name(lv[l]), th,
                         kern, (int)c->wn, n_in);
            /* a node on a packed path reads only its packed form: the loader's int8 copy goes,
             * and the model holds the file's nibbles (BATCH_MATMUL reads the tensor) */
            const bool freed = pk > 0 && c->k != K_BMM;
            const size_t want_w = (freed ? c->wn / 2 + c->wn % 2 : c->wn) + bias_bytes;
            if (wb != want_w)
                fail_msg("%s%s int4 at %s: weight bytes %zu, expected %zu (kernel %s, packed "
                         "%zu bytes)",
                         kind_name[c->k], c->hybrid ? " hybrid" : "", edge_isa_name(lv[l]), wb,
                         want_w, kern, pk);
            if (lv[l] != EDGE_ISA_SCALAR && !c->hybrid && c->k != K_BMM && !pk)
                fail_msg("%s int4 at %s is on no packed path (kernel %s): its int8 copy stays",
                         kind_name[c->k], edge_isa_name(lv[l]), kern);
            if (c->k == K_FC && c->in_dims[0] <= 8 && !strstr(kern, "fc_int4"))
                fail_msg("FULLY_CONNECTED int4 at %s runs on %s, not an fc_int4 kernel",
                         edge_isa_name(lv[l]), kern);
            /* the GEMM (not gemv, the direct conv or Winograd) holds its blocks 4-bit: the
             * weights' part of the packing halves */
            if ((strstr(kern, "qs8_gemm") || strstr(kern, "qs8_igemm")) && !(pk < pk8))
                fail_msg("%s int4 at %s on %s: packed %zu bytes, the int8 twin's %zu",
                         kind_name[c->k], edge_isa_name(lv[l]), kern, pk, pk8);
            if (l == nl - 1)
                kept4 = freed;
            free(got);
        }
    size_t pb = 0;
    uint8_t *packed = pack4(c->w, c->wn, pad, &pb);
    check_weights_view(m4, s4, lv[nl - 1], kept4, c, packed, pb);
    free(packed);
    free(want);
    free(in);
    free(m4);
    free(m8);
}

static void run_kind(kind k, bool hybrid)
{
    const int n = rounds(6);
    for (int r = 0; r < n; r++) {
        i4_case c;
        draw(&c, k, hybrid, !hybrid && r % 3 == 0);
        check_case(&c);
        free(c.w);
    }
}

static void test_fc(void **state)
{
    (void)state;
    run_kind(K_FC, false);
}
static void test_conv(void **state)
{
    (void)state;
    run_kind(K_CONV, false);
}
static void test_dw(void **state)
{
    (void)state;
    run_kind(K_DW, false);
}
static void test_bmm(void **state)
{
    (void)state;
    run_kind(K_BMM, false);
}
static void test_hybrid(void **state)
{
    (void)state;
    for (int k = 0; k < K_COUNT; k++)
        run_kind((kind)k, true);
}

/* EMBEDDING_LOOKUP: ids [n] into an INT4 table [rows, cols] (ROW_SCALES: one scale a row) ->
 * float32 [n, cols], or OUT_TYPE. */
static uint8_t *lookup_model(int32_t rows, int32_t cols, const int8_t *vals, const float *scales,
                             bool row_scales, int32_t n_ids, int out_type, size_t table_bytes,
                             size_t *size)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t idd[1] = {n_ids}, td[2] = {rows, cols}, od[2] = {n_ids, cols};
    tfw_tensor_desc ids = {.type = EDGE_INT32, .rank = 1, .dims = idd, .name = "ids"};
    tfw_tensor_desc out = {.type = out_type, .rank = 2, .dims = od, .name = "out"};
    if (out_type == EDGE_INT8)
        out.q_count = 1, out.scale = scales[0];
    tfw_tensor_desc tt = {.type = INT4_TYPE,
                          .rank = 2,
                          .dims = td,
                          .name = "table",
                          .q_count = row_scales ? rows : 1,
                          .scale = scales[0],
                          .scales = row_scales ? scales : NULL};
    size_t bytes = 0;
    uint8_t *p = pack4(vals, (size_t)rows * (size_t)cols, 5, &bytes);
    const int32_t ii = tfw_add_tensor(w, &ids), oi = tfw_add_tensor(w, &out);
    const int32_t ti = tfw_add_const(w, &tt, p, table_bytes ? table_bytes : bytes);
    free(p);
    const int32_t opc = tfw_add_opcode(w, EDGE_OP_EMBEDDING_LOOKUP, 1);
    const int32_t ins[2] = {ii, ti};
    tfw_add_operator(w, opc, ins, 2, &oi, 1, NULL);
    tfw_set_io(w, &ii, 1, &oi, 1);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w, &buf, size), 0);
    tfw_free(w);
    return buf;
}

static void test_embedding_lookup(void **state)
{
    (void)state;
    for (int r = 0; r < rounds(6); r++) {
        const int32_t rows = rnd_in(1, 9), cols = 2 * rnd_in(0, 10) + 1, n_ids = rnd_in(1, 7);
        const bool row_scales = r % 2;
        int8_t vals[9 * 21];
        float scales[9];
        for (int32_t i = 0; i < rows * cols; i++)
            vals[i] = (int8_t)(i < 16 ? i - 8 : rnd_in(-8, 7));
        for (int32_t i = 0; i < rows; i++)
            scales[i] = (float)rnd_in(1, 1000) / 997.0f;
        size_t size = 0;
        uint8_t *m =
            lookup_model(rows, cols, vals, scales, row_scales, n_ids, EDGE_FLOAT32, 0, &size);
        int32_t ids[7];
        for (int32_t i = 0; i < n_ids; i++)
            ids[i] = rnd_in(0, rows - 1);
        edge_isa lv[8];
        const int nl = edge_test_levels(lv);
        for (int l = 0; l < nl; l++) {
            size_t on = 0;
            float *got = (float *)run(m, size, lv[l], ids, sizeof(int32_t) * (size_t)n_ids, &on);
            assert_int_equal(on, sizeof(float) * (size_t)(n_ids * cols));
            for (int32_t i = 0; i < n_ids; i++)
                for (int32_t j = 0; j < cols; j++) {
                    /* TFLite's EvalHybrid: value * (double)scale, stored as float */
                    const double s = scales[row_scales ? ids[i] : 0];
                    const float want = (float)(vals[ids[i] * cols + j] * s);
                    if (memcmp(&got[i * cols + j], &want, sizeof want))
                        fail_msg("row %d col %d: %g, expected %g", (int)ids[i], (int)j,
                                 (double)got[i * cols + j], (double)want);
                }
            free(got);
        }
        free(m);
    }
}

/* x [n] float32 + DEQUANTIZE(c [n], INT4 or int8 with scale 0.37 and zero point ZP) -> out. */
static uint8_t *dequant_model(const int8_t *vals, int32_t n, int32_t zp, bool as_int4, size_t *size)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t d[1] = {n};
    tfw_tensor_desc x = {.type = EDGE_FLOAT32, .rank = 1, .dims = d, .name = "x"};
    tfw_tensor_desc ct = {.type = as_int4 ? INT4_TYPE : EDGE_INT8,
                          .rank = 1,
                          .dims = d,
                          .name = "c",
                          .q_count = 1,
                          .scale = 0.37f,
                          .zero_point = zp};
    const int32_t xi = tfw_add_tensor(w, &x), oi = tfw_add_tensor(w, &x);
    x.name = "deq";
    const int32_t di = tfw_add_tensor(w, &x);
    size_t bytes = (size_t)n;
    uint8_t *p = as_int4 ? pack4(vals, (size_t)n, 9, &bytes) : NULL;
    const int32_t ci = tfw_add_const(w, &ct, p ? (const void *)p : vals, bytes);
    free(p);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_DEQUANTIZE, 2), &ci, 1, &di, 1, NULL);
    const int32_t ins[2] = {xi, di};
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_ADD, 1), ins, 2, &oi, 1, NULL);
    tfw_set_io(w, &xi, 1, &oi, 1);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w, &buf, size), 0);
    tfw_free(w);
    return buf;
}

/* DEQUANTIZE of an INT4 constant: the bytes of its int8 twin, and (v - zp) * scale. */
static void test_dequantize(void **state)
{
    (void)state;
    enum { N = 31 };
    int8_t vals[N];
    float x[N];
    for (int i = 0; i < N; i++) {
        vals[i] = (int8_t)(i < 16 ? i - 8 : rnd_in(-8, 7));
        x[i] = (float)rnd_in(-100, 100) / 64.0f;
    }
    const int32_t zp = rnd_in(-3, 3);
    size_t s4 = 0, s8 = 0, n4 = 0, n8 = 0;
    uint8_t *m4 = dequant_model(vals, N, zp, true, &s4),
            *m8 = dequant_model(vals, N, zp, false, &s8);
    float *got = (float *)run(m4, s4, EDGE_ISA_AUTO, x, sizeof x, &n4);
    float *want = (float *)run(m8, s8, EDGE_ISA_SCALAR, x, sizeof x, &n8);
    assert_int_equal(n4, sizeof x);
    assert_memory_equal(got, want, sizeof x);
    for (int i = 0; i < N; i++)
        if (fabsf(got[i] - (x[i] + (float)(vals[i] - zp) * 0.37f)) > 1e-5f)
            fail_msg("element %d: %g, expected %g", i, (double)got[i],
                     (double)(x[i] + (float)(vals[i] - zp) * 0.37f));
    free(got);
    free(want);
    free(m4);
    free(m8);
}

/* GATHER (axis AXIS) of INT4 params PSHAPE (packed from VALS, scale 0.21, zero point ZP) by
 * int32 ids [n_ids] (the model's input) -> g (INT4, or G_TYPE) -> DEQUANTIZE -> float32 out;
 * AS_INT8: the params and g int8 instead (the twin). G_IS_OUTPUT: g is the model's output (no
 * DEQUANTIZE); READER: the code of g's reader (DEQUANTIZE, or another to be refused). */
typedef struct gather_spec {
    int rank, axis;
    int32_t pdims[3];
    int32_t n_ids, zp;
    bool as_int8, g_is_output;
    int g_type;     /* 0: as the params */
    int32_t reader; /* 0: DEQUANTIZE */
} gather_spec;

static uint8_t *gather_model(const gather_spec *g, const int8_t *vals, size_t *size)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    int32_t gd[4], gr = 0;
    for (int i = 0; i < g->axis; i++)
        gd[gr++] = g->pdims[i];
    gd[gr++] = g->n_ids;
    for (int i = g->axis + 1; i < g->rank; i++)
        gd[gr++] = g->pdims[i];
    size_t count = 1;
    for (int i = 0; i < g->rank; i++)
        count *= (size_t)g->pdims[i];
    const int32_t idd[1] = {g->n_ids};
    const int ptype = g->as_int8 ? EDGE_INT8 : INT4_TYPE;
    tfw_tensor_desc ids = {.type = EDGE_INT32, .rank = 1, .dims = idd, .name = "ids"};
    tfw_tensor_desc pt = {.type = ptype,
                          .rank = g->rank,
                          .dims = g->pdims,
                          .name = "params",
                          .q_count = 1,
                          .scale = 0.21f,
                          .zero_point = g->zp};
    tfw_tensor_desc gt = pt;
    gt.type = g->g_type ? g->g_type : ptype, gt.rank = gr, gt.dims = gd, gt.name = "g";
    tfw_tensor_desc ot = {.type = EDGE_FLOAT32, .rank = gr, .dims = gd, .name = "out"};
    size_t bytes = count;
    uint8_t *p = g->as_int8 ? NULL : pack4(vals, count, 3, &bytes);
    const int32_t ii = tfw_add_tensor(w, &ids), gi = tfw_add_tensor(w, &gt);
    const int32_t pi = tfw_add_const(w, &pt, p ? (const void *)p : vals, bytes);
    free(p);
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_GatherOptions);
    tfw_opt_i32(&o, 0, g->axis);
    const int32_t gin[2] = {pi, ii};
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_GATHER, g->as_int8 ? 2 : 7), gin, 2, &gi, 1, &o);
    int32_t oi = gi;
    if (!g->g_is_output) {
        oi = tfw_add_tensor(w, &ot);
        const int32_t rd = g->reader ? g->reader : EDGE_OP_DEQUANTIZE;
        if (rd == EDGE_OP_DEQUANTIZE)
            tfw_add_operator(w, tfw_add_opcode(w, rd, 6), &gi, 1, &oi, 1, NULL);
        else { /* a binary reader (MUL g * g; not ADD, whose code is 0) */
            const int32_t two[2] = {gi, gi};
            tfw_add_operator(w, tfw_add_opcode(w, rd, 1), two, 2, &oi, 1, NULL);
        }
    }
    tfw_set_io(w, &ii, 1, &oi, 1);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w, &buf, size), 0);
    tfw_free(w);
    return buf;
}

/* GATHER of INT4 params as TensorFlow Lite's reference Gather with int4_input computes it (whole
 * bytes copied, the values after the axis even in number), read by DEQUANTIZE: the bytes of the
 * int8 twin, and (v - zp) * scale of the gathered values, on axis 0 of [rows, cols] and axis 1
 * of [a, rows, cols]. */
static void test_gather(void **state)
{
    (void)state;
    for (int r = 0; r < rounds(8); r++) {
        gather_spec g = {.rank = 2 + r % 2, .axis = r % 2, .n_ids = rnd_in(1, 6)};
        g.zp = rnd_in(-2, 2);
        if (g.rank == 2)
            g.pdims[0] = rnd_in(1, 9), g.pdims[1] = 2 * rnd_in(1, 10);
        else
            g.pdims[0] = rnd_in(1, 3), g.pdims[1] = rnd_in(1, 7), g.pdims[2] = 2 * rnd_in(1, 6);
        const int32_t rows = g.pdims[g.axis], cols = g.pdims[g.rank - 1];
        const int32_t outer = g.rank == 3 ? g.pdims[0] : 1;
        int8_t vals[3 * 9 * 20];
        const size_t count = (size_t)outer * (size_t)rows * (size_t)cols;
        for (size_t i = 0; i < count; i++)
            vals[i] = (int8_t)(i < 16 ? (int)i - 8 : rnd_in(-8, 7));
        int32_t ids[6];
        for (int32_t i = 0; i < g.n_ids; i++)
            ids[i] = rnd_in(0, rows - 1);
        size_t s4 = 0, s8 = 0, n4 = 0, n8 = 0;
        uint8_t *m4 = gather_model(&g, vals, &s4);
        g.as_int8 = true;
        uint8_t *m8 = gather_model(&g, vals, &s8);
        const size_t in_bytes = sizeof(int32_t) * (size_t)g.n_ids;
        float *want = (float *)run(m8, s8, EDGE_ISA_SCALAR, ids, in_bytes, &n8);
        edge_isa lv[8];
        const int nl = edge_test_levels(lv);
        for (int l = 0; l < nl; l++) {
            float *got = (float *)run(m4, s4, lv[l], ids, in_bytes, &n4);
            assert_int_equal(n4, n8);
            assert_int_equal(n4, sizeof(float) * (size_t)(outer * g.n_ids * cols));
            assert_memory_equal(got, want, n4);
            for (int32_t o = 0; o < outer; o++)
                for (int32_t i = 0; i < g.n_ids; i++)
                    for (int32_t j = 0; j < cols; j++) {
                        const int v =
                            vals[((size_t)o * (size_t)rows + (size_t)ids[i]) * (size_t)cols +
                                 (size_t)j];
                        const float e = (float)(0.21f * (double)(v - g.zp));
                        const float x =
                            got[((size_t)o * (size_t)g.n_ids + (size_t)i) * (size_t)cols +
                                (size_t)j];
                        if (fabsf(x - e) > 1e-6f)
                            fail_msg("outer %d id %d col %d: %g, expected %g", (int)o, (int)ids[i],
                                     (int)j, (double)x, (double)e);
                    }
            free(got);
        }
        free(want);
        free(m4);
        free(m8);
    }
}

/* Opening BUF fails, with a message holding WHAT. */
static void expect_refused(const uint8_t *buf, size_t size, const char *what)
{
    edge_model *m = NULL;
    edge_error err = {0};
    const int rc = edge_model_open_buffer(buf, size, NULL, &m, &err);
    if (rc == 0) {
        edge_model_unref(m);
        fail_msg("opened; expected a refusal naming \"%s\"", what);
    }
    printf("  refused: %s\n", err.message);
    if (!strstr(err.message, what))
        fail_msg("refused with \"%s\"; expected it to name \"%s\"", err.message, what);
}

static void test_refused(void **state)
{
    (void)state;
    const int8_t vals[15] = {0};
    const float scales[3] = {0.5f, 0.25f, 1.0f};
    size_t size = 0;
    /* 3 x 5 = 15 values need 8 bytes: 7 and 9 are refused */
    uint8_t *m = lookup_model(3, 5, vals, scales, false, 2, EDGE_FLOAT32, 7, &size);
    expect_refused(m, size, "INT4 tensor 2 (table) of 15 values needs 8 bytes");
    free(m);
    m = lookup_model(3, 5, vals, scales, false, 2, EDGE_FLOAT32, 9, &size);
    expect_refused(m, size, "needs 8 bytes (two values a byte) but buffer");
    free(m);
    m = lookup_model(3, 5, vals, scales, false, 2, EDGE_INT8, 0, &size);
    expect_refused(m, size, "an INT4 table is looked up into float32 only");
    free(m);
    /* an INT4 constant read by ADD */
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t d[1] = {3};
    tfw_tensor_desc a = {
        .type = EDGE_INT8, .rank = 1, .dims = d, .name = "a", .q_count = 1, .scale = 1.0f};
    tfw_tensor_desc b = a;
    b.type = INT4_TYPE, b.name = "b";
    const uint8_t packed[2] = {0x21, 0x03};
    const int32_t ai = tfw_add_tensor(w, &a), oi = tfw_add_tensor(w, &a);
    const int32_t bi = tfw_add_const(w, &b, packed, 2);
    const int32_t ins[2] = {ai, bi};
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_ADD, 1), ins, 2, &oi, 1, NULL);
    tfw_set_io(w, &ai, 1, &oi, 1);
    assert_int_equal(tfw_finish(w, &m, &size), 0);
    tfw_free(w);
    expect_refused(m, size, "node 0 (ADD) input 1 is tensor 2 (b) of type INT4");
    free(m);
    /* INT4 weights without data (a graph input): FULLY_CONNECTED refuses their type */
    w = tfw_new();
    assert_non_null(w);
    const int32_t d2[2] = {2, 3};
    tfw_tensor_desc x = {
        .type = EDGE_INT8, .rank = 2, .dims = d2, .name = "x", .q_count = 1, .scale = 1.0f};
    tfw_tensor_desc wt = x;
    wt.type = INT4_TYPE, wt.name = "w";
    const int32_t xi = tfw_add_tensor(w, &x), wi = tfw_add_tensor(w, &wt);
    const int32_t yi = tfw_add_tensor(w, &x);
    const int32_t fin[2] = {xi, wi}, gin[2] = {xi, wi};
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_FULLY_CONNECTED, 1), fin, 2, &yi, 1, NULL);
    tfw_set_io(w, gin, 2, &yi, 1);
    assert_int_equal(tfw_finish(w, &m, &size), 0);
    tfw_free(w);
    expect_refused(m, size, "INT4");
    free(m);
    /* GATHER of INT4 params: an odd number of values after the axis (TFLite copies bytes), an
     * int8 output, the INT4 output read by ADD or being the model's output */
    const int8_t gv[18] = {0};
    gather_spec g = {.rank = 2, .axis = 0, .pdims = {6, 3}, .n_ids = 2};
    m = gather_model(&g, gv, &size);
    expect_refused(m, size, "INT4 params need an even number of values after the axis, here 3");
    free(m);
    g.pdims[0] = 3, g.pdims[1] = 6, g.g_type = EDGE_INT8;
    m = gather_model(&g, gv, &size);
    expect_refused(m, size, "the params are INT4 but the output is INT8");
    free(m);
    g.g_type = 0, g.reader = EDGE_OP_MUL;
    m = gather_model(&g, gv, &size);
    expect_refused(m, size, "node 1 (MUL) input 0 is tensor 1 (g) of type INT4");
    free(m);
    g.reader = 0, g.g_is_output = true;
    m = gather_model(&g, gv, &size);
    expect_refused(m, size, "model output 0 is tensor 1 (g) of type INT4");
    free(m);
}

int main(void)
{
    test_rng_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fc),         cmocka_unit_test(test_conv),
        cmocka_unit_test(test_dw),         cmocka_unit_test(test_bmm),
        cmocka_unit_test(test_hybrid),     cmocka_unit_test(test_embedding_lookup),
        cmocka_unit_test(test_dequantize), cmocka_unit_test(test_gather),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
