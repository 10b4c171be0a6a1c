/* bench/cache.c - the packed-weight cache: a model's load with a cold and a warm cache.
 *
 * Owns: the start-up figures of issue 20, for mobilenet_v2_int8_nchw (../shared/models) and
 * YOLOv8n (../shared/zoo):
 *   1. libedge's edge_model_open, median of 15: with no cache at all (the anchor: what every
 *      load did before the cache), with a cold cache (its file removed first: pack, write, map)
 *      and with a warm one (the file there: checked, mapped, nothing packed). Target: warm at
 *      least 5x faster than cold.
 *   2. edged's start with both models in its repository and $CACHE_DIRECTORY set (as the unit
 *      sets it), three starts on an empty cache and three on the cache they leave: each model's
 *      load as edged logs it ("loaded ... in X ms"), medians.
 *   3. What checking a cache file costs at each map (issue 43): the warm open with the MAC
 *      edged uses (SipHash-2-4 keyed with the cache's secret, over the whole file) against
 *      keyed BLAKE2b and the unkeyed XXH3-128 of before, and the file's size.
 * Usage: bench-cache EDGED_BIN [SHARED_DIR] */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common.h"
#include "packsum.h"
#include "edge/runtime.h"
#include "edged_proc.h"

#define RUNS 15
#define STARTS 3

static char dir[64], cache[128];
static unsigned char key[32];
static bool blake; /* the check's MAC: BLAKE2b instead of SipHash-2-4 */

/* As edged's: SipHash-2-4 (128 bits, twice) keyed with the cache's secret; or keyed BLAKE2b
 * (BLAKE), the comparison. */
static void mac(const void *data, size_t len, unsigned char out[32], void *arg)
{
    (void)arg;
    if (blake) {
        crypto_generichash(out, 32, data, len, key, sizeof key);
        return;
    }
    edge_packsum_mac(data, len, out, key);
}

/* The cache as edged uses it; UNKEYED: XXH3-128 for the checksum too (before issue 43). */
static edge_pack_cache pc_of(bool unkeyed)
{
    return (edge_pack_cache){.dir = cache, .hash = edge_packsum_model, .mac = unkeyed ? NULL : mac};
}

static void empty_cache(void)
{
    edge_pack_cache_prune(cache, 0, NULL, NULL);
}

/* Median ms of RUNS opens of PATH (CACHE: through the cache; COLD: its file removed first). */
static bool unkeyed; /* the checksum with XXH3-128, as before issue 43 */

static double open_ms(const char *path, bool use_cache, bool cold, int *state)
{
    const edge_pack_cache pc = pc_of(unkeyed);
    const edge_model_options opt = {.pack_cache = use_cache ? &pc : NULL};
    double t[RUNS];
    for (int i = 0; i < RUNS; i++) {
        if (cold)
            empty_cache();
        edge_model *m = NULL;
        edge_error e;
        const double t0 = bench_now_us();
        if (edge_model_open(path, &opt, &m, &e)) {
            fprintf(stderr, "bench-cache: %s: %s\n", path, e.message);
            exit(1);
        }
        t[i] = (bench_now_us() - t0) / 1000.0;
        *state = edge_model_pack_cache(m, NULL, NULL);
        edge_model_unref(m);
    }
    qsort(t, RUNS, sizeof t[0], bench_cmp_double);
    return t[RUNS / 2];
}

/* MODEL's load time in ms from edged's log LOG ("model MODEL version 1: loaded ... in X ms"). */
static double logged_ms(const char *log, const char *model)
{
    size_t n;
    char *text = bench_read_file(log, &n), needle[160];
    snprintf(needle, sizeof needle, "model %s version 1: loaded ", model);
    const char *p = text ? strstr(text, needle) : NULL;
    const char *in = p ? strstr(p, " in ") : NULL;
    const double ms = in ? atof(in + 4) : -1;
    free(text);
    return ms;
}

/* A warm open of PATH (median ms) with the checksum as WHICH says (0: XXH3-128, 1: SipHash,
 * 2: BLAKE2b), the cache file written by the same first. */
static double warm_ms(const char *path, int which)
{
    int st;
    unkeyed = which == 0;
    blake = which == 2;
    empty_cache();
    open_ms(path, true, false, &st); /* writes it */
    const double ms = open_ms(path, true, false, &st);
    unkeyed = blake = false;
    return ms;
}

/* 3.: the warm open with the keyed checksum (SipHash, and BLAKE2b to compare) against
 * XXH3-128, and the cache file's size. */
static void check_cost(const char *const names[2], const char paths[2][PATH_MAX + 64])
{
    printf("the check of a cache file at each map (warm open, median of %d):\n", RUNS);
    for (int i = 0; i < 2; i++) {
        const double x = warm_ms(paths[i], 0), sip = warm_ms(paths[i], 1);
        const double b = warm_ms(paths[i], 2);
        warm_ms(paths[i], 1);
        edge_model *m = NULL;
        edge_error e;
        const edge_pack_cache pc = pc_of(false);
        const edge_model_options opt = {.pack_cache = &pc};
        struct stat fs = {0};
        const char *pack = NULL;
        if (edge_model_open(paths[i], &opt, &m, &e) == 0)
            edge_model_pack_cache(m, &pack, NULL);
        if (pack)
            stat(pack, &fs);
        edge_model_unref(m);
        printf("  %-12s cache file %.1f MiB: %.2f ms with keyed SipHash-2-4 (edged), %.2f ms with "
               "keyed BLAKE2b, %.2f ms with unkeyed XXH3-128: the keyed check costs %.2f ms a "
               "map\n",
               names[i], fs.st_size / 1048576.0, sip, b, x, sip - x);
    }
}

static int cmp(const void *a, const void *b)
{
    return bench_cmp_double(a, b);
}

int main(int argc, char **argv)
{
    edge_isa level;
    if (bench_kernels_arg(&argc, argv, &level)) /* --kernels LEVEL, anywhere */
        return 2;
    bench_kernels_print("edged");
    if (argc < 2) {
        fprintf(stderr, "usage: bench-cache EDGED_BIN [SHARED_DIR] [--kernels LEVEL]\n");
        return 2;
    }
    static char shared[PATH_MAX];
    if (!realpath(argc > 2 ? argv[2] : "../shared", shared)) {
        fprintf(stderr, "bench-cache: %s: %s\n", argc > 2 ? argv[2] : "../shared", strerror(errno));
        return 1;
    }
    static const char *const names[2] = {"mobilenet_v2", "yolov8n"};
    if (sodium_init() < 0)
        return 1;
    randombytes_buf(key, sizeof key);
    char paths[2][PATH_MAX + 64];
    snprintf(paths[0], sizeof paths[0], "%s/models/mobilenet_v2_int8_nchw/model.tflite", shared);
    snprintf(paths[1], sizeof paths[1], "%s/zoo/yolov8n_int8/model.tflite", shared);
    snprintf(dir, sizeof dir, "/tmp/bench-cache-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(cache, sizeof cache, "%s/cache", dir);
    mkdir(cache, 0755);

    printf("bench-cache: a model's load with the packed-weight cache (median of %d opens, "
           "libedge, one thread)\n",
           RUNS);
    printf("%-14s %12s %12s %12s %10s %14s\n", "model", "no cache", "cold cache", "warm cache",
           "cold/warm", "no cache/warm");
    bool met = true;
    for (int i = 0; i < 2; i++) {
        int s_none, s_cold, s_warm;
        const double none = open_ms(paths[i], false, false, &s_none);
        const double cold = open_ms(paths[i], true, true, &s_cold);
        const double warm = open_ms(paths[i], true, false, &s_warm);
        if (s_cold != EDGE_PACK_WRITTEN || s_warm != EDGE_PACK_HIT) {
            fprintf(stderr, "bench-cache: %s: the cache did not work (states %d, %d)\n", names[i],
                    s_cold, s_warm);
            return 1;
        }
        met &= cold / warm >= 5.0;
        printf("%-14s %9.2f ms %9.2f ms %9.2f ms %9.1fx %13.1fx\n", names[i], none, cold, warm,
               cold / warm, none / warm);
    }
    printf("target: a warm cache's load at least 5x faster than a cold one's: %s\n",
           met ? "met" : "MISS");
    check_cost(names, paths);

    /* edged's start, cold and warm */
    char models[128], conf[160], sock[128], log[160], link[PATH_MAX + 200], env[200];
    snprintf(models, sizeof models, "%s/models", dir);
    snprintf(sock, sizeof sock, "%s/edged.sock", dir);
    snprintf(conf, sizeof conf, "%s/edged.conf", dir);
    mkdir(models, 0755);
    for (int i = 0; i < 2; i++) {
        snprintf(link, sizeof link, "%s/%s.tflite", models, names[i]);
        if (symlink(paths[i], link))
            return 1;
    }
    bench_write_text(conf,
                     "[server]\nsocket = %s\n[models]\nrepository = %s\n[scheduler]\nworkers = 2\n"
                     "[log]\nlevel = info\n[dbus]\nbus = none\n",
                     sock, models);
    snprintf(env, sizeof env, "%s", cache);
    setenv("CACHE_DIRECTORY", env, 1);
    double load[2][2][STARTS]; /* [warm][model][start] */
    empty_cache();
    for (int warm = 0; warm < 2; warm++)
        for (int k = 0; k < STARTS; k++) {
            if (!warm)
                empty_cache();
            snprintf(log, sizeof log, "%s/edged-%d-%d.log", dir, warm, k);
            pid_t pid = bench_edged_start(argv[1], conf, sock, log);
            if (pid <= 0)
                return 1;
            bench_edged_stop(&pid);
            for (int i = 0; i < 2; i++)
                load[warm][i][k] = logged_ms(log, names[i]);
        }
    printf("edged's start with both models (median of %d starts each; each model's load as "
           "edged logs it):\n",
           STARTS);
    for (int i = 0; i < 2; i++) {
        qsort(load[0][i], STARTS, sizeof(double), cmp);
        qsort(load[1][i], STARTS, sizeof(double), cmp);
        const double c = load[0][i][STARTS / 2], w = load[1][i][STARTS / 2];
        printf("  %-12s load %7.1f ms with a cold cache, %6.1f ms with a warm one: %.1fx\n",
               names[i], c, w, w > 0 ? c / w : 0);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) ? 1 : 0;
}
