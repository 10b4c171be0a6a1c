/* kernels/generic/dconv_c.c - the direct CONV_2D of 1 to 4 input channels in portable C.
 *
 * Owns: edge_qs8_dconv_8c4__c (contract: qs8.h, "direct CONV_2D"), the executable
 * specification of the SIMD direct convolutions: per output pixel, the row words of
 * its window (dconv.h's gather), then each block of 8 channels over the packed
 * GEMM-layout weights (kr 4, a_bias 0); and edge_qs8_dconv_u8_8c4__c, the legacy uint8
 * one (uint8 input as it is plus the window term, qs8.h). In the portable table (qs8_c.c).
 * Does not own packing (dconv.c). */
#include <stdbool.h>
#include <string.h>

#include "dconv.h"
#include "generic/qs8_c.h"
#include "ref/requant.h"

#define CR 8
#define KR 4

/* The window's cells of row words X (k_h * rowk bytes, uint8 bits) summed. */
static int32_t window_sum(const edge_conv_params *p, size_t rowk, const int8_t *x)
{
    const size_t win = (size_t)p->k_w * (size_t)p->in_c;
    int32_t s = 0;
    for (size_t ky = 0; ky < (size_t)p->k_h; ky++)
        for (size_t j = 0; j < win; j++)
            s += (uint8_t)x[ky * rowk + j];
    return s;
}

/* Both kernels: U8 reads the input as uint8 and adds the window term (qs8.h). */
static void dconv(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1, bool u8)
{
    const edge_conv_params *p = a->p;
    const size_t rowk = edge_qs8_dconv_rowk(p), kc = edge_qs8_dconv_kc(p);
    const size_t ch = (size_t)p->out_c, blk = edge_qs8_gemm_block_bytes(CR, kc);
    const size_t img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    int8_t x[EDGE_QS8_DCONV_MAX_K];
    for (int32_t r = row0; r < row1; r++) {
        const int32_t b = r / p->out_h, oy = r % p->out_h;
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            edge_qs8_dconv_gather(p, a->in + (size_t)b * img, a->zp_in, rowk, oy, ox, x);
            const int32_t row =
                u8 ? edge_wrap_mul32(a->b, edge_wrap_sub32(window_sum(p, rowk, x), a->kzx)) : 0;
            int8_t *o = a->out + ((size_t)r * (size_t)p->out_w + (size_t)ox) * ch;
            for (size_t n0 = 0; n0 < ch; n0 += CR) {
                const uint8_t *hb = (const uint8_t *)a->w + n0 / CR * blk;
                const int8_t *w = (const int8_t *)(hb + 3 * CR * sizeof(int32_t));
                for (size_t j = 0; j < CR && n0 + j < ch; j++) {
                    int32_t hdr[3];
                    for (int i = 0; i < 3; i++)
                        memcpy(&hdr[i], hb + ((size_t)i * CR + j) * sizeof(int32_t), 4);
                    int32_t acc = edge_wrap_add32(hdr[0], row);
                    for (size_t k = 0; k < kc; k++) {
                        const int32_t xv = u8 ? (int32_t)(uint8_t)x[k] : (int32_t)x[k];
                        acc = edge_wrap_add32(
                            acc, edge_wrap_mul32(xv, w[(k / KR) * CR * KR + j * KR + k % KR]));
                    }
                    const int32_t v = edge_wrap_add32(edge_mbqm(acc, hdr[1], (int)hdr[2]), a->o.zp);
                    o[n0 + j] = (int8_t)edge_clamp32(v, a->o.lo, a->o.hi);
                }
            }
        }
    }
}

void edge_qs8_dconv_8c4__c(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, false);
}

void edge_qs8_dconv_u8_8c4__c(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, true);
}
