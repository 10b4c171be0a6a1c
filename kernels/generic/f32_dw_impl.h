/* kernels/generic/f32_dw_impl.h - the float32 depthwise kernel of kernels/f32.h, written once
 * with GCC vector extensions and instantiated per level.
 *
 * Owns: the body of edge_f32_dw_fn. A level's file defines F32_LANES (floats per vector) and
 * F32_SFX (the name suffix, e.g. __avx512), then includes this header; its compile flags decide the
 * instructions (AVX2, AVX-512, NEON). Channels go F32_LANES at a time, then F32_LANES / 2, then
 * (16 lanes: AVX-512) 4, then one by one; every lane does exactly the reference's operations in the
 * reference's order (kernels/f32.h). Does not own dispatch (the level's table) or threading (the
 * caller splits rows).
 */
#include <string.h>

#include "f32.h"

#if !defined(F32_LANES) || !defined(F32_SFX)
#error "define F32_LANES and F32_SFX before including f32_dw_impl.h"
#endif

typedef float f32v __attribute__((vector_size(F32_LANES * sizeof(float))));
typedef int32_t i32v __attribute__((vector_size(F32_LANES * sizeof(float))));
typedef float f32h __attribute__((vector_size(F32_LANES / 2 * sizeof(float))));
typedef int32_t i32h __attribute__((vector_size(F32_LANES / 2 * sizeof(float))));
#if F32_LANES >= 16
/* 4 lanes: without them AVX-512 ran the last 4 to 7 channels one by one, and a layer of 4
 * channels (mp_face_detection_full_range's 24x24x4) took 24.3 us against AVX2's 6.1
 * (bench/README.md, round thirty-two) */
typedef float f32q __attribute__((vector_size(4 * sizeof(float))));
typedef int32_t i32q __attribute__((vector_size(4 * sizeof(float))));
#endif

/* One block of VT (LANES floats, mask type MT) of output channels [ch, ch + LANES) at (oy, ox). */
#define F32_DW_BLOCK(VT, MT, LANES)                                                              \
    do {                                                                                         \
        VT acc = {0}, bv = {0}, lo, hi, xv, wv;                                                  \
        EDGE_CONV_FOR_TAPS (p, oy, ox) {                                                         \
            memcpy(&xv, in_b + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * c + ch, sizeof xv); \
            memcpy(&wv, w + ((size_t)fy * (size_t)p->k_w + (size_t)fx) * c + ch, sizeof wv);     \
            acc += xv * wv;                                                                      \
        }                                                                                        \
        if (bias)                                                                                \
            memcpy(&bv, bias + ch, sizeof bv);                                                   \
        for (int l_ = 0; l_ < (LANES); l_++) {                                                   \
            lo[l_] = p->act_min_f;                                                               \
            hi[l_] = p->act_max_f;                                                               \
        }                                                                                        \
        VT x = acc + bv;                                                                         \
        MT m = x < lo; /* x = x < lo ? lo : x; x = hi < x ? hi : x (NaN passes) */               \
        x = (VT)(((MT)lo & m) | ((MT)x & ~m));                                                   \
        m = hi < x;                                                                              \
        x = (VT)(((MT)hi & m) | ((MT)x & ~m));                                                   \
        memcpy(o + ch, &x, sizeof x);                                                            \
        ch += (LANES);                                                                           \
    } while (0)

#define F32_DW_CAT2(a, b) a##b
#define F32_DW_CAT(a, b) F32_DW_CAT2(a, b)

void F32_DW_CAT(edge_f32_dw, F32_SFX)(const edge_conv_params *p, const float *in, const float *w,
                                      const float *bias, float *out, int32_t row0, int32_t row1)
{
    const size_t c = (size_t)p->out_c;
    for (int32_t r = row0; r < row1; r++) {
        const int32_t b = r / p->out_h, oy = r % p->out_h;
        const float *in_b = in + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * c;
        float *o = out + (size_t)r * (size_t)p->out_w * c;
        for (int32_t ox = 0; ox < p->out_w; ox++, o += c) {
            size_t ch = 0;
            while (ch + F32_LANES <= c)
                F32_DW_BLOCK(f32v, i32v, F32_LANES);
            if (ch + F32_LANES / 2 <= c)
                F32_DW_BLOCK(f32h, i32h, F32_LANES / 2);
#if F32_LANES >= 16
            if (ch + 4 <= c)
                F32_DW_BLOCK(f32q, i32q, 4);
#endif
            for (; ch < c; ch++) {
                float acc = 0.0f;
                EDGE_CONV_FOR_TAPS (p, oy, ox)
                    acc = acc + in_b[((size_t)iy * (size_t)p->in_w + (size_t)ix) * c + ch] *
                                    w[((size_t)fy * (size_t)p->k_w + (size_t)fx) * c + ch];
                o[ch] =
                    edge_ref_act_f32(acc + (bias ? bias[ch] : 0.0f), p->act_min_f, p->act_max_f);
            }
        }
    }
}
