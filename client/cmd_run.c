/* client/cmd_run.c - `edgectl run FILE.tflite --input F ...`: offline inference.
 *
 * Owns: reading raw input tensors from files (or stdin), one invoke through
 * libedge, and printing the outputs: JSON with dequantized values (default),
 * raw bytes, or the top-K classes of output 0 with optional labels; or, with
 * --profile, RUNS profiled invokes after PROFILE_WARMUP and the per-node
 * profile table (profile_report.c) instead of the outputs; each to standard
 * output, or to the --output file. --shape resizes an input whose shape_signature allows it
 * (edge_model_options.input_shapes; the text form is edgectl_parse_shape's). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/runtime.h"
#include "edgectl.h"
#include "labels.h"
#include "profile_report.h"

#define MAX_INPUTS 16
#define PROFILE_RUNS 20  /* --profile's invokes unless --runs says */
#define PROFILE_WARMUP 3 /* untimed invokes before them */

typedef struct run_args {
    const char *model;
    const char *inputs[MAX_INPUTS];
    int n_inputs;
    const char *output;
    const char *labels;
    const char *format; /* json | raw | top */
    int top;
    bool profile;
    int runs;         /* --profile's invokes */
    unsigned threads; /* --threads: intra-op threads (0: libedge's default, one) */
    edge_input_shape shapes[MAX_INPUTS];
    int n_shapes;
} run_args;

static int usage(void)
{
    fprintf(stderr, "usage: edgectl run FILE.tflite --input F [--input F ...] [--output F]\n"
                    "                   [--format json|raw] [--top K [--labels FILE]]\n"
                    "       edgectl run FILE.tflite --profile [--runs N] [--input F ...]\n"
                    "  --threads N|auto  intra-op threads of the inference (default 1; auto:\n"
                    "               as edged's intra_op_threads = auto chooses)\n"
                    "  --input F    raw bytes of input tensor N (in order); '-' reads stdin\n"
                    "  --shape [I:]D0,D1,...  input I (default: the next) resized, where its\n"
                    "               shape signature has -1 (e.g. --shape 1,1280)\n"
                    "  --output F   write what would go to standard output to F\n"
                    "  --format     json: outputs with dequantized values (default)\n"
                    "               raw: the output tensors' bytes, concatenated\n"
                    "  --top K      the K highest scores of output 0, with labels if given\n"
                    "  --profile    N invokes (default 20, after 3 warm-ups) and each node's\n"
                    "               operator, kernel, shape, time and share, then the totals\n"
                    "               per operator type; inputs default to a fixed pattern\n");
    return EDGECTL_EUSAGE;
}

static int parse_args(int argc, char **argv, run_args *a)
{
    memset(a, 0, sizeof *a);
    a->format = "json";
    a->runs = PROFILE_RUNS;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--input") && val) {
            if (a->n_inputs == MAX_INPUTS)
                return usage();
            a->inputs[a->n_inputs++] = val;
            i++;
        } else if (!strcmp(arg, "--shape") && val) {
            if (a->n_shapes == MAX_INPUTS ||
                edgectl_parse_shape(val, a->n_shapes, &a->shapes[a->n_shapes]))
                return usage();
            a->n_shapes++;
            i++;
        } else if (!strcmp(arg, "--output") && val) {
            a->output = val;
            i++;
        } else if (!strcmp(arg, "--format") && val) {
            if (strcmp(val, "json") && strcmp(val, "raw"))
                return usage();
            a->format = val;
            i++;
        } else if (!strcmp(arg, "--labels") && val) {
            a->labels = val;
            i++;
        } else if (!strcmp(arg, "--top") && val) {
            a->top = atoi(val);
            if (a->top < 1)
                return usage();
            a->format = "top";
            i++;
        } else if (!strcmp(arg, "--profile")) {
            a->profile = true;
        } else if (!strcmp(arg, "--threads") && val) {
            char *end;
            const long n = strtol(val, &end, 10);
            if (!strcmp(val, "auto"))
                a->threads = EDGE_THREADS_AUTO;
            else if (*end || end == val || n < 1 || n > 64) /* the options' most: 64 */
                return usage();
            else
                a->threads = (unsigned)n;
            i++;
        } else if (!strcmp(arg, "--runs") && val) {
            a->runs = atoi(val);
            if (a->runs < 1)
                return usage();
            i++;
        } else if (arg[0] != '-' && !a->model) {
            a->model = arg;
        } else {
            return usage();
        }
    }
    return a->model ? 0 : usage();
}

int edgectl_parse_shape(const char *text, int next, edge_input_shape *out)
{
    memset(out, 0, sizeof *out);
    out->input = next;
    const char *p = text, *colon = strchr(text, ':');
    char *end;
    if (colon) {
        const long i = strtol(text, &end, 10);
        if (end != colon || i < 0 || i >= MAX_INPUTS)
            return -1;
        out->input = (int)i;
        p = colon + 1;
    }
    for (;;) {
        errno = 0;
        const long d = strtol(p, &end, 10);
        if (end == p || errno || d < 1 || d > EDGE_MAX_RESIZE_DIM || out->n_dims == EDGE_MAX_DIMS)
            return -1;
        out->dims[out->n_dims++] = (int32_t)d;
        if (!*end)
            return 0;
        if (*end != ',' && *end != 'x')
            return -1;
        p = end + 1;
    }
}

/* Fill DST (exactly N bytes) from PATH or stdin. */
static int read_input(const char *path, void *dst, size_t n, size_t idx)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "edgectl: input %zu: cannot open %s: %s\n", idx, path, strerror(errno));
        return EDGECTL_EIO;
    }
    size_t got = fread(dst, 1, n, f);
    int extra = fgetc(f);
    if (f != stdin)
        fclose(f);
    if (got != n || extra != EOF) {
        fprintf(stderr, "edgectl: input %zu: %s has %s bytes, the model wants exactly %zu\n", idx,
                path, got != n ? "too few" : "too many", n);
        return EDGECTL_EFAIL;
    }
    return 0;
}

static double dequant(const edge_tensor_info *t, const void *data, size_t i)
{
    double q;
    switch (t->type) {
    case EDGE_FLOAT32: return ((const float *)data)[i];
    case EDGE_INT8: q = ((const int8_t *)data)[i]; break;
    case EDGE_UINT8: q = ((const uint8_t *)data)[i]; break;
    case EDGE_INT16: q = ((const int16_t *)data)[i]; break;
    case EDGE_INT32: q = ((const int32_t *)data)[i]; break;
    case EDGE_INT64: q = (double)((const int64_t *)data)[i]; break;
    default: return 0.0;
    }
    if (t->quant_count < 1)
        return q;
    size_t c = 0;
    if (t->quant_count > 1) {
        size_t inner = 1;
        for (int d = t->quant_axis + 1; d < t->rank; d++)
            inner *= (size_t)t->dims[d];
        c = (i / inner) % (size_t)t->quant_count;
    }
    return (q - t->zero_points[c]) * (double)t->scales[c];
}

static size_t elem_count(const edge_tensor_info *t)
{
    size_t es = edge_dtype_size(t->type);
    return es ? t->bytes / es : 0;
}

static void print_json(const edge_model *m, const edge_interp *it)
{
    printf("{\"outputs\":[");
    for (size_t o = 0; o < edge_model_output_count(m); o++) {
        edge_tensor_info t;
        edge_model_output_info(m, o, &t);
        const void *data = edge_interp_output(it, o, NULL);
        printf("%s{\"name\":", o ? "," : "");
        edgectl_json_str(stdout, t.name);
        printf(",\"datatype\":\"%s\",\"shape\":", edge_dtype_name(t.type));
        edgectl_print_shape(stdout, t.dims, t.rank);
        printf(",\"data\":[");
        for (size_t i = 0; i < elem_count(&t); i++)
            printf(i ? ",%.6g" : "%.6g", dequant(&t, data, i));
        printf("]}");
    }
    printf("]}\n");
}

/* One output's values, dequantized, for the top-K printer (labels.c). */
typedef struct top_ctx {
    edge_tensor_info t;
    const void *data;
} top_ctx;

static double top_score(const void *ctx, size_t i)
{
    const top_ctx *c = ctx;
    return dequant(&c->t, c->data, i);
}

static int print_top(const edge_model *m, const edge_interp *it, const run_args *a)
{
    top_ctx c;
    edge_model_output_info(m, 0, &c.t);
    c.data = edge_interp_output(it, 0, NULL);
    return edgectl_print_top(elem_count(&c.t), top_score, &c, a->top, a->labels, false);
}

static void write_raw(const edge_model *m, const edge_interp *it)
{
    for (size_t o = 0; o < edge_model_output_count(m); o++) {
        size_t n;
        const void *data = edge_interp_output(it, o, &n);
        fwrite(data, 1, n, stdout);
    }
}

/* --output PATH (when given) becomes standard output, for every format: opened only once
 * there is something to write, so a failed run leaves no file. */
static int open_output(const char *path)
{
    if (!path || freopen(path, "wb", stdout))
        return EDGECTL_OK;
    fprintf(stderr, "edgectl: cannot write %s: %s\n", path, strerror(errno));
    return EDGECTL_EIO;
}

/* What was written reached standard output (or the --output file) whole. */
static int close_output(const char *path, int rc)
{
    const bool failed = fflush(stdout) != 0 || ferror(stdout);
    if (failed && !rc) {
        fprintf(stderr, "edgectl: writing %s failed\n", path ? path : "the output");
        return EDGECTL_EIO;
    }
    return rc;
}

/* The inputs of IT into one buffer (*SAVED NULL: allocated, NULL when out of memory), or
 * written back from *SAVED. */
static void profile_inputs(edge_interp *it, unsigned char **saved)
{
    const edge_model *m = edge_interp_model(it);
    size_t total = 0, n = 0, at = 0;
    for (size_t i = 0; i < edge_model_input_count(m); i++)
        total += edge_interp_input(it, i, &n) ? n : 0;
    const bool save = !*saved;
    if (save && !(*saved = malloc(total ? total : 1)))
        return;
    for (size_t i = 0; i < edge_model_input_count(m); i++) {
        unsigned char *in = edge_interp_input(it, i, &n);
        if (in)
            memcpy(save ? *saved + at : in, save ? in : *saved + at, n);
        at += in ? n : 0;
    }
}

/* --profile: the inputs (when none were given) a fixed pattern (float32 ones values in -1..1),
 * then warm-ups and RUNS profiled invokes, each on the same inputs, written again before it as a
 * user would (the arena reuses an input's bytes for later activations: a float input left holding
 * int8 or int16 activations reads as denormals, on which a float QUANTIZE takes 10x as long),
 * and the table. */
static int run_profile(edge_interp *it, const run_args *a)
{
    const edge_model *m = edge_interp_model(it);
    for (size_t i = 0; !a->n_inputs && i < edge_model_input_count(m); i++) {
        size_t n;
        unsigned char *in = edge_interp_input(it, i, &n);
        edge_tensor_info ti;
        if (!edge_model_input_info(m, i, &ti) && ti.type == EDGE_FLOAT32)
            for (size_t k = 0; k < n / sizeof(float); k++) {
                const float v = (float)((int)((k * 131 + 7) % 255) - 127) / 128.0f;
                memcpy(in + k * sizeof v, &v, sizeof v);
            }
        else
            for (size_t k = 0; k < n; k++)
                in[k] = (unsigned char)(k * 131 + 7);
    }
    unsigned char *saved = NULL;
    profile_inputs(it, &saved);
    if (!saved) {
        fprintf(stderr, "edgectl: out of memory for the profile\n");
        return EDGECTL_EFAIL;
    }
    for (int i = 0; i < PROFILE_WARMUP; i++) {
        profile_inputs(it, &saved);
        if (edge_interp_invoke(it))
            goto failed;
    }
    if (edge_interp_set_profiling(it, 1)) {
        fprintf(stderr, "edgectl: out of memory for the profile\n");
        free(saved);
        return EDGECTL_EFAIL;
    }
    for (int i = 0; i < a->runs; i++) {
        profile_inputs(it, &saved);
        if (edge_interp_invoke(it))
            goto failed;
    }
    free(saved);
    saved = NULL;
    edge_interp_set_profiling(it, 0);
    const unsigned threads = edge_model_threads(m);
    printf("# %s: kernel level %s, %u thread%s\n", a->model, edge_isa_name(edge_model_isa(m)),
           threads, threads == 1 ? "" : "s");
    if (threads > 1) { /* what the team did in the warm-ups and the profiled invokes */
        edge_thread_stats ts;
        edge_interp_thread_stats(it, &ts);
        const int invokes = a->runs + PROFILE_WARMUP;
        printf(
            "# threads: %llu loops in parallel, %llu alone (node faster alone; per-node choice "
            "%s), %llu solo (helpers off their CPUs: %llu spells), %llu of %d invokes with every "
            "node alone; work %.1f us an invoke on this thread, %.1f on the helpers\n",
            ts.parallel, ts.alone, ts.node_choice ? "on" : "off", ts.solo, ts.spells,
            ts.alone_invokes, invokes, (double)ts.caller_work_ns / 1e3 / invokes,
            (double)ts.helpers_work_ns / 1e3 / invokes);
    }
    return edge_profile_report(stdout, it) ? EDGECTL_EFAIL : EDGECTL_OK;
failed:
    free(saved);
    fprintf(stderr, "edgectl: invoke failed: %s\n", edge_interp_error(it));
    return EDGECTL_EFAIL;
}

int edgectl_run(int argc, char **argv)
{
    run_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    const edge_model_options opt = {
        .input_shapes = a.shapes, .n_input_shapes = (size_t)a.n_shapes, .threads = a.threads};
    if ((rc = edge_model_open(a.model, &opt, &m, &err)) != 0) {
        fprintf(stderr, "edgectl: %s\n", err.message);
        return rc == EDGE_EIO ? EDGECTL_EIO : EDGECTL_EFAIL;
    }
    if ((size_t)a.n_inputs != edge_model_input_count(m) && !(a.profile && !a.n_inputs)) {
        fprintf(stderr, "edgectl: %s has %zu inputs; give one --input for each (got %d)\n", a.model,
                edge_model_input_count(m), a.n_inputs);
        edge_model_unref(m);
        return EDGECTL_EUSAGE;
    }
    if (edge_interp_new(m, &it, &err)) {
        fprintf(stderr, "edgectl: %s\n", err.message);
        edge_model_unref(m);
        return EDGECTL_EFAIL;
    }
    for (int i = 0; i < a.n_inputs && !rc; i++) {
        size_t n;
        void *dst = edge_interp_input(it, (size_t)i, &n);
        rc = read_input(a.inputs[i], dst, n, (size_t)i);
    }
    if (!rc && a.profile) {
        if (!(rc = open_output(a.output)))
            rc = close_output(a.output, run_profile(it, &a));
    } else if (!rc && edge_interp_invoke(it) != 0) {
        fprintf(stderr, "edgectl: invoke failed: %s\n", edge_interp_error(it));
        rc = EDGECTL_EFAIL;
    } else if (!rc && !(rc = open_output(a.output))) {
        if (!strcmp(a.format, "raw"))
            write_raw(m, it);
        else if (!strcmp(a.format, "top"))
            rc = print_top(m, it, &a);
        else
            print_json(m, it);
        rc = close_output(a.output, rc);
    }
    edge_interp_free(it);
    edge_model_unref(m);
    return rc;
}
