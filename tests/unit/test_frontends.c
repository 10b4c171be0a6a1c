/* tests/unit/test_frontends.c - daemon/frontends.c: the registration table and the contract.
 *
 * Every front end this build registers names itself and a config section edged knows, has a
 * start, and the table starts with the HTTP server (the DeepStack port is one of its
 * listeners); only D-Bus is freed after the scheduler. The front ends a build left out
 * (meson -Dmqtt, -Ddbus, -Dfrigate, -Dvision) are missing from the table and from
 * dm_frontends_built(), and a configuration that asks for one gets a warning naming the
 * option; a built one gets none. /metrics and the D-Bus status of a daemon whose front ends
 * are all off: D-Bus's "off" state lines only. The idle veto of a daemon with none started:
 * none. A picture in a build without the vision feature is refused with the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/memfile.h"
#include "config_impl.h"
#include "daemon.h"
#include "frontend.h"
#include "image.h"

static const dm_frontend *find(const char *name)
{
    for (size_t i = 0; i < dm_n_frontends; i++)
        if (!strcmp(dm_frontends[i]->name, name))
            return dm_frontends[i];
    return NULL;
}

static bool known_section(const char *s)
{
    for (size_t i = 0; dm_config_section_name(i); i++)
        if (!strcmp(dm_config_section_name(i), s))
            return true;
    return false;
}

static void test_table(void **state)
{
    (void)state;
    assert_true(dm_n_frontends >= 1 && dm_n_frontends <= DM_FRONTENDS_MAX);
    assert_string_equal(dm_frontends[0]->name, "http"); /* the server first */
    for (size_t i = 0; i < dm_n_frontends; i++) {
        const dm_frontend *fe = dm_frontends[i];
        assert_non_null(fe->name);
        assert_non_null(fe->start);
        if (!fe->section || !known_section(fe->section))
            fail_msg("front end %s: section %s is not a config section", fe->name,
                     fe->section ? fe->section : "(none)");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(dm_frontends[j]->name, fe->name);
        /* D-Bus waits for the scheduler: its inferences are answered before it goes */
        assert_int_equal(fe->free_late, !strcmp(fe->name, "dbus"));
    }
}

/* Each optional front end is registered exactly when meson built it. */
static void test_features(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        bool built;
    } f[] = {{"vision", EDGED_HAVE_VISION},
             {"mqtt", EDGED_HAVE_MQTT},
             {"frigate", EDGED_HAVE_FRIGATE},
             {"dbus", EDGED_HAVE_DBUS},
             {"wyoming", EDGED_HAVE_WYOMING}};
    const char *built = dm_frontends_built();
    printf("# front ends built: %s\n", built);
    assert_non_null(strstr(built, "http"));
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        assert_int_equal(find(f[i].name) != NULL, f[i].built);
        assert_int_equal(strstr(built, f[i].name) != NULL, f[i].built);
    }
}

/* What dm_frontends_check_config logs for C, into OUT. */
static void check_config_log(const dm_config *c, char *out, size_t len)
{
    FILE *sink = tmpfile();
    assert_non_null(sink);
    fflush(stderr);
    const int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0 && dup2(fileno(sink), STDERR_FILENO) >= 0);
    dm_frontends_check_config(c);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(sink);
    const size_t n = fread(out, 1, len - 1, sink);
    out[n] = '\0';
    fclose(sink);
}

static void test_left_out_warns(void **state)
{
    (void)state;
    dm_config c;
    dm_config_defaults(&c);
    char log[2048];
    check_config_log(&c, log, sizeof log);
    assert_string_equal(log, ""); /* the defaults ask for nothing left out */
    char err[256];
    assert_int_equal(dm_config_set(&c, "mqtt.host", "broker.example", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&c, "frigate.endpoint", "tcp://127.0.0.1:5555", err, sizeof err),
                     0);
    assert_int_equal(dm_config_set(&c, "vision.listen", "127.0.0.1:5000", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&c, "dbus.bus", "user", err, sizeof err), 0);
    assert_int_equal(dm_config_set(&c, "wyoming.listen", "0.0.0.0", err, sizeof err), 0);
    check_config_log(&c, log, sizeof log);
    if (log[0])
        printf("# %s", log);
    assert_int_equal(strstr(log, "[mqtt] host is set, but this edged was built without mqtt "
                                 "(-Dmqtt=disabled): ignored") != NULL,
                     !EDGED_HAVE_MQTT);
    assert_int_equal(strstr(log, "(-Dfrigate=disabled)") != NULL, !EDGED_HAVE_FRIGATE);
    assert_int_equal(strstr(log, "(-Dvision=disabled)") != NULL, !EDGED_HAVE_VISION);
    assert_int_equal(strstr(log, "(-Ddbus=disabled)") != NULL, !EDGED_HAVE_DBUS);
    assert_int_equal(strstr(log, "(-Dwyoming=disabled)") != NULL, !EDGED_HAVE_WYOMING);
}

/* The table handed over (as dm_frontends_start does) and nothing started: no veto, no note, no
 * status; /metrics has D-Bus's "off" (when built). */
static void test_all_off(void **state)
{
    (void)state;
    static dm_daemon d;
    d.frontends = dm_frontends;
    d.n_frontends = dm_n_frontends;
    assert_null(dm_frontends_idle_veto(&d));
    assert_string_equal(dm_frontends_idle_notes(&d), "");
    const dm_frontend_status st = dm_frontends_status(&d, "mqtt");
    assert_false(st.enabled || st.connected);
    assert_int_equal(dm_frontends_draining(&d), 0);
    char *buf = NULL;
    size_t size = 0, len = 0;
    FILE *f = edge_memfile_open(&buf, &size);
    assert_non_null(f);
    dm_frontends_metrics(&d, f);
    char *text = edge_memfile_close(f, &buf, &size, &len);
    assert_non_null(text);
    assert_int_equal(strstr(text, "edged_dbus_name_state{state=\"off\"} 1") != NULL,
                     EDGED_HAVE_DBUS);
    assert_null(strstr(text, "edged_mqtt_"));
    assert_null(strstr(text, "edged_http_"));
    free(text);
    dm_frontends_free(&d, false); /* nothing to free */
    dm_frontends_free(&d, true);
}

/* A picture in a build without the vision feature: refused, saying why (image inputs over OIP
 * and MQTT get this message); with it, the decoder reads the JPEG (and finds this one cut). */
static void test_pictures(void **state)
{
    (void)state;
    static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0};
    edge_image im = {0};
    char err[256] = "";
    const int rc = edge_image_decode(jpeg, sizeof jpeg, 1u << 20, &im, err, sizeof err);
    printf("# %s\n", err);
    assert_int_not_equal(rc, 0);
    assert_int_equal(strstr(err, "built with -Dvision=disabled") != NULL, !EDGED_HAVE_VISION);
    edge_image_free(&im);
}

/* Each front end's section is read, whether or not the build has it: a build without it has
 * a stand-in that takes any key of it (and the warning above says it is ignored). */
static void test_sections_read(void **state)
{
    (void)state;
    static const char text[] = "[mqtt]\nhost = broker.example\nport = 1884\n[dbus]\nbus = user\n"
                               "[frigate]\nendpoint = tcp://127.0.0.1:5555\nmodel = m\n";
    char path[] = "/tmp/test_frontends_XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0 && write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    dm_config c;
    dm_config_defaults(&c);
    char err[512], v[300];
    const int rc = dm_config_load(&c, path, true, err, sizeof err);
    unlink(path);
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(dm_config_get(&c, "mqtt", "host", v, sizeof v), 0);
    assert_string_equal(v, "broker.example");
    assert_int_equal(dm_config_get(&c, "frigate", "endpoint", v, sizeof v), 0);
    assert_string_equal(v, "tcp://127.0.0.1:5555");
    for (size_t i = 0; i < dm_n_frontends; i++) /* a built one's section is its own */
        if (dm_frontends[i]->config)
            assert_non_null(dm_config_section_get(&c, dm_frontends[i]->config));
}

int main(void)
{
    dm_frontends_config(); /* the sections, as edged hands them over before reading */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),          cmocka_unit_test(test_features),
        cmocka_unit_test(test_left_out_warns), cmocka_unit_test(test_all_off),
        cmocka_unit_test(test_sections_read),  cmocka_unit_test(test_pictures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
