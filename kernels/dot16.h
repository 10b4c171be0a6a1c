/* kernels/dot16.h - the dot product of 16x8 quantization (int16 activations, int8 weights).
 *
 * Owns: the contract of edge_dot16x8_fn and the declarations of its level builds
 * (kernels/generic/dot16_impl.h, instantiated by kernels/x86/dot16_*.c and
 * kernels/arm/dot16_neon.c) for the kernel tables and the tests. The 16x8 CONV_2D and
 * TRANSPOSE_CONV of TensorFlow Lite sum products of an int16 input and an int8 weight into an
 * int64, wrapping; every product fits in 23 bits, so any order of summing gives the same int64, and
 * sums of up to 511 products fit an int32 lane exactly. Does not own the operators
 * (backends/cpu/fast_int16.c). */
#ifndef EDGE_KERNELS_DOT16_H
#define EDGE_KERNELS_DOT16_H

#include <stddef.h>
#include <stdint.h>

/* The sum of X[i] * W[i] for i < N, as an int64 (exactly, for any N). */
typedef int64_t (*edge_dot16x8_fn)(const int16_t *x, const int8_t *w, size_t n);
/* The same for four weight rows at once: OUT[r] = sum of X[i] * W[r * W_STRIDE + i] for i < N,
 * r < 4 (X read once for the four: a convolution's patch against four output channels). */
typedef void (*edge_dot16x8x4_fn)(const int16_t *x, const int8_t *w, size_t w_stride, size_t n,
                                  int64_t out[4]);

int64_t edge_dot16x8__avx2(const int16_t *x, const int8_t *w, size_t n);
int64_t edge_dot16x8__avx512vnni(const int16_t *x, const int8_t *w, size_t n);
int64_t edge_dot16x8__neon(const int16_t *x, const int8_t *w, size_t n);
void edge_dot16x8x4__avx2(const int16_t *x, const int8_t *w, size_t w_stride, size_t n,
                          int64_t out[4]);
void edge_dot16x8x4__avx512vnni(const int16_t *x, const int8_t *w, size_t w_stride, size_t n,
                                int64_t out[4]);
void edge_dot16x8x4__neon(const int16_t *x, const int8_t *w, size_t w_stride, size_t n,
                          int64_t out[4]);

#endif
