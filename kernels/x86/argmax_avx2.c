/* kernels/x86/argmax_avx2.c - 8-bit ARG_MAX / ARG_MIN along a short last axis (qs8.h's argmax8)
 * with AVX2; the avx512vnni level points at it too (a row fits one ymm).
 *
 * Owns: edge_argmax8__avx2. A row of up to 32 bytes is one load: XOR FLIP puts its bytes in
 * unsigned order, the lanes past the row are zeroed, five vpmaxub halvings give the row's
 * largest byte in every lane, and the first lane equal to it (vpcmpeqb, vpmovmskb, tzcnt over
 * the row's lanes) is the index: TensorFlow Lite's first-on-ties. DeepLab's 513x513 rows of 21
 * class scores took the reference's branchy scan 2-3 ms. */
#include <immintrin.h>

#include "qs8.h"
#include "x86/qs8_x86.h"

void edge_argmax8__avx2(const uint8_t *in, size_t rows, size_t axis, uint8_t flip, void *out,
                        int out64, size_t row0, size_t row1)
{
    assert(axis >= 1 && axis <= EDGE_ARGMAX8_MAX_AXIS && row1 <= rows);
    uint8_t vb[32];
    for (int l = 0; l < 32; l++)
        vb[l] = (size_t)l < axis ? 0xFF : 0;
    const __m256i valid = _mm256_loadu_si256((const __m256i *)vb);
    const __m256i fl = _mm256_set1_epi8((char)flip);
    const uint32_t lanes = axis >= 32 ? 0xFFFFFFFFu : (1u << axis) - 1;
    const size_t total = rows * axis;
    for (size_t r = row0; r < row1; r++) {
        const uint8_t *x = in + r * axis;
        if (r * axis + 32 > total) {
            edge_argmax8_store(out, out64, r, edge_argmax8_row(x, axis, flip));
            continue;
        }
        const __m256i v =
            _mm256_and_si256(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)x), fl), valid);
        __m256i m = _mm256_max_epu8(v, _mm256_permute2x128_si256(v, v, 1));
        m = _mm256_max_epu8(m, _mm256_shuffle_epi32(m, 0x4e));
        m = _mm256_max_epu8(m, _mm256_shuffle_epi32(m, 0xb1));
        m = _mm256_max_epu8(m, _mm256_shufflelo_epi16(_mm256_shufflehi_epi16(m, 0xb1), 0xb1));
        m = _mm256_max_epu8(m, _mm256_srli_epi16(m, 8));
        m = _mm256_shuffle_epi8(m, _mm256_setzero_si256()); /* byte 0 of each half everywhere */
        const uint32_t hit = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, m)) & lanes;
        edge_argmax8_store(out, out64, r, (size_t)__builtin_ctz(hit));
    }
}
