/* daemon/http_codec.c - HTTP content codings with zlib: request bodies sent
 * with Content-Encoding gzip or deflate are decoded, and replies are gzipped
 * for clients whose Accept-Encoding allows it (RFC 9110 §8.4, §12.5.3).
 *
 * Owns: reading the two header values (which coding a body uses, whether a
 * client accepts gzip), inflating a body within a size limit (a body that
 * decodes to more than the limit is refused, whatever its compressed size: no
 * decompression bomb), and gzipping a reply.
 * Does not own: when to do either, or the memory budget (http.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "http_impl.h"

/* ---------------------------------------------------------------- header values */

/* The next list element of S (comma-separated, optional whitespace): its
 * token in TOK (lower-cased, at most TOKLEN-1 chars, longer ones truncated to
 * "" so they match nothing) and its q value (1000 = q=1). Returns the rest of
 * S, or NULL at the end. */
static const char *next_coding(const char *s, char *tok, size_t toklen, int *q)
{
    while (*s == ' ' || *s == '\t' || *s == ',')
        s++;
    if (!*s)
        return NULL;
    size_t n = 0;
    bool too_long = false;
    for (; *s && *s != ',' && *s != ';' && *s != ' ' && *s != '\t'; s++) {
        if (n + 1 < toklen)
            tok[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
        else
            too_long = true;
    }
    tok[too_long ? 0 : n] = 0;
    *q = 1000;
    while (*s && *s != ',') { /* parameters: only q matters */
        if (*s++ != ';')
            continue;
        while (*s == ' ' || *s == '\t')
            s++;
        if ((s[0] == 'q' || s[0] == 'Q') && s[1] == '=') {
            s += 2;
            int v = 0, digits = 0;
            if (*s == '0' || *s == '1')
                v = (*s++ - '0') * 1000;
            if (*s == '.')
                for (s++; *s >= '0' && *s <= '9'; s++, digits++)
                    if (digits < 3)
                        v += (*s - '0') * (digits == 0 ? 100 : digits == 1 ? 10 : 1);
            *q = v > 1000 ? 1000 : v;
        }
    }
    return s;
}

int dm_http_content_coding(const char *value)
{
    char tok[16];
    int q, coding = DM_CODING_IDENTITY, n = 0;
    for (const char *s = value; (s = next_coding(s, tok, sizeof tok, &q)) != NULL; n++) {
        if (strcmp(tok, "gzip") == 0 || strcmp(tok, "x-gzip") == 0)
            coding = DM_CODING_GZIP;
        else if (strcmp(tok, "deflate") == 0)
            coding = DM_CODING_DEFLATE;
        else if (strcmp(tok, "identity") != 0)
            return -1;
        else
            n--; /* identity adds nothing */
    }
    return n > 1 ? -1 : coding; /* one coding at most: gzip, gzip is not something we undo */
}

bool dm_http_accepts_gzip(const char *value)
{
    char tok[16];
    int q, gzip_q = -1, star_q = -1;
    for (const char *s = value; (s = next_coding(s, tok, sizeof tok, &q)) != NULL;) {
        if (strcmp(tok, "gzip") == 0 || strcmp(tok, "x-gzip") == 0)
            gzip_q = q;
        else if (strcmp(tok, "*") == 0)
            star_q = q;
    }
    return gzip_q >= 0 ? gzip_q > 0 : star_q > 0;
}

/* ---------------------------------------------------------------- bodies */

/* A deflate body is meant to be zlib-wrapped (RFC 9110); some clients send raw
 * deflate. A zlib header is 0x78-style: CM 8, a multiple of 31. */
static bool zlib_header(const uint8_t *p, size_t len)
{
    return len >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 && ((p[0] << 8) | p[1]) % 31 == 0;
}

int dm_http_inflate(int coding, const uint8_t *in, size_t len, uint64_t max, uint8_t **out,
                    size_t *out_len, char *err, size_t errlen)
{
    z_stream z = {0};
    const int bits = coding == DM_CODING_GZIP ? 16 + MAX_WBITS
                     : zlib_header(in, len)   ? MAX_WBITS
                                              : -MAX_WBITS;
    if (inflateInit2(&z, bits) != Z_OK) {
        snprintf(err, errlen, "out of memory decoding the request body");
        return 500;
    }
    size_t cap = len < 4096 ? 16384 : len * 4, used = 0;
    if (cap > max + 1)
        cap = (size_t)max + 1;
    uint8_t *buf = malloc(cap + 1);
    int status = buf ? 0 : 500, rc = Z_OK;
    if (!buf)
        snprintf(err, errlen, "out of memory decoding the request body");
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)(len < UINT32_MAX ? len : UINT32_MAX);
    while (!status && rc != Z_STREAM_END) {
        if (used == cap) {
            if (cap > max) {
                snprintf(err, errlen, "the request body decodes to more than %llu bytes",
                         (unsigned long long)max);
                status = 413;
                break;
            }
            const size_t ncap = cap * 2 > max + 1 ? (size_t)max + 1 : cap * 2;
            uint8_t *b = realloc(buf, ncap + 1);
            if (!b) {
                snprintf(err, errlen, "out of memory decoding the request body");
                status = 500;
                break;
            }
            buf = b;
            cap = ncap;
        }
        z.next_out = buf + used;
        z.avail_out = (uInt)(cap - used < UINT32_MAX ? cap - used : UINT32_MAX);
        const uInt before = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        used += before - z.avail_out;
        if (rc == Z_STREAM_END)
            break;
        if (rc == Z_BUF_ERROR && z.avail_out != 0 && z.avail_in == 0)
            rc = Z_DATA_ERROR; /* the input ended before the stream did */
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            snprintf(err, errlen, "the %s request body is corrupt: %s",
                     coding == DM_CODING_GZIP ? "gzip" : "deflate",
                     rc == Z_DATA_ERROR && z.msg ? z.msg
                     : rc == Z_DATA_ERROR        ? "truncated"
                                                 : zError(rc));
            status = rc == Z_MEM_ERROR ? 500 : 400;
        }
    }
    if (!status && used > max) {
        snprintf(err, errlen, "the request body decodes to more than %llu bytes",
                 (unsigned long long)max);
        status = 413;
    }
    if (!status && z.avail_in != 0) {
        snprintf(err, errlen, "the %s request body has %u bytes after its end",
                 coding == DM_CODING_GZIP ? "gzip" : "deflate", z.avail_in);
        status = 400;
    }
    inflateEnd(&z);
    if (status) {
        free(buf);
        return status;
    }
    buf[used] = 0;
    *out = buf;
    *out_len = used;
    return 0;
}

char *dm_http_gzip(const char *in, size_t len, size_t *out_len)
{
    z_stream z = {0};
    if (len > UINT32_MAX ||
        deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    const size_t cap = deflateBound(&z, (uLong)len);
    char *out = malloc(cap);
    if (out) {
        z.next_in = (Bytef *)in;
        z.avail_in = (uInt)len;
        z.next_out = (Bytef *)out;
        z.avail_out = (uInt)cap;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out >= len) {
            free(out); /* not smaller: send it as it is */
            out = NULL;
        } else {
            *out_len = z.total_out;
        }
    }
    deflateEnd(&z);
    return out;
}
