/* kernels/generic/pool_impl.h - the float32 AVERAGE_POOL_2D and MAX_POOL_2D kernels of
 * kernels/f32.h, written once with GCC vector extensions and instantiated per level.
 *
 * Owns: the bodies of edge_f32_avgpool and edge_f32_maxpool: per output pixel the window
 * clipped to the input as kernels/ref/pool.c clips it, then channels F32_LANES at a time (the
 * last vector overlapping the one before when F32_LANES does not divide the channels; fewer
 * channels than F32_LANES one by one), each lane doing the reference's operations in its order: the
 * average sums the taps from 0.0f, divides by their count (as a float) and clamps; the maximum
 * starts at -FLT_MAX, keeps m < v ? v : m per tap and clamps. A level's file defines F32_LANES and
 * F32_SFX and includes this header after f32_eltwise_impl.h. Does not own threading. */
#include <float.h>
#include <string.h>

#include "f32.h"

#define F32_POOL(NAME, INIT, STEP, FINISH, SINIT, SSTEP, SFINISH)                                 \
    void F32_FN(NAME)(const edge_pool_params *p, const float *in, float *out, int32_t row0,       \
                      int32_t row1)                                                               \
    {                                                                                             \
        const size_t c = (size_t)p->channels;                                                     \
        const f32v lo = f32_splat(p->act_min_f), hi = f32_splat(p->act_max_f);                    \
        for (int32_t r = row0; r < row1; r++) {                                                   \
            const int32_t b = r / p->out_h, oy = r % p->out_h;                                    \
            const int64_t ys = (int64_t)oy * p->stride_h - p->pad_h, ye = ys + p->k_h;            \
            const int32_t y0 = (int32_t)(ys > 0 ? ys : 0);                                        \
            const int32_t y1 = (int32_t)(ye < p->in_h ? ye : p->in_h);                            \
            const float *img = in + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * c;            \
            float *o = out + (size_t)r * (size_t)p->out_w * c;                                    \
            for (int32_t ox = 0; ox < p->out_w; ox++, o += c) {                                   \
                const int64_t xs = (int64_t)ox * p->stride_w - p->pad_w, xe = xs + p->k_w;        \
                const int32_t x0 = (int32_t)(xs > 0 ? xs : 0);                                    \
                const int32_t x1 = (int32_t)(xe < p->in_w ? xe : p->in_w);                        \
                size_t ch = 0;                                                                    \
                for (; c >= F32_LANES && ch < c; ch += F32_LANES) {                               \
                    if (ch + F32_LANES > c)                                                       \
                        ch = c - F32_LANES; /* overlaps the vector before */                      \
                    f32v acc = INIT;                                                              \
                    float n = 0.0f;                                                               \
                    for (int32_t y = y0; y < y1; y++)                                             \
                        for (int32_t x = x0; x < x1; x++, n += 1.0f) {                            \
                            const f32v v =                                                        \
                                f32_ld(img + ((size_t)y * (size_t)p->in_w + (size_t)x) * c + ch); \
                            acc = STEP;                                                           \
                        }                                                                         \
                    (void)n;                                                                      \
                    f32_st(o + ch, f32_act(FINISH, lo, hi));                                      \
                }                                                                                 \
                for (; ch < c; ch++) {                                                            \
                    float acc = SINIT, n = 0.0f;                                                  \
                    for (int32_t y = y0; y < y1; y++)                                             \
                        for (int32_t x = x0; x < x1; x++, n += 1.0f) {                            \
                            const float v =                                                       \
                                img[((size_t)y * (size_t)p->in_w + (size_t)x) * c + ch];          \
                            acc = SSTEP;                                                          \
                        }                                                                         \
                    (void)n;                                                                      \
                    o[ch] = f32_act1(SFINISH, p->act_min_f, p->act_max_f);                        \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

/* n > 0 ? total / n : 0 (the window is never empty: pool.h) */
F32_POOL(edge_f32_avgpool, f32_splat(0.0f), acc + v,
         n > 0.0f ? acc / f32_splat(n) : f32_splat(0.0f), 0.0f, acc + v, n > 0.0f ? acc / n : 0.0f)
F32_POOL(edge_f32_maxpool, f32_splat(-FLT_MAX), f32_sel(acc < v, v, acc), acc, -FLT_MAX,
         acc < v ? v : acc, acc)
