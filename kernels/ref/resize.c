/* kernels/ref/resize.c - reference nearest-neighbour and bilinear resizing (see resize.h).
 *
 * Owns: the per-axis source-coordinate tables and the NHWC kernels that use
 * them. The arithmetic follows TensorFlow Lite's reference_ops step for step
 * (float vs integer, order of operations, truncating casts); where TFLite would
 * read outside the input (a lower index past the last row for extreme
 * upscaling ratios), the index is clamped to the last row instead.
 * Does not own: shape validation (backends/cpu/op_resize.c). */
#include "resize.h"

#include <math.h>
#include <string.h>

/* ---- nearest neighbour ---- */

/* reference_ops::GetNearestNeighbor; the min() with in_size - 1 is taken
 * before converting to int so that the conversion is always defined. */
static int32_t nearest_source(int32_t i, int32_t in_size, int32_t out_size, bool align_corners,
                              bool half_pixel_centers)
{
    const float scale = (align_corners && out_size > 1)
                            ? (float)(in_size - 1) / (float)(out_size - 1)
                            : (float)in_size / (float)out_size;
    const float offset = half_pixel_centers ? 0.5f : 0.0f;
    const float pos = ((float)i + offset) * scale;
    const float r = align_corners ? roundf(pos) : floorf(pos);
    int32_t src = (double)r >= (double)(in_size - 1) ? in_size - 1 : (int32_t)r;
    if (half_pixel_centers && src < 0)
        src = 0;
    return src;
}

void edge_ref_resize_nearest_index(int32_t in_size, int32_t out_size, bool align_corners,
                                   bool half_pixel_centers, int32_t *map)
{
    for (int32_t i = 0; i < out_size; i++)
        map[i] = nearest_source(i, in_size, out_size, align_corners, half_pixel_centers);
}

void edge_ref_resize_nearest_bytes(const edge_ref_resize_params *p, const int32_t *ymap,
                                   const int32_t *xmap, size_t esize, const void *in, void *out)
{
    const uint8_t *src = in;
    uint8_t *o = out;
    const size_t pixel = (size_t)p->depth * esize;
    const size_t row = (size_t)p->in_w * pixel;
    const size_t image = (size_t)p->in_h * row;
    for (int32_t b = 0; b < p->batches; b++) {
        const uint8_t *img = src + (size_t)b * image;
        for (int32_t y = 0; y < p->out_h; y++) {
            const uint8_t *r = img + (size_t)ymap[y] * row;
            for (int32_t x = 0; x < p->out_w; x++) {
                memcpy(o, r + (size_t)xmap[x] * pixel, pixel);
                o += pixel;
            }
        }
    }
}

/* ---- bilinear, Q10 ---- */

bool edge_ref_bilinear_coeffs_q10(int32_t in_size, int32_t out_size, bool align_corners,
                                  bool half_pixel_centers, edge_ref_lerp_q10 *c)
{
    /* TFLite computes all of this in int32; refuse sizes where it would overflow. */
    int64_t num = 1024 * (int64_t)in_size + out_size / 2;
    int64_t den = out_size;
    if (align_corners && out_size > 1) {
        num = 1024 * ((int64_t)in_size - 1) + (out_size - 1) / 2;
        den = out_size - 1;
    }
    if (num > INT32_MAX)
        return false;
    const int64_t scale = num / den;
    const int64_t bias = half_pixel_centers ? scale / 2 - 512 : 0;
    if ((int64_t)(out_size - 1) * scale + bias + 1023 > INT32_MAX)
        return false;

    for (int32_t i = 0; i < out_size; i++) {
        const int32_t pos = (int32_t)(i * scale + bias);
        int32_t i0 = pos / 1024 > 0 ? pos / 1024 : 0; /* truncating, as C++ */
        int32_t i1 = (pos + 1023) / 1024;
        if (i1 > in_size - 1)
            i1 = in_size - 1;
        if (i0 > in_size - 1)
            i0 = in_size - 1;
        c[i] = (edge_ref_lerp_q10){.i0 = i0, .i1 = i1, .frac = pos - 1024 * i0};
    }
    return true;
}

/* One output element: the four Q10 x Q10 products summed in int64 and divided
 * by 2^20, rounding half away from zero (TFLite without single rounding). */
static int8_t blend_q10(int8_t v00, int8_t v10, int8_t v01, int8_t v11, int32_t fy, int32_t fx)
{
    const int64_t s = (int64_t)v00 * (1024 - fy) * (1024 - fx) + (int64_t)v10 * fy * (1024 - fx) +
                      (int64_t)v01 * (1024 - fy) * fx + (int64_t)v11 * fy * fx;
    const int64_t round = s > 0 ? (1 << 19) : -(1 << 19);
    return (int8_t)((s + round) / (1 << 20));
}

void edge_ref_resize_bilinear_s8(const edge_ref_resize_params *p, const edge_ref_lerp_q10 *yc,
                                 const edge_ref_lerp_q10 *xc, const int8_t *in, int8_t *out)
{
    const size_t d = (size_t)p->depth;
    const size_t row = (size_t)p->in_w * d;
    const size_t image = (size_t)p->in_h * row;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *img = in + (size_t)b * image;
        for (int32_t y = 0; y < p->out_h; y++) {
            const int8_t *r0 = img + (size_t)yc[y].i0 * row;
            const int8_t *r1 = img + (size_t)yc[y].i1 * row;
            for (int32_t x = 0; x < p->out_w; x++) {
                const size_t c0 = (size_t)xc[x].i0 * d, c1 = (size_t)xc[x].i1 * d;
                for (size_t c = 0; c < d; c++)
                    *out++ = blend_q10(r0[c0 + c], r1[c0 + c], r0[c1 + c], r1[c1 + c], yc[y].frac,
                                       xc[x].frac);
            }
        }
    }
}

/* ---- bilinear, float weights ---- */

void edge_ref_bilinear_coeffs_f32(int32_t in_size, int32_t out_size, bool align_corners,
                                  bool half_pixel_centers, edge_ref_lerp_f32 *c)
{
    float scale = (float)in_size / (float)out_size;
    if (align_corners && out_size > 1)
        scale = (float)(in_size - 1) / (float)(out_size - 1);
    for (int32_t i = 0; i < out_size; i++) {
        const float v = (float)i;
        const float pos = half_pixel_centers ? (v + 0.5f) * scale - 0.5f : v * scale;
        const float lo = floorf(pos), hi = ceilf(pos);
        /* max(floor, 0) and min(ceil, in_size - 1) as TFLite; the lower index
         * is also kept inside the input, and both bounds are applied before
         * converting so the conversions are always defined. */
        const double last = (double)(in_size - 1);
        const int32_t i0 = lo <= 0.0f ? 0 : ((double)lo >= last ? in_size - 1 : (int32_t)lo);
        const int32_t i1 = (double)hi >= last ? in_size - 1 : (hi <= 0.0f ? 0 : (int32_t)hi);
        c[i] = (edge_ref_lerp_f32){.i0 = i0, .i1 = i1, .frac = pos - (float)i0};
    }
}

/* reference_ops::ResizeBilinear<T>: the four weighted terms summed left to
 * right in float, plus the rounding offset (0.5 for integer T), then a
 * truncating conversion to T. */
#define EDGE_DEFINE_BILINEAR_FLOAT(NAME, T, OFFSET)                                    \
    void NAME(const edge_ref_resize_params *p, const edge_ref_lerp_f32 *yc,            \
              const edge_ref_lerp_f32 *xc, const T *in, T *out)                        \
    {                                                                                  \
        const size_t d = (size_t)p->depth;                                             \
        const size_t row = (size_t)p->in_w * d;                                        \
        const size_t image = (size_t)p->in_h * row;                                    \
        for (int32_t b = 0; b < p->batches; b++) {                                     \
            const T *img = in + (size_t)b * image;                                     \
            for (int32_t y = 0; y < p->out_h; y++) {                                   \
                const T *r0 = img + (size_t)yc[y].i0 * row;                            \
                const T *r1 = img + (size_t)yc[y].i1 * row;                            \
                const float dy = yc[y].frac;                                           \
                for (int32_t x = 0; x < p->out_w; x++) {                               \
                    const size_t c0 = (size_t)xc[x].i0 * d, c1 = (size_t)xc[x].i1 * d; \
                    const float dx = xc[x].frac;                                       \
                    for (size_t c = 0; c < d; c++) {                                   \
                        const float v = (float)r0[c0 + c] * (1 - dy) * (1 - dx) +      \
                                        (float)r1[c0 + c] * dy * (1 - dx) +            \
                                        (float)r0[c1 + c] * (1 - dy) * dx +            \
                                        (float)r1[c1 + c] * dy * dx + (OFFSET);        \
                        *out++ = (T)v;                                                 \
                    }                                                                  \
                }                                                                      \
            }                                                                          \
        }                                                                              \
    }

EDGE_DEFINE_BILINEAR_FLOAT(edge_ref_resize_bilinear_f32, float, 0.0f)
EDGE_DEFINE_BILINEAR_FLOAT(edge_ref_resize_bilinear_u8, uint8_t, 0.5f)
#undef EDGE_DEFINE_BILINEAR_FLOAT
