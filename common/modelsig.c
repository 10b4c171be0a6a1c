/* common/modelsig.c - a model file's digest and detached Ed25519 signature (modelsig.h). */
#include "modelsig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define SMALL_MAX 4096 /* a sidecar or key file at most */

int edge_sig_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

void edge_sig_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out, 65, h, sizeof h);
}

/* The first line of FD or PATH that is not a comment (#) nor empty, trimmed, into BUF (LEN):
 * 0, or an errno value (EINVAL: nothing in it, or too long). FD < 0: PATH is opened. */
static int read_first_line(int fd, const char *path, char *buf, size_t len)
{
    const bool own = fd < 0;
    if (own && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno;
    char text[SMALL_MAX + 1];
    const ssize_t n = read(fd, text, SMALL_MAX);
    const int err = errno;
    if (own)
        close(fd);
    if (n < 0)
        return err;
    text[n] = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        line += strspn(line, " \t\r");
        size_t l = strlen(line);
        while (l && strchr(" \t\r", line[l - 1]))
            line[--l] = 0;
        if (!l || line[0] == '#')
            continue;
        if (l >= len)
            return EINVAL;
        memcpy(buf, line, l + 1);
        return 0;
    }
    return EINVAL;
}

/* The base64 text B64 as exactly N bytes into OUT: 0, or -1. */
static int unbase64(const char *b64, unsigned char *out, size_t n)
{
    size_t got = 0;
    const char *end = NULL;
    if (sodium_base642bin(out, n, b64, strlen(b64), " \t", &got, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        got != n || (end && *end && !strchr(" \t", *end)))
        return -1;
    return 0;
}

int edge_sig_check_digest(const char *model_path, const void *data, size_t len, char *why,
                          size_t wlen)
{
    char path[4200], line[256], have[65];
    snprintf(path, sizeof path, "%s.sha256", model_path);
    const int rc = read_first_line(-1, path, line, sizeof line);
    if (rc) {
        snprintf(why, wlen, "%s: %s", path,
                 rc == ENOENT   ? "missing ([models] verify = digest wants one)"
                 : rc == EINVAL ? "holds no digest"
                                : strerror(rc));
        return -1;
    }
    line[strcspn(line, " \t*")] = 0; /* sha256sum: "HEX  NAME" or "HEX *NAME" */
    if (strlen(line) != 64 || strspn(line, "0123456789abcdefABCDEF") != 64) {
        snprintf(why, wlen, "%s: '%.80s' is not a SHA-256 digest (64 hex digits)", path, line);
        return -1;
    }
    edge_sig_sha256_hex(data, len, have);
    if (strcasecmp(line, have) != 0) {
        snprintf(why, wlen, "its SHA-256 is %s, but %s says %s", have, path, line);
        return -1;
    }
    return 0;
}

/* MODEL_PATH.sig's 64 bytes into SIG: 0, or -1 with WHY. */
static int read_sig(const char *model_path, unsigned char sig[crypto_sign_BYTES], char *why,
                    size_t wlen)
{
    char path[4200], line[256];
    snprintf(path, sizeof path, "%s.sig", model_path);
    const int rc = read_first_line(-1, path, line, sizeof line);
    if (rc || unbase64(line, sig, crypto_sign_BYTES)) {
        snprintf(why, wlen, "%s: %s", path,
                 rc == ENOENT         ? "missing ([models] verify = signature wants one)"
                 : rc && rc != EINVAL ? strerror(rc)
                                      : "not the base64 of an Ed25519 signature (64 bytes)");
        return -1;
    }
    return 0;
}

/* The public key of the key file FD/PATH into PK: 0, or -1. */
static int read_pub(int fd, const char *path, unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
    char line[256];
    return read_first_line(fd, path, line, sizeof line) == 0 &&
                   unbase64(line, pk, crypto_sign_PUBLICKEYBYTES) == 0
               ? 0
               : -1;
}

int edge_sig_check_with_key(const char *model_path, const void *data, size_t len,
                            const char *key_file, char *why, size_t wlen)
{
    unsigned char sig[crypto_sign_BYTES], pk[crypto_sign_PUBLICKEYBYTES];
    if (edge_sig_init() || read_sig(model_path, sig, why, wlen))
        return -1;
    if (read_pub(-1, key_file, pk)) {
        snprintf(why, wlen, "%s: not an Ed25519 public key (base64 of 32 bytes)", key_file);
        return -1;
    }
    if (crypto_sign_verify_detached(sig, data, len, pk) != 0) {
        snprintf(why, wlen, "%s.sig is not a signature of its bytes by %s", model_path, key_file);
        return -1;
    }
    return 0;
}

/* Whether ST (a key file or its folder) is held by root or OWNER and not writable by those
 * who should not: group or others for a file, others for the folder. */
static bool trusted_mode(const struct stat *st, uid_t owner, bool dir)
{
    return (st->st_uid == 0 || st->st_uid == owner) &&
           !(st->st_mode & (dir ? S_IWOTH : (S_IWGRP | S_IWOTH)));
}

int edge_sig_check_signature(const char *model_path, const void *data, size_t len,
                             const char *keys_dir, uid_t owner, char *key, size_t klen, char *why,
                             size_t wlen)
{
    unsigned char sig[crypto_sign_BYTES];
    if (edge_sig_init() || read_sig(model_path, sig, why, wlen))
        return -1;
    struct stat dst;
    DIR *dh = opendir(keys_dir);
    if (!dh || fstat(dirfd(dh), &dst) || !trusted_mode(&dst, owner, true)) {
        snprintf(why, wlen, "the trusted keys' folder %s %s", keys_dir,
                 !dh ? strerror(errno) : "may be written by others: no key in it is trusted");
        if (dh)
            closedir(dh);
        return -1;
    }
    size_t tried = 0;
    char refused[512] = "";
    int rc = -1;
    for (struct dirent *de; rc && (de = readdir(dh));) {
        const size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".pub") != 0 || de->d_name[0] == '.')
            continue;
        const int fd = openat(dirfd(dh), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        unsigned char pk[crypto_sign_PUBLICKEYBYTES];
        const bool ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                        trusted_mode(&st, owner, false);
        if (!ok) {
            const size_t at = strlen(refused);
            snprintf(refused + at, sizeof refused - at, "%s%s", at ? ", " : "", de->d_name);
        } else if (read_pub(fd, NULL, pk) == 0) {
            tried++;
            if (crypto_sign_verify_detached(sig, data, len, pk) == 0) {
                snprintf(key, klen, "%s", de->d_name);
                rc = 0;
            }
        }
        if (fd >= 0)
            close(fd);
    }
    closedir(dh);
    if (rc)
        snprintf(why, wlen, "%s.sig: %s%s%s%s", model_path,
                 tried ? "no trusted key verifies it" : "no trusted key to check it with",
                 refused[0] ? " (not trusted for their owner or permissions: " : "", refused,
                 refused[0] ? ")" : "");
    return rc;
}

/* TEXT into PATH through a temporary file and a rename, mode MODE (EXCL: fail when PATH is
 * there): 0, or an errno value. */
static int write_text(const char *path, const char *text, mode_t mode, bool excl)
{
    if (excl) {
        const int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd < 0)
            return errno;
        const size_t n = strlen(text);
        const int rc = write(fd, text, n) == (ssize_t)n ? 0 : EIO;
        return close(fd) || rc ? (rc ? rc : errno) : 0;
    }
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    const int fd = mkstemp(tmp);
    if (fd < 0)
        return errno;
    const size_t n = strlen(text);
    int rc = write(fd, text, n) == (ssize_t)n && fchmod(fd, mode) == 0 ? 0 : errno ? errno : EIO;
    if (close(fd) && !rc)
        rc = errno;
    if (!rc && rename(tmp, path))
        rc = errno;
    if (rc)
        unlink(tmp);
    return rc;
}

int edge_sig_keygen(const char *stem, char *why, size_t wlen)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    char path[4200],
        b64[sodium_base64_ENCODED_LEN(crypto_sign_SECRETKEYBYTES, sodium_base64_VARIANT_ORIGINAL)];
    char text[sizeof b64 + 128];
    if (edge_sig_init()) {
        snprintf(why, wlen, "libsodium could not start");
        return -1;
    }
    crypto_sign_keypair(pk, sk);
    sodium_bin2base64(b64, sizeof b64, sk, sizeof sk, sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(sk, sizeof sk);
    snprintf(text, sizeof text, "# edged Ed25519 secret key: keep it off the gateways\n%s\n", b64);
    snprintf(path, sizeof path, "%s.key", stem);
    int rc = write_text(path, text, 0600, true);
    sodium_memzero(b64, sizeof b64);
    sodium_memzero(text, sizeof text);
    if (!rc) {
        sodium_bin2base64(b64, sizeof b64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
        snprintf(text, sizeof text,
                 "# edged Ed25519 public key: copy it into the gateways' trusted keys\n%s\n", b64);
        snprintf(path, sizeof path, "%s.pub", stem);
        rc = write_text(path, text, 0644, false);
    }
    if (rc) {
        snprintf(why, wlen, "%s: %s", path, strerror(rc));
        return -1;
    }
    return 0;
}

int edge_sig_sign(const char *model_path, const void *data, size_t len, const char *key_file,
                  int digest, char *why, size_t wlen)
{
    unsigned char sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
    char line[256], path[4200];
    char b64[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    char text[sizeof b64 + 4400];
    if (edge_sig_init()) {
        snprintf(why, wlen, "libsodium could not start");
        return -1;
    }
    const int rc = read_first_line(-1, key_file, line, sizeof line);
    const int bad = rc || unbase64(line, sk, sizeof sk);
    sodium_memzero(line, sizeof line);
    if (bad) {
        snprintf(why, wlen, "%s: %s", key_file,
                 rc && rc != EINVAL ? strerror(rc)
                                    : "not an Ed25519 secret key (edgectl keygen makes one)");
        return -1;
    }
    crypto_sign_detached(sig, NULL, data, len, sk);
    sodium_memzero(sk, sizeof sk);
    sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
    snprintf(text, sizeof text, "%s\n", b64);
    snprintf(path, sizeof path, "%s.sig", model_path);
    int w = write_text(path, text, 0644, false);
    if (!w && digest) {
        char hex[65];
        edge_sig_sha256_hex(data, len, hex);
        const char *base = strrchr(model_path, '/');
        snprintf(text, sizeof text, "%s  %s\n", hex, base ? base + 1 : model_path);
        snprintf(path, sizeof path, "%s.sha256", model_path);
        w = write_text(path, text, 0644, false);
    }
    if (w) {
        snprintf(why, wlen, "%s: %s", path, strerror(w));
        return -1;
    }
    return 0;
}
