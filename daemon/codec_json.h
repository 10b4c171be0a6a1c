/* daemon/codec_json.h - the bounded JSON front of the inference request parser (codec_json.c).
 *
 * Owns: one pass over a request's JSON text, before any DOM is built, that
 * counts what the text holds (values in and out of the "data" arrays of
 * "inputs", arrays in them, string bytes) so that codec_infer.c can refuse a
 * request larger than the model accepts (413); finds every "data" array of
 * $.inputs[*] that holds only numbers, true, false, null and arrays (the fast
 * form); loads the rest of the document with jansson with those arrays left
 * out (error messages, lines and columns as for the whole text); and walks a
 * fast array's elements straight from the text (no DOM).
 * Does not own: what the values mean (codec_infer.c). */
#ifndef EDGED_CODEC_JSON_H
#define EDGED_CODEC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "edge/runtime.h"

/* A "data" array in the fast form: text [at, end) from '[' to ']'. */
typedef struct dm_jspan {
    size_t at, end;
    size_t elem; /* its input's index in "inputs" */
} dm_jspan;

/* What a request's text holds. */
typedef struct dm_jcount {
    size_t data_values; /* scalars (and strings, objects) inside "data" arrays */
    size_t data_arrays; /* arrays inside "data" arrays, the "data" arrays included */
    size_t other;       /* every other value and key */
    size_t str_bytes;   /* bytes of every string and key */
} dm_jcount;

/* $.parameters.sequence_id written as an integer literal outside jansson's
 * int64 (an unsigned id of 2^63 or more, as Triton's uint64 ids may be): the
 * text [at, at + len), which dm_jscan_load reads as "0" and spaces. */
typedef struct dm_jbig {
    size_t at, len; /* len 0: none */
    uint64_t value; /* its value, when it is at most UINT64_MAX */
    bool negative;  /* below INT64_MIN */
    bool too_big;   /* past UINT64_MAX */
} dm_jbig;

typedef struct dm_jscan {
    dm_jcount n;
    dm_jbig seq_id;  /* $.parameters.sequence_id past int64 */
    dm_jspan *spans; /* in text order */
    size_t n_spans, cap;
    bool slow;      /* a "data" array not in the fast form ... */
    size_t slow_at; /* ... the first thing in it that is not (text offset) */
} dm_jscan;

/* Scan TEXT (LEN bytes) into *S (zeroed first). 0, or -ENOMEM. */
int dm_jscan_run(dm_jscan *s, const uint8_t *text, size_t len);
void dm_jscan_free(dm_jscan *s);
/* The span of the input at index ELEM of "inputs", or NULL. */
const dm_jspan *dm_jscan_span(const dm_jscan *s, size_t elem);
/* TEXT parsed by jansson (with FLAGS) with every span of S read as an empty
 * array (none when S->slow) and S->seq_id read as 0; NULL with *JE set exactly
 * as json_loadb on TEXT would. */
json_t *dm_jscan_load(const dm_jscan *s, const uint8_t *text, size_t len, size_t flags,
                      json_error_t *je);
/* The line and column (jansson's count) of offset AT in TEXT. */
void dm_json_position(const uint8_t *text, size_t at, int *line, int *column);

/* Walking a span's elements in order. */
typedef enum {
    DM_JEV_END = 0,
    DM_JEV_OPEN,  /* '[' */
    DM_JEV_CLOSE, /* ']' */
    DM_JEV_INT,   /* it->i, as jansson's json_integer_value */
    DM_JEV_REAL,  /* it->r, as jansson's json_real_value */
    DM_JEV_TRUE,
    DM_JEV_FALSE,
    DM_JEV_NULL,
} dm_jev;

typedef struct dm_jiter {
    const uint8_t *p, *end;
    long long i;
    double r;
} dm_jiter;

void dm_jiter_init(dm_jiter *it, const uint8_t *text, const dm_jspan *sp);
dm_jev dm_jiter_next(dm_jiter *it);

/* ---- codec_data.c: "data" as tensor bytes, and the parser files' message helpers */
/* Nesting of "data" arrays beyond this is refused. */
#define DM_CODEC_MAX_DATA_DEPTH 32
/* Input I of M from its "data": the DOM node DATA, or (SPAN not NULL) the fast
 * array SPAN of TEXT, converted into DST (the input's bytes). 0, or 400 (500
 * for a model without tensor info) with the message in ERR. */
int dm_codec_fill_input(const edge_model *m, size_t i, const json_t *data, const dm_jspan *span,
                        const uint8_t *text, uint8_t *dst, char *err, size_t errlen);
/* FMT into ERR; returns STATUS. */
int dm_codec_fail(char *err, size_t len, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "[1,96,96,1]" */
void dm_codec_fmt_dims(char *buf, size_t len, const int32_t *d, int rank);

#endif
