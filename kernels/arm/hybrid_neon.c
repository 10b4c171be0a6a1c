/* kernels/arm/hybrid_neon.c - the hybrid convolutions' integer parts (kernels/hybrid_fast.h) at
 * the neon level (aarch64 and armv7; level neondot's too). Owns: their instantiation; the code is
 * kernels/generic/hybrid_impl.h's. Tiles of 4 rows by 4 channels in aarch64's 32 vector
 * registers, 2 rows in armv7's 16. */
#define HYB_SFX __neon
#if defined(__aarch64__)
#define HYB_MR 4
#else
#define HYB_MR 2
#endif
#define HYB_FLOATS 4
#include "generic/hybrid_impl.h"
