/* kernels/arm/qs8_gemm_armv7neon.c - the int8 GEMM of level neon on 32-bit ARM: 2x4c8.
 *
 * Owns: edge_qs8_gemm_2x4c8__armv7neon (contract: qs8.h, GEMM), for armv7-a
 * with NEON (32-bit Raspberry Pi OS on Cortex-A7/A53/A72).
 * Same arithmetic as the aarch64 4x4c8 kernel, shaped for the 16 q registers
 * of armv7: per row m and group of 8 k, vmull.s8 of the 8 A bytes (a d
 * register) with the 8 bytes of each of 4 channels (the d halves of two q
 * loads) gives int16 products that always fit, and vpadal.s16 adds their
 * neighbours into the int32x4 accumulator of (m, channel): 8 accumulators,
 * exact for any weights. armv7 has no addp on q registers: the four partial
 * lanes of a channel are folded with vpadd.i32 on d registers. a_bias 0.
 * Requantization: requant_neon.h.
 * Legacy uint8 (edge_qs8_gemm_u8_2x4c8__armv7neon, qs8.h's uint8 GEMM, the same body with
 * U8), as the aarch64 kernel does it: vmull.u8 of the uint8 A by W ^ 0x80 = W + 128 as
 * unsigned bytes and vpadal.u16 (every product of two uint8 fits in uint16), which adds
 * 128 * sum_k A[m][k] to row m; the row's addend (edge_neon_u8_rows: the contract's
 * b * (sum A - kzx), less that) takes it off. Output narrowed unsigned and clamped in the uint8
 * domain (edge_neon_out8_u8).
 * Does not own packing (pack.c) or the table entry (table_neon.c). */
#include <arm_neon.h>
#include <stdbool.h>
#include <string.h>

#include "arm/qs8_arm.h"
#include "arm/requant_neon.h"

#define MR EDGE_GEMM_ARMV7NEON_MR
#define NR EDGE_GEMM_ARMV7NEON_NR
#define KR EDGE_GEMM_ARMV7NEON_KR

#define EDGE_INLINE static inline __attribute__((always_inline))

/* acc[j] += A(8) . W_j(8) for the 4 channels of one k group (w01: channels 0-1). */
EDGE_INLINE void mac_row(int32x4_t acc[NR], int8x8_t av, int8x16_t w01, int8x16_t w23)
{
    acc[0] = vpadalq_s16(acc[0], vmull_s8(av, vget_low_s8(w01)));
    acc[1] = vpadalq_s16(acc[1], vmull_s8(av, vget_high_s8(w01)));
    acc[2] = vpadalq_s16(acc[2], vmull_s8(av, vget_low_s8(w23)));
    acc[3] = vpadalq_s16(acc[3], vmull_s8(av, vget_high_s8(w23)));
}

/* The same for uint8 A and the weights flipped to unsigned (W + 128), wrapping mod 2^32. */
EDGE_INLINE void mac_row_u8(int32x4_t acc[NR], uint8x8_t av, int8x16_t w01, int8x16_t w23)
{
    const uint8x16_t x80 = vdupq_n_u8(0x80);
    const uint8x16_t u01 = veorq_u8(vreinterpretq_u8_s8(w01), x80);
    const uint8x16_t u23 = veorq_u8(vreinterpretq_u8_s8(w23), x80);
    acc[0] = vreinterpretq_s32_u32(
        vpadalq_u16(vreinterpretq_u32_s32(acc[0]), vmull_u8(av, vget_low_u8(u01))));
    acc[1] = vreinterpretq_s32_u32(
        vpadalq_u16(vreinterpretq_u32_s32(acc[1]), vmull_u8(av, vget_high_u8(u01))));
    acc[2] = vreinterpretq_s32_u32(
        vpadalq_u16(vreinterpretq_u32_s32(acc[2]), vmull_u8(av, vget_low_u8(u23))));
    acc[3] = vreinterpretq_s32_u32(
        vpadalq_u16(vreinterpretq_u32_s32(acc[3]), vmull_u8(av, vget_high_u8(u23))));
}

/* The four channel totals of one row: lane j = the sum of acc[j]'s lanes. */
EDGE_INLINE int32x4_t row_totals(const int32x4_t acc[NR])
{
    const int32x2_t t0 = vpadd_s32(vget_low_s32(acc[0]), vget_high_s32(acc[0]));
    const int32x2_t t1 = vpadd_s32(vget_low_s32(acc[1]), vget_high_s32(acc[1]));
    const int32x2_t t2 = vpadd_s32(vget_low_s32(acc[2]), vget_high_s32(acc[2]));
    const int32x2_t t3 = vpadd_s32(vget_low_s32(acc[3]), vget_high_s32(acc[3]));
    return vcombine_s32(vpadd_s32(t0, t1), vpadd_s32(t2, t3));
}

/* Requantize the M x 4 tile (U8: with the rows' addends ROW, to uint8) and write its first N
 * columns to C. */
EDGE_INLINE void store_tile(bool U8, size_t M, int32x4_t acc[MR][NR], const int32_t *hdr,
                            const int32_t *row, int8_t *c, size_t c_stride, size_t n,
                            const edge_neon_out *out)
{
    const int32x4_t bias = vld1q_s32(hdr);
    const edge_neon_rq rq = edge_neon_rq_load(hdr + NR, hdr + 2 * NR);
    const int32x4_t b0 = U8 ? vaddq_s32(bias, vdupq_n_s32(row[0])) : bias;
    const int32x4_t v0 = edge_neon_mbqm(vaddq_s32(b0, row_totals(acc[0])), rq);
    int32x4_t v1 = vdupq_n_s32(0);
    if (M > 1) {
        const int32x4_t b1 = U8 ? vaddq_s32(bias, vdupq_n_s32(row[1])) : bias;
        v1 = edge_neon_mbqm(vaddq_s32(b1, row_totals(acc[1])), rq);
    }
    uint32_t rows[MR]; /* row m's 4 outputs, little-endian */
    vst1_u32(rows, U8 ? vreinterpret_u32_u8(edge_neon_out8_u8(v0, v1, out))
                      : vreinterpret_u32_s8(edge_neon_out8(v0, v1, out)));
#pragma GCC unroll 2
    for (size_t m = 0; m < M; m++) {
        if (n == NR)
            memcpy(c + m * c_stride, &rows[m], NR);
        else
            memcpy(c + m * c_stride, &rows[m], n);
    }
}

/* The kernel for a fixed row count M (1 or 2); U8: A and C are uint8 and ROW holds each
 * row's addend. */
EDGE_INLINE void gemm_rows(bool U8, size_t M, size_t nc, size_t kc, const int8_t *a,
                           size_t a_stride, const void *w, const int32_t *row, int8_t *c,
                           size_t c_stride, const edge_qs8_out *o)
{
    const edge_neon_out out = edge_neon_out_make(o);
    const uint8_t *blk = w;
    for (size_t n0 = 0; n0 < nc; n0 += NR, blk += edge_qs8_gemm_block_bytes(NR, kc)) {
        int32x4_t acc[MR][NR];
        const int8_t *ap[MR];
#pragma GCC unroll 2
        for (size_t m = 0; m < M; m++) {
            ap[m] = a + m * a_stride;
#pragma GCC unroll 4
            for (size_t j = 0; j < NR; j++)
                acc[m][j] = vdupq_n_s32(0);
        }
        const int8_t *wp = (const int8_t *)(blk + 3 * NR * sizeof(int32_t));
        for (size_t k = 0; k < kc; k += KR, wp += NR * KR) {
            const int8x16_t w01 = vld1q_s8(wp), w23 = vld1q_s8(wp + 16);
#pragma GCC unroll 2
            for (size_t m = 0; m < M; m++) {
                if (U8)
                    mac_row_u8(acc[m], vld1_u8((const uint8_t *)ap[m] + k), w01, w23);
                else
                    mac_row(acc[m], vld1_s8(ap[m] + k), w01, w23);
            }
        }
        const size_t n = nc - n0 < NR ? nc - n0 : NR;
        store_tile(U8, M, acc, (const int32_t *)(const void *)blk, row, c + n0, c_stride, n, &out);
    }
}

void edge_qs8_gemm_2x4c8__armv7neon(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                    size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                    const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, MR, KR);
    if (mr == 1)
        gemm_rows(false, 1, nc, kc, a, a_stride, w, NULL, c, c_stride, o);
    else
        gemm_rows(false, 2, nc, kc, a, a_stride, w, NULL, c, c_stride, o);
}

void edge_qs8_gemm_u8_2x4c8__armv7neon(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                       size_t a_stride, const void *w, int32_t b, int32_t kzx,
                                       uint8_t *c, size_t c_stride, const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, MR, KR);
    int32_t row[MR];
    edge_neon_u8_rows(a, a_stride, mr, kc, b, kzx, row);
    if (mr == 1)
        gemm_rows(true, 1, nc, kc, (const int8_t *)a, a_stride, w, row, (int8_t *)c, c_stride, o);
    else
        gemm_rows(true, 2, nc, kc, (const int8_t *)a, a_stride, w, row, (int8_t *)c, c_stride, o);
}
