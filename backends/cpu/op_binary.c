/* backends/cpu/op_binary.c - ADD, SUB, MUL, MAXIMUM, MINIMUM.
 *
 * Owns: validating the two inputs and the output (one type for all three:
 * int8, uint8, float32 or int32, and int16 for ADD/SUB (16x8: zero points 0, a left
 * shift of 15) and MUL (16x8: zero points 0, as TFLite's mul.cc requires; on the reference at
 * every level); shapes that broadcast, numpy style, up to rank 6, to
 * exactly the declared output shape; per-tensor quantization), and filling the
 * kernels' parameters with the multipliers edge/ops.h derives (ADD/SUB's left
 * shift of 20, MUL's single multiplier; multipliers TFLite would abort on fail
 * the prepare; a MUL multiplier of 2^30 or more, whose shift TFLite stores unchecked,
 * runs the saturating kernel of kernels/ref/gaps.h). MAXIMUM/MINIMUM compare raw values, so their
 * three tensors must share one scale and zero point (the converter always writes them so). Does not
 * own the arithmetic (kernels/ref/binary.c; int32: kernels/ref/mathops.c, plain wrapping
 * arithmetic). */
#include "fast_ops.h"

#include <stddef.h>
#include <string.h>

#include "cpu_op.h"
#include "dispatch.h"
#include "lut8.h"
#include "move.h"
#include "op_math.h"
#include "ref/binary.h"
#include "ref/gaps.h"
#include "ref/requant.h"
#include "vectorize.h"

_Static_assert(EDGE_MAX_DIMS <= EDGE_BCAST_DIMS, "broadcast kernel rank");

/* Element types of the inputs and output. */
#define BINARY_TYPES                                                                         \
    (EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_FLOAT32) | \
     EDGE_DTYPE_BIT(EDGE_INT32))

typedef enum binary_op { BIN_ADD, BIN_SUB, BIN_MUL, BIN_MAX, BIN_MIN } binary_op;

typedef struct binary_data {
    edge_arith_params k;
    binary_op op;
    edge_dtype type;
    bool mul_sat; /* MUL s8/u8/s16 whose multiplier is 2^30 or more (kernels/ref/gaps.h) */
    edge_qs8_binary_fn fast;   /* s8/u8 on the kernel table (NULL: the reference) */
    edge_q16_binary_fn fast16; /* s16 ADD/SUB on the kernel table (NULL: the reference) */
    edge_qs8_binary_params q;
    edge_f32_bin_row_fn f32_row; /* float32 on the kernel table's row (NULL: the reference) */
    edge_bcast_row_fn sat_row;   /* mul_sat above the scalar level (NULL: the reference) */
    bool table; /* out = lut[x]: the other operand is LOGISTIC(x) or a constant scalar */
    bool silu;  /* the table of a MUL of x by LOGISTIC(x) (fold_silu.c) */
    int x_slot; /* table: the input slot holding x */
    edge_lut8 lut;
} binary_data;

_Static_assert(offsetof(binary_data, k) == 0, "fast_row reaches binary_data from its k");

/* Broadcast iteration into K, the result checked against the declared output. */
static int binary_shapes(edge_prep *p, const edge_tensor *a, const edge_tensor *b,
                         const edge_tensor *out, edge_arith_params *k)
{
    int32_t dims[EDGE_BCAST_DIMS];
    int rank;
    char sa[96], sb[96], so[96];
    edge_op_shape_text(a->dims, a->rank, sa, sizeof sa);
    edge_op_shape_text(b->dims, b->rank, sb, sizeof sb);
    if (edge_broadcast_shape(a->dims, a->rank, b->dims, b->rank, dims, &rank, NULL) ||
        !edge_bcast_init(&k->shape, a->dims, a->rank, b->dims, b->rank, dims, rank))
        return edge_op_fail(p, EDGE_ESHAPE, "input shapes %s and %s do not broadcast", sa, sb);
    if (edge_op_has_dims(out, rank, dims))
        return 0;
    char want[96];
    edge_op_shape_text(dims, rank, want, sizeof want);
    edge_op_shape_text(out->dims, out->rank, so, sizeof so);
    return edge_op_fail(p, EDGE_ESHAPE,
                        "output (tensor %d) has shape %s, but inputs %s and %s broadcast to %s",
                        edge_op_tensor_index(p, out), so, sa, sb, want);
}

/* MAXIMUM / MINIMUM compare raw values: the scales must agree. */
static int maxmin_quant(edge_prep *p, const edge_tensor *a, const edge_tensor *b,
                        const edge_tensor *out)
{
    const int quantized = (a->q.count > 0) + (b->q.count > 0) + (out->q.count > 0);
    if (quantized == 0)
        return 0;
    int rc = edge_op_check_quant1_3(p, a, "input 0", b, "input 1", out);
    if (rc)
        return rc;
    if (a->q.scale[0] != out->q.scale[0] || b->q.scale[0] != out->q.scale[0] ||
        a->q.zero_point[0] != out->q.zero_point[0] || b->q.zero_point[0] != out->q.zero_point[0])
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "inputs and output have different scales or zero "
                            "points; MAXIMUM/MINIMUM compare quantized values directly");
    return 0;
}

void edge_op_addsub_params(const edge_addsub_quant *q, edge_arith_params *k)
{
    k->left_shift = q->left_shift;
    k->a_mult = q->a_mult;
    k->a_shift = q->a_shift;
    k->b_mult = q->b_mult;
    k->b_shift = q->b_shift;
    k->out_mult = q->out_mult;
    k->out_shift = q->out_shift;
}

static int arith_quant(edge_prep *p, binary_op op, int act, const edge_tensor *a,
                       const edge_tensor *b, const edge_tensor *out, binary_data *d)
{
    edge_arith_params *k = &d->k;
    int rc = edge_op_check_quant1_3(p, a, "input 0", b, "input 1", out);
    if (rc)
        return rc;
    const float sa = a->q.scale[0], sb = b->q.scale[0], so = out->q.scale[0];
    k->a_offset = -a->q.zero_point[0];
    k->b_offset = -b->q.zero_point[0];
    k->out_offset = out->q.zero_point[0];
    if (op == BIN_MUL) {
        rc = out->type == EDGE_INT16
                 ? edge_mul_multiplier_sat_s16(sa, sb, so, &k->out_mult, &k->out_shift, &d->mul_sat,
                                               p->err)
                 : edge_mul_multiplier_sat(sa, sb, so, &k->out_mult, &k->out_shift, &d->mul_sat,
                                           p->err);
        if (rc)
            return rc;
    } else {
        edge_addsub_quant q;
        rc = out->type == EDGE_INT16 ? edge_addsub_multipliers_s16(sa, sb, so, &q, p->err)
                                     : edge_addsub_multipliers(sa, sb, so, &q, p->err);
        if (rc)
            return rc;
        edge_op_addsub_params(&q, k);
    }
    return edge_op_act_range_q(p, act, out, &k->act_min, &k->act_max);
}

/* ADD of two int8 tensors of one shape runs on the model's kernel table. */
static int add_fast(edge_prep *p, edge_node *n, const edge_arith_params *k)
{
    const edge_bcast *s = &k->shape;
    size_t count = 1;
    for (int i = 0; i < EDGE_BCAST_DIMS; i++)
        count *= s->dims[i];
    for (int i = 0; i < EDGE_BCAST_DIMS - 1; i++)
        if (s->dims[i] != 1)
            return 0;
    if (s->a_stride[EDGE_BCAST_DIMS - 1] != 1 || s->b_stride[EDGE_BCAST_DIMS - 1] != 1)
        return 0;
    const edge_qs8_add_params q = {
        .a_offset = k->a_offset,
        .b_offset = k->b_offset,
        .out_offset = k->out_offset,
        .left_shift = k->left_shift,
        .a_mult = k->a_mult,
        .a_shift = k->a_shift,
        .b_mult = k->b_mult,
        .b_shift = k->b_shift,
        .out_mult = k->out_mult,
        .out_shift = k->out_shift,
        .lo = k->act_min,
        .hi = k->act_max,
    };
    return edge_fast_add_prepare(p, n, &q, count) < 0 ? EDGE_ENOMEM : 0;
}

/* int8/uint8 on the kernel table's binary kernel of OP (qs8.h), over the runs of the
 * broadcast walk: uint8 is read flipped, its input offsets move by 128. */
static void binary_fast(edge_prep *p, binary_data *d)
{
    const edge_kernels *kt = edge_op_kernels(p);
    if (!kt) /* no kernel table (an operator prepared on its own): the reference */
        return;
    const edge_qs8_binary_fn fns[] = {kt->binary.add, kt->binary.sub, kt->binary.mul,
                                      kt->binary.max, kt->binary.min};
    if (d->type == EDGE_INT16 && d->op == BIN_MUL) /* 16x8 MUL: the reference */
        return;
    if (d->type == EDGE_INT16) /* ADD or SUB (16x8) */
        d->fast16 = d->op == BIN_SUB ? kt->s16.sub : kt->s16.add;
    else if ((d->type != EDGE_INT8 && d->type != EDGE_UINT8) || d->mul_sat || !fns[d->op])
        return;
    else
        d->fast = fns[d->op];
    if (!d->fast && !d->fast16)
        return;
    const edge_arith_params *k = &d->k;
    const int32_t flip = d->type == EDGE_UINT8 ? 0x80 : 0;
    d->q = (edge_qs8_binary_params){
        .a_offset = k->a_offset + flip,
        .b_offset = k->b_offset + flip,
        .out_offset = k->out_offset,
        .left_shift = k->left_shift,
        .a_mult = k->a_mult,
        .a_shift = k->a_shift,
        .b_mult = k->b_mult,
        .b_shift = k->b_shift,
        .out_mult = k->out_mult,
        .out_shift = k->out_shift,
        .lo = k->act_min,
        .hi = k->act_max,
        .flip = flip,
    };
}

/* MUL whose multiplier saturates (kernels/ref/gaps.h mul_sat): the sign of the product of the
 * offset operands picks act_max, act_min or the clamped output offset. N elements, A and B
 * stepping AS and BS (0 or 1, constants where inlined), in a loop the compiler vectorizes. */
#define MUL_SAT_ROW(name, T)                                                                    \
    static inline void name##_at(const edge_arith_params *p, const T *a, size_t as, const T *b, \
                                 size_t bs, T *o, size_t n)                                     \
    {                                                                                           \
        const int32_t ao = p->a_offset, bo = p->b_offset, hi = p->act_max, lo = p->act_min;     \
        const int32_t zero = edge_clamp32(p->out_offset, lo, hi);                               \
        for (size_t i = 0; i < n; i++) {                                                        \
            const int32_t prod = ((int32_t)a[i * as] + ao) * ((int32_t)b[i * bs] + bo);         \
            o[i] = (T)(prod > 0 ? hi : prod < 0 ? lo : zero);                                   \
        }                                                                                       \
    }                                                                                           \
    EDGE_VECTORIZE static void name(const edge_arith_params *p, const void *a, size_t as,       \
                                    const void *b, size_t bs, void *out, size_t n)              \
    {                                                                                           \
        if (as && bs)                                                                           \
            name##_at(p, a, 1, b, 1, out, n);                                                   \
        else if (bs)                                                                            \
            name##_at(p, a, 0, b, 1, out, n);                                                   \
        else if (as)                                                                            \
            name##_at(p, a, 1, b, 0, out, n);                                                   \
        else                                                                                    \
            name##_at(p, a, 0, b, 0, out, n);                                                   \
    }

MUL_SAT_ROW(mul_sat_row_s8, int8_t)
MUL_SAT_ROW(mul_sat_row_u8, uint8_t)

/* A run of the broadcast walk on the kernel of the binary_data whose k is P. */
static void fast_row(const edge_arith_params *p, const void *a, size_t as, const void *b, size_t bs,
                     void *out, size_t n)
{
    const binary_data *d = (const binary_data *)p;
    d->fast(n, a, as, b, bs, out, &d->q);
}

/* The same for int16 (16x8) ADD/SUB. */
static void fast_row16(const edge_arith_params *p, const void *a, size_t as, const void *b,
                       size_t bs, void *out, size_t n)
{
    const binary_data *d = (const binary_data *)p;
    d->fast16(n, a, as, b, bs, out, &d->q);
}

/* Elementwise work of at least this many elements per thread is split over the threads. */
#define BIN_TASK_MIN 16384
/* Rows of the broadcast walk shorter than half this many bytes are batched into one kernel
 * call per this many bytes of output (fast_rows). */
#define BIN_TILE_BYTES 512

/* One broadcast walk of the fast kernels: ROW (P its parameters) over S's rows of
 * S->dims[5] elements of ESIZE bytes. */
typedef struct fast_walk {
    const edge_arith_params *p;
    edge_bcast_row_fn row;
    size_t esize;
    const unsigned char *a, *b;
    unsigned char *o;
} fast_walk;

/* Short rows of the walk gathered into one kernel call of at most BIN_TILE_BYTES of output.
 * Per input, the batch's rows either lie one after another in the input (DIRECT: the kernel
 * reads them there) or are laid out in the input's tile: a run repeated (REP_OF: the tile holds
 * that run repeated over REP_LEN bytes from its start, kept from batch to batch), an element
 * repeated along a row, or rows copied from elsewhere. */
typedef struct bin_in {
    _Alignas(64) unsigned char tile[BIN_TILE_BYTES];
    const unsigned char *direct, *rep_of;
    size_t rep_len;
} bin_in;

typedef struct row_batch {
    bin_in in[2];
    unsigned char *out; /* the batch's output, LEN bytes so far */
    size_t len;
} row_batch;

/* ROWS rows of N elements of ESIZE bytes of one input into batch bytes [LEN, ...): row r at
 * P + r * STEP bytes, its elements S (0 or 1) apart. */
static void batch_rows(bin_in *x, const unsigned char *p, size_t s, size_t step, size_t len,
                       size_t rows, size_t n, size_t esize)
{
    const size_t run = n * esize;
    unsigned char *t = x->tile + len;
    if (s == 1 && step == run) { /* the rows read on */
        if (len == 0) {
            x->direct = p;
            return;
        }
        if (x->direct && x->direct + len == p)
            return;
    }
    if (len == 0) {
        x->direct = NULL;
    } else if (x->direct) { /* read on until now: those rows into the tile */
        memcpy(x->tile, x->direct, len);
        x->direct = NULL;
        x->rep_of = NULL;
    }
    if (s == 1 && step == 0) { /* one run repeated: copied once, then doubled onto itself */
        if (len == 0 && x->rep_of == p && x->rep_len >= rows * run)
            return;
        edge_move_short(t, p, run);
        for (size_t have = run, need = rows * run; have < need;) {
            const size_t more = need - have < have ? need - have : have;
            memcpy(t + have, t, more);
            have += more;
        }
        x->rep_of = len == 0 ? p : NULL;
        x->rep_len = rows * run;
        return;
    }
    x->rep_of = NULL;
    if (s == 1 && step == run) {
        memcpy(t, p, rows * run);
    } else if (s == 1) {
        for (size_t r = 0; r < rows; r++)
            edge_move_short(t + r * run, p + r * step, run);
    } else if (esize == 1) { /* one element along each row */
        for (size_t r = 0; r < rows; r++)
            memset(t + r * run, p[r * step], n);
    } else {
        for (size_t r = 0; r < rows; r++)
            for (size_t i = 0; i < n; i++)
                memcpy(t + r * run + i * esize, p + r * step, esize);
    }
}

static void batch_flush(const fast_walk *w, row_batch *b)
{
    if (!b->len)
        return;
    const unsigned char *x = b->in[0].direct ? b->in[0].direct : b->in[0].tile;
    const unsigned char *y = b->in[1].direct ? b->in[1].direct : b->in[1].tile;
    w->row(w->p, x, 1, y, 1, b->out, b->len / w->esize);
    b->len = 0;
}

/* SPAN rows of N elements of a sweep of dimension 4 (row j of A at PA + j * A4 bytes, elements
 * AS apart; B likewise; output rows at PO, one after another) through batch B: a kernel call per
 * tile of rows instead of one per row. A 3-channel mean subtracted from an image is one call
 * per 170 pixels, with the mean's tile built once; MoveNet's [48,48,1] - [1,17] one per 30
 * rows; YOLOv5's grid offsets [1,6400,3,2] + [1,6400,1,2] one per 85 sweeps of 3 rows. */
static void batch_sweep(const fast_walk *w, row_batch *b, const unsigned char *pa, size_t as,
                        size_t a4, const unsigned char *pb, size_t bs, size_t b4, unsigned char *po,
                        size_t span, size_t n)
{
    const size_t run = n * w->esize;
    for (size_t j = 0; j < span;) {
        if (b->len + run > BIN_TILE_BYTES || (b->len && po + j * run != b->out + b->len))
            batch_flush(w, b);
        if (!b->len)
            b->out = po + j * run;
        const size_t room = (BIN_TILE_BYTES - b->len) / run;
        const size_t rows = span - j < room ? span - j : room;
        batch_rows(&b->in[0], pa + j * a4, as, a4, b->len, rows, n, w->esize);
        batch_rows(&b->in[1], pb + j * b4, bs, b4, b->len, rows, n, w->esize);
        b->len += rows * run;
        j += rows;
    }
}

/* Rows [FIRST, FIRST + COUNT) of walk CTX, as edge_bcast_walk runs them, sweep by sweep of
 * dimension 4 (the row's index over dimensions 0..4 advanced as an odometer, not divided out
 * per sweep): rows shorter than half a tile through a batch (batch_sweep), longer ones a kernel
 * call each. */
static void fast_rows(void *ctx, size_t first, size_t count)
{
    const fast_walk *w = ctx;
    const edge_bcast *s = &w->p->shape;
    enum { D4 = EDGE_BCAST_DIMS - 2 };
    const size_t n = s->dims[D4 + 1], d4 = s->dims[D4];
    const size_t as = s->a_stride[D4 + 1], bs = s->b_stride[D4 + 1];
    const size_t run = n * w->esize;
    const size_t a4 = s->a_stride[D4] * w->esize, b4 = s->b_stride[D4] * w->esize;
    const bool batched = 2 * run < BIN_TILE_BYTES;
    row_batch batch;
    batch.len = 0;
    batch.in[0].rep_of = batch.in[1].rep_of = NULL;
    size_t idx[D4 + 1]; /* FIRST's index over dimensions 0..4 */
    for (size_t k = D4 + 1, rem = first; k-- > 0;) {
        idx[k] = rem % s->dims[k];
        rem /= s->dims[k];
    }
    for (size_t r = first, end = first + count; r < end;) {
        size_t ao = 0, bo = 0;
        for (int k = 0; k <= D4; k++) {
            ao += idx[k] * s->a_stride[k];
            bo += idx[k] * s->b_stride[k];
        }
        size_t span = d4 - idx[D4]; /* rows left in this sweep of dimension 4 */
        span = span < end - r ? span : end - r;
        const unsigned char *pa = w->a + ao * w->esize, *pb = w->b + bo * w->esize;
        unsigned char *po = w->o + r * run;
        if (batched) {
            batch_sweep(w, &batch, pa, as, a4, pb, bs, b4, po, span, n);
        } else {
            for (size_t j = 0; j < span; j++)
                w->row(w->p, pa + j * a4, as, pb + j * b4, bs, po + j * run, n);
        }
        r += span;
        idx[D4] += span;
        for (int k = D4; k > 0 && idx[k] == s->dims[k]; k--) {
            idx[k] = 0;
            idx[k - 1]++;
        }
    }
    batch_flush(w, &batch);
}

/* Elements [FIRST, FIRST + COUNT) of a walk CTX that is one run. */
static void fast_elems(void *ctx, size_t first, size_t count)
{
    const fast_walk *w = ctx;
    const edge_bcast *s = &w->p->shape;
    const size_t as = s->a_stride[EDGE_BCAST_DIMS - 1], bs = s->b_stride[EDGE_BCAST_DIMS - 1];
    w->row(w->p, w->a + first * as * w->esize, as, w->b + first * bs * w->esize, bs,
           w->o + first * w->esize, count);
}

void edge_fast_bcast_run(const edge_arith_params *p, size_t esize, edge_bcast_row_fn row,
                         const void *a, const void *b, void *out, edge_exec *ex)
{
    const edge_bcast *s = &p->shape;
    const size_t n = s->dims[EDGE_BCAST_DIMS - 1];
    size_t outer = 1;
    for (int i = 0; i < EDGE_BCAST_DIMS - 1; i++)
        outer *= s->dims[i];
    if (n == 0 || outer == 0)
        return;
    fast_walk w = {p, row, esize, a, b, out};
    if (outer == 1)
        edge_exec_ranges(ex, n, BIN_TASK_MIN, 64, fast_elems, &w);
    else
        edge_exec_ranges(ex, outer, n < BIN_TASK_MIN ? BIN_TASK_MIN / n : 1, 1, fast_rows, &w);
}

/* The builtin codes of BIN_ADD ... BIN_MIN, in that order. */
static const int32_t binary_codes[] = {EDGE_OP_ADD, EDGE_OP_SUB, EDGE_OP_MUL, EDGE_OP_MAXIMUM,
                                       EDGE_OP_MINIMUM};

static void eval_s8(const binary_data *d, const int8_t *a, const int8_t *b, int8_t *o);
static void eval_u8(const binary_data *d, const uint8_t *a, const uint8_t *b, uint8_t *o);

/* D's table of every byte x of the input in slot X_SLOT against Y[x] in the other slot: this
 * node's reference arithmetic over the 256 pairs, looked up over COUNT elements. */
static int x_table(edge_prep *p, edge_node *n, binary_data *d, int x_slot, const uint8_t y[256],
                   size_t count)
{
    uint8_t x[256];
    for (int i = 0; i < 256; i++)
        x[i] = (uint8_t)i;
    binary_data one = *d;
    const int32_t dims[1] = {256};
    if (!edge_bcast_init(&one.k.shape, dims, 1, dims, 1, dims, 1))
        return edge_op_fail(p, EDGE_ESTATE, "cannot walk 256 elements");
    const uint8_t *a = x_slot == 0 ? x : y, *b = x_slot == 0 ? y : x;
    if (d->type == EDGE_INT8)
        eval_s8(&one, (const int8_t *)a, (const int8_t *)b, (int8_t *)d->lut.lut);
    else
        eval_u8(&one, a, b, d->lut.lut);
    d->x_slot = x_slot;
    d->table = true;
    d->fast = NULL;
    d->sat_row = NULL;
    edge_op_lut8_setup(p, n, &d->lut, count);
    return 0;
}

/* MUL N of x by LOGISTIC(x) (fold_silu.c chose the pair): the table of x through the folded
 * LOGISTIC's table then this MUL. */
static int silu_table(edge_prep *p, edge_node *n, binary_data *d, size_t count)
{
    const edge_node *l = &p->m->nodes[n->silu_of - 1];
    const uint8_t *sig = edge_op_logistic_table(l);
    if (!sig || (d->type != EDGE_INT8 && d->type != EDGE_UINT8))
        return edge_op_fail(p, EDGE_ESTATE, "folded LOGISTIC node %d has no table",
                            (int)l->file_index);
    d->silu = true;
    return x_table(p, n, d, n->in[0] == l->in[0] ? 0 : 1, sig, count);
}

/* An 8-bit operation with a constant scalar operand (MoveNet's input normalization, YOLO's
 * scale factors): out = table[x], built from the reference arithmetic, so exact at every
 * level; the elementwise kernels' rescaling costs several multiplies per element, a lookup
 * one permute per vector. Nothing when neither operand is a constant scalar. */
static int const_table(edge_prep *p, edge_node *n, binary_data *d, const edge_tensor *a,
                       const edge_tensor *b, const edge_tensor *out)
{
    const int c_slot = b->count == 1 && b->data ? 1 : a->count == 1 && a->data ? 0 : -1;
    if (c_slot < 0 || (d->type != EDGE_INT8 && d->type != EDGE_UINT8) ||
        (c_slot ? a : b)->count != out->count)
        return 0;
    uint8_t c[256];
    memset(c, *(const uint8_t *)(c_slot ? b : a)->data, sizeof c);
    return x_table(p, n, d, 1 - c_slot, c, out->count);
}

/* ADD, SUB, MUL, MAXIMUM, MINIMUM: the operation of N's code. */
static int binary_prepare(edge_prep *p, edge_node *n)
{
    const binary_op op = (binary_op)edge_op_code_index(
        n->code, binary_codes, sizeof binary_codes / sizeof binary_codes[0]);
    const bool arith = op == BIN_ADD || op == BIN_SUB || op == BIN_MUL;
    const edge_tensor *a, *b, *out;
    int rc = edge_op_io_binary(p, n, BINARY_TYPES | (arith ? EDGE_DTYPE_BIT(EDGE_INT16) : 0), -1,
                               &a, &b, &out);
    if (rc)
        return rc;
    binary_data d = {.op = op, .type = a->type};
    if ((rc = binary_shapes(p, a, b, out, &d.k)))
        return rc;
    const int act = op == BIN_MAX || op == BIN_MIN ? EDGE_ACT_NONE : n->params.activation;
    if (op == BIN_MAX || op == BIN_MIN)
        rc = a->type == EDGE_FLOAT32 ? 0 : maxmin_quant(p, a, b, out);
    else if (a->type == EDGE_FLOAT32)
        rc = edge_op_act_range_f(p, act, &d.k.act_min_f, &d.k.act_max_f);
    else if (a->type == EDGE_INT32) /* reduce, fill and math family */
        rc = edge_math_act_range(p, act, &d.k);
    else
        rc = arith_quant(p, op, act, a, b, out, &d);
    if (rc)
        return rc;
    binary_fast(p, &d);
    if (d.fast)
        n->kernel = edge_op_kernels(p)->binary.name;
    else if (d.fast16)
        n->kernel = edge_op_kernels(p)->s16.eltwise_name;
    const edge_kernels *kt = edge_op_kernels(p);
    if (d.mul_sat && (d.type == EDGE_INT8 || d.type == EDGE_UINT8) && kt &&
        kt->isa != EDGE_ISA_SCALAR) {
        d.sat_row = d.type == EDGE_INT8 ? mul_sat_row_s8 : mul_sat_row_u8;
        n->kernel = "mul_sat_rows";
    }
    if (a->type == EDGE_FLOAT32 && kt) {
        const edge_f32_bin_row_fn rows[] = {kt->f32.add, kt->f32.sub, kt->f32.mul, kt->f32.max,
                                            kt->f32.min};
        d.f32_row = rows[op];
        if (d.f32_row)
            n->kernel = kt->f32.eltwise_name;
    }
    if (n->silu_of)
        rc = silu_table(p, n, &d, out->count);
    else
        rc = const_table(p, n, &d, a, b, out);
    if (rc || (rc = edge_op_keep(p, n, &d, sizeof d)))
        return rc;
    return op == BIN_ADD && a->type == EDGE_INT8 && !d.table ? add_fast(p, n, &d.k) : 0;
}

static void eval_s8(const binary_data *d, const int8_t *a, const int8_t *b, int8_t *o)
{
    switch (d->op) {
    case BIN_ADD: edge_ref_add_s8(&d->k, a, b, o); break;
    case BIN_SUB: edge_ref_sub_s8(&d->k, a, b, o); break;
    case BIN_MUL: (d->mul_sat ? edge_ref_mul_sat_s8 : edge_ref_mul_s8)(&d->k, a, b, o); break;
    case BIN_MAX: edge_ref_maximum_s8(&d->k, a, b, o); break;
    case BIN_MIN: edge_ref_minimum_s8(&d->k, a, b, o); break;
    }
}

static void eval_u8(const binary_data *d, const uint8_t *a, const uint8_t *b, uint8_t *o)
{
    switch (d->op) {
    case BIN_ADD: edge_ref_add_u8(&d->k, a, b, o); break;
    case BIN_SUB: edge_ref_sub_u8(&d->k, a, b, o); break;
    case BIN_MUL: (d->mul_sat ? edge_ref_mul_sat_u8 : edge_ref_mul_u8)(&d->k, a, b, o); break;
    case BIN_MAX: edge_ref_maximum_u8(&d->k, a, b, o); break;
    case BIN_MIN: edge_ref_minimum_u8(&d->k, a, b, o); break;
    }
}

static void eval_s16(const binary_data *d, const int16_t *a, const int16_t *b, int16_t *o)
{
    switch (d->op) {
    case BIN_SUB: edge_ref_sub_s16(&d->k, a, b, o); break;
    case BIN_MUL: (d->mul_sat ? edge_ref_mul_sat_s16 : edge_ref_mul_s16)(&d->k, a, b, o); break;
    default: edge_ref_add_s16(&d->k, a, b, o); break;
    }
}

static void eval_f32(const binary_data *d, const float *a, const float *b, float *o)
{
    switch (d->op) {
    case BIN_ADD: edge_ref_add_f32(&d->k, a, b, o); break;
    case BIN_SUB: edge_ref_sub_f32(&d->k, a, b, o); break;
    case BIN_MUL: edge_ref_mul_f32(&d->k, a, b, o); break;
    case BIN_MAX: edge_ref_maximum_f32(&d->k, a, b, o); break;
    case BIN_MIN: edge_ref_minimum_f32(&d->k, a, b, o); break;
    }
}

/* reduce, fill and math family: int32 (kernels/ref/mathops.h) */
static void eval_s32(const binary_data *d, const int32_t *a, const int32_t *b, int32_t *o)
{
    switch (d->op) {
    case BIN_ADD: edge_ref_add_s32(&d->k, a, b, o); break;
    case BIN_SUB: edge_ref_sub_s32(&d->k, a, b, o); break;
    case BIN_MUL: edge_ref_mul_s32(&d->k, a, b, o); break;
    case BIN_MAX: edge_ref_maximum_s32(&d->k, a, b, o); break;
    case BIN_MIN: edge_ref_minimum_s32(&d->k, a, b, o); break;
    }
}

const edge_lut8 *edge_op_silu_lut(const edge_node *n)
{
    const binary_data *d = n->code == EDGE_OP_MUL && n->silu_of ? n->data : NULL;
    return d && d->silu ? &d->lut : NULL;
}

static void binary_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const binary_data *d = n->data;
    if (n->folded) /* the node writing x computes it (fold_silu.c edge__fuse_silu) */
        return;
    const void *a = t[n->in[0]], *b = t[n->in[1]];
    void *o = t[n->out[0]];
    if (d->table)
        edge_op_lut8_eval(&d->lut, t[n->in[d->x_slot]], o, ex);
    else if (n->packed)
        edge_fast_add_eval(n, t, ex);
    else if (d->fast)
        edge_fast_bcast_run(&d->k, 1, fast_row, a, b, o, ex);
    else if (d->fast16)
        edge_fast_bcast_run(&d->k, sizeof(int16_t), fast_row16, a, b, o, ex);
    else if (d->sat_row)
        edge_fast_bcast_run(&d->k, 1, d->sat_row, a, b, o, ex);
    else if (d->type == EDGE_INT8)
        eval_s8(d, a, b, o);
    else if (d->type == EDGE_UINT8)
        eval_u8(d, a, b, o);
    else if (d->type == EDGE_INT16)
        eval_s16(d, a, b, o);
    else if (d->type == EDGE_INT32)
        eval_s32(d, a, b, o);
    else if (d->f32_row)
        edge_fast_bcast_run(&d->k, sizeof(float), d->f32_row, a, b, o, ex);
    else
        eval_f32(d, a, b, o);
}

EDGE_CPU_OP(ADD, binary_prepare, binary_eval)
EDGE_CPU_OP(SUB, binary_prepare, binary_eval)
EDGE_CPU_OP(MUL, binary_prepare, binary_eval)
EDGE_CPU_OP(MAXIMUM, binary_prepare, binary_eval)
EDGE_CPU_OP(MINIMUM, binary_prepare, binary_eval)
