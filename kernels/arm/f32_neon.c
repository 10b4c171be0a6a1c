/* kernels/arm/f32_neon.c - the float32 kernels of kernels/f32.h on aarch64 NEON (4 lanes).
 * Owns: their NEON instantiation; the code is kernels/generic's. aarch64 only: armv7 NEON
 * flushes denormals to zero, which the reference does not. */
#define F32_LANES 4

#define F32_SFX __neon
#include "generic/f32_dw_impl.h"
#include "generic/f32_tconv_impl.h"
#include "generic/f32_eltwise_impl.h"
#include "generic/bilinear_impl.h"
#include "generic/fft_impl.h"
#include "generic/pool_impl.h"
