/* tests/unit/test_request_params.c - daemon/request_params.c: the one parser of a request's
 * priority, timeout and sequence parameters that every front end uses (request_params.h).
 *
 * Owns: checks that each parameter takes what its rules say whatever carried it (a typed
 * integer, boolean or string as JSON and D-Bus give them; untyped text as MQTT user properties
 * and form fields give them) and refuses the rest with the same words, the protocol's name for
 * the parameter in front ("parameters.priority", "option timeout", "user property
 * sequence_start"); that keys other than the five are left to the caller; and that a
 * sequence_start without a sequence_id is refused by dm_req_params_check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "request_params.h"
#include "scheduler.h"

static const dm_param_src json_src = {"parameters.", "parameters"};
static const dm_param_src text_src = {"user property ", "user properties"};

static dm_param uint_param(uint64_t u)
{
    return (dm_param){.kind = DM_PARAM_INT, .u = u};
}

static dm_param text(const char *s)
{
    return (dm_param){.kind = DM_PARAM_TEXT, .s = s, .len = strlen(s)};
}

static dm_param string(const char *s)
{
    return (dm_param){.kind = DM_PARAM_STRING, .s = s, .len = strlen(s)};
}

/* KEY = V from SRC is refused, the message holding WANT. */
static void refused(const char *key, dm_param v, const dm_param_src *src, const char *want)
{
    dm_req_params p;
    dm_req_params_init(&p);
    char err[256] = "";
    assert_int_equal(dm_req_param(&p, key, &v, src, err, sizeof err), -1);
    if (!strstr(err, want))
        fail_msg("%s: '%s' does not say '%s'", key, err, want);
}

static void test_defaults(void **state)
{
    (void)state;
    dm_req_params p;
    dm_req_params_init(&p);
    assert_int_equal(p.priority, DM_PRIO_NORMAL);
    assert_int_equal(p.timeout_us, -1);
    assert_string_equal(p.seq.id, "");
    assert_false(p.has_seq);
    char err[64];
    assert_int_equal(dm_req_params_check(&p, &json_src, err, sizeof err), 0);
}

static void test_priority(void **state)
{
    (void)state;
    static const struct {
        dm_param v;
        int want;
    } ok[] = {
        {{.kind = DM_PARAM_INT, .u = 1}, DM_PRIO_HIGH},
        {{.kind = DM_PARAM_INT, .u = 0}, DM_PRIO_NORMAL},
        {{.kind = DM_PARAM_INT, .u = 2}, DM_PRIO_NORMAL},
        {{.kind = DM_PARAM_TEXT, .s = "1", .len = 1}, DM_PRIO_HIGH},
        {{.kind = DM_PARAM_TEXT, .s = "7", .len = 1}, DM_PRIO_NORMAL},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        dm_req_params p;
        dm_req_params_init(&p);
        p.priority = ok[i].want == DM_PRIO_HIGH ? DM_PRIO_NORMAL : DM_PRIO_HIGH; /* it changes */
        char err[256];
        assert_int_equal(dm_req_param(&p, "priority", &ok[i].v, &json_src, err, sizeof err), 0);
        assert_int_equal(p.priority, ok[i].want);
    }
    const char *msg = "parameters.priority must be a non-negative integer (1 = high, 0 or 2 "
                      "and above = normal)";
    refused("priority", (dm_param){.kind = DM_PARAM_INT, .neg = true, .i = -1}, &json_src, msg);
    refused("priority", string("high"), &json_src, msg);
    refused("priority", string("1"), &json_src, msg); /* a typed string is not a number */
    refused("priority", (dm_param){.kind = DM_PARAM_BOOL, .b = true}, &json_src, msg);
    refused("priority", text("high"), &text_src, "user property priority must be");
    refused("priority", text("1x"), &text_src, "user property priority must be");
    refused("priority", text(""), &text_src, "user property priority must be");
    refused("priority", text("-1"), &text_src, "user property priority must be");
}

static void test_timeout(void **state)
{
    (void)state;
    dm_req_params p;
    dm_req_params_init(&p);
    char err[256];
    dm_param v = uint_param(50000);
    assert_int_equal(dm_req_param(&p, "timeout", &v, &json_src, err, sizeof err), 0);
    assert_int_equal(p.timeout_us, 50000);
    v = text("0");
    assert_int_equal(dm_req_param(&p, "timeout", &v, &text_src, err, sizeof err), 0);
    assert_int_equal(p.timeout_us, 0);
    v = text("18446744073709551615"); /* past int64 */
    assert_int_equal(dm_req_param(&p, "timeout", &v, &text_src, err, sizeof err), -1);
    const char *msg = "parameters.timeout must be a non-negative integer (microseconds)";
    refused("timeout", (dm_param){.kind = DM_PARAM_INT, .neg = true, .i = -5}, &json_src, msg);
    refused("timeout", (dm_param){.kind = DM_PARAM_OTHER}, &json_src, msg);
    refused("timeout", text("1.5"), &(dm_param_src){"option ", "options"},
            "option timeout must be a non-negative integer");
}

static void test_sequence(void **state)
{
    (void)state;
    dm_req_params p;
    dm_req_params_init(&p);
    char err[256];
    dm_param v = uint_param(UINT64_MAX);
    assert_int_equal(dm_req_param(&p, "sequence_id", &v, &json_src, err, sizeof err), 0);
    assert_string_equal(p.seq.id, "18446744073709551615");
    assert_true(p.has_seq);
    v = string("cam-7");
    assert_int_equal(dm_req_param(&p, "sequence_id", &v, &json_src, err, sizeof err), 0);
    assert_string_equal(p.seq.id, "cam-7");
    v = text("42"); /* as text: the same id as the integer 42 */
    assert_int_equal(dm_req_param(&p, "sequence_id", &v, &text_src, err, sizeof err), 0);
    assert_string_equal(p.seq.id, "42");
    v = (dm_param){.kind = DM_PARAM_BOOL, .b = true};
    assert_int_equal(dm_req_param(&p, "sequence_start", &v, &json_src, err, sizeof err), 0);
    assert_true(p.seq.start);
    v = text("1");
    assert_int_equal(dm_req_param(&p, "sequence_end", &v, &text_src, err, sizeof err), 0);
    assert_true(p.seq.end);
    v = text("false");
    assert_int_equal(dm_req_param(&p, "sequence_end", &v, &text_src, err, sizeof err), 0);
    assert_false(p.seq.end);
    assert_int_equal(dm_req_params_check(&p, &json_src, err, sizeof err), 0);

    refused("sequence_id", (dm_param){.kind = DM_PARAM_INT, .neg = true, .i = -3}, &json_src,
            "parameters.sequence_id must be an unsigned integer or a string (got -3)");
    refused("sequence_id", (dm_param){.kind = DM_PARAM_OTHER, .type = "d"},
            &(dm_param_src){"option ", "options"},
            "option sequence_id must be an unsigned integer or a string (not d)");
    refused("sequence_id", string("a b"), &json_src, "parameters.sequence_id: a sequence id is");
    refused("sequence_start", uint_param(1), &json_src,
            "parameters.sequence_start must be a boolean");
    refused("sequence_end", text("yes"), &text_src,
            "user property sequence_end 'yes' is not true, false, 1 or 0");

    dm_req_params_init(&p);
    v = (dm_param){.kind = DM_PARAM_BOOL, .b = true};
    assert_int_equal(dm_req_param(&p, "sequence_start", &v, &json_src, err, sizeof err), 0);
    assert_int_equal(dm_req_params_check(&p, &text_src, err, sizeof err), -1);
    assert_non_null(strstr(err, "user properties: sequence_start needs a sequence_id"));
}

static void test_other_keys(void **state)
{
    (void)state;
    dm_req_params p;
    dm_req_params_init(&p);
    char err[64] = "";
    dm_param v = uint_param(1);
    assert_int_equal(dm_req_param(&p, "binary_data_output", &v, &json_src, err, sizeof err), 1);
    assert_int_equal(dm_req_param(&p, "Priority", &v, &json_src, err, sizeof err), 1);
    assert_string_equal(err, "");
    assert_true(dm_req_param_known("timeout"));
    assert_false(dm_req_param_known("colour"));
    assert_int_equal(p.priority, DM_PRIO_NORMAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),   cmocka_unit_test(test_priority),
        cmocka_unit_test(test_timeout),    cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_other_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
