/* tests/unit/test_profile.c - the per-node profile: edge_interp_set_profiling and its readers.
 *
 * Owns: the API's promises on a shared model (person_detect: entries in execution order with
 * the names edge_model_node_info gives, counts equal to the profiled invokes, times above zero,
 * nothing recorded while off, reset clears) and on a WHILE model (its body and condition
 * counted per round in their subgraphs, the WHILE's own time without them), the table
 * client/profile_report.c prints (header, per-type totals, the GOPS and %peak columns: 2 x MACs /
 * median run time, against edge_isa_peak_gops), each entry's multiply-accumulates (person_detect's
 * first convolution, 0 for operators without weights), and, when the build has edgectl, `edgectl
 * run --profile`'s output. Never asserts on how long anything took. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/profile_report.h"
#include "edge/runtime.h"
#include "sg_models.h"
#include "test_support.h"

static void open_shared(const char *sub, edge_model **m, edge_interp **it, char **path)
{
    char *dir = edge_test_shared_path(sub);
    if (!dir)
        skip();
    *path = malloc(strlen(dir) + 16);
    assert_non_null(*path);
    sprintf(*path, "%s/model.tflite", dir);
    free(dir);
    edge_error err = {0};
    assert_int_equal(edge_model_open(*path, NULL, m, &err), 0);
    assert_int_equal(edge_interp_new(*m, it, &err), 0);
}

static void invoke_n(edge_interp *it, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(edge_interp_invoke(it), 0);
}

static void test_off_by_default(void **state)
{
    (void)state;
    edge_model *m;
    edge_interp *it;
    char *path;
    open_shared("models/person_detect", &m, &it, &path);
    invoke_n(it, 2);
    assert_int_equal(edge_interp_profiling(it), 0);
    assert_int_equal(edge_interp_profile_count(it), 0);
    uint64_t ns = 1;
    assert_int_equal(edge_interp_profile_invokes(it, &ns), 0);
    assert_int_equal(ns, 0);
    edge_node_profile p;
    assert_int_equal(edge_interp_profile(it, 0, &p), EDGE_EINVAL);
    edge_interp_free(it);
    edge_model_unref(m);
    free(path);
}

/* Every entry of IT (a one-subgraph CPU model) ran RUNS times, in execution order. */
static void check_counts(const edge_model *m, const edge_interp *it, uint64_t runs)
{
    assert_int_equal(edge_interp_profile_count(it), edge_model_node_count(m));
    uint64_t node_ns = 0, invoke_ns = 0;
    assert_int_equal(edge_interp_profile_invokes(it, &invoke_ns), runs);
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_profile p;
        edge_node_info ni;
        assert_int_equal(edge_interp_profile(it, i, &p), 0);
        assert_int_equal(edge_model_node_info(m, i, &ni), 0);
        assert_int_equal(p.subgraph, 0);
        assert_int_equal(p.node, (int)i);
        assert_string_equal(p.op_name, ni.op_name);
        assert_string_equal(p.kernel, ni.kernel);
        assert_string_equal(p.backend, "cpu");
        assert_int_equal(p.span, 1);
        assert_int_equal(p.count, runs);
        if (!runs)
            continue;
        assert_true(p.total_ns > 0);
        assert_int_equal(p.self_ns, p.total_ns);
        assert_true(p.min_ns > 0 && p.min_ns <= p.median_ns && p.median_ns <= p.total_ns);
        assert_true(p.rank > 0);
        node_ns += p.total_ns;
    }
    assert_true(invoke_ns >= node_ns);
}

static void test_counts_and_order(void **state)
{
    (void)state;
    edge_model *m;
    edge_interp *it;
    char *path;
    open_shared("models/person_detect", &m, &it, &path);
    assert_int_equal(edge_interp_set_profiling(it, 1), 0);
    assert_int_equal(edge_interp_profiling(it), 1);
    invoke_n(it, 5);
    check_counts(m, it, 5);
    assert_int_equal(edge_interp_set_profiling(it, 0), 0);
    invoke_n(it, 3); /* off: nothing recorded, the records kept */
    check_counts(m, it, 5);
    edge_interp_profile_reset(it);
    check_counts(m, it, 0);
    assert_int_equal(edge_interp_set_profiling(it, 1), 0);
    invoke_n(it, 2);
    check_counts(m, it, 2);
    assert_int_equal(edge_interp_set_profiling(it, 1), 0); /* on again: cleared */
    check_counts(m, it, 0);
    edge_interp_free(it);
    edge_model_unref(m);
    free(path);
}

static edge_node_profile entry(const edge_interp *it, int32_t subgraph, const char *op)
{
    for (size_t i = 0; i < edge_interp_profile_count(it); i++) {
        edge_node_profile p;
        assert_int_equal(edge_interp_profile(it, i, &p), 0);
        if (p.subgraph == subgraph && !strcmp(p.op_name, op))
            return p;
    }
    fail_msg("no %s in subgraph %d", op, (int)subgraph);
    return (edge_node_profile){0};
}

static void test_while_subgraphs(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *buf = sg_build_while(NULL, &n);
    edge_model *m;
    edge_interp *it;
    edge_error err = {0};
    assert_int_equal(edge_model_open_buffer(buf, n, NULL, &m, &err), 0);
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    assert_int_equal(edge_interp_set_profiling(it, 1), 0);
    assert_int_equal(edge_interp_profile_count(it), 3); /* WHILE, LESS, ADD */
    const int32_t start = 0, limit = 7;
    memcpy(edge_interp_input(it, 0, NULL), &start, 4);
    memcpy(edge_interp_input(it, 1, NULL), &limit, 4);
    assert_int_equal(edge_interp_invoke(it), 0);
    const edge_node_profile w = entry(it, 0, "WHILE"), c = entry(it, 1, "LESS"),
                            b = entry(it, 2, "ADD");
    assert_int_equal(w.count, 1);
    assert_int_equal(c.count, 8); /* the condition once more than the body */
    assert_int_equal(b.count, 7);
    assert_int_equal(c.node, 0);
    assert_true(w.total_ns >= c.total_ns + b.total_ns);
    assert_int_equal(w.self_ns, w.total_ns - c.total_ns - b.total_ns);
    edge_interp_free(it);
    edge_model_unref(m);
    free(buf);
}

/* TEXT has the table's header, its column titles and the totals per operator type. */
static void check_table(const char *text, const char *invokes)
{
    print_message("%s", text);
    assert_non_null(strstr(text, invokes));
    assert_non_null(strstr(text, "node     operator"));
    assert_non_null(strstr(text, "median_us"));
    assert_non_null(strstr(text, "share%"));
    assert_non_null(strstr(text, "GOPS"));
    assert_non_null(strstr(text, "%peak"));
    assert_non_null(strstr(text, "# kernel level "));
    const char *totals = strstr(text, "# totals per operator type\n");
    assert_non_null(totals);
    assert_non_null(strstr(totals, "CONV_2D"));
    assert_non_null(strstr(totals, "DEPTHWISE_CONV_2D"));
    assert_non_null(strstr(totals, "SOFTMAX"));
}

static void test_report(void **state)
{
    (void)state;
    edge_model *m;
    edge_interp *it;
    char *path;
    open_shared("models/person_detect", &m, &it, &path);
    assert_int_equal(edge_profile_report(stdout, it), EDGE_EINVAL); /* nothing profiled */
    assert_int_equal(edge_interp_set_profiling(it, 1), 0);
    invoke_n(it, 4);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(edge_profile_report(f, it), 0);
    fclose(f);
    check_table(text, "# profile: 4 invokes");
    free(text);
    edge_interp_free(it);
    edge_model_unref(m);
    free(path);
}

static void test_edgectl(void **state)
{
    (void)state;
#ifndef EDGECTL
    print_message("SKIP: this build has no edgectl\n");
    skip();
#else
    char *path = edge_test_shared_path("models/person_detect");
    if (!path)
        skip();
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "'%s' run '%s/model.tflite' --profile --runs 6", EDGECTL, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *text = calloc(1, 1 << 16);
    assert_non_null(text);
    const size_t got = fread(text, 1, (1 << 16) - 1, p);
    assert_int_equal(pclose(p), 0);
    assert_true(got > 0);
    check_table(text, "# profile: 6 invokes");
    free(text);
    free(path);
#endif
}

/* person_detect's entries carry their multiply-accumulates: its first node (a depthwise 3x3 stride
 * 2, 96x96x1 -> 48x48x8, depth multiplier 8) 48 x 48 x 8 x 9 per run, every weight operator some,
 * the others none, and a pointwise CONV_2D that the depthwise node before it computes
 * (runtime/interp/fuse_pw.c, kernel "fused") none: that node's count includes its own. The total
 * is the same with the pairs fused (FUSE) or not; *FUSED counts the fused nodes. */
static uint64_t macs_sum(bool fuse, int *fused)
{
    edge_model *m;
    edge_interp *it;
    char *path;
    if (!fuse)
        setenv("EDGE_FUSE_PW", "0", 1);
    open_shared("models/person_detect", &m, &it, &path);
    unsetenv("EDGE_FUSE_PW");
    assert_int_equal(edge_interp_set_profiling(it, 1), 0);
    invoke_n(it, 1);
    uint64_t sum = 0;
    *fused = 0;
    for (size_t i = 0; i < edge_interp_profile_count(it); i++) {
        edge_node_profile p;
        assert_int_equal(edge_interp_profile(it, i, &p), 0);
        const int weights = !strcmp(p.op_name, "CONV_2D") ||
                            !strcmp(p.op_name, "DEPTHWISE_CONV_2D") ||
                            !strcmp(p.op_name, "FULLY_CONNECTED");
        const int by_other = p.kernel && !strcmp(p.kernel, "fused");
        *fused += by_other;
        if (i == 0) {
            assert_string_equal(p.op_name, "DEPTHWISE_CONV_2D");
            assert_int_equal(p.macs, 48 * 48 * 8 * 9);
        }
        if (weights && !by_other ? p.macs == 0 : p.macs != 0)
            fail_msg("node %zu (%s, kernel %s): %llu multiply-accumulates", i, p.op_name,
                     p.kernel ? p.kernel : "reference", (unsigned long long)p.macs);
        sum += p.macs;
    }
    assert_true(sum <= edge_model_macs(m)); /* which also counts every element in once */
    edge_interp_free(it);
    edge_model_unref(m);
    free(path);
    return sum;
}

static void test_macs(void **state)
{
    (void)state;
    int fused = 0, plain = 0;
    const uint64_t a = macs_sum(true, &fused), b = macs_sum(false, &plain);
    assert_int_equal(plain, 0);
    if (edge_isa_effective(EDGE_ISA_AUTO) != EDGE_ISA_SCALAR)
        assert_true(fused > 0); /* (the scalar level has no fast paths to fuse) */
    assert_int_equal(a, b);
}

/* The peak is measured for every level this CPU runs (edge_isa_effective: not capped), kept for
 * the process (the same figure twice), and 0 for another architecture's level. */
static void test_peak(void **state)
{
    (void)state;
    for (int isa = EDGE_ISA_SCALAR; isa <= EDGE_ISA_NEONDOT; isa++) {
        edge_isa parsed;
        if (edge_isa_parse(edge_isa_name((edge_isa)isa), &parsed, NULL) != 0)
            continue; /* not a level of this architecture */
        const double g = edge_isa_peak_gops((edge_isa)isa);
        print_message("%s: int8 peak %.1f GOPS\n", edge_isa_name((edge_isa)isa), g);
        assert_true(g == edge_isa_peak_gops((edge_isa)isa));
#if defined(__arm__)
        if (isa != EDGE_ISA_SCALAR)
            continue; /* armv7 NEON: not measured */
#endif
        if (edge_isa_effective((edge_isa)isa) == (edge_isa)isa)
            assert_true(g > 0.0);
    }
    assert_true(edge_isa_peak_gops(EDGE_ISA_AUTO) == edge_isa_peak_gops(edge_isa_default()));
#if defined(__x86_64__)
    assert_true(edge_isa_peak_gops(EDGE_ISA_NEONDOT) == 0.0);
#else
    assert_true(edge_isa_peak_gops(EDGE_ISA_AVX2) == 0.0);
#endif
}

/* The line of TEXT starting with PREFIX (NUL-terminated copy in LINE). */
static void line_of(const char *text, const char *prefix, char *line, size_t size)
{
    const char *l = strstr(text, prefix);
    assert_non_null(l);
    const char *end = strchr(l, '\n');
    snprintf(line, size, "%.*s", (int)(end ? end - l : (long)strlen(l)), l);
}

/* LINE ends with " GOPS %peak" within print rounding of GOPS and PCT (a printed %.1f or %.2f
 * may round the other way than the test's own arithmetic where a value sits on a rounding
 * edge: numbers are compared, not text). */
static void expect_work(const char *line, double gops, double pct)
{
    const char *end = line + strlen(line), *last = end;
    while (last > line && last[-1] != ' ')
        last--;
    const char *prev = last;
    while (prev > line && prev[-1] == ' ')
        prev--;
    while (prev > line && prev[-1] != ' ')
        prev--;
    char *e1 = NULL, *e2 = NULL;
    const double g = strtod(prev, &e1), p = strtod(last, &e2);
    if (e1 == prev || e2 == last || fabs(g - gops) > 0.0051 || fabs(p - pct) > 0.051)
        fail_msg("line '%s': expected GOPS %.4f and %%peak %.4f at the end", line, gops, pct);
}

/* A CPU node's entry of 4 runs, SELF_NS in all. */
static edge_node_profile fake_entry(const char *op, int32_t node, uint64_t self_ns,
                                    uint64_t median_ns, uint64_t macs)
{
    return (edge_node_profile){.op_name = op,
                               .kernel = "k",
                               .backend = "cpu",
                               .count = 4,
                               .node = node,
                               .self_ns = self_ns,
                               .total_ns = self_ns,
                               .median_ns = median_ns,
                               .macs = macs,
                               .span = 1};
}

/* The GOPS column is 2 x MACs / median run time, %peak that against the level's peak, per node
 * and per operator type (summed MACs over summed medians); "-" where a node has no
 * multiply-accumulates. */
static void test_gops_column(void **state)
{
    (void)state;
    edge_node_profile e[3] = {
        fake_entry("CONV_2D", 0, 2000000, 500000, 3000000),
        fake_entry("CONV_2D", 1, 1000000, 250000, 1000000),
        fake_entry("SOFTMAX", 2, 500000, 125000, 0),
    };
    char *text = NULL, line[512], want[64];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(edge_profile_print_at(f, e, 3, 4, 4000000, EDGE_ISA_SCALAR), 0);
    fclose(f);
    print_message("%s", text);
    const double peak = edge_isa_peak_gops(EDGE_ISA_SCALAR);
    snprintf(want, sizeof want, "int8 peak %.1f GOPS", peak);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "# kernel level scalar"));
    /* node 0: 2 x 3e6 / 5e5 ns = 12 GOPS */
    line_of(text, "0        CONV_2D", line, sizeof line);
    expect_work(line, 12.0, 100.0 * 12.0 / peak);
    line_of(text, "1        CONV_2D", line, sizeof line);
    expect_work(line, 8.0, 100.0 * 8.0 / peak);
    line_of(text, "2        SOFTMAX", line, sizeof line);
    assert_non_null(strstr(line, "        -      -"));
    /* CONV_2D's total: 2 x 4e6 / 7.5e5 ns */
    line_of(strstr(text, "# totals"), "CONV_2D ", line, sizeof line);
    expect_work(line, 32.0 / 3.0, 100.0 * 32.0 / 3.0 / peak);
    free(text);
    /* the daemon's aggregate: its level and the peak it measured (edgectl profile) */
    f = open_memstream(&text, &len);
    assert_int_equal(edge_profile_print(f, e, 3, 4, 4000000, "avx2", 48.0), 0);
    fclose(f);
    assert_non_null(strstr(text, "# kernel level avx2, int8 peak 48.0 GOPS"));
    line_of(text, "0        CONV_2D", line, sizeof line);
    assert_non_null(strstr(line, " 12.00   25.0"));
    free(text);
    /* no peak: GOPS, no %peak */
    f = open_memstream(&text, &len);
    assert_int_equal(edge_profile_print(f, e, 3, 4, 4000000, NULL, 0.0), 0);
    fclose(f);
    assert_non_null(strstr(text, "# kernel level unknown, no int8 peak"));
    line_of(text, "0        CONV_2D", line, sizeof line);
    assert_non_null(strstr(line, " 12.00      -"));
    free(text);
}

/* The team's columns: work_us, every thread's time in a node's tasks per run, and helpers%, the
 * helpers' part against the calling thread's; printed only when some entry has work (a team's
 * profile), "-" for an entry without. */
static void test_work_columns(void **state)
{
    (void)state;
    edge_node_profile e[2] = {
        fake_entry("CONV_2D", 0, 2000000, 500000, 3000000),
        fake_entry("SOFTMAX", 1, 500000, 125000, 0),
    };
    char *text = NULL, line[512];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(edge_profile_print(f, e, 2, 4, 4000000, NULL, 0.0), 0);
    fclose(f);
    assert_null(strstr(text, "work_us")); /* one thread: no such columns */
    free(text);
    e[0].caller_work_ns = 3000000; /* over its 4 runs: (3 + 1) ms / 4 = 1000 us a run */
    e[0].helpers_work_ns = 1000000;
    f = open_memstream(&text, &len);
    assert_int_equal(edge_profile_print(f, e, 2, 4, 4000000, NULL, 0.0), 0);
    fclose(f);
    print_message("%s", text);
    assert_non_null(strstr(text, "%peak    work_us helpers%\n"));
    line_of(text, "0        CONV_2D", line, sizeof line);
    assert_non_null(strstr(line, "    1000.00       33"));
    line_of(text, "1        SOFTMAX", line, sizeof line);
    assert_non_null(strstr(line, "-      -          -        -"));
    free(text);
}

/* A row chain's line: its nodes, its layers (entries with time) and its time per invoke. */
static void test_chain_line(void **state)
{
    (void)state;
    edge_node_profile e[4] = {
        fake_entry("DEPTHWISE_CONV_2D", 0, 3000000, 750000, 3000000),
        fake_entry("CONV_2D", 1, 0, 0, 0), /* fused: a run of 0 ns */
        fake_entry("DEPTHWISE_CONV_2D", 2, 1000000, 250000, 1000000),
        fake_entry("SOFTMAX", 3, 500000, 125000, 0),
    };
    char *text = NULL, line[512];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(edge_profile_print(f, e, 4, 4, 5000000, NULL, 0.0), 0);
    fclose(f);
    assert_null(strstr(text, "row chain")); /* no entry ran in one */
    free(text);
    for (int i = 0; i < 4; i++) /* the print sorted them */
        e[i].chain = e[i].node < 3;
    f = open_memstream(&text, &len);
    assert_int_equal(edge_profile_print(f, e, 4, 4, 5000000, NULL, 0.0), 0);
    fclose(f);
    print_message("%s", text);
    line_of(text, "# row chain 1:", line, sizeof line);
    assert_non_null(strstr(line, "nodes 0-2, 2 layers"));
    assert_non_null(strstr(line, "(1000.00 us per invoke)")); /* (3 + 0 + 1) ms over 4 invokes */
    assert_null(strstr(text, "row chain 2"));
    free(text);
}

/* person_detect's file into PATH (SIZE bytes), or the test skipped without the shared data. */
static void person_detect_path(char *path, size_t size)
{
    char *dir = edge_test_shared_path("models/person_detect");
    if (!dir)
        skip();
    snprintf(path, size, "%s/model.tflite", dir);
    free(dir);
}

/* PATH opened on THREADS intra-op threads, and an interpreter of it. */
static void open_threads(const char *path, unsigned threads, edge_model **m, edge_interp **it)
{
    const edge_model_options o = {.threads = threads};
    edge_error err = {0};
    assert_int_equal(edge_model_open(path, &o, m, &err), 0);
    assert_int_equal(edge_interp_new(*m, it, &err), 0);
}

/* The output bytes of IT's first output, into a malloc'd copy (*BYTES long). */
static void *output_copy(edge_interp *it, size_t *bytes)
{
    const void *o = edge_interp_output(it, 0, bytes);
    assert_non_null(o);
    void *c = malloc(*bytes);
    assert_non_null(c);
    memcpy(c, o, *bytes);
    return c;
}

/* IT's first input set to a fixed pattern, then N invokes (an invoke may write over its input:
 * the arena gives the input's bytes to later tensors). */
static void invoke_set(edge_interp *it, int n)
{
    for (int k = 0; k < n; k++) {
        size_t bytes;
        uint8_t *in = edge_interp_input(it, 0, &bytes);
        assert_non_null(in);
        for (size_t i = 0; i < bytes; i++)
            in[i] = (uint8_t)(i * 7 + i / 96);
        invoke_n(it, 1);
    }
}

static void count_watch(void *arg, size_t node)
{
    (void)node;
    ++*(size_t *)arg;
}

/* Profiling a team runs its row chains as an unprofiled invoke does (person_detect on 2 threads:
 * one chain), not node by node: the same output bytes; every node from the chain's head to its
 * end says the chain and ran once an invoke; its layers share the chain's time by their kernel
 * calls' work, so each layer's work is at most 2 threads times its time (a small slack for the
 * counter's ticks becoming ns), the nodes between (fused pointwise layers) take 0 ns, and the
 * chain's entries add up to at most the invokes' time. Watched, the nodes run one by one (the
 * watcher reads each node's output after it): no entry says a chain and the watcher sees every
 * node. On one thread no chain. Never asserts on how long anything took or that a helper
 * joined. */
static void test_chain_profile(void **state)
{
    (void)state;
    char path[4096];
    person_detect_path(path, sizeof path);
    for (unsigned threads = 1; threads <= 2; threads++) {
        edge_model *m;
        edge_interp *it;
        open_threads(path, threads, &m, &it);
        invoke_set(it, 1);
        size_t bytes, bytes2;
        void *plain = output_copy(it, &bytes);
        assert_int_equal(edge_interp_set_profiling(it, 1), 0);
        invoke_set(it, 6);
        void *profiled = output_copy(it, &bytes2);
        assert_int_equal(bytes, bytes2);
        assert_memory_equal(plain, profiled, bytes);
        uint64_t invoke_ns = 0;
        assert_int_equal(edge_interp_profile_invokes(it, &invoke_ns), 6);
        int32_t lo = INT32_MAX, hi = -1, layers = 0, between = 0;
        uint64_t chain_ns = 0;
        for (size_t i = 0; i < edge_interp_profile_count(it); i++) {
            edge_node_profile p;
            if (edge_interp_profile(it, i, &p) || !p.chain)
                continue;
            assert_int_equal(p.chain, 1);
            assert_int_equal(p.count, 6);
            lo = p.node < lo ? p.node : lo;
            hi = p.node > hi ? p.node : hi;
            chain_ns += p.self_ns;
            const uint64_t work = p.caller_work_ns + p.helpers_work_ns;
            if (p.total_ns) {
                layers++;
                assert_true((double)work <= 2.0 * 1.05 * (double)p.total_ns + 2000.0 * 6);
            } else { /* a node between: it did nothing */
                between++;
                assert_int_equal(work, 0);
            }
        }
        print_message("# %u thread(s): chain nodes %d-%d, %d layers, %d between, %.1f us of "
                      "%.1f us an invoke\n",
                      threads, (int)lo, (int)hi, (int)layers, (int)between, (double)chain_ns / 6e3,
                      (double)invoke_ns / 6e3);
        if (threads == 1) {
            assert_int_equal(hi, -1);
        } else {
            assert_int_equal(lo, 0);
            assert_int_equal(layers, 14);
            assert_int_equal(hi - lo + 1, layers + between);
            assert_true(chain_ns <= invoke_ns);
            /* watched: node by node, no chain */
            size_t seen = 0;
            edge_interp_watch(it, count_watch, &seen);
            edge_interp_profile_reset(it);
            invoke_n(it, 1);
            assert_int_equal(seen, (size_t)edge_model_node_count(m));
            for (size_t i = 0; i < edge_interp_profile_count(it); i++) {
                edge_node_profile p;
                if (edge_interp_profile(it, i, &p) == 0)
                    assert_int_equal(p.chain, 0);
            }
            edge_interp_watch(it, NULL, NULL);
        }
        free(plain);
        free(profiled);
        edge_interp_free(it);
        edge_model_unref(m);
    }
}

/* With 2 intra-op threads each entry says its threads' work: the calling thread's at most the
 * node's time and the helpers' at most as much (a small slack for the counter's ticks becoming
 * ns; a row chain's layer, whose time is its share of the chain's, at most twice that), some
 * node's above 0, their sums within the team's own count (edge_interp_thread_stats); on one
 * thread none. Never asserts that a helper joined: a loaded machine may keep it off. */
static void test_team_work(void **state)
{
    (void)state;
    char path[4096];
    person_detect_path(path, sizeof path);
    for (unsigned threads = 1; threads <= 2; threads++) {
        edge_model *m;
        edge_interp *it;
        open_threads(path, threads, &m, &it);
        invoke_n(it, 2);
        edge_thread_stats before, after;
        edge_interp_thread_stats(it, &before);
        assert_int_equal(edge_interp_set_profiling(it, 1), 0);
        invoke_n(it, 8);
        edge_interp_thread_stats(it, &after);
        uint64_t caller = 0, helpers = 0;
        for (size_t i = 0; i < edge_interp_profile_count(it); i++) {
            edge_node_profile p;
            if (edge_interp_profile(it, i, &p))
                continue;
            const double most =
                (double)p.total_ns * (p.chain ? 2.1 : 1.05) + 2000.0 * (double)p.count;
            if (threads == 1) {
                assert_int_equal(p.caller_work_ns, 0);
                assert_int_equal(p.helpers_work_ns, 0);
            }
            assert_true((double)p.caller_work_ns <= most);
            assert_true((double)p.helpers_work_ns <= most);
            caller += p.caller_work_ns;
            helpers += p.helpers_work_ns;
        }
        print_message("# %u thread(s): caller %llu ns, helpers %llu ns in 8 invokes\n", threads,
                      (unsigned long long)caller, (unsigned long long)helpers);
        if (threads == 2) {
            assert_true(caller > 0);
            const double team_caller = (double)(after.caller_work_ns - before.caller_work_ns),
                         team_helpers = (double)(after.helpers_work_ns - before.helpers_work_ns);
            assert_true((double)caller <= team_caller * 1.05 + 1000.0);
            assert_true((double)helpers <= team_helpers * 1.05 + 1000.0);
        }
        edge_interp_free(it);
        edge_model_unref(m);
    }
}

/* A model whose float16 weights' DEQUANTIZE nodes are folded away at load (the zoo's MediaPipe
 * hand landmark model): their entries answer EDGE_ENOTFOUND, never a stale node, every other
 * entry ran once, and the report prints (it crashed on the folded slots). */
static void test_folded_nodes(void **state)
{
    (void)state;
    edge_model *m;
    edge_interp *it;
    char *path;
    open_shared("zoo/mp_hand_landmark_lite", &m, &it, &path);
    assert_int_equal(edge_interp_set_profiling(it, 1), 0);
    invoke_n(it, 1);
    size_t ran = 0, folded = 0;
    for (size_t i = 0; i < edge_interp_profile_count(it); i++) {
        edge_node_profile p;
        const int rc = edge_interp_profile(it, i, &p);
        if (rc == EDGE_ENOTFOUND) {
            folded++;
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(p.count, 1);
        ran++;
    }
    assert_true(folded > 0);
    assert_int_equal(ran, edge_model_node_count(m));
    FILE *f = fopen("/dev/null", "w");
    assert_non_null(f);
    edge_profile_report(f, it);
    fclose(f);
    edge_interp_free(it);
    edge_model_unref(m);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_by_default),
        cmocka_unit_test(test_counts_and_order),
        cmocka_unit_test(test_while_subgraphs),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_edgectl),
        cmocka_unit_test(test_folded_nodes),
        cmocka_unit_test(test_macs),
        cmocka_unit_test(test_peak),
        cmocka_unit_test(test_gops_column),
        cmocka_unit_test(test_work_columns),
        cmocka_unit_test(test_team_work),
        cmocka_unit_test(test_chain_line),
        cmocka_unit_test(test_chain_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
