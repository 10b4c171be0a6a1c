/* daemon/log.h - the daemon's log: levels and one line per message to stderr (journald's prefix).
 *
 * Owns: the contract of log.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_LOG_H
#define EDGED_LOG_H

#include <stdarg.h>

typedef enum { DM_LOG_ERROR = 0, DM_LOG_WARN, DM_LOG_INFO, DM_LOG_DEBUG } dm_log_level;
void dm_log_set_level(dm_log_level l);
dm_log_level dm_log_get_level(void);
/* "error", "warn", "info", "debug" -> level; -1 if unknown. */
int dm_log_parse_level(const char *s);
/* Forget where stderr goes, so that the next message looks again (tests). */
void dm_log_reset(void);
/* One line to stderr with a "<N>" syslog prefix journald understands, and the
 * name "edged: " unless stderr is the journal's stream (JOURNAL_STREAM). Thread safe. */
void dm_log(dm_log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A test-only hook: the environment's VAR=MODEL:MS, read by dm_test_stall_init (logged as a
 * warning saying WHAT waits), makes dm_test_stall_wait sleep MS milliseconds for MODEL, so that
 * a test can hold an inference or a load for a known time (EDGED_TEST_STALL, EDGED_TEST_LOAD_STALL).
 * Unset or malformed: nothing. */
typedef struct dm_test_stall {
    char model[65];
    unsigned ms;
} dm_test_stall;
void dm_test_stall_init(dm_test_stall *s, const char *var, const char *what);
void dm_test_stall_wait(const dm_test_stall *s, const char *model);

#endif
