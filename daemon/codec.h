/* daemon/codec.h - the Open Inference Protocol v2 (KServe v2, as Triton speaks it).
 *
 * Owns: the pure parts of the protocol, testable without sockets: KServe
 * datatype names, model metadata JSON and the response encoder (codec_encode.c),
 * the inference request parser and validator (JSON and the binary tensor
 * extension: codec_infer.c). dm_oip_handle (http.h) routes requests to the endpoints (oip.c).
 * Does not own: HTTP framing (http.c), the queues (sched.c). */
#ifndef EDGED_CODEC_H
#define EDGED_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "backends.h"
#include "daemon.h"
#include "registry.h"
#include "response.h"
#include "scheduler.h"
#include "seq.h"

/* How a model output is returned: skipped, JSON data, binary data, or (Triton's classification
 * extension) its best classes as BYTES "score:index:label" strings. */
enum { DM_OUT_SKIP = 0, DM_OUT_JSON = 1, DM_OUT_BINARY = 2, DM_OUT_CLASS = 3 };
#define DM_CODEC_CLASS_MAX 1000 /* parameters.classification at most */

struct edge_labels;

/* One inference request as parsed and validated against a model; owns every
 * buffer IN points at. The front end hands IN, PRIORITY, TIMEOUT_US and SEQ to
 * dm_request_submit; the outputs are the request's. */
typedef struct dm_infer {
    uint8_t **in;        /* n_in inputs: JSON data converted, or binary data in BODY */
    void *owner;         /* the front end's (oip.c: the exchange to answer); not the parser's */
    const edge_model *m; /* the model it was validated against */
    char *id;            /* the request's "id", or NULL */
    int priority;        /* DM_PRIO_* from parameters.priority */
    int64_t timeout_us;  /* parameters.timeout; -1 when not given */
    dm_seq_params seq;   /* parameters.sequence_id, sequence_start, sequence_end */
    size_t n_in, n_out;
    uint8_t *mode;      /* n_out entries: DM_OUT_* */
    uint32_t *classify; /* n_out entries: for DM_OUT_CLASS, how many classes */
    size_t *order;      /* outputs to return, in the order asked for */
    size_t n_order;
    uint8_t *body; /* the request body (binary inputs point into it) */
    uint8_t *data; /* the inputs given as JSON data */
} dm_infer;

/* "FP32", "INT8", ... for a model tensor type; NULL when the protocol has no name for it. */
const char *dm_codec_datatype(int type);
/* dm_codec_datatype, or libedge's name of TYPE when the protocol has none (for messages). */
const char *dm_codec_type_name(int type);
/* A model tensor's name for the protocol ("input_N"/"output_N" when it has none). */
const char *dm_codec_tensor_name(const edge_tensor_info *t, bool input, size_t i, char *buf,
                                 size_t len);

/* Model metadata: {"name", "versions", "platform", "inputs", "outputs"};
 * VERSIONS (N entries) as strings. NULL when out of memory. */
json_t *dm_codec_model_metadata(const char *name, const int64_t *versions, size_t n,
                                const edge_model *m);

/* GET /v2/models[/NAME[/versions/V]]/stats (codec_stats.c): Triton's statistics extension for
 * every model (NAME NULL), NAME's versions or version V (>= 0); NULL with *STATUS (404: unknown
 * model or version; 500) and ERR. */
json_t *dm_codec_stats(dm_daemon *d, const char *name, int64_t version, int *status, char *err,
                       size_t len);

/* A push's parameters, decoded (push.c): the files of file:VERSION/model.tflite[.sig|.sha256]
 * (data[0] the model, [1] its signature, [2] its digest; NULL when absent), their VERSION, and
 * the "sha256" parameter ("" when absent), checked against the model file. */
#define DM_PUSH_FILES 3
typedef struct dm_push_files {
    char version[24];
    char sha256[65];
    uint8_t *data[DM_PUSH_FILES];
    size_t len[DM_PUSH_FILES];
} dm_push_files;
/* PARAMS (a JSON object of "file:..." and "sha256" members) into *OUT: 0, or 400 with the
 * reason in ERR (and nothing to free). No side effect: the fuzz harness calls it on anything. */
int dm_push_parse(const json_t *params, dm_push_files *out, char *err, size_t elen);
void dm_push_files_free(dm_push_files *f);

/* The device's health as JSON (codec_stats.c): [{name, kind, temperature_celsius,
 * critical_celsius, throttled, mhz, max_mhz, why}], then each back end of BS (kind "backend":
 * available, healthy, device, failures, cpu_fallbacks, why). */
json_t *dm_codec_devices(const dm_backends *bs);

/* GET .../config (codec_config.c): Triton's ModelConfig for version VER of NAME,
 * from what edged knows. NULL when out of memory. */
json_t *dm_codec_model_config(const dm_daemon *d, const char *name, const dm_version *ver);

/* Parse and validate an inference request for model M: BODY (LEN bytes; the
 * JSON header is its first HEADER_LEN bytes when HEADER_LEN >= 0, binary tensor
 * data after it; -1: all JSON; -2: the header was not a number). Returns 200 and
 * *OUT (which owns BODY from then on) or an HTTP status (400, 413) with the
 * message in ERR (BODY stays the caller's). */
int dm_codec_parse_infer(const edge_model *m, uint8_t *body, size_t len, int64_t header_len,
                         dm_infer **out, char *err, size_t errlen);
/* The same, remembering in *CACHE (owned by the caller, freed by *CACHE_FREE)
 * the last all-binary header it parsed for M: a request with the same header
 * bytes and body length skips the JSON parse. Loop thread (not thread safe). */
int dm_codec_parse_infer_cached(const edge_model *m, void **cache, void (**cache_free)(void *),
                                uint8_t *body, size_t len, int64_t header_len, dm_infer **out,
                                char *err, size_t errlen);
/* The response for INF once it ran (its outputs in OUT, in the model's order):
 * JSON, or a JSON header plus binary outputs (R->header_len >= 0); classification outputs
 * labelled from LABELS (NULL or empty: "score:index"). 0, or -ENOMEM. */
int dm_codec_encode_infer(const dm_infer *inf, uint8_t *const *out, const char *model,
                          int64_t version, const struct edge_labels *labels, dm_http_response *r);
/* Frees INF with its buffers. NULL is fine. */
void dm_infer_free(dm_infer *inf);
/* A request's "parameters" object P: priority (1 = high) and timeout (microseconds) into
 * *PRIORITY and *TIMEOUT_US when given (the request layer's parser, request.h). 0, or 400 with
 * the reason in ERR. */
int dm_codec_parse_sched_params(const json_t *p, int *priority, int64_t *timeout_us, char *err,
                                size_t errlen);

/* JSON value V as the request layer's dm_param (request.h): what the parser reads. */
struct dm_param;
void dm_codec_json_param(const json_t *v, struct dm_param *out);

/* ---- image requests (codec_image.c): a BYTES input holding a JPEG or PNG for a model whose one
 * input is an RGB image, answered with detections or classes (vision_req.c). */
struct dm_vreq_result;
typedef struct dm_codec_image {
    uint8_t *image; /* the picture, at the start of the request body (which it owns) */
    size_t len;
    char *id;           /* the request's "id", or NULL */
    bool detections;    /* parameters.detections */
    uint32_t classify;  /* outputs[0].parameters.classification (0: none) */
    char out_name[64];  /* that output's name */
    float min_score;    /* parameters.score_threshold, or -1 (model.conf's) */
    int priority;       /* DM_PRIO_* */
    int64_t timeout_us; /* -1: the default */
} dm_codec_image;

/* Whether the request BODY (LEN bytes, JSON header HEADER_LEN as dm_codec_parse_infer) for M is
 * an image request: M takes one RGB image and the header names a BYTES input. */
bool dm_codec_is_image(const edge_model *m, const uint8_t *body, size_t len, int64_t header_len);
/* Parse an image request: 200 and *OUT (which then owns BODY, the picture moved to its front),
 * or 400 with the reason in ERR (BODY stays the caller's). */
int dm_codec_parse_image(const edge_model *m, uint8_t *body, size_t len, int64_t header_len,
                         dm_codec_image *out, char *err, size_t errlen);
/* The response of Q from RES (status 200): detections as FP32 [N, 6] rows (x_min, y_min,
 * x_max, y_max, score, class) in the picture's pixels and their BYTES labels, or the
 * classification output. 0, or -ENOMEM. */
int dm_codec_encode_image(const dm_codec_image *q, const struct dm_vreq_result *res,
                          dm_http_response *r);
void dm_codec_image_free(dm_codec_image *q);

/* The HTTP status for a scheduler outcome. */
int dm_codec_status_http(dm_req_status st);
/* A request of raw tensor bytes for model M, which has one input: BODY (LEN
 * bytes, exactly that input's size) becomes the input; every output is
 * returned as JSON data, in the model's order. Returns 200 and *OUT (which owns
 * BODY from then on) or 400 / 500 with the message in ERR. */
int dm_codec_raw_infer(const edge_model *m, uint8_t *body, size_t len, dm_infer **out, char *err,
                       size_t errlen);
/* "input 'x' (INT8 [1,96,96,1], 9216 bytes)" of model M's input I, for messages. */
void dm_codec_describe_input(const edge_model *m, size_t i, char *buf, size_t len);
/* The "id" of a JSON request BODY (LEN bytes), for error replies; NULL when it
 * has none, is not JSON, or is too large to load (the DOM stays small: the
 * "data" arrays are not loaded). Any thread. */
char *dm_codec_request_id(const uint8_t *body, size_t len);

/* ---- the parse cache (codec_cache.c): a side table, per model and version, of
 * the last all-binary header parsed. Loop thread. */
typedef struct dm_codec_cache dm_codec_cache;
dm_codec_cache *dm_codec_cache_new(void);
void dm_codec_cache_free(dm_codec_cache *c); /* NULL is fine */
/* dm_codec_parse_infer for version V, through V's slot of C (C NULL: no cache). */
int dm_codec_parse_cached(dm_codec_cache *c, const dm_version *v, uint8_t *body, size_t len,
                          int64_t header_len, dm_infer **out, char *err, size_t errlen);
/* Versions left E: their slots go. C NULL is fine. */
void dm_codec_cache_retire(dm_codec_cache *c, dm_entry *e);

/* ---- parsing off the loop thread (codec_offload.c)
 * A request whose JSON part is larger than DM_CODEC_OFFLOAD_BYTES is parsed on
 * libuv's thread pool, at most DM_CODEC_OFFLOAD_RUNNING at once and
 * DM_CODEC_OFFLOAD_QUEUED more waiting their turn; smaller ones are parsed
 * inline (they are the fast path). Loop thread, one daemon per process. */
#define DM_CODEC_OFFLOAD_BYTES 65536
#define DM_CODEC_OFFLOAD_RUNNING 2
#define DM_CODEC_OFFLOAD_QUEUED 32

typedef struct dm_parse_job dm_parse_job;
struct dm_parse_job {
    /* set by the caller */
    dm_version *v; /* a reference, the caller's to drop (or hand to the request) */
    uint8_t *body; /* the inference owns it once parsed (status 200) */
    size_t len;
    int64_t header_len; /* as dm_codec_parse_infer */
    /* worker thread: sets status, inf, err; NULL: dm_codec_parse_infer */
    void (*parse)(dm_parse_job *j);
    /* loop thread, exactly once per job dm_codec_offload took */
    void (*done)(dm_parse_job *j);
    /* the outcome */
    int status; /* 200 and inf, or an HTTP status and err */
    dm_infer *inf;
    char err[768];
    /* codec_offload.c */
    uv_work_t work;
    dm_parse_job *next;
};

/* A request of LEN bytes whose JSON part is HEADER_LEN bytes (-1: all of it;
 * other negative values: none) is worth parsing off the loop. */
bool dm_codec_offload_wanted(size_t len, int64_t header_len);
/* Parse J off the loop thread; J->done runs later on LOOP (before this returns
 * only should the pool refuse the work). 0, or -EBUSY when
 * DM_CODEC_OFFLOAD_QUEUED jobs already wait (J untouched: the caller answers). */
int dm_codec_offload(uv_loop_t *loop, dm_parse_job *j);
/* Jobs running and waiting (tests, logs). */
size_t dm_codec_offload_pending(void);

#endif
