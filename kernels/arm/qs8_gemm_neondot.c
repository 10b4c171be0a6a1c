/* kernels/arm/qs8_gemm_neondot.c - the int8 GEMM of level neondot (aarch64 + dot product).
 *
 * Owns: edge_qs8_gemm_4x16c4__neondot (contract: qs8.h, GEMM), for cores with
 * the Armv8.2 dot-product extension (Cortex-A55/A76/A78, Neoverse, Orin).
 * Built with -march=armv8.2-a+dotprod; dispatch only picks it when HWCAP_ASIMDDP
 * is set.
 * Inner step, per row m and 16 k: one 16-byte load of A (4 groups of 4 k), and per group g the
 * 64 weights (16 channels x 4 k, paired into ldp by gcc); then
 *     acc[m][q] = sdot(acc[m][q], w_q, a_m[lane g])    q = 0..3
 * sums 4 signed int8 products per int32 lane, exactly (sdot accumulates in int32 with
 * wrap-around, like the reference). a_bias 0: A is signed. 16 accumulators, 4 A registers and two
 * sets of 4 weight registers (a group's loads issue one group ahead of its use) fit the 32: 82
 * instructions for 64 sdot, where 8 k a step took 46 for 32 (yolov8n under an instruction-counting
 * qemu at the A76: 524.9 M -> 482.1 M an inference; XNNPACK's ld128 kernel takes 79 for 64). gcc's
 * first scheduling pass hoists all four groups' loads and spills accumulators, so this file is
 * built without it (the pragma below; llvm-mca: the loop takes 0.53 cycles an sdot at the A76, was
 * 0.56, and 1.11 at the A55, was 1.06). A K tail of 8 takes an 8-k step, one of 4 a 4-k step, so A
 * is never read past kc. The accumulators start at the folded bias. Requantization:
 * requant_neon.h.
 * Indirect (edge_qs8_igemm_4x16c4__neondot, qs8.h): the same k loop tap by tap, each row's
 * tap where its pointer says (a_bias 0: the input as it is).
 * Legacy uint8 (edge_qs8_gemm_u8_4x16c4__neondot, qs8.h's uint8 GEMM, the same body with U8):
 * A is unsigned, so udot by lane against W ^ 0x80 = W + 128 as unsigned bytes, which adds
 * 128 * sum_k A[m][k] to row m; that term leaves through the row's addend (taken with the
 * contract's b * (sum A - kzx), one pass of uaddlp/uadalp per row). Exact mod 2^32 like the
 * int8 path; the output narrows with unsigned saturation and clamps in the uint8 domain.
 * Does not own packing (pack.c) or the table entry (table_neondot.c). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns")
#endif
#include <arm_neon.h>
#include <stdbool.h>
#include <string.h>

#include "arm/qs8_arm.h"
#include "arm/requant_neon.h"

#define MR EDGE_GEMM_NEONDOT_MR
#define NR EDGE_GEMM_NEONDOT_NR
#define KR EDGE_GEMM_NEONDOT_KR

#define EDGE_INLINE static inline __attribute__((always_inline))

/* Four int8 of an A row in every 32-bit lane (ld1r {v.4s}). */
EDGE_INLINE int8x16_t load_a4_dup(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return vreinterpretq_s8_u32(vdupq_n_u32(v));
}

/* 16 packed weights; for uint8 A flipped to unsigned (w + 128, see the top). */
EDGE_INLINE int8x16_t load_w(bool U8, const int8_t *p)
{
    const int8x16_t w = vld1q_s8(p);
    return U8 ? veorq_s8(w, vdupq_n_s8((int8_t)0x80)) : w;
}

/* 64 packed weights (16 channels x 4 k) in one ld1 of four registers, flipped as load_w does. */
EDGE_INLINE int8x16x4_t load_w4(bool U8, const int8_t *p)
{
    int8x16x4_t w = {{vld1q_s8(p), vld1q_s8(p + 16), vld1q_s8(p + 32), vld1q_s8(p + 48)}};
    if (U8)
        for (int i = 0; i < 4; i++)
            w.val[i] = veorq_s8(w.val[i], vdupq_n_s8((int8_t)0x80));
    return w;
}

/* ACC += dot4 of W and lane G of A: signed (sdot) or, for uint8, unsigned (udot). */
#define DOT_LANE(U8, acc, w, a, G)                                                             \
    ((U8) ? vreinterpretq_s32_u32(vdotq_lane_u32(                                              \
                vreinterpretq_u32_s32(acc), vreinterpretq_u8_s8(w), vreinterpret_u8_s8(a), G)) \
          : vdotq_lane_s32(acc, w, a, G))

/* The same with lane G (0..3) of a 16-byte A register (sdot / udot by element of a q register). */
#define DOT_LANEQ(U8, acc, w, a, G)                                                             \
    ((U8) ? vreinterpretq_s32_u32(vdotq_laneq_u32(                                              \
                vreinterpretq_u32_s32(acc), vreinterpretq_u8_s8(w), vreinterpretq_u8_s8(a), G)) \
          : vdotq_laneq_s32(acc, w, a, G))

/* One k group of 4 for every row: lane G of each row's A bytes (DOT: DOT_LANE for 8 of them,
 * DOT_LANEQ for 16) against the group's 64 weights W. */
#define DOT_GROUP(DOT, W, G)                                      \
    do {                                                          \
        _Pragma("GCC unroll 4") for (size_t m = 0; m < M; m++)    \
        {                                                         \
            acc[m][0] = DOT(U8, acc[m][0], (W).val[0], av[m], G); \
            acc[m][1] = DOT(U8, acc[m][1], (W).val[1], av[m], G); \
            acc[m][2] = DOT(U8, acc[m][2], (W).val[2], av[m], G); \
            acc[m][3] = DOT(U8, acc[m][3], (W).val[3], av[m], G); \
        }                                                         \
    } while (0)

/* The K tail of 4 (kc % 8 == 4). */
EDGE_INLINE void dot_tail(bool U8, size_t M, int32x4_t acc[MR][4], const int8_t *const ap[MR],
                          const int8_t *wp, size_t k, size_t kc)
{
    for (; k < kc; k += KR, wp += NR * KR) {
        const int8x16_t w0 = load_w(U8, wp), w1 = load_w(U8, wp + 16);
        const int8x16_t w2 = load_w(U8, wp + 32), w3 = load_w(U8, wp + 48);
#pragma GCC unroll 4
        for (size_t m = 0; m < M; m++) {
            const int8x8_t av = vget_low_s8(load_a4_dup(ap[m] + k));
            acc[m][0] = DOT_LANE(U8, acc[m][0], w0, av, 0);
            acc[m][1] = DOT_LANE(U8, acc[m][1], w1, av, 0);
            acc[m][2] = DOT_LANE(U8, acc[m][2], w2, av, 0);
            acc[m][3] = DOT_LANE(U8, acc[m][3], w3, av, 0);
        }
    }
}

/* K bytes [0, KN) of the rows at AP (KN a multiple of KR), weights from WP: 8 k a step, then
 * a tail of 4. Returns WP past them. */
EDGE_INLINE const int8_t *kloop(bool U8, size_t M, int32x4_t acc[MR][4], const int8_t *const ap[MR],
                                const int8_t *wp, size_t kn)
{
    size_t k = 0;
    for (; k + 16 <= kn; k += 16) {
        int8x16_t av[MR];
#pragma GCC unroll 4
        for (size_t m = 0; m < M; m++)
            av[m] = vld1q_s8(ap[m] + k);
        /* two sets of weight registers: a group's load issues one group ahead of its use */
        int8x16x4_t wa = load_w4(U8, wp), wb = load_w4(U8, wp + NR * KR);
        DOT_GROUP(DOT_LANEQ, wa, 0);
        wa = load_w4(U8, wp + 2 * NR * KR);
        DOT_GROUP(DOT_LANEQ, wb, 1);
        wb = load_w4(U8, wp + 3 * NR * KR);
        DOT_GROUP(DOT_LANEQ, wa, 2);
        DOT_GROUP(DOT_LANEQ, wb, 3);
        wp += 4 * NR * KR;
    }
    if (k + 8 <= kn) {
        int8x8_t av[MR];
#pragma GCC unroll 4
        for (size_t m = 0; m < M; m++)
            av[m] = vld1_s8(ap[m] + k);
        const int8x16x4_t wa = load_w4(U8, wp), wb = load_w4(U8, wp + NR * KR);
        DOT_GROUP(DOT_LANE, wa, 0);
        DOT_GROUP(DOT_LANE, wb, 1);
        wp += 2 * NR * KR;
        k += 8;
    }
    dot_tail(U8, M, acc, ap, wp, k, kn);
    return wp + (kn - k) / KR * NR * KR;
}

/* Rows 0..M-1 of the tile requantized (SHL: with the left shift) and their first N columns
 * written to C (FULL: N is NR, known where store_tile calls it); SHL and FULL are constants
 * there, so that the common tile tests neither again for every row. */
EDGE_INLINE void store_rows(bool U8, size_t M, int32x4_t acc[MR][4], const edge_neon_rq rq[4],
                            int8_t *c, size_t c_stride, size_t n, const edge_neon_out *out,
                            bool SHL, bool FULL)
{
#pragma GCC unroll 4
    for (size_t m = 0; m < M; m++) {
#define MBQ(x, r) (SHL ? edge_neon_mbqm(x, r) : edge_neon_mbqm_lt1(x, (r).mult, (r).right))
        const int32x4_t v0 = MBQ(acc[m][0], rq[0]), v1 = MBQ(acc[m][1], rq[1]);
        const int32x4_t v2 = MBQ(acc[m][2], rq[2]), v3 = MBQ(acc[m][3], rq[3]);
#undef MBQ
        const int8x16_t y = U8 ? vreinterpretq_s8_u8(edge_neon_out16_u8(v0, v1, v2, v3, out))
                               : edge_neon_out16(v0, v1, v2, v3, out);
        if (FULL || n == NR)
            vst1q_s8(c + m * c_stride, y);
        else
            edge_neon_store_part16(c + m * c_stride, y, n);
    }
}

/* Requantize the M x 16 tile and write its first N columns to C. */
EDGE_INLINE void store_tile(bool U8, size_t M, int32x4_t acc[MR][4], const int32_t *hdr, int8_t *c,
                            size_t c_stride, size_t n, const edge_neon_out *out)
{
    edge_neon_rq rq[4];
#pragma GCC unroll 4
    for (size_t q = 0; q < 4; q++)
        rq[q] = edge_neon_rq_load(hdr + NR + 4 * q, hdr + 2 * NR + 4 * q);
    /* TFLite's multipliers below 1 have no left shift: a tile none of whose channels shifts
     * left skips the sshl by zero (edge_neon_mbqm_lt1; mobilenet_v2 under an
     * instruction-counting qemu 58.64 M -> 58.18 M an inference, docs/arm-kernels.md). The
     * common tile (all 16 columns, no left shift) has its own copy of the rows' loop. */
    const bool shl = vmaxvq_s32(vmaxq_s32(vmaxq_s32(rq[0].left, rq[1].left),
                                          vmaxq_s32(rq[2].left, rq[3].left))) > 0;
    if (!shl && n == NR)
        store_rows(U8, M, acc, rq, c, c_stride, NR, out, false, true);
    else
        store_rows(U8, M, acc, rq, c, c_stride, n, out, shl, false);
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
        const int32_t *hdr = (const int32_t *)(const void *)blk;
        int32x4_t acc[MR][4];
        const int8_t *ap[MR];
#pragma GCC unroll 4
        for (size_t m = 0; m < M; m++) {
            ap[m] = a ? a + m * a_stride : NULL;
#pragma GCC unroll 4
            for (size_t q = 0; q < 4; q++)
                acc[m][q] = U8 ? vaddq_s32(vld1q_s32(hdr + 4 * q), vdupq_n_s32(row[m]))
                               : vld1q_s32(hdr + 4 * q);
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
        store_tile(U8, M, acc, hdr, c + n0, c_stride, n, &out);
    }
}

/* int8 A as it is; uint8 A times W + 128, the 128 * sum A taken off in the row addend */
EDGE_NEON_GEMM_ENTRIES(edge_qs8_gemm_4x16c4__neondot, edge_qs8_igemm_4x16c4__neondot,
                       edge_qs8_gemm_u8_4x16c4__neondot)
