/* kernels/x86/qs8_binary_x86.h - the x86 elementwise binary kernels (contract: qs8.h).
 *
 * Owns: the declarations of qs8_binary_avx2.c and qs8_binary_avx512.c for the kernel tables
 * and the tests.
 * Each is compiled with its level's flags only: call it only when dispatch picked
 * its level. Does not own the kernels' code or the tables. */
#ifndef EDGE_X86_QS8_BINARY_X86_H
#define EDGE_X86_QS8_BINARY_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qs8.h"

#define EDGE_QS8_BINARY_DECL(op, isa)                                                      \
    void edge_qs8_##op##_bin__##isa(size_t n, const int8_t *a, size_t as, const int8_t *b, \
                                    size_t bs, int8_t *out, const edge_qs8_binary_params *p);

/* qs8_binary_avx2.c */
EDGE_QS8_BINARY_DECL(add, avx2)
EDGE_QS8_BINARY_DECL(sub, avx2)
EDGE_QS8_BINARY_DECL(mul, avx2)
EDGE_QS8_BINARY_DECL(max, avx2)
EDGE_QS8_BINARY_DECL(min, avx2)
EDGE_QS8_BINARY_DECL(sqd, avx2)
/* qs8_binary_avx512.c (the avx512vnni table) */
EDGE_QS8_BINARY_DECL(add, avx512)
EDGE_QS8_BINARY_DECL(sub, avx512)
EDGE_QS8_BINARY_DECL(mul, avx512)
EDGE_QS8_BINARY_DECL(max, avx512)
EDGE_QS8_BINARY_DECL(min, avx512)
EDGE_QS8_BINARY_DECL(sqd, avx512)

/* 16x8 (qs8.h: edge_q16_binary_fn, edge_q16_map_fn) */
#define EDGE_Q16_ELTWISE_DECL(isa)                                                          \
    void edge_q16_add_bin__##isa(size_t n, const int16_t *a, size_t as, const int16_t *b,   \
                                 size_t bs, int16_t *out, const edge_qs8_binary_params *p); \
    void edge_q16_sub_bin__##isa(size_t n, const int16_t *a, size_t as, const int16_t *b,   \
                                 size_t bs, int16_t *out, const edge_qs8_binary_params *p); \
    void edge_q16_map__##isa(size_t n, const void *in, bool in32, void *out, bool out8,     \
                             const edge_q16_map_params *p);
EDGE_Q16_ELTWISE_DECL(avx2)
EDGE_Q16_ELTWISE_DECL(avx512)

#endif
