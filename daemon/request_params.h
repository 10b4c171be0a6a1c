/* daemon/request_params.h - the one parser of the parameters every protocol carries the same
 * way (request_params.c): priority, timeout (microseconds) and the sequence's (sequence_id,
 * sequence_start, sequence_end).
 *
 * Owns: their rules and words. A front end hands each value it read as a dm_param (its own
 * decoding: JSON, a D-Bus variant, an MQTT user property, a form field) and gets the same rules
 * and the same messages back whatever the protocol.
 * Does not own: a protocol's decoding (the front ends, codec_infer.c), model resolution
 * (request.h). Pure: any thread. In the protocol layer (daemon/layers.txt), below request.c. */
#ifndef EDGED_REQUEST_PARAMS_H
#define EDGED_REQUEST_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seq.h"

/* A request's scheduling parameters, as parsed. */
typedef struct dm_req_params {
    int priority;       /* DM_PRIO_*: "priority" 1 is high, anything else normal */
    int64_t timeout_us; /* "timeout": it must start within; -1 when not given (the default) */
    dm_seq_params seq;  /* "sequence_id", "sequence_start", "sequence_end" */
    bool has_seq;       /* a sequence parameter was given */
} dm_req_params;

/* How a protocol carried one value. */
typedef enum {
    DM_PARAM_INT,    /* a typed integer (JSON, D-Bus t/u/x/i...): NEG, or U */
    DM_PARAM_BOOL,   /* a typed boolean: B */
    DM_PARAM_STRING, /* a typed string: S, LEN */
    DM_PARAM_TEXT,   /* untyped text (an MQTT user property, a form field): S, LEN, read as the
                      * parameter's type ("1", "true", "42") */
    DM_PARAM_OTHER,  /* any other type: TYPE names it in the message ("d", "a JSON array") */
} dm_param_kind;

typedef struct dm_param {
    dm_param_kind kind;
    bool neg;         /* INT: below zero (I holds it) */
    int64_t i;        /* INT: the value when NEG */
    uint64_t u;       /* INT: the value when not NEG */
    bool b;           /* BOOL */
    const char *s;    /* STRING, TEXT: not NUL-terminated */
    size_t len;       /* STRING, TEXT */
    const char *type; /* OTHER: the protocol's name of the type, or NULL */
} dm_param;

/* How a protocol names its parameters in messages: PREFIX before a key ("parameters.",
 * "user property ", "option "), GROUP for all of them ("parameters", "user properties"). */
typedef struct dm_param_src {
    const char *prefix;
    const char *group;
} dm_param_src;

/* The defaults: normal priority, the default timeout, no sequence. */
void dm_req_params_init(dm_req_params *p);
/* True when KEY is one of the parameters dm_req_param takes. */
bool dm_req_param_known(const char *key);
/* KEY = V into P: 0; 1 when KEY is not a request parameter (the caller's own, or unknown);
 * -1 with "PREFIX KEY must be ..." in ERR when V is not what KEY takes. */
int dm_req_param(dm_req_params *p, const char *key, const dm_param *v, const dm_param_src *src,
                 char *err, size_t len);
/* After every parameter: 0, or -1 with ERR when they do not fit together (a sequence_start
 * without a sequence_id). */
int dm_req_params_check(const dm_req_params *p, const dm_param_src *src, char *err, size_t len);

#endif
