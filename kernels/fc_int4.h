/* kernels/fc_int4.h - the int8 FULLY_CONNECTED kernels that read 4-bit weights (TFLite's INT4)
 * without unpacking them: the contract, the packing and the portable C kernel.
 *
 * Owns the layout every fc_int4 kernel reads (edge_qs8_fc_int4_pack writes it):
 * ceil(N / 16) blocks of 16 output channels, each
 *     int32 bias'[16]; int32 mult[16]; int32 shift[16];
 *     uint8 nib[kc / 8][64]
 * with kc = K rounded up to a multiple of 8. Byte j of group g holds channel c = j / 4 of the
 * block, b = j % 4: its low nibble is u[c][8g + b], its high nibble u[c][8g + 4 + b], where
 * u = w + 8 (0..15: the weight w in -8..7 with its sign bit flipped) for k < K, and 0 past K or
 * past N. So the low nibbles of a group are one k quad of 16 channels in vpdpbusd's order
 * ([channel][4 k]), the high nibbles the next quad; the first 32 bytes are channels 0..7 (one
 * ymm), the last 32 channels 8..15.
 *
 * Arithmetic: the reference sums (x + input_offset) * w. The weights are the unsigned operand
 * (u) and the activations the signed one (x as it is: no flip), so modulo 2^32
 *     sum_k (x + ioff) * w = sum_k x * u  -  8 * sum_k x  +  ioff * sum_k w
 * and the packer folds bias + ioff * sum_k w into bias' (wrapping); the kernel adds
 * sum x * u - 8 * sum x and requantizes as qs8.h says (edge_mbqm, zero point, clamp). The row
 * X the kernel reads is kc bytes with zeros past K (the op copies it into its scratch), so
 * the padding nibbles multiply zeros.
 *
 * Does not own the x86 kernels (x86/qs8_fc_int4_*.c), choosing them (backends/cpu/op_fc_int4.c)
 * or loading INT4 tensors (runtime/model_load.c). */
#ifndef EDGE_KERNELS_FC_INT4_H
#define EDGE_KERNELS_FC_INT4_H

#include <stddef.h>
#include <stdint.h>

#include "qs8.h"

#define EDGE_FC_INT4_NR 16 /* channels of a block */
#define EDGE_FC_INT4_KR 8  /* k of a nibble group (two quads) */

/* C[n] = requant_n(bias'[n] + sum_{k < kc} x[k] * u[n][k] - 8 * sum_k x[k]) for n < nc, from the
 * blocks at W (block 0 holds channel 0 of the call). 1 <= nc; kc a positive multiple of 8.
 * With ACC not NULL the kernel writes the int32 sums themselves to ACC[n] instead (C and O
 * unused): the hybrid path's (backends/cpu/op_fc_int4.c). */
typedef void (*edge_qs8_fc_int4_fn)(size_t nc, size_t kc, const int8_t *x, const void *w, int8_t *c,
                                    int32_t *acc, const edge_qs8_out *o);

#define EDGE_QS8_FC_INT4_CONTRACT(nc, kc)                               \
    do {                                                                \
        assert((nc) >= 1);                                              \
        assert((kc) >= EDGE_FC_INT4_KR && (kc) % EDGE_FC_INT4_KR == 0); \
    } while (0)

static inline size_t edge_fc_int4_kc(size_t depth)
{
    return (depth + EDGE_FC_INT4_KR - 1) / EDGE_FC_INT4_KR * EDGE_FC_INT4_KR;
}

static inline size_t edge_fc_int4_block_bytes(size_t kc)
{
    return EDGE_FC_INT4_NR * 3 * sizeof(int32_t) + EDGE_FC_INT4_NR * kc / 2;
}

/* Bytes of the packed weights of N channels of depth DEPTH; 0 when it would overflow. */
size_t edge_fc_int4_packed_bytes(size_t n, size_t depth);

/* Packs W, N rows of DEPTH 4-bit values as TFLite stores an INT4 tensor (one nibble stream over
 * the whole tensor, low nibble first: value i is nibble i % 2 of byte i / 2, so a row of odd
 * depth may start in the middle of a byte), with BIAS (NULL: 0), MULT and SHIFT (NULL:
 * 0) and the input offset, into OUT (edge_fc_int4_packed_bytes, zeroed by the caller). */
void edge_qs8_fc_int4_pack(size_t n, size_t depth, const uint8_t *w, const int32_t *bias,
                           const int32_t *mult, const int32_t *shift, int32_t input_offset,
                           void *out);

/* The portable kernel (every level, every architecture). */
void edge_qs8_fc_int4__c(size_t nc, size_t kc, const int8_t *x, const void *w, int8_t *c,
                         int32_t *acc, const edge_qs8_out *o);

#endif
