/* kernels/x86/hybrid_avx2.c - the hybrid convolutions' integer parts (kernels/hybrid_fast.h) at
 * the avx2 level (also level avxvnni's). Owns: their instantiation; the code is
 * kernels/generic/hybrid_impl.h's. 16 ymm registers: tiles of 2 rows by 4 channels. */
#define HYB_SFX __avx2
#define HYB_MR 2
#define HYB_FLOATS 8
#include "generic/hybrid_impl.h"
