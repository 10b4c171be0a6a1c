/* client/edgectl_daemon.h - edgectl's commands that talk to edged.
 *
 * Owns: the entry points of infer, models, status, load, unload, bench and profile,
 * and what they share: the --socket/--json options, opening the client,
 * mapping libedgeclient errors to exit codes and messages, and turning input
 * files (raw bytes, JSON values, .npy) into request tensors. */
#ifndef EDGECTL_DAEMON_H
#define EDGECTL_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/client.h"
#include "values.h"

int edgectl_infer(int argc, char **argv);
int edgectl_models(int argc, char **argv);
int edgectl_status(int argc, char **argv);
int edgectl_load(int argc, char **argv);
int edgectl_reload(int argc, char **argv);
int edgectl_unload(int argc, char **argv);
int edgectl_bench(int argc, char **argv);
int edgectl_profile(int argc, char **argv); /* cmd_profile.c */
int edgectl_push(int argc, char **argv);    /* cmd_sign.c */

/* Options every daemon command takes. */
typedef struct edgectl_common {
    const char *socket; /* NULL: $EDGED_SOCKET or the default */
    bool json;
} edgectl_common;

/* Consume --socket PATH or --json at argv[*i] (advancing *i past a value):
 * 1 consumed, 0 not one of them, -1 missing value. */
int edgectl_common_opt(edgectl_common *o, int argc, char **argv, int *i);
/* A client for the socket the options select; an exit code on failure. */
int edgectl_open(const edgectl_common *o, edge_client **out);

/* The command line of a command on one model (infer, bench): the common options, one
 * positional MODEL ('-' counts as a name, not an option) and options that take a value,
 * handed to VALUE_OPT(CTX, option, value), which returns 0 when it took them. 0, or -1 on
 * a usage error (the caller prints its usage). */
int edgectl_parse_model_args(int argc, char **argv, edgectl_common *o, const char **model,
                             int (*value_opt)(void *ctx, const char *arg, const char *val),
                             void *ctx);
/* Open the client O selects, fetch MODEL's metadata (VERSION NULL: the default) and call
 * RUN(C, META, CTX); the exit code (edgectl_client_fail's on a failed fetch). */
int edgectl_with_model(const edgectl_common *o, const char *model, const char *version,
                       int (*run)(edge_client *c, const edge_client_model_meta *m, void *ctx),
                       void *ctx);
/* Print the client's error and return the exit code it means:
 * 4 unreachable, 1 the daemon's error or a bad reply, 3 local failure. */
int edgectl_client_fail(edge_client *c, int rc);
/* Strict unsigned integer option value; false if not one. */
bool edgectl_parse_u64(const char *s, uint64_t *out);
/* "high" -> 1, "normal" -> 0 (the infer request's "priority" parameter). */
bool edgectl_parse_priority(const char *s, int *out);

/* ---------------------------------------------------------------- inputs (cmd_input.c) */
typedef struct edgectl_inputs {
    size_t n;
    edge_client_tensor *t; /* names and datatypes point into the metadata */
    uint8_t **bufs;        /* owned data */
} edgectl_inputs;

edgectl_quant edgectl_meta_quant(const edge_client_tensor_meta *t);
/* One input per file, in the model's input order. FORMAT: NULL (detect),
 * "raw", "json" or "npy". Returns an exit code; messages go to stderr. */
int edgectl_inputs_load(const edge_client_model_meta *m, const char *const *paths, size_t n,
                        const char *format, edgectl_inputs *out);
/* Zero-filled inputs (edgectl bench without --input). */
int edgectl_inputs_zero(const edge_client_model_meta *m, edgectl_inputs *out);
void edgectl_inputs_free(edgectl_inputs *in);

#endif
