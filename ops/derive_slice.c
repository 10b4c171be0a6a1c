/* ops/derive_slice.c - SLICE's output shape and REDUCE_PROD's quantized step scaling.
 *
 * Owns: validating SLICE's begin and size values against the input's dimensions as TensorFlow
 * Lite's slice.cc does (size -1 runs to the end; anything past a dimension, a negative begin or a
 * size below -1 is refused) and resolving the slice through edge_strided_slice_shape as the
 * STRIDED_SLICE with stride 1 it is (one copy of the per-dimension logic), and a computed
 * begin's run-time start (edge_slice_start); and the int8/int16
 * REDUCE_PROD multiplier of reduce.cc's GetQuantProdScaling. Numbers in, numbers out. Does not
 * own reading the operands or checking the declared output (the back end). */
#include <math.h>

#include "edge/ops.h"
#include "ref/requant.h"
#include "seterr.h"

/* Dimension D (of SIZE elements) sliced from BEGIN for LEN (-1: to the end): 0 or a message. */
static int slice_check_dim(int d, int32_t size, int64_t begin, int64_t len, edge_error *err)
{
    if (begin < 0 || begin > size)
        return edge__seterr(err, EDGE_ERANGE, "begin[%d] = %lld is outside 0..%d (dimension %d)", d,
                            (long long)begin, (int)size, d);
    if (len < -1)
        return edge__seterr(err, EDGE_ERANGE,
                            "size[%d] = %lld: the only negative size is -1 (to the end)", d,
                            (long long)len);
    if (len > (int64_t)size - begin)
        return edge__seterr(err, EDGE_ERANGE,
                            "begin[%d] + size[%d] = %lld + %lld runs past dimension %d (%d)", d, d,
                            (long long)begin, (long long)len, d, (int)size);
    return 0;
}

int edge_slice_shape(const int32_t *in, int rank, const int64_t *begin, const int64_t *size, int n,
                     int32_t *start, int32_t *step, int32_t *count, int32_t *out, int *out_rank,
                     edge_error *err)
{
    if (rank < 0 || rank > EDGE_SLICE_MAX_RANK)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "the input has %d dimensions; at most %d are supported", rank,
                            EDGE_SLICE_MAX_RANK);
    if (n != rank)
        return edge__seterr(err, EDGE_ESHAPE,
                            "begin and size have %d values for an input of %d dimensions", n, rank);
    int32_t b[EDGE_SLICE_MAX_RANK] = {0}, e[EDGE_SLICE_MAX_RANK] = {0};
    const int32_t ones[EDGE_SLICE_MAX_RANK] = {1, 1, 1, 1, 1};
    edge_strided_slice_options o = {0};
    for (int d = 0; d < rank; d++) {
        int rc = slice_check_dim(d, in[d], begin[d], size[d], err);
        if (rc)
            return rc;
        b[d] = (int32_t)begin[d];
        if (size[d] == -1)
            o.end_mask |= 1u << d;
        else
            e[d] = (int32_t)(begin[d] + size[d]);
    }
    return edge_strided_slice_shape(in, rank, b, e, ones, rank, &o, start, step, count, out,
                                    out_rank, err);
}

bool edge_slice_start(const int32_t *in, int rank, const int64_t *begin, const int32_t *count,
                      int32_t *start)
{
    for (int d = 0; d < rank; d++) {
        if (begin[d] < 0 || begin[d] > (int64_t)in[d] - count[d])
            return false;
        start[d] = (int32_t)begin[d];
    }
    return true;
}

int edge_reduce_prod_scaling(float in_scale, float out_scale, int32_t count, int32_t *mult,
                             int *shift, edge_error *err)
{
    if (!(in_scale > 0.0f) || !(out_scale > 0.0f) || !isfinite(in_scale) || !isfinite(out_scale) ||
        count < 1)
        return edge__seterr(err, EDGE_ERANGE,
                            "scales %g and %g over %d elements: the scales must be positive and "
                            "finite",
                            (double)in_scale, (double)out_scale, (int)count);
    const double scaling = (double)in_scale / pow((double)out_scale, 1.0 / count);
    if (!edge_quantize_multiplier(scaling, mult, shift) || *shift > 7)
        return edge__seterr(err, EDGE_ERANGE,
                            "the product's step scaling %g is too large (at most 2^7 is supported)",
                            scaling);
    return 0;
}
