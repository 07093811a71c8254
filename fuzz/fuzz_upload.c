/*
 * fuzz_upload.c - libFuzzer target for the upload checks (lib/ra/upload.c).
 *
 * Every input goes through upload_check with each accept mask and with a
 * limit just above and just below its size. The checks must never crash,
 * read outside the input, leak or hang on any input; when one accepts,
 * the result must describe the input.
 *
 * Build (not part of CMake yet):
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib \
 *     fuzz/fuzz_upload.c lib/ra/upload.c lib/util/err.c lib/util/fs.c \
 *     -lcrypto -lsodium -lz -o /tmp/fuzz_upload
 *   /tmp/fuzz_upload -max_total_time=60 fuzz/corpus/upload
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ra/upload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned masks[] = {UPLOAD_ACCEPT_PDF, UPLOAD_ACCEPT_IMAGE,
                                     UPLOAD_ACCEPT_PDF | UPLOAD_ACCEPT_IMAGE};
    size_t i;

    for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
        sertel_err err = {0};
        upload_info info;
        int rc = upload_check(data, size, masks[i], size + 1, "the fuzz input", &info, &err);

        if (rc == SERTEL_OK) {
            /* An accepted upload is described correctly. */
            if (info.size != size || strlen(info.sha256) != 64 ||
                strcmp(upload_content_type(info.kind), "application/octet-stream") == 0)
                abort();
            if (info.kind == UPLOAD_PDF ? !(masks[i] & UPLOAD_ACCEPT_PDF)
                                        : !(masks[i] & UPLOAD_ACCEPT_IMAGE))
                abort(); /* only what was asked for */
        } else if (err.msg[0] == '\0' || info.kind != 0) {
            abort(); /* a refusal always says why and fills nothing */
        }
    }
    if (size > 1) {
        sertel_err err = {0};
        upload_info info;
        if (upload_check(data, size, UPLOAD_ACCEPT_PDF | UPLOAD_ACCEPT_IMAGE, size - 1, NULL, &info,
                         &err) != SERTEL_ERR_INVALID)
            abort(); /* over the limit is always refused */
    }
    return 0;
}
