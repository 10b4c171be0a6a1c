/* backends/vulkan/shaders/edge_main.glsl - the entry point of the int8 kernels.
 *
 * Owns: mapping an invocation to output elements and storing them. A dispatch is
 * groups_x x groups_y workgroups (vk_ops.c splits large ones along y), so the
 * invocation number is y * gx + x with gx = 64 * groups_x. Dot flavour: one
 * output byte per invocation. Fallback: one output word (four consecutive
 * elements of the flat NHWC output, each computed on its own) per invocation;
 * bytes past the tensor's end are written as 0 into the region's padding.
 * The including kernel declares pc (n_inv, gx, total first), o_data and
 * int edge_compute(uint element). */
uint edge_invocation()
{
    return gl_GlobalInvocationID.y * uint(pc.gx) + gl_GlobalInvocationID.x;
}

void main()
{
    uint t = edge_invocation();
    if (t >= uint(pc.n_inv))
        return;
#ifdef EDGE_DOT
    o_data[t] = int8_t(edge_compute(t));
#else
    uint word = 0u;
    for (uint e = 0u; e < 4u; e++) {
        uint g = t * 4u + e;
        if (g < uint(pc.total))
            word |= (uint(edge_compute(g)) & 0xffu) << (e * 8u);
    }
    o_data[t] = word;
#endif
}
