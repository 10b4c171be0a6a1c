/* backends/cpu/op_fc_int4.c - FULLY_CONNECTED whose weights stay 4-bit (TFLite's INT4).
 *
 * Owns: choosing the fc_int4 kernel of the model's level (the portable one where the level has
 * none: scalar, ARM), packing the file's nibble stream for it at prepare (kernels/fc_int4.h:
 * 16-channel blocks of nibbles, half the bytes of the int8 packing), counting the node as a
 * direct reader of the tensor (runtime/interp/prepare.c then frees the loader's int8 copy when
 * every reader is one), and eval: tasks over blocks of channels (every row in each; at batch 1
 * the channels are the only work to split), each copying the row into its thread's scratch
 * with zeros up to kc. Taken for constant weights (and bias) and up to FC_INT4_MAX_ROWS rows:
 * each row streams all the weights (a GEMV), so larger batches keep the other paths.
 *   int8 activations: the kernel requantizes (the input offset folded into the bias).
 *   hybrid (float32 activations): each task quantizes the row as the reference does
 *   (edge_ref_quantize_row: Q, ZP, SCALE), the kernel gives the int32 sums of Q * w (packed with
 *   input offset 1 and no bias, so a block's bias' is sum_k w), the sums less (1 + ZP) * sum_k w
 *   are the reference's sum (Q - ZP) * w, and edge_hybrid_finish ends as the reference does.
 * Does not own validation or quantization (op_fc.c). */
#include "op_fc_int4.h"

#include <string.h>

#include "dispatch.h"
#include "fc_int4.h"
#include "hybrid_fast.h"

#define FC_INT4_MAX_ROWS 8
#define HDR_BYTES ((sizeof(fc_int4_hdr) + 63) & ~(size_t)63)

typedef struct fc_int4_hdr {
    edge_qs8_fc_int4_fn fn;
    edge_qs8_out o;
    size_t rows, n, depth, kc;
    size_t chunk, n_tasks; /* channels a task (a multiple of 16) */
    void *const *data;     /* the node's packed_data (the cache may move it) */
    bool hybrid;
    edge_hybrid_params h; /* hybrid: the weights' scales, the input quantization */
    const float *bias;    /* hybrid: the float bias or NULL */
    float lo, hi;         /* hybrid: the activation's clamp */
} fc_int4_hdr;

int edge_fc_int4_prepare(edge_prep *p, edge_node *n, const edge_fc_params *k,
                         const edge_hybrid_params *hy)
{
    edge_tensor *w = &p->m->tensors[n->in[1]];
    const edge_tensor *bias = n->n_in > 2 && n->in[2] >= 0 ? &p->m->tensors[n->in[2]] : NULL;
    const size_t units = (size_t)k->units, depth = (size_t)k->depth;
    const size_t bytes = edge_fc_int4_packed_bytes(units, depth);
    if (!w->int4 || !w->nibbles || k->filter_offset != 0 || (bias && !bias->data) || !bytes ||
        k->batches > FC_INT4_MAX_ROWS)
        return 0;
    const edge_kernels *kt = edge_op_kernels(p);
    const bool own = kt && kt->fc_int4.fn;
    fc_int4_hdr *h =
        edge_op_alloc_packed(p, n, HDR_BYTES, bytes, own ? kt->fc_int4.name : "qs8_fc_int4__c");
    if (!h)
        return EDGE_ENOMEM;
    h->fn = own ? kt->fc_int4.fn : edge_qs8_fc_int4__c;
    h->rows = (size_t)k->batches;
    h->n = units;
    h->depth = depth;
    h->kc = edge_fc_int4_kc(depth);
    h->data = &n->packed_data;
    const size_t blocks = (units + EDGE_FC_INT4_NR - 1) / EDGE_FC_INT4_NR;
    const size_t threads = p->m->threads > 1 ? p->m->threads : 1;
    const size_t per = (blocks + threads - 1) / threads;
    h->chunk = per * EDGE_FC_INT4_NR;
    h->n_tasks = (units + h->chunk - 1) / h->chunk;
    h->hybrid = hy != NULL;
    if (hy) {
        h->h = *hy;
        h->bias = bias ? bias->data : NULL;
        h->lo = k->act_min_f, h->hi = k->act_max_f;
        n->scratch_bytes = h->kc + h->chunk * sizeof(int32_t);
        if (!edge_op_packed_done(n))
            edge_qs8_fc_int4_pack(units, depth, w->nibbles, NULL, NULL, NULL, 1, n->packed_data);
    } else {
        h->o = (edge_qs8_out){k->output_offset, k->act_min, k->act_max};
        n->scratch_bytes = h->kc;
        if (!edge_op_packed_done(n))
            edge_qs8_fc_int4_pack(units, depth, w->nibbles, bias ? bias->data : NULL, k->mult,
                                  k->shift, k->input_offset, n->packed_data);
    }
    return 1;
}

typedef struct fc_int4_job {
    const fc_int4_hdr *h;
    const void *in;
    void *out;
    char *scratch;
    size_t stride;
} fc_int4_job;

/* Hybrid rows of channels [C0, C0 + NC) (blocks at W) with the thread's scratch X, ACC. */
static void hybrid_rows(const fc_int4_job *j, size_t c0, size_t nc, const uint8_t *w, int8_t *x,
                        int32_t *acc)
{
    const fc_int4_hdr *h = j->h;
    const size_t bb = edge_fc_int4_block_bytes(h->kc);
    edge_hybrid_params hc = h->h;
    if (hc.scale_count > 1)
        hc.w_scale += c0;
    for (size_t r = 0; r < h->rows; r++) {
        float scale;
        int32_t zp;
        edge_ref_quantize_row(hc.asymmetric, (const float *)j->in + r * h->depth, h->depth, x,
                              &scale, &zp);
        memset(x + h->depth, 0, h->kc - h->depth);
        h->fn(nc, h->kc, x, w, NULL, acc, NULL);
        const uint32_t f = 1u + (uint32_t)zp;
        for (size_t i = 0; i < nc; i++) { /* sum_k w: the block's bias' (packed so) */
            int32_t sw;
            memcpy(&sw, w + i / EDGE_FC_INT4_NR * bb + i % EDGE_FC_INT4_NR * sizeof sw, sizeof sw);
            acc[i] = (int32_t)((uint32_t)acc[i] - f * (uint32_t)sw);
        }
        edge_hybrid_finish(nc, &hc, EDGE_HYBRID_ORDER_SCALE_FIRST, scale,
                           h->bias ? h->bias + c0 : NULL, h->lo, h->hi, (const uint32_t *)acc,
                           (float *)j->out + r * h->n + c0);
    }
}

static void fc_int4_task(void *ctx, size_t task, unsigned thread)
{
    const fc_int4_job *j = ctx;
    const fc_int4_hdr *h = j->h;
    const size_t c0 = task * h->chunk, nc = h->n - c0 < h->chunk ? h->n - c0 : h->chunk;
    char *s = j->scratch + (size_t)thread * j->stride;
    int8_t *x = (int8_t *)s;
    const uint8_t *w =
        (const uint8_t *)*h->data + c0 / EDGE_FC_INT4_NR * edge_fc_int4_block_bytes(h->kc);
    if (h->hybrid) {
        hybrid_rows(j, c0, nc, w, x, (int32_t *)(s + (h->kc + 3) / 4 * 4));
        return;
    }
    for (size_t r = 0; r < h->rows; r++) {
        memcpy(x, (const int8_t *)j->in + r * h->depth, h->depth);
        memset(x + h->depth, 0, h->kc - h->depth);
        h->fn(nc, h->kc, x, w, (int8_t *)j->out + r * h->n + c0, NULL, &h->o);
    }
}

void edge_fc_int4_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const fc_int4_hdr *h = n->packed;
    fc_int4_job j = {h, t[n->in[0]], t[n->out[0]], scratch, edge_op_scratch_stride(n)};
    edge_exec_parallel(ex, h->n_tasks, fc_int4_task, &j);
}
