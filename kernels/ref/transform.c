/* kernels/ref/transform.c - reference data-movement kernels (see transform.h).
 *
 * Owns: pad, concatenation, transpose, strided slice and arg max over dense
 * row-major buffers. Each mover walks its output in row-major order with an
 * index counter over the outer dimensions and moves one innermost row at a
 * time (memcpy when contiguous, a strided element loop otherwise).
 * Does not own: parameter validation (the CPU ops' prepare functions). */
#include "transform.h"

#include <stdbool.h>
#include <string.h>

/* Advance the counter IDX over DIMS[0..n) in row-major order; false once it
 * wraps around (or at once when n == 0). */
static bool next_index(int32_t *idx, const int32_t *dims, int n)
{
    for (int d = n - 1; d >= 0; d--) {
        if (++idx[d] < dims[d])
            return true;
        idx[d] = 0;
    }
    return false;
}

/* Row-major strides (in elements) of a dense tensor of DIMS. */
static void dense_strides(const int32_t *dims, int rank, ptrdiff_t *stride)
{
    ptrdiff_t s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        stride[d] = s;
        s *= dims[d];
    }
}

static bool any_zero(const int32_t *dims, int rank)
{
    for (int d = 0; d < rank; d++)
        if (dims[d] <= 0)
            return true;
    return false;
}

/* N elements of ESIZE bytes, each a copy of *VALUE. */
static void fill_elems(uint8_t *dst, size_t n, const void *value, size_t esize)
{
    if (n == 0)
        return;
    if (esize == 1) {
        memset(dst, *(const uint8_t *)value, n);
        return;
    }
    /* one element, then the filled part copied after itself: a call per doubling, not one per
     * element (a byte-sized memcpy call an element made the reference pad the slowest test
     * under qemu) */
    memcpy(dst, value, esize);
    const size_t total = n * esize;
    for (size_t done = esize; done < total;) {
        const size_t chunk = done < total - done ? done : total - done;
        memcpy(dst + done, dst, chunk);
        done += chunk;
    }
}

/* N elements from SRC, STRIDE elements apart, packed into DST. The fixed-size
 * memcpy calls compile to plain loads and stores. */
#define EDGE_COPY_STRIDED(E)       \
    for (size_t k = 0; k < n; k++) \
        memcpy(dst + k * (E), src + (ptrdiff_t)k * stride * (E), (E));

static void copy_strided(uint8_t *dst, const uint8_t *src, size_t n, ptrdiff_t stride, size_t esize)
{
    if (stride == 1) {
        memcpy(dst, src, n * esize);
        return;
    }
    switch (esize) {
    case 1: EDGE_COPY_STRIDED(1) break;
    case 2: EDGE_COPY_STRIDED(2) break;
    case 4: EDGE_COPY_STRIDED(4) break;
    case 8: EDGE_COPY_STRIDED(8) break;
    default:
        for (size_t k = 0; k < n; k++)
            memcpy(dst + k * esize, src + (ptrdiff_t)k * stride * (ptrdiff_t)esize, esize);
        break;
    }
}
#undef EDGE_COPY_STRIDED

/* ---- pad ---- */

/* Offset (elements) of output row IDX inside the input, or -1 when the row lies
 * in the padding of some outer dimension. */
static ptrdiff_t pad_row_source(const edge_ref_pad_params *p, const int32_t *idx,
                                const ptrdiff_t *in_stride)
{
    ptrdiff_t off = 0;
    for (int d = 0; d < p->rank - 1; d++) {
        const int32_t i = idx[d] - p->before[d];
        if (i < 0 || i >= p->in_dims[d])
            return -1;
        off += (ptrdiff_t)i * in_stride[d];
    }
    return off;
}

void edge_ref_pad_bytes(const edge_ref_pad_params *p, size_t esize, const void *in,
                        const void *pad_value, void *out)
{
    const uint8_t *src = in;
    uint8_t *o = out;
    if (p->rank == 0) {
        memcpy(o, src, esize);
        return;
    }
    const int last = p->rank - 1;
    int32_t out_dims[EDGE_REF_MAX_DIMS];
    for (int d = 0; d < p->rank; d++)
        out_dims[d] = p->in_dims[d] + p->before[d] + p->after[d];
    if (any_zero(out_dims, p->rank))
        return;
    ptrdiff_t in_stride[EDGE_REF_MAX_DIMS];
    dense_strides(p->in_dims, p->rank, in_stride);

    const size_t row = (size_t)out_dims[last];
    const size_t left = (size_t)p->before[last], width = (size_t)p->in_dims[last];
    int32_t idx[EDGE_REF_MAX_DIMS] = {0};
    do {
        const ptrdiff_t off = pad_row_source(p, idx, in_stride);
        if (off < 0) {
            fill_elems(o, row, pad_value, esize);
        } else {
            fill_elems(o, left, pad_value, esize);
            if (width)
                memcpy(o + left * esize, src + off * (ptrdiff_t)esize, width * esize);
            fill_elems(o + (left + width) * esize, row - left - width, pad_value, esize);
        }
        o += row * esize;
    } while (next_index(idx, out_dims, last));
}

/* ---- concatenation ---- */

void edge_ref_concat_bytes(size_t outer, int n_in, const size_t *chunk_bytes, const void *const *in,
                           void *out)
{
    uint8_t *o = out;
    for (size_t k = 0; k < outer; k++) {
        for (int i = 0; i < n_in; i++) {
            const size_t c = chunk_bytes[i];
            if (c) {
                memcpy(o, (const uint8_t *)in[i] + k * c, c);
                o += c;
            }
        }
    }
}

void edge_ref_concat_lut_u8(size_t outer, int n_in, const size_t *chunk_bytes,
                            const void *const *in, const uint8_t *const *lut, void *out)
{
    uint8_t *o = out;
    for (size_t k = 0; k < outer; k++) {
        for (int i = 0; i < n_in; i++) {
            const size_t c = chunk_bytes[i];
            const uint8_t *src = (const uint8_t *)in[i] + k * c;
            if (lut[i]) {
                for (size_t j = 0; j < c; j++)
                    o[j] = lut[i][src[j]];
            } else if (c) {
                memcpy(o, src, c);
            }
            o += c;
        }
    }
}

/* ---- transpose and strided slice: a strided walk of the input ---- */

/* Copies the RANK-dimensional view of SRC with extents DIMS whose element (i0, ..., in)
 * is at element offset BASE + sum(i_d * STEP[d]) to OUT in row-major order. */
static void copy_view(const uint8_t *src, ptrdiff_t base, const int32_t *dims,
                      const ptrdiff_t *step, int rank, size_t esize, uint8_t *o)
{
    if (rank == 0) {
        memcpy(o, src + base * (ptrdiff_t)esize, esize);
        return;
    }
    if (any_zero(dims, rank))
        return;
    const int last = rank - 1;
    const size_t row = (size_t)dims[last];
    int32_t idx[EDGE_REF_MAX_DIMS] = {0};
    do {
        ptrdiff_t off = base;
        for (int d = 0; d < last; d++)
            off += (ptrdiff_t)idx[d] * step[d];
        copy_strided(o, src + off * (ptrdiff_t)esize, row, step[last], esize);
        o += row * esize;
    } while (next_index(idx, dims, last));
}

void edge_ref_transpose_bytes(const edge_ref_transpose_params *p, size_t esize, const void *in,
                              void *out)
{
    const uint8_t *src = in;
    uint8_t *o = out;
    ptrdiff_t in_stride[EDGE_REF_MAX_DIMS], step[EDGE_REF_MAX_DIMS];
    int32_t out_dims[EDGE_REF_MAX_DIMS];
    dense_strides(p->in_dims, p->rank, in_stride);
    for (int i = 0; i < p->rank; i++) {
        out_dims[i] = p->in_dims[p->perm[i]];
        step[i] = in_stride[p->perm[i]];
    }
    copy_view(src, 0, out_dims, step, p->rank, esize, o);
}

/* ---- strided slice ---- */

void edge_ref_strided_slice_bytes(const edge_ref_slice_params *p, size_t esize, const void *in,
                                  void *out)
{
    const uint8_t *src = in;
    uint8_t *o = out;
    ptrdiff_t in_stride[EDGE_REF_MAX_DIMS], step[EDGE_REF_MAX_DIMS];
    dense_strides(p->in_dims, p->rank, in_stride);
    ptrdiff_t base = 0;
    for (int d = 0; d < p->rank; d++) {
        base += (ptrdiff_t)p->start[d] * in_stride[d];
        step[d] = (ptrdiff_t)p->step[d] * in_stride[d];
    }
    copy_view(src, base, p->count, step, p->rank, esize, o);
}

/* ---- arg max ---- */

/* KEY: the value compared (bool inputs: any nonzero byte is true). */
#define EDGE_ARG_KEY(x) (x)
#define EDGE_ARG_KEY_BOOL(x) ((x) != 0)
#define EDGE_DEFINE_ARG_MAX_KEY(NAME, TIN, TOUT, KEY)                       \
    void NAME(const edge_ref_argmax_params *p, const TIN *in, TOUT *out)    \
    {                                                                       \
        for (size_t o = 0; o < p->outer; o++) {                             \
            const TIN *base = in + o * p->axis * p->inner;                  \
            for (size_t k = 0; k < p->inner; k++) {                         \
                __typeof__(KEY(base[k]) + 0) best = KEY(base[k]);           \
                size_t best_i = 0;                                          \
                for (size_t i = 1; i < p->axis; i++) {                      \
                    const __typeof__(best) v = KEY(base[i * p->inner + k]); \
                    if (p->min ? v < best : v > best) {                     \
                        best = v;                                           \
                        best_i = i;                                         \
                    }                                                       \
                }                                                           \
                out[o * p->inner + k] = (TOUT)best_i;                       \
            }                                                               \
        }                                                                   \
    }
#define EDGE_DEFINE_ARG_MAX(NAME, TIN, TOUT) EDGE_DEFINE_ARG_MAX_KEY(NAME, TIN, TOUT, EDGE_ARG_KEY)

EDGE_DEFINE_ARG_MAX(edge_ref_arg_max_s8_i32, int8_t, int32_t)
EDGE_DEFINE_ARG_MAX(edge_ref_arg_max_s8_i64, int8_t, int64_t)
EDGE_DEFINE_ARG_MAX(edge_ref_arg_max_u8_i32, uint8_t, int32_t)
EDGE_DEFINE_ARG_MAX(edge_ref_arg_max_u8_i64, uint8_t, int64_t)
EDGE_DEFINE_ARG_MAX(edge_ref_arg_max_f32_i32, float, int32_t)
EDGE_DEFINE_ARG_MAX(edge_ref_arg_max_f32_i64, float, int64_t)
EDGE_DEFINE_ARG_MAX(edge_ref_arg_max_s32_i32, int32_t, int32_t)
EDGE_DEFINE_ARG_MAX(edge_ref_arg_max_s32_i64, int32_t, int64_t)
/* issue 17's type gaps: bool inputs (TensorFlow Lite's arg_min_max.cc) */
EDGE_DEFINE_ARG_MAX_KEY(edge_ref_arg_max_bool_i32, uint8_t, int32_t, EDGE_ARG_KEY_BOOL)
EDGE_DEFINE_ARG_MAX_KEY(edge_ref_arg_max_bool_i64, uint8_t, int64_t, EDGE_ARG_KEY_BOOL)
#undef EDGE_DEFINE_ARG_MAX_KEY
#undef EDGE_DEFINE_ARG_MAX
