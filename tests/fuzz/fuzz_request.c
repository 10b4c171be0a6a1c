/* tests/fuzz/fuzz_request.c - libFuzzer harness for the inference request parser.
 *
 * Owns: one fuzz target over what a client sends as an inference request, over
 * HTTP (a body) or MQTT (a payload): the first input byte picks the form (JSON;
 * JSON header plus binary tensor data, the second byte being the header's
 * length; raw tensor bytes), the rest is the body, parsed against
 * hello_world_int8 ($EDGE_FUZZ_MODEL, default ../shared/models/...). A request
 * that parses is encoded back as the response would be. Built with clang only
 * (tests/meson.build); tests/fuzz/run-fuzz.sh runs it seeded with
 * tests/fuzz/requests/. Does not own the MQTT topics and properties (the
 * integration test sends hostile ones through a live daemon). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static edge_model *model;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *path = getenv("EDGE_FUZZ_MODEL");
    if (!path)
        path = "../shared/models/hello_world_int8/model.tflite";
    edge_error err;
    if (edge_model_open(path, NULL, &model, &err)) {
        fprintf(stderr, "fuzz_request: %s (set EDGE_FUZZ_MODEL)\n", err.message);
        exit(2);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const int form = data[0] % 3;
    const int64_t header_len = form == 1 ? data[1] : -1;
    const size_t skip = form == 1 ? 2 : 1;
    const size_t len = size - skip;
    uint8_t *body = malloc(len + 1); /* as the daemon holds it: the bytes and a NUL */
    memcpy(body, data + skip, len);
    body[len] = 0;
    dm_infer *inf = NULL;
    char err[512];
    const int st = form == 2
                       ? dm_codec_raw_infer(model, body, len, &inf, err, sizeof err)
                       : dm_codec_parse_infer(model, body, len, header_len, &inf, err, sizeof err);
    if (st != 200) {
        if (!err[0])
            __builtin_trap(); /* every refusal says why */
        free(body);
        return 0;
    }
    uint8_t **out = calloc(inf->n_out + 1, sizeof *out);
    for (size_t i = 0; out && i < inf->n_out; i++) { /* outputs as a worker leaves them */
        edge_tensor_info t;
        if (edge_model_output_info(model, i, &t) == 0 && (out[i] = malloc(t.bytes + 1)))
            memset(out[i], 0x5a, t.bytes);
        if (!out[i])
            __builtin_trap();
    }
    dm_http_response r = {.header_len = -1};
    if (!out || dm_codec_encode_infer(inf, out, "hello", 1, NULL, &r) != 0)
        __builtin_trap(); /* the encoder's bound is wrong */
    free(r.body);
    for (size_t i = 0; i < inf->n_out; i++)
        free(out[i]);
    free(out);
    dm_infer_free(inf); /* frees BODY */
    return 0;
}
