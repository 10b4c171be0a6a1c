/* tests/models/test_generated.c - random single-operator models and the demo model.
 *
 * Owns: for every operator the CPU back end lists (a registered operator without a generator
 * fails), N seeded random cases from tools/opgen.c: the int8 model and its float32 twin (same
 * real weights, the dequantized input) must both open and run, and each output of the int8
 * model (every one: the detection and pose operators have four), dequantized, must follow the
 * float32 model's clamped to what the int8 output can hold, within the case's bound
 * (tools/opgen.h: a few output quantization steps for the arithmetic operators, exact for data
 * movement and MAX/MIN; integer and boolean outputs equal). Operators without a float32 twin
 * (RFFT2D, the signal operators, CAST...) are checked against the generator's own result
 * (opgen_case.expected, or an f model that only holds it). Each case runs again as its uint8
 * and int16 (16x8) variants (tools/opgen_types.c) for every type the operator's row in
 * backends/cpu/optypes.c lists, and every kernel level must give the scalar level's bytes.
 * An operator the runtime cannot open (e.g. EDGE_EUNSUPPORTED) FAILS. Also the demo model
 * (tools/digits.c): each drawn digit, and a smudged copy of it, is ranked first.
 * Environment: EDGE_GEN_FILTER=substring of operator names; EDGE_GEN_CASES=N
 * cases per operator (default 100); EDGE_GEN_SEED=first seed (default 1).
 * A failing case prints its operator, seed and parameters; reproduce it with
 * `edge-mkmodel op [--float | --type uint8|int16] NAME SEED out.tflite`. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "digits.h"
#include "edge/runtime.h"
#include "opgen.h"
#include "optypes.h"
#include "test_support.h"

static unsigned long env_num(const char *name, unsigned long def)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end;
    errno = 0;
    const unsigned long n = strtoul(v, &end, 0);
    return errno || *end ? def : n;
}

/* " (UINT8)" / " (INT16)" after a variant's operator name, "" for int8. */
static const char *variant(const opgen_case *c)
{
    return c->qtype == EDGE_UINT8 ? " (UINT8)" : c->qtype == EDGE_INT16 ? " (INT16)" : "";
}

/* A model opened and run on its inputs. */
typedef struct run {
    edge_model *m;
    edge_interp *it;
    edge_tensor_info out;
    const void *data;
    size_t bytes;
} run;

/* Output O of a run model into R's out, data and bytes; false when it has none. */
static bool run_output(run *r, size_t o)
{
    if (edge_model_output_info(r->m, o, &r->out) != 0)
        return false;
    r->data = edge_interp_output(r->it, o, &r->bytes);
    return r->data != NULL;
}

static void run_free(run *r)
{
    edge_interp_free(r->it);
    edge_model_unref(r->m);
}

/* Open and invoke M; on failure prints why (with WHAT and the case) and returns false. */
static bool run_model_opt(const opgen_case *c, const opgen_model *gm, const char *what,
                          const edge_model_options *opt, run *r)
{
    memset(r, 0, sizeof *r);
    edge_error err = {0};
    int rc = edge_model_open_buffer(gm->file, gm->size, opt, &r->m, &err);
    if (!rc)
        rc = edge_interp_new(r->m, &r->it, &err);
    if (rc) {
        printf("FAIL %s%s seed %u (%s model): %s: %s\n      case:%s\n", c->op, variant(c),
               (unsigned)c->seed, what, edge_err_name(rc), err.message, c->desc);
        return false;
    }
    if (edge_model_input_count(r->m) != (size_t)gm->n_inputs) {
        printf("FAIL %s%s seed %u (%s model): %zu inputs, generated %d\n", c->op, variant(c),
               (unsigned)c->seed, what, edge_model_input_count(r->m), gm->n_inputs);
        return false;
    }
    for (int i = 0; i < gm->n_inputs; i++) {
        size_t bytes = 0;
        void *dst = edge_interp_input(r->it, (size_t)i, &bytes);
        if (!dst || bytes != gm->input_bytes[i]) {
            printf("FAIL %s%s seed %u (%s model): input %d holds %zu bytes, generated %zu\n", c->op,
                   variant(c), (unsigned)c->seed, what, i, bytes, gm->input_bytes[i]);
            return false;
        }
        memcpy(dst, gm->input[i], bytes);
    }
    rc = edge_interp_invoke(r->it);
    if (rc || !run_output(r, 0)) {
        printf("FAIL %s%s seed %u (%s model): invoke: %s\n", c->op, variant(c), (unsigned)c->seed,
               what, edge_err_name(rc));
        return false;
    }
    return true;
}

static bool run_model(const opgen_case *c, const opgen_model *gm, const char *what, run *r)
{
    const edge_model_options scalar = {.isa = EDGE_ISA_SCALAR};
    return run_model_opt(c, gm, what, &scalar, r);
}

/* Every kernel configuration this machine has (tests/support) gives REF's bytes,
 * which the scalar level computed. */
static bool same_bytes(run *a, run *b)
{
    const size_t n = edge_model_output_count(a->m);
    bool same = n == edge_model_output_count(b->m);
    for (size_t o = 0; o < n && same; o++)
        same = run_output(a, o) && run_output(b, o) && a->bytes == b->bytes &&
               memcmp(a->data, b->data, a->bytes) == 0;
    return same;
}

/* Every kernel configuration this machine has (tests/support) gives REF's bytes (every
 * output), which the scalar level computed. */
static bool check_levels(const opgen_case *c, run *ref)
{
    bool ok = true;
    for (size_t i = 0; i < edge_test_n_kconfigs; i++) {
        const edge_test_kconfig *k = &edge_test_kconfigs[i];
        bool lacks;
        if ((k->opt.isa == EDGE_ISA_SCALAR && !k->portable) || !edge_test_kconfig_runs(k, &lacks))
            continue;
        edge_test_kconfig_enter(k);
        run r;
        const bool ran = run_model_opt(c, &c->q, k->name, &k->opt, &r);
        edge_test_kconfig_leave();
        if (ran && !same_bytes(&r, ref)) {
            printf("FAIL %s%s seed %u: %s (%s) differs from the reference kernels\n      case:%s\n",
                   c->op, variant(c), (unsigned)c->seed, k->name, edge_model_kernels(r.m), c->desc);
            ok = false;
        }
        ok &= ran;
        run_free(&r);
    }
    return ok;
}

static bool same_shape(const edge_tensor_info *a, const edge_tensor_info *b)
{
    if (a->rank != b->rank)
        return false;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d])
            return false;
    return true;
}

static bool quantized_type(int type)
{
    return type == EDGE_INT8 || type == EDGE_UINT8 || type == EDGE_INT16;
}

/* Raw value I of a quantized output. */
static double raw_value(const run *q, size_t i)
{
    switch (q->out.type) {
    case EDGE_INT8: return ((const int8_t *)q->data)[i];
    case EDGE_UINT8: return ((const uint8_t *)q->data)[i];
    default: return ((const int16_t *)q->data)[i];
    }
}

/* The range of raw values of the quantized type TYPE. */
static void raw_range(int type, double *lo, double *hi)
{
    *lo = type == EDGE_INT8 ? -128.0 : type == EDGE_UINT8 ? 0.0 : -32768.0;
    *hi = type == EDGE_INT8 ? 127.0 : type == EDGE_UINT8 ? 255.0 : 32767.0;
}

/* Value I of the q model's output as a real number (dequantized when quantized). */
static double q_value(const run *q, size_t i)
{
    if (quantized_type(q->out.type))
        return (raw_value(q, i) - q->out.zero_point) * q->out.scale;
    return ((const float *)q->data)[i];
}

/* Compare the outputs; returns the number of elements out of bounds and
 * raises *worst to the largest error in output steps (int8) seen. */
static size_t compare(const opgen_case *c, const run *q, const run *f, double *worst)
{
    const size_t n = f->bytes / sizeof(float);
    /* Outputs of one non-float type (booleans, indices, shapes, an unquantized int16 or uint32
     * of the signal operators, the same quantized type in both models) must be equal, byte for
     * byte, element by element. */
    if (q->out.type == f->out.type && q->out.type != EDGE_FLOAT32 &&
        q->out.type != EDGE_COMPLEX64) {
        const size_t es = edge_dtype_size(q->out.type);
        size_t bad = 0;
        for (size_t i = 0; es && i < f->bytes / es; i++)
            if (memcmp((const uint8_t *)q->data + i * es, (const uint8_t *)f->data + i * es, es) !=
                    0 &&
                bad++ < 3)
                printf("      [%zu] the two %s outputs differ\n", i, edge_dtype_name(q->out.type));
        return bad;
    }
    /* A quantized output against the float32 twin's; an unquantized one (scale 0) is taken as
     * a float32 output of another type, which the sizes check refuses. */
    const bool quantized = quantized_type(q->out.type) && q->out.scale > 0.0f;
    if (!quantized && q->out.type != EDGE_FLOAT32 && q->out.type != EDGE_COMPLEX64) {
        printf("      the %s output is neither quantized nor float32\n",
               edge_dtype_name(q->out.type));
        return 1;
    }
    const double step = quantized ? q->out.scale : 0.0;
    double lo = -INFINITY, hi = INFINITY;
    if (quantized) {
        raw_range(q->out.type, &lo, &hi);
        lo = (lo - q->out.zero_point) * step;
        hi = (hi - q->out.zero_point) * step;
    }
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double r = ((const float *)f->data)[i];
        const double o = q_value(q, i);
        if (isfinite(r))
            r = r < lo ? lo : r > hi ? hi : r;
        const double err = fabs(o - r);
        const double bound = c->tol_steps * step + c->tol_rel * fabs(r) + c->tol_abs + 1e-6;
        if (quantized && err / step > *worst)
            *worst = err / step;
        if (!(err <= bound) && bad++ < 3)
            printf("      [%zu] %s model %.7g, float32 model %.7g: off by %.3g (%.2f steps), "
                   "bound %.3g\n",
                   i, edge_dtype_name(q->out.type), o, r, err, quantized ? err / step : 0.0, bound);
    }
    return bad;
}

/* Element I of DATA, an output of TYPE, as a number (exact for every integer type: long double
 * holds 64 bits); complex64 counts its real and imaginary parts as two elements. */
static long double element(int type, const void *data, size_t i)
{
    switch (type) {
    case EDGE_INT8: return ((const int8_t *)data)[i];
    case EDGE_UINT8: return ((const uint8_t *)data)[i];
    case EDGE_INT16: return ((const int16_t *)data)[i];
    case EDGE_INT32: return ((const int32_t *)data)[i];
    case EDGE_UINT32: return ((const uint32_t *)data)[i];
    case EDGE_INT64: return ((const int64_t *)data)[i];
    case EDGE_UINT64: return ((const uint64_t *)data)[i];
    default: return ((const float *)data)[i]; /* float32, complex64 */
    }
}

/* The q model's output against the generator's own result (opgen_case.expected); returns the
 * number of elements out of bounds. */
static size_t compare_expected(const opgen_case *c, const run *q)
{
    const bool floats = q->out.type == EDGE_FLOAT32 || q->out.type == EDGE_COMPLEX64;
    const size_t es = floats ? sizeof(float) : edge_dtype_size(q->out.type);
    if (!es || q->bytes != c->expected_bytes) {
        printf("      the output holds %zu bytes, the generator expected %zu\n", q->bytes,
               c->expected_bytes);
        return 1;
    }
    size_t bad = 0;
    for (size_t i = 0; i < q->bytes / es; i++) {
        const long double o = element(q->out.type, q->data, i);
        const long double e = element(q->out.type, c->expected, i);
        const long double err = fabsl(o - e);
        const long double bound = c->tol_rel * fabsl(e) + c->tol_abs + (floats ? 1e-6 : 0.0);
        if (!(err <= bound) && bad++ < 3)
            printf("      [%zu] %s output %.10Lg, expected %.10Lg: off by %.3Lg, bound %.3Lg\n", i,
                   edge_dtype_name(q->out.type), o, e, err, bound);
    }
    return bad;
}

/* Output O of both models: same shape, values within the case's bound. */
static bool check_output(const opgen_case *c, size_t o, const run *q, const run *f, double *worst)
{
    if (!same_shape(&q->out, &f->out) ||
        q->bytes / edge_dtype_size(q->out.type) != f->bytes / edge_dtype_size(f->out.type)) {
        printf("FAIL %s%s seed %u: the two models' outputs %zu differ in shape\n", c->op,
               variant(c), (unsigned)c->seed, o);
        return false;
    }
    const size_t bad = compare(c, q, f, worst);
    if (bad)
        printf("FAIL %s%s seed %u: %zu of %zu values of output %zu out of bounds (%.2g steps + "
               "%.2g relative)\n      case:%s\n",
               c->op, variant(c), (unsigned)c->seed, bad, f->bytes / 4, o, (double)c->tol_steps,
               (double)c->tol_rel, c->desc);
    return bad == 0;
}

/* One case: both models open and run, every output agrees. Returns true when it passes. */
static bool check_case(const opgen_case *c, double *worst)
{
    run q = {0}, f = {0};
    bool ok =
        run_model(c, &c->q, edge_dtype_name(c->qtype), &q) && run_model(c, &c->f, "float32", &f);
    const size_t n_out = ok ? edge_model_output_count(q.m) : 0;
    if (ok && n_out != edge_model_output_count(f.m)) {
        printf("FAIL %s%s seed %u: the two models have %zu and %zu outputs\n", c->op, variant(c),
               (unsigned)c->seed, n_out, edge_model_output_count(f.m));
        ok = false;
    }
    for (size_t o = 0; ok && o < n_out; o++)
        ok = run_output(&q, o) && run_output(&f, o) && check_output(c, o, &q, &f, worst);
    if (ok && c->expected) {
        const size_t bad = run_output(&q, 0) ? compare_expected(c, &q) : 1;
        if (bad) {
            printf("FAIL %s%s seed %u: %zu outputs differ from the generator's result\n"
                   "      case:%s\n",
                   c->op, variant(c), (unsigned)c->seed, bad, c->desc);
            ok = false;
        }
    }
    if (ok)
        ok = check_levels(c, &q);
    run_free(&q);
    run_free(&f);
    return ok;
}

/* Cases FIRST .. FIRST + N - 1 of OP in QTYPE; returns the number that failed. */
static unsigned long run_cases(const char *op, int qtype, unsigned long first, unsigned long n)
{
    const char *label = qtype == EDGE_INT8 ? "base" : edge_dtype_name(qtype);
    unsigned long failed = 0, same = 0;
    double worst = 0.0;
    for (unsigned long s = first; s < first + n; s++) {
        opgen_case c;
        const int rc = opgen_make_typed(op, (uint32_t)s, qtype, &c);
        if (rc == EDGE_ENOTFOUND && qtype != EDGE_INT8) { /* no int8 tensor: the base case */
            same++;
            continue;
        }
        if (rc) {
            printf("FAIL %s (%s) seed %lu: the generator failed: %s\n", op, label, s,
                   edge_err_name(rc));
            failed++;
            continue;
        }
        failed += !check_case(&c, &worst);
        opgen_case_free(&c);
    }
    if (same == n) {
        printf("%s (%s): the generated models have no int8 tensor to make %s (the operator's %s "
               "is native to its base cases)\n",
               op, label, label, label);
        return failed;
    }
    printf("%s (%s): %lu cases (seeds %lu..%lu), %lu failed, largest error %.2f output steps", op,
           label, n - same, first, first + n - 1, failed, worst);
    printf(same ? ", %lu seeds with no int8 tensor (base cases)\n" : "\n", same);
    return failed;
}

/* The quantized types beyond int8 that OP's row in the operator table lists. */
static uint32_t variant_types(size_t i)
{
    const int32_t code = opgen_op_code(i);
    const edge_optype *row =
        edge_optype_find(code, code == EDGE_OP_CUSTOM ? opgen_op_name(i) : NULL);
    if (!row || row->types == EDGE_OPTYPE_NO_INPUTS)
        return 0;
    return row->types & (EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_INT16));
}

/* Every generated operator: its int8 cases, then one run of cases per further quantized type
 * its operator table row lists (uint8, int16), unless tools/opgen.c names the gap. */
static void test_operator(void **state)
{
    const size_t i = (size_t)(uintptr_t)*state;
    const char *op = opgen_op_name(i);
    const unsigned long n = env_num("EDGE_GEN_CASES", 100);
    const unsigned long first = env_num("EDGE_GEN_SEED", 1);
    unsigned long failed = run_cases(op, EDGE_INT8, first, n);
    const int variants[] = {EDGE_UINT8, EDGE_INT16};
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        const int t = variants[v];
        const char *gap = opgen_type_gap(op, t);
        if (!(variant_types(i) & EDGE_DTYPE_BIT(t))) {
            if (gap) {
                printf("FAIL %s: a gap is named for %s, which its operator table row does not "
                       "list\n",
                       op, edge_dtype_name(t));
                failed++;
            }
            continue;
        }
        if (gap) {
            printf("%s (%s): not generated: %s\n", op, edge_dtype_name(t), gap);
            continue;
        }
        failed += run_cases(op, t, first, n);
    }
    if (failed)
        fail_msg("%s: %lu generated cases failed (seeds printed above; reproduce with "
                 "edge-mkmodel op [--type uint8|int16] %s SEED out.tflite)",
                 op, failed, op);
}

/* Every operator the CPU registry runs, builtin and custom, has a generator: a new operator
 * without one fails here (issue 17: generated random models for every operator). */
static void test_every_operator_has_a_generator(void **state)
{
    (void)state;
    size_t ops = 0, missing = 0;
    const char *custom = NULL;
    for (const edge_op *op; (op = edge_cpu_op_at(ops, &custom)); ops++) {
        const char *name = custom ? custom : edge_op_name(op->code);
        size_t i = 0;
        while (i < opgen_op_count() && strcmp(opgen_op_name(i), name) != 0)
            i++;
        if (i == opgen_op_count()) {
            printf("operator %s has no generator in tools/opgen.c\n", name);
            missing++;
        } else if (opgen_op_code(i) != op->code) {
            printf("the generator of %s has code %d, the registry %d\n", name,
                   (int)opgen_op_code(i), (int)op->code);
            missing++;
        }
    }
    assert_true(ops > 100);
    if (missing)
        fail_msg("%zu of %zu registered operators have no generator", missing, ops);
}

/* ---- the demo model ---- */

static int top1(const int8_t *probs, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (probs[i] > probs[best])
            best = i;
    return best;
}

static int classify(edge_interp *it, const int8_t *img, int8_t *probs)
{
    size_t bytes;
    void *in = edge_interp_input(it, 0, &bytes);
    assert_non_null(in);
    assert_int_equal(bytes, DIGITS_PIXELS);
    memcpy(in, img, DIGITS_PIXELS);
    assert_int_equal(edge_interp_invoke(it), 0);
    const void *out = edge_interp_output(it, 0, &bytes);
    assert_non_null(out);
    assert_int_equal(bytes, DIGITS_CLASSES);
    memcpy(probs, out, DIGITS_CLASSES);
    return top1(probs, DIGITS_CLASSES);
}

static void test_digits_demo(void **state)
{
    (void)state;
    for (int a = 0; a < DIGITS_CLASSES; a++) /* a one-pixel smudge cannot change the answer */
        for (int b = a + 1; b < DIGITS_CLASSES; b++)
            assert_true(digits_distance(a, b) >= 3);
    uint8_t *file;
    size_t size;
    assert_int_equal(digits_model(&file, &size), 0);
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    int rc = edge_model_open_buffer(file, size, NULL, &m, &err);
    if (!rc)
        rc = edge_interp_new(m, &it, &err);
    if (rc)
        fail_msg("digits.tflite: %s: %s", edge_err_name(rc), err.message);
    for (int d = 0; d < DIGITS_CLASSES; d++) {
        int8_t img[DIGITS_PIXELS], probs[DIGITS_CLASSES];
        digits_image(d, img);
        const int got = classify(it, img, probs);
        printf("digit %d: top-1 %d, p=%.3f\n", d, got, (probs[got] + 128) / 256.0);
        if (got != d) {
            char text[DIGITS_PIXELS + DIGITS_SIDE + 1];
            digits_text(d, text);
            fail_msg("the drawing of %d was classified as %d:\n%s", d, got, text);
        }
        assert_true(probs[d] > 0);                          /* probability above one half */
        img[(d * 29 + 11) % DIGITS_PIXELS] ^= (int8_t)0xff; /* swap ink and background */
        assert_int_equal(classify(it, img, probs), d);
    }
    edge_interp_free(it);
    edge_model_unref(m);
    free(file);
}

/* The files edge-mkmodel demo writes load from disk (the mmap path) and agree. */
static void test_digits_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/edge-digits-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(digits_write_demo(dir), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/digits.tflite", dir);
    edge_model *m = NULL;
    edge_error err = {0};
    const int rc = edge_model_open(path, NULL, &m, &err);
    if (rc)
        fail_msg("%s: %s", edge_err_name(rc), err.message);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, NULL), 0);
    for (int d = 0; d < DIGITS_CLASSES; d++) {
        snprintf(path, sizeof path, "%s/digits-%d.bin", dir, d);
        size_t len = 0;
        int8_t *img = edge_test_read_file(path, &len), probs[DIGITS_CLASSES];
        assert_non_null(img);
        assert_int_equal(len, DIGITS_PIXELS);
        assert_int_equal(classify(it, img, probs), d);
        free(img);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/digits.labels", dir);
    size_t len = 0;
    char *labels = edge_test_read_file(path, &len);
    assert_non_null(labels);
    assert_string_equal(labels, digits_labels());
    free(labels);
    unlink(path);
    snprintf(path, sizeof path, "%s/digits.tflite", dir);
    unlink(path);
    rmdir(dir);
    edge_interp_free(it);
    edge_model_unref(m);
}

int main(void)
{
    const char *filter = getenv("EDGE_GEN_FILTER");
    const size_t n_ops = opgen_op_count();
    const char **names = calloc(n_ops + 2, sizeof *names);
    void **states = calloc(n_ops + 2, sizeof *states);
    if (!names || !states)
        return 1;
    size_t n = 0;
    for (size_t i = 0; i < n_ops; i++) {
        const char *op = opgen_op_name(i);
        if (filter && *filter && !strstr(op, filter))
            continue;
        names[n] = op;
        states[n] = (void *)(uintptr_t)i;
        n++;
    }
    int rc = edge_test_run_dynamic("generated operator models", n, names, test_operator, states);
    if (!filter || !*filter || strstr("DIGITS", filter)) {
        const struct CMUnitTest demo[] = {
            cmocka_unit_test(test_every_operator_has_a_generator),
            cmocka_unit_test(test_digits_demo),
            cmocka_unit_test(test_digits_files),
        };
        rc |= cmocka_run_group_tests_name("demo model", demo, NULL, NULL);
    }
    free(names);
    free(states);
    return rc;
}
