/* runtime/interp/interp_impl.h - an interpreter as the interpreter layer holds it (internal).
 *
 * Owns: struct edge_interp (the arena, the tensor and scratch pointers, the threads, the
 * back-end runs and the per-node profile) and the profiling hooks interp.c calls around each
 * node while profiling is on. Creating and running an interpreter live in interp.c, the
 * profile's records and its public calls in profile.c. */
#ifndef EDGE_INTERP_IMPL_H
#define EDGE_INTERP_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "exec.h"
#include "model.h"

/* One back-end partition in one interpreter: the back end's instance and
 * the host pointers of its boundary tensors (into the arena). */
typedef struct part_run {
    void *inst; /* NULL: this interpreter runs the partition on the CPU */
    const void **in;
    void **out;
} part_run;

struct edge_prof; /* profile.c */

struct edge_interp {
    edge_model *m;
    uint8_t *arena;
    uint8_t *vars;         /* the variable tensors (state kept between invokes; m->var_bytes) */
    void **t;              /* data pointer of each tensor */
    void **scratch;        /* scratch pointer of each node (execution order) */
    edge_exec *x;          /* NULL with one thread */
    edge_exec_node *xnode; /* with X: each node's timing record (exec.h) */
    struct edge_chain_words *chain_words; /* with X and row chains: their pieces' flags */
    part_run *runs;                       /* one per partition (CPU partitions: zeroed) */
    char error[EDGE_ERROR_MESSAGE_MAX];
    uint64_t while_left;    /* WHILE iterations this invoke may still run (max_while_iterations) */
    bool prof_on;           /* profiling: the one test invoke makes when it is off */
    struct edge_prof *prof; /* allocated when profiling is first turned on, else NULL */
    edge_node_watch_fn watch; /* edge_interp_watch: called after each subgraph-0 node */
    void *watch_arg;
};

/* chain.c: an interpreter's flags for the pieces of M's row chains (one chain runs at a time),
 * each chain's plan and pace, and its bands' copies of the band tensors (the rest of their
 * tensors T, subgraph 0's), NULL when M has none or out of memory; free with free(). */
typedef struct edge_chain_words edge_chain_words;
edge_chain_words *edge__chain_words_new(const edge_model *m, void *const *t);
/* Row chain C of M over tensors T on team X, with flags W: one loop of the team's (its pieces,
 * cut by the plan W has for it, taken by the threads as they join), or, where X's loops run alone
 * now (edge_exec_width below the chain's threads: a node alone, a solo spell), each layer in one go
 * on the caller. PROF (a profiled run; NULL: none) gets each layer's kernel ticks added: layer L's
 * on the calling thread at PROF[2L], on the helpers at PROF[2L + 1]. */
void edge__chain_run(const edge_model *m, const edge_chain *c, void *const *t, edge_chain_words *w,
                     edge_exec *x, uint64_t *prof);
/* Test hook: FN(thread, piece) before each piece runs (NULL: none). */
void edge__chain_piece_hook(void (*fn)(unsigned thread, int32_t piece));
/* Test hook: every chain runs plan PLAN (clamped to its last; -1: the plan its threads' pace
 * chooses, the default), and no run is timed. */
void edge__chain_plan_hook(int plan);
/* The share of every layer's rows (per mille) band 0 of chain CHAIN of M takes in W's next run. */
unsigned edge__chain_share(const edge_model *m, const edge_chain_words *w, int32_t chain);

/* A node's start, while profiling: the clock and its caller's time in callees so far; the
 * team's work counts (edge_exec_work_ticks) and its caller's work in callees so far. */
typedef struct edge_prof_mark {
    uint64_t t0, outer_child_ns;
    uint64_t caller0, helpers0, outer_child_caller, outer_child_helpers;
} edge_prof_mark;

uint64_t edge__prof_now(void);
/* Before and after model node NODE runs (m->nodes index): its time since BEGIN goes to its
 * record, with the time of the nodes it called (control flow) kept apart as not its own. */
void edge__prof_begin(struct edge_prof *p, const edge_exec *x, edge_prof_mark *mk);
void edge__prof_end(struct edge_prof *p, const edge_exec *x, int32_t node,
                    const edge_prof_mark *mk);
/* A row chain C of M (chain.c) run while profiling: edge__prof_begin, then
 * edge__prof_chain_ticks (zeroed: edge__chain_run's PROF), the chain, then edge__prof_chain_end:
 * the chain's time goes to its layers' nodes, each the share its kernels took of all the
 * layers' kernel time (the layers run at once on the team), their work is their kernel ticks by
 * thread, and the nodes between (fused, folded: they do nothing) run in 0 ns. */
uint64_t *edge__prof_chain_ticks(struct edge_prof *p, const edge_chain *c);
void edge__prof_chain_end(struct edge_prof *p, const edge_exec *x, const edge_model *m,
                          const edge_chain *c, const edge_prof_mark *mk);
/* A back-end partition starting at NODE ran on its back end in NS nanoseconds. */
void edge__prof_partition(struct edge_prof *p, int32_t node, uint64_t ns);
/* One invoke of NS nanoseconds ended. */
void edge__prof_invoke(struct edge_prof *p, uint64_t ns);
void edge__prof_free(struct edge_prof *p);

/* views.c: the names edge_node_info and edge_node_profile give a node: its kernel ("ref" for
 * the reference), operator ("UNKNOWN" without a name) and back end ("cpu" or the one whose
 * partition holds it). */
const char *edge__node_kernel(const edge_node *n);
const char *edge__node_op_name(const edge_node *n);
const char *edge__node_backend(const edge_model *m, const edge_node *n);

#endif
