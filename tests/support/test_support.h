/* tests/support/test_support.h - helpers shared by the test programs.
 *
 * Owns: finding the shared test data (EDGE_SHARED_DIR), reading files, the
 * key=value meta.txt files of ../shared/ops and ../shared/models, and running
 * a dynamically built list of cmocka tests. */
#ifndef EDGE_TEST_SUPPORT_H
#define EDGE_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/runtime.h"

/* An in-memory tensor description (runtime/model.h) of TYPE and shape DIMS
 * (RANK of them): element count, byte count and an empty name; the rest is the
 * caller's (data, quantization). For the unit tests that build nodes by hand. */
struct edge_tensor;
void edge_test_tensor_shape(struct edge_tensor *t, int type, int rank, const int32_t *dims);

/* Exit code meson counts as SKIP. */
#define EDGE_TEST_SKIP 77

/* $EDGE_SHARED_DIR/SUB if it is a directory; otherwise prints a visible
 * "SKIP: ..." line saying why and returns NULL. Result is malloc'd. */
char *edge_test_shared_path(const char *sub);
/* A fake sysfs under ROOT for daemon/health.c: thermal_zone0 "cpu-thermal" at 48.312 C
 * (critical 90 C), thermal_zone1 without a temperature, thermal_zone10 "gpu-thermal" at 41 C,
 * cpu0 and cpu1 at 600 MHz with their maximum capped at 1000 of 1500 MHz, the Raspberry Pi
 * firmware's flags 0x50005 (under-voltage and throttled now), and an Edge TPU apex_0 at 86 C
 * past its first trip point (85, 90, 95 C). 0, or -1. */
int edge_test_fake_sysfs(const char *root);
/* TEXT into the file ROOT/REL, making the directories between. 0, or -1. */
int edge_test_put_text(const char *root, const char *rel, const char *text);

/* Whole file into a malloc'd buffer (NULL if unreadable); *len gets its size. */
void *edge_test_read_file(const char *path, size_t *len);

/* Sorted names of the subdirectories of DIR (malloc'd array of malloc'd
 * strings, NULL-terminated); entries whose name contains FILTER (if not NULL
 * or empty) only. */
char **edge_test_list_dirs(const char *dir, const char *filter);
void edge_test_free_list(char **list);

/* Value of "KEY=" in a key=value text (the first line starting with it), copied
 * into OUT (up to LEN); false if absent. */
bool edge_test_meta_get(const char *text, const char *key, char *out, size_t len);
/* Value of "NAME=" within a line's space-separated fields, e.g. type in
 * "output_0=type=int8 shape=1,2". */
bool edge_test_field(const char *line, const char *name, char *out, size_t len);

/* Run N cmocka tests named NAMES[i], each calling FN with state STATES[i]. */
int edge_test_run_dynamic(const char *group, size_t n, const char *const *names,
                          void (*fn)(void **state), void **states);

/* A kernel configuration the model tests run every model in: a level, intra-op
 * threads, or the portable C kernels forced through the op drivers. */
typedef struct edge_test_kconfig {
    const char *name;
    edge_model_options opt;
    bool portable;
} edge_test_kconfig;

/* scalar, avx2, avx512vnni, neon, neondot, "best, 2 threads", "portable C",
 * "portable C, 3 threads". */
extern const edge_test_kconfig edge_test_kconfigs[];
extern const size_t edge_test_n_kconfigs;

/* K runs here: its level exists on this architecture, the CPU has it (else
 * *cpu_lacks is set, for a visible SKIP line) and EDGE_TEST_CONFIGS="a,b"
 * names it (valgrind and qemu run a few; unset or empty, all run). */
bool edge_test_kconfig_runs(const edge_test_kconfig *k, bool *cpu_lacks);
/* EDGE_TEST_CONFIGS names level ISA ("avx2", ...) or is unset: for tests that walk the levels
 * themselves (valgrind runs one). */
bool edge_test_level_wanted(edge_isa isa);
/* Models opened between enter and leave use K's kernels (forcing the portable
 * table when K asks for it). */
void edge_test_kconfig_enter(const edge_test_kconfig *k);
void edge_test_kconfig_leave(void);

/* The kernel levels this machine runs (edge_isa_effective of every level of every
 * architecture, EDGE_ISA capping them), each once, into OUT (room for 6); their count. */
int edge_test_levels(edge_isa *out);

/* Output 0 of the model in BUF at level ISA on THREADS threads, the environment variable ENV set
 * to VALUE while the model opens (ENV NULL: nothing set; VALUE NULL: ENV unset), on input 0's
 * IN_BYTES bytes IN: malloc'd, *OUT_BYTES bytes; the model's kernel list (edge_model_kernels)
 * into KERNELS (LEN bytes). A failure to open or run fails the test. */
void *edge_test_run_buffer(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads,
                           const char *env, const char *value, const void *in, size_t in_bytes,
                           size_t *out_bytes, char *kernels, size_t len);
/* The same, nothing set in the environment, every output one after the other. */
void *edge_test_run_buffer_all(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads,
                               const void *in, size_t in_bytes, size_t *out_bytes, char *kernels,
                               size_t len);
/* The index of the first of N bytes where A and B differ; N when they are equal. */
size_t edge_test_first_diff(const void *a, const void *b, size_t n);

#endif
