/* kernels/x86/dw_quads_avx512.h - the byte quads the avx512vnni depthwise kernels feed
 * vpdpbusd (internal to kernels/x86).
 *
 * Owns: q64 (four zmm of quads), quads64 (interleave the bytes of four rows: dword lane i of
 * vector j in 128-bit lane l holds channel 16l + 4j + i's bytes of rows 0..3) and hdr64 (64
 * int32 permuted to that order). Used by qs8_dw_avx512vnni.c (int8) and
 * qs8_dw_u8_avx512vnni.c (uint8); two plain saturating packs of the four accumulator vectors
 * bring the channels back in order. */
#ifndef EDGE_X86_DW_QUADS_AVX512_H
#define EDGE_X86_DW_QUADS_AVX512_H

#include <stdint.h>

#include <immintrin.h>

typedef struct q64 {
    __m512i v[4];
} q64;

static inline __attribute__((always_inline)) q64 quads64(__m512i r0, __m512i r1, __m512i r2,
                                                         __m512i r3)
{
    const __m512i a = _mm512_unpacklo_epi8(r0, r1), b = _mm512_unpackhi_epi8(r0, r1);
    const __m512i c = _mm512_unpacklo_epi8(r2, r3), d = _mm512_unpackhi_epi8(r2, r3);
    const q64 q = {{_mm512_unpacklo_epi16(a, c), _mm512_unpackhi_epi16(a, c),
                    _mm512_unpacklo_epi16(b, d), _mm512_unpackhi_epi16(b, d)}};
    return q;
}

/* 64 int32 of a block header, permuted to quad order: vector j, lane l holds
 * channels 16l + 4j .. 16l + 4j + 3 (a 4x4 transpose of 128-bit chunks). */
static inline __attribute__((always_inline)) void hdr64(const uint8_t *src, __m512i q[4])
{
    const __m512i n0 = _mm512_loadu_si512(src), n1 = _mm512_loadu_si512(src + 64);
    const __m512i n2 = _mm512_loadu_si512(src + 128), n3 = _mm512_loadu_si512(src + 192);
    const __m512i t0 = _mm512_shuffle_i32x4(n0, n1, _MM_SHUFFLE(2, 0, 2, 0));
    const __m512i t1 = _mm512_shuffle_i32x4(n0, n1, _MM_SHUFFLE(3, 1, 3, 1));
    const __m512i t2 = _mm512_shuffle_i32x4(n2, n3, _MM_SHUFFLE(2, 0, 2, 0));
    const __m512i t3 = _mm512_shuffle_i32x4(n2, n3, _MM_SHUFFLE(3, 1, 3, 1));
    q[0] = _mm512_shuffle_i32x4(t0, t2, _MM_SHUFFLE(2, 0, 2, 0));
    q[1] = _mm512_shuffle_i32x4(t1, t3, _MM_SHUFFLE(2, 0, 2, 0));
    q[2] = _mm512_shuffle_i32x4(t0, t2, _MM_SHUFFLE(3, 1, 3, 1));
    q[3] = _mm512_shuffle_i32x4(t1, t3, _MM_SHUFFLE(3, 1, 3, 1));
}

#endif
