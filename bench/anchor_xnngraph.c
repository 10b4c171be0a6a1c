/* bench/anchor_xnngraph.c - anchor-xnngraph: a whole model on upstream XNNPACK's subgraph API.
 *
 * Owns: reading the text graph bench-graph prints (bench/graph.c) and building the same network
 * as an XNNPACK subgraph, operator by operator as TensorFlow Lite's XNNPACK delegate maps them
 * (int8 tensors with the model's scales and zero points, per-channel int8 filters and int32
 * biases, the fused activations as output ranges, SAME padding as XNNPACK's TensorFlow flag),
 * then running it on one thread: timed, or N times untimed (--count N) for an instruction count
 * under qemu (docs/arm-kernels.md: the count at N2 minus the count at N1 over N2 - N1, as
 * tools/edge-invoke gives edged's). The weights are random: neither a time nor an instruction
 * count of XNNPACK's int8 kernels depends on them.
 *
 * The mapping, and where it is not the delegate's:
 *   CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, MAX_POOL_2D, ADD, SUB, MUL, LOGISTIC (sigmoid),
 *   CONCATENATION, STRIDED_SLICE (slice_v3, then a reshape where the slice shrinks a dimension),
 *   RESHAPE, TRANSPOSE, PAD (XNNPACK folds it into the convolution it feeds), MEAN (reduce),
 *   QUANTIZE and DEQUANTIZE (convert): the delegate's operators.
 *   AVERAGE_POOL_2D over the whole input: a mean over height and width (the delegate has no int8
 *   average pool; TensorFlow Lite runs it).
 *   RESIZE_NEAREST_NEIGHBOR by a whole factor: a reshape, a broadcast and a reshape (XNNPACK's
 *   copy of each value to its block; the delegate leaves the node to TensorFlow Lite).
 *   SOFTMAX on int8 (XNNPACK has none; TensorFlow Lite runs it): not run. Its input becomes an
 *   output of the subgraph and its output an input, so the rest runs as it would; the line
 *   "skipped" names it, and the comparison leaves the node out on edged's side too.
 * Anything else is refused with the node's index and operator.
 * Does not own: XNNPACK (built from its snapshot outside the project: -Dxnnpack_upstream=PREFIX,
 * bench/README.md), the graph's extraction (graph.c), edged's side (bench-models, edge-invoke).
 *
 * Usage: anchor-xnngraph MODEL.graph [--count N | --profile] [--threads N [--pin CPU]]
 *                        [--seconds S]
 *   prints "MODEL.graph: K nodes (S skipped: OPS); XNNPACK US us an inference (median of R,
 *   mean M us, T threads)", or with --count N only the first part after N untimed inferences.
 *   --profile adds XNNPACK's own per-operator times (its runtime's basic profiling: whole
 *   microseconds an inference, so each mean over the timed inferences reads up to 1 us low), one
 *   line an XNNPACK operator in the order it runs, to set beside bench-models --profile.
 *   --threads N runs the model on a pthreadpool of N threads (XNNPACK's own intra-op threads, as
 *   TensorFlow Lite's delegate gets them with num_threads; default 1: no pool), after S seconds
 *   of untimed inferences so that the pool's threads are awake; --pin CPU then pins the calling
 *   thread to CPU once the pool's threads exist (they keep this process's CPUs), as bench-threads
 *   pins edged's caller. --seconds S: time at least S seconds (default 0.5). */
#include <math.h>
#include <pthread.h>
#include <pthreadpool.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xnnpack.h>

#include "anchor_util.h"

#define MAX_DIMS 6
#define MAX_IN 16
#define MAX_KEYS 16

typedef struct tensor {
    char type[8], kind[8];
    int rank;
    size_t dims[MAX_DIMS];
    float scale;
    int32_t zp;
    int nscales;
    float *scales;
    uint32_t id; /* XNNPACK's value, XNN_INVALID_VALUE_ID until defined */
    void *data;  /* an external value's buffer, or a constant's */
    bool external;
} tensor;

typedef struct node {
    char op[40];
    int nin, nout;
    int in[MAX_IN], out[4];
    char keys[MAX_KEYS][2][48];
    int nkeys;
} node;

static tensor *T;
static int nt;
static xnn_subgraph_t G;
static struct xnn_external_value ext[512];
static int next;

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "anchor-xnngraph: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

#define CHECK(x, what, i)                                                          \
    do {                                                                           \
        enum xnn_status s_ = (x);                                                  \
        if (s_ != xnn_status_success)                                              \
            die("%s (node %d): XNNPACK refused it (status %d)", what, i, (int)s_); \
    } while (0)

static const char *key(const node *n, const char *k)
{
    for (int i = 0; i < n->nkeys; i++)
        if (!strcmp(n->keys[i][0], k))
            return n->keys[i][1];
    return NULL;
}

static int ikey(const node *n, const char *k)
{
    const char *v = key(n, k);
    if (!v)
        die("a node has no key %s", k);
    return atoi(v);
}

static int list_key(const node *n, const char *k, int64_t *v)
{
    const char *s = key(n, k);
    int c = 0;
    if (!s)
        die("a node has no key %s", k);
    for (char *e; *s && c < 2 * MAX_DIMS; s = *e ? e + 1 : e)
        v[c++] = strtoll(s, &e, 10);
    return c;
}

static size_t elems(const tensor *t)
{
    size_t n = 1;
    for (int d = 0; d < t->rank; d++)
        n *= t->dims[d];
    return n;
}

static size_t type_size(const char *type)
{
    return !strcmp(type, "f32") || !strcmp(type, "i32") ? 4 : !strcmp(type, "i16") ? 2 : 1;
}

/* Define activation or I/O tensor I (with DIMS/RANK overriding its shape when given). */
static uint32_t value(int i)
{
    tensor *t = &T[i];
    if (t->id != XNN_INVALID_VALUE_ID)
        return t->id;
    const bool in = !strcmp(t->kind, "input"), out = !strcmp(t->kind, "output");
    uint32_t flags = t->external || in ? XNN_VALUE_FLAG_EXTERNAL_INPUT : 0;
    flags |= out ? XNN_VALUE_FLAG_EXTERNAL_OUTPUT : 0;
    const uint32_t eid = flags ? (uint32_t)i : XNN_INVALID_VALUE_ID;
    if (!strcmp(t->type, "f32"))
        CHECK(xnn_define_tensor_value(G, xnn_datatype_fp32, (size_t)t->rank, t->dims, NULL, eid,
                                      flags, &t->id),
              "a float tensor", i);
    else if (!strcmp(t->type, "i8") || !strcmp(t->type, "u8"))
        CHECK(xnn_define_quantized_tensor_value(
                  G, !strcmp(t->type, "i8") ? xnn_datatype_qint8 : xnn_datatype_quint8, t->zp,
                  t->scale, (size_t)t->rank, t->dims, NULL, eid, flags, &t->id),
              "a quantized tensor", i);
    else
        die("tensor %d: type %s, which this anchor does not run", i, t->type);
    if (flags) {
        t->data = rnd_bytes(elems(t) * type_size(t->type), 0, 255);
        ext[next++] = (struct xnn_external_value){t->id, t->data};
    }
    return t->id;
}

/* A new internal tensor of T[LIKE]'s type and quantization with shape DIMS. */
static uint32_t temp(int like, int rank, const size_t *dims)
{
    const tensor *t = &T[like];
    uint32_t id;
    CHECK(xnn_define_quantized_tensor_value(
              G, !strcmp(t->type, "i8") ? xnn_datatype_qint8 : xnn_datatype_quint8, t->zp, t->scale,
              (size_t)rank, dims, NULL, XNN_INVALID_VALUE_ID, 0, &id),
          "an intermediate tensor", like);
    return id;
}

/* Constant operand I of an elementwise node (random values in its type). */
static uint32_t constant(int i)
{
    tensor *t = &T[i];
    if (t->id != XNN_INVALID_VALUE_ID)
        return t->id;
    t->data = rnd_bytes(elems(t) * type_size(t->type), 0, 255);
    CHECK(xnn_define_quantized_tensor_value(
              G, !strcmp(t->type, "i8") ? xnn_datatype_qint8 : xnn_datatype_quint8, t->zp, t->scale,
              (size_t)t->rank, t->dims, t->data, XNN_INVALID_VALUE_ID, 0, &t->id),
          "a constant operand", i);
    return t->id;
}

static uint32_t operand(int i)
{
    return !strcmp(T[i].kind, "const") ? constant(i) : value(i);
}

/* Filter W (channel axis AXIS) and bias B of a convolution or FULLY_CONNECTED on input X. */
static void weights(int x, int w, int b, size_t axis, uint32_t *wid, uint32_t *bid)
{
    tensor *tw = &T[w];
    tw->data = rnd_bytes(elems(tw), -127, 127); /* int8 weights, TFLite's symmetric range */
    const size_t ch = tw->dims[axis];
    if (tw->nscales > 1) {
        CHECK(xnn_define_channelwise_quantized_tensor_value(G, xnn_datatype_qcint8, tw->scales,
                                                            (size_t)tw->rank, axis, tw->dims,
                                                            tw->data, XNN_INVALID_VALUE_ID, 0, wid),
              "a per-channel filter", w);
    } else {
        CHECK(xnn_define_quantized_tensor_value(G, xnn_datatype_qint8, 0, tw->scale,
                                                (size_t)tw->rank, tw->dims, tw->data,
                                                XNN_INVALID_VALUE_ID, 0, wid),
              "a filter", w);
    }
    *bid = XNN_INVALID_VALUE_ID;
    if (b < 0)
        return;
    tensor *tb = &T[b];
    int32_t *bias = aligned_alloc(64, (ch * 4 + 63) / 64 * 64);
    for (size_t c = 0; c < ch; c++)
        bias[c] = rand() % 20001 - 10000;
    tb->data = bias;
    const size_t dims[1] = {ch};
    if (tw->nscales <= 1) { /* a per-tensor filter: a per-tensor bias */
        CHECK(xnn_define_quantized_tensor_value(G, xnn_datatype_qint32, 0, T[x].scale * tw->scale,
                                                1, dims, bias, XNN_INVALID_VALUE_ID, 0, bid),
              "a bias", b);
        return;
    }
    float *bs = malloc(ch * sizeof *bs);
    for (size_t c = 0; c < ch; c++)
        bs[c] = T[x].scale * tw->scales[c];
    CHECK(xnn_define_channelwise_quantized_tensor_value(G, xnn_datatype_qcint32, bs, 1, 0, dims,
                                                        bias, XNN_INVALID_VALUE_ID, 0, bid),
          "a bias", b);
}

static void act_range(const node *n, float *lo, float *hi)
{
    const char *a = key(n, "act");
    *lo = -INFINITY;
    *hi = INFINITY;
    if (a && !strcmp(a, "relu"))
        *lo = 0.0f;
    else if (a && !strcmp(a, "relu6"))
        *lo = 0.0f, *hi = 6.0f;
    else if (a && !strcmp(a, "relu1"))
        *lo = -1.0f, *hi = 1.0f;
}

static bool is(const node *n, const char *op)
{
    return !strcmp(n->op, op);
}

/* Define node N (index I); false when it is skipped (int8 SOFTMAX). */
static bool define(const node *n, int i)
{
    float lo, hi;
    act_range(n, &lo, &hi);
    const int x = n->in[0], y = n->out[0];
    const tensor *tx = &T[x], *ty = &T[y];
    if (is(n, "CONV_2D") || is(n, "DEPTHWISE_CONV_2D")) {
        const tensor *tw = &T[n->in[1]];
        const bool dw = is(n, "DEPTHWISE_CONV_2D");
        uint32_t wid, bid;
        weights(x, n->in[1], n->nin > 2 ? n->in[2] : -1, dw ? 3 : 0, &wid, &bid);
        const uint32_t flags =
            !strcmp(key(n, "pad"), "same") ? XNN_FLAG_TENSORFLOW_SAME_PADDING : 0;
        const uint32_t kh = (uint32_t)tw->dims[1], kw = (uint32_t)tw->dims[2];
        if (dw)
            CHECK(xnn_define_depthwise_convolution_2d(G, 0, 0, 0, 0, kh, kw, ikey(n, "sh"),
                                                      ikey(n, "sw"), ikey(n, "dh"), ikey(n, "dw"),
                                                      ikey(n, "dm"), tx->dims[3], lo, hi, value(x),
                                                      wid, bid, value(y), flags),
                  n->op, i);
        else
            CHECK(xnn_define_convolution_2d(G, 0, 0, 0, 0, kh, kw, ikey(n, "sh"), ikey(n, "sw"),
                                            ikey(n, "dh"), ikey(n, "dw"), 1, tw->dims[3],
                                            tw->dims[0], lo, hi, value(x), wid, bid, value(y),
                                            flags),
                  n->op, i);
    } else if (is(n, "FULLY_CONNECTED")) {
        uint32_t wid, bid;
        weights(x, n->in[1], n->nin > 2 ? n->in[2] : -1, 0, &wid, &bid);
        CHECK(xnn_define_fully_connected(G, lo, hi, value(x), wid, bid, value(y), 0), n->op, i);
    } else if (is(n, "MAX_POOL_2D")) {
        const uint32_t flags =
            !strcmp(key(n, "pad"), "same") ? XNN_FLAG_TENSORFLOW_SAME_PADDING : 0;
        CHECK(xnn_define_max_pooling_2d(G, 0, 0, 0, 0, ikey(n, "fh"), ikey(n, "fw"), ikey(n, "sh"),
                                        ikey(n, "sw"), 1, 1, lo, hi, value(x), value(y), flags),
              n->op, i);
    } else if (is(n, "AVERAGE_POOL_2D") || is(n, "MEAN")) {
        if (is(n, "AVERAGE_POOL_2D") &&
            (ikey(n, "fh") != (int)tx->dims[1] || ikey(n, "fw") != (int)tx->dims[2]))
            die("node %s %d: an average pool smaller than its input", n->op, i);
        size_t axes[MAX_DIMS] = {1, 2}, na = 2;
        uint32_t flags = XNN_FLAG_KEEP_DIMS;
        if (is(n, "MEAN")) {
            int64_t v[2 * MAX_DIMS];
            na = (size_t)list_key(n, "axes", v);
            for (size_t k = 0; k < na; k++)
                axes[k] = (size_t)(v[k] < 0 ? v[k] + tx->rank : v[k]);
            flags = ikey(n, "keep") ? XNN_FLAG_KEEP_DIMS : 0;
        }
        CHECK(xnn_define_static_reduce(G, xnn_reduce_mean, na, axes, value(x), value(y), flags),
              n->op, i);
    } else if (is(n, "ADD") || is(n, "SUB") || is(n, "MUL")) {
        const struct xnn_binary_params p = {lo, hi};
        const enum xnn_binary_operator op = is(n, "ADD")   ? xnn_binary_add
                                            : is(n, "SUB") ? xnn_binary_subtract
                                                           : xnn_binary_multiply;
        CHECK(xnn_define_binary(G, op, &p, operand(x), operand(n->in[1]), value(y), 0), n->op, i);
    } else if (is(n, "LOGISTIC")) {
        CHECK(xnn_define_unary(G, xnn_unary_sigmoid, NULL, value(x), value(y), 0), n->op, i);
    } else if (is(n, "QUANTIZE") || is(n, "DEQUANTIZE")) {
        CHECK(xnn_define_unary(G, xnn_unary_convert, NULL, value(x), value(y), 0), n->op, i);
    } else if (is(n, "CONCATENATION")) {
        uint32_t ids[MAX_IN];
        for (int k = 0; k < n->nin; k++)
            ids[k] = operand(n->in[k]);
        CHECK(xnn_define_concatenate(G, ikey(n, "axis"), (size_t)n->nin, ids, value(y), 0), n->op,
              i);
    } else if (is(n, "STRIDED_SLICE")) {
        int64_t b[2 * MAX_DIMS], e[2 * MAX_DIMS], s[2 * MAX_DIMS];
        const int r = list_key(n, "begin", b);
        list_key(n, "end", e);
        list_key(n, "stride", s);
        size_t full[MAX_DIMS];
        size_t count = 1;
        for (int d = 0; d < r; d++) {
            full[d] = (size_t)((e[d] - b[d] + s[d] - (s[d] > 0 ? 1 : -1)) / s[d]);
            count *= full[d];
        }
        const bool same = r == ty->rank && count == elems(ty) &&
                          !memcmp(full, ty->dims, (size_t)r * sizeof full[0]);
        const uint32_t mid = same ? value(y) : temp(y, r, full);
        CHECK(xnn_define_static_slice_v3(G, (size_t)r, b, e, s, value(x), mid, 0), n->op, i);
        if (!same)
            CHECK(xnn_define_static_reshape(G, (size_t)ty->rank, ty->dims, mid, value(y), 0),
                  "STRIDED_SLICE's reshape", i);
    } else if (is(n, "RESHAPE")) {
        CHECK(xnn_define_static_reshape(G, (size_t)ty->rank, ty->dims, value(x), value(y), 0),
              n->op, i);
    } else if (is(n, "TRANSPOSE")) {
        int64_t v[2 * MAX_DIMS];
        size_t perm[MAX_DIMS];
        const int r = list_key(n, "perm", v);
        for (int d = 0; d < r; d++)
            perm[d] = (size_t)v[d];
        CHECK(xnn_define_static_transpose(G, (size_t)r, perm, value(x), value(y), 0), n->op, i);
    } else if (is(n, "PAD") || is(n, "PADV2")) {
        int64_t v[2 * MAX_DIMS];
        size_t pre[MAX_DIMS], post[MAX_DIMS];
        const int c = list_key(n, "pads", v);
        for (int d = 0; d < c / 2; d++)
            pre[d] = (size_t)v[2 * d], post[d] = (size_t)v[2 * d + 1];
        CHECK(xnn_define_static_constant_pad_v2(G, (size_t)(c / 2), pre, post, 0.0f, value(x),
                                                value(y), 0),
              n->op, i);
    } else if (is(n, "RESIZE_NEAREST_NEIGHBOR")) {
        if (tx->rank != 4 || ty->dims[1] % tx->dims[1] || ty->dims[2] % tx->dims[2])
            die("node %s %d: not a resize by a whole factor", n->op, i);
        const size_t a[6] = {tx->dims[0], tx->dims[1], 1, tx->dims[2], 1, tx->dims[3]};
        const size_t b[6] = {tx->dims[0],
                             tx->dims[1],
                             ty->dims[1] / tx->dims[1],
                             tx->dims[2],
                             ty->dims[2] / tx->dims[2],
                             tx->dims[3]};
        const uint32_t ia = temp(x, 6, a), ib = temp(x, 6, b);
        CHECK(xnn_define_static_reshape(G, 6, a, value(x), ia, 0), n->op, i);
        CHECK(xnn_define_static_broadcast(G, 6, b, ia, ib, 0), n->op, i);
        CHECK(xnn_define_static_reshape(G, 4, ty->dims, ib, value(y), 0), n->op, i);
    } else if (is(n, "SOFTMAX") && strcmp(tx->type, "f32")) {
        /* its input leaves the subgraph, its output enters it */
        T[y].external = true;
        if (strcmp(T[x].kind, "output")) {
            T[x].id = XNN_INVALID_VALUE_ID;
            snprintf(T[x].kind, sizeof T[x].kind, "output");
        }
        return false;
    } else {
        die("node %s %d: an operator this anchor does not map", n->op, i);
    }
    return true;
}

/* Read PATH: the tensors into T, the nodes into *NODES; the node count. */
static int load(const char *path, node **nodes)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("%s: cannot open it", path);
    char line[65536];
    int cap = 0, nn = 0;
    *nodes = NULL;
    if (!fgets(line, sizeof line, f) || strncmp(line, "edged-graph 1", 13))
        die("%s: not a bench-graph file", path);
    while (fgets(line, sizeof line, f)) {
        char *save = NULL, *w = strtok_r(line, " \n", &save);
        if (!w)
            continue;
        if (!strcmp(w, "tensor")) {
            const int id = atoi(strtok_r(NULL, " \n", &save));
            if (id != nt)
                die("%s: tensor %d out of order", path, id);
            T = realloc(T, (size_t)(nt + 1) * sizeof *T);
            tensor *t = &T[nt++];
            memset(t, 0, sizeof *t);
            t->id = XNN_INVALID_VALUE_ID;
            snprintf(t->type, sizeof t->type, "%s", strtok_r(NULL, " \n", &save));
            snprintf(t->kind, sizeof t->kind, "%s", strtok_r(NULL, " \n", &save));
            t->rank = atoi(strtok_r(NULL, " \n", &save));
            for (int d = 0; d < t->rank && d < MAX_DIMS; d++)
                t->dims[d] = (size_t)atol(strtok_r(NULL, " \n", &save));
            t->scale = strtof(strtok_r(NULL, " \n", &save), NULL);
            t->zp = atoi(strtok_r(NULL, " \n", &save));
            t->nscales = atoi(strtok_r(NULL, " \n", &save));
            if (t->nscales > 1) {
                strtok_r(NULL, " \n", &save); /* the axis: the operator's (weights) */
                t->scales = malloc((size_t)t->nscales * sizeof *t->scales);
                for (int c = 0; c < t->nscales; c++)
                    t->scales[c] = strtof(strtok_r(NULL, " \n", &save), NULL);
            }
        } else if (!strcmp(w, "node")) {
            if (nn == cap)
                *nodes = realloc(*nodes, (size_t)(cap = cap ? 2 * cap : 64) * sizeof **nodes);
            node *n = &(*nodes)[nn++];
            memset(n, 0, sizeof *n);
            snprintf(n->op, sizeof n->op, "%s", strtok_r(NULL, " \n", &save));
            n->nin = atoi(strtok_r(NULL, " \n", &save));
            if (n->nin > MAX_IN)
                die("node %s %d: too many inputs", n->op, nn - 1);
            for (int k = 0; k < n->nin; k++)
                n->in[k] = atoi(strtok_r(NULL, " \n", &save));
            n->nout = atoi(strtok_r(NULL, " \n", &save));
            for (int k = 0; k < n->nout && k < 4; k++)
                n->out[k] = atoi(strtok_r(NULL, " \n", &save));
            for (char *kv; (kv = strtok_r(NULL, " \n", &save)) && n->nkeys < MAX_KEYS;) {
                char *eq = strchr(kv, '=');
                if (!eq)
                    continue;
                *eq = 0;
                snprintf(n->keys[n->nkeys][0], sizeof n->keys[0][0], "%s", kv);
                snprintf(n->keys[n->nkeys][1], sizeof n->keys[0][1], "%s", eq + 1);
                n->nkeys++;
            }
        }
    }
    fclose(f);
    return nn;
}

int main(int argc, char **argv)
{
    long count = 0, threads = 1, pin = -1;
    bool profile = false;
    double seconds = 0.5;
    for (int i = 2; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--profile")) {
            profile = true;
        } else if (!strcmp(argv[i], "--count") && v) {
            count = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--threads") && v) {
            threads = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--pin") && v) {
            pin = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--seconds") && v) {
            seconds = atof(argv[++i]);
        } else {
            argc = 0;
            break;
        }
    }
    if (argc < 2 || threads < 1 || threads > 64 || !(seconds > 0.0) || seconds > 600.0) {
        fprintf(stderr, "usage: anchor-xnngraph MODEL.graph [--count N | --profile] "
                        "[--threads N [--pin CPU]] [--seconds S]\n");
        return 2;
    }
    srand(1);
    node *nodes;
    const int nn = load(argv[1], &nodes);
    if (xnn_initialize(NULL) != xnn_status_success)
        die("XNNPACK: xnn_initialize failed");
    if (xnn_create_subgraph((uint32_t)nt, 0, &G) != xnn_status_success)
        die("XNNPACK: cannot create a subgraph of %d values", nt);
    /* the skipped nodes first: their operands change kind before anything is defined */
    char skipped[256] = "";
    int n_skipped = 0;
    for (int i = 0; i < nn; i++)
        if (is(&nodes[i], "SOFTMAX") && strcmp(T[nodes[i].in[0]].type, "f32")) {
            define(&nodes[i], i);
            n_skipped++;
            snprintf(skipped + strlen(skipped), sizeof skipped - strlen(skipped), "%s%s#%d",
                     n_skipped > 1 ? ", " : "", nodes[i].op, i);
        }
    for (int i = 0; i < nn; i++)
        if (!is(&nodes[i], "SOFTMAX") || !strcmp(T[nodes[i].in[0]].type, "f32"))
            define(&nodes[i], i);
    for (int i = 0; i < nt; i++) /* outputs no node wrote, and skipped nodes' operands */
        if ((!strcmp(T[i].kind, "output") || T[i].external) && T[i].id == XNN_INVALID_VALUE_ID)
            value(i);
    pthreadpool_t pool = NULL;
    if (threads > 1 && !(pool = pthreadpool_create((size_t)threads)))
        die("pthreadpool: cannot create a pool of %ld threads", threads);
    if (pin >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET((int)pin, &one);
        if (pthread_setaffinity_np(pthread_self(), sizeof one, &one))
            die("cannot pin the calling thread to CPU %ld", pin);
    }
    xnn_runtime_t rt;
    if (xnn_create_runtime_v4(G, NULL, NULL, pool, profile ? XNN_FLAG_BASIC_PROFILING : 0, &rt) !=
        xnn_status_success)
        die("XNNPACK: cannot create the runtime");
    if (xnn_reshape_runtime(rt) != xnn_status_success ||
        xnn_setup_runtime_v2(rt, (size_t)next, ext) != xnn_status_success)
        die("XNNPACK: cannot set the runtime up");
    printf("%s: %d nodes (%d skipped%s%s)", argv[1], nn, n_skipped, n_skipped ? ": " : "", skipped);
    if (count > 0) {
        for (long r = 0; r < count; r++)
            if (xnn_invoke_runtime(rt) != xnn_status_success)
                die("XNNPACK: an inference failed");
        printf("; %ld inferences\n", count);
        return 0;
    }
    /* timed: 3 warm-ups (with a pool: SECONDS of them), then each inference alone, the median
     * of at least SECONDS of them */
    static double t[1 << 16];
    const int max_runs = (int)(sizeof t / sizeof t[0]);
    int r = 0;
    for (const double w0 = now(); r < 3 || (pool && now() - w0 < seconds); r++)
        xnn_invoke_runtime(rt);
    r = 0;
    size_t nops = 0, sz = sizeof nops;
    if (profile && xnn_get_runtime_profiling_info(rt, xnn_profile_info_num_operators, sz, &nops,
                                                  &sz) != xnn_status_success)
        die("XNNPACK: no profile");
    uint64_t *op_us = calloc(nops ? nops : 1, sizeof *op_us);
    uint64_t *op_sum = calloc(nops ? nops : 1, sizeof *op_sum);
    if (!op_us || !op_sum)
        die("out of memory");
    const double t0 = now();
    for (; r < max_runs && (r < 11 || now() - t0 < seconds); r++) {
        const double a = now();
        xnn_invoke_runtime(rt);
        t[r] = now() - a;
        if (profile && nops) {
            sz = nops * sizeof *op_us;
            if (xnn_get_runtime_profiling_info(rt, xnn_profile_info_operator_timing, sz, op_us,
                                               &sz) != xnn_status_success)
                die("XNNPACK: no operator times");
            for (size_t i = 0; i < nops; i++)
                op_sum[i] += op_us[i];
        }
    }
    const double mean = (now() - t0) / r;
    qsort(t, (size_t)r, sizeof t[0], cmpd);
    printf("; XNNPACK %.1f us an inference (median of %d, mean %.1f us, %ld thread%s)\n",
           t[r / 2] * 1e6, r, mean * 1e6, threads, threads > 1 ? "s" : "");
    if (profile) {
        size_t nsz = 0;
        xnn_get_runtime_profiling_info(rt, xnn_profile_info_operator_name, 0, NULL, &nsz);
        char *names = calloc(nsz + 1, 1);
        if (!names || xnn_get_runtime_profiling_info(rt, xnn_profile_info_operator_name, nsz, names,
                                                     &nsz) != xnn_status_success)
            die("XNNPACK: no operator names");
        printf("# XNNPACK's operators in the order they ran: mean us an inference over %d\n", r);
        const char *nm = names;
        for (size_t i = 0; i < nops; i++, nm += strlen(nm) + 1)
            printf("%-4zu %-48s %8.2f\n", i, nm, (double)op_sum[i] / r);
        free(names);
    }
    free(op_us);
    free(op_sum);
    xnn_delete_runtime(rt);
    if (pool)
        pthreadpool_destroy(pool);
    return 0;
}
