/* tools/edge-invoke.c - a model invoked N times on a fixed input, for counting what an inference
 * costs outside edged: retired instructions under an instruction-counting qemu plugin
 * (docs/arm-kernels.md), callgrind, perf stat.
 *
 * Owns: nothing but the loop: libedge opens MODEL (one thread, kernel level --kernels LEVEL or
 * EDGE_ISA's), fills every input with the same pattern (byte i is i * 7 + 3), invokes N times and
 * prints the first output's bytes summed (so that the work cannot be dropped, and two levels can
 * be checked for the same answer). An inference's cost is the difference between two counts
 * (N1 and N2 invokes) over N2 - N1: what opening the model and the first invoke cost cancels.
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
    for (size_t i = 0; i < edge_model_input_count(m); i++) {
        size_t bytes = 0;
        uint8_t *in = edge_interp_input(it, i, &bytes);
        for (size_t b = 0; in && b < bytes; b++)
            in[b] = (uint8_t)(b * 7 + 3);
    }
    int rc = 0;
    for (unsigned long k = 0; k < n && !rc; k++)
        if (edge_interp_invoke(it)) {
            fprintf(stderr, "edge-invoke: %s: invoke %lu: %s\n", argv[1], k, edge_interp_error(it));
            rc = 1;
        }
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
