/* daemon/codec_config.c - the model configuration extension of the Open Inference Protocol.
 *
 * Owns: GET /v2/models/M[/versions/V]/config's document: Triton's ModelConfig
 * (model_config.proto, as Triton prints it in JSON: enums by name, integers as
 * numbers) built from what edged knows: the model's tensors, its version
 * policy (model.conf), the back ends its partitions run on, and the
 * scheduler's settings as dynamic_batching's queue policy (a stateful model's
 * sequences as sequence_batching instead: the two are one choice in Triton).
 * Does not own: routing and the reply (oip.c). Loop thread. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "modelconf.h"
#include "registry.h"
#include "scheduler.h"

/* ---------------------------------------------------------------- model configuration
 *
 * GET /v2/models/M[/versions/V]/config: Triton's ModelConfig (model_config.proto,
 * as Triton prints it in JSON: enums by name, integers as numbers) built from
 * what edged knows. edged does not batch: max_batch_size 0 and the dims are the
 * model's whole shapes. Its scheduling (two priority levels, the queue bound,
 * the default timeout) fits dynamic_batching's queue policy; its own details go
 * under "parameters". */

static const char *config_datatype(int type)
{
    switch (type) {
    case EDGE_FLOAT32: return "TYPE_FP32";
    case EDGE_FLOAT16: return "TYPE_FP16";
    case EDGE_FLOAT64: return "TYPE_FP64";
    case EDGE_INT8: return "TYPE_INT8";
    case EDGE_UINT8: return "TYPE_UINT8";
    case EDGE_INT16: return "TYPE_INT16";
    case EDGE_INT32: return "TYPE_INT32";
    case EDGE_INT64: return "TYPE_INT64";
    case EDGE_UINT32: return "TYPE_UINT32";
    case EDGE_UINT64: return "TYPE_UINT64";
    case EDGE_BOOL: return "TYPE_BOOL";
    case EDGE_STRING: return "TYPE_STRING";
    default: return "TYPE_INVALID";
    }
}

/* "input" or "output": one {"name", "data_type", ["format",] "dims"} per tensor. */
static json_t *config_tensors(const edge_model *m, bool input)
{
    json_t *a = json_array();
    const size_t n = input ? edge_model_input_count(m) : edge_model_output_count(m);
    for (size_t i = 0; a && i < n; i++) {
        edge_tensor_info t;
        if ((input ? edge_model_input_info(m, i, &t) : edge_model_output_info(m, i, &t)) != 0)
            continue;
        json_t *dims = json_array();
        for (int k = 0; dims && k < t.rank; k++)
            json_array_append_new(dims, json_integer(t.dims[k]));
        char buf[32];
        const char *name = dm_codec_tensor_name(&t, input, i, buf, sizeof buf);
        json_array_append_new(a, input ? json_pack("{s:s, s:s, s:s, s:o}", "name", name,
                                                   "data_type", config_datatype(t.type), "format",
                                                   "FORMAT_NONE", "dims", dims)
                                       : json_pack("{s:s, s:s, s:o}", "name", name, "data_type",
                                                   config_datatype(t.type), "dims", dims));
    }
    return a;
}

static json_t *config_version_policy(const dm_model_conf *c)
{
    switch (c->policy) {
    case DM_POLICY_LATEST:
        return json_pack("{s:{s:I}}", "latest", "num_versions", (json_int_t)c->latest_n);
    case DM_POLICY_SPECIFIC: {
        json_t *vs = json_array();
        for (size_t i = 0; vs && i < c->n_specific; i++)
            json_array_append_new(vs, json_integer((json_int_t)c->specific[i]));
        return json_pack("{s:{s:o}}", "specific", "versions", vs);
    }
    default: return json_pack("{s:{}}", "all");
    }
}

/* The back ends M's partitions run on, in order, without repeats ("cpu" when
 * none); *CPU_ONLY says whether that is all. */
static void config_backends(const edge_model *m, char *buf, size_t len, bool *cpu_only)
{
    size_t at = 0;
    buf[0] = 0;
    *cpu_only = true;
    for (size_t i = 0; i < edge_model_partition_count(m) && at < len; i++) {
        edge_partition_info p;
        if (edge_model_partition_info(m, i, &p) != 0 || !p.backend)
            continue;
        if (strcmp(p.backend, "cpu") != 0)
            *cpu_only = false;
        const size_t bl = strlen(p.backend);
        bool seen = false;
        for (const char *q = strstr(buf, p.backend); q && !seen; q = strstr(q + 1, p.backend))
            seen = (q == buf || q[-1] == ' ') && (q[bl] == ',' || q[bl] == 0);
        if (!seen) {
            const int w = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", p.backend);
            at += w > 0 ? (size_t)w : 0;
        }
    }
    if (!buf[0])
        snprintf(buf, len, "cpu");
}

static json_t *string_param(const char *v)
{
    return json_pack("{s:s}", "string_value", v);
}

/* edged's own facts about version VER under "parameters" (string values, as
 * Triton's ModelParameter). */
static json_t *config_parameters(const dm_daemon *d, const dm_version *ver, const dm_model_conf *c,
                                 const char *backends)
{
    char vb[24];
    snprintf(vb, sizeof vb, "%" PRId64, ver->version);
    const char *spec = c->backend[0] ? c->backend : d->cfg.backend_default;
    return json_pack("{s:o, s:o, s:o, s:o}", "version", string_param(vb), "backend",
                     string_param(spec[0] ? spec : "auto"), "backends", string_param(backends),
                     "pin_io", string_param(c->pin_io ? "true" : "false"));
}

/* Priority 1 is high, anything else normal (the default); the queue holds
 * queue_depth requests; default_timeout_ms unless the request says otherwise. */
static json_t *config_scheduling(const dm_config *cfg)
{
    return json_pack("{s:I, s:I, s:I, s:{s:s, s:I, s:b, s:I}}", "max_queue_delay_microseconds",
                     (json_int_t)0, "priority_levels", (json_int_t)DM_PRIO_LEVELS,
                     "default_priority_level", (json_int_t)DM_PRIO_LEVELS, "default_queue_policy",
                     "timeout_action", "REJECT", "default_timeout_microseconds",
                     (json_int_t)cfg->default_timeout_ms * 1000, "allow_timeout_override", 1,
                     "max_queue_size", (json_int_t)cfg->queue_depth);
}

/* A stateful model's sequences (seq.c): how long an idle one lives; the requests of each run
 * one at a time, in order, with their own state (as Triton's direct strategy); at most
 * max_sequences at once. */
static json_t *config_sequences(const dm_config *cfg)
{
    return json_pack("{s:I, s:{s:I}}", "max_sequence_idle_microseconds",
                     (json_int_t)cfg->sequence_idle_ms * 1000, "direct", "max_candidate_sequences",
                     (json_int_t)cfg->max_sequences);
}

json_t *dm_codec_model_config(const dm_daemon *d, const char *name, const dm_version *ver)
{
    const dm_model_conf *c = dm_entry_conf(ver->entry);
    char backends[256];
    bool cpu_only;
    config_backends(ver->model, backends, sizeof backends, &cpu_only);
    const char *file = ver->path ? strrchr(ver->path, '/') : NULL;
    file = file ? file + 1 : ver->path ? ver->path : "";
    json_t *config = json_pack(
        "{s:s, s:s, s:s, s:o, s:i, s:o, s:o, s:[{s:s, s:s, s:I}], s:s, s:o, s:{s:b}, s:o}", "name",
        name, "platform", "tensorflow_lite", "backend", "edged", "version_policy",
        config_version_policy(c), "max_batch_size", 0, "input", config_tensors(ver->model, true),
        "output", config_tensors(ver->model, false), "instance_group", "name", name, "kind",
        cpu_only ? "KIND_CPU" : "KIND_MODEL", "count", (json_int_t)dm_sched_workers(d->sched),
        "default_model_filename", file, "dynamic_batching", config_scheduling(&d->cfg),
        "model_transaction_policy", "decoupled", 0, "parameters",
        config_parameters(d, ver, c, backends));
    if (config && edge_interp_state_bytes(ver->model) &&
        (json_object_del(config, "dynamic_batching") != 0 ||
         json_object_set_new(config, "sequence_batching", config_sequences(&d->cfg)) != 0)) {
        json_decref(config);
        return NULL;
    }
    return config;
}
