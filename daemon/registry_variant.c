/* daemon/registry_variant.c - a version's variants with resized inputs.
 *
 * Owns: dm_version_resized: for a request whose input shapes differ from the model's where its
 * shape signature allows (TensorFlow Lite's ResizeInputTensor), a version of its own whose model
 * is edge_model_resized of the version's, kept in the version's small LRU of DM_MAX_VARIANTS
 * (one mutex for all: variants are made rarely, looked up once per such request) and released
 * with the version; what they take (reg_variants_charge: the budget counts it) and dropping one
 * the budget refuses. A variant has its own uid (the workers cache an interpreter per uid, so only
 * a variant's first request on a worker allocates) and shares the version's entry, name and
 * number (its requests queue with the model's). Does not own the checks of a shape (libedge:
 * runtime/resize.c) or reading shapes from a request (the front ends). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "registry_impl.h"

#define VARIANT_MAX_INPUTS 16 /* a model with more: the inputs not asked for keep the file's */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t tick;

/* Whether model M has the input shapes of BASE with SHAPES (N) put on them. */
static bool same_shapes(const edge_model *m, const edge_model *base, const edge_input_shape *shapes,
                        size_t n)
{
    for (size_t i = 0; i < edge_model_input_count(base); i++) {
        edge_tensor_info want, have;
        if (edge_model_input_info(base, i, &want) || edge_model_input_info(m, i, &have))
            return false;
        for (size_t k = 0; k < n; k++)
            if (shapes[k].input == (int)i) {
                want.rank = shapes[k].n_dims;
                memcpy(want.dims, shapes[k].dims, sizeof want.dims);
            }
        if (have.rank != want.rank ||
            memcmp(have.dims, want.dims, (size_t)want.rank * sizeof *want.dims))
            return false;
    }
    return true;
}

/* A version of V's entry for model M (taken on success), or NULL. */
static reg_version *variant_new(const dm_version *v, edge_model *m)
{
    reg_version *r = calloc(1, sizeof *r);
    char *name = strdup(v->name), *path = strdup(v->path);
    if (!r || !name || !path) {
        free(r);
        free(name);
        free(path);
        return NULL;
    }
    atomic_init(&r->pub.refs, 1);
    atomic_init(&r->pub.retired, false);
    r->pub.uid = reg_next_uid();
    r->pub.name = name;
    r->pub.version = v->version;
    r->pub.path = path;
    r->pub.model = m;
    r->pub.entry = v->entry;
    r->pub.loaded_at_ms = v->loaded_at_ms;
    r->variant = true;
    return r;
}

int dm_version_resized(dm_version *v, const edge_input_shape *shapes, size_t n, dm_version **out,
                       char *err, size_t errlen)
{
    reg_version *rv = (reg_version *)v;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < DM_MAX_VARIANTS; i++)
        if (rv->variants[i] && same_shapes(rv->variants[i]->model, v->model, shapes, n)) {
            rv->variant_used[i] = ++tick;
            *out = dm_version_ref(rv->variants[i]);
            pthread_mutex_unlock(&mu);
            return 0;
        }
    pthread_mutex_unlock(&mu);
    /* every input: the request's shape, else the version's own (which model.conf's input_shape
     * may have set: edge_model_resized starts from the file's shapes) */
    edge_input_shape all[VARIANT_MAX_INPUTS];
    const size_t n_in = edge_model_input_count(v->model);
    if (n_in <= VARIANT_MAX_INPUTS) {
        for (size_t i = 0; i < n_in; i++) {
            edge_tensor_info t;
            all[i] = (edge_input_shape){.input = (int)i};
            if (edge_model_input_info(v->model, i, &t) == 0) {
                all[i].n_dims = t.rank;
                memcpy(all[i].dims, t.dims, sizeof all[i].dims);
            }
            for (size_t k = 0; k < n; k++)
                if (shapes[k].input == (int)i)
                    all[i] = shapes[k];
        }
        shapes = all;
        n = n_in;
    }
    edge_model *m = NULL;
    edge_error e = {0};
    int rc = edge_model_resized(v->model, shapes, n, &m, &e);
    if (rc) {
        snprintf(err, errlen, "%s", e.message[0] ? e.message : edge_strerror(rc));
        return rc;
    }
    reg_version *nv = variant_new(v, m);
    if (!nv) {
        edge_model_unref(m);
        snprintf(err, errlen, "out of memory");
        return EDGE_ENOMEM;
    }
    pthread_mutex_lock(&mu);
    size_t slot = 0;
    for (size_t i = 1; i < DM_MAX_VARIANTS; i++)
        if (!rv->variants[slot])
            break;
        else if (!rv->variants[i] || rv->variant_used[i] < rv->variant_used[slot])
            slot = i;
    dm_version *old = rv->variants[slot];
    rv->variants[slot] = dm_version_ref(&nv->pub);
    rv->variant_used[slot] = ++tick;
    pthread_mutex_unlock(&mu);
    dm_version_unref(old); /* requests and workers holding it keep it */
    *out = &nv->pub;
    return 0;
}

void reg_variants_charge(const reg_version *v, uint64_t *priv, uint64_t *arena)
{
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < DM_MAX_VARIANTS; i++) {
        const edge_model *m = v->variants[i] ? v->variants[i]->model : NULL;
        if (!m)
            continue;
        /* the file's bytes are the model's (the variant holds it); its preparation is its own */
        *priv += edge_model_prepared_bytes(m) - edge_model_cached_bytes(m);
        *arena += edge_model_arena_bytes(m);
    }
    pthread_mutex_unlock(&mu);
}

bool reg_variant_drop(reg_version *v, const dm_version *var)
{
    dm_version *gone = NULL;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < DM_MAX_VARIANTS && !gone; i++)
        if (v->variants[i] == var) {
            gone = v->variants[i];
            v->variants[i] = NULL;
            v->variant_used[i] = 0;
        }
    pthread_mutex_unlock(&mu);
    dm_version_unref(gone); /* not the last reference: the caller holds one */
    return gone != NULL;
}

void reg_variants_free(reg_version *v)
{
    for (size_t i = 0; i < DM_MAX_VARIANTS; i++) {
        dm_version_unref(v->variants[i]);
        v->variants[i] = NULL;
    }
}
