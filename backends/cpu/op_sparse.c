/* backends/cpu/op_sparse.c - int8 and float32 FULLY_CONNECTED and 1x1 CONV_2D on sparse kernels.
 *
 * Owns: what op_sparse.h declares. A node runs sparse when its weights are constant int8 (filter
 * zero point 0) or float32 (a float node's: kernels/sparse_f32.h), its bias constant or none, its
 * convolution is 1x1 with stride 1 and no padding, and few enough of its groups of 4 weights are
 * stored for the level's sparse kernel to beat the dense one (edge_qs8_sparse_kernel's and
 * edge_f32_sparse_kernel's PAYS: measured by bench-sparse on x86, llvm-mca predictions on ARM).
 * With fewer than EDGE_SPARSE_ROWS rows (batch-1 FULLY_CONNECTED) int8's threshold is the level's
 * few (1x4 and unstructured weights) or few_runs (1x16), for depths of at least few_min_depth
 * (x86) and weights of at least few_min_bytes (ARM's predictions: past the caches); float32 has
 * thresholds for fewer than EDGE_F32_SPARSE_FEW_ROWS rows (its kernel's row path) and for narrow
 * layers (edge_f32_sparse_pays). kernels/sparse.h measures the weights: pruned models stored dense,
 * the usual case, count as much as weights stored sparse, which the loader densified. The packed
 * form is built once per model version (edge_op_alloc_packed: counted with the packed weights, kept
 * by the packed-weight cache). Eval cuts the work into tasks for edge_exec_parallel: tiles of rows,
 * or ranges of channels when there are too few rows (batch-1 FULLY_CONNECTED). Does not own the
 * arithmetic (kernels/sparse.h, sparse_f32.h) or the dense paths (fast_ops.c, OpenBLAS's GEMM in
 * kernels/ref). */
#include "op_sparse.h"

#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "sparse.h"
#include "sparse_f32.h"

#define SPARSE_MAGIC 0x53505253u /* "SPRS": never a fast_hdr's first field (a small enum) */

typedef struct sparse_hdr {
    uint32_t magic;
    edge_qs8_sparse_fn fn;  /* int8 */
    edge_f32_sparse_fn f32; /* float32 (then fn is NULL) */
    edge_qs8_out o;         /* int8: the output stage */
    float act_min, act_max; /* float32: the activation's range */
    size_t rows, n, k, stored, a_stride;
    size_t chunk, n_tasks; /* rows (a multiple of the tile) or channels per task */
    bool split_n;
    bool lanes;        /* int8 in the lane form (few rows: edge_qs8_sparse_lanes_kernel) */
    void *const *data; /* the node's packed_data (the cache may move it) */
} sparse_hdr;

enum sparse_op { SPARSE_FC, SPARSE_CONV };

#define SPARSE_NAMES(op, lvl)                                                                     \
    {                                                                                             \
        "qs8_" op "_sparse1x1__" lvl, "qs8_" op "_sparse1x4__" lvl, "qs8_" op "_sparse1x16__" lvl \
    }
#define SPARSE_LEVELS(op)                                                                      \
    {                                                                                          \
        SPARSE_NAMES(op, "c"), SPARSE_NAMES(op, "avx2"), SPARSE_NAMES(op, "avx512vnni"),       \
            SPARSE_NAMES(op, "neon"), SPARSE_NAMES(op, "neondot"), SPARSE_NAMES(op, "avxvnni") \
    }
static const char *const kernel_names[2][6][3] = {SPARSE_LEVELS("fc"), SPARSE_LEVELS("conv1x1")};

#define F32_SPARSE_NAMES(op, lvl)                                                                 \
    {                                                                                             \
        "f32_" op "_sparse1x1__" lvl, "f32_" op "_sparse1x4__" lvl, "f32_" op "_sparse1x16__" lvl \
    }
#define F32_SPARSE_LEVELS(op)                                                                  \
    {                                                                                          \
        F32_SPARSE_NAMES(op, "c"), F32_SPARSE_NAMES(op, "neon"), F32_SPARSE_NAMES(op, "avx2"), \
            F32_SPARSE_NAMES(op, "avx512")                                                     \
    }
static const char *const f32_kernel_names[2][4][3] = {F32_SPARSE_LEVELS("fc"),
                                                      F32_SPARSE_LEVELS("conv1x1")};

static const char *kernel_name(enum sparse_op op, const char *level, edge_sparse_format f)
{
    static const char *const levels[] = {"c", "avx2", "avx512vnni", "neon", "neondot", "avxvnni"};
    int l = 0;
    for (int i = 1; i < 6; i++)
        l = strcmp(level, levels[i]) ? l : i;
    return kernel_names[op][l][f];
}

static const char *f32_kernel_name(enum sparse_op op, const char *level, edge_sparse_format f)
{
    const int l = !strcmp(level, "avx512") ? 3
                  : !strcmp(level, "avx2") ? 2
                  : !strcmp(level, "neon") ? 1
                                           : 0;
    return f32_kernel_names[op][l][f];
}

/* EDGE_SPARSE: "0" never, "1" always (where the node can), else by density. */
static int sparse_mode(void)
{
    const char *env = getenv("EDGE_SPARSE");
    return env && !strcmp(env, "0") ? 0 : env && !strcmp(env, "1") ? 1 : -1;
}

static size_t div_up(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

/* Tasks: tiles of rows for every thread when there are enough, else ranges of channels. */
static void sparse_split(sparse_hdr *h, unsigned threads)
{
    const size_t tile = EDGE_SPARSE_ROWS;
    if (threads > 1 && h->rows < 2 * tile * threads && h->n >= 2 * (size_t)threads) {
        h->split_n = true;
        h->chunk = div_up(h->n, 2 * (size_t)threads);
        h->n_tasks = div_up(h->n, h->chunk);
        return;
    }
    const size_t per = threads > 1 ? 2 * (size_t)threads : 1;
    h->chunk = div_up(div_up(h->rows, per), tile) * tile;
    h->n_tasks = div_up(h->rows, h->chunk);
}

/* The level's kernel for weights of TYPE, its name's level, and whether it pays at this size
 * (*PAYS: 0 never). */
static void sparse_kernel_of(edge_prep *p, edge_dtype type, size_t rows, size_t ch, size_t depth,
                             edge_sparse_format format, edge_qs8_sparse_fn *fn,
                             edge_f32_sparse_fn *f32, const char **level, double *pays)
{
    const edge_isa isa = edge_op_kernels(p)->isa;
    if (type == EDGE_FLOAT32) {
        (void)format;
        edge_f32_sparse_pays fp;
        *f32 = edge_f32_sparse_kernel(isa, level, &fp);
        const bool narrow = rows >= EDGE_F32_SPARSE_NARROW_ROWS &&
                            (ch <= EDGE_F32_SPARSE_NARROW || depth <= EDGE_F32_SPARSE_NARROW);
        *pays = rows < EDGE_F32_SPARSE_FEW_ROWS ? fp.few
                : narrow && fp.narrow > fp.rows ? fp.narrow
                                                : fp.rows;
        return;
    }
    edge_qs8_sparse_pays qp;
    *fn = edge_qs8_sparse_kernel(isa, level, &qp);
    *pays = qp.rows;
    if (rows < EDGE_SPARSE_ROWS) /* few rows (the weights' format decides) */
        *pays = rows >= qp.few_rows || depth < qp.few_min_depth || ch * depth < qp.few_min_bytes ? 0
                : format == EDGE_SPARSE_1X16 ? qp.few_runs
                                             : qp.few;
}

static int sparse_prepare(edge_prep *p, edge_node *n, enum sparse_op op, size_t rows, size_t ch,
                          size_t depth, int32_t filter_offset, int32_t input_offset,
                          const int32_t *mult, const int32_t *shift, edge_qs8_out o, float act_min,
                          float act_max)
{
    const edge_tensor *wt = edge_op_input(p, n, 1), *bt = edge_op_input(p, n, 2);
    const int mode = sparse_mode();
    if (mode == 0 || filter_offset != 0 || !wt || !wt->data || (bt && !bt->data) || !rows || !ch ||
        !depth || div_up(depth, EDGE_SPARSE_GROUP) > EDGE_SPARSE_MAX_GROUPS)
        return 0;
    const bool f32 = wt->type == EDGE_FLOAT32;
    const char *level;
    double pays = 0;
    edge_qs8_sparse_fn fn = NULL;
    edge_f32_sparse_fn ffn = NULL;
    /* 1x16 first: no format pays more, so a level where it never pays skips the measure */
    sparse_kernel_of(p, wt->type, rows, ch, depth, EDGE_SPARSE_1X16, &fn, &ffn, &level, &pays);
    if (mode < 0 && pays <= 0)
        return 0;
    const edge_sparse_measure m =
        edge_sparse_measure_of(wt->data, f32 ? sizeof(float) : 1, ch, depth);
    sparse_kernel_of(p, wt->type, rows, ch, depth, m.format, &fn, &ffn, &level, &pays);
    if (mode < 0 && (double)m.stored > pays * (double)m.groups)
        return 0;
    /* few rows: the lane form, where the level has a kernel for it */
    const edge_qs8_sparse_fn lanes =
        !f32 && rows < EDGE_SPARSE_TILE
            ? edge_qs8_sparse_lanes_kernel(edge_op_kernels(p)->isa, m.format, ch * depth, rows)
            : NULL;
    const size_t bytes = f32     ? edge_f32_sparse_packed_bytes(ch, m.stored)
                         : lanes ? edge_qs8_sparse_lanes_bytes(wt->data, ch, depth)
                                 : edge_qs8_sparse_packed_bytes(ch, m.stored);
    sparse_hdr *h = edge_op_alloc_packed(p, n, sizeof *h, bytes,
                                         f32 ? f32_kernel_name(op, level, m.format)
                                             : kernel_name(op, level, m.format));
    if (!h)
        return EDGE_ENOMEM;
    *h = (sparse_hdr){.magic = SPARSE_MAGIC,
                      .fn = lanes ? lanes : fn,
                      .lanes = lanes != NULL,
                      .f32 = ffn,
                      .o = o,
                      .act_min = act_min,
                      .act_max = act_max,
                      .rows = rows,
                      .n = ch,
                      .k = depth,
                      .stored = m.stored,
                      .a_stride = depth,
                      .data = &n->packed_data};
    if (!edge_op_packed_done(n) && f32)
        edge_f32_sparse_pack(wt->data, ch, depth, &m, bt ? bt->data : NULL, n->packed_data);
    else if (!edge_op_packed_done(n) && lanes)
        edge_qs8_sparse_lanes_pack(wt->data, ch, depth, bt ? bt->data : NULL, mult, shift,
                                   input_offset, n->packed_data);
    else if (!edge_op_packed_done(n))
        edge_qs8_sparse_pack(wt->data, ch, depth, &m, bt ? bt->data : NULL, mult, shift,
                             input_offset, n->packed_data);
    sparse_split(h, p->m->threads);
    const size_t kc = (depth + 3) & ~(size_t)3;
    n->scratch_bytes = f32 ? EDGE_F32_SPARSE_SCRATCH(kc) : EDGE_SPARSE_SCRATCH(kc);
    return 1;
}

int edge_sparse_fc_prepare(edge_prep *p, edge_node *n, const edge_fc_params *k)
{
    return sparse_prepare(p, n, SPARSE_FC, (size_t)k->batches, (size_t)k->units, (size_t)k->depth,
                          k->filter_offset, k->input_offset, k->mult, k->shift,
                          (edge_qs8_out){k->output_offset, k->act_min, k->act_max}, k->act_min_f,
                          k->act_max_f);
}

int edge_sparse_conv_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k)
{
    if (k->k_h != 1 || k->k_w != 1 || k->stride_h != 1 || k->stride_w != 1 || k->pad_h ||
        k->pad_w || k->out_h != k->in_h || k->out_w != k->in_w)
        return 0;
    const size_t rows = (size_t)k->batches * (size_t)k->in_h * (size_t)k->in_w;
    return sparse_prepare(p, n, SPARSE_CONV, rows, (size_t)k->out_c, (size_t)k->in_c,
                          k->filter_offset, k->input_offset, k->mult, k->shift,
                          (edge_qs8_out){k->output_offset, k->act_min, k->act_max}, k->act_min_f,
                          k->act_max_f);
}

typedef struct sparse_job {
    const sparse_hdr *h;
    edge_qs8_sparse_view v;  /* int8 */
    edge_f32_sparse_view fv; /* float32 */
    const void *in;
    void *out;
    uint8_t *scratch;
    size_t stride;
} sparse_job;

static void sparse_task(void *ctx, size_t task, unsigned thread)
{
    const sparse_job *j = ctx;
    const sparse_hdr *h = j->h;
    void *tile = j->scratch + (size_t)thread * j->stride;
    const size_t a = task * h->chunk, es = h->f32 ? sizeof(float) : 1;
    size_t n0 = 0, n1 = h->n, r0 = 0, r1 = h->rows;
    if (h->split_n)
        n0 = a, n1 = a + h->chunk < h->n ? a + h->chunk : h->n;
    else
        r0 = a, r1 = a + h->chunk < h->rows ? a + h->chunk : h->rows;
    const char *in = (const char *)j->in + r0 * h->a_stride * es;
    char *out = (char *)j->out + r0 * h->n * es;
    if (h->f32)
        h->f32(&j->fv, n0, n1, (const float *)(const void *)in, h->a_stride, r1 - r0,
               (float *)(void *)out, h->n, tile);
    else
        h->fn(&j->v, n0, n1, (const int8_t *)in, h->a_stride, r1 - r0, (int8_t *)out, h->n, tile);
}

bool edge_sparse_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const sparse_hdr *h = n->packed;
    if (!h || h->magic != SPARSE_MAGIC)
        return false;
    sparse_job j = {.h = h,
                    .in = t[n->in[0]],
                    .out = t[n->out[0]],
                    .scratch = scratch,
                    .stride = edge_op_scratch_stride(n)};
    if (h->f32)
        j.fv = edge_f32_sparse_view_of(*h->data, h->n, h->k, h->stored, h->act_min, h->act_max);
    else if (h->lanes)
        j.v = edge_qs8_sparse_lanes_view_of(*h->data, h->n, h->k, &h->o);
    else
        j.v = edge_qs8_sparse_view_of(*h->data, h->n, h->k, h->stored, &h->o);
    edge_exec_parallel(ex, h->n_tasks, sparse_task, &j);
    return true;
}
