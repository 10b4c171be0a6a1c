/* kernels/arm/qs8_arm.h - the ARM int8 micro-kernels (contracts in qs8.h).
 *
 * Owns: the declarations the ARM kernel tables (table_neon.c, table_neondot.c)
 * and the tests use, with each kernel's tile sizes. Which declarations exist
 * depends on the target: aarch64 builds the neon and neondot kernels, 32-bit
 * ARM the armv7 NEON ones; the dw/add/sum_rows kernels are one NEON source
 * built for either. Does not own the kernels' code (the .c files here). */
#ifndef EDGE_ARM_QS8_ARM_H
#define EDGE_ARM_QS8_ARM_H

#include <assert.h>
#include <stdbool.h>
#include <string.h>
#include "qs8.h"

/* Tile sizes (the table's mr, nr, kr; cr of the depthwise kernel). */
#define EDGE_GEMM_NEON_MR 4
#define EDGE_GEMM_NEON_NR 4
#define EDGE_GEMM_NEON_KR 8
#define EDGE_GEMM_NEONDOT_MR 4
#define EDGE_GEMM_NEONDOT_NR 16
#define EDGE_GEMM_NEONDOT_KR 4
#define EDGE_GEMM_ARMV7NEON_MR 2
#define EDGE_GEMM_ARMV7NEON_NR 4
#define EDGE_GEMM_ARMV7NEON_KR 8
#define EDGE_DW_NEON_CR 16
#define EDGE_DCONV_NEON_CR 8 /* the direct conv (kr 4, a_bias 0) */

/* The pairing flag of a packed block (qs8.h's GEMM and depthwise layouts: int32 bias'[nr],
 * mult[nr], shift[nr], then the weights). Two int8 products summed in int16 (smull + smlal)
 * overflow only when both are -128 * -128; with no -128 among the weights the pair is exact
 * (|sum| <= 2 * 128 * 127 = 32512). edge_qs8_gemm_pack (blocks for the aarch64 neon GEMM: nr
 * 4, kr 8, a_bias 0) and edge_qs8_dw_pack (blocks of 16 channels, on ARM) mark a block whose
 * weights hold no -128 by adding EDGE_NEON_PAIR_FLAG to its first shift word (shifts lie in
 * [-31, 30], so a word above 255 is flagged); the neon kernels take it off again and sum two
 * k groups (GEMM) or two taps (3x3 depthwise) in int16. A TFLite model's int8 weights lie in
 * [-127, 127], so nearly every block is flagged. */
#define EDGE_NEON_PAIR_FLAG 512

/* Flag BLOCK (NR channels, WBYTES bytes of weights after the header) when no weight is -128. */
static inline void edge_neon_block_mark(void *block, size_t nr, size_t wbytes)
{
    const int8_t *w = (const int8_t *)block + 3 * nr * sizeof(int32_t);
    for (size_t i = 0; i < wbytes; i++)
        if (w[i] == -128)
            return;
    uint8_t *shift0 = (uint8_t *)block + 2 * nr * sizeof(int32_t);
    int32_t s;
    memcpy(&s, shift0, sizeof s);
    s += EDGE_NEON_PAIR_FLAG;
    memcpy(shift0, &s, sizeof s);
}

/* The first shift word of BLOCK as packed (with the flag, if any). */
static inline int32_t edge_neon_block_word(const void *block, size_t nr)
{
    int32_t s;
    memcpy(&s, (const uint8_t *)block + 2 * nr * sizeof(int32_t), sizeof s);
    return s;
}

static inline bool edge_neon_block_flagged(const void *block, size_t nr)
{
    return edge_neon_block_word(block, nr) > 255;
}

/* The first channel's shift, without the flag. */
static inline int32_t edge_neon_block_shift0(const void *block, size_t nr)
{
    const int32_t s = edge_neon_block_word(block, nr);
    return s > 255 ? s - EDGE_NEON_PAIR_FLAG : s;
}

/* The int8, indirect and legacy uint8 entry points of an aarch64 GEMM file (qs8.h's GEMM,
 * indirect GEMM and uint8 GEMM contracts), which defines MR, KR and gemm_rows(bool U8, size_t M,
 * nc, kc, a, a_stride, w, row, c, c_stride, o, ptrs, taps, tc) for M = 1..MR (MR = 4): with
 * PTRS the rows are read tap by tap (row m's tap t at ptrs[m * taps + t], tc bytes each, A
 * unused); a uint8 call forms each row's addend (edge_neon_u8_rows: its kernel multiplies A
 * by W + 128) and runs the same body with U8. */
#define EDGE_NEON_GEMM_ROWS_4(U8, mr, ...)             \
    do {                                               \
        switch (mr) {                                  \
        case 1: gemm_rows(U8, 1, __VA_ARGS__); break;  \
        case 2: gemm_rows(U8, 2, __VA_ARGS__); break;  \
        case 3: gemm_rows(U8, 3, __VA_ARGS__); break;  \
        default: gemm_rows(U8, 4, __VA_ARGS__); break; \
        }                                              \
    } while (0)
#define EDGE_NEON_GEMM_ENTRIES(S8_NAME, I8_NAME, U8_NAME)                                          \
    void S8_NAME(size_t mr, size_t nc, size_t kc, const int8_t *a, size_t a_stride, const void *w, \
                 int8_t *c, size_t c_stride, const edge_qs8_out *o)                                \
    {                                                                                              \
        EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, MR, KR);                                                \
        EDGE_NEON_GEMM_ROWS_4(false, mr, nc, kc, a, a_stride, w, NULL, c, c_stride, o, NULL, 0,    \
                              0);                                                                  \
    }                                                                                              \
    void I8_NAME(size_t mr, size_t nc, size_t taps, size_t tc, const int8_t *const *ptrs,          \
                 const void *w, int8_t *c, size_t c_stride, const edge_qs8_out *o)                 \
    {                                                                                              \
        EDGE_QS8_GEMM_CONTRACT(mr, nc, taps *tc, MR, KR);                                          \
        assert(tc % KR == 0);                                                                      \
        EDGE_NEON_GEMM_ROWS_4(false, mr, nc, taps *tc, NULL, 0, w, NULL, c, c_stride, o, ptrs,     \
                              taps, tc);                                                           \
    }                                                                                              \
    void U8_NAME(size_t mr, size_t nc, size_t kc, const uint8_t *a, size_t a_stride,               \
                 const void *w, int32_t b, int32_t kzx, uint8_t *c, size_t c_stride,               \
                 const edge_qs8_out *o)                                                            \
    {                                                                                              \
        EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, MR, KR);                                                \
        int32_t row[MR];                                                                           \
        edge_neon_u8_rows(a, a_stride, mr, kc, b, kzx, row);                                       \
        EDGE_NEON_GEMM_ROWS_4(true, mr, nc, kc, (const int8_t *)a, a_stride, w, row, (int8_t *)c,  \
                              c_stride, o, NULL, 0, 0);                                            \
    }

#if defined(__aarch64__)
/* smull/smull2 + sadalp (exact for every int8 pair); a_bias 0. */
void edge_qs8_gemm_4x4c8__neon(size_t mr, size_t nc, size_t kc, const int8_t *a, size_t a_stride,
                               const void *w, int8_t *c, size_t c_stride, const edge_qs8_out *o);
/* Indirect (qs8.h's edge_qs8_igemm_fn): the same body reading each tap where its pointer says. */
void edge_qs8_igemm_4x4c8__neon(size_t mr, size_t nc, size_t taps, size_t tc,
                                const int8_t *const *ptrs, const void *w, int8_t *c,
                                size_t c_stride, const edge_qs8_out *o);
/* Legacy uint8 (qs8.h's edge_qs8_gemm_u8_fn): umull against W + 128, uint8 output. */
void edge_qs8_gemm_u8_4x4c8__neon(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                  size_t a_stride, const void *w, int32_t b, int32_t kzx,
                                  uint8_t *c, size_t c_stride, const edge_qs8_out *o);
/* sdot by lane (signed x signed); a_bias 0. Needs the dot-product extension. */
void edge_qs8_gemm_4x16c4__neondot(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                   size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                   const edge_qs8_out *o);
/* Indirect (qs8.h's edge_qs8_igemm_fn): the same body reading each tap where its pointer says. */
void edge_qs8_igemm_4x16c4__neondot(size_t mr, size_t nc, size_t taps, size_t tc,
                                    const int8_t *const *ptrs, const void *w, int8_t *c,
                                    size_t c_stride, const edge_qs8_out *o);
/* Direct CONV_2D of 1 to 4 input channels by sdot, the neon kernel's packing and fields
 * (qs8_dconv_neondot.c); the legacy uint8 one likewise. */
void edge_qs8_dconv_8c4__neondot(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1);
void edge_qs8_dconv_u8_8c4__neondot(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1);
/* Legacy uint8 (qs8.h's edge_qs8_gemm_u8_fn): udot against W + 128, uint8 output. */
void edge_qs8_gemm_u8_4x16c4__neondot(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                      size_t a_stride, const void *w, int32_t b, int32_t kzx,
                                      uint8_t *c, size_t c_stride, const edge_qs8_out *o);
#elif defined(__arm__)
/* vmull.s8 + vpadal.s16 on the 16 q registers of armv7; a_bias 0. */
void edge_qs8_gemm_2x4c8__armv7neon(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                    size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                    const edge_qs8_out *o);
/* Legacy uint8 (qs8.h's edge_qs8_gemm_u8_fn): vmull.u8 against W + 128, uint8 output. */
void edge_qs8_gemm_u8_2x4c8__armv7neon(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                       size_t a_stride, const void *w, int32_t b, int32_t kzx,
                                       uint8_t *c, size_t c_stride, const edge_qs8_out *o);
#endif

#if defined(__aarch64__) || defined(__arm__)
/* Whole depthwise op over 16-channel blocks; a 3x3 path and a path for any window. */
void edge_qs8_dw_16c__neon(const edge_qs8_dw_args *a, int32_t row0, int32_t row1);
/* Legacy uint8 depthwise, any window, 16 channels a step (qs8_dw_u8_neon.c). */
void edge_qs8_dw_u8_16c__neon(const edge_qs8_dw_u8_args *a, int32_t row0, int32_t row1);
/* Direct CONV_2D of 1 to 4 input channels, 8-channel blocks (qs8_dconv_neon.c). */
void edge_qs8_dconv_8c4__neon(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1);
/* legacy uint8 (qs8.h's dconv_u8, a_bias -128): the same code. */
void edge_qs8_dconv_u8_8c4__neon(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1);
void edge_qs8_add_16__neon(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                           const edge_qs8_add_params *p);
void edge_qs8_sum_rows_16c__neon(size_t rows, size_t channels, const int8_t *x, size_t stride,
                                 int32_t *acc);
void edge_qu8_sum_rows_16c__neon(size_t rows, size_t channels, const uint8_t *x, size_t stride,
                                 int32_t *acc);
void edge_argmax8__neon(const uint8_t *in, size_t rows, size_t axis, uint8_t flip, void *out,
                        int out64, size_t row0, size_t row1);
void edge_interleave8__neon(const uint8_t *in, uint8_t *out, size_t planes, size_t stride,
                            size_t n);
void edge_deinterleave8__neon(const uint8_t *in, uint8_t *out, size_t planes, size_t stride,
                              size_t n);
void edge_qs8_softmax_16__neon(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                               const edge_qs8_softmax_params *p);
/* edge_softmax_row_scale's multiplier and exponent of 16 row sums in [2^19, INT32_MAX] at
 * once (the kernel's reciprocal step; exported for its exhaustive test). */
void edge_softmax_scales__neon(const int32_t sums[16], int32_t scale[16], int32_t exponent[16]);
/* vmaxq_s8 / vmaxq_u8 over 16-channel blocks: max_neon.c. */
void edge_qs8_max_rows_16c__neon(size_t rows, size_t channels, const int8_t *x, size_t stride,
                                 int8_t *acc);
void edge_qu8_max_rows_16c__neon(size_t rows, size_t channels, const uint8_t *x, size_t stride,
                                 uint8_t *acc);
/* int8/uint8 ADD, SUB, MUL, MAXIMUM, MINIMUM (and int8 SQUARED_DIFFERENCE) over broadcast runs:
 * qs8_binary_neon.c. */
#define EDGE_QS8_BINARY_NEON(op)                                                          \
    void edge_qs8_##op##_bin__neon(size_t n, const int8_t *a, size_t as, const int8_t *b, \
                                   size_t bs, int8_t *out, const edge_qs8_binary_params *p);
EDGE_QS8_BINARY_NEON(add)
EDGE_QS8_BINARY_NEON(sub)
EDGE_QS8_BINARY_NEON(mul)
EDGE_QS8_BINARY_NEON(max)
EDGE_QS8_BINARY_NEON(min)
EDGE_QS8_BINARY_NEON(sqd)
/* 16x8 int16 ADD, SUB and the requantizing map (qs8.h): qs8_binary_neon.c. */
void edge_q16_add_bin__neon(size_t n, const int16_t *a, size_t as, const int16_t *b, size_t bs,
                            int16_t *out, const edge_qs8_binary_params *p);
void edge_q16_sub_bin__neon(size_t n, const int16_t *a, size_t as, const int16_t *b, size_t bs,
                            int16_t *out, const edge_qs8_binary_params *p);
void edge_q16_map__neon(size_t n, const void *in, bool in32, void *out, bool out8,
                        const edge_q16_map_params *p);
#endif

#endif
