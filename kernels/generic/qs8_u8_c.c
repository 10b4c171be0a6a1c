/* kernels/generic/qs8_u8_c.c - the legacy uint8 GEMM contract (qs8.h) in portable C.
 *
 * Owns: edge_qs8_gemm_u8_4x8c4__c, the executable specification of edge_qs8_gemm_u8_fn
 * (uint8 A, a per-row addend, uint8 output) the SIMD versions follow, and the kernel tests'
 * and op drivers' oracle. Does not own packing (pack.c) or the table (qs8_c.c). */
#include <assert.h>
#include <string.h>

#include "generic/qs8_c.h"
#include "ref/requant.h"

#define U8_MR 4
#define U8_NR 8
#define U8_KR 4

static int32_t word(const uint8_t *blk, size_t i)
{
    int32_t v;
    memcpy(&v, blk + 4 * i, sizeof v);
    return v;
}

void edge_qs8_gemm_u8_4x8c4__c(size_t mr, size_t nc, size_t kc, const uint8_t *a, size_t a_stride,
                               const void *w, int32_t b, int32_t kzx, uint8_t *c, size_t c_stride,
                               const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, U8_MR, U8_KR);
    int32_t row[U8_MR];
    for (size_t m = 0; m < mr; m++) {
        uint32_t s = 0;
        for (size_t k = 0; k < kc; k++)
            s += a[m * a_stride + k];
        row[m] = (int32_t)((uint32_t)b * (s - (uint32_t)kzx));
    }
    const size_t block = edge_qs8_gemm_block_bytes(U8_NR, kc);
    for (size_t n = 0; n < nc; n++) {
        const uint8_t *blk = (const uint8_t *)w + n / U8_NR * block;
        const size_t j = n % U8_NR;
        const int8_t *wn = (const int8_t *)(blk + 12 * U8_NR) + j * U8_KR;
        for (size_t m = 0; m < mr; m++) {
            const uint8_t *am = a + m * a_stride;
            int32_t acc = edge_wrap_add32(word(blk, j), row[m]);
            for (size_t k = 0; k < kc; k++)
                acc = edge_wrap_add32(acc,
                                      (int32_t)am[k] * wn[k / U8_KR * U8_NR * U8_KR + k % U8_KR]);
            const int32_t v = edge_mbqm(acc, word(blk, U8_NR + j), (int)word(blk, 2 * U8_NR + j));
            c[m * c_stride + n] = (uint8_t)edge_clamp32(edge_wrap_add32(v, o->zp), o->lo, o->hi);
        }
    }
}

void edge_qs8_dw_u8__c(const edge_qs8_dw_u8_args *a, int32_t row0, int32_t row1)
{
    const edge_conv_params *p = a->p;
    const size_t c = (size_t)p->in_c, cp = edge_qs8_dw_u8_cp(c);
    const int32_t *bias = a->w;
    const int16_t *v = (const int16_t *)(bias + cp);
    EDGE_QS8_DW_U8_FOR_PIXELS(a, row0, row1)
    {
        for (size_t ch = 0; ch < c; ch++) {
            int32_t acc = bias[ch];
            EDGE_CONV_FOR_TAPS (p, oy, ox) {
                const int32_t x = img[((size_t)iy * (size_t)p->in_w + (size_t)ix) * c + ch];
                acc = edge_wrap_add32(acc, (x - a->zx) * v[(size_t)(fy * p->k_w + fx) * cp + ch]);
            }
            const int32_t r = edge_wrap_add32(edge_mbqm(acc, a->mult, (int)a->shift), a->o.zp);
            o[ch] = (uint8_t)edge_clamp32(r, a->o.lo, a->o.hi);
        }
    }
}
