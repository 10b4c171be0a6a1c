/* kernels/generic/dot16_impl.h - the 16x8 dot product of kernels/dot16.h, written once in C
 * and instantiated per level.
 *
 * Owns: the bodies of edge_dot16x8 and edge_dot16x8x4. A level's file defines DOT16_SFX (the name
 * suffix) and includes this header; its compile flags decide the instructions: GCC vectorizes the
 * chunk's loop to the level's 16-bit multiply-add (vpdpwssd with AVX-512 VNNI, vpmaddwd with AVX2,
 * smlal on NEON). Chunks of 511 products: each chunk's sum fits an int32 exactly, then adds
 * into the int64. Does not own dispatch or the operators. */
#include "dot16.h"
#include "vectorize.h"

#if !defined(DOT16_SFX)
#error "define DOT16_SFX before including dot16_impl.h"
#endif

#define DOT16_CAT2(a, b) a##b
#define DOT16_CAT(a, b) DOT16_CAT2(a, b)

enum { DOT16_CHUNK = 511 }; /* 511 x 2^22 < 2^31 */

EDGE_VECTORIZE static int32_t dot16_chunk(const int16_t *x, const int8_t *w, size_t n)
{
    int32_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc += (int32_t)x[i] * (int32_t)w[i];
    return acc;
}

int64_t DOT16_CAT(edge_dot16x8, DOT16_SFX)(const int16_t *x, const int8_t *w, size_t n)
{
    int64_t acc = 0;
    for (size_t i = 0; i < n; i += DOT16_CHUNK)
        acc += dot16_chunk(x + i, w + i, n - i < DOT16_CHUNK ? n - i : DOT16_CHUNK);
    return acc;
}

/* Four rows' chunk sums: one pass over X, each product into its row's int32 lane sums. */
EDGE_VECTORIZE static void dot16_chunk4(const int16_t *x, const int8_t *w, size_t ws, size_t n,
                                        int32_t acc[4])
{
    const int8_t *w0 = w, *w1 = w + ws, *w2 = w + 2 * ws, *w3 = w + 3 * ws;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (size_t i = 0; i < n; i++) {
        const int32_t xi = x[i];
        a0 += xi * (int32_t)w0[i];
        a1 += xi * (int32_t)w1[i];
        a2 += xi * (int32_t)w2[i];
        a3 += xi * (int32_t)w3[i];
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

void DOT16_CAT(edge_dot16x8x4, DOT16_SFX)(const int16_t *x, const int8_t *w, size_t w_stride,
                                          size_t n, int64_t out[4])
{
    out[0] = out[1] = out[2] = out[3] = 0;
    for (size_t i = 0; i < n; i += DOT16_CHUNK) {
        int32_t acc[4];
        dot16_chunk4(x + i, w + i, w_stride, n - i < DOT16_CHUNK ? n - i : DOT16_CHUNK, acc);
        for (int r = 0; r < 4; r++)
            out[r] += acc[r];
    }
}
