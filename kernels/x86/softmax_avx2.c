/* kernels/x86/softmax_avx2.c - int8 / uint8 SOFTMAX rows on AVX2.
 *
 * Owns: edge_qs8_softmax__avx2 (qs8.h, softmax). A row goes 8 bytes a step (a short last
 * step through a buffer whose other keys are 0): the largest key by pmaxub and a reduction;
 * each step's exponentials by one vpgatherdd from the 256-entry table (indices max - key);
 * their Q12.19 terms as (e + 2^11) >> 12, masked to the row's lanes, summed in int32 lanes
 * and folded into the 64-bit row sum every 128 steps. Rows go in blocks of 16
 * (generic/softmax_rows.h) whose reciprocals are computed eight rows to a vector
 * (edge_softmax_scales__avx2); the outputs are requant_avx2.h's multiply and
 * rounding shift of the exponentials by that scale, capped at 255 and flipped back. A row
 * of at most 8 keeps its exponentials in a register; longer rows gather again.
 * Does not own the table (backends/cpu/op_softmax.c fills it). */
#include <immintrin.h>
#include <string.h>

#include "generic/softmax_rows.h"
#include "qs8.h"
#include "ref/softmax.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx2.h"

/* Keys of the step at C (8 lanes in the low half; 0 past the row); *N the lanes in the row. */
static inline __m128i keys8(const uint8_t *x, size_t depth, size_t c, __m128i flip, size_t *n)
{
    uint64_t b;
    *n = depth - c < 8 ? depth - c : 8;
    if (*n == 8) {
        memcpy(&b, x + c, 8);
    } else {
        memset(&b, (unsigned char)_mm_cvtsi128_si32(flip), 8);
        memcpy(&b, x + c, *n);
    }
    return _mm_xor_si128(_mm_cvtsi64_si128((long long)b), flip);
}

static inline __m256i exps8(__m128i k, __m128i m, const int32_t *exp)
{
    const __m256i idx = _mm256_cvtepu8_epi32(_mm_sub_epi8(m, k));
    return _mm256_i32gather_epi32((const int *)exp, idx, 4);
}

/* Lanes below N set. */
static inline __m256i lanes8(size_t n)
{
    const __m256i i = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), i);
}

/* The N outputs of exponentials E at O: rdbpot(srdhm(M, e), E) capped at 255, flipped. */
static inline void outs8(uint8_t *o, size_t n, __m256i e, const edge_rq_avx2 *rq, __m128i flip)
{
    const __m256i v = _mm256_min_epi32(edge_mbqm_prep_avx2(e, rq), _mm256_set1_epi32(255));
    const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const uint64_t b = (uint64_t)_mm_cvtsi128_si64(_mm_xor_si128(_mm_packus_epi16(w, w), flip));
    memcpy(o, &b, n);
}

/* SaturatingRoundingMultiplyByPOT<E> for E = 1 or 2: x << E, or INT32_MAX / INT32_MIN past
 * gemmlowp's threshold 2^(31 - E) - 1. */
static inline __m256i sat_shl(__m256i x, int e)
{
    const __m256i thr = _mm256_set1_epi32((int32_t)((UINT32_C(1) << (31 - e)) - 1));
    __m256i v = _mm256_sll_epi32(x, _mm_cvtsi32_si128(e));
    v = _mm256_blendv_epi8(v, _mm256_set1_epi32(INT32_MAX), _mm256_cmpgt_epi32(x, thr));
    return _mm256_blendv_epi8(v, _mm256_set1_epi32(INT32_MIN),
                              _mm256_cmpgt_epi32(_mm256_sub_epi32(_mm256_setzero_si256(), thr), x));
}

/* SaturatingRoundingDoublingHighMul of signed lanes (requant_avx2.h's form takes any sign). */
static inline __m256i srdhm_s(__m256i a, __m256i b)
{
    return edge_srdhm_avx2(a, b, _mm256_srli_epi64(b, 32));
}

/* edge_softmax_row_scale of 8 sums in [2^19, INT32_MAX] (0 for a sum past int32, whose results
 * are not used). AVX2 has no vector leading-zero count: the sum with its low 8 bits cleared
 * converts to float exactly (23 significant bits at most) and its exponent field is
 * floor(log2 sum), so clz = 158 - that field. The rest is the AVX-512 kernel's arithmetic. */
static inline void scales8(__m256i s, int32_t *scale, int32_t *exponent)
{
    const __m256 f = _mm256_cvtepi32_ps(_mm256_and_si256(s, _mm256_set1_epi32(~0xFF)));
    const __m256i h =
        _mm256_sub_epi32(_mm256_set1_epi32(158), _mm256_srli_epi32(_mm256_castps_si256(f), 23));
    const __m256i hd = _mm256_srli_epi32(_mm256_sllv_epi32(s, h), 1);
    __m256i x = _mm256_add_epi32(_mm256_set1_epi32(1515870810),
                                 srdhm_s(hd, _mm256_set1_epi32(-1010580540)));
    for (int i = 0; i < 3; i++) {
        const __m256i one_minus = _mm256_sub_epi32(_mm256_set1_epi32(1 << 29), srdhm_s(hd, x));
        x = _mm256_add_epi32(x, sat_shl(srdhm_s(x, one_minus), 2));
    }
    _mm256_storeu_si256((__m256i *)scale, sat_shl(x, 1));
    _mm256_storeu_si256((__m256i *)exponent, _mm256_sub_epi32(_mm256_set1_epi32(35), h));
}

void edge_softmax_scales__avx2(const int32_t sums[16], int32_t scale[16], int32_t exponent[16])
{
    for (int q = 0; q < 2; q++)
        scales8(_mm256_loadu_si256((const __m256i *)(sums + 8 * q)), scale + 8 * q,
                exponent + 8 * q);
}

typedef struct row_ctx {
    size_t depth;
    const int32_t *exp;
    __m128i flip;
    uint8_t maxes[16];
    __m256i e0[16]; /* a row of at most 8: its exponentials */
} row_ctx;

static inline int64_t sum_row(void *vc, size_t i, const uint8_t *xr)
{
    row_ctx *k = vc;
    const size_t depth = k->depth;
    size_t n;
    __m128i vmax = _mm_setzero_si128();
    for (size_t c = 0; c < depth; c += 8)
        vmax = _mm_max_epu8(vmax, keys8(xr, depth, c, k->flip, &n));
    /* byte 0 becomes the largest of bytes 0..7, the keys (the high 8 are not read) */
    vmax = _mm_max_epu8(vmax, _mm_srli_si128(vmax, 4));
    vmax = _mm_max_epu8(vmax, _mm_srli_si128(vmax, 2));
    vmax = _mm_max_epu8(vmax, _mm_srli_si128(vmax, 1));
    k->maxes[i] = (uint8_t)_mm_cvtsi128_si32(vmax);
    const __m128i m = _mm_set1_epi8((char)k->maxes[i]);

    int64_t sum = 0;
    __m256i acc = _mm256_setzero_si256(), e0 = acc;
    for (size_t c = 0, steps = 0; c < depth; c += 8) {
        e0 = exps8(keys8(xr, depth, c, k->flip, &n), m, k->exp);
        const __m256i t = _mm256_srli_epi32(_mm256_add_epi32(e0, _mm256_set1_epi32(1 << 11)), 12);
        acc = _mm256_add_epi32(acc, _mm256_and_si256(t, lanes8(n)));
        if (++steps == 128 || c + 8 >= depth) {
            __m128i s =
                _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
            s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
            s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
            sum += _mm_cvtsi128_si32(s);
            acc = _mm256_setzero_si256();
            steps = 0;
        }
    }
    k->e0[i] = e0;
    return sum;
}

static inline void out_row(void *vc, size_t i, const uint8_t *xr, uint8_t *o, int32_t scale,
                           int32_t exponent)
{
    const row_ctx *k = vc;
    const size_t depth = k->depth;
    const edge_rq_avx2 rq =
        edge_rq_prep_avx2(_mm256_set1_epi32(scale), _mm256_set1_epi32(-exponent));
    if (depth <= 8) {
        outs8(o, depth, k->e0[i], &rq, k->flip);
        return;
    }
    size_t n;
    const __m128i m = _mm_set1_epi8((char)k->maxes[i]);
    for (size_t c = 0; c < depth; c += 8) {
        const __m256i e = exps8(keys8(xr, depth, c, k->flip, &n), m, k->exp);
        outs8(o + c, n, e, &rq, k->flip);
    }
}

void edge_qs8_softmax__avx2(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                            const edge_qs8_softmax_params *p)
{
    row_ctx k = {.depth = depth, .exp = p->exp, .flip = _mm_set1_epi8((char)p->flip)};
    edge_softmax_blocks(rows, depth, x, out, p->flip, &k, sum_row, edge_softmax_scales__avx2,
                        out_row);
}
