/* backends/cpu/fast_ops.h - the optimized int8 paths of the conv family, ADD and pooling
 * (internal).
 *
 * Owns: deciding at prepare time whether a node can run on the model's kernel
 * table (kernels/dispatch.h), packing its weights once per model version
 * (kept in node->packed with a small header describing the path), and the
 * eval drivers: tiling over the GEMM micro-kernel (direct rows for 1x1 and
 * FC; for KxK the indirect GEMM's window pointers where the level has it,
 * else im2col chunks in per-thread scratch), the direct convolution of 1 to 4
 * input channels (no im2col: first layers; int8, and legacy uint8 for
 * fast_u8.c), row ranges for depthwise, elementwise ADD, window sums for
 * AVERAGE_POOL_2D (int8 and uint8) and MEAN, all spread over the
 * interpreter's threads; the whole-tensor flips (x ^ 0x80) both paths use.
 * A *_prepare function returns 0 without packing when the node does not
 * qualify (the caller then runs the reference kernel), 1 when it set up the
 * fast path, or a negative error code.
 * Does not own validation or multipliers (op_conv.c and friends compute them
 * first) or the micro-kernels (kernels/). */
#ifndef EDGE_FAST_OPS_H
#define EDGE_FAST_OPS_H

#include "cpu_op.h"
#include "qs8.h"
#include "ref/binary.h"
#include "ref/fc.h"
#include "ref/pool.h"
#include "ref/reduce.h"

/* CONV_2D (int8, per-channel or per-tensor weights): 1 to 4 input channels on the direct
 * kernel when the table has one, otherwise over the GEMM kernel. */
int edge_fast_conv_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k);
void edge_fast_conv_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex);
/* Output pixel M's (flattened over batches) window of G's input IN as one A row of KC bytes
 * at DST: the input cells, PAD for the padding, zeros past the window's bytes. The uint8
 * rows path (fast_u8.c) uses it on its bytes too: a copy is a copy. */
void edge_fast_im2col_row(const edge_conv_params *g, int8_t pad, size_t kc, const int8_t *in,
                          size_t m, int8_t *dst);

/* ROW over P's broadcast walk of A and B into OUT (ESIZE-byte elements), as edge_bcast_walk
 * runs it but spread over EX's threads (one run cut into element ranges, else ranges of
 * rows), and where one input repeats a short innermost run along the next dimension, rows
 * over a tile of that run (op_binary.c; DIV's float rows use it too). */
void edge_fast_bcast_run(const edge_arith_params *p, size_t esize, edge_bcast_row_fn row,
                         const void *a, const void *b, void *out, edge_exec *ex);

/* FULLY_CONNECTED (int8) over the GEMM kernel. */
int edge_fast_fc_prepare(edge_prep *p, edge_node *n, const edge_fc_params *k);
void edge_fast_fc_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex);

/* Legacy uint8 CONV_2D of 1 to 4 input channels on the table's uint8 direct kernel (qs8.h,
 * dconv_u8), its OHWI weights given as W_FLIPPED = w ^ 0x80: 1, 0 when it does not apply,
 * EDGE_ENOMEM. Runs through edge_fast_conv_eval. */
int edge_fast_dconv_u8_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k,
                               const int8_t *w_flipped);

/* DEPTHWISE_CONV_2D (int8): depth multiplier 1 on the depthwise kernel, and a
 * one-channel input with any depth multiplier as a convolution (direct, or GEMM). */
int edge_fast_dw_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k);
void edge_fast_dw_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex);
/* Whether depthwise node D's tasks can also compute pointwise CONV_2D P over the pixels of the
 * rows they just wrote (runtime/interp/fuse_pw.c): D on the depthwise kernel, writing its own
 * output; P a 1x1 stride-1 convolution of D's output on the GEMM kernel reading its rows
 * directly (8-bit weights); with THREADS threads, at least 2 GEMM tiles of pixels a thread
 * (D's tasks are then made at least that long). The caller sets D->pw = P when true. */
bool edge_fast_pw_fuse(edge_node *d, const edge_node *p, unsigned threads);
/* A row node of the interpreter's row chains (runtime/interp/chain.c): an int8
 * DEPTHWISE_CONV_2D of one image on the depthwise kernel (with the pointwise CONV_2D fused into
 * it, if any) or on the direct convolution, whose output rows can be computed in any ranges.
 * Output row r reads input rows [r stride - pad, r stride - pad + span), clipped to the input,
 * and up to OVER bytes past the last: EDGE_ROWS_OVERREAD where a kernel's vector load of a
 * partial block of channels reads on into the next pixel (values it does not use: avx2's
 * depthwise kernel where the channels are not a multiple of its 16, avx512vnni's 8 and 16
 * channel paths, the direct convolution), 0 for the depthwise kernels on whole blocks of
 * channels (no level's kernel reads past a pixel's channels there). */
#define EDGE_ROWS_OVERREAD 64
/* Depthwise output bytes a fused pair's task writes before the pointwise GEMM reads them: they
 * are still in its core's L1 (int8 here, uint8 in fast_u8.c). */
#define EDGE_PW_BLOCK_BYTES 16384
typedef struct edge_rows_geom {
    int32_t rows, in_rows;     /* output rows, input rows */
    int64_t in_row_bytes;      /* bytes of an input row */
    int32_t stride, pad, span; /* the rows each output row reads (above) */
    int32_t over;              /* bytes read past the last (above) */
    int32_t in;                /* the tensor it reads (the row window's) */
    int32_t in2;               /* ADD: the other tensor it reads, row r for row r (else -1) */
    int32_t mid;               /* fused: the depthwise output the pointwise reads, else -1 */
    int32_t out;               /* the tensor the next node reads (the pointwise's, a SiLU's) */
} edge_rows_geom;
/* Whether node N of M is a row node, and then its geometry in *G. */
bool edge_fast_rows_geom(const edge_model *m, const edge_node *n, edge_rows_geom *g);
/* The geometry of row node N (a convolution of geometry K whose kernel reads OVER bytes past a
 * row), for the row-node tests of fast_ops.c and fast_u8.c. */
edge_rows_geom edge_fast_conv_rows_geom(const edge_node *n, const edge_conv_params *k,
                                        int32_t over);
/* Output rows [R0, R1) of row node N over tensors T, as its eval computes them (the same kernel
 * calls a task of those rows makes). */
void edge_fast_rows(const edge_node *n, void *const *t, size_t r0, size_t r1);
/* Of int8 depthwise node N fused with its pointwise node (N->pw), the depthwise rows [R0, R1)
 * into its output (the pointwise's input), then the pointwise GEMM over pixels [PX0, PX1) of those
 * rows alone (R0 * out_w <= PX0 < PX1 <= R1 * out_w): a row chain's last layer cut between its
 * bands by pixels (runtime/interp/chain.c). The same kernels on the same pixels as
 * edge_fast_rows, so the same bytes. */
void edge_fast_rows_px(const edge_node *n, void *const *t, size_t r0, size_t r1, size_t px0,
                       size_t px1);
/* Rows a task when ROWS rows of a row-split node are cut for THREADS threads in tasks of at least
 * LEAST rows (at most MOST_TASKS a thread): the cut whose busiest thread has the fewest rows.
 * Exposed for tests/unit/test_row_split.c. */
size_t edge__row_chunk(size_t rows, unsigned threads, size_t least, size_t most_tasks);
/* Tasks a thread of THREADS for a loop of PIXELS output pixels (or GEMM rows): BASE, or more for a
 * large loop (tasks of at least 392 pixels, at most 8 a thread), so that a thread the host slows
 * hands over what it has not begun. Exposed for tests/unit/test_row_split.c. */
size_t edge__tasks_per_thread(size_t pixels, unsigned threads, size_t base);
/* GEMM tiles a task when TILES tiles are cut for THREADS threads, about PER tasks a thread:
 * the even cut, unless another of at most 2 PER a thread loads the busiest thread with fewer
 * tiles. Exposed for tests/unit/test_row_split.c. */
size_t edge__tile_chunk(size_t tiles, unsigned threads, size_t per);
/* The input bytes a block of an indirect GEMM on a team copies flipped (win_copy in fast_ops.c)
 * for the models opened from now on; 0: the default (128 KiB). For tests/unit/test_win_copy.c,
 * which makes blocks small to run many a task. */
void edge__fast_win_bytes(size_t bytes);

/* ADD of two int8 tensors of one shape. */
int edge_fast_add_prepare(edge_prep *p, edge_node *n, const edge_qs8_add_params *k, size_t count);
void edge_fast_add_eval(const edge_node *n, void *const *t, edge_exec *ex);

/* A ^= 0x80 over A_N bytes and B likewise (B may be NULL with B_N 0), in tasks over EX's
 * threads: int8 <-> uint8 bytes, and the operand form of the a_bias-128 kernels. */
void edge_fast_flip(edge_exec *ex, uint8_t *a, size_t a_n, uint8_t *b, size_t b_n);

/* AVERAGE_POOL_2D of int8, or of legacy uint8 when U8 (0 when the table has no uint8 row
 * sums). Needs channels * 4 bytes of scratch per thread. */
int edge_fast_avgpool_prepare(edge_prep *p, edge_node *n, const edge_pool_params *k, bool u8);
void edge_fast_avgpool_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex);

/* MEAN (int8) over the two middle axes of a 4-D tensor (global average pooling). */
int edge_fast_mean_prepare(edge_prep *p, edge_node *n, const edge_reduce_params *k);
void edge_fast_mean_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex);

#endif
