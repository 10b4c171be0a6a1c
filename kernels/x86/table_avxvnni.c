/* kernels/x86/table_avxvnni.c - the kernel table of level avxvnni (see dispatch.h).
 *
 * Owns: which micro-kernel serves each operation at level avxvnni: this level's own
 * vpdpbusd kernels (qs8_avxvnni.h) for the GEMM (1x1 convolutions, FULLY_CONNECTED), the
 * indirect GEMM of KxK convolutions and the uint8 GEMM; level avx2's kernels for
 * everything else (vpdpbusd does not pay there: the direct conv of first layers included).
 * Compiled twice like the kernels: edge_kernels_avxvnni (VEX) and, with
 * EDGE_AVXVNNI_EVEX, edge_kernels_avxvnni_evex (dispatch.c picks one).
 * Does not own the kernels (the other files of this folder). */
#include "dispatch.h"
#include "x86/lut_x86.h"
#include "x86/qs8_avxvnni.h"
#include "x86/qs8_binary_x86.h"
#include "x86/fc_int4_x86.h"
#include "x86/qs8_x86.h"

#ifdef EDGE_AVXVNNI_EVEX
#define TABLE edge_kernels_avxvnni_evex
#else
#define TABLE edge_kernels_avxvnni
#endif

const edge_kernels TABLE = {
    .isa = EDGE_ISA_AVXVNNI,
    .name = "avxvnni",
    .gemm = {EDGE_AVXVNNI_FN(edge_qs8_gemm_6x16c4), EDGE_AVXVNNI_NAME("qs8_gemm_6x16c4"),
             EDGE_GEMM_AVXVNNI_MR, EDGE_GEMM_AVXVNNI_NR, EDGE_GEMM_AVXVNNI_KR,
             EDGE_GEMM_AVXVNNI_A_BIAS, EDGE_AVXVNNI_FN(edge_qs8_gemm_rows_6x16c4)},
    .igemm = {EDGE_AVXVNNI_FN(edge_qs8_igemm_6x16c4), EDGE_AVXVNNI_NAME("qs8_igemm_6x16c4"),
              EDGE_AVXVNNI_FN(edge_qs8_igemm_off_6x16c4)},
    .gemm_u8 = {EDGE_AVXVNNI_FN(edge_qs8_gemm_u8_6x16c4), EDGE_AVXVNNI_NAME("qs8_gemm_u8_6x16c4"),
                EDGE_GEMM_AVXVNNI_MR, EDGE_GEMM_AVXVNNI_NR, EDGE_GEMM_AVXVNNI_KR,
                EDGE_AVXVNNI_FN(edge_qs8_gemm_u8_rows_6x16c4)},
    .dw = {edge_qs8_dw_16c__avx2, "qs8_dw_16c__avx2", EDGE_DW_AVX2_CR},
    .dw_u8 = {edge_qs8_dw_u8_16c__avx2, "qs8_dw_u8_16c__avx2"},
    /* the first layers' direct conv: avx2's widened-row kernel beats a vpdpbusd gather
     * (person_detect's first layer 7.6 us against 40 us, yolov5n's 2.8 ms against 3.6 ms) */
    .dconv = {edge_qs8_dconv_8c2__avx2, "qs8_dconv_8c2__avx2", EDGE_DCONV_AVX2_CR,
              EDGE_DCONV_AVX2_KR, EDGE_DCONV_AVX2_A_BIAS},
    .dconv_u8 = {edge_qs8_dconv_u8_8c2__avx2, "qs8_dconv_u8_8c2__avx2", 0},
    .add = {edge_qs8_add__avx2, "qs8_add__avx2"},
    .binary = {edge_qs8_add_bin__avx2, edge_qs8_sub_bin__avx2, edge_qs8_mul_bin__avx2,
               edge_qs8_max_bin__avx2, edge_qs8_min_bin__avx2, edge_qs8_sqd_bin__avx2,
               "qs8_binary__avx2"},
    .sum_rows = {edge_qs8_sum_rows__avx2, edge_qu8_sum_rows__avx2, "qs8_sum_rows__avx2",
                 "qu8_sum_rows__avx2"},
    .softmax = {edge_qs8_softmax__avx2, "qs8_softmax__avx2"},
    .argmax8 = {edge_argmax8__avx2, "argmax8_rows__avx2"},
    .planes8 = {edge_interleave8__avx2, edge_deinterleave8__avx2, "planes8__avx2"},
    .s16 = {edge_dot16x8__avx2, "conv16x8_dot__avx2", "tconv16x8_dot__avx2", edge_q16_add_bin__avx2,
            edge_q16_sub_bin__avx2, edge_q16_map__avx2, "q16_eltwise__avx2", "fc16x8_dot__avx2",
            edge_dot16x8x4__avx2, EDGE_AVXVNNI_FN(edge_gemm16x8),
            EDGE_AVXVNNI_NAME("conv16x8_gemm"), edge_dw16x8__avx2, "dw16x8__avx2"},
    .max_rows = {edge_qs8_max_rows__avx2, edge_qu8_max_rows__avx2, "max_rows__avx2"},
    .lut8 = {edge_lut8__avx2, "lut8__avx2"},
    .f32 = EDGE_F32_TABLE(__avx2, "__avx2"),
    .hybrid = {edge_hybrid_gemm__avx2, edge_hybrid_dw__avx2, "hybrid_im2col_gemm__avx2",
               "hybrid_gemm__avx2", "hybrid_dw__avx2", edge_hybrid_quantize__avx2,
               edge_hybrid_min_max__avx2, edge_hybrid_quantize_part__avx2},
    .fc_int4 = {EDGE_AVXVNNI_FN(edge_qs8_fc_int4), EDGE_AVXVNNI_NAME("qs8_fc_int4")},
};
