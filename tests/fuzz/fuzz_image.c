/* tests/fuzz/fuzz_image.c - libFuzzer harness over camera frames: vision/image.c's JPEG and PNG
 * decoding (the bytes a client sends as an image), then every fit of what decoded into a small
 * model input and its tensor conversions. A budget of 2^20 pixels keeps each run short; what
 * the decoders refuse is fine, a crash, a leak or undefined behaviour is not.
 * Seeds: tests/fuzz/images (tests/fuzz/run-fuzz.sh). */
#include <stddef.h>
#include <stdint.h>

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    edge_image im;
    char err[256];
    if (edge_image_decode(data, size, 1u << 20, &im, err, sizeof err))
        return 0;
    static uint8_t rgb[24 * 16 * 3];
    static float f[24 * 16 * 3];
    const edge_fit fits[3] = {EDGE_FIT_STRETCH, EDGE_FIT_LETTERBOX, EDGE_FIT_CROP};
    for (int i = 0; i < 3; i++) {
        edge_image_xform xf;
        edge_image_fit(&im, fits[i], 114, 24, 16, rgb, &xf);
        float x = 24.0f, y = 16.0f;
        edge_image_xform_back(&xf, &x, &y);
    }
    edge_image_to_tensor(rgb, sizeof rgb, EDGE_FLOAT32, f);
    edge_image_free(&im);
    return 0;
}
