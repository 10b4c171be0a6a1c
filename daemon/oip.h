/* daemon/oip.h - the Open Inference Protocol v2 (KServe v2, as Triton speaks it).
 *
 * Owns: the pure parts of the protocol (oip_infer.c), testable without
 * sockets: KServe datatype names, model metadata JSON, the inference request
 * parser and validator (JSON and the binary tensor extension) and the response
 * encoder. dm_oip_handle (http.h) routes requests to the endpoints (oip.c).
 * Does not own: HTTP framing (http.c), the queues (sched.c). */
#ifndef EDGED_OIP_H
#define EDGED_OIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon.h"
#include "http.h"

/* How a model output is returned. */
enum { DM_OUT_SKIP = 0, DM_OUT_JSON = 1, DM_OUT_BINARY = 2 };

/* One inference request as parsed and validated against a model; owns every
 * buffer req.in/req.out point at. */
typedef struct dm_infer {
    dm_request req; /* req.in/req.out are set; the caller fills v, done, deadline */
    dm_exchange *x; /* where the reply goes (NULL outside the server) */
    dm_daemon *d;
    const edge_model *m; /* the model it was validated against (req.v's when set) */
    char *id;            /* the request's "id", or NULL */
    int priority;        /* DM_PRIO_* from parameters.priority */
    int64_t timeout_us;  /* parameters.timeout; -1 when not given */
    size_t n_in, n_out;
    uint8_t *mode; /* n_out entries: DM_OUT_* */
    size_t *order; /* outputs to return, in the order asked for */
    size_t n_order;
    uint8_t *body; /* the request body (binary inputs point into it) */
    uint8_t *data; /* JSON inputs and every output */
} dm_infer;

/* "FP32", "INT8", ... for a model tensor type; NULL when the protocol has no name for it. */
const char *dm_oip_datatype(int type);
/* A model tensor's name for the protocol ("input_N"/"output_N" when it has none). */
const char *dm_oip_tensor_name(const edge_tensor_info *t, bool input, size_t i, char *buf,
                               size_t len);

/* Model metadata: {"name", "versions", "platform", "inputs", "outputs"};
 * VERSIONS (N entries) as strings. NULL when out of memory. */
json_t *dm_oip_model_metadata(const char *name, const int64_t *versions, size_t n,
                              const edge_model *m);

/* Parse and validate an inference request for model M: BODY (LEN bytes; the
 * JSON header is its first HEADER_LEN bytes when HEADER_LEN >= 0, binary tensor
 * data after it; -1: all JSON; -2: the header was not a number). Returns 200 and
 * *OUT (which owns BODY from then on) or an HTTP status (400, 413) with the
 * message in ERR (BODY stays the caller's). */
int dm_oip_parse_infer(const edge_model *m, uint8_t *body, size_t len, int64_t header_len,
                       dm_infer **out, char *err, size_t errlen);
/* The same, remembering in *CACHE (owned by the caller, freed by *CACHE_FREE)
 * the last all-binary header it parsed for M: a request with the same header
 * bytes and body length skips the JSON parse. Loop thread (not thread safe). */
int dm_oip_parse_infer_cached(const edge_model *m, void **cache, void (**cache_free)(void *),
                              uint8_t *body, size_t len, int64_t header_len, dm_infer **out,
                              char *err, size_t errlen);
/* The response for a completed INF (outputs in inf->req.out): JSON, or a JSON
 * header plus binary outputs (R->header_len >= 0). 0, or -ENOMEM. */
int dm_oip_encode_infer(const dm_infer *inf, const char *model, int64_t version,
                        dm_http_response *r);
/* Frees INF with its buffers, and drops inf->req.v when set. NULL is fine. */
void dm_infer_free(dm_infer *inf);
/* The HTTP status for a scheduler outcome. */
int dm_oip_status_http(dm_req_status st);
/* What went wrong with request R (admitted to R->v's model) when the scheduler says ST,
 * for the client (the same words over HTTP and MQTT). */
void dm_oip_status_message(const dm_request *r, dm_req_status st, char *buf, size_t len);
/* When INF must have started: its timeout parameter, or [scheduler]
 * default_timeout_ms; 0 = no deadline. */
uint64_t dm_oip_deadline_ns(const dm_config *c, const dm_infer *inf);
/* A request of raw tensor bytes for model M, which has one input: BODY (LEN
 * bytes, exactly that input's size) becomes the input; every output is
 * returned as JSON data, in the model's order. Returns 200 and *OUT (which owns
 * BODY from then on) or 400 / 500 with the message in ERR. */
int dm_oip_raw_infer(const edge_model *m, uint8_t *body, size_t len, dm_infer **out, char *err,
                     size_t errlen);
/* "input 'x' (INT8 [1,96,96,1], 9216 bytes)" of model M's input I, for messages. */
void dm_oip_describe_input(const edge_model *m, size_t i, char *buf, size_t len);
/* The "id" of a JSON request BODY (LEN bytes), for error replies; NULL when it
 * has none, is not JSON, or is too large to load (the DOM stays small: the
 * "data" arrays are not loaded). Any thread. */
char *dm_oip_request_id(const uint8_t *body, size_t len);

/* ---- parsing off the loop thread (oip_offload.c)
 * A request whose JSON part is larger than DM_OIP_OFFLOAD_BYTES is parsed on
 * libuv's thread pool, at most DM_OIP_OFFLOAD_RUNNING at once and
 * DM_OIP_OFFLOAD_QUEUED more waiting their turn; smaller ones are parsed
 * inline (they are the fast path). Loop thread, one daemon per process. */
#define DM_OIP_OFFLOAD_BYTES 65536
#define DM_OIP_OFFLOAD_RUNNING 2
#define DM_OIP_OFFLOAD_QUEUED 32

typedef struct dm_parse_job dm_parse_job;
struct dm_parse_job {
    /* set by the caller */
    dm_version *v; /* a reference, the caller's to drop (or hand to the request) */
    uint8_t *body; /* the inference owns it once parsed (status 200) */
    size_t len;
    int64_t header_len; /* as dm_oip_parse_infer */
    /* worker thread: sets status, inf, err; NULL: dm_oip_parse_infer */
    void (*parse)(dm_parse_job *j);
    /* loop thread, exactly once per job dm_oip_offload took */
    void (*done)(dm_parse_job *j);
    /* the outcome */
    int status; /* 200 and inf, or an HTTP status and err */
    dm_infer *inf;
    char err[768];
    /* oip_offload.c */
    uv_work_t work;
    dm_parse_job *next;
};

/* A request of LEN bytes whose JSON part is HEADER_LEN bytes (-1: all of it;
 * other negative values: none) is worth parsing off the loop. */
bool dm_oip_offload_wanted(size_t len, int64_t header_len);
/* Parse J off the loop thread; J->done runs later on LOOP (before this returns
 * only should the pool refuse the work). 0, or -EBUSY when
 * DM_OIP_OFFLOAD_QUEUED jobs already wait (J untouched: the caller answers). */
int dm_oip_offload(uv_loop_t *loop, dm_parse_job *j);
/* Jobs running and waiting (tests, logs). */
size_t dm_oip_offload_pending(void);

#endif
