/* tests/fuzz/robust_limits.c - small hostile files must not cost the loader gigabytes or minutes.
 *
 * Owns: files that are valid FlatBuffers but share tables, so a few bytes
 * describe a huge graph:
 *   - fan-in: N operators that all point at one Operator table with M inputs
 *     (4N + 4M bytes describe N*M tensor reads);
 *   - planner: K graph inputs that all point at one Tensor table (8K bytes
 *     describe K tensors alive at the same time);
 * and a convolution whose weights fit in 256 KB but whose invoke needs ~4e10
 * multiply-adds within the 64 MiB arena limit (refused by the work budget).
 * Also: a model file rewritten in place (same inode, as `cp` does) after
 * edge_model_open must not make invoke read out of bounds.
 * Each open runs in a forked child (so a blow-up cannot take the test run with
 * it) that reports its time and its peak resident memory growth; the test
 * fails when the open is slower than LIMIT_SECONDS or grows by more than
 * LIMIT_GROWTH_KB. Does not own the crafted format errors (robust_crafted.c). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpu_op.h"
#include "fuzz_util.h"
#include "robust.h"
#include "tflite_schema.h"

/* A bound that catches a hang or a blow-up (a quadratic pass over millions
 * of entries takes hours), not a speed target: the 32768-input planner case
 * takes ~2 s here but took 14 s under ASan with the CI's other tests beside
 * it. Speed is bench/'s business. */
#define LIMIT_SECONDS 90.0
#define LIMIT_GROWTH_KB (64L * 1024)
#define CHILD_ALARM 300

/* ------------------------------------------------------------------ measuring a child */

/* In a forked child: default signal handling (cmocka's handlers would resume
 * the test runner in the child), so a crash shows as the child's signal. */
static void child_signals(void)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL);
}

typedef struct child_report {
    int rc;      /* open's result */
    double secs; /* open (+ invoke when asked) */
    double invoke_secs;
    long grew_kb; /* peak RSS minus RSS at start */
    char msg[200];
} child_report;

static long rss_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void child_run(const uint8_t *buf, size_t n, bool invoke, int fd)
{
    child_signals();
    alarm(CHILD_ALARM);
    child_report r = {0};
    const long before = rss_kb();
    const double t0 = fz_now();
    edge_model *m = NULL;
    edge_error err = {0};
    const edge_model_options opt = {.max_arena_bytes = ROBUST_ARENA_LIMIT};
    r.rc = edge_model_open_buffer(buf, n, &opt, &m, &err);
    if (r.rc == 0 && invoke) {
        edge_interp *it = NULL;
        if (edge_interp_new(m, &it, &err) == 0) {
            const double t1 = fz_now();
            edge_interp_invoke(it);
            r.invoke_secs = fz_now() - t1;
            edge_interp_free(it);
        }
    }
    r.secs = fz_now() - t0;
    edge_model_unref(m);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r.grew_kb = ru.ru_maxrss - before;
    snprintf(r.msg, sizeof r.msg, "%.199s", r.rc ? err.message : "loaded");
    if (write(fd, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(2);
    _exit(0);
}

/* Open BUF in a child; fails the test if the child dies. */
static child_report measure(const char *label, const uint8_t *buf, size_t n, bool invoke)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    const pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_run(buf, n, invoke, fds[1]);
    }
    close(fds[1]);
    child_report r = {0};
    const ssize_t got = read(fds[0], &r, sizeof r);
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("%s: the loader died with signal %d (%s)", label, WTERMSIG(status),
                 WTERMSIG(status) == SIGALRM ? "still busy after the alarm" : "crash");
    if (got != (ssize_t)sizeof r || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("%s: the child failed (exit status %d)", label, WEXITSTATUS(status));
    printf("  %-30s %zu-byte file: %s in %.2f s (invoke %.2f s), peak memory +%ld MiB: %s\n", label,
           n, edge_err_name(r.rc), r.secs, r.invoke_secs, r.grew_kb / 1024, r.msg);
    return r;
}

/* Memory is not checked under ASan for cases whose growth is the quarantine of
 * many small frees (CHECK_MEMORY false). */
static void check_bounds(const char *label, const child_report *r, bool check_memory)
{
    if (r->rc && !r->msg[0])
        fail_msg("%s: refused without a message", label);
    if (r->secs > LIMIT_SECONDS || (check_memory && r->grew_kb > LIMIT_GROWTH_KB))
        fail_msg("%s: took %.1f s and %ld MiB (limits %.0f s, %ld MiB)", label, r->secs,
                 r->grew_kb / 1024, LIMIT_SECONDS, LIMIT_GROWTH_KB / 1024);
}

/* ------------------------------------------------------------------ appending tables */

typedef struct app {
    uint8_t *b;
    size_t n;
} app;

/* Reserve BYTES (zeroed) at the end, aligned to ALIGN; returns their offset. */
static size_t take(app *a, size_t bytes, size_t align)
{
    const size_t at = (a->n + align - 1) & ~(align - 1);
    uint8_t *b = realloc(a->b, at + bytes);
    assert_non_null(b);
    memset(b + a->n, 0, at + bytes - a->n);
    a->b = b;
    a->n = at + bytes;
    return at;
}

static void link_to(app *a, size_t at, size_t target)
{
    fz_put32(a->b, at, (uint32_t)(target - at));
}

/* A vtable of N_FIELDS 4-byte fields at offsets 4, 8, ...; returns its offset. */
static size_t vtable4(app *a, int n_fields)
{
    const size_t vt = take(a, 4 + 2 * (size_t)n_fields, 2);
    fz_put16(a->b, vt, (uint16_t)(4 + 2 * n_fields));
    fz_put16(a->b, vt + 2, (uint16_t)(4 + 4 * n_fields));
    for (int i = 0; i < n_fields; i++)
        fz_put16(a->b, vt + 4 + 2 * (size_t)i, (uint16_t)(4 + 4 * i));
    return vt;
}

static size_t table4(app *a, size_t vt, int n_fields)
{
    const size_t t = take(a, 4 + 4 * (size_t)n_fields, 4);
    fz_put32(a->b, t, (uint32_t)(t - vt));
    return t;
}

static size_t ivec(app *a, uint32_t n, int32_t first, int32_t step)
{
    const size_t v = take(a, 4 + 4 * (size_t)n, 4);
    fz_put32(a->b, v, n);
    for (uint32_t i = 0; i < n; i++)
        fz_put32(a->b, v + 4 + 4 * (size_t)i, (uint32_t)(first + step * (int32_t)i));
    return v;
}

/* A writer model with the given tensors (x, y: [1,4] int8), one ADD opcode, no
 * operators and io x -> y; *subgraph gets the SubGraph table's offset. */
static app base_file(size_t *subgraph, int n_tensors)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t d[2] = {1, 4};
    int32_t x = -1, y = -1;
    for (int i = 0; i < n_tensors; i++)
        y = robust_add_q(w, EDGE_INT8, i ? "y" : "x", 2, d, 0.5f, 0);
    x = 0;
    tfw_add_opcode(w, EDGE_OP_ADD, 1);
    tfw_set_io(w, &x, 1, &y, 1);
    app a = {0};
    a.b = robust_finish(w, &a.n);
    *subgraph = tfw_where(w, TFW_AT_SUBGRAPH, 0);
    tfw_free(w);
    return a;
}

static void repoint(app *a, size_t subgraph, unsigned slot, size_t target)
{
    const size_t f = tfw_field_at(a->b, a->n, subgraph, slot);
    assert_true(f != SIZE_MAX);
    link_to(a, f, target);
}

/* ------------------------------------------------------------------------ the cases */

/* N operators: N-1 entries share one table reading y M times (no outputs), the
 * last writes y from x, so the file order is invalid and the graph is sorted. */
static app fan_in_file(uint32_t n_ops, uint32_t m_in)
{
    size_t sg;
    app a = base_file(&sg, 2);
    const size_t ops = ivec(&a, n_ops, 0, 0);
    const size_t vt = vtable4(&a, 3); /* opcode_index, inputs, outputs */
    const size_t shared = table4(&a, vt, 3), last = table4(&a, vt, 3);
    link_to(&a, shared + 8, ivec(&a, m_in, 1, 0));
    link_to(&a, shared + 12, ivec(&a, 0, 0, 0));
    link_to(&a, last + 8, ivec(&a, 2, 0, 0));
    link_to(&a, last + 12, ivec(&a, 1, 1, 0));
    for (uint32_t i = 0; i < n_ops; i++)
        link_to(&a, ops + 4 + 4 * (size_t)i, i + 1 < n_ops ? shared : last);
    repoint(&a, sg, TFL_SUBGRAPH_OPERATORS, ops);
    return a;
}

static void test_fan_in(void **state)
{
    (void)state;
    app small = fan_in_file(4, 4);
    const child_report rs = measure("fan-in 4 x 4 (control)", small.b, small.n, false);
    free(small.b);
    if (rs.rc == EDGE_EFORMAT && strstr(rs.msg, "malformed"))
        fail_msg("the fan-in construction itself is malformed: %s", rs.msg);
    const uint32_t n = (uint32_t)fz_env_u64("EDGE_FUZZ_FANIN", 16384);
    const uint32_t m = (uint32_t)fz_env_u64("EDGE_FUZZ_FANIN_M", 1024);
    app big = fan_in_file(n, m);
    char label[64];
    snprintf(label, sizeof label, "fan-in %u ops x %u inputs", n, m);
    const child_report r = measure(label, big.b, big.n, false);
    free(big.b);
    check_bounds(label, &r, true);
}

/* K tensors sharing one Tensor table ([1,4] int8), all of them graph inputs. */
static app planner_file(uint32_t k)
{
    size_t sg;
    app a = base_file(&sg, 1);
    const size_t tensors = ivec(&a, k, 0, 0);
    const size_t vt = vtable4(&a, 3); /* shape, type (4-byte slot), buffer */
    const size_t t = table4(&a, vt, 3);
    link_to(&a, t + 4, ivec(&a, 2, 1, 3)); /* shape [1, 4] */
    fz_put32(a.b, t + 8, EDGE_INT8);
    for (uint32_t i = 0; i < k; i++)
        link_to(&a, tensors + 4 + 4 * (size_t)i, t);
    repoint(&a, sg, TFL_SUBGRAPH_TENSORS, tensors);
    repoint(&a, sg, TFL_SUBGRAPH_INPUTS, ivec(&a, k, 0, 1));
    repoint(&a, sg, TFL_SUBGRAPH_OUTPUTS, ivec(&a, 1, 0, 0));
    return a;
}

static void test_planner(void **state)
{
    (void)state;
    app small = planner_file(8);
    const child_report rs = measure("8 live inputs (control)", small.b, small.n, false);
    free(small.b);
    if (rs.rc)
        fail_msg("the planner construction itself is refused: %s", rs.msg);
    const uint32_t k = (uint32_t)fz_env_u64("EDGE_FUZZ_PLANNER", 32768);
    app big = planner_file(k);
    char label[64];
    snprintf(label, sizeof label, "%u live graph inputs", k);
    const child_report r = measure(label, big.b, big.n, false);
    free(big.b);
    check_bounds(label, &r, false);
}

/* ------------------------------------------------------------ compute budget (opt-in) */

/* CONV_2D 3x3, C in/out channels, on an HxH int8 input; weights 9*C*C bytes. */
static uint8_t *big_conv(int32_t h, int32_t c, size_t *n)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t xd[4] = {1, h, h, c}, fd[4] = {c, 3, 3, c}, bd[1] = {c};
    const size_t fbytes = 9 * (size_t)c * (size_t)c;
    int8_t *fdata = calloc(fbytes, 1);
    int32_t *bdata = calloc((size_t)c, sizeof *bdata);
    assert_true(fdata && bdata);
    for (size_t i = 0; i < fbytes; i++)
        fdata[i] = (int8_t)(i * 7 % 255 - 127);
    const tfw_tensor_desc ft = {
        .type = EDGE_INT8, .rank = 4, .dims = fd, .name = "w", .q_count = 1, .scale = 0.01f};
    const tfw_tensor_desc bt = {
        .type = EDGE_INT32, .rank = 1, .dims = bd, .name = "b", .q_count = 1, .scale = 0.005f};
    const int32_t in[3] = {robust_add_q(w, EDGE_INT8, "x", 4, xd, 0.5f, 0),
                           tfw_add_const(w, &ft, fdata, fbytes),
                           tfw_add_const(w, &bt, bdata, (size_t)c * sizeof *bdata)};
    const int32_t o = robust_add_q(w, EDGE_INT8, "o", 4, xd, 1.0f, 0);
    tfw_options opt;
    tfw_opt_init(&opt, TFL_OPT_Conv2DOptions);
    tfw_opt_i8(&opt, 0, EDGE_PAD_SAME);
    tfw_opt_i32(&opt, 1, 1);
    tfw_opt_i32(&opt, 2, 1);
    const int32_t opc = tfw_add_opcode(w, EDGE_OP_CONV_2D, 1);
    tfw_add_operator(w, opc, in, 3, &o, 1, &opt);
    tfw_set_io(w, in, 1, &o, 1);
    uint8_t *buf = robust_finish(w, n);
    tfw_free(w);
    free(fdata);
    free(bdata);
    return buf;
}

/* A 255 KB file whose one CONV_2D needs 4.1e10 multiply-accumulates (about 25 s
 * per invoke on the reference kernels) is refused at load by the default work
 * budget, naming the node and the figures; raising max_macs lets it load. */
static void test_compute_budget(void **state)
{
    (void)state;
    const int32_t h = (int32_t)fz_env_u64("EDGE_FUZZ_CONV_H", 400), c = 168;
    size_t n;
    uint8_t *buf = big_conv(h, c, &n);
    const double macs = (double)h * h * c * 9 * c;
    edge_model *m = NULL;
    edge_error err = {0};
    edge_model_options opt = {.max_arena_bytes = 64u << 20};
    assert_int_equal(edge_model_open_buffer(buf, n, &opt, &m, &err), EDGE_ELIMIT);
    assert_non_null(strstr(err.message, "multiply-accumulates"));
    assert_non_null(strstr(err.message, "node 0 (CONV_2D)"));
    printf("  compute budget: %.2g MACs refused: %s\n", macs, err.message);
    opt.max_macs = (uint64_t)(macs * 1.01);
    assert_int_equal(edge_model_open_buffer(buf, n, &opt, &m, &err), 0);
    assert_true((double)edge_model_macs(m) >= macs);
    edge_model_unref(m);
    free(buf);
}

/* A file changed in place after it was opened (same inode, as `cp` over a
 * served model does) must not make invoke read out of bounds: everything eval
 * indexes with was copied out of the mapping when the model was verified. The
 * child opens a one-ADD model from disk, overwrites node 0's first input index
 * with 1000000 in the file, then invokes. */
static void rewritten_child(const char *path, size_t at)
{
    child_signals();
    alarm(CHILD_ALARM);
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    if (edge_model_open(path, NULL, &m, &err) || edge_interp_new(m, &it, &err))
        _exit(3);
    const uint32_t bad = 1000000;
    const int fd = open(path, O_WRONLY);
    if (fd < 0 || pwrite(fd, &bad, sizeof bad, (off_t)at) != (ssize_t)sizeof bad)
        _exit(4);
    close(fd);
    edge_interp_invoke(it);
    edge_interp_free(it);
    edge_model_unref(m);
    _exit(0);
}

static void test_rewritten_in_place(void **state)
{
    (void)state;
    tfw_writer *w = tfw_new();
    static const int32_t dims[2] = {1, 4};
    const int32_t in = robust_add_q(w, EDGE_INT8, "in", 2, dims, 0.5f, 0);
    const int32_t in2 = robust_add_q(w, EDGE_INT8, "in2", 2, dims, 0.5f, 0);
    const int32_t out = robust_add_q(w, EDGE_INT8, "out", 2, dims, 1.0f, 0);
    const int32_t ins[2] = {in, in2};
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_ADD, 1), ins, 2, &out, 1, NULL);
    tfw_set_io(w, ins, 2, &out, 1);
    size_t n;
    uint8_t *buf = robust_finish(w, &n);
    const size_t at = tfw_where(w, TFW_AT_OP_INPUTS, 0) + 4; /* element 0 */
    assert_true(at + 4 <= n);
    char path[] = "/tmp/edge-rewrite-XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    close(fd);
    fflush(stdout);
    const pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        rewritten_child(path, at);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    unlink(path);
    free(buf);
    tfw_free(w);
    if (WIFSIGNALED(status))
        fail_msg("invoke after the file was rewritten in place died with signal %d",
                 WTERMSIG(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    printf("  file rewritten in place after open: invoke still safe\n");
}

static const struct CMUnitTest limits_tests[] = {
    cmocka_unit_test(test_fan_in),
    cmocka_unit_test(test_planner),
    cmocka_unit_test(test_compute_budget),
    cmocka_unit_test(test_rewritten_in_place),
};

const struct CMUnitTest *robust_limits_tests(size_t *n)
{
    *n = sizeof limits_tests / sizeof limits_tests[0];
    return limits_tests;
}
