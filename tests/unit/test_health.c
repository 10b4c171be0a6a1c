/* tests/unit/test_health.c - daemon/health.c over a fake sysfs tree.
 *
 * Owns: checks that the thermal zones (in numeric order, one without a temperature left out,
 * the critical trip point), the CPUs' frequency caps, the Raspberry Pi firmware's throttled
 * flags and an Edge TPU's temperature against its trip points are read as the kernel writes
 * them (tests/support: edge_test_fake_sysfs); that a system with none of them gives no device;
 * that garbage in a file leaves that device out; and that the bound on devices holds. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "health.h"
#include "test_support.h"

static char root[64];

static void test_fake_tree(void **state)
{
    (void)state;
    dm_device d[DM_DEVICES_MAX];
    const size_t n = dm_health_read(root, d, DM_DEVICES_MAX);
    for (size_t i = 0; i < n; i++)
        printf("# %s (%s): %.3f C, critical %.1f C, throttled %d, %.0f of %.0f MHz: %s\n",
               d[i].name, d[i].kind, d[i].temp_c, d[i].trip_c, d[i].throttled, d[i].cur_mhz,
               d[i].max_mhz, d[i].why);
    assert_int_equal(n, 5);
    assert_string_equal(d[0].name, "cpu-thermal");
    assert_string_equal(d[0].kind, "thermal");
    assert_true(fabs(d[0].temp_c - 48.312) < 1e-9);
    assert_true(fabs(d[0].trip_c - 90.0) < 1e-9); /* the critical one, not the passive one */
    assert_int_equal(d[0].throttled, -1);
    assert_string_equal(d[1].name, "gpu-thermal"); /* zone10 after zone0; zone1 has no temp */
    assert_true(isnan(d[1].trip_c));
    assert_string_equal(d[2].name, "cpufreq");
    assert_int_equal(d[2].throttled, 1);
    assert_true(fabs(d[2].cur_mhz - 600) < 1e-9 && fabs(d[2].max_mhz - 1500) < 1e-9);
    assert_non_null(strstr(d[2].why, "1 of 2 CPUs capped at 1000 of 1500 MHz"));
    assert_string_equal(d[3].name, "raspberrypi");
    assert_int_equal(d[3].throttled, 1);
    assert_string_equal(d[3].why, "under-voltage, throttled");
    assert_true(isnan(d[3].temp_c));
    assert_string_equal(d[4].name, "edgetpu/apex_0");
    assert_string_equal(d[4].kind, "tpu");
    assert_true(fabs(d[4].temp_c - 86) < 1e-9 && fabs(d[4].trip_c - 95) < 1e-9);
    assert_int_equal(d[4].throttled, 1);
    assert_non_null(strstr(d[4].why, "first trip point (85.0 C)"));
    /* the bound */
    assert_int_equal(dm_health_read(root, d, 2), 2);
}

static void test_changes(void **state)
{
    (void)state;
    char path[256];
    /* the firmware's flags: only "since boot" now; the TPU cooled down; garbage in a zone */
    snprintf(path, sizeof path, "%s/sys/devices/platform/soc/soc:firmware/get_throttled", root);
    FILE *f = fopen(path, "w");
    fputs("0x50000\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/sys/class/apex/apex_0/temp", root);
    f = fopen(path, "w");
    fputs("60000\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/sys/class/thermal/thermal_zone10/temp", root);
    f = fopen(path, "w");
    fputs("hot\n", f);
    fclose(f);
    dm_device d[DM_DEVICES_MAX];
    const size_t n = dm_health_read(root, d, DM_DEVICES_MAX);
    assert_int_equal(n, 4);
    assert_string_equal(d[2].name, "raspberrypi");
    assert_int_equal(d[2].throttled, 0);
    assert_non_null(strstr(d[2].why, "earlier since boot"));
    assert_int_equal(d[3].throttled, 0);
    assert_string_equal(d[3].why, "");
}

static void test_nothing(void **state)
{
    (void)state;
    dm_device d[4];
    assert_int_equal(dm_health_read("/nonexistent/edged-sysfs", d, 4), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/edged-test-health-XXXXXX");
    if (!mkdtemp(root) || edge_test_fake_sysfs(root))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_tree),
        cmocka_unit_test(test_changes),
        cmocka_unit_test(test_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
