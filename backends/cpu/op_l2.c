/* backends/cpu/op_l2.c - L2_NORMALIZATION on the CPU (space family).
 *
 * Owns: its prepare and eval over the last axis, as TensorFlow Lite runs it: float32, int8 or
 * uint8, at most 4 dimensions, no fused activation; the quantized output must be scale 1/128
 * with zero point 0 (int8) or 128 (uint8), the quantization the kernels write (TensorFlow Lite
 * checks it). (LOG_SOFTMAX: backends/cpu/op_softmax.c.) Does not own the arithmetic
 * (kernels/ref/l2.c; uint8: kernels/ref/gaps.c). */
#include "cpu_op.h"
#include "ref/gaps.h"
#include "ref/l2.h"

typedef struct l2_data {
    edge_dtype type;
    size_t outer, depth;
    int32_t in_zp;
} l2_data;

/* One input and one output of the same type among TYPES and the same shape, rank 1 to
 * MAX_RANK, into D's outer and depth. */
static int last_axis_io(edge_prep *p, edge_node *n, uint32_t types, int max_rank, l2_data **out_d)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io(p, n, 1, 1, 1, &in, &out);
    if (rc || (rc = edge_op_check_dtype(p, in, "input", types)) ||
        (rc = edge_op_check_type(p, out, "output", in->type)) ||
        (rc = edge_op_check_same_shape(p, in, "input", out, "output")))
        return rc;
    if (in->rank < 1 || in->rank > max_rank)
        return edge_op_fail(p, EDGE_ESHAPE, "input has %d dimensions; 1 to %d are supported",
                            in->rank, max_rank);
    l2_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->type = in->type;
    d->depth = (size_t)in->dims[in->rank - 1];
    d->outer = d->depth ? in->count / d->depth : 0;
    *out_d = d;
    return 0;
}

static int l2norm_prepare(edge_prep *p, edge_node *n)
{
    if (n->params.activation != EDGE_ACT_NONE)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "fused activation %d is not supported (TFLite supports none)",
                            (int)n->params.activation);
    l2_data *d = NULL;
    int rc = last_axis_io(
        p, n, EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8),
        4, &d);
    if (rc || d->type == EDGE_FLOAT32)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *out = edge_op_output(p, n, 0);
    const int32_t out_zp = d->type == EDGE_UINT8 ? 128 : 0;
    if ((rc = edge_op_check_quant1_pair(p, in, "input", out, "output")) ||
        (rc = edge_op_check_fixed_quant(p, out, "output", 1.0f / 128.0f, out_zp)))
        return rc;
    d->in_zp = in->q.zero_point[0];
    return 0;
}

static void l2norm_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const l2_data *d = n->data;
    if (d->type == EDGE_INT8)
        edge_ref_l2norm_s8(d->outer, d->depth, d->in_zp, t[n->in[0]], t[n->out[0]]);
    else if (d->type == EDGE_UINT8) /* issue 17's type gaps */
        edge_ref_l2norm_u8(d->outer, d->depth, d->in_zp, t[n->in[0]], t[n->out[0]]);
    else
        edge_ref_l2norm_f32(d->outer, d->depth, t[n->in[0]], t[n->out[0]]);
}

const edge_op edge_op_L2_NORMALIZATION = {
    .code = EDGE_OP_L2_NORMALIZATION,
    .max_version = EDGE_OPVER_L2_NORMALIZATION,
    .prepare = l2norm_prepare,
    .eval = l2norm_eval,
};
