/* tests/fuzz/test_model_robustness.c - hostile model files: refused with a message, or run safely.
 *
 * Owns: the robustness test's main and its two data-driven parts, meant to run
 * under ASan+UBSan:
 *   - truncation: every prefix (length 0 .. size-1) of person_detect,
 *     tiny_kws_dscnn and micro_speech, each from one copy of the file whose
 *     bytes past that length ASan holds poisoned (as past a malloc'd buffer of
 *     exactly that length), must be refused with a non-empty message;
 *   - mutation: EDGE_FUZZ_CASES (default 20,000) seeded cases over every
 *     shared model, and EDGE_FUZZ_OPGEN_CASES (default 100,000) over the
 *     single-operator models of tools/opgen.h (seeds 1..EDGE_FUZZ_OPGEN_SEEDS,
 *     int8 and float32: every operator the back end has). Each case changes
 *     1-8 bytes or 32-bit words (anywhere, in the first 4 KB, or in the
 *     structure: everything but the weights) and must be refused with a
 *     message or, when it loads (arena limit 64 MiB) and the file is under
 *     500 KB, run on random input.
 * EDGE_FUZZ_SEED picks the seed (printed), EDGE_FUZZ_ONLY=k reruns case k
 * alone, EDGE_FUZZ_VERBOSE=1 prints every case; a crash under a sanitizer
 * prints the case and saves the mutated file (EDGE_FUZZ_CRASH_DIR, default
 * /tmp). EDGE_FUZZ_CRAFTED_ONLY=1 skips the data-driven parts.
 * The crafted files live in robust_crafted.c and robust_scales.c (sparse tensors:
 * robust_sparse.c), the resource
 * bounds in robust_limits.c. Does not own the libFuzzer harness (fuzz_model.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#endif

#include "edge/runtime.h"
#include "fb.h"
#include "fuzz_util.h"
#include "opgen.h"
#include "robust.h"
#include "test_support.h"
#include "tflite_schema.h"

#define MAX_MODELS 16
#define MAX_SPANS 1024
#define RUN_LIMIT (500u * 1024u) /* mutated models at least this big are only loaded */
#define DEFAULT_SEED 0x5eed2026ull
#define DEFAULT_CASES 20000
#define DEFAULT_OPGEN_CASES 100000
#define SLOW_CASE_SECONDS 2.0
#define MAX_EDITS 8

/* A model to mutate and where its structure lies (the file minus buffer payloads). */
typedef struct mut_model {
    char name[64];
    uint8_t *bytes;
    size_t size;
    size_t n_spans, structure_bytes;
    size_t span_pos[MAX_SPANS], span_len[MAX_SPANS];
} mut_model;

/* A list of models to mutate. */
typedef struct model_set {
    mut_model *m;
    size_t n;
} model_set;

static model_set shared;    /* ../shared/models */
static model_set generated; /* tools/opgen.h single-operator models */

/* ------------------------------------------------------------------ shared helpers */

int robust_open_copy(const uint8_t *buf, size_t n, edge_model **m, edge_error *err, uint8_t **copy)
{
    uint8_t *c = malloc(n); /* exactly n: ASan flags any read past the end */
    assert_true(c != NULL || n == 0);
    if (n)
        memcpy(c, buf, n);
    const edge_model_options opt = {.max_arena_bytes = ROBUST_ARENA_LIMIT};
    const int rc = edge_model_open_buffer(c, n, &opt, m, err);
    if (rc) {
        free(c);
        c = NULL;
    }
    *copy = c;
    return rc;
}

static void check_message(const char *label, int rc, const edge_error *err)
{
    if (err->code != rc)
        fail_msg("%s: returned %s but the error record says %s", label, edge_err_name(rc),
                 edge_err_name(err->code));
    const size_t len = strnlen(err->message, sizeof err->message);
    if (len == 0 || len == sizeof err->message)
        fail_msg("%s: refused with %s but with an empty or unterminated message", label,
                 edge_err_name(rc));
}

void robust_expect_refused(const char *label, const uint8_t *buf, size_t n, int code,
                           const char *needle1, const char *needle2)
{
    edge_model *m = NULL;
    edge_error err = {0};
    uint8_t *copy = NULL;
    const int rc = robust_open_copy(buf, n, &m, &err, &copy);
    if (rc == 0) {
        edge_model_unref(m);
        free(copy);
        fail_msg("%s: the model loaded, expected a refusal (%s)", label,
                 code ? edge_err_name(code) : "any error");
    }
    check_message(label, rc, &err);
    printf("  %-34s %-18s %s\n", label, edge_err_name(rc), err.message);
    if (code && rc != code)
        fail_msg("%s: refused with %s, expected %s", label, edge_err_name(rc), edge_err_name(code));
    const char *needles[2] = {needle1, needle2};
    for (int i = 0; i < 2; i++)
        if (needles[i] && !strstr(err.message, needles[i]))
            fail_msg("%s: the message does not say \"%s\": %s", label, needles[i], err.message);
}

void robust_expect_runs(const char *label, const uint8_t *buf, size_t n)
{
    edge_model *m = NULL;
    edge_error err = {0};
    uint8_t *copy = NULL;
    if (robust_open_copy(buf, n, &m, &err, &copy))
        fail_msg("%s: expected the model to load, but: %s", label, err.message);
    edge_interp *it = NULL;
    if (edge_interp_new(m, &it, &err))
        fail_msg("%s: cannot create an interpreter: %s", label, err.message);
    assert_int_equal(edge_interp_invoke(it), 0);
    edge_interp_free(it);
    edge_model_unref(m);
    free(copy);
    printf("  %-34s loads and runs\n", label);
}

/* --------------------------------------------------------------------- shared models */

static int by_pos(const void *a, const void *b)
{
    const size_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Structure = the file minus the payload bytes of its buffers, found with the
 * runtime's own reader; when the file cannot be read that way, all of it. */
static void find_structure(mut_model *sm)
{
    fb_ctx c;
    fb_init(&c, sm->bytes, sm->size);
    fb_table root = fb_root(&c);
    fb_vec bufs = fb_vec_get(&root, TFL_MODEL_BUFFERS, 4);
    size_t(*pay)[2] = calloc((size_t)bufs.len + 1, sizeof *pay);
    assert_non_null(pay);
    size_t n_pay = 0;
    for (uint32_t i = 0; i < bufs.len && !c.failed; i++) {
        fb_table t = fb_vec_table(&bufs, i);
        fb_vec d = fb_vec_get(&t, TFL_BUFFER_DATA, 1);
        if (d.len) {
            pay[n_pay][0] = d.pos;
            pay[n_pay++][1] = d.len;
        }
    }
    if (c.failed)
        n_pay = 0;
    qsort(pay, n_pay, sizeof *pay, by_pos);
    size_t at = 0;
    sm->n_spans = sm->structure_bytes = 0;
    for (size_t i = 0; i <= n_pay && sm->n_spans < MAX_SPANS; i++) {
        const size_t end = i < n_pay ? pay[i][0] : sm->size;
        if (end > at) {
            sm->span_pos[sm->n_spans] = at;
            sm->span_len[sm->n_spans++] = end - at;
            sm->structure_bytes += end - at;
        }
        if (i < n_pay && pay[i][0] + pay[i][1] > at)
            at = pay[i][0] + pay[i][1];
    }
    free(pay);
}

static void load_shared(void)
{
    char *dir = edge_test_shared_path("models");
    if (!dir)
        return;
    char **names = edge_test_list_dirs(dir, NULL);
    shared.m = calloc(MAX_MODELS, sizeof *shared.m);
    assert_non_null(shared.m);
    for (size_t i = 0; names && names[i] && shared.n < MAX_MODELS; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/model.tflite", dir, names[i]);
        mut_model *sm = &shared.m[shared.n];
        sm->bytes = edge_test_read_file(path, &sm->size);
        if (!sm->bytes)
            continue;
        snprintf(sm->name, sizeof sm->name, "%s", names[i]);
        find_structure(sm);
        shared.n++;
    }
    edge_test_free_list(names);
    free(dir);
}

static void keep_generated(const char *name, uint32_t seed, const char *kind, opgen_model *om)
{
    mut_model *sm = &generated.m[generated.n++];
    snprintf(sm->name, sizeof sm->name, "opgen %s %s seed %u", name, kind, seed);
    sm->bytes = om->file;
    sm->size = om->size;
    om->file = NULL; /* now ours */
    find_structure(sm);
}

/* Both models (int8 and float32) of seeds 1..SEEDS of every generated operator. */
static void load_generated(uint32_t seeds)
{
    const size_t n_ops = opgen_op_count();
    generated.m = calloc(n_ops * seeds * 2 + 1, sizeof *generated.m);
    assert_non_null(generated.m);
    for (size_t i = 0; i < n_ops; i++)
        for (uint32_t s = 1; s <= seeds; s++) {
            opgen_case c;
            if (opgen_make(opgen_op_name(i), s, &c))
                continue;
            if (c.q.file)
                keep_generated(c.op, s, "q", &c.q);
            if (c.f.file)
                keep_generated(c.op, s, "f", &c.f);
            opgen_case_free(&c);
        }
}

static void free_set(model_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->m[i].bytes);
    free(set->m);
    *set = (model_set){0};
}

static int load_models(void **state)
{
    (void)state;
    load_shared();
    load_generated((uint32_t)fz_env_u64("EDGE_FUZZ_OPGEN_SEEDS", 8));
    return 0;
}

static int free_models(void **state)
{
    (void)state;
    free_set(&shared);
    free_set(&generated);
    return 0;
}

static const mut_model *find_model(const char *name)
{
    for (size_t i = 0; i < shared.n; i++)
        if (strcmp(shared.m[i].name, name) == 0)
            return &shared.m[i];
    return NULL;
}

/* ------------------------------------------------------------------------ truncation */

/* The model's first LEN bytes, refused: opened from one copy of the whole file whose bytes from
 * LEN on are poisoned under ASan, so that a read past the end is flagged as it is in a buffer of
 * exactly LEN bytes (robust_open_copy). Lengths run downwards, each poisoning only the bytes the
 * last left open: a fresh LEN-byte copy per length cost ASan 1 ms each over 128 KiB (its
 * allocator maps and unmaps every large block), 318 s of CI for person_detect's 300568 lengths. */
static int open_prefix(uint8_t *whole, size_t len, edge_model **m, edge_error *err)
{
    const edge_model_options opt = {.max_arena_bytes = ROBUST_ARENA_LIMIT};
    return edge_model_open_buffer(whole, len, &opt, m, err);
}

static void truncate_model(const char *name)
{
    const mut_model *sm = find_model(name);
    if (!sm) {
        printf("SKIP: shared model %s is absent\n", name);
        skip();
    }
    size_t step = (size_t)fz_env_u64("EDGE_FUZZ_TRUNC_STEP", 1);
    step = step ? step : 1;
    unsigned long by_code[16] = {0}, total = 0;
    size_t first_parsed = SIZE_MAX; /* shortest prefix refused only after parsing */
    char first_msg[sizeof ((edge_error *)0)->message] = "";
    uint8_t *whole = malloc(sm->size);
    assert_non_null(whole);
    memcpy(whole, sm->bytes, sm->size);
    size_t open_to = sm->size; /* bytes [open_to, size) are poisoned */
    const double t0 = fz_now();
    for (size_t k = (sm->size - 1) / step + 1; k-- > 0;) {
        const size_t len = k * step;
        ASAN_POISON_MEMORY_REGION(whole + len, open_to - len);
        open_to = len;
        edge_model *m = NULL;
        edge_error err = {0};
        const int rc = open_prefix(whole, len, &m, &err);
        if (rc == 0) {
            edge_model_unref(m);
            ASAN_UNPOISON_MEMORY_REGION(whole, sm->size);
            free(whole);
            fail_msg("%s truncated to %zu of %zu bytes loaded; expected a refusal", name, len,
                     sm->size);
        }
        char label[96];
        snprintf(label, sizeof label, "%s truncated to %zu bytes", name, len);
        check_message(label, rc, &err);
        by_code[(unsigned)(-rc) & 15]++;
        total++;
        if (rc != EDGE_EFORMAT) {
            first_parsed = len;
            snprintf(first_msg, sizeof first_msg, "%s", err.message);
        }
    }
    ASAN_UNPOISON_MEMORY_REGION(whole, sm->size);
    free(whole);
    if (first_parsed != SIZE_MAX)
        printf("note: %s truncated to %zu bytes passes the parse: %s\n", name, first_parsed,
               first_msg);
    printf("truncation %s: %lu lengths 0..%zu (step %zu) all refused with a message in %.1f s "
           "(EDGE_EFORMAT %lu, other %lu)\n",
           name, total, sm->size - 1, step, fz_now() - t0, by_code[-EDGE_EFORMAT],
           total - by_code[-EDGE_EFORMAT]);
}

static void test_truncate_person_detect(void **state)
{
    (void)state;
    truncate_model("person_detect");
}

static void test_truncate_kws(void **state)
{
    (void)state;
    truncate_model("tiny_kws_dscnn");
}

static void test_truncate_micro_speech(void **state)
{
    (void)state;
    truncate_model("micro_speech");
}

/* -------------------------------------------------------------------------- mutation */

typedef struct edit {
    size_t pos;
    uint32_t old, val;
    int width;
} edit;

typedef struct fuzz_case {
    unsigned long index;
    uint64_t seed;
    const mut_model *sm;
    uint8_t *buf;
    edit ed[MAX_EDITS];
    int n_ed;
} fuzz_case;

typedef struct fuzz_stats {
    unsigned long cases, refused, loaded, ran, slow;
    unsigned long by_code[16];
    double slowest;
    unsigned long slowest_case;
} fuzz_stats;

/* The case being run, for the sanitizers' death callback. */
static const fuzz_case *current_case;

static void describe_case(FILE *f, const fuzz_case *fc)
{
    fprintf(f, "mutation case %lu of %s (EDGE_FUZZ_SEED=0x%llx EDGE_FUZZ_ONLY=%lu):", fc->index,
            fc->sm->name, (unsigned long long)fc->seed, fc->index);
    for (int i = 0; i < fc->n_ed; i++)
        fprintf(f, " [%zu]%s0x%x->0x%x", fc->ed[i].pos, fc->ed[i].width == 4 ? "u32 " : " ",
                fc->ed[i].old, fc->ed[i].val);
    fprintf(f, "\n");
}

static void on_sanitizer_death(void)
{
    const fuzz_case *fc = current_case;
    if (!fc)
        return;
    fprintf(stderr, "robustness: died in ");
    describe_case(stderr, fc);
    const char *dir = getenv("EDGE_FUZZ_CRASH_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/edge-fuzz-%llx-%lu.tflite", dir && *dir ? dir : "/tmp",
             (unsigned long long)fc->seed, fc->index);
    FILE *f = fopen(path, "wb");
    if (f && fwrite(fc->buf, 1, fc->sm->size, f) == fc->sm->size)
        fprintf(stderr, "robustness: the mutated file is %s\n", path);
    if (f)
        fclose(f);
}

/* Provided by the sanitizer runtimes; absent (NULL) in a plain build. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static size_t pick_pos(fz_rng *r, const mut_model *sm)
{
    switch (fz_below(r, 3)) {
    case 0: return fz_below(r, sm->size);
    case 1: return fz_below(r, sm->size < 4096 ? sm->size : 4096);
    default: break;
    }
    size_t k = fz_below(r, sm->structure_bytes);
    for (size_t i = 0; i < sm->n_spans; i++) {
        if (k < sm->span_len[i])
            return sm->span_pos[i] + k;
        k -= sm->span_len[i];
    }
    return fz_below(r, sm->size);
}

static uint32_t pick_word(fz_rng *r, uint32_t old, size_t size)
{
    switch (fz_below(r, 8)) {
    case 0: return 0;
    case 1: return 0xffffffffu;
    case 2: return 0x7fffffffu;
    case 3: return 0x80000000u;
    case 4: return (uint32_t)size - 8 + fz_below(r, 16);
    case 5: return old - 16 + fz_below(r, 33);
    case 6: return fz_below(r, 17);
    default: return (uint32_t)fz_next(r);
    }
}

static uint8_t pick_byte(fz_rng *r, uint8_t old)
{
    static const uint8_t special[] = {0x00, 0xff, 0x7f, 0x80};
    const uint32_t k = fz_below(r, 100);
    if (k < 40)
        return (uint8_t)fz_next(r);
    if (k < 65)
        return special[fz_below(r, 4)];
    if (k < 85)
        return (uint8_t)fz_below(r, 17);
    return (uint8_t)(old + (fz_below(r, 2) ? 1 : 0xff));
}

static void mutate(fz_rng *r, fuzz_case *fc)
{
    const size_t size = fc->sm->size;
    /* A small file has little besides structure: fewer edits leave more of it loadable. */
    fc->n_ed = 1 + (int)fz_below(r, size < 4096 ? 3 : MAX_EDITS);
    for (int i = 0; i < fc->n_ed; i++) {
        edit *e = &fc->ed[i];
        e->pos = pick_pos(r, fc->sm);
        if (size >= 4 && fz_below(r, 4) == 0) {
            e->pos &= ~(size_t)3;
            if (e->pos > size - 4)
                e->pos = size - 4;
            e->width = 4;
            e->old = fz_get32(fc->buf, e->pos);
            e->val = pick_word(r, e->old, size);
            fz_put32(fc->buf, e->pos, e->val);
        } else {
            e->width = 1;
            e->old = fc->buf[e->pos];
            e->val = pick_byte(r, fc->buf[e->pos]);
            fc->buf[e->pos] = (uint8_t)e->val;
        }
    }
}

/* Read everything the info API hands out, so ASan checks it points somewhere valid. */
static void touch_info(const edge_model *m)
{
    volatile size_t sink = strlen(edge_model_description(m));
    for (size_t i = 0; i < edge_model_tensor_count(m); i++) {
        edge_tensor_info ti;
        assert_int_equal(edge_model_tensor_info(m, i, &ti), 0);
        sink += strlen(ti.name) + (size_t)ti.rank;
        if (ti.quant_count > 0 && ti.scales && ti.zero_points)
            sink += (size_t)ti.scales[ti.quant_count - 1] + (size_t)ti.zero_points[0];
    }
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info ni;
        assert_int_equal(edge_model_node_info(m, i, &ni), 0);
        sink += strlen(ni.op_name);
        if (ni.n_inputs > 0)
            sink += (size_t)ni.inputs[ni.n_inputs - 1];
        if (ni.n_outputs > 0)
            sink += (size_t)ni.outputs[ni.n_outputs - 1];
    }
    (void)sink;
}

static void run_random(const fuzz_case *fc, edge_model *m, fz_rng *r)
{
    edge_interp *it = NULL;
    edge_error err = {0};
    if (edge_interp_new(m, &it, &err)) {
        describe_case(stdout, fc);
        fail_msg("the model loaded but edge_interp_new failed: %s", err.message);
    }
    for (size_t i = 0; i < edge_model_input_count(m); i++) {
        size_t bytes = 0;
        uint8_t *p = edge_interp_input(it, i, &bytes);
        assert_true(p != NULL || bytes == 0);
        fz_fill(r, p, bytes);
    }
    /* A mutated WHILE may never end: max_while_iterations fails the invoke (EDGE_ELIMIT), the
     * one runtime failure a model that loaded may have; nothing else may fail. */
    const int rc = edge_interp_invoke(it);
    if (rc == EDGE_ELIMIT && strstr(edge_interp_error(it), "WHILE")) {
        edge_interp_free(it);
        return;
    }
    if (rc) {
        describe_case(stdout, fc);
        fail_msg("the model loaded but its invoke failed: %s: %s", edge_err_name(rc),
                 edge_interp_error(it));
    }
    volatile unsigned sink = 0;
    for (size_t i = 0; i < edge_model_output_count(m); i++) {
        size_t bytes = 0;
        const uint8_t *p = edge_interp_output(it, i, &bytes);
        assert_true(p != NULL || bytes == 0);
        for (size_t k = 0; k < bytes; k++)
            sink += p[k];
    }
    (void)sink;
    edge_interp_free(it);
}

static void run_case(const model_set *set, unsigned long k, uint64_t seed, fuzz_stats *st)
{
    fz_rng r = {fz_mix64(seed ^ fz_mix64(k + 1))};
    fuzz_case fc = {.index = k, .seed = seed, .sm = &set->m[fz_below(&r, set->n)]};
    fc.buf = malloc(fc.sm->size);
    assert_non_null(fc.buf);
    memcpy(fc.buf, fc.sm->bytes, fc.sm->size);
    mutate(&r, &fc);
    current_case = &fc;
    const edge_model_options opt = {.max_arena_bytes = ROBUST_ARENA_LIMIT};
    edge_model *m = NULL;
    edge_error err = {0};
    const double t0 = fz_now();
    const int rc = edge_model_open_buffer(fc.buf, fc.sm->size, &opt, &m, &err);
    if (rc) {
        if (err.code != rc || !err.message[0]) {
            describe_case(stdout, &fc);
            check_message("mutation", rc, &err);
        }
        st->refused++;
        st->by_code[(unsigned)(-rc) & 15]++;
    } else {
        st->loaded++;
        touch_info(m);
        if (fc.sm->size < RUN_LIMIT) {
            run_random(&fc, m, &r);
            st->ran++;
        }
        edge_model_unref(m);
    }
    const double dt = fz_now() - t0;
    if (dt > st->slowest) {
        st->slowest = dt;
        st->slowest_case = k;
    }
    if (dt > SLOW_CASE_SECONDS) {
        st->slow++;
        printf("SLOW (%.1f s, %s): ", dt, rc ? "refused" : "loaded and ran");
        describe_case(stdout, &fc);
    }
    if (getenv("EDGE_FUZZ_VERBOSE")) {
        describe_case(stdout, &fc);
        printf("  -> %s %s\n", edge_err_name(rc), rc ? err.message : "");
    }
    current_case = NULL;
    free(fc.buf);
}

static void print_stats(const char *what, size_t n_set, uint64_t seed, const fuzz_stats *st,
                        double secs)
{
    printf("mutation of %s: seed 0x%llx (EDGE_FUZZ_SEED), %lu cases over %zu models in %.1f s: "
           "%lu refused with a message, %lu loaded (%lu of them ran on random input)\n",
           what, (unsigned long long)seed, st->cases, n_set, secs, st->refused, st->loaded,
           st->ran);
    printf("mutation: refusals by code:");
    for (int c = 1; c < 16; c++)
        if (st->by_code[c])
            printf(" %s %lu", edge_err_name(-c), st->by_code[c]);
    printf("\nmutation: slowest case %lu took %.2f s; %lu cases over %.0f s\n", st->slowest_case,
           st->slowest, st->slow, SLOW_CASE_SECONDS);
}

/* CASES mutation cases over SET; case numbers start at FIRST so that the two
 * sets never share a case number (EDGE_FUZZ_ONLY picks one across both). */
static void mutate_set(const char *what, const model_set *set, uint64_t first, uint64_t cases)
{
    if (set->n == 0) {
        printf("SKIP: no %s to mutate\n", what);
        skip();
    }
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(on_sanitizer_death);
    const uint64_t seed = fz_env_u64("EDGE_FUZZ_SEED", DEFAULT_SEED);
    const uint64_t only = fz_env_u64("EDGE_FUZZ_ONLY", UINT64_MAX);
    printf("mutation of %s: seed 0x%llx; rerun with EDGE_FUZZ_SEED=0x%llx "
           "[EDGE_FUZZ_ONLY=<case>]\n",
           what, (unsigned long long)seed, (unsigned long long)seed);
    fuzz_stats st = {0};
    const double t0 = fz_now();
    for (uint64_t k = first; k < first + cases; k++) {
        if (only != UINT64_MAX && k != only)
            continue;
        run_case(set, (unsigned long)k, seed, &st);
        st.cases++;
    }
    print_stats(what, set->n, seed, &st, fz_now() - t0);
}

static void test_mutations_shared(void **state)
{
    (void)state;
    mutate_set("the shared models", &shared, 0, fz_env_u64("EDGE_FUZZ_CASES", DEFAULT_CASES));
}

static void test_mutations_generated(void **state)
{
    (void)state;
    mutate_set("generated single-operator models", &generated, 1000000000ull,
               fz_env_u64("EDGE_FUZZ_OPGEN_CASES", DEFAULT_OPGEN_CASES));
}

/* ------------------------------------------------------------------------------ main */

int main(void)
{
    static const struct CMUnitTest data_tests[] = {
        cmocka_unit_test(test_truncate_person_detect), cmocka_unit_test(test_truncate_kws),
        cmocka_unit_test(test_truncate_micro_speech),  cmocka_unit_test(test_mutations_shared),
        cmocka_unit_test(test_mutations_generated),
    };
    size_t n_crafted, n_ops17, n_limits;
    const struct CMUnitTest *crafted = robust_crafted_tests(&n_crafted);
    const struct CMUnitTest *ops17 = robust_ops17_tests(&n_ops17);
    const struct CMUnitTest *limits = robust_limits_tests(&n_limits);
    const double t0 = fz_now();
    int failed = _cmocka_run_group_tests("crafted", crafted, n_crafted, NULL, NULL);
    failed += _cmocka_run_group_tests("crafted_ops17", ops17, n_ops17, NULL, NULL);
    failed += _cmocka_run_group_tests("limits", limits, n_limits, NULL, NULL);
    /* batch matmul and svdf family */
    size_t n_bmm;
    const struct CMUnitTest *bmm = robust_bmm_tests(&n_bmm);
    failed += _cmocka_run_group_tests("crafted_bmm", bmm, n_bmm, NULL, NULL);
    /* vision custom operators */
    size_t n_vision;
    const struct CMUnitTest *vision = robust_vision_tests(&n_vision);
    failed += _cmocka_run_group_tests("crafted_vision", vision, n_vision, NULL, NULL);
    size_t n_signal; /* audio family */
    const struct CMUnitTest *signal = robust_signal_tests(&n_signal);
    failed += _cmocka_run_group_tests("crafted_signal", signal, n_signal, NULL, NULL);
    size_t n_subgraphs;
    const struct CMUnitTest *subgraphs = robust_subgraph_tests(&n_subgraphs);
    failed += _cmocka_run_group_tests("subgraphs", subgraphs, n_subgraphs, NULL, NULL);
    size_t n_sparse; /* sparse tensors and DENSIFY */
    const struct CMUnitTest *sparse = robust_sparse_tests(&n_sparse);
    failed += _cmocka_run_group_tests("crafted_sparse", sparse, n_sparse, NULL, NULL);
    if (!getenv("EDGE_FUZZ_CRAFTED_ONLY"))
        failed += cmocka_run_group_tests_name("models", data_tests, load_models, free_models);
    printf("robustness: total %.1f s\n", fz_now() - t0);
    return failed ? 1 : 0;
}
