/* kernels/ref/lstm.c - reference UNIDIRECTIONAL_SEQUENCE_LSTM (see lstm.h).
 *
 * Owns: the step loop (time major: every batch row at once per step; batch major: one row at
 * a time, its state carried along its own time steps, as TFLM's LstmStepManager walks them),
 * the gates, the cell and hidden updates (one integer path for int8 and int16 activations),
 * and the int16 sigmoid/tanh. Integer arithmetic
 * wraps where TFLM's int32 would (no undefined overflow here). Allocates nothing. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "activation.h"
#include "lstm.h"
#include "requant.h"
#include "vectorize.h"

/* sigmoid(i / 24) in unsigned 0.16 fixed point (65535 for the last), the values of TFLite's
 * sigmoid_table_uint16 that its int16 sigmoid and tanh interpolate. */
static const uint16_t sigmoid_u16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794,
    41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443,
    48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169, 53581, 53983, 54374,
    54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544,
    58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279,
    61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990,
    63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030,
    64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652,
    64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019,
    65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234,
    65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
    65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476,
    65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498, 65500, 65501,
    65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516,
    65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529,
    65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532,
    65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65534, 65534,
    65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535};

/* The input rescaled as both activations do: a power-of-two multiplier 0 means 3 << shift. */
static int32_t act_input(int16_t x, int32_t mult, int32_t shift)
{
    if (mult == 0) {
        mult = 3 << shift;
        shift = 0;
    }
    const int32_t round = shift > 0 ? 1 << (shift - 1) : 0;
    return (x * mult + round) >> shift;
}

/* The sigmoid table at AX (FRAC fraction bits), linearly interpolated between its entries;
 * SAT past its last one (TFLM's integer sigmoid and tanh share the table and the walk). */
static uint32_t table_interp(uint32_t ax, int frac, uint32_t sat)
{
    const uint32_t uh = ax >> frac;
    if (uh >= 255)
        return sat;
    const uint32_t ua = sigmoid_u16[uh], ub = sigmoid_u16[uh + 1];
    return (ua << frac) + (ax & ((1u << frac) - 1)) * (ub - ua);
}

void edge_ref_sigmoid_s16(int32_t input_mult, int32_t left_shift, const int16_t *in, int16_t *out,
                          size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const int32_t x = act_input(in[i], input_mult, left_shift);
        const uint32_t ax = (uint32_t)(x < 0 ? -x : x);
        uint32_t r = table_interp(ax, 9, 0x7FFFu << 10);
        r = x >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1;
        out[i] = (int16_t)(r >> 10);
    }
}

void edge_ref_tanh_s16(int32_t input_mult, int32_t left_shift, const int16_t *in, int16_t *out,
                       size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const int32_t x = act_input(in[i], input_mult, left_shift);
        const uint32_t ax = (uint32_t)(x < 0 ? -x : x);
        int32_t r = (int32_t)table_interp(ax, 8, 0xFFFFu << 8);
        r = x >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
        out[i] = (int16_t)(r >> 8);
    }
}

size_t edge_lstm_scratch_elems(const edge_lstm_shape *s)
{
    const size_t rows = s->time_major ? (size_t)s->batch : 1;
    return 4 * rows * (size_t)s->state;
}

/* ---- integer (8x8->16, 16x8->16) ---- */

/* One step of the integer LSTM over ROWS rows; the activations are int8, or int16 when S16. */
typedef struct q_step {
    const edge_lstm_q_params *p;
    bool s16;
    const void *in;
    void *hidden;
    int16_t *cell;
    int32_t rows;
} q_step;

/* OUT[r][c] = clamp16(mbqm(sum w[c][d] x (in[r][d] - zp) + bias[c])): reference_integer_ops::
 * FullyConnected into int16 with a zero output offset; int8 input: int32 accumulator and bias;
 * int16 input (no offset): int64 accumulator and bias, the 64-bit multiply. */
static void fc_q(bool s16, const void *in, int32_t zp, const int8_t *w, const void *bias,
                 int32_t mult, int32_t shift, int32_t rows, int32_t depth, int32_t units,
                 int16_t *out)
{
    for (int32_t r = 0; r < rows; r++) {
        const size_t row = (size_t)r * (size_t)depth;
        for (int32_t c = 0; c < units; c++) {
            const int8_t *wc = w + (size_t)c * (size_t)depth;
            int32_t v;
            if (s16) {
                const int16_t *x = (const int16_t *)in + row;
                int64_t acc = 0;
                for (int32_t d = 0; d < depth; d++)
                    acc += (int64_t)wc[d] * x[d];
                if (bias)
                    acc = (int64_t)((uint64_t)acc + (uint64_t)((const int64_t *)bias)[c]);
                v = edge_mbqm64(acc, mult, (int)shift);
            } else {
                const int8_t *x = (const int8_t *)in + row;
                int32_t acc = 0;
                for (int32_t d = 0; d < depth; d++)
                    acc = edge_wrap_add32(acc, (int32_t)wc[d] * ((int32_t)x[d] - zp));
                if (bias)
                    acc = edge_wrap_add32(acc, ((const int32_t *)bias)[c]);
                v = edge_mbqm(acc, mult, (int)shift);
            }
            out[(size_t)r * (size_t)units + (size_t)c] =
                (int16_t)edge_clamp32(v, INT16_MIN, INT16_MAX);
        }
    }
}

/* The sum of W[d] x X[d] over N, wrapping (-fwrapv): any order gives the same int32, so which
 * build of the loop runs (x86-64: AVX2 or AVX-512 where the CPU has them, picked once by
 * edge_lstm_fold_zp; no ifunc, which ThreadSanitizer's builds cannot load) changes nothing but
 * time. */
#define DOT_8(name, TW, attr)                                                        \
    attr EDGE_VECTORIZE static int32_t name(const TW *w, const int8_t *x, int32_t n) \
    {                                                                                \
        int32_t acc = 0;                                                             \
        for (int32_t d = 0; d < n; d++)                                              \
            acc += (int32_t)w[d] * (int32_t)x[d];                                    \
        return acc;                                                                  \
    }
#define DOT_S8(name, attr) DOT_8(name, int8_t, attr)

/* OUT[i] = clamp16(edge_mbqm(ACC[i] + FOLD[i], MULT, SHIFT)) for i < N, in lanes: the same
 * steps branch-free (MULT in [2^30, 2^31) or 0, so SaturatingRoundingDoublingHighMul is
 * floor((x m + 2^30) / 2^31) for either sign: gemmlowp's nudge and truncation, folded), which
 * the compiler vectorizes; the scalar edge_mbqm per unit was a quarter of the int8 LSTM. */
#define REQUANT_S16(name, attr)                                                                 \
    attr EDGE_VECTORIZE static void name(const int32_t *acc, const int32_t *fold, int32_t mult, \
                                         int32_t shift, int32_t n, int16_t *out)                \
    {                                                                                           \
        const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;                 \
        const int32_t mask = (int32_t)(((int64_t)1 << right) - 1);                              \
        for (int32_t i = 0; i < n; i++) {                                                       \
            const int32_t v = (int32_t)(((uint32_t)acc[i] + (uint32_t)fold[i]) << left);        \
            int32_t q = (int32_t)(((int64_t)v * mult + ((int64_t)1 << 30)) >> 31);              \
            const int32_t rem = q & mask, thr = (mask >> 1) + (q < 0);                          \
            q = (q >> right) + (rem > thr);                                                     \
            out[i] = (int16_t)(q < INT16_MIN ? INT16_MIN : q > INT16_MAX ? INT16_MAX : q);      \
        }                                                                                       \
    }

/* With AVX-512 VNNI: the sum of WU[d] x X[d] where WU = W + 128 as unsigned bytes, which GCC
 * vectorizes to vpdpbusd (64 products an instruction; the signed form widens both operands to
 * int16 first). W x X = WU x X - 128 x the sum of X, taken once per input row (fc_q_folded). */
#define DOT_U8(name, attr) DOT_8(name, uint8_t, attr)

DOT_S8(dot_s8, )
REQUANT_S16(requant_s16, )
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
DOT_S8(dot_s8_avx2, __attribute__((target("avx2"))))
DOT_S8(dot_s8_avx512, __attribute__((target("arch=skylake-avx512"))))
DOT_U8(dot_u8_vnni, __attribute__((target("arch=skylake-avx512,avx512vnni"))))
REQUANT_S16(requant_s16_avx2, __attribute__((target("avx2"))))
REQUANT_S16(requant_s16_avx512, __attribute__((target("arch=skylake-avx512"))))
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* P's weights + 128 as unsigned bytes into FLIP (the eight matrices one after another), and
 * P's in_wu and rec_wu at them. */
static void flip_weights(edge_lstm_q_params *p, uint8_t *flip)
{
    const size_t in_n = (size_t)p->s.state * (size_t)p->s.input;
    const size_t rec_n = (size_t)p->s.state * (size_t)p->s.state;
    for (int g = 0; g < 4; g++) {
        for (size_t i = 0; i < in_n; i++)
            flip[i] = (uint8_t)(p->in_w[g][i] ^ 0x80);
        p->in_wu[g] = flip;
        flip += in_n;
        for (size_t i = 0; i < rec_n; i++)
            flip[i] = (uint8_t)(p->rec_w[g][i] ^ 0x80);
        p->rec_wu[g] = flip;
        flip += rec_n;
    }
}
#endif

/* The builds of the dot product and the requantization for this CPU, into P; the unsigned
 * dot product (VNNI) where there is one and P's flipped weights (FLIP, edge_lstm_fold_bytes)
 * are given. */
static void folded_for_cpu(edge_lstm_q_params *p, uint8_t *flip)
{
    p->dot = dot_s8;
    p->dot_u8 = NULL;
    p->requant = requant_s16;
    (void)flip; /* the unsigned dot product is x86-64's only */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    __builtin_cpu_init();
    if (flip && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq")) {
        p->dot = dot_s8_avx512; /* (unused while dot_u8 is set) */
        p->dot_u8 = dot_u8_vnni;
        p->requant = requant_s16_avx512;
        flip_weights(p, flip);
    } else if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")) {
        p->dot = dot_s8_avx512;
        p->requant = requant_s16_avx512;
    } else if (__builtin_cpu_supports("avx2")) {
        p->dot = dot_s8_avx2;
        p->requant = requant_s16_avx2;
    }
#endif
}

enum { FC_UNITS = 64 }; /* units whose sums fc_q_folded requantizes at once */

/* fc_q of int8 activations with the zero point folded into FOLD (edge_lstm_fold_zp): the same
 * int32 sum, as a dot product (P's dot) of the raw bytes, or of WU (the weights + 128, when P
 * has dot_u8) less 128 x the row's sum, FC_UNITS of them requantized at a time (P's requant). */
static void fc_q_folded(const edge_lstm_q_params *p, const int8_t *in, const int8_t *w,
                        const uint8_t *wu, const int32_t *fold, int32_t mult, int32_t shift,
                        int32_t rows, int32_t depth, int32_t units, int16_t *out)
{
    int32_t acc[FC_UNITS];
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *x = in + (size_t)r * (size_t)depth;
        uint32_t sum = 0;
        if (p->dot_u8)
            for (int32_t d = 0; d < depth; d++)
                sum += (uint32_t)(int32_t)x[d];
        for (int32_t c0 = 0; c0 < units; c0 += FC_UNITS) {
            const int32_t n = units - c0 < FC_UNITS ? units - c0 : FC_UNITS;
            for (int32_t c = 0; c < n; c++)
                acc[c] = p->dot_u8
                             ? (int32_t)((uint32_t)p->dot_u8(wu + (size_t)(c0 + c) * (size_t)depth,
                                                             x, depth) -
                                         128u * sum)
                             : p->dot(w + (size_t)(c0 + c) * (size_t)depth, x, depth);
            p->requant(acc, fold + c0, mult, shift, n,
                       out + (size_t)r * (size_t)units + (size_t)c0);
        }
    }
}

size_t edge_lstm_fold_bytes(const edge_lstm_shape *s)
{
    const size_t st = (size_t)s->state;
    return 8 * st * sizeof(int32_t) + 4 * st * ((size_t)s->input + st);
}

void edge_lstm_fold_zp(edge_lstm_q_params *p, void *buf)
{
    int32_t *fold = buf;
    const int32_t st = p->s.state;
    for (int g = 0; g < 4; g++) {
        int32_t *in_f = fold + (size_t)g * (size_t)st, *rec_f = fold + (size_t)(4 + g) * (size_t)st;
        for (int32_t c = 0; c < st; c++) {
            int32_t in_sum = 0, rec_sum = 0;
            for (int32_t d = 0; d < p->s.input; d++)
                in_sum += p->in_w[g][(size_t)c * (size_t)p->s.input + (size_t)d];
            for (int32_t d = 0; d < st; d++)
                rec_sum += p->rec_w[g][(size_t)c * (size_t)st + (size_t)d];
            const int32_t bias = p->bias[g] ? ((const int32_t *)p->bias[g])[c] : 0;
            in_f[c] = (int32_t)((uint32_t)bias - (uint32_t)p->input_zp * (uint32_t)in_sum);
            rec_f[c] = (int32_t)(0u - (uint32_t)p->hidden_zp * (uint32_t)rec_sum);
        }
        p->in_fold[g] = in_f;
        p->rec_fold[g] = rec_f;
    }
    folded_for_cpu(p, (uint8_t *)(fold + 8 * (size_t)st));
}

static void add_sat_s16(int16_t *acc, const int16_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] = (int16_t)edge_clamp32((int32_t)acc[i] + b[i], INT16_MIN, INT16_MAX);
}

/* reference_integer_ops::MulElementwise with zero input offsets. */
static int32_t mul_q(int16_t a, int16_t b, int32_t mult, int shift, int32_t zp, int32_t lo,
                     int32_t hi)
{
    return edge_clamp32(edge_wrap_add32(zp, edge_mbqm((int32_t)a * b, mult, shift)), lo, hi);
}

/* Gate G: the input FC (with the bias) plus the recurrent FC (none), then the sigmoid, or for
 * the cell gate the tanh (its input is Q3.12: scale power -12, no shift). */
static void gate_q(const q_step *st, int g, int16_t *out, int16_t *tmp)
{
    const edge_lstm_q_params *p = st->p;
    const edge_lstm_shape *s = &p->s;
    const size_t n = (size_t)st->rows * (size_t)s->state;
    if (p->in_fold[g] && p->rec_fold[g] && p->dot && p->requant && !st->s16) {
        fc_q_folded(p, st->in, p->in_w[g], p->in_wu[g], p->in_fold[g], p->q.in_mult[g],
                    p->q.in_shift[g], st->rows, s->input, s->state, out);
        fc_q_folded(p, st->hidden, p->rec_w[g], p->rec_wu[g], p->rec_fold[g], p->q.rec_mult[g],
                    p->q.rec_shift[g], st->rows, s->state, s->state, tmp);
    } else {
        fc_q(st->s16, st->in, p->input_zp, p->in_w[g], p->bias[g], p->q.in_mult[g],
             p->q.in_shift[g], st->rows, s->input, s->state, out);
        fc_q(st->s16, st->hidden, p->hidden_zp, p->rec_w[g], NULL, p->q.rec_mult[g],
             p->q.rec_shift[g], st->rows, s->state, s->state, tmp);
    }
    add_sat_s16(out, tmp, n);
    if (g == EDGE_LSTM_CELL_GATE)
        edge_ref_tanh_s16(0, 0, out, out, n);
    else
        edge_ref_sigmoid_s16(0, 0, out, out, n);
}

/* The tanh of the cell state at scale 2^POWER (TFLM's Tanh(cell_state_scale_power)). */
static void tanh_cell(int32_t power, const int16_t *cell, int16_t *out, size_t n)
{
    int32_t shift = 15 + power - 3, mult = 0;
    if (shift < 0) {
        shift = -shift;
        mult = 3;
    }
    edge_ref_tanh_s16(mult, shift, cell, out, n);
}

static void step_q(const q_step *st, void *out, int16_t *scratch)
{
    const edge_lstm_q_params *p = st->p;
    const size_t n = (size_t)st->rows * (size_t)p->s.state;
    int16_t *forget = scratch, *input = scratch + n, *cellg = scratch + 2 * n;
    int16_t *tmp = scratch + 3 * n, *cell = st->cell;
    const edge_lstm_quant *q = &p->q;
    gate_q(st, EDGE_LSTM_FORGET_GATE, forget, tmp);
    gate_q(st, EDGE_LSTM_INPUT_GATE, input, tmp);
    gate_q(st, EDGE_LSTM_CELL_GATE, cellg, tmp);
    for (size_t i = 0; i < n; i++) {
        const int32_t kept =
            mul_q(forget[i], cell[i], q->forget_mult, q->forget_shift, 0, INT16_MIN, INT16_MAX);
        const int32_t added =
            mul_q(input[i], cellg[i], q->input_mult, q->input_shift, 0, INT16_MIN, INT16_MAX);
        int32_t c = edge_clamp32(kept + added, INT16_MIN, INT16_MAX);
        if (q->cell_clip > 0)
            c = edge_clamp32(c, -q->cell_clip, q->cell_clip);
        cell[i] = (int16_t)c;
    }
    int16_t *outg = input, *tanh_c = forget;
    gate_q(st, EDGE_LSTM_OUTPUT_GATE, outg, tmp);
    tanh_cell(q->cell_scale_power, cell, tanh_c, n);
    for (size_t i = 0; i < n; i++) {
        if (st->s16)
            ((int16_t *)st->hidden)[i] =
                (int16_t)mul_q(tanh_c[i], outg[i], q->hidden_mult, q->hidden_shift, p->hidden_zp,
                               INT16_MIN, INT16_MAX);
        else
            ((int8_t *)st->hidden)[i] =
                (int8_t)mul_q(tanh_c[i], outg[i], q->hidden_mult, q->hidden_shift, p->hidden_zp,
                              INT8_MIN, INT8_MAX);
    }
    memcpy(out, st->hidden, n * (st->s16 ? 2 : 1));
}

static void lstm_q(const edge_lstm_q_params *p, bool s16, const void *in, void *hidden,
                   int16_t *cell, void *out, int16_t *scratch)
{
    const edge_lstm_shape *s = &p->s;
    const size_t es = s16 ? 2 : 1, in_step = (size_t)s->input * es, st = (size_t)s->state;
    const uint8_t *x = in;
    uint8_t *h = hidden, *y = out;
    if (s->time_major) {
        const q_step one = {p, s16, NULL, hidden, cell, s->batch};
        for (int32_t t = 0; t < s->steps; t++) {
            q_step at = one;
            at.in = x + (size_t)t * (size_t)s->batch * in_step;
            step_q(&at, y + (size_t)t * (size_t)s->batch * st * es, scratch);
        }
        return;
    }
    for (int32_t b = 0; b < s->batch; b++)
        for (int32_t t = 0; t < s->steps; t++) {
            const size_t k = (size_t)b * (size_t)s->steps + (size_t)t;
            const q_step at = {
                p, s16, x + k * in_step, h + (size_t)b * st * es, cell + (size_t)b * st, 1};
            step_q(&at, y + k * st * es, scratch);
        }
}

void edge_ref_lstm_s8(const edge_lstm_q_params *p, const int8_t *in, int8_t *hidden, int16_t *cell,
                      int8_t *out, int16_t *scratch)
{
    lstm_q(p, false, in, hidden, cell, out, scratch);
}

void edge_ref_lstm_s16(const edge_lstm_q_params *p, const int16_t *in, int16_t *hidden,
                       int16_t *cell, int16_t *out, int16_t *scratch)
{
    lstm_q(p, true, in, hidden, cell, out, scratch);
}

/* ---- float ---- */

/* reference_ops::FullyConnected (no activation: the float range clamps only infinities). */
static void fc_f32(const float *in, const float *w, const float *bias, int32_t rows, int32_t depth,
                   int32_t units, float *out)
{
    for (int32_t r = 0; r < rows; r++) {
        const float *x = in + (size_t)r * (size_t)depth;
        for (int32_t c = 0; c < units; c++) {
            const float *wc = w + (size_t)c * (size_t)depth;
            float total = 0.0f;
            for (int32_t d = 0; d < depth; d++)
                total += x[d] * wc[d];
            const float v = total + (bias ? bias[c] : 0.0f);
            out[(size_t)r * (size_t)units + (size_t)c] = fminf(fmaxf(v, -FLT_MAX), FLT_MAX);
        }
    }
}

static float clampf_max(float v)
{
    return fminf(fmaxf(v, -FLT_MAX), FLT_MAX);
}

static void gate_f32(const edge_lstm_f32_params *p, int g, const float *in, const float *hidden,
                     int32_t rows, float *out, float *tmp)
{
    const edge_lstm_shape *s = &p->s;
    const size_t n = (size_t)rows * (size_t)s->state;
    fc_f32(in, p->in_w[g], p->bias[g], rows, s->input, s->state, out);
    fc_f32(hidden, p->rec_w[g], NULL, rows, s->state, s->state, tmp);
    for (size_t i = 0; i < n; i++)
        out[i] += tmp[i];
    if (g == EDGE_LSTM_CELL_GATE)
        edge_ref_tanh_f32(out, out, n);
    else
        edge_ref_logistic_f32(out, out, n);
}

static void step_f32(const edge_lstm_f32_params *p, const float *in, float *hidden, float *cell,
                     float *out, int32_t rows, float *scratch)
{
    const size_t n = (size_t)rows * (size_t)p->s.state;
    float *forget = scratch, *input = scratch + n, *cellg = scratch + 2 * n, *tmp = scratch + 3 * n;
    gate_f32(p, EDGE_LSTM_FORGET_GATE, in, hidden, rows, forget, tmp);
    gate_f32(p, EDGE_LSTM_INPUT_GATE, in, hidden, rows, input, tmp);
    gate_f32(p, EDGE_LSTM_CELL_GATE, in, hidden, rows, cellg, tmp);
    for (size_t i = 0; i < n; i++) {
        float c = clampf_max(forget[i] * cell[i]);
        c += clampf_max(input[i] * cellg[i]);
        if (p->cell_clip > 0.0f)
            c = fmaxf(fminf(p->cell_clip, c), -p->cell_clip);
        cell[i] = c;
    }
    float *outg = input, *tanh_c = forget;
    gate_f32(p, EDGE_LSTM_OUTPUT_GATE, in, hidden, rows, outg, tmp);
    edge_ref_tanh_f32(cell, tanh_c, n);
    for (size_t i = 0; i < n; i++)
        hidden[i] = clampf_max(tanh_c[i] * outg[i]);
    memcpy(out, hidden, n * sizeof *out);
}

void edge_ref_lstm_f32(const edge_lstm_f32_params *p, const float *in, float *hidden, float *cell,
                       float *out, float *scratch)
{
    const edge_lstm_shape *s = &p->s;
    const size_t in_step = (size_t)s->input, st = (size_t)s->state;
    if (s->time_major) {
        for (int32_t t = 0; t < s->steps; t++)
            step_f32(p, in + (size_t)t * (size_t)s->batch * in_step, hidden, cell,
                     out + (size_t)t * (size_t)s->batch * st, s->batch, scratch);
        return;
    }
    for (int32_t b = 0; b < s->batch; b++)
        for (int32_t t = 0; t < s->steps; t++) {
            const size_t at = (size_t)b * (size_t)s->steps + (size_t)t;
            step_f32(p, in + at * in_step, hidden + (size_t)b * st, cell + (size_t)b * st,
                     out + at * st, 1, scratch);
        }
}
