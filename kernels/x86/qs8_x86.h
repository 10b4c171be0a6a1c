/* kernels/x86/qs8_x86.h - the x86 int8 micro-kernels (contracts in qs8.h).
 *
 * Owns: the declarations the x86 kernel tables (table_avx2.c,
 * table_avx512vnni.c) and the tests use, with each kernel's tile sizes, for
 * both levels (as arm/qs8_arm.h does for ARM). A symbol's suffix names the
 * instructions it needs and the file it lives in (qs8_<op>_<suffix>.c); each
 * file is compiled with its level's flags only: call a kernel only when
 * dispatch picked its level. Does not own the kernels' code (the .c files
 * here), the tables or the requantization (requant_avx2.h, requant_avx512.h). */
#ifndef EDGE_X86_QS8_X86_H
#define EDGE_X86_QS8_X86_H

#include <stddef.h>
#include <stdint.h>

#include "qs8.h"
#include "wino.h"

/* Tile sizes and input bias (the table's mr, nr, kr, a_bias; cr of the depthwise kernels). */
#define EDGE_GEMM_AVX512VNNI_MR 8
#define EDGE_GEMM_AVX512VNNI_NR 48
#define EDGE_GEMM_AVX512VNNI_KR 4
#define EDGE_GEMM_AVX512VNNI_A_BIAS 128
#define EDGE_DW_AVX512VNNI_CR 64

#define EDGE_GEMM_U8_AVX512VNNI_MR EDGE_GEMM_AVX512VNNI_MR
#define EDGE_GEMM_U8_AVX512VNNI_NR EDGE_GEMM_AVX512VNNI_NR
#define EDGE_GEMM_U8_AVX512VNNI_KR EDGE_GEMM_AVX512VNNI_KR

#define EDGE_GEMM_AVX2_MR 6
#define EDGE_GEMM_AVX2_NR 16
#define EDGE_GEMM_AVX2_KR 2
#define EDGE_GEMM_AVX2_A_BIAS 0
#define EDGE_DW_AVX2_CR 16
/* The one-row GEMM of level avx2 (the table's gemv: nr, kr, a_bias). */
#define EDGE_GEMV_AVX2_NR 8
#define EDGE_GEMV_AVX2_KR 4
#define EDGE_GEMV_AVX2_A_BIAS 128

/* The direct CONV_2D of 1 to 4 input channels (the table's dconv.cr, kr, a_bias). */
#define EDGE_DCONV_AVX512VNNI_CR 16
#define EDGE_DCONV_AVX512VNNI_KR 4
#define EDGE_DCONV_AVX512VNNI_A_BIAS 128
#define EDGE_DCONV_AVX2_CR 8
#define EDGE_DCONV_AVX2_KR 2
#define EDGE_DCONV_AVX2_A_BIAS 0

/* ---- level avx512vnni ---- */
/* vpdpbusd on zmm (A fed as x ^ 0x80, a_bias 128): qs8_gemm_avx512vnni.c. */
void edge_qs8_gemm_8x48c4__avx512vnni(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                      size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                      const edge_qs8_out *o);
/* The same over any mr >= 1 (dispatch.h's gemm.rows). */
void edge_qs8_gemm_rows_8x48c4__avx512vnni(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                           size_t a_stride, const void *w, int8_t *c,
                                           size_t c_stride, const edge_qs8_out *o);
/* indirect (qs8.h's edge_qs8_igemm_fn): qs8_gemm_avx512vnni.c, the same body. */
void edge_qs8_igemm_8x48c4__avx512vnni(size_t mr, size_t nc, size_t taps, size_t tc,
                                       const int8_t *const *ptrs, const void *w, int8_t *c,
                                       size_t c_stride, const edge_qs8_out *o);
/* qs8.h's edge_qs8_igemm_off_fn: the same kernel, row m's tap t at rows[m] + off[t]. */
void edge_qs8_igemm_off_8x48c4__avx512vnni(size_t mr, size_t nc, size_t taps, size_t tc,
                                           const int8_t *const *rows, const ptrdiff_t *off,
                                           const void *w, int8_t *c, size_t c_stride,
                                           const edge_qs8_out *o);
/* The GEMM contract at mr 1 (FULLY_CONNECTED at batch 1; dispatch.h's gemv): weights kept
 * int8 against nibbles of x ^ 0x80 (qs8_gemv_avx2.c). */
void edge_qs8_gemv_1x8c4__avx2(size_t mr, size_t nc, size_t kc, const int8_t *a, size_t a_stride,
                               const void *w, int8_t *c, size_t c_stride, const edge_qs8_out *o);
/* legacy uint8 (qs8.h's edge_qs8_gemm_u8_fn): qs8_gemm_avx2.c, the same body as the int8 one
 * (tile EDGE_GEMM_AVX2_*), and qs8_gemm_avx512vnni.c, likewise. */
void edge_qs8_gemm_u8_6x16c2__avx2(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                   size_t a_stride, const void *w, int32_t b, int32_t kzx,
                                   uint8_t *c, size_t c_stride, const edge_qs8_out *o);
void edge_qs8_gemm_u8_8x48c4__avx512vnni(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                         size_t a_stride, const void *w, int32_t b, int32_t kzx,
                                         uint8_t *c, size_t c_stride, const edge_qs8_out *o);
/* Their forms over any number of rows (dispatch.h's gemm_u8.rows). */
void edge_qs8_gemm_u8_rows_6x16c2__avx2(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                        size_t a_stride, const void *w, int32_t b, int32_t kzx,
                                        uint8_t *c, size_t c_stride, const edge_qs8_out *o);
void edge_qs8_gemm_u8_rows_8x48c4__avx512vnni(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                              size_t a_stride, const void *w, int32_t b,
                                              int32_t kzx, uint8_t *c, size_t c_stride,
                                              const edge_qs8_out *o);
/* legacy uint8 depthwise (qs8.h's edge_qs8_dw_u8_fn): qs8_dw_u8_avx2.c and
 * qs8_dw_u8_avx512vnni.c. */
void edge_qs8_dw_u8_16c__avx2(const edge_qs8_dw_u8_args *a, int32_t row0, int32_t row1);
void edge_qs8_dw_u8_64c__avx512vnni(const edge_qs8_dw_u8_args *a, int32_t row0, int32_t row1);
/* vpdpbusd along the window's rows: qs8_dw_avx512vnni.c. */
void edge_qs8_dw_64c__avx512vnni(const edge_qs8_dw_args *a, int32_t row0, int32_t row1);
/* row words broadcast into vpdpbusd (x ^ 0x80): qs8_dconv_avx512vnni.c. */
void edge_qs8_dconv_16c4__avx512vnni(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1);
/* legacy uint8 (qs8.h's dconv_u8): the same code, input bytes as they are plus the window term. */
void edge_qs8_dconv_u8_16c4__avx512vnni(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1);
/* AVX-512 F/BW only (no VNNI), in the avx512vnni table: qs8_eltwise_avx512.c. */
void edge_qs8_add__avx512(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                          const edge_qs8_add_params *p);
void edge_qs8_sum_rows__avx512(size_t rows, size_t channels, const int8_t *x, size_t stride,
                               int32_t *acc);
void edge_qu8_sum_rows__avx512(size_t rows, size_t channels, const uint8_t *x, size_t stride,
                               int32_t *acc);
void edge_qs8_softmax__avx512(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                              const edge_qs8_softmax_params *p);
/* edge_softmax_row_scale's multiplier and exponent of 16 row sums in [2^19, INT32_MAX] at
 * once (the kernel's reciprocal step; exported for its exhaustive test). */
void edge_softmax_scales__avx512(const int32_t sums[16], int32_t scale[16], int32_t exponent[16]);
/* vpmaxsb / vpmaxub, masked tails (AVX-512 BW): max_avx512.c. */
void edge_qs8_max_rows__avx512(size_t rows, size_t channels, const int8_t *x, size_t stride,
                               int8_t *acc);
void edge_qu8_max_rows__avx512(size_t rows, size_t channels, const uint8_t *x, size_t stride,
                               uint8_t *acc);

/* ---- level avx2 ---- */
/* vpmaddwd on sign-extended int16 (exact), a_bias 0: qs8_gemm_avx2.c. */
void edge_qs8_gemm_6x16c2__avx2(size_t mr, size_t nc, size_t kc, const int8_t *a, size_t a_stride,
                                const void *w, int8_t *c, size_t c_stride, const edge_qs8_out *o);
/* The same over any mr >= 1 (dispatch.h's gemm.rows). */
void edge_qs8_gemm_rows_6x16c2__avx2(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                     size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                     const edge_qs8_out *o);
/* indirect (qs8.h's edge_qs8_igemm_fn): qs8_gemm_avx2.c, the same body. */
void edge_qs8_igemm_6x16c2__avx2(size_t mr, size_t nc, size_t taps, size_t tc,
                                 const int8_t *const *ptrs, const void *w, int8_t *c,
                                 size_t c_stride, const edge_qs8_out *o);
/* window rows widened to int16 once, word broadcasts into vpmaddwd: qs8_dconv_avx2.c. */
void edge_qs8_dconv_8c2__avx2(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1);
/* legacy uint8 (qs8.h's dconv_u8, a_bias 0): the same code, the window term in the weights. */
void edge_qs8_dconv_u8_8c2__avx2(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1);
/* exact integer Winograd F(2x2, 3x3), 6 tiles x 16 channels (wino.h): qs8_wino_avx2.c. */
void edge_qs8_wino_6x16__avx2(const edge_qs8_wino_args *a, size_t trow0, size_t trow1,
                              void *scratch);
/* qs8_dw_avx2.c */
void edge_qs8_dw_16c__avx2(const edge_qs8_dw_args *a, int32_t row0, int32_t row1);
/* 3x3, width stride 1 or 2, int8 of exactly 8 channels, uint8 of 8 or of a multiple of 8 with
 * rows of 8+ pixels: two pixels of 8 channels per vector, qs8_dw_8c_avx2.c (the 16-channel
 * kernels hand these layers over when edge_dw_8c_fits_avx2). */
bool edge_dw_8c_fits_avx2(const edge_conv_params *p, bool u8);
void edge_qs8_dw_8c__avx2(const edge_qs8_dw_args *a, int32_t row0, int32_t row1);
void edge_qs8_dw_u8_8c__avx2(const edge_qs8_dw_u8_args *a, int32_t row0, int32_t row1);
/* qs8_eltwise_avx2.c */
void edge_qs8_add__avx2(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                        const edge_qs8_add_params *p);
void edge_qs8_sum_rows__avx2(size_t rows, size_t channels, const int8_t *x, size_t stride,
                             int32_t *acc);
void edge_qu8_sum_rows__avx2(size_t rows, size_t channels, const uint8_t *x, size_t stride,
                             int32_t *acc);
void edge_argmax8__avx2(const uint8_t *in, size_t rows, size_t axis, uint8_t flip, void *out,
                        int out64, size_t row0, size_t row1);
void edge_interleave8__avx2(const uint8_t *in, uint8_t *out, size_t planes, size_t stride,
                            size_t n);
void edge_deinterleave8__avx2(const uint8_t *in, uint8_t *out, size_t planes, size_t stride,
                              size_t n);
void edge_qs8_softmax__avx2(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                            const edge_qs8_softmax_params *p);
void edge_softmax_scales__avx2(const int32_t sums[16], int32_t scale[16], int32_t exponent[16]);
/* vpmaxsb / vpmaxub: max_avx2.c. */
void edge_qs8_max_rows__avx2(size_t rows, size_t channels, const int8_t *x, size_t stride,
                             int8_t *acc);
void edge_qu8_max_rows__avx2(size_t rows, size_t channels, const uint8_t *x, size_t stride,
                             uint8_t *acc);

#endif
