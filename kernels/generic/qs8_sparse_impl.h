/* kernels/generic/qs8_sparse_impl.h - the sparse int8 kernel of kernels/sparse.h, written once
 * in C and instantiated per level.
 *
 * Owns: the body of edge_qs8_sparse_SFX. A level's file defines SPARSE_SFX and includes this
 * header; its compile flags decide the instructions (GCC vectorizes the tile's loop over 16
 * rows). Rows go in tiles of EDGE_SPARSE_TILE: the tile's inputs are transposed once into
 * int16 [group][4][row] so that one stored group is 4 multiply-adds over 16 rows; the rows
 * left over (and a single row: FULLY_CONNECTED at batch 1) take one dot product of 4 per
 * stored group. The output stage is EDGE_OUTPUT_STAGE (ref/requant.h), as the reference's.
 * Does not own packing or threading (sparse.c, backends/cpu/op_sparse.c). */
#include <string.h>

#include "ref/requant.h"
#include "sparse.h"
#include "vectorize.h"

#if !defined(SPARSE_SFX)
#error "define SPARSE_SFX before including qs8_sparse_impl.h"
#endif

#define SPARSE_CAT2(a, b) a##b
#define SPARSE_CAT(a, b) SPARSE_CAT2(a, b)

enum { T = EDGE_SPARSE_TILE };

/* Channels [n0, n1) of T rows whose inputs are in XT ([group][4][T] int16). */
EDGE_VECTORIZE static void sparse_tile(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                                       const int16_t *xt, int8_t *c, size_t c_stride)
{
    for (size_t n = n0; n < n1; n++) {
        uint32_t acc[T];
        for (size_t p = 0; p < T; p++)
            acc[p] = (uint32_t)v->bias[n];
        for (uint32_t b = v->seg[n]; b < v->seg[n + 1]; b++) {
            const int16_t *x = xt + (size_t)v->group[b] * 4 * T;
            const int32_t w0 = v->w[4 * b], w1 = v->w[4 * b + 1], w2 = v->w[4 * b + 2],
                          w3 = v->w[4 * b + 3];
            for (size_t p = 0; p < T; p++) /* |sum| <= 4 * 2^14: exact in int32 */
                acc[p] +=
                    (uint32_t)(x[p] * w0 + x[T + p] * w1 + x[2 * T + p] * w2 + x[3 * T + p] * w3);
        }
        for (size_t p = 0; p < T; p++)
            c[p * c_stride + n] = (int8_t)EDGE_OUTPUT_STAGE(v, (int32_t)acc[p], (int32_t *)NULL, n);
    }
}

/* Channels [n0, n1) of one row X (kc bytes readable). */
static void sparse_row(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *x,
                       int8_t *c)
{
    for (size_t n = n0; n < n1; n++) {
        uint32_t acc = (uint32_t)v->bias[n];
        for (uint32_t b = v->seg[n]; b < v->seg[n + 1]; b++) {
            const int8_t *xg = x + 4 * (size_t)v->group[b], *w = v->w + 4 * (size_t)b;
            acc += (uint32_t)(xg[0] * w[0] + xg[1] * w[1] + xg[2] * w[2] + xg[3] * w[3]);
        }
        c[n] = (int8_t)EDGE_OUTPUT_STAGE(v, (int32_t)acc, (int32_t *)NULL, n);
    }
}

void SPARSE_CAT(edge_qs8_sparse_, SPARSE_SFX)(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                                              const int8_t *a, size_t a_stride, size_t rows,
                                              int8_t *c, size_t c_stride, int8_t *tile)
{
    assert(n0 <= n1 && n1 <= v->n && v->kc % 4 == 0 && v->kc - v->k < 4);
    size_t m = 0;
    int16_t *xt = (int16_t *)(void *)tile;
    for (; m + T <= rows; m += T) {
        for (size_t p = 0; p < T; p++) {
            const int8_t *row = a + (m + p) * a_stride;
            for (size_t k = 0; k < v->kc; k++) /* [k / 4][k % 4][p] */
                xt[(k & ~(size_t)3) * T + (k & 3) * T + p] = k < v->k ? row[k] : 0;
        }
        sparse_tile(v, n0, n1, xt, c + m * c_stride, c_stride);
    }
    for (; m < rows; m++) {
        const int8_t *row = a + m * a_stride;
        if (v->kc != v->k) { /* the last group's bytes past K: a padded copy */
            memcpy(tile, row, v->k);
            memset(tile + v->k, 0, v->kc - v->k);
            row = tile;
        }
        sparse_row(v, n0, n1, row, c + m * c_stride);
    }
}
