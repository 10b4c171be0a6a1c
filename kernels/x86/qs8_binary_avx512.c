/* kernels/x86/qs8_binary_avx512.c - int8/uint8 ADD, SUB, MUL, MAXIMUM, MINIMUM over broadcast
 * runs (AVX-512).
 *
 * Owns: edge_qs8_{add,sub,mul,max,min,sqd}_bin__avx512 (contract: qs8.h, elementwise binary ops;
 * the AVX2 form, qs8_binary_avx2.c, on 64 elements per step). An operand of stride 0 is one
 * byte broadcast to every lane. Bytes are flipped (x ^ flip, uint8 as int8), sign-extended
 * to four vectors of 16 int32 lanes: ADD/SUB shift left with wrap-around and requantize both
 * inputs and the sum; MUL multiplies the offset inputs in int32 (|product| <= 2^16, exact)
 * and requantizes with the general mbqm (any shift). The output stage adds the offset with
 * wrap-around, clamps in int32 in the output's domain, subtracts flip, packs with saturation
 * (exact: the value is already within int8), restores the order across 128-bit lanes and
 * flips back. MAXIMUM/MINIMUM compare flipped bytes as int8. The last N % 64 elements use
 * masked loads and stores, so nothing past N is read or written. Requantization:
 * requant_avx512.h. */
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "qs8.h"
#include "x86/qs8_binary_x86.h"
#include "x86/requant_avx512.h"

#define EDGE_INLINE static inline __attribute__((always_inline))

enum { OP_ADD, OP_SUB, OP_MUL, OP_MAX, OP_MIN, OP_SQD };

typedef struct bin_ctx {
    __m512i a_off, b_off, out_off, lo, hi, flip32, flip8;
    __m128i ls;
    edge_rq_avx512 a, b, out;
} bin_ctx;

/* 16 int32 results (before the output offset) of 16 elements of A and B, widened to int32. */
EDGE_INLINE __m512i op16w(const bin_ctx *k, __m512i a, __m512i b, int op)
{
    const __m512i xa = _mm512_add_epi32(a, k->a_off);
    const __m512i xb = _mm512_add_epi32(b, k->b_off);
    if (op == OP_MUL)
        return edge_mbqm_prep_avx512(_mm512_mullo_epi32(xa, xb), &k->out);
    const __m512i sa = edge_mbqm_prep_avx512(_mm512_sll_epi32(xa, k->ls), &k->a);
    const __m512i sb = edge_mbqm_prep_avx512(_mm512_sll_epi32(xb, k->ls), &k->b);
    if (op == OP_SQD) {
        const __m512i d = _mm512_sub_epi32(sa, sb);
        return edge_mbqm_prep_avx512(_mm512_mullo_epi32(d, d), &k->out);
    }
    const __m512i s = op == OP_SUB ? _mm512_sub_epi32(sa, sb) : _mm512_add_epi32(sa, sb);
    return edge_mbqm_prep_avx512(s, &k->out);
}

/* The same of 16 flipped int8 of A and B. */
EDGE_INLINE __m512i op16(const bin_ctx *k, __m128i a, __m128i b, int op)
{
    return op16w(k, _mm512_cvtepi8_epi32(a), _mm512_cvtepi8_epi32(b), op);
}

/* clamp(v + out_off, lo, hi) - flip, in int32 lanes. */
EDGE_INLINE __m512i outq(const bin_ctx *k, __m512i v)
{
    v = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(v, k->out_off), k->lo), k->hi);
    return _mm512_sub_epi32(v, k->flip32);
}

/* 64 inputs each to 64 stored outputs. */
EDGE_INLINE __m512i op64(const bin_ctx *k, __m512i a, __m512i b, int op)
{
    a = _mm512_xor_si512(a, k->flip8);
    b = _mm512_xor_si512(b, k->flip8);
    if (op == OP_MAX)
        return _mm512_xor_si512(_mm512_max_epi8(a, b), k->flip8);
    if (op == OP_MIN)
        return _mm512_xor_si512(_mm512_min_epi8(a, b), k->flip8);
    const __m512i v0 = outq(k, op16(k, _mm512_castsi512_si128(a), _mm512_castsi512_si128(b), op));
    const __m512i v1 =
        outq(k, op16(k, _mm512_extracti32x4_epi32(a, 1), _mm512_extracti32x4_epi32(b, 1), op));
    const __m512i v2 =
        outq(k, op16(k, _mm512_extracti32x4_epi32(a, 2), _mm512_extracti32x4_epi32(b, 2), op));
    const __m512i v3 =
        outq(k, op16(k, _mm512_extracti32x4_epi32(a, 3), _mm512_extracti32x4_epi32(b, 3), op));
    const __m512i p = _mm512_packs_epi16(_mm512_packs_epi32(v0, v1), _mm512_packs_epi32(v2, v3));
    /* 128-bit lane l holds dwords (v0, v1, v2, v3)[4l .. 4l+3] */
    const __m512i r = _mm512_permutexvar_epi32(
        _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), p);
    return _mm512_xor_si512(r, k->flip8);
}

/* 64 elements at X (stride S: 1, or 0 for one byte repeated), the lanes of M. */
EDGE_INLINE __m512i load64(const int8_t *x, size_t s, __mmask64 m)
{
    return s ? _mm512_maskz_loadu_epi8(m, x) : _mm512_set1_epi8(x[0]);
}

EDGE_INLINE bin_ctx ctx_of(const edge_qs8_binary_params *p)
{
    return (bin_ctx){
        _mm512_set1_epi32(p->a_offset),
        _mm512_set1_epi32(p->b_offset),
        _mm512_set1_epi32(p->out_offset),
        _mm512_set1_epi32(p->lo),
        _mm512_set1_epi32(p->hi),
        _mm512_set1_epi32(p->flip),
        _mm512_set1_epi8((char)p->flip),
        _mm_cvtsi32_si128(p->left_shift),
        edge_rq_prep_avx512(_mm512_set1_epi32(p->a_mult), _mm512_set1_epi32(p->a_shift)),
        edge_rq_prep_avx512(_mm512_set1_epi32(p->b_mult), _mm512_set1_epi32(p->b_shift)),
        edge_rq_prep_avx512(_mm512_set1_epi32(p->out_mult), _mm512_set1_epi32(p->out_shift)),
    };
}

EDGE_INLINE void run(size_t n, const int8_t *a, size_t as, const int8_t *b, size_t bs, int8_t *out,
                     const edge_qs8_binary_params *p, int op)
{
    EDGE_QS8_BINARY_CONTRACT(as, bs, p);
    const bin_ctx k = ctx_of(p);
    const __mmask64 all = ~(__mmask64)0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        _mm512_storeu_si512(out + i,
                            op64(&k, load64(a + i * as, as, all), load64(b + i * bs, bs, all), op));
    if (i < n) {
        const __mmask64 m = _bzhi_u64(~0ULL, (unsigned)(n - i));
        _mm512_mask_storeu_epi8(out + i, m,
                                op64(&k, load64(a + i * as, as, m), load64(b + i * bs, bs, m), op));
    }
}

#define BIN_KERNEL(name, op)                                                                    \
    void edge_qs8_##name##_bin__avx512(size_t n, const int8_t *a, size_t as, const int8_t *b,   \
                                       size_t bs, int8_t *out, const edge_qs8_binary_params *p) \
    {                                                                                           \
        run(n, a, as, b, bs, out, p, op);                                                       \
    }

BIN_KERNEL(add, OP_ADD)
BIN_KERNEL(sub, OP_SUB)
BIN_KERNEL(mul, OP_MUL)
BIN_KERNEL(max, OP_MAX)
BIN_KERNEL(min, OP_MIN)
BIN_KERNEL(sqd, OP_SQD)

/* ---- 16x8: int16 ADD/SUB (edge_q16_binary_fn) and the requantizing map (edge_q16_map_fn) ----
 * 16 elements a step, int16 widened to int32 lanes, the last N % 16 by masked loads and
 * stores; results lie within int16 (or int8) after the clamp, so vpmovdw / vpmovdb narrow
 * them exactly. */

/* 16 int16 at X (stride S: 1, or 0 for one element repeated), the lanes of M, as int32. */
EDGE_INLINE __m512i load16w(const int16_t *x, size_t s, __mmask16 m)
{
    return _mm512_cvtepi16_epi32(s ? _mm256_maskz_loadu_epi16(m, x) : _mm256_set1_epi16(x[0]));
}

EDGE_INLINE void run16(size_t n, const int16_t *a, size_t as, const int16_t *b, size_t bs,
                       int16_t *out, const edge_qs8_binary_params *p, int op)
{
    EDGE_QS8_BINARY_CONTRACT(as, bs, p);
    const bin_ctx k = ctx_of(p);
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m =
            n - i >= 16 ? (__mmask16)0xffff : (__mmask16)_bzhi_u32(0xffff, (unsigned)(n - i));
        const __m512i v =
            outq(&k, op16w(&k, load16w(a + i * as, as, m), load16w(b + i * bs, bs, m), op));
        _mm256_mask_storeu_epi16(out + i, m, _mm512_cvtepi32_epi16(v));
    }
}

void edge_q16_add_bin__avx512(size_t n, const int16_t *a, size_t as, const int16_t *b, size_t bs,
                              int16_t *out, const edge_qs8_binary_params *p)
{
    run16(n, a, as, b, bs, out, p, OP_ADD);
}

void edge_q16_sub_bin__avx512(size_t n, const int16_t *a, size_t as, const int16_t *b, size_t bs,
                              int16_t *out, const edge_qs8_binary_params *p)
{
    run16(n, a, as, b, bs, out, p, OP_SUB);
}

EDGE_INLINE void map16(size_t n, const void *in, bool in32, void *out, bool out8,
                       const edge_q16_map_params *p)
{
    const edge_rq_avx512 pos =
        edge_rq_prep_avx512(_mm512_set1_epi32(p->pos_mult), _mm512_set1_epi32(p->pos_shift));
    const edge_rq_avx512 neg =
        edge_rq_prep_avx512(_mm512_set1_epi32(p->neg_mult), _mm512_set1_epi32(p->neg_shift));
    const bool one = p->pos_mult == p->neg_mult && p->pos_shift == p->neg_shift;
    const __m512i in_zp = _mm512_set1_epi32(p->in_zp), out_zp = _mm512_set1_epi32(p->out_zp);
    const __m512i lo = _mm512_set1_epi32(p->lo), hi = _mm512_set1_epi32(p->hi);
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m =
            n - i >= 16 ? (__mmask16)0xffff : (__mmask16)_bzhi_u32(0xffff, (unsigned)(n - i));
        const __m512i x = in32 ? _mm512_maskz_loadu_epi32(m, (const int32_t *)in + i)
                               : load16w((const int16_t *)in + i, 1, m);
        const __m512i d = _mm512_sub_epi32(x, in_zp);
        __m512i r = edge_mbqm_prep_avx512(d, &pos);
        if (!one)
            r = _mm512_mask_mov_epi32(r, _mm512_movepi32_mask(d), edge_mbqm_prep_avx512(d, &neg));
        r = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, out_zp), lo), hi);
        if (out8)
            _mm_mask_storeu_epi8((int8_t *)out + i, m, _mm512_cvtepi32_epi8(r));
        else
            _mm256_mask_storeu_epi16((int16_t *)out + i, m, _mm512_cvtepi32_epi16(r));
    }
}

void edge_q16_map__avx512(size_t n, const void *in, bool in32, void *out, bool out8,
                          const edge_q16_map_params *p)
{
    if (in32)
        out8 ? map16(n, in, true, out, true, p) : map16(n, in, true, out, false, p);
    else
        out8 ? map16(n, in, false, out, true, p) : map16(n, in, false, out, false, p);
}
