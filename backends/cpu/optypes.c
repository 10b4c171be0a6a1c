/* backends/cpu/optypes.c - the types each CPU operator's data takes.
 *
 * Owns: one row per operator of ops/optable.def (builtin and custom): the types of its data input
 * (edge_op_data_input: input 1 of SPLIT, FILL, SELECT; 2 of TRANSPOSE_CONV; else 0), read from
 * its prepare in backends/cpu/op_*.c, with a note per special case (hybrid, 16x8, uint8
 * through the int8 kernel, fixed output quantization, other operands' types); the uniform
 * refusal of a node on another type (edge_optype_check). The types and notes are columns of
 * the operator table (ops/optable.def), expanded here with the type sets below; docs/operators.md
 * is generated from these rows (tools/gen_opdoc.c). Does not own the operators' checks of their
 * other operands. */
#include <stdio.h>
#include <string.h>

#include "optable.def"
#include "optypes.h"

#define F32 EDGE_DTYPE_BIT(EDGE_FLOAT32)
#define F16 EDGE_DTYPE_BIT(EDGE_FLOAT16)
#define S8 EDGE_DTYPE_BIT(EDGE_INT8)
#define U8 EDGE_DTYPE_BIT(EDGE_UINT8)
#define S16 EDGE_DTYPE_BIT(EDGE_INT16)
#define S32 EDGE_DTYPE_BIT(EDGE_INT32)
#define S64 EDGE_DTYPE_BIT(EDGE_INT64)
#define BOOL EDGE_DTYPE_BIT(EDGE_BOOL)
#define U32 EDGE_DTYPE_BIT(EDGE_UINT32)
#define U64 EDGE_DTYPE_BIT(EDGE_UINT64)
#define C64 EDGE_DTYPE_BIT(EDGE_COMPLEX64)
#define RES EDGE_DTYPE_BIT(EDGE_TYPE_RESOURCE)
/* Every type a tensor may have (float16 is storage only: DEQUANTIZE reads it). */
#define ANY (F32 | S8 | U8 | S16 | S32 | S64 | BOOL)
/* What the byte-copying shape operators move: every type with a size (RFFT2D's complex64 output
 * is reshaped in YAMNet's front end). */
#define BYTES                                                                \
    (ANY | F16 | EDGE_DTYPE_BIT(EDGE_UINT32) | EDGE_DTYPE_BIT(EDGE_UINT64) | \
     EDGE_DTYPE_BIT(EDGE_COMPLEX64))
/* The convolution family's activations (op_conv.h's EDGE_CONV_TYPES). */
#define Q8F (F32 | S8 | U8)

#define EDGE_OPTYPE_BUILTIN(name, version, options, derive, data, types, fast, gen, notes) \
    {EDGE_OP_##name, NULL, types, notes},
#define EDGE_OPTYPE_CUSTOM(sym, custom, version, options, derive, data, types, fast, gen, notes) \
    {EDGE_OP_CUSTOM, custom, types, notes},

/* The rows of ops/optable.def: the builtin operators in the registry's order, then the custom
 * ones. */
/* clang-format off */
static const edge_optype rows[] = {
    EDGE_OPTABLE_BUILTIN(EDGE_OPTYPE_BUILTIN)
    EDGE_OPTABLE_CUSTOM(EDGE_OPTYPE_CUSTOM)
};
/* clang-format on */

#undef EDGE_OPTYPE_BUILTIN
#undef EDGE_OPTYPE_CUSTOM

const edge_optype *edge_optype_at(size_t i)
{
    return i < sizeof rows / sizeof rows[0] ? &rows[i] : NULL;
}

const edge_optype *edge_optype_find(int32_t code, const char *custom_code)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const edge_optype *r = &rows[i];
        if (r->code != code)
            continue;
        if (code != EDGE_OP_CUSTOM)
            return r;
        if (custom_code && !strcmp(r->custom, custom_code))
            return r;
    }
    return NULL;
}

void edge_optype_list(uint32_t types, char *buf, size_t len)
{
    static const edge_dtype order[] = {
        EDGE_FLOAT32, EDGE_INT8,    EDGE_UINT8,  EDGE_INT16,  EDGE_INT32,     EDGE_INT64,
        EDGE_BOOL,    EDGE_FLOAT16, EDGE_UINT32, EDGE_UINT64, EDGE_COMPLEX64, EDGE_TYPE_RESOURCE};
    size_t used = 0;
    if (len)
        buf[0] = 0;
    if (types == EDGE_OPTYPE_NO_INPUTS && len) {
        snprintf(buf, len, "no inputs");
        return;
    }
    for (size_t i = 0; i < sizeof order / sizeof order[0] && used < len; i++) {
        if (!(types & EDGE_DTYPE_BIT(order[i])))
            continue;
        const int w =
            snprintf(buf + used, len - used, "%s%s", used ? ", " : "", edge_dtype_name(order[i]));
        if (w < 0)
            return;
        used += (size_t)w;
    }
}

int edge_optype_check(const edge_model *m, const edge_node *n, const char *label, edge_error *err)
{
    const edge_optype *r = edge_optype_find(n->code, n->custom_code);
    const int k = edge_op_data_input(n->code);
    if (!r || k >= n->n_in || n->in[k] < 0 || n->in[k] >= m->n_tensors)
        return 0;
    const int type = m->tensors[n->in[k]].type;
    if ((unsigned)type < 32 && (r->types & EDGE_DTYPE_BIT(type)))
        return 0;
    char list[160];
    edge_optype_list(r->types, list, sizeof list);
    return edge__seterr(err, EDGE_EUNSUPPORTED,
                        "node %d: operator %s v%d on %s is not supported (it takes %s)",
                        (int)n->file_index, label, (int)n->version, edge_dtype_name(type), list);
}
