/* common/packsum.h - the packed-weight cache's two sums, as edged computes them.
 *
 * Owns: the model hash that names a cache file and binds it to the model's bytes (XXH3-128,
 * unkeyed), and the keyed checksum a cache file must carry to be trusted (SipHash-2-4 with
 * 128-bit output, keyed with the cache's secret), both in libedge's edge_pack_cache callback
 * shape (32-byte outputs: each 128-bit sum written twice). edged's registry (daemon/
 * registry_pack.c) and bench-cache use them, so the bench measures what edged runs.
 * Does not own: the key file, the cache's format and checks (libedge). */
#ifndef EDGE_PACKSUM_H
#define EDGE_PACKSUM_H

#include <stddef.h>

#define EDGE_PACKSUM_KEY_BYTES 16 /* SipHash-2-4's key */

/* XXH3-128 of DATA (LEN bytes) into OUT (twice). ARG is unused (libedge's hash callback). */
void edge_packsum_model(const void *data, size_t len, unsigned char out[32], void *arg);
/* SipHash-2-4 (128 bits) of DATA keyed with KEY (EDGE_PACKSUM_KEY_BYTES) into OUT (twice). */
void edge_packsum_mac(const void *data, size_t len, unsigned char out[32],
                      const unsigned char *key);

#endif
