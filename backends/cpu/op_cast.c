/* backends/cpu/op_cast.c - CAST.
 *
 * Owns: validating CAST against an untrusted file: one input and one output of
 * the same shape, each float32, int32, int16, int8, uint8, uint32 or bool, any pair
 * (TensorFlow Lite's cast.cc converts between all of them). The values are
 * converted as numbers, ignoring quantization, as TensorFlow Lite does;
 * CastOptions' in/out types are not read (the tensors' types decide). Above the scalar
 * level the common widenings (8-, 16- and 32-bit integers to float32 or int32, an image's
 * uint8 into a float model) and float32 to int32 run as plain loops GCC vectorizes, split
 * over the threads; their values are the reference's (an integer converts to the nearest
 * float either way; cvttps2dq's integer indefinite is the reference's INT32_MIN).
 * Does not own the reference conversion (kernels/ref/cast.c). */
#include <stdint.h>

#include "cpu_op.h"
#include "dispatch.h"
#include "ref/cast.h"
#include "vectorize.h"

#define CAST_TYPES                                                                            \
    (EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT16) | \
     EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_BOOL) |     \
     EDGE_DTYPE_BIT(EDGE_UINT32))

/* COUNT elements from element FIRST of IN into OUT. */
typedef void (*cast_fn)(const void *in, void *out, size_t first, size_t count);

#define CAST_LOOP(name, TI, TO, EXPR)                                                        \
    EDGE_VECTORIZE_FP static void name(const void *vi, void *vo, size_t first, size_t count) \
    {                                                                                        \
        const TI *in = (const TI *)vi + first;                                               \
        TO *out = (TO *)vo + first;                                                          \
        for (size_t i = 0; i < count; i++) {                                                 \
            const TI x = in[i];                                                              \
            out[i] = (EXPR);                                                                 \
        }                                                                                    \
    }

CAST_LOOP(u8_f32, uint8_t, float, (float)x)
CAST_LOOP(s8_f32, int8_t, float, (float)x)
CAST_LOOP(s16_f32, int16_t, float, (float)x)
CAST_LOOP(s32_f32, int32_t, float, (float)x)
CAST_LOOP(u8_s32, uint8_t, int32_t, x)
CAST_LOOP(s8_s32, int8_t, int32_t, x)
CAST_LOOP(s16_s32, int16_t, int32_t, x)
/* truncating; NaN and values past int32 give INT32_MIN, as the reference */
CAST_LOOP(f32_s32, float, int32_t,
          x >= -2147483648.0f && x < 2147483648.0f ? (int32_t)x : INT32_MIN)

/* The loop of the pair FROM -> TO, or NULL (the reference). */
static cast_fn cast_loop(edge_ref_cast_kind from, edge_ref_cast_kind to)
{
    static const struct {
        edge_ref_cast_kind from, to;
        cast_fn fn;
    } loops[] = {
        {EDGE_REF_CAST_U8, EDGE_REF_CAST_F32, u8_f32},
        {EDGE_REF_CAST_S8, EDGE_REF_CAST_F32, s8_f32},
        {EDGE_REF_CAST_S16, EDGE_REF_CAST_F32, s16_f32},
        {EDGE_REF_CAST_S32, EDGE_REF_CAST_F32, s32_f32},
        {EDGE_REF_CAST_U8, EDGE_REF_CAST_S32, u8_s32},
        {EDGE_REF_CAST_S8, EDGE_REF_CAST_S32, s8_s32},
        {EDGE_REF_CAST_S16, EDGE_REF_CAST_S32, s16_s32},
        {EDGE_REF_CAST_F32, EDGE_REF_CAST_S32, f32_s32},
    };
    for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++)
        if (loops[i].from == from && loops[i].to == to)
            return loops[i].fn;
    return NULL;
}

typedef struct cast_data {
    edge_ref_cast_kind from, to;
    size_t count;
    cast_fn fast; /* NULL: the reference */
} cast_data;

/* Elements of at least this many per thread are split over the threads. */
#define CAST_TASK_MIN 16384

typedef struct cast_job {
    cast_fn fn;
    const void *in;
    void *out;
} cast_job;

static void cast_range(void *ctx, size_t first, size_t count)
{
    const cast_job *j = ctx;
    j->fn(j->in, j->out, first, count);
}

static edge_ref_cast_kind cast_kind(edge_dtype type)
{
    switch (type) {
    case EDGE_INT32: return EDGE_REF_CAST_S32;
    case EDGE_INT16: return EDGE_REF_CAST_S16;
    case EDGE_INT8: return EDGE_REF_CAST_S8;
    case EDGE_UINT8: return EDGE_REF_CAST_U8;
    case EDGE_BOOL: return EDGE_REF_CAST_BOOL;
    case EDGE_UINT32: return EDGE_REF_CAST_U32; /* audio family */
    default: return EDGE_REF_CAST_F32;          /* only float32 is left after the type checks */
    }
}

static int cast_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io(p, n, 1, 1, 1, &in, &out);
    if (rc || (rc = edge_op_check_dtype(p, in, "input", CAST_TYPES)) ||
        (rc = edge_op_check_dtype(p, out, "output", CAST_TYPES)) ||
        (rc = edge_op_check_dims(p, out, "output", in->rank, in->dims)))
        return rc;
    cast_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->from = cast_kind(in->type);
    d->to = cast_kind(out->type);
    d->count = in->count;
    const edge_kernels *kt = edge_op_kernels(p);
    if (kt && kt->isa != EDGE_ISA_SCALAR && (d->fast = cast_loop(d->from, d->to)))
        n->kernel = "cast_loop";
    return 0;
}

static void cast_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const cast_data *d = n->data;
    if (d->fast) {
        cast_job j = {d->fast, t[n->in[0]], t[n->out[0]]};
        edge_exec_ranges(ex, d->count, CAST_TASK_MIN, 64, cast_range, &j);
        return;
    }
    edge_ref_cast(d->from, d->to, d->count, t[n->in[0]], t[n->out[0]]);
}

const edge_op edge_op_CAST = {
    .code = EDGE_OP_CAST,
    .max_version =
        EDGE_OPVER_CAST, /* 4 and up are uint16, uint32, float16, float64, int4, bfloat16 */
    .prepare = cast_prepare,
    .eval = cast_eval,
};
