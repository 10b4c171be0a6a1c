/* kernels/arm/dot16_neon.c - the 16x8 dot product (kernels/dot16.h) at the neon level, aarch64
 * or armv7 NEON. Owns: its instantiation; the code is kernels/generic/dot16_impl.h's. */
#define DOT16_SFX __neon
#include "generic/dot16_impl.h"
