/* tests/integration/test_dbus.c - edged's D-Bus API (org.edged.Edged1) on a
 * private dbus-daemon (tests/integration/sd_fixture.c).
 *
 * Owns: the API as a client sees it, with busctl (a real third-party client:
 * introspect, tree, call, get-property, monitor for the signals and
 * PropertiesChanged) and with sd-bus where the exact error name matters: the
 * manager's methods, properties and signals, one object per model with its
 * properties, Infer bit-exact with the reference outputs (and Busy and Timeout
 * answers from a stalled worker, EDGED_TEST_STALL; Infer of a wakeword model refused, naming
 * the kind), unload/load/reload
 * with their signals, a corrupt model file (ModelLoadFailed, LoadFailed), bad
 * arguments of every kind each answered with a specific D-Bus error while the
 * service keeps serving, Reload() rescanning the repository, edged
 * without a reachable bus (still serving HTTP) or with bus = none, and the
 * name refused by the bus's policy until a reload allows it (owned then;
 * /metrics and edgectl status say which).
 * The bus lives for the group; every case starts its own edged. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "daemon_fixture.h"
#include "sd_fixture.h"
#include "seq_stream.h"
#include "test_support.h"

#define SVC "org.edged.Edged1"
#define OBJ "/org/edged/Edged1"
#define MGR "org.edged.Edged1.Manager"
#define MIF "org.edged.Edged1.Model"
#define MODEL_PREFIX OBJ "/model"
#define ERR_NO_SUCH "org.edged.Edged1.Error.NoSuchModel"
#define ERR_LOAD_FAILED "org.edged.Edged1.Error.LoadFailed"
#define ERR_INVALID "org.freedesktop.DBus.Error.InvalidArgs"
/* A name with characters sd_bus_path_encode escapes (symlinked to hello_world_int8). */
#define ODD_NAME "dot.dash-name"

static dfx F;
static sdbus B;
static sd_bus *C; /* our own client connection */
static const char *shared;
static int64_t started_ms;

/* ---------------------------------------------------------------- helpers */

#define BUSCTL(o, ...) sdx_busctl(B.addr, 60000, (o), __VA_ARGS__, (char *)NULL)

static void expect_ok(const sdx_out *o, const char *what)
{
    if (o->status != 0)
        fail_msg("busctl %s: exit %d\n# stderr: %s\n# stdout: %.500s\n# edged log:\n%s", what,
                 o->status, o->err ? o->err : "", o->out ? o->out : "", sdx_log_tail(F.log));
}

static json_t *busctl_json(const char *what, sdx_out *o)
{
    expect_ok(o, what);
    json_error_t e;
    json_t *j = json_loads(o->out, JSON_DISABLE_EOF_CHECK, &e);
    if (!j)
        fail_msg("busctl %s: not JSON (%s): %.500s", what, e.text, o->out);
    return j;
}

/* The "data" of busctl --json=short output. */
static json_t *jdata(json_t *j)
{
    json_t *d = json_object_get(j, "data");
    if (!d)
        fail_msg("no \"data\" in busctl's JSON");
    return d;
}

static pid_t name_owner_pid(void)
{
    sd_bus_error err = SD_BUS_ERROR_NULL;
    sd_bus_message *rep = NULL;
    uint32_t pid = 0;
    if (sd_bus_call_method(C, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "GetConnectionUnixProcessID", &err, &rep, "s",
                           SVC) >= 0)
        sd_bus_message_read(rep, "u", &pid);
    sd_bus_error_free(&err);
    sd_bus_message_unref(rep);
    return (pid_t)pid;
}

/* edged with [dbus] bus = BUS (and EXTRA), until it owns the name when OWN. */
static void start(const char *bus, const char *extra, bool own)
{
    char ini[1024];
    snprintf(ini, sizeof ini, "%s\n[dbus]\nbus = %s\n", extra ? extra : "", bus);
    started_ms = sdx_realtime_ms();
    if (dfx_start(&F, ini) != 0)
        fail_msg("edged did not start with [dbus] bus = %s; log:\n%s", bus, sdx_log_tail(F.log));
    if (!own)
        return;
    for (int i = 0; i < 1200; i++) { /* the owner is this edged, not the last case's */
        if (name_owner_pid() == F.pid)
            return;
        usleep(50000);
    }
    fail_msg("edged (pid %d) did not own %s on %s within 60 s (owner pid %d); log:\n%s", (int)F.pid,
             SVC, B.addr, (int)name_owner_pid(), sdx_log_tail(F.log));
}

static void start_default(void)
{
    start(B.addr, NULL, true);
}

/* Models in the repository: NAME.tflite and NAME/, sorted. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t repository(char names[][80], size_t max)
{
    DIR *d = opendir(F.models);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(names[n], 80, "%.79s", e->d_name);
        char *dot = strstr(names[n], ".tflite");
        if (dot && dot[7] == 0)
            *dot = 0;
        n++;
    }
    closedir(d);
    char *ptrs[128];
    for (size_t i = 0; i < n; i++)
        ptrs[i] = strdup(names[i]);
    qsort(ptrs, n, sizeof *ptrs, cmp_str);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], 80, "%.79s", ptrs[i]);
        free(ptrs[i]);
    }
    return n;
}

static const char *model_path(const char *name)
{
    static char buf[4][256];
    static int k;
    char *p = NULL;
    if (sd_bus_path_encode(MODEL_PREFIX, name, &p) < 0)
        fail_msg("sd_bus_path_encode(%s)", name);
    char *out = buf[k++ % 4];
    snprintf(out, 256, "%s", p);
    free(p);
    return out;
}

/* ListModels as JSON: the array of [name, version, state, path]. Caller decrefs the root. */
static json_t *list_models(json_t **root)
{
    sdx_out o;
    BUSCTL(&o, "--json=short", "call", SVC, OBJ, MGR, "ListModels");
    *root = busctl_json("call ListModels", &o);
    sdx_out_free(&o);
    json_t *arr = json_array_get(jdata(*root), 0);
    if (!json_is_array(arr))
        fail_msg("ListModels: the reply is not an array");
    return arr;
}

static json_t *find_model(json_t *arr, const char *name)
{
    size_t i;
    json_t *m;
    json_array_foreach(arr, i,
                       m) if (!strcmp(json_string_value(json_array_get(m, 0)), name)) return m;
    return NULL;
}

/* ListModels' entry for NAME: its state ("" when absent) and version. */
static const char *listed_state(const char *name, long long *version)
{
    static char state[32];
    json_t *root;
    json_t *m = find_model(list_models(&root), name);
    snprintf(state, sizeof state, "%s", m ? json_string_value(json_array_get(m, 2)) : "");
    if (version)
        *version = m ? json_integer_value(json_array_get(m, 1)) : -2;
    json_decref(root);
    return state;
}

/* busctl --json=short get-property; returns the root (decref) and the data in *data. */
static json_t *get_prop(const char *path, const char *iface, const char *prop, json_t **data)
{
    sdx_out o;
    char what[256];
    snprintf(what, sizeof what, "get-property %s %s", path, prop);
    BUSCTL(&o, "--json=short", "get-property", SVC, path, iface, prop);
    json_t *root = busctl_json(what, &o);
    sdx_out_free(&o);
    *data = jdata(root);
    return root;
}

static char *get_prop_string(const char *path, const char *iface, const char *prop)
{
    json_t *d, *root = get_prop(path, iface, prop, &d);
    if (!json_is_string(d))
        fail_msg("%s %s is not a string", path, prop);
    char *s = strdup(json_string_value(d));
    json_decref(root);
    return s;
}

static int http_ready(const char *model)
{
    char path[256];
    snprintf(path, sizeof path, "/v2/models/%s/ready", model);
    return dfx_curl(&F, "GET", path, NULL, NULL, NULL, NULL, NULL);
}

/* An HTTP inference of hello_world_int8 (one INT8). */
static int http_infer_small(void)
{
    char *md = NULL, file[256];
    if (dfx_curl(&F, "GET", "/v2/models/hello_world_int8", NULL, NULL, &md, NULL, NULL) != 200)
        return 0;
    json_t *j = json_loads(md, 0, NULL);
    free(md);
    const char *name =
        json_string_value(json_object_get(json_array_get(json_object_get(j, "inputs"), 0), "name"));
    json_t *req = json_pack("{s:[{s:s,s:[i,i],s:s,s:[i]}]}", "inputs", "name", name, "shape", 1, 1,
                            "datatype", "INT8", "data", 7);
    snprintf(file, sizeof file, "%s/small.json", F.dir);
    json_dump_file(req, file, JSON_COMPACT);
    json_decref(req);
    json_decref(j);
    return dfx_curl(&F, "POST", "/v2/models/hello_world_int8/infer", file,
                    "-H 'Content-Type: application/json'", NULL, NULL, NULL);
}

/* The service still answers on D-Bus and over HTTP. */
static void still_serving(const char *after)
{
    json_t *root;
    list_models(&root);
    json_decref(root);
    const int st = http_infer_small();
    if (st != 200)
        fail_msg("after %s: HTTP inference %d; log:\n%s", after, st, sdx_log_tail(F.log));
    const int h = dfx_curl(&F, "GET", "/v2/health/ready", NULL, NULL, NULL, NULL, NULL);
    if (h != 200)
        fail_msg("after %s: /v2/health/ready %d", after, h);
}

/* A call with sd-bus: returns 0 and the reply, or the error (name and message). */
static int call(sd_bus_error *err, sd_bus_message **reply, const char *member, const char *types,
                ...)
{
    sd_bus_message *m = NULL;
    int r = sd_bus_message_new_method_call(C, &m, SVC, OBJ, MGR, member);
    if (r >= 0 && types) {
        va_list ap;
        va_start(ap, types);
        r = sd_bus_message_appendv(m, types, ap);
        va_end(ap);
    }
    if (r < 0)
        fail_msg("cannot build the call %s: %s", member, strerror(-r));
    r = sd_bus_call(C, m, 120 * 1000000ULL, err, reply);
    sd_bus_message_unref(m);
    return r;
}

static void expect_dbus_error(const char *what, int r, const sd_bus_error *err, const char *name,
                              const char *needle)
{
    printf("# %s -> %s: %s\n", what, err->name ? err->name : "(no error)",
           err->message ? err->message : "");
    if (r >= 0)
        fail_msg("%s succeeded; expected %s", what, name);
    if (!err->name || (name && strcmp(err->name, name)))
        fail_msg("%s: error %s (%s), expected %s", what, err->name ? err->name : "?",
                 err->message ? err->message : "", name);
    if (!err->message || !err->message[0])
        fail_msg("%s: %s without a message", what, err->name);
    if (needle && !strstr(err->message, needle))
        fail_msg("%s: the message '%s' does not mention '%s'", what, err->message, needle);
}

/* busctl with a bad call: exits non-zero and says something specific. */
static void expect_busctl_error(const char *what, const char *needle, sdx_out *o)
{
    printf("# busctl %s -> exit %d: %s", what, o->status, o->err ? o->err : "\n");
    if (o->status == 0)
        fail_msg("busctl %s succeeded: %s", what, o->out);
    if (o->status < 0)
        fail_msg("busctl %s did not finish", what);
    if (!o->err || !o->err[0])
        fail_msg("busctl %s: no error message", what);
    if (needle && !strstr(o->err, needle))
        fail_msg("busctl %s: the error '%s' does not mention '%s'", what, o->err, needle);
    sdx_out_free(o);
}

/* Monitor file: the JSON messages so far that match (member, path prefix). */
static json_t *monitor_find(const char *file, const char *member, const char *arg0, size_t *skip)
{
    char *text = sdx_slurp(file, NULL);
    if (!text)
        return NULL;
    json_t *found = NULL;
    size_t k = 0;
    for (char *line = strtok(text, "\n"); line && !found; line = strtok(NULL, "\n")) {
        json_t *j = json_loads(line, 0, NULL);
        if (!j)
            continue;
        const char *mem = json_string_value(json_object_get(j, "member"));
        json_t *payload = json_object_get(json_object_get(j, "payload"), "data");
        const char *a0 = json_string_value(json_array_get(payload, 0));
        if (mem && !strcmp(mem, member) && (!arg0 || (a0 && !strcmp(a0, arg0))) &&
            k++ >= (skip ? *skip : 0))
            found = json_incref(j);
        json_decref(j);
    }
    free(text);
    return found;
}

static json_t *monitor_wait(const char *file, const char *member, const char *arg0, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        json_t *j = monitor_find(file, member, arg0, NULL);
        if (j)
            return j;
        usleep(50000);
    }
    char *all = sdx_slurp(file, NULL);
    fail_msg("no %s(%s) signal within %d ms; the monitor saw:\n%.3000s\n# log:\n%s", member,
             arg0 ? arg0 : "", timeout_ms, all ? all : "(nothing)", sdx_log_tail(F.log));
    return NULL;
}

/* A PropertiesChanged of the manager naming PROP (changed or invalidated) whose
 * check (if any) accepts it. */
typedef bool (*prop_check)(json_t *value, const void *arg);

static bool monitor_prop_changed(const char *file, const char *prop, prop_check check,
                                 const void *arg)
{
    char *text = sdx_slurp(file, NULL);
    if (!text)
        return false;
    bool ok = false;
    for (char *line = strtok(text, "\n"); line && !ok; line = strtok(NULL, "\n")) {
        json_t *j = json_loads(line, 0, NULL);
        if (!j)
            continue;
        const char *mem = json_string_value(json_object_get(j, "member"));
        const char *path = json_string_value(json_object_get(j, "path"));
        json_t *data = json_object_get(json_object_get(j, "payload"), "data");
        const char *iface = json_string_value(json_array_get(data, 0));
        if (mem && !strcmp(mem, "PropertiesChanged") && path && !strcmp(path, OBJ) && iface &&
            !strcmp(iface, MGR)) {
            json_t *changed = json_object_get(json_array_get(data, 1), prop);
            json_t *inval = json_array_get(data, 2);
            size_t i;
            json_t *v;
            if (changed)
                ok = !check || check(json_object_get(changed, "data"), arg);
            json_array_foreach(inval, i, v) if (!strcmp(json_string_value(v), prop)) ok = true;
        }
        json_decref(j);
    }
    free(text);
    return ok;
}

/* How long a test waits for a PropertiesChanged it expects (wait_prop_changed returns once it is
 * there): a bound for a hang, not a speed; edged runs under valgrind in one of CI's stages. */
#define PROP_WAIT_MS 60000

static bool wait_prop_changed(const char *file, const char *prop, prop_check check, const void *arg,
                              int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        if (monitor_prop_changed(file, prop, check, arg))
            return true;
        usleep(50000);
    }
    return false;
}

static bool strings_have(json_t *arr, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i,
                       v) if (json_is_string(v) && !strcmp(json_string_value(v), name)) return true;
    return false;
}

static bool models_lack(json_t *v, const void *name)
{
    return json_is_array(v) && !strings_have(v, name);
}

static bool models_have(json_t *v, const void *name)
{
    return json_is_array(v) && strings_have(v, name);
}

static char monitor_file[256];

static pid_t monitor(void)
{
    snprintf(monitor_file, sizeof monitor_file, "%s/monitor.%ld.json", F.dir, random());
    const pid_t pid =
        sdx_monitor_start(B.addr, "type='signal',path_namespace='" OBJ "'", monitor_file);
    if (pid < 0)
        fail_msg("busctl monitor did not start on %s", B.addr);
    return pid;
}

/* ---------------------------------------------------------------- cases */

typedef struct member {
    const char *name, *kind, *sig, *result;
} member;

/* Lines of busctl introspect: ".Name kind signature result/value flags". */
static const char *find_member(const char *text, const char *name)
{
    char want[96];
    snprintf(want, sizeof want, "\n.%s ", name);
    const char *p = strstr(text, want);
    return p ? p + 1 : NULL;
}

static void check_members(const char *text, const member *ms, size_t n, const char *where)
{
    for (size_t i = 0; i < n; i++) {
        const char *line = find_member(text, ms[i].name);
        if (!line)
            fail_msg("%s: no member .%s in busctl introspect:\n%s", where, ms[i].name, text);
        char nm[96], kind[32], sig[64], res[256];
        res[0] = 0;
        const int k = sscanf(line, "%95s %31s %63s %255s", nm, kind, sig, res);
        if (k < 3 || strcmp(kind, ms[i].kind) || strcmp(sig, ms[i].sig) ||
            (ms[i].result && strcmp(res, ms[i].result)))
            fail_msg("%s: .%s is '%.*s', expected %s %s %s", where, ms[i].name,
                     (int)strcspn(line, "\n"), line, ms[i].kind, ms[i].sig,
                     ms[i].result ? ms[i].result : "");
    }
}

static bool line_has(const char *text, const char *name, const char *flag)
{
    const char *line = find_member(text, name);
    if (!line)
        return false;
    const size_t len = strcspn(line, "\n");
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s", (int)len, line);
    return strstr(buf, flag) != NULL;
}

static void test_introspect(void **state)
{
    (void)state;
    start_default();
    sdx_out o;
    BUSCTL(&o, "--full", "introspect", SVC, OBJ, MGR);
    expect_ok(&o, "introspect the manager");
    printf("# busctl introspect %s %s %s:\n%s", SVC, OBJ, MGR, o.out);
    static const member mgr[] = {
        {"ListModels", "method", "-", "a(sxso)"},
        {"LoadModel", "method", "s", "x"},
        {"UnloadModel", "method", "s", "-"},
        {"ReloadModel", "method", "s", "x"},
        {"Reload", "method", "-", "-"},
        {"GetStats", "method", "-", "a{sv}"},
        {"Infer", "method", "saay", "aay"},
        {"InferWithOptions", "method", "saaya{sv}", "aay"},
        {"Version", "property", "s", NULL},
        {"State", "property", "s", NULL},
        {"Models", "property", "as", NULL},
        {"QueueDepth", "property", "u", NULL},
        {"RequestsTotal", "property", "t", NULL},
        {"ModelLoaded", "signal", "sx", NULL},
        {"ModelUnloaded", "signal", "sx", NULL},
        {"ModelLoadFailed", "signal", "ss", NULL},
    };
    check_members(o.out, mgr, sizeof mgr / sizeof mgr[0], MGR);
    if (!line_has(o.out, "Version", "const"))
        fail_msg("Version is not const");
    if (!line_has(o.out, "State", "emits-change"))
        fail_msg("State does not emit changes");
    if (!line_has(o.out, "Models", "emits-change"))
        fail_msg("Models does not emit changes");
    if (!line_has(o.out, "State", "\"ready\""))
        fail_msg("State is not \"ready\" once edged is ready");
    sdx_out_free(&o);
    /* a model object */
    const char *pd = model_path("person_detect");
    BUSCTL(&o, "--full", "introspect", SVC, pd, MIF);
    expect_ok(&o, "introspect a model");
    printf("# busctl introspect %s %s %s:\n%s", SVC, pd, MIF, o.out);
    static const member model[] = {
        {"Name", "property", "s", "\"person_detect\""},
        {"Versions", "property", "ax", NULL},
        {"State", "property", "s", "\"ready\""},
        {"LastError", "property", "s", NULL},
        {"Path", "property", "s", NULL},
        {"Inputs", "property", "a(ssax)", NULL},
        {"Outputs", "property", "a(ssax)", NULL},
        {"RequestsTotal", "property", "t", NULL},
        {"RequestsFailed", "property", "t", NULL},
        {"QueueDepth", "property", "u", NULL},
        {"LoadedAt", "property", "t", NULL},
    };
    check_members(o.out, model, sizeof model / sizeof model[0], MIF);
    sdx_out_free(&o);
    /* the standard interfaces are there too */
    BUSCTL(&o, "--full", "introspect", SVC, OBJ);
    expect_ok(&o, "introspect the object");
    assert_non_null(strstr(o.out, "org.freedesktop.DBus.Properties"));
    assert_non_null(strstr(o.out, "org.freedesktop.DBus.Introspectable"));
    sdx_out_free(&o);
}

static void test_tree(void **state)
{
    (void)state;
    start_default();
    sdx_out o;
    BUSCTL(&o, "--list", "tree", SVC);
    expect_ok(&o, "tree");
    printf("# busctl tree %s --list:\n%s", SVC, o.out);
    char names[64][80];
    const size_t n = repository(names, 64);
    char want[300];
    snprintf(want, sizeof want, "\n%s\n", OBJ);
    const size_t tlen = strlen(o.out) + 3;
    char *text = malloc(tlen);
    assert_non_null(text);
    snprintf(text, tlen, "\n%s\n", o.out);
    if (!strstr(text, want))
        fail_msg("busctl tree does not list %s", OBJ);
    for (size_t i = 0; i < n; i++) {
        snprintf(want, sizeof want, "\n%s\n", model_path(names[i]));
        if (!strstr(text, want))
            fail_msg("busctl tree does not list %s (model %s)", want + 1, names[i]);
    }
    size_t objs = 0;
    for (const char *p = text; (p = strstr(p, "\n" MODEL_PREFIX "/")); p++)
        objs++;
    if (objs != n)
        fail_msg("%zu model objects in the tree, the repository has %zu models", objs, n);
    /* the escaping is sd_bus_path_encode's */
    assert_non_null(strstr(text, "\n" MODEL_PREFIX "/dot_2edash_2dname\n"));
    assert_non_null(strstr(text, "\n" MODEL_PREFIX "/hello_5fworld_5fint8\n"));
    free(text);
    sdx_out_free(&o);
}

/* "# FMT JSON" on a line of its own (the JSON compact). */
static void print_json(const char *label, const json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    printf("# %s%s\n", label, text ? text : "(null)");
    free(text);
}

/* Inputs/Outputs a(ssax) against the HTTP metadata's inputs/outputs. A
 * difference is kept in DEFERRED (the case fails at its end, after checking the
 * rest). */
static char deferred[1024];

static void compare_tensors(const char *model, const char *prop, json_t *dbus, json_t *http)
{
    if (json_array_size(dbus) != json_array_size(http))
        fail_msg("%s %s: %zu tensors, HTTP says %zu", model, prop, json_array_size(dbus),
                 json_array_size(http));
    for (size_t i = 0; i < json_array_size(http); i++) {
        json_t *d = json_array_get(dbus, i), *h = json_array_get(http, i);
        const char *dn = json_string_value(json_array_get(d, 0));
        const char *dt = json_string_value(json_array_get(d, 1));
        const char *hn = json_string_value(json_object_get(h, "name"));
        const char *ht = json_string_value(json_object_get(h, "datatype"));
        char *dshape = json_dumps(json_array_get(d, 2), JSON_COMPACT);
        char *hshape = json_dumps(json_object_get(h, "shape"), JSON_COMPACT);
        if (!dn || !dt || strcmp(dn, hn) ||
            !json_equal(json_array_get(d, 2), json_object_get(h, "shape")))
            fail_msg("%s %s[%zu]: D-Bus (%s, %s, %s), HTTP (%s, %s, %s)", model, prop, i, dn, dt,
                     dshape, hn, ht, hshape);
        if (strcmp(dt, ht) && !deferred[0])
            snprintf(deferred, sizeof deferred,
                     "%s %s[%zu]: the D-Bus type is '%s', expected '%s' (the HTTP metadata's "
                     "datatype)",
                     model, prop, i, dt, ht);
        free(dshape);
        free(hshape);
    }
}

static void test_list_models_and_objects(void **state)
{
    (void)state;
    deferred[0] = 0;
    start_default();
    char names[64][80];
    const size_t n = repository(names, 64);
    json_t *root;
    json_t *arr = list_models(&root);
    print_json("ListModels: ", arr);
    if (json_array_size(arr) != n)
        fail_msg("ListModels has %zu models, the repository %zu", json_array_size(arr), n);
    for (size_t i = 0; i < n; i++) {
        json_t *m = find_model(arr, names[i]);
        if (!m)
            fail_msg("ListModels lacks %s", names[i]);
        const long long want_v = !strcmp(names[i], "hello") ? 2 : 1;
        if (json_integer_value(json_array_get(m, 1)) != want_v ||
            strcmp(json_string_value(json_array_get(m, 2)), "ready") ||
            strcmp(json_string_value(json_array_get(m, 3)), model_path(names[i])))
            fail_msg("ListModels entry %s, expected [\"%s\", %lld, \"ready\", \"%s\"]",
                     json_dumps(m, JSON_COMPACT), names[i], want_v, model_path(names[i]));
    }
    json_decref(root);
    /* person_detect's object against the HTTP metadata */
    const char *pd = model_path("person_detect");
    char *s = get_prop_string(pd, MIF, "Name");
    assert_string_equal(s, "person_detect");
    free(s);
    s = get_prop_string(pd, MIF, "State");
    assert_string_equal(s, "ready");
    free(s);
    s = get_prop_string(pd, MIF, "LastError");
    assert_string_equal(s, "");
    free(s);
    s = get_prop_string(pd, MIF, "Path");
    printf("# person_detect Path: %s\n", s);
    if (!strstr(s, "person_detect") || !strstr(s, ".tflite"))
        fail_msg("person_detect's Path is '%s'", s);
    free(s);
    json_t *d, *r1 = get_prop(pd, MIF, "Versions", &d);
    assert_int_equal(json_array_size(d), 1);
    assert_int_equal(json_integer_value(json_array_get(d, 0)), 1);
    json_decref(r1);
    char *md = NULL;
    assert_int_equal(dfx_curl(&F, "GET", "/v2/models/person_detect", NULL, NULL, &md, NULL, NULL),
                     200);
    json_t *meta = json_loads(md, 0, NULL);
    free(md);
    r1 = get_prop(pd, MIF, "Inputs", &d);
    print_json("person_detect Inputs: ", d);
    compare_tensors("person_detect", "Inputs", d, json_object_get(meta, "inputs"));
    json_decref(r1);
    r1 = get_prop(pd, MIF, "Outputs", &d);
    compare_tensors("person_detect", "Outputs", d, json_object_get(meta, "outputs"));
    json_decref(r1);
    json_decref(meta);
    r1 = get_prop(pd, MIF, "LoadedAt", &d);
    const long long at = json_integer_value(d);
    const int64_t now = sdx_realtime_ms();
    printf("# person_detect LoadedAt %lld (edged started at %lld, now %lld)\n", at,
           (long long)started_ms, (long long)now);
    if (at < started_ms - 2000 || at > now + 2000)
        fail_msg("LoadedAt %lld is not Unix time in ms while edged loaded (%lld..%lld)", at,
                 (long long)started_ms, (long long)now);
    json_decref(r1);
    for (const char *const *p =
             (const char *const[]){"RequestsTotal", "RequestsFailed", "QueueDepth", NULL};
         *p; p++) {
        r1 = get_prop(pd, MIF, *p, &d);
        if (!json_is_integer(d))
            fail_msg("person_detect %s is not a number", *p);
        json_decref(r1);
    }
    /* hello: two versions, newest first */
    r1 = get_prop(model_path("hello"), MIF, "Versions", &d);
    print_json("hello Versions: ", d);
    assert_int_equal(json_array_size(d), 2);
    assert_int_equal(json_integer_value(json_array_get(d, 0)), 2);
    assert_int_equal(json_integer_value(json_array_get(d, 1)), 1);
    json_decref(r1);
    s = get_prop_string(model_path(ODD_NAME), MIF, "Name");
    assert_string_equal(s, ODD_NAME);
    free(s);
    /* a float model would say float32: none in the repository; uint8 ones: */
    r1 = get_prop(model_path("mobilenet_v1_025_128_quant_u8"), MIF, "Inputs", &d);
    {
        char *m2 = NULL;
        assert_int_equal(dfx_curl(&F, "GET", "/v2/models/mobilenet_v1_025_128_quant_u8", NULL, NULL,
                                  &m2, NULL, NULL),
                         200);
        json_t *meta2 = json_loads(m2, 0, NULL);
        free(m2);
        compare_tensors("mobilenet_v1_025_128_quant_u8", "Inputs", d,
                        json_object_get(meta2, "inputs"));
        json_decref(meta2);
    }
    json_decref(r1);
    if (deferred[0])
        fail_msg("%s", deferred);
}

static void test_stats_and_properties(void **state)
{
    (void)state;
    start_default();
    const pid_t mon = monitor();
    for (int i = 0; i < 3; i++)
        assert_int_equal(http_infer_small(), 200);
    sdx_out o;
    BUSCTL(&o, "--json=short", "call", SVC, OBJ, MGR, "GetStats");
    json_t *root = busctl_json("call GetStats", &o);
    sdx_out_free(&o);
    json_t *st = json_array_get(jdata(root), 0);
    print_json("GetStats: ", st);
    static const char *keys[][2] = {
        {"requests_total", "t"}, {"requests_failed", "t"}, {"queue_depth", "u"}, {"models", "u"},
        {"versions", "u"},       {"workers", "u"},         {"uptime_s", "t"}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(st, keys[i][0]);
        if (!v || strcmp(json_string_value(json_object_get(v, "type")), keys[i][1]))
            fail_msg("GetStats: \"%s\" missing or not of type %s", keys[i][0], keys[i][1]);
    }
    char names[64][80];
    const size_t n = repository(names, 64);
#define STAT(k) json_integer_value(json_object_get(json_object_get(st, k), "data"))
    assert_true(STAT("requests_total") >= 3);
    assert_int_equal(STAT("models"), n);
    assert_int_equal(STAT("versions"), n + 1);
    assert_true(STAT("workers") >= 1);
    assert_int_equal(STAT("queue_depth"), 0);
#undef STAT
    /* model_stats: GET /v2/models/stats's JSON (Triton's statistics extension) */
    const json_t *ms = json_object_get(st, "model_stats");
    if (!ms || strcmp(json_string_value(json_object_get(ms, "type")), "s"))
        fail_msg("GetStats: no model_stats string");
    json_t *tri = json_loads(json_string_value(json_object_get(ms, "data")), 0, NULL);
    const json_t *list = json_object_get(tri, "model_stats");
    assert_true(json_array_size(list) >= n);
    json_int_t ok = 0;
    size_t at;
    const json_t *e;
    json_array_foreach(list, at, e)
    {
        const json_t *is = json_object_get(e, "inference_stats");
        assert_non_null(json_object_get(e, "name"));
        ok += json_integer_value(json_object_get(json_object_get(is, "success"), "count"));
    }
    assert_true(ok >= 3);
    json_decref(tri);
    json_decref(root);
    /* Version: edged --version */
    char *argv[] = {getenv("EDGED_BIN"), "--version", NULL};
    sdx_run(argv, 10000, &o);
    char *ver = get_prop_string(OBJ, MGR, "Version");
    printf("# Version \"%s\"; edged --version: %s", ver, o.out);
    char want[128];
    snprintf(want, sizeof want, "edged %s\n", ver); /* then the features built */
    assert_true(strncmp(o.out, want, strlen(want)) == 0);
    free(ver);
    sdx_out_free(&o);
    char *s = get_prop_string(OBJ, MGR, "State");
    assert_string_equal(s, "ready");
    free(s);
    json_t *d;
    root = get_prop(OBJ, MGR, "Models", &d);
    print_json("Models: ", d);
    assert_int_equal(json_array_size(d), n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(json_string_value(json_array_get(d, i)), names[i]))
            fail_msg("Models[%zu] is %s, expected %s (sorted)", i,
                     json_string_value(json_array_get(d, i)), names[i]);
    json_decref(root);
    root = get_prop(OBJ, MGR, "RequestsTotal", &d);
    assert_true(json_integer_value(d) >= 3);
    json_decref(root);
    root = get_prop(OBJ, MGR, "QueueDepth", &d);
    assert_int_equal(json_integer_value(d), 0);
    json_decref(root);
    /* RequestsTotal is announced (at most once per second) */
    if (!wait_prop_changed(monitor_file, "RequestsTotal", NULL, NULL, PROP_WAIT_MS)) {
        char *all = sdx_slurp(monitor_file, NULL);
        fail_msg("no PropertiesChanged for RequestsTotal within %d s of 3 requests:\n%.3000s",
                 PROP_WAIT_MS / 1000, all);
    }
    sdx_bg_stop(mon);
}

/* Infer over D-Bus equals the reference outputs. */
static void infer_busctl(const char *model, int k, bool json_out)
{
    char path[512];
    size_t in_len, want_len;
    snprintf(path, sizeof path, "%s/models/%s/input_%d.bin", shared, model, k);
    uint8_t *in = edge_test_read_file(path, &in_len);
    if (!in)
        fail_msg("cannot read %s", path);
    snprintf(path, sizeof path, "%s/models/%s/expected_%d.bin", shared, model, k);
    uint8_t *want = edge_test_read_file(path, &want_len);
    assert_non_null(want);
    const int argc = 10 + (int)in_len;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    char *nums = malloc(in_len * 4 + 16), len_s[32];
    int a = 0;
    args[a++] = "--json=short";
    args[a++] = "call";
    args[a++] = SVC;
    args[a++] = OBJ;
    args[a++] = MGR;
    args[a++] = "Infer";
    args[a++] = "saay";
    args[a++] = (char *)model;
    args[a++] = "1";
    snprintf(len_s, sizeof len_s, "%zu", in_len);
    args[a++] = len_s;
    for (size_t i = 0; i < in_len; i++) {
        args[a++] = nums + i * 4;
        snprintf(nums + i * 4, 4, "%u", in[i]);
    }
    (void)json_out;
    sdx_out o;
    sdx_busctlv(B.addr, 120000, &o, a, args);
    char what[128];
    snprintf(what, sizeof what, "call Infer %s (input_%d, %zu bytes)", model, k, in_len);
    json_t *root = busctl_json(what, &o);
    json_t *outs = json_array_get(jdata(root), 0);
    if (json_array_size(outs) != 1)
        fail_msg("%s: %zu outputs", what, json_array_size(outs));
    json_t *bytes = json_array_get(outs, 0);
    const size_t got_len = json_array_size(bytes);
    uint8_t *got = malloc(got_len + 1);
    for (size_t i = 0; i < got_len; i++)
        got[i] = (uint8_t)json_integer_value(json_array_get(bytes, i));
    const char *diff =
        dfx_output_diff(got, got_len, want, want_len, dfx_model_exact(shared, model));
    if (diff)
        fail_msg("%s: %s", what, diff);
    printf("# busctl %s: %zu output bytes match expected_%d.bin\n", what, got_len, k);
    json_decref(root);
    sdx_out_free(&o);
    free(got);
    free(args);
    free(nums);
    free(in);
    free(want);
}

/* InferWithOptions on NAME with input IN (LEN bytes) and the options: sequence_id of signature
 * ID_TYPE ("t" or "s", or "d" for a wrong one), sequence_start, sequence_end (when EXTRA_KEY,
 * one more boolean option of that name). 0 and the output 0 bytes in *OUT (malloc'd), or the
 * error name and message in ERR. */
static int infer_options(const char *name, const uint8_t *in, size_t len, char id_type,
                         const char *id, bool start, bool end, const char *extra_key, uint8_t **out,
                         size_t *out_len, sd_bus_error *err)
{
    sd_bus_message *m = NULL, *rep = NULL;
    assert_true(sd_bus_message_new_method_call(C, &m, SVC, OBJ, MGR, "InferWithOptions") >= 0);
    assert_true(sd_bus_message_append(m, "s", name) >= 0);
    assert_true(sd_bus_message_open_container(m, 'a', "ay") >= 0);
    assert_true(sd_bus_message_append_array(m, 'y', in, len) >= 0);
    assert_true(sd_bus_message_close_container(m) >= 0);
    assert_true(sd_bus_message_open_container(m, 'a', "{sv}") >= 0);
    if (id_type == 't')
        assert_true(sd_bus_message_append(m, "{sv}", "sequence_id", "t",
                                          (uint64_t)strtoull(id, NULL, 10)) >= 0);
    else if (id_type == 's')
        assert_true(sd_bus_message_append(m, "{sv}", "sequence_id", "s", id) >= 0);
    else
        assert_true(sd_bus_message_append(m, "{sv}", "sequence_id", "d", 1.5) >= 0);
    assert_true(sd_bus_message_append(m, "{sv}", "sequence_start", "b", start) >= 0);
    assert_true(sd_bus_message_append(m, "{sv}", "sequence_end", "b", end) >= 0);
    const char *eq = extra_key ? strchr(extra_key, '=') : NULL;
    if (eq) { /* "KEY=N": KEY as u N */
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(eq - extra_key), extra_key);
        assert_true(sd_bus_message_append(m, "{sv}", key, "u", (uint32_t)atoi(eq + 1)) >= 0);
    } else if (extra_key) {
        assert_true(sd_bus_message_append(m, "{sv}", extra_key, "b", 1) >= 0);
    }
    assert_true(sd_bus_message_close_container(m) >= 0);
    const int r = sd_bus_call(C, m, 120 * 1000000ULL, err, &rep);
    sd_bus_message_unref(m);
    if (r < 0)
        return r;
    const void *got;
    assert_true(sd_bus_message_enter_container(rep, 'a', "ay") >= 0);
    assert_true(sd_bus_message_read_array(rep, 'y', &got, out_len) >= 0);
    *out = malloc(*out_len);
    memcpy(*out, got, *out_len);
    sd_bus_message_unref(rep);
    return 0;
}

/* Two interleaved sequences of the zoo's LSTM through InferWithOptions: every frame answers
 * what one in-process interpreter answers invoke after invoke; priority and timeout
 * options taken; wrong options are InvalidArgs. */
static void test_infer_sequences(void **state)
{
    (void)state;
    enum { N = 4 };
    seq_stream st[2];
    if (seq_stream_make(&st[0], shared, N, 41, 0) || seq_stream_make(&st[1], shared, N, 41, 77)) {
        seq_stream_free(&st[0]);
        seq_stream_free(&st[1]);
        skip();
    }
    char path[512], link[300];
    snprintf(path, sizeof path, "%s/" SEQ_LSTM_ZOO "/model.tflite", shared);
    snprintf(link, sizeof link, "%s/lstm.tflite", F.models);
    assert_int_equal(symlink(path, link), 0);
    start_default();
    const size_t len = st[0].in_len, out_len = st[0].out_len;
    static const char types[2] = {'t', 's'};
    static const char *const ids[2] = {"12345", "door-mic"};
    for (int k = 0; k < N; k++)
        for (int s = 0; s < 2; s++) {
            sd_bus_error err = SD_BUS_ERROR_NULL;
            uint8_t *got = NULL;
            size_t got_len = 0;
            if (infer_options("lstm", st[s].frames[k], len, types[s], ids[s], k == 0, k == N - 1,
                              NULL, &got, &got_len, &err) < 0)
                fail_msg("InferWithOptions %s frame %d: %s: %s", ids[s], k, err.name, err.message);
            assert_int_equal(got_len, out_len);
            assert_memory_equal(got, st[s].want[k], out_len);
            free(got);
        }
    printf("# two interleaved sequences of %d frames through InferWithOptions as in process\n", N);
    /* priority and timeout (the request layer's parser, as HTTP's parameters): a new sequence
     * at high priority answers its first frame as in process */
    static const char *const opts[2] = {"priority=1", "timeout=60000000"};
    for (int i = 0; i < 2; i++) {
        sd_bus_error err = SD_BUS_ERROR_NULL;
        uint8_t *got = NULL;
        size_t got_len = 0;
        if (infer_options("lstm", st[0].frames[0], len, 't', i ? "778" : "777", true, true, opts[i],
                          &got, &got_len, &err) < 0)
            fail_msg("InferWithOptions with %s: %s: %s", opts[i], err.name, err.message);
        assert_int_equal(got_len, out_len);
        assert_memory_equal(got, st[0].want[0], out_len);
        free(got);
    }
    static const struct {
        char type;
        const char *id, *extra, *needle;
        bool start;
    } bad[] = {
        {'t', "12345", NULL, "unknown", false}, /* it ended */
        {'d', "1", NULL, "sequence_id must be an unsigned integer", true},
        {'s', "a\"b", NULL, "printable ASCII", true},
        {'t', "9", "colour", "unknown option 'colour'", true},
        {'t', "9", "priority", "option priority must be a non-negative integer", true},
        {'t', "9", "timeout", "option timeout must be a non-negative integer", true},
        {'t', "0", NULL, "needs a sequence_id", true},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sd_bus_error err = SD_BUS_ERROR_NULL;
        uint8_t *got = NULL;
        size_t got_len = 0;
        assert_true(infer_options("lstm", st[0].frames[0], len, bad[i].type, bad[i].id,
                                  bad[i].start, false, bad[i].extra, &got, &got_len, &err) < 0);
        printf("# %s: %s\n", err.name, err.message);
        assert_string_equal(err.name, SD_BUS_ERROR_INVALID_ARGS);
        assert_non_null(strstr(err.message, bad[i].needle));
        sd_bus_error_free(&err);
    }
    seq_stream_free(&st[0]);
    seq_stream_free(&st[1]);
}

/* Infer through sd-bus on person_detect's reference input: its reference output. */
static void infer_sdbus_person(const char *what)
{
    char path[512];
    size_t in_len, want_len;
    snprintf(path, sizeof path, "%s/models/person_detect/input_0.bin", shared);
    uint8_t *in = edge_test_read_file(path, &in_len);
    snprintf(path, sizeof path, "%s/models/person_detect/expected_0.bin", shared);
    uint8_t *want = edge_test_read_file(path, &want_len);
    sd_bus_message *m = NULL, *rep = NULL;
    sd_bus_error err = SD_BUS_ERROR_NULL;
    assert_true(sd_bus_message_new_method_call(C, &m, SVC, OBJ, MGR, "Infer") >= 0);
    assert_true(sd_bus_message_append(m, "s", "person_detect") >= 0);
    assert_true(sd_bus_message_open_container(m, 'a', "ay") >= 0);
    assert_true(sd_bus_message_append_array(m, 'y', in, in_len) >= 0);
    assert_true(sd_bus_message_close_container(m) >= 0);
    const int r = sd_bus_call(C, m, 120 * 1000000ULL, &err, &rep);
    if (r < 0)
        fail_msg("%s: sd-bus Infer person_detect: %s: %s", what, err.name, err.message);
    assert_true(sd_bus_message_enter_container(rep, 'a', "ay") >= 0);
    const void *got;
    size_t got_len;
    assert_true(sd_bus_message_read_array(rep, 'y', &got, &got_len) >= 0);
    const char *diff = dfx_output_diff(got, got_len, want, want_len, true);
    if (diff)
        fail_msg("%s: sd-bus Infer person_detect: %s", what, diff);
    sd_bus_message_unref(m);
    sd_bus_message_unref(rep);
    free(in);
    free(want);
}

static void test_infer(void **state)
{
    (void)state;
    start_default();
    infer_busctl("person_detect", 0, true);
    for (int k = 0; k < 4; k++)
        infer_busctl("hello_world_int8", k, true);
    /* the same through sd-bus */
    infer_sdbus_person("test_infer");
    /* counted like the other requests */
    json_t *d, *root = get_prop(model_path("person_detect"), MIF, "RequestsTotal", &d);
    printf("# person_detect RequestsTotal after 2 D-Bus inferences: %lld\n", json_integer_value(d));
    json_decref(root);
}

/* With [models] memory_budget, person_detect loads on its first request: an Infer call waits
 * for the load (the call is run again from its first argument) and gets the model's answer. */
static void test_infer_on_demand(void **state)
{
    (void)state;
    start(B.addr, "[models]\nmemory_budget = 64M\n", true);
    sdx_out o;
    BUSCTL(&o, "call", SVC, OBJ, MGR, "ListModels");
    expect_ok(&o, "ListModels under a budget");
    if (!strstr(o.out, "\"person_detect\" -1 \"on-demand\""))
        fail_msg("ListModels does not say person_detect is on demand: %s", o.out);
    sdx_out_free(&o);
    infer_sdbus_person("on demand");
    assert_int_equal(dfx_log_count(&F, "model person_detect version 1: loaded"), 1);
    printf("# Infer on a model on demand: waited for its load, answered\n");
}

/* A model of kind wakeword (a folder of ../shared/voice's openWakeWord files) is not served
 * over D-Bus: Infer is refused with NotSupported naming the kind and the routes that serve it. */
static void test_infer_wakeword(void **state)
{
    (void)state;
    char voice[600];
    snprintf(voice, sizeof voice, "%s/voice/openwakeword", shared);
    if (!HAVE_WAKEWORD || access(voice, R_OK) != 0) {
        printf("# no wakeword front end or no %s: skipped\n", voice);
        skip();
    }
    dfx_sh("mkdir '%s/wake' && printf '[model]\\nkind = wakeword\\n' > '%s/wake/model.conf'",
           F.models, F.models);
    static const char *const files[] = {"melspectrogram", "embedding_model", "alexa_v0.1"};
    for (size_t i = 0; i < 3; i++)
        dfx_sh("ln -s '%s/%s.tflite' '%s/wake/%s.tflite'", voice, files[i], F.models, files[i]);
    start_default();
    sdx_out o;
    BUSCTL(&o, "call", SVC, OBJ, MGR, "Infer", "saay", "wake", "1", "2", "0", "0");
    if (o.status == 0 || !o.err || !strstr(o.err, "kind wakeword") || !strstr(o.err, "MQTT"))
        fail_msg("Infer of a wakeword model: exit %d, %s", o.status, o.err ? o.err : "");
    printf("# Infer wake: %s", o.err);
    sdx_out_free(&o);
}

/* Busy and Timeout: one worker held by the stall hook (3 s), a queue of two, a
 * default deadline of 1 s; five Infer calls at once. Whether or not the worker
 * has taken the first call when the others arrive, one runs (ok), at least one
 * waits past its deadline (Timeout) and at least two find the queue full (Busy). */
typedef struct infer_result {
    bool done;
    char error[128], message[512];
    size_t out_len;
} infer_result;

static int on_infer_reply(sd_bus_message *m, void *ud, sd_bus_error *ret)
{
    (void)ret;
    infer_result *r = ud;
    r->done = true;
    const sd_bus_error *e = sd_bus_message_get_error(m);
    if (e) {
        snprintf(r->error, sizeof r->error, "%s", e->name ? e->name : "?");
        snprintf(r->message, sizeof r->message, "%s", e->message ? e->message : "");
        return 0;
    }
    const void *p;
    if (sd_bus_message_enter_container(m, 'a', "ay") >= 0 &&
        sd_bus_message_read_array(m, 'y', &p, &r->out_len) >= 0)
        return 0;
    snprintf(r->error, sizeof r->error, "(unreadable reply)");
    return 0;
}

static void test_infer_busy_and_timeout(void **state)
{
    (void)state;
    const char *w = getenv("EDGED_WRAPPER");
    if (w && w[0]) {
        printf("# SKIP busy and timeout: timing-dependent, and edged runs under '%.40s'\n", w);
        skip();
    }
    F.env[0] = "EDGED_TEST_STALL=hello_world_int8:3000";
    start(B.addr,
          "[scheduler]\nworkers = 1\nqueue_depth = 2\ninline_max_us = 0\n"
          "default_timeout_ms = 1000\n",
          true);
    enum { N_CALLS = 5 };
    infer_result res[N_CALLS];
    memset(res, 0, sizeof res);
    const uint8_t in = 0x20;
    for (int i = 0; i < N_CALLS; i++) {
        sd_bus_message *m = NULL;
        assert_true(sd_bus_message_new_method_call(C, &m, SVC, OBJ, MGR, "Infer") >= 0);
        assert_true(sd_bus_message_append(m, "s", "hello_world_int8") >= 0);
        assert_true(sd_bus_message_open_container(m, 'a', "ay") >= 0);
        assert_true(sd_bus_message_append_array(m, 'y', &in, 1) >= 0);
        assert_true(sd_bus_message_close_container(m) >= 0);
        assert_true(sd_bus_call_async(C, NULL, m, on_infer_reply, &res[i], 60 * 1000000ULL) >= 0);
        sd_bus_message_unref(m);
    }
    const int64_t end = sdx_now_us() + 60 * 1000000LL;
    for (;;) {
        int done = 0;
        for (int i = 0; i < N_CALLS; i++)
            done += res[i].done;
        if (done == N_CALLS || sdx_now_us() > end)
            break;
        if (sd_bus_process(C, NULL) == 0)
            sd_bus_wait(C, 100000);
    }
    int ok = 0, busy = 0, timeout = 0;
    for (int i = 0; i < N_CALLS; i++) {
        printf("# Infer %d: %s %s%s\n", i,
               !res[i].done      ? "(no reply)"
               : res[i].error[0] ? res[i].error
                                 : "ok",
               res[i].message, res[i].done && !res[i].error[0] ? "(1 output byte)" : "");
        if (!res[i].done)
            fail_msg("Infer call %d got no reply within 60 s", i);
        ok += !res[i].error[0] && res[i].out_len == 1;
        busy += !strcmp(res[i].error, "org.edged.Edged1.Error.Busy");
        timeout += !strcmp(res[i].error, "org.edged.Edged1.Error.Timeout");
        if (res[i].error[0] && !res[i].message[0])
            fail_msg("Infer call %d: %s without a message", i, res[i].error);
    }
    if (ok < 1 || busy < 1 || timeout < 1)
        fail_msg("5 Infer calls on 1 stalled worker with a queue of 2 and a 1 s deadline: %d ok, "
                 "%d Busy, %d Timeout; expected at least one of each",
                 ok, busy, timeout);
    still_serving("Busy and Timeout");
}

static void test_unload_load_signals(void **state)
{
    (void)state;
    start_default();
    const pid_t mon = monitor();
    sdx_out o;
    BUSCTL(&o, "call", SVC, OBJ, MGR, "UnloadModel", "s", "person_detect");
    expect_ok(&o, "call UnloadModel person_detect");
    sdx_out_free(&o);
    json_t *sig = monitor_wait(monitor_file, "ModelUnloaded", "person_detect", 60000);
    json_t *p = json_object_get(json_object_get(sig, "payload"), "data");
    print_json("ModelUnloaded ", p);
    assert_int_equal(json_integer_value(json_array_get(p, 1)), 1);
    json_decref(sig);
    if (!wait_prop_changed(monitor_file, "Models", models_lack, "person_detect", PROP_WAIT_MS))
        fail_msg("no PropertiesChanged of Models without person_detect:\n%s",
                 sdx_slurp(monitor_file, NULL));
    long long v;
    const char *st = listed_state("person_detect", &v);
    printf("# ListModels after UnloadModel: person_detect %s, version %lld\n", st, v);
    assert_string_equal(st, "unloaded");
    assert_int_not_equal(http_ready("person_detect"), 200);
    json_t *d, *root = get_prop(OBJ, MGR, "Models", &d);
    assert_false(strings_have(d, "person_detect"));
    json_decref(root);
    /* unloading twice: NoSuchModel */
    sd_bus_error err = SD_BUS_ERROR_NULL;
    int r = call(&err, NULL, "UnloadModel", "s", "person_detect");
    expect_dbus_error("UnloadModel of an unloaded model", r, &err, ERR_NO_SUCH, "person_detect");
    sd_bus_error_free(&err);
    /* back */
    BUSCTL(&o, "call", SVC, OBJ, MGR, "LoadModel", "s", "person_detect");
    expect_ok(&o, "call LoadModel person_detect");
    printf("# LoadModel person_detect -> %s", o.out);
    assert_string_equal(o.out, "x 1\n");
    sdx_out_free(&o);
    assert_int_equal(http_ready("person_detect"), 200);
    sig = monitor_wait(monitor_file, "ModelLoaded", "person_detect", 60000);
    p = json_object_get(json_object_get(sig, "payload"), "data");
    assert_int_equal(json_integer_value(json_array_get(p, 1)), 1);
    json_decref(sig);
    if (!wait_prop_changed(monitor_file, "Models", models_have, "person_detect", PROP_WAIT_MS))
        fail_msg("no PropertiesChanged of Models with person_detect again");
    assert_string_equal(listed_state("person_detect", &v), "ready");
    assert_int_equal(v, 1);
    /* ReloadModel: from disk again, same version */
    BUSCTL(&o, "call", SVC, OBJ, MGR, "ReloadModel", "s", "hello");
    expect_ok(&o, "call ReloadModel hello");
    assert_string_equal(o.out, "x 2\n");
    sdx_out_free(&o);
    assert_int_equal(http_ready("hello"), 200);
    infer_busctl("person_detect", 0, true);
    sdx_bg_stop(mon);
    still_serving("unload, load, reload");
}

static void write_random(const char *path, size_t n)
{
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s/random.tmp", F.dir);
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fputc((int)(random() & 0xff), f);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0); /* into place at once */
}

static void test_load_failed(void **state)
{
    (void)state;
    start_default();
    const pid_t mon = monitor();
    char path[300];
    snprintf(path, sizeof path, "%s/corrupt.tflite", F.models);
    write_random(path, 100);
    json_t *sig = monitor_wait(monitor_file, "ModelLoadFailed", "corrupt", 60000);
    json_t *p = json_object_get(json_object_get(sig, "payload"), "data");
    const char *why = json_string_value(json_array_get(p, 1));
    print_json("a corrupt file in the repository: ModelLoadFailed ", p);
    if (!why || strlen(why) < 8)
        fail_msg("ModelLoadFailed without a useful message: %s", json_dumps(p, JSON_COMPACT));
    json_decref(sig);
    long long v;
    const char *st = listed_state("corrupt", &v);
    printf("# ListModels: corrupt %s, version %lld\n", st, v);
    assert_string_equal(st, "failed");
    char *le = get_prop_string(model_path("corrupt"), MIF, "LastError");
    printf("# corrupt LastError: %s\n", le);
    assert_true(strlen(le) >= 8);
    free(le);
    /* LoadModel of it: LoadFailed with the loader's message */
    sdx_out o;
    BUSCTL(&o, "call", SVC, OBJ, MGR, "LoadModel", "s", "corrupt");
    expect_busctl_error("LoadModel corrupt", NULL, &o);
    sd_bus_error err = SD_BUS_ERROR_NULL;
    int r = call(&err, NULL, "LoadModel", "s", "corrupt");
    expect_dbus_error("LoadModel corrupt", r, &err, ERR_LOAD_FAILED, NULL);
    if (strlen(err.message) < 8)
        fail_msg("LoadFailed message too short: '%s'", err.message);
    sd_bus_error_free(&err);
    /* a second ModelLoadFailed for it (the explicit load) */
    size_t skip = 1;
    for (int i = 0; i < 100; i++) {
        json_t *j = monitor_find(monitor_file, "ModelLoadFailed", "corrupt", &skip);
        if (j) {
            json_decref(j);
            break;
        }
        if (i == 99)
            printf("# NOTE: no second ModelLoadFailed for the explicit LoadModel\n");
        usleep(50000);
    }
    /* A good model replaced by a corrupt file: keeps serving the old version;
     * ReloadModel says why the new file failed. */
    char good[300], cmd[700];
    snprintf(good, sizeof good, "%s/victim.tflite", F.models);
    snprintf(cmd, sizeof cmd,
             "cp '%s/models/hello_world_int8/model.tflite' '%s/v.tmp' && mv '%s/v.tmp' '%s'",
             shared, F.dir, F.dir, good);
    assert_int_equal(system(cmd), 0);
    sig = monitor_wait(monitor_file, "ModelLoaded", "victim", 60000);
    json_decref(sig);
    write_random(good, 100);
    sig = monitor_wait(monitor_file, "ModelLoadFailed", "victim", 60000);
    json_decref(sig);
    r = call(&err, NULL, "ReloadModel", "s", "victim");
    expect_dbus_error("ReloadModel of a model whose file is now corrupt", r, &err, ERR_LOAD_FAILED,
                      NULL);
    sd_bus_error_free(&err);
    assert_int_equal(http_ready("victim"), 200); /* the old version serves */
    sdx_bg_stop(mon);
    /* "corrupt" serves nothing: the server is not ready until its file goes */
    char *body = NULL;
    assert_int_equal(dfx_curl(&F, "GET", "/v2/health/ready", NULL, NULL, &body, NULL, NULL), 503);
    assert_non_null(strstr(body, "\"corrupt\""));
    free(body);
    assert_int_equal(unlink(path), 0);
    int ready = 0;
    for (int i = 0; i < 100 && ready != 200; i++) {
        if (i)
            usleep(100000);
        ready = dfx_curl(&F, "GET", "/v2/health/ready", NULL, NULL, NULL, NULL, NULL);
    }
    still_serving("corrupt models");
}

static void test_bad_arguments(void **state)
{
    (void)state;
    start_default();
    sd_bus_error err = SD_BUS_ERROR_NULL;
    int r;
#define EXPECT(what, want, needle, ...)                 \
    do {                                                \
        r = call(&err, NULL, __VA_ARGS__);              \
        expect_dbus_error(what, r, &err, want, needle); \
        sd_bus_error_free(&err);                        \
    } while (0)
    EXPECT("LoadModel(\"../etc\")", ERR_INVALID, "../etc", "LoadModel", "s", "../etc");
    EXPECT("LoadModel(\"\")", ERR_INVALID, NULL, "LoadModel", "s", "");
    EXPECT("LoadModel(\".hidden\")", ERR_INVALID, NULL, "LoadModel", "s", ".hidden");
    char long_name[80];
    memset(long_name, 'a', 65);
    long_name[65] = 0;
    EXPECT("LoadModel(65 characters)", ERR_INVALID, NULL, "LoadModel", "s", long_name);
    EXPECT("LoadModel(\"a/b\")", ERR_INVALID, NULL, "LoadModel", "s", "a/b");
    EXPECT("UnloadModel(\"nope\")", ERR_NO_SUCH, "nope", "UnloadModel", "s", "nope");
    EXPECT("ReloadModel(\"nope\")", ERR_NO_SUCH, "nope", "ReloadModel", "s", "nope");
    EXPECT("UnloadModel(\"../etc\")", ERR_INVALID, NULL, "UnloadModel", "s", "../etc");
    /* LoadModel of a valid name without a file: an error, named in the message */
    r = call(&err, NULL, "LoadModel", "s", "absent");
    expect_dbus_error("LoadModel(\"absent\") (no such file)", r, &err, NULL, "absent");
    sd_bus_error_free(&err);
    /* Infer: unknown model, wrong byte count, wrong input count, too large */
    const uint8_t three[3] = {1, 2, 3};
    sd_bus_message *m = NULL;
    struct {
        const char *what, *model, *want, *needle;
        size_t n_inputs, bytes;
    } infers[] = {
        {"Infer of an unknown model", "nosuch", ERR_NO_SUCH, "nosuch", 1, 1},
        {"Infer with 3 bytes for a 9216-byte input", "person_detect", ERR_INVALID, "9216", 1, 3},
        {"Infer with 2 inputs for a 1-input model", "person_detect", ERR_INVALID, NULL, 2, 9216},
        {"Infer with no input", "person_detect", ERR_INVALID, NULL, 0, 0},
        {"Infer with 17 MiB", "person_detect", ERR_INVALID, NULL, 1, 17u << 20},
    };
    uint8_t *big = calloc(1, 17u << 20);
    for (size_t i = 0; i < sizeof infers / sizeof infers[0]; i++) {
        assert_true(sd_bus_message_new_method_call(C, &m, SVC, OBJ, MGR, "Infer") >= 0);
        assert_true(sd_bus_message_append(m, "s", infers[i].model) >= 0);
        assert_true(sd_bus_message_open_container(m, 'a', "ay") >= 0);
        for (size_t k = 0; k < infers[i].n_inputs; k++)
            assert_true(sd_bus_message_append_array(m, 'y', infers[i].bytes == 3 ? three : big,
                                                    infers[i].bytes) >= 0);
        assert_true(sd_bus_message_close_container(m) >= 0);
        r = sd_bus_call(C, m, 120 * 1000000ULL, &err, NULL);
        expect_dbus_error(infers[i].what, r, &err, infers[i].want, infers[i].needle);
        if (infers[i].bytes == 3 && !strstr(err.message, "input"))
            fail_msg("the byte-count error does not name the input: %s", err.message);
        sd_bus_error_free(&err);
        sd_bus_message_unref(m);
    }
    free(big);
    /* busctl, as an administrator would see them */
    sdx_out o;
    BUSCTL(&o, "call", SVC, OBJ, MGR, "LoadModel", "s", "../etc");
    expect_busctl_error("LoadModel s ../etc", "../etc", &o);
    BUSCTL(&o, "call", SVC, OBJ, MGR, "LoadModel", "s", "");
    expect_busctl_error("LoadModel s ''", NULL, &o);
    BUSCTL(&o, "call", SVC, OBJ, MGR, "UnloadModel", "s", "nope");
    expect_busctl_error("UnloadModel s nope", "nope", &o);
    BUSCTL(&o, "call", SVC, OBJ, MGR, "Infer", "saay", "person_detect", "1", "3", "1", "2", "3");
    expect_busctl_error("Infer with 3 bytes", "9216", &o);
    BUSCTL(&o, "call", SVC, OBJ, MGR, "Infer", "saay", "nosuch", "1", "1", "0");
    expect_busctl_error("Infer of an unknown model", "nosuch", &o);
    BUSCTL(&o, "call", SVC, OBJ, MGR, "LoadModel", "i", "5");
    expect_busctl_error("LoadModel i 5 (wrong signature)", NULL, &o);
    BUSCTL(&o, "call", SVC, OBJ, MGR, "NoSuchMethod");
    expect_busctl_error("an unknown method", NULL, &o);
    r = call(&err, NULL, "LoadModel", "i", 5);
    expect_dbus_error("LoadModel(int32 5)", r, &err, ERR_INVALID, NULL);
    sd_bus_error_free(&err);
#undef EXPECT
    still_serving("bad arguments");
    char *s = get_prop_string(OBJ, MGR, "State");
    assert_string_equal(s, "ready");
    free(s);
}

static void test_reload(void **state)
{
    (void)state;
    start(B.addr, "[models]\nwatch = 0\n", true); /* only Reload() sees the new model */
    const pid_t mon = monitor();
    char target[600], link[300];
    snprintf(target, sizeof target, "%s/models/hello_world_int8/model.tflite", shared);
    snprintf(link, sizeof link, "%s/newcomer.tflite", F.models);
    assert_int_equal(symlink(target, link), 0);
    sdx_out o;
    BUSCTL(&o, "call", SVC, OBJ, MGR, "Reload");
    expect_ok(&o, "call Reload");
    sdx_out_free(&o);
    bool listed = false;
    for (int i = 0; i < 1200 && !listed; i++) {
        listed = !strcmp(listed_state("newcomer", NULL), "ready");
        if (!listed)
            usleep(50000);
    }
    if (!listed)
        fail_msg("Reload() did not rescan the repository: newcomer is '%s'",
                 listed_state("newcomer", NULL));
    json_decref(monitor_wait(monitor_file, "ModelLoaded", "newcomer", 60000));
    char *s = NULL;
    for (int i = 0; i < 1200; i++) {
        free(s);
        s = get_prop_string(OBJ, MGR, "State");
        if (!strcmp(s, "ready"))
            break;
        usleep(50000);
    }
    assert_string_equal(s, "ready");
    free(s);
    printf("# State changes announced during Reload(): %s\n",
           monitor_prop_changed(monitor_file, "State", NULL, NULL) ? "yes" : "none seen");
    assert_int_equal(http_ready("newcomer"), 200);
    sdx_bg_stop(mon);
    still_serving("Reload()");
}

static int log_warning_about_bus(void)
{
    char *all = sdx_slurp(F.log, NULL);
    int n = 0;
    for (char *line = all ? strtok(all, "\n") : NULL; line; line = strtok(NULL, "\n"))
        if (!strncmp(line, "<4>", 3) && (strcasestr(line, "d-bus") || strcasestr(line, "dbus")))
            n++;
    free(all);
    return n;
}

static void test_bus_unreachable(void **state)
{
    (void)state;
    start("unix:path=/nonexistent/socket", NULL, false);
    assert_int_equal(http_infer_small(), 200);
    assert_int_equal(dfx_curl(&F, "GET", "/v2/health/ready", NULL, NULL, NULL, NULL, NULL), 200);
    if (log_warning_about_bus() < 1)
        fail_msg("no warning that D-Bus is off; log:\n%s", sdx_log_tail(F.log));
    printf("# log:\n%s", sdx_log_tail(F.log));
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
}

static int connect_client(void);

/* The bus restarts (a dbus package upgrade): edged reconnects with backoff, owns
 * the name again and answers, and kept serving HTTP meanwhile. */
static void test_bus_restart(void **state)
{
    (void)state;
    start(B.path_addr, NULL, true);
    sdx_out o;
    BUSCTL(&o, "call", SVC, OBJ, MGR, "ListModels");
    expect_ok(&o, "ListModels before the restart");
    sdx_out_free(&o);
    if (sdbus_restart(&B) != 0)
        fail_msg("cannot restart the private bus");
    printf("# bus restarted: %s\n", B.addr);
    assert_int_equal(connect_client(), 0);
    assert_int_equal(http_infer_small(), 200);
    if (!dfx_log_wait(&F, "dbus: reconnected to", 1, 30000))
        fail_msg("edged did not reconnect within 30 s; log:\n%s", sdx_log_tail(F.log));
    for (int i = 0; i < 1200 && name_owner_pid() != F.pid; i++)
        usleep(50000);
    assert_int_equal(name_owner_pid(), F.pid);
    BUSCTL(&o, "call", SVC, OBJ, MGR, "Infer", "saay", "hello_world_int8", "1", "1", "96");
    expect_ok(&o, "Infer after the restart");
    printf("# Infer after the restart: %s", o.out);
    sdx_out_free(&o);
    if (dfx_log_count(&F, "the connection to") < 1)
        fail_msg("no warning about the lost connection; log:\n%s", sdx_log_tail(F.log));
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
}

static void test_bus_none(void **state)
{
    (void)state;
    start("none", NULL, false);
    assert_int_equal(http_infer_small(), 200);
    usleep(500000);
    assert_int_not_equal(name_owner_pid(), F.pid);
    sdx_out o;
    BUSCTL(&o, "call", SVC, OBJ, MGR, "ListModels");
    expect_busctl_error("ListModels with bus = none", NULL, &o);
    printf("# D-Bus warnings with bus = none: %d\n", log_warning_about_bus());
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
}

/* The bus's configuration file, with (DENY) or without a rule that refuses the name to
 * everyone. */
static bool name_denied;
static void set_name_policy(bool deny)
{
    char conf[128];
    snprintf(conf, sizeof conf, "%s/bus.conf", B.dir);
    char *text = sdx_slurp(conf, NULL);
    assert_non_null(text);
    static const char rule[] = "    <deny own=\"" SVC "\"/>\n";
    char *at = strstr(text, rule);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    if (deny && !at) {
        char *end = strstr(text, "  </policy>");
        assert_non_null(end);
        fprintf(f, "%.*s%s%s", (int)(end - text), text, rule, end);
    } else if (!deny && at) {
        fprintf(f, "%.*s%s", (int)(at - text), text, at + strlen(rule));
    } else {
        fputs(text, f);
    }
    fclose(f);
    free(text);
    name_denied = deny;
}

/* The value of /metrics' sample starting with KEY, or -1. */
static double metric(const char *key)
{
    char *body = NULL;
    if (dfx_curl(&F, "GET", "/metrics", NULL, NULL, &body, NULL, NULL) != 200) {
        free(body);
        return -1;
    }
    char line[160];
    snprintf(line, sizeof line, "\n%s", key); /* a sample, not its # HELP */
    const char *at = strstr(body, line);
    const double v = at ? strtod(at + strlen(line), NULL) : -1;
    free(body);
    return v;
}

/* edgectl status's line about the D-Bus API (its first line starting "D-Bus API: "), in a
 * static buffer; "" when it printed none. */
static const char *edgectl_dbus_line(void)
{
    static char line[512];
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s status --socket %s", EDGECTL, F.sock);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char got[512] = "";
    while (fgets(line, sizeof line, p))
        if (!strncmp(line, "D-Bus API: ", 11) && !got[0])
            snprintf(got, sizeof got, "%s", line);
    pclose(p);
    snprintf(line, sizeof line, "%s", got);
    return line;
}

/* At a first install edged starts before dbus has reloaded its policy: the bus refuses the
 * name. edged says so once, shows "retrying" with the bus's error in /metrics (edgectl status
 * and the status page read it there), and asks again with back-off (1 s doubling to 60 s);
 * once the policy allows it (here: the file rewritten and dbus-daemon's SIGHUP, which reloads
 * it) edged owns the name within one back-off step, says so once, and answers busctl.
 * The bound is the back-off's ceiling (60 s) plus slack for a loaded machine: edged's next
 * request comes at most one step after the reload, and the steps so far are 1, 2, 4 s. */
static void test_name_retry(void **state)
{
    (void)state;
    set_name_policy(true);
    sd_bus_error err = SD_BUS_ERROR_NULL; /* the bus applies it before it answers */
    assert_true(sd_bus_call_method(C, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus", "ReloadConfig", &err, NULL, "") >= 0);
    sd_bus_error_free(&err);
    start(B.path_addr, NULL, false);
    if (!dfx_log_wait(&F, "cannot own the name " SVC, 1, 30000))
        fail_msg("edged did not say the name was refused; log:\n%s", sdx_log_tail(F.log));
    assert_int_equal(http_infer_small(), 200); /* HTTP serves meanwhile */
    assert_true(metric("edged_dbus_name_state{state=\"retrying\"} ") == 1);
    assert_true(metric("edged_dbus_name_owned ") == 0);
    char *body = NULL;
    assert_int_equal(dfx_curl(&F, "GET", "/metrics", NULL, NULL, &body, NULL, NULL), 200);
    if (!strstr(body, "edged_dbus_name_error_info{error=\""))
        fail_msg("/metrics does not say why the name is refused:\n%s", body);
    free(body);
    const char *said = edgectl_dbus_line();
    printf("# edgectl status while refused: %s", said);
    if (strncmp(said, "D-Bus API: retrying since ", 26) || !strstr(said, "not allowed to own") ||
        strchr(said, '\\')) /* the bus's words, unescaped */
        fail_msg("edgectl status says '%s' while the bus refuses the name", said);
    sleep(4); /* a few refused requests: 1 s, then 2 s later */
    assert_int_not_equal(name_owner_pid(), F.pid);
    set_name_policy(false);
    const int64_t t0 = sdx_now_us();
    assert_int_equal(kill(B.pid, SIGHUP), 0); /* dbus-daemon reloads its configuration */
    while (name_owner_pid() != F.pid && sdx_now_us() - t0 < 90 * 1000000LL)
        usleep(50000);
    const double took = (double)(sdx_now_us() - t0) / 1e6;
    printf("# edged owned %s %.1f s after the bus reloaded a policy allowing it\n", SVC, took);
    if (name_owner_pid() != F.pid)
        fail_msg("edged did not own %s within 90 s of the reload; log:\n%s", SVC,
                 sdx_log_tail(F.log));
    sdx_out o;
    BUSCTL(&o, "call", SVC, OBJ, MGR, "ListModels");
    expect_ok(&o, "ListModels once the name is owned");
    sdx_out_free(&o);
    assert_true(metric("edged_dbus_name_state{state=\"owned\"} ") == 1);
    said = edgectl_dbus_line();
    printf("# edgectl status once owned: %s", said);
    if (strncmp(said, "D-Bus API: owned since ", 23))
        fail_msg("edgectl status says '%s' once the name is owned", said);
    assert_true(metric("edged_dbus_name_owned ") == 1);
    assert_int_equal(dfx_log_count(&F, "cannot own the name"), 1);
    assert_int_equal(dfx_log_count(&F, "dbus: serving " SVC), 1);
    assert_int_equal(dfx_log_count(&F, "owned at request"), 1);
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
}

/* ---------------------------------------------------------------- fixture */

/* Our own client connection C to the bus B. */
static int connect_client(void)
{
    sd_bus_flush_close_unref(C);
    C = NULL;
    int r = sd_bus_new(&C);
    if (r >= 0)
        r = sd_bus_set_address(C, B.addr);
    if (r >= 0)
        r = sd_bus_set_bus_client(C, 1);
    if (r >= 0)
        r = sd_bus_start(C);
    if (r < 0) {
        printf("# cannot connect to the private bus: %s\n", strerror(-r));
        return -1;
    }
    return 0;
}

static int setup_group(void **state)
{
    (void)state;
    if (sdbus_start(&B)) {
        printf("# cannot start dbus-daemon\n");
        return -1;
    }
    printf("# private bus %s (pid %d)\n", B.addr, (int)B.pid);
    return connect_client();
}

static int teardown_group(void **state)
{
    (void)state;
    sd_bus_flush_close_unref(C);
    C = NULL;
    sdx_reap_all();
    sdbus_stop(&B);
    return 0;
}

static int setup_case(void **state)
{
    (void)state;
    if (dfx_init(&F, shared))
        return -1;
    F.log_to_file = true;
    char target[600], link[300];
    snprintf(target, sizeof target, "%s/models/hello_world_int8/model.tflite", shared);
    snprintf(link, sizeof link, "%s/" ODD_NAME ".tflite", F.models);
    return symlink(target, link);
}

static int teardown_case(void **state)
{
    (void)state;
    sdx_reap_all();    /* monitors, busctl */
    if (name_denied) { /* a failed test_name_retry: the next cases own the name again */
        set_name_policy(false);
        kill(B.pid, SIGHUP);
    }
    const int rc = sdx_stop_checked(&F);
    dfx_cleanup(&F);
    return rc;
}

#define CASE(f) cmocka_unit_test_setup_teardown(f, setup_case, teardown_case)

int main(void)
{
    if (!(shared = dfx_shared_or_skip()))
        return EDGE_TEST_SKIP;
    if (system("command -v dbus-daemon >/dev/null && command -v busctl >/dev/null") != 0) {
        printf("SKIP: dbus-daemon or busctl is not installed\n");
        return EDGE_TEST_SKIP;
    }
    signal(SIGPIPE, SIG_IGN);
    srandom((unsigned)getpid());
    const struct CMUnitTest tests[] = {
        CASE(test_introspect),
        CASE(test_tree),
        CASE(test_list_models_and_objects),
        CASE(test_stats_and_properties),
        CASE(test_infer),
        CASE(test_infer_on_demand),
        CASE(test_infer_wakeword),
        CASE(test_infer_sequences),
        CASE(test_infer_busy_and_timeout),
        CASE(test_unload_load_signals),
        CASE(test_load_failed),
        CASE(test_bad_arguments),
        CASE(test_reload),
        CASE(test_bus_unreachable),
        CASE(test_bus_none),
        CASE(test_name_retry),
        CASE(test_bus_restart),
    };
    return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
