/* kernels/arm/dot16_neon.c - the 16x8 dot product (kernels/dot16.h) at the neon level, aarch64
 * or armv7 NEON, and the 16x8 depthwise pixel (edge_dw16x8__neon). Owns: their instantiation; the
 * code is kernels/generic/dot16_impl.h's and gemm16_out.h's. */
#define DOT16_SFX __neon
#include "generic/dot16_impl.h"
#include "generic/gemm16_out.h"

EDGE_DW16_DEFINE(edge_dw16x8__neon)
