/* kernels/generic/qs8_c.h - the portable C micro-kernels (qs8_c.c): test oracle
 * for packing and op drivers, and the specification the SIMD kernels follow. */
#ifndef EDGE_KERNELS_QS8_C_H
#define EDGE_KERNELS_QS8_C_H

#include "dispatch.h"

void edge_qs8_gemm_4x8c4__c(size_t mr, size_t nc, size_t kc, const int8_t *a, size_t a_stride,
                            const void *w, int8_t *c, size_t c_stride, const edge_qs8_out *o);
void edge_qs8_igemm_4x8c4__c(size_t mr, size_t nc, size_t taps, size_t tc,
                             const int8_t *const *ptrs, const void *w, int8_t *c, size_t c_stride,
                             const edge_qs8_out *o);
/* qs8_u8_c.c */
void edge_qs8_gemm_u8_4x8c4__c(size_t mr, size_t nc, size_t kc, const uint8_t *a, size_t a_stride,
                               const void *w, int32_t b, int32_t kzx, uint8_t *c, size_t c_stride,
                               const edge_qs8_out *o);
void edge_qs8_dw_u8__c(const edge_qs8_dw_u8_args *a, int32_t row0, int32_t row1);
void edge_qs8_dw__c(const edge_qs8_dw_args *a, int32_t row0, int32_t row1);
/* dconv_c.c: the direct CONV_2D of 1 to 4 input channels (blocks of 8, kr 4). */
void edge_qs8_dconv_8c4__c(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1);
void edge_qs8_dconv_u8_8c4__c(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1);
void edge_qs8_add__c(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                     const edge_qs8_add_params *p);
void edge_qs8_sum_rows__c(size_t rows, size_t channels, const int8_t *x, size_t stride,
                          int32_t *acc);
void edge_qu8_sum_rows__c(size_t rows, size_t channels, const uint8_t *x, size_t stride,
                          int32_t *acc);
void edge_qs8_softmax__c(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                         const edge_qs8_softmax_params *p);

/* All four in one table (isa EDGE_ISA_SCALAR, name "c"); never chosen by dispatch. */
extern const edge_kernels edge_kernels_c;

#endif
