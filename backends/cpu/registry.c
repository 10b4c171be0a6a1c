/* backends/cpu/registry.c - which operators the CPU back end implements.
 *
 * Owns: the lookup from builtin code (or, for code CUSTOM, custom_code) to implementation,
 * expanded from the operator table (ops/optable.def): each op file defines its
 * `const edge_op edge_op_<NAME>` and the table's row names it, so an operator is listed
 * once. The references are strong, so linking the registry pulls every operator out of a
 * static libedge.a. Does not own any operator's behaviour, nor the list (optable.def). */
#include <stddef.h>
#include <string.h>

#include "cpu_op.h"
#include "optable.def"
#include "optypes.h"

#define EDGE_DECLARE_OP(name, ...) extern const edge_op edge_op_##name;
EDGE_OPTABLE_BUILTIN(EDGE_DECLARE_OP)
#undef EDGE_DECLARE_OP

static const edge_op *const cpu_ops[] = {
#define EDGE_OP_ENTRY(name, ...) &edge_op_##name,
    EDGE_OPTABLE_BUILTIN(EDGE_OP_ENTRY)
#undef EDGE_OP_ENTRY
};

const edge_op *edge_cpu_find_op(int32_t code)
{
    for (size_t i = 0; i < sizeof cpu_ops / sizeof cpu_ops[0]; i++)
        if (cpu_ops[i]->code == code)
            return cpu_ops[i];
    return NULL;
}

/* ---- custom operators: by custom_code name (code EDGE_OP_CUSTOM) ---- */

#define EDGE_DECLARE_CUSTOM(sym, text, ...) extern const edge_op edge_op_##sym;
EDGE_OPTABLE_CUSTOM(EDGE_DECLARE_CUSTOM)
#undef EDGE_DECLARE_CUSTOM

static const struct {
    const char *name;
    const edge_op *op;
} cpu_custom_ops[] = {
#define EDGE_CUSTOM_ENTRY(sym, text, ...) {text, &edge_op_##sym},
    EDGE_OPTABLE_CUSTOM(EDGE_CUSTOM_ENTRY)
#undef EDGE_CUSTOM_ENTRY
};

const edge_op *edge_cpu_find_custom(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof cpu_custom_ops / sizeof cpu_custom_ops[0]; i++)
        if (!strcmp(cpu_custom_ops[i].name, name))
            return cpu_custom_ops[i].op;
    return NULL;
}

const edge_op *edge_cpu_find_node_op(int32_t code, const char *custom_code)
{
    return code == EDGE_OP_CUSTOM ? edge_cpu_find_custom(custom_code) : edge_cpu_find_op(code);
}

/* ---- every operator, one by one (backends/cpu/optypes.h: the operator table's test and
 * docs/operators.md's generator walk them) ---- */

const edge_op *edge_cpu_op_at(size_t i, const char **custom)
{
    const size_t n_builtin = sizeof cpu_ops / sizeof cpu_ops[0];
    *custom = NULL;
    if (i < n_builtin)
        return cpu_ops[i];
    i -= n_builtin;
    if (i >= sizeof cpu_custom_ops / sizeof cpu_custom_ops[0])
        return NULL;
    *custom = cpu_custom_ops[i].name;
    return cpu_custom_ops[i].op;
}
