/* daemon/lease.h - read leases on the files edged serves from their mapping: model files and
 * packed-weight cache files.
 *
 * Owns: the process's lease service: a read lease (F_SETLEASE F_RDLCK) on each model file and
 * each packed-weight cache file a version maps, the signal the kernel sends when another process
 * opens such a file for writing or truncates it (a real-time signal, F_SETSIG), and the answer to
 * it: the versions of that file are detached from it (edge_model_detach_file,
 * edge_model_detach_pack: the bytes they use become private memory where they are), then the lease
 * is released and the writer proceeds; a model file's new contents arrive as a normal reload, a
 * cache file is packed again by the next load. Where a lease cannot be taken (the file is open for
 * writing already, edged neither owns it nor has CAP_LEASE, a filesystem without leases) the
 * caller reads a private copy instead and says why.
 * Does not own: the versions (registry_load.c), the reload (watch.c, the registry).
 * Threads: dm_lease_take and dm_lease_hold on the loading thread (the thread pool), the break
 * on the loop thread (or the loading thread, when the break came before the hold); the table
 * is behind a mutex, the signal handler only writes a byte to a pipe. */
#ifndef EDGED_LEASE_H
#define EDGED_LEASE_H

#include <stddef.h>
#include <uv.h>

#include "edge/runtime.h"

typedef struct dm_lease dm_lease; /* one file's lease, held for one model */

/* Installs the signal handler and its pipe; before any lease is taken. 0, or -1 (then
 * dm_lease_take refuses: every model is a private copy). Idempotent. */
int dm_leases_init(void);
/* Breaks are answered on LOOP from now on (those that came before, at once). */
int dm_leases_attach(uv_loop_t *loop);
/* Stops answering on the loop (its handle closes); leases still held stay until dropped, and
 * a writer then waits for the kernel's lease-break-time. */
void dm_leases_detach(void);

/* A read lease on FD (open read-only): 0, or -1 with WHY (a sentence for the log and
 * `edgectl models`: why the model is a private copy). */
int dm_lease_take(int fd, char *why, size_t len);
/* FD (leased by dm_lease_take; -1: none, M is a private copy) now backs M, and so does M's
 * packed-weight cache file when M maps one (edge_model_pack_fd, leased by dm_lease_take when
 * libedge opened it: edge_pack_cache.protect): each lease is kept for M (a reference held)
 * until dm_lease_drop, or until a writer breaks it (M is detached from that file first). Takes
 * FD. NULL when there is nothing to hold, or out of memory (then M is detached and FD closed). */
dm_lease *dm_lease_hold(int fd, edge_model *m);
/* The model no longer needs the lease: released, the file closed, M's reference dropped. Any
 * thread; NULL is fine. */
void dm_lease_drop(dm_lease *l);
/* Leases held, and broken (a writer came) since the start: for /metrics. */
void dm_leases_counts(size_t *held, unsigned long *broken);

#endif
