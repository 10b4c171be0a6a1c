/* tests/unit/test_modelconf.c - daemon/modelconf.c: NAME/model.conf.
 *
 * Owns: checks of the defaults (empty text, comments only, a missing file);
 * every form of version_policy (all, latest [N], specific V[, V...]) with its
 * spacing, case, ':' and inline ';' comments, indentation, CRLF and a BOM;
 * every pin_io spelling; that every kind of problem (bad policy or pin_io
 * value, unknown key or section, key outside [model], key set twice, syntax
 * error, overlong line) fails with one "FILE:LINE: ..." message naming the key
 * and leaves the output untouched; reading files (missing, good, bad, a
 * folder, too large, a NUL byte, unreadable); select() for every policy; and
 * describe(). */
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

#include "modelconf.h"

#define NAME "models/foo/model.conf"

/* Filled with a pattern, to see that a failed parse writes nothing. */
static void poison(dm_model_conf *c)
{
    memset(c, 0xA5, sizeof *c);
}

static void assert_defaults(const dm_model_conf *c)
{
    assert_int_equal(c->policy, DM_POLICY_ALL);
    assert_int_equal(c->n_specific, 0);
    assert_false(c->pin_io);
}

/* TEXT must parse; the result in C. */
static void parse_ok(const char *text, dm_model_conf *c)
{
    char err[512] = "";
    poison(c);
    if (dm_model_conf_parse(text, NAME, c, err, sizeof err) != 0)
        fail_msg("for:\n%s\nwanted success, got '%s'", text, err);
}

/* TEXT must fail at LINE with a message that names KEY and contains MSG. */
static void expect_error(const char *text, int line, const char *key, const char *msg)
{
    dm_model_conf c, before;
    poison(&c);
    poison(&before);
    char err[512] = "";
    const int rc = dm_model_conf_parse(text, NAME, &c, err, sizeof err);
    char want[128];
    snprintf(want, sizeof want, "%s:%d: ", NAME, line);
    if (rc != -1 || strncmp(err, want, strlen(want)) != 0 || !strstr(err, key) || !strstr(err, msg))
        fail_msg("for:\n%s\nwanted '%s...%s...%s', got rc %d: '%s'", text, want, key, msg, rc, err);
    /* A failed parse changes nothing, and says it in one line. */
    assert_memory_equal(&c, &before, sizeof c);
    assert_null(strchr(err, '\n'));
}

/* "[model]\nversion_policy = VALUE\n" must fail on line 2 with MSG. */
static void expect_bad_policy(const char *value, const char *msg)
{
    char text[512], key[512];
    snprintf(text, sizeof text, "[model]\nversion_policy = %s\n", value);
    snprintf(key, sizeof key, "version_policy: \"%s\": ", value);
    expect_error(text, 2, key, msg);
}

static void expect_policy(const char *value, dm_policy_kind kind, uint32_t latest_n,
                          const int64_t *specific, size_t n_specific)
{
    char text[512];
    snprintf(text, sizeof text, "[model]\nversion_policy = %s\n", value);
    dm_model_conf c;
    parse_ok(text, &c);
    if (c.policy != kind)
        fail_msg("'%s': policy %d, wanted %d", value, (int)c.policy, (int)kind);
    if (kind == DM_POLICY_LATEST)
        assert_int_equal(c.latest_n, latest_n);
    assert_int_equal(c.n_specific, n_specific);
    for (size_t i = 0; i < n_specific; i++)
        assert_int_equal(c.specific[i], specific[i]);
    assert_false(c.pin_io);
}

/* A new temporary folder; its path is malloc'd. */
static char *temp_dir(void)
{
    char *dir = strdup("/tmp/edged-test-modelconf-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

/* LEN bytes of DATA into DIR/FILE; the path is malloc'd. */
static char *write_file(const char *dir, const char *file, const char *data, size_t len)
{
    const size_t n = strlen(dir) + strlen(file) + 2;
    char *path = malloc(n);
    if (!path)
        fail_msg("out of memory");
    snprintf(path, n, "%s/%s", dir, file);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* ------------------------------------------------------------ parsing */

static void test_defaults(void **state)
{
    (void)state;
    dm_model_conf c;
    poison(&c);
    dm_model_conf_default(&c);
    assert_defaults(&c);
    parse_ok("", &c);
    assert_defaults(&c);
    parse_ok("# only comments\n; and these\n\n   \n\t# indented\n", &c);
    assert_defaults(&c);
    parse_ok("# a section without keys\n[model]\n", &c);
    assert_defaults(&c);
    parse_ok("[model]", &c); /* no final newline */
    assert_defaults(&c);
    parse_ok("\r\n[ model ]\r\n", &c);
    assert_defaults(&c);
}

static void test_policy_forms(void **state)
{
    (void)state;
    const int64_t v41[] = {4, 1};
    const int64_t v972[] = {9, 7, 2};
    const int64_t vmax[] = {999999999999999999, 12};
    expect_policy("all", DM_POLICY_ALL, 0, NULL, 0);
    expect_policy("ALL", DM_POLICY_ALL, 0, NULL, 0);
    expect_policy("All   ", DM_POLICY_ALL, 0, NULL, 0);
    expect_policy("latest", DM_POLICY_LATEST, 1, NULL, 0);
    expect_policy("LATEST", DM_POLICY_LATEST, 1, NULL, 0);
    expect_policy("latest 3", DM_POLICY_LATEST, 3, NULL, 0);
    expect_policy("Latest \t 16", DM_POLICY_LATEST, 16, NULL, 0);
    expect_policy("latest 1", DM_POLICY_LATEST, 1, NULL, 0);
    expect_policy("specific 1, 4", DM_POLICY_SPECIFIC, 0, v41, 2);
    expect_policy("specific 4,1", DM_POLICY_SPECIFIC, 0, v41, 2);
    expect_policy("SPECIFIC 1 ,4", DM_POLICY_SPECIFIC, 0, v41, 2);
    expect_policy("Specific\t7 ,  2,\t9", DM_POLICY_SPECIFIC, 0, v972, 3);
    expect_policy("specific 12, 999999999999999999", DM_POLICY_SPECIFIC, 0, vmax, 2);
    const int64_t v1[] = {1};
    expect_policy("specific 1", DM_POLICY_SPECIFIC, 0, v1, 1);
    /* sixteen, sorted descending */
    int64_t v16[16];
    for (int i = 0; i < 16; i++)
        v16[i] = 160 - 10 * i;
    expect_policy("specific 10,20,30,40,50,60,70,80,90,100,110,120,130,140,150,160",
                  DM_POLICY_SPECIFIC, 0, v16, 16);

    /* The file's other syntax: ':', inline ';' comments, indentation, CRLF, a BOM. */
    dm_model_conf c;
    parse_ok("[model]\nversion_policy: latest 2\n", &c);
    assert_int_equal(c.policy, DM_POLICY_LATEST);
    assert_int_equal(c.latest_n, 2);
    parse_ok("# versions\n[model]\n  version_policy = specific 1, 4 ; the tested ones\n"
             "\tpin_io = yes ; keep the signature\n",
             &c);
    assert_int_equal(c.policy, DM_POLICY_SPECIFIC);
    assert_int_equal(c.n_specific, 2);
    assert_int_equal(c.specific[0], 4);
    assert_int_equal(c.specific[1], 1);
    assert_true(c.pin_io);
    parse_ok("\xEF\xBB\xBF[model]\r\nversion_policy = latest 5\r\n", &c);
    assert_int_equal(c.policy, DM_POLICY_LATEST);
    assert_int_equal(c.latest_n, 5);
    parse_ok("[model]\nversion_policy = latest 3\n[model]\npin_io = on\n", &c);
    assert_int_equal(c.latest_n, 3);
    assert_true(c.pin_io);
    assert_false(c.pin);
    /* pin (the memory budget) is its own key */
    parse_ok("[model]\npin = yes\n", &c);
    assert_true(c.pin);
    assert_false(c.pin_io);
    char line[128];
    dm_model_conf_describe(&c, line, sizeof line);
    assert_non_null(strstr(line, "pinned"));
}

static void test_pin_io(void **state)
{
    (void)state;
    static const char *const yes[] = {"yes", "YES", "Yes", "true", "True", "on", "ON", "1"};
    static const char *const no[] = {"no", "NO", "false", "FALSE", "off", "Off", "0"};
    dm_model_conf c;
    char text[128];
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        snprintf(text, sizeof text, "[model]\npin_io = %s\n", yes[i]);
        parse_ok(text, &c);
        if (!c.pin_io)
            fail_msg("pin_io = %s should be on", yes[i]);
        assert_int_equal(c.policy, DM_POLICY_ALL);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        snprintf(text, sizeof text, "[model]\npin_io = %s\n", no[i]);
        parse_ok(text, &c);
        if (c.pin_io)
            fail_msg("pin_io = %s should be off", no[i]);
    }
}

static void test_backend(void **state)
{
    (void)state;
    dm_model_conf c;
    parse_ok("[model]\n", &c);
    assert_string_equal(c.backend, ""); /* edged.conf's [backends] default */
    static const char *const good[] = {"auto", "cpu", "vulkan", "edgetpu, vulkan", "a_b-1,c"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "[model]\nbackend = %s\n", good[i]);
        parse_ok(text, &c);
        assert_string_equal(c.backend, good[i]);
    }
    char buf[128];
    parse_ok("[model]\nbackend = edgetpu, vulkan\npin_io = yes\n", &c);
    dm_model_conf_describe(&c, buf, sizeof buf);
    assert_string_equal(buf, "all, pin_io, backend edgetpu, vulkan");
    expect_error("[model]\nbackend = Vulkan\n", 2, "backend", "is not a back-end name");
    expect_error("[model]\nbackend = vulkan, vulkan\n", 2, "backend", "named twice");
    expect_error("[model]\nbackend = auto, vulkan\n", 2, "backend", "'auto' cannot be combined");
    expect_error("[model]\nbackend = cpu,\n", 2, "backend", "is not a back-end name");
    expect_error("[model]\nbackend = cpu\nbackend = auto\n", 3, "backend", "set twice");
}

/* [model] input_shape (issue 47): the inputs every version opens resized. */
static void test_input_shape(void **state)
{
    (void)state;
    dm_model_conf c;
    parse_ok("[model]\ninput_shape = 1,1280\n", &c);
    assert_int_equal(c.n_input_shapes, 1);
    assert_int_equal(c.input_shapes[0].input, 0);
    assert_int_equal(c.input_shapes[0].n_dims, 2);
    assert_int_equal(c.input_shapes[0].dims[1], 1280);
    parse_ok("[model]\ninput_shape = 1:2, 76 ,32,1; 0:4\n", &c);
    assert_int_equal(c.n_input_shapes, 2);
    assert_int_equal(c.input_shapes[0].input, 1);
    assert_int_equal(c.input_shapes[0].n_dims, 4);
    assert_int_equal(c.input_shapes[0].dims[1], 76);
    assert_int_equal(c.input_shapes[1].input, 0);
    assert_int_equal(c.input_shapes[1].dims[0], 4);
    expect_error("[model]\ninput_shape = 1,0\n", 2, "input_shape", "dimensions 1 to 16777216");
    expect_error("[model]\ninput_shape = 1,x\n", 2, "input_shape", "dimensions 1 to");
    expect_error("[model]\ninput_shape = ;\n", 2, "input_shape", "no shape given");
    expect_error("[model]\ninput_shape = 0:1;0:2\n", 2, "input_shape",
                 "input 0 is given two shapes");
    expect_error("[model]\ninput_shape = 99:1\n", 2, "input_shape", "must be 0 to 63");
    expect_error("[model]\ninput_shape = 1 2\n", 2, "input_shape", "separated by ','");
}

static void test_bad_values(void **state)
{
    (void)state;
    expect_error("# foo\n\n[model]\nversion_policy = latest 0\n", 4,
                 "version_policy: \"latest 0\": ", "N must be 1 to 16");
    expect_bad_policy("latest 17", "N must be 1 to 16");
    expect_bad_policy("latest 99999999999999999999999", "N must be 1 to 16");
    expect_bad_policy("latest -1", "N must be 1 to 16");
    expect_bad_policy("latest x", "N must be 1 to 16");
    expect_bad_policy("latest 3 4", "N must be 1 to 16");
    expect_bad_policy("latest 3 # three", "a comment goes on its own line");
    expect_bad_policy("latest3", "unknown policy; expected all, latest [N] or specific V[, V...]");
    expect_bad_policy("newest", "unknown policy");
    expect_bad_policy("all 3", "all takes no argument");
    expect_bad_policy("all,", "unknown policy");
    expect_bad_policy("specific", "specific needs 1 to 16 version numbers");
    expect_bad_policy("specific 0", "'0' is not a version number (1 to 999999999999999999");
    expect_bad_policy("specific 01", "'01' is not a version number");
    expect_bad_policy("specific 1000000000000000000", "is not a version number");
    expect_bad_policy("specific -1", "'-1' is not a version number");
    expect_bad_policy("specific 1x", "'1x' is not a version number");
    expect_bad_policy("specific 1,,4", "a version number is missing before a ','");
    expect_bad_policy("specific ,1", "a version number is missing before a ','");
    expect_bad_policy("specific 1,", "a version number is missing after the last ','");
    expect_bad_policy("specific 1 4", "versions are separated by ','");
    expect_bad_policy("specific 4, 1, 4", "version 4 is listed twice");
    expect_bad_policy("specific 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "at most 16 versions");
    expect_error("[model]\nversion_policy =\n", 2, "version_policy: \"\": ", "unknown policy");
    expect_error("[model]\npin_io = maybe\n", 2,
                 "pin_io: \"maybe\": ", "expected yes or no (or true/false, on/off, 1/0)");
    expect_error("[model]\npin_io = yes please\n", 2, "pin_io: \"yes please\": ", "expected yes");
    expect_error("[model]\npin_io =\n", 2, "pin_io: \"\": ", "expected yes or no");
    expect_error("[model]\npin = always\n", 2, "pin: \"always\": ", "expected yes or no");
    /* the first bad line wins; a good key before it changes nothing */
    expect_error("[model]\npin_io = yes\nversion_policy = latest 0\npin_io = nope\n", 3,
                 "version_policy", "N must be 1 to 16");
}

static void test_bad_structure(void **state)
{
    (void)state;
    expect_error("[model]\nversion_policy = all\npinio = yes\n", 3, "unknown key \"pinio\"",
                 "(keys: version_policy, pin_io, pin, backend, labels, input_shape, kind)");
    expect_error("[model]\nVersion_Policy = all\n", 2, "unknown key \"Version_Policy\"",
                 "(keys: version_policy, pin_io, pin, backend, labels, input_shape, kind)");
    expect_error("[model]\n= all\n", 2, "unknown key \"\"", "(keys: ");
    expect_error("version_policy = all\n[model]\n", 1,
                 "version_policy: ", "outside a section; put it under [model]");
    expect_error("# x\npin_io = yes\n", 2, "pin_io: ", "outside a section");
    expect_error("colour = blue\n", 1, "unknown key \"colour\"", "outside a section");
    expect_error(
        "[model]\n\n[models]\nversion_policy = all\n", 3, "\"[models]\"",
        "unknown section \"[models]\" (sections: [model], [input], [detection], [wakeword])");
    expect_error("[Model]\n", 1, "\"[Model]\"", "unknown section");
    expect_error("[]\n", 1, "\"[]\"", "unknown section");
    expect_error("[model\nversion_policy = all\n", 1, "\"[model\"", "closing ']'");
    expect_error("[model ; comment]\n", 1, "\"[model ; comment]\"", "closing ']'");
    expect_error("[model]\nversion_policy = latest 2\npin_io = no\nversion_policy = all\n", 4,
                 "version_policy: ", "set twice (first on line 2)");
    expect_error("[model]\npin_io = no\n\n[model]\npin_io = yes\n", 5,
                 "pin_io: ", "set twice (first on line 2)");
    expect_error("[model]\nlatest 3\n", 2, "\"latest 3\"",
                 "syntax error; expected \"key = value\", a \"[section]\" or a comment");
    expect_error("[model]\npin_io ; = yes\n", 2, "\"pin_io ; = yes\"", "syntax error");
    /* an indented line is not the continuation of the previous value */
    expect_error("[model]\nversion_policy = specific 1,\n    4\n", 2, "version_policy",
                 "a version number is missing after the last ','");
    expect_error("[model]\nversion_policy = specific 1, 4\n    2\n", 3, "\"2\"", "syntax error");
    char text[1024];
    snprintf(text, sizeof text, "[model]\n# long\nversion_policy = specific %0700d\n", 0);
    expect_error(text, 3, "\"version_policy = sp", "line too long");
}

static void test_parse_args(void **state)
{
    (void)state;
    dm_model_conf c;
    dm_model_conf_default(&c);
    /* no error buffer, no name */
    assert_int_equal(dm_model_conf_parse("[x]\n", NULL, &c, NULL, 0), -1);
    assert_defaults(&c);
    char err[64];
    assert_int_equal(dm_model_conf_parse("[x]\n", NULL, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "model.conf:1: "));
    /* a small buffer truncates */
    char tiny[8];
    assert_int_equal(dm_model_conf_parse("[x]\n", NAME, &c, tiny, sizeof tiny), -1);
    assert_string_equal(tiny, "models/");
}

/* ------------------------------------------------------------ files */

static void test_load(void **state)
{
    (void)state;
    char *dir = temp_dir();
    char err[512];
    dm_model_conf c;

    /* missing: the defaults, no error */
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/foo/model.conf", dir);
    poison(&c);
    err[0] = '\0';
    assert_int_equal(dm_model_conf_load(missing, &c, err, sizeof err), 0);
    assert_defaults(&c);
    assert_string_equal(err, "");
    snprintf(missing, sizeof missing, "%s/model.conf", dir);
    poison(&c);
    assert_int_equal(dm_model_conf_load(missing, &c, err, sizeof err), 0);
    assert_defaults(&c);

    /* good */
    const char good[] = "[model]\nversion_policy = latest 2\npin_io = true\n";
    char *path = write_file(dir, "good.conf", good, strlen(good));
    poison(&c);
    assert_int_equal(dm_model_conf_load(path, &c, err, sizeof err), 0);
    assert_int_equal(c.policy, DM_POLICY_LATEST);
    assert_int_equal(c.latest_n, 2);
    assert_true(c.pin_io);
    unlink(path);
    free(path);

    /* empty */
    path = write_file(dir, "empty.conf", "", 0);
    poison(&c);
    assert_int_equal(dm_model_conf_load(path, &c, err, sizeof err), 0);
    assert_defaults(&c);
    unlink(path);
    free(path);

    /* bad: the path and the line, and nothing written */
    const char bad[] = "[model]\n\npin_io = perhaps\n";
    path = write_file(dir, "bad.conf", bad, strlen(bad));
    dm_model_conf before;
    poison(&c);
    poison(&before);
    assert_int_equal(dm_model_conf_load(path, &c, err, sizeof err), -1);
    char want[600];
    snprintf(want, sizeof want, "%s:3: pin_io: \"perhaps\": ", path);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("wanted '%s...', got '%s'", want, err);
    assert_memory_equal(&c, &before, sizeof c);
    unlink(path);
    free(path);

    /* a folder */
    assert_int_equal(dm_model_conf_load(dir, &c, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: not a regular file", dir);
    assert_string_equal(err, want);
    assert_memory_equal(&c, &before, sizeof c);

    /* exactly 64 KiB is read; one byte more is refused */
    const size_t limit = 64 * 1024;
    char *big = malloc(limit + 2);
    assert_non_null(big);
    memset(big, '#', limit + 1);
    for (size_t i = 100; i < limit + 1; i += 100)
        big[i] = '\n';
    memcpy(big, "[model]\npin_io = 1\n", 19);
    path = write_file(dir, "big.conf", big, limit);
    assert_int_equal(dm_model_conf_load(path, &c, err, sizeof err), 0);
    assert_true(c.pin_io);
    unlink(path);
    free(path);
    path = write_file(dir, "bigger.conf", big, limit + 1);
    poison(&c);
    assert_int_equal(dm_model_conf_load(path, &c, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: too large (65537 bytes; at most 65536)", path);
    assert_string_equal(err, want);
    assert_memory_equal(&c, &before, sizeof c);
    unlink(path);
    free(path);
    free(big);

    /* not text */
    path = write_file(dir, "nul.conf", "[model]\npin_io = 1\0\n", 20);
    assert_int_equal(dm_model_conf_load(path, &c, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2: a NUL byte", path);
    assert_non_null(strstr(err, want));
    assert_memory_equal(&c, &before, sizeof c);
    unlink(path);
    free(path);

    /* unreadable (root reads anything: not checked then) */
    if (geteuid() != 0) {
        char locked[512];
        snprintf(locked, sizeof locked, "%s/locked.conf", dir);
        free(write_file(dir, "locked.conf", good, strlen(good)));
        assert_int_equal(chmod(locked, 0), 0);
        assert_int_equal(dm_model_conf_load(locked, &c, err, sizeof err), -1);
        snprintf(want, sizeof want, "%s: cannot read: ", locked);
        assert_non_null(strstr(err, want));
        assert_memory_equal(&c, &before, sizeof c);
        unlink(locked);
    }

    /* a path through a file is not "missing" */
    path = write_file(dir, "plain", "", 0);
    snprintf(missing, sizeof missing, "%s/plain/model.conf", dir);
    assert_int_equal(dm_model_conf_load(missing, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, missing));
    assert_memory_equal(&c, &before, sizeof c);
    unlink(path);
    free(path);

    assert_int_equal(rmdir(dir), 0);
    free(dir);
}

/* ------------------------------------------------------------ using it */

/* KEEP as a string of 0 and 1, for messages and comparison. */
static void expect_select(const char *text, const int64_t *versions, size_t n, const char *want)
{
    dm_model_conf c;
    parse_ok(text, &c);
    bool keep[32];
    char got[33];
    memset(keep, 0xA5, sizeof keep);
    dm_model_conf_select(&c, versions, n, keep);
    for (size_t i = 0; i < n; i++)
        got[i] = keep[i] ? '1' : '0';
    got[n] = '\0';
    if (strcmp(got, want) != 0)
        fail_msg("for:\n%s\nwanted %s, got %s", text, want, got);
    for (size_t i = n; i < 32; i++) /* nothing past N */
        assert_int_equal(((unsigned char *)keep)[i], 0xA5);
}

static void test_select(void **state)
{
    (void)state;
    const int64_t v[] = {9, 7, 4, 2, 1};
    const size_t n = sizeof v / sizeof v[0];
    expect_select("", v, n, "11111");
    expect_select("[model]\nversion_policy = all\n", v, n, "11111");
    expect_select("[model]\nversion_policy = latest\n", v, n, "10000");
    expect_select("[model]\nversion_policy = latest 2\n", v, n, "11000");
    expect_select("[model]\nversion_policy = latest 5\n", v, n, "11111");
    expect_select("[model]\nversion_policy = latest 16\n", v, n, "11111"); /* N > n */
    expect_select("[model]\nversion_policy = specific 1, 4\n", v, n, "00101");
    expect_select("[model]\nversion_policy = specific 9\n", v, n, "10000");
    /* listed versions not on disk are simply absent */
    expect_select("[model]\nversion_policy = specific 3, 4, 10\n", v, n, "00100");
    expect_select("[model]\nversion_policy = specific 3, 5, 8\n", v, n, "00000");
    const int64_t one[] = {1};
    expect_select("[model]\nversion_policy = latest 3\n", one, 1, "1");
    expect_select("[model]\nversion_policy = specific 2\n", one, 1, "0");
    /* no versions at all */
    expect_select("[model]\nversion_policy = latest 3\n", v, 0, "");
    expect_select("[model]\nversion_policy = specific 1\n", v, 0, "");
    expect_select("", v, 0, "");
    /* sixteen on disk, the oldest and the newest chosen */
    int64_t many[16];
    for (int i = 0; i < 16; i++)
        many[i] = 1000000000000 - i;
    expect_select("[model]\nversion_policy = specific 1000000000000, 999999999985\n", many, 16,
                  "1000000000000001");
    expect_select("[model]\nversion_policy = latest 15\n", many, 16, "1111111111111110");
}

static void expect_describe(const char *text, const char *want)
{
    dm_model_conf c;
    parse_ok(text, &c);
    char buf[512];
    memset(buf, 'x', sizeof buf);
    dm_model_conf_describe(&c, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void test_describe(void **state)
{
    (void)state;
    expect_describe("", "all");
    expect_describe("[model]\npin_io = yes\n", "all, pin_io");
    expect_describe("[model]\nversion_policy = latest\n", "latest 1");
    expect_describe("[model]\nversion_policy = LATEST  2\n", "latest 2");
    expect_describe("[model]\nversion_policy = latest 2\npin_io = no\n", "latest 2");
    expect_describe("[model]\nversion_policy = specific 1, 4\n", "specific 4,1");
    expect_describe("[model]\nversion_policy = specific 4\npin_io = on\n", "specific 4, pin_io");
    expect_describe("[model]\nversion_policy = specific 10,20,30,40,50,60,70,80,90,100,110,120,"
                    "130,140,150,999999999999999999\npin_io = 1\n",
                    "specific 999999999999999999,150,140,130,120,110,100,90,80,70,60,50,40,30,20,"
                    "10, pin_io");

    /* the description parses back to the same policy */
    dm_model_conf c, back;
    parse_ok("[model]\nversion_policy = specific 3, 12, 7\n", &c);
    char desc[128], text[256];
    dm_model_conf_describe(&c, desc, sizeof desc);
    snprintf(text, sizeof text, "[model]\nversion_policy = %s\n", desc);
    parse_ok(text, &back);
    assert_int_equal(back.policy, c.policy);
    assert_int_equal(back.n_specific, c.n_specific);
    assert_memory_equal(back.specific, c.specific, c.n_specific * sizeof c.specific[0]);

    /* a short buffer truncates, always terminated */
    char small[6];
    dm_model_conf_describe(&c, small, sizeof small);
    assert_string_equal(small, "speci");
    char one[1] = {'x'};
    dm_model_conf_describe(&c, one, sizeof one);
    assert_int_equal(one[0], '\0');
    dm_model_conf_describe(&c, NULL, 0);
}

/* [model] labels, [input] and [detection]: values, defaults, keys in the wrong section. */
/* [model] kind and the [wakeword] section (issue 47: daemon/wakeword.c serves those folders). */
static void test_wakeword_kind(void **state)
{
    (void)state;
    dm_model_conf c;
    parse_ok("", &c);
    assert_int_equal(c.kind, DM_KIND_MODEL);
    assert_float_equal(c.wake.threshold, 0.0f, 0.0f);
    assert_int_equal(c.wake.refractory_ms, 0);
    parse_ok("[model]\nkind = wakeword\n[wakeword]\nthreshold = 0.6\nrefractory_ms = 1500\n", &c);
    assert_int_equal(c.kind, DM_KIND_WAKEWORD);
    assert_float_equal(c.wake.threshold, 0.6f, 1e-7f);
    assert_int_equal(c.wake.refractory_ms, 1500);
    parse_ok("[model]\nkind = model\n", &c);
    assert_int_equal(c.kind, DM_KIND_MODEL);
    expect_error("[model]\nkind = hotword\n", 2, "kind: \"hotword\"", "model wakeword");
    expect_error("[wakeword]\nthreshold = 0\n", 2, "threshold", "from 0.01 to 1");
    expect_error("[wakeword]\nthreshold = 1.5\n", 2, "threshold", "from 0.01 to 1");
    expect_error("[wakeword]\nrefractory_ms = 50\n", 2, "refractory_ms", "from 100 to 60000");
    expect_error("[wakeword]\nrefractory_ms = 150.5\n", 2, "refractory_ms", "whole number");
    expect_error("[wakeword]\nkind = wakeword\n", 2, "unknown key \"kind\" in [wakeword]",
                 "threshold, refractory_ms");
    expect_error("[hotword]\n", 1, "unknown section", "[wakeword]");
}

static void test_vision_sections(void **state)
{
    (void)state;
    dm_model_conf c;
    parse_ok("", &c);
    assert_int_equal(c.input.fit, EDGE_FIT_LETTERBOX);
    assert_int_equal(c.input.pad, 114);
    assert_false(c.input.bgr);
    assert_false(c.input.normalize);
    assert_int_equal(c.detection.type, EDGE_HEAD_AUTO);
    assert_int_equal(c.detection.coords, EDGE_COORDS_AUTO);
    assert_float_equal(c.detection.p.score_threshold, 0.25f, 0.0f);
    assert_float_equal(c.detection.p.iou_threshold, 0.45f, 0.0f);
    assert_int_equal(c.detection.p.max_detections, 100);
    assert_false(c.detection.p.class_agnostic);
    assert_string_equal(c.labels, "");
    parse_ok("[model]\nlabels = coco.txt\n[input]\nresize = fit-shortest\npad = 0\norder = bgr\n"
             "mean = 123.7, 116.3, 103.5\nstd = 58.4\n[detection]\ntype = ssd\nscore = 0.5\n"
             "iou = 0.6\nmax = 20\nagnostic = yes\ncoords = pixels\n",
             &c);
    assert_string_equal(c.labels, "coco.txt");
    assert_int_equal(c.input.fit, EDGE_FIT_CROP);
    assert_int_equal(c.input.pad, 0);
    assert_true(c.input.bgr);
    assert_true(c.input.normalize);
    assert_float_equal(c.input.mean[2], 103.5f, 0.0f);
    assert_float_equal(c.input.std[0], 58.4f, 0.0f);
    assert_float_equal(c.input.std[2], 58.4f, 0.0f);
    assert_int_equal(c.detection.type, EDGE_HEAD_SSD);
    assert_float_equal(c.detection.p.score_threshold, 0.5f, 0.0f);
    assert_float_equal(c.detection.p.iou_threshold, 0.6f, 1e-7f);
    assert_int_equal(c.detection.p.max_detections, 20);
    assert_true(c.detection.p.class_agnostic);
    assert_int_equal(c.detection.coords, EDGE_COORDS_PIXELS);
    parse_ok("[input]\nresize = stretch\n[detection]\ntype = yolox\ncoords = normalized\n", &c);
    assert_int_equal(c.input.fit, EDGE_FIT_STRETCH);
    assert_int_equal(c.detection.type, EDGE_HEAD_YOLOX);
    assert_int_equal(c.detection.coords, EDGE_COORDS_UNIT);
    expect_error("[input]\nresize = squash\n", 2, "resize: \"squash\"",
                 "expected one of: letterbox stretch crop fit-shortest");
    expect_error("[input]\npad = 256\n", 2, "pad", "from 0 to 255");
    expect_error("[input]\npad = 1.5\n", 2, "pad", "whole number");
    expect_error("[input]\nmean = 1, 2\n", 2, "mean", "not 2");
    expect_error("[input]\nmean = 1, 2, 3, 4\n", 2, "mean", "1 or 3");
    expect_error("[input]\nstd = 0\n", 2, "std", "positive");
    expect_error("[input]\nstd = nan\n", 2, "std", "positive");
    expect_error("[input]\nmean = x\n", 2, "mean", "numbers");
    expect_error("[input]\norder = gbr\n", 2, "order", "rgb bgr");
    expect_error("[detection]\ntype = yolov9\n", 2, "type",
                 "auto ssd yolov8 yolov5 yolox yolov8-dfl none");
    expect_error("[detection]\nscore = 1.5\n", 2, "score", "from 0 to 1");
    expect_error("[detection]\nmax = 0\n", 2, "max", "from 1 to 1000");
    expect_error("[detection]\nmax = 1001\n", 2, "max", "from 1 to 1000");
    expect_error("[detection]\nagnostic = maybe\n", 2, "agnostic", "yes or no");
    expect_error("[detection]\ncoords = km\n", 2, "coords", "auto normalized pixels");
    expect_error("[model]\nlabels = ../x.txt\n", 2, "labels", "no '/'");
    expect_error("[model]\nlabels = ..\n", 2, "labels", "a file name");
    expect_error("[model]\nlabels =\n", 2, "labels", "a file name");
    expect_error("[model]\nscore = 0.5\n", 2, "unknown key \"score\" in [model]",
                 "(keys: version_policy, pin_io, pin, backend, labels, input_shape, kind)");
    expect_error("[input]\ntype = ssd\n", 2, "unknown key \"type\" in [input]",
                 "(keys: resize, pad, order, mean, std)");
    expect_error("score = 0.5\n", 1, "score: ", "put it under [detection]");
    expect_error("[detection]\nscore = 0.5\n[detection]\nscore = 0.6\n", 4,
                 "score: ", "set twice (first on line 2)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),      cmocka_unit_test(test_policy_forms),
        cmocka_unit_test(test_pin_io),        cmocka_unit_test(test_backend),
        cmocka_unit_test(test_bad_values),    cmocka_unit_test(test_input_shape),
        cmocka_unit_test(test_bad_structure), cmocka_unit_test(test_parse_args),
        cmocka_unit_test(test_load),          cmocka_unit_test(test_select),
        cmocka_unit_test(test_describe),      cmocka_unit_test(test_vision_sections),
        cmocka_unit_test(test_wakeword_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
