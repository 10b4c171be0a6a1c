/* tests/fuzz/fuzz_http_codec.c - libFuzzer harness for the HTTP content codings.
 *
 * Owns: one fuzz target over what a client controls in daemon/http_codec.c: the
 * first byte picks Content-Encoding or Accept-Encoding values (the rest as a
 * NUL-terminated header value, as http.c keeps it), or a gzip / deflate body
 * inflated within a 1 MiB limit (a decoded body is checked to be within the
 * limit and NUL-terminated). Built with clang only (tests/meson.build);
 * tests/fuzz/run-fuzz.sh runs it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t op = data[0] % 4;
    data++, size--;
    if (op < 2) {
        char value[VALUE_MAX + 1];
        const size_t n = size < VALUE_MAX ? size : VALUE_MAX;
        memcpy(value, data, n);
        value[n] = 0;
        if (op == 0) {
            const int c = dm_http_content_coding(value);
            if (c < -1 || c > DM_CODING_DEFLATE)
                abort();
        } else {
            (void)dm_http_accepts_gzip(value);
        }
        return 0;
    }
    uint8_t *out = NULL;
    size_t out_len = 0;
    char err[160];
    const uint64_t max = 1 << 20;
    const int st = dm_http_inflate(op == 2 ? DM_CODING_GZIP : DM_CODING_DEFLATE, data, size, max,
                                   &out, &out_len, err, sizeof err);
    if (st == 0 && (!out || out_len > max || out[out_len] != 0))
        abort();
    if (st != 0 && (out || (st != 400 && st != 413 && st != 500) || !err[0]))
        abort();
    free(out);
    return 0;
}
