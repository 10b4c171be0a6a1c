/* tests/fuzz/fuzz_multipart.c - libFuzzer harness for multipart/form-data (daemon/multipart.c).
 *
 * Owns: one fuzz target over what a vision API client controls: the first line of the input
 * is the Content-Type value (as http.c keeps it, at most 128 characters), the rest the body.
 * Checks what the parser promises: a boundary of 1 to 70 characters, parts inside the body, at
 * most the array's count, NUL-terminated names. Built with clang only (tests/meson.build);
 * tests/fuzz/run-fuzz.sh runs it over tests/fuzz/forms. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size < 129 ? size : 129);
    if (!nl)
        return 0;
    char ctype[129];
    const size_t cl = (size_t)(nl - data);
    memcpy(ctype, data, cl);
    ctype[cl] = 0;
    char boundary[DM_MULTIPART_BOUNDARY_MAX + 1], err[512];
    if (dm_multipart_boundary(ctype, boundary, err, sizeof err))
        return 0;
    const size_t bl = strlen(boundary);
    if (bl < 1 || bl > DM_MULTIPART_BOUNDARY_MAX)
        abort();
    const size_t len = size - cl - 1;
    uint8_t *body = malloc(len ? len : 1); /* its own allocation: ASan sees overreads */
    if (!body)
        return 0;
    memcpy(body, nl + 1, len);
    dm_part parts[4];
    const int n = dm_multipart_parse(body, len, boundary, parts, 4, err, sizeof err);
    if (n > 4 || (n < 0 && !err[0]))
        abort();
    for (int i = 0; i < n; i++) {
        if (parts[i].data < body || parts[i].data + parts[i].len > body + len ||
            strlen(parts[i].name) > DM_MULTIPART_NAME_MAX || !parts[i].name[0])
            abort();
        (void)dm_multipart_find(parts, (size_t)n, parts[i].name);
    }
    free(body);
    return 0;
}
