/* ops/derive_fill.c - the output shapes of SHAPE and FILL.
 *
 * Owns: SHAPE's one-dimensional output (the input's rank) and FILL's output
 * shape from the values of its dims operand, as TensorFlow Lite's fill.cc
 * reads them (each dimension non-negative). Numbers in, numbers out. Does not
 * own reading the operand or checking the declared output (the back end). */
#include "edge/ops.h"
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
