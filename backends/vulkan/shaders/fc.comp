#version 450
/* backends/vulkan/shaders/fc.comp - FULLY_CONNECTED, int8 (TFLite Micro's FullyConnected and
 * FullyConnectedPerChannel).
 *
 * Owns: one output element (unit fastest) per edge_compute call: the dot
 * product of an input row with a weight row, bias, requantization, clamp.
 * Bindings: 0 output, 1 input [batches][depth], 2 weights [units][cw] words
 * (rows padded to 4 with zeros), 3 int32 parameters bias[units], mult[units],
 * shift[units], then (dot flavour) each row's weight sum [units].
 * Push constants: vk_ops.c plan_fc, in this order. */
#extension GL_GOOGLE_include_directive : require
#include "edge_header.glsl"

layout(push_constant) uniform Push {
    int n_inv, gx, total;
    int depth, units, cw;
    int in_off, out_off, act_min, act_max;
} pc;

layout(std430, set = 0, binding = 0) writeonly buffer Out { EDGE_ACT o_data[]; };
layout(std430, set = 0, binding = 1) readonly buffer In { uint x_data[]; };
layout(std430, set = 0, binding = 2) readonly buffer Weights { uint w_data[]; };
layout(std430, set = 0, binding = 3) readonly buffer Params { int p_data[]; };

#include "edge_requant.glsl"
#include "edge_load.glsl"
#include "edge_dot.glsl"

int edge_compute(uint g)
{
    uint u = g % uint(pc.units);
    uint b = g / uint(pc.units);
    int acc = edge_dot_row(b * uint(pc.depth), u * uint(pc.cw), pc.depth);
#ifdef EDGE_DOT
    acc += pc.in_off * p_data[3 * pc.units + int(u)];
#endif
    return edge_output(acc, int(u), pc.units);
}

#include "edge_main.glsl"
