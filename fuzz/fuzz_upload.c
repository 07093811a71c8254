/*
 * fuzz_upload.c - libFuzzer target for the upload checks (lib/ra/upload*.c:
 * identification, the structural checks, the PDF active-content policy over
 * every object with sertel's PDF reader, images decoded and written again).
 *
 * Every input goes through upload_check with each accept mask and with a
 * limit just above and just below its size. The checks must never crash,
 * read outside the input, leak or hang on any input; when one accepts, the
 * result must describe the bytes handed out: a PDF exactly as sent, an image
 * a new file of the same kind that the check accepts again.
 *
 * Build (not part of CMake yet):
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib fuzz/fuzz_upload.c \
 *     $(find lib/ra -name 'upload*.c') $(find lib/pdf lib/img lib/cms lib/conf lib/util \
 *     -name '*.c') -lcrypto -lssl -lsodium -lz -lpng16 -ljpeg -lqrencode -ljansson -lidn \
 *     -lcurl -o /tmp/fuzz_upload
 *   /tmp/fuzz_upload -max_total_time=60 -rss_limit_mb=1024 fuzz/corpus/upload
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ra/upload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What was handed out is accepted again, as the same kind. */
static void recheck(const unsigned char *out, size_t n, const upload_info *info, unsigned mask)
{
    /* Room to grow: writing a JPEG again may come out a little larger than its source. */
    upload_limits lim = {2 * n + 65536, 0, 0};
    upload_info again;
    unsigned char *out2 = NULL;
    size_t n2 = 0;
    sertel_err err = {0};

    if (upload_check(out, n, mask, &lim, "the output", &again, &out2, &n2, &err) != SERTEL_OK)
        abort();
    if (again.kind != info->kind || strcmp(again.orig_sha256, info->sha256) != 0)
        abort();
    free(out2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned masks[] = {UPLOAD_ACCEPT_PDF, UPLOAD_ACCEPT_IMAGE,
                                     UPLOAD_ACCEPT_PDF | UPLOAD_ACCEPT_IMAGE};
    size_t i;

    for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
        upload_limits lim = {size + 1, (uint64_t)16 << 20, (uint64_t)64 << 20};
        sertel_err err = {0};
        upload_info info;
        unsigned char *out = NULL;
        size_t n = 0;
        int rc = upload_check(data, size, masks[i], &lim, "the fuzz input", &info, &out, &n, &err);

        if (rc == SERTEL_OK) {
            /* An accepted upload is described correctly. */
            if (info.orig_size != size || info.size != n || out == NULL ||
                strlen(info.sha256) != 64 || strlen(info.orig_sha256) != 64 ||
                strcmp(upload_content_type(info.kind), "application/octet-stream") == 0)
                abort();
            if (info.kind == UPLOAD_PDF ? !(masks[i] & UPLOAD_ACCEPT_PDF)
                                        : !(masks[i] & UPLOAD_ACCEPT_IMAGE))
                abort(); /* only what was asked for */
            if (info.kind == UPLOAD_PDF && (n != size || memcmp(out, data, size) != 0))
                abort(); /* a PDF is stored as sent */
            if (info.kind != UPLOAD_PDF && i == 1)
                recheck(out, n, &info, masks[i]);
            free(out);
        } else if (err.msg[0] == '\0' || info.kind != 0 || out != NULL) {
            abort(); /* a refusal always says why and hands out nothing */
        }
    }
    if (size > 1) {
        upload_limits lim = {size - 1, 0, 0};
        sertel_err err = {0};
        upload_info info;
        unsigned char *out = NULL;
        size_t n = 0;
        if (upload_check(data, size, UPLOAD_ACCEPT_PDF | UPLOAD_ACCEPT_IMAGE, &lim, NULL, &info,
                         &out, &n, &err) != SERTEL_ERR_INVALID)
            abort(); /* over the limit is always refused */
    }
    return 0;
}
