/* tests/unit/test_modelsig.c - common/modelsig.c: digests, signatures, keys.
 *
 * Owns: checks that a file signed with edgectl's format verifies with its key (alone and from a
 * folder of trusted keys), and that each way it must not does not, saying why: the data
 * changed by one byte, no signature, a malformed one, another key, a key writable by others,
 * owned by another user, a symbolic link, a folder others may write; digests as sha256sum
 * writes them (with and without the file name), missing, malformed and wrong; keygen never
 * overwrites a secret key and writes it 0600; sign refuses a file that is not a secret key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/modelsig.h"

static char dir[64], model[128], keys[128];
static uint8_t data[4096];

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int check(char *why, size_t len)
{
    char key[128];
    return edge_sig_check_signature(model, data, sizeof data, keys, geteuid(), key, sizeof key, why,
                                    len);
}

static void test_sign_and_verify(void **state)
{
    (void)state;
    char stem[160], path[200], why[1024], key[128];
    snprintf(stem, sizeof stem, "%s/ops", dir);
    assert_int_equal(edge_sig_keygen(stem, why, sizeof why), 0);
    snprintf(path, sizeof path, "%s.key", stem);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(edge_sig_keygen(stem, why, sizeof why), -1); /* never overwritten */
    assert_non_null(strstr(why, "File exists"));
    assert_int_equal(edge_sig_sign(model, data, sizeof data, path, 1, why, sizeof why), 0);
    snprintf(path, sizeof path, "%s.pub", stem);
    assert_int_equal(edge_sig_check_with_key(model, data, sizeof data, path, why, sizeof why), 0);
    /* from the trusted folder */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp %s.pub %s/ops.pub && chmod 644 %s/ops.pub", stem, keys, keys);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(edge_sig_check_signature(model, data, sizeof data, keys, geteuid(), key,
                                              sizeof key, why, sizeof why),
                     0);
    assert_string_equal(key, "ops.pub");
    /* one byte changed */
    data[100] ^= 1;
    assert_int_equal(check(why, sizeof why), -1);
    printf("# changed: %s\n", why);
    assert_non_null(strstr(why, "no trusted key verifies it"));
    assert_int_equal(edge_sig_check_with_key(model, data, sizeof data, path, why, sizeof why), -1);
    data[100] ^= 1;
    /* the digest as sha256sum writes it, and bare */
    assert_int_equal(edge_sig_check_digest(model, data, sizeof data, why, sizeof why), 0);
    char hex[65], text[200], side[200];
    edge_sig_sha256_hex(data, sizeof data, hex);
    snprintf(side, sizeof side, "%s.sha256", model);
    snprintf(text, sizeof text, "%s\n", hex);
    put(side, text);
    assert_int_equal(edge_sig_check_digest(model, data, sizeof data, why, sizeof why), 0);
    data[0] ^= 0x80;
    assert_int_equal(edge_sig_check_digest(model, data, sizeof data, why, sizeof why), -1);
    assert_non_null(strstr(why, "but"));
    data[0] ^= 0x80;
    put(side, "not a digest\n");
    assert_int_equal(edge_sig_check_digest(model, data, sizeof data, why, sizeof why), -1);
    assert_non_null(strstr(why, "is not a SHA-256 digest"));
    unlink(side);
    assert_int_equal(edge_sig_check_digest(model, data, sizeof data, why, sizeof why), -1);
    assert_non_null(strstr(why, "missing"));
}

static void test_refusals(void **state)
{
    (void)state;
    char why[1024], path[200], cmd[600];
    /* another key in the folder only */
    char other[160];
    snprintf(other, sizeof other, "%s/other", dir);
    assert_int_equal(edge_sig_keygen(other, why, sizeof why), 0);
    snprintf(cmd, sizeof cmd, "rm -f %s/*.pub && cp %s.pub %s/other.pub && chmod 644 %s/*.pub",
             keys, other, keys, keys);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(check(why, sizeof why), -1);
    printf("# another key: %s\n", why);
    assert_non_null(strstr(why, "no trusted key verifies it"));
    /* the right key, writable by others: not trusted */
    snprintf(cmd, sizeof cmd, "cp %s/ops.pub %s/ops.pub && chmod 666 %s/ops.pub", dir, keys, keys);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(check(why, sizeof why), -1);
    printf("# writable key: %s\n", why);
    assert_non_null(strstr(why, "not trusted for their owner or permissions: ops.pub"));
    snprintf(path, sizeof path, "%s/ops.pub", keys);
    chmod(path, 0644);
    assert_int_equal(check(why, sizeof why), 0);
    if (geteuid() == 0) { /* owned by another user */
        assert_int_equal(chown(path, 65534, 65534), 0);
        assert_int_equal(check(why, sizeof why), -1);
        assert_int_equal(chown(path, 0, 0), 0);
    }
    /* a symbolic link is not followed */
    snprintf(cmd, sizeof cmd, "mv %s/ops.pub %s/ops.real && ln -s %s/ops.real %s/ops.pub", keys,
             dir, dir, keys);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(check(why, sizeof why), -1);
    snprintf(cmd, sizeof cmd, "rm %s/ops.pub && mv %s/ops.real %s/ops.pub", keys, dir, keys);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(check(why, sizeof why), 0);
    /* a folder others may write */
    chmod(keys, 0777);
    assert_int_equal(check(why, sizeof why), -1);
    assert_non_null(strstr(why, "may be written by others"));
    chmod(keys, 0755);
    /* no signature, a malformed one */
    char sig[200], saved[512];
    snprintf(sig, sizeof sig, "%s.sig", model);
    FILE *f = fopen(sig, "r");
    assert_non_null(f);
    const size_t n = fread(saved, 1, sizeof saved - 1, f);
    saved[n] = 0;
    fclose(f);
    put(sig, "AAAA\n");
    assert_int_equal(check(why, sizeof why), -1);
    assert_non_null(strstr(why, "not the base64 of an Ed25519 signature"));
    unlink(sig);
    assert_int_equal(check(why, sizeof why), -1);
    assert_non_null(strstr(why, "missing"));
    put(sig, saved);
    assert_int_equal(check(why, sizeof why), 0);
    /* sign refuses what is not a secret key */
    snprintf(path, sizeof path, "%s/ops.pub", dir);
    assert_int_equal(edge_sig_sign(model, data, sizeof data, path, 0, why, sizeof why), -1);
    assert_non_null(strstr(why, "not an Ed25519 secret key"));
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/edged-test-sig-XXXXXX");
    if (!mkdtemp(dir) || chmod(dir, 0755))
        return -1;
    snprintf(model, sizeof model, "%s/model.tflite", dir);
    snprintf(keys, sizeof keys, "%s/trusted", dir);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    FILE *f = fopen(model, "wb");
    if (!f || fwrite(data, 1, sizeof data, f) != sizeof data)
        return -1;
    fclose(f);
    return mkdir(keys, 0755) || edge_sig_init() ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_and_verify),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
