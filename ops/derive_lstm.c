/* ops/derive_lstm.c - the integer parameters of UNIDIRECTIONAL_SEQUENCE_LSTM.
 *
 * Owns: edge_lstm_quant_params, the derivation TensorFlow Lite Micro's lstm_eval_common.cc
 * makes for its 8x8->16 LSTM (PrepareGateParametersInteger, CreateInterGateMulParams,
 * CreateLstmCellStateInfo): every gate's input and recurrent fully connected layers rescale
 * to the gates' fixed Q3.12 input (scale 2^-12) as a per-tensor FULLY_CONNECTED does, the
 * element-wise products rescale from the sigmoid/tanh outputs' Q0.15 (2^-15), and the cell
 * state's scale is taken as the nearest power of two. Pure: no tensors, no allocation. Does
 * not own the tensor checks (backends/cpu/op_lstm.c) or the arithmetic (kernels/ref/lstm.c). */
#include <math.h>

#include "edge/ops.h"
#include "seterr.h"

#define GATE_INPUT_SCALE 0.000244140625f     /* 2^-12: Q3.12, the sigmoid/tanh input */
#define GATE_OUTPUT_SCALE 0.000030517578125f /* 2^-15: Q0.15, the sigmoid/tanh output */

/* The cell state's scale power as TFLM's CheckedLog2 rounds it (in float). Bounded so that
 * the tanh of the cell state (shift 12 + power) neither overflows nor shifts by 32 or more. */
static int cell_power(float scale, int32_t *power, edge_error *err)
{
    const float l2 = logf(scale) * (1.0f / logf(2.0f));
    const float r = roundf(l2);
    if (!(r >= -43.0f && r <= 2.0f))
        return edge__seterr(err, EDGE_ERANGE,
                            "cell state scale %g is outside 2^-43 .. 2^2 (its power of two sets "
                            "the tanh's input shift)",
                            (double)scale);
    *power = (int32_t)r;
    return 0;
}

/* One gate's two fully connected layers: the per-tensor legacy FULLY_CONNECTED multiplier
 * (GetQuantizedConvolutionMultipler without a bias: TFLM passes none to the check). */
static int fc_mult(float in_scale, float w_scale, int32_t *mult, int32_t *shift, edge_error *err)
{
    const edge_conv_scales s = {.input = in_scale,
                                .output = GATE_INPUT_SCALE,
                                .filter = &w_scale,
                                .filter_count = 1,
                                .legacy = true};
    return edge_conv_multipliers(&s, 1, mult, shift, err);
}

int edge_lstm_quant_params(const edge_lstm_scales *s, edge_lstm_quant *q, edge_error *err)
{
    *q = (edge_lstm_quant){0};
    int rc = 0;
    for (int g = 0; g < 4 && !rc; g++) {
        rc = fc_mult(s->input, s->in_w[g], &q->in_mult[g], &q->in_shift[g], err);
        if (!rc)
            rc = fc_mult(s->hidden, s->rec_w[g], &q->rec_mult[g], &q->rec_shift[g], err);
    }
    if (!rc)
        rc = edge_mul_multiplier(GATE_OUTPUT_SCALE, s->cell, s->cell, &q->forget_mult,
                                 &q->forget_shift, err);
    if (!rc)
        rc = edge_mul_multiplier(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, s->cell, &q->input_mult,
                                 &q->input_shift, err);
    if (!rc)
        rc = edge_mul_multiplier(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, s->hidden, &q->hidden_mult,
                                 &q->hidden_shift, err);
    if (!rc)
        rc = cell_power(s->cell, &q->cell_scale_power, err);
    if (rc)
        return rc;
    if (!(s->cell_clip >= 0.0f))
        return edge__seterr(err, EDGE_ERANGE, "cell_clip %g is negative", (double)s->cell_clip);
    double clip = (double)s->cell_clip / (double)s->cell;
    clip = clip < -32768.0 ? -32768.0 : (clip > 32767.0 ? 32767.0 : clip);
    q->cell_clip = (int16_t)clip;
    return 0;
}
