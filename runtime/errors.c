/* runtime/errors.c - error code names and messages, and the edge_error filler.
 *
 * Owns: edge_strerror/edge_err_name (from EDGE_ERRNO_MAP). edge__seterr, which
 * every module uses to describe a failure to its caller, is common/seterr.h. */
#include "edge/error.h"

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
