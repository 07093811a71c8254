/*
 * upload.c - identifying and checking applicants' uploads, and
 * upload_check, which runs the whole check (see upload.h). Active content
 * in PDFs is upload_pdf.c's, images written again upload_image.c's,
 * storage upload_store.c's.
 *
 * Identification is by content only: magic bytes at offset 0 (PDF "%PDF-",
 * JPEG SOI FF D8 FF, PNG signature). Common impostors (HTML pages, ZIP
 * archives such as .docx files and zip bombs, GIF, HEIC, old Office
 * documents, ...) are named, so the applicant learns what they actually
 * sent. HTML is recognised by the WHATWG MIME Sniffing rules (§7.1: a tag
 * from its list after optional blanks at the start). A PDF must also not
 * hold an HTML tag anywhere in its first 1445 bytes (the WHATWG "resource
 * header"): a browser that sniffs, or that is handed the file under
 * another type, would run such a polyglot as a web page. The one-letter
 * tags of the list (<a, <b, <p) are left out of that search: "<a>" is a
 * legal PDF hex string and could turn up in binary data by chance.
 *
 * The type is then confirmed by a bounded structural parse:
 *
 * PDF (ISO 32000-1 §7.5; ISO 32000-2 for 2.0): header "%PDF-1.0".."%PDF-1.7"
 * or "%PDF-2.0" at offset 0 (§7.5.2), no byte before it; "%%EOF" within the
 * last 1024 bytes; the last "startxref" before it holds a decimal offset
 * inside the file (§7.5.5) that points either at a classic cross-reference
 * table (§7.5.4), whose entries are walked and whose trailer dictionary must
 * hold /Root, or at a cross-reference stream "n g obj << /Type /XRef ...
 * /Root n g R >> stream" (§7.5.8). Then the PDF reader takes over
 * (upload_pdf.c).
 *
 * JPEG (ITU-T T.81 Annex B): marker segments are walked by their 2-byte
 * lengths; a frame header SOFn with width and height in 1..20000 must come
 * before the first scan (SOS); entropy-coded data is skipped (FF00 stuffing,
 * RSTn) up to the next marker, and the image must end with EOI. Data after
 * EOI is tolerated (cameras append trailers): it is not written again.
 * Images are also refused above UPLOAD_MAX_PIXELS (see upload.h), before
 * libjpeg decodes them (upload_image.c).
 *
 * PNG (ISO/IEC 15948, PNG 2nd edition §5, §11): signature, then chunks each
 * inside the file with a correct CRC-32; IHDR first with a valid field
 * combination (§11.2.2); PLTE where colour type 3 needs it; consecutive IDAT
 * chunks; IEND last (data after it is tolerated and not written again). The
 * IDAT data is inflated through a fixed 16 KiB buffer with a hard cap of
 * the exact raw size the image needs (Adam7 pass sizes for interlaced
 * images, §8.2); every scanline's filter type byte is checked (§9.2) and
 * the stream must end exactly at the cap: more output is a decompression
 * bomb, less is a truncated image. Compressed bytes after the end of the
 * zlib stream are ignored (decoders ignore them too).
 *
 * In this file every loop is bounded by the input length or a fixed count,
 * there is no recursion, nothing is read outside data[0..len), and memory
 * use does not depend on the input.
 */
#define ZLIB_CONST

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ra/upload_int.h"
#include "util/fs.h"
#include "util/hex.h"

#define MIB (1024u * 1024u)
#define SNIFF_WINDOW 1024            /* bytes looked at to name an impostor */
#define PDF_EOF_WINDOW 1024          /* "%%EOF" must be in the last 1024 bytes */
#define PDF_STARTXREF_WINDOW 1024    /* "startxref" at most this far before it */
#define PDF_MAX_DEPTH 32             /* nesting of << >> and [ ] in a dictionary */
#define PDF_MAX_XREF_SECTIONS 100000 /* subsections in one xref table */
#define JPEG_MAX_SEGMENTS 10000      /* marker segments in one JPEG */
#define PNG_MAX_CHUNKS 100000        /* chunks in one PNG */
#define PNG_INFLATE_BUF 16384        /* fixed inflate output buffer */
#define HTML_WINDOW 1445             /* WHATWG MIME Sniffing: the resource header */

#define TOO_MANY_PIXELS                                                                            \
    "it is %u x %u pixels, more than the limit of %u megapixels (reduce its size)"

/* ---------------------------------------------------------------------- */
/* Names and messages                                                     */

const char *upload_content_type(upload_kind k)
{
    switch (k) {
    case UPLOAD_PDF:
        return "application/pdf";
    case UPLOAD_JPEG:
        return "image/jpeg";
    case UPLOAD_PNG:
        return "image/png";
    }
    return "application/octet-stream";
}

const char *upload_kind_name(upload_kind k)
{
    switch (k) {
    case UPLOAD_PDF:
        return "PDF";
    case UPLOAD_JPEG:
        return "JPEG";
    case UPLOAD_PNG:
        return "PNG";
    }
    return "unknown";
}

static const char *kind_desc(upload_kind k)
{
    switch (k) {
    case UPLOAD_PDF:
        return "a PDF document";
    case UPLOAD_JPEG:
        return "a JPEG image";
    case UPLOAD_PNG:
        return "a PNG image";
    }
    return "an unknown kind of file";
}

static const char *accept_noun(unsigned accept)
{
    if (accept == UPLOAD_ACCEPT_PDF)
        return "a PDF";
    if (accept == UPLOAD_ACCEPT_IMAGE)
        return "a JPEG or PNG image";
    return "a PDF, JPEG or PNG file";
}

static const char *accept_advice(unsigned accept)
{
    if (accept == UPLOAD_ACCEPT_PDF)
        return "upload it as a PDF file (use \"Save as PDF\" or \"Export to PDF\", or scan it to "
               "PDF)";
    if (accept == UPLOAD_ACCEPT_IMAGE)
        return "upload a photo or scan of it as a JPEG or PNG image";
    return "upload it as a PDF, JPEG or PNG file";
}

static const char *damage_advice(upload_kind k)
{
    if (k == UPLOAD_PDF)
        return "save or export the document as PDF again and upload the new file";
    return "save, photograph or scan it again and upload the complete file";
}

/* See upload_int.h. */
int upload_refuse(sertel_err *err, const char *what, upload_kind k, const char *fmt, ...)
{
    char detail[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not a valid %s: %s; %s", what,
                          upload_kind_name(k), detail, damage_advice(k));
}

/* " (5 MiB)", " (512 KiB)", " (1.5 MiB)" or "" for a byte count. */
static void human_size(size_t n, char *out, size_t cap)
{
    if (n >= MIB && n % MIB == 0)
        snprintf(out, cap, " (%zu MiB)", n / MIB);
    else if (n >= MIB)
        snprintf(out, cap, " (%.1f MiB)", (double)n / MIB);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(out, cap, " (%zu KiB)", n / 1024);
    else if (n >= 1024)
        snprintf(out, cap, " (%.1f KiB)", (double)n / 1024);
    else
        out[0] = '\0';
}

/* ---------------------------------------------------------------------- */
/* Identification by content                                              */

/* 1 when d[off..off+n) exists and equals s. */
static int has(const unsigned char *d, size_t len, size_t off, const char *s, size_t n)
{
    return off <= len && n <= len - off && memcmp(d + off, s, n) == 0;
}

static unsigned char ascii_upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

/* As has(), ignoring ASCII case; s is given in upper case. */
static int has_ci(const unsigned char *d, size_t len, size_t off, const char *s)
{
    size_t n = strlen(s), i;

    if (off > len || n > len - off)
        return 0;
    for (i = 0; i < n; i++)
        if (ascii_upper(d[off + i]) != (unsigned char)s[i])
            return 0;
    return 1;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | (uint32_t)p[0];
}

typedef struct sniffed {
    upload_kind kind;  /* one of ours, or 0 */
    const char *desc;  /* what the content is, for messages (kind == 0) */
    size_t pdf_offset; /* PDF: bytes before the "%PDF-" header */
} sniffed;

#define ZIP_DESC "a ZIP archive, such as a .zip file or a Word, Excel or OpenDocument file"

static const struct magic {
    const char *bytes;
    size_t n;
    const char *desc;
} magics[] = {
    {"PK\x03\x04", 4, ZIP_DESC},
    {"PK\x05\x06", 4, ZIP_DESC},
    {"PK\x07\x08", 4, ZIP_DESC},
    {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8,
     "an old-format Microsoft Office document, such as a .doc or .xls file"},
    {"GIF87a", 6, "a GIF image"},
    {"GIF89a", 6, "a GIF image"},
    {"II*\0", 4, "a TIFF image"},
    {"MM\0*", 4, "a TIFF image"},
    {"\x1F\x8B", 2, "a gzip-compressed file"},
    {"Rar!\x1A\x07", 6, "a RAR archive"},
    {"7z\xBC\xAF\x27\x1C", 6, "a 7-Zip archive"},
    {"\xFD"
     "7zXZ\0",
     6, "an XZ-compressed file"},
    {"\x28\xB5\x2F\xFD", 4, "a Zstandard-compressed file"},
    {"{\\rtf", 5, "an RTF document"},
    {"%!PS", 4, "a PostScript file"},
    {"\x7F"
     "ELF",
     4, "an ELF program file"},
    {"\0\0\0\x0CjP  \r\n\x87\n", 12, "a JPEG 2000 image"},
    {"\xFF\x4F\xFF\x51", 4, "a JPEG 2000 image"},
    {"8BPS", 4, "a Photoshop document"},
};

/* Tags that start an HTML document (WHATWG MIME Sniffing §7.1), upper case. */
static const char *const html_tags[] = {
    "!DOCTYPE HTML", "HTML",  "HEAD", "SCRIPT", "IFRAME", "H1", "DIV", "FONT", "TABLE", "A",
    "STYLE",         "TITLE", "B",    "BODY",   "BR",     "P",  "!--", "META", "FORM",  "LINK",
};

static int tag_end(const unsigned char *d, size_t len, size_t i)
{
    return i < len && (d[i] == ' ' || d[i] == '>' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r' ||
                       d[i] == '/');
}

/* Media in an ISO base media file ("....ftyp<brand>"). */
static const char *sniff_isobmff(const unsigned char *d, size_t len)
{
    static const char *const heif[] = {"heic", "heix", "hevc", "hevx", "mif1",
                                       "msf1", "heim", "heis", "hevm", "hevs"};
    size_t i;

    if (!has(d, len, 4, "ftyp", 4) || len < 12)
        return NULL;
    for (i = 0; i < sizeof(heif) / sizeof(heif[0]); i++)
        if (has(d, len, 8, heif[i], 4))
            return "an HEIC/HEIF photo, the default format of many phone cameras";
    if (has(d, len, 8, "avif", 4) || has(d, len, 8, "avis", 4))
        return "an AVIF image";
    return "a video or other MP4/QuickTime media file";
}

static const char *sniff_binary(const unsigned char *d, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
        if (has(d, len, 0, magics[i].bytes, magics[i].n))
            return magics[i].desc;
    if (has(d, len, 0, "RIFF", 4) && len >= 12) {
        if (has(d, len, 8, "WEBP", 4))
            return "a WebP image";
        if (has(d, len, 8, "AVI ", 4))
            return "an AVI video";
        if (has(d, len, 8, "WAVE", 4))
            return "a WAV sound file";
        return "a RIFF media file";
    }
    if (sniff_isobmff(d, len) != NULL)
        return sniff_isobmff(d, len);
    if (has(d, len, 0, "BM", 2) && len >= 18) {
        uint32_t dib = le32(d + 14);
        if (dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 ||
            dib == 124)
            return "a BMP image";
    }
    if (has(d, len, 0, "MZ", 2) && len >= 64) {
        uint32_t pe = le32(d + 60);
        if (has(d, len, pe, "PE\0\0", 4))
            return "a Windows program file";
    }
    return NULL;
}

/* HTML, XML and SVG, after an optional UTF-8 byte order mark and blanks. */
static const char *sniff_markup(const unsigned char *d, size_t len)
{
    size_t i = 0, j;

    if (has(d, len, 0, "\xEF\xBB\xBF", 3))
        i = 3;
    else if (has(d, len, 0, "\xFE\xFF", 2) || has(d, len, 0, "\xFF\xFE", 2))
        return "a UTF-16 text file, perhaps an HTML page";
    while (i < len && i < SNIFF_WINDOW &&
           (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r' || d[i] == '\f'))
        i++;
    if (i >= len || d[i] != '<')
        return NULL;
    for (j = 0; j < sizeof(html_tags) / sizeof(html_tags[0]); j++)
        if (has_ci(d, len, i + 1, html_tags[j]) && tag_end(d, len, i + 1 + strlen(html_tags[j])))
            return "an HTML page, often a login or error page saved instead of the document";
    if (has_ci(d, len, i + 1, "SVG") && tag_end(d, len, i + 4))
        return "an SVG image";
    if (has_ci(d, len, i + 1, "?XML")) {
        size_t end = len < SNIFF_WINDOW ? len : SNIFF_WINDOW;
        for (j = i; j + 4 <= end; j++)
            if (has_ci(d, end, j, "<SVG"))
                return "an SVG image";
        for (j = i; j + 5 <= end; j++)
            if (has_ci(d, end, j, "<HTML"))
                return "an XHTML page";
        return "an XML document";
    }
    return NULL;
}

/* Text: no control bytes but blanks in the first SNIFF_WINDOW bytes. */
static int looks_like_text(const unsigned char *d, size_t len)
{
    size_t i, end = len < SNIFF_WINDOW ? len : SNIFF_WINDOW;

    for (i = 0; i < end; i++) {
        unsigned char c = d[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1B) ||
            c == 0x7F)
            return 0;
    }
    return 1;
}

static sniffed sniff(const unsigned char *d, size_t len)
{
    sniffed s = {0, NULL, 0};
    size_t i;

    if (has(d, len, 0, "%PDF-", 5)) {
        s.kind = UPLOAD_PDF;
        return s;
    }
    if (has(d, len, 0, "\xFF\xD8\xFF", 3)) {
        s.kind = UPLOAD_JPEG;
        return s;
    }
    if (has(d, len, 0, "\x89PNG", 4)) {
        s.kind = UPLOAD_PNG;
        return s;
    }
    s.desc = sniff_binary(d, len);
    if (s.desc == NULL)
        s.desc = sniff_markup(d, len);
    if (s.desc != NULL)
        return s;
    /* A PDF header a little way in: readers accept it, we do not (§7.5.2). */
    for (i = 1; i + 5 <= len && i < SNIFF_WINDOW; i++) {
        if (has(d, len, i, "%PDF-", 5)) {
            s.kind = UPLOAD_PDF;
            s.pdf_offset = i;
            return s;
        }
    }
    s.desc = looks_like_text(d, len) ? "plain text" : "not a recognised document or image format";
    return s;
}

/*
 * An HTML (or SVG, or XML) tag anywhere in the first HTML_WINDOW bytes: the
 * tag's name (static) and *at its offset, or NULL. Tags of more than one
 * letter only (see the top of the file).
 */
static const char *html_inside(const unsigned char *d, size_t len, size_t *at)
{
    static const char *const extra[] = {"SVG", "?XML", "OBJECT", "EMBED", "IMG", "MATH"};
    size_t end = len < HTML_WINDOW ? len : HTML_WINDOW, i, j;

    for (i = 0; i + 1 < end; i++) {
        if (d[i] != '<')
            continue;
        for (j = 0; j < sizeof(html_tags) / sizeof(html_tags[0]); j++) {
            size_t n = strlen(html_tags[j]);
            if (n > 1 && has_ci(d, len, i + 1, html_tags[j]) &&
                (tag_end(d, len, i + 1 + n) || html_tags[j][0] == '!')) {
                *at = i;
                return html_tags[j];
            }
        }
        for (j = 0; j < sizeof(extra) / sizeof(extra[0]); j++)
            if (has_ci(d, len, i + 1, extra[j]) &&
                (tag_end(d, len, i + 1 + strlen(extra[j])) || extra[j][0] == '?')) {
                *at = i;
                return extra[j];
            }
    }
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* PDF                                                                    */

static int pdf_ws(unsigned char c)
{
    return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static int pdf_delim(unsigned char c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == '/' || c == '%';
}

static int pdf_regular(unsigned char c)
{
    return !pdf_ws(c) && !pdf_delim(c);
}

/* Skip white space only. */
static size_t pdf_skip_space(const unsigned char *b, size_t len, size_t p)
{
    while (p < len && pdf_ws(b[p]))
        p++;
    return p;
}

/* Skip white space and comments. */
static size_t pdf_skip_ws(const unsigned char *b, size_t len, size_t p)
{
    while (p < len) {
        if (pdf_ws(b[p]))
            p++;
        else if (b[p] == '%')
            while (p < len && b[p] != '\r' && b[p] != '\n')
                p++;
        else
            break;
    }
    return p;
}

/* kw at p, not followed by a regular character. */
static int pdf_keyword(const unsigned char *b, size_t len, size_t p, const char *kw)
{
    size_t n = strlen(kw);
    return has(b, len, p, kw, n) && (p + n == len || !pdf_regular(b[p + n]));
}

/* 1..maxdigits (<= 19) decimal digits at *p into *v; advances *p. */
static int pdf_uint(const unsigned char *b, size_t len, size_t *p, unsigned maxdigits, uint64_t *v)
{
    size_t i = *p;
    unsigned n = 0;
    uint64_t x = 0;

    while (i < len && b[i] >= '0' && b[i] <= '9') {
        if (++n > maxdigits)
            return -1;
        x = x * 10 + (uint64_t)(b[i] - '0');
        i++;
    }
    if (n == 0)
        return -1;
    *v = x;
    *p = i;
    return 0;
}

/* "<uint> <white space> <uint>"; advances *p past the second number. */
static int pdf_pair(const unsigned char *b, size_t len, size_t *p, unsigned digits1,
                    unsigned digits2, uint64_t *v1, uint64_t *v2)
{
    size_t q;

    if (pdf_uint(b, len, p, digits1, v1) != 0)
        return -1;
    q = *p;
    *p = pdf_skip_ws(b, len, *p);
    if (*p == q)
        return -1;
    return pdf_uint(b, len, p, digits2, v2);
}

/* Object and generation numbers and the white space after them. */
static int pdf_objgen(const unsigned char *b, size_t len, size_t *p)
{
    uint64_t num, gen;
    size_t q;

    if (pdf_pair(b, len, p, 10, 5, &num, &gen) != 0)
        return -1;
    q = *p;
    *p = pdf_skip_ws(b, len, *p);
    return *p == q ? -1 : 0;
}

/* An indirect reference "n g R" at p (after white space). */
static int pdf_is_ref(const unsigned char *b, size_t len, size_t p)
{
    p = pdf_skip_ws(b, len, p);
    return pdf_objgen(b, len, &p) == 0 && pdf_keyword(b, len, p, "R");
}

/* Last occurrence of s[0..n) entirely inside b[from..to); 1 if found. */
static int rfind(const unsigned char *b, size_t from, size_t to, const char *s, size_t n,
                 size_t *at)
{
    size_t i;

    if (to < from || to - from < n)
        return 0;
    for (i = to - n + 1; i-- > from;) {
        if (memcmp(b + i, s, n) == 0) {
            *at = i;
            return 1;
        }
    }
    return 0;
}

enum { DICT_OK = 0, DICT_UNTERMINATED = -1, DICT_DEEP = -2, DICT_BAD = -3 };

typedef struct pdf_dict {
    int has_root; /* top level /Root n g R */
    int is_xref;  /* top level /Type /XRef */
    size_t end;   /* offset just after the closing ">>" */
} pdf_dict;

/* Skip a literal string "( ... )" with nested parentheses and escapes. */
static int pdf_skip_string(const unsigned char *b, size_t len, size_t *pp)
{
    size_t p = *pp + 1, nest = 1;

    while (p < len) {
        unsigned char c = b[p];
        if (c == '\\') {
            p += 2;
            continue;
        }
        p++;
        if (c == '(') {
            nest++;
        } else if (c == ')' && --nest == 0) {
            *pp = p;
            return 0;
        }
    }
    return -1;
}

/*
 * Scan the dictionary that starts with "<<" at p, tokenising strings,
 * names, arrays and nested dictionaries (depth-limited, no recursion), and
 * note /Root and /Type /XRef at its top level.
 */
static int pdf_scan_dict(const unsigned char *b, size_t len, size_t p, pdf_dict *d)
{
    unsigned char stack[PDF_MAX_DEPTH];
    size_t depth = 0;
    int after_type = 0, prev_type;

    memset(d, 0, sizeof(*d));
    while (p < len) {
        p = pdf_skip_ws(b, len, p);
        if (p >= len)
            break;
        prev_type = after_type;
        after_type = 0;
        if (b[p] == '<' && p + 1 < len && b[p + 1] == '<') {
            if (depth == PDF_MAX_DEPTH)
                return DICT_DEEP;
            stack[depth++] = 'd';
            p += 2;
        } else if (b[p] == '>' && p + 1 < len && b[p + 1] == '>') {
            if (depth == 0 || stack[depth - 1] != 'd')
                return DICT_BAD;
            depth--;
            p += 2;
            if (depth == 0) {
                d->end = p;
                return DICT_OK;
            }
        } else if (depth == 0) {
            return DICT_BAD; /* not at "<<" */
        } else if (b[p] == '[') {
            if (depth == PDF_MAX_DEPTH)
                return DICT_DEEP;
            stack[depth++] = 'a';
            p++;
        } else if (b[p] == ']') {
            if (stack[depth - 1] != 'a')
                return DICT_BAD;
            depth--;
            p++;
        } else if (b[p] == '(') {
            if (pdf_skip_string(b, len, &p) != 0)
                return DICT_UNTERMINATED;
        } else if (b[p] == '<') {
            while (p < len && b[p] != '>')
                p++;
            if (p >= len)
                return DICT_UNTERMINATED;
            p++;
        } else if (b[p] == '/') {
            size_t s = ++p, n;
            while (p < len && pdf_regular(b[p]))
                p++;
            n = p - s;
            if (depth == 1) {
                if (n == 4 && memcmp(b + s, "Root", 4) == 0 && pdf_is_ref(b, len, p))
                    d->has_root = 1;
                if (prev_type && n == 4 && memcmp(b + s, "XRef", 4) == 0)
                    d->is_xref = 1;
                if (n == 4 && memcmp(b + s, "Type", 4) == 0)
                    after_type = 1;
            }
        } else if (pdf_regular(b[p])) {
            while (p < len && pdf_regular(b[p]))
                p++;
        } else {
            p++; /* a stray ')', '>', '{' or '}' */
        }
    }
    return DICT_UNTERMINATED;
}

/* The trailer or xref stream dictionary at p: must hold /Root. */
static int pdf_check_dict(const unsigned char *b, size_t len, size_t p, int xref_stream,
                          const char *what, sertel_err *err)
{
    const char *where = xref_stream ? "cross-reference stream" : "trailer";
    pdf_dict d;
    int r;

    if (!has(b, len, p, "<<", 2))
        return upload_refuse(err, what, UPLOAD_PDF, "its %s has no dictionary", where);
    r = pdf_scan_dict(b, len, p, &d);
    if (r == DICT_DEEP)
        return upload_refuse(err, what, UPLOAD_PDF,
                             "its %s dictionary is nested more than %d levels deep", where,
                             PDF_MAX_DEPTH);
    if (r == DICT_UNTERMINATED)
        return upload_refuse(err, what, UPLOAD_PDF,
                             "its %s dictionary is not closed: the file is truncated or damaged",
                             where);
    if (r != DICT_OK)
        return upload_refuse(err, what, UPLOAD_PDF, "its %s dictionary is malformed", where);
    if (xref_stream && !d.is_xref)
        return upload_refuse(
            err, what, UPLOAD_PDF,
            "its startxref points to an object that is not a cross-reference stream");
    if (!d.has_root)
        return upload_refuse(err, what, UPLOAD_PDF,
                             "its %s has no /Root entry, so there is no document in it", where);
    if (xref_stream && !pdf_keyword(b, len, pdf_skip_ws(b, len, d.end), "stream"))
        return upload_refuse(err, what, UPLOAD_PDF,
                             "its cross-reference stream has no stream data");
    return SERTEL_OK;
}

/* Classic cross-reference table (§7.5.4); p is just after "xref". */
static int pdf_check_xref_table(const unsigned char *b, size_t len, size_t p, const char *what,
                                sertel_err *err)
{
    unsigned sections = 0;
    uint64_t first, count, i, off, gen;
    size_t q;

    for (;;) {
        p = pdf_skip_ws(b, len, p);
        if (pdf_keyword(b, len, p, "trailer"))
            break;
        if (++sections > PDF_MAX_XREF_SECTIONS)
            return upload_refuse(err, what, UPLOAD_PDF,
                                 "its cross-reference table has too many sections");
        if (pdf_pair(b, len, &p, 10, 10, &first, &count) != 0)
            goto damaged;
        for (i = 0; i < count; i++) {
            p = pdf_skip_ws(b, len, p);
            if (pdf_pair(b, len, &p, 10, 5, &off, &gen) != 0)
                goto damaged;
            q = p;
            p = pdf_skip_ws(b, len, p);
            if (p == q || p >= len || (b[p] != 'n' && b[p] != 'f'))
                goto damaged;
            if (b[p] == 'n' && off >= len)
                return upload_refuse(
                    err, what, UPLOAD_PDF,
                    "its cross-reference table points to byte %llu, beyond the end of "
                    "the file (%zu bytes): the file is truncated or damaged",
                    (unsigned long long)off, len);
            p++;
        }
    }
    if (sections == 0)
        return upload_refuse(err, what, UPLOAD_PDF, "its cross-reference table is empty");
    return pdf_check_dict(b, len, pdf_skip_ws(b, len, p + 7), 0, what, err);
damaged:
    return upload_refuse(
        err, what, UPLOAD_PDF,
        "its cross-reference table is damaged near byte %zu (the file is truncated or "
        "was altered)",
        p);
}

static int check_pdf(const unsigned char *b, size_t len, size_t pdf_offset, const char *what,
                     sertel_err *err)
{
    size_t lo, eof, sx, p, at;
    uint64_t off;

    if (pdf_offset > 0)
        return upload_refuse(
            err, what, UPLOAD_PDF,
            "it has %zu bytes of other data before its %%PDF- header, which must come "
            "first",
            pdf_offset);
    /* §7.5.2: "%PDF-1.n" (n = 0..7) or "%PDF-2.0", not followed by a digit. */
    if (len < 8 ||
        !((has(b, len, 0, "%PDF-1.", 7) && b[7] >= '0' && b[7] <= '7') ||
          has(b, len, 0, "%PDF-2.0", 8)) ||
        (len > 8 && b[8] >= '0' && b[8] <= '9'))
        return upload_refuse(err, what, UPLOAD_PDF,
                             "its header does not name a PDF version from 1.0 to 1.7 or 2.0");
    /* §7.5.5: the file trailer. */
    lo = len > PDF_EOF_WINDOW ? len - PDF_EOF_WINDOW : 0;
    if (!rfind(b, lo, len, "%%EOF", 5, &eof))
        return upload_refuse(err, what, UPLOAD_PDF,
                             "it is truncated: there is no %%%%EOF end marker in its last %d bytes",
                             PDF_EOF_WINDOW);
    lo = eof > PDF_STARTXREF_WINDOW ? eof - PDF_STARTXREF_WINDOW : 0;
    if (!rfind(b, lo, eof, "startxref", 9, &sx))
        return upload_refuse(
            err, what, UPLOAD_PDF,
            "it has no startxref before its %%%%EOF marker, so its contents cannot be "
            "found (it is truncated or damaged)");
    p = pdf_skip_space(b, eof, sx + 9);
    if (pdf_uint(b, eof, &p, 19, &off) != 0 || pdf_skip_space(b, eof, p) != eof)
        return upload_refuse(
            err, what, UPLOAD_PDF,
            "its startxref is not followed by a byte offset and the %%%%EOF marker");
    if (off >= len)
        return upload_refuse(
            err, what, UPLOAD_PDF,
            "its startxref points to byte %llu, beyond the end of the file (%zu bytes): "
            "the file is truncated or damaged",
            (unsigned long long)off, len);
    at = pdf_skip_space(b, len, (size_t)off);
    if (pdf_keyword(b, len, at, "xref"))
        return pdf_check_xref_table(b, len, at + 4, what, err);
    /* §7.5.8: a cross-reference stream "n g obj << ... >> stream". */
    p = at;
    if (pdf_objgen(b, len, &p) == 0 && pdf_keyword(b, len, p, "obj"))
        return pdf_check_dict(b, len, pdf_skip_ws(b, len, p + 3), 1, what, err);
    return upload_refuse(
        err, what, UPLOAD_PDF,
        "its startxref points to byte %llu, where there is no cross-reference table or "
        "stream (the file is damaged or was altered)",
        (unsigned long long)off);
}

/* ---------------------------------------------------------------------- */
/* JPEG                                                                   */

/* SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): T.81 Table B.1. */
static int jpeg_is_sof(unsigned char m)
{
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

static int check_jpeg(const unsigned char *b, size_t len, const char *what, unsigned *width,
                      unsigned *height, sertel_err *err)
{
    size_t p = 2, seglen, n;
    unsigned segments = 0;
    int have_sof = 0, have_sos = 0;

    for (;;) {
        const unsigned char *seg;
        unsigned char m;

        if (++segments > JPEG_MAX_SEGMENTS)
            return upload_refuse(err, what, UPLOAD_JPEG, "it has more than %d marker segments",
                                 JPEG_MAX_SEGMENTS);
        if (p >= len)
            goto truncated;
        if (b[p] != 0xFF)
            return upload_refuse(err, what, UPLOAD_JPEG,
                                 "it is damaged: there is no marker where one must be (byte %zu)",
                                 p);
        while (p < len && b[p] == 0xFF) /* fill bytes, T.81 §B.1.1.2 */
            p++;
        if (p >= len)
            goto truncated;
        m = b[p++];
        if (m == 0xD9) { /* EOI */
            if (!have_sos)
                return upload_refuse(err, what, UPLOAD_JPEG,
                                     "it ends before any image data (it has no scan)");
            break;
        }
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) /* TEM, RSTn: no length */
            continue;
        if (m < 0xC0 || m == 0xD8)
            return upload_refuse(err, what, UPLOAD_JPEG,
                                 "it is damaged: invalid marker 0xFF%02X at byte %zu", (unsigned)m,
                                 p - 2);
        if (len - p < 2)
            goto truncated;
        seglen = (size_t)b[p] << 8 | (size_t)b[p + 1];
        if (seglen < 2)
            return upload_refuse(err, what, UPLOAD_JPEG,
                                 "it is damaged: a segment length is invalid");
        if (seglen > len - p)
            goto truncated;
        seg = b + p + 2;
        n = seglen - 2;
        if (jpeg_is_sof(m)) { /* T.81 §B.2.2: P Y X Nf {C H/V Tq} */
            unsigned y, x, nf;
            if (n < 6)
                return upload_refuse(err, what, UPLOAD_JPEG, "its frame header is malformed");
            y = (unsigned)seg[1] << 8 | seg[2];
            x = (unsigned)seg[3] << 8 | seg[4];
            nf = seg[5];
            if (nf == 0 || n != 6 + 3 * (size_t)nf)
                return upload_refuse(err, what, UPLOAD_JPEG, "its frame header is malformed");
            if (have_sof) /* libjpeg refuses this too (JERR_SOF_DUPLICATE) */
                return upload_refuse(err, what, UPLOAD_JPEG, "it has two frame headers");
            if (x == 0 || y == 0)
                return upload_refuse(err, what, UPLOAD_JPEG,
                                     "its frame header gives a size of %u x %u pixels", x, y);
            if (x > UPLOAD_MAX_DIMENSION || y > UPLOAD_MAX_DIMENSION)
                return upload_refuse(err, what, UPLOAD_JPEG,
                                     "it is %u x %u pixels, more than the limit of %u on a side "
                                     "(reduce its size)",
                                     x, y, UPLOAD_MAX_DIMENSION);
            if ((unsigned long long)x * y > UPLOAD_MAX_PIXELS)
                return upload_refuse(err, what, UPLOAD_JPEG, TOO_MANY_PIXELS, x, y,
                                     UPLOAD_MAX_PIXELS / 1000000);
            *width = x;
            *height = y;
            have_sof = 1;
        } else if (m == 0xDA) { /* SOS, T.81 §B.2.3: Ns {Cs Td/Ta} Ss Se Ah/Al */
            if (!have_sof)
                return upload_refuse(err, what, UPLOAD_JPEG,
                                     "it is damaged: image data comes before the frame header");
            if (n < 1 || seg[0] == 0 || seg[0] > 4 || n != 4 + 2 * (size_t)seg[0])
                return upload_refuse(err, what, UPLOAD_JPEG, "its scan header is malformed");
            have_sos = 1;
            p += seglen;
            /* Entropy-coded data up to the next marker (§B.1.1.5). */
            for (;;) {
                const unsigned char *ff = memchr(b + p, 0xFF, len - p);
                unsigned char nx;
                if (ff == NULL)
                    goto truncated;
                p = (size_t)(ff - b);
                if (len - p < 2)
                    goto truncated;
                nx = b[p + 1];
                if (nx == 0x00 || (nx >= 0xD0 && nx <= 0xD7))
                    p += 2; /* stuffed 0xFF or restart marker */
                else if (nx == 0xFF)
                    p += 1; /* fill byte before a marker */
                else
                    break; /* a marker: p is at its 0xFF */
            }
            continue;
        }
        p += seglen;
    }
    return SERTEL_OK;
truncated:
    return upload_refuse(err, what, UPLOAD_JPEG,
                         "it is truncated: the data ends before the end-of-image marker");
}

/* ---------------------------------------------------------------------- */
/* PNG                                                                    */

static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

/* Adam7 passes: x0, y0, dx, dy (PNG §8.2). */
static const unsigned char adam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                          {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};

/* Where we are in the decompressed scanlines, to check each filter byte. */
typedef struct png_rows {
    uint32_t width, height;
    unsigned bits; /* bits per pixel */
    int interlace;
    int pass;           /* current pass, -1 before the first */
    uint32_t rows_left; /* rows of the current pass not yet started */
    uint64_t row_left;  /* bytes of the current row not yet seen */
    uint64_t row_bytes; /* bytes per row of the current pass, without the filter byte */
} png_rows;

typedef struct png_state {
    png_rows rows;
    z_stream zs;
    int zinit, ended;
    uint64_t expected, produced;
    unsigned char buf[PNG_INFLATE_BUF];
} png_state;

enum { PNG_OK = 0, PNG_BOMB = 1, PNG_CORRUPT = 2, PNG_FILTER = 3, PNG_NOMEM = 4 };

static void png_pass_dims(const png_rows *r, int pass, uint32_t *pw, uint32_t *ph)
{
    uint32_t x0, y0, dx, dy;

    if (!r->interlace) {
        *pw = r->width;
        *ph = r->height;
        return;
    }
    x0 = adam7[pass][0];
    y0 = adam7[pass][1];
    dx = adam7[pass][2];
    dy = adam7[pass][3];
    *pw = r->width > x0 ? (r->width - x0 + dx - 1) / dx : 0;
    *ph = r->height > y0 ? (r->height - y0 + dy - 1) / dy : 0;
}

static uint64_t png_row_bytes(uint32_t w, unsigned bits)
{
    return ((uint64_t)w * bits + 7) / 8;
}

/* The exact size of the decompressed image data: rows plus filter bytes. */
static uint64_t png_raw_size(const png_rows *r)
{
    int pass, passes = r->interlace ? 7 : 1;
    uint64_t total = 0;
    uint32_t pw, ph;

    for (pass = 0; pass < passes; pass++) {
        png_pass_dims(r, pass, &pw, &ph);
        if (pw > 0 && ph > 0)
            total += (uint64_t)ph * (1 + png_row_bytes(pw, r->bits));
    }
    return total;
}

/* Walk n decompressed bytes; -1 on a filter type other than 0..4 (§9.2). */
static int png_rows_feed(png_rows *r, const unsigned char *buf, size_t n)
{
    int passes = r->interlace ? 7 : 1;
    size_t i = 0;

    while (i < n) {
        if (r->row_left == 0) {
            while (r->rows_left == 0) { /* next non-empty pass */
                uint32_t pw, ph;
                if (++r->pass >= passes)
                    return -1; /* past the image: excluded by the caller's cap */
                png_pass_dims(r, r->pass, &pw, &ph);
                if (pw > 0 && ph > 0) {
                    r->rows_left = ph;
                    r->row_bytes = png_row_bytes(pw, r->bits);
                }
            }
            if (buf[i] > 4)
                return -1;
            r->rows_left--;
            r->row_left = r->row_bytes;
            i++;
        } else {
            uint64_t k = n - i < r->row_left ? n - i : r->row_left;
            i += (size_t)k;
            r->row_left -= k;
        }
    }
    return 0;
}

/* Feed one IDAT chunk's data to the inflater, never producing more than
 * expected + 1 bytes in all. */
static int png_inflate(png_state *st, const unsigned char *in, size_t n)
{
    if (st->ended)
        return PNG_OK; /* bytes after the zlib stream: ignored, as decoders do */
    st->zs.next_in = in;
    st->zs.avail_in = (uInt)n; /* n < 2^31: chunk lengths are bounded */
    while (st->zs.avail_in > 0 && !st->ended) {
        uint64_t room = st->expected - st->produced + 1;
        uInt cap = room < sizeof(st->buf) ? (uInt)room : (uInt)sizeof(st->buf);
        size_t got;
        int zr;

        st->zs.next_out = st->buf;
        st->zs.avail_out = cap;
        zr = inflate(&st->zs, Z_NO_FLUSH);
        if (zr == Z_MEM_ERROR)
            return PNG_NOMEM;
        if (zr != Z_OK && zr != Z_STREAM_END)
            return PNG_CORRUPT; /* includes Z_BUF_ERROR: no progress possible */
        got = cap - st->zs.avail_out;
        if (got > st->expected - st->produced)
            return PNG_BOMB;
        if (png_rows_feed(&st->rows, st->buf, got) != 0)
            return PNG_FILTER;
        st->produced += got;
        if (zr == Z_STREAM_END)
            st->ended = 1;
    }
    return PNG_OK;
}

/* Bit depths allowed for a colour type (PNG §11.2.2 Table 11.1); channels. */
static unsigned png_channels(unsigned ctype, unsigned depth)
{
    switch (ctype) {
    case 0:
        return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16 ? 1 : 0;
    case 2:
        return depth == 8 || depth == 16 ? 3 : 0;
    case 3:
        return depth == 1 || depth == 2 || depth == 4 || depth == 8 ? 1 : 0;
    case 4:
        return depth == 8 || depth == 16 ? 2 : 0;
    case 6:
        return depth == 8 || depth == 16 ? 4 : 0;
    }
    return 0;
}

static int png_chunk_is(const unsigned char *type, const char *name)
{
    return memcmp(type, name, 4) == 0;
}

static int png_ihdr(png_state *st, const unsigned char *d, uint32_t clen, unsigned *ctype,
                    unsigned *depth, const char *what, sertel_err *err)
{
    uint32_t w, h;
    unsigned channels;

    if (clen != 13)
        return upload_refuse(err, what, UPLOAD_PNG, "its IHDR header chunk has the wrong length");
    w = be32(d);
    h = be32(d + 4);
    *depth = d[8];
    *ctype = d[9];
    if (w == 0 || h == 0)
        return upload_refuse(err, what, UPLOAD_PNG, "its header gives a size of %lu x %lu pixels",
                             (unsigned long)w, (unsigned long)h);
    if (w > UPLOAD_MAX_DIMENSION || h > UPLOAD_MAX_DIMENSION)
        return upload_refuse(
            err, what, UPLOAD_PNG,
            "it is %lu x %lu pixels, more than the limit of %u on a side (reduce its "
            "size)",
            (unsigned long)w, (unsigned long)h, UPLOAD_MAX_DIMENSION);
    if ((unsigned long long)w * h > UPLOAD_MAX_PIXELS)
        return upload_refuse(err, what, UPLOAD_PNG, TOO_MANY_PIXELS, (unsigned)w, (unsigned)h,
                             UPLOAD_MAX_PIXELS / 1000000);
    channels = png_channels(*ctype, *depth);
    if (channels == 0)
        return upload_refuse(err, what, UPLOAD_PNG,
                             "its header gives an invalid colour type %u with bit depth %u", *ctype,
                             *depth);
    if (d[10] != 0 || d[11] != 0 || d[12] > 1)
        return upload_refuse(err, what, UPLOAD_PNG,
                             "its header names an unknown compression, filter or interlace method");
    st->rows.width = w;
    st->rows.height = h;
    st->rows.bits = channels * *depth;
    st->rows.interlace = d[12];
    st->rows.pass = -1;
    st->expected = png_raw_size(&st->rows);
    if (inflateInit(&st->zs) != Z_OK)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory checking a PNG image");
    st->zinit = 1;
    return SERTEL_OK;
}

static int check_png_chunks(png_state *st, const unsigned char *b, size_t len, const char *what,
                            sertel_err *err)
{
    size_t p = 8, i;
    unsigned chunks = 0, ctype = 0, depth = 0;
    int seen_plte = 0, idat = 0; /* idat: 0 none yet, 1 in the run, 2 after it */

    if (len < 8 || memcmp(b, png_sig, 8) != 0)
        return upload_refuse(err, what, UPLOAD_PNG,
                             "its signature is damaged (it was probably transferred as text)");
    for (;;) {
        const unsigned char *type, *data;
        uint32_t clen;
        int r;

        if (len - p < 12)
            return upload_refuse(err, what, UPLOAD_PNG,
                                 "it is truncated: the data ends before the IEND end chunk");
        if (++chunks > PNG_MAX_CHUNKS)
            return upload_refuse(err, what, UPLOAD_PNG, "it has more than %d chunks",
                                 PNG_MAX_CHUNKS);
        clen = be32(b + p);
        type = b + p + 4;
        data = b + p + 8;
        if (clen > 0x7FFFFFFFu || clen > len - p - 12)
            return upload_refuse(
                err, what, UPLOAD_PNG,
                "it is truncated: the chunk at byte %zu runs past the end of the data", p);
        for (i = 0; i < 4; i++)
            if (!((type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z')))
                return upload_refuse(err, what, UPLOAD_PNG,
                                     "it is damaged: there is no valid chunk at byte %zu", p);
        if (crc32(0, type, (uInt)clen + 4) != be32(data + clen))
            return upload_refuse(
                err, what, UPLOAD_PNG,
                "it is damaged: the CRC checksum of its %.4s chunk at byte %zu is wrong",
                (const char *)type, p);
        if (chunks == 1) {
            if (!png_chunk_is(type, "IHDR"))
                return upload_refuse(err, what, UPLOAD_PNG, "it does not start with an IHDR chunk");
            r = png_ihdr(st, data, clen, &ctype, &depth, what, err);
            if (r != SERTEL_OK)
                return r;
        } else if (png_chunk_is(type, "IDAT")) {
            if (idat == 2)
                return upload_refuse(err, what, UPLOAD_PNG,
                                     "its image data (IDAT) chunks are not consecutive");
            if (ctype == 3 && !seen_plte)
                return upload_refuse(
                    err, what, UPLOAD_PNG,
                    "it uses a palette but has no PLTE chunk before its image data");
            idat = 1;
            r = png_inflate(st, data, clen);
            if (r == PNG_BOMB)
                return upload_refuse(err, what, UPLOAD_PNG,
                                     "its image data decompresses to more than the %llu bytes the "
                                     "image needs (a decompression bomb)",
                                     (unsigned long long)st->expected);
            if (r == PNG_FILTER)
                return upload_refuse(
                    err, what, UPLOAD_PNG,
                    "it is damaged: a row of its image data has an invalid filter type");
            if (r == PNG_NOMEM)
                return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory checking a PNG image");
            if (r != PNG_OK)
                return upload_refuse(err, what, UPLOAD_PNG,
                                     "it is damaged: its compressed image data is corrupt (%s)",
                                     st->zs.msg != NULL ? st->zs.msg : "zlib error");
        } else {
            if (idat == 1)
                idat = 2;
            if (png_chunk_is(type, "IEND")) {
                if (clen != 0)
                    return upload_refuse(err, what, UPLOAD_PNG, "its IEND chunk is not empty");
                p += 12;
                break;
            }
            if (png_chunk_is(type, "IHDR"))
                return upload_refuse(err, what, UPLOAD_PNG, "it has a second IHDR chunk");
            if (png_chunk_is(type, "PLTE")) {
                if (seen_plte || idat != 0 || ctype == 0 || ctype == 4 || clen == 0 ||
                    clen % 3 != 0 || clen / 3 > 256 || (ctype == 3 && clen / 3 > (1u << depth)))
                    return upload_refuse(err, what, UPLOAD_PNG,
                                         "its palette (PLTE chunk) is invalid");
                seen_plte = 1;
            } else if (type[0] <= 'Z') {
                return upload_refuse(
                    err, what, UPLOAD_PNG,
                    "it has an unknown critical chunk %.4s, so viewers cannot show it",
                    (const char *)type);
            }
        }
        p += 12 + (size_t)clen;
    }
    /* Data after IEND (p < len) is not part of the image: it is not written again. */
    if (idat == 0)
        return upload_refuse(err, what, UPLOAD_PNG, "it has no image data (no IDAT chunk)");
    if (!st->ended)
        return upload_refuse(err, what, UPLOAD_PNG,
                             "it is truncated: its compressed image data does not end");
    if (st->produced < st->expected)
        return upload_refuse(
            err, what, UPLOAD_PNG,
            "it is truncated: its image data holds %llu of the %llu bytes the image "
            "needs",
            (unsigned long long)st->produced, (unsigned long long)st->expected);
    return SERTEL_OK;
}

static int check_png(const unsigned char *b, size_t len, const char *what, unsigned *width,
                     unsigned *height, sertel_err *err)
{
    png_state *st;
    int rc;

    /* On the heap: 16 KiB is a lot of stack for a library function. */
    st = calloc(1, sizeof(*st));
    if (st == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory checking a PNG image");
    rc = check_png_chunks(st, b, len, what, err);
    if (rc == SERTEL_OK) {
        *width = st->rows.width;
        *height = st->rows.height;
    }
    if (st->zinit)
        inflateEnd(&st->zs);
    free(st);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Checking                                                               */

int upload_sha256_hex(const unsigned char *d, size_t n, char hex[UPLOAD_SHA256_HEX_LEN + 1],
                      sertel_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (EVP_Digest(d, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot compute a SHA-256");
    hex_encode(md, mdlen, hex);
    return SERTEL_OK;
}

static int accepted(unsigned accept, upload_kind k)
{
    if (k == UPLOAD_PDF)
        return (accept & UPLOAD_ACCEPT_PDF) != 0;
    if (k == UPLOAD_JPEG || k == UPLOAD_PNG)
        return (accept & UPLOAD_ACCEPT_IMAGE) != 0;
    return 0;
}

int upload_limits_from_conf(const conf *c, upload_limits *out, sertel_err *err)
{
    int64_t max, emax, etotal;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = conf_get_int(c, "ra", "upload_max", UPLOAD_DEFAULT_MAX, 1024, 64 * 1024 * 1024, &max,
                           err)) != SERTEL_OK ||
        (rc = conf_get_int(c, "ra", "upload_expand_max", (int64_t)UPLOAD_DEFAULT_EXPAND_MAX,
                           (int64_t)1 << 20, (int64_t)1 << 30, &emax, err)) != SERTEL_OK ||
        (rc = conf_get_int(c, "ra", "upload_expand_total", (int64_t)UPLOAD_DEFAULT_EXPAND_TOTAL,
                           emax, (int64_t)8 << 30, &etotal, err)) != SERTEL_OK)
        return rc;
    out->max = (size_t)max;
    out->expand_max = (uint64_t)emax;
    out->expand_total = (uint64_t)etotal;
    return SERTEL_OK;
}

/* The PDF-only checks before the reader: no HTML near the header. */
static int check_pdf_polyglot(const unsigned char *d, size_t len, const char *what, sertel_err *err)
{
    const char *tag;
    size_t at = 0;

    tag = html_inside(d, len, &at);
    if (tag == NULL)
        return SERTEL_OK;
    return sertel_err_set(err, SERTEL_ERR_INVALID,
                          "%s is not a clean PDF: it holds web-page markup (<%s at byte %zu) "
                          "near its start, which a web browser could open as a page and run; "
                          "print or save the letter to PDF again and upload the new file",
                          what, tag, at);
}

int upload_check(const unsigned char *data, size_t len, unsigned accept, const upload_limits *lim,
                 const char *what, upload_info *info, unsigned char **out, size_t *out_len,
                 sertel_err *err)
{
    upload_limits l = {0, 0, 0};
    unsigned char *clean = NULL;
    size_t clean_len = 0;
    unsigned w = 0, h = 0;
    char hmax[32];
    sniffed s;
    int rc;

    memset(info, 0, sizeof(*info));
    *out = NULL;
    *out_len = 0;
    if (lim != NULL)
        l = *lim;
    if (l.max == 0)
        l.max = UPLOAD_DEFAULT_MAX;
    if (l.expand_max == 0)
        l.expand_max = UPLOAD_DEFAULT_EXPAND_MAX;
    if (l.expand_total == 0)
        l.expand_total = UPLOAD_DEFAULT_EXPAND_TOTAL;
    if (what == NULL)
        what = "the upload";
    if (accept == 0 || (accept & ~(unsigned)(UPLOAD_ACCEPT_PDF | UPLOAD_ACCEPT_IMAGE)) != 0)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL,
                              "upload_check: accept mask 0x%x is not valid", accept);
    if (len == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s is empty (0 bytes): choose the file again and upload it", what);
    if (data == NULL)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "upload_check: data is NULL");
    if (len > l.max) {
        human_size(l.max, hmax, sizeof(hmax));
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s is %zu bytes, larger than the limit of %zu bytes%s: make it "
                              "smaller (scan at a lower resolution such as 150-200 dpi, or "
                              "compress the PDF or image) and upload it again",
                              what, len, l.max, hmax);
    }
    s = sniff(data, len);
    if (s.kind == 0 || !accepted(accept, s.kind))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s is not %s: its content is %s (the file name does not "
                              "matter); %s",
                              what, accept_noun(accept), s.kind != 0 ? kind_desc(s.kind) : s.desc,
                              accept_advice(accept));
    switch (s.kind) {
    case UPLOAD_PDF:
        if ((rc = check_pdf(data, len, s.pdf_offset, what, err)) != SERTEL_OK ||
            (rc = check_pdf_polyglot(data, len, what, err)) != SERTEL_OK ||
            (rc = upload_pdf_check(data, len, &l, what, err)) != SERTEL_OK)
            break;
        clean = malloc(len);
        if (clean == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory checking %s", what);
            break;
        }
        memcpy(clean, data, len);
        clean_len = len;
        break;
    case UPLOAD_JPEG:
    case UPLOAD_PNG:
        rc = s.kind == UPLOAD_JPEG ? check_jpeg(data, len, what, &w, &h, err)
                                   : check_png(data, len, what, &w, &h, err);
        if (rc == SERTEL_OK)
            rc =
                upload_image_clean(data, len, s.kind, l.max, what, &clean, &clean_len, &w, &h, err);
        break;
    default:
        rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "upload_check: unknown kind");
    }
    if (rc == SERTEL_OK &&
        (rc = upload_sha256_hex(clean, clean_len, info->sha256, err)) == SERTEL_OK)
        rc = upload_sha256_hex(data, len, info->orig_sha256, err);
    if (rc != SERTEL_OK) {
        memset(info, 0, sizeof(*info));
        free(clean);
        return rc;
    }
    info->kind = s.kind;
    info->size = clean_len;
    info->orig_size = len;
    info->width = w;
    info->height = h;
    *out = clean;
    *out_len = clean_len;
    return SERTEL_OK;
}
