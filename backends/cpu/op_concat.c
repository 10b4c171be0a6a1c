/* backends/cpu/op_concat.c - CONCATENATION.
 *
 * Owns: validating the inputs against the output: the shapes and options
 * edge/ops.h checks (edge_concat_shape: same rank, equal dimensions except
 * along the axis, whose extents add up to the output's; no fused activation,
 * as TensorFlow Lite Micro requires), the same type and, for int8, TFLM's
 * rule that every input shares the output's scale and zero point. uint8 inputs
 * with another scale or zero point are requantized as TensorFlow Lite's
 * ConcatenationWithScaling does (legacy uint8 models: SSD, YOLOv5), through a
 * 256-entry table per such input built at prepare (edge_requant_lut_u8).
 * Precomputes the per-input chunk sizes so eval is a sequence of copies, cut into runs of
 * outer steps over the interpreter's threads when large.
 * Does not own the copies (move.c's runs; kernels/ref/transform.c for the requantizing ones). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cpu_op.h"
#include "dispatch.h"
#include "move.h"
#include "ref/transform.h"

/* Inputs eval gathers on its stack (TFLM allows 10). */
#define CONCAT_MAX_INPUTS 64

typedef struct concat_data {
    size_t outer;
    size_t step_bytes; /* output bytes per outer step: the sum of chunk */
    int n_in;
    uint8_t (*lut)[256]; /* uint8 requantization: one table per input (into this block) */
    edge_lut8_fn lut8;   /* the level's table lookup for those inputs, or NULL: the reference */
    bool remap[CONCAT_MAX_INPUTS];
    size_t chunk[]; /* bytes of input i per outer step, then the tables when lut */
} concat_data;

/* A uint8 input with another scale or zero point than the output's (requantized). */
static bool concat_remaps(const edge_tensor *in, const edge_tensor *out)
{
    return in->type == EDGE_UINT8 && in->q.count == 1 && out->q.count == 1 &&
           (in->q.scale[0] != out->q.scale[0] || in->q.zero_point[0] != out->q.zero_point[0]);
}

/* Input I has the output's type and, int8, its scale and zero point (TFLM does
 * not requantize); uint8 inputs are per-tensor quantized (requantized when they
 * differ from the output). */
static int concat_check_input(edge_prep *p, const edge_tensor *in, int i, const edge_tensor *out)
{
    if (in->type != out->type)
        return edge_op_fail(p, EDGE_EUNSUPPORTED, "input %d has type %s but the output has %s", i,
                            edge_dtype_name(in->type), edge_dtype_name(out->type));
    if (in->type != EDGE_INT8 && in->type != EDGE_UINT8)
        return 0;
    char role[32];
    snprintf(role, sizeof role, "input %d", i);
    if (in->type == EDGE_UINT8) {
        int rc = edge_op_check_quant1(p, in, role);
        return rc ? rc : edge_op_check_quant1(p, out, "output");
    }
    return edge_op_check_quant_as_output(p, in, role, out);
}

/* The options and the inputs' shapes against the output (edge_concat_shape;
 * the axis into *AXIS), then each input's type and quantization. */
static int concat_check_inputs(edge_prep *p, const edge_node *n, const edge_tensor *out, int *axis)
{
    const int32_t *dims[CONCAT_MAX_INPUTS];
    int ranks[CONCAT_MAX_INPUTS];
    for (int i = 0; i < n->n_in; i++) {
        const edge_tensor *in = edge_op_input(p, n, i);
        if (!in)
            return edge_op_fail(p, EDGE_EFORMAT, "input %d is absent", i);
        dims[i] = in->dims;
        ranks[i] = in->rank;
    }
    int rc = edge_concat_shape(&n->params.concat, n->n_in, dims, ranks, out->dims, out->rank, axis,
                               p->err);
    for (int i = 0; !rc && i < n->n_in; i++)
        rc = concat_check_input(p, edge_op_input(p, n, i), i, out);
    return rc;
}

static int concat_prepare(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 1, CONCAT_MAX_INPUTS, 1);
    if (rc)
        return rc;
    const edge_tensor *out = edge_op_output(p, n, 0);
    int axis = 0;
    if ((rc = concat_check_inputs(p, n, out, &axis)))
        return rc;

    bool remap = false;
    for (int i = 0; i < n->n_in; i++)
        remap |= concat_remaps(edge_op_input(p, n, i), out);
    const size_t head = sizeof(concat_data) + (size_t)n->n_in * sizeof(size_t);
    concat_data *d = edge_op_alloc(p, n, head + (remap ? (size_t)n->n_in * 256 : 0));
    if (!d)
        return EDGE_ENOMEM;
    if (remap)
        d->lut = (uint8_t(*)[256])((uint8_t *)d + head);
    d->outer = edge_op_dims_product(out->dims, 0, axis);
    const size_t inner =
        edge_dtype_size(out->type) * edge_op_dims_product(out->dims, axis + 1, out->rank);
    d->n_in = n->n_in;
    d->step_bytes = 0;
    n->kernel = remap ? NULL : "concat_copy"; /* one memcpy per input and outer step */
    const edge_kernels *kt = remap ? edge_op_kernels(p) : NULL;
    if (kt && kt->lut8.fn) { /* requantized inputs through the level's table lookup */
        d->lut8 = kt->lut8.fn;
        n->kernel = "concat_copy_lut8";
    }
    for (int i = 0; i < n->n_in; i++) {
        const edge_tensor *in = edge_op_input(p, n, i);
        d->chunk[i] = (size_t)in->dims[axis] * inner;
        d->step_bytes += d->chunk[i];
        if ((d->remap[i] = concat_remaps(in, out)))
            edge_requant_lut_u8(in->q.scale[0], in->q.zero_point[0], out->q.scale[0],
                                out->q.zero_point[0], d->lut[i]);
    }
    return 0;
}

/* Outer steps [k0, k1) of node N's copies: the inputs and the output moved to step k0. */
static void concat_steps(const edge_node *n, void *const *t, size_t k0, size_t k1)
{
    const concat_data *d = n->data;
    const void *in[CONCAT_MAX_INPUTS];
    const uint8_t *lut[CONCAT_MAX_INPUTS];
    for (int i = 0; i < d->n_in; i++) {
        in[i] = (const uint8_t *)t[n->in[i]] + k0 * d->chunk[i];
        lut[i] = d->lut && d->remap[i] ? d->lut[i] : NULL;
    }
    uint8_t *out = (uint8_t *)t[n->out[0]] + k0 * d->step_bytes;
    if (!d->lut) {
        edge_move_concat(k1 - k0, d->n_in, d->chunk, in, out);
    } else if (!d->lut8) {
        edge_ref_concat_lut_u8(k1 - k0, d->n_in, d->chunk, in, lut, out);
    } else { /* edge_ref_concat_lut_u8's walk, each table applied by the level's kernel */
        for (size_t k = 0; k < k1 - k0; k++)
            for (int i = 0; i < d->n_in; i++) {
                const size_t c = d->chunk[i];
                const uint8_t *src = (const uint8_t *)in[i] + k * c;
                if (lut[i])
                    d->lut8(c, src, out, lut[i]);
                else if (c)
                    memcpy(out, src, c);
                out += c;
            }
    }
}

/* Concatenations of at least this many bytes are cut into outer steps over the threads. */
#define CONCAT_TASK_MIN 32768

typedef struct concat_job {
    const edge_node *n;
    void *const *t;
    size_t steps; /* outer steps per task */
} concat_job;

static void concat_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const concat_job *j = ctx;
    const size_t outer = ((const concat_data *)j->n->data)->outer, k0 = task * j->steps;
    concat_steps(j->n, j->t, k0, k0 + j->steps < outer ? k0 + j->steps : outer);
}

static void concat_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const concat_data *d = n->data;
    const size_t threads = ex ? edge_exec_width(ex) : 1;
    if (threads < 2 || d->outer < 2 || d->outer * d->step_bytes < CONCAT_TASK_MIN) {
        concat_steps(n, t, 0, d->outer);
        return;
    }
    /* about two tasks per thread (the copies of one step stay in one task) */
    const size_t parts = 2 * threads < d->outer ? 2 * threads : d->outer;
    const concat_job j = {n, t, (d->outer + parts - 1) / parts};
    edge_exec_parallel(ex, (d->outer + j.steps - 1) / j.steps, concat_task, (void *)&j);
}

const edge_op edge_op_CONCATENATION = {
    .code = EDGE_OP_CONCATENATION,
    .max_version = EDGE_OPVER_CONCATENATION,
    .prepare = concat_prepare,
    .eval = concat_eval,
};
