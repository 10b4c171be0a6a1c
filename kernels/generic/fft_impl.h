/* kernels/generic/fft_impl.h - the real FFT rows of RFFT2D and COMPLEX_ABS of kernels/f32.h,
 * written once with GCC vector extensions and instantiated per level.
 *
 * Owns: the bodies of edge_f32_rfft_rows and edge_f32_complex_abs. A level's file defines
 * F32_LANES and F32_SFX and includes this header after f32_eltwise_impl.h. Does not own the
 * plan (twiddles and bit reversal, kernels/ref/fft.c) or threading (backends/cpu/op_rfft.c).
 *
 * edge_f32_rfft_rows takes F32_LANES / 2 rows at once, one per double lane: an n-point real
 * DFT is an n/2-point complex FFT of z[k] = x[2k] + i x[2k+1] (loaded in bit-reversed order,
 * then radix-2 butterflies in place), split into the even and odd halves' spectra
 * E[k] = (Z[k] + conj Z[n/2-k]) / 2, O[k] = (Z[k] - conj Z[n/2-k]) / 2i and joined as
 * X[k] = E[k] + W^k O[k]: half the reference's butterflies (kernels/ref/fft.c transforms the
 * complex row), in double as it is, so the outputs agree to rounding (not bit for bit: the
 * operations differ). */
#include <math.h>
#include <string.h>

#include "f32.h"

typedef double f64v __attribute__((vector_size(F32_LANES * sizeof(float))));
#define F64_LANES (F32_LANES / 2)

/* Square roots of every lane: the level's instruction (a lane loop would keep errno's
 * check and call per lane). */
static inline f64v f64_sqrt(f64v x)
{
#if F32_LANES == 16 && defined(__AVX512F__)
    return (f64v)_mm512_sqrt_pd((__m512d)x);
#elif F32_LANES == 8 && defined(__AVX2__)
    return (f64v)_mm256_sqrt_pd((__m256d)x);
#elif F32_LANES == 4 && defined(__aarch64__)
    return (f64v)vsqrtq_f64((float64x2_t)x);
#else
    for (int l = 0; l < F64_LANES; l++)
        x[l] = sqrt(x[l]);
    return x;
#endif
}

static inline f64v f64_splat(double x)
{
    f64v v;
    for (int l = 0; l < F64_LANES; l++)
        v[l] = x;
    return v;
}

/* Z of up to F64_LANES rows (row l at IN + l * STRIDE, LANES of them; the last repeated into
 * the unused lanes), bit-reversed, as split real and imaginary vectors. */
static void fft_load(const edge_rfft_plan *p, const float *in, size_t stride, size_t lanes,
                     f64v *re, f64v *im)
{
    const uint32_t h = p->n / 2;
    const size_t cols = (size_t)p->in_cols;
    for (uint32_t k = 0; k < h; k++) {
        const size_t j = 2 * (size_t)p->rev[k];
        f64v r, i;
        for (int l = 0; l < F64_LANES; l++) {
            const float *x = in + ((size_t)l < lanes ? (size_t)l : lanes - 1) * stride;
            r[l] = j < cols ? (double)x[j] : 0.0;
            i[l] = j + 1 < cols ? (double)x[j + 1] : 0.0;
        }
        re[k] = r;
        im[k] = i;
    }
}

/* In place: the bit-reversed (RE, IM) of H points become their DFT; the twiddle of the H-point
 * FFT's k-th root is the N-point table's entry 2k (TW: cos, -sin of 2 pi j / N). */
static void fft_passes(uint32_t h, const double *tw, f64v *re, f64v *im)
{
    for (uint32_t len = 2; len <= h; len <<= 1) {
        const uint32_t half = len / 2, step = 2 * (h / len);
        for (uint32_t k = 0; k < half; k++) {
            const f64v wr = f64_splat(tw[2 * k * step]), wi = f64_splat(tw[2 * k * step + 1]);
            for (uint32_t a = k; a < h; a += len) {
                const uint32_t b = a + half;
                const f64v br = re[b] * wr - im[b] * wi, bi = re[b] * wi + im[b] * wr;
                re[b] = re[a] - br;
                im[b] = im[a] - bi;
                re[a] += br;
                im[a] += bi;
            }
        }
    }
}

/* Bins 0..N/2 of the rows from the half-size spectrum (RE, IM), into OUT (row l at
 * OUT + l * (N + 2) floats, LANES rows). */
static void fft_split(const edge_rfft_plan *p, const f64v *re, const f64v *im, float *out,
                      size_t lanes)
{
    const uint32_t h = p->n / 2;
    const size_t row = 2 * ((size_t)h + 1);
    const f64v half = f64_splat(0.5);
    for (uint32_t k = 0; k <= h; k++) {
        f64v xr, xi;
        if (k == 0 || k == h) {
            xr = k == 0 ? re[0] + im[0] : re[0] - im[0];
            xi = f64_splat(0.0);
        } else {
            const f64v ar = re[k], ai = im[k], br = re[h - k], bi = -im[h - k];
            const f64v er = (ar + br) * half, ei = (ai + bi) * half;
            const f64v od_r = (ai - bi) * half, od_i = (br - ar) * half;
            const f64v wr = f64_splat(p->tw[2 * k]), wi = f64_splat(p->tw[2 * k + 1]);
            xr = er + (od_r * wr - od_i * wi);
            xi = ei + (od_r * wi + od_i * wr);
        }
        for (size_t l = 0; l < lanes; l++) {
            out[l * row + 2 * k] = (float)xr[l];
            out[l * row + 2 * k + 1] = (float)xi[l];
        }
    }
}

void F32_FN(edge_f32_rfft_rows)(const edge_rfft_plan *p, const float *in, size_t in_stride,
                                size_t rows, float *out, void *scratch)
{
    const uint32_t h = p->n / 2;
    f64v *re = scratch, *im = re + h;
    for (size_t g = 0; g < rows; g += F64_LANES) {
        const size_t lanes = rows - g < F64_LANES ? rows - g : F64_LANES;
        fft_load(p, in + g * in_stride, in_stride, lanes, re, im);
        fft_passes(h, p->tw, re, im);
        fft_split(p, re, im, out + g * 2 * ((size_t)h + 1), lanes);
    }
}

/* The even and odd floats of a vector (the real and imaginary parts of F32_LANES / 2 complex
 * values). */
#if F32_LANES == 16
#define FFT_EVEN 0, 2, 4, 6, 8, 10, 12, 14
#define FFT_ODD 1, 3, 5, 7, 9, 11, 13, 15
#elif F32_LANES == 8
#define FFT_EVEN 0, 2, 4, 6
#define FFT_ODD 1, 3, 5, 7
#else
#define FFT_EVEN 0, 2
#define FFT_ODD 1, 3
#endif

/* |z| as glibc's hypotf computes it: the squares and their sum in double (the square of a
 * float is exact there, and no sum of two overflows), one square root, rounded to float; a
 * vector with an infinity or a NaN goes through hypotf itself (an infinity wins over a NaN). */
void F32_FN(edge_f32_complex_abs)(const float *in, float *out, size_t n)
{
    const f64v big = f64_splat(1.7976931348623157e308);
    size_t i = 0;
    for (; i + F64_LANES <= n; i += F64_LANES) {
        const f32v v = f32_ld(in + 2 * i);
        const f32h re = __builtin_shufflevector(v, v, FFT_EVEN);
        const f32h im = __builtin_shufflevector(v, v, FFT_ODD);
        const f64v r = __builtin_convertvector(re, f64v), m = __builtin_convertvector(im, f64v);
        const f64v sq = r * r + m * m;
        if (!f32_all((i32v)(sq <= big))) {
            for (int l = 0; l < F64_LANES; l++)
                out[i + l] = hypotf(in[2 * (i + l)], in[2 * (i + l) + 1]);
            continue;
        }
        const f32h q = __builtin_convertvector(f64_sqrt(sq), f32h);
        memcpy(out + i, &q, sizeof q);
    }
    for (; i < n; i++)
        out[i] = hypotf(in[2 * i], in[2 * i + 1]);
}
