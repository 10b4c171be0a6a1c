/* kernels/arm/max_neon.c - MAX_POOL_2D's channel maxima on NEON (aarch64 and armv7).
 *
 * Owns: edge_qs8_max_rows_16c__neon and edge_qu8_max_rows_16c__neon (qs8.h,
 * max_rows): 32 channels a step in two registers (vmaxq_s8 / vmaxq_u8), then
 * 16, 8 (vmax_s8 / vmax_u8) and a scalar tail. A maximum is exact, so the
 * results equal the reference's. Only NEON common to armv7 and aarch64.
 * Does not own the pooling windows (backends/cpu/op_pool.c). */
#include <arm_neon.h>

#include "arm/qs8_arm.h"
#include "generic/max_tail.h"

#define EDGE_MAX_ROWS_NEON(NAME, T, SFX)                                       \
    void NAME(size_t rows, size_t channels, const T *x, size_t stride, T *acc) \
    {                                                                          \
        size_t c = 0;                                                          \
        for (; c + 32 <= channels; c += 32) {                                  \
            __typeof__(vld1q_##SFX(acc)) m0 = vld1q_##SFX(acc + c);            \
            __typeof__(m0) m1 = vld1q_##SFX(acc + c + 16);                     \
            for (size_t r = 0; r < rows; r++) {                                \
                m0 = vmaxq_##SFX(m0, vld1q_##SFX(x + r * stride + c));         \
                m1 = vmaxq_##SFX(m1, vld1q_##SFX(x + r * stride + c + 16));    \
            }                                                                  \
            vst1q_##SFX(acc + c, m0);                                          \
            vst1q_##SFX(acc + c + 16, m1);                                     \
        }                                                                      \
        for (; c + 16 <= channels; c += 16) {                                  \
            __typeof__(vld1q_##SFX(acc)) m = vld1q_##SFX(acc + c);             \
            for (size_t r = 0; r < rows; r++)                                  \
                m = vmaxq_##SFX(m, vld1q_##SFX(x + r * stride + c));           \
            vst1q_##SFX(acc + c, m);                                           \
        }                                                                      \
        for (; c + 8 <= channels; c += 8) {                                    \
            __typeof__(vld1_##SFX(acc)) m = vld1_##SFX(acc + c);               \
            for (size_t r = 0; r < rows; r++)                                  \
                m = vmax_##SFX(m, vld1_##SFX(x + r * stride + c));             \
            vst1_##SFX(acc + c, m);                                            \
        }                                                                      \
        EDGE_MAX_ROWS_TAIL(T, c, rows, channels, x, stride, acc)               \
    }

EDGE_MAX_ROWS_NEON(edge_qs8_max_rows_16c__neon, int8_t, s8)
EDGE_MAX_ROWS_NEON(edge_qu8_max_rows_16c__neon, uint8_t, u8)
