/* tools/opgen.h - seeded random single-operator models for tests and tools.
 *
 * Owns: for every operator the CPU back end implements, a generator that draws
 * random but valid shapes and parameters (odd sizes, strides, SAME/VALID,
 * dilation, depth multipliers, broadcasting, fused activations, zero points
 * including -128 and 127, per-channel scales) from a seed, and writes two
 * models computing the same real-valued function:
 *   q: the int8 model (full-integer quantization; per-channel int8 weights,
 *      int32 bias; quantization parameters derived from real value ranges);
 *   f: the float32 model whose weights are exactly the real values the int8
 *      weights represent (scale * q) and whose input is the dequantized int8
 *      input, so the two differ only by the int8 kernels' rounding.
 * Custom operators (the vision ones: tools/opgen_vision.c) are listed by their custom_code,
 * with the code EDGE_OP_CUSTOM; a model may have several outputs, each compared.
 * QUANTIZE and DEQUANTIZE have no float32 twin: their f model is an identity
 * (RESHAPE to the same shape) over the real values, so the check is the same.
 * Each case says how closely the outputs must agree.
 * Does not own: running models (the test does that), the writer (tflite_writer.c). */
#ifndef EDGE_OPGEN_H
#define EDGE_OPGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPGEN_MAX_INPUTS 4
#define OPGEN_MAX_OUTPUTS 5 /* a model's outputs (the tests compare every one) */

typedef struct opgen_model {
    uint8_t *file; /* the .tflite bytes (malloc'd) */
    size_t size;
    int n_inputs;
    uint8_t *input[OPGEN_MAX_INPUTS]; /* raw bytes of each subgraph input */
    size_t input_bytes[OPGEN_MAX_INPUTS];
} opgen_model;

typedef struct opgen_case {
    const char *op; /* operator name, e.g. "CONV_2D" */
    int32_t code;   /* builtin code (EDGE_OP_CUSTOM: OP is the custom_code) */
    uint32_t seed;
    int qtype;     /* the q model's quantized type: EDGE_INT8, EDGE_UINT8 or EDGE_INT16 */
    opgen_model q; /* int8 model (QUANTIZE/DEQUANTIZE: the conversion) */
    opgen_model f; /* float32 model computing the same real function */
    /* Agreement: with o the q model's output (dequantized when quantized) and r
     * the f model's output clamped to the range o's type can represent,
     * |o - r| <= tol_steps * output_scale + tol_rel * |r| + tol_abs + 1e-6. Integer (int32)
     * outputs must be equal. */
    float tol_steps;
    float tol_rel;
    float tol_abs;  /* added to the bound (hybrid models: the on-the-fly quantization) */
    char desc[320]; /* the parameters drawn, for failure messages */
    /* Optional (NULL when absent): the q model's output as the generator computed it, in the
     * output's type (complex64: real, imaginary floats), for operators without a float32 twin
     * (signal operators, RFFT2D); element e of it and o of the output must agree within
     * tol_rel * |e| + tol_abs (+ 1e-6 for float outputs): integers exactly when both are 0. */
    void *expected;
    size_t expected_bytes;
} opgen_case;

/* The operators with a generator (the CPU back end's list, in registry order). */
size_t opgen_op_count(void);
const char *opgen_op_name(size_t i);
int32_t opgen_op_code(size_t i);

/* Generate case SEED of operator OP (its name). Returns 0, EDGE_ENOTFOUND for an
 * unknown name, or another negative code; on failure *c holds nothing to free. */
int opgen_make(const char *op, uint32_t seed, opgen_case *c);
/* opgen_make with the q model in QTYPE: EDGE_INT8 (opgen_make), EDGE_UINT8 (the same reals,
 * zero points + 128) or EDGE_INT16 (16x8: activations int16 of zero point 0 and scale / 128,
 * weights int8, biases int64; tools/opgen_types.c). EDGE_EUNSUPPORTED when OP's generator has
 * no such variant (opgen_type_gap says why). */
int opgen_make_typed(const char *op, uint32_t seed, int qtype, opgen_case *c);
/* Why OP has no generated QTYPE variant although the CPU accepts the type, or NULL. */
const char *opgen_type_gap(const char *op, int qtype);
void opgen_case_free(opgen_case *c); /* NULL is fine */

#endif
