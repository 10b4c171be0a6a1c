/* bench/common.c - what the model and kernel benchmarks share.
 *
 * Owns: timing invocations, the kernel levels to loop over, the --kernels option every
 * benchmark takes (bench_kernels_arg), and running the
 * anchor programs (fork and exec, output captured through a pipe, no shell)
 * and reading their figures from the lines they print.
 * Does not own: what is measured or printed (kernels.c, models.c). */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int bench_cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int bench_write_text(const char *path, const char *fmt, ...)
{
    FILE *f = fopen(path, "w");
    if (f) {
        va_list ap;
        va_start(ap, fmt);
        const int w = vfprintf(f, fmt, ap);
        va_end(ap);
        if (fclose(f) == 0 && w >= 0)
            return 0;
    }
    fprintf(stderr, "bench: write %s: %s\n", path, strerror(errno));
    return -1;
}

void *bench_read_file(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)len + 1)) && fread(buf, 1, (size_t)len, f) == (size_t)len) {
        buf[len] = 0;
        *n = (size_t)len;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* IT's inputs as they are now, copied into one buffer (NULL: out of memory), or written back from
 * it (SAVED not NULL). */
static unsigned char *inputs_copy(edge_interp *it, const unsigned char *saved)
{
    const edge_model *m = edge_interp_model(it);
    size_t total = 0, n = 0;
    for (size_t i = 0; i < edge_model_input_count(m); i++)
        if (edge_interp_input(it, i, &n))
            total += n;
    unsigned char *buf = saved ? NULL : malloc(total ? total : 1);
    if (!saved && !buf)
        return NULL;
    size_t at = 0;
    for (size_t i = 0; i < edge_model_input_count(m); i++) {
        unsigned char *in = edge_interp_input(it, i, &n);
        if (!in)
            continue;
        if (saved)
            memcpy(in, saved + at, n);
        else
            memcpy(buf + at, in, n);
        at += n;
    }
    return buf;
}

int bench_time_invokes(edge_interp *it, double min_s, size_t min_runs, bench_times *out)
{
    enum { MAX_RUNS = 200000 };
    /* every invoke on the inputs as the caller left them, written again before each (untimed),
     * as a user writes them: the arena reuses an input's bytes for later activations
     * (edge_interp_input), and a float input left holding int8 or int16 activations reads as
     * denormals, on which a float QUANTIZE took 10x as long */
    unsigned char *saved = inputs_copy(it, NULL);
    double *t = malloc(MAX_RUNS * sizeof *t);
    if (!saved || !t) {
        free(saved);
        free(t);
        return EDGE_ENOMEM;
    }
    for (int i = 0; i < 2; i++) {
        inputs_copy(it, saved);
        const int rc = edge_interp_invoke(it);
        if (rc) {
            free(saved);
            free(t);
            return rc;
        }
    }
    size_t runs = 0;
    const double start = bench_now_us();
    while (runs < MAX_RUNS && (runs < min_runs || bench_now_us() - start < min_s * 1e6)) {
        inputs_copy(it, saved);
        const double t0 = bench_now_us();
        edge_interp_invoke(it);
        t[runs++] = bench_now_us() - t0;
    }
    free(saved);
    qsort(t, runs, sizeof *t, bench_cmp_double);
    out->median_us = t[runs / 2];
    out->p90_us = t[runs * 9 / 10];
    out->min_us = t[0];
    out->runs = runs;
    free(t);
    return 0;
}

int bench_levels(edge_isa *out)
{
    static const edge_isa all[] = {EDGE_ISA_SCALAR,     EDGE_ISA_AVX2, EDGE_ISA_AVXVNNI,
                                   EDGE_ISA_AVX512VNNI, EDGE_ISA_NEON, EDGE_ISA_NEONDOT};
    int n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0] && n < 4; i++) {
        edge_isa parsed; /* a level of this build the CPU runs (and EDGE_ISA allows) */
        if (edge_isa_parse(edge_isa_name(all[i]), &parsed, NULL) == 0 &&
            edge_isa_effective(all[i]) == all[i])
            out[n++] = all[i];
    }
    return n;
}

/* ---- --kernels ---- */

static edge_isa kernels_isa; /* --kernels: EDGE_ISA_AUTO when absent */

int bench_kernels_arg(int *argc, char **argv, edge_isa *isa)
{
    *isa = EDGE_ISA_AUTO;
    int w = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--kernels") && strcmp(a, "--level")) {
            argv[w++] = argv[i];
            continue;
        }
        edge_error err = {0};
        if (i + 1 >= *argc || edge_isa_parse(argv[i + 1], isa, &err)) {
            fprintf(stderr, "%s: %s\n", a, i + 1 < *argc ? err.message : "needs a level");
            return -1;
        }
        /* EDGE_ISA before libedge first reads it (it reads it once, when it first detects the
         * CPU): set after, it reached the children only, and libedge inside the benchmark ran
         * at the CPU's best */
        if (*isa != EDGE_ISA_AUTO)
            setenv("EDGE_ISA", edge_isa_name(*isa), 1);
        /* levels are not ordered by value (avxvnni came last): ask libedge what it would run */
        if (*isa != EDGE_ISA_AUTO && edge_isa_effective(*isa) != *isa) {
            fprintf(stderr, "%s %s: this CPU runs at most %s\n", a, argv[i + 1],
                    edge_isa_name(edge_isa_best()));
            return -1;
        }
        i++;
    }
    argv[w] = NULL;
    *argc = w;
    kernels_isa = *isa;
    return 0;
}

const char *bench_kernels_level(void)
{
    return kernels_isa != EDGE_ISA_AUTO ? edge_isa_name(kernels_isa) : "";
}

void bench_kernels_print(const char *who)
{
    printf("# kernel level: %s runs at %s (%s; CPU best %s)\n", who,
           edge_isa_name(edge_isa_effective(kernels_isa)),
           kernels_isa != EDGE_ISA_AUTO ? "--kernels" : "default, --kernels LEVEL to choose",
           edge_isa_name(edge_isa_best()));
}

/* ---- anchors ---- */

void bench_anchor_locate(bench_anchor *a, const char *path, const char *name)
{
    memset(a, 0, sizeof *a);
    if (path) {
        snprintf(a->path, sizeof a->path, "%s", path);
        return;
    }
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(a->path, sizeof a->path, "%.3900s/%.150s", slash ? self : ".", name);
}

/* Everything readable from FD until end of file, NUL-terminated (NULL when out of memory). */
static char *read_all(int fd)
{
    size_t cap = 1 << 14, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (cap - len < 4096) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) {
                free(buf);
                return NULL;
            }
            buf = grown;
        }
        const ssize_t got = read(fd, buf + len, cap - len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

static void child_exec(const bench_anchor *a, const char *const *args, int fd)
{
    char *argv[16] = {(char *)a->path};
    for (int i = 0; args && args[i] && i < 14; i++)
        argv[i + 1] = (char *)args[i];
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    execv(a->path, argv);
    _exit(127);
}

int bench_anchor_run(bench_anchor *a, const char *const *args)
{
    if (access(a->path, X_OK) != 0) {
        snprintf(a->problem, sizeof a->problem, "%s is missing or not executable (%s)", a->path,
                 strerror(errno));
        return -1;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(a->problem, sizeof a->problem, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0)
        child_exec(a, args, fds[1]);
    close(fds[1]);
    a->out = pid > 0 ? read_all(fds[0]) : NULL;
    close(fds[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        snprintf(a->problem, sizeof a->problem, "cannot run %s: %s", a->path, strerror(errno));
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    snprintf(a->problem, sizeof a->problem, "%s %s %d", a->path,
             WIFEXITED(status) ? "exited with status" : "was killed by signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return -1;
}

void bench_anchor_free(bench_anchor *a)
{
    free(a->out);
    a->out = NULL;
}

int bench_graph_write(const char *model, char *tmp, size_t len)
{
    bench_anchor g;
    const char *gargs[] = {model, NULL};
    bench_anchor_locate(&g, NULL, "bench-graph");
    snprintf(tmp, len, "/tmp/bench-graph-XXXXXX");
    const int fd = mkstemp(tmp);
    int rc = -1;
    if (fd < 0)
        printf("# graph anchor: cannot make a temporary file: %s\n", strerror(errno));
    else if (bench_anchor_run(&g, gargs))
        printf("# graph anchor: bench-graph %s: %s\n", model, g.problem);
    else if (write(fd, g.out, strlen(g.out)) != (ssize_t)strlen(g.out))
        printf("# graph anchor: cannot write %s\n", tmp);
    else
        rc = 0;
    if (fd >= 0) {
        close(fd);
        if (rc)
            unlink(tmp);
    }
    bench_anchor_free(&g);
    return rc;
}

int bench_xnngraph_us(const bench_anchor *a, double *median_us, double *mean_us)
{
    const char *x = a->out ? strstr(a->out, "; XNNPACK ") : NULL;
    *median_us = *mean_us = 0.0;
    if (!x || sscanf(x, "; XNNPACK %lf us", median_us) != 1)
        return 0;
    const char *m = strstr(x, ", mean ");
    if (m && sscanf(m, ", mean %lf us", mean_us) != 1)
        *mean_us = 0.0;
    return 1;
}

/* The line of A's output starting with PREFIX (after leading blanks), or NULL. */
static const char *find_line(const bench_anchor *a, const char *prefix)
{
    for (const char *l = a->out; l && *l;) {
        const char *s = l + strspn(l, " \t");
        if (!strncmp(s, prefix, strlen(prefix)))
            return s;
        l = strchr(l, '\n');
        l = l ? l + 1 : NULL;
    }
    return NULL;
}

double bench_xnn_case_us(const bench_anchor *a, const char *tag)
{
    /* "(a) pw 1x1 56x56x64->128   25.690   757.95   67.8": MMAC, us, GOPS end the line. */
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%s ", tag);
    const char *l = find_line(a, prefix);
    if (!l)
        return 0.0;
    const char *end = strchr(l, '\n');
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)(end ? end - l : (long)strlen(l)), l);
    double v[3] = {0};
    int n = 0;
    for (char *save, *tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        char *e;
        const double x = strtod(tok, &e);
        if (*e == '\0' && e != tok) {
            v[0] = v[1], v[1] = v[2], v[2] = x;
            n++;
        }
    }
    return n >= 3 ? v[1] : 0.0;
}

double bench_xnn_chain_us(const bench_anchor *a)
{
    const char *k = a->out ? strstr(a->out, "end-to-end chain ") : NULL;
    return k ? atof(k + strlen("end-to-end chain ")) : 0.0;
}

double bench_xnn_person_chain_us(const bench_anchor *a)
{
    const char *l = find_line(a, "person_detect-shape chain");
    const char *end = l ? strchr(l, '\n') : NULL, *k = l ? strstr(l, "end-to-end ") : NULL;
    if (!k || (end && k > end))
        return 0.0;
    k += strlen("end-to-end ");
    if (!strncmp(k, "chain ", 6))
        k += 6;
    return atof(k);
}

double bench_peak_gops(const bench_anchor *a, const char *label)
{
    const char *l = find_line(a, label);
    const char *m = l ? strstr(l, "median") : NULL;
    const char *end = l ? strchr(l, '\n') : NULL;
    if (!m || (end && m > end))
        return 0.0;
    return atof(m + strlen("median"));
}

double bench_peak_or_own(const bench_anchor *a, const char *label, edge_isa isa, bool *own)
{
    const double g = bench_peak_gops(a, label);
    if (g > 0.0)
        return g;
    const double mine = edge_isa_peak_gops(isa);
    if (mine > 0.0)
        *own = true;
    return mine;
}

double bench_metric_value(const char *text, const char *name, const char *model)
{
    char key[256];
    snprintf(key, sizeof key, "%s{model=\"%s\"}", name, model);
    const char *p = strstr(text, key);
    return p ? atof(p + strlen(key)) : 0.0;
}
