/* backends/cpu/op_rfft.c - RFFT2D and COMPLEX_ABS on the CPU (audio family).
 *
 * Owns: their prepare and eval. RFFT2D: a float32 input of rank 2 or more, a constant int32
 * fft_length [2] of powers of two (ops/derive_signal.c), a complex64 output of the derived
 * shape; the twiddle tables of both lengths computed here, the 2-D work buffer as scratch.
 * Above the scalar level, fft_length [1, n] (an audio frame per row: YAMNet's spectrogram)
 * runs on the level's real-FFT rows (kernels/f32.h), groups of 8 rows over the threads, each
 * thread with its own scratch. COMPLEX_ABS: complex64 in, float32 out of the same shape, on the
 * level's vector kernel over the threads. Does not own the arithmetic (kernels/ref/fft.c,
 * kernels/generic/fft_impl.h). */
#include "cpu_op.h"
#include "dispatch.h"
#include "ref/fft.h"

/* The 2-D work buffer's limit in complex values (16 bytes each in scratch). */
enum { RFFT2D_MAX_POINTS = 1 << 22 };

typedef struct rfft2d_data {
    edge_ref_rfft2d_params k;
    const edge_kernels *fast; /* fft_length [1, n]: kernels/f32.h's rows; NULL: the reference */
    edge_rfft_plan plan;
    double tw[]; /* the m table, then the n table, then (fast) n/2 bit reversals */
} rfft2d_data;

/* fft_length: a constant int32 [2] into FFT. */
static int rfft2d_lengths(edge_prep *p, const edge_node *n, int64_t fft[2])
{
    const edge_tensor *len = edge_op_input(p, n, 1);
    int rc = edge_op_check_const(p, len, "fft_length", EDGE_INT32);
    if (rc)
        return rc;
    if (len->rank != 1 || len->count != 2)
        return edge_op_fail(p, EDGE_ESHAPE, "fft_length has %zu values; RFFT2D needs 2",
                            len->count);
    edge_op_const_ints(len, fft, 2);
    return 0;
}

static int rfft2d_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int64_t fft[2] = {0, 0};
    int32_t dims[EDGE_MAX_DIMS];
    int rc = edge_op_io(p, n, 2, 2, 1, &in, &out);
    if (rc || (rc = edge_op_check_type(p, in, "input", EDGE_FLOAT32)) ||
        (rc = edge_op_check_type(p, out, "output", EDGE_COMPLEX64)) ||
        (rc = rfft2d_lengths(p, n, fft)))
        return rc;
    if ((rc = edge_rfft2d_shape(in->dims, in->rank, fft, 2, dims, p->err)) ||
        (rc = edge_op_check_dims(p, out, "output", in->rank, dims)))
        return rc;
    if (fft[0] * fft[1] > RFFT2D_MAX_POINTS)
        return edge_op_fail(p, EDGE_ELIMIT, "fft_length %lld x %lld is above %d points",
                            (long long)fft[0], (long long)fft[1], RFFT2D_MAX_POINTS);
    const uint32_t m = (uint32_t)fft[0], len = (uint32_t)fft[1];
    const size_t tw_m = edge_ref_fft_twiddle_count(m), tw_n = edge_ref_fft_twiddle_count(len);
    const edge_kernels *kt = edge_op_kernels(p);
    const bool fast = kt && kt->f32.rfft_rows && m == 1 && len >= 4 && in->dims[in->rank - 2] > 0;
    const size_t rev_bytes = fast ? len / 2 * sizeof(uint32_t) : 0;
    rfft2d_data *d = edge_op_alloc(p, n, sizeof *d + (tw_m + tw_n) * sizeof(double) + rev_bytes);
    if (!d)
        return EDGE_ENOMEM;
    edge_ref_fft_twiddles(m, d->tw);
    edge_ref_fft_twiddles(len, d->tw + tw_m);
    d->k = (edge_ref_rfft2d_params){
        .batch = edge_op_dims_product(in->dims, 0, in->rank - 2),
        .in_rows = in->dims[in->rank - 2],
        .in_cols = in->dims[in->rank - 1],
        .m = m,
        .n = len,
        .tw_m = d->tw,
        .tw_n = d->tw + tw_m,
    };
    n->scratch_bytes = edge_ref_rfft2d_scratch(&d->k);
    if (fast) {
        uint32_t *rev = (uint32_t *)(d->tw + tw_m + tw_n);
        edge_ref_fft_bitrev(len / 2, rev);
        d->fast = kt;
        d->plan = (edge_rfft_plan){len, d->k.in_cols, rev, d->k.tw_n};
        n->scratch_bytes = EDGE_F32_RFFT_SCRATCH(len);
        n->kernel = kt->f32.rfft_name;
    }
    return 0;
}

enum { RFFT_TASK_ROWS = 8 }; /* a task's rows: a group of the widest level's double lanes */

typedef struct rfft_job {
    const rfft2d_data *d;
    const float *in;
    float *out;
    char *scratch;
    size_t stride; /* bytes between two threads' scratch */
} rfft_job;

static void rfft_task(void *ctx, size_t task, unsigned thread)
{
    const rfft_job *j = ctx;
    const rfft2d_data *d = j->d;
    const size_t first = task * RFFT_TASK_ROWS, left = d->k.batch - first;
    const size_t in_stride = (size_t)d->k.in_rows * (size_t)d->k.in_cols;
    d->fast->f32.rfft_rows(&d->plan, j->in + first * in_stride, in_stride,
                           left < RFFT_TASK_ROWS ? left : RFFT_TASK_ROWS,
                           j->out + first * ((size_t)d->k.n + 2), j->scratch + thread * j->stride);
}

static void rfft2d_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    const rfft2d_data *d = n->data;
    if (d->fast) {
        rfft_job j = {d, t[n->in[0]], t[n->out[0]], scratch, edge_op_scratch_stride(n)};
        edge_exec_parallel(x, (d->k.batch + RFFT_TASK_ROWS - 1) / RFFT_TASK_ROWS, rfft_task, &j);
        return;
    }
    edge_ref_rfft2d(&d->k, t[n->in[0]], t[n->out[0]], scratch);
}

typedef struct cabs_data {
    size_t count;
    edge_f32_cabs_fn fast; /* NULL: the reference */
} cabs_data;

static int complex_abs_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io(p, n, 1, 1, 1, &in, &out);
    if (rc || (rc = edge_op_check_type(p, in, "input", EDGE_COMPLEX64)) ||
        (rc = edge_op_check_type(p, out, "output", EDGE_FLOAT32)) ||
        (rc = edge_op_check_same_shape(p, in, "input", out, "output")))
        return rc;
    const edge_kernels *kt = edge_op_kernels(p);
    const cabs_data d = {in->count, kt ? kt->f32.complex_abs : NULL};
    if (d.fast)
        n->kernel = kt->f32.eltwise_name;
    return edge_op_keep(p, n, &d, sizeof d);
}

typedef struct cabs_job {
    edge_f32_cabs_fn fn;
    const float *in;
    float *out;
} cabs_job;

static void cabs_range(void *ctx, size_t first, size_t count)
{
    const cabs_job *j = ctx;
    j->fn(j->in + 2 * first, j->out + first, count);
}

static void complex_abs_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    (void)scratch;
    const cabs_data *d = n->data;
    if (d->fast) {
        cabs_job j = {d->fast, t[n->in[0]], t[n->out[0]]};
        edge_exec_ranges(x, d->count, 16384, 16, cabs_range, &j);
        return;
    }
    edge_ref_complex_abs(d->count, t[n->in[0]], t[n->out[0]]);
}

EDGE_CPU_OP(RFFT2D, rfft2d_prepare, rfft2d_eval)
EDGE_CPU_OP(COMPLEX_ABS, complex_abs_prepare, complex_abs_eval)
