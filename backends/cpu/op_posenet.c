/* backends/cpu/op_posenet.c - Coral's PosenetDecoderOp (custom), PoseNet's pose decoder.
 *
 * Owns: validating the node against its decoded options (edge_posenet_options, ranges by
 * edge_posenet_check): heatmaps [1, H, W, 17], short offsets [1, H, W, 34] and mid offsets
 * [1, H, W, 64] of uint8 (per-tensor quantized) or float32, of one H x W (Coral does not
 * check it; a mismatch would read past the maps), and the four float32 outputs (keypoints
 * [1, D, 17, 2], keypoint scores [1, D, 17], pose scores [1, D], count [1]; shaped here when
 * the file leaves them without one); at eval, the inputs into float scratch as Coral's
 * DequantizeTensor does (the offsets scaled by 1 / stride). The scratch (the float maps and
 * the decoder's) is sized here. BodyPix's variant (4 inputs, 5 outputs, as Coral's Prepare
 * allows): long offsets [1, H', W', 34] of uint8 or float32 (scaled by 1 / stride too) and a
 * fifth float32 output, the instance masks [1, D, 33, 33] (libcoral's DecodeInstanceMasks, and
 * its pose decode: backward edge 16 shifted, posenet.h; Coral's fixed shape, its masks
 * written at (pose * W' + y) * H' + x: a map whose cells would land past that shape is refused,
 * and so is D = 0, where Coral still writes pose 0's mask); the masks are zeroed before they
 * are written (Coral zeroes only the first poses' cells). Does not own the decoder
 * (kernels/ref/posenet.c). */
#include <string.h>

#include "cpu_op.h"
#include "ref/detection.h"
#include "ref/posenet.h"

enum { IN_HEATMAPS, IN_SHORTS, IN_MIDS, IN_LONGS, MAX_IN };

/* Coral's BodyPix masks: [1, max_detections, 33, 33] whatever the maps' size. */
enum { MASK_SIDE = 33 };

/* One input map in float: type, scale (times Coral's extra scale) and zero point. */
typedef struct posenet_input {
    edge_dtype type;
    float scale;
    int32_t zero_point;
    size_t count;
    size_t at; /* its float copy in scratch */
} posenet_input;

typedef struct posenet_data {
    edge_ref_posenet_params k;
    posenet_input in[MAX_IN];
    int n_in;               /* 3, or 4 with BodyPix's long offsets */
    int32_t long_h, long_w; /* the long offsets' map */
    size_t kernel_at;       /* the decoder's scratch */
} posenet_data;

/* Input I: rank 4, [1, H, W, CHANNELS] with the heatmaps' H and W; EXTRA (Coral's extra_scale,
 * a float) folded into its scale. The long offsets (BodyPix) have a map of their own. */
static int posenet_input_of(edge_prep *p, const edge_node *n, int i, float extra, posenet_input *in)
{
    static const char *const roles[] = {"heatmaps", "short offsets", "mid offsets", "long offsets"};
    static const int32_t channels[] = {EDGE_POSENET_KEYPOINTS, 2 * EDGE_POSENET_KEYPOINTS,
                                       4 * EDGE_POSENET_EDGES, 2 * EDGE_POSENET_KEYPOINTS};
    const int map = i == IN_LONGS ? IN_LONGS : IN_HEATMAPS;
    const edge_tensor *t = edge_op_input(p, n, i), *h = edge_op_input(p, n, map);
    int rc = edge_op_check_dtype(p, t, roles[i],
                                 EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_FLOAT32));
    if (rc || (rc = edge_op_check_rank(p, h, roles[map], 4)))
        return rc;
    const int32_t dims[4] = {1, h->dims[1], h->dims[2], channels[i]};
    if (h->dims[1] < 1 || h->dims[2] < 1)
        return edge_op_fail(p, EDGE_ESHAPE, "%s (tensor %d) are empty", roles[map],
                            edge_op_tensor_index(p, h));
    if ((rc = edge_op_check_dims(p, t, roles[i], 4, dims)))
        return rc;
    *in = (posenet_input){.type = t->type, .scale = extra, .count = t->count};
    if (t->type == EDGE_FLOAT32)
        return 0;
    if ((rc = edge_op_check_quant1(p, t, roles[i])))
        return rc;
    in->scale = t->q.scale[0] * extra;
    in->zero_point = t->q.zero_point[0];
    return 0;
}

/* The outputs' roles, for messages. */
static const char *const posenet_outputs[] = {"pose keypoints", "keypoint scores", "pose scores",
                                              "number of poses", "instance masks"};

/* Output I's shape from the node's options (an edge_op_shape_fn). */
static int posenet_output_shape(const edge_node *n, int i, int32_t *dims)
{
    return edge_posenet_output_shape(&n->params.posenet, i, dims);
}

/* Scratch: the float maps, then the decoder's, each 64-byte aligned. */
static size_t posenet_scratch(posenet_data *d)
{
    size_t at = 0;
    for (int i = 0; i < d->n_in; i++) {
        d->in[i].at = at;
        at += (d->in[i].count * sizeof(float) + 63) & ~(size_t)63;
    }
    d->kernel_at = at;
    return at + edge_ref_posenet_scratch(&d->k);
}

/* BodyPix's masks: Coral writes cell (y, x) of pose i at (i * W + y) * H + x of the
 * [1, D, 33, 33] output, for i < max(poses, 1): refused where that passes the output. */
static int posenet_masks_fit(edge_prep *p, const edge_node *n, const posenet_data *d)
{
    const int64_t rows = d->k.max_detections, h = d->long_h, w = d->long_w;
    const int64_t last = ((rows - 1) * w + h - 1) * h + w - 1;
    if (rows < 1)
        return edge_op_fail(p, EDGE_ERANGE,
                            "max_detections is 0 with long offsets (tensor %d): Coral's decoder "
                            "writes the first instance mask even without a pose",
                            (int)n->in[IN_LONGS]);
    if (last >= rows * MASK_SIDE * MASK_SIDE)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "long offsets (tensor %d) are %dx%d: Coral's decoder writes their "
                            "instance masks into [1, %d, %d, %d] (at (pose * width + y) * height "
                            "+ x), which that map would overrun",
                            (int)n->in[IN_LONGS], (int)h, (int)w, (int)rows, MASK_SIDE, MASK_SIDE);
    return 0;
}

static int posenet_prepare(edge_prep *p, edge_node *n)
{
    const edge_posenet_options *o = &n->params.posenet;
    const bool bodypix = n->n_in == 4; /* Coral: 3 inputs and 4 outputs, or 4 and 5 */
    int rc = edge_op_check_io(p, n, 3, 4, bodypix ? 5 : 4);
    if (rc || (rc = edge_posenet_check(o, p->err)))
        return rc;
    posenet_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    const float extra = (float)(1.0 / o->stride);
    if ((rc = posenet_input_of(p, n, IN_HEATMAPS, 1.0f, &d->in[0])) ||
        (rc = posenet_input_of(p, n, IN_SHORTS, extra, &d->in[1])) ||
        (rc = posenet_input_of(p, n, IN_MIDS, extra, &d->in[2])) ||
        (bodypix && (rc = posenet_input_of(p, n, IN_LONGS, extra, &d->in[3]))) ||
        (rc = edge_op_float_outputs(p, n, posenet_outputs, bodypix ? 5 : 4, posenet_output_shape)))
        return rc;
    d->n_in = bodypix ? 4 : 3;
    const edge_tensor *h = edge_op_input(p, n, IN_HEATMAPS);
    d->k = (edge_ref_posenet_params){
        .height = h->dims[1],
        .width = h->dims[2],
        .max_detections = o->max_detections,
        .stride = o->stride,
        .score_threshold = o->score_threshold,
        .nms_radius = o->nms_radius / (float)o->stride,
        .libcoral_edges = bodypix, /* only libcoral (and coralmicro) decode BodyPix's masks */
    };
    if (bodypix) {
        const edge_tensor *l = edge_op_input(p, n, IN_LONGS);
        d->long_h = l->dims[1];
        d->long_w = l->dims[2];
        if ((rc = posenet_masks_fit(p, n, d)))
            return rc;
    }
    n->scratch_bytes = posenet_scratch(d);
    return 0;
}

/* Input I in float at its scratch place (Coral: (q - zero point) * scale, or x * scale). */
static const float *posenet_float(const posenet_input *in, const void *src, char *scratch)
{
    float *out = (float *)(scratch + in->at);
    if (in->type == EDGE_UINT8) {
        edge_ref_dequant_u8(src, in->count, in->scale, in->zero_point, out);
    } else {
        const float *f = src;
        for (size_t i = 0; i < in->count; i++)
            out[i] = f[i] * in->scale;
    }
    return out;
}

typedef struct masks_job {
    const posenet_data *d;
    const float *longs, *keypoints;
    size_t poses;
    float *masks;
} masks_job;

static void masks_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const masks_job *j = ctx;
    edge_ref_posenet_masks_rows(&j->d->k, j->d->long_h, j->d->long_w, j->longs, j->keypoints,
                                j->poses, j->masks, (int32_t)task, (int32_t)task + 1);
}

/* BodyPix's instance masks: each cell follows its 17 long-range offsets three times and finds the
 * nearest pose, 0.9 ms of the model's 8.5 on a Zen 5 (33x33 cells) on the caller alone. A square
 * map's cells write distinct elements (posenet.h), so its rows go to the team, one a task. */
static void posenet_masks(const posenet_data *d, const float *longs, const float *keypoints,
                          size_t poses, float *masks, edge_exec *x)
{
    const size_t count = (size_t)d->k.max_detections * MASK_SIDE * MASK_SIDE;
    if (d->long_h != d->long_w || edge_exec_width(x) < 2) {
        edge_ref_posenet_masks(&d->k, d->long_h, d->long_w, longs, keypoints, poses, masks, count);
        return;
    }
    memset(masks, 0, count * sizeof *masks);
    masks_job j = {d, longs, keypoints, poses, masks};
    edge_exec_parallel(x, (size_t)d->long_h, masks_task, &j);
}

static void posenet_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    const posenet_data *d = n->data;
    char *s = scratch;
    const float *heat = posenet_float(&d->in[0], t[n->in[IN_HEATMAPS]], s);
    const float *shorts = posenet_float(&d->in[1], t[n->in[IN_SHORTS]], s);
    const float *mids = posenet_float(&d->in[2], t[n->in[IN_MIDS]], s);
    float *count = t[n->out[3]];
    edge_ref_posenet(&d->k, heat, shorts, mids, s + d->kernel_at, t[n->out[0]], t[n->out[1]],
                     t[n->out[2]], count);
    if (d->n_in == 4) {
        const float *longs = posenet_float(&d->in[3], t[n->in[IN_LONGS]], s);
        posenet_masks(d, longs, t[n->out[0]], (size_t)*count, t[n->out[4]], x);
    }
}

const edge_op edge_op_POSENET_DECODER = {
    .code = EDGE_OP_CUSTOM,
    .max_version = EDGE_OPVER_POSENET_DECODER,
    .prepare = posenet_prepare,
    .eval = posenet_eval,
};
