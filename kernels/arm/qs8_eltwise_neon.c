/* kernels/arm/qs8_eltwise_neon.c - int8 ADD and channel sums of level neon (aarch64 and armv7).
 *
 * Owns: edge_qs8_add_16__neon (qs8.h, ADD: TFLite's quantized Add, 16 elements
 * a step) and edge_qs8_sum_rows_16c__neon (qs8.h, sums over channels-last
 * windows for AVERAGE_POOL_2D and MEAN, 16 channels a step). Written with the
 * NEON intrinsics common to aarch64 and armv7: one source for both builds of
 * level neon, and the neondot table reuses both.
 * ADD per element: sign-extend to int16, add the input offset while widening to
 * int32 (saddw: exact, wraps like edge_wrap_add32), shift left, then
 * requant_neon.h's edge_neon_mbqm_lt1 for each input and for their sum.
 * SUM_ROWS: the rows of a 16-channel strip are added in int16 (saddw) for at
 * most 256 rows at a time (the extreme, 256 * -128 = -32768, still fits), then
 * widened into the int32 accumulators; int32 addition wraps, so the order of
 * the additions does not change the result. edge_qu8_sum_rows_16c__neon: the same
 * over uint8 bytes (uaddw, unsigned int16 sums of up to 256 rows).
 * Element and channel tails go through small stack buffers or scalar code, so
 * nothing is read or written past N elements / CHANNELS channels.
 * Does not own parameter derivation (backends/cpu) or the tables. */
#include <arm_neon.h>
#include <string.h>

#include "arm/qs8_arm.h"
#include "arm/requant_neon.h"
#include "ref/requant.h"

#define EDGE_INLINE static inline __attribute__((always_inline))

/* ---- ADD ---- */

typedef struct add_consts {
    int32x4_t a_off, b_off, left;
    int32x4_t a_mult, a_right, b_mult, b_right, out_mult, out_right;
    edge_neon_out out;
} add_consts;

/* One input's four lanes: mbqm_lt1((x + off) << left, mult, shift). */
EDGE_INLINE int32x4_t add_input(int16x4_t x, int32x4_t off, int32x4_t left, int32x4_t mult,
                                int32x4_t right)
{
    return edge_neon_mbqm_lt1(vshlq_s32(vaddw_s16(off, x), left), mult, right);
}

/* Four output lanes before the output stage. */
EDGE_INLINE int32x4_t add4(int16x4_t xa, int16x4_t xb, const add_consts *k)
{
    const int32x4_t sa = add_input(xa, k->a_off, k->left, k->a_mult, k->a_right);
    const int32x4_t sb = add_input(xb, k->b_off, k->left, k->b_mult, k->b_right);
    return edge_neon_mbqm_lt1(vaddq_s32(sa, sb), k->out_mult, k->out_right);
}

EDGE_INLINE int8x16_t add16(int8x16_t a, int8x16_t b, const add_consts *k)
{
    const int16x8_t a0 = vmovl_s8(vget_low_s8(a)), a1 = vmovl_s8(vget_high_s8(a));
    const int16x8_t b0 = vmovl_s8(vget_low_s8(b)), b1 = vmovl_s8(vget_high_s8(b));
    return edge_neon_out16(add4(vget_low_s16(a0), vget_low_s16(b0), k),
                           add4(vget_high_s16(a0), vget_high_s16(b0), k),
                           add4(vget_low_s16(a1), vget_low_s16(b1), k),
                           add4(vget_high_s16(a1), vget_high_s16(b1), k), &k->out);
}

static add_consts add_consts_make(const edge_qs8_add_params *p)
{
    EDGE_QS8_ADD_CONTRACT(p);
    const edge_qs8_out o = {p->out_offset, p->lo, p->hi};
    add_consts k = {
        .a_off = vdupq_n_s32(p->a_offset),
        .b_off = vdupq_n_s32(p->b_offset),
        .left = vdupq_n_s32(p->left_shift),
        .a_mult = vdupq_n_s32(p->a_mult),
        .a_right = vdupq_n_s32(p->a_shift),
        .b_mult = vdupq_n_s32(p->b_mult),
        .b_right = vdupq_n_s32(p->b_shift),
        .out_mult = vdupq_n_s32(p->out_mult),
        .out_right = vdupq_n_s32(p->out_shift),
        .out = edge_neon_out_make(&o),
    };
    return k;
}

void edge_qs8_add_16__neon(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                           const edge_qs8_add_params *p)
{
    const add_consts k = add_consts_make(p);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        vst1q_s8(out + i, add16(vld1q_s8(a + i), vld1q_s8(b + i), &k));
    if (i < n) {
        int8_t ta[16] = {0}, tb[16] = {0}, to[16];
        memcpy(ta, a + i, n - i);
        memcpy(tb, b + i, n - i);
        vst1q_s8(to, add16(vld1q_s8(ta), vld1q_s8(tb), &k));
        memcpy(out + i, to, n - i);
    }
}

/* ---- SUM_ROWS ---- */

/* Rows per int16 pass: 256 * -128 = -32768 is the extreme that still fits. */
#define SUM16_ROWS 256

/* acc[0..15] += the sum of ROWS rows of 16 int8 (stride STRIDE) at X. Rows go
 * in pairs into two sets of int16 sums (four independent add chains); each set
 * takes at most 128 rows of a pass, so their sum still fits int16. */
static void sum_rows16(size_t rows, const int8_t *x, size_t stride, int32_t *acc)
{
    int32x4_t a0 = vld1q_s32(acc), a1 = vld1q_s32(acc + 4);
    int32x4_t a2 = vld1q_s32(acc + 8), a3 = vld1q_s32(acc + 12);
    for (size_t r0 = 0; r0 < rows; r0 += SUM16_ROWS) {
        const size_t r1 = rows - r0 < SUM16_ROWS ? rows : r0 + SUM16_ROWS;
        int16x8_t s0 = vdupq_n_s16(0), s1 = vdupq_n_s16(0);
        int16x8_t t0 = vdupq_n_s16(0), t1 = vdupq_n_s16(0);
        size_t r = r0;
        for (; r + 2 <= r1; r += 2) {
            const int8x16_t u = vld1q_s8(x + r * stride), v = vld1q_s8(x + (r + 1) * stride);
            s0 = vaddw_s8(s0, vget_low_s8(u));
            s1 = vaddw_s8(s1, vget_high_s8(u));
            t0 = vaddw_s8(t0, vget_low_s8(v));
            t1 = vaddw_s8(t1, vget_high_s8(v));
        }
        if (r < r1) {
            const int8x16_t u = vld1q_s8(x + r * stride);
            s0 = vaddw_s8(s0, vget_low_s8(u));
            s1 = vaddw_s8(s1, vget_high_s8(u));
        }
        s0 = vaddq_s16(s0, t0);
        s1 = vaddq_s16(s1, t1);
        a0 = vaddw_s16(a0, vget_low_s16(s0));
        a1 = vaddw_s16(a1, vget_high_s16(s0));
        a2 = vaddw_s16(a2, vget_low_s16(s1));
        a3 = vaddw_s16(a3, vget_high_s16(s1));
    }
    vst1q_s32(acc, a0);
    vst1q_s32(acc + 4, a1);
    vst1q_s32(acc + 8, a2);
    vst1q_s32(acc + 12, a3);
}

/* acc[0..7] += the sum of ROWS rows of 8 int8. */
static void sum_rows8(size_t rows, const int8_t *x, size_t stride, int32_t *acc)
{
    int32x4_t a0 = vld1q_s32(acc), a1 = vld1q_s32(acc + 4);
    for (size_t r0 = 0; r0 < rows; r0 += SUM16_ROWS) {
        const size_t r1 = rows - r0 < SUM16_ROWS ? rows : r0 + SUM16_ROWS;
        int16x8_t s = vdupq_n_s16(0);
        for (size_t r = r0; r < r1; r++)
            s = vaddw_s8(s, vld1_s8(x + r * stride));
        a0 = vaddw_s16(a0, vget_low_s16(s));
        a1 = vaddw_s16(a1, vget_high_s16(s));
    }
    vst1q_s32(acc, a0);
    vst1q_s32(acc + 4, a1);
}

/* acc[0..15] += the sum of ROWS rows of 16 uint8 at X: unsigned int16 sums of at most 256
 * rows (65280), widened into the accumulators (as unsigned; int32 addition wraps). */
static void sum_rows16_u8(size_t rows, const uint8_t *x, size_t stride, int32_t *acc)
{
    uint32x4_t a0 = vreinterpretq_u32_s32(vld1q_s32(acc));
    uint32x4_t a1 = vreinterpretq_u32_s32(vld1q_s32(acc + 4));
    uint32x4_t a2 = vreinterpretq_u32_s32(vld1q_s32(acc + 8));
    uint32x4_t a3 = vreinterpretq_u32_s32(vld1q_s32(acc + 12));
    for (size_t r0 = 0; r0 < rows; r0 += SUM16_ROWS) {
        const size_t r1 = rows - r0 < SUM16_ROWS ? rows : r0 + SUM16_ROWS;
        uint16x8_t s0 = vdupq_n_u16(0), s1 = vdupq_n_u16(0);
        for (size_t r = r0; r < r1; r++) {
            const uint8x16_t u = vld1q_u8(x + r * stride);
            s0 = vaddw_u8(s0, vget_low_u8(u));
            s1 = vaddw_u8(s1, vget_high_u8(u));
        }
        a0 = vaddw_u16(a0, vget_low_u16(s0));
        a1 = vaddw_u16(a1, vget_high_u16(s0));
        a2 = vaddw_u16(a2, vget_low_u16(s1));
        a3 = vaddw_u16(a3, vget_high_u16(s1));
    }
    vst1q_s32(acc, vreinterpretq_s32_u32(a0));
    vst1q_s32(acc + 4, vreinterpretq_s32_u32(a1));
    vst1q_s32(acc + 8, vreinterpretq_s32_u32(a2));
    vst1q_s32(acc + 12, vreinterpretq_s32_u32(a3));
}

void edge_qu8_sum_rows_16c__neon(size_t rows, size_t channels, const uint8_t *x, size_t stride,
                                 int32_t *acc)
{
    size_t c = 0;
    for (; c + 16 <= channels; c += 16)
        sum_rows16_u8(rows, x + c, stride, acc + c);
    for (; c < channels; c++) {
        uint32_t s = (uint32_t)acc[c];
        for (size_t r = 0; r < rows; r++)
            s += x[r * stride + c];
        acc[c] = (int32_t)s;
    }
}

void edge_qs8_sum_rows_16c__neon(size_t rows, size_t channels, const int8_t *x, size_t stride,
                                 int32_t *acc)
{
    size_t c = 0;
    for (; c + 16 <= channels; c += 16)
        sum_rows16(rows, x + c, stride, acc + c);
    if (c + 8 <= channels) {
        sum_rows8(rows, x + c, stride, acc + c);
        c += 8;
    }
    for (; c < channels; c++) {
        int32_t s = acc[c];
        for (size_t r = 0; r < rows; r++)
            s = edge_wrap_add32(s, x[r * stride + c]);
        acc[c] = s;
    }
}
