/* daemon/registry.h - the model registry: versions, entries, loads, listeners, the memory budget.
 *
 * Owns: the contract of registry*.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_REGISTRY_H
#define EDGED_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/cleanup.h"
#include "daemon.h"
#include "backends.h"
#include "edge/runtime.h"

/* One loaded model version: immutable, reference counted; a request holds a
 * reference from admission to reply. ref/unref are thread safe (a worker's
 * interpreter cache holds references too and may drop the last one). */
typedef struct dm_version {
    atomic_int refs;
    atomic_bool retired; /* left its entry (unloaded, replaced): caches drop it */
    uint64_t uid;        /* unique per loaded version in this process (worker caches key on it) */
    char *name;          /* model name */
    int64_t version;     /* 1 for NAME.tflite */
    char *path;
    edge_model *model;
    struct dm_entry *entry; /* owner entry; valid while refs > 0 */
    int64_t loaded_at_ms;   /* CLOCK_REALTIME when it was loaded */
    /* Its per-node profile (profile.c): NULL until first turned on, then until freed. */
    _Atomic(struct dm_profile *) profile;
} dm_version;

/* Variants of one version kept for requests with resized inputs (registry_variant.c). */
#define DM_MAX_VARIANTS 4
/* Version V with the N input shapes SHAPES (edge_model_resized: where the model's shape
 * signature allows it), a new reference in *OUT: one of V's DM_MAX_VARIANTS variants (the least
 * recently used one is dropped for a new one), a version of its own (its own uid: workers keep
 * an interpreter for it) of V's entry, name and number. 0, or libedge's code with the reason
 * (the input, the dimension, the model's value) in ERR. Any thread. */
int dm_version_resized(dm_version *v, const edge_input_shape *shapes, size_t n, dm_version **out,
                       char *err, size_t errlen);
/* A variant V (dm_version_resized) before its first request is admitted: with [models]
 * memory_budget, least recently used models are evicted for it as for a load; 0 when it fits
 * (or is not a new variant, or there is no budget), -1 with the reason in ERR when it cannot
 * (it is then dropped from its version's variants). Loop thread. */
int dm_registry_variant_fit(dm_registry *r, dm_version *v, char *err, size_t len);
dm_version *dm_version_ref(dm_version *v);
void dm_version_unref(dm_version *v); /* last ref: edge_model_unref */
/* _cleanup_(dm_version_unrefp) dm_version *v: the reference goes with the scope. */
EDGE_DEFINE_CLEANUP(dm_version, dm_version_unref)

/* A named model. Entries live until dm_registry_free (after dm_sched_free), so
 * sched.c and metrics may keep pointers to them. What other modules keep per
 * model (the scheduler's queue, the parse cache) lives in their own side
 * tables, indexed by ID. */
#define DM_MAX_VERSIONS 16
/* What the intra-op teams of a model's interpreters did (edge_interp_thread_stats), summed over
 * every worker, the loop thread and every version since edged started: each adds its
 * interpreter's change after an inference (sched_worker.c); /metrics and the status read it. */
typedef struct dm_team_stats {
    _Atomic uint64_t parallel; /* operator loops spread over the team's threads */
    _Atomic uint64_t solo;     /* loops the calling thread ran alone in a solo spell */
    _Atomic uint64_t spells;   /* solo spells begun (the helpers kept missing loops) */
    _Atomic uint64_t alone;    /* loops run alone because their node was measured faster so */
    /* inferences run with every node alone because whole inferences were measured faster so
     * (alone mode: a hand-off between this machine's CPUs costs more than the model gains) */
    _Atomic uint64_t alone_invokes;
    atomic_int solo_now; /* interpreters whose team was in a spell at the end of its last run */
    /* ns the workers' threads, and their helpers together, spent in the operators' tasks */
    _Atomic uint64_t caller_work_ns, helpers_work_ns;
} dm_team_stats;
typedef struct dm_entry {
    char *name;
    size_t id; /* 0, 1, ... in the order the registry met the models (never reused) */
    /* registry.c (loop thread) */
    dm_version *versions[DM_MAX_VERSIONS]; /* newest first */
    size_t n_versions;
    bool loaded; /* false after unload (the entry stays, empty) */
    char last_error[512];
    char policy[64];                     /* model.conf's version policy, described */
    uint64_t reloads_ok, reloads_failed; /* versions loaded, and loads that failed */
    dm_team_stats team;                  /* any thread */
} dm_entry;
typedef struct dm_registry dm_registry;

dm_registry *dm_registry_new(const dm_config *c); /* copies C */
void dm_registry_free(dm_registry *r);
/* Versions of E left it (replaced, unloaded, their files gone): CB runs on the
 * loop thread once they have; EMPTIED when E serves nothing any more. One hook
 * (request.c's: the scheduler and the parse cache follow); NULL removes it. */
typedef void (*dm_retire_cb)(dm_entry *e, bool emptied, void *arg);
void dm_registry_on_retire(dm_registry *r, dm_retire_cb cb, void *arg);
/* The back ends models may use (model.conf's backend, [backends] default); BS
 * must outlive the registry. Unset: the CPU only. */
void dm_registry_set_backends(dm_registry *r, dm_backends *bs);
/* With a loop, loads run in libuv's thread pool and swap in on the loop
 * thread; without one (the start, tests) they run inline. */
void dm_registry_set_loop(dm_registry *r, uv_loop_t *loop);
/* Map model files under read leases (lease.c, dm_leases_init done) instead of reading private
 * copies; for loads from now on. Off by default (a registry without a loop to answer a lease
 * break on must not hold one). */
void dm_registry_use_leases(dm_registry *r, bool on);
/* 1 when V's model uses its file's pages (mapped, shared, under a lease), 0 when a private copy
 * (*WHY: why, for people). */
int dm_version_file(const dm_version *v, const char **why);
/* A model name: 1 to 64 characters of A-Z a-z 0-9 _ . - not starting with '.'. */
bool dm_model_name_valid(const char *s, size_t n);
/* A VERSION folder name: 1 to 18 digits without a leading zero (as Triton). */
bool dm_version_name_valid(const char *s);
/* Scan the repository: sync every model on disk (new ones load, changed files
 * reload, models gone unload). Inline: returns how many models failed; with a
 * loop: 0 (each sync logs its outcome). -errno (logged) when the repository
 * cannot be read. */
int dm_registry_scan(dm_registry *r);
/* Sync one model with the disk (the watcher): its files and model.conf. */
void dm_registry_sync(dm_registry *r, const char *name);
/* Stop: loads finishing from now on are dropped. Run the loop until idle. */
void dm_registry_close(dm_registry *r);
bool dm_registry_idle(const dm_registry *r);
/* Version V of NAME (V < 0: the newest), with a reference; NULL + message if none. */
dm_version *dm_registry_get(dm_registry *r, const char *name, int64_t v, char *err, size_t len);
/* How a load ended: RC 0 (serving) or -1 with ERR. Loop thread. */
typedef void (*dm_load_cb)(const char *name, int rc, const char *err, void *arg);
/* Load (or reload) NAME on request, also when it was unloaded on request;
 * CB runs when it is settled, possibly before this returns. */
void dm_registry_load(dm_registry *r, const char *name, dm_load_cb cb, void *arg);
int dm_registry_unload(dm_registry *r, const char *name, char *err, size_t len);
/* The entry of NAME, or NULL when the registry has never seen it. */
dm_entry *dm_registry_entry(dm_registry *r, const char *name);
/* What happened to a model (loop thread): a version started serving (loaded
 * or reloaded), a version left (unloaded, replaced by the policy, its file
 * gone), or a load failed (DETAIL says why; what served before still does). */
typedef enum { DM_MODEL_LOADED, DM_MODEL_UNLOADED, DM_MODEL_LOAD_FAILED } dm_model_event;
typedef void (*dm_model_listener)(const char *name, dm_model_event ev, int64_t version,
                                  const char *detail, void *arg);
#define DM_MAX_LISTENERS 4
/* CB hears every event from now on; -1 when DM_MAX_LISTENERS are taken. */
int dm_registry_listen(dm_registry *r, dm_model_listener cb, void *arg);
void dm_registry_unlisten(dm_registry *r, dm_model_listener cb, void *arg);
/* Models serving (with at least one version) and their versions. */
typedef struct dm_census {
    size_t models, versions;
    size_t on_demand; /* models not resident under the memory budget (not in MODELS) */
} dm_census;
dm_census dm_registry_census(dm_registry *r);
/* Iterate names in sorted order; CB returns non-zero to stop. */
typedef int (*dm_entry_cb)(dm_entry *e, void *arg);
int dm_registry_foreach(dm_registry *r, dm_entry_cb cb, void *arg);
const char *dm_entry_name(const dm_entry *e);
/* Versions of E (newest first) into OUT (up to N); returns the count. */
size_t dm_entry_versions(dm_entry *e, dm_version **out, size_t n);
const char *dm_entry_last_error(const dm_entry *e);
bool dm_entry_loading(const dm_entry *e); /* a load is in flight */
/* Unloaded on request (it stays so until loaded again). */
bool dm_entry_unloaded(const dm_entry *e);
/* Not resident under the memory budget: its next request loads it (dm_registry_want). */
bool dm_entry_lazy(const dm_entry *e);
/* Serves nothing because every file it had left the repository. */
bool dm_entry_gone(const dm_entry *e);
/* model.conf as the last sync read it (modelconf.h; the defaults for NAME.tflite). */
struct dm_model_conf;
const struct dm_model_conf *dm_entry_conf(const dm_entry *e);
/* E's class labels as the last sync read them (labelmap.h; empty when it has none). Loop
 * thread. */
struct edge_labels;
const struct edge_labels *dm_entry_labels(const dm_entry *e);
#define DM_LABELS_MAX_BYTES (1024 * 1024) /* a labels file at most */

/* The memory budget ([models] memory_budget; registry_budget.c). With one, models load on
 * their first request (pinned ones at start) and the least recently used go when a load needs
 * room. A front end that finds no version of a model (request.c's dm_request_resolve and
 * dm_request_wait: every front end's) asks dm_registry_want: 0, CB runs on the loop thread
 * (possibly before this returns) once the load ended (RC 0: look again) or DEADLINE_NS
 * (CLOCK_MONOTONIC, 0: none) passed (RC -1, ERR: answer 503 with Retry-After); -1 with ERR,
 * refused now: NAME is not a model that waits for a load (resident, unloaded on request, not
 * known: it changed since the caller looked), too many requests wait for loads, or stopping
 * (503 with Retry-After). */
int dm_registry_want(dm_registry *r, const char *name, uint64_t deadline_ns, dm_load_cb cb,
                     void *arg, char *err, size_t len);
/* Whether E may be evicted (request.c's): 0 idle, 1 requests queued (they still run on the
 * evicted version: idle models go first), 2 never (live sequences keep state in it). */
void dm_registry_set_busy(dm_registry *r, int (*busy)(dm_entry *e, void *arg), void *arg);
typedef struct dm_budget {
    uint64_t budget, used; /* bytes (budget 0: none); used: what the resident versions take */
    unsigned interps;      /* arenas charged per version (one per worker) */
} dm_budget;
dm_budget dm_registry_budget(const dm_registry *r);
/* One model's residency: what its versions take by kind, and its history. */
typedef struct dm_residency {
    bool resident;          /* serving versions */
    bool lazy;              /* on disk, not resident: its next request loads it */
    bool evicted;           /* lazy because the budget unloaded it */
    bool pinned;            /* model.conf pin = yes */
    uint64_t mapped_bytes;  /* its files' and packed-weight cache pages (page cache) */
    uint64_t private_bytes; /* edged's own: prepared data, private copies (charged) */
    uint64_t arena_bytes;   /* arenas, once per interpreter (charged) */
    int64_t last_use_ms;    /* CLOCK_REALTIME of its last request or load; 0: never */
    uint64_t loads, evictions;
} dm_residency;
void dm_entry_residency(const dm_registry *r, const dm_entry *e, dm_residency *out);

#endif
