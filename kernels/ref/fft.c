/* kernels/ref/fft.c - the float FFT, RFFT2D and COMPLEX_ABS (audio family).
 *
 * Owns: the arithmetic fft.h describes. The FFT is iterative radix 2: a bit-reversal
 * permutation, then log2(N) passes of butterflies whose twiddles are read from the table with
 * a stride. Does not own validation (backends/cpu/op_rfft.c). */
#include "fft.h"

#include <math.h>
#include <string.h>

size_t edge_ref_fft_twiddle_count(uint32_t n)
{
    return n >= 2 ? n : 2;
}

void edge_ref_fft_twiddles(uint32_t n, double *tw)
{
    tw[0] = 1.0;
    tw[1] = 0.0;
    for (uint32_t k = 1; k < n / 2; k++) {
        const double a = 2.0 * M_PI * (double)k / (double)n;
        tw[2 * k] = cos(a);
        tw[2 * k + 1] = -sin(a);
    }
}

void edge_ref_fft_bitrev(uint32_t h, uint32_t *rev)
{
    uint32_t bits = 0;
    while ((1u << bits) < h)
        bits++;
    for (uint32_t k = 0; k < h; k++) {
        uint32_t r = 0;
        for (uint32_t b = 0; b < bits; b++)
            r |= ((k >> b) & 1u) << (bits - 1 - b);
        rev[k] = r;
    }
}

static void swap_complex(double *x, size_t a, size_t b)
{
    const double re = x[2 * a], im = x[2 * a + 1];
    x[2 * a] = x[2 * b];
    x[2 * a + 1] = x[2 * b + 1];
    x[2 * b] = re;
    x[2 * b + 1] = im;
}

static void bit_reverse(uint32_t n, double *x, size_t stride)
{
    for (uint32_t i = 1, j = 0; i < n; i++) {
        uint32_t bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j |= bit;
        if (i < j)
            swap_complex(x, (size_t)i * stride, (size_t)j * stride);
    }
}

void edge_ref_fft(uint32_t n, const double *tw, double *x, size_t stride)
{
    bit_reverse(n, x, stride);
    for (uint32_t len = 2; len <= n; len <<= 1) {
        const uint32_t half = len / 2, step = n / len;
        for (uint32_t start = 0; start < n; start += len) {
            for (uint32_t k = 0; k < half; k++) {
                const double wr = tw[2 * k * step], wi = tw[2 * k * step + 1];
                double *a = x + 2 * (size_t)(start + k) * stride;
                double *b = x + 2 * (size_t)(start + k + half) * stride;
                const double br = b[0] * wr - b[1] * wi, bi = b[0] * wi + b[1] * wr;
                b[0] = a[0] - br;
                b[1] = a[1] - bi;
                a[0] += br;
                a[1] += bi;
            }
        }
    }
}

size_t edge_ref_rfft2d_scratch(const edge_ref_rfft2d_params *p)
{
    return (size_t)p->m * p->n * 2 * sizeof(double);
}

/* One [in_rows, in_cols] slice into W [m, n] complex, cropped or zero-padded. */
static void rfft2d_load(const edge_ref_rfft2d_params *p, const float *in, double *w)
{
    memset(w, 0, edge_ref_rfft2d_scratch(p));
    const uint32_t rows = (uint32_t)p->in_rows < p->m ? (uint32_t)p->in_rows : p->m;
    const uint32_t cols = (uint32_t)p->in_cols < p->n ? (uint32_t)p->in_cols : p->n;
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t c = 0; c < cols; c++)
            w[2 * ((size_t)r * p->n + c)] = in[(size_t)r * (size_t)p->in_cols + c];
}

void edge_ref_rfft2d(const edge_ref_rfft2d_params *p, const float *in, float *out, void *scratch)
{
    double *w = scratch;
    const size_t in_slice = (size_t)p->in_rows * (size_t)p->in_cols;
    const uint32_t bins = p->n / 2 + 1;
    for (size_t b = 0; b < p->batch; b++) {
        rfft2d_load(p, in + b * in_slice, w);
        for (uint32_t r = 0; r < p->m; r++)
            edge_ref_fft(p->n, p->tw_n, w + 2 * (size_t)r * p->n, 1);
        float *o = out + 2 * b * p->m * bins;
        for (uint32_t k = 0; k < bins; k++) {
            edge_ref_fft(p->m, p->tw_m, w + 2 * (size_t)k, p->n);
            for (uint32_t r = 0; r < p->m; r++) {
                o[2 * ((size_t)r * bins + k)] = (float)w[2 * ((size_t)r * p->n + k)];
                o[2 * ((size_t)r * bins + k) + 1] = (float)w[2 * ((size_t)r * p->n + k) + 1];
            }
        }
    }
}

void edge_ref_complex_abs(size_t count, const float *in, float *out)
{
    for (size_t i = 0; i < count; i++)
        out[i] = hypotf(in[2 * i], in[2 * i + 1]);
}
