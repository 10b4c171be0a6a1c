/* kernels/ref/signal.h - TFLite Micro's signal library operators, bit-exact (audio family).
 *
 * Owns: the integer arithmetic of the custom operators of TFLite Micro's audio front end
 * (tflite-micro signal/src), step for step in the same types, wrap-arounds and shifts:
 *   SignalWindow: (x * w) >> shift saturated to int16, the window repeated over the input;
 *   SignalFftAutoScale: the input shifted left by 15 - msb(max |x|) (0 when that is <= 0),
 *     the shift returned;
 *   SignalRfft (int16): the real FFT of kissfft's fixed-point (16-bit) configuration: a complex
 *     FFT of N / 2 points in radix-4 then radix-2 passes, each input scaled by 1/radix with
 *     rounding, Q15 twiddles floor(0.5 + 32767 cos / sin), then the real-input split with its
 *     own halvings; input zero-padded to N, N / 2 + 1 complex int16 out;
 *   SignalIrfft (int16): kissfft's fixed-point inverse real FFT (kiss_fftri), the same
 *     scalings, N / 2 + 1 complex int16 in, N int16 out;
 *   SignalEnergy: re^2 + im^2 in uint32 over [start, end) (other outputs left at 0);
 *   SignalFilterBank: weighted and unweighted uint64 accumulation per channel, output from
 *     channel 1;
 *   SignalFilterBankSquareRoot: the integer square root of each uint64 (rounded up when the
 *     remainder exceeds the root) shifted right;
 *   SignalFilterBankSpectralSubtraction: the noise estimate (state, updated in place) smoothed
 *     with alternate coefficients on odd channels, subtracted with a floor;
 *   SignalPCAN: per-channel automatic gain control from a piecewise-quadratic gain table and
 *     the noise estimate, then the shrink function;
 *   SignalFilterBankLog: log(x << correction) in Q16 with the 128-segment correction table,
 *     times the output scale, saturated to int16.
 * Preconditions (the caller's prepare, backends/cpu/op_signal.c): every count, index and shift
 * checked. No allocation. */
#ifndef EDGE_REF_SIGNAL_H
#define EDGE_REF_SIGNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void edge_ref_signal_window(const int16_t *in, size_t count, const int16_t *w, size_t w_count,
                            int32_t shift, int16_t *out);
int32_t edge_ref_fft_auto_scale(const int16_t *in, size_t count, int16_t *out);

/* The fixed-point real FFT of N points (a power of two, 4 to EDGE_SIGNAL_FFT_MAX). */
enum { EDGE_SIGNAL_FFT_MAX = 1 << 14 };
/* int16 values in its tables (twiddles and split twiddles, 2 per complex value). */
size_t edge_ref_rfft_s16_table_count(int32_t n);
void edge_ref_rfft_s16_tables(int32_t n, int16_t *tables);
/* IN: N int16 (already zero-padded); OUT: N + 2 int16 (N / 2 + 1 complex); WORK: N int16. */
void edge_ref_rfft_s16(int32_t n, const int16_t *tables, const int16_t *in, int16_t *out,
                       int16_t *work);
/* SignalIrfft (int16): kissfft's fixed-point kiss_fftri of N points (the inverse tables, the
 * same count). IN: N + 2 int16 (N / 2 + 1 complex); OUT: N int16; WORK: N int16. */
void edge_ref_irfft_s16_tables(int32_t n, int16_t *tables);
void edge_ref_irfft_s16(int32_t n, const int16_t *tables, const int16_t *in, int16_t *out,
                        int16_t *work);

void edge_ref_signal_energy(const int16_t *in, int32_t start, int32_t end, size_t out_count,
                            uint32_t *out);

typedef struct edge_filter_bank {
    int32_t channels; /* output channels; the tables hold channels + 1 */
    const int16_t *freq_starts, *weight_starts, *widths, *weights, *unweights;
} edge_filter_bank;
void edge_ref_filter_bank(const edge_filter_bank *fb, const uint32_t *in, uint64_t *out);

uint32_t edge_ref_sqrt64(uint64_t x);
void edge_ref_filter_bank_sqrt(const uint64_t *in, size_t count, int32_t shift, uint32_t *out);

typedef struct edge_spectral_sub {
    uint32_t smoothing, one_minus_smoothing, alternate_smoothing, alternate_one_minus_smoothing;
    uint32_t min_signal_remaining, smoothing_bits, spectral_subtraction_bits;
    bool clamping;
} edge_spectral_sub;
void edge_ref_spectral_subtraction(const edge_spectral_sub *s, const uint32_t *in, size_t count,
                                   uint32_t *out, uint32_t *noise);

/* Entries of the gain table SignalPCAN may read (4 per msb interval up to 32). */
enum { EDGE_PCAN_LUT_MIN = 125 };
void edge_ref_pcan(const int16_t *lut, int32_t snr_shift, const uint32_t *noise, const uint32_t *in,
                   size_t count, uint32_t *out);

/* LOG_LUT: the 130-entry correction table (edge_signal_log_lut, ops/derive_signal.c). */
void edge_ref_filter_bank_log(const uint16_t *log_lut, const uint32_t *in, size_t count,
                              int32_t output_scale, int32_t correction_bits, int16_t *out);

#endif
