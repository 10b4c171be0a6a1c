/* common/packsum.c - the packed-weight cache's model hash and keyed checksum (packsum.h).
 *
 * Owns: the arithmetic of both sums. Why these two: the model hash needs no key (a model whose
 * bytes collide with a verified model's is itself refused by [models] verify before it serves,
 * and without verify whoever writes the model file decides the answers anyway) and is fast,
 * for the whole model is read at every load; the checksum is a pseudorandom function of the
 * cache file's bytes under edged's secret, so without the key nobody makes one that passes (a
 * guess passes once in 2^128). It reads the whole file at every map, at about 1.5 GB/s:
 * YOLOv8n's warm open (a 3.8 MiB file) takes 2.8 ms with it, 1.5 ms with the unkeyed XXH3 of
 * before, 5.3 ms with keyed BLAKE2b (bench-cache). Does not own the key. */
#include <string.h>

#include <sodium.h>
#include <xxhash.h>

#include "packsum.h"

_Static_assert(crypto_shorthash_siphashx24_KEYBYTES == EDGE_PACKSUM_KEY_BYTES,
               "SipHash-2-4's key size");
_Static_assert(crypto_shorthash_siphashx24_BYTES == 16, "SipHash-2-4's 128-bit output");

void edge_packsum_model(const void *data, size_t len, unsigned char out[32], void *arg)
{
    (void)arg;
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(data, len));
    memcpy(out, c.digest, 16);
    memcpy(out + 16, c.digest, 16);
}

void edge_packsum_mac(const void *data, size_t len, unsigned char out[32], const unsigned char *key)
{
    crypto_shorthash_siphashx24(out, data, len, key);
    memcpy(out + 16, out, 16);
}
