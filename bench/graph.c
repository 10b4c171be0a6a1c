/* bench/graph.c - bench-graph: a model's main graph as text, for anchor-xnngraph.
 *
 * Owns: reading a .tflite with libedge (its tensors, its nodes in execution order, each node's
 * decoded options and the small constant operands that shape it) and printing the graph in the
 * line format anchor_xnngraph.c reads, so that upstream XNNPACK can run the same network
 * through its subgraph API (as TensorFlow Lite's XNNPACK delegate builds it) on a machine or
 * under qemu where libedge is not built:
 *
 *   edged-graph 1
 *   tensor ID TYPE KIND RANK D0 ... SCALE ZERO_POINT NSCALES [AXIS S0 S1 ...]
 *   node OP NIN IN... NOUT OUT... [KEY=VALUE ...]
 *
 * TYPE is f32, i8, u8, i16 or i32; KIND is input, output, const or act (a tensor the graph
 * computes); NSCALES is 0 or 1 (per tensor) or the channel count, followed by the quantized
 * axis and the scales. Keys per operator: pad=same|valid, sw, sh, dw, dh, fw, fh (the pools),
 * dm (depth multiplier) and act=none|relu|relu6|relu1 for the windows; act for ADD, SUB, MUL,
 * CONCATENATION (with axis, made non-negative) and FULLY_CONNECTED; beta for SOFTMAX;
 * STRIDED_SLICE's begin, end and stride resolved against its input's shape (masks and offset
 * applied: one value per input dimension); TRANSPOSE's perm; PAD's pads (before and after per
 * dimension); MEAN's axes and keep. The graph is the file's: the loader's PAD fold is turned
 * off (EDGE_FOLD_PAD=0), as XNNPACK folds a PAD into the convolution it feeds itself.
 * Does not own: the anchor (anchor_xnngraph.c), the weights' values (the anchor draws its own:
 * an instruction count or a time does not depend on them).
 *
 * Usage: bench-graph MODEL.tflite > MODEL.graph */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/ops.h"
#include "edge/runtime.h"

static const char *type_text(int t)
{
    switch (t) {
    case EDGE_FLOAT32: return "f32";
    case EDGE_INT8: return "i8";
    case EDGE_UINT8: return "u8";
    case EDGE_INT16: return "i16";
    case EDGE_INT32: return "i32";
    default: return NULL;
    }
}

static const char *act_text(int32_t a)
{
    switch (a) {
    case EDGE_ACT_NONE: return "none";
    case EDGE_ACT_RELU: return "relu";
    case EDGE_ACT_RELU6: return "relu6";
    case EDGE_ACT_RELU_N1_TO_1: return "relu1";
    default: return NULL;
    }
}

/* Constant int32 or int64 tensor T's N values into V (at most EDGE_MAX_DIMS * 2); -1 if it is
 * not one. */
static int const_ints(const edge_model *m, int32_t t, int64_t *v, int max)
{
    edge_tensor_info ti;
    size_t bytes = 0;
    if (t < 0 || edge_model_tensor_info(m, (size_t)t, &ti) || !ti.is_constant)
        return -1;
    const void *d = edge_model_tensor_data(m, (size_t)t, &bytes);
    const size_t es = ti.type == EDGE_INT32 ? 4 : ti.type == EDGE_INT64 ? 8 : 0;
    if (!d || !es || bytes / es > (size_t)max)
        return -1;
    for (size_t i = 0; i < bytes / es; i++)
        v[i] = es == 4 ? ((const int32_t *)d)[i] : ((const int64_t *)d)[i];
    return (int)(bytes / es);
}

static void print_list(const char *key, const int64_t *v, int n)
{
    printf(" %s=", key);
    for (int i = 0; i < n; i++)
        printf(i ? ",%lld" : "%lld", (long long)v[i]);
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* STRIDED_SLICE (TensorFlow Lite's strided_slice.cc, without ellipsis and new axes): begin,
 * end and stride per input dimension. 0, or -1 where the node is not of that kind. */
static int slice_keys(const edge_model *m, const edge_node_info *ni,
                      const edge_strided_slice_options *o)
{
    edge_tensor_info in;
    int64_t b[EDGE_MAX_DIMS], e[EDGE_MAX_DIMS], s[EDGE_MAX_DIMS];
    if (edge_model_tensor_info(m, (size_t)ni->inputs[0], &in) || o->ellipsis_mask ||
        o->new_axis_mask)
        return -1;
    const int n = in.rank;
    if (const_ints(m, ni->inputs[1], b, EDGE_MAX_DIMS) != n ||
        const_ints(m, ni->inputs[2], e, EDGE_MAX_DIMS) != n ||
        const_ints(m, ni->inputs[3], s, EDGE_MAX_DIMS) != n)
        return -1;
    for (int i = 0; i < n; i++) {
        const int64_t d = in.dims[i];
        if (s[i] == 0)
            return -1;
        int64_t bi = b[i] < 0 ? b[i] + d : b[i];
        bi = s[i] > 0 ? clamp64(bi, 0, d) : clamp64(bi, -1, d - 1);
        if (o->begin_mask >> i & 1)
            bi = s[i] > 0 ? 0 : d - 1;
        int64_t ei = o->offset ? bi + e[i] : e[i] < 0 ? e[i] + d : e[i];
        ei = s[i] > 0 ? clamp64(ei, 0, d) : clamp64(ei, -1, d - 1);
        if (o->end_mask >> i & 1 && !o->offset)
            ei = s[i] > 0 ? d : -1;
        if (o->shrink_mask >> i & 1) {
            ei = bi + 1;
            s[i] = 1;
        }
        b[i] = bi;
        e[i] = ei;
    }
    print_list("begin", b, n);
    print_list("end", e, n);
    print_list("stride", s, n);
    return 0;
}

/* The keys of node NI (options P); -1 for an option this format cannot say. */
static int node_keys(const edge_model *m, const edge_node_info *ni, const edge_op_params *p)
{
    int64_t v[2 * EDGE_MAX_DIMS];
    int n;
    switch (ni->builtin_code) {
    case EDGE_OP_CONV_2D:
    case EDGE_OP_DEPTHWISE_CONV_2D:
    case EDGE_OP_MAX_POOL_2D:
    case EDGE_OP_AVERAGE_POOL_2D: {
        const edge_window_options *w = &p->window;
        if (!act_text(w->activation))
            return -1;
        printf(" pad=%s sw=%d sh=%d dw=%d dh=%d fw=%d fh=%d dm=%d act=%s",
               w->padding == EDGE_PAD_SAME ? "same" : "valid", w->stride_w, w->stride_h,
               w->dilation_w, w->dilation_h, w->filter_w, w->filter_h, w->depth_multiplier,
               act_text(w->activation));
        return 0;
    }
    case EDGE_OP_ADD:
    case EDGE_OP_SUB:
    case EDGE_OP_MUL:
        if (!act_text(p->activation))
            return -1;
        printf(" act=%s", act_text(p->activation));
        return 0;
    case EDGE_OP_FULLY_CONNECTED:
        if (!act_text(p->fc.activation))
            return -1;
        printf(" act=%s keep=%d", act_text(p->fc.activation), (int)p->fc.keep_num_dims);
        return 0;
    case EDGE_OP_CONCATENATION: {
        edge_tensor_info out;
        if (!act_text(p->concat.activation) ||
            edge_model_tensor_info(m, (size_t)ni->outputs[0], &out))
            return -1;
        printf(" axis=%d act=%s", p->concat.axis < 0 ? p->concat.axis + out.rank : p->concat.axis,
               act_text(p->concat.activation));
        return 0;
    }
    case EDGE_OP_SOFTMAX: printf(" beta=%g", (double)p->beta); return 0;
    case EDGE_OP_STRIDED_SLICE: return slice_keys(m, ni, &p->slice);
    case EDGE_OP_TRANSPOSE:
        if ((n = const_ints(m, ni->inputs[1], v, EDGE_MAX_DIMS)) < 0)
            return -1;
        print_list("perm", v, n);
        return 0;
    case EDGE_OP_PAD:
    case EDGE_OP_PADV2:
        if ((n = const_ints(m, ni->inputs[1], v, 2 * EDGE_MAX_DIMS)) < 0)
            return -1;
        print_list("pads", v, n);
        return 0;
    case EDGE_OP_MEAN:
        if ((n = const_ints(m, ni->inputs[1], v, EDGE_MAX_DIMS)) < 0)
            return -1;
        print_list("axes", v, n);
        printf(" keep=%d", (int)p->keep_dims);
        return 0;
    default: return 0;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench-graph MODEL.tflite > MODEL.graph\n");
        return 2;
    }
    /* the graph as the file has it: PAD stays a node (XNNPACK folds it into the convolution) */
    setenv("EDGE_FOLD_PAD", "0", 1);
    edge_model *m = NULL;
    edge_error e;
    if (edge_model_open(argv[1], NULL, &m, &e) != 0) {
        fprintf(stderr, "bench-graph: %s: %s\n", argv[1], e.message);
        return 1;
    }
    edge_subgraph_info sg;
    edge_model_subgraph_info(m, 0, &sg);
    printf("edged-graph 1\n");
    for (int32_t t = 0; t < sg.n_tensors; t++) {
        edge_tensor_info ti;
        edge_model_tensor_info(m, (size_t)t, &ti);
        const char *kind = ti.is_constant ? "const" : "act";
        for (int32_t k = 0; k < sg.n_inputs; k++)
            kind = sg.inputs[k] == t ? "input" : kind;
        for (int32_t k = 0; k < sg.n_outputs; k++)
            kind = sg.outputs[k] == t ? "output" : kind;
        printf("tensor %d %s %s %d", (int)t, type_text(ti.type) ? type_text(ti.type) : "other",
               kind, ti.rank);
        for (int d = 0; d < ti.rank; d++)
            printf(" %d", (int)ti.dims[d]);
        printf(" %.9g %d %d", (double)ti.scale, (int)ti.zero_point, (int)ti.quant_count);
        if (ti.quant_count > 1) {
            printf(" %d", (int)ti.quant_axis);
            for (int32_t c = 0; c < ti.quant_count; c++)
                printf(" %.9g", (double)ti.scales[c]);
        }
        printf("\n");
    }
    int rc = 0;
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info ni;
        edge_op_params p;
        edge_model_node_info(m, i, &ni);
        edge_model_node_params(m, i, &p, sizeof p);
        printf("node %s %d", ni.custom_code ? ni.custom_code : ni.op_name, (int)ni.n_inputs);
        for (int32_t k = 0; k < ni.n_inputs; k++)
            printf(" %d", (int)ni.inputs[k]);
        printf(" %d", (int)ni.n_outputs);
        for (int32_t k = 0; k < ni.n_outputs; k++)
            printf(" %d", (int)ni.outputs[k]);
        if (node_keys(m, &ni, &p)) {
            fprintf(stderr, "bench-graph: node %zu (%s): options this format cannot carry\n", i,
                    ni.op_name);
            rc = 1;
        }
        printf("\n");
    }
    edge_model_unref(m);
    return rc;
}
