/* kernels/ref/gaps.c - reference kernels for issue 17's type gaps (see gaps.h). */
#include "gaps.h"

#include "fixedpoint.h"
#include "l2.h"
#include "requant.h"

/* MUL with a multiplier of 2^30 or more: zp + prod * real saturates for every prod != 0. */
static inline int32_t mul_sat(const edge_arith_params *p, int32_t x, int32_t y)
{
    const int32_t prod = (x + p->a_offset) * (y + p->b_offset);
    if (prod > 0)
        return p->act_max;
    if (prod < 0)
        return p->act_min;
    return edge_clamp32(p->out_offset, p->act_min, p->act_max);
}

EDGE_BCAST_KERNEL(edge_ref_mul_sat_s8, int8_t, mul_sat(p, x, y))
EDGE_BCAST_KERNEL(edge_ref_mul_sat_u8, uint8_t, mul_sat(p, x, y))
EDGE_BCAST_KERNEL(edge_ref_mul_sat_s16, int16_t, mul_sat(p, x, y))

/* ---- LOG_SOFTMAX ---- */

/* TFLite's SaturatingAddNonGemmlowp / SaturatingSub on int32. */
static int32_t sat32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

/* log_x_for_x_greater_than_or_equal_to_1_impl<OUT_IB, IN_IB>: log x of X in Q(IN_IB), the
 * result in Q(OUT_IB), accumulated with one more integer bit. X > 0. */
static int32_t log_x_ge_1(int32_t x, int in_ib, int out_ib)
{
    const int acc_ib = out_ib + 1;
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769;
    const int32_t alpha_f = 638450708;
    const int32_t shifted_quarter = edge_fp_rescale(536870912, 0, acc_ib); /* 1/4 */
    /* x as Q0.31: its power of two from the leading zeros, directly and times sqrt(1/2) */
    const int z_a_headroom_plus_1 = edge_fp_clz32((uint32_t)x);
    const int32_t r_a_tmp = edge_fp_mul_pot(x, z_a_headroom_plus_1 - 1);
    const int32_t r_a = edge_fp_mul_pot(edge_srdhm(r_a_tmp, sqrt_half), 1);
    const int32_t z_a_pow_2_adj =
        sat32((int64_t)edge_fp_mul_pot(in_ib - z_a_headroom_plus_1, 31 - acc_ib) + shifted_quarter);
    const int32_t z_b = edge_srdhm(x, sqrt_half);
    const int z_b_headroom = edge_fp_clz32((uint32_t)z_b) - 1;
    const int32_t r_b = edge_fp_mul_pot(x, z_b_headroom);
    const int32_t z_b_pow_2_adj =
        sat32((int64_t)edge_fp_mul_pot(in_ib - z_b_headroom, 31 - acc_ib) - shifted_quarter);
    const int32_t r = r_a < r_b ? r_a : r_b;
    const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;
    /* log of the mantissa r in [sqrt(1/2), 1): a rational approximation around 2^-1/4 */
    const int32_t p = edge_fp_half_sum(r, sqrt_sqrt_half);
    int32_t q = edge_wrap_sub32(r, sqrt_sqrt_half);
    q = edge_wrap_add32(q, q);
    const int32_t common_sq = edge_srdhm(q, q);
    const int32_t num =
        edge_wrap_add32(edge_srdhm(q, r), edge_srdhm(edge_srdhm(q, common_sq), alpha_n));
    const int32_t denom_terms =
        edge_wrap_add32(edge_wrap_add32(alpha_i, q), edge_srdhm(alpha_d, common_sq));
    const int32_t denom_minus_one =
        edge_wrap_add32(edge_srdhm(p, denom_terms), edge_srdhm(alpha_f, q));
    const int32_t recip_denom = edge_fp_one_over_one_plus_x(denom_minus_one);
    const int32_t num_scaled = edge_fp_rescale(num, 0, acc_ib);
    const int32_t sum =
        edge_wrap_add32(edge_srdhm(z_pow_2_adj, log_2), edge_srdhm(num_scaled, recip_denom));
    return edge_fp_rescale(sum, acc_ib, out_ib);
}

int32_t edge_ref_log_q12_to_q5(int32_t x)
{
    return log_x_ge_1(x, 12, 5);
}

/* One row's sum of exp(diff) in Q12.19 over the differences DIFF[c] = x[c] - max. */
static int32_t sum_of_exps(const edge_log_softmax_params *p, int32_t diff)
{
    if (diff < p->diff_min)
        return 0;
    const int32_t diff_q5 = edge_mbqm(diff, p->in_mult, p->in_shift);
    return edge_fp_rescale(edge_fp_exp_neg(diff_q5, 5), 0, 12);
}

/* The smallest difference that still gives an output above the minimum. */
static int32_t adjusted_diff_min(const edge_log_softmax_params *p, int32_t log_sum_q5)
{
    const int32_t shifted = edge_wrap_add32(log_sum_q5, INT32_MIN);
    const int32_t reverse = edge_mbqm(shifted, p->rev_mult, -p->rev_shift);
    return p->diff_min - 1 > reverse ? p->diff_min - 1 : reverse;
}

/* Output of a difference: (diff - log sum) in Q4.27 steps of 1/16, plus HI, clamped. */
static int32_t log_softmax_out(const edge_log_softmax_params *p, int32_t diff, int32_t log_sum_q5,
                               int32_t adjusted_min, int32_t lo, int32_t hi)
{
    if (!(diff > adjusted_min))
        return lo;
    const int32_t diff_q5 = edge_mbqm(diff, p->in_mult, p->in_shift);
    const int32_t v =
        edge_wrap_add32(edge_rdbpot(edge_wrap_sub32(diff_q5, log_sum_q5), 31 - 5 - 4), hi);
    return edge_clamp32(v, lo, hi);
}

#define LOG_SOFTMAX_KERNEL(NAME, T, LO, HI)                                              \
    void NAME(const edge_log_softmax_params *p, const T *in, T *out)                     \
    {                                                                                    \
        for (size_t i = 0; i < p->outer; i++) {                                          \
            const T *x = in + i * p->depth;                                              \
            T *y = out + i * p->depth;                                                   \
            int32_t max = (LO);                                                          \
            for (size_t c = 0; c < p->depth; c++)                                        \
                max = x[c] > max ? x[c] : max;                                           \
            int32_t sum = 0;                                                             \
            for (size_t c = 0; c < p->depth; c++)                                        \
                sum = edge_wrap_add32(sum, sum_of_exps(p, x[c] - max));                  \
            const int32_t log_sum = log_x_ge_1(sum, 12, 5);                              \
            const int32_t adjusted = adjusted_diff_min(p, log_sum);                      \
            for (size_t c = 0; c < p->depth; c++)                                        \
                y[c] = (T)log_softmax_out(p, x[c] - max, log_sum, adjusted, (LO), (HI)); \
        }                                                                                \
    }

LOG_SOFTMAX_KERNEL(edge_ref_log_softmax_s8, int8_t, INT8_MIN, INT8_MAX)
LOG_SOFTMAX_KERNEL(edge_ref_log_softmax_u8, uint8_t, 0, UINT8_MAX)

/* ---- L2_NORMALIZATION uint8 ---- */

void edge_ref_l2norm_u8(size_t outer, size_t depth, int32_t in_zp, const uint8_t *in, uint8_t *out)
{
    for (size_t i = 0; i < outer; i++, in += depth, out += depth) {
        int32_t mult;
        int shift;
        edge_ref_l2_inv_norm(depth, in_zp, in, true, &mult, &shift);
        for (size_t c = 0; c < depth; c++) {
            const int32_t v = edge_mbqm_lt1(128 * (in[c] - in_zp), mult, shift);
            out[c] = (uint8_t)edge_clamp32(edge_wrap_add32(128, v), 0, UINT8_MAX);
        }
    }
}

/* ---- DIV int8 / uint8 ---- */

static inline int32_t div_q(const edge_arith_params *p, int32_t x, int32_t y)
{
    int32_t num = p->a_offset + x, den = p->b_offset + y;
    if (den == 0) {
        const int32_t v = num > 0 ? p->act_max : num < 0 ? p->act_min : p->out_offset;
        return edge_clamp32(v, p->act_min, p->act_max);
    }
    if (den < 0) {
        num = -num;
        den = -den;
    }
    int recip_shift;
    const int32_t inv = edge_fp_reciprocal(den, 31, &recip_shift);
    const int headroom = num ? __builtin_clrsb(num) : 31;
    const int32_t unscaled = edge_mbqm_gt1(num, inv, headroom);
    const int total_shift = p->out_shift - recip_shift - headroom;
    const int32_t q = -total_shift > 31 ? 0 : edge_mbqm_lt1(unscaled, p->out_mult, total_shift);
    return edge_clamp32(edge_wrap_add32(p->out_offset, q), p->act_min, p->act_max);
}

EDGE_BCAST_KERNEL(edge_ref_div_s8, int8_t, div_q(p, x, y))
EDGE_BCAST_KERNEL(edge_ref_div_u8, uint8_t, div_q(p, x, y))
