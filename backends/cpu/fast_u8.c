/* backends/cpu/fast_u8.c - legacy uint8 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED on the
 * packed int8 paths.
 *
 * Owns: what fast_u8.h declares: the int8 view of a uint8 node (offsets, clamp range and
 * weights, see fast_u8.h for the arithmetic), handed to fast_ops.c's int8 prepare, the uint8
 * GEMM and depthwise drivers, the uint8 direct convolution's weights (fast_ops.c packs and runs
 * it), and the activation flips around the int8 eval (edge_fast_flip). Does not own the
 * drivers or kernels (fast_ops.c, kernels/) or validation (op_conv.c, op_dwconv.c, op_fc.c run
 * first). */
#include "fast_u8.h"

#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "fast_ops.h"
#include "pack.h"

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

/* The first word of this file's packed headers: where a node's path is not at hand (the
 * pointwise fusion, the row chains), it tells them from fast_ops.c's, whose first word is their
 * kind (a small number). */
#define U8_GEMM_TAG 0x4d473855u /* "U8GM" */
#define U8_DW_TAG 0x57443855u   /* "U8DW" */

/* The first word of N's packed header, 0 when it has none. */
static uint32_t packed_tag(const edge_node *n)
{
    return n->packed ? *(const uint32_t *)n->packed : 0;
}

/* ---- EDGE_U8_ROWS: the uint8 GEMM kernel with per-row addends ---- */

/* N's packed data on the rows path: this header (64-byte multiple), then the packed weights. */
typedef struct u8_gemm {
    uint32_t tag; /* U8_GEMM_TAG */
    const edge_kernels *k;
    edge_conv_params g; /* geometry; FULLY_CONNECTED as a 1x1 convolution */
    edge_qs8_out o;     /* uint8 domain */
    bool direct;        /* A rows are the input's pixels (no window to gather) */
    size_t rows, n, kdepth, kc, chunk, n_tasks;
    int32_t b;   /* 128 - zw: the weights' offset from w ^ 0x80 */
    int32_t kzx; /* kdepth * zx (wrapping) */
    uint8_t zx;
} u8_gemm;

#define U8_HDR ((sizeof(u8_gemm) + 63) & ~(size_t)63)

/* W's uint8 weights as int8 (w ^ 0x80: the int8 kernels' form), malloc'd; NULL with P's
 * error when out of memory. */
static int8_t *flip_weights(edge_prep *p, const edge_tensor *w)
{
    int8_t *flipped = malloc(w->count);
    if (!flipped) {
        edge_op_fail(p, EDGE_ENOMEM, "cannot allocate %zu bytes", w->count);
        return NULL;
    }
    const uint8_t *wu = w->data;
    for (size_t i = 0; i < w->count; i++)
        flipped[i] = (int8_t)(wu[i] ^ 0x80);
    return flipped;
}

/* Pack N (weights [out_c][kdepth] uint8 with zero point zw = -K->filter_offset) for the
 * table's uint8 GEMM: 1, 0 when it has none or the node is too large, EDGE_ENOMEM. */
static int rows_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k)
{
    const edge_kernels *kt = edge_op_kernels(p);
    const edge_tensor *w = edge_op_input(p, n, 1), *bias = edge_op_input(p, n, 2);
    if (!kt || !kt->gemm_u8.fn || !w->data || (bias && !bias->data))
        return 0;
    const size_t nr = kt->gemm_u8.nr, kr = kt->gemm_u8.kr, mr = kt->gemm_u8.mr;
    const size_t ch = (size_t)k->out_c;
    const size_t depth = (size_t)k->k_h * (size_t)k->k_w * (size_t)k->in_c;
    const size_t kc = edge_qs8_gemm_kc(depth, kr);
    const size_t wbytes = edge_qs8_gemm_packed_bytes(ch, depth, nr, kr);
    if (!wbytes || kc > ((size_t)1 << 24))
        return 0;
    u8_gemm *h = edge_op_alloc_packed(p, n, U8_HDR, wbytes, kt->gemm_u8.name);
    if (!h)
        return EDGE_ENOMEM;
    if (!edge_op_packed_done(n)) {
        int8_t *flipped = flip_weights(p, w);
        if (!flipped)
            return EDGE_ENOMEM;
        edge_qs8_gemm_pack(ch, depth, nr, kr, flipped, bias ? bias->data : NULL, k->mult, k->shift,
                           k->input_offset + 128, 128, n->packed_data);
        free(flipped);
    }
    h->tag = U8_GEMM_TAG;
    h->k = kt;
    h->g = *k;
    h->o = (edge_qs8_out){k->output_offset, k->act_min, k->act_max};
    h->direct = k->k_h == 1 && k->k_w == 1 && k->stride_h == 1 && k->stride_w == 1 &&
                k->pad_h == 0 && k->pad_w == 0 && k->out_h == k->in_h && k->out_w == k->in_w &&
                kc == depth;
    h->rows = (size_t)k->batches * (size_t)k->out_h * (size_t)k->out_w;
    h->n = ch;
    h->kdepth = depth;
    h->kc = kc;
    h->b = 128 + k->filter_offset;
    h->zx = (uint8_t)(-k->input_offset);
    h->kzx = (int32_t)((uint32_t)depth * h->zx);
    const size_t threads = p->m->threads;
    h->chunk = (h->rows + threads * 4 - 1) / (threads * 4);
    h->chunk = (h->chunk + mr - 1) / mr * mr;
    h->n_tasks = (h->rows + h->chunk - 1) / h->chunk;
    n->scratch_bytes = h->direct ? 0 : mr * kc;
    return 1;
}

/* ---- EDGE_U8_DCONV: the uint8 direct convolution of 1 to 4 input channels ---- */

/* N (a first layer: 1 to 4 input channels, no dilation) on the table's uint8 direct kernel,
 * packed and run by fast_ops.c from the weights w ^ 0x80: 1, 0 when it does not apply,
 * EDGE_ENOMEM. */
static int dconv_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k)
{
    const edge_kernels *kt = edge_op_kernels(p);
    const edge_tensor *w = edge_op_input(p, n, 1), *bias = edge_op_input(p, n, 2);
    if (!kt || !kt->dconv_u8.fn || !w->data || (bias && !bias->data))
        return 0;
    int8_t *flipped = flip_weights(p, w);
    if (!flipped)
        return EDGE_ENOMEM;
    const int rc = edge_fast_dconv_u8_prepare(p, n, k, flipped);
    free(flipped);
    return rc;
}

/* ---- EDGE_U8_DW: the uint8 depthwise kernel ---- */

/* N's packed data on the depthwise path: this header (64-byte multiple), then the weights. */
typedef struct u8_dw {
    uint32_t tag; /* U8_DW_TAG */
    const edge_kernels *k;
    edge_conv_params g;
    edge_qs8_out o; /* uint8 domain */
    int32_t zx, mult, shift;
    size_t rows, n_tasks;
} u8_dw;

#define DW_HDR ((sizeof(u8_dw) + 63) & ~(size_t)63)

/* Pack N for the table's uint8 depthwise kernel (depth multiplier 1, one multiplier for all
 * channels): 1, 0 when it does not apply, EDGE_ENOMEM. */
static int dw_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k)
{
    const edge_kernels *kt = edge_op_kernels(p);
    const edge_tensor *w = edge_op_input(p, n, 1), *bias = edge_op_input(p, n, 2);
    if (!kt || !kt->dw_u8.fn || k->depth_mult != 1 || !w->data || (bias && !bias->data))
        return 0;
    for (int32_t c = 1; c < k->out_c; c++)
        if (k->mult[c] != k->mult[0] || k->shift[c] != k->shift[0])
            return 0;
    const size_t ch = (size_t)k->out_c, taps = (size_t)k->k_h * (size_t)k->k_w;
    const size_t wbytes = edge_qs8_dw_u8_packed_bytes(ch, taps);
    if (!wbytes)
        return 0;
    u8_dw *h = edge_op_alloc_packed(p, n, DW_HDR, wbytes, kt->dw_u8.name);
    if (!h)
        return EDGE_ENOMEM;
    if (!edge_op_packed_done(n))
        edge_qs8_dw_u8_pack(ch, taps, w->data, -k->filter_offset, -k->input_offset,
                            bias ? bias->data : NULL, n->packed_data);
    h->tag = U8_DW_TAG;
    h->k = kt;
    h->g = *k;
    h->o = (edge_qs8_out){k->output_offset, k->act_min, k->act_max};
    h->zx = -k->input_offset;
    h->mult = k->mult[0];
    h->shift = k->shift[0];
    h->rows = (size_t)k->batches * (size_t)k->out_h;
    h->n_tasks = h->rows < (size_t)p->m->threads * 4 ? h->rows : (size_t)p->m->threads * 4;
    return 1;
}

/* Pixels [M0, M1) of direct GEMM node H (weights W): A rows IN (pixel 0's first), C rows OUT
 * likewise; one call on the rows form where the table has one, else one a tile. */
static void gemm_direct(const u8_gemm *h, const void *w, const uint8_t *in, uint8_t *out, size_t m0,
                        size_t m1)
{
    if (m1 <= m0)
        return;
    if (h->k->gemm_u8.rows) {
        h->k->gemm_u8.rows(m1 - m0, h->n, h->kc, in + m0 * h->kdepth, h->kc, w, h->b, h->kzx,
                           out + m0 * h->n, h->n, &h->o);
        return;
    }
    const size_t mr = h->k->gemm_u8.mr;
    for (size_t m = m0; m < m1; m += mr)
        h->k->gemm_u8.fn(m1 - m < mr ? m1 - m : mr, h->n, h->kc, in + m * h->kdepth, h->kc, w, h->b,
                         h->kzx, out + m * h->n, h->n, &h->o);
}

/* N's header on the depthwise path, else NULL. */
static const u8_dw *dw_of(const edge_node *n)
{
    return n->code == EDGE_OP_DEPTHWISE_CONV_2D && packed_tag(n) == U8_DW_TAG ? n->packed : NULL;
}

/* N's header on the rows path, else NULL. */
static const u8_gemm *gemm_of(const edge_node *n)
{
    return n->code == EDGE_OP_CONV_2D && packed_tag(n) == U8_GEMM_TAG ? n->packed : NULL;
}

/* One invoke of a depthwise node: its header and kernel arguments, and the pointwise node
 * fused into it (P NULL: none), whose weights are PW_W and output PW_OUT. */
typedef struct dw_job {
    const u8_dw *h;
    edge_qs8_dw_u8_args a;
    const u8_gemm *p;
    const void *pw_w;
    uint8_t *pw_out;
} dw_job;

static dw_job dw_job_of(const edge_node *n, void *const *t)
{
    const u8_dw *h = n->packed;
    dw_job j = {h,
                {&h->g, t[n->in[0]], n->packed_data, t[n->out[0]], h->zx, h->mult, h->shift, h->o},
                NULL,
                NULL,
                NULL};
    if (n->pw) {
        j.p = n->pw->packed;
        j.pw_w = n->pw->packed_data;
        j.pw_out = t[n->pw->out[0]];
    }
    return j;
}

/* Output rows [R0, R1) of J's depthwise node, then, fused, the pointwise GEMM over their pixels
 * a block at a time, while the block is in the core's L1 (as fast_ops.c's int8 pairs). */
static void dw_rows(const dw_job *j, size_t r0, size_t r1)
{
    if (!j->p) {
        j->h->k->dw_u8.fn(&j->a, (int32_t)r0, (int32_t)r1);
        return;
    }
    const size_t w = (size_t)j->h->g.out_w, row = w * (size_t)j->h->g.out_c;
    const size_t block = EDGE_PW_BLOCK_BYTES / row ? EDGE_PW_BLOCK_BYTES / row : 1;
    for (size_t a = r0; a < r1; a += block) {
        const size_t b = r1 - a < block ? r1 : a + block;
        j->h->k->dw_u8.fn(&j->a, (int32_t)a, (int32_t)b);
        gemm_direct(j->p, j->pw_w, j->a.out, j->pw_out, a * w, b * w);
    }
}

/* Task I of N over the depthwise kernel: rows [rows * I / N, rows * (I + 1) / N). */
static void dw_task(void *ctx, size_t i, unsigned thread)
{
    (void)thread;
    const dw_job *j = ctx;
    const size_t rows = j->h->rows, n = j->h->n_tasks;
    dw_rows(j, rows * i / n, rows * (i + 1) / n);
}

static void dw_eval(const edge_node *n, void *const *t, edge_exec *ex)
{
    const dw_job j = dw_job_of(n, t);
    edge_exec_parallel(ex, j.h->n_tasks, dw_task, (void *)&j);
}

bool edge_u8_pw_fuse(edge_node *d, const edge_node *p, unsigned threads)
{
    u8_dw *hd = (u8_dw *)dw_of(d);
    const u8_gemm *hp = gemm_of(p);
    if (!hd || !hp || d->out_lut || p->out_lut || !hp->direct)
        return false;
    const edge_conv_params *a = &hd->g, *b = &hp->g;
    if (b->batches != a->batches || b->in_h != a->out_h || b->in_w != a->out_w ||
        b->in_c != a->out_c)
        return false;
    if (threads > 1) {
        /* each task's rows at least two GEMM tiles of pixels, as fast_ops.c's int8 pairs */
        const size_t w = (size_t)a->out_w, mr = hp->k->gemm_u8.mr;
        const size_t least = (2 * mr + w - 1) / w;
        if (hd->rows / threads < least)
            return false;
        if (hd->n_tasks > hd->rows / least)
            hd->n_tasks = hd->rows / least;
    }
    return true;
}

bool edge_u8_rows_geom(const edge_node *n, edge_rows_geom *g)
{
    const u8_dw *h = dw_of(n);
    if (!h || h->g.batches != 1)
        return false;
    /* on whole blocks of 64 channels no level's kernel reads past a pixel's channels (avx2
     * and NEON load 16 at a time, or copy a partial block first, avx512vnni masks); its
     * paths of 8, 16 and 32 channels load 64 bytes a column and avx2's of 8 a ymm of two
     * pixels, so those count the row past as read (TSan saw no race without it at the
     * shapes test_chain.c runs: kept as the int8 kernels' rule, a row's wait at most). No
     * uint8 path takes a fused table (fast_ops.c takes_lut): the last node's output is read. */
    *g = edge_fast_conv_rows_geom(n, &h->g, h->g.in_c % 64 == 0 ? 0 : EDGE_ROWS_OVERREAD);
    return true;
}

bool edge_u8_rows(const edge_node *n, void *const *t, size_t r0, size_t r1)
{
    if (!dw_of(n))
        return false;
    const dw_job j = dw_job_of(n, t);
    dw_rows(&j, r0, r1);
    return true;
}

/* Whether moving the output zero point by -128 keeps the reference's wrapping add: the
 * requantized accumulator stays 512 away from the int32 ends when no multiplier of K scales
 * up (shift <= 0) and each is at most 2^31 - 512 (real models' multipliers are below 1). */
static bool zp_shift_exact(const edge_conv_params *k)
{
    for (int32_t c = 0; c < k->out_c; c++)
        if (k->shift[c] > 0 || k->mult[c] > INT32_MAX - 512)
            return false;
    return true;
}

/* A path for N: 1 (EDGE_U8_FLIP) when the weights fit int8, else with USE_ROWS 4
 * (EDGE_U8_DCONV) for a CONV_2D of 1 to 4 input channels when the table has the uint8 direct
 * kernel or 2 (EDGE_U8_ROWS) when it has the uint8 GEMM, with USE_DW 3 (EDGE_U8_DW) when it
 * has the uint8 depthwise; else 0; or a negative error. */
static int u8_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k, bool use_rows,
                      bool use_dw, edge_u8_conv_prepare_fn fast)
{
    u8_weights w = {0};
    int rc = zp_shift_exact(k) ? u8_weights_begin(p, n, k->filter_offset, &w) : 0;
    if (rc < 0)
        return rc;
    if (rc > 0) {
        edge_conv_params s8 = *k;
        U8_AS_S8(s8);
        rc = fast(p, n, &s8);
        u8_weights_end(&w);
        /* no fused table (fold_silu.c): the eval flips back the node's own output, and a table
         * looked up on the int8 kernels' flipped bytes wrote every SiLU output wrong */
        if (rc > 0)
            n->takes_lut = false;
        if (rc)
            return rc < 0 ? rc : EDGE_U8_FLIP;
    }
    if (use_dw) {
        rc = dw_prepare(p, n, k);
        return rc <= 0 ? rc : EDGE_U8_DW;
    }
    if (!use_rows)
        return 0;
    if (fast == edge_fast_conv_prepare && k->in_c <= 4) {
        rc = dconv_prepare(p, n, k);
        if (rc)
            return rc < 0 ? rc : EDGE_U8_DCONV;
    }
    rc = rows_prepare(p, n, k);
    return rc <= 0 ? rc : EDGE_U8_ROWS;
}

int edge_u8_conv_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k,
                         edge_u8_conv_prepare_fn fast)
{
    return u8_prepare(p, n, k, fast == edge_fast_conv_prepare, fast == edge_fast_dw_prepare, fast);
}

/* The requantization fields edge_conv_params and edge_fc_params share, from SRC into DST. */
#define U8_COPY_QUANT(dst, src)                                                                   \
    ((dst).mult = (src).mult, (dst).shift = (src).shift, (dst).input_offset = (src).input_offset, \
     (dst).filter_offset = (src).filter_offset, (dst).output_offset = (src).output_offset,        \
     (dst).act_min = (src).act_min, (dst).act_max = (src).act_max)

/* FULLY_CONNECTED's int8 prepare in the shape of a convolution's (K as a 1x1 convolution). */
static int fc_as_conv(edge_prep *p, edge_node *n, const edge_conv_params *k)
{
    edge_fc_params fc = {.batches = k->in_w, .depth = k->in_c, .units = k->out_c};
    U8_COPY_QUANT(fc, *k);
    return edge_fast_fc_prepare(p, n, &fc);
}

int edge_u8_fc_prepare(edge_prep *p, edge_node *n, const edge_fc_params *k)
{
    /* BATCHES rows of DEPTH channels: one image row of width BATCHES, 1x1 windows */
    edge_conv_params g = {.batches = 1, .in_h = 1, .out_h = 1, .k_h = 1, .k_w = 1};
    g.in_w = g.out_w = k->batches;
    g.in_c = k->depth;
    g.out_c = k->units;
    g.stride_h = g.stride_w = g.dil_h = g.dil_w = g.depth_mult = 1;
    U8_COPY_QUANT(g, *k);
    return u8_prepare(p, n, &g, true, false, fc_as_conv);
}

/* One invoke of a rows node: its packed header, tensors and scratch. */
typedef struct rows_job {
    const edge_node *n;
    void *const *t;
    uint8_t *scratch;
} rows_job;

static void rows_task(void *ctx, size_t task, unsigned thread)
{
    const rows_job *j = ctx;
    const u8_gemm *h = j->n->packed;
    const uint8_t *in = j->t[j->n->in[0]];
    uint8_t *out = j->t[j->n->out[0]];
    const size_t mr = h->k->gemm_u8.mr;
    uint8_t *buf = h->direct ? NULL : j->scratch + (size_t)thread * edge_op_scratch_stride(j->n);
    const size_t m0 = task * h->chunk, m1 = m0 + h->chunk < h->rows ? m0 + h->chunk : h->rows;
    const void *w = j->n->packed_data;
    if (h->direct) { /* the rows as they lie */
        gemm_direct(h, w, in, out, m0, m1);
        return;
    }
    for (size_t m = m0; m < m1; m += mr) {
        const size_t rows = m1 - m < mr ? m1 - m : mr;
        for (size_t r = 0; r < rows; r++)
            edge_fast_im2col_row(&h->g, (int8_t)h->zx, h->kc, (const int8_t *)in, m + r,
                                 (int8_t *)(buf + r * h->kc));
        h->k->gemm_u8.fn(rows, h->n, h->kc, buf, h->kc, w, h->b, h->kzx, out + m * h->n, h->n,
                         &h->o);
    }
}

static void rows_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    rows_job j = {n, t, scratch};
    edge_exec_parallel(ex, ((const u8_gemm *)n->packed)->n_tasks, rows_task, &j);
}

void edge_u8_eval(int path, edge_eval_fn fast, size_t in_count, size_t out_count,
                  const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    if (path == EDGE_U8_ROWS) {
        rows_eval(n, t, scratch, ex);
        return;
    }
    if (path == EDGE_U8_DW) {
        dw_eval(n, t, ex);
        return;
    }
    if (path == EDGE_U8_DCONV) {
        edge_fast_conv_eval(n, t, scratch, ex);
        return;
    }
    uint8_t *in = t[n->in[0]], *out = t[n->out[0]];
    edge_fast_flip(ex, in, in_count, NULL, 0);
    fast(n, t, scratch, ex);
    edge_fast_flip(ex, in, in_count, out, out_count);
}
