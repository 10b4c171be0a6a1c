/* kernels/x86/qs8_avxvnni.h - the kernels of level avxvnni, in both encodings.
 *
 * Owns: the declarations of the avxvnni kernels (qs8_gemm_avxvnni.c), their tile sizes, and the one
 * macro that picks vpdpbusd's encoding. Every avxvnni source is compiled twice (meson.build): with
 * -mavxvnni, vpdpbusd VEX-encoded on ymm (symbols and names __avxvnni: Alder Lake-N, Raptor Lake,
 * Zen 5), and with EDGE_AVXVNNI_EVEX defined and -mavx512vnni -mavx512vl, the same instruction
 * EVEX-encoded on ymm (symbols and names __avxvnni_evex), so that a CPU with AVX-512 VNNI but no
 * AVX-VNNI (Zen 4, Ice Lake) runs and tests the same algorithm. dispatch.c picks the table. Does
 * not own the kernels of other levels the tables reuse (qs8_x86.h). */
#ifndef EDGE_X86_QS8_AVXVNNI_H
#define EDGE_X86_QS8_AVXVNNI_H

#include <stddef.h>
#include <stdint.h>

#include "qs8.h"

/* The GEMM tile (table's gemm, igemm and gemm_u8 entries): 6 rows by 2 ymm of channels
 * (12 accumulators, 2 weight vectors and a broadcast: 15 of the 16 VEX registers). */
#define EDGE_GEMM_AVXVNNI_MR 6
#define EDGE_GEMM_AVXVNNI_NR 16
#define EDGE_GEMM_AVXVNNI_KR 4
#define EDGE_GEMM_AVXVNNI_A_BIAS 128

#ifdef EDGE_AVXVNNI_EVEX
#define EDGE_AVXVNNI_FN(name) name##__avxvnni_evex
#define EDGE_AVXVNNI_NAME(name) name "__avxvnni_evex"
#else
#define EDGE_AVXVNNI_FN(name) name##__avxvnni
#define EDGE_AVXVNNI_NAME(name) name "__avxvnni"
#endif

/* acc += dot4(u8 a, s8 w) per int32 lane, in place (gcc 12 copies the accumulator
 * around the intrinsic in unrolled loops). VEX: xmm0-15 only; EVEX: any. */
#ifdef EDGE_AVXVNNI_EVEX
#define EDGE_DPBUSD256(acc, a, w) __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "vm"(w))
#else
#define EDGE_DPBUSD256(acc, a, w) \
    __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(a), "xm"(w))
#endif

void EDGE_AVXVNNI_FN(edge_qs8_gemm_6x16c4)(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                           size_t a_stride, const void *w, int8_t *c,
                                           size_t c_stride, const edge_qs8_out *o);
void EDGE_AVXVNNI_FN(edge_qs8_gemm_rows_6x16c4)(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                                size_t a_stride, const void *w, int8_t *c,
                                                size_t c_stride, const edge_qs8_out *o);
void EDGE_AVXVNNI_FN(edge_qs8_igemm_6x16c4)(size_t mr, size_t nc, size_t taps, size_t tc,
                                            const int8_t *const *ptrs, const void *w, int8_t *c,
                                            size_t c_stride, const edge_qs8_out *o);
void EDGE_AVXVNNI_FN(edge_qs8_igemm_off_6x16c4)(size_t mr, size_t nc, size_t taps, size_t tc,
                                                const int8_t *const *rows, const ptrdiff_t *off,
                                                const void *w, int8_t *c, size_t c_stride,
                                                const edge_qs8_out *o);
void EDGE_AVXVNNI_FN(edge_qs8_gemm_u8_6x16c4)(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                              size_t a_stride, const void *w, int32_t b,
                                              int32_t kzx, uint8_t *c, size_t c_stride,
                                              const edge_qs8_out *o);
/* Its form over any number of rows (dispatch.h's gemm_u8.rows). */
void EDGE_AVXVNNI_FN(edge_qs8_gemm_u8_rows_6x16c4)(size_t mr, size_t nc, size_t kc,
                                                   const uint8_t *a, size_t a_stride, const void *w,
                                                   int32_t b, int32_t kzx, uint8_t *c,
                                                   size_t c_stride, const edge_qs8_out *o);

#endif
