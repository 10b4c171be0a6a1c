/* backends/vulkan/shaders/edge_dot.glsl - one row of a matrix product: N int8 inputs
 * against N packed int8 weights.
 *
 * Owns: edge_dot_row, the inner loop of CONV_2D (one filter tap) and
 * FULLY_CONNECTED (one output unit). The weights (w_data) are packed at prepare
 * four to a word with the row padded to a multiple of 4 with zeros. Dot flavour:
 * sum of x * w with OpSDot; the caller adds input_offset * sum(w), which equals
 * the reference's sum of (x + input_offset) * w in wrapping 32-bit arithmetic.
 * Fallback: the reference's sum of (x + input_offset) * w directly.
 * Needs x_data (edge_load.glsl), w_data and pc.in_off from the including kernel. */
int edge_dot_row(uint xb, uint wb, int n)
{
    int acc = 0;
    for (int c = 0; c < n; c += 4) {
        uint xw = edge_x4(xb + uint(c));
        uint ww = w_data[wb + uint(c >> 2)];
#ifdef EDGE_DOT
        acc += edge_sdot4(xw, ww);
#else
        acc += edge_mac4(xw, ww, pc.in_off);
#endif
    }
    return acc;
}

/* The reference's requantization of one output channel C of N: bias, multiplier,
 * shift from the node's parameter buffer (bias[N], mult[N], shift[N], ...),
 * output zero point, fused activation clamp. */
int edge_output(int acc, int c, int n)
{
    acc += p_data[c];
    int v = edge_mbqm(acc, p_data[n + c], p_data[2 * n + c]) + pc.out_off;
    return clamp(v, pc.act_min, pc.act_max);
}
