/* backends/edgetpu/edgetpu_lib.c - loading libedgetpu and asking it what it has.
 *
 * Owns: dlopen of libedgetpu.so.1 (or the path the options give), resolving
 * the six C functions of its tflite/public/edgetpu_c.h, the runtime version
 * check (the TensorFlow Lite struct layout this bridge hosts the delegate
 * with must be the one the library was built against), and copying the
 * device list, trusting nothing the library returns.
 * Does not own: choosing a device or creating the delegate (edgetpu_backend.c). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgetpu.h"

/* RuntimeVersion values (libedgetpu's api/runtime_version.h) whose library was
 * built against the TensorFlow Lite layout of tflite_abi.h: 14 is the Coral
 * "grouper" release, libedgetpu 16.0 (TensorFlow 2.5). */
static const int supported_versions[] = {14};

const char *etpu_supported_versions(void)
{
    return "14";
}

bool etpu_runtime_supported(int version)
{
    for (size_t i = 0; i < sizeof supported_versions / sizeof supported_versions[0]; i++)
        if (supported_versions[i] == version)
            return true;
    return false;
}

int etpu_runtime_version(const char *text)
{
    static const char key[] = "RuntimeVersion(";
    const char *at = text ? strstr(text, key) : NULL;
    if (!at)
        return -1;
    at += sizeof key - 1;
    long v = 0;
    int digits = 0;
    for (; *at >= '0' && *at <= '9' && digits < 6; at++, digits++)
        v = v * 10 + (*at - '0');
    return digits > 0 && digits < 6 && *at == ')' ? (int)v : -1;
}

const char *etpu_type_name(enum edgetpu_device_type type)
{
    return type == EDGETPU_APEX_USB ? "usb" : type == EDGETPU_APEX_PCI ? "pci" : "unknown";
}

/* dlsym into a function pointer of any type (through memcpy: ISO C has no cast for it). */
static bool resolve(void *dl, const char *name, void *fn_out, size_t fn_size, char *missing,
                    size_t len)
{
    void *sym = dlsym(dl, name);
    memcpy(fn_out, &sym, fn_size);
    if (sym)
        return true;
    const size_t used = strlen(missing);
    snprintf(missing + used, len - used, "%s%s", used ? ", " : "", name);
    return false;
}

static void copy_text(char *dst, size_t len, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < len; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
    dst[i] = 0;
}

static int check_version(etpu_lib *lib, const char *path, char *err, size_t errlen)
{
    const char *v = lib->version();
    copy_text(lib->version_text, sizeof lib->version_text, v ? v : "");
    lib->runtime_version = etpu_runtime_version(lib->version_text);
    if (lib->runtime_version < 0)
        return etpu_fail(err, errlen, EDGE_EUNSUPPORTED,
                         "%s reports version '%s', without a RuntimeVersion(N); this bridge "
                         "supports RuntimeVersion %s (libedgetpu 16.0)",
                         path, lib->version_text, etpu_supported_versions());
    if (!etpu_runtime_supported(lib->runtime_version))
        return etpu_fail(err, errlen, EDGE_EUNSUPPORTED,
                         "%s is runtime version %d ('%s'); this bridge supports RuntimeVersion "
                         "%s (libedgetpu 16.0, built against TensorFlow Lite 2.5: another "
                         "version may lay out the structs it shares differently)",
                         path, lib->runtime_version, lib->version_text, etpu_supported_versions());
    return 0;
}

int etpu_lib_open(etpu_lib *lib, const char *path, char *err, size_t errlen)
{
    memset(lib, 0, sizeof *lib);
    /* NODELETE: libedgetpu keeps process-wide singletons (its EdgeTpuManager is
     * never deleted) that must not be unmapped under their own exit handlers. */
    dlerror();
    lib->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!lib->dl) {
        const char *why = dlerror();
        return etpu_fail(err, errlen, EDGE_EIO,
                         "cannot load %s: %s (install libedgetpu1-std or libedgetpu1-max from "
                         "Coral's apt repository, or set library = PATH in [backend.edgetpu])",
                         path, why ? why : "dlopen failed");
    }
    char missing[160] = "";
    bool ok = resolve(lib->dl, "edgetpu_list_devices", &lib->list_devices, sizeof lib->list_devices,
                      missing, sizeof missing);
    ok &= resolve(lib->dl, "edgetpu_free_devices", &lib->free_devices, sizeof lib->free_devices,
                  missing, sizeof missing);
    ok &= resolve(lib->dl, "edgetpu_create_delegate", &lib->create_delegate,
                  sizeof lib->create_delegate, missing, sizeof missing);
    ok &= resolve(lib->dl, "edgetpu_free_delegate", &lib->free_delegate, sizeof lib->free_delegate,
                  missing, sizeof missing);
    ok &= resolve(lib->dl, "edgetpu_verbosity", &lib->verbosity, sizeof lib->verbosity, missing,
                  sizeof missing);
    ok &= resolve(lib->dl, "edgetpu_version", &lib->version, sizeof lib->version, missing,
                  sizeof missing);
    int rc =
        ok ? check_version(lib, path, err, errlen)
           : etpu_fail(err, errlen, EDGE_EUNSUPPORTED,
                       "%s lacks %s: not libedgetpu's C interface (edgetpu_c.h)", path, missing);
    if (rc)
        etpu_lib_close(lib);
    return rc;
}

void etpu_lib_close(etpu_lib *lib)
{
    if (lib->dl)
        dlclose(lib->dl);
    memset(lib, 0, sizeof *lib);
}

int etpu_lib_devices(const etpu_lib *lib, etpu_device *devs)
{
    size_t n = 0;
    struct edgetpu_device *list = lib->list_devices(&n);
    if (!list)
        return 0;
    int count = 0, ordinal[2] = {0, 0};
    for (size_t i = 0; i < n && count < ETPU_MAX_DEVICES; i++) {
        const struct edgetpu_device *d = &list[i];
        if (d->type != EDGETPU_APEX_PCI && d->type != EDGETPU_APEX_USB)
            continue; /* a type this bridge cannot name or open */
        etpu_device *o = &devs[count];
        const char *path = d->path ? d->path : "";
        if (strnlen(path, sizeof o->path) >= sizeof o->path)
            continue; /* a path that does not fit could not be opened again */
        copy_text(o->path, sizeof o->path, path);
        o->type = d->type;
        o->ordinal = ordinal[d->type]++;
        count++;
    }
    lib->free_devices(list);
    return count;
}
