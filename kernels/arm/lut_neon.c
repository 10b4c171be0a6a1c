/* kernels/arm/lut_neon.c - 8-bit table lookup on NEON (contract in qs8.h, lut8 section).
 *
 * Owns: edge_lut8__neon. aarch64: the table is four 64-byte groups of four q
 * registers; tbl looks 16 inputs up in bytes 0..63 (0 past them) and three tbx
 * on the input minus 64, 128, 192 fill in the other groups (tbx leaves a byte
 * whose index is 64 or more as it is). armv7: the same with 32-byte groups of
 * four d registers, vtbl4 then seven vtbx4 on 8 inputs. A lookup is exact; the
 * tail goes through a buffer, so nothing past n is read or written.
 * aarch64 runs 64 inputs a step in inline assembly (lut64): written in C, gcc kept the four
 * table groups on the stack and loaded them back for every 16 inputs. yolov8n's SiLU tables
 * under an instruction-counting qemu: 15.4 M instructions an inference -> 7.8 M (XNNPACK's
 * tbx128x4_u64 8.9 M; docs/arm-kernels.md). */
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

#if defined(__aarch64__)
/* 64 inputs a step with the four table groups held in v16-v31 for the whole loop (in C, gcc kept
 * the four-register tuples on the stack and loaded them back for every 16 inputs: 15 instructions
 * for 16 lookups, here 8): one ld1 and one st1 of four registers; per 16 inputs a tbl, three
 * tbx and three subtractions of 64 in place. Advances *IN and *OUT; returns what is left of N. */
static size_t lut64(size_t n, const uint8_t **in, uint8_t **out, const uint8_t lut[256])
{
    const uint8_t *p = *in, *t = lut;
    uint8_t *q = *out;
    size_t blocks = n / 64;
    __asm__ volatile("ld1 {v16.16b-v19.16b}, [%[t]], #64\n\t"
                     "ld1 {v20.16b-v23.16b}, [%[t]], #64\n\t"
                     "ld1 {v24.16b-v27.16b}, [%[t]], #64\n\t"
                     "ld1 {v28.16b-v31.16b}, [%[t]]\n\t"
                     "movi v8.16b, #64\n"
                     "1:\n\t"
                     "ld1 {v0.16b-v3.16b}, [%[p]], #64\n\t"
                     "tbl v4.16b, {v16.16b-v19.16b}, v0.16b\n\t"
                     "tbl v5.16b, {v16.16b-v19.16b}, v1.16b\n\t"
                     "tbl v6.16b, {v16.16b-v19.16b}, v2.16b\n\t"
                     "tbl v7.16b, {v16.16b-v19.16b}, v3.16b\n\t"
                     "sub v0.16b, v0.16b, v8.16b\n\t"
                     "sub v1.16b, v1.16b, v8.16b\n\t"
                     "sub v2.16b, v2.16b, v8.16b\n\t"
                     "sub v3.16b, v3.16b, v8.16b\n\t"
                     "tbx v4.16b, {v20.16b-v23.16b}, v0.16b\n\t"
                     "tbx v5.16b, {v20.16b-v23.16b}, v1.16b\n\t"
                     "tbx v6.16b, {v20.16b-v23.16b}, v2.16b\n\t"
                     "tbx v7.16b, {v20.16b-v23.16b}, v3.16b\n\t"
                     "sub v0.16b, v0.16b, v8.16b\n\t"
                     "sub v1.16b, v1.16b, v8.16b\n\t"
                     "sub v2.16b, v2.16b, v8.16b\n\t"
                     "sub v3.16b, v3.16b, v8.16b\n\t"
                     "tbx v4.16b, {v24.16b-v27.16b}, v0.16b\n\t"
                     "tbx v5.16b, {v24.16b-v27.16b}, v1.16b\n\t"
                     "tbx v6.16b, {v24.16b-v27.16b}, v2.16b\n\t"
                     "tbx v7.16b, {v24.16b-v27.16b}, v3.16b\n\t"
                     "sub v0.16b, v0.16b, v8.16b\n\t"
                     "sub v1.16b, v1.16b, v8.16b\n\t"
                     "sub v2.16b, v2.16b, v8.16b\n\t"
                     "sub v3.16b, v3.16b, v8.16b\n\t"
                     "tbx v4.16b, {v28.16b-v31.16b}, v0.16b\n\t"
                     "tbx v5.16b, {v28.16b-v31.16b}, v1.16b\n\t"
                     "tbx v6.16b, {v28.16b-v31.16b}, v2.16b\n\t"
                     "tbx v7.16b, {v28.16b-v31.16b}, v3.16b\n\t"
                     "st1 {v4.16b-v7.16b}, [%[q]], #64\n\t"
                     "subs %[b], %[b], #1\n\t"
                     "b.ne 1b\n"
                     : [p] "+r"(p), [q] "+r"(q), [b] "+r"(blocks), [t] "+r"(t)
                     :
                     : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v16", "v17", "v18",
                       "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29",
                       "v30", "v31", "memory", "cc");
    *in = p;
    *out = q;
    return n % 64;
}
#endif

void edge_lut8__neon(size_t n, const uint8_t *in, uint8_t *out, const uint8_t lut[256])
{
    tables t;
    load_tables(&t, lut);
#if defined(__aarch64__)
    if (n >= 4 * STEP)
        n = lut64(n, &in, &out, lut);
#endif
    for (; n >= STEP; n -= STEP, in += STEP, out += STEP)
        lookup(&t, in, out);
    if (n) {
        uint8_t buf[STEP] = {0};
        memcpy(buf, in, n);
        lookup(&t, buf, buf);
        memcpy(out, buf, n);
    }
}
