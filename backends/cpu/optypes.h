/* backends/cpu/optypes.h - the operator table: the types each CPU operator's data takes (internal).
 *
 * Owns: the row of every operator the CPU registry (registry.c) runs, builtin and custom: the
 * types its data input (edge_op_data_input) may have, as its prepare accepts them, and a short
 * note per special case (the TYPES and NOTES columns of the operator table, ops/optable.def). The
 * runtime refuses a node whose data input's type is not in its row (edge_optype_check, called by
 * runtime/interp/prepare.c) with one uniform message, and tools/gen_opdoc.c writes
 * docs/operators.md from the table. Does not own the operators' validation (each prepare still
 * checks every operand). */
#ifndef EDGE_CPU_OPTYPES_H
#define EDGE_CPU_OPTYPES_H

#include <stddef.h>
#include <stdint.h>

#include "cpu_op.h"

typedef struct edge_optype {
    int32_t code;       /* builtin code; EDGE_OP_CUSTOM for a custom operator */
    const char *custom; /* a custom operator's custom_code; NULL for a builtin */
    uint32_t types;     /* EDGE_DTYPE_BIT set: the types of the data input, or
                         * EDGE_OPTYPE_NO_INPUTS */
    const char *notes;  /* the special cases, for the documentation ("" when none) */
} edge_optype;

/* The types of an operator that takes no inputs (CALL_ONCE, VAR_HANDLE): no type matches it. */
#define EDGE_OPTYPE_NO_INPUTS (UINT32_C(1) << 31)

/* Row I of the table in its order (NULL past the end). */
const edge_optype *edge_optype_at(size_t i);
/* The row of operator CODE, or for EDGE_OP_CUSTOM of CUSTOM_CODE; NULL when it has none. */
const edge_optype *edge_optype_find(int32_t code, const char *custom_code);
/* "FLOAT32, INT8, UINT8" (the types of TYPES, most common first) into BUF of LEN bytes. */
void edge_optype_list(uint32_t types, char *buf, size_t len);
/* 0 when node N's data input has a type its operator's row lists (or the input is absent, or
 * the operator has no row); else EDGE_EUNSUPPORTED into ERR: "node F: operator LABEL vV on
 * TYPE is not supported (it takes ...)". */
int edge_optype_check(const edge_model *m, const edge_node *n, const char *label, edge_error *err);

/* The registry's operators one by one (registry.c): the I-th builtin, then the custom ones, with
 * a custom operator's custom_code into *CUSTOM (NULL for a builtin); NULL past the end. */
const edge_op *edge_cpu_op_at(size_t i, const char **custom);

#endif
