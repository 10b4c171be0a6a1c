/* tools/gen_opdoc.c - writes docs/operators.md from the operator table (a build step and a test).
 *
 * Owns: the Markdown list of every operator the CPU runs, builtin and custom, each with its
 * highest version (the registry, backends/cpu/registry.c), its options and fast paths (the
 * operator table, ops/optable.def), its data input, the types that input takes and the
 * table's notes (backends/cpu/optypes.c, expanded from the same rows), sorted by name. Fails
 * when a registered operator has no row, so the list cannot leave one out.
 * usage: gen-opdoc OUTPUT          write the list
 *        gen-opdoc --check FILE    exit 1 when FILE is not what the table generates now
 *                                  (the meson test `opdoc` keeps the checked-in copy true) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/ops.h"
#include "edge/runtime.h"
#include "optable.def"
#include "optypes.h"

/* The checked-in copy is small; a larger FILE is not the list. */
#define OPDOC_MAX_BYTES (1u << 20)

typedef struct doc_op {
    const char *name;
    const edge_op *op;
    const edge_optype *row;
    const char *options; /* the options table, or how a custom operator's are read */
    int options_len;
    const char *fast; /* the fast paths, or "none" */
} doc_op;

/* The OPTIONS and FAST columns of ops/optable.def by name (custom_code for a custom row). */
static const struct {
    const char *name, *options, *fast;
} table_cols[] = {
#define DOC_BUILTIN(name, version, options, derive, data, types, fast, ...) {#name, #options, fast},
#define DOC_CUSTOM(sym, custom, version, options, derive, data, types, fast, ...) \
    {custom, #options, fast},
    /* clang-format off */
    EDGE_OPTABLE_BUILTIN(DOC_BUILTIN)
    EDGE_OPTABLE_CUSTOM(DOC_CUSTOM)
/* clang-format on */
#undef DOC_BUILTIN
#undef DOC_CUSTOM
};

/* How the table's OPTIONS column COL reads in the document: its *LEN first bytes. */
static const char *options_text(const char *col, int *len)
{
    const char *text = col, *comma = strchr(col, ',');
    if (!strcmp(col, "NONE"))
        text = "none";
    else if (!strncmp(col, "FLEX(", 5) || !strcmp(col, "SIGNAL"))
        text = "FlexBuffer map";
    else if (!strncmp(col, "RAW(", 4))
        text = "raw bytes";
    else if (!strncmp(col, "OPT(", 4) && comma) { /* OPT(Table, decoder): Table */
        *len = (int)(comma - col - 4);
        return col + 4;
    }
    *len = (int)strlen(text);
    return text;
}

/* Sets OP's options and fast path from its table row; false when it has none. */
static bool table_row(doc_op *op)
{
    for (size_t i = 0; i < sizeof table_cols / sizeof table_cols[0]; i++)
        if (!strcmp(table_cols[i].name, op->name)) {
            op->options = options_text(table_cols[i].options, &op->options_len);
            op->fast = strcmp(table_cols[i].fast, "none") ? table_cols[i].fast : "";
            return true;
        }
    return false;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const doc_op *)a)->name, ((const doc_op *)b)->name);
}

/* The registry's operators (custom ones when CUSTOM) with their rows, sorted, into OPS (of
 * MAX entries); returns how many, or -1 naming an operator without a row. */
static int collect(bool custom, doc_op *ops, int max)
{
    int n = 0;
    const char *cc = NULL;
    for (size_t i = 0; edge_cpu_op_at(i, &cc); i++) {
        const edge_op *op = edge_cpu_op_at(i, &cc);
        if ((cc != NULL) != custom)
            continue;
        const char *name = cc ? cc : edge_op_name(op->code);
        const edge_optype *row = edge_optype_find(op->code, cc);
        doc_op d = {name, op, row, NULL, 0, NULL};
        if (!row || !name || n == max || !table_row(&d)) {
            fprintf(stderr, "gen-opdoc: operator %s has no row in ops/optable.def\n",
                    name ? name : "UNKNOWN");
            return -1;
        }
        ops[n++] = d;
    }
    qsort(ops, (size_t)n, sizeof ops[0], by_name);
    return n;
}

static void table(FILE *f, const doc_op *ops, int n)
{
    fputs("| operator | max version | options | data input | types | fast path | notes |\n", f);
    fputs("|---|---|---|---|---|---|---|\n", f);
    for (int i = 0; i < n; i++) {
        char types[160];
        edge_optype_list(ops[i].row->types, types, sizeof types);
        fprintf(f, "| %s | %d | %.*s | %d | %s | %s | %s |\n", ops[i].name,
                (int)ops[i].op->max_version, ops[i].options_len, ops[i].options,
                edge_op_data_input(ops[i].op->code), types, ops[i].fast, ops[i].row->notes);
    }
}

/* The whole document into a malloc'd string (*LEN bytes); NULL on failure. */
static char *render(size_t *len)
{
    static doc_op builtin[512], custom[64];
    const int nb = collect(false, builtin, 512), nc = collect(true, custom, 64);
    if (nb < 0 || nc < 0)
        return NULL;
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f)
        return NULL;
    fputs("# Operators\n\n"
          "<!-- Generated by tools/gen_opdoc.c from the operator table ops/optable.def "
          "(through backends/cpu/optypes.c and backends/cpu/registry.c): do not edit.\n"
          "     Regenerate with `build/tools/gen-opdoc docs/operators.md`; the test `opdoc` "
          "fails while it differs. -->\n\n",
          f);
    fprintf(f,
            "The CPU runs %d builtin operators and %d custom operator%s. For each: the highest "
            "operator version (`OperatorCode.version`) it accepts, the options table it reads, "
            "the input that carries its "
            "data (the tensor it computes on: FILL's value, SPLIT's input after the axis, "
            "TRANSPOSE_CONV's input after the output shape and weights), the types that input "
            "may have, the optimized paths its prepare may choose (backends/cpu/fast_ops.h's "
            "edge_fast_*, fast_u8.h's edge_u8_*, fast_int16.h), and the special cases. Adding "
            "an operator: docs/architecture.md, \"Add an operator\". A node on any other type is "
            "refused at load, "
            "naming it: `node 3: operator GATHER v2 on FLOAT16 is not supported (it takes "
            "FLOAT32, INT8, ...)`. Each operator still checks its other operands (weights, "
            "bias, indices, quantization) when the model loads.\n\n",
            nb, nc, nc == 1 ? "" : "s");
    fputs("Quantized tensors are per tensor unless a note says per channel; INT16 activations "
          "are 16x8 quantization (zero point 0, int8 weights). FLOAT16 is storage only: "
          "DEQUANTIZE reads it, and a float16 constant behind a DEQUANTIZE (MediaPipe's "
          "weights) is dequantized once at load. \"Hybrid\" is a float32 operator with int8 "
          "weights (dynamic-range quantization). INT4 (two values a byte, low nibble first) "
          "is storage only too, for constant weights: the loader unpacks it to int8, so the "
          "weights of FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D and BATCH_MATMUL (int8 and "
          "hybrid), EMBEDDING_LOOKUP's table (float32 output), DEQUANTIZE's input and GATHER's "
          "params may be INT4; GATHER of INT4 params writes an INT4 tensor (held unpacked "
          "likewise, never a model input or output) that DEQUANTIZE or another GATHER reads; "
          "any other reader of an INT4 tensor is refused. FULLY_CONNECTED (int8 and "
          "hybrid, up to 8 rows) reads the nibbles directly (kernels qs8_fc_int4__*); the int8 "
          "GEMM of CONV_2D, FULLY_CONNECTED and 1-channel DEPTHWISE_CONV_2D keeps its packed "
          "blocks 4-bit and expands each into its task's scratch before the kernel reads it; "
          "the other int8 kernels keep their packed int8 form. A tensor read only by nodes on "
          "these packed paths stays 4-bit in the model (the int8 copy is freed after "
          "prepare).\n\n"
          "## Builtin operators\n\n",
          f);
    table(f, builtin, nb);
    fputs("\n## Custom operators (by `custom_code`)\n\n", f);
    table(f, custom, nc);
    fputs("\n## Sparse tensors and DENSIFY (at load)\n\n"
          "A constant tensor of any type above (FLOAT32, FLOAT16, INT8, UINT8, INT16, INT32, "
          "...) may be sparse: TensorFlow Lite's `SparsityParameters` (pruned weights), with a "
          "`traversal_order`, a `block_map` (1x4, 1x16 or any blocks dividing their dimensions) "
          "and DENSE or SPARSE_CSR `dim_metadata` whose segments and indices are Int32Vector, "
          "Uint16Vector or Uint8Vector. The loader verifies every field (runtime/sparse.c: the "
          "order a permutation with the block dimensions last and in order, block levels DENSE, "
          "segments from 0 to the index count and non-decreasing, indices in range and strictly "
          "increasing within a segment, the values exactly as many as the format stores, the "
          "dense forms of a model together under its file size limit) and densifies the tensor "
          "once, as TensorFlow Lite's FormatConverter does; every operator then reads the dense "
          "constant, whether the file puts a DENSIFY before it or not (TFLite's converter marks "
          "FULLY_CONNECTED weights sparse without one). DENSIFY (version 1) is folded at load: "
          "its input must be a sparse constant, as TensorFlow Lite requires, and its output "
          "becomes that dense constant, so no invoke does work for it. Weights that stay sparse: "
          "the int8 and float32 FULLY_CONNECTED and 1x1 CONV_2D (stride 1, no padding) with "
          "constant weights run on sparse kernels when the measured share of zero groups of 4 "
          "input channels pays on the level (kernels `qs8_*_sparse*`, `f32_*_sparse*`; int8 "
          "bit-exact with the dense kernels, float32 the in-order sum with fused multiply-adds, "
          "equal to the dense GEMM to rounding); the weights may be stored sparse or dense with "
          "their zeros. A malformed sparse "
          "tensor is refused naming the tensor and the field: `tensor 14 (w) sparsity: "
          "dim_metadata[1].array_indices[3] = 9 is out of range [0, 7]`.\n",
          f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* FILE's content equals TEXT (LEN bytes); otherwise says where they part. */
static int check(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "gen-opdoc: cannot read %s\n", path);
        return 1;
    }
    char *have = malloc(OPDOC_MAX_BYTES);
    const size_t got = have ? fread(have, 1, OPDOC_MAX_BYTES, f) : 0;
    fclose(f);
    size_t at = 0, line = 1;
    while (at < got && at < len && have[at] == text[at])
        line += text[at++] == '\n';
    free(have);
    if (at == len && got == len)
        return 0;
    fprintf(stderr,
            "gen-opdoc: %s differs from the operator table at line %zu; regenerate it with "
            "build/tools/gen-opdoc %s\n",
            path, line, path);
    return 1;
}

int main(int argc, char **argv)
{
    const bool checking = argc == 3 && !strcmp(argv[1], "--check");
    if (argc != 2 && !checking) {
        fprintf(stderr, "usage: gen-opdoc OUTPUT | gen-opdoc --check FILE\n");
        return 2;
    }
    size_t len = 0;
    char *text = render(&len);
    if (!text)
        return 1;
    const char *path = argv[argc - 1];
    if (checking) {
        const int rc = check(path, text, len);
        free(text);
        return rc;
    }
    FILE *f = fopen(path, "w");
    int ok = f && fwrite(text, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    free(text);
    if (!ok)
        fprintf(stderr, "gen-opdoc: cannot write %s\n", path);
    return ok ? 0 : 1;
}
