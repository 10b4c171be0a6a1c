/* kernels/x86/dot16_avx2.c - the 16x8 dot product (kernels/dot16.h) at the avx2 level.
 * Owns: its instantiation; the code is kernels/generic/dot16_impl.h's. */
#define DOT16_SFX __avx2
#include "generic/dot16_impl.h"
