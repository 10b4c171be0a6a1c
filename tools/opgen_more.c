/* tools/opgen_more.c - generators for CAST, FILL, SHAPE, ZEROS_LIKE, FLOOR_DIV, FLOOR_MOD,
 * SQRT, L2_POOL_2D (no int8/float32 twin), and SUM, REDUCE_PROD, L2_NORMALIZATION (int8
 * against their float32 twins).
 *
 * Owns: their random shapes, types, axes, windows and values, and for the operators without
 * a float32 twin the expected output, computed here: the f model then holds no operator under
 * test, only its input (the expected values, at the index where q has its data input) and a
 * RESHAPE to the declared output shape, so the check compares the operator with this file's
 * own arithmetic (exactly for integers and bools, to float rounding for float32). The
 * operator's other operands (FILL's dims, a FLOOR_DIV/FLOOR_MOD operand) are q-only constants.
 * CAST draws its source and destination among the types our CAST takes, one of them the
 * variant's type (int8, uint8 or int16, unquantized: CAST converts numbers). SUM draws an
 * output quantization other than the input's (uint8/int16 SUM requantizes, issue 17);
 * REDUCE_PROD reduces at most 4 values per output with inputs away from zero, and its bound is
 * the rounding of TensorFlow Lite's per-step rescaling carried through the later steps.
 * Does not own the pair builder (opgen.c) or the uint8/int16 retyping (opgen_types.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "opgen_impl.h"

/* ---------------------------------------------------------------- expected-value models */

/* A tensor of DQ in q and DF in f at the same index. */
static int32_t split_tensor(og_pair *p, const tfw_tensor_desc *dq, const tfw_tensor_desc *df)
{
    const int32_t iq = tfw_add_tensor(p->w[OG_Q], dq), jf = tfw_add_tensor(p->w[OG_F], df);
    const int32_t t = iq < 0 ? iq : jf < 0 ? jf : iq == jf ? iq : EDGE_EINVAL;
    if (t < 0 && !p->err)
        p->err = t;
    return t;
}

/* A subgraph input: the operand (DQ, bytes VQ/BQ) in q, the expected output (DF, VF/BF) in f. */
static int32_t split_input(og_pair *p, const tfw_tensor_desc *dq, const void *vq, size_t bq,
                           const tfw_tensor_desc *df, const void *vf, size_t bf)
{
    const int32_t t = split_tensor(p, dq, df);
    if (t < 0)
        return t;
    const int32_t rc = og_input_raw(p, t, vq, bq, vf, bf, og_count(dq->rank, dq->dims));
    if (rc < 0 && !p->err)
        p->err = rc;
    return rc;
}

/* The f model: its input E (the expected values) reshaped to the declared output. */
static void expect_f(og_pair *p, int32_t e)
{
    og_op_in(p, OG_F, EDGE_OP_RESHAPE, 1, &e, 1, NULL);
}

/* A constant of TYPE in the q model only (after every shared tensor). */
static int32_t const_q(og_pair *p, int type, int rank, const int32_t *dims, const void *v,
                       size_t bytes)
{
    const tfw_tensor_desc d = {.type = type, .rank = rank, .dims = dims};
    const int32_t t = tfw_add_const(p->w[OG_Q], &d, v, bytes);
    if (t < 0 && !p->err)
        p->err = t;
    return t;
}

/* Exact comparison: the two outputs are integers, or float32 computed the same way. */
static void exact(og_pair *p)
{
    p->tol_steps = 0.0f;
    p->tol_rel = 0.0f;
}

static const char *type_name(int type)
{
    return edge_dtype_name(type);
}

/* ---------------------------------------------------------------- CAST */

/* The types our CAST converts between (backends/cpu/op_cast.c). */
static const int cast_types[] = {EDGE_FLOAT32, EDGE_INT32, EDGE_INT16, EDGE_INT8,
                                 EDGE_UINT8,   EDGE_BOOL,  EDGE_UINT32};
#define N_CAST_TYPES (int)(sizeof cast_types / sizeof cast_types[0])

/* A random type of cast_types other than int8 unless ALLOW_S8 (a non-int8 variant must hold
 * no int8 tensor, which og_retype would turn into its type). */
static int cast_type_random(og_rng *r, bool allow_s8)
{
    for (;;) {
        const int t = cast_types[og_int(r, 0, N_CAST_TYPES - 1)];
        if (t != EDGE_INT8 || allow_s8)
            return t;
    }
}

/* The range of the integer type T, for drawing values and float sources. */
static void int_range(int t, double *lo, double *hi)
{
    switch (t) {
    case EDGE_INT32: *lo = -2147483648.0, *hi = 2147483647.0; return;
    case EDGE_INT16: *lo = -32768.0, *hi = 32767.0; return;
    case EDGE_INT8: *lo = -128.0, *hi = 127.0; return;
    case EDGE_UINT8: *lo = 0.0, *hi = 255.0; return;
    case EDGE_BOOL: *lo = 0.0, *hi = 1.0; return;
    default: *lo = 0.0, *hi = 4294967295.0; return; /* UINT32 */
    }
}

/* Store integer V (already the value of an integer source) as type T: two's complement wrap
 * to the width of T, bool as V != 0, float32 rounded. */
static void store_int(int t, int64_t v, void *out, size_t k)
{
    const uint64_t u = (uint64_t)v;
    switch (t) {
    case EDGE_FLOAT32: ((float *)out)[k] = (float)v; return;
    case EDGE_INT32: ((int32_t *)out)[k] = (int32_t)(u & 0xffffffffu); return;
    case EDGE_INT16: ((int16_t *)out)[k] = (int16_t)(u & 0xffffu); return;
    case EDGE_INT8: ((int8_t *)out)[k] = (int8_t)(u & 0xffu); return;
    case EDGE_UINT8: ((uint8_t *)out)[k] = (uint8_t)(u & 0xffu); return;
    case EDGE_BOOL: ((uint8_t *)out)[k] = v != 0; return;
    default: ((uint32_t *)out)[k] = (uint32_t)(u & 0xffffffffu); return;
    }
}

/* Element K of a source of type FROM (bytes SRC) as an integer; F set for float32. */
static int64_t load_int(int from, const void *src, size_t k, float *f)
{
    switch (from) {
    case EDGE_FLOAT32: *f = ((const float *)src)[k]; return 0;
    case EDGE_INT32: return ((const int32_t *)src)[k];
    case EDGE_INT16: return ((const int16_t *)src)[k];
    case EDGE_INT8: return ((const int8_t *)src)[k];
    case EDGE_UINT8:
    case EDGE_BOOL: return ((const uint8_t *)src)[k];
    default: return ((const uint32_t *)src)[k];
    }
}

/* N random source values of type FROM for destination TO: integers anywhere in FROM's
 * range (often small), bools 0/1, floats in the destination's range (CAST truncates them
 * toward zero; out-of-range floats are undefined in C++), a quarter of them whole or zero. */
static void cast_source(og_rng *r, int from, int to, void *src, size_t n)
{
    double lo = -1e6, hi = 1e6; /* float32 to float32 or bool */
    if (from != EDGE_FLOAT32 || (to != EDGE_FLOAT32 && to != EDGE_BOOL))
        int_range(from == EDGE_FLOAT32 ? to : from, &lo, &hi);
    if (from == EDGE_FLOAT32 && to == EDGE_INT32)
        lo = -2147483520.0, hi = 2147483520.0; /* floats below 2^31 */
    if (from == EDGE_FLOAT32 && to == EDGE_UINT32)
        hi = 4294967040.0; /* the largest float below 2^32 */
    const bool small = og_chance(r, 0.5);
    for (size_t k = 0; k < n; k++) {
        double v = small ? og_unif(r, -300.0, 300.0) : og_unif(r, lo, hi + 1.0);
        v = v < lo ? lo : v > hi ? hi : v;
        if (from != EDGE_FLOAT32 || og_chance(r, 0.25))
            v = og_chance(r, 0.1) ? 0.0 : floor(v);
        if (from == EDGE_FLOAT32)
            ((float *)src)[k] = (float)v;
        else
            store_int(from, (int64_t)v, src, k);
    }
}

/* The cast of N elements of SRC (FROM) to TO into DST. */
static void cast_expect(int from, int to, const void *src, void *dst, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        float f = 0.0f;
        const int64_t v = load_int(from, src, k, &f);
        if (from != EDGE_FLOAT32)
            store_int(to, v, dst, k);
        else if (to == EDGE_FLOAT32)
            ((float *)dst)[k] = f;
        else if (to == EDGE_BOOL)
            ((uint8_t *)dst)[k] = f != 0.0f;
        else
            store_int(to, (int64_t)trunc((double)f), dst, k);
    }
}

int og_gen_cast(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK] = {0};
    const int rank = og_shape_random(r, 0, OG_MAX_RANK, dims, 6);
    const bool s8 = p->qtype == EDGE_INT8;
    const int own = s8 ? EDGE_INT8 : p->qtype; /* the variant's type, on one side or both */
    p->qtype_native = true;
    int from = cast_type_random(r, s8), to = cast_type_random(r, s8);
    const int pick = og_int(r, 0, 4);
    if (pick < 2)
        from = own;
    else if (pick < 4)
        to = own;
    const size_t n = og_count(rank, dims);
    uint8_t *src = malloc(n * 4 + 1), *dst = malloc(n * 4 + 1);
    if (!src || !dst) {
        free(src);
        free(dst);
        return p->err = EDGE_ENOMEM;
    }
    cast_source(r, from, to, src, n);
    cast_expect(from, to, src, dst, n);
    const tfw_tensor_desc dq = {.type = from, .rank = rank, .dims = dims};
    const tfw_tensor_desc df = {.type = to, .rank = rank, .dims = dims};
    const int32_t x =
        split_input(p, &dq, src, n * edge_dtype_size(from), &df, dst, n * edge_dtype_size(to));
    free(src);
    free(dst);
    og_set_output(p, og_tensor(p, to, to, rank, dims, NULL));
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_CastOptions);
    const bool typed = og_chance(r, 0.5); /* the converter writes both types */
    if (typed) {
        tfw_opt_i8(&o, 0, (int8_t)from);
        tfw_opt_i8(&o, 1, (int8_t)to);
    }
    og_op_in(p, OG_Q, EDGE_OP_CAST, from == EDGE_UINT32 || to == EDGE_UINT32 ? 3 : 2, &x, 1,
             typed ? &o : NULL);
    expect_f(p, x);
    exact(p);
    og_desc_shape(p, "shape", rank, dims);
    og_desc(p, " %s->%s%s", type_name(from), type_name(to), typed ? " (typed options)" : "");
    return p->err;
}

/* ---------------------------------------------------------------- SHAPE */

/* The types SHAPE's input is drawn among (any: only its dimensions are read). */
static const int shape_in_types[] = {EDGE_FLOAT32, EDGE_INT32, EDGE_INT64, EDGE_INT16,
                                     EDGE_UINT8,   EDGE_BOOL,  EDGE_INT8};
#define N_SHAPE_TYPES (int)(sizeof shape_in_types / sizeof shape_in_types[0])

int og_gen_shape(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK] = {0};
    const int rank = og_shape_random(r, 0, OG_MAX_RANK, dims, 7);
    /* the variant's type, or (int8 variant) any type; a quantized int8 input sometimes */
    const int type =
        p->qtype != EDGE_INT8 ? p->qtype : shape_in_types[og_int(r, 0, N_SHAPE_TYPES - 1)];
    p->qtype_native = true;
    const bool quantized = type == p->qtype && og_chance(r, 0.5);
    const og_quant q = og_quant_random(r);
    const int out = og_chance(r, 0.7) ? EDGE_INT32 : EDGE_INT64;
    const size_t n = og_count(rank, dims), bytes = n * edge_dtype_size(type);
    uint8_t *v = malloc(bytes + 1);
    int64_t want[OG_MAX_RANK + 1];
    int32_t want32[OG_MAX_RANK + 1];
    if (!v)
        return p->err = EDGE_ENOMEM;
    for (size_t i = 0; i < bytes; i++)
        v[i] = (uint8_t)og_int(r, 0, type == EDGE_BOOL ? 1 : 255);
    for (int d = 0; d < rank; d++)
        want[d] = want32[d] = dims[d];
    const int32_t o_dims[1] = {rank};
    tfw_tensor_desc dq = {.type = type, .rank = rank, .dims = dims};
    if (quantized) { /* int8 in the int8 variant; og_retype makes it the variant's type */
        dq.type = EDGE_INT8;
        dq.q_count = 1;
        dq.scale = q.scale;
        dq.zero_point = q.zp;
    }
    const tfw_tensor_desc df = {.type = out, .rank = 1, .dims = o_dims};
    const int32_t x =
        split_input(p, &dq, v, quantized ? n : bytes, &df,
                    out == EDGE_INT32 ? (void *)want32 : want, (size_t)rank * edge_dtype_size(out));
    free(v);
    og_set_output(p, og_tensor(p, out, out, 1, o_dims, NULL));
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_ShapeOptions);
    tfw_opt_i8(&o, 0, (int8_t)out);
    const bool typed = out == EDGE_INT64 || og_chance(r, 0.5);
    og_op_in(p, OG_Q, EDGE_OP_SHAPE, 1, &x, 1, typed ? &o : NULL);
    expect_f(p, x);
    exact(p);
    og_desc_shape(p, "in", rank, dims);
    og_desc(p, " %s%s -> %s%s", quantized ? "quantized " : "", type_name(dq.type), type_name(out),
            typed ? " (out_type)" : "");
    return p->err;
}

/* ---------------------------------------------------------------- FILL, ZEROS_LIKE */

/* A random data type for FILL / ZEROS_LIKE: int8 quantized (*QUANTIZED) or one of TYPES; the
 * int16 variant draws int8 quantized (og_retype makes it int16) or raw int16. */
static int fill_type_random(og_pair *p, const int *types, int n_types, bool *quantized)
{
    og_rng *r = &p->rng;
    p->qtype_native = true;
    if (p->qtype == EDGE_INT16) {
        *quantized = og_chance(r, 0.6);
        return *quantized ? EDGE_INT8 : EDGE_INT16;
    }
    *quantized = og_chance(r, 0.4);
    return *quantized ? EDGE_INT8 : types[og_int(r, 0, n_types - 1)];
}

/* N random elements of TYPE (any bytes; bools 0/1; floats finite). */
static void random_elems(og_rng *r, int type, void *v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        switch (type) {
        case EDGE_FLOAT32: ((float *)v)[k] = (float)og_unif(r, -1e4, 1e4); break;
        case EDGE_INT64:
            ((int64_t *)v)[k] = (int64_t)(((uint64_t)og_u32(r) << 32) | og_u32(r));
            break;
        case EDGE_BOOL: ((uint8_t *)v)[k] = (uint8_t)og_int(r, 0, 1); break;
        default: store_int(type, (int64_t)og_u32(r), v, k); break; /* wraps to the width */
        }
}

/* The q and f descriptions of a data tensor of TYPE (int8 QUANTIZED with Q: float32 in f). */
static void data_descs(int type, bool quantized, og_quant q, int rank, const int32_t *dims,
                       tfw_tensor_desc *dq, tfw_tensor_desc *df)
{
    *dq = (tfw_tensor_desc){.type = type, .rank = rank, .dims = dims};
    *df = (tfw_tensor_desc){.type = quantized ? EDGE_FLOAT32 : type, .rank = rank, .dims = dims};
    if (quantized) {
        dq->q_count = 1;
        dq->scale = q.scale;
        dq->zero_point = q.zp;
    }
}

/* The output tensor (shared index): TYPE in q (quantized with Q when QUANTIZED), float32 or
 * TYPE in f. */
static int32_t data_output(og_pair *p, int type, bool quantized, og_quant q, int rank,
                           const int32_t *dims)
{
    return og_tensor(p, type, quantized ? EDGE_FLOAT32 : type, rank, dims, quantized ? &q : NULL);
}

static const int fill_types[] = {EDGE_FLOAT32, EDGE_INT32, EDGE_INT64, EDGE_BOOL, EDGE_INT16};

int og_gen_fill(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK] = {0};
    const int rank = og_chance(r, 0.1) ? 0 : og_shape_random(r, 1, OG_MAX_RANK, dims, 6);
    bool quantized;
    const int type = fill_type_random(p, fill_types, 5, &quantized);
    const og_quant q = og_quant_random(r); /* the value's and the output's */
    const size_t n = og_count(rank, dims), es = edge_dtype_size(type);
    uint8_t value[8], *want = malloc(n * 8 + 1);
    if (!want)
        return p->err = EDGE_ENOMEM;
    random_elems(r, type, value, 1);
    const float real = og_deq(q, *(const int8_t *)value);
    for (size_t k = 0; k < n; k++) /* FILL repeats the value: its real value when quantized */
        memcpy(want + k * (quantized ? sizeof real : es), quantized ? (const void *)&real : value,
               quantized ? sizeof real : es);
    tfw_tensor_desc dq, df;
    data_descs(type, quantized, q, 0, NULL, &dq, &df);
    df.rank = rank;
    df.dims = dims;
    const int32_t v = split_input(p, &dq, value, es, &df, want, n * (quantized ? 4 : es));
    free(want);
    og_set_output(p, data_output(p, type, quantized, q, rank, dims));
    const int32_t d_dims[1] = {rank};
    int64_t d64[OG_MAX_RANK];
    for (int d = 0; d < rank; d++)
        d64[d] = dims[d];
    const bool wide = og_chance(r, 0.3); /* int64 dims */
    const int32_t in[2] = {wide ? const_q(p, EDGE_INT64, 1, d_dims, d64, (size_t)rank * 8)
                                : const_q(p, EDGE_INT32, 1, d_dims, dims, (size_t)rank * 4),
                           v};
    const int version = type == EDGE_INT8 || type == EDGE_INT16 ? 3 : type == EDGE_BOOL ? 2 : 1;
    og_op_in(p, OG_Q, EDGE_OP_FILL, version, in, 2, NULL);
    expect_f(p, v);
    exact(p);
    p->tol_rel = quantized ? 1e-6f : 0.0f; /* the test dequantizes in double, og_deq in float */
    og_desc_shape(p, "dims", rank, dims);
    og_desc(p, " %s%s value", quantized ? "quantized " : "", type_name(type));
    if (quantized)
        og_desc_quant(p, "q", q);
    og_desc(p, " (dims %s)", wide ? "int64" : "int32");
    return p->err;
}

static const int zeros_types[] = {EDGE_FLOAT32, EDGE_INT32, EDGE_INT64, EDGE_INT16};

/* ZEROS_LIKE writes raw zeros: a quantized int8 output then holds the real -zp * scale (zero
 * point 0 in the int16 variant). */
int og_gen_zeros_like(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK] = {0};
    const int rank = og_shape_random(r, 0, OG_MAX_RANK, dims, 6);
    bool quantized;
    const int type = fill_type_random(p, zeros_types, 4, &quantized);
    const og_quant q = og_quant_random(r);
    const size_t n = og_count(rank, dims), es = edge_dtype_size(type);
    uint8_t *x = malloc(n * es + 1);
    float *want = calloc(n + 1, quantized ? sizeof(float) : es);
    if (!x || !want) {
        free(x);
        free(want);
        return p->err = EDGE_ENOMEM;
    }
    random_elems(r, type, x, n);
    const float zero = p->qtype == EDGE_INT16 ? 0.0f : og_deq(q, 0);
    for (size_t k = 0; quantized && k < n; k++)
        want[k] = zero;
    tfw_tensor_desc dq, df;
    data_descs(type, quantized, q, rank, dims, &dq, &df);
    const int32_t in = split_input(p, &dq, x, n * es, &df, want, n * (quantized ? 4 : es));
    free(x);
    free(want);
    og_set_output(p, data_output(p, type, quantized, q, rank, dims));
    og_op_in(p, OG_Q, EDGE_OP_ZEROS_LIKE, 1, &in, 1, NULL);
    expect_f(p, in);
    exact(p);
    p->tol_rel = quantized ? 1e-6f : 0.0f;
    og_desc_shape(p, "in", rank, dims);
    og_desc(p, " %s%s", quantized ? "quantized " : "", type_name(type));
    if (quantized)
        og_desc_quant(p, "q", q);
    return p->err;
}

/* ---------------------------------------------------------------- FLOOR_DIV, FLOOR_MOD */

/* The flat index in an operand of shape (IN_RANK, IN) of output element FLAT of shape
 * (RANK, OUT), the operand broadcast (right-aligned, extents 1 repeated). */
static size_t bcast_at(int rank, const int32_t *out, int in_rank, const int32_t *in, size_t flat)
{
    size_t at = 0, stride = 1;
    for (int d = rank - 1; d >= 0; d--) {
        const size_t c = flat % (size_t)out[d];
        flat /= (size_t)out[d];
        const int i = d - (rank - in_rank);
        if (i >= 0) {
            at += (in[i] == 1 ? 0 : c) * stride;
            stride *= (size_t)in[i];
        }
    }
    return at;
}

/* An operand shape that broadcasts to OUT: a suffix of it, some extents 1. */
static int operand_shape(og_rng *r, int rank, const int32_t *out, int32_t *dims)
{
    const int k = og_chance(r, 0.6) ? rank : og_int(r, 0, rank);
    for (int d = 0; d < k; d++)
        dims[d] = og_chance(r, 0.3) ? 1 : out[rank - k + d];
    return k;
}

/* Operand values: floats in [-10, 10] (a third whole numbers) or divisors of magnitude in
 * [0.25, 5]; int32 in [-100, 100] (a fifth anywhere above INT32_MIN) or divisors in [-9, 9],
 * 0 rarely (edged gives 0; TensorFlow Lite refuses). */
static void floor_operand(og_rng *r, bool is_float, bool divisor, void *v, size_t n)
{
    const bool wide = og_chance(r, 0.2);
    for (size_t k = 0; k < n; k++) {
        if (is_float) {
            double x = divisor ? og_unif(r, 0.25, 5.0) * (og_chance(r, 0.5) ? -1 : 1)
                               : og_unif(r, -10.0, 10.0);
            ((float *)v)[k] = (float)(og_chance(r, 0.3) && fabs(x) >= 1.0 ? trunc(x) : x);
        } else if (divisor) {
            ((int32_t *)v)[k] = og_chance(r, 0.03)  ? 0
                                : og_chance(r, 0.5) ? og_int(r, 1, 9)
                                                    : -og_int(r, 1, 9);
        } else {
            ((int32_t *)v)[k] = wide ? og_int(r, INT32_MIN + 1, INT32_MAX) : og_int(r, -100, 100);
        }
    }
}

/* Floor division or modulo of A by B (int64 for int32 operands; 0 for a zero divisor). */
static int64_t floor_int(int64_t a, int64_t b, bool mod)
{
    if (b == 0)
        return 0;
    int64_t q = a / b;
    if (q * b != a && (a < 0) != (b < 0))
        q--;
    return mod ? a - q * b : q;
}

static float floor_float(float a, float b, bool mod)
{
    if (!mod)
        return (float)floor((double)a / (double)b);
    double m = fmod((double)a, (double)b); /* exact; then towards the divisor's sign */
    if (m != 0.0 && (m < 0.0) != (b < 0.0))
        m += (double)b;
    return (float)m;
}

static int gen_floor(og_pair *p, int32_t code)
{
    og_rng *r = &p->rng;
    const bool mod = code == EDGE_OP_FLOOR_MOD, is_float = og_chance(r, 0.5);
    const int type = is_float ? EDGE_FLOAT32 : EDGE_INT32;
    int32_t out[OG_MAX_RANK], dims[2][OG_MAX_RANK];
    int rank = og_shape_random(r, 1, OG_MAX_RANK, out, 5);
    int ranks[2];
    for (int k = 0; k < 2; k++)
        ranks[k] = operand_shape(r, rank, out, dims[k]);
    for (int d = 0; d < rank; d++) { /* the output is the operands' broadcast */
        const int i = d - (rank - ranks[0]), j = d - (rank - ranks[1]);
        if ((i < 0 || dims[0][i] == 1) && (j < 0 || dims[1][j] == 1))
            out[d] = 1;
    }
    const int drop = rank - (ranks[0] > ranks[1] ? ranks[0] : ranks[1]); /* of the larger rank */
    memmove(out, out + drop, (size_t)(rank - drop) * sizeof out[0]);
    rank -= drop;
    const size_t n = og_count(rank, out), na = og_count(ranks[0], dims[0]),
                 nb = og_count(ranks[1], dims[1]);
    uint32_t *a = malloc(na * 4), *b = malloc(nb * 4), *want = malloc(n * 4);
    if (!a || !b || !want) {
        free(a), free(b), free(want);
        return p->err = EDGE_ENOMEM;
    }
    floor_operand(r, is_float, false, a, na);
    floor_operand(r, is_float, true, b, nb);
    for (size_t k = 0; k < n; k++) {
        const size_t i = bcast_at(rank, out, ranks[0], dims[0], k),
                     j = bcast_at(rank, out, ranks[1], dims[1], k);
        if (is_float)
            ((float *)want)[k] = floor_float(((float *)a)[i], ((float *)b)[j], mod);
        else
            ((int32_t *)want)[k] = (int32_t)floor_int(((int32_t *)a)[i], ((int32_t *)b)[j], mod);
    }
    const int x = og_int(r, 0, 1); /* which operand is the subgraph input (the other: constant) */
    const tfw_tensor_desc dq = {.type = type, .rank = ranks[x], .dims = dims[x]};
    const tfw_tensor_desc df = {.type = type, .rank = rank, .dims = out};
    int32_t in[2];
    in[x] = split_input(p, &dq, x ? (void *)b : a, (x ? nb : na) * 4, &df, want, n * 4);
    og_set_output(p, og_tensor(p, type, type, rank, out, NULL));
    in[!x] = const_q(p, type, ranks[!x], dims[!x], x ? (void *)a : b, (x ? na : nb) * 4);
    free(a), free(b), free(want);
    og_op_in(p, OG_Q, code, is_float ? 1 : 2, in, 2, NULL);
    expect_f(p, in[x]);
    exact(p);
    og_desc_shape(p, "a", ranks[0], dims[0]);
    og_desc_shape(p, " b", ranks[1], dims[1]);
    og_desc(p, " %s, %s constant", type_name(type), x ? "a" : "b");
    return p->err;
}

OG_GEN(floor_div, gen_floor, EDGE_OP_FLOOR_DIV)
OG_GEN(floor_mod, gen_floor, EDGE_OP_FLOOR_MOD)

/* ---------------------------------------------------------------- SQRT */

int og_gen_sqrt(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK] = {0};
    const int rank = og_shape_random(r, 0, OG_MAX_RANK, dims, 8);
    const size_t n = og_count(rank, dims);
    float *x = malloc(n * 4 + 4), *want = malloc(n * 4 + 4);
    if (!x || !want) {
        free(x), free(want);
        return p->err = EDGE_ENOMEM;
    }
    for (size_t k = 0; k < n; k++) { /* a tenth zero, a tenth perfect squares */
        const int pick = og_int(r, 0, 9);
        const double v = og_unif(r, 0.0, pick < 5 ? 100.0 : 1e6);
        const int root = og_int(r, 1, 3000);
        x[k] = pick == 0 ? 0.0f : pick == 1 ? (float)(root * root) : (float)v;
        want[k] = (float)sqrt((double)x[k]); /* correctly rounded, as sqrtf */
    }
    const tfw_tensor_desc d = {.type = EDGE_FLOAT32, .rank = rank, .dims = dims};
    const int32_t in = split_input(p, &d, x, n * 4, &d, want, n * 4);
    free(x), free(want);
    og_set_output(p, og_tensor(p, EDGE_FLOAT32, EDGE_FLOAT32, rank, dims, NULL));
    og_op_in(p, OG_Q, EDGE_OP_SQRT, 1, &in, 1, NULL);
    expect_f(p, in);
    exact(p);
    og_desc_shape(p, "in", rank, dims);
    return p->err;
}

/* ---------------------------------------------------------------- L2_POOL_2D */

/* One spatial axis of a window: input IN, filter K, stride S, SAME or VALID; the output
 * extent and the padding before (TensorFlow Lite's: half the total, rounded down). */
static void pool_axis(int32_t in, int32_t k, int32_t s, bool same, int32_t *out, int32_t *pad)
{
    *out = same ? (in + s - 1) / s : (in - k) / s + 1;
    const int32_t total = (*out - 1) * s + k - in;
    *pad = same && total > 0 ? total / 2 : 0;
}

/* L2 pooling of X (NHWC, DIMS) into WANT (output OH x OW), in double: the root of the mean
 * square over the window's cells inside the input, then the activation ACT. */
static void l2pool_expect(const float *x, const int32_t *dims, const int32_t *k, const int32_t *s,
                          const int32_t *pad, const int32_t *o, int act, float *want)
{
    const int32_t n_b = dims[0], h = dims[1], w = dims[2], c = dims[3];
    size_t at = 0;
    for (int32_t b = 0; b < n_b; b++)
        for (int32_t oy = 0; oy < o[0]; oy++)
            for (int32_t ox = 0; ox < o[1]; ox++)
                for (int32_t ch = 0; ch < c; ch++) {
                    double sum = 0.0;
                    int cells = 0;
                    for (int32_t y = oy * s[0] - pad[0]; y < oy * s[0] - pad[0] + k[0]; y++)
                        for (int32_t xx = ox * s[1] - pad[1]; xx < ox * s[1] - pad[1] + k[1]; xx++)
                            if (y >= 0 && y < h && xx >= 0 && xx < w) {
                                const double v = x[(((size_t)b * h + y) * w + xx) * c + ch];
                                sum += v * v;
                                cells++;
                            }
                    want[at++] = (float)og_act_apply(act, cells ? sqrt(sum / cells) : 0.0);
                }
}

int og_gen_l2_pool_2d(og_pair *p)
{
    og_rng *r = &p->rng;
    const bool same = og_chance(r, 0.5);
    int32_t k[2], s[2], pad[2], o[2], dims[4];
    dims[0] = og_int(r, 1, 2);
    for (int a = 0; a < 2; a++) {
        k[a] = og_int(r, 1, 4);
        s[a] = og_int(r, 1, 3);
        dims[1 + a] = og_int(r, same ? 1 : k[a], k[a] + 7);
        pool_axis(dims[1 + a], k[a], s[a], same, &o[a], &pad[a]);
    }
    dims[3] = og_int(r, 1, 8);
    const int act = og_act_random(r);
    const int32_t o_dims[4] = {dims[0], o[0], o[1], dims[3]};
    const size_t n = og_count(4, dims), no = og_count(4, o_dims);
    float *x = malloc(n * 4), *want = malloc(no * 4);
    if (!x || !want) {
        free(x), free(want);
        return p->err = EDGE_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = (float)og_unif(r, -3.0, 3.0);
    l2pool_expect(x, dims, k, s, pad, o, act, want);
    const tfw_tensor_desc dq = {.type = EDGE_FLOAT32, .rank = 4, .dims = dims};
    const tfw_tensor_desc df = {.type = EDGE_FLOAT32, .rank = 4, .dims = o_dims};
    const int32_t in = split_input(p, &dq, x, n * 4, &df, want, no * 4);
    free(x), free(want);
    og_set_output(p, og_tensor(p, EDGE_FLOAT32, EDGE_FLOAT32, 4, o_dims, NULL));
    tfw_options opt;
    tfw_opt_init(&opt, TFL_OPT_Pool2DOptions);
    tfw_opt_i8(&opt, 0, (int8_t)(same ? EDGE_PAD_SAME : EDGE_PAD_VALID));
    tfw_opt_i32(&opt, 1, s[1]);
    tfw_opt_i32(&opt, 2, s[0]);
    tfw_opt_i32(&opt, 3, k[1]);
    tfw_opt_i32(&opt, 4, k[0]);
    tfw_opt_i8(&opt, 5, (int8_t)act);
    og_op_in(p, OG_Q, EDGE_OP_L2_POOL_2D, 1, &in, 1, &opt);
    expect_f(p, in);
    p->tol_steps = 0.0f; /* float32 sums in another order: within float rounding */
    p->tol_rel = 1e-5f;
    og_desc_shape(p, "in", 4, dims);
    og_desc(p, " k=%dx%d s=%d,%d %s act=%s out=%dx%d", (int)k[0], (int)k[1], (int)s[0], (int)s[1],
            same ? "SAME" : "VALID", og_act_name(act), (int)o[0], (int)o[1]);
    return p->err;
}

/* ---------------------------------------------------------------- SUM, REDUCE_PROD */

/* A reduction of a random shape: the reduced axes (mask RED), the axes operand AXES (the
 * reduced ones in random order, some negative, some repeated), keep_dims, the output shape. */
typedef struct reduction {
    int rank, o_rank, n_axes;
    int32_t dims[OG_MAX_RANK], o_dims[OG_MAX_RANK], axes[2 * OG_MAX_RANK];
    unsigned red;
    bool keep;
    size_t n_out, per_out; /* output elements, input elements reduced into each */
} reduction;

static void reduction_random(og_rng *r, reduction *g, int max_dim)
{
    g->rank = og_shape_random(r, 1, OG_MAX_RANK, g->dims, max_dim);
    g->red = (unsigned)og_int(r, 1, (1 << g->rank) - 1);
    g->n_axes = 0;
    for (int d = 0; d < g->rank; d++)
        if (g->red >> d & 1)
            g->axes[g->n_axes++] = d;
    for (int i = g->n_axes - 1; i > 0; i--) { /* any order */
        const int j = og_int(r, 0, i);
        const int32_t t = g->axes[i];
        g->axes[i] = g->axes[j];
        g->axes[j] = t;
    }
    const int distinct = g->n_axes;
    for (int i = 0; i < distinct; i++) {
        if (og_chance(r, 0.15))
            g->axes[g->n_axes++] = g->axes[i]; /* a repeat counts once */
        if (og_chance(r, 0.3))
            g->axes[i] -= g->rank;
    }
    g->keep = g->red == (1u << g->rank) - 1 || og_chance(r, 0.5); /* no rank-0 outputs */
}

/* The output shape and counts of G (after its dims are final). */
static void reduction_finish(reduction *g)
{
    g->o_rank = 0;
    g->n_out = g->per_out = 1;
    for (int d = 0; d < g->rank; d++) {
        const bool red = g->red >> d & 1;
        if (!red || g->keep)
            g->o_dims[g->o_rank++] = red ? 1 : g->dims[d];
        *(red ? &g->per_out : &g->n_out) *= (size_t)g->dims[d];
    }
}

/* The output element input element FLAT reduces into. */
static size_t reduction_out(const reduction *g, size_t flat)
{
    size_t at = 0, stride = 1;
    for (int d = g->rank - 1; d >= 0; d--) {
        const size_t c = flat % (size_t)g->dims[d];
        flat /= (size_t)g->dims[d];
        if (!(g->red >> d & 1)) {
            at += c * stride;
            stride *= (size_t)g->dims[d];
        }
    }
    return at;
}

/* The range of the sums (PROD: products) of the real inputs X over G's windows. */
static void reduction_range(const reduction *g, const float *x, bool prod, double *lo, double *hi)
{
    double *acc = malloc(g->n_out * sizeof *acc);
    *lo = *hi = 0.0;
    if (!acc)
        return; /* p->err already holds what failed, or the caller's ENOMEM check does */
    for (size_t i = 0; i < g->n_out; i++)
        acc[i] = prod ? 1.0 : 0.0;
    const size_t n = g->n_out * g->per_out;
    for (size_t i = 0; i < n; i++) {
        double *a = &acc[reduction_out(g, i)];
        *a = prod ? *a * x[i] : *a + x[i];
    }
    for (size_t i = 0; i < g->n_out; i++) {
        *lo = acc[i] < *lo ? acc[i] : *lo;
        *hi = acc[i] > *hi ? acc[i] : *hi;
    }
    free(acc);
}

/* The reduction operator CODE (q version 2) of input X under QI to an output under QO, within
 * TOL output steps. */
static int reduce_done(og_pair *p, int32_t code, const reduction *g, int32_t x, og_quant qi,
                       og_quant qo, float tol)
{
    const int32_t a_dims[1] = {g->n_axes};
    const int32_t in[2] = {x, og_const_i32(p, 1, a_dims, g->axes)};
    og_set_output(p, og_act(p, g->o_rank, g->o_dims, qo));
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_ReducerOptions);
    tfw_opt_bool(&o, 0, g->keep);
    og_op(p, code, 2, 1, in, 2, &o);
    p->tol_steps = tol;
    og_desc_shape(p, "in", g->rank, g->dims);
    og_desc_shape(p, "axes", g->n_axes, g->axes);
    og_desc(p, " keep_dims=%d", g->keep);
    og_desc_quant(p, "qin", qi);
    og_desc_quant(p, "qout", qo);
    return p->err;
}

/* SUM: TFLite's QuantizedMeanOrSum rounds the rescaled sum once. The output quantization
 * covers the sums and is never the input's (issue 17: uint8/int16 SUM always requantizes). */
int og_gen_sum(og_pair *p)
{
    og_rng *r = &p->rng;
    reduction g;
    reduction_random(r, &g, 6);
    reduction_finish(&g);
    const og_quant qi = og_quant_random(r);
    const int32_t x = og_input(p, g.rank, g.dims, qi);
    if (p->err)
        return p->err;
    double lo, hi;
    reduction_range(&g, og_input_f(p, 0), false, &lo, &hi);
    og_quant qo = og_quant_output(r, lo, hi);
    if (qo.scale == qi.scale && qo.zp == qi.zp)
        qo.scale *= 1.25f;
    return reduce_done(p, EDGE_OP_SUM, &g, x, qi, qo, 1.0f);
}

/* An int8 input whose values lie at least MIN_OFF steps from the zero point Q.zp. */
static int32_t input_away(og_pair *p, int rank, const int32_t *dims, og_quant q, int min_off)
{
    const size_t n = og_count(rank, dims);
    int8_t *vq = malloc(n + 1);
    float *vf = malloc((n + 1) * sizeof *vf);
    int32_t t = og_act(p, rank, dims, q);
    if (!vq || !vf)
        t = p->err = EDGE_ENOMEM;
    for (size_t i = 0; t >= 0 && i < n; i++) {
        int v = og_int(&p->rng, -128, 127);
        while (abs(v - q.zp) < min_off)
            v = og_int(&p->rng, -128, 127);
        vq[i] = (int8_t)v;
        vf[i] = og_deq(q, v);
    }
    if (t >= 0 && (t = og_input_raw(p, t, vq, n, vf, n * sizeof *vf, n)) >= 0)
        p->quant[p->n_in - 1] = q;
    free(vq);
    free(vf);
    return t;
}

/* REDUCE_PROD: TensorFlow Lite's EvalQuantizedProd starts each output at x - zp and multiplies
 * the later values in, rescaling by m = s_in / s_out^(1/n) (n values per output) and rounding at
 * every step, then once more by m. A step's rounding (at most 1 unit) reaches the output through
 * every later factor |x - zp| * m <= G and the final m: the bound is 1 + m * sum_{i<n-1} G^i
 * output steps, plus the relative error of the multiplier (og_gen_reduce_prod). At most 4 values
 * per output and inputs at least 16 steps from the zero point keep it to a few steps. */
static float prod_bound(int qtype, og_quant qi, og_quant qo, int max_off, size_t n)
{
    double s_in = qi.scale, s_out = qo.scale, a = max_off;
    if (qtype == EDGE_INT16) { /* og_retype: scales / 128, values * 128 */
        s_in /= 128.0;
        s_out /= 128.0;
        a *= 128.0;
    }
    const double m = s_in / pow(s_out, 1.0 / (double)n), g = a * m;
    double sum = 0.0, gi = 1.0;
    for (size_t i = 0; i + 1 < n; i++, gi *= g)
        sum += gi;
    return (float)(1.0 + m * sum);
}

int og_gen_reduce_prod(og_pair *p)
{
    og_rng *r = &p->rng;
    reduction g;
    reduction_random(r, &g, 5);
    int budget = 4; /* values per output */
    for (int d = 0; d < g.rank; d++)
        if (g.red >> d & 1) {
            g.dims[d] = og_int(r, 1, budget);
            budget /= g.dims[d];
        }
    reduction_finish(&g);
    og_quant qi = og_quant_random(r);
    qi.zp = og_chance(r, 0.4) ? 0 : qi.zp;
    const int32_t x = input_away(p, g.rank, g.dims, qi, 16);
    if (p->err)
        return p->err;
    double lo, hi;
    reduction_range(&g, og_input_f(p, 0), true, &lo, &hi);
    const og_quant qo = og_quant_output(r, lo, hi);
    int max_off = 0;
    const int8_t *v = og_input_q(p, 0);
    for (size_t i = 0; i < g.n_out * g.per_out; i++)
        max_off = abs(v[i] - qi.zp) > max_off ? abs(v[i] - qi.zp) : max_off;
    const float tol = prod_bound(p->qtype, qi, qo, max_off, g.per_out);
    /* each multiply uses the multiplier cut to 15 bits (the int64 MultiplyByQuantizedMultiplier):
     * a relative error up to 2^-15 per multiply, visible on the int16 grid */
    p->tol_rel = 1e-5f + (float)g.per_out / 32768.0f;
    og_desc(p, " per_out=%zu", g.per_out);
    return reduce_done(p, EDGE_OP_REDUCE_PROD, &g, x, qi, qo, tol);
}

/* ---------------------------------------------------------------- L2_NORMALIZATION */

/* Over the last axis; the output quantization is fixed (1/128, zero point 0). */
int og_gen_l2_normalization(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK] = {0};
    const int rank = og_shape_random(r, 1, OG_MAX_RANK, dims, 5);
    dims[rank - 1] = og_int(r, 1, 12);
    const og_quant qi = og_quant_random(r), qo = {1.0f / 128.0f, 0};
    const int32_t x = og_input(p, rank, dims, qi);
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_L2NormOptions);
    tfw_opt_i8(&o, 0, EDGE_ACT_NONE);
    og_set_output(p, og_act(p, rank, dims, qo));
    og_op(p, EDGE_OP_L2_NORMALIZATION, 2, 1, &x, 1, og_chance(r, 0.5) ? &o : NULL);
    p->tol_steps = 1.0f;
    og_desc_shape(p, "in", rank, dims);
    og_desc_quant(p, "qin", qi);
    return p->err;
}
