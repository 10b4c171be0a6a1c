/* tools/float_twin.h - the float32 twin of a quantized model (tools/float_twin.c). */
#ifndef EDGE_FLOAT_TWIN_H
#define EDGE_FLOAT_TWIN_H

#include <stddef.h>

/* Read the quantized model IN_PATH and write its float32 twin to OUT_PATH: 0, or a negative
 * EDGE_E* code with ERR (LEN bytes) saying what and where. */
int float_twin_write(const char *in_path, const char *out_path, char *err, size_t len);

#endif
