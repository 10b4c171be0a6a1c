/* backends/vulkan/shaders/edge_header.glsl - what every edged compute kernel starts with.
 *
 * Owns: the two flavours of the kernels. Both read int8 tensors as 32-bit words
 * (byte i of a tensor is bits 8*(i%4) of word i/4, little endian as the host
 * writes them; edge_load.glsl). Built as is, a kernel is the "fallback" flavour:
 * every invocation writes one whole output word (four elements), so Vulkan 1.1
 * compute is all it needs. Built with -DEDGE_DOT (regen-dot.sh, which then puts
 * OpSDot into edge_sdot4), it is the "dot" flavour: the output is an int8_t array
 * (storageBuffer8BitAccess) and every invocation writes one element.
 * 64 invocations per workgroup; a dispatch is at most 2-D (see edge_main.glsl).
 * Does not own any arithmetic (edge_requant.glsl) or any operator. */
#ifdef EDGE_DOT
#extension GL_EXT_shader_8bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#define EDGE_ACT int8_t
#else
#define EDGE_ACT uint
#endif

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;
