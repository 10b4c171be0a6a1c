/* daemon/repo_files.h - files edged itself writes into the model repository.
 *
 * Owns: the names of staged files (DM_STAGING_PREFIX: what a push or a Frigate upload writes
 * before it is checked and renamed into a version folder; the scan ignores dot names, and the
 * start removes what a kill left), the next version number of a model on disk (never what is
 * resident: the memory budget or a version policy may keep versions on disk unloaded) and
 * claiming it, and the bound on how many version folders of a model, and how many bytes, are
 * kept (the oldest go).
 * Does not own: what is written (push.c, frigate.c), loading it (the registry).
 * Threads: any (plain file system calls on the caller's paths). */
#ifndef EDGED_REPO_FILES_H
#define EDGED_REPO_FILES_H

#include <stddef.h>
#include <stdint.h>

#define DM_STAGING_PREFIX ".staging-"

/* One past the newest numeric version folder of the model folder DIR, DIR.tflite (the model as
 * one file) counting as version 1; 1 when there is neither. */
int64_t dm_repo_next_version(const char *dir);
/* Creates the version folder DIR/V for the next V on disk (another writer's folder made
 * meanwhile: the one after it) into VDIR (LEN bytes): V, or -1 with errno. DIR must exist. */
int64_t dm_repo_claim_version(const char *dir, char *vdir, size_t len);
/* At the start, before the first scan: REPO/.staging-* and REPO/NAME/.staging-* (files, or
 * folders of files), which a push or an upload killed midway left, removed; one log line
 * when there were any. Returns how many. */
size_t dm_repo_sweep_staging(const char *repo);
/* The oldest version folders of model folder DIR removed until at most MAX_COUNT are left
 * and their files take at most MAX_BYTES (0: no bound of that kind); never the newest, nor
 * the versions in KEEP (N_KEEP of them: the one requests without a version get). How many went into
 * *REMOVED and the bytes into *FREED. 0, or -1 with errno (DIR unreadable). */
int dm_repo_bound_versions(const char *dir, unsigned max_count, uint64_t max_bytes,
                           const int64_t *keep, size_t n_keep, size_t *removed, uint64_t *freed);

#endif
