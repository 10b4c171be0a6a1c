/* ops/derive_math.c - the reduce, fill and math family's derivations.
 *
 * Owns: SHAPE's one-dimensional output (the input's rank), FILL's output
 * shape from the values of its dims operand, as TensorFlow Lite's fill.cc
 * reads them (each dimension non-negative), and int8 RSQRT's output multiplier
 * (SetRsqrtOutputMultiplier). Numbers in, numbers out. Does not own reading the
 * operand or checking the declared output (the back end). */
#include <math.h>

#include "edge/ops.h"
#include "ref/requant.h"
#include "seterr.h"

int edge_shape_op_shape(int rank, int32_t *out)
{
    out[0] = rank;
    return 1;
}

int edge_fill_shape(const int64_t *dims, size_t n, int32_t *out, int *out_rank, edge_error *err)
{
    if (n > EDGE_MAX_DIMS)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "dims has %zu values; at most %d dimensions are supported", n,
                            EDGE_MAX_DIMS);
    for (size_t i = 0; i < n; i++) {
        if (dims[i] < 0 || dims[i] > INT32_MAX)
            return edge__seterr(err, EDGE_ERANGE, "dims[%zu] is %lld; it must be in [0, %d]", i,
                                (long long)dims[i], INT32_MAX);
        out[i] = (int32_t)dims[i];
    }
    *out_rank = (int)n;
    return 0;
}

int edge_rsqrt_multiplier(float in_scale, float out_scale, int32_t *mult, int *shift,
                          edge_error *err)
{
    const float prod = sqrtf(in_scale) * out_scale; /* in float, as TensorFlow Lite */
    const double real = 1.0 / (double)prod;
    if (!(prod > 0.0f) || !edge_quantize_multiplier(real, mult, shift))
        return edge__seterr(err, EDGE_ERANGE,
                            "1 / (sqrt(input scale) x output scale) = %g is out of range", real);
    /* the kernel applies it with shift - 20 (mathops.h): keep that in [-31, 30] */
    if (*shift - 20 < -31 || *shift - 20 > 30)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "1 / (sqrt(input scale) x output scale) = %g is too small", real);
    return 0;
}
