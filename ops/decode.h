/* ops/decode.h - decoding a node's builtin options into edge_op_params (internal).
 *
 * Owns: the one place that knows the field slots of TensorFlow Lite's option
 * tables (Conv2DOptions, Pool2DOptions, ...) and their defaults, and the checks
 * that need nothing but the options: the options table has the type the
 * operator expects and every field read is well formed (padding and activation
 * values are checked by the derivations that use them). Called once per node
 * at load (runtime/interp/prepare.c),
 * before any back end sees the node. Does not own what the options mean for
 * tensors (the operators' prepare) or reading the rest of the file (runtime/). */
#ifndef EDGE_OPS_DECODE_H
#define EDGE_OPS_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "edge/ops.h"
#include "fb.h"
#include "flexbuf.h"
#include "optable.def"

/* Reads the fields of one builtin options table O (absent fields: TensorFlow Lite's defaults)
 * into *P; a malformed field marks O's cursor failed (edge_op_decode reports it). */
typedef void (*edge_options_decoder)(const fb_table *o, edge_op_params *p);

/* Every decoder the OPTIONS column of ops/optable.def names (OPT(Table, decoder)). */
#define OPT(table, fn) void fn(const fb_table *o, edge_op_params *p);
#define NONE
#define EDGE_DECLARE_DECODER(name, version, options, ...) options
EDGE_OPTABLE_BUILTIN(EDGE_DECLARE_DECODER)
#undef EDGE_DECLARE_DECODER
#undef OPT

/* The custom operators' decoders (FLEX(fn): a FlexBuffer map, RAW(fn): raw bytes). */
#define FLEX(fn) int fn(const edge_flex_map *m, edge_op_params *out, edge_error *err);
#define RAW(fn) int fn(const uint8_t *opt, size_t len, edge_op_params *out, edge_error *err);
#define SIGNAL
#define EDGE_DECLARE_CUSTOM_DECODER(sym, custom, version, options, ...) options
EDGE_OPTABLE_CUSTOM(EDGE_DECLARE_CUSTOM_DECODER)
#undef EDGE_DECLARE_CUSTOM_DECODER
#undef FLEX
#undef RAW
#undef SIGNAL
#undef NONE

/* Decode OPT (absent: every field takes its default) of an operator CODE whose
 * table has type OPTIONS_TYPE into *OUT (zeroed first). 0, or EDGE_EFORMAT /
 * EDGE_EUNSUPPORTED with a message in ERR saying which option is wrong. */
int edge_op_decode(int32_t code, uint8_t options_type, fb_table opt, edge_op_params *out,
                   edge_error *err);

/* Decode the options of a CUSTOM operator named NAME (OPT, LEN bytes: a FlexBuffer map for
 * the custom operators libedge knows, raw TfLiteTransposeConvParams bytes for MediaPipe's
 * Convolution2DTransposeBias) into *OUT (zeroed first); unknown names decode to zeros. 0, or
 * EDGE_EFORMAT with a message naming the option (missing, wrong type, malformed). */
int edge_op_decode_custom(const char *name, const uint8_t *opt, size_t len, edge_op_params *out,
                          edge_error *err);

/* audio family: the options of TFLite Micro's signal operator NAME ("Signal...") into *OUT
 * (ops/decode_signal.c); names without options, or unknown, decode to zeros. */
int edge_signal_decode(const char *name, const uint8_t *opt, size_t len, edge_signal_options *out,
                       edge_error *err);

#endif
