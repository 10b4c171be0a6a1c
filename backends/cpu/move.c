/* backends/cpu/move.c - blocking for the byte-moving operators (see move.h).
 *
 * Owns: the dimension reductions of PAD, SLICE / STRIDED_SLICE and TRANSPOSE
 * done at prepare, the tiled transpose (one-byte elements by 16 x 16 blocks of byte
 * interleaves in GCC / clang vector extensions, which compile to punpck / zip on every target
 * with SIMD; byte by byte they took yolov8n's four transposes 1.1 ms, now 0.3) and the
 * row-copying nearest resize. A merge is made only
 * when the merged extent fits in int32 (the reference movers' dimension type); every rewritten walk
 * visits the same input bytes in the same output order. Does not own validation or the reference
 * movers (kernels/ref/transform.c). */
#include "move.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* A * B fits in int32 (both >= 0). */
static bool fits(int32_t a, int32_t b)
{
    return (int64_t)a * (int64_t)b <= INT32_MAX;
}

/* ---- PAD ---- */

void edge_move_pad_collapse(edge_ref_pad_params *k)
{
    edge_ref_pad_params r = {0};
    int n = 0;
    for (int d = 0; d < k->rank; d++) {
        const int32_t in = k->in_dims[d];
        const bool flat = k->before[d] == 0 && k->after[d] == 0;
        if (flat && in == 1)
            continue; /* moves nothing along it */
        if (flat && n > 0 && fits(r.in_dims[n - 1] + r.before[n - 1] + r.after[n - 1], in)) {
            /* every row of the previous dimension is IN elements, padded as a whole */
            r.in_dims[n - 1] *= in;
            r.before[n - 1] *= in;
            r.after[n - 1] *= in;
            continue;
        }
        r.in_dims[n] = in;
        r.before[n] = k->before[d];
        r.after[n] = k->after[d];
        n++;
    }
    if (n == 0)
        r.in_dims[n++] = 1; /* one element (rank 0, or unit dimensions only) */
    r.rank = n;
    *k = r;
}

void edge_move_pad_pattern(const void *value, size_t esize, uint8_t *pattern)
{
    for (size_t i = 0; i < EDGE_MOVE_PAD_PATTERN; i++)
        pattern[i] = ((const uint8_t *)value)[i % esize];
}

/* N bytes (whole elements) of the pad value: the pattern starts with a whole element and its
 * length is a multiple of every element size, and every piece edge_move_short moves starts at a
 * multiple of the element size within the piece (the element size divides 4, 8, 16 and 32). */
static void fill_pattern(uint8_t *dst, const uint8_t *pattern, size_t n)
{
    for (; n > EDGE_MOVE_PAD_PATTERN; n -= EDGE_MOVE_PAD_PATTERN, dst += EDGE_MOVE_PAD_PATTERN)
        memcpy(dst, pattern, EDGE_MOVE_PAD_PATTERN);
    edge_move_short(dst, pattern, n);
}

#define PAD_TASK_MIN 32768 /* output bytes: less is not worth waking a thread */

typedef struct pad_job {
    const edge_ref_pad_params *k;
    size_t esize;
    const uint8_t *pattern, *in;
    uint8_t *out;
    int32_t out_dims[EDGE_REF_MAX_DIMS];
    size_t in_stride[EDGE_REF_MAX_DIMS]; /* elements */
} pad_job;

/* Output rows [first, first + count) of the innermost dimension, rows numbered over the outer
 * dimensions: each is the pad value, or the pad value, a run of the input and the pad value. */
static void pad_range(void *ctx, size_t first, size_t count)
{
    const pad_job *j = ctx;
    const edge_ref_pad_params *k = j->k;
    const int last = k->rank - 1;
    const size_t e = j->esize, row = (size_t)j->out_dims[last] * e;
    const size_t left = (size_t)k->before[last] * e, width = (size_t)k->in_dims[last] * e;
    uint8_t *o = j->out + first * row;
    int32_t idx[EDGE_REF_MAX_DIMS] = {0}; /* FIRST's outer indices */
    for (int d = last - 1; d >= 0; d--) {
        idx[d] = (int32_t)(first % (size_t)j->out_dims[d]);
        first /= (size_t)j->out_dims[d];
    }
    for (size_t n = 0; n < count; n++, o += row) {
        size_t off = 0;
        bool inside = true;
        for (int d = 0; d < last && inside; d++) {
            const int32_t i = idx[d] - k->before[d];
            inside = i >= 0 && i < k->in_dims[d];
            off += (size_t)i * j->in_stride[d];
        }
        if (inside) {
            fill_pattern(o, j->pattern, left);
            edge_move_short(o + left, j->in + off * e, width);
            fill_pattern(o + left + width, j->pattern, row - left - width);
        } else {
            fill_pattern(o, j->pattern, row);
        }
        for (int d = last - 1; d >= 0 && ++idx[d] == j->out_dims[d]; d--)
            idx[d] = 0;
    }
}

void edge_move_pad_run(const edge_ref_pad_params *k, size_t esize, const uint8_t *pattern,
                       const void *in, void *out, edge_exec *ex)
{
    pad_job j = {.k = k, .esize = esize, .pattern = pattern, .in = in, .out = out};
    size_t rows = 1, stride = 1;
    for (int d = k->rank - 1; d >= 0; d--) {
        j.out_dims[d] = k->in_dims[d] + k->before[d] + k->after[d];
        j.in_stride[d] = stride;
        stride *= (size_t)k->in_dims[d];
        if (d < k->rank - 1)
            rows *= (size_t)j.out_dims[d];
    }
    const size_t row = k->rank ? (size_t)j.out_dims[k->rank - 1] * esize : 0;
    if (k->rank == 0 || rows == 0 || row == 0) {
        edge_ref_pad_bytes(k, esize, in, pattern, out); /* one element, or nothing */
        return;
    }
    edge_exec_ranges(ex, rows, (PAD_TASK_MIN + row - 1) / row, 1, pad_range, &j);
}

/* ---- SLICE, STRIDED_SLICE ---- */

void edge_move_slice_collapse(edge_ref_slice_params *k)
{
    for (int d = 0; d < k->rank; d++)
        if (k->count[d] <= 0)
            return; /* nothing moves; the reference returns at once */
    /* built from the innermost dimension out, at the end of the arrays */
    edge_ref_slice_params r = {0};
    int first = EDGE_REF_MAX_DIMS;
    for (int d = k->rank - 1; d >= 0; d--) {
        const int32_t in = k->in_dims[d], count = k->count[d], start = k->start[d];
        const int32_t step = count == 1 ? 1 : k->step[d]; /* one element: any step */
        if (in == 1)
            continue; /* start 0, count 1 */
        const int g = first;
        if (g < EDGE_REF_MAX_DIMS && step == 1 && r.start[g] == 0 && r.step[g] == 1 &&
            r.count[g] == r.in_dims[g] && fits(in, r.in_dims[g])) {
            /* the inner group is whole: take COUNT of its blocks from START on */
            r.start[g] = start * r.in_dims[g];
            r.count[g] = count * r.in_dims[g];
            r.in_dims[g] = in * r.in_dims[g];
            continue;
        }
        first--;
        r.in_dims[first] = in;
        r.start[first] = start;
        r.step[first] = step;
        r.count[first] = count;
    }
    edge_ref_slice_params o = {0};
    o.rank = EDGE_REF_MAX_DIMS - first;
    if (o.rank == 0) {
        o.rank = 1; /* one element */
        o.in_dims[0] = o.count[0] = o.step[0] = 1;
    }
    for (int i = 0; first + i < EDGE_REF_MAX_DIMS; i++) {
        o.in_dims[i] = r.in_dims[first + i];
        o.start[i] = r.start[first + i];
        o.step[i] = r.step[first + i];
        o.count[i] = r.count[first + i];
    }
    *k = o;
}

#define SLICE_TASK_MIN 32768 /* output bytes: less is not worth waking a thread */

typedef struct slice_job {
    const edge_ref_slice_params *k;
    size_t esize, out_row; /* bytes of one output row of the outermost dimension */
    const uint8_t *in;
    uint8_t *out;
} slice_job;

/* A constant run size lets the compiler inline the copy (yolov8n's channel groups). */
void edge_move_runs(uint8_t *dst, size_t dst_stride, const uint8_t *src, ptrdiff_t src_stride,
                    size_t rows, size_t run)
{
#define EDGE_COPY_RUNS(R)                                                   \
    for (size_t r = 0; r < rows; r++, dst += dst_stride, src += src_stride) \
        memcpy(dst, src, (R));
    switch (run) {
    case 1: EDGE_COPY_RUNS(1) break;
    case 2: EDGE_COPY_RUNS(2) break;
    case 4: EDGE_COPY_RUNS(4) break;
    case 8: EDGE_COPY_RUNS(8) break;
    case 16: EDGE_COPY_RUNS(16) break;
    case 32: EDGE_COPY_RUNS(32) break;
    case 64: EDGE_COPY_RUNS(64) break;
    case 128: EDGE_COPY_RUNS(128) break;
    default:
        if (run > 256) {
            EDGE_COPY_RUNS(run)
        } else { /* a few fixed-size moves, not a memcpy call per run */
            for (size_t r = 0; r < rows; r++, dst += dst_stride, src += src_stride)
                edge_move_short(dst, src, run);
        }
        break;
    }
#undef EDGE_COPY_RUNS
}

void edge_move_concat(size_t outer, int n_in, const size_t *chunk, const void *const *in, void *out)
{
    size_t step = 0;
    for (int i = 0; i < n_in; i++)
        step += chunk[i];
    uint8_t *o = out;
    for (int i = 0; i < n_in; i++) {
        if (chunk[i]) {
            edge_move_runs(o, step, in[i], (ptrdiff_t)chunk[i], outer, chunk[i]);
            o += chunk[i];
        }
    }
}

/* ---- SPLIT ---- */

#define SPLIT_TASK_MIN 32768 /* input bytes: less is not worth waking a thread */
#define SPLIT_BLOCK 16384    /* input bytes a block: each part's pass reads it from L1 */

typedef struct split_job {
    size_t step;
    int n;
    const size_t *chunk;
    const uint8_t *in;
    void *const *out;
} split_job;

/* Steps [first, first + count), in blocks of about SPLIT_BLOCK input bytes, part by part. */
static void split_range(void *ctx, size_t first, size_t count)
{
    const split_job *j = ctx;
    const size_t block = j->step < SPLIT_BLOCK ? SPLIT_BLOCK / j->step : 1;
    for (size_t k = first; k < first + count; k += block) {
        const size_t rows = first + count - k < block ? first + count - k : block;
        const uint8_t *src = j->in + k * j->step;
        for (int i = 0; i < j->n; i++) {
            if (j->chunk[i])
                edge_move_runs((uint8_t *)j->out[i] + k * j->chunk[i], j->chunk[i], src,
                               (ptrdiff_t)j->step, rows, j->chunk[i]);
            src += j->chunk[i];
        }
    }
}

void edge_move_split(size_t outer, int n_out, const size_t *chunk, const void *in, void *const *out,
                     edge_exec *ex)
{
    split_job j = {0, n_out, chunk, in, out};
    for (int i = 0; i < n_out; i++)
        j.step += chunk[i];
    if (j.step)
        edge_exec_ranges(ex, outer, (SPLIT_TASK_MIN + j.step - 1) / j.step, 1, split_range, &j);
}

/* Output rows [first, first + count) of the outermost dimension. */
static void slice_range(void *ctx, size_t first, size_t count)
{
    const slice_job *j = ctx;
    edge_ref_slice_params k = *j->k;
    k.start[0] += (int32_t)first * k.step[0];
    k.count[0] = (int32_t)count;
    uint8_t *out = j->out + first * j->out_row;
    if (k.rank == 2 && k.step[1] == 1) {
        const size_t e = j->esize, in_row = (size_t)k.in_dims[1] * e;
        const uint8_t *src = j->in + (ptrdiff_t)k.start[0] * (ptrdiff_t)in_row +
                             (ptrdiff_t)k.start[1] * (ptrdiff_t)e;
        const size_t run = (size_t)k.count[1] * e;
        edge_move_runs(out, run, src, (ptrdiff_t)k.step[0] * (ptrdiff_t)in_row, count, run);
        return;
    }
    edge_ref_strided_slice_bytes(&k, j->esize, j->in, out);
}

void edge_move_slice_run(const edge_ref_slice_params *k, size_t esize, const void *in, void *out,
                         edge_exec *ex)
{
    size_t out_row = esize;
    for (int d = 1; d < k->rank; d++)
        out_row *= (size_t)(k->count[d] > 0 ? k->count[d] : 0);
    if (k->rank == 0 || k->count[0] <= 0 || out_row == 0) {
        edge_ref_strided_slice_bytes(k, esize, in, out);
        return;
    }
    slice_job j = {k, esize, out_row, in, out};
    const size_t min_rows = (SLICE_TASK_MIN + out_row - 1) / out_row;
    edge_exec_ranges(ex, (size_t)k->count[0], min_rows, 1, slice_range, &j);
}

/* ---- TRANSPOSE ---- */

/* The output's dimensions as runs of consecutive input dimensions: run j is input
 * dimensions lo[j] .. hi[j]; unit input dimensions are left out. Returns the runs. */
static int transpose_runs(const edge_ref_transpose_params *k, int *lo, int *hi)
{
    int g = 0;
    for (int i = 0; i < k->rank; i++) {
        const int a = k->perm[i];
        if (k->in_dims[a] == 1)
            continue;
        int next = g > 0 ? hi[g - 1] + 1 : -1; /* the previous run's next input dimension */
        while (next >= 0 && next < k->rank && k->in_dims[next] == 1)
            next++;
        if (g > 0 && a == next) {
            hi[g - 1] = a; /* a follows the previous run in the input and in the output */
            continue;
        }
        lo[g] = hi[g] = a;
        g++;
    }
    return g;
}

/* Merged extent of input dimensions lo .. hi, or -1 when it exceeds int32. */
static int32_t run_extent(const edge_ref_transpose_params *k, int lo, int hi)
{
    int64_t e = 1;
    for (int a = lo; a <= hi; a++)
        if ((e *= k->in_dims[a]) > INT32_MAX)
            return -1;
    return (int32_t)e;
}

/* Rewrites K into its runs; false (K left alone) when a merged extent exceeds int32. */
static bool transpose_reduce(const edge_ref_transpose_params *k, edge_ref_transpose_params *r)
{
    int lo[EDGE_REF_MAX_DIMS], hi[EDGE_REF_MAX_DIMS];
    const int g = transpose_runs(k, lo, hi);
    *r = (edge_ref_transpose_params){.rank = 1, .in_dims = {1}, .perm = {0}};
    if (g == 0)
        return true; /* one element */
    r->rank = g;
    for (int j = 0; j < g; j++) {
        int idx = 0; /* the run's place in the input: runs that start before it */
        for (int i = 0; i < g; i++)
            idx += lo[i] < lo[j];
        const int32_t e = run_extent(k, lo[j], hi[j]);
        if (e < 0)
            return false;
        r->in_dims[idx] = e;
        r->perm[j] = idx;
    }
    return true;
}

void edge_move_transpose_plan(const edge_ref_transpose_params *k, size_t esize,
                              const edge_kernels *kt, edge_move_transpose *t)
{
    memset(t, 0, sizeof *t);
    t->esize = esize;
    if (!transpose_reduce(k, &t->k))
        t->k = *k;
    const int g = t->k.rank;
    if (g < 2 || t->k.perm[g - 1] != g - 2 || t->k.perm[g - 2] != g - 1)
        return;
    size_t batch = 1;
    for (int i = 0; i < g - 2; i++) {
        if (t->k.perm[i] != i)
            return;
        batch *= (size_t)t->k.in_dims[i];
    }
    t->tiled = 1;
    t->batch = batch;
    t->rows = (size_t)t->k.in_dims[g - 2];
    t->cols = (size_t)t->k.in_dims[g - 1];
    if (!kt || esize != 1)
        return;
    if (t->rows >= 2 && t->rows <= EDGE_PLANES8_MAX) {
        t->planes = kt->planes8.interleave;
        t->interleave = 1;
    } else if (t->cols >= 2 && t->cols <= EDGE_PLANES8_MAX) {
        t->planes = kt->planes8.deinterleave;
    }
}

/* Pixels a thread's run at least: fewer are not worth waking a thread for (mobilenet_v2's input,
 * 224x224 pixels of 3 planes, took 4.9 us alone: split since the threads' round eleven). */
#define PLANES_TASK_MIN 16384

/* Tile edge: TILE x TILE elements of at most 8 bytes stay in L1. */
#define TILE 32

typedef struct transpose_job {
    const edge_move_transpose *t;
    const uint8_t *in;
    uint8_t *out;
    size_t row_block, col_block; /* input rows and columns per task */
    size_t row_blocks, col_blocks;
} transpose_job;

/* Input rows R0..R1 by columns C0..C1 of one matrix: in[i][j] -> out[j][i], E bytes each. */
#define EDGE_TRANSPOSE_TILES(E)                                                         \
    for (size_t i0 = r0; i0 < r1; i0 += TILE) {                                         \
        const size_t i1 = i0 + TILE < r1 ? i0 + TILE : r1;                              \
        for (size_t j0 = c0; j0 < c1; j0 += TILE) {                                     \
            const size_t j1 = j0 + TILE < c1 ? j0 + TILE : c1;                          \
            for (size_t j = j0; j < j1; j++)                                            \
                for (size_t i = i0; i < i1; i++)                                        \
                    memcpy(out + (j * rows + i) * (E), in + (i * cols + j) * (E), (E)); \
        }                                                                               \
    }

/* 16 x 16 bytes: in[i * IS + j] -> out[j * OS + i]. Four rounds of interleaving the bytes of
 * rows k and k + 8 (punpcklbw / punpckhbw on x86, zip1 / zip2 on aarch64) rotate an element's
 * 8-bit address (row, column) left by one bit each, so four rounds swap row and column. */
typedef uint8_t v16u8 __attribute__((vector_size(16)));

/* Unrolled, the rounds stay in registers: rolled, gcc kept R and T in memory and copied them
 * every round. yolov8n's four TRANSPOSE nodes: 3.7 M instructions an inference under an
 * instruction-counting qemu at the A76, unrolled 0.94 M (docs/arm-kernels.md); 250 us at
 * avx512vnni on a Zen 5, unrolled 56 us (x86's 16 registers at its baseline spill a few). */
#define TRANSPOSE_UNROLL _Pragma("GCC unroll 16")

static inline void transpose_16x16(const uint8_t *in, size_t is, uint8_t *out, size_t os)
{
    v16u8 r[16], t[16];
    TRANSPOSE_UNROLL
    for (int k = 0; k < 16; k++)
        memcpy(&r[k], in + (size_t)k * is, 16);
    TRANSPOSE_UNROLL
    for (int round = 0; round < 4; round++) {
        TRANSPOSE_UNROLL
        for (int k = 0; k < 8; k++) {
            t[2 * k] = __builtin_shufflevector(r[k], r[k + 8], 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5,
                                               21, 6, 22, 7, 23);
            t[2 * k + 1] = __builtin_shufflevector(r[k], r[k + 8], 8, 24, 9, 25, 10, 26, 11, 27, 12,
                                                   28, 13, 29, 14, 30, 15, 31);
        }
        TRANSPOSE_UNROLL
        for (int k = 0; k < 16; k++)
            r[k] = t[k];
    }
    TRANSPOSE_UNROLL
    for (int k = 0; k < 16; k++)
        memcpy(out + (size_t)k * os, &r[k], 16);
}

/* One-byte elements of rows R0..R1 by columns C0..C1: whole 16 x 16 blocks by
 * transpose_16x16, the edges byte by byte. */
static void transpose_bytes(const uint8_t *in, uint8_t *out, size_t rows, size_t cols, size_t r0,
                            size_t r1, size_t c0, size_t c1)
{
    for (size_t i0 = r0; i0 < r1; i0 += 16) {
        const size_t i1 = i0 + 16 < r1 ? i0 + 16 : r1;
        for (size_t j0 = c0; j0 < c1; j0 += 16) {
            const size_t j1 = j0 + 16 < c1 ? j0 + 16 : c1;
            if (i1 - i0 == 16 && j1 - j0 == 16) {
                transpose_16x16(in + i0 * cols + j0, cols, out + j0 * rows + i0, rows);
                continue;
            }
            for (size_t j = j0; j < j1; j++)
                for (size_t i = i0; i < i1; i++)
                    out[j * rows + i] = in[i * cols + j];
        }
    }
}

static void transpose_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const transpose_job *jb = ctx;
    const edge_move_transpose *t = jb->t;
    const size_t rows = t->rows, cols = t->cols, e = t->esize;
    const size_t per = jb->row_blocks * jb->col_blocks, b = task / per;
    const size_t r0 = task % per / jb->col_blocks * jb->row_block;
    const size_t c0 = task % per % jb->col_blocks * jb->col_block;
    const size_t r1 = r0 + jb->row_block < rows ? r0 + jb->row_block : rows;
    const size_t c1 = c0 + jb->col_block < cols ? c0 + jb->col_block : cols;
    const uint8_t *in = jb->in + b * rows * cols * e;
    uint8_t *out = jb->out + b * rows * cols * e;
    switch (e) {
    case 1: transpose_bytes(in, out, rows, cols, r0, r1, c0, c1); break;
    case 2: EDGE_TRANSPOSE_TILES(2) break;
    case 4: EDGE_TRANSPOSE_TILES(4) break;
    case 8: EDGE_TRANSPOSE_TILES(8) break;
    default: EDGE_TRANSPOSE_TILES(e) break;
    }
}
#undef EDGE_TRANSPOSE_TILES

typedef struct planes_job {
    const edge_move_transpose *t;
    const uint8_t *in;
    uint8_t *out;
    size_t p, n; /* planes, bytes of each */
} planes_job;

/* Pixels [first, first + count) of the batch's images (n each), image by image. */
static void planes_range(void *ctx, size_t first, size_t count)
{
    const planes_job *j = ctx;
    const size_t p = j->p, n = j->n;
    while (count) {
        const size_t b = first / n, i = first % n, c = n - i < count ? n - i : count;
        const uint8_t *in = j->in + b * p * n;
        uint8_t *out = j->out + b * p * n;
        if (j->t->interleave)
            j->t->planes(in + i, out + i * p, p, n, c);
        else
            j->t->planes(in + i * p, out + i, p, n, c);
        first += c;
        count -= c;
    }
}

void edge_move_transpose_run(const edge_move_transpose *t, const void *in, void *out, edge_exec *ex)
{
    if (!t->tiled) {
        edge_ref_transpose_bytes(&t->k, t->esize, in, out);
        return;
    }
    if (t->batch == 0 || t->rows == 0 || t->cols == 0)
        return;
    if (t->planes) {
        planes_job j = {t, in, out, t->interleave ? t->rows : t->cols,
                        t->interleave ? t->cols : t->rows};
        edge_exec_ranges(ex, t->batch * j.n, PLANES_TASK_MIN, 64, planes_range, &j);
        return;
    }
    /* about two tasks per thread, in whole tiles of the longer side (an NCHW -> NHWC image of 3
     * channels is a 3-row matrix: its columns are cut) */
    const size_t parts = 2 * (size_t)edge_exec_width(ex);
    const bool by_rows = t->rows >= t->cols;
    const size_t side = by_rows ? t->rows : t->cols;
    size_t blk = (side + parts - 1) / parts;
    blk = (blk + TILE - 1) / TILE * TILE;
    transpose_job jb = {t, in, out, by_rows ? blk : t->rows, by_rows ? t->cols : blk, 1, 1};
    if (by_rows)
        jb.row_blocks = (t->rows + blk - 1) / blk;
    else
        jb.col_blocks = (t->cols + blk - 1) / blk;
    edge_exec_parallel(ex, t->batch * jb.row_blocks * jb.col_blocks, transpose_task, &jb);
}

/* ---- whole-tensor copies ---- */

#define COPY_TASK_MIN 65536 /* bytes: less is not worth waking a thread */

typedef struct copy_job {
    const uint8_t *in;
    uint8_t *out;
} copy_job;

static void copy_range(void *ctx, size_t first, size_t count)
{
    const copy_job *j = ctx;
    memcpy(j->out + first, j->in + first, count);
}

void edge_move_copy(const void *in, void *out, size_t bytes, edge_exec *ex)
{
    const uintptr_t a = (uintptr_t)in, b = (uintptr_t)out;
    if (a < b + bytes && b < a + bytes) { /* never between two planned tensors; cheap to hold */
        memmove(out, in, bytes);
        return;
    }
    copy_job j = {in, out};
    edge_exec_ranges(ex, bytes, COPY_TASK_MIN, 64, copy_range, &j);
}

/* ---- RESIZE_NEAREST_NEIGHBOR ---- */

typedef struct resize_job {
    const edge_ref_resize_params *p;
    const int32_t *ymap, *xmap;
    size_t pixel, chunk, rows; /* bytes per pixel; output rows per task, in all */
    const uint8_t *in;
    uint8_t *out;
} resize_job;

static void resize_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const resize_job *j = ctx;
    const edge_ref_resize_params *p = j->p;
    const size_t out_row = (size_t)p->out_w * j->pixel, in_row = (size_t)p->in_w * j->pixel;
    const size_t r0 = task * j->chunk, r1 = r0 + j->chunk < j->rows ? r0 + j->chunk : j->rows;
    for (size_t r = r0; r < r1; r++) {
        const size_t b = r / (size_t)p->out_h, y = r % (size_t)p->out_h;
        uint8_t *o = j->out + r * out_row;
        if (r > r0 && y > 0 && j->ymap[y] == j->ymap[y - 1]) {
            memcpy(o, o - out_row, out_row); /* the same source row as the row above */
            continue;
        }
        const uint8_t *src = j->in + (b * (size_t)p->in_h + (size_t)j->ymap[y]) * in_row;
        for (int32_t x = 0; x < p->out_w; x++)
            memcpy(o + (size_t)x * j->pixel, src + (size_t)j->xmap[x] * j->pixel, j->pixel);
    }
}

void edge_move_resize_nearest(const edge_ref_resize_params *p, const int32_t *ymap,
                              const int32_t *xmap, size_t esize, const void *in, void *out,
                              edge_exec *ex)
{
    const size_t rows = (size_t)p->batches * (size_t)p->out_h;
    const size_t parts = 2 * (size_t)edge_exec_width(ex);
    resize_job j = {p,    ymap, xmap, (size_t)p->depth * esize, (rows + parts - 1) / parts,
                    rows, in,   out};
    if (rows == 0 || j.pixel == 0)
        return;
    edge_exec_parallel(ex, (rows + j.chunk - 1) / j.chunk, resize_task, &j);
}
