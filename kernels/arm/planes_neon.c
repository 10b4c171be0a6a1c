/* kernels/arm/planes_neon.c - qs8.h's planes8 (byte planes <-> interleaved: an image's NCHW
 * <-> NHWC of 2 to 4 channels) for NEON, aarch64 and armv7 (neon_shared in meson.build).
 *
 * Owns: edge_interleave8__neon, edge_deinterleave8__neon: the loops of
 * generic/planes8_impl.h, which GCC vectorizes here with st2-st4 / ld2-ld4 (vst3.8 on armv7). */
#include "generic/planes8_impl.h"
#include "arm/qs8_arm.h"

void edge_interleave8__neon(const uint8_t *in, uint8_t *out, size_t planes, size_t stride, size_t n)
{
    planes8_interleave(in, out, planes, stride, n);
}

void edge_deinterleave8__neon(const uint8_t *in, uint8_t *out, size_t planes, size_t stride,
                              size_t n)
{
    planes8_deinterleave(in, out, planes, stride, n);
}
