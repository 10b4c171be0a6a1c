/* client/cmd_infer.c - `edgectl infer MODEL --input F ...`: one inference through edged.
 *
 * Owns: the command line of infer, fetching the model's metadata (input
 * names, datatypes, shapes, quantization), one request over the binary
 * tensor extension (or JSON with --wire json), and printing the outputs: JSON
 * with dequantized values (as `edgectl run` prints them), raw bytes, .npy,
 * or the top-K classes of output 0 with labels. With --image, the photo goes to the daemon as
 * an image request (it decodes and fits it as the model's model.conf says) and the top-K
 * classes come back through Triton's classification extension, labelled by the daemon. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "edge/runtime.h"
#include "edgectl.h"
#include "edgectl_daemon.h"
#include "labels.h"
#include "npy.h"

#define MAX_INPUTS 16

typedef struct infer_args {
    edgectl_common common;
    const char *model;
    const char *version;
    const char *inputs[MAX_INPUTS];
    size_t n_inputs;
    const char *input_format; /* NULL: detect */
    const char *format;       /* json | raw | npy */
    const char *output;
    const char *labels;
    const char *image; /* --image: a JPEG or PNG instead of --input */
    int top;
    int priority;
    uint64_t timeout_us;
    bool wire_json;
    edge_input_shape shapes[MAX_INPUTS]; /* --shape: inputs sent resized */
    int n_shapes;
} infer_args;

static int usage(void)
{
    fprintf(stderr,
            "usage: edgectl infer MODEL --input F [--input F ...] [--version V]\n"
            "                     [--format json|raw|npy] [--output F] [--top K [--labels F]]\n"
            "                     [--priority high|normal] [--timeout-us N]\n"
            "                     [--input-format raw|json|npy] [--wire binary|json]\n"
            "                     [--shape [I:]D0,D1,...]\n"
            "                     [--socket PATH] [--json]\n"
            "       edgectl infer MODEL --image PHOTO [--top K] [--labels F] [--version V]\n"
            "                     [--socket PATH] [--json]\n"
            "  --input F     one per model input, in order ('-' reads stdin): raw tensor bytes\n"
            "                (exactly the tensor's size), a JSON array of numbers (quantized\n"
            "                with the input's scale and zero point), or a .npy file\n"
            "  --format      json: outputs with dequantized values (default); raw: the output\n"
            "                bytes concatenated; npy: one .npy per output (--output NAME.npy,\n"
            "                NAME_<i>.npy when there are several)\n"
            "  --top K       the K highest scores of output 0, with labels if given\n"
            "  --shape S     input I (default: the next) sent with shape D0,D1,... where the\n"
            "                model's shape signature allows it (the daemon resizes it)\n"
            "  --image PHOTO a JPEG or PNG ('-': stdin) the daemon fits into the model's input;\n"
            "                prints the K best classes of output 0 (default 5) with the\n"
            "                daemon's labels (--labels F: this file's instead)\n");
    return EDGECTL_EUSAGE;
}

static bool one_of(const char *v, const char *a, const char *b, const char *c)
{
    return !strcmp(v, a) || !strcmp(v, b) || (c && !strcmp(v, c));
}

static int parse_value_opt(void *ctx, const char *arg, const char *val)
{
    infer_args *a = ctx;
    if (!strcmp(arg, "--input")) {
        if (a->n_inputs == MAX_INPUTS)
            return -1;
        a->inputs[a->n_inputs++] = val;
    } else if (!strcmp(arg, "--version")) {
        a->version = val;
    } else if (!strcmp(arg, "--shape")) {
        if (a->n_shapes == MAX_INPUTS ||
            edgectl_parse_shape(val, a->n_shapes, &a->shapes[a->n_shapes]))
            return -1;
        a->n_shapes++;
    } else if (!strcmp(arg, "--input-format") && one_of(val, "raw", "json", "npy")) {
        a->input_format = val;
    } else if (!strcmp(arg, "--format") && one_of(val, "raw", "json", "npy")) {
        a->format = val;
    } else if (!strcmp(arg, "--output")) {
        a->output = val;
    } else if (!strcmp(arg, "--labels")) {
        a->labels = val;
    } else if (!strcmp(arg, "--image")) {
        a->image = val;
    } else if (!strcmp(arg, "--top")) {
        a->top = atoi(val);
        return a->top >= 1 ? 0 : -1;
    } else if (!strcmp(arg, "--priority")) {
        return edgectl_parse_priority(val, &a->priority) ? 0 : -1;
    } else if (!strcmp(arg, "--timeout-us")) {
        return edgectl_parse_u64(val, &a->timeout_us) ? 0 : -1;
    } else if (!strcmp(arg, "--wire") && one_of(val, "binary", "json", NULL)) {
        a->wire_json = !strcmp(val, "json");
    } else {
        return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, infer_args *a)
{
    memset(a, 0, sizeof *a);
    a->format = "json";
    if (edgectl_parse_model_args(argc, argv, &a->common, &a->model, parse_value_opt, a) ||
        (a->labels && !a->top && !a->image) || (a->image && a->n_inputs))
        return usage();
    if (a->image && !a->top)
        a->top = 5;
    if (a->common.json)
        a->format = "json";
    return 0;
}

/* ---------------------------------------------------------------- output */

static const edge_client_tensor_meta *out_meta(const edge_client_model_meta *m,
                                               const edge_client_tensor *t, size_t i)
{
    for (size_t k = 0; k < m->n_outputs; k++)
        if (!strcmp(m->outputs[k].name, t->name))
            return &m->outputs[k];
    return i < m->n_outputs ? &m->outputs[i] : NULL;
}

static double out_value(const edge_client_tensor_meta *mt, const edge_client_tensor *t, size_t i)
{
    double v = edgectl_value_at(t->datatype, t->data, i);
    if (mt && mt->quantized && strcmp(t->datatype, "FP32") && strcmp(t->datatype, "FP64")) {
        edgectl_quant q = edgectl_meta_quant(mt);
        v = edgectl_dequantize((int64_t)v, &q);
    }
    return v;
}

static size_t out_count(const edge_client_tensor *t)
{
    size_t es = edge_client_dtype_size(t->datatype);
    return es ? t->bytes / es : 0;
}

static int print_json_result(const edge_client_model_meta *m, const edge_client_result *r)
{
    json_t *outs = json_array();
    for (size_t o = 0; o < r->n_outputs; o++) {
        const edge_client_tensor *t = &r->outputs[o];
        const edge_client_tensor_meta *mt = out_meta(m, t, o);
        json_t *shape = json_array(), *data = json_array();
        for (int d = 0; d < t->rank; d++)
            json_array_append_new(shape, json_integer(t->shape[d]));
        for (size_t i = 0; i < out_count(t); i++)
            json_array_append_new(data, json_real(out_value(mt, t, i)));
        json_array_append_new(outs, json_pack("{s:s, s:s, s:o, s:o}", "name", t->name, "datatype",
                                              t->datatype, "shape", shape, "data", data));
    }
    json_t *root = json_pack("{s:s, s:o}", "model_name", r->model_name, "outputs", outs);
    if (r->model_version)
        json_object_set_new(root, "model_version", json_string(r->model_version));
    char *s = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(7));
    json_decref(root);
    if (!s) {
        fprintf(stderr, "edgectl: out of memory\n");
        return EDGECTL_EIO;
    }
    puts(s);
    free(s);
    return EDGECTL_OK;
}

static FILE *open_out(const char *path)
{
    FILE *f = path && strcmp(path, "-") ? fopen(path, "wb") : stdout;
    if (!f)
        fprintf(stderr, "edgectl: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

static int close_out(FILE *f, const char *path, int rc)
{
    if ((f != stdout ? fclose(f) : fflush(f)) != 0 || rc) {
        fprintf(stderr, "edgectl: writing %s failed: %s\n", path ? path : "stdout",
                strerror(errno));
        return EDGECTL_EIO;
    }
    return EDGECTL_OK;
}

static int write_raw(const edge_client_result *r, const char *path)
{
    FILE *f = open_out(path);
    if (!f)
        return EDGECTL_EIO;
    int bad = 0;
    for (size_t o = 0; o < r->n_outputs; o++)
        if (r->outputs[o].bytes &&
            fwrite(r->outputs[o].data, 1, r->outputs[o].bytes, f) != r->outputs[o].bytes)
            bad = 1;
    return close_out(f, path, bad);
}

static int write_npy(const edge_client_result *r, const char *path)
{
    if (r->n_outputs > 1 && (!path || !strcmp(path, "-"))) {
        fprintf(stderr,
                "edgectl: the model has %zu outputs; --format npy needs --output NAME.npy "
                "(written as NAME_0.npy, NAME_1.npy, ...)\n",
                r->n_outputs);
        return EDGECTL_EUSAGE;
    }
    for (size_t o = 0; o < r->n_outputs; o++) {
        const edge_client_tensor *t = &r->outputs[o];
        char name[4096];
        if (r->n_outputs > 1) {
            size_t l = strlen(path);
            if (l > 4 && !strcmp(path + l - 4, ".npy"))
                l -= 4;
            snprintf(name, sizeof name, "%.*s_%zu.npy", (int)(l < 4000 ? l : 4000), path, o);
        } else {
            snprintf(name, sizeof name, "%s", path ? path : "-");
        }
        if (!edgectl_npy_supports(t->datatype)) {
            fprintf(stderr, "edgectl: output '%s': datatype %s cannot be written as .npy\n",
                    t->name, t->datatype);
            return EDGECTL_EFAIL;
        }
        FILE *f = open_out(name);
        if (!f)
            return EDGECTL_EIO;
        int bad = edgectl_npy_write(f, t->datatype, t->shape, t->rank, t->data, t->bytes);
        if (close_out(f, name, bad))
            return EDGECTL_EIO;
    }
    return EDGECTL_OK;
}

/* One output's values, dequantized, for the top-K printer (labels.c). */
typedef struct top_ctx {
    const edge_client_tensor_meta *mt;
    const edge_client_tensor *t;
} top_ctx;

static double top_score(const void *ctx, size_t i)
{
    const top_ctx *c = ctx;
    return out_value(c->mt, c->t, i);
}

static int print_top(const edge_client_model_meta *m, const edge_client_result *r,
                     const infer_args *a)
{
    if (r->n_outputs == 0) {
        fprintf(stderr, "edgectl: the reply has no outputs\n");
        return EDGECTL_EFAIL;
    }
    const top_ctx c = {out_meta(m, &r->outputs[0], 0), &r->outputs[0]};
    return edgectl_print_top(out_count(c.t), top_score, &c, a->top, a->labels, a->common.json);
}

/* ---------------------------------------------------------------- the command */

static int run_infer(edge_client *c, const infer_args *a, const edge_client_model_meta *m)
{
    edgectl_inputs in;
    int rc = edgectl_inputs_load(m, a->inputs, a->n_inputs, a->input_format, &in);
    if (rc)
        return rc;
    const char **names = calloc(m->n_outputs + 1, sizeof *names);
    for (size_t i = 0; names && i < m->n_outputs; i++)
        names[i] = m->outputs[i].name;
    edge_client_infer_options o = {.version = a->version,
                                   .priority = a->priority,
                                   .timeout_us = a->timeout_us,
                                   .json = a->wire_json,
                                   .outputs = names,
                                   .n_outputs = names ? m->n_outputs : 0};
    edge_client_result *r = NULL;
    if ((rc = edge_client_infer(c, m->name, &o, in.t, in.n, &r)) != 0)
        rc = edgectl_client_fail(c, rc);
    else if (a->top)
        rc = print_top(m, r, a);
    else if (!strcmp(a->format, "raw"))
        rc = write_raw(r, a->output);
    else if (!strcmp(a->format, "npy"))
        rc = write_npy(r, a->output);
    else
        rc = print_json_result(m, r);
    edge_client_result_free(r);
    free(names);
    edgectl_inputs_free(&in);
    return rc;
}

/* --image: the photo as an image request asking for the K best classes of output 0. */
static int run_image(edge_client *c, const infer_args *a, const edge_client_model_meta *m)
{
    if (m->n_outputs == 0) {
        fprintf(stderr, "edgectl: model '%s' has no output\n", m->name);
        return EDGECTL_EFAIL;
    }
    size_t len = 0;
    uint8_t *img = edgectl_read_file(a->image, &len, "infer");
    if (!img)
        return EDGECTL_EIO;
    json_t *hdr = json_pack("{s:[{s:s, s:s, s:[i], s:{s:I}}], s:[{s:s, s:{s:i}}]}", "inputs",
                            "name", "image", "datatype", "BYTES", "shape", 1, "parameters",
                            "binary_data_size", (json_int_t)len, "outputs", "name",
                            m->outputs[0].name, "parameters", "classification", a->top);
    char *head = hdr ? json_dumps(hdr, JSON_COMPACT) : NULL;
    json_decref(hdr);
    const size_t hl = head ? strlen(head) : 0;
    uint8_t *body = head ? malloc(hl + len) : NULL;
    if (!body) {
        free(head);
        free(img);
        fprintf(stderr, "edgectl: out of memory\n");
        return EDGECTL_EFAIL;
    }
    memcpy(body, head, hl);
    memcpy(body + hl, img, len);
    free(head);
    free(img);
    char path[512], hls[24];
    if (a->version)
        snprintf(path, sizeof path, "/v2/models/%s/versions/%s/infer", m->name, a->version);
    else
        snprintf(path, sizeof path, "/v2/models/%s/infer", m->name);
    snprintf(hls, sizeof hls, "%zu", hl);
    const edge_client_header h[] = {{"Inference-Header-Content-Length", hls},
                                    {"Content-Type", "application/octet-stream"}};
    const edge_client_request req = {"POST", path, h, 2, body, hl + len};
    edge_client_response *resp = NULL;
    int rc = edge_client_request_send_recv(c, &req, &resp);
    free(body);
    if (rc)
        return edgectl_client_fail(c, rc);
    json_t *o = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    if (resp->status != 200) {
        const char *e = json_string_value(json_object_get(o, "error"));
        fprintf(stderr, "edgectl: %s (HTTP %d)\n", e ? e : "the daemon refused the image",
                resp->status);
        rc = EDGECTL_EFAIL;
    } else {
        edgectl_labels file = {0};
        if (a->labels && edgectl_labels_read(a->labels, &file)) {
            fprintf(stderr, "edgectl: %s: cannot read: %s\n", a->labels, strerror(errno));
            rc = EDGECTL_EIO;
        }
        const json_t *data =
            json_object_get(json_array_get(json_object_get(o, "outputs"), 0), "data");
        json_t *arr = a->common.json ? json_array() : NULL;
        for (size_t i = 0; !rc && i < json_array_size(data); i++) {
            const char *sv = json_string_value(json_array_get(data, i)), *colon2;
            char *end;
            const double score = strtod(sv ? sv : "", &end);
            const unsigned long idx = *end == ':' ? strtoul(end + 1, &end, 10) : 0;
            colon2 = *end == ':' ? end + 1 : "";
            const char *label = a->labels ? edgectl_label(&file, idx) : colon2;
            if (arr)
                json_array_append_new(arr, json_pack("{s:I, s:s, s:f}", "index", (json_int_t)idx,
                                                     "label", label, "score", score));
            else
                printf("%lu %s %.6f\n", idx, label, score);
        }
        if (arr) {
            json_dumpf(arr, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
            putchar('\n');
            json_decref(arr);
        }
        edgectl_labels_free(&file);
    }
    json_decref(o);
    edge_client_response_free(resp);
    return rc;
}

/* M's metadata with the inputs --shape names in their new shapes (a copy, in *COPY and
 * INS), or -1 after a message for an input M lacks. */
static int resized_meta(const infer_args *a, const edge_client_model_meta *m,
                        edge_client_model_meta *copy, edge_client_tensor_meta *ins)
{
    *copy = *m;
    memcpy(ins, m->inputs, m->n_inputs * sizeof *ins);
    copy->inputs = ins;
    for (int k = 0; k < a->n_shapes; k++) {
        const edge_input_shape *s = &a->shapes[k];
        if ((size_t)s->input >= m->n_inputs || s->n_dims > EDGE_CLIENT_MAX_DIMS) {
            fprintf(stderr, "edgectl: --shape for input %d: model %s has %zu inputs\n", s->input,
                    m->name, m->n_inputs);
            return -1;
        }
        ins[s->input].rank = s->n_dims;
        for (int d = 0; d < s->n_dims; d++)
            ins[s->input].shape[d] = s->dims[d];
    }
    return 0;
}

static int run_infer_cb(edge_client *c, const edge_client_model_meta *m, void *ctx)
{
    const infer_args *a = ctx;
    if (a->image || !a->n_shapes || m->n_inputs > MAX_INPUTS)
        return a->image ? run_image(c, a, m) : run_infer(c, ctx, m);
    edge_client_model_meta copy;
    edge_client_tensor_meta ins[MAX_INPUTS];
    if (resized_meta(a, m, &copy, ins))
        return EDGECTL_EUSAGE;
    return run_infer(c, a, &copy);
}

int edgectl_infer(int argc, char **argv)
{
    infer_args a;
    const int rc = parse_args(argc, argv, &a);
    return rc ? rc : edgectl_with_model(&a.common, a.model, a.version, run_infer_cb, &a);
}
