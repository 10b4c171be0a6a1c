/* daemon/mem.h - glibc's malloc settings, the heap trim, a synced write.
 *
 * Owns: the contract of memory.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_MEM_H
#define EDGED_MEM_H

#include <stddef.h>

#include "daemon.h"

/* glibc's malloc settings for edged (at start, before any allocation). */
void dm_memory_init(void);
/* The same when [models] memory_budget is set: freed model memory goes back at once. */
void dm_memory_budgeted(void);
/* Freed heap goes back to the system a second from now (after a large request
 * body or MQTT payload: glibc keeps up to 64 MiB otherwise). Loop thread. */
void dm_trim_soon(dm_daemon *d);
/* LEN bytes of DATA to FD, then fsync (repo_files.c: a push, Frigate's upload, the cache's
 * key): 0, or -1 with errno. */
int dm_write_synced(int fd, const void *data, size_t len);

#endif
