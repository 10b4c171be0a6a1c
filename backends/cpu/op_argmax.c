/* backends/cpu/op_argmax.c - ARG_MAX and ARG_MIN (one kernel, the scan's direction a flag).
 *
 * Owns: reading the constant axis (one int32 or int64 value) for the output
 * shape edge/ops.h derives (edge_arg_max_shape: the input's with the axis
 * removed), validating the output type (int32 or int64, agreeing with
 * ArgMaxOptions.output_type when the file gives it), and choosing the typed
 * kernel (inputs int8, uint8, float32, int32, bool). Ties resolve to the first
 * index, as TensorFlow Lite's std::greater scan does. Does not own the scan
 * (kernels/ref/transform.c). */
#include <stdbool.h>

#include "cpu_op.h"
#include "dispatch.h"
#include "ref/transform.h"
#include "vectorize.h"

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
    bool cols;             /* an axis before the last: the scan column-wise (argmax_cols) */
    bool long_rows;        /* integers along a last axis too long for rows8: argmax_long */
} argmax_data;

/* ---- integers along a long last axis: the best value, then its first place ---- */

/* The reference's scan of one row of N integers (the first strictly better one wins, so the
 * answer is the first place of the row's maximum, or minimum): the extreme as a reduction the
 * compiler vectorizes, then a search for its first place. */
#define ARG_LONG(NAME, TIN)                                             \
    EDGE_VECTORIZE static size_t NAME(const TIN *x, size_t n, bool min) \
    {                                                                   \
        TIN best = x[0];                                                \
        if (min)                                                        \
            for (size_t i = 1; i < n; i++)                              \
                best = x[i] < best ? x[i] : best;                       \
        else                                                            \
            for (size_t i = 1; i < n; i++)                              \
                best = x[i] > best ? x[i] : best;                       \
        size_t i = 0;                                                   \
        while (x[i] != best)                                            \
            i++;                                                        \
        return i;                                                       \
    }
ARG_LONG(long_s8, int8_t)
ARG_LONG(long_u8, uint8_t)
ARG_LONG(long_s32, int32_t)

/* ---- an axis before the last: the reference's scan, columns side by side ---- */

enum { COLS_CHUNK = 512 }; /* columns of one pass (their running best on the stack) */

/* Columns [K0, K1) of the slab at BASE (AXIS rows of INNER elements): for each, the
 * reference's scan (the first element, then each later one that compares strictly better,
 * in axis order) as one pass over the rows with every column at once, which vectorizes;
 * the same comparisons per column in the same order, so the same index, ties and NaN
 * included. */
#define ARG_COLS(NAME, TIN, TOUT, BETTER)                                                     \
    EDGE_VECTORIZE_FP static void NAME(const TIN *base, size_t axis, size_t inner, size_t k0, \
                                       size_t k1, TOUT *out)                                  \
    {                                                                                         \
        TIN best[COLS_CHUNK];                                                                 \
        const size_t n = k1 - k0;                                                             \
        for (size_t k = 0; k < n; k++) {                                                      \
            best[k] = base[k0 + k];                                                           \
            out[k] = 0;                                                                       \
        }                                                                                     \
        for (size_t i = 1; i < axis; i++) {                                                   \
            const TIN *row = base + i * inner + k0;                                           \
            for (size_t k = 0; k < n; k++) {                                                  \
                const TIN v = row[k];                                                         \
                const bool b = BETTER(v, best[k]);                                            \
                best[k] = b ? v : best[k];                                                    \
                out[k] = b ? (TOUT)i : out[k];                                                \
            }                                                                                 \
        }                                                                                     \
    }
#define ARG_GT(v, b) ((v) > (b))
#define ARG_LT(v, b) ((v) < (b))
#define ARG_COLS_PAIR(SFX, TIN, TOUT)           \
    ARG_COLS(cols_max_##SFX, TIN, TOUT, ARG_GT) \
    ARG_COLS(cols_min_##SFX, TIN, TOUT, ARG_LT)
ARG_COLS_PAIR(s8_i32, int8_t, int32_t)
ARG_COLS_PAIR(s8_i64, int8_t, int64_t)
ARG_COLS_PAIR(u8_i32, uint8_t, int32_t)
ARG_COLS_PAIR(u8_i64, uint8_t, int64_t)
ARG_COLS_PAIR(f32_i32, float, int32_t)
ARG_COLS_PAIR(f32_i64, float, int64_t)
ARG_COLS_PAIR(s32_i32, int32_t, int32_t)
ARG_COLS_PAIR(s32_i64, int32_t, int64_t)

/* Columns [K0, K1) (K1 - K0 <= COLS_CHUNK) of outer slice O of D's scan. */
static void cols_run(const argmax_data *d, const void *in, void *out, size_t o, size_t k0,
                     size_t k1)
{
    const edge_ref_argmax_params *k = &d->k;
    const size_t slab = k->axis * k->inner, at = o * k->inner + k0;
#define ARG_COLS_CALL(SFX, TIN, TOUT)                                                             \
    (k->min ? cols_min_##SFX : cols_max_##SFX)((const TIN *)in + o * slab, k->axis, k->inner, k0, \
                                               k1, (TOUT *)out + at)
    switch (d->kind) {
    case ARGMAX_S8_I32: ARG_COLS_CALL(s8_i32, int8_t, int32_t); break;
    case ARGMAX_S8_I64: ARG_COLS_CALL(s8_i64, int8_t, int64_t); break;
    case ARGMAX_U8_I32: ARG_COLS_CALL(u8_i32, uint8_t, int32_t); break;
    case ARGMAX_U8_I64: ARG_COLS_CALL(u8_i64, uint8_t, int64_t); break;
    case ARGMAX_F32_I32: ARG_COLS_CALL(f32_i32, float, int32_t); break;
    case ARGMAX_F32_I64: ARG_COLS_CALL(f32_i64, float, int64_t); break;
    case ARGMAX_S32_I32: ARG_COLS_CALL(s32_i32, int32_t, int32_t); break;
    case ARGMAX_S32_I64: ARG_COLS_CALL(s32_i64, int32_t, int64_t); break;
    default: break; /* bool: never cols (argmax_prepare) */
    }
#undef ARG_COLS_CALL
}

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
    } else if (d->k.inner > 1 && d->k.axis >= 1 && kt && kt->isa != EDGE_ISA_SCALAR &&
               d->kind != ARGMAX_BOOL_I32 && d->kind != ARGMAX_BOOL_I64) {
        d->cols = true;
        n->kernel = "argmax_cols";
    } else if (d->k.inner == 1 && d->k.axis >= 2 && kt && kt->isa != EDGE_ISA_SCALAR &&
               (byte || d->kind == ARGMAX_S32_I32 || d->kind == ARGMAX_S32_I64)) {
        d->long_rows = true;
        n->kernel = "argmax_long_rows";
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

/* Rows [FIRST, FIRST + COUNT) along a long last axis. */
static void argmax_long(void *ctx, size_t first, size_t count)
{
    const argmax_job *j = ctx;
    const argmax_data *d = j->d;
    const size_t n = d->k.axis;
    for (size_t r = first; r < first + count; r++) {
        size_t i = 0;
        switch (d->kind) {
        case ARGMAX_S8_I32:
        case ARGMAX_S8_I64: i = long_s8((const int8_t *)j->in + r * n, n, d->k.min); break;
        case ARGMAX_U8_I32:
        case ARGMAX_U8_I64: i = long_u8(j->in + r * n, n, d->k.min); break;
        default: i = long_s32((const int32_t *)(const void *)j->in + r * n, n, d->k.min); break;
        }
        if (d->kind == ARGMAX_S8_I64 || d->kind == ARGMAX_U8_I64 || d->kind == ARGMAX_S32_I64)
            ((int64_t *)j->out)[r] = (int64_t)i;
        else
            ((int32_t *)j->out)[r] = (int32_t)i;
    }
}

/* Output elements [FIRST, FIRST + COUNT) (outer slice by slice, columns in chunks). */
static void argmax_cols(void *ctx, size_t first, size_t count)
{
    const argmax_job *j = ctx;
    const size_t inner = j->d->k.inner;
    for (size_t e = first, end = first + count; e < end;) {
        const size_t o = e / inner, k0 = e % inner;
        size_t k1 = k0 + (end - e < inner - k0 ? end - e : inner - k0);
        k1 = k1 - k0 > COLS_CHUNK ? k0 + COLS_CHUNK : k1;
        cols_run(j->d, j->in, j->out, o, k0, k1);
        e += k1 - k0;
    }
}

static void argmax_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const argmax_data *d = n->data;
    const void *in = t[n->in[0]];
    void *out = t[n->out[0]];
    if (d->long_rows) {
        argmax_job j = {d, in, out};
        const size_t per = 16384 / d->k.axis;
        edge_exec_ranges(ex, d->k.outer, per ? per : 1, 1, argmax_long, &j);
        return;
    }
    if (d->cols) {
        /* at least ~16K elements scanned per thread, and the columns of a thread whole lines of
         * a row: movenet_lightning_ptq's 17 int8 columns (2304 rows, the keypoints' heatmaps),
         * 9 and 8 a thread, each thread reading every line of the 39 KB the team's QUANTIZE had
         * just written half of, took 56 us on 2 threads against 12 us on 1 (Zen 5 VM) */
        argmax_job j = {d, in, out};
        const size_t per = 16384 / d->k.axis;
        const bool bytes = d->kind == ARGMAX_S8_I32 || d->kind == ARGMAX_S8_I64 ||
                           d->kind == ARGMAX_U8_I32 || d->kind == ARGMAX_U8_I64;
        edge_exec_ranges(ex, d->k.outer * d->k.inner, per ? per : 1, bytes ? 64 : 16, argmax_cols,
                         &j);
        return;
    }
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
    .max_version = EDGE_OPVER_ARG_MAX,
    .prepare = argmax_prepare,
    .eval = argmax_eval,
};
const edge_op edge_op_ARG_MIN = {
    .code = EDGE_OP_ARG_MIN,
    .max_version = EDGE_OPVER_ARG_MIN,
    .prepare = argmax_prepare,
    .eval = argmax_eval,
};
