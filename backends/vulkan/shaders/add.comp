#version 450
/* backends/vulkan/shaders/add.comp - ADD, int8, with numpy broadcasting up to rank 6 (TFLite
 * Micro's reference_integer_ops Add).
 *
 * Owns: one output element per edge_compute call: its input elements found
 * through the output's six extents (outermost first, leading 1s) and a bit per
 * dimension along which an input is broadcast (extent 1); both inputs shifted
 * left by 20 and rescaled, summed, rescaled to the output, offset, clamped.
 * Bindings: 0 output, 1 input a, 2 input b. Push constants: vk_ops.c plan_add. */
#extension GL_GOOGLE_include_directive : require
#include "edge_header.glsl"

layout(push_constant) uniform Push {
    int n_inv, gx, total;
    int dims[6];
    int a_bcast, b_bcast; /* bit k: the input has extent 1 along dims[k] */
    int a_off, b_off, out_off;
    int a_mult, a_shift, b_mult, b_shift, out_mult, out_shift;
    int act_min, act_max;
} pc;

layout(std430, set = 0, binding = 0) writeonly buffer Out { EDGE_ACT o_data[]; };
layout(std430, set = 0, binding = 1) readonly buffer InA { uint x_data[]; };
layout(std430, set = 0, binding = 2) readonly buffer InB { uint y_data[]; };

#include "edge_requant.glsl"
#include "edge_load.glsl"

int edge_y8(uint i)
{
    return bitfieldExtract(int(y_data[i >> 2]), int((i & 3u) << 3), 8);
}

/* TFLite's input and output rescaling (MultiplyByQuantizedMultiplierSmallerThanOneExp). */
int edge_mbqm_lt1(int x, int m, int shift)
{
    return edge_rdbpot(edge_srdhm(x, m), -shift);
}

int edge_compute(uint g)
{
    uint rem = g, ia = 0u, ib = 0u, sa = 1u, sb = 1u;
    for (int k = 5; k >= 0; k--) {
        uint d = uint(pc.dims[k]);
        uint i = rem % d;
        rem /= d;
        if ((pc.a_bcast & (1 << k)) == 0) {
            ia += i * sa;
            sa *= d;
        }
        if ((pc.b_bcast & (1 << k)) == 0) {
            ib += i * sb;
            sb *= d;
        }
    }
    /* left_shift is 20 for int8 ADD (TFLite Micro add_common.cc) */
    int sx = (edge_x8(ia) + pc.a_off) << 20;
    int sy = (edge_y8(ib) + pc.b_off) << 20;
    int raw = edge_mbqm_lt1(sx, pc.a_mult, pc.a_shift) + edge_mbqm_lt1(sy, pc.b_mult, pc.b_shift);
    int o = edge_mbqm_lt1(raw, pc.out_mult, pc.out_shift) + pc.out_off;
    return clamp(o, pc.act_min, pc.act_max);
}

#include "edge_main.glsl"
