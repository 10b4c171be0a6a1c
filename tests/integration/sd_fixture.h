/* tests/integration/sd_fixture.h - systemd and D-Bus around a real edged, for tests.
 *
 * Owns: (1) a fake service manager: the AF_UNIX datagram socket NOTIFY_SOCKET
 * names, keeping every sd_notify message in order with its sender's pid
 * (SCM_CREDENTIALS) and the CLOCK_MONOTONIC time it was read; (2) a private
 * dbus-daemon on a minimal configuration (no activatable services, everything
 * allowed); (3) running clients: a command with a deadline, capturing its
 * output and exit status (busctl as a real D-Bus client), and commands left
 * running in the background (busctl monitor) writing to a file.
 * Every client process started here is remembered; sdx_reap_all() stops the
 * ones still running (case or group teardown, also after a failed assertion).
 * A dbus-daemon is not among them (it serves a whole group): sdbus_stop()
 * stops it by its pid. Every child also gets PR_SET_PDEATHSIG, so a test
 * killed by meson's timeout takes them along. */
#ifndef EDGED_SD_FIXTURE_H
#define EDGED_SD_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---------------------------------------------------------------- sd_notify */

typedef struct sdn_msg {
    char *text;   /* the datagram, NUL-terminated */
    pid_t pid;    /* the sender (SCM_CREDENTIALS), 0 if none came */
    int64_t t_us; /* CLOCK_MONOTONIC when it was read, microseconds */
} sdn_msg;

typedef struct sdn {
    int fd;
    char path[108]; /* the value for NOTIFY_SOCKET */
    sdn_msg *msgs;
    size_t n, cap;
} sdn;

/* Bind DIR/notify.sock (SO_PASSCRED). */
int sdn_open(sdn *m, const char *dir);
void sdn_close(sdn *m);
/* Read every datagram that arrives within TIMEOUT_MS (returns early after the
 * first batch when RETURN_EARLY); returns how many were read. */
int sdn_poll(sdn *m, int timeout_ms, bool return_early);
/* Whether TEXT has LINE: the exact line ("READY=1"), or, when LINE ends with
 * '=', a line starting with it ("STATUS="). */
bool sdn_has(const char *text, const char *line);
/* The value after PREFIX ("STATUS=") in TEXT, copied into OUT; false if absent. */
bool sdn_value(const char *text, const char *prefix, char *out, size_t len);
/* Index of the first message at index >= FROM with LINE, waiting up to
 * TIMEOUT_MS for it to arrive; -1 if none did. */
long sdn_wait(sdn *m, size_t from, const char *line, int timeout_ms);
/* Messages at index >= FROM with LINE. */
size_t sdn_count(const sdn *m, size_t from, const char *line);
/* Every message as one printable string, for failure messages (static buffer). */
const char *sdn_dump(const sdn *m, size_t from);

/* ---------------------------------------------------------------- dbus-daemon */

typedef struct sdbus {
    pid_t pid;
    char dir[64];
    char addr[512];      /* as dbus-daemon prints it (with its guid) */
    char path_addr[128]; /* unix:path=DIR/bus: still right after sdbus_restart */
} sdbus;

/* A private bus listening in a new temporary folder; returns 0 once it listens. */
int sdbus_start(sdbus *b);
/* Stop the bus and start a new one on the same socket path (a restarted bus). */
int sdbus_restart(sdbus *b);
void sdbus_stop(sdbus *b);

/* ---------------------------------------------------------------- clients */

typedef struct sdx_out {
    int status;      /* exit status, 128+signal, or -1 when it outlived its deadline */
    char *out, *err; /* captured stdout and stderr, NUL-terminated (malloc'd) */
    size_t out_len;
} sdx_out;

void sdx_out_free(sdx_out *o);
/* Run ARGV (NULL-terminated; argv[0] found on PATH) and wait up to TIMEOUT_MS. */
int sdx_run(char *const argv[], int timeout_ms, sdx_out *o);
/* busctl --address=ADDR ARGS... (NULL-terminated list). Returns the exit status. */
int sdx_busctl(const char *addr, int timeout_ms, sdx_out *o, ...);
/* The same with an argument vector (ARGC strings). */
int sdx_busctlv(const char *addr, int timeout_ms, sdx_out *o, int argc, char **args);
/* Start ARGV in the background with stdout to OUT_FILE and stderr to ERR_FILE;
 * returns its pid (or -1). */
pid_t sdx_bg_start(char *const argv[], const char *out_file, const char *err_file);
/* Stop it (SIGTERM, then SIGKILL after 2 s) and reap it; returns its status. */
int sdx_bg_stop(pid_t pid);
/* Send SIG to PID (a child of ours, e.g. edged) and reap it within TIMEOUT_MS;
 * past that, SIGKILL. Returns its exit status (128+signal), or -1 when it had
 * to be killed. */
int sdx_stop_pid(pid_t pid, int sig, int timeout_ms);
/* The last 3000 bytes of the file at PATH (edged's log), in a static buffer. */
const char *sdx_log_tail(const char *path);
/* The end of a case: edged (F->pid), if still running, must stop cleanly on
 * SIGTERM (exit 0: under EDGED_WRAPPER=valgrind or ASan a finding makes it
 * non-zero). Prints the log's tail and returns -1 otherwise. */
struct dfx;
int sdx_stop_checked(struct dfx *f);
/* Stop every client this fixture started that still runs (busctl, monitors,
 * sdx_bg_start); not the dbus-daemons. */
void sdx_reap_all(void);

/* busctl monitor on ADDR, filtered with MATCH (a D-Bus match rule, or NULL for
 * everything), writing one JSON message per line to OUT_FILE; returns once the
 * monitor is in place, or -1. */
pid_t sdx_monitor_start(const char *addr, const char *match, const char *out_file);

/* Time */
int64_t sdx_now_us(void); /* CLOCK_MONOTONIC */
int64_t sdx_realtime_ms(void);
/* The whole file as a string (malloc'd), or NULL. */
char *sdx_slurp(const char *path, size_t *len);

#endif
