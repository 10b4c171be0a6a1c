/* kernels/generic/qs8_c.c - the qs8.h micro-kernel contracts in portable C.
 *
 * Owns: a plain-C implementation of every contract in qs8.h, used (1) by the
 * kernel tests, which check the packers and the op drivers of backends/cpu
 * with it independently of any SIMD level, and (2) as the executable
 * specification the SIMD kernels of x86/ and arm/ follow. It is not a
 * dispatch level: EDGE_ISA_SCALAR runs kernels/ref directly.
 * Does not own packing (pack.c) or choosing kernels (dispatch.c). */
#include <string.h>

#include "dispatch.h"
#include "generic/qs8_c.h"
#include "ref/requant.h"
#include "ref/softmax.h"

#define C_MR 4
#define C_NR 8
#define C_KR 4
#define C_CR 8

static inline int8_t out_stage(int32_t acc, int32_t mult, int32_t shift, const edge_qs8_out *o)
{
    int32_t v = edge_wrap_add32(edge_mbqm(acc, mult, (int)shift), o->zp);
    return (int8_t)edge_clamp32(v, o->lo, o->hi);
}

static inline int32_t ld32(const uint8_t *p, size_t i)
{
    int32_t v;
    memcpy(&v, p + i * sizeof v, sizeof v);
    return v;
}

void edge_qs8_gemm_4x8c4__c(size_t mr, size_t nc, size_t kc, const int8_t *a, size_t a_stride,
                            const void *w, int8_t *c, size_t c_stride, const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, C_MR, C_KR);
    const uint8_t *blk = w;
    for (size_t n0 = 0; n0 < nc; n0 += C_NR, blk += edge_qs8_gemm_block_bytes(C_NR, kc)) {
        const int8_t *wp = (const int8_t *)(blk + 3 * C_NR * sizeof(int32_t));
        for (size_t m = 0; m < mr; m++) {
            const int8_t *ar = a + m * a_stride;
            for (size_t j = 0; j < C_NR && n0 + j < nc; j++) {
                int32_t acc = ld32(blk, j);
                for (size_t k = 0; k < kc; k++)
                    acc = edge_wrap_add32(
                        acc,
                        edge_wrap_mul32(ar[k], wp[(k / C_KR) * C_NR * C_KR + j * C_KR + k % C_KR]));
                c[m * c_stride + n0 + j] =
                    out_stage(acc, ld32(blk, C_NR + j), ld32(blk, 2 * C_NR + j), o);
            }
        }
    }
}

void edge_qs8_igemm_4x8c4__c(size_t mr, size_t nc, size_t taps, size_t tc,
                             const int8_t *const *ptrs, const void *w, int8_t *c, size_t c_stride,
                             const edge_qs8_out *o)
{
    const size_t kc = taps * tc;
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, C_MR, C_KR);
    const uint8_t *blk = w;
    for (size_t n0 = 0; n0 < nc; n0 += C_NR, blk += edge_qs8_gemm_block_bytes(C_NR, kc)) {
        const int8_t *wp = (const int8_t *)(blk + 3 * C_NR * sizeof(int32_t));
        for (size_t m = 0; m < mr; m++)
            for (size_t j = 0; j < C_NR && n0 + j < nc; j++) {
                int32_t acc = ld32(blk, j);
                for (size_t k = 0; k < kc; k++)
                    acc = edge_wrap_add32(
                        acc, edge_wrap_mul32(ptrs[m * taps + k / tc][k % tc],
                                             wp[(k / C_KR) * C_NR * C_KR + j * C_KR + k % C_KR]));
                c[m * c_stride + n0 + j] =
                    out_stage(acc, ld32(blk, C_NR + j), ld32(blk, 2 * C_NR + j), o);
            }
    }
}

void edge_qs8_dw__c(const edge_qs8_dw_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DW_CONTRACT(a, row0, row1);
    const edge_conv_params *p = a->p;
    const size_t ch = (size_t)p->in_c, taps = (size_t)p->k_h * (size_t)p->k_w;
    for (int32_t row = row0; row < row1; row++) {
        const int32_t b = row / p->out_h, oy = row % p->out_h;
        const int8_t *in_b = a->in + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * ch;
        int8_t *out_row = a->out + (size_t)row * (size_t)p->out_w * ch;
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            const uint8_t *blk = a->w;
            for (size_t c0 = 0; c0 < ch; c0 += C_CR, blk += edge_qs8_dw_block_bytes(C_CR, taps)) {
                const int8_t *wp = (const int8_t *)(blk + 3 * C_CR * sizeof(int32_t));
                for (size_t j = 0; j < C_CR && c0 + j < ch; j++) {
                    int32_t acc = ld32(blk, j);
                    for (int32_t ky = 0; ky < p->k_h; ky++)
                        for (int32_t kx = 0; kx < p->k_w; kx++) {
                            const int32_t iy = oy * p->stride_h - p->pad_h + ky * p->dil_h;
                            const int32_t ix = ox * p->stride_w - p->pad_w + kx * p->dil_w;
                            const bool inside = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
                            const int8_t x =
                                inside ? in_b[((size_t)iy * (size_t)p->in_w + (size_t)ix) * ch +
                                              c0 + j]
                                       : a->zero[c0 + j];
                            const size_t t = (size_t)ky * (size_t)p->k_w + (size_t)kx;
                            acc = edge_wrap_add32(acc, edge_wrap_mul32(x, wp[t * C_CR + j]));
                        }
                    out_row[(size_t)ox * ch + c0 + j] =
                        out_stage(acc, ld32(blk, C_CR + j), ld32(blk, 2 * C_CR + j), &a->o);
                }
            }
        }
    }
}

void edge_qs8_add__c(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                     const edge_qs8_add_params *p)
{
    EDGE_QS8_ADD_CONTRACT(p);
    for (size_t i = 0; i < n; i++) {
        const int32_t xa = edge_wrap_shl32(edge_wrap_add32(a[i], p->a_offset), p->left_shift);
        const int32_t xb = edge_wrap_shl32(edge_wrap_add32(b[i], p->b_offset), p->left_shift);
        const int32_t sa = edge_mbqm_lt1(xa, p->a_mult, p->a_shift);
        const int32_t sb = edge_mbqm_lt1(xb, p->b_mult, p->b_shift);
        int32_t v = edge_mbqm_lt1(edge_wrap_add32(sa, sb), p->out_mult, p->out_shift);
        v = edge_wrap_add32(v, p->out_offset);
        out[i] = (int8_t)edge_clamp32(v, p->lo, p->hi);
    }
}

void edge_qs8_sum_rows__c(size_t rows, size_t channels, const int8_t *x, size_t stride,
                          int32_t *acc)
{
    for (size_t r = 0; r < rows; r++, x += stride)
        for (size_t c = 0; c < channels; c++)
            acc[c] = edge_wrap_add32(acc[c], x[c]);
}

void edge_qu8_sum_rows__c(size_t rows, size_t channels, const uint8_t *x, size_t stride,
                          int32_t *acc)
{
    for (size_t r = 0; r < rows; r++, x += stride)
        for (size_t c = 0; c < channels; c++)
            acc[c] = edge_wrap_add32(acc[c], x[c]);
}

void edge_qs8_softmax__c(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                         const edge_qs8_softmax_params *p)
{
    for (size_t r = 0; r < rows; r++, x += depth, out += depth) {
        uint8_t m = 0;
        for (size_t c = 0; c < depth; c++)
            m = (uint8_t)(x[c] ^ p->flip) > m ? (uint8_t)(x[c] ^ p->flip) : m;
        int64_t sum = 0;
        for (size_t c = 0; c < depth; c++)
            sum += edge_softmax_term(p->exp[m - (uint8_t)(x[c] ^ p->flip)]);
        int32_t scale;
        int exponent;
        const bool live = edge_softmax_row_scale(sum, &scale, &exponent);
        for (size_t c = 0; c < depth; c++) {
            int32_t v = 0;
            if (live)
                v = edge_rdbpot(edge_srdhm(scale, p->exp[m - (uint8_t)(x[c] ^ p->flip)]), exponent);
            out[c] = (uint8_t)((v < 255 ? v : 255) ^ p->flip);
        }
    }
}

const edge_kernels edge_kernels_c = {
    .isa = EDGE_ISA_SCALAR,
    .name = "c",
    .gemm = {edge_qs8_gemm_4x8c4__c, "qs8_gemm_4x8c4__c", C_MR, C_NR, C_KR, 0, NULL},
    .igemm = {edge_qs8_igemm_4x8c4__c, "qs8_igemm_4x8c4__c"},
    .gemm_u8 = {edge_qs8_gemm_u8_4x8c4__c, "qs8_gemm_u8_4x8c4__c", 4, 8, 4},
    .dw_u8 = {edge_qs8_dw_u8__c, "qs8_dw_u8__c"},
    .dw = {edge_qs8_dw__c, "qs8_dw_8c__c", C_CR},
    .dconv = {edge_qs8_dconv_8c4__c, "qs8_dconv_8c4__c", 8, 4, 0},
    .dconv_u8 = {edge_qs8_dconv_u8_8c4__c, "qs8_dconv_u8_8c4__c", 0},
    .add = {edge_qs8_add__c, "qs8_add__c"},
    .sum_rows = {edge_qs8_sum_rows__c, edge_qu8_sum_rows__c, "qs8_sum_rows__c", "qu8_sum_rows__c"},
    .softmax = {edge_qs8_softmax__c, "qs8_softmax__c"},
};
