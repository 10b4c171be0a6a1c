/* kernels/wino.h - the exact integer Winograd F(2x2, 3x3) convolution: its contract and packer.
 *
 * Owns: which CONV_2D geometries the Winograd kernels take (edge_qs8_wino_fits), the packed
 * weight layout and its packer (wino.c), the per-thread scratch size, and the kernel entry type
 * (the table's wino, dispatch.h).
 * Does not own: the kernels (x86/qs8_wino_avx2.c) or choosing them (backends/cpu/fast_ops.c).
 *
 * The arithmetic, exact in int32 for every input (no rounding, no saturation):
 * a 2x2 block of outputs of a stride-1 3x3 convolution over raw int8 inputs d (4x4 cells,
 * the input zero point where a cell lies outside the input) is, per output channel,
 *   Y = A^T [ sum_ic U[ic] (.) V[ic] ] A / 4,   V = B^T d B,   U = G' g G'^T
 * with B^T = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]], A^T = [[1,1,1,0],[0,1,-1,-1]]
 * and G' = 2G = [[2,0,0],[1,1,1],[1,-1,1],[0,0,2]] (G: Lavin's, with halves). Since G' = 2G,
 * U = 4 G g G^T and the Winograd identity (exact over the rationals) gives 4 Y exactly.
 * Bounds: |G' g| <= 3 * 128 = 384 per row, so |U| <= 3 * 384 = 1152 (int16); |B^T d| <= 255
 * and |V| <= 510 (int16). vpmaddwd's pair sums stay far from its one saturating case
 * (both pairs -32768 * -32768). Every later step (the channel sums, A^T . A) is a ring
 * operation mod 2^32, so wrapping in between is harmless, and the final int32 is 4 Y mod 2^32.
 * With |Y| <= 9 * in_c * 128 * 128 < 2^29 (in_c <= EDGE_WINO_MAX_IN_C = 3640), 4 Y lies in
 * [-2^31, 2^31) and an arithmetic shift right by 2 recovers Y itself. Then bias' (the bias plus
 * input_offset * sum w, folded at pack time, wrapping as the reference does) is added and the
 * result requantized as every other int8 kernel does (ref/requant.h EDGE_OUTPUT_STAGE):
 * bit-identical to edge_ref_conv_s8.
 *
 * Packed weights (edge_qs8_wino_pack), blocks of EDGE_WINO_NR = 16 output channels:
 *   int16 U[nb][16 positions][kp][16 channels][2]   kp = in_c pairs (in_c rounded up to even)
 *   int32 bias'[nb * 16], mult[nb * 16], shift[nb * 16]
 * Padding channels (output or input) hold zero weights. 16/9 x 2 bytes per weight: a 3x3
 * layer's weights take 3.6 times their int8 size.
 * Scratch (per thread, edge_qs8_wino_scratch_bytes): the transformed inputs of a chunk of
 * edge_qs8_wino_tiles tiles, int16 V[16][tiles][cs], cs = in_c rounded up to 16. */
#ifndef EDGE_KERNELS_WINO_H
#define EDGE_KERNELS_WINO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qs8.h"

#define EDGE_WINO_NR 16
#define EDGE_WINO_MR 6                 /* tiles per register block */
#define EDGE_WINO_MAX_IN_C 3640        /* 9 * in_c * 2^14 < 2^29: 4 Y fits int32 */
#define EDGE_WINO_SCRATCH_TARGET 24576 /* bytes of transformed inputs per chunk */

/* Whether geometry P is a Winograd F(2x2, 3x3) convolution: 3x3, stride 1, dilation 1,
 * int8 weights without zero point, at most EDGE_WINO_MAX_IN_C input channels. */
static inline bool edge_qs8_wino_fits(const edge_conv_params *p)
{
    return p->k_h == 3 && p->k_w == 3 && p->stride_h == 1 && p->stride_w == 1 && p->dil_h == 1 &&
           p->dil_w == 1 && p->filter_offset == 0 && p->in_c >= 1 &&
           p->in_c <= EDGE_WINO_MAX_IN_C && p->out_c >= 1;
}

/* Tile rows (2 output rows each) of P, over all batches. */
static inline size_t edge_qs8_wino_tile_rows(const edge_conv_params *p)
{
    return (size_t)p->batches * (((size_t)p->out_h + 1) / 2);
}

/* Channels of a transformed tile in scratch: in_c rounded up to 16. */
static inline size_t edge_qs8_wino_cs(size_t in_c)
{
    return (in_c + 15) & ~(size_t)15;
}

/* Tiles per chunk: about EDGE_WINO_SCRATCH_TARGET bytes, a multiple of EDGE_WINO_MR. */
static inline size_t edge_qs8_wino_tiles(size_t in_c)
{
    const size_t t = EDGE_WINO_SCRATCH_TARGET / (32 * edge_qs8_wino_cs(in_c));
    return t < EDGE_WINO_MR ? EDGE_WINO_MR : t / EDGE_WINO_MR * EDGE_WINO_MR;
}

static inline size_t edge_qs8_wino_scratch_bytes(size_t in_c)
{
    return 32 * edge_qs8_wino_tiles(in_c) * edge_qs8_wino_cs(in_c);
}

/* Bytes of the packed weights of IN_C -> OUT_C (0 when they do not fit). */
size_t edge_qs8_wino_packed_bytes(size_t in_c, size_t out_c);

/* Pack CONV_2D's OHWI 3x3 weights W, BIAS (out_c entries or NULL), MULT and SHIFT into DST
 * (edge_qs8_wino_packed_bytes), folding INPUT_OFFSET into the bias. */
void edge_qs8_wino_pack(size_t in_c, size_t out_c, const int8_t *w, const int32_t *bias,
                        const int32_t *mult, const int32_t *shift, int32_t input_offset, void *dst);

typedef struct edge_qs8_wino_args {
    const edge_conv_params *p; /* geometry (edge_qs8_wino_fits); its requant fields unused */
    const int8_t *in;
    const void *w; /* edge_qs8_wino_pack */
    int8_t *out;
    int8_t zp_in; /* the input zero point (-p->input_offset) */
    edge_qs8_out o;
} edge_qs8_wino_args;

/* Output tile rows [trow0, trow1) of the batches * ceil(out_h / 2) tile rows (all columns and
 * channels), with SCRATCH of edge_qs8_wino_scratch_bytes(in_c) bytes, 32-byte aligned. */
typedef void (*edge_qs8_wino_fn)(const edge_qs8_wino_args *a, size_t trow0, size_t trow1,
                                 void *scratch);

#endif
