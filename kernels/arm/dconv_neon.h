/* kernels/arm/dconv_neon.h - the loop of the ARM direct CONV_2D kernels (1 to 4 input channels).
 *
 * Owns: dconv(), the pixel walk both ARM direct kernels share (qs8_dconv_neon.c, level neon
 * on aarch64 and armv7; qs8_dconv_neondot.c, level neondot): per output pixel the window's
 * row words are gathered (dconv.h), then each block of 8 output channels takes the words
 * one by one against 8 channels x 4 weight bytes (qs8.h's GEMM layout with kr 4), plus the
 * packed bias, then requant_neon.h's output stage. a_bias 0; the uint8 kernel is the same code
 * fed x ^ 0x80 (x - 128 as int8, the entry's a_bias -128) with the pixel's window term
 * b * (sum of its cells - kzx) added to every channel.
 * The including file defines CR, NP (output pixels a step, each pixel's gathered window a
 * row of xb) and how the words meet the weights:
 *   dconv_kloop(acc[NP][4], xb[NP][..], groups, w, u8): adds the products of the GROUPS words
 *       of each row of XB (each flipped by ^ 0x80 for U8) and the 8-channel block's weights at
 *       W (per word, channels 0-3 then 4-7, 4 k each) to that row's four int32x4 accumulators
 *       (zero on entry);
 *   dconv_sums(acc[4], &s0, &s1): channels 0-3 and 4-7 of one row's acc as two int32x4;
 *   dconv_span(a, rows, o_row, u8, &lo) (after the #include): the number of pixels from *LO
 *       on (whole steps of its own) the including file computed itself into output row O_ROW,
 *       given ROWS, the window's input rows (all inside the input); 0 when it takes none of
 *       this row.
 * Does not own packing (dconv.c), the tables or the contract. */
#ifndef EDGE_ARM_DCONV_NEON_H
#define EDGE_ARM_DCONV_NEON_H

#include <arm_neon.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arm/requant_neon.h"
#include "dconv.h"

/* The window's cells of row words XB (uint8 bits) summed. */
static int32_t window_sum(const edge_conv_params *p, size_t rowk, const int8_t *xb)
{
    const size_t win = (size_t)p->k_w * (size_t)p->in_c;
    uint32_t s = 0;
    for (size_t ky = 0; ky < (size_t)p->k_h; ky++)
        for (size_t j = 0; j < win; j++)
            s += (uint8_t)xb[ky * rowk + j];
    return (int32_t)s;
}

/* Output pixel OX's outputs of one 8-channel block from its sums ACC (dconv_sums) plus TERM. */
static inline __attribute__((always_inline)) void dconv_store(const int32x4_t acc[4],
                                                              int32x4_t term, const int32_t *hdr,
                                                              int8_t *o, size_t cn, bool u8,
                                                              const edge_neon_out *out)
{
    int32x4_t s0, s1;
    dconv_sums(acc, &s0, &s1);
    const int32x4_t v0 = edge_neon_mbqm(vaddq_s32(vaddq_s32(s0, term), vld1q_s32(hdr)),
                                        edge_neon_rq_load(hdr + CR, hdr + 2 * CR));
    const int32x4_t v1 = edge_neon_mbqm(vaddq_s32(vaddq_s32(s1, term), vld1q_s32(hdr + 4)),
                                        edge_neon_rq_load(hdr + CR + 4, hdr + 2 * CR + 4));
    const int8x8_t q =
        u8 ? vreinterpret_s8_u8(edge_neon_out8_u8(v0, v1, out)) : edge_neon_out8(v0, v1, out);
    if (cn >= CR) {
        vst1_s8(o, q);
    } else {
        int8_t t[8];
        vst1_s8(t, q);
        memcpy(o, t, cn);
    }
}

/* Pixel window words for a pixel whose cells all lie in the input (dconv.h's gather without its
 * checks): ROWS[ky] + OFF, RK bytes each (a multiple of 4), into DST. RK 4 (one input channel,
 * a 3-wide window) and 12 (three channels) are copies of constant size: under an
 * instruction-counting qemu (docs/arm-kernels.md) the checked gather took about 150 of
 * person_detect's first layer's 220 instructions a pixel. */
static inline __attribute__((always_inline)) void
dconv_gather_inside(const int8_t *const *rows, size_t kh, size_t off, size_t rk, int8_t *dst)
{
    if (rk == 4 && kh == 3) {
        uint32_t v[3];
        for (size_t ky = 0; ky < 3; ky++)
            memcpy(&v[ky], rows[ky] + off, 4);
        memcpy(dst, v, 12);
    } else if (rk == 12 && kh == 3) {
        for (size_t ky = 0; ky < 3; ky++)
            memcpy(dst + 12 * ky, rows[ky] + off, 12);
    } else {
        for (size_t ky = 0; ky < kh; ky++, dst += rk)
            for (size_t i = 0; i < rk; i += 4)
                memcpy(dst + i, rows[ky] + off + i, 4);
    }
}

/* Defined by the including file after this header (see the top). */
static inline size_t dconv_span(const edge_qs8_dconv_args *a, const int8_t *const *rows,
                                int8_t *o_row, bool u8, int32_t *lo);

/* Where a pixel-lane path's steps lie in an output row (dconv_lanes). */
typedef struct dconv_lanes_row {
    int32_t first; /* the first pixel: its window starts inside the row */
    int32_t steps; /* steps of NP pixels from it */
    size_t x0;     /* the first pixel's window's first byte in an input row */
    size_t blk;    /* bytes of a packed block of CR channels */
    int8_t *o;     /* the first pixel's outputs */
} dconv_lanes_row;

/* For the including files' dconv_span: the steps of NP pixels of output row O_ROW that a
 * pixel-lane path takes (int8, stride 1 to 4, whole blocks of CR channels; else 0 steps; the
 * window's shape is the caller's to check), from the first pixel whose window starts inside
 * the row, while the REACH bytes (at least 16) a step reads from its first pixel's window stay
 * in the row. */
static inline dconv_lanes_row dconv_lanes(const edge_qs8_dconv_args *a, bool u8, int32_t np,
                                          int32_t reach, int8_t *o_row)
{
    const edge_conv_params *p = a->p;
    const int32_t s = p->stride_w, c = p->in_c, row_bytes = p->in_w * p->in_c;
    dconv_lanes_row g = {0};
    if (u8 || s < 1 || s > 4 || p->out_c % CR || row_bytes < reach)
        return g;
    g.first = (p->pad_w + s - 1) / s; /* x0 >= 0 */
    /* x0 + reach <= row_bytes: (ox * s - pad_w) * c <= row_bytes - reach */
    const int32_t last = ((row_bytes - reach) / c + p->pad_w) / s;
    g.steps = last >= g.first ? (last - g.first) / np + 1 : 0;
    if (g.steps > (p->out_w - g.first) / np)
        g.steps = (p->out_w - g.first) / np;
    if (g.steps < 0)
        g.steps = 0;
    g.x0 = (size_t)((g.first * s - p->pad_w) * c);
    g.blk = edge_qs8_gemm_block_bytes(CR, edge_qs8_dconv_kc(p));
    g.o = o_row + (size_t)g.first * (size_t)p->out_c;
    return g;
}

/* Whether some channel of the CR-channel block packed at HB shifts left. */
static inline bool dconv_block_shl(const uint8_t *hb)
{
    int32_t shift[CR];
    memcpy(shift, hb + 2 * CR * sizeof(int32_t), sizeof shift);
    bool shl = false;
    for (size_t c = 0; c < CR; c++)
        shl |= shift[c] > 0;
    return shl;
}

/* Window rows the unchecked gather takes (a taller window takes the checked one). */
#define DCONV_ROWS 16

/* Both kernels of the including file: U8 the uint8 one. NP output pixels of a row at a time
 * (the last group of a row may have fewer: its unused windows are zeros, never stored). */
static inline __attribute__((always_inline)) void dconv(const edge_qs8_dconv_args *a, int32_t row0,
                                                        int32_t row1, bool u8)
{
    const edge_conv_params *p = a->p;
    const size_t rowk = edge_qs8_dconv_rowk(p), kc = edge_qs8_dconv_kc(p), groups = kc / 4;
    const size_t ch = (size_t)p->out_c, blk = edge_qs8_gemm_block_bytes(CR, kc);
    const size_t img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    const edge_neon_out out = edge_neon_out_make(&a->o);
    int8_t xb[NP][EDGE_QS8_DCONV_MAX_K];
    const size_t c = (size_t)p->in_c, row_bytes = (size_t)p->in_w * c;
    const size_t kh = (size_t)p->k_h;
    for (int32_t r = row0; r < row1; r++) {
        const int32_t b = r / p->out_h, oy = r % p->out_h;
        const int8_t *in_b = a->in + (size_t)b * img;
        /* the window's input rows, when every one lies in the input (else the checked gather) */
        const int8_t *rows[DCONV_ROWS];
        const int32_t iy0 = oy * p->stride_h - p->pad_h;
        const bool rows_in = iy0 >= 0 && iy0 + p->k_h <= p->in_h && kh <= DCONV_ROWS;
        for (size_t ky = 0; rows_in && ky < kh; ky++)
            rows[ky] = in_b + (size_t)(iy0 + (int32_t)ky) * row_bytes;
        /* the including file's span [lo, hi) of this row, if it takes one; the walk below takes
         * the pixels before and after it */
        int32_t lo = 0;
        const size_t span =
            rows_in ? dconv_span(a, rows, a->out + (size_t)r * (size_t)p->out_w * ch, u8, &lo) : 0;
        const int32_t hi = lo + (int32_t)span;
        for (int32_t ox = 0; ox < p->out_w;) {
            if (span && ox == lo) {
                ox = hi;
                continue;
            }
            const int32_t end = span && ox < lo ? lo : p->out_w;
            const size_t np = end - ox < NP ? (size_t)(end - ox) : NP;
            int32x4_t term[NP];
            for (size_t i = 0; i < NP; i++) {
                const int32_t x0 = (ox + (int32_t)i) * p->stride_w - p->pad_w;
                if (i < np && rows_in && x0 >= 0 && (size_t)x0 * c + rowk <= row_bytes)
                    dconv_gather_inside(rows, kh, (size_t)x0 * c, rowk, xb[i]);
                else if (i < np)
                    edge_qs8_dconv_gather(p, in_b, a->zp_in, rowk, oy, ox + (int32_t)i, xb[i]);
                else
                    memset(xb[i], 0, kc);
                term[i] = vdupq_n_s32(
                    u8 && i < np
                        ? (int32_t)((uint32_t)a->b *
                                    ((uint32_t)window_sum(p, rowk, xb[i]) - (uint32_t)a->kzx))
                        : 0);
            }
            int8_t *o = a->out + ((size_t)r * (size_t)p->out_w + (size_t)ox) * ch;
            for (size_t n0 = 0; n0 < ch; n0 += CR) {
                const uint8_t *hb = (const uint8_t *)a->w + n0 / CR * blk;
                int32x4_t acc[NP][4];
#pragma GCC unroll 4
                for (size_t i = 0; i < NP; i++)
#pragma GCC unroll 4
                    for (size_t j = 0; j < 4; j++)
                        acc[i][j] = vdupq_n_s32(0);
                dconv_kloop(acc, xb, groups, (const int8_t *)(hb + 3 * CR * sizeof(int32_t)), u8);
                int32_t hdr[3 * CR];
                memcpy(hdr, hb, sizeof hdr);
#pragma GCC unroll 4
                for (size_t i = 0; i < NP; i++) /* constant indices: acc stays in registers */
                    if (i < np)
                        dconv_store(acc[i], term[i], hdr, o + i * ch + n0, ch - n0, u8, &out);
            }
            ox += (int32_t)np;
        }
    }
}

#endif
