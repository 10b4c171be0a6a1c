/* kernels/arm/table_neon.c - the kernel table of level neon (see dispatch.h).
 *
 * Owns: which micro-kernel of this level serves each operation, with its tile
 * sizes. Level neon is aarch64 Advanced SIMD or, on 32-bit ARM, armv7 NEON:
 * the GEMM differs per architecture (register file, addp), the depthwise,
 * add and sum kernels are one NEON source built for either, and each
 * architecture has its legacy uint8 GEMM (the int8 GEMM's body on uint8 A).
 * A NULL entry sends that operation to the reference kernels.
 * Does not own the kernels (the other files of this folder). */
#include "arm/lut_arm.h"
#include "arm/qs8_arm.h"
#include "dispatch.h"

#if defined(__aarch64__)
#define GEMM_FN edge_qs8_gemm_4x4c8__neon
#define GEMM_NAME "qs8_gemm_4x4c8__neon"
#define GEMM_MR EDGE_GEMM_NEON_MR
#define GEMM_NR EDGE_GEMM_NEON_NR
#define GEMM_KR EDGE_GEMM_NEON_KR
#else
#define GEMM_FN edge_qs8_gemm_2x4c8__armv7neon
#define GEMM_NAME "qs8_gemm_2x4c8__armv7neon"
#define GEMM_MR EDGE_GEMM_ARMV7NEON_MR
#define GEMM_NR EDGE_GEMM_ARMV7NEON_NR
#define GEMM_KR EDGE_GEMM_ARMV7NEON_KR
#endif

const edge_kernels edge_kernels_neon = {
    .isa = EDGE_ISA_NEON,
    .name = "neon",
    .gemm = {GEMM_FN, GEMM_NAME, GEMM_MR, GEMM_NR, GEMM_KR, 0, NULL},
    .dw = {edge_qs8_dw_16c__neon, "qs8_dw_16c__neon", EDGE_DW_NEON_CR},
    .dw_u8 = {edge_qs8_dw_u8_16c__neon, "qs8_dw_u8_16c__neon"},
    .dconv = {edge_qs8_dconv_8c4__neon, "qs8_dconv_8c4__neon", EDGE_DCONV_NEON_CR, 4, 0},
    .dconv_u8 = {edge_qs8_dconv_u8_8c4__neon, "qs8_dconv_u8_8c4__neon", -128},
    .add = {edge_qs8_add_16__neon, "qs8_add_16__neon"},
    .binary = {edge_qs8_add_bin__neon, edge_qs8_sub_bin__neon, edge_qs8_mul_bin__neon,
               edge_qs8_max_bin__neon, edge_qs8_min_bin__neon, edge_qs8_sqd_bin__neon,
               "qs8_binary__neon"},
    .sum_rows = {edge_qs8_sum_rows_16c__neon, edge_qu8_sum_rows_16c__neon, "qs8_sum_rows_16c__neon",
                 "qu8_sum_rows_16c__neon"},
    .softmax = {edge_qs8_softmax_16__neon, "qs8_softmax_16__neon"},
    .max_rows = {edge_qs8_max_rows_16c__neon, edge_qu8_max_rows_16c__neon, "max_rows_16c__neon"},
    .lut8 = {edge_lut8__neon, "lut8__neon"},
    .planes8 = {edge_interleave8__neon, edge_deinterleave8__neon, "planes8__neon"},
    .s16 = {edge_dot16x8__neon, "conv16x8_dot__neon", "tconv16x8_dot__neon", edge_q16_add_bin__neon,
            edge_q16_sub_bin__neon, edge_q16_map__neon, "q16_eltwise__neon", "fc16x8_dot__neon",
            edge_dot16x8x4__neon, EDGE_GEMM16_NEON, edge_dw16x8__neon, "dw16x8__neon"},
    .hybrid = {edge_hybrid_gemm__neon, edge_hybrid_dw__neon, "hybrid_im2col_gemm__neon",
               "hybrid_gemm__neon", "hybrid_dw__neon", edge_hybrid_quantize__neon,
               edge_hybrid_min_max__neon, edge_hybrid_quantize_part__neon},
#if defined(__aarch64__)
    .igemm = {edge_qs8_igemm_4x4c8__neon, "qs8_igemm_4x4c8__neon"},
    .gemm_u8 = {edge_qs8_gemm_u8_4x4c8__neon, "qs8_gemm_u8_4x4c8__neon", EDGE_GEMM_NEON_MR,
                EDGE_GEMM_NEON_NR, EDGE_GEMM_NEON_KR},
    .f32 = EDGE_F32_TABLE(__neon, "__neon"),
    .argmax8 = {edge_argmax8__neon, "argmax8_rows__neon"},
#else
    .gemm_u8 = {edge_qs8_gemm_u8_2x4c8__armv7neon, "qs8_gemm_u8_2x4c8__armv7neon",
                EDGE_GEMM_ARMV7NEON_MR, EDGE_GEMM_ARMV7NEON_NR, EDGE_GEMM_ARMV7NEON_KR},
#endif
};
