/* tests/unit/test_fb.c - the bounds-checked FlatBuffers reader on hand-laid bytes.
 *
 * A 44-byte buffer holds: root offset, identifier, a vtable with two fields and a
 * table with an int32 and a vector of three int32. Each test breaks one thing
 * and checks the reader fails at the right place, with a default value out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fb.h"

static void put16(uint8_t *b, size_t at, uint16_t v)
{
    memcpy(b + at, &v, 2);
}
static void put32(uint8_t *b, size_t at, uint32_t v)
{
    memcpy(b + at, &v, 4);
}

/* Layout: 0 root=16 | 4 "TEST" | 8 vtable(len 8, tsize 12, f0 at 4, f1 at 8) |
 * 16 table(soffset 8, i32 42, uoffset 4 -> 28) | 28 vector(len 3: 1, 2, 3). */
static size_t make(uint8_t *b)
{
    memset(b, 0, 64);
    put32(b, 0, 16);
    memcpy(b + 4, "TEST", 4);
    put16(b, 8, 8);
    put16(b, 10, 12);
    put16(b, 12, 4);
    put16(b, 14, 8);
    put32(b, 16, 8);
    put32(b, 20, 42);
    put32(b, 24, 4);
    put32(b, 28, 3);
    put32(b, 32, 1);
    put32(b, 36, 2);
    put32(b, 40, 3);
    return 44;
}

static void test_valid(void **state)
{
    (void)state;
    uint8_t b[64];
    fb_ctx c;
    fb_init(&c, b, make(b));
    assert_true(fb_has_identifier(&c, "TEST"));
    fb_table t = fb_root(&c);
    assert_true(fb_present(t));
    assert_int_equal(fb_i32(&t, 0, -1), 42);
    assert_int_equal(fb_i32(&t, 5, -7), -7); /* slot past the vtable: default */
    fb_vec v = fb_vec_get(&t, 1, 4);
    assert_int_equal(v.len, 3);
    assert_int_equal(fb_vec_i32(&v, 2), 3);
    assert_int_equal(fb_vec_i32(&v, 3), 0); /* past the end: 0, no read */
    assert_false(c.failed);
}

static void test_unaligned(void **state)
{
    (void)state;
    uint8_t raw[80], *b = raw + 1; /* every multi-byte load is now misaligned */
    fb_ctx c;
    fb_init(&c, b, make(b));
    fb_table t = fb_root(&c);
    assert_int_equal(fb_i32(&t, 0, 0), 42);
    fb_vec v = fb_vec_get(&t, 1, 4);
    assert_int_equal(fb_vec_i32(&v, 1), 2);
}

static void test_root_past_end(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = make(b);
    put32(b, 0, 1000);
    fb_ctx c;
    fb_init(&c, b, n);
    fb_table t = fb_root(&c);
    assert_false(fb_present(t));
    assert_true(c.failed);
    assert_int_equal(fb_i32(&t, 0, -1), -1);
}

static void test_vtable_outside(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = make(b);
    put32(b, 16, (uint32_t)-100); /* vtable at 116 */
    fb_ctx c;
    fb_init(&c, b, n);
    assert_false(fb_present(fb_root(&c)));
    assert_true(c.failed);
    assert_int_equal(c.at, 16);
}

static void test_field_outside_table(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = make(b);
    put16(b, 12, 10); /* field 0 at 10..13, table inline size is 12 */
    fb_ctx c;
    fb_init(&c, b, n);
    fb_table t = fb_root(&c);
    assert_int_equal(fb_i32(&t, 0, -1), -1);
    assert_true(c.failed);
}

static void test_huge_vector(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = make(b);
    put32(b, 28, 0x7fffffff);
    fb_ctx c;
    fb_init(&c, b, n);
    fb_table t = fb_root(&c);
    fb_vec v = fb_vec_get(&t, 1, 4);
    assert_int_equal(v.len, 0);
    assert_true(c.failed);
    assert_int_equal(c.at, 28);
}

static void test_truncated_everywhere(void **state)
{
    (void)state;
    uint8_t b[64];
    const size_t n = make(b);
    for (size_t len = 0; len < n; len++) {
        uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan catches any overread */
        memcpy(copy, b, len);
        fb_ctx c;
        fb_init(&c, copy, len);
        fb_table t = fb_root(&c);
        fb_vec v = fb_vec_get(&t, 1, 4);
        (void)fb_i32(&t, 0, 0);
        (void)fb_vec_i32(&v, 2);
        assert_true(c.failed); /* every prefix loses some byte the reader needs */
        free(copy);
    }
}

static void test_string_terminator(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = make(b);
    /* reinterpret the vector as a string of length 3: byte 35 must be 0 */
    fb_ctx c;
    fb_init(&c, b, n);
    fb_table t = fb_root(&c);
    put32(b, 28, 2); /* "\1\0" + NUL at 34? b[34] = 0 -> valid */
    uint32_t len = 0;
    assert_non_null(fb_str_get(&t, 1, &len));
    assert_int_equal(len, 2);
    put32(b, 28, 1); /* string "\1", terminator must be b[33] = 0: it is */
    assert_non_null(fb_str_get(&t, 1, &len));
    put32(b, 28, 0);
    b[32] = 'x'; /* empty string whose terminator is 'x' */
    assert_null(fb_str_get(&t, 1, &len));
    assert_true(c.failed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_unaligned),
        cmocka_unit_test(test_root_past_end),
        cmocka_unit_test(test_vtable_outside),
        cmocka_unit_test(test_field_outside_table),
        cmocka_unit_test(test_huge_vector),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_string_terminator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
