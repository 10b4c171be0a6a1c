/* tests/backends/fake_edgetpu.c - a stand-in libedgetpu.so.1 for the Edge TPU bridge's tests.
 *
 * Owns: the six C functions of libedgetpu's edgetpu_c.h with their signatures,
 * and a delegate that behaves toward the hosting TfLiteContext as
 * libedgetpu 16.0's does: Prepare stores its context with SetExternalContext,
 * walks GetExecutionPlan and GetNodeAndRegistration, and replaces each node
 * whose registration's custom_name is "edgetpu-custom-op" with one call to
 * ReplaceNodeSubsetsWithDelegateKernels; the kernel's init reads the
 * TfLiteDelegateParams and the original node's custom options, its prepare
 * checks the tensors (and resizes the output to the shape it has, as the
 * real one does for batches), its invoke runs the "executable".
 *
 * The executable is a tiny program in the custom options: "FTPU", then
 * int32 mul and int32 add (little-endian): out[i] = clamp(in[i] * mul + add)
 * over int8 or uint8 tensors of one input and one output of equal size.
 *
 * Environment (read at each call, so a test can change it between cases):
 *   FAKE_EDGETPU_DEVICES  "usb", "pci", "usb,pci,usb", "none" (default "usb"); and,
 *                         to misbehave, "nullpath" (a USB device whose path is NULL)
 *                         and "bogus" (a device of type 7)
 *   FAKE_EDGETPU_VERSION  edgetpu_version()'s text ("NULL": a NULL pointer)
 *   FAKE_EDGETPU_FAIL     create | prepare | skip | foreign | kernel_prepare | invoke
 *                         (skip: Prepare replaces nothing; foreign: it names another
 *                         delegate when replacing)
 *   FAKE_EDGETPU_FAIL_AT  with invoke: only the Nth invoke of a delegate fails
 * Test hooks: fake_edgetpu_last_open, fake_edgetpu_verbosity, fake_edgetpu_live,
 * fake_edgetpu_invokes. Does not own the tests (test_edgetpu*.c). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tflite_abi.h"

#define EXPORT __attribute__((visibility("default")))

#define DEFAULT_VERSION \
    "BuildLabel(COMPILER=fake,DATE=redacted,TIME=redacted,CL_NUMBER=0), RuntimeVersion(14)"

typedef struct fake_tpu {
    TfLiteExternalContext ext; /* what the delegate's data_ points at, like EdgeTpuContext */
    TfLiteDelegate delegate;
    atomic_long invokes;
} fake_tpu;

typedef struct fake_kernel {
    fake_tpu *tpu;
    int32_t mul, add;
    bool bad; /* the custom options were not a program */
} fake_kernel;

static char last_open[512];
static atomic_int verbosity = -1;
static atomic_int live_delegates, live_kernels;
static atomic_long total_invokes;

/* ---------------------------------------------------------------- test hooks */

EXPORT const char *fake_edgetpu_last_open(void);
EXPORT int fake_edgetpu_verbosity(void);
EXPORT int fake_edgetpu_live(void);
EXPORT long fake_edgetpu_invokes(void);

const char *fake_edgetpu_last_open(void)
{
    return last_open;
}

int fake_edgetpu_verbosity(void)
{
    return atomic_load(&verbosity);
}

/* Delegates plus kernels not freed yet. */
int fake_edgetpu_live(void)
{
    return atomic_load(&live_delegates) + atomic_load(&live_kernels);
}

long fake_edgetpu_invokes(void)
{
    return atomic_load(&total_invokes);
}

static bool failing(const char *what)
{
    const char *f = getenv("FAKE_EDGETPU_FAIL");
    return f && !strcmp(f, what);
}

/* ---------------------------------------------------------------- devices */

EXPORT struct edgetpu_device *edgetpu_list_devices(size_t *num_devices);
EXPORT void edgetpu_free_devices(struct edgetpu_device *dev);
EXPORT TfLiteDelegate *edgetpu_create_delegate(enum edgetpu_device_type type, const char *name,
                                               const struct edgetpu_option *options,
                                               size_t num_options);
EXPORT void edgetpu_free_delegate(TfLiteDelegate *delegate);
EXPORT void edgetpu_verbosity(int level);
EXPORT const char *edgetpu_version(void);

#define NULL_PATH_USB ((enum edgetpu_device_type)8) /* listed as USB with a NULL path */

/* Parse FAKE_EDGETPU_DEVICES into TYPES (at most 8); returns the count. */
static size_t device_types(enum edgetpu_device_type *types)
{
    const char *env = getenv("FAKE_EDGETPU_DEVICES");
    if (!env)
        env = "usb";
    size_t n = 0;
    for (const char *c = env; *c && n < 8;) {
        if (!strncmp(c, "usb", 3))
            types[n++] = EDGETPU_APEX_USB;
        else if (!strncmp(c, "pci", 3))
            types[n++] = EDGETPU_APEX_PCI;
        else if (!strncmp(c, "nullpath", 8))
            types[n++] = NULL_PATH_USB;
        else if (!strncmp(c, "bogus", 5))
            types[n++] = (enum edgetpu_device_type)7;
        const char *comma = strchr(c, ',');
        if (!comma)
            break;
        c = comma + 1;
    }
    return n;
}

static void device_path(enum edgetpu_device_type type, int ordinal, char *buf, size_t len)
{
    if (type == EDGETPU_APEX_USB)
        snprintf(buf, len, "/sys/bus/usb/devices/2-%d", ordinal + 1);
    else
        snprintf(buf, len, "/dev/apex_%d", ordinal);
}

/* One block: the array, then the paths, as libedgetpu allocates it. */
struct edgetpu_device *edgetpu_list_devices(size_t *num_devices)
{
    enum edgetpu_device_type types[8];
    const size_t n = device_types(types);
    *num_devices = n;
    if (!n)
        return NULL;
    const size_t path_len = 40;
    char *block = calloc(1, n * (sizeof(struct edgetpu_device) + path_len));
    if (!block) {
        *num_devices = 0;
        return NULL;
    }
    struct edgetpu_device *devs = (struct edgetpu_device *)block;
    char *paths = block + n * sizeof *devs;
    int ordinal[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        char *p = paths + i * path_len;
        if (types[i] == NULL_PATH_USB) {
            devs[i] = (struct edgetpu_device){EDGETPU_APEX_USB, NULL};
            continue;
        }
        if (types[i] <= EDGETPU_APEX_USB)
            device_path(types[i], ordinal[types[i]]++, p, path_len);
        devs[i] = (struct edgetpu_device){types[i], p};
    }
    return devs;
}

void edgetpu_free_devices(struct edgetpu_device *dev)
{
    free(dev);
}

void edgetpu_verbosity(int level)
{
    atomic_store(&verbosity, level);
}

const char *edgetpu_version(void)
{
    const char *v = getenv("FAKE_EDGETPU_VERSION");
    if (v && !strcmp(v, "NULL"))
        return NULL;
    return v ? v : DEFAULT_VERSION;
}

/* ---------------------------------------------------------------- the kernel */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void *kernel_init(TfLiteContext *c, const char *buffer, size_t length)
{
    (void)length;
    const TfLiteDelegateParams *params = (const TfLiteDelegateParams *)buffer;
    if (!params || !params->nodes_to_replace || params->nodes_to_replace->size != 1) {
        c->ReportError(c, "fake: delegate kernel init without one node to replace");
        return NULL;
    }
    TfLiteNode *node = NULL;
    TfLiteRegistration *reg = NULL;
    if (c->GetNodeAndRegistration(c, params->nodes_to_replace->data[0], &node, &reg) != kTfLiteOk)
        return NULL;
    fake_kernel *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->tpu = params->delegate ? params->delegate->data_ : NULL;
    const uint8_t *b = node->custom_initial_data;
    k->bad = !b || node->custom_initial_data_size != 12 || memcmp(b, "FTPU", 4) != 0;
    if (!k->bad) {
        k->mul = (int32_t)le32(b + 4);
        k->add = (int32_t)le32(b + 8);
    }
    atomic_fetch_add(&live_kernels, 1);
    return k;
}

static void kernel_free(TfLiteContext *c, void *buffer)
{
    if (!buffer) {
        c->ReportError(c, "Null custom op data.");
        return;
    }
    free(buffer);
    atomic_fetch_sub(&live_kernels, 1);
}

static fake_tpu *tpu_of(TfLiteContext *c)
{
    TfLiteExternalContext *e = c->GetExternalContext(c, kTfLiteEdgeTpuContext);
    return e && e->type == kTfLiteEdgeTpuContext ? (fake_tpu *)e : NULL;
}

static TfLiteStatus kernel_prepare(TfLiteContext *c, TfLiteNode *node)
{
    const fake_kernel *k = node->user_data;
    if (!k) {
        c->ReportError(c, "Null custom op data.");
        return kTfLiteError;
    }
    if (!tpu_of(c) || tpu_of(c) != k->tpu) {
        c->ReportError(c, "Failed to retrieve TPU context.");
        return kTfLiteError;
    }
    if (k->bad || failing("kernel_prepare")) {
        c->ReportError(c, "Failed to prepare for TPU. %s",
                       k->bad ? "fake: custom options are not an executable"
                              : "fake: executable rejected (FAKE_EDGETPU_FAIL=kernel_prepare)");
        return kTfLiteError;
    }
    if (node->inputs->size != 1 || node->outputs->size != 1) {
        c->ReportError(c, "fake: %d inputs and %d outputs, not 1 and 1", node->inputs->size,
                       node->outputs->size);
        return kTfLiteError;
    }
    const TfLiteTensor *in = &c->tensors[node->inputs->data[0]];
    TfLiteTensor *out = &c->tensors[node->outputs->data[0]];
    if ((in->type != kTfLiteInt8 && in->type != kTfLiteUInt8) || out->type != in->type ||
        in->bytes != out->bytes) {
        c->ReportError(c, "fake: tensors of types %d and %d, %zu and %zu bytes", in->type,
                       out->type, in->bytes, out->bytes);
        return kTfLiteError;
    }
    /* The real custom op sets the output's batch; here it already has it. */
    TfLiteIntArray *same = malloc(sizeof *same + (size_t)out->dims->size * sizeof(int));
    if (!same)
        return kTfLiteError;
    same->size = out->dims->size;
    memcpy(same->data, out->dims->data, (size_t)same->size * sizeof(int));
    return c->ResizeTensor(c, out, same);
}

static TfLiteStatus kernel_invoke(TfLiteContext *c, TfLiteNode *node)
{
    const fake_kernel *k = node->user_data;
    fake_tpu *tpu = tpu_of(c);
    if (!k || !tpu) {
        c->ReportError(c, "Failed to retrieve TPU context.");
        return kTfLiteError;
    }
    const long n = atomic_fetch_add(&tpu->invokes, 1) + 1;
    atomic_fetch_add(&total_invokes, 1);
    const char *at = getenv("FAKE_EDGETPU_FAIL_AT");
    if (failing("invoke") && (!at || atol(at) == n)) {
        c->ReportError(c,
                       "Failed to execute request. fake: USB transfer failed on invoke %ld "
                       "(FAKE_EDGETPU_FAIL=invoke)",
                       n);
        return kTfLiteError;
    }
    const TfLiteTensor *in = &c->tensors[node->inputs->data[0]];
    TfLiteTensor *out = &c->tensors[node->outputs->data[0]];
    if (!in->data.raw_const || !out->data.raw) {
        c->ReportError(c, "fake: tensor without data");
        return kTfLiteError;
    }
    const int lo = in->type == kTfLiteInt8 ? -128 : 0, hi = in->type == kTfLiteInt8 ? 127 : 255;
    for (size_t i = 0; i < out->bytes; i++) {
        const int32_t x = in->type == kTfLiteInt8 ? in->data.int8[i] : in->data.uint8[i];
        int64_t y = (int64_t)x * k->mul + k->add;
        y = y < lo ? lo : y > hi ? hi : y;
        if (in->type == kTfLiteInt8)
            out->data.int8[i] = (int8_t)y;
        else
            out->data.uint8[i] = (uint8_t)y;
    }
    return kTfLiteOk;
}

/* ---------------------------------------------------------------- the delegate */

static TfLiteStatus delegate_prepare(TfLiteContext *c, TfLiteDelegate *d)
{
    c->SetExternalContext(c, kTfLiteEdgeTpuContext, d->data_);
    if (failing("prepare")) {
        c->ReportError(c, "fake: the delegate cannot prepare (FAKE_EDGETPU_FAIL=prepare)");
        return kTfLiteError;
    }
    TfLiteIntArray *plan = NULL;
    if (c->GetExecutionPlan(c, &plan) != kTfLiteOk || !plan)
        return kTfLiteError;
    const TfLiteRegistration reg = {
        .init = kernel_init,
        .free = kernel_free,
        .prepare = kernel_prepare,
        .invoke = kernel_invoke,
        .builtin_code = kTfLiteBuiltinDelegate,
        .custom_name = "EdgeTpuDelegateForCustomOp",
        .version = 1,
    };
    int *mine = malloc(((size_t)plan->size + 1) * sizeof *mine);
    if (!mine)
        return kTfLiteError;
    int n = 0;
    for (int i = 0; i < plan->size; i++) {
        TfLiteNode *node;
        TfLiteRegistration *r;
        if (c->GetNodeAndRegistration(c, plan->data[i], &node, &r) != kTfLiteOk) {
            free(mine);
            return kTfLiteError;
        }
        if (r->custom_name && !strcmp(r->custom_name, EDGETPU_CUSTOM_OP))
            mine[n++] = plan->data[i];
    }
    for (int i = 0; i < n && !failing("skip"); i++) {
        TfLiteIntArray *one = malloc(sizeof *one + sizeof(int));
        if (!one)
            break;
        one->size = 1;
        one->data[0] = mine[i];
        c->ReplaceNodeSubsetsWithDelegateKernels(c, reg, one, failing("foreign") ? NULL : d);
        free(one);
    }
    free(mine);
    return kTfLiteOk;
}

static bool device_exists(enum edgetpu_device_type type, const char *name)
{
    enum edgetpu_device_type types[8];
    const size_t n = device_types(types);
    int ordinal[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        if (types[i] == NULL_PATH_USB && type == EDGETPU_APEX_USB && (!name || !*name))
            return true;
        if (types[i] > EDGETPU_APEX_USB)
            continue;
        char path[40];
        device_path(types[i], ordinal[types[i]]++, path, sizeof path);
        if (types[i] == type && (!name || !*name || !strcmp(name, path)))
            return true;
    }
    return false;
}

static bool options_ok(const struct edgetpu_option *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(o[i].name, "Performance")) {
            if (strcmp(o[i].value, "Low") && strcmp(o[i].value, "Medium") &&
                strcmp(o[i].value, "High") && strcmp(o[i].value, "Max"))
                return false;
        } else if (!strcmp(o[i].name, "Usb.MaxBulkInQueueLength")) {
            const long v = atol(o[i].value);
            if (v < 0 || v > 256)
                return false;
        } else if (strcmp(o[i].name, "Usb.AlwaysDfu")) {
            return false;
        }
    }
    return true;
}

TfLiteDelegate *edgetpu_create_delegate(enum edgetpu_device_type type, const char *name,
                                        const struct edgetpu_option *options, size_t num_options)
{
    if (num_options && (!options || !name))
        abort(); /* libedgetpu CHECK-fails here */
    size_t at = (size_t)snprintf(last_open, sizeof last_open, "type=%s path=%s options=",
                                 type == EDGETPU_APEX_USB ? "usb" : "pci", name ? name : "(null)");
    for (size_t i = 0; i < num_options && at < sizeof last_open; i++)
        at += (size_t)snprintf(last_open + at, sizeof last_open - at, "%s%s=%s", i ? "," : "",
                               options[i].name, options[i].value);
    if (failing("create") || !device_exists(type, name) || !options_ok(options, num_options))
        return NULL;
    fake_tpu *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ext.type = kTfLiteEdgeTpuContext;
    t->delegate.data_ = &t->ext;
    t->delegate.Prepare = delegate_prepare;
    t->delegate.flags = kTfLiteDelegateFlagsAllowDynamicTensors;
    atomic_fetch_add(&live_delegates, 1);
    return &t->delegate;
}

void edgetpu_free_delegate(TfLiteDelegate *delegate)
{
    if (!delegate)
        return;
    fake_tpu *t = (fake_tpu *)((char *)delegate - offsetof(fake_tpu, delegate));
    free(t);
    atomic_fetch_sub(&live_delegates, 1);
}
