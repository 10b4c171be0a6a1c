/* kernels/generic/dot16_impl.h - the 16x8 dot product of kernels/dot16.h, written once in C
 * and instantiated per level.
 *
 * Owns: the body of edge_dot16x8. A level's file defines DOT16_SFX (the name suffix) and
 * includes this header; its compile flags decide the instructions: GCC vectorizes the chunk's
 * loop to the level's 16-bit multiply-add (vpdpwssd with AVX-512 VNNI, vpmaddwd with AVX2,
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
