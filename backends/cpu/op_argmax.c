/* backends/cpu/op_argmax.c - ARG_MAX and ARG_MIN (one kernel, the scan's direction a flag).
 *
 * Owns: reading the constant axis (one int32 or int64 value) for the output
 * shape edge/ops.h derives (edge_arg_max_shape: the input's with the axis
 * removed), validating the output type (int32 or int64, agreeing with
 * ArgMaxOptions.output_type when the file gives it), and choosing the typed
 * kernel (inputs int8, uint8, float32, int32, bool). Ties resolve to the first
 * index, as TensorFlow Lite's std::greater scan does. Does not own the scan
 * (kernels/ref/transform.c). */
#include "cpu_op.h"
#include "dispatch.h"
#include "ref/transform.h"

typedef enum argmax_kind {
    ARGMAX_S8_I32,
    ARGMAX_S8_I64,
    ARGMAX_U8_I32,
    ARGMAX_U8_I64,
    ARGMAX_F32_I32,
    ARGMAX_F32_I64,
    ARGMAX_S32_I32, /* comparison family: int32 inputs */
    ARGMAX_S32_I64,
    ARGMAX_BOOL_I32, /* issue 17's type gaps: bool inputs */
    ARGMAX_BOOL_I64,
} argmax_kind;

typedef struct argmax_data {
    edge_ref_argmax_params k;
    argmax_kind kind;
    edge_argmax8_fn rows8; /* int8/uint8 along a short last axis: the level's kernel, or NULL */
    uint8_t flip;          /* rows8's key: 0x80 for int8, then ^ 0xFF for ARG_MIN */
} argmax_data;

static int argmax_kind_of(edge_prep *p, const edge_tensor *in, const edge_tensor *out,
                          argmax_kind *kind)
{
    int rc = edge_op_check_dtype(p, out, "output",
                                 EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT64));
    if (rc)
        return rc;
    const bool wide = out->type == EDGE_INT64;
    switch (in->type) {
    case EDGE_INT8: *kind = wide ? ARGMAX_S8_I64 : ARGMAX_S8_I32; return 0;
    case EDGE_UINT8: *kind = wide ? ARGMAX_U8_I64 : ARGMAX_U8_I32; return 0;
    case EDGE_FLOAT32: *kind = wide ? ARGMAX_F32_I64 : ARGMAX_F32_I32; return 0;
    case EDGE_INT32: *kind = wide ? ARGMAX_S32_I64 : ARGMAX_S32_I32; return 0;
    case EDGE_BOOL: *kind = wide ? ARGMAX_BOOL_I64 : ARGMAX_BOOL_I32; return 0;
    default:
        return edge_op_fail(p, EDGE_EUNSUPPORTED, "input type %s is not supported",
                            edge_dtype_name(in->type));
    }
}

/* ARG_MIN's ArgMinOptions decode into the same member (ops/decode.c). */
static int argmax_options(edge_prep *p, const edge_node *n, const edge_tensor *out)
{
    if (!n->params.argmax.has_output_type)
        return 0;
    const int type = n->params.argmax.output_type;
    if (type != (int)out->type)
        return edge_op_fail(p, EDGE_ESHAPE, "output_type is %s but the output tensor is %s",
                            edge_dtype_name(type), edge_dtype_name(out->type));
    return 0;
}

static int argmax_prepare(edge_prep *p, edge_node *n)
{
    /* comparison family: ARG_MIN is ARG_MAX with the scan's comparison reversed */
    const bool min = n->code == EDGE_OP_ARG_MIN;
    const edge_tensor *in, *out;
    int rc = edge_op_io(p, n, 2, 2, 1, &in, &out);
    if (rc)
        return rc;
    argmax_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    int64_t a = 0; /* a scalar input fails in edge_arg_max_shape before the axis is read */
    if ((rc = argmax_kind_of(p, in, out, &d->kind)) || (rc = argmax_options(p, n, out)) ||
        (in->rank >= 1 && (rc = edge_op_const_scalar(p, edge_op_input(p, n, 1), "axis", &a))))
        return rc;
    int32_t dims[EDGE_MAX_DIMS];
    int axis = 0, rank = 0;
    if ((rc = edge_arg_max_shape(in->dims, in->rank, a, &axis, dims, &rank, p->err)))
        return rc;
    d->k.outer = d->k.inner = 1;
    for (int i = 0; i < axis; i++)
        d->k.outer *= (size_t)in->dims[i];
    for (int i = axis + 1; i < in->rank; i++)
        d->k.inner *= (size_t)in->dims[i];
    d->k.axis = (size_t)in->dims[axis];
    d->k.min = min;
    const bool s8 = d->kind == ARGMAX_S8_I32 || d->kind == ARGMAX_S8_I64;
    const bool byte = s8 || d->kind == ARGMAX_U8_I32 || d->kind == ARGMAX_U8_I64;
    const edge_kernels *kt = edge_op_kernels(p);
    if (byte && d->k.inner == 1 && d->k.axis <= EDGE_ARGMAX8_MAX_AXIS && kt && kt->argmax8.fn) {
        d->rows8 = kt->argmax8.fn;
        d->flip = (uint8_t)((s8 ? 0x80 : 0) ^ (min ? 0xFF : 0));
        n->kernel = kt->argmax8.name;
    }
    return edge_op_check_dims(p, out, "output", rank, dims);
}

typedef struct argmax_job {
    const argmax_data *d;
    const uint8_t *in;
    void *out;
} argmax_job;

static void argmax_rows(void *ctx, size_t first, size_t count)
{
    const argmax_job *j = ctx;
    const argmax_kind kd = j->d->kind;
    j->d->rows8(j->in, j->d->k.outer, j->d->k.axis, j->d->flip, j->out,
                kd == ARGMAX_S8_I64 || kd == ARGMAX_U8_I64, first, first + count);
}

static void argmax_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const argmax_data *d = n->data;
    const void *in = t[n->in[0]];
    void *out = t[n->out[0]];
    if (d->rows8) { /* runs of at least 4096 rows per thread */
        argmax_job j = {d, in, out};
        edge_exec_ranges(ex, d->k.outer, 4096, 1, argmax_rows, &j);
        return;
    }
    switch (d->kind) {
    case ARGMAX_S8_I32: edge_ref_arg_max_s8_i32(&d->k, in, out); break;
    case ARGMAX_S8_I64: edge_ref_arg_max_s8_i64(&d->k, in, out); break;
    case ARGMAX_U8_I32: edge_ref_arg_max_u8_i32(&d->k, in, out); break;
    case ARGMAX_U8_I64: edge_ref_arg_max_u8_i64(&d->k, in, out); break;
    case ARGMAX_F32_I32: edge_ref_arg_max_f32_i32(&d->k, in, out); break;
    case ARGMAX_F32_I64: edge_ref_arg_max_f32_i64(&d->k, in, out); break;
    case ARGMAX_S32_I32: edge_ref_arg_max_s32_i32(&d->k, in, out); break;
    case ARGMAX_S32_I64: edge_ref_arg_max_s32_i64(&d->k, in, out); break;
    case ARGMAX_BOOL_I32: edge_ref_arg_max_bool_i32(&d->k, in, out); break;
    case ARGMAX_BOOL_I64: edge_ref_arg_max_bool_i64(&d->k, in, out); break;
    }
}

const edge_op edge_op_ARG_MAX = {
    .code = EDGE_OP_ARG_MAX,
    .max_version = 3,
    .prepare = argmax_prepare,
    .eval = argmax_eval,
};
const edge_op edge_op_ARG_MIN = {
    .code = EDGE_OP_ARG_MIN,
    .max_version = 3,
    .prepare = argmax_prepare,
    .eval = argmax_eval,
};
