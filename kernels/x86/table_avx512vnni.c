/* kernels/x86/table_avx512vnni.c - the kernel table of level avx512vnni (see dispatch.h).
 *
 * Owns: which micro-kernel of this level serves each operation, with its tile
 * sizes. A NULL entry sends that operation to the reference kernels.
 * Does not own the kernels (the other files of this folder). */
#include "dispatch.h"
#include "x86/qs8_binary_x86.h"
#include "x86/lut_x86.h"
#include "x86/fc_int4_x86.h"
#include "x86/qs8_x86.h"

const edge_kernels edge_kernels_avx512vnni = {
    .isa = EDGE_ISA_AVX512VNNI,
    .name = "avx512vnni",
    .gemm = {edge_qs8_gemm_8x48c4__avx512vnni, "qs8_gemm_8x48c4__avx512vnni",
             EDGE_GEMM_AVX512VNNI_MR, EDGE_GEMM_AVX512VNNI_NR, EDGE_GEMM_AVX512VNNI_KR,
             EDGE_GEMM_AVX512VNNI_A_BIAS, edge_qs8_gemm_rows_8x48c4__avx512vnni},
    .igemm = {edge_qs8_igemm_8x48c4__avx512vnni, "qs8_igemm_8x48c4__avx512vnni",
              edge_qs8_igemm_off_8x48c4__avx512vnni, true},
    .gemm_u8 = {edge_qs8_gemm_u8_8x48c4__avx512vnni, "qs8_gemm_u8_8x48c4__avx512vnni",
                EDGE_GEMM_U8_AVX512VNNI_MR, EDGE_GEMM_U8_AVX512VNNI_NR, EDGE_GEMM_U8_AVX512VNNI_KR,
                edge_qs8_gemm_u8_rows_8x48c4__avx512vnni},
    .dw_u8 = {edge_qs8_dw_u8_64c__avx512vnni, "qs8_dw_u8_64c__avx512vnni"},
    .dw = {edge_qs8_dw_64c__avx512vnni, "qs8_dw_64c__avx512vnni", EDGE_DW_AVX512VNNI_CR},
    .dconv = {edge_qs8_dconv_16c4__avx512vnni, "qs8_dconv_16c4__avx512vnni",
              EDGE_DCONV_AVX512VNNI_CR, EDGE_DCONV_AVX512VNNI_KR, EDGE_DCONV_AVX512VNNI_A_BIAS},
    .dconv_u8 = {edge_qs8_dconv_u8_16c4__avx512vnni, "qs8_dconv_u8_16c4__avx512vnni", 0},
    .add = {edge_qs8_add__avx512, "qs8_add__avx512"},
    .binary = {edge_qs8_add_bin__avx512, edge_qs8_sub_bin__avx512, edge_qs8_mul_bin__avx512,
               edge_qs8_max_bin__avx512, edge_qs8_min_bin__avx512, edge_qs8_sqd_bin__avx512,
               "qs8_binary__avx512"},
    .sum_rows = {edge_qs8_sum_rows__avx512, edge_qu8_sum_rows__avx512, "qs8_sum_rows__avx512",
                 "qu8_sum_rows__avx512"},
    .softmax = {edge_qs8_softmax__avx512, "qs8_softmax__avx512"},
    .argmax8 = {edge_argmax8__avx2, "argmax8_rows__avx2"}, /* a row fits one ymm */
    .planes8 = {edge_interleave8__avx2, edge_deinterleave8__avx2, "planes8__avx2"},
    .s16 = {edge_dot16x8__avx512vnni, "conv16x8_dot__avx512vnni", "tconv16x8_dot__avx512vnni",
            edge_q16_add_bin__avx512, edge_q16_sub_bin__avx512, edge_q16_map__avx512,
            "q16_eltwise__avx512", "fc16x8_dot__avx512vnni", edge_dot16x8x4__avx512vnni,
            edge_gemm16x8__avx512vnni, "conv16x8_gemm__avx512vnni", edge_dw16x8__avx512vnni,
            "dw16x8__avx512vnni"},
    .max_rows = {edge_qs8_max_rows__avx512, edge_qu8_max_rows__avx512, "max_rows__avx512"},
    .lut8 = {edge_lut8__avx512, "lut8__avx512vbmi"}, /* lut8__avx2 without VBMI */
    .f32 = EDGE_F32_TABLE(__avx512, "__avx512"),
    .hybrid = {edge_hybrid_gemm__avx512vnni, edge_hybrid_dw__avx512vnni,
               "hybrid_im2col_gemm__avx512vnni", "hybrid_gemm__avx512vnni", "hybrid_dw__avx512vnni",
               edge_hybrid_quantize__avx512vnni, edge_hybrid_min_max__avx512vnni,
               edge_hybrid_quantize_part__avx512vnni},
    .fc_int4 = {edge_qs8_fc_int4__avx512vnni, "qs8_fc_int4__avx512vnni"},
};
