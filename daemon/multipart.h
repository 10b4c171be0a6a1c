/* daemon/multipart.h - multipart/form-data bodies (RFC 7578), as HTML forms, curl -F and
 * Python's requests send them.
 *
 * Owns: the boundary of a Content-Type value, and splitting a complete body into its parts
 * (each its form field name, file name and content type from its headers, and its bytes, which
 * point into the body). Pure: no allocation, no global state; every limit is said in the error,
 * with where in the body it was met.
 * Does not own: what the fields mean (vision_api.c). */
#ifndef EDGED_MULTIPART_H
#define EDGED_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#define DM_MULTIPART_BOUNDARY_MAX 70 /* RFC 2046 section 5.1.1 */
#define DM_MULTIPART_NAME_MAX 127    /* a field or file name kept at most */

typedef struct dm_part {
    char name[DM_MULTIPART_NAME_MAX + 1];     /* form-data; name="..." */
    char filename[DM_MULTIPART_NAME_MAX + 1]; /* filename="..." ("" when none) */
    char content_type[DM_MULTIPART_NAME_MAX + 1];
    const uint8_t *data; /* into the body */
    size_t len;
} dm_part;

/* The boundary of CTYPE, a Content-Type value "multipart/form-data; boundary=B" (B quoted or
 * not) into OUT (DM_MULTIPART_BOUNDARY_MAX + 1 bytes). 0, or -1 with the reason in ERR. */
int dm_multipart_boundary(const char *ctype, char *out, char *err, size_t errlen);

/* The parts of BODY (LEN bytes) delimited by BOUNDARY into PARTS (MAX of them): their count, or
 * -1 with the reason in ERR (no first delimiter, a part without a blank line after its headers
 * or without name, a header line over 1000 bytes, no closing delimiter, more than MAX parts). */
int dm_multipart_parse(const uint8_t *body, size_t len, const char *boundary, dm_part *parts,
                       size_t max, char *err, size_t errlen);

/* The first part named NAME, or NULL. */
const dm_part *dm_multipart_find(const dm_part *parts, size_t n, const char *name);

#endif
