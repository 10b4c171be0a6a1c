/* bench/edged_proc.h - an edged process for the daemon benchmarks.
 *
 * Owns: starting edged with a config file (its output to a log file or
 * inherited), dying with the benchmark (PR_SET_PDEATHSIG), waiting until it
 * answers ready on its socket, and stopping it with SIGTERM.
 * Does not own: the config (each benchmark writes its own) or what is measured
 * (daemon.c, reload.c). */
#ifndef EDGE_BENCH_EDGED_PROC_H
#define EDGE_BENCH_EDGED_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Start EDGED_BIN --config CONF [--kernels LEVEL, when the benchmark's --kernels gave one] (stdout
 * and stderr to LOG, or inherited when NULL) and wait up to 60 s for /v2/health/ready on SOCK. The
 * pid, or -1 (the child is stopped if it started but never became ready). */
pid_t bench_edged_start(const char *edged_bin, const char *conf, const char *sock, const char *log);
/* edged's warning and error lines in LOG ("<3>", "<4>"): prints the first few
 * and their count under LABEL; returns the count. */
int bench_edged_log_problems(const char *log, const char *label);
/* SIGTERM and wait; *PID becomes -1. Nothing when *PID <= 0. */
void bench_edged_stop(pid_t *pid);

/* A free TCP port on 127.0.0.1 (bound, read, closed), or -1. */
int bench_free_port(void);
/* mosquitto on 127.0.0.1 and a free port (another one when the port was taken meanwhile),
 * its config and log (mosquitto.log) in DIR, dying with the benchmark; waits until the port
 * answers. The pid (*PORT set, VERSION the broker's, VLEN bytes), or -1 with the reason on
 * stderr. */
pid_t bench_broker_start(const char *dir, int *port, char *version, size_t vlen);
/* SIGTERM and wait; *PID becomes -1. Nothing when *PID <= 0. */
void bench_broker_stop(pid_t *pid);

#endif
