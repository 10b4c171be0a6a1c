/* kernels/dot16.h - the dot product of 16x8 quantization (int16 activations, int8 weights).
 *
 * Owns: the contract of edge_dot16x8_fn and the declarations of its level builds
 * (kernels/generic/dot16_impl.h, instantiated by kernels/x86/dot16_*.c and
 * kernels/arm/dot16_neon.c) for the kernel tables and the tests. The 16x8 CONV_2D and
 * TRANSPOSE_CONV of TensorFlow Lite sum products of an int16 input and an int8 weight into an
 * int64, wrapping; every product fits in 23 bits, so any order of summing gives the same int64, and
 * sums of up to 511 products fit an int32 lane exactly. Does not own the operators
 * (backends/cpu/fast_int16.c). */
#ifndef EDGE_KERNELS_DOT16_H
#define EDGE_KERNELS_DOT16_H

#include <stddef.h>
#include <stdint.h>

/* The sum of X[i] * W[i] for i < N, as an int64 (exactly, for any N). */
typedef int64_t (*edge_dot16x8_fn)(const int16_t *x, const int8_t *w, size_t n);
/* The same for four weight rows at once: OUT[r] = sum of X[i] * W[r * W_STRIDE + i] for i < N,
 * r < 4 (X read once for the four: a convolution's patch against four output channels). */
typedef void (*edge_dot16x8x4_fn)(const int16_t *x, const int8_t *w, size_t w_stride, size_t n,
                                  int64_t out[4]);

/* The 16x8 GEMM tile: four output pixels (rows) by one block of 16 output channels. Row r's sum
 * for channel c, S = the sum of X[r][i] * W(i, c) for i < 2 * K2, is an int64 (exact for any K2);
 * Y[r][c] = clamp((int32)((S * O->mult[c] + O->add[c % 2][c / 2]) >> O->shift[c % 2][c / 2]),
 * LO, HI), in wrapping int64 arithmetic: TFLite's 16x8 output stage (EDGE_OUTPUT_STAGE64:
 * ((S + bias) * m + round) >> shift with its reduced multiplier m, the bias and rounding folded
 * into add = bias * m + round, the same int64 in wrapping arithmetic), for r < ROWS and c < NC. X
 * holds four row pointers (each 2 * K2 int16: a convolution's patches, zero past its taps; rows
 * from ROWS on may repeat another). W is the block as edge_gemm16x8_pack writes it: for each pair
 * of taps kk < K2, 32 bytes, channel c's weights for taps 2kk and 2kk + 1 at bytes 2c and 2c + 1.
 * Each 255 pairs are summed in int32 lanes (510 products of at most 2^22 fit exactly) before they
 * add into the int64s. */
enum { EDGE_GEMM16_MR = 4, EDGE_GEMM16_NR = 16 };
/* The output stage of a block of 16 channels (edge_out16_pack). The int64 terms go even channels
 * first, then odd ones: what a 32x32 -> 64-bit multiply of the even (and shifted odd) int32 lanes
 * of 16 sums lines up with (vpmuldq: kernels/x86/gemm16_out_x86.h). */
typedef struct edge_out16 {
    int32_t mult[EDGE_GEMM16_NR];         /* channel c's reduced multiplier, 0..0x7FFF */
    int64_t add[2][EDGE_GEMM16_NR / 2];   /* channel c's bias x mult + round: [c % 2][c / 2] */
    int64_t shift[2][EDGE_GEMM16_NR / 2]; /* its total right shift (8..15), the same places */
} edge_out16;
#define EDGE_GEMM16_ARGS                                                                     \
    const int16_t *const x[EDGE_GEMM16_MR], const int8_t *w, size_t k2, const edge_out16 *o, \
        int32_t lo, int32_t hi, int16_t *const y[EDGE_GEMM16_MR], size_t rows, size_t nc
typedef void (*edge_gemm16x8_fn)(EDGE_GEMM16_ARGS);

/* Bytes of N output channels of K taps packed for edge_gemm16x8_fn: blocks of 16 channels (the
 * last one zero-filled), each K2 = ceil(K / 2) pairs of 32 bytes, then one edge_out16 a block. */
size_t edge_gemm16x8_packed_bytes(size_t n, size_t k);
/* W (N rows of K int8, row-major: a CONV_2D's OHWI weights) into OUT in that form, and channel
 * c's output stage (BIAS (NULL: none), TFLite's MULT and SHIFT, as edge_mbqm64 takes them) into
 * its block's edge_out16. */
void edge_gemm16x8_pack(const int8_t *w, size_t n, size_t k, const int64_t *bias,
                        const int32_t *mult, const int32_t *shift, int8_t *out);

/* Channel c's output stage (BIAS (NULL: none), TFLite's MULT and SHIFT < 8) into O[c / 16]'s
 * lane c % 16, for c < N (the last block's other lanes zero). */
void edge_out16_pack(const int64_t *bias, const int32_t *mult, const int32_t *shift, size_t n,
                     edge_out16 *o);

/* One output pixel of a 16x8 DEPTHWISE_CONV_2D of depth multiplier 1: Y[c] for c < C, the sum of
 * X[t][c] * W[t][c] over the taps t < TAPS (at most 511: the sum is exact in int32) whose X[t]
 * is not NULL (NULL: a tap in the padding), through O's output stage (as the GEMM tile's, O[c / 16]
 * lane c % 16) and clamped to LO..HI. The weights WP are as edge_dw16x8_pack writes them: in
 * pairs of taps, int16, for a 32-bit multiply-add of two taps a lane (vpmaddwd, vpdpwssd). */
#define EDGE_DW16_ARGS                                                                      \
    const int16_t *const *x, const int16_t *wp, size_t taps, size_t c, const edge_out16 *o, \
        int32_t lo, int32_t hi, int16_t *y
typedef void (*edge_dw16x8_fn)(EDGE_DW16_ARGS);
enum { EDGE_DW16_MAX_TAPS = 511 };
/* The depthwise weights W ([TAPS][C] int8, the model's [1, k_h, k_w, C]) for edge_dw16x8_fn into
 * OUT (edge_dw16x8_packed_bytes): blocks of 16 channels (the last zero-filled), each
 * ceil(TAPS / 2) pairs of taps (a last odd tap paired with zero), each pair 32 int16: channel c's
 * weights for taps 2p and 2p + 1 at edge_dw16_slot(c % 16) and the next. The slots are those of
 * the 16-bit interleave of two taps' 16 inputs per 128-bit half (channels 0-3 and 8-11 in the low
 * 16 values, 4-7 and 12-15 in the high 16): the kernels interleave the inputs so and
 * multiply-add them against one load of the pair. */
size_t edge_dw16x8_packed_bytes(size_t taps, size_t c);
void edge_dw16x8_pack(const int8_t *w, size_t taps, size_t c, int16_t *out);
static inline size_t edge_dw16_slot(size_t c)
{
    return (c & 4 ? 16 : 0) + (c & 8 ? 8 : 0) + 2 * (c & 3);
}
void edge_dw16x8__avx2(EDGE_DW16_ARGS);
void edge_dw16x8__avx512vnni(EDGE_DW16_ARGS);
void edge_dw16x8__neon(EDGE_DW16_ARGS);

void edge_gemm16x8__avx2(EDGE_GEMM16_ARGS);
void edge_gemm16x8__avxvnni(EDGE_GEMM16_ARGS);
void edge_gemm16x8__avxvnni_evex(EDGE_GEMM16_ARGS);
void edge_gemm16x8__avx512vnni(EDGE_GEMM16_ARGS);
void edge_gemm16x8__neon(EDGE_GEMM16_ARGS);
/* The neon tables' gemm entry: the tile needs aarch64's 32 vector registers (armv7 keeps the dot
 * product). */
#if defined(__aarch64__)
#define EDGE_GEMM16_NEON edge_gemm16x8__neon, "conv16x8_gemm__neon"
#else
#define EDGE_GEMM16_NEON NULL, NULL
#endif

int64_t edge_dot16x8__avx2(const int16_t *x, const int8_t *w, size_t n);
int64_t edge_dot16x8__avx512vnni(const int16_t *x, const int8_t *w, size_t n);
int64_t edge_dot16x8__neon(const int16_t *x, const int8_t *w, size_t n);
void edge_dot16x8x4__avx2(const int16_t *x, const int8_t *w, size_t w_stride, size_t n,
                          int64_t out[4]);
void edge_dot16x8x4__avx512vnni(const int16_t *x, const int8_t *w, size_t w_stride, size_t n,
                                int64_t out[4]);
void edge_dot16x8x4__neon(const int16_t *x, const int8_t *w, size_t w_stride, size_t n,
                          int64_t out[4]);

#endif
