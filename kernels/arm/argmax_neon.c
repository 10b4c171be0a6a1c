/* kernels/arm/argmax_neon.c - 8-bit ARG_MAX / ARG_MIN along a short last axis (qs8.h's argmax8)
 * on aarch64 NEON (vmaxvq / vminvq: aarch64 only; armv7 keeps the reference).
 *
 * Owns: edge_argmax8__neon. A row of up to 32 bytes is two q registers: XOR FLIP puts its bytes
 * in unsigned order, lanes past the row are zeroed, vmaxvq gives the row's largest byte, and
 * the smallest lane number among the lanes equal to it (others 0xFF, vminvq) is the index:
 * TensorFlow Lite's first-on-ties. */
#include <arm_neon.h>

#include "arm/qs8_arm.h"
#include "qs8.h"

void edge_argmax8__neon(const uint8_t *in, size_t rows, size_t axis, uint8_t flip, void *out,
                        int out64, size_t row0, size_t row1)
{
    assert(axis >= 1 && axis <= EDGE_ARGMAX8_MAX_AXIS && row1 <= rows);
    uint8_t vb[32], ln[32];
    for (int l = 0; l < 32; l++) {
        vb[l] = (size_t)l < axis ? 0xFF : 0;
        ln[l] = (uint8_t)l;
    }
    const uint8x16_t v0 = vld1q_u8(vb), v1 = vld1q_u8(vb + 16);
    const uint8x16_t l0 = vld1q_u8(ln), l1 = vld1q_u8(ln + 16), fl = vdupq_n_u8(flip);
    const uint8x16_t none = vdupq_n_u8(0xFF);
    const size_t total = rows * axis;
    for (size_t r = row0; r < row1; r++) {
        const uint8_t *x = in + r * axis;
        if (r * axis + 32 > total) {
            edge_argmax8_store(out, out64, r, edge_argmax8_row(x, axis, flip));
            continue;
        }
        const uint8x16_t a = vandq_u8(veorq_u8(vld1q_u8(x), fl), v0);
        const uint8x16_t b = vandq_u8(veorq_u8(vld1q_u8(x + 16), fl), v1);
        const uint8x16_t m = vdupq_n_u8(vmaxvq_u8(vmaxq_u8(a, b)));
        const uint8x16_t s0 = vbslq_u8(vandq_u8(vceqq_u8(a, m), v0), l0, none);
        const uint8x16_t s1 = vbslq_u8(vandq_u8(vceqq_u8(b, m), v1), l1, none);
        edge_argmax8_store(out, out64, r, vminvq_u8(vminq_u8(s0, s1)));
    }
}
