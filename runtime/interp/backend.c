/* runtime/interp/backend.c - loading back-end plugins and checking their ABI.
 *
 * Owns: dlopen of a plugin, the entry symbol, the ABI checks (version, struct
 * size, name, every function present) done before anything else of the
 * plugin runs, init with the caller's options (a failed init keeps the back
 * end as "unavailable" with its message, so that models needing it can say
 * why), reference counting, health and the per-back-end counters.
 * Does not own: which plugins to load (the daemon), partitioning. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_impl.h"
#include "model.h"

#define DEFAULT_FAIL_LIMIT 3u

static bool name_ok(const char *s)
{
    if (!s || !*s || strlen(s) >= sizeof(((struct edge_be *)0)->name))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return false;
    return true;
}

/* The functions every back end must have, for the "lacks" message. */
static void missing_functions(const edge_backend *vt, char *buf, size_t len)
{
    const struct {
        const char *name;
        bool present;
    } fns[] = {
        {"init", vt->init != NULL},
        {"shutdown", vt->shutdown != NULL},
        {"device_count", vt->device_count != NULL},
        {"device_info", vt->device_info != NULL},
        {"supports_node", vt->supports_node != NULL},
        {"prepare", vt->prepare != NULL},
        {"instance_new", vt->instance_new != NULL},
        {"invoke", vt->invoke != NULL},
        {"instance_free", vt->instance_free != NULL},
        {"release", vt->release != NULL},
    };
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        if (fns[i].present)
            continue;
        int w = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", fns[i].name);
        if (w < 0 || (size_t)w >= len - at)
            break;
        at += (size_t)w;
    }
}

/* Everything about VT the host relies on, before calling any of it but the entry. */
static int check_vtable(const edge_backend *vt, const char *where, edge_error *err)
{
    if (!vt)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "%s: the back end refused this host's ABI version %u", where,
                            EDGE_BACKEND_ABI_VERSION);
    /* Nothing else of VT is read before this: another version may lay it out differently. */
    if (vt->abi_version != EDGE_BACKEND_ABI_VERSION)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "%s: back-end ABI version %u, but edged speaks version %u (the plugin "
                            "is %s than this edged: rebuild it against this edged's "
                            "edge/backend.h)",
                            where, vt->abi_version, EDGE_BACKEND_ABI_VERSION,
                            vt->abi_version < EDGE_BACKEND_ABI_VERSION ? "older" : "newer");
    if (vt->struct_size < sizeof(edge_backend))
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "%s: back-end vtable of %u bytes is smaller than the %zu bytes of ABI "
                            "version %u",
                            where, vt->struct_size, sizeof(edge_backend), EDGE_BACKEND_ABI_VERSION);
    if (!name_ok(vt->name))
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "%s: the back end's name is missing or not [a-z0-9_-]{1,63}", where);
    char missing[160];
    missing_functions(vt, missing, sizeof missing);
    if (missing[0])
        return edge__seterr(err, EDGE_EUNSUPPORTED, "%s: back end '%s' lacks the function(s) %s",
                            where, vt->name, missing);
    return 0;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static void be_free(struct edge_be *b)
{
    if (!b)
        return;
    if (b->available && b->vt)
        b->vt->shutdown(b->state);
    pthread_mutex_destroy(&b->mu);
    if (b->dl)
        dlclose(b->dl);
    free(b->path);
    free(b->why);
    free(b);
}

static int be_start(const edge_backend *vt, void *dl, const char *path, const edge_be_host *host,
                    const edge_be_option *opts, size_t n_opts, edge_be **out, edge_error *err)
{
    struct edge_be *b = calloc(1, sizeof *b);
    if (!b) {
        if (dl)
            dlclose(dl);
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    }
    atomic_init(&b->refs, 1);
    atomic_init(&b->fail_limit, DEFAULT_FAIL_LIMIT);
    pthread_mutex_init(&b->mu, NULL);
    b->vt = vt;
    b->dl = dl;
    snprintf(b->name, sizeof b->name, "%s", vt->name);
    b->path = dup_or_empty(path);
    char msg[EDGE_ERROR_MESSAGE_MAX] = "";
    b->host = (edge_be_host){EDGE_BACKEND_ABI_VERSION, sizeof(edge_be_host), NULL, NULL};
    if (host && host->log) {
        b->host.log = host->log;
        b->host.log_ctx = host->log_ctx;
    }
    const int rc = vt->init(&b->host, opts, n_opts, &b->state, msg, sizeof msg);
    msg[sizeof msg - 1] = 0;
    b->available = rc == 0;
    if (!b->available && !msg[0])
        snprintf(msg, sizeof msg, "init failed (code %d) without a message", rc);
    b->why = dup_or_empty(b->available ? "" : msg);
    if (!b->path || !b->why) {
        be_free(b);
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    }
    *out = b;
    return 0;
}

int edge_be_from_vtable(const edge_backend *vt, const edge_be_host *host,
                        const edge_be_option *opts, size_t n_opts, edge_be **out, edge_error *err)
{
    if (!out)
        return edge__seterr(err, EDGE_EINVAL, "edge_be_from_vtable: NULL argument");
    int rc = check_vtable(vt, "linked back end", err);
    if (rc)
        return rc;
    return be_start(vt, NULL, "", host, opts, n_opts, out, err);
}

int edge_be_load(const char *path, const edge_be_host *host, const edge_be_option *opts,
                 size_t n_opts, edge_be **out, edge_error *err)
{
    if (!path || !out)
        return edge__seterr(err, EDGE_EINVAL, "edge_be_load: NULL argument");
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *why = dlerror();
        return edge__seterr(err, EDGE_EIO, "%s: cannot load the plugin: %s", path,
                            why ? why : "dlopen failed");
    }
    dlerror();
    edge_backend_entry_fn entry;
    void *sym = dlsym(dl, EDGE_BACKEND_ENTRY_SYMBOL);
    memcpy(&entry, &sym, sizeof entry);
    if (!entry) {
        dlclose(dl);
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "%s: no symbol %s: not an edged back-end plugin", path,
                            EDGE_BACKEND_ENTRY_SYMBOL);
    }
    const edge_backend *vt = entry(EDGE_BACKEND_ABI_VERSION);
    int rc = check_vtable(vt, path, err);
    if (rc) {
        dlclose(dl);
        return rc;
    }
    return be_start(vt, dl, path, host, opts, n_opts, out, err);
}

edge_be *edge_be_ref(edge_be *b)
{
    if (b)
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void edge_be_unref(edge_be *b)
{
    if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
        be_free(b);
}

const char *edge_be_name(const edge_be *b)
{
    return b ? b->name : "";
}
const char *edge_be_description(const edge_be *b)
{
    return b && b->vt->description ? b->vt->description : "";
}
int32_t edge_be_priority(const edge_be *b)
{
    return b ? b->vt->priority : 0;
}
bool edge_be_available(const edge_be *b)
{
    return b && b->available;
}
const char *edge_be_why(const edge_be *b)
{
    return b ? b->why : "";
}
const char *edge_be_path(const edge_be *b)
{
    return b ? b->path : "";
}

int edge_be_device_count(const edge_be *b)
{
    if (!b || !b->available)
        return 0;
    const int n = b->vt->device_count(b->state);
    return n > 0 ? n : 0;
}

int edge_be_device_info(const edge_be *b, int i, edge_be_device *out)
{
    if (!b || !out || !b->available || i < 0 || i >= edge_be_device_count(b))
        return EDGE_EINVAL;
    memset(out, 0, sizeof *out);
    if (b->vt->device_info(b->state, i, out))
        return EDGE_ENOTFOUND;
    out->name[sizeof out->name - 1] = 0;
    out->description[sizeof out->description - 1] = 0;
    return 0;
}

bool edge_be_healthy(const edge_be *b)
{
    return b && b->available && !atomic_load_explicit(&b->unhealthy, memory_order_acquire);
}

void edge_be_set_healthy(edge_be *b)
{
    if (!b)
        return;
    atomic_store(&b->fail_run, 0);
    atomic_store_explicit(&b->unhealthy, false, memory_order_release);
}

void edge_be_set_fail_limit(edge_be *b, unsigned failures)
{
    if (b)
        atomic_store(&b->fail_limit, failures ? failures : 1);
}

void edge__be_record(struct edge_be *b, bool ok, uint64_t ns)
{
    atomic_fetch_add_explicit(&b->invokes, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&b->ns, ns, memory_order_relaxed);
    if (ok) {
        atomic_store_explicit(&b->fail_run, 0, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&b->failures, 1, memory_order_relaxed);
    const unsigned run = atomic_fetch_add_explicit(&b->fail_run, 1, memory_order_relaxed) + 1;
    if (run >= atomic_load_explicit(&b->fail_limit, memory_order_relaxed))
        atomic_store_explicit(&b->unhealthy, true, memory_order_release);
}

void edge_be_get_stats(const edge_be *b, edge_be_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!b)
        return;
    struct edge_be *w = (struct edge_be *)b; /* atomics are read only */
    out->invokes = atomic_load_explicit(&w->invokes, memory_order_relaxed);
    out->failures = atomic_load_explicit(&w->failures, memory_order_relaxed);
    out->cpu_fallbacks = atomic_load_explicit(&w->cpu_fallbacks, memory_order_relaxed);
    out->prepare_failed = atomic_load_explicit(&w->prepare_failed, memory_order_relaxed);
    out->nanoseconds = atomic_load_explicit(&w->ns, memory_order_relaxed);
    out->partitions = atomic_load_explicit(&w->partitions, memory_order_relaxed);
    out->nodes = atomic_load_explicit(&w->nodes, memory_order_relaxed);
}

/* ---- "auto | cpu | NAME[, NAME...]" ---- */

#define SPEC_MAX 16

typedef struct spec_words {
    char w[SPEC_MAX][64];
    size_t n;
} spec_words;

static bool word_ok(const char *s, size_t n)
{
    if (!n || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '-'))
            return false;
    return true;
}

static int parse_spec(const char *spec, spec_words *x, edge_error *err)
{
    x->n = 0;
    for (const char *p = spec ? spec : "";;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const size_t n = strcspn(p, ",");
        size_t m = n;
        while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
            m--;
        if (!word_ok(p, m))
            return edge__seterr(err, EDGE_EINVAL,
                                "'%.*s' is not a back-end name (auto, cpu, or names of "
                                "[a-z0-9_-] separated by commas)",
                                (int)(m > 64 ? 64 : m), p);
        for (size_t i = 0; i < x->n; i++)
            if (strlen(x->w[i]) == m && !memcmp(x->w[i], p, m))
                return edge__seterr(err, EDGE_EINVAL, "back end '%.*s' is named twice", (int)m, p);
        if (x->n == SPEC_MAX)
            return edge__seterr(err, EDGE_EINVAL, "more than %d back ends named", SPEC_MAX);
        snprintf(x->w[x->n++], sizeof x->w[0], "%.*s", (int)m, p);
        if (!p[n])
            break;
        p += n + 1;
    }
    for (size_t i = 0; i < x->n && x->n > 1; i++)
        if (!strcmp(x->w[i], "auto") || !strcmp(x->w[i], "cpu"))
            return edge__seterr(err, EDGE_EINVAL, "'%s' cannot be combined with other back ends",
                                x->w[i]);
    return 0;
}

int edge_be_spec_check(const char *spec, edge_error *err)
{
    spec_words x;
    return parse_spec(spec, &x, err);
}

static bool on_cpu_device(const edge_be *b)
{
    edge_be_device d;
    for (int i = 0; i < edge_be_device_count(b); i++)
        if (edge_be_device_info(b, i, &d) == 0 && d.selected)
            return d.kind == EDGE_BE_DEV_CPU;
    return false;
}

int edge_be_select(edge_be *const *all, size_t n, const char *spec, edge_be **out, size_t cap,
                   size_t *n_out, edge_error *err)
{
    spec_words x;
    *n_out = 0;
    int rc = parse_spec(spec, &x, err);
    if (rc || !strcmp(x.w[0], "cpu"))
        return rc;
    if (!strcmp(x.w[0], "auto")) {
        for (size_t i = 0; i < n && *n_out < cap; i++) {
            if (!edge_be_available(all[i]) || on_cpu_device(all[i]))
                continue;
            size_t k = (*n_out)++; /* insert by priority, highest first, stable */
            for (; k > 0 && edge_be_priority(out[k - 1]) < edge_be_priority(all[i]); k--)
                out[k] = out[k - 1];
            out[k] = all[i];
        }
        return 0;
    }
    for (size_t w = 0; w < x.n && *n_out < cap; w++) {
        size_t i = 0;
        while (i < n && strcmp(edge_be_name(all[i]), x.w[w]) != 0)
            i++;
        if (i == n) {
            char names[256] = "";
            size_t at = 0;
            for (size_t k = 0; k < n && at < sizeof names; k++) {
                const int wr = snprintf(names + at, sizeof names - at, "%s%s", k ? ", " : "",
                                        edge_be_name(all[k]));
                at += wr > 0 ? (size_t)wr : 0;
            }
            *n_out = 0;
            return edge__seterr(err, EDGE_ENOTFOUND, "no back end '%s' is loaded (loaded: %s)",
                                x.w[w], names[0] ? names : "none");
        }
        out[(*n_out)++] = all[i];
    }
    return 0;
}
