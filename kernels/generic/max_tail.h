/* kernels/generic/max_tail.h - the scalar channels of the max_rows kernels (qs8.h).
 *
 * Owns: EDGE_MAX_ROWS_TAIL, the per-channel maximum the SIMD max_rows kernels
 * (x86/max_*.c, arm/max_neon.c) run on the channels left over after their
 * vector blocks: channels C0 .. CHANNELS-1 of ROWS rows of X (STRIDE apart)
 * into ACC, element type T. Does not own the vector blocks. */
#ifndef EDGE_KERNELS_MAX_TAIL_H
#define EDGE_KERNELS_MAX_TAIL_H

#define EDGE_MAX_ROWS_TAIL(T, c0, rows, channels, x, stride, acc)             \
    for (size_t c_ = (c0); c_ < (channels); c_++) {                           \
        T m_ = (acc)[c_];                                                     \
        for (size_t r_ = 0; r_ < (rows); r_++)                                \
            m_ = (x)[r_ * (stride) + c_] > m_ ? (x)[r_ * (stride) + c_] : m_; \
        (acc)[c_] = m_;                                                       \
    }

#endif
