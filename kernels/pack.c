/* kernels/pack.c - weight packing for the optimized int8 kernels (see pack.h, qs8.h).
 *
 * Owns: the packed block layouts' construction and the bias folding. All
 * value arithmetic wraps (the library builds with -fwrapv), as the kernels'
 * int32 lanes do. Does not own the layouts' definition (qs8.h). */
#include "pack.h"

#include <string.h>

#include "dot16.h"
#include "qs8.h"
#include "ref/requant.h"
#if defined(__aarch64__) || defined(__arm__)
#include "arm/qs8_arm.h" /* the neon kernels' pairing flag */
#endif

static size_t blocks_of(size_t n, size_t nr)
{
    return (n + nr - 1) / nr;
}

size_t edge_qs8_gemm_packed_bytes(size_t n, size_t k, size_t nr, size_t kr)
{
    const size_t kc = edge_qs8_gemm_kc(k, kr);
    size_t block, total;
    if (__builtin_mul_overflow(nr, 3 * sizeof(int32_t) + kc, &block) ||
        __builtin_mul_overflow(blocks_of(n, nr), block, &total))
        return 0;
    return total;
}

/* The int32 header of a block: bias', mult, shift for channels n0..n0+nr. */
static void put_header(uint8_t *blk, size_t nr, size_t n0, size_t n, const int32_t *bias2,
                       const int32_t *mult, const int32_t *shift)
{
    int32_t hdr[3];
    for (size_t j = 0; j < nr; j++) {
        const size_t c = n0 + j;
        hdr[0] = c < n ? bias2[j] : 0;
        hdr[1] = c < n ? mult[c] : 0;
        hdr[2] = c < n ? shift[c] : 0;
        memcpy(blk + j * sizeof(int32_t), &hdr[0], sizeof(int32_t));
        memcpy(blk + (nr + j) * sizeof(int32_t), &hdr[1], sizeof(int32_t));
        memcpy(blk + (2 * nr + j) * sizeof(int32_t), &hdr[2], sizeof(int32_t));
    }
}

void edge_qs8_gemm_pack(size_t n, size_t k, size_t nr, size_t kr, const int8_t *w,
                        const int32_t *bias, const int32_t *mult, const int32_t *shift,
                        int32_t input_offset, int32_t a_bias, void *dst)
{
    const size_t kc = edge_qs8_gemm_kc(k, kr);
    const size_t block = edge_qs8_gemm_block_bytes(nr, kc);
    const int32_t fold = edge_wrap_sub32(input_offset, a_bias);
    uint8_t *out = dst;
    int32_t bias2[256];
    for (size_t n0 = 0; n0 < n; n0 += nr, out += block) {
        memset(out, 0, block);
        for (size_t j = 0; j < nr && n0 + j < n; j++) {
            const int8_t *row = w + (n0 + j) * k;
            int32_t sum = 0;
            for (size_t i = 0; i < k; i++)
                sum = edge_wrap_add32(sum, row[i]);
            bias2[j] = edge_wrap_add32(bias ? bias[n0 + j] : 0, edge_wrap_mul32(fold, sum));
            int8_t *wp = (int8_t *)(out + 3 * nr * sizeof(int32_t));
            for (size_t i = 0; i < k; i++)
                wp[(i / kr) * nr * kr + j * kr + i % kr] = row[i];
        }
        put_header(out, nr, n0, n, bias2, mult, shift);
#if defined(__aarch64__)
        if (nr == EDGE_GEMM_NEON_NR && kr == EDGE_GEMM_NEON_KR && a_bias == 0)
            edge_neon_block_mark(out, nr, nr * kc);
#endif
    }
}

void edge_qs8_gemm_pack_c8(size_t n, size_t kc, size_t nr, void *dst)
{
    const size_t block = edge_qs8_gemm_block_bytes(nr, kc), row = 4 * nr, quads = kc / 4;
    uint8_t *out = dst;
    if (nr < 48)
        return;
    for (size_t n0 = 0; n0 < n; n0 += nr, out += block) {
        if (n - n0 > 16)
            continue;
        uint8_t *w = out + 3 * nr * sizeof(int32_t);
        for (size_t q = 0; q < quads; q += 2) {
            uint8_t pair[16][8];
            for (size_t c = 0; c < 16; c++) {
                memcpy(pair[c], w + q * row + 4 * c, 4);
                if (q + 1 < quads)
                    memcpy(pair[c] + 4, w + (q + 1) * row + 4 * c, 4);
                else
                    memset(pair[c] + 4, 0, 4);
            }
            memcpy(w + q * row + 64, pair, sizeof pair);
        }
    }
}

size_t edge_qs8_gemm4_packed_bytes(size_t n, size_t k, size_t nr, size_t kr)
{
    const size_t kc = edge_qs8_gemm_kc(k, kr);
    size_t total;
    if (!edge_qs8_gemm_packed_bytes(n, k, nr, kr) ||
        __builtin_mul_overflow(blocks_of(n, nr), edge_qs8_gemm4_block_bytes(nr, kc), &total))
        return 0;
    return total;
}

int edge_qs8_gemm4_pack(size_t n, size_t k, size_t nr, size_t kr, const void *src, void *dst)
{
    const size_t kc = edge_qs8_gemm_kc(k, kr), head = 3 * nr * sizeof(int32_t);
    const size_t block = edge_qs8_gemm_block_bytes(nr, kc), wn = nr * kc;
    const uint8_t *in = src;
    uint8_t *out = dst;
    for (size_t n0 = 0; n0 < n; n0 += nr) {
        memcpy(out, in, head);
        const int8_t *w = (const int8_t *)(in + head);
        uint8_t *q = out + head;
        for (size_t c = 0; c < wn; c += 32) {
            const size_t half = wn - c >= 32 ? 16 : 8;
            for (size_t j = 0; j < half; j++) {
                const int8_t lo = w[c + j], hi = w[c + half + j];
                if (lo < -8 || lo > 7 || hi < -8 || hi > 7)
                    return -1;
                q[c / 2 + j] = (uint8_t)(((uint8_t)lo & 15u) | ((uint8_t)hi << 4));
            }
        }
        in += block;
        out += edge_qs8_gemm4_block_bytes(nr, kc);
    }
    return 0;
}

void edge_qs8_gemm4_expand(size_t nr, size_t kc, const void *src, void *dst)
{
    typedef uint8_t v16 __attribute__((vector_size(16)));
    const size_t head = 3 * nr * sizeof(int32_t), wn = nr * kc;
    memcpy(dst, src, head);
    const uint8_t *q = (const uint8_t *)src + head;
    uint8_t *w = (uint8_t *)dst + head;
    size_t c = 0;
    for (; c + 32 <= wn; c += 32) { /* a nibble v sign-extends as ((v ^ 8) - 8) */
        v16 b, lo, hi;
        memcpy(&b, q + c / 2, sizeof b);
        lo = ((b & 15) ^ 8) - 8;
        hi = ((b >> 4) ^ 8) - 8;
        memcpy(w + c, &lo, sizeof lo);
        memcpy(w + c + 16, &hi, sizeof hi);
    }
    for (size_t j = 0; c < wn && j < 8; j++) { /* a last chunk of 16 */
        const uint8_t b = q[c / 2 + j];
        w[c + j] = (uint8_t)(((b & 15u) ^ 8u) - 8u);
        w[c + 8 + j] = (uint8_t)(((b >> 4) ^ 8u) - 8u);
    }
}

size_t edge_qs8_dw_packed_bytes(size_t c, size_t taps, size_t cr)
{
    size_t block, total;
    if (__builtin_mul_overflow(cr, 3 * sizeof(int32_t) + taps, &block) ||
        __builtin_mul_overflow(blocks_of(c, cr), block, &total))
        return 0;
    return total;
}

void edge_qs8_dw_pack(size_t c, size_t taps, size_t cr, const int8_t *w, const int32_t *bias,
                      const int32_t *mult, const int32_t *shift, int32_t input_offset, void *dst)
{
    const size_t block = edge_qs8_dw_block_bytes(cr, taps);
    uint8_t *out = dst;
    int32_t bias2[256];
    for (size_t c0 = 0; c0 < c; c0 += cr, out += block) {
        memset(out, 0, block);
        int8_t *wp = (int8_t *)(out + 3 * cr * sizeof(int32_t));
        for (size_t j = 0; j < cr && c0 + j < c; j++) {
            int32_t sum = 0;
            for (size_t t = 0; t < taps; t++) {
                const int8_t v = w[t * c + c0 + j];
                sum = edge_wrap_add32(sum, v);
                wp[t * cr + j] = v;
            }
            bias2[j] = edge_wrap_add32(bias ? bias[c0 + j] : 0, edge_wrap_mul32(input_offset, sum));
        }
        put_header(out, cr, c0, c, bias2, mult, shift);
#if defined(__aarch64__) || defined(__arm__)
        if (cr == EDGE_DW_NEON_CR)
            edge_neon_block_mark(out, cr, cr * taps);
#endif
    }
}

size_t edge_qs8_dw_u8_packed_bytes(size_t c, size_t taps)
{
    size_t per, total;
    if (__builtin_mul_overflow(taps, sizeof(int16_t), &per) ||
        __builtin_add_overflow(per, 2 * sizeof(int32_t) + 1, &per) ||
        __builtin_add_overflow(per, 2 * taps, &per) ||
        __builtin_mul_overflow(edge_qs8_dw_u8_cp(c), per, &total) ||
        __builtin_add_overflow(total, edge_qs8_dw_u8_cp(c) / 64 + 1, &total))
        return 0;
    return total;
}

void edge_qs8_dw_u8_pack(size_t c, size_t taps, const uint8_t *w, int32_t zw, int32_t zx,
                         const int32_t *bias, void *dst)
{
    const size_t cp = edge_qs8_dw_u8_cp(c);
    memset(dst, 0, edge_qs8_dw_u8_packed_bytes(c, taps));
    if (bias)
        memcpy(dst, bias, c * sizeof(int32_t));
    int16_t *v = (int16_t *)((int32_t *)dst + cp);
    int32_t *biasx = (int32_t *)(v + taps * cp);
    for (size_t t = 0; t < taps; t++)
        for (size_t i = 0; i < c; i++)
            v[t * cp + i] = (int16_t)(w[t * c + i] - zw);
    /* bias - zx * sum_t v[t]: the padding read as zx then adds nothing (int32, wrapping) */
    for (size_t i = 0; i < c; i++) {
        uint32_t s = bias ? (uint32_t)bias[i] : 0;
        for (size_t t = 0; t < taps; t++)
            s -= (uint32_t)zx * (uint32_t)(int32_t)v[t * cp + i];
        biasx[i] = (int32_t)s;
    }
    uint8_t *zxrow = (uint8_t *)(biasx + cp);
    memset(zxrow, zx, cp);
    /* v = v1 + v2 in int8 (v1 = clamp(v, -128, 127)): one dot product for a block whose v2
     * is 0; v = 255 (w = 255, zw = 0) has no such split */
    int8_t *v1 = (int8_t *)(zxrow + cp), *v2 = v1 + taps * cp;
    uint8_t *split = (uint8_t *)(v2 + taps * cp), *ok = split + cp / 64;
    *ok = 1;
    for (size_t t = 0; t < taps; t++)
        for (size_t i = 0; i < c; i++) {
            const int32_t x = v[t * cp + i], lo = x < -128 ? -128 : x > 127 ? 127 : x;
            v1[t * cp + i] = (int8_t)lo;
            v2[t * cp + i] = (int8_t)(x - lo);
            split[i / 64] |= x != lo;
            *ok &= x != 255;
        }
}

/* ---- the 16x8 GEMM tile's blocks (dot16.h) ---- */

size_t edge_gemm16x8_packed_bytes(size_t n, size_t k)
{
    const size_t blocks = (n + EDGE_GEMM16_NR - 1) / EDGE_GEMM16_NR;
    return blocks * (((k + 1) / 2) * 2 * EDGE_GEMM16_NR + sizeof(edge_out16));
}

void edge_gemm16x8_pack(const int8_t *w, size_t n, size_t k, const int64_t *bias,
                        const int32_t *mult, const int32_t *shift, int8_t *out)
{
    const size_t k2 = (k + 1) / 2, blocks = (n + EDGE_GEMM16_NR - 1) / EDGE_GEMM16_NR;
    memset(out, 0, edge_gemm16x8_packed_bytes(n, k));
    for (size_t c = 0; c < n; c++) {
        const size_t b = c / EDGE_GEMM16_NR, l = c % EDGE_GEMM16_NR;
        int8_t *blk = out + b * k2 * 2 * EDGE_GEMM16_NR;
        for (size_t i = 0; i < k; i++)
            blk[i / 2 * 2 * EDGE_GEMM16_NR + 2 * l + i % 2] = w[c * k + i];
    }
    edge_out16_pack(bias, mult, shift, n, (edge_out16 *)(out + blocks * k2 * 2 * EDGE_GEMM16_NR));
}

size_t edge_dw16x8_packed_bytes(size_t taps, size_t c)
{
    return (c + EDGE_GEMM16_NR - 1) / EDGE_GEMM16_NR * ((taps + 1) / 2) * 2 * EDGE_GEMM16_NR *
           sizeof(int16_t);
}

void edge_dw16x8_pack(const int8_t *w, size_t taps, size_t c, int16_t *out)
{
    const size_t pairs = (taps + 1) / 2;
    memset(out, 0, edge_dw16x8_packed_bytes(taps, c));
    for (size_t ch = 0; ch < c; ch++) {
        int16_t *blk = out + ch / EDGE_GEMM16_NR * pairs * 2 * EDGE_GEMM16_NR;
        const size_t slot = edge_dw16_slot(ch % EDGE_GEMM16_NR);
        for (size_t t = 0; t < taps; t++)
            blk[t / 2 * 2 * EDGE_GEMM16_NR + slot + t % 2] = w[t * c + ch];
    }
}

void edge_out16_pack(const int64_t *bias, const int32_t *mult, const int32_t *shift, size_t n,
                     edge_out16 *o)
{
    memset(o, 0, (n + EDGE_GEMM16_NR - 1) / EDGE_GEMM16_NR * sizeof *o);
    for (size_t c = 0; c < n; c++) {
        const size_t b = c / EDGE_GEMM16_NR, l = c % EDGE_GEMM16_NR;
        /* edge_mbqm64's reduced multiplier and total shift (shifts of at most 7: total >= 8) */
        const int32_t m = mult[c];
        const int total = 15 - shift[c];
        const int32_t reduced = m < 0x7FFF0000 ? (m + (1 << 15)) >> 16 : 0x7FFF;
        o[b].mult[l] = reduced;
        /* (S + bias) * m + round as S * m + (bias * m + round): the same int64, wrapping
         * (unsigned: a hostile bias's product wraps as the library's -fwrapv int64 does) */
        o[b].add[l % 2][l / 2] = (int64_t)((uint64_t)(bias ? bias[c] : 0) * (uint64_t)reduced +
                                           ((uint64_t)1 << (total - 1)));
        o[b].shift[l % 2][l / 2] = total;
    }
}
