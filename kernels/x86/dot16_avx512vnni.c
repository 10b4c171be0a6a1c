/* kernels/x86/dot16_avx512vnni.c - the 16x8 dot product (kernels/dot16.h) at the avx512vnni level.
 * Owns: its instantiation; the code is kernels/generic/dot16_impl.h's. */
#define DOT16_SFX __avx512vnni
#include "generic/dot16_impl.h"
