/* kernels/x86/qs8_dw_u8_avx512vnni.c - the legacy uint8 depthwise kernel of level avx512vnni.
 *
 * Owns: edge_qs8_dw_u8_64c__avx512vnni (qs8.h's edge_qs8_dw_u8_fn; executable spec:
 * edge_qs8_dw_u8__c). Per output pixel and 16 channels: int32 lanes start at the bias and
 * add (x - zx) * v for every tap inside the input (widened bytes times widened int16
 * weights: exact), then requant_avx512.h with the per-tensor multiplier, the zero point and
 * clamp in the uint8 domain, and a masked store of the low bytes. Does not own packing
 * (pack.c) or the table entry. */
#include <assert.h>
#include <stdint.h>

#include <immintrin.h>

#include "qs8.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx512.h"

void edge_qs8_dw_u8_64c__avx512vnni(const edge_qs8_dw_u8_args *a, int32_t row0, int32_t row1)
{
    const size_t c = (size_t)a->p->in_c, cp = edge_qs8_dw_u8_cp(c), in_w = (size_t)a->p->in_w;
    const int16_t *v = (const int16_t *)((const int32_t *)a->w + cp);
    const edge_rq_avx512 rq =
        edge_rq_prep_avx512(_mm512_set1_epi32(a->mult), _mm512_set1_epi32(a->shift));
    const __m512i zx = _mm512_set1_epi32(a->zx), zp = _mm512_set1_epi32(a->o.zp);
    const __m512i lo = _mm512_set1_epi32(a->o.lo), hi = _mm512_set1_epi32(a->o.hi);
    EDGE_QS8_DW_U8_FOR_PIXELS(a, row0, row1)
    {
        for (size_t c0 = 0; c0 < c; c0 += 16) {
            const __mmask16 m =
                c - c0 >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (c - c0)) - 1);
            __m512i acc = _mm512_loadu_si512((const int32_t *)a->w + c0);
            EDGE_CONV_FOR_TAPS (a->p, oy, ox) {
                const uint8_t *xp = img + ((size_t)iy * in_w + (size_t)ix) * c + c0;
                const int16_t *wp = v + (size_t)(fy * a->p->k_w + fx) * cp + c0;
                const __m512i x =
                    _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, xp)), zx);
                const __m512i w = _mm512_cvtepi16_epi32(_mm256_loadu_si256((const void *)wp));
                acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(x, w));
            }
            _mm_mask_storeu_epi8(o + c0, m,
                                 edge_out16_avx512(edge_mbqm_prep_avx512(acc, &rq), zp, lo, hi));
        }
    }
}
