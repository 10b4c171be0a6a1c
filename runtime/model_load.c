/* runtime/model_load.c - verify a .tflite file's bytes and build the model IR from them.
 *
 * Owns: edge__model_parse, the parse of the TFLite schema (Model, OperatorCode, Buffer, every
 * SubGraph (at most EDGE_MAX_SUBGRAPHS; subgraph 0 is the main graph, the others follow it in
 * the model's tensor and node tables, model.h edge_subgraph), Tensor, QuantizationParameters,
 * Operator) into runtime/model.h structs; a sparse tensor's SparsityParameters go to sparse.c,
 * which densifies it. Every offset, vtable,
 * vector and string is checked by fb.c; here we check what the values mean: indices in range, types
 * known, shapes non-negative with products that do not overflow, buffers exactly as long as their
 * tensors and inside the file (also when stored after the flatbuffer via offset/size), quantization
 * consistent. Weights stay in the mapping; only a constant whose bytes are
 * misaligned for its type is copied (once per model version), and an INT4 constant (two values a
 * byte) is unpacked into an int8 copy, read only by the operators TensorFlow Lite reads INT4
 * with (the copy is freed after prepare when every reader reads the nibbles: interp/prepare.c).
 * Does not own: opening and mapping the file and the order of the load steps
 * (interp/open.c), execution order (graph.c), operator checks (interp/prepare.c),
 * the arena (planner.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "model.h"
#include "tflite_schema.h"

typedef struct buffer_ref {
    const uint8_t *data;
    size_t len;
} buffer_ref;

typedef struct opcode_ref {
    int32_t code;
    int32_t version;
    const char *custom; /* custom_code, NULL if none */
} opcode_ref;

typedef struct parse_ctx {
    edge_model *m;
    edge_error *err;
    buffer_ref *buffers;
    uint32_t n_buffers;
    opcode_ref *opcodes;
    uint32_t n_opcodes;
    /* the subgraph being read: its tensors and nodes in the model's tables */
    edge_tensor *t0;
    edge_node *n0;
    int32_t sg, n_tensors;
    size_t refs; /* node inputs + outputs so far, all subgraphs */
} parse_ctx;

bool edge__shape_bytes(const int32_t *dims, int rank, size_t esize, size_t *count, size_t *bytes)
{
    size_t c = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0)
            return false;
        if (__builtin_mul_overflow(c, (size_t)dims[i], &c))
            return false;
    }
    size_t b;
    if (__builtin_mul_overflow(c, esize, &b))
        return false;
    *count = c;
    *bytes = b;
    return true;
}

/* A failure of the byte-level reader, described with its file offset. */
static int fb_error(parse_ctx *pc, const char *what)
{
    const fb_ctx *c = &pc->m->fb;
    return edge__seterr(pc->err, EDGE_EFORMAT, "malformed model file: %s: %s at byte %zu", what,
                        c->why ? c->why : "bad data", c->at);
}

static int parse_opcodes(parse_ctx *pc, const fb_table *root)
{
    fb_vec v = fb_vec_get(root, TFL_MODEL_OPERATOR_CODES, 4);
    if (pc->m->fb.failed)
        return fb_error(pc, "operator_codes");
    pc->n_opcodes = v.len;
    pc->opcodes = calloc(v.len ? v.len : 1, sizeof *pc->opcodes);
    if (!pc->opcodes)
        return edge__seterr(pc->err, EDGE_ENOMEM, "out of memory reading %u operator codes", v.len);
    for (uint32_t i = 0; i < v.len; i++) {
        fb_table t = fb_vec_table(&v, i);
        const int32_t dep = fb_i8(&t, TFL_OPCODE_DEPRECATED_BUILTIN, 0);
        const int32_t bi = fb_i32(&t, TFL_OPCODE_BUILTIN, 0);
        pc->opcodes[i].code = dep > bi ? dep : bi;
        pc->opcodes[i].version = fb_i32(&t, TFL_OPCODE_VERSION, 1);
        pc->opcodes[i].custom = fb_str_get(&t, TFL_OPCODE_CUSTOM, NULL);
        if (pc->m->fb.failed) {
            char what[64];
            snprintf(what, sizeof what, "operator code %u", i);
            return fb_error(pc, what);
        }
        if (!fb_present(t))
            return edge__seterr(pc->err, EDGE_EFORMAT,
                                "malformed model file: operator code %u "
                                "is missing",
                                i);
    }
    return 0;
}

static int parse_buffers(parse_ctx *pc, const fb_table *root)
{
    edge_model *m = pc->m;
    fb_vec v = fb_vec_get(root, TFL_MODEL_BUFFERS, 4);
    if (m->fb.failed)
        return fb_error(pc, "buffers");
    pc->n_buffers = v.len;
    pc->buffers = calloc(v.len ? v.len : 1, sizeof *pc->buffers);
    if (!pc->buffers)
        return edge__seterr(pc->err, EDGE_ENOMEM, "out of memory reading %u buffers", v.len);
    for (uint32_t i = 0; i < v.len; i++) {
        fb_table t = fb_vec_table(&v, i);
        fb_vec data = fb_vec_get(&t, TFL_BUFFER_DATA, 1);
        const uint64_t off = fb_u64(&t, TFL_BUFFER_OFFSET, 0);
        const uint64_t size = fb_u64(&t, TFL_BUFFER_SIZE, 0);
        if (m->fb.failed) {
            char what[48];
            snprintf(what, sizeof what, "buffer %u", i);
            return fb_error(pc, what);
        }
        if (off > 1) { /* stored after the flatbuffer; 0 and 1 mean "not set" */
            if (off > m->size || size > m->size - off)
                return edge__seterr(pc->err, EDGE_EFORMAT,
                                    "malformed model file: buffer %u claims bytes %llu..%llu but "
                                    "the file has %zu bytes",
                                    i, (unsigned long long)off, (unsigned long long)(off + size),
                                    m->size);
            pc->buffers[i].data = m->base + off;
            pc->buffers[i].len = (size_t)size;
        } else if (data.len) {
            pc->buffers[i].data = fb_vec_data(&data);
            pc->buffers[i].len = data.len;
        }
    }
    return 0;
}

static int parse_quant(parse_ctx *pc, int32_t ti, edge_tensor *t, const fb_table *q)
{
    edge_model *m = pc->m;
    fb_vec sc = fb_vec_get(q, TFL_QUANT_SCALE, 4);
    fb_vec zp = fb_vec_get(q, TFL_QUANT_ZERO_POINT, 8);
    const uint8_t details = fb_u8(q, TFL_QUANT_DETAILS_TYPE, 0);
    const int32_t axis = fb_i32(q, TFL_QUANT_QUANTIZED_DIMENSION, 0);
    if (m->fb.failed) {
        char what[64];
        snprintf(what, sizeof what, "tensor %d quantization", (int)ti);
        return fb_error(pc, what);
    }
    if (details != 0)
        return edge__seterr(pc->err, EDGE_EUNSUPPORTED,
                            "tensor %d (%s) uses custom quantization details, which are not "
                            "supported",
                            (int)ti, t->name);
    if (sc.len == 0)
        return 0; /* min/max only, or nothing: not quantized */
    if (zp.len != sc.len)
        return edge__seterr(pc->err, EDGE_EFORMAT,
                            "malformed model file: tensor %d (%s) has %u scales but %u zero "
                            "points",
                            (int)ti, t->name, sc.len, zp.len);
    int32_t axis_used = axis;
    if (sc.len > 1 && t->rank == 1 && (uint32_t)t->dims[0] == sc.len)
        axis_used = 0; /* converters copy the filter's axis onto 1-D biases */
    if (sc.len > 1) {
        if (axis_used < 0 || axis_used >= t->rank || (uint32_t)t->dims[axis_used] != sc.len)
            return edge__seterr(pc->err, EDGE_EFORMAT,
                                "malformed model file: tensor %d (%s) has %u per-channel scales "
                                "along dimension %d, which does not match its shape",
                                (int)ti, t->name, sc.len, (int)axis);
    }
    t->q.count = (int32_t)sc.len;
    t->q.axis = axis_used;
    t->q.scale = malloc(sc.len * sizeof(float));
    t->q.zero_point = malloc(sc.len * sizeof(int32_t));
    if (!t->q.scale || !t->q.zero_point)
        return edge__seterr(pc->err, EDGE_ENOMEM, "out of memory reading tensor %d", (int)ti);
    for (uint32_t i = 0; i < sc.len; i++) {
        const int64_t z = fb_vec_i64(&zp, i);
        if (z < INT32_MIN || z > INT32_MAX)
            return edge__seterr(pc->err, EDGE_ERANGE,
                                "tensor %d (%s) has zero point %lld out of range", (int)ti, t->name,
                                (long long)z);
        t->q.scale[i] = fb_vec_f32(&sc, i);
        t->q.zero_point[i] = (int32_t)z;
    }
    return 0;
}

/* INT4 constant T (count values, two a byte, low nibble first, each sign-extended; the last
 * byte's high nibble is padding when count is odd) from buffer B: unpacked once into an owned
 * int8 copy, so every kernel reading int8 weights reads it (TensorFlow Lite's kernels unpack the
 * same way: tensor_utils::UnpackDenseInt4IntoInt8). */
static int unpack_int4(parse_ctx *pc, int32_t ti, edge_tensor *t, uint32_t bi, const buffer_ref *b)
{
    const size_t need = t->count / 2 + t->count % 2;
    if (b->len != need)
        return edge__seterr(pc->err, EDGE_EFORMAT,
                            "malformed model file: INT4 tensor %d (%s) of %zu values needs %zu "
                            "bytes (two values a byte) but buffer %u holds %zu",
                            (int)ti, t->name, t->count, need, bi, b->len);
    int8_t *v = NULL;
    if (posix_memalign((void **)&v, 64, t->count ? t->count : 1))
        return edge__seterr(pc->err, EDGE_ENOMEM, "out of memory unpacking INT4 tensor %d",
                            (int)ti);
    for (size_t i = 0; i < t->count; i++) {
        const uint8_t nib = (uint8_t)(i % 2 ? b->data[i / 2] >> 4 : b->data[i / 2] & 15);
        v[i] = (int8_t)(nib >= 8 ? (int)nib - 16 : (int)nib);
    }
    t->type = EDGE_INT8;
    t->int4 = true;
    t->nibbles = b->data;
    t->bytes = t->count;
    t->data = v;
    t->data_owned = true;
    return 0;
}

/* Constant data for tensor T from buffer BI (0 or an empty buffer: no data). */
static int attach_buffer(parse_ctx *pc, int32_t ti, edge_tensor *t, uint32_t bi)
{
    if (bi >= pc->n_buffers)
        return edge__seterr(pc->err, EDGE_EFORMAT,
                            "malformed model file: tensor %d (%s) uses buffer %u but the file has "
                            "%u buffers",
                            (int)ti, t->name, bi, pc->n_buffers);
    const buffer_ref *b = &pc->buffers[bi];
    if (bi == 0 || b->len == 0)
        return 0;
    if (t->type == (edge_dtype)EDGE_TYPE_INT4)
        return unpack_int4(pc, ti, t, bi, b);
    const size_t esize = edge_dtype_size(t->type);
    if (esize == 0)
        return edge__seterr(pc->err, EDGE_EUNSUPPORTED,
                            "tensor %d (%s) holds constant data of type %s, which is not "
                            "supported",
                            (int)ti, t->name, edge_dtype_name(t->type));
    if (b->len != t->bytes)
        return edge__seterr(pc->err, EDGE_EFORMAT,
                            "malformed model file: tensor %d (%s) needs %zu bytes but buffer %u "
                            "holds %zu",
                            (int)ti, t->name, t->bytes, bi, b->len);
    if ((uintptr_t)b->data % esize == 0) {
        t->data = b->data;
        return 0;
    }
    void *copy = NULL;
    if (posix_memalign(&copy, 64, t->bytes))
        return edge__seterr(pc->err, EDGE_ENOMEM, "out of memory copying tensor %d", (int)ti);
    memcpy(copy, b->data, t->bytes);
    t->data = copy;
    t->data_owned = true;
    return 0;
}

/* Tensor T is sparse (SP: its SparsityParameters): buffer BI holds its stored values, which
 * sparse.c verifies and densifies into an owned copy. */
static int attach_sparse(parse_ctx *pc, int32_t ti, edge_tensor *t, uint32_t bi, const fb_table *sp,
                         bool variable)
{
    if (variable)
        return edge__seterr(pc->err, EDGE_EFORMAT,
                            "malformed model file: tensor %d (%s) is both sparse and a variable "
                            "tensor",
                            (int)ti, t->name);
    if (bi >= pc->n_buffers)
        return edge__seterr(pc->err, EDGE_EFORMAT,
                            "malformed model file: tensor %d (%s) uses buffer %u but the file has "
                            "%u buffers",
                            (int)ti, t->name, bi, pc->n_buffers);
    const buffer_ref *b = &pc->buffers[bi];
    return edge__sparse_load(pc->m, ti, t, sp, bi ? b->data : NULL, bi ? b->len : 0, pc->err);
}

/* Tensor TI is a variable tensor: the constant data attach_buffer found (if any) becomes its
 * initial value (a copy: interpreters reset to it), and it is no constant. */
static int make_variable(parse_ctx *pc, int32_t ti, edge_tensor *t)
{
    t->variable = true;
    if (!edge_dtype_size(t->type))
        return edge__seterr(pc->err, EDGE_EUNSUPPORTED,
                            "tensor %d (%s) is a variable tensor of type %s, which is not "
                            "supported",
                            (int)ti, t->name, edge_dtype_name(t->type));
    if (!t->data)
        return 0;
    if (!(t->init = malloc(t->bytes ? t->bytes : 1)))
        return edge__seterr(pc->err, EDGE_ENOMEM, "out of memory copying tensor %d", (int)ti);
    memcpy(t->init, t->data, t->bytes);
    if (t->data_owned)
        free((void *)t->data);
    t->data = NULL;
    t->data_owned = false;
    return 0;
}

/* T's shape_signature (what ResizeInputTensor may change: -1), when the file has one of T's
 * rank; else its shape (nothing changes). Other values than -1 and the shape's own are taken
 * as the shape's: only -1 frees a dimension. */
static void parse_signature(const fb_vec sig, edge_tensor *t)
{
    t->sig_rank = t->rank;
    for (int i = 0; i < t->rank; i++) {
        const int32_t v = sig.len == (uint32_t)t->rank ? fb_vec_i32(&sig, (uint32_t)i) : 0;
        t->sig[i] = v == -1 ? -1 : t->dims[i];
    }
}

static int parse_tensor(parse_ctx *pc, int32_t ti, const fb_table *tt)
{
    edge_model *m = pc->m;
    edge_tensor *t = &pc->t0[ti];
    t->producer = t->first_use = t->last_use = -1;
    fb_vec shape = fb_vec_get(tt, TFL_TENSOR_SHAPE, 4);
    const fb_vec sig = fb_vec_get(tt, TFL_TENSOR_SHAPE_SIGNATURE, 4);
    const int type = fb_i8(tt, TFL_TENSOR_TYPE, 0);
    const uint32_t bi = fb_u32(tt, TFL_TENSOR_BUFFER, 0);
    uint32_t name_len = 0;
    const char *name = fb_str_get(tt, TFL_TENSOR_NAME, &name_len);
    fb_table q = fb_table_get(tt, TFL_TENSOR_QUANTIZATION);
    const bool variable = fb_bool(tt, TFL_TENSOR_IS_VARIABLE, false);
    fb_table sp = fb_table_get(tt, TFL_TENSOR_SPARSITY);
    if (m->fb.failed || !fb_present(*tt)) {
        char what[48];
        snprintf(what, sizeof what, "tensor %d", (int)ti);
        return m->fb.failed ? fb_error(pc, what)
                            : edge__seterr(pc->err, EDGE_EFORMAT,
                                           "malformed model file: tensor %d is missing", (int)ti);
    }
    t->name = strndup(name ? name : "", name ? name_len : 0);
    if (!t->name)
        return edge__seterr(pc->err, EDGE_ENOMEM, "out of memory reading tensor %d", (int)ti);
    t->type = (edge_dtype)type;
    if (shape.len > EDGE_MAX_DIMS)
        return edge__seterr(pc->err, EDGE_EUNSUPPORTED,
                            "tensor %d (%s) has rank %u; at most %d dimensions are supported",
                            (int)ti, t->name, shape.len, EDGE_MAX_DIMS);
    t->rank = (int)shape.len;
    for (int i = 0; i < t->rank; i++) {
        t->dims[i] = fb_vec_i32(&shape, (uint32_t)i);
        if (t->dims[i] < 0)
            return edge__seterr(pc->err, EDGE_EFORMAT,
                                "malformed model file: tensor %d (%s) has dimension %d = %d",
                                (int)ti, t->name, i, (int)t->dims[i]);
    }
    parse_signature(sig, t);
    const size_t esize = edge_dtype_size(t->type);
    if (!edge__shape_bytes(t->dims, t->rank, esize ? esize : 1, &t->count, &t->bytes))
        return edge__seterr(pc->err, EDGE_ELIMIT,
                            "tensor %d (%s): the product of its dimensions overflows", (int)ti,
                            t->name);
    if (!esize)
        t->bytes = 0; /* unusable type: any use is rejected later */
    int rc = fb_present(q) ? parse_quant(pc, ti, t, &q) : 0;
    if (rc)
        return rc;
    if (variable && t->type == (edge_dtype)EDGE_TYPE_INT4)
        return edge__seterr(pc->err, EDGE_EUNSUPPORTED,
                            "tensor %d (%s) is a variable tensor of type INT4, which is not "
                            "supported (INT4 holds constant weights only)",
                            (int)ti, t->name);
    rc =
        fb_present(sp) ? attach_sparse(pc, ti, t, bi, &sp, variable) : attach_buffer(pc, ti, t, bi);
    if (!rc && t->type == (edge_dtype)EDGE_TYPE_INT4) {
        /* an INT4 tensor without data: GATHER's output (check_int4_reads), unpacked as the
         * constants are, one value a byte */
        t->type = EDGE_INT8;
        t->int4 = true;
        t->bytes = t->count;
    }
    return rc || !variable ? rc : make_variable(pc, ti, t);
}

/* The subgraph's input or output list (copied: the model keeps it). */
static int subgraph_list(parse_ctx *pc, const fb_vec *v, int32_t **out, int32_t *n,
                         const char *what)
{
    *n = (int32_t)v->len;
    *out = malloc((v->len ? v->len : 1) * sizeof(int32_t));
    if (!*out)
        return edge__seterr(pc->err, EDGE_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < v->len; i++) {
        const int32_t x = fb_vec_i32(v, i);
        if (x < 0 || x >= pc->n_tensors)
            return edge__seterr(pc->err, EDGE_EFORMAT,
                                "malformed model file: subgraph %s %u is tensor %d, but the "
                                "subgraph has %d tensors",
                                what, i, (int)x, (int)pc->n_tensors);
        (*out)[i] = x;
    }
    return 0;
}

/* A node's input or output list, validated and copied: eval indexes tensors
 * with these, and the mapped file may change under us after it was checked
 * (a file rewritten in place), so they must not be read from the mapping. */
static int node_list(parse_ctx *pc, const fb_vec *v, bool allow_absent, const int32_t **out,
                     int32_t *n, const char *what, int32_t node)
{
    int32_t *copy = malloc((v->len ? v->len : 1) * sizeof *copy);
    if (!copy)
        return edge__seterr(pc->err, EDGE_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < v->len; i++) {
        const int32_t x = fb_vec_i32(v, i);
        if ((x < 0 && !(allow_absent && x == -1)) || x >= pc->n_tensors) {
            free(copy);
            return edge__seterr(pc->err, EDGE_EFORMAT,
                                "malformed model file: node %d %s %u is tensor %d, but the "
                                "subgraph has %d tensors",
                                (int)node, what, i, (int)x, (int)pc->n_tensors);
        }
        copy[i] = x;
    }
    *out = copy;
    *n = (int32_t)v->len;
    return 0;
}

static int parse_operator(parse_ctx *pc, int32_t oi, const fb_table *ot)
{
    edge_model *m = pc->m;
    edge_node *n = &pc->n0[oi];
    n->file_index = oi;
    n->subgraph = pc->sg;
    const uint32_t opc = fb_u32(ot, TFL_OP_OPCODE_INDEX, 0);
    fb_vec in = fb_vec_get(ot, TFL_OP_INPUTS, 4);
    fb_vec out = fb_vec_get(ot, TFL_OP_OUTPUTS, 4);
    n->options_type = fb_u8(ot, TFL_OP_BUILTIN_OPTIONS_TYPE, 0);
    n->options = fb_table_get(ot, TFL_OP_BUILTIN_OPTIONS);
    if (m->fb.failed || !fb_present(*ot)) {
        char what[48];
        snprintf(what, sizeof what, "node %d", (int)oi);
        return m->fb.failed ? fb_error(pc, what)
                            : edge__seterr(pc->err, EDGE_EFORMAT,
                                           "malformed model file: node %d is missing", (int)oi);
    }
    if (opc >= pc->n_opcodes)
        return edge__seterr(pc->err, EDGE_EFORMAT,
                            "malformed model file: node %d uses operator code %u, but the file "
                            "has %u",
                            (int)oi, opc, pc->n_opcodes);
    n->code = pc->opcodes[opc].code;
    n->version = pc->opcodes[opc].version;
    n->claim = -1;
    if (n->code == EDGE_OP_CUSTOM) {
        /* Only a back end can run it; keep its name and option bytes for one. */
        const char *name = pc->opcodes[opc].custom;
        fb_vec co = fb_vec_get(ot, TFL_OP_CUSTOM_OPTIONS, 1);
        if (m->fb.failed)
            return fb_error(pc, "custom options");
        n->custom_code = strdup(name ? name : "");
        n->custom_options_bytes = co.len;
        n->custom_options = malloc(co.len ? co.len : 1);
        if (!n->custom_code || !n->custom_options)
            return edge__seterr(pc->err, EDGE_ENOMEM, "out of memory");
        if (co.len)
            memcpy(n->custom_options, m->base + co.pos, co.len);
    }
    int rc = node_list(pc, &in, true, &n->in, &n->n_in, "input", oi);
    if (!rc)
        rc = node_list(pc, &out, false, &n->out, &n->n_out, "output", oi);
    return rc;
}

/* An INT4 tensor (unpacked to int8 at load) may be read only where TensorFlow Lite's kernels
 * take INT4: the weights of FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D and BATCH_MATMUL (input
 * 1), EMBEDDING_LOOKUP's table (input 1), DEQUANTIZE's input, GATHER's params (input 0). Anywhere
 * else it is refused, not read as the int8 it became. Only GATHER of INT4 params writes INT4
 * (TensorFlow Lite gives GATHER's output its params' type), and an INT4 tensor is never a model
 * input or output (check_int4_io). */
static bool int4_reader(int32_t code, int32_t input)
{
    switch (code) {
    case EDGE_OP_FULLY_CONNECTED:
    case EDGE_OP_CONV_2D:
    case EDGE_OP_DEPTHWISE_CONV_2D:
    case EDGE_OP_BATCH_MATMUL:
    case EDGE_OP_EMBEDDING_LOOKUP: return input == 1;
    case EDGE_OP_DEQUANTIZE:
    case EDGE_OP_GATHER: return input == 0;
    default: return false;
    }
}

static bool is_int4(const edge_tensor *t)
{
    return t->type == (edge_dtype)EDGE_TYPE_INT4 || t->int4;
}

static int check_int4_reads(parse_ctx *pc, int32_t oi)
{
    const edge_node *n = &pc->n0[oi];
    for (int32_t i = 0; i < n->n_in; i++) {
        const int32_t x = n->in[i];
        if (x < 0 || !is_int4(&pc->t0[x]))
            continue;
        if (int4_reader(n->code, i)) {
            pc->t0[x].int4_readers++;
            continue;
        }
        const char *op = edge_op_name(n->code);
        return edge__seterr(pc->err, EDGE_EUNSUPPORTED,
                            "node %d (%s) input %d is tensor %d (%s) of type INT4, which only "
                            "the weights of FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, "
                            "BATCH_MATMUL and EMBEDDING_LOOKUP's table (input 1), "
                            "DEQUANTIZE's input and GATHER's params take",
                            (int)oi, op ? op : "CUSTOM", (int)i, (int)x, pc->t0[x].name);
    }
    const bool gather4 =
        n->code == EDGE_OP_GATHER && n->n_in > 0 && n->in[0] >= 0 && is_int4(&pc->t0[n->in[0]]);
    for (int32_t i = 0; i < n->n_out; i++)
        if (is_int4(&pc->t0[n->out[i]]) && !(gather4 && i == 0))
            return edge__seterr(pc->err, EDGE_EUNSUPPORTED,
                                "node %d output %d is tensor %d (%s) of type INT4; INT4 holds "
                                "constant weights and the output of GATHER on INT4 params only",
                                (int)oi, (int)i, (int)n->out[i], pc->t0[n->out[i]].name);
    return 0;
}

/* No model input or output is an INT4 tensor without data: edged would read or write it one
 * value a byte where TensorFlow Lite packs two. */
static int check_int4_io(parse_ctx *pc, const int32_t *list, int32_t n, const char *what)
{
    for (int32_t i = 0; i < n; i++) {
        const edge_tensor *t = &pc->t0[list[i]];
        if (t->int4 && !t->data)
            return edge__seterr(pc->err, EDGE_EUNSUPPORTED,
                                "model %s %d is tensor %d (%s) of type INT4, which is not "
                                "supported (INT4 holds constant weights and GATHER's output "
                                "between operators only)",
                                what, (int)i, (int)list[i], t->name);
    }
    return 0;
}

/* Subgraph S's vectors, and its name (owned copy into SG). */
typedef struct sg_vecs {
    fb_vec tensors, ops, ins, outs;
} sg_vecs;

static int subgraph_vecs(parse_ctx *pc, const fb_vec *subgraphs, uint32_t s, sg_vecs *v,
                         edge_subgraph *sg)
{
    edge_model *m = pc->m;
    char what[48];
    snprintf(what, sizeof what, "subgraph %u", s);
    fb_table t = fb_vec_table(subgraphs, s);
    if (m->fb.failed || !fb_present(t))
        return fb_error(pc, what);
    v->tensors = fb_vec_get(&t, TFL_SUBGRAPH_TENSORS, 4);
    v->ops = fb_vec_get(&t, TFL_SUBGRAPH_OPERATORS, 4);
    v->ins = fb_vec_get(&t, TFL_SUBGRAPH_INPUTS, 4);
    v->outs = fb_vec_get(&t, TFL_SUBGRAPH_OUTPUTS, 4);
    uint32_t len = 0;
    const char *name = fb_str_get(&t, TFL_SUBGRAPH_NAME, &len);
    if (m->fb.failed)
        return fb_error(pc, what);
    if (!(sg->name = strndup(name ? name : "", name ? len : 0)))
        return edge__seterr(pc->err, EDGE_ENOMEM, "out of memory");
    return 0;
}

static int parse_subgraph(parse_ctx *pc, const sg_vecs *v, edge_subgraph *sg)
{
    edge_model *m = pc->m;
    pc->t0 = m->tensors + sg->first_tensor;
    pc->n0 = m->nodes + sg->first_node;
    pc->n_tensors = sg->n_tensors;
    sg->tensors = pc->t0;
    for (int32_t i = 0; i < sg->n_tensors; i++) {
        fb_table tt = fb_vec_table(&v->tensors, (uint32_t)i);
        int rc = parse_tensor(pc, i, &tt);
        if (rc)
            return rc;
    }
    int rc = subgraph_list(pc, &v->ins, &sg->inputs, &sg->n_inputs, "input");
    if (!rc)
        rc = subgraph_list(pc, &v->outs, &sg->outputs, &sg->n_outputs, "output");
    for (int32_t i = 0; !rc && i < sg->n_nodes; i++) {
        fb_table ot = fb_vec_table(&v->ops, (uint32_t)i);
        rc = parse_operator(pc, i, &ot);
        if (!rc)
            rc = check_int4_reads(pc, i);
        pc->refs += rc ? 0 : (size_t)pc->n0[i].n_in + (size_t)pc->n0[i].n_out;
        if (!rc && pc->refs > EDGE_MAX_NODE_REFS)
            rc = edge__seterr(pc->err, EDGE_ELIMIT,
                              "the operators name more than %d tensors in all (at node %d); "
                              "this is over the runtime's limit",
                              EDGE_MAX_NODE_REFS, (int)i);
    }
    if (!rc)
        rc = check_int4_io(pc, sg->inputs, sg->n_inputs, "input");
    if (!rc)
        rc = check_int4_io(pc, sg->outputs, sg->n_outputs, "output");
    return rc;
}

/* Every subgraph: the counts first (bounded), then one table of tensors and one of nodes,
 * subgraph 0's first, then each subgraph's in its own range. */
static int parse_subgraphs(parse_ctx *pc, const fb_vec *subgraphs)
{
    edge_model *m = pc->m;
    if (subgraphs->len > EDGE_MAX_SUBGRAPHS)
        return edge__seterr(pc->err, EDGE_ELIMIT,
                            "the model has %u subgraphs; at most %d are supported", subgraphs->len,
                            EDGE_MAX_SUBGRAPHS);
    const int32_t ns = (int32_t)subgraphs->len;
    _cleanup_free_ sg_vecs *v = calloc((size_t)ns, sizeof *v);
    m->subgraphs = calloc((size_t)ns, sizeof *m->subgraphs);
    if (!v || !m->subgraphs)
        return edge__seterr(pc->err, EDGE_ENOMEM, "out of memory");
    m->n_subgraphs = ns;
    uint64_t nt = 0, nn = 0;
    for (int32_t s = 0; s < ns; s++) {
        edge_subgraph *sg = &m->subgraphs[s];
        int rc = subgraph_vecs(pc, subgraphs, (uint32_t)s, &v[s], sg);
        if (rc)
            return rc;
        sg->first_tensor = (int32_t)nt;
        sg->first_node = (int32_t)nn;
        sg->n_tensors = (int32_t)v[s].tensors.len;
        sg->n_nodes = (int32_t)v[s].ops.len;
        nt += v[s].tensors.len;
        nn += v[s].ops.len;
        if (nt > INT32_MAX / 2 || nn > INT32_MAX / 2)
            return edge__seterr(pc->err, EDGE_ELIMIT, "subgraph %d is too large", (int)s);
    }
    m->n_all_tensors = (int32_t)nt;
    m->n_all_nodes = (int32_t)nn;
    m->n_tensors = m->subgraphs[0].n_tensors;
    m->n_nodes = m->subgraphs[0].n_nodes;
    m->tensors = calloc(nt ? nt : 1, sizeof *m->tensors);
    m->nodes = calloc(nn ? nn : 1, sizeof *m->nodes);
    if (!m->tensors || !m->nodes)
        return edge__seterr(pc->err, EDGE_ENOMEM, "out of memory for %llu tensors and %llu nodes",
                            (unsigned long long)nt, (unsigned long long)nn);
    for (int32_t s = 0; s < ns; s++) {
        pc->sg = s;
        int rc = parse_subgraph(pc, &v[s], &m->subgraphs[s]);
        if (rc) {
            if (s)
                edge__prefix_subgraph(pc->err, m, s);
            return rc;
        }
    }
    m->inputs = m->subgraphs[0].inputs;
    m->outputs = m->subgraphs[0].outputs;
    m->n_inputs = m->subgraphs[0].n_inputs;
    m->n_outputs = m->subgraphs[0].n_outputs;
    return 0;
}

int edge__model_parse(edge_model *m, edge_error *err)
{
    parse_ctx pc = {.m = m, .err = err};
    fb_init(&m->fb, m->base, m->size);
    if (m->size < 8)
        return edge__seterr(err, EDGE_EFORMAT,
                            "malformed model file: %zu bytes is too short for a TFLite model",
                            m->size);
    if (!fb_has_identifier(&m->fb, "TFL3"))
        return edge__seterr(err, EDGE_EFORMAT,
                            "not a TensorFlow Lite model: bytes 4..7 are not the identifier "
                            "\"TFL3\"");
    fb_table root = fb_root(&m->fb);
    const uint32_t version = fb_u32(&root, TFL_MODEL_VERSION, 0);
    uint32_t dlen = 0;
    const char *desc = fb_str_get(&root, TFL_MODEL_DESCRIPTION, &dlen);
    fb_vec subgraphs = fb_vec_get(&root, TFL_MODEL_SUBGRAPHS, 4);
    if (m->fb.failed)
        return fb_error(&pc, "model header");
    if (version != 3)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "model schema version %u is not supported (expected 3)", version);
    m->description = strndup(desc ? desc : "", desc ? dlen : 0);
    if (!m->description)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    if (subgraphs.len < 1)
        return edge__seterr(err, EDGE_EFORMAT, "malformed model file: the model has no subgraph");
    int rc = parse_opcodes(&pc, &root);
    if (!rc)
        rc = parse_buffers(&pc, &root);
    if (!rc)
        rc = parse_subgraphs(&pc, &subgraphs);
    free(pc.buffers);
    free(pc.opcodes);
    return rc;
}
