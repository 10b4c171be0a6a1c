/* kernels/x86/qs8_gemm_x86.h - the x86 int8 GEMM micro-kernels (contract: qs8.h, GEMM).
 *
 * Owns: the declarations and tile sizes the x86 kernel tables (table_avx2.c,
 * table_avx512vnni.c) and the tests use for the GEMM kernels. Each kernel is
 * compiled with its level's flags only: call it only when dispatch picked
 * that level. Does not own the kernels' code (qs8_gemm_avx2.c,
 * qs8_gemm_avx512vnni.c) or the other operations' kernels. */
#ifndef EDGE_X86_QS8_GEMM_X86_H
#define EDGE_X86_QS8_GEMM_X86_H

#include "qs8.h"

/* Tile sizes and input bias (the table's mr, nr, kr, a_bias). */
#define EDGE_GEMM_AVX512VNNI_MR 8
#define EDGE_GEMM_AVX512VNNI_NR 48
#define EDGE_GEMM_AVX512VNNI_KR 4
#define EDGE_GEMM_AVX512VNNI_A_BIAS 128

#define EDGE_GEMM_AVX2_MR 6
#define EDGE_GEMM_AVX2_NR 16
#define EDGE_GEMM_AVX2_KR 2
#define EDGE_GEMM_AVX2_A_BIAS 0

/* vpdpbusd on zmm (A fed as x ^ 0x80, a_bias 128). */
void edge_qs8_gemm_8x48c4__avx512vnni(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                      size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                      const edge_qs8_out *o);

/* vpmaddwd on sign-extended int16 (exact), a_bias 0. */
void edge_qs8_gemm_6x16c2__avx2(size_t mr, size_t nc, size_t kc, const int8_t *a, size_t a_stride,
                                const void *w, int8_t *c, size_t c_stride, const edge_qs8_out *o);

#endif
