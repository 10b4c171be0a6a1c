/* kernels/dconv.h - what the direct CONV_2D kernels of 1 to 4 input channels share.
 *
 * Owns: the row-word geometry of the direct convolution (qs8.h, "direct CONV_2D"),
 * its packer (dconv.c, the GEMM packer over row-padded weights), and the gather
 * every level's kernel uses to read one output pixel's window as row words:
 * an interior pixel's window rows are straight copies of the input (word moves),
 * a border pixel's hold the input zero point where the window leaves the input.
 * Does not own: the kernels (x86/, arm/, generic/) or choosing them (dispatch.h). */
#ifndef EDGE_KERNELS_DCONV_H
#define EDGE_KERNELS_DCONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "qs8.h"

/* Bytes of one window row in row words: k_w * in_c rounded up to 4. */
static inline size_t edge_qs8_dconv_rowk(const edge_conv_params *p)
{
    return ((size_t)p->k_w * (size_t)p->in_c + 3) & ~(size_t)3;
}

/* The packed depth: k_h * rowk. */
static inline size_t edge_qs8_dconv_kc(const edge_conv_params *p)
{
    return (size_t)p->k_h * edge_qs8_dconv_rowk(p);
}

/* Bytes of P's weights packed in blocks of CR with depth group KR (0 on overflow or when
 * the window is deeper than EDGE_QS8_DCONV_MAX_K). */
size_t edge_qs8_dconv_packed_bytes(const edge_conv_params *p, size_t cr, size_t kr);

/* Pack CONV_2D's OHWI weights W, BIAS (out_c entries or NULL), MULT and SHIFT for
 * geometry P into DST (edge_qs8_dconv_packed_bytes of it), folding INPUT_OFFSET and
 * A_BIAS into the bias. Returns -1 when a scratch row cannot be allocated. */
int edge_qs8_dconv_pack(const edge_conv_params *p, size_t cr, size_t kr, const int8_t *w,
                        const int32_t *bias, const int32_t *mult, const int32_t *shift,
                        int32_t input_offset, int32_t a_bias, void *dst);

/* The k_h * rowk bytes of row words of output pixel (OY, OX) of the image at IN_B into
 * DST: window row ky at DST + ky * rowk; cells outside the input read ZP, bytes past a
 * window row are anything (they meet zero weights). */
static inline void edge_qs8_dconv_gather(const edge_conv_params *p, const int8_t *in_b, int8_t zp,
                                         size_t rowk, int32_t oy, int32_t ox, int8_t *dst)
{
    const size_t c = (size_t)p->in_c, row_bytes = (size_t)p->in_w * c;
    const int32_t x0 = ox * p->stride_w - p->pad_w;
    /* an interior pixel: all rowk bytes of every window row lie in the input row */
    const bool inner = x0 >= 0 && (size_t)x0 * c + rowk <= row_bytes;
    for (int32_t ky = 0; ky < p->k_h; ky++, dst += rowk) {
        const int32_t iy = oy * p->stride_h - p->pad_h + ky;
        if (iy < 0 || iy >= p->in_h) {
            memset(dst, zp, rowk);
            continue;
        }
        const int8_t *src = in_b + (size_t)iy * row_bytes;
        if (inner) {
            src += (size_t)x0 * c;
            for (size_t i = 0; i < rowk; i += 4)
                memcpy(dst + i, src + i, 4);
            continue;
        }
        memset(dst, zp, rowk);
        const int32_t a = x0 < 0 ? 0 : x0;
        const int32_t e = x0 + p->k_w < p->in_w ? x0 + p->k_w : p->in_w;
        if (e > a)
            memcpy(dst + (size_t)(a - x0) * c, src + (size_t)a * c, (size_t)(e - a) * c);
    }
}

#endif
