/* kernels/fc_int4.c - packing 4-bit FULLY_CONNECTED weights, and the portable kernel.
 *
 * Owns: edge_fc_int4_packed_bytes, edge_qs8_fc_int4_pack and edge_qs8_fc_int4__c (the layout
 * and arithmetic are fc_int4.h's). The C kernel is the executable spec of the x86 ones and runs
 * at the scalar level and on ARM. Does not own choosing a kernel (backends/cpu/op_fc_int4.c). */
#include "fc_int4.h"

#include <string.h>

#include "ref/requant.h"

#define NR EDGE_FC_INT4_NR
#define KR EDGE_FC_INT4_KR

size_t edge_fc_int4_packed_bytes(size_t n, size_t depth)
{
    if (depth == 0 || n == 0 || depth > ((size_t)1 << 24))
        return 0;
    const size_t blocks = (n + NR - 1) / NR, bb = edge_fc_int4_block_bytes(edge_fc_int4_kc(depth));
    return blocks > SIZE_MAX / bb ? 0 : blocks * bb;
}

/* Value I of the nibble stream W, sign-extended. */
static int32_t nibble_at(const uint8_t *w, size_t i)
{
    const int32_t v = (int32_t)(i % 2 ? w[i / 2] >> 4 : w[i / 2] & 15);
    return v >= 8 ? v - 16 : v;
}

void edge_qs8_fc_int4_pack(size_t n, size_t depth, const uint8_t *w, const int32_t *bias,
                           const int32_t *mult, const int32_t *shift, int32_t input_offset,
                           void *out)
{
    const size_t kc = edge_fc_int4_kc(depth), bb = edge_fc_int4_block_bytes(kc);
    for (size_t n0 = 0; n0 < n; n0 += NR) {
        uint8_t *blk = (uint8_t *)out + n0 / NR * bb;
        int32_t hdr[3 * NR] = {0};
        uint8_t *nib = blk + sizeof hdr;
        for (size_t c = 0; c < NR && n0 + c < n; c++) {
            const size_t row = (n0 + c) * depth;
            uint32_t sum = 0;
            for (size_t k = 0; k < depth; k++) {
                const int32_t v = nibble_at(w, row + k);
                sum += (uint32_t)v;
                const size_t g = k / KR, b = k % KR;
                const uint8_t u = (uint8_t)(v + 8);
                nib[g * 64 + c * 4 + b % 4] |= (uint8_t)(b < 4 ? u : u << 4);
            }
            const uint32_t b0 = bias ? (uint32_t)bias[n0 + c] : 0;
            hdr[c] = (int32_t)(b0 + (uint32_t)input_offset * sum);
            hdr[NR + c] = mult ? mult[n0 + c] : 0;
            hdr[2 * NR + c] = shift ? shift[n0 + c] : 0;
        }
        memcpy(blk, hdr, sizeof hdr);
    }
}

void edge_qs8_fc_int4__c(size_t nc, size_t kc, const int8_t *x, const void *w, int8_t *c,
                         int32_t *acc_out, const edge_qs8_out *o)
{
    EDGE_QS8_FC_INT4_CONTRACT(nc, kc);
    uint32_t xsum = 0;
    for (size_t k = 0; k < kc; k++)
        xsum += (uint32_t)x[k];
    const size_t bb = edge_fc_int4_block_bytes(kc);
    for (size_t n0 = 0; n0 < nc; n0 += NR) {
        const uint8_t *blk = (const uint8_t *)w + n0 / NR * bb, *nib = blk + 3 * NR * 4;
        int32_t hdr[3 * NR];
        memcpy(hdr, blk, sizeof hdr);
        uint32_t acc[NR];
        for (size_t j = 0; j < NR; j++)
            acc[j] = (uint32_t)hdr[j] - 8u * xsum;
        for (size_t g = 0; g < kc / KR; g++) {
            const int8_t *xg = x + g * KR;
            const uint8_t *ng = nib + g * 64;
            for (size_t j = 0; j < NR; j++) {
                int32_t s = 0;
                for (size_t b = 0; b < 4; b++) {
                    const uint8_t byte = ng[j * 4 + b];
                    s += (int32_t)xg[b] * (byte & 15) + (int32_t)xg[4 + b] * (byte >> 4);
                }
                acc[j] += (uint32_t)s;
            }
        }
        const size_t m = nc - n0 < NR ? nc - n0 : NR;
        for (size_t j = 0; acc_out && j < m; j++)
            acc_out[n0 + j] = (int32_t)acc[j];
        for (size_t j = 0; !acc_out && j < m; j++) {
            int32_t v = edge_mbqm((int32_t)acc[j], hdr[NR + j], hdr[2 * NR + j]) + o->zp;
            v = v < o->lo ? o->lo : v > o->hi ? o->hi : v;
            c[n0 + j] = (int8_t)v;
        }
    }
}
