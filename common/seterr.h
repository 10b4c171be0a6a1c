/* common/seterr.h - filling an edge_error (internal; every layer of libedge and its plugins).
 *
 * Owns: edge__seterr / edge__vseterr, which record a failure's code and message
 * in an edge_error the caller may have passed as NULL, and return the code, so a
 * failing check reads `return edge__seterr(err, EDGE_ESHAPE, "...", ...)`.
 * Header only: the operator derivations (ops/) and plugins use it without
 * linking the runtime. Does not own the codes (edge/error.h). */
#ifndef EDGE_COMMON_SETERR_H
#define EDGE_COMMON_SETERR_H

#include <stdarg.h>
#include <stdio.h>

#include "edge/error.h"

__attribute__((format(printf, 3, 0))) static inline int edge__vseterr(edge_error *err, int code,
                                                                      const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
    }
    return code;
}

__attribute__((format(printf, 3, 4))) static inline int edge__seterr(edge_error *err, int code,
                                                                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    edge__vseterr(err, code, fmt, ap);
    va_end(ap);
    return code;
}

#endif
