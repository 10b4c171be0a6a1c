/* backends/cpu/op_resize.c - RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR.
 *
 * Owns: validating the NHWC input, the constant size operand (two int32
 * values) and the declared output against the shape edge_resize_shape
 * derives ([batch, size0, size1, depth], sizes positive); reading
 * align_corners / half_pixel_centers; and precomputing, per output row and
 * column, the source indices (and bilinear weights) into the prepared data, so
 * eval only indexes and blends. Kernel choice follows TensorFlow Lite:
 * nearest copies elements of any type; bilinear is 10-bit fixed point for
 * int8 (ResizeBilinearInteger), float weights for float32 and uint8.
 * Nearest runs as row copies over the interpreter's threads (move.h).
 * Does not own the arithmetic (kernels/ref/resize.c). */
#include <stddef.h>

#include "cpu_op.h"
#include "dispatch.h"
#include "move.h"
#include "ref/resize.h"

typedef enum resize_kind {
    RESIZE_NEAREST,
    RESIZE_BILINEAR_S8,
    RESIZE_BILINEAR_U8,
    RESIZE_BILINEAR_F32
} resize_kind;

/* Tables follow the struct: out_h entries for rows, then out_w for columns. */
typedef struct resize_data {
    edge_ref_resize_params k;
    resize_kind kind;
    size_t esize;
    size_t xtab_offset;       /* bytes from tables[] to the column table */
    const edge_kernels *fast; /* bilinear on this table's kernel (kernels/f32.h), NULL: reference */
    max_align_t tables[];
} resize_data;

typedef struct resize_flags {
    bool align_corners, half_pixel_centers;
} resize_flags;

static int resize_flags_read(edge_prep *p, const edge_node *n, bool bilinear, resize_flags *f)
{
    f->align_corners = n->params.resize.align_corners;
    f->half_pixel_centers = n->params.resize.half_pixel_centers;
    if (bilinear && f->align_corners && f->half_pixel_centers)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "align_corners and half_pixel_centers cannot both be set");
    return 0;
}

/* Input [b,h,w,c] (non-empty spatially), size = [out_h, out_w] > 0, output matches. */
static int resize_shapes(edge_prep *p, const edge_tensor *in, const edge_tensor *size,
                         const edge_tensor *out, edge_ref_resize_params *k)
{
    int rc = edge_op_check_rank(p, in, "input", 4);
    if (rc || (rc = edge_op_check_type(p, out, "output", in->type)) ||
        (rc = edge_op_check_const(p, size, "size", EDGE_INT32)))
        return rc;
    if (size->rank != 1 || size->count != 2)
        return edge_op_fail(p, EDGE_ESHAPE, "size must hold 2 values (height, width)");
    int32_t dims[4];
    if ((rc = edge_resize_shape(in->dims, size->data, dims, p->err)))
        return rc;
    if (in->count == 0 || out->count == 0)
        return edge_op_fail(p, EDGE_ESHAPE, "empty input or output tensors are not supported");
    *k = (edge_ref_resize_params){.batches = in->dims[0],
                                  .in_h = in->dims[1],
                                  .in_w = in->dims[2],
                                  .depth = in->dims[3],
                                  .out_h = dims[1],
                                  .out_w = dims[2]};
    return edge_op_check_dims(p, out, "output", 4, dims);
}

static int resize_kind_of(edge_prep *p, edge_dtype type, bool bilinear, resize_kind *kind)
{
    if (!bilinear) {
        *kind = RESIZE_NEAREST;
        return 0;
    }
    switch (type) {
    case EDGE_INT8: *kind = RESIZE_BILINEAR_S8; return 0;
    case EDGE_UINT8: *kind = RESIZE_BILINEAR_U8; return 0;
    case EDGE_FLOAT32: *kind = RESIZE_BILINEAR_F32; return 0;
    default:
        return edge_op_fail(p, EDGE_EUNSUPPORTED, "input type %s is not supported",
                            edge_dtype_name(type));
    }
}

static size_t table_entry_size(resize_kind kind)
{
    switch (kind) {
    case RESIZE_NEAREST: return sizeof(int32_t);
    case RESIZE_BILINEAR_S8: return sizeof(edge_ref_lerp_q10);
    default: return sizeof(edge_ref_lerp_f32);
    }
}

/* Fill the row and column tables. */
static int resize_tables(edge_prep *p, resize_data *d, resize_flags f)
{
    const edge_ref_resize_params *k = &d->k;
    void *y = d->tables, *x = (uint8_t *)d->tables + d->xtab_offset;
    switch (d->kind) {
    case RESIZE_NEAREST:
        edge_ref_resize_nearest_index(k->in_h, k->out_h, f.align_corners, f.half_pixel_centers, y);
        edge_ref_resize_nearest_index(k->in_w, k->out_w, f.align_corners, f.half_pixel_centers, x);
        return 0;
    case RESIZE_BILINEAR_S8:
        if (!edge_ref_bilinear_coeffs_q10(k->in_h, k->out_h, f.align_corners, f.half_pixel_centers,
                                          y) ||
            !edge_ref_bilinear_coeffs_q10(k->in_w, k->out_w, f.align_corners, f.half_pixel_centers,
                                          x))
            return edge_op_fail(p, EDGE_ELIMIT,
                                "resizing %dx%d to %dx%d overflows the int8 "
                                "fixed-point coordinates",
                                (int)k->in_h, (int)k->in_w, (int)k->out_h, (int)k->out_w);
        return 0;
    default:
        edge_ref_bilinear_coeffs_f32(k->in_h, k->out_h, f.align_corners, f.half_pixel_centers, y);
        edge_ref_bilinear_coeffs_f32(k->in_w, k->out_w, f.align_corners, f.half_pixel_centers, x);
        return 0;
    }
}

static bool q10_fits(const resize_data *d);

/* RESIZE_NEAREST_NEIGHBOR or RESIZE_BILINEAR, by N's code. */
static int resize_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io(p, n, 2, 2, 1, &in, &out);
    if (rc)
        return rc;
    const bool bilinear = n->code == EDGE_OP_RESIZE_BILINEAR;
    resize_flags f = {false, false};
    edge_ref_resize_params k = {0};
    resize_kind kind = RESIZE_NEAREST;
    if ((rc = resize_flags_read(p, n, bilinear, &f)) ||
        (rc = resize_shapes(p, in, edge_op_input(p, n, 1), out, &k)) ||
        (rc = resize_kind_of(p, in->type, bilinear, &kind)))
        return rc;
    const size_t entry = table_entry_size(kind);
    const size_t entries = (size_t)k.out_h + (size_t)k.out_w;
    resize_data *d = edge_op_alloc(p, n, sizeof *d + entries * entry);
    if (!d)
        return EDGE_ENOMEM;
    d->k = k;
    d->kind = kind;
    d->esize = edge_dtype_size(in->type);
    d->xtab_offset = (size_t)k.out_h * entry;
    if (kind == RESIZE_NEAREST)
        n->kernel = "resize_nearest_rows";
    if ((rc = resize_tables(p, d, f)))
        return rc;
    const edge_kernels *kt = edge_op_kernels(p);
    if (kind != RESIZE_NEAREST && kt && kt->f32.bilinear_s8 &&
        (kind != RESIZE_BILINEAR_S8 || q10_fits(d))) {
        d->fast = kt;
        n->kernel = kt->f32.bilinear_name;
    }
    return 0;
}

/* Whether every Q10 fraction lies in [-1024, 2048], the range kernels/f32.h's int8 bilinear
 * kernel sums in int32 (TFLite's stay within [-512, 1536]). */
static bool q10_fits(const resize_data *d)
{
    const edge_ref_lerp_q10 *y = (const void *)d->tables;
    const edge_ref_lerp_q10 *x = (const void *)((const uint8_t *)d->tables + d->xtab_offset);
    for (int32_t i = 0; i < d->k.out_h + d->k.out_w; i++) {
        const int32_t f = i < d->k.out_h ? y[i].frac : x[i - d->k.out_h].frac;
        if (f < -1024 || f > 2048)
            return false;
    }
    return true;
}

typedef struct bilinear_job {
    const resize_data *d;
    const void *y, *x, *in;
    void *out;
    int32_t rows, chunk;
} bilinear_job;

static void bilinear_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const bilinear_job *j = ctx;
    const resize_data *d = j->d;
    const int32_t r0 = (int32_t)task * j->chunk;
    const int32_t r1 = r0 + j->chunk < j->rows ? r0 + j->chunk : j->rows;
    switch (d->kind) {
    case RESIZE_BILINEAR_S8:
        d->fast->f32.bilinear_s8(&d->k, j->y, j->x, j->in, j->out, r0, r1);
        break;
    case RESIZE_BILINEAR_U8:
        d->fast->f32.bilinear_u8(&d->k, j->y, j->x, j->in, j->out, r0, r1);
        break;
    default: d->fast->f32.bilinear_f32(&d->k, j->y, j->x, j->in, j->out, r0, r1); break;
    }
}

static void resize_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const resize_data *d = n->data;
    const void *in = t[n->in[0]];
    void *out = t[n->out[0]];
    const void *y = d->tables, *x = (const uint8_t *)d->tables + d->xtab_offset;
    if (d->fast) {
        bilinear_job j = {d, y, x, in, out, d->k.batches * d->k.out_h, 1};
        const int32_t per = (int32_t)(4 * edge_exec_width(ex)); /* tasks: 4 per thread */
        j.chunk = (j.rows + per - 1) / per;
        edge_exec_parallel(ex, (size_t)((j.rows + j.chunk - 1) / j.chunk), bilinear_task, &j);
        return;
    }
    switch (d->kind) {
    case RESIZE_NEAREST: edge_move_resize_nearest(&d->k, y, x, d->esize, in, out, ex); break;
    case RESIZE_BILINEAR_S8: edge_ref_resize_bilinear_s8(&d->k, y, x, in, out); break;
    case RESIZE_BILINEAR_U8: edge_ref_resize_bilinear_u8(&d->k, y, x, in, out); break;
    case RESIZE_BILINEAR_F32: edge_ref_resize_bilinear_f32(&d->k, y, x, in, out); break;
    }
}

EDGE_CPU_OP(RESIZE_NEAREST_NEIGHBOR, resize_prepare, resize_eval)
EDGE_CPU_OP(RESIZE_BILINEAR, resize_prepare, resize_eval)
