/* kernels/arm/requant_neon.h - the vector requantization of every ARM int8 kernel.
 *
 * Owns: edge_mbqm / edge_mbqm_lt1 (ref/requant.h: TFLite's double-rounding
 * MultiplyByQuantizedMultiplier) on four int32 lanes, bit for bit, and the
 * output stage (wrapping zero-point add, clamp, narrowing to int8). Uses only
 * intrinsics common to aarch64 and armv7 NEON, so every ARM level includes it.
 *
 * Why each step is exact:
 *   - x << left:   vshlq_s32 with a count in [0, 30] drops the high bits, which
 *                  is edge_wrap_shl32.
 *   - srdhm(x, m): vqrdmulhq_s32 is gemmlowp's SaturatingRoundingDoublingHighMul
 *                  (round half up of 2*x*m / 2^32, the lone overflow saturated).
 *   - rdbpot(v, e): vrshlq_s32(v, -e) rounds ties up, RoundingDivideByPOT rounds
 *                  them away from zero. Subtracting 1 from a negative v first
 *                  turns "half up" into "half down" for it, the fixup TFLite's
 *                  NEON code applies: (v & -e) >> 31 is -1 exactly when v < 0 and
 *                  e > 0. The add is one ssra and does not saturate: v is a
 *                  vqrdmulhq_s32 result, never INT32_MIN (its least is -2^31 + 1).
 *   - zero point:  added in int32 with wrap-around (as edge_wrap_add32), then
 *                  two saturating narrowings (monotonic, and [lo, hi] lies in
 *                  [-128, 127]) and the clamp give edge_clamp32 exactly.
 * Shifts are per lane: left = max(shift, 0), right = min(shift, 0) (negated
 * exponent, the form vrshlq_s32 wants). Does not own the scalar definition
 * (ref/requant.h) or the contracts (qs8.h). */
#ifndef EDGE_ARM_REQUANT_NEON_H
#define EDGE_ARM_REQUANT_NEON_H

#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#include "qs8.h"

/* Per-lane requantization parameters, derived from the packed mult and shift. */
typedef struct edge_neon_rq {
    int32x4_t mult;
    int32x4_t left;  /* max(shift, 0) */
    int32x4_t right; /* min(shift, 0): minus the right-shift exponent */
} edge_neon_rq;

/* The output stage of qs8.h's edge_qs8_out, broadcast. */
typedef struct edge_neon_out {
    int32x4_t zp;
    int8x16_t lo, hi;
} edge_neon_out;

static inline edge_neon_rq edge_neon_rq_make(int32x4_t mult, int32x4_t shift)
{
    const int32x4_t zero = vdupq_n_s32(0);
    edge_neon_rq rq = {mult, vmaxq_s32(shift, zero), vminq_s32(shift, zero)};
    return rq;
}

/* The requantization parameters of four channels of a packed block header. */
static inline edge_neon_rq edge_neon_rq_load(const int32_t *mult, const int32_t *shift)
{
    return edge_neon_rq_make(vld1q_s32(mult), vld1q_s32(shift));
}

static inline edge_neon_out edge_neon_out_make(const edge_qs8_out *o)
{
    edge_neon_out v = {vdupq_n_s32(o->zp), vdupq_n_s8((int8_t)o->lo), vdupq_n_s8((int8_t)o->hi)};
    return v;
}

/* gemmlowp RoundingDivideByPOT(v, -neg_e) per lane, neg_e in [-31, 0], for V > INT32_MIN
 * (see the top): the fix-up goes in with one ssra (v + (t >> 31)) rather than sshr + sqadd,
 * one vector instruction less per 4 lanes of every ARM requantization. */
static inline int32x4_t edge_neon_rdbpot(int32x4_t v, int32x4_t neg_e)
{
    return vrshlq_s32(vsraq_n_s32(v, vandq_s32(v, neg_e), 31), neg_e);
}

/* edge_mbqm_lt1: rdbpot(srdhm(x, mult), -shift) with neg_e = shift <= 0. */
static inline int32x4_t edge_neon_mbqm_lt1(int32x4_t x, int32x4_t mult, int32x4_t neg_e)
{
    return edge_neon_rdbpot(vqrdmulhq_s32(x, mult), neg_e);
}

/* edge_mbqm: the full double-rounding multiply with per-lane shifts. */
static inline int32x4_t edge_neon_mbqm(int32x4_t x, edge_neon_rq rq)
{
    return edge_neon_mbqm_lt1(vshlq_s32(x, rq.left), rq.mult, rq.right);
}

/* Eight requantized lanes (v0: lanes 0-3, v1: 4-7) + zero point, clamped. */
static inline int8x8_t edge_neon_out8(int32x4_t v0, int32x4_t v1, const edge_neon_out *o)
{
    const int16x8_t h =
        vcombine_s16(vqmovn_s32(vaddq_s32(v0, o->zp)), vqmovn_s32(vaddq_s32(v1, o->zp)));
    const int8x8_t b = vqmovn_s16(h);
    return vmin_s8(vmax_s8(b, vget_low_s8(o->lo)), vget_low_s8(o->hi));
}

/* Sixteen requantized lanes (v0..v3 in order) + zero point, clamped. */
static inline int8x16_t edge_neon_out16(int32x4_t v0, int32x4_t v1, int32x4_t v2, int32x4_t v3,
                                        const edge_neon_out *o)
{
    const int16x8_t h0 =
        vcombine_s16(vqmovn_s32(vaddq_s32(v0, o->zp)), vqmovn_s32(vaddq_s32(v1, o->zp)));
    const int16x8_t h1 =
        vcombine_s16(vqmovn_s32(vaddq_s32(v2, o->zp)), vqmovn_s32(vaddq_s32(v3, o->zp)));
    const int8x16_t b = vcombine_s8(vqmovn_s16(h0), vqmovn_s16(h1));
    return vminq_s8(vmaxq_s8(b, o->lo), o->hi);
}

/* The same for a uint8 output (legacy uint8 kernels): O's lo and hi hold uint8 values (bit
 * patterns in the int8 lanes) and the narrowing saturates unsigned, monotonic as above, so with
 * [lo, hi] inside [0, 255] the clamp is edge_clamp32's. */
static inline uint8x16_t edge_neon_out16_u8(int32x4_t v0, int32x4_t v1, int32x4_t v2, int32x4_t v3,
                                            const edge_neon_out *o)
{
    const uint16x8_t h0 =
        vcombine_u16(vqmovun_s32(vaddq_s32(v0, o->zp)), vqmovun_s32(vaddq_s32(v1, o->zp)));
    const uint16x8_t h1 =
        vcombine_u16(vqmovun_s32(vaddq_s32(v2, o->zp)), vqmovun_s32(vaddq_s32(v3, o->zp)));
    const uint8x16_t b = vcombine_u8(vqmovn_u16(h0), vqmovn_u16(h1));
    return vminq_u8(vmaxq_u8(b, vreinterpretq_u8_s8(o->lo)), vreinterpretq_u8_s8(o->hi));
}

/* Eight lanes likewise to uint8 (edge_neon_out8's uint8 twin). */
static inline uint8x8_t edge_neon_out8_u8(int32x4_t v0, int32x4_t v1, const edge_neon_out *o)
{
    const uint16x8_t h =
        vcombine_u16(vqmovun_s32(vaddq_s32(v0, o->zp)), vqmovun_s32(vaddq_s32(v1, o->zp)));
    const uint8x8_t b = vqmovn_u16(h);
    return vmin_u8(vmax_u8(b, vreinterpret_u8_s8(vget_low_s8(o->lo))),
                   vreinterpret_u8_s8(vget_low_s8(o->hi)));
}

/* The sum of A's KC bytes (uint8), wrapping: the legacy uint8 GEMM's row term. */
static inline uint32_t edge_neon_sum_u8(const uint8_t *a, size_t kc)
{
    uint32x4_t s = vdupq_n_u32(0);
    size_t k = 0;
    for (; k + 16 <= kc; k += 16)
        s = vpadalq_u16(s, vpaddlq_u8(vld1q_u8(a + k)));
    uint32_t t =
        vgetq_lane_u32(s, 0) + vgetq_lane_u32(s, 1) + vgetq_lane_u32(s, 2) + vgetq_lane_u32(s, 3);
    for (; k < kc; k++)
        t += a[k];
    return t;
}

/* The row addends of a uint8 GEMM whose products are A * (W + 128) (W the packed int8 weights
 * as unsigned bytes): the contract's b * (sum A - kzx), less the 128 * sum A those products
 * add, for rows 0..MR-1 of A (stride A_STRIDE, KC bytes each), wrapping. */
static inline void edge_neon_u8_rows(const uint8_t *a, size_t a_stride, size_t mr, size_t kc,
                                     int32_t b, int32_t kzx, int32_t *row)
{
    for (size_t m = 0; m < mr; m++) {
        const uint32_t s = edge_neon_sum_u8(a + m * a_stride, kc);
        row[m] = (int32_t)((uint32_t)b * (s - (uint32_t)kzx) - 128u * s);
    }
}

/* Store the first N (< 16) bytes of V at P, without touching P[N..15]. */
static inline void edge_neon_store_part16(int8_t *p, int8x16_t v, size_t n)
{
    int8x8_t lo = vget_low_s8(v);
    if (n & 8) {
        vst1_s8(p, lo);
        lo = vget_high_s8(v);
        p += 8;
    }
    if (n & 4) {
        const uint32_t t = vget_lane_u32(vreinterpret_u32_s8(lo), 0);
        memcpy(p, &t, sizeof t); /* unaligned: no lane store with an alignment hint */
        lo = vext_s8(lo, lo, 4);
        p += 4;
    }
    if (n & 2) {
        const uint16_t t = vget_lane_u16(vreinterpret_u16_s8(lo), 0);
        memcpy(p, &t, sizeof t);
        lo = vext_s8(lo, lo, 2);
        p += 2;
    }
    if (n & 1)
        vst1_lane_s8(p, lo, 0);
}

#endif
