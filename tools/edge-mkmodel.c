/* tools/edge-mkmodel.c - write demo and test models from the command line.
 *
 * Owns: the command line only: `demo` (the digit classifier and its inputs,
 * tools/digits.c), `op` (one seeded random single-operator model,
 * tools/opgen.c), `float` (a quantized model's float32 twin, tools/float_twin.c) and `list`.
 * Does not own any model's content. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"
#include "edge/error.h"
#include "opgen.h"
#include "edge/runtime.h"
#include "float_twin.h"
#include "tflite_writer.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: edge-mkmodel demo OUTDIR\n"
               "       edge-mkmodel op [--float | --type int8|uint8|int16] NAME SEED OUT.tflite\n"
               "       edge-mkmodel float IN.tflite OUT.tflite\n"
               "       edge-mkmodel list\n"
               "       edge-mkmodel --help\n"
               "\n"
               "demo  writes OUTDIR/digits.tflite (int8: 8x8 image -> RESHAPE -> FULLY_CONNECTED\n"
               "      -> SOFTMAX over ten digit templates), OUTDIR/digits.labels and\n"
               "      OUTDIR/digits-0.bin ... digits-9.bin (64 int8 pixels: -128 background,\n"
               "      127 ink). Running digits.tflite on digits-N.bin ranks label N first.\n"
               "op    writes a random single-operator model of NAME (see `list`) drawn from\n"
               "      SEED: the int8 model, or with --float its float32 twin, or with --type its\n"
               "      uint8 or int16 (16x8) variant; and its inputs next to it as\n"
               "      OUT.input_<i>.bin (raw tensor bytes).\n"
               "float writes the float32 twin of the quantized model IN: quantized tensors\n"
               "      become float32 (constants dequantized per channel), QUANTIZE and\n"
               "      DEQUANTIZE nodes go, every other node keeps its operator and options\n"
               "      (a float model to try `edgectl quantize` on).\n"
               "list  prints the operator names `op` accepts.\n"
               "\n"
               "Exit status: 0 on success, 1 on failure, 2 on a usage error.\n");
}

static int cmd_demo(const char *dir)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "edge-mkmodel: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    const int rc = digits_write_demo(dir);
    if (rc) {
        fprintf(stderr, "edge-mkmodel: cannot write the demo into %s: %s\n", dir,
                edge_strerror(rc));
        return 1;
    }
    printf("wrote %s/digits.tflite, %s/digits.labels, %s/digits-{0..9}.bin\n", dir, dir, dir);
    return 0;
}

static int write_inputs(const char *out, const opgen_model *m)
{
    const size_t len = strlen(out);
    const size_t stem = len > 7 && strcmp(out + len - 7, ".tflite") == 0 ? len - 7 : len;
    for (int i = 0; i < m->n_inputs; i++) {
        char path[4096];
        if (snprintf(path, sizeof path, "%.*s.input_%d.bin", (int)stem, out, i) >= (int)sizeof path)
            return EDGE_EINVAL;
        const int rc = tfw_save(path, m->input[i], m->input_bytes[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int cmd_op(const char *name, const char *seed_text, const char *out, bool use_float,
                  int qtype)
{
    char *end;
    const unsigned long seed = strtoul(seed_text, &end, 0);
    if (!*seed_text || *end || seed > 0xffffffffUL) {
        fprintf(stderr, "edge-mkmodel: SEED must be a number from 0 to 4294967295, not '%s'\n",
                seed_text);
        return 2;
    }
    opgen_case c;
    int rc = opgen_make_typed(name, (uint32_t)seed, qtype, &c);
    if (rc == EDGE_ENOTFOUND) {
        fprintf(stderr, "edge-mkmodel: no generator for operator '%s' (see edge-mkmodel list)\n",
                name);
        return 2;
    }
    if (rc) {
        fprintf(stderr, "edge-mkmodel: cannot generate %s seed %lu: %s\n", name, seed,
                edge_strerror(rc));
        return 1;
    }
    const opgen_model *m = use_float ? &c.f : &c.q;
    rc = tfw_save(out, m->file, m->size);
    if (!rc)
        rc = write_inputs(out, m);
    if (rc)
        fprintf(stderr, "edge-mkmodel: cannot write %s: %s\n", out, edge_strerror(rc));
    else
        printf("%s seed %lu (%s):%s\n", name, seed, use_float ? "float32" : edge_dtype_name(qtype),
               c.desc);
    opgen_case_free(&c);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "demo"))
        return cmd_demo(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "float")) {
        char err[512];
        if (float_twin_write(argv[2], argv[3], err, sizeof err)) {
            fprintf(stderr, "edge-mkmodel: %s\n", err);
            return 1;
        }
        printf("wrote %s (the float32 twin of %s)\n", argv[3], argv[2]);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "list")) {
        for (size_t i = 0; i < opgen_op_count(); i++)
            printf("%s\n", opgen_op_name(i));
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "op")) {
        const bool use_float = argc == 6 && !strcmp(argv[2], "--float");
        const bool typed = argc == 7 && !strcmp(argv[2], "--type");
        int qtype = EDGE_INT8;
        if (typed) {
            qtype = !strcmp(argv[3], "int8")    ? EDGE_INT8
                    : !strcmp(argv[3], "uint8") ? EDGE_UINT8
                    : !strcmp(argv[3], "int16") ? EDGE_INT16
                                                : -1;
            if (qtype < 0) {
                fprintf(stderr, "edge-mkmodel: --type takes int8, uint8 or int16, not '%s'\n",
                        argv[3]);
                return 2;
            }
        }
        if (argc == 5 || use_float || typed)
            return cmd_op(argv[argc - 3], argv[argc - 2], argv[argc - 1], use_float, qtype);
    }
    usage(stderr);
    return 2;
}
