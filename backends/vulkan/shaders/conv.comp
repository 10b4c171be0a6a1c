#version 450
/* backends/vulkan/shaders/conv.comp - CONV_2D, int8 per-channel (TFLite Micro's ConvPerChannel).
 *
 * Owns: one output element (oc fastest, NHWC) per edge_compute call: the filter
 * window with strides, dilations and top/left padding, taps outside the input
 * skipped (not read as zero point), bias, requantization, clamp; both flavours.
 * Bindings: 0 output, 1 input, 2 weights [out_c][k_h][k_w][cw] words of 4 x int8
 * (input channels padded to 4 with zeros), 3 int32 parameters: bias[out_c],
 * mult[out_c], shift[out_c], then (dot flavour) the sum of each tap's weights
 * [out_c][k_h][k_w]. Push constants: vk_ops.c plan_conv, in this order. */
#extension GL_GOOGLE_include_directive : require
#include "edge_header.glsl"

layout(push_constant) uniform Push {
    int n_inv, gx, total;
    int in_h, in_w, in_c, out_h, out_w, out_c;
    int k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    int in_off, out_off, act_min, act_max;
    int cw; /* weight words per tap */
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
    int oc = int(g % uint(pc.out_c));
    uint p = g / uint(pc.out_c);
    int ox = int(p % uint(pc.out_w));
    p /= uint(pc.out_w);
    int oy = int(p % uint(pc.out_h));
    int b = int(p / uint(pc.out_h));
    int y0 = oy * pc.stride_h - pc.pad_h;
    int x0 = ox * pc.stride_w - pc.pad_w;
    int acc = 0;
    for (int fy = 0; fy < pc.k_h; fy++) {
        int iy = y0 + pc.dil_h * fy;
        if (iy < 0 || iy >= pc.in_h)
            continue;
        for (int fx = 0; fx < pc.k_w; fx++) {
            int ix = x0 + pc.dil_w * fx;
            if (ix < 0 || ix >= pc.in_w)
                continue;
            int tap = (oc * pc.k_h + fy) * pc.k_w + fx;
            uint xb = uint(((b * pc.in_h + iy) * pc.in_w + ix) * pc.in_c);
            acc += edge_dot_row(xb, uint(tap * pc.cw), pc.in_c);
#ifdef EDGE_DOT
            acc += pc.in_off * p_data[3 * pc.out_c + tap];
#endif
        }
    }
    return edge_output(acc, oc, pc.out_c);
}

#include "edge_main.glsl"
