/* tests/unit/test_log.c - daemon/log.c: the line format on each kind of stderr.
 *
 * stderr is pointed at a temporary file (dup2), JOURNAL_STREAM set or not, and
 * dm_log_reset makes log.c look again: a file stderr gets "<N>edged: text"; the
 * same file named by JOURNAL_STREAM (its st_dev:st_ino, as systemd sets it)
 * gets "<N>text", since journald prints "edged[PID]:" itself; a JOURNAL_STREAM
 * naming another file (a child whose stderr was redirected) or malformed keeps
 * the name. Control characters become spaces and the level's priority is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static int saved_stderr = -1;
static FILE *sink;

static int setup(void **state)
{
    (void)state;
    saved_stderr = dup(STDERR_FILENO);
    sink = tmpfile();
    if (saved_stderr < 0 || !sink || dup2(fileno(sink), STDERR_FILENO) < 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    fclose(sink);
    unsetenv("JOURNAL_STREAM");
    dm_log_reset();
    return 0;
}

/* Logs one message with JOURNAL_STREAM set to STREAM (NULL: unset) and returns
 * what reached stderr (static buffer). */
static const char *log_with(const char *stream, dm_log_level l, const char *text)
{
    static char got[512];
    assert_int_equal(ftruncate(STDERR_FILENO, 0), 0);
    assert_int_equal(lseek(STDERR_FILENO, 0, SEEK_SET), 0);
    if (stream)
        setenv("JOURNAL_STREAM", stream, 1);
    else
        unsetenv("JOURNAL_STREAM");
    dm_log_reset();
    dm_log(l, "%s", text);
    const ssize_t n = pread(STDERR_FILENO, got, sizeof got - 1, 0);
    assert_true(n >= 0);
    got[n] = 0;
    return got;
}

static char *own_stream(void)
{
    static char s[64];
    struct stat st;
    assert_int_equal(fstat(STDERR_FILENO, &st), 0);
    snprintf(s, sizeof s, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    return s;
}

static void test_plain_stderr_keeps_the_name(void **state)
{
    (void)state;
    assert_string_equal(log_with(NULL, DM_LOG_INFO, "serving"), "<6>edged: serving\n");
    assert_string_equal(log_with(NULL, DM_LOG_ERROR, "bad\nline"), "<3>edged: bad line\n");
}

static void test_journal_stream_drops_the_name(void **state)
{
    (void)state;
    const char *s = own_stream();
    assert_string_equal(log_with(s, DM_LOG_INFO, "serving"), "<6>serving\n");
    assert_string_equal(log_with(s, DM_LOG_WARN, "slow"), "<4>slow\n");
    assert_string_equal(log_with(s, DM_LOG_ERROR, "a\tb"), "<3>a b\n");
    dm_log_set_level(DM_LOG_DEBUG);
    assert_string_equal(log_with(s, DM_LOG_DEBUG, "detail"), "<7>detail\n");
    dm_log_set_level(DM_LOG_INFO);
}

static void test_other_stream_keeps_the_name(void **state)
{
    (void)state;
    struct stat st;
    assert_int_equal(fstat(STDERR_FILENO, &st), 0);
    char s[80];
    /* inherited from a parent whose stderr was the journal: another inode */
    snprintf(s, sizeof s, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino + 1);
    assert_string_equal(log_with(s, DM_LOG_INFO, "x"), "<6>edged: x\n");
    const char *bad[] = {"", ":", "12", "12:", ":34", "12:34x", "a:b", "12:34:56"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(log_with(bad[i], DM_LOG_INFO, "x"), "<6>edged: x\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_stderr_keeps_the_name),
        cmocka_unit_test(test_journal_stream_drops_the_name),
        cmocka_unit_test(test_other_stream_keeps_the_name),
    };
    return cmocka_run_group_tests_name("log", tests, setup, teardown);
}
