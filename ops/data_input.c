/* ops/data_input.c - which input of an operator carries its data.
 *
 * Owns: edge_op_data_input (edge/ops.h), read from the DATA column of the operator table
 * (ops/optable.def): the operators whose input 0 is a parameter (an axis, an output shape)
 * rather than the tensor they compute on, so that messages about a node name the data's type,
 * as TensorFlow Lite's op_version does. Does not own the messages (runtime/interp). */
#include <stddef.h>

#include "edge/ops.h"
#include "optable.def"

int edge_op_data_input(int32_t code)
{
    switch (code) {
#define EDGE_DATA_CASE(name, version, options, derive, data, ...) \
    case EDGE_OP_##name: return data;
        EDGE_OPTABLE_BUILTIN(EDGE_DATA_CASE)
#undef EDGE_DATA_CASE
    default: return 0;
    }
}
