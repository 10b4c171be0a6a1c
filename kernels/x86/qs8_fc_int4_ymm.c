/* kernels/x86/qs8_fc_int4_ymm.c - int8 FULLY_CONNECTED over 4-bit weights on ymm registers:
 * levels avx2 and avxvnni (this file is compiled three times: avx2; avxvnni with VEX vpdpbusd;
 * avxvnni on AVX-512 VNNI's EVEX encoding, qs8_avxvnni.h).
 *
 * Owns: edge_qs8_fc_int4__avx2, edge_qs8_fc_int4__avxvnni(_evex), fc_int4.h's contract
 * (executable spec: edge_qs8_fc_int4__c). A block of 16 channels is two ymm of int32
 * accumulators (channels 0..7 and 8..15, the two 32-byte halves of each nibble group). The
 * weights u = w + 8 are unpacked with a mask and a shift (u_lo = v & 15, u_hi = (v >> 4) & 15)
 * and are the unsigned operand; the row's broadcast quads are the signed one, as they are.
 *   avxvnni: vpdpbusd into int32 directly.
 *   avx2: vpmaddubsw gives int16 pair sums of at most 2 * 15 * 128 = 3840 in magnitude; a group
 *   adds two (low and high quad), so four groups sum in int16 (8 * 3840 = 30720 <= 32767) before
 *   vpmaddwd by 1 widens them into the int32 accumulators.
 * Two blocks a pass. Requantization: requant_avx2.h. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "fc_int4.h"
#include "x86/fc_int4_x86.h"
#include "x86/requant_avx2.h"

#if defined(EDGE_FC_INT4_VNNI)
#include "x86/qs8_avxvnni.h"
#define FN EDGE_AVXVNNI_FN(edge_qs8_fc_int4)
#else
#define FN edge_qs8_fc_int4__avx2
#endif

#define NR EDGE_FC_INT4_NR
#define NB 2        /* blocks a pass */
#define GH 4        /* avx2: groups summed in int16 before widening */
#define NV (2 * NB) /* ymm accumulators: two a block */
#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 4")

INLINE __m256i bcast4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* ACC[v] += groups [g0, g1) of the NB blocks at NIB (block j at NIB + j * BB). */
INLINE void groups(int nb, __m256i acc[NV], const uint8_t *nib, size_t bb, const int8_t *x,
                   size_t g0, size_t g1)
{
    const __m256i m4 = _mm256_set1_epi8(15);
#if defined(EDGE_FC_INT4_VNNI)
    for (size_t g = g0; g < g1; g++) {
        const __m256i x0 = bcast4(x + 8 * g), x1 = bcast4(x + 8 * g + 4);
        UNROLL
        for (int v = 0; v < 2 * nb; v++) {
            const __m256i w = _mm256_loadu_si256(
                (const __m256i *)(nib + (size_t)(v / 2) * bb + 64 * g + 32 * (size_t)(v % 2)));
            const __m256i ulo = _mm256_and_si256(w, m4);
            const __m256i uhi = _mm256_and_si256(_mm256_srli_epi16(w, 4), m4);
            EDGE_DPBUSD256(acc[v], ulo, x0);
            EDGE_DPBUSD256(acc[v], uhi, x1);
        }
    }
#else
    __m256i s[NV];
    UNROLL
    for (int v = 0; v < 2 * nb; v++)
        s[v] = _mm256_setzero_si256();
    for (size_t g = g0; g < g1; g++) {
        const __m256i x0 = bcast4(x + 8 * g), x1 = bcast4(x + 8 * g + 4);
        UNROLL
        for (int v = 0; v < 2 * nb; v++) {
            const __m256i w = _mm256_loadu_si256(
                (const __m256i *)(nib + (size_t)(v / 2) * bb + 64 * g + 32 * (size_t)(v % 2)));
            const __m256i ulo = _mm256_and_si256(w, m4);
            const __m256i uhi = _mm256_and_si256(_mm256_srli_epi16(w, 4), m4);
            s[v] = _mm256_add_epi16(s[v], _mm256_maddubs_epi16(ulo, x0));
            s[v] = _mm256_add_epi16(s[v], _mm256_maddubs_epi16(uhi, x1));
        }
    }
    const __m256i one = _mm256_set1_epi16(1);
    UNROLL
    for (int v = 0; v < 2 * nb; v++)
        acc[v] = _mm256_add_epi32(acc[v], _mm256_madd_epi16(s[v], one));
#endif
}

INLINE void pass(int nb, const uint8_t *blk, size_t bb, size_t kc, const int8_t *x, int32_t x8,
                 int8_t *c, int32_t *accp, size_t m, const edge_qs8_out *o)
{
    __m256i acc[NV];
    UNROLL
    for (int v = 0; v < 2 * nb; v++)
        acc[v] = _mm256_setzero_si256();
    const uint8_t *nib = blk + 3 * NR * 4;
    const size_t ng = kc / 8;
#if defined(EDGE_FC_INT4_VNNI)
    groups(nb, acc, nib, bb, x, 0, ng);
#else
    for (size_t g = 0; g < ng; g += GH)
        groups(nb, acc, nib, bb, x, g, g + GH < ng ? g + GH : ng);
#endif
    const __m256i corr = _mm256_set1_epi32(x8);
    __m256i r[4];
    UNROLL
    for (int v = 0; v < 4; v++) {
        if (v >= 2 * nb) {
            r[v] = r[0]; /* (not stored) */
            continue;
        }
        const uint8_t *b = blk + (size_t)(v / 2) * bb + 32 * (size_t)(v % 2);
        __m256i a = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)b), acc[v]);
        a = _mm256_sub_epi32(a, corr);
        if (accp) {
            r[v] = a;
            continue;
        }
        r[v] = edge_mbqm_avx2(a, _mm256_loadu_si256((const __m256i *)(b + 4 * NR)),
                              _mm256_loadu_si256((const __m256i *)(b + 8 * NR)));
    }
    if (accp) {
        int32_t tmp[NR * NB];
        UNROLL
        for (int v = 0; v < 4; v++)
            _mm256_storeu_si256((__m256i *)(tmp + 8 * v), r[v]);
        memcpy(accp, tmp, (m < NR * NB ? m : NR * NB) * sizeof tmp[0]);
        return;
    }
    const __m256i out =
        edge_out32_avx2(r[0], r[1], r[2], r[3], _mm256_set1_epi32(o->zp),
                        _mm256_set1_epi8((char)o->lo), _mm256_set1_epi8((char)o->hi));
    if (m >= NR * NB) {
        _mm256_storeu_si256((__m256i *)c, out);
    } else {
        int8_t tmp[NR * NB];
        _mm256_storeu_si256((__m256i *)tmp, out);
        memcpy(c, tmp, m);
    }
}

void FN(size_t nc, size_t kc, const int8_t *x, const void *w, int8_t *c, int32_t *acc,
        const edge_qs8_out *o)
{
    EDGE_QS8_FC_INT4_CONTRACT(nc, kc);
    const int32_t x8 = (int32_t)(8u * (uint32_t)edge_fc_int4_xsum_avx2(x, kc));
    const size_t bb = edge_fc_int4_block_bytes(kc);
    const uint8_t *blk = w;
    size_t n0 = 0;
    for (; n0 + NR * NB <= nc; n0 += NR * NB, blk += NB * bb)
        pass(NB, blk, bb, kc, x, x8, c + n0, acc ? acc + n0 : NULL, NR * NB, o);
    if (nc - n0 > NR)
        pass(2, blk, bb, kc, x, x8, c + n0, acc ? acc + n0 : NULL, nc - n0, o);
    else if (n0 < nc)
        pass(1, blk, bb, kc, x, x8, c + n0, acc ? acc + n0 : NULL, nc - n0, o);
}
