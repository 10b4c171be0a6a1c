#version 450
/* backends/vulkan/shaders/dwconv.comp - DEPTHWISE_CONV_2D, int8 per-channel (TFLite Micro's
 * DepthwiseConvPerChannel).
 *
 * Owns: one output element per edge_compute call: output channel oc reads input
 * channel oc / depth_mult over the window (strides, dilations, padding skipped),
 * bias, requantization, clamp. Bindings: 0 output, 1 input, 2 weights
 * [out_c][tw] words: the k_h * k_w taps of a channel (t = fy * k_w + fx) four to
 * a word, padded with zeros, 3 int32 parameters bias[out_c], mult[out_c],
 * shift[out_c]. Dot flavour: four taps per OpSDot, plus one OpSDot of the
 * weights against a mask of the taps inside the input for the input-offset term.
 * Push constants: vk_ops.c plan_dwconv, in this order. */
#extension GL_GOOGLE_include_directive : require
#include "edge_header.glsl"

layout(push_constant) uniform Push {
    int n_inv, gx, total;
    int in_h, in_w, in_c, out_h, out_w, out_c;
    int k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    int in_off, out_off, act_min, act_max;
    int dm; /* depth multiplier */
    int tw; /* weight words per channel */
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
    int ic = oc / pc.dm;
    int y0 = oy * pc.stride_h - pc.pad_h;
    int x0 = ox * pc.stride_w - pc.pad_w;
    uint wb = uint(oc * pc.tw);
    int acc = 0;
#ifdef EDGE_DOT
    int taps = pc.k_h * pc.k_w;
    int wsum = 0;
    for (int t0 = 0; t0 < taps; t0 += 4) {
        uint xw = 0u, mw = 0u;
        for (int l = 0; l < 4 && t0 + l < taps; l++) {
            int t = t0 + l;
            int iy = y0 + pc.dil_h * (t / pc.k_w);
            int ix = x0 + pc.dil_w * (t % pc.k_w);
            if (iy < 0 || iy >= pc.in_h || ix < 0 || ix >= pc.in_w)
                continue;
            uint xi = uint(((b * pc.in_h + iy) * pc.in_w + ix) * pc.in_c + ic);
            xw |= (uint(edge_x8(xi)) & 0xffu) << (8 * l);
            mw |= 1u << (8 * l);
        }
        uint ww = w_data[wb + uint(t0 >> 2)];
        acc += edge_sdot4(xw, ww);
        wsum += edge_sdot4(mw, ww);
    }
    acc += pc.in_off * wsum;
#else
    for (int fy = 0; fy < pc.k_h; fy++) {
        int iy = y0 + pc.dil_h * fy;
        if (iy < 0 || iy >= pc.in_h)
            continue;
        for (int fx = 0; fx < pc.k_w; fx++) {
            int ix = x0 + pc.dil_w * fx;
            if (ix < 0 || ix >= pc.in_w)
                continue;
            int t = fy * pc.k_w + fx;
            int w = bitfieldExtract(int(w_data[wb + uint(t >> 2)]), (t & 3) * 8, 8);
            uint xi = uint(((b * pc.in_h + iy) * pc.in_w + ix) * pc.in_c + ic);
            acc += (edge_x8(xi) + pc.in_off) * w;
        }
    }
#endif
    return edge_output(acc, oc, pc.out_c);
}

#include "edge_main.glsl"
