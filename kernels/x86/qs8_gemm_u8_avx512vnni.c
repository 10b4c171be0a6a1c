/* kernels/x86/qs8_gemm_u8_avx512vnni.c - the legacy uint8 GEMM micro-kernel of level avx512vnni.
 *
 * Owns: edge_qs8_gemm_u8_4x48c4__avx512vnni (qs8.h's edge_qs8_gemm_u8_fn; executable spec:
 * edge_qs8_gemm_u8_4x8c4__c). uint8 activations are what vpdpbusd multiplies (unsigned by
 * signed), so A goes in as it is; each row starts from the block's bias plus its addend.
 * Tile: up to 4 rows by 48 channels (three zmm of int32 per row). The output stage
 * requantizes with requant_avx512.h and clamps in the uint8 domain (as the reference adds
 * the zero point, wrapping), whose low bytes are the outputs. Does not own packing (pack.c)
 * or the table entry. */
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "qs8.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx512.h"

#define MR EDGE_GEMM_U8_AVX512VNNI_MR
#define NR EDGE_GEMM_U8_AVX512VNNI_NR
#define NV (NR / 16)

#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")

typedef struct u8_tile {
    size_t kc, a_stride, c_stride;
    const uint8_t *a;
    const int32_t *row;
    __m512i zp, lo, hi;
} u8_tile;

/* ROWS rows by NV zmm of channels n0.. (N of them stored) from block BLK into C. */
INLINE void tile(int rows, int nv, const uint8_t *blk, uint8_t *c, size_t n, const u8_tile *t)
{
    __m512i acc[MR][NV];
    UNROLL
    for (int r = 0; r < rows; r++) {
        const __m512i add = _mm512_set1_epi32(t->row[r]);
        UNROLL
        for (int j = 0; j < nv; j++)
            acc[r][j] = _mm512_add_epi32(_mm512_loadu_si512(blk + 64 * j), add);
    }
    const uint8_t *wp = blk + 12 * NR;
    for (size_t k = 0; k < t->kc; k += 4, wp += 4 * NR) {
        __m512i wv[NV];
        UNROLL
        for (int j = 0; j < nv; j++)
            wv[j] = _mm512_loadu_si512(wp + 64 * j);
        UNROLL
        for (int r = 0; r < rows; r++) {
            int32_t quad;
            memcpy(&quad, t->a + (size_t)r * t->a_stride + k, sizeof quad);
            const __m512i av = _mm512_set1_epi32(quad);
            UNROLL
            for (int j = 0; j < nv; j++)
                acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], av, wv[j]);
        }
    }
    UNROLL
    for (int j = 0; j < nv; j++) {
        const __m512i mult = _mm512_loadu_si512(blk + 4 * (NR + 16 * j));
        const __m512i shift = _mm512_loadu_si512(blk + 4 * (2 * NR + 16 * j));
        const size_t left = n > (size_t)(16 * j) ? n - (size_t)(16 * j) : 0;
        const __mmask16 mask = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        UNROLL
        for (int r = 0; r < rows; r++) {
            const __m512i v = edge_mbqm_avx512(acc[r][j], mult, shift);
            _mm_mask_storeu_epi8(c + (size_t)r * t->c_stride + 16 * j, mask,
                                 edge_out16_avx512(v, t->zp, t->lo, t->hi));
        }
    }
}

INLINE void rows_of(int rows, size_t nc, const void *w, uint8_t *c, const u8_tile *t)
{
    const size_t bytes = edge_qs8_gemm_block_bytes(NR, t->kc);
    const uint8_t *blk = w;
    size_t n0 = 0;
    for (; n0 + NR <= nc; n0 += NR, blk += bytes)
        tile(rows, NV, blk, c + n0, NR, t);
    switch ((nc - n0 + 15) / 16) {
    case 0: break;
    case 1: tile(rows, 1, blk, c + n0, nc - n0, t); break;
    case 2: tile(rows, 2, blk, c + n0, nc - n0, t); break;
    default: tile(rows, NV, blk, c + n0, nc - n0, t); break;
    }
}

void edge_qs8_gemm_u8_4x48c4__avx512vnni(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                         size_t a_stride, const void *w, const int32_t *row,
                                         uint8_t *c, size_t c_stride, const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, MR, EDGE_GEMM_U8_AVX512VNNI_KR);
    const u8_tile t = {kc,
                       a_stride,
                       c_stride,
                       a,
                       row,
                       _mm512_set1_epi32(o->zp),
                       _mm512_set1_epi32(o->lo),
                       _mm512_set1_epi32(o->hi)};
    switch (mr) {
    case 1: rows_of(1, nc, w, c, &t); break;
    case 2: rows_of(2, nc, w, c, &t); break;
    case 3: rows_of(3, nc, w, c, &t); break;
    default: rows_of(4, nc, w, c, &t); break;
    }
}
