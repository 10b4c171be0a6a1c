/* tests/fuzz/robust_crafted_signal.c - crafted models that misuse TFLite Micro's signal operators.
 *
 * Owns: one-operator files, built with tools/tflite_writer.h and FlexBuffer options from
 * tools/flex_build.h, whose options or operands break one rule of SignalWindow,
 * SignalRfft, SignalEnergy, SignalFilterBank, SignalFilterBankSpectralSubtraction, SignalPCAN
 * and SignalFilterBankLog (shifts past their types, lengths that are no power of two, ranges
 * outside the spectrum, channels reading past the tables, tables too short, a missing or
 * wrongly typed key, options that are not a map). Each must be refused with the expected
 * code and a message naming the problem; a well-formed control of each shape loads and runs
 * (so the refusals come from the fault, not the scaffolding). Does not own the options'
 * reader's own fuzzing (tests/fuzz/fuzz_flexbuf.c). */
#include <stdio.h>
#include <stdlib.h>

#include "tools/flex_build.h"
#include "robust.h"
#include "ref/signal.h"
#include "tools/tflite_writer.h"

static int32_t add_tensor(tfw_writer *w, int type, const char *name, int rank, const int32_t *dims)
{
    return robust_add_plain(w, type, name, rank, dims);
}

static int32_t add_const(tfw_writer *w, int type, const char *name, int32_t count, const void *data,
                         size_t bytes)
{
    const tfw_tensor_desc d = {.type = type, .rank = 1, .dims = &count, .name = name};
    return tfw_add_const(w, &d, data, bytes);
}

/* The custom operator NAME reading IN and writing OUT (graph inputs GIN), options E. */
static void signal_op(tfw_writer *w, const char *name, const flex_entry *e, size_t n_e,
                      const int32_t *in, int n_in, const int32_t *out, int n_out,
                      const int32_t *gin, int n_gin)
{
    flex_buf f;
    flex_build(&f, e, n_e);
    const int32_t opc = tfw_add_custom_opcode(w, name, 1);
    tfw_add_custom_operator(w, opc, in, n_in, out, n_out, f.b, f.len);
    tfw_set_io(w, gin, n_gin, out, n_out);
}

static void expect(tfw_writer *w, const char *label, int code, const char *needle1,
                   const char *needle2)
{
    size_t n = 0;
    uint8_t *buf = robust_finish(w, &n);
    if (code)
        robust_expect_refused(label, buf, n, code, needle1, needle2);
    else
        robust_expect_runs(label, buf, n);
    free(buf);
    tfw_free(w);
}

/* SignalWindow over SAMPLES int16 samples with a window of TAPS, options E. */
static tfw_writer *window_model(int32_t samples, int32_t taps, const flex_entry *e, size_t n_e)
{
    static const int16_t ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t d[2] = {1, samples};
    const int32_t in = add_tensor(w, EDGE_INT16, "in", 2, d);
    const int32_t win = add_const(w, EDGE_INT16, "window", taps, ones, 2 * (size_t)taps);
    const int32_t out = add_tensor(w, EDGE_INT16, "out", 2, d);
    signal_op(w, "SignalWindow", e, n_e, (const int32_t[]){in, win}, 2, &out, 1, &in, 1);
    return w;
}

static void test_window(void **state)
{
    (void)state;
    const flex_entry ok[] = {{"shift", EDGE_FLEX_INT, 12}};
    expect(window_model(8, 4, ok, 1), "control: SignalWindow", 0, NULL, NULL);
    const flex_entry big[] = {{"shift", EDGE_FLEX_INT, 40}};
    expect(window_model(8, 4, big, 1), "SignalWindow shift 40", EDGE_ERANGE, "shift", "40");
    expect(window_model(8, 3, ok, 1), "SignalWindow 8 samples, 3 taps", EDGE_ESHAPE, "windows",
           NULL);
    const flex_entry other[] = {{"shifts", EDGE_FLEX_INT, 12}};
    expect(window_model(8, 4, other, 1), "SignalWindow without shift", EDGE_EFORMAT, "shift",
           "missing");
    const flex_entry text[] = {{"shift", EDGE_FLEX_STRING, 12}};
    expect(window_model(8, 4, text, 1), "SignalWindow shift of another type", EDGE_EFORMAT, "shift",
           NULL);
}

/* SignalRfft of SAMPLES int16 samples into OUT_LEN int16, options T and fft_length. */
static tfw_writer *rfft_model(int32_t samples, int32_t out_len, int32_t type, int32_t fft)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t in = add_tensor(w, EDGE_INT16, "in", 1, &samples);
    const int32_t out = add_tensor(w, EDGE_INT16, "out", 1, &out_len);
    const flex_entry e[] = {{"T", EDGE_FLEX_INT, type}, {"fft_length", EDGE_FLEX_INT, fft}};
    signal_op(w, "SignalRfft", e, 2, &in, 1, &out, 1, &in, 1);
    return w;
}

static void test_rfft(void **state)
{
    (void)state;
    expect(rfft_model(12, 18, 7, 16), "control: SignalRfft 12 into 16", 0, NULL, NULL);
    expect(rfft_model(12, 14, 7, 12), "SignalRfft fft_length 12", EDGE_EUNSUPPORTED,
           "fft_length 12", NULL);
    expect(rfft_model(12, 18, 7, -16), "SignalRfft fft_length -16", EDGE_EUNSUPPORTED,
           "fft_length -16", NULL);
    expect(rfft_model(12, 18, 0, 16), "SignalRfft float32", EDGE_EUNSUPPORTED, "int16", NULL);
    expect(rfft_model(20, 18, 7, 16), "SignalRfft frames past the FFT", EDGE_ESHAPE, "longer",
           NULL);
    expect(rfft_model(12, 16, 7, 16), "SignalRfft short output", EDGE_ESHAPE, "output", NULL);
}

/* SignalEnergy of 8 complex bins into 8 energies over [START, END). */
static tfw_writer *energy_model(int32_t start, int32_t end)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t in = add_tensor(w, EDGE_INT16, "in", 1, (const int32_t[]){16});
    const int32_t out = add_tensor(w, EDGE_UINT32, "out", 1, (const int32_t[]){8});
    const flex_entry e[] = {{"end_index", EDGE_FLEX_INT, end},
                            {"start_index", EDGE_FLEX_INT, start}};
    signal_op(w, "SignalEnergy", e, 2, &in, 1, &out, 1, &in, 1);
    return w;
}

static void test_energy(void **state)
{
    (void)state;
    expect(energy_model(2, 8), "control: SignalEnergy [2, 8)", 0, NULL, NULL);
    expect(energy_model(0, 9), "SignalEnergy end past the bins", EDGE_ERANGE, "end_index", NULL);
    expect(energy_model(5, 4), "SignalEnergy start after end", EDGE_ERANGE, "start_index", NULL);
    expect(energy_model(-1, 4), "SignalEnergy negative start", EDGE_ERANGE, "start_index", NULL);
}

/* SignalFilterBank of 4 bins into one channel whose second table entry starts at FREQ. */
static tfw_writer *filter_bank_model(int16_t freq, int16_t width, int32_t channels)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int16_t weights[4] = {1, 2, 3, 4}, starts[2] = {0, freq}, wstarts[2] = {0, 1};
    const int16_t widths[2] = {1, width};
    const int32_t in = add_tensor(w, EDGE_UINT32, "in", 1, (const int32_t[]){4});
    const int32_t tw = add_const(w, EDGE_INT16, "weights", 4, weights, sizeof weights);
    const int32_t tu = add_const(w, EDGE_INT16, "unweights", 4, weights, sizeof weights);
    const int32_t tf = add_const(w, EDGE_INT16, "starts", 2, starts, sizeof starts);
    const int32_t ts = add_const(w, EDGE_INT16, "weight starts", 2, wstarts, sizeof wstarts);
    const int32_t tc = add_const(w, EDGE_INT16, "widths", 2, widths, sizeof widths);
    const int32_t out = add_tensor(w, EDGE_UINT64, "out", 1, &channels);
    const flex_entry e[] = {{"num_channels", EDGE_FLEX_INT, channels}};
    signal_op(w, "SignalFilterBank", e, 1, (const int32_t[]){in, tw, tu, tf, ts, tc}, 6, &out, 1,
              &in, 1);
    return w;
}

static void test_filter_bank(void **state)
{
    (void)state;
    expect(filter_bank_model(1, 3, 1), "control: SignalFilterBank", 0, NULL, NULL);
    expect(filter_bank_model(2, 3, 1), "SignalFilterBank channel past the spectrum", EDGE_ERANGE,
           "channel 1", NULL);
    expect(filter_bank_model(-3, 2, 1), "SignalFilterBank negative start", EDGE_ERANGE, "channel 1",
           NULL);
    expect(filter_bank_model(1, 3, 2), "SignalFilterBank tables for one channel", EDGE_ESHAPE,
           "2 channels", NULL);
    expect(filter_bank_model(1, 3, 0), "SignalFilterBank no channels", EDGE_ERANGE, "num_channels",
           NULL);
}

/* SignalFilterBankSpectralSubtraction over 4 channels with SMOOTHING_BITS and SUB_BITS. */
static tfw_writer *spectral_model(int32_t channels, int32_t smoothing_bits, int32_t sub_bits)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t d = 4;
    const int32_t in = add_tensor(w, EDGE_UINT32, "in", 1, &d);
    const int32_t out = add_tensor(w, EDGE_UINT32, "out", 1, &d);
    const int32_t noise = add_tensor(w, EDGE_UINT32, "noise", 1, &d);
    const flex_entry e[] = {{"alternate_one_minus_smoothing", EDGE_FLEX_INT, 15000},
                            {"alternate_smoothing", EDGE_FLEX_INT, 1384},
                            {"clamping", EDGE_FLEX_BOOL, 0},
                            {"min_signal_remaining", EDGE_FLEX_INT, 655},
                            {"num_channels", EDGE_FLEX_INT, channels},
                            {"one_minus_smoothing", EDGE_FLEX_INT, 15000},
                            {"smoothing", EDGE_FLEX_INT, 1384},
                            {"smoothing_bits", EDGE_FLEX_INT, smoothing_bits},
                            {"spectral_subtraction_bits", EDGE_FLEX_INT, sub_bits}};
    signal_op(w, "SignalFilterBankSpectralSubtraction", e, 9, &in, 1, (const int32_t[]){out, noise},
              2, &in, 1);
    return w;
}

static void test_spectral(void **state)
{
    (void)state;
    expect(spectral_model(4, 10, 14), "control: spectral subtraction", 0, NULL, NULL);
    expect(spectral_model(4, 32, 14), "spectral subtraction smoothing_bits 32", EDGE_ERANGE,
           "smoothing_bits", NULL);
    expect(spectral_model(4, 10, 64), "spectral subtraction bits 64", EDGE_ERANGE,
           "spectral_subtraction_bits", NULL);
    expect(spectral_model(5, 10, 14), "spectral subtraction 5 channels of 4", EDGE_ESHAPE,
           "4 elements", NULL);
}

/* SignalPCAN over 4 channels with a gain table of LUT values and SNR_SHIFT. */
static tfw_writer *pcan_model(int32_t lut, int32_t snr_shift)
{
    static const int16_t gains[EDGE_PCAN_LUT_MIN];
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t d = 4;
    const int32_t in = add_tensor(w, EDGE_UINT32, "in", 1, &d);
    const int32_t noise = add_tensor(w, EDGE_UINT32, "noise", 1, &d);
    const int32_t table = add_const(w, EDGE_INT16, "gains", lut, gains, 2 * (size_t)lut);
    const int32_t out = add_tensor(w, EDGE_UINT32, "out", 1, &d);
    const flex_entry e[] = {{"snr_shift", EDGE_FLEX_INT, snr_shift}};
    signal_op(w, "SignalPCAN", e, 1, (const int32_t[]){in, noise, table}, 3, &out, 1,
              (const int32_t[]){in, noise}, 2);
    return w;
}

static void test_pcan(void **state)
{
    (void)state;
    expect(pcan_model(EDGE_PCAN_LUT_MIN, 6), "control: SignalPCAN", 0, NULL, NULL);
    expect(pcan_model(40, 6), "SignalPCAN short gain table", EDGE_ESHAPE, "gain table", NULL);
    expect(pcan_model(EDGE_PCAN_LUT_MIN, 64), "SignalPCAN snr_shift 64", EDGE_ERANGE, "snr_shift",
           NULL);
}

/* SignalFilterBankLog of 4 channels, correction BITS. */
static tfw_writer *log_model(int32_t bits)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t d = 4;
    const int32_t in = add_tensor(w, EDGE_UINT32, "in", 1, &d);
    const int32_t out = add_tensor(w, EDGE_INT16, "out", 1, &d);
    const flex_entry e[] = {{"input_correction_bits", EDGE_FLEX_INT, bits},
                            {"output_scale", EDGE_FLEX_INT, 64}};
    signal_op(w, "SignalFilterBankLog", e, 2, &in, 1, &out, 1, &in, 1);
    return w;
}

static void test_log(void **state)
{
    (void)state;
    expect(log_model(3), "control: SignalFilterBankLog", 0, NULL, NULL);
    expect(log_model(-1), "SignalFilterBankLog correction -1", EDGE_ERANGE, "input_correction_bits",
           NULL);
    expect(log_model(32), "SignalFilterBankLog correction 32", EDGE_ERANGE, "input_correction_bits",
           NULL);
}

static const struct CMUnitTest signal_tests[] = {
    cmocka_unit_test(test_window),   cmocka_unit_test(test_rfft),
    cmocka_unit_test(test_energy),   cmocka_unit_test(test_filter_bank),
    cmocka_unit_test(test_spectral), cmocka_unit_test(test_pcan),
    cmocka_unit_test(test_log),
};

const struct CMUnitTest *robust_signal_tests(size_t *n)
{
    *n = sizeof signal_tests / sizeof signal_tests[0];
    return signal_tests;
}
