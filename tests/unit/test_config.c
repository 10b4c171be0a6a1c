/* tests/unit/test_config.c - daemon/config.c: the option table, the INI file, overrides.
 *
 * Owns: checks of the defaults; that every kind of bad value, an unknown key,
 * an unknown section, a key outside a section and a syntax error stop the
 * load with "FILE:LINE: [section] key: ..." naming the right line, and leave
 * the configuration untouched; that good values of every type (sizes with
 * suffixes, octal modes, quoted strings, indented lines, ';' comments) are
 * read; command-line overrides; that conf/edged.conf is exactly the rendering
 * of the defaults, parses, and names every option; and what a reload applies. A section a
 * front end owns (dm_config_use_sections: its rows, offsets into its own struct) is read,
 * set, rendered, reloaded and refused exactly as the core table's are; a section that does
 * not fit is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_impl.h"
#include "daemon.h"
#include "log.h"
#include "frontend.h"
#include "test_support.h"

#ifndef EDGED_SOURCE_ROOT
#error "EDGED_SOURCE_ROOT must name the source tree (tests/meson.build sets it)"
#endif

/* TEXT into a new temporary file; its path is malloc'd. */
static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/edged-test-config-XXXXXX");
    assert_non_null(path);
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    const size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

/* Load TEXT over the defaults; returns the result, ERR gets the message. */
static int load_text(const char *text, dm_config *c, char *err, size_t len, char **path_out)
{
    char *path = write_temp(text);
    dm_config_defaults(c);
    err[0] = '\0';
    const int rc = dm_config_load(c, path, true, err, len);
    unlink(path);
    if (path_out)
        *path_out = path;
    else
        free(path);
    return rc;
}

/* TEXT must fail at LINE with a message containing WHAT and MSG. */
static void expect_error(const char *text, int line, const char *what, const char *msg)
{
    dm_config c, defaults;
    dm_config_defaults(&defaults);
    char err[1024], *path;
    const int rc = load_text(text, &c, err, sizeof err, &path);
    char want[512];
    snprintf(want, sizeof want, "%s:%d: %s", path, line, what);
    if (rc != -1 || strncmp(err, want, strlen(want)) != 0 || !strstr(err, msg))
        fail_msg("for:\n%s\nwanted '%s...%s', got rc %d: '%s'", text, want, msg, rc, err);
    /* A failed load changes nothing. */
    assert_memory_equal(&c, &defaults, sizeof c);
    free(path);
}

static void test_defaults(void **state)
{
    (void)state;
    dm_config c;
    dm_config_defaults(&c);
    assert_string_equal(c.socket_path, "/run/edged/edged.sock");
    assert_int_equal(c.socket_mode, 0660);
    assert_string_equal(c.admin_group, "edged");
    assert_string_equal(c.models_dir, "/var/lib/edged/models");
    assert_int_equal(c.workers, 0);
    assert_int_equal(c.queue_depth, 64);
    assert_int_equal(c.idle_timeout_ms, 30000);
    assert_int_equal(c.max_connections, 256);
    assert_int_equal(c.max_header_bytes, 16384);
    assert_true(c.max_body_bytes == 64ull << 20);
    assert_int_equal(c.drain_timeout_ms, 10000);
    assert_int_equal(c.default_timeout_ms, 0);
    assert_true(c.max_arena_bytes == 512ull << 20);
    assert_int_equal(c.log_level, DM_LOG_INFO);
}

static void test_bad_values(void **state)
{
    (void)state;
    expect_error("# comment\n\n[scheduler]\nworkers = abc\n", 4, "[scheduler] workers:",
                 "'abc' is not a number; expected an integer from 0 to 1024");
    expect_error("[scheduler]\nqueue_depth = 0\n", 2, "[scheduler] queue_depth:",
                 "0 is out of range; expected an integer from 1 to 65536");
    expect_error("[scheduler]\nworkers = 99999999999999999999999\n", 2,
                 "[scheduler] workers:", "out of range");
    expect_error("[scheduler]\nworkers = -1\n", 2, "[scheduler] workers:", "not a number");
    expect_error("[scheduler]\nworkers = 4 # four\n", 2,
                 "[scheduler] workers:", "a comment goes on its own line");
    expect_error("[server]\nmax_body_bytes = 12X\n", 2,
                 "[server] max_body_bytes:", "expected a size from 1K to 4G");
    expect_error("[server]\nmax_body_bytes = 5G\n", 2,
                 "[server] max_body_bytes:", "5G is out of range");
    expect_error("[server]\nsocket_mode = 0999\n", 2,
                 "[server] socket_mode:", "'0999' is not an octal mode");
    expect_error("[server]\nsocket_mode = 01777\n", 2, "[server] socket_mode:", "out of range");
    expect_error("[log]\nlevel = loud\n", 2,
                 "[log] level:", "'loud' is not a log level; expected error, warn, info or debug");
    expect_error("[server]\nsocket =\n", 2, "[server] socket:", "must not be empty");
    expect_error("[server]\ntcp = localhost:80\n", 2,
                 "[server] tcp:", "'localhost' is not a numeric IPv4 address");
    expect_error("[server]\ntcp = 127.0.0.1\n", 2, "[server] tcp:", "is not HOST:PORT");
    expect_error("[server]\ntcp = 127.0.0.1:0\n", 2,
                 "[server] tcp:", "the port must be a number from 1 to 65535");
    expect_error("[server]\ntcp = ::1:80\n", 2, "[server] tcp:", "not a numeric IPv4 address");
    expect_error("[server]\ntcp = [::1:80\n", 2, "[server] tcp:", "goes in brackets");
#if EDGED_HAVE_DBUS
    expect_error("[dbus]\nbus = session\n", 2,
                 "[dbus] bus:", "'session' is not system, user, none or a D-Bus address");
#endif
    expect_error("[systemd]\nstuck_worker_ms = -5\n", 2,
                 "[systemd] stuck_worker_ms:", "not a number");
    dm_config ok;
    char err[512];
    assert_int_equal(load_text("[server]\ntcp = [::1]:8080\n[dbus]\nbus = unix:path=/tmp/b\n"
                               "[systemd]\nstuck_worker_ms = 0\n",
                               &ok, err, sizeof err, NULL),
                     0);
    assert_string_equal(ok.tcp_listen, "[::1]:8080");
    char bus[300];
    assert_int_equal(dm_config_get(&ok, "dbus", "bus", bus, sizeof bus), 0);
    assert_string_equal(bus, "unix:path=/tmp/b");
    assert_int_equal(ok.stuck_worker_ms, 0);
    char text[400];
    snprintf(text, sizeof text, "[server]\nsocket = /%0120d\n", 0);
    expect_error(text, 2, "[server] socket:", "is too long (121 characters; at most 107)");
}

static void test_bad_structure(void **state)
{
    (void)state;
    expect_error("[server]\nsocket = /tmp/x\nsokcet = /tmp/y\n", 3,
                 "[server] sokcet:", "unknown key (keys in [server]: socket, socket_mode");
    expect_error("[server]\n\n[servr]\nsocket = /x\n", 3, "[servr]:", "unknown section");
    expect_error("workers = 2\n", 1,
                 "workers:", "option outside a section; it belongs under [scheduler]");
    expect_error("[server]\nthis line is wrong\n", 2, "'this line is wrong':", "syntax error");
    expect_error("[server\n", 1, "[server:", "closing ']'");
    char text[1200];
    snprintf(text, sizeof text, "[models]\n; long line\nrepository = /%0900d\n", 0);
    expect_error(text, 3, "line:", "too long");
}

static void test_good_file(void **state)
{
    (void)state;
    dm_config c;
    char err[1024];
    const char *text = "; edged test\n"
                       "[server]\n"
                       "  socket = \"/tmp/edged test.sock\"\n"
                       "socket_mode = 0600 ; owner only\n"
                       "admin_group = wheel\n"
                       "max_connections = 10\n"
                       "idle_timeout_ms = 500\n"
                       "max_header_bytes = 8KiB\n"
                       "max_body_bytes = 2m\n"
                       "drain_timeout_ms = 0\n"
                       "[models]\n"
                       "repository = ./models\n"
                       "max_arena_bytes = 1G\n"
                       "[scheduler]\n"
                       "\tworkers = 3\n"
                       "queue_depth = 7\n"
                       "default_timeout_ms = 250\n"
                       "[log]\n"
                       "level = debug\n";
    assert_int_equal(load_text(text, &c, err, sizeof err, NULL), 0);
    assert_string_equal(c.socket_path, "/tmp/edged test.sock");
    assert_int_equal(c.socket_mode, 0600);
    assert_string_equal(c.admin_group, "wheel");
    assert_int_equal(c.max_connections, 10);
    assert_int_equal(c.idle_timeout_ms, 500);
    assert_int_equal(c.max_header_bytes, 8192);
    assert_true(c.max_body_bytes == 2ull << 20);
    assert_int_equal(c.drain_timeout_ms, 0);
    assert_string_equal(c.models_dir, "./models");
    assert_true(c.max_arena_bytes == 1ull << 30);
    assert_int_equal(c.workers, 3);
    assert_int_equal(c.queue_depth, 7);
    assert_int_equal(c.default_timeout_ms, 250);
    assert_int_equal(c.log_level, DM_LOG_DEBUG);
}

static void test_missing_file(void **state)
{
    (void)state;
    dm_config c, d;
    dm_config_defaults(&c);
    dm_config_defaults(&d);
    char err[512] = "";
    assert_int_equal(dm_config_load(&c, "/nonexistent/edged.conf", false, err, sizeof err), 0);
    assert_memory_equal(&c, &d, sizeof c);
    assert_int_equal(dm_config_load(&c, "/nonexistent/edged.conf", true, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/edged.conf"));
    assert_non_null(strstr(err, "No such file"));
}

static void test_overrides(void **state)
{
    (void)state;
    dm_config c;
    dm_config_defaults(&c);
    char err[512];
    assert_int_equal(dm_config_set(&c, "socket", "/tmp/s.sock", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&c, "models", "/tmp/models", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&c, "workers", "2", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&c, "log-level", "warn", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&c, "scheduler.queue_depth", "9", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&c, "idle-timeout-ms", "1000", err, sizeof err), 0);
    assert_string_equal(c.socket_path, "/tmp/s.sock");
    assert_string_equal(c.models_dir, "/tmp/models");
    assert_int_equal(c.workers, 2);
    assert_int_equal(c.log_level, DM_LOG_WARN);
    assert_int_equal(c.queue_depth, 9);
    assert_int_equal(c.idle_timeout_ms, 1000);
    const dm_config before = c;
    assert_int_equal(dm_config_set(&c, "workers", "many", err, sizeof err), -1);
    assert_string_equal(err, "--workers: 'many' is not a number; expected an integer from 0 to "
                             "1024");
    assert_int_equal(dm_config_set(&c, "log-level", "verbose", err, sizeof err), -1);
    assert_non_null(strstr(err, "--log-level: 'verbose' is not a log level"));
    assert_int_equal(dm_config_set(&c, "colour", "blue", err, sizeof err), -1);
    assert_string_equal(err, "--colour: unknown option");
    assert_memory_equal(&c, &before, sizeof c);
}

/* Every option of the table, LIVE or not, in OUT (up to N). */
static size_t table_keys(const char **sections, const char **keys, bool *live, size_t n)
{
    size_t i = 0;
    while (i < n && dm_config_option(i, &sections[i], &keys[i], &live[i]))
        i++;
    return i;
}

static void test_example_file(void **state)
{
    (void)state;
    const char *path = EDGED_SOURCE_ROOT "/conf/edged.conf";
    size_t len = 0;
    char *text = edge_test_read_file(path, &len);
    assert_non_null(text);
    text = realloc(text, len + 1);
    text[len] = '\0';
    dm_config defaults;
    dm_config_defaults(&defaults);
    size_t rlen = 0;
    char *rendered = dm_config_render(&defaults, &rlen);
    assert_non_null(rendered);
    /* a build without a front end renders its stand-in section only (frontends.c) */
    const bool every_section = EDGED_HAVE_MQTT && EDGED_HAVE_DBUS && EDGED_HAVE_FRIGATE;
    if (!every_section)
        printf("# a front end is left out: conf/edged.conf is not this build's rendering\n");
    else if (rlen != len || memcmp(rendered, text, len) != 0)
        fail_msg("%s differs from the option table's rendering; regenerate it with "
                 "edged --config /dev/null --print-config > conf/edged.conf",
                 path);
    /* It parses, and names every option. */
    dm_config c = defaults;
    char err[1024];
    assert_int_equal(dm_config_load(&c, path, true, err, sizeof err), 0);
    const char *sections[64], *keys[64];
    bool live[64];
    const size_t n = table_keys(sections, keys, live, 64);
    (void)every_section;
    assert_true(n >= 14);
    for (size_t i = 0; i < n; i++) {
        char line[128];
        snprintf(line, sizeof line, "\n#%s =", keys[i]);
        if (!strstr(text, line))
            fail_msg("conf/edged.conf does not document [%s] %s", sections[i], keys[i]);
    }
    /* With every option uncommented it still parses, to the defaults. */
    char *p = text;
    while ((p = strstr(p, "\n#"))) {
        const char *eol = strchr(p + 2, '\n');
        const char *eq = strstr(p + 2, " = ");
        if (p[2] != ' ' && p[2] != '\n' && eq && (!eol || eq < eol))
            p[1] = ' ';
        p += 2;
    }
    char *tmp = write_temp(text);
    assert_int_equal(dm_config_load(&c, tmp, true, err, sizeof err), 0);
    assert_memory_equal(&c, &defaults, sizeof c);
    unlink(tmp);
    free(tmp);
    free(rendered);
    free(text);
}

static void test_render_round_trip(void **state)
{
    (void)state;
    dm_config c, back;
    dm_config_defaults(&c);
    char err[512];
    assert_int_equal(dm_config_set(&c, "socket", "/tmp/x.sock", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&c, "max_body_bytes", "1536K", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&c, "max_arena_bytes", "123456789", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&c, "socket_mode", "0640", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&c, "log-level", "error", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&c, "admin_group", "wheel", err, sizeof err), 0);
    char *text = dm_config_render(&c, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "\nsocket = /tmp/x.sock\n"));
    assert_non_null(strstr(text, "\nmax_body_bytes = 1536K\n"));
    assert_non_null(strstr(text, "\n#queue_depth = 64\n"));
    char *path = write_temp(text);
    dm_config_defaults(&back);
    assert_int_equal(dm_config_load(&back, path, true, err, sizeof err), 0);
    assert_memory_equal(&back, &c, sizeof c);
    unlink(path);
    free(path);
    free(text);
}

static void test_reload(void **state)
{
    (void)state;
    dm_config cur, next;
    dm_config_defaults(&cur);
    next = cur;
    char err[256];
    assert_int_equal(dm_config_set(&next, "log-level", "debug", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&next, "workers", "7", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&next, "socket", "/tmp/other.sock", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&next, "idle_timeout_ms", "1234", err, sizeof err), 0);
    assert_int_equal(dm_config_reload(&cur, &next), 4);
    assert_int_equal(cur.log_level, DM_LOG_DEBUG);                 /* live */
    assert_int_equal(cur.idle_timeout_ms, 1234);                   /* live */
    assert_int_equal(cur.workers, 0);                              /* restart */
    assert_string_equal(cur.socket_path, "/run/edged/edged.sock"); /* restart */
    assert_int_equal(dm_config_reload(&cur, &cur), 0);
    dm_log_set_level(DM_LOG_INFO);
}

/* [demo]: a front end's own section, as a front end's file declares it. */
typedef struct demo_config {
    char greeting[32];
    uint32_t port;
} demo_config;

#define DEMO(f) offsetof(demo_config, f), sizeof(((demo_config *)0)->f)
static const opt demo_rows[] = {
    {"demo", "greeting", "demo-greeting", OPT_STRING, DEMO(greeting), 1, 31, "hello", true,
     "What it says.", NULL},
    {"demo", "port", NULL, OPT_UINT, DEMO(port), 1, 65535, "7", false, "Its port.", NULL},
};
static const dm_config_section demo = {.name = "demo",
                                       .after = "log",
                                       .help = "The demo front end.",
                                       .opts = demo_rows,
                                       .n_opts = 2,
                                       .size = sizeof(demo_config)};

static void test_sections(void **state)
{
    (void)state;
    const dm_config_section *s[] = {&demo};
    assert_int_equal(dm_config_use_sections(s, 1), 0);
    dm_config c;
    char err[1024];
    assert_int_equal(load_text("[demo]\nport = 80\n", &c, err, sizeof err, NULL), 0);
    const demo_config *dc = dm_config_section_get(&c, &demo);
    assert_non_null(dc);
    assert_string_equal(dc->greeting, "hello"); /* its default */
    assert_int_equal(dc->port, 80);
    assert_int_equal(c.log_level, DM_LOG_INFO); /* the core table is untouched */
    expect_error("[demo]\nport = 0\n", 2,
                 "[demo] port:", "0 is out of range; expected an integer from 1 to 65535");
    expect_error("[demo]\nnope = 1\n", 2, "[demo] nope:",
                 "unknown key (keys in [demo]: "
                 "greeting, port)");
    expect_error("[nosuch]\n", 1, "[nosuch]:", ", power, log, demo)");
    expect_error("port = 3\n", 1, "port:", "option outside a section; it belongs under [demo]");
    /* the command line, by its name and as section.key; a reload applies the live one */
    dm_config next = c;
    assert_int_equal(dm_config_set(&next, "demo-greeting", "hi", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&next, "demo.port", "81", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&next, "demo.port", "0", err, sizeof err), -1);
    assert_string_equal(err, "--demo.port: 0 is out of range; expected an integer from 1 to 65535");
    assert_int_equal(dm_config_reload(&c, &next), 2);
    assert_string_equal(dc->greeting, "hi"); /* live */
    assert_int_equal(dc->port, 80);          /* takes a restart */
    /* rendered after [log], with its rows */
    size_t len = 0;
    char *text = dm_config_render(&c, &len);
    assert_non_null(text);
    const char *at = strstr(text, "\n[demo]\n");
    assert_non_null(at);
    assert_true(at > strstr(text, "\n[log]\n"));
    assert_non_null(strstr(at, "\ngreeting = hi\n"));
    free(text);
    text = dm_config_render_man(&len);
    assert_non_null(strstr(text, ".SH [demo]\nThe demo front end.\n.TP\n.B greeting\n"));
    free(text);
    /* what does not fit is refused, and the sections handed before stay */
    static const dm_config_section big = {
        .name = "big", .after = "log", .size = DM_CONFIG_SECTION_BYTES + 1};
    static const dm_config_section twin = {.name = "server", .after = "log"};
    static const dm_config_section lost = {.name = "lost", .after = "nowhere"};
    const dm_config_section *bad[][1] = {{&big}, {&twin}, {&lost}};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(dm_config_use_sections(bad[i], 1), -1);
    assert_non_null(dm_config_section_get(&c, &demo));
    dm_frontends_config(); /* back to this build's */
    dm_log_set_level(DM_LOG_INFO);
}

int main(void)
{
    dm_frontends_config();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),      cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_bad_structure), cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_missing_file),  cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_example_file),  cmocka_unit_test(test_render_round_trip),
        cmocka_unit_test(test_reload),        cmocka_unit_test(test_sections),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
