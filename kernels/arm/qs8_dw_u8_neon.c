/* kernels/arm/qs8_dw_u8_neon.c - the legacy uint8 depthwise convolution of the ARM levels.
 *
 * Owns: edge_qs8_dw_u8_16c__neon (contract: qs8.h, "DEPTHWISE_CONV_2D of legacy uint8"; spec
 * edge_qs8_dw_u8__c), any window, stride, dilation and padding, depth multiplier 1, 16
 * channels a step. One source for aarch64 and armv7 (intrinsics common to both).
 * Arithmetic: the packed biasx (bias - zx * sum v) with every tap read, a tap outside the input
 * pointed at the packed zxrow (cp bytes of zx), so sum_t x * v over all taps equals the
 * specification's sum over the inside taps of (x - zx) * v. x (0..255) widens to int16 with
 * uxtl, v is int16 in [-255, 255], and smlal accumulates their int32 products, wrapping mod
 * 2^32 as edge_wrap_add32 does. Per-tensor requantization (requant_neon.h, edge_neon_mbqm),
 * then the zero point, unsigned saturating narrowing and the uint8 clamp (edge_neon_out16_u8).
 * Channel tails: the last step's input bytes go through a 16-byte copy and its output is
 * stored part by part, so nothing past a pixel's C channels is read or written.
 * Loop order: output pixel, 16-channel step, tap. Does not own packing (pack.c) or the
 * table entries (table_neon.c, table_neondot.c). */
#include <arm_neon.h>
#include <stdbool.h>
#include <string.h>

#include "arm/qs8_arm.h"
#include "arm/requant_neon.h"

#define EDGE_INLINE static inline __attribute__((always_inline))

/* 16 input bytes at P; N < 16: only N of them (the rest 0, never multiplied into a stored
 * channel). */
EDGE_INLINE uint8x16_t load_x(const uint8_t *p, size_t n)
{
    if (n >= 16)
        return vld1q_u8(p);
    uint8_t t[16] = {0};
    memcpy(t, p, n);
    return vld1q_u8(t);
}

/* acc[0..3] += x * v for 16 channels (v at VP: int16, 16 of them). */
EDGE_INLINE void mac16(int32x4_t acc[4], uint8x16_t x, const int16_t *vp)
{
    const int16x8_t xl = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(x)));
    const int16x8_t xh = vreinterpretq_s16_u16(vmovl_u8(vget_high_u8(x)));
    const int16x8_t v0 = vld1q_s16(vp), v1 = vld1q_s16(vp + 8);
    acc[0] = vmlal_s16(acc[0], vget_low_s16(xl), vget_low_s16(v0));
    acc[1] = vmlal_s16(acc[1], vget_high_s16(xl), vget_high_s16(v0));
    acc[2] = vmlal_s16(acc[2], vget_low_s16(xh), vget_low_s16(v1));
    acc[3] = vmlal_s16(acc[3], vget_high_s16(xh), vget_high_s16(v1));
}

void edge_qs8_dw_u8_16c__neon(const edge_qs8_dw_u8_args *a, int32_t row0, int32_t row1)
{
    const edge_conv_params *p = a->p;
    const edge_qs8_dw_u8_parts d = edge_qs8_dw_u8_parts_of(a);
    const size_t c = (size_t)p->in_c, cp = d.cp;
    const int16_t *v = d.v;
    const int32_t *biasx = d.biasx;
    const uint8_t *zxrow = d.zxrow;
    const edge_neon_rq rq = edge_neon_rq_make(vdupq_n_s32(a->mult), vdupq_n_s32(a->shift));
    const edge_neon_out out = edge_neon_out_make(&a->o);
    EDGE_QS8_DW_U8_FOR_PIXELS(a, row0, row1)
    {
        const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
        for (size_t c0 = 0; c0 < c; c0 += 16) {
            const size_t n = c - c0 < 16 ? c - c0 : 16;
            int32x4_t acc[4];
            for (int q = 0; q < 4; q++)
                acc[q] = vld1q_s32(biasx + c0 + 4 * (size_t)q);
            const int16_t *vp = v + c0;
            for (int32_t fy = 0; fy < p->k_h; fy++) {
                const int32_t iy = y0 + fy * p->dil_h;
                const bool row_in = iy >= 0 && iy < p->in_h;
                for (int32_t fx = 0; fx < p->k_w; fx++, vp += cp) {
                    const int32_t ix = x0 + fx * p->dil_w;
                    const uint8_t *xp =
                        row_in && ix >= 0 && ix < p->in_w
                            ? img + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * c + c0
                            : zxrow + c0;
                    mac16(acc, xp == zxrow + c0 ? vld1q_u8(xp) : load_x(xp, n), vp);
                }
            }
            const uint8x16_t y =
                edge_neon_out16_u8(edge_neon_mbqm(acc[0], rq), edge_neon_mbqm(acc[1], rq),
                                   edge_neon_mbqm(acc[2], rq), edge_neon_mbqm(acc[3], rq), &out);
            if (n == 16)
                vst1q_u8(o + c0, y);
            else
                edge_neon_store_part16((int8_t *)(o + c0), vreinterpretq_s8_u8(y), n);
        }
    }
}
