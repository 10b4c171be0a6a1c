/* kernels/generic/planes8_impl.h - qs8.h's planes8 (byte planes <-> interleaved) as plain loops
 * that GCC vectorizes for the including file's instruction set (byte shuffles on x86, ld2-4 /
 * st2-4 on NEON); the scalar loop over one byte per plane moved 2 bytes a cycle at best.
 *
 * Owns: planes8_interleave and planes8_deinterleave (static: each including file is one level
 * and exports them under its own names), one loop per plane count so the compiler sees a
 * group of P stores (or loads) of constant shape. Included by kernels/x86/planes_avx2.c and
 * kernels/arm/planes_neon.c. */
#include <stddef.h>
#include <stdint.h>

#include "qs8.h"
#include "vectorize.h"

EDGE_VECTORIZE static void interleave_2(const uint8_t *restrict in, uint8_t *restrict out, size_t s,
                                        size_t n)
{
    const uint8_t *restrict a = in, *restrict b = in + s;
    for (size_t j = 0; j < n; j++) {
        out[2 * j] = a[j];
        out[2 * j + 1] = b[j];
    }
}

EDGE_VECTORIZE static void interleave_3(const uint8_t *restrict in, uint8_t *restrict out, size_t s,
                                        size_t n)
{
    const uint8_t *restrict a = in, *restrict b = in + s, *restrict c = in + 2 * s;
    for (size_t j = 0; j < n; j++) {
        out[3 * j] = a[j];
        out[3 * j + 1] = b[j];
        out[3 * j + 2] = c[j];
    }
}

EDGE_VECTORIZE static void interleave_4(const uint8_t *restrict in, uint8_t *restrict out, size_t s,
                                        size_t n)
{
    const uint8_t *restrict a = in, *restrict b = in + s, *restrict c = in + 2 * s;
    const uint8_t *restrict d = in + 3 * s;
    for (size_t j = 0; j < n; j++) {
        out[4 * j] = a[j];
        out[4 * j + 1] = b[j];
        out[4 * j + 2] = c[j];
        out[4 * j + 3] = d[j];
    }
}

EDGE_VECTORIZE static void deinterleave_2(const uint8_t *restrict in, uint8_t *restrict out,
                                          size_t s, size_t n)
{
    uint8_t *restrict a = out, *restrict b = out + s;
    for (size_t j = 0; j < n; j++) {
        a[j] = in[2 * j];
        b[j] = in[2 * j + 1];
    }
}

EDGE_VECTORIZE static void deinterleave_3(const uint8_t *restrict in, uint8_t *restrict out,
                                          size_t s, size_t n)
{
    uint8_t *restrict a = out, *restrict b = out + s, *restrict c = out + 2 * s;
    for (size_t j = 0; j < n; j++) {
        a[j] = in[3 * j];
        b[j] = in[3 * j + 1];
        c[j] = in[3 * j + 2];
    }
}

EDGE_VECTORIZE static void deinterleave_4(const uint8_t *restrict in, uint8_t *restrict out,
                                          size_t s, size_t n)
{
    uint8_t *restrict a = out, *restrict b = out + s, *restrict c = out + 2 * s;
    uint8_t *restrict d = out + 3 * s;
    for (size_t j = 0; j < n; j++) {
        a[j] = in[4 * j];
        b[j] = in[4 * j + 1];
        c[j] = in[4 * j + 2];
        d[j] = in[4 * j + 3];
    }
}

static void planes8_interleave(const uint8_t *in, uint8_t *out, size_t planes, size_t stride,
                               size_t n)
{
    assert(planes >= 2 && planes <= EDGE_PLANES8_MAX && n <= stride);
    switch (planes) {
    case 2: interleave_2(in, out, stride, n); break;
    case 3: interleave_3(in, out, stride, n); break;
    default: interleave_4(in, out, stride, n); break;
    }
}

static void planes8_deinterleave(const uint8_t *in, uint8_t *out, size_t planes, size_t stride,
                                 size_t n)
{
    assert(planes >= 2 && planes <= EDGE_PLANES8_MAX && n <= stride);
    switch (planes) {
    case 2: deinterleave_2(in, out, stride, n); break;
    case 3: deinterleave_3(in, out, stride, n); break;
    default: deinterleave_4(in, out, stride, n); break;
    }
}
