/* backends/cpu/op_conv.c - CONV_2D on the CPU, and the conv family's shared prepare helpers.
 *
 * Owns: CONV_2D's weights layout, im2col scratch and eval (dispatch to
 * kernels/ref/conv.h by type), plus the helpers declared in op_conv.h (the
 * weights' quantization checks FULLY_CONNECTED reuses, and the prepare CONV_2D
 * shares with DEPTHWISE_CONV_2D: shapes, types, quantization, output shape,
 * with the derivations of edge/ops.h).
 * Packed paths: int8 through fast_ops.h, legacy uint8 through fast_u8.h.
 * Supports int8 (per-channel or per-tensor symmetric weights), legacy uint8,
 * float32, hybrid (float32 with int8 weights, kernels/ref/hybrid.h) and 16x8 (int16 activations
 * with zero point 0, symmetric int8 weights, int64 bias: kernels/ref/int16.c; CONV_2D above the
 * scalar level on the level's 16x8 dot product, fast_int16.h); INT4 weights come as the
 * loader's int8 copy (the GEMM holds them 4-bit, fast_ops.c); refuses grouped convolutions.
 * Does not own the arithmetic (kernels/ref/conv.c). */
#include <stdio.h>
#include <stdlib.h>

#include "dispatch.h"
#include "fast_int16.h"
#include "fast_ops.h"
#include "fast_u8.h"
#include "hybrid_fast.h"
#include "op_conv.h"
#include "op_sparse.h"
#include "ref/conv.h"
#include "ref/int16.h"

/* ---- shared helpers (op_conv.h) ---- */

int edge_conv_check_count(edge_prep *p, const edge_tensor *t, const char *role)
{
    if (t->count < 1 || t->count > (size_t)INT32_MAX)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "%s (tensor %d) has %zu elements; 1 to 2^31-1 are supported", role,
                            edge_op_tensor_index(p, t), t->count);
    return 0;
}

int edge_conv_check_tensors(edge_prep *p, const edge_tensor *in, int in_rank, const edge_tensor *w,
                            int w_rank, const edge_tensor *out)
{
    int rc = in_rank ? edge_op_check_rank(p, in, "input", in_rank) : 0;
    if (rc || (rc = edge_op_check_rank(p, w, "weights", w_rank)) ||
        (rc = edge_conv_check_count(p, in, "input")) ||
        (rc = edge_conv_check_count(p, w, "weights")))
        return rc;
    return edge_conv_check_count(p, out, "output");
}

int edge_conv_io(edge_prep *p, const edge_node *n, int in_rank, int w_rank, const edge_tensor **in,
                 const edge_tensor **w, const edge_tensor **bias, const edge_tensor **out)
{
    int rc = edge_op_io(p, n, 2, 3, 1, in, out);
    if (rc)
        return rc;
    *w = edge_op_input(p, n, 1);
    *bias = edge_op_input(p, n, 2);
    return edge_conv_check_tensors(p, *in, in_rank, *w, w_rank, *out);
}

int edge_conv_check_types(edge_prep *p, const edge_tensor *in, const edge_tensor *filter,
                          const edge_tensor *bias, const edge_tensor *out, int32_t count)
{
    const edge_dtype ty = in->type;
    int rc = edge_op_check_dtype(p, in, "input", EDGE_CONV_TYPES);
    if (rc || (rc = edge_op_check_type(p, out, "output", ty)))
        return rc;
    const bool hybrid = ty == EDGE_FLOAT32 && filter->type == EDGE_INT8;
    if (filter->type != ty && !hybrid)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "weights (tensor %d) have type %s with a %s input; only int8 weights "
                            "may go with a float32 input (hybrid)",
                            edge_op_tensor_index(p, filter), edge_dtype_name(filter->type),
                            edge_dtype_name(ty));
    if (!bias)
        return 0;
    rc = edge_op_check_type(p, bias, "bias", ty == EDGE_FLOAT32 ? EDGE_FLOAT32 : EDGE_INT32);
    if (rc)
        return rc;
    if (bias->count != (size_t)count)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "bias (tensor %d) has %zu elements for %d output channels",
                            edge_op_tensor_index(p, bias), bias->count, (int)count);
    return 0;
}

/* Every zero point of the int8 weights F is 0. */
static int check_symmetric(edge_prep *p, const edge_tensor *f)
{
    for (int32_t c = 0; c < f->q.count; c++)
        if (f->q.zero_point[c] != 0)
            return edge_op_fail(
                p, EDGE_EUNSUPPORTED,
                "int8 weights (tensor %d) have zero point %d at channel %d; they must be symmetric",
                edge_op_tensor_index(p, f), (int)f->q.zero_point[c], (int)c);
    return 0;
}

int edge_conv_hybrid_weights(edge_prep *p, const edge_node *n, edge_hybrid_kind kind,
                             int32_t channels, int32_t out_axis, bool asymmetric_option,
                             edge_hybrid_params *h)
{
    const edge_tensor *f = edge_op_input(p, n, 1);
    int rc = edge_op_check_quant(p, f, "weights");
    if (rc || (rc = check_symmetric(p, f)))
        return rc;
    edge_hybrid_weights hw;
    rc = edge_hybrid_weights_of(kind, f->q.scale, f->q.count, f->q.axis, channels, out_axis,
                                asymmetric_option, &hw, p->err);
    if (rc)
        return rc;
    h->w_scale = f->q.scale;
    h->scale_count = hw.scale_count;
    h->asymmetric = hw.asymmetric;
    return 0;
}

static int filter_quant(edge_prep *p, edge_conv_quant *q)
{
    const edge_tensor *f = q->filter;
    int rc = edge_op_check_quant(p, f, "weights");
    if (rc)
        return rc;
    if (f->type == EDGE_UINT8) {
        if (f->q.count != 1)
            return edge_op_fail(p, EDGE_EUNSUPPORTED,
                                "uint8 weights (tensor %d) must be quantized per tensor",
                                edge_op_tensor_index(p, f));
        q->legacy = true;
        q->filter_offset = -f->q.zero_point[0];
        return 0;
    }
    if (f->q.count != 1 && (f->q.count != q->channels || f->q.axis != q->axis))
        return edge_op_fail(
            p, EDGE_EUNSUPPORTED,
            "weights (tensor %d) have %d scales on axis %d; expected 1, or %d on axis %d",
            edge_op_tensor_index(p, f), (int)f->q.count, (int)f->q.axis, (int)q->channels,
            (int)q->axis);
    if ((rc = check_symmetric(p, f)))
        return rc;
    q->filter_offset = 0;
    if (f->q.count != 1)
        q->legacy = false;
    return 0;
}

int edge_conv_quantize(edge_prep *p, edge_conv_quant *q, int32_t *mult, int32_t *shift)
{
    int rc;
    if ((rc = edge_op_check_quant1(p, q->in, "input")) ||
        (rc = edge_op_check_quant1(p, q->out, "output")) || (rc = filter_quant(p, q)))
        return rc;
    const edge_conv_scales s = {
        .input = q->in->q.scale[0],
        .output = q->out->q.scale[0],
        .filter = q->filter->q.scale,
        .filter_count = q->filter->q.count,
        .legacy = q->legacy,
        .has_bias = q->bias != NULL,
        .bias_scale = q->bias && q->bias->q.count >= 1 ? q->bias->q.scale[0] : 0.0f,
        .bias_index = q->bias ? edge_op_tensor_index(p, q->bias) : -1,
    };
    if ((rc = edge_conv_multipliers(&s, q->channels, mult, shift, p->err)))
        return rc;
    q->input_offset = -q->in->q.zero_point[0];
    q->output_offset = q->out->q.zero_point[0];
    return edge_op_act_range_q(p, q->act, q->out, &q->act_min, &q->act_max);
}

edge_conv_quant edge_conv_quant_of(edge_prep *p, const edge_node *n, int32_t channels, int32_t axis,
                                   bool legacy, int act)
{
    return (edge_conv_quant){
        .in = edge_op_input(p, n, 0),
        .filter = edge_op_input(p, n, 1),
        .bias = edge_op_input(p, n, 2),
        .out = edge_op_output(p, n, 0),
        .channels = channels,
        .axis = axis,
        .legacy = legacy,
        .act = act,
    };
}

/* ---- the prepare CONV_2D and DEPTHWISE_CONV_2D share ---- */

int edge_conv_check_types_s16(edge_prep *p, const edge_tensor *filter, const edge_tensor *bias,
                              const edge_tensor *out, int32_t count)
{
    int rc = edge_op_check_type(p, out, "output", EDGE_INT16);
    if (rc || (rc = edge_op_check_type(p, filter, "weights", EDGE_INT8)) || !bias)
        return rc;
    if (bias->type != EDGE_INT64)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "bias (tensor %d) has type %s; an int16 (16x8) operator takes an "
                            "INT64 bias",
                            edge_op_tensor_index(p, bias), edge_dtype_name(bias->type));
    if (bias->count != (size_t)count)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "bias (tensor %d) has %zu elements for %d output channels",
                            edge_op_tensor_index(p, bias), bias->count, (int)count);
    return 0;
}

/* 16x8 (TFLite's ConvPerChannel<int64_t>, DepthwiseConvPerChannel for int16) where KIND has the
 * kernel; else int16 is refused. */
static int conv2d_check_types_s16(edge_prep *p, const edge_conv2d_kind *kind, const edge_tensor *in,
                                  const edge_tensor *filter, const edge_tensor *bias,
                                  const edge_tensor *out, int32_t count)
{
    if (!kind->s16)
        return edge_op_check_dtype(p, in, "input", EDGE_CONV_TYPES);
    return edge_conv_check_types_s16(p, filter, bias, out, count);
}

static int conv2d_check_tensors(edge_prep *p, const edge_node *n, const edge_conv2d_kind *kind)
{
    const int32_t out_axis = kind->out_axis;
    const edge_tensor *in, *f, *bias, *out;
    int rc = edge_conv_io(p, n, 4, 4, &in, &f, &bias, &out);
    if (rc)
        return rc;
    if (in->type == EDGE_INT16)
        return conv2d_check_types_s16(p, kind, in, f, bias, out, f->dims[out_axis]);
    return edge_conv_check_types(p, in, f, bias, out, f->dims[out_axis]);
}

/* Options, input dimensions, the kind's filter geometry, then TFLite's output
 * size and padding along both axes. */
static int conv2d_geometry(edge_prep *p, const edge_node *n, const edge_conv2d_kind *kind,
                           edge_conv_params *k, int *act)
{
    const edge_tensor *in = edge_op_input(p, n, 0), *f = edge_op_input(p, n, 1);
    const edge_window_options *w = &n->params.window;
    *act = w->activation;
    k->stride_w = w->stride_w;
    k->stride_h = w->stride_h;
    k->dil_w = w->dilation_w;
    k->dil_h = w->dilation_h;
    k->batches = in->dims[0];
    k->in_h = in->dims[1];
    k->in_w = in->dims[2];
    k->in_c = in->dims[3];
    /* a PAD folded into this node (runtime/interp/fold_pad.c): the window runs over the padded
     * extents, the cells past the input being padding (the zero point) */
    const int32_t *fp = n->fold_pad;
    int rc = kind->filter(p, w, f, k);
    if (rc ||
        (rc = edge_window_out_size(w->padding, "height", k->in_h + fp[0] + fp[1], k->k_h,
                                   k->stride_h, k->dil_h, &k->out_h, &k->pad_h, p->err)) ||
        (rc = edge_window_out_size(w->padding, "width", k->in_w + fp[2] + fp[3], k->k_w,
                                   k->stride_w, k->dil_w, &k->out_w, &k->pad_w, p->err)))
        return rc;
    k->pad_h += fp[0];
    k->pad_w += fp[2];
    return 0;
}

static int conv2d_quantize(edge_prep *p, const edge_node *n, int32_t axis, int act,
                           edge_conv2d_data *d)
{
    edge_conv_quant q = edge_conv_quant_of(p, n, d->k.out_c, axis, false, act);
    int32_t *mult = d->q, *shift = d->q + d->k.out_c;
    int rc = edge_conv_quantize(p, &q, mult, shift);
    if (rc == 0)
        EDGE_CONV_SET_QUANT(&d->k, q, mult, shift);
    return rc;
}

/* A hybrid node on kernels/hybrid_fast.h when its work fits 8 MiB per thread: each thread's
 * scratch slice holds the quantized batch (read from the first slice) and that thread's work. */
static void hybrid_take_fast(edge_prep *p, edge_node *n, const edge_conv2d_kind *kind,
                             edge_conv2d_data *d, size_t row)
{
    const size_t work = kind->hybrid == EDGE_HYBRID_CONV ? edge_hybrid_conv_work(&d->k)
                                                         : edge_hybrid_dw_work(&d->k);
    if (work > ((size_t)8 << 20))
        return;
    d->hybrid_fast = true;
    d->hybrid_q = (row + 63) & ~(size_t)63;
    n->scratch_bytes = d->hybrid_q + work;
    const edge_kernels *kt = edge_op_kernels(p); /* NULL in the op tests' bare models */
    d->hybrid_gemm = kt ? kt->hybrid.gemm : NULL;
    d->hybrid_dw = kt ? kt->hybrid.dw : NULL;
    d->hybrid_quantize = kt ? kt->hybrid.quantize : NULL;
    d->hybrid_min_max = kt ? kt->hybrid.min_max : NULL;
    d->hybrid_quantize_part = kt ? kt->hybrid.quantize_part : NULL;
    if (kind->hybrid == EDGE_HYBRID_CONV)
        n->kernel = d->hybrid_gemm ? kt->hybrid.gemm_name : "hybrid_im2col_sgemm_exact";
    else
        n->kernel = d->hybrid_dw ? kt->hybrid.dw_name : "hybrid_dw_rows";
}

int edge_conv2d_prepare(edge_prep *p, edge_node *n, const edge_conv2d_kind *kind,
                        edge_conv2d_data **data)
{
    int rc = conv2d_check_tensors(p, n, kind);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *out = edge_op_output(p, n, 0);
    edge_conv_params k = {0};
    int act;
    if ((rc = conv2d_geometry(p, n, kind, &k, &act)))
        return rc;
    const int32_t want[4] = {k.batches, k.out_h, k.out_w, k.out_c};
    if ((rc = edge_op_check_dims(p, out, "output", 4, want)))
        return rc;
    const bool quant = in->type != EDGE_FLOAT32;
    edge_conv2d_data *d =
        edge_op_alloc(p, n, sizeof *d + (quant ? 2 * (size_t)k.out_c : 0) * sizeof(int32_t));
    if (!d)
        return EDGE_ENOMEM;
    d->type = in->type;
    d->hybrid = !quant && edge_op_input(p, n, 1)->type == EDGE_INT8;
    d->k = k;
    if (quant)
        rc = conv2d_quantize(p, n, kind->out_axis, act, d);
    else
        rc = edge_op_act_range_f(p, act, &d->k.act_min_f, &d->k.act_max_f);
    if (rc == 0 && d->hybrid) {
        rc = edge_conv_hybrid_weights(p, n, kind->hybrid, k.out_c, kind->out_axis, false, &d->h);
        n->scratch_bytes = edge_ref_hybrid_scratch(in->count / (size_t)k.batches);
        hybrid_take_fast(p, n, kind, d, in->count / (size_t)k.batches);
    }
    if (rc)
        return rc;
    if (data)
        *data = d;
    return 0;
}

edge_conv_operands edge_conv_operands_of(const edge_node *n, void *const *t)
{
    return (edge_conv_operands){
        .in = t[n->in[0]],
        .w = t[n->in[1]],
        .bias = n->n_in > 2 && n->in[2] >= 0 ? t[n->in[2]] : NULL,
        .out = t[n->out[0]],
    };
}

/* A uint8 node on the packed int8 path (fast_u8.h). */
static void conv2d_eval_u8(const edge_conv2d_kind *kind, const edge_conv2d_data *d,
                           const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const edge_conv_params *k = &d->k;
    const size_t in = (size_t)k->batches * (size_t)k->in_h * (size_t)k->in_w * (size_t)k->in_c;
    const size_t out = (size_t)k->batches * (size_t)k->out_h * (size_t)k->out_w * (size_t)k->out_c;
    edge_u8_eval(d->u8_path, kind->eval.fast, in, out, n, t, scratch, ex);
}

typedef struct hybrid_job {
    const edge_conv2d_kind *kind;
    const edge_conv2d_data *d;
    const int8_t *q, *w;
    const float *bias;
    float *out; /* this batch's */
    int32_t zp;
    float in_scale;
    char *scratch;
    size_t stride, units, chunk; /* units: output pixels (CONV_2D) or rows (DEPTHWISE) */
    size_t parts, part;          /* CONV_2D: each pixel task's channels in PARTS of PART */
} hybrid_job;

static void hybrid_task(void *ctx, size_t task, unsigned thread)
{
    const hybrid_job *j = ctx;
    const size_t c = (size_t)j->d->k.out_c, c0 = task % j->parts * j->part;
    task /= j->parts;
    const size_t u0 = task * j->chunk, u1 = u0 + j->chunk < j->units ? u0 + j->chunk : j->units;
    void *work = j->scratch + (size_t)thread * j->stride + j->d->hybrid_q;
    if (j->kind->hybrid == EDGE_HYBRID_CONV)
        edge_hybrid_conv_pixels(&j->d->k, &j->d->h, j->q, j->zp, j->in_scale, j->w, j->bias, j->out,
                                work, u0, u1, c0, c - c0 < j->part ? c : c0 + j->part,
                                j->d->hybrid_gemm);
    else
        (j->d->hybrid_dw ? j->d->hybrid_dw
                         : edge_hybrid_dw_rows)(&j->d->k, &j->d->h, j->q, j->zp, j->in_scale, j->w,
                                                j->bias, j->out, work, (int32_t)u0, (int32_t)u1);
}

/* A hybrid batch's input quantized in parts over the team (hybrid_fast.h's
 * edge_hybrid_min_max_fn and edge_hybrid_quantize_part_fn): its smallest and largest in one
 * loop, the elements in the next. On the caller alone it was a sixth of yamnet's time on one
 * thread, and held its depthwise layers at 1.08-1.25x of one thread on two (Zen 5 VM,
 * avx512vnni). A batch under HQ_MIN floats is quantized whole: two loops cost more than half of
 * it saves. */
#define HQ_MIN 8192u
#define HQ_TASKS_MAX 128u /* parts: 2 a thread, threads at most 64 */

typedef struct hq_job {
    const edge_conv2d_data *d;
    bool asym;
    const float *x;
    int8_t *q;
    size_t n, chunk;
    float lo[HQ_TASKS_MAX], hi[HQ_TASKS_MAX], mn, mx;
    bool ok[HQ_TASKS_MAX];
    float scale; /* part 0's (every part's is the same) */
    int32_t zp;
} hq_job;

static size_t hq_len(const hq_job *j, size_t task)
{
    const size_t a = task * j->chunk;
    return j->n - a < j->chunk ? j->n - a : j->chunk;
}

static void hq_min_max_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    hq_job *j = ctx;
    j->ok[task] =
        j->d->hybrid_min_max(j->x + task * j->chunk, hq_len(j, task), &j->lo[task], &j->hi[task]);
}

static void hq_part_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    hq_job *j = ctx;
    float scale;
    int32_t zp;
    j->d->hybrid_quantize_part(j->asym, j->x + task * j->chunk, hq_len(j, task), j->mn, j->mx,
                               j->q + task * j->chunk, &scale, &zp);
    if (task == 0) {
        j->scale = scale;
        j->zp = zp;
    }
}

/* hybrid_quantize on WIDTH threads. Not inlined: its job (1.5 KB) in hybrid_eval's frame made
 * yamnet's 1-thread invoke 3% slower (libraries alternating in one process, Zen 5 VM). */
__attribute__((noinline)) static void hybrid_quantize_team(const edge_conv2d_data *d, bool asym,
                                                           const float *x, size_t n, int8_t *q,
                                                           float *scale, int32_t *zp, edge_exec *ex,
                                                           size_t width)
{
    hq_job j = {.d = d, .asym = asym, .x = x, .q = q, .n = n};
    const size_t parts = 2 * width < HQ_TASKS_MAX ? 2 * width : HQ_TASKS_MAX;
    j.chunk = ((n + parts - 1) / parts + 63) & ~(size_t)63; /* whole lines of Q */
    const size_t tasks = (n + j.chunk - 1) / j.chunk;
    edge_exec_parallel(ex, tasks, hq_min_max_task, &j);
    j.mn = j.lo[0];
    j.mx = j.hi[0];
    for (size_t i = 0; i < tasks; i++) {
        if (!j.ok[i]) { /* a NaN: the reference's scan */
            edge_ref_quantize_row(asym, x, n, q, scale, zp);
            return;
        }
        j.mn = j.lo[i] < j.mn ? j.lo[i] : j.mn;
        j.mx = j.mx < j.hi[i] ? j.hi[i] : j.mx;
    }
    edge_exec_parallel(ex, tasks, hq_part_task, &j);
    *scale = j.scale;
    *zp = j.zp;
}

/* The N floats at X quantized into Q (*SCALE, *ZP) as edge_ref_quantize_row does (ASYM). */
static void hybrid_quantize(const edge_conv2d_data *d, bool asym, const float *x, size_t n,
                            int8_t *q, float *scale, int32_t *zp, edge_exec *ex)
{
    const size_t width = edge_exec_width(ex);
    if (width < 2 || n < HQ_MIN || !d->hybrid_min_max || !d->hybrid_quantize_part) {
        (d->hybrid_quantize ? d->hybrid_quantize : edge_ref_quantize_row)(asym, x, n, q, scale, zp);
        return;
    }
    hybrid_quantize_team(d, asym, x, n, q, scale, zp, ex, width);
}

/* Each batch quantized as the reference does, then its outputs split over the threads. */
static void hybrid_eval(const edge_conv2d_kind *kind, const edge_conv2d_data *d, const edge_node *n,
                        const edge_conv_operands *o, void *scratch, edge_exec *ex)
{
    const edge_conv_params *k = &d->k;
    const bool conv = kind->hybrid == EDGE_HYBRID_CONV;
    const size_t row = (size_t)k->in_h * (size_t)k->in_w * (size_t)k->in_c;
    const size_t out_row = (size_t)k->out_h * (size_t)k->out_w * (size_t)k->out_c;
    hybrid_job j = {kind,    d,
                    scratch, o->w,
                    o->bias, NULL,
                    0,       0.0f,
                    scratch, edge_op_scratch_stride(n),
                    0,       0,
                    1,       (size_t)k->out_c};
    j.units = conv ? (size_t)k->out_h * (size_t)k->out_w : (size_t)k->out_h;
    const size_t width = edge_exec_width(ex), per = 4 * width; /* tasks: 4 per thread */
    j.chunk = (j.units + per - 1) / per;
    if (conv) /* whole GEMMs of 64 pixels */
        j.chunk = (j.chunk + 63) & ~(size_t)63;
    const size_t tasks = (j.units + j.chunk - 1) / j.chunk;
    /* Few pixels (yamnet's 6x4 and 3x2 layers: one GEMM of 24 or 6 rows, 512 or 1024 channels,
     * ran on the caller alone): each pixel task's channels cut in parts of whole 16s, two a
     * thread. The sums are integers and each output's float steps its own, so any cut gives the
     * same bytes. */
    if (conv && width > 1 && tasks < 2 * width && k->out_c >= 32) {
        j.parts = (2 * width + tasks - 1) / tasks;
        if (j.parts > (size_t)k->out_c / 16)
            j.parts = (size_t)k->out_c / 16;
        j.part = ((size_t)k->out_c + j.parts - 1) / j.parts;
        j.part = (j.part + 15) & ~(size_t)15;
        j.parts = ((size_t)k->out_c + j.part - 1) / j.part;
    }
    for (int32_t b = 0; b < k->batches; b++) {
        hybrid_quantize(d, conv ? edge_ref_conv_hybrid_asym(&d->h) : true,
                        (const float *)o->in + (size_t)b * row, row, scratch, &j.in_scale, &j.zp,
                        ex);
        j.out = (float *)o->out + (size_t)b * out_row;
        edge_exec_parallel(ex, tasks * j.parts, hybrid_task, &j);
    }
}

typedef struct f32_job {
    const edge_conv_params *k;
    edge_conv_operands o;
    char *scratch;
    size_t stride;
} f32_job;

static void f32_task(void *ctx, size_t task, unsigned thread)
{
    const f32_job *j = ctx;
    edge_ref_conv_f32_part(j->k, j->o.in, j->o.w, j->o.bias, j->o.out,
                           j->scratch + (size_t)thread * j->stride, task);
}

/* A float32 CONV_2D on the team: the reference's tasks (edge_ref_conv_f32), each an im2col and
 * an OpenBLAS sgemm (one thread inside, runtime/blas.c) on its thread's scratch slice. Before,
 * the whole layer ran on the caller: mp_hand_landmark_lite's CONV_2D nodes took 4264 us an
 * invoke on 1 thread and 4388 us on 2 (a Zen 5 VM, avx512vnni). */
static void f32_eval(const edge_conv2d_data *d, const edge_node *n, const edge_conv_operands *o,
                     void *scratch, edge_exec *ex)
{
    const f32_job j = {&d->k, *o, scratch, edge_op_scratch_stride(n)};
    edge_exec_parallel(ex, edge_ref_conv_f32_tasks(&d->k), f32_task, (void *)&j);
}

void edge_conv2d_eval(const edge_conv2d_kind *kind, const edge_node *n, void *const *t,
                      void *scratch, edge_exec *ex)
{
    const edge_conv2d_data *d = n->data;
    if (n->folded) /* the depthwise convolution before it computes it (fuse_pw.c) */
        return;
    if (n->packed && d->type == EDGE_INT16) {
        const edge_conv_operands o = edge_conv_operands_of(n, t);
        edge_fast_conv_s16_gemm(n->packed, &d->k, o.in, o.out, scratch, edge_op_scratch_stride(n),
                                ex);
        return;
    }
    if (n->packed && d->type == EDGE_UINT8) {
        conv2d_eval_u8(kind, d, n, t, scratch, ex);
        return;
    }
    if (n->packed) {
        kind->eval.fast(n, t, scratch, ex);
        return;
    }
    const edge_conv_operands o = edge_conv_operands_of(n, t);
    if (d->hybrid_fast) {
        hybrid_eval(kind, d, n, &o, scratch, ex);
        return;
    }
    if (d->hybrid) {
        kind->eval.hybrid(&d->k, &d->h, o.in, o.w, o.bias, o.out, scratch);
        return;
    }
    switch (d->type) {
    case EDGE_INT8: kind->eval.s8(&d->k, o.in, o.w, o.bias, o.out); break;
    case EDGE_UINT8: kind->eval.u8(&d->k, o.in, o.w, o.bias, o.out); break;
    case EDGE_INT16:
        if (d->dot16)
            edge_fast_conv_s16(d->dot16, d->dot16x4, &d->k, o.in, o.w, o.bias, o.out, scratch,
                               edge_op_scratch_stride(n), ex);
        else
            kind->s16(&d->k, o.in, o.w, o.bias, o.out);
        break;
    default:
        if (kind->eval.f32 == edge_ref_conv_f32)
            f32_eval(d, n, &o, scratch, ex);
        else
            kind->eval.f32(&d->k, o.in, o.w, o.bias, o.out, scratch);
        break;
    }
}

/* ---- CONV_2D ---- */

/* OHWI weights: [out_c, k_h, k_w, in_c]. */
static int conv_filter(edge_prep *p, const edge_window_options *w, const edge_tensor *f,
                       edge_conv_params *k)
{
    (void)w;
    k->out_c = f->dims[0];
    k->k_h = f->dims[1];
    k->k_w = f->dims[2];
    k->depth_mult = 1;
    if (f->dims[3] != k->in_c)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "weights have input depth %d but the input has %d channels (grouped "
                            "convolution is not supported)",
                            (int)f->dims[3], (int)k->in_c);
    return 0;
}

static const edge_conv2d_kind conv_kind = {
    .out_axis = 0,
    .hybrid = EDGE_HYBRID_CONV,
    .filter = conv_filter,
    .eval = {edge_fast_conv_eval, edge_ref_conv_s8, edge_ref_conv_u8, edge_ref_conv_f32,
             edge_ref_conv_hybrid},
    .s16 = edge_ref_conv_s16,
};

/* The 64-bit MultiplyByQuantizedMultiplier of the 16x8 kernel takes shifts up to 7 (TFLite
 * checks it in debug builds only): larger output multipliers are refused. */
int edge_conv_check_s16_shifts(edge_prep *p, const int32_t *shift, int32_t channels)
{
    for (int32_t c = 0; c < channels; c++)
        if (shift[c] > 7)
            return edge_op_fail(p, EDGE_ERANGE,
                                "output channel %d needs a multiplier of 2^%d or more; the int16 "
                                "(16x8) kernel supports below 2^7",
                                (int)c, (int)shift[c] - 1);
    return 0;
}

static int conv_prepare(edge_prep *p, edge_node *n)
{
    edge_conv2d_data *d = NULL;
    int rc = edge_conv2d_prepare(p, n, &conv_kind, &d);
    if (rc)
        return rc;
    if (d->type == EDGE_INT8) {
        if (!(rc = edge_sparse_conv_prepare(p, n, &d->k)))
            rc = edge_fast_conv_prepare(p, n, &d->k);
        return rc < 0 ? EDGE_ENOMEM : 0;
    }
    if (d->type == EDGE_UINT8) {
        d->u8_path = edge_u8_conv_prepare(p, n, &d->k, edge_fast_conv_prepare);
        return d->u8_path < 0 ? EDGE_ENOMEM : 0;
    }
    if (d->type == EDGE_INT16) {
        const edge_kernels *kt = edge_op_kernels(p);
        const edge_tensor *w = edge_op_input(p, n, 1), *b = edge_op_input(p, n, 2);
        if ((rc = edge_conv_check_s16_shifts(p, d->q + d->k.out_c, d->k.out_c)))
            return rc;
        if (kt && kt->s16.gemm && w->data && (!b || b->data)) /* constant weights: packed */
            return edge_fast_conv_s16_gemm_prepare(p, n, &d->k, kt->s16.gemm, kt->s16.gemm_name,
                                                   w->data, b ? b->data : NULL);
        if (kt && kt->s16.dot) {
            d->dot16 = kt->s16.dot;
            d->dot16x4 = kt->s16.dot4;
            n->scratch_bytes = edge_fast_conv_s16_scratch(&d->k);
            n->kernel = kt->s16.conv_name;
        }
        return 0;
    }
    if (d->type != EDGE_FLOAT32 || d->hybrid)
        return 0;
    if ((rc = edge_sparse_conv_prepare(p, n, &d->k)))
        return rc < 0 ? EDGE_ENOMEM : 0; /* pruned float weights (kernels/sparse_f32.h) */
    n->scratch_bytes = edge_ref_conv_f32_scratch(&d->k);
    n->kernel = "f32_im2col_sgemm_openblas"; /* kernels/ref/conv.c: OpenBLAS's GEMM */
    return 0;
}

static void conv_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    if (!edge_sparse_eval(n, t, scratch, ex))
        edge_conv2d_eval(&conv_kind, n, t, scratch, ex);
}

const edge_op edge_op_CONV_2D = {
    .code = EDGE_OP_CONV_2D,
    .max_version = EDGE_OPVER_CONV_2D, /* 4: 16x8, 5: hybrid per-channel */
    .prepare = conv_prepare,
    .eval = conv_eval,
};
