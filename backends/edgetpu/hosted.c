/* backends/edgetpu/hosted.c - running a partition through libedgetpu's TensorFlow Lite delegate.
 *
 * Owns: per partition (once per model version), building the small graph the
 * delegate sees (local tensors with shapes, types, quantization and constant
 * data; the nodes with their custom options; the execution plan), running the
 * delegate's Prepare in it, checking that it replaced exactly the partition's
 * nodes, and running its kernels' prepare; per instance (one per worker
 * thread), a context of its own whose boundary tensors point at the host's
 * buffers at invoke, and memory for activations that never leave the
 * partition; the invoke (no allocation); release (the kernels' free, then
 * everything else).
 * Does not own: the context's callbacks (hosted_ctx.c), the device and the
 * delegate (edgetpu_backend.c). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "hosted.h"

#define SCRATCH_ALIGN 64

/* edge_dtype (TensorFlow Lite's schema TensorType) -> TfLiteType. */
static TfLiteType tflite_type(int32_t t)
{
    static const TfLiteType map[] = {
        kTfLiteFloat32,   kTfLiteFloat16, kTfLiteInt32,   kTfLiteUInt8,
        kTfLiteInt64,     kTfLiteString,  kTfLiteBool,    kTfLiteInt16,
        kTfLiteComplex64, kTfLiteInt8,    kTfLiteFloat64,
    };
    return t >= 0 && (size_t)t < sizeof map / sizeof map[0] ? map[t] : kTfLiteNoType;
}

static void *keep_calloc(etpu_part *part, size_t n, size_t size)
{
    if (n && size > SIZE_MAX / n)
        return NULL;
    void *p = calloc(n ? n : 1, size ? size : 1);
    return etpu_part_keep(part, p) ? p : NULL;
}

/* ---------------------------------------------------------------- the partition's graph */

static int make_tensor(etpu_part *part, const edge_be_tensor *bt, TfLiteTensor *t, char *err,
                       size_t errlen)
{
    if (bt->rank < 0 || bt->rank > EDGE_MAX_DIMS)
        return etpu_fail(err, errlen, EDGE_EINVAL, "tensor %d has rank %d", (int)bt->index,
                         (int)bt->rank);
    *t = (TfLiteTensor){
        .type = tflite_type(bt->type),
        .dims = etpu_int_array(part, bt->rank),
        .allocation_type = bt->data ? kTfLiteMmapRo : kTfLiteArenaRw,
        .bytes = bt->bytes,
        .name = bt->name ? bt->name : "",
        .buffer_handle = kTfLiteNullBufferHandle,
    };
    t->data.raw_const = bt->data;
    if (!t->dims)
        return etpu_fail(err, errlen, EDGE_ENOMEM, "out of memory");
    memcpy(t->dims->data, bt->dims, (size_t)bt->rank * sizeof(int));
    if (bt->quant_count <= 0 || !bt->scales || !bt->zero_points)
        return 0;
    const int n = bt->quant_count;
    TfLiteAffineQuantization *q = keep_calloc(part, 1, sizeof *q);
    TfLiteFloatArray *sc = keep_calloc(part, 1, sizeof *sc + (size_t)n * sizeof(float));
    TfLiteIntArray *zp = etpu_int_array(part, n);
    if (!q || !sc || !zp)
        return etpu_fail(err, errlen, EDGE_ENOMEM, "out of memory");
    sc->size = n;
    for (int i = 0; i < n; i++) {
        sc->data[i] = bt->scales[i];
        zp->data[i] = bt->zero_points[i];
    }
    *q = (TfLiteAffineQuantization){sc, zp, bt->quant_axis};
    t->params = (TfLiteQuantizationParams){bt->scales[0], bt->zero_points[0]};
    t->quantization = (TfLiteQuantization){kTfLiteAffineQuantization, q};
    return 0;
}

/* Give each tensor the partition's nodes use a local index (LOCAL_OF: graph -> local). */
static int collect_tensors(etpu_part *part, int32_t *local_of, char *err, size_t errlen)
{
    const edge_be_graph *g = part->g;
    for (int32_t i = 0; i < part->n_nodes; i++) {
        const edge_be_node *n = &g->nodes[part->p->first + i];
        if (n->n_inputs < 0 || n->n_outputs < 0 || (n->n_inputs && !n->inputs) ||
            (n->n_outputs && !n->outputs))
            return etpu_fail(err, errlen, EDGE_EINVAL, "node %d: bad input/output lists",
                             (int)n->file_index);
        for (int32_t k = 0; k < n->n_inputs + n->n_outputs; k++) {
            const int32_t t = k < n->n_inputs ? n->inputs[k] : n->outputs[k - n->n_inputs];
            if (t < -1 || t >= g->n_tensors || (t == -1 && k >= n->n_inputs))
                return etpu_fail(err, errlen, EDGE_EINVAL, "node %d refers to tensor %d",
                                 (int)n->file_index, (int)t);
            if (t >= 0 && local_of[t] < 0) {
                local_of[t] = part->n_tensors;
                part->global[part->n_tensors++] = t;
            }
        }
    }
    part->tensors = keep_calloc(part, (size_t)part->n_tensors, sizeof *part->tensors);
    if (!part->tensors)
        return etpu_fail(err, errlen, EDGE_ENOMEM, "out of memory");
    for (int32_t i = 0; i < part->n_tensors; i++) {
        const int rc =
            make_tensor(part, &g->tensors[part->global[i]], &part->tensors[i], err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

static TfLiteIntArray *local_list(etpu_part *part, const int32_t *list, int32_t n,
                                  const int32_t *local_of)
{
    TfLiteIntArray *a = etpu_int_array(part, n);
    for (int32_t i = 0; a && i < n; i++)
        a->data[i] = list[i] < 0 ? kTfLiteOptionalTensor : local_of[list[i]];
    return a;
}

static int build_nodes(etpu_part *part, const int32_t *local_of, char *err, size_t errlen)
{
    const int32_t n = part->n_nodes;
    part->nodes = keep_calloc(part, (size_t)n, sizeof *part->nodes);
    part->regs = keep_calloc(part, (size_t)n, sizeof *part->regs);
    part->kernels = keep_calloc(part, (size_t)n, sizeof *part->kernels);
    part->knodes = keep_calloc(part, (size_t)n, sizeof *part->knodes);
    part->replaced_by = keep_calloc(part, (size_t)n, sizeof *part->replaced_by);
    part->order = keep_calloc(part, (size_t)n, sizeof *part->order);
    part->plan = etpu_int_array(part, n);
    TfLiteIntArray *none = etpu_int_array(part, 0);
    if (!part->nodes || !part->regs || !part->kernels || !part->knodes || !part->replaced_by ||
        !part->order || !part->plan || !none)
        return etpu_fail(err, errlen, EDGE_ENOMEM, "out of memory");
    for (int32_t i = 0; i < n; i++) {
        const edge_be_node *bn = &part->g->nodes[part->p->first + i];
        if (bn->custom_options_bytes > INT_MAX || (bn->custom_options_bytes && !bn->custom_options))
            return etpu_fail(err, errlen, EDGE_EINVAL, "node %d: bad custom options",
                             (int)bn->file_index);
        TfLiteNode *tn = &part->nodes[i];
        *tn = (TfLiteNode){
            .inputs = local_list(part, bn->inputs, bn->n_inputs, local_of),
            .outputs = local_list(part, bn->outputs, bn->n_outputs, local_of),
            .intermediates = none,
            .temporaries = none,
            .custom_initial_data = bn->custom_options,
            .custom_initial_data_size = (int)bn->custom_options_bytes,
        };
        if (!tn->inputs || !tn->outputs)
            return etpu_fail(err, errlen, EDGE_ENOMEM, "out of memory");
        part->regs[i] = (TfLiteRegistration){.builtin_code = bn->builtin_code,
                                             .custom_name = bn->custom_code,
                                             .version = bn->version};
        part->plan->data[i] = i;
        part->replaced_by[i] = -1;
    }
    return 0;
}

/* Boundary tensors as local indices; activations that stay inside get scratch offsets. */
static int map_boundaries(etpu_part *part, const int32_t *local_of, char *err, size_t errlen)
{
    const edge_be_partition *p = part->p;
    part->in_local = keep_calloc(part, (size_t)p->n_inputs, sizeof(int32_t));
    part->out_local = keep_calloc(part, (size_t)p->n_outputs, sizeof(int32_t));
    part->scratch_local = keep_calloc(part, (size_t)part->n_tensors, sizeof(int32_t));
    part->scratch_off = keep_calloc(part, (size_t)part->n_tensors, sizeof(size_t));
    if (!part->in_local || !part->out_local || !part->scratch_local || !part->scratch_off)
        return etpu_fail(err, errlen, EDGE_ENOMEM, "out of memory");
    bool *boundary = keep_calloc(part, (size_t)part->n_tensors, sizeof(bool));
    if (!boundary)
        return etpu_fail(err, errlen, EDGE_ENOMEM, "out of memory");
    for (int32_t i = 0; i < p->n_inputs + p->n_outputs; i++) {
        const int32_t t = i < p->n_inputs ? p->inputs[i] : p->outputs[i - p->n_inputs];
        const int32_t l = t >= 0 && t < part->g->n_tensors ? local_of[t] : -1;
        if (l < 0)
            return etpu_fail(err, errlen, EDGE_EINVAL,
                             "boundary tensor %d is not used by the partition's nodes", (int)t);
        *(i < p->n_inputs ? &part->in_local[i] : &part->out_local[i - p->n_inputs]) = l;
        boundary[l] = true;
    }
    for (int32_t l = 0; l < part->n_tensors; l++) {
        if (boundary[l] || part->tensors[l].allocation_type == kTfLiteMmapRo)
            continue;
        const size_t b = part->tensors[l].bytes;
        if (b > SIZE_MAX / 4 || part->scratch_bytes > SIZE_MAX / 4)
            return etpu_fail(err, errlen, EDGE_ELIMIT, "tensor %d is too large",
                             (int)part->global[l]);
        part->scratch_local[part->n_scratch] = l;
        part->scratch_off[part->n_scratch++] = part->scratch_bytes;
        part->scratch_bytes += (b + SCRATCH_ALIGN - 1) / SCRATCH_ALIGN * SCRATCH_ALIGN;
    }
    return 0;
}

static int build_graph(etpu_part *part, char *err, size_t errlen)
{
    const edge_be_graph *g = part->g;
    int32_t *local_of = malloc(((size_t)g->n_tensors + 1) * sizeof *local_of);
    part->global = keep_calloc(part, (size_t)g->n_tensors + 1, sizeof *part->global);
    if (!local_of || !part->global) {
        free(local_of);
        return etpu_fail(err, errlen, EDGE_ENOMEM, "out of memory");
    }
    for (int32_t i = 0; i < g->n_tensors; i++)
        local_of[i] = -1;
    int rc = collect_tensors(part, local_of, err, errlen);
    if (!rc)
        rc = build_nodes(part, local_of, err, errlen);
    if (!rc)
        rc = map_boundaries(part, local_of, err, errlen);
    free(local_of);
    return rc;
}

/* ---------------------------------------------------------------- prepare */

static const char *said(const etpu_host *h)
{
    return h->err[0] ? h->err : "(libedgetpu gave no message)";
}

static int node_label(const etpu_part *part, int32_t i)
{
    return (int)part->g->nodes[part->p->first + i].file_index;
}

/* After the delegate's Prepare: every node replaced, kernels in execution order. */
static int check_replaced(etpu_part *part, char *err, size_t errlen)
{
    int taken = 0;
    for (int32_t i = 0; i < part->n_nodes; i++)
        taken += part->replaced_by[i] >= 0;
    for (int32_t i = 0; i < part->n_nodes; i++)
        if (part->replaced_by[i] < 0)
            return etpu_fail(err, errlen, EDGE_EUNSUPPORTED,
                             "libedgetpu's delegate did not take node %d (%s); it took %d of the "
                             "partition's %d node(s)%s%s",
                             node_label(part, i),
                             part->regs[i].custom_name ? part->regs[i].custom_name : "?", taken,
                             (int)part->n_nodes, part->prep.err[0] ? ": " : "", part->prep.err);
    int32_t n = 0;
    for (int32_t i = 0; i < part->n_nodes; i++) /* a kernel starts at its first node */
        if (part->kernels[part->replaced_by[i]].first == i)
            part->order[n++] = part->replaced_by[i];
    for (int32_t k = 0; k < part->n_kernels; k++)
        if (!part->kernels[k].reg.invoke)
            return etpu_fail(err, errlen, EDGE_EUNSUPPORTED,
                             "libedgetpu's delegate registered a kernel without invoke");
    return n == part->n_kernels ? 0
                                : etpu_fail(err, errlen, EDGE_EUNSUPPORTED,
                                            "libedgetpu's delegate made overlapping kernels");
}

static bool tensor_unchanged(const TfLiteTensor *t, const edge_be_tensor *bt)
{
    if (t->type != tflite_type(bt->type) || t->bytes != bt->bytes || !t->dims ||
        t->dims->size != bt->rank)
        return false;
    for (int i = 0; i < bt->rank; i++)
        if (t->dims->data[i] != bt->dims[i])
            return false;
    return true;
}

static int prepare_kernels(etpu_part *part, char *err, size_t errlen)
{
    for (int32_t j = 0; j < part->n_kernels; j++) {
        const int32_t k = part->order[j];
        const etpu_kernel *kr = &part->kernels[k];
        part->prep.err[0] = 0;
        if (kr->reg.prepare && kr->reg.prepare(&part->prep.ctx, &part->knodes[k]) != kTfLiteOk)
            return etpu_fail(err, errlen, EDGE_EUNSUPPORTED,
                             "the Edge TPU could not prepare node %d (edgetpu-custom-op): %s",
                             node_label(part, kr->first), said(&part->prep));
    }
    for (int32_t l = 0; l < part->n_tensors; l++)
        if (!tensor_unchanged(&part->tensors[l], &part->g->tensors[part->global[l]]))
            return etpu_fail(err, errlen, EDGE_EUNSUPPORTED,
                             "libedgetpu changed the type or shape of tensor %d (%s), which "
                             "edged plans as fixed",
                             (int)part->global[l], part->tensors[l].name);
    return 0;
}

static bool partition_ok(const edge_be_partition *p)
{
    const edge_be_graph *g = p ? p->graph : NULL;
    return g && g->n_nodes >= 0 && g->n_tensors >= 0 && (g->nodes || !g->n_nodes) &&
           (g->tensors || !g->n_tensors) && p->first >= 0 && p->count > 0 &&
           p->first <= g->n_nodes - p->count && p->n_inputs >= 0 && p->n_outputs >= 0 &&
           (p->inputs || !p->n_inputs) && (p->outputs || !p->n_outputs);
}

int etpu_part_prepare(etpu_state *s, const edge_be_partition *p, etpu_part **out, char *err,
                      size_t errlen)
{
    if (!s || !out || !partition_ok(p))
        return etpu_fail(err, errlen, EDGE_EINVAL, "prepare: bad partition description");
    etpu_part *part = calloc(1, sizeof *part);
    if (!part)
        return etpu_fail(err, errlen, EDGE_ENOMEM, "out of memory");
    part->s = s;
    part->p = p;
    part->g = p->graph;
    part->n_nodes = p->count;
    int rc = build_graph(part, err, errlen);
    if (rc) {
        etpu_part_release(part);
        return rc;
    }
    etpu_host_init(&part->prep, part, part->tensors, part->knodes, true);
    const TfLiteStatus st = s->delegate->Prepare(&part->prep.ctx, s->delegate);
    if (st != kTfLiteOk)
        rc = etpu_fail(err, errlen, EDGE_EUNSUPPORTED,
                       "libedgetpu's delegate failed to prepare nodes %d-%d: %s",
                       node_label(part, 0), node_label(part, part->n_nodes - 1), said(&part->prep));
    if (!rc)
        rc = check_replaced(part, err, errlen);
    if (!rc)
        rc = prepare_kernels(part, err, errlen);
    part->prep.preparing = false;
    if (rc) {
        etpu_part_release(part);
        return rc;
    }
    *out = part;
    return 0;
}

void etpu_part_release(etpu_part *part)
{
    if (!part)
        return;
    for (int32_t k = 0; k < part->n_kernels; k++)
        if (part->kernels[k].reg.free && part->knodes[k].user_data)
            part->kernels[k].reg.free(&part->prep.ctx, part->knodes[k].user_data);
    for (int32_t i = 0; i < part->n_allocs; i++)
        free(part->allocs[i]);
    free(part->allocs);
    free(part);
}

/* ---------------------------------------------------------------- instances */

int etpu_inst_new(etpu_part *part, etpu_inst **out, char *err, size_t errlen)
{
    if (!part || !out)
        return etpu_fail(err, errlen, EDGE_EINVAL, "instance_new: NULL argument");
    etpu_inst *in = calloc(1, sizeof *in);
    if (!in)
        return etpu_fail(err, errlen, EDGE_ENOMEM, "out of memory");
    in->part = part;
    in->tensors = malloc((size_t)part->n_tensors * sizeof *in->tensors + 1);
    in->knodes = malloc((size_t)part->n_kernels * sizeof *in->knodes + 1);
    in->scratch = part->scratch_bytes ? aligned_alloc(SCRATCH_ALIGN, part->scratch_bytes) : NULL;
    if (!in->tensors || !in->knodes || (part->scratch_bytes && !in->scratch)) {
        etpu_inst_free(in);
        return etpu_fail(err, errlen, EDGE_ENOMEM, "out of memory");
    }
    memcpy(in->tensors, part->tensors, (size_t)part->n_tensors * sizeof *in->tensors);
    memcpy(in->knodes, part->knodes, (size_t)part->n_kernels * sizeof *in->knodes);
    for (int32_t i = 0; i < part->n_scratch; i++)
        in->tensors[part->scratch_local[i]].data.raw = (char *)in->scratch + part->scratch_off[i];
    etpu_host_init(&in->h, part, in->tensors, in->knodes, false);
    memcpy(in->h.external, part->prep.external, sizeof in->h.external);
    *out = in;
    return 0;
}

int etpu_inst_invoke(etpu_inst *in, const void *const *inputs, void *const *outputs, char *err,
                     size_t errlen)
{
    const etpu_part *part = in->part;
    const edge_be_partition *p = part->p;
    for (int32_t i = 0; i < p->n_inputs; i++) {
        if (!inputs[i])
            return etpu_fail(err, errlen, EDGE_EINVAL, "invoke: input %d is NULL", (int)i);
        in->tensors[part->in_local[i]].data.raw_const = inputs[i];
    }
    for (int32_t i = 0; i < p->n_outputs; i++) {
        if (!outputs[i])
            return etpu_fail(err, errlen, EDGE_EINVAL, "invoke: output %d is NULL", (int)i);
        in->tensors[part->out_local[i]].data.raw = outputs[i];
    }
    for (int32_t j = 0; j < part->n_kernels; j++) {
        const int32_t k = part->order[j];
        in->h.err[0] = 0;
        if (part->kernels[k].reg.invoke(&in->h.ctx, &in->knodes[k]) != kTfLiteOk)
            return etpu_fail(err, errlen, EDGE_EDEVICE, "Edge TPU node %d: %s",
                             node_label(part, part->kernels[k].first), said(&in->h));
    }
    return 0;
}

void etpu_inst_free(etpu_inst *in)
{
    if (!in)
        return;
    free(in->tensors);
    free(in->knodes);
    free(in->scratch);
    free(in);
}
