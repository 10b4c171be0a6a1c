/* common/modelsig.h - a model file's SHA-256 digest and detached Ed25519 signature.
 *
 * Owns: the sidecar files next to a model (MODEL.sha256: its digest in hex, as sha256sum
 * writes it; MODEL.sig: the base64 of a detached Ed25519 signature over the file's bytes),
 * the key files (NAME.pub: the base64 of a 32-byte Ed25519 public key; NAME.key: the base64
 * of the 64-byte secret key, mode 0600), which keys of a folder are trusted (regular files
 * named *.pub, owned by root or the caller, not writable by group or others, in a folder not
 * writable by others), and checking, signing and making keys with libsodium. edged verifies
 * with it ([models] verify), edgectl signs and verifies (edgectl sign, verify, keygen).
 * No global state besides libsodium's own initialisation; any thread. */
#ifndef EDGE_MODELSIG_H
#define EDGE_MODELSIG_H

#include <stddef.h>
#include <sys/types.h>

/* libsodium's initialisation (idempotent, thread safe): 0, or -1. */
int edge_sig_init(void);
/* The SHA-256 of DATA (LEN bytes) as 64 lowercase hex digits and a NUL. */
void edge_sig_sha256_hex(const void *data, size_t len, char out[65]);
/* MODEL_PATH.sha256 names DATA's digest: 0, or -1 with WHY (missing, unreadable, malformed,
 * or another digest). */
int edge_sig_check_digest(const char *model_path, const void *data, size_t len, char *why,
                          size_t wlen);
/* MODEL_PATH.sig is a signature over DATA by a trusted key of KEYS_DIR (*.pub; OWNER: the uid
 * besides root that may own them): 0 with the key file's name in KEY (KLEN bytes), or -1 with
 * WHY (no signature, no trusted key, or none verifies; keys refused for their permissions are
 * named). */
int edge_sig_check_signature(const char *model_path, const void *data, size_t len,
                             const char *keys_dir, uid_t owner, char *key, size_t klen, char *why,
                             size_t wlen);
/* The same against the one public key file KEY_FILE (its permissions not judged: the
 * operator's own check, edgectl verify --key). */
int edge_sig_check_with_key(const char *model_path, const void *data, size_t len,
                            const char *key_file, char *why, size_t wlen);
/* Writes STEM.key (the secret key, 0600; refused when it exists) and STEM.pub: 0, or -1 with
 * WHY. */
int edge_sig_keygen(const char *stem, char *why, size_t wlen);
/* Signs DATA with the secret key file KEY_FILE into MODEL_PATH.sig (and MODEL_PATH.sha256 when
 * DIGEST): 0, or -1 with WHY. */
int edge_sig_sign(const char *model_path, const void *data, size_t len, const char *key_file,
                  int digest, char *why, size_t wlen);

#endif
