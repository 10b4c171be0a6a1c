/* kernels/wino.c - the packer of the integer Winograd F(2x2, 3x3) weights (wino.h).
 *
 * Owns: U = G' g G'^T per (output, input) channel into wino.h's layout, and the folded bias.
 * Does not own: the layout's definition or the kernels (wino.h, x86/qs8_wino_avx2.c). */
#include "wino.h"

#include <stdint.h>
#include <string.h>

static size_t blocks(size_t out_c)
{
    return (out_c + EDGE_WINO_NR - 1) / EDGE_WINO_NR;
}

size_t edge_qs8_wino_packed_bytes(size_t in_c, size_t out_c)
{
    if (in_c < 1 || in_c > EDGE_WINO_MAX_IN_C || out_c < 1 || out_c > ((size_t)1 << 24))
        return 0;
    const uint64_t kp = (in_c + 1) / 2, nb = blocks(out_c); /* (64-bit: 32-bit size_t) */
    const uint64_t bytes =
        nb * 16 * kp * EDGE_WINO_NR * 2 * sizeof(int16_t) + 3 * nb * EDGE_WINO_NR * sizeof(int32_t);
    return bytes > SIZE_MAX ? 0 : (size_t)bytes;
}

/* U = G' g G'^T of one 3x3 kernel G (row-major), G' = [[2,0,0],[1,1,1],[1,-1,1],[0,0,2]]. */
static void transform(const int8_t g[9], int16_t u[16])
{
    static const int8_t gp[4][3] = {{2, 0, 0}, {1, 1, 1}, {1, -1, 1}, {0, 0, 2}};
    int32_t t[4][3]; /* G' g: |t| <= 384 */
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            t[i][j] = gp[i][0] * g[j] + gp[i][1] * g[3 + j] + gp[i][2] * g[6 + j];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) /* (G' g) G'^T: |u| <= 1152 */
            u[i * 4 + j] = (int16_t)(t[i][0] * gp[j][0] + t[i][1] * gp[j][1] + t[i][2] * gp[j][2]);
}

void edge_qs8_wino_pack(size_t in_c, size_t out_c, const int8_t *w, const int32_t *bias,
                        const int32_t *mult, const int32_t *shift, int32_t input_offset, void *dst)
{
    const size_t kp = (in_c + 1) / 2, nb = blocks(out_c), np = nb * EDGE_WINO_NR;
    int16_t *u = dst;
    const size_t ubytes = nb * 16 * kp * EDGE_WINO_NR * 2 * sizeof(int16_t);
    memset(dst, 0, edge_qs8_wino_packed_bytes(in_c, out_c));
    for (size_t n = 0; n < out_c; n++) {
        const size_t b = n / EDGE_WINO_NR, lane = n % EDGE_WINO_NR;
        for (size_t c = 0; c < in_c; c++) {
            int8_t g[9];
            int16_t t[16];
            for (size_t k = 0; k < 9; k++)
                g[k] = w[(n * 9 + k) * in_c + c];
            transform(g, t);
            for (size_t pos = 0; pos < 16; pos++)
                u[(((b * 16 + pos) * kp + c / 2) * EDGE_WINO_NR + lane) * 2 + c % 2] = t[pos];
        }
    }
    int32_t *tail = (int32_t *)((uint8_t *)dst + ubytes);
    for (size_t n = 0; n < out_c; n++) {
        uint32_t sum = 0; /* bias + input_offset * sum w, wrapping as the reference */
        for (size_t k = 0; k < 9 * in_c; k++)
            sum += (uint32_t)(int32_t)w[n * 9 * in_c + k];
        tail[n] = (int32_t)((uint32_t)(bias ? bias[n] : 0) + (uint32_t)input_offset * sum);
        tail[np + n] = mult[n];
        tail[2 * np + n] = shift[n];
    }
}
