/* kernels/ref/requant.c - real multipliers to fixed point (TFLite QuantizeMultiplier).
 *
 * Owns: the prepare-time conversion; the per-element arithmetic is inline in
 * requant.h. */
#include "requant.h"

#include <math.h>

bool edge_quantize_multiplier(double real, int32_t *m, int *shift)
{
    if (!isfinite(real) || real < 0)
        return false;
    if (real == 0.0) {
        *m = 0;
        *shift = 0;
        return true;
    }
    int e = 0;
    const double q = frexp(real, &e);
    int64_t q_fixed = (int64_t)round(q * (double)(1LL << 31));
    if (q_fixed == (1LL << 31)) {
        q_fixed /= 2;
        ++e;
    }
    if (e < -31) {
        e = 0;
        q_fixed = 0;
    }
    if (e > 30)
        return false;
    *m = (int32_t)q_fixed;
    *shift = e;
    return true;
}

bool edge_quantize_multiplier_lt1(double real, int32_t *m, int *shift)
{
    if (!(real > 0.0 && real < 1.0))
        return false;
    int32_t qm;
    int s;
    if (!edge_quantize_multiplier(real, &qm, &s) || s > 0)
        return false;
    *m = qm;
    *shift = s;
    return true;
}

bool edge_quantize_multiplier_gt1(double real, int32_t *m, int *shift)
{
    if (!(real > 1.0))
        return false;
    int32_t qm;
    int s;
    if (!edge_quantize_multiplier(real, &qm, &s) || s < 0)
        return false;
    *m = qm;
    *shift = s;
    return true;
}

float edge_roundf(float x)
{
    return roundf(x);
}
