#version 450
/* backends/vulkan/shaders/requant_test.comp - the requantization routines on raw int32
 * triples, for the test suite.
 *
 * Owns: the kernel behind the test-only CUSTOM operator EDGE_VK_REQUANT_TEST
 * (claimed only with the init option test_ops = yes): for each row (x, m, shift)
 * of an int32 [N, 3] input it writes (edge_mbqm(x, m, shift), edge_srdhm(x, m),
 * edge_rdbpot(x, clamp(-shift, 0, 31))), so tests can compare every bit of the
 * shaders' fixed-point arithmetic, in both flavours, with kernels/ref/requant.h.
 * Bindings: 0 output, 1 input (int32). */
#extension GL_GOOGLE_include_directive : require
#include "edge_header.glsl"

layout(push_constant) uniform Push {
    int n_inv, gx, total;
} pc;

layout(std430, set = 0, binding = 0) writeonly buffer Out { int o_data[]; };
layout(std430, set = 0, binding = 1) readonly buffer In { int x_data[]; };

#include "edge_requant.glsl"

void main()
{
    uint t = gl_GlobalInvocationID.y * uint(pc.gx) + gl_GlobalInvocationID.x;
    if (t >= uint(pc.n_inv))
        return;
    int x = x_data[3u * t], m = x_data[3u * t + 1u], s = x_data[3u * t + 2u];
    o_data[3u * t] = edge_mbqm(x, m, s);
    o_data[3u * t + 1u] = edge_srdhm(x, m);
    o_data[3u * t + 2u] = edge_rdbpot(x, clamp(-s, 0, 31));
}
