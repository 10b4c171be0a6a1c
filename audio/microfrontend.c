/* audio/microfrontend.c - TFLite Micro's audio front end, integer and bit-exact (microfrontend.h).
 *
 * Owns: the stages and their chaining, written from tflite-micro's
 * tensorflow/lite/experimental/microfrontend/lib (window.c, fft.cc over kissfft's FIXED_POINT 16
 * build, filterbank.c, noise_reduction.c, pcan_gain_control.c, log_scale.c, frontend.c and their
 * *_util.c set-up code). Every expression keeps TFLM's types: the set-up runs in float (its
 * window, mel weights and PCAN gains are floats rounded once, so this file builds with
 * -ffp-contract=off), the per-window path in integers with TFLM's widths, wraps and shifts.
 * The FFT is kissfft's: radix 4 while it divides, then 2, each pass gathering its input with
 * the stride of the passes above; each butterfly input scaled by 1/radix as
 * round(x * (32767 / radix) / 2^15), products rounded in Q15, sums kept in int16; the real
 * input's split with super twiddles and an arithmetic halving.
 * Does not own: the features' quantization for a model (mww.c). */
#include "microfrontend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_BITS 12     /* kFrontendWindowBits */
#define FILTERBANK_BITS 12 /* kFilterbankBits */
#define NOISE_BITS 14      /* kNoiseReductionBits */
#define PCAN_SNR_BITS 12   /* kPcanSnrBits */
#define PCAN_OUT_BITS 6    /* kPcanOutputBits */
#define WDF_BITS 32        /* kWideDynamicFunctionBits */
#define LOG_SCALE_LOG2 16  /* kLogScaleLog2 */
#define LOG_SEGMENTS_LOG2 7
#define LOG_COEFF 45426u

struct mfe_state {
    mfe_config cfg;
    size_t size, step, used; /* window samples, step, samples held */
    size_t fft_size;
    int16_t *coef, *input, *windowed, *fft_in, *fft_out, *fft_work, *fft_tables;
    int32_t *energy; /* fft_size / 2 + 1 and the filter bank's padding, zeroed */
    uint64_t *work;
    uint32_t *signal, *estimate;
    mfe_filterbank fb;
    mfe_noise noise;
    mfe_pcan pcan;
    int correction_bits;
};

static int msb32(uint32_t n)
{
    return n ? 32 - __builtin_clz(n) : 0;
}

static int msb64(uint64_t n)
{
    return n ? 64 - __builtin_clzll(n) : 0;
}

static int fail(edge_error *err, int code, const char *what)
{
    if (err) {
        err->code = code;
        snprintf(err->message, sizeof err->message, "microfrontend: %s", what);
    }
    return -1;
}

void mfe_config_default_mww(mfe_config *c)
{
    *c = (mfe_config){.window_size_ms = 30,
                      .window_step_ms = 10,
                      .num_channels = 40,
                      .lower_band_limit = 125.0f,
                      .upper_band_limit = 7500.0f,
                      .smoothing_bits = 10,
                      .even_smoothing = 0.025f,
                      .odd_smoothing = 0.06f,
                      .min_signal_remaining = 0.05f,
                      .enable_pcan = 1,
                      .pcan_strength = 0.95f,
                      .pcan_offset = 80.0f,
                      .pcan_gain_bits = 21,
                      .enable_log = 1,
                      .log_scale_shift = 6};
}

/* ---- window ---- */

void mfe_window_coefficients(size_t size, int16_t *out)
{
    const float arg = (float)M_PI * 2.0f / ((float)size);
    for (size_t i = 0; i < size; ++i) {
        const float v = 0.5f - (0.5f * cosf(arg * ((float)i + 0.5f)));
        out[i] = (int16_t)floorf(v * (1 << WINDOW_BITS) + 0.5f);
    }
}

int16_t mfe_window_apply(const int16_t *coef, const int16_t *in, size_t size, int16_t *out)
{
    int16_t max_abs = 0;
    for (size_t i = 0; i < size; ++i) {
        int16_t v = (int16_t)(((int32_t)in[i] * coef[i]) >> WINDOW_BITS);
        out[i] = v;
        if (v < 0)
            v = (int16_t)-v;
        if (v > max_abs)
            max_abs = v;
    }
    return max_abs;
}

/* ---- kissfft's int16 real FFT ---- */

typedef struct cq15 {
    int16_t r, i;
} cq15;

static int16_t q15(int32_t x)
{
    return (int16_t)((x + (1 << 14)) >> 15);
}

static cq15 q15_mul(cq15 a, cq15 b)
{
    return (cq15){q15((int32_t)a.r * b.r - (int32_t)a.i * b.i),
                  q15((int32_t)a.r * b.i + (int32_t)a.i * b.r)};
}

/* C_FIXDIV: both parts times (32767 / RADIX) in Q15. */
static cq15 q15_div(cq15 c, int radix)
{
    const int32_t k = 32767 / radix;
    return (cq15){q15(c.r * k), q15(c.i * k)};
}

static cq15 twiddle(double phase)
{
    return (cq15){(int16_t)floor(.5 + 32767 * cos(phase)), (int16_t)floor(.5 + 32767 * sin(phase))};
}

size_t mfe_fft_table_count(size_t n)
{
    return 2 * (n / 2 + n / 4); /* n / 2 twiddles, n / 4 super twiddles */
}

void mfe_fft_tables(size_t n, int16_t *tables)
{
    const size_t half = n / 2;
    cq15 *tw = (cq15 *)tables;
    for (size_t i = 0; i < half; i++)
        tw[i] = twiddle(-2 * M_PI * (double)i / (double)half);
    for (size_t i = 0; i < half / 2; i++)
        tw[half + i] = twiddle(-M_PI * ((double)(i + 1) / (double)half + .5));
}

/* One pass of radix P over M groups at twiddle stride FS (kf_bfly2, kf_bfly4 forward). */
static void pass(cq15 *f, size_t p, size_t m, size_t fs, const cq15 *tw)
{
    for (size_t k = 0; k < m; k++) {
        if (p == 2) {
            const cq15 a = q15_div(f[k], 2);
            const cq15 t = q15_mul(q15_div(f[k + m], 2), tw[k * fs]);
            f[k + m] = (cq15){(int16_t)(a.r - t.r), (int16_t)(a.i - t.i)};
            f[k] = (cq15){(int16_t)(a.r + t.r), (int16_t)(a.i + t.i)};
            continue;
        }
        const cq15 f0 = q15_div(f[k], 4);
        const cq15 s0 = q15_mul(q15_div(f[k + m], 4), tw[k * fs]);
        const cq15 s1 = q15_mul(q15_div(f[k + 2 * m], 4), tw[2 * k * fs]);
        const cq15 s2 = q15_mul(q15_div(f[k + 3 * m], 4), tw[3 * k * fs]);
        const cq15 s5 = {(int16_t)(f0.r - s1.r), (int16_t)(f0.i - s1.i)};
        const cq15 a = {(int16_t)(f0.r + s1.r), (int16_t)(f0.i + s1.i)};
        const cq15 s3 = {(int16_t)(s0.r + s2.r), (int16_t)(s0.i + s2.i)};
        const cq15 s4 = {(int16_t)(s0.r - s2.r), (int16_t)(s0.i - s2.i)};
        f[k + 2 * m] = (cq15){(int16_t)(a.r - s3.r), (int16_t)(a.i - s3.i)};
        f[k] = (cq15){(int16_t)(a.r + s3.r), (int16_t)(a.i + s3.i)};
        f[k + m] = (cq15){(int16_t)(s5.r + s4.i), (int16_t)(s5.i - s4.r)};
        f[k + 3 * m] = (cq15){(int16_t)(s5.r - s4.i), (int16_t)(s5.i + s4.r)};
    }
}

/* kf_work: N points of IN, FS apart, into OUT. */
static void cfft(cq15 *out, const cq15 *in, size_t n, size_t fs, const cq15 *tw)
{
    const size_t p = n % 4 == 0 ? 4 : 2, m = n / p;
    for (size_t q = 0; q < p; q++) {
        if (m == 1)
            out[q] = in[q * fs];
        else
            cfft(out + q * m, in + q * fs, m, fs * p, tw);
    }
    pass(out, p, m, fs, tw);
}

void mfe_fft(size_t n, const int16_t *tables, const int16_t *in, int16_t *out, int16_t *work)
{
    const size_t half = n / 2;
    const cq15 *tw = (const cq15 *)tables, *super = tw + half;
    cq15 *t = (cq15 *)work, *o = (cq15 *)out;
    cfft(t, (const cq15 *)in, half, 1, tw);
    const cq15 dc = q15_div(t[0], 2);
    o[0] = (cq15){(int16_t)(dc.r + dc.i), 0};
    o[half] = (cq15){(int16_t)(dc.r - dc.i), 0};
    for (size_t k = 1; k <= half / 2; k++) {
        const cq15 a = q15_div(t[k], 2);
        const cq15 b = q15_div((cq15){t[half - k].r, (int16_t)-t[half - k].i}, 2);
        const cq15 f1 = {(int16_t)(a.r + b.r), (int16_t)(a.i + b.i)};
        const cq15 f2 = {(int16_t)(a.r - b.r), (int16_t)(a.i - b.i)};
        const cq15 w = q15_mul(f2, super[k - 1]);
        o[k] = (cq15){(int16_t)((f1.r + w.r) >> 1), (int16_t)((f1.i + w.i) >> 1)};
        o[half - k] = (cq15){(int16_t)((f1.r - w.r) >> 1), (int16_t)((w.i - f1.i) >> 1)};
    }
}

/* ---- filter bank ---- */

static float freq_to_mel(float freq)
{
    return 1127.0f * log1pf(freq / 700.0f);
}

static void quantize_weight(float w, int16_t *weight, int16_t *unweight)
{
    *weight = (int16_t)floorf(w * (1 << FILTERBANK_BITS) + 0.5f);
    *unweight = (int16_t)floorf((1.0f - w) * (1 << FILTERBANK_BITS) + 0.5f);
}

/* FilterbankPopulateState's first walk: each channel's start, width, and its padded block. */
static int fb_layout(mfe_filterbank *fb, const float *center, float hz_per_sbin, int16_t *starts,
                     int16_t *widths)
{
    const int n1 = fb->num_channels + 1, align = 2, block = 4;
    int freq_start = fb->start_index, weight_start = 0, needs_zeros = 0;
    for (int ch = 0; ch < n1; ++ch) {
        int f = freq_start;
        while (freq_to_mel((float)f * hz_per_sbin) <= center[ch])
            ++f;
        const int width = f - freq_start;
        starts[ch] = (int16_t)freq_start;
        widths[ch] = (int16_t)width;
        if (width == 0) {
            fb->channel_frequency_starts[ch] = 0;
            fb->channel_weight_starts[ch] = 0;
            fb->channel_widths[ch] = (int16_t)block;
            if (!needs_zeros) {
                needs_zeros = 1;
                for (int j = 0; j < ch; ++j)
                    fb->channel_weight_starts[j] = (int16_t)(fb->channel_weight_starts[j] + block);
                weight_start += block;
            }
        } else {
            const int aligned = (freq_start / align) * align;
            const int padded = ((freq_start - aligned + width - 1) / block + 1) * block;
            fb->channel_frequency_starts[ch] = (int16_t)aligned;
            fb->channel_weight_starts[ch] = (int16_t)weight_start;
            fb->channel_widths[ch] = (int16_t)padded;
            weight_start += padded;
        }
        freq_start = f;
    }
    return weight_start;
}

int mfe_filterbank_init(mfe_filterbank *fb, int num_channels, float lower, float upper,
                        int sample_rate, int spectrum_size, edge_error *err)
{
    memset(fb, 0, sizeof *fb);
    const int n1 = num_channels + 1;
    fb->num_channels = num_channels;
    fb->channel_frequency_starts = calloc((size_t)n1, sizeof(int16_t));
    fb->channel_weight_starts = calloc((size_t)n1, sizeof(int16_t));
    fb->channel_widths = calloc((size_t)n1, sizeof(int16_t));
    float *center = calloc((size_t)n1, sizeof *center);
    int16_t *starts = calloc((size_t)n1, sizeof *starts), *widths = calloc((size_t)n1, 2);
    if (!fb->channel_frequency_starts || !fb->channel_weight_starts || !fb->channel_widths ||
        !center || !starts || !widths) {
        free(center), free(starts), free(widths), mfe_filterbank_free(fb);
        return fail(err, EDGE_ENOMEM, "no memory for the filter bank");
    }
    const float mel_low = freq_to_mel(lower), mel_hi = freq_to_mel(upper);
    const float spacing = (mel_hi - mel_low) / ((float)n1);
    for (int i = 0; i < n1; ++i)
        center[i] = mel_low + (spacing * (float)(i + 1));
    const float hz_per_sbin = 0.5f * (float)sample_rate / ((float)spectrum_size - 1);
    fb->start_index = (int)(1.5f + lower / hz_per_sbin);
    fb->n_weights = fb_layout(fb, center, hz_per_sbin, starts, widths);
    fb->weights = calloc((size_t)fb->n_weights + 1, sizeof(int16_t));
    fb->unweights = calloc((size_t)fb->n_weights + 1, sizeof(int16_t));
    if (!fb->weights || !fb->unweights) {
        free(center), free(starts), free(widths), mfe_filterbank_free(fb);
        return fail(err, EDGE_ENOMEM, "no memory for the filter bank's weights");
    }
    for (int ch = 0; ch < n1; ++ch) {
        int f = starts[ch];
        const int offset = f - fb->channel_frequency_starts[ch];
        const int base = fb->channel_weight_starts[ch] + offset;
        const float denom = ch == 0 ? mel_low : center[ch - 1];
        for (int j = 0; j < widths[ch]; ++j, ++f) {
            const float w =
                (center[ch] - freq_to_mel((float)f * hz_per_sbin)) / (center[ch] - denom);
            quantize_weight(w, fb->weights + base + j, fb->unweights + base + j);
        }
        if (f > fb->end_index)
            fb->end_index = f;
    }
    free(center), free(starts), free(widths);
    if (fb->end_index >= spectrum_size) {
        mfe_filterbank_free(fb);
        return fail(err, EDGE_EINVAL, "the filter bank's upper band is above the spectrum");
    }
    return 0;
}

void mfe_filterbank_free(mfe_filterbank *fb)
{
    free(fb->channel_frequency_starts);
    free(fb->channel_weight_starts);
    free(fb->channel_widths);
    free(fb->weights);
    free(fb->unweights);
    memset(fb, 0, sizeof *fb);
}

void mfe_filterbank_energy(const mfe_filterbank *fb, const int16_t *fft, int32_t *energy)
{
    for (int i = fb->start_index; i < fb->end_index; ++i) {
        const int32_t re = fft[2 * i], im = fft[2 * i + 1];
        /* TFLM sums in int32 into a uint32 and stores it as int32 (2^31 wraps) */
        energy[i] = (int32_t)((uint32_t)(re * re) + (uint32_t)(im * im));
    }
}

void mfe_filterbank_accumulate(const mfe_filterbank *fb, const int32_t *energy, uint64_t *work)
{
    uint64_t weighted = 0, unweighted = 0;
    for (int ch = 0; ch <= fb->num_channels; ++ch) {
        const int32_t *mag = energy + fb->channel_frequency_starts[ch];
        const int16_t *w = fb->weights + fb->channel_weight_starts[ch];
        const int16_t *u = fb->unweights + fb->channel_weight_starts[ch];
        for (int j = 0; j < fb->channel_widths[ch]; ++j) {
            /* the int32 energy widens with its sign, as TFLM's (uint64_t) cast does */
            const uint64_t e = (uint64_t)(int64_t)mag[j];
            weighted += (uint64_t)(int64_t)w[j] * e;
            unweighted += (uint64_t)(int64_t)u[j] * e;
        }
        work[ch] = weighted;
        weighted = unweighted;
        unweighted = 0;
    }
}

static uint32_t sqrt32(uint32_t num)
{
    if (num == 0)
        return 0;
    uint32_t res = 0;
    const int max_bit = (32 - msb32(num)) | 1;
    uint32_t bit = 1u << (31 - max_bit);
    for (int it = (31 - max_bit) / 2 + 1; it > 0; --it) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFF)
        ++res;
    return (uint16_t)res; /* Sqrt32 returns uint16_t */
}

static uint32_t sqrt64(uint64_t num)
{
    if ((num >> 32) == 0)
        return sqrt32((uint32_t)num);
    uint64_t res = 0;
    const int max_bit = (64 - msb64(num)) | 1;
    uint64_t bit = 1ull << (63 - max_bit);
    for (int it = (63 - max_bit) / 2 + 1; it > 0; --it) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFFFFFFull)
        ++res;
    return (uint32_t)res;
}

void mfe_filterbank_sqrt(int num_channels, const uint64_t *work, int shift, uint32_t *out)
{
    for (int i = 0; i < num_channels; ++i)
        out[i] = sqrt64(work[i + 1]) >> shift;
}

/* ---- noise reduction ---- */

void mfe_noise_init(mfe_noise *n, const mfe_config *c)
{
    n->smoothing_bits = c->smoothing_bits;
    n->odd_smoothing = (uint16_t)(c->odd_smoothing * (1 << NOISE_BITS));
    n->even_smoothing = (uint16_t)(c->even_smoothing * (1 << NOISE_BITS));
    n->min_signal_remaining = (uint16_t)(c->min_signal_remaining * (1 << NOISE_BITS));
}

void mfe_noise_apply(const mfe_noise *n, int num_channels, uint32_t *estimate, uint32_t *signal)
{
    for (int i = 0; i < num_channels; ++i) {
        const uint32_t smoothing = (i & 1) == 0 ? n->even_smoothing : n->odd_smoothing;
        const uint32_t rest = (1u << NOISE_BITS) - smoothing;
        const uint32_t up = signal[i] << n->smoothing_bits;
        uint32_t est =
            (uint32_t)(((uint64_t)up * smoothing + (uint64_t)estimate[i] * rest) >> NOISE_BITS);
        estimate[i] = est;
        if (est > up)
            est = up;
        const uint32_t floor_ =
            (uint32_t)(((uint64_t)signal[i] * n->min_signal_remaining) >> NOISE_BITS);
        const uint32_t sub = (up - est) >> n->smoothing_bits;
        signal[i] = sub > floor_ ? sub : floor_;
    }
}

/* ---- PCAN gain control ---- */

static int16_t pcan_gain(const mfe_config *c, int32_t input_bits, uint32_t x)
{
    const float xf = ((float)x) / (float)((uint32_t)1 << input_bits);
    const float g =
        (float)((uint32_t)1 << c->pcan_gain_bits) * powf(xf + c->pcan_offset, -c->pcan_strength);
    if (g > 0x7FFF)
        return 0x7FFF;
    return (int16_t)(g + 0.5f);
}

void mfe_pcan_init(mfe_pcan *p, const mfe_config *c, int smoothing_bits, int correction_bits)
{
    memset(p, 0, sizeof *p);
    p->snr_shift = c->pcan_gain_bits - correction_bits - PCAN_SNR_BITS;
    const int32_t input_bits = smoothing_bits - correction_bits;
    p->lut[0] = pcan_gain(c, input_bits, 0);
    p->lut[1] = pcan_gain(c, input_bits, 1);
    for (int interval = 2; interval <= WDF_BITS; ++interval) {
        const uint32_t x0 = (uint32_t)1 << (interval - 1);
        const uint32_t x1 = x0 + (x0 >> 1);
        const uint32_t x2 = interval == WDF_BITS ? x0 + (x0 - 1) : 2 * x0;
        const int16_t y0 = pcan_gain(c, input_bits, x0);
        const int16_t y1 = pcan_gain(c, input_bits, x1);
        const int16_t y2 = pcan_gain(c, input_bits, x2);
        const int32_t d1 = (int32_t)y1 - y0, d2 = (int32_t)y2 - y0;
        const int32_t a1 = 4 * d1 - d2, a2 = d2 - a1;
        int16_t *seg = p->lut + 4 * interval - 6;
        seg[0] = y0;
        seg[1] = (int16_t)a1;
        seg[2] = (int16_t)a2;
    }
}

static int16_t wide_dynamic(uint32_t x, const int16_t *lut)
{
    if (x <= 2)
        return lut[x];
    const int16_t interval = (int16_t)msb32(x);
    lut += 4 * interval - 6;
    const int16_t frac =
        (int16_t)(((interval < 11) ? (x << (11 - interval)) : (x >> (interval - 11))) & 0x3FF);
    int32_t r = ((int32_t)lut[2] * frac) >> 5;
    r += (int32_t)((uint32_t)lut[1] << 5);
    r *= frac;
    r = (r + (1 << 14)) >> 15;
    r += lut[0];
    return (int16_t)r;
}

static uint32_t pcan_shrink(uint32_t x)
{
    if (x < (2u << PCAN_SNR_BITS))
        return (x * x) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUT_BITS);
    return (x >> (PCAN_SNR_BITS - PCAN_OUT_BITS)) - (1u << PCAN_OUT_BITS);
}

void mfe_pcan_apply(const mfe_pcan *p, int num_channels, const uint32_t *estimate, uint32_t *signal)
{
    for (int i = 0; i < num_channels; ++i) {
        const uint32_t gain = (uint32_t)(int32_t)wide_dynamic(estimate[i], p->lut);
        const uint32_t snr = (uint32_t)(((uint64_t)signal[i] * gain) >> p->snr_shift);
        signal[i] = pcan_shrink(snr);
    }
}

/* ---- log scale ---- */

static const uint16_t log_lut[130] = {
    0,    224,  442,  654,  861,  1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646,
    2797, 2944, 3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460,
    4549, 4633, 4714, 4791, 4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408,
    5444, 5477, 5507, 5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633,
    5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291, 5249,
    5203, 5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341,
    4264, 4184, 4103, 4020, 3935, 3848, 3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981,
    2875, 2768, 2659, 2549, 2437, 2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224,
    1094, 963,  830,  695,  559,  421,  282,  142,  0,    0};

static uint32_t log2_fraction(uint32_t x, uint32_t log2x)
{
    int32_t frac = (int32_t)((int64_t)x - (1ll << log2x));
    if (log2x < LOG_SCALE_LOG2)
        frac <<= LOG_SCALE_LOG2 - log2x;
    else
        frac >>= log2x - LOG_SCALE_LOG2;
    const uint32_t seg = (uint32_t)frac >> (LOG_SCALE_LOG2 - LOG_SEGMENTS_LOG2);
    const uint32_t seg_unit = (1u << LOG_SCALE_LOG2) >> LOG_SEGMENTS_LOG2;
    const int32_t c0 = log_lut[seg], c1 = log_lut[seg + 1];
    const int32_t seg_base = (int32_t)(seg_unit * seg);
    const int32_t rel = ((c1 - c0) * (frac - seg_base)) >> LOG_SCALE_LOG2;
    return (uint32_t)(frac + c0 + rel);
}

static uint32_t log_q(uint32_t x, uint32_t scale_shift)
{
    const uint32_t integer = (uint32_t)msb32(x) - 1;
    const uint32_t log2 = (integer << LOG_SCALE_LOG2) + log2_fraction(x, integer);
    const uint32_t round = 1u << (LOG_SCALE_LOG2 - 1);
    const uint32_t loge = (uint32_t)(((uint64_t)LOG_COEFF * log2 + round) >> LOG_SCALE_LOG2);
    return ((loge << scale_shift) + round) >> LOG_SCALE_LOG2;
}

void mfe_log_scale(int enable_log, int scale_shift, const uint32_t *signal, size_t n,
                   int correction_bits, uint16_t *out)
{
    for (size_t i = 0; i < n; ++i) {
        uint32_t v = signal[i];
        if (enable_log) {
            if (correction_bits < 0)
                v >>= -correction_bits;
            else
                v <<= correction_bits;
            v = v > 1 ? log_q(v, (uint32_t)scale_shift) : 0;
        }
        out[i] = (uint16_t)(v < 0xFFFF ? v : 0xFFFF);
    }
}

/* ---- the front end ---- */

static const char *check_config(const mfe_config *c, int rate)
{
    const size_t size = (size_t)c->window_size_ms * (size_t)rate / 1000;
    const size_t step = (size_t)c->window_step_ms * (size_t)rate / 1000;
    if (rate < 1000 || rate > 192000)
        return "sample rate outside 1000..192000";
    if (size < 2 || size > 4096)
        return "window_size_ms gives a window outside 2..4096 samples";
    if (step < 1 || step > size)
        return "window_step_ms gives a step outside 1..the window";
    if (c->num_channels < 1 || c->num_channels > 256)
        return "num_channels outside 1..256";
    if (!(c->lower_band_limit >= 0) || !(c->upper_band_limit > c->lower_band_limit) ||
        c->upper_band_limit > rate / 2)
        return "band limits not 0 <= lower < upper <= half the sample rate";
    if (c->smoothing_bits < 0 || c->smoothing_bits > 16)
        return "smoothing_bits outside 0..16";
    if (!(c->even_smoothing >= 0 && c->even_smoothing <= 1) ||
        !(c->odd_smoothing >= 0 && c->odd_smoothing <= 1) ||
        !(c->min_signal_remaining >= 0 && c->min_signal_remaining <= 1))
        return "smoothing or min_signal_remaining outside 0..1";
    if (c->enable_pcan && (c->pcan_gain_bits < 12 || c->pcan_gain_bits > 30 ||
                           !(c->pcan_offset > 0) || !(c->pcan_strength >= 0)))
        return "PCAN gain_bits outside 12..30 or offset/strength not positive";
    if (c->log_scale_shift < 0 || c->log_scale_shift > 16)
        return "log scale_shift outside 0..16";
    return NULL;
}

static int alloc_buffers(mfe_state *s)
{
    const size_t n = s->fft_size, bins = n / 2 + 1, nc = (size_t)s->cfg.num_channels;
    s->coef = calloc(s->size, sizeof(int16_t));
    s->input = calloc(s->size, sizeof(int16_t));
    s->windowed = calloc(s->size, sizeof(int16_t));
    s->fft_in = calloc(n, sizeof(int16_t));
    s->fft_out = calloc(2 * bins, sizeof(int16_t));
    s->fft_work = calloc(n, sizeof(int16_t));
    s->fft_tables = calloc(mfe_fft_table_count(n), sizeof(int16_t));
    s->energy = calloc(bins + 8, sizeof(int32_t));
    s->work = calloc(nc + 1, sizeof(uint64_t));
    s->signal = calloc(nc, sizeof(uint32_t));
    s->estimate = calloc(nc, sizeof(uint32_t));
    return s->coef && s->input && s->windowed && s->fft_in && s->fft_out && s->fft_work &&
                   s->fft_tables && s->energy && s->work && s->signal && s->estimate
               ? 0
               : -1;
}

int mfe_new(const mfe_config *c, int sample_rate, mfe_state **out, edge_error *err)
{
    *out = NULL;
    const char *bad = check_config(c, sample_rate);
    if (bad)
        return fail(err, EDGE_EINVAL, bad);
    mfe_state *s = calloc(1, sizeof *s);
    if (!s)
        return fail(err, EDGE_ENOMEM, "no memory for the state");
    s->cfg = *c;
    s->size = (size_t)c->window_size_ms * (size_t)sample_rate / 1000;
    s->step = (size_t)c->window_step_ms * (size_t)sample_rate / 1000;
    for (s->fft_size = 1; s->fft_size < s->size; s->fft_size <<= 1) {
    }
    if (s->fft_size < 4)
        s->fft_size = 4;
    if (alloc_buffers(s) != 0) {
        mfe_free(s);
        return fail(err, EDGE_ENOMEM, "no memory for the buffers");
    }
    mfe_window_coefficients(s->size, s->coef);
    mfe_fft_tables(s->fft_size, s->fft_tables);
    if (mfe_filterbank_init(&s->fb, c->num_channels, c->lower_band_limit, c->upper_band_limit,
                            sample_rate, (int)(s->fft_size / 2 + 1), err) != 0) {
        mfe_free(s);
        return -1;
    }
    /* the filter bank's padded blocks must lie inside the energy buffer */
    for (int ch = 0; ch <= c->num_channels; ch++) {
        if ((size_t)s->fb.channel_frequency_starts[ch] + (size_t)s->fb.channel_widths[ch] >
            s->fft_size / 2 + 1 + 8) {
            mfe_free(s);
            return fail(err, EDGE_EINVAL, "the filter bank does not fit the spectrum");
        }
    }
    mfe_noise_init(&s->noise, c);
    s->correction_bits = msb32((uint32_t)s->fft_size) - 1 - (FILTERBANK_BITS / 2);
    mfe_pcan_init(&s->pcan, c, c->smoothing_bits, s->correction_bits);
    *out = s;
    return 0;
}

void mfe_free(mfe_state *s)
{
    if (!s)
        return;
    free(s->coef), free(s->input), free(s->windowed), free(s->fft_in), free(s->fft_out);
    free(s->fft_work), free(s->fft_tables), free(s->energy), free(s->work), free(s->signal);
    free(s->estimate);
    mfe_filterbank_free(&s->fb);
    free(s);
}

void mfe_reset(mfe_state *s)
{
    memset(s->input, 0, s->size * sizeof(int16_t));
    s->used = 0;
    memset(s->estimate, 0, (size_t)s->cfg.num_channels * sizeof(uint32_t));
}

int mfe_channels(const mfe_state *s)
{
    return s->cfg.num_channels;
}

/* One full window (WindowProcessSamples' output onwards, FrontendProcessSamples' chain). */
static void run_window(mfe_state *s, uint16_t *out)
{
    const int nc = s->cfg.num_channels;
    const int16_t max_abs = mfe_window_apply(s->coef, s->input, s->size, s->windowed);
    const int shift = 15 - msb32((uint32_t)max_abs);
    for (size_t i = 0; i < s->size; ++i)
        s->fft_in[i] = (int16_t)((uint32_t)(uint16_t)s->windowed[i] << shift);
    mfe_fft(s->fft_size, s->fft_tables, s->fft_in, s->fft_out, s->fft_work);
    mfe_filterbank_energy(&s->fb, s->fft_out, s->energy);
    mfe_filterbank_accumulate(&s->fb, s->energy, s->work);
    mfe_filterbank_sqrt(nc, s->work, shift, s->signal);
    mfe_noise_apply(&s->noise, nc, s->estimate, s->signal);
    if (s->cfg.enable_pcan)
        mfe_pcan_apply(&s->pcan, nc, s->estimate, s->signal);
    mfe_log_scale(s->cfg.enable_log, s->cfg.log_scale_shift, s->signal, (size_t)nc,
                  s->correction_bits, out);
}

int mfe_process(mfe_state *s, const int16_t *pcm, size_t n, size_t *consumed, uint16_t *out)
{
    size_t take = s->size - s->used;
    if (take > n)
        take = n;
    memcpy(s->input + s->used, pcm, take * sizeof(int16_t));
    *consumed = take;
    s->used += take;
    if (s->used < s->size)
        return 0;
    run_window(s, out);
    memmove(s->input, s->input + s->step, (s->size - s->step) * sizeof(int16_t));
    s->used -= s->step;
    return 1;
}
