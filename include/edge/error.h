/* edge/error.h - error codes shared by every libedge function.
 *
 * Owns: the one list of error codes (an X-macro, in the manner of libuv's
 * UV_ERRNO_MAP), their names and messages, and the edge_error record that
 * carries a human-readable explanation (what, where, what to do) out of a
 * failing call. Does not own logging: the library never logs. */
#ifndef EDGE_ERROR_H
#define EDGE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define EDGE_API __attribute__((visibility("default")))
#else
#define EDGE_API
#endif

/* X(NAME, "message"). Codes are negative: EDGE_E<NAME> = -1 - position. */
#define EDGE_ERRNO_MAP(X)                                   \
    X(INVAL, "invalid argument")                            \
    X(NOMEM, "out of memory")                               \
    X(IO, "cannot read file")                               \
    X(FORMAT, "malformed model file")                       \
    X(UNSUPPORTED, "unsupported operator, version or type") \
    X(SHAPE, "tensor shape or type mismatch")               \
    X(RANGE, "value out of range")                          \
    X(LIMIT, "size limit exceeded")                         \
    X(NOTFOUND, "not found")                                \
    X(STATE, "operation not valid in this state")           \
    X(DEVICE, "accelerator device error")

enum edge__errno_index {
#define EDGE__ERRIDX(name, msg) EDGE__IDX_##name,
    EDGE_ERRNO_MAP(EDGE__ERRIDX)
#undef EDGE__ERRIDX
        EDGE__IDX_COUNT
};

typedef enum edge_errno {
    EDGE_OK = 0,
#define EDGE__ERRVAL(name, msg) EDGE_E##name = -1 - EDGE__IDX_##name,
    EDGE_ERRNO_MAP(EDGE__ERRVAL)
#undef EDGE__ERRVAL
} edge_errno;

#define EDGE_ERROR_MESSAGE_MAX 512

/* Filled by a failing call when the caller passes one; untouched on success.
 * message says what was wrong and where (file offset, tensor, node). */
typedef struct edge_error {
    int code;
    char message[EDGE_ERROR_MESSAGE_MAX];
} edge_error;

/* "malformed model file" etc.; "unknown error" for codes outside the map. */
EDGE_API const char *edge_strerror(int code);
/* "EDGE_EFORMAT" etc. */
EDGE_API const char *edge_err_name(int code);

#ifdef __cplusplus
}
#endif
#endif
