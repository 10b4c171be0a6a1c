/* kernels/x86/f32_avx2.c - the float32 kernels of kernels/f32.h at the AVX2 level (8 lanes).
 * Owns: their AVX2 instantiation; the code is kernels/generic's. */
#define F32_LANES 8

#define F32_SFX __avx2
#include "generic/f32_dw_impl.h"
#include "generic/f32_tconv_impl.h"
#include "generic/f32_eltwise_impl.h"
#include "generic/bilinear_impl.h"
#include "generic/fft_impl.h"
#include "generic/pool_impl.h"
#include "generic/f32_sparse_impl.h"
