#version 450
/* backends/vulkan/shaders/avgpool.comp - AVERAGE_POOL_2D, int8 (TFLite Micro's
 * reference_integer_ops AveragePool).
 *
 * Owns: one output element (channel fastest) per edge_compute call: the window
 * clamped to the input (padding cells neither read nor counted), the sum
 * divided by the count rounding half away from zero, clamp. vk_ops.c bounds the
 * window so the sum cannot wrap, so the division is done on magnitudes (no
 * reliance on how signed division rounds). Bindings: 0 output, 1 input.
 * Push constants: vk_ops.c plan_avgpool. */
#extension GL_GOOGLE_include_directive : require
#include "edge_header.glsl"

layout(push_constant) uniform Push {
    int n_inv, gx, total;
    int in_h, in_w, ch, out_h, out_w;
    int k_h, k_w, stride_h, stride_w, pad_h, pad_w;
    int act_min, act_max;
} pc;

layout(std430, set = 0, binding = 0) writeonly buffer Out { EDGE_ACT o_data[]; };
layout(std430, set = 0, binding = 1) readonly buffer In { uint x_data[]; };

#include "edge_load.glsl"

int edge_compute(uint g)
{
    int c = int(g % uint(pc.ch));
    uint p = g / uint(pc.ch);
    int ox = int(p % uint(pc.out_w));
    p /= uint(pc.out_w);
    int oy = int(p % uint(pc.out_h));
    int b = int(p / uint(pc.out_h));
    int ys = oy * pc.stride_h - pc.pad_h;
    int xs = ox * pc.stride_w - pc.pad_w;
    int y0 = max(ys, 0), x0 = max(xs, 0);
    int y1 = min(ys + pc.k_h, pc.in_h), x1 = min(xs + pc.k_w, pc.in_w);
    int acc = 0, n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++, n++)
            acc += edge_x8(uint(((b * pc.in_h + y) * pc.in_w + x) * pc.ch + c));
    int avg = 0;
    if (n > 0) {
        uint half_n = uint(n / 2);
        if (acc > 0)
            avg = int((uint(acc) + half_n) / uint(n));
        else
            avg = -int((uint(-acc) + half_n) / uint(n));
    }
    return clamp(avg, pc.act_min, pc.act_max);
}

#include "edge_main.glsl"
