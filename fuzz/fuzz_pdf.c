/*
 * fuzz_pdf.c - libFuzzer target for the PDF reader and the incremental
 * writer (lib/pdf).
 *
 * Each input is opened from memory; when it opens, every page is looked
 * up, and a signature update is built and appended (a new field, and
 * into existing empty signature fields of a few names). The reader must never
 * crash, read outside the input, leak or hang; and what the writer
 * appends must open again as a valid newer revision with the same pages.
 *
 * Build (not part of CMake yet):
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib fuzz/fuzz_pdf.c \
 *     lib/pdf/[a-z]*.c lib/cms/[a-z]*.c lib/util/[a-z]*.c \
 *     $(pkg-config --cflags --libs libqrencode libpng libjpeg libidn jansson) \
 *     -lcrypto -lcurl -lsodium -lz -o /tmp/fuzz_pdf
 *   /tmp/fuzz_pdf -max_total_time=60 -max_len=65536 fuzz/corpus/pdf
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pdf/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Build a signature update with o; when it builds, it must reopen with n pages. */
static void append_and_reopen(pdf_doc *d, const uint8_t *data, size_t size, const pdf_sign_opts *o,
                              int counted, size_t n)
{
    sertel_err err = {0};
    unsigned char *upd = NULL, *both = NULL;
    size_t ulen = 0, n2 = 0;
    uint64_t coff = 0;
    pdf_doc *d2 = NULL;

    if (pdf_build_sig_update(d, o, 64, &upd, &ulen, &coff, &err) == SERTEL_OK) {
        both = malloc(size + ulen);
        if (both == NULL)
            abort();
        memcpy(both, data, size);
        memcpy(both + size, upd, ulen);
        if (coff < size || coff >= size + ulen || both[coff] != '<')
            abort();
        /* The update must read back, with the same number of pages. */
        if (pdf_open_mem(both, size + ulen, &d2, &err) != SERTEL_OK) {
            fprintf(stderr, "update does not reopen: %s\n", err.msg);
            abort();
        }
        if (counted && (pdf_page_count(d2, &n2, &err) != SERTEL_OK || n2 != n))
            abort();
        pdf_close(d2);
    }
    free(both);
    free(upd);
}

/* A certificate for the stamps of visible fields (made once; only its names are used). */
static X509 *stamp_cert(void)
{
    static X509 *c;
    X509_NAME *n;

    if (c != NULL)
        return c;
    c = X509_new();
    n = X509_get_subject_name(c);
    if (c == NULL || n == NULL ||
        !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Budi", -1, -1,
                                    0) ||
        !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Uji", -1, -1,
                                    0) ||
        !X509_set_issuer_name(c, n))
        abort();
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pdf_doc *d = NULL;
    sertel_err err = {0};
    size_t n = 0, i;
    pdf_sign_opts o;
    pdf_page pg;

    if (pdf_open_mem(data, size, &d, &err) != SERTEL_OK)
        return 0;
    int counted = pdf_page_count(d, &n, &err) == SERTEL_OK;

    if (counted)
        for (i = 1; i <= n && i <= 64; i++)
            if (pdf_page_get(d, i, &pg, &err) != SERTEL_OK)
                break;
    if (counted && n > 0) {
        /* The marker search parses content streams: fuzz it too. */
        size_t mp;
        double mx, my;
        if (pdf_find_marker(d, "#ttd#", 0, &mp, &mx, &my, &err) != SERTEL_OK)
            sertel_err_clear(&err);
    }
    memset(&o, 0, sizeof(o));
    o.when = 1700000000;
    append_and_reopen(d, data, size, &o, counted, n);
    /* Signing into an existing empty field (names the seed corpus uses), with a stamp. */
    o.signer.cert = stamp_cert();
    o.qr_text = "https://contoh.go.id/verify";
    {
        static const char *const names[] = {"TTD_Pemohon", "Persetujuan", "Saksi", "Signature1"};
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            o.field = names[i];
            append_and_reopen(d, data, size, &o, counted, n);
        }
    }
    /* A new visible stamp at a rectangle, then at the marker (turned with the page's /Rotate). */
    o.field = NULL;
    o.visible = 1;
    o.rect[0] = 100;
    o.rect[1] = 100;
    o.rect[2] = 200;
    o.rect[3] = 80;
    append_and_reopen(d, data, size, &o, counted, n);
    o.marker = "#ttd#";
    append_and_reopen(d, data, size, &o, counted, n);
    pdf_close(d);
    return 0;
}
