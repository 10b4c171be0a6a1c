/* client/values.h - numbers to tensor bytes for edgectl infer.
 *
 * Owns: quantizing real values with a tensor's scale and zero point exactly
 * as TensorFlow Lite's QUANTIZE does (float division, rounding half away from
 * zero, clamping to the type's range), and converting a JSON array of numbers
 * (nested arrays are flattened) or float arrays (from .npy) to the bytes of a
 * KServe datatype. Does not own reading files or talking to the daemon. */
#ifndef EDGECTL_VALUES_H
#define EDGECTL_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct edgectl_quant {
    bool quantized;
    double scale;
    int64_t zero_point;
} edgectl_quant;

/* round(x / scale) + zero_point clamped to [lo, hi], in float as TFLite does. */
int64_t edgectl_quantize(float x, float scale, int64_t zero_point, int64_t lo, int64_t hi);
/* (q - zero_point) * scale */
double edgectl_dequantize(int64_t q, const edgectl_quant *qp);

/* Integer range of an integer datatype ("INT8" -> [-128, 127]); false if not one. */
bool edgectl_int_range(const char *dt, int64_t *lo, int64_t *hi);

/* Element I of DATA (datatype DT) as a number. */
double edgectl_value_at(const char *dt, const void *data, size_t i);

/* Convert the JSON text (an array of numbers, possibly nested) to exactly
 * COUNT elements of DT at DST. Integer types with quantization parameters are
 * quantized; without them INT8/UINT8/INT16 are refused (say so), wider
 * integer types take integer values as they are. WHAT names the input in
 * messages. 0, or -1 with the reason in ERR. */
int edgectl_values_from_json(const char *text, size_t len, const char *dt, const edgectl_quant *q,
                             size_t count, uint8_t *dst, const char *what, char *err,
                             size_t errlen);

/* Convert COUNT float32 (SRC_FP64: float64) values to DT at DST: FP32 copies,
 * quantized integer types are quantized. 0, or -1 with the reason in ERR. */
int edgectl_values_from_floats(const void *src, bool src_fp64, size_t count, const char *dt,
                               const edgectl_quant *q, uint8_t *dst, const char *what, char *err,
                               size_t errlen);

#endif
