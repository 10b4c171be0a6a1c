/* runtime/errors.c - error code names and messages, and the edge_error filler.
 *
 * Owns: edge_strerror/edge_err_name (from EDGE_ERRNO_MAP) and edge__seterr,
 * which every runtime module uses to describe a failure to its caller. */
#include <stdarg.h>
#include <stdio.h>

#include "edge/error.h"
#include "model.h"

const char *edge_strerror(int code)
{
    if (code == EDGE_OK)
        return "success";
    switch (code) {
#define EDGE__ERRSTR(name, msg) \
    case EDGE_E##name: return msg;
        EDGE_ERRNO_MAP(EDGE__ERRSTR)
#undef EDGE__ERRSTR
    default: return "unknown error";
    }
}

const char *edge_err_name(int code)
{
    if (code == EDGE_OK)
        return "EDGE_OK";
    switch (code) {
#define EDGE__ERRNAME(name, msg) \
    case EDGE_E##name: return "EDGE_E" #name;
        EDGE_ERRNO_MAP(EDGE__ERRNAME)
#undef EDGE__ERRNAME
    default: return "EDGE_E?";
    }
}

int edge__seterr(edge_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}
