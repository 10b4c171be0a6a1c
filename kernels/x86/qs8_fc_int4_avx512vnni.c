/* kernels/x86/qs8_fc_int4_avx512vnni.c - int8 FULLY_CONNECTED over 4-bit weights (level
 * avx512vnni).
 *
 * Owns: edge_qs8_fc_int4__avx512vnni, fc_int4.h's contract (executable spec:
 * edge_qs8_fc_int4__c). A block of 16 channels is one zmm of int32 accumulators; a 64-byte
 * nibble group gives two k quads in vpdpbusd's order: u_lo = v & 15, u_hi = (v >> 4) & 15 (the
 * weights plus 8, unsigned 0..15), each vpdpbusd'd against a broadcast quad of the row, which
 * is the signed operand as it is (no flip). Four blocks a pass (four weight streams), separate
 * chains for the low and the high quads. Requantization: requant_avx512.h. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "fc_int4.h"
#include "x86/fc_int4_x86.h"
#include "x86/requant_avx512.h"

#define NR EDGE_FC_INT4_NR
#define NB 4
#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 4")

INLINE void pass(int nb, const uint8_t *blk, size_t bb, size_t kc, const int8_t *x, int32_t x8,
                 int8_t *c, int32_t *accp, size_t m, const edge_qs8_out *o)
{
    __m512i lo[NB], hi[NB];
    UNROLL
    for (int j = 0; j < nb; j++)
        lo[j] = hi[j] = _mm512_setzero_si512();
    const __m512i m4 = _mm512_set1_epi8(15);
    const uint8_t *nib = blk + 3 * NR * 4;
    for (size_t g = 0; g < kc / 8; g++) {
        int32_t q0, q1;
        memcpy(&q0, x + 8 * g, 4);
        memcpy(&q1, x + 8 * g + 4, 4);
        const __m512i x0 = _mm512_set1_epi32(q0), x1 = _mm512_set1_epi32(q1);
        UNROLL
        for (int j = 0; j < nb; j++) {
            const __m512i v = _mm512_loadu_si512((const void *)(nib + (size_t)j * bb + 64 * g));
            lo[j] = _mm512_dpbusd_epi32(lo[j], _mm512_and_si512(v, m4), x0);
            hi[j] = _mm512_dpbusd_epi32(hi[j], _mm512_and_si512(_mm512_srli_epi16(v, 4), m4), x1);
        }
    }
    const __m512i corr = _mm512_set1_epi32(x8);
    UNROLL
    for (int j = 0; j < nb; j++) {
        const uint8_t *b = blk + (size_t)j * bb;
        __m512i acc = _mm512_add_epi32(_mm512_loadu_si512((const void *)b), lo[j]);
        acc = _mm512_sub_epi32(_mm512_add_epi32(acc, hi[j]), corr);
        const size_t n = m > (size_t)j * NR ? m - (size_t)j * NR : 0;
        const __mmask16 keep = n >= NR ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
        if (accp) {
            _mm512_mask_storeu_epi32(accp + (size_t)j * NR, keep, acc);
            continue;
        }
        const __m512i zp = _mm512_set1_epi32(o->zp), vlo = _mm512_set1_epi32(o->lo),
                      vhi = _mm512_set1_epi32(o->hi);
        const __m512i v = edge_mbqm_avx512(acc, _mm512_loadu_si512((const void *)(b + 4 * NR)),
                                           _mm512_loadu_si512((const void *)(b + 8 * NR)));
        const __m128i out = edge_out16_avx512(v, zp, vlo, vhi);
        _mm_mask_storeu_epi8(c + (size_t)j * NR, keep, out);
    }
}

void edge_qs8_fc_int4__avx512vnni(size_t nc, size_t kc, const int8_t *x, const void *w, int8_t *c,
                                  int32_t *acc, const edge_qs8_out *o)
{
    EDGE_QS8_FC_INT4_CONTRACT(nc, kc);
    const int32_t x8 = (int32_t)(8u * (uint32_t)edge_fc_int4_xsum_avx2(x, kc));
    const size_t bb = edge_fc_int4_block_bytes(kc);
    const uint8_t *blk = w;
    size_t n0 = 0;
    for (; n0 + NR * NB <= nc; n0 += NR * NB, blk += NB * bb)
        pass(NB, blk, bb, kc, x, x8, c + n0, acc ? acc + n0 : NULL, NR * NB, o);
    switch ((nc - n0 + NR - 1) / NR) {
    case 0: break;
    case 1: pass(1, blk, bb, kc, x, x8, c + n0, acc ? acc + n0 : NULL, nc - n0, o); break;
    case 2: pass(2, blk, bb, kc, x, x8, c + n0, acc ? acc + n0 : NULL, nc - n0, o); break;
    case 3: pass(3, blk, bb, kc, x, x8, c + n0, acc ? acc + n0 : NULL, nc - n0, o); break;
    default: pass(NB, blk, bb, kc, x, x8, c + n0, acc ? acc + n0 : NULL, nc - n0, o); break;
    }
}
