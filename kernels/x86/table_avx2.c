/* kernels/x86/table_avx2.c - the kernel table of level avx2 (see dispatch.h).
 *
 * Owns: which micro-kernel of this level serves each operation, with its tile
 * sizes. A NULL entry sends that operation to the reference kernels.
 * Does not own the kernels (the other files of this folder). */
#include "dispatch.h"

const edge_kernels edge_kernels_avx2 = {
    .isa = EDGE_ISA_AVX2,
    .name = "avx2",
};
