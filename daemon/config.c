/* daemon/config.c - edged's configuration: one table of options.
 *
 * Owns: the option table (section, key, command-line name, type, bounds,
 * default, whether SIGHUP applies it, help text) and what is read from it: the
 * defaults, reading an INI file through inih with "FILE:LINE: [section] key:
 * what is wrong" messages, command-line overrides and applying a re-read file
 * on SIGHUP.
 * Does not own: the syntax of each type of value (config_values.c), rendering
 * the table as an INI file or a man page (config_render.c), what the options
 * mean to the modules that use them.
 *
 * The file is parsed into a copy and committed only when every line is good:
 * the first unknown key, unknown section or bad value stops the load. */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config_impl.h"
#include "log.h"

/* Longest path bind(2) accepts in sockaddr_un.sun_path (108 bytes with the NUL). */
#define SOCKET_PATH_MAX 107

#define FIELD(f) offsetof(dm_config, f), sizeof(((dm_config *)0)->f)

static const opt dm_config_options[] = {
    {"server", "socket", "socket", OPT_PATH, FIELD(socket_path), 1, SOCKET_PATH_MAX,
     "/run/edged/edged.sock", false,
     "Unix socket serving HTTP/1.1 and the Open Inference Protocol v2. Its folder must exist. "
     "Not used when systemd passes a listening socket (socket activation).",
     NULL},
    {"server", "socket_mode", NULL, OPT_MODE, FIELD(socket_mode), 0, 0777, "0660", false,
     "Permissions of the socket file, in octal. A client needs write permission to connect.", NULL},
    {"server", "tcp", "tcp", OPT_ADDR, FIELD(tcp_listen), 0, 63, "", false,
     "Also serve HTTP on this TCP address (a numeric HOST:PORT, such as 127.0.0.1:8080 or "
     "[::1]:8080). Empty: no TCP listener. Over TCP the peer's credentials are unknown, so the "
     "admin endpoints answer 403 there. Not used when systemd passes a TCP socket.",
     NULL},
    {"server", "admin_group", NULL, OPT_STRING, FIELD(admin_group), 0, 63, "edged", true,
     "Group whose members may use the admin endpoints (/v2/repository: index, load, unload). "
     "Root always may. Empty: root only. The package creates the group edged, whose members "
     "may also call the D-Bus methods that change things.",
     NULL},
    {"server", "max_connections", NULL, OPT_UINT, FIELD(max_connections), 1, 65536, "256", true,
     "Connections served at once on each listener (the Unix socket, [server] tcp and [vision] "
     "listen each have this many, so that a LAN-facing port cannot starve the local socket). "
     "When a new one arrives at the limit, a connection of that listener is closed to make "
     "room: one lingering after its last reply, else the oldest idle keep-alive one (between "
     "requests), else the oldest that has not completed a request (sending nothing, or still "
     "sending its headers or body, answered 503); only when every connection is busy with a "
     "request is the newcomer answered 503. A connection that has sent nothing is not closed "
     "for another within 250 ms of its accept: the newcomer waits in the backlog.",
     NULL},
    {"server", "max_connections_per_uid", NULL, OPT_UINT, FIELD(max_connections_per_uid), 0, 65536,
     "0", true,
     "Connections one local user (the peer's uid on the Unix socket, SO_PEERCRED) may hold at "
     "once, so that one user cannot starve another; at the limit one of that user's "
     "connections makes room, chosen as for max_connections. 0: no limit below "
     "max_connections.",
     NULL},
    {"server", "reserved_connections", NULL, OPT_UINT, FIELD(reserved_connections), 0, 1024, "8",
     true,
     "Connections accepted beyond max_connections for administrators (root or admin_group, known "
     "on the Unix socket), so that health checks, metrics and the admin endpoints keep working "
     "under a flood.",
     NULL},
    {"server", "idle_timeout_ms", NULL, OPT_UINT, FIELD(idle_timeout_ms), 10, 86400000, "30000",
     true,
     "A connection that sends nothing for this long (milliseconds) between requests, or does not "
     "read its replies for this long, is closed.",
     NULL},
    {"server", "header_timeout_ms", NULL, OPT_UINT, FIELD(header_timeout_ms), 10, 3600000, "10000",
     true,
     "The request line and headers must arrive within this long (milliseconds) of the request's "
     "first byte; otherwise 408 and the connection closes. It is also the window over which "
     "min_body_rate is measured.",
     NULL},
    {"server", "min_body_rate", NULL, OPT_BYTES, FIELD(min_body_rate), 0, 1 * GIB, "1K", true,
     "Slowest a request body may arrive, in bytes per second, measured over each "
     "header_timeout_ms window after the headers; a slower body is answered 408 and the "
     "connection closes. 0: no minimum.",
     NULL},
    {"server", "max_buffered_bytes", NULL, OPT_BYTES, FIELD(max_buffered_bytes), 1 * MIB, 64 * GIB,
     "128M", true,
     "Memory for HTTP traffic across all connections: request headers and bodies being read "
     "(announced bodies are counted in full when their headers arrive), decoded bodies, and "
     "replies waiting for a slow reader. A body that does not fit is refused at its headers with "
     "503 and Retry-After; a connection whose replies do not fit stops reading until they are "
     "written.",
     NULL},
    {"server", "max_header_bytes", NULL, OPT_BYTES, FIELD(max_header_bytes), 1 * KIB, 1 * MIB,
     "16K", true, "Largest request line plus headers; a larger request is refused.", NULL},
    {"server", "max_body_bytes", NULL, OPT_BYTES, FIELD(max_body_bytes), 1 * KIB, 4 * GIB, "64M",
     true,
     "Largest request body (JSON, or JSON plus binary tensor data); a larger request is "
     "refused with 413.",
     NULL},
    {"server", "max_image_pixels", NULL, OPT_UINT, FIELD(max_image_pixels), 1, 1000000000,
     "40000000", true,
     "Largest picture an image request may carry, in pixels (width x height), judged from the "
     "file's header before any pixel is decoded (decoding bombs); a larger one is refused with "
     "413. Each image being decoded takes at most 3 bytes a pixel of this limit, a progressive "
     "JPEG's coefficients counted (a larger decode is refused with 413), two at most at once.",
     NULL},
    {"server", "drain_timeout_ms", NULL, OPT_UINT, FIELD(drain_timeout_ms), 0, 3600000, "10000",
     true,
     "On SIGTERM or SIGINT edged stops accepting, answers every admitted request and exits 0. "
     "If requests are still running after this long (milliseconds), it exits 1.",
     NULL},
    {"models", "repository", "models", OPT_PATH, FIELD(models_dir), 1, 255, "/var/lib/edged/models",
     false,
     "The model repository: NAME.tflite (served as version 1) or NAME/VERSION/model.tflite "
     "(numeric versions; the newest is the default). Names: 1 to 64 characters of A-Z a-z 0-9 "
     "_ . -",
     NULL},
    {"models", "cache_dir", NULL, OPT_STRING, FIELD(cache_dir), 0, 255, "auto", false,
     "Where the weights each model's kernels use are kept once packed: one file per model, "
     "kernel level and thread count, written at the first load and then mapped, so that a "
     "restart or a reload of an unchanged model packs nothing and the packed weights are page "
     "cache rather than edged's own memory. Every file is checked when opened (a stale, "
     "truncated or corrupt one is rebuilt). auto: systemd's cache directory ($CACHE_DIRECTORY: "
     "/var/cache/edged for the unit), else none; empty: none.",
     NULL},
    {"models", "cache_max_bytes", NULL, OPT_BYTES, FIELD(cache_max_bytes), 0, 1 * TIB, "1G", false,
     "Most bytes of packed-weight cache files kept in cache_dir; past it the least recently "
     "used files go (a model using one keeps its mapping; its next load packs again).",
     NULL},
    {"models", "memory_budget", NULL, OPT_BYTES, FIELD(memory_budget), 0, 1 * TIB, "0", false,
     "Most bytes of edged's own memory the models may take together: each resident version's "
     "private data (prepared weights not in the packed-weight cache, a private copy of its "
     "file) plus its activation arena once per worker. Mapped model and cache files are page "
     "cache, counted apart. With a budget, models load on their first request (those whose "
     "model.conf says pin = yes at start, and are never evicted), and when a load needs room the "
     "least recently used models are unloaded; a request for a model not resident waits for its "
     "load within its deadline ([scheduler] default_timeout_ms) or is answered 503 with "
     "Retry-After. 0: no budget, every model loads at start and stays.",
     NULL},
    {"models", "verify", NULL, OPT_CHOICE, FIELD(model_verify), 4, 9, "none", false,
     "Check each model file before it serves: none; digest (MODEL.sha256 next to it, as "
     "sha256sum writes it, names its SHA-256); signature (MODEL.sig, a detached Ed25519 "
     "signature over the file, by a key of trusted_keys: edgectl keygen, edgectl sign). A file "
     "that fails is refused like a corrupt one (the version serving before stays; last_error "
     "says why).",
     "none|digest|signature"},
    {"models", "trusted_keys", NULL, OPT_PATH, FIELD(trusted_keys), 1, 255,
     "/etc/edged/trusted-keys.d", false,
     "The folder of the public keys verify = signature trusts: NAME.pub files (edgectl "
     "keygen), each owned by root or edged's user and writable by nobody else, in a folder "
     "others cannot write; a key that is not is ignored (and named in the error).",
     NULL},
    {"models", "max_arena_bytes", NULL, OPT_BYTES, FIELD(max_arena_bytes), 4 * KIB, 1 * TIB, "512M",
     false,
     "Largest activation arena of one interpreter (each worker has one per model version); a "
     "model that needs more fails to load.",
     NULL},
    /* control flow and resource variables family */
    {"models", "max_while_iterations", NULL, OPT_UINT, FIELD(max_while_iterations), 1, 1000000000,
     "1000000", false,
     "Most WHILE-loop iterations one inference may run (all of a model's WHILE operators "
     "together); past it the request fails with an error naming the operator, and the model "
     "keeps serving. Bounds how long a model whose loop never ends can hold a worker.",
     NULL},
    {"models", "kernels", "kernels", OPT_ISA, FIELD(kernel_isa), 0, 0, "auto", false,
     "Instruction-set level of the int8 kernels: auto (the best this CPU runs), or a lower one "
     "to rule out a kernel problem: scalar (the reference kernels), avx2, avxvnni, avx512vnni "
     "on x86-64 (lowest first; avxvnni on a CPU with AVX-512 VNNI but no AVX-VNNI runs the "
     "same kernels EVEX-encoded); neon, neondot on ARM. The environment variable EDGE_ISA caps "
     "it too. The log names the kernels each model uses.",
     NULL},
    {"models", "intra_op_threads", NULL, OPT_AUTO, FIELD(intra_op_threads), 1, 64, "1", false,
     "Threads one inference runs on (convolutions split their rows or channels). Workers "
     "times this should not exceed the CPUs: raise it for few large requests (one big model, "
     "low latency), keep 1 for many small ones. auto: per model, the CPUs edged may run on (at "
     "most 4) for a model of 2 million multiply-accumulates or more, 1 for a smaller one (the "
     "load log says which). Whatever the count, an inference whose helper threads keep "
     "missing their turn (their CPUs busy with other programs) runs on its worker alone for a "
     "while (20 ms to 1 s) before it tries them again, so threads never make it slower.",
     NULL},
    {"models", "watch", NULL, OPT_UINT, FIELD(watch), 0, 1, "1", false,
     "1: watch the repository (inotify) and reload a model when its file is closed after "
     "writing or renamed into place, when a version folder or model.conf changes, and unload it "
     "when its files are removed. 0: only at start, SIGHUP and edgectl reload.",
     NULL},
    {"models", "reload_delay_ms", NULL, OPT_UINT, FIELD(reload_delay_ms), 0, 60000, "5", false,
     "A change is applied once the repository has been quiet this long (milliseconds; bursts "
     "of events, such as a copy of several files, become one reload), and at most ten times "
     "this after the first event.",
     NULL},
    {"scheduler", "workers", "workers", OPT_UINT, FIELD(workers), 0, 1024, "0", false,
     "Worker threads running inferences. 0: one per online CPU.", NULL},
    {"scheduler", "queue_depth", NULL, OPT_UINT, FIELD(queue_depth), 1, 65536, "64", false,
     "Requests waiting per model. When a model's queue is full, a new request is answered at "
     "once with 429 (busy).",
     NULL},
    {"scheduler", "default_timeout_ms", NULL, OPT_UINT, FIELD(default_timeout_ms), 0, 3600000, "0",
     true,
     "Deadline of a request without a timeout parameter (milliseconds). A request that has "
     "not started by its deadline is answered with 504. 0: no deadline.",
     NULL},
    {"scheduler", "inline_max_us", NULL, OPT_UINT, FIELD(inline_max_us), 0, 1000, "20", true,
     "A request whose model computes in at most this many microseconds (smoothed over its "
     "recent requests) runs on the loop thread when nothing of that model is queued: it saves "
     "the two thread handoffs, which cost more than such a model. The loop serves no other "
     "socket meanwhile, so keep it small. 0: every request goes to a worker.",
     NULL},
    /* sequences of stateful models (seq.c) */
    {"scheduler", "max_sequences", NULL, OPT_UINT, FIELD(max_sequences), 1, 65536, "64", true,
     "Live sequences per stateful model (requests with a sequence_id: each sequence keeps its "
     "own copy of the model's state). A sequence_start past the limit is answered with 429 "
     "until one ends (sequence_end) or expires.",
     NULL},
    {"scheduler", "sequence_idle_ms", NULL, OPT_UINT, FIELD(sequence_idle_ms), 10, 86400000,
     "60000", true,
     "A sequence without a request for this long (milliseconds) expires and its state is "
     "freed; its next request without sequence_start is answered with 400, saying so.",
     NULL},
    {"backends", "dir", "backend-dir", OPT_PATH, FIELD(backend_dir), 0, 255, "", false,
     "Folder of back-end plugins (accelerators: edge-vulkan.so, edge-edgetpu.so, ...). edged "
     "loads every edge-NAME.so in it at start, checks its ABI version and starts it with the "
     "options of its [backend.NAME] section; a plugin that fails is logged and skipped. Empty: "
     "the folder the plugins are installed in (LIBDIR/edged/backends, "
     "/usr/lib/<arch>/edged/backends for the package).",
     NULL},
    {"backends", "default", NULL, OPT_BACKENDS, FIELD(backend_default), 1, 255, "auto", false,
     "Back ends a model runs on when its model.conf does not say (backend = ...): auto (every "
     "available back end whose device is an accelerator, highest priority first, the CPU for "
     "the rest), cpu (the CPU only), or names in priority order (vulkan, edgetpu).",
     NULL},
    {"backends", "fail_limit", NULL, OPT_UINT, FIELD(backend_fail_limit), 1, 1000, "3", true,
     "Device errors in a row after which a back end is marked unhealthy: every model then runs "
     "its partitions on the CPU (where the CPU can run them), without a restart. A reload "
     "(SIGHUP) marks the back ends healthy again.",
     NULL},
    {"systemd", "stuck_worker_ms", NULL, OPT_UINT, FIELD(stuck_worker_ms), 0, 86400000, "60000",
     true,
     "Under a systemd watchdog (WatchdogSec=), edged pings it only while its loop turns and no "
     "worker has been busy on one inference longer than this (milliseconds), so that systemd "
     "restarts a daemon whose workers hang. Set it above the longest inference of your models. "
     "0: workers are not checked.",
     NULL},
    {"power", "profile", NULL, OPT_CHOICE, FIELD(power_profile), 3, 11, "balanced", false,
     "What edged trades for latency. performance: a worker woken ahead of a large request "
     "spins for it (on 4 CPUs or more), intra-op threads spin between operators, an Edge TPU "
     "runs at its highest clock. balanced: the same, but the Edge TPU's clock is libedgetpu's "
     "default. low: nothing spins (every wait sleeps; a request may pay a wakeup or two, tens "
     "of microseconds each), an Edge TPU runs at its lowest clock and the Vulkan device is "
     "closed while no model uses it ([backend.vulkan] idle_release = yes). Options set in a "
     "[backend.NAME] section win. In every profile an idle edged sleeps: no timer runs "
     "without work, but the watchdog's and MQTT's keep-alive. See docs/operations.md, Run on "
     "battery.",
     "performance|balanced|low"},
    {"power", "exit_idle_s", NULL, OPT_UINT, FIELD(exit_idle_s), 0, 86400, "0", false,
     "With socket activation (edged.socket), exit after this many seconds without a "
     "connection, a request, a load or a live sequence (at most 1.25 times it after the last "
     "one; 1 s more below 4 s); systemd starts edged again at the next connection. Ignored "
     "(with a warning) when edged bound its own sockets or serves MQTT, Frigate or [vision] "
     "listen, which nothing would start again. 0: never exit.",
     NULL},
    {"log", "level", "log-level", OPT_LEVEL, FIELD(log_level), 0, 0, "info", true,
     "error, warn, info or debug. At info edged logs start, stop, reloads, model loads and "
     "every problem; nothing per request.",
     NULL},
};

static const size_t n_core = sizeof dm_config_options / sizeof dm_config_options[0];

/* The core sections, in file order, and their lines in the man page. */
static const struct {
    const char *name, *help;
} core_sections[] = {
    {"server", "The HTTP server: the Unix socket, an optional TCP listener, limits and the stop."},
    {"models", "The model repository and how models are loaded and run."},
    {"scheduler", "The worker threads and the queues."},
    {"backends",
     "Accelerator back ends (plugins). Each plugin's own options go in a section named after "
     "it, \\fB[backend.\\fP\\fINAME\\fP\\fB]\\fP (for example \\fB[backend.edgetpu]\\fP "
     "device = usb:0), passed to the plugin as they are; the plugin refuses keys it does not "
     "know, and is then unavailable (see docs/backends.md)."},
    {"systemd", "The service manager: the watchdog."},
    /* The next two lines (and [vision]'s, vision_api.c) are one section off, as
     * edged.conf(5) has said since [power] came in; kept so that the man page stays
     * byte-identical (fix: 45-cfg's note). */
    {"power", "Logging."},
    {"log", "The camera APIs: the DeepStack / CodeProject.AI vision API for Home Assistant, "
            "Blue Iris and Frigate (see docs/protocol.md)."},
};
#define N_CORE_SECTIONS (sizeof core_sections / sizeof core_sections[0])
#define N_SECTIONS (N_CORE_SECTIONS + DM_CONFIG_SECTIONS_MAX)
#define MAX_ENTRIES 256

/* What dm_config_use_sections was given, and the walk in file order it makes. */
static struct {
    const dm_config_section *given[DM_CONFIG_SECTIONS_MAX];
    size_t n_given;
    const char *names[N_SECTIONS], *helps[N_SECTIONS];
    size_t n_names;
    const opt *entries[MAX_ENTRIES];
    signed char entry_slot[MAX_ENTRIES]; /* -1: the core table */
    size_t n_entries;
} walk;

static void add_section(const char *name, const char *help, int slot);

/* Each given section that follows NAME (and those following it). */
static void add_followers(const char *name)
{
    for (size_t i = 0; i < walk.n_given; i++)
        if (!strcmp(walk.given[i]->after, name))
            add_section(walk.given[i]->name, walk.given[i]->help, (int)i);
}

static void add_section(const char *name, const char *help, int slot)
{
    walk.names[walk.n_names] = name;
    walk.helps[walk.n_names++] = help;
    const opt *rows = slot < 0 ? dm_config_options : walk.given[slot]->opts;
    const size_t n = slot < 0 ? n_core : walk.given[slot]->n_opts;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].section, name)) {
            walk.entries[walk.n_entries] = &rows[i];
            walk.entry_slot[walk.n_entries++] = (signed char)slot;
        }
    add_followers(name);
}

static void build_walk(void)
{
    walk.n_names = walk.n_entries = 0;
    for (size_t s = 0; s < N_CORE_SECTIONS; s++)
        add_section(core_sections[s].name, core_sections[s].help, -1);
}

/* S[I]'s name is a core section's or an earlier one's, or its AFTER names no section. */
static bool section_clash(const dm_config_section *const *s, size_t i, size_t n)
{
    bool after_known = false;
    for (size_t k = 0; k < N_CORE_SECTIONS; k++) {
        if (!strcmp(core_sections[k].name, s[i]->name))
            return true;
        after_known |= !strcmp(core_sections[k].name, s[i]->after);
    }
    for (size_t k = 0; k < n; k++) {
        if (k < i && !strcmp(s[k]->name, s[i]->name))
            return true;
        after_known |= k != i && !strcmp(s[k]->name, s[i]->after);
    }
    return !after_known;
}

int dm_config_use_sections(const dm_config_section *const *s, size_t n)
{
    size_t rows = n_core;
    if (n > DM_CONFIG_SECTIONS_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i]->size > DM_CONFIG_SECTION_BYTES || section_clash(s, i, n))
            return -1;
        for (size_t j = 0; j < s[i]->n_opts; j++)
            if (strcmp(s[i]->opts[j].section, s[i]->name) ||
                s[i]->opts[j].off + s[i]->opts[j].size > s[i]->size)
                return -1;
        rows += s[i]->n_opts;
    }
    if (rows > MAX_ENTRIES)
        return -1;
    for (size_t i = 0; i < n; i++)
        walk.given[i] = s[i];
    walk.n_given = n;
    build_walk();
    return 0;
}

const opt *dm_config_entry(size_t i)
{
    if (!walk.n_names)
        build_walk(); /* no section was given: the core table alone */
    return i < walk.n_entries ? walk.entries[i] : NULL;
}

const void *dm_config_base(const dm_config *c, size_t i)
{
    const int slot = walk.entry_slot[i];
    return slot < 0 ? (const void *)c : (const void *)c->sections[slot];
}

static void *base_of(dm_config *c, size_t i)
{
    return (void *)dm_config_base(c, i);
}

const char *dm_config_section_name(size_t s)
{
    if (!walk.n_names)
        build_walk();
    return s < walk.n_names ? walk.names[s] : NULL;
}

const char *dm_config_section_help(size_t s)
{
    return s < walk.n_names ? walk.helps[s] : NULL;
}

const void *dm_config_section_get(const dm_config *c, const dm_config_section *s)
{
    for (size_t i = 0; i < walk.n_given; i++)
        if (walk.given[i] == s)
            return c->sections[i];
    return NULL;
}

/* ------------------------------------------------------------ the table */

/* The entry of "[SECTION] KEY", or -1. */
static ptrdiff_t find_option(const char *section, const char *key)
{
    const opt *o;
    for (size_t i = 0; (o = dm_config_entry(i)) != NULL; i++)
        if (strcmp(o->section, section) == 0 && strcmp(o->key, key) == 0)
            return (ptrdiff_t)i;
    return -1;
}

int dm_config_get(const dm_config *c, const char *section, const char *key, char *buf, size_t len)
{
    const ptrdiff_t i = find_option(section, key);
    if (i < 0)
        return -1;
    dm_opt_format(dm_config_entry((size_t)i), dm_config_base(c, (size_t)i), buf, len);
    return 0;
}

/* A given section whose unknown keys are ignored. */
static bool ignores_unknown(const char *section)
{
    for (size_t i = 0; i < walk.n_given; i++)
        if (!strcmp(walk.given[i]->name, section))
            return walk.given[i]->ignore_unknown;
    return false;
}

/* "backend.NAME": a plugin's options section. */
static bool backend_section(const char *name)
{
    if (strncmp(name, "backend.", 8) != 0 || !name[8])
        return false;
    for (const char *p = name + 8; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return false;
    return strlen(name + 8) < sizeof(((dm_backend_opt *)0)->backend);
}

static bool known_section(const char *name)
{
    if (backend_section(name))
        return true;
    for (size_t i = 0; dm_config_section_name(i); i++)
        if (strcmp(dm_config_section_name(i), name) == 0)
            return true;
    return false;
}

/* "socket, socket_mode, ..." for messages. */
static void list_keys(const char *section, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    const opt *o;
    for (size_t i = 0; (o = dm_config_entry(i)) != NULL && used < len; i++)
        if (strcmp(o->section, section) == 0) {
            const int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", o->key);
            used += n > 0 ? (size_t)n : 0;
        }
}

void dm_config_defaults(dm_config *c)
{
    memset(c, 0, sizeof *c);
    const opt *o;
    for (size_t i = 0; (o = dm_config_entry(i)) != NULL; i++) {
        char msg[256];
        const int rc = dm_opt_parse(o, o->def, base_of(c, i), msg, sizeof msg);
        assert(rc == 0 && "every default in the table parses");
        (void)rc;
    }
}

bool dm_config_option(size_t i, const char **section, const char **key, bool *live)
{
    const opt *o = dm_config_entry(i);
    if (!o)
        return false;
    if (section)
        *section = o->section;
    if (key)
        *key = o->key;
    if (live)
        *live = o->live;
    return true;
}

const char *dm_config_cli(size_t i)
{
    const opt *o = dm_config_entry(i);
    return o ? o->cli : NULL;
}

/* ------------------------------------------------------------ the INI file */

typedef struct load_ctx {
    dm_config *c;
    const char *path;
    FILE *f;
    int line;
    bool failed;
    char *err;
    size_t len;
} load_ctx;

static void load_fail(load_ctx *x, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "FILE:LINE: WHAT: message" */
static void load_fail(load_ctx *x, const char *what, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(x->err, x->len, "%s:%d: %s: %s", x->path, x->line, what, msg);
    x->failed = true;
}

/* A "[name]" line: known section, or fail. */
static void check_section_line(load_ctx *x, const char *s)
{
    const char *close = strchr(s, ']');
    if (!close) {
        char what[80];
        snprintf(what, sizeof what, "%.*s", (int)strcspn(s, "\r\n"), s);
        load_fail(x, what, "a section header needs a closing ']'");
        return;
    }
    const char *b = s + 1;
    while (*b == ' ' || *b == '\t')
        b++;
    size_t n = (size_t)(close - b);
    while (n && (b[n - 1] == ' ' || b[n - 1] == '\t'))
        n--;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), b);
    if (!known_section(name)) {
        char what[80], list[256] = "";
        snprintf(what, sizeof what, "[%s]", name);
        const char *sec;
        for (size_t i = 0, used = 0; (sec = dm_config_section_name(i)) && used < sizeof list; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s, %s", sec,
                                     !strcmp(sec, "backends") ? "backend.NAME, " : "");
        load_fail(x, what, "unknown section (sections: %.*s)", (int)strlen(list) - 2, list);
    }
}

/* Line classification inih would otherwise report only as a line number. */
static void check_line(load_ctx *x, const char *s)
{
    if (!*s || *s == '\n' || *s == '\r' || *s == '#' || *s == ';')
        return;
    if (*s == '[') {
        check_section_line(x, s);
        return;
    }
    if (!strpbrk(s, "=:")) {
        char what[64];
        snprintf(what, sizeof what, "'%.*s'", (int)strcspn(s, "\r\n"), s);
        load_fail(x, what, "syntax error: expected 'key = value', '[section]' or a comment");
    }
}

/* inih's line reader: counts lines (for messages), refuses lines longer than
 * inih's buffer, and strips indentation (so an indented line is never taken as
 * the continuation of the previous value). */
static char *read_line(char *buf, int num, void *stream)
{
    load_ctx *x = stream;
    if (x->failed || !fgets(buf, num, x->f))
        return NULL;
    x->line++;
    size_t n = strlen(buf);
    if (n + 1 == (size_t)num && buf[n - 1] != '\n' && !feof(x->f)) {
        load_fail(x, "line", "too long (at most %d characters)", num - 2);
        return NULL;
    }
    const size_t lead = strspn(buf, " \t");
    memmove(buf, buf + lead, n - lead + 1);
    check_line(x, buf);
    return x->failed ? NULL : buf;
}

/* A key of [backend.NAME]: kept as text for the plugin, which validates it. */
static int backend_value(load_ctx *x, const char *name, const char *key, const char *value,
                         const char *what)
{
    dm_config *c = x->c;
    for (size_t i = 0; i < c->n_backend_opts; i++)
        if (!strcmp(c->backend_opts[i].backend, name) && !strcmp(c->backend_opts[i].key, key)) {
            load_fail(x, what, "set twice");
            return 0;
        }
    if (c->n_backend_opts >= DM_MAX_BACKEND_OPTS) {
        load_fail(x, what, "more than %d back-end options in all", DM_MAX_BACKEND_OPTS);
        return 0;
    }
    dm_backend_opt *o = &c->backend_opts[c->n_backend_opts];
    if (strlen(key) >= sizeof o->key || strlen(value) >= sizeof o->value) {
        load_fail(x, what, "key or value too long (at most %zu and %zu characters)",
                  sizeof o->key - 1, sizeof o->value - 1);
        return 0;
    }
    snprintf(o->backend, sizeof o->backend, "%s", name);
    snprintf(o->key, sizeof o->key, "%s", key);
    snprintf(o->value, sizeof o->value, "%s", value);
    c->n_backend_opts++;
    return 1;
}

static int on_value(void *user, const char *section, const char *key, const char *value)
{
    load_ctx *x = user;
    if (x->failed)
        return 1;
    char what[160], msg[400];
    snprintf(what, sizeof what, "[%s] %s", section, key);
    if (backend_section(section))
        return backend_value(x, section + 8, key, value, what);
    const ptrdiff_t at = find_option(section, key);
    const opt *o = at < 0 ? NULL : dm_config_entry((size_t)at);
    if (!o && !*section) {
        for (size_t i = 0; (o = dm_config_entry(i)) != NULL; i++)
            if (strcmp(o->key, key) == 0) {
                load_fail(x, key, "option outside a section; it belongs under [%s]", o->section);
                return 0;
            }
        load_fail(x, key, "unknown key outside a section");
        return 0;
    }
    if (!o && ignores_unknown(section))
        return 1;
    if (!o) {
        char keys[400];
        list_keys(section, keys, sizeof keys);
        load_fail(x, what, "unknown key (keys in [%s]: %s)", section, keys);
        return 0;
    }
    if (dm_opt_parse(o, value, base_of(x->c, (size_t)at), msg, sizeof msg)) {
        load_fail(x, what, "%s", msg);
        return 0;
    }
    return 1;
}

int dm_config_load(dm_config *c, const char *path, bool required, char *err, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT && !required)
            return 0;
        snprintf(err, len, "%s: cannot read the configuration: %s", path, strerror(errno));
        return -1;
    }
    dm_config next = *c;
    load_ctx x = {.c = &next, .path = path, .f = f, .err = err, .len = len};
    const int rc = ini_parse_stream(read_line, &x, on_value, &x);
    const bool read_error = ferror(f) != 0;
    fclose(f);
    if (x.failed)
        return -1;
    if (read_error) {
        snprintf(err, len, "%s:%d: read error", path, x.line);
        return -1;
    }
    if (rc == -2) {
        snprintf(err, len, "%s: out of memory while parsing", path);
        return -1;
    }
    if (rc != 0) {
        snprintf(err, len, "%s:%d: syntax error", path, rc);
        return -1;
    }
    *c = next;
    return 0;
}

/* ------------------------------------------------------------ overrides */

/* The entry KEY names (its command-line name, "section.key" or a bare key), or -1. */
static ptrdiff_t find_override(const char *key)
{
    char norm[96];
    snprintf(norm, sizeof norm, "%s", key);
    const opt *o;
    for (size_t i = 0; (o = dm_config_entry(i)) != NULL; i++)
        if (o->cli && strcmp(o->cli, key) == 0)
            return (ptrdiff_t)i;
    for (char *p = norm; *p; p++)
        if (*p == '-')
            *p = '_';
    const char *dot = strchr(norm, '.');
    for (size_t i = 0; (o = dm_config_entry(i)) != NULL; i++)
        if (dot ? (strlen(o->section) == (size_t)(dot - norm) &&
                   strncmp(o->section, norm, (size_t)(dot - norm)) == 0 &&
                   strcmp(o->key, dot + 1) == 0)
                : strcmp(o->key, norm) == 0)
            return (ptrdiff_t)i;
    return -1;
}

int dm_config_set(dm_config *c, const char *key, const char *value, char *err, size_t len)
{
    const ptrdiff_t at = find_override(key);
    if (at < 0) {
        snprintf(err, len, "--%s: unknown option", key);
        return -1;
    }
    char msg[400];
    dm_config next = *c;
    if (dm_opt_parse(dm_config_entry((size_t)at), value, base_of(&next, (size_t)at), msg,
                     sizeof msg)) {
        snprintf(err, len, "--%s: %s", key, msg);
        return -1;
    }
    *c = next;
    return 0;
}

int dm_config_reload(dm_config *cur, const dm_config *next)
{
    int changed = 0;
    const opt *o;
    for (size_t i = 0; (o = dm_config_entry(i)) != NULL; i++) {
        char was[300], now[300];
        dm_opt_format(o, dm_config_base(cur, i), was, sizeof was);
        dm_opt_format(o, dm_config_base(next, i), now, sizeof now);
        if (strcmp(was, now) == 0)
            continue;
        changed++;
        if (o->live) {
            memcpy((char *)base_of(cur, i) + o->off, (const char *)dm_config_base(next, i) + o->off,
                   o->size);
            dm_log(DM_LOG_INFO, "config: [%s] %s changed from '%s' to '%s'", o->section, o->key,
                   was, now);
        } else {
            dm_log(DM_LOG_WARN,
                   "config: [%s] %s changed to '%s' but takes a restart; keeping '%s' until then",
                   o->section, o->key, now, was);
        }
    }
    return changed;
}
