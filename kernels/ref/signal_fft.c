/* kernels/ref/signal_fft.c - SignalRfft's int16 real FFT and SignalIrfft's inverse (audio family).
 *
 * Owns: the fixed-point real FFT signal.h describes, written here to give what TFLite Micro's
 * kissfft build (16-bit fixed point) gives: the same factorization (radix 4 while it divides,
 * then 2), the same recursion order (each pass gathers its input with the stride of the passes
 * above it, then runs its butterflies), every butterfly input scaled by 1/radix as
 * round(x * (32767 / radix) / 2^15), products rounded in Q15, sums kept in int16, and the
 * real-input split halving with an arithmetic shift; the inverse as kissfft's kiss_fftri: the
 * spectrum's halves (each halved as a butterfly input is) recombined with the conjugate split
 * twiddles, then the same complex FFT with conjugate twiddles and the radix-4 butterfly's
 * inverse rotation, N / 2 complex results read as N interleaved samples. Does not own validation
 * (backends/cpu/op_signal.c). */
#include "signal.h"

#include <math.h>
#include <stdbool.h>

typedef struct cpx {
    int16_t r, i;
} cpx;

static int16_t q15_round(int32_t x)
{
    return (int16_t)((x + (1 << 14)) >> 15);
}

static cpx cmul(cpx a, cpx b)
{
    return (cpx){q15_round((int32_t)a.r * b.r - (int32_t)a.i * b.i),
                 q15_round((int32_t)a.r * b.i + (int32_t)a.i * b.r)};
}

static cpx scale_down(cpx c, int radix)
{
    const int32_t k = 32767 / radix;
    return (cpx){q15_round(c.r * k), q15_round(c.i * k)};
}

static cpx cadd(cpx a, cpx b)
{
    return (cpx){(int16_t)(a.r + b.r), (int16_t)(a.i + b.i)};
}

static cpx csub(cpx a, cpx b)
{
    return (cpx){(int16_t)(a.r - b.r), (int16_t)(a.i - b.i)};
}

/* A Q15 complex exponential, as kissfft's fixed-point kf_cexp rounds it. */
static cpx q15_exp(double phase)
{
    return (cpx){(int16_t)floor(0.5 + 32767 * cos(phase)),
                 (int16_t)floor(0.5 + 32767 * sin(phase))};
}

size_t edge_ref_rfft_s16_table_count(int32_t n)
{
    return 2 * (size_t)n; /* n / 2 twiddles and n / 2 split twiddles, 2 int16 each */
}

/* The twiddles of the forward (SIGN -1) or inverse (SIGN 1) transform: kissfft negates every
 * phase of an inverse configuration. */
static void fft_tables(int32_t n, double sign, int16_t *tables)
{
    const int32_t half = n / 2;
    cpx *tw = (cpx *)tables, *split = tw + half;
    for (int32_t i = 0; i < half; i++)
        tw[i] = q15_exp(sign * 2 * M_PI * i / half);
    for (int32_t i = 0; i < half; i++)
        split[i] = q15_exp(sign * M_PI * ((double)(i + 1) / half + .5));
}

void edge_ref_rfft_s16_tables(int32_t n, int16_t *tables)
{
    fft_tables(n, -1.0, tables);
}

void edge_ref_irfft_s16_tables(int32_t n, int16_t *tables)
{
    fft_tables(n, 1.0, tables);
}

static void butterfly2(cpx *f, size_t stride, const cpx *tw, size_t m)
{
    for (size_t k = 0; k < m; k++) {
        const cpx a = scale_down(f[k], 2);
        const cpx t = cmul(scale_down(f[k + m], 2), tw[k * stride]);
        f[k + m] = csub(a, t);
        f[k] = cadd(a, t);
    }
}

/* INV: the inverse transform's rotation of s4 (kissfft's kf_bfly4 with st->inverse). */
static void butterfly4(cpx *f, size_t stride, const cpx *tw, size_t m, bool inv)
{
    for (size_t k = 0; k < m; k++) {
        const cpx f0 = scale_down(f[k], 4);
        const cpx s0 = cmul(scale_down(f[k + m], 4), tw[k * stride]);
        const cpx s1 = cmul(scale_down(f[k + 2 * m], 4), tw[2 * k * stride]);
        const cpx s2 = cmul(scale_down(f[k + 3 * m], 4), tw[3 * k * stride]);
        const cpx s5 = csub(f0, s1), a = cadd(f0, s1);
        const cpx s3 = cadd(s0, s2), s4 = csub(s0, s2);
        f[k + 2 * m] = csub(a, s3);
        f[k] = cadd(a, s3);
        const cpx plus = {(int16_t)(s5.r + s4.i), (int16_t)(s5.i - s4.r)};
        const cpx minus = {(int16_t)(s5.r - s4.i), (int16_t)(s5.i + s4.r)};
        f[k + m] = inv ? minus : plus;
        f[k + 3 * m] = inv ? plus : minus;
    }
}

/* The radix of the next pass over N points (4 while it divides, else 2; N a power of two). */
static size_t radix_of(size_t n)
{
    return n % 4 == 0 ? 4 : 2;
}

/* N points of IN (STRIDE apart) into OUT, transformed (INV: the inverse butterflies). */
static void cfft(cpx *out, const cpx *in, size_t n, size_t stride, const cpx *tw, bool inv)
{
    const size_t p = radix_of(n), m = n / p;
    if (m == 1) {
        for (size_t q = 0; q < p; q++)
            out[q] = in[q * stride];
    } else {
        for (size_t q = 0; q < p; q++)
            cfft(out + q * m, in + q * stride, m, stride * p, tw, inv);
    }
    if (p == 2)
        butterfly2(out, stride, tw, m);
    else
        butterfly4(out, stride, tw, m, inv);
}

void edge_ref_rfft_s16(int32_t n, const int16_t *tables, const int16_t *in, int16_t *out,
                       int16_t *work)
{
    const size_t half = (size_t)n / 2;
    const cpx *tw = (const cpx *)tables, *split = tw + half;
    cpx *t = (cpx *)work, *o = (cpx *)out;
    cfft(t, (const cpx *)in, half, 1, tw, false);
    const cpx dc = scale_down(t[0], 2);
    o[0] = (cpx){(int16_t)(dc.r + dc.i), 0};
    o[half] = (cpx){(int16_t)(dc.r - dc.i), 0};
    for (size_t k = 1; k <= half / 2; k++) {
        const cpx fk = scale_down(t[k], 2);
        const cpx fnk = scale_down((cpx){t[half - k].r, (int16_t)-t[half - k].i}, 2);
        const cpx f1 = cadd(fk, fnk), f2 = csub(fk, fnk);
        const cpx w = cmul(f2, split[k - 1]);
        o[k] = (cpx){(int16_t)((f1.r + w.r) >> 1), (int16_t)((f1.i + w.i) >> 1)};
        o[half - k] = (cpx){(int16_t)((f1.r - w.r) >> 1), (int16_t)((w.i - f1.i) >> 1)};
    }
}

void edge_ref_irfft_s16(int32_t n, const int16_t *tables, const int16_t *in, int16_t *out,
                        int16_t *work)
{
    const size_t half = (size_t)n / 2;
    const cpx *tw = (const cpx *)tables, *split = tw + half, *f = (const cpx *)in;
    cpx *t = (cpx *)work;
    t[0] = scale_down((cpx){(int16_t)(f[0].r + f[half].r), (int16_t)(f[0].r - f[half].r)}, 2);
    for (size_t k = 1; k <= half / 2; k++) {
        const cpx fk = scale_down(f[k], 2);
        const cpx fnkc = scale_down((cpx){f[half - k].r, (int16_t)-f[half - k].i}, 2);
        const cpx fek = cadd(fk, fnkc), fok = cmul(csub(fk, fnkc), split[k - 1]);
        t[k] = cadd(fek, fok);
        const cpx back = csub(fek, fok);
        t[half - k] = (cpx){back.r, (int16_t)-back.i};
    }
    cfft((cpx *)out, t, half, 1, tw, true);
}
