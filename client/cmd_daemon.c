/* client/cmd_daemon.c - edgectl's management commands: models, status, load, unload.
 *
 * Owns: those four commands (a table or --json), and the pieces every
 * daemon command shares: --socket/--json, opening the client, and the exit
 * code and message for a libedgeclient error (4 and a hint saying where it
 * looked when the daemon is not there). JSON output through jansson. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "edgectl.h"
#include "edgectl_daemon.h"

/* ---------------------------------------------------------------- shared */

int edgectl_common_opt(edgectl_common *o, int argc, char **argv, int *i)
{
    if (!strcmp(argv[*i], "--json")) {
        o->json = true;
        return 1;
    }
    if (!strcmp(argv[*i], "--socket")) {
        if (*i + 1 >= argc)
            return -1;
        o->socket = argv[++*i];
        return 1;
    }
    return 0;
}

int edgectl_open(const edgectl_common *o, edge_client **out)
{
    int rc = edge_client_new(o->socket, NULL, out);
    if (rc == EDGE_CLIENT_EINVAL) {
        fprintf(stderr, "edgectl: socket path '%s' is too long (at most 107 bytes)\n",
                o->socket ? o->socket : getenv(EDGE_CLIENT_SOCKET_ENV));
        return EDGECTL_EUSAGE;
    }
    if (rc) {
        fprintf(stderr, "edgectl: %s\n", edge_client_strerror(rc));
        return EDGECTL_EIO;
    }
    return 0;
}

int edgectl_parse_model_args(int argc, char **argv, edgectl_common *o, const char **model,
                             int (*value_opt)(void *ctx, const char *arg, const char *val),
                             void *ctx)
{
    *model = NULL;
    for (int i = 1; i < argc; i++) {
        const int r = edgectl_common_opt(o, argc, argv, &i);
        if (r < 0)
            return -1;
        if (r > 0)
            continue;
        if (argv[i][0] != '-' || !argv[i][1]) {
            if (*model)
                return -1;
            *model = argv[i];
        } else if (i + 1 >= argc || value_opt(ctx, argv[i], argv[i + 1])) {
            return -1;
        } else {
            i++;
        }
    }
    return *model ? 0 : -1;
}

int edgectl_with_model(const edgectl_common *o, const char *model, const char *version,
                       int (*run)(edge_client *c, const edge_client_model_meta *m, void *ctx),
                       void *ctx)
{
    edge_client *c = NULL;
    int rc = edgectl_open(o, &c);
    if (rc)
        return rc;
    edge_client_model_meta *m = NULL;
    if ((rc = edge_client_model_metadata(c, model, version, &m)) != 0)
        rc = edgectl_client_fail(c, rc);
    else
        rc = run(c, m, ctx);
    edge_client_model_meta_free(m);
    edge_client_free(c);
    return rc;
}

int edgectl_client_fail(edge_client *c, int rc)
{
    const char *msg = edge_client_errmsg(c);
    if (!*msg)
        msg = edge_client_strerror(rc);
    switch (rc) {
    case EDGE_CLIENT_ECONNECT:
        fprintf(stderr,
                "edgectl: %s (is edged running? --socket or " EDGE_CLIENT_SOCKET_ENV
                " select another socket)\n",
                msg);
        return EDGECTL_ENODAEMON;
    case EDGE_CLIENT_EIO:
    case EDGE_CLIENT_ECLOSED:
    case EDGE_CLIENT_ETIMEDOUT: fprintf(stderr, "edgectl: %s\n", msg); return EDGECTL_ENODAEMON;
    case EDGE_CLIENT_ENOMEM: fprintf(stderr, "edgectl: %s\n", msg); return EDGECTL_EIO;
    case EDGE_CLIENT_EINVAL:
    case EDGE_CLIENT_ESTATE: fprintf(stderr, "edgectl: %s\n", msg); return EDGECTL_EUSAGE;
    default: fprintf(stderr, "edgectl: %s\n", msg); return EDGECTL_EFAIL;
    }
}

bool edgectl_parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

bool edgectl_parse_priority(const char *s, int *out)
{
    /* As in Triton: 0 is the model's default level, 1 the highest. */
    if (!strcmp(s, "high"))
        *out = 1;
    else if (!strcmp(s, "normal"))
        *out = 0;
    else
        return false;
    return true;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(7));
    if (s)
        puts(s);
    free(s);
    json_decref(j);
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Parse COMMAND [NAME] [--socket P] [--json]. */
static int parse_simple(int argc, char **argv, edgectl_common *o, const char **name,
                        const char *usage)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        int r = edgectl_common_opt(o, argc, argv, &i);
        if (r == 1)
            continue;
        if (r == 0 && name && !*name && argv[i][0] != '-') {
            *name = argv[i];
            continue;
        }
        fprintf(stderr, "usage: %s\n", usage);
        return EDGECTL_EUSAGE;
    }
    if (name && !*name) {
        fprintf(stderr, "usage: %s\n", usage);
        return EDGECTL_EUSAGE;
    }
    return 0;
}

/* ---------------------------------------------------------------- models */

/* Index entries grouped by name: the versions, and the state (or states). */
typedef struct model_row {
    const char *name;
    char versions[128];
    char state[64];
    const char *reason;
    const char *policy;
    const char *last_error;
    int64_t loaded_at_ms; /* the newest version's */
    bool loading;
    const char *file;                   /* "mapped" or "private" (any version private: private) */
    const char *file_note;              /* why a version is a private copy */
    const edge_client_model_entry *mem; /* its residency (NULL: the server did not say) */
} model_row;

static void append_list(char *buf, size_t cap, const char *item)
{
    size_t l = strlen(buf);
    if (!item || !*item)
        return;
    /* no duplicates */
    for (const char *p = buf; (p = strstr(p, item)) != NULL; p++) {
        size_t n = strlen(item);
        if ((p == buf || p[-1] == ',') && (p[n] == ',' || p[n] == 0))
            return;
    }
    snprintf(buf + l, cap - l, "%s%s", l ? "," : "", item);
}

static size_t group_index(const edge_client_index *x, model_row *rows)
{
    size_t n = 0;
    for (size_t i = 0; i < x->n; i++) {
        const edge_client_model_entry *e = &x->models[i];
        size_t k = 0;
        while (k < n && strcmp(rows[k].name, e->name))
            k++;
        if (k == n) {
            memset(&rows[n], 0, sizeof rows[n]);
            rows[n++].name = e->name;
        }
        append_list(rows[k].versions, sizeof rows[k].versions, e->version);
        append_list(rows[k].state, sizeof rows[k].state, e->state);
        if (e->reason && *e->reason)
            rows[k].reason = e->reason;
        if (e->policy)
            rows[k].policy = e->policy;
        if (e->last_error && *e->last_error)
            rows[k].last_error = e->last_error;
        if (e->loaded_at_ms > rows[k].loaded_at_ms)
            rows[k].loaded_at_ms = e->loaded_at_ms;
        rows[k].loading |= e->loading != 0;
        if (e->file && (!rows[k].file || !strcmp(e->file, "private")))
            rows[k].file = e->file;
        if (e->file_note && *e->file_note)
            rows[k].file_note = e->file_note;
        if (e->has_residency)
            rows[k].mem = e;
    }
    return n;
}

static json_t *index_json(const edge_client_index *x, const model_row *rows, size_t n)
{
    json_t *arr = json_array();
    for (size_t k = 0; k < n; k++) {
        json_t *vs = json_array();
        for (size_t i = 0; i < x->n; i++)
            if (!strcmp(x->models[i].name, rows[k].name) && x->models[i].version)
                json_array_append_new(vs, json_string(x->models[i].version));
        json_t *o =
            json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "name", rows[k].name, "versions", vs,
                      "state", jstr(rows[k].state), "reason", jstr(rows[k].reason), "policy",
                      jstr(rows[k].policy), "last_error", jstr(rows[k].last_error));
        if (o && rows[k].loaded_at_ms)
            json_object_set_new(o, "loaded_at_ms", json_integer(rows[k].loaded_at_ms));
        if (o && rows[k].file)
            json_object_set_new(o, "file", json_string(rows[k].file));
        if (o && rows[k].file_note)
            json_object_set_new(o, "file_note", json_string(rows[k].file_note));
        const edge_client_model_entry *m = rows[k].mem;
        if (o && m)
            json_object_update_new(
                o, json_pack("{s:b, s:b, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "resident",
                             m->resident, "on_demand", m->on_demand, "pinned", m->pinned, "evicted",
                             m->evicted, "mapped_bytes", (json_int_t)m->mapped_bytes,
                             "private_bytes", (json_int_t)m->private_bytes, "arenas_bytes",
                             (json_int_t)m->arenas_bytes, "last_use_ms", (json_int_t)m->last_use_ms,
                             "loads", (json_int_t)m->loads, "evictions", (json_int_t)m->evictions));
        json_array_append_new(arr, o);
    }
    return arr;
}

int edgectl_models(int argc, char **argv)
{
    edgectl_common o;
    int rc = parse_simple(argc, argv, &o, NULL, "edgectl models [--json] [--socket PATH]");
    edge_client *c = NULL;
    if (rc || (rc = edgectl_open(&o, &c)))
        return rc;
    edge_client_index *x = NULL;
    if ((rc = edge_client_repository_index(c, &x)) != 0) {
        rc = edgectl_client_fail(c, rc);
        edge_client_free(c);
        return rc;
    }
    model_row *rows = calloc(x->n ? x->n : 1, sizeof *rows);
    size_t n = rows ? group_index(x, rows) : 0;
    if (o.json) {
        print_json(index_json(x, rows, n));
    } else {
        printf("%-24s %-10s %-12s %-19s %-10s %-8s %-8s %8s %8s %8s %-8s %5s %5s %s\n", "MODEL",
               "VERSIONS", "STATE", "LOADED", "POLICY", "FILE", "RESIDENT", "MAPPED", "PRIVATE",
               "ARENAS", "USED", "LOADS", "EVICT", "LAST ERROR");
        for (size_t k = 0; k < n; k++) {
            char when[32] = "-";
            if (rows[k].loaded_at_ms) {
                const time_t t = (time_t)(rows[k].loaded_at_ms / 1000);
                struct tm tm;
                if (localtime_r(&t, &tm))
                    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
            }
            const edge_client_model_entry *m = rows[k].mem;
            const bool unavailable = !strcmp(rows[k].state, "UNAVAILABLE");
            const bool lazy = m && m->on_demand && unavailable; /* the memory budget */
            /* an unavailable model's reason is its last error */
            const char *err = rows[k].last_error ? rows[k].last_error
                              : lazy             ? "its next request loads it"
                                                 : rows[k].reason;
            /* states in operators' words: READY (+LOADING while a reload runs),
             * LOADING, FAILED (nothing serves: the reason says why), UNLOADED, EVICTED and
             * ON DEMAND (not resident under the memory budget) */
            char state[80];
            snprintf(
                state, sizeof state, "%s%s",
                lazy          ? (m->evicted ? "EVICTED" : "ON DEMAND")
                : unavailable ? (rows[k].reason && !strcmp(rows[k].reason, "unloaded") ? "UNLOADED"
                                                                                       : "FAILED")
                : rows[k].state[0] ? rows[k].state
                                   : "-",
                rows[k].loading && !unavailable && strcmp(rows[k].state, "LOADING") ? "+LOADING"
                                                                                    : "");
            char mapped[16] = "-", priv[16] = "-", arenas[16] = "-", used[16] = "-";
            char loads[24] = "-", evict[24] = "-";
            if (m) {
                edgectl_bytes(m->mapped_bytes, mapped, sizeof mapped);
                edgectl_bytes(m->private_bytes, priv, sizeof priv);
                edgectl_bytes(m->arenas_bytes, arenas, sizeof arenas);
                edgectl_ago(m->last_use_ms, used, sizeof used);
                snprintf(loads, sizeof loads, "%lld", (long long)m->loads);
                snprintf(evict, sizeof evict, "%lld", (long long)m->evictions);
            }
            printf("%-24s %-10s %-12s %-19s %-10s %-8s %-8s %8s %8s %8s %-8s %5s %5s %s\n",
                   rows[k].name, rows[k].versions[0] ? rows[k].versions : "-", state, when,
                   rows[k].policy ? rows[k].policy : "-", rows[k].file ? rows[k].file : "-",
                   !m            ? "-"
                   : m->pinned   ? "pinned"
                   : m->resident ? "yes"
                   : m->evicted  ? "evicted"
                                 : "no",
                   mapped, priv, arenas, used, loads, evict, err ? err : "");
        }
        for (size_t k = 0; k < n; k++) /* why the memory cannot be shared or dropped */
            if (rows[k].file_note)
                printf("%s: a private copy of its file: %s\n", rows[k].name, rows[k].file_note);
    }
    free(rows);
    edge_client_index_free(x);
    edge_client_free(c);
    return EDGECTL_OK;
}

/* ---------------------------------------------------------------- status */

/* Sum of every sample of a metric whose name ends in SUFFIX with label model="NAME" (and
 * label EXTRA, like mode="solo", when not NULL) in the Prometheus text; -1 if there is none.
 * Samples with a fraction (seconds) are summed as such. */
static double model_total(const char *metrics, const char *suffix, const char *name,
                          const char *extra)
{
    double sum = -1;
    char want[300];
    snprintf(want, sizeof want, "model=\"%s\"", name);
    const size_t sl = strlen(suffix);
    for (const char *line = metrics; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        const char *brace = memchr(line, '{', len);
        if (line[0] != '#' && brace && (size_t)(brace - line) >= sl &&
            !memcmp(brace - sl, suffix, sl)) {
            const char *close = memchr(brace, '}', len - (size_t)(brace - line));
            char labels[512];
            size_t ll = close ? (size_t)(close - brace) : 0;
            if (close && ll < sizeof labels) {
                memcpy(labels, brace, ll);
                labels[ll] = 0;
                if (strstr(labels, want) && (!extra || strstr(labels, extra)))
                    sum = (sum < 0 ? 0 : sum) + strtod(close + 1, NULL);
            }
        }
        line = eol ? eol + 1 : NULL;
    }
    return sum;
}

/* model_total of a count. */
static long long model_sum(const char *metrics, const char *suffix, const char *name,
                           const char *extra)
{
    const double v = model_total(metrics, suffix, name, extra);
    if (!(v >= 0)) /* none, or not a number */
        return -1;
    return v < 9e18 ? (long long)(v + 0.5) : LLONG_MAX; /* a sample past any count: no overflow */
}

static long long queue_depth(const char *metrics, const char *name)
{
    return model_sum(metrics, "queue_depth", name, NULL);
}

/* What MODEL's intra-op teams did, from /metrics (edged_intra_op_*): parallel and solo loops,
 * solo spells begun, interpreters in a spell now, loops alone by their operator's times and
 * inferences run alone by their own (each -1 from an edged before them); false when edged does
 * not say. */
typedef struct team_counts {
    long long parallel, solo, spells, solo_now, alone, alone_invokes;
    double caller_work, helpers_work; /* seconds in the operators' work (-1: not said) */
} team_counts;

static bool team_of(const char *metrics, const char *model, team_counts *t)
{
    t->parallel = model_sum(metrics, "edged_intra_op_loops_total", model, "mode=\"parallel\"");
    t->solo = model_sum(metrics, "edged_intra_op_loops_total", model, "mode=\"solo\"");
    t->spells = model_sum(metrics, "edged_intra_op_solo_spells_total", model, NULL);
    t->solo_now = model_sum(metrics, "edged_intra_op_solo", model, NULL);
    t->alone = model_sum(metrics, "edged_intra_op_loops_total", model, "mode=\"alone\"");
    t->alone_invokes = model_sum(metrics, "edged_intra_op_alone_invokes_total", model, NULL);
    t->caller_work =
        model_total(metrics, "edged_intra_op_work_seconds_total", model, "thread=\"caller\"");
    t->helpers_work =
        model_total(metrics, "edged_intra_op_work_seconds_total", model, "thread=\"helpers\"");
    /* not said, or not a number JSON can hold (NaN, infinite): -1 */
    if (!(t->caller_work >= 0 && t->caller_work < 1e15))
        t->caller_work = -1;
    if (!(t->helpers_work >= 0 && t->helpers_work < 1e15))
        t->helpers_work = -1;
    return metrics && t->parallel >= 0 && t->solo >= 0 && t->spells >= 0 && t->solo_now >= 0;
}

/* HELPERS, status's column: the helpers' work as a share of the workers' own threads' ("-" when
 * edged does not say or nothing ran): near 100% when the teams share the work, near 0 when one
 * thread does it. */
static void helpers_share(const team_counts *t, char *out, size_t size)
{
    if (t->caller_work > 0.0 && t->helpers_work >= 0.0)
        snprintf(out, size, "%.0f%%", 100.0 * t->helpers_work / t->caller_work);
}

static json_t *team_json(const char *metrics, const char *model)
{
    team_counts t;
    if (!team_of(metrics, model, &t))
        return json_null();
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "parallel_loops",
                     (json_int_t)t.parallel, "solo_loops", (json_int_t)t.solo, "solo_spells",
                     (json_int_t)t.spells, "solo_now", (json_int_t)t.solo_now, "alone_loops",
                     (json_int_t)t.alone, "alone_invokes", (json_int_t)t.alone_invokes,
                     "caller_work_seconds", t.caller_work, "helpers_work_seconds", t.helpers_work);
}

typedef struct status_info {
    bool live, ready;
    edge_client_server_meta *server;
    edge_client_index *index;
    char *metrics;
} status_info;

static int status_fetch(edge_client *c, status_info *s)
{
    int rc = edge_client_health(c, &s->live, &s->ready);
    if (!rc)
        rc = edge_client_server_metadata(c, &s->server);
    if (!rc)
        rc = edge_client_repository_index(c, &s->index);
    if (!rc && edge_client_metrics(c, &s->metrics, NULL) != 0)
        s->metrics = NULL; /* optional: the table just lacks queue depths */
    return rc;
}

/* The devices of /metrics (edged_device_temperature_celsius, edged_device_throttled) as JSON:
 * [{"device", "temperature_celsius" (or null), "throttled" (or null)}], in order of appearance. */
static json_t *devices_json(const char *metrics)
{
    static const char *const fam[2] = {"\nedged_device_temperature_celsius{device=\"",
                                       "\nedged_device_throttled{device=\""};
    json_t *list = json_array();
    for (int f = 0; metrics && list && f < 2; f++)
        for (const char *p = metrics; (p = strstr(p, fam[f]));) {
            p += strlen(fam[f]);
            const char *q = strstr(p, "\"} ");
            if (!q || q - p > 200)
                break;
            char name[208];
            snprintf(name, sizeof name, "%.*s", (int)(q - p), p);
            const double v = strtod(q + 3, NULL);
            json_t *d = NULL;
            size_t i;
            json_t *e;
            json_array_foreach(
                list, i, e) if (!strcmp(json_string_value(json_object_get(e, "device")), name)) d =
                e;
            if (!d) {
                d = json_pack("{s:s, s:n, s:n}", "device", name, "temperature_celsius",
                              "throttled");
                json_array_append_new(list, d);
            }
            if (d)
                json_object_set_new(d, f ? "throttled" : "temperature_celsius",
                                    f ? json_boolean(v != 0) : json_real(v));
        }
    return list;
}

/* The value of the sample that starts with KEY (a whole line's start: "name{labels} ") in
 * the Prometheus text, as a string up to the end of its line; NULL if absent. */
static const char *sample_after(const char *metrics, const char *key)
{
    const size_t k = strlen(key);
    for (const char *p = metrics; p && (p = strstr(p, key)); p += k)
        if (p == metrics || p[-1] == '\n')
            return p + k;
    return NULL;
}

/* A Prometheus label value starting at P (after its opening quote), unescaped (\\, \", \n),
 * as a JSON string; null without one. */
static json_t *label_value(const char *p)
{
    char out[512];
    size_t n = 0;
    for (; p && *p && *p != '"' && *p != '\n' && n < sizeof out - 1; p++) {
        if (*p == '\\' && p[1])
            p++, out[n++] = *p == 'n' ? '\n' : *p;
        else
            out[n++] = *p;
    }
    return p && *p == '"' ? json_stringn(out, n) : json_null();
}

/* The D-Bus name's state from /metrics (edged_dbus_name_*): {"state", "since" (seconds since
 * the epoch, or null), "error" (while retrying, or null)}; null when edged does not say. */
static json_t *dbus_json(const char *metrics)
{
    static const char *const states[] = {"off", "requesting", "owned", "retrying", "disconnected"};
    const char *state = NULL;
    for (size_t i = 0; metrics && i < sizeof states / sizeof states[0]; i++) {
        char key[80];
        snprintf(key, sizeof key, "edged_dbus_name_state{state=\"%s\"} ", states[i]);
        const char *v = sample_after(metrics, key);
        if (v && strtod(v, NULL) == 1)
            state = states[i];
    }
    if (!state)
        return json_null();
    const char *since = sample_after(metrics, "edged_dbus_name_since_timestamp_seconds ");
    const double t = since ? strtod(since, NULL) : 0;
    const char *err = sample_after(metrics, "edged_dbus_name_error_info{error=\"");
    return json_pack("{s:s, s:o, s:o}", "state", state, "since", t > 0 ? json_real(t) : json_null(),
                     "error", label_value(err));
}

/* "owned since 23:01:02", "retrying since 23:01:02: the error", "off", or "unknown". */
static void dbus_print(const json_t *dbus)
{
    const char *state = json_string_value(json_object_get(dbus, "state"));
    const json_t *since = json_object_get(dbus, "since");
    char when[32] = "";
    if (json_is_real(since)) {
        const time_t t = (time_t)json_real_value(since);
        struct tm tm;
        strftime(when, sizeof when, " since %Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
    }
    const char *err = json_string_value(json_object_get(dbus, "error"));
    printf("D-Bus API: %s%s%s%s\n", state ? state : "unknown (no edged_dbus_name_state)", when,
           err ? ": " : "", err ? err : "");
}

/* The Wyoming server's figures from /metrics (edged_wyoming_*): {"models", "connections",
 * "streams", "detections", "errors", "dropped"}; null when it is off. */
static json_t *wyoming_json(const char *metrics)
{
    static const char *const keys[] = {"models",     "connections", "streams",
                                       "detections", "errors",      "dropped"};
    static const char *const names[] = {"models",           "connections",  "streams",
                                        "detections_total", "errors_total", "dropped_total"};
    json_t *o = json_object();
    for (size_t i = 0; o && i < sizeof keys / sizeof keys[0]; i++) {
        char key[80];
        snprintf(key, sizeof key, "edged_wyoming_%s ", names[i]);
        const char *v = sample_after(metrics, key);
        if (!v) {
            json_decref(o);
            return json_null();
        }
        json_object_set_new(o, keys[i], json_integer((json_int_t)strtod(v, NULL)));
    }
    return o ? o : json_null();
}

/* "Wyoming: 6 wake words, 2 connections, 1 stream, 14 detections, 0 errors, 0 dropped", or
 * nothing when it is off. */
static void wyoming_print(const json_t *w)
{
    if (!json_is_object(w))
        return;
#define WV(k) (long long)json_integer_value(json_object_get(w, k))
    printf("Wyoming: %lld wake words, %lld connections, %lld streams, %lld detections, %lld "
           "errors, %lld dropped\n",
           WV("models"), WV("connections"), WV("streams"), WV("detections"), WV("errors"),
           WV("dropped"));
#undef WV
}

static void status_print_json(edge_client *c, const status_info *s, const model_row *rows, size_t n)
{
    json_t *ext = json_array();
    for (size_t i = 0; i < s->server->n_extensions; i++)
        json_array_append_new(ext, json_string(s->server->extensions[i]));
    json_t *models = index_json(s->index, rows, n);
    for (size_t k = 0; k < n; k++) {
        long long q = s->metrics ? queue_depth(s->metrics, rows[k].name) : -1;
        json_object_set_new(json_array_get(models, k), "queue_depth",
                            q < 0 ? json_null() : json_integer(q));
        json_object_set_new(json_array_get(models, k), "intra_op",
                            team_json(s->metrics, rows[k].name));
    }
    print_json(json_pack("{s:s, s:b, s:b, s:{s:o, s:o, s:o}, s:o, s:o, s:o, s:o}", "socket",
                         edge_client_socket_path(c), "live", s->live, "ready", s->ready, "server",
                         "name", jstr(s->server->name), "version", jstr(s->server->version),
                         "extensions", ext, "models", models, "devices", devices_json(s->metrics),
                         "dbus", dbus_json(s->metrics), "wyoming", wyoming_json(s->metrics)));
}

static void status_print_text(edge_client *c, const status_info *s, const model_row *rows, size_t n)
{
    printf("%s %s on %s: %s, %s\n", s->server->name ? s->server->name : "server",
           s->server->version ? s->server->version : "", edge_client_socket_path(c),
           s->live ? "live" : "not live", s->ready ? "ready" : "not ready");
    printf("extensions:");
    for (size_t i = 0; i < s->server->n_extensions; i++)
        printf(" %s", s->server->extensions[i]);
    printf("\n");
    json_t *dbus = dbus_json(s->metrics);
    dbus_print(dbus);
    json_decref(dbus);
    json_t *wy = wyoming_json(s->metrics);
    wyoming_print(wy);
    json_decref(wy);
    /* the intra-op teams: loops on all their threads, loops alone in solo spells (the other
     * cores busy), spells begun, workers in one now, loops alone by their operator's times,
     * inferences alone by their own */
    printf("\n%-24s %-12s %-12s %5s %12s %12s %7s %8s %12s %10s %8s\n", "MODEL", "VERSIONS",
           "STATE", "QUEUE", "PARALLEL", "SOLO", "SPELLS", "SOLO NOW", "ALONE", "ALONE INF",
           "HELPERS");
    for (size_t k = 0; k < n; k++) {
        long long q = s->metrics ? queue_depth(s->metrics, rows[k].name) : -1;
        char qs[24], par[24] = "-", solo[24] = "-", spells[24] = "-", now[24] = "-",
                     alone[24] = "-", alone_inv[24] = "-", helpers[24] = "-";
        snprintf(qs, sizeof qs, q < 0 ? "-" : "%lld", q);
        team_counts t;
        if (team_of(s->metrics, rows[k].name, &t)) {
            snprintf(par, sizeof par, "%lld", t.parallel);
            snprintf(solo, sizeof solo, "%lld", t.solo);
            snprintf(spells, sizeof spells, "%lld", t.spells);
            snprintf(now, sizeof now, "%lld", t.solo_now);
            if (t.alone >= 0)
                snprintf(alone, sizeof alone, "%lld", t.alone);
            if (t.alone_invokes >= 0)
                snprintf(alone_inv, sizeof alone_inv, "%lld", t.alone_invokes);
            helpers_share(&t, helpers, sizeof helpers);
        }
        printf("%-24s %-12s %-12s %5s %12s %12s %7s %8s %12s %10s %8s\n", rows[k].name,
               rows[k].versions[0] ? rows[k].versions : "-", rows[k].state[0] ? rows[k].state : "-",
               qs, par, solo, spells, now, alone, alone_inv, helpers);
    }
    json_t *devs = devices_json(s->metrics);
    if (json_array_size(devs))
        printf("\n%-24s %-12s %s\n", "DEVICE", "TEMPERATURE", "THROTTLED");
    size_t i;
    json_t *d;
    json_array_foreach(devs, i, d)
    {
        const json_t *t = json_object_get(d, "temperature_celsius");
        const json_t *th = json_object_get(d, "throttled");
        char temp[32] = "-";
        if (json_is_real(t))
            snprintf(temp, sizeof temp, "%.1f C", json_real_value(t));
        printf("%-24s %-12s %s\n", json_string_value(json_object_get(d, "device")), temp,
               json_is_null(th)   ? "-"
               : json_is_true(th) ? "yes"
                                  : "no");
    }
    json_decref(devs);
}

int edgectl_status(int argc, char **argv)
{
    edgectl_common o;
    int rc = parse_simple(argc, argv, &o, NULL, "edgectl status [--json] [--socket PATH]");
    edge_client *c = NULL;
    if (rc || (rc = edgectl_open(&o, &c)))
        return rc;
    status_info s = {0};
    if ((rc = status_fetch(c, &s)) != 0) {
        rc = edgectl_client_fail(c, rc);
    } else {
        model_row *rows = calloc(s.index->n ? s.index->n : 1, sizeof *rows);
        size_t n = rows ? group_index(s.index, rows) : 0;
        if (o.json)
            status_print_json(c, &s, rows, n);
        else
            status_print_text(c, &s, rows, n);
        free(rows);
        rc = s.live && s.ready ? EDGECTL_OK : EDGECTL_EFAIL;
    }
    edge_client_server_meta_free(s.server);
    edge_client_index_free(s.index);
    free(s.metrics);
    edge_client_free(c);
    return rc;
}

/* ---------------------------------------------------------------- load, unload */

static int repo_cmd(int argc, char **argv, bool load)
{
    edgectl_common o;
    const char *name = NULL;
    int rc = parse_simple(argc, argv, &o, &name,
                          load ? "edgectl load MODEL [--json] [--socket PATH]"
                               : "edgectl unload MODEL [--json] [--socket PATH]");
    edge_client *c = NULL;
    if (rc || (rc = edgectl_open(&o, &c)))
        return rc;
    rc = load ? edge_client_load(c, name) : edge_client_unload(c, name);
    if (rc) {
        rc = edgectl_client_fail(c, rc);
    } else if (o.json) {
        print_json(json_pack("{s:s, s:s, s:b}", "model", name, "action", load ? "load" : "unload",
                             "ok", 1));
    } else {
        printf("%s: %s\n", name, load ? "loaded" : "unloaded");
    }
    edge_client_free(c);
    return rc;
}

/* reload MODEL: load it again and wait (the daemon answers when the new files
 * are in, or why not); reload: rescan the whole repository (in the background). */
int edgectl_reload(int argc, char **argv)
{
    edgectl_common o;
    const char *name = NULL;
    memset(&o, 0, sizeof o);
    for (int i = 1; i < argc; i++) {
        const int r = edgectl_common_opt(&o, argc, argv, &i);
        if (r == 1)
            continue;
        if (r == 0 && !name && argv[i][0] != '-') {
            name = argv[i];
            continue;
        }
        fprintf(stderr, "usage: edgectl reload [MODEL] [--json] [--socket PATH]\n");
        return EDGECTL_EUSAGE;
    }
    edge_client *c = NULL;
    int rc = edgectl_open(&o, &c);
    if (rc)
        return rc;
    rc = name ? edge_client_load(c, name) : edge_client_rescan(c);
    if (rc) {
        rc = edgectl_client_fail(c, rc);
    } else if (o.json) {
        print_json(json_pack("{s:o, s:s, s:b}", "model", name ? json_string(name) : json_null(),
                             "action", name ? "reload" : "rescan", "ok", 1));
    } else if (name) {
        printf("%s: reloaded\n", name);
    } else {
        printf("rescan started: changed models load in the background (edgectl models shows "
               "them)\n");
    }
    edge_client_free(c);
    return rc;
}

int edgectl_load(int argc, char **argv)
{
    return repo_cmd(argc, argv, true);
}

int edgectl_unload(int argc, char **argv)
{
    return repo_cmd(argc, argv, false);
}
