/* client/quantize.h - post-training int8 quantization of a float32 model (edgectl quantize).
 *
 * Owns: the quantizer's contract: a float32 .tflite opened with libedge, float invokes on
 * calibration inputs with every node's outputs watched (edge_interp_watch), each activation's
 * range chosen from the statistics (min/max, a percentile, or the clip of least squared error),
 * and an int8 model written with the project's .tflite writer (tools/tflite_writer.h).
 * Does not own: finding or decoding the calibration inputs (cmd_quantize.c), reading the model
 * (libedge), the file format (the writer). */
#ifndef EDGECTL_QUANTIZE_H
#define EDGECTL_QUANTIZE_H

#include <stddef.h>
#include <stdint.h>

#include "edge/runtime.h"

typedef enum qz_method { QZ_MINMAX, QZ_PERCENTILE, QZ_MSE } qz_method;

/* Calibration sample K's bytes [OFFSET, OFFSET + BYTES) into DST: one model input, where the
 * sample holds every input's bytes in subgraph 0's order, TOTAL in all. 0 or a negative EDGE_E*
 * code with ERR saying which file and why. */
typedef int (*qz_sample_fn)(void *arg, size_t k, size_t offset, size_t total, uint8_t *dst,
                            size_t bytes, edge_error *err);

typedef struct qz_options {
    qz_method method;
    int io_int8;      /* 1: the written model's inputs and outputs are int8; 0: float32 */
    size_t n_samples; /* calibration samples, read through SAMPLE(ARG, k, ...) */
    qz_sample_fn sample;
    void *arg;
    float percentile; /* QZ_PERCENTILE: the share of values kept inside the range, e.g. 99.99 */
    /* nodes left float: operator names and node indices, comma-separated (NULL: none) */
    const char *keep_float;
    /* 1: an operator it cannot quantize is left float (DEQUANTIZE before, QUANTIZE after, as
     * TFLite's converter falls back); 0: refused naming it */
    int allow_float;
    /* 8 (0 means 8), or 4: INT4 weights (per channel, symmetric, -7..7) but for the first and
     * last weighted nodes' (in node order), which stay int8 */
    int weight_bits;
    int int4_all; /* with weight_bits 4: every weights tensor INT4 */
    /* with weight_bits 4 and not int4_all: the written model's output error on the calibration
     * samples may grow to this many times the int8 model's (0: QZ_INT4_BUDGET, 2) */
    double int4_error;
    /* 0, or the share of each output channel's FC and CONV_2D weights set to 0 (smallest
     * magnitudes first), written sparse (a constant and its DENSIFY) where that is smaller */
    float prune;
    int dense; /* 1: pruned weights written dense with their zeros, never sparse */
    /* 1: biases as written, without the correction of the shift the weights' rounding (and
     * pruning) puts on each output channel's mean (--no-bias-correction) */
    int no_bias_correction;
    /* 1: each weight rounded to nearest (--rounding nearest); 0: each output channel's weights
     * rounded up or down as lowers the error of its output over the calibration samples' input
     * patches (adaptive, the default) */
    int nearest_rounding;
    /* 1: 16x8 quantization (--activations int16): activations int16, symmetric (zero point 0),
     * biases int64, weights int8 as ever (TensorFlow Lite's "int16 activations" mode); 0: int8 */
    int act16;
} qz_options;

/* What was done, for the report. */
typedef struct qz_report {
    int n_nodes, n_weights; /* nodes written (QUANTIZE/DEQUANTIZE included), weight tensors */
    int n_float;            /* nodes left float */
    int n_sparse;           /* weight tensors written sparse */
    int n_int4;             /* weight tensors written INT4 */
    /* --weights int4 (measured choice): the output error on the calibration samples (squared,
     * relative to the float model's outputs) of the all-int8 model and of the written one */
    double int8_error, int4_error;
    size_t out_bytes; /* the written file's size */
} qz_report;

/* Quantize the float32 model at MODEL into an int8 model written to OUTPUT. 0, or a negative
 * EDGE_E* code with ERR saying what (the node and operator, the tensor, the sample). */
int qz_quantize(const char *model, const char *output, const qz_options *o, qz_report *rep,
                edge_error *err);

#endif
