/* tests/install/use_ops.c - a program that knows libedge only as installed.
 *
 * Owns: calling a few of edge/ops.h's derivations (and one edge/runtime.h function) through
 * the installed headers and libedge.so, as a program outside the tree would: a window's output
 * size and padding, a fused activation's quantized range, a requantization multiplier and
 * numpy broadcasting, each checked against TFLite's figure. check-installed.py builds it with
 * pkg-config's flags only. Does not own the install (meson.build). */
#include <edge/ops.h>
#include <edge/runtime.h>
#include <stdio.h>
#include <string.h>

static int fails;

static void expect(int ok, const char *what)
{
    if (!ok) {
        printf("FAIL: %s\n", what);
        fails++;
    }
}

int main(void)
{
    edge_error err = {0};
    int32_t out = 0, pad = -1;
    /* SAME padding, 224 wide, 3 taps, stride 2: 112 out, 0 before (TFLite pads 1 after) */
    expect(edge_window_out_size(EDGE_PAD_SAME, "width", 224, 3, 2, 1, &out, &pad, &err) == 0 &&
               out == 112 && pad == 0,
           "edge_window_out_size(SAME, 224, 3, 2)");
    int32_t lo = 0, hi = 0;
    /* RELU6 on int8 with scale 6/255 and zero point -128: [-128, 127] */
    expect(edge_act_range_q(EDGE_ACT_RELU6, EDGE_INT8, 6.0f / 255.0f, -128, &lo, &hi, &err) == 0 &&
               lo == -128 && hi == 127,
           "edge_act_range_q(RELU6, int8)");
    int32_t mult = 0, shift = 0;
    /* 0.5 is 2^30 with shift 0 (QuantizeMultiplier) */
    expect(edge_requant_multiplier(0.5, "test", &mult, &shift, &err) == 0 && mult == (1 << 30) &&
               shift == 0,
           "edge_requant_multiplier(0.5)");
    const int32_t a[] = {4, 1, 3}, b[] = {5, 1};
    int32_t shape[EDGE_MAX_DIMS] = {0};
    int rank = 0;
    expect(edge_broadcast_shape(a, 3, b, 2, shape, &rank, &err) == 0 && rank == 3 &&
               shape[0] == 4 && shape[1] == 5 && shape[2] == 3,
           "edge_broadcast_shape([4,1,3], [5,1])");
    expect(strcmp(edge_op_name(EDGE_OP_CONV_2D), "CONV_2D") == 0, "edge_op_name(CONV_2D)");
    if (err.message[0])
        printf("last message: %s\n", err.message);
    printf("%s\n", fails ? "FAILED" : "ok: edge/ops.h through the installed libedge.so");
    return fails ? 1 : 0;
}
