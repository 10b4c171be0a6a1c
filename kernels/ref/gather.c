/* kernels/ref/gather.c - split, gather and gather_nd over raw bytes.
 *
 * Owns: the loops of TensorFlow Lite's reference Split, Gather and GatherNd
 * (see gather.h for the views and the out-of-range rule). Does not own any
 * validation. */
#include "gather.h"

#include <stdbool.h>
#include <string.h>

void edge_ref_split_bytes(size_t outer, int n_out, const size_t *chunk_bytes, const void *in,
                          void *const *out)
{
    const uint8_t *src = in;
    for (size_t o = 0; o < outer; o++)
        for (int i = 0; i < n_out; i++) {
            if (chunk_bytes[i]) /* a zero-element part may have no buffer */
                memcpy((uint8_t *)out[i] + o * chunk_bytes[i], src, chunk_bytes[i]);
            src += chunk_bytes[i];
        }
}

/* Index I of an int16, int32 or int64 index vector. */
static int64_t index_at(const void *idx, size_t idx_size, size_t i)
{
    switch (idx_size) {
    case 2: return ((const int16_t *)idx)[i];
    case 8: return ((const int64_t *)idx)[i];
    default: return ((const int32_t *)idx)[i];
    }
}

void edge_ref_gather_bytes(const edge_ref_gather_params *p, size_t esize, const void *params,
                           const void *indices, size_t idx_size, void *out)
{
    const size_t slice = p->inner * esize;
    if (!slice) /* zero-element tensors may have no buffers */
        return;
    const uint8_t *src = params;
    uint8_t *dst = out;
    for (size_t b = 0; b < p->batch; b++)
        for (size_t o = 0; o < p->outer; o++) {
            const uint8_t *base = src + (b * p->outer + o) * p->axis * slice;
            for (size_t i = 0; i < p->coords; i++, dst += slice) {
                const int64_t k = index_at(indices, idx_size, b * p->coords + i);
                if (k < 0 || (uint64_t)k >= p->axis)
                    memset(dst, 0, slice);
                else
                    memcpy(dst, base + (size_t)k * slice, slice);
            }
        }
}

void edge_ref_gather_nd_bytes(const edge_ref_gather_nd_params *p, size_t esize, const void *params,
                              const void *indices, size_t idx_size, void *out)
{
    const size_t slice = p->slice * esize;
    if (!slice)
        return;
    uint8_t *dst = out;
    for (size_t s = 0; s < p->slices; s++, dst += slice) {
        size_t from = 0;
        bool inside = true;
        for (int j = 0; j < p->nd; j++) {
            const int64_t k = index_at(indices, idx_size, s * (size_t)p->nd + (size_t)j);
            if (k < 0 || k >= p->dims[j])
                inside = false;
            else
                from += (size_t)k * p->stride[j];
        }
        if (inside)
            memcpy(dst, (const uint8_t *)params + from * esize, slice);
        else
            memset(dst, 0, slice);
    }
}
