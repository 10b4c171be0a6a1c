/* audio/microfrontend.h - TFLite Micro's audio front end (microfrontend), integer and bit-exact.
 *
 * Owns: the features microWakeWord's models are trained on and ESPHome computes on the device
 * (tensorflow/lite/experimental/microfrontend/lib in tflite-micro): a Hann window of
 * window_size_ms every window_step_ms, its 16-bit fixed-point real FFT (kissfft's int16 build),
 * the power spectrum summed into num_channels mel channels (weights in Q12), their square roots,
 * noise reduction (a per-channel running estimate subtracted), PCAN gain control (a gain looked
 * up from the estimate, a shrink) and a fixed-point natural log, each stage computing what TFLM
 * computes bit for bit. The stages are exposed for the tests (tests/voice/test_microfrontend.c
 * checks each on TFLM's own vectors). Allocation: mfe_new allocates; mfe_process allocates
 * nothing. Does not own: quantizing the features for a model (audio/mww.c), audio conversion.
 * Above libedge: it sees only the public headers. */
#ifndef EDGE_AUDIO_MICROFRONTEND_H
#define EDGE_AUDIO_MICROFRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include <edge/error.h>

/* TFLM's FrontendConfig, flattened (its field types: the floats are float). */
typedef struct mfe_config {
    unsigned window_size_ms, window_step_ms;
    int num_channels;
    float lower_band_limit, upper_band_limit; /* Hz */
    int smoothing_bits;
    float even_smoothing, odd_smoothing, min_signal_remaining;
    int enable_pcan;
    float pcan_strength, pcan_offset;
    int pcan_gain_bits;
    int enable_log;
    int log_scale_shift;
} mfe_config;

/* microWakeWord's settings, as ESPHome's micro_wake_word component fills FrontendConfig:
 * 30 ms windows every 10 ms, 40 channels over 125..7500 Hz, smoothing bits 10, even/odd
 * smoothing 0.025/0.06, min signal remaining 0.05, PCAN on (strength 0.95, offset 80, 21 gain
 * bits), log on with scale shift 6. */
void mfe_config_default_mww(mfe_config *c);

typedef struct mfe_state mfe_state;

/* -1 with ERR (EDGE_EINVAL: which setting) when C does not make a front end at SAMPLE_RATE
 * (a window of 2..4096 samples, a step of 1..window, 1..256 channels, 0 <= lower < upper <=
 * the Nyquist rate, smoothing bits 0..16, gain bits 12..30, scale shift 0..16), EDGE_ENOMEM. */
int mfe_new(const mfe_config *c, int sample_rate, mfe_state **out, edge_error *err);
void mfe_free(mfe_state *s); /* NULL is fine */
/* Back to the state after mfe_new (no samples, noise estimates 0). */
void mfe_reset(mfe_state *s);
int mfe_channels(const mfe_state *s);
/* As FrontendProcessSamples: consume up to N samples (*CONSUMED says how many, up to the end
 * of the window being filled); when a window completed, write its num_channels values to OUT
 * and return 1, else 0. Allocates nothing. */
int mfe_process(mfe_state *s, const int16_t *pcm, size_t n, size_t *consumed, uint16_t *out);

/* ---- The stages, as TFLM names them (for the tests; mfe_process chains them). ---- */

/* WindowPopulateState's coefficients: SIZE Hann weights in Q12. */
void mfe_window_coefficients(size_t size, int16_t *out);
/* The window applied to IN[0..SIZE) (WindowProcessSamples' arithmetic); returns the largest
 * absolute output. */
int16_t mfe_window_apply(const int16_t *coef, const int16_t *in, size_t size, int16_t *out);

/* kissfft's int16 real FFT of N points (a power of two, 4..8192): TABLES from
 * mfe_fft_tables (mfe_fft_table_count(N) int16), IN N samples, OUT N / 2 + 1 complex values
 * (real, imaginary interleaved), WORK N int16. */
size_t mfe_fft_table_count(size_t n);
void mfe_fft_tables(size_t n, int16_t *tables);
void mfe_fft(size_t n, const int16_t *tables, const int16_t *in, int16_t *out, int16_t *work);

/* FilterbankPopulateState's tables. */
typedef struct mfe_filterbank {
    int num_channels;
    int start_index, end_index;
    int16_t *channel_frequency_starts; /* num_channels + 1 each */
    int16_t *channel_weight_starts;
    int16_t *channel_widths;
    int16_t *weights, *unweights; /* n_weights each */
    int n_weights;
} mfe_filterbank;
int mfe_filterbank_init(mfe_filterbank *fb, int num_channels, float lower, float upper,
                        int sample_rate, int spectrum_size, edge_error *err);
void mfe_filterbank_free(mfe_filterbank *fb);
/* FilterbankConvertFftComplexToEnergy: FFT (interleaved) -> ENERGY[start_index..end_index). */
void mfe_filterbank_energy(const mfe_filterbank *fb, const int16_t *fft, int32_t *energy);
/* FilterbankAccumulateChannels: ENERGY -> WORK[0..num_channels]. */
void mfe_filterbank_accumulate(const mfe_filterbank *fb, const int32_t *energy, uint64_t *work);
/* FilterbankSqrt: WORK[1..num_channels] -> OUT, each square root shifted right by SHIFT. */
void mfe_filterbank_sqrt(int num_channels, const uint64_t *work, int shift, uint32_t *out);

/* NoiseReductionPopulateState's fixed-point coefficients and NoiseReductionApply. */
typedef struct mfe_noise {
    int smoothing_bits;
    uint16_t even_smoothing, odd_smoothing, min_signal_remaining;
} mfe_noise;
void mfe_noise_init(mfe_noise *n, const mfe_config *c);
void mfe_noise_apply(const mfe_noise *n, int num_channels, uint32_t *estimate, uint32_t *signal);

/* PcanGainControlPopulateState's gain table and PcanGainControlApply. */
#define MFE_PCAN_LUT 125
typedef struct mfe_pcan {
    int16_t lut[MFE_PCAN_LUT];
    int32_t snr_shift;
} mfe_pcan;
void mfe_pcan_init(mfe_pcan *p, const mfe_config *c, int smoothing_bits, int correction_bits);
void mfe_pcan_apply(const mfe_pcan *p, int num_channels, const uint32_t *estimate,
                    uint32_t *signal);

/* LogScaleApply: SIGNAL[0..N) shifted by CORRECTION_BITS, then (ENABLE_LOG) the Q(SCALE_SHIFT)
 * natural log, saturated to uint16. */
void mfe_log_scale(int enable_log, int scale_shift, const uint32_t *signal, size_t n,
                   int correction_bits, uint16_t *out);

#endif
