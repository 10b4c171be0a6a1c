/* backends/edgetpu/hosted_ctx.c - the TfLiteContext callbacks libedgetpu's delegate calls.
 *
 * Owns: every function pointer of the hosted TfLiteContext. The ones the
 * Edge TPU delegate uses do what TensorFlow Lite's interpreter does, over one
 * partition: GetExecutionPlan, GetNodeAndRegistration,
 * ReplaceNodeSubsetsWithDelegateKernels (one delegate kernel per call, its
 * init run at once with its TfLiteDelegateParams, as the interpreter does),
 * ReportError (into the host's buffer, no allocation), Get/SetExternalContext
 * (where the delegate keeps its EdgeTpuContext), ResizeTensor (edged plans
 * fixed shapes: a resize to the same shape is accepted, any other refused),
 * GetTensor and AllocatePersistentBuffer. The rest fail safely with a
 * message, so nothing is ever called through NULL. Every index and pointer
 * the library passes is checked.
 * Does not own: building the partition's graph or running it (hosted.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hosted.h"

etpu_host *etpu_host_of(const TfLiteContext *c)
{
    etpu_host *h = (etpu_host *)c;
    return h && h->magic == ETPU_HOST_MAGIC ? h : NULL;
}

bool etpu_part_keep(etpu_part *part, void *p)
{
    if (!p)
        return false;
    if (part->n_allocs == part->cap_allocs) {
        const int32_t cap = part->cap_allocs ? part->cap_allocs * 2 : 32;
        void **grown = cap > 0 ? realloc(part->allocs, (size_t)cap * sizeof *grown) : NULL;
        if (!grown) {
            free(p);
            return false;
        }
        part->allocs = grown;
        part->cap_allocs = cap;
    }
    part->allocs[part->n_allocs++] = p;
    return true;
}

TfLiteIntArray *etpu_int_array(etpu_part *part, int n)
{
    if (n < 0 || (size_t)n > (SIZE_MAX - sizeof(TfLiteIntArray)) / sizeof(int) / 2)
        return NULL;
    TfLiteIntArray *a = calloc(1, sizeof *a + (size_t)n * sizeof(int));
    if (!a || !etpu_part_keep(part, a))
        return NULL;
    a->size = n;
    return a;
}

/* ---------------------------------------------------------------- errors */

static void report_error(TfLiteContext *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void report_error(TfLiteContext *c, const char *fmt, ...)
{
    etpu_host *h = etpu_host_of(c);
    if (!h || !fmt)
        return;
    size_t used = strnlen(h->err, sizeof h->err);
    if (used + 3 >= sizeof h->err)
        return;
    if (used) { /* several reports: keep them all, in order */
        memcpy(h->err + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->err + used, sizeof h->err - used, fmt, ap);
    va_end(ap);
    for (char *p = h->err + used; *p; p++) /* one line in the log */
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

static TfLiteStatus refuse(TfLiteContext *c, const char *what)
{
    report_error(c, "edged's Edge TPU host does not provide %s", what);
    return kTfLiteError;
}

/* ---------------------------------------------------------------- the graph */

static TfLiteStatus get_execution_plan(TfLiteContext *c, TfLiteIntArray **plan)
{
    etpu_host *h = etpu_host_of(c);
    if (!h || !plan)
        return kTfLiteError;
    *plan = h->part->plan;
    return kTfLiteOk;
}

static TfLiteStatus get_node_and_registration(TfLiteContext *c, int index, TfLiteNode **node,
                                              TfLiteRegistration **reg)
{
    etpu_host *h = etpu_host_of(c);
    if (!h || !node || !reg)
        return kTfLiteError;
    etpu_part *part = h->part;
    if (index >= 0 && index < part->n_nodes) {
        *node = &part->nodes[index];
        *reg = &part->regs[index];
        return kTfLiteOk;
    }
    if (index >= part->n_nodes && index - part->n_nodes < part->n_kernels) {
        *node = &h->knodes[index - part->n_nodes];
        *reg = &part->kernels[index - part->n_nodes].reg;
        return kTfLiteOk;
    }
    report_error(c, "GetNodeAndRegistration: no node %d (the partition has %d nodes, %d kernels)",
                 index, part->n_nodes, part->n_kernels);
    return kTfLiteError;
}

/* NODES (partition-local indices) must be unreplaced nodes forming one run
 * [*first, *first + size) of the execution plan. */
static bool check_subset(etpu_host *h, const TfLiteIntArray *nodes, int32_t *first)
{
    etpu_part *part = h->part;
    if (!nodes || nodes->size <= 0 || nodes->size > part->n_nodes) {
        report_error(&h->ctx, "ReplaceNodeSubsetsWithDelegateKernels: %d nodes of %d",
                     nodes ? nodes->size : -1, part->n_nodes);
        return false;
    }
    int lo = nodes->data[0], hi = nodes->data[0], i = 0;
    for (; i < nodes->size; i++) {
        const int n = nodes->data[i];
        if (n < 0 || n >= part->n_nodes || part->replaced_by[n] != -1)
            break;
        part->replaced_by[n] = -2; /* seen in this call: catches duplicates */
        lo = n < lo ? n : lo;
        hi = n > hi ? n : hi;
    }
    const bool ok = i == nodes->size && hi - lo + 1 == nodes->size;
    for (int j = 0; j < i; j++)
        part->replaced_by[nodes->data[j]] = -1;
    if (i < nodes->size)
        report_error(&h->ctx,
                     "ReplaceNodeSubsetsWithDelegateKernels: node %d is not a node of "
                     "this partition still to be replaced",
                     nodes->data[i]);
    else if (!ok)
        report_error(&h->ctx,
                     "ReplaceNodeSubsetsWithDelegateKernels: nodes %d-%d are not one "
                     "run of the execution plan",
                     lo, hi);
    *first = lo;
    return ok;
}

/* Does a node in [from, to) of the partition read tensor T? */
static bool read_by(const etpu_part *part, int t, int32_t from, int32_t to)
{
    for (int32_t m = from; m < to; m++)
        for (int k = 0; k < part->nodes[m].inputs->size; k++)
            if (part->nodes[m].inputs->data[k] == t)
                return true;
    return false;
}

static bool written_by(const etpu_part *part, int t, int32_t from, int32_t to)
{
    for (int32_t m = from; m < to; m++)
        for (int k = 0; k < part->nodes[m].outputs->size; k++)
            if (part->nodes[m].outputs->data[k] == t)
                return true;
    return false;
}

static bool boundary_output(const etpu_part *part, int t)
{
    for (int32_t i = 0; i < part->p->n_outputs; i++)
        if (part->out_local[i] == t)
            return true;
    return false;
}

/* The kernel's tensors, as TensorFlow Lite's partitioning gives them: inputs
 * are what nodes [first, end) read and did not write before (constants
 * included); outputs what they write, except tensors read only by later
 * nodes of the run. For a single node: its inputs and outputs, in order. */
static TfLiteIntArray *subset_tensors(etpu_part *part, int32_t first, int32_t end, bool outs)
{
    int total = 0;
    for (int32_t i = first; i < end; i++)
        total += (outs ? part->nodes[i].outputs : part->nodes[i].inputs)->size;
    TfLiteIntArray *a = etpu_int_array(part, total);
    if (!a)
        return NULL;
    a->size = 0;
    for (int32_t i = first; i < end; i++) {
        const TfLiteIntArray *l = outs ? part->nodes[i].outputs : part->nodes[i].inputs;
        for (int j = 0; j < l->size; j++) {
            const int t = l->data[j];
            bool skip = t < 0;
            for (int k = 0; k < a->size && !skip; k++)
                skip = a->data[k] == t;
            if (!skip && !outs)
                skip = written_by(part, t, first, i);
            if (!skip && outs)
                skip = read_by(part, t, i + 1, end) && !read_by(part, t, end, part->n_nodes) &&
                       !boundary_output(part, t);
            if (!skip)
                a->data[a->size++] = t;
        }
    }
    return a;
}

static TfLiteStatus replace_nodes(TfLiteContext *c, TfLiteRegistration reg,
                                  const TfLiteIntArray *nodes, TfLiteDelegate *delegate)
{
    etpu_host *h = etpu_host_of(c);
    if (!h || !h->preparing)
        return h ? refuse(c, "ReplaceNodeSubsetsWithDelegateKernels outside Prepare")
                 : kTfLiteError;
    etpu_part *part = h->part;
    /* Compared before anything is read through NODES: a library built with a
     * TfLiteRegistration of another size passes the later arguments elsewhere
     * on 32-bit ARM (the struct goes by value), and they would be garbage. */
    if (delegate != part->s->delegate) {
        report_error(c, "ReplaceNodeSubsetsWithDelegateKernels: not called with the delegate "
                        "being prepared (a libedgetpu built against another TensorFlow Lite?)");
        return kTfLiteError;
    }
    int32_t first;
    if (!check_subset(h, nodes, &first))
        return kTfLiteError;
    const int32_t kid = part->n_kernels;
    etpu_kernel *k = &part->kernels[kid];
    TfLiteNode *kn = &part->knodes[kid];
    *k = (etpu_kernel){.reg = reg, .first = first, .count = nodes->size};
    TfLiteIntArray *replaced = etpu_int_array(part, nodes->size);
    TfLiteIntArray *in = subset_tensors(part, first, first + nodes->size, false);
    TfLiteIntArray *out = subset_tensors(part, first, first + nodes->size, true);
    TfLiteIntArray *none = etpu_int_array(part, 0);
    for (int i = 0; i < nodes->size; i++)
        part->replaced_by[nodes->data[i]] = replaced ? kid : -1;
    if (!replaced || !in || !out || !none) {
        report_error(c, "out of memory");
        return kTfLiteError;
    }
    memcpy(replaced->data, nodes->data, (size_t)nodes->size * sizeof(int));
    k->params = (TfLiteDelegateParams){delegate, replaced, in, out};
    *kn = (TfLiteNode){.inputs = in,
                       .outputs = out,
                       .intermediates = none,
                       .temporaries = none,
                       .builtin_data = &k->params,
                       .delegate = delegate};
    part->n_kernels++;
    if (reg.init) /* as the interpreter does: at once, with the params as the buffer */
        kn->user_data = reg.init(c, (const char *)&k->params, 0);
    return kTfLiteOk;
}

/* ---------------------------------------------------------------- tensors */

static bool same_shape(const TfLiteIntArray *a, int n, const int *dims)
{
    if (!a || a->size != n || (n && !dims))
        return false;
    for (int i = 0; i < n; i++)
        if (a->data[i] != dims[i])
            return false;
    return true;
}

static TfLiteStatus resize_explicit(TfLiteContext *c, TfLiteTensor *t, int n, const int *dims)
{
    etpu_host *h = etpu_host_of(c);
    if (!h)
        return kTfLiteError;
    if (!t || t < c->tensors || t >= c->tensors + c->tensors_size) {
        report_error(c, "ResizeTensor: not a tensor of this context");
        return kTfLiteError;
    }
    if (same_shape(t->dims, n, dims))
        return kTfLiteOk;
    report_error(c,
                 "ResizeTensor: tensor '%s' cannot change shape (edged plans fixed shapes; "
                 "compile the model for batch 1)",
                 t->name ? t->name : "");
    return kTfLiteError;
}

static TfLiteStatus resize_tensor(TfLiteContext *c, TfLiteTensor *t, TfLiteIntArray *dims)
{
    const TfLiteStatus st = resize_explicit(c, t, dims ? dims->size : -1, dims ? dims->data : NULL);
    /* Ours now (TfLiteIntArrayCreate allocates with malloc), unless it is the
     * tensor's own shape array, which only a valid T (so st == kTfLiteOk) has. */
    if (st != kTfLiteOk || dims != t->dims)
        free(dims);
    return st;
}

static TfLiteTensor *get_tensor(const TfLiteContext *c, int index)
{
    return etpu_host_of(c) && index >= 0 && (size_t)index < c->tensors_size ? &c->tensors[index]
                                                                            : NULL;
}

static TfLiteStatus add_tensors(TfLiteContext *c, int n, int *first)
{
    (void)n;
    (void)first;
    return refuse(c, "AddTensors");
}

/* ---------------------------------------------------------------- external contexts, memory */

static TfLiteExternalContext *get_external(TfLiteContext *c, TfLiteExternalContextType type)
{
    etpu_host *h = etpu_host_of(c);
    return h && (int)type >= 0 && type < kTfLiteMaxExternalContexts ? h->external[type] : NULL;
}

static void set_external(TfLiteContext *c, TfLiteExternalContextType type,
                         TfLiteExternalContext *ext)
{
    etpu_host *h = etpu_host_of(c);
    if (h && (int)type >= 0 && type < kTfLiteMaxExternalContexts)
        h->external[type] = ext;
}

static void *persistent_buffer(TfLiteContext *c, size_t bytes)
{
    etpu_host *h = etpu_host_of(c);
    if (!h || !h->preparing || bytes > ((size_t)1 << 30)) {
        if (h)
            refuse(c, "AllocatePersistentBuffer outside init/prepare, or over 1 GiB");
        return NULL;
    }
    void *p = calloc(1, bytes ? bytes : 1);
    return etpu_part_keep(h->part, p) ? p : NULL;
}

static TfLiteStatus buffer_for_eval(TfLiteContext *c, size_t bytes, void **ptr)
{
    (void)bytes;
    if (ptr)
        *ptr = NULL;
    return refuse(c, "AllocateBufferForEval");
}

static TfLiteStatus scratch_in_arena(TfLiteContext *c, size_t bytes, int *idx)
{
    (void)bytes;
    (void)idx;
    return refuse(c, "RequestScratchBufferInArena");
}

static void *get_scratch(TfLiteContext *c, int idx)
{
    (void)c;
    (void)idx;
    return NULL;
}

static TfLiteStatus preview_partitioning(TfLiteContext *c, const TfLiteIntArray *nodes,
                                         TfLiteDelegateParams **params, int *n)
{
    (void)nodes;
    if (params)
        *params = NULL;
    if (n)
        *n = 0;
    return refuse(c, "PreviewDelegatePartitioning");
}

static TfLiteEvalTensor *get_eval_tensor(const TfLiteContext *c, int idx)
{
    (void)c;
    (void)idx;
    return NULL;
}

static TfLiteStatus get_metadata(const TfLiteContext *c, const char *name, const char **ptr,
                                 size_t *bytes)
{
    (void)c;
    (void)name;
    if (ptr)
        *ptr = NULL;
    if (bytes)
        *bytes = 0;
    return kTfLiteError; /* the model has no such metadata as far as the delegate can tell */
}

void etpu_host_init(etpu_host *h, etpu_part *part, TfLiteTensor *tensors, TfLiteNode *knodes,
                    bool preparing)
{
    memset(h, 0, sizeof *h);
    h->magic = ETPU_HOST_MAGIC;
    h->part = part;
    h->knodes = knodes;
    h->preparing = preparing;
    h->ctx = (TfLiteContext){
        .tensors_size = (size_t)part->n_tensors,
        .GetExecutionPlan = get_execution_plan,
        .tensors = tensors,
        .ResizeTensor = resize_tensor,
        .ReportError = report_error,
        .AddTensors = add_tensors,
        .GetNodeAndRegistration = get_node_and_registration,
        .ReplaceNodeSubsetsWithDelegateKernels = replace_nodes,
        .recommended_num_threads = 1,
        .GetExternalContext = get_external,
        .SetExternalContext = set_external,
        .AllocatePersistentBuffer = persistent_buffer,
        .AllocateBufferForEval = buffer_for_eval,
        .RequestScratchBufferInArena = scratch_in_arena,
        .GetScratchBuffer = get_scratch,
        .ResizeTensorExplicit = resize_explicit,
        .PreviewDelegatePartitioning = preview_partitioning,
        .GetTensor = get_tensor,
        .GetEvalTensor = get_eval_tensor,
        .GetModelMetadata = get_metadata,
    };
}
