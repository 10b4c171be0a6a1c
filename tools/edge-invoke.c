/* tools/edge-invoke.c - a model invoked N times on a fixed input, for counting what an inference
 * costs outside edged: retired instructions under an instruction-counting qemu plugin
 * (docs/arm-kernels.md), callgrind, perf stat.
 *
 * Owns: nothing but the loop: libedge opens MODEL (one thread, kernel level --kernels LEVEL or
 * EDGE_ISA's), fills every input with the same pattern (byte i is i * 7 + 3) before each of
 * N invokes and prints the first output's bytes summed (so that the work cannot be dropped,
 * and two levels can be checked for the same answer: before round forty-three of issue 46 the
 * inputs were filled once, and invokes after the first ran on what the first left there).
 * An inference's cost is the difference between two counts (N1 and N2 invokes) over N2 - N1:
 * what opening the model and the first invoke cost cancels.
 * Engine-only: built in the cross builds too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/runtime.h"

static int usage(void)
{
    fprintf(stderr, "usage: edge-invoke MODEL.tflite N [--kernels LEVEL]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 5)
        return usage();
    char *end;
    const unsigned long n = strtoul(argv[2], &end, 10);
    if (*end || end == argv[2])
        return usage();
    edge_model_options o = {.threads = 1};
    edge_error err = {0};
    if (argc == 5) {
        if (strcmp(argv[3], "--kernels"))
            return usage();
        if (edge_isa_parse(argv[4], &o.isa, &err)) {
            fprintf(stderr, "edge-invoke: %s\n", err.message);
            return 2;
        }
    }
    edge_model *m = NULL;
    edge_interp *it = NULL;
    if (edge_model_open(argv[1], &o, &m, &err) || edge_interp_new(m, &it, &err)) {
        fprintf(stderr, "edge-invoke: %s: %s\n", argv[1], err.message);
        edge_model_unref(m);
        return 1;
    }
    /* the pattern, kept: an invoke leaves later activations in an input's bytes once nothing
     * reads it (edge_interp_input), so every invoke starts from a copy, as an application
     * writes its input every time (a memcpy: about 1/64 of an instruction a byte at aarch64) */
    const size_t n_in = edge_model_input_count(m);
    uint8_t **pattern = calloc(n_in ? n_in : 1, sizeof *pattern);
    int rc = pattern ? 0 : 1;
    for (size_t i = 0; i < n_in && !rc; i++) {
        size_t bytes = 0;
        edge_interp_input(it, i, &bytes);
        if (!(pattern[i] = malloc(bytes ? bytes : 1))) {
            rc = 1;
            break;
        }
        for (size_t b = 0; b < bytes; b++)
            pattern[i][b] = (uint8_t)(b * 7 + 3);
    }
    if (rc)
        fprintf(stderr, "edge-invoke: out of memory\n");
    for (unsigned long k = 0; k < n && !rc; k++) {
        for (size_t i = 0; i < n_in; i++) {
            size_t bytes = 0;
            uint8_t *in = edge_interp_input(it, i, &bytes);
            if (in)
                memcpy(in, pattern[i], bytes);
        }
        if (edge_interp_invoke(it)) {
            fprintf(stderr, "edge-invoke: %s: invoke %lu: %s\n", argv[1], k, edge_interp_error(it));
            rc = 1;
        }
    }
    for (size_t i = 0; pattern && i < n_in; i++)
        free(pattern[i]);
    free(pattern);
    uint64_t sum = 0;
    size_t bytes = 0;
    const uint8_t *out = n ? edge_interp_output(it, 0, &bytes) : NULL;
    for (size_t b = 0; out && b < bytes; b++)
        sum += out[b];
    if (!rc)
        printf("%s: %lu invokes at level %s, output 0 bytes summed %llu\n", argv[1], n,
               edge_isa_name(edge_model_isa(m)), (unsigned long long)sum);
    edge_interp_free(it);
    edge_model_unref(m);
    return rc;
}
