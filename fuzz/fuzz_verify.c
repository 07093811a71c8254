/*
 * fuzz_verify.c - libFuzzer target for the signature validator
 * (lib/pdf/verify*.c): each input is validated from memory, its report
 * rendered as JSON and text. The validator must never crash, read outside
 * the input, leak or hang, and must never pass a signature without trust
 * anchors (none are given here, so TOTAL_PASSED is a bug).
 *
 * Build (not part of CMake yet):
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib fuzz/fuzz_verify.c \
 *     lib/pdf/[a-z]*.c lib/cms/[a-z]*.c lib/util/[a-z]*.c \
 *     $(pkg-config --cflags --libs libqrencode libpng libjpeg libidn jansson) \
 *     -lcrypto -lcurl -lsodium -lz -o /tmp/fuzz_verify
 *   /tmp/fuzz_verify -max_total_time=60 -max_len=262144 fuzz/corpus/verify
 * Seeds: fuzz/corpus/verify (signed letters, B-B, B-T and B-LTA, attacked
 * copies, form fields filled in under DocMDP P=1 and P=2, a FieldMDP-locked
 * field changed, the second ByteRange range moved).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vfy_report *r = NULL;
    sertel_err err = {0};
    vfy_opts o = {0};
    json_t *j;
    FILE *devnull;

    o.now = 1767225600; /* fixed: reproducible */
    if (pdf_verify_mem(data, size, &o, &r, &err) != SERTEL_OK)
        return 0;
    if (r->conclusion == VFY_TOTAL_PASSED)
        abort(); /* nothing is trusted: a pass is a forgery */
    j = vfy_report_json(r, "fuzz");
    json_decref(j);
    devnull = fopen("/dev/null", "w");
    if (devnull != NULL) {
        vfy_report_text(r, "fuzz", "en", devnull);
        vfy_report_text(r, "fuzz", "id", devnull); /* the translation of every finding */
        fclose(devnull);
    }
    vfy_report_free(r);
    return 0;
}
