/* kernels/arm/sparse_arm.h - what the ARM sparse kernels (qs8_sparse_neon.c,
 * qs8_sparse_neondot.c) share.
 *
 * Owns: the tile of inputs both kernels read (a tile's rows transposed into [group][row][4]
 * bytes, so that one stored group is 4 consecutive rows a q register), the 16 x 16 byte
 * transpose that turns 16 channels' requantized rows into 16 rows of 16 channels for
 * contiguous stores, the padded copy of a row for the one-row path, and the check for a -128
 * weight (the neon kernel's int16 pairing needs none). Only intrinsics common to aarch64 and
 * armv7 NEON, except where a two-line helper picks the aarch64 form. Does not own the
 * arithmetic (the kernel files) or the packed form (kernels/sparse.h). */
#ifndef EDGE_ARM_SPARSE_ARM_H
#define EDGE_ARM_SPARSE_ARM_H

#include <arm_neon.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "arm/requant_neon.h"
#include "sparse.h"

/* Group G's 4 bytes of row ROW (K bytes readable) into DST; bytes past K are 0. */
static inline void edge_sparse_arm_group(int8_t *dst, const int8_t *row, size_t g, size_t k)
{
    const size_t at = 4 * g, len = k - at < 4 ? k - at : 4;
    memset(dst, 0, 4);
    memcpy(dst, row + at, len);
}

/* Rows [0, T) of A (stride A_STRIDE, K bytes readable each) as XT[g][p][4] for p < TR (T <= TR,
 * TR a multiple of 4): group g's rows at xt + g * 4 * TR, 4 bytes a row. Rows T..TR-1 and the
 * bytes past K are 0. Four rows x 16 bytes a step: a 4 x 4 transpose of 32-bit lanes. */
static inline void edge_sparse_arm_load_tile(const int8_t *a, size_t a_stride, size_t k, size_t kc,
                                             size_t t, size_t tr, int8_t *xt)
{
    const size_t gs = 4 * tr, k16 = k & ~(size_t)15, groups = kc / 4;
    size_t p = 0;
    for (; p + 4 <= t; p += 4) {
        const int8_t *r0 = a + p * a_stride, *r1 = r0 + a_stride, *r2 = r1 + a_stride,
                     *r3 = r2 + a_stride;
        for (size_t kk = 0; kk < k16; kk += 16) {
            const uint32x4x2_t t01 = vtrnq_u32(vreinterpretq_u32_s8(vld1q_s8(r0 + kk)),
                                               vreinterpretq_u32_s8(vld1q_s8(r1 + kk)));
            const uint32x4x2_t t23 = vtrnq_u32(vreinterpretq_u32_s8(vld1q_s8(r2 + kk)),
                                               vreinterpretq_u32_s8(vld1q_s8(r3 + kk)));
            int8_t *d = xt + kk / 4 * gs + 4 * p;
            vst1q_s8(d, vreinterpretq_s8_u32(
                            vcombine_u32(vget_low_u32(t01.val[0]), vget_low_u32(t23.val[0]))));
            vst1q_s8(d + gs, vreinterpretq_s8_u32(
                                 vcombine_u32(vget_low_u32(t01.val[1]), vget_low_u32(t23.val[1]))));
            vst1q_s8(d + 2 * gs, vreinterpretq_s8_u32(vcombine_u32(vget_high_u32(t01.val[0]),
                                                                   vget_high_u32(t23.val[0]))));
            vst1q_s8(d + 3 * gs, vreinterpretq_s8_u32(vcombine_u32(vget_high_u32(t01.val[1]),
                                                                   vget_high_u32(t23.val[1]))));
        }
        for (size_t g = k16 / 4; g < groups; g++)
            for (size_t i = 0; i < 4; i++)
                edge_sparse_arm_group(xt + g * gs + 4 * (p + i), r0 + i * a_stride, g, k);
    }
    for (; p < t; p++)
        for (size_t g = 0; g < groups; g++)
            edge_sparse_arm_group(xt + g * gs + 4 * p, a + p * a_stride, g, k);
    if (t < tr)
        for (size_t g = 0; g < groups; g++)
            memset(xt + g * gs + 4 * t, 0, 4 * (tr - t));
}

/* R[c] (channel c's 16 rows) into R[p] (row p's 16 channels). */
static inline void edge_sparse_arm_transpose16(int8x16_t *r)
{
    for (int i = 0; i < 16; i += 2) { /* 1-byte blocks */
        const int8x16x2_t t = vtrnq_s8(r[i], r[i + 1]);
        r[i] = t.val[0], r[i + 1] = t.val[1];
    }
    for (int i = 0; i < 16; i += 4) /* 2-byte blocks */
        for (int j = 0; j < 2; j++) {
            const int16x8x2_t t =
                vtrnq_s16(vreinterpretq_s16_s8(r[i + j]), vreinterpretq_s16_s8(r[i + j + 2]));
            r[i + j] = vreinterpretq_s8_s16(t.val[0]),
                  r[i + j + 2] = vreinterpretq_s8_s16(t.val[1]);
        }
    for (int i = 0; i < 16; i += 8) /* 4-byte blocks */
        for (int j = 0; j < 4; j++) {
            const int32x4x2_t t =
                vtrnq_s32(vreinterpretq_s32_s8(r[i + j]), vreinterpretq_s32_s8(r[i + j + 4]));
            r[i + j] = vreinterpretq_s8_s32(t.val[0]),
                  r[i + j + 4] = vreinterpretq_s8_s32(t.val[1]);
        }
    for (int j = 0; j < 8; j++) { /* 8-byte blocks */
        const int8x16_t lo = vcombine_s8(vget_low_s8(r[j]), vget_low_s8(r[j + 8]));
        const int8x16_t hi = vcombine_s8(vget_high_s8(r[j]), vget_high_s8(r[j + 8]));
        r[j] = lo, r[j + 8] = hi;
    }
}

/* Channels [N, N + NB) (NB <= 16) of rows [0, T) (T <= 16): R[j] holds channel n + j's rows
 * (lanes past T and rows past NB arbitrary), transposed and stored, nothing written past. */
static inline void edge_sparse_arm_store16(int8x16_t *r, size_t nb, size_t t, int8_t *c,
                                           size_t c_stride)
{
    edge_sparse_arm_transpose16(r);
    for (size_t p = 0; p < t; p++) {
        if (nb == 16)
            vst1q_s8(c + p * c_stride, r[p]);
        else
            edge_neon_store_part16(c + p * c_stride, r[p], nb);
    }
}

/* The tile offsets (index * GS) of the 4 stored groups at G, from one 8-byte load rather than
 * 4 (the tile loops are bound by their loads). */
static inline void edge_sparse_arm_offsets4(const uint16_t *g, size_t gs, size_t off[4])
{
    uint64_t u;
    memcpy(&u, g, sizeof u);
    off[0] = (size_t)(u & 0xffff) * gs;
    off[1] = (size_t)((u >> 16) & 0xffff) * gs;
    off[2] = (size_t)((u >> 32) & 0xffff) * gs;
    off[3] = (size_t)(u >> 48) * gs;
}

/* Whether the N bytes at W hold a -128. */
static inline bool edge_sparse_arm_has_min(const int8_t *w, size_t n)
{
    uint8x16_t any = vdupq_n_u8(0);
    const int8x16_t min = vdupq_n_s8(INT8_MIN);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        any = vorrq_u8(any, vceqq_s8(vld1q_s8(w + i), min));
    const uint32x2_t h = vreinterpret_u32_u8(vorr_u8(vget_low_u8(any), vget_high_u8(any)));
    bool seen = (vget_lane_u32(h, 0) | vget_lane_u32(h, 1)) != 0;
    for (; i < n; i++)
        seen = seen || w[i] == INT8_MIN;
    return seen;
}

/* The wrapping sum of X's four lanes. */
static inline int32_t edge_sparse_arm_sum4(int32x4_t x)
{
#if defined(__aarch64__)
    return vaddvq_s32(x);
#else
    const int32x2_t s = vpadd_s32(vget_low_s32(x), vget_high_s32(x));
    return vget_lane_s32(vpadd_s32(s, s), 0);
#endif
}

/* The row X (K bytes readable) for the one-row path: X itself when K is a whole number of
 * groups, else a copy with the last group's bytes past K zero in BUF (KC bytes). */
static inline const int8_t *edge_sparse_arm_row(const edge_qs8_sparse_view *v, const int8_t *x,
                                                int8_t *buf)
{
    if (v->kc == v->k)
        return x;
    memcpy(buf, x, v->k);
    memset(buf + v->k, 0, v->kc - v->k);
    return buf;
}

/* Four stored groups' inputs (group[0..3]'s 4 bytes of the padded row X) as one vector, put
 * together in general registers (the neon kernel): lane inserts (ld1 {v.s}[i]) chain four
 * loads a step, 32 cycles of latency on llvm-mca's A72 model (27 cycles a step, this 16). */
static inline int8x16_t edge_sparse_arm_gather4(const int8_t *x, const uint16_t *group)
{
    size_t off[4];
    edge_sparse_arm_offsets4(group, 4, off);
    uint32_t x0, x1, x2, x3; /* memcpy: the row may sit at any address */
    memcpy(&x0, x + off[0], 4);
    memcpy(&x1, x + off[1], 4);
    memcpy(&x2, x + off[2], 4);
    memcpy(&x3, x + off[3], 4);
    return vcombine_s8(vcreate_s8(x0 | (uint64_t)x1 << 32), vcreate_s8(x2 | (uint64_t)x3 << 32));
}

/* The same by lane inserts (the neondot kernel: 17 cycles a step of 8 groups on the A76 model,
 * 22 put together in general registers). */
static inline int8x16_t edge_sparse_arm_gather4_lanes(const int8_t *x, const uint16_t *group)
{
    size_t off[4];
    edge_sparse_arm_offsets4(group, 4, off);
    int32_t x0, x1, x2, x3; /* memcpy: the row may sit at any address */
    memcpy(&x0, x + off[0], 4);
    memcpy(&x1, x + off[1], 4);
    memcpy(&x2, x + off[2], 4);
    memcpy(&x3, x + off[3], 4);
    int32x4_t g = vdupq_n_s32(x0);
    g = vsetq_lane_s32(x1, g, 1);
    g = vsetq_lane_s32(x2, g, 2);
    g = vsetq_lane_s32(x3, g, 3);
    return vreinterpretq_s8_s32(g);
}

/* The last 1-3 stored groups (N of them) likewise, their inputs and weights (W) as vectors
 * whose other lanes are 0. */
static inline void edge_sparse_arm_gather_tail(const int8_t *x, const uint16_t *group,
                                               const int8_t *w, size_t n, int8x16_t *xg,
                                               int8x16_t *wg)
{
    int32_t xs[4] = {0, 0, 0, 0}, ws[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        memcpy(&xs[i], x + 4 * (size_t)group[i], 4);
        memcpy(&ws[i], w + 4 * i, 4);
    }
    *xg = vreinterpretq_s8_s32(vld1q_s32(xs));
    *wg = vreinterpretq_s8_s32(vld1q_s32(ws));
}

#endif
