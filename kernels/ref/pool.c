/* kernels/ref/pool.c - reference 2-D average and max pooling (int8, uint8, int16, float32).
 *
 * Owns: TFLite's pooling arithmetic: the window is clamped to the input (padding
 * cells are neither read nor counted), integer averages round half away from
 * zero by integer division, float averages divide the float sum by the count,
 * the fused activation clamps last. Does not own validation (op_pool.c). */
#include "pool.h"

#include <float.h>
#include <stddef.h>

#include "conv.h"
#include "requant.h"

/* Input rows [y0, y1) and columns [x0, x1) of output pixel (oy, ox). */
typedef struct pool_window {
    int32_t y0, y1, x0, x1;
} pool_window;

static pool_window window_at(const edge_pool_params *p, int32_t oy, int32_t ox)
{
    const int64_t ys = (int64_t)oy * p->stride_h - p->pad_h;
    const int64_t xs = (int64_t)ox * p->stride_w - p->pad_w;
    const int64_t ye = ys + p->k_h, xe = xs + p->k_w;
    pool_window w;
    w.y0 = (int32_t)(ys > 0 ? ys : 0);
    w.x0 = (int32_t)(xs > 0 ? xs : 0);
    w.y1 = (int32_t)(ye < p->in_h ? ye : p->in_h);
    w.x1 = (int32_t)(xe < p->in_w ? xe : p->in_w);
    return w;
}

static inline size_t at(const edge_pool_params *p, int32_t b, int32_t y, int32_t x, int32_t c)
{
    return (((size_t)b * (size_t)p->in_h + (size_t)y) * (size_t)p->in_w + (size_t)x) *
               (size_t)p->channels +
           (size_t)c;
}

/* TFLite's rounded division of a window sum (half away from zero). */
static inline int32_t round_div(int32_t acc, int32_t n)
{
    return acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n;
}

/* The quantized element types: int8, uint8, int16 (16x8: the int8 arithmetic, an int32 sum). */
typedef enum pool_q { POOL_S8, POOL_U8, POOL_S16 } pool_q;

/* Element I of IN, of type T, as int32. */
static inline int32_t load_q(const void *in, pool_q t, size_t i)
{
    switch (t) {
    case POOL_S8: return ((const int8_t *)in)[i];
    case POOL_U8: return ((const uint8_t *)in)[i];
    default: return ((const int16_t *)in)[i];
    }
}

static int32_t avg_q(const edge_pool_params *p, const void *in, pool_q t, int32_t b, pool_window w,
                     int32_t c)
{
    int32_t acc = 0, n = 0;
    for (int32_t y = w.y0; y < w.y1; y++)
        for (int32_t x = w.x0; x < w.x1; x++, n++)
            acc = edge_wrap_add32(acc, load_q(in, t, at(p, b, y, x, c)));
    const int32_t avg = n > 0 ? round_div(acc, n) : 0; /* n == 0 cannot happen (pool.h) */
    return edge_clamp32(avg, p->act_min, p->act_max);
}

static int32_t max_q(const edge_pool_params *p, const void *in, pool_q t, int32_t b, pool_window w,
                     int32_t c)
{
    /* std::numeric_limits<T>::lowest() */
    int32_t m = t == POOL_S8 ? INT8_MIN : t == POOL_S16 ? INT16_MIN : 0;
    for (int32_t y = w.y0; y < w.y1; y++)
        for (int32_t x = w.x0; x < w.x1; x++) {
            const int32_t v = load_q(in, t, at(p, b, y, x, c));
            m = v > m ? v : m;
        }
    return edge_clamp32(m, p->act_min, p->act_max);
}

static float avg_f(const edge_pool_params *p, const float *in, int32_t b, pool_window w, int32_t c)
{
    float total = 0.0f, n = 0.0f;
    for (int32_t y = w.y0; y < w.y1; y++)
        for (int32_t x = w.x0; x < w.x1; x++, n += 1.0f)
            total += in[at(p, b, y, x, c)];
    const float avg = n > 0.0f ? total / n : 0.0f;
    return edge_ref_act_f32(avg, p->act_min_f, p->act_max_f);
}

static float max_f(const edge_pool_params *p, const float *in, int32_t b, pool_window w, int32_t c)
{
    float m = -FLT_MAX;
    for (int32_t y = w.y0; y < w.y1; y++)
        for (int32_t x = w.x0; x < w.x1; x++) {
            const float v = in[at(p, b, y, x, c)];
            m = m < v ? v : m; /* std::max(m, v) */
        }
    return edge_ref_act_f32(m, p->act_min_f, p->act_max_f);
}

/* Every output element in TFLite's order (batch, row, column, channel); ELEM is the
 * value of element (b, window w, channel c). */
#define EDGE_POOL_KERNEL(NAME, T, ELEM)                         \
    void NAME(const edge_pool_params *p, const T *in, T *out)   \
    {                                                           \
        for (int32_t b = 0; b < p->batches; b++)                \
            for (int32_t oy = 0; oy < p->out_h; oy++)           \
                for (int32_t ox = 0; ox < p->out_w; ox++) {     \
                    const pool_window w = window_at(p, oy, ox); \
                    for (int32_t c = 0; c < p->channels; c++)   \
                        *out++ = (T)(ELEM);                     \
                }                                               \
    }

EDGE_POOL_KERNEL(edge_ref_avgpool_s8, int8_t, avg_q(p, in, POOL_S8, b, w, c))
EDGE_POOL_KERNEL(edge_ref_avgpool_u8, uint8_t, avg_q(p, in, POOL_U8, b, w, c))
EDGE_POOL_KERNEL(edge_ref_avgpool_s16, int16_t, avg_q(p, in, POOL_S16, b, w, c))
EDGE_POOL_KERNEL(edge_ref_maxpool_s8, int8_t, max_q(p, in, POOL_S8, b, w, c))
EDGE_POOL_KERNEL(edge_ref_maxpool_u8, uint8_t, max_q(p, in, POOL_U8, b, w, c))
EDGE_POOL_KERNEL(edge_ref_maxpool_s16, int16_t, max_q(p, in, POOL_S16, b, w, c))
EDGE_POOL_KERNEL(edge_ref_avgpool_f32, float, avg_f(p, in, b, w, c))
EDGE_POOL_KERNEL(edge_ref_maxpool_f32, float, max_f(p, in, b, w, c))
