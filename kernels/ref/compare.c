/* kernels/ref/compare.c - reference comparison family kernels (see compare.h).
 *
 * Owns: the three-input broadcast walk (an odometer over the five outer
 * dimensions, one strided run along the innermost) and each operator's
 * per-element arithmetic, as TensorFlow Lite Micro's reference kernels compute
 * it. Does not own parameter derivation or validation. */
#include "compare.h"

#include <string.h>

#include "requant.h"

/* ---- broadcasting ---- */

bool edge_bcast3_init(edge_bcast3 *bc, int n, const int32_t *const *dims, const int *ranks,
                      const int32_t *out, int out_rank)
{
    if (n < 1 || n > 3 || out_rank < 0 || out_rank > EDGE_CMP_DIMS)
        return false;
    memset(bc, 0, sizeof *bc);
    const int lead = EDGE_CMP_DIMS - out_rank;
    for (int d = 0; d < EDGE_CMP_DIMS; d++)
        bc->dims[d] = d < lead ? 1 : (size_t)out[d - lead];
    for (int k = 0; k < n; k++) {
        if (ranks[k] < 0 || ranks[k] > out_rank)
            return false;
        size_t acc = 1;
        for (int d = EDGE_CMP_DIMS - 1; d >= lead; d--) {
            const int i = d - (EDGE_CMP_DIMS - ranks[k]);
            const int32_t e = i >= 0 ? dims[k][i] : 1;
            const int32_t o = out[d - lead];
            if (e < 0 || o < 0 || (e != 1 && e != o))
                return false;
            bc->stride[k][d] = (e == 1 && o != 1) ? 0 : acc;
            acc *= (size_t)e;
        }
    }
    return true;
}

/* One run of N output elements from output index O, input k at OFF[k] stepping STEP[k]. */
typedef struct walk_ctx {
    const void *in[3];
    void *out;
    const void *p;
} walk_ctx;
typedef void (*row3_fn)(const walk_ctx *c, const size_t *off, const size_t *step, size_t o,
                        size_t n);

void edge_bcast3_walk(const edge_bcast3 *bc, edge_bcast3_row_fn row, void *c)
{
    enum { IN = EDGE_CMP_DIMS - 1 };
    const size_t inner = bc->dims[IN];
    size_t outer = 1;
    for (int d = 0; d < IN; d++)
        outer *= bc->dims[d];
    if (inner == 0 || outer == 0)
        return;
    size_t idx[IN] = {0}, off[3] = {0};
    const size_t step[3] = {bc->stride[0][IN], bc->stride[1][IN], bc->stride[2][IN]};
    for (size_t o = 0; o < outer; o++) {
        row(c, off, step, o * inner, inner);
        for (int d = IN - 1; d >= 0; d--) {
            for (int k = 0; k < 3; k++)
                off[k] += bc->stride[k][d];
            if (++idx[d] < bc->dims[d])
                break;
            for (int k = 0; k < 3; k++)
                off[k] -= bc->stride[k][d] * bc->dims[d];
            idx[d] = 0;
        }
    }
}

/* walk3's run on the kernels' typed context. */
typedef struct walk3_at {
    const walk_ctx *c;
    row3_fn row;
} walk3_at;

static void walk3_row(void *ctx, const size_t *off, const size_t *step, size_t o, size_t n)
{
    const walk3_at *w = ctx;
    w->row(w->c, off, step, o, n);
}

static void walk3(const edge_bcast3 *bc, const walk_ctx *c, row3_fn row)
{
    walk3_at w = {c, row};
    edge_bcast3_walk(bc, walk3_row, &w);
}

/* ---- comparisons ---- */

/* comparisons.h WithScaling: (x - zp) << 8, then times the input's scale. */
static inline int32_t scale_in(int32_t x, int32_t offset, int shift_left, int32_t m, int s)
{
    return edge_mbqm_lt1(edge_wrap_shl32(x + offset, shift_left), m, s);
}

#define CMP_CASES(X, Y)                         \
    switch (p->op) {                            \
    case EDGE_CMP_EQ: CMP_RUN(X, Y, ==); break; \
    case EDGE_CMP_NE: CMP_RUN(X, Y, !=); break; \
    case EDGE_CMP_GT: CMP_RUN(X, Y, >); break;  \
    case EDGE_CMP_GE: CMP_RUN(X, Y, >=); break; \
    case EDGE_CMP_LT: CMP_RUN(X, Y, <); break;  \
    case EDGE_CMP_LE: CMP_RUN(X, Y, <=); break; \
    }
#define CMP_RUN(X, Y, OP)                                                 \
    for (size_t i = 0; i < n; i++) {                                      \
        const T x = a[off[0] + i * step[0]], y = b[off[1] + i * step[1]]; \
        o[i] = (X)OP(Y);                                                  \
    }

#define CMP_ROW(NAME, TYPE, X, Y)                                                         \
    static void NAME(const walk_ctx *c, const size_t *off, const size_t *step, size_t oi, \
                     size_t n)                                                            \
    {                                                                                     \
        typedef TYPE T;                                                                   \
        const edge_compare_params *p = c->p;                                              \
        const T *a = c->in[0], *b = c->in[1];                                             \
        bool *o = (bool *)c->out + oi;                                                    \
        (void)p;                                                                          \
        CMP_CASES(X, Y)                                                                   \
    }

#define QA scale_in(x, p->q.a_offset, p->q.left_shift, p->q.a_mult, p->q.a_shift)
#define QB scale_in(y, p->q.b_offset, p->q.left_shift, p->q.b_mult, p->q.b_shift)
CMP_ROW(cmp_bool, uint8_t, x != 0, y != 0) /* any nonzero byte is true */
CMP_ROW(cmp_s8, int8_t, x, y)
CMP_ROW(cmp_u8, uint8_t, x, y)
CMP_ROW(cmp_s16, int16_t, x, y)
CMP_ROW(cmp_s32, int32_t, x, y)
CMP_ROW(cmp_s64, int64_t, x, y)
CMP_ROW(cmp_f32, float, x, y)
CMP_ROW(cmp_s8_scaled, int8_t, QA, QB)
CMP_ROW(cmp_u8_scaled, uint8_t, QA, QB)
#undef QA
#undef QB
#undef CMP_ROW
#undef CMP_RUN
#undef CMP_CASES

void edge_ref_compare(const edge_compare_params *p, const void *a, const void *b, bool *out)
{
    static const row3_fn raw[] = {
        [EDGE_CMP_BOOL] = cmp_bool, [EDGE_CMP_S8] = cmp_s8,   [EDGE_CMP_U8] = cmp_u8,
        [EDGE_CMP_S16] = cmp_s16,   [EDGE_CMP_S32] = cmp_s32, [EDGE_CMP_S64] = cmp_s64,
        [EDGE_CMP_F32] = cmp_f32,
    };
    row3_fn row = raw[p->kind];
    if (p->scaled)
        row = p->kind == EDGE_CMP_U8 ? cmp_u8_scaled : cmp_s8_scaled;
    const walk_ctx c = {.in = {a, b, NULL}, .out = out, .p = p};
    walk3(&p->shape, &c, row);
}

/* ---- logical ---- */

static void and_row(const walk_ctx *c, const size_t *off, const size_t *step, size_t oi, size_t n)
{
    const uint8_t *a = c->in[0], *b = c->in[1];
    bool *o = (bool *)c->out + oi;
    for (size_t i = 0; i < n; i++)
        o[i] = a[off[0] + i * step[0]] && b[off[1] + i * step[1]];
}

static void or_row(const walk_ctx *c, const size_t *off, const size_t *step, size_t oi, size_t n)
{
    const uint8_t *a = c->in[0], *b = c->in[1];
    bool *o = (bool *)c->out + oi;
    for (size_t i = 0; i < n; i++)
        o[i] = a[off[0] + i * step[0]] || b[off[1] + i * step[1]];
}

void edge_ref_logical(const edge_bcast3 *bc, bool is_or, const bool *a, const bool *b, bool *out)
{
    const walk_ctx c = {.in = {a, b, NULL}, .out = out};
    walk3(bc, &c, is_or ? or_row : and_row);
}

void edge_ref_logical_not(size_t count, const bool *in, bool *out)
{
    const uint8_t *b = (const uint8_t *)in;
    for (size_t i = 0; i < count; i++)
        out[i] = b[i] == 0;
}

/* ---- SELECT, SELECT_V2, BROADCAST_TO: byte copies ---- */

static void select_row(const walk_ctx *c, const size_t *off, const size_t *step, size_t oi,
                       size_t n)
{
    const size_t es = *(const size_t *)c->p;
    const uint8_t *cond = c->in[0];
    const unsigned char *x = c->in[1], *y = c->in[2];
    unsigned char *o = (unsigned char *)c->out + oi * es;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *src = cond[off[0] + i * step[0]] ? x + (off[1] + i * step[1]) * es
                                                              : y + (off[2] + i * step[2]) * es;
        memcpy(o + i * es, src, es);
    }
}

void edge_ref_select(const edge_bcast3 *bc, size_t esize, const bool *cond, const void *x,
                     const void *y, void *out)
{
    const walk_ctx c = {.in = {cond, x, y}, .out = out, .p = &esize};
    walk3(bc, &c, select_row);
}

void edge_ref_select_rows(size_t rows, size_t row_bytes, const bool *cond, const void *x,
                          const void *y, void *out)
{
    const uint8_t *c = (const uint8_t *)cond;
    for (size_t r = 0; r < rows; r++)
        memcpy((unsigned char *)out + r * row_bytes,
               (const unsigned char *)(c[r] ? x : y) + r * row_bytes, row_bytes);
}

static void copy_row(const walk_ctx *c, const size_t *off, const size_t *step, size_t oi, size_t n)
{
    const size_t es = *(const size_t *)c->p;
    const unsigned char *in = c->in[0];
    unsigned char *o = (unsigned char *)c->out + oi * es;
    for (size_t i = 0; i < n; i++)
        memcpy(o + i * es, in + (off[0] + i * step[0]) * es, es);
}

void edge_ref_broadcast_to(const edge_bcast3 *bc, size_t esize, const void *in, void *out)
{
    const walk_ctx c = {.in = {in, NULL, NULL}, .out = out, .p = &esize};
    walk3(bc, &c, copy_row);
}

void edge_ref_broadcast_args(bool wide, const void *a, size_t na, const void *b, size_t nb,
                             void *out)
{
    const size_t n = na > nb ? na : nb;
    for (size_t i = 0; i < n; i++) {
        int64_t x = 1, y = 1;
        if (i >= n - na)
            x = wide ? ((const int64_t *)a)[i - (n - na)] : ((const int32_t *)a)[i - (n - na)];
        if (i >= n - nb)
            y = wide ? ((const int64_t *)b)[i - (n - nb)] : ((const int32_t *)b)[i - (n - nb)];
        const int64_t v = x == 1 ? y : x;
        if (wide)
            ((int64_t *)out)[i] = v;
        else
            ((int32_t *)out)[i] = (int32_t)v;
    }
}

/* ---- SQUARED_DIFFERENCE ---- */

/* squared_difference.cc's quantized SquaredDifference. */
static inline int32_t sqdiff_q(const edge_cmp_quant *q, int32_t x, int32_t y)
{
    const int32_t sx = scale_in(x, q->a_offset, q->left_shift, q->a_mult, q->a_shift);
    const int32_t sy = scale_in(y, q->b_offset, q->left_shift, q->b_mult, q->b_shift);
    const int32_t d = edge_wrap_sub32(sx, sy);
    const int32_t o = edge_mbqm(edge_wrap_mul32(d, d), q->out_mult, q->out_shift) + q->out_offset;
    return edge_clamp32(o, q->act_min, q->act_max);
}

#define SQD_ROW(NAME, T, EXPR)                                                            \
    static void NAME(const walk_ctx *c, const size_t *off, const size_t *step, size_t oi, \
                     size_t n)                                                            \
    {                                                                                     \
        const edge_cmp_quant *q = c->p;                                                   \
        const T *a = c->in[0], *b = c->in[1];                                             \
        T *o = (T *)c->out + oi;                                                          \
        (void)q;                                                                          \
        for (size_t i = 0; i < n; i++) {                                                  \
            const T x = a[off[0] + i * step[0]], y = b[off[1] + i * step[1]];             \
            o[i] = (T)(EXPR);                                                             \
        }                                                                                 \
    }
SQD_ROW(sqd_f32, float, (x - y) * (x - y))
SQD_ROW(sqd_s32, int32_t, edge_wrap_mul32(edge_wrap_sub32(x, y), edge_wrap_sub32(x, y)))
SQD_ROW(sqd_s8, int8_t, sqdiff_q(q, x, y))
SQD_ROW(sqd_s16, int16_t, sqdiff_q(q, x, y))
#undef SQD_ROW

void edge_ref_squared_difference(const edge_bcast3 *bc, edge_cmp_kind kind, const edge_cmp_quant *q,
                                 const void *a, const void *b, void *out)
{
    const walk_ctx c = {.in = {a, b, NULL}, .out = out, .p = q};
    walk3(bc, &c,
          kind == EDGE_CMP_F32   ? sqd_f32
          : kind == EDGE_CMP_S32 ? sqd_s32
          : kind == EDGE_CMP_S16 ? sqd_s16
                                 : sqd_s8);
}

/* ---- ADD_N, CUMSUM ---- */

/* add_n.h / cumsum.h: one int8 value at the common scale. */
static inline int32_t sum_in(const edge_cmp_quant *q, int32_t x)
{
    return scale_in(x, q->a_offset, q->left_shift, q->a_mult, q->a_shift);
}

static inline int8_t sum_out(const edge_cmp_quant *q, int32_t acc)
{
    const int32_t o = edge_mbqm_lt1(acc, q->out_mult, q->out_shift) + q->out_offset;
    return (int8_t)edge_clamp32(o, q->act_min, q->act_max);
}

void edge_ref_add_n(edge_cmp_kind kind, const edge_cmp_quant *q, size_t n, const void *const *in,
                    size_t count, void *out)
{
    for (size_t i = 0; i < count; i++) {
        if (kind == EDGE_CMP_F32) {
            float x = 0;
            for (size_t j = 0; j < n; j++)
                x += ((const float *)in[j])[i];
            ((float *)out)[i] = x;
        } else if (kind == EDGE_CMP_S32) {
            int32_t x = 0;
            for (size_t j = 0; j < n; j++)
                x = edge_wrap_add32(x, ((const int32_t *)in[j])[i]);
            ((int32_t *)out)[i] = x;
        } else {
            int32_t x = sum_in(q, 0); /* add_n.h starts from the offset, scaled */
            for (size_t j = 0; j < n; j++)
                x = edge_wrap_add32(x, sum_in(q, ((const int8_t *)in[j])[i]));
            ((int8_t *)out)[i] = sum_out(q, x);
        }
    }
}

/* One column (outer o, inner k) of CUMSUM, index of element d along the axis. */
static inline size_t cum_index(const edge_cumsum_params *p, size_t o, size_t k, size_t d)
{
    if (p->reverse)
        d = p->depth - 1 - d;
    return (o * p->depth + d) * p->inner + k;
}

#define CUMSUM_COLUMN(T, INIT, ADD, OUT)             \
    do {                                             \
        const T *src = in;                           \
        T *dst = out;                                \
        __typeof__(INIT) acc = INIT;                 \
        for (size_t d = 0; d < p->depth; d++) {      \
            const size_t at = cum_index(p, o, k, d); \
            if (p->exclusive) {                      \
                dst[at] = OUT(acc);                  \
                acc = ADD(acc, src[at]);             \
            } else {                                 \
                acc = ADD(acc, src[at]);             \
                dst[at] = OUT(acc);                  \
            }                                        \
        }                                            \
    } while (0)

#define F_ADD(a, x) ((a) + (x))
#define S_ADD(a, x) edge_wrap_add32((a), (x))
#define Q_ADD(a, x) edge_wrap_add32((a), sum_in(&p->q, (x)))
#define SAME(a) (a)
#define Q_OUT(a) sum_out(&p->q, (a))

void edge_ref_cumsum(const edge_cumsum_params *p, const void *in, void *out)
{
    for (size_t o = 0; o < p->outer; o++)
        for (size_t k = 0; k < p->inner; k++) {
            if (p->kind == EDGE_CMP_F32)
                CUMSUM_COLUMN(float, 0.0f, F_ADD, SAME);
            else if (p->kind == EDGE_CMP_S32)
                CUMSUM_COLUMN(int32_t, (int32_t)0, S_ADD, SAME);
            else
                CUMSUM_COLUMN(int8_t, sum_in(&p->q, 0), Q_ADD, Q_OUT);
        }
}
#undef F_ADD
#undef S_ADD
#undef Q_ADD
#undef SAME
#undef Q_OUT
#undef CUMSUM_COLUMN

/* ---- EMBEDDING_LOOKUP ---- */

void edge_ref_embedding_lookup(const edge_lookup_params *p, const int32_t *ids, const void *table,
                               void *out)
{
    const size_t out_es = p->dequant ? sizeof(float) : p->esize;
    for (size_t i = 0; i < p->n; i++) {
        unsigned char *dst = (unsigned char *)out + i * p->cols * out_es;
        const int32_t id = ids[i];
        if (id < 0 || (size_t)id >= p->rows) {
            memset(dst, 0, p->cols * out_es);
            continue;
        }
        const unsigned char *src = (const unsigned char *)table + (size_t)id * p->cols * p->esize;
        if (!p->dequant) {
            memcpy(dst, src, p->cols * p->esize);
            continue;
        }
        float *f = (float *)(void *)dst;
        const float scale = p->row_scale ? p->row_scale[id] : p->scale;
        for (size_t j = 0; j < p->cols; j++)
            f[j] = (float)((const int8_t *)src)[j] * scale; /* (q - 0) * scale */
    }
}

/* ---- TOPK_V2 ---- */

/* Element i precedes j in TFLite's order: larger, or equal with a lower index. */
#define TOPK_ROW(NAME, T)                                                                         \
    static void NAME(const edge_topk_params *p, const T *in, T *values, int32_t *idx)             \
    {                                                                                             \
        for (size_t r = 0; r < p->rows; r++) {                                                    \
            const T *v = in + r * p->n;                                                           \
            size_t prev = 0;                                                                      \
            for (size_t j = 0; j < p->k; j++) {                                                   \
                size_t best = p->n;                                                               \
                for (size_t i = 0; i < p->n; i++) {                                               \
                    const bool after = j == 0 || v[i] < v[prev] || (v[i] == v[prev] && i > prev); \
                    if (after && (best == p->n || v[i] > v[best]))                                \
                        best = i;                                                                 \
                }                                                                                 \
                if (best == p->n) /* unordered values (NaN): the first unused */                  \
                    best = j;                                                                     \
                values[r * p->k + j] = v[best];                                                   \
                idx[r * p->k + j] = (int32_t)best;                                                \
                prev = best;                                                                      \
            }                                                                                     \
        }                                                                                         \
    }
TOPK_ROW(topk_s8, int8_t)
TOPK_ROW(topk_u8, uint8_t)
TOPK_ROW(topk_s16, int16_t)
TOPK_ROW(topk_s32, int32_t)
TOPK_ROW(topk_s64, int64_t)
TOPK_ROW(topk_f32, float)
#undef TOPK_ROW

void edge_ref_topk(const edge_topk_params *p, const void *in, void *values, int32_t *indices)
{
    switch (p->kind) {
    case EDGE_CMP_S8: topk_s8(p, in, values, indices); break;
    case EDGE_CMP_U8: topk_u8(p, in, values, indices); break;
    case EDGE_CMP_S16: topk_s16(p, in, values, indices); break;
    case EDGE_CMP_S32: topk_s32(p, in, values, indices); break;
    case EDGE_CMP_S64: topk_s64(p, in, values, indices); break;
    default: topk_f32(p, in, values, indices); break;
    }
}
