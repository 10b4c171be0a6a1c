/* tests/fuzz/fuzz_push.c - libFuzzer harness for a model push's parameters (daemon/push.c).
 *
 * Owns: one fuzz target over what an administrator's load request controls: the input is the
 * "parameters" object's JSON ("file:VERSION/NAME" members with base64 content, "sha256"),
 * parsed by jansson as oip.c does and decoded by dm_push_parse. Checks what it promises: 0
 * with the model file present, a version of digits and an empty or 64-digit sha256 that is the
 * model's; otherwise 400 with a reason and nothing left to free (LeakSanitizer). Built with
 * clang only (tests/meson.build); tests/fuzz/run-fuzz.sh runs it over tests/fuzz/push. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/modelsig.h"
#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *params = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!params)
        return 0;
    dm_push_files f;
    char err[1024] = "";
    const int st = dm_push_parse(params, &f, err, sizeof err);
    if (st == 0) {
        if (!f.data[0] || strspn(f.version, "0123456789") != strlen(f.version)) /* "": next */
            abort();
        if (f.sha256[0]) {
            char have[65];
            edge_sig_sha256_hex(f.data[0], f.len[0], have);
            if (strcasecmp(have, f.sha256))
                abort();
        }
        dm_push_files_free(&f);
    } else if (st != 400 || !err[0]) {
        abort();
    } else {
        for (int i = 0; i < DM_PUSH_FILES; i++)
            if (f.data[i])
                abort();
    }
    json_decref(params);
    return 0;
}
