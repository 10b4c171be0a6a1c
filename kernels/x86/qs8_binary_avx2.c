/* kernels/x86/qs8_binary_avx2.c - int8/uint8 ADD, SUB, MUL, MAXIMUM, MINIMUM over broadcast runs
 * (AVX2).
 *
 * Owns: edge_qs8_{add,sub,mul,max,min,sqd}_bin__avx2 (contract: qs8.h, elementwise binary ops).
 * 32 elements per step; an operand of stride 0 is one byte broadcast to every lane. Bytes
 * are flipped (x ^ flip, uint8 as int8), sign-extended to four vectors of 8 int32 lanes:
 * ADD/SUB shift left with wrap-around and requantize both inputs and the sum as
 * qs8_eltwise_avx2.c does; MUL multiplies the offset inputs in int32 (|product| <= 2^16,
 * exact) and requantizes with the general mbqm (any shift). The output stage adds the
 * offset with wrap-around, clamps in int32 in the output's domain, subtracts flip, packs with
 * saturation (exact: the value is already within int8) and flips back. MAXIMUM/MINIMUM
 * compare flipped bytes as int8. The last N % 32 elements go through a stack copy, so
 * nothing past N is read or written. Requantization: requant_avx2.h. */
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "qs8.h"
#include "x86/qs8_binary_x86.h"
#include "x86/requant_avx2.h"

#define EDGE_INLINE static inline __attribute__((always_inline))

enum { OP_ADD, OP_SUB, OP_MUL, OP_MAX, OP_MIN, OP_SQD };

typedef struct bin_ctx {
    __m256i a_off, b_off, out_off, lo, hi, flip32, flip8;
    __m128i ls;
    edge_rq_avx2 a, b, out;
} bin_ctx;

/* 8 int32 results (before the output offset) of 8 elements of A and B, widened to int32. */
EDGE_INLINE __m256i op8w(const bin_ctx *k, __m256i a, __m256i b, int op)
{
    const __m256i xa = _mm256_add_epi32(a, k->a_off);
    const __m256i xb = _mm256_add_epi32(b, k->b_off);
    if (op == OP_MUL)
        return edge_mbqm_prep_avx2(_mm256_mullo_epi32(xa, xb), &k->out);
    const __m256i sa = edge_mbqm_prep_avx2(_mm256_sll_epi32(xa, k->ls), &k->a);
    const __m256i sb = edge_mbqm_prep_avx2(_mm256_sll_epi32(xb, k->ls), &k->b);
    if (op == OP_SQD) {
        const __m256i d = _mm256_sub_epi32(sa, sb);
        return edge_mbqm_prep_avx2(_mm256_mullo_epi32(d, d), &k->out);
    }
    const __m256i s = op == OP_SUB ? _mm256_sub_epi32(sa, sb) : _mm256_add_epi32(sa, sb);
    return edge_mbqm_prep_avx2(s, &k->out);
}

/* The same of the low 8 flipped int8 of A and B. */
EDGE_INLINE __m256i op8(const bin_ctx *k, __m128i a, __m128i b, int op)
{
    return op8w(k, _mm256_cvtepi8_epi32(a), _mm256_cvtepi8_epi32(b), op);
}

/* clamp(v + out_off, lo, hi) - flip, in int32 lanes. */
EDGE_INLINE __m256i outq(const bin_ctx *k, __m256i v)
{
    v = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(v, k->out_off), k->lo), k->hi);
    return _mm256_sub_epi32(v, k->flip32);
}

/* 32 flipped inputs each to 32 stored outputs. */
EDGE_INLINE __m256i op32(const bin_ctx *k, __m256i a, __m256i b, int op)
{
    a = _mm256_xor_si256(a, k->flip8);
    b = _mm256_xor_si256(b, k->flip8);
    if (op == OP_MAX)
        return _mm256_xor_si256(_mm256_max_epi8(a, b), k->flip8);
    if (op == OP_MIN)
        return _mm256_xor_si256(_mm256_min_epi8(a, b), k->flip8);
    const __m128i a0 = _mm256_castsi256_si128(a), a1 = _mm256_extracti128_si256(a, 1);
    const __m128i b0 = _mm256_castsi256_si128(b), b1 = _mm256_extracti128_si256(b, 1);
    const __m256i v0 = outq(k, op8(k, a0, b0, op));
    const __m256i v1 = outq(k, op8(k, _mm_srli_si128(a0, 8), _mm_srli_si128(b0, 8), op));
    const __m256i v2 = outq(k, op8(k, a1, b1, op));
    const __m256i v3 = outq(k, op8(k, _mm_srli_si128(a1, 8), _mm_srli_si128(b1, 8), op));
    const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(v0, v1), _mm256_packs_epi32(v2, v3));
    const __m256i r = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    return _mm256_xor_si256(r, k->flip8);
}

EDGE_INLINE __m256i load32(const int8_t *x, size_t s)
{
    return s ? _mm256_loadu_si256((const __m256i *)x) : _mm256_set1_epi8(x[0]);
}

EDGE_INLINE bin_ctx ctx_of(const edge_qs8_binary_params *p)
{
    return (bin_ctx){
        _mm256_set1_epi32(p->a_offset),
        _mm256_set1_epi32(p->b_offset),
        _mm256_set1_epi32(p->out_offset),
        _mm256_set1_epi32(p->lo),
        _mm256_set1_epi32(p->hi),
        _mm256_set1_epi32(p->flip),
        _mm256_set1_epi8((char)p->flip),
        _mm_cvtsi32_si128(p->left_shift),
        edge_rq_prep_avx2(_mm256_set1_epi32(p->a_mult), _mm256_set1_epi32(p->a_shift)),
        edge_rq_prep_avx2(_mm256_set1_epi32(p->b_mult), _mm256_set1_epi32(p->b_shift)),
        edge_rq_prep_avx2(_mm256_set1_epi32(p->out_mult), _mm256_set1_epi32(p->out_shift)),
    };
}

EDGE_INLINE void run(size_t n, const int8_t *a, size_t as, const int8_t *b, size_t bs, int8_t *out,
                     const edge_qs8_binary_params *p, int op)
{
    EDGE_QS8_BINARY_CONTRACT(as, bs, p);
    const bin_ctx k = ctx_of(p);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i v = op32(&k, load32(a + i * as, as), load32(b + i * bs, bs), op);
        _mm256_storeu_si256((__m256i *)(out + i), v);
    }
    if (i < n) {
        int8_t ta[32] = {0}, tb[32] = {0}, to[32];
        memcpy(ta, a + i * as, as ? n - i : 1);
        memcpy(tb, b + i * bs, bs ? n - i : 1);
        _mm256_storeu_si256((__m256i *)to, op32(&k, load32(ta, as), load32(tb, bs), op));
        memcpy(out + i, to, n - i);
    }
}

#define BIN_KERNEL(name, op)                                                                  \
    void edge_qs8_##name##_bin__avx2(size_t n, const int8_t *a, size_t as, const int8_t *b,   \
                                     size_t bs, int8_t *out, const edge_qs8_binary_params *p) \
    {                                                                                         \
        run(n, a, as, b, bs, out, p, op);                                                     \
    }

BIN_KERNEL(add, OP_ADD)
BIN_KERNEL(sub, OP_SUB)
BIN_KERNEL(mul, OP_MUL)
BIN_KERNEL(max, OP_MAX)
BIN_KERNEL(min, OP_MIN)
BIN_KERNEL(sqd, OP_SQD)

/* ---- 16x8: int16 ADD/SUB (edge_q16_binary_fn) and the requantizing map (edge_q16_map_fn) ----
 * 8 elements a step, int16 widened to int32 lanes; the last N % 8 go through stack buffers.
 * Results lie within int16 (or int8) after the clamp, so the saturating packs are exact. */

/* 8 int32 lanes (within int16) to 8 int16 in order. */
EDGE_INLINE __m128i narrow16(__m256i v)
{
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packs_epi32(v, v), 0x08));
}

/* 8 int16 at X (stride S: 1, or 0 for one element repeated) as int32 lanes. */
EDGE_INLINE __m256i load8w(const int16_t *x, size_t s)
{
    return _mm256_cvtepi16_epi32(s ? _mm_loadu_si128((const __m128i *)x) : _mm_set1_epi16(x[0]));
}

EDGE_INLINE void run16(size_t n, const int16_t *a, size_t as, const int16_t *b, size_t bs,
                       int16_t *out, const edge_qs8_binary_params *p, int op)
{
    EDGE_QS8_BINARY_CONTRACT(as, bs, p);
    const bin_ctx k = ctx_of(p);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i v = outq(&k, op8w(&k, load8w(a + i * as, as), load8w(b + i * bs, bs), op));
        _mm_storeu_si128((__m128i *)(out + i), narrow16(v));
    }
    if (i < n) {
        int16_t ta[8] = {0}, tb[8] = {0}, to[8];
        memcpy(ta, a + i * as, (as ? n - i : 1) * sizeof *ta);
        memcpy(tb, b + i * bs, (bs ? n - i : 1) * sizeof *tb);
        _mm_storeu_si128((__m128i *)to,
                         narrow16(outq(&k, op8w(&k, load8w(ta, as), load8w(tb, bs), op))));
        memcpy(out + i, to, (n - i) * sizeof *to);
    }
}

void edge_q16_add_bin__avx2(size_t n, const int16_t *a, size_t as, const int16_t *b, size_t bs,
                            int16_t *out, const edge_qs8_binary_params *p)
{
    run16(n, a, as, b, bs, out, p, OP_ADD);
}

void edge_q16_sub_bin__avx2(size_t n, const int16_t *a, size_t as, const int16_t *b, size_t bs,
                            int16_t *out, const edge_qs8_binary_params *p)
{
    run16(n, a, as, b, bs, out, p, OP_SUB);
}

typedef struct map_ctx {
    edge_rq_avx2 pos, neg;
    bool one; /* the same multiplier for both signs */
    __m256i in_zp, out_zp, lo, hi;
} map_ctx;

/* 8 elements at IN (int16 or int32) to 8 int32 results within the output type. */
EDGE_INLINE __m256i map8(const map_ctx *k, const void *in, bool in32)
{
    const __m256i x = in32 ? _mm256_loadu_si256((const __m256i *)in) : load8w(in, 1);
    const __m256i d = _mm256_sub_epi32(x, k->in_zp);
    __m256i r = edge_mbqm_prep_avx2(d, &k->pos);
    if (!k->one)
        r = _mm256_blendv_epi8(r, edge_mbqm_prep_avx2(d, &k->neg),
                               _mm256_cmpgt_epi32(_mm256_setzero_si256(), d));
    return _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(r, k->out_zp), k->lo), k->hi);
}

/* 8 results to OUT as int16 or int8 (8 bytes). */
EDGE_INLINE void store8(void *out, __m256i r, bool out8)
{
    const __m128i h = narrow16(r);
    if (out8)
        _mm_storel_epi64((__m128i *)out, _mm_packs_epi16(h, h));
    else
        _mm_storeu_si128((__m128i *)out, h);
}

EDGE_INLINE void map_run(size_t n, const void *in, bool in32, void *out, bool out8,
                         const edge_q16_map_params *p)
{
    const map_ctx k = {
        edge_rq_prep_avx2(_mm256_set1_epi32(p->pos_mult), _mm256_set1_epi32(p->pos_shift)),
        edge_rq_prep_avx2(_mm256_set1_epi32(p->neg_mult), _mm256_set1_epi32(p->neg_shift)),
        p->pos_mult == p->neg_mult && p->pos_shift == p->neg_shift,
        _mm256_set1_epi32(p->in_zp),
        _mm256_set1_epi32(p->out_zp),
        _mm256_set1_epi32(p->lo),
        _mm256_set1_epi32(p->hi),
    };
    const size_t isz = in32 ? 4 : 2, osz = out8 ? 1 : 2;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        store8((char *)out + i * osz, map8(&k, (const char *)in + i * isz, in32), out8);
    if (i < n) {
        int32_t ti[8] = {0}, to[4];
        memcpy(ti, (const char *)in + i * isz, (n - i) * isz);
        store8(to, map8(&k, ti, in32), out8);
        memcpy((char *)out + i * osz, to, (n - i) * osz);
    }
}

void edge_q16_map__avx2(size_t n, const void *in, bool in32, void *out, bool out8,
                        const edge_q16_map_params *p)
{
    if (in32)
        out8 ? map_run(n, in, true, out, true, p) : map_run(n, in, true, out, false, p);
    else
        out8 ? map_run(n, in, false, out, true, p) : map_run(n, in, false, out, false, p);
}
