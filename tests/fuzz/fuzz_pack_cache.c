/* tests/fuzz/fuzz_pack_cache.c - libFuzzer harness for the packed-weight cache file's checks.
 *
 * Owns: one fuzz target: the input bytes become the cache file of a model
 * ($EDGE_FUZZ_MODEL, person_detect by default) and the model is opened through the cache:
 * whatever the file holds, the open must succeed (a file that is not exactly a valid cache is
 * rebuilt, EDGE_PACK_REBUILT, or refused for its checksum, EDGE_PACK_REFUSED, or used when it
 * is one, EDGE_PACK_HIT), never read outside the
 * file, never crash. The checks before the checksum (header, sizes, the blob table) are what a
 * mutated file reaches. The seed is the model's own valid cache file, which the harness writes
 * at its first run. Built with clang only (tests/meson.build); tests/fuzz/run-fuzz.sh runs it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edge/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void hash(const void *data, size_t len, unsigned char out[32], void *arg)
{
    (void)arg;
    const uint8_t *p = data;
    uint64_t h[4] = {1469598103934665603ull, 1099511628211ull, 0x9e3779b97f4a7c15ull, 7};
    for (size_t i = 0; i < len; i++)
        h[i & 3] = (h[i & 3] ^ p[i]) * 1099511628211ull;
    memcpy(out, h, 32);
}

static char dir[64], model[1024], path[1200];
static edge_pack_cache cache = {.dir = dir, .hash = hash};

static void setup(void)
{
    const char *m = getenv("EDGE_FUZZ_MODEL");
    snprintf(model, sizeof model, "%s", m ? m : "../shared/models/person_detect/model.tflite");
    snprintf(dir, sizeof dir, "/tmp/edge-fuzz-pack-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    const edge_model_options opt = {.pack_cache = &cache};
    edge_model *mm = NULL;
    edge_error e;
    const char *p;
    if (edge_model_open(model, &opt, &mm, &e) || !edge_model_pack_cache(mm, &p, NULL) || !p)
        abort(); /* the model must pack something */
    snprintf(path, sizeof path, "%s", p);
    edge_model_unref(mm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0])
        setup();
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f))
        abort();
    const edge_model_options opt = {.pack_cache = &cache};
    edge_model *m = NULL;
    edge_error e;
    if (edge_model_open(model, &opt, &m, &e))
        abort(); /* a bad cache file never makes the model fail */
    const int st = edge_model_pack_cache(m, NULL, NULL);
    if (st != EDGE_PACK_HIT && st != EDGE_PACK_REBUILT && st != EDGE_PACK_REFUSED)
        abort();
    edge_interp *it = NULL;
    if (edge_interp_new(m, &it, &e) || edge_interp_invoke(it))
        abort();
    edge_interp_free(it);
    edge_model_unref(m);
    return 0;
}
