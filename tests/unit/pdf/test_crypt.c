/*
 * test_crypt.c - the standard security handler (lib/pdf/crypt.c):
 * known-answer file keys of files qpdf encrypted (R2-R6, user and owner
 * password; keys from `qpdf --show-encryption-key`), refusals, round
 * trips of the string/stream ciphers per method, bad AES lengths and
 * padding, and an encrypted signature update read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"
#include "util/fs.h"

typedef struct kat {
    const char *file;
    const char *key_hex;
} kat;

/* qpdf 11.3 --static-id --encrypt rahasia pemilik {40,128 --use-aes=n|y,256 --force-R5,256} */
static const kat kats[] = {
    {"enc-r2.pdf", "bdabe027c1"},
    {"enc-r3.pdf", "e2875d7db3a7223a56e573fd68dff6e4"},
    {"enc-r4.pdf", "e2875d7db3a7223a56e573fd68dff6e4"},
    {"enc-r5.pdf", "890b2bad57f14c32e774c8d95a413235df145162c0cb3f7ad7f53a659094dd8d"},
    {"enc-r6.pdf", "cf98d194cfefcae9f9920f9ea5282cda950a540b4c6053b6a89cf797f25bce73"},
    /* a one-page letter with XMP metadata, --cleartext-metadata (/EncryptMetadata false) */
    {"enc-r4-meta.pdf", "f03592045a73ad538edf3e4535627e04"},
    {"enc-r6-meta.pdf", "f90edc1847252537f296b52e1b052d2df580e2ac3387430834b1ddd7dddcd069"},
};

static unsigned char *load(const char *name, size_t *len)
{
    char path[1024];
    unsigned char *p = NULL;
    sertel_err err = {0};
    const char *dir = getenv("SERTEL_TEST_DATA");

    snprintf(path, sizeof(path), "%s/pdf/%s", dir ? dir : "tests/data", name);
    if (fs_read_file(path, 1 << 20, &p, len, &err) != SERTEL_OK)
        fail_msg("%s: %s", path, err.msg);
    return p;
}

/* out must hold 2 * n + 1 bytes. */
static void hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

/* The first page's content stream decodes to the letter's text operators. */
static void check_content(pdf_doc *d)
{
    pdf_page pg;
    const pdf_obj *c;
    unsigned char *data = NULL;
    size_t len = 0;
    sertel_err err = {0};

    assert_int_equal(pdf_page_get(d, 1, &pg, &err), SERTEL_OK);
    c = pdf_resolve(d, pdf_dict_get(pg.dict, "Contents"));
    assert_non_null(c);
    assert_int_equal(c->type, PDF_STREAM);
    assert_int_equal(pdf_stream_decode(d, c, 1 << 20, &data, &len, &err), SERTEL_OK);
    assert_non_null(memmem(data, len, "Surat", 5));
    free(data);
}

/* /EncryptMetadata false: the catalog's /Metadata stream is read in the clear. */
static void check_metadata(pdf_doc *d)
{
    const pdf_obj *cat, *m;
    unsigned char *data = NULL;
    size_t len = 0;
    sertel_err err = {0};

    assert_int_equal(pdf_catalog(d, &cat, NULL, NULL, &err), SERTEL_OK);
    assert_int_equal(d->crypt->encrypt_metadata, 0);
    m = pdf_resolve(d, pdf_dict_get(cat, "Metadata"));
    assert_non_null(m);
    assert_int_equal(m->type, PDF_STREAM);
    assert_int_equal(m->u.dict.crypt, 0);
    assert_int_equal(pdf_stream_decode(d, m, 1 << 20, &data, &len, &err), SERTEL_OK);
    assert_non_null(memmem(data, len, "<x:xmpmeta", 10));
    free(data);
}

static void test_known_keys(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
        size_t len = 0;
        unsigned char *buf = load(kats[i].file, &len);
        const char *const pws[2] = {"rahasia", "pemilik"};
        int k;
        for (k = 0; k < 2; k++) {
            pdf_doc *d = NULL;
            sertel_err err = {0};
            char got[65];
            if (pdf_open_mem_pw(buf, len, pws[k], &d, &err) != SERTEL_OK)
                fail_msg("%s with %s: %s", kats[i].file, pws[k], err.msg);
            assert_true(pdf_is_encrypted(d));
            hex(d->crypt->key, d->crypt->keylen, got);
            if (strcmp(got, kats[i].key_hex) != 0)
                fail_msg("%s (%s): key %s, qpdf says %s", kats[i].file, pws[k], got,
                         kats[i].key_hex);
            check_content(d);
            if (strstr(kats[i].file, "meta") != NULL)
                check_metadata(d);
            pdf_close(d);
        }
        {
            pdf_doc *d = NULL;
            sertel_err err = {0};
            assert_int_equal(pdf_open_mem_pw(buf, len, "salah", &d, &err), SERTEL_ERR_DENIED);
            assert_non_null(strstr(err.msg, "wrong password"));
            assert_int_equal(pdf_open_mem(buf, len, &d, &err), SERTEL_ERR_DENIED);
            assert_non_null(strstr(err.msg, "the PDF is encrypted"));
        }
        free(buf);
    }
}

static void test_roundtrip(void **state)
{
    static const pdf_cm cms[] = {PDF_CM_RC4, PDF_CM_RC4, PDF_CM_AESV2, PDF_CM_AESV3};
    static const size_t klens[] = {5, 16, 16, 32};
    static const size_t lens[] = {0, 1, 15, 16, 17, 100, 4096};
    size_t m, l, i;

    (void)state;
    for (m = 0; m < 4; m++) {
        pdf_crypt c;
        memset(&c, 0, sizeof(c));
        c.r = cms[m] == PDF_CM_AESV3 ? 6 : 4;
        c.keylen = klens[m];
        for (i = 0; i < c.keylen; i++)
            c.key[i] = (unsigned char)(i * 7 + 1);
        for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            unsigned char in[4096], enc[4096 + 32], enc2[4096 + 32], dec[4096 + 32];
            size_t el = 0, el2 = 0, dl = 0;
            sertel_err err = {0};
            for (i = 0; i < lens[l]; i++)
                in[i] = (unsigned char)(i * 31 + 3);
            assert_int_equal(pdf_crypt_buf(&c, cms[m], 12, 0, 1, in, lens[l], enc, &el, &err),
                             SERTEL_OK);
            if (cms[m] == PDF_CM_RC4) {
                assert_int_equal(el, lens[l]);
            } else {
                assert_int_equal(el, 16 + (lens[l] / 16 + 1) * 16);
                /* a fresh IV each time */
                assert_int_equal(pdf_crypt_buf(&c, cms[m], 12, 0, 1, in, lens[l], enc2, &el2, &err),
                                 SERTEL_OK);
                assert_memory_not_equal(enc, enc2, 16);
            }
            if (lens[l] >= 8)
                assert_memory_not_equal(enc + (cms[m] == PDF_CM_RC4 ? 0 : 16), in, 8);
            assert_int_equal(pdf_crypt_buf(&c, cms[m], 12, 0, 0, enc, el, dec, &dl, &err),
                             SERTEL_OK);
            assert_int_equal(dl, lens[l]);
            if (dl)
                assert_memory_equal(dec, in, dl);
            /* another object's key does not decrypt it (R2-R4 keys are per object) */
            if (cms[m] == PDF_CM_RC4 && lens[l] >= 8) {
                assert_int_equal(pdf_crypt_buf(&c, cms[m], 13, 0, 0, enc, el, dec, &dl, &err),
                                 SERTEL_OK);
                assert_memory_not_equal(dec, in, 8);
            }
        }
    }
}

static void test_bad_aes(void **state)
{
    pdf_crypt c;
    unsigned char in[64] = "sixteen bytes...sixteen bytes...", enc[96], dec[96];
    size_t el = 0, dl = 0, cut;
    sertel_err err = {0};
    int m;

    (void)state;
    for (m = 0; m < 2; m++) {
        pdf_cm cm = m ? PDF_CM_AESV3 : PDF_CM_AESV2;
        memset(&c, 0, sizeof(c));
        c.keylen = m ? 32 : 16;
        memset(c.key, 0x5a, c.keylen);
        assert_int_equal(pdf_crypt_buf(&c, cm, 1, 0, 1, in, 20, enc, &el, &err), SERTEL_OK);
        assert_int_equal(el, 48);
        /* lengths that are not an IV and whole blocks */
        for (cut = 1; cut < 48; cut++) {
            if (cut == 32)
                continue;
            assert_int_equal(pdf_crypt_buf(&c, cm, 1, 0, 0, enc, cut, dec, &dl, &err),
                             SERTEL_ERR_INVALID);
        }
        /* a tampered last block: bad padding, or (1 in ~256) valid padding of garbage */
        enc[47] ^= 0x01;
        enc[40] ^= 0x80;
        if (pdf_crypt_buf(&c, cm, 1, 0, 0, enc, el, dec, &dl, &err) == SERTEL_OK)
            assert_true(dl != 20 || memcmp(dec + 16, in + 16, 4) != 0);
        else
            assert_non_null(strstr(err.msg, "bad padding"));
        /* a wrong key */
        enc[47] ^= 0x01;
        enc[40] ^= 0x80;
        c.key[0] ^= 1;
        if (pdf_crypt_buf(&c, cm, 1, 0, 0, enc, el, dec, &dl, &err) == SERTEL_OK)
            assert_memory_not_equal(dec, in, 16);
    }
}

/* AES-256 (the file key is the object key): padding bytes 0 and 17 are refused. */
static void test_bad_padding(void **state)
{
    static const unsigned char last[2] = {0x00, 0x11};
    pdf_crypt c;
    size_t k;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.keylen = 32;
    memset(c.key, 0x33, 32);
    for (k = 0; k < 2; k++) {
        unsigned char plain[32], enc[48], dec[64];
        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
        int l1 = 0, l2 = 0;
        size_t dl = 0;
        sertel_err err = {0};

        memset(plain, 'a', sizeof(plain));
        plain[31] = last[k];
        memset(enc, 0x42, 16); /* the IV */
        assert_non_null(x);
        assert_true(EVP_EncryptInit_ex2(x, EVP_aes_256_cbc(), c.key, enc, NULL));
        assert_true(EVP_CIPHER_CTX_set_padding(x, 0));
        assert_true(EVP_EncryptUpdate(x, enc + 16, &l1, plain, 32));
        assert_true(EVP_EncryptFinal_ex(x, enc + 16 + l1, &l2));
        EVP_CIPHER_CTX_free(x);
        assert_int_equal(l1 + l2, 32);
        assert_int_equal(pdf_crypt_buf(&c, PDF_CM_AESV3, 7, 0, 0, enc, 48, dec, &dl, &err),
                         SERTEL_ERR_INVALID);
        assert_non_null(strstr(err.msg, "bad padding"));
        /* with a valid padding byte the same data decrypts */
        plain[31] = 0x01;
        x = EVP_CIPHER_CTX_new();
        assert_true(EVP_EncryptInit_ex2(x, EVP_aes_256_cbc(), c.key, enc, NULL));
        assert_true(EVP_CIPHER_CTX_set_padding(x, 0));
        assert_true(EVP_EncryptUpdate(x, enc + 16, &l1, plain, 32));
        assert_true(EVP_EncryptFinal_ex(x, enc + 16 + l1, &l2));
        EVP_CIPHER_CTX_free(x);
        assert_int_equal(pdf_crypt_buf(&c, PDF_CM_AESV3, 7, 0, 0, enc, 48, dec, &dl, &err),
                         SERTEL_OK);
        assert_int_equal(dl, 31);
        assert_memory_equal(dec, plain, 31);
    }
}

static void test_other_handlers(void **state)
{
    static const char pubsec[] = "%PDF-1.6\n"
                                 "1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n"
                                 "2 0 obj\n<</Type /Pages /Kids [] /Count 0>>\nendobj\n"
                                 "3 0 obj\n<</Filter /Adobe.PubSec /SubFilter /adbe.pkcs7.s5 "
                                 "/V 4 /R 4>>\nendobj\n"
                                 "trailer\n<</Size 4 /Root 1 0 R /Encrypt 3 0 R>>\n%%EOF\n";
    pdf_doc *d = NULL;
    sertel_err err = {0};

    (void)state;
    /* No usable xref: recovery finds the objects and the trailer. */
    assert_int_equal(pdf_open_mem((const unsigned char *)pubsec, sizeof(pubsec) - 1, &d, &err),
                     SERTEL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "only the standard (password) security handler"));
}

/* An update written to an encrypted file reads back: strings decrypt, /Contents stays raw. */
static void test_update_roundtrip(void **state)
{
    size_t f;

    (void)state;
    for (f = 0; f < sizeof(kats) / sizeof(kats[0]); f++) {
        size_t len = 0, ulen = 0;
        unsigned char *buf = load(kats[f].file, &len), *upd = NULL, *all;
        uint64_t coff = 0;
        pdf_doc *d = NULL, *d2 = NULL;
        pdf_sign_opts o;
        sertel_err err = {0};
        const pdf_obj *cat, *af, *fields, *wid, *sig, *v;
        size_t i;

        memset(&o, 0, sizeof(o));
        o.reason = "Persetujuan (uji)";
        o.name = "Budi \xc3\xa9";
        assert_int_equal(pdf_open_mem_pw(buf, len, "rahasia", &d, &err), SERTEL_OK);
        if (pdf_build_sig_update(d, &o, 64, &upd, &ulen, &coff, &err) != SERTEL_OK)
            fail_msg("%s: %s", kats[f].file, err.msg);
        all = malloc(len + ulen);
        assert_non_null(all);
        memcpy(all, buf, len);
        memcpy(all + len, upd, ulen);
        /* /Contents is in the clear where the offset says, and the strings are not */
        assert_int_equal(all[coff], '<');
        for (i = 1; i <= 64; i++)
            assert_int_equal(all[coff + i], '0');
        assert_int_equal(all[coff + 65], '>');
        assert_null(memmem(upd, ulen, "Persetujuan", 11));
        assert_null(memmem(upd, ulen, "(D:", 3));
        assert_non_null(memmem(upd, ulen, "/Encrypt", 8));
        assert_int_equal(pdf_open_mem_pw(all, len + ulen, "pemilik", &d2, &err), SERTEL_OK);
        assert_int_equal(pdf_catalog(d2, &cat, NULL, NULL, &err), SERTEL_OK);
        af = pdf_resolve(d2, pdf_dict_get(cat, "AcroForm"));
        fields = pdf_resolve(d2, pdf_dict_get(af, "Fields"));
        assert_non_null(fields);
        assert_int_equal(fields->type, PDF_ARRAY);
        wid = pdf_resolve(d2, fields->u.arr.items[fields->u.arr.n - 1]);
        v = pdf_dict_get(wid, "T");
        assert_non_null(v);
        assert_int_equal(v->u.str.len, 10);
        assert_memory_equal(v->u.str.p, "Signature1", 10);
        sig = pdf_resolve(d2, pdf_dict_get(wid, "V"));
        v = pdf_dict_get(sig, "Reason");
        assert_int_equal(v->u.str.len, 17);
        assert_memory_equal(v->u.str.p, "Persetujuan (uji)", 17);
        v = pdf_dict_get(sig, "M");
        assert_memory_equal(v->u.str.p, "D:", 2);
        v = pdf_dict_get(sig, "Contents");
        assert_int_equal(v->u.str.len, 32);
        for (i = 0; i < 32; i++)
            assert_int_equal(v->u.str.p[i], 0);
        check_content(d2);
        pdf_close(d2);
        pdf_close(d);
        free(all);
        free(upd);
        free(buf);
    }
}

/*
 * A stream with its own crypt filter (ISO 32000-2 §7.4.10): an update to
 * the qpdf-made R4 file replaces the page content by a stream with
 * /Filter [/Crypt] naming /Identity (data in the clear), then /StdCF (the
 * file's AES filter, data encrypted here).
 */
static void test_stream_crypt_filter(void **state)
{
    static const char text[] = "BT /F1 12 Tf 72 700 Td (Surat baru) Tj ET";
    size_t len = 0, k;
    unsigned char *buf = load("enc-r4.pdf", &len);

    (void)state;
    for (k = 0; k < 2; k++) {
        pdf_doc *d = NULL, *d2 = NULL;
        pdf_page pg;
        const pdf_obj *c, *t = NULL;
        pdf_buf u = {0};
        unsigned char data[128];
        size_t dlen = 0;
        uint64_t xoff;
        uint32_t num;
        sertel_err err = {0};

        assert_int_equal(pdf_open_mem_pw(buf, len, "rahasia", &d, &err), SERTEL_OK);
        assert_int_equal(pdf_page_get(d, 1, &pg, &err), SERTEL_OK);
        c = pdf_dict_get(pg.dict, "Contents");
        assert_non_null(c);
        assert_int_equal(c->type, PDF_REF);
        num = c->u.ref.num;
        if (k == 0) {
            memcpy(data, text, sizeof(text) - 1);
            dlen = sizeof(text) - 1;
        } else {
            assert_int_equal(pdf_crypt_buf(d->crypt, PDF_CM_AESV2, num, 0, 1,
                                           (const unsigned char *)text, sizeof(text) - 1, data,
                                           &dlen, &err),
                             SERTEL_OK);
        }
        pdf_buf_put(&u, buf, len);
        pdf_buf_printf(&u,
                       "%u 0 obj\n<</Length %zu /Filter [/Crypt] /DecodeParms [<</Type "
                       "/CryptFilterDecodeParms /Name /%s>>]>>\nstream\n",
                       num, dlen, k == 0 ? "Identity" : "StdCF");
        pdf_buf_put(&u, data, dlen);
        pdf_buf_put(&u, "\nendstream\nendobj\n", 18);
        xoff = u.len;
        pdf_buf_printf(&u, "xref\n%u 1\n%010zu 00000 n \ntrailer\n<</Size %u /Root ", num, len,
                       pdf_next_objnum(d));
        t = pdf_trailer(d);
        pdf_buf_obj(&u, pdf_dict_get(t, "Root"));
        pdf_buf_put(&u, " /Encrypt ", 10);
        pdf_buf_obj(&u, pdf_dict_get(t, "Encrypt"));
        pdf_buf_put(&u, " /ID ", 5);
        pdf_buf_obj(&u, pdf_dict_get(t, "ID"));
        pdf_buf_printf(&u, " /Prev %llu>>\nstartxref\n%llu\n%%%%EOF\n",
                       (unsigned long long)pdf_startxref(d), (unsigned long long)xoff);
        assert_false(u.failed);
        assert_int_equal(pdf_open_mem_pw((unsigned char *)u.p, u.len, "rahasia", &d2, &err),
                         SERTEL_OK);
        assert_int_equal(pdf_page_get(d2, 1, &pg, &err), SERTEL_OK);
        c = pdf_resolve(d2, pdf_dict_get(pg.dict, "Contents"));
        assert_non_null(c);
        {
            unsigned char *out = NULL;
            size_t olen = 0;
            if (pdf_stream_decode(d2, c, 1 << 20, &out, &olen, &err) != SERTEL_OK)
                fail_msg("crypt filter %zu: %s", k, err.msg);
            assert_int_equal(olen, sizeof(text) - 1);
            assert_memory_equal(out, text, olen);
            free(out);
        }
        pdf_close(d2);
        pdf_close(d);
        pdf_buf_free(&u);
    }
    free(buf);
}

/* PDFDocEncoding both ways (text.c), the strict UTF-8 decoder the passwords go through and
 * the UTF-16BE one of text strings and /ToUnicode maps. */
static void test_docenc_utf8(void **state)
{
    static const struct {
        const char *s;
        size_t len;
        int ok;
        unsigned long cp;
    } u8[] = {
        {"A", 1, 1, 0x41},
        {"\xc3\xa9", 2, 1, 0xE9},
        {"\xe2\x82\xac", 3, 1, 0x20AC},
        {"\xf0\x9f\x98\x80", 4, 1, 0x1F600},
        {"\xc0\xaf", 2, 0, 0},         /* overlong '/' */
        {"\xe0\x80\xaf", 3, 0, 0},     /* overlong */
        {"\xed\xa0\x80", 3, 0, 0},     /* a surrogate */
        {"\xf4\x90\x80\x80", 4, 0, 0}, /* above U+10FFFF */
        {"\xc3", 1, 0, 0},             /* truncated */
        {"\xe2\x82", 2, 0, 0},
        {"\x80", 1, 0, 0}, /* a continuation byte first */
        {"\xc3\x28", 2, 0, 0},
        {"\xff", 1, 0, 0},
    };
    unsigned b, defined = 0;
    size_t k;

    (void)state;
    for (k = 0; k < sizeof(u8) / sizeof(u8[0]); k++) {
        size_t i = 0;
        unsigned long cp = 0;
        int rc = pdf_utf8_next((const unsigned char *)u8[k].s, u8[k].len, &i, &cp);
        if (u8[k].ok) {
            assert_int_equal(rc, 0);
            assert_int_equal(cp, u8[k].cp);
            assert_int_equal(i, u8[k].len);
        } else {
            assert_int_equal(rc, -1);
            assert_int_equal(i, 0);
        }
    }
    /* Every defined byte maps to a code point that maps back to it. */
    for (b = 1; b < 256; b++) {
        unsigned long cp = pdf_docenc_to_ucs((unsigned char)b);
        if (cp == 0)
            continue;
        defined++;
        assert_int_equal(pdf_docenc_from_ucs(cp), (int)b);
    }
    assert_int_equal(defined, 255 - 3);                /* 0x7F, 0x9F and 0xAD are undefined */
    assert_int_equal(pdf_docenc_to_ucs(0x80), 0x2022); /* bullet */
    assert_int_equal(pdf_docenc_to_ucs(0xA0), 0x20AC); /* euro */
    assert_int_equal(pdf_docenc_to_ucs(0x18), 0x02D8); /* breve */
    assert_int_equal(pdf_docenc_to_ucs(0xE9), 0xE9);   /* Latin-1 */
    assert_int_equal(pdf_docenc_from_ucs(0x3A9), -1);  /* Omega: none */
    assert_int_equal(pdf_docenc_from_ucs(0x80), -1);   /* a C1 control: none */
    assert_int_equal(pdf_docenc_from_ucs(0x2022), 0x80);
    /* UTF-16BE: a BMP unit, a surrogate pair joined, a lone high surrogate, an odd byte. */
    {
        static const unsigned char u16[] = {0x00, 0x41, 0xD8, 0x3D, 0xDE, 0x00, 0xD8, 0x3D, 0x00};
        size_t i = 0;
        assert_int_equal(pdf_utf16be_next(u16, sizeof(u16), &i), 0x41);
        assert_int_equal(i, 2);
        assert_int_equal(pdf_utf16be_next(u16, sizeof(u16), &i), 0x1F600);
        assert_int_equal(i, 6);
        assert_int_equal(pdf_utf16be_next(u16, sizeof(u16), &i), 0xD83D); /* lone: as it is */
        assert_int_equal(i, 8);
        assert_int_equal(pdf_utf16be_next(u16, sizeof(u16), &i), 0); /* one byte left */
        assert_int_equal(i, 8);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_keys),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_bad_aes),
        cmocka_unit_test(test_bad_padding),
        cmocka_unit_test(test_other_handlers),
        cmocka_unit_test(test_update_roundtrip),
        cmocka_unit_test(test_stream_crypt_filter),
        cmocka_unit_test(test_docenc_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
