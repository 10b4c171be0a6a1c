/* client/inspect_graphs.c - what `edgectl inspect` says of subgraphs, variables and custom
 * operators.
 *
 * Owns: the human and JSON sections listing every subgraph of the file (name, inputs, outputs,
 * node count, whether subgraph 0 calls it), the state each interpreter keeps (variable tensors
 * and resource variables with type and shape) and the custom operators of every subgraph by
 * name, from the public model-info API (include/edge/runtime.h). Does not own the rest of
 * inspect's output (cmd_inspect.c). */
#include <stdint.h>
#include <stdio.h>

#include "edge/runtime.h"
#include "edgectl.h"

static void print_list(const int32_t *v, int32_t n)
{
    printf("[");
    for (int32_t k = 0; k < n; k++)
        printf("%s%d", k ? "," : "", (int)v[k]);
    printf("]");
}

void edgectl_inspect_graphs_human(const edge_model *m)
{
    printf("subgraphs: %zu\n", edge_model_subgraph_count(m));
    for (size_t i = 0; i < edge_model_subgraph_count(m); i++) {
        edge_subgraph_info s;
        edge_model_subgraph_info(m, i, &s);
        printf("  %4zu  %-16s %d nodes, inputs ", i, s.name[0] ? s.name : "-", (int)s.n_nodes);
        print_list(s.inputs, s.n_inputs);
        printf(" outputs ");
        print_list(s.outputs, s.n_outputs);
        printf("%s\n", i == 0 ? "  (main)" : s.called ? "  (called)" : "  (never called)");
    }
    printf("variables: %zu\n", edge_model_variable_count(m));
    for (size_t i = 0; i < edge_model_variable_count(m); i++) {
        edge_variable_info v;
        edge_model_variable_info(m, i, &v);
        if (v.resource)
            printf("  resource  %s/%s  ", v.container, v.name);
        else
            printf("  tensor    subgraph %d tensor %d %s  ", (int)v.subgraph, (int)v.tensor,
                   v.name);
        if (v.resource && !v.bytes && !v.rank && !v.type)
            printf("(never read or assigned)\n");
        else {
            printf("%s", edge_dtype_name(v.type));
            edgectl_print_shape(stdout, v.dims, v.rank);
            printf("  %zu bytes\n", v.bytes);
        }
    }
    const char *name;
    printf("custom operators:");
    for (size_t i = 0; (name = edge_model_custom_op(m, i)); i++)
        printf(" %s", name);
    printf(edge_model_custom_op(m, 0) ? "\n" : " none\n");
}

void edgectl_inspect_graphs_json(const edge_model *m)
{
    printf(",\"subgraphs\":[");
    for (size_t i = 0; i < edge_model_subgraph_count(m); i++) {
        edge_subgraph_info s;
        edge_model_subgraph_info(m, i, &s);
        printf("%s{\"name\":", i ? "," : "");
        edgectl_json_str(stdout, s.name);
        printf(",\"nodes\":%d,\"inputs\":", (int)s.n_nodes);
        print_list(s.inputs, s.n_inputs);
        printf(",\"outputs\":");
        print_list(s.outputs, s.n_outputs);
        printf(",\"called\":%s}", s.called ? "true" : "false");
    }
    printf("],\"variables\":[");
    for (size_t i = 0; i < edge_model_variable_count(m); i++) {
        edge_variable_info v;
        edge_model_variable_info(m, i, &v);
        printf("%s{\"kind\":\"%s\",\"name\":", i ? "," : "", v.resource ? "resource" : "tensor");
        edgectl_json_str(stdout, v.name);
        if (v.resource) {
            printf(",\"container\":");
            edgectl_json_str(stdout, v.container);
        } else
            printf(",\"subgraph\":%d,\"tensor\":%d", (int)v.subgraph, (int)v.tensor);
        printf(",\"type\":\"%s\",\"shape\":", edge_dtype_name(v.type));
        edgectl_print_shape(stdout, v.dims, v.rank);
        printf(",\"bytes\":%zu}", v.bytes);
    }
    printf("],\"custom_operators\":[");
    const char *name;
    for (size_t i = 0; (name = edge_model_custom_op(m, i)); i++) {
        printf(i ? "," : "");
        edgectl_json_str(stdout, name);
    }
    printf("]");
}
