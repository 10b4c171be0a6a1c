/* kernels/arm/gemm16_neon.c - the 16x8 GEMM tile (kernels/dot16.h) on aarch64 Advanced SIMD
 * (levels neon and neondot; armv7's 16 q registers cannot hold the tile: it keeps the dot
 * product).
 *
 * Owns: edge_gemm16x8__neon. Four rows by 16 channels in 16 int32x4 accumulators. Each pair of
 * taps is one ld2 of the packed block (the even taps' 16 bytes and the odd taps'), widened to four
 * int16x8; each row's pair of inputs is one 32-bit load, and each tap of it multiplies four
 * weight vectors by its lane (smlal, smlal2 by element). Each 255 pairs the int32 lanes add into
 * the int64 sums (510 products of at most 2^22 fit exactly), then gemm16_out. */
#include <stdint.h>
#include <string.h>

#include <arm_neon.h>

#include "dot16.h"
#include "generic/gemm16_out.h"

enum { CHUNK = 255 };

/* ACC[0..3] (channels 0-15) += the row's tap LANE (of X) times W (channels 0-7) and V (8-15). */
#define TAP(acc, w, v, x, lane)                                    \
    do {                                                           \
        acc[0] = vmlal_lane_s16(acc[0], vget_low_s16(w), x, lane); \
        acc[1] = vmlal_high_lane_s16(acc[1], w, x, lane);          \
        acc[2] = vmlal_lane_s16(acc[2], vget_low_s16(v), x, lane); \
        acc[3] = vmlal_high_lane_s16(acc[3], v, x, lane);          \
    } while (0)

static inline int16x4_t pair_of(const int16_t *x)
{
    int32_t v;
    memcpy(&v, x, sizeof v);
    return vreinterpret_s16_s32(vdup_n_s32(v));
}

void edge_gemm16x8__neon(EDGE_GEMM16_ARGS)
{
    int64_t out[EDGE_GEMM16_MR * EDGE_GEMM16_NR];
    for (size_t k0 = 0; k0 < k2; k0 += CHUNK) {
        const size_t k1 = k2 - k0 < CHUNK ? k2 : k0 + CHUNK;
        int32x4_t a[EDGE_GEMM16_MR][4];
        for (int r = 0; r < EDGE_GEMM16_MR; r++)
            for (int q = 0; q < 4; q++)
                a[r][q] = vdupq_n_s32(0);
        for (size_t kk = k0; kk < k1; kk++) {
            const int8x16x2_t b = vld2q_s8(w + 32 * kk);
            const int16x8_t e0 = vmovl_s8(vget_low_s8(b.val[0])), e1 = vmovl_high_s8(b.val[0]);
            const int16x8_t o0 = vmovl_s8(vget_low_s8(b.val[1])), o1 = vmovl_high_s8(b.val[1]);
            for (int r = 0; r < EDGE_GEMM16_MR; r++) {
                const int16x4_t xv = pair_of(x[r] + 2 * kk);
                TAP(a[r], e0, e1, xv, 0);
                TAP(a[r], o0, o1, xv, 1);
            }
        }
        for (int r = 0; r < EDGE_GEMM16_MR; r++)
            for (int q = 0; q < 4; q++) {
                int64_t *dst = out + r * EDGE_GEMM16_NR + 4 * q;
                const int64x2_t l = vmovl_s32(vget_low_s32(a[r][q])), h = vmovl_high_s32(a[r][q]);
                if (k0) {
                    vst1q_s64(dst, vaddq_s64(vld1q_s64(dst), l));
                    vst1q_s64(dst + 2, vaddq_s64(vld1q_s64(dst + 2), h));
                } else {
                    vst1q_s64(dst, l);
                    vst1q_s64(dst + 2, h);
                }
            }
    }
    for (size_t r = 0; r < rows; r++)
        gemm16_out(out + r * EDGE_GEMM16_NR, o, lo, hi, y[r], nc);
}
