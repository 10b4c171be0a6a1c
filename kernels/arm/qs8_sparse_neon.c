/* kernels/arm/qs8_sparse_neon.c - the sparse int8 kernel (kernels/sparse.h) at level neon
 * (aarch64 without the dot product, and armv7 NEON).
 *
 * Owns: edge_qs8_sparse_neon. Rows go in tiles of 16 (aarch64; 8 on armv7, whose 16 q
 * registers hold half the accumulators): the tile's inputs are transposed once into
 * [group][row][4] bytes (sparse_arm.h), a q register holding 4 rows x 4 bytes of a group.
 * A channel's stored groups go 4 a step (their indices in one 8-byte load, their weights in
 * one q register whose lanes are dup'd). A group is its 4 weights broadcast and, per 2 rows, one
 * smull of 8 int8 products into int16 and one sadalp into the int32 lanes of those rows (two
 * partial sums a row, added at the end): exact for any weights. When the channels' weights hold no
 * -128 (every TFLite model), two stored groups go together: smull + smlal sum a product of
 * each in int16 (|sum| <= 2 * 128 * 127 = 32512, exact) before one sadalp, 3 vector
 * instructions per 16 MACs rather than 4 (the dense neon GEMM's pairing, qs8_arm.h). A tile of
 * fewer rows runs only its ceil(rows / 4) quarters. Sixteen channels' requantized rows
 * (requant_neon.h, equal to EDGE_OUTPUT_STAGE) are transposed into 16 bytes a row and stored.
 * One row (FULLY_CONNECTED at batch 1, or a last row left over) takes lanes over stored
 * groups: 4 groups' inputs gathered by group index against their 16 weights, smull/smlal +
 * sadalp likewise, the lanes summed per channel, then the reference's output stage. The
 * accumulation is int32 with wrap-around in every step (sadalp and the lane sums do not
 * saturate), from bias', as the contract says. */
#include <arm_neon.h>
#include <stdbool.h>
#include <string.h>

#include "arm/requant_neon.h"
#include "arm/sparse_arm.h"
#include "ref/requant.h"
#include "sparse.h"

#define EDGE_INLINE static inline __attribute__((always_inline))

#if defined(__aarch64__)
#define MAX_Q 4 /* quarters of 4 rows a tile */
#define MULL_HI(x, w) vmull_high_s8(x, w)
#define MLAL_HI(p, x, w) vmlal_high_s8(p, x, w)
#define PADD(a, b) vpaddq_s32(a, b)
#else
#define MAX_Q 2
#define MULL_HI(x, w) vmull_s8(vget_high_s8(x), vget_high_s8(w))
#define MLAL_HI(p, x, w) vmlal_s8(p, vget_high_s8(x), vget_high_s8(w))
#define PADD(a, b)                                             \
    vcombine_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)), \
                 vpadd_s32(vget_low_s32(b), vget_high_s32(b)))
#endif

/* A stored group's 4 weights (at W) in every 32-bit lane. */
EDGE_INLINE int8x16_t weights_dup(const int8_t *w)
{
    return vreinterpretq_s8_s32(vld1q_dup_s32((const int32_t *)(const void *)w));
}

/* Lane I of W (4 groups' weights) in every lane. */
#define lane_dup(w, i)                                                    \
    vreinterpretq_s8_s32((i) < 2 ? vdupq_lane_s32(vget_low_s32(w), (i)&1) \
                                 : vdupq_lane_s32(vget_high_s32(w), (i)&1))

/* ACC[2q], ACC[2q + 1] (rows 4q, 4q+1 and 4q+2, 4q+3) += group X's products with W. */
EDGE_INLINE void mac1(int32x4_t *acc, const int8_t *x, int8x16_t w, size_t nq)
{
#pragma GCC unroll 4
    for (size_t q = 0; q < nq; q++) {
        const int8x16_t xq = vld1q_s8(x + 16 * q);
        acc[2 * q] = vpadalq_s16(acc[2 * q], vmull_s8(vget_low_s8(xq), vget_low_s8(w)));
        acc[2 * q + 1] = vpadalq_s16(acc[2 * q + 1], MULL_HI(xq, w));
    }
}

/* The same for two groups X0, X1 (weights W0, W1, no -128 among them), summed in int16. */
EDGE_INLINE void mac2(int32x4_t *acc, const int8_t *x0, int8x16_t w0, const int8_t *x1,
                      int8x16_t w1, size_t nq)
{
#pragma GCC unroll 4
    for (size_t q = 0; q < nq; q++) {
        const int8x16_t a = vld1q_s8(x0 + 16 * q), b = vld1q_s8(x1 + 16 * q);
        acc[2 * q] = vpadalq_s16(acc[2 * q], vmlal_s8(vmull_s8(vget_low_s8(a), vget_low_s8(w0)),
                                                      vget_low_s8(b), vget_low_s8(w1)));
        acc[2 * q + 1] = vpadalq_s16(acc[2 * q + 1], MLAL_HI(MULL_HI(a, w0), b, w1));
    }
}

/* Channels [n0, n1) of the rows in XT (NQ quarters of 4 rows, T_ROWS of them real) into C;
 * PAIR: no -128 among the channels' weights. */
EDGE_INLINE void tile_channels(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                               const int8_t *xt, size_t t_rows, const size_t nq, bool pair,
                               int8_t *c, size_t c_stride)
{
    const edge_qs8_out o = {v->output_offset, v->act_min, v->act_max};
    const edge_neon_out out = edge_neon_out_make(&o);
    const size_t gs = 16 * nq; /* bytes of one group's rows */
    for (size_t n = n0; n < n1; n += 16) {
        const size_t nb = n1 - n < 16 ? n1 - n : 16;
        int8x16_t r[16];
        for (size_t j = 0; j < nb; j++) {
            const size_t ch = n + j;
            int32x4_t acc[2 * MAX_Q];
#pragma GCC unroll 8
            for (size_t h = 0; h < 2 * nq; h++)
                acc[h] = vdupq_n_s32(0);
            const uint16_t *g = v->group + v->seg[ch];
            const int8_t *wp = v->w + 4 * (size_t)v->seg[ch];
            size_t left = v->seg[ch + 1] - v->seg[ch];
            if (pair) /* 4 groups a step: one 16-byte weight load, a lane dup a group */
                for (; left >= 4; left -= 4, g += 4, wp += 16) {
                    const int32x4_t w = vreinterpretq_s32_s8(vld1q_s8(wp));
                    size_t off[4];
                    edge_sparse_arm_offsets4(g, gs, off);
                    mac2(acc, xt + off[0], lane_dup(w, 0), xt + off[1], lane_dup(w, 1), nq);
                    mac2(acc, xt + off[2], lane_dup(w, 2), xt + off[3], lane_dup(w, 3), nq);
                }
            else
                for (; left >= 4; left -= 4, g += 4, wp += 16) {
                    const int32x4_t w = vreinterpretq_s32_s8(vld1q_s8(wp));
                    size_t off[4];
                    edge_sparse_arm_offsets4(g, gs, off);
                    mac1(acc, xt + off[0], lane_dup(w, 0), nq);
                    mac1(acc, xt + off[1], lane_dup(w, 1), nq);
                    mac1(acc, xt + off[2], lane_dup(w, 2), nq);
                    mac1(acc, xt + off[3], lane_dup(w, 3), nq);
                }
            for (; left; left--, g++, wp += 4)
                mac1(acc, xt + g[0] * gs, weights_dup(wp), nq);
            const int32x4_t bias = vdupq_n_s32(v->bias[ch]);
            const edge_neon_rq rq =
                edge_neon_rq_make(vdupq_n_s32(v->mult[ch]), vdupq_n_s32(v->shift[ch]));
            int32x4_t y[4];
#pragma GCC unroll 4
            for (size_t q = 0; q < 4; q++)
                y[q] = q < nq
                           ? edge_neon_mbqm(vaddq_s32(bias, PADD(acc[2 * q], acc[2 * q + 1])), rq)
                           : vdupq_n_s32(0);
            r[j] = edge_neon_out16(y[0], y[1], y[2], y[3], &out);
        }
        for (size_t j = nb; j < 16; j++)
            r[j] = vdupq_n_s8(0);
        edge_sparse_arm_store16(r, nb, t_rows, c + n, c_stride);
    }
}

/* Channels [n0, n1) of one row X (kc bytes readable) into C: lanes over stored groups, four
 * groups a step (groups b, b+1 in the low half, b+2, b+3 in the high half; paired: the
 * halves' products summed in int16). */
static void row_groups(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *x,
                       bool pair, int8_t *c)
{
    for (size_t n = n0; n < n1; n++) {
        int32x4_t acc = vdupq_n_s32(0);
        uint32_t b = v->seg[n];
        const uint32_t e = v->seg[n + 1];
        if (pair)
            for (; b + 4 <= e; b += 4) {
                const int8x16_t xg = edge_sparse_arm_gather4(x, v->group + b);
                const int8x16_t w = vld1q_s8(v->w + 4 * (size_t)b);
                acc = vpadalq_s16(acc, MLAL_HI(vmull_s8(vget_low_s8(xg), vget_low_s8(w)), xg, w));
            }
        for (; b + 4 <= e; b += 4) {
            const int8x16_t xg = edge_sparse_arm_gather4(x, v->group + b);
            const int8x16_t w = vld1q_s8(v->w + 4 * (size_t)b);
            acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(xg), vget_low_s8(w)));
            acc = vpadalq_s16(acc, MULL_HI(xg, w));
        }
        if (b < e) {
            int8x16_t xg, w;
            edge_sparse_arm_gather_tail(x, v->group + b, v->w + 4 * (size_t)b, e - b, &xg, &w);
            acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(xg), vget_low_s8(w)));
            acc = vpadalq_s16(acc, MULL_HI(xg, w));
        }
        const int32_t sum = edge_wrap_add32(edge_sparse_arm_sum4(acc), v->bias[n]);
        c[n] = (int8_t)EDGE_OUTPUT_STAGE(v, sum, (const int32_t *)NULL, n);
    }
}

void edge_qs8_sparse_neon(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *a,
                          size_t a_stride, size_t rows, int8_t *c, size_t c_stride, int8_t *tile)
{
    assert(n0 <= n1 && n1 <= v->n && v->kc % 4 == 0 && v->kc - v->k < 4);
    /* pairing needs no -128 weight: one look at the range's weights a call */
    const bool pair = !edge_sparse_arm_has_min(v->w + 4 * (size_t)v->seg[n0],
                                               4 * (size_t)(v->seg[n1] - v->seg[n0]));
    for (size_t m = 0; m < rows; m += 4 * MAX_Q) {
        const size_t t = rows - m < 4 * MAX_Q ? rows - m : 4 * MAX_Q;
        const int8_t *am = a + m * a_stride;
        int8_t *cm = c + m * c_stride;
        if (t == 1) { /* batch-1 FULLY_CONNECTED, or one row left over */
            row_groups(v, n0, n1, edge_sparse_arm_row(v, am, tile), pair, cm);
            continue;
        }
        const size_t nq = (t + 3) / 4;
        edge_sparse_arm_load_tile(am, a_stride, v->k, v->kc, t, 4 * nq, tile);
        switch (nq) {
        case 1: tile_channels(v, n0, n1, tile, t, 1, pair, cm, c_stride); break;
#if MAX_Q > 2
        case 2: tile_channels(v, n0, n1, tile, t, 2, pair, cm, c_stride); break;
        case 3: tile_channels(v, n0, n1, tile, t, 3, pair, cm, c_stride); break;
        default: tile_channels(v, n0, n1, tile, t, 4, pair, cm, c_stride); break;
#else
        default: tile_channels(v, n0, n1, tile, t, 2, pair, cm, c_stride); break;
#endif
        }
    }
}
