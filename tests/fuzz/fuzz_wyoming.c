/* tests/fuzz/fuzz_wyoming.c - libFuzzer harness for the Wyoming event reader
 * (daemon/wyoming_proto.c).
 *
 * Owns: one fuzz target over what a Wyoming client controls, the bytes of its connection. The
 * first byte of the input chooses how the rest is cut into reads (1 to 256 bytes a read) and
 * whether the handler pauses on every other event (as a connection whose audio backs up does);
 * the rest is fed to one parser. Checks what the reader promises: consumed counts within the read,
 * an error has its text and code, each event has a NUL-terminated type, an object as data and a
 * payload of at most WY_PAYLOAD_MAX bytes; and each event written back with wy_event_bytes reads
 * as the same event (type and payload; unless its merged data passes the data bound). Built with
 * clang only (tests/meson.build); tests/fuzz/run-fuzz.sh runs it over tests/fuzz/wyoming. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wyoming_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct seen {
    unsigned events;
    int pause_every_other;
    char type[WY_TYPE_MAX];
    size_t payload_len;
    int round_trip; /* parsing the written event back */
} seen;

static int on_back(void *arg, const wy_event *ev)
{
    seen *s = arg;
    if (strcmp(ev->type, s->type) || ev->payload_len != s->payload_len)
        abort();
    s->round_trip++;
    return WY_GO;
}

static int on_event(void *arg, const wy_event *ev)
{
    seen *s = arg;
    if (!memchr(ev->type, 0, sizeof ev->type) || !ev->type[0] || !json_is_object(ev->data) ||
        ev->payload_len > WY_PAYLOAD_MAX || (ev->payload_len && !ev->payload))
        abort();
    s->events++;
    if (s->pause_every_other && s->events % 2)
        return WY_PAUSE;
    /* written back, it reads as the same event */
    size_t len = 0;
    uint8_t *bytes = wy_event_bytes(ev->type, ev->data, ev->payload, ev->payload_len, &len);
    if (bytes) {
        wy_parser p;
        if (wy_parser_init(&p) == 0) {
            seen back = {.payload_len = ev->payload_len};
            snprintf(back.type, sizeof back.type, "%s", ev->type);
            wy_error err = {.code = NULL};
            const long used = wy_parse(&p, bytes, len, on_back, &back, &err);
            /* (a header's data merged with the event's data may pass the data bound) */
            const bool too_large = used < 0 && err.code && !strcmp(err.code, "too-large");
            if (!too_large && (used != (long)len || back.round_trip != 1))
                abort();
            wy_parser_free(&p);
        }
        free(bytes);
    }
    return WY_GO;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    const size_t step = (size_t)(data[0] & 0x7f) * 2 + 1;
    seen s = {.pause_every_other = data[0] >> 7};
    wy_parser p;
    if (wy_parser_init(&p))
        return 0;
    size_t at = 1;
    unsigned stuck = 0;
    while (at < size && stuck < 4) {
        const size_t n = size - at < step ? size - at : step;
        uint8_t *piece = malloc(n); /* its own allocation: ASan sees overreads */
        if (!piece)
            break;
        memcpy(piece, data + at, n);
        wy_error err = {.code = NULL};
        const long used = wy_parse(&p, piece, n, on_event, &s, &err);
        free(piece);
        if (used < 0) {
            if (!err.text[0] || !err.code)
                abort();
            break;
        }
        if ((size_t)used > n)
            abort();
        stuck = used ? 0 : stuck + 1; /* paused before consuming: the next call delivers it */
        at += (size_t)used;
    }
    wy_parser_free(&p);
    return 0;
}
