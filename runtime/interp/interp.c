/* runtime/interp/interp.c - interpreters: one arena plus pointers, and invoke.
 *
 * Owns: creating an interpreter for a prepared model version (the only
 * allocations: the arena the plan sized, the variable tensors' block (state that persists
 * between invokes, reset by edge_interp_reset_state), the table of tensor pointers and,
 * when the model asks for intra-op threads, the threads), giving out
 * input/output pointers, running the nodes in order (the threads an operator
 * spreads one node over are runtime/exec.c's), and the calls of IF, WHILE and CALL_ONCE into
 * other subgraphs (copying the values in and out; a CALL_ONCE's "already ran" flag lives in the
 * variable block). invoke allocates nothing and fails only when a back end does or a WHILE runs
 * past max_while_iterations (the message in edge_interp_error; the interpreter stays usable):
 * every other check happened when the model was opened. An interpreter belongs to one thread at a
 * time; many interpreters may share one model. While profiling is on (profile.c), each node runs
 * between profile.c's hooks; off, invoke tests one flag and runs nodes untimed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_impl.h"
#include "cpu_op.h"
#include "exec.h"
#include "interp_impl.h"
#include "model.h"
#include "plugin_state.h"

/* Each back-end partition's instance and boundary pointers. An instance the
 * back end cannot make leaves the partition to the CPU in this interpreter
 * when every node has a CPU fallback (counted as a failure towards the back
 * end's health); otherwise the interpreter cannot be made. */
static int runs_new(edge_interp *it, edge_error *err)
{
    const edge_model *m = it->m;
    if (!m->n_bes)
        return 0;
    if (!(it->runs = calloc((size_t)m->n_parts + 1, sizeof *it->runs)))
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    for (int32_t i = 0; i < m->n_parts; i++) {
        const edge_part *p = &m->parts[i];
        part_run *r = &it->runs[i];
        if (!p->be)
            continue;
        r->in = calloc((size_t)p->n_in + 1, sizeof *r->in);
        r->out = calloc((size_t)p->n_out + 1, sizeof *r->out);
        if (!r->in || !r->out)
            return edge__seterr(err, EDGE_ENOMEM, "out of memory");
        for (int32_t k = 0; k < p->n_in; k++)
            r->in[k] = it->t[p->in[k]];
        for (int32_t k = 0; k < p->n_out; k++)
            r->out[k] = it->t[p->out[k]];
        char msg[EDGE_ERROR_MESSAGE_MAX] = "";
        if (p->be->vt->instance_new(p->handle, &r->inst, msg, sizeof msg) == 0 && r->inst)
            continue;
        msg[sizeof msg - 1] = 0;
        r->inst = NULL;
        edge__be_record(p->be, false, 0);
        if (!p->cpu_fallback)
            return edge__seterr(err, EDGE_EDEVICE,
                                "back end %s cannot run nodes %d-%d in a new interpreter: %s",
                                p->be->name, (int)p->first, (int)(p->first + p->count - 1),
                                msg[0] ? msg : "instance_new failed");
    }
    return 0;
}

static void runs_free(edge_interp *it)
{
    const edge_model *m = it->m;
    for (int32_t i = 0; it->runs && i < m->n_parts; i++) {
        part_run *r = &it->runs[i];
        if (r->inst)
            m->parts[i].be->vt->instance_free(r->inst);
        free(r->in);
        free(r->out);
    }
    free(it->runs);
}

/* Every resource variable and CALL_ONCE flag to zero: the variables read as zeros until
 * assigned, and each CALL_ONCE runs its init subgraph again at the next invoke. */
static void reset_resources(edge_interp *it)
{
    const edge_model *m = it->m;
    for (int32_t i = 0; i < m->n_resources; i++)
        memset(it->vars + m->resources[i].var_offset, 0, m->resources[i].bytes);
    for (int32_t s = 0; m->n_call_once && s < m->n_subgraphs; s++)
        for (int32_t i = 0; i < m->subgraphs[s].n_nodes; i++) {
            const edge_node *n = &m->nodes[m->subgraphs[s].first_node + i];
            if (n->code == EDGE_OP_CALL_ONCE)
                it->vars[n->once_offset] = 0;
        }
}

int edge_interp_new(edge_model *m, edge_interp **out, edge_error *err)
{
    if (!m || !out)
        return edge__seterr(err, EDGE_EINVAL, "edge_interp_new: NULL argument");
    edge_interp *it = calloc(1, sizeof *it);
    if (!it)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    it->t = calloc((size_t)m->n_all_tensors + 1, sizeof *it->t);
    it->scratch = calloc((size_t)m->n_all_nodes + 1, sizeof *it->scratch);
    const size_t arena = m->arena_bytes ? m->arena_bytes : EDGE_ARENA_ALIGN;
    if (!it->t || !it->scratch || posix_memalign((void **)&it->arena, EDGE_ARENA_ALIGN, arena)) {
        edge_interp_free(it);
        return edge__seterr(err, EDGE_ENOMEM, "cannot allocate a %zu byte arena", arena);
    }
    memset(it->arena, 0, arena);
    const size_t vars = m->var_bytes ? m->var_bytes : EDGE_ARENA_ALIGN;
    if (posix_memalign((void **)&it->vars, EDGE_ARENA_ALIGN, vars)) {
        edge_interp_free(it);
        return edge__seterr(err, EDGE_ENOMEM, "cannot allocate %zu bytes of variable tensors",
                            vars);
    }
    memset(it->vars, 0, vars); /* the padding between variables too: a saved state is all defined */
    for (int32_t i = 0; i < m->n_all_tensors; i++) {
        const edge_tensor *t = &m->tensors[i];
        if (t->data)
            it->t[i] = (void *)t->data;
        else if (t->variable)
            it->t[i] = it->vars + t->var_offset;
        else if (t->is_resource)
            it->t[i] = it->vars + m->resources[t->resource].var_offset;
        else if (t->in_arena)
            it->t[i] = it->arena + t->offset;
    }
    for (int32_t i = 0; i < m->n_all_nodes; i++)
        if (m->nodes[i].scratch_bytes)
            it->scratch[i] = it->arena + m->nodes[i].scratch_offset;
    const unsigned team = edge_model_threads(m);
    if (team > 1 && !(it->xnode = calloc((size_t)m->n_all_nodes + 1, sizeof *it->xnode))) {
        edge_interp_free(it);
        return edge__seterr(err, EDGE_ENOMEM, "cannot allocate the threads' node records");
    }
    if (team > 1 && !(it->x = edge__exec_new(team))) {
        edge_interp_free(it);
        return edge__seterr(err, EDGE_ENOMEM, "cannot start %u intra-op threads", team);
    }
    if (team > 1 && m->n_chains &&
        !(it->chain_words = edge__chain_words_new(
              m, it->t + (m->subgraphs ? m->subgraphs[0].first_tensor : 0)))) {
        edge_interp_free(it);
        return edge__seterr(err, EDGE_ENOMEM, "cannot allocate the row chains' flags");
    }
    it->m = edge_model_ref(m);
    edge_interp_reset_state(it);
    int rc = runs_new(it, err);
    if (rc) {
        edge_interp_free(it);
        return rc;
    }
    *out = it;
    return 0;
}

void edge_interp_thread_stats(const edge_interp *it, edge_thread_stats *out)
{
    edge_exec_counts c;
    edge_exec_stats(it ? it->x : NULL, &c);
    *out = (edge_thread_stats){.threads = it ? edge_exec_threads(it->x) : 1,
                               .parallel = c.parallel,
                               .solo = c.solo,
                               .spells = c.spells,
                               .solo_now = c.solo_now,
                               .alone = c.alone,
                               .alone_invokes = c.alone_invokes,
                               .alone_mode = c.alone_mode,
                               .node_choice = c.node_choice,
                               .caller_work_ns = c.caller_work_ns,
                               .helpers_work_ns = c.helpers_work_ns};
}

void edge_interp_free(edge_interp *it)
{
    if (!it)
        return;
    if (it->m)
        runs_free(it);
    edge__exec_free(it->x);
    free(it->xnode);
    free(it->chain_words);
    edge__prof_free(it->prof);
    free(it->arena);
    free(it->vars);
    free(it->t);
    free(it->scratch);
    edge_model_unref(it->m);
    free(it);
}

/* Every variable tensor back to its initial value: its buffer's bytes when the file gives
 * them, else what TensorFlow Lite (Micro)'s ResetVariableTensors writes: the zero point in
 * every byte of an int8 tensor, zero bytes otherwise; resource variables and the CALL_ONCE
 * flags to zero (reset_resources). */
void edge_interp_reset_state(edge_interp *it)
{
    if (!it || !it->m->var_bytes) /* a stateless model: nothing to restore */
        return;
    const edge_model *m = it->m;
    reset_resources(it);
    for (int32_t i = 0; i < m->n_all_tensors; i++) {
        const edge_tensor *t = &m->tensors[i];
        if (!t->variable)
            continue;
        if (t->init) {
            memcpy(it->t[i], t->init, t->bytes);
            continue;
        }
        const int value = t->type == EDGE_INT8 && t->q.count ? t->q.zero_point[0] : 0;
        memset(it->t[i], value, t->bytes);
    }
}

size_t edge_interp_state_bytes(const edge_model *m)
{
    return m ? m->var_bytes : 0;
}

void edge_interp_state_save(const edge_interp *it, void *dst)
{
    if (it && it->m->var_bytes)
        memcpy(dst, it->vars, it->m->var_bytes);
}

void edge_interp_state_load(edge_interp *it, const void *src)
{
    if (it && it->m->var_bytes)
        memcpy(it->vars, src, it->m->var_bytes);
}

edge_model *edge_interp_model(const edge_interp *it)
{
    return it ? it->m : NULL;
}

void *edge_interp_input(edge_interp *it, size_t i, size_t *bytes)
{
    if (!it || i >= (size_t)it->m->n_inputs)
        return NULL;
    const int32_t ti = it->m->inputs[i];
    if (bytes)
        *bytes = it->m->tensors[ti].bytes;
    return it->t[ti];
}

const void *edge_interp_output(const edge_interp *it, size_t i, size_t *bytes)
{
    if (!it || i >= (size_t)it->m->n_outputs)
        return NULL;
    const int32_t ti = it->m->outputs[i];
    if (bytes)
        *bytes = it->m->tensors[ti].bytes;
    return it->t[ti];
}

static int run_nodes(edge_interp *it, int32_t s, int32_t first, int32_t count, int depth);

/* Subgraph S from start to end, called at nesting DEPTH. */
static int run_subgraph(edge_interp *it, int32_t s, int depth)
{
    const edge_subgraph *sg = &it->m->subgraphs[s];
    return run_nodes(it, s, sg->first_node, sg->n_nodes, depth);
}

/* Copy N tensors FROM[k] of subgraph SF into TO[k] of subgraph ST (same sizes: checked at
 * load). */
static void copy_tensors(edge_interp *it, int32_t sf, const int32_t *from, int32_t st,
                         const int32_t *to, int32_t n)
{
    const edge_model *m = it->m;
    const int32_t bf = m->subgraphs[sf].first_tensor, bt = m->subgraphs[st].first_tensor;
    for (int32_t k = 0; k < n; k++) {
        const size_t bytes = m->tensors[bt + to[k]].bytes;
        if (bytes && it->t[bt + to[k]] != it->t[bf + from[k]])
            memcpy(it->t[bt + to[k]], it->t[bf + from[k]], bytes);
    }
}

/* IF node N of subgraph S: the branch its condition picks, its inputs in and outputs out. */
static int run_if(edge_interp *it, const edge_node *n, int32_t s, int depth)
{
    const edge_model *m = it->m;
    const edge_tensor *ct = &m->subgraphs[s].tensors[n->in[0]];
    const void *c = it->t[m->subgraphs[s].first_tensor + n->in[0]];
    const bool yes = ct->type == EDGE_BOOL ? *(const uint8_t *)c != 0 : *(const int32_t *)c != 0;
    const int32_t b = n->params.call.subgraph[yes ? 0 : 1];
    const edge_subgraph *sg = &m->subgraphs[b];
    copy_tensors(it, s, n->in + 1, b, sg->inputs, sg->n_inputs);
    int rc = run_subgraph(it, b, depth + 1);
    if (!rc)
        copy_tensors(it, b, sg->outputs, s, n->out, n->n_out);
    return rc;
}

/* WHILE node N of subgraph S: its outputs hold the loop's values; the condition subgraph
 * decides, the body computes the next values; all WHILE nodes of one invoke (nested ones too)
 * run at most max_while_iterations rounds between them, which bounds the invoke's work. */
static int run_while(edge_interp *it, const edge_node *n, int32_t s, int depth)
{
    const edge_model *m = it->m;
    const int32_t cs = n->params.call.subgraph[0], bs = n->params.call.subgraph[1];
    const edge_subgraph *cond = &m->subgraphs[cs], *body = &m->subgraphs[bs];
    copy_tensors(it, s, n->in, s, n->out, n->n_in);
    for (;;) {
        copy_tensors(it, s, n->out, cs, cond->inputs, n->n_out);
        int rc = run_subgraph(it, cs, depth + 1);
        if (rc)
            return rc;
        if (!*(const uint8_t *)it->t[cond->first_tensor + cond->outputs[0]])
            return 0;
        if (!it->while_left) {
            snprintf(it->error, sizeof it->error,
                     "node %d (WHILE) of subgraph %d did not finish within max_while_iterations "
                     "= %llu iterations (of all WHILE nodes of one invoke)",
                     (int)n->file_index, (int)s, (unsigned long long)m->opt.max_while_iterations);
            return EDGE_ELIMIT;
        }
        it->while_left--;
        copy_tensors(it, s, n->out, bs, body->inputs, n->n_out);
        if ((rc = run_subgraph(it, bs, depth + 1)))
            return rc;
        copy_tensors(it, bs, body->outputs, s, n->out, n->n_out);
    }
}

/* CALL_ONCE node N: its init subgraph, the first time since the state was reset. */
static int run_call_once(edge_interp *it, const edge_node *n, int depth)
{
    if (it->vars[n->once_offset])
        return 0;
    int rc = run_subgraph(it, n->params.call.subgraph[0], depth + 1);
    if (!rc)
        it->vars[n->once_offset] = 1;
    return rc;
}

/* Node I's run-time check (its operator's, edge_op.check) failed: it->error says which node. */
static int check_failed(edge_interp *it, int32_t i, int rc, const char *why)
{
    snprintf(it->error, sizeof it->error, "node %d (%s): %s", (int)i,
             edge_op_name(it->m->nodes[i].code), why);
    return rc;
}

/* Model node I of subgraph S (whose tensor pointers are T) on the CPU; the subgraphs it calls
 * run here too (the depth is bounded at load). */
static inline int run_node(edge_interp *it, int32_t s, int32_t i, void *const *t, int depth)
{
    const edge_node *n = &it->m->nodes[i];
    switch (n->code) {
    case EDGE_OP_IF: return run_if(it, n, s, depth);
    case EDGE_OP_WHILE: return run_while(it, n, s, depth);
    case EDGE_OP_CALL_ONCE: return run_call_once(it, n, depth);
    default: break;
    }
    if (__builtin_expect(n->op->check != NULL, 0)) {
        char why[EDGE_ERROR_MESSAGE_MAX - 64];
        const int rc = n->op->check(n, t, why, sizeof why);
        if (rc)
            return check_failed(it, i, rc, why);
    }
    if (!it->x) {
        n->op->eval(n, t, it->scratch[i], NULL);
        return 0;
    }
    edge_exec_node_begin(it->x, &it->xnode[i]);
    n->op->eval(n, t, it->scratch[i], it->x);
    edge_exec_node_end(it->x, &it->xnode[i]);
    return 0;
}

/* Row chain C (runtime/interp/chain.c) over tensors T, timed as one node (its head's record)
 * and counted as one loop, on the team or alone; PROF as edge__chain_run's. */
static void run_chain(edge_interp *it, const edge_chain *c, void *const *t, uint64_t *prof)
{
    edge_exec_node_begin(it->x, &it->xnode[c->head]);
    edge__chain_run(it->m, c, t, it->chain_words, it->x, prof);
    edge_exec_node_end(it->x, &it->xnode[c->head]);
}

/* The row chain run_nodes runs from node I of subgraph S (nodes FIRST.. COUNT), else NULL. */
static const edge_chain *chain_at(const edge_interp *it, int32_t s, int32_t i, int32_t first,
                                  int32_t count)
{
    const edge_model *m = it->m;
    const int32_t ch = s == 0 && it->chain_words ? m->nodes[i].chain : 0;
    return ch && m->chains[ch - 1].end <= first + count ? &m->chains[ch - 1] : NULL;
}

/* run_nodes while profiling or watched: each node timed on its own (profile.c keeps the
 * records), the watcher (edge_interp_watch) called after each node of subgraph 0. A row chain
 * runs as it does unprofiled, its time shared among its layers (edge__prof_chain_end), unless
 * watched: the watcher reads each node's output after it, which the chain's later layers may
 * have written over (its lifetimes). */
static int run_nodes_profiled(edge_interp *it, int32_t s, int32_t first, int32_t count,
                              void *const *t, int depth)
{
    for (int32_t i = first; i < first + count; i++) {
        const edge_chain *c = it->watch ? NULL : chain_at(it, s, i, first, count);
        if (c) { /* profiling: the watcher is not set */
            edge_prof_mark mk;
            edge__prof_begin(it->prof, it->x, &mk);
            run_chain(it, c, t, edge__prof_chain_ticks(it->prof, c));
            edge__prof_chain_end(it->prof, it->x, it->m, c, &mk);
            i = c->end - 1;
            continue;
        }
        edge_prof_mark mk;
        if (it->prof_on)
            edge__prof_begin(it->prof, it->x, &mk);
        const int rc = run_node(it, s, i, t, depth);
        if (it->prof_on)
            edge__prof_end(it->prof, it->x, i, &mk);
        if (rc)
            return rc;
        if (it->watch && s == 0)
            it->watch(it->watch_arg, (size_t)i);
    }
    return 0;
}

/* Nodes FIRST.. (COUNT of them, model node indices) of subgraph S on the CPU. Fails only when
 * a WHILE runs past its limit or a node's run-time check refuses its operands (it->error says
 * which). Profiling off costs this one test. */
static int run_nodes(edge_interp *it, int32_t s, int32_t first, int32_t count, int depth)
{
    const edge_model *m = it->m;
    void *const *t = it->t + (m->subgraphs ? m->subgraphs[s].first_tensor : 0);
    if (__builtin_expect(it->prof_on || it->watch, 0))
        return run_nodes_profiled(it, s, first, count, t, depth);
    for (int32_t i = first; i < first + count; i++) {
        const edge_chain *c = chain_at(it, s, i, first, count);
        if (c) {
            run_chain(it, c, t, NULL);
            i = c->end - 1;
            continue;
        }
        const int rc = run_node(it, s, i, t, depth);
        if (rc)
            return rc;
    }
    return 0;
}

static int run_cpu(edge_interp *it, int32_t first, int32_t count)
{
    return run_nodes(it, 0, first, count, 0);
}

/* One back-end partition: on the back end while it is healthy (and this
 * interpreter has an instance), else on the CPU when every node can be. */
static int run_part(edge_interp *it, int32_t i)
{
    const edge_model *m = it->m;
    const edge_part *p = &m->parts[i];
    part_run *r = &it->runs[i];
    struct edge_be *be = p->be;
    if (!r->inst || !edge_be_healthy(be)) {
        if (p->cpu_fallback) {
            atomic_fetch_add_explicit(&be->cpu_fallbacks, 1, memory_order_relaxed);
            return run_cpu(it, p->first, p->count);
        }
        snprintf(it->error, sizeof it->error,
                 "back end %s is unhealthy after repeated device errors, and nodes %d-%d of "
                 "this model have no CPU implementation",
                 be->name, (int)p->first, (int)(p->first + p->count - 1));
        return EDGE_EDEVICE;
    }
    char msg[EDGE_ERROR_MESSAGE_MAX - 128];
    msg[0] = 0;
    const uint64_t t0 = edge__prof_now();
    const int rc = be->vt->invoke(r->inst, r->in, r->out, msg, sizeof msg);
    const uint64_t ns = edge__prof_now() - t0;
    edge__be_record(be, rc == 0, ns);
    if (it->prof_on)
        edge__prof_partition(it->prof, p->first, ns);
    if (rc == 0)
        return 0;
    msg[sizeof msg - 1] = 0;
    snprintf(it->error, sizeof it->error, "back end %s failed on nodes %d-%d: %s", be->name,
             (int)p->first, (int)(p->first + p->count - 1),
             msg[0] ? msg : "device error without a message");
    return EDGE_EDEVICE;
}

/* The partitions in order (the CPU's nodes, or the back ends'). */
static int run_parts(edge_interp *it)
{
    const edge_model *m = it->m;
    if (!it->runs) /* the CPU only */
        return run_cpu(it, 0, m->n_nodes);
    for (int32_t i = 0; i < m->n_parts; i++) {
        const edge_part *p = &m->parts[i];
        const int rc = p->be ? run_part(it, i) : run_cpu(it, p->first, p->count);
        if (rc)
            return rc;
    }
    return 0;
}

int edge_interp_invoke(edge_interp *it)
{
    if (!it)
        return EDGE_EINVAL;
    it->error[0] = 0;
    it->while_left = it->m->opt.max_while_iterations;
    edge_exec_invoke(it->x);
    if (__builtin_expect(!it->prof_on, 1)) {
        const int rc = run_parts(it);
        edge_exec_invoke_done(it->x);
        return rc;
    }
    const uint64_t t0 = edge__prof_now();
    const int rc = run_parts(it);
    edge__prof_invoke(it->prof, edge__prof_now() - t0);
    edge_exec_invoke_done(it->x);
    return rc;
}

const char *edge_interp_error(const edge_interp *it)
{
    return it ? it->error : "";
}

void edge_interp_watch(edge_interp *it, edge_node_watch_fn fn, void *arg)
{
    if (!it)
        return;
    it->watch = fn;
    it->watch_arg = arg;
}

const void *edge_interp_tensor(const edge_interp *it, size_t i, size_t *bytes)
{
    if (!it || i >= (size_t)it->m->n_tensors)
        return NULL;
    if (bytes)
        *bytes = it->m->tensors[i].bytes;
    return it->t[i];
}
