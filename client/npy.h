/* client/npy.h - NumPy .npy files (format versions 1.0 and 2.0) for edgectl.
 *
 * Owns: a strict reader of the .npy header (magic, version, header length,
 * the dict literal with exactly 'descr', 'fortran_order' and 'shape', the
 * data size), and a writer. dtypes are named with KServe datatype names.
 * Does not own: converting values between dtypes (values.h). */
#ifndef EDGECTL_NPY_H
#define EDGECTL_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EDGECTL_NPY_MAX_DIMS 8

typedef struct edgectl_npy {
    char dtype[8]; /* "INT8", "UINT8", "FP32", ... */
    size_t itemsize;
    int rank;
    int64_t shape[EDGECTL_NPY_MAX_DIMS];
    size_t count;       /* elements */
    size_t data_offset; /* where the data starts in the file */
    size_t data_bytes;  /* count * itemsize, exactly the rest of the file */
} edgectl_npy;

/* Parse a whole .npy file held in BUF. 0, or -1 with "what is wrong, at
 * which byte" in ERR. */
int edgectl_npy_parse(const uint8_t *buf, size_t len, edgectl_npy *out, char *err, size_t errlen);

/* Write a .npy file (version 1.0, header padded to 64 bytes). 0 or -1 (errno). */
int edgectl_npy_write(FILE *f, const char *dtype, const int64_t *shape, int rank, const void *data,
                      size_t bytes);

/* Can a .npy hold DTYPE (a KServe datatype name)? */
int edgectl_npy_supports(const char *dtype);

/* Does BUF start with the .npy magic string? */
int edgectl_npy_is_npy(const uint8_t *buf, size_t len);

#endif
