/* client/cmd_inspect.c - `edgectl inspect FILE.tflite [--json]`.
 *
 * Owns: describing a model offline: operators with counts, every tensor with
 * type, shape, quantization and where it lives (constant in the file, or its
 * arena offset), inputs and outputs, execution order, and the memory figures
 * (arena, weights used in place, prepared data). Opening the model runs the
 * full verification, so a bad file is reported exactly as the daemon would. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/runtime.h"
#include "edgectl.h"

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
    else
        printf("arena@%zu", t->arena_offset);
    printf("  %s\n", t->name);
}

static void print_io(const char *title, const edge_model *m, bool inputs)
{
    const size_t n = inputs ? edge_model_input_count(m) : edge_model_output_count(m);
    printf("%s:\n", title);
    for (size_t i = 0; i < n; i++) {
        edge_tensor_info t;
        if (inputs)
            edge_model_input_info(m, i, &t);
        else
            edge_model_output_info(m, i, &t);
        print_tensor_line(&t, i);
    }
}

static void print_human(const char *path, const edge_model *m)
{
    op_count ops[256];
    const size_t nops = count_ops(m, ops, 256);
    printf("model: %s (%zu bytes)\n", path, edge_model_file_bytes(m));
    if (*edge_model_description(m))
        printf("description: %s\n", edge_model_description(m));
    printf("operators: %zu nodes\n", edge_model_node_count(m));
    for (size_t i = 0; i < nops; i++)
        printf("  %-26s %d\n", ops[i].name, ops[i].count);
    print_io("inputs", m, true);
    print_io("outputs", m, false);
    printf("tensors: %zu\n", edge_model_tensor_count(m));
    for (size_t i = 0; i < edge_model_tensor_count(m); i++) {
        edge_tensor_info t;
        edge_model_tensor_info(m, i, &t);
        print_tensor_line(&t, i);
    }
    printf("execution order:\n");
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info ni;
        edge_model_node_info(m, i, &ni);
        printf("  %4zu  %-24s %s v%d (", i, ni.kernel, ni.op_name, (int)ni.version);
        for (int k = 0; k < ni.n_inputs; k++)
            printf(k ? " %d" : "%d", (int)ni.inputs[k]);
        printf(") -> (");
        for (int k = 0; k < ni.n_outputs; k++)
            printf(k ? " %d" : "%d", (int)ni.outputs[k]);
        printf(")\n");
    }
    printf("work per inference: %.4g multiply-accumulates\n", (double)edge_model_macs(m));
    printf("memory:\n");
    printf("  arena bytes     %zu (activations and scratch, per interpreter)\n",
           edge_model_arena_bytes(m));
    printf("  weight bytes    %zu (used in place from the mapped file)\n",
           edge_model_weight_bytes(m));
    printf("  prepared bytes  %zu (per model version, shared by interpreters)\n",
           edge_model_prepared_bytes(m));
    printf("  packed bytes    %zu (of the prepared bytes: weights packed for the kernels)\n",
           edge_model_packed_bytes(m));
    printf("kernels: level %s (this CPU's best: %s; EDGE_ISA or --isa choose a lower one)\n",
           edge_isa_name(edge_model_isa(m)), edge_isa_name(edge_isa_best()));
    printf("  %s\n", edge_model_kernels(m));
}

static void json_tensor(const edge_tensor_info *t, size_t idx)
{
    printf("{\"index\":%zu,\"name\":", idx);
    edgectl_json_str(stdout, t->name);
    printf(",\"type\":\"%s\",\"shape\":", edge_dtype_name(t->type));
    edgectl_print_shape(stdout, t->dims, t->rank);
    printf(",\"bytes\":%zu,\"constant\":%s", t->bytes, t->is_constant ? "true" : "false");
    if (!t->is_constant)
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

static void print_json(const char *path, const edge_model *m)
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
    printf("},\"inputs\":[");
    for (size_t i = 0; i < edge_model_input_count(m); i++) {
        edge_tensor_info t;
        edge_model_input_info(m, i, &t);
        printf(i ? "," : "");
        json_tensor(&t, i);
    }
    printf("],\"outputs\":[");
    for (size_t i = 0; i < edge_model_output_count(m); i++) {
        edge_tensor_info t;
        edge_model_output_info(m, i, &t);
        printf(i ? "," : "");
        json_tensor(&t, i);
    }
    printf("],\"tensors\":[");
    for (size_t i = 0; i < edge_model_tensor_count(m); i++) {
        edge_tensor_info t;
        edge_model_tensor_info(m, i, &t);
        printf(i ? "," : "");
        json_tensor(&t, i);
    }
    printf("],\"execution_order\":[");
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info ni;
        edge_model_node_info(m, i, &ni);
        printf("%s{\"op\":\"%s\",\"version\":%d,\"kernel\":\"%s\",\"packed_bytes\":%zu}",
               i ? "," : "", ni.op_name, (int)ni.version, ni.kernel, ni.packed_bytes);
    }
    printf("],\"macs\":%llu,\"arena_bytes\":%zu,\"weight_bytes\":%zu,\"prepared_bytes\":%zu,"
           "\"packed_bytes\":%zu,\"isa\":\"%s\",\"cpu_isa\":\"%s\"}\n",
           (unsigned long long)edge_model_macs(m), edge_model_arena_bytes(m),
           edge_model_weight_bytes(m), edge_model_prepared_bytes(m), edge_model_packed_bytes(m),
           edge_isa_name(edge_model_isa(m)), edge_isa_name(edge_isa_best()));
}

int edgectl_inspect(int argc, char **argv)
{
    const char *path = NULL;
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
        } else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "usage: edgectl inspect FILE.tflite [--json] [--isa LEVEL]\n");
            return EDGECTL_EUSAGE;
        } else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: edgectl inspect FILE.tflite [--json] [--isa LEVEL]\n");
        return EDGECTL_EUSAGE;
    }
    edge_model *m = NULL;
    edge_error err = {0};
    int rc = edge_model_open(path, &opt, &m, &err);
    if (rc) {
        fprintf(stderr, "edgectl: %s\n", err.message);
        return rc == EDGE_EIO ? EDGECTL_EIO : EDGECTL_EFAIL;
    }
    if (json)
        print_json(path, m);
    else
        print_human(path, m);
    edge_model_unref(m);
    return EDGECTL_OK;
}
