/* kernels/arm/lut_arm.h - the ARM 8-bit table-lookup kernel (contract in qs8.h, lut8 section).
 *
 * Owns: the declaration the ARM kernel tables and the tests use. One NEON
 * source (lut_neon.c) built for aarch64 (tbl/tbx on four q registers) or for
 * armv7 (vtbl/vtbx on four d registers). Does not own the kernel's code. */
#ifndef EDGE_ARM_LUT_ARM_H
#define EDGE_ARM_LUT_ARM_H

#include <stddef.h>
#include <stdint.h>

#include "qs8.h"

#if defined(__aarch64__) || defined(__arm__)
void edge_lut8__neon(size_t n, const uint8_t *in, uint8_t *out, const uint8_t lut[256]);
#endif

#endif
