/* daemon/registry_impl.h - what the registry's files share: registry.c (entries,
 * versions, the public API), registry_scan.c (what is on disk) and
 * registry_load.c (syncing a model: load jobs).
 *
 * Owns: the registry's private structs (a version with its file's identity,
 * an entry with its load state and model.conf, the registry itself, what a
 * scan found on disk) and the functions the three files call across.
 * Threads: the loop thread, as registry.c says. */
#ifndef EDGED_REGISTRY_IMPL_H
#define EDGED_REGISTRY_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "backends.h"
#include "byname.h"
#include "common/cleanup.h"
#include "daemon.h"
#include "labelmap.h"
#include "lease.h"
#include "log.h"
#include "modelconf.h"
#include "modellabels.h"
#include "registry.h"

#define SCAN_MAX (4 * DM_MAX_VERSIONS) /* versions looked at on disk (the policy picks) */
/* last_error of a model whose files all left the repository (dm_entry_gone) */
#define NO_FILE_MSG "no file in the repository"

/* A version with the identity of the file it came from. */
typedef struct reg_version {
    dm_version pub; /* first: a dm_version * is a reg_version * */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    dm_lease *lease; /* the file's read lease while the model maps it (lease.c), or NULL */
    char why[160];   /* loaded as a private copy: why the file was not leased */
    /* its variants with resized inputs (registry_variant.c; references), NULL: free slots */
    dm_version *variants[DM_MAX_VARIANTS];
    uint64_t variant_used[DM_MAX_VARIANTS]; /* least recently used goes first */
    bool variant;  /* it is one of those variants (set before anyone else sees it) */
    bool budgeted; /* a variant the memory budget has taken in (loop thread) */
} reg_version;
/* registry_load.c: a version's uid, unique in this process. */
uint64_t reg_next_uid(void);
/* registry_variant.c: V's variants released (the last reference to V going). */
void reg_variants_free(reg_version *v);
/* What V's variants take: their private bytes (their own packed weights: a variant packs the
 * weights again, without the cache) into *PRIV, one arena of each into *ARENA (added). */
void reg_variants_charge(const reg_version *v, uint64_t *priv, uint64_t *arena);
/* VAR leaves V's variants (its references keep it): true when it was one of them. */
bool reg_variant_drop(reg_version *v, const dm_version *var);

typedef struct load_job load_job; /* registry_load.c */

/* A caller of dm_registry_load (or of dm_registry_want: with a deadline) waiting for the model
 * to settle. */
typedef struct waiter {
    dm_load_cb cb;
    void *arg;
    uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0: none (dm_registry_load's) */
    struct waiter *next;
} waiter;

typedef struct reg_entry {
    dm_entry pub;  /* first (its name first: byname.h) */
    bool unloaded; /* unloaded on request: a rescan leaves it alone */
    load_job *job; /* the load in flight, if any */
    bool resync;   /* look again when it ends */
    waiter *waiters;
    dm_model_conf conf;
    edge_labels labels; /* NAME/labels.txt or model.conf's labels (empty: none) */
    bool copy_logged;   /* a version served from a private copy was logged */
    /* the memory budget (registry_budget.c) */
    bool lazy;            /* on disk, not resident: its first request loads it */
    bool evicted;         /* lazy because the budget unloaded it (else: not loaded yet) */
    uint64_t est;         /* its charge when last resident, or its file's size before */
    uint64_t reserved;    /* EST, reserved in the budget for the load in flight */
    uint64_t last_use_ns; /* CLOCK_MONOTONIC of its last request (LRU) */
    int64_t last_use_ms;  /* CLOCK_REALTIME of the same, for people; 0: never */
    uint64_t evictions;
} reg_entry;

struct dm_registry {
    dm_config cfg;
    dm_test_stall load_stall; /* EDGED_TEST_LOAD_STALL=MODEL:MS: its loads wait MS ms first */
    dm_retire_cb on_retire; /* versions left an entry (request.c: the scheduler, caches) */
    void *retire_arg;
    dm_backends *backends; /* NULL: the CPU only */
    uv_loop_t *loop;       /* NULL: loads run inline */
    bool leases;           /* map model files under read leases (lease.c); else private copies */
    edge_pack_cache pack;  /* the packed-weight cache (pack.dir NULL: none) */
    char pack_dir[256];
    unsigned char pack_key[32]; /* its MAC's key (registry_pack.c) */
    size_t jobs;                /* loads in flight */
    bool closing;
    dm_byname entries; /* reg_entry, sorted by name */
    size_t oom;        /* syncs that ran out of memory (a scan counts them as failed) */
    /* the memory budget (registry_budget.c) */
    uint64_t budget;    /* [models] memory_budget (0: none) */
    uint64_t reserved;  /* estimates of the loads in flight on demand */
    unsigned interps;   /* interpreters (arenas) a version may have: one per worker */
    size_t waiting;     /* waiters with a deadline, at most WAIT_MAX */
    uv_timer_t *expiry; /* fires at the earliest waiter's deadline */
    uint64_t armed_ns;  /* when it fires (0: stopped) */
    int (*busy)(dm_entry *e, void *arg); /* dm_registry_set_busy */
    void *busy_arg;
    struct {
        dm_model_listener cb;
        void *arg;
    } listeners[DM_MAX_LISTENERS];
};

static inline reg_entry *reg_entry_at(const dm_registry *r, size_t i)
{
    return r->entries.at[i];
}

/* One version found on disk. */
typedef struct disk_version {
    int64_t version;
    char *path;
    struct stat st;
} disk_version;

/* What reg_scan_model found: N versions, newest first. */
typedef struct disk_scan {
    disk_version *v;
    size_t n;
} disk_scan;

/* ---------------------------------------------------------------- registry.c */
extern const char reg_name_rule[]; /* what a model name may be, for messages */
/* Versions left E (EMPTIED: all of them): tell the hook. */
void reg_retired_from(const dm_registry *r, dm_entry *e, bool emptied);
/* Tell the listeners (D-Bus, MQTT) what happened to NAME. */
void reg_emit(const dm_registry *r, const char *name, dm_model_event ev, int64_t version,
              const char *detail);
/* V leaves its entry: workers drop their interpreters of it; requests holding
 * it finish on it. */
void reg_version_retire(dm_version *v);
reg_entry *reg_entry_find(const dm_registry *r, const char *name); /* NULL: never seen */
reg_entry *reg_entry_get(dm_registry *r, const char *name); /* made on first use; NULL: no memory */
/* Where version VERSION is in E's list, or -1. */
ssize_t reg_loaded_index(const dm_entry *e, int64_t version);
/* Put V (a new version) into E, newest first; it replaces a loaded version with
 * the same number. Beyond DM_MAX_VERSIONS the oldest is retired. */
void reg_entry_insert(const dm_registry *r, dm_entry *e, dm_version *v, bool *retired);
/* Retire the versions of E that KEEP (N numbers) does not hold; how many went. */
size_t reg_entry_drop_others(const dm_registry *r, dm_entry *e, const int64_t *keep, size_t n);

/* ---------------------------------------------------------------- registry_scan.c */
/* Every version of NAME on disk, newest first, at most SCAN_MAX.
 * Returns -1 (out of memory), 0 (nothing), or the count. */
int reg_scan_model(dm_registry *r, const char *name, disk_scan *out);
void reg_disk_scan_clear(disk_scan *s);

/* ---------------------------------------------------------------- registry_load.c */
typedef enum {
    SYNC_AUTO,     /* a scan or the watcher: with a budget, a model not resident stays so */
    SYNC_DEMAND,   /* a request wants it resident (not one unloaded on request) */
    SYNC_EXPLICIT, /* dm_registry_load: also one unloaded on request */
} reg_sync_mode;
/* Look at NAME on disk and bring it in line. CB, if given, runs on the loop
 * thread once the model is settled (possibly before this returns); DEADLINE_NS (0: none) is
 * when it stops waiting (registry_budget.c answers it then). */
void reg_model_sync(dm_registry *r, const char *name, reg_sync_mode mode, dm_load_cb cb, void *arg,
                    uint64_t deadline_ns);
/* Tell every waiter of E how the model stands now. */
void reg_finish_waiters(dm_registry *r, reg_entry *e, int failed);

/* ---------------------------------------------------------------- registry_budget.c */
#define WAIT_MAX 4096 /* requests waiting for loads, across models */
/* What E's versions are charged: private data, and arenas once per interpreter. */
uint64_t reg_entry_charge(const dm_registry *r, const dm_entry *e);
/* Unload least recently used models (not pinned, not KEEP, not loading or awaited) until the
 * resident ones, the loads in flight and NEED fit the budget. */
void reg_budget_make_room(dm_registry *r, const reg_entry *keep, uint64_t need);
/* A load of E ended (E's reservation goes): hold the budget, keeping E. */
void reg_budget_loaded(dm_registry *r, reg_entry *e);
/* A waiter with DEADLINE_NS came: the expiry timer fires by then (0: at the earliest
 * deadline of all, looked up). */
void reg_budget_arm(dm_registry *r, uint64_t deadline_ns);
/* The expiry timer: made once the registry has a loop; closed by dm_registry_close. */
void reg_budget_start(dm_registry *r);
void reg_budget_stop(dm_registry *r);

/* The packed-weight cache of [models] cache_dir (registry_pack.c): set up with the registry
 * (none when the folder is not there, not writable, or writable by others than edged, said
 * once), and held to cache_max_bytes after a load wrote a file. */
void reg_pack_setup(dm_registry *r);
void reg_pack_prune(dm_registry *r);

#endif
