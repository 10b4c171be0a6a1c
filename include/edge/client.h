/* edge/client.h - libedgeclient: the C client of edged's Unix-socket API.
 *
 * Owns: one keep-alive HTTP/1.1 connection to edged's socket per handle
 * (connected on demand, reconnected once when the daemon closed an idle
 * connection), pipelining (send several requests, read the replies in order),
 * and the Open Inference Protocol v2 calls on top: health, server and model
 * metadata, inference with the binary tensor extension or JSON, and the
 * model repository (index, load, unload). Replies are parsed with http-parser
 * and JSON with jansson.
 * Does not own: reading or converting tensor files (edgectl does that), retries
 * of requests the daemon may have started, or threads: a handle belongs to one
 * thread at a time; use one handle per thread.
 *
 * Errors: functions return 0 or a negative EDGE_CLIENT_E* code, and
 * edge_client_errmsg() says what failed and where (socket path, request,
 * the daemon's own message). Out-parameters are written only on success. */
#ifndef EDGE_CLIENT_H
#define EDGE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define EDGE_CLIENT_API __attribute__((visibility("default")))
#else
#define EDGE_CLIENT_API
#endif

/* Where edged listens unless told otherwise; the environment variable
 * EDGED_SOCKET overrides it when a handle is created with a NULL path. */
#define EDGE_CLIENT_DEFAULT_SOCKET "/run/edged/edged.sock"
#define EDGE_CLIENT_SOCKET_ENV "EDGED_SOCKET"
#define EDGE_CLIENT_MAX_DIMS 8

/* X(NAME, "message"). Codes are negative: EDGE_CLIENT_E<NAME> = -1 - position. */
#define EDGE_CLIENT_ERRNO_MAP(X)                                   \
    X(INVAL, "invalid argument")                                   \
    X(NOMEM, "out of memory")                                      \
    X(CONNECT, "cannot connect to the daemon")                     \
    X(IO, "reading from or writing to the daemon failed")          \
    X(CLOSED, "the daemon closed the connection before answering") \
    X(TIMEDOUT, "timed out waiting for the daemon")                \
    X(PROTO, "malformed reply from the daemon")                    \
    X(LIMIT, "reply over a size limit")                            \
    X(SERVER, "the daemon answered with an error")                 \
    X(STATE, "operation not valid in this state")

enum edge_client__errno_index {
#define EDGE_CLIENT__ERRIDX(name, msg) EDGE_CLIENT__IDX_##name,
    EDGE_CLIENT_ERRNO_MAP(EDGE_CLIENT__ERRIDX)
#undef EDGE_CLIENT__ERRIDX
        EDGE_CLIENT__IDX_COUNT
};

typedef enum edge_client_errno {
    EDGE_CLIENT_OK = 0,
#define EDGE_CLIENT__ERRVAL(name, msg) EDGE_CLIENT_E##name = -1 - EDGE_CLIENT__IDX_##name,
    EDGE_CLIENT_ERRNO_MAP(EDGE_CLIENT__ERRVAL)
#undef EDGE_CLIENT__ERRVAL
} edge_client_errno;

/* "cannot connect to the daemon" etc.; "unknown error" outside the map. */
EDGE_CLIENT_API const char *edge_client_strerror(int code);
/* "EDGE_CLIENT_ECONNECT" etc. */
EDGE_CLIENT_API const char *edge_client_err_name(int code);

/* ------------------------------------------------------------ handle */
typedef struct edge_client edge_client;

/* Zero fields take the defaults. */
typedef struct edge_client_options {
    int timeout_ms;         /* longest wait for one read or write; 0: 60000, < 0: no limit */
    size_t max_reply_bytes; /* largest reply body accepted; 0: 1 GiB */
} edge_client_options;

/* A handle for the daemon at SOCKET_PATH (NULL: $EDGED_SOCKET, else
 * EDGE_CLIENT_DEFAULT_SOCKET). No I/O: requests connect on demand. */
EDGE_CLIENT_API int edge_client_new(const char *socket_path, const edge_client_options *opt,
                                    edge_client **out);
/* Connect now (to report an absent daemon early). Already connected: 0. */
EDGE_CLIENT_API int edge_client_connect(edge_client *c);
/* Drop the connection; replies still pending are lost. The handle stays usable. */
EDGE_CLIENT_API void edge_client_close(edge_client *c);
EDGE_CLIENT_API void edge_client_free(edge_client *c); /* NULL is fine */

EDGE_CLIENT_API const char *edge_client_socket_path(const edge_client *c);
/* What the last failing call said: what failed and where. "" after success. */
EDGE_CLIENT_API const char *edge_client_errmsg(const edge_client *c);
/* HTTP status of the last reply read (0 if none). */
EDGE_CLIENT_API int edge_client_last_status(const edge_client *c);
/* Requests sent whose replies are not read yet. */
EDGE_CLIENT_API size_t edge_client_pending(const edge_client *c);

/* ------------------------------------------------------------ raw HTTP */
typedef struct edge_client_header {
    const char *name;
    const char *value;
} edge_client_header;

typedef struct edge_client_request {
    const char *method;                /* "GET", "POST" */
    const char *path;                  /* "/v2/models/x", already escaped */
    const edge_client_header *headers; /* extra headers (not Host or Content-Length) */
    size_t n_headers;
    const void *body;
    size_t body_len;
} edge_client_request;

typedef struct edge_client_response {
    int status;
    size_t n_headers;
    edge_client_header *headers; /* names as the daemon sent them */
    uint8_t *body;               /* NUL-terminated after body_len for convenience */
    size_t body_len;
} edge_client_response;

/* Case-insensitive lookup; NULL if absent. */
EDGE_CLIENT_API const char *edge_client_response_header(const edge_client_response *r,
                                                        const char *name);
EDGE_CLIENT_API void edge_client_response_free(edge_client_response *r);

/* One request and its reply, whatever the HTTP status (check ->status).
 * Needs no pipelined replies pending. The body is not copied. */
EDGE_CLIENT_API int edge_client_request_send_recv(edge_client *c, const edge_client_request *req,
                                                  edge_client_response **out);
/* Pipelining: queue a request on the connection (the request is copied), then
 * read replies in the order the requests were sent. */
EDGE_CLIENT_API int edge_client_send(edge_client *c, const edge_client_request *req);
EDGE_CLIENT_API int edge_client_recv(edge_client *c, edge_client_response **out);

/* ------------------------------------------------------------ Open Inference Protocol */
/* KServe datatype names: BOOL UINT8 UINT16 UINT32 UINT64 INT8 INT16 INT32 INT64
 * FP16 FP32 FP64 BYTES. Bytes per element; 0 for BYTES and unknown names. */
EDGE_CLIENT_API size_t edge_client_dtype_size(const char *datatype);

/* GET /v2/health/live and /v2/health/ready (pipelined). A non-200 answer is
 * false, not an error; a failed connection is an error. */
EDGE_CLIENT_API int edge_client_health(edge_client *c, bool *live, bool *ready);

typedef struct edge_client_server_meta {
    char *name;
    char *version;
    size_t n_extensions;
    char **extensions;
} edge_client_server_meta;
EDGE_CLIENT_API int edge_client_server_metadata(edge_client *c, edge_client_server_meta **out);
EDGE_CLIENT_API void edge_client_server_meta_free(edge_client_server_meta *m);

typedef struct edge_client_tensor_meta {
    char *name;
    char *datatype;
    int rank;
    int64_t shape[EDGE_CLIENT_MAX_DIMS]; /* -1: variable */
    /* "parameters": {"scale": S, "zero_point": Z} when the daemon gives them */
    bool quantized;
    double scale;
    int64_t zero_point;
} edge_client_tensor_meta;

typedef struct edge_client_model_meta {
    char *name;
    char *platform;
    size_t n_versions;
    char **versions;
    size_t n_inputs, n_outputs;
    edge_client_tensor_meta *inputs;
    edge_client_tensor_meta *outputs;
} edge_client_model_meta;

/* GET /v2/models/NAME[/versions/VERSION] (VERSION NULL: the daemon's default). */
EDGE_CLIENT_API int edge_client_model_metadata(edge_client *c, const char *name,
                                               const char *version, edge_client_model_meta **out);
EDGE_CLIENT_API void edge_client_model_meta_free(edge_client_model_meta *m);

/* A tensor going in or coming out: row-major, little-endian bytes. */
typedef struct edge_client_tensor {
    const char *name;
    const char *datatype;
    int rank;
    int64_t shape[EDGE_CLIENT_MAX_DIMS];
    const void *data;
    size_t bytes;
} edge_client_tensor;

typedef struct edge_client_infer_options {
    const char *version; /* NULL: the daemon's default version */
    const char *id;      /* echoed in the reply; NULL: none */
    int priority;        /* request parameter "priority": 0 = default, 1 = highest */
    uint64_t timeout_us; /* request parameter "timeout" (microseconds); 0: none */
    bool json;           /* inputs and outputs as JSON "data" instead of binary */
    /* Outputs to return (by name); none: every output ("binary_data_output"). */
    const char *const *outputs;
    size_t n_outputs;
} edge_client_infer_options;

typedef struct edge_client_result {
    char *model_name;
    char *model_version; /* NULL when the reply has none */
    char *id;            /* NULL when the reply has none */
    size_t n_outputs;
    edge_client_tensor *outputs; /* names, datatypes and data owned by the result */
} edge_client_result;

/* POST /v2/models/MODEL[/versions/V]/infer. Input bytes must equal the
 * product of the shape times the datatype's size. Output data of a binary
 * reply points into the reply; JSON outputs are converted to the same bytes. */
EDGE_CLIENT_API int edge_client_infer(edge_client *c, const char *model,
                                      const edge_client_infer_options *opt,
                                      const edge_client_tensor *inputs, size_t n_inputs,
                                      edge_client_result **out);
/* The same, pipelined: send now (tensors copied), read with edge_client_recv_infer. */
EDGE_CLIENT_API int edge_client_send_infer(edge_client *c, const char *model,
                                           const edge_client_infer_options *opt,
                                           const edge_client_tensor *inputs, size_t n_inputs);
EDGE_CLIENT_API int edge_client_recv_infer(edge_client *c, edge_client_result **out);
/* Parse an infer reply already read (e.g. from edge_client_recv); an error
 * status gives EDGE_CLIENT_ESERVER with the daemon's message. Takes RESP: it
 * is freed with the result, or at once on failure. */
EDGE_CLIENT_API int edge_client_parse_infer(edge_client *c, edge_client_response *resp,
                                            edge_client_result **out);
EDGE_CLIENT_API void edge_client_result_free(edge_client_result *r);

typedef struct edge_client_model_entry {
    char *name;
    char *version; /* NULL when absent */
    char *state;   /* "READY", "UNAVAILABLE", ...; NULL when absent */
    char *reason;  /* NULL when absent */
    /* edged's additions (absent from other servers: 0 / NULL) */
    int64_t loaded_at_ms; /* when this version was loaded, ms since the epoch */
    char *policy;         /* the model's version policy ("all", "latest 2", ...) */
    char *last_error;     /* the last load of this model that failed, if any */
    int loading;          /* a (re)load of the model is in flight */
    char *file;           /* "mapped" (the file's pages, shared) or "private" (a copy) */
    char *file_note;      /* a private copy: why the file is not mapped */
    /* the model's residency under edged's memory budget (the same on each of its entries;
     * has_residency 0: the server did not say) */
    int has_residency;
    int resident, pinned, evicted;
    int on_demand;         /* not resident: its next request loads it */
    int64_t mapped_bytes;  /* its files' and packed-weight cache pages (page cache, shared) */
    int64_t private_bytes; /* edged's own memory: prepared data, private copies */
    int64_t arenas_bytes;  /* its activation arenas, once per worker */
    int64_t last_use_ms;   /* its last request or load, ms since the epoch; 0: never */
    int64_t loads, evictions;
} edge_client_model_entry;

typedef struct edge_client_index {
    size_t n;
    edge_client_model_entry *models;
} edge_client_index;

/* POST /v2/repository/index */
EDGE_CLIENT_API int edge_client_repository_index(edge_client *c, edge_client_index **out);
EDGE_CLIENT_API void edge_client_index_free(edge_client_index *x);
/* POST /v2/repository/rescan (edged): every model synced with its files;
 * returns once started (loads finish in the background). */
EDGE_CLIENT_API int edge_client_rescan(edge_client *c);
/* POST /v2/repository/models/NAME/load (returns once the load settled: edged
 * answers the load's error if the new files fail) and .../unload */
EDGE_CLIENT_API int edge_client_load(edge_client *c, const char *name);
EDGE_CLIENT_API int edge_client_unload(edge_client *c, const char *name);
/* A file of a model's version folder, for edge_client_push. */
typedef struct edge_client_file {
    const char *name; /* "model.tflite", "model.tflite.sig", "model.tflite.sha256" */
    const void *data;
    size_t len;
} edge_client_file;
/* What a push became: the version (the one asked for, or the next one on edged's disk), and
 * whether it serves now (the memory budget or the model's version policy may keep it on disk
 * unloaded: REASON says so). */
typedef struct edge_client_pushed {
    char version[24];
    int loaded;
    char reason[512]; /* "" when it serves */
} edge_client_pushed;
/* POST /v2/repository/models/NAME/load with the N FILES as "file:VERSION/NAME" parameters
 * (VERSION NULL: "file:NAME", edged takes one past the newest version folder on its disk) and
 * "sha256" (the model file's digest, when not NULL): edged checks, stages, verifies and loads
 * them; 0 once they are in the repository and the load settled, with what became of them in
 * *OUT (may be NULL). */
EDGE_CLIENT_API int edge_client_push(edge_client *c, const char *name, const char *version,
                                     const edge_client_file *files, size_t n, const char *sha256,
                                     edge_client_pushed *out);
/* edged's per-node profile of a model version: GET /v2/models/NAME[/versions/VERSION]/profile
 * (CONTROL NULL) or, with CONTROL (a JSON object such as {"profiling":true}, {"reset":true}),
 * POST to change it first (administrators only). The reply's JSON text (the profile: see
 * edged's docs/protocol.md), NUL-terminated, into *JSON, freed with free(). */
EDGE_CLIENT_API int edge_client_profile(edge_client *c, const char *name, const char *version,
                                        const char *control, char **json);
/* GET /metrics: Prometheus text, NUL-terminated, freed with free(). */
EDGE_CLIENT_API int edge_client_metrics(edge_client *c, char **text, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
