/* kernels/x86/fc_int4_x86.h - the x86 kernels of fc_int4.h, and the row sum they share.
 *
 * Owns: the declarations of the per-level kernels (qs8_fc_int4_*.c) and edge_fc_int4_xsum_avx2,
 * sum_k x[k] of the row (int32, wrapping), which a kernel multiplies by 8 for the weights' +8
 * (fc_int4.h). Include only from files compiled with AVX2 or above. */
#ifndef EDGE_X86_FC_INT4_X86_H
#define EDGE_X86_FC_INT4_X86_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "fc_int4.h"

/* sum of X[0 .. KC) as int8 (KC a multiple of 8): vpsadbw of x ^ 0x80 sums x + 128. */
static inline int32_t edge_fc_int4_xsum_avx2(const int8_t *x, size_t kc)
{
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    __m256i s = _mm256_setzero_si256();
    size_t k = 0;
    for (; k + 32 <= kc; k += 32)
        s = _mm256_add_epi64(
            s, _mm256_sad_epu8(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(x + k)), flip),
                               _mm256_setzero_si256()));
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, s);
    uint32_t sum = (uint32_t)(lanes[0] + lanes[1] + lanes[2] + lanes[3]) - 128u * (uint32_t)k;
    for (; k < kc; k++)
        sum += (uint32_t)x[k];
    return (int32_t)sum;
}

void edge_qs8_fc_int4__avx2(size_t nc, size_t kc, const int8_t *x, const void *w, int8_t *c,
                            int32_t *acc, const edge_qs8_out *o);
void edge_qs8_fc_int4__avxvnni(size_t nc, size_t kc, const int8_t *x, const void *w, int8_t *c,
                               int32_t *acc, const edge_qs8_out *o);
void edge_qs8_fc_int4__avxvnni_evex(size_t nc, size_t kc, const int8_t *x, const void *w, int8_t *c,
                                    int32_t *acc, const edge_qs8_out *o);
void edge_qs8_fc_int4__avx512vnni(size_t nc, size_t kc, const int8_t *x, const void *w, int8_t *c,
                                  int32_t *acc, const edge_qs8_out *o);

#endif
