/* kernels/dconv.c - packing for the direct CONV_2D of 1 to 4 input channels.
 *
 * Owns: edge_qs8_dconv_packed_bytes and edge_qs8_dconv_pack (dconv.h): the OHWI
 * weights spread to row words (each window row padded with zero weights to a
 * multiple of 4 bytes), then the GEMM packer (pack.c), which folds the input offset.
 * Runs at prepare only. Does not own the layout's definition (qs8.h). */
#include "dconv.h"

#include <stdlib.h>

#include "pack.h"

size_t edge_qs8_dconv_packed_bytes(const edge_conv_params *p, size_t cr, size_t kr)
{
    const size_t kc = edge_qs8_dconv_kc(p);
    if (p->in_c < 1 || p->in_c > 4 || kc > EDGE_QS8_DCONV_MAX_K || kc % kr)
        return 0;
    return edge_qs8_gemm_packed_bytes((size_t)p->out_c, kc, cr, kr);
}

int edge_qs8_dconv_pack(const edge_conv_params *p, size_t cr, size_t kr, const int8_t *w,
                        const int32_t *bias, const int32_t *mult, const int32_t *shift,
                        int32_t input_offset, int32_t a_bias, void *dst)
{
    const size_t rowk = edge_qs8_dconv_rowk(p), kc = edge_qs8_dconv_kc(p);
    const size_t win = (size_t)p->k_w * (size_t)p->in_c, n = (size_t)p->out_c;
    int8_t *wr = calloc(n, kc);
    if (!wr)
        return -1;
    for (size_t o = 0; o < n; o++)
        for (size_t ky = 0; ky < (size_t)p->k_h; ky++)
            memcpy(wr + o * kc + ky * rowk, w + (o * (size_t)p->k_h + ky) * win, win);
    edge_qs8_gemm_pack(n, kc, cr, kr, wr, bias, mult, shift, input_offset, a_bias, dst);
    free(wr);
    return 0;
}
