/* kernels/generic/f32_tconv_impl.h - the float32 transposed convolution of kernels/f32.h,
 * written once with GCC vector extensions and instantiated per level.
 *
 * Owns: the body of edge_f32_tconv_fn. The reference scatters every input element into the
 * outputs it reaches; this gathers instead, so each output element's sum takes the very same
 * terms in the very same order (input row ascending, then input column, then input channel) and
 * its bits are the reference's. The outputs of one row whose column has one phase modulo the
 * stride (ox = q + stride_w * j) take the same filter columns, from input columns that advance
 * by one with j: those go F32_LANES at a time, reading the input rows transposed to [channel]
 * [column] in SCRATCH (each input row once per call while it is in use); columns whose taps
 * would leave the input, and the remainder, go one by one. The level's file defines F32_LANES
 * and F32_SFX (f32_dw_impl.h does) and includes this after it. Does not own dispatch or
 * threading (the caller splits rows and gives each call its own scratch). */
#include <stdbool.h>
#include <string.h>

#include "f32.h"

#if !defined(F32_LANES) || !defined(F32_SFX)
#error "define F32_LANES and F32_SFX before including f32_tconv_impl.h"
#endif

#define F32_TC_CAT2(a, b) a##b
#define F32_TC_CAT(a, b) F32_TC_CAT2(a, b)
#define F32_TC(name) F32_TC_CAT(name, F32_SFX)

typedef float F32_TC(f32_tc_v) __attribute__((vector_size(F32_LANES * sizeof(float))));
typedef int32_t F32_TC(f32_tc_m) __attribute__((vector_size(F32_LANES * sizeof(float))));

/* X in every lane, its bits unchanged (an integer add of 0 cannot turn -0.0f into +0.0f). */
static inline F32_TC(f32_tc_v) F32_TC(tc_splat)(float x)
{
    int32_t bits;
    memcpy(&bits, &x, sizeof bits);
    const F32_TC(f32_tc_m) m = (F32_TC(f32_tc_m)){0} + bits;
    return (F32_TC(f32_tc_v))m;
}

/* floor(a / b) for b > 0. */
static inline int32_t F32_TC(tc_floor_div)(int32_t a, int32_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The input rows one output row reads: IY ascending, FY the filter row each meets it with, XT
 * each one transposed. */
typedef struct F32_TC(tc_rows) {
    int32_t n, iy[EDGE_F32_TCONV_SLOTS], fy[EDGE_F32_TCONV_SLOTS];
    const float *xt[EDGE_F32_TCONV_SLOTS];
} F32_TC(tc_rows);

/* One output element (row list R, column OX, channel OC): the reference's sum in its order. */
static float F32_TC(tc_one)(const edge_conv_params *p, const F32_TC(tc_rows) * r, const float *in_b,
                            const float *w, float init, int32_t ox, int32_t oc)
{
    const size_t c = (size_t)p->in_c;
    const int32_t left = ox + p->pad_w; /* ix * stride_w + fx == left */
    int32_t ix0 = F32_TC(tc_floor_div)(left - p->k_w, p->stride_w) + 1;
    int32_t ix1 = F32_TC(tc_floor_div)(left, p->stride_w);
    ix0 = ix0 < 0 ? 0 : ix0;
    ix1 = ix1 >= p->in_w ? p->in_w - 1 : ix1;
    float acc = init;
    for (int32_t k = 0; k < r->n; k++) {
        const float *xr = in_b + (size_t)r->iy[k] * (size_t)p->in_w * c;
        for (int32_t ix = ix0; ix <= ix1; ix++) {
            const int32_t fx = left - ix * p->stride_w;
            const float *wr =
                w +
                (((size_t)oc * (size_t)p->k_h + (size_t)r->fy[k]) * (size_t)p->k_w + (size_t)fx) *
                    c;
            for (size_t ic = 0; ic < c; ic++)
                acc = acc + xr[(size_t)ix * c + ic] * wr[ic];
        }
    }
    return acc;
}

/* TRANSPOSE_CONV's last steps: the bias (0.0f when BIAS is NULL), then the clamp. */
static inline float F32_TC(tc_finish)(const edge_conv_params *p, const float *bias, int32_t oc,
                                      float acc)
{
    return edge_ref_act_f32(acc + (bias ? bias[oc] : 0.0f), p->act_min_f, p->act_max_f);
}

/* Input row IY of batch IN_B as [channel][column] into DST: 4x4 blocks, then the edges. */
static void F32_TC(tc_transpose)(const edge_conv_params *p, const float *in_b, int32_t iy,
                                 float *dst)
{
    const size_t c = (size_t)p->in_c, wd = (size_t)p->in_w;
    typedef float f4 __attribute__((vector_size(16)));
    const float *src = in_b + (size_t)iy * wd * c;
    size_t ic = 0;
    for (; ic + 4 <= c; ic += 4) { /* 4x4 blocks: two rounds of interleaving */
        size_t ix = 0;
        for (; ix + 4 <= wd; ix += 4) {
            f4 a, b, e, f;
            memcpy(&a, src + ix * c + ic, sizeof a);
            memcpy(&b, src + (ix + 1) * c + ic, sizeof b);
            memcpy(&e, src + (ix + 2) * c + ic, sizeof e);
            memcpy(&f, src + (ix + 3) * c + ic, sizeof f);
            const f4 ab0 = __builtin_shufflevector(a, b, 0, 4, 1, 5);
            const f4 ab1 = __builtin_shufflevector(a, b, 2, 6, 3, 7);
            const f4 ef0 = __builtin_shufflevector(e, f, 0, 4, 1, 5);
            const f4 ef1 = __builtin_shufflevector(e, f, 2, 6, 3, 7);
            const f4 r0 = __builtin_shufflevector(ab0, ef0, 0, 1, 4, 5);
            const f4 r1 = __builtin_shufflevector(ab0, ef0, 2, 3, 6, 7);
            const f4 r2 = __builtin_shufflevector(ab1, ef1, 0, 1, 4, 5);
            const f4 r3 = __builtin_shufflevector(ab1, ef1, 2, 3, 6, 7);
            memcpy(dst + ic * wd + ix, &r0, sizeof r0);
            memcpy(dst + (ic + 1) * wd + ix, &r1, sizeof r1);
            memcpy(dst + (ic + 2) * wd + ix, &r2, sizeof r2);
            memcpy(dst + (ic + 3) * wd + ix, &r3, sizeof r3);
        }
        for (; ix < wd; ix++)
            for (size_t k = ic; k < ic + 4; k++)
                dst[k * wd + ix] = src[ix * c + k];
    }
    for (; ic < c; ic++)
        for (size_t ix = 0; ix < wd; ix++)
            dst[ic * wd + ix] = src[ix * c + ic];
}

/* Four independent vectors of outputs of row R at once (their sums are chains of dependent
 * adds; four hide the latency): vector i holds columns q + stride_w * (js[i] + l) of channel
 * ocs[i], of which the first ms[i] lanes are stored (the others may have read past the input
 * row, into the transposed rows' padding). The phase's filter columns are FX_HI, FX_HI -
 * stride_w, ... (NFX of them: input columns ascending), every stored lane's taps inside the
 * input. */
static void F32_TC(tc_quad)(const edge_conv_params *p, const F32_TC(tc_rows) * r, const float *w,
                            const float *bias, bool bias_first, float *o, int32_t q, int32_t fx_hi,
                            int32_t nfx, const int32_t js[4], const int32_t ocs[4],
                            const int32_t ms[4])
{
    typedef F32_TC(f32_tc_v) VT;
    typedef F32_TC(f32_tc_m) MT;
    const size_t c = (size_t)p->in_c, wd = (size_t)p->in_w;
    /* named, so that they stay in registers; a broadcast, not 0 + x: -0.0f stays -0.0f */
    VT a0 = F32_TC(tc_splat)(bias_first ? bias[ocs[0]] : 0.0f);
    VT a1 = F32_TC(tc_splat)(bias_first ? bias[ocs[1]] : 0.0f);
    VT a2 = F32_TC(tc_splat)(bias_first ? bias[ocs[2]] : 0.0f);
    VT a3 = F32_TC(tc_splat)(bias_first ? bias[ocs[3]] : 0.0f);
    for (int32_t k = 0; k < r->n; k++) {
        for (int32_t t = 0, fx = fx_hi; t < nfx; t++, fx -= p->stride_w) {
            const float *xc = r->xt[k] + (q + p->pad_w - fx) / p->stride_w;
            const float *x0 = xc + js[0], *x1 = xc + js[1], *x2 = xc + js[2], *x3 = xc + js[3];
            const size_t tap = ((size_t)r->fy[k] * (size_t)p->k_w + (size_t)fx) * c;
            const size_t per_oc = (size_t)p->k_h * (size_t)p->k_w * c;
            const float *w0 = w + (size_t)ocs[0] * per_oc + tap,
                        *w1 = w + (size_t)ocs[1] * per_oc + tap;
            const float *w2 = w + (size_t)ocs[2] * per_oc + tap,
                        *w3 = w + (size_t)ocs[3] * per_oc + tap;
            for (size_t ic = 0; ic < c; ic++) {
                VT v0, v1, v2, v3;
                memcpy(&v0, x0 + ic * wd, sizeof v0);
                memcpy(&v1, x1 + ic * wd, sizeof v1);
                memcpy(&v2, x2 + ic * wd, sizeof v2);
                memcpy(&v3, x3 + ic * wd, sizeof v3);
                a0 = a0 + v0 * w0[ic];
                a1 = a1 + v1 * w1[ic];
                a2 = a2 + v2 * w2[ic];
                a3 = a3 + v3 * w3[ic];
            }
        }
    }
    const VT acc[4] = {a0, a1, a2, a3};
    const VT lo = F32_TC(tc_splat)(p->act_min_f), hi = F32_TC(tc_splat)(p->act_max_f);
    const size_t step = (size_t)p->stride_w * (size_t)p->out_c;
    for (int i = 0; i < 4; i++) {
        VT x = acc[i];
        if (!bias_first) {
            x = x + (bias ? bias[ocs[i]] : 0.0f);
            MT m = x < lo; /* x = x < lo ? lo : x; x = hi < x ? hi : x (NaN passes) */
            x = (VT)(((MT)lo & m) | ((MT)x & ~m));
            m = hi < x;
            x = (VT)(((MT)hi & m) | ((MT)x & ~m));
        }
        float *dst = o + ((size_t)q + (size_t)p->stride_w * (size_t)js[i]) * (size_t)p->out_c +
                     (size_t)ocs[i];
        for (int l = 0; l < ms[i]; l++)
            dst[(size_t)l * step] = x[l];
    }
}

/* Columns q + stride_w * j, j in [J0, J1), of every channel of row R, by tc_quad: the
 * (tile, channel) pairs four at a time, channels of one tile next to each other (they read the
 * same inputs). */
static void F32_TC(tc_interior)(const edge_conv_params *p, const F32_TC(tc_rows) * r,
                                const float *w, const float *bias, bool bias_first, float *o,
                                int32_t q, int32_t fx_hi, int32_t nfx, int32_t j0, int32_t j1)
{
    const int32_t tiles = (j1 - j0 + F32_LANES - 1) / F32_LANES;
    const int64_t items = (int64_t)tiles * p->out_c;
    int32_t js[4], ocs[4], ms[4];
    int n = 0;
    for (int64_t e = 0; e < items; e++) {
        const int32_t tile = (int32_t)(e / p->out_c);
        js[n] = j0 + tile * F32_LANES;
        ocs[n] = (int32_t)(e % p->out_c);
        ms[n] = j1 - js[n] < F32_LANES ? j1 - js[n] : F32_LANES;
        if (++n == 4 || e + 1 == items) {
            for (int i = n; i < 4; i++) { /* repeats of the last, not stored */
                js[i] = js[n - 1];
                ocs[i] = ocs[n - 1];
                ms[i] = 0;
            }
            F32_TC(tc_quad)(p, r, w, bias, bias_first, o, q, fx_hi, nfx, js, ocs, ms);
            n = 0;
        }
    }
}

void F32_TC(edge_f32_tconv)(const edge_conv_params *p, const float *in, const float *w,
                            const float *bias, bool bias_first, float *out, void *scratch,
                            int32_t row0, int32_t row1)
{
    const int32_t slots = edge_f32_tconv_slots(p);
    const size_t row_len = (size_t)p->in_w * (size_t)p->in_c;
    int64_t tag[EDGE_F32_TCONV_SLOTS];
    for (int32_t s = 0; s < slots; s++)
        tag[s] = -1;
    for (int32_t r = row0; r < row1; r++) {
        const int32_t b = r / p->out_h, oy = r % p->out_h, top = oy + p->pad_h;
        const float *in_b = in + (size_t)b * (size_t)p->in_h * row_len;
        int32_t iy0 = F32_TC(tc_floor_div)(top - p->k_h, p->stride_h) + 1;
        int32_t iy1 = F32_TC(tc_floor_div)(top, p->stride_h);
        iy0 = iy0 < 0 ? 0 : iy0;
        iy1 = iy1 >= p->in_h ? p->in_h - 1 : iy1;
        F32_TC(tc_rows) rows = {0};
        for (int32_t iy = iy0; iy <= iy1; iy++, rows.n++) {
            const int32_t s = iy % slots;
            float *dst = (float *)scratch + (size_t)s * row_len;
            const int64_t key = (int64_t)b * p->in_h + iy;
            if (tag[s] != key) {
                F32_TC(tc_transpose)(p, in_b, iy, dst);
                tag[s] = key;
            }
            rows.iy[rows.n] = iy;
            rows.fy[rows.n] = top - iy * p->stride_h;
            rows.xt[rows.n] = dst;
        }
        float *o = out + (size_t)r * (size_t)p->out_w * (size_t)p->out_c;
        for (int32_t q = 0; q < p->stride_w && q < p->out_w; q++) {
            /* this phase's filter columns fx = f0 + stride_w * t, its columns q + stride_w * j */
            const int32_t f0 = ((q + p->pad_w) % p->stride_w + p->stride_w) % p->stride_w;
            const int32_t nfx = f0 < p->k_w ? (p->k_w - 1 - f0) / p->stride_w + 1 : 0;
            const int32_t fx_hi = f0 + (nfx - 1) * p->stride_w;
            const int32_t n_j = (p->out_w - q + p->stride_w - 1) / p->stride_w;
            int32_t j_lo = n_j, j_hi = n_j; /* [j_lo, j_hi): every tap inside the input */
            if (nfx > 0 && rows.n > 0) {
                j_lo = -((q + p->pad_w - fx_hi) / p->stride_w);
                j_lo = j_lo < 0 ? 0 : j_lo > n_j ? n_j : j_lo;
                j_hi = p->in_w - (q + p->pad_w - f0) / p->stride_w;
                j_hi = j_hi > n_j ? n_j : j_hi < j_lo ? j_lo : j_hi;
            }
            if (j_lo < j_hi)
                F32_TC(tc_interior)(p, &rows, w, bias, bias_first, o, q, fx_hi, nfx, j_lo, j_hi);
            for (int32_t j = 0; j < n_j; j++) {
                if (j == j_lo)
                    j = j_hi;
                if (j == n_j)
                    break;
                const int32_t ox = q + p->stride_w * j;
                for (int32_t oc = 0; oc < p->out_c; oc++) {
                    const float v =
                        F32_TC(tc_one)(p, &rows, in_b, w, bias_first ? bias[oc] : 0.0f, ox, oc);
                    o[(size_t)ox * (size_t)p->out_c + (size_t)oc] =
                        bias_first ? v : F32_TC(tc_finish)(p, bias, oc, v);
                }
            }
        }
    }
}

#undef F32_TC
#undef F32_TC_CAT
#undef F32_TC_CAT2
