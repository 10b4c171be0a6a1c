/* backends/cpu/op_math.h - what op_math.c shares with the other arithmetic operators (internal).
 *
 * Owns: the fused activation of an int32 or float32 arithmetic operator as the
 * float range and the int32 bounds (CalculateActivationRange), which DIV and
 * the int32 ADD, SUB and MUL of op_binary.c clamp to. Defined in op_math.c. */
#ifndef EDGE_OP_MATH_H
#define EDGE_OP_MATH_H

#include "cpu_op.h"
#include "ref/mathops.h"

/* ACT's range into K's act_min_f/act_max_f and act_min/act_max. */
int edge_math_act_range(edge_prep *p, int act, edge_arith_params *k);

#endif
