/* tests/unit/test_vision_req.c - daemon/vision_req.h's pure parts.
 *
 * Owns: dm_vreq_unnamed, the error text an image request hands its front end: request.c's
 * messages (the deadline, the queue, cancellation, "version N: the inference failed") lose
 * their leading "model 'NAME'" so that the front end's own prefix names the model once (issue
 * 44: "model 'ssd': model 'ssd': the request's deadline passed"); other texts, and another
 * model's name, stay as they are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vision_req.h"

static void test_unnamed(void **state)
{
    (void)state;
    assert_string_equal(dm_vreq_unnamed("model 'ssd': the request's deadline passed after 5 us "
                                        "in the queue, before it could run",
                                        "ssd"),
                        "the request's deadline passed after 5 us in the queue, before it "
                        "could run");
    assert_string_equal(dm_vreq_unnamed("model 'ssd' version 3: the inference failed: x", "ssd"),
                        "version 3: the inference failed: x");
    assert_string_equal(dm_vreq_unnamed("model 'ssd' version 3 was unloaded", "ssd"),
                        "version 3 was unloaded");
    /* not this model's name, or no name: untouched */
    assert_string_equal(dm_vreq_unnamed("model 'ssd2': the queue is full", "ssd"),
                        "model 'ssd2': the queue is full");
    assert_string_equal(dm_vreq_unnamed("model 'ssd': x", "ss"), "model 'ssd': x");
    assert_string_equal(dm_vreq_unnamed("JPEG: more than 100 scans", "ssd"),
                        "JPEG: more than 100 scans");
    assert_string_equal(dm_vreq_unnamed("the server is shutting down", "ssd"),
                        "the server is shutting down");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unnamed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
