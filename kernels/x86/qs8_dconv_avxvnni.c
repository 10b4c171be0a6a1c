/* kernels/x86/qs8_dconv_avxvnni.c - the direct CONV_2D of 1 to 4 input channels, avxvnni.
 *
 * Owns: edge_qs8_dconv_16c4__avxvnni and its legacy uint8 form edge_qs8_dconv_u8_16c4__avxvnni
 * (contracts: qs8.h, "direct CONV_2D"), each compiled twice like the GEMM
 * (qs8_avxvnni.h). The packed weights are this level's GEMM layout (cr = the GEMM's nr,
 * kr 4, depth k_h * rowk), so the kernel gathers a run of an output row's pixels as row
 * words (dconv.h's gather: straight copies inside, the zero point at the borders) into a
 * stack buffer and runs this level's GEMM over them: vpdpbusd on a_bias 128 for int8
 * (the GEMM flips the bytes), and for uint8 the GEMM's uint8 form with the window term
 * b * (sum - kzx), the bytes past each window row zeroed so that the row sums count the
 * window's cells only. Not the avx512vnni kernel's pixel-lane layout (missing: no masked
 * byte loads or vpermt2w in AVX2; the gather is the price).
 * Does not own packing (dconv.c), the GEMM (qs8_gemm_avxvnni.c) or the table. */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dconv.h"
#include "x86/qs8_avxvnni.h"

#define BUF_BYTES 8192 /* row words of a run of pixels */
#define GEMM_ROWS EDGE_AVXVNNI_FN(edge_qs8_gemm_rows_6x16c4)
#define GEMM_ROWS_U8 EDGE_AVXVNNI_FN(edge_qs8_gemm_rows_u8)

static_assert(EDGE_DCONV_AVXVNNI_CR == EDGE_GEMM_AVXVNNI_NR, "dconv packs the GEMM's blocks");
static_assert(EDGE_DCONV_AVXVNNI_KR == EDGE_GEMM_AVXVNNI_KR, "dconv packs the GEMM's blocks");

static void dconv(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1, bool u8)
{
    const edge_conv_params *p = a->p;
    const size_t rowk = edge_qs8_dconv_rowk(p), kc = edge_qs8_dconv_kc(p);
    const size_t cells = (size_t)p->k_w * (size_t)p->in_c, oc = (size_t)p->out_c;
    const size_t run = BUF_BYTES / kc; /* at least 16: kc <= EDGE_QS8_DCONV_MAX_K */
    const size_t img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    _Alignas(32) int8_t buf[BUF_BYTES];
    for (int32_t row = row0; row < row1; row++) {
        const int32_t b = row / p->out_h, oy = row % p->out_h;
        const int8_t *in_b = a->in + (size_t)b * img;
        int8_t *out = a->out + (size_t)row * (size_t)p->out_w * oc;
        for (int32_t ox0 = 0; ox0 < p->out_w; ox0 += (int32_t)run) {
            const size_t n = (size_t)(p->out_w - ox0) < run ? (size_t)(p->out_w - ox0) : run;
            for (size_t i = 0; i < n; i++) {
                int8_t *dst = buf + i * kc;
                edge_qs8_dconv_gather(p, in_b, a->zp_in, rowk, oy, ox0 + (int32_t)i, dst);
                if (u8 && cells < rowk)
                    for (int32_t ky = 0; ky < p->k_h; ky++)
                        memset(dst + (size_t)ky * rowk + cells, 0, rowk - cells);
            }
            int8_t *c = out + (size_t)ox0 * oc;
            if (u8)
                GEMM_ROWS_U8(n, oc, kc, (const uint8_t *)buf, a->w, a->b, a->kzx, (uint8_t *)c,
                             &a->o);
            else
                GEMM_ROWS(n, oc, kc, buf, kc, a->w, c, oc, &a->o);
        }
    }
}

void EDGE_AVXVNNI_FN(edge_qs8_dconv_16c4)(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, false);
}

void EDGE_AVXVNNI_FN(edge_qs8_dconv_u8_16c4)(const edge_qs8_dconv_args *a, int32_t row0,
                                             int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, true);
}
