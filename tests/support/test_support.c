/* tests/support/test_support.c - see test_support.h. */
#include "test_support.h"

#include "dispatch.h"
#include "generic/qs8_c.h"
#include "model.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

char *edge_test_shared_path(const char *sub)
{
    const char *root = getenv("EDGE_SHARED_DIR");
    if (!root || !*root) {
        printf("SKIP: EDGE_SHARED_DIR is not set, so the shared test data (%s) cannot be "
               "found\n",
               sub);
        return NULL;
    }
    size_t len = strlen(root) + strlen(sub) + 2;
    char *p = malloc(len);
    if (!p)
        return NULL;
    snprintf(p, len, "%s/%s", root, sub);
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("SKIP: %s is absent: the shared test data is not beside the project "
               "(set -Dshared_dir=... or EDGE_SHARED_DIR)\n",
               p);
        free(p);
        return NULL;
    }
    return p;
}

void *edge_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long n = ftell(f);
    rewind(f);
    if (n < 0) {
        fclose(f);
        return NULL;
    }
    unsigned char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = (size_t)n;
    }
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **edge_test_list_dirs(const char *dir, const char *filter)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t n = 0, cap = 16;
    char **list = malloc(cap * sizeof *list);
    struct dirent *e;
    while (list && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        /* FILTER: keep names containing it; "!TEXT": keep names not containing TEXT. */
        if (filter && *filter &&
            (filter[0] == '!' ? strstr(e->d_name, filter + 1) != NULL
                              : strstr(e->d_name, filter) == NULL))
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (n + 1 >= cap) {
            cap *= 2;
            char **grown = realloc(list, cap * sizeof *list);
            if (!grown)
                break;
            list = grown;
        }
        list[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (!list)
        return NULL;
    list[n] = NULL;
    qsort(list, n, sizeof *list, cmp_str);
    return list;
}

void edge_test_free_list(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

bool edge_test_meta_get(const char *text, const char *key, char *out, size_t len)
{
    const size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        const size_t ll = end ? (size_t)(end - line) : strlen(line);
        if (ll > klen && strncmp(line, key, klen) == 0 && line[klen] == '=') {
            size_t vl = ll - klen - 1;
            if (vl >= len)
                vl = len - 1;
            memcpy(out, line + klen + 1, vl);
            out[vl] = 0;
            return true;
        }
        line = end ? end + 1 : NULL;
    }
    return false;
}

bool edge_test_field(const char *line, const char *name, char *out, size_t len)
{
    const size_t nl = strlen(name);
    for (const char *p = line; p && *p;) {
        while (*p == ' ')
            p++;
        if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
            const char *v = p + nl + 1;
            size_t vl = strcspn(v, " \n");
            if (vl >= len)
                vl = len - 1;
            memcpy(out, v, vl);
            out[vl] = 0;
            return true;
        }
        p = strchr(p, ' ');
    }
    return false;
}

int edge_test_run_dynamic(const char *group, size_t n, const char *const *names,
                          void (*fn)(void **state), void **states)
{
    struct CMUnitTest *tests = calloc(n ? n : 1, sizeof *tests);
    if (!tests)
        return 1;
    for (size_t i = 0; i < n; i++) {
        tests[i].name = names[i];
        tests[i].test_func = fn;
        tests[i].initial_state = states[i];
    }
    int rc = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    free(tests);
    return rc;
}

const edge_test_kconfig edge_test_kconfigs[] = {
    {"scalar", {.isa = EDGE_ISA_SCALAR}, false},
    {"avx2", {.isa = EDGE_ISA_AVX2}, false},
    {"avx512vnni", {.isa = EDGE_ISA_AVX512VNNI}, false},
    {"neon", {.isa = EDGE_ISA_NEON}, false},
    {"neondot", {.isa = EDGE_ISA_NEONDOT}, false},
    {"best, 2 threads", {.threads = 2}, false},
    {"portable C", {.isa = EDGE_ISA_SCALAR}, true},
    {"portable C, 3 threads", {.isa = EDGE_ISA_SCALAR, .threads = 3}, true},
};
const size_t edge_test_n_kconfigs = sizeof edge_test_kconfigs / sizeof edge_test_kconfigs[0];

static bool config_wanted(const char *config)
{
    const char *list = getenv("EDGE_TEST_CONFIGS");
    if (!list || !*list)
        return true;
    const size_t n = strlen(config);
    for (const char *p = list; p;) {
        if (!strncmp(p, config, n) && (p[n] == ',' || p[n] == 0))
            return true;
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    return false;
}

bool edge_test_level_wanted(edge_isa isa)
{
    return config_wanted(edge_isa_name(isa));
}

bool edge_test_kconfig_runs(const edge_test_kconfig *k, bool *cpu_lacks)
{
    *cpu_lacks = false;
    if (!config_wanted(k->name))
        return false;
    if (k->opt.isa == EDGE_ISA_AUTO)
        return true;
    if (!edge_kernels_for(k->opt.isa))
        return false;
    *cpu_lacks = edge__isa_rank(k->opt.isa) > edge__isa_rank(edge_isa_cpu_best());
    return !*cpu_lacks;
}

void edge_test_kconfig_enter(const edge_test_kconfig *k)
{
    edge__kernels_force(k->portable ? &edge_kernels_c : NULL);
}

void edge_test_kconfig_leave(void)
{
    edge__kernels_force(NULL);
}

void edge_test_tensor_shape(struct edge_tensor *t, int type, int rank, const int32_t *dims)
{
    t->type = (edge_dtype)type;
    t->rank = rank;
    t->count = 1;
    for (int d = 0; d < rank; d++) {
        t->dims[d] = dims[d];
        t->count *= (size_t)dims[d];
    }
    t->bytes = t->count * edge_dtype_size(type);
    t->name = (char *)"";
}

/* ROOT/REL holding TEXT, its folders made: 0, or -1. */
int edge_test_put_text(const char *root, const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = 0;
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    const int rc = fputs(text, f) < 0 ? -1 : 0;
    return fclose(f) || rc ? -1 : 0;
}

int edge_test_fake_sysfs(const char *root)
{
    mkdir(root, 0755);
    static const char *const files[][2] = {
        {"sys/class/thermal/thermal_zone0/type", "cpu-thermal\n"},
        {"sys/class/thermal/thermal_zone0/temp", "48312\n"},
        {"sys/class/thermal/thermal_zone0/trip_point_0_type", "passive\n"},
        {"sys/class/thermal/thermal_zone0/trip_point_0_temp", "75000\n"},
        {"sys/class/thermal/thermal_zone0/trip_point_1_type", "critical\n"},
        {"sys/class/thermal/thermal_zone0/trip_point_1_temp", "90000\n"},
        {"sys/class/thermal/thermal_zone1/type", "broken\n"},
        {"sys/class/thermal/thermal_zone10/type", "gpu-thermal\n"},
        {"sys/class/thermal/thermal_zone10/temp", "41000\n"},
        {"sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "600000\n"},
        {"sys/devices/system/cpu/cpu0/cpufreq/scaling_max_freq", "1000000\n"},
        {"sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "1500000\n"},
        {"sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "600000\n"},
        {"sys/devices/system/cpu/cpu1/cpufreq/scaling_max_freq", "1500000\n"},
        {"sys/devices/system/cpu/cpu1/cpufreq/cpuinfo_max_freq", "1500000\n"},
        {"sys/devices/system/cpu/cpufreq/policy0/x", "not a CPU\n"},
        {"sys/devices/platform/soc/soc:firmware/get_throttled", "0x50005\n"},
        {"sys/class/apex/apex_0/temp", "86000\n"},
        {"sys/class/apex/apex_0/trip_point0_temp", "85000\n"},
        {"sys/class/apex/apex_0/trip_point1_temp", "90000\n"},
        {"sys/class/apex/apex_0/trip_point2_temp", "95000\n"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (edge_test_put_text(root, files[i][0], files[i][1]))
            return -1;
    return 0;
}

int edge_test_levels(edge_isa *out)
{
    static const edge_isa all[] = {EDGE_ISA_SCALAR,     EDGE_ISA_AVX2, EDGE_ISA_AVXVNNI,
                                   EDGE_ISA_AVX512VNNI, EDGE_ISA_NEON, EDGE_ISA_NEONDOT};
    int n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const edge_isa e = edge_isa_effective(all[i]);
        bool seen = false;
        for (int j = 0; j < n; j++)
            seen |= out[j] == e;
        if (!seen)
            out[n++] = e;
    }
    return n;
}

/* edge_test_run_buffer's body: output 0, or every output one after the other when ALL. */
static void *run_buffer(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads,
                        const char *env, const char *value, const void *in, size_t in_bytes,
                        size_t *out_bytes, char *kernels, size_t len, bool all)
{
    if (env && value)
        setenv(env, value, 1);
    else if (env)
        unsetenv(env);
    edge_model_options opt = {.isa = isa, .threads = threads};
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    const int rc = edge_model_open_buffer(buf, size, &opt, &m, &err);
    if (env)
        unsetenv(env);
    if (rc)
        fail_msg("open at %s: %s", edge_isa_name(isa), err.message);
    snprintf(kernels, len, "%s", edge_model_kernels(m));
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    size_t n = 0;
    void *dst = edge_interp_input(it, 0, &n);
    assert_int_equal(n, in_bytes);
    memcpy(dst, in, in_bytes);
    if (edge_interp_invoke(it))
        fail_msg("invoke at %s failed", edge_isa_name(isa));
    const size_t outs = all ? edge_model_output_count(m) : 1;
    *out_bytes = 0;
    for (size_t i = 0; i < outs; i++) {
        size_t b = 0;
        edge_interp_output(it, i, &b);
        *out_bytes += b;
    }
    uint8_t *out = malloc(*out_bytes + 1);
    assert_non_null(out);
    for (size_t i = 0, at = 0; i < outs; i++) {
        size_t b = 0;
        const void *src = edge_interp_output(it, i, &b);
        memcpy(out + at, src, b);
        at += b;
    }
    edge_interp_free(it);
    edge_model_unref(m);
    return out;
}

void *edge_test_run_buffer(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads,
                           const char *env, const char *value, const void *in, size_t in_bytes,
                           size_t *out_bytes, char *kernels, size_t len)
{
    return run_buffer(buf, size, isa, threads, env, value, in, in_bytes, out_bytes, kernels, len,
                      false);
}

void *edge_test_run_buffer_all(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads,
                               const void *in, size_t in_bytes, size_t *out_bytes, char *kernels,
                               size_t len)
{
    return run_buffer(buf, size, isa, threads, NULL, NULL, in, in_bytes, out_bytes, kernels, len,
                      true);
}

size_t edge_test_first_diff(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    size_t i = 0;
    while (i < n && x[i] == y[i])
        i++;
    return i;
}
