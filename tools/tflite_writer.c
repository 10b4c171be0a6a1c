/* tools/tflite_writer.c - the writer's API: describing a model (see tflite_writer.h).
 *
 * Owns: builtin options tables, and copying everything a caller gives
 * (buffers, tensors with quantization, operator codes with custom names,
 * operators with custom options, subgraph inputs/outputs) into the
 * tfw_writer, checking arguments and sizes. Errors
 * are sticky. Does not own the byte layout (tflite_emit.c). */
#include "tflite_writer.h"

#include <stdlib.h>
#include <string.h>

#include "edge/error.h"
#include "tflite_schema.h"
#include "edge/ops.h"
#include "tflite_writer_impl.h"

/* ---------------------------------------------------------------- options */

void tfw_opt_init(tfw_options *o, uint8_t type)
{
    memset(o, 0, sizeof *o);
    o->type = type;
}

static tfw_field *opt_slot(tfw_options *o, unsigned slot, uint8_t kind)
{
    if (slot > 60) {
        o->overflow = true;
        return NULL;
    }
    for (int i = 0; i < o->n; i++)
        if (o->f[i].slot == slot) {
            memset(&o->f[i], 0, sizeof o->f[i]);
            o->f[i].slot = (uint16_t)slot;
            o->f[i].kind = kind;
            return &o->f[i];
        }
    if (o->n >= TFW_MAX_OPT_FIELDS) {
        o->overflow = true;
        return NULL;
    }
    tfw_field *f = &o->f[o->n++];
    memset(f, 0, sizeof *f);
    f->slot = (uint16_t)slot;
    f->kind = kind;
    return f;
}

/* Sets SLOT to the integer V stored as KIND (ignored once the options overflowed). */
static void opt_int(tfw_options *o, unsigned slot, uint8_t kind, int32_t v)
{
    tfw_field *f = opt_slot(o, slot, kind);
    if (f)
        f->i = v;
}

void tfw_opt_i8(tfw_options *o, unsigned slot, int8_t v)
{
    opt_int(o, slot, TFW_I8, v);
}

void tfw_opt_u8(tfw_options *o, unsigned slot, uint8_t v)
{
    opt_int(o, slot, TFW_U8, v);
}

void tfw_opt_bool(tfw_options *o, unsigned slot, bool v)
{
    opt_int(o, slot, TFW_BOOL, v ? 1 : 0);
}

void tfw_opt_i32(tfw_options *o, unsigned slot, int32_t v)
{
    opt_int(o, slot, TFW_I32, v);
}

void tfw_opt_f32(tfw_options *o, unsigned slot, float v)
{
    tfw_field *f = opt_slot(o, slot, TFW_F32);
    if (f)
        f->f = v;
}

void tfw_opt_vec_i32(tfw_options *o, unsigned slot, const int32_t *v, int32_t n)
{
    if (n < 0 || (n > 0 && !v)) {
        o->overflow = true;
        return;
    }
    tfw_field *f = opt_slot(o, slot, TFW_VEC_I32);
    if (f) {
        f->vec = v;
        f->vec_len = n;
    }
}

void tfw_opt_str(tfw_options *o, unsigned slot, const char *s)
{
    if (!s) {
        o->overflow = true;
        return;
    }
    tfw_field *f = opt_slot(o, slot, TFW_STR);
    if (f)
        f->str = s;
}

/* ---------------------------------------------------------------- the description */

int tfw__fail(tfw_writer *w, int code)
{
    if (!w->err)
        w->err = code;
    return w->err;
}

/* What a call on W returns before doing anything: EDGE_EINVAL without a writer, its sticky
 * error, or CODE (recorded) when its arguments are BAD; 0 to go on. */
static int32_t refuse(tfw_writer *w, bool bad, int code)
{
    if (!w)
        return EDGE_EINVAL;
    if (w->err)
        return w->err;
    return bad ? tfw__fail(w, code) : 0;
}

void *tfw__grow(tfw_writer *w, void *arr, int32_t *cap, int32_t n, size_t esize)
{
    if (n < *cap)
        return arr;
    if (*cap > INT32_MAX / 2) {
        tfw__fail(w, EDGE_ELIMIT);
        return NULL;
    }
    const int32_t nc = *cap ? *cap * 2 : 8;
    if ((size_t)nc > SIZE_MAX / esize) {
        tfw__fail(w, EDGE_ELIMIT);
        return NULL;
    }
    void *p = realloc(arr, (size_t)nc * esize);
    if (!p) {
        tfw__fail(w, EDGE_ENOMEM);
        return NULL;
    }
    *cap = nc;
    return p;
}

/* Grows ARR (count *N, capacity *CAP, elements of ESIZE) by one zeroed element counted in *N;
 * returns the (possibly moved) array, or ARR unchanged with w->err set if it cannot grow. */
static void *append(tfw_writer *w, void *arr, int32_t *cap, int32_t *n, size_t esize)
{
    uint8_t *a = tfw__grow(w, arr, cap, *n, esize);
    if (!a)
        return arr;
    memset(a + (size_t)*n * esize, 0, esize);
    (*n)++;
    return a;
}

/* Copy of N elements of ESIZE (NULL for N == 0 without failing). */
static void *dup_array(tfw_writer *w, const void *src, size_t n, size_t esize, bool *ok)
{
    *ok = true;
    if (n == 0)
        return NULL;
    if (!src || n > SIZE_MAX / esize) {
        *ok = false;
        tfw__fail(w, src ? EDGE_ELIMIT : EDGE_EINVAL);
        return NULL;
    }
    void *p = malloc(n * esize);
    if (!p) {
        *ok = false;
        tfw__fail(w, EDGE_ENOMEM);
        return NULL;
    }
    memcpy(p, src, n * esize);
    return p;
}

tfw_writer *tfw_new(void)
{
    tfw_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (tfw_add_buffer(w, NULL, 0) != 0) { /* index 0: the empty sentinel */
        tfw_free(w);
        return NULL;
    }
    return w;
}

static void free_operator(woperator *op)
{
    free(op->in);
    free(op->out);
    free(op->custom);
    for (int f = 0; f < op->n_fields; f++) {
        free((void *)op->fields[f].vec);
        free((void *)op->fields[f].str);
    }
}

/* A subgraph's tensors, operators and lists. */
static void free_graph(wtensor *tensors, int32_t n_tensors, woperator *ops, int32_t n_ops)
{
    for (int32_t i = 0; i < n_tensors; i++) {
        free(tensors[i].dims);
        free(tensors[i].name);
        free(tensors[i].scales);
        free(tensors[i].zero_points);
        tfw_sparsity_free(tensors[i].sparsity);
    }
    for (int32_t i = 0; i < n_ops; i++)
        free_operator(&ops[i]);
    free(tensors);
    free(ops);
}

void tfw_free(tfw_writer *w)
{
    if (!w)
        return;
    for (int32_t i = 0; i < w->n_bufs; i++)
        free(w->bufs[i].data);
    for (int32_t s = 0; s < w->n_done; s++) {
        wsubgraph *g = &w->done[s];
        free_graph(g->tensors, g->n_tensors, g->ops, g->n_ops);
        free(g->in);
        free(g->out);
        free(g->name);
    }
    free(w->done);
    free(w->name);
    free_graph(w->tensors, w->n_tensors, w->ops, w->n_ops);
    w->tensors = NULL;
    w->ops = NULL;
    for (int32_t i = 0; i < w->n_opcodes; i++)
        free(w->opcodes[i].custom);
    free(w->bufs);
    free(w->opcodes);
    free(w->in);
    free(w->out);
    free(w->places);
    free(w->description);
    free(w);
}

int tfw_error(const tfw_writer *w)
{
    return w ? w->err : EDGE_EINVAL;
}

int tfw_set_description(tfw_writer *w, const char *text)
{
    const int32_t rc = refuse(w, false, 0);
    if (rc)
        return rc;
    char *d = NULL;
    if (text && !(d = strdup(text)))
        return tfw__fail(w, EDGE_ENOMEM);
    free(w->description);
    w->description = d;
    return 0;
}

int32_t tfw_add_buffer(tfw_writer *w, const void *data, size_t bytes)
{
    const int32_t rc = refuse(w, bytes > FB_MAX, EDGE_ELIMIT);
    if (rc)
        return rc;
    w->bufs = append(w, w->bufs, &w->cap_bufs, &w->n_bufs, sizeof *w->bufs);
    if (w->err)
        return w->err;
    bool ok;
    uint8_t *copy = dup_array(w, data, bytes, 1, &ok);
    if (!ok)
        return w->err;
    w->bufs[w->n_bufs - 1] = (wbuffer){.data = copy, .bytes = bytes};
    return w->n_bufs - 1;
}

static int copy_quant(tfw_writer *w, const tfw_tensor_desc *t, wtensor *dst)
{
    if (t->q_count < 0 || (t->q_count > 1 && !t->scales))
        return tfw__fail(w, EDGE_EINVAL);
    dst->q_count = t->q_count;
    dst->q_axis = t->q_axis;
    if (!t->q_count)
        return 0;
    const size_t n = (size_t)t->q_count;
    dst->scales = malloc(n * sizeof *dst->scales);
    dst->zero_points = malloc(n * sizeof *dst->zero_points);
    if (!dst->scales || !dst->zero_points)
        return tfw__fail(w, EDGE_ENOMEM);
    for (size_t i = 0; i < n; i++) {
        dst->scales[i] = t->scales ? t->scales[i] : t->scale;
        if (t->scales)
            dst->zero_points[i] = t->zero_points ? t->zero_points[i] : 0;
        else
            dst->zero_points[i] = t->zero_point;
    }
    return 0;
}

int32_t tfw_add_tensor(tfw_writer *w, const tfw_tensor_desc *t)
{
    if (!w || !t)
        return EDGE_EINVAL;
    if (w->err)
        return w->err;
    if (t->rank < 0 || t->rank > TFW_MAX_RANK || (t->rank > 0 && !t->dims))
        return tfw__fail(w, EDGE_EINVAL);
    /* counted now so that tfw_free releases partial copies */
    w->tensors = append(w, w->tensors, &w->cap_tensors, &w->n_tensors, sizeof *w->tensors);
    if (w->err)
        return w->err;
    wtensor *dst = &w->tensors[w->n_tensors - 1];
    dst->type = t->type;
    dst->rank = t->rank;
    dst->buffer = t->buffer;
    dst->is_variable = t->is_variable;
    bool ok;
    dst->dims = dup_array(w, t->dims, (size_t)t->rank, sizeof(int32_t), &ok);
    if (!ok)
        return w->err;
    if (t->name && !(dst->name = strdup(t->name)))
        return tfw__fail(w, EDGE_ENOMEM);
    if (copy_quant(w, t, dst))
        return w->err;
    if (t->sparsity && !(dst->sparsity = tfw__sparsity_dup(t->sparsity)))
        return tfw__fail(w, EDGE_ENOMEM);
    return w->n_tensors - 1;
}

int32_t tfw_add_q(tfw_writer *w, int type, const char *name, int rank, const int32_t *dims,
                  float scale, int32_t zp)
{
    const tfw_tensor_desc d = {.type = type,
                               .rank = rank,
                               .dims = dims,
                               .name = name,
                               .q_count = 1,
                               .scale = scale,
                               .zero_point = zp};
    return tfw_add_tensor(w, &d);
}

int32_t tfw_add_const(tfw_writer *w, const tfw_tensor_desc *t, const void *data, size_t bytes)
{
    if (!w || !t)
        return EDGE_EINVAL;
    const int32_t b = tfw_add_buffer(w, data, bytes);
    if (b < 0)
        return b;
    tfw_tensor_desc d = *t;
    d.buffer = (uint32_t)b;
    return tfw_add_tensor(w, &d);
}

int32_t tfw_add_opcode(tfw_writer *w, int32_t builtin_code, int32_t version)
{
    const int32_t rc = refuse(w, false, 0);
    if (rc)
        return rc;
    w->opcodes = append(w, w->opcodes, &w->cap_opcodes, &w->n_opcodes, sizeof *w->opcodes);
    if (w->err)
        return w->err;
    w->opcodes[w->n_opcodes - 1] = (wopcode){.code = builtin_code, .version = version};
    return w->n_opcodes - 1;
}

int32_t tfw_add_custom_opcode(tfw_writer *w, const char *name, int32_t version)
{
    const int32_t rc = refuse(w, !name, EDGE_EINVAL);
    if (rc)
        return rc;
    if (strlen(name) > FB_MAX / 2)
        return tfw__fail(w, EDGE_ELIMIT);
    char *copy = strdup(name);
    if (!copy)
        return tfw__fail(w, EDGE_ENOMEM);
    const int32_t i = tfw_add_opcode(w, TFW_CUSTOM_CODE, version);
    if (i < 0) {
        free(copy);
        return i;
    }
    w->opcodes[i].custom = copy;
    return i;
}

static int copy_options(tfw_writer *w, const tfw_options *opt, woperator *op)
{
    if (!opt || (opt->type == 0 && opt->n == 0))
        return 0;
    if (opt->overflow || opt->n < 0 || opt->n > TFW_MAX_OPT_FIELDS)
        return tfw__fail(w, EDGE_EINVAL);
    op->has_opt = true;
    op->opt_type = opt->type;
    for (int i = 0; i < opt->n; i++) {
        op->fields[i] = opt->f[i];
        op->fields[i].vec = NULL;
        op->fields[i].str = NULL;
        op->n_fields = i + 1;
        if (opt->f[i].kind == TFW_STR && !(op->fields[i].str = strdup(opt->f[i].str)))
            return tfw__fail(w, EDGE_ENOMEM);
        if (opt->f[i].kind == TFW_VEC_I32) {
            bool ok;
            op->fields[i].vec =
                dup_array(w, opt->f[i].vec, (size_t)opt->f[i].vec_len, sizeof(int32_t), &ok);
            if (!ok)
                return w->err;
        }
    }
    return 0;
}

int32_t tfw_add_operator(tfw_writer *w, int32_t opcode, const int32_t *in, int n_in,
                         const int32_t *out, int n_out, const tfw_options *opt)
{
    const int32_t rc =
        refuse(w, n_in < 0 || n_out < 0 || (n_in && !in) || (n_out && !out), EDGE_EINVAL);
    if (rc)
        return rc;
    w->ops = append(w, w->ops, &w->cap_ops, &w->n_ops, sizeof *w->ops);
    if (w->err)
        return w->err;
    woperator *op = &w->ops[w->n_ops - 1];
    op->opcode = opcode;
    op->n_in = n_in;
    op->n_out = n_out;
    bool ok1, ok2;
    op->in = dup_array(w, in, (size_t)n_in, sizeof(int32_t), &ok1);
    op->out = dup_array(w, out, (size_t)n_out, sizeof(int32_t), &ok2);
    if (!ok1 || !ok2 || copy_options(w, opt, op))
        return w->err;
    return w->n_ops - 1;
}

int32_t tfw_add_custom_operator(tfw_writer *w, int32_t opcode, const int32_t *in, int n_in,
                                const int32_t *out, int n_out, const void *options, size_t bytes)
{
    const int32_t rc = refuse(w, bytes > FB_MAX, EDGE_ELIMIT);
    if (rc)
        return rc;
    const int32_t i = tfw_add_operator(w, opcode, in, n_in, out, n_out, NULL);
    if (i < 0)
        return i;
    bool ok;
    woperator *op = &w->ops[i];
    op->custom = dup_array(w, options, bytes, 1, &ok);
    if (!ok)
        return w->err;
    op->n_custom = bytes;
    op->has_custom = true;
    return i;
}

int tfw_set_io(tfw_writer *w, const int32_t *in, int n_in, const int32_t *out, int n_out)
{
    const int32_t rc = refuse(w, n_in < 0 || n_out < 0, EDGE_EINVAL);
    if (rc)
        return rc;
    bool ok1, ok2;
    int32_t *ci = dup_array(w, in, (size_t)n_in, sizeof(int32_t), &ok1);
    int32_t *co = dup_array(w, out, (size_t)n_out, sizeof(int32_t), &ok2);
    if (!ok1 || !ok2) {
        free(ci);
        free(co);
        return w->err;
    }
    free(w->in);
    free(w->out);
    w->in = ci;
    w->out = co;
    w->n_in = n_in;
    w->n_out = n_out;
    return 0;
}

wsubgraph tfw__open_subgraph(const tfw_writer *w)
{
    return (wsubgraph){
        .name = w->name,
        .tensors = w->tensors,
        .n_tensors = w->n_tensors,
        .ops = w->ops,
        .n_ops = w->n_ops,
        .in = w->in,
        .out = w->out,
        .n_in = w->n_in,
        .n_out = w->n_out,
    };
}

int32_t tfw_add_subgraph(tfw_writer *w, const char *name)
{
    const int32_t rc = refuse(w, false, 0);
    if (rc)
        return rc;
    char *copy = name ? strdup(name) : NULL;
    wsubgraph *d = tfw__grow(w, w->done, &w->cap_done, w->n_done, sizeof *w->done);
    if ((name && !copy) || !d) {
        free(copy);
        return tfw__fail(w, EDGE_ENOMEM);
    }
    w->done = d;
    w->done[w->n_done++] = tfw__open_subgraph(w);
    w->name = copy;
    w->tensors = NULL;
    w->ops = NULL;
    w->in = w->out = NULL;
    w->n_tensors = w->cap_tensors = w->n_ops = w->cap_ops = 0;
    w->n_in = w->n_out = 0;
    return w->n_done;
}

int tfw_fc_int8(const int8_t *w, int32_t n, int32_t k, uint8_t **out, size_t *size)
{
    tfw_writer *tw = tfw_new();
    if (!tw)
        return EDGE_ENOMEM;
    const int32_t in_dims[2] = {1, k}, w_dims[2] = {n, k}, out_dims[2] = {1, n};
    const int32_t x = tfw_add_q(tw, EDGE_INT8, "input", 2, in_dims, 0.02f, 0);
    const tfw_tensor_desc wd = {.type = EDGE_INT8,
                                .rank = 2,
                                .dims = w_dims,
                                .name = "weights",
                                .q_count = 1,
                                .scale = 0.01f};
    const int32_t wt = tfw_add_const(tw, &wd, w, (size_t)n * (size_t)k);
    const int32_t y = tfw_add_q(tw, EDGE_INT8, "output", 2, out_dims, 0.5f, 0);
    const int32_t op = tfw_add_opcode(tw, EDGE_OP_FULLY_CONNECTED, 1);
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_FullyConnectedOptions);
    const int32_t ins[3] = {x, wt, -1};
    tfw_add_operator(tw, op, ins, 3, &y, 1, &o);
    tfw_set_io(tw, &x, 1, &y, 1);
    const int rc = tfw_finish(tw, out, size);
    tfw_free(tw);
    return rc;
}
