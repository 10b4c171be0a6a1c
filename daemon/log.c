/* daemon/log.c - leveled logging to stderr, one line per message.
 *
 * Owns: the process-wide log level and the line format. Each message becomes
 * exactly one line written with a single write(2): "<N>edged: text" where <N>
 * is the sd-daemon(3) priority prefix journald turns into the PRIORITY field
 * (3 error, 4 warning, 6 info, 7 debug). When stderr is the journal's stream
 * (JOURNAL_STREAM names its device and inode, systemd.exec(5)) the name goes:
 * "<N>text", since journald prints "edged[PID]:" itself. On a terminal the
 * prefix is spelled out instead ("edged: warning: text"). Newlines and other control characters
 * inside a message become spaces, so a message can never forge another line.
 * Thread safe: workers may log (rarely: a failure to build an interpreter).
 * Does not own: deciding what is worth a line (callers log once, where a
 * problem is handled; nothing per request at the default level). */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 2048

static atomic_int log_level = DM_LOG_INFO;
/* Where stderr goes, found at the first message (dm_log_reset forgets it). */
enum { SINK_UNKNOWN = -1, SINK_OTHER, SINK_TTY, SINK_JOURNAL };
static atomic_int log_sink = SINK_UNKNOWN;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct {
    const char *name;
    const char *prefix;   /* sd-daemon priority */
    const char *tty_word; /* on a terminal */
} levels[] = {
    [DM_LOG_ERROR] = {"error", "<3>", "error: "},
    [DM_LOG_WARN] = {"warn", "<4>", "warning: "},
    [DM_LOG_INFO] = {"info", "<6>", ""},
    [DM_LOG_DEBUG] = {"debug", "<7>", "debug: "},
};

void dm_log_set_level(dm_log_level l)
{
    int v = (int)l;
    if (v < DM_LOG_ERROR)
        v = DM_LOG_ERROR;
    if (v > DM_LOG_DEBUG)
        v = DM_LOG_DEBUG;
    atomic_store(&log_level, v);
}

dm_log_level dm_log_get_level(void)
{
    return (dm_log_level)atomic_load(&log_level);
}

int dm_log_parse_level(const char *s)
{
    for (size_t i = 0; s && i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp(s, levels[i].name) == 0)
            return (int)i;
    if (s && strcmp(s, "warning") == 0)
        return DM_LOG_WARN;
    return -1;
}

/* stderr is the stream systemd connected to journald: JOURNAL_STREAM is
 * "DEVICE:INODE" of that stream (sd_journal_stream_fd(3)), and a child that
 * inherited the variable but had stderr redirected does not match it. */
static bool stderr_is_journal(void)
{
    const char *e = getenv("JOURNAL_STREAM");
    if (!e || !*e)
        return false;
    char *end;
    errno = 0;
    const unsigned long long dev = strtoull(e, &end, 10);
    if (errno || end == e || *end != ':')
        return false;
    const char *ino_s = end + 1;
    const unsigned long long ino = strtoull(ino_s, &end, 10);
    if (errno || end == ino_s || *end)
        return false;
    struct stat st;
    return fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

static int detect_sink(void)
{
    if (isatty(STDERR_FILENO) == 1)
        return SINK_TTY;
    return stderr_is_journal() ? SINK_JOURNAL : SINK_OTHER;
}

void dm_log_reset(void)
{
    atomic_store(&log_sink, SINK_UNKNOWN);
}

/* Control characters (a newline in a file name, an error text) become spaces. */
static void flatten(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            s[i] = ' ';
}

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        const ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere to report it */
        p += w;
        n -= (size_t)w;
    }
}

void dm_log(dm_log_level l, const char *fmt, ...)
{
    if ((int)l > atomic_load(&log_level))
        return;
    if ((int)l < DM_LOG_ERROR || (int)l > DM_LOG_DEBUG)
        l = DM_LOG_ERROR;
    const int saved = errno; /* callers may log between a failure and reading errno */
    char line[LOG_LINE_MAX];
    int sink = atomic_load(&log_sink);
    if (sink == SINK_UNKNOWN) {
        sink = detect_sink();
        atomic_store(&log_sink, sink);
    }
    const bool tty = sink == SINK_TTY;
    int head = snprintf(line, sizeof line, "%s%s%s", tty ? "" : levels[l].prefix,
                        sink == SINK_JOURNAL ? "" : "edged: ", tty ? levels[l].tty_word : "");
    if (head < 0)
        head = 0;
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(line + head, sizeof line - (size_t)head, fmt, ap);
    va_end(ap);
    size_t len = (size_t)head + (n > 0 ? (size_t)n : 0);
    if (len > sizeof line - 2) {
        /* Truncated: say so at the end of the line. */
        len = sizeof line - 2;
        memcpy(line + len - 3, "...", 3);
    }
    flatten(line + head, len - (size_t)head);
    line[len++] = '\n';
    pthread_mutex_lock(&log_lock);
    write_all(line, len);
    pthread_mutex_unlock(&log_lock);
    errno = saved;
}

void dm_test_stall_init(dm_test_stall *s, const char *var, const char *what)
{
    *s = (dm_test_stall){0};
    const char *e = getenv(var);
    const char *colon = e ? strrchr(e, ':') : NULL;
    if (!colon || colon == e || (size_t)(colon - e) >= sizeof s->model)
        return;
    snprintf(s->model, sizeof s->model, "%.*s", (int)(colon - e), e);
    s->ms = (unsigned)strtoul(colon + 1, NULL, 10);
    dm_log(DM_LOG_WARN, "test hook %s: %s of %s wait %u ms first", var, what, s->model, s->ms);
}

void dm_test_stall_wait(const dm_test_stall *s, const char *model)
{
    if (s->ms && strcmp(model, s->model) == 0) {
        struct timespec ts = {s->ms / 1000, (long)(s->ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
}
