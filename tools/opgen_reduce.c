/* tools/opgen_reduce.c - generators for REDUCE_MAX, REDUCE_MIN and RSQRT.
 *
 * Owns: the reducers' random shapes, axis sets (a random non-empty mask, each
 * axis written positive or negative, sometimes twice) and keep_dims: both
 * compare raw values under one quantization, and quantization is monotonic, so
 * the int8 model matches its float twin exactly. RSQRT: inputs above the zero
 * point (TensorFlow Lite refuses the rest at eval) and an output range that holds
 * the results; the int8 kernel's fixed-point Newton iteration is within a step
 * of the float twin. The other operators of the reduce, fill and math family
 * have no int8 kernel to pair with a float twin (unit tests:
 * tests/unit/test_ref_math.c). Does not own the pair builder (opgen.c). */
#include <math.h>

#include "opgen_impl.h"

static int gen_extreme(og_pair *p, int32_t code)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], axes[2 * OG_MAX_RANK], o_dims[OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, OG_MAX_RANK, dims, 6);
    const int mask = og_int(r, 1, (1 << rank) - 1);
    int n_axes = 0, o_rank = 0;
    const bool keep = mask == (1 << rank) - 1 || og_chance(r, 0.5); /* no rank-0 outputs */
    for (int d = 0; d < rank; d++) {
        const bool reduced = (mask >> d) & 1;
        if (reduced)
            axes[n_axes++] = og_chance(r, 0.3) ? d - rank : d;
        if (reduced && og_chance(r, 0.2))
            axes[n_axes++] = d; /* a duplicate collapses */
        if (!reduced || keep)
            o_dims[o_rank++] = reduced ? 1 : dims[d];
    }
    const og_quant q = og_quant_random(r); /* TFLite Micro requires one quantization */
    const int32_t a_dims[1] = {n_axes};
    const int32_t in[2] = {og_input(p, rank, dims, q), og_const_i32(p, 1, a_dims, axes)};
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_ReducerOptions);
    tfw_opt_bool(&o, 0, keep);
    og_desc_shape(p, "in", rank, dims);
    og_desc_shape(p, "axes", n_axes, axes);
    og_desc(p, " keep_dims=%d", keep);
    return og_move(p, code, 2, 1, in, 2, &o, o_rank, o_dims, q);
}

OG_GEN(reduce_max, gen_extreme, EDGE_OP_REDUCE_MAX)
OG_GEN(reduce_min, gen_extreme, EDGE_OP_REDUCE_MIN)

int og_gen_rsqrt(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, OG_MAX_RANK, dims, 6);
    const double hi = og_logunif(r, 0.05, 50.0);
    const og_quant qi = og_quant_range(0.0, hi); /* zero point -128 */
    const int32_t x = og_input_between(p, rank, dims, qi, qi.zp + 1, 127);
    const size_t n = og_count(rank, dims);
    const float *vf = p->err ? NULL : og_input_f(p, 0);
    double lo_in = hi;
    for (size_t i = 0; vf && i < n; i++)
        lo_in = vf[i] < lo_in ? vf[i] : lo_in;
    const og_quant qo = og_quant_output(r, 0.0, 1.0 / sqrt(lo_in > 0 ? lo_in : hi));
    return og_unary_to(p, x, EDGE_OP_RSQRT, 2, NULL, rank, dims, qo, 1.0f);
}
