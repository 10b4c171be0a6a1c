/* tools/tflite_emit.c - serialising a tfw_writer into TFLite FlatBuffers bytes.
 *
 * Owns: the byte layout. The file is built front to back: each table is
 * written (vtable first, then the table) with zeroed uoffset fields, and the
 * objects it refers to are written after it, so every uoffset is patched to
 * point forward from where it is stored, as the format requires. Positions are
 * aligned from the start of the file (scalars and vector elements naturally,
 * Buffer.data to 16 as its force_align says); the result is padded to 16
 * bytes so a malloc'd or mmap'd copy keeps every alignment. Also the escape
 * hatch (tfw_where, tfw_field_at, tfw_poke_u32). Custom operators: the
 * OperatorCode's custom_code string and the Operator's custom_options bytes
 * follow their table like every other vector; a sparse tensor's SparsityParameters (its
 * DimensionMetadata tables, each index vector a table of its own) follow its table too.
 * Does not own reading files
 * back (runtime/fb.c) or the description API (tflite_writer.c). */
#include "tflite_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/error.h"
#include "runtime/tflite_schema.h"
#include "tflite_writer_impl.h"

#define BUFFER_ALIGN 16 /* Buffer.data is declared force_align: 16 */

/* ---------------------------------------------------------------- byte emission */

typedef struct ebuf {
    uint8_t *p;
    size_t len, cap;
    int err;
} ebuf;

static bool e_room(ebuf *b, size_t n)
{
    if (b->err)
        return false;
    if (n > FB_MAX || b->len > FB_MAX - n) {
        b->err = EDGE_ELIMIT;
        return false;
    }
    const size_t need = b->len + n; /* <= FB_MAX */
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap *= 2; /* stops at or below 2^31 */
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->err = EDGE_ENOMEM;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void e_bytes(ebuf *b, const void *src, size_t n)
{
    if (n && e_room(b, n)) {
        memcpy(b->p + b->len, src, n);
        b->len += n;
    }
}

static void e_zero(ebuf *b, size_t n)
{
    if (n && e_room(b, n)) {
        memset(b->p + b->len, 0, n);
        b->len += n;
    }
}

/* Pad with zeros until (len + AHEAD) is a multiple of ALIGN. */
static void e_pad(ebuf *b, size_t align, size_t ahead)
{
    const size_t r = (b->len + ahead) % align;
    if (r)
        e_zero(b, align - r);
}

/* N little-endian bytes of V (N <= 8). */
static void e_le(ebuf *b, uint64_t v, size_t n)
{
    uint8_t tmp[8];
    for (size_t i = 0; i < n; i++)
        tmp[i] = (uint8_t)(v >> (8 * i));
    e_bytes(b, tmp, n);
}

static void set_u32(ebuf *b, size_t at, uint32_t v)
{
    if (b->err || at > b->len || b->len - at < 4) {
        if (!b->err)
            b->err = EDGE_EINVAL;
        return;
    }
    for (size_t i = 0; i < 4; i++)
        b->p[at + i] = (uint8_t)(v >> (8 * i));
}

/* Store at AT the uoffset to TARGET, which must lie after AT. */
static void e_link(ebuf *b, size_t at, size_t target)
{
    if (b->err)
        return;
    if (target <= at || target - at > FB_MAX) {
        b->err = EDGE_EINVAL; /* a layout bug: offsets must point forward */
        return;
    }
    set_u32(b, at, (uint32_t)(target - at));
}

/* ---- tables ---- */

#define T_MAX_FIELDS 24
#define T_MAX_SLOTS 64

typedef struct tfield {
    uint16_t slot;
    uint8_t size; /* 1, 2, 4 or 8 */
    bool ref;     /* a uoffset, patched later */
    uint64_t bits;
    size_t pos; /* where it landed */
} tfield;

typedef struct tdesc {
    int n;
    bool bad;
    tfield f[T_MAX_FIELDS];
} tdesc;

static void t_add(tdesc *t, unsigned slot, uint8_t size, bool ref, uint64_t bits)
{
    if (t->n >= T_MAX_FIELDS || slot >= T_MAX_SLOTS) {
        t->bad = true;
        return;
    }
    t->f[t->n++] = (tfield){.slot = (uint16_t)slot, .size = size, .ref = ref, .bits = bits};
}

static void t_i8(tdesc *t, unsigned slot, int32_t v)
{
    t_add(t, slot, 1, false, (uint8_t)v);
}
static void t_i32(tdesc *t, unsigned slot, int32_t v)
{
    t_add(t, slot, 4, false, (uint32_t)v);
}
static void t_u32(tdesc *t, unsigned slot, uint32_t v)
{
    t_add(t, slot, 4, false, v);
}
static void t_ref(tdesc *t, unsigned slot)
{
    t_add(t, slot, 4, true, 0);
}

static void t_f32(tdesc *t, unsigned slot, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    t_add(t, slot, 4, false, bits);
}

/* Where field SLOT was written (after t_emit). */
static size_t t_pos(const tdesc *t, unsigned slot)
{
    for (int i = 0; i < t->n; i++)
        if (t->f[i].slot == slot)
            return t->f[i].pos;
    return 0;
}

/* Write the vtable, then the table with its fields largest first (so none
 * needs interior padding); returns the table's position. */
static size_t t_emit(ebuf *b, tdesc *t)
{
    if (t->bad) {
        if (!b->err)
            b->err = EDGE_EINVAL;
        return 0;
    }
    uint16_t rel[T_MAX_SLOTS] = {0};
    unsigned nslots = 0;
    bool has8 = false;
    size_t cur = 4; /* after the soffset */
    for (uint8_t size = 8; size >= 1; size /= 2)
        for (int i = 0; i < t->n; i++)
            if (t->f[i].size == size) {
                rel[t->f[i].slot] = (uint16_t)cur;
                cur += size;
                has8 |= size == 8;
            }
    for (int i = 0; i < t->n; i++)
        if (t->f[i].slot + 1u > nslots)
            nslots = t->f[i].slot + 1u;
    e_pad(b, 2, 0);
    const size_t vt = b->len;
    e_le(b, 4 + 2 * nslots, 2);
    e_le(b, cur, 2);
    for (unsigned s = 0; s < nslots; s++)
        e_le(b, rel[s], 2);
    e_pad(b, has8 ? 8 : 4, has8 ? 4 : 0); /* 8-byte fields start right after the soffset */
    const size_t tp = b->len;
    e_le(b, (uint32_t)(tp - vt), 4); /* vtable = table - soffset, before the table */
    for (uint8_t size = 8; size >= 1; size /= 2)
        for (int i = 0; i < t->n; i++)
            if (t->f[i].size == size) {
                t->f[i].pos = tp + rel[t->f[i].slot];
                e_le(b, t->f[i].bits, size);
            }
    return tp;
}

/* ---- vectors and strings; each returns the position of its length field ---- */

static size_t v_start(ebuf *b, size_t n, size_t esize, size_t align)
{
    if (n > FB_MAX / esize) {
        if (!b->err)
            b->err = EDGE_ELIMIT;
        return 0;
    }
    e_pad(b, align < 4 ? 4 : align, 4);
    const size_t at = b->len;
    e_le(b, (uint32_t)n, 4);
    return at;
}

static size_t v_i32(ebuf *b, const int32_t *v, size_t n)
{
    const size_t at = v_start(b, n, 4, 4);
    for (size_t i = 0; i < n && !b->err; i++)
        e_le(b, (uint32_t)v[i], 4);
    return at;
}

static size_t v_i64(ebuf *b, const int64_t *v, size_t n)
{
    const size_t at = v_start(b, n, 8, 8);
    for (size_t i = 0; i < n && !b->err; i++)
        e_le(b, (uint64_t)v[i], 8);
    return at;
}

static size_t v_f32(ebuf *b, const float *v, size_t n)
{
    const size_t at = v_start(b, n, 4, 4);
    for (size_t i = 0; i < n && !b->err; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        e_le(b, bits, 4);
    }
    return at;
}

static size_t v_bytes(ebuf *b, const void *p, size_t n, size_t align)
{
    const size_t at = v_start(b, n, 1, align);
    e_bytes(b, p, n);
    return at;
}

/* A vector of N uoffsets, zero until linked (element i is at + 4 + 4 i). */
static size_t v_refs(ebuf *b, size_t n)
{
    const size_t at = v_start(b, n, 4, 4);
    if (!b->err)
        e_zero(b, 4 * n);
    return at;
}

static size_t e_string(ebuf *b, const char *s)
{
    const size_t n = strlen(s);
    const size_t at = v_start(b, n, 1, 4);
    e_bytes(b, s, n);
    e_zero(b, 1);
    return at;
}

/* ---------------------------------------------------------------- serialisation */

typedef struct emit {
    tfw_writer *w;
    ebuf b;
    const wsubgraph *sg; /* the subgraph being written */
    bool quiet;          /* past subgraph 0: record no places */
} emit;

static void place(emit *e, tfw_place what, int32_t index, size_t pos)
{
    tfw_writer *w = e->w;
    if (e->b.err || e->quiet)
        return;
    wplace *p = tfw__grow(w, w->places, &w->cap_places, w->n_places, sizeof *p);
    if (!p) {
        e->b.err = w->err;
        w->err = 0; /* a failed finish leaves the description usable */
        return;
    }
    w->places = p;
    p[w->n_places++] = (wplace){.place = what, .index = index, .pos = pos};
}

/* Link the uoffset at AT to a new vector/table at TARGET and record it. */
static void link_place(emit *e, size_t at, size_t target, tfw_place what, int32_t index)
{
    e_link(&e->b, at, target);
    place(e, what, index, target);
}

static void emit_quant(emit *e, int32_t ti, size_t ref)
{
    const wtensor *t = &e->sg->tensors[ti];
    tdesc d = {0};
    t_ref(&d, TFL_QUANT_SCALE);
    t_ref(&d, TFL_QUANT_ZERO_POINT);
    if (t->q_count > 1 || t->q_axis != 0)
        t_i32(&d, TFL_QUANT_QUANTIZED_DIMENSION, t->q_axis);
    link_place(e, ref, t_emit(&e->b, &d), TFW_AT_QUANT, ti);
    const size_t n = (size_t)t->q_count;
    link_place(e, t_pos(&d, TFL_QUANT_SCALE), v_f32(&e->b, t->scales, n), TFW_AT_QUANT_SCALE, ti);
    link_place(e, t_pos(&d, TFL_QUANT_ZERO_POINT), v_i64(&e->b, t->zero_points, n),
               TFW_AT_QUANT_ZERO_POINT, ti);
}

/* A SparseIndexVector table (Int32Vector, Uint16Vector or Uint8Vector by TYPE) holding V. */
static void emit_siv(emit *e, size_t ref, uint8_t type, const int32_t *v, int32_t n)
{
    tdesc d = {0};
    t_ref(&d, 0);
    e_link(&e->b, ref, t_emit(&e->b, &d));
    const size_t esz = type == TFL_SIV_UINT8 ? 1 : type == TFL_SIV_UINT16 ? 2 : 4;
    const size_t at = v_start(&e->b, (size_t)n, esz, 4);
    for (int32_t i = 0; i < n && !e->b.err; i++)
        e_le(&e->b, (uint32_t)v[i], esz);
    e_link(&e->b, t_pos(&d, 0), at);
}

static void emit_dim(emit *e, const tfw_dim *dm, size_t ref)
{
    tdesc d = {0};
    t_i8(&d, TFL_DIM_FORMAT, dm->format);
    t_i32(&d, TFL_DIM_DENSE_SIZE, dm->dense_size);
    if (dm->seg_type) {
        t_i8(&d, TFL_DIM_SEGMENTS_TYPE, dm->seg_type);
        t_ref(&d, TFL_DIM_SEGMENTS);
    }
    if (dm->idx_type) {
        t_i8(&d, TFL_DIM_INDICES_TYPE, dm->idx_type);
        t_ref(&d, TFL_DIM_INDICES);
    }
    e_link(&e->b, ref, t_emit(&e->b, &d));
    if (dm->seg_type)
        emit_siv(e, t_pos(&d, TFL_DIM_SEGMENTS), dm->seg_type, dm->segments, dm->n_segments);
    if (dm->idx_type)
        emit_siv(e, t_pos(&d, TFL_DIM_INDICES), dm->idx_type, dm->indices, dm->n_indices);
}

static void emit_sparsity(emit *e, int32_t ti, size_t ref)
{
    const tfw_sparsity *sp = e->sg->tensors[ti].sparsity;
    tdesc d = {0};
    t_ref(&d, TFL_SPARSITY_TRAVERSAL_ORDER);
    if (sp->n_block)
        t_ref(&d, TFL_SPARSITY_BLOCK_MAP);
    t_ref(&d, TFL_SPARSITY_DIM_METADATA);
    link_place(e, ref, t_emit(&e->b, &d), TFW_AT_SPARSITY, ti);
    e_link(&e->b, t_pos(&d, TFL_SPARSITY_TRAVERSAL_ORDER),
           v_i32(&e->b, sp->traversal_order, (size_t)sp->n_order));
    if (sp->n_block)
        e_link(&e->b, t_pos(&d, TFL_SPARSITY_BLOCK_MAP),
               v_i32(&e->b, sp->block_map, (size_t)sp->n_block));
    const size_t vd = v_refs(&e->b, (size_t)sp->n_dims);
    e_link(&e->b, t_pos(&d, TFL_SPARSITY_DIM_METADATA), vd);
    for (int32_t i = 0; i < sp->n_dims && !e->b.err; i++)
        emit_dim(e, &sp->dims[i], vd + 4 + 4 * (size_t)i);
}

static void emit_tensor(emit *e, int32_t ti, size_t ref)
{
    const wtensor *t = &e->sg->tensors[ti];
    tdesc d = {0};
    t_ref(&d, TFL_TENSOR_SHAPE);
    t_i8(&d, TFL_TENSOR_TYPE, t->type);
    t_u32(&d, TFL_TENSOR_BUFFER, t->buffer);
    if (t->name)
        t_ref(&d, TFL_TENSOR_NAME);
    if (t->q_count)
        t_ref(&d, TFL_TENSOR_QUANTIZATION);
    if (t->is_variable)
        t_i8(&d, TFL_TENSOR_IS_VARIABLE, 1);
    if (t->sparsity)
        t_ref(&d, TFL_TENSOR_SPARSITY);
    link_place(e, ref, t_emit(&e->b, &d), TFW_AT_TENSOR, ti);
    link_place(e, t_pos(&d, TFL_TENSOR_SHAPE), v_i32(&e->b, t->dims, (size_t)t->rank),
               TFW_AT_TENSOR_SHAPE, ti);
    if (t->name)
        link_place(e, t_pos(&d, TFL_TENSOR_NAME), e_string(&e->b, t->name), TFW_AT_TENSOR_NAME, ti);
    if (t->q_count)
        emit_quant(e, ti, t_pos(&d, TFL_TENSOR_QUANTIZATION));
    if (t->sparsity)
        emit_sparsity(e, ti, t_pos(&d, TFL_TENSOR_SPARSITY));
}

static void emit_options(emit *e, int32_t oi, size_t ref)
{
    const woperator *op = &e->sg->ops[oi];
    tdesc d = {0};
    for (int i = 0; i < op->n_fields; i++) {
        const tfw_field *f = &op->fields[i];
        switch (f->kind) {
        case TFW_I8:
        case TFW_U8:
        case TFW_BOOL: t_i8(&d, f->slot, f->i); break;
        case TFW_I32: t_i32(&d, f->slot, f->i); break;
        case TFW_F32: t_f32(&d, f->slot, f->f); break;
        case TFW_VEC_I32:
        case TFW_STR: t_ref(&d, f->slot); break;
        default: d.bad = true; break;
        }
    }
    link_place(e, ref, t_emit(&e->b, &d), TFW_AT_OPTIONS, oi);
    for (int i = 0; i < op->n_fields; i++) {
        const tfw_field *f = &op->fields[i];
        if (f->kind == TFW_VEC_I32)
            e_link(&e->b, t_pos(&d, f->slot), v_i32(&e->b, f->vec, (size_t)f->vec_len));
        else if (f->kind == TFW_STR)
            e_link(&e->b, t_pos(&d, f->slot), e_string(&e->b, f->str));
    }
}

static void emit_operator(emit *e, int32_t oi, size_t ref)
{
    const woperator *op = &e->sg->ops[oi];
    tdesc d = {0};
    t_u32(&d, TFL_OP_OPCODE_INDEX, (uint32_t)op->opcode);
    t_ref(&d, TFL_OP_INPUTS);
    t_ref(&d, TFL_OP_OUTPUTS);
    if (op->has_opt) {
        t_i8(&d, TFL_OP_BUILTIN_OPTIONS_TYPE, op->opt_type);
        t_ref(&d, TFL_OP_BUILTIN_OPTIONS);
    }
    if (op->has_custom) {
        t_ref(&d, TFL_OP_CUSTOM_OPTIONS);
        t_i8(&d, TFL_OP_CUSTOM_OPTIONS_FORMAT, 0); /* FLEXBUFFERS */
    }
    link_place(e, ref, t_emit(&e->b, &d), TFW_AT_OPERATOR, oi);
    link_place(e, t_pos(&d, TFL_OP_INPUTS), v_i32(&e->b, op->in, (size_t)op->n_in),
               TFW_AT_OP_INPUTS, oi);
    link_place(e, t_pos(&d, TFL_OP_OUTPUTS), v_i32(&e->b, op->out, (size_t)op->n_out),
               TFW_AT_OP_OUTPUTS, oi);
    if (op->has_opt)
        emit_options(e, oi, t_pos(&d, TFL_OP_BUILTIN_OPTIONS));
    if (op->has_custom)
        link_place(e, t_pos(&d, TFL_OP_CUSTOM_OPTIONS), v_bytes(&e->b, op->custom, op->n_custom, 4),
                   TFW_AT_CUSTOM_OPTIONS, oi);
}

static void emit_subgraph(emit *e, size_t ref)
{
    const wsubgraph *w = e->sg;
    tdesc d = {0};
    t_ref(&d, TFL_SUBGRAPH_TENSORS);
    t_ref(&d, TFL_SUBGRAPH_INPUTS);
    t_ref(&d, TFL_SUBGRAPH_OUTPUTS);
    t_ref(&d, TFL_SUBGRAPH_OPERATORS);
    t_ref(&d, TFL_SUBGRAPH_NAME);
    link_place(e, ref, t_emit(&e->b, &d), TFW_AT_SUBGRAPH, 0);
    const size_t vt = v_refs(&e->b, (size_t)w->n_tensors);
    link_place(e, t_pos(&d, TFL_SUBGRAPH_TENSORS), vt, TFW_AT_TENSORS_VEC, 0);
    link_place(e, t_pos(&d, TFL_SUBGRAPH_INPUTS), v_i32(&e->b, w->in, (size_t)w->n_in),
               TFW_AT_INPUTS_VEC, 0);
    link_place(e, t_pos(&d, TFL_SUBGRAPH_OUTPUTS), v_i32(&e->b, w->out, (size_t)w->n_out),
               TFW_AT_OUTPUTS_VEC, 0);
    const size_t vo = v_refs(&e->b, (size_t)w->n_ops);
    link_place(e, t_pos(&d, TFL_SUBGRAPH_OPERATORS), vo, TFW_AT_OPERATORS_VEC, 0);
    e_link(&e->b, t_pos(&d, TFL_SUBGRAPH_NAME),
           e_string(&e->b, w->name    ? w->name
                           : e->quiet ? ""
                                      : "main"));
    for (int32_t i = 0; i < w->n_tensors && !e->b.err; i++)
        emit_tensor(e, i, vt + 4 + 4 * (size_t)i);
    for (int32_t i = 0; i < w->n_ops && !e->b.err; i++)
        emit_operator(e, i, vo + 4 + 4 * (size_t)i);
}

static void emit_opcodes(emit *e, size_t vec)
{
    for (int32_t i = 0; i < e->w->n_opcodes && !e->b.err; i++) {
        const wopcode *oc = &e->w->opcodes[i];
        tdesc d = {0};
        t_i8(&d, TFL_OPCODE_DEPRECATED_BUILTIN, oc->code < 127 ? oc->code : 127);
        t_i32(&d, TFL_OPCODE_VERSION, oc->version);
        t_i32(&d, TFL_OPCODE_BUILTIN, oc->code);
        if (oc->custom)
            t_ref(&d, TFL_OPCODE_CUSTOM);
        link_place(e, vec + 4 + 4 * (size_t)i, t_emit(&e->b, &d), TFW_AT_OPCODE, i);
        if (oc->custom)
            link_place(e, t_pos(&d, TFL_OPCODE_CUSTOM), e_string(&e->b, oc->custom),
                       TFW_AT_OPCODE_CUSTOM, i);
    }
}

/* Buffer tables first, then their payloads (16-byte aligned) at the end. */
static void emit_buffers(emit *e, size_t vec)
{
    tfw_writer *w = e->w;
    size_t *data_ref = calloc((size_t)w->n_bufs, sizeof *data_ref);
    if (!data_ref) {
        e->b.err = EDGE_ENOMEM;
        return;
    }
    for (int32_t i = 0; i < w->n_bufs && !e->b.err; i++) {
        tdesc d = {0};
        if (w->bufs[i].bytes)
            t_ref(&d, TFL_BUFFER_DATA);
        link_place(e, vec + 4 + 4 * (size_t)i, t_emit(&e->b, &d), TFW_AT_BUFFER, i);
        data_ref[i] = t_pos(&d, TFL_BUFFER_DATA);
    }
    for (int32_t i = 0; i < w->n_bufs && !e->b.err; i++)
        if (w->bufs[i].bytes)
            link_place(e, data_ref[i],
                       v_bytes(&e->b, w->bufs[i].data, w->bufs[i].bytes, BUFFER_ALIGN),
                       TFW_AT_BUFFER_DATA, i);
    free(data_ref);
}

static void emit_model(emit *e)
{
    tfw_writer *w = e->w;
    e_le(&e->b, 0, 4); /* root uoffset, linked below */
    e_bytes(&e->b, "TFL3", 4);
    tdesc d = {0};
    t_u32(&d, TFL_MODEL_VERSION, 3);
    t_ref(&d, TFL_MODEL_OPERATOR_CODES);
    t_ref(&d, TFL_MODEL_SUBGRAPHS);
    if (w->description)
        t_ref(&d, TFL_MODEL_DESCRIPTION);
    t_ref(&d, TFL_MODEL_BUFFERS);
    link_place(e, 0, t_emit(&e->b, &d), TFW_AT_MODEL, 0);
    const size_t vc = v_refs(&e->b, (size_t)w->n_opcodes);
    link_place(e, t_pos(&d, TFL_MODEL_OPERATOR_CODES), vc, TFW_AT_OPCODES_VEC, 0);
    const int32_t ns = w->n_done + 1;
    const size_t vs = v_refs(&e->b, (size_t)ns);
    e_link(&e->b, t_pos(&d, TFL_MODEL_SUBGRAPHS), vs);
    if (w->description)
        e_link(&e->b, t_pos(&d, TFL_MODEL_DESCRIPTION), e_string(&e->b, w->description));
    const size_t vb = v_refs(&e->b, (size_t)w->n_bufs);
    link_place(e, t_pos(&d, TFL_MODEL_BUFFERS), vb, TFW_AT_BUFFERS_VEC, 0);
    emit_opcodes(e, vc);
    const wsubgraph open = tfw__open_subgraph(w);
    for (int32_t s = 0; s < ns && !e->b.err; s++) {
        e->sg = s < w->n_done ? &w->done[s] : &open;
        e->quiet = s > 0;
        emit_subgraph(e, vs + 4 + 4 * (size_t)s);
    }
    e->quiet = false;
    emit_buffers(e, vb);
    e_pad(&e->b, BUFFER_ALIGN, 0);
}

int tfw_finish(tfw_writer *w, uint8_t **out, size_t *size)
{
    if (!w || !out || !size)
        return EDGE_EINVAL;
    if (w->err)
        return w->err;
    w->n_places = 0;
    emit e = {.w = w};
    emit_model(&e);
    if (e.b.err) {
        free(e.b.p);
        w->n_places = 0;
        return e.b.err;
    }
    *out = e.b.p;
    *size = e.b.len;
    return 0;
}

int tfw_save(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return EDGE_EIO;
    const bool ok = fwrite(data, 1, size, f) == size;
    if (fclose(f) != 0 || !ok)
        return EDGE_EIO;
    return 0;
}

int tfw_write_file(tfw_writer *w, const char *path)
{
    uint8_t *buf;
    size_t size;
    int rc = tfw_finish(w, &buf, &size);
    if (rc)
        return rc;
    rc = tfw_save(path, buf, size);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------- escape hatch */

size_t tfw_where(const tfw_writer *w, tfw_place what, int32_t index)
{
    if (!w)
        return SIZE_MAX;
    const bool indexed = what >= TFW_AT_OPCODE;
    for (int32_t i = 0; i < w->n_places; i++)
        if (w->places[i].place == what && (!indexed || w->places[i].index == index))
            return w->places[i].pos;
    return SIZE_MAX;
}

uint32_t tfw_peek_u32(const uint8_t *buf, size_t size, size_t off)
{
    if (!buf || off > size || size - off < 4)
        return 0;
    return (uint32_t)buf[off] | (uint32_t)buf[off + 1] << 8 | (uint32_t)buf[off + 2] << 16 |
           (uint32_t)buf[off + 3] << 24;
}

bool tfw_poke_u32(uint8_t *buf, size_t size, size_t off, uint32_t v)
{
    if (!buf || off > size || size - off < 4)
        return false;
    for (size_t i = 0; i < 4; i++)
        buf[off + i] = (uint8_t)(v >> (8 * i));
    return true;
}

size_t tfw_field_at(const uint8_t *buf, size_t size, size_t table, unsigned slot)
{
    if (!buf || table > size || size - table < 4)
        return SIZE_MAX;
    const int64_t vt = (int64_t)table - (int32_t)tfw_peek_u32(buf, size, table);
    if (vt < 0 || (uint64_t)vt > size || size - (size_t)vt < 4)
        return SIZE_MAX;
    const size_t v = (size_t)vt;
    const size_t vtlen = (size_t)buf[v] | (size_t)buf[v + 1] << 8;
    const size_t entry = 4 + 2 * (size_t)slot;
    if (entry + 2 > vtlen || v + entry + 2 > size)
        return SIZE_MAX;
    const size_t fo = (size_t)buf[v + entry] | (size_t)buf[v + entry + 1] << 8;
    if (fo == 0 || table + fo >= size)
        return SIZE_MAX;
    return table + fo;
}
