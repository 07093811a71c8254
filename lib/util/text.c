/*
 * text.c - checks for text from outside (see text.h). UTF-8 per RFC 3629
 * §3-4: no overlong encodings, no surrogates (U+D800..DFFF), nothing above
 * U+10FFFF. The bidirectional controls refused in names are those of
 * Unicode TR #9 (Trojan Source, CVE-2021-42574); the e-mail grammar is RFC
 * 5321 §4.1.2 restricted to dot-atoms.
 */
#include "util/text.h"

#include "util/dynbuf.h"

#include <stdio.h>
#include <string.h>

int text_utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
    unsigned char c = s[*i];
    size_t k, j;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        (*i)++;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        k = 1;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        k = 2;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 3;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (len - *i <= k) /* the sequence runs past the end */
        return 0;
    for (j = 1; j <= k; j++) {
        if ((s[*i + j] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[*i + j] & 0x3f);
    }
    if ((k == 2 && v < 0x800) || (k == 3 && (v < 0x10000 || v > 0x10ffff)) ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *i += k + 1;
    *cp = v;
    return 1;
}

int text_utf8_valid(const unsigned char *s, size_t len, size_t *chars)
{
    size_t i = 0, n = 0;
    uint32_t cp;

    while (i < len) {
        if (!text_utf8_next(s, len, &i, &cp))
            return 0;
        n++;
    }
    if (chars != NULL)
        *chars = n;
    return 1;
}

int text_cp_forbidden(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
           (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/* Walk v: valid UTF-8, no forbidden character (but those allowed), count characters. */
static int scan(const char *what, const char *v, const char *allowed, size_t *chars,
                sertel_err *err)
{
    const unsigned char *s = (const unsigned char *)v;
    size_t len = strlen(v), i = 0, n = 0;
    uint32_t cp;

    while (i < len) {
        if (!text_utf8_next(s, len, &i, &cp))
            return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not valid UTF-8 text", what);
        if (text_cp_forbidden(cp) && (cp >= 0x80 || strchr(allowed, (int)cp) == NULL)) {
            if (cp < 0x20 || cp == 0x7f)
                return sertel_err_set(err, SERTEL_ERR_INVALID,
                                      "%s contains a control character (U+%04X)", what,
                                      (unsigned)cp);
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "%s contains the invisible or direction-changing character "
                                  "U+%04X: type the text again without it",
                                  what, (unsigned)cp);
        }
        n++;
    }
    *chars = n;
    return SERTEL_OK;
}

int text_check_field(const char *what, const char *v, size_t max, sertel_err *err)
{
    size_t chars = 0;
    int rc;

    if (v == NULL || *v == '\0')
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is required and must not be empty",
                              what);
    if ((rc = scan(what, v, "", &chars, err)) != SERTEL_OK)
        return rc;
    if (chars > max)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s is longer than %zu characters (%zu given)", what, max, chars);
    return SERTEL_OK;
}

int text_check_note(const char *what, const char *v, size_t max, sertel_err *err)
{
    size_t chars = 0, len;
    int rc;

    if (v == NULL || *v == '\0')
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is required and must not be empty",
                              what);
    len = strnlen(v, max + 1);
    if (len > max)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is longer than %zu bytes", what, max);
    if ((rc = scan(what, v, "\n\t", &chars, err)) != SERTEL_OK)
        return rc;
    return SERTEL_OK;
}

static int is_atext(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int is_ldh(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

const char *text_email_problem(const char *addr, size_t n, int need_dot)
{
    size_t i, at, label = 0, labels = 1;
    const char *p;

    if (n == 0)
        return "it is empty";
    if (n > TEXT_EMAIL_MAX)
        return "it is longer than 254 characters";
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)addr[i];
        if (c == ' ' || c == '\t')
            return "it contains a space";
        if (c == '<' || c == '>')
            return "it contains '<' or '>' (give the bare address, without a name)";
        if (c == ',' || c == ';')
            return "it contains ',' or ';' (give exactly one address)";
        if (c < 0x20 || c == 0x7f)
            return "it contains a control character";
        if (c >= 0x80)
            return "it contains non-ASCII characters (internationalised addresses are not "
                   "supported)";
    }
    p = memchr(addr, '@', n);
    if (p == NULL)
        return "it has no '@'";
    at = (size_t)(p - addr);
    if (memchr(p + 1, '@', n - at - 1) != NULL)
        return "it has more than one '@'";
    if (at == 0)
        return "the part before '@' is empty";
    if (at > TEXT_EMAIL_LOCAL_MAX)
        return "the part before '@' is longer than 64 characters";
    for (i = 0; i < at; i++) {
        unsigned char c = (unsigned char)addr[i];
        if (c == '.') {
            if (i == 0 || i == at - 1 || addr[i - 1] == '.')
                return "the part before '@' has a misplaced '.'";
        } else if (!is_atext(c)) {
            return "the part before '@' has a character not allowed there";
        }
    }
    if (at + 1 == n)
        return "the domain after '@' is empty";
    if (n - at - 1 > TEXT_EMAIL_DOMAIN_MAX)
        return "the domain is longer than 253 characters";
    for (i = at + 1; i <= n; i++) {
        unsigned char c = i < n ? (unsigned char)addr[i] : '\0';
        if (c == '.' || c == '\0') {
            if (label == 0)
                return "the domain has an empty label";
            if (label > 63)
                return "the domain has a label longer than 63 characters";
            if (addr[i - 1] == '-')
                return "a domain label ends with '-'";
            if (c == '.')
                labels++;
            label = 0;
        } else if (is_ldh(c)) {
            if (label == 0 && c == '-')
                return "a domain label starts with '-'";
            label++;
        } else {
            return "the domain has a character other than letters, digits, '-' and '.'";
        }
    }
    if (need_dot && labels < 2)
        return "the domain has no dot";
    return NULL;
}

/* Quote addr in a message only when it is harmless to show. */
static const char *shown(const char *addr)
{
    size_t i, n = strnlen(addr, TEXT_EMAIL_MAX + 1);

    if (n > TEXT_EMAIL_MAX)
        return "(too long to show)";
    for (i = 0; i < n; i++)
        if ((unsigned char)addr[i] < 0x20 || (unsigned char)addr[i] >= 0x7f)
            return "(not shown)";
    return addr;
}

int text_check_email(const char *what, const char *addr, sertel_err *err)
{
    const char *why = text_email_problem(addr, strnlen(addr, TEXT_EMAIL_MAX + 1), 1);

    if (why == NULL)
        return SERTEL_OK;
    return sertel_err_set(err, SERTEL_ERR_INVALID,
                          "%s '%s' is not an address of the form name@agency.go.id: %s", what,
                          shown(addr), why);
}

int text_html_escape(dynbuf *b, const char *s)
{
    int rc = SERTEL_OK;

    for (; *s && rc == SERTEL_OK; s++) {
        switch (*s) {
        case '&':
            rc = dynbuf_addstr(b, "&amp;");
            break;
        case '<':
            rc = dynbuf_addstr(b, "&lt;");
            break;
        case '>':
            rc = dynbuf_addstr(b, "&gt;");
            break;
        case '"':
            rc = dynbuf_addstr(b, "&quot;");
            break;
        case '\'':
            rc = dynbuf_addstr(b, "&#39;");
            break;
        default:
            rc = dynbuf_add(b, s, 1);
        }
    }
    return rc != SERTEL_OK ? rc : dynbuf_add(b, "", 0);
}
