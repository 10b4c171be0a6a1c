/* kernels/x86/table_avx2.c - the kernel table of level avx2 (see dispatch.h).
 *
 * Owns: which micro-kernel of this level serves each operation, with its tile
 * sizes. A NULL entry sends that operation to the reference kernels.
 * Does not own the kernels (the other files of this folder). */
#include "dispatch.h"
#include "x86/qs8_binary_x86.h"
#include "x86/lut_x86.h"
#include "x86/fc_int4_x86.h"
#include "x86/qs8_x86.h"

const edge_kernels edge_kernels_avx2 = {
    .isa = EDGE_ISA_AVX2,
    .name = "avx2",
    .gemm = {edge_qs8_gemm_6x16c2__avx2, "qs8_gemm_6x16c2__avx2", EDGE_GEMM_AVX2_MR,
             EDGE_GEMM_AVX2_NR, EDGE_GEMM_AVX2_KR, EDGE_GEMM_AVX2_A_BIAS,
             edge_qs8_gemm_rows_6x16c2__avx2},
    .igemm = {edge_qs8_igemm_6x16c2__avx2, "qs8_igemm_6x16c2__avx2"},
    .gemv = {edge_qs8_gemv_1x8c4__avx2, "qs8_gemv_1x8c4__avx2", EDGE_GEMV_AVX2_NR,
             EDGE_GEMV_AVX2_KR, EDGE_GEMV_AVX2_A_BIAS},
    .wino = {edge_qs8_wino_6x16__avx2, "qs8_wino_6x16__avx2"},
    .gemm_u8 = {edge_qs8_gemm_u8_6x16c2__avx2, "qs8_gemm_u8_6x16c2__avx2", EDGE_GEMM_AVX2_MR,
                EDGE_GEMM_AVX2_NR, EDGE_GEMM_AVX2_KR, edge_qs8_gemm_u8_rows_6x16c2__avx2},
    .dw = {edge_qs8_dw_16c__avx2, "qs8_dw_16c__avx2", EDGE_DW_AVX2_CR},
    .dw_u8 = {edge_qs8_dw_u8_16c__avx2, "qs8_dw_u8_16c__avx2"},
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
            edge_dot16x8x4__avx2, edge_gemm16x8__avx2, "conv16x8_gemm__avx2", edge_dw16x8__avx2,
            "dw16x8__avx2"},
    .max_rows = {edge_qs8_max_rows__avx2, edge_qu8_max_rows__avx2, "max_rows__avx2"},
    .lut8 = {edge_lut8__avx2, "lut8__avx2"},
    .f32 = EDGE_F32_TABLE(__avx2, "__avx2"),
    .hybrid = {edge_hybrid_gemm__avx2, edge_hybrid_dw__avx2, "hybrid_im2col_gemm__avx2",
               "hybrid_gemm__avx2", "hybrid_dw__avx2", edge_hybrid_quantize__avx2,
               edge_hybrid_min_max__avx2, edge_hybrid_quantize_part__avx2},
    .fc_int4 = {edge_qs8_fc_int4__avx2, "qs8_fc_int4__avx2"},
};
