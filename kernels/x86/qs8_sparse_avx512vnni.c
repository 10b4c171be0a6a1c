/* kernels/x86/qs8_sparse_avx512vnni.c - the sparse int8 kernel (kernels/sparse.h) at level
 * avx512vnni. Owns: its instantiation; the code is kernels/generic/qs8_sparse_impl.h's. */
#define SPARSE_SFX avx512vnni
#include "generic/qs8_sparse_impl.h"
