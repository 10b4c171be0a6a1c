/* tools/float_twin.c - the float32 twin of a quantized model.
 *
 * Owns: float_twin_write, which reads a quantized .tflite with libedge and writes the same graph
 * in float32: every quantized tensor becomes float32 (a constant holds its dequantized values,
 * (q - zero_point) * scale per channel along its quantized dimension: int8, uint8, int16 and the
 * int32 biases, whose scale is input scale x weight scale), every unquantized tensor is written
 * as it is (shapes, indices, class ids), and the QUANTIZE and DEQUANTIZE nodes go (their output
 * is their input), so a uint8 or int8 image model takes and gives float32 in the units its
 * quantization gives them. Every other node keeps its operator, version and options. The twin is
 * what a float model of those weights computes: `edgectl quantize` has a float MobileNet and
 * EfficientNet-Lite to quantize (issue 48), made from the zoo's quantized ones by the project's
 * own tools. Subgraph 0 only; a model with custom operators or other subgraphs is refused.
 * Does not own: reading the model (libedge), writing flatbuffers (tflite_writer.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/ops.h"
#include "edge/runtime.h"
#include "float_twin.h"
#include "tflite_writer.h"

#define TWIN_MAX_IO 16
#define TWIN_MAX_INPUTS 64

#include <stdarg.h>

__attribute__((format(printf, 4, 5))) static int failf(char *err, size_t len, int rc,
                                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return rc;
}

#define INT4_TYPE 17 /* schema.fbs TensorType INT4: libedge shows the file's nibbles */

/* Constant T's values in float32 (COUNT of them), dequantized with its parameters. */
static float *dequantized(const edge_model *m, size_t t, const edge_tensor_info *ti, size_t *count)
{
    size_t bytes = 0;
    const void *v = edge_model_tensor_data(m, t, &bytes);
    const bool nibbles = ti->type == (edge_dtype)INT4_TYPE;
    const size_t esz = edge_dtype_size(ti->type);
    size_t n = esz ? bytes / esz : 0;
    for (int d = 0; nibbles && d <= ti->rank; d++) /* two a byte, low nibble first */
        n = d == 0 ? 1 : n * (size_t)ti->dims[d - 1];
    if (nibbles && n > 2 * bytes)
        return NULL;
    float *out = malloc((n ? n : 1) * sizeof *out);
    if (!out || !v)
        return free(out), NULL;
    size_t inner = 1; /* elements per step of the quantized dimension */
    for (int d = ti->quant_axis + 1; ti->quant_count > 1 && d < ti->rank; d++)
        inner *= (size_t)ti->dims[d];
    for (size_t i = 0; i < n; i++) {
        const size_t c = ti->quant_count > 1 ? (i / inner) % (size_t)ti->quant_count : 0;
        const float scale = ti->scales ? ti->scales[c] : ti->scale;
        const int32_t zp = ti->zero_points ? ti->zero_points[c] : ti->zero_point;
        int64_t q;
        if (nibbles) {
            q = (int64_t)((((const uint8_t *)v)[i / 2] >> (i % 2 ? 4 : 0) & 15) ^ 8) - 8;
            out[i] = (float)((double)(q - zp) * (double)scale);
            continue;
        }
        switch (ti->type) {
        case EDGE_INT8: q = ((const int8_t *)v)[i]; break;
        case EDGE_UINT8: q = ((const uint8_t *)v)[i]; break;
        case EDGE_INT16: q = ((const int16_t *)v)[i]; break;
        case EDGE_INT32: q = ((const int32_t *)v)[i]; break;
        case EDGE_INT64: q = ((const int64_t *)v)[i]; break; /* a 16x8 model's biases */
        default: free(out); return NULL;
        }
        out[i] = (float)((double)(q - zp) * (double)scale);
    }
    *count = n;
    return out;
}

static bool quantized(const edge_tensor_info *ti)
{
    return ti->quant_count > 0 &&
           (ti->type == EDGE_INT8 || ti->type == EDGE_UINT8 || ti->type == EDGE_INT16 ||
            ti->type == EDGE_INT32 || ti->type == EDGE_INT64 || ti->type == (edge_dtype)INT4_TYPE);
}

static int write_tensors(const edge_model *m, tfw_writer *w, size_t nt, char *err, size_t len)
{
    for (size_t t = 0; t < nt; t++) {
        edge_tensor_info ti;
        edge_model_tensor_info(m, t, &ti);
        tfw_tensor_desc d = {.type = ti.type,
                             .rank = ti.rank,
                             .dims = ti.dims,
                             .name = ti.name,
                             .is_variable = ti.is_variable != 0};
        int32_t id;
        if (quantized(&ti)) {
            d.type = EDGE_FLOAT32;
            size_t n = 0;
            float *v = ti.is_constant ? dequantized(m, t, &ti, &n) : NULL;
            if (ti.is_constant && !v)
                return failf(err, len, EDGE_ENOMEM, "tensor %zu (%s): cannot dequantize it", t,
                             ti.name);
            id = v ? tfw_add_const(w, &d, v, n * sizeof *v) : tfw_add_tensor(w, &d);
            free(v);
        } else {
            size_t bytes = 0;
            const void *v = ti.is_constant ? edge_model_tensor_data(m, t, &bytes) : NULL;
            id = v ? tfw_add_const(w, &d, v, bytes) : tfw_add_tensor(w, &d);
        }
        if (id != (int32_t)t)
            return failf(err, len, id < 0 ? id : EDGE_EINVAL, "tensor %zu (%s): cannot write it", t,
                         ti.name);
    }
    return 0;
}

int float_twin_write(const char *in_path, const char *out_path, char *err, size_t len)
{
    edge_model *m = NULL;
    edge_error e;
    int rc = edge_model_open(in_path, NULL, &m, &e);
    if (rc)
        return failf(err, len, rc, "%s: %s", in_path, e.message);
    tfw_writer *w = tfw_new();
    int32_t *alias = NULL;
    edge_subgraph_info sg;
    edge_model_subgraph_info(m, 0, &sg);
    const size_t nt = (size_t)sg.n_tensors, nn = edge_model_node_count(m);
    if (!w || !(alias = malloc(nt * sizeof *alias))) {
        rc = failf(err, len, EDGE_ENOMEM, "%s: out of memory", in_path);
        goto out;
    }
    if (edge_model_subgraph_count(m) > 1) {
        rc = failf(err, len, EDGE_EUNSUPPORTED, "%s: more than one subgraph", in_path);
        goto out;
    }
    if (sg.n_inputs > TWIN_MAX_IO || sg.n_outputs > TWIN_MAX_IO) {
        rc = failf(err, len, EDGE_ELIMIT, "%s: more than 16 inputs or outputs", in_path);
        goto out;
    }
    tfw_set_description(w, "edge-mkmodel float: the float32 twin of a quantized model");
    if ((rc = write_tensors(m, w, nt, err, len)))
        goto out;
    for (size_t t = 0; t < nt; t++)
        alias[t] = (int32_t)t;
    int32_t codes[256];
    for (int k = 0; k < 256; k++)
        codes[k] = -1;
    for (size_t i = 0; i < nn; i++) {
        edge_node_info ni;
        edge_model_node_info(m, i, &ni);
        if (ni.builtin_code == EDGE_OP_QUANTIZE || ni.builtin_code == EDGE_OP_DEQUANTIZE) {
            alias[ni.outputs[0]] = alias[ni.inputs[0]]; /* float to float: nothing to do */
            continue;
        }
        if (ni.custom_code || ni.builtin_code < 0 || ni.builtin_code >= 256 ||
            ni.n_inputs > TWIN_MAX_INPUTS) {
            rc = failf(err, len, EDGE_EUNSUPPORTED, "node %zu (%s): not written by this tool", i,
                       ni.custom_code ? ni.custom_code : ni.op_name);
            goto out;
        }
        edge_op_params p;
        edge_model_node_params(m, i, &p, sizeof p);
        tfw_options o;
        if (tfw_opt_from_params(&o, ni.builtin_code, &p)) {
            rc = failf(err, len, EDGE_EUNSUPPORTED,
                       "node %zu (%s): the writer does not know its options", i, ni.op_name);
            goto out;
        }
        if (codes[ni.builtin_code] < 0)
            codes[ni.builtin_code] = tfw_add_opcode(w, ni.builtin_code, ni.version);
        int32_t in[TWIN_MAX_INPUTS];
        for (int32_t k = 0; k < ni.n_inputs; k++)
            in[k] = ni.inputs[k] < 0 ? -1 : alias[ni.inputs[k]];
        tfw_add_operator(w, codes[ni.builtin_code], in, ni.n_inputs, ni.outputs, ni.n_outputs, &o);
    }
    int32_t ins[TWIN_MAX_IO], outs[TWIN_MAX_IO];
    for (int32_t k = 0; k < sg.n_inputs; k++)
        ins[k] = sg.inputs[k];
    for (int32_t k = 0; k < sg.n_outputs; k++)
        outs[k] = alias[sg.outputs[k]];
    tfw_set_io(w, ins, sg.n_inputs, outs, sg.n_outputs);
    if ((rc = tfw_write_file(w, out_path)))
        snprintf(err, len, "%s: cannot write it (%s)", out_path, edge_strerror(rc));
out:
    free(alias);
    tfw_free(w);
    edge_model_unref(m);
    return rc;
}
