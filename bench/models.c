/* bench/models.c - median microseconds per inference of each shared model, one thread.
 *
 * Owns: the model benchmark harness: each model in ../shared/models (or the
 * files given) is opened once, warmed up, then invoked repeatedly in one
 * process on one thread; it prints the median and p90 microseconds per
 * inference and the arena bytes. With --anchor XNNBENCH it also runs the
 * anchor from ../shared/anchors (XNNPACK's MobileNetV1-0.25 96x96 chain, the
 * shape of person_detect and tiny_vww_mobilenet) in the same run and prints
 * the ratio, since absolute times drift on shared machines.
 * Usage: bench-models [--min-seconds S] [--anchor PATH] [MODEL_DIR_OR_FILE ...] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "edge/runtime.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Input 0 from DIR/input_0.bin when present, else a fixed pattern. */
static void fill_input(edge_interp *it, const char *dir)
{
    size_t n;
    unsigned char *in = edge_interp_input(it, 0, &n);
    char path[4096];
    snprintf(path, sizeof path, "%s/input_0.bin", dir);
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(in, 1, n, f) : 0;
    if (f)
        fclose(f);
    for (size_t i = got; i < n; i++)
        in[i] = (unsigned char)(i * 131 + 7);
}

static int bench_one(const char *name, const char *model, const char *dir, double min_s,
                     double *median_out)
{
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    if (edge_model_open(model, NULL, &m, &err) || edge_interp_new(m, &it, &err)) {
        printf("%-32s refused: %s\n", name, err.message);
        edge_model_unref(m);
        return 1;
    }
    fill_input(it, dir);
    for (int i = 0; i < 3; i++)
        edge_interp_invoke(it);
    enum { MAX_RUNS = 100000 };
    double *t = malloc(MAX_RUNS * sizeof *t);
    size_t runs = 0;
    const double start = now_us();
    while (runs < MAX_RUNS && (runs < 10 || now_us() - start < min_s * 1e6)) {
        const double t0 = now_us();
        edge_interp_invoke(it);
        t[runs++] = now_us() - t0;
    }
    qsort(t, runs, sizeof *t, cmp_double);
    const double med = t[runs / 2], p90 = t[runs * 9 / 10];
    printf("%-32s %12.1f %12.1f %8zu %12zu %12zu\n", name, med, p90, runs,
           edge_model_arena_bytes(m), edge_model_weight_bytes(m));
    *median_out = med;
    free(t);
    edge_interp_free(it);
    edge_model_unref(m);
    return 0;
}

/* Runs the XNNPACK anchor and returns its end-to-end chain time in us (0 if unavailable). */
static double run_anchor(const char *path)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "'%s' 2>&1", path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0.0;
    char line[512];
    double us = 0.0;
    while (fgets(line, sizeof line, p)) {
        const char *k = strstr(line, "end-to-end chain ");
        if (k)
            us = atof(k + strlen("end-to-end chain "));
    }
    pclose(p);
    return us;
}

int main(int argc, char **argv)
{
    double min_s = 2.0;
    const char *anchor = NULL;
    int first = 1;
    while (first < argc && argv[first][0] == '-') {
        if (!strcmp(argv[first], "--min-seconds") && first + 1 < argc)
            min_s = atof(argv[++first]);
        else if (!strcmp(argv[first], "--anchor") && first + 1 < argc)
            anchor = argv[++first];
        else {
            fprintf(stderr, "usage: %s [--min-seconds S] [--anchor XNNBENCH] [MODEL_DIR ...]\n",
                    argv[0]);
            return 2;
        }
        first++;
    }
    const char *shared = getenv("EDGE_SHARED_DIR") ? getenv("EDGE_SHARED_DIR") : "../shared";
    char models_dir[4096];
    snprintf(models_dir, sizeof models_dir, "%s/models", shared);
    printf("# edged reference kernels, 1 thread; median/p90 microseconds per inference\n");
    printf("%-32s %12s %12s %8s %12s %12s\n", "model", "median_us", "p90_us", "runs", "arena_B",
           "weights_B");
    double person_us = 0.0, vww_us = 0.0;
    int failures = 0;
    if (first < argc) {
        for (int i = first; i < argc; i++) {
            double med;
            failures += bench_one(argv[i], argv[i], ".", min_s, &med);
        }
    } else {
        DIR *d = opendir(models_dir);
        if (!d) {
            printf("SKIP: %s is absent\n", models_dir);
            return 0;
        }
        struct dirent *e;
        char *names[256];
        int n = 0;
        while ((e = readdir(d)) && n < 256)
            if (e->d_name[0] != '.' && strcmp(e->d_name, "SOURCES.md"))
                names[n++] = strdup(e->d_name);
        closedir(d);
        qsort(names, (size_t)n, sizeof *names, (int (*)(const void *, const void *))strcmp);
        for (int i = 0; i < n; i++) {
            char dir[4096 + 256], model[4096 + 300];
            snprintf(dir, sizeof dir, "%s/%s", models_dir, names[i]);
            snprintf(model, sizeof model, "%s/model.tflite", dir);
            double med = 0.0;
            failures += bench_one(names[i], model, dir, min_s, &med);
            if (!strcmp(names[i], "person_detect"))
                person_us = med;
            if (!strcmp(names[i], "tiny_vww_mobilenet"))
                vww_us = med;
            free(names[i]);
        }
    }
    if (anchor) {
        const double a = run_anchor(anchor);
        if (a > 0.0) {
            printf("# anchor (same run): XNNPACK MobileNetV1-0.25 96x96x3 chain %.1f us\n", a);
            if (person_us > 0.0)
                printf("# ratio person_detect / anchor = %.2f (lower is better; < 1 beats it)\n",
                       person_us / a);
            if (vww_us > 0.0)
                printf("# ratio tiny_vww_mobilenet / anchor = %.2f\n", vww_us / a);
        } else {
            printf("# anchor %s did not run: no ratio\n", anchor);
        }
    } else {
        printf("# no anchor given (--anchor PATH to xnnbench); see bench/README.md\n");
    }
    return failures ? 1 : 0;
}
