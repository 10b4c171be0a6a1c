/* kernels/ref/fft.h - a float FFT of our own and the float operators built on it (audio family).
 *
 * Owns: an in-place complex FFT of a power-of-two size in double precision (iterative radix 2,
 * decimation in time, twiddles computed once by the caller's prepare), RFFT2D (TensorFlow
 * Lite's rfft2d.cc: the real input cropped or zero-padded to fft_length, the 2-D DFT with
 * e^(-2 pi i k n / N), the fft_length[1] / 2 + 1 non-negative frequencies of the last axis,
 * complex64 as interleaved float real and imaginary parts) and COMPLEX_ABS (|z| in float).
 * Preconditions (the caller's prepare): sizes powers of two, twiddle tables of
 * edge_ref_fft_twiddle_count doubles filled by edge_ref_fft_twiddles, scratch of
 * edge_ref_rfft2d_scratch bytes. No allocation. Does not own validation (backends/cpu/op_rfft.c).
 */
#ifndef EDGE_REF_FFT_H
#define EDGE_REF_FFT_H

#include <stddef.h>
#include <stdint.h>

/* Doubles in the twiddle table of an N-point FFT (N a power of two). */
size_t edge_ref_fft_twiddle_count(uint32_t n);
/* TW[2k], TW[2k + 1] = cos, -sin of 2 pi k / N for k < N / 2. */
void edge_ref_fft_twiddles(uint32_t n, double *tw);
/* REV[k] = k with its log2(H) bits reversed, for k < H (a power of two). */
void edge_ref_fft_bitrev(uint32_t h, uint32_t *rev);
/* In place: X (N interleaved complex values, consecutive ones STRIDE complex values apart)
 * becomes its DFT. */
void edge_ref_fft(uint32_t n, const double *tw, double *x, size_t stride);

typedef struct edge_ref_rfft2d_params {
    size_t batch;             /* product of the dimensions before the last two */
    int32_t in_rows, in_cols; /* the input's last two dimensions */
    uint32_t m, n;            /* fft_length */
    const double *tw_m, *tw_n;
} edge_ref_rfft2d_params;

size_t edge_ref_rfft2d_scratch(const edge_ref_rfft2d_params *p);
/* IN [batch, in_rows, in_cols] float into OUT [batch, m, n / 2 + 1] complex64. */
void edge_ref_rfft2d(const edge_ref_rfft2d_params *p, const float *in, float *out, void *scratch);

/* COMPLEX_ABS: OUT[i] = |IN[i]| for COUNT complex64 values. */
void edge_ref_complex_abs(size_t count, const float *in, float *out);

#endif
