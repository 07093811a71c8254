/*
 * fuzz_image.c - libFuzzer target for the stamp's signature image
 * (lib/pdf/image.c: PNG through libpng, JPEG through libjpeg).
 *
 * Each input goes through pdf_image_load. It must never crash, print, exit,
 * leak or hang; what it accepts must keep its promises: a size within the
 * limits, PNG samples of exactly width x height x components, a JPEG written
 * again from its pixels that is itself accepted with the same size (and holds
 * none of the input's bytes after its own end).
 *
 * Build (not part of CMake yet):
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib fuzz/fuzz_image.c \
 *     lib/pdf/image.c lib/img/img.c lib/util/err.c lib/util/fs.c -lpng16 -ljpeg -lcrypto \
 *     -lsodium -o /tmp/fuzz_image
 *   /tmp/fuzz_image -max_total_time=60 -max_len=65536 fuzz/corpus/image
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pdf_image img;
    sertel_err err = {0};

    if (pdf_image_load(data, size, &img, &err) != SERTEL_OK) {
        if (err.msg[0] == '\0' || img.data != NULL || img.alpha != NULL)
            abort();
        return 0;
    }
    if (img.width == 0 || img.height == 0 || img.width > PDF_IMAGE_MAX_SIDE ||
        img.height > PDF_IMAGE_MAX_SIDE ||
        (uint64_t)img.width * img.height > PDF_IMAGE_MAX_PIXELS || img.data == NULL)
        abort();
    if (img.kind == PDF_IMAGE_PNG) {
        if ((img.ncomp != 1 && img.ncomp != 3) ||
            img.len != (size_t)img.width * img.height * (size_t)img.ncomp)
            abort();
    } else if (img.kind == PDF_IMAGE_JPEG) {
        pdf_image again;
        if ((img.ncomp != 1 && img.ncomp != 3 && img.ncomp != 4) || img.alpha != NULL ||
            img.len < 4 || img.data[img.len - 2] != 0xff || img.data[img.len - 1] != 0xd9)
            abort(); /* a new JPEG, ending at its EOI */
        if (pdf_image_load(img.data, img.len, &again, &err) != SERTEL_OK ||
            again.width != img.width || again.height != img.height || again.ncomp != img.ncomp)
            abort();
        pdf_image_free(&again);
    } else {
        abort();
    }
    pdf_image_free(&img);
    return 0;
}
