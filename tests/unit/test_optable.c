/* tests/unit/test_optable.c - every row of the operator table (ops/optable.def) is complete.
 *
 * Owns: the walk over the table's rows, builtin and custom, checking each has every part an
 * operator needs: a name (a builtin's matching runtime/opnames.c for its code), a CPU
 * implementation registered with the row's version, an options decoder or an explicit NONE,
 * its derivation files (ops/<file>.c existing) or an explicit "none", its data input, at
 * least one type, its fast paths (named in backends/cpu/fast_*.h) or "none", a generator in
 * tools/opgen (listed under its name and code), and a line in docs/operators.md; and that no
 * two rows describe one operator. Each missing part is printed with its row; the test fails
 * on any. usage: test_optable SOURCE_ROOT. Does not own what the operators compute
 * (tests/models, tests/ops) nor the document's exact text (the test `opdoc`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cpu_op.h"
#include "edge/ops.h"
#include "edge/runtime.h"
#include "opgen.h"
#include "optable.def"
#include "optypes.h"

/* One row, every column as the table spells it (the types as a value too). */
typedef struct row {
    const char *name; /* the builtin's name, or the custom_code */
    int32_t code;
    bool custom;
    int version;
    const char *options, *derive;
    int data;
    const char *types_text;
    const char *fast, *gen, *notes;
} row;

#define ROW_BUILTIN(name, version, options, derive, data, types, fast, gen, notes) \
    {#name, EDGE_OP_##name, false, version, #options, derive, data, #types, fast, #gen, notes},
#define ROW_CUSTOM(sym, custom, version, options, derive, data, types, fast, gen, notes) \
    {custom, EDGE_OP_CUSTOM, true, version, #options, derive, data, #types, fast, #gen, notes},
/* clang-format off */
static const row rows[] = {
    EDGE_OPTABLE_BUILTIN(ROW_BUILTIN)
    EDGE_OPTABLE_CUSTOM(ROW_CUSTOM)
};
/* clang-format on */
#undef ROW_BUILTIN
#undef ROW_CUSTOM
#define N_ROWS (sizeof rows / sizeof rows[0])

static const char *source_root = ".";

/* The file at SOURCE_ROOT/REL into a malloc'd string (NULL when unreadable). */
static char *slurp(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", source_root, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    if (!fseek(f, 0, SEEK_END) && (len = (size_t)ftell(f)) < (16u << 20) &&
        !fseek(f, 0, SEEK_SET)) {
        text = malloc(len + 1);
        if (text && fread(text, 1, len, f) != len) {
            free(text);
            text = NULL;
        } else if (text)
            text[len] = 0;
    }
    fclose(f);
    return text;
}

static bool file_exists(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", source_root, rel);
    return access(path, R_OK) == 0;
}

static size_t missing;

static void lacks(const row *r, const char *part, const char *detail)
{
    printf("operator %s (ops/optable.def) lacks %s%s%s\n", r->name, part, detail ? ": " : "",
           detail ? detail : "");
    missing++;
}

/* Each space-separated word of LIST passes OK(word); "none" alone is an explicit absence. */
static bool words_ok(const char *list, bool (*ok)(const char *word, void *ctx), void *ctx)
{
    if (!*list)
        return false;
    if (!strcmp(list, "none"))
        return true;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
        if (!ok(w, ctx))
            return false;
    return true;
}

static bool derive_file_ok(const char *word, void *ctx)
{
    (void)ctx;
    char rel[128];
    snprintf(rel, sizeof rel, "ops/%s.c", word);
    return !strncmp(word, "derive", 6) && file_exists(rel);
}

/* A fast path FOO is edge_fast_FOO* or edge_FOO* declared in the fast-path headers. */
static bool fast_path_ok(const char *word, void *ctx)
{
    const char *headers = ctx;
    char a[96], b[96];
    snprintf(a, sizeof a, "edge_fast_%s", word);
    snprintf(b, sizeof b, "edge_%s_", word);
    return strstr(headers, a) || strstr(headers, b);
}

static bool options_ok(const row *r)
{
    const char *o = r->options;
    if (!strcmp(o, "NONE"))
        return true;
    if (!r->custom) { /* OPT(SomethingOptions, edge__opt_decoder) */
        const char *comma = strstr(o, "Options, ");
        return !strncmp(o, "OPT(", 4) && comma && strlen(comma + 9) > 1;
    }
    return !strcmp(o, "SIGNAL") || !strncmp(o, "FLEX(", 5) || !strncmp(o, "RAW(", 4);
}

static void check_implementation(const row *r)
{
    const edge_op *op = edge_cpu_find_node_op(r->code, r->custom ? r->name : NULL);
    if (!op)
        lacks(r, "a CPU implementation", "edge_cpu_find_node_op finds none");
    else if (op->max_version != r->version) {
        char d[96];
        snprintf(d, sizeof d, "the table says version %d, edge_op_%s.max_version %d", r->version,
                 r->name, (int)op->max_version);
        lacks(r, "its version", d);
    }
}

static void check_generator(const row *r)
{
    size_t i = 0;
    while (i < opgen_op_count() && strcmp(opgen_op_name(i), r->name))
        i++;
    if (strncmp(r->gen, "og_gen_", 7) || i == opgen_op_count())
        lacks(r, "a generator", "no og_gen_* in tools/opgen's list under its name");
    else if (opgen_op_code(i) != r->code)
        lacks(r, "a generator", "tools/opgen lists it under another code");
}

static void check_row(const row *r, const char *doc, const char *fast_headers)
{
    if (!r->name || !*r->name)
        lacks(r, "a name", NULL);
    if (!r->custom && (!edge_op_name(r->code) || strcmp(edge_op_name(r->code), r->name)))
        lacks(r, "a name matching runtime/opnames.c for its code", edge_op_name(r->code));
    check_implementation(r);
    if (!options_ok(r))
        lacks(r, "an options decoder", "OPTIONS is neither NONE nor a decoder");
    if (!words_ok(r->derive, derive_file_ok, NULL))
        lacks(r, "its derivation", "DERIVE names no ops/derive*.c file (or \"none\")");
    if (r->data < 0 || r->data > 3 || (!r->custom && edge_op_data_input(r->code) != r->data))
        lacks(r, "its data input", NULL);
    const edge_optype *t = edge_optype_find(r->code, r->custom ? r->name : NULL);
    if (!*r->types_text || !t || !t->types || !strcmp(r->types_text, "0"))
        lacks(r, "types", "TYPES is empty");
    if (!words_ok(r->fast, fast_path_ok, (void *)fast_headers))
        lacks(r, "its fast paths", "FAST names no path of backends/cpu/fast_*.h (or \"none\")");
    check_generator(r);
    char line[160];
    snprintf(line, sizeof line, "\n| %s |", r->name);
    if (!doc || !strstr(doc, line))
        lacks(r, "a line in docs/operators.md", "regenerate it: build/tools/gen-opdoc");
}

static void test_every_row_is_complete(void **state)
{
    (void)state;
    char *doc = slurp("docs/operators.md");
    char *h1 = slurp("backends/cpu/fast_ops.h"), *h2 = slurp("backends/cpu/fast_u8.h"),
         *h3 = slurp("backends/cpu/fast_int16.h");
    assert_non_null(doc);
    assert_true(h1 && h2 && h3);
    char *headers = malloc(strlen(h1) + strlen(h2) + strlen(h3) + 1);
    assert_non_null(headers);
    strcat(strcat(strcpy(headers, h1), h2), h3);
    missing = 0;
    for (size_t i = 0; i < N_ROWS; i++)
        check_row(&rows[i], doc, headers);
    free(doc);
    free(h1);
    free(h2);
    free(h3);
    free(headers);
    assert_true(N_ROWS > 100);
    if (missing)
        fail_msg("%zu parts missing from the rows of ops/optable.def (listed above)", missing);
}

static void test_one_row_per_operator(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ROWS; i++)
        for (size_t j = i + 1; j < N_ROWS; j++)
            if (!strcmp(rows[i].name, rows[j].name) ||
                (!rows[i].custom && rows[i].code == rows[j].code))
                fail_msg("operator %s has two rows in ops/optable.def", rows[i].name);
    /* and the registry runs exactly the table's operators */
    size_t n = 0;
    const char *custom = NULL;
    while (edge_cpu_op_at(n, &custom))
        n++;
    assert_int_equal(n, N_ROWS);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        source_root = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row_is_complete),
        cmocka_unit_test(test_one_row_per_operator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
