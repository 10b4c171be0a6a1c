/* kernels/x86/qs8_dconv_avx512vnni.c - the direct CONV_2D of 1 to 4 input channels, avx512vnni.
 *
 * Owns: edge_qs8_dconv_16c4__avx512vnni (contract: qs8.h, "direct CONV_2D"). No im2col
 * buffer: the kernel works on runs of up to PX = 16 output pixels of one output row and
 * reads each run's windows as row words (4 bytes of a window row; x ^ 0x80 into vpdpbusd,
 * a_bias 128).
 * Row words (gather_run): pixels an even number of bytes apart whose 16 windows span at
 * most 128 bytes of a row (1 or 3 channels at stride 2: the usual first layers) take two
 * 64-byte loads per window row with the zero point as fill where the span leaves the row,
 * and one vpermt2w per word group; other runs read the row in place or, at a border, a
 * zero-point-padded copy of the span (masked word loads when pixels lie 1, 2 or 4 bytes
 * apart, vpgatherdd otherwise); a span longer than the copy falls back to dconv.h's
 * gather pixel by pixel at the borders.
 * out_c up to 64 (person_detect's 1 -> 8, YOLO's 3 -> 16, MobileNetV2's 3 -> 32;
 * run_pixels): the lanes are the run's 16 pixels and each channel has an accumulator
 * vector, so a word group is loaded once for every channel and meets the channel's weight
 * word as a broadcast; in the paired case the words go from the row loads straight into
 * the dot products (no round trip through memory). The channel vectors come back to pixel
 * order through the saturating packs, a byte shuffle per 128-bit lane and unpacks and
 * lane permutes (run_pixels says which). The dot products and the requantization then
 * share the multiply pipes at about one vector per cycle each, which is this layer's
 * floor. Wider outputs: per pixel, each block of 16 channels broadcasts the pixel's words
 * against the block's packed weights and stores its channels with a byte mask.
 * Requantization: requant_avx512.h.
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

/* acc += dot4(u8 a, s8 w) per int32 lane. gcc 12 copies the accumulator around
 * _mm512_dpbusd_epi32 in unrolled loops; the asm form updates it in place. */
static inline __attribute__((always_inline)) __m512i dpbusd(__m512i acc, __m512i a, __m512i w)
{
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "vm"(w));
    return acc;
}
#define PX 16 /* output pixels gathered per run: one vector of words */

/* The 4 bytes at SRC + j * STEP (STEP 1, 2 or 4) in lane j, for the lanes of M (the others
 * 0); reads only bytes below SRC + j * STEP + 4 of those lanes (plain loads when M has
 * every lane). */
static inline __m512i load_words(const int8_t *src, size_t step, __mmask16 m)
{
    const bool all = m == 0xFFFF;
    if (step == 4)
        return all ? _mm512_loadu_si512(src) : _mm512_maskz_loadu_epi32(m, src);
    if (step == 2) {
        const __m256i l =
            all ? _mm256_loadu_si256((const __m256i *)src) : _mm256_maskz_loadu_epi16(m, src);
        const __m256i h = all ? _mm256_loadu_si256((const __m256i *)(src + 2))
                              : _mm256_maskz_loadu_epi16(m, src + 2);
        return _mm512_or_si512(_mm512_cvtepu16_epi32(l),
                               _mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
    __m512i v = _mm512_setzero_si512();
    for (int k = 0; k < 4; k++) {
        const __m128i b =
            all ? _mm_loadu_si128((const __m128i *)(src + k)) : _mm_maskz_loadu_epi8(m, src + k);
        v = _mm512_or_si512(v, _mm512_sll_epi32(_mm512_cvtepu8_epi32(b), _mm_cvtsi32_si128(8 * k)));
    }
    return v;
}

/* Bytes a run's row copy holds. */
#define RUN_SPAN_MAX 256

/* The mask of the bytes at offsets AT .. AT + 63 of a row of ROW_BYTES bytes that lie in
 * the row (AT may be negative). */
static inline __mmask64 row_mask(int64_t at, size_t row_bytes)
{
    const int64_t lo = at < 0 ? -at : 0, hi = (int64_t)row_bytes - at;
    if (lo >= 64 || hi <= lo)
        return 0;
    const __mmask64 m = hi >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << hi) - 1;
    return m & ~(((__mmask64)1 << lo) - 1);
}

/* The 64 bytes of row ROW at offsets AT .. AT + 63, ZP where they leave the row: a masked
 * load with the zero point as fill, which does not access the masked-off bytes (so the
 * address may lie outside the row). */
static inline __m512i load_row64(const int8_t *row, size_t row_bytes, int64_t at, __m512i zw)
{
    const int8_t *src = (const int8_t *)((uintptr_t)row + (uintptr_t)at);
    return _mm512_mask_loadu_epi8(zw, row_mask(at, row_bytes), src);
}

/* The vpermt2w index of pixel words STEP (even) bytes apart: word j's halves are the
 * 16-bit elements j * step / 2 and j * step / 2 + 1 of the span (computed in lanes: a
 * table stored to the stack and loaded back stalls). */
static inline __m512i pair_index(size_t step)
{
    return _mm512_add_epi16(
        _mm512_mullo_epi16(_mm512_set_epi16(15, 15, 14, 14, 13, 13, 12, 12, 11, 11, 10, 10, 9, 9, 8,
                                            8, 7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0),
                           _mm512_set1_epi16((int16_t)(step / 2))),
        _mm512_set1_epi32(0x00010000));
}

/* The row words of output pixels OX0 .. OX0 + NP - 1 (NP <= PX) of output row OY, word g
 * of pixel j at XT[g * PX + j] (lanes past NP: anything); rows outside the input are the
 * zero point's words. The run's windows span SPAN bytes of each window row from its
 * first byte X0 (negative in the left padding), pixels STEP bytes apart:
 * - even STEP and SPAN <= 128 (the usual first layers, 1 or 3 channels at stride 2): the
 *   span as two loads of 64 bytes with the zero point where it leaves the row, then one
 *   vpermt2w per word group picks each pixel's word as two 16-bit halves;
 * - else from the row in place when every window lies inside it, or from a copy of the
 *   span with the zero point outside the row: masked word loads for STEP 1 or 4,
 *   vpgatherdd otherwise;
 * - a span longer than the copy (a long stride) takes dconv.h's gather pixel by pixel
 *   for the pixels whose windows leave the row. */
static inline __attribute__((always_inline)) void gather_run(const edge_conv_params *p,
                                                             const int8_t *in_b, int8_t zp,
                                                             size_t rowk, int32_t oy, int32_t ox0,
                                                             int32_t np, uint32_t *xt)
{
    const size_t c = (size_t)p->in_c, row_bytes = (size_t)p->in_w * c, gw = rowk / 4;
    const size_t groups = (size_t)p->k_h * gw;
    const int32_t xa = ox0 * p->stride_w - p->pad_w;
    const int64_t x0 = (int64_t)xa * (int64_t)c;
    const size_t step = (size_t)p->stride_w * c;
    const size_t span = (size_t)(np - 1) * step + rowk;
    const __m512i zw = _mm512_set1_epi8(zp);
    const bool paired = step % 2 == 0 && span <= 128;
    const bool inside = x0 >= 0 && (size_t)x0 + span <= row_bytes;
    const bool copy = !paired && !inside && span <= RUN_SPAN_MAX;
    unsigned inner = 0; /* the pixels done here; the others by dconv.h's gather */
    if (paired || inside || copy) {
        inner = np == PX ? 0xFFFFu : (1u << np) - 1;
    } else {
        for (int32_t j = 0; j < np; j++) {
            const int32_t xj = xa + j * p->stride_w;
            if (xj >= 0 && (size_t)xj * c + rowk <= row_bytes)
                inner |= 1u << j;
        }
    }
    const __mmask16 m = (__mmask16)inner;
    const __m512i pidx = pair_index(step);
    const bool dense = !paired && step <= 4 && step != 3;
    const __m512i idx =
        _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                           _mm512_set1_epi32((int32_t)step));
    _Alignas(64) uint8_t rb[RUN_SPAN_MAX];
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
            const __m512i lo = load_row64(row, row_bytes, x0, zw);
            const __m512i hi = span > 64 ? load_row64(row, row_bytes, x0 + 64, zw) : zw;
            for (size_t g = 0; g < gw; g++) {
                const __m512i ig = _mm512_add_epi16(pidx, _mm512_set1_epi16((int16_t)(2 * g)));
                _mm512_storeu_si512(d + g * PX, _mm512_permutex2var_epi16(lo, ig, hi));
            }
            continue;
        }
        if (!inner)
            continue;
        /* pixel j's window at SRC + j * step (inside or copy), else at ROW + x0 + j * step */
        const int8_t *src = inside ? row + x0 : row;
        if (copy) {
            for (size_t o = 0; o < span; o += 64)
                _mm512_store_si512(rb + o, load_row64(row, row_bytes, x0 + (int64_t)o, zw));
            src = (const int8_t *)rb;
        }
        for (size_t g = 0; g < gw; g++) {
            __m512i v;
            if (dense) {
                v = _mm512_mask_mov_epi32(zw, m, load_words(src + 4 * g, step, m));
            } else if (inside || copy) {
                v = _mm512_mask_i32gather_epi32(zw, m, idx, src + 4 * g, 1);
            } else {
                const __m512i at = _mm512_add_epi32(idx, _mm512_set1_epi32((int32_t)x0));
                v = _mm512_mask_i32gather_epi32(zw, m, at, row + 4 * g, 1);
            }
            _mm512_storeu_si512(d + g * PX, v);
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

/* The first BYTES (at most 128) of the 128 bytes LO, HI to DST: full stores where they can. */
static inline void store_bytes(int8_t *dst, __m512i lo, __m512i hi, size_t bytes)
{
    if (bytes >= 128) {
        _mm512_storeu_si512(dst, lo);
        _mm512_storeu_si512(dst + 64, hi);
        return;
    }
    _mm512_mask_storeu_epi8(dst, bytes >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << bytes) - 1, lo);
    if (bytes > 64)
        _mm512_mask_storeu_epi8(dst + 64, ((__mmask64)1 << (bytes - 64)) - 1, hi);
}

/* Channels of the widest output the pixel-lane kernel takes (in blocks of 16). */
#define PIXELS_MAX_C 64

/* The pixel-lane kernel: out_c 1 to 8 in one chunk of 4 or 8 (person_detect's and the VWW
 * models' first layers), or 9 to PIXELS_MAX_C in chunks of 16 (YOLO's 3 -> 16, PoseNet's 3 -> 24,
 * MobileNetV2's 3 -> 32; a last chunk computes its packed block's zero padding too and stores only
 * its channels). The lanes are a run's 16 output pixels and each channel of a chunk of CW (4, 8 or
 * 16; a packed block of 16 per chunk) has its own accumulator, so a word group is loaded once for
 * every channel and meets the channel's weight word as a broadcast; in the paired case the words go
 * from the row loads straight into the dot products (no round trip through memory). The
 * requantization constants are broadcasts per channel, prepared once per call. The channel vectors
 * come back to pixel order through the saturating packs (lane l holds 4 channels of pixels 4l .. 4l
 * + 3), a byte shuffle per 128-bit lane (pixel-major within the lane), then for 8 channels a dword
 * unpack of the two halves and a qword permute (two full stores per 16 pixels), for 16 a 4x4 dword
 * transpose in the lanes and a 4x4 transpose of the lanes (four full stores), or, when the pixels
 * are wider or narrower than the chunk, a masked store of the chunk's channels per pixel. CW and
 * LEFT (any channel with a
 * positive shift) are fixed per instantiation; U8: the uint8 kernel. */
static inline __attribute__((always_inline)) void
run_pixels(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1, bool u8, int cw, bool left)
{
    const edge_conv_params *p = a->p;
    const size_t rowk = edge_qs8_dconv_rowk(p), kc = edge_qs8_dconv_kc(p), groups = kc / 4;
    const size_t gw = rowk / 4, ch = (size_t)p->out_c, chunks = (ch + (size_t)cw - 1) / (size_t)cw;
    const size_t blk = edge_qs8_gemm_block_bytes(CR, kc);
    const size_t img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    int32_t bias[PIXELS_MAX_C];
    edge_rq_avx512 rq[PIXELS_MAX_C];
    for (size_t n = 0; n < chunks * (size_t)cw; n++) { /* a last block's padding too */
        const uint8_t *hb = (const uint8_t *)a->w + n / CR * blk;
        int32_t m, sh;
        memcpy(&bias[n], hb + 4 * (n % CR), 4);
        memcpy(&m, hb + 64 + 4 * (n % CR), 4);
        memcpy(&sh, hb + 128 + 4 * (n % CR), 4);
        rq[n] = edge_rq_prep_avx512(_mm512_set1_epi32(m), _mm512_set1_epi32(sh));
    }
    const __m512i zp = _mm512_set1_epi32(a->o.zp);
    const __m512i lo8 = _mm512_set1_epi8((char)a->o.lo), hi8 = _mm512_set1_epi8((char)a->o.hi);
    const __m512i flip = _mm512_set1_epi32(u8 ? 0 : (int32_t)0x80808080);
    /* bytes [c0: p0..p3][c1: ..][c2: ..][c3: ..] of a lane -> [p0: c0..c3][p1: ..].. */
    const __m512i tr4 =
        _mm512_broadcast_i32x4(_mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    const __m512i q0 = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
    const __m512i q1 = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
    uint32_t ones[EDGE_QS8_DCONV_MAX_K / 4];
    if (u8)
        window_ones(p, gw, ones);
    const size_t row_bytes = (size_t)p->in_w * (size_t)p->in_c;
    const size_t step = (size_t)p->stride_w * (size_t)p->in_c;
    const bool fuse = step % 2 == 0 && 15 * step + rowk <= 128;
    const __m512i zw = _mm512_set1_epi8(a->zp_in);
    const __m512i pidx = pair_index(step);
    /* word g of pixel j at xt[g * PX + j]; lanes past a run's pixels are computed and not
     * stored (zeroed once so they are defined) */
    _Alignas(64) uint32_t xt[EDGE_QS8_DCONV_MAX_K / 4 * PX];
    memset(xt, 0, groups * PX * sizeof xt[0]);
    for (int32_t r = row0; r < row1; r++) {
        const int32_t b = r / p->out_h, oy = r % p->out_h;
        const int8_t *in_b = a->in + (size_t)b * img;
        int8_t *out_r = a->out + (size_t)r * (size_t)p->out_w * ch;
        for (int32_t x0 = 0; x0 < p->out_w; x0 += PX) {
            const int32_t np = p->out_w - x0 < PX ? p->out_w - x0 : PX;
            const int32_t xa = x0 * p->stride_w - p->pad_w;
            const int64_t xb = (int64_t)xa * (int64_t)p->in_c;
            const size_t span = (size_t)(np - 1) * step + rowk;
            __m512i term = _mm512_setzero_si512();
            if (!fuse) {
                gather_run(p, in_b, a->zp_in, rowk, oy, x0, np, xt);
                if (u8)
                    term = window_term(a, xt, groups, gw, ones);
            }
            for (size_t ci = 0; ci < chunks; ci++) {
                const size_t n0 = ci * (size_t)cw;
                const uint8_t *w = (const uint8_t *)a->w + n0 / CR * blk +
                                   3 * CR * sizeof(int32_t) + 4 * (n0 % CR);
                __m512i acc[16];
                _Pragma("GCC unroll 16") for (int c = 0; c < cw; c++) acc[c] =
                    _mm512_add_epi32(_mm512_set1_epi32(bias[n0 + (size_t)c]), term);
                if (fuse) {
                    /* the run's words straight from two row loads per window row into the
                     * dot products (gather_run's paired path, without the round trip) */
                    __m512i sum = _mm512_setzero_si512(); /* uint8: the window sums */
                    for (int32_t ky = 0; ky < p->k_h; ky++) {
                        const int32_t iy = oy * p->stride_h - p->pad_h + ky;
                        __m512i lo = zw, hi = zw;
                        if (iy >= 0 && iy < p->in_h) {
                            const int8_t *row = in_b + (size_t)iy * row_bytes;
                            lo = load_row64(row, row_bytes, xb, zw);
                            if (span > 64)
                                hi = load_row64(row, row_bytes, xb + 64, zw);
                        }
                        for (size_t g = 0; g < gw; g++) {
                            const __m512i ig =
                                _mm512_add_epi16(pidx, _mm512_set1_epi16((int16_t)(2 * g)));
                            const __m512i raw = _mm512_permutex2var_epi16(lo, ig, hi);
                            if (u8 && ci == 0)
                                sum = dpbusd(sum, raw, _mm512_set1_epi32((int32_t)ones[g]));
                            const __m512i xv = _mm512_xor_si512(raw, flip);
                            const uint8_t *wg = w + ((size_t)ky * gw + g) * 64;
                            _Pragma("GCC unroll 16") for (int c = 0; c < cw; c++)
                            {
                                int32_t wc;
                                memcpy(&wc, wg + 4 * c, sizeof wc);
                                acc[c] = dpbusd(acc[c], xv, _mm512_set1_epi32(wc));
                            }
                        }
                    }
                    if (u8 && ci == 0) { /* later chunks start from it (above) */
                        term = _mm512_mullo_epi32(_mm512_sub_epi32(sum, _mm512_set1_epi32(a->kzx)),
                                                  _mm512_set1_epi32(a->b));
                        _Pragma("GCC unroll 16") for (int c = 0; c < cw; c++) acc[c] =
                            _mm512_add_epi32(acc[c], term);
                    }
                } else {
                    for (size_t g = 0; g < groups; g++) {
                        const __m512i xv = _mm512_xor_si512(_mm512_loadu_si512(xt + g * PX), flip);
                        const uint8_t *wg = w + g * 64;
                        _Pragma("GCC unroll 16") for (int c = 0; c < cw; c++)
                        {
                            int32_t wc;
                            memcpy(&wc, wg + 4 * c, sizeof wc);
                            acc[c] = dpbusd(acc[c], xv, _mm512_set1_epi32(wc));
                        }
                    }
                }
                __m512i h[4];
                _Pragma("GCC unroll 4") for (int i = 0; i < cw / 4; i++)
                {
                    __m512i v[4];
                    _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++)
                    {
                        const size_t c = (size_t)(4 * i + k);
                        v[k] = _mm512_add_epi32(
                            left ? edge_mbqm_prep_avx512(acc[c], &rq[n0 + c])
                                 : edge_mbqm_noleft_prep_avx512(acc[c], &rq[n0 + c]),
                            zp);
                    }
                    const __m512i p01 = _mm512_packs_epi32(v[0], v[1]);
                    const __m512i p23 = _mm512_packs_epi32(v[2], v[3]);
                    __m512i bq = u8 ? _mm512_packus_epi16(p01, p23) : _mm512_packs_epi16(p01, p23);
                    bq = u8 ? _mm512_min_epu8(_mm512_max_epu8(bq, lo8), hi8)
                            : _mm512_min_epi8(_mm512_max_epi8(bq, lo8), hi8);
                    h[i] = _mm512_shuffle_epi8(bq, tr4);
                }
                int8_t *o = out_r + (size_t)x0 * ch + n0;
                const size_t bytes = (size_t)np * ch;
                if (cw <= 8) {
                    /* pixel-major: pixel j's cw bytes at byte cw * j of v0, v1 */
                    __m512i v0 = h[0], v1 = h[0];
                    if (cw == 8) {
                        const __m512i lo = _mm512_unpacklo_epi32(h[0], h[1]);
                        const __m512i hi = _mm512_unpackhi_epi32(h[0], h[1]);
                        v0 = _mm512_permutex2var_epi64(lo, q0, hi);
                        v1 = _mm512_permutex2var_epi64(lo, q1, hi);
                    }
                    if (ch == (size_t)cw) {
                        store_bytes(o, v0, v1, bytes);
                    } else { /* 1-3 or 5-7 channels: each pixel's ch bytes */
                        _Alignas(64) int8_t ub[128];
                        _mm512_store_si512(ub, v0);
                        _mm512_store_si512(ub + 64, v1);
                        const __mmask16 mc = (__mmask16)((1u << ch) - 1);
                        for (int32_t j = 0; j < np; j++)
                            _mm_mask_storeu_epi8(o + (size_t)j * ch, mc,
                                                 _mm_maskz_loadu_epi8(mc, ub + cw * j));
                    }
                } else {
                    /* u[i] lane l: pixel 4l + i's 16 channels */
                    const __m512i t0 = _mm512_unpacklo_epi32(h[0], h[1]);
                    const __m512i t1 = _mm512_unpackhi_epi32(h[0], h[1]);
                    const __m512i t2 = _mm512_unpacklo_epi32(h[2], h[3]);
                    const __m512i t3 = _mm512_unpackhi_epi32(h[2], h[3]);
                    const __m512i u0 = _mm512_unpacklo_epi64(t0, t2);
                    const __m512i u1 = _mm512_unpackhi_epi64(t0, t2);
                    const __m512i u2 = _mm512_unpacklo_epi64(t1, t3);
                    const __m512i u3 = _mm512_unpackhi_epi64(t1, t3);
                    if (ch == 16) {
                        const __m512i a0 = _mm512_shuffle_i64x2(u0, u1, 0x44);
                        const __m512i a1 = _mm512_shuffle_i64x2(u2, u3, 0x44);
                        const __m512i a2 = _mm512_shuffle_i64x2(u0, u1, 0xEE);
                        const __m512i a3 = _mm512_shuffle_i64x2(u2, u3, 0xEE);
                        store_bytes(o, _mm512_shuffle_i64x2(a0, a1, 0x88),
                                    _mm512_shuffle_i64x2(a0, a1, 0xDD), bytes);
                        if (bytes > 128)
                            store_bytes(o + 128, _mm512_shuffle_i64x2(a2, a3, 0x88),
                                        _mm512_shuffle_i64x2(a2, a3, 0xDD), bytes - 128);
                    } else {
                        _Alignas(64) int8_t ub[4][64];
                        _mm512_store_si512(ub[0], u0);
                        _mm512_store_si512(ub[1], u1);
                        _mm512_store_si512(ub[2], u2);
                        _mm512_store_si512(ub[3], u3);
                        /* the chunk's channels of each pixel (fewer in a last, partial one) */
                        const __mmask16 mc =
                            ch - n0 >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ch - n0)) - 1);
                        for (int32_t j = 0; j < np; j++)
                            _mm_mask_storeu_epi8(
                                o + (size_t)j * ch, mc,
                                _mm_load_si128((const __m128i *)&ub[j % 4][16 * (j / 4)]));
                    }
                }
            }
        }
    }
}

/* Whether the pixel-lane kernel takes A's output width. */
static inline bool pixels_take(const edge_qs8_dconv_args *a)
{
    return a->p->out_c <= PIXELS_MAX_C;
}

/* run_pixels for A's channel count and shifts. */
static inline __attribute__((always_inline)) void pixels(const edge_qs8_dconv_args *a, int32_t row0,
                                                         int32_t row1, bool u8)
{
    const size_t ch = (size_t)a->p->out_c;
    const size_t blk = edge_qs8_gemm_block_bytes(CR, edge_qs8_dconv_kc(a->p));
    bool left = false;
    for (size_t n = 0; n < ch; n++) {
        int32_t sh;
        memcpy(&sh, (const uint8_t *)a->w + n / CR * blk + 128 + 4 * (n % CR), 4);
        left |= sh > 0;
    }
    const int cw = ch <= 4 ? 4 : ch <= 8 ? 8 : 16;
    if (cw == 4)
        left ? run_pixels(a, row0, row1, u8, 4, true) : run_pixels(a, row0, row1, u8, 4, false);
    else if (cw == 8)
        left ? run_pixels(a, row0, row1, u8, 8, true) : run_pixels(a, row0, row1, u8, 8, false);
    else
        left ? run_pixels(a, row0, row1, u8, 16, true) : run_pixels(a, row0, row1, u8, 16, false);
}

/* Both kernels: U8 the uint8 one. */
static inline __attribute__((always_inline)) void dconv(const edge_qs8_dconv_args *a, int32_t row0,
                                                        int32_t row1, bool u8)
{
    if (pixels_take(a)) {
        pixels(a, row0, row1, u8);
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
    _Alignas(64) uint32_t xt[PX * EDGE_QS8_DCONV_MAX_K / 4];
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
