/* vision/modellabels.c - class labels carried inside a model file (see modellabels.h).
 *
 * Owns: choosing the entry (metadata.json's names, a *label*.txt, the only .txt), reading it
 * within the size limit, and turning metadata.json's {"index": "name"} into label lines. */
#include "modellabels.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <zip.h>

#define NAMES_MAX 100000 /* classes a metadata.json may name */

static bool ends_with(const char *s, const char *suffix)
{
    const size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* Entry I of Z, whole, into a malloc'd buffer (*LEN bytes); NULL with ERR. */
static char *read_entry(zip_t *z, zip_uint64_t i, size_t *len, char *err, size_t errlen)
{
    zip_stat_t st;
    if (zip_stat_index(z, i, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
        snprintf(err, errlen, "cannot read the model's embedded files: %s", zip_strerror(z));
        return NULL;
    }
    if (st.size > EDGE_MODEL_LABELS_MAX) {
        snprintf(err, errlen, "the model's embedded '%s' is over %d bytes", st.name,
                 EDGE_MODEL_LABELS_MAX);
        return NULL;
    }
    char *buf = malloc(st.size + 1);
    zip_file_t *f = buf ? zip_fopen_index(z, i, 0) : NULL;
    const zip_int64_t got = f ? zip_fread(f, buf, st.size) : -1;
    if (f)
        zip_fclose(f);
    if (got < 0 || (zip_uint64_t)got != st.size) {
        snprintf(err, errlen, "cannot read the model's embedded '%s'", st.name);
        free(buf);
        return NULL;
    }
    buf[st.size] = 0;
    *len = (size_t)st.size;
    return buf;
}

/* metadata.json's "names" as label lines. 1, 0 (no names), or -1 with ERR. */
static int names_labels(const char *text, size_t len, edge_labels *out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    json_t *names = json_object_get(root, "names");
    if (!json_is_object(names) || json_object_size(names) == 0) {
        json_decref(root);
        return 0;
    }
    const char **byidx = calloc(NAMES_MAX, sizeof *byidx);
    size_t n = 0, bytes = 0;
    const char *key;
    json_t *v;
    json_object_foreach(names, key, v)
    {
        char *end;
        const unsigned long i = strtoul(key, &end, 10);
        if (byidx && !*end && end != key && i < NAMES_MAX && json_is_string(v)) {
            byidx[i] = json_string_value(v);
            n = i + 1 > n ? i + 1 : n;
            bytes += strlen(byidx[i]) + 1;
        }
    }
    char *lines = byidx ? malloc(bytes + n + 1) : NULL;
    size_t at = 0;
    for (size_t i = 0; lines && i < n; i++) {
        const size_t k = byidx[i] ? strlen(byidx[i]) : 0;
        memcpy(lines + at, byidx[i] ? byidx[i] : "", k);
        at += k;
        lines[at++] = '\n';
    }
    const int rc = !lines ? -1 : edge_labels_parse(lines, at, out) ? -1 : 1;
    if (rc < 0)
        snprintf(err, errlen, "out of memory for the model's class names");
    free(lines);
    free(byidx);
    json_decref(root);
    return rc;
}

int edge_labels_from_model(const char *path, edge_labels *out, char *err, size_t errlen)
{
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    if (!z) {
        if (zerr == ZIP_ER_NOZIP || zerr == ZIP_ER_INCONS)
            return 0; /* a model without embedded files */
        zip_error_t e;
        zip_error_init_with_code(&e, zerr);
        snprintf(err, errlen, "%s: %s", path, zip_error_strerror(&e));
        zip_error_fini(&e);
        return -1;
    }
    const zip_int64_t n = zip_get_num_entries(z, 0);
    zip_int64_t meta = -1, label = -1, txt = -1;
    int n_txt = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
        if (!name)
            continue;
        const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
        if (!strcmp(base, "metadata.json"))
            meta = i;
        else if (ends_with(base, ".txt")) {
            n_txt++;
            txt = i;
            if (label < 0 && strcasestr(base, "label"))
                label = i;
        }
    }
    int rc = 0;
    size_t len;
    char *text;
    if (meta >= 0) {
        text = read_entry(z, (zip_uint64_t)meta, &len, err, errlen);
        rc = text ? names_labels(text, len, out, err, errlen) : -1;
        free(text);
    }
    const zip_int64_t pick = label >= 0 ? label : n_txt == 1 ? txt : -1;
    if (rc == 0 && pick >= 0) {
        text = read_entry(z, (zip_uint64_t)pick, &len, err, errlen);
        rc = !text ? -1 : edge_labels_parse(text, len, out) ? -1 : 1;
        if (text && rc < 0)
            snprintf(err, errlen, "out of memory for the model's labels");
        free(text);
    }
    zip_discard(z);
    return rc;
}
