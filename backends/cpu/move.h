/* backends/cpu/move.h - blocking for the byte-moving operators (internal).
 *
 * Owns: rewriting the parameters of PAD, TRANSPOSE and (STRIDED_)SLICE at
 * prepare into the fewest dimensions that describe the same move (adjacent
 * dimensions merged, unit dimensions dropped), so the reference movers of
 * kernels/ref/transform.h copy long contiguous runs with memcpy instead of
 * short rows; and a tiled transpose for the permutations that, so reduced, swap
 * the last two dimensions (NHWC <-> NCHW and every 2-D transpose), spread over
 * the interpreter's threads; RESIZE_NEAREST_NEIGHBOR by whole-row copies; whole-tensor copies
 * split over the threads. The rewritten parameters
 * move exactly the same bytes to the same places, so the results are those of the reference. Does
 * not own validation (the ops' prepare functions) or the reference movers
 * (kernels/ref/transform.c). */
#ifndef EDGE_CPU_MOVE_H
#define EDGE_CPU_MOVE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cpu_op.h"
#include "dispatch.h"
#include "ref/resize.h"
#include "ref/transform.h"

/* N bytes from SRC to DST (apart) for a short N of any size: fixed-size moves, the last one
 * ending at N and overlapping the one before, instead of a memcpy call per piece (a feature map
 * padded along its channels is one short copy and one short fill per pixel; a broadcast
 * operand's repeated run of a few bytes). */
static inline void edge_move_short(uint8_t *dst, const uint8_t *src, size_t n)
{
    if (n > 256) {
        memcpy(dst, src, n);
    } else if (n >= 32) {
        for (size_t i = 0; i + 32 < n; i += 32)
            memcpy(dst + i, src + i, 32);
        memcpy(dst + n - 32, src + n - 32, 32);
    } else if (n >= 16) {
        memcpy(dst, src, 16);
        memcpy(dst + n - 16, src + n - 16, 16);
    } else if (n >= 8) {
        memcpy(dst, src, 8);
        memcpy(dst + n - 8, src + n - 8, 8);
    } else if (n >= 4) {
        memcpy(dst, src, 4);
        memcpy(dst + n - 4, src + n - 4, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            dst[i] = src[i];
    }
}

/* PAD: K in place; dimensions without padding merged into the one before. */
void edge_move_pad_collapse(edge_ref_pad_params *k);

/* The pad value (ESIZE bytes: 1, 2, 4 or 8) repeated over EDGE_MOVE_PAD_PATTERN bytes. */
#define EDGE_MOVE_PAD_PATTERN 256
void edge_move_pad_pattern(const void *value, size_t esize, uint8_t *pattern);

/* PAD K (collapsed or not) of ESIZE-byte elements (1, 2, 4 or 8) from IN to OUT, as
 * edge_ref_pad_bytes writes it with PATTERN's first element as the value: the rows of the
 * innermost dimension split over EX's threads, each row's runs of input and pad value moved
 * with a few fixed-size copies. */
void edge_move_pad_run(const edge_ref_pad_params *k, size_t esize, const uint8_t *pattern,
                       const void *in, void *out, edge_exec *ex);

/* STRIDED_SLICE / SLICE with begins known at prepare: K in place; a whole dimension (start 0,
 * step 1, every element) merged into the one before it when that one steps by 1. */
void edge_move_slice_collapse(edge_ref_slice_params *k);

/* ROWS runs of RUN bytes from SRC (SRC_STRIDE apart) to DST (DST_STRIDE apart); runs of 1, 2,
 * 4, ..., 128 bytes are inlined fixed-size copies (feature-map channel groups), other runs up to
 * 256 bytes edge_move_short's few moves (YOLOv5's 2- and 81-byte box fields), where a memcpy
 * call per run cost more than its bytes. */
void edge_move_runs(uint8_t *dst, size_t dst_stride, const uint8_t *src, ptrdiff_t src_stride,
                    size_t rows, size_t run);

/* OUTER steps of N_IN inputs concatenated (CHUNK[i] bytes of input i per step), as
 * edge_ref_concat_bytes writes them: input by input, its runs into their place in every step
 * (CONCATENATION and PACK). An input of 0 bytes is skipped (its buffer may be NULL). */
void edge_move_concat(size_t outer, int n_in, const size_t *chunk, const void *const *in,
                      void *out);

/* SPLIT (SPLIT_V, UNPACK): OUTER steps of IN, each CHUNK[i] bytes of part i after the parts
 * before it, into OUT[i] (as edge_ref_split_bytes writes them): each part's runs moved with
 * edge_move_runs, the steps split over EX's threads (thread t the t-th share, as the producer's
 * rows mostly were, so that each thread's consumers find its share in its own cache). A part of
 * 0 bytes is skipped (its buffer may be NULL). */
void edge_move_split(size_t outer, int n_out, const size_t *chunk, const void *in, void *const *out,
                     edge_exec *ex);

/* The slice K (collapsed or not) of ESIZE-byte elements from IN to OUT, as
 * edge_ref_strided_slice_bytes writes it: the outermost dimension's output rows split over
 * EX's threads (thread t takes the t-th share, as the producer's rows mostly were), and runs of
 * a contiguous innermost dimension copied without the reference's per-row index walk. */
void edge_move_slice_run(const edge_ref_slice_params *k, size_t esize, const void *in, void *out,
                         edge_exec *ex);

/* TRANSPOSE: the reduced move and how it runs. */
typedef struct edge_move_transpose {
    edge_ref_transpose_params k; /* reduced */
    size_t esize;
    /* tiled when the reduced perm is (0, ..., r-3, r-1, r-2): batch copies of rows x cols
     * matrices to cols x rows */
    int tiled;
    size_t batch, rows, cols;
    /* tiled one-byte matrices of 2..4 rows (an NCHW -> NHWC image) or columns (back): KT's
     * planes8 kernel, interleaving (rows are planes) or not; NULL: the tiles */
    edge_planes8_fn planes;
    int interleave;
} edge_move_transpose;

/* Reduce K (a validated transpose of ESIZE-byte elements) into *T, with kernel table KT's
 * planes8 kernels where they apply (KT may be NULL). */
void edge_move_transpose_plan(const edge_ref_transpose_params *k, size_t esize,
                              const edge_kernels *kt, edge_move_transpose *t);
void edge_move_transpose_run(const edge_move_transpose *t, const void *in, void *out,
                             edge_exec *ex);

/* RESIZE_NEAREST_NEIGHBOR (kernels/ref/resize.h's tables YMAP, XMAP): each output row built
 * once from channel runs, and copied whole for the next output rows with the same source row;
 * rows spread over the interpreter's threads. */
void edge_move_resize_nearest(const edge_ref_resize_params *p, const int32_t *ymap,
                              const int32_t *xmap, size_t esize, const void *in, void *out,
                              edge_exec *ex);

/* OUT = IN, BYTES bytes (two tensors alive at one node, so apart): memcpy, cut into runs of at
 * least 64 KiB over the interpreter's threads (RESHAPE, SQUEEZE, EXPAND_DIMS); memmove if the
 * ranges overlap after all. */
void edge_move_copy(const void *in, void *out, size_t bytes, edge_exec *ex);

#endif
