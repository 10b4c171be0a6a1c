/* kernels/peak.h - the machine's int8 multiply-accumulate peak per kernel level.
 *
 * Owns: the declaration of edge_peak_gops (kernels/peak.c), which runtime/isa.c exports as
 * edge_isa_peak_gops. Does not own the levels (dispatch.h). */
#ifndef EDGE_KERNELS_PEAK_H
#define EDGE_KERNELS_PEAK_H

#include "edge/runtime.h"

/* GOPS (2 operations per int8 multiply-accumulate, one core) of the instruction level ISA's int8
 * kernels are built on, measured the first time it is asked for (a few ms) and kept for the
 * process; EDGE_ISA_AUTO: the default level's. 0 when this build or CPU has no such level or no
 * loop for it (armv7 NEON). */
double edge_peak_gops(edge_isa isa);

#endif
