/* kernels/arm/qs8_sparse_neondot.c - the sparse int8 kernel (kernels/sparse.h) at level neondot
 * (aarch64 with the dot product).
 *
 * Owns: edge_qs8_sparse_neondot. Rows go in tiles of 16: the tile's inputs are transposed
 * once into [group][row][4] bytes (sparse_arm.h), so that a group's 16 rows are 4 q registers
 * of 4 rows x 4 bytes. A channel's stored groups go 4 a step: their 4 indices in one 8-byte
 * load, their 16 weights in one q register, and per group and 4 rows one sdot by lane (the
 * group's weights), exact in int32 with wrap-around, from bias' (x read as it is: qs8.h's
 * a_bias 0); the 1-3 groups left take a broadcast each. A tile of fewer rows (the rows left
 * over) runs only the sdot of its ceil(rows / 4) quarters. Sixteen channels' requantized rows
 * (requant_neon.h, equal to EDGE_OUTPUT_STAGE) are transposed in registers into 16 bytes a row and
 * stored. One row (FULLY_CONNECTED at batch 1, or a last row left over) takes lanes over stored
 * groups instead: 4 groups' inputs gathered by group index, one sdot with their 16 weights, the
 * lanes summed per channel, then the reference's output stage. Built with
 * -march=armv8.2-a+dotprod; dispatch picks it only when HWCAP_ASIMDDP is set. */
#include <arm_neon.h>
#include <string.h>

#include "arm/requant_neon.h"
#include "arm/sparse_arm.h"
#include "ref/requant.h"
#include "sparse.h"

#define EDGE_INLINE static inline __attribute__((always_inline))

enum { T = EDGE_SPARSE_TILE, MAX_Q = T / 4 };

/* Channels [n0, n1) of the rows in XT (NQ quarters of 4 rows, T_ROWS of them real) into C. */
EDGE_INLINE void tile_channels(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                               const int8_t *xt, size_t t_rows, const size_t nq, int8_t *c,
                               size_t c_stride)
{
    const edge_qs8_out o = {v->output_offset, v->act_min, v->act_max};
    const edge_neon_out out = edge_neon_out_make(&o);
    const size_t gs = 16 * nq; /* bytes of one group's rows */
    for (size_t n = n0; n < n1; n += 16) {
        const size_t nb = n1 - n < 16 ? n1 - n : 16;
        int8x16_t r[16];
        for (size_t j = 0; j < nb; j++) {
            const size_t ch = n + j;
            /* one accumulator set per lane of the 4-group step: no sdot waits for another
             * of its step (in-order cores: the A55); the sets are summed at the end */
            int32x4_t acc[4][MAX_Q];
#pragma GCC unroll 4
            for (size_t q = 0; q < nq; q++) {
                acc[0][q] = vdupq_n_s32(v->bias[ch]);
                acc[1][q] = acc[2][q] = acc[3][q] = vdupq_n_s32(0);
            }
            const uint16_t *g = v->group + v->seg[ch];
            const int8_t *wp = v->w + 4 * (size_t)v->seg[ch];
            size_t left = v->seg[ch + 1] - v->seg[ch];
            for (; left >= 4; left -= 4, g += 4, wp += 16) { /* 4 groups: sdot by lane */
                const int8x16_t w = vld1q_s8(wp);
                size_t off[4];
                edge_sparse_arm_offsets4(g, gs, off);
#pragma GCC unroll 4
                for (size_t q = 0; q < nq; q++) {
                    acc[0][q] = vdotq_laneq_s32(acc[0][q], vld1q_s8(xt + off[0] + 16 * q), w, 0);
                    acc[1][q] = vdotq_laneq_s32(acc[1][q], vld1q_s8(xt + off[1] + 16 * q), w, 1);
                    acc[2][q] = vdotq_laneq_s32(acc[2][q], vld1q_s8(xt + off[2] + 16 * q), w, 2);
                    acc[3][q] = vdotq_laneq_s32(acc[3][q], vld1q_s8(xt + off[3] + 16 * q), w, 3);
                }
            }
            for (; left; left--, g++, wp += 4) {
                const int8x16_t w =
                    vreinterpretq_s8_s32(vld1q_dup_s32((const int32_t *)(const void *)wp));
                const int8_t *x = xt + g[0] * gs;
#pragma GCC unroll 4
                for (size_t q = 0; q < nq; q++)
                    acc[left][q] = vdotq_s32(acc[left][q], vld1q_s8(x + 16 * q), w);
            }
#pragma GCC unroll 4
            for (size_t q = 0; q < nq; q++) /* wrapping adds: the sum of every product */
                acc[0][q] =
                    vaddq_s32(vaddq_s32(acc[0][q], acc[1][q]), vaddq_s32(acc[2][q], acc[3][q]));
            const edge_neon_rq rq =
                edge_neon_rq_make(vdupq_n_s32(v->mult[ch]), vdupq_n_s32(v->shift[ch]));
            int32x4_t y[MAX_Q];
#pragma GCC unroll 4
            for (size_t q = 0; q < MAX_Q; q++)
                y[q] = q < nq ? edge_neon_mbqm(acc[0][q], rq) : vdupq_n_s32(0);
            r[j] = edge_neon_out16(y[0], y[1], y[2], y[3], &out);
        }
        for (size_t j = nb; j < 16; j++)
            r[j] = vdupq_n_s8(0);
        edge_sparse_arm_store16(r, nb, t_rows, c + n, c_stride);
    }
}

/* Channels [n0, n1) of one row X (kc bytes readable) into C: lanes over stored groups. */
static void row_groups(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *x,
                       int8_t *c)
{
    for (size_t n = n0; n < n1; n++) {
        int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
        uint32_t b = v->seg[n];
        const uint32_t e = v->seg[n + 1];
        for (; b + 8 <= e; b += 8) {
            const int8_t *w = v->w + 4 * (size_t)b;
            acc0 = vdotq_s32(acc0, edge_sparse_arm_gather4_lanes(x, v->group + b), vld1q_s8(w));
            acc1 = vdotq_s32(acc1, edge_sparse_arm_gather4_lanes(x, v->group + b + 4),
                             vld1q_s8(w + 16));
        }
        if (b + 4 <= e) {
            acc0 = vdotq_s32(acc0, edge_sparse_arm_gather4_lanes(x, v->group + b),
                             vld1q_s8(v->w + 4 * (size_t)b));
            b += 4;
        }
        if (b < e) {
            int8x16_t xg, wg;
            edge_sparse_arm_gather_tail(x, v->group + b, v->w + 4 * (size_t)b, e - b, &xg, &wg);
            acc1 = vdotq_s32(acc1, xg, wg);
        }
        const int32_t sum =
            edge_wrap_add32(edge_sparse_arm_sum4(vaddq_s32(acc0, acc1)), v->bias[n]);
        c[n] = (int8_t)EDGE_OUTPUT_STAGE(v, sum, (const int32_t *)NULL, n);
    }
}

void edge_qs8_sparse_neondot(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *a,
                             size_t a_stride, size_t rows, int8_t *c, size_t c_stride, int8_t *tile)
{
    assert(n0 <= n1 && n1 <= v->n && v->kc % 4 == 0 && v->kc - v->k < 4);
    for (size_t m = 0; m < rows; m += T) {
        const size_t t = rows - m < T ? rows - m : T;
        const int8_t *am = a + m * a_stride;
        int8_t *cm = c + m * c_stride;
        if (t == 1) { /* batch-1 FULLY_CONNECTED, or one row left over */
            row_groups(v, n0, n1, edge_sparse_arm_row(v, am, tile), cm);
            continue;
        }
        const size_t nq = (t + 3) / 4;
        edge_sparse_arm_load_tile(am, a_stride, v->k, v->kc, t, 4 * nq, tile);
        switch (nq) {
        case 1: tile_channels(v, n0, n1, tile, t, 1, cm, c_stride); break;
        case 2: tile_channels(v, n0, n1, tile, t, 2, cm, c_stride); break;
        case 3: tile_channels(v, n0, n1, tile, t, 3, cm, c_stride); break;
        default: tile_channels(v, n0, n1, tile, t, 4, cm, c_stride); break;
        }
    }
}
