/* backends/cpu/op_space.c - DEPTH_TO_SPACE, SPACE_TO_DEPTH, BATCH_TO_SPACE_ND,
 * SPACE_TO_BATCH_ND and MIRROR_PAD on the CPU (space family).
 *
 * Owns: their prepare (operand counts, the data input's type among the ones these moves take,
 * the output of the same type, and for quantized data the same scale and zero point, as they
 * do not requantize; the block size option or the constant block_shape / crops / paddings
 * operands, read for the shapes of ops/derive_shape.c and checked against the declared output)
 * and eval. SPACE_TO_BATCH_ND pads with the output zero point (int8/uint8) or 0, as TFLite
 * Micro does. Does not own the moves (kernels/ref/space.c). */
#include <string.h>

#include "cpu_op.h"
#include "ref/space.h"

_Static_assert(EDGE_MAX_DIMS <= EDGE_REF_MAX_DIMS, "mirror pad kernel rank");

/* Element types the moves take (any element of 1 to 8 bytes). */
#define SPACE_TYPES                                                                          \
    (EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8) | \
     EDGE_DTYPE_BIT(EDGE_INT16) | EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT64) |  \
     EDGE_DTYPE_BIT(EDGE_BOOL))

typedef struct space_data {
    edge_ref_space_params k;
    edge_ref_pad_params pad; /* MIRROR_PAD */
    int offset;              /* MIRROR_PAD: 1 REFLECT, 0 SYMMETRIC */
    size_t esize;
    uint8_t value[8]; /* SPACE_TO_BATCH_ND's pad element */
} space_data;

/* N_IN inputs, one output of the data input's type (and quantization), into *IN and *OUT. */
static int space_io(edge_prep *p, const edge_node *n, int n_in, const edge_tensor **in,
                    const edge_tensor **out)
{
    int rc = edge_op_io_same(p, n, n_in, n_in, SPACE_TYPES, in, out);
    if (rc)
        return rc;
    const edge_dtype t = (*in)->type;
    if (t == EDGE_INT8 || t == EDGE_UINT8 || t == EDGE_INT16)
        return edge_op_check_quant_as_output(p, *in, "input", *out);
    return 0;
}

static space_data *space_alloc(edge_prep *p, edge_node *n, const edge_tensor *in)
{
    space_data *d = edge_op_alloc(p, n, sizeof *d);
    if (d)
        d->esize = edge_dtype_size(in->type);
    return d;
}

/* The NHWC geometry of IN and OUT (rank 3 or 4) into K. */
static void space_geometry(const edge_tensor *in, const int32_t *out, edge_ref_space_params *k)
{
    const bool r4 = in->rank == 4;
    k->in_b = in->dims[0];
    k->in_h = in->dims[1];
    k->in_w = r4 ? in->dims[2] : 1;
    k->in_c = in->dims[in->rank - 1];
    k->out_b = out[0];
    k->out_h = out[1];
    k->out_w = r4 ? out[2] : 1;
    k->out_c = out[in->rank - 1];
}

/* space_alloc, with K's geometry of IN and the output DIMS and the block BH x BW. */
static space_data *space_block_alloc(edge_prep *p, edge_node *n, const edge_tensor *in,
                                     const int32_t *dims, int32_t bh, int32_t bw)
{
    space_data *d = space_alloc(p, n, in);
    if (d) {
        space_geometry(in, dims, &d->k);
        d->k.block_h = bh;
        d->k.block_w = bw;
    }
    return d;
}

/* ---- DEPTH_TO_SPACE, SPACE_TO_DEPTH ---- */

/* DEPTH_TO_SPACE or SPACE_TO_DEPTH, by N's code. */
static int depth_space_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = space_io(p, n, 1, &in, &out);
    if (rc)
        return rc;
    int32_t dims[4];
    if ((rc = edge_depth_space_shape(n->code == EDGE_OP_DEPTH_TO_SPACE, in->dims, in->rank,
                                     n->params.block_size, dims, p->err)) ||
        (rc = edge_op_check_dims(p, out, "output", 4, dims)))
        return rc;
    const int32_t block = n->params.block_size;
    return space_block_alloc(p, n, in, dims, block, block) ? 0 : EDGE_ENOMEM;
}

static void depth_to_space_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const space_data *d = n->data;
    edge_ref_depth_to_space(&d->k, d->esize, t[n->in[0]], t[n->out[0]]);
}

static void space_to_depth_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const space_data *d = n->data;
    edge_ref_space_to_depth(&d->k, d->esize, t[n->in[0]], t[n->out[0]]);
}

/* ---- BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND ---- */

/* BATCH_TO_SPACE_ND or SPACE_TO_BATCH_ND, by N's code. */
static int batch_space_prepare(edge_prep *p, edge_node *n)
{
    const bool to_space = n->code == EDGE_OP_BATCH_TO_SPACE_ND;
    const edge_tensor *in, *out;
    int rc = space_io(p, n, 3, &in, &out);
    if (rc)
        return rc;
    const edge_tensor *block = edge_op_input(p, n, 1), *pads = edge_op_input(p, n, 2);
    const char *pads_role = to_space ? "crops" : "paddings";
    if ((rc = edge_op_check_const_int(p, block, "block_shape")) ||
        (rc = edge_op_check_const_int(p, pads, pads_role)) ||
        (rc = edge_op_check_rank(p, block, "block_shape", 1)) ||
        (rc = edge_op_check_rank(p, pads, pads_role, 2)))
        return rc;
    int64_t bv[2] = {0}, pv[4] = {0};
    int32_t dims[4], block_hw[2], pad_tl[2];
    edge_op_const_ints(block, bv, 2);
    edge_op_const_ints(pads, pv, 4);
    if ((rc = edge_batch_space_shape(to_space, in->dims, in->rank, bv, block->count, pv,
                                     pads->count, dims, block_hw, pad_tl, p->err)) ||
        (rc = edge_op_check_dims(p, out, "output", in->rank, dims)))
        return rc;
    space_data *d = space_block_alloc(p, n, in, dims, block_hw[0], block_hw[1]);
    if (!d)
        return EDGE_ENOMEM;
    d->k.pad_top = pad_tl[0];
    d->k.pad_left = pad_tl[1];
    if (in->type == EDGE_INT8 || in->type == EDGE_UINT8)
        d->value[0] = (uint8_t)out->q.zero_point[0];
    return 0;
}

static void batch_to_space_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const space_data *d = n->data;
    edge_ref_batch_to_space(&d->k, d->esize, t[n->in[0]], t[n->out[0]]);
}

static void space_to_batch_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const space_data *d = n->data;
    edge_ref_space_to_batch(&d->k, d->esize, t[n->in[0]], d->value, t[n->out[0]]);
}

/* ---- MIRROR_PAD ---- */

static int mirror_pad_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = space_io(p, n, 2, &in, &out);
    if (rc)
        return rc;
    const edge_tensor *pads = edge_op_input(p, n, 1);
    if ((rc = edge_op_check_const_int(p, pads, "paddings")))
        return rc;
    space_data *d = space_alloc(p, n, in);
    if (!d)
        return EDGE_ENOMEM;
    int64_t v[2 * EDGE_MAX_DIMS];
    int32_t dims[EDGE_MAX_DIMS];
    edge_op_const_ints(pads, v, 2 * EDGE_MAX_DIMS);
    if ((rc = edge_mirror_pad_shape(in->dims, in->rank, pads->dims, pads->rank, v,
                                    n->params.mirror_mode, d->pad.before, d->pad.after, dims,
                                    p->err)))
        return rc;
    d->pad.rank = in->rank;
    memcpy(d->pad.in_dims, in->dims, (size_t)in->rank * sizeof *in->dims);
    d->offset = n->params.mirror_mode == EDGE_MIRROR_REFLECT ? 1 : 0;
    return edge_op_check_dims(p, out, "output", in->rank, dims);
}

static void mirror_pad_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const space_data *d = n->data;
    edge_ref_mirror_pad(&d->pad, d->offset, d->esize, t[n->in[0]], t[n->out[0]]);
}

EDGE_CPU_OP(DEPTH_TO_SPACE, depth_space_prepare, depth_to_space_eval)
EDGE_CPU_OP(SPACE_TO_DEPTH, depth_space_prepare, space_to_depth_eval)
EDGE_CPU_OP(BATCH_TO_SPACE_ND, batch_space_prepare, batch_to_space_eval)
EDGE_CPU_OP(SPACE_TO_BATCH_ND, batch_space_prepare, space_to_batch_eval)
EDGE_CPU_OP(MIRROR_PAD, mirror_pad_prepare, mirror_pad_eval)
