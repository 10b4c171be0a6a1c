/* daemon/registry.c - the model repository: entries, versions, the public API.
 *
 * Owns: the entries (one per model name, kept sorted, alive until
 * dm_registry_free), the versions each serves (newest first, reference
 * counted), model and version names, explicit load and unload, listeners and
 * the retire hook, and the accessors registry.h declares.
 * The registry is these files (registry_impl.h is what they share): this one;
 * registry_scan.c (what is on disk: the repository's models and each model's
 * versions); registry_load.c (syncing a model with the disk: load jobs off
 * the loop thread, swapping versions in, load errors); registry_budget.c (the
 * memory budget); registry_pack.c (the packed-weight cache: its folder, key
 * and bound).
 * Layouts (DESIGN.md §3): REPO/NAME.tflite, served as version 1, and
 * REPO/NAME/VERSION/model.tflite with numeric VERSION folders; each model's
 * NAME/model.conf gives its version policy and pin_io (modelconf.c).
 * Does not own: queues and other per-model state of other modules (side
 * tables; the retire hook tells them when versions leave) or noticing changes (watch.c calls
 * dm_registry_sync; SIGHUP and edgectl reload call dm_registry_scan).
 *
 * Threads: everything here runs on the loop thread, except the load jobs'
 * work (which touches only its job) and dm_version_ref/dm_version_unref,
 * which are thread safe (atomic count; whoever drops the last reference
 * frees the version, possibly a worker evicting its cache). A request keeps
 * the version it was admitted on: a reload swaps the entry's pointer, and the
 * old version (its private copy of the file) goes when its last request ends.
 * A sync loads new and changed versions the policy selects, retires those it
 * no longer selects or whose files are gone, unloads a model with no file
 * left, and leaves alone a model unloaded on request until dm_registry_load.
 * A version that fails to load leaves the one serving under its number
 * untouched; the failure goes to the log (one line), last_error and the
 * failure counter. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends.h"
#include "clock.h"
#include "log.h"
#include "profile.h"
#include "registry.h"
#include "registry_impl.h"

#define NAME_MAX_LEN 64
#define VERSION_DIGITS_MAX 18

/* ------------------------------------------------------------ versions */

dm_version *dm_version_ref(dm_version *v)
{
    if (v)
        atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
    return v;
}

void dm_version_unref(dm_version *v)
{
    if (!v || atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) != 1)
        return;
    dm_profile_free(v);
    reg_variants_free((reg_version *)v);
    dm_lease_drop(((reg_version *)v)->lease);
    edge_model_unref(v->model);
    free(v->name);
    free(v->path);
    free((reg_version *)v);
}

/* Versions left E (EMPTIED: all of them): tell the hook. */
void reg_retired_from(const dm_registry *r, dm_entry *e, bool emptied)
{
    if (r->on_retire)
        r->on_retire(e, emptied, r->retire_arg);
}

/* Tell the listeners (D-Bus, MQTT) what happened to NAME. */
void reg_emit(const dm_registry *r, const char *name, dm_model_event ev, int64_t version,
              const char *detail)
{
    for (size_t i = 0; i < DM_MAX_LISTENERS; i++)
        if (r->listeners[i].cb)
            r->listeners[i].cb(name, ev, version, detail, r->listeners[i].arg);
}

/* V leaves its entry: workers drop their interpreters of it; requests holding
 * it finish on it. */
void reg_version_retire(dm_version *v)
{
    atomic_store(&v->retired, true);
    dm_version_unref(v);
}

/* ------------------------------------------------------------ names */

bool dm_model_name_valid(const char *s, size_t n)
{
    if (n < 1 || n > NAME_MAX_LEN || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

const char reg_name_rule[] =
    "names are 1 to 64 characters of A-Z a-z 0-9 _ . - and do not start with '.'";

bool dm_version_name_valid(const char *s)
{
    const size_t n = strlen(s);
    return n >= 1 && n <= VERSION_DIGITS_MAX && s[0] != '0' && strspn(s, "0123456789") == n;
}

/* ------------------------------------------------------------ entries */

reg_entry *reg_entry_find(const dm_registry *r, const char *name)
{
    return dm_byname_find(&r->entries, name);
}

reg_entry *reg_entry_get(dm_registry *r, const char *name)
{
    bool created;
    const size_t id = r->entries.n; /* entries never leave before dm_registry_free */
    reg_entry *e = dm_byname_get(&r->entries, name, sizeof *e, &created);
    if (e && created)
        e->pub.id = id;
    return e;
}

ssize_t reg_loaded_index(const dm_entry *e, int64_t version)
{
    for (size_t i = 0; i < e->n_versions; i++)
        if (e->versions[i]->version == version)
            return (ssize_t)i;
    return -1;
}

/* Put V (a new version) into E, newest first; it replaces a loaded version with
 * the same number. Beyond DM_MAX_VERSIONS the oldest is retired. */
void reg_entry_insert(const dm_registry *r, dm_entry *e, dm_version *v, bool *retired)
{
    const ssize_t same = reg_loaded_index(e, v->version);
    reg_emit(r, e->name, DM_MODEL_LOADED, v->version, v->path);
    if (same >= 0) {
        reg_version_retire(e->versions[same]);
        e->versions[same] = v;
        *retired = true;
        return;
    }
    if (e->n_versions == DM_MAX_VERSIONS) {
        if (e->versions[DM_MAX_VERSIONS - 1]->version > v->version) {
            reg_version_retire(v); /* older than everything kept */
            return;
        }
        dm_version *old = e->versions[--e->n_versions];
        reg_emit(r, e->name, DM_MODEL_UNLOADED, old->version, "more versions than edged keeps");
        reg_version_retire(old);
        *retired = true;
    }
    size_t at = 0;
    while (at < e->n_versions && e->versions[at]->version > v->version)
        at++;
    memmove(e->versions + at + 1, e->versions + at, (e->n_versions - at) * sizeof *e->versions);
    e->versions[at] = v;
    e->n_versions++;
}

/* Retire the versions of E that KEEP (N numbers) does not hold. */
size_t reg_entry_drop_others(const dm_registry *r, dm_entry *e, const int64_t *keep, size_t n)
{
    size_t dropped = 0, w = 0;
    for (size_t i = 0; i < e->n_versions; i++) {
        bool kept = false;
        for (size_t k = 0; k < n && !kept; k++)
            kept = keep[k] == e->versions[i]->version;
        if (kept) {
            e->versions[w++] = e->versions[i];
        } else {
            const char *why = n ? "not selected by the version policy or its file is gone"
                                : "no file left in the repository";
            dm_log(DM_LOG_INFO, "model %s version %lld: unloaded (%s)", e->name,
                   (long long)e->versions[i]->version, why);
            reg_emit(r, e->name, DM_MODEL_UNLOADED, e->versions[i]->version, why);
            reg_version_retire(e->versions[i]);
            dropped++;
        }
    }
    for (size_t i = w; i < e->n_versions; i++)
        e->versions[i] = NULL;
    e->n_versions = w;
    return dropped;
}

/* ------------------------------------------------------------ the registry */

dm_registry *dm_registry_new(const dm_config *c)
{
    dm_registry *r = calloc(1, sizeof *r);
    if (r) {
        r->cfg = *c;
        r->budget = c->memory_budget;
        const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        /* an arena per worker, and the loop thread's when it runs cheap requests itself */
        r->interps = (c->workers ? c->workers : (unsigned)(cpus > 0 ? cpus : 1)) +
                     (c->inline_max_us ? 1u : 0u);
        reg_pack_setup(r);
        dm_test_stall_init(&r->load_stall, "EDGED_TEST_LOAD_STALL", "loads");
    }
    return r;
}

void dm_registry_free(dm_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->entries.n; i++) {
        dm_entry *e = &reg_entry_at(r, i)->pub;
        for (size_t j = 0; j < e->n_versions; j++)
            reg_version_retire(e->versions[j]);
        for (waiter *w = reg_entry_at(r, i)->waiters, *next; w; w = next) {
            next = w->next;
            free(w);
        }
        free(e->name);
        edge_labels_free(&reg_entry_at(r, i)->labels);
        free(reg_entry_at(r, i));
    }
    free(r->entries.at);
    free(r);
}

void dm_registry_on_retire(dm_registry *r, dm_retire_cb cb, void *arg)
{
    r->on_retire = cb;
    r->retire_arg = arg;
}

void dm_registry_set_backends(dm_registry *r, dm_backends *bs)
{
    r->backends = bs;
}

void dm_registry_set_loop(dm_registry *r, uv_loop_t *loop)
{
    r->loop = loop;
    if (r->budget)
        reg_budget_start(r);
}

void dm_registry_use_leases(dm_registry *r, bool on)
{
    r->leases = on;
}

int dm_version_file(const dm_version *v, const char **why)
{
    const reg_version *rv = (const reg_version *)v;
    if (edge_model_file_backed(v->model)) {
        *why = "";
        return 1;
    }
    *why = rv->why[0] ? rv->why : "a writer opened the file while it served";
    return 0;
}

void dm_registry_close(dm_registry *r)
{
    r->closing = true;
    reg_budget_stop(r);
    /* whoever waits is answered now, while the front ends that wait are there to answer */
    for (size_t i = 0; i < r->entries.n; i++)
        reg_finish_waiters(r, reg_entry_at(r, i), 1);
}

static int census_entry(dm_entry *e, void *arg)
{
    dm_census *c = arg;
    c->models += e->n_versions > 0;
    c->versions += e->n_versions;
    c->on_demand += e->n_versions == 0 && ((reg_entry *)e)->lazy;
    return 0;
}

dm_census dm_registry_census(dm_registry *r)
{
    dm_census c = {0, 0, 0};
    if (r)
        dm_registry_foreach(r, census_entry, &c);
    return c;
}

bool dm_registry_idle(const dm_registry *r)
{
    return r->jobs == 0;
}

dm_version *dm_registry_get(dm_registry *r, const char *name, int64_t v, char *err, size_t len)
{
    reg_entry *e = reg_entry_find(r, name);
    if (!e) {
        snprintf(err, len, "unknown model '%s'", name);
        return NULL;
    }
    const dm_entry *p = &e->pub;
    if (p->n_versions == 0 && e->lazy) {
        snprintf(err, len,
                 "model '%s' is not resident (%s to stay within [models] memory_budget); its "
                 "load has started: try again shortly",
                 name, e->evicted ? "evicted" : "not loaded yet");
        return NULL;
    }
    if (r->budget) { /* the least recently used go first */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME_COARSE, &now);
        e->last_use_ns = dm_now_ns();
        e->last_use_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    }
    if (p->n_versions == 0) {
        snprintf(err, len, "model '%s' is not loaded%s%s", name, p->last_error[0] ? ": " : "",
                 p->last_error);
        return NULL;
    }
    if (v < 0)
        return dm_version_ref(p->versions[0]);
    const ssize_t i = reg_loaded_index(p, v);
    if (i >= 0)
        return dm_version_ref(p->versions[i]);
    char have[160] = "";
    size_t used = 0;
    for (size_t j = 0; j < p->n_versions && used < sizeof have; j++) {
        const int k = snprintf(have + used, sizeof have - used, "%s%lld", j ? ", " : "",
                               (long long)p->versions[j]->version);
        used += k > 0 ? (size_t)k : 0;
    }
    snprintf(err, len, "model '%s' has no version %lld (loaded: %s)", name, (long long)v, have);
    return NULL;
}

void dm_registry_load(dm_registry *r, const char *name, dm_load_cb cb, void *arg)
{
    if (!dm_model_name_valid(name, strlen(name))) {
        char err[256];
        snprintf(err, sizeof err, "invalid model name '%s': %s", name, reg_name_rule);
        cb(name, -1, err, arg);
        return;
    }
    reg_model_sync(r, name, SYNC_EXPLICIT, cb, arg, 0);
}

int dm_registry_unload(dm_registry *r, const char *name, char *err, size_t len)
{
    reg_entry *e = reg_entry_find(r, name);
    if (!e || (e->pub.n_versions == 0 && !e->lazy)) {
        snprintf(err, len, "model '%s' is not loaded", name);
        return -1;
    }
    dm_entry *p = &e->pub;
    e->lazy = false; /* not loaded on demand either, until loaded explicitly */
    for (size_t i = 0; i < p->n_versions; i++) {
        reg_emit(r, name, DM_MODEL_UNLOADED, p->versions[i]->version, "unloaded on request");
        reg_version_retire(p->versions[i]);
        p->versions[i] = NULL;
    }
    const size_t dropped = p->n_versions;
    p->n_versions = 0;
    p->loaded = false;
    e->unloaded = true;
    reg_retired_from(r, p, true);
    dm_log(DM_LOG_INFO, "model %s: unloaded (%zu version%s)", name, dropped,
           dropped == 1 ? "" : "s");
    return 0;
}

dm_entry *dm_registry_entry(dm_registry *r, const char *name)
{
    reg_entry *e = reg_entry_find(r, name);
    return e ? &e->pub : NULL;
}

int dm_registry_listen(dm_registry *r, dm_model_listener cb, void *arg)
{
    for (size_t i = 0; i < DM_MAX_LISTENERS; i++)
        if (!r->listeners[i].cb) {
            r->listeners[i].cb = cb;
            r->listeners[i].arg = arg;
            return 0;
        }
    return -1;
}

void dm_registry_unlisten(dm_registry *r, dm_model_listener cb, void *arg)
{
    for (size_t i = 0; i < DM_MAX_LISTENERS; i++)
        if (r->listeners[i].cb == cb && r->listeners[i].arg == arg)
            r->listeners[i].cb = NULL;
}

int dm_registry_foreach(dm_registry *r, dm_entry_cb cb, void *arg)
{
    for (size_t i = 0; i < r->entries.n; i++) {
        const int rc = cb(&reg_entry_at(r, i)->pub, arg);
        if (rc)
            return rc;
    }
    return 0;
}

const char *dm_entry_name(const dm_entry *e)
{
    return e->name;
}

size_t dm_entry_versions(dm_entry *e, dm_version **out, size_t n)
{
    const size_t k = e->n_versions < n ? e->n_versions : n;
    for (size_t i = 0; i < k; i++)
        out[i] = e->versions[i];
    return k;
}

const char *dm_entry_last_error(const dm_entry *e)
{
    return e->last_error;
}

bool dm_entry_loading(const dm_entry *e)
{
    return ((const reg_entry *)e)->job != NULL;
}

bool dm_entry_lazy(const dm_entry *e)
{
    return ((const reg_entry *)e)->lazy;
}

bool dm_entry_unloaded(const dm_entry *e)
{
    return ((const reg_entry *)e)->unloaded;
}

bool dm_entry_gone(const dm_entry *e)
{
    return e->n_versions == 0 && !dm_entry_loading(e) &&
           strncmp(e->last_error, NO_FILE_MSG, sizeof NO_FILE_MSG - 1) == 0;
}

const struct dm_model_conf *dm_entry_conf(const dm_entry *e)
{
    return &((const reg_entry *)e)->conf;
}

const struct edge_labels *dm_entry_labels(const dm_entry *e)
{
    return &((const reg_entry *)e)->labels;
}
