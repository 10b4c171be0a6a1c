/* kernels/ref/mathops.c - reference DIV, FLOOR_DIV, FLOOR_MOD (f32, s32), SQRT, RSQRT (f32)
 * and int32 ADD, SUB, MUL, MAXIMUM, MINIMUM.
 *
 * Owns: the per-element arithmetic mathops.h describes, as row functions handed
 * to the broadcast walk of binary.h. Does not own validation (backends/cpu/op_math.c). */
#include "mathops.h"

#include <math.h>

#include "fixedpoint.h"
#include "requant.h"

static inline int32_t div_s32(int32_t x, int32_t y)
{
    if (y == 0)
        return 0;
    if (y == -1)
        return (int32_t)(0u - (uint32_t)x); /* INT32_MIN / -1 wraps */
    return x / y;
}

int32_t edge_floor_div_s32(int32_t x, int32_t y)
{
    const int32_t q = div_s32(x, y);
    if (y != 0 && y != -1 && x % y != 0 && ((x < 0) != (y < 0)))
        return q - 1;
    return q;
}

int32_t edge_floor_mod_s32(int32_t x, int32_t y)
{
    if (y == 0 || y == -1)
        return 0;
    const int32_t r = x % y;
    return (r != 0 && ((y < 0) != (r < 0))) ? r + y : r;
}

static inline float floor_mod_f32(float x, float y)
{
    const float r = fmodf(x, y);
    return (r != 0.0f && ((y < 0.0f) != (r < 0.0f))) ? r + y : r;
}

EDGE_BCAST_KERNEL(edge_ref_div_f32, float, edge_act_f(p, x / y))
EDGE_BCAST_KERNEL(edge_ref_div_s32, int32_t, edge_clamp32(div_s32(x, y), p->act_min, p->act_max))
EDGE_BCAST_KERNEL(edge_ref_floor_div_f32, float, floor((double)x / (double)y))
EDGE_BCAST_KERNEL(edge_ref_floor_div_s32, int32_t, edge_floor_div_s32(x, y))
EDGE_BCAST_KERNEL(edge_ref_floor_mod_f32, float, floor_mod_f32(x, y))
EDGE_BCAST_KERNEL(edge_ref_floor_mod_s32, int32_t, edge_floor_mod_s32(x, y))
EDGE_BCAST_KERNEL(edge_ref_add_s32, int32_t,
                  edge_clamp32(edge_wrap_add32(x, y), p->act_min, p->act_max))
EDGE_BCAST_KERNEL(edge_ref_sub_s32, int32_t,
                  edge_clamp32(edge_wrap_sub32(x, y), p->act_min, p->act_max))
EDGE_BCAST_KERNEL(edge_ref_mul_s32, int32_t,
                  edge_clamp32(edge_wrap_mul32(x, y), p->act_min, p->act_max))
EDGE_BCAST_KERNEL(edge_ref_maximum_s32, int32_t, x > y ? x : y)
EDGE_BCAST_KERNEL(edge_ref_minimum_s32, int32_t, x < y ? x : y)

void edge_inv_sqrt_multiplier(int32_t input, int32_t *mult, int *shift)
{
    if (input <= 1) {
        *mult = INT32_MAX;
        *shift = 0;
        return;
    }
    int s = 11; /* a right shift until the end */
    while (input >= (1 << 29)) {
        input /= 4;
        s++;
    }
    const int pairs = (edge_fp_clz32((uint32_t)input) - 1) / 2 - 1; /* input into [2^27, 2^29) */
    s -= pairs;
    input <<= 2 * pairs;
    const int32_t half_input = edge_fp_mul_pot(input >> 1, -1); /* Q3.28 */
    const int32_t half_three = (1 << 28) + (1 << 27);           /* 1.5 in Q3.28 */
    int32_t x = edge_fp_one(3);
    for (int i = 0; i < 5; i++) { /* x = 1.5 x - input/2 x^3 */
        const int32_t x3 = edge_fp_rescale(edge_srdhm(edge_srdhm(x, x), x), 9, 3);
        const int32_t d = edge_wrap_sub32(edge_srdhm(half_three, x), edge_srdhm(half_input, x3));
        x = edge_fp_rescale(d, 6, 3);
    }
    x = edge_srdhm(x, 1518500250); /* times sqrt(2)/2 in Q0.31 */
    if (s < 0) {
        x = edge_wrap_shl32(x, -s);
        s = 0;
    }
    *mult = x;
    *shift = -s;
}

int8_t edge_ref_rsqrt_one_s8(int32_t q, int32_t in_zp, int32_t mult, int shift, int32_t out_zp)
{
    const int32_t v = q - in_zp;
    if (v <= 0)
        return INT8_MAX;
    int32_t m;
    int s;
    edge_inv_sqrt_multiplier(v, &m, &s);
    const int32_t data = edge_mbqm(1, m, s + 20);
    const int32_t out = edge_wrap_add32(edge_mbqm(data, mult, shift - 20), out_zp);
    return (int8_t)edge_clamp32(out, INT8_MIN, INT8_MAX);
}
