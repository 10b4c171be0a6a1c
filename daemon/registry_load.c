/* daemon/registry_load.c - syncing one model with the disk: load jobs.
 *
 * Owns: a model's sync (its files and NAME/model.conf, which versions the
 * policy serves), load jobs (open, verify, prepare and warm up each new or
 * changed version off the loop thread, in libuv's pool, or inline before the
 * loop runs), swapping the results in on the loop thread (pin_io checks),
 * load errors (log, last_error, counters, LOAD_FAILED events), and the
 * callers waiting for a model to settle (dm_registry_load).
 * Does not own: finding files (registry_scan.c) or the entries and their
 * version lists (registry.c). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backends.h"
#include "clock.h"
#include "common/modelsig.h"
#include "log.h"
#include "registry.h"
#include "registry_impl.h"

static atomic_uint_fast64_t next_uid = 1;

uint64_t reg_next_uid(void)
{
    return atomic_fetch_add(&next_uid, 1);
}

static bool same_file(const reg_version *v, const struct stat *st)
{
    return v->dev == st->st_dev && v->ino == st->st_ino && v->size == st->st_size &&
           v->mtime.tv_sec == st->st_mtim.tv_sec && v->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static void set_error(const dm_registry *r, dm_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One log line, E's last_error (truncated to fit), and a LOAD_FAILED event. */
static void set_error(const dm_registry *r, dm_entry *e, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dm_log(DM_LOG_ERROR, "model %s: cannot load %s", e->name, msg);
    const size_t n = strnlen(msg, sizeof e->last_error - 1);
    memcpy(e->last_error, msg, n);
    e->last_error[n] = '\0';
    reg_emit(r, e->name, DM_MODEL_LOAD_FAILED, -1, e->last_error);
}

/* How V's packed weights came, for the log. */
static const char *pack_words(const edge_model *m)
{
    static const char *const words[] = {
        "", ", from the cache", ", now cached", ", cached again", ", not cached", ", cached again"};
    const int st = edge_model_pack_cache(m, NULL, NULL);
    return st >= 0 && st <= EDGE_PACK_REFUSED ? words[st] : "";
}

/* LEVEL: a model loaded again after the memory budget evicted it logs at debug level (a
 * repository larger than the budget may load models many times a second). */
static void log_loaded(const dm_version *v, uint64_t us, dm_log_level level)
{
    const edge_model *m = v->model;
    dm_log(level,
           "model %s version %lld: loaded %s in %.1f ms (%zu operators, %zu inputs, %zu outputs; "
           "arena %zu bytes per worker, weights %zu bytes, prepared data %zu bytes of which %zu "
           "packed%s; kernels %s; %u intra-op thread(s), %.1f MMACs)",
           v->name, (long long)v->version, v->path, (double)us / 1000.0, edge_model_node_count(m),
           edge_model_input_count(m), edge_model_output_count(m), edge_model_arena_bytes(m),
           edge_model_weight_bytes(m), edge_model_prepared_bytes(m), edge_model_packed_bytes(m),
           pack_words(m), edge_model_kernels(m), edge_model_threads(m),
           (double)edge_model_macs(m) / 1e6);
    const char *why;
    const int st = edge_model_pack_cache(m, NULL, &why);
    if (st == EDGE_PACK_REBUILT || st == EDGE_PACK_UNWRITTEN)
        dm_log(st == EDGE_PACK_REBUILT ? DM_LOG_INFO : DM_LOG_WARN,
               "model %s version %lld: packed-weight cache file %s: %s", v->name,
               (long long)v->version, st == EDGE_PACK_REBUILT ? "rebuilt" : "not written", why);
    else if (st == EDGE_PACK_REFUSED)
        dm_log(DM_LOG_WARN,
               "model %s version %lld: packed-weight cache file refused: %s; its weights were "
               "packed again and the file replaced",
               v->name, (long long)v->version, why);
}

/* A version of E from model M (taken on success), loaded from PATH. */
static reg_version *version_new(reg_entry *e, int64_t version, const char *path,
                                const struct stat *st, edge_model *m)
{
    _cleanup_free_ reg_version *v = calloc(1, sizeof *v);
    _cleanup_free_ char *name = strdup(e->pub.name);
    _cleanup_free_ char *p = strdup(path);
    if (!v || !name || !p)
        return NULL;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    atomic_init(&v->pub.refs, 1);
    atomic_init(&v->pub.retired, false);
    v->pub.uid = reg_next_uid();
    v->pub.name = edge_take_ptr(name);
    v->pub.version = version;
    v->pub.path = edge_take_ptr(p);
    v->pub.model = m;
    v->pub.entry = &e->pub;
    v->pub.loaded_at_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    v->dev = st->st_dev;
    v->ino = st->st_ino;
    v->size = st->st_size;
    v->mtime = st->st_mtim;
    return edge_take_ptr(v);
}

/* Where NAME was looked for, for a message. */
static void not_found(const dm_registry *r, const char *name, char *msg, size_t len)
{
    const char *d = r->cfg.models_dir;
    snprintf(msg, len,
             "no model '%s' in %s (looked for %s/%s.tflite and %s/%s/VERSION/model.tflite)", name,
             d, d, name, d, name);
}

/* ------------------------------------------------------------ syncing an entry
 *
 * A sync looks at one model on disk (its files and NAME/model.conf), decides
 * which versions the policy serves, and loads the new or changed ones in a
 * load job: off the loop thread (libuv's thread pool) when the registry has a
 * loop, inline otherwise (the start, tests). Each file is read into private
 * memory (a file rewritten in place cannot change or truncate a serving
 * version), verified, planned, prepared and run once on zero inputs (warm-up)
 * before the loop thread swaps it in. A file that fails leaves the version
 * serving under that number untouched. Versions the policy no longer selects,
 * or whose files are gone, are retired; a model with no file left is
 * unloaded (its queued requests are answered "unloaded"). One job per model
 * at a time: a sync asked for meanwhile runs when the job ends. */

typedef struct load_item {
    int64_t version;
    char *path;
    struct stat st;
    edge_model *model;  /* the job's result */
    dm_lease *lease;    /* the file's read lease, held for MODEL (NULL: a private copy) */
    bool packed_new;    /* its load wrote a packed-weight cache file */
    bool no_memory;     /* it failed for want of memory (transient) */
    char verified[240]; /* [models] verify: how it was ("" when not asked) */
    char why[160];      /* a private copy: why the file could not be leased */
    char err[1200];
} load_item;

struct load_job {
    uv_work_t work;
    dm_registry *r;
    reg_entry *e;
    edge_model_options opt;
    load_item *items;
    size_t n_items;
    int64_t keep[DM_MAX_VERSIONS]; /* the versions the policy serves, newest first */
    size_t n_keep;
    uint64_t t0_ns;
    bool demand;                   /* a request waits for it (the memory budget) */
    edge_be *bes[DM_MAX_BACKENDS]; /* the back ends model.conf allows (opt.backends) */
    edge_input_shape shapes[DM_MODELCONF_MAX_SHAPES]; /* model.conf's input_shape (opt's) */
    char backend_err[320]; /* model.conf names a back end that is not loaded */
};

/* Same inputs and outputs (names, types, shapes): what pin_io asks of a new version. */
static bool same_io(const edge_model *a, const edge_model *b, char *why, size_t len)
{
    for (int out = 0; out < 2; out++) {
        const size_t na = out ? edge_model_output_count(a) : edge_model_input_count(a);
        const size_t nb = out ? edge_model_output_count(b) : edge_model_input_count(b);
        const char *what = out ? "output" : "input";
        if (na != nb) {
            snprintf(why, len, "it has %zu %ss, the serving version %zu", nb, what, na);
            return false;
        }
        for (size_t i = 0; i < na; i++) {
            edge_tensor_info x, y;
            if (out ? (edge_model_output_info(a, i, &x) || edge_model_output_info(b, i, &y))
                    : (edge_model_input_info(a, i, &x) || edge_model_input_info(b, i, &y)))
                return false;
            bool same = x.type == y.type && x.rank == y.rank &&
                        strcmp(x.name ? x.name : "", y.name ? y.name : "") == 0;
            for (int d = 0; same && d < x.rank; d++)
                same = x.dims[d] == y.dims[d];
            if (!same) {
                char dx[64] = "", dy[64] = "";
                for (int d = 0, at = 0; d < x.rank && at < 60; d++)
                    at += snprintf(dx + at, sizeof dx - (size_t)at, "%s%d", d ? "," : "",
                                   (int)x.dims[d]);
                for (int d = 0, at = 0; d < y.rank && at < 60; d++)
                    at += snprintf(dy + at, sizeof dy - (size_t)at, "%s%d", d ? "," : "",
                                   (int)y.dims[d]);
                snprintf(why, len, "%s %zu is '%s' %s [%s], the serving version's '%s' %s [%s]",
                         what, i, y.name ? y.name : "", edge_dtype_name(y.type), dy,
                         x.name ? x.name : "", edge_dtype_name(x.type), dx);
                return false;
            }
        }
    }
    return true;
}

/* After a load: one line per partition a back end could not prepare (left on
 * the CPU), and which back ends run which nodes. */
static void log_partitions(const load_job *j, const load_item *it)
{
    const edge_model *m = it->model;
    const char *name = j->e->pub.name;
    for (size_t i = 0; i < edge_model_backend_note_count(m); i++) {
        edge_backend_note n;
        if (edge_model_backend_note(m, i, &n) == 0)
            dm_log(DM_LOG_WARN,
                   "model %s version %lld: back end %s could not prepare nodes %d-%d; they run "
                   "on the CPU: %s",
                   name, (long long)it->version, n.backend, (int)n.first,
                   (int)(n.first + n.count - 1), n.message);
    }
    const size_t np = edge_model_partition_count(m);
    if (!j->opt.n_backends || np == 0)
        return;
    char line[512];
    size_t at = 0;
    for (size_t i = 0; i < np && at < sizeof line; i++) {
        edge_partition_info p;
        if (edge_model_partition_info(m, i, &p))
            continue;
        const int w = snprintf(line + at, sizeof line - at, "%s%s %d-%d", i ? ", " : "", p.backend,
                               (int)p.first, (int)(p.first + p.count - 1));
        at += w > 0 ? (size_t)w : 0;
    }
    dm_log(DM_LOG_INFO, "model %s version %lld: partitions (nodes): %s", name,
           (long long)it->version, line);
}

/* [models] verify: IT's bytes as the model uses them (what serves is what was checked) against
 * their digest or signature; 0, or -1 with ERR. Before the warm-up: an unverified model never
 * runs. */
static int verify_item(const load_job *j, load_item *it, edge_error *err)
{
    const dm_config *c = &j->r->cfg;
    const void *data = edge_model_file_data(it->model);
    const size_t len = edge_model_file_bytes(it->model);
    char why[900], key[256] = "";
    int rc = 0;
    if (!strcmp(c->model_verify, "digest"))
        rc = edge_sig_check_digest(it->path, data, len, why, sizeof why);
    else if (!strcmp(c->model_verify, "signature"))
        rc = edge_sig_check_signature(it->path, data, len, c->trusted_keys, geteuid(), key,
                                      sizeof key, why, sizeof why);
    if (rc == 0) {
        if (key[0])
            snprintf(it->verified, sizeof it->verified, "signed by %.200s", key);
        else if (!strcmp(c->model_verify, "digest"))
            snprintf(it->verified, sizeof it->verified, "its SHA-256 matches");
        return 0;
    }
    snprintf(err->message, sizeof err->message, "not verified ([models] verify = %s): %.400s",
             c->model_verify, why);
    return err->code = EDGE_EINVAL;
}

/* IT's file as a model: mapped under a read lease (lease.c) when the registry uses leases and
 * the file can be leased, else read into a private copy (IT->why says why). 0 or libedge's
 * error. */
static int open_item(const load_job *j, load_item *it, edge_error *err)
{
    const int fd = open(it->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err->message, sizeof err->message, "cannot open: %s", strerror(errno));
        return err->code = EDGE_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) == 0)
        it->st = st; /* what was opened, if the name moved on since the scan */
    edge_model_options opt = j->opt;
    if (!j->r->leases)
        snprintf(it->why, sizeof it->why, "file leases are off");
    const bool leased = j->r->leases && dm_lease_take(fd, it->why, sizeof it->why) == 0;
    opt.private_copy = !leased;
    int rc = edge_model_open_fd(fd, it->path, &opt, &it->model, err);
    if (rc == 0 && strcmp(j->r->cfg.model_verify, "none") && (rc = verify_item(j, it, err))) {
        edge_model_unref(it->model);
        it->model = NULL;
    }
    /* the model file's lease, and its cache file's (taken when libedge opened it) */
    if (rc == 0 && (leased || edge_model_pack_fd(it->model) >= 0))
        it->lease = dm_lease_hold(leased ? fd : -1, it->model); /* takes FD when leased */
    if (rc == 0 && leased)
        return 0;
    close(fd); /* and its lease with it */
    return rc;
}

/* Thread pool (or inline): open, verify, plan, prepare and warm up each item.
 * A load is a burst of CPU (person_detect ~3 ms, MobileNetV2 ~45 ms) that at
 * the workers' priority takes a CPU from them and shows in the serving
 * latency (bench-reload: p99 2.9x during churn; nice 10 changed nothing).
 * In the pool (job_work) it runs at SCHED_IDLE: a load then runs on CPU time
 * the workers leave (under full saturation it crawls, and the previous version
 * serves meanwhile). */
static void job_work_items(load_job *j)
{
    for (size_t i = 0; i < j->n_items; i++) {
        load_item *it = &j->items[i];
        edge_error err = {0};
        if (j->backend_err[0]) {
            snprintf(it->err, sizeof it->err, "version %lld: %s", (long long)it->version,
                     j->backend_err);
            it->model = NULL;
            continue;
        }
        const int rc = open_item(j, it, &err);
        it->no_memory = rc == EDGE_ENOMEM;
        if (rc) {
            const char *msg = err.message[0] ? err.message : edge_strerror(rc);
            if (strstr(msg, it->path)) /* libedge's messages usually name the file */
                snprintf(it->err, sizeof it->err, "version %lld: %s", (long long)it->version, msg);
            else
                snprintf(it->err, sizeof it->err, "version %lld (%s): %s", (long long)it->version,
                         it->path, msg);
            it->model = NULL;
            continue;
        }
        log_partitions(j, it);
        const int ps = edge_model_pack_cache(it->model, NULL, NULL);
        it->packed_new =
            ps == EDGE_PACK_WRITTEN || ps == EDGE_PACK_REBUILT || ps == EDGE_PACK_REFUSED;
        /* Warm-up (loads while serving): one inference on zero inputs, so
         * that the first request does not pay for first touches, and a model
         * that cannot run is found here rather than by a client. The first
         * scan skips it: nothing is serving yet, and it would slow every
         * start by one inference per model (on the reference kernels,
         * MobileNetV2 takes ~0.4 s). */
        if (!j->r->loop)
            continue;
        edge_interp *in = NULL;
        int wrc = edge_interp_new(it->model, &in, &err);
        if (wrc == 0 && ((wrc = edge_interp_invoke(in)) == EDGE_EDEVICE || wrc == EDGE_ELIMIT)) {
            /* A device error, not the model's: it counts towards the back end's
             * health, and the version serves (on the CPU once it is unhealthy). Or a WHILE
             * loop that zero inputs keep running past max_while_iterations: real inputs may
             * end it, and a request that does not gets its own error. */
            dm_log(DM_LOG_WARN, "model %s version %lld: the warm-up run failed: %s", j->e->pub.name,
                   (long long)it->version, edge_interp_error(in));
            wrc = 0;
        } else if (wrc == EDGE_EDEVICE) {
            snprintf(err.message, sizeof err.message, "%s", edge_interp_error(in));
        }
        if (wrc != 0) {
            it->no_memory = wrc == EDGE_ENOMEM;
            snprintf(it->err, sizeof it->err, "version %lld (%s): the warm-up run failed: %s",
                     (long long)it->version, it->path,
                     err.message[0] ? err.message : "cannot create an interpreter");
            edge_model_unref(it->model);
            it->model = NULL;
            dm_lease_drop(it->lease);
            it->lease = NULL;
        }
        edge_interp_free(in);
    }
}

/* In the thread pool: the pool's threads run only load jobs, at SCHED_IDLE: a reload must not
 * take CPU from the workers. A load on demand is what a request waits for: it runs at the
 * normal policy (the thread goes back to SCHED_IDLE for the next job that is not one). (A job
 * run inline, on the loop thread or at the start, must not change the policy: it would leave
 * the loop thread at SCHED_IDLE.) */
static void job_work(uv_work_t *w)
{
    static _Thread_local int policy = -1;
    const load_job *j = w->data;
    const int want = j->demand ? SCHED_OTHER : SCHED_IDLE;
    if (policy != want) {
        policy = want;
        const struct sched_param sp = {0};
        pthread_setschedparam(pthread_self(), want, &sp);
    }
    dm_test_stall_wait(&j->r->load_stall, j->e->pub.name);
    job_work_items(w->data);
}

static void job_free(load_job *j)
{
    for (size_t i = 0; i < j->n_items; i++) {
        free(j->items[i].path);
        edge_model_unref(j->items[i].model);
        dm_lease_drop(j->items[i].lease);
    }
    free(j->items);
    free(j);
}

static void add_waiter(dm_registry *r, reg_entry *e, dm_load_cb cb, void *arg, uint64_t deadline_ns)
{
    if (!cb)
        return;
    waiter *w = malloc(sizeof *w);
    if (!w) {
        cb(e->pub.name, -1, "out of memory", arg);
        return;
    }
    *w = (waiter){.cb = cb, .arg = arg, .deadline_ns = deadline_ns};
    waiter **pp = &e->waiters;
    while (*pp)
        pp = &(*pp)->next;
    *pp = w;
    if (deadline_ns) {
        r->waiting++;
        reg_budget_arm(r, deadline_ns);
    }
}

void reg_finish_waiters(dm_registry *r, reg_entry *e, int failed)
{
    waiter *w = e->waiters;
    e->waiters = NULL;
    while (w) { /* (the expiry timer may fire for none of them now: it looks again then) */
        waiter *next = w->next;
        if (w->deadline_ns)
            r->waiting--;
        const bool ok = !failed && e->pub.n_versions > 0;
        char msg[2048];
        if (ok)
            msg[0] = 0;
        else if (e->pub.last_error[0])
            snprintf(msg, sizeof msg, "model '%s': %s", e->pub.name, e->pub.last_error);
        else if (r->closing)
            snprintf(msg, sizeof msg, "model '%s': the server is shutting down", e->pub.name);
        else
            not_found(r, e->pub.name, msg, sizeof msg);
        w->cb(e->pub.name, ok ? 0 : -1, msg, w->arg);
        free(w);
        w = next;
    }
}

/* Loop thread: swap the job's results in. */
static void job_done(uv_work_t *w, int status)
{
    load_job *j = w->data;
    dm_registry *r = j->r;
    reg_entry *e = j->e;
    e->job = NULL;
    r->jobs--;
    if (r->closing || status != 0 || e->unloaded) { /* unloaded on request meanwhile */
        job_free(j);
        r->reserved -= e->reserved;
        e->reserved = 0;
        reg_finish_waiters(r, e, 1);
        return;
    }
    int failed = 0;
    bool retired = false, no_memory = false;
    char first_err[sizeof e->pub.last_error] = "";
    for (size_t i = 0; i < j->n_items; i++) {
        load_item *it = &j->items[i];
        char why[300];
        if (it->model && e->conf.pin_io && e->pub.n_versions > 0 &&
            !same_io(e->pub.versions[0]->model, it->model, why, sizeof why)) {
            snprintf(it->err, sizeof it->err,
                     "version %lld (%s): pin_io is set and its signature changed: %s",
                     (long long)it->version, it->path, why);
            edge_model_unref(it->model);
            it->model = NULL;
            dm_lease_drop(it->lease);
            it->lease = NULL;
        }
        if (!it->model) {
            failed++;
            no_memory |= it->no_memory;
            set_error(r, &e->pub, "%s", it->err);
            if (!first_err[0])
                snprintf(first_err, sizeof first_err, "%s", e->pub.last_error);
            continue;
        }
        reg_version *v = version_new(e, it->version, it->path, &it->st, it->model);
        if (v) {
            v->lease = it->lease;
            it->lease = NULL;
            snprintf(v->why, sizeof v->why, "%s", it->why);
            if (!edge_model_file_backed(v->pub.model) && !e->copy_logged) {
                e->copy_logged = true; /* once per model */
                dm_log(DM_LOG_WARN,
                       "model %s: version %lld serves from a private copy of its file (%s): "
                       "memory the kernel cannot share or drop; see docs/operations.md",
                       e->pub.name, (long long)it->version, it->why);
            }
        }
        if (!v) {
            failed++;
            no_memory = true;
            set_error(r, &e->pub, "version %lld (%s): out of memory", (long long)it->version,
                      it->path);
            continue;
        }
        it->model = NULL; /* the version has it */
        log_loaded(&v->pub, (dm_now_ns() - j->t0_ns) / 1000,
                   e->evictions ? DM_LOG_DEBUG : DM_LOG_INFO);
        if (it->verified[0])
            dm_log(e->evictions ? DM_LOG_DEBUG : DM_LOG_INFO, "model %s version %lld: verified: %s",
                   e->pub.name, (long long)it->version, it->verified);
        reg_entry_insert(r, &e->pub, &v->pub, &retired);
        e->pub.reloads_ok++;
    }
    e->pub.reloads_failed += (uint64_t)failed;
    if (failed && first_err[0])
        snprintf(e->pub.last_error, sizeof e->pub.last_error, "%s", first_err);
    else if (!failed)
        e->pub.last_error[0] = '\0';
    /* Keep what the policy serves among what is loaded now: a version whose
     * new file failed stays (its number is kept). */
    if (reg_entry_drop_others(r, &e->pub, j->keep, j->n_keep))
        retired = true;
    e->pub.loaded = e->pub.n_versions > 0;
    if (retired)
        reg_retired_from(r, &e->pub, false);
    bool wrote = false;
    for (size_t i = 0; i < j->n_items; i++)
        wrote |= j->items[i].packed_new;
    if (wrote) /* the cache's bound: the least recently used files go */
        reg_pack_prune(r);
    job_free(j);
    reg_budget_loaded(r, e); /* the budget: others may go now */
    if (r->budget && e->pub.n_versions == 0 && no_memory)
        e->lazy = true; /* out of memory is not the file's fault: the next request tries again */
    if (e->resync) {
        e->resync = false;
        reg_model_sync(r, e->pub.name, SYNC_AUTO, NULL, NULL, 0); /* the waiters wait for it */
        if (e->job)
            return;
    }
    reg_finish_waiters(r, e, failed);
}

/* NAME's model.conf (defaults when absent or for NAME.tflite); -1 with E's
 * last_error set and logged when it is bad. */
static int read_conf(dm_registry *r, reg_entry *e, dm_model_conf *conf)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s/model.conf", r->cfg.models_dir, e->pub.name);
    if (dm_model_conf_load(path, conf, err, sizeof err) == 0)
        return 0;
    set_error(r, &e->pub, "%s (keeping what is loaded)", err);
    e->pub.reloads_failed++;
    return -1;
}

/* The labels CONF names for E (labels.txt when it names none: optional then; without it, those
 * the model file MODEL carries, if any) into *OUT; -1 with E's last_error set when the file is
 * bad or a named one is missing. */
static int read_labels(dm_registry *r, reg_entry *e, const dm_model_conf *conf, const char *model,
                       edge_labels *out)
{
    char path[4096], err[512];
    *out = (edge_labels){0};
    snprintf(path, sizeof path, "%s/%s/%s", r->cfg.models_dir, e->pub.name,
             conf->labels[0] ? conf->labels : "labels.txt");
    char *text;
    size_t len;
    const int rc = dm_text_file_read(path, DM_LABELS_MAX_BYTES, &text, &len, err, sizeof err);
    if (rc == -ENOENT && !conf->labels[0]) {
        if (!model || edge_labels_from_model(model, out, err, sizeof err) >= 0)
            return 0; /* found, or the model carries none */
        dm_log(DM_LOG_WARN, "model %s: its embedded labels: %s", e->pub.name, err);
        return 0; /* the model still serves, unlabelled */
    }
    if (!rc) {
        const int oom = edge_labels_parse(text, len, out);
        free(text);
        if (!oom)
            return 0;
        snprintf(err, sizeof err, "%.400s: out of memory", path);
    }
    set_error(r, &e->pub, "%s (keeping what is loaded)", err);
    e->pub.reloads_failed++;
    return -1;
}

EDGE_DEFINE_CLEANUP(load_job, job_free)

/* E's files all left the repository: it serves nothing now. */
static void entry_gone(dm_registry *r, reg_entry *e)
{
    if (e->pub.n_versions > 0) {
        reg_entry_drop_others(r, &e->pub, NULL, 0);
        dm_log(DM_LOG_INFO, "model %s: no file left in %s; unloaded", e->pub.name,
               r->cfg.models_dir);
        reg_retired_from(r, &e->pub, true);
    }
    e->pub.loaded = false;
    snprintf(e->pub.last_error, sizeof e->pub.last_error, NO_FILE_MSG " %s", r->cfg.models_dir);
    reg_finish_waiters(r, e, 1);
}

/* A job for what of D (N_ALL versions on disk) CONF serves and E does not
 * have loaded yet (each path moves into the job); NULL without memory. */
static load_job *job_plan(reg_entry *e, const dm_model_conf *conf, disk_scan *d)
{
    int64_t all[SCAN_MAX];
    bool keep_flag[SCAN_MAX];
    for (size_t i = 0; i < d->n; i++)
        all[i] = d->v[i].version;
    dm_model_conf_select(conf, all, d->n, keep_flag);
    _cleanup_(job_freep) load_job *j = calloc(1, sizeof *j);
    if (!j || (d->n && !(j->items = calloc(d->n, sizeof *j->items))))
        return NULL;
    for (size_t i = 0; i < d->n; i++) {
        if (!keep_flag[i] || j->n_keep == DM_MAX_VERSIONS)
            continue;
        j->keep[j->n_keep++] = d->v[i].version;
        const ssize_t have = reg_loaded_index(&e->pub, d->v[i].version);
        if (have >= 0 && same_file((const reg_version *)e->pub.versions[have], &d->v[i].st))
            continue;
        j->items[j->n_items++] = (load_item){
            .version = d->v[i].version, .path = edge_take_ptr(d->v[i].path), .st = d->v[i].st};
    }
    return edge_take_ptr(j);
}

/* J's options: the registry's, and the back ends E's model.conf (or
 * [backends] default) asks for. */
static void job_options(dm_registry *r, reg_entry *e, load_job *j)
{
    j->opt = (edge_model_options){.max_arena_bytes = (size_t)r->cfg.max_arena_bytes,
                                  .max_while_iterations = r->cfg.max_while_iterations,
                                  .isa = (edge_isa)r->cfg.kernel_isa,
                                  .threads = r->cfg.intra_op_threads ? r->cfg.intra_op_threads
                                                                     : EDGE_THREADS_AUTO, /* auto */
                                  .private_copy = 1,
                                  .pack_cache = r->pack.dir ? &r->pack : NULL,
                                  .name = e->pub.name};
    memcpy(j->shapes, e->conf.input_shapes, sizeof j->shapes); /* the job's: a reload may
                                                                * replace the conf */
    j->opt.input_shapes = j->shapes;
    j->opt.n_input_shapes = e->conf.n_input_shapes;
    const char *spec = e->conf.backend[0] ? e->conf.backend : r->cfg.backend_default;
    if (r->backends && dm_backends_select(r->backends, spec, j->bes, &j->opt.n_backends,
                                          j->backend_err, sizeof j->backend_err) == 0)
        j->opt.backends = j->bes;
    else if (!r->backends && strcmp(spec, "auto") != 0 && strcmp(spec, "cpu") != 0)
        snprintf(j->backend_err, sizeof j->backend_err,
                 "backend = %s, but edged has no back ends loaded", spec);
}

/* Start J for E: in libuv's pool, or inline (no loop, or nothing to load). */
static void job_start(dm_registry *r, reg_entry *e, load_job *j)
{
    j->r = r;
    j->e = e;
    j->work.data = j;
    j->t0_ns = dm_now_ns();
    job_options(r, e, j);
    e->job = j;
    r->jobs++;
    if (j->n_items && r->loop && uv_queue_work(r->loop, &j->work, job_work, job_done) == 0)
        return;
    job_work_items(j);
    job_done(&j->work, 0);
}

/* Look at NAME on disk and bring it in line (see above). CB, if given, runs
 * on the loop thread once the model is settled (possibly before this returns). */
void reg_model_sync(dm_registry *r, const char *name, reg_sync_mode mode, dm_load_cb cb, void *arg,
                    uint64_t deadline_ns)
{
    reg_entry *e = reg_entry_find(r, name);
    if (e && e->unloaded && mode != SYNC_EXPLICIT) { /* unloaded on request: left alone */
        if (cb)
            cb(name, -1, "unloaded on request; load it explicitly", arg);
        return;
    }
    if (e && e->job) { /* one job at a time: again when it ends (a load on demand: its end) */
        e->resync |= mode != SYNC_DEMAND;
        add_waiter(r, e, cb, arg, deadline_ns);
        return;
    }
    _cleanup_(reg_disk_scan_clear) disk_scan d = {0};
    const int n = reg_scan_model(r, name, &d);
    if (n < 0 || (n > 0 && !e && !(e = reg_entry_get(r, name)))) {
        dm_log(DM_LOG_ERROR, "model %s: out of memory while scanning %s", name, r->cfg.models_dir);
        r->oom++;
        if (cb)
            cb(name, -1, "out of memory", arg);
        return;
    }
    if (!e) { /* never seen, nothing on disk */
        if (cb) {
            char msg[1024];
            not_found(r, name, msg, sizeof msg);
            cb(name, -1, msg, arg);
        }
        return;
    }
    add_waiter(r, e, cb, arg, deadline_ns);
    dm_model_conf conf;
    edge_labels labels;
    if (read_conf(r, e, &conf) != 0 ||
        read_labels(r, e, &conf, d.n ? d.v[0].path : NULL, &labels) != 0) {
        reg_finish_waiters(r, e, 1);
        return;
    }
    e->conf = conf;
    edge_labels_free(&e->labels);
    e->labels = labels;
    dm_model_conf_describe(&conf, e->pub.policy, sizeof e->pub.policy);
    e->unloaded = false;
    if (d.n == 0) { /* every file gone: unload */
        e->lazy = false;
        entry_gone(r, e);
        return;
    }
    const bool resident = e->pub.n_versions > 0;
    if (r->budget && mode == SYNC_AUTO && !resident && !conf.pin) {
        /* the budget: not resident, it loads on its first request */
        if (!e->lazy || !e->est)
            e->est = (uint64_t)d.v[0].st.st_size; /* until a load tells */
        e->lazy = true;
        e->pub.last_error[0] = '\0';
        reg_finish_waiters(r, e, 1);
        return;
    }
    load_job *j = job_plan(e, &conf, &d);
    if (!j) {
        set_error(r, &e->pub, "out of memory");
        reg_finish_waiters(r, e, 1);
        return;
    }
    j->demand = mode == SYNC_DEMAND;
    if (r->budget && !resident && j->n_items) { /* room for it first, its estimate held */
        reg_budget_make_room(r, e, e->est);
        e->reserved = e->est;
        r->reserved += e->reserved;
    }
    job_start(r, e, j);
}
