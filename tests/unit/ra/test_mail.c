/*
 * test_mail.c - outgoing mail: the message format (headers, CRLF,
 * quoted-printable, encoded-words) read back from the outbox, refusal of
 * header injection, configuration errors, and SMTP against a small sink
 * run in a child process on 127.0.0.1 (delivery, a 550 refusal, no
 * server, and a password that must not go out without TLS).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "ra/mail.h"
#include "testutil.h"
#include "util/fs.h"

#define BODY                                                                                        \
    "Yth. Bapak/Ibu,\n"                                                                             \
    "\n"                                                                                            \
    "Dokumen ini telah ditandatangani — é. Silakan buat passphrase Anda melalui tautan berikut " \
    "(berlaku 24 jam, sekali pakai):\n"                                                             \
    "https://sertel.example.go.id/aktivasi?token=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1u"  \
    "b3BxcnN0dXZ3eHl6&x=1\n"                                                                        \
    ".\n"                                                                                           \
    ".baris yang diawali titik\n"                                                                   \
    "spasi di akhir baris   \n"                                                                     \
    "tab di akhir\t\n"                                                                              \
    "a=b, 100% ✓, Rp 1.000.000,00 → selesai\r\n"                                                \
    "baris CR saja\r"                                                                               \
    "Hormat kami,\n"                                                                                \
    "Balai Sertifikasi Elektronik"

/* ---- reading a message back ------------------------------------------ */

/* Every LF is preceded by CR and every CR followed by LF. */
static void assert_crlf_only(const char *m, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r'))
            fail_msg("bare LF at byte %zu", i);
        if (m[i] == '\r' && (i + 1 == n || m[i + 1] != '\n'))
            fail_msg("bare CR at byte %zu", i);
    }
    assert_true(n >= 2 && m[n - 2] == '\r' && m[n - 1] == '\n');
}

/* The unfolded value of header name (CRLF before WSP removed), or NULL. */
static char *get_header(const char *msg, const char *name)
{
    const char *end = strstr(msg, "\r\n\r\n"), *p = msg, *e;
    size_t nl = strlen(name);
    char *v, *o;

    assert_non_null(end);
    while (p < end) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            p += nl + 1;
            while (*p == ' ')
                p++;
            for (e = p; e < end; e++)
                if (e[0] == '\r' && e[1] == '\n' && e[2] != ' ' && e[2] != '\t')
                    break;
            v = malloc((size_t)(e - p) + 1);
            assert_non_null(v);
            for (o = v; p < e; p++)
                if (!(p[0] == '\r' && p[1] == '\n') && !(p[0] == '\n' && p[-1] == '\r'))
                    *o++ = *p;
            *o = '\0';
            return v;
        }
        p = strstr(p, "\r\n");
        if (p == NULL)
            break;
        p += 2;
    }
    return NULL;
}

/* 1 when s[0..n) is whole UTF-8 characters (RFC 2047 §5: no split ones). */
static int whole_chars(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t len = s[i] < 0x80 ? 1 : s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : s[i] >= 0xc0 ? 2 : 0;
        if (len == 0 || len > n - i)
            return 0;
        i += len;
    }
    return 1;
}

/* Decode a header made of UTF-8 "B" encoded-words (and the blanks between). */
static char *decode_words(const char *v)
{
    char *out = calloc(1, 4096);
    size_t o = 0;

    assert_non_null(out);
    while (*v != '\0') {
        const char *q;
        size_t bin = 0;
        while (*v == ' ')
            v++;
        if (*v == '\0')
            break;
        if (strncmp(v, "=?UTF-8?B?", 10) != 0)
            fail_msg("not an encoded-word: %s", v);
        v += 10;
        q = strstr(v, "?=");
        assert_non_null(q);
        assert_int_equal(sodium_base642bin((unsigned char *)out + o, 4095 - o, v, (size_t)(q - v),
                                           NULL, &bin, NULL, sodium_base64_VARIANT_ORIGINAL),
                         0);
        if (!whole_chars((unsigned char *)out + o, bin))
            fail_msg("an encoded-word splits a character: %.*s", (int)(q - v), v);
        o += bin;
        v = q + 2;
    }
    out[o] = '\0';
    return out;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Check the quoted-printable body (RFC 2045 §6.7: lines <= 76, no
 * trailing blanks, ASCII only, "=" only as =XX or a soft break) and
 * return it decoded.
 */
static char *qp_decode_checked(const char *b, size_t n)
{
    char *out = malloc(n + 1);
    size_t i = 0, o = 0, col = 0;

    assert_non_null(out);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c >= 0x80 || (c < 0x20 && c != '\r' && c != '\n'))
            fail_msg("byte 0x%02X in the QP body at %zu", c, i);
    }
    for (i = 0; i < n;) {
        if (b[i] == '\r') {
            if (i > 0 && (b[i - 1] == ' ' || b[i - 1] == '\t'))
                fail_msg("trailing blank before byte %zu", i);
            out[o++] = '\r';
            out[o++] = '\n';
            i += 2;
            col = 0;
            continue;
        }
        if (col == 0 && b[i] == '.')
            fail_msg("a line starts with a literal '.' at %zu", i);
        if (b[i] == '=') {
            if (b[i + 1] == '\r') {
                assert_true(col + 1 <= 76);
                i += 3;
                col = 0;
                continue;
            }
            if (hexv(b[i + 1]) < 0 || hexv(b[i + 2]) < 0)
                fail_msg("bad =XX at %zu", i);
            out[o++] = (char)(hexv(b[i + 1]) * 16 + hexv(b[i + 2]));
            i += 3;
            col += 3;
        } else {
            out[o++] = b[i++];
            col++;
        }
        if (col > 76)
            fail_msg("QP line longer than 76 characters at byte %zu", i);
    }
    out[o] = '\0';
    return out;
}

/* BODY with every line end CRLF, and a final CRLF. */
static char *expected_body(const char *body)
{
    size_t n = strlen(body), i, o = 0;
    char *e = malloc(2 * n + 3);

    assert_non_null(e);
    for (i = 0; i < n; i++) {
        if (body[i] == '\r' || body[i] == '\n') {
            if (body[i] == '\r' && body[i + 1] == '\n')
                i++;
            e[o++] = '\r';
            e[o++] = '\n';
        } else {
            e[o++] = body[i];
        }
    }
    if (n == 0 || (body[n - 1] != '\n' && body[n - 1] != '\r')) {
        e[o++] = '\r';
        e[o++] = '\n';
    }
    e[o] = '\0';
    return e;
}

/* Check a whole message: CRLF, MIME headers, subject, body. */
static void check_message(const char *msg, size_t n, const char *from, const char *to,
                          const char *subject, const char *body)
{
    char *v, *dec, *exp;
    const char *b = strstr(msg, "\r\n\r\n");
    const char *p;
    struct tm tm;

    assert_crlf_only(msg, n);
    assert_non_null(b);
    /* header lines: none over 998, encoded-word lines <= 76 */
    for (p = msg; p < b;) {
        const char *e = strstr(p, "\r\n");
        if ((size_t)(e - p) > 998)
            fail_msg("header line over 998 characters");
        if (memmem(p, (size_t)(e - p), "=?UTF-8?B?", 10) != NULL && e - p > 76)
            fail_msg("encoded-word line over 76 characters: %.*s", (int)(e - p), p);
        p = e + 2;
    }

    v = get_header(msg, "From");
    assert_non_null(v);
    assert_string_equal(v, from);
    free(v);
    v = get_header(msg, "To");
    assert_non_null(v);
    assert_string_equal(v, to);
    free(v);
    v = get_header(msg, "MIME-Version");
    assert_string_equal(v, "1.0");
    free(v);
    v = get_header(msg, "Content-Type");
    assert_string_equal(v, "text/plain; charset=UTF-8");
    free(v);
    v = get_header(msg, "Content-Transfer-Encoding");
    assert_string_equal(v, "quoted-printable");
    free(v);

    v = get_header(msg, "Date");
    assert_non_null(v);
    memset(&tm, 0, sizeof(tm));
    p = strptime(v, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    if (p == NULL || *p != '\0')
        fail_msg("Date '%s' is not RFC 5322", v);
    {
        long d = (long)(timegm(&tm) - time(NULL));
        assert_true(d > -60 && d < 60);
    }
    free(v);

    v = get_header(msg, "Message-ID");
    assert_non_null(v);
    {
        const char *at = strchr(v, '@');
        size_t i;
        assert_true(v[0] == '<' && v[strlen(v) - 1] == '>');
        assert_non_null(at);
        assert_int_equal(at - v - 1, 32);
        for (i = 1; i < 33; i++)
            assert_non_null(strchr("0123456789abcdef", v[i]));
        const char *dom = strrchr(from, '@') + 1;
        size_t dl = strcspn(dom, ">");
        assert_int_equal(strncmp(at + 1, dom, dl), 0);
        assert_string_equal(at + 1 + dl, ">");
    }
    free(v);

    v = get_header(msg, "Subject");
    assert_non_null(v);
    if (strstr(v, "=?UTF-8?B?") != NULL) {
        dec = decode_words(v);
        assert_string_equal(dec, subject);
        free(dec);
    } else {
        assert_string_equal(v, subject);
    }
    free(v);

    dec = qp_decode_checked(b + 4, n - (size_t)(b + 4 - msg));
    exp = expected_body(body);
    assert_string_equal(dec, exp);
    free(dec);
    free(exp);
}

static conf *parse_conf(const char *text)
{
    conf *c = NULL;
    sertel_err err = {0};

    if (conf_parse(text, "test.conf", &c, &err) != SERTEL_OK)
        fail_msg("conf: %s", err.msg);
    return c;
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static char *read_all(const char *path, size_t *n)
{
    unsigned char *data = NULL;
    sertel_err err = {0};

    if (fs_read_file(path, 16 * 1024 * 1024, &data, n, &err) != SERTEL_OK)
        fail_msg("%s", err.msg);
    return (char *)data;
}

/* ---- outbox ---------------------------------------------------------- */

static void test_outbox_message(void **state)
{
    char *home = tu_mkdtemp(), *msg;
    conf *c = parse_conf("[mail]\nfrom = Sertel Kemkes <noreply@kemkes.go.id>\n");
    mailer *m = NULL;
    sertel_err err = {0};
    char path[4096];
    const char *subject = "Sertifikat elektronik Anda — siap ✓";
    const char *base;
    struct stat st;
    size_t n, i;

    (void)state;
    assert_int_equal(mailer_open(c, home, &m, &err), SERTEL_OK);
    assert_string_equal(mailer_mode(m), "outbox");
    assert_int_equal(stat(tu_path(home, "outbox"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);

    if (mailer_send2(m, "budi.santoso@kemkes.go.id", subject, BODY, path, sizeof(path), &err) !=
        SERTEL_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(strncmp(path, tu_path(home, "outbox/"), strlen(tu_path(home, "outbox/"))), 0);
    base = strrchr(path, '/') + 1;
    /* 20261125T173451.123456789Z-0123456789abcdef.eml: sorts in sending order */
    assert_int_equal(strlen(base), 26 + 1 + 16 + 4);
    assert_int_equal(base[8], 'T');
    assert_int_equal(base[15], '.');
    assert_int_equal(base[25], 'Z');
    assert_int_equal(base[26], '-');
    for (i = 27; i < 43; i++)
        assert_non_null(strchr("0123456789abcdef", base[i]));
    assert_string_equal(base + 43, ".eml");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(count_files(tu_path(home, "outbox")), 1); /* no temporary file left */

    msg = read_all(path, &n);
    check_message(msg, n, "Sertel Kemkes <noreply@kemkes.go.id>", "budi.santoso@kemkes.go.id",
                  subject, BODY);
    assert_non_null(strstr(msg, "\r\nAuto-Submitted: auto-generated\r\n"));
    assert_non_null(strstr(msg, "@kemkes.go.id>\r\n"));
    /* the em dash and e-acute in QP, and a soft break in the long URL line */
    assert_non_null(strstr(msg, "ditandatangani =E2=80=94 =C3=A9."));
    assert_non_null(strstr(msg, "=\r\n"));
    assert_non_null(strstr(msg, "\r\n=2E\r\n=2Ebaris"));
    assert_non_null(strstr(msg, "akhir baris  =20\r\n"));
    assert_non_null(strstr(msg, "tab di akhir=09\r\n"));
    assert_non_null(strstr(msg, "a=3Db, 100% =E2=9C=93"));
    free(msg);

    /* mailer_send writes another file */
    assert_int_equal(mailer_send(m, "a@b.id", "Halo", "", &err), SERTEL_OK);
    assert_int_equal(count_files(tu_path(home, "outbox")), 2);

    /* too small a path buffer: refused before anything is written */
    assert_int_equal(mailer_send2(m, "a@b.id", "Halo", "x", path, 10, &err), SERTEL_ERR_INVALID);
    assert_string_equal(path, "");
    assert_int_equal(count_files(tu_path(home, "outbox")), 2);

    mailer_close(m);
    conf_free(c);
    tu_rmtree(home);
}

static void test_outbox_headers(void **state)
{
    char *home = tu_mkdtemp(), *msg;
    mailer *m = NULL;
    sertel_err err = {0};
    char path[4096], subject[600], body[300];
    size_t n;
    conf *c;

    (void)state;
    /* no configuration at all: the defaults */
    assert_int_equal(mailer_open(NULL, home, &m, &err), SERTEL_OK);
    assert_string_equal(mailer_mode(m), "outbox");
    /* a long ASCII subject is folded at spaces, and unfolds to itself */
    snprintf(subject, sizeof(subject), "%s",
             "Permohonan sertifikat elektronik atas nama Budi Santoso dari Dinas Komunikasi dan "
             "Informatika Kabupaten Contoh telah disetujui oleh verifikator  dan  menunggu");
    memset(body, 'x', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    assert_int_equal(mailer_send2(m, "budi@kemkes.go.id", subject, body, path, sizeof(path), &err),
                     SERTEL_OK);
    msg = read_all(path, &n);
    check_message(msg, n, "sertel <noreply@localhost>", "budi@kemkes.go.id", subject, body);
    assert_non_null(strstr(msg, "@localhost>\r\n"));
    {
        const char *s = strstr(msg, "Subject: "), *e = strstr(s, "\r\n");
        assert_true(e - s <= 78); /* folded */
    }
    free(msg);

    /* a long non-ASCII subject becomes several encoded-words, split on characters */
    snprintf(subject, sizeof(subject), "%s",
             "Pemberitahuan: sertifikat ✓✓✓✓✓✓✓✓✓✓ untuk Ñoño, é, ü — berlaku dua tahun, "
             "diterbitkan oleh BSrE 🇮🇩 dan ditandatangani secara elektronik");
    assert_int_equal(mailer_send2(m, "budi@kemkes.go.id", subject, "", path, sizeof(path), &err),
                     SERTEL_OK);
    msg = read_all(path, &n);
    check_message(msg, n, "sertel <noreply@localhost>", "budi@kemkes.go.id", subject, "");
    free(msg);

    /* "=?" in plain text would read as an encoded-word: it is encoded */
    assert_int_equal(
        mailer_send2(m, "budi@kemkes.go.id", "a =?x?= b", "", path, sizeof(path), &err), SERTEL_OK);
    msg = read_all(path, &n);
    check_message(msg, n, "sertel <noreply@localhost>", "budi@kemkes.go.id", "a =?x?= b", "");
    assert_null(strstr(msg, "Subject: a =?x?= b"));
    free(msg);
    mailer_close(m);

    /* display names: specials are quoted, non-ASCII encoded */
    c = parse_conf("[mail]\nfrom = Kemkes R.I. \"Pusat\" <noreply@kemkes.go.id>\n"
                   "outbox = kotak\n");
    assert_int_equal(mailer_open(c, home, &m, &err), SERTEL_OK);
    assert_int_equal(mailer_send2(m, "a@b.id", "x", "y", path, sizeof(path), &err), SERTEL_OK);
    assert_non_null(strstr(path, "/kotak/"));
    msg = read_all(path, &n);
    assert_non_null(
        strstr(msg, "\r\nFrom: \"Kemkes R.I. \\\"Pusat\\\"\" <noreply@kemkes.go.id>\r\n"));
    free(msg);
    mailer_close(m);
    conf_free(c);

    c = parse_conf("[mail]\nfrom = Pemerintah Daerah Ñusantara <noreply@daerah.go.id>\n");
    assert_int_equal(mailer_open(c, home, &m, &err), SERTEL_OK);
    assert_int_equal(mailer_send2(m, "a@b.id", "x", "y", path, sizeof(path), &err), SERTEL_OK);
    msg = read_all(path, &n);
    {
        char *v = get_header(msg, "From"), *lt = strstr(v, " <"), *dec;
        assert_non_null(lt);
        assert_string_equal(lt, " <noreply@daerah.go.id>");
        *lt = '\0';
        dec = decode_words(v);
        assert_string_equal(dec, "Pemerintah Daerah Ñusantara");
        free(dec);
        free(v);
    }
    free(msg);
    mailer_close(m);
    conf_free(c);

    /* a bare address as From */
    c = parse_conf("[mail]\nfrom = noreply@daerah.go.id\n");
    assert_int_equal(mailer_open(c, home, &m, &err), SERTEL_OK);
    assert_int_equal(mailer_send2(m, "a@b.id", "x", "y", path, sizeof(path), &err), SERTEL_OK);
    msg = read_all(path, &n);
    assert_non_null(strstr(msg, "\r\nFrom: noreply@daerah.go.id\r\n"));
    free(msg);
    mailer_close(m);
    conf_free(c);
    tu_rmtree(home);
}

static void expect_refused(mailer *m, const char *to, const char *subject, const char *body,
                           const char *needle)
{
    sertel_err err = {0};
    char path[256] = "unchanged";

    assert_int_equal(mailer_send2(m, to, subject, body, path, sizeof(path), &err),
                     SERTEL_ERR_INVALID);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    assert_string_equal(path, "");
}

static void test_injection_refused(void **state)
{
    char *home = tu_mkdtemp();
    mailer *m = NULL;
    sertel_err err = {0};
    char longaddr[300], longsubj[600], *bigbody;

    (void)state;
    assert_int_equal(mailer_open(NULL, home, &m, &err), SERTEL_OK);
    expect_refused(m, "budi@kemkes.go.id\r\nBcc: all@kemkes.go.id", "Halo", "x",
                   "the recipient address contains a line break: refused (header injection)");
    expect_refused(m, "budi@kemkes.go.id\nBcc: all@kemkes.go.id", "Halo", "x", "header injection");
    expect_refused(m, "budi@kemkes.go.id\r", "Halo", "x", "header injection");
    expect_refused(m, "budi@kemkes.go.id", "Halo\r\nBcc: all@kemkes.go.id", "x",
                   "the subject contains a line break: refused (header injection)");
    expect_refused(m, "budi@kemkes.go.id", "Halo\n\nbody", "x", "header injection");
    expect_refused(m, "budi@kemkes.go.id", "Halo\rX", "x", "header injection");
    expect_refused(m, "budi@kemkes.go.id", "Halo\x01", "x", "control character 0x01");
    expect_refused(m, "budi@kemkes.go.id", "Halo\xc3", "x", "subject is not valid UTF-8");
    expect_refused(m, "budi@kemkes.go.id", "Halo", "ok \xed\xa0\x80 surrogate", "not valid UTF-8");
    expect_refused(m, "budi@kemkes.go.id", "Halo", "overlong \xc0\xaf", "not valid UTF-8");

    expect_refused(m, "Budi <budi@kemkes.go.id>", "Halo", "x", "contains a space");
    expect_refused(m, "<budi@kemkes.go.id>", "Halo", "x", "'<' or '>'");
    expect_refused(m, "a@b.id,c@d.id", "Halo", "x", "exactly one address");
    expect_refused(m, "a@b.id;c@d.id", "Halo", "x", "exactly one address");
    expect_refused(m, "budi kemkes.go.id", "Halo", "x", "space");
    expect_refused(m, "budi.kemkes.go.id", "Halo", "x", "no '@'");
    expect_refused(m, "a@b@c.id", "Halo", "x", "more than one '@'");
    expect_refused(m, "@kemkes.go.id", "Halo", "x", "before '@' is empty");
    expect_refused(m, "budi@", "Halo", "x", "domain after '@' is empty");
    expect_refused(m, ".budi@kemkes.go.id", "Halo", "x", "misplaced '.'");
    expect_refused(m, "bu..di@kemkes.go.id", "Halo", "x", "misplaced '.'");
    expect_refused(m, "budi.@kemkes.go.id", "Halo", "x", "misplaced '.'");
    expect_refused(m, "\"budi\"@kemkes.go.id", "Halo", "x", "not allowed there");
    expect_refused(m, "budi@kemkes..go.id", "Halo", "x", "empty label");
    expect_refused(m, "budi@kemkes.go.id.", "Halo", "x", "empty label");
    expect_refused(m, "budi@-kemkes.go.id", "Halo", "x", "starts with '-'");
    expect_refused(m, "budi@kemkes-.go.id", "Halo", "x", "ends with '-'");
    expect_refused(m, "budi@[127.0.0.1]", "Halo", "x", "other than letters");
    expect_refused(m, "budi@kemkes_go.id", "Halo", "x", "other than letters");
    expect_refused(m, "bùdi@kemkes.go.id", "Halo", "x", "non-ASCII");
    expect_refused(m, "", "Halo", "x", "it is empty");
    memset(longaddr, 'a', sizeof(longaddr) - 1);
    longaddr[sizeof(longaddr) - 1] = '\0';
    longaddr[10] = '@';
    expect_refused(m, longaddr, "Halo", "x", "longer than 254");
    longaddr[255 - 8] = '\0'; /* 247 characters: fine overall... */
    longaddr[10] = 'a';
    longaddr[80] = '@'; /* ...but a local part of 80 */
    expect_refused(m, longaddr, "Halo", "x", "longer than 64");
    memset(longsubj, 'x', sizeof(longsubj) - 1);
    longsubj[sizeof(longsubj) - 1] = '\0';
    expect_refused(m, "a@b.id", longsubj, "x", "subject is longer than 512");
    bigbody = malloc(MAIL_BODY_MAX + 2);
    assert_non_null(bigbody);
    memset(bigbody, 'y', MAIL_BODY_MAX + 1);
    bigbody[MAIL_BODY_MAX + 1] = '\0';
    expect_refused(m, "a@b.id", "Halo", bigbody, "longer than 1048576");
    free(bigbody);

    /* nothing was written */
    assert_int_equal(count_files(tu_path(home, "outbox")), 0);

    /* the standalone check agrees */
    assert_int_equal(mail_check_address("budi.santoso+tte@kemkes.go.id", &err), SERTEL_OK);
    assert_int_equal(mail_check_address("a@localhost", &err), SERTEL_OK);
    assert_int_equal(mail_check_address("a b@c.id", &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'a b@c.id'"));
    assert_int_equal(mail_check_address("a\x01@c.id", &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "(not shown)"));
    mailer_close(m);
    tu_rmtree(home);
}

static void expect_config_error(const char *text, const char *home, int code, const char *needle)
{
    conf *c = parse_conf(text);
    mailer *m = (mailer *)1;
    sertel_err err = {0};

    assert_int_equal(mailer_open(c, home, &m, &err), code);
    assert_null(m);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    conf_free(c);
}

static void test_config(void **state)
{
    char *home = tu_mkdtemp();
    mailer *m = NULL;
    sertel_err err = {0};
    conf *c;

    (void)state;
    expect_config_error("[mail]\nfrom = a@b.id\rBcc: x@y.id\n", home, SERTEL_ERR_CONFIG,
                        "line break");
    expect_config_error("[mail]\nfrom = sertel\n", home, SERTEL_ERR_CONFIG, "has no '@'");
    expect_config_error("[mail]\nfrom = sertel <noreply@x.id\n", home, SERTEL_ERR_CONFIG,
                        "'>' is missing");
    expect_config_error("[mail]\nfrom = sertel <a b@x.id>\n", home, SERTEL_ERR_CONFIG,
                        "[mail] from address");
    /* sertel init --mail-from: the same checks, nothing opened */
    assert_int_equal(mailer_check_from("Kementerian Contoh <noreply@contoh.go.id>", &err),
                     SERTEL_OK);
    assert_int_equal(mailer_check_from("noreply@contoh.go.id", &err), SERTEL_OK);
    assert_int_equal(mailer_check_from("Kementerian <noreply>", &err), SERTEL_ERR_CONFIG);
    assert_int_equal(mailer_check_from("a@b.id\r\nBcc: x@y.id", &err), SERTEL_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "line break"));
    expect_config_error("[mail]\nsmtp_url = http://mail.example.go.id\n", home, SERTEL_ERR_CONFIG,
                        "must start with smtp:// or smtps:// (found http://)");
    expect_config_error("[mail]\nsmtp_url = mail.example.go.id:25\n", home, SERTEL_ERR_CONFIG,
                        "smtp_url");
    expect_config_error("[mail]\nsmtp_url = smtp://u:s3cr3t@mail.example.go.id\n", home,
                        SERTEL_ERR_CONFIG, "must not contain a user or password");
    {
        /* the password in a rejected URL is not repeated */
        conf *cc = parse_conf("[mail]\nsmtp_url = smtp://u:s3cr3t@mail.example.go.id\n");
        mailer *mm = NULL;
        assert_int_equal(mailer_open(cc, home, &mm, &err), SERTEL_ERR_CONFIG);
        assert_null(strstr(err.msg, "s3cr3t"));
        conf_free(cc);
    }
    expect_config_error("[mail]\nsmtp_url = smtp://127.0.0.1:25\nsmtp_user = budi\n", home,
                        SERTEL_ERR_CONFIG, "go together");
    expect_config_error("[mail]\nsmtp_url = smtp://127.0.0.1:25\nsmtp_password_file = pw\n", home,
                        SERTEL_ERR_CONFIG, "go together");
    expect_config_error("[mail]\nsmtp_url = smtp://127.0.0.1:25\nsmtp_user = budi\n"
                        "smtp_password_file = missing.pw\n",
                        home, SERTEL_ERR_NOTFOUND, "[mail] smtp_password_file: cannot open");

    /* an outbox that is a file */
    assert_int_equal(fs_write_atomic(tu_path(home, "afile"), "x", 1, 0600, &err), SERTEL_OK);
    expect_config_error("[mail]\noutbox = afile\n", home, SERTEL_ERR_CONFIG, "not a directory");
    expect_config_error("[mail]\noutbox = no/such/dir\n", home, SERTEL_ERR_IO,
                        "cannot create the mail outbox");

    /* a password file relative to the home, read at open */
    assert_int_equal(fs_write_atomic(tu_path(home, "smtp.pw"), "rahasia\n", 8, 0600, &err),
                     SERTEL_OK);
    c = parse_conf("[mail]\nsmtp_url = smtps://mail.example.go.id:465\nsmtp_user = budi\n"
                   "smtp_password_file = smtp.pw\n");
    assert_int_equal(mailer_open(c, home, &m, &err), SERTEL_OK);
    assert_string_equal(mailer_mode(m), "smtp");
    assert_false(fs_exists(tu_path(home, "outbox"))); /* no outbox in SMTP mode */
    mailer_close(m);
    conf_free(c);
    mailer_close(NULL);
    tu_rmtree(home);
}

/* ---- SMTP ------------------------------------------------------------ */

struct sink {
    pid_t pid;
    int port;
    char log[4096];
};

static void sink_say(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            _exit(3);
        s += w;
        n -= (size_t)w;
    }
}

/*
 * The child: one connection, enough SMTP for libcurl, every received line
 * appended to the log file. rcpt_reply is the answer to RCPT TO.
 */
static void sink_child(int lfd, const char *log, const char *rcpt_reply)
{
    FILE *f = fopen(log, "w");
    char line[8192];
    size_t used = 0;
    int fd, in_data = 0;

    alarm(20);
    if (f == NULL)
        _exit(2);
    fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        _exit(2);
    sink_say(fd, "220 sink.test ESMTP ready\r\n");
    for (;;) {
        char *eol;
        ssize_t r;
        while ((eol = memmem(line, used, "\r\n", 2)) == NULL) {
            if (used == sizeof(line))
                _exit(4);
            r = read(fd, line + used, sizeof(line) - used);
            if (r <= 0)
                goto done;
            used += (size_t)r;
        }
        *eol = '\0';
        fprintf(f, "%s\n", line);
        fflush(f);
        if (in_data) {
            if (strcmp(line, ".") == 0) {
                in_data = 0;
                sink_say(fd, "250 2.0.0 queued as 1234\r\n");
            }
        } else if (strncasecmp(line, "EHLO", 4) == 0) {
            sink_say(fd, "250-sink.test\r\n250 8BITMIME\r\n");
        } else if (strncasecmp(line, "HELO", 4) == 0 || strncasecmp(line, "MAIL", 4) == 0 ||
                   strncasecmp(line, "RSET", 4) == 0 || strncasecmp(line, "NOOP", 4) == 0) {
            sink_say(fd, "250 2.0.0 OK\r\n");
        } else if (strncasecmp(line, "RCPT", 4) == 0) {
            sink_say(fd, rcpt_reply);
        } else if (strncasecmp(line, "DATA", 4) == 0) {
            sink_say(fd, "354 end with <CRLF>.<CRLF>\r\n");
            in_data = 1;
        } else if (strncasecmp(line, "QUIT", 4) == 0) {
            sink_say(fd, "221 2.0.0 bye\r\n");
            break;
        } else {
            sink_say(fd, "502 5.5.2 not implemented\r\n");
        }
        used -= (size_t)(eol + 2 - line);
        memmove(line, eol + 2, used);
    }
done:
    close(fd);
    fclose(f);
    _exit(0);
}

static void sink_start(struct sink *s, const char *dir, const char *rcpt_reply)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    assert_true(lfd >= 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    s->port = ntohs(a.sin_port);
    snprintf(s->log, sizeof(s->log), "%s/sink.log", dir);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0)
        sink_child(lfd, s->log, rcpt_reply);
    close(lfd);
}

/* Wait for the sink and return what it received. */
static char *sink_finish(struct sink *s)
{
    int status = 0;
    size_t n;

    assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    return read_all(s->log, &n);
}

static mailer *smtp_mailer(const char *home, int port, const char *extra)
{
    char text[1024];
    conf *c;
    mailer *m = NULL;
    sertel_err err = {0};

    snprintf(text, sizeof(text),
             "[mail]\nfrom = Sertel <noreply@sertel.test>\nsmtp_url = smtp://127.0.0.1:%d\n%s",
             port, extra);
    c = parse_conf(text);
    if (mailer_open(c, home, &m, &err) != SERTEL_OK)
        fail_msg("%s", err.msg);
    conf_free(c);
    assert_string_equal(mailer_mode(m), "smtp");
    return m;
}

static void test_smtp_delivery(void **state)
{
    char *home = tu_mkdtemp(), *log, *data, *o, path[64] = "x";
    const char *p, *q;
    struct sink s;
    mailer *m;
    sertel_err err = {0};
    const char *subject = "Kode aktivasi — sertifikat elektronik";
    size_t n;

    (void)state;
    sink_start(&s, home, "250 2.1.5 OK\r\n");
    m = smtp_mailer(home, s.port, "");
    if (mailer_send2(m, "budi@kemkes.go.id", subject, BODY, path, sizeof(path), &err) != SERTEL_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(path, "");
    log = sink_finish(&s);

    assert_non_null(strstr(log, "MAIL FROM:<noreply@sertel.test>"));
    assert_non_null(strstr(log, "\nRCPT TO:<budi@kemkes.go.id>\n"));
    assert_non_null(strstr(log, "\nDATA\n"));
    assert_non_null(strstr(log, "\nQUIT\n"));
    assert_null(strstr(log, "AUTH"));

    /* the DATA part, lines rejoined with CRLF and dot-stuffing undone */
    p = strstr(log, "\nDATA\n") + 6;
    q = strstr(p, "\n.\n");
    assert_non_null(q);
    data = malloc((size_t)(q - p) * 2 + 4);
    assert_non_null(data);
    for (o = data; p <= q;) {
        const char *e = strchr(p, '\n');
        if (*p == '.')
            p++;
        memcpy(o, p, (size_t)(e - p));
        o += e - p;
        *o++ = '\r';
        *o++ = '\n';
        p = e + 1;
    }
    *o = '\0';
    n = (size_t)(o - data);
    check_message(data, n, "Sertel <noreply@sertel.test>", "budi@kemkes.go.id", subject, BODY);
    free(data);
    free(log);
    mailer_close(m);
    tu_rmtree(home);
}

static void test_smtp_refused(void **state)
{
    char *home = tu_mkdtemp(), *log;
    struct sink s;
    mailer *m;
    sertel_err err = {0};

    (void)state;
    sink_start(&s, home, "550 5.1.1 <nobody@kemkes.go.id>: mailbox unavailable\r\n");
    m = smtp_mailer(home, s.port, "");
    assert_int_equal(mailer_send(m, "nobody@kemkes.go.id", "Halo", "isi", &err), SERTEL_ERR_IO);
    log = sink_finish(&s);
    if (strstr(err.msg, "550") == NULL || strstr(err.msg, "mailbox unavailable") == NULL ||
        strstr(err.msg, "the message was NOT sent") == NULL ||
        strstr(err.msg, "nobody@kemkes.go.id") == NULL)
        fail_msg("message: %s", err.msg);
    assert_non_null(strstr(log, "RCPT TO:<nobody@kemkes.go.id>"));
    assert_null(strstr(log, "\nDATA\n"));
    free(log);
    mailer_close(m);
    tu_rmtree(home);
}

static void test_smtp_no_server(void **state)
{
    char *home = tu_mkdtemp();
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    mailer *m;
    sertel_err err = {0};

    (void)state;
    /* a port that was just free: nothing listens there */
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    port = ntohs(a.sin_port);
    close(fd);
    m = smtp_mailer(home, port, "");
    assert_int_equal(mailer_send(m, "budi@kemkes.go.id", "Halo", "isi", &err), SERTEL_ERR_IO);
    assert_non_null(strstr(err.msg, "the message was NOT sent"));
    assert_non_null(strstr(err.msg, "smtp://127.0.0.1:"));
    /* validation still comes first */
    assert_int_equal(mailer_send(m, "budi@kemkes.go.id\r\nX: y", "Halo", "isi", &err),
                     SERTEL_ERR_INVALID);
    mailer_close(m);
    tu_rmtree(home);
}

static void test_smtp_password_needs_tls(void **state)
{
    char *home = tu_mkdtemp(), *log;
    struct sink s;
    mailer *m;
    sertel_err err = {0};

    (void)state;
    assert_int_equal(fs_write_atomic(tu_path(home, "smtp.pw"), "rahasia-sekali\n", 15, 0600, &err),
                     SERTEL_OK);
    /* the sink offers no STARTTLS: with a password configured, nothing is sent */
    sink_start(&s, home, "250 2.1.5 OK\r\n");
    m = smtp_mailer(home, s.port, "smtp_user = budi\nsmtp_password_file = smtp.pw\n");
    assert_int_equal(mailer_send(m, "budi@kemkes.go.id", "Halo", "isi", &err), SERTEL_ERR_IO);
    assert_non_null(strstr(err.msg, "the message was NOT sent"));
    assert_non_null(strstr(err.msg, "TLS is required"));
    assert_null(strstr(err.msg, "rahasia"));
    log = sink_finish(&s);
    assert_null(strstr(log, "AUTH"));
    assert_null(strstr(log, "MAIL FROM"));
    /* base64 of "\0budi\0rahasia-sekali" would start with AGJ1ZGkA */
    assert_null(strstr(log, "AGJ1ZGkA"));
    free(log);
    mailer_close(m);
    tu_rmtree(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outbox_message),    cmocka_unit_test(test_outbox_headers),
        cmocka_unit_test(test_injection_refused), cmocka_unit_test(test_config),
        cmocka_unit_test(test_smtp_delivery),     cmocka_unit_test(test_smtp_refused),
        cmocka_unit_test(test_smtp_no_server),    cmocka_unit_test(test_smtp_password_needs_tls),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
