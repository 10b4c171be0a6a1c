/* kernels/arm/qs8_gemm_neon.c - the int8 GEMM of level neon on aarch64: 4x4c8.
 *
 * Owns: edge_qs8_gemm_4x4c8__neon (contract: qs8.h, GEMM). For Cortex-A53/A72
 * class cores without the dot-product extension.
 * Inner step, per row m and group of 8 k: the 8 int8 of A (a d register) times
 * 8 int8 of each of 4 channels (four d registers, loaded once for the 4 rows) with
 * smull into int16x8 (every product of two int8 fits in int16,
 * including -128 * -128 = 16384), then sadalp adds neighbouring products into
 * the int32x4 accumulator of (m, channel). Nothing is summed in int16, so the
 * kernel is exact for any weights (a vmlal_s8 pair of two -128 * -128 products
 * would overflow). The four partial lanes of a channel are added at the end
 * with addp, which also lays the 4 channels of a row out as one int32x4 for
 * the requantization (requant_neon.h). a_bias 0: A is read as signed.
 * Legacy uint8 (edge_qs8_gemm_u8_4x4c8__neon, qs8.h's uint8 GEMM, the same body with U8):
 * umull of the uint8 A by W ^ 0x80 = W + 128 as unsigned bytes and uadalp, which
 * adds 128 * sum_k A[m][k] to row m; the row's addend (the contract's b * (sum A - kzx),
 * less that) takes it off. Output narrowed unsigned and clamped in the uint8 domain.
 * Blocks flagged as holding no -128 weight (qs8_arm.h) pair two k groups in int16 (kloop_pair);
 * a GEMM's 4-row tiles of them (the indirect GEMM's, when a tap is whole pairs) run pair4, the
 * same sums in inline assembly scheduled for the in-order Cortex-A53.
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

/* acc[j] += A(8) . W_j(8) for the 4 channels of one k group: smull into int16 (every product
 * of two int8 fits), sadalp into int32. */
EDGE_INLINE void mac_row(int32x4_t acc[NR], int8x8_t a, const int8x8_t w[NR])
{
#pragma GCC unroll 4
    for (int j = 0; j < NR; j++)
        acc[j] = vpadalq_s16(acc[j], vmull_s8(a, w[j]));
}

/* The same for uint8 A and weights flipped to unsigned (W + 128): umull (every product of
 * two uint8 fits in uint16) and uadalp, wrapping mod 2^32. */
EDGE_INLINE void mac_row_u8(int32x4_t acc[NR], int8x8_t a, const int8x8_t w[NR])
{
#pragma GCC unroll 4
    for (int j = 0; j < NR; j++)
        acc[j] = vreinterpretq_s32_u32(
            vpadalq_u16(vreinterpretq_u32_s32(acc[j]),
                        vmull_u8(vreinterpret_u8_s8(a), vreinterpret_u8_s8(w[j]))));
}

/* Requantize the M x 4 tile and write its first N columns to C; SHIFT0 is the first
 * channel's shift without the pairing flag. */
EDGE_INLINE void store_tile(bool U8, size_t M, int32x4_t acc[MR][NR], const int32_t *hdr,
                            int32_t shift0, const int32_t *row, int8_t *c, size_t c_stride,
                            size_t n, const edge_neon_out *out)
{
    const int32x4_t bias = vld1q_s32(hdr);
    const edge_neon_rq rq =
        edge_neon_rq_make(vld1q_s32(hdr + NR), vsetq_lane_s32(shift0, vld1q_s32(hdr + 2 * NR), 0));
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

/* K bytes [K0, KN) of the rows at AP (KN - K0 a multiple of KR), weights from WP. Returns WP
 * past them. */
EDGE_INLINE const int8_t *kloop(bool U8, size_t M, int32x4_t acc[MR][NR],
                                const int8_t *const ap[MR], const int8_t *wp, size_t k0, size_t kn)
{
    for (size_t k = k0; k < kn; k += KR, wp += NR * KR) {
        int8x8_t w[NR];
#pragma GCC unroll 4
        for (size_t j = 0; j < NR; j++)
            w[j] = U8 ? veor_s8(vld1_s8(wp + 8 * j), vdup_n_s8((int8_t)0x80)) : vld1_s8(wp + 8 * j);
#pragma GCC unroll 4
        for (size_t m = 0; m < M; m++) {
            if (U8)
                mac_row_u8(acc[m], vld1_s8(ap[m] + k), w);
            else
                mac_row(acc[m], vld1_s8(ap[m] + k), w);
        }
    }
    return wp;
}

/* The 4-row tile of a flagged block, from zero: TAPS taps of PAIRS pairs of k groups each, row m's
 * tap t at PTRS[m * TAPS + t] (a GEMM: one tap, its rows AP), the weights one run from WP: the
 * sums of kloop_pair below (each tap's pairs a pipeline of their own, the accumulators kept
 * across the taps) into ACC, scheduled by hand for in-order cores (Cortex-A53). The accumulators
 * are the asm's 16 outputs (registers gcc picks among v0-v15, inlined: the tile's requantization
 * reads them where they are; a call that stored them cost a tile as much as 5 pairs gained, and
 * saved and restored d8-d15); the rest are named outright: a pair's weights v16-v19 (one ld4
 * of its 64 bytes puts channel j's two groups in v(16 + j), the layout smlal2 wants), products
 * v20-v23 and v24-v27 in turn, a row's two groups v28-v31 (one q each). A pair runs as a 3-stage
 * pipeline over the 4 channels: each stage holds channel j - 1's sadalp, channel j's smlal2 and
 * channel j + 1's smull, so that every multiply's and sum's input was formed 7 vector instructions
 * before; in kloop_pair's order (a channel's smull, smlal, sadalp in turn, as gcc 12 schedules
 * the intrinsics) each waits on the one 4 before. The next pair's weights and A are loaded in the
 * last stage; the last pair loads nothing past its own. gcc 12 could not be made to keep this
 * order from intrinsics (it regrouped the stages, and spilled accumulators with the A rows in q
 * registers). Figures: docs/arm-kernels.md (llvm-mca). */
/* channel W's smlal2 and smull of the 4 rows into products v20-v23 (C) or v24-v27 (E) */
#define PAIR4_MLAL2(q0, q1, q2, q3, w)                                                     \
    "smlal2 v" q0 ".8h, v28.16b, v" w ".16b\n\tsmlal2 v" q1 ".8h, v29.16b, v" w ".16b\n\t" \
    "smlal2 v" q2 ".8h, v30.16b, v" w ".16b\n\tsmlal2 v" q3 ".8h, v31.16b, v" w ".16b\n\t"
#define PAIR4_MULL(q0, q1, q2, q3, w)                                                \
    "smull v" q0 ".8h, v28.8b, v" w ".8b\n\tsmull v" q1 ".8h, v29.8b, v" w ".8b\n\t" \
    "smull v" q2 ".8h, v30.8b, v" w ".8b\n\tsmull v" q3 ".8h, v31.8b, v" w ".8b\n\t"
#define PAIR4_MLAL2_C(w) PAIR4_MLAL2("20", "21", "22", "23", w)
#define PAIR4_MLAL2_E(w) PAIR4_MLAL2("24", "25", "26", "27", w)
#define PAIR4_MULL_C(w) PAIR4_MULL("20", "21", "22", "23", w)
#define PAIR4_MULL_E(w) PAIR4_MULL("24", "25", "26", "27", w)
/* channel J's sums of the 4 rows' products v20-v23 (C) or v24-v27 (E) into acc[m][J] */
#define PAIR4_SADALP_C(j)                                              \
    "sadalp %[a0" j "].4s, v20.8h\n\tsadalp %[a1" j "].4s, v21.8h\n\t" \
    "sadalp %[a2" j "].4s, v22.8h\n\tsadalp %[a3" j "].4s, v23.8h\n\t"
#define PAIR4_SADALP_E(j)                                              \
    "sadalp %[a0" j "].4s, v24.8h\n\tsadalp %[a1" j "].4s, v25.8h\n\t" \
    "sadalp %[a2" j "].4s, v26.8h\n\tsadalp %[a3" j "].4s, v27.8h\n\t"
/* stages 0-2 of a pair: channels 3 (of the pair before, or zeros), 0, 1; then 0, 1, 2; 1, 2, 3 */
#define PAIR4_STAGES    \
    PAIR4_SADALP_E("3") \
    PAIR4_MLAL2_C("16") \
    PAIR4_MULL_E("17")  \
    PAIR4_SADALP_C("0") \
    PAIR4_MLAL2_E("17") \
    PAIR4_MULL_C("18")  \
    PAIR4_SADALP_E("1") \
    PAIR4_MLAL2_C("18") \
    PAIR4_MULL_E("19")  \
    PAIR4_SADALP_C("2") \
    PAIR4_MLAL2_E("19")
/* the A rows first: llvm-mca's A53 model then starts them 6 cycles sooner (37.51 -> 36.01) */
#define PAIR4_LOAD                                       \
    "ldr q28, [%[p0]], #16\n\tldr q29, [%[p1]], #16\n\t" \
    "ldr q30, [%[p2]], #16\n\tldr q31, [%[p3]], #16\n\t" \
    "ld4 {v16.2d, v17.2d, v18.2d, v19.2d}, [%[wp]], #64\n\t"

EDGE_INLINE void pair4(int32x4_t acc[MR][NR], const int8_t *const *ptrs, size_t taps, size_t pairs,
                       const int8_t *wp)
{
    const int8_t *p0, *p1, *p2, *p3, *const *q, *w;
    size_t n, t;
    /* clang-format off */
    __asm__(
        "movi %[a00].16b, #0\n\tmovi %[a01].16b, #0\n\tmovi %[a02].16b, #0\n\tmovi %[a03].16b, #0\n\t"
        "movi %[a10].16b, #0\n\tmovi %[a11].16b, #0\n\tmovi %[a12].16b, #0\n\tmovi %[a13].16b, #0\n\t"
        "movi %[a20].16b, #0\n\tmovi %[a21].16b, #0\n\tmovi %[a22].16b, #0\n\tmovi %[a23].16b, #0\n\t"
        "movi %[a30].16b, #0\n\tmovi %[a31].16b, #0\n\tmovi %[a32].16b, #0\n\tmovi %[a33].16b, #0\n\t"
        "mov %[q], %[ptrs]\n\tmov %[t], %[taps]\n\tmov %[wp], %[wp0]\n"
        "3:\n\t"
        /* the tap's row pointers, PTRS[m * TAPS + t] (N a scratch register until its count) */
        "add %[n], %[q], %[s1], lsl #1\n\t"
        "ldr %[p0], [%[q]]\n\tldr %[p1], [%[q], %[s1]]\n\t"
        "ldr %[p2], [%[n]]\n\tldr %[p3], [%[n], %[s1]]\n\t"
        "add %[q], %[q], #8\n\t"
        "mov %[n], %[pairs]\n\t"
        PAIR4_LOAD
        "movi v24.16b, #0\n\tmovi v25.16b, #0\n\tmovi v26.16b, #0\n\tmovi v27.16b, #0\n\t"
        PAIR4_MULL_C("16")
        "subs %[n], %[n], #1\n\t"
        "b.eq 2f\n"
        "1:\n\t"
        PAIR4_STAGES
        PAIR4_LOAD
        PAIR4_MULL_C("16")
        "subs %[n], %[n], #1\n\t"
        "b.ne 1b\n"
        "2:\n\t"
        PAIR4_STAGES
        PAIR4_SADALP_E("3")
        "subs %[t], %[t], #1\n\t"
        "b.ne 3b\n\t"
        : [a00] "=&w"(acc[0][0]), [a01] "=&w"(acc[0][1]), [a02] "=&w"(acc[0][2]),
          [a03] "=&w"(acc[0][3]), [a10] "=&w"(acc[1][0]), [a11] "=&w"(acc[1][1]),
          [a12] "=&w"(acc[1][2]), [a13] "=&w"(acc[1][3]), [a20] "=&w"(acc[2][0]),
          [a21] "=&w"(acc[2][1]), [a22] "=&w"(acc[2][2]), [a23] "=&w"(acc[2][3]),
          [a30] "=&w"(acc[3][0]), [a31] "=&w"(acc[3][1]), [a32] "=&w"(acc[3][2]),
          [a33] "=&w"(acc[3][3]), [p0] "=&r"(p0), [p1] "=&r"(p1), [p2] "=&r"(p2), [p3] "=&r"(p3),
          [n] "=&r"(n), [q] "=&r"(q), [t] "=&r"(t), [wp] "=&r"(w)
        : [ptrs] "r"(ptrs), [taps] "r"(taps), [wp0] "r"(wp), [s1] "r"(taps * sizeof *ptrs),
          [pairs] "r"(pairs)
        : "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27",
          "v28", "v29", "v30", "v31", "cc", "memory");
    /* clang-format on */
}
#undef PAIR4_LOAD
#undef PAIR4_STAGES
#undef PAIR4_SADALP_E
#undef PAIR4_SADALP_C
#undef PAIR4_MULL_E
#undef PAIR4_MULL_C
#undef PAIR4_MLAL2_E
#undef PAIR4_MLAL2_C
#undef PAIR4_MULL
#undef PAIR4_MLAL2

/* The same for a flagged block (no -128 among its weights, qs8_arm.h): two k groups a step,
 * their products summed in int16 (smull, smlal: exact, |sum| <= 32512) before one sadalp,
 * 3 vector instructions per 16 MACs rather than 4. An odd last group takes kloop's step. */
EDGE_INLINE const int8_t *kloop_pair(size_t M, int32x4_t acc[MR][NR], const int8_t *const ap[MR],
                                     const int8_t *wp, size_t kn)
{
    const size_t pairs = kn / (2 * KR);
    if (pairs == 0) /* the A rows may hold only KN bytes */
        return kloop(false, M, acc, ap, wp, 0, kn);
    int8x8_t a0[MR], a1[MR];
#pragma GCC unroll 4
    for (size_t m = 0; m < M; m++) {
        a0[m] = vld1_s8(ap[m]);
        a1[m] = vld1_s8(ap[m] + KR);
    }
    for (size_t i = 0; i < pairs; i++, wp += 2 * NR * KR) {
        /* software-pipelined for in-order cores: row m's next A is loaded as soon as its last
         * product of this step is formed (the last step reloads its own, a valid address), and
         * the barrier keeps each channel's weight loads one channel ahead of its products
         * (without it gcc hoists every load to the top and spills accumulators) */
        const size_t kx = (i + 1 < pairs ? i + 1 : i) * 2 * KR;
        int8x8_t w0 = vld1_s8(wp), w1 = vld1_s8(wp + NR * KR);
#pragma GCC unroll 4
        for (size_t j = 0; j < NR; j++) {
            const int8x8_t c0 = w0, c1 = w1;
            if (j + 1 < NR) {
                w0 = vld1_s8(wp + 8 * (j + 1));
                w1 = vld1_s8(wp + NR * KR + 8 * (j + 1));
            }
            __asm__ volatile("" ::: "memory");
#pragma GCC unroll 4
            for (size_t m = 0; m < M; m++) {
                acc[m][j] = vpadalq_s16(acc[m][j], vmlal_s8(vmull_s8(a0[m], c0), a1[m], c1));
                if (j + 1 == NR) {
                    a0[m] = vld1_s8(ap[m] + kx);
                    a1[m] = vld1_s8(ap[m] + kx + KR);
                }
            }
        }
    }
    const size_t k = pairs * 2 * KR;
    return kloop(false, M, acc, ap, wp, k, kn);
}

/* K bytes [0, KN) of the rows at AP, paired when PAIR. */
EDGE_INLINE const int8_t *kloop_any(bool U8, bool pair, size_t M, int32x4_t acc[MR][NR],
                                    const int8_t *const ap[MR], const int8_t *wp, size_t kn)
{
    return pair && !U8 ? kloop_pair(M, acc, ap, wp, kn) : kloop(U8, M, acc, ap, wp, 0, kn);
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
        const bool pair = edge_neon_block_flagged(blk, NR); /* no -128 weight (qs8_arm.h) */
        const int32_t shift0 = edge_neon_block_shift0(blk, NR);
        if (ptrs && taps && M == MR && pair && !U8 && tc >= 2 * KR && tc % (2 * KR) == 0) {
            pair4(acc, ptrs, taps, tc / (2 * KR), wp); /* whole pairs a tap */
        } else if (ptrs) {
            for (size_t t = 0; t < taps; t++) {
#pragma GCC unroll 4
                for (size_t m = 0; m < M; m++)
                    ap[m] = ptrs[m * taps + t];
                wp = kloop_any(U8, pair, M, acc, ap, wp, tc);
            }
        } else if (M == MR && pair && !U8 && kc >= 2 * KR) { /* a whole kc from zero: pair4 */
            const size_t pairs = kc / (2 * KR);
            pair4(acc, ap, 1, pairs, wp);
            kloop(false, M, acc, ap, wp + pairs * 2 * NR * KR, pairs * 2 * KR, kc);
        } else {
            kloop_any(U8, pair, M, acc, ap, wp, kc);
        }
        const size_t n = nc - n0 < NR ? nc - n0 : NR;
        store_tile(U8, M, acc, (const int32_t *)(const void *)blk, shift0, row, c + n0, c_stride, n,
                   &out);
    }
}

/* int8 A as it is; uint8 A times W + 128, the 128 * sum A taken off in the row addend */
EDGE_NEON_GEMM_ENTRIES(edge_qs8_gemm_4x4c8__neon, edge_qs8_igemm_4x4c8__neon,
                       edge_qs8_gemm_u8_4x4c8__neon)
