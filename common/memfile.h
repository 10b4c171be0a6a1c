/* common/memfile.h - a stdio stream into a growing heap buffer that reports running out of memory.
 *
 * Owns: edge_memfile_open, open_memstream's replacement for text built with
 * fprintf. glibc's memstream drops a write whose buffer cannot grow without
 * setting the stream's error flag, so a page rendered while memory is short
 * can come out with a piece missing and no error. Here a failed allocation is
 * a failed write: ferror(f) is set and fclose(f) returns EOF. After fclose, *BUF
 * (NUL-terminated, malloc'd; free it also after a failure) holds *SIZE bytes.
 * Does not own: what is written. */
#ifndef EDGE_COMMON_MEMFILE_H
#define EDGE_COMMON_MEMFILE_H

#include <stddef.h>
#include <stdio.h>

/* NULL (errno set) when the stream cannot be made. */
FILE *edge_memfile_open(char **buf, size_t *size);

/* Close F (from edge_memfile_open over BUF, SIZE): *BUF when every write went in
 * (with *LEN = its length when LEN is not NULL), else NULL and the buffer freed. */
char *edge_memfile_close(FILE *f, char **buf, const size_t *size, size_t *len);

#endif
