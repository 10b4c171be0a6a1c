/* tests/unit/test_ref_signal.c - TFLite Micro's signal operators on hand-computed cases.
 *
 * Owns: each Signal* kernel on values worked out by hand from TFLite Micro's arithmetic
 * (saturating window, auto-scale shifts, the fixed-point real FFT of an impulse and of a
 * constant, its inverse of flat, DC, Nyquist and sine spectra and TFLite Micro's 64-point case,
 * energy over a range, a two-channel filter bank, square roots with their rounding, spectral
 * subtraction over two invokes with clamping, PCAN's gain table and shrink, the log's table and
 * values), each operator's prepare refusing hostile options and shapes, the options decoded from
 * the audio preprocessor's own FlexBuffers, and the whole audio preprocessor model
 * (../shared/zoo) giving TFLite Micro's expected feature for its no_30ms.wav test clip
 * (micro_speech_test.cc, NoFeatureTest) bit for bit, then different features as its noise
 * estimate adapts, the fresh feature from a second interpreter meanwhile (state per
 * interpreter), and the first again after edge_interp_reset_state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "op_harness.h"
#include "ref/signal.h"

/* Prepare (and eval when it succeeds) the custom operator NAME on H, its options set directly
 * in h->n.params.signal. */
static int run_signal(harness *h, const char *name)
{
    h->n.code = EDGE_OP_CUSTOM;
    return harness_prepare_eval(h, edge_cpu_find_custom(name));
}

static void test_window(void **state)
{
    (void)state;
    /* Q14 halves and Q15 ones: 1000 and -1000 pass, 32767 x 32767 >> 14 saturates high,
     * -32768 x 32767 >> 14 saturates low; the 2-tap window repeats over 4 samples */
    const int16_t in[4] = {1000, -1000, 32767, -32768}, w[4] = {16384, 16384, 32767, 32767};
    int16_t out[4];
    edge_ref_signal_window(in, 4, w, 4, 14, out);
    assert_memory_equal(out, ((const int16_t[]){1000, -1000, 32767, -32768}), sizeof out);
    edge_ref_signal_window(in, 4, w, 2, 14, out);
    assert_memory_equal(out, ((const int16_t[]){1000, -1000, 32767, -32768}), sizeof out);
    const int16_t half[2] = {8192, 8192};
    edge_ref_signal_window(in, 4, half, 2, 14, out);
    assert_memory_equal(out, ((const int16_t[]){500, -500, 16383, -16384}), sizeof out);
    /* through the operator: the window must divide the input, the shift stay in [0, 31] */
    int16_t wi[3] = {1, 1, 1};
    harness *h = harness_new(3);
    tensor(h, 0, EDGE_INT16, 2, (const int32_t[]){1, 4}, (void *)in, false);
    tensor(h, 1, EDGE_INT16, 1, (const int32_t[]){3}, wi, true);
    tensor(h, 2, EDGE_INT16, 2, (const int32_t[]){1, 4}, out, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    assert_int_equal(run_signal(h, "SignalWindow"), EDGE_ESHAPE);
    harness_reset(h);
    tensor(h, 1, EDGE_INT16, 1, (const int32_t[]){2}, wi, true);
    h->n.params.signal.shift = 32;
    assert_int_equal(run_signal(h, "SignalWindow"), EDGE_ERANGE);
    assert_true(harness_says(h, "shift"));
    harness_reset(h);
    h->n.params.signal.shift = 0;
    assert_int_equal(run_signal(h, "SignalWindow"), 0);
    assert_memory_equal(out, ((const int16_t[]){1000, -1000, 32767, -32768}), sizeof out);
    harness_free(h);
}

static void test_fft_auto_scale(void **state)
{
    (void)state;
    /* max |x| 5 takes 3 bits: shifted by 16 - 3 - 1 = 12 */
    const int16_t in[3] = {3, -5, 0};
    int16_t out[3];
    assert_int_equal(edge_ref_fft_auto_scale(in, 3, out), 12);
    assert_memory_equal(out, ((const int16_t[]){12288, -20480, 0}), sizeof out);
    /* all zero: msb(0) is 32, so no shift; -32768 wraps its own absolute value to -32768
     * (msb 32 as uint32: no shift), unless a later positive value replaces it as the max */
    const int16_t zero[2] = {0, 0}, low[2] = {1, -32768}, low_first[2] = {-32768, 1};
    assert_int_equal(edge_ref_fft_auto_scale(zero, 2, out), 0);
    assert_int_equal(edge_ref_fft_auto_scale(low, 2, out), 0);
    assert_memory_equal(out, low, sizeof low);
    assert_int_equal(edge_ref_fft_auto_scale(low_first, 2, out), 14);
    assert_memory_equal(out, ((const int16_t[]){0, 16384}), 2 * sizeof *out);
}

/* SignalRfft's and SignalIrfft's refused options (NAME on H): lengths that are no power of two
 * in [4, 16384], a type other than int16 (7). */
static void fft_refusals(harness *h, const char *name)
{
    const edge_signal_options bad[] = {{.type = 7, .fft_length = 6},
                                       {.type = 7, .fft_length = 2},
                                       {.type = 7, .fft_length = 1 << 20},
                                       {.type = 1, .fft_length = 4},
                                       {.type = 7, .fft_length = -4}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        harness_reset(h);
        h->n.params.signal = bad[i];
        assert_int_equal(run_signal(h, name), EDGE_EUNSUPPORTED);
    }
}

static void test_rfft_s16(void **state)
{
    (void)state;
    int16_t tables[32], work[8], out[10];
    /* 4 points, an impulse of 1000: every bin 1000 / 4 (one halving per radix-2 pass and two
     * in the split) */
    edge_ref_rfft_s16_tables(4, tables);
    const int16_t impulse[4] = {1000, 0, 0, 0};
    edge_ref_rfft_s16(4, tables, impulse, out, work);
    assert_memory_equal(out, ((const int16_t[]){250, 0, 250, 0, 250, 0}), 6 * sizeof *out);
    /* 8 points of 400: the radix-4 pass takes 400 to 100 (x 8191 rounded), sums back to 400,
     * the split halves to 200 + 200 at DC; every other bin is 0 */
    edge_ref_rfft_s16_tables(8, tables);
    const int16_t dc[8] = {400, 400, 400, 400, 400, 400, 400, 400};
    edge_ref_rfft_s16(8, tables, dc, out, work);
    assert_memory_equal(out, ((const int16_t[]){400, 0, 0, 0, 0, 0, 0, 0, 0, 0}), sizeof out);
    /* Q15 twiddles of 4 complex points: 1, -i, -1, i */
    assert_memory_equal(tables, ((const int16_t[]){32767, 0, 0, -32767, -32767, 0, 0, 32767}),
                        8 * sizeof *tables);
}

/* The inverse (kiss_fftri): each value of the N / 2 + 1 bins is halved at the split and once
 * per radix-2 pass, so a flat spectrum of 1000 gives the impulse 1000 (1/N times the sum of the
 * N bins), DC 400 the constant 100, Nyquist 400 the alternating +-100, and bin 1 = -800i (or
 * -1600i at 16 points, through a radix-4 pass) 2 x 800 / 8 sin(2 pi t / N), its sign the
 * inverse's: 0, 142, 200, ... (141.4 rounded up by the Q15 steps). TFLite Micro's own test
 * (fft_test.cc, IrfftTestLength64Int16): 33 bins of 256 give the impulse 256. */
static void test_irfft_s16(void **state)
{
    (void)state;
    int16_t tables[128], work[64], out[64];
    edge_ref_irfft_s16_tables(4, tables);
    edge_ref_irfft_s16(4, tables, (const int16_t[]){1000, 0, 1000, 0, 1000, 0}, out, work);
    assert_memory_equal(out, ((const int16_t[]){1000, 0, 0, 0}), 4 * sizeof *out);
    edge_ref_irfft_s16(4, tables, (const int16_t[]){400, 0, 0, 0, 0, 0}, out, work);
    assert_memory_equal(out, ((const int16_t[]){100, 100, 100, 100}), 4 * sizeof *out);
    edge_ref_irfft_s16(4, tables, (const int16_t[]){0, 0, 0, 0, 400, 0}, out, work);
    assert_memory_equal(out, ((const int16_t[]){100, -100, 100, -100}), 4 * sizeof *out);
    /* Q15 twiddles of the inverse, 2 complex points: 1, -1 (phase +pi) */
    assert_memory_equal(tables, ((const int16_t[]){32767, 0, -32767, 0}), 4 * sizeof *tables);
    int16_t sine[18] = {0};
    sine[3] = -800;
    edge_ref_irfft_s16_tables(8, tables);
    edge_ref_irfft_s16(8, tables, sine, out, work);
    assert_memory_equal(out, ((const int16_t[]){0, 142, 200, 142, 0, -142, -200, -142}),
                        8 * sizeof *out);
    sine[3] = -1600;
    edge_ref_irfft_s16_tables(16, tables);
    edge_ref_irfft_s16(16, tables, sine, out, work);
    assert_memory_equal(out,
                        ((const int16_t[]){0, 76, 142, 184, 200, 184, 142, 76, 0, -76, -142, -184,
                                           -200, -184, -142, -76}),
                        16 * sizeof *out);
    int16_t flat[66];
    for (int i = 0; i < 66; i++)
        flat[i] = i % 2 ? 0 : 256;
    edge_ref_irfft_s16_tables(64, tables);
    edge_ref_irfft_s16(64, tables, flat, out, work);
    assert_int_equal(out[0], 256);
    for (int i = 1; i < 64; i++)
        assert_int_equal(out[i], 0);
}

/* SignalIrfft's prepare: two frames of 3 bins into two of 4 samples; then every refusal. */
static void test_irfft_prepare(void **state)
{
    (void)state;
    int16_t in[12] = {1000, 0, 1000, 0, 1000, 0, 400, 0, 0, 0, 0, 0}, out[8];
    harness *h = harness_new(2);
    tensor(h, 0, EDGE_INT16, 2, (const int32_t[]){2, 6}, in, false);
    tensor(h, 1, EDGE_INT16, 2, (const int32_t[]){2, 4}, out, false);
    io(h, 1, (const int32_t[]){0}, 1);
    h->n.params.signal = (edge_signal_options){.type = 7, .fft_length = 4};
    assert_int_equal(run_signal(h, "SignalIrfft"), 0);
    assert_memory_equal(out, ((const int16_t[]){1000, 0, 0, 0, 100, 100, 100, 100}), sizeof out);
    fft_refusals(h, "SignalIrfft");
    harness_reset(h); /* frames of 4 values are not fft_length 4's 3 bins */
    h->n.params.signal = (edge_signal_options){.type = 7, .fft_length = 4};
    tensor(h, 0, EDGE_INT16, 2, (const int32_t[]){3, 4}, in, false);
    assert_int_equal(run_signal(h, "SignalIrfft"), EDGE_ESHAPE);
    assert_true(harness_says(h, "fft_length 4 takes 6"));
    harness_reset(h); /* an output of another length, or other outer dimensions */
    tensor(h, 0, EDGE_INT16, 2, (const int32_t[]){2, 6}, in, false);
    tensor(h, 1, EDGE_INT16, 2, (const int32_t[]){2, 3}, out, false);
    assert_int_equal(run_signal(h, "SignalIrfft"), EDGE_ESHAPE);
    harness_reset(h);
    tensor(h, 1, EDGE_INT16, 2, (const int32_t[]){1, 4}, out, false);
    assert_int_equal(run_signal(h, "SignalIrfft"), EDGE_ESHAPE);
    harness_reset(h); /* float32 frames */
    tensor(h, 0, EDGE_FLOAT32, 2, (const int32_t[]){2, 6}, in, false);
    tensor(h, 1, EDGE_FLOAT32, 2, (const int32_t[]){2, 4}, out, false);
    assert_int_not_equal(run_signal(h, "SignalIrfft"), 0);
    harness_free(h);
}

static void test_rfft_prepare(void **state)
{
    (void)state;
    int16_t in[6] = {1000}, out[10];
    harness *h = harness_new(2);
    tensor(h, 0, EDGE_INT16, 2, (const int32_t[]){1, 3}, in, false);
    tensor(h, 1, EDGE_INT16, 2, (const int32_t[]){1, 6}, out, false);
    io(h, 1, (const int32_t[]){0}, 1);
    h->n.params.signal = (edge_signal_options){.type = 7, .fft_length = 4};
    /* 3 samples zero-padded to 4: the impulse again */
    assert_int_equal(run_signal(h, "SignalRfft"), 0);
    assert_memory_equal(out, ((const int16_t[]){250, 0, 250, 0, 250, 0}), 6 * sizeof *out);
    fft_refusals(h, "SignalRfft");
    /* frames longer than the FFT, or an output of another length */
    harness_reset(h);
    h->n.params.signal = (edge_signal_options){.type = 7, .fft_length = 4};
    tensor(h, 0, EDGE_INT16, 2, (const int32_t[]){1, 6}, in, false);
    assert_int_equal(run_signal(h, "SignalRfft"), EDGE_ESHAPE);
    harness_reset(h);
    tensor(h, 0, EDGE_INT16, 2, (const int32_t[]){1, 3}, in, false);
    tensor(h, 1, EDGE_INT16, 2, (const int32_t[]){1, 8}, out, false);
    assert_int_equal(run_signal(h, "SignalRfft"), EDGE_ESHAPE);
    harness_free(h);
}

static void test_energy(void **state)
{
    (void)state;
    int16_t in[6] = {3, 4, -5, 12, 100, 0};
    uint32_t out[3] = {7, 7, 7};
    harness *h = harness_new(2);
    tensor(h, 0, EDGE_INT16, 1, (const int32_t[]){6}, in, false);
    tensor(h, 1, EDGE_UINT32, 1, (const int32_t[]){3}, out, false);
    io(h, 1, (const int32_t[]){0}, 1);
    h->n.params.signal = (edge_signal_options){.start_index = 1, .end_index = 3};
    assert_int_equal(run_signal(h, "SignalEnergy"), 0);
    assert_memory_equal(out, ((const uint32_t[]){0, 169, 10000}), sizeof out);
    /* -32768^2 x 2 wraps int32 to 2^31 as uint32 */
    int16_t low[2] = {-32768, -32768};
    edge_ref_signal_energy(low, 0, 1, 1, out);
    assert_true(out[0] == UINT32_C(2147483648));
    const edge_signal_options bad[] = {{.start_index = 0, .end_index = 4},
                                       {.start_index = 2, .end_index = 1},
                                       {.start_index = -1, .end_index = 1}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        harness_reset(h);
        h->n.params.signal = bad[i];
        assert_int_equal(run_signal(h, "SignalEnergy"), EDGE_ERANGE);
    }
    harness_free(h);
}

/* A filter bank node over 3 bins, the tables given. */
static harness *filter_bank_node(uint32_t *in, int16_t *tab, uint64_t *out, int32_t channels)
{
    harness *h = harness_new(7);
    tensor(h, 0, EDGE_UINT32, 1, (const int32_t[]){3}, in, false);
    tensor(h, 1, EDGE_INT16, 1, (const int32_t[]){3}, tab, true);      /* weights */
    tensor(h, 2, EDGE_INT16, 1, (const int32_t[]){3}, tab + 3, true);  /* unweights */
    tensor(h, 3, EDGE_INT16, 1, (const int32_t[]){2}, tab + 6, true);  /* frequency starts */
    tensor(h, 4, EDGE_INT16, 1, (const int32_t[]){2}, tab + 8, true);  /* weight starts */
    tensor(h, 5, EDGE_INT16, 1, (const int32_t[]){2}, tab + 10, true); /* widths */
    tensor(h, 6, EDGE_UINT64, 1, (const int32_t[]){1}, out, false);
    io(h, 6, (const int32_t[]){0, 1, 2, 3, 4, 5}, 6);
    h->n.params.signal.num_channels = channels;
    return h;
}

static void test_filter_bank(void **state)
{
    (void)state;
    /* channel 0: bin 0 x (2, 5); channel 1: bins 1-2 x (3, 4) plus channel 0's unweighted
     * 5 x 10: 50 + 3 x 20 + 4 x 30 = 230 */
    uint32_t in[3] = {10, 20, 30};
    int16_t tab[12] = {2, 3, 4, 5, 6, 7, 0, 1, 0, 1, 1, 2};
    uint64_t out[1];
    harness *h = filter_bank_node(in, tab, out, 1);
    assert_int_equal(run_signal(h, "SignalFilterBank"), 0);
    assert_true(out[0] == 230);
    /* a channel reading past the spectrum (width 3 from bin 1) or a width below zero */
    harness_reset(h);
    tab[11] = 3;
    assert_int_equal(run_signal(h, "SignalFilterBank"), EDGE_ERANGE);
    harness_reset(h);
    tab[11] = -1;
    assert_int_equal(run_signal(h, "SignalFilterBank"), EDGE_ERANGE);
    /* two channels need three table entries; the output must have num_channels values */
    harness_reset(h);
    tab[11] = 2;
    h->n.params.signal.num_channels = 2;
    assert_int_equal(run_signal(h, "SignalFilterBank"), EDGE_ESHAPE);
    harness_reset(h);
    h->n.params.signal.num_channels = 0;
    assert_int_equal(run_signal(h, "SignalFilterBank"), EDGE_ERANGE);
    harness_free(h);
}

static void test_sqrt(void **state)
{
    (void)state;
    /* the root rounds up when the remainder exceeds it: 17 -> 4, 24 -> 5 */
    assert_int_equal(edge_ref_sqrt64(0), 0);
    assert_int_equal(edge_ref_sqrt64(16), 4);
    assert_int_equal(edge_ref_sqrt64(17), 4);
    assert_int_equal(edge_ref_sqrt64(24), 5);
    assert_int_equal(edge_ref_sqrt64(UINT64_C(1) << 40), 1 << 20);
    assert_true(edge_ref_sqrt64(UINT64_MAX) == UINT32_MAX);
    assert_int_equal(edge_ref_sqrt64(UINT32_MAX), 65535);
    uint64_t in[3] = {16, 24, 1u << 20};
    uint32_t out[3];
    edge_ref_filter_bank_sqrt(in, 3, 1, out);
    assert_memory_equal(out, ((const uint32_t[]){2, 2, 512}), sizeof out);
    edge_ref_filter_bank_sqrt(in, 3, 40, out); /* a hostile shift tensor: no undefined shift */
    assert_memory_equal(out, ((const uint32_t[]){0, 0, 0}), sizeof out);
}

static void test_spectral_subtraction(void **state)
{
    (void)state;
    uint32_t in[2] = {1000, 200}, out[2], noise[2] = {0, 0};
    harness *h = harness_new(3);
    tensor(h, 0, EDGE_UINT32, 1, (const int32_t[]){2}, in, false);
    tensor(h, 1, EDGE_UINT32, 1, (const int32_t[]){2}, out, false);
    tensor(h, 2, EDGE_UINT32, 1, (const int32_t[]){2}, noise, false);
    io_n(h, 1, (const int32_t[]){0}, 2, (const int32_t[]){1, 2});
    /* smoothing 0.25 (Q14), floor 0.1: noise 250 and 50, outputs 750 and 150 */
    h->n.params.signal = (edge_signal_options){.num_channels = 2,
                                               .smoothing = 4096,
                                               .one_minus_smoothing = 12288,
                                               .alternate_smoothing = 4096,
                                               .alternate_one_minus_smoothing = 12288,
                                               .min_signal_remaining = 1638,
                                               .spectral_subtraction_bits = 14,
                                               .clamping = true};
    assert_int_equal(run_signal(h, "SignalFilterBankSpectralSubtraction"), 0);
    assert_memory_equal(out, ((const uint32_t[]){750, 150}), sizeof out);
    assert_memory_equal(noise, ((const uint32_t[]){250, 50}), sizeof noise);
    /* the noise estimate became state the interpreter keeps */
    assert_true(h->t[2].variable);
    /* again: noise (1000 x 4096 + 250 x 12288) >> 14 = 437, output 563 */
    edge_spectral_sub k = {4096, 12288, 4096, 12288, 1638, 0, 14, true};
    edge_ref_spectral_subtraction(&k, in, 2, out, noise);
    assert_int_equal(out[0], 563);
    assert_int_equal(noise[0], 437);
    /* a quiet frame: the estimate (352) passes the signal (100) and is clamped to it; the
     * output is the floor 100 x 1638 >> 14 = 9 */
    in[0] = 100;
    edge_ref_spectral_subtraction(&k, in, 1, out, noise);
    assert_int_equal(noise[0], 100);
    assert_int_equal(out[0], 9);
    /* hostile options: shifts past their types, a channel count that is not the tensors' */
    const edge_signal_options bad[] = {{.num_channels = 2, .smoothing_bits = 32},
                                       {.num_channels = 2, .spectral_subtraction_bits = 64},
                                       {.num_channels = -1}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        harness_reset(h);
        h->n.params.signal = bad[i];
        assert_int_equal(run_signal(h, "SignalFilterBankSpectralSubtraction"), EDGE_ERANGE);
    }
    harness_reset(h);
    h->n.params.signal = (edge_signal_options){.num_channels = 3};
    assert_int_equal(run_signal(h, "SignalFilterBankSpectralSubtraction"), EDGE_ESHAPE);
    /* the state cannot be a constant */
    harness_reset(h);
    h->n.params.signal = (edge_signal_options){.num_channels = 2};
    h->t[2].variable = false;
    h->t[2].data = noise;
    assert_int_equal(run_signal(h, "SignalFilterBankSpectralSubtraction"), EDGE_EUNSUPPORTED);
    harness_free(h);
}

static void test_pcan(void **state)
{
    (void)state;
    /* gain for noise 3: octave 2 reads lut[2..4] = 100, 64, 0 at fraction 512:
     * ((64 << 5) x 512 + 2^14) >> 15 = 32, + 100 = 132; noise 1 reads lut[1] = 50 */
    int16_t lut[EDGE_PCAN_LUT_MIN] = {0, 50, 100, 64, 0};
    const uint32_t noise[3] = {3, 3, 1}, in[3] = {1000, 100000, 4000};
    uint32_t out[3];
    /* snr 1000 x 132 >> 6 = 2062, shrunk 2062^2 >> 20 = 4; 206250 >> 6 - 64 = 3158;
     * 4000 x 50 >> 6 = 3125, 3125^2 >> 20 = 9 */
    edge_ref_pcan(lut, 6, noise, in, 3, out);
    assert_memory_equal(out, ((const uint32_t[]){4, 3158, 9}), sizeof out);
    /* the operator refuses a table shorter than the largest index and shifts past 63 */
    harness *h = harness_new(4);
    tensor(h, 0, EDGE_UINT32, 1, (const int32_t[]){3}, (void *)in, false);
    tensor(h, 1, EDGE_UINT32, 1, (const int32_t[]){3}, (void *)noise, false);
    tensor(h, 2, EDGE_INT16, 1, (const int32_t[]){EDGE_PCAN_LUT_MIN - 1}, lut, true);
    tensor(h, 3, EDGE_UINT32, 1, (const int32_t[]){3}, out, false);
    io(h, 3, (const int32_t[]){0, 1, 2}, 3);
    h->n.params.signal.snr_shift = 6;
    assert_int_equal(run_signal(h, "SignalPCAN"), EDGE_ESHAPE);
    harness_reset(h);
    tensor(h, 2, EDGE_INT16, 1, (const int32_t[]){EDGE_PCAN_LUT_MIN}, lut, true);
    h->n.params.signal.snr_shift = 64;
    assert_int_equal(run_signal(h, "SignalPCAN"), EDGE_ERANGE);
    harness_reset(h);
    h->n.params.signal.snr_shift = 6;
    memset(out, 0, sizeof out);
    assert_int_equal(run_signal(h, "SignalPCAN"), 0);
    assert_memory_equal(out, ((const uint32_t[]){4, 3158, 9}), sizeof out);
    harness_free(h);
}

static void test_log(void **state)
{
    (void)state;
    uint16_t lut[EDGE_SIGNAL_LOG_LUT];
    edge_signal_log_lut(lut);
    /* TFLite Micro's kLogLut entries */
    assert_int_equal(lut[0], 0);
    assert_int_equal(lut[1], 224);
    assert_int_equal(lut[2], 442);
    assert_int_equal(lut[57], 5641);
    assert_int_equal(lut[64], 5568);
    assert_int_equal(lut[127], 142);
    assert_int_equal(lut[128], 0);
    assert_int_equal(lut[129], 0);
    /* ln(2), ln(8), ln(3) x 1024: 710, 2129, 1125; 0 and 1 give 0; 1 << 3 is 8 again;
     * scale 2^16 saturates ln(2) x 65536 to 32767 */
    const uint32_t in[5] = {2, 8, 3, 1, 0};
    int16_t out[5];
    edge_ref_filter_bank_log(lut, in, 5, 1024, 0, out);
    assert_memory_equal(out, ((const int16_t[]){710, 2129, 1125, 0, 0}), sizeof out);
    edge_ref_filter_bank_log(lut, in + 3, 1, 1024, 3, out);
    assert_int_equal(out[0], 2129);
    edge_ref_filter_bank_log(lut, in, 1, 65536, 0, out);
    assert_int_equal(out[0], 32767);
}

/* The audio preprocessor's own option bytes (its SignalEnergy and SignalFilterBankLog). */
static void test_decode(void **state)
{
    (void)state;
    static const uint8_t energy[] = {
        0x65, 0x6e, 0x64, 0x5f, 0x69, 0x6e, 0x64, 0x65, 0x78, 0x00, 0x73, 0x74, 0x61, 0x72,
        0x74, 0x5f, 0x69, 0x6e, 0x64, 0x65, 0x78, 0x00, 0x02, 0x17, 0x0e, 0x00, 0x03, 0x00,
        0x01, 0x00, 0x02, 0x00, 0xf1, 0x00, 0x05, 0x00, 0x05, 0x05, 0x06, 0x25, 0x01};
    static const uint8_t log[] = {0x69, 0x6e, 0x70, 0x75, 0x74, 0x5f, 0x63, 0x6f, 0x72, 0x72,
                                  0x65, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x5f, 0x62, 0x69, 0x74,
                                  0x73, 0x00, 0x6f, 0x75, 0x74, 0x70, 0x75, 0x74, 0x5f, 0x73,
                                  0x63, 0x61, 0x6c, 0x65, 0x00, 0x02, 0x24, 0x0f, 0x02, 0x01,
                                  0x02, 0x03, 0x40, 0x04, 0x04, 0x04, 0x24, 0x01};
    edge_op_params p;
    edge_error err = {0};
    assert_int_equal(edge_op_decode_custom("SignalEnergy", energy, sizeof energy, &p, &err), 0);
    assert_int_equal(p.signal.end_index, 241);
    assert_int_equal(p.signal.start_index, 5);
    assert_int_equal(edge_op_decode_custom("SignalFilterBankLog", log, sizeof log, &p, &err), 0);
    assert_int_equal(p.signal.input_correction_bits, 3);
    assert_int_equal(p.signal.output_scale, 64);
    /* the other operator's keys are missing */
    assert_int_equal(edge_op_decode_custom("SignalPCAN", energy, sizeof energy, &p, &err),
                     EDGE_EFORMAT);
    assert_non_null(strstr(err.message, "snr_shift"));
    /* a truncated map */
    assert_int_equal(edge_op_decode_custom("SignalEnergy", energy, 3, &p, &err), EDGE_EFORMAT);
    /* options-free operators and unknown names decode to zeros */
    assert_int_equal(edge_op_decode_custom("SignalFftAutoScale", NULL, 0, &p, &err), 0);
    assert_int_equal(edge_op_decode_custom("SignalStacker", NULL, 0, &p, &err), 0);
}

/* TFLite Micro's micro_speech/testdata/no_30ms.wav: 480 samples at 16 kHz. */
static const int16_t no_30ms[480] = {
    5713,  5735,  5735,  5737,  5701,  5691,  5656,  5633,  5611,  5552,  5475,  5394,  5293,
    5177,  5064,  4924,  4737,  4599,  4420,  4237,  4048,  3828,  3623,  3413,  3183,  2915,
    2622,  2308,  1980,  1657,  1261,  901,   549,   205,   -85,   -383,  -688,  -969,  -1246,
    -1530, -1850, -2206, -2561, -2915, -3224, -3482, -3713, -3921, -4107, -4287, -4470, -4660,
    -4850, -5057, -5239, -5395, -5540, -5619, -5697, -5724, -5697, -5675, -5633, -5590, -5579,
    -5530, -5486, -5442, -5426, -5391, -5348, -5276, -5197, -5124, -5039, -4925, -4808, -4677,
    -4581, -4479, -4343, -4218, -4087, -3970, -3858, -3729, -3570, -3384, -3206, -3020, -2839,
    -2636, -2453, -2287, -2185, -2154, -1926, -1562, -1223, -758,  -473,  -64,   395,   599,
    880,   814,   938,   1172,  1498,  1928,  2127,  2422,  2608,  2841,  2937,  2886,  2815,
    2985,  3324,  3757,  4152,  4481,  4652,  4917,  4965,  4766,  4583,  4328,  4503,  4815,
    5118,  5408,  5682,  5956,  6082,  6055,  5744,  5426,  5341,  5427,  5606,  5882,  6065,
    6226,  6428,  6477,  6385,  6009,  5728,  5552,  5439,  5339,  5200,  5008,  4947,  4835,
    4614,  4330,  3887,  3521,  3111,  2460,  1983,  1297,  650,   279,   -353,  -720,  -1044,
    -1518, -1668, -2117, -2496, -2743, -3266, -3607, -3790, -4149, -4075, -4042, -4096, -3981,
    -4138, -4226, -4214, -4503, -4455, -4577, -4642, -4346, -4351, -4270, -4263, -4522, -4521,
    -4673, -4814, -4731, -4950, -5011, -5004, -5288, -5341, -5566, -5833, -5783, -5929, -5847,
    -5765, -5828, -5644, -5613, -5615, -5428, -5291, -5014, -4554, -4277, -3964, -3854, -3829,
    -3612, -3603, -3438, -3137, -2831, -2164, -1438, -939,  -330,  -156,  46,    242,   73,
    242,   220,   239,   542,   565,   739,   872,   801,   857,   676,   543,   586,   567,
    828,   1142,  1490,  1985,  2508,  2982,  3438,  3699,  3939,  4069,  4178,  4420,  4622,
    4917,  5338,  5801,  6285,  6658,  6963,  7213,  7233,  7328,  7176,  7038,  7031,  6860,
    6957,  6767,  6599,  6523,  6212,  6147,  6063,  5860,  6020,  6015,  6033,  6184,  5722,
    5607,  5016,  4337,  4063,  3229,  3080,  3006,  2804,  3035,  2541,  2136,  1879,  1012,
    401,   -575,  -1584, -1930, -2278, -2485, -2477, -2712, -2747, -2766, -3320, -3592, -4188,
    -4669, -4672, -4939, -4789, -4426, -4203, -3674, -3563, -3656, -3759, -4067, -4257, -4522,
    -4970, -5204, -5237, -5139, -4907, -4911, -4917, -4921, -5007, -5230, -5654, -6122, -6464,
    -6733, -6948, -7067, -6972, -6800, -6520, -6132, -5830, -5382, -5091, -4797, -4546, -4472,
    -4362, -4350, -4235, -3851, -3454, -3144, -2735, -2341, -1845, -1262, -958,  -549,  -166,
    66,    382,   366,   352,   341,   85,    -13,   -176,  -303,  -235,  -341,  -309,  -227,
    -249,  -50,   143,   384,   874,   1149,  1552,  2155,  2767,  3499,  3994,  4460,  4920,
    5288,  5569,  5704,  5881,  6094,  6461,  6653,  6803,  7115,  7311,  7521,  7612,  7443,
    7380,  7124,  6742,  6495,  5964,  5656,  5415,  5167,  5656,  5813,  6027,  6401,  6351,
    6787,  7019,  6581,  6512,  5965,  5308,  5140,  4336,  4147,  3899,  3398,  3360,  2830,
    2624,  1968,  1026,  395,   -699,  -1424, -2327, -3006, -3192, -3435, -3337, -3686, -3513,
    -3350, -3502, -3261, -3878, -4005, -4063, -4187, -3767, -3598, -3384, -3300, -3094, -2857,
    -3023, -3274, -3851, -4352, -4523, -4943, -5477, -5612, -5682, -5733, -5714, -5965, -6110,
    -5950, -6158, -6548, -6897, -7165, -7281, -7352, -7258, -7185, -6659, -5946, -5470,
};

/* micro_speech_test.cc's NoFeatureTest: the first feature of no_30ms on a fresh state. */
static const int8_t no_feature[40] = {
    126, 103, 124, 102, 124, 102, 123, 100, 118, 97, 118, 100, 118, 98, 121, 100, 121, 98, 117, 91,
    96,  74,  54,  87,  100, 87,  109, 92,  91,  80, 64,  55,  83,  74, 74,  78,  114, 95, 101, 81,
};

static int invoke_no(edge_interp *it, int8_t out[40])
{
    size_t bytes = 0;
    void *in = edge_interp_input(it, 0, &bytes);
    assert_int_equal(bytes, sizeof no_30ms);
    memcpy(in, no_30ms, sizeof no_30ms);
    int rc = edge_interp_invoke(it);
    if (rc == 0)
        memcpy(out, edge_interp_output(it, 0, NULL), 40);
    return rc;
}

static void test_audio_preprocessor(void **state)
{
    (void)state;
    char *dir = edge_test_shared_path("zoo/tflm_audio_preprocessor_int8");
    if (!dir)
        skip();
    char path[4096];
    snprintf(path, sizeof path, "%s/model.tflite", dir);
    free(dir);
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    assert_int_equal(edge_model_open(path, NULL, &m, &err), 0);
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    int8_t first[40], next[40];
    assert_int_equal(invoke_no(it, first), 0);
    assert_memory_equal(first, no_feature, sizeof first);
    /* the noise estimate adapts: the same clip again gives another feature */
    assert_int_equal(invoke_no(it, next), 0);
    assert_memory_not_equal(next, no_feature, sizeof next);
    /* a second interpreter has its own noise estimate: its first feature is the fresh one */
    edge_interp *other = NULL;
    int8_t other_first[40];
    assert_int_equal(edge_interp_new(m, &other, &err), 0);
    assert_int_equal(invoke_no(other, other_first), 0);
    assert_memory_equal(other_first, no_feature, sizeof other_first);
    edge_interp_free(other);
    edge_interp_reset_state(it);
    assert_int_equal(invoke_no(it, next), 0);
    assert_memory_equal(next, no_feature, sizeof next);
    edge_interp_free(it);
    edge_model_unref(m);
}

int main(void)
{
    (void)options; /* the harness's builtin options and lookup: these operators are custom */
    (void)run;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window),    cmocka_unit_test(test_fft_auto_scale),
        cmocka_unit_test(test_rfft_s16),  cmocka_unit_test(test_rfft_prepare),
        cmocka_unit_test(test_irfft_s16), cmocka_unit_test(test_irfft_prepare),
        cmocka_unit_test(test_energy),    cmocka_unit_test(test_filter_bank),
        cmocka_unit_test(test_sqrt),      cmocka_unit_test(test_spectral_subtraction),
        cmocka_unit_test(test_pcan),      cmocka_unit_test(test_log),
        cmocka_unit_test(test_decode),    cmocka_unit_test(test_audio_preprocessor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
