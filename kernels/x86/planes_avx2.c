/* kernels/x86/planes_avx2.c - qs8.h's planes8 (byte planes <-> interleaved: an image's NCHW
 * <-> NHWC of 2 to 4 channels) for AVX2; the avx512vnni level points at it too.
 *
 * Owns: edge_interleave8__avx2, edge_deinterleave8__avx2: the loops of
 * generic/planes8_impl.h, which GCC vectorizes here with vpshufb and vpermq. */
#include "generic/planes8_impl.h"
#include "x86/qs8_x86.h"

void edge_interleave8__avx2(const uint8_t *in, uint8_t *out, size_t planes, size_t stride, size_t n)
{
    planes8_interleave(in, out, planes, stride, n);
}

void edge_deinterleave8__avx2(const uint8_t *in, uint8_t *out, size_t planes, size_t stride,
                              size_t n)
{
    planes8_deinterleave(in, out, planes, stride, n);
}
