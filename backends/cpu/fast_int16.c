/* backends/cpu/fast_int16.c - 16x8 CONV_2D, TRANSPOSE_CONV and FULLY_CONNECTED on the level's
 * dot product.
 *
 * Owns: the drivers of fast_int16.h. TensorFlow Lite's 16x8 kernels (kernels/ref/int16.c,
 * tconv.c) sum int16 x int8 products into an int64, wrapping, which is the same int64 in any
 * order; here those sums are dot products of contiguous runs (kernels/dot16.h), then the
 * reference's own output stage (EDGE_OUTPUT_STAGE64). CONV_2D gathers each output pixel's
 * window into a patch (taps in the padding as zeros, which add nothing, as the reference's
 * skipped taps) laid out as the OHWI weights of one output channel, so a channel is one dot
 * product of the whole window. TRANSPOSE_CONV gathers too: an output pixel takes, from every
 * input pixel whose scatter reaches it, the dot product of that pixel's channels with the
 * weights of the tap that lands on it. Output pixels are split over the interpreter's threads,
 * each with its own scratch. int8 TRANSPOSE_CONV runs on the same gather: an input pixel's
 * channels plus the input offset fit int16 exactly, the products are the reference's, and its
 * wrapping int32 sums are the int64 sums modulo 2^32; then the int8 output stage
 * (EDGE_OUTPUT_STAGE). FULLY_CONNECTED needs no gather: an output is the dot product of an
 * input row and a weights row; tasks take runs of units. DEPTHWISE_CONV_2D has no dot product
 * (one tap per channel): an output pixel's int64 sums of every channel grow tap by tap, the same
 * sums as the reference's (integer addition in any order), over tasks of output rows. Does not
 * own validation, multipliers or dispatch (backends/cpu/op_conv.c, op_dwconv.c, op_tconv.c,
 * op_fc.c). */
#include "fast_int16.h"

#include <stdbool.h>
#include <string.h>

#include "ref/int16.h"
#include "ref/requant.h"

typedef struct s16_job {
    edge_dot16x8_fn dot;
    const edge_conv_params *k;
    const int16_t *in;
    const int8_t *w;
    const int64_t *bias;
    int16_t *out;
    char *scratch;
    size_t stride; /* bytes between two threads' scratch */
    size_t chunk;  /* output pixels per task */
    /* int8 TRANSPOSE_CONV (in, bias and out NULL): int8 input, int32 bias, int8 output */
    const int8_t *in8;
    const int32_t *bias32;
    int8_t *out8;
    edge_dot16x8x4_fn dot4; /* CONV_2D: four channels a call (NULL: dot, one a call) */
} s16_job;

size_t edge_fast_conv_s16_scratch(const edge_conv_params *k)
{
    return (size_t)k->k_h * (size_t)k->k_w * (size_t)k->in_c * sizeof(int16_t);
}

/* Output pixel PIX's window of the input as one patch (k_h x k_w x in_c). A window row inside
 * the input without dilation is one run of k_w x in_c values. */
static void conv_patch(const edge_conv_params *k, const int16_t *in, size_t pix, int16_t *patch)
{
    const size_t c = (size_t)k->in_c, ow = (size_t)k->out_w, oh = (size_t)k->out_h;
    const int32_t ox = (int32_t)(pix % ow), oy = (int32_t)(pix / ow % oh);
    const size_t b = pix / ow / oh;
    const int32_t y0 = oy * k->stride_h - k->pad_h, x0 = ox * k->stride_w - k->pad_w;
    const bool whole = k->dil_w == 1 && x0 >= 0 && x0 + k->k_w <= k->in_w;
    for (int32_t fy = 0; fy < k->k_h; fy++) {
        const int32_t iy = y0 + k->dil_h * fy;
        if (whole && iy >= 0 && iy < k->in_h) {
            const size_t at = ((b * (size_t)k->in_h + (size_t)iy) * (size_t)k->in_w + (size_t)x0);
            memcpy(patch, in + at * c, (size_t)k->k_w * c * sizeof *patch);
            patch += (size_t)k->k_w * c;
            continue;
        }
        for (int32_t fx = 0; fx < k->k_w; fx++, patch += c) {
            const int32_t ix = x0 + k->dil_w * fx;
            if (iy < 0 || iy >= k->in_h || ix < 0 || ix >= k->in_w) {
                memset(patch, 0, c * sizeof *patch);
                continue;
            }
            const size_t at = ((b * (size_t)k->in_h + (size_t)iy) * (size_t)k->in_w + (size_t)ix);
            memcpy(patch, in + at * c, c * sizeof *patch);
        }
    }
}

/* The end of the task of CHUNK output pixels from FIRST (the last task's: the pixels'). */
static size_t task_end(const edge_conv_params *k, size_t first, size_t chunk)
{
    const size_t pixels = (size_t)k->batches * (size_t)k->out_h * (size_t)k->out_w;
    return first + chunk < pixels ? first + chunk : pixels;
}

static void conv_task(void *ctx, size_t task, unsigned thread)
{
    const s16_job *j = ctx;
    const edge_conv_params *k = j->k;
    const size_t first = task * j->chunk, end = task_end(k, first, j->chunk);
    const size_t taps = (size_t)k->k_h * (size_t)k->k_w * (size_t)k->in_c;
    int16_t *patch = (int16_t *)(j->scratch + (size_t)thread * j->stride);
    for (size_t pix = first; pix < end; pix++) {
        conv_patch(k, j->in, pix, patch);
        int16_t *o = j->out + pix * (size_t)k->out_c;
        int32_t oc = 0;
        for (; j->dot4 && oc + 4 <= k->out_c; oc += 4) { /* the patch read once for four */
            int64_t acc[4];
            j->dot4(patch, j->w + (size_t)oc * taps, taps, taps, acc);
            for (int32_t r = 0; r < 4; r++)
                o[oc + r] = (int16_t)EDGE_OUTPUT_STAGE64(k, acc[r], j->bias, oc + r);
        }
        for (; oc < k->out_c; oc++) {
            const int64_t acc = j->dot(patch, j->w + (size_t)oc * taps, taps);
            o[oc] = (int16_t)EDGE_OUTPUT_STAGE64(k, acc, j->bias, oc);
        }
    }
}

/* Tasks of at least a few pixels, about four per thread. */
static size_t pixel_chunk(const edge_conv_params *k, edge_exec *ex)
{
    const size_t pixels = (size_t)k->batches * (size_t)k->out_h * (size_t)k->out_w;
    const size_t per = 4 * (size_t)edge_exec_width(ex);
    const size_t chunk = (pixels + per - 1) / per;
    return chunk ? chunk : 1;
}

/* K's output pixels through TASK over EX's threads. */
static void run_pixels(edge_task_fn task, edge_dot16x8_fn dot, edge_dot16x8x4_fn dot4,
                       const edge_conv_params *k, const int16_t *in, const int8_t *w,
                       const int64_t *bias, int16_t *out, void *scratch, size_t stride,
                       edge_exec *ex)
{
    const size_t pixels = (size_t)k->batches * (size_t)k->out_h * (size_t)k->out_w;
    s16_job j = {dot,  k,    in,   w,   bias, out, scratch, stride, pixel_chunk(k, ex),
                 NULL, NULL, NULL, dot4};
    edge_exec_parallel(ex, (pixels + j.chunk - 1) / j.chunk, task, &j);
}

void edge_fast_conv_s16(edge_dot16x8_fn dot, edge_dot16x8x4_fn dot4, const edge_conv_params *k,
                        const int16_t *in, const int8_t *w, const int64_t *bias, int16_t *out,
                        void *scratch, size_t stride, edge_exec *ex)
{
    run_pixels(conv_task, dot, dot4, k, in, w, bias, out, scratch, stride, ex);
}

/* ---- CONV_2D on the GEMM tile: four output pixels by 16 channels a call ---- */

typedef struct gemm16_job {
    const edge_s16_gemm *g;
    const edge_conv_params *k;
    const int16_t *in;
    int16_t *out;
    char *scratch;
    size_t stride, chunk; /* scratch bytes between threads; pixels a task (a multiple of MR) */
} gemm16_job;

/* A 1x1 convolution of stride 1 without padding on an even channel count reads its rows in
 * place: they are the patches, already 2 * K2 long. */
static bool gemm16_direct(const edge_conv_params *k)
{
    return k->k_h == 1 && k->k_w == 1 && k->stride_h == 1 && k->stride_w == 1 && k->pad_h == 0 &&
           k->pad_w == 0 && k->in_c % 2 == 0;
}

static size_t gemm16_row(const edge_conv_params *k)
{
    const size_t taps = (size_t)k->k_h * (size_t)k->k_w * (size_t)k->in_c;
    return (taps + 1) & ~(size_t)1;
}

int edge_fast_conv_s16_gemm_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k,
                                    edge_gemm16x8_fn fn, const char *name, const int8_t *w,
                                    const int64_t *bias)
{
    const size_t taps = (size_t)k->k_h * (size_t)k->k_w * (size_t)k->in_c;
    edge_s16_gemm *g = edge_op_alloc_packed(
        p, n, sizeof *g, edge_gemm16x8_packed_bytes((size_t)k->out_c, taps), name);
    if (!g)
        return EDGE_ENOMEM;
    g->fn = fn;
    g->k2 = gemm16_row(k) / 2;
    g->w = (const int8_t *)n->packed_data;
    g->blocks = ((size_t)k->out_c + EDGE_GEMM16_NR - 1) / EDGE_GEMM16_NR;
    g->out = (const edge_out16 *)(g->w + g->blocks * g->k2 * 2 * EDGE_GEMM16_NR);
    if (!edge_op_packed_done(n))
        edge_gemm16x8_pack(w, (size_t)k->out_c, taps, bias, k->mult, k->shift,
                           (int8_t *)n->packed_data);
    n->scratch_bytes = gemm16_direct(k) ? 0 : EDGE_GEMM16_MR * gemm16_row(k) * sizeof(int16_t);
    return 0;
}

static void gemm16_task(void *ctx, size_t task, unsigned thread)
{
    const gemm16_job *j = ctx;
    const edge_conv_params *k = j->k;
    const size_t first = task * j->chunk, end = task_end(k, first, j->chunk);
    const size_t taps = (size_t)k->k_h * (size_t)k->k_w * (size_t)k->in_c, row = 2 * j->g->k2;
    const size_t oc = (size_t)k->out_c, block = row * EDGE_GEMM16_NR;
    const bool direct = gemm16_direct(k);
    int16_t *patch = (int16_t *)(j->scratch + (size_t)thread * j->stride);
    for (size_t p0 = first; p0 < end; p0 += EDGE_GEMM16_MR) {
        const size_t rows = end - p0 < EDGE_GEMM16_MR ? end - p0 : EDGE_GEMM16_MR;
        const int16_t *x[EDGE_GEMM16_MR];
        for (size_t r = 0; r < EDGE_GEMM16_MR; r++) {
            const size_t at = r < rows ? r : 0; /* rows past the end repeat the first */
            x[r] = direct ? j->in + (p0 + at) * (size_t)k->in_c : patch + at * row;
            if (direct || r >= rows)
                continue;
            conv_patch(k, j->in, p0 + r, patch + r * row);
            if (row > taps)
                patch[r * row + taps] = 0;
        }
        int16_t *y[EDGE_GEMM16_MR];
        for (size_t r = 0; r < EDGE_GEMM16_MR; r++)
            y[r] = j->out + (p0 + (r < rows ? r : 0)) * oc;
        for (size_t b = 0; b < j->g->blocks; b++) {
            const size_t c0 = b * EDGE_GEMM16_NR;
            j->g->fn(x, j->g->w + b * block, j->g->k2, j->g->out + b, k->act_min, k->act_max, y,
                     rows, oc - c0 < EDGE_GEMM16_NR ? oc - c0 : EDGE_GEMM16_NR);
            for (size_t r = 0; r < EDGE_GEMM16_MR; r++)
                y[r] += EDGE_GEMM16_NR;
        }
    }
}

void edge_fast_conv_s16_gemm(const edge_s16_gemm *g, const edge_conv_params *k, const int16_t *in,
                             int16_t *out, void *scratch, size_t stride, edge_exec *ex)
{
    const size_t pixels = (size_t)k->batches * (size_t)k->out_h * (size_t)k->out_w;
    size_t chunk = pixel_chunk(k, ex);
    chunk = (chunk + EDGE_GEMM16_MR - 1) / EDGE_GEMM16_MR * EDGE_GEMM16_MR;
    gemm16_job j = {g, k, in, out, scratch, stride, chunk};
    edge_exec_parallel(ex, (pixels + chunk - 1) / chunk, gemm16_task, &j);
}

size_t edge_fast_tconv_s16_scratch(const edge_conv_params *k)
{
    return (size_t)k->out_c * sizeof(int64_t);
}

size_t edge_fast_tconv_s8_scratch(const edge_conv_params *k)
{
    return edge_fast_tconv_s16_scratch(k) + (size_t)k->in_c * sizeof(int16_t);
}

/* The input positions along one axis whose scatter reaches output position O: input i with
 * tap f = O + pad - i * stride in [0, kernel), i in [0, in). First i into *I0, count returned. */
static int32_t tconv_span(int32_t o, int32_t pad, int32_t stride, int32_t kernel, int32_t in,
                          int32_t *i0)
{
    const int32_t t = o + pad; /* i * stride + f */
    int32_t lo = t - kernel + 1 <= 0 ? 0 : (t - kernel + 1 + stride - 1) / stride;
    int32_t hi = t < 0 ? -1 : t / stride;
    hi = hi < in - 1 ? hi : in - 1;
    *i0 = lo;
    return hi >= lo ? hi - lo + 1 : 0;
}

static void tconv_task(void *ctx, size_t task, unsigned thread)
{
    const s16_job *j = ctx;
    const edge_conv_params *k = j->k;
    const size_t ow = (size_t)k->out_w, oh = (size_t)k->out_h, c = (size_t)k->in_c;
    const size_t pixels = (size_t)k->batches * oh * ow;
    const size_t first = task * j->chunk,
                 end = first + j->chunk < pixels ? first + j->chunk : pixels;
    int64_t *acc = (int64_t *)(j->scratch + (size_t)thread * j->stride);
    for (size_t pix = first; pix < end; pix++) {
        const int32_t ox = (int32_t)(pix % ow), oy = (int32_t)(pix / ow % oh);
        const size_t b = pix / ow / oh;
        memset(acc, 0, (size_t)k->out_c * sizeof *acc);
        int32_t iy0, ix0;
        const int32_t ny = tconv_span(oy, k->pad_h, k->stride_h, k->k_h, k->in_h, &iy0);
        const int32_t nx = tconv_span(ox, k->pad_w, k->stride_w, k->k_w, k->in_w, &ix0);
        for (int32_t iy = iy0; iy < iy0 + ny; iy++) {
            const int32_t fy = oy + k->pad_h - iy * k->stride_h;
            for (int32_t ix = ix0; ix < ix0 + nx; ix++) {
                const int32_t fx = ox + k->pad_w - ix * k->stride_w;
                const size_t at =
                    ((b * (size_t)k->in_h + (size_t)iy) * (size_t)k->in_w + (size_t)ix) * c;
                const int16_t *x = j->in + at;
                if (j->in8) { /* x + input_offset, exact in int16 */
                    int16_t *xw = (int16_t *)(acc + k->out_c);
                    for (size_t i = 0; i < c; i++)
                        xw[i] = (int16_t)(j->in8[at + i] + k->input_offset);
                    x = xw;
                }
                const int8_t *wt = j->w + ((size_t)fy * (size_t)k->k_w + (size_t)fx) * c;
                const size_t oc_step = (size_t)k->k_h * (size_t)k->k_w * c;
                for (int32_t oc = 0; oc < k->out_c; oc++)
                    acc[oc] += j->dot(x, wt + (size_t)oc * oc_step, c);
            }
        }
        if (j->out8) { /* the int32 sum wraps as the reference's: the int64 sum mod 2^32 */
            int8_t *o = j->out8 + pix * (size_t)k->out_c;
            for (int32_t oc = 0; oc < k->out_c; oc++)
                o[oc] = (int8_t)EDGE_OUTPUT_STAGE(k, (int32_t)(uint32_t)acc[oc], j->bias32, oc);
            continue;
        }
        int16_t *o = j->out + pix * (size_t)k->out_c;
        for (int32_t oc = 0; oc < k->out_c; oc++)
            o[oc] = (int16_t)EDGE_OUTPUT_STAGE64(k, acc[oc], j->bias, oc);
    }
}

void edge_fast_tconv_s16(edge_dot16x8_fn dot, const edge_conv_params *k, const int16_t *in,
                         const int8_t *w, const int64_t *bias, int16_t *out, void *scratch,
                         size_t stride, edge_exec *ex)
{
    run_pixels(tconv_task, dot, NULL, k, in, w, bias, out, scratch, stride, ex);
}

void edge_fast_tconv_s8(edge_dot16x8_fn dot, const edge_conv_params *k, const int8_t *in,
                        const int8_t *w, const int32_t *bias, int8_t *out, void *scratch,
                        size_t stride, edge_exec *ex)
{
    const size_t pixels = (size_t)k->batches * (size_t)k->out_h * (size_t)k->out_w;
    s16_job j = {dot, k,    NULL, w,   NULL, NULL, scratch, stride, pixel_chunk(k, ex),
                 in,  bias, out,  NULL};
    edge_exec_parallel(ex, (pixels + j.chunk - 1) / j.chunk, tconv_task, &j);
}

typedef struct fc_s16_job {
    edge_dot16x8_fn dot;
    const edge_fc_params *k;
    const int16_t *in;
    const int8_t *w;
    const int64_t *bias;
    int16_t *out;
    int32_t chunk; /* units per task */
} fc_s16_job;

static void fc_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const fc_s16_job *j = ctx;
    const edge_fc_params *k = j->k;
    const size_t depth = (size_t)k->depth;
    const int32_t u0 = (int32_t)task * j->chunk;
    const int32_t u1 = u0 + j->chunk < k->units ? u0 + j->chunk : k->units;
    for (int32_t b = 0; b < k->batches; b++) {
        const int16_t *x = j->in + (size_t)b * depth;
        int16_t *o = j->out + (size_t)b * (size_t)k->units;
        for (int32_t c = u0; c < u1; c++)
            o[c] = (int16_t)edge_ref_fc_s16_stage(k, j->dot(x, j->w + (size_t)c * depth, depth),
                                                  j->bias, c);
    }
}

void edge_fast_fc_s16(edge_dot16x8_fn dot, const edge_fc_params *k, const int16_t *in,
                      const int8_t *w, const int64_t *bias, int16_t *out, edge_exec *ex)
{
    const int32_t per = (int32_t)(4 * edge_exec_width(ex)); /* tasks: about 4 per thread */
    int32_t chunk = (k->units + per - 1) / per;
    chunk = chunk ? chunk : 1;
    fc_s16_job j = {dot, k, in, w, bias, out, chunk};
    edge_exec_parallel(ex, (size_t)((k->units + chunk - 1) / chunk), fc_task, &j);
}

size_t edge_fast_dw_s16_scratch(const edge_conv_params *k)
{
    return (size_t)k->out_c * sizeof(int64_t);
}

typedef struct dw_s16_job {
    const edge_conv_params *k;
    const int16_t *in;
    const int8_t *w;
    const int64_t *bias;
    int16_t *out;
    char *scratch;
    size_t stride;
    int32_t chunk;        /* output rows per task */
    const edge_s16_dw *g; /* the level's pixel kernel (edge_fast_dw_s16_px) */
} dw_s16_job;

/* ACC[oc] += W[oc] * X[oc / DM] for the OUT_C channels of one tap. */
static void dw_tap(int64_t *restrict acc, const int8_t *restrict w, const int16_t *restrict x,
                   int32_t out_c, int32_t dm)
{
    if (dm == 1) {
        for (int32_t c = 0; c < out_c; c++)
            acc[c] += (int32_t)w[c] * (int32_t)x[c];
        return;
    }
    for (int32_t c = 0; c < out_c; c++)
        acc[c] += (int32_t)w[c] * (int32_t)x[c / dm];
}

static void dw_task(void *ctx, size_t task, unsigned thread)
{
    const dw_s16_job *j = ctx;
    const edge_conv_params *k = j->k;
    const int32_t rows = k->batches * k->out_h, r0 = (int32_t)task * j->chunk;
    const int32_t r1 = r0 + j->chunk < rows ? r0 + j->chunk : rows;
    int64_t *acc = (int64_t *)(j->scratch + (size_t)thread * j->stride);
    const size_t oc_n = (size_t)k->out_c;
    for (int32_t r = r0; r < r1; r++) {
        const int32_t b = r / k->out_h, oy = r % k->out_h;
        for (int32_t ox = 0; ox < k->out_w; ox++) {
            memset(acc, 0, oc_n * sizeof *acc);
            EDGE_CONV_FOR_TAPS (k, oy, ox) {
                const size_t at =
                    ((size_t)b * (size_t)k->in_h + (size_t)iy) * (size_t)k->in_w + (size_t)ix;
                const size_t tap = (size_t)fy * (size_t)k->k_w + (size_t)fx;
                dw_tap(acc, j->w + tap * oc_n, j->in + at * (size_t)k->in_c, k->out_c,
                       k->depth_mult);
            }
            int16_t *o = j->out + ((size_t)r * (size_t)k->out_w + (size_t)ox) * oc_n;
            for (int32_t c = 0; c < k->out_c; c++)
                o[c] = (int16_t)EDGE_OUTPUT_STAGE64(k, acc[c], j->bias, c);
        }
    }
}

/* ---- DEPTHWISE_CONV_2D (depth multiplier 1) on the level's pixel kernel ---- */

bool edge_fast_dw_s16_fits(const edge_conv_params *k)
{
    return k->depth_mult == 1 && (size_t)k->k_h * (size_t)k->k_w <= EDGE_DW16_MAX_TAPS;
}

int edge_fast_dw_s16_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k,
                             edge_dw16x8_fn fn, const char *name, const int8_t *w,
                             const int64_t *bias)
{
    const size_t blocks = ((size_t)k->out_c + EDGE_GEMM16_NR - 1) / EDGE_GEMM16_NR;
    const size_t taps = (size_t)k->k_h * (size_t)k->k_w, stages = blocks * sizeof(edge_out16);
    edge_s16_dw *g = edge_op_alloc_packed(
        p, n, sizeof *g, stages + edge_dw16x8_packed_bytes(taps, (size_t)k->out_c), name);
    if (!g)
        return EDGE_ENOMEM;
    g->fn = fn;
    g->out = n->packed_data;
    g->w = (const int16_t *)(const void *)((const char *)n->packed_data + stages);
    if (!edge_op_packed_done(n)) {
        edge_out16_pack(bias, k->mult, k->shift, (size_t)k->out_c, n->packed_data);
        edge_dw16x8_pack(w, taps, (size_t)k->out_c,
                         (int16_t *)(void *)((char *)n->packed_data + stages));
    }
    n->scratch_bytes = (size_t)k->k_h * (size_t)k->k_w * sizeof(const int16_t *);
    return 0;
}

static void dw16_task(void *ctx, size_t task, unsigned thread)
{
    const dw_s16_job *j = ctx;
    const edge_conv_params *k = j->k;
    const int32_t rows = k->batches * k->out_h, r0 = (int32_t)task * j->chunk;
    const int32_t r1 = r0 + j->chunk < rows ? r0 + j->chunk : rows;
    const int16_t **x = (const int16_t **)(void *)(j->scratch + (size_t)thread * j->stride);
    const size_t taps = (size_t)k->k_h * (size_t)k->k_w, oc = (size_t)k->out_c;
    for (int32_t r = r0; r < r1; r++) {
        const int32_t b = r / k->out_h, oy = r % k->out_h;
        for (int32_t ox = 0; ox < k->out_w; ox++) {
            for (size_t t = 0; t < taps; t++)
                x[t] = NULL; /* in the padding */
            EDGE_CONV_FOR_TAPS (k, oy, ox) {
                const size_t at =
                    ((size_t)b * (size_t)k->in_h + (size_t)iy) * (size_t)k->in_w + (size_t)ix;
                x[(size_t)fy * (size_t)k->k_w + (size_t)fx] = j->in + at * (size_t)k->in_c;
            }
            j->g->fn(x, j->g->w, taps, oc, j->g->out, k->act_min, k->act_max,
                     j->out + ((size_t)r * (size_t)k->out_w + (size_t)ox) * oc);
        }
    }
}

/* The output rows of K over EX's threads, about four tasks a thread, through TASK on J. */
static void dw_rows(const edge_conv_params *k, edge_exec *ex, edge_task_fn task, dw_s16_job *j)
{
    const int32_t rows = k->batches * k->out_h, per = (int32_t)(4 * edge_exec_width(ex));
    j->chunk = (rows + per - 1) / per;
    j->chunk = j->chunk ? j->chunk : 1;
    edge_exec_parallel(ex, (size_t)((rows + j->chunk - 1) / j->chunk), task, j);
}

void edge_fast_dw_s16_px(const edge_s16_dw *g, const edge_conv_params *k, const int16_t *in,
                         int16_t *out, void *scratch, size_t stride, edge_exec *ex)
{
    dw_s16_job j = {k, in, NULL, NULL, out, scratch, stride, 0, g};
    dw_rows(k, ex, dw16_task, &j);
}

void edge_fast_dw_s16(const edge_conv_params *k, const int16_t *in, const int8_t *w,
                      const int64_t *bias, int16_t *out, void *scratch, size_t stride,
                      edge_exec *ex)
{
    dw_s16_job j = {k, in, w, bias, out, scratch, stride, 0, NULL};
    dw_rows(k, ex, dw_task, &j);
}
