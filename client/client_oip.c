/* client/client_oip.c - libedgeclient's Open Inference Protocol calls (all but infer).
 *
 * Owns: health, server metadata, model metadata (datatypes, shapes and the
 * quantization parameters edged adds), the repository (index, load,
 * unload), /metrics, turning an error reply into a message, and escaping
 * model names into paths. JSON through jansson.
 * Does not own: the connection (client.c) or inference (client_infer.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client_impl.h"

/* ---------------------------------------------------------------- helpers */

size_t edge_client_dtype_size(const char *dt)
{
    static const struct {
        const char *name;
        size_t size;
    } types[] = {
        {"BOOL", 1}, {"UINT8", 1}, {"UINT16", 2}, {"UINT32", 4}, {"UINT64", 8},
        {"INT8", 1}, {"INT16", 2}, {"INT32", 4},  {"INT64", 8},  {"FP16", 2},
        {"FP32", 4}, {"FP64", 8},  {"BF16", 2},
    };
    if (!dt)
        return 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dt, types[i].name))
            return types[i].size;
    return 0;
}

static size_t escaped_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += strchr("-._~", *s) || (*s >= '0' && *s <= '9') ||
                     ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')
                 ? 1
                 : 3;
    return n;
}

static char *escape_into(char *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (strchr("-._~", ch) || (ch >= '0' && ch <= '9') ||
            ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')) {
            *o++ = (char)ch;
        } else {
            *o++ = '%';
            *o++ = hex[ch >> 4];
            *o++ = hex[ch & 15];
        }
    }
    return o;
}

char *client_model_path(const char *name, const char *version, const char *suffix)
{
    size_t n = strlen("/v2/models/") + escaped_len(name) + strlen(suffix) + 1;
    if (version)
        n += strlen("/versions/") + escaped_len(version);
    char *p = malloc(n), *o = p;
    if (!p)
        return NULL;
    o += sprintf(o, "/v2/models/");
    o = escape_into(o, name);
    if (version) {
        o += sprintf(o, "/versions/");
        o = escape_into(o, version);
    }
    strcpy(o, suffix);
    return p;
}

int client_server_error(edge_client *c, const edge_client_response *r, const char *desc)
{
    json_t *j = json_loadb((const char *)r->body, r->body_len, 0, NULL);
    const char *msg = json_string_value(json_object_get(j, "error"));
    char text[256];
    if (!msg) {
        /* not the protocol's error object: show the start of the body */
        size_t n = r->body_len < sizeof text - 1 ? r->body_len : sizeof text - 1;
        for (size_t i = 0; i < n; i++)
            text[i] = r->body[i] >= 0x20 && r->body[i] < 0x7f ? (char)r->body[i] : ' ';
        text[n] = 0;
        msg = n ? text : "(no message)";
    }
    client_fail(c, EDGE_CLIENT_ESERVER, "%s: HTTP %d: %s", desc, r->status, msg);
    json_decref(j);
    return EDGE_CLIENT_ESERVER;
}

/* GET/POST PATH, a 2xx JSON object reply into *OUT. */
static int call_json(edge_client *c, const char *method, const char *path, const char *body,
                     json_t **out)
{
    edge_client_response *r = NULL;
    char desc[300];
    snprintf(desc, sizeof desc, "%s %s", method, path);
    int rc = client_roundtrip(c, method, path, body, body ? strlen(body) : 0,
                              body ? "application/json" : NULL, &r);
    if (rc)
        return rc;
    if (r->status < 200 || r->status > 299) {
        rc = client_server_error(c, r, desc);
        edge_client_response_free(r);
        return rc;
    }
    json_error_t je;
    json_t *j =
        r->body_len ? json_loadb((const char *)r->body, r->body_len, 0, &je) : json_object();
    edge_client_response_free(r);
    if (!j)
        return client_fail(c, EDGE_CLIENT_EPROTO, "%s: the reply is not JSON: %s at byte %d", desc,
                           je.text, je.position);
    *out = j;
    return 0;
}

static char *dup_str(json_t *v)
{
    const char *s = json_string_value(v);
    return s ? strdup(s) : NULL;
}

/* ---------------------------------------------------------------- health, server */

int edge_client_health(edge_client *c, bool *live, bool *ready)
{
    if (!c || !live || !ready)
        return EDGE_CLIENT_EINVAL;
    client_clear_err(c);
    if (c->pend_n)
        return client_fail(c, EDGE_CLIENT_ESTATE, "health: %zu pipelined replies unread",
                           c->pend_n);
    int rc = client_submit(c, PEND_RAW, "GET", "/v2/health/live", NULL, 0, NULL, 0, false, NULL);
    if (!rc)
        rc = client_submit(c, PEND_RAW, "GET", "/v2/health/ready", NULL, 0, NULL, 0, false, NULL);
    edge_client_response *a = NULL, *b = NULL;
    if (!rc)
        rc = client_read_reply(c, -1, &a, NULL);
    if (!rc)
        rc = client_read_reply(c, -1, &b, NULL);
    if (!rc) {
        *live = a->status == 200;
        *ready = b->status == 200;
    }
    edge_client_response_free(a);
    edge_client_response_free(b);
    return rc;
}

void edge_client_server_meta_free(edge_client_server_meta *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->version);
    for (size_t i = 0; i < m->n_extensions; i++)
        free(m->extensions[i]);
    free(m->extensions);
    free(m);
}

int edge_client_server_metadata(edge_client *c, edge_client_server_meta **out)
{
    if (!c || !out)
        return EDGE_CLIENT_EINVAL;
    json_t *j;
    int rc = call_json(c, "GET", "/v2", NULL, &j);
    if (rc)
        return rc;
    edge_client_server_meta *m = calloc(1, sizeof *m);
    json_t *ext = json_object_get(j, "extensions");
    size_t n = json_array_size(ext);
    if (m) {
        m->name = dup_str(json_object_get(j, "name"));
        m->version = dup_str(json_object_get(j, "version"));
        m->extensions = calloc(n ? n : 1, sizeof *m->extensions);
    }
    for (size_t i = 0; m && m->extensions && i < n; i++)
        if ((m->extensions[m->n_extensions] = dup_str(json_array_get(ext, i))))
            m->n_extensions++;
    json_decref(j);
    if (!m || !m->extensions) {
        edge_client_server_meta_free(m);
        return client_fail(c, EDGE_CLIENT_ENOMEM, "GET /v2: out of memory");
    }
    *out = m;
    return 0;
}

/* ---------------------------------------------------------------- model metadata */

/* {"scale": S, "zero_point": Z}, each a number or a one-element array. */
static void tensor_quant(json_t *params, edge_client_tensor_meta *t)
{
    json_t *s = json_object_get(params, "scale"), *z = json_object_get(params, "zero_point");
    if (json_is_array(s) && json_array_size(s) == 1)
        s = json_array_get(s, 0);
    if (json_is_array(z) && json_array_size(z) == 1)
        z = json_array_get(z, 0);
    if (json_is_number(s) && json_is_integer(z) && json_number_value(s) > 0) {
        t->quantized = true;
        t->scale = json_number_value(s);
        t->zero_point = json_integer_value(z);
    }
}

static int tensor_meta(edge_client *c, json_t *j, edge_client_tensor_meta *t, const char *where,
                       size_t idx)
{
    json_t *shape = json_object_get(j, "shape");
    t->name = dup_str(json_object_get(j, "name"));
    t->datatype = dup_str(json_object_get(j, "datatype"));
    if (!t->name || !t->datatype || !json_is_array(shape))
        return client_fail(c, EDGE_CLIENT_EPROTO,
                           "model metadata: %s %zu lacks a name, datatype or shape", where, idx);
    if (json_array_size(shape) > EDGE_CLIENT_MAX_DIMS)
        return client_fail(c, EDGE_CLIENT_EPROTO, "model metadata: %s '%s' has %zu dims (max %d)",
                           where, t->name, json_array_size(shape), EDGE_CLIENT_MAX_DIMS);
    t->rank = (int)json_array_size(shape);
    for (int d = 0; d < t->rank; d++) {
        json_t *v = json_array_get(shape, (size_t)d);
        if (!json_is_integer(v) || json_integer_value(v) < -1)
            return client_fail(c, EDGE_CLIENT_EPROTO,
                               "model metadata: %s '%s': dim %d is not an integer >= -1", where,
                               t->name, d);
        t->shape[d] = json_integer_value(v);
    }
    tensor_quant(json_object_get(j, "parameters"), t);
    return 0;
}

static void tensor_meta_clear(edge_client_tensor_meta *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        free(t[i].name);
        free(t[i].datatype);
    }
    free(t);
}

void edge_client_model_meta_free(edge_client_model_meta *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->platform);
    for (size_t i = 0; i < m->n_versions; i++)
        free(m->versions[i]);
    free(m->versions);
    tensor_meta_clear(m->inputs, m->n_inputs);
    tensor_meta_clear(m->outputs, m->n_outputs);
    free(m);
}

static int tensor_list(edge_client *c, json_t *arr, const char *where,
                       edge_client_tensor_meta **out, size_t *n)
{
    if (!json_is_array(arr))
        return client_fail(c, EDGE_CLIENT_EPROTO, "model metadata: no \"%ss\" array", where);
    size_t k = json_array_size(arr);
    if (!(*out = calloc(k ? k : 1, sizeof **out)))
        return client_fail(c, EDGE_CLIENT_ENOMEM, "model metadata: out of memory");
    for (*n = 0; *n < k; (*n)++) {
        int rc = tensor_meta(c, json_array_get(arr, *n), &(*out)[*n], where, *n);
        if (rc) {
            (*n)++; /* free what it got */
            return rc;
        }
    }
    return 0;
}

static int model_meta_parse(edge_client *c, json_t *j, edge_client_model_meta *m)
{
    m->name = dup_str(json_object_get(j, "name"));
    m->platform = dup_str(json_object_get(j, "platform"));
    if (!m->name)
        return client_fail(c, EDGE_CLIENT_EPROTO, "model metadata: no \"name\"");
    json_t *vs = json_object_get(j, "versions");
    size_t nv = json_array_size(vs);
    if (!(m->versions = calloc(nv ? nv : 1, sizeof *m->versions)))
        return client_fail(c, EDGE_CLIENT_ENOMEM, "model metadata: out of memory");
    for (size_t i = 0; i < nv; i++) {
        json_t *v = json_array_get(vs, i);
        char num[32];
        if (json_is_integer(v)) /* tolerate numbers; the protocol says strings */
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        const char *s = json_is_integer(v) ? num : json_string_value(v);
        if (s && (m->versions[m->n_versions] = strdup(s)))
            m->n_versions++;
    }
    int rc = tensor_list(c, json_object_get(j, "inputs"), "input", &m->inputs, &m->n_inputs);
    if (!rc)
        rc = tensor_list(c, json_object_get(j, "outputs"), "output", &m->outputs, &m->n_outputs);
    return rc;
}

int edge_client_model_metadata(edge_client *c, const char *name, const char *version,
                               edge_client_model_meta **out)
{
    if (!c || !name || !*name || !out)
        return EDGE_CLIENT_EINVAL;
    char *path = client_model_path(name, version, "");
    if (!path)
        return client_fail(c, EDGE_CLIENT_ENOMEM, "model metadata: out of memory");
    json_t *j;
    int rc = call_json(c, "GET", path, NULL, &j);
    if (rc) {
        free(path);
        return rc;
    }
    edge_client_model_meta *m = calloc(1, sizeof *m);
    rc = m ? model_meta_parse(c, j, m)
           : client_fail(c, EDGE_CLIENT_ENOMEM, "model metadata: out of memory");
    if (rc) {
        /* say which reply was wrong */
        char tmp[CLIENT_ERRMSG_MAX];
        snprintf(tmp, sizeof tmp, "%s", c->err);
        client_fail(c, rc, "GET %s: %s", path, tmp);
        edge_client_model_meta_free(m);
    } else {
        *out = m;
    }
    json_decref(j);
    free(path);
    return rc;
}

/* ---------------------------------------------------------------- repository, metrics */

void edge_client_index_free(edge_client_index *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n; i++) {
        free(x->models[i].name);
        free(x->models[i].version);
        free(x->models[i].state);
        free(x->models[i].reason);
        free(x->models[i].policy);
        free(x->models[i].last_error);
        free(x->models[i].file);
        free(x->models[i].file_note);
    }
    free(x->models);
    free(x);
}

int edge_client_repository_index(edge_client *c, edge_client_index **out)
{
    if (!c || !out)
        return EDGE_CLIENT_EINVAL;
    json_t *j;
    int rc = call_json(c, "POST", "/v2/repository/index", "{}", &j);
    if (rc)
        return rc;
    if (!json_is_array(j)) {
        json_decref(j);
        return client_fail(c, EDGE_CLIENT_EPROTO,
                           "POST /v2/repository/index: the reply is not a JSON array");
    }
    size_t n = json_array_size(j);
    edge_client_index *x = calloc(1, sizeof *x);
    if (x && !(x->models = calloc(n ? n : 1, sizeof *x->models))) {
        free(x);
        x = NULL;
    }
    for (size_t i = 0; x && i < n; i++) {
        json_t *e = json_array_get(j, i);
        edge_client_model_entry *m = &x->models[x->n];
        if (!(m->name = dup_str(json_object_get(e, "name"))))
            continue; /* an entry without a name tells nothing */
        json_t *v = json_object_get(e, "version");
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        m->version = json_is_integer(v) ? strdup(num) : dup_str(v);
        m->state = dup_str(json_object_get(e, "state"));
        m->reason = dup_str(json_object_get(e, "reason"));
        m->loaded_at_ms = json_integer_value(json_object_get(e, "loaded_at_ms"));
        m->policy = dup_str(json_object_get(e, "policy"));
        m->last_error = dup_str(json_object_get(e, "last_error"));
        m->loading = json_is_true(json_object_get(e, "loading"));
        m->file = dup_str(json_object_get(e, "file"));
        m->file_note = dup_str(json_object_get(e, "file_note"));
        m->has_residency = json_is_boolean(json_object_get(e, "resident"));
        m->resident = json_is_true(json_object_get(e, "resident"));
        m->pinned = json_is_true(json_object_get(e, "pinned"));
        m->evicted = json_is_true(json_object_get(e, "evicted"));
        m->on_demand = json_is_true(json_object_get(e, "on_demand"));
        m->mapped_bytes = json_integer_value(json_object_get(e, "mapped_bytes"));
        m->private_bytes = json_integer_value(json_object_get(e, "private_bytes"));
        m->arenas_bytes = json_integer_value(json_object_get(e, "arenas_bytes"));
        m->last_use_ms = json_integer_value(json_object_get(e, "last_use_ms"));
        m->loads = json_integer_value(json_object_get(e, "loads"));
        m->evictions = json_integer_value(json_object_get(e, "evictions"));
        x->n++;
    }
    json_decref(j);
    if (!x)
        return client_fail(c, EDGE_CLIENT_ENOMEM, "repository index: out of memory");
    *out = x;
    return 0;
}

/* POST /v2/repository/models/NAME/ACTION with BODY; the reply's JSON into *OUT (NULL: dropped). */
static int repo_action_body(edge_client *c, const char *name, const char *action, const char *body,
                            json_t **out)
{
    if (!c || !name || !*name)
        return EDGE_CLIENT_EINVAL;
    size_t n = strlen("/v2/repository/models/") + escaped_len(name) + strlen(action) + 2;
    char *path = malloc(n), *o = path;
    if (!path)
        return client_fail(c, EDGE_CLIENT_ENOMEM, "%s %s: out of memory", action, name);
    o += sprintf(o, "/v2/repository/models/");
    o = escape_into(o, name);
    sprintf(o, "/%s", action);
    json_t *j;
    int rc = call_json(c, "POST", path, body, &j);
    if (!rc && out)
        *out = j;
    else if (!rc)
        json_decref(j);
    free(path);
    return rc;
}

static int repo_action(edge_client *c, const char *name, const char *action)
{
    return repo_action_body(c, name, action, "{}", NULL);
}

/* The push's reply J (taken) into OUT (may be NULL). */
static void pushed_from(json_t *j, const char *version, edge_client_pushed *out)
{
    if (out) {
        const char *v = json_string_value(json_object_get(j, "version"));
        const char *why = json_string_value(json_object_get(j, "reason"));
        const json_t *loaded = json_object_get(j, "loaded");
        snprintf(out->version, sizeof out->version, "%s", v ? v : version ? version : "");
        out->loaded = loaded ? json_is_true(loaded) : 1; /* an older edged: it served */
        snprintf(out->reason, sizeof out->reason, "%s", why ? why : "");
    }
    json_decref(j);
}

/* LEN bytes of DATA in base64 (malloc'd), or NULL. */
static char *base64(const uint8_t *data, size_t len)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
    for (size_t i = 0; out && i < len; i += 3) {
        const uint32_t v = (uint32_t)data[i] << 16 |
                           (i + 1 < len ? (uint32_t)data[i + 1] << 8 : 0) |
                           (i + 2 < len ? data[i + 2] : 0);
        *o++ = t[v >> 18];
        *o++ = t[(v >> 12) & 63];
        *o++ = i + 1 < len ? t[(v >> 6) & 63] : '=';
        *o++ = i + 2 < len ? t[v & 63] : '=';
    }
    if (out)
        *o = 0;
    return out;
}

int edge_client_push(edge_client *c, const char *name, const char *version,
                     const edge_client_file *files, size_t n, const char *sha256,
                     edge_client_pushed *out)
{
    if (!c || !name || !*name || !files || !n)
        return EDGE_CLIENT_EINVAL;
    json_t *p = json_object();
    for (size_t i = 0; p && i < n; i++) {
        char key[256];
        if (version)
            snprintf(key, sizeof key, "file:%s/%s", version, files[i].name);
        else
            snprintf(key, sizeof key, "file:%s", files[i].name); /* the next version */
        char *b = base64(files[i].data, files[i].len);
        if (!b || json_object_set_new(p, key, json_string(b))) {
            json_decref(p);
            p = NULL;
        }
        free(b);
    }
    if (p && sha256)
        json_object_set_new(p, "sha256", json_string(sha256));
    json_t *o = p ? json_pack("{s:o}", "parameters", p) : NULL;
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!body)
        return client_fail(c, EDGE_CLIENT_ENOMEM, "push of %s: out of memory", name);
    json_t *reply = NULL;
    const int rc = repo_action_body(c, name, "load", body, &reply);
    free(body);
    if (!rc)
        pushed_from(reply, version, out);
    return rc;
}

int edge_client_rescan(edge_client *c)
{
    if (!c)
        return EDGE_CLIENT_EINVAL;
    json_t *j;
    int rc = call_json(c, "POST", "/v2/repository/rescan", "{}", &j);
    if (!rc)
        json_decref(j);
    return rc;
}

int edge_client_load(edge_client *c, const char *name)
{
    return repo_action(c, name, "load");
}

int edge_client_unload(edge_client *c, const char *name)
{
    return repo_action(c, name, "unload");
}

int edge_client_profile(edge_client *c, const char *name, const char *version, const char *control,
                        char **json)
{
    if (!c || !name || !*name || !json)
        return EDGE_CLIENT_EINVAL;
    char *path = client_model_path(name, version, "/profile");
    if (!path)
        return client_fail(c, EDGE_CLIENT_ENOMEM, "profile of %s: out of memory", name);
    const char *method = control ? "POST" : "GET";
    edge_client_response *r = NULL;
    int rc = client_roundtrip(c, method, path, control, control ? strlen(control) : 0,
                              control ? "application/json" : NULL, &r);
    if (!rc && r->status != 200) {
        char desc[300];
        snprintf(desc, sizeof desc, "%s %s", method, path);
        rc = client_server_error(c, r, desc);
    } else if (!rc) {
        *json = (char *)r->body; /* NUL-terminated by the reader */
        r->body = NULL;
    }
    edge_client_response_free(r);
    free(path);
    return rc;
}

int edge_client_metrics(edge_client *c, char **text, size_t *len)
{
    if (!c || !text)
        return EDGE_CLIENT_EINVAL;
    edge_client_response *r = NULL;
    int rc = client_roundtrip(c, "GET", "/metrics", NULL, 0, NULL, &r);
    if (rc)
        return rc;
    if (r->status != 200) {
        rc = client_server_error(c, r, "GET /metrics");
        edge_client_response_free(r);
        return rc;
    }
    *text = (char *)r->body; /* NUL-terminated by the reader */
    if (len)
        *len = r->body_len;
    r->body = NULL;
    edge_client_response_free(r);
    return 0;
}
