/* ops/derive.c - the derived quantities of operators, computed once for every back end.
 *
 * Owns: the pure functions of edge/ops.h: TFLite's window output size and
 * padding, fused activation ranges (quantized and float), the requantization
 * multipliers of the convolution family (TFLite Micro's
 * PopulateConvolutionQuantizationParams and, for the per-tensor path,
 * GetQuantizedConvolutionMultipler with its bias scale check), ADD/SUB's
 * rescaling with a left shift of 20, MUL's and a plain scale ratio's multiplier,
 * numpy broadcasting and FULLY_CONNECTED's output shape. Numbers in, numbers
 * out: no model, node or device. Does not own the fixed-point helpers it
 * rounds with (kernels/ref/requant.c) or any tensor validation. */
#include <float.h>
#include <math.h>

#include "edge/ops.h"
#include "ref/requant.h"
#include "seterr.h"

int32_t edge_op_activation(int32_t code, const edge_op_params *p)
{
    switch (code) {
    case EDGE_OP_CONV_2D:
    case EDGE_OP_DEPTHWISE_CONV_2D:
    case EDGE_OP_AVERAGE_POOL_2D:
    case EDGE_OP_MAX_POOL_2D: return p->window.activation;
    case EDGE_OP_FULLY_CONNECTED: return p->fc.activation;
    case EDGE_OP_ADD:
    case EDGE_OP_SUB:
    case EDGE_OP_MUL:
    case EDGE_OP_DIV: return p->activation;
    case EDGE_OP_CONCATENATION: return p->concat.activation;
    /* space family */
    case EDGE_OP_TRANSPOSE_CONV:
    case EDGE_OP_L2_POOL_2D: return p->window.activation;
    case EDGE_OP_L2_NORMALIZATION: return p->activation;
    default: return EDGE_ACT_NONE;
    }
}

int edge_window_out_size(int32_t padding, const char *axis, int32_t in, int32_t k, int32_t stride,
                         int32_t dilation, int32_t *out, int32_t *pad, edge_error *err)
{
    if (stride < 1 || dilation < 1)
        return edge__seterr(err, EDGE_ERANGE, "%s stride %d / dilation %d must be >= 1", axis,
                            (int)stride, (int)dilation);
    if (k < 1)
        return edge__seterr(err, EDGE_ERANGE, "%s window %d must be >= 1", axis, (int)k);
    const int64_t eff = (int64_t)(k - 1) * dilation + 1;
    int64_t o;
    if (padding == EDGE_PAD_SAME)
        o = ((int64_t)in + stride - 1) / stride;
    else if (padding == EDGE_PAD_VALID)
        o = ((int64_t)in + stride - eff) / stride;
    else
        return edge__seterr(err, EDGE_EUNSUPPORTED, "padding type %d is not SAME or VALID",
                            (int)padding);
    if (o < 1)
        return edge__seterr(err, EDGE_ESHAPE,
                            "%s window (%lld with dilation) does not fit the input size %d", axis,
                            (long long)eff, (int)in);
    const int64_t span = (o - 1) * stride + eff;
    if (span > INT32_MAX)
        return edge__seterr(err, EDGE_ERANGE,
                            "%s window arithmetic overflows (stride %d, window %lld)", axis,
                            (int)stride, (long long)eff);
    const int64_t total = span - in;
    *out = (int32_t)o;
    *pad = (int32_t)(total > 0 ? total / 2 : 0);
    return 0;
}

/* zero_point + round(f / scale), in float as TensorFlow Lite does, saturated to int32. */
static int32_t quantize_act(float f, float scale, int32_t zp)
{
    const float r = roundf(f / scale);
    const double v = (double)zp + (double)r;
    if (v >= 2147483647.0)
        return INT32_MAX;
    if (v <= -2147483648.0)
        return INT32_MIN;
    return (int32_t)v;
}

int edge_act_range_q(int32_t act, int32_t type, float scale, int32_t zero_point, int32_t *lo,
                     int32_t *hi, edge_error *err)
{
    int32_t qmin, qmax;
    switch (type) {
    case EDGE_INT8: qmin = -128, qmax = 127; break;
    case EDGE_UINT8: qmin = 0, qmax = 255; break;
    case EDGE_INT16: qmin = -32768, qmax = 32767; break;
    default:
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "fused activation on an output of type %d (int8, uint8 or int16 "
                            "expected)",
                            (int)type);
    }
    int32_t a = qmin, b = qmax;
    switch (act) {
    case EDGE_ACT_NONE: break;
    case EDGE_ACT_RELU: a = quantize_act(0.0f, scale, zero_point); break;
    case EDGE_ACT_RELU6:
        a = quantize_act(0.0f, scale, zero_point);
        b = quantize_act(6.0f, scale, zero_point);
        break;
    case EDGE_ACT_RELU_N1_TO_1:
        a = quantize_act(-1.0f, scale, zero_point);
        b = quantize_act(1.0f, scale, zero_point);
        break;
    default:
        return edge__seterr(err, EDGE_EUNSUPPORTED, "fused activation %d is not supported",
                            (int)act);
    }
    *lo = a > qmin ? a : qmin;
    *hi = b < qmax ? b : qmax;
    if (*lo > *hi)
        return edge__seterr(err, EDGE_ERANGE, "fused activation range is empty for output scale %g",
                            (double)scale);
    return 0;
}

int edge_act_range_f(int32_t act, float *lo, float *hi, edge_error *err)
{
    switch (act) {
    case EDGE_ACT_NONE: *lo = -FLT_MAX, *hi = FLT_MAX; return 0;
    case EDGE_ACT_RELU: *lo = 0.0f, *hi = FLT_MAX; return 0;
    case EDGE_ACT_RELU_N1_TO_1: *lo = -1.0f, *hi = 1.0f; return 0;
    case EDGE_ACT_RELU6: *lo = 0.0f, *hi = 6.0f; return 0;
    default:
        return edge__seterr(err, EDGE_EUNSUPPORTED, "fused activation %d is not supported",
                            (int)act);
    }
}

int edge_requant_multiplier(double real, const char *what, int32_t *mult, int32_t *shift,
                            edge_error *err)
{
    int s = 0;
    if (!edge_quantize_multiplier(real, mult, &s))
        return edge__seterr(err, EDGE_ERANGE, "%s %g cannot be represented", what, real);
    *shift = s;
    return 0;
}

int edge_conv_multipliers(const edge_conv_scales *s, int32_t channels, int32_t *mult,
                          int32_t *shift, edge_error *err)
{
    const float si = s->input, so = s->output;
    double legacy_real = 0.0;
    if (s->legacy) {
        const float sf = s->filter[0];
        if (s->has_bias) {
            const double diff = fabs((double)si * (double)sf - (double)s->bias_scale);
            if (!(diff / (double)so <= 0.02))
                return edge__seterr(
                    err, EDGE_ERANGE,
                    "bias (tensor %d) scale %g differs from input scale x weight scale %g",
                    (int)s->bias_index, (double)s->bias_scale, (double)si * (double)sf);
        }
        legacy_real = (double)(si * sf) / (double)so;
    }
    for (int32_t c = 0; c < channels; c++) {
        const float sf = s->filter[s->filter_count > 1 ? c : 0];
        const double real = s->legacy ? legacy_real : (double)si * (double)sf / (double)so;
        int32_t m = 0;
        int sh = 0;
        if (!edge_quantize_multiplier(real, &m, &sh))
            return edge__seterr(err, EDGE_ERANGE,
                                "requantization scale %g (channel %d) cannot be represented", real,
                                (int)c);
        if (mult) {
            mult[c] = m;
            shift[c] = sh;
        }
    }
    return 0;
}

/* ADD and SUB (TensorFlow Lite's PrepareGeneralSubOp and add.cc): the multipliers in double.
 * TFLite Micro's sub_common.cc divides in float; the shared int8 vectors agree either way, and
 * TFLite Micro's own SEANet int16 SUB goldens (made by TensorFlow Lite's reference kernels)
 * need double: 4 of their 10,000 values differ by one with float. */
static int addsub_multipliers(int left_shift, float sa, float sb, float so, edge_addsub_quant *q,
                              edge_error *err)
{
    const double twice_max = 2.0 * (double)(sa > sb ? sa : sb);
    const double ra = (double)sa / twice_max;
    const double rb = (double)sb / twice_max;
    const double ro = twice_max / ((double)(1 << left_shift) * (double)so);
    q->left_shift = left_shift;
    if (!edge_quantize_multiplier_lt1(ra, &q->a_mult, &q->a_shift) ||
        !edge_quantize_multiplier_lt1(rb, &q->b_mult, &q->b_shift))
        return edge__seterr(err, EDGE_ERANGE, "input scales %g and %g cannot be rescaled",
                            (double)sa, (double)sb);
    if (!edge_quantize_multiplier_lt1(ro, &q->out_mult, &q->out_shift))
        return edge__seterr(err, EDGE_ERANGE,
                            "output scale %g is too small for input scales %g "
                            "and %g (the output multiplier %g must be below 1)",
                            (double)so, (double)sa, (double)sb, ro);
    return 0;
}

int edge_addsub_multipliers(float sa, float sb, float so, edge_addsub_quant *q, edge_error *err)
{
    return addsub_multipliers(20, sa, sb, so, q, err);
}

/* int16 (16x8): add_common.cc / sub_common.cc shift by 15, not 20, so that 65535 << 15 still
 * fits the int32 sum. */
int edge_addsub_multipliers_s16(float sa, float sb, float so, edge_addsub_quant *q, edge_error *err)
{
    return addsub_multipliers(15, sa, sb, so, q, err);
}

int edge_mul_multiplier(float sa, float sb, float so, int32_t *mult, int *shift, edge_error *err)
{
    const double real = (double)sa * (double)sb / (double)so;
    if (!edge_quantize_multiplier(real, mult, shift))
        return edge__seterr(err, EDGE_ERANGE,
                            "output multiplier %g (scales %g x %g / %g) is out of range", real,
                            (double)sa, (double)sb, (double)so);
    return 0;
}

int edge_scale_ratio(float in, float out, int32_t *mult, int *shift, edge_error *err)
{
    const double real = (double)in / (double)out;
    if (!edge_quantize_multiplier(real, mult, shift))
        return edge__seterr(err, EDGE_ERANGE, "input/output scale ratio %g is out of range", real);
    return 0;
}

int edge_broadcast_shape(const int32_t *a, int a_rank, const int32_t *b, int b_rank, int32_t *out,
                         int *out_rank, edge_error *err)
{
    if (a_rank < 0 || b_rank < 0 || a_rank > EDGE_MAX_DIMS || b_rank > EDGE_MAX_DIMS)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "input ranks %d and %d: at most %d are supported", a_rank, b_rank,
                            EDGE_MAX_DIMS);
    const int r = a_rank > b_rank ? a_rank : b_rank;
    for (int i = 0; i < r; i++) {
        const int32_t ea = i < r - a_rank ? 1 : a[i - (r - a_rank)];
        const int32_t eb = i < r - b_rank ? 1 : b[i - (r - b_rank)];
        if (ea == eb || eb == 1)
            out[i] = ea;
        else if (ea == 1)
            out[i] = eb;
        else
            return edge__seterr(err, EDGE_ESHAPE,
                                "input shapes do not broadcast (dimension %d: %d and %d)", i,
                                (int)ea, (int)eb);
    }
    *out_rank = r;
    return 0;
}

int edge_fc_shape(const int32_t *in, int in_rank, int64_t count, int32_t units, int32_t depth,
                  bool keep_num_dims, int32_t *batches, int32_t *out, int *out_rank,
                  edge_error *err)
{
    if (depth < 1 || count % depth != 0)
        return edge__seterr(err, EDGE_ESHAPE,
                            "input has %lld elements, not a multiple of the weights' depth %d",
                            (long long)count, (int)depth);
    *batches = (int32_t)(count / depth);
    if (!keep_num_dims) {
        out[0] = *batches;
        out[1] = units;
        *out_rank = 2;
        return 0;
    }
    if (in_rank < 1 || in[in_rank - 1] != depth)
        return edge__seterr(
            err, EDGE_ESHAPE,
            "keep_num_dims needs the input's last dimension to equal the weights' depth %d",
            (int)depth);
    for (int i = 0; i < in_rank; i++)
        out[i] = in[i];
    out[in_rank - 1] = units;
    *out_rank = in_rank;
    return 0;
}

void edge_requant_lut_u8(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                         uint8_t lut[256])
{
    const float inverse_out = 1.f / out_scale;
    const float scale = in_scale * inverse_out;
    const float bias = (float)-in_zp * scale;
    for (int q = 0; q < 256; q++) {
        const float r = roundf((float)q * scale + bias);
        /* past +-512 the clamp below decides alike (out_zp is 0..255); NaN counts as high */
        const int32_t v = (!(r < 512.f) ? 512 : !(r > -512.f) ? -512 : (int32_t)r) + out_zp;
        lut[q] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}
