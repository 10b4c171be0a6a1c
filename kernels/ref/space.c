/* kernels/ref/space.c - reference DEPTH_TO_SPACE, SPACE_TO_DEPTH, BATCH_TO_SPACE_ND,
 * SPACE_TO_BATCH_ND and MIRROR_PAD (space family).
 *
 * Owns: the index arithmetic of TensorFlow Lite's reference kernels, moving runs of a pixel's
 * channels (esize bytes an element) with memcpy. Does not own validation
 * (backends/cpu/op_space.c). */
#include "space.h"

#include <stdbool.h>
#include <string.h>

/* Byte offset of (b, y, x, c) in an NHWC buffer of dims (h, w, ch). */
static size_t at(int32_t b, int32_t y, int32_t x, int32_t c, int32_t h, int32_t w, int32_t ch,
                 size_t esize)
{
    return ((((size_t)b * (size_t)h + (size_t)y) * (size_t)w + (size_t)x) * (size_t)ch +
            (size_t)c) *
           esize;
}

/* The block move both ways: every run of C channels of pixel (y * bs + dy, x * bs + dx) of the
 * spatial side SPACE (H x W) is channels (dy * bs + dx) * C of pixel (y, x) of the depth side
 * DEPTH (H/bs x W/bs); TO_SPACE copies depth (SRC) to space (DST), else space to depth. */
static void block_move(bool to_space, int32_t batches, int32_t h, int32_t w, int32_t c, int32_t bs,
                       size_t esize, const uint8_t *src, uint8_t *dst)
{
    const int32_t dh = h / bs, dw = w / bs, dc = c * bs * bs;
    const size_t run = (size_t)c * esize;
    for (int32_t b = 0; b < batches; b++)
        for (int32_t y = 0; y < dh; y++)
            for (int32_t x = 0; x < dw; x++)
                for (int32_t dy = 0; dy < bs; dy++)
                    for (int32_t dx = 0; dx < bs; dx++) {
                        const size_t s = at(b, y * bs + dy, x * bs + dx, 0, h, w, c, esize);
                        const size_t d = at(b, y, x, (dy * bs + dx) * c, dh, dw, dc, esize);
                        memcpy(dst + (to_space ? s : d), src + (to_space ? d : s), run);
                    }
}

void edge_ref_depth_to_space(const edge_ref_space_params *p, size_t esize, const void *in,
                             void *out)
{
    block_move(true, p->out_b, p->out_h, p->out_w, p->out_c, p->block_h, esize, in, out);
}

void edge_ref_space_to_depth(const edge_ref_space_params *p, size_t esize, const void *in,
                             void *out)
{
    block_move(false, p->in_b, p->in_h, p->in_w, p->in_c, p->block_h, esize, in, out);
}

void edge_ref_batch_to_space(const edge_ref_space_params *p, size_t esize, const void *in,
                             void *out)
{
    const uint8_t *src = in;
    uint8_t *dst = out;
    for (int32_t ib = 0; ib < p->in_b; ib++) {
        const int32_t ob = ib % p->out_b, spatial = ib / p->out_b;
        for (int32_t iy = 0; iy < p->in_h; iy++) {
            const int32_t oy = iy * p->block_h + spatial / p->block_w - p->pad_top;
            if (oy < 0 || oy >= p->out_h)
                continue;
            for (int32_t ix = 0; ix < p->in_w; ix++) {
                const int32_t ox = ix * p->block_w + spatial % p->block_w - p->pad_left;
                if (ox < 0 || ox >= p->out_w)
                    continue;
                memcpy(dst + at(ob, oy, ox, 0, p->out_h, p->out_w, p->out_c, esize),
                       src + at(ib, iy, ix, 0, p->in_h, p->in_w, p->in_c, esize),
                       (size_t)p->in_c * esize);
            }
        }
    }
}

void edge_ref_space_to_batch(const edge_ref_space_params *p, size_t esize, const void *in,
                             const void *pad_value, void *out)
{
    const uint8_t *src = in;
    uint8_t *dst = out;
    for (int32_t ob = 0; ob < p->out_b; ob++) {
        const int32_t ib = ob % p->in_b, shift = ob / p->in_b;
        const int32_t sx = shift % p->block_w, sy = shift / p->block_w;
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t iy = oy * p->block_h + sy - p->pad_top;
                const int32_t ix = ox * p->block_w + sx - p->pad_left;
                uint8_t *o = dst + at(ob, oy, ox, 0, p->out_h, p->out_w, p->out_c, esize);
                if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                    for (int32_t c = 0; c < p->out_c; c++)
                        memcpy(o + (size_t)c * esize, pad_value, esize);
                } else {
                    memcpy(o, src + at(ib, iy, ix, 0, p->in_h, p->in_w, p->in_c, esize),
                           (size_t)p->in_c * esize);
                }
            }
    }
}

/* MirrorPad's GetInputDimension: the input index output index I of one dimension reads. */
static int32_t mirror_index(int32_t i, int32_t before, int32_t size, int offset)
{
    if (i < before) {
        const int32_t origin = before + offset - 1;
        return origin - (i < origin - offset ? i : origin - offset);
    }
    i -= before;
    if (i >= size) {
        i -= size;
        const int32_t origin = size - (1 + offset);
        return origin - (i < origin ? i : origin);
    }
    return i;
}

void edge_ref_mirror_pad(const edge_ref_pad_params *p, int offset, size_t esize, const void *in,
                         void *out)
{
    const uint8_t *src = in;
    uint8_t *dst = out;
    int32_t odims[EDGE_REF_MAX_DIMS];
    size_t total = 1;
    for (int d = 0; d < p->rank; d++) {
        odims[d] = p->in_dims[d] + p->before[d] + p->after[d];
        total *= (size_t)odims[d];
    }
    for (size_t o = 0; o < total; o++) {
        size_t rest = o, src_index = 0, stride = 1;
        for (int d = p->rank - 1; d >= 0; d--) {
            const int32_t i = (int32_t)(rest % (size_t)odims[d]);
            rest /= (size_t)odims[d];
            src_index += (size_t)mirror_index(i, p->before[d], p->in_dims[d], offset) * stride;
            stride *= (size_t)p->in_dims[d];
        }
        memcpy(dst + o * esize, src + src_index * esize, esize);
    }
}
