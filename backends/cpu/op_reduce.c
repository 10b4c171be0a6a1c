/* backends/cpu/op_reduce.c - SUM, REDUCE_PROD, REDUCE_MAX and REDUCE_MIN on the CPU.
 *
 * Owns: each reducer's prepare (the tensors, constant int32 axes and keep_dims
 * checked through op_reduce.h as MEAN's are; the element types each supports)
 * and eval (kernels/ref/reduce.h). SUM and REDUCE_PROD: float32 and int32
 * (int32 wraps); SUM also int8, uint8 and int16, as TFLite's QuantizedMeanOrSum with compute_sum
 * (MEAN's arithmetic without dividing by the count) whatever the two quantizations, as TFLite
 * Micro's EvalSumHelper (int8, int16) and LiteRT's reduce.cc EvalSum (uint8, int8, int16) do
 * today: with equal scales and zero points the result is the centred window sum plus the zero
 * point, saturated. (TensorFlow Lite before LiteRT added raw 8-bit values, wrapping, when the
 * quantizations were equal, and summed int16 raw; neither is what TFLite computes now.) int16
 * zero points 0, as PrepareMeanOrSum requires; REDUCE_PROD also quantized int8 and int16, as
 * reduce.cc's EvalQuantizedProd (each step rescaled by edge_reduce_prod_scaling; int16 zero points
 * 0, as PrepareProd requires; int8/int16 without quantization is refused); REDUCE_MAX / REDUCE_MIN:
 * float32, int32, and int8, uint8, int16 comparing raw values, so input and output must share one
 * scale and zero point (TFLite Micro's PrepareMaxHelper requires it).
 * Does not own the arithmetic (kernels/ref/reduce.c). */
#include "op_reduce.h"

typedef struct reduce_data {
    edge_dtype type;
    edge_reduce_params k;
} reduce_data;

#define F32_S32 (EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT32))
#define MAXMIN_TYPES \
    (F32_S32 | EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_INT16))
#define SUM_TYPES MAXMIN_TYPES
#define PROD_TYPES (F32_S32 | EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_INT16))

/* The tensors (the input's type one of TYPES), the walk; SAME_QUANT: a quantized input
 * shares the output's scale and zero point (MAX/MIN compare raw values). */
static int reduce_prepare(edge_prep *p, edge_node *n, uint32_t types, bool same_quant)
{
    int rc = edge_reduce_check_tensors(p, n, types);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *axis = edge_op_input(p, n, 1);
    const edge_tensor *out = edge_op_output(p, n, 0);
    const bool quantized = in->type != EDGE_FLOAT32 && in->type != EDGE_INT32;
    if (same_quant && quantized && (rc = edge_op_check_quant_as_output(p, in, "input", out)))
        return rc;
    reduce_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->type = in->type;
    return edge_reduce_walk_shape(p, in, axis, out, n->params.keep_dims, &d->k);
}

/* Quantized SUM: TFLite's QuantizedMeanOrSum with compute_sum, MEAN's arithmetic without the
 * 1/count fold, over int32 window sums in scratch. */
static int sum_prepare(edge_prep *p, edge_node *n)
{
    int rc = reduce_prepare(p, n, SUM_TYPES, false);
    reduce_data *d = n->data;
    if (rc || d->type == EDGE_FLOAT32 || d->type == EDGE_INT32)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *out = edge_op_output(p, n, 0);
    n->scratch_bytes = d->k.out_count * sizeof(int32_t);
    return edge_reduce_quant(p, in, out, &d->k); /* int16: zero points 0 */
}

/* Quantized int8/int16 REDUCE_PROD: the step scaling over the elements each output reduces;
 * scratch for the int32 products and a first-element flag per output. */
static int prod_prepare(edge_prep *p, edge_node *n)
{
    int rc = reduce_prepare(p, n, PROD_TYPES, false);
    reduce_data *d = n->data;
    if (rc || d->type == EDGE_FLOAT32 || d->type == EDGE_INT32)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *out = edge_op_output(p, n, 0);
    if (in->q.count == 0)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "%s input without quantization is not supported (only TensorFlow "
                            "Lite's quantized product)",
                            edge_dtype_name(in->type));
    if ((rc = edge_reduce_quant(p, in, out, &d->k))) /* int16: zero points 0 */
        return rc;
    n->scratch_bytes = d->k.out_count * (sizeof(int32_t) + 1);
    int shift = 0;
    rc = edge_reduce_prod_scaling(in->q.scale[0], out->q.scale[0], d->k.count, &d->k.mult, &shift,
                                  p->err);
    d->k.shift = shift;
    return rc;
}

static int maxmin_prepare(edge_prep *p, edge_node *n)
{
    return reduce_prepare(p, n, MAXMIN_TYPES, true);
}

static void sum_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    (void)ex;
    const reduce_data *d = n->data;
    void *in = t[n->in[0]], *out = t[n->out[0]];
    switch (d->type) {
    case EDGE_INT8: edge_ref_mean_s8(&d->k, in, out, scratch); return;
    case EDGE_UINT8: edge_ref_mean_u8(&d->k, in, out, scratch); return;
    case EDGE_INT16: edge_ref_mean_s16(&d->k, in, out, scratch); return;
    case EDGE_INT32: edge_ref_reduce_sum_s32(&d->k, in, out); return;
    default: edge_ref_reduce_sum_f32(&d->k, in, out); return;
    }
}

static void prod_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    (void)ex;
    const reduce_data *d = n->data;
    void *in = t[n->in[0]], *out = t[n->out[0]];
    switch (d->type) {
    case EDGE_INT8: edge_ref_reduce_prod_s8(&d->k, in, out, scratch); return;
    case EDGE_INT16: edge_ref_reduce_prod_s16(&d->k, in, out, scratch); return;
    case EDGE_INT32: edge_ref_reduce_prod_s32(&d->k, in, out); return;
    default: edge_ref_reduce_prod_f32(&d->k, in, out); return;
    }
}

/* REDUCE_MAX or REDUCE_MIN's kernel for each element type. */
typedef struct maxmin_kernels {
    void (*f32)(const edge_reduce_params *, const float *, float *);
    void (*s32)(const edge_reduce_params *, const int32_t *, int32_t *);
    void (*s8)(const edge_reduce_params *, const int8_t *, int8_t *);
    void (*u8)(const edge_reduce_params *, const uint8_t *, uint8_t *);
    void (*s16)(const edge_reduce_params *, const int16_t *, int16_t *);
} maxmin_kernels;

static const maxmin_kernels max_kernels = {edge_ref_reduce_max_f32, edge_ref_reduce_max_s32,
                                           edge_ref_reduce_max_s8, edge_ref_reduce_max_u8,
                                           edge_ref_reduce_max_s16};
static const maxmin_kernels min_kernels = {edge_ref_reduce_min_f32, edge_ref_reduce_min_s32,
                                           edge_ref_reduce_min_s8, edge_ref_reduce_min_u8,
                                           edge_ref_reduce_min_s16};

static void maxmin_run(const maxmin_kernels *f, const edge_node *n, void *const *t)
{
    const reduce_data *d = n->data;
    void *in = t[n->in[0]], *out = t[n->out[0]];
    switch (d->type) {
    case EDGE_INT32: f->s32(&d->k, in, out); return;
    case EDGE_INT8: f->s8(&d->k, in, out); return;
    case EDGE_UINT8: f->u8(&d->k, in, out); return;
    case EDGE_INT16: f->s16(&d->k, in, out); return;
    default: f->f32(&d->k, in, out); return;
    }
}

static void max_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    (void)scratch, (void)ex;
    maxmin_run(&max_kernels, n, t);
}

static void min_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    (void)scratch, (void)ex;
    maxmin_run(&min_kernels, n, t);
}

const edge_op edge_op_SUM = {
    .code = EDGE_OP_SUM, .max_version = EDGE_OPVER_SUM, .prepare = sum_prepare, .eval = sum_eval};
const edge_op edge_op_REDUCE_PROD = {.code = EDGE_OP_REDUCE_PROD,
                                     .max_version = EDGE_OPVER_REDUCE_PROD,
                                     .prepare = prod_prepare,
                                     .eval = prod_eval};
const edge_op edge_op_REDUCE_MAX = {.code = EDGE_OP_REDUCE_MAX,
                                    .max_version = EDGE_OPVER_REDUCE_MAX,
                                    .prepare = maxmin_prepare,
                                    .eval = max_eval};
const edge_op edge_op_REDUCE_MIN = {.code = EDGE_OP_REDUCE_MIN,
                                    .max_version = EDGE_OPVER_REDUCE_MIN,
                                    .prepare = maxmin_prepare,
                                    .eval = min_eval};
