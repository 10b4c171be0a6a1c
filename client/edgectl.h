/* client/edgectl.h - shared pieces of the edgectl command-line tool.
 *
 * Owns: the exit codes edgectl promises scripts, and the entry points of its
 * subcommands (one file each). */
#ifndef EDGECTL_H
#define EDGECTL_H

#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

/* Exit codes (documented in edgectl --help and docs/operations.md). */
enum {
    EDGECTL_OK = 0,
    EDGECTL_EFAIL = 1,     /* the model was refused or the operation failed */
    EDGECTL_EUSAGE = 2,    /* bad command line */
    EDGECTL_EIO = 3,       /* an input or output file could not be read or written */
    EDGECTL_ENODAEMON = 4, /* the daemon is not running or cannot be reached */
};

int edgectl_inspect(int argc, char **argv);
int edgectl_cache(int argc, char **argv);        /* cmd_cache.c */
int edgectl_quantize_cmd(int argc, char **argv); /* cmd_quantize.c */
/* keygen, sign and verify (cmd_sign.c): ARGV[0] says which. */
int edgectl_sign(int argc, char **argv);
int edgectl_run(int argc, char **argv);
/* `--shape [I:]D0,D1,...` (also D0xD1...): input I (default NEXT) given dims D (each 1 to
 * EDGE_MAX_RESIZE_DIM, at most EDGE_MAX_DIMS) into *OUT. 0, or -1 for text not of that form. */
struct edge_input_shape;
int edgectl_parse_shape(const char *text, int next, struct edge_input_shape *out);
int edgectl_detect(int argc, char **argv);

/* The whole of PATH (or stdin for "-"), at most 1 GiB, malloc'd; NULL with a message naming
 * WHAT on stderr (cmd_input.c). */
uint8_t *edgectl_read_file(const char *path, size_t *len, const char *what);

typedef struct edge_model edge_model;
/* inspect_graphs.c: inspect's subgraphs, variables and custom operators (human, JSON). */
void edgectl_inspect_graphs_human(const edge_model *m);
void edgectl_inspect_graphs_json(const edge_model *m);

/* JSON string with escapes, quotes included. */
void edgectl_json_str(FILE *f, const char *s);
/* N bytes for people: "812K", "3.4M", "1.2G" (powers of 1024). */
void edgectl_bytes(int64_t n, char *buf, size_t len);
/* How long ago WHEN_MS (ms since the epoch) was: "4s", "12m", "3h", "2d"; "-" for 0. */
void edgectl_ago(int64_t when_ms, char *buf, size_t len);
/* "[1,96,96,1]" */
void edgectl_print_shape(FILE *f, const int32_t *dims, int rank);

#endif
