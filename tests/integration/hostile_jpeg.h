/* tests/integration/hostile_jpeg.h - JPEGs made by the tests themselves (libjpeg), no binary
 * files in the repository: plain and progressive pictures, with an EXIF orientation, and "scan
 * bombs" (a progressive picture whose last scan is repeated thousands of times, as the issue's
 * 926 KiB bomb of 3,000 scans is). Header-only: test_image.c and test_hostile_pictures.c.
 *
 * Owns: the encoders' settings (quality, 4:4:4 or libjpeg's 4:2:0, jpeg_simple_progression),
 * the APP1 Exif segment with one Orientation entry, the bomb's splice.
 * Does not own: what the tests check. */
#ifndef EDGE_TESTS_HOSTILE_JPEG_H
#define EDGE_TESTS_HOSTILE_JPEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

/* W x H RGB pixels as a JPEG (malloc'd, *LEN bytes): QUALITY, PROGRESSIVE (libjpeg's simple
 * progression: 10 scans), FULL_CHROMA (4:4:4; else 4:2:0), and an APP1 Exif segment with
 * ORIENTATION (1..8; 0: no segment). */
static inline uint8_t *hj_encode(const uint8_t *rgb, uint32_t w, uint32_t h, int quality,
                                 bool progressive, bool full_chroma, int orientation, size_t *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *buf = NULL;
    unsigned long n = 0;
    jpeg_mem_dest(&c, &buf, &n);
    c.image_width = w;
    c.image_height = h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (full_chroma)
        c.comp_info[0].h_samp_factor = c.comp_info[0].v_samp_factor = 1;
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    if (orientation) { /* "Exif\0\0", big-endian TIFF, IFD0 of one SHORT: Orientation */
        const uint8_t exif[] = {
            'E', 'x', 'i', 'f',  0,    0, 'M', 'M', 0, 42, 0, 0, 0,
            8,   0,   1,   0x01, 0x12, 0, 3,   0,   0, 0,  1, 0, (uint8_t)orientation,
            0,   0,   0,   0,    0,    0};
        jpeg_write_marker(&c, JPEG_APP0 + 1, exif, sizeof exif);
    }
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)c.next_scanline * w * 3);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *len = n;
    return buf; /* libjpeg's malloc: free() */
}

/* W x H pixels of one colour (R, G, B) as a JPEG (hj_encode's other settings). */
static inline uint8_t *hj_flat(uint32_t w, uint32_t h, uint8_t r, uint8_t g, uint8_t b,
                               bool progressive, bool full_chroma, size_t *len)
{
    *len = 0;
    uint8_t *px = malloc((size_t)w * h * 3);
    if (!px)
        return NULL;
    for (size_t i = 0; i < (size_t)w * h; i++)
        px[3 * i] = r, px[3 * i + 1] = g, px[3 * i + 2] = b;
    uint8_t *j = hj_encode(px, w, h, 90, progressive, full_chroma, 0, len);
    free(px);
    return j;
}

/* The JPEG J (LEN bytes, progressive) with its last scan repeated so that it has EXTRA more
 * scans: a scan bomb (malloc'd, *OUT_LEN bytes). NULL when J has no scan. libjpeg decodes it
 * (a repeated refinement is only a warning), each scan a pass over the whole picture. */
static inline uint8_t *hj_scan_bomb(const uint8_t *j, size_t len, size_t extra, size_t *out_len)
{
    *out_len = 0;
    size_t i = 2, last_sos = 0, eoi = 0;
    while (i + 1 < len && !eoi) { /* walk the markers; skip each scan's entropy-coded data */
        if (j[i] != 0xff) {
            i++;
            continue;
        }
        const uint8_t m = j[i + 1];
        if (m == 0xd9) {
            eoi = i;
            break;
        }
        if (m == 0xff || m == 0x00 || (m >= 0xd0 && m <= 0xd7)) {
            i += m == 0xff ? 1 : 2;
            continue;
        }
        if (i + 3 >= len)
            break;
        const size_t seg = (size_t)j[i + 2] << 8 | j[i + 3];
        if (m == 0xda)
            last_sos = i;
        i += 2 + seg;
        if (m == 0xda)
            while (i + 1 < len &&
                   !(j[i] == 0xff && j[i + 1] != 0x00 && !(j[i + 1] >= 0xd0 && j[i + 1] <= 0xd7)))
                i++;
    }
    if (!last_sos || !eoi)
        return NULL;
    const size_t scan = eoi - last_sos;
    *out_len = eoi + extra * scan + 2;
    uint8_t *b = malloc(*out_len);
    if (!b)
        return NULL;
    memcpy(b, j, eoi);
    for (size_t k = 0; k < extra; k++)
        memcpy(b + eoi + k * scan, j + last_sos, scan);
    b[*out_len - 2] = 0xff, b[*out_len - 1] = 0xd9;
    return b;
}

#endif
