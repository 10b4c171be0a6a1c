/* kernels/arm/qs8_gemm_neon.c - the int8 GEMM of level neon on aarch64: 4x4c8.
 *
 * Owns: edge_qs8_gemm_4x4c8__neon (contract: qs8.h, GEMM). For Cortex-A53/A72
 * class cores without the dot-product extension.
 * Inner step, per row m and group of 8 k: the 8 int8 of A (loaded once into
 * both halves of a q register) times 8 int8 of each of 4 channels with
 * smull / smull2 into int16x8 (every product of two int8 fits in int16,
 * including -128 * -128 = 16384), then sadalp adds neighbouring products into
 * the int32x4 accumulator of (m, channel). Nothing is summed in int16, so the
 * kernel is exact for any weights (a vmlal_s8 pair of two -128 * -128 products
 * would overflow). The four partial lanes of a channel are added at the end
 * with addp, which also lays the 4 channels of a row out as one int32x4 for
 * the requantization (requant_neon.h). a_bias 0: A is read as signed.
 * Legacy uint8 (edge_qs8_gemm_u8_4x4c8__neon, qs8.h's uint8 GEMM, the same body with U8):
 * umull / umull2 of the uint8 A by W ^ 0x80 = W + 128 as unsigned bytes and uadalp, which
 * adds 128 * sum_k A[m][k] to row m; the row's addend (the contract's b * (sum A - kzx),
 * less that) takes it off. Output narrowed unsigned and clamped in the uint8 domain.
 * Does not own packing (pack.c) or the table entry (table_neon.c). */
#include <arm_neon.h>
#include <stdbool.h>
#include <string.h>

#include "arm/qs8_arm.h"
#include "arm/requant_neon.h"

#define MR EDGE_GEMM_NEON_MR
#define NR EDGE_GEMM_NEON_NR
#define KR EDGE_GEMM_NEON_KR

#define EDGE_INLINE static inline __attribute__((always_inline))

/* Eight int8 of an A row in both halves of a q register (ld1r {v.2d}). */
EDGE_INLINE int8x16_t load_a8_dup(const int8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return vreinterpretq_s8_u64(vdupq_n_u64(v));
}

/* acc[j] += A(8) . W_j(8) for the 4 channels of one k group (w01: channels 0-1). */
EDGE_INLINE void mac_row(int32x4_t acc[NR], int8x16_t av, int8x16_t w01, int8x16_t w23)
{
    acc[0] = vpadalq_s16(acc[0], vmull_s8(vget_low_s8(av), vget_low_s8(w01)));
    acc[1] = vpadalq_s16(acc[1], vmull_high_s8(av, w01));
    acc[2] = vpadalq_s16(acc[2], vmull_s8(vget_low_s8(av), vget_low_s8(w23)));
    acc[3] = vpadalq_s16(acc[3], vmull_high_s8(av, w23));
}

/* The same for uint8 A and weights flipped to unsigned (W + 128): umull / umull2 (every
 * product of two uint8 fits in uint16) and uadalp, wrapping mod 2^32. */
EDGE_INLINE void mac_row_u8(int32x4_t acc[NR], int8x16_t av, int8x16_t w01, int8x16_t w23)
{
    const uint8x16_t a = vreinterpretq_u8_s8(av), x80 = vdupq_n_u8(0x80);
    const uint8x16_t u01 = veorq_u8(vreinterpretq_u8_s8(w01), x80);
    const uint8x16_t u23 = veorq_u8(vreinterpretq_u8_s8(w23), x80);
    uint32x4_t r[NR] = {vreinterpretq_u32_s32(acc[0]), vreinterpretq_u32_s32(acc[1]),
                        vreinterpretq_u32_s32(acc[2]), vreinterpretq_u32_s32(acc[3])};
    r[0] = vpadalq_u16(r[0], vmull_u8(vget_low_u8(a), vget_low_u8(u01)));
    r[1] = vpadalq_u16(r[1], vmull_high_u8(a, u01));
    r[2] = vpadalq_u16(r[2], vmull_u8(vget_low_u8(a), vget_low_u8(u23)));
    r[3] = vpadalq_u16(r[3], vmull_high_u8(a, u23));
#pragma GCC unroll 4
    for (int j = 0; j < NR; j++)
        acc[j] = vreinterpretq_s32_u32(r[j]);
}

/* Requantize the M x 4 tile and write its first N columns to C. */
EDGE_INLINE void store_tile(bool U8, size_t M, int32x4_t acc[MR][NR], const int32_t *hdr,
                            const int32_t *row, int8_t *c, size_t c_stride, size_t n,
                            const edge_neon_out *out)
{
    const int32x4_t bias = vld1q_s32(hdr);
    const edge_neon_rq rq = edge_neon_rq_load(hdr + NR, hdr + 2 * NR);
    int32x4_t v[MR];
#pragma GCC unroll 4
    for (size_t m = 0; m < MR; m++) {
        if (m < M) {
            const int32x4_t s =
                vpaddq_s32(vpaddq_s32(acc[m][0], acc[m][1]), vpaddq_s32(acc[m][2], acc[m][3]));
            const int32x4_t b = U8 ? vaddq_s32(bias, vdupq_n_s32(row[m])) : bias;
            v[m] = edge_neon_mbqm(vaddq_s32(b, s), rq);
        } else {
            v[m] = vdupq_n_s32(0);
        }
    }
    uint32_t rows[MR]; /* row m's 4 outputs, little-endian */
    vst1q_u32(rows, U8 ? vreinterpretq_u32_u8(edge_neon_out16_u8(v[0], v[1], v[2], v[3], out))
                       : vreinterpretq_u32_s8(edge_neon_out16(v[0], v[1], v[2], v[3], out)));
#pragma GCC unroll 4
    for (size_t m = 0; m < M; m++) {
        if (n == NR)
            memcpy(c + m * c_stride, &rows[m], NR);
        else
            memcpy(c + m * c_stride, &rows[m], n);
    }
}

/* K bytes [0, KN) of the rows at AP (KN a multiple of KR), weights from WP. Returns WP past
 * them. */
EDGE_INLINE const int8_t *kloop(bool U8, size_t M, int32x4_t acc[MR][NR],
                                const int8_t *const ap[MR], const int8_t *wp, size_t kn)
{
    for (size_t k = 0; k < kn; k += KR, wp += NR * KR) {
        const int8x16_t w01 = vld1q_s8(wp), w23 = vld1q_s8(wp + 16);
#pragma GCC unroll 4
        for (size_t m = 0; m < M; m++) {
            if (U8)
                mac_row_u8(acc[m], load_a8_dup(ap[m] + k), w01, w23);
            else
                mac_row(acc[m], load_a8_dup(ap[m] + k), w01, w23);
        }
    }
    return wp;
}

/* The kernel for a fixed row count M (1..4), so the unused rows cost nothing; U8: A and C are
 * uint8 and ROW holds each row's addend (the int8 kernel: ROW NULL); PTRS: the indirect kernel
 * (qs8_arm.h's EDGE_NEON_GEMM_ENTRIES). */
EDGE_INLINE void gemm_rows(bool U8, size_t M, size_t nc, size_t kc, const int8_t *a,
                           size_t a_stride, const void *w, const int32_t *row, int8_t *c,
                           size_t c_stride, const edge_qs8_out *o, const int8_t *const *ptrs,
                           size_t taps, size_t tc)
{
    const edge_neon_out out = edge_neon_out_make(o);
    const uint8_t *blk = w;
    for (size_t n0 = 0; n0 < nc; n0 += NR, blk += edge_qs8_gemm_block_bytes(NR, kc)) {
        int32x4_t acc[MR][NR];
        const int8_t *ap[MR];
#pragma GCC unroll 4
        for (size_t m = 0; m < M; m++) {
            ap[m] = a ? a + m * a_stride : NULL;
#pragma GCC unroll 4
            for (size_t j = 0; j < NR; j++)
                acc[m][j] = vdupq_n_s32(0);
        }
        const int8_t *wp = (const int8_t *)(blk + 3 * NR * sizeof(int32_t));
        if (ptrs) {
            for (size_t t = 0; t < taps; t++) {
#pragma GCC unroll 4
                for (size_t m = 0; m < M; m++)
                    ap[m] = ptrs[m * taps + t];
                wp = kloop(U8, M, acc, ap, wp, tc);
            }
        } else {
            kloop(U8, M, acc, ap, wp, kc);
        }
        const size_t n = nc - n0 < NR ? nc - n0 : NR;
        store_tile(U8, M, acc, (const int32_t *)(const void *)blk, row, c + n0, c_stride, n, &out);
    }
}

/* int8 A as it is; uint8 A times W + 128, the 128 * sum A taken off in the row addend */
EDGE_NEON_GEMM_ENTRIES(edge_qs8_gemm_4x4c8__neon, edge_qs8_igemm_4x4c8__neon,
                       edge_qs8_gemm_u8_4x4c8__neon)
