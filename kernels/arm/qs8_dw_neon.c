/* kernels/arm/qs8_dw_neon.c - the int8 depthwise convolution of level neon (aarch64 and armv7).
 *
 * Owns: edge_qs8_dw_16c__neon (contract: qs8.h, DEPTHWISE_CONV_2D): output
 * rows [row0, row1) of the whole op, any window, stride, dilation and
 * padding, in blocks of 16 channels. Written with the NEON intrinsics common to
 * aarch64 and armv7, so one source serves both builds of level neon (and the
 * neondot table reuses it: depthwise has no dot-product shape).
 * Per tap and 16 channels: one 16-byte input load, one 16-byte weight load,
 * two smull (int8 x int8 -> int16, always exact) and four saddw into the
 * 16 int32 lanes. Loop order: output row, channel block, output column, tap;
 * the 3x3 path keeps the block's 9 weight vectors in registers across the row
 * and takes the columns whose window lies inside the input without checks.
 * A padded cell reads the zero vector (the input zero point, qs8.h). The last
 * block of a channel count that is not a multiple of 16 loads and stores only
 * its channels, so nothing is read past the input or written past a pixel; a block of
 * exactly 8 channels runs its 3x3 inside columns on 8 lanes (dw3x3_inside8).
 * Requantization: requant_neon.h. Does not own packing (pack.c) or the tables. */
#include <arm_neon.h>
#include <stdbool.h>
#include <string.h>

#include "arm/qs8_arm.h"
#include "arm/requant_neon.h"

#define CR EDGE_DW_NEON_CR

#define EDGE_INLINE static inline __attribute__((always_inline))

/* The high-half multiply and widen: one instruction on aarch64 (smull2, saddw2);
 * on armv7 the high half of a q register is a d register already. */
#if defined(__aarch64__)
#define MULL_HIGH_S8(x, w) vmull_high_s8(x, w)
#define MLAL_HIGH_S8(acc, x, w) vmlal_high_s8(acc, x, w)
#define ADDW_HIGH_S16(acc, v) vaddw_high_s16(acc, v)
#else
#define MULL_HIGH_S8(x, w) vmull_s8(vget_high_s8(x), vget_high_s8(w))
#define MLAL_HIGH_S8(acc, x, w) vmlal_s8(acc, vget_high_s8(x), vget_high_s8(w))
#define ADDW_HIGH_S16(acc, v) vaddw_s16(acc, vget_high_s16(v))
#endif

/* What every row of one call shares (copied into locals by the loops, so
 * the int8 output stores cannot make the compiler reload them). */
typedef struct dw_ctx {
    const int8_t *zero;
    size_t ch; /* channels (in_c == out_c) */
    int32_t in_h, in_w, out_w, k_h, k_w;
    int32_t stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    int32_t col_lo, col_hi; /* output columns whose whole window is inside the input columns */
    edge_neon_out out;
} dw_ctx;

/* One channel block's header, in registers: bias'[16], mult[16], shift[16] (qs8.h; the
 * first shift without qs8_arm.h's pairing flag). */
typedef struct dw_hdr {
    int32x4_t bias[4];
    edge_neon_rq rq[4];
} dw_hdr;

EDGE_INLINE dw_hdr hdr_load(const uint8_t *blk)
{
    const int32_t *h = (const int32_t *)(const void *)blk;
    dw_hdr k;
#pragma GCC unroll 4
    for (size_t q = 0; q < 4; q++) {
        k.bias[q] = vld1q_s32(h + 4 * q);
        int32x4_t shift = vld1q_s32(h + 2 * CR + 4 * q);
        if (q == 0)
            shift = vsetq_lane_s32(edge_neon_block_shift0(blk, CR), shift, 0);
        k.rq[q] = edge_neon_rq_make(vld1q_s32(h + CR + 4 * q), shift);
    }
    return k;
}

/* CN (<= 16) int8 at P; the lanes past CN are 0 and P[CN..15] is never read. */
EDGE_INLINE int8x16_t load16(const int8_t *p, size_t cn)
{
    if (cn == CR)
        return vld1q_s8(p);
    int8_t t[CR] = {0};
    memcpy(t, p, cn);
    return vld1q_s8(t);
}

/* acc (16 int32 lanes) += x * w, lane by lane. */
EDGE_INLINE void mac16(int32x4_t acc[4], int8x16_t x, int8x16_t w)
{
    const int16x8_t lo = vmull_s8(vget_low_s8(x), vget_low_s8(w));
    const int16x8_t hi = MULL_HIGH_S8(x, w);
    acc[0] = vaddw_s16(acc[0], vget_low_s16(lo));
    acc[1] = ADDW_HIGH_S16(acc[1], lo);
    acc[2] = vaddw_s16(acc[2], vget_low_s16(hi));
    acc[3] = ADDW_HIGH_S16(acc[3], hi);
}

/* acc += x0 * w0 + x1 * w1, the two products summed in int16 first (smull, smlal): exact
 * when neither weight is -128 (|sum| <= 2 * 128 * 127), 6 vector instructions for two taps
 * rather than 12. */
EDGE_INLINE void mac16_pair(int32x4_t acc[4], int8x16_t x0, int8x16_t w0, int8x16_t x1,
                            int8x16_t w1)
{
    const int16x8_t lo =
        vmlal_s8(vmull_s8(vget_low_s8(x0), vget_low_s8(w0)), vget_low_s8(x1), vget_low_s8(w1));
    const int16x8_t hi = MLAL_HIGH_S8(MULL_HIGH_S8(x0, w0), x1, w1);
    acc[0] = vaddw_s16(acc[0], vget_low_s16(lo));
    acc[1] = ADDW_HIGH_S16(acc[1], lo);
    acc[2] = vaddw_s16(acc[2], vget_low_s16(hi));
    acc[3] = ADDW_HIGH_S16(acc[3], hi);
}

/* Requantize the 16 lanes and write the block's CN outputs at O. */
EDGE_INLINE void acc_store(int8_t *o, const int32x4_t acc[4], const dw_hdr *k, size_t cn,
                           const edge_neon_out *out)
{
    const int8x16_t y =
        edge_neon_out16(edge_neon_mbqm(acc[0], k->rq[0]), edge_neon_mbqm(acc[1], k->rq[1]),
                        edge_neon_mbqm(acc[2], k->rq[2]), edge_neon_mbqm(acc[3], k->rq[3]), out);
    if (cn == CR)
        vst1q_s8(o, y);
    else
        edge_neon_store_part16(o, y, cn);
}

/* The input row of window row KY for output row OY, or NULL in the padding. */
static inline const int8_t *tap_row(const dw_ctx *g, const int8_t *in_b, int32_t oy, int32_t ky)
{
    const int32_t iy = oy * g->stride_h - g->pad_h + ky * g->dil_h;
    return iy >= 0 && iy < g->in_h ? in_b + (size_t)iy * (size_t)g->in_w * g->ch : NULL;
}

/* ---- 3x3 windows ---- */

/* One output pixel: the 9 taps at X[] (row-major) times the block's weights; PAIR: taps two
 * at a time (a flagged block). */
EDGE_INLINE void dw3x3_pixel(bool pair, const int8_t *const x[9], const int8x16_t w[9],
                             const dw_hdr *k, int8_t *o, size_t cn, const edge_neon_out *out)
{
    int32x4_t acc[4] = {k->bias[0], k->bias[1], k->bias[2], k->bias[3]};
    if (pair) {
#pragma GCC unroll 4
        for (size_t t = 0; t < 8; t += 2)
            mac16_pair(acc, load16(x[t], cn), w[t], load16(x[t + 1], cn), w[t + 1]);
        mac16(acc, load16(x[8], cn), w[8]);
    } else {
#pragma GCC unroll 9
        for (size_t t = 0; t < 9; t++)
            mac16(acc, load16(x[t], cn), w[t]);
    }
    acc_store(o, acc, k, cn, out);
}

/* Column OX next to the left or right edge: each tap checked. */
EDGE_INLINE void dw3x3_edge_pixel(bool pair, const dw_ctx *g, const int8_t *const rows[3],
                                  int32_t ox, size_t c0, const int8x16_t w[9], const dw_hdr *k,
                                  int8_t *o, size_t cn)
{
    const int8_t *x[9];
#pragma GCC unroll 3
    for (size_t kx = 0; kx < 3; kx++) {
        const int32_t ix = ox * g->stride_w - g->pad_w + (int32_t)kx * g->dil_w;
        const bool ok = ix >= 0 && ix < g->in_w;
#pragma GCC unroll 3
        for (size_t ky = 0; ky < 3; ky++)
            x[ky * 3 + kx] = rows[ky] && ok ? rows[ky] + (size_t)ix * g->ch + c0 : g->zero + c0;
    }
    dw3x3_pixel(pair, x, w, k, o, cn, &g->out);
}

/* The inside columns' tap pointers of a 3x3 row (block at channel C0): window row ky of
 * inside column i starts at base[ky] + i * step[ky], its taps cs[ky] apart (a padding row:
 * the zero vector at every tap). */
typedef struct dw_cols {
    const int8_t *base[3];
    size_t step[3], cs[3];
} dw_cols;

EDGE_INLINE dw_cols inside_of(const dw_ctx *g, const int8_t *const rows[3], size_t c0)
{
    dw_cols d;
    const size_t ix = (size_t)(g->col_lo * g->stride_w - g->pad_w);
#pragma GCC unroll 3
    for (size_t ky = 0; ky < 3; ky++) {
        d.base[ky] = rows[ky] ? rows[ky] + ix * g->ch + c0 : g->zero + c0;
        d.step[ky] = rows[ky] ? (size_t)g->stride_w * g->ch : 0;
        d.cs[ky] = rows[ky] ? (size_t)g->dil_w * g->ch : 0;
    }
    return d;
}

/* Inside column I's 9 taps, row-major. */
EDGE_INLINE void inside_taps(const dw_cols *d, size_t i, const int8_t *x[9])
{
#pragma GCC unroll 3
    for (size_t ky = 0; ky < 3; ky++) {
        const int8_t *r = d->base[ky] + i * d->step[ky];
        x[3 * ky] = r;
        x[3 * ky + 1] = r + d->cs[ky];
        x[3 * ky + 2] = r + 2 * d->cs[ky];
    }
}

/* Columns [col_lo, col_hi) of a 3x3 row (non-empty): no checks. A padding row
 * (rows[ky] NULL) reads the zero vector at every tap. The 9 weight vectors are read from the
 * block (WP, in L1) at every pixel: held in registers beside the 12 of the requantization,
 * gcc spilled them and reloaded 16 halves a pixel from the stack (llvm-mca-14 a pixel, with
 * requant_neon.h's ssra: A57 model 57 -> 55 cycles, A55 139 -> 132, A53 187 -> 162;
 * docs/arm-kernels.md). The empty asm hides WP's value so the loads stay in the loop. */
EDGE_INLINE void dw3x3_inside(bool pair, const dw_ctx *g, const int8_t *const rows[3], size_t c0,
                              const int8_t *wp, const dw_hdr *k, int8_t *o, size_t cn)
{
    const dw_cols cols = inside_of(g, rows, c0);
    for (size_t i = 0, n = (size_t)(g->col_hi - g->col_lo); i < n; i++, o += g->ch) {
        const int8_t *x[9];
        inside_taps(&cols, i, x);
        const int8_t *wq = wp;
        __asm__("" : "+r"(wq));
        int8x16_t w[9];
#pragma GCC unroll 9
        for (size_t t = 0; t < 9; t++)
            w[t] = vld1q_s8(wq + t * CR);
        dw3x3_pixel(pair, x, w, k, o, cn, &g->out);
    }
}

/* ---- blocks of exactly 8 channels (MobileNet v1 0.25's first depthwise layer) ---- */

/* acc (8 int32 lanes) += x * w. */
EDGE_INLINE void mac8(int32x4_t acc[2], int8x8_t x, int8x8_t w)
{
    const int16x8_t p = vmull_s8(x, w);
    acc[0] = vaddw_s16(acc[0], vget_low_s16(p));
    acc[1] = ADDW_HIGH_S16(acc[1], p);
}

/* acc += x0 * w0 + x1 * w1, summed in int16 first (a flagged block: mac16_pair). */
EDGE_INLINE void mac8_pair(int32x4_t acc[2], int8x8_t x0, int8x8_t w0, int8x8_t x1, int8x8_t w1)
{
    const int16x8_t p = vmlal_s8(vmull_s8(x0, w0), x1, w1);
    acc[0] = vaddw_s16(acc[0], vget_low_s16(p));
    acc[1] = ADDW_HIGH_S16(acc[1], p);
}

/* dw3x3_inside for a block of 8 channels: 8-byte loads and half the multiplies, where the
 * 16-lane path loaded each tap's 8 bytes through a stack copy (load16, a memcpy call). Counted
 * under an instruction-counting qemu (docs/arm-kernels.md), person_detect's depthwise layers
 * went from 1.56 million instructions an inference (0.32 million of them in memcpy) to 0.72
 * million, against XNNPACK's 0.80 million. */
EDGE_INLINE void dw3x3_inside8(bool pair, const dw_ctx *g, const int8_t *const rows[3], size_t c0,
                               const int8_t *wp, const dw_hdr *k, int8_t *o)
{
    const dw_cols cols = inside_of(g, rows, c0);
    int8x8_t w[9];
#pragma GCC unroll 9
    for (size_t t = 0; t < 9; t++)
        w[t] = vld1_s8(wp + t * CR);
    for (size_t i = 0, n = (size_t)(g->col_hi - g->col_lo); i < n; i++, o += g->ch) {
        const int8_t *x[9];
        inside_taps(&cols, i, x);
        int32x4_t acc[2] = {k->bias[0], k->bias[1]};
        if (pair) {
#pragma GCC unroll 4
            for (size_t t = 0; t < 8; t += 2)
                mac8_pair(acc, vld1_s8(x[t]), w[t], vld1_s8(x[t + 1]), w[t + 1]);
            mac8(acc, vld1_s8(x[8]), w[8]);
        } else {
#pragma GCC unroll 9
            for (size_t t = 0; t < 9; t++)
                mac8(acc, vld1_s8(x[t]), w[t]);
        }
        vst1_s8(o, edge_neon_out8(edge_neon_mbqm(acc[0], k->rq[0]),
                                  edge_neon_mbqm(acc[1], k->rq[1]), &g->out));
    }
}

/* One output row of one channel block (CN channels at C0), 3x3 window: the
 * weights stay in registers; the inside columns step three pointers. PAIR: the block is
 * flagged (no -128 weight: qs8_arm.h), a constant here. */
EDGE_INLINE void dw3x3_block(bool pair, const dw_ctx *gp, const int8_t *const rows[3],
                             int8_t *out_row, const uint8_t *blk, size_t c0, size_t cn)
{
    const dw_ctx g = *gp;
    const dw_hdr k = hdr_load(blk);
    const int8_t *wp = (const int8_t *)(blk + 3 * CR * sizeof(int32_t));
    int8x16_t w[9];
#pragma GCC unroll 9
    for (size_t t = 0; t < 9; t++)
        w[t] = vld1q_s8(wp + t * CR);
    int8_t *o = out_row + c0;
    int32_t ox = 0;
    for (; ox < g.col_lo; ox++, o += g.ch)
        dw3x3_edge_pixel(pair, &g, rows, ox, c0, w, &k, o, cn);
    if (g.col_lo < g.col_hi) {
        if (cn == 8)
            dw3x3_inside8(pair, &g, rows, c0, wp, &k, o);
        else
            dw3x3_inside(pair, &g, rows, c0, wp, &k, o, cn);
        o += (size_t)(g.col_hi - g.col_lo) * g.ch;
        ox = g.col_hi;
    }
    for (; ox < g.out_w; ox++, o += g.ch)
        dw3x3_edge_pixel(pair, &g, rows, ox, c0, w, &k, o, cn);
}

/* ---- any window ---- */

/* acc += one window row of KW taps starting at input column IX0 of ROW (NULL:
 * a padding row); INSIDE: every column is inside the input. */
EDGE_INLINE void dw_any_taps(const dw_ctx *g, int32x4_t acc[4], const int8_t *row, int32_t ix0,
                             bool inside, const int8_t *wp, size_t c0, size_t cn)
{
    const int8_t *pad = g->zero + c0;
    if (!row) {
        const int8x16_t x = load16(pad, cn);
        for (int32_t kx = 0; kx < g->k_w; kx++, wp += CR)
            mac16(acc, x, vld1q_s8(wp));
    } else if (inside) {
        const int8_t *xp = row + (size_t)ix0 * g->ch + c0;
        const size_t cs = (size_t)g->dil_w * g->ch;
        for (int32_t kx = 0; kx < g->k_w; kx++, wp += CR, xp += cs)
            mac16(acc, load16(xp, cn), vld1q_s8(wp));
    } else {
        for (int32_t kx = 0, ix = ix0; kx < g->k_w; kx++, wp += CR, ix += g->dil_w) {
            const int8_t *xp = ix >= 0 && ix < g->in_w ? row + (size_t)ix * g->ch + c0 : pad;
            mac16(acc, load16(xp, cn), vld1q_s8(wp));
        }
    }
}

/* One output row (OY of batch IN_B) of one channel block, any window. */
EDGE_INLINE void dw_any_block(const dw_ctx *gp, const int8_t *in_b, int32_t oy, int8_t *out_row,
                              const uint8_t *blk, size_t c0, size_t cn)
{
    const dw_ctx g = *gp;
    const dw_hdr k = hdr_load(blk);
    const int8_t *w0 = (const int8_t *)(blk + 3 * CR * sizeof(int32_t));
    const size_t wrow = (size_t)g.k_w * CR;
    for (int32_t ox = 0; ox < g.out_w; ox++) {
        const bool inside = ox >= g.col_lo && ox < g.col_hi;
        int32x4_t acc[4] = {k.bias[0], k.bias[1], k.bias[2], k.bias[3]};
        for (int32_t ky = 0; ky < g.k_h; ky++)
            dw_any_taps(&g, acc, tap_row(&g, in_b, oy, ky), ox * g.stride_w - g.pad_w, inside,
                        w0 + (size_t)ky * wrow, c0, cn);
        acc_store(out_row + (size_t)ox * g.ch + c0, acc, &k, cn, &g.out);
    }
}

/* ---- the op ---- */

/* Output columns [lo, hi) whose window columns all lie inside the input. */
static void inside_cols(dw_ctx *g)
{
    int32_t l = g->pad_w > 0 ? (g->pad_w + g->stride_w - 1) / g->stride_w : 0;
    const int32_t last = g->in_w - 1 + g->pad_w - (g->k_w - 1) * g->dil_w;
    int32_t h = last >= 0 ? last / g->stride_w + 1 : 0;
    l = l < g->out_w ? l : g->out_w;
    h = h < g->out_w ? h : g->out_w;
    g->col_lo = l;
    g->col_hi = h > l ? h : l;
}

static void dw_row(const dw_ctx *g, const int8_t *in_b, int32_t oy, int8_t *out_row,
                   const uint8_t *w)
{
    const size_t taps = (size_t)g->k_h * (size_t)g->k_w;
    const size_t block = edge_qs8_dw_block_bytes(CR, taps);
    const bool k3x3 = g->k_h == 3 && g->k_w == 3;
    const int8_t *rows[3] = {NULL, NULL, NULL};
    if (k3x3)
        for (int32_t ky = 0; ky < 3; ky++)
            rows[ky] = tap_row(g, in_b, oy, ky);
    for (size_t c0 = 0; c0 < g->ch; c0 += CR, w += block) {
        const size_t cn = g->ch - c0 < CR ? g->ch - c0 : CR;
        const bool pair = edge_neon_block_flagged(w, CR); /* qs8_arm.h */
        if (k3x3 && cn == CR && pair)
            dw3x3_block(true, g, rows, out_row, w, c0, CR);
        else if (k3x3 && cn == CR)
            dw3x3_block(false, g, rows, out_row, w, c0, CR);
        else if (k3x3 && cn == 8 && pair)
            dw3x3_block(true, g, rows, out_row, w, c0, 8);
        else if (k3x3 && cn == 8)
            dw3x3_block(false, g, rows, out_row, w, c0, 8);
        else if (k3x3)
            dw3x3_block(false, g, rows, out_row, w, c0, cn);
        else if (cn == CR)
            dw_any_block(g, in_b, oy, out_row, w, c0, CR);
        else
            dw_any_block(g, in_b, oy, out_row, w, c0, cn);
    }
}

void edge_qs8_dw_16c__neon(const edge_qs8_dw_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DW_CONTRACT(a, row0, row1);
    const edge_conv_params *p = a->p;
    dw_ctx g = {
        .zero = a->zero,
        .ch = (size_t)p->in_c,
        .in_h = p->in_h,
        .in_w = p->in_w,
        .out_w = p->out_w,
        .k_h = p->k_h,
        .k_w = p->k_w,
        .stride_h = p->stride_h,
        .stride_w = p->stride_w,
        .dil_h = p->dil_h,
        .dil_w = p->dil_w,
        .pad_h = p->pad_h,
        .pad_w = p->pad_w,
        .out = edge_neon_out_make(&a->o),
    };
    inside_cols(&g);
    const size_t in_batch = (size_t)p->in_h * (size_t)p->in_w * g.ch;
    const size_t out_row = (size_t)p->out_w * g.ch;
    for (int32_t row = row0; row < row1; row++) {
        const int32_t b = row / p->out_h, oy = row % p->out_h;
        dw_row(&g, a->in + (size_t)b * in_batch, oy, a->out + (size_t)row * out_row, a->w);
    }
}
