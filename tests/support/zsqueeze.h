/* tests/support/zsqueeze.h - bodies compressed with zlib, for the tests of HTTP content
 * codings (tests/unit/test_http_codec.c, tests/integration/test_http_framing.c).
 *
 * Owns: one helper, header-only so that only the tests that link zlib see it (the
 * engine-only cross builds link test_support without zlib). Include it after cmocka.h. */
#ifndef EDGE_TEST_ZSQUEEZE_H
#define EDGE_TEST_ZSQUEEZE_H

#include <stdint.h>
#include <stdlib.h>

#include <zlib.h>

/* LEN bytes of IN compressed (malloc'd, *OUT_LEN bytes): WBITS 16+15 gzip, 15 zlib-wrapped
 * deflate, -15 raw deflate. The calling cmocka test fails if zlib does. */
static inline uint8_t *zsqueeze(const void *in, size_t len, int wbits, size_t *out_len)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    const size_t cap = deflateBound(&z, (uLong)len);
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

#endif
