/* kernels/qs8.h - the contracts of the optimized int8 micro-kernels (ISA independent).
 *
 * Owns: the packed weight layouts, the micro-kernel signatures and the
 * arithmetic every optimized int8 kernel must reproduce bit for bit: the
 * scalar reference kernels of kernels/ref are the oracle, and each kernel
 * here computes exactly what they compute (same int32 accumulator with
 * two's complement wrap, bias, TFLite's double-rounding requantization,
 * output zero point, clamp).
 *
 * Folding the input offset: the reference sums (x + input_offset) * w over the
 * window, skipping padded cells. Modulo 2^32 that equals
 *     sum x' * w  +  (input_offset - a_bias) * sum_all w
 * where x' = x + a_bias is what the kernel multiplies (a_bias is 128 for
 * kernels that feed the input as unsigned bytes: x' = x ^ 0x80, e.g.
 * AVX-512 VNNI vpdpbusd; 0 otherwise), and a padded cell holds the input
 * zero point (x = -input_offset), which then contributes exactly nothing. So
 * the packers fold bias + (input_offset - a_bias) * sum w into one int32 per
 * output channel (wrapping) and the kernels never see the input offset.
 *
 * Requantization of an int32 accumulator acc for channel n (edge_mbqm in
 * ref/requant.h, TFLite's MultiplyByQuantizedMultiplier):
 *     out = clamp(mbqm(acc, mult[n], shift[n]) + zp, lo, hi)
 * mult[n] is in [2^30, 2^31) or 0, shift[n] in [-31, 30]. The packed blocks
 * carry mult and shift next to the bias so a kernel streams one buffer.
 *
 * Each contract's preconditions are checked with assert() at every kernel's
 * entry (EDGE_QS8_*_CONTRACT below): a caller that breaks one is a bug, and a
 * kernel never clamps or guesses. edged builds with b_ndebug=false (meson's
 * default, in every build type, the Debian package's too), so the checks run
 * in release builds; they cost a few compares per call (one call covers a
 * whole tile, a range of rows or a run of elements).
 *
 * Does not own: choosing kernels (dispatch.h), packing code (pack.c), the
 * per-ISA implementations (x86/, arm/), op glue (backends/cpu). */
#ifndef EDGE_KERNELS_QS8_H
#define EDGE_KERNELS_QS8_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ref/conv.h"

/* Output stage shared by every requantizing kernel. */
typedef struct edge_qs8_out {
    int32_t zp;     /* output zero point */
    int32_t lo, hi; /* clamp range (fused activation, within [-128, 127]) */
} edge_qs8_out;

/* ---- GEMM: CONV_2D (1x1 directly, KxK over im2col rows) and FULLY_CONNECTED ----
 *
 * C[m][n] = requant_n( bias'[n] + sum_{k < kc} a'[m][k] * W[n][k] )   m < mr, n < nc
 *
 * Packed weights (edge_qs8_gemm_pack): ceil(N / nr) blocks of nr channels, each
 *     int32 bias'[nr]; int32 mult[nr]; int32 shift[nr];
 *     int8  w[kc / kr][nr][kr]      (w[k/kr][n][k%kr] = W[n][k])
 * with kc = K rounded up to a multiple of kr; entries past K or past N are 0
 * (and mult 0 past N). Block size: edge_qs8_gemm_block_bytes(nr, kc).
 * In ARM builds a block for the neon GEMM (nr 4, kr 8, a_bias 0) may carry the pairing flag
 * on shift[0] (kernels/arm/qs8_arm.h).
 * A: row m starts at a + m * a_stride and the kernel may read kc bytes of it
 * (bytes past K multiply zero weights; the caller makes them readable).
 * C: row m at c + m * c_stride; exactly nc bytes of each row are written.
 * 1 <= mr <= the kernel's MR; 1 <= nc; kc a positive multiple of kr. */
typedef void (*edge_qs8_gemm_fn)(size_t mr, size_t nc, size_t kc, const int8_t *a, size_t a_stride,
                                 const void *w, int8_t *c, size_t c_stride, const edge_qs8_out *o);

/* The GEMM preconditions, for a kernel with tile rows MR and depth group KR. */
#define EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, MR, KR) \
    do {                                           \
        assert((mr) >= 1 && (mr) <= (MR));         \
        assert((nc) >= 1);                         \
        assert((kc) >= (KR) && (kc) % (KR) == 0);  \
    } while (0)

static inline size_t edge_qs8_gemm_block_bytes(size_t nr, size_t kc)
{
    return nr * (3 * sizeof(int32_t) + kc);
}

/* ---- indirect GEMM (a KxK CONV_2D without im2col rows; the table's igemm) ----
 *
 * C[m][n] = requant_n( bias'[n] + sum_{t < taps} sum_{j < tc} A_t[m][j] * W[n][t * tc + j] )
 * for m < mr, n < nc, where A_t[m] = ptrs[m * taps + t] points at tc bytes (tc a positive
 * multiple of the entry's kr): output pixel m's window tap t, the input pixel's channels or a
 * buffer of the padding value. W is packed for the table's gemm entry (same nr, kr and a_bias)
 * over depth K = taps * tc, and where the table's igemm.c8 is set, edge_qs8_gemm_pack_c8
 * (pack.h) has copied its narrow blocks into 8-byte k groups too. The bytes are the kernel's operand form already: x ^ 0x80 when the
 * gemm entry's a_bias is 128 (the op flips the input and the padding buffer once), x when it is
 * 0. C, o and mr as for edge_qs8_gemm_fn; 1 <= taps * tc <= 2^24. */
typedef void (*edge_qs8_igemm_fn)(size_t mr, size_t nc, size_t taps, size_t tc,
                                  const int8_t *const *ptrs, const void *w, int8_t *c,
                                  size_t c_stride, const edge_qs8_out *o);

/* The same with the windows given as a pointer a row and the taps' offsets from it:
 * A_t[m] = rows[m] + off[t] (every tap inside the input: no padding buffer). A tile of pixels
 * whose windows lie inside the input then needs mr pointers instead of mr * taps; the table's
 * igemm.off, NULL where the level has none (the op builds every pointer then). */
typedef void (*edge_qs8_igemm_off_fn)(size_t mr, size_t nc, size_t taps, size_t tc,
                                      const int8_t *const *rows, const ptrdiff_t *off,
                                      const void *w, int8_t *c, size_t c_stride,
                                      const edge_qs8_out *o);

/* ---- GEMM of legacy uint8 activations with a per-row addend (uint8 CONV_2D, FULLY_CONNECTED) ----
 *
 * C[m][n] = requant_n( bias'[n] + row[m] + sum_{k < kc} A[m][k] * W[n][k] )   m < mr, n < nc
 * row[m] = b * (sum_{k < kc} A[m][k] - kzx)                                     (int32, wrapping)
 *
 * A holds uint8 values as they are (0..255); W is packed as for edge_qs8_gemm_fn by
 * edge_qs8_gemm_pack with the entry's nr and kr and a_bias 128 (the kernel multiplies
 * A[m][k] = x'[m][k] + 128). The output stage's zp, lo and hi are uint8 values (lo <= hi
 * within [0, 255]) and C is uint8. The kernel forms row[m] from the caller's B and KZX: a
 * uint8 node's weights w - zw = (w ^ 0x80) + (128 - zw), so the op packs w ^ 0x80 and passes
 * b = 128 - zw and kzx = kdepth * zx, which makes row[m] = (128 - zw) * sum_k (x[m][k] - zx)
 * (the bytes of a row past kdepth are 0).
 * Same A, C and tile rules as edge_qs8_gemm_fn (EDGE_QS8_GEMM_CONTRACT). */
typedef void (*edge_qs8_gemm_u8_fn)(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                    size_t a_stride, const void *w, int32_t b, int32_t kzx,
                                    uint8_t *c, size_t c_stride, const edge_qs8_out *o);

/* ---- DEPTHWISE_CONV_2D of legacy uint8, depth multiplier 1 ----
 *
 * out[b][oy][ox][c] = clamp(mbqm(bias[c] + sum_{taps inside} (x - zx) * v[t][c], mult, shift)
 *                           + zp, lo, hi)
 * exactly edge_ref_dwconv_u8 with per-tensor requantization: v = w - zw (the weights less
 * their zero point, in [-255, 255]) and taps in the padding skipped. uint8 input and output,
 * o in the uint8 domain. Packed (edge_qs8_dw_u8_pack, for the args' zx): int32 bias[cp];
 * int16 v[taps][cp]; int32 biasx[cp] = bias - zx * sum_t v[t] (wrapping), the bias of a sum
 * that reads the padding as zx, sum_{all taps} x' * v with x' = zx outside the input; uint8
 * zxrow[cp], cp bytes of zx to point outside taps at; int8 v1[taps][cp] and v2[taps][cp]
 * with v = v1 + v2, v1 = clamp(v, -128, 127); uint8 split[cp / 64], nonzero where a block
 * of 64 channels has a v2 other than 0; uint8 ok, 0 when some v is 255 (no int8 split);
 * cp = C rounded up to 64, zeros past C.
 * Rows [row0, row1) as edge_qs8_dw_fn's. */
typedef struct edge_qs8_dw_u8_args {
    const edge_conv_params *p; /* geometry (requantization fields unused) */
    const uint8_t *in;
    const void *w;
    uint8_t *out;
    int32_t zx, mult, shift;
    edge_qs8_out o;
} edge_qs8_dw_u8_args;

typedef void (*edge_qs8_dw_u8_fn)(const edge_qs8_dw_u8_args *a, int32_t row0, int32_t row1);

static inline size_t edge_qs8_dw_u8_cp(size_t c)
{
    return (c + 63) / 64 * 64;
}

/* The walk every uint8 depthwise kernel makes: after checking the preconditions (depth
 * multiplier 1, 0 <= row0 <= row1), the statement after it runs for each output pixel of
 * rows [row0, row1) with IMG (its batch's input image), OY, OX and O (its output channels)
 * in scope. */
#define EDGE_QS8_DW_U8_FOR_PIXELS(a, row0, row1)                                                   \
    assert((a)->p->depth_mult == 1 && (a)->p->in_c == (a)->p->out_c);                              \
    assert((row0) >= 0 && (row0) <= (row1));                                                       \
    for (int32_t row_ = (row0); row_ < (row1); row_++)                                             \
        for (int32_t oy = row_ % (a)->p->out_h, ox = 0; ox < (a)->p->out_w; ox++)                  \
            for (const uint8_t *img = (a)->in + (size_t)(row_ / (a)->p->out_h) *                   \
                                                    (size_t)(a)->p->in_h * (size_t)(a)->p->in_w *  \
                                                    (size_t)(a)->p->in_c;                          \
                 img; img = NULL)                                                                  \
                for (uint8_t *o = (a)->out + ((size_t)row_ * (size_t)(a)->p->out_w + (size_t)ox) * \
                                                 (size_t)(a)->p->in_c;                             \
                     o; o = NULL)

/* The parts of a packed uint8 depthwise layer (the layout above) for A's geometry: the
 * weights v, the biasx sums and the row of zero points. */
typedef struct edge_qs8_dw_u8_parts {
    size_t cp, taps;
    const int16_t *v;
    const int32_t *biasx;
    const uint8_t *zxrow;
} edge_qs8_dw_u8_parts;

static inline edge_qs8_dw_u8_parts edge_qs8_dw_u8_parts_of(const edge_qs8_dw_u8_args *a)
{
    edge_qs8_dw_u8_parts d;
    d.cp = edge_qs8_dw_u8_cp((size_t)a->p->in_c);
    d.taps = (size_t)a->p->k_h * (size_t)a->p->k_w;
    d.v = (const int16_t *)((const int32_t *)a->w + d.cp);
    d.biasx = (const int32_t *)(const void *)(d.v + d.taps * d.cp);
    d.zxrow = (const uint8_t *)(d.biasx + d.cp);
    return d;
}

/* ---- DEPTHWISE_CONV_2D, depth multiplier 1 ----
 *
 * out[b][oy][ox][c] = requant_c( bias'[c] + sum_{ky,kx} x'[b][iy][ix][c] * w[ky][kx][c] )
 * iy = oy * stride_h - pad_h + ky * dil_h (likewise ix); a cell outside the
 * input reads zero[c] (the input zero point; see the folding above).
 *
 * Packed weights (edge_qs8_dw_pack): ceil(C / cr) blocks of cr channels, each
 *     int32 bias'[cr]; int32 mult[cr]; int32 shift[cr];
 *     int8  w[kh * kw][cr]          (zeros past C)
 * Block size: edge_qs8_dw_block_bytes(cr, kh * kw). In ARM builds a block of 16 channels
 * may carry the neon pairing flag on shift[0] (kernels/arm/qs8_arm.h).
 * The kernel computes output rows [row0, row1) of the flattened
 * batches * out_h rows, every column and channel; p gives the geometry
 * (p->in_c == p->out_c, p->depth_mult == 1; the requantization fields of p
 * are not used: they are in the packed blocks and o). zero holds at least
 * round_up(C, 64) bytes of the input zero point. */
typedef struct edge_qs8_dw_args {
    const edge_conv_params *p;
    const int8_t *in;
    const void *w;
    const int8_t *zero;
    int8_t *out;
    edge_qs8_out o;
} edge_qs8_dw_args;

typedef void (*edge_qs8_dw_fn)(const edge_qs8_dw_args *a, int32_t row0, int32_t row1);

/* The depthwise preconditions: depth multiplier 1 and 0 <= row0 <= row1 <= batches * out_h. */
#define EDGE_QS8_DW_CONTRACT(a, row0, row1)                                  \
    do {                                                                     \
        assert((a)->p->depth_mult == 1 && (a)->p->in_c == (a)->p->out_c);    \
        assert((row0) >= 0 && (row0) <= (row1));                             \
        assert((int64_t)(row1) <= (int64_t)(a)->p->batches * (a)->p->out_h); \
    } while (0)

static inline size_t edge_qs8_dw_block_bytes(size_t cr, size_t taps)
{
    return cr * (3 * sizeof(int32_t) + taps);
}

/* ---- direct CONV_2D of 1 to 4 input channels (the first layer; no im2col) ----
 *
 * out[b][oy][ox][n] = requant_n( bias'[n] + sum_{ky,kx,ic} x'[b][iy][ix][ic] * W[n][ky][kx][ic] )
 * iy = oy * stride_h - pad_h + ky, ix = ox * stride_w - pad_w + kx (no dilation); a
 * cell outside the input reads the input zero point (see the folding above).
 * Window rows: each window row's k_w * in_c bytes are padded to rowk = round_up(k_w *
 * in_c, 4) ("row words" of 4 bytes), so the kernel loads a row of an interior pixel as
 * rowk straight bytes of the input (the bytes past the window multiply zero weights).
 * Packed weights (edge_qs8_dconv_pack, kernels/dconv.h): the GEMM layout above with
 * nr = the table's dconv.cr and kr = its dconv.kr over depth K = k_h * rowk, where
 * W'[n][ky * rowk + j] = W[n][ky][j / in_c][j % in_c] for j < k_w * in_c and 0 after;
 * a_bias as the table's dconv.a_bias. zero holds 4 bytes of the input zero point.
 * The kernel computes output rows [row0, row1) of the flattened batches * out_h rows
 * (every column and channel); the requantization fields of p are not used. */
typedef struct edge_qs8_dconv_args {
    const edge_conv_params *p;
    const int8_t *in;
    const void *w;
    int8_t *out;
    int8_t zp_in; /* the input zero point (-p->input_offset) */
    edge_qs8_out o;
    int32_t b, kzx; /* the uint8 kernels' window term (below); 0 for int8 */
} edge_qs8_dconv_args;

typedef void (*edge_qs8_dconv_fn)(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1);

/* ---- direct CONV_2D of legacy uint8 (the table's dconv_u8; same layout and entry type) ----
 *
 * out[b][oy][ox][n] = requant_n( bias'[n] + b * (sum_{window cells} x - kzx)
 *                                + sum_{ky, j < rowk} x[..] * W'[n][ky * rowk + j] )
 * with in, out and zp_in holding uint8 bits: x (0..255) as it is, cells outside the input
 * reading zp_in (the input zero point zx), o in the uint8 domain. The window sum runs over
 * the k_h * k_w * in_c cells only (not the bytes past a window row). A uint8 node's weights
 * w - zw = (w ^ 0x80) + (128 - zw), so the op packs w ^ 0x80 with the dconv layout's cr and
 * kr, input offset -zx and the entry's a_bias (0: bias' = bias - zx * sum W', the kernel
 * multiplies x as it is; -128: bias' = bias + (128 - zx) * sum W', the kernel multiplies
 * x ^ 0x80 as int8, which is x - 128), and passes b = 128 - zw and kzx = k_h * k_w * in_c * zx:
 * the result is TFLite's uint8 reference arithmetic exactly. */

/* Depth of one pixel's row words: at most this many bytes (k_h * rowk). */
#define EDGE_QS8_DCONV_MAX_K 512

/* The direct conv preconditions: 1 to 4 input channels, no dilation, a window of at
 * most EDGE_QS8_DCONV_MAX_K row-word bytes, 0 <= row0 <= row1 <= batches * out_h. */
#define EDGE_QS8_DCONV_CONTRACT(a, row0, row1)                                          \
    do {                                                                                \
        assert((a)->p->in_c >= 1 && (a)->p->in_c <= 4);                                 \
        assert((a)->p->dil_h == 1 && (a)->p->dil_w == 1);                               \
        assert((size_t)(a)->p->k_h *(((size_t)(a)->p->k_w * (size_t)(a)->p->in_c + 3) & \
                                     ~(size_t)3) <= EDGE_QS8_DCONV_MAX_K);              \
        assert((row0) >= 0 && (row0) <= (row1));                                        \
        assert((int64_t)(row1) <= (int64_t)(a)->p->batches * (a)->p->out_h);            \
    } while (0)

/* ---- ADD of two int8 tensors of the same shape (TFLite's quantized Add) ----
 * Multipliers are in [2^30, 2^31) or 0 and every shift is <= 0 (op_binary.c
 * derives them so); left_shift is in [0, 31].
 * For each i, exactly edge_ref_add_s8's element arithmetic:
 *   xa = (a[i] + a_offset) << left_shift;  xb likewise
 *   sa = mbqm_lt1(xa, a_mult, a_shift);    sb likewise
 *   out[i] = clamp(mbqm_lt1(sa + sb, out_mult, out_shift) + out_offset, lo, hi) */
typedef struct edge_qs8_add_params {
    int32_t a_offset, b_offset, out_offset;
    int32_t left_shift;
    int32_t a_mult, a_shift, b_mult, b_shift; /* shifts <= 0 */
    int32_t out_mult, out_shift;              /* out_shift <= 0 */
    int32_t lo, hi;
} edge_qs8_add_params;

typedef void (*edge_qs8_add_fn)(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                                const edge_qs8_add_params *p);

/* The ADD preconditions on P (the multipliers' range is the requantization's own). */
#define EDGE_QS8_ADD_CONTRACT(p)                                               \
    do {                                                                       \
        assert((p)->left_shift >= 0 && (p)->left_shift <= 31);                 \
        assert((p)->a_shift <= 0 && (p)->b_shift <= 0 && (p)->out_shift <= 0); \
    } while (0)

/* ---- elementwise binary ops with broadcast runs (ADD, SUB, MUL, MAXIMUM, MINIMUM,
 *      SQUARED_DIFFERENCE) ----
 * int8 and uint8 (TFLite's reference arithmetic, kernels/ref/binary.c). One call covers a
 * run of N elements: element i of A is a[i * as], of B b[i * bs], with as and bs each 0 (a
 * scalar repeated: a broadcast of the innermost dims) or 1. The op driver splits a
 * broadcast shape into such runs (edge_bcast_walk). uint8 runs through the same kernels:
 * every byte is read as x' = x ^ flip (flip 0x80 for uint8, 0 for int8), so the caller
 * passes offsets + 128 for uint8 ((x + off) = (x' + off + 128) exactly); the result is
 * clamped in the output's own domain, then stored as (r - flip) ^ flip.
 *   ADD/SUB: exactly edge_ref_add_s8's element arithmetic with x', a_offset, ...:
 *     xa = (a' + a_offset) << left_shift;  sa = mbqm_lt1(xa, a_mult, a_shift)  (b likewise)
 *     r = clamp(mbqm_lt1(sa +- sb, out_mult, out_shift) + out_offset, lo, hi)
 *   MUL: r = clamp(mbqm((a' + a_offset) * (b' + b_offset), out_mult, out_shift)
 *                  + out_offset, lo, hi)   (out_shift in [-31, 30])
 *   MAXIMUM/MINIMUM: r = max/min(a', b') compared as int8 (only flip is read).
 *   SQUARED_DIFFERENCE (int8, flip 0): sa, sb as ADD/SUB; d = sa - sb (wrapping);
 *     r = clamp(mbqm(d * d, out_mult, out_shift) + out_offset, lo, hi)   (squared_difference.cc;
 *     d * d wraps, out_shift in [-31, 30])
 * Sums and the output offset wrap as the reference's do; lo/hi lie within the data type. */
typedef struct edge_qs8_binary_params {
    int32_t a_offset, b_offset, out_offset;
    int32_t left_shift;                       /* ADD/SUB: [0, 31] */
    int32_t a_mult, a_shift, b_mult, b_shift; /* ADD/SUB, shifts <= 0 */
    int32_t out_mult, out_shift;              /* ADD/SUB: shift <= 0 */
    int32_t lo, hi;
    int32_t flip; /* 0 (int8) or 0x80 (uint8) */
} edge_qs8_binary_params;

typedef void (*edge_qs8_binary_fn)(size_t n, const int8_t *a, size_t as, const int8_t *b, size_t bs,
                                   int8_t *out, const edge_qs8_binary_params *p);

/* The binary preconditions on the strides and P. */
#define EDGE_QS8_BINARY_CONTRACT(as, bs, p)                    \
    do {                                                       \
        assert((as) <= 1 && (bs) <= 1);                        \
        assert((p)->flip == 0 || (p)->flip == 0x80);           \
        assert((p)->left_shift >= 0 && (p)->left_shift <= 31); \
        assert((p)->out_shift >= -31 && (p)->out_shift <= 30); \
        assert((p)->a_shift <= 0 && (p)->b_shift <= 0);        \
    } while (0)

/* ---- 16x8 elementwise (int16 activations): ADD, SUB, and requantizing maps ----
 * ADD/SUB of int16 runs: exactly edge_ref_add_s16 / edge_ref_sub_s16's element arithmetic, the
 * ADD/SUB above on int16 elements with flip 0 (16x8 has zero offsets and left_shift 15; any
 * offsets of P are applied as above); lo/hi lie within int16. Strides and P:
 * EDGE_QS8_BINARY_CONTRACT. */
typedef void (*edge_q16_binary_fn)(size_t n, const int16_t *a, size_t as, const int16_t *b,
                                   size_t bs, int16_t *out, const edge_qs8_binary_params *p);

/* A requantizing map: d = x - in_zp (wrapping), then
 *   r = clamp(mbqm(d, mult, shift) + out_zp (wrapping), lo, hi)
 * with (mult, shift) = (pos_mult, pos_shift) when d >= 0, else (neg_mult, neg_shift): int16
 * LEAKY_RELU (edge_ref_leaky_relu_s16: identity and alpha multipliers) and QUANTIZE's Requantize
 * from int16 or int32 (edge_ref_requantize_s16_s16, _s32_s16, _s16_s8, _s32_s8: both pairs the
 * same). Multipliers in [2^30, 2^31) or 0, shifts in [-31, 30]; lo/hi within the output type. */
typedef struct edge_q16_map_params {
    int32_t in_zp, out_zp;
    int32_t pos_mult, pos_shift;
    int32_t neg_mult, neg_shift;
    int32_t lo, hi;
} edge_q16_map_params;

/* N elements: IN int16 (IN32 false) or int32, OUT int16 (OUT8 false) or int8. */
typedef void (*edge_q16_map_fn)(size_t n, const void *in, bool in32, void *out, bool out8,
                                const edge_q16_map_params *p);

/* Whether P meets the map's preconditions (else the reference runs). */
static inline bool edge_q16_map_ok(const edge_q16_map_params *p)
{
    const int32_t m[2] = {p->pos_mult, p->neg_mult}, s[2] = {p->pos_shift, p->neg_shift};
    for (int i = 0; i < 2; i++)
        if ((m[i] != 0 && m[i] < (1 << 30)) || s[i] < -31 || s[i] > 30)
            return false;
    return true;
}

/* ---- sums over channels-last windows (AVERAGE_POOL_2D, MEAN over H and W) ----
 * acc[c] += sum_{r < rows} x[r * stride + c] for c < channels (int32, wrapping).
 * The op glue turns the sums into outputs (the divisions and multipliers stay
 * scalar per output element, exactly as the reference computes them). */
typedef void (*edge_qs8_sum_rows_fn)(size_t rows, size_t channels, const int8_t *x, size_t stride,
                                     int32_t *acc);
/* The same over uint8 bytes (legacy uint8 AVERAGE_POOL_2D): x[r * stride + c] in 0..255. */
typedef void (*edge_qu8_sum_rows_fn)(size_t rows, size_t channels, const uint8_t *x, size_t stride,
                                     int32_t *acc);

/* ---- maxima over channels-last windows (MAX_POOL_2D) ----
 * acc[c] = max(acc[c], x[r * stride + c]) for r < rows, c < channels, compared as signed
 * bytes (int8: s8) or unsigned bytes (uint8: u8). A maximum is exact, so any order of
 * comparisons gives the reference's result; the op glue starts acc at the type's lowest
 * value (what the reference starts from) and clamps to the activation range afterwards. */
typedef void (*edge_qs8_max_rows_fn)(size_t rows, size_t channels, const int8_t *x, size_t stride,
                                     int8_t *acc);
typedef void (*edge_qu8_max_rows_fn)(size_t rows, size_t channels, const uint8_t *x, size_t stride,
                                     uint8_t *acc);

/* ---- 8-bit table lookup: every int8/uint8 unary operator ----
 * out[i] = lut[in[i]] for i < n, the raw byte as the index (edge_ref_lut8). The
 * ops fill LUT at prepare by running their reference kernel over all 256 input
 * bytes, so a lookup is exact by construction. Any alignment; n may be 0; IN and
 * OUT are the same pointer (in place) or do not overlap. Bytes past n are neither
 * read nor written. */
typedef void (*edge_lut8_fn)(size_t n, const uint8_t *in, uint8_t *out, const uint8_t lut[256]);

/* ---- int8 / uint8 SOFTMAX over rows (TFLite's reference arithmetic on a table) ----
 * ROWS rows of DEPTH bytes (DEPTH >= 1), x + r * depth -> out + r * depth (OUT does not
 * overlap X). A byte b's key is b ^ P->flip (0x80 for int8, so keys order as the values;
 * 0 for uint8). Per row, with m the largest key and e_c = P->exp[m - key_c] (exp in Q0.31,
 * >= 0, 0 for differences below diff_min; the op fills it from the reference's own steps):
 *   S = sum_c edge_softmax_term(e_c)            (ref/softmax.h: (e_c + 2^11) >> 12)
 *   edge_softmax_row_scale(S, &M, &E)           (ref/softmax.h)
 *   v_c = rdbpot(srdhm(M, e_c), E)              (0..256) when that returns true, else 0
 *   out_c = min(v_c, 255) ^ P->flip             (the reference's clamp(v_c + out_min) in
 *                                                 either type: out_min is -128 or 0)
 * A lane's sum of terms must not wrap: kernels that add terms in int32 lanes fold them into
 * the 64-bit row sum at least every 4096 terms per lane. */
typedef struct edge_qs8_softmax_params {
    const int32_t *exp; /* [256] */
    uint8_t flip;       /* 0x80 (int8) or 0 (uint8) */
} edge_qs8_softmax_params;

typedef void (*edge_qs8_softmax_fn)(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                                    const edge_qs8_softmax_params *p);

/* ---- ARG_MAX / ARG_MIN of int8 or uint8 along a last axis of 1..EDGE_ARGMAX8_MAX_AXIS ----
 * Rows [row0, row1) of IN (ROWS rows of AXIS bytes): each row's index of its largest byte
 * after x ^ FLIP read as unsigned (FLIP 0x80 for int8, then ^ 0xFF for ARG_MIN), the first on
 * ties, into OUT[row] as int32 or (OUT64) int64: exactly edge_ref_arg_max_{s8,u8}_*. A kernel
 * may read EDGE_ARGMAX8_MAX_AXIS bytes from a row's start while they stay within IN's ROWS *
 * AXIS bytes (the last rows go byte by byte). */
#define EDGE_ARGMAX8_MAX_AXIS 32
typedef void (*edge_argmax8_fn)(const uint8_t *in, size_t rows, size_t axis, uint8_t flip,
                                void *out, int out64, size_t row0, size_t row1);

/* The scalar steps every kernel ends with (rows whose vector read would pass IN's end). */
static inline size_t edge_argmax8_row(const uint8_t *x, size_t axis, uint8_t flip)
{
    size_t idx = 0;
    uint8_t best = (uint8_t)(x[0] ^ flip);
    for (size_t i = 1; i < axis; i++)
        if ((uint8_t)(x[i] ^ flip) > best) {
            best = (uint8_t)(x[i] ^ flip);
            idx = i;
        }
    return idx;
}

static inline void edge_argmax8_store(void *out, int out64, size_t r, size_t idx)
{
    if (out64)
        ((int64_t *)out)[r] = (int64_t)idx;
    else
        ((int32_t *)out)[r] = (int32_t)idx;
}

/* ---- byte planes <-> interleaved: TRANSPOSE of a P x N matrix of one-byte elements, P 2..4 ----
 * interleave:   out[j * P + p] = in[p * STRIDE + j]
 * deinterleave: out[p * STRIDE + j] = in[j * P + p]      for p < P, j < N (N <= STRIDE)
 * An image's NCHW -> NHWC (and back) of 2 to 4 channels, a P-row matrix the tiled transpose
 * moved byte by byte. Threads take ranges of j (the caller offsets IN and OUT). IN and OUT
 * do not overlap. */
#define EDGE_PLANES8_MAX 4
typedef void (*edge_planes8_fn)(const uint8_t *in, uint8_t *out, size_t planes, size_t stride,
                                size_t n);

#endif
