/* kernels/arm/table_neon.c - the kernel table of level neon (see dispatch.h).
 *
 * Owns: which micro-kernel of this level serves each operation, with its tile
 * sizes. A NULL entry sends that operation to the reference kernels.
 * Does not own the kernels (the other files of this folder). */
#include "dispatch.h"

const edge_kernels edge_kernels_neon = {
    .isa = EDGE_ISA_NEON,
    .name = "neon",
};
