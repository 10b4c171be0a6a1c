/* backends/vulkan/shaders/edge_load.glsl - reading int8 values of the input tensor x_data.
 *
 * Owns: edge_x8 (one value, sign-extended) and edge_x4 (four consecutive bytes
 * from any byte offset, as a packed word). Both flavours read input tensors as
 * 32-bit words (byte i is bits 8*(i%4) of word i/4): fewer, wider loads than
 * 8-bit ones. Tensor regions end with a slack word (vk_partition.c), so edge_x4
 * may read the word after the last one; lanes past the tensor (or past the
 * caller's N) hold whatever is there, and the callers multiply them by the zero
 * weights the packing pads rows with. The including kernel declares x_data.
 * Does not own the output side (edge_main.glsl). */
int edge_x8(uint i)
{
    return bitfieldExtract(int(x_data[i >> 2]), int((i & 3u) << 3), 8);
}

uint edge_x4(uint i)
{
    uint w = i >> 2, sh = (i & 3u) << 3;
    uint lo = x_data[w];
    if (sh == 0u)
        return lo;
    return (lo >> sh) | (x_data[w + 1u] << (32u - sh));
}
