/* kernels/arm/table_neondot.c - the kernel table of level neondot (see dispatch.h).
 *
 * Owns: which micro-kernel of this level serves each operation, with its tile
 * sizes. A NULL entry sends that operation to the reference kernels.
 * Does not own the kernels (the other files of this folder). */
#include "dispatch.h"

const edge_kernels edge_kernels_neondot = {
    .isa = EDGE_ISA_NEONDOT,
    .name = "neondot",
};
