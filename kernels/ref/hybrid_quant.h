/* kernels/ref/hybrid_quant.h - TensorFlow Lite's per-row input quantization of the hybrid
 * kernels, given the row's smallest and largest element.
 *
 * Owns: the in-order min / max scan and the element loops of edge_ref_quantize_sym / _asym
 * (ref/hybrid.c) as static inline
 * functions, so that the reference (baseline flags) and each level (generic/hybrid_impl.h, its
 * own flags and its own vector min / max) compile the same code: a vector loop does each
 * element's float steps exactly as the scalar one. */
#ifndef EDGE_KERNELS_REF_HYBRID_QUANT_H
#define EDGE_KERNELS_REF_HYBRID_QUANT_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vectorize.h"

/* std::minmax_element as the reference scans it: the first smallest and the last largest of the
 * N >= 1 floats at X. */
static inline void edge_hybrid_min_max(const float *x, size_t n, float *lo, float *hi)
{
    float mn = x[0], mx = x[0];
    for (size_t i = 1; i < n; i++) {
        if (x[i] < mn)
            mn = x[i];
        if (!(x[i] < mx))
            mx = x[i];
    }
    *lo = mn;
    *hi = mx;
}

/* static_cast<int32_t>(TfLiteRound(roundf(v))) clamped to [LO, HI], without the cast's
 * undefined behaviour: NaN takes LO (what x86's conversion then the clamp give). roundf
 * (half away from zero) is done inline, exactly: below 2^23 the truncation's remainder v - t is
 * exact, and from 2^23 every float is an integer already (libm's call per element was a third
 * of a hybrid model's time). */
EDGE_VECTORIZE_FP static inline int32_t edge_hybrid_round_clamp(float v, int32_t lo, int32_t hi)
{
    const bool small = fabsf(v) < 8388608.0f; /* without branches: the loops vectorize */
    const float t = (float)(int32_t)(small ? v : 0.0f), d = v - t;
    float r = small ? t + ((d >= 0.5f ? 1.0f : 0.0f) - (d <= -0.5f ? 1.0f : 0.0f)) : v;
    r = r >= (float)lo ? r : (float)lo; /* NaN takes LO */
    r = r > (float)hi ? (float)hi : r;
    return (int32_t)r;
}

/* Vector lanes of the element loops below: a level's file may set more before including this
 * header (generic/hybrid_impl.h); 4 floats are SSE2's and NEON's registers. */
#ifndef EDGE_HQ_LANES
#define EDGE_HQ_LANES 4
#endif
typedef float edge_hq_fv __attribute__((vector_size(EDGE_HQ_LANES * sizeof(float))));
typedef int32_t edge_hq_iv __attribute__((vector_size(EDGE_HQ_LANES * sizeof(float))));
typedef int8_t edge_hq_bv __attribute__((vector_size(EDGE_HQ_LANES)));

/* edge_hybrid_round_clamp lane by lane, as int8: each lane the same float steps, written with
 * masks (GCC turned the scalar form's conditions into branches, one element at a time). */
static inline edge_hq_bv edge_hq_round_clamp(edge_hq_fv v, float lo, float hi)
{
    const edge_hq_iv bits = (edge_hq_iv)v;
    const edge_hq_iv small = (edge_hq_fv)(bits & 0x7FFFFFFF) < 8388608.0f;
    const edge_hq_fv t = __builtin_convertvector(
        __builtin_convertvector((edge_hq_fv)(bits & small), edge_hq_iv), edge_hq_fv);
    const edge_hq_fv d = v - t, one = (edge_hq_fv){0} + 1.0f;
    const edge_hq_fv up = (edge_hq_fv)((edge_hq_iv)one & (d >= 0.5f)),
                     dn = (edge_hq_fv)((edge_hq_iv)one & (d <= -0.5f));
    const edge_hq_fv rt = t + (up - dn);
    edge_hq_fv r = (edge_hq_fv)(((edge_hq_iv)rt & small) | (bits & ~small));
    const edge_hq_fv vlo = (edge_hq_fv){0} + lo, vhi = (edge_hq_fv){0} + hi;
    edge_hq_iv m = r >= vlo; /* NaN takes LO */
    r = (edge_hq_fv)(((edge_hq_iv)r & m) | ((edge_hq_iv)vlo & ~m));
    m = r > vhi;
    r = (edge_hq_fv)(((edge_hq_iv)vhi & m) | ((edge_hq_iv)r & ~m));
    return __builtin_convertvector(__builtin_convertvector(r, edge_hq_iv), edge_hq_bv);
}

/* Q[i] = edge_hybrid_round_clamp(ADD + X[i] * INV, LO, HI) for i < N (ADD 0: X[i] * INV alone,
 * exactly as the scalar form, since v + 0.0f is v but for -0.0, which rounds to 0 either way). */
EDGE_VECTORIZE_FP static inline void edge_hq_rows(const float *x, size_t n, float inv, float add,
                                                  bool has_add, int32_t lo, int32_t hi, int8_t *q)
{
    size_t i = 0;
    for (; i + EDGE_HQ_LANES <= n; i += EDGE_HQ_LANES) {
        edge_hq_fv v;
        memcpy(&v, x + i, sizeof v);
        v = v * inv;
        if (has_add)
            v = add + v;
        const edge_hq_bv b = edge_hq_round_clamp(v, (float)lo, (float)hi);
        memcpy(q + i, &b, sizeof b);
    }
    for (; i < n; i++)
        q[i] = (int8_t)edge_hybrid_round_clamp(has_add ? add + x[i] * inv : x[i] * inv, lo, hi);
}

/* SymmetricQuantizeFloats of the N floats at X whose smallest is MN and largest MX. */
EDGE_VECTORIZE_FP static inline void edge_quantize_sym_from(const float *x, size_t n, float mn,
                                                            float mx, int8_t *q, float *scale)
{
    const float a = fabsf(mn), b = fabsf(mx);
    const float range = a < b ? b : a; /* std::max(a, b) */
    if (range == 0.0f) {
        memset(q, 0, n);
        *scale = 1.0f;
        return;
    }
    *scale = range / 127.0f;
    edge_hq_rows(x, n, 127.0f / range, 0.0f, false, -127, 127, q);
}

/* The nudged zero point of AsymmetricQuantizeFloats for [RMIN, RMAX] at SCALE. */
static inline int32_t edge_hybrid_asym_zero_point(double rmin, double rmax, double scale)
{
    const double from_min = -128.0 - rmin / scale;
    const double from_max = 127.0 - rmax / scale;
    const double err_min = 128.0 + fabs(rmin / scale);
    const double err_max = 127.0 + fabs(rmax / scale);
    const double zp = err_min < err_max ? from_min : from_max;
    if (zp <= -128.0)
        return -128;
    if (zp >= 127.0)
        return 127;
    return isnan(zp) ? 0 : (int32_t)round(zp);
}

/* AsymmetricQuantizeFloats of the N floats at X whose smallest is MN and largest MX. */
EDGE_VECTORIZE_FP static inline void edge_quantize_asym_from(const float *x, size_t n, float mn,
                                                             float mx, int8_t *q, float *scale,
                                                             int32_t *zero_point)
{
    const double rmin = (double)(mn < 0.0f ? mn : 0.0f); /* std::min(0.0f, min) */
    const double rmax = (double)(0.0f < mx ? mx : 0.0f); /* std::max(0.0f, max) */
    if (rmin == rmax) {
        memset(q, 0, n);
        *scale = 1.0f;
        *zero_point = 0;
        return;
    }
    const double s = (rmax - rmin) / 255.0;
    const int32_t zp = edge_hybrid_asym_zero_point(rmin, rmax, s);
    *scale = (float)s;
    *zero_point = zp;
    edge_hq_rows(x, n, 1.0f / *scale, (float)zp, true, -128, 127, q);
}

#endif
