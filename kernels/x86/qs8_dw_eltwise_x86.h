/* kernels/x86/qs8_dw_eltwise_x86.h - the x86 depthwise, ADD and row-sum kernels.
 *
 * Owns: the declarations of the DEPTHWISE_CONV_2D, ADD and row-sum kernels of
 * levels avx2 and avx512vnni (contracts: qs8.h) and the depthwise block sizes
 * the tables publish as dw.cr. Does not own the GEMM kernels (qs8_gemm_x86.h),
 * the tables or the requantization (requant_avx2.h, requant_avx512.h). */
#ifndef EDGE_X86_QS8_DW_ELTWISE_X86_H
#define EDGE_X86_QS8_DW_ELTWISE_X86_H

#include <stddef.h>
#include <stdint.h>

#include "qs8.h"

#define EDGE_DW_AVX512VNNI_CR 64
#define EDGE_DW_AVX2_CR 16

/* level avx512vnni (qs8_dw_avx512.c, qs8_eltwise_avx512.c) */
void edge_qs8_dw_64c__avx512vnni(const edge_qs8_dw_args *a, int32_t row0, int32_t row1);
void edge_qs8_add__avx512(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                          const edge_qs8_add_params *p);
void edge_qs8_sum_rows__avx512(size_t rows, size_t channels, const int8_t *x, size_t stride,
                               int32_t *acc);

/* level avx2 (qs8_dw_avx2.c, qs8_eltwise_avx2.c) */
void edge_qs8_dw_16c__avx2(const edge_qs8_dw_args *a, int32_t row0, int32_t row1);
void edge_qs8_add__avx2(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                        const edge_qs8_add_params *p);
void edge_qs8_sum_rows__avx2(size_t rows, size_t channels, const int8_t *x, size_t stride,
                             int32_t *acc);

#endif
