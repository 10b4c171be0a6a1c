/* backends/cpu/op_signal.c - TFLite Micro's signal operators on the CPU (audio family, custom).
 *
 * Owns: prepare and eval of SignalWindow, SignalFftAutoScale, SignalRfft and SignalIrfft (int16),
 * SignalEnergy, SignalFilterBank, SignalFilterBankSquareRoot,
 * SignalFilterBankSpectralSubtraction, SignalPCAN and SignalFilterBankLog: the types and
 * shapes TFLite Micro's kernels require, and every count, index and shift their arithmetic
 * relies on (TFLite Micro trusts its file; we do not): the window dividing the input, the
 * energy range inside the spectrum, every filter-bank channel inside the spectrum and the
 * weights, shifts inside their types, the PCAN table long enough for any noise value.
 * SpectralSubtraction's noise estimate (output 1) is its state: TFLite Micro keeps it in the
 * operator between invokes and resets it to zero; here that output becomes a variable tensor,
 * so it lives in each interpreter's variable block and edge_interp_reset_state zeroes it.
 * Does not own the arithmetic (kernels/ref/signal.c, signal_fft.c) or the options' decoding
 * (ops/decode_signal.c). */
#include <string.h>

#include "cpu_op.h"
#include "ref/signal.h"

enum { TFLITE_INT16 = 7 }; /* TensorType value of SignalRfft's T */

/* A tensor of TYPE and rank 1 (ROLE for messages). */
static int rank1(edge_prep *p, const edge_tensor *t, const char *role, edge_dtype type)
{
    int rc = edge_op_check_type(p, t, role, type);
    return rc ? rc : edge_op_check_rank(p, t, role, 1);
}

/* A tensor of TYPE and COUNT elements in one dimension. */
static int vector_of(edge_prep *p, const edge_tensor *t, const char *role, edge_dtype type,
                     size_t count)
{
    int rc = rank1(p, t, role, type);
    if (rc)
        return rc;
    if (t->count != count)
        return edge_op_fail(p, EDGE_ESHAPE, "%s (tensor %d) has %zu elements, expected %zu", role,
                            edge_op_tensor_index(p, t), t->count, count);
    return 0;
}

/* SignalFftAutoScale and SignalFilterBankSquareRoot after their edge_op_check_io: input 0 a
 * vector of IN_TYPE, output 0 one of OUT_TYPE and as many elements, BITS the int32 scalar scale
 * bits (an output of the first, an input of the second); keeps the element count. */
static int count_map(edge_prep *p, edge_node *n, edge_dtype in_type, edge_dtype out_type,
                     const edge_tensor *bits)
{
    const edge_tensor *in = edge_op_input(p, n, 0);
    int rc;
    if ((rc = rank1(p, in, "input", in_type)) ||
        (rc = vector_of(p, edge_op_output(p, n, 0), "output", out_type, in->count)) ||
        (rc = edge_op_check_type(p, bits, "scale bits", EDGE_INT32)) ||
        (rc = edge_op_check_dims(p, bits, "scale bits", 0, NULL)))
        return rc;
    return edge_op_keep(p, n, &in->count, sizeof in->count);
}

/* An option V within [LO, HI]. */
static int in_range(edge_prep *p, const char *key, int64_t v, int64_t lo, int64_t hi)
{
    if (v < lo || v > hi)
        return edge_op_fail(p, EDGE_ERANGE, "option %s is %lld; it must be in [%lld, %lld]", key,
                            (long long)v, (long long)lo, (long long)hi);
    return 0;
}

/* ---- SignalWindow ---- */

typedef struct window_data {
    size_t count, w_count;
    int32_t shift;
} window_data;

static int window_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io_same(p, n, 2, 2, EDGE_DTYPE_BIT(EDGE_INT16), &in, &out);
    const edge_tensor *w = rc ? NULL : edge_op_input(p, n, 1);
    if (rc || (rc = rank1(p, w, "weights", EDGE_INT16)) ||
        (rc = edge_op_check_same_shape(p, in, "input", out, "output")) ||
        (rc = in_range(p, "shift", n->params.signal.shift, 0, 31)))
        return rc;
    if (in->rank < 1 || w->count == 0 || in->count % w->count)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "the input's %zu samples are not a whole number of %zu-sample windows",
                            in->count, w->count);
    const window_data d = {in->count, w->count, n->params.signal.shift};
    return edge_op_keep(p, n, &d, sizeof d);
}

static void window_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    const window_data *d = n->data;
    edge_ref_signal_window(t[n->in[0]], d->count, t[n->in[1]], d->w_count, d->shift, t[n->out[0]]);
}

/* ---- SignalFftAutoScale ---- */

static int auto_scale_prepare(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 1, 1, 2);
    return rc ? rc : count_map(p, n, EDGE_INT16, EDGE_INT16, edge_op_output(p, n, 1));
}

static void auto_scale_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    const size_t *count = n->data;
    *(int32_t *)t[n->out[1]] = edge_ref_fft_auto_scale(t[n->in[0]], *count, t[n->out[0]]);
}

/* ---- SignalRfft (int16) ---- */

typedef struct rfft_data {
    int32_t fft, in_len;
    size_t frames;
    int16_t tables[];
} rfft_data;

static int rfft_shapes(edge_prep *p, const edge_tensor *in, const edge_tensor *out, int32_t fft)
{
    int32_t dims[EDGE_MAX_DIMS];
    if (in->rank < 1)
        return edge_op_fail(p, EDGE_ESHAPE, "input is a scalar; SignalRfft needs frames");
    if (in->dims[in->rank - 1] > fft)
        return edge_op_fail(p, EDGE_ESHAPE, "frames of %d samples are longer than fft_length %d",
                            (int)in->dims[in->rank - 1], (int)fft);
    memcpy(dims, in->dims, (size_t)in->rank * sizeof *dims);
    dims[in->rank - 1] = fft + 2; /* fft / 2 + 1 complex values */
    return edge_op_check_dims(p, out, "output", in->rank, dims);
}

/* SignalRfft's or SignalIrfft's (NAME) int16 tensors, T and fft_length (a power of two). */
static int fft_options(edge_prep *p, const edge_node *n, const char *name, const edge_tensor **in,
                       const edge_tensor **out)
{
    const edge_signal_options *o = &n->params.signal;
    int rc = edge_op_io_same(p, n, 1, 1, EDGE_DTYPE_BIT(EDGE_INT16), in, out);
    if (rc)
        return rc;
    if (o->type != TFLITE_INT16)
        return edge_op_fail(p, EDGE_EUNSUPPORTED, "%s of type %d: only int16 (7) is supported",
                            name, (int)o->type);
    const int32_t fft = o->fft_length;
    if (fft < 4 || fft > EDGE_SIGNAL_FFT_MAX || (fft & (fft - 1)))
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "fft_length %d: a power of two in [4, %d] is supported", (int)fft,
                            EDGE_SIGNAL_FFT_MAX);
    return 0;
}

static int rfft_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    const int32_t fft = n->params.signal.fft_length;
    int rc = fft_options(p, n, "SignalRfft", &in, &out);
    if (rc || (rc = rfft_shapes(p, in, out, fft)))
        return rc;
    const size_t tables = edge_ref_rfft_s16_table_count(fft);
    rfft_data *d = edge_op_alloc(p, n, sizeof *d + tables * sizeof(int16_t));
    if (!d)
        return EDGE_ENOMEM;
    d->fft = fft;
    d->in_len = in->dims[in->rank - 1];
    d->frames = d->in_len ? in->count / (size_t)d->in_len : 0;
    edge_ref_rfft_s16_tables(fft, d->tables);
    n->scratch_bytes = 2 * (size_t)fft * sizeof(int16_t); /* the padded frame, the work */
    return 0;
}

static void rfft_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    const rfft_data *d = n->data;
    int16_t *frame = scratch, *work = frame + d->fft;
    const int16_t *in = t[n->in[0]];
    int16_t *out = t[n->out[0]];
    for (size_t f = 0; f < d->frames; f++) {
        memcpy(frame, in + f * (size_t)d->in_len, (size_t)d->in_len * sizeof *frame);
        memset(frame + d->in_len, 0, (size_t)(d->fft - d->in_len) * sizeof *frame);
        edge_ref_rfft_s16(d->fft, d->tables, frame, out + f * (size_t)(d->fft + 2), work);
    }
}

/* ---- SignalIrfft (int16) ----
 * TFLite Micro takes the frame lengths from the shapes without checking them against
 * fft_length; here frames of fft_length / 2 + 1 complex values in, of fft_length samples out,
 * the outer dimensions equal. */

typedef struct irfft_data {
    int32_t fft;
    size_t frames;
    int16_t tables[];
} irfft_data;

static int irfft_shapes(edge_prep *p, const edge_tensor *in, const edge_tensor *out, int32_t fft)
{
    int32_t dims[EDGE_MAX_DIMS];
    if (in->rank < 1)
        return edge_op_fail(p, EDGE_ESHAPE, "input is a scalar; SignalIrfft needs frames");
    if (in->dims[in->rank - 1] != fft + 2)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "frames of %d int16 values: fft_length %d takes %d (%d complex "
                            "values)",
                            (int)in->dims[in->rank - 1], (int)fft, (int)fft + 2, (int)fft / 2 + 1);
    memcpy(dims, in->dims, (size_t)in->rank * sizeof *dims);
    dims[in->rank - 1] = fft;
    return edge_op_check_dims(p, out, "output", in->rank, dims);
}

static int irfft_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    const int32_t fft = n->params.signal.fft_length;
    int rc = fft_options(p, n, "SignalIrfft", &in, &out);
    if (rc || (rc = irfft_shapes(p, in, out, fft)))
        return rc;
    const size_t tables = edge_ref_rfft_s16_table_count(fft);
    irfft_data *d = edge_op_alloc(p, n, sizeof *d + tables * sizeof(int16_t));
    if (!d)
        return EDGE_ENOMEM;
    d->fft = fft;
    d->frames = in->count / (size_t)(fft + 2);
    edge_ref_irfft_s16_tables(fft, d->tables);
    n->scratch_bytes = (size_t)fft * sizeof(int16_t); /* the recombined half spectrum */
    return 0;
}

static void irfft_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    const irfft_data *d = n->data;
    const int16_t *in = t[n->in[0]];
    int16_t *out = t[n->out[0]];
    for (size_t f = 0; f < d->frames; f++)
        edge_ref_irfft_s16(d->fft, d->tables, in + f * (size_t)(d->fft + 2),
                           out + f * (size_t)d->fft, scratch);
}

/* ---- SignalEnergy ---- */

typedef struct energy_data {
    int32_t start, end;
    size_t count;
} energy_data;

static int energy_prepare(edge_prep *p, edge_node *n)
{
    const edge_signal_options *o = &n->params.signal;
    int rc = edge_op_check_io(p, n, 1, 1, 1);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *out = edge_op_output(p, n, 0);
    if ((rc = rank1(p, in, "input", EDGE_INT16)) || (rc = rank1(p, out, "output", EDGE_UINT32)))
        return rc;
    const int64_t bins = (int64_t)(in->count / 2 < out->count ? in->count / 2 : out->count);
    if ((rc = in_range(p, "end_index", o->end_index, 0, bins)) ||
        (rc = in_range(p, "start_index", o->start_index, 0, o->end_index)))
        return rc;
    const energy_data d = {o->start_index, o->end_index, out->count};
    return edge_op_keep(p, n, &d, sizeof d);
}

static void energy_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    const energy_data *d = n->data;
    edge_ref_signal_energy(t[n->in[0]], d->start, d->end, d->count, t[n->out[0]]);
}

/* ---- SignalFilterBank ---- */

enum { FB_IN, FB_WEIGHTS, FB_UNWEIGHTS, FB_FREQ_STARTS, FB_WEIGHT_STARTS, FB_WIDTHS };

/* The five constant int16 tables into FB (pointers into the file's constants). */
static int filter_bank_tables(edge_prep *p, const edge_node *n, edge_filter_bank *fb)
{
    static const char *const roles[] = {NULL,
                                        "weights",
                                        "unweights",
                                        "channel frequency starts",
                                        "channel weight starts",
                                        "channel widths"};
    const int16_t **dst[] = {
        NULL, &fb->weights, &fb->unweights, &fb->freq_starts, &fb->weight_starts, &fb->widths};
    for (int i = FB_WEIGHTS; i <= FB_WIDTHS; i++) {
        const edge_tensor *t = edge_op_input(p, n, i);
        int rc = edge_op_check_const(p, t, roles[i], EDGE_INT16);
        if (rc || (rc = edge_op_check_rank(p, t, roles[i], 1)))
            return rc;
        if (i >= FB_FREQ_STARTS && t->count < (size_t)fb->channels + 1)
            return edge_op_fail(p, EDGE_ESHAPE, "%s has %zu values; %d channels need %d", roles[i],
                                t->count, (int)fb->channels, (int)fb->channels + 1);
        *dst[i] = t->data;
    }
    return 0;
}

/* Every channel reads inside the spectrum (BINS) and the weights (WEIGHTS values). */
static int filter_bank_bounds(edge_prep *p, const edge_filter_bank *fb, size_t bins, size_t weights)
{
    for (int32_t c = 0; c <= fb->channels; c++) {
        const int32_t f = fb->freq_starts[c], w = fb->weight_starts[c], width = fb->widths[c];
        if (f < 0 || w < 0 || width < 0 || (size_t)f + (size_t)width > bins ||
            (size_t)w + (size_t)width > weights)
            return edge_op_fail(p, EDGE_ERANGE,
                                "filter-bank channel %d (frequency start %d, weight start %d, "
                                "width %d) reads outside the %zu-bin spectrum or the %zu weights",
                                (int)c, (int)f, (int)w, (int)width, bins, weights);
    }
    return 0;
}

static int filter_bank_prepare(edge_prep *p, edge_node *n)
{
    const int32_t channels = n->params.signal.num_channels;
    int rc = edge_op_check_io(p, n, 6, 6, 1);
    if (rc || (rc = in_range(p, "num_channels", channels, 1, INT16_MAX)))
        return rc;
    const edge_tensor *in = edge_op_input(p, n, FB_IN), *out = edge_op_output(p, n, 0);
    edge_filter_bank *fb = edge_op_alloc(p, n, sizeof *fb);
    if (!fb)
        return EDGE_ENOMEM;
    fb->channels = channels;
    if ((rc = rank1(p, in, "input", EDGE_UINT32)) ||
        (rc = vector_of(p, out, "output", EDGE_UINT64, (size_t)channels)) ||
        (rc = filter_bank_tables(p, n, fb)))
        return rc;
    const size_t weights = edge_op_input(p, n, FB_WEIGHTS)->count;
    if (edge_op_input(p, n, FB_UNWEIGHTS)->count != weights)
        return edge_op_fail(p, EDGE_ESHAPE, "unweights have %zu values, weights %zu",
                            edge_op_input(p, n, FB_UNWEIGHTS)->count, weights);
    return filter_bank_bounds(p, fb, in->count, weights);
}

static void filter_bank_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    edge_ref_filter_bank(n->data, t[n->in[FB_IN]], t[n->out[0]]);
}

/* ---- SignalFilterBankSquareRoot ---- */

static int sqrt_prepare(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 2, 2, 1);
    return rc ? rc : count_map(p, n, EDGE_UINT64, EDGE_UINT32, edge_op_input(p, n, 1));
}

static void sqrt_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    const size_t *count = n->data;
    edge_ref_filter_bank_sqrt(t[n->in[0]], *count, *(const int32_t *)t[n->in[1]], t[n->out[0]]);
}

/* ---- SignalFilterBankSpectralSubtraction ---- */

typedef struct spectral_data {
    edge_spectral_sub k;
    size_t count;
} spectral_data;

/* Output 1, the noise estimate, becomes the operator's state (see the file comment). */
static int spectral_state(edge_prep *p, const edge_node *n)
{
    edge_tensor *noise = edge_op_output(p, n, 1);
    if (noise->data || noise->is_input || n->out[1] == n->in[0] || n->out[1] == n->out[0])
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "the noise estimate (tensor %d) must be an output of its own: it "
                            "holds the operator's state",
                            edge_op_tensor_index(p, noise));
    noise->variable = true;
    return 0;
}

static int spectral_options(edge_prep *p, const edge_signal_options *o, spectral_data *d)
{
    int rc;
    if ((rc = in_range(p, "smoothing_bits", o->smoothing_bits, 0, 31)) ||
        (rc = in_range(p, "spectral_subtraction_bits", o->spectral_subtraction_bits, 0, 63)))
        return rc;
    d->k = (edge_spectral_sub){
        .smoothing = (uint32_t)o->smoothing,
        .one_minus_smoothing = (uint32_t)o->one_minus_smoothing,
        .alternate_smoothing = (uint32_t)o->alternate_smoothing,
        .alternate_one_minus_smoothing = (uint32_t)o->alternate_one_minus_smoothing,
        .min_signal_remaining = (uint32_t)o->min_signal_remaining,
        .smoothing_bits = (uint32_t)o->smoothing_bits,
        .spectral_subtraction_bits = (uint32_t)o->spectral_subtraction_bits,
        .clamping = o->clamping,
    };
    return 0;
}

static int spectral_prepare(edge_prep *p, edge_node *n)
{
    const edge_signal_options *o = &n->params.signal;
    int rc = edge_op_check_io(p, n, 1, 1, 2);
    if (rc || (rc = in_range(p, "num_channels", o->num_channels, 0, INT32_MAX)))
        return rc;
    const size_t count = (size_t)o->num_channels;
    if ((rc = vector_of(p, edge_op_input(p, n, 0), "input", EDGE_UINT32, count)) ||
        (rc = vector_of(p, edge_op_output(p, n, 0), "output", EDGE_UINT32, count)) ||
        (rc = vector_of(p, edge_op_output(p, n, 1), "noise estimate", EDGE_UINT32, count)))
        return rc;
    spectral_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->count = count;
    if ((rc = spectral_options(p, o, d)))
        return rc;
    return spectral_state(p, n);
}

static void spectral_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    const spectral_data *d = n->data;
    edge_ref_spectral_subtraction(&d->k, t[n->in[0]], d->count, t[n->out[0]], t[n->out[1]]);
}

/* ---- SignalPCAN ---- */

typedef struct pcan_data {
    int32_t snr_shift;
    size_t count;
} pcan_data;

static int pcan_prepare(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 3, 3, 1);
    if (rc || (rc = in_range(p, "snr_shift", n->params.signal.snr_shift, 0, 63)))
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *lut = edge_op_input(p, n, 2);
    if ((rc = rank1(p, in, "input", EDGE_UINT32)) ||
        (rc = vector_of(p, edge_op_input(p, n, 1), "noise estimate", EDGE_UINT32, in->count)) ||
        (rc = rank1(p, lut, "gain table", EDGE_INT16)) ||
        (rc = vector_of(p, edge_op_output(p, n, 0), "output", EDGE_UINT32, in->count)))
        return rc;
    if (lut->count < EDGE_PCAN_LUT_MIN)
        return edge_op_fail(p, EDGE_ESHAPE, "gain table has %zu values; SignalPCAN reads up to %d",
                            lut->count, EDGE_PCAN_LUT_MIN);
    const pcan_data d = {n->params.signal.snr_shift, in->count};
    return edge_op_keep(p, n, &d, sizeof d);
}

static void pcan_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    const pcan_data *d = n->data;
    edge_ref_pcan(t[n->in[2]], d->snr_shift, t[n->in[1]], t[n->in[0]], d->count, t[n->out[0]]);
}

/* ---- SignalFilterBankLog ---- */

typedef struct log_data {
    int32_t correction_bits, output_scale;
    size_t count;
    uint16_t lut[EDGE_SIGNAL_LOG_LUT];
} log_data;

static int log_prepare(edge_prep *p, edge_node *n)
{
    const edge_signal_options *o = &n->params.signal;
    int rc = edge_op_check_io(p, n, 1, 1, 1);
    if (rc || (rc = in_range(p, "input_correction_bits", o->input_correction_bits, 0, 31)))
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0);
    if ((rc = rank1(p, in, "input", EDGE_UINT32)) ||
        (rc = vector_of(p, edge_op_output(p, n, 0), "output", EDGE_INT16, in->count)))
        return rc;
    log_data d = {o->input_correction_bits, o->output_scale, in->count, {0}};
    edge_signal_log_lut(d.lut);
    return edge_op_keep(p, n, &d, sizeof d);
}

static void log_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    const log_data *d = n->data;
    edge_ref_filter_bank_log(d->lut, t[n->in[0]], d->count, d->output_scale, d->correction_bits,
                             t[n->out[0]]);
}

#define SIGNAL_OP(NAME, PREP, EVAL)  \
    const edge_op edge_op_##NAME = { \
        .code = EDGE_OP_CUSTOM, .max_version = EDGE_OPVER_##NAME, .prepare = PREP, .eval = EVAL};

SIGNAL_OP(SIGNAL_WINDOW, window_prepare, window_eval)
SIGNAL_OP(SIGNAL_FFT_AUTO_SCALE, auto_scale_prepare, auto_scale_eval)
SIGNAL_OP(SIGNAL_RFFT, rfft_prepare, rfft_eval)
SIGNAL_OP(SIGNAL_IRFFT, irfft_prepare, irfft_eval)
SIGNAL_OP(SIGNAL_ENERGY, energy_prepare, energy_eval)
SIGNAL_OP(SIGNAL_FILTER_BANK, filter_bank_prepare, filter_bank_eval)
SIGNAL_OP(SIGNAL_FILTER_BANK_SQRT, sqrt_prepare, sqrt_eval)
SIGNAL_OP(SIGNAL_SPECTRAL_SUBTRACTION, spectral_prepare, spectral_eval)
SIGNAL_OP(SIGNAL_PCAN, pcan_prepare, pcan_eval)
SIGNAL_OP(SIGNAL_FILTER_BANK_LOG, log_prepare, log_eval)
