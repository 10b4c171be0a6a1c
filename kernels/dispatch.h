/* kernels/dispatch.h - which kernels run: CPU features, instruction-set levels, kernel tables.
 *
 * Owns: the instruction-set levels edged has kernels for, reading the CPU's
 * features once (cpuid/xgetbv on x86, getauxval(AT_HWCAP/AT_HWCAP2) on ARM),
 * the EDGE_ISA environment variable that caps the level (for tests and for
 * users chasing a problem), and one const table of kernels per level.
 * A model version picks its table when it is prepared (edge_model_options.isa,
 * capped by EDGE_ISA and by the CPU) and packs its weights for it.
 * Level EDGE_ISA_SCALAR has an all-NULL table: the ops then run the reference
 * kernels of kernels/ref directly.
 * Does not own: the kernels (x86/, arm/) or their contracts (qs8.h). */
#ifndef EDGE_KERNELS_DISPATCH_H
#define EDGE_KERNELS_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/runtime.h"
#include "dot16.h"
#include "f32.h"
#include "fc_int4.h"
#include "hybrid_fast.h"
#include "qs8.h"
#include "wino.h"

/* A table of kernels for one instruction-set level. A NULL entry means "use
 * the reference kernel" for that operation. */
typedef struct edge_kernels {
    edge_isa isa;
    const char *name; /* "avx512vnni", ... */
    struct {
        edge_qs8_gemm_fn fn;
        const char *name; /* e.g. "qs8_gemm_4x64c4__avx512vnni" */
        uint8_t mr, nr, kr;
        uint8_t a_bias; /* 128 when the kernel reads x ^ 0x80 as unsigned, else 0 */
        /* optional: the same GEMM over any number of rows (mr >= 1, tiles of mr walked inside
         * the kernel, one call's setup for all of them); NULL: callers call fn per mr rows */
        edge_qs8_gemm_fn rows;
    } gemm;
    struct { /* one-row GEMM (FULLY_CONNECTED at batch 1): gemm's contract at mr 1 over weights
              * packed with its own nr, kr and a_bias; NULL: gemm serves one row too */
        edge_qs8_gemm_fn fn;
        const char *name;
        uint8_t nr, kr, a_bias;
    } gemv;
    struct { /* indirect GEMM (qs8.h): gemm's mr, nr, kr, a_bias and packing */
        edge_qs8_igemm_fn fn;
        const char *name;
        edge_qs8_igemm_off_fn off; /* by offsets from a pointer a row; NULL: fn only */
        bool c8; /* blocks of at most 16 channels also in 8-byte k groups (edge_qs8_gemm_pack_c8) */
    } igemm;
    struct { /* exact integer Winograd F(2x2, 3x3) CONV_2D (wino.h); NULL: none */
        edge_qs8_wino_fn fn;
        const char *name;
    } wino;
    struct { /* legacy uint8 GEMM (qs8.h), a_bias 128 */
        edge_qs8_gemm_u8_fn fn;
        const char *name;
        uint8_t mr, nr, kr;
        /* optional: the same GEMM over any number of rows (mr >= 1), as gemm.rows; NULL:
         * callers call fn per mr rows */
        edge_qs8_gemm_u8_fn rows;
    } gemm_u8;
    struct { /* legacy uint8 depthwise (qs8.h) */
        edge_qs8_dw_u8_fn fn;
        const char *name;
    } dw_u8;
    struct {
        edge_qs8_dw_fn fn;
        const char *name;
        uint8_t cr;
    } dw;
    struct {
        edge_qs8_dconv_fn fn; /* direct CONV_2D of 1 to 4 input channels */
        const char *name;
        uint8_t cr, kr; /* packed block channels and depth group */
        uint8_t a_bias; /* 128 when the kernel reads x ^ 0x80 as unsigned, else 0 */
    } dconv;
    struct { /* legacy uint8 direct CONV_2D (qs8.h), with dconv's cr and kr */
        edge_qs8_dconv_fn fn;
        const char *name;
        int16_t a_bias; /* 0 when the kernel multiplies x as it is, -128 for x ^ 0x80 as int8 */
    } dconv_u8;
    struct {
        edge_qs8_add_fn fn;
        const char *name;
    } add;
    struct { /* elementwise binary ops over broadcast runs (qs8.h) */
        edge_qs8_binary_fn add, sub, mul, max, min;
        edge_qs8_binary_fn sqd; /* SQUARED_DIFFERENCE, int8 */
        const char *name;       /* e.g. "qs8_binary__avx2" */
    } binary;
    struct {
        edge_qs8_sum_rows_fn fn;
        edge_qu8_sum_rows_fn u8; /* uint8 bytes (NULL: the reference runs uint8 pools) */
        const char *name, *u8_name;
    } sum_rows;
    struct {
        edge_qs8_max_rows_fn s8;
        edge_qu8_max_rows_fn u8;
        const char *name;
    } max_rows;
    struct { /* int8 / uint8 SOFTMAX rows (qs8.h); NULL: the reference */
        edge_qs8_softmax_fn fn;
        const char *name;
    } softmax;
    struct { /* int8 / uint8 ARG_MAX, ARG_MIN along a short last axis (qs8.h); NULL: reference */
        edge_argmax8_fn fn;
        const char *name;
    } argmax8;
    struct { /* byte planes <-> interleaved, 2..4 planes (qs8.h); NULL: the tiled transpose */
        edge_planes8_fn interleave, deinterleave;
        const char *name;
    } planes8;
    struct {
        edge_lut8_fn fn; /* 8-bit table lookup (qs8.h); NULL: edge_ref_lut8 */
        const char *name;
    } lut8;
    struct { /* 16x8: int16 activations, int8 weights (dot16.h, qs8.h); NULL: the reference */
        edge_dot16x8_fn dot;
        const char *conv_name, *tconv_name; /* CONV_2D, TRANSPOSE_CONV on it */
        edge_q16_binary_fn add, sub;        /* int16 ADD, SUB */
        edge_q16_map_fn map;                /* int16 LEAKY_RELU, QUANTIZE from int16/int32 */
        const char *eltwise_name;
        const char *fc_name;    /* FULLY_CONNECTED on dot */
        edge_dot16x8x4_fn dot4; /* four weight rows at once (CONV_2D's channels); NULL: dot */
        edge_gemm16x8_fn gemm;  /* CONV_2D's tiles of pixels x channels; NULL: dot4 */
        const char *gemm_name;
        edge_dw16x8_fn dw; /* DEPTHWISE_CONV_2D's pixels (depth multiplier 1); NULL: the C loop */
        const char *dw_name;
    } s16;
    struct { /* float32 kernels (f32.h); NULL: the reference */
        edge_f32_dw_fn dw;
        const char *dw_name;
        edge_f32_tconv_fn tconv; /* TRANSPOSE_CONV, Convolution2DTransposeBias */
        const char *tconv_name;
        edge_f32_bin_row_fn add, sub, mul, max, min, div;
        edge_f32_map_fn relu, relu6, hard_swish, logistic, tanh, log;
        edge_f32_softmax_fn softmax;
        edge_f32_pool_fn avgpool, maxpool;
        const char *pool_name;
        const char *eltwise_name; /* also QUANTIZE float32 -> int8 / uint8: */
        edge_f32_quantize_s8_fn quantize_s8;
        edge_f32_quantize_u8_fn quantize_u8;
        edge_f32_quantize_s16_fn quantize_s16;
        edge_bilinear_s8_fn bilinear_s8; /* RESIZE_BILINEAR (int8, float32, uint8) */
        edge_bilinear_f32_fn bilinear_f32;
        edge_bilinear_u8_fn bilinear_u8;
        const char *bilinear_name;
        edge_f32_rfft_rows_fn rfft_rows; /* RFFT2D of fft_length [1, n] */
        const char *rfft_name;
        edge_f32_cabs_fn complex_abs; /* COMPLEX_ABS (named eltwise_name) */
    } f32;
    struct { /* hybrid CONV_2D / FULLY_CONNECTED GEMM and DEPTHWISE_CONV_2D (hybrid_fast.h,
              * generic/hybrid_impl.h); NULL: hybrid_fast.c's OpenBLAS GEMM and baseline loop */
        edge_hybrid_gemm_fn gemm;
        edge_hybrid_dw_fn dw;
        const char *gemm_name, *fc_name, *dw_name;
        edge_hybrid_quantize_fn quantize; /* NULL: edge_ref_quantize_row */
        edge_hybrid_min_max_fn min_max;   /* with quantize_part: a row in parts (NULL: whole) */
        edge_hybrid_quantize_part_fn quantize_part;
    } hybrid;
    struct { /* int8 FULLY_CONNECTED over packed 4-bit weights (fc_int4.h); NULL: the
              * portable edge_qs8_fc_int4__c */
        edge_qs8_fc_int4_fn fn;
        const char *name;
    } fc_int4;
} edge_kernels;

/* The table for level ISA on this build (a table with NULL entries where the
 * build has no kernel), NULL when ISA is not a level of this architecture. */
const edge_kernels *edge_kernels_for(edge_isa isa);

/* The order of the levels of this architecture: 0 for EDGE_ISA_AUTO, 1 for
 * scalar, up to the highest; -1 for a level of another architecture. Compare
 * levels with this, never by their enum values (avxvnni came last). */
int edge__isa_rank(edge_isa isa);

/* Which encoding of vpdpbusd level avxvnni's table uses on this CPU: VEX (AVX-VNNI),
 * EVEX (AVX512-VNNI + VL, no AVX-VNNI: the same ymm kernels), or none (the level's
 * table would fault; the CPU's best is below it). */
typedef enum edge_avxvnni_enc {
    EDGE_AVXVNNI_ENC_NONE = 0,
    EDGE_AVXVNNI_ENC_VEX,
    EDGE_AVXVNNI_ENC_EVEX,
} edge_avxvnni_enc;
edge_avxvnni_enc edge__avxvnni_encoding(void);

/* The best level this CPU runs (read once), before any cap. */
edge_isa edge_isa_cpu_best(void);

/* The level a model asking for WANT (EDGE_ISA_AUTO for the best) gets: the
 * lowest of WANT, the EDGE_ISA environment cap (read once) and the CPU's
 * best. Never fails: an unknown environment value is ignored (and reported
 * by edge_isa_env_problem). */
edge_isa edge_isa_resolve(edge_isa want);

/* Tests only: models opened after this call use table K (NULL: back to the
 * level each model resolves). Not thread-safe; lets the tests run whole
 * models through the op drivers with the portable C kernels. */
void edge__kernels_force(const edge_kernels *k);
const edge_kernels *edge__kernels_forced(void);

/* Text describing a bad EDGE_ISA value, or NULL when it is unset or valid. */
const char *edge_isa_env_problem(void);

/* "auto", "scalar", "avx2", ... ("unknown" otherwise). */
const char *edge__isa_name(edge_isa isa);
/* NAME as a level of this build's architecture (or "auto") into *ISA; EDGE_EINVAL
 * listing the valid names in ERR otherwise. */
int edge__isa_parse(const char *name, edge_isa *isa, edge_error *err);

#endif
