/* kernels/sparse.c - measuring and packing sparse int8 weights, and the kernel of each level
 * (the contract: kernels/sparse.h). Also the portable C instantiation of
 * kernels/generic/qs8_sparse_impl.h (every level without a SIMD kernel of its own: scalar). */
#include "sparse.h"

#include <string.h>

#include "dispatch.h"
#include "ref/requant.h"
#if defined(__x86_64__)
#include "x86/sparse_x86.h"
#endif

#define SPARSE_SFX c
#include "generic/qs8_sparse_impl.h"

/* ARM's few-row thresholds are predictions for weights past the caches (below). */
#define FEW_ARM_MIN_BYTES ((size_t)4 << 20)
/* x86's for fewer rows: 1x4 (and unstructured) and 1x16 (runs). bench-sparse on a Zen 5 VM,
 * FULLY_CONNECTED 1024x1000, 1280x1001 and 2048x2048 at batch 1 (the one-row path of
 * qs8_sparse_rows_ymm.c) against the level's dense kernel in the same run:
 *   avx2: 1x4 80% zero (20% stored) 0.78-0.95x, 90% 1.24-1.69x; 1x16 50% 0.77-0.98x, 70%
 *     1.12-1.47x, 90% 2.21-3.27x.
 *   avxvnni: 1x4 90% 0.96-1.56x; 1x16 70% 1.04-1.59x, 80% 1.41-2.18x, 90% 1.99-3.54x.
 *   avx512vnni, the lane form (edge_qs8_sparse_lanes_avx512vnni; 1x16 of 2 MiB or more on the
 *     row path): 1x4 50% zero 0.94-1.21x, 70% 1.48-1.90x, 90% 2.32-3.52x; unstructured 80% zero
 *     (59% stored) 0.79-0.96x, 90% (34% stored) 1.33-1.71x; 1x16 50% 0.74-0.85x, 70% 1.16-1.30x.
 *     (The row path alone: 1x4 70% 0.34-0.52x, 90% 0.73-1.29x.) Two and three rows: 1x4 70%
 *     1.15-1.50x; four: 0.83-0.94x (a dense kernel shares its weights' loads over the rows), so
 *     from EDGE_SPARSE_ROW_PATH rows, as at avx2, the kernel is not chosen.
 * Below 1024 input channels a channel's fixed cost (its loop's exit, about 2.6 ns) outweighs
 * what its few stored groups save. They hold below EDGE_SPARSE_ROW_PATH rows (the row path, or
 * avx512vnni's lane form): from there to 64 rows the tiles run a part-filled
 * vector against a dense kernel that batches rows well (bench-sparse --batch 4, 2048x2048 1x16
 * 70% zero: avx2 0.95x, avxvnni 0.40x; 90%: 2.4x and 1.02x), so the kernel is not chosen. */
#define FEW_X86_MIN_DEPTH 1024
#define FEW_AVX2_1X4 0.12
#define FEW_AVX2_RUNS 0.3
#define FEW_VNNI_1X4 0.09
#define FEW_VNNI_RUNS 0.27
#define FEW_512_1X4 0.4
#define FEW_512_RUNS 0.3
#define LANES_RUNS_BYTES ((size_t)2 << 20)

/* An element of ESIZE bytes counts as nonzero when a byte of it is (a float -0.0 is stored). */
static bool elem_nonzero(const uint8_t *e, size_t esize)
{
    for (size_t b = 0; b < esize; b++)
        if (e[b])
            return true;
    return false;
}

edge_sparse_measure edge_sparse_measure_of(const void *weights, size_t esize, size_t n, size_t k)
{
    const uint8_t *w = weights;
    const size_t g = (k + 3) / 4;
    edge_sparse_measure m = {n * g, 0, 0, EDGE_SPARSE_1X16};
    bool whole = true, runs = true;
    for (size_t r = 0; r < n; r++) {
        const uint8_t *row = w + r * k * esize;
        bool run_on = false;
        for (size_t i = 0; i < g; i++) {
            size_t nz = 0, len = k - 4 * i < 4 ? k - 4 * i : 4;
            for (size_t j = 0; j < len; j++)
                nz += elem_nonzero(row + (4 * i + j) * esize, esize);
            m.nonzero += nz;
            if (!nz) {
                runs = runs && !(run_on && i % 4); /* a run of 4 groups cut short */
                run_on = false;
                continue;
            }
            m.stored++;
            whole = whole && nz == len;
            runs = runs && (i % 4 == 0 || run_on); /* a run starts only at a multiple of 4 */
            run_on = true;
        }
    }
    m.format = !whole ? EDGE_SPARSE_1X1 : runs ? EDGE_SPARSE_1X16 : EDGE_SPARSE_1X4;
    return m;
}

edge_sparse_measure edge_qs8_sparse_measure(const int8_t *w, size_t n, size_t k)
{
    return edge_sparse_measure_of(w, 1, n, k);
}

static size_t group_bytes(size_t stored)
{
    return ((stored + EDGE_SPARSE_PAD) * sizeof(uint16_t) + 3) & ~(size_t)3;
}

size_t edge_qs8_sparse_packed_bytes(size_t n, size_t stored)
{
    return 4 * n * sizeof(int32_t) + (n + 2) * sizeof(uint32_t) + group_bytes(stored) +
           4 * (stored + EDGE_SPARSE_PAD);
}

edge_qs8_sparse_view edge_qs8_sparse_view_of(const void *packed, size_t n, size_t k, size_t stored,
                                             const edge_qs8_out *o)
{
    const int32_t *i32 = packed;
    edge_qs8_sparse_view v = {.n = n,
                              .k = k,
                              .kc = (k + 3) & ~(size_t)3,
                              .bias = i32,
                              .mult = i32 + n,
                              .shift = i32 + 2 * n,
                              .wsum = i32 + 3 * n,
                              .output_offset = o->zp,
                              .act_min = o->lo,
                              .act_max = o->hi};
    v.seg = (const uint32_t *)(i32 + 4 * n);
    v.runs = v.seg[n + 1] != 0;
    v.group = (const uint16_t *)(v.seg + n + 2);
    v.w = (const int8_t *)v.group + group_bytes(stored);
    return v;
}

void edge_qs8_sparse_pack(const int8_t *w, size_t n, size_t k, const edge_sparse_measure *m,
                          const int32_t *bias, const int32_t *mult, const int32_t *shift,
                          int32_t input_offset, void *dst)
{
    const edge_qs8_out o = {0, 0, 0};
    ((uint32_t *)dst)[5 * n + 1] = 0; /* runs, read by the view: written below */
    edge_qs8_sparse_view v = edge_qs8_sparse_view_of(dst, n, k, m->stored, &o);
    int32_t *pb = (int32_t *)(uintptr_t)v.bias;
    uint32_t *seg = (uint32_t *)(uintptr_t)v.seg;
    uint16_t *group = (uint16_t *)(uintptr_t)v.group;
    int8_t *pw = (int8_t *)(uintptr_t)v.w;
    memcpy((int32_t *)(uintptr_t)v.mult, mult, n * sizeof(int32_t));
    memcpy((int32_t *)(uintptr_t)v.shift, shift, n * sizeof(int32_t));
    uint32_t s = 0;
    for (size_t r = 0; r < n; r++) {
        const int8_t *row = w + r * k;
        int32_t sum = 0;
        seg[r] = s;
        for (size_t i = 0; 4 * i < k; i++) {
            const size_t len = k - 4 * i < 4 ? k - 4 * i : 4;
            int8_t q[4] = {0, 0, 0, 0};
            bool nz = false;
            for (size_t j = 0; j < len; j++) {
                q[j] = row[4 * i + j];
                sum = edge_wrap_add32(sum, q[j]);
                nz = nz || q[j];
            }
            if (!nz)
                continue;
            group[s] = (uint16_t)i;
            memcpy(pw + 4 * (size_t)s, q, 4);
            s++;
        }
        pb[r] = edge_wrap_add32(bias ? bias[r] : 0, edge_wrap_mul32(input_offset, sum));
        ((int32_t *)(uintptr_t)v.wsum)[r] = sum;
    }
    seg[n] = s;
    seg[n + 1] = m->format == EDGE_SPARSE_1X16;
    memset(group + s, 0, EDGE_SPARSE_PAD * sizeof(uint16_t));
    memset(pw + 4 * (size_t)s, 0, 4 * EDGE_SPARSE_PAD);
}

/* ---- the lane form ---- */

enum { LANE_CH = 16, LANE_CHUNK = 32 };

static size_t up64(size_t x)
{
    return (x + 63) & ~(size_t)63;
}

static bool group_nonzero(const int8_t *row, size_t k, size_t g)
{
    for (size_t j = 4 * g; j < 4 * g + 4 && j < k; j++)
        if (row[j])
            return true;
    return false;
}

/* Block B's steps in chunk C: its channel with the most stored groups there, rounded up to a
 * multiple of 4 (four accumulator chains). */
static size_t lane_steps(const int8_t *w, size_t n, size_t k, size_t b, size_t c)
{
    const size_t groups = (k + 3) / 4;
    size_t most = 0;
    for (size_t j = 16 * b; j < 16 * b + LANE_CH && j < n; j++) {
        size_t count = 0;
        for (size_t g = LANE_CHUNK * c; g < groups && g < LANE_CHUNK * (c + 1); g++)
            count += group_nonzero(w + j * k, k, g);
        most = count > most ? count : most;
    }
    return (most + 3) & ~(size_t)3;
}

typedef struct lanes_geom {
    size_t nb, nc, head; /* blocks, chunks, bytes before w */
} lanes_geom;

static lanes_geom lanes_geom_of(size_t n, size_t k)
{
    lanes_geom g = {.nb = (n + LANE_CH - 1) / LANE_CH,
                    .nc = ((k + 3) / 4 + LANE_CHUNK - 1) / LANE_CHUNK};
    g.head = 3 * 64 * g.nb + up64((g.nb + 1) * sizeof(uint32_t)) + up64(g.nb * g.nc);
    return g;
}

size_t edge_qs8_sparse_lanes_bytes(const int8_t *w, size_t n, size_t k)
{
    const lanes_geom g = lanes_geom_of(n, k);
    size_t steps = 0;
    for (size_t b = 0; b < g.nb; b++)
        for (size_t c = 0; c < g.nc; c++)
            steps += lane_steps(w, n, k, b, c);
    return g.head + steps * (64 + 16);
}

edge_qs8_sparse_view edge_qs8_sparse_lanes_view_of(const void *packed, size_t n, size_t k,
                                                   const edge_qs8_out *o)
{
    const lanes_geom g = lanes_geom_of(n, k);
    const int32_t *i32 = packed;
    edge_qs8_sparse_view v = {.n = n,
                              .k = k,
                              .kc = (k + 3) & ~(size_t)3,
                              .output_offset = o->zp,
                              .act_min = o->lo,
                              .act_max = o->hi,
                              .nc = g.nc,
                              .start = i32,
                              .lmult = i32 + 16 * g.nb,
                              .lshift = i32 + 32 * g.nb};
    v.first = (const uint32_t *)(i32 + 48 * g.nb);
    v.steps = (const uint8_t *)packed + 3 * 64 * g.nb + up64((g.nb + 1) * sizeof(uint32_t));
    v.lw = (const int8_t *)packed + g.head;
    v.idx = (const uint8_t *)v.lw + 64 * (size_t)v.first[g.nb];
    return v;
}

void edge_qs8_sparse_lanes_pack(const int8_t *w, size_t n, size_t k, const int32_t *bias,
                                const int32_t *mult, const int32_t *shift, int32_t input_offset,
                                void *dst)
{
    const lanes_geom g = lanes_geom_of(n, k);
    const size_t groups = (k + 3) / 4;
    memset(dst, 0, g.head);
    int32_t *start = dst, *pm = start + 16 * g.nb, *ps = start + 32 * g.nb;
    uint32_t *first = (uint32_t *)(start + 48 * g.nb);
    uint8_t *steps = (uint8_t *)dst + 3 * 64 * g.nb + up64((g.nb + 1) * sizeof(uint32_t));
    uint32_t s = 0;
    for (size_t b = 0; b < g.nb; b++) {
        first[b] = s;
        for (size_t c = 0; c < g.nc; c++) {
            const size_t ns = lane_steps(w, n, k, b, c);
            steps[b * g.nc + c] = (uint8_t)ns;
            s += (uint32_t)ns;
        }
    }
    first[g.nb] = s;
    int8_t *pw = (int8_t *)dst + g.head;
    uint8_t *pidx = (uint8_t *)pw + 64 * (size_t)s;
    memset(pw, 0, 80 * (size_t)s);
    for (size_t j = 0; j < n; j++) {
        const int8_t *row = w + j * k;
        const size_t b = j / LANE_CH, lane = j % LANE_CH;
        int32_t sum = 0;
        for (size_t i = 0; i < k; i++)
            sum = edge_wrap_add32(sum, row[i]);
        start[j] =
            edge_wrap_sub32(edge_wrap_add32(bias ? bias[j] : 0, edge_wrap_mul32(input_offset, sum)),
                            edge_wrap_mul32(128, sum));
        pm[j] = mult[j];
        ps[j] = shift[j];
        size_t at = first[b];
        for (size_t c = 0; c < g.nc; c++) {
            size_t t = at;
            for (size_t gi = LANE_CHUNK * c; gi < groups && gi < LANE_CHUNK * (c + 1); gi++) {
                if (!group_nonzero(row, k, gi))
                    continue;
                for (size_t q = 0; q < 4 && 4 * gi + q < k; q++)
                    pw[64 * t + 4 * lane + q] = row[4 * gi + q];
                pidx[16 * t + lane] = (uint8_t)(gi - LANE_CHUNK * c);
                t++;
            }
            at += steps[b * g.nc + c];
        }
    }
}

edge_qs8_sparse_fn edge_qs8_sparse_lanes_kernel(edge_isa isa, edge_sparse_format format,
                                                size_t bytes, size_t rows)
{
#if defined(__x86_64__)
    /* One row of 1x16 weights past the caches: the row path's runs (16 contiguous bytes a load)
     * stream fewer bytes than the lane form's steps, which runs of 4 groups pad more than 1x4
     * blocks (bench-sparse, Zen 5 VM, 2048x2048 90% zero: 2.83-2.99x against 2.44x; 70%
     * 1.29-1.32x against 1.34x). Two rows: the lane form (1.09x and 2.03x against 0.78x and
     * 1.81x), and smaller weights (1024x1000 1x16 90% zero: 2.25-2.36x against 1.43x). */
    if (isa == EDGE_ISA_AVX512VNNI &&
        (format != EDGE_SPARSE_1X16 || bytes < LANES_RUNS_BYTES || rows > 1))
        return edge_qs8_sparse_lanes_avx512vnni;
#else
    (void)isa, (void)format, (void)bytes, (void)rows;
#endif
    return NULL;
}

edge_qs8_sparse_fn edge_qs8_sparse_kernel(edge_isa isa, const char **level,
                                          edge_qs8_sparse_pays *pays)
{
    /* the portable C body: 2-20x slower than the dense SIMD kernels (bench-sparse) */
    *pays = (edge_qs8_sparse_pays){0, 0, 0, 0, 0, 0};
#if defined(__x86_64__)
    /* fewer rows: the FEW_* thresholds above */
    if (isa == EDGE_ISA_AVX512VNNI) {
        *level = "avx512vnni";
        /* 1x1 CONV_2D 28x28x128, 14x14x256, 7x7x512 on a Zen 5 VM (bench-sparse, the tile
         * transposed in registers): 1x4 blocks 70% zero (30% stored) 1.15-1.21x, 90% 1.70-2.63x;
         * unstructured 90% (34% stored) 1.03-1.10x, 80% (59%) 0.65-0.77x */
        *pays = (edge_qs8_sparse_pays){
            0.3, FEW_512_1X4, FEW_512_RUNS, EDGE_SPARSE_ROW_PATH, FEW_X86_MIN_DEPTH, 0};
        return edge_qs8_sparse_avx512vnni;
    }
    if (isa == EDGE_ISA_AVX2) {
        *level = "avx2";
        /* 1x4 blocks, 50% zero (50% stored) 1.4x, 70% 1.8-2.1x; unstructured 70% (76% stored)
         * 0.7-1.0x. */
        *pays = (edge_qs8_sparse_pays){
            0.5, FEW_AVX2_1X4, FEW_AVX2_RUNS, EDGE_SPARSE_ROW_PATH, FEW_X86_MIN_DEPTH, 0};
        return edge_qs8_sparse_avx2;
    }
    if (isa == EDGE_ISA_AVXVNNI) {
        *level = "avxvnni";
        /* Its tiles (qs8_sparse_avx2.c built with vpdpbusd) against the dense VNNI kernel
         * (bench-sparse --kernels avxvnni, a Zen 5 VM with AVX-VNNI): 1x1 CONV_2D 28x28x128,
         * 14x14x256, 7x7x512 with 1x4 blocks 50% zero (50% stored) 1.04-1.16x, 70% 1.33-1.68x,
         * 90% 1.71-3.25x; unstructured 80% zero (59% stored) 0.91-1.03x, 90% 1.23-1.49x. */
        *pays = (edge_qs8_sparse_pays){
            0.5, FEW_VNNI_1X4, FEW_VNNI_RUNS, EDGE_SPARSE_ROW_PATH, FEW_X86_MIN_DEPTH, 0};
        return edge__avxvnni_encoding() == EDGE_AVXVNNI_ENC_EVEX ? edge_qs8_sparse__avxvnni_evex
                                                                 : edge_qs8_sparse__avxvnni;
    }
#elif defined(__aarch64__) || defined(__arm__)
    /* ARM: llvm-mca-14 PREDICTIONS, not measurements (no ARM machine here; docs/arm-kernels.md,
     * "Sparse kernels"): cycles per MAC of the sparse kernel's inner loop against the dense
     * kernel's of the same level on the slower-for-sparse core, and PAYS = 1 / (that ratio *
     * 1.3), a 1.3x predicted gain at the threshold. Tiles: neondot 2.27x the dense GEMM's cost
     * per MAC (A55; A76 2.18x), neon 1.06x (A72 aarch64; A53 1.02x, armv7 on the A72 1.05x).
     * One row against the dense kernel on one row: neondot 7.6x (A76; A55 3.8x), neon 6.4x
     * (A72; A53 3.2x), armv7 3.0x; compute only, so weights streamed from memory (the
     * FEW_ARM_MIN_BYTES case: 1 byte a MAC dense, 1.5 a stored MAC sparse) should do better
     * than predicted. To be replaced by bench-sparse figures from real cores. */
#if defined(__aarch64__)
    if (isa == EDGE_ISA_NEONDOT) {
        *level = "neondot";
        *pays = (edge_qs8_sparse_pays){0.33, 0.1, 0.1, EDGE_SPARSE_ROWS, 0, FEW_ARM_MIN_BYTES};
        return edge_qs8_sparse_neondot;
    }
#endif
    if (isa == EDGE_ISA_NEON) {
        *level = "neon";
#if defined(__aarch64__)
        *pays = (edge_qs8_sparse_pays){0.7, 0.12, 0.12, EDGE_SPARSE_ROWS, 0, FEW_ARM_MIN_BYTES};
#else
        *pays = (edge_qs8_sparse_pays){0.7, 0.25, 0.25, EDGE_SPARSE_ROWS, 0, FEW_ARM_MIN_BYTES};
#endif
        return edge_qs8_sparse_neon;
    }
#else
    (void)isa;
#endif
    *level = "c";
    return edge_qs8_sparse_c;
}
