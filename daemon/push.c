/* daemon/push.c - model push: the repository extension's load with file content.
 *
 * Owns: a load request's "file:VERSION/NAME" parameters (Triton's repository extension: the
 * base64 of a file of the model's version folder; edged takes model.tflite, and its
 * model.tflite.sig and model.tflite.sha256 for [models] verify; "file:NAME" without a version
 * folder: the next version on disk) and "sha256" (the model file's digest, checked before
 * anything is written), decoding them, and, in libuv's thread pool, staging them in a hidden
 * folder of the model (NAME/.staging-push-XXXXXX, which the watcher and the scan ignore and
 * the next start removes if edged is killed meanwhile: repo_files.c), opening the staged model
 * with libedge and checking it as [models] verify asks, and only then renaming the files into
 * NAME/VERSION/ (sidecars first, the model last; the next version is one past the newest
 * folder on disk, never what is resident), after which the registry loads it as any new file
 * and the request is answered with the version and whether it serves (the memory budget or a
 * version policy may keep it on disk unloaded). A file that does not open or verify never
 * enters the repository: what serves stays.
 * Does not own: routing, admin checks and the load without files (oip.c), loading (registry).
 * Threads: the loop thread, and the staging in the pool (it touches only its job). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "codec.h"
#include "common/modelsig.h"
#include "http.h"
#include "log.h"
#include "mem.h"
#include "oip_routes.h"
#include "registry.h"
#include "repo_files.h"

enum { F_MODEL, F_SIG, F_SHA, N_FILES = DM_PUSH_FILES };
static const char *const file_names[N_FILES] = {"model.tflite", "model.tflite.sig",
                                                "model.tflite.sha256"};

typedef struct push_job {
    uv_work_t work;
    dm_daemon *d;
    dm_exchange *x;
    char name[72];
    dm_push_files f; /* the decoded parameters */
    int rc;          /* the pool's outcome: 0, or an HTTP status */
    char err[1024];
} push_job;

void dm_push_files_free(dm_push_files *f)
{
    for (int i = 0; i < DM_PUSH_FILES; i++) {
        free(f->data[i]);
        f->data[i] = NULL;
    }
}

static void job_free(push_job *j)
{
    dm_push_files_free(&j->f);
    free(j);
}

/* Writes LEN bytes of DATA to PATH (new, 0644, synced): 0, or -1 with errno. */
static int write_file(const char *path, const uint8_t *data, size_t len)
{
    const int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    const int rc = dm_write_synced(fd, data, len);
    const int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static void remove_staging(const char *stage)
{
    char path[4400];
    for (int i = 0; i < N_FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", stage, file_names[i]);
        unlink(path);
    }
    rmdir(stage);
}

/* J's version folder under the model folder DIR into VDIR: J's version, or the next on disk
 * (claimed: made now, J's version then says which). 0, or -1 with J->err. */
static int claim_version(push_job *j, const char *dir, char *vdir, size_t len)
{
    if (j->f.version[0]) { /* an explicit version: its files are replaced */
        snprintf(vdir, len, "%s/%s", dir, j->f.version);
        if (mkdir(vdir, 0755) == 0 || errno == EEXIST)
            return 0;
    } else {
        const int64_t v = dm_repo_claim_version(dir, vdir, len);
        if (v > 0) {
            snprintf(j->f.version, sizeof j->f.version, "%lld", (long long)v);
            return 0;
        }
    }
    snprintf(j->err, sizeof j->err, "cannot create a version folder in %.300s: %s", dir,
             strerror(errno));
    return -1;
}

/* The pool: stage, open, verify, then into NAME/VERSION/. */
static void push_work(uv_work_t *w)
{
    push_job *j = w->data;
    const dm_config *c = &j->d->cfg;
    char dir[4200], stage[4300], vdir[4300], path[4400], dst[4400], why[900];
    snprintf(dir, sizeof dir, "%s/%s", c->models_dir, j->name);
    if (mkdir(dir, 0755) && errno != EEXIST) {
        snprintf(j->err, sizeof j->err, "cannot create %.300s: %s", dir, strerror(errno));
        j->rc = 500;
        return;
    }
    snprintf(stage, sizeof stage, "%s/" DM_STAGING_PREFIX "push-XXXXXX", dir);
    if (!mkdtemp(stage)) {
        snprintf(j->err, sizeof j->err, "cannot write in %.300s: %s", dir, strerror(errno));
        j->rc = 500;
        return;
    }
    for (int i = 0; i < N_FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", stage, file_names[i]);
        if (j->f.data[i] && write_file(path, j->f.data[i], j->f.len[i])) {
            snprintf(j->err, sizeof j->err, "cannot write %.300s: %s", path, strerror(errno));
            remove_staging(stage);
            j->rc = 500;
            return;
        }
    }
    /* it must open, and verify as the registry will check it */
    snprintf(path, sizeof path, "%s/%s", stage, file_names[F_MODEL]);
    edge_model *m = NULL;
    edge_error e = {0};
    int rc = edge_model_open(path, &(edge_model_options){.private_copy = 1}, &m, &e);
    if (rc)
        snprintf(j->err, sizeof j->err, "the pushed file is not a model edged can serve: %s",
                 e.message[0] ? e.message : edge_strerror(rc));
    else if (!strcmp(c->model_verify, "digest") &&
             edge_sig_check_digest(path, edge_model_file_data(m), edge_model_file_bytes(m), why,
                                   sizeof why))
        rc = -1;
    else if (!strcmp(c->model_verify, "signature")) {
        char key[256];
        rc = edge_sig_check_signature(path, edge_model_file_data(m), edge_model_file_bytes(m),
                                      c->trusted_keys, geteuid(), key, sizeof key, why, sizeof why);
    }
    if (rc && m)
        snprintf(j->err, sizeof j->err, "not verified ([models] verify = %s): %.600s",
                 c->model_verify, why);
    edge_model_unref(m);
    if (rc) {
        remove_staging(stage);
        j->rc = 400;
        return;
    }
    if (claim_version(j, dir, vdir, sizeof vdir)) {
        remove_staging(stage);
        j->rc = 500;
        return;
    }
    for (int i = N_FILES - 1; i >= 0; i--) { /* the sidecars first: the model comes checked */
        snprintf(path, sizeof path, "%s/%s", stage, file_names[i]);
        snprintf(dst, sizeof dst, "%s/%s", vdir, file_names[i]);
        if (!j->f.data[i])
            continue;
        if (rename(path, dst)) {
            snprintf(j->err, sizeof j->err, "cannot move %.300s into place: %s", dst,
                     strerror(errno));
            remove_staging(stage);
            j->rc = 500;
            return;
        }
    }
    remove_staging(stage);
    j->rc = 0;
}

/* Whether the entry NAME serves VERSION now; why not into WHY. */
static bool serves(dm_daemon *d, const char *name, const char *version, char *why, size_t len)
{
    const dm_entry *e = dm_registry_entry(d->reg, name);
    const int64_t v = strtoll(version, NULL, 10);
    for (size_t i = 0; e && i < e->n_versions; i++)
        if (e->versions[i]->version == v)
            return true;
    if (e && e->last_error[0])
        snprintf(why, len, "%s", e->last_error);
    else if (e && e->policy[0])
        snprintf(why, len, "its version policy (%s) does not serve it", e->policy);
    else
        snprintf(why, len, "the model is not resident (the memory budget loads it on demand)");
    return false;
}

static void pushed_loaded(const char *name, int rc, const char *err, void *arg)
{
    push_job *j = arg;
    char why[600];
    if (rc == 0) {
        const bool loaded = serves(j->d, name, j->f.version, why, sizeof why);
        if (loaded)
            dm_log(DM_LOG_INFO, "model %s version %s: pushed (%zu bytes) and loaded", name,
                   j->f.version, j->f.len[F_MODEL]);
        else
            dm_log(DM_LOG_INFO, "model %s version %s: pushed (%zu bytes), not serving: %s", name,
                   j->f.version, j->f.len[F_MODEL], why);
        dm_http_reply_json(j->x, 200,
                           loaded ? json_pack("{s:s, s:b}", "version", j->f.version, "loaded", 1)
                                  : json_pack("{s:s, s:b, s:s}", "version", j->f.version, "loaded",
                                              0, "reason", why));
    } else {
        dm_http_error(j->x, 400, "model '%s' version %s was pushed but does not load: %s", name,
                      j->f.version, err);
    }
    job_free(j);
}

static void push_done(uv_work_t *w, int status)
{
    push_job *j = w->data;
    if (status || j->rc) {
        if (status)
            snprintf(j->err, sizeof j->err, "the push was cancelled: %s", uv_strerror(status));
        dm_log(DM_LOG_WARN, "model %s: a push of version %s was refused: %s", j->name,
               j->f.version[0] ? j->f.version : "(next)", j->err);
        dm_http_error(j->x, status ? 503 : j->rc, "push of model '%s' version %s: %s", j->name,
                      j->f.version[0] ? j->f.version : "(next)", j->err);
        job_free(j);
        return;
    }
    dm_registry_load(j->d->reg, j->name, pushed_loaded, j);
}

/* The base64 VAL of parameter KEY into *OUT (*LEN bytes): 0, or -1 with ERR. */
static int decode(const char *key, const json_t *val, uint8_t **out, size_t *len, char *err,
                  size_t elen)
{
    const char *b64 = json_string_value(val);
    const size_t n = b64 ? strlen(b64) : 0;
    *out = NULL;
    if (!b64 || !n) {
        snprintf(err, elen, "parameter '%s' must be a non-empty base64 string", key);
        return -1;
    }
    uint8_t *buf = malloc(n / 4 * 3 + 3);
    size_t got = 0;
    if (!buf || sodium_base642bin(buf, n / 4 * 3 + 3, b64, n, " \r\n", &got, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(buf);
        snprintf(err, elen, buf ? "parameter '%s' is not base64" : "out of memory decoding '%s'",
                 key);
        return -1;
    }
    *out = buf;
    *len = got;
    return 0;
}

int dm_push_parse(const json_t *params, dm_push_files *out, char *err, size_t elen)
{
    *out = (dm_push_files){0};
    const char *key;
    const json_t *val;
    int status = json_is_object(params) ? 0 : 400;
    if (status)
        snprintf(err, elen, "\"parameters\" must be an object");
    json_object_foreach((json_t *)params, key, val)
    {
        if (status)
            break;
        if (!strcmp(key, "sha256")) {
            const char *h = json_string_value(val);
            if (!h || strlen(h) != 64 || strspn(h, "0123456789abcdefABCDEF") != 64) {
                snprintf(err, elen, "parameter 'sha256' must be 64 hex digits");
                status = 400;
            } else {
                snprintf(out->sha256, sizeof out->sha256, "%s", h);
            }
            continue;
        }
        /* file:VERSION/NAME, or file:NAME (the next version) */
        const bool file = !strncmp(key, "file:", 5);
        const char *slash = file ? strchr(key + 5, '/') : NULL;
        const char *fname = slash ? slash + 1 : file ? key + 5 : "";
        char version[24];
        const size_t vl = slash ? (size_t)(slash - (key + 5)) : 0;
        snprintf(version, sizeof version, "%.*s", (int)(vl < sizeof version ? vl : 0),
                 file ? key + 5 : "");
        int f = -1;
        for (int i = 0; file && i < N_FILES; i++)
            if (!strcmp(fname, file_names[i]))
                f = i;
        if ((slash && (!vl || vl >= sizeof version || !dm_version_name_valid(version))) || f < 0) {
            snprintf(err, elen,
                     "parameter '%.200s': edged takes file:VERSION/model.tflite (and its .sig "
                     "and .sha256), VERSION a number, or file:model.tflite for the next version",
                     key);
            status = 400;
        } else if ((out->data[F_MODEL] || out->data[F_SIG] || out->data[F_SHA]) &&
                   strcmp(out->version, version)) {
            snprintf(err, elen, "the files of one load go into one version folder (%s, %s)",
                     out->version[0] ? out->version : "next", version[0] ? version : "next");
            status = 400;
        } else if (out->data[f]) {
            snprintf(err, elen, "parameter '%.200s' given twice", key);
            status = 400;
        } else {
            snprintf(out->version, sizeof out->version, "%s", version);
            if (decode(key, val, &out->data[f], &out->len[f], err, elen))
                status = 400;
        }
    }
    if (!status && !out->data[F_MODEL]) {
        snprintf(err, elen, "a push needs file:VERSION/model.tflite");
        status = 400;
    }
    if (!status && out->sha256[0]) {
        char have[65];
        edge_sig_sha256_hex(out->data[F_MODEL], out->len[F_MODEL], have);
        if (strcasecmp(have, out->sha256)) {
            snprintf(err, elen, "the model file's SHA-256 is %s, not the sha256 parameter's %s",
                     have, out->sha256);
            status = 400;
        }
    }
    if (status)
        dm_push_files_free(out);
    return status;
}

int dm_push_start(dm_daemon *d, dm_exchange *x, const char *name, const json_t *params, char *err,
                  size_t elen)
{
    if (!dm_model_name_valid(name, strlen(name))) { /* it becomes a folder: no "..", no "/" */
        snprintf(err, elen,
                 "invalid model name '%.80s': 1 to 64 characters of A-Z a-z 0-9 _ . -, not "
                 "starting with '.'",
                 name);
        return 400;
    }
    push_job *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, elen, "out of memory");
        return 500;
    }
    *j = (push_job){.d = d, .x = x};
    snprintf(j->name, sizeof j->name, "%s", name);
    int status = dm_push_parse(params, &j->f, err, elen);
    if (!status) {
        j->work.data = j;
        if (uv_queue_work(d->loop, &j->work, push_work, push_done) == 0)
            return 0;
        snprintf(err, elen, "cannot queue the push");
        status = 503;
    }
    job_free(j);
    return status;
}
