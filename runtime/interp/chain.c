/* runtime/interp/chain.c - row chains: consecutive row layers (depthwise, first-layer direct and
 * pointwise GEMM convolutions, same-shape ADDs: edge_fast_rows_geom) as one parallel loop.
 *
 * Owns: finding the row chains of a model for its intra-op threads (after the pointwise
 * fusion, fuse_pw.c, before the arena plan), their pieces and the pieces each waits for, the
 * lifetimes that let a layer's rows be written while another thread still reads the layer
 * before, the tensors each band but the first keeps in a copy of its own (band_tensor), the
 * rows a band's pieces read of the other bands' (put in the exchange by their writers, piece_push,
 * and copied from there, piece_copy), running a chain on an interpreter's team, and on a team of 2
 * the cut of its rows between the two bands that follows the two threads' paces (its plans,
 * chain_steer), and the cut of a last layer whose rows do not share out evenly by pixels
 * (last_px_w). EDGE_CHAIN_PX=0 in the environment cuts that layer by rows.
 *
 * Why: a team of 2 ran person_detect's 13 depthwise layers (each fused with its pointwise one)
 * as 13 parallel loops; each loop's end is a barrier, a hand-off between CPUs both ways (0.1 to
 * 0.6 us on the VMs measured), and whichever thread was slower in a layer kept the other
 * waiting. A chain is one loop: each thread takes its band of every layer's rows, the rows its
 * neighbours' next layer reads first (the borders), and at the next layer waits only for the
 * neighbours' borders it reads, which are usually done by then. A piece it reads that no thread
 * has begun (its band's thread is behind, or never joined) it runs itself, and a thread that
 * finishes its band takes what is left of the others', so a slower CPU (or one the caller's helper
 * never joins) costs no more than its share. But the even cut held the team to the slower
 * thread's pace, a layer at a time: a host that gives one vCPU 0.7 of the other's speed while
 * both are busy (a Zen 4 VM, in spells of seconds) made person_detect's team 1.26-1.29x one
 * thread instead of 1.78x (avx2). So on 2 threads a chain has 9 plans, band 0 taking 30% to 70%
 * of every layer's rows; every 4th run times each piece's kernel, and the plan the measured
 * paces say is fastest is taken when it would gain 3% (chain_steer; EDGE_CHAIN_STEER=0: the even
 * cut alone).
 *
 * Correct by construction: a piece is claimed by one thread (an exchange) and computed by the
 * same kernel calls a task of those rows makes (backends/cpu/fast_ops.c edge_fast_rows); before
 * it runs, every piece of the layer before whose rows its window reads is done (a flag raised
 * with release, waited on with acquire, runtime/exec.c), or claimed and run first by the same
 * thread. A thread waits only for pieces of lower layers that another thread claimed, each of
 * them running or getting what it reads (lower still), so the waits end. A thread can run a
 * layer ahead of a piece still being computed, but no piece of layer L runs before all of layer
 * L - 2 is done, so a layer's output lives to two layers on (chain_lifetimes; the sum of a chain's
 * tensors is bounded by CHAIN_MAX_BYTES). Bit-exact with the nodes run one by one:
 * tests/unit/test_chain.c compares, with pieces delayed at random, a helper that never joins, and
 * one held in a piece. EDGE_CHAIN=0 in the environment turns chains off. Does not own the kernels
 * or the rows' geometry (fast_ops.c), or the team (runtime/exec.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fast_ops.h"
#include "interp_impl.h"
#include "model.h"
#include "steps.h"

/* Fewer layers gain too little over their own loops to pay the longer lifetimes. */
#define CHAIN_MIN_LAYERS 3
/* The most bytes of tensors a chain keeps alive together (about a core's L2 on the boards). */
#define CHAIN_MAX_BYTES (1u << 20)
/* On 2 threads, the shares of every layer's rows band 0 may take (per mille), one plan each;
 * CHAIN_EVEN_SHARE is the even cut (rows that do not share out evenly lean in turn). */
#define CHAIN_EVEN_SHARE 500u
#define CHAIN_PLANS 9
static const unsigned chain_shares[CHAIN_PLANS] = {300, 350, 400, 450, CHAIN_EVEN_SHARE,
                                                   550, 600, 650, 700};

/* Row node at position POS of M for a chain of THREADS bands (a row a band at least). A
 * depthwise node the team's rule kept apart from the pointwise CONV_2D after it (fuse_pw.c: too
 * few rows a thread, as person_detect's 3x3 layers on 2 threads) is taken as fused with it (*FUSE
 * set): a chain's bands are its own. */
static bool chain_node(const edge_model *m, int32_t pos, unsigned threads, edge_rows_geom *g,
                       bool *fuse)
{
    *fuse = false;
    if (!edge_fast_rows_geom(m, &m->nodes[pos], g) || g->rows < (int32_t)threads)
        return false;
    if (!m->nodes[pos].pw && edge__fuse_pw_fits_one(m, pos)) {
        const edge_node *p = &m->nodes[pos + 1];
        g->mid = g->out;
        g->out = p->out_lut ? p->lut_out : p->out[0];
        *fuse = true;
    }
    return true;
}

static size_t tensor_bytes(const edge_model *m, int32_t t)
{
    return t < 0 ? 0
                 : (m->tensors[t].bytes + EDGE_ARENA_ALIGN - 1) & ~(size_t)(EDGE_ARENA_ALIGN - 1);
}

/* The rows of the layer before that output rows [R0, R1) of geometry G read: [*LO, *HI), with
 * those a kernel's over-read past the last reaches (G->over bytes: a kernel that reads none
 * adds no row, and a band's neighbour then waits for one border row of it, not two, on
 * person_detect's 6x6 layers). */
static void rows_read(const edge_rows_geom *g, int32_t r0, int32_t r1, int32_t *lo, int32_t *hi)
{
    const int64_t over = (g->over + g->in_row_bytes - 1) / g->in_row_bytes;
    const int64_t a = (int64_t)r0 * g->stride - g->pad,
                  b = (int64_t)(r1 - 1) * g->stride - g->pad + g->span + over;
    *lo = a < 0 ? 0 : (int32_t)a;
    *hi = b > g->in_rows ? g->in_rows : (int32_t)b;
    if (*hi < *lo)
        *hi = *lo;
}

/* Where band B of THREADS starts in ROWS rows. Rows that do not share out evenly leave the
 * bands after a cut one row short where LEAN is 0, the bands before it where LEAN is
 * THREADS - 1 (chain_plan alternates it). A plan of another SHARE than the even one (2 threads)
 * gives band 0 that many thousandths of the rows, rounded, and each band a row at least. */
static int32_t band_start(int32_t rows, unsigned b, unsigned threads, unsigned lean, unsigned share)
{
    if (share != CHAIN_EVEN_SHARE && threads == 2 && b == 1) {
        const int32_t r = (int32_t)(((int64_t)rows * share + 500) / 1000);
        return r < 1 ? 1 : r > rows - 1 ? rows - 1 : r;
    }
    return (int32_t)(((int64_t)rows * b + lean) / threads);
}

/* Band B of ROWS rows (LEAN, SHARE: band_start), [A, E), cut into pieces at the rows the other
 * bands of NEXT (the layer after, NULL: none; NEXT_LEAN its lean) read: up to 3 pieces at P, in
 * row order. Returns how many. */
static int band_pieces(int32_t rows, unsigned lean, unsigned b, unsigned threads,
                       const edge_rows_geom *next, unsigned next_lean, unsigned share,
                       edge_chain_piece *p)
{
    const int32_t a = band_start(rows, b, threads, lean, share),
                  e = band_start(rows, b + 1, threads, lean, share);
    int32_t top = a, bottom = e; /* borders [a, top) and [bottom, e) */
    for (unsigned o = 0; next && o < threads; o++) {
        if (o == b)
            continue;
        int32_t lo, hi;
        rows_read(next, band_start(next->rows, o, threads, next_lean, share),
                  band_start(next->rows, o + 1, threads, next_lean, share), &lo, &hi);
        if (lo < a)
            lo = a;
        if (hi > e)
            hi = e;
        if (lo >= hi)
            continue;
        if (o < b && hi > top)
            top = hi;
        if (o > b && lo < bottom)
            bottom = lo;
    }
    if (top > bottom)
        top = bottom = e; /* borders that meet: the whole band is one */
    const int32_t cut[4] = {a, top, bottom, e};
    int n = 0;
    for (int k = 0; k < 3; k++)
        if (cut[k + 1] > cut[k])
            p[n++] = (edge_chain_piece){
                .r0 = cut[k], .r1 = cut[k + 1], .band = (uint8_t)b, .border = k != 1};
    return n;
}

/* Band B of THREADS of a layer of ROWS rows of W pixels cut by pixels (LEAN, SHARE: band_start,
 * over the pixels): one piece, the rows its pixels lie in. Returns 1. */
static int px_pieces(int32_t rows, int32_t w, unsigned lean, unsigned b, unsigned threads,
                     unsigned share, edge_chain_piece *p)
{
    const int32_t all = rows * w, a = band_start(all, b, threads, lean, share),
                  e = band_start(all, b + 1, threads, lean, share);
    *p = (edge_chain_piece){
        .r0 = a / w, .r1 = (e + w - 1) / w, .px0 = a, .px1 = e, .band = (uint8_t)b};
    return 1;
}

/* Which of a layer's pieces PL->pieces[Q0, Q1) copies which other bands' rows it reads
 * (piece_copy): a band's pieces lie in row order, and so do the pieces of the layer before that
 * each reads ([dep0, dep1)); a piece copies those no piece of its band before it reads, and
 * needs first (AFTER) the one before it if that one, or one before that, copies some it reads.
 * So each row is copied into a band's copy once a run, by one piece, and a piece waits only for
 * a piece of its band before it, whose own waits are for pieces before that or of lower layers. */
static void copies_plan(edge_chain_plan *pl, int32_t q0, int32_t q1)
{
    for (int32_t q = q0; q < q1; q++) {
        edge_chain_piece *p = &pl->pieces[q];
        const edge_chain_piece *prev = q > q0 && pl->pieces[q - 1].band == p->band ? p - 1 : NULL;
        p->copy0 = prev && prev->dep1 > p->dep0 ? prev->dep1 : p->dep0;
        p->after = -1;
        for (int32_t d = p->dep0; prev && d < p->copy0 && d < p->dep1; d++)
            if (pl->pieces[d].band != p->band)
                p->after = q - 1;
    }
}

/* Chain C's layers (their geometries G) cut into pieces for plan P (its share set), with the
 * pieces each waits for. */
static int chain_plan(const edge_chain *c, const edge_rows_geom *g, edge_chain_plan *pl)
{
    const unsigned t = c->threads, share = pl->share;
    pl->pieces = calloc((size_t)c->n_layers * 3 * t, sizeof *pl->pieces);
    pl->first = calloc((size_t)c->n_layers + 1, sizeof *pl->first);
    pl->last = calloc(t, sizeof *pl->last);
    pl->rows0 = calloc((size_t)c->n_layers, sizeof *pl->rows0);
    if (!pl->pieces || !pl->first || !pl->last || !pl->rows0)
        return EDGE_ENOMEM;
    /* The layers whose rows do not share out evenly lean one way and the other in turn. On 2
     * threads, person_detect's last two layers (3 rows each) gave the second band 2 rows in both,
     * and the first thread ended about 0.9 us before the other; leaning in turn, its team ran
     * 0.25 us faster an invoke at the median (bench/README.md, round thirty-one). */
    unsigned *lean = calloc((size_t)c->n_layers + 1, sizeof *lean);
    if (!lean)
        return EDGE_ENOMEM;
    for (int32_t i = 0, uneven = 0; i < c->n_layers; i++)
        if (g[i].rows % (int32_t)t)
            lean[i] = uneven++ % 2 ? t - 1 : 0;
    int32_t n = 0;
    for (int32_t i = 0; i < c->n_layers; i++) {
        pl->first[i] = n;
        const int32_t w = c->layers[i].px_w;
        /* a layer cut by pixels: band 0's pixels, the units chain_steer counts it in */
        pl->rows0[i] = w ? band_start(g[i].rows * w, 1, t, lean[i], share)
                         : band_start(g[i].rows, 1, t, lean[i], share);
        for (unsigned b = 0; b < t; b++)
            n += w ? px_pieces(g[i].rows, w, lean[i], b, t, share, &pl->pieces[n])
                   : band_pieces(g[i].rows, lean[i], b, t, i + 1 < c->n_layers ? &g[i + 1] : NULL,
                                 lean[i + 1], share, &pl->pieces[n]);
        for (int32_t q = pl->first[i]; q < n; q++)
            pl->pieces[q].layer = i;
        if (i == 0)
            continue;
        for (int32_t q = pl->first[i]; q < n; q++) {
            edge_chain_piece *p = &pl->pieces[q];
            int32_t lo, hi;
            rows_read(&g[i], p->r0, p->r1, &lo, &hi);
            p->dep0 = p->dep1 = pl->first[i - 1];
            for (int32_t d = pl->first[i - 1]; d < pl->first[i]; d++) {
                const edge_chain_piece *r = &pl->pieces[d];
                if (r->r1 <= lo || r->r0 >= hi)
                    continue;
                if (p->dep1 == p->dep0)
                    p->dep0 = d;
                p->dep1 = d + 1;
            }
        }
    }
    free(lean);
    pl->n_pieces = pl->first[c->n_layers] = n;
    for (int32_t i = 0; i < c->n_layers; i++)
        copies_plan(pl, pl->first[i], pl->first[i + 1]);
    /* each piece that a piece of another band reads: its rows' place in the exchange */
    for (int32_t q = 0; q < n; q++)
        pl->pieces[q].xoff = -1;
    size_t x = 0;
    for (int32_t i = 1; i < c->n_layers; i++)
        for (int32_t q = pl->first[i]; q < pl->first[i + 1]; q++)
            for (int32_t d = pl->pieces[q].dep0; d < pl->pieces[q].dep1; d++) {
                edge_chain_piece *r = &pl->pieces[d];
                if (r->band == pl->pieces[q].band || r->xoff >= 0)
                    continue;
                if (x > INT32_MAX)
                    return EDGE_ENOMEM;
                r->xoff = (int32_t)x;
                x += ((size_t)(r->r1 - r->r0) * (size_t)g[i].in_row_bytes + 63) & ~(size_t)63;
            }
    pl->xch_bytes = x;
    for (unsigned b = 0; b < t; b++) /* its last layer's last piece of the band, borders first */
        for (int border = 1; border >= 0; border--)
            for (int32_t q = pl->first[c->n_layers - 1]; q < n; q++)
                if (pl->pieces[q].band == b && pl->pieces[q].border == (bool)border)
                    pl->last[b] = q;
    return 0;
}

/* Chain C's plans (its geometries G): on 2 threads one per share of chain_shares where STEER
 * (EDGE_CHAIN_STEER=0 in the environment: not), else the even cut alone; C's own pieces, last and
 * layers' first and n are the even plan's. */
static int chain_plans(edge_chain *c, const edge_rows_geom *g, bool steer)
{
    c->n_plans = steer && c->threads == 2 ? CHAIN_PLANS : 1;
    if (!(c->plans = calloc((size_t)c->n_plans, sizeof *c->plans)))
        return EDGE_ENOMEM;
    for (int32_t k = 0; k < c->n_plans; k++) {
        c->plans[k].share = c->n_plans > 1 ? chain_shares[k] : CHAIN_EVEN_SHARE;
        if (c->plans[k].share == CHAIN_EVEN_SHARE)
            c->even = k;
        const int rc = chain_plan(c, g, &c->plans[k]);
        if (rc)
            return rc;
    }
    const edge_chain_plan *e = &c->plans[c->even];
    c->n_pieces = e->n_pieces;
    c->pieces = e->pieces;
    c->last = e->last;
    for (int32_t i = 0; i < c->n_layers; i++) {
        c->layers[i].first = e->first[i];
        c->layers[i].n = e->first[i + 1] - e->first[i];
    }
    return 0;
}

static void chain_plans_free(edge_chain *c)
{
    for (int32_t k = 0; c->plans && k < c->n_plans; k++) {
        free(c->plans[k].pieces);
        free(c->plans[k].first);
        free(c->plans[k].last);
        free(c->plans[k].rows0);
    }
    free(c->plans);
    c->plans = NULL;
    c->pieces = NULL;
    c->last = NULL;
}

/* The lifetimes of chain C's tensors (layer i's geometry G[i]): its output (the next layer's
 * input) lives to layer i + 2's last node, its depthwise output (fused) to layer i + 1's, the
 * chain's input to layer 1's; a piece of layer L runs only once every piece of layer L - 2 is
 * done (piece_run). So a tensor the plan lays over another is written by a layer at least two
 * after every layer that reads the other, all of whose pieces are done by then; and a thread
 * can run a layer ahead of the other, as before. Before, every tensor lived from the chain's head
 * to its last layer: person_detect's arena on 2 threads was 240768 bytes, now 101376 (73 KB on
 * one thread), and after a 10 ms sleep its 2-thread invoke, which reads it back from memory, took
 * 1.10-1.13x as long (bench/README.md, round twenty-nine). */
static void chain_lifetimes(edge_model *m, const edge_chain *c, const edge_rows_geom *g)
{
    const int32_t n = c->n_layers;
    for (int32_t i = 0; i < n; i++) {
        /* an ADD's other input is read at layer i as its window's is: it lives to layer i + 1 */
        const int32_t ts[4] = {g[i].in, g[i].mid, g[i].out, g[i].in2},
                      upto[4] = {i + 1, i + 1, i + 2, i + 1};
        for (int k = 0; k < 4; k++) {
            if (ts[k] < 0)
                continue;
            const int32_t node = c->layers[upto[k] < n ? upto[k] : n - 1].node;
            const int32_t last = m->nodes[node].pw ? node + 1 : node; /* a fused pair's last */
            edge_tensor *x = &m->tensors[ts[k]];
            if (x->last_use < last)
                x->last_use = last;
        }
    }
}

/* Whether layer N's other input (an ADD's, H->in2) is one a piece can have whole: none, its
 * window's, a tensor written before the chain (from head HEAD), or an earlier layer's output
 * other than the layer before's (whose rows the window's waits cover) or a fused depthwise
 * output (which lives only for its layer). piece_run waits for every piece of that layer. */
static bool other_input_ready(const edge_model *m, int32_t head, const edge_rows_geom *g, int32_t n,
                              const edge_rows_geom *h)
{
    if (h->in2 < 0 || h->in2 == h->in || m->tensors[h->in2].producer < head)
        return true;
    for (int32_t k = 0; k + 1 < n; k++)
        if (g[k].out == h->in2)
            return true;
    return false;
}

/* The layer of chain G (N layers) writing IN2, or -1 (none: written before the chain). */
static int32_t in2_layer(const edge_rows_geom *g, int32_t n, int32_t in2)
{
    for (int32_t k = 0; in2 >= 0 && k < n; k++)
        if (g[k].out == in2)
            return k;
    return -1;
}

/* Whether tensor X (-1: none), which a layer of chain C (geometries G) writes, is read by no
 * node outside C's positions and is no model output: then each band but the first writes it in a
 * copy of its own (model.h edge_tensor band). An ADD's other input is left in the arena (its rows
 * are read by the ADD and by the layer after the one writing it: both would copy them). */
static bool band_tensor(const edge_model *m, const edge_chain *c, const edge_rows_geom *g,
                        int32_t x)
{
    if (x < 0)
        return false;
    const edge_tensor *t = &m->tensors[x];
    if (t->is_output || t->is_input || t->data || t->variable || t->is_resource ||
        t->last_use >= c->end)
        return false;
    for (int32_t i = 0; i < c->n_layers; i++)
        if (g[i].in2 == x)
            return false;
    for (int32_t pos = 0; pos < m->n_nodes; pos++)
        for (int k = 0; (pos < c->head || pos >= c->end) && k < m->nodes[pos].n_in; k++)
            if (m->nodes[pos].in[k] == x)
                return false;
    return true;
}

/* Chain C's band tensors (band_tensor): its fused depthwise outputs, and its layers' outputs but
 * the last's, which the nodes after it read. */
static void chain_bands(edge_model *m, const edge_chain *c, const edge_rows_geom *g)
{
    for (int32_t i = 0; i < c->n_layers; i++) {
        if (band_tensor(m, c, g, g[i].mid))
            m->tensors[g[i].mid].band = true;
        if (i + 1 < c->n_layers && band_tensor(m, c, g, g[i].out))
            m->tensors[g[i].out].band = true;
    }
}

/* Whether chain C's last layer (geometries G, N layers; at position POS, FUSE[N - 1]: a fused
 * pair) is cut between the bands by pixels (px_pieces), and then its pixels a row, else 0: an int8
 * depthwise layer fused with its pointwise one whose rows do not share out evenly, its depthwise
 * output a band tensor (each band computes the depthwise rows its pixels lie in, a row two bands
 * share into each one's own copy). On 2 threads person_detect's last two layers have 3 rows each
 * (6x6 -> 3x3, then 3x3): by rows one band took 2 rows of the last and ran 6.0 us where the other
 * ran 3.3 (avx2), the invoke's path through the two layers 9-10 us where an even split of their
 * 15.3 would take 7.7; by pixels the last one splits 5 and 4 of its 9. The layer before stays cut
 * by rows: its rows are read by the next layer's, whose pieces wait for the rows they read. A/B
 * in one process (bench/README.md, round seventy-one): 1.005-1.009x at avx2 on a Zen 5 VM. */
static int32_t last_px_w(const edge_model *m, const edge_chain *c, const edge_rows_geom *g,
                         const bool *fuse, int32_t pos)
{
    const int32_t n = c->n_layers;
    const char *env = getenv("EDGE_CHAIN_PX");
    if ((env && !strcmp(env, "0")) || !fuse[n - 1] || g[n - 1].rows % (int32_t)c->threads == 0 ||
        m->tensors[g[n - 1].mid].type != EDGE_INT8 || !band_tensor(m, c, g, g[n - 1].mid))
        return 0;
    const edge_tensor *o = &m->tensors[g[n - 1].mid];
    const int32_t w = o->rank == 4 ? o->dims[2] : 0;
    return w > 0 && (int64_t)w * g[n - 1].rows <= INT32_MAX && m->nodes[pos].n_out == 1 ? w : 0;
}

/* The chain from row node HEAD (geometry G[0], FUSE[0]) as long as it goes; its layers'
 * positions in NODES, geometries in G and pairs to fuse in FUSE. Returns its layer count. */
static int32_t chain_walk(const edge_model *m, int32_t head, unsigned threads, int32_t *nodes,
                          edge_rows_geom *g, bool *fuse)
{
    nodes[0] = head;
    int32_t n = 1;
    size_t bytes = tensor_bytes(m, g[0].in) + tensor_bytes(m, g[0].mid) + tensor_bytes(m, g[0].out);
    for (int32_t pos = head + (fuse[0] ? 2 : 1); pos < m->n_nodes; pos++) {
        if (m->nodes[pos].folded && m->nodes[pos].claim < 0)
            continue; /* nothing to run: a fused pointwise, a folded PAD or SiLU */
        edge_rows_geom h;
        bool f;
        if (!chain_node(m, pos, threads, &h, &f))
            break;
        if (h.in2 >= 0 && h.in != g[n - 1].out && h.in2 == g[n - 1].out) {
            const int32_t x = h.in; /* an ADD: the layer before's output is its window's */
            h.in = h.in2;
            h.in2 = x;
        }
        if (h.in != g[n - 1].out || h.in_rows != g[n - 1].rows ||
            !other_input_ready(m, head, g, n, &h))
            break;
        bytes += tensor_bytes(m, h.mid) + tensor_bytes(m, h.out);
        if (bytes > CHAIN_MAX_BYTES)
            break;
        nodes[n] = pos;
        fuse[n] = f;
        g[n++] = h;
        if (f)
            pos++; /* its pointwise node */
    }
    return n;
}

int edge__chain_build(edge_model *m, edge_error *err)
{
    const char *env = getenv("EDGE_CHAIN"), *steer_env = getenv("EDGE_CHAIN_STEER");
    const bool steer = !(steer_env && !strcmp(steer_env, "0"));
    const unsigned threads = m->threads;
    for (int32_t i = 0; i < m->n_tensors; i++)
        m->tensors[i].band = false;
    if ((env && !strcmp(env, "0")) || threads < 2 || threads > 255 || m->n_nodes < CHAIN_MIN_LAYERS)
        return 0;
    int32_t *nodes = malloc((size_t)m->n_nodes * sizeof *nodes);
    edge_rows_geom *g = malloc((size_t)m->n_nodes * sizeof *g);
    bool *fuse = malloc((size_t)m->n_nodes * sizeof *fuse);
    int rc = nodes && g && fuse ? 0 : EDGE_ENOMEM;
    for (int32_t pos = 0; !rc && pos < m->n_nodes; pos++) {
        if (!chain_node(m, pos, threads, &g[0], &fuse[0]))
            continue;
        const int32_t n = chain_walk(m, pos, threads, nodes, g, fuse);
        if (n < CHAIN_MIN_LAYERS)
            continue;
        edge_chain *grown = realloc(m->chains, ((size_t)m->n_chains + 1) * sizeof *grown);
        if (!grown) {
            rc = EDGE_ENOMEM;
            break;
        }
        m->chains = grown;
        edge_chain *c = &m->chains[m->n_chains];
        *c = (edge_chain){.head = pos,
                          .end = nodes[n - 1] + (fuse[n - 1] ? 2 : 1),
                          .threads = threads,
                          .n_layers = n};
        if ((c->layers = calloc((size_t)n, sizeof *c->layers)))
            c->layers[n - 1].px_w = last_px_w(m, c, g, fuse, nodes[n - 1]);
        if (!c->layers || chain_plans(c, g, steer)) {
            chain_plans_free(c);
            free(c->layers);
            rc = EDGE_ENOMEM;
            break;
        }
        for (int32_t i = 0; i < n; i++) {
            c->layers[i].node = nodes[i];
            c->layers[i].in = g[i].in;
            c->layers[i].in_row_bytes = g[i].in_row_bytes;
            c->layers[i].in2_layer = g[i].in2 == g[i].in ? -1 : in2_layer(g, i, g[i].in2);
            if (fuse[i])
                edge__fuse_pw_pair(m, nodes[i]);
        }
        m->n_chains++;
        m->nodes[pos].chain = m->n_chains;
        for (int32_t k = 0; k < c->n_plans; k++) {
            if (c->plans[k].n_pieces > m->chain_pieces)
                m->chain_pieces = c->plans[k].n_pieces;
            if (c->plans[k].xch_bytes > m->chain_xch_bytes)
                m->chain_xch_bytes = c->plans[k].xch_bytes;
        }
        chain_lifetimes(m, c, g);
        chain_bands(m, c, g);
        pos = c->end - 1;
    }
    free(nodes);
    free(g);
    free(fuse);
    return rc ? edge__seterr(err, rc, "out of memory planning the row chains") : 0;
}

int32_t edge__chain_count(const edge_model *m, int32_t *layers)
{
    *layers = 0;
    for (int32_t i = 0; i < m->n_chains; i++)
        *layers += m->chains[i].n_layers;
    return m->n_chains;
}

void edge__chain_free(edge_model *m)
{
    for (int32_t i = 0; i < m->n_chains; i++) {
        chain_plans_free(&m->chains[i]);
        free(m->chains[i].layers);
    }
    free(m->chains);
    m->chains = NULL;
    m->n_chains = m->chain_pieces = 0;
    m->chain_xch_bytes = 0;
}

/* ---- running one ---- */

/* A pair of cache lines of its own: a piece's claim (the generation of the run that claimed it)
 * or its flag (exec.h, with that generation). A line of its own was not enough: a CPU's
 * adjacent-line prefetcher fetches the other line of an aligned 128-byte pair with the one it
 * misses, and the pieces of a layer lie band after band, so one thread's claims and flags drew in
 * the other's next to them, each then a round trip to take back. 128 bytes: person_detect's team,
 * forced, 4.6-5% faster an invoke at avx512vnni, 1% at avx2, mobilenet_v2 1-2% (a Zen 5 VM whose
 * vCPUs sat 440-470 ns apart; bench/README.md, round sixty-seven). */
typedef struct chain_line {
    _Alignas(128) atomic_uint v;
} chain_line;

/* A thread's kernel time and rows in one layer of a timed run (chain_steer, a profiled run). */
typedef struct chain_acc {
    uint64_t ticks, rows;
} chain_acc;

/* Which plan a chain runs, on one interpreter: its helper's pace against its caller's, measured
 * (RHO, a running mean), and its runs (every CHAIN_TIME_EVERY-th is timed). */
typedef struct chain_pace {
    double rho;
    unsigned plan, runs;
} chain_pace;

/* Every CHAIN_TIME_EVERY-th run of a chain on 2 threads is timed, piece by piece; each timed
 * run's pace, held within CHAIN_PACE_STEP times or over the mean (one run whose helper the host
 * stopped a while moves it little) and within [CHAIN_PACE_MIN, 1 / CHAIN_PACE_MIN], weighs
 * 1 / CHAIN_PACE_WEIGHT in the running mean; a plan is changed for one that would be
 * CHAIN_STEER_GAIN faster. */
#define CHAIN_TIME_EVERY 4u
#define CHAIN_PACE_MIN 0.25
#define CHAIN_PACE_WEIGHT 4.0
#define CHAIN_PACE_STEP 1.25
#define CHAIN_STEER_GAIN 0.03

/* An interpreter's: each chain's pace (PACE, n_chains), its threads' times in a timed run (ACC:
 * thread T's at ACC[T * ACC_LAYERS], a layer each of the longest chain; thread 0 the caller's,
 * ACC_THREADS of them, the team's, each on lines of its own), then N pieces' claims, then their
 * flags. Neither claims nor flags are reset between runs (each run is a generation of
 * its own): the caller zeroing them before each run left every line in its cache, and a helper's
 * claim of each of its pieces then waited for a round trip between the CPUs (64 to 254 ns on a
 * Zen 4 VM whose host moves its vCPUs). One block: the interpreter frees it with free(). */
struct edge_chain_words {
    _Alignas(64) unsigned gen; /* the last run's generation (the caller's: one runs at a time) */
    chain_pace *pace;
    chain_acc *acc;
    int32_t acc_layers;
    unsigned acc_threads;
    void **tabs; /* band B's tensors (B >= 1) at TABS[(B - 1) * N_TABS]: its copies' for band
                  * tensors, the interpreter's for the rest; NULL: no band tensors */
    int32_t n_tabs;
    uint8_t *xch; /* the exchange (piece_push), after the copies; NULL when TABS is */
    chain_line line[];
};

/* N bytes rounded up to whole pairs of cache lines (chain_line): each thread's times apart. */
static size_t round128(size_t n)
{
    return (n + 127) & ~(size_t)127;
}

edge_chain_words *edge__chain_words_new(const edge_model *m, void *const *t)
{
    if (!m->chain_pieces)
        return NULL;
    int32_t layers = 0;
    for (int32_t i = 0; i < m->n_chains; i++)
        if (m->chains[i].n_layers > layers)
            layers = m->chains[i].n_layers;
    const unsigned threads = m->chains[0].threads; /* every chain's: the team's */
    const size_t lines =
                     sizeof(edge_chain_words) + 2 * (size_t)m->chain_pieces * sizeof(chain_line),
                 acc = round128((size_t)layers * sizeof(chain_acc)) * threads,
                 pace = round128((size_t)m->n_chains * sizeof(chain_pace));
    const size_t copies = edge_band_copies_bytes(m),
                 tabs = copies ? (size_t)(threads - 1) * (size_t)m->n_tensors * sizeof(void *) : 0,
                 head = (lines + acc + pace + tabs + 4095) & ~(size_t)4095, all = head + copies;
    edge_chain_words *w = aligned_alloc(4096, all);
    if (!w)
        return NULL;
    /* generation 0, unused: the first run's is 1; every byte of the copies (a kernel reads on
     * past a row into the next bytes, values it does not use), not the gaps between them */
    memset(w, 0, head);
    if (copies) {
        w->tabs = (void **)((char *)w + lines + acc + pace);
        w->n_tabs = m->n_tensors;
        w->xch = (uint8_t *)w + head + EDGE_SCRATCH_GAP_MAX +
                 (size_t)(threads - 1) * edge_band_stride(m);
        memset(w->xch, 0, m->chain_xch_bytes);
        for (unsigned b = 1; b < threads; b++) {
            void **tb = w->tabs + (size_t)(b - 1) * (size_t)m->n_tensors;
            uint8_t *copy =
                (uint8_t *)w + head + EDGE_SCRATCH_GAP_MAX + (size_t)(b - 1) * edge_band_stride(m);
            memset(copy, 0, m->band_bytes);
            for (int32_t i = 0; i < m->n_tensors; i++)
                tb[i] = m->tensors[i].band && m->tensors[i].in_arena
                            ? copy + m->tensors[i].band_offset
                            : t[i];
        }
    }
    w->acc = (chain_acc *)((char *)w + lines);
    w->acc_layers = (int32_t)(round128((size_t)layers * sizeof(chain_acc)) / sizeof(chain_acc));
    w->acc_threads = threads;
    w->pace = (chain_pace *)((char *)w + lines + acc);
    for (int32_t i = 0; i < m->n_chains; i++)
        w->pace[i] = (chain_pace){.rho = 1.0, .plan = (unsigned)m->chains[i].even};
    return w;
}

/* Test hooks (edge__chain_piece_hook, edge__chain_plan_hook): called before each piece runs;
 * the plan every chain runs (-1: its pace's). */
static void (*_Atomic piece_hook)(unsigned thread, int32_t piece);
static atomic_int plan_hook = -1;

void edge__chain_piece_hook(void (*fn)(unsigned thread, int32_t piece))
{
    atomic_store(&piece_hook, fn);
}

void edge__chain_plan_hook(int plan)
{
    atomic_store(&plan_hook, plan);
}

unsigned edge__chain_share(const edge_model *m, const edge_chain_words *w, int32_t chain)
{
    const edge_chain *c = &m->chains[chain];
    return c->plans[w->pace[chain].plan < (unsigned)c->n_plans ? w->pace[chain].plan : 0].share;
}

typedef struct chain_job {
    const edge_model *m;
    const edge_chain *c;
    const edge_chain_plan *p; /* the plan of this run */
    void *const *t;
    chain_line *claim, *done; /* piece Q's: claim[Q], done[Q] */
    unsigned gen;
    chain_acc *acc; /* a timed run: thread T's kernel times by layer at ACC[T * ACC_LAYERS]; else
                     * NULL */
    int32_t acc_layers;
    unsigned acc_threads;
    void *const *tabs; /* the words' TABS, N_TABS and XCH */
    int32_t n_tabs;
    uint8_t *xch;
} chain_job;

/* The tensors band B's pieces read and write: band 0's are T, another band's its own copies of
 * the band tensors and T's for the rest. */
static void *const *band_tensors(const chain_job *j, unsigned b)
{
    return b && j->tabs ? j->tabs + (size_t)(b - 1) * (size_t)j->n_tabs : j->t;
}

static void piece_run(const chain_job *j, int32_t q, unsigned thread);

/* The rows piece D writes, which a piece about to run reads: done, or run here when no thread
 * has begun it (its band's thread is behind, or never came), else waited for. */
static void piece_need(const chain_job *j, int32_t d, unsigned thread)
{
    if (edge_exec_flag_up(&j->done[d].v, j->gen))
        return;
    piece_run(j, d, thread);
    edge_exec_flag_wait(&j->done[d].v, j->gen);
}

/* The rows of the other bands that piece P reads, asked for all at once before its kernel reads
 * them in order: another CPU wrote them, and on a VM whose host put the two vCPUs on different
 * core complexes (a cache line's round trip 330-400 ns against 70-110 ns, the placement changing
 * every few seconds) each line the kernel missed cost a round trip in turn. person_detect's team
 * ran at 36.8 us against 39.0 us so on a Zen 5 VM (23 rounds in that placement, in one process);
 * in the near placement no change (bench/README.md, round thirty). A hint: nothing waits for it. */
static void prefetch_borders(const chain_job *j, const edge_chain_piece *p)
{
    const edge_chain_layer *l = &j->c->layers[p->layer];
    for (int32_t d = p->dep0; d < p->dep1; d++) {
        const edge_chain_piece *r = &j->p->pieces[d];
        if (r->band == p->band)
            continue;
        const char *row = (const char *)j->t[l->in] + (size_t)r->r0 * (size_t)l->in_row_bytes;
        const size_t bytes = (size_t)(r->r1 - r->r0) * (size_t)l->in_row_bytes;
        for (size_t o = 0; o < bytes; o += 64)
            __builtin_prefetch(row + o);
    }
}

/* Piece P's input rows that pieces of other bands wrote, those of [copy0, dep1) (copies_plan),
 * copied from their bands' copies into its band's, when its input is a band tensor (and they
 * are done): the kernel then reads only rows in its band's copy. Its kernel read them in place
 * before, in the lines the other CPU wrote, and every band wrote and read its rows in the one
 * arena: on a Zen 5 VM whose two vCPUs sat on different core complexes (a line's round trip
 * 410-520 ns), person_detect's team ran its interior pieces (no other band's rows read) 1.45-1.6x
 * as long as one thread running the same pieces, and with no waits at all (wrong answers, timing
 * only) still 1.3-1.5x; with a private arena for the helper, 1.03-1.07x. With these copies the
 * interior pieces take 1.1-1.3x, the team's kernels 34-36 us a thread an invoke instead of 43-45
 * (avx512vnni; avx2 80-81 instead of 88-90), and its invoke 1.17x one thread's instead of 1.07x
 * (avx2 1.59-1.61x instead of 1.52-1.53x). At the near placement (125-138 ns) the copies cost
 * about what they save (bench/README.md, round sixty-six). They copy from the exchange, where the
 * writer put them (piece_push), not from its band's copy. */
static void piece_copy(const chain_job *j, const edge_chain_piece *p)
{
    const edge_chain_layer *l = &j->c->layers[p->layer];
    void *const *to = band_tensors(j, p->band);
    for (int32_t d = p->copy0; d < p->dep1; d++) {
        const edge_chain_piece *r = &j->p->pieces[d];
        if (r->band == p->band)
            continue;
        const size_t at = (size_t)r->r0 * (size_t)l->in_row_bytes,
                     bytes = (size_t)(r->r1 - r->r0) * (size_t)l->in_row_bytes;
        memcpy((char *)to[l->in] + at, j->xch + r->xoff, bytes);
    }
}

/* Piece P's rows, once its kernel has written them into its band's copy, put in the exchange at
 * P->xoff as well when pieces of other bands read them (and its output is a band tensor: they
 * copy them from there, piece_copy). So no thread reads a line of a band's copy that another
 * wrote, and no kernel writes a line another CPU holds: the exchange's lines cross between the
 * CPUs in these short copies, where the stores wait in the store buffer while the kernels go on.
 * Before, a piece copied those rows from the writer's band copy, and every line so read was then
 * in both CPUs' caches until the writer's kernel wrote it again (the tensor's next run, or a tensor
 * laid over it) and waited for the other CPU to drop it: on a Zen 5 VM whose vCPUs sat on
 * different core complexes (a line's round trip 400-490 ns) person_detect's team spent 5-7 us
 * more a thread an invoke in its kernels than with those rows read from its own copy (wrong
 * answers, timing only). Through the exchange it ran 1.67x one thread at avx2 where it ran 1.58x,
 * 1.23x at avx512vnni where 1.15x (medians of about 200 runs each); at the near placement (about
 * 110 ns) 1.81x and 1.62x where 1.80x and 1.63x (bench/README.md, round sixty-nine). Writing
 * the exchange with non-temporal stores gained as much far and lost 3-11% near: the rows then
 * came from memory, not from the L3 the two cores share. */
static void piece_push(const chain_job *j, const edge_chain_piece *p)
{
    if (p->xoff < 0 || !j->tabs || p->layer + 1 >= j->c->n_layers)
        return;
    const edge_chain_layer *l = &j->c->layers[p->layer + 1];
    if (!j->m->tensors[l->in].band)
        return;
    const size_t at = (size_t)p->r0 * (size_t)l->in_row_bytes;
    memcpy(j->xch + p->xoff, (const char *)band_tensors(j, p->band)[l->in] + at,
           (size_t)(p->r1 - p->r0) * (size_t)l->in_row_bytes);
}

/* Every piece of layer L, needed (piece_need) before a piece runs. */
static void layer_need(const chain_job *j, int32_t l, unsigned thread)
{
    for (int32_t d = j->p->first[l]; d < j->p->first[l + 1]; d++)
        piece_need(j, d, thread);
}

/* Thread THREAD's record of layer L in a timed run of J, else NULL. */
static chain_acc *acc_of(const chain_job *j, unsigned thread, int32_t l)
{
    return j->acc && thread < j->acc_threads
               ? &j->acc[(size_t)thread * (size_t)j->acc_layers + (size_t)l]
               : NULL;
}

/* Piece Q, if no thread has claimed it in this run: claim it, get what it reads, run it. A
 * thread waits only for pieces of lower layers, each claimed by a thread running it or getting
 * what it reads (lower still), so every wait ends. In a timed run each thread counts the ticks of
 * its kernel calls (and of the test hook) and the rows, by layer. */
static void piece_run(const chain_job *j, int32_t q, unsigned thread)
{
    atomic_uint *claim = &j->claim[q].v;
    if (atomic_load_explicit(claim, memory_order_relaxed) == j->gen ||
        atomic_exchange_explicit(claim, j->gen, memory_order_relaxed) == j->gen)
        return;
    const edge_chain_piece *p = &j->p->pieces[q];
    if (p->layer >= 2) /* what it writes may lie over what layer L - 1 read: chain_lifetimes */
        layer_need(j, p->layer - 2, thread);
    const int32_t other = j->c->layers[p->layer].in2_layer;
    if (other >= 0) /* an ADD's other input, every row of it (other_input_ready) */
        layer_need(j, other, thread);
    for (int32_t d = p->dep0; d < p->dep1; d++)
        piece_need(j, d, thread);
    if (j->tabs && j->m->tensors[j->c->layers[p->layer].in].band) {
        if (p->after >= 0) /* the piece of its band before it copies some of the rows it reads */
            piece_need(j, p->after, thread);
        piece_copy(j, p);
    } else
        prefetch_borders(j, p);
    chain_acc *acc = acc_of(j, thread, p->layer);
    const uint64_t t0 = acc ? edge_exec_ticks() : 0;
    void (*hook)(unsigned, int32_t) = atomic_load_explicit(&piece_hook, memory_order_relaxed);
    if (hook)
        hook(thread, q);
    const edge_node *n = &j->m->nodes[j->c->layers[p->layer].node];
    if (p->px1 > p->px0)
        edge_fast_rows_px(n, band_tensors(j, p->band), (size_t)p->r0, (size_t)p->r1, (size_t)p->px0,
                          (size_t)p->px1);
    else
        edge_fast_rows(n, band_tensors(j, p->band), (size_t)p->r0, (size_t)p->r1);
    if (acc) {
        acc->ticks += edge_exec_ticks() - t0;
        acc->rows += (uint64_t)(p->px1 > p->px0 ? p->px1 - p->px0 : p->r1 - p->r0);
    }
    piece_push(j, p);
    edge_exec_flag_raise(&j->done[q].v, j->gen);
}

/* Band B's pieces of layer L that no thread has begun, in the order its thread runs them: the
 * borders (which the other bands' next layer reads) first. */
static void band_run(const chain_job *j, int32_t l, unsigned b, unsigned thread)
{
    for (int border = 1; border >= 0; border--)
        for (int32_t q = j->p->first[l]; q < j->p->first[l + 1]; q++)
            if (j->p->pieces[q].band == b && j->p->pieces[q].border == (bool)border)
                piece_run(j, q, thread);
}

/* Worker TASK: band TASK, every layer in turn, taking on the way the other bands' pieces it
 * reads that no thread has begun; then whatever of the other bands no thread has begun. The
 * other bands' claims are read only there: a line the other thread wrote costs a round trip to
 * read, and a line read costs it one to write next run. A band's last piece claimed says all of
 * it is (its thread claims in order; the others take only pieces before it or that one). */
static void chain_task(void *ctx, size_t task, unsigned thread)
{
    const chain_job *j = ctx;
    const edge_chain *c = j->c;
    for (int32_t i = 0; i < c->n_layers; i++)
        band_run(j, i, (unsigned)task, thread);
    for (unsigned k = 1; k < c->threads; k++) {
        const unsigned b = (unsigned)(task + k) % c->threads;
        if (atomic_load_explicit(&j->claim[j->p->last[b]].v, memory_order_relaxed) == j->gen)
            continue;
        for (int32_t i = 0; i < c->n_layers; i++)
            band_run(j, i, b, thread);
    }
}

/* The whole chain on one thread: each layer's rows in one go, the kernel calls a node run alone
 * makes (its one thread's cut is all its rows); each timed in a timed run. */
static void chain_alone_task(void *ctx, size_t task, unsigned thread)
{
    (void)task;
    const chain_job *j = ctx;
    for (int32_t i = 0; i < j->c->n_layers; i++) {
        const edge_node *n = &j->m->nodes[j->c->layers[i].node];
        const int32_t rows = j->p->pieces[j->p->first[i + 1] - 1].r1;
        chain_acc *acc = acc_of(j, thread, i);
        const uint64_t t0 = acc ? edge_exec_ticks() : 0;
        edge_fast_rows(n, j->t, 0, (size_t)rows);
        if (acc) {
            acc->ticks += edge_exec_ticks() - t0;
            acc->rows += (uint64_t)rows;
        }
    }
}

/* After a timed run of chain C (its threads' times A0, A1): the helper's pace
 * against the caller's (the time its kernels took over what the caller's would have for the same
 * rows of each layer both ran) into PACE's running mean; then each plan's time, were the threads
 * to keep these paces (each layer's rows at the caller's pace as measured, band 1's at the
 * helper's, a layer taking its slower band's time), and the fastest plan taken when it would be
 * CHAIN_STEER_GAIN faster than the plan now. A host that gives the second vCPU less when both are
 * busy (a Zen 4 VM: 1.4x the first's time, in spells of seconds, either alone at full speed) held
 * person_detect's team on the even cut to its helper's pace: 118 us an invoke where one thread
 * took 152 (avx2; bench/README.md, round fifty-seven). */
static void chain_steer(const edge_chain *c, chain_pace *pace, chain_acc *a0, chain_acc *a1)
{
    double helper = 0, caller = 0;
    for (int32_t i = 0; i < c->n_layers; i++)
        if (a0[i].rows && a1[i].rows && a0[i].ticks && a1[i].ticks) {
            helper += (double)a1[i].ticks;
            caller += (double)a0[i].ticks * (double)a1[i].rows / (double)a0[i].rows;
        }
    if (helper > 0 && caller > 0) { /* a run's pace moves the mean by at most a sixteenth */
        const double lo = pace->rho / CHAIN_PACE_STEP, hi = pace->rho * CHAIN_PACE_STEP;
        double rho = helper / caller;
        rho = rho < lo ? lo : rho > hi ? hi : rho;
        rho = rho < CHAIN_PACE_MIN       ? CHAIN_PACE_MIN
              : rho > 1 / CHAIN_PACE_MIN ? 1 / CHAIN_PACE_MIN
                                         : rho;
        pace->rho += (rho - pace->rho) / CHAIN_PACE_WEIGHT;
    }
    const double rho = pace->rho;
    double t[CHAIN_PLANS] = {0};
    for (int32_t i = 0; i < c->n_layers; i++) {
        const uint64_t rows = a0[i].rows + a1[i].rows;
        if (rows) {
            const double row = ((double)a0[i].ticks + (double)a1[i].ticks / rho) / (double)rows;
            for (int32_t k = 0; k < c->n_plans; k++) {
                const double r0 = (double)c->plans[k].rows0[i], r1 = rho * ((double)rows - r0);
                t[k] += row * (r0 > r1 ? r0 : r1);
            }
        }
    }
    unsigned best = pace->plan;
    for (int32_t k = 0; k < c->n_plans; k++)
        if (t[k] < t[best])
            best = (unsigned)k;
    if (t[best] < (1.0 - CHAIN_STEER_GAIN) * t[pace->plan])
        pace->plan = best;
}

/* After a timed run of chain C with records W (then zeroed): its layers' kernel ticks into PROF
 * (if not NULL: the caller's and the helpers' of layer L at PROF[2L], PROF[2L + 1], added). */
static void chain_times(const edge_chain *c, edge_chain_words *w, uint64_t *prof)
{
    for (unsigned k = 0; k < w->acc_threads; k++) {
        chain_acc *a = &w->acc[(size_t)k * (size_t)w->acc_layers];
        for (int32_t i = 0; i < c->n_layers; i++) {
            if (prof)
                prof[2 * i + (k ? 1 : 0)] += a[i].ticks;
            a[i] = (chain_acc){0, 0};
        }
    }
}

void edge__chain_run(const edge_model *m, const edge_chain *c, void *const *t, edge_chain_words *w,
                     edge_exec *x, uint64_t *prof)
{
    chain_pace *pace = &w->pace[c - m->chains];
    const int forced = atomic_load_explicit(&plan_hook, memory_order_relaxed);
    const unsigned plan = forced < 0            ? pace->plan
                          : forced < c->n_plans ? (unsigned)forced
                                                : (unsigned)c->n_plans - 1;
    chain_job j = {m,
                   c,
                   &c->plans[plan],
                   t,
                   w->line,
                   w->line + m->chain_pieces,
                   0,
                   NULL,
                   w->acc_layers,
                   w->acc_threads,
                   (void *const *)w->tabs,
                   w->n_tabs,
                   w->xch};
    if (edge_exec_width(x) != c->threads) { /* alone: one loop of the team's cut, as it counts */
        j.acc = prof ? w->acc : NULL;
        edge_exec_parallel_as(x, 1, c->threads, chain_alone_task, &j);
        if (prof)
            chain_times(c, w, prof);
        return;
    }
    w->gen = w->gen + 1 < EDGE_EXEC_FLAG_GENS ? w->gen + 1 : 1;
    j.gen = w->gen;
    const bool steer = c->n_plans > 1 && forced < 0 && ++pace->runs % CHAIN_TIME_EVERY == 0;
    if (steer || prof)
        j.acc = w->acc;
    edge_exec_parallel(x, c->threads, chain_task, &j);
    if (steer)
        chain_steer(c, pace, w->acc, w->acc + w->acc_layers);
    if (j.acc)
        chain_times(c, w, prof);
}
