/* backends/cpu/op_math.c - DIV, FLOOR_DIV, FLOOR_MOD on the CPU (SQRT and RSQRT: op_unary.c).
 *
 * Owns: validating the operands (DIV, FLOOR_DIV, FLOOR_MOD: two inputs and the
 * output of one type, float32 or int32, broadcasting numpy style (edge/ops.h's
 * edge_broadcast_shape) to exactly the declared output shape; DIV's fused
 * activation as a float or int32 range) and calling kernels/ref/mathops.h; DIV also int8
 * (TFLite Micro) and uint8 (TensorFlow Lite), per-tensor quantized (kernels/ref/gaps.h). Integer
 * division by zero, which TensorFlow Lite fails at eval, gives 0 here (eval cannot fail; see
 * mathops.h); float division is IEEE, above the scalar level on the kernel table's DIV row over
 * the threaded broadcast walk (fast_ops.h). Does not own the arithmetic (kernels/ref/mathops.c). */
#include "op_math.h"

#include "dispatch.h"
#include "fast_ops.h"
#include "ref/gaps.h"

#define F32_S32 (EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT32))

typedef void math_f32_fn(const edge_arith_params *, const float *, const float *, float *);
typedef void math_s32_fn(const edge_arith_params *, const int32_t *, const int32_t *, int32_t *);

typedef struct math_data {
    edge_arith_params k;
    edge_dtype type;
    math_f32_fn *f32; /* the kernel of N's code for each element type */
    math_s32_fn *s32;
    edge_f32_bin_row_fn f32_row; /* float32 DIV on the kernel table's row (NULL: f32) */
} math_data;

/* The broadcast of A and B, checked against OUT, into K's iteration. */
static int math_shapes(edge_prep *p, const edge_tensor *a, const edge_tensor *b,
                       const edge_tensor *out, edge_arith_params *k)
{
    int32_t dims[EDGE_MAX_DIMS];
    int rank = 0;
    int rc = edge_broadcast_shape(a->dims, a->rank, b->dims, b->rank, dims, &rank, p->err);
    if (rc)
        return rc;
    if (!edge_bcast_init(&k->shape, a->dims, a->rank, b->dims, b->rank, dims, rank))
        return edge_op_fail(p, EDGE_ESHAPE, "input shapes do not broadcast");
    return edge_op_check_dims(p, out, "output", rank, dims);
}

int edge_math_act_range(edge_prep *p, int act, edge_arith_params *k)
{
    k->act_min = INT32_MIN;
    k->act_max = INT32_MAX;
    int rc = edge_op_act_range_f(p, act, &k->act_min_f, &k->act_max_f);
    if (rc)
        return rc;
    if (k->act_min_f > (float)INT32_MIN)
        k->act_min = (int32_t)k->act_min_f;
    if (k->act_max_f < (float)INT32_MAX)
        k->act_max = (int32_t)k->act_max_f;
    return 0;
}

/* issue 17's type gaps: int8 (TFLite Micro) and uint8 (TensorFlow Lite) DIV, per-tensor
 * quantization, edge/ops.h's multiplier. */
static int div_quant(edge_prep *p, int act, const edge_tensor *a, const edge_tensor *b,
                     const edge_tensor *out, edge_arith_params *k)
{
    int rc = edge_op_check_quant1_3(p, a, "input 0", b, "input 1", out);
    if (rc || (rc = edge_div_multiplier(a->q.scale[0], b->q.scale[0], out->q.scale[0], &k->out_mult,
                                        &k->out_shift, p->err)))
        return rc;
    k->a_offset = -a->q.zero_point[0];
    k->b_offset = -b->q.zero_point[0];
    k->out_offset = out->q.zero_point[0];
    return edge_op_act_range_q(p, act, out, &k->act_min, &k->act_max);
}

static int binary_math_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *a, *b, *out;
    const uint32_t q8 = EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8);
    int rc = edge_op_io_binary(p, n, F32_S32 | (n->code == EDGE_OP_DIV ? q8 : 0), -1, &a, &b, &out);
    if (rc)
        return rc;
    math_data d = {.type = a->type};
    if (a->type == EDGE_INT8 || a->type == EDGE_UINT8) {
        if ((rc = math_shapes(p, a, b, out, &d.k)) ||
            (rc = div_quant(p, edge_op_activation(n->code, &n->params), a, b, out, &d.k)))
            return rc;
        return edge_op_keep(p, n, &d, sizeof d);
    }
    d.f32 = n->code == EDGE_OP_DIV         ? edge_ref_div_f32
            : n->code == EDGE_OP_FLOOR_DIV ? edge_ref_floor_div_f32
                                           : edge_ref_floor_mod_f32;
    d.s32 = n->code == EDGE_OP_DIV         ? edge_ref_div_s32
            : n->code == EDGE_OP_FLOOR_DIV ? edge_ref_floor_div_s32
                                           : edge_ref_floor_mod_s32;
    if ((rc = math_shapes(p, a, b, out, &d.k)) ||
        (rc = edge_math_act_range(p, edge_op_activation(n->code, &n->params), &d.k)))
        return rc;
    const edge_kernels *kt = edge_op_kernels(p);
    if (n->code == EDGE_OP_DIV && a->type == EDGE_FLOAT32 && kt && (d.f32_row = kt->f32.div))
        n->kernel = kt->f32.eltwise_name;
    return edge_op_keep(p, n, &d, sizeof d);
}

/* DIV, FLOOR_DIV, FLOOR_MOD: the kernel prepare chose for the code and type. */
static void binary_math_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    (void)scratch;
    const math_data *d = n->data;
    if (d->f32_row)
        edge_fast_bcast_run(&d->k, sizeof(float), d->f32_row, t[n->in[0]], t[n->in[1]],
                            t[n->out[0]], ex);
    else if (d->type == EDGE_INT8)
        edge_ref_div_s8(&d->k, t[n->in[0]], t[n->in[1]], t[n->out[0]]);
    else if (d->type == EDGE_UINT8)
        edge_ref_div_u8(&d->k, t[n->in[0]], t[n->in[1]], t[n->out[0]]);
    else if (d->type == EDGE_INT32)
        d->s32(&d->k, t[n->in[0]], t[n->in[1]], t[n->out[0]]);
    else
        d->f32(&d->k, t[n->in[0]], t[n->in[1]], t[n->out[0]]);
}

EDGE_CPU_OP(DIV, binary_math_prepare, binary_math_eval)
EDGE_CPU_OP(FLOOR_DIV, binary_math_prepare, binary_math_eval)
EDGE_CPU_OP(FLOOR_MOD, binary_math_prepare, binary_math_eval)
