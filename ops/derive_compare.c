/* ops/derive_compare.c - the comparison family's integer rescalings.
 *
 * Owns: the multipliers TensorFlow Lite Micro's int8/uint8 comparisons
 * (comparisons_common.cc), ADD_N and CUMSUM (add_n.cc, cumsum.cc) and
 * SQUARED_DIFFERENCE (squared_difference.cc) compute from the tensors'
 * scales, in the same precision (double, or float where TFLite multiplies in
 * float), with a message when a multiplier cannot be represented (TFLite
 * would abort on its DCHECK). Numbers in, numbers out. Does not own the
 * shapes (ops/derive_shape.c) or any kernel (kernels/ref/compare.c). */
#include "edge/ops.h"
#include "ref/requant.h"
#include "seterr.h"

/* QuantizeMultiplierSmallerThanOneExp of REAL into *M, *SHIFT; WHAT names it. */
static int lt1(double real, const char *what, int32_t *m, int *shift, edge_error *err)
{
    if (!edge_quantize_multiplier_lt1(real, m, shift))
        return edge__seterr(err, EDGE_ERANGE,
                            "%s multiplier %g cannot be represented (it must be in (0, 1))", what,
                            real);
    return 0;
}

int edge_compare_multipliers(float sa, float sb, edge_rescale_quant *q, edge_error *err)
{
    *q = (edge_rescale_quant){.left_shift = 8};
    int rc = lt1((double)sa, "input 0 scale", &q->a_mult, &q->a_shift, err);
    return rc ? rc : lt1((double)sb, "input 1 scale", &q->b_mult, &q->b_shift, err);
}

int edge_sum_multipliers(float si, float so, edge_rescale_quant *q, edge_error *err)
{
    *q = (edge_rescale_quant){.left_shift = 20};
    const double twice = 2 * (double)si;
    const double real_in = (double)si / twice;
    const double real_out = twice / ((double)(1 << 20) * (double)so);
    int rc = lt1(real_in, "input", &q->a_mult, &q->a_shift, err);
    q->b_mult = q->a_mult;
    q->b_shift = q->a_shift;
    return rc ? rc : lt1(real_out, "output", &q->out_mult, &q->out_shift, err);
}

int edge_squared_diff_multipliers(float sa, float sb, float so, int left_shift,
                                  edge_rescale_quant *q, edge_error *err)
{
    *q = (edge_rescale_quant){.left_shift = left_shift};
    const double twice = 2.0 * (double)(sa > sb ? sa : sb);
    /* (1 << 2 shift) * output scale is a float product in TFLite */
    const double real_out = twice * twice / (double)((float)(1 << (left_shift * 2)) * so);
    int rc = lt1((double)sa / twice, "input 0", &q->a_mult, &q->a_shift, err);
    if (rc || (rc = lt1((double)sb / twice, "input 1", &q->b_mult, &q->b_shift, err)))
        return rc;
    int32_t shift = 0;
    rc = edge_requant_multiplier(real_out, "output multiplier", &q->out_mult, &shift, err);
    q->out_shift = (int)shift;
    return rc;
}
