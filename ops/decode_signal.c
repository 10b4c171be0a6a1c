/* ops/decode_signal.c - the options of TFLite Micro's signal operators (audio family).
 *
 * Owns: which FlexBuffer keys each Signal* custom operator reads (the keys TFLite Micro's
 * signal/micro/kernels read by their sorted position, read here by name) and that each is
 * present and an integer (a boolean for clamping). Ranges are the operators' prepare
 * (backends/cpu/op_signal.c). Does not own the FlexBuffer format (ops/flexbuf.c). */
#include <string.h>

#include "decode.h"
#include "flexbuf.h"
#include "seterr.h"

typedef struct signal_key {
    const char *key;
    size_t at; /* offset of the int32 field in edge_signal_options */
} signal_key;

#define SIGNAL_KEY(name)                           \
    {                                              \
#name, offsetof(edge_signal_options, name) \
    }

typedef struct signal_keys {
    const char *op;
    signal_key keys[9];
} signal_keys;

static const signal_keys signal_table[] = {
    {"SignalWindow", {SIGNAL_KEY(shift)}},
    {"SignalRfft", {{"T", offsetof(edge_signal_options, type)}, SIGNAL_KEY(fft_length)}},
    {"SignalIrfft", {{"T", offsetof(edge_signal_options, type)}, SIGNAL_KEY(fft_length)}},
    {"SignalEnergy", {SIGNAL_KEY(start_index), SIGNAL_KEY(end_index)}},
    {"SignalFilterBank", {SIGNAL_KEY(num_channels)}},
    {"SignalFilterBankSpectralSubtraction",
     {SIGNAL_KEY(num_channels), SIGNAL_KEY(smoothing), SIGNAL_KEY(one_minus_smoothing),
      SIGNAL_KEY(alternate_smoothing), SIGNAL_KEY(alternate_one_minus_smoothing),
      SIGNAL_KEY(min_signal_remaining), SIGNAL_KEY(smoothing_bits),
      SIGNAL_KEY(spectral_subtraction_bits)}},
    {"SignalPCAN", {SIGNAL_KEY(snr_shift)}},
    {"SignalFilterBankLog", {SIGNAL_KEY(input_correction_bits), SIGNAL_KEY(output_scale)}},
};

static int signal_int(const edge_flex_map *m, const char *op, const signal_key *k,
                      edge_signal_options *out, edge_error *err)
{
    bool present = false;
    int32_t v = 0;
    int rc = edge_flex_int32(m, k->key, &present, &v, err);
    if (rc)
        return rc;
    if (!present)
        return edge__seterr(err, EDGE_EFORMAT, "%s: option '%s' is missing", op, k->key);
    memcpy((char *)out + k->at, &v, sizeof v);
    return 0;
}

int edge_signal_decode(const char *name, const uint8_t *opt, size_t len, edge_signal_options *out,
                       edge_error *err)
{
    memset(out, 0, sizeof *out);
    const signal_keys *s = NULL;
    for (size_t i = 0; i < sizeof signal_table / sizeof signal_table[0] && !s; i++)
        if (!strcmp(signal_table[i].op, name))
            s = &signal_table[i];
    if (!s)
        return 0;
    edge_flex_map m;
    int rc = edge_flex_root_map(opt, len, &m, err);
    for (size_t i = 0; i < sizeof s->keys / sizeof s->keys[0] && s->keys[i].key && !rc; i++)
        rc = signal_int(&m, name, &s->keys[i], out, err);
    if (rc || strcmp(name, "SignalFilterBankSpectralSubtraction"))
        return rc;
    bool present = false;
    rc = edge_flex_bool(&m, "clamping", &present, &out->clamping, err);
    if (!rc && !present)
        rc = edge__seterr(err, EDGE_EFORMAT, "%s: option 'clamping' is missing", name);
    return rc;
}
