/* kernels/arm/qs8_binary_neon.c - int8/uint8 ADD, SUB, MUL, MAXIMUM, MINIMUM over broadcast runs
 * (level neon: aarch64 and armv7).
 *
 * Owns: edge_qs8_{add,sub,mul,max,min,sqd}_bin__neon (contract: qs8.h, elementwise binary ops),
 * the NEON form of qs8_binary_avx2.c, 16 elements a step. An operand of stride 0 is one byte
 * repeated in every lane. Bytes are flipped (x ^ flip: uint8 read as int8), sign-extended
 * to int16, the input offset added while widening to int32 (exact, wraps like
 * edge_wrap_add32); ADD/SUB shift left (vshlq_s32 drops the high bits: edge_wrap_shl32) and
 * requantize each input and their sum or difference with requant_neon.h's mbqm; MUL
 * multiplies the offset inputs in int32 (|product| <= 2^16, exact) and requantizes with the
 * general mbqm (any shift). The output stage adds the zero point with wrap-around, clamps in
 * int32 in the output's own domain, subtracts flip, narrows with saturation (exact: the value
 * lies in int8) and flips back. MAXIMUM/MINIMUM compare flipped bytes as int8. The last
 * N % 16 elements go through stack buffers, so nothing past N is read or written. Intrinsics
 * common to aarch64 and armv7 only: one source for both builds of level neon. */
#include <arm_neon.h>
#include <string.h>

#include "arm/qs8_arm.h"
#include "arm/requant_neon.h"

#define EDGE_INLINE static inline __attribute__((always_inline))

enum { OP_ADD, OP_SUB, OP_MUL, OP_MAX, OP_MIN, OP_SQD };

typedef struct bin_ctx {
    int32x4_t a_off, b_off, left, a_mult, a_right, b_mult, b_right;
    edge_neon_rq out;
    int32x4_t zp, lo, hi, flip32;
    int8x16_t flip8;
} bin_ctx;

/* Four lanes: the result before the output stage. */
EDGE_INLINE int32x4_t op4(const bin_ctx *k, int16x4_t a, int16x4_t b, int op)
{
    const int32x4_t xa = vaddw_s16(k->a_off, a), xb = vaddw_s16(k->b_off, b);
    if (op == OP_MUL)
        return edge_neon_mbqm(vmulq_s32(xa, xb), k->out);
    const int32x4_t sa = edge_neon_mbqm_lt1(vshlq_s32(xa, k->left), k->a_mult, k->a_right);
    const int32x4_t sb = edge_neon_mbqm_lt1(vshlq_s32(xb, k->left), k->b_mult, k->b_right);
    if (op == OP_SQD) {
        const int32x4_t d = vsubq_s32(sa, sb);
        return edge_neon_mbqm(vmulq_s32(d, d), k->out);
    }
    return edge_neon_mbqm(op == OP_SUB ? vsubq_s32(sa, sb) : vaddq_s32(sa, sb), k->out);
}

/* clamp(v + zp, lo, hi) - flip. */
EDGE_INLINE int32x4_t outq(const bin_ctx *k, int32x4_t v)
{
    v = vminq_s32(vmaxq_s32(vaddq_s32(v, k->zp), k->lo), k->hi);
    return vsubq_s32(v, k->flip32);
}

/* Eight flipped lanes of each input (int16) to eight stored int8 (before the flip back). */
EDGE_INLINE int8x8_t op8(const bin_ctx *k, int16x8_t a, int16x8_t b, int op)
{
    const int32x4_t v0 = outq(k, op4(k, vget_low_s16(a), vget_low_s16(b), op));
    const int32x4_t v1 = outq(k, op4(k, vget_high_s16(a), vget_high_s16(b), op));
    return vqmovn_s16(vcombine_s16(vqmovn_s32(v0), vqmovn_s32(v1)));
}

/* 16 inputs each to 16 stored outputs. */
EDGE_INLINE int8x16_t op16(const bin_ctx *k, int8x16_t a, int8x16_t b, int op)
{
    a = veorq_s8(a, k->flip8);
    b = veorq_s8(b, k->flip8);
    if (op == OP_MAX)
        return veorq_s8(vmaxq_s8(a, b), k->flip8);
    if (op == OP_MIN)
        return veorq_s8(vminq_s8(a, b), k->flip8);
    const int8x8_t lo = op8(k, vmovl_s8(vget_low_s8(a)), vmovl_s8(vget_low_s8(b)), op);
    const int8x8_t hi = op8(k, vmovl_s8(vget_high_s8(a)), vmovl_s8(vget_high_s8(b)), op);
    return veorq_s8(vcombine_s8(lo, hi), k->flip8);
}

EDGE_INLINE int8x16_t load16(const int8_t *x, size_t s)
{
    return s ? vld1q_s8(x) : vdupq_n_s8(x[0]);
}

EDGE_INLINE bin_ctx ctx_of(const edge_qs8_binary_params *p)
{
    const bin_ctx k = {
        .a_off = vdupq_n_s32(p->a_offset),
        .b_off = vdupq_n_s32(p->b_offset),
        .left = vdupq_n_s32(p->left_shift),
        .a_mult = vdupq_n_s32(p->a_mult),
        .a_right = vdupq_n_s32(p->a_shift),
        .b_mult = vdupq_n_s32(p->b_mult),
        .b_right = vdupq_n_s32(p->b_shift),
        .out = edge_neon_rq_make(vdupq_n_s32(p->out_mult), vdupq_n_s32(p->out_shift)),
        .zp = vdupq_n_s32(p->out_offset),
        .lo = vdupq_n_s32(p->lo),
        .hi = vdupq_n_s32(p->hi),
        .flip32 = vdupq_n_s32(p->flip),
        .flip8 = vdupq_n_s8((int8_t)p->flip),
    };
    return k;
}

EDGE_INLINE void run(size_t n, const int8_t *a, size_t as, const int8_t *b, size_t bs, int8_t *out,
                     const edge_qs8_binary_params *p, int op)
{
    EDGE_QS8_BINARY_CONTRACT(as, bs, p);
    const bin_ctx k = ctx_of(p);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        vst1q_s8(out + i, op16(&k, load16(a + i * as, as), load16(b + i * bs, bs), op));
    if (i < n) {
        int8_t ta[16] = {0}, tb[16] = {0}, to[16];
        memcpy(ta, a + i * as, as ? n - i : 1);
        memcpy(tb, b + i * bs, bs ? n - i : 1);
        vst1q_s8(to, op16(&k, load16(ta, as), load16(tb, bs), op));
        memcpy(out + i, to, n - i);
    }
}

#define BIN_KERNEL(name, op)                                                                  \
    void edge_qs8_##name##_bin__neon(size_t n, const int8_t *a, size_t as, const int8_t *b,   \
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
 * 8 elements a step as two int32x4 halves; the last N % 8 go through stack buffers. Results
 * lie within int16 (or int8) after the clamp, so the saturating narrowings are exact. */

/* Eight int16 at X (stride S: 1, or 0 for one element repeated). */
EDGE_INLINE int16x8_t load8h(const int16_t *x, size_t s)
{
    return s ? vld1q_s16(x) : vdupq_n_s16(x[0]);
}

/* Eight int16 of A and B to eight int16 results. */
EDGE_INLINE int16x8_t op8h(const bin_ctx *k, int16x8_t a, int16x8_t b, int op)
{
    const int32x4_t v0 = outq(k, op4(k, vget_low_s16(a), vget_low_s16(b), op));
    const int32x4_t v1 = outq(k, op4(k, vget_high_s16(a), vget_high_s16(b), op));
    return vcombine_s16(vqmovn_s32(v0), vqmovn_s32(v1));
}

EDGE_INLINE void run16(size_t n, const int16_t *a, size_t as, const int16_t *b, size_t bs,
                       int16_t *out, const edge_qs8_binary_params *p, int op)
{
    EDGE_QS8_BINARY_CONTRACT(as, bs, p);
    const bin_ctx k = ctx_of(p); /* flip is 0 for int16 */
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        vst1q_s16(out + i, op8h(&k, load8h(a + i * as, as), load8h(b + i * bs, bs), op));
    if (i < n) {
        int16_t ta[8] = {0}, tb[8] = {0}, to[8];
        memcpy(ta, a + i * as, (as ? n - i : 1) * sizeof *ta);
        memcpy(tb, b + i * bs, (bs ? n - i : 1) * sizeof *tb);
        vst1q_s16(to, op8h(&k, load8h(ta, as), load8h(tb, bs), op));
        memcpy(out + i, to, (n - i) * sizeof *to);
    }
}

void edge_q16_add_bin__neon(size_t n, const int16_t *a, size_t as, const int16_t *b, size_t bs,
                            int16_t *out, const edge_qs8_binary_params *p)
{
    run16(n, a, as, b, bs, out, p, OP_ADD);
}

void edge_q16_sub_bin__neon(size_t n, const int16_t *a, size_t as, const int16_t *b, size_t bs,
                            int16_t *out, const edge_qs8_binary_params *p)
{
    run16(n, a, as, b, bs, out, p, OP_SUB);
}

typedef struct map_ctx {
    edge_neon_rq pos, neg;
    bool one; /* the same multiplier for both signs */
    int32x4_t in_zp, out_zp, lo, hi;
} map_ctx;

/* Four int32 inputs to four results within the output type. */
EDGE_INLINE int32x4_t map4(const map_ctx *k, int32x4_t x)
{
    const int32x4_t d = vsubq_s32(x, k->in_zp);
    int32x4_t r = edge_neon_mbqm(d, k->pos);
    if (!k->one)
        r = vbslq_s32(vcltq_s32(d, vdupq_n_s32(0)), edge_neon_mbqm(d, k->neg), r);
    return vminq_s32(vmaxq_s32(vaddq_s32(r, k->out_zp), k->lo), k->hi);
}

/* Eight elements at IN (int16 or int32) to eight at OUT (int16 or int8). */
EDGE_INLINE void map8(const map_ctx *k, const void *in, bool in32, void *out, bool out8)
{
    int32x4_t x0, x1;
    if (in32) {
        x0 = vld1q_s32(in);
        x1 = vld1q_s32((const int32_t *)in + 4);
    } else {
        const int16x8_t h = vld1q_s16(in);
        x0 = vmovl_s16(vget_low_s16(h));
        x1 = vmovl_s16(vget_high_s16(h));
    }
    const int16x8_t r = vcombine_s16(vqmovn_s32(map4(k, x0)), vqmovn_s32(map4(k, x1)));
    if (out8)
        vst1_s8(out, vqmovn_s16(r));
    else
        vst1q_s16(out, r);
}

EDGE_INLINE void map_run(size_t n, const void *in, bool in32, void *out, bool out8,
                         const edge_q16_map_params *p)
{
    const map_ctx k = {
        edge_neon_rq_make(vdupq_n_s32(p->pos_mult), vdupq_n_s32(p->pos_shift)),
        edge_neon_rq_make(vdupq_n_s32(p->neg_mult), vdupq_n_s32(p->neg_shift)),
        p->pos_mult == p->neg_mult && p->pos_shift == p->neg_shift,
        vdupq_n_s32(p->in_zp),
        vdupq_n_s32(p->out_zp),
        vdupq_n_s32(p->lo),
        vdupq_n_s32(p->hi),
    };
    const size_t isz = in32 ? 4 : 2, osz = out8 ? 1 : 2;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        map8(&k, (const char *)in + i * isz, in32, (char *)out + i * osz, out8);
    if (i < n) {
        int32_t ti[8] = {0}, to[4];
        memcpy(ti, (const char *)in + i * isz, (n - i) * isz);
        map8(&k, ti, in32, to, out8);
        memcpy((char *)out + i * osz, to, (n - i) * osz);
    }
}

void edge_q16_map__neon(size_t n, const void *in, bool in32, void *out, bool out8,
                        const edge_q16_map_params *p)
{
    if (in32)
        out8 ? map_run(n, in, true, out, true, p) : map_run(n, in, true, out, false, p);
    else
        out8 ? map_run(n, in, false, out, true, p) : map_run(n, in, false, out, false, p);
}
