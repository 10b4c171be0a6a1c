/* tests/unit/test_pack_cache.c - the packed-weight cache (runtime/interp/pack_cache.c).
 *
 * Owns: checks that a model opened with a cache directory packs and writes its file once
 * (EDGE_PACK_WRITTEN), that the next open takes every packed weight from it (EDGE_PACK_HIT) and
 * answers bit for bit as a model packed in memory, at every kernel level this CPU has; that a
 * file per kernel level and thread count is kept; that a truncated or foreign file is rebuilt
 * (EDGE_PACK_REBUILT), a corrupt one, one writable by others or a symbolic link refused
 * (EDGE_PACK_REFUSED), and none trusted (the answers stay exact, the file is valid again
 * afterwards); and that a directory that cannot be written leaves the model working
 * (EDGE_PACK_UNWRITTEN). Models from ../shared/models: mobilenet_v2_int8_nchw (packed GEMMs
 * and depthwise), person_detect, and mobilenet_v1_025_128_quant_u8 (the uint8 kernels'); and one
 * written here with INT4 weights (a 1x1 CONV_2D, a 3x3 one and a DEPTHWISE_CONV_2D: the GEMM's
 * 4-bit blocks, kernels/pack.h, beside int8 packings), also opened on two threads. The hash is a
 * test's own (the daemon passes BLAKE2b). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "edge/ops.h"
#include "edge/runtime.h"
#include "tflite_schema.h"
#include "tflite_writer.h"

#define N_MODELS 4
static char models[N_MODELS][1024], dir[64], mdir[64];

/* Four FNV-1a 64 lanes with different seeds: enough to tell test files apart. */
static void test_hash(const void *data, size_t len, unsigned char out[32], void *arg)
{
    (void)arg;
    const uint8_t *p = data;
    for (int lane = 0; lane < 4; lane++) {
        uint64_t h = 1469598103934665603ull ^ (uint64_t)(lane * 0x9e3779b97f4a7c15ull);
        for (size_t i = 0; i < len; i++)
            h = (h ^ p[i]) * 1099511628211ull;
        memcpy(out + 8 * lane, &h, 8);
    }
}

static const edge_pack_cache cache = {.dir = dir, .hash = test_hash};

/* Opens model I at ISA with THREADS (CACHED: through the cache), runs it on a fixed input,
 * puts its first output into OUT (*N bytes); returns the cache's state. */
static int run(int i, edge_isa isa, unsigned threads, bool cached, uint8_t *out, size_t *n,
               char *path, size_t plen)
{
    const edge_model_options opt = {
        .isa = isa, .threads = threads, .pack_cache = cached ? &cache : NULL};
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error e;
    if (edge_model_open(models[i], &opt, &m, &e))
        fail_msg("%s: %s", models[i], e.message);
    assert_int_equal(edge_interp_new(m, &it, &e), 0);
    size_t bytes;
    uint8_t *in = edge_interp_input(it, 0, &bytes);
    for (size_t k = 0; k < bytes; k++)
        in[k] = (uint8_t)(k * 131u + 7u);
    assert_int_equal(edge_interp_invoke(it), 0);
    const uint8_t *o = edge_interp_output(it, 0, &bytes);
    assert_true(bytes <= 4096);
    memcpy(out, o, bytes);
    *n = bytes;
    const char *p, *why;
    const int state = edge_model_pack_cache(m, &p, &why);
    if (path)
        snprintf(path, plen, "%s", p ? p : "");
    if (state == EDGE_PACK_REBUILT || state == EDGE_PACK_UNWRITTEN || state == EDGE_PACK_REFUSED)
        printf("# %s: %s\n", state == EDGE_PACK_UNWRITTEN ? "not written" : "rebuilt", why);
    edge_interp_free(it);
    edge_model_unref(m);
    return state;
}

static void expect_same(int i, edge_isa isa, unsigned threads, int want_state, char *path)
{
    uint8_t ref[4096], got[4096];
    size_t nr, ng;
    run(i, isa, threads, false, ref, &nr, NULL, 0);
    assert_int_equal(run(i, isa, threads, true, got, &ng, path, 1024), want_state);
    assert_int_equal(ng, nr);
    assert_memory_equal(got, ref, nr);
}

static void test_written_then_hit(void **state)
{
    (void)state;
    static const edge_isa levels[] = {EDGE_ISA_AUTO, EDGE_ISA_AVX2, EDGE_ISA_NEON};
    for (int i = 0; i < N_MODELS; i++)
        for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
            if (levels[l] != EDGE_ISA_AUTO && (edge_isa_effective(levels[l]) != levels[l] ||
                                               edge_isa_effective(EDGE_ISA_AUTO) == levels[l]))
                continue; /* not on this CPU, or the level auto ran (valgrind hides AVX-512) */
            for (unsigned th = 1; th <= (i == 3 ? 2u : 1u); th++) {
                char path[1024];
                expect_same(i, levels[l], th, EDGE_PACK_WRITTEN, path);
                assert_int_equal(access(path, R_OK), 0);
                expect_same(i, levels[l], th, EDGE_PACK_HIT, path);
                expect_same(i, levels[l], th, EDGE_PACK_HIT, path);
            }
        }
    /* the reference kernels pack nothing: no file */
    char p0[1024], p1[1024], p2[1024];
    expect_same(1, EDGE_ISA_SCALAR, 1, EDGE_PACK_NONE, p0);
    /* another thread count is another file */
    expect_same(0, EDGE_ISA_AUTO, 1, EDGE_PACK_HIT, p1);
    expect_same(0, EDGE_ISA_AUTO, 2, EDGE_PACK_WRITTEN, p2);
    assert_string_not_equal(p1, p2);
    expect_same(0, EDGE_ISA_AUTO, 2, EDGE_PACK_HIT, p2);
}

/* A model of INT4 weights at PATH: int8 [1, 8, 8, 24] -> CONV_2D 1x1 to 72 channels -> CONV_2D
 * 3x3 SAME to 40 -> DEPTHWISE_CONV_2D 3x3 SAME, RELU; per-channel scales, int32 biases. */
static void write_int4_model(const char *path)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t ch[4] = {24, 72, 40, 40};
    int32_t t[4];
    for (int k = 0; k < 4; k++) {
        const int32_t d[4] = {1, 8, 8, ch[k]};
        const tfw_tensor_desc a = {.type = EDGE_INT8,
                                   .rank = 4,
                                   .dims = d,
                                   .name = "act",
                                   .q_count = 1,
                                   .scale = 0.05f + 0.02f * (float)k,
                                   .zero_point = k - 2};
        t[k] = tfw_add_tensor(w, &a);
    }
    uint32_t r = 7;
    for (int k = 0; k < 3; k++) {
        const int32_t kk = k == 0 ? 1 : 3, out = ch[k + 1], in = k == 2 ? 1 : ch[k];
        const int32_t wd[4] = {k == 2 ? 1 : out, kk, kk, k == 2 ? out : in}, bd[1] = {out};
        const size_t n = (size_t)out * (size_t)kk * (size_t)kk * (size_t)in;
        uint8_t *nib = calloc(n / 2 + 1, 1);
        float sc[72], bsc[72];
        int32_t bias[72];
        assert_non_null(nib);
        for (size_t i = 0; i < n; i++) {
            r = r * 1664525u + 1013904223u;
            nib[i / 2] |= (uint8_t)((r >> 24 & 15u) << (i % 2 ? 4 : 0));
        }
        for (int32_t c = 0; c < out; c++) {
            sc[c] = 0.01f + 0.001f * (float)(c % 7);
            bsc[c] = sc[c] * (0.05f + 0.02f * (float)k);
            bias[c] = (int32_t)(c * 37 % 201) - 100;
        }
        const tfw_tensor_desc wt = {.type = 17, /* INT4 */
                                    .rank = 4,
                                    .dims = wd,
                                    .name = "w",
                                    .q_count = out,
                                    .scale = sc[0],
                                    .scales = sc,
                                    .q_axis = k == 2 ? 3 : 0};
        const tfw_tensor_desc bt = {.type = EDGE_INT32,
                                    .rank = 1,
                                    .dims = bd,
                                    .name = "b",
                                    .q_count = out,
                                    .scale = bsc[0],
                                    .scales = bsc};
        const int32_t ins[3] = {t[k], tfw_add_const(w, &wt, nib, n / 2 + n % 2),
                                tfw_add_const(w, &bt, bias, sizeof(int32_t) * (size_t)out)};
        free(nib);
        tfw_options o;
        tfw_opt_init(&o, k == 2 ? TFL_OPT_DepthwiseConv2DOptions : TFL_OPT_Conv2DOptions);
        tfw_opt_i8(&o, 0, 0); /* SAME */
        tfw_opt_i32(&o, 1, 1);
        tfw_opt_i32(&o, 2, 1);
        if (k == 2) {
            tfw_opt_i32(&o, 3, 1); /* depth_multiplier */
            tfw_opt_i8(&o, 4, EDGE_ACT_RELU);
        } else {
            tfw_opt_i8(&o, 3, EDGE_ACT_NONE);
        }
        const int32_t op = k == 2 ? EDGE_OP_DEPTHWISE_CONV_2D : EDGE_OP_CONV_2D;
        tfw_add_operator(w, tfw_add_opcode(w, op, k == 2 ? 6 : 3), ins, 3, &t[k + 1], 1, &o);
    }
    tfw_set_io(w, &t[0], 1, &t[3], 1);
    uint8_t *buf = NULL;
    size_t size = 0;
    assert_int_equal(tfw_finish(w, &buf, &size), 0);
    tfw_free(w);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
    free(buf);
}

/* PATH's byte at OFF (from the end when negative) flipped. */
static void flip(const char *path, long off)
{
    const int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    const off_t at = off < 0 ? st.st_size + off : off;
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b ^= 0x5a;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
}

static void test_bad_files_rebuilt(void **state)
{
    (void)state;
    char path[1024], other[1024];
    uint8_t out[4096];
    size_t n;
    run(0, EDGE_ISA_AUTO, 1, true, out, &n, path, sizeof path); /* the file is there */
    expect_same(0, EDGE_ISA_AUTO, 1, EDGE_PACK_HIT, path);
    /* a byte of a blob (the checksum finds it: corrupt or forged, refused) */
    flip(path, -100);
    expect_same(0, EDGE_ISA_AUTO, 1, EDGE_PACK_REFUSED, path);
    expect_same(0, EDGE_ISA_AUTO, 1, EDGE_PACK_HIT, path);
    /* writable by others, or a symbolic link: refused before it is read, and replaced */
    assert_int_equal(chmod(path, 0666), 0);
    expect_same(0, EDGE_ISA_AUTO, 1, EDGE_PACK_REFUSED, path);
    expect_same(0, EDGE_ISA_AUTO, 1, EDGE_PACK_HIT, path);
    run(1, EDGE_ISA_AUTO, 1, true, out, &n, other, sizeof other);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink(other, path), 0);
    expect_same(0, EDGE_ISA_AUTO, 1, EDGE_PACK_REFUSED, path);
    expect_same(0, EDGE_ISA_AUTO, 1, EDGE_PACK_HIT, path);
    assert_int_equal(unlink(other), 0);
    /* a byte of the header */
    flip(path, 9);
    expect_same(0, EDGE_ISA_AUTO, 1, EDGE_PACK_REBUILT, path);
    /* truncated */
    assert_int_equal(truncate(path, 5000), 0);
    expect_same(0, EDGE_ISA_AUTO, 1, EDGE_PACK_REBUILT, path);
    assert_int_equal(truncate(path, 10), 0);
    expect_same(0, EDGE_ISA_AUTO, 1, EDGE_PACK_REBUILT, path);
    /* another model's file under this one's name */
    run(1, EDGE_ISA_AUTO, 1, true, out, &n, other, sizeof other);
    expect_same(1, EDGE_ISA_AUTO, 1, EDGE_PACK_HIT, other);
    assert_int_equal(rename(other, path), 0);
    expect_same(0, EDGE_ISA_AUTO, 1, EDGE_PACK_REBUILT, path);
    expect_same(0, EDGE_ISA_AUTO, 1, EDGE_PACK_HIT, path);
    expect_same(1, EDGE_ISA_AUTO, 1, EDGE_PACK_WRITTEN, other);
}

static void test_unwritable(void **state)
{
    (void)state;
    static const edge_pack_cache gone = {.dir = "/nonexistent/edge-pack-cache", .hash = test_hash};
    const edge_model_options opt = {.pack_cache = &gone};
    edge_model *m = NULL;
    edge_error e;
    assert_int_equal(edge_model_open(models[1], &opt, &m, &e), 0);
    assert_int_equal(edge_model_pack_cache(m, NULL, NULL), EDGE_PACK_UNWRITTEN);
    edge_model_unref(m);
}

int main(void)
{
    const char *shared = getenv("EDGE_SHARED_DIR");
    static const char *const names[3] = {"mobilenet_v2_int8_nchw", "person_detect",
                                         "mobilenet_v1_025_128_quant_u8"};
    for (int i = 0; i < 3; i++) {
        snprintf(models[i], sizeof models[i], "%s/models/%s/model.tflite",
                 shared ? shared : "../shared", names[i]);
        if (access(models[i], R_OK)) {
            printf("SKIP: %s is not there (EDGE_SHARED_DIR)\n", models[i]);
            return 77;
        }
    }
    snprintf(dir, sizeof dir, "/tmp/edge-test-pack-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(mdir, sizeof mdir, "/tmp/edge-test-pack-model-XXXXXX");
    if (!mkdtemp(mdir))
        return 1;
    snprintf(models[3], sizeof models[3], "%s/int4.tflite", mdir);
    write_int4_model(models[3]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_written_then_hit),
        cmocka_unit_test(test_bad_files_rebuilt),
        cmocka_unit_test(test_unwritable),
    };
    const int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", dir, mdir);
    if (system(cmd))
        return 1;
    return rc;
}
