/* kernels/generic/bilinear_impl.h - the RESIZE_BILINEAR kernels of kernels/f32.h, written once
 * with GCC vector extensions and instantiated per level.
 *
 * Owns: the bodies of edge_bilinear_s8 (TFLite's 10-bit fixed point, in int32 lanes: every
 * product and sum fits, kernels/f32.h says when), edge_bilinear_f32 and edge_bilinear_u8 (the
 * float weights); channels F32_LANES at a time, the rest one by one with the reference's
 * expression. A level's file defines F32_LANES and F32_SFX and includes this header after
 * f32_eltwise_impl.h. Does not own the coordinate tables (kernels/ref/resize.c) or threading. */
#include <string.h>

#include "f32.h"

typedef int8_t i8v __attribute__((vector_size(F32_LANES)));
typedef uint8_t u8v __attribute__((vector_size(F32_LANES)));

/* The reference's int8 blend (kernels/ref/resize.c blend_q10) in int64, for the tail. */
static inline int8_t bl_q10(int8_t v00, int8_t v10, int8_t v01, int8_t v11, int32_t fy, int32_t fx)
{
    const int64_t s = (int64_t)v00 * (1024 - fy) * (1024 - fx) + (int64_t)v10 * fy * (1024 - fx) +
                      (int64_t)v01 * (1024 - fy) * fx + (int64_t)v11 * fy * fx;
    const int64_t round = s > 0 ? (1 << 19) : -(1 << 19);
    return (int8_t)((s + round) / (1 << 20));
}

static inline i32v bl_ld8(const int8_t *p)
{
    i8v v;
    memcpy(&v, p, sizeof v);
    return __builtin_convertvector(v, i32v);
}

static inline i32v bl_splat(int32_t x)
{
    i32v v;
    for (int l = 0; l < F32_LANES; l++)
        v[l] = x;
    return v;
}

void F32_FN(edge_bilinear_s8)(const edge_ref_resize_params *p, const edge_ref_lerp_q10 *yc,
                              const edge_ref_lerp_q10 *xc, const int8_t *in, int8_t *out,
                              int32_t row0, int32_t row1)
{
    const size_t d = (size_t)p->depth, row = (size_t)p->in_w * d, image = (size_t)p->in_h * row;
    const i32v pos = bl_splat(1 << 19), neg = bl_splat(-(1 << 19)), zero = bl_splat(0);
    for (int32_t r = row0; r < row1; r++) {
        const int32_t b = r / p->out_h, y = r % p->out_h;
        const int8_t *r0 = in + (size_t)b * image + (size_t)yc[y].i0 * row;
        const int8_t *r1 = in + (size_t)b * image + (size_t)yc[y].i1 * row;
        const int32_t fy = yc[y].frac;
        int8_t *o = out + (size_t)r * (size_t)p->out_w * d;
        for (int32_t x = 0; x < p->out_w; x++, o += d) {
            const size_t c0 = (size_t)xc[x].i0 * d, c1 = (size_t)xc[x].i1 * d;
            const int32_t fx = xc[x].frac;
            const i32v w00 = bl_splat((1024 - fy) * (1024 - fx)), w10 = bl_splat(fy * (1024 - fx));
            const i32v w01 = bl_splat((1024 - fy) * fx), w11 = bl_splat(fy * fx);
            size_t c = 0;
            for (; c + F32_LANES <= d; c += F32_LANES) {
                const i32v s = bl_ld8(r0 + c0 + c) * w00 + bl_ld8(r1 + c0 + c) * w10 +
                               bl_ld8(r0 + c1 + c) * w01 + bl_ld8(r1 + c1 + c) * w11;
                const i32v m = s > zero;
                const i32v t = s + ((pos & m) | (neg & ~m));
                const i8v q = __builtin_convertvector(t / (1 << 20), i8v);
                memcpy(o + c, &q, sizeof q);
            }
            for (; c < d; c++)
                o[c] = bl_q10(r0[c0 + c], r1[c0 + c], r0[c1 + c], r1[c1 + c], fy, fx);
        }
    }
}

/* The float weights: v00 * (1 - dy) * (1 - dx) + v10 * dy * (1 - dx) + v01 * (1 - dy) * dx
 * + v11 * dy * dx + OFFSET, left to right, as kernels/ref/resize.c. LD loads F32_LANES
 * elements as floats, ST stores them converted (truncating for uint8). */
#define BL_FLOAT(NAME, T, OFFSET, LD, ST)                                                       \
    void F32_FN(NAME)(const edge_ref_resize_params *p, const edge_ref_lerp_f32 *yc,             \
                      const edge_ref_lerp_f32 *xc, const T *in, T *out, int32_t row0,           \
                      int32_t row1)                                                             \
    {                                                                                           \
        const size_t d = (size_t)p->depth, row = (size_t)p->in_w * d,                           \
                     image = (size_t)p->in_h * row;                                             \
        const f32v off = f32_splat(OFFSET);                                                     \
        for (int32_t r = row0; r < row1; r++) {                                                 \
            const int32_t b = r / p->out_h, y = r % p->out_h;                                   \
            const T *r0 = in + (size_t)b * image + (size_t)yc[y].i0 * row;                      \
            const T *r1 = in + (size_t)b * image + (size_t)yc[y].i1 * row;                      \
            const float dy = yc[y].frac;                                                        \
            T *o = out + (size_t)r * (size_t)p->out_w * d;                                      \
            for (int32_t x = 0; x < p->out_w; x++, o += d) {                                    \
                const size_t c0 = (size_t)xc[x].i0 * d, c1 = (size_t)xc[x].i1 * d;              \
                const float dx = xc[x].frac;                                                    \
                const f32v ny = f32_splat(1 - dy), vy = f32_splat(dy), nx = f32_splat(1 - dx),  \
                           vx = f32_splat(dx);                                                  \
                size_t c = 0;                                                                   \
                for (; c + F32_LANES <= d; c += F32_LANES) {                                    \
                    const f32v v = LD(r0 + c0 + c) * ny * nx + LD(r1 + c0 + c) * vy * nx +      \
                                   LD(r0 + c1 + c) * ny * vx + LD(r1 + c1 + c) * vy * vx + off; \
                    ST(o + c, v);                                                               \
                }                                                                               \
                for (; c < d; c++) {                                                            \
                    const float v = (float)r0[c0 + c] * (1 - dy) * (1 - dx) +                   \
                                    (float)r1[c0 + c] * dy * (1 - dx) +                         \
                                    (float)r0[c1 + c] * (1 - dy) * dx +                         \
                                    (float)r1[c1 + c] * dy * dx + (OFFSET);                     \
                    o[c] = (T)v;                                                                \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
    }

static inline f32v bl_ldu8(const uint8_t *p)
{
    u8v v;
    memcpy(&v, p, sizeof v);
    return __builtin_convertvector(v, f32v);
}

static inline void bl_stu8(uint8_t *p, f32v v)
{
    const u8v q = __builtin_convertvector(__builtin_convertvector(v, i32v), u8v);
    memcpy(p, &q, sizeof q);
}

BL_FLOAT(edge_bilinear_f32, float, 0.0f, f32_ld, f32_st)
BL_FLOAT(edge_bilinear_u8, uint8_t, 0.5f, bl_ldu8, bl_stu8)
