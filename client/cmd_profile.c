/* client/cmd_profile.c - edgectl profile: the daemon's per-node profile of a model version.
 *
 * Owns: the command line (--start, --stop, --reset, --version, and the common options), the
 * control sent (POST .../profile) or the read (GET), and printing the reply: --json as it
 * came, else a status line and the table edgectl run --profile prints (profile_report.c), from
 * the reply's nodes turned back into edge_node_profile entries (their MACs too) and the daemon's
 * kernel level and measured peak: GOPS and %peak as edgectl run --profile shows them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "edgectl.h"
#include "edgectl_daemon.h"
#include "profile_report.h"

#define USAGE \
    "edgectl profile MODEL [--version V] [--start | --stop] [--reset] [--json] [--socket PATH]"

static int usage_fail(void)
{
    fprintf(stderr, "usage: %s\n", USAGE);
    return EDGECTL_EUSAGE;
}

static uint64_t u64(const json_t *o, const char *key)
{
    const json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

/* Reply node J as an entry (its strings borrowed from J). */
static void node_entry(const json_t *j, edge_node_profile *e)
{
    memset(e, 0, sizeof *e);
    e->subgraph = (int32_t)json_integer_value(json_object_get(j, "subgraph"));
    e->node = (int32_t)json_integer_value(json_object_get(j, "node"));
    e->op_name = json_string_value(json_object_get(j, "operator"));
    e->custom_code = json_string_value(json_object_get(j, "custom_code"));
    e->kernel = json_string_value(json_object_get(j, "kernel"));
    e->backend = json_string_value(json_object_get(j, "backend"));
    if (!e->op_name)
        e->op_name = "?";
    if (!e->kernel)
        e->kernel = "";
    if (!e->backend)
        e->backend = "cpu";
    const json_t *shape = json_object_get(j, "shape");
    for (size_t d = 0; d < json_array_size(shape) && d < EDGE_MAX_DIMS; d++)
        e->dims[e->rank++] = (int32_t)json_integer_value(json_array_get(shape, d));
    e->count = u64(j, "runs");
    e->total_ns = u64(j, "total_ns");
    e->self_ns = u64(j, "self_ns");
    e->min_ns = u64(j, "min_ns");
    e->median_ns = u64(j, "median_ns");
    e->macs = u64(j, "macs");
    e->caller_work_ns = u64(j, "caller_work_ns");
    e->helpers_work_ns = u64(j, "helpers_work_ns");
    e->span = (int32_t)json_integer_value(json_object_get(j, "span"));
    const json_int_t chain = json_integer_value(json_object_get(j, "chain"));
    e->chain = chain > 0 && chain <= INT32_MAX ? (int32_t)chain : 0;
}

static int print_text(const json_t *doc)
{
    const uint64_t invokes = u64(doc, "invokes");
    const bool on = json_is_true(json_object_get(doc, "profiling"));
    const time_t since = (time_t)(u64(doc, "since_ms") / 1000);
    char when[64] = "never";
    struct tm tm;
    if (since && localtime_r(&since, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    printf("# %s version %s: profiling %s (since %s), %llu invokes recorded",
           json_string_value(json_object_get(doc, "model")),
           json_string_value(json_object_get(doc, "version")), on ? "on" : "off", when,
           (unsigned long long)invokes);
    if (u64(doc, "unrecorded"))
        printf(", %llu not (no memory)", (unsigned long long)u64(doc, "unrecorded"));
    printf("\n");
    if (!invokes) {
        if (!on)
            printf("# start it with: edgectl profile MODEL --start\n");
        return EDGECTL_OK;
    }
    const json_t *nodes = json_object_get(doc, "nodes");
    const size_t n = json_array_size(nodes);
    edge_node_profile *e = calloc(n ? n : 1, sizeof *e);
    if (!e) {
        fprintf(stderr, "edgectl: out of memory for the profile\n");
        return EDGECTL_EIO;
    }
    for (size_t i = 0; i < n; i++)
        node_entry(json_array_get(nodes, i), &e[i]);
    /* the level the daemon runs and the peak it measured (null before a recorded invoke) */
    const int rc = edge_profile_print(stdout, e, n, invokes, u64(doc, "invoke_ns"),
                                      json_string_value(json_object_get(doc, "kernels")),
                                      json_is_number(json_object_get(doc, "peak_gops"))
                                          ? json_number_value(json_object_get(doc, "peak_gops"))
                                          : 0.0);
    free(e);
    return rc ? EDGECTL_EIO : EDGECTL_OK;
}

int edgectl_profile(int argc, char **argv)
{
    edgectl_common o = {0};
    const char *model = NULL, *version = NULL;
    bool start = false, stop = false, reset = false;
    for (int i = 1; i < argc; i++) {
        const int r = edgectl_common_opt(&o, argc, argv, &i);
        if (r < 0)
            return usage_fail();
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "--start"))
            start = true;
        else if (!strcmp(argv[i], "--stop"))
            stop = true;
        else if (!strcmp(argv[i], "--reset"))
            reset = true;
        else if (!strcmp(argv[i], "--version") && i + 1 < argc)
            version = argv[++i];
        else if (argv[i][0] != '-' && !model)
            model = argv[i];
        else
            return usage_fail();
    }
    if (!model || (start && stop))
        return usage_fail();
    char control[64];
    snprintf(control, sizeof control, "{%s%s%s}", start || stop ? "\"profiling\":" : "",
             start  ? "true"
             : stop ? "false"
                    : "",
             reset ? (start || stop ? ",\"reset\":true" : "\"reset\":true") : "");
    edge_client *c = NULL;
    int rc = edgectl_open(&o, &c);
    if (rc)
        return rc;
    char *text = NULL;
    rc = edge_client_profile(c, model, version, start || stop || reset ? control : NULL, &text);
    if (rc) {
        rc = edgectl_client_fail(c, rc);
    } else if (o.json) {
        printf("%s\n", text ? text : "");
    } else {
        json_error_t je;
        json_t *doc = text ? json_loads(text, 0, &je) : NULL;
        if (!json_is_object(doc)) {
            fprintf(stderr, "edgectl: the daemon's profile is not a JSON object\n");
            rc = EDGECTL_EFAIL;
        } else {
            rc = print_text(doc);
        }
        json_decref(doc);
    }
    free(text);
    edge_client_free(c);
    return rc;
}
