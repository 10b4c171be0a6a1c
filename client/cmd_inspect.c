/* client/cmd_inspect.c - `edgectl inspect FILE.tflite [--json] [--backend SPEC]`.
 *
 * Owns: describing a model offline: operators with counts, every tensor with
 * type, shape, quantization and where it lives (constant in the file, or its
 * arena offset), inputs and outputs, execution order, and the memory figures
 * (arena, weights used in place, prepared data). Opening the model runs the
 * full verification, so a bad file is reported exactly as the daemon would.
 * With --backend (auto, cpu or NAME[,NAME...]) it loads those plugins from the
 * back-end folder as edged would and shows the partition: which back end runs
 * which nodes, the tensors copied across each boundary, and the partitions a
 * back end could not prepare (left on the CPU). */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/backend.h"
#include "edge/runtime.h"
#include "edgectl.h"

#ifndef EDGED_BACKEND_DIR
#define EDGED_BACKEND_DIR "/usr/lib/edged/backends"
#endif

#define MAX_BES 16
#define MAX_BE_OPTS 32

/* The back ends --backend named, loaded for this run. */
typedef struct be_set {
    edge_be *b[MAX_BES]; /* loaded (available or not) */
    size_t n;
    edge_be *use[MAX_BES]; /* what the model gets, in priority order */
    size_t n_use;
    char refused[MAX_BES][EDGE_ERROR_MESSAGE_MAX]; /* plugins that would not load */
    size_t n_refused;
} be_set;

typedef struct op_count {
    const char *name;
    int count;
} op_count;

static size_t count_ops(const edge_model *m, op_count *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info ni;
        edge_model_node_info(m, i, &ni);
        size_t k = 0;
        while (k < n && strcmp(out[k].name, ni.op_name) != 0)
            k++;
        if (k == n && n < cap)
            out[n++] = (op_count){ni.op_name, 0};
        if (k < n)
            out[k].count++;
    }
    return n;
}

static void quant_text(const edge_tensor_info *t, char *buf, size_t len)
{
    if (t->quant_count == 0)
        snprintf(buf, len, "-");
    else if (t->quant_count == 1)
        snprintf(buf, len, "scale=%.9g zp=%d", (double)t->scale, (int)t->zero_point);
    else
        snprintf(buf, len, "per-channel x%d axis=%d scale[0]=%.9g", (int)t->quant_count,
                 (int)t->quant_axis, (double)t->scale);
}

static void print_tensor_line(const edge_tensor_info *t, size_t idx)
{
    char q[96];
    quant_text(t, q, sizeof q);
    printf("  %4zu  %-8s ", idx, edge_dtype_name(t->type));
    edgectl_print_shape(stdout, t->dims, t->rank);
    printf("  %s  %zu bytes  ", q, t->bytes);
    if (t->is_constant)
        printf("const");
    else if (t->is_variable)
        printf("var@%zu", t->var_offset);
    else
        printf("arena@%zu", t->arena_offset);
    printf("  %s\n", t->name);
}

/* The tensor indices V[0..N) separated by SEP. */
static void print_indices(const int32_t *v, int32_t n, const char *sep)
{
    for (int32_t k = 0; k < n; k++)
        printf("%s%d", k ? sep : "", (int)v[k]);
}

/* The three tensor lists inspect prints: the graph's inputs, its outputs, every tensor. */
typedef enum tensor_set { SET_INPUTS, SET_OUTPUTS, SET_ALL } tensor_set;

static size_t set_count(const edge_model *m, tensor_set s)
{
    return s == SET_INPUTS    ? edge_model_input_count(m)
           : s == SET_OUTPUTS ? edge_model_output_count(m)
                              : edge_model_tensor_count(m);
}

static void set_info(const edge_model *m, tensor_set s, size_t i, edge_tensor_info *t)
{
    if (s == SET_INPUTS)
        edge_model_input_info(m, i, t);
    else if (s == SET_OUTPUTS)
        edge_model_output_info(m, i, t);
    else
        edge_model_tensor_info(m, i, t);
}

static void print_io(const char *title, const edge_model *m, tensor_set s)
{
    printf("%s:\n", title);
    for (size_t i = 0; i < set_count(m, s); i++) {
        edge_tensor_info t;
        set_info(m, s, i, &t);
        print_tensor_line(&t, i);
    }
}

static void be_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    if (level <= EDGE_BE_LOG_WARN)
        fprintf(stderr, "edgectl: back end: %s\n", msg);
}

/* Load DIR/edge-NAME.so with the NAME.KEY=VALUE options of OPTS. */
static void load_one(be_set *bs, const char *dir, const char *name, char *const *opts,
                     size_t n_opts)
{
    if (bs->n == MAX_BES)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/edge-%s.so", dir, name);
    edge_be_option o[MAX_BE_OPTS];
    char keys[MAX_BE_OPTS][64];
    size_t n = 0;
    const size_t nl = strlen(name);
    for (size_t i = 0; i < n_opts && n < MAX_BE_OPTS; i++) {
        const char *eq = strchr(opts[i], '=');
        if (strncmp(opts[i], name, nl) != 0 || opts[i][nl] != '.' || !eq)
            continue;
        snprintf(keys[n], sizeof keys[n], "%.*s", (int)(eq - opts[i] - (long)nl - 1),
                 opts[i] + nl + 1);
        o[n] = (edge_be_option){keys[n], eq + 1};
        n++;
    }
    const edge_be_host host = {EDGE_BACKEND_ABI_VERSION, sizeof(edge_be_host), be_log, NULL};
    edge_error err = {0};
    edge_be *b = NULL;
    if (edge_be_load(path, &host, o, n, &b, &err) == 0)
        bs->b[bs->n++] = b;
    else if (bs->n_refused < MAX_BES)
        snprintf(bs->refused[bs->n_refused++], sizeof bs->refused[0], "%s", err.message);
}

/* SPEC: auto (every plugin in DIR), cpu, or names (DIR/edge-NAME.so each); then
 * which of them the model gets, as edged chooses (edge_be_select). */
static int load_backends(be_set *bs, const char *spec, const char *dir, char *const *opts,
                         size_t n_opts)
{
    edge_error err = {0};
    if (edge_be_spec_check(spec, &err)) {
        fprintf(stderr, "edgectl: --backend %s: %s\n", spec, err.message);
        return -1;
    }
    if (!strcmp(spec, "auto")) {
        DIR *d = opendir(dir);
        for (struct dirent *e; d && (e = readdir(d));) {
            const size_t len = strlen(e->d_name);
            if (len > 8 && len < 72 && !strncmp(e->d_name, "edge-", 5) &&
                !strcmp(e->d_name + len - 3, ".so")) {
                char name[64];
                snprintf(name, sizeof name, "%.*s", (int)(len - 8), e->d_name + 5);
                load_one(bs, dir, name, opts, n_opts);
            }
        }
        if (d)
            closedir(d);
    } else if (strcmp(spec, "cpu") != 0) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", spec);
        for (char *save = NULL, *w = strtok_r(buf, ", ", &save); w;
             w = strtok_r(NULL, ", ", &save)) {
            const size_t before = bs->n;
            load_one(bs, dir, w, opts, n_opts);
            if (bs->n == before) {
                fprintf(stderr, "edgectl: --backend %s: %s\n", w,
                        bs->n_refused ? bs->refused[bs->n_refused - 1] : "cannot load it");
                return -1;
            }
        }
    }
    if (edge_be_select(bs->b, bs->n, spec, bs->use, MAX_BES, &bs->n_use, &err)) {
        fprintf(stderr, "edgectl: --backend %s: %s\n", spec, err.message);
        return -1;
    }
    return 0;
}

static void be_set_free(be_set *bs)
{
    for (size_t i = 0; i < bs->n; i++)
        edge_be_unref(bs->b[i]);
}

static void print_backends(const be_set *bs, const edge_model *m)
{
    printf("back ends:\n");
    for (size_t i = 0; i < bs->n; i++) {
        edge_be *b = bs->b[i];
        if (!edge_be_available(b)) {
            printf("  %-10s unavailable: %s\n", edge_be_name(b), edge_be_why(b));
            continue;
        }
        printf("  %-10s priority %d, %s\n", edge_be_name(b), (int)edge_be_priority(b),
               edge_be_description(b));
        for (int d = 0; d < edge_be_device_count(b); d++) {
            edge_be_device dev;
            if (edge_be_device_info(b, d, &dev) == 0)
                printf("             device %d%s: %s (%s)\n", d, dev.selected ? " (selected)" : "",
                       dev.name, dev.description);
        }
    }
    for (size_t i = 0; i < bs->n_refused; i++)
        printf("  refused: %s\n", bs->refused[i]);
    printf("partitions: %zu\n", edge_model_partition_count(m));
    for (size_t i = 0; i < edge_model_partition_count(m); i++) {
        edge_partition_info p;
        edge_model_partition_info(m, i, &p);
        printf("  %zu  %-10s nodes %d-%d (%d)", i, p.backend, (int)p.first,
               (int)(p.first + p.count - 1), (int)p.count);
        if (strcmp(p.backend, "cpu") != 0) {
            printf("  copied in: [");
            print_indices(p.inputs, p.n_inputs, " ");
            printf("]  copied out: [");
            print_indices(p.outputs, p.n_outputs, " ");
            printf("]%s", p.cpu_fallback ? "" : "  (no CPU fallback)");
        }
        printf("\n");
    }
    for (size_t i = 0; i < edge_model_backend_note_count(m); i++) {
        edge_backend_note nt;
        edge_model_backend_note(m, i, &nt);
        printf("  left on the CPU: %s could not prepare nodes %d-%d: %s\n", nt.backend,
               (int)nt.first, (int)(nt.first + nt.count - 1), nt.message);
    }
}

static void print_human(const char *path, const edge_model *m, const be_set *bs)
{
    op_count ops[256];
    const size_t nops = count_ops(m, ops, 256);
    printf("model: %s (%zu bytes)\n", path, edge_model_file_bytes(m));
    if (*edge_model_description(m))
        printf("description: %s\n", edge_model_description(m));
    printf("operators: %zu nodes\n", edge_model_node_count(m));
    for (size_t i = 0; i < nops; i++)
        printf("  %-26s %d\n", ops[i].name, ops[i].count);
    print_io("inputs", m, SET_INPUTS);
    print_io("outputs", m, SET_OUTPUTS);
    char title[48];
    snprintf(title, sizeof title, "tensors: %zu", edge_model_tensor_count(m));
    print_io(title, m, SET_ALL);
    printf("execution order:\n");
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info ni;
        edge_model_node_info(m, i, &ni);
        printf("  %4zu  %-8s %-24s %s%s%s v%d (", i, ni.backend, ni.kernel, ni.op_name,
               ni.custom_code ? " " : "", ni.custom_code ? ni.custom_code : "", (int)ni.version);
        print_indices(ni.inputs, ni.n_inputs, " ");
        printf(") -> (");
        print_indices(ni.outputs, ni.n_outputs, " ");
        printf(")\n");
    }
    edgectl_inspect_graphs_human(m);
    printf("work per inference: %.4g multiply-accumulates\n", (double)edge_model_macs(m));
    printf("memory:\n");
    printf("  file bytes      %zu (%s)\n", edge_model_file_bytes(m),
           edge_model_file_backed(m) ? "mapped read-only: page cache, shared with every process "
                                       "mapping the file, dropped and read again by the kernel"
                                     : "a private copy: anonymous");
    printf("  weight bytes    %zu (of the file: constant tensors, used in place)\n",
           edge_model_weight_bytes(m));
    printf("  prepared bytes  %zu (anonymous: per model version, shared by interpreters)\n",
           edge_model_prepared_bytes(m));
    printf("  packed bytes    %zu (of the prepared bytes: weights packed for the kernels)\n",
           edge_model_packed_bytes(m));
    printf("  arena bytes     %zu (anonymous: activations and scratch, per interpreter)\n",
           edge_model_arena_bytes(m));
    printf("kernels: level %s (this CPU's best: %s; EDGE_ISA or --isa choose a lower one)\n",
           edge_isa_name(edge_model_isa(m)), edge_isa_name(edge_isa_best()));
    printf("  %s\n", edge_model_kernels(m));
    if (bs)
        print_backends(bs, m);
}

static void json_tensor(const edge_tensor_info *t, size_t idx)
{
    printf("{\"index\":%zu,\"name\":", idx);
    edgectl_json_str(stdout, t->name);
    printf(",\"type\":\"%s\",\"shape\":", edge_dtype_name(t->type));
    edgectl_print_shape(stdout, t->dims, t->rank);
    printf(",\"bytes\":%zu,\"constant\":%s", t->bytes, t->is_constant ? "true" : "false");
    if (t->is_variable)
        printf(",\"variable\":true,\"var_offset\":%zu", t->var_offset);
    else if (!t->is_constant)
        printf(",\"arena_offset\":%zu", t->arena_offset);
    if (t->quant_count > 0) {
        printf(",\"quantization\":{\"axis\":%d,\"scale\":[", (int)t->quant_axis);
        for (int32_t c = 0; c < t->quant_count; c++)
            printf(c ? ",%.9g" : "%.9g", (double)t->scales[c]);
        printf("],\"zero_point\":[");
        for (int32_t c = 0; c < t->quant_count; c++)
            printf(c ? ",%d" : "%d", (int)t->zero_points[c]);
        printf("]}");
    }
    printf("}");
}

static void json_backends(const be_set *bs, const edge_model *m)
{
    printf(",\"backends\":[");
    for (size_t i = 0; bs && i < bs->n; i++) {
        edge_be *b = bs->b[i];
        printf("%s{\"name\":\"%s\",\"available\":%s,\"priority\":%d,\"why\":", i ? "," : "",
               edge_be_name(b), edge_be_available(b) ? "true" : "false", (int)edge_be_priority(b));
        edgectl_json_str(stdout, edge_be_why(b));
        printf(",\"devices\":[");
        for (int d = 0; d < edge_be_device_count(b); d++) {
            edge_be_device dev;
            if (edge_be_device_info(b, d, &dev))
                continue;
            printf("%s{\"name\":", d ? "," : "");
            edgectl_json_str(stdout, dev.name);
            printf(",\"description\":");
            edgectl_json_str(stdout, dev.description);
            printf(",\"selected\":%s}", dev.selected ? "true" : "false");
        }
        printf("]}");
    }
    printf("],\"partitions\":[");
    for (size_t i = 0; i < edge_model_partition_count(m); i++) {
        edge_partition_info p;
        edge_model_partition_info(m, i, &p);
        printf("%s{\"backend\":\"%s\",\"first\":%d,\"count\":%d,\"cpu_fallback\":%s,"
               "\"inputs\":[",
               i ? "," : "", p.backend, (int)p.first, (int)p.count,
               p.cpu_fallback ? "true" : "false");
        print_indices(p.inputs, p.n_inputs, ",");
        printf("],\"outputs\":[");
        print_indices(p.outputs, p.n_outputs, ",");
        printf("]}");
    }
    printf("],\"prepare_failures\":[");
    for (size_t i = 0; i < edge_model_backend_note_count(m); i++) {
        edge_backend_note nt;
        edge_model_backend_note(m, i, &nt);
        printf("%s{\"backend\":\"%s\",\"first\":%d,\"count\":%d,\"message\":", i ? "," : "",
               nt.backend, (int)nt.first, (int)nt.count);
        edgectl_json_str(stdout, nt.message);
        printf("}");
    }
    printf("]");
}

/* ,"KEY":[tensor,...] */
static void json_tensors(const char *key, const edge_model *m, tensor_set s)
{
    printf(",\"%s\":[", key);
    for (size_t i = 0; i < set_count(m, s); i++) {
        edge_tensor_info t;
        set_info(m, s, i, &t);
        printf(i ? "," : "");
        json_tensor(&t, i);
    }
    printf("]");
}

static void print_json(const char *path, const edge_model *m, const be_set *bs)
{
    op_count ops[256];
    const size_t nops = count_ops(m, ops, 256);
    printf("{\"file\":");
    edgectl_json_str(stdout, path);
    printf(",\"file_bytes\":%zu,\"description\":", edge_model_file_bytes(m));
    edgectl_json_str(stdout, edge_model_description(m));
    printf(",\"nodes\":%zu,\"operators\":{", edge_model_node_count(m));
    for (size_t i = 0; i < nops; i++)
        printf("%s\"%s\":%d", i ? "," : "", ops[i].name, ops[i].count);
    printf("}");
    json_tensors("inputs", m, SET_INPUTS);
    json_tensors("outputs", m, SET_OUTPUTS);
    json_tensors("tensors", m, SET_ALL);
    printf(",\"execution_order\":[");
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info ni;
        edge_model_node_info(m, i, &ni);
        printf("%s{\"op\":\"%s\",\"version\":%d,\"kernel\":\"%s\",\"packed_bytes\":%zu,"
               "\"backend\":\"%s\",\"partition\":%d",
               i ? "," : "", ni.op_name, (int)ni.version, ni.kernel, ni.packed_bytes, ni.backend,
               (int)ni.partition);
        if (ni.custom_code) {
            printf(",\"custom_code\":");
            edgectl_json_str(stdout, ni.custom_code);
        }
        printf("}");
    }
    printf("]");
    edgectl_inspect_graphs_json(m);
    json_backends(bs, m);
    printf(",\"macs\":%llu,\"file_mapped\":%s,\"arena_bytes\":%zu,\"weight_bytes\":%zu,"
           "\"prepared_bytes\":%zu,\"packed_bytes\":%zu,\"isa\":\"%s\",\"cpu_isa\":\"%s\"}\n",
           (unsigned long long)edge_model_macs(m), edge_model_file_backed(m) ? "true" : "false",
           edge_model_arena_bytes(m), edge_model_weight_bytes(m), edge_model_prepared_bytes(m),
           edge_model_packed_bytes(m), edge_isa_name(edge_model_isa(m)),
           edge_isa_name(edge_isa_best()));
}

#define INSPECT_USAGE                                                                              \
    "usage: edgectl inspect FILE.tflite [--json] [--isa LEVEL] [--backend auto|cpu|NAME[,NAME]]\n" \
    "                       [--backend-dir DIR] [--backend-option NAME.KEY=VALUE]...\n"

int edgectl_inspect(int argc, char **argv)
{
    const char *path = NULL, *spec = NULL, *dir = EDGED_BACKEND_DIR;
    char *opts[MAX_BE_OPTS];
    size_t n_opts = 0;
    bool json = false;
    edge_model_options opt = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--isa") && i + 1 < argc) {
            edge_error e;
            if (edge_isa_parse(argv[++i], &opt.isa, &e)) {
                fprintf(stderr, "edgectl: --isa: %s\n", e.message);
                return EDGECTL_EUSAGE;
            }
        } else if (!strcmp(argv[i], "--backend") && i + 1 < argc)
            spec = argv[++i];
        else if (!strcmp(argv[i], "--backend-dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--backend-option") && i + 1 < argc && n_opts < MAX_BE_OPTS) {
            if (!strchr(argv[++i], '.') || !strchr(argv[i], '=')) {
                fprintf(stderr, "edgectl: --backend-option %s: expected NAME.KEY=VALUE\n", argv[i]);
                return EDGECTL_EUSAGE;
            }
            opts[n_opts++] = argv[i];
        } else if (argv[i][0] == '-' || path) {
            fprintf(stderr, INSPECT_USAGE);
            return EDGECTL_EUSAGE;
        } else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, INSPECT_USAGE);
        return EDGECTL_EUSAGE;
    }
    be_set bs = {0};
    if (spec && load_backends(&bs, spec, dir, opts, n_opts)) {
        be_set_free(&bs);
        return EDGECTL_EFAIL;
    }
    opt.backends = bs.use;
    opt.n_backends = bs.n_use;
    edge_model *m = NULL;
    edge_error err = {0};
    int rc = edge_model_open(path, &opt, &m, &err);
    if (rc) {
        fprintf(stderr, "edgectl: %s\n", err.message);
        be_set_free(&bs);
        return rc == EDGE_EIO ? EDGECTL_EIO : EDGECTL_EFAIL;
    }
    if (json)
        print_json(path, m, spec ? &bs : NULL);
    else
        print_human(path, m, spec ? &bs : NULL);
    edge_model_unref(m);
    be_set_free(&bs);
    return EDGECTL_OK;
}
