/* kernels/arm/qs8_dconv_neon.c - the direct CONV_2D of 1 to 4 input channels, level neon.
 *
 * Owns: edge_qs8_dconv_8c4__neon (contract: qs8.h, "direct CONV_2D"), NEON common to
 * aarch64 and armv7 (the neondot table points at it too). No im2col buffer: per output
 * pixel it gathers the window's row words (dconv.h), then for each block of 8 output
 * channels multiplies each word, duplicated to 8 bytes, with two channels' 4 weight
 * bytes at a time (vmull_s8: exact int16 products) and pairwise-accumulates into int32
 * (vpadalq_s16, wrapping as the reference's sum); a final pairwise add gives one int32
 * per channel, plus the packed bias, then requant_neon.h's output stage. a_bias 0.
 * edge_qs8_dconv_u8_8c4__neon, legacy uint8 (qs8.h), is the same code fed x ^ 0x80 (x - 128
 * as int8, the entry's a_bias -128) with the pixel's window term b * (sum of its cells - kzx)
 * added to every channel.
 * Does not own packing (dconv.c), the table or the contract. */
#include <arm_neon.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arm/qs8_arm.h"
#include "arm/requant_neon.h"
#include "dconv.h"

#define CR EDGE_DCONV_NEON_CR

/* The window's cells of row words XB (uint8 bits) summed. */
static int32_t window_sum(const edge_conv_params *p, size_t rowk, const int8_t *xb)
{
    const size_t win = (size_t)p->k_w * (size_t)p->in_c;
    uint32_t s = 0;
    for (size_t ky = 0; ky < (size_t)p->k_h; ky++)
        for (size_t j = 0; j < win; j++)
            s += (uint8_t)xb[ky * rowk + j];
    return (int32_t)s;
}

/* Both kernels: U8 the uint8 one. */
static inline __attribute__((always_inline)) void dconv(const edge_qs8_dconv_args *a, int32_t row0,
                                                        int32_t row1, bool u8)
{
    const edge_conv_params *p = a->p;
    const size_t rowk = edge_qs8_dconv_rowk(p), kc = edge_qs8_dconv_kc(p), groups = kc / 4;
    const size_t ch = (size_t)p->out_c, blk = edge_qs8_gemm_block_bytes(CR, kc);
    const size_t img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    const edge_neon_out out = edge_neon_out_make(&a->o);
    int8_t xb[EDGE_QS8_DCONV_MAX_K];
    for (int32_t r = row0; r < row1; r++) {
        const int32_t b = r / p->out_h, oy = r % p->out_h;
        const int8_t *in_b = a->in + (size_t)b * img;
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            edge_qs8_dconv_gather(p, in_b, a->zp_in, rowk, oy, ox, xb);
            const int32x4_t term =
                vdupq_n_s32(u8 ? (int32_t)((uint32_t)a->b *
                                           ((uint32_t)window_sum(p, rowk, xb) - (uint32_t)a->kzx))
                               : 0);
            int8_t *o = a->out + ((size_t)r * (size_t)p->out_w + (size_t)ox) * ch;
            for (size_t n0 = 0; n0 < ch; n0 += CR) {
                const uint8_t *hb = (const uint8_t *)a->w + n0 / CR * blk;
                const int8_t *w = (const int8_t *)(hb + 3 * CR * sizeof(int32_t));
                int32x4_t acc0 = vdupq_n_s32(0), acc1 = acc0, acc2 = acc0, acc3 = acc0;
                for (size_t g = 0; g < groups; g++, w += 4 * CR) {
                    uint32_t word;
                    memcpy(&word, xb + 4 * g, 4);
                    if (u8)
                        word ^= 0x80808080u;
                    const int8x8_t x = vreinterpret_s8_u32(vdup_n_u32(word));
                    const int8x16_t w03 = vld1q_s8(w), w47 = vld1q_s8(w + 16);
                    acc0 = vpadalq_s16(acc0, vmull_s8(x, vget_low_s8(w03)));
                    acc1 = vpadalq_s16(acc1, vmull_s8(x, vget_high_s8(w03)));
                    acc2 = vpadalq_s16(acc2, vmull_s8(x, vget_low_s8(w47)));
                    acc3 = vpadalq_s16(acc3, vmull_s8(x, vget_high_s8(w47)));
                }
                int32_t hdr[3 * CR];
                memcpy(hdr, hb, sizeof hdr);
                const int32x4_t s0 =
                    vcombine_s32(vpadd_s32(vget_low_s32(acc0), vget_high_s32(acc0)),
                                 vpadd_s32(vget_low_s32(acc1), vget_high_s32(acc1)));
                const int32x4_t s1 =
                    vcombine_s32(vpadd_s32(vget_low_s32(acc2), vget_high_s32(acc2)),
                                 vpadd_s32(vget_low_s32(acc3), vget_high_s32(acc3)));
                const int32x4_t v0 = edge_neon_mbqm(vaddq_s32(vaddq_s32(s0, term), vld1q_s32(hdr)),
                                                    edge_neon_rq_load(hdr + CR, hdr + 2 * CR));
                const int32x4_t v1 =
                    edge_neon_mbqm(vaddq_s32(vaddq_s32(s1, term), vld1q_s32(hdr + 4)),
                                   edge_neon_rq_load(hdr + CR + 4, hdr + 2 * CR + 4));
                const int8x8_t q = u8 ? vreinterpret_s8_u8(edge_neon_out8_u8(v0, v1, &out))
                                      : edge_neon_out8(v0, v1, &out);
                if (ch - n0 >= CR) {
                    vst1_s8(o + n0, q);
                } else {
                    int8_t t[8];
                    vst1_s8(t, q);
                    memcpy(o + n0, t, ch - n0);
                }
            }
        }
    }
}

void edge_qs8_dconv_8c4__neon(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, false);
}

void edge_qs8_dconv_u8_8c4__neon(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, true);
}
