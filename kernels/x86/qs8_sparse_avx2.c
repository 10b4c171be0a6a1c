/* kernels/x86/qs8_sparse_avx2.c - the sparse int8 kernel (kernels/sparse.h) at level avx2.
 * Owns: its instantiation; the code is kernels/generic/qs8_sparse_impl.h's. */
#define SPARSE_SFX avx2
#include "generic/qs8_sparse_impl.h"
