/* tools/opgen_types.c - the uint8 and int16 (16x8) variants of a generated int8 model.
 *
 * Owns: og_retype, which turns the finished description of a q model (every subgraph)
 * and its input data from int8 into the same real-valued function in another
 * quantized type, so that one generator per operator covers every quantized type
 * the operator table lists:
 *   UINT8: every per-tensor int8 tensor becomes uint8 with zero point + 128 and
 *     its bytes (constants, inputs) XOR 0x80; the values represent the same reals.
 *     A per-channel int8 tensor has no uint8 form (legacy uint8 is per tensor):
 *     EDGE_EUNSUPPORTED (generators draw per-tensor weights when p->qtype is UINT8).
 *   INT16: every int8 tensor that is not a convolution's weights becomes int16
 *     with zero point 0 and scale / 128, its values (v - zp) * 128 (every int8
 *     real is exactly representable, and the range is twice as wide); the
 *     weights of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV and
 *     UNIDIRECTIONAL_SEQUENCE_LSTM stay int8 (16x8), and their int32 biases become
 *     int64 of scale / 128 and values * 128 (the same reals again).
 * The inputs of a hybrid operator (float32 output, int8 weights) stay as they are
 * (TensorFlow Lite's hybrid kernels take int8 weights only), as do tensors of other
 * types (float32, int32 indices and shapes, bool). Does not own the generators (opgen_*.c) or which
 * operator accepts which type (backends/cpu/optypes.c; tests/models/test_generated.c asks it). */
#include <stdlib.h>
#include <string.h>

#include "opgen_impl.h"
#include "tflite_writer_impl.h"

#define OG_S16_STEP 128 /* int8 step / int16 step of a retyped tensor */

#define BIT(k) (UINT32_C(1) << (k))
#define BITS(lo, hi) ((UINT32_C(1) << ((hi) + 1)) - (UINT32_C(1) << (lo))) /* lo..hi */

/* The inputs of operator CODE that are int8 weights and int32 biases in a 16x8 model (bit k:
 * input k). */
static void weight_inputs(int32_t code, uint32_t *weights, uint32_t *bias)
{
    *weights = *bias = 0;
    switch (code) {
    case EDGE_OP_CONV_2D:
    case EDGE_OP_DEPTHWISE_CONV_2D:
    case EDGE_OP_FULLY_CONNECTED:
        *weights = BIT(1);
        *bias = BIT(2);
        break;
    case EDGE_OP_TRANSPOSE_CONV:
        *weights = BIT(1);
        *bias = BIT(3);
        break;
    case EDGE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM: /* input and recurrent weights; gate biases */
        *weights = BITS(1, 8);
        *bias = BITS(12, 15);
        break;
    default: break;
    }
}

/* What a tensor of a subgraph is to the retyping. */
enum { ROLE_ACT = 0, ROLE_WEIGHTS = 1, ROLE_BIAS = 2, ROLE_HYBRID = 3 };

static void mark_roles(const tfw_writer *w, const wsubgraph *g, uint8_t *role)
{
    for (int32_t i = 0; i < g->n_ops; i++) {
        const woperator *op = &g->ops[i];
        if (op->opcode < 0 || op->opcode >= w->n_opcodes)
            continue;
        uint32_t wm, bm;
        weight_inputs(w->opcodes[op->opcode].code, &wm, &bm);
        for (int k = 0; k < op->n_in && k < 32; k++)
            if (op->in[k] >= 0 && op->in[k] < g->n_tensors && ((wm | bm) & BIT(k)))
                role[op->in[k]] = wm & BIT(k) ? ROLE_WEIGHTS : ROLE_BIAS;
        /* A hybrid operator's weights (constants of a float32 output) are the same in every
         * variant; a graph input of DEQUANTIZE is not a weight. */
        const int32_t o = op->n_out > 0 ? op->out[0] : -1;
        if (o >= 0 && o < g->n_tensors && g->tensors[o].type == EDGE_FLOAT32)
            for (int k = 0; k < op->n_in; k++)
                if (op->in[k] >= 0 && op->in[k] < g->n_tensors && g->tensors[op->in[k]].buffer)
                    role[op->in[k]] = ROLE_HYBRID;
    }
}

/* The constant payload of T (NULL when it has none). */
static wbuffer *payload(tfw_writer *w, const wtensor *t)
{
    if (t->buffer == 0 || (int32_t)t->buffer >= w->n_bufs || !w->bufs[t->buffer].bytes)
        return NULL;
    return &w->bufs[t->buffer];
}

/* int8 values V (N of them, zero point ZP) as int16 (v - zp) * 128 in a new buffer. */
static int16_t *widen_s8(const int8_t *v, size_t n, int64_t zp)
{
    int16_t *o = malloc(n ? n * sizeof *o : 1);
    if (o)
        for (size_t i = 0; i < n; i++)
            o[i] = (int16_t)(((int64_t)v[i] - zp) * OG_S16_STEP);
    return o;
}

static int retype_u8(tfw_writer *w, wtensor *t)
{
    if (t->q_count > 1)
        return EDGE_EUNSUPPORTED; /* per-channel: no uint8 form */
    t->type = EDGE_UINT8;
    if (t->q_count == 1)
        t->zero_points[0] += 128;
    wbuffer *b = payload(w, t);
    if (b)
        for (size_t i = 0; i < b->bytes; i++)
            b->data[i] ^= 0x80;
    return 0;
}

static int retype_s16(tfw_writer *w, wtensor *t)
{
    if (t->q_count != 1)
        return EDGE_EUNSUPPORTED; /* unquantized or per-channel activations */
    const int64_t zp = t->zero_points[0];
    t->type = EDGE_INT16;
    t->scales[0] /= OG_S16_STEP;
    t->zero_points[0] = 0;
    wbuffer *b = payload(w, t);
    if (!b)
        return 0;
    int16_t *o = widen_s8((const int8_t *)b->data, b->bytes, zp);
    if (!o)
        return EDGE_ENOMEM;
    free(b->data);
    b->bytes *= sizeof *o;
    b->data = (uint8_t *)o;
    return 0;
}

/* An int32 bias of scale s_in * s_w whose input became int16: int64, values and scales kept
 * real. */
static int widen_bias(tfw_writer *w, wtensor *t)
{
    for (int32_t k = 0; k < t->q_count; k++)
        t->scales[k] /= OG_S16_STEP;
    t->type = EDGE_INT64;
    wbuffer *b = payload(w, t);
    if (!b)
        return 0;
    const size_t n = b->bytes / sizeof(int32_t);
    int64_t *o = malloc(n ? n * sizeof *o : 1);
    if (!o)
        return EDGE_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int32_t v;
        memcpy(&v, b->data + i * sizeof v, sizeof v);
        o[i] = (int64_t)v * OG_S16_STEP;
    }
    free(b->data);
    b->bytes = n * sizeof *o;
    b->data = (uint8_t *)o;
    return 0;
}

/* Retype subgraph G's tensors; WAS8 (one per tensor) records which were int8, with ZP their
 * zero point. */
static int retype_subgraph(tfw_writer *w, wsubgraph *g, int qtype, bool *was8, int64_t *zp,
                           size_t *retyped)
{
    uint8_t *role = calloc((size_t)g->n_tensors + 1, 1);
    if (!role)
        return EDGE_ENOMEM;
    mark_roles(w, g, role);
    int rc = 0;
    for (int32_t i = 0; i < g->n_tensors && !rc; i++) {
        wtensor *t = &g->tensors[i];
        if (was8) {
            was8[i] = t->type == EDGE_INT8;
            zp[i] = t->q_count == 1 ? t->zero_points[0] : 0;
        }
        if (role[i] == ROLE_HYBRID)
            continue;
        if (qtype == EDGE_UINT8 && t->type == EDGE_INT8)
            rc = retype_u8(w, t), ++*retyped;
        else if (qtype == EDGE_INT16 && t->type == EDGE_INT8 && role[i] != ROLE_WEIGHTS)
            rc = retype_s16(w, t), ++*retyped;
        else if (qtype == EDGE_INT16 && t->type == EDGE_INT32 && role[i] == ROLE_BIAS)
            rc = widen_bias(w, t);
    }
    free(role);
    return rc;
}

/* Input I of the q model (tensor T was int8 with zero point ZP) in QTYPE. */
static int retype_input(og_pair *p, int i, int qtype, int64_t zp)
{
    uint8_t *d = p->data[OG_Q][i];
    const size_t n = p->bytes[OG_Q][i];
    if (qtype == EDGE_UINT8) {
        for (size_t k = 0; k < n; k++)
            d[k] ^= 0x80;
        return 0;
    }
    int16_t *o = widen_s8((const int8_t *)d, n, zp);
    if (!o)
        return EDGE_ENOMEM;
    free(d);
    p->data[OG_Q][i] = (uint8_t *)o;
    p->bytes[OG_Q][i] = n * sizeof *o;
    return 0;
}

int og_retype(og_pair *p)
{
    const int qtype = p->qtype;
    if (qtype == EDGE_INT8)
        return 0;
    if (qtype != EDGE_UINT8 && qtype != EDGE_INT16)
        return EDGE_EINVAL;
    if (qtype == EDGE_INT16 && p->tol_steps_s16 > 0.0f)
        p->tol_steps = p->tol_steps_s16;
    if (qtype == EDGE_INT16 && p->tol_rel_s16 > 0.0f)
        p->tol_rel = p->tol_rel_s16;
    tfw_writer *w = p->w[OG_Q];
    wsubgraph open = tfw__open_subgraph(w);
    /* Subgraph 0 (the one whose inputs p->in names) is the first closed one, or the open one. */
    wsubgraph *main_g = w->n_done > 0 ? &w->done[0] : &open;
    const size_t n = (size_t)main_g->n_tensors + 1;
    bool *was8 = calloc(n, sizeof *was8);
    int64_t *zp = calloc(n, sizeof *zp);
    int rc = was8 && zp ? 0 : EDGE_ENOMEM;
    size_t retyped = 0;
    for (int32_t s = 0; s <= w->n_done && !rc; s++) {
        wsubgraph *g = s < w->n_done ? &w->done[s] : &open;
        rc = retype_subgraph(w, g, qtype, g == main_g ? was8 : NULL, g == main_g ? zp : NULL,
                             &retyped);
    }
    /* No int8 activation to retype: the model would be the int8 case again. A generator that
     * draws the variant's types itself (p->qtype_native) has made its own variant. */
    if (!rc && !retyped && !p->qtype_native)
        rc = EDGE_ENOTFOUND;
    for (int i = 0; i < p->n_in && !rc; i++)
        if (p->in[i] >= 0 && p->in[i] < main_g->n_tensors && was8[p->in[i]] &&
            main_g->tensors[p->in[i]].type != EDGE_INT8)
            rc = retype_input(p, i, qtype, zp[p->in[i]]);
    free(was8);
    free(zp);
    return rc;
}
