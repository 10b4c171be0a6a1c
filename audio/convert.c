/* audio/convert.c - audio of any rate, width and channel count to 16 kHz 16-bit mono (wake.h).
 *
 * Owns: decoding a frame (1 byte: unsigned, as WAV stores 8-bit audio; 2 and 4 bytes: signed
 * little-endian), averaging the channels, and linear interpolation between the input samples
 * around each output instant (output j at input position j * rate / 16000), the position and the
 * last sample carried across calls so the split of the input does not matter. Does not own:
 * where the audio comes from (the front ends). */
#include <stdio.h>
#include <string.h>

#include "wake.h"
#include "wake_util.h"

int wake_convert_init(wake_convert *c, uint32_t rate, unsigned width, unsigned channels,
                      edge_error *err)
{
    if (rate < 8000 || rate > 192000)
        return wake_fail(err, EDGE_EINVAL, "audio rate %u Hz is not supported (8000 to 192000)",
                         (unsigned)rate);
    if (width != 1 && width != 2 && width != 4)
        return wake_fail(err, EDGE_EINVAL, "audio width %u bytes is not supported (1, 2 or 4)",
                         width);
    if (channels < 1 || channels > 8)
        return wake_fail(err, EDGE_EINVAL, "audio with %u channels is not supported (1 to 8)",
                         channels);
    memset(c, 0, sizeof *c);
    c->rate = rate;
    c->width = width;
    c->channels = channels;
    return 0;
}

/* Frame I of IN as one 16-bit-scaled mono value (channels averaged). */
static int32_t mono_at(const wake_convert *c, const uint8_t *in, size_t i)
{
    const uint8_t *p = in + i * c->width * c->channels;
    int64_t sum = 0;
    for (unsigned ch = 0; ch < c->channels; ch++, p += c->width) {
        switch (c->width) {
        case 1: sum += ((int32_t)p[0] - 128) * 256; break;
        case 2: sum += (int16_t)(uint16_t)(p[0] | p[1] << 8); break;
        default: {
            uint32_t u =
                (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            sum += (int32_t)u / 65536;
        }
        }
    }
    return (int32_t)(sum / (int64_t)c->channels);
}

static int16_t clamp16(double v)
{
    long r = v >= 0 ? (long)(v + 0.5) : -(long)(-v + 0.5);
    return (int16_t)(r > 32767 ? 32767 : r < -32768 ? -32768 : r);
}

size_t wake_convert_max_out(const wake_convert *c, size_t bytes)
{
    size_t frames = bytes / (c->width * c->channels);
    return (size_t)((double)frames * WAKE_RATE / c->rate) + 2;
}

int wake_convert_run(wake_convert *c, const uint8_t *in, size_t bytes, int16_t *out, size_t max,
                     size_t *n_out, edge_error *err)
{
    size_t frame = (size_t)c->width * c->channels;
    size_t n = bytes / frame, k = 0;
    const int64_t one = WAKE_RATE; /* an input sample in phase units */
    *n_out = 0;
    if (bytes % frame)
        return wake_fail(
            err, EDGE_EINVAL,
            "audio chunk of %zu bytes is not whole frames of %zu bytes (%u channels of "
            "%u bytes)",
            bytes, frame, c->channels, c->width);
    if (n == 0)
        return 0;
    /* output instants at c->phase while the input samples around it are known: the one at or
     * before it (-1: c->last) and, unless it falls on a sample, the one after */
    for (;;) {
        int64_t idx = c->phase >= 0 ? c->phase / one : -1;
        int64_t frac = c->phase - idx * one;
        if (idx >= (int64_t)n || (frac && idx + 1 >= (int64_t)n))
            break;
        int32_t a = idx < 0 ? c->last : mono_at(c, in, (size_t)idx);
        double v = a;
        if (frac)
            v += (double)frac * (mono_at(c, in, (size_t)(idx + 1)) - a) / (double)one;
        if (k == max)
            return wake_fail(err, EDGE_ELIMIT,
                             "converted audio does not fit the %zu samples given for it", max);
        out[k++] = clamp16(v);
        c->phase += c->rate;
    }
    c->phase -= (int64_t)n * one;
    c->pos = (double)c->phase / (double)one;
    c->last = mono_at(c, in, n - 1);
    c->have_last = true;
    *n_out = k;
    return 0;
}
