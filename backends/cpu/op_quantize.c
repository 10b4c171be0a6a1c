/* backends/cpu/op_quantize.c - QUANTIZE and DEQUANTIZE.
 *
 * Owns: validating one input and one output of the same shape with the
 * supported type pairs and per-tensor quantization on the quantized side(s),
 * and deriving the parameters as TensorFlow Lite Micro's quantize_common.cc
 * and dequantize_common.cc do:
 *   QUANTIZE float32 -> int8/uint8: AffineQuantize with the output's scale;
 *   QUANTIZE int8/uint8 -> int8/uint8: Requantize by s_in / s_out (double,
 *     QuantizeMultiplier);
 *   16x8 quantization (int16 zero points 0): QUANTIZE float32 -> int16 (AffineQuantize), int32 ->
 *     int16/int8, int16 -> int16/int8 and int8 -> int16 (Requantize as above), DEQUANTIZE
 *     int16 -> float32; an int16 QUANTIZE input may have any zero point (Requantize subtracts
 *     it; TFLite checks none): int8 SOFTMAX's int16 output (zero point -32768) requantized
 *     to int8, as TFLite Micro's keyword benchmark does;
 *   DEQUANTIZE int8/uint8 -> float32: scale * (x - zero point) in float;
 *   DEQUANTIZE float16 -> float32: the exact value (a float16 constant's
 *     DEQUANTIZE never gets here: the loader folds it, runtime/fold.c).
 * Per-channel quantization (QUANTIZE v3, DEQUANTIZE v5) is rejected.
 * The 8-bit sources run as 256-entry tables filled at prepare by the reference
 * kernel over all 256 input bytes (exact by construction): QUANTIZE int8/uint8 ->
 * int8/uint8 through lut8.h's lookup kernels. Above the scalar level, QUANTIZE float32 ->
 * int8/uint8 runs the kernel table's loop and DEQUANTIZE int8/uint8/int16 -> float32 the
 * reference's expression (one conversion, one multiply: the same float in any lane) as a
 * loop GCC vectorizes, both split over the threads.
 * Does not own the conversions (kernels/ref/quantize.c). */
#include <math.h>

#include "cpu_op.h"
#include "dispatch.h"
#include "lut8.h"
#include "ref/quantize.h"
#include "vectorize.h"

typedef enum quant_kind {
    Q_F32_S8,
    Q_F32_U8,
    Q_S8_S8,
    Q_S8_U8,
    Q_U8_S8,
    Q_U8_U8,
    DQ_S8_F32,
    DQ_U8_F32,
    DQ_F16_F32,
    /* int16 (16x8) activations and int32 sources */
    Q_F32_S16,
    Q_S32_S16,
    Q_S32_S8,
    Q_S16_S16,
    Q_S16_S8,
    Q_S8_S16,
    Q_S8_S32,
    Q_S16_S32,
    DQ_S16_F32,
} quant_kind;

/* QUANTIZE's conversions by input and output type (TFLite Micro's quantize_common.cc). */
static const struct {
    edge_dtype in, out;
    quant_kind kind;
} quantize_pairs[] = {
    {EDGE_FLOAT32, EDGE_INT8, Q_F32_S8},   {EDGE_FLOAT32, EDGE_UINT8, Q_F32_U8},
    {EDGE_FLOAT32, EDGE_INT16, Q_F32_S16}, {EDGE_INT8, EDGE_INT8, Q_S8_S8},
    {EDGE_INT8, EDGE_UINT8, Q_S8_U8},      {EDGE_UINT8, EDGE_INT8, Q_U8_S8},
    {EDGE_UINT8, EDGE_UINT8, Q_U8_U8},     {EDGE_INT32, EDGE_INT16, Q_S32_S16},
    {EDGE_INT32, EDGE_INT8, Q_S32_S8},     {EDGE_INT16, EDGE_INT16, Q_S16_S16},
    {EDGE_INT16, EDGE_INT8, Q_S16_S8},     {EDGE_INT8, EDGE_INT16, Q_S8_S16},
    {EDGE_INT8, EDGE_INT32, Q_S8_S32},     {EDGE_INT16, EDGE_INT32, Q_S16_S32},
};

typedef struct quant_data {
    quant_kind kind;
    size_t n;
    edge_affine_params affine;
    edge_requant_params requant;
    edge_lut8 lut;            /* QUANTIZE int8/uint8 -> int8/uint8 */
    edge_q16_map q16;         /* QUANTIZE int16/int32 -> int16/int8 on the table (fn NULL: the
                                 reference) */
    const edge_kernels *fast; /* QUANTIZE float32 -> int8/uint8 on this table, DEQUANTIZE on
                                 the vector loops (NULL: the reference) */
} quant_data;

/* The 8-bit -> 8-bit reference requantizations over raw bytes (edge_lut8_src_fn). */
static void requant_src(const void *ctx, const uint8_t *in, uint8_t *out, size_t n)
{
    const quant_data *d = ctx;
    switch (d->kind) {
    case Q_S8_S8:
        edge_ref_requantize_s8_s8(&d->requant, (const int8_t *)in, (int8_t *)out, n);
        break;
    case Q_S8_U8: edge_ref_requantize_s8_u8(&d->requant, (const int8_t *)in, out, n); break;
    case Q_U8_S8: edge_ref_requantize_u8_s8(&d->requant, in, (int8_t *)out, n); break;
    default: edge_ref_requantize_u8_u8(&d->requant, in, out, n); break;
    }
}

static bool is_lut8(quant_kind k)
{
    return k == Q_S8_S8 || k == Q_S8_U8 || k == Q_U8_S8 || k == Q_U8_U8;
}

static bool is_q8(edge_dtype t)
{
    return t == EDGE_INT8 || t == EDGE_UINT8;
}

static int unary_io(edge_prep *p, const edge_node *n, const edge_tensor **in,
                    const edge_tensor **out)
{
    int rc = edge_op_io(p, n, 1, 1, 1, in, out);
    return rc ? rc : edge_op_check_same_shape(p, *in, "input", *out, "output");
}

static int requant_params(edge_prep *p, const edge_tensor *in, const edge_tensor *out,
                          edge_requant_params *k)
{
    int rc = edge_op_scale_ratio(p, in, out, &k->mult, &k->shift);
    if (rc)
        return rc;
    k->in_zp = in->q.zero_point[0];
    k->out_zp = out->q.zero_point[0];
    return 0;
}

/* A requantized input: one scale and zero point; an int16 one not only 16x8's (zero point 0):
 * Requantize subtracts any zero point in range. */
static int requant_input_quant(edge_prep *p, const edge_tensor *in)
{
    if (in->type != EDGE_INT16 || in->q.count != 1 || in->q.zero_point[0] == 0)
        return edge_op_check_quant1(p, in, "input");
    const float s = in->q.scale[0];
    const int32_t z = in->q.zero_point[0];
    if (!isfinite(s) || !(s > 0.0f) || z < INT16_MIN || z > INT16_MAX)
        return edge_op_fail(p, EDGE_ERANGE,
                            "input (tensor %d, INT16) has scale %g and zero point %d; the scale "
                            "must be finite and positive, the zero point in INT16's range",
                            edge_op_tensor_index(p, in), (double)s, (int)z);
    return 0;
}

static int quantize_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = unary_io(p, n, &in, &out);
    if (rc)
        return rc;
    quant_data d = {.n = in->count};
    size_t i = 0;
    while (i < sizeof quantize_pairs / sizeof *quantize_pairs &&
           (quantize_pairs[i].in != in->type || quantize_pairs[i].out != out->type))
        i++;
    if (i == sizeof quantize_pairs / sizeof *quantize_pairs)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "conversion %s -> %s is not supported (float32, int8 or uint8 to "
                            "int8 or uint8; float32, int8, int16 or int32 to int16; int16 or "
                            "int32 to int8; int8 or int16 to int32)",
                            edge_dtype_name(in->type), edge_dtype_name(out->type));
    d.kind = quantize_pairs[i].kind;
    if ((rc = edge_op_check_quant1(p, out, "output")))
        return rc;
    if (in->type == EDGE_FLOAT32) {
        d.affine.scale = out->q.scale[0];
        d.affine.zero_point = out->q.zero_point[0];
        const edge_kernels *kt = edge_op_kernels(p);
        if ((d.kind == Q_F32_S8 || d.kind == Q_F32_U8 || d.kind == Q_F32_S16) && kt &&
            kt->f32.quantize_s8) {
            d.fast = kt;
            n->kernel = kt->f32.eltwise_name;
        }
    } else if ((rc = requant_input_quant(p, in)) || (rc = requant_params(p, in, out, &d.requant))) {
        return rc;
    }
    if (is_lut8(d.kind)) {
        edge_op_lut8_fill(d.lut.lut, requant_src, &d);
        edge_op_lut8_setup(p, n, &d.lut, in->count);
    }
    if (d.kind == Q_S32_S16 || d.kind == Q_S32_S8 || d.kind == Q_S16_S16 || d.kind == Q_S16_S8) {
        const edge_requant_params *r = &d.requant;
        const bool out8 = d.kind == Q_S32_S8 || d.kind == Q_S16_S8;
        const edge_q16_map_params mq = {r->in_zp,
                                        r->out_zp,
                                        r->mult,
                                        r->shift,
                                        r->mult,
                                        r->shift,
                                        out8 ? INT8_MIN : INT16_MIN,
                                        out8 ? INT8_MAX : INT16_MAX};
        edge_op_q16_map_setup(p, n, &d.q16, &mq, in->type == EDGE_INT32, out8, in->count);
    }
    return edge_op_keep(p, n, &d, sizeof d);
}

static int dequantize_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = unary_io(p, n, &in, &out);
    if (rc)
        return rc;
    if ((!is_q8(in->type) && in->type != EDGE_INT16 && in->type != EDGE_FLOAT16) ||
        out->type != EDGE_FLOAT32)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "conversion %s -> %s is not supported (int8, "
                            "uint8, int16 or float16 to float32)",
                            edge_dtype_name(in->type), edge_dtype_name(out->type));
    if (in->type == EDGE_FLOAT16) {
        quant_data d = {.kind = DQ_F16_F32, .n = in->count};
        return edge_op_keep(p, n, &d, sizeof d);
    }
    if ((rc = edge_op_check_quant1(p, in, "input")))
        return rc;
    quant_data d = {
        .kind = in->type == EDGE_INT8    ? DQ_S8_F32
                : in->type == EDGE_INT16 ? DQ_S16_F32
                                         : DQ_U8_F32,
        .n = in->count,
        .affine = {.scale = in->q.scale[0], .zero_point = in->q.zero_point[0]},
    };
    const edge_kernels *kt = edge_op_kernels(p);
    if (kt && kt->isa != EDGE_ISA_SCALAR) {
        d.fast = kt;
        n->kernel = "dequantize_loop";
    }
    return edge_op_keep(p, n, &d, sizeof d);
}

/* DEQUANTIZE's reference expression over elements [FIRST, FIRST + COUNT) (kernels/ref/quantize.c).
 */
#define DEQUANT_LOOP(name, T)                                                                 \
    EDGE_VECTORIZE static void name(const edge_affine_params *p, const void *vin, float *out, \
                                    size_t first, size_t count)                               \
    {                                                                                         \
        const T *in = (const T *)vin + first;                                                 \
        out += first;                                                                         \
        for (size_t i = 0; i < count; i++)                                                    \
            out[i] = p->scale * (float)((int32_t)in[i] - p->zero_point);                      \
    }

DEQUANT_LOOP(dequant_s8, int8_t)
DEQUANT_LOOP(dequant_u8, uint8_t)
DEQUANT_LOOP(dequant_s16, int16_t)

/* Elements of at least this many per thread are split over the threads. */
#define QUANT_TASK_MIN 16384

typedef struct quant_job {
    const quant_data *d;
    const void *in;
    void *out;
} quant_job;

/* QUANTIZE float32 -> 8-bit on the table, DEQUANTIZE on the loops: elements [FIRST,
 * FIRST + COUNT). */
static void quant_range(void *ctx, size_t first, size_t count)
{
    const quant_job *j = ctx;
    const quant_data *d = j->d;
    const float *f = (const float *)j->in + first;
    switch (d->kind) {
    case Q_F32_S8: d->fast->f32.quantize_s8(&d->affine, f, (int8_t *)j->out + first, count); break;
    case Q_F32_U8: d->fast->f32.quantize_u8(&d->affine, f, (uint8_t *)j->out + first, count); break;
    case Q_F32_S16:
        d->fast->f32.quantize_s16(&d->affine, f, (int16_t *)j->out + first, count);
        break;
    case DQ_S8_F32: dequant_s8(&d->affine, j->in, j->out, first, count); break;
    case DQ_U8_F32: dequant_u8(&d->affine, j->in, j->out, first, count); break;
    default: dequant_s16(&d->affine, j->in, j->out, first, count); break;
    }
}

static void quant_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    (void)scratch;
    const quant_data *d = n->data;
    const void *in = t[n->in[0]];
    void *out = t[n->out[0]];
    if (is_lut8(d->kind)) {
        edge_op_lut8_eval(&d->lut, in, out, ex);
        return;
    }
    if (d->q16.fn) {
        edge_op_q16_map_eval(&d->q16, in, out, ex);
        return;
    }
    if (d->fast) {
        quant_job j = {d, in, out};
        edge_exec_ranges(ex, d->n, QUANT_TASK_MIN, 64, quant_range, &j);
        return;
    }
    switch (d->kind) {
    case Q_F32_S8: edge_ref_quantize_f32_s8(&d->affine, in, out, d->n); break;
    case Q_F32_U8: edge_ref_quantize_f32_u8(&d->affine, in, out, d->n); break;
    case Q_S8_S8:
    case Q_S8_U8:
    case Q_U8_S8:
    case Q_U8_U8: break; /* tables, above */
    case DQ_S8_F32: edge_ref_dequantize_s8_f32(&d->affine, in, out, d->n); break;
    case DQ_U8_F32: edge_ref_dequantize_u8_f32(&d->affine, in, out, d->n); break;
    case DQ_F16_F32: edge_ref_dequantize_f16_f32(in, out, d->n); break;
    case Q_F32_S16: edge_ref_quantize_f32_s16(&d->affine, in, out, d->n); break;
    case Q_S32_S16: edge_ref_requantize_s32_s16(&d->requant, in, out, d->n); break;
    case Q_S32_S8: edge_ref_requantize_s32_s8(&d->requant, in, out, d->n); break;
    case Q_S16_S16: edge_ref_requantize_s16_s16(&d->requant, in, out, d->n); break;
    case Q_S16_S8: edge_ref_requantize_s16_s8(&d->requant, in, out, d->n); break;
    case Q_S8_S16: edge_ref_requantize_s8_s16(&d->requant, in, out, d->n); break;
    case Q_S8_S32: edge_ref_requantize_s8_s32(&d->requant, in, out, d->n); break;
    case Q_S16_S32: edge_ref_requantize_s16_s32(&d->requant, in, out, d->n); break;
    case DQ_S16_F32: edge_ref_dequantize_s16_f32(&d->affine, in, out, d->n); break;
    }
}

const edge_op edge_op_QUANTIZE = {
    .code = EDGE_OP_QUANTIZE,
    .max_version = EDGE_OPVER_QUANTIZE,
    .prepare = quantize_prepare,
    .eval = quant_eval,
};
const edge_op edge_op_DEQUANTIZE = {
    .code = EDGE_OP_DEQUANTIZE,
    .max_version = EDGE_OPVER_DEQUANTIZE,
    .prepare = dequantize_prepare,
    .eval = quant_eval,
};
