/* kernels/x86/table_avx512vnni.c - the kernel table of level avx512vnni (see dispatch.h).
 *
 * Owns: which micro-kernel of this level serves each operation, with its tile
 * sizes. A NULL entry sends that operation to the reference kernels.
 * Does not own the kernels (the other files of this folder). */
#include "dispatch.h"

const edge_kernels edge_kernels_avx512vnni = {
    .isa = EDGE_ISA_AVX512VNNI,
    .name = "avx512vnni",
};
