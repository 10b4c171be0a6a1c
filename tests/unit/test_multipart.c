/* tests/unit/test_multipart.c - daemon/multipart.c: multipart/form-data.
 *
 * Owns: the boundary of Content-Type values (quoted, unquoted, other parameters, case, the
 * refusals: not multipart, none, too long, bad characters); the bodies real clients send (curl
 * -F with a file and a text field; Python requests' files= and data= as Home Assistant's
 * deepstack integration posts them; a preamble and epilogue; a bare-LF client; a file whose
 * bytes hold CRLF and "--" and a near-boundary), and each refusal with its message (no
 * delimiter, truncated, no name, headers never end, too many parts, a header line too long). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "multipart.h"

static void boundary_ok(const char *ctype, const char *want)
{
    char b[DM_MULTIPART_BOUNDARY_MAX + 1], err[256] = "";
    if (dm_multipart_boundary(ctype, b, err, sizeof err))
        fail_msg("%s: %s", ctype, err);
    assert_string_equal(b, want);
}

static void boundary_bad(const char *ctype, const char *msg)
{
    char b[DM_MULTIPART_BOUNDARY_MAX + 1], err[256] = "";
    assert_int_equal(dm_multipart_boundary(ctype, b, err, sizeof err), -1);
    if (!strstr(err, msg))
        fail_msg("%s: '%s' lacks '%s'", ctype, err, msg);
}

static void test_boundary(void **state)
{
    (void)state;
    boundary_ok("multipart/form-data; boundary=------------------------d74496d66958873e",
                "------------------------d74496d66958873e");
    boundary_ok("multipart/form-data; boundary=3d6b6a416f9b5", "3d6b6a416f9b5");
    boundary_ok("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b:c\"", "a b:c");
    boundary_ok("multipart/form-data ; boundary=x ", "x");
    boundary_bad("application/json", "not multipart/form-data");
    boundary_bad("", "'(none)', not multipart/form-data");
    boundary_bad("multipart/form-datax; boundary=a", "not multipart/form-data");
    boundary_bad("multipart/form-data", "no boundary");
    boundary_bad("multipart/form-data; charset=utf-8", "no boundary");
    boundary_bad("multipart/form-data; boundary=", "1 to 70 characters");
    boundary_bad("multipart/form-data; boundary=a<b", "1 to 70 characters");
    boundary_bad("multipart/form-data; boundary=\"ab \"", "1 to 70 characters");
    boundary_bad("multipart/form-data; boundary=\"ab", "unterminated");
    boundary_bad("multipart/form-data; boundary", "without '='");
    boundary_bad("multipart/form-data x", "expected ';'");
    char long_b[200];
    snprintf(long_b, sizeof long_b, "multipart/form-data; boundary=%071d", 0);
    boundary_bad(long_b, "1 to 70 characters");
    snprintf(long_b, sizeof long_b, "multipart/form-data; boundary=%070d", 0);
    char want[80];
    snprintf(want, sizeof want, "%070d", 0);
    boundary_ok(long_b, want);
}

static int parse(const char *body, size_t len, const char *b, dm_part *parts, size_t max, char *err)
{
    return dm_multipart_parse((const uint8_t *)body, len, b, parts, max, err, 256);
}

static void test_clients(void **state)
{
    (void)state;
    dm_part p[8];
    char err[256] = "";
    /* curl -F image=@photo.jpg -F min_confidence=0.6 */
    static const char curl[] =
        "--------------------------d74496d66958873e\r\n"
        "Content-Disposition: form-data; name=\"image\"; filename=\"photo.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n"
        "\xff\xd8\r\n--not-it\r\n--------------------------d74496d66958873\xff\xd9\r\n"
        "--------------------------d74496d66958873e\r\n"
        "Content-Disposition: form-data; name=\"min_confidence\"\r\n\r\n0.6\r\n"
        "--------------------------d74496d66958873e--\r\n";
    assert_int_equal(
        parse(curl, sizeof curl - 1, "------------------------d74496d66958873e", p, 8, err), 2);
    assert_string_equal(p[0].name, "image");
    assert_string_equal(p[0].filename, "photo.jpg");
    assert_string_equal(p[0].content_type, "image/jpeg");
    static const char jpg[] = "\xff\xd8\r\n--not-it\r\n--------------------------d74496d66958873"
                              "\xff\xd9";
    assert_int_equal(p[0].len, sizeof jpg - 1);
    assert_memory_equal(p[0].data, jpg, sizeof jpg - 1);
    const dm_part *mc = dm_multipart_find(p, 2, "min_confidence");
    assert_non_null(mc);
    assert_int_equal(mc->len, 3);
    assert_memory_equal(mc->data, "0.6", 3);
    assert_string_equal(mc->filename, "");
    assert_null(dm_multipart_find(p, 2, "api_key"));
    /* Python requests: data={"api_key": ..., "min_confidence": ...}, files={"image": bytes}
     * (the deepstack integration): fields first, the file named after its field, no type */
    static const char py[] = "--3d6b6a416f9b5\r\nContent-Disposition: form-data; "
                             "name=\"api_key\"\r\n\r\nsecret\r\n"
                             "--3d6b6a416f9b5\r\nContent-Disposition: form-data; "
                             "name=\"min_confidence\"\r\n\r\n0.45\r\n"
                             "--3d6b6a416f9b5\r\nContent-Disposition: form-data; name=\"image\"; "
                             "filename=\"image\"\r\n\r\nPIXELS\r\n--3d6b6a416f9b5--\r\n";
    assert_int_equal(parse(py, sizeof py - 1, "3d6b6a416f9b5", p, 8, err), 3);
    assert_string_equal(p[2].filename, "image");
    assert_string_equal(p[2].content_type, "");
    assert_int_equal(p[2].len, 6);
    assert_memory_equal(dm_multipart_find(p, 3, "api_key")->data, "secret", 6);
    /* preamble, epilogue, bare LF, padding after a delimiter, escapes in a quoted name */
    static const char odd[] = "preamble\r\n--b  \n"
                              "content-disposition: form-data; name=\"a\\\"q\"; x=y\n"
                              "X-Other: z\n\n\r\n--b--\r\nepilogue";
    assert_int_equal(parse(odd, sizeof odd - 1, "b", p, 8, err), 1);
    assert_string_equal(p[0].name, "a\"q");
    assert_int_equal(p[0].len, 0);
    /* an empty form */
    assert_int_equal(parse("--b--", 5, "b", p, 8, err), 0);
}

static void bad(const char *body, size_t max, const char *msg)
{
    dm_part p[8];
    char err[256] = "";
    assert_int_equal(parse(body, strlen(body), "b", p, max, err), -1);
    if (!strstr(err, msg))
        fail_msg("'%s' lacks '%s'", err, msg);
}

static void test_refusals(void **state)
{
    (void)state;
    bad("", 8, "never appears (0 bytes)");
    bad("--c\r\n", 8, "never appears");
    bad("--b", 8, "the body ends after a boundary");
    bad("--bx\r\n", 8, "byte 3: no line end after a boundary");
    bad("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nxyz", 8,
        "part 'a' never ends (the body is truncated");
    bad("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nxyz\r\n--b", 8,
        "the body ends after a boundary");
    bad("--b\r\nContent-Type: text/plain\r\n\r\nxyz\r\n--b--", 8, "part 1 has no");
    bad("--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n\r\n--b--", 8,
        "byte 5: Content-Disposition is not form-data");
    bad("--b\r\nContent-Disposition: form-data name=\"a\"\r\n\r\n\r\n--b--", 8, "expected ';'");
    bad("--b\r\nContent-Disposition: form-data; name\r\n\r\n\r\n--b--", 8, "without '='");
    bad("--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\n\r\n--b--", 8, "unterminated");
    bad("--b\r\nno colon here\r\n\r\n\r\n--b--", 8, "without ':'");
    bad("--b\r\nContent-Disposition: form-data; name=a\r\n", 8, "headers never end");
    bad("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n--b\r\n"
        "Content-Disposition: form-data; name=b\r\n\r\n\r\n--b--",
        1, "more than 1 parts");
    char big[1200];
    snprintf(big, sizeof big, "--b\r\nX-Long: %01000d\r\n\r\n\r\n--b--", 0);
    bad(big, 8, "over 1000 bytes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundary),
        cmocka_unit_test(test_clients),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
