/* tests/fuzz/robust.h - what the robustness test's files share.
 *
 * Owns: opening a model from an exact-size heap copy (so ASan sees any read
 * past the end), the "refused with a message naming the problem" check, and
 * the lists of cmocka tests each file contributes to test_model_robustness.c's
 * main. Does not own any test case. */
#ifndef EDGE_ROBUST_H
#define EDGE_ROBUST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "tools/tflite_writer.h"

/* Arena limit every robustness case opens with (mutated shapes can be huge). */
#define ROBUST_ARENA_LIMIT (64u << 20)

/* Open N bytes of BUF from a malloc'd copy of exactly N bytes. On success *copy
 * holds the copy, which must outlive the model; on failure it is freed. */
int robust_open_copy(const uint8_t *buf, size_t n, edge_model **m, edge_error *err, uint8_t **copy);

/* The file must be refused: with CODE (any negative code when CODE is 0), a
 * non-empty message, containing NEEDLE1 and NEEDLE2 (each may be NULL). Prints
 * the message under LABEL. */
void robust_expect_refused(const char *label, const uint8_t *buf, size_t n, int code,
                           const char *needle1, const char *needle2);

/* The file must load (and, when it has inputs, run once on zero input). */
void robust_expect_runs(const char *label, const uint8_t *buf, size_t n);

/* Writer shorthands (robust_crafted.c): a tensor without / with per-tensor
 * quantization, and tfw_finish that fails the test on error. */
int32_t robust_add_plain(tfw_writer *w, int type, const char *name, int rank, const int32_t *dims);
int32_t robust_add_q(tfw_writer *w, int type, const char *name, int rank, const int32_t *dims,
                     float scale, int32_t zp);
uint8_t *robust_finish(tfw_writer *w, size_t *n);

/* cmocka tests of robust_crafted.c, robust_crafted_ops17.c, robust_scales.c and
 * robust_limits.c. */
const struct CMUnitTest *robust_crafted_tests(size_t *n);
const struct CMUnitTest *robust_ops17_tests(size_t *n);
const struct CMUnitTest *robust_limits_tests(size_t *n);
/* batch matmul and svdf family (robust_crafted_bmm.c) */
const struct CMUnitTest *robust_bmm_tests(size_t *n);
/* vision custom operators (robust_crafted_vision.c) */
const struct CMUnitTest *robust_vision_tests(size_t *n);
/* audio family: TFLite Micro's signal operators (robust_crafted_signal.c) */
const struct CMUnitTest *robust_signal_tests(size_t *n);
/* control flow and resource variables family (robust_subgraphs.c) */
const struct CMUnitTest *robust_subgraph_tests(size_t *n);
/* sparse tensors and DENSIFY (robust_sparse.c) */
const struct CMUnitTest *robust_sparse_tests(size_t *n);
void robust_test_bad_scales(void **state);

#endif
