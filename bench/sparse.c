/* bench/sparse.c - bench-sparse: int8 or float32 FULLY_CONNECTED and 1x1 CONV_2D with pruned
 * weights on the sparse kernels (kernels/sparse.h, sparse_f32.h) against the dense kernels (for
 * float32: OpenBLAS's GEMM), in the same run.
 *
 * Owns: the layers of real sizes (FC 1024->1000 and 1280->1001 at batch 1, FC 2048->2048,
 * MobileNet's 1x1 convolutions 28x28x128->128, 14x14x256->256, 7x7x512->512), pruned at 50,
 * 70, 80 and 90% in each pattern (unstructured, 1x4, 1x16; tools/prune_model.h, weights
 * stored dense with their zeros), each opened twice at the same level on one thread: with the
 * sparse kernel forced (EDGE_SPARSE=1) and with the dense one (EDGE_SPARSE=0, the anchor).
 * Prints the dense and sparse figures (the minimum over the timed invokes: the machine is
 * shared) and the ratio dense / sparse.
 * Usage: bench-sparse [--kernels LEVEL] [--time SECONDS] [--layer SUBSTRING]
 *                     [--type int8|float32] [--batch N] (the FULLY_CONNECTED layers' rows) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "edge/runtime.h"
#include "prune_model.h"

typedef struct layer {
    const char *name;
    bool conv;
    int32_t hw, k, n;
} layer;

static const layer layers[] = {
    {"fc 1024->1000", false, 0, 1024, 1000},        {"fc 1280->1001", false, 0, 1280, 1001},
    {"fc 2048->2048", false, 0, 2048, 2048},        {"conv1x1 28x28x128->128", true, 28, 128, 128},
    {"conv1x1 14x14x256->256", true, 14, 256, 256}, {"conv1x1 7x7x512->512", true, 7, 512, 512},
};

static edge_isa level = EDGE_ISA_AUTO; /* --kernels */
static bool f32;                       /* --type float32 */

/* The minimum microseconds of model BUF with EDGE_SPARSE=MODE; its kernel into KERNEL. */
static double time_model(const uint8_t *buf, size_t size, const char *mode, double secs,
                         char *kernel, size_t len)
{
    setenv("EDGE_SPARSE", mode, 1);
    edge_model_options o = {.threads = 1, .isa = level};
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    if (edge_model_open_buffer(buf, size, &o, &m, &err) || edge_interp_new(m, &it, &err)) {
        fprintf(stderr, "bench-sparse: %s\n", err.message);
        exit(1);
    }
    const char *k = strchr(edge_model_kernels(m), ' ');
    snprintf(kernel, len, "%s", k ? k + 1 : "?");
    size_t n = 0;
    void *in = edge_interp_input(it, 0, &n); /* bytes */
    for (size_t i = 0; i < (f32 ? n / sizeof(float) : n); i++)
        if (f32)
            ((float *)in)[i] = (float)((int)(i * 37 + 11) % 255 - 127) / 64.0f;
        else
            ((int8_t *)in)[i] = (int8_t)(i * 37 + 11);
    bench_times t = {0};
    if (bench_time_invokes(it, secs, 20, &t)) {
        fprintf(stderr, "bench-sparse: invoke failed\n");
        exit(1);
    }
    edge_interp_free(it);
    edge_model_unref(m);
    return t.min_us;
}

int main(int argc, char **argv)
{
    edge_isa isa = EDGE_ISA_AUTO;
    if (bench_kernels_arg(&argc, argv, &isa))
        return 2;
    level = isa;
    double secs = 0.3;
    const char *only = NULL;
    int32_t batch = 1; /* --batch: the FULLY_CONNECTED layers' rows */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--time") && i + 1 < argc)
            secs = atof(argv[++i]);
        else if (!strcmp(argv[i], "--layer") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc && atoi(argv[i + 1]) >= 1 &&
                 atoi(argv[i + 1]) <= 256)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--type") && i + 1 < argc &&
                 (!strcmp(argv[i + 1], "int8") || !strcmp(argv[i + 1], "float32")))
            f32 = !strcmp(argv[++i], "float32");
        else {
            fprintf(stderr, "usage: bench-sparse [--kernels LEVEL] [--time SECONDS] "
                            "[--layer SUBSTRING] [--type int8|float32] [--batch N]\n");
            return 2;
        }
    }
    bench_kernels_print("libedge");
    printf("# %s weights and activations, 1 thread; figures are the minimum over the timed "
           "invokes (%.1f s each); anchor: the dense kernel, same model, same run (EDGE_SPARSE=0); "
           "FULLY_CONNECTED at batch %d\n",
           f32 ? "float32" : "int8", secs, (int)batch);
    printf("%-24s %-5s %5s %10s %10s %7s  %s\n", "layer", "mask", "zero", "dense_us", "sparse_us",
           "ratio", "kernels (dense / sparse)");
    static const double sp[] = {0.5, 0.7, 0.8, 0.9};
    for (size_t l = 0; l < sizeof layers / sizeof *layers; l++) {
        const layer *y = &layers[l];
        if (only && !strstr(y->name, only))
            continue;
        for (int p = 0; p < 3; p++)
            for (size_t s = 0; s < sizeof sp / sizeof *sp; s++) {
                edge_prune_spec ps = {.conv = y->conv,
                                      .batch = y->conv ? 1 : batch,
                                      .h = y->hw,
                                      .w = y->hw,
                                      .k = y->k,
                                      .n = y->n,
                                      .sparsity = sp[s],
                                      .pattern = (edge_prune_pattern)p,
                                      .f32 = f32,
                                      .seed = 42 + l};
                uint8_t *buf = NULL;
                size_t size = 0;
                char err[160], kd[96], ks[96];
                if (edge_prune_model(&ps, &buf, &size, err, sizeof err)) {
                    fprintf(stderr, "bench-sparse: %s\n", err);
                    return 1;
                }
                const double dense = time_model(buf, size, "0", secs, kd, sizeof kd);
                const double sparse = time_model(buf, size, "1", secs, ks, sizeof ks);
                printf("%-24s %-5s %4.0f%% %10.1f %10.1f %6.2fx  %s / %s\n", y->name,
                       edge_prune_pattern_name(ps.pattern), 100 * sp[s], dense, sparse,
                       dense / sparse, kd, ks);
                fflush(stdout);
                free(buf);
            }
    }
    return 0;
}
