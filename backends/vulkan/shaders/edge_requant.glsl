/* backends/vulkan/shaders/edge_requant.glsl - TFLite's fixed-point requantization in 32-bit
 * integers only.
 *
 * Owns: gemmlowp's SaturatingRoundingDoublingHighMul and RoundingDivideByPOT and
 * TFLite's MultiplyByQuantizedMultiplier, equal bit for bit to edge_srdhm,
 * edge_rdbpot and edge_mbqm (kernels/ref/requant.h) for every input, without
 * 64-bit integers (the Raspberry Pi's V3DV has no shaderInt64): imulExtended
 * gives the 64-bit product as two words and the rounding is done on the pair.
 * Signed overflow wraps (SPIR-V integer arithmetic is two's complement), as the
 * reference's does. Also owns the 4 x int8 dot products of the two flavours.
 * Does not own where multipliers come from (vk_ops.c derives them as the CPU does). */

/* round(a * b / 2^31), ties away from zero; INT32_MIN * INT32_MIN saturates. */
int edge_srdhm(int a, int b)
{
    if (a == b && a == int(0x80000000u))
        return int(0x7fffffffu);
    int hi, lo;
    imulExtended(a, b, hi, lo);
    /* nudge = ab >= 0 ? 2^30 : 1 - 2^30, as a 64-bit (hi, lo) pair */
    uint nudge_lo = hi >= 0 ? 0x40000000u : 0xc0000001u;
    int nudge_hi = hi >= 0 ? 0 : -1;
    uint carry;
    uint sum_lo = uaddCarry(uint(lo), nudge_lo, carry);
    int sum_hi = hi + nudge_hi + int(carry);
    /* floor(sum / 2^31): bits 31..62 of the pair */
    int q = int((uint(sum_hi) << 1) | (sum_lo >> 31));
    /* C division truncates toward zero: a negative sum with a remainder rounds up */
    if (sum_hi < 0 && (sum_lo & 0x7fffffffu) != 0u)
        q += 1;
    return q;
}

/* x / 2^e rounded to nearest, ties away from zero; 0 <= e <= 31. */
int edge_rdbpot(int x, int e)
{
    int mask = int((1u << uint(e)) - 1u);
    int remainder = x & mask;
    int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (remainder > threshold ? 1 : 0);
}

/* x * m * 2^shift with double rounding; m a Q31 multiplier, -31 <= shift <= 30. */
int edge_mbqm(int x, int m, int shift)
{
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    return edge_rdbpot(edge_srdhm(x << left, m), right);
}

#ifdef EDGE_DOT
/* Signed dot product of two words of 4 x int8. regen-dot.sh replaces this body
 * with one OpSDot (PackedVectorFormat4x8Bit) in the dot_*.spvasm it writes; this
 * plain version only keeps the GLSL compilable and says what OpSDot computes. */
int edge_sdot4(uint a, uint b)
{
    return bitfieldExtract(int(a), 0, 8) * bitfieldExtract(int(b), 0, 8) +
           bitfieldExtract(int(a), 8, 8) * bitfieldExtract(int(b), 8, 8) +
           bitfieldExtract(int(a), 16, 8) * bitfieldExtract(int(b), 16, 8) +
           bitfieldExtract(int(a), 24, 8) * bitfieldExtract(int(b), 24, 8);
}
#else
/* sum over the 4 lanes of (x + off) * w, x and w sign-extended from their bytes. */
int edge_mac4(uint x, uint w, int off)
{
    int xi = int(x), wi = int(w);
    return (bitfieldExtract(xi, 0, 8) + off) * bitfieldExtract(wi, 0, 8) +
           (bitfieldExtract(xi, 8, 8) + off) * bitfieldExtract(wi, 8, 8) +
           (bitfieldExtract(xi, 16, 8) + off) * bitfieldExtract(wi, 16, 8) +
           (bitfieldExtract(xi, 24, 8) + off) * bitfieldExtract(wi, 24, 8);
}
#endif
