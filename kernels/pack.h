/* kernels/pack.h - weight packing for the optimized int8 kernels (layouts in qs8.h).
 *
 * Owns: turning a model's weights, bias and requantization multipliers into
 * the packed blocks a level's kernels stream, once per model version; the
 * folding of the input offset into the bias (wrapping int32, see qs8.h).
 * Pure functions: the caller allocates (size from the *_bytes functions).
 * Does not own: the layouts' definition (qs8.h) or when to pack (backends/cpu). */
#ifndef EDGE_KERNELS_PACK_H
#define EDGE_KERNELS_PACK_H

#include <stddef.h>
#include <stdint.h>

/* K rounded up to a multiple of KR: the kc a GEMM kernel is called with. */
static inline size_t edge_qs8_gemm_kc(size_t k, size_t kr)
{
    return (k + kr - 1) / kr * kr;
}

/* Bytes of N output channels of depth K packed in blocks of NR (0 on overflow). */
size_t edge_qs8_gemm_packed_bytes(size_t n, size_t k, size_t nr, size_t kr);

/* Pack W ([n][k] row-major: FULLY_CONNECTED weights, or CONV_2D's OHWI weights
 * with k = kh * kw * in_c), BIAS (n entries, or NULL), MULT and SHIFT (n
 * entries each) into DST for a kernel with block NR and depth group KR,
 * folding INPUT_OFFSET and A_BIAS (qs8.h) into the bias. */
void edge_qs8_gemm_pack(size_t n, size_t k, size_t nr, size_t kr, const int8_t *w,
                        const int32_t *bias, const int32_t *mult, const int32_t *shift,
                        int32_t input_offset, int32_t a_bias, void *dst);

/* Narrow blocks again in 8-byte k groups (the table's igemm.c8): in every block of DST (packed by
 * edge_qs8_gemm_pack for N channels, depth KC bytes, kr 4, NR >= 48) that holds at most 16
 * channels, the padding of each even k quad q (channels 16..47 of its row) takes the 16 channels'
 * weights of quads q and q + 1 as [channel][8 bytes]: channels 0-7 at byte 64 of the row, 8-15 at
 * byte 128 (a last odd quad pairs with zeros). One 8-byte broadcast of a pixel's input then feeds
 * two vpdpbusd, where the 4-byte groups take one each (qs8_gemm_avx512vnni.c). The bytes the
 * 4-byte form reads are unchanged. */
void edge_qs8_gemm_pack_c8(size_t n, size_t kc, size_t nr, void *dst);

/* 4-bit GEMM blocks (INT4 weights, values -8..7, kept 4-bit in memory): a block of
 * edge_qs8_gemm_pack's layout whose weights are held two a byte. Its header (bias', mult,
 * shift: 12 * NR bytes) as it is, then the NR * KC weight bytes in chunks of 32: byte j of a
 * chunk holds weight j in its low nibble and weight j + 16 in its high one (a last chunk of 16
 * holds j and j + 8), so that expanding takes no shuffle. Bytes of one block, and of N
 * channels of depth K (0 on overflow). */
static inline size_t edge_qs8_gemm4_block_bytes(size_t nr, size_t kc)
{
    return nr * (3 * sizeof(int32_t) + kc / 2);
}
size_t edge_qs8_gemm4_packed_bytes(size_t n, size_t k, size_t nr, size_t kr);

/* Blocks of edge_qs8_gemm_pack's layout at SRC (N channels, depth K, NR and KR as packed, NR *
 * KR a multiple of 16) held 4-bit at DST: 0, or -1 when a weight lies outside -8..7 (DST is
 * then partly written). */
int edge_qs8_gemm4_pack(size_t n, size_t k, size_t nr, size_t kr, const void *src, void *dst);

/* One 4-bit block at SRC expanded to edge_qs8_gemm_pack's layout at DST
 * (edge_qs8_gemm_block_bytes(NR, KC) bytes): what the GEMM kernels read. */
void edge_qs8_gemm4_expand(size_t nr, size_t kc, const void *src, void *dst);

/* Bytes of C channels with TAPS window cells packed in blocks of CR (0 on overflow). */
size_t edge_qs8_dw_packed_bytes(size_t c, size_t taps, size_t cr);

/* Pack depthwise weights W ([taps][c]: TFLite's [1, kh, kw, c] filter), BIAS
 * (c entries or NULL), MULT and SHIFT (c entries) into DST in blocks of CR,
 * folding INPUT_OFFSET into the bias. */
void edge_qs8_dw_pack(size_t c, size_t taps, size_t cr, const int8_t *w, const int32_t *bias,
                      const int32_t *mult, const int32_t *shift, int32_t input_offset, void *dst);

/* Bytes of the uint8 depthwise weights of C channels and TAPS taps (qs8.h), 0 on overflow. */
size_t edge_qs8_dw_u8_packed_bytes(size_t c, size_t taps);
/* Pack uint8 depthwise weights W ([taps][c], zero point ZW) and BIAS (c entries, or NULL),
 * for an input of zero point ZX, into DST as qs8.h's edge_qs8_dw_u8_fn reads them. */
void edge_qs8_dw_u8_pack(size_t c, size_t taps, const uint8_t *w, int32_t zw, int32_t zx,
                         const int32_t *bias, void *dst);

#endif
