/* backends/edgetpu/edgetpu.h - the Coral Edge TPU bridge's internals (one plugin, four files).
 *
 * Owns: the types the bridge's files share: the loaded libedgetpu and the
 * devices it lists (edgetpu_lib.c), the back end's state with its parsed
 * options (edgetpu_backend.c), and a prepared partition with its hosted
 * TensorFlow Lite context and the per-thread instances (hosted.c, with the
 * context's callbacks in hosted_ctx.c).
 * Does not own: the plugin ABI (include/edge/backend.h) or the TensorFlow Lite
 * layouts (tflite_abi.h). */
#ifndef EDGE_EDGETPU_H
#define EDGE_EDGETPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/backend.h"
#include "tflite_abi.h"

#define ETPU_DEFAULT_LIBRARY "libedgetpu.so.1"
#define ETPU_MAX_DEVICES 32
#define ETPU_ERR_MAX 512

/* ---- edgetpu_lib.c: libedgetpu, loaded with dlopen ---- */

typedef struct etpu_lib {
    void *dl;
    edgetpu_list_devices_fn list_devices;
    edgetpu_free_devices_fn free_devices;
    edgetpu_create_delegate_fn create_delegate;
    edgetpu_free_delegate_fn free_delegate;
    edgetpu_verbosity_fn verbosity;
    edgetpu_version_fn version;
    char version_text[160]; /* edgetpu_version(), cut to fit */
    int runtime_version;    /* N of "RuntimeVersion(N)", -1 when absent */
} etpu_lib;

typedef struct etpu_device {
    enum edgetpu_device_type type;
    int ordinal;    /* among the devices of its type: usb:0, usb:1, pci:0 */
    char path[128]; /* what edgetpu_list_devices said ("" when it gave NULL) */
} etpu_device;

/* dlopen PATH, resolve the six functions, read and check the version. */
int etpu_lib_open(etpu_lib *lib, const char *path, char *err, size_t errlen);
void etpu_lib_close(etpu_lib *lib); /* a zeroed or closed lib is fine */
/* N of "...RuntimeVersion(N)..." in TEXT, or -1. */
int etpu_runtime_version(const char *text);
/* The runtime versions whose TensorFlow Lite layout this bridge matches, as text ("14"). */
const char *etpu_supported_versions(void);
bool etpu_runtime_supported(int version);
/* Copy what edgetpu_list_devices reports into DEVS (at most ETPU_MAX_DEVICES);
 * returns the count. Whatever the library returns is checked. */
int etpu_lib_devices(const etpu_lib *lib, etpu_device *devs);
const char *etpu_type_name(enum edgetpu_device_type type); /* "usb", "pci" */

/* ---- edgetpu_backend.c: the back end ---- */

typedef struct etpu_state {
    etpu_lib lib;
    edge_be_host host;
    etpu_device devices[ETPU_MAX_DEVICES];
    int n_devices;
    int selected;             /* index in devices */
    const char *performance;  /* libedgetpu's "Performance" value, or NULL: its default */
    char queue_len[8];        /* "Usb.MaxBulkInQueueLength", "" when not set */
    TfLiteDelegate *delegate; /* one for the selected device, for every partition */
} etpu_state;

void etpu_log(const etpu_state *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- hosted.c: a partition run by libedgetpu's delegate ---- */

typedef struct etpu_part etpu_part;
typedef struct etpu_inst etpu_inst;

int etpu_part_prepare(etpu_state *s, const edge_be_partition *p, etpu_part **out, char *err,
                      size_t errlen);
void etpu_part_release(etpu_part *part);
int etpu_inst_new(etpu_part *part, etpu_inst **out, char *err, size_t errlen);
int etpu_inst_invoke(etpu_inst *inst, const void *const *inputs, void *const *outputs, char *err,
                     size_t errlen);
void etpu_inst_free(etpu_inst *inst);

/* snprintf into ERR (ERRLEN may be 0); returns CODE. */
int etpu_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
