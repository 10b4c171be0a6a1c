/* daemon/wyoming_proto.h - the Wyoming protocol's framing: events in, events out (issue 47).
 *
 * An event is a JSON header line {"type", "data"?, "data_length"?, "payload_length"?,
 * "version"?} ended by '\n', then data_length bytes of JSON object (merged over the header's
 * "data"), then payload_length bytes of payload (rhasspy/wyoming's event.py).
 * Owns: the incremental parser of a connection's bytes (bounded: a header line of at most
 * WY_HEADER_MAX bytes, data of at most WY_DATA_MAX, a payload of at most WY_PAYLOAD_MAX; a
 * malformed or oversized event is an error with its text and code, after which the connection
 * is closed: the byte stream cannot be resynchronised), and the writer of an event's bytes.
 * Does not own: what the events mean (wyoming.c), the socket.
 * Threads: a parser is used by one thread. Allocation: the parser grows its buffers up to the
 * bounds; nothing else. */
#ifndef EDGED_WYOMING_PROTO_H
#define EDGED_WYOMING_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define WY_HEADER_MAX 8192   /* a header line, '\n' included */
#define WY_DATA_MAX 16384    /* data_length */
#define WY_PAYLOAD_MAX 65536 /* payload_length: 2 s of 16 kHz 16-bit mono */
#define WY_TYPE_MAX 64       /* an event type's length */
#define WY_VERSION "1.7.0"   /* the protocol version our events carry */

typedef struct wy_event {
    char type[WY_TYPE_MAX];
    json_t *data;           /* an object (empty when the event had none); the parser owns it */
    const uint8_t *payload; /* NULL when payload_length is 0 */
    size_t payload_len;
} wy_event;

typedef enum { WY_HEADER, WY_DATA, WY_PAYLOAD } wy_stage;

typedef struct wy_parser {
    wy_stage stage;
    char *line; /* the header line being read (WY_HEADER_MAX bytes) */
    size_t line_len;
    uint8_t *body; /* data then payload of the event being read (grown as needed) */
    size_t body_cap, body_len;
    size_t data_len, payload_len;
    wy_event ev;
    bool held;       /* EV was paused on: delivered again first by the next wy_parse */
    uint64_t events; /* parsed so far (for the error text: "event 3") */
} wy_parser;

/* A protocol error: what, and the code of the error event sent before the close. */
typedef struct wy_error {
    char text[256];
    const char *code; /* "bad-header", "bad-data", "too-large" */
} wy_error;

int wy_parser_init(wy_parser *p);
void wy_parser_free(wy_parser *p);

/* What ON_EVENT returns: go on, or stop here (the bytes not consumed stay for the next call). */
enum { WY_GO = 0, WY_PAUSE = 1 };

/* Parse up to N bytes of BUF; ON_EVENT(ARG, EV) for each whole event (EV valid during the
 * call). An event ON_EVENT paused on is held (P->held) and delivered again first by the next
 * call. Returns the bytes consumed (less than N only when ON_EVENT paused), or -1 with ERR
 * when the bytes are not Wyoming. */
long wy_parse(wy_parser *p, const uint8_t *buf, size_t n,
              int (*on_event)(void *arg, const wy_event *ev), void *arg, wy_error *err);

/* The bytes of the event TYPE with DATA (NULL: none; not consumed) and PAYLOAD (LEN bytes), as
 * the reference writes it: the header line with data_length, the data, the payload (malloc'd;
 * *OUT_LEN bytes); NULL when out of memory. */
uint8_t *wy_event_bytes(const char *type, const json_t *data, const void *payload, size_t len,
                        size_t *out_len);

#endif
