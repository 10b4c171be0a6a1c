/* kernels/sparse_f32.c - measuring and packing sparse float32 weights, and the kernel of each
 * level (the contract: kernels/sparse_f32.h). Also the 4-lane instantiation of
 * kernels/generic/f32_sparse_impl.h: NEON on aarch64, fmaf lane by lane elsewhere. */
#include "sparse_f32.h"

#include <stdbool.h>
#include <string.h>

#define F32_LANES 4
#define F32_SFX __c
#include "generic/f32_sparse_impl.h"

edge_sparse_measure edge_f32_sparse_measure(const float *w, size_t n, size_t k)
{
    return edge_sparse_measure_of(w, sizeof(float), n, k);
}

static size_t group_bytes(size_t stored)
{
    return (stored * sizeof(uint16_t) + 3) & ~(size_t)3;
}

size_t edge_f32_sparse_packed_bytes(size_t n, size_t stored)
{
    return n * sizeof(float) + (n + 1) * sizeof(uint32_t) + group_bytes(stored) +
           4 * stored * sizeof(float);
}

edge_f32_sparse_view edge_f32_sparse_view_of(const void *packed, size_t n, size_t k, size_t stored,
                                             float act_min, float act_max)
{
    edge_f32_sparse_view v = {.n = n,
                              .k = k,
                              .kc = (k + 3) & ~(size_t)3,
                              .bias = packed,
                              .act_min = act_min,
                              .act_max = act_max};
    v.seg = (const uint32_t *)(v.bias + n);
    v.group = (const uint16_t *)(v.seg + n + 1);
    v.w = (const float *)(const void *)((const char *)v.group + group_bytes(stored));
    return v;
}

void edge_f32_sparse_pack(const float *w, size_t n, size_t k, const edge_sparse_measure *m,
                          const float *bias, void *dst)
{
    const edge_f32_sparse_view v = edge_f32_sparse_view_of(dst, n, k, m->stored, 0.0f, 0.0f);
    float *pb = (float *)(uintptr_t)v.bias, *pw = (float *)(uintptr_t)v.w;
    uint32_t *seg = (uint32_t *)(uintptr_t)v.seg;
    uint16_t *group = (uint16_t *)(uintptr_t)v.group;
    uint32_t s = 0;
    for (size_t r = 0; r < n; r++) {
        const float *row = w + r * k;
        seg[r] = s;
        for (size_t i = 0; 4 * i < k; i++) {
            const size_t len = k - 4 * i < 4 ? k - 4 * i : 4;
            float q[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            uint32_t bits[4];
            memcpy(q, row + 4 * i, len * sizeof(float));
            memcpy(bits, q, sizeof bits);
            const bool nz = bits[0] | bits[1] | bits[2] | bits[3]; /* as the measure counts */
            if (!nz)
                continue;
            group[s] = (uint16_t)i;
            memcpy(pw + 4 * (size_t)s, q, sizeof q);
            s++;
        }
        pb[r] = bias ? bias[r] : 0.0f;
    }
    seg[n] = s;
}

edge_f32_sparse_fn edge_f32_sparse_kernel(edge_isa isa, const char **level,
                                          edge_f32_sparse_pays *pays)
{
    /* Measured by bench-sparse --type float32 on a Zen 5 VM (one thread; the dense anchor is
     * OpenBLAS 0.3.21's GEMM in the same run, bench/README.md). On fewer rows (batch-1
     * FULLY_CONNECTED) the GEMM runs at 4-5 GMAC/s at every size from 256x256 to 2048x2048, so
     * the sparse kernel pays whatever the size: 76% of the groups stored (70% of single weights
     * zero) 1.1-1.4x, 94% stored 0.9-1.1x. */
    *pays = (edge_f32_sparse_pays){0, 0, 0};
#if defined(__x86_64__)
    if (isa == EDGE_ISA_AVX512VNNI) {
        /* 1x1 CONV_2D 28x28x128, 14x14x256, 7x7x512: 1x4 blocks 50% zero 1.2-1.6x, 90% 5.4-6.0x;
         * unstructured 80% zero (59% stored) 1.0-1.3x, 70% (76% stored) 0.8-1.1x. MediaPipe's
         * sparse face detector: its 22 layers of 8 to 64 channels in or out on 576 rows or more,
         * 74-80% stored, 1.08-2.46x each, 1.47x together (the model 1.13-1.17x) */
        *level = "avx512";
        *pays = (edge_f32_sparse_pays){0.65, 0.8, 0.8};
        return edge_f32_sparse__avx512;
    }
    if (isa == EDGE_ISA_AVX2 || isa == EDGE_ISA_AVXVNNI) {
        /* the same layers: 1x4 blocks 50% zero 0.8-1.05x, 70% 1.3-1.7x, 90% 3.8-4.3x;
         * unstructured 90% zero (34% stored) 1.2-1.5x, 80% (59% stored) 0.7-0.9x; the face
         * detector's narrow layers 0.73-1.82x, 1.03x together: no narrow rule */
        *level = "avx2";
        *pays = (edge_f32_sparse_pays){0.45, 0.8, 0.45};
        return edge_f32_sparse__avx2;
    }
    *level = "c"; /* fmaf lane by lane through libm: never chosen by itself */
#elif defined(__aarch64__)
    (void)isa;
    *level = "neon"; /* NEON's fused multiply-add; not measured on an ARM board: forced only */
#else
    (void)isa;
    *level = "c";
#endif
    return edge_f32_sparse__c;
}
