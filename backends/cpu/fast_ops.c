/* backends/cpu/fast_ops.c - the optimized int8 paths: packing at prepare, tiled eval drivers.
 *
 * Owns: what fast_ops.h declares. Each fast node's node->packed starts with a
 * fast_hdr (the path, the kernel table, geometry and output stage), followed
 * by the packed weights (or the depthwise zero vector; for the indirect GEMM
 * then the padding taps' bytes); it is built once per
 * model version and read by every interpreter. Work is cut into tasks
 * (ranges of output rows, or of output channels when there are too few rows)
 * that edge_exec_parallel spreads over the interpreter's threads; a task
 * that needs an im2col buffer uses its thread's slice of the node's scratch
 * (the indirect GEMM needs none: its window pointers are on the task's stack; the Winograd
 * path's slice holds a chunk of transformed input tiles, wino.h).
 * Does not own the micro-kernels (kernels/x86, kernels/arm) or validation
 * (the op_*.c prepare runs first and only calls here with checked params). */
#include "fast_ops.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dconv.h"
#include "dispatch.h"
#include "fast_u8.h"
#include "lut8.h"
#include "pack.h"
#include "ref/requant.h"
#include "vectorize.h"
#include "wino.h"

enum fast_kind { FAST_GEMM, FAST_DW, FAST_ADD, FAST_AVGPOOL, FAST_MEAN, FAST_DCONV, FAST_WINO };
enum row_src { ROWS_DIRECT, ROWS_IM2COL, ROWS_PAD, ROWS_INDIRECT };

typedef struct fast_hdr {
    enum fast_kind kind;
    const edge_kernels *k;
    edge_qs8_out o;
    /* GEMM: C[rows][n] = A[rows][kdepth] * W */
    enum row_src src;
    size_t rows, n, kdepth, kc, a_stride;
    size_t chunk;   /* rows per task (a multiple of mr), or channels per task when split_n */
    bool split_n;   /* tasks over output channels (few rows, many channels) */
    size_t n_tasks; /* tasks per invoke */
    /* the split of one thread (rows per task, tasks), for a node the team runs alone
     * (edge_exec_width 1): as a one-thread model's, so that alone costs no more calls */
    size_t chunk1, n_tasks1;
    int8_t zp_in;   /* padding value of im2col rows */
    bool u8;        /* AVERAGE_POOL_2D, direct CONV_2D: legacy uint8 */
    int32_t b, kzx; /* uint8 direct CONV_2D: the window term (qs8.h) */
    union {         /* by kind: GEMM, DW, DCONV / ADD / AVGPOOL / MEAN */
        edge_conv_params g;
        edge_qs8_add_params add;
        edge_pool_params pool;
        edge_reduce_params mean;
    };
    void *const *data; /* the node's packed_data (the packed weights / zero vector) */
    size_t dw_w_off;   /* depthwise: packed weights, after the zero vector, from the data */
    size_t pad_off;    /* indirect GEMM: in_c bytes of the padding value, from the data */
    bool flip_in;      /* indirect GEMM: the input is flipped (x ^ 0x80) around the kernel */
    bool flip_back;    /* flip_in, and the input flipped back after it: someone reads it later */
    /* flip_in of one image on a team: on the team's split, no flip of the tensor; each block
     * of WIN_PIXELS output pixels (a multiple of mr) copies the input rows its windows read,
     * flipped, into its thread's scratch and reads them there (gemm_span) */
    bool win_copy;
    size_t win_pixels;
    bool gemv;         /* one row (batch-1 FULLY_CONNECTED) on the table's gemv and its packing */
    /* GEMM of INT4 weights: blocks held 4-bit (pack.h's gemm4), each expanded into the task's
     * thread's scratch at W4_OFF before the kernel reads it (gemm4_task) */
    bool w4;
    size_t w4_off;
} fast_hdr;

#define HDR_BYTES ((sizeof(fast_hdr) + 63) & ~(size_t)63)
/* The indirect GEMM's window (7x7) and tile rows: the task's pointer array is on its stack. */
#define IGEMM_MAX_TAPS 49
#define IGEMM_MAX_MR 16
#define IM2COL_TARGET_BYTES (32u << 10)

static const void *hdr_data(const fast_hdr *h)
{
    return *h->data;
}

static size_t div_up(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

/* The most of N tasks of CHUNK units each (UNITS in all, the last short) that any of THREADS
 * threads starts with: thread t starts on tasks [n t / T, n (t + 1) / T) (runtime/exec.c). */
static size_t busiest_units(size_t units, unsigned threads, size_t chunk)
{
    const size_t n = div_up(units, chunk);
    size_t most = 0;
    for (size_t t = 0; t < threads; t++) {
        const size_t a = n * t / threads * chunk, b = n * (t + 1) / threads * chunk;
        const size_t r = (b < units ? b : units) - (a < units ? a : units);
        most = r > most ? r : most;
    }
    return most;
}

/* Rows a task for ROWS rows on THREADS threads, tasks of at least LEAST rows and at most MOST a
 * thread: of those chunks, the one whose busiest thread has the fewest rows, as the team hands
 * them out (edge_exec_parallel_as: thread t starts on tasks [n t / T, n (t + 1) / T)), and of
 * equals the smallest (the most tasks, for a thread that finishes first to take). Cut as rows / 2T
 * rounded up, 6 rows on 2 threads made 3 tasks of 2 and one thread ran two of them: the 6x6 layers
 * of person_detect at avx2 (their fused pointwise GEMM asks for 2 rows a task there) split 24 and
 * 12 pixels. Chunks past rows / T rounded up only load a thread more. */
size_t edge__row_chunk(size_t rows, unsigned threads, size_t least, size_t most_tasks)
{
    if (least < 1)
        least = 1;
    if (most_tasks < 1)
        most_tasks = 1;
    if (threads < 2 || rows <= least)
        return rows > least ? rows : least;
    const size_t t = threads, most = div_up(rows, t), fewest = div_up(rows, most_tasks * t);
    size_t best = least > most ? least : most, best_load = SIZE_MAX;
    for (size_t c = least > fewest ? least : fewest; c <= most; c++) {
        const size_t load = busiest_units(rows, threads, c);
        if (load < best_load) {
            best_load = load;
            best = c;
        }
    }
    return best;
}

/* Output pixels a task at least where a loop's tasks are more than its base count a thread, and
 * the most tasks a thread. A team's thread runs its own tasks first and then takes those of the
 * others not yet begun (runtime/exec.c), so a thread the host slows (another guest, or the busy
 * SMT sibling of its core) hands its work over a task at a time: with two tasks a thread, a thread
 * 25% slower has begun both before the other is done, and the loop waits for it. Large loops are
 * therefore cut finer: mobilenet_v2 at avx512vnni on the 2-vCPU Zen 4 VM, whose vCPUs are slowed
 * by the host now and then, cut so for tasks of 392 pixels and more (only its 112x112 and 56x56
 * layers), ran at a mean of 1711 us against 1784 us in alternating windows of the same minutes
 * (its median 1570 against 1615, p10 1459 against 1458: no loss where neither thread is slowed),
 * and 1996 against 2113 us with the helper's every task made 25% longer; yolov8n 14194 against
 * 14422, and 16461 against 17441. Tasks of 196 pixels gained no more; person_detect's layers run
 * in chains (runtime/interp/chain.c) and are too small for it. */
#define TASK_PIXELS 392u
#define TASKS_MAX 8u

size_t edge__tasks_per_thread(size_t pixels, unsigned threads, size_t base)
{
    const size_t k = threads ? pixels / ((size_t)threads * TASK_PIXELS) : 0;
    return k < base ? base : k > TASKS_MAX ? TASKS_MAX : k;
}

/* ROWS output rows of PIXELS output pixels in all, in tasks for THREADS threads: about two a
 * thread for balance (edge__row_chunk), more for a large loop (edge__tasks_per_thread), and one
 * call for a single thread (a kernel call sets up per-block constants, such as the depthwise
 * weight quads: several per node are pure overhead on 6x6 and 3x3 layers, and a team running solo
 * on a busy CPU, runtime/exec.c, pays them all: four per thread cost it 6% of person_detect, two
 * 4%). */
static void row_tasks(fast_hdr *h, size_t rows, size_t pixels, unsigned threads)
{
    h->rows = rows;
    h->chunk = threads > 1
                   ? edge__row_chunk(rows, threads, 1, edge__tasks_per_thread(pixels, threads, 2))
                   : rows;
    h->n_tasks = div_up(rows, h->chunk);
    h->chunk1 = rows;
    h->n_tasks1 = 1;
}

/* The output pixels of convolution K. */
static size_t conv_pixels(const edge_conv_params *k)
{
    return (size_t)k->batches * (size_t)k->out_h * (size_t)k->out_w;
}

/* The tasks of one loop of H (and how many the team's cut has: edge_exec_parallel_as). */
typedef struct split {
    size_t chunk, n_tasks;
    bool split_n;
    size_t team_tasks;
} split;

/* H's split for EX: the team's, or one thread's where the team runs the node alone (its
 * per-node or per-invoke choice: edge_exec_width) or has one thread. A node alone on a team
 * of 2 split as for 2 (2 tasks per thread of row_tasks, 4 of gemm_split) made 2 to 4 kernel
 * calls where one thread makes 1: person_detect in alone mode ran 4% slower than on one
 * thread (43.9 against 42.1 us at the median, Zen 5 VM). */
static split split_of(const fast_hdr *h, const edge_exec *ex)
{
    if (edge_exec_width(ex) > 1)
        return (split){h->chunk, h->n_tasks, h->split_n, h->n_tasks};
    return (split){h->chunk1, h->n_tasks1, false, h->n_tasks};
}

/* N's packed header (and DATA_BYTES after it) for the fast path KIND through kernel table KT's
 * kernel named KERNEL; NULL (and a message) when out of memory. */
static fast_hdr *alloc_hdr(edge_prep *p, edge_node *n, size_t data_bytes, const edge_kernels *kt,
                           enum fast_kind kind, const char *kernel)
{
    fast_hdr *h = edge_op_alloc_packed(p, n, HDR_BYTES, data_bytes, kernel);
    if (h) {
        h->data = &n->packed_data; /* (the cache may move it: pack_cache.c adopts blobs) */
        h->kind = kind;
        h->k = kt;
        /* every task of these writes whole output rows it can look up (fused_rows) */
        n->takes_lut =
            kind == FAST_GEMM || kind == FAST_DW || kind == FAST_DCONV || kind == FAST_WINO;
    }
    return h;
}

/* Whether N is the last node to read its input 0 and nothing else will (no later node, not
 * the caller: not a model input, whose bytes a caller may invoke again on, nor an output, nor
 * a variable): an intermediate of the main graph dead after N, which a flip in place need not
 * undo. The folds ran before prepare and keep the lifetimes (fold_pad.c); fuse_pw.c and
 * fuse_silu shorten only the tensors they fuse away, and the row chains lengthen theirs,
 * never an indirect GEMM's input (a flipped node is no chain's, edge_fast_rows_geom). */
static bool last_reader(edge_prep *p, const edge_node *n)
{
    const edge_tensor *t = edge_op_input(p, n, 0);
    const ptrdiff_t pos = n - p->m->nodes;
    return n->subgraph == 0 && pos >= 0 && pos < p->m->n_nodes && !t->is_input &&
           !t->is_output && !t->variable && t->producer >= 0 && t->producer < pos &&
           t->last_use == (int32_t)pos;
}

/* ---- GEMM: CONV_2D and FULLY_CONNECTED ---- */

/* The tile of the kernel serving H's rows: the gemm's, or 1 row by gemv's nr. */
static size_t tile_mr(const fast_hdr *h)
{
    return h->gemv ? 1 : h->k->gemm.mr;
}

static size_t tile_nr(const fast_hdr *h)
{
    return h->gemv ? h->k->gemv.nr : h->k->gemm.nr;
}

/* GEMM tiles (mr rows each: a tile of 1 row streams the weights as a full one does) a task. The
 * even cut, PER tasks a thread, where it loads no thread with more tiles than another cut would;
 * else, of the cuts of at most 2 PER tasks a thread, one whose busiest thread has the fewest tiles,
 * with the task count nearest PER a thread (more tasks on ties). The even cut alone gave yolov8n's
 * 20x20 layers (50 tiles of 8 rows at avx512vnni, 8 tasks of 7 tiles) 28 tiles on one thread and
 * 22 on the other: those layers ran at 1.73-1.77x on 2 threads where the 40x40 and 80x80 ones ran
 * at 1.87x (bench/README.md, round twenty-nine). */
size_t edge__tile_chunk(size_t tiles, unsigned threads, size_t per)
{
    if (per < 1)
        per = 1;
    if (tiles < 1)
        return 1;
    const size_t t = threads > 1 ? threads : 1, even = div_up(tiles, t * per);
    const size_t fair = div_up(tiles, t); /* no cut loads a thread with fewer */
    if (t == 1 || busiest_units(tiles, threads, even) <= fair)
        return even;
    size_t best = even, best_load = busiest_units(tiles, threads, even), best_dist = SIZE_MAX;
    for (size_t c = div_up(tiles, 2 * per * t); c <= fair; c++) {
        const size_t n = div_up(tiles, c), load = busiest_units(tiles, threads, c);
        const size_t dist = n > per * t ? n - per * t : per * t - n;
        if (load < best_load || (load == best_load && dist < best_dist)) {
            best = c;
            best_load = load;
            best_dist = dist;
        }
    }
    return best;
}

/* Task split: rows in multiples of mr, or channels in multiples of nr when
 * there are too few rows to keep every thread busy. */
static size_t gemm_rows_chunk(const fast_hdr *h, unsigned threads, size_t scratch_rows_cap)
{
    const size_t mr = tile_mr(h);
    /* four tasks a thread, more for a large loop of a team (edge__tasks_per_thread) */
    const size_t per = threads > 1 ? edge__tasks_per_thread(h->rows, threads, 4) : 4;
    size_t chunk = edge__tile_chunk(div_up(h->rows, mr), threads, per) * mr;
    if (chunk > scratch_rows_cap)
        chunk = scratch_rows_cap;
    return chunk < mr ? mr : chunk;
}

/* A 4-bit GEMM's task expands every block it reads (gemm4_task): about 0.015 ns a weight on a
 * Zen 5, as much as 8 rows of avx512vnni's kernel take. Its tasks are fewer and larger: one
 * thread's are all its rows in one (as far as rows built in scratch allow); a team's split the
 * channels where each thread's rows are fewer than W4_TASK_ROWS (each block then expanded once
 * an invoke), else the rows in tasks of at least W4_TASK_ROWS. Split as int8's (16 rows a
 * task at 1 thread), MobileNet v2's 7x7 pointwise layers ran 1.5-1.8x slower at avx512vnni. */
#define W4_TASK_ROWS 256u
static void gemm4_split(fast_hdr *h, unsigned threads, size_t scratch_rows_cap)
{
    const size_t mr = tile_mr(h), nr = tile_nr(h), all = div_up(h->rows, mr) * mr;
    h->chunk1 = all < scratch_rows_cap ? all : scratch_rows_cap;
    h->n_tasks1 = div_up(h->rows, h->chunk1);
    const bool built = h->src == ROWS_IM2COL || h->src == ROWS_PAD;
    if (threads > 1 && !built && h->rows < (size_t)W4_TASK_ROWS * threads && h->n >= 2 * nr) {
        h->split_n = true;
        h->chunk = div_up(div_up(h->n, threads), nr) * nr;
        h->n_tasks = div_up(h->n, h->chunk);
        return;
    }
    const size_t least = div_up(W4_TASK_ROWS, mr) * mr;
    h->chunk = gemm_rows_chunk(h, threads, scratch_rows_cap);
    if (h->chunk < least)
        h->chunk = least < scratch_rows_cap ? least : scratch_rows_cap;
    h->n_tasks = div_up(h->rows, h->chunk);
}

static void gemm_split(fast_hdr *h, unsigned threads, size_t scratch_rows_cap)
{
    const size_t mr = tile_mr(h), nr = tile_nr(h);
    if (h->w4) {
        gemm4_split(h, threads, scratch_rows_cap);
        return;
    }
    h->chunk1 = gemm_rows_chunk(h, 1, scratch_rows_cap);
    h->n_tasks1 = div_up(h->rows, h->chunk1);
    if (threads > 1 && h->src == ROWS_DIRECT && h->rows < 2 * mr * threads && h->n >= 2 * nr) {
        h->split_n = true;
        h->chunk = div_up(div_up(h->n, threads), nr) * nr;
        h->n_tasks = div_up(h->n, h->chunk);
        return;
    }
    h->chunk = gemm_rows_chunk(h, threads, scratch_rows_cap);
    h->n_tasks = div_up(h->rows, h->chunk);
}

/* EXTRA bytes of the node's own after the packed weights (h->pad_off points at them); packed
 * for the table's gemv (one row) when GEMV, else for its gemm. */
static int gemm_setup_as(edge_prep *p, edge_node *n, fast_hdr **out, size_t rows, size_t ch,
                         size_t depth, const int8_t *w, const int32_t *bias, const int32_t *mult,
                         const int32_t *shift, int32_t input_offset, size_t extra, const char *name,
                         bool gemv)
{
    const edge_kernels *k = edge_op_kernels(p);
    const size_t nr = gemv ? k->gemv.nr : k->gemm.nr, kr = gemv ? k->gemv.kr : k->gemm.kr;
    const int32_t a_bias = gemv ? k->gemv.a_bias : k->gemm.a_bias;
    const size_t kc = edge_qs8_gemm_kc(depth, kr);
    const size_t bytes8 = edge_qs8_gemm_packed_bytes(ch, depth, nr, kr);
    /* INT4 weights (values -8..7) stay 4-bit: every GEMM source but gemv's packing */
    const edge_tensor *wt = edge_op_input(p, n, 1);
    const bool w4 = !gemv && wt && wt->int4 && nr * kr % 16 == 0;
    const size_t wbytes = w4 ? edge_qs8_gemm4_packed_bytes(ch, depth, nr, kr) : bytes8;
    if (!wbytes || kc > ((size_t)1 << 24) || extra > SIZE_MAX - wbytes)
        return 0; /* too large for the fast path's arithmetic: the reference runs it */
    fast_hdr *h = alloc_hdr(p, n, wbytes + extra, k, FAST_GEMM, name);
    if (!h)
        return EDGE_ENOMEM;
    h->rows = rows;
    h->n = ch;
    h->kdepth = depth;
    h->kc = kc;
    h->gemv = gemv;
    h->w4 = w4;
    if (!edge_op_packed_done(n) && w4) { /* packed as int8, then held two a byte */
        void *tmp = malloc(bytes8);
        if (!tmp)
            return edge_op_fail(p, EDGE_ENOMEM, "cannot allocate %zu bytes", bytes8);
        edge_qs8_gemm_pack(ch, depth, nr, kr, w, bias, mult, shift, input_offset, a_bias, tmp);
        if (extra && k->igemm.c8)
            edge_qs8_gemm_pack_c8(ch, kc, nr, tmp);
        const int bad = edge_qs8_gemm4_pack(ch, depth, nr, kr, tmp, n->packed_data);
        free(tmp);
        if (bad) /* (the loader unpacked them from nibbles: never) */
            return edge_op_fail(p, EDGE_EINVAL, "INT4 weights (tensor %d) outside -8..7",
                                edge_op_tensor_index(p, wt));
    } else if (!edge_op_packed_done(n)) {
        edge_qs8_gemm_pack(ch, depth, nr, kr, w, bias, mult, shift, input_offset, a_bias,
                           n->packed_data);
        if (extra && k->igemm.c8) /* EXTRA: the indirect GEMM's padding cells */
            edge_qs8_gemm_pack_c8(ch, kc, nr, n->packed_data);
    }
    h->pad_off = wbytes;
    *out = h;
    return 1;
}

static int gemm_setup(edge_prep *p, edge_node *n, fast_hdr **out, size_t rows, size_t ch,
                      size_t depth, const int8_t *w, const int32_t *bias, const int32_t *mult,
                      const int32_t *shift, int32_t input_offset, size_t extra, const char *name)
{
    return gemm_setup_as(p, n, out, rows, ch, depth, w, bias, mult, shift, input_offset, extra,
                         name, false);
}

/* Rows per im2col chunk: about IM2COL_TARGET_BYTES of scratch, a multiple of mr. */
static size_t im2col_rows(const fast_hdr *h)
{
    const size_t mr = tile_mr(h);
    size_t r = IM2COL_TARGET_BYTES / h->kc / mr * mr;
    return r < mr ? mr : r;
}

/* Blocks of a 4-bit GEMM expanded at a time: about W4_GROUP_BYTES, at least one. */
#define W4_GROUP_BYTES (32u << 10)
static size_t w4_group(const fast_hdr *h)
{
    const size_t g = W4_GROUP_BYTES / edge_qs8_gemm_block_bytes(tile_nr(h), h->kc);
    return g ? g : 1;
}

/* An indirect GEMM reading its input from flipped copies (win_copy): output pixels a block
 * (a multiple of mr, about WIN_TARGET_BYTES of input rows) and the scratch a thread's block
 * copies into. */
#define WIN_TARGET_BYTES (128u << 10)
static _Atomic size_t win_target = WIN_TARGET_BYTES;

void edge__fast_win_bytes(size_t bytes)
{
    atomic_store_explicit(&win_target, bytes ? bytes : WIN_TARGET_BYTES, memory_order_relaxed);
}

static void win_plan(edge_node *n, fast_hdr *h)
{
    const edge_conv_params *g = &h->g;
    const size_t mr = tile_mr(h), row = (size_t)g->in_w * (size_t)g->in_c;
    const size_t span = (size_t)(g->k_h - 1) * (size_t)g->dil_h + 1, sh = (size_t)g->stride_h;
    const size_t fit = atomic_load_explicit(&win_target, memory_order_relaxed) / row;
    const size_t out_rows = fit > span ? (fit - span) / sh + 1 : 1;
    size_t px = out_rows * (size_t)g->out_w / mr * mr;
    h->win_pixels = px < mr ? mr : px;
    /* a block not starting a row touches one output row more */
    const size_t touched = (h->win_pixels - 1 + (size_t)g->out_w - 1) / (size_t)g->out_w + 1;
    size_t in_rows = (touched - 1) * sh + span;
    if (in_rows > (size_t)g->in_h)
        in_rows = (size_t)g->in_h;
    n->scratch_bytes = in_rows * row;
}

/* A stride, tasks and (for rows built in scratch) the node's scratch, once
 * h->src is set. */
static void gemm_plan(edge_prep *p, edge_node *n, fast_hdr *h)
{
    const bool direct = h->src == ROWS_DIRECT, in_place = direct || h->src == ROWS_INDIRECT;
    h->a_stride = direct ? h->kdepth : h->kc;
    gemm_split(h, p->m->threads, in_place ? SIZE_MAX : im2col_rows(h));
    if (!in_place) /* a task's rows: the team's chunk, or one thread's (never split_n here) */
        n->scratch_bytes = (h->chunk > h->chunk1 ? h->chunk : h->chunk1) * h->kc;
    if (h->win_copy)
        win_plan(n, h);
    if (h->w4) { /* then a group of expanded blocks */
        h->w4_off = (n->scratch_bytes + 63) & ~(size_t)63;
        n->scratch_bytes = h->w4_off + w4_group(h) * edge_qs8_gemm_block_bytes(tile_nr(h), h->kc);
    }
}

static const int8_t *const_data(edge_prep *p, const edge_node *n, int i)
{
    const edge_tensor *t = edge_op_input(p, n, i);
    return t ? t->data : NULL;
}

/* Fast paths need constant weights (and a constant bias when there is one). */
static bool weights_constant(edge_prep *p, const edge_node *n)
{
    const edge_tensor *b = edge_op_input(p, n, 2);
    return const_data(p, n, 1) && (!b || b->data);
}

static int dconv_setup(edge_prep *p, edge_node *n, const edge_conv_params *k, const int8_t *w);
static int wino_setup(edge_prep *p, edge_node *n, const edge_conv_params *k);

int edge_fast_conv_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k)
{
    const edge_kernels *kt = edge_op_kernels(p);
    if (k->filter_offset != 0 || !weights_constant(p, n))
        return 0;
    const int direct = dconv_setup(p, n, k, const_data(p, n, 1));
    if (direct != 0 || !kt->gemm.fn)
        return direct;
    const int wino = wino_setup(p, n, k);
    if (wino != 0)
        return wino;
    const size_t pixels = (size_t)k->out_h * (size_t)k->out_w;
    const size_t rows = (size_t)k->batches * pixels;
    const size_t depth = (size_t)k->k_h * (size_t)k->k_w * (size_t)k->in_c;
    const edge_tensor *bias = edge_op_input(p, n, 2);
    const bool pointwise = k->k_h == 1 && k->k_w == 1 && k->stride_h == 1 && k->stride_w == 1 &&
                           k->pad_h == 0 && k->pad_w == 0 && k->out_h == k->in_h &&
                           k->out_w == k->in_w;
    /* a KxK window over whole k groups of channels, read in place (no im2col rows) */
    const bool indirect = kt->igemm.fn && !pointwise && k->in_c % kt->gemm.kr == 0 &&
                          (size_t)k->k_h * (size_t)k->k_w <= IGEMM_MAX_TAPS &&
                          kt->gemm.mr <= IGEMM_MAX_MR && !edge_op_input(p, n, 0)->data;
    fast_hdr *h = NULL;
    int rc = gemm_setup(p, n, &h, rows, (size_t)k->out_c, depth, const_data(p, n, 1),
                        bias ? bias->data : NULL, k->mult, k->shift, k->input_offset,
                        indirect ? (size_t)k->in_c : 0, indirect ? kt->igemm.name : kt->gemm.name);
    if (rc <= 0)
        return rc;
    h->g = *k;
    h->o = (edge_qs8_out){k->output_offset, k->act_min, k->act_max};
    h->zp_in = (int8_t)(-k->input_offset);
    h->src = pointwise && h->kc == depth ? ROWS_DIRECT : indirect ? ROWS_INDIRECT : ROWS_IM2COL;
    if (indirect) { /* the padding cells' bytes, in the kernel's operand form (qs8.h) */
        h->flip_in = kt->gemm.a_bias == 128;
        h->flip_back = h->flip_in && !last_reader(p, n);
        h->win_copy = h->flip_in && k->batches == 1 && !h->w4 && p->m->threads > 1;
        if (!edge_op_packed_done(n)) /* (with the packed weights: the same in every process) */
            memset((uint8_t *)n->packed_data + h->pad_off,
                   (uint8_t)h->zp_in ^ (h->flip_in ? 0x80 : 0), (size_t)k->in_c);
    }
    gemm_plan(p, n, h);
    return 1;
}

int edge_fast_fc_prepare(edge_prep *p, edge_node *n, const edge_fc_params *k)
{
    const edge_kernels *kt = edge_op_kernels(p);
    if (!kt->gemm.fn || k->filter_offset != 0 || !weights_constant(p, n))
        return 0;
    const edge_tensor *bias = edge_op_input(p, n, 2);
    const bool gemv = k->batches == 1 && kt->gemv.fn; /* one row: the weights used once */
    fast_hdr *h = NULL;
    int rc = gemm_setup_as(p, n, &h, (size_t)k->batches, (size_t)k->units, (size_t)k->depth,
                           const_data(p, n, 1), bias ? bias->data : NULL, k->mult, k->shift,
                           k->input_offset, 0, gemv ? kt->gemv.name : kt->gemm.name, gemv);
    if (rc <= 0)
        return rc;
    h->o = (edge_qs8_out){k->output_offset, k->act_min, k->act_max};
    h->src = h->kc == h->kdepth ? ROWS_DIRECT : ROWS_PAD;
    gemm_plan(p, n, h);
    return 1;
}

/* Short copies and fills of im2col rows (a few to tens of bytes): inlined fixed
 * 16-byte moves and byte loops beat a libc call per window row. */
static inline void copy_short(int8_t *dst, const int8_t *src, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        memcpy(dst + i, src + i, 16);
    for (; i < n; i++)
        dst[i] = src[i];
}

static inline void fill_short(int8_t *dst, int8_t v, size_t n)
{
    int8_t pat[16];
    memset(pat, v, sizeof pat);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        memcpy(dst + i, pat, 16);
    for (; i < n; i++)
        dst[i] = v;
}

typedef struct pixel_at {
    size_t b;
    int32_t oy, ox;
} pixel_at;

/* Batch, row and column of output pixel M (flattened over batches). */
static pixel_at pixel_of(const edge_conv_params *g, size_t m)
{
    const size_t pixels = (size_t)g->out_h * (size_t)g->out_w, r = m % pixels;
    return (pixel_at){m / pixels, (int32_t)(r / (size_t)g->out_w), (int32_t)(r % (size_t)g->out_w)};
}

/* The output pixel after P, without divisions (once per im2col row). */
static void pixel_next(const edge_conv_params *g, pixel_at *p)
{
    if (++p->ox < g->out_w)
        return;
    p->ox = 0;
    if (++p->oy < g->out_h)
        return;
    p->oy = 0;
    p->b++;
}

/* The receptive field of output pixel PX as one A row of KC bytes: input cells, PAD (the
 * input zero point) for padding, zeros past K. */
static void im2col_row(const edge_conv_params *g, int8_t pad, size_t kc, const int8_t *in,
                       pixel_at px, int8_t *dst)
{
    const size_t c = (size_t)g->in_c, b = px.b;
    const int32_t oy = px.oy, ox = px.ox;
    const int8_t *in_b = in + b * (size_t)g->in_h * (size_t)g->in_w * c;
    const int32_t x0 = ox * g->stride_w - g->pad_w;
    for (int32_t ky = 0; ky < g->k_h; ky++) {
        const int32_t iy = oy * g->stride_h - g->pad_h + ky * g->dil_h;
        if (g->dil_w == 1) { /* the window row is contiguous in NHWC: one copy */
            const size_t row = (size_t)g->k_w * c;
            if (iy < 0 || iy >= g->in_h) {
                fill_short(dst, pad, row);
            } else {
                /* input columns [a, e) of the window [x0, x0 + k_w), clamped */
                const int32_t a = x0 < 0 ? 0 : x0;
                const int32_t e = x0 + g->k_w < g->in_w ? x0 + g->k_w : g->in_w;
                const int32_t lead = a - x0 < g->k_w ? a - x0 : g->k_w;
                const size_t pre = (size_t)lead * c;
                const size_t mid = e > a ? (size_t)(e - a) * c : 0;
                fill_short(dst, pad, pre);
                copy_short(dst + pre, in_b + ((size_t)iy * (size_t)g->in_w + (size_t)a) * c, mid);
                fill_short(dst + pre + mid, pad, row - pre - mid);
            }
            dst += row;
            continue;
        }
        for (int32_t kx = 0; kx < g->k_w; kx++, dst += c) {
            const int32_t ix = ox * g->stride_w - g->pad_w + kx * g->dil_w;
            if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w)
                memset(dst, pad, c);
            else
                memcpy(dst, in_b + ((size_t)iy * (size_t)g->in_w + (size_t)ix) * c, c);
        }
    }
    fill_short(dst, 0, kc - (size_t)g->k_h * (size_t)g->k_w * c);
}

void edge_fast_im2col_row(const edge_conv_params *g, int8_t pad, size_t kc, const int8_t *in,
                          size_t m, int8_t *dst)
{
    im2col_row(g, pad, kc, in, pixel_of(g, m), dst);
}

/* The tensor node N writes: its output, or, with a SiLU MUL fused into it, the MUL's
 * (runtime/interp/fold_silu.c edge__fuse_silu). */
static int8_t *node_out(const edge_node *n, void *const *t)
{
    return t[n->out_lut ? n->lut_out : n->out[0]];
}

/* A fused MUL's table over BYTES bytes a task just wrote at OUT, in place (NULL: none). */
static void fused_rows(const edge_lut8 *l, int8_t *out, size_t bytes)
{
    if (l)
        edge_op_lut8_run(l, out, out, bytes);
}

/* Rows of ROW_BYTES a fused table's block covers: about LUT_BLOCK_BYTES, a multiple of STEP. */
#define LUT_BLOCK_BYTES 8192
static size_t lut_block_rows(size_t row_bytes, size_t step)
{
    const size_t r = LUT_BLOCK_BYTES / (row_bytes ? row_bytes : 1) / step * step;
    return r ? r : step;
}

typedef struct gemm_job {
    const fast_hdr *h;
    split s;
    const int8_t *in;
    int8_t *out;
    uint8_t *scratch;
    size_t scratch_stride;
    const edge_lut8 *lut; /* a fused SiLU's table (node_out) or NULL */
    bool win;             /* read the input from flipped copies (win_copy, on the team's split) */
} gemm_job;

/* ROWS rows from A (stride a_stride) through the micro-kernel for the NC channels of the
 * packed blocks at W, row m's into C + m * h->n: in one call where the level has gemm.rows,
 * else one call per mr rows. */
static void gemm_block(const fast_hdr *h, const void *w, size_t nc, const int8_t *a,
                       size_t a_stride, size_t rows, int8_t *c)
{
    if (h->gemv) {
        for (size_t m = 0; m < rows; m++)
            h->k->gemv.fn(1, nc, h->kc, a + m * a_stride, a_stride, w, c + m * h->n, h->n, &h->o);
        return;
    }
    if (h->k->gemm.rows) {
        h->k->gemm.rows(rows, nc, h->kc, a, a_stride, w, c, h->n, &h->o);
        return;
    }
    const size_t mr = h->k->gemm.mr;
    for (size_t m = 0; m < rows; m += mr)
        h->k->gemm.fn(rows - m < mr ? rows - m : mr, nc, h->kc, a + m * a_stride, a_stride, w,
                      c + m * h->n, h->n, &h->o);
}

/* Rows [m0, m1) from A (stride a_stride) through the micro-kernel, all channels. */
static void gemm_rows(const fast_hdr *h, const int8_t *a, size_t a_stride, size_t m0, size_t m1,
                      int8_t *out)
{
    if (m1 > m0)
        gemm_block(h, hdr_data(h), h->n, a, a_stride, m1 - m0, out + m0 * h->n);
}

/* Output pixel PX's window as TAPS pointers at P, cell by cell: the input pixel's channels,
 * or PAD where the window leaves the input (border pixels; igemm_rows does the interior). */
static void window_ptrs(const edge_conv_params *g, uintptr_t in, const int8_t *pad, pixel_at px,
                        const int8_t **p)
{
    const size_t c = (size_t)g->in_c;
    const uintptr_t in_b = in + px.b * (size_t)g->in_h * (size_t)g->in_w * c;
    const int32_t iy0 = px.oy * g->stride_h - g->pad_h, ix0 = px.ox * g->stride_w - g->pad_w;
    for (int32_t ky = 0; ky < g->k_h; ky++) {
        const int32_t iy = iy0 + ky * g->dil_h;
        const bool row_in = iy >= 0 && iy < g->in_h;
        for (int32_t kx = 0; kx < g->k_w; kx++) {
            const int32_t ix = ix0 + kx * g->dil_w;
            *p++ = row_in && ix >= 0 && ix < g->in_w
                       ? (const int8_t *)(in_b + ((size_t)iy * (size_t)g->in_w + (size_t)ix) * c)
                       : pad;
        }
    }
}

/* The outputs [*LO, *HI) along one axis whose whole window lies inside the input's IN cells. */
static void interior_span(int32_t out, int32_t in, int32_t stride, int32_t pad, int32_t k,
                          int32_t dil, int32_t *lo, int32_t *hi)
{
    /* o * stride - pad >= 0 and o * stride - pad + (k - 1) * dil <= in - 1 */
    const int32_t last = in - 1 - (k - 1) * dil + pad;
    *lo = (pad + stride - 1) / stride;
    *hi = last < 0 ? 0 : last / stride + 1;
    if (*hi > out)
        *hi = out;
    if (*lo > *hi)
        *lo = *hi;
}

/* P[t] = BASE + OFF[t] for the window's TAPS cells of N pixels, BASE moving on X_STEP
 * a pixel and P on TAPS (3x3 unrolled: the common case). */
static inline void windows_at(const int8_t **restrict p, uintptr_t base, uintptr_t x_step,
                              const ptrdiff_t *restrict off, size_t taps, size_t n)
{
    if (taps == 9) {
        for (size_t i = 0; i < n; i++, p += 9, base += x_step) {
#pragma GCC unroll 9
            for (size_t t = 0; t < 9; t++)
                p[t] = (const int8_t *)(base + (uintptr_t)off[t]);
        }
        return;
    }
    for (size_t i = 0; i < n; i++, p += taps, base += x_step)
        for (size_t t = 0; t < taps; t++)
            p[t] = (const int8_t *)(base + (uintptr_t)off[t]);
}

/* Rows [m0, m1) through the indirect GEMM for the NC channels from N0 of the packed blocks at
 * W: each tile's window pointers, then the kernel.
 * Pixels whose window lies inside the input (bounds per axis, found once) take their
 * pointers as the window's first cell plus fixed offsets, the cell stepping along the
 * output row, a run of them (up to the tile's end or the interior's) in one loop; the others
 * go cell by cell (window_ptrs). Pixel by pixel, with the row's state carried from one to
 * the next, the pointers took 11% of a 160x160 16->16 layer at avx512vnni (Zen 4). Where the
 * level has the kernel by offsets (igemm.off), a tile of interior pixels of one output row goes
 * to it with each pixel's first cell and the taps' offsets (a pointer a pixel rather than one a
 * tap: on a Zen 5 the 160x160 16->16 layer had spent 12% of its time on the taps' pointers);
 * a tile with a border pixel, or across rows, takes every pointer as before. */
static inline uintptr_t row_first(const edge_conv_params *g, uintptr_t in, pixel_at px, size_t c)
{
    const ptrdiff_t iy0 = (ptrdiff_t)px.oy * g->stride_h - g->pad_h;
    return in + (uintptr_t)(((ptrdiff_t)px.b * g->in_h + iy0) * g->in_w * (ptrdiff_t)c -
                            (ptrdiff_t)g->pad_w * (ptrdiff_t)c);
}

static void igemm_rows(const fast_hdr *h, uintptr_t in, size_t m0, size_t m1, int8_t *out,
                       const void *w, size_t nc, size_t n0)
{
    const edge_conv_params *g = &h->g;
    const size_t mr = h->k->gemm.mr, taps = (size_t)g->k_h * (size_t)g->k_w;
    const size_t c = (size_t)g->in_c, n = h->n;
    const int8_t *pad = (const int8_t *)hdr_data(h) + h->pad_off;
    const int8_t *ptrs[IGEMM_MAX_MR * IGEMM_MAX_TAPS];
    const int8_t *firsts[IGEMM_MAX_MR]; /* by offsets: the tile's pixels' first cells */
    const edge_qs8_igemm_off_fn by_off = h->k->igemm.off;
    ptrdiff_t off[IGEMM_MAX_TAPS];
    for (int32_t ky = 0, t = 0; ky < g->k_h; ky++)
        for (int32_t kx = 0; kx < g->k_w; kx++, t++)
            off[t] = ((ptrdiff_t)ky * g->dil_h * g->in_w + (ptrdiff_t)kx * g->dil_w) * g->in_c;
    int32_t y_lo, y_hi, x_lo, x_hi;
    interior_span(g->out_h, g->in_h, g->stride_h, g->pad_h, g->k_h, g->dil_h, &y_lo, &y_hi);
    interior_span(g->out_w, g->in_w, g->stride_w, g->pad_w, g->k_w, g->dil_w, &x_lo, &x_hi);
    const uintptr_t x_step = (uintptr_t)g->stride_w * c;
    pixel_at px = pixel_of(g, m0);
    uintptr_t first = 0; /* the window's first cell at column 0 of row px.oy (may lie outside) */
    bool y_in = false, row_start = true;
    for (size_t m = m0; m < m1; m += mr) {
        const size_t rows = m1 - m < mr ? m1 - m : mr;
        if (by_off && px.oy >= y_lo && px.oy < y_hi && px.ox >= x_lo &&
            px.ox + (int32_t)rows <= x_hi) { /* x_hi <= out_w: one output row */
            if (row_start)
                first = row_first(g, in, px, c);
            for (size_t r = 0; r < rows; r++)
                firsts[r] = (const int8_t *)(first + ((uintptr_t)px.ox + r) * x_step);
            by_off(rows, nc, taps, c, firsts, off, w, out + m * n + n0, n, &h->o);
            y_in = true;
            px.ox += (int32_t)rows;
            row_start = px.ox == g->out_w;
            if (row_start) {
                px.ox = g->out_w - 1; /* the row's last pixel: pixel_next moves to the next row */
                pixel_next(g, &px);
            }
            continue;
        }
        for (size_t r = 0; r < rows;) {
            if (row_start) {
                first = row_first(g, in, px, c);
                y_in = px.oy >= y_lo && px.oy < y_hi;
            }
            if (y_in && px.ox >= x_lo && px.ox < x_hi) {
                /* the interior run from here: to the tile's end or the interior's */
                size_t run = (size_t)(x_hi - px.ox);
                if (run > rows - r)
                    run = rows - r;
                windows_at(ptrs + r * taps, first + (uintptr_t)px.ox * x_step, x_step, off, taps,
                           run);
                r += run;
                px.ox += (int32_t)run;
                if (px.ox < g->out_w) {
                    row_start = false;
                    continue;
                }
                px.ox = g->out_w - 1; /* the row's last pixel: pixel_next moves to the next row */
            } else {
                window_ptrs(g, in, pad, px, ptrs + r * taps);
                r++;
            }
            pixel_next(g, &px);
            row_start = px.ox == 0;
        }
        h->k->igemm.fn(rows, nc, taps, c, ptrs, w, out + m * n + n0, n, &h->o);
    }
}

/* Rows [m0, m1) built in THREAD's scratch (im2col or zero-padded rows), at kc bytes a row. */
static int8_t *build_rows(const gemm_job *j, const fast_hdr *h, size_t m0, size_t m1,
                          unsigned thread)
{
    int8_t *buf = (int8_t *)(j->scratch + (size_t)thread * j->scratch_stride);
    pixel_at px = h->src == ROWS_IM2COL ? pixel_of(&h->g, m0) : (pixel_at){0, 0, 0};
    for (size_t m = m0; m < m1; m++) {
        int8_t *row = buf + (m - m0) * h->kc;
        if (h->src == ROWS_IM2COL) {
            im2col_row(&h->g, h->zp_in, h->kc, j->in, px, row);
            pixel_next(&h->g, &px);
        } else {
            memcpy(row, j->in + m * h->kdepth, h->kdepth);
            memset(row + h->kdepth, 0, h->kc - h->kdepth);
        }
    }
    return buf;
}

/* Rows [m0, m1) built in THREAD's scratch, then the kernel. */
static void gemm_built_rows(const gemm_job *j, const fast_hdr *h, size_t m0, size_t m1,
                            unsigned thread)
{
    gemm_rows(h, build_rows(j, h, m0, m1, thread), h->kc, m0, m1, j->out);
}

/* A task of a GEMM whose weights are held 4-bit: its rows (built once where they are built)
 * against each group of its channels' blocks in turn (W4_GROUP_BYTES expanded, at least one
 * block), the group expanded into THREAD's scratch: each block is expanded once a task, rows
 * are written a group's width at a time, and the kernels are those of int8 blocks (so the same
 * bytes). One block at a time, each output row's bytes written 16 at a time in separate passes,
 * cost MobileNet v2's 56x56 pointwise layers 45% at avx2. */
static void gemm4_task(const gemm_job *j, const fast_hdr *h, size_t task, unsigned thread)
{
    const size_t nr = tile_nr(h), chunk = j->s.chunk, group = w4_group(h);
    const size_t block4 = edge_qs8_gemm4_block_bytes(nr, h->kc);
    const size_t block8 = edge_qs8_gemm_block_bytes(nr, h->kc);
    size_t m0 = 0, m1 = h->rows, c0 = 0, c1 = h->n;
    if (j->s.split_n) {
        c0 = task * chunk;
        c1 = h->n - c0 < chunk ? h->n : c0 + chunk;
    } else {
        m0 = task * chunk;
        m1 = m0 + chunk < h->rows ? m0 + chunk : h->rows;
    }
    const int8_t *a = j->in + m0 * h->a_stride;
    if (h->src == ROWS_IM2COL || h->src == ROWS_PAD)
        a = build_rows(j, h, m0, m1, thread);
    uint8_t *w = j->scratch + (size_t)thread * j->scratch_stride + h->w4_off;
    for (size_t n0 = c0; n0 < c1; n0 += group * nr) {
        const size_t nc = c1 - n0 < group * nr ? c1 - n0 : group * nr;
        for (size_t b = 0; b * nr < nc; b++)
            edge_qs8_gemm4_expand(nr, h->kc, (const uint8_t *)hdr_data(h) + (n0 / nr + b) * block4,
                                  w + b * block8);
        if (h->src == ROWS_INDIRECT)
            igemm_rows(h, (uintptr_t)j->in, m0, m1, j->out, w, nc, n0);
        else
            gemm_block(h, w, nc, a, h->a_stride, m1 - m0, j->out + m0 * h->n + n0);
    }
    for (size_t m = m0; j->lut && m < m1; m++)
        fused_rows(j->lut, j->out + m * h->n + c0, c1 - c0);
}

static void gemm_span(const gemm_job *j, size_t m0, size_t m1, unsigned thread);

static void gemm_task(void *ctx, size_t task, unsigned thread)
{
    const gemm_job *j = ctx;
    const fast_hdr *h = j->h;
    const size_t chunk = j->s.chunk;
    if (h->w4) {
        gemm4_task(j, h, task, thread);
        return;
    }
    if (j->s.split_n) {
        const size_t n0 = task * chunk, nc = h->n - n0 < chunk ? h->n - n0 : chunk;
        const size_t block = edge_qs8_gemm_block_bytes(tile_nr(h), h->kc);
        const uint8_t *w = (const uint8_t *)hdr_data(h) + n0 / tile_nr(h) * block;
        gemm_block(h, w, nc, j->in, h->a_stride, h->rows, j->out + n0);
        for (size_t m = 0; j->lut && m < h->rows; m++)
            fused_rows(j->lut, j->out + m * h->n + n0, nc);
        return;
    }
    const size_t m0 = task * chunk, m1 = m0 + chunk < h->rows ? m0 + chunk : h->rows;
    gemm_span(j, m0, m1, thread);
}

/* GEMM rows [M0, M1) of J from IN (an indirect GEMM's input, or where its rows are) in
 * blocks: the kernel, then a fused table over blocks of rows looked up while they are in L1. */
static void gemm_blocks(const gemm_job *j, size_t m0, size_t m1, unsigned thread, uintptr_t in)
{
    const fast_hdr *h = j->h;
    const size_t mr = tile_mr(h), block = j->lut ? lut_block_rows(h->n, mr) : m1 - m0;
    for (size_t a = m0; a < m1; a += block) {
        const size_t b = m1 - a < block ? m1 : a + block;
        if (h->src == ROWS_DIRECT)
            gemm_rows(h, j->in + a * h->a_stride, h->a_stride, a, b, j->out);
        else if (h->src == ROWS_INDIRECT)
            igemm_rows(h, in, a, b, j->out, hdr_data(h), h->n, 0);
        else
            gemm_built_rows(j, h, a, b, thread);
        fused_rows(j->lut, j->out + a * h->n, (b - a) * h->n);
    }
}

/* The input rows [*LO, *HI) the windows of output pixels [A, B) of one image read. */
static void win_rows(const edge_conv_params *g, size_t a, size_t b, int32_t *lo, int32_t *hi)
{
    const int32_t oy0 = (int32_t)(a / (size_t)g->out_w);
    const int32_t oy1 = (int32_t)((b - 1) / (size_t)g->out_w);
    const int32_t y0 = oy0 * g->stride_h - g->pad_h;
    const int32_t y1 = oy1 * g->stride_h - g->pad_h + (g->k_h - 1) * g->dil_h + 1;
    *lo = y0 < 0 ? 0 : y0 > g->in_h ? g->in_h : y0;
    *hi = y1 > g->in_h ? g->in_h : y1 < *lo ? *lo : y1;
}

/* N bytes of SRC into DST, each flipped (x ^ 0x80); DST may be SRC (flip_bytes). */
static void flip_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    typedef uint8_t v16 __attribute__((vector_size(16)));
    size_t i = 0;
    for (; i + 64 <= n; i += 64) { /* four 16-byte vectors a step (SSE2, NEON) */
#pragma GCC unroll 4
        for (size_t k = i; k < i + 64; k += 16) {
            v16 v;
            memcpy(&v, src + k, sizeof v);
            v ^= 0x80;
            memcpy(dst + k, &v, sizeof v);
        }
    }
    for (; i < n; i++)
        dst[i] = src[i] ^ 0x80;
}

/* GEMM rows [M0, M1) of J (not split by channels, not 4-bit). A task's, and a row chain's
 * piece's (edge_fast_rows: a pointwise layer's). An indirect GEMM that reads its input flipped
 * from copies (win_copy) goes in blocks of win_pixels: the input rows a block's windows read are
 * copied flipped into THREAD's scratch, and its pointers point there. */
static void gemm_span(const gemm_job *j, size_t m0, size_t m1, unsigned thread)
{
    const fast_hdr *h = j->h;
    if (!j->win) {
        gemm_blocks(j, m0, m1, thread, (uintptr_t)j->in);
        return;
    }
    const size_t row = (size_t)h->g.in_w * (size_t)h->g.in_c;
    uint8_t *buf = j->scratch + (size_t)thread * j->scratch_stride;
    for (size_t a = m0; a < m1; a += h->win_pixels) {
        const size_t b = m1 - a < h->win_pixels ? m1 : a + h->win_pixels;
        int32_t lo, hi;
        win_rows(&h->g, a, b, &lo, &hi);
        flip_copy(buf, (const uint8_t *)j->in + (size_t)lo * row, (size_t)(hi - lo) * row);
        gemm_blocks(j, a, b, thread, (uintptr_t)buf - (uintptr_t)lo * row);
    }
}

/* ---- flips of whole tensors (x ^ 0x80), in tasks of FLIP_TASK bytes ---- */

#define FLIP_TASK 32768

typedef struct flip_job {
    uint8_t *a, *b; /* flipped in turn: tasks over a, then over b */
    size_t a_n, b_n, a_tasks;
} flip_job;

static void flip_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const flip_job *j = ctx;
    uint8_t *x = j->a;
    size_t n = j->a_n;
    if (task >= j->a_tasks) {
        task -= j->a_tasks;
        x = j->b;
        n = j->b_n;
    }
    const size_t i0 = task * FLIP_TASK;
    flip_copy(x + i0, x + i0, n - i0 < FLIP_TASK ? n - i0 : FLIP_TASK);
}

void edge_fast_flip(edge_exec *ex, uint8_t *a, size_t a_n, uint8_t *b, size_t b_n)
{
    const size_t at = (a_n + FLIP_TASK - 1) / FLIP_TASK, bt = (b_n + FLIP_TASK - 1) / FLIP_TASK;
    flip_job j = {a, b, a_n, b_n, at};
    edge_exec_parallel(ex, at + bt, flip_task, &j);
}

static void gemm_eval(const edge_node *n, const int8_t *in, int8_t *out, void *scratch,
                      edge_exec *ex)
{
    const fast_hdr *h = n->packed;
    gemm_job j = {h, split_of(h, ex), in, out, scratch, edge_op_scratch_stride(n), n->out_lut,
                  h->win_copy && edge_exec_width(ex) > 1};
    /* the indirect kernel reads x ^ 0x80: on the team's split from flipped copies of the rows
     * (win_copy), else in place: the input is flipped, and flipped back unless nothing reads it
     * after this node (flip_back) */
    const size_t in_n = h->flip_in && !j.win ? (size_t)h->g.batches * (size_t)h->g.in_h *
                                                   (size_t)h->g.in_w * (size_t)h->g.in_c
                                             : 0;
    if (in_n)
        edge_fast_flip(ex, (uint8_t *)(uintptr_t)in, in_n, NULL, 0);
    edge_exec_parallel_as(ex, j.s.n_tasks, j.s.team_tasks, gemm_task, &j);
    if (in_n && h->flip_back)
        edge_fast_flip(ex, (uint8_t *)(uintptr_t)in, in_n, NULL, 0);
}

static void dconv_eval(const edge_node *n, void *const *t, edge_exec *ex);
static void wino_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex);

void edge_fast_conv_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const fast_hdr *h = n->packed;
    if (h->kind == FAST_DCONV)
        dconv_eval(n, t, ex);
    else if (h->kind == FAST_WINO)
        wino_eval(n, t, scratch, ex);
    else
        gemm_eval(n, t[n->in[0]], node_out(n, t), scratch, ex);
}

void edge_fast_fc_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    gemm_eval(n, t[n->in[0]], node_out(n, t), scratch, ex);
}

/* ---- DEPTHWISE_CONV_2D ---- */

/* A depthwise convolution of a one-channel input with depth multiplier M is a
 * convolution with M output channels: its [1, kh, kw, M] weights, transposed to
 * [M][kh * kw], go through the GEMM path (the first layer of many vision models). */
static int dw_as_conv(edge_prep *p, edge_node *n, const edge_conv_params *k)
{
    const size_t taps = (size_t)k->k_h * (size_t)k->k_w, ch = (size_t)k->out_c;
    const int8_t *w = const_data(p, n, 1);
    int8_t *wt = malloc(taps * ch);
    if (!wt)
        return edge_op_fail(p, EDGE_ENOMEM, "cannot allocate %zu bytes", taps * ch);
    for (size_t t = 0; t < taps; t++)
        for (size_t c = 0; c < ch; c++)
            wt[c * taps + t] = w[t * ch + c];
    const int direct = dconv_setup(p, n, k, wt);
    if (direct != 0 || !edge_op_kernels(p)->gemm.fn) {
        free(wt);
        return direct;
    }
    const size_t rows = (size_t)k->batches * (size_t)k->out_h * (size_t)k->out_w;
    const edge_tensor *bias = edge_op_input(p, n, 2);
    fast_hdr *h = NULL;
    int rc = gemm_setup(p, n, &h, rows, ch, taps, wt, bias ? bias->data : NULL, k->mult, k->shift,
                        k->input_offset, 0, edge_op_kernels(p)->gemm.name);
    free(wt);
    if (rc <= 0)
        return rc;
    h->g = *k;
    h->o = (edge_qs8_out){k->output_offset, k->act_min, k->act_max};
    h->zp_in = (int8_t)(-k->input_offset);
    h->src = ROWS_IM2COL;
    gemm_plan(p, n, h);
    return 1;
}

int edge_fast_dw_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k)
{
    const edge_kernels *kt = edge_op_kernels(p);
    if (k->filter_offset != 0 || !weights_constant(p, n))
        return 0;
    if (k->in_c == 1 && k->depth_mult > 1)
        return kt->gemm.fn || kt->dconv.fn ? dw_as_conv(p, n, k) : 0;
    if (!kt->dw.fn || k->depth_mult != 1)
        return 0;
    const size_t ch = (size_t)k->out_c, taps = (size_t)k->k_h * (size_t)k->k_w;
    const size_t wbytes = edge_qs8_dw_packed_bytes(ch, taps, kt->dw.cr);
    const size_t zbytes = div_up(ch, 64) * 64;
    if (!wbytes || wbytes > SIZE_MAX - zbytes)
        return 0;
    fast_hdr *h = alloc_hdr(p, n, zbytes + wbytes, kt, FAST_DW, kt->dw.name);
    if (!h)
        return EDGE_ENOMEM;
    const edge_tensor *bias = edge_op_input(p, n, 2);
    h->g = *k;
    h->o = (edge_qs8_out){k->output_offset, k->act_min, k->act_max};
    h->zp_in = (int8_t)(-k->input_offset);
    uint8_t *zero = n->packed_data;
    if (!edge_op_packed_done(n)) {
        memset(zero, (uint8_t)h->zp_in, zbytes);
        edge_qs8_dw_pack(ch, taps, kt->dw.cr, const_data(p, n, 1), bias ? bias->data : NULL,
                         k->mult, k->shift, k->input_offset, zero + zbytes);
    }
    row_tasks(h, (size_t)k->batches * (size_t)k->out_h, conv_pixels(k), p->m->threads);
    h->dw_w_off = zbytes;
    return 1;
}

typedef struct dw_job {
    const fast_hdr *h;
    size_t chunk;
    edge_qs8_dw_args a;
    const edge_lut8 *lut; /* a fused SiLU's table (node_out) or NULL */
} dw_job;

/* Bytes of one output row (batch * out_h rows) of a depthwise or direct convolution. */
static size_t image_row_bytes(const edge_conv_params *g)
{
    return (size_t)g->out_w * (size_t)g->out_c;
}

/* The end of a task of CHUNK rows from row R0, of ROWS rows in all. */
static size_t task_end(size_t r0, size_t chunk, size_t rows)
{
    return r0 + chunk < rows ? r0 + chunk : rows;
}

/* Output rows [R0, R1) of H's row kernel (the depthwise one for FAST_DW, with edge_qs8_dw_args
 * at A, else the direct convolution, edge_qs8_dconv_args) writing OUT, in blocks a fused table
 * LUT (NULL: none) looks up while they are in L1. */
static void kernel_rows(const fast_hdr *h, const void *a, int8_t *out, const edge_lut8 *lut,
                        size_t r0, size_t r1)
{
    const size_t row = image_row_bytes(&h->g), block = lut ? lut_block_rows(row, 1) : r1 - r0;
    for (size_t s = r0; s < r1; s += block) {
        const size_t e = r1 - s < block ? r1 : s + block;
        if (h->kind == FAST_DW)
            h->k->dw.fn(a, (int32_t)s, (int32_t)e);
        else
            (h->u8 ? h->k->dconv_u8.fn : h->k->dconv.fn)(a, (int32_t)s, (int32_t)e);
        fused_rows(lut, out + s * row, (e - s) * row);
    }
}

/* Output rows [R0, R1) of depthwise job J. */
static void dw_rows(const dw_job *j, size_t r0, size_t r1)
{
    kernel_rows(j->h, &j->a, j->a.out, j->lut, r0, r1);
}

static void dw_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const dw_job *j = ctx;
    const size_t r0 = task * j->chunk;
    dw_rows(j, r0, task_end(r0, j->chunk, j->h->rows));
}

/* Depthwise node N's job over tensors T, in tasks of CHUNK rows. */
static dw_job dw_job_of(const edge_node *n, void *const *t, size_t chunk)
{
    const fast_hdr *h = n->packed;
    const int8_t *zero = hdr_data(h);
    return (dw_job){
        h, chunk, {&h->g, t[n->in[0]], zero + h->dw_w_off, zero, node_out(n, t), h->o}, n->out_lut};
}

/* ---- a depthwise convolution and the pointwise one after it, row by row ---- */

bool edge_fast_pw_fuse(edge_node *d, const edge_node *p, unsigned threads)
{
    fast_hdr *hd = d->packed;
    const fast_hdr *hp = p->packed;
    if (!hd || !hp || hd->kind != FAST_DW || d->out_lut || hp->kind != FAST_GEMM ||
        hp->src != ROWS_DIRECT || hp->w4 || hp->gemv || hp->flip_in)
        return false;
    const edge_conv_params *a = &hd->g, *b = &hp->g;
    if (b->k_h != 1 || b->k_w != 1 || b->stride_h != 1 || b->stride_w != 1 ||
        b->batches != a->batches || b->in_h != a->out_h || b->in_w != a->out_w ||
        b->in_c != a->out_c || hp->a_stride != (size_t)a->out_c ||
        hp->rows != hd->rows * (size_t)a->out_w)
        return false;
    if (threads > 1) {
        /* each thread's rows at least two GEMM tiles of pixels (else the pointwise layer's
         * channels split better: 3x3 layers), in tasks of at least that */
        const size_t w = (size_t)a->out_w, least = div_up(2 * tile_mr(hp), w);
        if (hd->rows / threads < least)
            return false;
        hd->chunk = edge__row_chunk(hd->rows, threads, least,
                                    edge__tasks_per_thread(hd->rows * w, threads, 2));
        hd->n_tasks = div_up(hd->rows, hd->chunk);
    }
    return true;
}

typedef struct dwpw_job {
    dw_job dw;
    const fast_hdr *p;    /* the pointwise node's */
    int8_t *out;          /* its output */
    const edge_lut8 *lut; /* a SiLU fused into it, or NULL */
} dwpw_job;

/* Rows [R0, R1) of the depthwise output, then the pointwise GEMM over their pixels, a block at
 * a time. */
static void dwpw_rows(const dwpw_job *j, size_t r0, size_t r1)
{
    const fast_hdr *h = j->dw.h, *p = j->p;
    const size_t w = (size_t)h->g.out_w, row = image_row_bytes(&h->g);
    const size_t block = EDGE_PW_BLOCK_BYTES / row ? EDGE_PW_BLOCK_BYTES / row : 1;
    for (size_t a = r0; a < r1; a += block) {
        const size_t b = r1 - a < block ? r1 : a + block;
        h->k->dw.fn(&j->dw.a, (int32_t)a, (int32_t)b);
        gemm_rows(p, j->dw.a.out + a * row, p->a_stride, a * w, b * w, j->out);
        fused_rows(j->lut, j->out + a * w * p->n, (b - a) * w * p->n);
    }
}

static void dwpw_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const dwpw_job *j = ctx;
    const size_t r0 = task * j->dw.chunk;
    dwpw_rows(j, r0, task_end(r0, j->dw.chunk, j->dw.h->rows));
}

/* The fused pair of depthwise node N and its pointwise node over tensors T. */
static dwpw_job dwpw_job_of(const edge_node *n, void *const *t, size_t chunk)
{
    return (dwpw_job){dw_job_of(n, t, chunk), n->pw->packed, node_out(n->pw, t), n->pw->out_lut};
}

void edge_fast_dw_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const fast_hdr *h = n->packed;
    if (h->kind == FAST_GEMM || h->kind == FAST_DCONV) {
        edge_fast_conv_eval(n, t, scratch, ex);
        return;
    }
    const split sp = split_of(h, ex);
    if (n->pw) {
        const dwpw_job f = dwpw_job_of(n, t, sp.chunk);
        edge_exec_parallel_as(ex, sp.n_tasks, sp.team_tasks, dwpw_task, (void *)&f);
        return;
    }
    const dw_job j = dw_job_of(n, t, sp.chunk);
    edge_exec_parallel_as(ex, sp.n_tasks, sp.team_tasks, dw_task, (void *)&j);
}

/* ---- direct CONV_2D of 1 to 4 input channels ---- */

/* The direct path for geometry K with OHWI weights W (CONV_2D's, or a one-channel
 * depthwise's transposed; for U8 a legacy uint8 CONV_2D's w ^ 0x80, see
 * edge_fast_dconv_u8_prepare): 1 when set up, 0 when the table has no direct kernel or K
 * does not fit it (dilation, more than 4 input channels, a window past
 * EDGE_QS8_DCONV_MAX_K), EDGE_ENOMEM. Output rows are cut into tasks as for depthwise. */
static int dconv_setup_as(edge_prep *p, edge_node *n, const edge_conv_params *k, const int8_t *w,
                          bool u8)
{
    const edge_kernels *kt = edge_op_kernels(p);
    if (!(u8 ? kt->dconv_u8.fn : kt->dconv.fn) || k->in_c > 4 || k->dil_h != 1 || k->dil_w != 1)
        return 0;
    const size_t wbytes = edge_qs8_dconv_packed_bytes(k, kt->dconv.cr, kt->dconv.kr);
    if (!wbytes)
        return 0;
    fast_hdr *h = alloc_hdr(p, n, wbytes, kt, FAST_DCONV, u8 ? kt->dconv_u8.name : kt->dconv.name);
    if (!h)
        return EDGE_ENOMEM;
    const edge_tensor *bias = edge_op_input(p, n, 2);
    if (!edge_op_packed_done(n) &&
        edge_qs8_dconv_pack(k, kt->dconv.cr, kt->dconv.kr, w, bias ? bias->data : NULL, k->mult,
                            k->shift, k->input_offset, u8 ? kt->dconv_u8.a_bias : kt->dconv.a_bias,
                            n->packed_data))
        return edge_op_fail(p, EDGE_ENOMEM, "cannot allocate the direct convolution's weights");
    h->g = *k;
    h->o = (edge_qs8_out){k->output_offset, k->act_min, k->act_max};
    h->zp_in = (int8_t)(-k->input_offset);
    h->u8 = u8;
    if (u8) { /* qs8.h: w - zw = (w ^ 0x80) + (128 - zw); the window term's b and kzx */
        const size_t cells = (size_t)k->k_h * (size_t)k->k_w * (size_t)k->in_c;
        h->b = 128 + k->filter_offset;
        h->kzx = (int32_t)((uint32_t)cells * (uint8_t)h->zp_in);
    }
    row_tasks(h, (size_t)k->batches * (size_t)k->out_h, conv_pixels(k), p->m->threads);
    return 1;
}

static int dconv_setup(edge_prep *p, edge_node *n, const edge_conv_params *k, const int8_t *w)
{
    return dconv_setup_as(p, n, k, w, false);
}

int edge_fast_dconv_u8_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k,
                               const int8_t *w_flipped)
{
    return dconv_setup_as(p, n, k, w_flipped, true);
}

typedef struct dconv_job {
    const fast_hdr *h;
    size_t chunk;
    edge_qs8_dconv_args a;
    const edge_lut8 *lut; /* a fused SiLU's table (node_out) or NULL */
} dconv_job;

/* Output rows [R0, R1) of direct-convolution job J. */
static void dconv_rows(const dconv_job *j, size_t r0, size_t r1)
{
    kernel_rows(j->h, &j->a, j->a.out, j->lut, r0, r1);
}

static void dconv_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const dconv_job *j = ctx;
    const size_t r0 = task * j->chunk;
    dconv_rows(j, r0, task_end(r0, j->chunk, j->h->rows));
}

/* Direct-convolution node N's job over tensors T, in tasks of CHUNK rows. */
static dconv_job dconv_job_of(const edge_node *n, void *const *t, size_t chunk)
{
    const fast_hdr *h = n->packed;
    return (dconv_job){
        h,
        chunk,
        {&h->g, t[n->in[0]], hdr_data(h), node_out(n, t), h->zp_in, h->o, h->b, h->kzx},
        n->out_lut};
}

static void dconv_eval(const edge_node *n, void *const *t, edge_exec *ex)
{
    const split sp = split_of(n->packed, ex);
    const dconv_job j = dconv_job_of(n, t, sp.chunk);
    edge_exec_parallel_as(ex, sp.n_tasks, sp.team_tasks, dconv_task, (void *)&j);
}

/* ---- a row node's output rows, for the interpreter's row chains (chain.c) ---- */

/* Whether H, node N's, is a pointwise CONV_2D on the GEMM that reads its input's pixels in place
 * (ROWS_DIRECT, whole 8-bit weights, one image): its GEMM rows are the image's pixels, so image row
 * r of its output is its input's row r, and the kernel reads exactly the row's bytes (qs8.h: kc
 * bytes a row, kc the depth here). A row node: mobilenet_v2's expanding layers, between its
 * depthwise ones, let a chain run through its blocks (runtime/interp/chain.c). */
static bool pointwise_rows(const edge_node *n, const fast_hdr *h)
{
    const edge_conv_params *k = &h->g;
    return n->code == EDGE_OP_CONV_2D && h->kind == FAST_GEMM && h->src == ROWS_DIRECT &&
           !h->w4 && !h->gemv && k->batches == 1 && k->k_h == 1 && k->k_w == 1 &&
           k->stride_h == 1 && k->stride_w == 1 && k->out_h == k->in_h &&
           h->rows == (size_t)k->out_h * (size_t)k->out_w && n->kernel &&
           !strcmp(n->kernel, h->k->gemm.name);
}

/* An int8 ADD of two tensors of N's output shape [1, H, W, C] on the table's kernel (FAST_ADD,
 * which reads and writes exactly its elements): a row node whose output row r is row r of each
 * input (in2: the second). mobilenet_v2's residual ADDs, which end each block, so that a chain
 * runs through its blocks. */
static bool add_rows_geom(const edge_model *m, const edge_node *n, edge_rows_geom *g)
{
    if (n->code != EDGE_OP_ADD || n->folded || !n->packed || !n->cpu_ok || n->claim >= 0 ||
        n->subgraph != 0 || n->n_in != 2 || n->n_out != 1 || n->in[0] < 0 || n->in[1] < 0 ||
        n->out[0] < 0)
        return false;
    const edge_tensor *o = &m->tensors[n->out[0]], *a = &m->tensors[n->in[0]],
                      *b = &m->tensors[n->in[1]];
    const fast_hdr *h = n->packed;
    if (o->type != EDGE_INT8 || a->type != EDGE_INT8 || b->type != EDGE_INT8 || o->rank != 4 ||
        o->dims[0] != 1 || a->count != o->count || b->count != o->count || a->data || b->data ||
        h->kind != FAST_ADD || h->rows != o->count || !h->a_stride ||
        h->a_stride != (size_t)o->dims[2] * (size_t)o->dims[3])
        return false;
    *g = (edge_rows_geom){.rows = o->dims[1],
                          .in_rows = o->dims[1],
                          .in_row_bytes = (int64_t)o->dims[2] * o->dims[3],
                          .stride = 1,
                          .span = 1,
                          .in = n->in[0],
                          .in2 = n->in[1],
                          .mid = -1,
                          .out = n->out[0]};
    return true;
}

bool edge_fast_rows_geom(const edge_model *m, const edge_node *n, edge_rows_geom *g)
{
    if (n->code == EDGE_OP_ADD)
        return add_rows_geom(m, n, g);
    if ((n->code != EDGE_OP_DEPTHWISE_CONV_2D && n->code != EDGE_OP_CONV_2D) || n->folded ||
        !n->packed || !n->cpu_ok || n->claim >= 0 || n->subgraph != 0 || n->n_in < 1 ||
        n->n_out != 1 || n->in[0] < 0 || n->out[0] < 0)
        return false;
    const edge_dtype type = m->tensors[n->in[0]].type;
    if ((type != EDGE_INT8 && type != EDGE_UINT8) || m->tensors[n->out[0]].type != type)
        return false;
    const bool u8 = type == EDGE_UINT8;
    if (u8 && edge_u8_rows_geom(n, g))
        return true;
    /* an int8 DEPTHWISE_CONV_2D's packed header is fast_ops.c's (op_dwconv.c: int16 and float
     * ones have their own), and so is a uint8 one's on the direct convolution (EDGE_U8_DCONV;
     * not the uint8 paths that flip their tensors around an int8 eval, EDGE_U8_FLIP, whose
     * header has u8 false); its eval is edge_fast_dw_eval or edge_fast_conv_eval, which the rows
     * below repeat. A CONV_2D is a row node on the direct convolution (a first layer) or as a
     * pointwise layer on the GEMM (pointwise_rows). */
    const fast_hdr *h = n->packed;
    if (!u8 && pointwise_rows(n, h)) {
        *g = edge_fast_conv_rows_geom(n, &h->g, 0);
        return true;
    }
    if (h->kind != FAST_DCONV && (h->kind != FAST_DW || n->code != EDGE_OP_DEPTHWISE_CONV_2D))
        return false;
    if (h->u8 != u8 || h->g.batches != 1)
        return false;
    *g = edge_fast_conv_rows_geom(
        n, &h->g, h->kind == FAST_DW && h->g.in_c % h->k->dw.cr == 0 ? 0 : EDGE_ROWS_OVERREAD);
    return true;
}

edge_rows_geom edge_fast_conv_rows_geom(const edge_node *n, const edge_conv_params *k, int32_t over)
{
    const edge_node *last = n->pw ? n->pw : n;
    return (edge_rows_geom){.rows = k->out_h,
                            .in_rows = k->in_h,
                            .in_row_bytes = (int64_t)k->in_w * k->in_c,
                            .stride = k->stride_h,
                            .pad = k->pad_h,
                            .span = (k->k_h - 1) * k->dil_h + 1,
                            .over = over,
                            .in = n->in[0],
                            .in2 = -1,
                            .mid = n->pw ? n->out[0] : -1,
                            .out = last->out_lut ? last->lut_out : last->out[0]};
}

void edge_fast_rows(const edge_node *n, void *const *t, size_t r0, size_t r1)
{
    if (edge_u8_rows(n, t, r0, r1))
        return;
    const fast_hdr *h = n->packed;
    if (h->kind == FAST_ADD) { /* add_rows_geom: image rows of a_stride elements */
        const size_t row = h->a_stride, i0 = r0 * row;
        const int8_t *a = t[n->in[0]], *b = t[n->in[1]];
        h->k->add.fn((r1 - r0) * row, a + i0, b + i0, (int8_t *)t[n->out[0]] + i0, &h->add);
    } else if (h->kind == FAST_GEMM) { /* pointwise_rows: image rows of out_w pixels, GEMM rows each */
        const size_t w = (size_t)h->g.out_w;
        const gemm_job j = {.h = h, .in = t[n->in[0]], .out = node_out(n, t), .lut = n->out_lut};
        gemm_span(&j, r0 * w, r1 * w, 0);
    } else if (h->kind == FAST_DCONV) {
        const dconv_job j = dconv_job_of(n, t, h->rows);
        dconv_rows(&j, r0, r1);
    } else if (n->pw) {
        const dwpw_job f = dwpw_job_of(n, t, h->rows);
        dwpw_rows(&f, r0, r1);
    } else {
        const dw_job j = dw_job_of(n, t, h->rows);
        dw_rows(&j, r0, r1);
    }
}

void edge_fast_rows_px(const edge_node *n, void *const *t, size_t r0, size_t r1, size_t px0,
                       size_t px1)
{
    const dwpw_job f = dwpw_job_of(n, t, ((const fast_hdr *)n->packed)->rows);
    const fast_hdr *p = f.p;
    f.dw.h->k->dw.fn(&f.dw.a, (int32_t)r0, (int32_t)r1);
    gemm_rows(p, f.dw.a.out + px0 * p->a_stride, p->a_stride, px0, px1, f.out);
    fused_rows(f.lut, f.out + px0 * p->n, (px1 - px0) * p->n);
}

/* ---- 3x3 stride-1 CONV_2D: the exact integer Winograd F(2x2, 3x3) (wino.h) ---- */

/* 1 when K goes through the table's Winograd kernel (tasks over tile rows, each thread's
 * transformed inputs in its slice of the node's scratch), 0 when it does not fit, EDGE_ENOMEM.
 * Every 3x3 stride-1 layer it fits: at avx2 it beat the indirect GEMM at every shape measured
 * (5 to 256 input and 1 to 256 output channels, 2x2 to 40x40 pixels: 1.2x to 2.6x); layers of
 * 1 to 4 input channels take the direct path before this. */
static int wino_setup(edge_prep *p, edge_node *n, const edge_conv_params *k)
{
    const edge_kernels *kt = edge_op_kernels(p);
    if (!kt->wino.fn || !edge_qs8_wino_fits(k))
        return 0;
    const size_t bytes = edge_qs8_wino_packed_bytes((size_t)k->in_c, (size_t)k->out_c);
    if (!bytes)
        return 0;
    fast_hdr *h = alloc_hdr(p, n, bytes, kt, FAST_WINO, kt->wino.name);
    if (!h)
        return EDGE_ENOMEM;
    const edge_tensor *bias = edge_op_input(p, n, 2);
    if (!edge_op_packed_done(n))
        edge_qs8_wino_pack((size_t)k->in_c, (size_t)k->out_c, const_data(p, n, 1),
                           bias ? bias->data : NULL, k->mult, k->shift, k->input_offset,
                           n->packed_data);
    h->g = *k;
    h->o = (edge_qs8_out){k->output_offset, k->act_min, k->act_max};
    h->zp_in = (int8_t)(-k->input_offset);
    row_tasks(h, edge_qs8_wino_tile_rows(k), conv_pixels(k), p->m->threads);
    n->scratch_bytes = edge_qs8_wino_scratch_bytes((size_t)k->in_c);
    return 1;
}

typedef struct wino_job {
    const fast_hdr *h;
    size_t chunk;
    edge_qs8_wino_args a;
    uint8_t *scratch;
    size_t scratch_stride;
    const edge_lut8 *lut; /* a fused SiLU's table (node_out) or NULL */
} wino_job;

/* The first output row (of the flattened batches * out_h) of tile row TR. */
static size_t wino_out_row(const edge_conv_params *g, size_t tr)
{
    const size_t th = ((size_t)g->out_h + 1) / 2, y = tr % th * 2;
    return tr / th * (size_t)g->out_h + (y < (size_t)g->out_h ? y : (size_t)g->out_h);
}

static void wino_task(void *ctx, size_t task, unsigned thread)
{
    const wino_job *j = ctx;
    const size_t r0 = task * j->chunk;
    const size_t r1 = r0 + j->chunk < j->h->rows ? r0 + j->chunk : j->h->rows;
    j->h->k->wino.fn(&j->a, r0, r1, j->scratch + (size_t)thread * j->scratch_stride);
    const size_t row = image_row_bytes(&j->h->g), y0 = wino_out_row(&j->h->g, r0);
    fused_rows(j->lut, j->a.out + y0 * row, (wino_out_row(&j->h->g, r1) - y0) * row);
}

static void wino_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const fast_hdr *h = n->packed;
    const split sp = split_of(h, ex);
    const wino_job j = {h,
                        sp.chunk,
                        {&h->g, t[n->in[0]], hdr_data(h), node_out(n, t), h->zp_in, h->o},
                        scratch,
                        edge_op_scratch_stride(n),
                        n->out_lut};
    edge_exec_parallel_as(ex, sp.n_tasks, sp.team_tasks, wino_task, (void *)&j);
}

/* ---- ADD ---- */

/* Elements a task at least. A task of 2048 takes about 0.5 us at avx512vnni, against 0.1-0.2 us
 * to hand it to a thread; with 16384, mobilenet_v2's ADDs of 12544 elements ran alone and those
 * of 18816 and 25088 in unequal halves (16384 and the rest). */
#define ADD_TASK_MIN 2048

int edge_fast_add_prepare(edge_prep *p, edge_node *n, const edge_qs8_add_params *k, size_t count)
{
    const edge_kernels *kt = edge_op_kernels(p);
    if (!kt->add.fn)
        return 0;
    fast_hdr *h = alloc_hdr(p, n, 0, kt, FAST_ADD, kt->add.name);
    if (!h)
        return EDGE_ENOMEM;
    h->add = *k;
    h->rows = count;
    /* the elements of an image row, for the row chains (add_rows_geom): [1, H, W, C] only */
    const edge_tensor *o = edge_op_output(p, n, 0);
    h->a_stride = o->rank == 4 && o->dims[0] == 1 && o->count == count
                      ? (size_t)o->dims[2] * (size_t)o->dims[3]
                      : 0;
    h->chunk = div_up(div_up(count, p->m->threads), 64) * 64;
    if (h->chunk < ADD_TASK_MIN)
        h->chunk = ADD_TASK_MIN;
    h->n_tasks = div_up(count, h->chunk);
    return 1;
}

typedef struct add_job {
    const fast_hdr *h;
    const int8_t *a, *b;
    int8_t *out;
} add_job;

static void add_task(void *ctx, size_t task, unsigned thread)
{
    const add_job *j = ctx;
    const size_t i0 = task * j->h->chunk;
    const size_t cnt = j->h->rows - i0 < j->h->chunk ? j->h->rows - i0 : j->h->chunk;
    j->h->k->add.fn(cnt, j->a + i0, j->b + i0, j->out + i0, &j->h->add);
}

void edge_fast_add_eval(const edge_node *n, void *const *t, edge_exec *ex)
{
    const fast_hdr *h = n->packed;
    add_job j = {h, t[n->in[0]], t[n->in[1]], t[n->out[0]]};
    edge_exec_parallel(ex, h->n_tasks, add_task, &j);
}

/* ---- AVERAGE_POOL_2D ---- */

int edge_fast_avgpool_prepare(edge_prep *p, edge_node *n, const edge_pool_params *k, bool u8)
{
    const edge_kernels *kt = edge_op_kernels(p);
    if (!kt->sum_rows.fn || (u8 && !kt->sum_rows.u8))
        return 0;
    fast_hdr *h =
        alloc_hdr(p, n, 0, kt, FAST_AVGPOOL, u8 ? kt->sum_rows.u8_name : kt->sum_rows.name);
    if (!h)
        return EDGE_ENOMEM;
    h->pool = *k;
    h->u8 = u8;
    h->rows = (size_t)k->batches * (size_t)k->out_h;
    h->chunk = edge__row_chunk(h->rows, p->m->threads, 1, 2);
    h->n_tasks = div_up(h->rows, h->chunk);
    n->scratch_bytes = (size_t)k->channels * sizeof(int32_t);
    return 1;
}

/* AVERAGE_POOL_2D and MEAN: one int32 sum per channel in the thread's scratch. */
typedef struct sum_job {
    const fast_hdr *h;
    const int8_t *in;
    int8_t *out;
    uint8_t *scratch;
    size_t stride;
} sum_job;

/* O[i] = TFLite's rounded division of window sum ACC[i] by CNT > 0 (half away from zero, as
 * ref/pool.c: (acc +- cnt / 2) / cnt), clamped to [LO, HI], for C channels of int8 or uint8
 * sums (|acc| <= 255 cnt). The division is a floating one, truncated, and exact: a quotient n /
 * cnt that is not an integer lies at least 1 / cnt from one, more than half an ulp of it while
 * |n| < 2^24 in float (cnt < 2^16 here), 2^53 in double. The integer division it replaces, with
 * its sign's branch, took 0.43 us of person_detect's 0.48 us average pool (256 channels) at
 * avx512vnni on a Zen 5. */
#define POOL_ROUND(NAME, T)                                                                \
    static EDGE_VECTORIZE_FP void NAME(const int32_t *restrict acc, size_t c, int32_t cnt, \
                                       int32_t lo, int32_t hi, int8_t *restrict o)         \
    {                                                                                      \
        const T d = (T)cnt;                                                                \
        const int32_t half = cnt / 2;                                                      \
        for (size_t i = 0; i < c; i++) {                                                   \
            int32_t q = (int32_t)((T)(acc[i] > 0 ? acc[i] + half : acc[i] - half) / d);    \
            q = q < lo ? lo : q;                                                           \
            o[i] = (int8_t)(q > hi ? hi : q);                                              \
        }                                                                                  \
    }
POOL_ROUND(pool_round_f32, float)
POOL_ROUND(pool_round_f64, double)
#undef POOL_ROUND

/* Output pixel (OY, OX) of image IN_B into O: int8, or uint8 bytes when U8 (their sums are
 * never negative, so the rounding is the uint8 reference's (acc + cnt / 2) / cnt). */
static void pool_pixel(const edge_pool_params *p, const edge_kernels *k, bool u8,
                       const int8_t *in_b, int32_t oy, int32_t ox, int32_t *acc, int8_t *o)
{
    const size_t c = (size_t)p->channels;
    const int32_t ys = oy * p->stride_h - p->pad_h, xs = ox * p->stride_w - p->pad_w;
    const int32_t y0 = ys > 0 ? ys : 0, x0 = xs > 0 ? xs : 0;
    const int32_t y1 = ys + p->k_h < p->in_h ? ys + p->k_h : p->in_h;
    const int32_t x1 = xs + p->k_w < p->in_w ? xs + p->k_w : p->in_w;
    memset(acc, 0, c * sizeof *acc);
    for (int32_t y = y0; y < y1; y++) {
        const int8_t *row = in_b + ((size_t)y * (size_t)p->in_w + (size_t)x0) * c;
        if (u8)
            k->sum_rows.u8((size_t)(x1 - x0), c, (const uint8_t *)row, c, acc);
        else
            k->sum_rows.fn((size_t)(x1 - x0), c, row, c, acc);
    }
    const int32_t cnt = (y1 - y0) * (x1 - x0);
    if (cnt > 0 && cnt < 1 << 16)
        pool_round_f32(acc, c, cnt, p->act_min, p->act_max, o);
    else if (cnt > 0)
        pool_round_f64(acc, c, cnt, p->act_min, p->act_max, o);
    else /* cannot happen (pool.h) */
        for (size_t i = 0; i < c; i++)
            o[i] = (int8_t)edge_clamp32(0, p->act_min, p->act_max);
}

static void pool_task(void *ctx, size_t task, unsigned thread)
{
    const sum_job *j = ctx;
    const fast_hdr *h = j->h;
    const edge_pool_params *p = &h->pool;
    int32_t *acc = (int32_t *)(j->scratch + (size_t)thread * j->stride);
    const size_t r0 = task * h->chunk, r1 = r0 + h->chunk < h->rows ? r0 + h->chunk : h->rows;
    const size_t c = (size_t)p->channels;
    for (size_t r = r0; r < r1; r++) {
        const size_t b = r / (size_t)p->out_h;
        const int32_t oy = (int32_t)(r % (size_t)p->out_h);
        const int8_t *in_b = j->in + b * (size_t)p->in_h * (size_t)p->in_w * c;
        for (int32_t ox = 0; ox < p->out_w; ox++)
            pool_pixel(p, h->k, h->u8, in_b, oy, ox, acc,
                       j->out + (r * (size_t)p->out_w + (size_t)ox) * c);
    }
}

void edge_fast_avgpool_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const fast_hdr *h = n->packed;
    sum_job j = {h, t[n->in[0]], t[n->out[0]], scratch, edge_op_scratch_stride(n)};
    edge_exec_parallel(ex, h->n_tasks, pool_task, &j);
}

/* ---- MEAN over H and W ---- */

/* Channels a part of an image at least (MEAN's tasks: image, part). */
#define MEAN_PART_MIN 256

int edge_fast_mean_prepare(edge_prep *p, edge_node *n, const edge_reduce_params *k)
{
    const edge_kernels *kt = edge_op_kernels(p);
    if (!kt->sum_rows.fn || k->rank != 4 || k->out_stride[1] != 0 || k->out_stride[2] != 0 ||
        k->out_stride[3] != 1 || (k->dims[0] > 1 && k->out_stride[0] != (size_t)k->dims[3]))
        return 0;
    fast_hdr *h = alloc_hdr(p, n, 0, kt, FAST_MEAN, kt->sum_rows.name);
    if (!h)
        return EDGE_ENOMEM;
    h->mean = *k;
    h->rows = (size_t)k->dims[0];
    /* each image's channels in one part a thread (of whole 64s), when there are enough of them:
     * mobilenet_v2's 7x7x1280 took 3.9 us alone */
    const size_t c = (size_t)k->dims[3], parts = c >= 2 * MEAN_PART_MIN ? p->m->threads : 1;
    h->chunk = div_up(div_up(c, parts), 64) * 64;
    h->n_tasks = h->rows * div_up(c, h->chunk);
    if (n->scratch_bytes < (size_t)k->dims[3] * sizeof(int32_t))
        n->scratch_bytes = (size_t)k->dims[3] * sizeof(int32_t);
    return 1;
}

/* Task TASK: image TASK / parts, its channels [c0, c0 + chunk) (the last part: the rest). */
static void mean_task(void *ctx, size_t task, unsigned thread)
{
    const sum_job *j = ctx;
    const edge_reduce_params *p = &j->h->mean;
    const size_t c = (size_t)p->dims[3], hw = (size_t)p->dims[1] * (size_t)p->dims[2];
    const size_t parts = div_up(c, j->h->chunk), b = task / parts;
    const size_t c0 = task % parts * j->h->chunk, cn = c - c0 < j->h->chunk ? c - c0 : j->h->chunk;
    int32_t *acc = (int32_t *)(j->scratch + (size_t)thread * j->stride);
    memset(acc, 0, cn * sizeof *acc);
    j->h->k->sum_rows.fn(hw, cn, j->in + b * hw * c + c0, c, acc);
    for (size_t i = 0; i < cn; i++)
        j->out[b * c + c0 + i] = (int8_t)edge_ref_mean_one_s8(p, acc[i]);
}

void edge_fast_mean_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const fast_hdr *h = n->packed;
    sum_job j = {h, t[n->in[0]], t[n->out[0]], scratch, edge_op_scratch_stride(n)};
    edge_exec_parallel(ex, h->n_tasks, mean_task, &j);
}
