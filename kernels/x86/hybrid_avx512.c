/* kernels/x86/hybrid_avx512.c - the hybrid convolutions' integer parts (kernels/hybrid_fast.h) at
 * the avx512vnni level. Owns: their instantiation; the code is kernels/generic/hybrid_impl.h's.
 * 32 zmm registers: tiles of 4 rows by 4 channels. */
#define HYB_SFX __avx512vnni
#define HYB_MR 4
#define HYB_FLOATS 16
#include "generic/hybrid_impl.h"
