/*
 * mail.c - building and sending e-mail (see mail.h).
 *
 * The message: RFC 5322 §3.6 header fields (Date in the §3.3 format, in
 * UTC; Message-ID §3.6.4 with a random left part and the From domain),
 * MIME-Version and Content-Type per RFC 2045 §4/§5, a quoted-printable
 * body per RFC 2045 §6.7 (lines of at most 76 characters, soft breaks
 * "=" CRLF, trailing blanks encoded), non-ASCII header text as RFC 2047
 * "B" encoded-words of at most 76 characters, split on UTF-8 character
 * boundaries. Every line ends in CRLF. Addresses are the dot-atom form of
 * RFC 5322 §3.4.1 only (no quoted local parts, no domain literals, no
 * SMTPUTF8), which is what every official address looks like.
 *
 * Header injection is impossible by construction: every caller-supplied
 * header value is refused when it holds CR or LF, addresses are checked
 * against a strict grammar, and text that is not plain ASCII is encoded.
 *
 * SMTP goes through libcurl (smtp:// with opportunistic or required
 * STARTTLS, smtps://), limited to those two protocols. The server's
 * last error reply (4xx/5xx) is kept from libcurl's debug callback
 * (incoming lines only: outgoing ones include AUTH) to say why a send
 * failed; libcurl's own message has only the code.
 */
#include "ra/mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "cms/curl_lazy.h"
#include "util/dynbuf.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/text.h"

#define SMTP_TIMEOUT_S 30L
#define MSG_MAX (4 * (size_t)MAIL_BODY_MAX) /* QP at worst triples, plus headers */
#define EW_CHUNK 39    /* bytes per encoded-word: 52 base64 characters, 76 a line */
#define FOLD_AT 78     /* RFC 5322 §2.1.1 recommended line length */
#define REPLY_MAX 256  /* kept bytes of the server's last reply line */
#define DISPLAY_MAX 64 /* bytes of the From display name */

struct mailer {
    int smtp;
    char *from_display; /* NULL or the display name (UTF-8) */
    char from_addr[MAIL_ADDR_MAX + 1];
    char *smtp_url;
    char *smtp_user;
    char *smtp_password; /* sodium_malloc'ed (secret_read_file), NULL when none */
    char outbox[PATH_MAX];
    int curl_global;
};

/* ---- checks ---------------------------------------------------------- */

static int has_crlf(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

static int is_atext(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Quote addr in a message only when it is harmless to show. */
static const char *shown(const char *addr)
{
    size_t i, n = strnlen(addr, MAIL_ADDR_MAX + 1);

    if (n > MAIL_ADDR_MAX)
        return "(too long to show)";
    for (i = 0; i < n; i++)
        if ((unsigned char)addr[i] < 0x20 || (unsigned char)addr[i] >= 0x7f)
            return "(not shown)";
    return addr;
}

static int check_address(const char *what, const char *addr, sertel_err *err)
{
    const char *why;

    if (has_crlf(addr))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the %s contains a line break: refused (header injection)", what);
    why = text_email_problem(addr, strnlen(addr, MAIL_ADDR_MAX + 1), 0);
    if (why != NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s '%s' is not a single address local@domain: %s", what, shown(addr),
                              why);
    return SERTEL_OK;
}

int mail_check_address(const char *addr, sertel_err *err)
{
    return check_address("e-mail address", addr, err);
}

/* ---- header encoding ------------------------------------------------- */

/* Encoded-words (RFC 2047 §4.1, "B") of s, separated by CRLF SP. */
static int add_encoded_words(dynbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    char b64[sodium_base64_ENCODED_LEN(EW_CHUNK, sodium_base64_VARIANT_ORIGINAL)];

    while (i < n) {
        size_t take = n - i < EW_CHUNK ? n - i : EW_CHUNK;
        /* never split a character: back up to the start of one */
        while (take < n - i && take > 0 && (p[i + take] & 0xc0) == 0x80)
            take--;
        sodium_bin2base64(b64, sizeof(b64), p + i, take, sodium_base64_VARIANT_ORIGINAL);
        if ((i > 0 && dynbuf_addstr(b, "\r\n ") != 0) || dynbuf_addstr(b, "=?UTF-8?B?") != 0 ||
            dynbuf_addstr(b, b64) != 0 || dynbuf_addstr(b, "?=") != 0)
            return -1;
        i += take;
    }
    return 0;
}

static int is_plain_ascii(const char *s)
{
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p >= 0x7f)
            return 0;
    return strstr(s, "=?") == NULL; /* would read as an encoded-word */
}

/*
 * ASCII text folded before a space when a line would pass FOLD_AT
 * (RFC 5322 §2.2.3); used starts as the length of "Name: ". A fold only
 * goes before a space followed by a non-space, so no line is only blanks.
 */
static int add_folded(dynbuf *b, const char *s, size_t used)
{
    size_t i = 0, n = strlen(s);

    while (i < n) {
        size_t j = i + 1;
        while (j < n && s[j] != ' ')
            j++;
        if (i > 0 && j - i > 1 && used + (j - i) > FOLD_AT) {
            if (dynbuf_addstr(b, "\r\n") != 0)
                return -1;
            used = 0;
        }
        if (dynbuf_add(b, s + i, j - i) != 0)
            return -1;
        used += j - i;
        i = j;
    }
    return 0;
}

static int add_text_header(dynbuf *b, const char *name, const char *value)
{
    if (dynbuf_addstr(b, name) != 0 || dynbuf_addstr(b, ": ") != 0)
        return -1;
    if (is_plain_ascii(value)) {
        if (add_folded(b, value, strlen(name) + 2) != 0)
            return -1;
    } else if (add_encoded_words(b, value) != 0) {
        return -1;
    }
    return dynbuf_addstr(b, "\r\n");
}

/* A display name as atoms, a quoted-string, or encoded-words. */
static int add_display_name(dynbuf *b, const char *name)
{
    const unsigned char *p;
    int atoms = 1;

    if (!is_plain_ascii(name))
        return add_encoded_words(b, name);
    for (p = (const unsigned char *)name; *p != '\0'; p++)
        if (*p != ' ' && !is_atext(*p))
            atoms = 0;
    if (atoms && name[0] != ' ' && name[strlen(name) - 1] != ' ')
        return dynbuf_addstr(b, name);
    if (dynbuf_addstr(b, "\"") != 0)
        return -1;
    for (p = (const unsigned char *)name; *p != '\0'; p++) {
        if ((*p == '"' || *p == '\\') && dynbuf_addstr(b, "\\") != 0)
            return -1;
        if (dynbuf_add(b, p, 1) != 0)
            return -1;
    }
    return dynbuf_addstr(b, "\"");
}

/* ---- body ------------------------------------------------------------ */

/* Quoted-printable (RFC 2045 §6.7) of s with line breaks made CRLF. */
static int add_qp_body(dynbuf *b, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0, col = 0;

    while (i < n) {
        unsigned char c = s[i];
        int eol, literal;
        size_t t;
        char tok[3];

        if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < n && s[i + 1] == '\n')
                i++;
            i++;
            col = 0;
            if (dynbuf_addstr(b, "\r\n") != 0)
                return -1;
            continue;
        }
        eol = i + 1 == n || s[i + 1] == '\r' || s[i + 1] == '\n';
        /* Rule 3: blanks at the end of a line are encoded. */
        literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !eol);
        t = literal ? 1 : 3;
        /* Rule 5: at most 76 characters, a soft break "=" counting. */
        if (col + t > (eol ? 76u : 75u)) {
            if (dynbuf_addstr(b, "=\r\n") != 0)
                return -1;
            col = 0;
        }
        /* A "." opening a line is encoded so no SMTP or sendmail path can
         * mistake it for the end of the data. */
        if (c == '.' && col == 0) {
            literal = 0;
            t = 3;
        }
        if (literal) {
            tok[0] = (char)c;
        } else {
            tok[0] = '=';
            tok[1] = hex[c >> 4];
            tok[2] = hex[c & 15];
        }
        if (dynbuf_add(b, tok, t) != 0)
            return -1;
        col += t;
        i++;
    }
    if (n == 0 || (s[n - 1] != '\n' && s[n - 1] != '\r'))
        return dynbuf_addstr(b, "\r\n");
    return 0;
}

/* ---- the message ----------------------------------------------------- */

static void rfc5322_date(time_t t, char *out, size_t cap)
{
    static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;

    /* Names spelled out: strftime's %a and %b follow the locale. */
    gmtime_r(&t, &tm);
    snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday], tm.tm_mday,
             mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int build_message(const mailer *m, const char *to, const char *subject, const char *body,
                         time_t now, dynbuf *b)
{
    char date[128], id[33];
    unsigned char rnd[16];
    const char *domain = strchr(m->from_addr, '@') + 1;

    rfc5322_date(now, date, sizeof(date));
    randombytes_buf(rnd, sizeof(rnd));
    hex_encode(rnd, sizeof(rnd), id);

    if (dynbuf_addstr(b, "Date: ") || dynbuf_addstr(b, date) || dynbuf_addstr(b, "\r\nFrom: "))
        return -1;
    if (m->from_display != NULL) {
        if (add_display_name(b, m->from_display) || dynbuf_addstr(b, " <") ||
            dynbuf_addstr(b, m->from_addr) || dynbuf_addstr(b, ">"))
            return -1;
    } else if (dynbuf_addstr(b, m->from_addr)) {
        return -1;
    }
    if (dynbuf_addstr(b, "\r\nTo: ") || dynbuf_addstr(b, to) || dynbuf_addstr(b, "\r\n") ||
        add_text_header(b, "Subject", subject) || dynbuf_addstr(b, "Message-ID: <") ||
        dynbuf_addstr(b, id) || dynbuf_addstr(b, "@") || dynbuf_addstr(b, domain) ||
        dynbuf_addstr(b, ">\r\n") || dynbuf_addstr(b, "Auto-Submitted: auto-generated\r\n") ||
        dynbuf_addstr(b, "MIME-Version: 1.0\r\n") ||
        dynbuf_addstr(b, "Content-Type: text/plain; charset=UTF-8\r\n") ||
        dynbuf_addstr(b, "Content-Transfer-Encoding: quoted-printable\r\n\r\n"))
        return -1;
    return add_qp_body(b, (const unsigned char *)body, strlen(body));
}

static int check_message(const char *to, const char *subject, const char *body, sertel_err *err)
{
    size_t n;
    const unsigned char *p;
    int rc;

    rc = check_address("recipient address", to, err);
    if (rc != SERTEL_OK)
        return rc;
    if (has_crlf(subject))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the subject contains a line break: refused (header injection)");
    n = strnlen(subject, MAIL_SUBJECT_MAX + 1);
    if (n > MAIL_SUBJECT_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the subject is longer than %d bytes: shorten it", MAIL_SUBJECT_MAX);
    for (p = (const unsigned char *)subject; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "the subject contains control character 0x%02X", *p);
    if (!text_utf8_valid((const unsigned char *)subject, n, NULL))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the subject is not valid UTF-8");
    n = strnlen(body, MAIL_BODY_MAX + 1);
    if (n > MAIL_BODY_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the message body is longer than %d bytes",
                              MAIL_BODY_MAX);
    if (!text_utf8_valid((const unsigned char *)body, n, NULL))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the message body is not valid UTF-8");
    return SERTEL_OK;
}

/* ---- outbox ---------------------------------------------------------- */

static int outbox_write(const mailer *m, const dynbuf *msg, time_t now, char *path_out, size_t cap,
                        sertel_err *err)
{
    char name[160], path[PATH_MAX], stamp[96], hex[17];
    unsigned char rnd[8];
    struct tm tm;
    int rc;

    struct timespec ts;

    /* Nanoseconds in the name: sorting the outbox by name is sending order. */
    (void)now;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(stamp, sizeof(stamp), "%04d%02d%02dT%02d%02d%02d.%09ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)ts.tv_nsec);
    /* 64 random bits: two messages never share a name, so the rename of
     * fs_write_atomic never replaces one. */
    randombytes_buf(rnd, sizeof(rnd));
    hex_encode(rnd, sizeof(rnd), hex);
    snprintf(name, sizeof(name), "%s-%s.eml", stamp, hex);
    rc = fs_path_join(path, sizeof(path), m->outbox, name, err);
    if (rc != SERTEL_OK)
        return rc;
    if (path_out != NULL && strlen(path) >= cap)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the buffer for the outbox path holds %zu bytes, %zu are needed", cap,
                              strlen(path) + 1);
    rc = fs_write_atomic(path, msg->p, msg->len, 0600, err);
    if (rc != SERTEL_OK) {
        sertel_err_prefix(err, "writing the message to the outbox");
        return rc;
    }
    if (path_out != NULL)
        memcpy(path_out, path, strlen(path) + 1);
    return SERTEL_OK;
}

/* ---- SMTP ------------------------------------------------------------ */

struct upload {
    const char *p;
    size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *ud)
{
    struct upload *u = ud;
    size_t n = size * nmemb;

    if (n > u->left)
        n = u->left;
    memcpy(dst, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

/*
 * Keep the server's last error reply line (4xx or 5xx), or, before any,
 * its last reply; the QUIT after a failure must not hide the refusal.
 * Everything we sent is ignored.
 */
static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
    char *reply = ud;
    size_t n = 0, i, start = 0;

    (void)h;
    if (type != CURLINFO_HEADER_IN)
        return 0;
    while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
        size--;
    if (size == 0)
        return 0;
    for (i = 0; i < size; i++) /* the last line of a multi-line chunk */
        if (data[i] == '\n')
            start = i + 1;
    if ((reply[0] == '4' || reply[0] == '5') && data[start] != '4' && data[start] != '5')
        return 0;
    for (i = start; i < size && n < REPLY_MAX - 1; i++)
        reply[n++] = (data[i] >= 0x20 && data[i] < 0x7f) ? data[i] : '?';
    reply[n] = '\0';
    return 0;
}

static int smtp_send(const mailer *m, const char *to, const dynbuf *msg, sertel_err *err)
{
    CURL *h = NULL;
    struct curl_slist *rcpt = NULL;
    struct upload up = {msg->p, msg->len};
    char errbuf[CURL_ERROR_SIZE], reply[REPLY_MAX], from[MAIL_ADDR_MAX + 3],
        rcpt_s[MAIL_ADDR_MAX + 3];
    CURLcode cc = CURLE_OK;
    int rc = SERTEL_OK;

    errbuf[0] = '\0';
    reply[0] = '\0';
    snprintf(from, sizeof(from), "<%s>", m->from_addr);
    snprintf(rcpt_s, sizeof(rcpt_s), "<%s>", to);
    h = curl_easy_init();
    rcpt = curl_slist_append(NULL, rcpt_s);
    if (h == NULL || rcpt == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM,
                            "cannot set up the SMTP connection: the message was NOT sent");
        goto out;
    }
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (cc == CURLE_OK)                                                                        \
            cc = curl_easy_setopt(h, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_URL, m->smtp_url);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "smtp,smtps");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
    SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_CONNECTTIMEOUT, SMTP_TIMEOUT_S);
    SET(CURLOPT_TIMEOUT, SMTP_TIMEOUT_S);
    /* A password never goes out in clear: with one, STARTTLS is required. */
    SET(CURLOPT_USE_SSL, m->smtp_password != NULL || strncasecmp(m->smtp_url, "smtps:", 6) == 0
                             ? (long)CURLUSESSL_ALL
                             : (long)CURLUSESSL_TRY);
    if (m->smtp_user != NULL) {
        SET(CURLOPT_USERNAME, m->smtp_user);
        SET(CURLOPT_PASSWORD, m->smtp_password);
    }
    SET(CURLOPT_MAIL_FROM, from);
    SET(CURLOPT_MAIL_RCPT, rcpt);
    SET(CURLOPT_UPLOAD, 1L);
    SET(CURLOPT_READFUNCTION, read_cb);
    SET(CURLOPT_READDATA, &up);
    SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
    SET(CURLOPT_DEBUGFUNCTION, debug_cb);
    SET(CURLOPT_DEBUGDATA, reply);
    SET(CURLOPT_VERBOSE, 1L); /* feeds debug_cb only; nothing is printed */
#undef SET
    if (cc != CURLE_OK) {
        rc = sertel_err_set(err, SERTEL_ERR_INTERNAL,
                            "cannot configure libcurl for SMTP (%s): the message was NOT sent",
                            curl_easy_strerror(cc));
        goto out;
    }
    cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        int refused = reply[0] == '4' || reply[0] == '5';
        rc = sertel_err_set(
            err, SERTEL_ERR_IO,
            "sending mail to %s via %s failed: %s%s%s%s%s: the message was NOT sent", to,
            m->smtp_url, errbuf[0] ? errbuf : curl_easy_strerror(cc),
            refused ? " (the server said \"" : "", refused ? reply : "", refused ? "\")" : "",
            cc == CURLE_USE_SSL_FAILED && m->smtp_password != NULL
                ? " (with a password configured, TLS is required: the server must offer "
                  "STARTTLS, or use smtps://)"
                : "");
        goto out;
    }
out:
    curl_easy_cleanup(h);
    curl_slist_free_all(rcpt);
    return rc;
}

/* ---- the API --------------------------------------------------------- */

/* Split "Name <addr>" or "addr" into m->from_display and m->from_addr. */
static int parse_from(mailer *m, const char *from, sertel_err *err)
{
    const char *lt = strchr(from, '<'), *why;
    size_t n;

    if (has_crlf(from))
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "[mail] from contains a line break: write one address");
    if (lt == NULL) {
        n = strlen(from);
    } else {
        size_t dn = (size_t)(lt - from);
        n = strlen(lt + 1);
        if (n == 0 || lt[n] != '>')
            return sertel_err_set(err, SERTEL_ERR_CONFIG,
                                  "[mail] from must be \"Name <address>\" or \"address\": the "
                                  "'>' is missing at the end");
        n--;
        while (dn > 0 && from[dn - 1] == ' ')
            dn--;
        if (dn > DISPLAY_MAX)
            return sertel_err_set(err, SERTEL_ERR_CONFIG,
                                  "[mail] from: the name is longer than %d bytes", DISPLAY_MAX);
        if (dn > 0) {
            size_t i;
            for (i = 0; i < dn; i++)
                if ((unsigned char)from[i] < 0x20 || from[i] == 0x7f)
                    return sertel_err_set(err, SERTEL_ERR_CONFIG,
                                          "[mail] from: the name contains a control character");
            if (!text_utf8_valid((const unsigned char *)from, dn, NULL))
                return sertel_err_set(err, SERTEL_ERR_CONFIG,
                                      "[mail] from: the name is not valid UTF-8");
            m->from_display = strndup(from, dn);
            if (m->from_display == NULL)
                return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        }
        from = lt + 1;
    }
    if (n > MAIL_ADDR_MAX)
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "[mail] from: the address is longer than %d characters",
                              MAIL_ADDR_MAX);
    memcpy(m->from_addr, from, n);
    m->from_addr[n] = '\0';
    why = text_email_problem(m->from_addr, strlen(m->from_addr), 0);
    if (why != NULL)
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "[mail] from address '%s' is not local@domain: %s",
                              shown(m->from_addr), why);
    return SERTEL_OK;
}

static int check_smtp_url(const char *url, sertel_err *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *user = NULL, *host = NULL;
    int rc = SERTEL_OK;

    if (u == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0') {
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                            "[mail] smtp_url is not a URL: write smtp://host:port or "
                            "smtps://host:port");
        goto out;
    }
    if (strcmp(scheme, "smtp") != 0 && strcmp(scheme, "smtps") != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                            "[mail] smtp_url must start with smtp:// or smtps:// (found %s://)",
                            scheme);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        /* the URL is not echoed: it may hold a password */
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                            "[mail] smtp_url must not contain a user or password: use "
                            "smtp_user and smtp_password_file");
        goto out;
    }
out:
    curl_free(scheme);
    curl_free(user);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

static int open_smtp(mailer *m, const conf *c, const char *home, const char *url, sertel_err *err)
{
    const char *user = c ? conf_get(c, "mail", "smtp_user") : NULL;
    const char *pwfile = c ? conf_get(c, "mail", "smtp_password_file") : NULL;
    char path[PATH_MAX];
    int rc;

    rc = check_smtp_url(url, err);
    if (rc != SERTEL_OK)
        return rc;
    m->smtp = 1;
    m->smtp_url = strdup(url);
    if (m->smtp_url == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if ((user != NULL && user[0] != '\0') != (pwfile != NULL && pwfile[0] != '\0'))
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "[mail] smtp_user and smtp_password_file go together: set both "
                              "or neither");
    if (user == NULL || user[0] == '\0')
        return SERTEL_OK;
    if (has_crlf(user))
        return sertel_err_set(err, SERTEL_ERR_CONFIG, "[mail] smtp_user contains a line break");
    m->smtp_user = strdup(user);
    if (m->smtp_user == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if (pwfile[0] == '/')
        snprintf(path, sizeof(path), "%s", pwfile);
    else if ((rc = fs_path_join(path, sizeof(path), home, pwfile, err)) != SERTEL_OK)
        return rc;
    rc = secret_read_file(path, &m->smtp_password, err);
    if (rc != SERTEL_OK)
        sertel_err_prefix(err, "[mail] smtp_password_file");
    return rc;
}

static int open_outbox(mailer *m, const conf *c, const char *home, sertel_err *err)
{
    const char *dir =
        c ? conf_get_default(c, "mail", "outbox", MAIL_DEFAULT_OUTBOX) : MAIL_DEFAULT_OUTBOX;
    struct stat st;
    int rc;

    if (dir[0] == '\0')
        return sertel_err_set(err, SERTEL_ERR_CONFIG, "[mail] outbox is empty: name a directory");
    if (dir[0] == '/') {
        if ((size_t)snprintf(m->outbox, sizeof(m->outbox), "%s", dir) >= sizeof(m->outbox))
            return sertel_err_set(err, SERTEL_ERR_CONFIG, "[mail] outbox path is too long");
    } else {
        rc = fs_path_join(m->outbox, sizeof(m->outbox), home, dir, err);
        if (rc != SERTEL_OK)
            return rc;
    }
    if (mkdir(m->outbox, 0700) != 0 && errno != EEXIST)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot create the mail outbox %s: %s", m->outbox,
                              strerror(errno));
    if (stat(m->outbox, &st) != 0 || !S_ISDIR(st.st_mode))
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "the mail outbox %s is not a directory: set [mail] outbox",
                              m->outbox);
    return SERTEL_OK;
}

int mailer_open(const conf *c, const char *home, mailer **out, sertel_err *err)
{
    mailer *m = NULL;
    const char *from, *url;
    int rc;

    *out = NULL;
    if (sodium_init() < 0)
        return sertel_err_set(err, SERTEL_ERR_CRYPTO, "libsodium cannot be initialised");
    m = calloc(1, sizeof(*m));
    if (m == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    from = c ? conf_get_default(c, "mail", "from", MAIL_DEFAULT_FROM) : MAIL_DEFAULT_FROM;
    rc = parse_from(m, from, err);
    if (rc != SERTEL_OK)
        goto out;
    url = c ? conf_get(c, "mail", "smtp_url") : NULL;
    if (url != NULL && url[0] != '\0') {
        if ((rc = cms_curl_load(err)) != SERTEL_OK) /* loaded on first use: curl_lazy.c */
            goto out;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "libcurl cannot be initialised");
            goto out;
        }
        m->curl_global = 1;
        rc = open_smtp(m, c, home, url, err);
    } else {
        rc = open_outbox(m, c, home, err);
    }
    if (rc != SERTEL_OK)
        goto out;
    *out = m;
    m = NULL;
out:
    mailer_close(m);
    return rc;
}

int mailer_check_from(const char *from, sertel_err *err)
{
    mailer *m = calloc(1, sizeof(*m));
    int rc;

    if (m == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    rc = parse_from(m, from, err);
    mailer_close(m);
    return rc;
}

void mailer_close(mailer *m)
{
    if (m == NULL)
        return;
    secret_free(m->smtp_password);
    free(m->smtp_user);
    free(m->smtp_url);
    free(m->from_display);
    if (m->curl_global)
        curl_global_cleanup();
    free(m);
}

const char *mailer_mode(const mailer *m)
{
    return m->smtp ? "smtp" : "outbox";
}

int mailer_send2(mailer *m, const char *to, const char *subject, const char *body_utf8,
                 char *path_out, size_t cap, sertel_err *err)
{
    dynbuf msg;
    time_t now = time(NULL);
    int rc;

    dynbuf_init(&msg, MSG_MAX);
    msg.secret = 1; /* messages carry single-use tokens */
    if (path_out != NULL && cap > 0)
        path_out[0] = '\0';
    rc = check_message(to, subject, body_utf8, err);
    if (rc != SERTEL_OK)
        return rc;
    if (build_message(m, to, subject, body_utf8, now, &msg) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory building the message");
        goto out;
    }
    if (m->smtp)
        rc = smtp_send(m, to, &msg, err);
    else
        rc = outbox_write(m, &msg, now, path_out, cap, err);
out:
    dynbuf_free(&msg);
    return rc;
}

int mailer_send(mailer *m, const char *to, const char *subject, const char *body_utf8,
                sertel_err *err)
{
    return mailer_send2(m, to, subject, body_utf8, NULL, 0, err);
}
