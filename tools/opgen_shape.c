/* tools/opgen_shape.c - generators for data-movement operators: RESHAPE, SQUEEZE,
 * EXPAND_DIMS, PAD, PADV2, CONCATENATION, TRANSPOSE, STRIDED_SLICE,
 * RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR, ARG_MAX and ARG_MIN.
 *
 * Owns: their random shapes and parameters and the output shape each one
 * implies under TensorFlow Lite's rules (the runtime must agree, or it rejects
 * the model). These operators keep the input's quantization, so the int8
 * result is exact except for bilinear interpolation. Does not own the pair
 * builder (opgen.c). */
#include <stdlib.h>
#include <string.h>

#include "opgen_impl.h"

/* ---- RESHAPE, SQUEEZE, EXPAND_DIMS ---- */

/* Split N into RANK factors at random. */
static void factorize(og_rng *r, size_t n, int rank, int32_t *dims)
{
    for (int d = 0; d < rank - 1; d++) {
        int32_t divs[64];
        int nd = 0;
        for (size_t f = 1; f <= n && nd < 64; f++)
            if (n % f == 0)
                divs[nd++] = (int32_t)f;
        dims[d] = divs[og_int(r, 0, nd - 1)];
        n /= (size_t)dims[d];
    }
    dims[rank - 1] = (int32_t)n;
}

int og_gen_reshape(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t in_dims[OG_MAX_RANK], o_dims[OG_MAX_RANK], shape[OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, 4, in_dims, 6);
    const int o_rank = og_int(r, 1, 4);
    factorize(r, og_count(rank, in_dims), o_rank, o_dims);
    memcpy(shape, o_dims, sizeof shape);
    if (og_chance(r, 0.3))
        shape[og_int(r, 0, o_rank - 1)] = -1; /* inferred dimension */
    const og_quant q = og_quant_random(r);
    const int32_t x = og_input(p, rank, in_dims, q);
    const int form = og_int(r, 0, 9); /* shape tensor, both, or options only */
    const int32_t sd[1] = {o_rank};
    const int32_t ts = form < 8 ? og_const_i32(p, 1, sd, shape) : -1;
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_ReshapeOptions);
    tfw_opt_vec_i32(&o, 0, shape, o_rank);
    const int32_t in[2] = {x, ts};
    og_desc_shape(p, "in", rank, in_dims);
    og_desc_shape(p, "new_shape", o_rank, shape);
    og_desc(p, " form=%s", form < 6 ? "tensor" : form < 8 ? "tensor+options" : "options");
    return og_move(p, EDGE_OP_RESHAPE, 1, 1, in, form < 8 ? 2 : 1, form >= 6 ? &o : NULL, o_rank,
                   o_dims, q);
}

int og_gen_squeeze(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], o_dims[OG_MAX_RANK], sq[OG_MAX_RANK];
    const int rank = og_shape_random(r, 2, 4, dims, 6);
    const int n_ones = og_int(r, 1, rank - 1);
    for (int i = 0; i < n_ones; i++)
        dims[og_int(r, 0, rank - 1)] = 1;
    if (og_count(rank, dims) == 1) {
        const int at = og_int(r, 0, rank - 1);
        dims[at] = og_int(r, 2, 6);
    }
    bool drop[OG_MAX_RANK] = {false};
    int n_sq = 0;
    const bool all = og_chance(r, 0.5);
    for (int d = 0; d < rank; d++) {
        if (dims[d] != 1)
            continue;
        if (all || og_chance(r, 0.6)) {
            drop[d] = true;
            if (!all)
                sq[n_sq++] = og_chance(r, 0.3) ? d - rank : d;
        }
    }
    for (int d = 0; !all && n_sq == 0; d++) /* an empty list would mean "all" */
        if (dims[d] == 1) {
            drop[d] = true;
            sq[n_sq++] = d;
        }
    int o_rank = 0;
    for (int d = 0; d < rank; d++)
        if (!drop[d])
            o_dims[o_rank++] = dims[d];
    const og_quant q = og_quant_random(r);
    const int32_t x = og_input(p, rank, dims, q);
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_SqueezeOptions);
    if (!all || og_chance(r, 0.5))
        tfw_opt_vec_i32(&o, 0, sq, n_sq); /* an empty list also means "all" */
    og_desc_shape(p, "in", rank, dims);
    og_desc_shape(p, "squeeze_dims", n_sq, sq);
    return og_move(p, EDGE_OP_SQUEEZE, 1, 1, &x, 1, all && og_chance(r, 0.3) ? NULL : &o, o_rank,
                   o_dims, q);
}

int og_gen_expand_dims(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], o_dims[OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, 3, dims, 6);
    int32_t axis = og_int(r, -rank - 1, rank);
    const int at = axis < 0 ? axis + rank + 1 : axis;
    for (int d = 0, s = 0; d <= rank; d++)
        o_dims[d] = d == at ? 1 : dims[s++];
    const og_quant q = og_quant_random(r);
    const int32_t x = og_input(p, rank, dims, q);
    const int32_t ad[1] = {1};
    const bool scalar = og_chance(r, 0.3);
    const int32_t ta = og_const_i32(p, scalar ? 0 : 1, ad, &axis);
    const int32_t in[2] = {x, ta};
    og_desc_shape(p, "in", rank, dims);
    og_desc(p, " axis=%d%s", (int)axis, scalar ? " (scalar)" : "");
    return og_move(p, EDGE_OP_EXPAND_DIMS, 1, 1, in, 2, NULL, rank + 1, o_dims, q);
}

/* ---- PAD, PADV2 ---- */

static int gen_pad(og_pair *p, bool v2)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], o_dims[OG_MAX_RANK], pads[2 * OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, 4, dims, 6);
    for (int d = 0; d < rank; d++) {
        pads[2 * d] = og_chance(r, 0.5) ? og_int(r, 0, 3) : 0;
        pads[2 * d + 1] = og_chance(r, 0.5) ? og_int(r, 0, 3) : 0;
        o_dims[d] = dims[d] + pads[2 * d] + pads[2 * d + 1];
    }
    const og_quant q = og_quant_random(r);
    const int32_t x = og_input(p, rank, dims, q);
    const int32_t pd[2] = {rank, 2};
    const int32_t tp = og_const_i32(p, 2, pd, pads);
    int32_t in[3] = {x, tp, -1};
    const int8_t value = (int8_t)og_int(r, -128, 127);
    if (v2) {
        const int32_t vd[1] = {1};
        in[2] = og_const_act(p, og_chance(r, 0.3) ? 0 : 1, vd, &value, q);
    }
    tfw_options o;
    tfw_opt_init(&o, v2 ? TFL_OPT_PadV2Options : TFL_OPT_PadOptions);
    og_desc_shape(p, "in", rank, dims);
    og_desc_shape(p, "paddings", 2 * rank, pads);
    if (v2)
        og_desc(p, " value=%d", value);
    return og_move(p, v2 ? EDGE_OP_PADV2 : EDGE_OP_PAD, 2, 1, in, v2 ? 3 : 2, &o, rank, o_dims, q);
}

OG_GEN(pad, gen_pad, false)
OG_GEN(padv2, gen_pad, true)

/* ---- CONCATENATION, TRANSPOSE ---- */

int og_gen_concatenation(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], o_dims[OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, 4, dims, 5);
    const int n = og_int(r, 2, 4);
    const int axis = og_int(r, 0, rank - 1);
    const og_quant q = og_quant_random(r); /* TFLite Micro requires one quantization */
    int32_t in[OPGEN_MAX_INPUTS];
    memcpy(o_dims, dims, sizeof o_dims);
    o_dims[axis] = 0;
    og_desc(p, " inputs=%d axis=%d", n, axis);
    for (int i = 0; i < n; i++) {
        dims[axis] = og_int(r, 1, 5);
        o_dims[axis] += dims[axis];
        in[i] = og_input(p, rank, dims, q);
        og_desc_shape(p, "in", rank, dims);
    }
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_ConcatenationOptions);
    tfw_opt_i32(&o, 0, og_chance(r, 0.3) ? axis - rank : axis);
    tfw_opt_i8(&o, 1, EDGE_ACT_NONE);
    return og_move(p, EDGE_OP_CONCATENATION, 2, 1, in, n, &o, rank, o_dims, q);
}

int og_gen_transpose(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], o_dims[OG_MAX_RANK], perm[OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, 4, dims, 6);
    for (int d = 0; d < rank; d++)
        perm[d] = d;
    for (int d = rank - 1; d > 0; d--) { /* Fisher-Yates */
        const int j = og_int(r, 0, d);
        const int32_t t = perm[d];
        perm[d] = perm[j];
        perm[j] = t;
    }
    for (int d = 0; d < rank; d++)
        o_dims[d] = dims[perm[d]];
    const og_quant q = og_quant_random(r);
    const int32_t x = og_input(p, rank, dims, q);
    const int32_t pd[1] = {rank};
    const int32_t in[2] = {x, og_const_i32(p, 1, pd, perm)}; /* x was added first */
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_TransposeOptions);
    og_desc_shape(p, "in", rank, dims);
    og_desc_shape(p, "perm", rank, perm);
    return og_move(p, EDGE_OP_TRANSPOSE, 2, 1, in, 2, &o, rank, o_dims, q);
}

/* ---- STRIDED_SLICE ---- */

static int32_t clampi(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* TensorFlow Lite's start/stop for one axis (no ellipsis, new axis or offset). */
static int32_t slice_size(int32_t d, int32_t begin, int32_t end, int32_t stride, bool bmask,
                          bool emask)
{
    int32_t start, stop;
    if (bmask) {
        start = stride > 0 ? 0 : d - 1;
    } else {
        start = begin < 0 ? begin + d : begin;
        start = stride > 0 ? clampi(start, 0, d) : clampi(start, -1, d - 1);
    }
    if (emask) {
        stop = stride > 0 ? d : -1;
    } else {
        stop = end < 0 ? end + d : end;
        stop = stride > 0 ? clampi(stop, 0, d) : clampi(stop, -1, d - 1);
    }
    const int32_t span = stride > 0 ? stop - start : start - stop;
    const int32_t step = stride > 0 ? stride : -stride;
    return span > 0 ? (span + step - 1) / step : 0;
}

int og_gen_strided_slice(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], o_dims[OG_MAX_RANK];
    int32_t begin[OG_MAX_RANK], end[OG_MAX_RANK], strides[OG_MAX_RANK];
    int32_t bmask = 0, emask = 0, smask = 0;
    const int rank = og_shape_random(r, 1, 4, dims, 7);
    int o_rank = 0;
    for (int d = 0; d < rank; d++) {
        const int32_t n = dims[d];
        if (og_chance(r, 0.15) && (o_rank > 0 || d < rank - 1)) { /* shrink: keep rank >= 1 */
            begin[d] = og_int(r, -n, n - 1);
            end[d] = begin[d] + 1;
            strides[d] = 1;
            smask |= 1 << d;
            continue;
        }
        int32_t size = 0;
        for (int tries = 0; tries < 20 && size <= 0; tries++) {
            const int pick = og_int(r, 0, 19);
            strides[d] = pick < 12 ? 1 : pick < 15 ? 2 : pick < 17 ? 3 : pick < 19 ? -1 : -2;
            begin[d] = og_int(r, -n - 2, n + 1);
            end[d] = og_int(r, -n - 2, n + 1);
            const bool bm = og_chance(r, 0.2), em = og_chance(r, 0.2);
            size = slice_size(n, begin[d], end[d], strides[d], bm, em);
            bmask = bm ? bmask | 1 << d : bmask & ~(1 << d);
            emask = em ? emask | 1 << d : emask & ~(1 << d);
        }
        if (size <= 0) { /* the whole axis */
            begin[d] = 0, end[d] = n, strides[d] = 1, size = n;
            bmask &= ~(1 << d), emask &= ~(1 << d);
        }
        o_dims[o_rank++] = size;
    }
    const og_quant q = og_quant_random(r);
    const int32_t vd[1] = {rank};
    int32_t in[4];
    in[0] = og_input(p, rank, dims, q);
    in[1] = og_const_i32(p, 1, vd, begin);
    in[2] = og_const_i32(p, 1, vd, end);
    in[3] = og_const_i32(p, 1, vd, strides);
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_StridedSliceOptions);
    tfw_opt_i32(&o, 0, bmask);
    tfw_opt_i32(&o, 1, emask);
    tfw_opt_i32(&o, 4, smask);
    og_desc_shape(p, "in", rank, dims);
    og_desc_shape(p, "begin", rank, begin);
    og_desc_shape(p, "end", rank, end);
    og_desc_shape(p, "strides", rank, strides);
    og_desc(p, " masks b=%d e=%d shrink=%d", (int)bmask, (int)emask, (int)smask);
    og_desc_shape(p, "out", o_rank, o_dims);
    return og_move(p, EDGE_OP_STRIDED_SLICE, 2, 1, in, 4, &o, o_rank, o_dims, q);
}

/* ---- RESIZE_* ---- */

static int gen_resize(og_pair *p, bool bilinear)
{
    og_rng *r = &p->rng;
    int32_t dims[4], size[2];
    dims[0] = og_chance(r, 0.8) ? 1 : 2;
    for (int d = 1; d < 4; d++)
        dims[d] = og_int(r, 1, 8);
    size[0] = og_int(r, 1, 16);
    size[1] = og_int(r, 1, 16);
    const int pick = og_int(r, 0, 9);
    const bool align = pick < 3, hpc = pick >= 3 && pick < 7; /* never both */
    const og_quant q = og_quant_random(r);
    const int32_t o_dims[4] = {dims[0], size[0], size[1], dims[3]};
    const int32_t sd[1] = {2};
    int32_t in[2];
    in[0] = og_input(p, 4, dims, q);
    in[1] = og_const_i32(p, 1, sd, size);
    tfw_options o;
    if (bilinear) {
        tfw_opt_init(&o, TFL_OPT_ResizeBilinearOptions);
        tfw_opt_bool(&o, 2, align); /* slots 0 and 1 are the deprecated new_height/width */
        tfw_opt_bool(&o, 3, hpc);
    } else {
        tfw_opt_init(&o, TFL_OPT_ResizeNearestNeighborOptions);
        tfw_opt_bool(&o, 0, align);
        tfw_opt_bool(&o, 1, hpc);
    }
    /* Nearest neighbour copies. TFLite's integer bilinear resize rounds the
     * scale to 10 fractional bits, so output index v samples up to
     * (v + 1) * 0.5 / 1024 pixels away from the float position on each axis;
     * next to a neighbour 255 steps away (random inputs) that is 0.125 steps
     * per output row and column, on top of the final rounding. */
    p->tol_steps = bilinear ? 0.75f + 0.125f * (float)(size[0] + size[1]) : 0.0f;
    og_desc_shape(p, "in", 4, dims);
    og_desc(p, " size=%dx%d align_corners=%d half_pixel_centers=%d", (int)size[0], (int)size[1],
            align, hpc);
    return og_move(p, bilinear ? EDGE_OP_RESIZE_BILINEAR : EDGE_OP_RESIZE_NEAREST_NEIGHBOR,
                   hpc ? 3 : 2, hpc ? 3 : 1, in, 2, &o, 4, o_dims, q);
}

OG_GEN(resize_nearest_neighbor, gen_resize, false)
OG_GEN(resize_bilinear, gen_resize, true)

/* ---- ARG_MAX, ARG_MIN (comparison family: one generator, the code a parameter) ---- */

static int gen_arg(og_pair *p, int32_t code)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], o_dims[OG_MAX_RANK];
    const int rank = og_shape_random(r, 2, 4, dims, 8);
    const int at = og_int(r, 0, rank - 1);
    int32_t axis = og_chance(r, 0.3) ? at - rank : at;
    for (int d = 0, o = 0; d < rank; d++)
        if (d != at)
            o_dims[o++] = dims[d];
    const og_quant q = og_quant_random(r);
    const int32_t ad[1] = {1};
    const bool scalar = og_chance(r, 0.3);
    int32_t in[2];
    in[0] = og_input(p, rank, dims, q);
    in[1] = og_const_i32(p, scalar ? 0 : 1, ad, &axis);
    og_set_output(p, og_tensor(p, EDGE_INT32, EDGE_INT32, rank - 1, o_dims, NULL));
    tfw_options o;
    tfw_opt_init(&o, code == EDGE_OP_ARG_MIN ? TFL_OPT_ArgMinOptions : TFL_OPT_ArgMaxOptions);
    tfw_opt_i8(&o, 0, EDGE_INT32); /* output_type */
    og_op(p, code, 2, 1, in, 2, &o);
    og_desc_shape(p, "in", rank, dims);
    og_desc(p, " axis=%d%s", (int)axis, scalar ? " (scalar)" : "");
    og_desc_quant(p, "q", q);
    return p->err;
}

OG_GEN(arg_max, gen_arg, EDGE_OP_ARG_MAX)
OG_GEN(arg_min, gen_arg, EDGE_OP_ARG_MIN)
