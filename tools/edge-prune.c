/* tools/edge-prune.c - write a pruned int8 or float32 FULLY_CONNECTED or 1x1 CONV_2D model
 * (tools/prune_model.h): for trying the sparse kernels (`edgectl run --profile` names the
 * kernel each node runs) and for the tests' and benchmark's layers by hand.
 * Usage: edge-prune --op fc|conv --k K --n N [--batch B] [--hw H W] [--sparsity S]
 *                   [--pattern 1x1|1x4|1x16] [--stored dense|sparse] [--type int8|float32]
 *                   [--relu] [--seed X] -o OUT.tflite */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prune_model.h"
#include "tflite_writer.h"

static int usage(void)
{
    fprintf(stderr, "usage: edge-prune --op fc|conv --k K --n N [--batch B] [--hw H W] "
                    "[--sparsity S] [--pattern 1x1|1x4|1x16] [--stored dense|sparse] "
                    "[--type int8|float32] [--relu] [--seed X] -o OUT.tflite\n");
    return 2;
}

int main(int argc, char **argv)
{
    edge_prune_spec s = {.batch = 1, .h = 1, .w = 1, .sparsity = 0.9, .seed = 1};
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--relu")) {
            s.relu = true;
            continue;
        }
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--op") && (!strcmp(v, "fc") || !strcmp(v, "conv")))
            s.conv = !strcmp(v, "conv");
        else if (!strcmp(a, "--k"))
            s.k = atoi(v);
        else if (!strcmp(a, "--n"))
            s.n = atoi(v);
        else if (!strcmp(a, "--batch"))
            s.batch = atoi(v);
        else if (!strcmp(a, "--hw") && i + 1 < argc) {
            s.h = atoi(v);
            s.w = atoi(argv[++i]);
        } else if (!strcmp(a, "--sparsity"))
            s.sparsity = atof(v);
        else if (!strcmp(a, "--pattern") && edge_prune_pattern_of(v) >= 0)
            s.pattern = (edge_prune_pattern)edge_prune_pattern_of(v);
        else if (!strcmp(a, "--stored") && (!strcmp(v, "dense") || !strcmp(v, "sparse")))
            s.stored_sparse = !strcmp(v, "sparse");
        else if (!strcmp(a, "--type") && (!strcmp(v, "int8") || !strcmp(v, "float32")))
            s.f32 = !strcmp(v, "float32");
        else if (!strcmp(a, "--seed"))
            s.seed = strtoull(v, NULL, 0) | 1;
        else if (!strcmp(a, "-o"))
            out = v;
        else
            return usage();
    }
    if (!out)
        return usage();
    uint8_t *buf = NULL;
    size_t size = 0;
    char err[200];
    if (edge_prune_model(&s, &buf, &size, err, sizeof err)) {
        fprintf(stderr, "edge-prune: %s\n", err);
        return 1;
    }
    const int rc = tfw_save(out, buf, size);
    free(buf);
    if (rc) {
        fprintf(stderr, "edge-prune: cannot write %s\n", out);
        return 1;
    }
    printf("%s: %s %s %d -> %d, %.0f%% of %s blocks zero, stored %s (%zu bytes)\n", out,
           s.f32 ? "float32" : "int8", s.conv ? "1x1 CONV_2D" : "FULLY_CONNECTED", (int)s.k,
           (int)s.n, 100 * s.sparsity, edge_prune_pattern_name(s.pattern),
           s.stored_sparse ? "sparse" : "dense", size);
    return 0;
}
