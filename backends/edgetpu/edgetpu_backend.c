/* backends/edgetpu/edgetpu_backend.c - the Coral Edge TPU back end's vtable.
 *
 * Owns: the options ([backend.edgetpu] device, performance,
 * usb_max_bulk_in_queue_length, verbosity, library), init (load libedgetpu,
 * list its devices, pick one, open it by creating the delegate once for every
 * partition of every model), shutdown, the device list, which nodes the back
 * end claims (only the custom operator "edgetpu-custom-op" the Edge TPU
 * compiler writes; everything else stays on the CPU), and the one exported
 * symbol, edge_backend_entry.
 * Does not own: loading the library (edgetpu_lib.c) or hosting the delegate
 * (hosted.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgetpu.h"

/* ---------------------------------------------------------------- helpers */

int etpu_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

void etpu_log(const etpu_state *s, int level, const char *fmt, ...)
{
    if (!s->host.log)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->host.log(s->host.log_ctx, level, line);
}

/* ---------------------------------------------------------------- options */

typedef struct etpu_opts {
    const char *library;
    int want_type; /* -1: any type (auto) */
    int want_ordinal;
    const char *device_text;
    const char *performance;
    char queue_len[8];
    int verbosity; /* -1: leave libedgetpu's */
} etpu_opts;

/* Decimal integer in [lo, hi], the whole of TEXT. */
static bool parse_int(const char *text, long lo, long hi, long *out)
{
    if (!text || !*text)
        return false;
    long v = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9' || v > hi)
            return false;
        v = v * 10 + (*c - '0');
    }
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int parse_device(etpu_opts *o, const char *v, char *err, size_t errlen)
{
    o->device_text = v;
    o->want_ordinal = -1;
    if (!strcmp(v, "auto")) {
        o->want_type = -1;
        return 0;
    }
    const char *rest = NULL;
    if (!strncmp(v, "usb", 3)) {
        o->want_type = EDGETPU_APEX_USB;
        rest = v + 3;
    } else if (!strncmp(v, "pci", 3)) {
        o->want_type = EDGETPU_APEX_PCI;
        rest = v + 3;
    }
    long n = 0;
    if (rest && (!*rest || (*rest == ':' && parse_int(rest + 1, 0, ETPU_MAX_DEVICES - 1, &n)))) {
        o->want_ordinal = *rest ? (int)n : -1;
        return 0;
    }
    return etpu_fail(err, errlen, EDGE_EINVAL,
                     "option device = '%s': expected auto, usb, pci, usb:N or pci:N (N from 0)", v);
}

static int parse_option(etpu_opts *o, const char *k, const char *v, char *err, size_t errlen)
{
    static const char *const perf_in[] = {"low", "medium", "high", "max"};
    static const char *const perf_out[] = {"Low", "Medium", "High", "Max"};
    long n = 0;
    if (!strcmp(k, "library")) {
        if (!*v)
            return etpu_fail(err, errlen, EDGE_EINVAL, "option library is empty");
        o->library = v;
        return 0;
    }
    if (!strcmp(k, "device"))
        return parse_device(o, v, err, errlen);
    if (!strcmp(k, "performance")) {
        for (size_t i = 0; i < 4; i++)
            if (!strcmp(v, perf_in[i])) {
                o->performance = perf_out[i];
                return 0;
            }
        return etpu_fail(err, errlen, EDGE_EINVAL,
                         "option performance = '%s': expected low, medium, high or max", v);
    }
    if (!strcmp(k, "usb_max_bulk_in_queue_length")) {
        if (!parse_int(v, 0, 255, &n))
            return etpu_fail(err, errlen, EDGE_EINVAL,
                             "option usb_max_bulk_in_queue_length = '%s': expected an integer "
                             "from 0 to 255",
                             v);
        snprintf(o->queue_len, sizeof o->queue_len, "%ld", n);
        return 0;
    }
    if (!strcmp(k, "verbosity")) {
        if (!parse_int(v, 0, 10, &n))
            return etpu_fail(err, errlen, EDGE_EINVAL,
                             "option verbosity = '%s': expected an integer from 0 to 10", v);
        o->verbosity = (int)n;
        return 0;
    }
    return etpu_fail(err, errlen, EDGE_EINVAL,
                     "unknown option '%s' (known: device, performance, "
                     "usb_max_bulk_in_queue_length, verbosity, library)",
                     k);
}

static int parse_options(etpu_opts *o, const edge_be_option *opts, size_t n, char *err,
                         size_t errlen)
{
    *o = (etpu_opts){.library = ETPU_DEFAULT_LIBRARY,
                     .want_type = -1,
                     .want_ordinal = -1,
                     .device_text = "auto",
                     .verbosity = -1};
    if (n && !opts)
        return etpu_fail(err, errlen, EDGE_EINVAL, "options: NULL list");
    for (size_t i = 0; i < n; i++) {
        if (!opts[i].key || !opts[i].value)
            return etpu_fail(err, errlen, EDGE_EINVAL, "option %zu: NULL key or value", i);
        int rc = parse_option(o, opts[i].key, opts[i].value, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- devices */

static void list_devices(const etpu_state *s, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < s->n_devices && at < len; i++) {
        const etpu_device *d = &s->devices[i];
        const int w = snprintf(buf + at, len - at, "%s%s:%d (%s)", i ? ", " : "",
                               etpu_type_name(d->type), d->ordinal, d->path);
        if (w < 0)
            break;
        at += (size_t)w;
    }
}

static int select_device(etpu_state *s, const etpu_opts *o, char *err, size_t errlen)
{
    for (int i = 0; i < s->n_devices; i++) {
        const etpu_device *d = &s->devices[i];
        if ((o->want_type < 0 || (int)d->type == o->want_type) &&
            (o->want_ordinal < 0 || d->ordinal == o->want_ordinal)) {
            s->selected = i;
            return 0;
        }
    }
    char seen[400];
    list_devices(s, seen, sizeof seen);
    return etpu_fail(err, errlen, EDGE_ENOTFOUND,
                     "no Edge TPU matches device = %s; libedgetpu found: %s", o->device_text, seen);
}

static int open_device(etpu_state *s, char *err, size_t errlen)
{
    const etpu_device *d = &s->devices[s->selected];
    struct edgetpu_option opts[2];
    size_t n = 0;
    if (s->performance)
        opts[n++] = (struct edgetpu_option){"Performance", s->performance};
    if (s->queue_len[0] && d->type == EDGETPU_APEX_USB)
        opts[n++] = (struct edgetpu_option){"Usb.MaxBulkInQueueLength", s->queue_len};
    /* With options, libedgetpu requires a device name (it aborts on NULL). */
    s->delegate = s->lib.create_delegate(d->type, d->path, n ? opts : NULL, n);
    if (!s->delegate)
        return etpu_fail(err, errlen, EDGE_EIO,
                         "cannot open the Edge TPU %s:%d (%s): edgetpu_create_delegate failed "
                         "(in use by another process, no permission on its device node, or a "
                         "USB accelerator still booting; raise verbosity for libedgetpu's "
                         "reason)",
                         etpu_type_name(d->type), d->ordinal, d->path);
    if (!s->delegate->Prepare)
        return etpu_fail(err, errlen, EDGE_EUNSUPPORTED,
                         "libedgetpu returned a delegate without a Prepare function");
    return 0;
}

/* ---------------------------------------------------------------- the vtable */

static void be_shutdown(void *state)
{
    etpu_state *s = state;
    if (!s)
        return;
    if (s->delegate)
        s->lib.free_delegate(s->delegate);
    etpu_lib_close(&s->lib);
    free(s);
}

static int start(etpu_state *s, const etpu_opts *o, char *err, size_t errlen)
{
    int rc = etpu_lib_open(&s->lib, o->library, err, errlen);
    if (rc)
        return rc;
    if (o->verbosity >= 0)
        s->lib.verbosity(o->verbosity);
    s->n_devices = etpu_lib_devices(&s->lib, s->devices);
    if (!s->n_devices)
        return etpu_fail(err, errlen, EDGE_ENOTFOUND,
                         "no Edge TPU found: libedgetpu (%s) lists no device (plug in the Coral "
                         "USB Accelerator, or load the apex driver for an M.2/PCIe card; under "
                         "systemd the unit must allow its device node: see backend-edgetpu.md)",
                         s->lib.version_text);
    rc = select_device(s, o, err, errlen);
    if (!rc)
        rc = open_device(s, err, errlen);
    return rc;
}

static int be_init(const edge_be_host *host, const edge_be_option *opts, size_t n_opts,
                   void **state, char *err, size_t errlen)
{
    etpu_opts o;
    int rc = parse_options(&o, opts, n_opts, err, errlen);
    if (rc)
        return rc;
    etpu_state *s = calloc(1, sizeof *s);
    if (!s)
        return etpu_fail(err, errlen, EDGE_ENOMEM, "out of memory");
    if (host && host->struct_size >= sizeof(edge_be_host))
        s->host = *host;
    s->performance = o.performance;
    memcpy(s->queue_len, o.queue_len, sizeof s->queue_len);
    rc = start(s, &o, err, errlen);
    if (rc) {
        be_shutdown(s);
        return rc;
    }
    const etpu_device *d = &s->devices[s->selected];
    etpu_log(s, EDGE_BE_LOG_INFO,
             "edgetpu: %s, runtime version %d; using %s:%d (%s), performance %s; %d Edge TPU(s) "
             "found",
             s->lib.version_text, s->lib.runtime_version, etpu_type_name(d->type), d->ordinal,
             d->path, s->performance ? s->performance : "default", s->n_devices);
    *state = s;
    return 0;
}

static int be_device_count(void *state)
{
    const etpu_state *s = state;
    return s ? s->n_devices : 0;
}

static int be_device_info(void *state, int i, edge_be_device *out)
{
    const etpu_state *s = state;
    if (!s || !out || i < 0 || i >= s->n_devices)
        return EDGE_EINVAL;
    const etpu_device *d = &s->devices[i];
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s",
             d->type == EDGETPU_APEX_USB ? "Coral USB Accelerator" : "Coral PCIe/M.2 Edge TPU");
    snprintf(out->description, sizeof out->description,
             "%s:%d at %s; libedgetpu runtime version %d%s", etpu_type_name(d->type), d->ordinal,
             d->path, s->lib.runtime_version, i == s->selected ? "; runs edgetpu-custom-op" : "");
    out->kind = EDGE_BE_DEV_NPU;
    out->selected = i == s->selected;
    return 0;
}

static bool be_supports_node(void *state, const edge_be_graph *g, const edge_be_node *n)
{
    (void)state;
    (void)g;
    return n && n->builtin_code == kTfLiteBuiltinCustom && n->custom_code &&
           !strcmp(n->custom_code, EDGETPU_CUSTOM_OP);
}

static int be_prepare(void *state, const edge_be_partition *p, void **part, char *err,
                      size_t errlen)
{
    etpu_part *pp = NULL;
    const int rc = etpu_part_prepare(state, p, &pp, err, errlen);
    if (!rc)
        *part = pp;
    return rc;
}

static int be_instance_new(void *part, void **inst, char *err, size_t errlen)
{
    etpu_inst *in = NULL;
    const int rc = etpu_inst_new(part, &in, err, errlen);
    if (!rc)
        *inst = in;
    return rc;
}

static int be_invoke(void *inst, const void *const *inputs, void *const *outputs, char *err,
                     size_t errlen)
{
    return etpu_inst_invoke(inst, inputs, outputs, err, errlen);
}

static void be_instance_free(void *inst)
{
    etpu_inst_free(inst);
}

static void be_release(void *part)
{
    etpu_part_release(part);
}

static const edge_backend vtable = {
    .abi_version = EDGE_BACKEND_ABI_VERSION,
    .struct_size = sizeof(edge_backend),
    .name = "edgetpu",
    .description = "Coral Edge TPU through libedgetpu: runs the edgetpu-custom-op nodes the Edge "
                   "TPU compiler writes",
    .priority = 100,
    .init = be_init,
    .shutdown = be_shutdown,
    .device_count = be_device_count,
    .device_info = be_device_info,
    .supports_node = be_supports_node,
    .prepare = be_prepare,
    .instance_new = be_instance_new,
    .invoke = be_invoke,
    .instance_free = be_instance_free,
    .release = be_release,
};

__attribute__((visibility("default"))) const edge_backend *edge_backend_entry(uint32_t host_abi);

const edge_backend *edge_backend_entry(uint32_t host_abi)
{
    return host_abi == EDGE_BACKEND_ABI_VERSION ? &vtable : NULL;
}
