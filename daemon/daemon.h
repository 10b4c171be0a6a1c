/* daemon/daemon.h - what the whole daemon shares: the config and the daemon's state (dm_daemon).
 *
 * Owns: dm_config and the config functions' contract (config.c), and dm_daemon, which points at
 * every module's state through forward-declared types. Each module's contract is in its own
 * header, in its own layer (daemon/layers.txt; the layer check reads it): log.h, clock.h,
 * table.h, mem.h (base); backends.h, registry.h, watch.h, health.h (registry); scheduler.h,
 * seq.h (sched); metrics.h, service.h, request.h (request); http.h (transport); mqtt.h,
 * dbus.h (frontends); power.h (main). What a file owns: its opening comment; the map:
 * docs/architecture.md.
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

/* ---------------------------------------------------------------- the daemon */
/* The modules dm_daemon points at (their headers: daemon/layers.txt). */
typedef struct dm_registry dm_registry;
typedef struct dm_sched dm_sched;
typedef struct dm_metrics dm_metrics;
typedef struct dm_server dm_server;
typedef struct dm_watch dm_watch;
typedef struct dm_backends dm_backends;
typedef struct dm_seqs dm_seqs;

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

#endif
