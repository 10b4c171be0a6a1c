/* daemon/seq.c - sequences of a stateful model (Triton's sequence extension).
 *
 * Owns: the sequence parameters' syntax (ids), and per model (a side table by dm_entry.id)
 * its sequences: each live one's copy of the model's state (edge_interp_state_bytes, allocated
 * when it starts), the one request of it running and those waiting behind it (arrival order,
 * one at a time), the [scheduler] max_sequences bound (429 past it), expiry after
 * [scheduler] sequence_idle_ms idle (a loop timer, running while sequences live), and
 * tombstones that tell the next request of an expired sequence, or of one a reload ended, what
 * happened to it: for SEQ_TOMB_NS after it happened, at most max_sequences of them per model
 * (the oldest forgotten first); then the id is unknown.
 * Does not own: running a request (sched_worker.c loads and saves R->state), admission to the
 * queues (request.c submits what this hands back). Loop thread only. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "clock.h"
#include "daemon.h"
#include "registry.h"
#include "scheduler.h"
#include "seq.h"
#include "table.h"

/* What a tombstone remembers. */
enum { SEQ_LIVE = 0, SEQ_EXPIRED, SEQ_RETIRED };

/* How long a tombstone says "expired" or "ended by a reload" (docs/protocol.md, Sequences). */
#define SEQ_TOMB_NS (3600ull * 1000000000ull)

typedef struct seq {
    struct seq *next;
    char id[DM_SEQ_ID_MAX + 1];
    int gone;        /* SEQ_*: a tombstone when not SEQ_LIVE */
    uint64_t uid;    /* the model version its state belongs to */
    int64_t version; /* its number, for messages */
    uint8_t *state;  /* live: edge_interp_state_bytes of that version */
    bool fresh;      /* no request ran yet since the start: the initial state */
    bool ending;     /* a request with sequence_end was admitted */
    dm_request *cur; /* the request submitted, not yet done */
    dm_request *wait_head, *wait_tail;
    size_t waiting;
    uint64_t last_ns; /* its last request ended (live), or it became a tombstone */
} seq;

typedef struct seq_model {
    seq *head;
    size_t live, tombs;
} seq_model;

struct dm_seqs {
    const dm_config *cfg;
    uv_timer_t *timer;
    dm_table models;                     /* seq_model * by dm_entry.id */
    dm_request *ready_head, *ready_tail; /* handed back, to submit (dm_seqs_dispatch) */
    bool dispatching;
};

static void on_tick(uv_timer_t *t);
static uint64_t tick_ms(const dm_seqs *s);

/* ---------------------------------------------------------------- parameters */

int dm_seq_set_id(dm_seq_params *p, const char *s, size_t n, const char *where, char *err,
                  size_t len)
{
    p->id[0] = 0;
    if (n == 0 || (n == 1 && s[0] == '0'))
        return 0;
    if (n > DM_SEQ_ID_MAX) {
        snprintf(err, len, "%s: a sequence id has at most %d characters (got %zu)", where,
                 DM_SEQ_ID_MAX, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c > '~' || c == '"' || c == '\\') {
            snprintf(err, len,
                     "%s: a sequence id is an unsigned integer or printable ASCII without "
                     "spaces, quotes or backslashes (byte %zu is 0x%02x)",
                     where, i, c);
            return -1;
        }
    }
    memcpy(p->id, s, n);
    p->id[n] = 0;
    return 0;
}

void dm_seq_set_id_num(dm_seq_params *p, uint64_t id)
{
    p->id[0] = 0;
    if (id)
        snprintf(p->id, sizeof p->id, "%" PRIu64, id);
}

int dm_seq_check(const dm_seq_params *p, const char *where, char *err, size_t len)
{
    if (!p->id[0] && (p->start || p->end)) {
        snprintf(err, len, "%s: sequence_%s needs a sequence_id (not 0 or \"\")", where,
                 p->start ? "start" : "end");
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- the table */

static seq_model *model_of(const dm_seqs *s, const dm_entry *e)
{
    return dm_table_get(&s->models, e->id);
}

static seq_model *model_for(dm_seqs *s, const dm_entry *e)
{
    seq_model *sm = model_of(s, e);
    if (sm)
        return sm;
    void **slot = dm_table_slot(&s->models, e->id);
    if (!slot || !(sm = calloc(1, sizeof *sm)))
        return NULL;
    *slot = sm;
    return sm;
}

static void unlink_seq(seq_model *sm, seq *q);

/* A tombstone past SEQ_TOMB_NS, none of whose requests runs still: forgotten. */
static bool tomb_old(const seq *q, uint64_t now)
{
    return q->gone && !q->cur && now - q->last_ns >= SEQ_TOMB_NS;
}

/* Sequence ID of SM, live or a tombstone; one too old is forgotten here. */
static seq *find(seq_model *sm, const char *id)
{
    for (seq *q = sm ? sm->head : NULL; q; q = q->next)
        if (strcmp(q->id, id) == 0) {
            if (!tomb_old(q, dm_now_ns()))
                return q;
            unlink_seq(sm, q);
            return NULL;
        }
    return NULL;
}

static void unlink_seq(seq_model *sm, seq *q)
{
    seq **pp = &sm->head;
    while (*pp != q)
        pp = &(*pp)->next;
    *pp = q->next;
    if (q->gone)
        sm->tombs--;
    else
        sm->live--;
    free(q->state);
    free(q);
}

/* Q, live, becomes a tombstone saying WHY (the caller trims them after its walk). */
static void bury(seq_model *sm, seq *q, int why)
{
    free(q->state);
    q->state = NULL;
    q->gone = why;
    q->last_ns = dm_now_ns();
    sm->live--;
    sm->tombs++;
}

/* The oldest tombstones, none of whose requests runs, go past max_sequences of them. */
static void trim_tombs(const dm_seqs *s, seq_model *sm)
{
    while (sm->tombs > s->cfg->max_sequences) {
        seq *oldest = NULL;
        for (seq *t = sm->head; t; t = t->next)
            if (t->gone && !t->cur && (!oldest || t->last_ns < oldest->last_ns))
                oldest = t;
        if (!oldest)
            break;
        unlink_seq(sm, oldest);
    }
}

/* ---------------------------------------------------------------- admission */

static dm_seq_admission refuse(dm_request *r, dm_req_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static dm_seq_admission refuse(dm_request *r, dm_req_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    r->status = st;
    return DM_SEQ_REFUSED;
}

/* Why a request without sequence_start cannot continue Q (DM_SEQ_RUN: it can). */
static dm_seq_admission refuse_continue(const dm_seqs *s, dm_request *r, const seq *q,
                                        const char *id)
{
    const char *m = r->v->name;
    if (!q)
        return refuse(r, DM_REQ_SEQUENCE,
                      "sequence '%s' of model '%s' is unknown: it was never started, or it "
                      "ended (sequence_end); start it with sequence_start",
                      id, m);
    if (q->gone == SEQ_EXPIRED)
        return refuse(r, DM_REQ_SEQUENCE,
                      "sequence '%s' of model '%s' expired: idle longer than [scheduler] "
                      "sequence_idle_ms (%" PRIu32 " ms); start it again with sequence_start",
                      id, m, s->cfg->sequence_idle_ms);
    if (q->gone == SEQ_RETIRED)
        return refuse(r, DM_REQ_SEQUENCE,
                      "sequence '%s' of model '%s' ended when its version %" PRId64
                      " was reloaded or unloaded; start it again with sequence_start",
                      id, m, q->version);
    if (q->ending)
        return refuse(r, DM_REQ_SEQUENCE,
                      "sequence '%s' of model '%s' is ending (a request with sequence_end was "
                      "sent); start it again with sequence_start once that one is answered",
                      id, m);
    if (q->uid != r->v->uid)
        return refuse(r, DM_REQ_SEQUENCE,
                      "sequence '%s' of model '%s' runs on version %" PRId64
                      "; this request is for version %" PRId64,
                      id, m, q->version, r->v->version);
    return DM_SEQ_RUN;
}

/* A new live sequence ID of SM for R's version, or a restart of Q (live and idle, or a
 * tombstone): its state is allocated here, not on later requests. NULL: R refused. */
static seq *start(dm_seqs *s, seq_model *sm, seq *q, dm_request *r, const char *id)
{
    const size_t bytes = edge_interp_state_bytes(r->v->model);
    const bool live = q && !q->gone;
    if (!live && sm->live >= s->cfg->max_sequences) {
        refuse(r, DM_REQ_BUSY,
               "model '%s' has %zu live sequences, the limit ([scheduler] max_sequences = "
               "%" PRIu32 "); end one (sequence_end) or let one expire (sequence_idle_ms = "
               "%" PRIu32 " ms)",
               r->v->name, sm->live, s->cfg->max_sequences, s->cfg->sequence_idle_ms);
        return NULL;
    }
    uint8_t *state = live && q->uid == r->v->uid ? q->state : malloc(bytes);
    seq *n = q ? q : calloc(1, sizeof *n);
    if (!state || !n) {
        if (state && (!q || state != q->state))
            free(state);
        if (n != q)
            free(n);
        refuse(r, DM_REQ_ERROR, "out of memory for the state of sequence '%s' (%zu bytes)", id,
               bytes);
        return NULL;
    }
    if (state != n->state)
        free(n->state);
    if (!q) {
        snprintf(n->id, sizeof n->id, "%s", id);
        n->next = sm->head;
        sm->head = n;
        sm->live++;
    } else if (q->gone) {
        sm->tombs--;
        sm->live++;
    }
    if (!uv_is_active((uv_handle_t *)s->timer)) /* the tick runs while sequences live */
        uv_timer_start(s->timer, on_tick, tick_ms(s), tick_ms(s));
    n->gone = SEQ_LIVE;
    n->state = state;
    n->uid = r->v->uid;
    n->version = r->v->version;
    n->fresh = true;
    n->ending = false;
    return n;
}

/* R runs now as Q's request. */
static void run(seq *q, dm_request *r)
{
    q->cur = r;
    r->state = q->state;
    r->state_fresh = q->fresh;
}

dm_seq_admission dm_seqs_admit(dm_seqs *s, dm_request *r, const dm_seq_params *p)
{
    r->seq = NULL;
    r->state = NULL;
    if (!p || !p->id[0] || !edge_interp_state_bytes(r->v->model))
        return DM_SEQ_RUN; /* no sequence, or a stateless model: nothing to keep */
    seq_model *sm = model_for(s, r->v->entry);
    if (!sm)
        return refuse(r, DM_REQ_ERROR, "out of memory for the sequences of model '%s'", r->v->name);
    seq *q = find(sm, p->id);
    if (p->start && q && (q->cur || q->waiting))
        return refuse(r, DM_REQ_SEQUENCE,
                      "sequence '%s' of model '%s' has a request in flight: sequence_start "
                      "restarts an idle sequence only (wait for its answers, or use a new id)",
                      p->id, r->v->name);
    if (!p->start && refuse_continue(s, r, q, p->id) == DM_SEQ_REFUSED)
        return DM_SEQ_REFUSED;
    if (q && q->cur && q->waiting >= s->cfg->queue_depth)
        return refuse(r, DM_REQ_BUSY,
                      "sequence '%s' of model '%s' has %zu requests waiting ([scheduler] "
                      "queue_depth); try again later",
                      p->id, r->v->name, q->waiting);
    if (p->start && !(q = start(s, sm, q, r, p->id)))
        return DM_SEQ_REFUSED;
    q->ending = p->end;
    r->seq = q;
    r->seq_end = p->end;
    r->seq_next = NULL;
    if (!q->cur) {
        run(q, r);
        return DM_SEQ_RUN;
    }
    DM_QUEUE_PUSH(q->wait_head, q->wait_tail, r, seq_next);
    q->waiting++;
    return DM_SEQ_WAIT;
}

dm_request *dm_seqs_done(dm_seqs *s, dm_request *r)
{
    seq *q = r->seq;
    if (!q || q->cur != r)
        return NULL; /* not one of a sequence, or a waiting one failed (dm_seqs_retire) */
    seq_model *sm = model_of(s, r->v->entry);
    q->cur = NULL;
    q->last_ns = dm_now_ns();
    if (r->status == DM_REQ_OK)
        q->fresh = false; /* the state is what this request left */
    if (r->seq_end && !q->waiting) {
        unlink_seq(sm, q);
        return NULL;
    }
    dm_request *next = q->wait_head;
    if (next) {
        q->wait_head = next->seq_next;
        if (!q->wait_head)
            q->wait_tail = NULL;
        q->waiting--;
        next->seq_next = NULL;
        run(q, next);
        return next;
    }
    if (q->gone) { /* ended by a reload while this ran: now it can go */
        free(q->state);
        q->state = NULL;
    }
    return NULL;
}

void dm_seqs_dispatch(dm_seqs *s, dm_request *r, void (*submit)(dm_request *r))
{
    DM_QUEUE_PUSH(s->ready_head, s->ready_tail, r, seq_next);
    if (s->dispatching)
        return;
    s->dispatching = true;
    while ((r = s->ready_head)) {
        s->ready_head = r->seq_next;
        if (!s->ready_head)
            s->ready_tail = NULL;
        r->seq_next = NULL;
        submit(r);
    }
    s->dispatching = false;
}

/* ---------------------------------------------------------------- retiring, expiry */

static bool serves(const dm_entry *e, uint64_t uid)
{
    for (size_t i = 0; i < e->n_versions; i++)
        if (e->versions[i]->uid == uid)
            return true;
    return false;
}

dm_request *dm_seqs_retire(dm_seqs *s, dm_entry *e)
{
    seq_model *sm = model_of(s, e);
    dm_request *chain = NULL, **end = &chain;
    for (seq *q = sm ? sm->head : NULL; q; q = q->next) {
        if (q->gone || serves(e, q->uid))
            continue;
        *end = q->wait_head;
        if (q->wait_tail)
            end = &q->wait_tail->seq_next;
        q->wait_head = q->wait_tail = NULL;
        q->waiting = 0;
        uint8_t *keep = q->cur ? q->state : NULL; /* the running request still writes it */
        if (keep)
            q->state = NULL;
        bury(sm, q, SEQ_RETIRED);
        q->state = keep; /* dm_seqs_done frees it */
    }
    if (sm)
        trim_tombs(s, sm);
    return chain;
}

static void expire_model(dm_seqs *s, seq_model *sm, uint64_t now)
{
    const uint64_t idle = (uint64_t)s->cfg->sequence_idle_ms * 1000000u;
    seq *q = sm->head;
    while (q) {
        seq *next = q->next;
        if (tomb_old(q, now))
            unlink_seq(sm, q);
        else if (!q->gone && !q->cur && !q->waiting && now - q->last_ns >= idle)
            bury(sm, q, SEQ_EXPIRED);
        q = next;
    }
    trim_tombs(s, sm);
}

/* The tick's period: a quarter of sequence_idle_ms (a reload may change it), within [10 ms,
 * 1 s]. */
static uint64_t tick_ms(const dm_seqs *s)
{
    const uint64_t ms = s->cfg->sequence_idle_ms / 4;
    return ms < 10 ? 10 : ms > 1000 ? 1000 : ms;
}

static void on_tick(uv_timer_t *t)
{
    dm_seqs *s = t->data;
    const uint64_t now = dm_now_ns();
    bool any = false;
    for (size_t i = 0; i < s->models.n; i++)
        if (s->models.at[i]) {
            seq_model *sm = s->models.at[i];
            expire_model(s, sm, now);
            any |= sm->live > 0;
        }
    if (!any) { /* nothing to expire (tombstones are forgotten by find and bury, and bounded):
                 * an idle daemon does not wake for sequences */
        uv_timer_stop(t);
        return;
    }
    if (uv_timer_get_repeat(t) != tick_ms(s))
        uv_timer_set_repeat(t, tick_ms(s));
}

dm_seqs *dm_seqs_new(uv_loop_t *loop, const dm_config *c)
{
    _cleanup_free_ dm_seqs *s = calloc(1, sizeof *s);
    _cleanup_free_ uv_timer_t *t = calloc(1, sizeof *t);
    if (!s || !t)
        return NULL;
    s->cfg = c;
    uv_timer_init(loop, t);
    t->data = s;
    uv_unref((uv_handle_t *)t); /* started by the first sequence (start) */
    s->timer = edge_take_ptr(t);
    return edge_take_ptr(s);
}

static void close_free(uv_handle_t *h)
{
    free(h);
}

static void model_free(void *p)
{
    seq_model *sm = p;
    while (sm->head)
        unlink_seq(sm, sm->head);
    free(sm);
}

void dm_seqs_free(dm_seqs *s)
{
    if (!s)
        return;
    uv_timer_stop(s->timer);
    uv_close((uv_handle_t *)s->timer, close_free);
    dm_table_free(&s->models, model_free);
    free(s);
}

size_t dm_seqs_live(const dm_seqs *s, const dm_entry *e)
{
    if (!s)
        return 0;
    if (e) {
        const seq_model *sm = model_of(s, e);
        return sm ? sm->live : 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < s->models.n; i++)
        if (s->models.at[i])
            n += ((const seq_model *)s->models.at[i])->live;
    return n;
}
