/* daemon/json_dump.c - JSON text that is whole or NULL (json_dump.h). */
#include "json_dump.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/memfile.h"

char *dm_json_dumps(const json_t *j, size_t flags)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = j ? edge_memfile_open(&buf, &size) : NULL;
    if (!f)
        return NULL;
    /* a write that fails sets the stream's error flag, whatever jansson makes of it */
    if (json_dumpf(j, f, flags) != 0 && !ferror(f)) {
        fclose(f);
        free(buf);
        return NULL;
    }
    char *s = edge_memfile_close(f, &buf, &size, NULL);
    if (s && size == 0) {
        free(s);
        return NULL;
    }
    return s;
}
