/* kernels/x86/qs8_dconv_avx2.c - the direct CONV_2D of 1 to 4 input channels, level avx2.
 *
 * Owns: edge_qs8_dconv_8c2__avx2 (contract: qs8.h, "direct CONV_2D"). No im2col buffer:
 * for a run of up to PX output pixels of one output row it gathers each pixel's window
 * as row words (dconv.h), turns each byte pair into two sign-extended int16 in one int32,
 * then for each block of 8 output channels broadcasts each pair into vpmaddwd against
 * the block's weight pairs (kr 2, sign-extended; exact products, a_bias 0), requantizes
 * 8 lanes (requant_avx2.h) and stores the block's channels.
 * Does not own packing (dconv.c), the table or the contract. */
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dconv.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx2.h"

#define CR EDGE_DCONV_AVX2_CR
#define PX 8 /* output pixels gathered per run */

void edge_qs8_dconv_8c2__avx2(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    const edge_conv_params *p = a->p;
    const size_t rowk = edge_qs8_dconv_rowk(p), kc = edge_qs8_dconv_kc(p), pairs = kc / 2;
    const size_t ch = (size_t)p->out_c, blk = edge_qs8_gemm_block_bytes(CR, kc);
    const size_t img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    const __m256i zp = _mm256_set1_epi32(a->o.zp), lo = _mm256_set1_epi32(a->o.lo);
    const __m256i hi = _mm256_set1_epi32(a->o.hi);
    int8_t xb[EDGE_QS8_DCONV_MAX_K];
    int32_t xp[PX * EDGE_QS8_DCONV_MAX_K / 2];
    for (int32_t r = row0; r < row1; r++) {
        const int32_t b = r / p->out_h, oy = r % p->out_h;
        const int8_t *in_b = a->in + (size_t)b * img;
        int8_t *out_r = a->out + (size_t)r * (size_t)p->out_w * ch;
        for (int32_t x0 = 0; x0 < p->out_w; x0 += PX) {
            const int32_t np = p->out_w - x0 < PX ? p->out_w - x0 : PX;
            for (int32_t j = 0; j < np; j++) {
                edge_qs8_dconv_gather(p, in_b, a->zp_in, rowk, oy, x0 + j, xb);
                int32_t *d = xp + (size_t)j * pairs;
                for (size_t k = 0; k < pairs; k++)
                    d[k] = (int32_t)((uint32_t)(uint16_t)(int16_t)xb[2 * k] |
                                     (uint32_t)(uint16_t)(int16_t)xb[2 * k + 1] << 16);
            }
            for (size_t n0 = 0; n0 < ch; n0 += CR) {
                const uint8_t *hb = (const uint8_t *)a->w + n0 / CR * blk;
                const __m256i bias = _mm256_loadu_si256((const __m256i *)hb);
                const edge_rq_avx2 rq =
                    edge_rq_prep_avx2(_mm256_loadu_si256((const __m256i *)(hb + 32)),
                                      _mm256_loadu_si256((const __m256i *)(hb + 64)));
                const uint8_t *w = hb + 3 * CR * sizeof(int32_t);
                const size_t nc = ch - n0 < CR ? ch - n0 : CR;
                int8_t *o = out_r + (size_t)x0 * ch + n0;
                for (int32_t j = 0; j < np; j++, o += ch) {
                    const int32_t *x = xp + (size_t)j * pairs;
                    __m256i acc0 = bias, acc1 = _mm256_setzero_si256();
                    size_t k = 0;
                    for (; k + 2 <= pairs; k += 2) {
                        const __m256i w0 =
                            _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + k * 16)));
                        const __m256i w1 = _mm256_cvtepi8_epi16(
                            _mm_loadu_si128((const __m128i *)(w + k * 16 + 16)));
                        acc0 =
                            _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_set1_epi32(x[k]), w0));
                        acc1 = _mm256_add_epi32(acc1,
                                                _mm256_madd_epi16(_mm256_set1_epi32(x[k + 1]), w1));
                    }
                    if (k < pairs) {
                        const __m256i w0 =
                            _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + k * 16)));
                        acc0 =
                            _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_set1_epi32(x[k]), w0));
                    }
                    const __m256i v = edge_mbqm_prep_avx2(_mm256_add_epi32(acc0, acc1), &rq);
                    const __m128i q = edge_out8_avx2(v, zp, lo, hi);
                    if (nc == CR) {
                        _mm_storel_epi64((__m128i *)o, q);
                    } else {
                        int8_t t[16];
                        _mm_storeu_si128((__m128i *)t, q);
                        memcpy(o, t, nc);
                    }
                }
            }
        }
    }
}
