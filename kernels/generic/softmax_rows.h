/* kernels/generic/softmax_rows.h - the row-block driver of the vector SOFTMAX kernels.
 *
 * Owns: edge_softmax_blocks, the loop the AVX2, AVX-512 and NEON softmax kernels (qs8.h,
 * softmax) share: rows in blocks of 16; each row's Q12.19 sum by the level's SUM_ROW
 * (which keeps whatever the row's outputs need in its context, at the row's index in the
 * block); the block's 16 reciprocals at once by the level's SCALES (edge_softmax_row_scale
 * of every sum, vectorized: done row by row in scalar code it was two thirds of YOLOv8's
 * 16-wide DFL softmax); then each row's outputs by OUT_ROW, or the output minimum (bytes
 * equal to the flip) where edge_softmax_row_scale returns false. Rows past the block's end
 * get the harmless sum 2^19; a sum past int32 goes to SCALES as 0, and its row is a
 * minimum row. Include from a level's kernel file; the callbacks are that file's static
 * inline functions, so the compiler inlines them through the constant pointers.
 * Does not own the per-row arithmetic (the levels' files) or the table (the op). */
#ifndef EDGE_GENERIC_SOFTMAX_ROWS_H
#define EDGE_GENERIC_SOFTMAX_ROWS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef int64_t (*edge_softmax_sum_row_fn)(void *ctx, size_t i, const uint8_t *xr);
typedef void (*edge_softmax_scales_fn)(const int32_t sums[16], int32_t scale[16],
                                       int32_t exponent[16]);
typedef void (*edge_softmax_out_row_fn)(void *ctx, size_t i, const uint8_t *xr, uint8_t *o,
                                        int32_t scale, int32_t exponent);

static inline void edge_softmax_blocks(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                                       uint8_t flip, void *ctx, edge_softmax_sum_row_fn sum_row,
                                       edge_softmax_scales_fn scales,
                                       edge_softmax_out_row_fn out_row)
{
    for (size_t r0 = 0; r0 < rows; r0 += 16) {
        const size_t nr = rows - r0 < 16 ? rows - r0 : 16;
        const uint8_t *xb = x + r0 * depth;
        uint8_t *ob = out + r0 * depth;
        int32_t sums[16], scale[16], exponent[16];
        for (size_t i = 0; i < 16; i++)
            sums[i] = 1 << 19;
        for (size_t i = 0; i < nr; i++) {
            const int64_t sum = sum_row(ctx, i, xb + i * depth);
            sums[i] = sum <= INT32_MAX ? (int32_t)sum : 0;
        }
        scales(sums, scale, exponent);
        for (size_t i = 0; i < nr; i++) {
            if (sums[i] == 0 || exponent[i] > 31) /* edge_softmax_row_scale's false */
                memset(ob + i * depth, flip, depth);
            else
                out_row(ctx, i, xb + i * depth, ob + i * depth, scale[i], exponent[i]);
        }
    }
}

#endif
