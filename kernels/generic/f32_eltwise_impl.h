/* kernels/generic/f32_eltwise_impl.h - the float32 elementwise kernels of kernels/f32.h, written
 * once with GCC vector extensions and instantiated per level.
 *
 * Owns: the bodies of the binary row functions (ADD, SUB, MUL, DIV with the fused activation
 * clamp, MAXIMUM, MINIMUM; edge_bcast_walk rows with each input's stride 0 or 1) and of the unary
 * maps (RELU, RELU6, HARD_SWISH, and LOGISTIC and TANH on ref/fexp.h's exponential) and of
 * QUANTIZE float32 -> int8 / uint8. A level's file defines
 * F32_LANES and F32_SFX (the name suffix, e.g. __avx512) and includes this header after
 * f32_dw_impl.h (which defines the vector types). Every lane does the reference's operations on its
 * element in the reference's order (kernels/ref/binary.c, activation.c); comparisons and selects
 * are masks. Does not own the broadcast walk (kernels/ref/binary.c) or dispatch. */
#include <float.h>
#include <stdbool.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#include "f32.h"
#include "ref/fexp.h"

#if !defined(F32_LANES) || !defined(F32_SFX)
#error "define F32_LANES and F32_SFX before including f32_eltwise_impl.h"
#endif

#define F32_CAT2(a, b) a##b
#define F32_CAT(a, b) F32_CAT2(a, b)
#define F32_FN(name) F32_CAT(name, F32_SFX)

static inline f32v f32_ld(const float *p)
{
    f32v v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void f32_st(float *p, f32v v)
{
    memcpy(p, &v, sizeof v);
}

static inline f32v f32_splat(float x)
{
    f32v v;
    for (int l = 0; l < F32_LANES; l++)
        v[l] = x;
    return v;
}

/* m ? a : b, lane by lane (m all ones or all zeros). */
static inline f32v f32_sel(i32v m, f32v a, f32v b)
{
    return (f32v)(((i32v)a & m) | ((i32v)b & ~m));
}

/* edge_act_f: x = x < lo ? lo : x; hi < x ? hi : x. */
static inline f32v f32_act(f32v x, f32v lo, f32v hi)
{
    x = f32_sel(x < lo, lo, x);
    return f32_sel(hi < x, hi, x);
}

static inline float f32_act1(float x, float lo, float hi)
{
    x = x < lo ? lo : x;
    return hi < x ? hi : x;
}

/* A binary row function: out[i] = VEXPR(x, y) on lanes, SEXPR on the tail, where x = a[i * as],
 * y = b[i * bs] and as, bs are 0 or 1 (other strides: the scalar loop). lo, hi in scope. */
#define F32_BIN_ROW(NAME, VEXPR, SEXPR)                                                      \
    void F32_FN(NAME)(const edge_arith_params *p, const void *va, size_t as, const void *vb, \
                      size_t bs, void *vo, size_t n)                                         \
    {                                                                                        \
        const float *a = va, *b = vb;                                                        \
        float *o = vo;                                                                       \
        const float lo1 = p->act_min_f, hi1 = p->act_max_f;                                  \
        size_t i = 0;                                                                        \
        if (as <= 1 && bs <= 1) {                                                            \
            const f32v lo = f32_splat(lo1), hi = f32_splat(hi1);                             \
            const f32v xs = f32_splat(a[0]), ys = f32_splat(b[0]);                           \
            for (; i + F32_LANES <= n; i += F32_LANES) {                                     \
                const f32v x = as ? f32_ld(a + i) : xs;                                      \
                const f32v y = bs ? f32_ld(b + i) : ys;                                      \
                f32_st(o + i, VEXPR);                                                        \
            }                                                                                \
            (void)lo;                                                                        \
            (void)hi;                                                                        \
        }                                                                                    \
        for (; i < n; i++) {                                                                 \
            const float x = a[i * as], y = b[i * bs];                                        \
            const float lo = lo1, hi = hi1;                                                  \
            (void)lo;                                                                        \
            (void)hi;                                                                        \
            o[i] = SEXPR;                                                                    \
        }                                                                                    \
    }

F32_BIN_ROW(edge_f32_add_row, f32_act(x + y, lo, hi), f32_act1(x + y, lo, hi))
F32_BIN_ROW(edge_f32_sub_row, f32_act(x - y, lo, hi), f32_act1(x - y, lo, hi))
F32_BIN_ROW(edge_f32_mul_row, f32_act(x *y, lo, hi), f32_act1(x *y, lo, hi))
F32_BIN_ROW(edge_f32_max_row, f32_sel(x > y, x, y), x > y ? x : y)
F32_BIN_ROW(edge_f32_min_row, f32_sel(x < y, x, y), x < y ? x : y)
F32_BIN_ROW(edge_f32_div_row, f32_act(x / y, lo, hi), f32_act1(x / y, lo, hi))

/* A unary map: out[i] = VEXPR(v) on lanes, SEXPR(v) on the tail. */
#define F32_MAP(NAME, VEXPR, SEXPR)                                                        \
    void F32_FN(NAME)(const float *in, float *out, size_t n)                               \
    {                                                                                      \
        const f32v zero = f32_splat(0.0f), three = f32_splat(3.0f), six = f32_splat(6.0f); \
        (void)zero;                                                                        \
        (void)three;                                                                       \
        (void)six;                                                                         \
        size_t i = 0;                                                                      \
        for (; i + F32_LANES <= n; i += F32_LANES) {                                       \
            const f32v v = f32_ld(in + i);                                                 \
            f32_st(out + i, VEXPR);                                                        \
        }                                                                                  \
        for (; i < n; i++) {                                                               \
            const float v = in[i];                                                         \
            out[i] = SEXPR;                                                                \
        }                                                                                  \
    }

/* edge_ref_relu_f32: v < 0 ? 0 : v */
F32_MAP(edge_f32_relu, f32_sel(v < zero, zero, v), v < 0.0f ? 0.0f : v)
/* edge_ref_relu6_f32: v > 6 ? 6 : (v < 0 ? 0 : v) */
F32_MAP(edge_f32_relu6, f32_sel(v > six, six, f32_sel(v < zero, zero, v)),
        v > 6.0f ? 6.0f : (v < 0.0f ? 0.0f : v))

/* edge_ref_hard_swish_f32: s = v + 3; r = 0 < s ? s : 0; r = r < 6 ? r : 6; v * r / 6 */
static inline f32v f32_hswish(f32v v, f32v zero, f32v three, f32v six)
{
    const f32v s = v + three;
    f32v r = f32_sel(zero < s, s, zero);
    r = f32_sel(r < six, r, six);
    return v * r / six;
}

static inline float f32_hswish1(float v)
{
    const float s = v + 3.0f;
    float r = 0.0f < s ? s : 0.0f;
    r = r < 6.0f ? r : 6.0f;
    return v * r / 6.0f;
}

F32_MAP(edge_f32_hard_swish, f32_hswish(v, zero, three, six), f32_hswish1(v))

/* ref/fexp.h's edge_fexp_parts on lanes (no lane is NaN). Always inlined: called, its vectors
 * went through memory and LOGISTIC ran slower than the scalar reference. */
static inline __attribute__((always_inline)) void f32_fexp_parts(f32v x, f32v *q, f32v *s)
{
    const f32v lo = f32_splat(EDGE_FEXP_LO), hi = f32_splat(EDGE_FEXP_HI);
    const f32v rnd = f32_splat(EDGE_FEXP_ROUND);
    const i32v under = x < lo;
    x = f32_sel(under, lo, x);
    x = f32_sel(x > hi, hi, x);
    const f32v n = (x * f32_splat(EDGE_FEXP_LOG2E) + rnd) - rnd;
    const f32v r = (x - n * f32_splat(EDGE_FEXP_C1)) - n * f32_splat(EDGE_FEXP_C2);
    f32v p = f32_splat(EDGE_FEXP_P0);
    p = p * r + f32_splat(EDGE_FEXP_P1);
    p = p * r + f32_splat(EDGE_FEXP_P2);
    p = p * r + f32_splat(EDGE_FEXP_P3);
    p = p * r + f32_splat(EDGE_FEXP_P4);
    p = p * r + f32_splat(EDGE_FEXP_P5);
    *q = p * (r * r) + r;
    *s = (f32v)(~under & ((__builtin_convertvector(n, i32v) + 127) << 23));
}

/* ref/fexp.h's edge_flogistic on lanes: the NaN lanes computed on 0 and given back. */
static inline __attribute__((always_inline)) f32v f32_logistic(f32v v)
{
    const i32v nan = v != v;
    const f32v zero = f32_splat(0.0f), one = f32_splat(1.0f);
    const f32v x = f32_sel(nan, zero, v);
    const i32v low = x < f32_splat(EDGE_FLOGISTIC_LOWER);
    f32v q, s;
    f32_fexp_parts(f32_sel(low, x, -x), &q, &s);
    const f32v e = s * (q + one);
    f32v r = f32_sel(low, e, one / (one + e));
    r = f32_sel(x > f32_splat(EDGE_FLOGISTIC_UPPER), one, r);
    return f32_sel(nan, v, r);
}

/* ref/fexp.h's edge_ftanh on lanes. */
static inline __attribute__((always_inline)) f32v f32_tanh(f32v v)
{
    const i32v nan = v != v;
    const i32v sign = (i32v)v & (i32v)f32_splat(-0.0f);
    const f32v a = (f32v)((i32v)f32_sel(nan, f32_splat(0.0f), v) ^ sign);
    f32v q, s;
    f32_fexp_parts(a + a, &q, &s);
    const f32v one = f32_splat(1.0f);
    const f32v u = s * q + (s - one);
    const f32v t = u / (u + f32_splat(2.0f));
    return f32_sel(nan, v, (f32v)((i32v)t | sign));
}

/* Every lane of the mask M set: one mask move where the level has one (a lane loop of GCC
 * vectors compiles to extractions). */
static inline bool f32_all(i32v m)
{
#if F32_LANES == 16 && defined(__AVX512DQ__)
    return _mm512_movepi32_mask((__m512i)m) == 0xFFFF;
#elif F32_LANES == 8 && defined(__AVX2__)
    return _mm256_movemask_ps((__m256)m) == 0xFF;
#elif F32_LANES == 4 && defined(__aarch64__)
    return vminvq_u32((uint32x4_t)m) != 0;
#else
    int32_t a = -1;
    for (int l = 0; l < F32_LANES; l++)
        a &= m[l];
    return a != 0;
#endif
}

/* LOGISTIC: a vector whose lanes are all past the upper cutoff is ones, all below -87 zeros
 * (exactly what f32_logistic gives them): a segmentation mask's logits are mostly either, in
 * runs, and the exponential's 25 operations were twice the scalar reference's time there. */
void F32_FN(edge_f32_logistic)(const float *in, float *out, size_t n)
{
    const f32v upper = f32_splat(EDGE_FLOGISTIC_UPPER), under = f32_splat(EDGE_FEXP_LO);
    const f32v one = f32_splat(1.0f), zero = f32_splat(0.0f);
    size_t i = 0;
    for (; i + F32_LANES <= n; i += F32_LANES) {
        const f32v v = f32_ld(in + i);
        f32_st(out + i, f32_all(v > upper) ? one : f32_all(v < under) ? zero : f32_logistic(v));
    }
    for (; i < n; i++)
        out[i] = edge_flogistic(in[i]);
}
F32_MAP(edge_f32_tanh, f32_tanh(v), edge_ftanh(v))

/* SOFTMAX float32 rows [ROW0, ROW1) of P (edge_ref_softmax_f32): the maximum by the
 * reference's select on lanes, then across them (a maximum is the same in any order; -0 and
 * +0 give the same differences); the exponentials on lanes (edge_fexp's steps) into OUT; their
 * sum in element order, as the reference adds; then the divisions on lanes. */
void F32_FN(edge_f32_softmax)(const edge_softmax_params *p, const float *in, float *out,
                              size_t row0, size_t row1)
{
    const size_t depth = p->depth;
    const f32v beta = f32_splat(p->beta), one = f32_splat(1.0f), zero = f32_splat(0.0f);
    for (size_t r = row0; r < row1; r++) {
        const float *x = in + r * depth;
        float *y = out + r * depth;
        f32v mv = f32_splat(-FLT_MAX);
        size_t c = 0;
        for (; c + F32_LANES <= depth; c += F32_LANES) {
            const f32v v = f32_ld(x + c);
            mv = f32_sel(mv < v, v, mv);
        }
        float max = -FLT_MAX;
        for (int l = 0; l < F32_LANES; l++)
            max = max < mv[l] ? mv[l] : max;
        for (; c < depth; c++)
            max = max < x[c] ? x[c] : max;
        const f32v maxv = f32_splat(max);
        for (c = 0; c + F32_LANES <= depth; c += F32_LANES) {
            const f32v a = (f32_ld(x + c) - maxv) * beta;
            const i32v nan = a != a;
            f32v q, s;
            f32_fexp_parts(f32_sel(nan, zero, a), &q, &s);
            f32_st(y + c, f32_sel(nan, a, s * (q + one)));
        }
        for (; c < depth; c++)
            y[c] = edge_fexp((x[c] - max) * p->beta);
        float sum = 0.0f;
        for (c = 0; c < depth; c++)
            sum += y[c];
        const f32v sv = f32_splat(sum);
        for (c = 0; c + F32_LANES <= depth; c += F32_LANES)
            f32_st(y + c, f32_ld(y + c) / sv);
        for (; c < depth; c++)
            y[c] = y[c] / sum;
    }
}

/* ref/fexp.h's edge_flog on lanes. */
static inline __attribute__((always_inline)) f32v f32_log(f32v x)
{
    const i32v b0 = (i32v)x;
    const i32v sub = (b0 >= 0) & (b0 < 0x00800000); /* +0 and the positive subnormals */
    const f32v xs = f32_sel(sub, x * f32_splat(8388608.0f), x);
    const i32v b = (i32v)xs;
    i32v e = ((b >> 23) & 0xff) - 126 - (sub & 23);
    f32v m = (f32v)((b & 0x007fffff) | 0x3f000000);
    const i32v low = m < f32_splat(EDGE_FLOG_SQRTHF);
    e = e + low; /* low lanes are -1 */
    const f32v one = f32_splat(1.0f);
    const f32v f = f32_sel(low, (m + m) - one, m - one);
    const f32v z = f * f;
    f32v p = f32_splat(EDGE_FLOG_L0);
    p = p * f + f32_splat(EDGE_FLOG_L1);
    p = p * f + f32_splat(EDGE_FLOG_L2);
    p = p * f + f32_splat(EDGE_FLOG_L3);
    p = p * f + f32_splat(EDGE_FLOG_L4);
    p = p * f + f32_splat(EDGE_FLOG_L5);
    p = p * f + f32_splat(EDGE_FLOG_L6);
    p = p * f + f32_splat(EDGE_FLOG_L7);
    p = p * f + f32_splat(EDGE_FLOG_L8);
    const f32v fe = __builtin_convertvector(e, f32v);
    f32v y = f * (z * p);
    y = y + f32_splat(EDGE_FEXP_C2) * fe;
    y = y - f32_splat(0.5f) * z;
    f32v r = f + y;
    r = r + f32_splat(EDGE_FEXP_C1) * fe;
    const f32v zero = f32_splat(0.0f), inf = f32_splat(__builtin_inff());
    r = f32_sel(x == zero, -inf, r);
    r = f32_sel(x < zero, f32_splat(__builtin_nanf("")), r);
    r = f32_sel(x == inf, x, r);
    return f32_sel(x != x, x, r);
}
F32_MAP(edge_f32_log, f32_log(v), edge_flog(v))

/* QUANTIZE float32 -> int8 / uint8 (edge_ref_quantize_f32_s8 / _u8): r = roundf(x / scale),
 * half away from zero; NaN and values below int32 as INT32_MIN, above as INT32_MAX; plus the
 * zero point, clamped to [LO, HI]. In lanes: x / scale as the reference divides; NaN becomes
 * -1e9 and the quotient is clamped to [-1e9, 1e9] (the same clamped result: the zero point is
 * far smaller), truncated to int32 and moved one away from zero when the dropped fraction is at
 * least one half (exact: below 2^23 the fraction is exact, above it the quotient is whole). */
static inline i32v f32_quantize(f32v x, f32v scale, i32v zp, i32v lo, i32v hi)
{
    const f32v big = f32_splat(1e9f), nbig = f32_splat(-1e9f), half = f32_splat(0.5f),
               nhalf = f32_splat(-0.5f);
    f32v d = x / scale;
    d = f32_sel(d != d, nbig, d);
    d = f32_sel(d < nbig, nbig, d);
    d = f32_sel(big < d, big, d);
    i32v t = __builtin_convertvector(d, i32v);
    const f32v frac = d - __builtin_convertvector(t, f32v);
    t += (i32v)(frac >= half) & 1; /* masks are -1: & 1 gives 1 */
    t -= (i32v)(frac <= nhalf) & 1;
    t += zp;
    t = ((t < lo) & lo) | (~(t < lo) & t);
    return ((hi < t) & hi) | (~(hi < t) & t);
}

#define F32_QUANTIZE(NAME, T, LO, HI, REF)                                                    \
    void F32_FN(NAME)(const edge_affine_params *p, const float *in, T *out, size_t n)         \
    {                                                                                         \
        typedef T tv __attribute__((vector_size(F32_LANES * sizeof(T))));                     \
        const f32v scale = f32_splat(p->scale);                                               \
        i32v zp, lo, hi;                                                                      \
        for (int l = 0; l < F32_LANES; l++) {                                                 \
            zp[l] = p->zero_point;                                                            \
            lo[l] = (LO);                                                                     \
            hi[l] = (HI);                                                                     \
        }                                                                                     \
        size_t i = 0;                                                                         \
        for (; i + F32_LANES <= n; i += F32_LANES) {                                          \
            const tv q =                                                                      \
                __builtin_convertvector(f32_quantize(f32_ld(in + i), scale, zp, lo, hi), tv); \
            memcpy(out + i, &q, sizeof q);                                                    \
        }                                                                                     \
        if (i < n)                                                                            \
            REF(p, in + i, out + i, n - i);                                                   \
    }

F32_QUANTIZE(edge_f32_quantize_s8, int8_t, INT8_MIN, INT8_MAX, edge_ref_quantize_f32_s8)
F32_QUANTIZE(edge_f32_quantize_u8, uint8_t, 0, UINT8_MAX, edge_ref_quantize_f32_u8)
F32_QUANTIZE(edge_f32_quantize_s16, int16_t, INT16_MIN, INT16_MAX, edge_ref_quantize_f32_s16)
