/* daemon/daemon.h - the edged daemon's internal interfaces (the shared header).
 *
 * Owns: the contracts most of the daemon's modules share: the config, the registry, the
 * scheduler, the request, the front ends' lifecycles. Which files make up the daemon and the
 * layer of each: daemon/layers.txt (the layer check reads it); what a file owns: its opening
 * comment; the map: docs/architecture.md. A module few others use has its own header
 * (request.h, request_params.h, codec.h, http.h, vision_req.h, ...).
 * Threads: the loop thread owns every fd and every module's state except what
 * sched.c hands to workers (a request, read-only model version, the worker's
 * own interpreters) and a version's profile (profile.c: its own mutex). Only sched.c touches the
 * queues, under its mutex. Does not own inference (libedge). */
#ifndef EDGED_DAEMON_H
#define EDGED_DAEMON_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/cleanup.h"
#include "edge/backend.h"
#include "edge/runtime.h"

/* ---------------------------------------------------------------- log.c */
typedef enum { DM_LOG_ERROR = 0, DM_LOG_WARN, DM_LOG_INFO, DM_LOG_DEBUG } dm_log_level;
void dm_log_set_level(dm_log_level l);
dm_log_level dm_log_get_level(void);
/* "error", "warn", "info", "debug" -> level; -1 if unknown. */
int dm_log_parse_level(const char *s);
/* Forget where stderr goes, so that the next message looks again (tests). */
void dm_log_reset(void);
/* One line to stderr with a "<N>" syslog prefix journald understands, and the
 * name "edged: " unless stderr is the journal's stream (JOURNAL_STREAM). Thread safe. */
void dm_log(dm_log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- clock.c */
/* CLOCK_MONOTONIC in nanoseconds: every deadline and timestamp of the daemon. Any thread. */
uint64_t dm_now_ns(void);

/* ---------------------------------------------------------------- config.c */
#define DM_MAX_BACKEND_OPTS 64
typedef struct dm_backend_opt {
    char backend[64]; /* NAME of [backend.NAME] */
    char key[64];
    char value[256];
} dm_backend_opt;

#define DM_CONFIG_SECTIONS_MAX 8     /* front ends' own config sections */
#define DM_CONFIG_SECTION_BYTES 3072 /* the storage of each: its struct at most this big */

/* A config section a front end owns ("[mqtt]"): its rows (config_impl.h's opt, offsets into
 * its own struct) and that struct's size, handed to config.c by dm_config_use_sections. */
struct opt;
typedef struct dm_config_section {
    const char *name;  /* "mqtt" */
    const char *after; /* the section it follows in the file and the man page */
    const char *help;  /* the man page's line about it (roff) */
    const struct opt *opts;
    size_t n_opts;
    size_t size;         /* sizeof its struct, at most DM_CONFIG_SECTION_BYTES */
    bool ignore_unknown; /* keys it has no row for are accepted and ignored (a build without
                          * its front end: frontends.c) */
} dm_config_section;

typedef struct dm_config {
    char socket_path[256]; /* [server] socket */
    uint32_t socket_mode;  /* [server] socket_mode (octal in the file) */
    char admin_group[64];  /* [server] admin_group ("" = root only) */
    char tcp_listen[64];   /* [server] tcp: HOST:PORT, "" = no TCP listener */
    uint32_t max_connections;
    uint32_t max_connections_per_uid; /* 0 = no per-uid limit */
    uint32_t reserved_connections;    /* beyond max_connections, for administrators */
    uint32_t idle_timeout_ms;
    uint32_t header_timeout_ms;
    uint64_t min_body_rate; /* bytes per second, 0 = none */
    uint32_t max_header_bytes;
    uint64_t max_body_bytes;
    uint64_t max_buffered_bytes; /* HTTP bytes buffered across connections */
    uint32_t max_image_pixels;   /* [server] a picture's pixels at most */
    char models_dir[256];        /* [models] repository */
    uint32_t workers;            /* [scheduler] workers, 0 = one per online CPU */
    uint32_t queue_depth;        /* [scheduler] per model */
    uint32_t default_timeout_ms; /* [scheduler] 0 = none */
    uint32_t inline_max_us;      /* [scheduler] run cheaper requests on the loop thread */
    /* [scheduler] sequences (seq.c) */
    uint32_t max_sequences;    /* live sequences per model */
    uint32_t sequence_idle_ms; /* an idle sequence expires after this */
    uint32_t drain_timeout_ms; /* [server] bound on the SIGTERM drain */
    uint64_t max_arena_bytes;  /* [models] per interpreter */
    char cache_dir[256];       /* [models] packed-weight cache: "auto", a folder, "" = none */
    uint64_t cache_max_bytes;  /* [models] bound on the cache's files */
    uint64_t memory_budget;    /* [models] models' own bytes at most (0: none; registry.c) */
    char model_verify[10];     /* [models] verify: "none" | "digest" | "signature" */
    char trusted_keys[256];    /* [models] the folder of the public keys verify trusts */
    int kernel_isa;            /* [models] kernels: an edge_isa (EDGE_ISA_AUTO = best) */
    uint32_t intra_op_threads; /* [models] threads of one inference */
    uint32_t watch;            /* [models] 1: reload changed models (inotify) */
    uint32_t reload_delay_ms;  /* [models] quiet time before a change is applied */
    /* [models] WHILE iterations of one inference (all WHILE operators together) */
    uint32_t max_while_iterations;
    char backend_dir[256];       /* [backends] dir: plugins ("" = the installed folder) */
    char backend_default[256];   /* [backends] default: auto, cpu or names */
    uint32_t backend_fail_limit; /* [backends] fail_limit: device errors in a row */
    /* [backend.NAME] sections, in file order (a plugin's own options) */
    dm_backend_opt backend_opts[DM_MAX_BACKEND_OPTS];
    size_t n_backend_opts;
    uint32_t stuck_worker_ms; /* [systemd] watchdog: longest inference before pings stop */
    char power_profile[12];   /* [power] profile: "performance" | "balanced" | "low" */
    uint32_t exit_idle_s;     /* [power] with socket activation, exit when idle this long */
    int log_level;            /* [log] level */
    /* Each front end's own section (dm_config_use_sections, in that order): its struct, which
     * its file defines, at the start of the slot. Fixed storage, so that a dm_config stays a
     * value (copied, compared on reload). */
    _Alignas(max_align_t) unsigned char sections[DM_CONFIG_SECTIONS_MAX][DM_CONFIG_SECTION_BYTES];
} dm_config;

/* The front ends' sections (before any other dm_config_* call; frontends.c): 0, or -1 when
 * they do not fit (more than DM_CONFIG_SECTIONS_MAX, a struct too big, a name taken). */
int dm_config_use_sections(const dm_config_section *const *s, size_t n);
/* S's struct in C (its defaults, its file values), or NULL when S was not handed over. */
const void *dm_config_section_get(const dm_config *c, const dm_config_section *s);
/* "[SECTION] KEY"'s value in C as the file would say it, into BUF; -1 when there is none. */
int dm_config_get(const dm_config *c, const char *section, const char *key, char *buf, size_t len);
/* Defaults from the option table. */
void dm_config_defaults(dm_config *c);
/* Read an INI file over C. Unknown section/key or bad value: returns -1 with
 * "FILE:LINE: [section] key: what is wrong" in ERR. A missing file is an error
 * only when REQUIRED. */
int dm_config_load(dm_config *c, const char *path, bool required, char *err, size_t len);
/* Apply one override "key" (e.g. "socket", "models", "workers", "log-level"). */
int dm_config_set(dm_config *c, const char *key, const char *value, char *err, size_t len);
/* A numeric "HOST:PORT" ("[V6]:PORT") into SA; -1 with MSG when it is not one. */
struct sockaddr_storage;
int dm_parse_addr(const char *v, struct sockaddr_storage *sa, char *msg, size_t len);
/* Option I of the table (false past the end). LIVE: a SIGHUP applies a new
 * value; otherwise it takes a restart. */
bool dm_config_option(size_t i, const char **section, const char **key, bool *live);
/* Option I's command-line name ("socket", "mqtt-host", ...: edged --NAME VALUE),
 * or NULL when it has none or I is past the end. */
const char *dm_config_cli(size_t i);
/* C as a commented INI file (malloc'd, *len bytes): every option with its help;
 * options at their default are commented out. conf/edged.conf is the defaults. */
char *dm_config_render(const dm_config *c, size_t *len);
/* The option table as the man page edged.conf(5), in roff (malloc'd, *len bytes). */
char *dm_config_render_man(size_t *len);
/* SIGHUP: copy NEXT's live options into CUR; a changed option that needs a
 * restart is logged and kept. Returns the number of options that changed. */
int dm_config_reload(dm_config *cur, const dm_config *next);

/* ---------------------------------------------------------------- backends.c */
/* The back-end plugins edged loaded at start ([backends] dir), shared by every
 * model; they live until dm_backends_free (models hold their own references). */
#define DM_MAX_BACKENDS 16
typedef struct dm_backends dm_backends;
typedef struct dm_server dm_server;

/* "auto", "cpu" or names "a, b" ([a-z0-9_-]+, no repeats, auto/cpu alone): 0, or
 * -1 with what is wrong in MSG. */
int dm_backend_spec_check(const char *spec, char *msg, size_t len);
/* Load every edge-NAME.so of C's folder with its [backend.NAME] options, logging
 * each outcome; a plugin that fails is skipped. NULL only without memory. */
dm_backends *dm_backends_load(const dm_config *c);
void dm_backends_free(dm_backends *bs); /* NULL is fine */
size_t dm_backends_count(const dm_backends *bs);
struct edge_be *dm_backends_get(const dm_backends *bs, size_t i);
const char *dm_backends_dir(const dm_backends *bs);
/* SPEC (as above) into OUT[DM_MAX_BACKENDS], *N entries, priority order (no
 * references taken): auto is every available back end whose selected device is
 * not a CPU, by priority; a name that is not loaded gives -1 and MSG. */
int dm_backends_select(const dm_backends *bs, const char *spec, struct edge_be **out, size_t *n,
                       char *msg, size_t len);
/* Loop thread: log back ends that turned unhealthy since the last call. */
void dm_backends_watch(dm_backends *bs);
/* Reload: apply FAIL_LIMIT and mark every back end healthy again (logged). */
void dm_backends_reset(dm_backends *bs, uint32_t fail_limit);

/* ---------------------------------------------------------------- registry.c */
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

dm_version *dm_version_ref(dm_version *v);
void dm_version_unref(dm_version *v); /* last ref: edge_model_unref */
/* _cleanup_(dm_version_unrefp) dm_version *v: the reference goes with the scope. */
EDGE_DEFINE_CLEANUP(dm_version, dm_version_unref)

/* A named model. Entries live until dm_registry_free (after dm_sched_free), so
 * sched.c and metrics may keep pointers to them. What other modules keep per
 * model (the scheduler's queue, the parse cache) lives in their own side
 * tables, indexed by ID. */
#define DM_MAX_VERSIONS 16
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
 * dm_request_wait: every front end's) asks dm_registry_want: 1, go on (resident,
 * or not a model that loads on demand: dm_registry_get's error stands); 0, CB runs on the loop
 * thread (possibly before this returns) once the load ended (RC 0: look again) or DEADLINE_NS
 * (CLOCK_MONOTONIC, 0: none) passed (RC -1, ERR: answer 503 with Retry-After); -1, refused now
 * (too many requests wait for loads, or stopping: ERR says; 503 with Retry-After). */
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

/* Appends ITEM to the singly linked queue HEAD .. TAIL through ITEM's LINK field (the
 * arguments are lvalues, evaluated more than once). */
#define DM_QUEUE_PUSH(head, tail, item, link) \
    do {                                      \
        (item)->link = NULL;                  \
        if (tail)                             \
            (tail)->link = (item);            \
        else                                  \
            (head) = (item);                  \
        (tail) = (item);                      \
    } while (0)

/* ---------------------------------------------------------------- table.c */
/* A side table: what a module keeps per model (sched.c's queues, the parse
 * cache), indexed by dm_entry.id instead of hung on the registry's structs. */
typedef struct dm_table {
    void **at;
    size_t n;
} dm_table;
static inline void *dm_table_get(const dm_table *t, size_t id)
{
    return id < t->n ? t->at[id] : NULL;
}
/* Slot ID, grown into (new slots NULL) when the table is shorter; NULL without memory. */
void **dm_table_slot(dm_table *t, size_t id);
/* FREE_FN (NULL: none) on every non-NULL slot, then the table; it is empty again. */
void dm_table_free(dm_table *t, void (*free_fn)(void *p));

/* ---------------------------------------------------------------- watch.c */
/* Hot reload: the repository watched through inotify. CB gets each changed
 * model's name once the changes have been quiet for DELAY_MS; RESCAN runs
 * instead when inotify lost events. NULL (logged) when it cannot start. */
typedef struct dm_watch dm_watch;
typedef void (*dm_watch_cb)(const char *name, void *arg);
dm_watch *dm_watch_new(uv_loop_t *loop, const char *repo, uint32_t delay_ms, dm_watch_cb cb,
                       void (*rescan)(void *arg), void *arg);
void dm_watch_free(dm_watch *w); /* its handles close on the loop's next turn */

/* ---------------------------------------------------------------- sched.c */
enum { DM_PRIO_HIGH = 0, DM_PRIO_NORMAL = 1, DM_PRIO_LEVELS = 2 };

typedef enum {
    DM_REQ_OK = 0,
    DM_REQ_BUSY,      /* queue full: 429 */
    DM_REQ_TIMEOUT,   /* deadline passed before it started: 504 */
    DM_REQ_CANCELLED, /* client went away */
    DM_REQ_UNLOADED,  /* model unloaded while queued: 503 */
    DM_REQ_DRAINING,  /* daemon stopping: 503 */
    DM_REQ_ERROR,     /* could not run (no memory for an interpreter; logged): 500 */
    DM_REQ_SEQUENCE,  /* its sequence parameters do not fit the sequence (R->error says): 400 */
} dm_req_status;

/* One admitted inference. request.c makes it from what a front end validated
 * (inputs of exactly the model's input byte counts, output buffers) and calls
 * dm_sched_submit on the loop thread; a worker fills outputs; DONE runs on the
 * loop thread exactly once per admitted request. */
typedef struct dm_request {
    dm_version *v;        /* reference held by the request */
    int priority;         /* DM_PRIO_* */
    uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0 = none */
    uint8_t **in;         /* edge_model_input_count(v->model) buffers */
    uint8_t **out;        /* edge_model_output_count(v->model) buffers */
    dm_req_status status;
    char error[320]; /* DM_REQ_ERROR: what failed (a back end's device error), or "" */
    uint64_t t_admit_ns, t_start_ns, t_end_ns;
    uint64_t t_inputs_ns, t_invoked_ns; /* a run: inputs copied in, the invoke ended (0: none) */
    void (*done)(struct dm_request *r);
    void *owner;
    /* the front end's work on the outputs, on the worker (dm_reply's POST); R->out is NULL */
    void (*post)(struct dm_request *r, const void *const *outs, void *owner);
    /* a request of a sequence (seq.c): the worker loads STATE (the initial state when
     * STATE_FRESH) before the invoke and saves it after; STATE NULL: the initial state, not
     * kept */
    uint8_t *state;
    bool state_fresh;
    bool seq_end;                /* the sequence ends with this request */
    void *seq;                   /* seq.c's */
    struct dm_request *seq_next; /* seq.c's: the sequence's waiting requests */
    /* sched.c private */
    struct dm_request *next;
    atomic_bool cancel;
} dm_request;

typedef struct dm_sched dm_sched;

/* WORKERS 0: one per online CPU. The scheduler keeps LOOP alive while any
 * admitted request has not completed (or a drain callback is pending). */
dm_sched *dm_sched_new(uv_loop_t *loop, unsigned workers, uint32_t queue_depth);
/* Admit R (loop thread). DM_REQ_BUSY when its model's queue is full (R not
 * admitted, DONE not called); DM_REQ_DRAINING when stopping. A queued R whose
 * deadline passes completes then with DM_REQ_TIMEOUT, without running. */
dm_req_status dm_sched_submit(dm_sched *s, dm_request *r);
/* The client went away (loop thread): a queued R completes now with
 * DM_REQ_CANCELLED (DONE runs before this returns); a running one completes
 * later, normally or with DM_REQ_CANCELLED if it had not started (owner must
 * wait). Never call it after DONE ran. */
void dm_sched_cancel(dm_sched *s, dm_request *r);
/* Drop every queued request of ENTRY with DM_REQ_UNLOADED (model unloaded);
 * their DONE runs before this returns. Also does dm_sched_sweep. */
void dm_sched_flush_entry(dm_sched *s, dm_entry *e);
/* Requests of a version whose smoothed compute time is at most MAX_US run on
 * the loop thread when nothing of their model is queued: DONE runs before
 * dm_sched_submit returns (the caller must not touch R after an OK). 0: never
 * (the default); the first request of a version always goes to a worker. */
void dm_sched_set_inline(dm_sched *s, uint32_t max_us);
/* A request is arriving (a large body is being read): if a worker is idle,
 * wake one now to wait on the CPU for it, briefly. A hint; loop thread. */
void dm_sched_prewake(dm_sched *s);
/* Whether dm_sched_prewake acts (default: with 4 or more online CPUs). */
void dm_sched_set_prewake(dm_sched *s, bool on);
size_t dm_sched_prewakes(dm_sched *s); /* how often a worker came to spin (tests, logs) */
/* A version was retired: workers free their interpreters of retired versions. */
void dm_sched_sweep(dm_sched *s);
size_t dm_sched_queue_depth(dm_sched *s, const dm_entry *e); /* NULL: total */
/* V's smoothed compute time (what inline admission goes by); 0 = not yet run. Loop thread. */
uint64_t dm_sched_cost_ns(dm_sched *s, const dm_version *v);
size_t dm_sched_pending(const dm_sched *s); /* admitted, DONE not yet run (loop thread) */
/* How long the longest inference running now on a worker has been running
 * (0: none), and its model's name in *MODEL (the watchdog; any thread). */
uint64_t dm_sched_stuck_ns(dm_sched *s, uint64_t now, const char **model);
unsigned dm_sched_workers(const dm_sched *s);
/* Stop admitting; CB runs on the loop thread when nothing is queued or running. */
void dm_sched_drain(dm_sched *s, void (*cb)(void *arg), void *arg);
/* Joins the workers; call after the drain, not from DONE or the drain callback.
 * Its uv handles close on the loop's next turn (run the loop before closing it). */
void dm_sched_free(dm_sched *s);

/* ---------------------------------------------------------------- seq.c */
/* Sequences (Triton's sequence extension): the requests of one sequence id run one at a time,
 * in arrival order, each from the state the previous one left. Loop thread. */
#define DM_SEQ_ID_MAX 128
/* A request's sequence parameters. An integer id is kept in decimal: 42 and "42" are one
 * sequence; "" (and 0) means no sequence. */
typedef struct dm_seq_params {
    char id[DM_SEQ_ID_MAX + 1];
    bool start, end;
} dm_seq_params;
/* A string id (N bytes): 1 to DM_SEQ_ID_MAX printable ASCII characters without space, quote
 * or backslash; "" and "0" mean none. -1 with the reason in ERR (naming WHERE). */
int dm_seq_set_id(dm_seq_params *p, const char *s, size_t n, const char *where, char *err,
                  size_t len);
void dm_seq_set_id_num(dm_seq_params *p, uint64_t id); /* 0: none */
/* Start or end without an id: -1 with the reason in ERR. */
int dm_seq_check(const dm_seq_params *p, const char *where, char *err, size_t len);

typedef struct dm_seqs dm_seqs;
typedef enum { DM_SEQ_RUN, DM_SEQ_WAIT, DM_SEQ_REFUSED } dm_seq_admission;
/* The sequences of every model; C's max_sequences and sequence_idle_ms are read when used
 * (a reload applies them). NULL without memory. */
dm_seqs *dm_seqs_new(uv_loop_t *loop, const dm_config *c);
/* After every request has been answered; its timer closes on the loop's next turn. */
void dm_seqs_free(dm_seqs *s);
/* Admit R (made for R->v) with P: RUN (submit it: its state is set; a stateless model's
 * request runs as without P), WAIT (it runs when dm_seqs_done hands it back), or REFUSED
 * (R->status and R->error say why; R is not the sequence's). */
dm_seq_admission dm_seqs_admit(dm_seqs *s, dm_request *r, const dm_seq_params *p);
/* R has ended (every admitted request of a sequence comes here once): the next request of its
 * sequence to submit, or NULL. */
dm_request *dm_seqs_done(dm_seqs *s, dm_request *r);
/* SUBMIT(R) now, or once the SUBMIT running on this stack returns (a request answered inside
 * SUBMIT may hand back the next of its sequence: no recursion however many wait). */
void dm_seqs_dispatch(dm_seqs *s, dm_request *r, void (*submit)(dm_request *r));
/* Versions left E: its sequences on them end (a tombstone says so to their next request);
 * their waiting requests come back as a chain (linked by seq_next) for the caller to fail. */
dm_request *dm_seqs_retire(dm_seqs *s, dm_entry *e);
size_t dm_seqs_live(const dm_seqs *s, const dm_entry *e); /* NULL: all models */

/* ---------------------------------------------------------------- health.c */
/* One device's health, as sysfs tells it. */
typedef struct dm_device {
    char name[80];           /* a thermal zone's type ("cpu-thermal", "x86_pkg_temp"), "cpufreq",
                              * "raspberrypi" (the firmware's flags), "edgetpu/apex_0" */
    char kind[16];           /* thermal, cpu, board, tpu */
    double temp_c;           /* NAN: none */
    double trip_c;           /* the critical (thermal) or highest (TPU) trip point; NAN: none */
    int throttled;           /* 1, 0, or -1: not known */
    double cur_mhz, max_mhz; /* cpufreq: the fastest CPU's frequency now, the hardware's top */
    char why[128];           /* what throttles it, for people ("" when not) */
} dm_device;
#define DM_DEVICES_MAX 32
/* The devices under ROOT ("" or NULL: this system; tests: a fake tree) into OUT (up to MAX),
 * in a fixed order; how many. */
size_t dm_health_read(const char *root, dm_device *out, size_t max);
/* The root edged reads: $EDGED_SYSFS_ROOT (tests), else "". */
const char *dm_health_root(void);

/* ---------------------------------------------------------------- metrics.c */
typedef struct dm_metrics dm_metrics;
dm_metrics *dm_metrics_new(void);
void dm_metrics_free(dm_metrics *m);
/* Loop thread only. */
void dm_metrics_request(dm_metrics *m, const char *model, dm_req_status st, uint64_t queue_ns,
                        uint64_t compute_ns);
/* The same for an answered request R (its model, status and timestamps). */
void dm_metrics_record(dm_metrics *m, const dm_request *r);
/* An image request of MODEL prepared its picture in NS (vision_req.c). */
void dm_metrics_image(dm_metrics *m, const char *model, uint64_t ns);
/* Requests answered (every status) and those not OK, of MODEL (NULL: all). */
void dm_metrics_totals(dm_metrics *m, const char *model, uint64_t *total, uint64_t *failed);
/* Triton's statistics of one model version (its statistics extension, codec_stats.c): counts and
 * cumulative nanoseconds. SUCCESS and FAIL: requests answered OK / not OK, admission to
 * answer; QUEUE: requests that ran, admission to start; COMPUTE_*: successful runs, inputs
 * copied in, the invoke, outputs out. One inference per execution (edged does not batch). */
typedef struct dm_dur {
    uint64_t count, ns;
} dm_dur;
/* Triton's response statistics of one response index (edged answers each request with one
 * response: index 0). COMPUTE_INFER and COMPUTE_OUTPUT: responses computed (the request ran),
 * the invoke and the outputs out; SUCCESS and FAIL: those responses by outcome, the sum of
 * both; EMPTY: responses without outputs (none in edged); CANCEL: requests cancelled (edged
 * frees them at once: no cleanup time, ns 0). */
typedef struct dm_response_stats {
    dm_dur compute_infer, compute_output, success, fail, empty, cancel;
} dm_response_stats;
typedef struct dm_version_stats {
    int64_t version;
    int64_t last_inference_ms; /* CLOCK_REALTIME of its last request that ran; 0: none */
    uint64_t inference_count, execution_count;
    dm_dur success, fail, queue, compute_input, compute_infer, compute_output;
    dm_response_stats response; /* response_stats["0"] */
} dm_version_stats;
#define DM_STATS_VERSIONS 16 /* versions of a model kept (the lowest numbers go first) */
/* MODEL's versions with statistics into OUT (at most DM_STATS_VERSIONS), newest first. */
size_t dm_metrics_version_stats(const dm_metrics *m, const char *model,
                                dm_version_stats out[DM_STATS_VERSIONS]);
/* Live sequences per model (S outlives M's use; NULL: none). */
void dm_metrics_set_seqs(dm_metrics *m, const dm_seqs *s);
/* Per back end: health, invocations, failures, CPU fallbacks, time (BS outlives M's use). */
void dm_metrics_set_backends(dm_metrics *m, const dm_backends *bs);
/* Prometheus text exposition into a malloc'd string (*len bytes). */
char *dm_metrics_render(dm_metrics *m, dm_registry *r, dm_sched *s, size_t *len);

/* ---------------------------------------------------------------- mqtt.c */
/* The MQTT front end (mqtt.c: the connection, libmosquitto driven by the
 * loop; mqtt_req.c: requests and replies). */
typedef struct dm_mqtt dm_mqtt;
typedef struct dm_mqtt_stats {
    bool connected; /* the request connection is up */
    uint64_t connects, connect_failures, losses;
    uint64_t received, replies, error_replies;
    uint64_t in_progress;     /* received, reply not yet published */
    uint64_t in_progress_max; /* its high-water mark */
    uint64_t unacked;         /* replies published, not yet acknowledged */
} dm_mqtt_stats;

/* ---------------------------------------------------------------- http.c + oip.c */
#define DM_FRONTENDS_MAX 8 /* front ends a build can register (frontends.c) */
struct dm_exchange;        /* http.h */
struct dm_frontend;        /* frontend.h */

typedef struct dm_daemon {
    uv_loop_t *loop;
    dm_config cfg;
    const char *config_path;
    dm_registry *reg;
    dm_sched *sched;
    dm_metrics *metrics;
    dm_server *server;
    dm_watch *watch;
    void *fe[DM_FRONTENDS_MAX]; /* frontend.h: each front end's state (NULL: off), table order */
    /* The front ends' table (frontends.c, set by dm_frontends_start; NULL before): the calls
     * on all of them (frontend.c) read it here, so that they sit below the front ends. */
    const struct dm_frontend *const *frontends;
    size_t n_frontends;
    /* The HTTP server's handler of a parsed request (main.c sets the OIP router, oip.c): the
     * transport calls up through it. */
    void (*http_handle)(struct dm_daemon *d, struct dm_exchange *x);
    dm_backends *backends;
    struct dm_service *service;
    const char *(*reload)(struct dm_daemon *d); /* main.c: what SIGHUP does; NULL or why not */
    uint64_t started_ns;                        /* dm_now_ns() at start */
    uv_timer_t trim;                            /* memory.c */
    struct dm_codec_cache *parse_cache;         /* codec_cache.c (request.c makes it); NULL: none */
    dm_seqs *seqs;                              /* seq.c (request.c makes it) */
    struct dm_power *power;                     /* power.c: NULL unless exiting when idle */
} dm_daemon;

/* ---------------------------------------------------------------- request.c */
/* The one admission path: every front end hands a request it has validated to
 * dm_request_submit, with how to answer it. */
typedef struct dm_reply {
    /* Optional: R is about to be queued (HTTP: cancel R when the client leaves). */
    void (*admitted)(dm_request *r, void *ctx);
    /* Exactly once per dm_request_submit, on the loop thread, possibly before
     * it returns: R->status is DM_REQ_OK and R->out holds the outputs, or
     * ERROR says for the client why not (the same words on every front end).
     * The metrics are recorded; R and its outputs go when this returns. */
    void (*answer)(dm_request *r, const char *error, void *ctx);
    /* Optional: on the thread that ran R, right after a successful invoke, with the
     * interpreter's outputs (valid during the call only): the front end reads what ANSWER
     * needs from them where the worker left them in its cache (a detection head's scan),
     * instead of copying every output and reading it cold on the loop thread. R gets no
     * output buffers then (R->out is NULL in ANSWER). POST runs off the loop thread: it may
     * touch only what CTX keeps for R; it is not part of R's compute time (t_end_ns). */
    void (*post)(dm_request *r, const void *const *outs, void *ctx);
} dm_reply;

typedef struct dm_request_args {
    dm_version *v;      /* a reference: the request takes it */
    uint8_t *const *in; /* the model's inputs (their exact byte counts), kept until ANSWER */
    int priority;       /* DM_PRIO_* */
    int64_t
        timeout_us; /* it must start within: -1 = [scheduler] default_timeout_ms, 0 = never late */
    const dm_reply *reply;    /* static */
    void *ctx;                /* the front end's, for REPLY */
    const dm_seq_params *seq; /* its sequence, or NULL (as an empty id) */
} dm_request_args;

/* Make the request (its output buffers too), admit it to the scheduler, and
 * answer through A->reply however it ends: queue full, draining, no memory,
 * or DONE. */
void dm_request_submit(dm_daemon *d, const dm_request_args *a);
/* What went wrong with R (R->status, R->v's model), for the client. */
void dm_request_message(const dm_request *r, char *buf, size_t len);
/* When a request with TIMEOUT_US (as dm_request_args) must have started. 0 = no deadline. */
uint64_t dm_request_deadline_ns(const dm_config *c, int64_t timeout_us);
/* Wire the request side to D's registry once D's scheduler exists: when versions
 * leave a model, its queued requests fail (an unload) or workers drop their
 * interpreters, and the parse cache forgets them. Makes d->parse_cache. */
void dm_request_attach(dm_daemon *d);
/* Before dm_sched_free: unwire and free the parse cache (and the sequences, unless requests
 * are still out: then free d->seqs after dm_sched_free). */
void dm_request_detach(dm_daemon *d);

/* ---------------------------------------------------------------- memory.c */
/* glibc's malloc settings for edged (at start, before any allocation). */
void dm_memory_init(void);
/* The same when [models] memory_budget is set: freed model memory goes back at once. */
void dm_memory_budgeted(void);
/* Freed heap goes back to the system a second from now (after a large request
 * body or MQTT payload: glibc keeps up to 64 MiB otherwise). Loop thread. */
void dm_trim_soon(dm_daemon *d);
/* LEN bytes of DATA to FD, then fsync (repo_files.c: a push, Frigate's upload, the cache's
 * key): 0, or -1 with errno. */
int dm_write_synced(int fd, const void *data, size_t len);

/* Listen on cfg.socket_path (or UNIX_FD >= 0, from systemd) and, when TCP_FD
 * >= 0 or [server] tcp is set, on TCP too; serve the Open Inference Protocol.
 * Returns 0 or -errno with a logged reason. */
int dm_server_start(dm_daemon *d, int unix_fd, int tcp_fd);
/* Also listen on [vision] listen (the DeepStack port, vision_api.c): 0 or an error (logged). */
int dm_server_listen_vision(dm_daemon *d);
/* The HTTP server's counters, for /metrics. */
typedef struct dm_http_stats {
    uint64_t connections, reserved; /* open now (reserved: administrators over the limit) */
    uint64_t buffered, buffered_peak, buffered_max; /* bytes, against max_buffered_bytes */
    uint64_t evicted, refused; /* connections closed to make room; refused at a limit */
    uint64_t accepted;         /* connections accepted since the start */
} dm_http_stats;
dm_http_stats dm_server_stats(const dm_server *s);
/* Stop accepting; close idle connections; answered ones close after their reply. */
void dm_server_stop_accepting(dm_server *s);
void dm_server_free(dm_server *s);

/* Start the MQTT front end when [mqtt] host is set: *OUT is NULL when MQTT is
 * off. Connecting happens in the background (and again after every loss, with
 * backoff). -1 (logged) when the configuration cannot work (an unreadable
 * password file, TLS files, ...). */
int dm_mqtt_start(dm_daemon *d, dm_mqtt **out);
/* Stop taking requests, answer those taken, publish offline, leave the broker
 * (requests not taken stay in edged's session there). CB runs on the loop
 * thread when done (possibly before this returns); the loop can then end. */
void dm_mqtt_drain(dm_mqtt *m, void (*cb)(void *arg), void *arg);
/* After the drain (or without a connection): frees M. NULL is fine. */
void dm_mqtt_free(dm_mqtt *m);
/* The front end's figures now. */
dm_mqtt_stats dm_mqtt_stats_get(const dm_mqtt *m);

/* ---------------------------------------------------------------- service.c */
/* edged as a systemd service (sd_notify, watchdog, socket activation). */
typedef enum {
    DM_SERVICE_STARTING,
    DM_SERVICE_READY,
    DM_SERVICE_RELOADING,
    DM_SERVICE_STOPPING,
} dm_service_state;
typedef struct dm_service dm_service;
/* The sockets systemd passed (LISTEN_FDS): the first listening Unix stream
 * socket and the first TCP one, or -1; others are closed with a warning.
 * -1 when the variables are malformed (logged). */
int dm_service_listen_fds(int *unix_fd, int *tcp_fd);
/* Starts the watchdog when systemd asked for one (WATCHDOG_USEC). */
dm_service *dm_service_new(dm_daemon *d);
void dm_service_ready(dm_service *sv); /* READY=1, STATUS= updates from now on */
/* A request arrived (dm_request_submit): the once-a-second housekeeping (STATUS=, the back
 * ends' health, the D-Bus counters) runs again if it had stopped for an idle daemon. */
void dm_service_activity(dm_service *sv);
void dm_service_reloading(dm_service *sv); /* RELOADING=1 + MONOTONIC_USEC */
/* The rescan has started: READY=1 once the registry is idle. */
void dm_service_reload_started(dm_service *sv);
void dm_service_stopping(dm_service *sv); /* STOPPING=1 */
dm_service_state dm_service_get_state(const dm_service *sv);
const char *dm_service_state_name(dm_service_state s);
/* CB runs on every state change (the D-Bus State property). */
void dm_service_on_state(dm_service *sv, void (*cb)(void *arg), void *arg);
void dm_service_free(dm_service *sv); /* its handles close on the loop's next turn */

/* ---------------------------------------------------------------- dbus.c */
/* The management API on D-Bus (org.edged.Edged1, see docs/protocol.md).
 * NULL (logged as a warning) when [dbus] bus is none or cannot be reached. */
typedef struct dm_dbus dm_dbus;
dm_dbus *dm_dbus_start(dm_daemon *d);
void dm_dbus_state_changed(dm_dbus *b); /* the State property changed */
/* The QueueDepth and RequestsTotal change signals, when they changed (service.c's tick, at
 * most once a second). NULL is fine. */
void dm_dbus_tick(dm_dbus *b);
void dm_dbus_free(dm_dbus *b);
/* The name org.edged.Edged1: owned; requested (the bus's answer awaited); refused and asked
 * again with back-off (the bus policy does not let edged own it yet, or another process holds
 * it); the connection lost (reconnecting); off (no D-Bus API: [dbus] bus = none, or no bus at
 * the start). */
typedef enum {
    DM_DBUS_OFF,
    DM_DBUS_REQUESTING,
    DM_DBUS_OWNED,
    DM_DBUS_RETRYING,
    DM_DBUS_DISCONNECTED,
    DM_DBUS_N_STATES
} dm_dbus_name_state;
/* "off", "requesting", "owned", "retrying", "disconnected". */
const char *dm_dbus_name_state_str(dm_dbus_name_state s);
typedef struct dm_dbus_name {
    dm_dbus_name_state state;
    int64_t since_ms;  /* CLOCK_REALTIME: retrying since its first refusal, or owned since */
    uint32_t attempts; /* requests for the name on this connection */
    uint32_t retry_ms; /* retrying: the delay before the next request */
    char error[256];   /* retrying: why the bus refused the last request */
} dm_dbus_name;
/* B's name state into OUT (B NULL: off). */
void dm_dbus_name_get(const dm_dbus *b, dm_dbus_name *out);

/* ---------------------------------------------------------------- power.c */
/* [power] profile = low. */
bool dm_power_low(const dm_config *c);
/* Applies [power] profile to what spins (the scheduler's prewake, intra-op threads); after
 * dm_sched_new. */
void dm_power_apply(dm_daemon *d);
/* The options [power] profile gives back end BACKEND (the Edge TPU's clock, the Vulkan device's
 * idle_release) into OUT: their count. backends.c adds each one its [backend.NAME] section
 * does not set. */
#define DM_POWER_MAX_OPTS 4
size_t dm_power_backend_options(const dm_config *c, const char *backend,
                                edge_be_option out[DM_POWER_MAX_OPTS]);
/* With [power] exit_idle_s and socket activation (UNIX_PASSED: systemd passed the Unix
 * socket; TCP_PASSED: and the TCP one), calls STOP(ARG, "idle") once the daemon has been idle
 * that long. NULL when off or when nothing would start edged again (logged). After every
 * front end has started. */
typedef struct dm_power dm_power;
dm_power *dm_power_start(dm_daemon *d, bool unix_passed, bool tcp_passed,
                         void (*stop)(void *arg, const char *why), void *arg);
void dm_power_free(dm_power *p); /* NULL is fine */

#endif
