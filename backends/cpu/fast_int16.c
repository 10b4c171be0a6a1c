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

/* Output pixel PIX's window of the input as one patch (k_h x k_w x in_c). */
static void conv_patch(const edge_conv_params *k, const int16_t *in, size_t pix, int16_t *patch)
{
    const size_t c = (size_t)k->in_c, ow = (size_t)k->out_w, oh = (size_t)k->out_h;
    const int32_t ox = (int32_t)(pix % ow), oy = (int32_t)(pix / ow % oh);
    const size_t b = pix / ow / oh;
    const int32_t y0 = oy * k->stride_h - k->pad_h, x0 = ox * k->stride_w - k->pad_w;
    for (int32_t fy = 0; fy < k->k_h; fy++) {
        const int32_t iy = y0 + k->dil_h * fy;
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

static void conv_task(void *ctx, size_t task, unsigned thread)
{
    const s16_job *j = ctx;
    const edge_conv_params *k = j->k;
    const size_t pixels = (size_t)k->batches * (size_t)k->out_h * (size_t)k->out_w;
    const size_t first = task * j->chunk,
                 end = first + j->chunk < pixels ? first + j->chunk : pixels;
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
    int32_t chunk; /* output rows per task */
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

void edge_fast_dw_s16(const edge_conv_params *k, const int16_t *in, const int8_t *w,
                      const int64_t *bias, int16_t *out, void *scratch, size_t stride,
                      edge_exec *ex)
{
    const int32_t rows = k->batches * k->out_h, per = (int32_t)(4 * edge_exec_width(ex));
    int32_t chunk = (rows + per - 1) / per;
    chunk = chunk ? chunk : 1;
    dw_s16_job j = {k, in, w, bias, out, scratch, stride, chunk};
    edge_exec_parallel(ex, (size_t)((rows + chunk - 1) / chunk), dw_task, &j);
}
