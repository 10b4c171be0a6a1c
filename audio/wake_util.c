/* audio/wake_util.c - what the wake-word files of audio/ share (wake_util.h).
 *
 * Owns: wake_fail, wake_model_open.
 * Does not own: the checks of what a model file holds (oww.c, mww.c). */
#include "wake_util.h"

#include <stdarg.h>
#include <stdio.h>

int wake_fail(edge_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int wake_model_open(const char *path, const char *name, unsigned threads, int32_t samples,
                    edge_model **out, edge_error *err)
{
    edge_model_options o = {.threads = threads ? threads : 1, .name = name};
    edge_input_shape shape = {.input = 0, .n_dims = 2, .dims = {1, samples}};
    if (samples) {
        o.input_shapes = &shape;
        o.n_input_shapes = 1;
    }
    return edge_model_open(path, &o, out, err) ? -1 : 0;
}
