/* daemon/watch.h - hot reload: the repository watched through inotify.
 *
 * Owns: the contract of watch.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_WATCH_H
#define EDGED_WATCH_H

#include <stdint.h>

#include <uv.h>

/* Hot reload: the repository watched through inotify. CB gets each changed
 * model's name once the changes have been quiet for DELAY_MS; RESCAN runs
 * instead when inotify lost events. NULL (logged) when it cannot start. */
typedef struct dm_watch dm_watch;
typedef void (*dm_watch_cb)(const char *name, void *arg);
dm_watch *dm_watch_new(uv_loop_t *loop, const char *repo, uint32_t delay_ms, dm_watch_cb cb,
                       void (*rescan)(void *arg), void *arg);
void dm_watch_free(dm_watch *w); /* its handles close on the loop's next turn */

#endif
