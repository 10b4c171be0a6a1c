/* tools/opgen_signal.c - generators of the audio family: RFFT2D, COMPLEX_ABS and TFLite Micro's
 * signal operators (custom operators SignalWindow ... SignalFilterBankLog).
 *
 * Owns: their random valid shapes, options (FlexBuffer maps, as TFLite Micro's converter writes
 * them) and inputs. None of them has a float32 twin, so both models of a case are the same
 * model (the check is then the kernel levels, and that random shapes and options run), and
 * where the result is simple to state the generator computes it itself (opgen_case.expected):
 * RFFT2D as a DFT in double, COMPLEX_ABS as |re + i im|, SignalRfft as the DFT / N and
 * SignalIrfft as the inverse DFT / N within their fixed-point scaling's error, SignalFilterBankLog
 * as output_scale * ln(x) within a step and 2e-4, and the window, auto-scale, energy, filter bank,
 * square root and the first frame of spectral subtraction exactly (SignalPCAN: levels only). Does
 * not own the kernels (kernels/ref/fft.c, signal*.c) or the options' decoding
 * (ops/decode_signal.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "opgen_impl.h"
#include "ref/signal.h"
#include "flex_build.h"

enum { TFLITE_INT16 = 7 }; /* SignalRfft's T */

/* A tensor of TYPE in both models (no quantization). */
static int32_t sig_tensor(og_pair *p, int type, int rank, const int32_t *dims)
{
    return og_tensor(p, type, type, rank, dims, NULL);
}

/* A subgraph input of TYPE holding BYTES bytes of DATA in both models. */
static int32_t sig_input(og_pair *p, int type, int rank, const int32_t *dims, const void *data,
                         size_t bytes)
{
    return og_input_raw(p, sig_tensor(p, type, rank, dims), data, bytes, data, bytes,
                        og_count(rank, dims));
}

/* A constant vector of TYPE (COUNT values, BYTES bytes of DATA) in both models. */
static int32_t sig_const(og_pair *p, int type, int32_t count, const void *data, size_t bytes)
{
    const tfw_tensor_desc d = {.type = type, .rank = 1, .dims = &count};
    const int32_t q = tfw_add_const(p->w[OG_Q], &d, data, bytes);
    const int32_t f = tfw_add_const(p->w[OG_F], &d, data, bytes);
    const int32_t t = q < 0 ? q : f < 0 ? f : q == f ? q : EDGE_EINVAL;
    if (t < 0 && !p->err)
        p->err = t;
    return t;
}

/* The custom operator NAME from IN to OUT (output 0 is the case's output) with options E. */
static int sig_custom(og_pair *p, const char *name, const int32_t *in, int n_in, const int32_t *out,
                      int n_out, const flex_entry *e, size_t n_e)
{
    flex_buf f;
    flex_build(&f, e, n_e);
    for (int m = OG_Q; m <= OG_F && !p->err; m++) {
        int32_t rc = tfw_add_custom_opcode(p->w[m], name, 1);
        if (rc >= 0)
            rc = tfw_add_custom_operator(p->w[m], rc, in, n_in, out, n_out, f.b, f.len);
        if (rc < 0)
            p->err = rc;
    }
    for (int i = 0; i < n_in; i++)
        if (in[i] < 0 && !p->err)
            p->err = EDGE_EINVAL;
    og_set_output(p, out[0]);
    p->tol_rel = 0.0f; /* integer results: exact unless a generator says otherwise */
    return p->err;
}

/* N int16 values uniform in [LO, HI] (malloc'd; NULL when out of memory). */
static int16_t *random_s16(og_rng *r, size_t n, int lo, int hi)
{
    int16_t *v = malloc(n ? n * sizeof *v : 1);
    if (v)
        for (size_t i = 0; i < n; i++)
            v[i] = (int16_t)og_int(r, lo, hi);
    return v;
}

/* N uint32 values below 2^BITS (malloc'd; NULL when out of memory). */
static uint32_t *random_u32(og_rng *r, size_t n, int bits)
{
    uint32_t *v = malloc(n ? n * sizeof *v : 1);
    if (v)
        for (size_t i = 0; i < n; i++)
            v[i] = bits >= 32 ? og_u32(r) : og_u32(r) >> (32 - bits);
    return v;
}

/* ---------------------------------------------------------------- RFFT2D, COMPLEX_ABS */

/* The 2-D DFT of one [ROWS, COLS] float matrix IN, cropped or zero-padded to M x N, into OUT
 * [M, N / 2 + 1] complex (floats); returns the sum of |x| it read (the error scale). */
static double dft2d(const float *in, int rows, int cols, int m, int n, float *out)
{
    double norm = 0.0;
    for (int r = 0; r < rows && r < m; r++)
        for (int c = 0; c < cols && c < n; c++)
            norm += fabs(in[r * cols + c]);
    for (int k = 0; k < m; k++)
        for (int l = 0; l <= n / 2; l++) {
            double re = 0.0, im = 0.0;
            for (int r = 0; r < rows && r < m; r++)
                for (int c = 0; c < cols && c < n; c++) {
                    const double a = -2.0 * M_PI * ((double)k * r / m + (double)l * c / n);
                    re += in[r * cols + c] * cos(a);
                    im += in[r * cols + c] * sin(a);
                }
            out[2 * (k * (n / 2 + 1) + l)] = (float)re;
            out[2 * (k * (n / 2 + 1) + l) + 1] = (float)im;
        }
    return norm;
}

int og_gen_rfft2d(og_pair *p)
{
    int32_t dims[OG_MAX_RANK], odims[OG_MAX_RANK];
    const int rank = og_shape_random(&p->rng, 2, 4, dims, 3);
    dims[rank - 2] = og_int(&p->rng, 1, 12);
    dims[rank - 1] = og_int(&p->rng, 1, 12);
    const int32_t fft[2] = {1 << og_int(&p->rng, 0, 4), 1 << og_int(&p->rng, 0, 4)};
    const int32_t x = og_input_f32(p, rank, dims, -2.0, 2.0);
    const int32_t len = og_const_i32(p, 1, (const int32_t[]){2}, fft);
    memcpy(odims, dims, sizeof odims);
    odims[rank - 2] = fft[0];
    odims[rank - 1] = fft[1] / 2 + 1;
    og_set_output(p, sig_tensor(p, EDGE_COMPLEX64, rank, odims));
    og_op(p, EDGE_OP_RFFT2D, 1, 1, (const int32_t[]){x, len}, 2, NULL);
    og_desc_shape(p, "in", rank, dims);
    og_desc(p, " fft_length=[%d,%d]", (int)fft[0], (int)fft[1]);
    if (p->err)
        return p->err;
    const int rows = dims[rank - 2], cols = dims[rank - 1];
    const size_t batch = og_count(rank - 2, dims), per = 2 * (size_t)fft[0] * (fft[1] / 2 + 1);
    float *want = malloc(batch * per * sizeof *want);
    if (!want)
        return EDGE_ENOMEM;
    double norm = 0.0;
    for (size_t b = 0; b < batch; b++) {
        const double s = dft2d(og_input_f(p, 0) + b * (size_t)rows * cols, rows, cols, fft[0],
                               fft[1], want + b * per);
        norm = s > norm ? s : norm;
    }
    og_expect(p, want, batch * per * sizeof *want);
    free(want);
    p->tol_rel = 0.0f;
    p->tol_abs = (float)(1e-6 * norm); /* float rounding of sums of up to 256 terms */
    return p->err;
}

int og_gen_complex_abs(og_pair *p)
{
    int32_t dims[OG_MAX_RANK];
    const int rank = og_shape_random(&p->rng, 1, 4, dims, 6);
    const size_t n = og_count(rank, dims);
    float *z = malloc(2 * n * sizeof *z), *want = malloc(n * sizeof *want);
    if (!z || !want) {
        free(z);
        free(want);
        return EDGE_ENOMEM;
    }
    const double mag = og_logunif(&p->rng, 1e-3, 1e3);
    for (size_t i = 0; i < 2 * n; i++)
        z[i] = og_chance(&p->rng, 0.1) ? 0.0f : (float)og_unif(&p->rng, -mag, mag);
    for (size_t i = 0; i < n; i++)
        want[i] = (float)sqrt((double)z[2 * i] * z[2 * i] + (double)z[2 * i + 1] * z[2 * i + 1]);
    const int32_t x = sig_input(p, EDGE_COMPLEX64, rank, dims, z, 2 * n * sizeof *z);
    og_set_output(p, sig_tensor(p, EDGE_FLOAT32, rank, dims));
    og_op(p, EDGE_OP_COMPLEX_ABS, 1, 1, &x, 1, NULL);
    og_expect(p, want, n * sizeof *want);
    free(z);
    free(want);
    og_desc_shape(p, "shape", rank, dims);
    og_desc(p, " magnitude=%.3g", mag);
    p->tol_rel = 1e-6f; /* hypotf against the double result rounded to float */
    return p->err;
}

/* ---------------------------------------------------------------- window, scale, FFT */

int og_gen_signal_window(og_pair *p)
{
    const int32_t taps = og_int(&p->rng, 1, 64), frames = og_int(&p->rng, 1, 4);
    const int32_t shift =
        og_chance(&p->rng, 0.7) ? og_int(&p->rng, 10, 15) : og_int(&p->rng, 0, 31);
    const bool flat = og_chance(&p->rng, 0.3);
    const int32_t dims[2] = {flat ? frames * taps : frames, taps};
    const size_t n = (size_t)frames * taps;
    int16_t *x = random_s16(&p->rng, n, INT16_MIN, INT16_MAX);
    int16_t *w =
        random_s16(&p->rng, (size_t)taps, og_chance(&p->rng, 0.5) ? 0 : INT16_MIN, INT16_MAX);
    int16_t *want = malloc(n * sizeof *want);
    if (x && w && want) {
        for (size_t i = 0; i < n; i++) { /* (x * w) >> shift: the floor of the quotient */
            const double v = floor(ldexp((double)x[i] * w[i % (size_t)taps], -shift));
            want[i] = (int16_t)(v < INT16_MIN ? INT16_MIN : v > INT16_MAX ? INT16_MAX : v);
        }
        const int32_t in = sig_input(p, EDGE_INT16, flat ? 1 : 2, dims, x, n * sizeof *x);
        const int32_t wt = sig_const(p, EDGE_INT16, taps, w, (size_t)taps * sizeof *w);
        const int32_t out = sig_tensor(p, EDGE_INT16, flat ? 1 : 2, dims);
        const flex_entry e[] = {{"shift", EDGE_FLEX_INT, shift}};
        sig_custom(p, "SignalWindow", (const int32_t[]){in, wt}, 2, &out, 1, e, 1);
        og_expect(p, want, n * sizeof *want);
    } else {
        p->err = EDGE_ENOMEM;
    }
    free(x);
    free(w);
    free(want);
    og_desc_shape(p, "in", flat ? 1 : 2, dims);
    og_desc(p, " taps=%d shift=%d", (int)taps, (int)shift);
    return p->err;
}

int og_gen_signal_fft_auto_scale(og_pair *p)
{
    const int32_t n = og_int(&p->rng, 1, 256);
    const int amp = (1 << og_int(&p->rng, 0, 15)) - 1; /* the largest magnitude drawn */
    int16_t *x = random_s16(&p->rng, (size_t)n, -amp, amp);
    int16_t *want = malloc((size_t)n * sizeof *want);
    if (x && want) {
        int max = 0;
        for (int32_t i = 0; i < n; i++)
            max = abs(x[i]) > max ? abs(x[i]) : max;
        int bits = 15; /* 15 - the bits of max, 0 for an all-zero input */
        while (bits > 0 && max >> (15 - bits))
            bits--;
        bits = max ? bits : 0;
        for (int32_t i = 0; i < n; i++)
            want[i] = (int16_t)(x[i] * (1 << bits));
        const int32_t in = sig_input(p, EDGE_INT16, 1, &n, x, (size_t)n * sizeof *x);
        const int32_t out = sig_tensor(p, EDGE_INT16, 1, &n);
        const int32_t scale = sig_tensor(p, EDGE_INT32, 0, NULL);
        sig_custom(p, "SignalFftAutoScale", &in, 1, (const int32_t[]){out, scale}, 2, NULL, 0);
        og_expect(p, want, (size_t)n * sizeof *want);
        og_desc(p, " n=%d amplitude=%d shift=%d", (int)n, amp, bits);
    } else {
        p->err = EDGE_ENOMEM;
    }
    free(x);
    free(want);
    return p->err;
}

int og_gen_signal_rfft(og_pair *p)
{
    const int32_t fft = 1 << og_int(&p->rng, 2, 9);
    const int32_t len = og_chance(&p->rng, 0.5) ? fft : og_int(&p->rng, 1, fft);
    const bool framed = og_chance(&p->rng, 0.5);
    const int32_t frames = framed ? og_int(&p->rng, 1, 3) : 1;
    const int32_t dims[2] = {frames, len}, odims[2] = {frames, fft + 2};
    const size_t n = (size_t)frames * len, on = (size_t)frames * (fft + 2);
    const int amp = og_chance(&p->rng, 0.5) ? INT16_MAX : og_int(&p->rng, 1, INT16_MAX);
    int16_t *x = random_s16(&p->rng, n, -amp, amp);
    int16_t *want = malloc(on * sizeof *want);
    if (x && want) {
        /* kissfft's fixed-point real FFT scales by 1 / N: the DFT / N, rounded */
        for (int32_t f = 0; f < frames; f++)
            for (int32_t k = 0; k <= fft / 2; k++) {
                double re = 0.0, im = 0.0;
                for (int32_t t = 0; t < len; t++) {
                    const double a = -2.0 * M_PI * (double)k * t / fft;
                    re += x[(size_t)f * len + t] * cos(a);
                    im += x[(size_t)f * len + t] * sin(a);
                }
                want[(size_t)f * (fft + 2) + 2 * k] = (int16_t)lrint(re / fft);
                want[(size_t)f * (fft + 2) + 2 * k + 1] = (int16_t)lrint(im / fft);
            }
        const int32_t in =
            sig_input(p, EDGE_INT16, framed ? 2 : 1, framed ? dims : dims + 1, x, n * sizeof *x);
        const int32_t out = sig_tensor(p, EDGE_INT16, framed ? 2 : 1, framed ? odims : odims + 1);
        const flex_entry e[] = {{"T", EDGE_FLEX_INT, TFLITE_INT16},
                                {"fft_length", EDGE_FLEX_INT, fft}};
        sig_custom(p, "SignalRfft", &in, 1, &out, 1, e, 2);
        og_expect(p, want, on * sizeof *want);
    } else {
        p->err = EDGE_ENOMEM;
    }
    free(x);
    free(want);
    og_desc(p, " frames=%d length=%d fft_length=%d amplitude=%d", (int)frames, (int)len, (int)fft,
            amp);
    /* each of the log2(N) passes rounds (half a step) and scales by 1/radix as a Q15 product
     * (32767 / radix: 16383 / 32768 for 1/2, 8191 / 32768 for 1/4, 1.2e-4 short), and the Q15
     * twiddles are off by up to 2^-16 */
    int stages = 0;
    while ((1 << stages) < fft)
        stages++;
    p->tol_abs = 1.0f + 0.5f * (float)stages;
    p->tol_rel = 1.3e-4f * (float)stages;
    return p->err;
}

/* SignalIrfft: N / 2 + 1 complex bins (the imaginary parts of DC and Nyquist zero: a real
 * signal's) to N samples; kissfft's fixed-point kiss_fftri halves while it recombines and
 * scales each pass by 1 / radix, so the result is the inverse DFT / N, rounded. */
int og_gen_signal_irfft(og_pair *p)
{
    const int32_t fft = 1 << og_int(&p->rng, 2, 9);
    const bool framed = og_chance(&p->rng, 0.5);
    const int32_t frames = framed ? og_int(&p->rng, 1, 3) : 1;
    const int32_t dims[2] = {frames, fft + 2}, odims[2] = {frames, fft};
    const size_t n = (size_t)frames * (fft + 2), on = (size_t)frames * fft;
    /* kiss_fftri halves the bins and sums four of them (bin k and N/2 - k, and their rotated
     * difference) in int16: past a quarter of the range that sum wraps, as in kissfft itself */
    const int amp = og_chance(&p->rng, 0.5) ? 8191 : og_int(&p->rng, 1, 8191);
    int16_t *x = random_s16(&p->rng, n, -amp, amp);
    int16_t *want = malloc(on * sizeof *want);
    if (x && want) {
        for (int32_t f = 0; f < frames; f++) {
            int16_t *bins = x + (size_t)f * (fft + 2);
            bins[1] = bins[fft + 1] = 0;
            for (int32_t t = 0; t < fft; t++) {
                double v = bins[0] + ((t & 1) ? -1.0 : 1.0) * bins[fft];
                for (int32_t k = 1; k < fft / 2; k++) {
                    const double a = 2.0 * M_PI * (double)k * t / fft;
                    v += 2.0 * (bins[2 * k] * cos(a) - bins[2 * k + 1] * sin(a));
                }
                want[(size_t)f * fft + t] = (int16_t)lrint(v / fft);
            }
        }
        const int32_t in =
            sig_input(p, EDGE_INT16, framed ? 2 : 1, framed ? dims : dims + 1, x, n * sizeof *x);
        const int32_t out = sig_tensor(p, EDGE_INT16, framed ? 2 : 1, framed ? odims : odims + 1);
        const flex_entry e[] = {{"T", EDGE_FLEX_INT, TFLITE_INT16},
                                {"fft_length", EDGE_FLEX_INT, fft}};
        sig_custom(p, "SignalIrfft", &in, 1, &out, 1, e, 2);
        og_expect(p, want, on * sizeof *want);
    } else {
        p->err = EDGE_ENOMEM;
    }
    free(x);
    free(want);
    og_desc(p, " frames=%d fft_length=%d amplitude=%d", (int)frames, (int)fft, amp);
    int stages = 0;
    while ((1 << stages) < fft)
        stages++;
    /* each pass rounds (half a step) and the recombination's Q15 twiddle product once more */
    p->tol_abs = 2.0f + 0.5f * (float)stages;
    p->tol_rel = 1.3e-4f * (float)stages;
    return p->err;
}

/* ---------------------------------------------------------------- energy, filter bank */

int og_gen_signal_energy(og_pair *p)
{
    const int32_t bins = og_int(&p->rng, 1, 129), in_n = 2 * bins;
    const int32_t end = og_chance(&p->rng, 0.3) ? bins : og_int(&p->rng, 0, bins);
    const int32_t start = og_chance(&p->rng, 0.3) ? 0 : og_int(&p->rng, 0, end);
    /* full range: (-32768, -32768) gives 2^31, TFLite Micro's int sum wrapped to uint32 */
    const bool corner = og_chance(&p->rng, 0.2); /* only -32768 and -32767 */
    int16_t *x = random_s16(&p->rng, (size_t)in_n, INT16_MIN, corner ? INT16_MIN + 1 : INT16_MAX);
    uint32_t *want = calloc((size_t)bins, sizeof *want);
    if (x && want) {
        for (int32_t i = start; i < end; i++)
            want[i] = (uint32_t)(x[2 * i] * x[2 * i]) + (uint32_t)(x[2 * i + 1] * x[2 * i + 1]);
        const int32_t in = sig_input(p, EDGE_INT16, 1, &in_n, x, (size_t)in_n * sizeof *x);
        const int32_t out = sig_tensor(p, EDGE_UINT32, 1, &bins);
        const flex_entry e[] = {{"end_index", EDGE_FLEX_INT, end},
                                {"start_index", EDGE_FLEX_INT, start}};
        sig_custom(p, "SignalEnergy", &in, 1, &out, 1, e, 2);
        og_expect(p, want, (size_t)bins * sizeof *want);
    } else {
        p->err = EDGE_ENOMEM;
    }
    free(x);
    free(want);
    og_desc(p, " bins=%d range=[%d,%d)%s", (int)bins, (int)start, (int)end,
            corner ? " corner" : "");
    return p->err;
}

/* A random filter bank of CHANNELS (+ 1 tables entries) over BINS with N_W weights. */
typedef struct fb_tables {
    int32_t channels, bins, n_w;
    int16_t freq[33], wstart[33], width[33];
    int16_t *w, *uw;
} fb_tables;

static int fb_random(og_rng *r, fb_tables *t)
{
    t->channels = og_int(r, 1, 32);
    t->bins = og_int(r, 1, 257);
    t->n_w = 0;
    for (int32_t c = 0; c <= t->channels; c++) {
        t->width[c] = (int16_t)og_int(r, 0, t->bins < 16 ? t->bins : 16);
        t->freq[c] = (int16_t)og_int(r, 0, t->bins - t->width[c]);
        t->wstart[c] = (int16_t)t->n_w;
        t->n_w += t->width[c];
    }
    if (og_chance(r, 0.2) && t->n_w > 1) /* channels sharing weights */
        for (int32_t c = 0; c <= t->channels; c++)
            t->wstart[c] = (int16_t)og_int(r, 0, t->n_w - t->width[c]);
    t->n_w = t->n_w ? t->n_w : 1;
    t->w = random_s16(r, (size_t)t->n_w, 0, 4096); /* Q12 weights, as the converter writes */
    t->uw = random_s16(r, (size_t)t->n_w, 0, 4096);
    return t->w && t->uw ? 0 : EDGE_ENOMEM;
}

int og_gen_signal_filter_bank(og_pair *p)
{
    fb_tables t;
    int rc = fb_random(&p->rng, &t);
    uint32_t *x = random_u32(&p->rng, (size_t)t.bins, og_int(&p->rng, 1, 32));
    uint64_t *want = calloc((size_t)t.channels, sizeof *want);
    if (!rc && x && want) {
        uint64_t carry = 0; /* channel c - 1's unweighted sum starts channel c */
        for (int32_t c = 0; c <= t.channels; c++) {
            uint64_t wsum = carry, usum = 0;
            for (int32_t j = 0; j < t.width[c]; j++) {
                wsum += (uint64_t)t.w[t.wstart[c] + j] * x[t.freq[c] + j];
                usum += (uint64_t)t.uw[t.wstart[c] + j] * x[t.freq[c] + j];
            }
            if (c > 0)
                want[c - 1] = wsum;
            carry = usum;
        }
        const int32_t n1 = t.channels + 1;
        const int32_t in = sig_input(p, EDGE_UINT32, 1, &t.bins, x, (size_t)t.bins * sizeof *x);
        const int32_t tw = sig_const(p, EDGE_INT16, t.n_w, t.w, (size_t)t.n_w * 2);
        const int32_t tu = sig_const(p, EDGE_INT16, t.n_w, t.uw, (size_t)t.n_w * 2);
        const int32_t tf = sig_const(p, EDGE_INT16, n1, t.freq, (size_t)n1 * 2);
        const int32_t ts = sig_const(p, EDGE_INT16, n1, t.wstart, (size_t)n1 * 2);
        const int32_t tc = sig_const(p, EDGE_INT16, n1, t.width, (size_t)n1 * 2);
        const int32_t out = sig_tensor(p, EDGE_UINT64, 1, &t.channels);
        const flex_entry e[] = {{"num_channels", EDGE_FLEX_INT, t.channels}};
        sig_custom(p, "SignalFilterBank", (const int32_t[]){in, tw, tu, tf, ts, tc}, 6, &out, 1, e,
                   1);
        og_expect(p, want, (size_t)t.channels * sizeof *want);
    } else {
        p->err = rc ? rc : EDGE_ENOMEM;
    }
    free(t.w);
    free(t.uw);
    free(x);
    free(want);
    og_desc(p, " bins=%d channels=%d weights=%d", (int)t.bins, (int)t.channels, (int)t.n_w);
    return p->err;
}

/* floor(sqrt(X)), exactly. */
static uint64_t isqrt64(uint64_t x)
{
    uint64_t r = (uint64_t)sqrt((double)x);
    while (r > 0 && (r > UINT32_MAX || r * r > x))
        r--;
    while (r < UINT32_MAX && (r + 1) * (r + 1) <= x)
        r++;
    return r;
}

int og_gen_signal_filter_bank_sqrt(og_pair *p)
{
    const int32_t n = og_int(&p->rng, 1, 64);
    const int32_t shift = og_int(&p->rng, 0, 15); /* SignalFftAutoScale's range */
    const int bits = og_int(&p->rng, 1, 64);
    uint64_t *x = malloc((size_t)n * sizeof *x);
    uint32_t *want = malloc((size_t)n * sizeof *want);
    if (x && want) {
        for (int32_t i = 0; i < n; i++) {
            const uint64_t v = ((uint64_t)og_u32(&p->rng) << 32) | og_u32(&p->rng);
            x[i] = og_chance(&p->rng, 0.05) ? 0 : bits == 64 ? v : v >> (64 - bits);
            /* rounded up when the remainder exceeds the root, as TFLite Micro's Sqrt64, except
             * where the root type (uint16 below 2^32, uint32 above) is full */
            const uint64_t r = isqrt64(x[i]);
            const uint64_t max = x[i] >> 32 ? UINT32_MAX : 0xFFFF;
            const uint64_t up = x[i] - r * r > r && r != max ? r + 1 : r;
            want[i] = (uint32_t)(up >> shift);
        }
        const int32_t in = sig_input(p, EDGE_UINT64, 1, &n, x, (size_t)n * sizeof *x);
        const int32_t sh = og_const_i32(p, 0, NULL, &shift);
        const int32_t out = sig_tensor(p, EDGE_UINT32, 1, &n);
        sig_custom(p, "SignalFilterBankSquareRoot", (const int32_t[]){in, sh}, 2, &out, 1, NULL, 0);
        og_expect(p, want, (size_t)n * sizeof *want);
    } else {
        p->err = EDGE_ENOMEM;
    }
    free(x);
    free(want);
    og_desc(p, " n=%d bits=%d shift=%d", (int)n, bits, (int)shift);
    return p->err;
}

/* ---------------------------------------------------------------- noise reduction, log */

/* The first frame of spectral subtraction from the zero noise estimate an interpreter starts
 * with: the estimate is the (smoothing-scaled) input smoothed from zero, at most the input; the
 * output is what remains of the input, at least its MIN_REMAINING fraction. */
static void spectral_first(const uint32_t *x, int32_t n, const int32_t k[5], uint32_t *out)
{
    const int32_t sb = k[0], sub = k[1], sm = k[2], alt = k[3], min_remaining = k[4];
    for (int32_t i = 0; i < n; i++) {
        const uint32_t up = x[i] << sb; /* uint32, as TFLite Micro shifts */
        uint32_t estimate = (uint32_t)(((uint64_t)up * (uint32_t)(i & 1 ? alt : sm)) >> sub);
        estimate = estimate < up ? estimate : up;
        const uint32_t floor = (uint32_t)(((uint64_t)x[i] * (uint32_t)min_remaining) >> sub);
        const uint32_t left = (up - estimate) >> sb;
        out[i] = left > floor ? left : floor;
    }
}

int og_gen_signal_spectral_subtraction(og_pair *p)
{
    const int32_t n = og_int(&p->rng, 1, 64);
    /* smoothing bits, subtraction bits, smoothing, alternate smoothing, minimum remaining */
    const int32_t k[5] = {og_int(&p->rng, 0, 31), og_int(&p->rng, 0, 20),
                          og_int(&p->rng, 0, 1 << 14), og_int(&p->rng, 0, 1 << 14),
                          og_int(&p->rng, 0, 1 << 14)};
    const bool clamp = og_chance(&p->rng, 0.5);
    uint32_t *x = random_u32(&p->rng, (size_t)n, og_int(&p->rng, 1, 32));
    uint32_t *want = malloc((size_t)n * sizeof *want);
    if (x && want) {
        spectral_first(x, n, k, want);
        const int32_t in = sig_input(p, EDGE_UINT32, 1, &n, x, (size_t)n * sizeof *x);
        const int32_t out = sig_tensor(p, EDGE_UINT32, 1, &n);
        const int32_t noise = sig_tensor(p, EDGE_UINT32, 1, &n);
        const flex_entry e[] = {
            {"alternate_one_minus_smoothing", EDGE_FLEX_INT, (1 << 14) - k[3]},
            {"alternate_smoothing", EDGE_FLEX_INT, k[3]},
            {"clamping", EDGE_FLEX_BOOL, clamp},
            {"min_signal_remaining", EDGE_FLEX_INT, k[4]},
            {"num_channels", EDGE_FLEX_INT, n},
            {"one_minus_smoothing", EDGE_FLEX_INT, (1 << 14) - k[2]},
            {"smoothing", EDGE_FLEX_INT, k[2]},
            {"smoothing_bits", EDGE_FLEX_INT, k[0]},
            {"spectral_subtraction_bits", EDGE_FLEX_INT, k[1]},
        };
        sig_custom(p, "SignalFilterBankSpectralSubtraction", &in, 1, (const int32_t[]){out, noise},
                   2, e, sizeof e / sizeof e[0]);
        og_expect(p, want, (size_t)n * sizeof *want);
    } else {
        p->err = EDGE_ENOMEM;
    }
    free(x);
    free(want);
    og_desc(p, " n=%d bits=%d/%d smoothing=%d/%d min_remaining=%d clamping=%d", (int)n, (int)k[0],
            (int)k[1], (int)k[2], (int)k[3], (int)k[4], clamp);
    return p->err;
}

int og_gen_signal_pcan(og_pair *p)
{
    const int32_t n = og_int(&p->rng, 1, 64);
    const int32_t lut_n = og_int(&p->rng, EDGE_PCAN_LUT_MIN, EDGE_PCAN_LUT_MIN + 8);
    const int32_t snr_shift = og_int(&p->rng, 0, 63);
    uint32_t *x = random_u32(&p->rng, (size_t)n, og_int(&p->rng, 1, 32));
    uint32_t *noise = random_u32(&p->rng, (size_t)n, og_int(&p->rng, 1, 32));
    int16_t *lut = random_s16(&p->rng, (size_t)lut_n, INT16_MIN, INT16_MAX);
    if (x && noise && lut) {
        const int32_t in = sig_input(p, EDGE_UINT32, 1, &n, x, (size_t)n * sizeof *x);
        const int32_t nz = sig_input(p, EDGE_UINT32, 1, &n, noise, (size_t)n * sizeof *noise);
        const int32_t table = sig_const(p, EDGE_INT16, lut_n, lut, (size_t)lut_n * sizeof *lut);
        const int32_t out = sig_tensor(p, EDGE_UINT32, 1, &n);
        const flex_entry e[] = {{"snr_shift", EDGE_FLEX_INT, snr_shift}};
        sig_custom(p, "SignalPCAN", (const int32_t[]){in, nz, table}, 3, &out, 1, e, 1);
    } else {
        p->err = EDGE_ENOMEM;
    }
    free(x);
    free(noise);
    free(lut);
    og_desc(p, " n=%d table=%d snr_shift=%d", (int)n, (int)lut_n, (int)snr_shift);
    return p->err;
}

int og_gen_signal_filter_bank_log(og_pair *p)
{
    const int32_t n = og_int(&p->rng, 1, 64);
    const int32_t corr = og_int(&p->rng, 0, 31);
    /* scale * ln(2^32) in Q16 stays below 2^32 (TFLite Micro's product would wrap) */
    const int32_t scale = og_chance(&p->rng, 0.5) ? 1600 : og_int(&p->rng, 1, 2048);
    uint32_t *x = random_u32(&p->rng, (size_t)n, og_int(&p->rng, 1, 32));
    int16_t *want = malloc((size_t)n * sizeof *want);
    if (x && want) {
        for (int32_t i = 0; i < n; i++) {
            const uint32_t scaled = x[i] << corr; /* TFLite Micro's shift drops the top bits */
            const double v = scaled > 1 ? floor(0.5 + scale * log((double)scaled)) : 0.0;
            want[i] = (int16_t)(v > INT16_MAX ? INT16_MAX : v);
        }
        const int32_t in = sig_input(p, EDGE_UINT32, 1, &n, x, (size_t)n * sizeof *x);
        const int32_t out = sig_tensor(p, EDGE_INT16, 1, &n);
        const flex_entry e[] = {{"input_correction_bits", EDGE_FLEX_INT, corr},
                                {"output_scale", EDGE_FLEX_INT, scale}};
        sig_custom(p, "SignalFilterBankLog", &in, 1, &out, 1, e, 2);
        og_expect(p, want, (size_t)n * sizeof *want);
    } else {
        p->err = EDGE_ENOMEM;
    }
    free(x);
    free(want);
    og_desc(p, " n=%d correction=%d scale=%d", (int)n, (int)corr, (int)scale);
    /* Q16 log2 with a 128-segment correction, times ln 2 in Q16, times the scale */
    p->tol_rel = 2e-4f;
    p->tol_abs = 1.0f;
    return p->err;
}
