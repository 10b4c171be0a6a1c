/* kernels/x86/lut_x86.h - the x86 8-bit table-lookup kernels (contract in qs8.h, lut8 section).
 *
 * Owns: the declarations the x86 kernel tables and the tests use. Each kernel
 * is compiled with its level's flags only: call it only when dispatch picked
 * its level. Does not own the kernels' code (lut_avx2.c, lut_avx512.c). */
#ifndef EDGE_X86_LUT_X86_H
#define EDGE_X86_LUT_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qs8.h"

/* Level avx2: 16 vpshufb on the low nibble, a vpblendvb tree on the high one (lut_avx2.c). */
void edge_lut8__avx2(size_t n, const uint8_t *in, uint8_t *out, const uint8_t lut[256]);

/* Level avx512vnni: two vpermi2b and a byte blend per 64 bytes when the CPU has
 * AVX512_VBMI (Ice Lake, Zen 4/5), edge_lut8__avx2 when it does not (Cascade
 * Lake has VNNI without VBMI): lut_avx512.c. */
void edge_lut8__avx512(size_t n, const uint8_t *in, uint8_t *out, const uint8_t lut[256]);
/* The VBMI path alone (tests): call only when edge_lut8_has_vbmi(). */
void edge_lut8__avx512vbmi(size_t n, const uint8_t *in, uint8_t *out, const uint8_t lut[256]);
bool edge_lut8_has_vbmi(void);

#endif
