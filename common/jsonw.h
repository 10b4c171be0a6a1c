/* common/jsonw.h - a JSON writer for the documents on the request path.
 *
 * Owns: appending JSON tokens (escaped strings, integers, float32 reals) to a
 * caller's buffer of known capacity, and the bounds that size that buffer.
 * Serialization only: every JSON edged and libedgeclient read goes through
 * jansson. Used by the daemon's inference response (daemon/codec_infer.c) and
 * libedgeclient's binary request header (client/client_infer.c).
 * Why not jansson there: building a jansson tree and dumping it cost ~10 us
 * per response, a third of the daemon's time per small request
 * (docs/architecture.md, "The request path").
 * Does not own: what the documents say. */
#ifndef EDGE_COMMON_JSONW_H
#define EDGE_COMMON_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct jw {
    char *p;
    size_t len, cap;
    bool overflow; /* something did not fit: the text is incomplete */
} jw;

/* Bytes a string of N bytes can take written as a JSON string (quotes included). */
#define JW_STR_MAX(n) (6 * (size_t)(n) + 2)
/* Bytes an integer or a float32 real can take. */
#define JW_NUM_MAX 24

void jw_raw(jw *w, const char *s, size_t n);
void jw_lit(jw *w, const char *s); /* a NUL-terminated literal, unescaped */
/* S as a JSON string: quotes, escapes, and U+FFFD for bytes that are not UTF-8. */
void jw_str(jw *w, const char *s);
void jw_int(jw *w, int64_t v);
void jw_uint(jw *w, uint64_t v);
/* A float32 with 9 significant digits (round-trips); null when not finite. */
void jw_real(jw *w, float v);

#endif
