/* tests/integration/daemon_fixture.h - start and drive a real edged for integration tests.
 *
 * Owns: a temporary model repository (the generated digits demo, the shared
 * models in both layouts), writing a config, starting the edged binary
 * ($EDGED_BIN) on a temporary socket and waiting until it is ready, stopping
 * it, and talking to it: with curl (a real third-party client) and with raw
 * AF_UNIX bytes for malformed input. */
#ifndef EDGED_DAEMON_FIXTURE_H
#define EDGED_DAEMON_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

/* Built with ASan (DFX_UNDER_ASAN), or with ASan or TSan (DFX_SANITIZED): edged is too, and
 * its resident memory and latency are the sanitizer's more than its own. */
#if defined(__SANITIZE_ADDRESS__)
#define DFX_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DFX_UNDER_ASAN 1
#endif
#endif
#ifndef DFX_UNDER_ASAN
#define DFX_UNDER_ASAN 0
#endif
#if DFX_UNDER_ASAN || defined(__SANITIZE_THREAD__)
#define DFX_SANITIZED 1
#else
#define DFX_SANITIZED 0
#endif

typedef struct dfx {
    char dir[64];     /* temporary folder */
    char sock[128];   /* socket path */
    char models[128]; /* repository */
    char conf[128];
    char log[128]; /* set by dfx_init; edged's output goes there when log_to_file */
    bool log_to_file;
    pid_t pid;
    /* Optional, for the systemd and D-Bus tests; dfx_init zeroes them (no effect). */
    const char *env[8];         /* "NAME=VALUE" put in edged's environment */
    int listen_fds[4];          /* passed as fds 3, 4, ... with LISTEN_FDS and LISTEN_PID */
    int n_listen_fds;           /* (systemd socket activation); 0: none */
    const char *listen_fdnames; /* LISTEN_FDNAMES, or NULL */
    bool watchdog_pid;          /* WATCHDOG_PID = edged's pid */
    const char *conf_socket;    /* [server] socket in the config, when not SOCK (which the
                                 * tests connect to: a socket passed by activation) */
    bool no_wait;               /* dfx_start returns once edged runs; see dfx_wait_ready */
} dfx;

/* Build the repository once per fixture (NULL shared dir: demo model only). */
int dfx_init(dfx *f, const char *shared);
/* Write the config (EXTRA: more "key = value" lines under [scheduler]/[server]
 * sections, as literal text) and start edged ($EDGED_BIN, under $EDGED_WRAPPER
 * when set, e.g. valgrind); waits until /v2/health/ready is 200. */
int dfx_start(dfx *f, const char *extra_ini);
/* Wait up to TIMEOUT_MS until /v2/health/ready is 200 on SOCK; -1 when edged
 * exited (f->pid is then -1) or the time ran out. */
int dfx_wait_ready(dfx *f, int timeout_ms);
/* How often NEEDLE occurs in edged's log (log_to_file); -1 when unreadable. */
int dfx_log_count(const dfx *f, const char *needle);
/* Wait up to TIMEOUT_MS for NEEDLE to occur at least N times in the log. */
bool dfx_log_wait(const dfx *f, const char *needle, int n, int timeout_ms);
/* How long a test waits for a line it expects in edged's log (dfx_log_wait returns as soon as it
 * is there): a bound for a hang, not a speed. edged runs under valgrind in one of CI's stages,
 * beside a CPU hog on every core in another. */
#define DFX_LOG_WAIT_MS 60000
/* Run the shell command FMT... (system(3)); fails the test when it does not exit 0. */
void dfx_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A whole file (NUL-terminated, malloc'd; *LEN bytes when LEN), or NULL. */
char *dfx_slurp(const char *path, size_t *len);
/* The start of an integration test's main: the shared folder (EDGE_SHARED_DIR),
 * or NULL after printing why the test skips (no $EDGED_BIN, no shared models). */
const char *dfx_shared_or_skip(void);
/* The zoo (EDGE_SHARED_DIR/zoo) into ZOO (LEN bytes): false, ZOO empty, after
 * printing why the camera tests skip (no shared folder or no zoo in it). */
bool dfx_zoo_or_skip(char *zoo, size_t len);
/* A free TCP port on 127.0.0.1 (bound, read, closed); -1 on failure. */
int dfx_free_port(void);
/* Whether edged runs under $EDGED_WRAPPER (valgrind ...): then prints why WHAT
 * (a timing-dependent case) is skipped; the caller calls cmocka's skip(). */
bool dfx_under_wrapper(const char *what);
/* Send SIG, wait for exit; returns the exit status (or 128+signal). */
int dfx_stop(dfx *f, int sig);
void dfx_cleanup(dfx *f);

/* curl against the socket: METHOD PATH, optional body file and extra curl args.
 * Returns the HTTP status (0 if curl failed); the body goes to *BODY (malloc'd,
 * NUL-terminated, may be NULL) and the response headers to *HEADERS. */
int dfx_curl(dfx *f, const char *method, const char *path, const char *body_file, const char *extra,
             char **body, size_t *body_len, char **headers);
/* A poll while edged starts: the HTTP status of GET PATH by curl, or 0 without asking curl while
 * the socket takes no connection (curl would print `curl: (7) Failed to connect` each time). */
int dfx_poll(dfx *f, const char *path);

/* Raw bytes to the socket; reads the reply until the server closes or TIMEOUT_MS
 * passes. Returns bytes read (reply NUL-terminated in *OUT, malloc'd), and sets
 * *closed when the server closed the connection. */
ssize_t dfx_raw(dfx *f, const void *req, size_t len, int timeout_ms, char **out, bool *closed);
/* The shared models (the folder names in SHARED/models, NULL-terminated; free with
 * edge_test_free_list), whether MODEL's reference outputs are bit-exact (else
 * within +-2: the two legacy uint8 models, see their meta.txt), and whether GOT
 * matches WANT: NULL, or what differs (a static buffer). */
char **dfx_model_names(const char *shared);
bool dfx_model_exact(const char *shared, const char *model);
const char *dfx_output_diff(const uint8_t *got, size_t got_len, const uint8_t *want,
                            size_t want_len, bool exact);
/* A connected socket (or -1). */
int dfx_connect(dfx *f);

/* edged's resident set (VmRSS of /proc/PID/status) in KiB, or -1 when it is not running. */
long dfx_rss_kb(const dfx *f);
/* GET PATH as JSON (the caller decrefs); the calling cmocka test fails unless the status is
 * WANT and the body is JSON. */
json_t *dfx_get_json(dfx *f, const char *path, int want);
/* Whether edged still runs; when it has exited, reaps it, sets f->pid to -1 and puts its
 * exit status (or 128+signal) in *STATUS. */
bool dfx_alive(dfx *f, int *status);

#endif
