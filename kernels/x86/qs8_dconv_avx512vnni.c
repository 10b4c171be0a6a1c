/* kernels/x86/qs8_dconv_avx512vnni.c - the direct CONV_2D of 1 to 4 input channels, avx512vnni.
 *
 * Owns: edge_qs8_dconv_16c4__avx512vnni (contract: qs8.h, "direct CONV_2D"). No im2col
 * buffer: for a run of up to PX output pixels of one output row it gathers the pixels'
 * windows as row words (for the run's pixels inside the input: masked word loads when
 * pixels lie 1, 2 or 4 bytes apart, vpgatherdd otherwise; dconv.h's gather at the
 * borders), then for each block of
 * 16 output channels broadcasts each word (fed as x ^ 0x80, a_bias 128) into vpdpbusd
 * against the block's packed weights, requantizes 16 lanes (requant_avx512.h, prep form
 * once per block and run) and stores the block's channels with a byte mask.
 * Narrow outputs (out_c <= 8, first layers such as person_detect's 1 -> 8): one vector
 * holds pp = 16 / cw pixels of cw channels (cw = out_c rounded up to 1, 2, 4 or 8), the
 * words kept per group across pixels so one vpermd spreads pp pixels' words over their
 * lanes; the weights, bias and multipliers are replicated over the pp lane groups once
 * per call, and a byte shuffle packs the pp pixels' out_c channels for one masked store.
 * edge_qs8_dconv_u8_16c4__avx512vnni is the same code for legacy uint8 (qs8.h): the input
 * bytes go into vpdpbusd as they are, and each run's window sums (one vpdpbusd per word
 * group against ones over the window's bytes) give every pixel's b * (sum - kzx), added to
 * its accumulators.
 * Does not own packing (dconv.c), the table or the contract. */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dconv.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx512.h"

#define CR EDGE_DCONV_AVX512VNNI_CR
#define PX 16 /* output pixels gathered per run: one vector of words */

/* The 4 bytes at SRC + j * STEP (STEP 1, 2 or 4) in lane j, for the lanes of M (the others
 * 0); reads only bytes below SRC + j * STEP + 4 of those lanes. */
static inline __m512i load_words(const int8_t *src, size_t step, __mmask16 m)
{
    if (step == 4)
        return _mm512_maskz_loadu_epi32(m, src);
    if (step == 2) {
        const __m512i lo = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, src));
        const __m512i hi = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, src + 2));
        return _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16));
    }
    __m512i v = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, src));
    for (int k = 1; k < 4; k++)
        v = _mm512_or_si512(v,
                            _mm512_sll_epi32(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, src + k)),
                                             _mm_cvtsi32_si128(8 * k)));
    return v;
}

/* The row words of output pixels OX0 .. OX0 + NP - 1 (NP <= PX) of output row OY, word g
 * of pixel j at XT[g * PX + j]. The pixels whose windows stay inside the input columns
 * load each word with one masked vpgatherdd per window row and group (rows outside the
 * input: the zero point's word); the others (at the borders) go pixel by pixel through
 * dconv.h's gather. */
static void gather_run(const edge_conv_params *p, const int8_t *in_b, int8_t zp, size_t rowk,
                       int32_t oy, int32_t ox0, int32_t np, uint32_t *xt)
{
    const size_t c = (size_t)p->in_c, row_bytes = (size_t)p->in_w * c, gw = rowk / 4;
    const size_t groups = (size_t)p->k_h * gw;
    const int32_t xa = ox0 * p->stride_w - p->pad_w;
    const int8_t *in_end = in_b + (size_t)p->in_h * row_bytes;
    unsigned inner = 0;
    for (int32_t j = 0; j < np; j++) {
        const int32_t xj = xa + j * p->stride_w;
        if (xj >= 0 && (size_t)xj * c + rowk <= row_bytes)
            inner |= 1u << j;
    }
    if (inner) {
        const __m512i idx = _mm512_mullo_epi32(
            _mm512_add_epi32(_mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                                  11, 12, 13, 14, 15),
                                                _mm512_set1_epi32(p->stride_w)),
                             _mm512_set1_epi32(xa)),
            _mm512_set1_epi32(p->in_c));
        const __mmask16 m = (__mmask16)inner;
        const __m512i zw = _mm512_set1_epi8(zp);
        /* pixels 4, 2 or 1 bytes apart with the first one inside: word loads, no gather */
        const size_t step = (size_t)p->stride_w * c;
        const bool dense = xa >= 0 && step <= 4 && step != 3;
        /* an even step whose 16 windows span at most 128 bytes (3 channels at stride 2, the
         * usual RGB first layer): two loads, then one vpermt2w per word group picks each
         * pixel's word as two 16-bit halves (vpgatherdd was half the layer's time) */
        const bool paired = !dense && xa >= 0 && step % 2 == 0 && 15 * step + rowk <= 128;
        __m512i pidx = _mm512_setzero_si512();
        if (paired) {
            int16_t ix[32];
            for (int j = 0; j < 16; j++) {
                ix[2 * j] = (int16_t)((size_t)j * step / 2);
                ix[2 * j + 1] = (int16_t)((size_t)j * step / 2 + 1);
            }
            pidx = _mm512_loadu_si512(ix);
        }
        uint32_t *d = xt;
        for (int32_t ky = 0; ky < p->k_h; ky++, d += gw * PX) {
            const int32_t iy = oy * p->stride_h - p->pad_h + ky;
            if (iy < 0 || iy >= p->in_h) {
                for (size_t g = 0; g < gw; g++)
                    _mm512_storeu_si512(d + g * PX, zw);
                continue;
            }
            const int8_t *row = in_b + (size_t)iy * row_bytes;
            if (paired) {
                /* plain loads while the input goes on for 128 bytes (bytes past the row feed
                 * no inner pixel); masked ones, within the input, at its end */
                const int8_t *src = row + (size_t)xa * c;
                const size_t avail = (size_t)(in_end - src);
                __m512i lo, hi;
                if (avail >= 128) {
                    lo = _mm512_loadu_si512(src);
                    hi = _mm512_loadu_si512(src + 64);
                } else {
                    const __mmask64 m0 = avail >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << avail) - 1;
                    const __mmask64 m1 = avail > 64 ? ((__mmask64)1 << (avail - 64)) - 1 : 0;
                    lo = _mm512_maskz_loadu_epi8(m0, src);
                    hi = _mm512_maskz_loadu_epi8(m1, src + 64);
                }
                for (size_t g = 0; g < gw; g++) {
                    const __m512i ig = _mm512_add_epi16(pidx, _mm512_set1_epi16((int16_t)(2 * g)));
                    _mm512_storeu_si512(
                        d + g * PX,
                        _mm512_mask_mov_epi32(zw, m, _mm512_permutex2var_epi16(lo, ig, hi)));
                }
                continue;
            }
            for (size_t g = 0; g < gw; g++) {
                __m512i v;
                if (dense)
                    v = _mm512_mask_mov_epi32(zw, m,
                                              load_words(row + (size_t)xa * c + 4 * g, step, m));
                else
                    v = _mm512_mask_i32gather_epi32(zw, m, idx, row + 4 * g, 1);
                _mm512_storeu_si512(d + g * PX, v);
            }
        }
    }
    int8_t xb[EDGE_QS8_DCONV_MAX_K];
    for (int32_t j = 0; j < np; j++) {
        if (inner >> j & 1)
            continue;
        edge_qs8_dconv_gather(p, in_b, zp, rowk, oy, ox0 + j, xb);
        for (size_t g = 0; g < groups; g++)
            memcpy(&xt[g * PX + (size_t)j], xb + 4 * g, 4);
    }
}

/* The uint8 kernels' window words: ONES[g] has 1 in each byte of word group g (of a window
 * row's GW) that holds a window cell, 0 in the bytes past the row's k_w * in_c. */
static void window_ones(const edge_conv_params *p, size_t gw, uint32_t *ones)
{
    const size_t win = (size_t)p->k_w * (size_t)p->in_c;
    for (size_t g = 0; g < gw; g++) {
        const size_t nb = win - 4 * g < 4 ? win - 4 * g : 4;
        ones[g] = nb == 4 ? 0x01010101u : 0x01010101u & ((1u << (8 * nb)) - 1);
    }
}

/* Each run pixel's window term b * (sum of its cells - kzx) (uint8; qs8.h), pixel j in lane
 * j, from the run's row words XT (lanes past the run: anything). */
static inline __m512i window_term(const edge_qs8_dconv_args *a, const uint32_t *xt, size_t groups,
                                  size_t gw, const uint32_t *ones)
{
    __m512i s = _mm512_setzero_si512();
    for (size_t g = 0; g < groups; g++)
        s = _mm512_dpbusd_epi32(s, _mm512_loadu_si512(xt + g * PX),
                                _mm512_set1_epi32((int32_t)ones[g % gw]));
    return _mm512_mullo_epi32(_mm512_sub_epi32(s, _mm512_set1_epi32(a->kzx)),
                              _mm512_set1_epi32(a->b));
}

/* out_c <= 8: pp pixels per vector (see above); U8: the uint8 kernel. */
static inline __attribute__((always_inline)) void run_narrow(const edge_qs8_dconv_args *a,
                                                             int32_t row0, int32_t row1, bool u8)
{
    const edge_conv_params *p = a->p;
    const size_t rowk = edge_qs8_dconv_rowk(p), kc = edge_qs8_dconv_kc(p), groups = kc / 4;
    const size_t ch = (size_t)p->out_c;
    const size_t img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    const int cw = ch <= 1 ? 1 : ch <= 2 ? 2 : ch <= 4 ? 4 : 8, pp = 16 / cw;
    int32_t ic[16], ip[16];
    uint8_t sh[16];
    for (int i = 0; i < 16; i++) {
        ic[i] = i % cw;
        ip[i] = i / cw;
        sh[i] = i < pp * (int)ch ? (uint8_t)(i / (int)ch * cw + i % (int)ch) : 0x80;
    }
    const __m512i idx_c = _mm512_loadu_si512(ic), idx_p = _mm512_loadu_si512(ip);
    const __m128i pack = _mm_loadu_si128((const __m128i *)sh);
    const uint8_t *hb = a->w;
    const __m512i bias = _mm512_permutexvar_epi32(idx_c, _mm512_loadu_si512(hb));
    const edge_rq_avx512 rq =
        edge_rq_prep_avx512(_mm512_permutexvar_epi32(idx_c, _mm512_loadu_si512(hb + 64)),
                            _mm512_permutexvar_epi32(idx_c, _mm512_loadu_si512(hb + 128)));
    const uint8_t *w = hb + 3 * CR * sizeof(int32_t);
    __m512i wrep[EDGE_QS8_DCONV_MAX_K / 4];
    for (size_t g = 0; g < groups; g++)
        wrep[g] = _mm512_permutexvar_epi32(idx_c, _mm512_loadu_si512(w + g * 64));
    const __m512i zp = _mm512_set1_epi32(a->o.zp), lo = _mm512_set1_epi32(a->o.lo);
    const __m512i hi = _mm512_set1_epi32(a->o.hi);
    const __m512i flip = _mm512_set1_epi32(u8 ? 0 : (int32_t)0x80808080);
    const size_t gw = rowk / 4;
    uint32_t ones[EDGE_QS8_DCONV_MAX_K / 4];
    if (u8)
        window_ones(p, gw, ones);
    /* word g of pixel j at xt[g * PX + j]; a load of 16 may run into the next group (or the
     * spare row) for pixels past the run, whose lanes are never stored */
    uint32_t xt[(EDGE_QS8_DCONV_MAX_K / 4 + 1) * PX];
    for (int32_t r = row0; r < row1; r++) {
        const int32_t b = r / p->out_h, oy = r % p->out_h;
        const int8_t *in_b = a->in + (size_t)b * img;
        int8_t *out_r = a->out + (size_t)r * (size_t)p->out_w * ch;
        for (int32_t x0 = 0; x0 < p->out_w; x0 += PX) {
            const int32_t np = p->out_w - x0 < PX ? p->out_w - x0 : PX;
            gather_run(p, in_b, a->zp_in, rowk, oy, x0, np, xt);
            const __m512i term = u8 ? window_term(a, xt, groups, gw, ones) : _mm512_setzero_si512();
            for (int32_t j0 = 0; j0 < np; j0 += pp) {
                __m512i acc0 = bias, acc1 = _mm512_setzero_si512();
                if (u8)
                    acc0 = _mm512_add_epi32(
                        acc0, _mm512_permutexvar_epi32(
                                  _mm512_add_epi32(idx_p, _mm512_set1_epi32(j0)), term));
                size_t g = 0;
                for (; g + 2 <= groups; g += 2) {
                    const __m512i x0v = _mm512_permutexvar_epi32(
                        idx_p, _mm512_loadu_si512(xt + g * PX + (size_t)j0));
                    const __m512i x1v = _mm512_permutexvar_epi32(
                        idx_p, _mm512_loadu_si512(xt + (g + 1) * PX + (size_t)j0));
                    acc0 = _mm512_dpbusd_epi32(acc0, _mm512_xor_si512(x0v, flip), wrep[g]);
                    acc1 = _mm512_dpbusd_epi32(acc1, _mm512_xor_si512(x1v, flip), wrep[g + 1]);
                }
                if (g < groups) {
                    const __m512i xv = _mm512_permutexvar_epi32(
                        idx_p, _mm512_loadu_si512(xt + g * PX + (size_t)j0));
                    acc0 = _mm512_dpbusd_epi32(acc0, _mm512_xor_si512(xv, flip), wrep[g]);
                }
                const __m512i v = edge_mbqm_prep_avx512(_mm512_add_epi32(acc0, acc1), &rq);
                const __m128i q = _mm_shuffle_epi8(edge_out16_avx512(v, zp, lo, hi), pack);
                const int32_t npx = np - j0 < pp ? np - j0 : pp;
                const unsigned bytes = (unsigned)npx * (unsigned)ch;
                _mm_mask_storeu_epi8(out_r + (size_t)(x0 + j0) * ch,
                                     (__mmask16)(bytes >= 16 ? 0xFFFFu : (1u << bytes) - 1), q);
            }
        }
    }
}

/* Both kernels: U8 the uint8 one. */
static inline __attribute__((always_inline)) void dconv(const edge_qs8_dconv_args *a, int32_t row0,
                                                        int32_t row1, bool u8)
{
    if (a->p->out_c <= 8) {
        run_narrow(a, row0, row1, u8);
        return;
    }
    const edge_conv_params *p = a->p;
    const size_t rowk = edge_qs8_dconv_rowk(p), kc = edge_qs8_dconv_kc(p), groups = kc / 4;
    const size_t ch = (size_t)p->out_c, blk = edge_qs8_gemm_block_bytes(CR, kc);
    const size_t img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    const __m512i zp = _mm512_set1_epi32(a->o.zp), lo = _mm512_set1_epi32(a->o.lo);
    const __m512i hi = _mm512_set1_epi32(a->o.hi);
    const __m512i flip = _mm512_set1_epi32(u8 ? 0 : (int32_t)0x80808080);
    const size_t gw = rowk / 4;
    uint32_t ones[EDGE_QS8_DCONV_MAX_K / 4];
    if (u8)
        window_ones(p, gw, ones);
    uint32_t xt[PX * EDGE_QS8_DCONV_MAX_K / 4];
    int32_t term[PX];
    for (int32_t r = row0; r < row1; r++) {
        const int32_t b = r / p->out_h, oy = r % p->out_h;
        const int8_t *in_b = a->in + (size_t)b * img;
        int8_t *out_r = a->out + (size_t)r * (size_t)p->out_w * ch;
        for (int32_t x0 = 0; x0 < p->out_w; x0 += PX) {
            const int32_t np = p->out_w - x0 < PX ? p->out_w - x0 : PX;
            gather_run(p, in_b, a->zp_in, rowk, oy, x0, np, xt);
            if (u8)
                _mm512_storeu_si512(term, window_term(a, xt, groups, gw, ones));
            for (size_t n0 = 0; n0 < ch; n0 += CR) {
                const uint8_t *hb = (const uint8_t *)a->w + n0 / CR * blk;
                const __m512i bias = _mm512_loadu_si512(hb);
                const edge_rq_avx512 rq =
                    edge_rq_prep_avx512(_mm512_loadu_si512(hb + 64), _mm512_loadu_si512(hb + 128));
                const uint8_t *w = hb + 3 * CR * sizeof(int32_t);
                const __mmask16 m =
                    ch - n0 >= CR ? (__mmask16)0xFFFF : (__mmask16)((1u << (ch - n0)) - 1);
                int8_t *o = out_r + (size_t)x0 * ch + n0;
                for (int32_t j = 0; j < np; j++, o += ch) {
                    const uint32_t *x = xt + j;
                    __m512i acc0 = bias, acc1 = _mm512_setzero_si512();
                    if (u8)
                        acc0 = _mm512_add_epi32(acc0, _mm512_set1_epi32(term[j]));
                    size_t g = 0;
                    for (; g + 2 <= groups; g += 2) {
                        const __m512i x0v =
                            _mm512_xor_si512(_mm512_set1_epi32((int32_t)x[g * PX]), flip);
                        const __m512i x1v =
                            _mm512_xor_si512(_mm512_set1_epi32((int32_t)x[(g + 1) * PX]), flip);
                        acc0 = _mm512_dpbusd_epi32(acc0, x0v, _mm512_loadu_si512(w + g * 64));
                        acc1 = _mm512_dpbusd_epi32(acc1, x1v, _mm512_loadu_si512(w + g * 64 + 64));
                    }
                    if (g < groups) {
                        const __m512i xv =
                            _mm512_xor_si512(_mm512_set1_epi32((int32_t)x[g * PX]), flip);
                        acc0 = _mm512_dpbusd_epi32(acc0, xv, _mm512_loadu_si512(w + g * 64));
                    }
                    const __m512i v = edge_mbqm_prep_avx512(_mm512_add_epi32(acc0, acc1), &rq);
                    _mm_mask_storeu_epi8(o, m, edge_out16_avx512(v, zp, lo, hi));
                }
            }
        }
    }
}

void edge_qs8_dconv_16c4__avx512vnni(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, false);
}

void edge_qs8_dconv_u8_16c4__avx512vnni(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, true);
}
