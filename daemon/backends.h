/* daemon/backends.h - the back-end plugins edged loaded, their selection, and what [power] profile
 * gives them.
 *
 * Owns: the contract of backends.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_BACKENDS_H
#define EDGED_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "edge/backend.h"

/* The back-end plugins edged loaded at start ([backends] dir), shared by every
 * model; they live until dm_backends_free (models hold their own references). */
#define DM_MAX_BACKENDS 16
typedef struct dm_backends dm_backends;

/* "auto", "cpu" or names "a, b" ([a-z0-9_-]+, no repeats, auto/cpu alone): 0, or
 * -1 with what is wrong in MSG. */
int dm_backend_spec_check(const char *spec, char *msg, size_t len);
/* Load every edge-NAME.so of C's folder with its [backend.NAME] options, logging
 * each outcome; a plugin that fails is skipped. NULL only without memory. */
dm_backends *dm_backends_load(const dm_config *c);
void dm_backends_free(dm_backends *bs); /* NULL is fine */
size_t dm_backends_count(const dm_backends *bs);
struct edge_be *dm_backends_get(const dm_backends *bs, size_t i);
const char *dm_backends_dir(const dm_backends *bs);
/* SPEC (as above) into OUT[DM_MAX_BACKENDS], *N entries, priority order (no
 * references taken): auto is every available back end whose selected device is
 * not a CPU, by priority; a name that is not loaded gives -1 and MSG. */
int dm_backends_select(const dm_backends *bs, const char *spec, struct edge_be **out, size_t *n,
                       char *msg, size_t len);
/* Loop thread: log back ends that turned unhealthy since the last call. */
void dm_backends_watch(dm_backends *bs);
/* Reload: apply FAIL_LIMIT and mark every back end healthy again (logged). */
void dm_backends_reset(dm_backends *bs, uint32_t fail_limit);

/* What [power] profile gives the back ends (backends.c reads the profile). */
/* [power] profile = low. */
bool dm_power_low(const dm_config *c);
/* The options [power] profile gives back end BACKEND (the Edge TPU's clock, the Vulkan device's
 * idle_release) into OUT: their count. backends.c adds each one its [backend.NAME] section
 * does not set. */
#define DM_POWER_MAX_OPTS 4
size_t dm_power_backend_options(const dm_config *c, const char *backend,
                                edge_be_option out[DM_POWER_MAX_OPTS]);

#endif
