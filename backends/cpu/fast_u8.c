/* backends/cpu/fast_u8.c - legacy uint8 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED on the
 * packed int8 paths.
 *
 * Owns: what fast_u8.h declares: the int8 view of a uint8 node (offsets, clamp range and
 * weights, see fast_u8.h for the arithmetic), handed to fast_ops.c's int8 prepare, and the
 * activation flips around its int8 eval. Does not own the drivers or kernels (fast_ops.c,
 * kernels/) or validation (op_conv.c, op_dwconv.c, op_fc.c run first). */
#include "fast_u8.h"

#include <stdlib.h>
#include <string.h>

#include "fast_ops.h"

/* The int8 view of uint8 quantization parameters K (edge_conv_params or edge_fc_params): the
 * activations are flipped (x ^ 0x80 = x - 128) and the weights hold w_u - zw already. */
#define U8_AS_S8(k)                                                                                \
    ((k).input_offset += 128, (k).filter_offset = 0, (k).output_offset -= 128, (k).act_min -= 128, \
     (k).act_max -= 128)

/* Node N's weights lent to the int8 prepare as int8 values w_u + FILTER_OFFSET. */
typedef struct u8_weights {
    edge_tensor *t;
    const void *saved;
    int8_t *s8;
} u8_weights;

/* 1 with W's tensor pointing at int8 weights (u8_weights_end restores it), 0 when N does not
 * qualify (a constant input: eval flips it in place; or a weight outside the int8 range),
 * EDGE_ENOMEM. The input and the weights are uint8 (op_conv.c checked the types). */
static int u8_weights_begin(edge_prep *p, edge_node *n, int32_t filter_offset, u8_weights *w)
{
    const edge_tensor *in = edge_op_input(p, n, 0);
    w->t = edge_op_input(p, n, 1);
    if (in->data || !w->t->data)
        return 0;
    const uint8_t *src = w->t->data;
    for (size_t i = 0; i < w->t->count; i++) {
        const int32_t v = (int32_t)src[i] + filter_offset;
        if (v < -128 || v > 127)
            return 0;
    }
    w->s8 = malloc(w->t->count);
    if (!w->s8)
        return edge_op_fail(p, EDGE_ENOMEM, "cannot allocate %zu bytes", w->t->count);
    for (size_t i = 0; i < w->t->count; i++)
        w->s8[i] = (int8_t)((int32_t)src[i] + filter_offset);
    w->saved = w->t->data;
    w->t->data = w->s8;
    return 1;
}

static void u8_weights_end(u8_weights *w)
{
    w->t->data = w->saved;
    free(w->s8);
}

int edge_u8_conv_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k,
                         edge_u8_conv_prepare_fn fast)
{
    u8_weights w;
    int rc = u8_weights_begin(p, n, k->filter_offset, &w);
    if (rc <= 0)
        return rc;
    edge_conv_params s8 = *k;
    U8_AS_S8(s8);
    rc = fast(p, n, &s8);
    u8_weights_end(&w);
    return rc;
}

int edge_u8_fc_prepare(edge_prep *p, edge_node *n, const edge_fc_params *k)
{
    u8_weights w;
    int rc = u8_weights_begin(p, n, k->filter_offset, &w);
    if (rc <= 0)
        return rc;
    edge_fc_params s8 = *k;
    U8_AS_S8(s8);
    rc = edge_fast_fc_prepare(p, n, &s8);
    u8_weights_end(&w);
    return rc;
}

/* ---- eval: flips of whole tensors, in tasks of FLIP_TASK bytes ---- */

#define FLIP_TASK 32768

typedef struct flip_job {
    uint8_t *a, *b; /* flipped in turn: tasks over a, then over b */
    size_t a_n, b_n, a_tasks;
} flip_job;

static void flip_bytes(uint8_t *x, size_t n)
{
    const uint64_t m = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, x + i, 8);
        v ^= m;
        memcpy(x + i, &v, 8);
    }
    for (; i < n; i++)
        x[i] ^= 0x80;
}

static void flip_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const flip_job *j = ctx;
    uint8_t *x = j->a;
    size_t n = j->a_n;
    if (task >= j->a_tasks) {
        task -= j->a_tasks;
        x = j->b;
        n = j->b_n;
    }
    const size_t i0 = task * FLIP_TASK;
    flip_bytes(x + i0, n - i0 < FLIP_TASK ? n - i0 : FLIP_TASK);
}

/* A ^= 0x80 over A_N bytes and B likewise (B may be NULL with B_N 0). */
static void flip2(edge_exec *ex, uint8_t *a, size_t a_n, uint8_t *b, size_t b_n)
{
    const size_t at = (a_n + FLIP_TASK - 1) / FLIP_TASK, bt = (b_n + FLIP_TASK - 1) / FLIP_TASK;
    flip_job j = {a, b, a_n, b_n, at};
    edge_exec_parallel(ex, at + bt, flip_task, &j);
}

void edge_u8_eval(edge_eval_fn fast, size_t in_count, size_t out_count, const edge_node *n,
                  void *const *t, void *scratch, edge_exec *ex)
{
    uint8_t *in = t[n->in[0]], *out = t[n->out[0]];
    flip2(ex, in, in_count, NULL, 0);
    fast(n, t, scratch, ex);
    flip2(ex, in, in_count, out, out_count);
}
