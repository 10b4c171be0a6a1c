/* kernels/arm/lut_neon.c - 8-bit table lookup on NEON (contract in qs8.h, lut8 section).
 *
 * Owns: edge_lut8__neon. aarch64: the table is four 64-byte groups of four q
 * registers; tbl looks 16 inputs up in bytes 0..63 (0 past them) and three tbx
 * on the input minus 64, 128, 192 fill in the other groups (tbx leaves a byte
 * whose index is 64 or more as it is). armv7: the same with 32-byte groups of
 * four d registers, vtbl4 then seven vtbx4 on 8 inputs. A lookup is exact; the
 * tail goes through a buffer, so nothing past n is read or written. */
#include <arm_neon.h>
#include <string.h>

#include "arm/lut_arm.h"

#if defined(__aarch64__)

#define STEP 16

static inline uint8x16x4_t group(const uint8_t *p)
{
    uint8x16x4_t t;
    t.val[0] = vld1q_u8(p);
    t.val[1] = vld1q_u8(p + 16);
    t.val[2] = vld1q_u8(p + 32);
    t.val[3] = vld1q_u8(p + 48);
    return t;
}

typedef struct tables {
    uint8x16x4_t g[4];
} tables;

static inline void load_tables(tables *t, const uint8_t *lut)
{
    for (int k = 0; k < 4; k++)
        t->g[k] = group(lut + 64 * k);
}

static inline void lookup(const tables *t, const uint8_t *in, uint8_t *out)
{
    const uint8x16_t x = vld1q_u8(in), d = vdupq_n_u8(64);
    uint8x16_t y = vqtbl4q_u8(t->g[0], x);
    uint8x16_t i = vsubq_u8(x, d);
    y = vqtbx4q_u8(y, t->g[1], i);
    i = vsubq_u8(i, d);
    y = vqtbx4q_u8(y, t->g[2], i);
    i = vsubq_u8(i, d);
    y = vqtbx4q_u8(y, t->g[3], i);
    vst1q_u8(out, y);
}

#else /* armv7 */

#define STEP 8

static inline uint8x8x4_t group(const uint8_t *p)
{
    uint8x8x4_t t;
    t.val[0] = vld1_u8(p);
    t.val[1] = vld1_u8(p + 8);
    t.val[2] = vld1_u8(p + 16);
    t.val[3] = vld1_u8(p + 24);
    return t;
}

typedef struct tables {
    uint8x8x4_t g[8];
} tables;

static inline void load_tables(tables *t, const uint8_t *lut)
{
    for (int k = 0; k < 8; k++)
        t->g[k] = group(lut + 32 * k);
}

static inline void lookup(const tables *t, const uint8_t *in, uint8_t *out)
{
    const uint8x8_t x = vld1_u8(in), d = vdup_n_u8(32);
    uint8x8_t y = vtbl4_u8(t->g[0], x);
    uint8x8_t i = x;
    for (int k = 1; k < 8; k++) {
        i = vsub_u8(i, d);
        y = vtbx4_u8(y, t->g[k], i);
    }
    vst1_u8(out, y);
}

#endif

void edge_lut8__neon(size_t n, const uint8_t *in, uint8_t *out, const uint8_t lut[256])
{
    tables t;
    load_tables(&t, lut);
    for (; n >= STEP; n -= STEP, in += STEP, out += STEP)
        lookup(&t, in, out);
    if (n) {
        uint8_t buf[STEP] = {0};
        memcpy(buf, in, n);
        lookup(&t, buf, buf);
        memcpy(out, buf, n);
    }
}
