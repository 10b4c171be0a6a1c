/* backends/cpu/op_fc_int4.c - int8 FULLY_CONNECTED whose weights stay 4-bit (TFLite's INT4).
 *
 * Owns: choosing the fc_int4 kernel of the model's level (the portable one where the level has
 * none: scalar, ARM), packing the file's nibble stream for it at prepare (kernels/fc_int4.h:
 * 16-channel blocks of nibbles, half the bytes of the int8 packing), counting the node as a
 * direct reader of the tensor (runtime/interp/prepare.c then frees the loader's int8 copy when
 * every reader is one), and eval: tasks over blocks of channels (every row in each; at batch 1
 * the channels are the only work to split), each copying the row into its thread's scratch
 * with zeros up to kc. Taken for int8 activations, constant weights (and bias) and up to
 * FC_INT4_MAX_ROWS rows: each row streams all the weights (a GEMV), so larger batches keep the
 * int8 GEMM. Does not own validation or quantization (op_fc.c). */
#include "op_fc_int4.h"

#include <string.h>

#include "dispatch.h"
#include "fc_int4.h"

#define FC_INT4_MAX_ROWS 8
#define HDR_BYTES ((sizeof(fc_int4_hdr) + 63) & ~(size_t)63)

typedef struct fc_int4_hdr {
    edge_qs8_fc_int4_fn fn;
    edge_qs8_out o;
    size_t rows, n, depth, kc;
    size_t chunk, n_tasks; /* channels a task (a multiple of 16) */
    void *const *data;     /* the node's packed_data (the cache may move it) */
} fc_int4_hdr;

int edge_fc_int4_prepare(edge_prep *p, edge_node *n, const edge_fc_params *k)
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
    h->o = (edge_qs8_out){k->output_offset, k->act_min, k->act_max};
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
    n->scratch_bytes = h->kc;
    if (!edge_op_packed_done(n))
        edge_qs8_fc_int4_pack(units, depth, w->nibbles, bias ? bias->data : NULL, k->mult, k->shift,
                              k->input_offset, n->packed_data);
    if (n->claim < 0) /* a back end reading the tensor needs its int8 copy */
        w->int4_direct++;
    return 1;
}

typedef struct fc_int4_job {
    const fc_int4_hdr *h;
    const int8_t *in;
    int8_t *out;
    char *scratch;
    size_t stride;
} fc_int4_job;

static void fc_int4_task(void *ctx, size_t task, unsigned thread)
{
    const fc_int4_job *j = ctx;
    const fc_int4_hdr *h = j->h;
    const size_t c0 = task * h->chunk, nc = h->n - c0 < h->chunk ? h->n - c0 : h->chunk;
    int8_t *x = (int8_t *)(j->scratch + (size_t)thread * j->stride);
    const uint8_t *w =
        (const uint8_t *)*h->data + c0 / EDGE_FC_INT4_NR * edge_fc_int4_block_bytes(h->kc);
    for (size_t r = 0; r < h->rows; r++) {
        memcpy(x, j->in + r * h->depth, h->depth);
        memset(x + h->depth, 0, h->kc - h->depth);
        h->fn(nc, h->kc, x, w, j->out + r * h->n + c0, &h->o);
    }
}

void edge_fc_int4_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const fc_int4_hdr *h = n->packed;
    fc_int4_job j = {h, t[n->in[0]], t[n->out[0]], scratch, edge_op_scratch_stride(n)};
    edge_exec_parallel(ex, h->n_tasks, fc_int4_task, &j);
}
