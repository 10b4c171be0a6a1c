/* kernels/generic/bilinear_impl.h - the RESIZE_BILINEAR kernels of kernels/f32.h, written once
 * with GCC vector extensions and instantiated per level.
 *
 * Owns: the bodies of edge_bilinear_s8 (TFLite's 10-bit fixed point, in int32 lanes: every
 * product and sum fits, kernels/f32.h says when), edge_bilinear_f32 and edge_bilinear_u8 (the
 * float weights). A level's file defines F32_LANES and F32_SFX and includes this header after
 * f32_eltwise_impl.h. Does not own the coordinate tables (kernels/ref/resize.c) or threading.
 *
 * Each output element blends two input rows (r0, r1, chosen by the output row) at two input
 * columns (i0, i1, by the output column). The part that depends on the row only (a column's
 * "term": its two row values times the row weights) is what consecutive output columns share
 * when they read the same input columns (an upscale reads each input column for several output
 * columns), so a term is computed once per input column change and kept in registers. Both
 * forms do the reference's arithmetic on each element: the float expression
 * r0[i0] * (1 - dy) * (1 - dx) + r1[i0] * dy * (1 - dx) + ... evaluates each product left to
 * right, so r0[i0] * (1 - dy) is its first step whatever the column weight; the int8 Q10 sum is
 * exact integer arithmetic, so any grouping gives the same int32.
 *
 * Channels go F32_LANES at a time; a depth that is not a multiple of F32_LANES (and at least
 * F32_LANES) ends with one vector that overlaps the one before (its channels are computed twice,
 * to the same values), so no element goes the scalar way; a depth below F32_LANES runs the
 * reference's expression per element. Output columns go in blocks of about 16 KB of output so
 * that each channel vector's pass over a block writes into L1. */
#include <string.h>

#include "f32.h"

typedef int8_t i8v __attribute__((vector_size(F32_LANES)));
typedef uint8_t u8v __attribute__((vector_size(F32_LANES)));

/* F32_LANES bytes at P widened to int32 lanes (sign- or zero-extended): one widening load
 * where the level has it (CVT: its x86 widening, W: NEON's 8-bit vector type's letters); GCC's
 * __builtin_convertvector of a byte vector goes element by element. */
#if F32_LANES == 16 && defined(__AVX512F__)
#define BL_WIDEN_BODY(CVT, W) return (i32v)_mm512_##CVT##_epi32(_mm_loadu_si128((const __m128i *)p))
#elif F32_LANES == 8 && defined(__AVX2__)
#define BL_WIDEN_BODY(CVT, W) return (i32v)_mm256_##CVT##_epi32(_mm_loadl_epi64((const __m128i *)p))
#elif F32_LANES == 4 && defined(__aarch64__)
#define BL_WIDEN_BODY(CVT, W)   \
    uint32_t w;                 \
    memcpy(&w, p, sizeof w);    \
    return (i32v)vmovl_##W##16( \
        vget_low_##W##16(vmovl_##W##8(vreinterpret_##W##8_u32(vdup_n_u32(w)))))
#else
#define BL_WIDEN_BODY(CVT, W)           \
    i32v v;                             \
    for (int l = 0; l < F32_LANES; l++) \
        v[l] = p[l];                    \
    return v
#endif

static inline i32v bl_widen_s8(const int8_t *p)
{
    BL_WIDEN_BODY(cvtepi8, s);
}

static inline i32v bl_widen_u8(const uint8_t *p)
{
    BL_WIDEN_BODY(cvtepu8, u);
}

static inline i32v bl_splat(int32_t x)
{
    i32v v;
    for (int l = 0; l < F32_LANES; l++)
        v[l] = x;
    return v;
}

/* ---- int8, Q10 ---- */

/* The reference's int8 blend (kernels/ref/resize.c blend_q10) in int64, for depths below
 * F32_LANES. */
static inline int8_t bl_q10(int8_t v00, int8_t v10, int8_t v01, int8_t v11, int32_t fy, int32_t fx)
{
    const int64_t s = (int64_t)v00 * (1024 - fy) * (1024 - fx) + (int64_t)v10 * fy * (1024 - fx) +
                      (int64_t)v01 * (1024 - fy) * fx + (int64_t)v11 * fy * fx;
    const int64_t round = s > 0 ? (1 << 19) : -(1 << 19);
    return (int8_t)((s + round) / (1 << 20));
}

typedef struct bl_s8_row {
    const int8_t *r0, *r1;
    i32v ny, vy; /* 1024 - fy, fy */
    int32_t fy;
} bl_s8_row;

typedef i32v bl_s8_term;

/* A column's term at byte offset OFF of both rows: r0 * (1024 - fy) + r1 * fy. */
static inline bl_s8_term bl_s8_term_at(const bl_s8_row *w, size_t off)
{
    return bl_widen_s8(w->r0 + off) * w->ny + bl_widen_s8(w->r1 + off) * w->vy;
}

/* t0 * (1024 - fx) + t1 * fx, rounded half away from zero and divided by 2^20. */
static inline void bl_s8_store(int8_t *o, bl_s8_term t0, bl_s8_term t1, edge_ref_lerp_q10 xc)
{
    const i32v s = t0 * bl_splat(1024 - xc.frac) + t1 * bl_splat(xc.frac);
    const i32v m = s > bl_splat(0);
    const i32v t = s + ((bl_splat(1 << 19) & m) | (bl_splat(-(1 << 19)) & ~m));
    const i8v q = __builtin_convertvector(t / (1 << 20), i8v);
    memcpy(o, &q, sizeof q);
}

static inline int8_t bl_s8_one(const bl_s8_row *w, size_t c0, size_t c1, edge_ref_lerp_q10 xc)
{
    return bl_q10(w->r0[c0], w->r1[c0], w->r0[c1], w->r1[c1], w->fy, xc.frac);
}

/* ---- float weights: float32 and uint8 ---- */

typedef struct bl_f32_row {
    const float *r0, *r1;
    f32v ny, vy; /* 1 - dy, dy */
    float dy;
} bl_f32_row;

typedef struct bl_u8_row {
    const uint8_t *r0, *r1;
    f32v ny, vy;
    float dy;
} bl_u8_row;

typedef struct bl_fterm {
    f32v a, b; /* r0 * (1 - dy), r1 * dy */
} bl_fterm;

typedef bl_fterm bl_f32_term;
typedef bl_fterm bl_u8_term;

static inline bl_fterm bl_f32_term_at(const bl_f32_row *w, size_t off)
{
    return (bl_fterm){f32_ld(w->r0 + off) * w->ny, f32_ld(w->r1 + off) * w->vy};
}

static inline bl_fterm bl_u8_term_at(const bl_u8_row *w, size_t off)
{
    return (bl_fterm){__builtin_convertvector(bl_widen_u8(w->r0 + off), f32v) * w->ny,
                      __builtin_convertvector(bl_widen_u8(w->r1 + off), f32v) * w->vy};
}

/* The reference's sum, left to right: a0 (1 - dx) + b0 (1 - dx) + a1 dx + b1 dx + OFFSET. */
static inline f32v bl_fsum(bl_fterm t0, bl_fterm t1, float dx, float offset)
{
    const f32v nx = f32_splat(1 - dx), vx = f32_splat(dx);
    return t0.a * nx + t0.b * nx + t1.a * vx + t1.b * vx + f32_splat(offset);
}

static inline void bl_f32_store(float *o, bl_fterm t0, bl_fterm t1, edge_ref_lerp_f32 xc)
{
    f32_st(o, bl_fsum(t0, t1, xc.frac, 0.0f));
}

/* Truncated to int32, then to the byte (the sum lies in [0.5, 255.5]). */
static inline void bl_u8_store(uint8_t *o, bl_fterm t0, bl_fterm t1, edge_ref_lerp_f32 xc)
{
    const f32v v = bl_fsum(t0, t1, xc.frac, 0.5f);
    const u8v q = __builtin_convertvector(__builtin_convertvector(v, i32v), u8v);
    memcpy(o, &q, sizeof q);
}

/* The reference's expression for one element (depths below F32_LANES). */
#define BL_FLOAT_ONE(SFX, T, OFFSET)                                                          \
    static inline T bl_##SFX##_one(const bl_##SFX##_row *w, size_t c0, size_t c1,             \
                                   edge_ref_lerp_f32 xc)                                      \
    {                                                                                         \
        const float dy = w->dy, dx = xc.frac;                                                 \
        const float v = (float)w->r0[c0] * (1 - dy) * (1 - dx) +                              \
                        (float)w->r1[c0] * dy * (1 - dx) + (float)w->r0[c1] * (1 - dy) * dx + \
                        (float)w->r1[c1] * dy * dx + (OFFSET);                                \
        return (T)v;                                                                          \
    }
BL_FLOAT_ONE(f32, float, 0.0f)
BL_FLOAT_ONE(u8, uint8_t, 0.5f)

/* ---- the walk, shared ---- */

/* Output rows [row0, row1) of SFX's kernel (T elements, LERP coordinates); SET_ROW(w, y entry)
 * fills the row state. Per block of output columns, per channel vector, per column: the two
 * columns' terms are reused while the input column stays (or moves from i1 to i0). */
#define BL_KERNEL(NAME, SFX, T, LERP, SET_ROW)                                                   \
    void F32_FN(NAME)(const edge_ref_resize_params *p, const LERP *yc, const LERP *xc,           \
                      const T *in, T *out, int32_t row0, int32_t row1)                           \
    {                                                                                            \
        const size_t d = (size_t)p->depth, row = (size_t)p->in_w * d,                            \
                     image = (size_t)p->in_h * row;                                              \
        const size_t per = 16384 / (d * sizeof(T)), block = per ? per : 1;                       \
        for (int32_t r = row0; r < row1; r++) {                                                  \
            const int32_t b = r / p->out_h, y = r % p->out_h;                                    \
            bl_##SFX##_row w;                                                                    \
            w.r0 = in + (size_t)b * image + (size_t)yc[y].i0 * row;                              \
            w.r1 = in + (size_t)b * image + (size_t)yc[y].i1 * row;                              \
            SET_ROW(w, yc[y]);                                                                   \
            T *o = out + (size_t)r * (size_t)p->out_w * d;                                       \
            if (d < F32_LANES) {                                                                 \
                for (int32_t x = 0; x < p->out_w; x++)                                           \
                    for (size_t c = 0; c < d; c++)                                               \
                        o[(size_t)x * d + c] = bl_##SFX##_one(&w, (size_t)xc[x].i0 * d + c,      \
                                                              (size_t)xc[x].i1 * d + c, xc[x]);  \
                continue;                                                                        \
            }                                                                                    \
            for (size_t x0 = 0; x0 < (size_t)p->out_w; x0 += block) {                            \
                const size_t x1 = x0 + block < (size_t)p->out_w ? x0 + block : (size_t)p->out_w; \
                for (size_t c = 0;; c += F32_LANES) {                                            \
                    if (c + F32_LANES > d)                                                       \
                        c = d - F32_LANES; /* the last vector overlaps the one before */         \
                    int32_t p0 = -1, p1 = -1;                                                    \
                    bl_##SFX##_term t0 = {0}, t1 = {0};                                          \
                    for (size_t x = x0; x < x1; x++) {                                           \
                        const int32_t i0 = xc[x].i0, i1 = xc[x].i1;                              \
                        if (i0 != p0) {                                                          \
                            t0 = i0 == p1 ? t1 : bl_##SFX##_term_at(&w, (size_t)i0 * d + c);     \
                            p0 = i0;                                                             \
                        }                                                                        \
                        if (i1 != p1) {                                                          \
                            t1 = i1 == p0 ? t0 : bl_##SFX##_term_at(&w, (size_t)i1 * d + c);     \
                            p1 = i1;                                                             \
                        }                                                                        \
                        bl_##SFX##_store(o + x * d + c, t0, t1, xc[x]);                          \
                    }                                                                            \
                    if (c + F32_LANES >= d)                                                      \
                        break;                                                                   \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }

#define BL_SET_Q10(w, e) \
    ((w).fy = (e).frac, (w).ny = bl_splat(1024 - (e).frac), (w).vy = bl_splat((e).frac))
#define BL_SET_F(w, e) \
    ((w).dy = (e).frac, (w).ny = f32_splat(1 - (e).frac), (w).vy = f32_splat((e).frac))

BL_KERNEL(edge_bilinear_s8, s8, int8_t, edge_ref_lerp_q10, BL_SET_Q10)
BL_KERNEL(edge_bilinear_f32, f32, float, edge_ref_lerp_f32, BL_SET_F)
BL_KERNEL(edge_bilinear_u8, u8, uint8_t, edge_ref_lerp_f32, BL_SET_F)
