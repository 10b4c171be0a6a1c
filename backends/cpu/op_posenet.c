/* backends/cpu/op_posenet.c - Coral's PosenetDecoderOp (custom), PoseNet's pose decoder.
 *
 * Owns: validating the node against its decoded options (edge_posenet_options, ranges by
 * edge_posenet_check): heatmaps [1, H, W, 17], short offsets [1, H, W, 34] and mid offsets
 * [1, H, W, 64] of uint8 (per-tensor quantized) or float32, of one H x W (Coral does not
 * check it; a mismatch would read past the maps), and the four float32 outputs (keypoints
 * [1, D, 17, 2], keypoint scores [1, D, 17], pose scores [1, D], count [1]; shaped here when
 * the file leaves them without one); at eval, the inputs into float scratch as Coral's
 * DequantizeTensor does (the offsets scaled by 1 / stride). The scratch (the float maps and
 * the decoder's) is sized here. Does not own the decoder (kernels/ref/posenet.c). */
#include <string.h>

#include "cpu_op.h"
#include "ref/detection.h"
#include "ref/posenet.h"

enum { IN_HEATMAPS, IN_SHORTS, IN_MIDS };

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
    posenet_input in[3];
    size_t kernel_at; /* the decoder's scratch */
} posenet_data;

/* Input I: rank 4, [1, H, W, CHANNELS] with the heatmaps' H and W; EXTRA (Coral's extra_scale,
 * a float) folded into its scale. */
static int posenet_input_of(edge_prep *p, const edge_node *n, int i, float extra, posenet_input *in)
{
    static const char *const roles[] = {"heatmaps", "short offsets", "mid offsets"};
    static const int32_t channels[] = {EDGE_POSENET_KEYPOINTS, 2 * EDGE_POSENET_KEYPOINTS,
                                       4 * EDGE_POSENET_EDGES};
    const edge_tensor *t = edge_op_input(p, n, i), *h = edge_op_input(p, n, IN_HEATMAPS);
    int rc = edge_op_check_dtype(p, t, roles[i],
                                 EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_FLOAT32));
    if (rc || (rc = edge_op_check_rank(p, h, roles[IN_HEATMAPS], 4)))
        return rc;
    const int32_t dims[4] = {1, h->dims[1], h->dims[2], channels[i]};
    if (h->dims[1] < 1 || h->dims[2] < 1)
        return edge_op_fail(p, EDGE_ESHAPE, "heatmaps (tensor %d) are empty",
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
                                              "number of poses"};

/* Output I's shape from the node's options (an edge_op_shape_fn). */
static int posenet_output_shape(const edge_node *n, int i, int32_t *dims)
{
    return edge_posenet_output_shape(&n->params.posenet, i, dims);
}

/* Scratch: the three float maps, then the decoder's, each 64-byte aligned. */
static size_t posenet_scratch(posenet_data *d)
{
    size_t at = 0;
    for (int i = 0; i < 3; i++) {
        d->in[i].at = at;
        at += (d->in[i].count * sizeof(float) + 63) & ~(size_t)63;
    }
    d->kernel_at = at;
    return at + edge_ref_posenet_scratch(&d->k);
}

static int posenet_prepare(edge_prep *p, edge_node *n)
{
    const edge_posenet_options *o = &n->params.posenet;
    int rc = edge_op_check_io(p, n, 3, 3, 4);
    if (rc || (rc = edge_posenet_check(o, p->err)))
        return rc;
    posenet_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    const float extra = (float)(1.0 / o->stride);
    if ((rc = posenet_input_of(p, n, IN_HEATMAPS, 1.0f, &d->in[0])) ||
        (rc = posenet_input_of(p, n, IN_SHORTS, extra, &d->in[1])) ||
        (rc = posenet_input_of(p, n, IN_MIDS, extra, &d->in[2])) ||
        (rc = edge_op_float_outputs(p, n, posenet_outputs, 4, posenet_output_shape)))
        return rc;
    const edge_tensor *h = edge_op_input(p, n, IN_HEATMAPS);
    d->k = (edge_ref_posenet_params){
        .height = h->dims[1],
        .width = h->dims[2],
        .max_detections = o->max_detections,
        .stride = o->stride,
        .score_threshold = o->score_threshold,
        .nms_radius = o->nms_radius / (float)o->stride,
    };
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

static void posenet_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    (void)x;
    const posenet_data *d = n->data;
    char *s = scratch;
    const float *heat = posenet_float(&d->in[0], t[n->in[IN_HEATMAPS]], s);
    const float *shorts = posenet_float(&d->in[1], t[n->in[IN_SHORTS]], s);
    const float *mids = posenet_float(&d->in[2], t[n->in[IN_MIDS]], s);
    edge_ref_posenet(&d->k, heat, shorts, mids, s + d->kernel_at, t[n->out[0]], t[n->out[1]],
                     t[n->out[2]], t[n->out[3]]);
}

const edge_op edge_op_POSENET_DECODER = {
    .code = EDGE_OP_CUSTOM,
    .max_version = EDGE_OPVER_POSENET_DECODER,
    .prepare = posenet_prepare,
    .eval = posenet_eval,
};
