/*
 * fuzz_vfywire.c - libFuzzer target for the validation report's wire form
 * (lib/pdf/verify_wire.c), which the caller reads back from the sandboxed
 * worker: a worker taken over by a hostile document controls these bytes.
 * Every input must be decoded or refused, never crash, read out of bounds,
 * leak or hang; a decoded report must render (JSON and text) and encode to
 * bytes that decode to the same encoding again.
 *
 * Build (not part of CMake yet):
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib fuzz/fuzz_vfywire.c \
 *     lib/pdf/[a-z]*.c lib/cms/[a-z]*.c lib/util/[a-z]*.c lib/sandbox/[a-z]*.c \
 *     $(pkg-config --cflags --libs libqrencode libpng libjpeg libidn jansson libseccomp) \
 *     -lcrypto -lcurl -lsodium -lz -o /tmp/fuzz_vfywire
 *   /tmp/fuzz_vfywire -max_total_time=60 fuzz/corpus/vfywire
 * Seeds: fuzz/corpus/vfywire (the reports of fuzz/corpus/verify's documents).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/verify_job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vfy_report *r = NULL, *again = NULL;
    sertel_err err = {0};
    unsigned char *w1 = NULL, *w2 = NULL;
    size_t l1 = 0, l2 = 0;
    json_t *j;
    FILE *devnull;

    if (vfy_report_decode(data, size, &r, &err) != SERTEL_OK) {
        if (err.msg[0] == '\0')
            abort(); /* a refusal says why */
        return 0;
    }
    j = vfy_report_json(r, "fuzz");
    json_decref(j);
    devnull = fopen("/dev/null", "w");
    if (devnull != NULL) {
        vfy_report_text(r, "fuzz", "id", devnull);
        vfy_report_text(r, "fuzz", "en", devnull);
        fclose(devnull);
    }
    if (vfy_report_encode(r, &w1, &l1, &err) != SERTEL_OK ||
        vfy_report_decode(w1, l1, &again, &err) != SERTEL_OK ||
        vfy_report_encode(again, &w2, &l2, &err) != SERTEL_OK || l1 != l2 ||
        memcmp(w1, w2, l1) != 0)
        abort(); /* what was accepted must round-trip */
    free(w1);
    free(w2);
    vfy_report_free(again);
    vfy_report_free(r);
    return 0;
}
