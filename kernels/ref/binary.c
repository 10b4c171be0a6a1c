/* kernels/ref/binary.c - reference ADD, SUB, MUL, MAXIMUM, MINIMUM (s8, u8, f32; ADD/SUB/MUL s16).
 *
 * Owns: the broadcast walk (an odometer over the five outer dimensions, one
 * strided run along the innermost) and the per-element arithmetic of TFLite
 * Micro's reference kernels. Every kernel is a row function handed to the walk.
 * Does not own: parameter derivation or validation (backends/cpu/op_binary.c). */
#include "binary.h"

#include "requant.h"

/* ---- shapes ---- */

/* Strides of the dims of an extended shape E (rank r) against the output
 * shape O: row-major, 0 where E broadcasts. */
static void input_strides(const int32_t *e, const int32_t *o, int r, size_t *stride)
{
    size_t acc = 1;
    for (int i = r - 1; i >= 0; i--) {
        stride[i] = (e[i] == 1 && o[i] != 1) ? 0 : acc;
        acc *= (size_t)e[i];
    }
}

/* DIMS (rank RANK) extended with leading 1s to rank R into E; false when a
 * dimension (or the output's, O) is negative, or neither 1 nor the output's. */
static bool extend_shape(const int32_t *dims, int rank, const int32_t *o, int r, int32_t *e)
{
    for (int i = 0; i < r; i++) {
        e[i] = i < r - rank ? 1 : dims[i - (r - rank)];
        if (e[i] < 0 || o[i] < 0 || (e[i] != 1 && e[i] != o[i]))
            return false;
    }
    return true;
}

bool edge_bcast_init(edge_bcast *bc, const int32_t *a_dims, int a_rank, const int32_t *b_dims,
                     int b_rank, const int32_t *out_dims, int out_rank)
{
    if (a_rank < 0 || b_rank < 0 || out_rank > EDGE_BCAST_DIMS || a_rank > out_rank ||
        b_rank > out_rank)
        return false;
    const int r = out_rank;
    const int32_t *eo = out_dims;
    int32_t ea[EDGE_BCAST_DIMS], eb[EDGE_BCAST_DIMS];
    if (!extend_shape(a_dims, a_rank, eo, r, ea) || !extend_shape(b_dims, b_rank, eo, r, eb))
        return false;
    size_t sa[EDGE_BCAST_DIMS], sb[EDGE_BCAST_DIMS];
    input_strides(ea, eo, r, sa);
    input_strides(eb, eo, r, sb);

    /* Merge runs of dims (innermost first) that share a broadcast pattern;
     * dims of extent 1 carry no pattern and are dropped. */
    size_t md[EDGE_BCAST_DIMS], ma[EDGE_BCAST_DIMS], mb[EDGE_BCAST_DIMS];
    int m = 0;
    for (int i = r - 1; i >= 0; i--) {
        if (eo[i] == 1)
            continue;
        if (m > 0 && (ma[m - 1] == 0) == (sa[i] == 0) && (mb[m - 1] == 0) == (sb[i] == 0)) {
            md[m - 1] *= (size_t)eo[i];
            continue;
        }
        md[m] = (size_t)eo[i];
        ma[m] = sa[i];
        mb[m] = sb[i];
        m++;
    }
    for (int k = 0; k < EDGE_BCAST_DIMS; k++) {
        const int j = EDGE_BCAST_DIMS - 1 - k; /* slot, innermost last */
        bc->dims[j] = k < m ? md[k] : 1;
        bc->a_stride[j] = k < m ? ma[k] : 0;
        bc->b_stride[j] = k < m ? mb[k] : 0;
    }
    return true;
}

/* ---- the walk ---- */

typedef edge_bcast_row_fn row_fn;

void edge_bcast_walk(const edge_arith_params *p, size_t esize, row_fn row, const void *a,
                     const void *b, void *out)
{
    const edge_bcast *bc = &p->shape;
    const size_t inner = bc->dims[EDGE_BCAST_DIMS - 1];
    size_t outer = 1;
    for (int k = 0; k < EDGE_BCAST_DIMS - 1; k++)
        outer *= bc->dims[k];
    if (inner == 0 || outer == 0)
        return;
    const unsigned char *pa = a, *pb = b;
    unsigned char *po = out;
    size_t idx[EDGE_BCAST_DIMS - 1] = {0};
    size_t ao = 0, bo = 0;
    for (size_t o = 0; o < outer; o++) {
        row(p, pa + ao * esize, bc->a_stride[EDGE_BCAST_DIMS - 1], pb + bo * esize,
            bc->b_stride[EDGE_BCAST_DIMS - 1], po + o * inner * esize, inner);
        for (int k = EDGE_BCAST_DIMS - 2; k >= 0; k--) {
            ao += bc->a_stride[k];
            bo += bc->b_stride[k];
            if (++idx[k] < bc->dims[k])
                break;
            ao -= bc->a_stride[k] * bc->dims[k];
            bo -= bc->b_stride[k] * bc->dims[k];
            idx[k] = 0;
        }
    }
}

/* ---- per-element arithmetic ---- */

/* reference_integer_ops AddFunc / BroadcastQuantSubSlow's lambda. */
static inline int32_t addsub_q(const edge_arith_params *p, int32_t x, int32_t y, bool sub)
{
    const int32_t sx = edge_wrap_shl32(x + p->a_offset, p->left_shift);
    const int32_t sy = edge_wrap_shl32(y + p->b_offset, p->left_shift);
    const int32_t ax = edge_mbqm_lt1(sx, p->a_mult, p->a_shift);
    const int32_t ay = edge_mbqm_lt1(sy, p->b_mult, p->b_shift);
    const int32_t raw = sub ? edge_wrap_sub32(ax, ay) : edge_wrap_add32(ax, ay);
    const int32_t o = edge_wrap_add32(edge_mbqm_lt1(raw, p->out_mult, p->out_shift), p->out_offset);
    return edge_clamp32(o, p->act_min, p->act_max);
}

/* reference_integer_ops MulElementwise. */
static inline int32_t mul_q(const edge_arith_params *p, int32_t x, int32_t y)
{
    const int32_t prod = (x + p->a_offset) * (y + p->b_offset);
    const int32_t o = edge_wrap_add32(edge_mbqm(prod, p->out_mult, p->out_shift), p->out_offset);
    return edge_clamp32(o, p->act_min, p->act_max);
}

/* The activation clamp and the kernel template are binary.h's (mathops.c shares them). */
#define act_f edge_act_f

EDGE_BCAST_KERNEL(edge_ref_add_s8, int8_t, addsub_q(p, x, y, false))
EDGE_BCAST_KERNEL(edge_ref_add_u8, uint8_t, addsub_q(p, x, y, false))
EDGE_BCAST_KERNEL(edge_ref_add_f32, float, act_f(p, x + y))
EDGE_BCAST_KERNEL(edge_ref_sub_s8, int8_t, addsub_q(p, x, y, true))
EDGE_BCAST_KERNEL(edge_ref_sub_u8, uint8_t, addsub_q(p, x, y, true))
EDGE_BCAST_KERNEL(edge_ref_sub_f32, float, act_f(p, x - y))
EDGE_BCAST_KERNEL(edge_ref_mul_s8, int8_t, mul_q(p, x, y))
EDGE_BCAST_KERNEL(edge_ref_mul_u8, uint8_t, mul_q(p, x, y))
EDGE_BCAST_KERNEL(edge_ref_mul_f32, float, act_f(p, x *y))
EDGE_BCAST_KERNEL(edge_ref_maximum_s8, int8_t, x > y ? x : y)
EDGE_BCAST_KERNEL(edge_ref_maximum_u8, uint8_t, x > y ? x : y)
EDGE_BCAST_KERNEL(edge_ref_maximum_f32, float, x > y ? x : y)
EDGE_BCAST_KERNEL(edge_ref_minimum_s8, int8_t, x < y ? x : y)
EDGE_BCAST_KERNEL(edge_ref_minimum_u8, uint8_t, x < y ? x : y)
EDGE_BCAST_KERNEL(edge_ref_minimum_f32, float, x < y ? x : y)
/* int16 (16x8): the int8 arithmetic with a left shift of 15 (TFLite Micro AddElementwise) */
EDGE_BCAST_KERNEL(edge_ref_add_s16, int16_t, addsub_q(p, x, y, false))
EDGE_BCAST_KERNEL(edge_ref_sub_s16, int16_t, addsub_q(p, x, y, true))
/* int16 MUL: MulElementwise on int16 values (zero points 0: |product| <= 2^30) */
EDGE_BCAST_KERNEL(edge_ref_mul_s16, int16_t, mul_q(p, x, y))
