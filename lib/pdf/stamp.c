/*
 * stamp.c - the appearance of a visible signature (ISO 32000-1 §12.7.4.5,
 * §12.5.5): a form XObject drawn in the widget's rectangle, in the style of
 * Indonesian e-signature stamps: a QR code (libqrencode) of the document's
 * verification URL on the left, and on the right "Ditandatangani secara
 * elektronik oleh", the signer, the position (jabatan) and NIP when given,
 * the organisation, the date and time in WIB (UTC+7) and the reason;
 * optionally the signer's handwritten signature (an image, image.c) above
 * that text, and a footer stating that the document was signed
 * electronically, under UU ITE (UU No. 11 Tahun 2008 and its amendments),
 * with a certificate from the named CA.
 *
 * Only the standard 14 fonts are used (Helvetica, Helvetica-Bold with
 * WinAnsiEncoding), so nothing is embedded. Text is measured with
 * Helvetica's own widths (AFM) and wrapped at spaces at the largest size
 * that fits the box, never leaving one word alone on a paragraph's last
 * line when moving a word down avoids it. Numbers are written in the "C"
 * locale (pdf_buf_printf).
 *
 * pdf_stamp_put writes the stamp's objects into an update: the QR image,
 * the signature image (and its soft mask) and the form XObject.
 */
#include <openssl/x509.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "img/img.h"
#include "pdf/pdf_int.h"
#include "util/num.h"

#define QR_QUIET 2
#define PARAS_MAX 10   /* paragraphs of the text column */
#define LINES_MAX 40   /* lines they may wrap into, all together */
#define FOOTER_LINES 6 /* lines of the footer at most */
#define STAMP_LINE 256 /* bytes of one line */
#define FS_MAX 11.0    /* the text's largest size */
#define FS_MIN 2.5     /* and smallest, in points */
#define FOOTER_FS_MIN 3.0

/* Helvetica and Helvetica-Bold advance widths (AFM, 1/1000 em), WinAnsi 32..126 and 160..255. */
static const unsigned short helv[191] = {
    278, 278, 355, 556, 556, 889, 667, 191,  333, 333, 389, 584, 278, 333, 278,  278, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 556,  278, 278, 584, 584, 584, 556, 1015, 667, 667, 722,
    722, 667, 611, 778, 722, 278, 500, 667,  556, 833, 722, 778, 667, 778, 722,  667, 611, 722,
    667, 944, 667, 667, 611, 278, 278, 278,  469, 556, 333, 556, 556, 500, 556,  556, 278, 556,
    556, 222, 222, 500, 222, 833, 556, 556,  556, 556, 333, 500, 278, 556, 500,  722, 500, 500,
    500, 334, 260, 334, 584, 278, 333, 556,  556, 556, 556, 260, 556, 333, 737,  370, 556, 584,
    333, 737, 333, 400, 584, 333, 333, 333,  556, 537, 278, 333, 333, 365, 556,  834, 834, 834,
    611, 667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278,  278, 278, 722,
    722, 778, 778, 778, 778, 778, 584, 778,  722, 722, 722, 722, 667, 667, 611,  556, 556, 556,
    556, 556, 556, 889, 500, 556, 556, 556,  556, 278, 278, 278, 278, 556, 556,  556, 556, 556,
    556, 556, 584, 611, 556, 556, 556, 556,  500, 556, 500,
};

static const unsigned short helv_bold[191] = {
    278, 333, 474, 556, 556, 889, 722, 238,  333, 333, 389, 584, 278, 333, 278, 278, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 556,  333, 333, 584, 584, 584, 611, 975, 722, 722, 722,
    722, 667, 611, 778, 722, 278, 556, 722,  611, 833, 722, 778, 667, 778, 722, 667, 611, 722,
    667, 944, 667, 667, 611, 333, 278, 333,  584, 556, 333, 556, 611, 556, 611, 556, 333, 611,
    611, 278, 278, 556, 278, 889, 611, 611,  611, 611, 389, 556, 333, 611, 556, 778, 556, 556,
    500, 389, 280, 389, 584, 278, 333, 556,  556, 556, 556, 280, 556, 333, 737, 370, 556, 584,
    333, 737, 333, 400, 584, 333, 333, 333,  611, 556, 278, 333, 333, 365, 556, 834, 834, 834,
    611, 722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, 722,
    722, 778, 778, 778, 778, 778, 584, 778,  722, 722, 722, 722, 667, 667, 611, 556, 556, 556,
    556, 556, 556, 889, 556, 556, 556, 556,  556, 278, 278, 278, 278, 611, 611, 611, 611, 611,
    611, 611, 584, 611, 611, 611, 611, 611,  556, 611, 556,
};

/* The next character of UTF-8 s as put_winansi writes it: its WinAnsi code ('?' when none). */
static unsigned winansi_next(const unsigned char **pp)
{
    const unsigned char *p = *pp;
    unsigned c = *p;

    if (c < 0x80) {
        p++;
    } else if ((c & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
        c = ((c & 0x1f) << 6) | (p[1] & 0x3f);
        p += 2;
        if (c < 0xa0 || c > 0xff)
            c = '?';
    } else {
        /* three- and four-byte sequences: not in WinAnsi */
        p++;
        while ((*p & 0xc0) == 0x80)
            p++;
        c = '?';
    }
    *pp = p;
    return c < 0x20 ? ' ' : c;
}

/* UTF-8 to WinAnsi (Latin-1 subset), escaped for a literal string. */
static void put_winansi(pdf_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    pdf_buf_put(b, "(", 1);
    while (*p) {
        unsigned c = winansi_next(&p);
        char ch = (char)c;
        if (ch == '(' || ch == ')' || ch == '\\')
            pdf_buf_put(b, "\\", 1);
        if (c >= 0x80)
            pdf_buf_printf(b, "\\%03o", c);
        else
            pdf_buf_put(b, &ch, 1);
    }
    pdf_buf_put(b, ")", 1);
}

/* The advance width of UTF-8 s[0..n) in Helvetica (bold) at size 1, as it is written. */
static double text_width_n(const char *s, size_t n, int bold)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    const unsigned short *w = bold ? helv_bold : helv;
    double total = 0;

    while (p < end && *p) {
        unsigned c = winansi_next(&p);
        total += w[c <= 126 ? c - 32 : c - 160 + 95];
    }
    return total / 1000.0;
}

static double text_width(const char *s, int bold)
{
    return text_width_n(s, strlen(s), bold);
}

/* One paragraph of a stamp's text: wrapped into lines. */
typedef struct para {
    const char *text;
    int bold;
} para;

typedef struct line {
    char s[STAMP_LINE];
    int bold;
} line;

/* The longest prefix of word w (wl bytes, whole UTF-8 characters) at most max_w wide at size fs. */
static size_t fit_prefix(const char *w, size_t wl, double max_w, double fs, int bold)
{
    size_t n = 0, next;

    while (n < wl) {
        next = n + 1;
        while (next < wl && ((unsigned char)w[next] & 0xc0) == 0x80)
            next++;
        if (n > 0 && text_width_n(w, next, bold) * fs > max_w)
            break;
        n = next;
    }
    return n;
}

/*
 * Wrap text at spaces into lines of at most max_w at size fs, appended to
 * out[*n..room). A word wider than a line is broken. A last line holding
 * one word takes the word before it along when that still fits, so no
 * word stands alone there when it can be helped. 0 when the lines fit in
 * room, -1 when not.
 */
static int wrap(const char *text, int bold, double max_w, double fs, line *out, size_t *n,
                size_t room)
{
    const char *p = text;
    size_t first = *n, cur = *n, len = 0;

    if (*n >= room)
        return -1;
    out[cur].s[0] = '\0';
    out[cur].bold = bold;
    while (*p) {
        size_t wl = strcspn(p, " ");
        while (wl > 0) {
            size_t take = wl, need = (len ? 1 : 0) + wl;
            char cand[2 * STAMP_LINE];
            snprintf(cand, sizeof(cand), "%s%s%.*s", out[cur].s, len ? " " : "", (int)wl, p);
            if (len + need >= STAMP_LINE || text_width(cand, bold) * fs > max_w) {
                if (len > 0) { /* the word starts the next line */
                    if (++cur >= room)
                        return -1;
                    out[cur].s[0] = '\0';
                    out[cur].bold = bold;
                    len = 0;
                    continue;
                }
                take = fit_prefix(p, wl, max_w, fs, bold); /* a word wider than a line */
                if (take >= STAMP_LINE)
                    take = STAMP_LINE - 1;
            }
            memcpy(out[cur].s + len, len ? " " : "", len ? 1 : 0);
            len += len ? 1 : 0;
            memcpy(out[cur].s + len, p, take);
            len += take;
            out[cur].s[len] = '\0';
            p += take;
            wl -= take;
            if (wl > 0) {
                if (++cur >= room)
                    return -1;
                out[cur].s[0] = '\0';
                out[cur].bold = bold;
                len = 0;
            }
        }
        while (*p == ' ')
            p++;
    }
    *n = cur + 1;
    /* No orphan: move the last word of the line before down, when both lines still fit. */
    if (cur > first && strchr(out[cur].s, ' ') == NULL) {
        char *prev = out[cur - 1].s, *sp = strrchr(prev, ' ');
        char moved[2 * STAMP_LINE];
        if (sp != NULL) {
            snprintf(moved, sizeof(moved), "%s %s", sp + 1, out[cur].s);
            if (strlen(moved) < STAMP_LINE && text_width(moved, bold) * fs <= max_w) {
                memcpy(out[cur].s, moved, strlen(moved) + 1);
                *sp = '\0';
            }
        }
    }
    return 0;
}

/* All paragraphs wrapped at size fs into out; the number of lines, or 0 when they do not fit. */
static size_t wrap_all(const para *ps, size_t np, double max_w, double fs, line *out, size_t room)
{
    size_t i, n = 0;

    for (i = 0; i < np; i++)
        if (wrap(ps[i].text, ps[i].bold, max_w, fs, out, &n, room) != 0)
            return 0;
    return n;
}

/*
 * The largest size from max down to min (steps of 1/4 point) at which the
 * paragraphs, wrapped to max_w, fit height h with leading lead (times the
 * size); *n lines into out. 0 when even min does not fit.
 */
static double layout(const para *ps, size_t np, double max_w, double h, double lead, double max,
                     double min, line *out, size_t room, size_t *n)
{
    double fs;

    for (fs = max; fs >= min; fs -= 0.25) {
        *n = wrap_all(ps, np, max_w, fs, out, room);
        if (*n > 0 && (double)*n * fs * lead <= h)
            return fs;
    }
    *n = 0;
    return 0;
}

static int make_qr(const char *text, unsigned char **pixels, int *n_out, sertel_err *err)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    int n, x, y;
    unsigned char *px;

    if (qr == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the QR text cannot be encoded (too long? at most ~2000 bytes)");
    n = qr->width + 2 * QR_QUIET;
    px = malloc((size_t)n * (size_t)n);
    if (px == NULL) {
        QRcode_free(qr);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    memset(px, 0xff, (size_t)n * (size_t)n);
    for (y = 0; y < qr->width; y++)
        for (x = 0; x < qr->width; x++)
            if (qr->data[y * qr->width + x] & 1)
                px[(y + QR_QUIET) * n + x + QR_QUIET] = 0x00;
    QRcode_free(qr);
    *pixels = px;
    *n_out = n;
    return SERTEL_OK;
}

int pdf_qr_png(const char *text, int scale, unsigned char **png, size_t *len, sertel_err *err)
{
    unsigned char *px = NULL;
    img_pixels im;
    int n = 0, x, y, rc;

    *png = NULL;
    *len = 0;
    if (scale < 1 || scale > 16)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "a QR module is 1 to 16 pixels wide");
    if ((rc = make_qr(text, &px, &n, err)) != SERTEL_OK)
        return rc;
    memset(&im, 0, sizeof(im));
    im.format = IMG_PNG;
    im.width = im.height = (unsigned)(n * scale);
    im.channels = 1;
    im.pix = malloc((size_t)im.width * im.height);
    if (im.pix == NULL) {
        free(px);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    for (y = 0; y < n * scale; y++)
        for (x = 0; x < n * scale; x++)
            im.pix[(size_t)y * im.width + (size_t)x] = px[(y / scale) * n + x / scale];
    free(px);
    rc = img_encode(&im, 1, IMG_PNG, 9, png, len, err);
    free(im.pix);
    return rc;
}

/*
 * The placement matrix [a b c d e f] (ISO 32000-1 §8.3.4) that draws an
 * image's unit square, with its first stored row at the top, upright into
 * the box x, y, w, h for EXIF orientation o (CIPA DC-008 Table 4: which
 * side of the picture the stored row 0 and column 0 show). With u across
 * the stored columns and v up from its last row, the display point is
 *   1 (u, v)   2 (1-u, v)   3 (1-u, 1-v)   4 (u, 1-v)
 *   5 (1-v, 1-u)   6 (v, 1-u)   7 (v, u)   8 (1-v, u)
 * scaled by w, h and moved to x, y.
 */
static void image_matrix(int o, double x, double y, double w, double h, double m[6])
{
    static const signed char t[9][6] = {
        /* a  b   c  d   e  f  in units of w or h; e, f also add x, y */
        {1, 0, 0, 1, 0, 0},   {1, 0, 0, 1, 0, 0},  {-1, 0, 0, 1, 1, 0},
        {-1, 0, 0, -1, 1, 1}, {1, 0, 0, -1, 0, 1}, {0, -1, -1, 0, 1, 1},
        {0, -1, 1, 0, 0, 1},  {0, 1, 1, 0, 0, 0},  {0, 1, -1, 0, 1, 0},
    };
    const signed char *r = t[o >= 1 && o <= 8 ? o : 1];

    m[0] = r[0] * w;
    m[1] = r[1] * h;
    m[2] = r[2] * w;
    m[3] = r[3] * h;
    m[4] = x + r[4] * w;
    m[5] = y + r[5] * h;
}

/* The stamp's paragraphs: the fixed words, then what is given. */
static size_t stamp_paras(const pdf_stamp *s, para *ps, char bufs[][STAMP_LINE])
{
    char when[64];
    time_t wib = s->when + 7 * 3600;
    struct tm tm;
    size_t n = 0;

    gmtime_r(&wib, &tm);
    snprintf(when, sizeof(when), "%02d-%02d-%04d %02d:%02d:%02d WIB", tm.tm_mday, tm.tm_mon + 1,
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    ps[n++] = (para){"Ditandatangani secara elektronik oleh:", 0};
    ps[n++] = (para){s->name != NULL ? s->name : "?", 1};
    if (s->position != NULL && *s->position)
        ps[n++] = (para){s->position, 0};
    if (s->nip != NULL && *s->nip) {
        snprintf(bufs[0], STAMP_LINE, "NIP. %.200s", s->nip);
        ps[n++] = (para){bufs[0], 0};
    }
    if (s->org != NULL && *s->org)
        ps[n++] = (para){s->org, 0};
    snprintf(bufs[1], STAMP_LINE, "Tanggal: %s", when);
    ps[n++] = (para){bufs[1], 0};
    if (s->reason != NULL && *s->reason) {
        snprintf(bufs[2], STAMP_LINE, "Alasan: %.200s", s->reason);
        ps[n++] = (para){bufs[2], 0};
    }
    if (s->text != NULL && *s->text)
        ps[n++] = (para){s->text, 0};
    return n;
}

/* The footer's statement (UU ITE; the CA that issued the certificate). */
static void footer_text(const pdf_stamp *s, char *out, size_t cap)
{
    snprintf(out, cap,
             "Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat "
             "elektronik yang diterbitkan oleh %.200s, sesuai UU ITE (UU No. 11 Tahun 2008 dan "
             "perubahannya).",
             s->issuer != NULL && *s->issuer ? s->issuer : "penyelenggara sertifikasi elektronik");
}

static int stamp_build(const pdf_stamp *s, pdf_buf *c, unsigned char **qr_pixels, int *qr_n,
                       sertel_err *err)
{
    para ps[PARAS_MAX], fp[1];
    char bufs[3][STAMP_LINE], foot[512];
    line *lines = NULL, flines[FOOTER_LINES];
    size_t np, n = 0, nf = 0, i;
    double pad, qs = 0, tx, avail_w, fs, lead = 1.2, y, ffs = 0, top, bottom, box, tbox;
    double iw = 0, ih = 0, iy = 0;
    int rc = SERTEL_OK;

    *qr_pixels = NULL;
    *qr_n = 0;
    if (s->w < 40 || s->h < 20 || s->w > 14400 || s->h > 14400)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the stamp rectangle %.0fx%.0f is too small or too large (at "
                              "least 40x20 points)",
                              s->w, s->h);
    pad = s->h * 0.06 < 2 ? 2 : s->h * 0.06;
    np = stamp_paras(s, ps, bufs);

    /* Footer: a band at the bottom, small type, at most 30% of the height. */
    if (s->footer) {
        double fmax = s->h * 0.07 > 6.5 ? 6.5 : s->h * 0.07;
        footer_text(s, foot, sizeof(foot));
        fp[0] = (para){foot, 0};
        ffs = layout(fp, 1, s->w - 2 * pad, s->h * 0.3, 1.15,
                     fmax < FOOTER_FS_MIN ? FOOTER_FS_MIN : fmax, FOOTER_FS_MIN, flines,
                     FOOTER_LINES, &nf);
        if (ffs == 0)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "the stamp rectangle is too small for its footer: make it "
                                  "larger (e.g. 220x80 points)");
    }
    top = s->h - pad;
    bottom = pad + (nf ? (double)nf * ffs * 1.15 + pad * 0.5 : 0);
    box = top - bottom;
    tbox = box;
    if (s->qr_text != NULL) {
        if ((rc = make_qr(s->qr_text, qr_pixels, qr_n, err)) != SERTEL_OK)
            return rc;
        qs = box < s->w * 0.4 ? box : s->w * 0.4;
    }
    tx = pad + (qs > 0 ? qs + pad : 0);
    avail_w = s->w - tx - pad;
    if (s->image_w > 0 && s->image_h > 0) {
        /* The signature image: the top of the text column, the text below it;
         * EXIF orientations 5 to 8 turn it a quarter, so it shows h x w. */
        int quarter = s->image_orientation >= 5 && s->image_orientation <= 8;
        double dw = quarter ? s->image_h : s->image_w, dh = quarter ? s->image_w : s->image_h;
        double band = box * 0.4, sc = avail_w / dw;
        if (band / dh < sc)
            sc = band / dh;
        iw = dw * sc;
        ih = dh * sc;
        iy = top - band + (band - ih) / 2;
        tbox = box - band - pad * 0.5;
    }
    lines = malloc(LINES_MAX * sizeof(*lines));
    if (lines == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    /* The largest size at which the wrapped lines fit both ways. */
    fs = avail_w > 0 && tbox > 0
             ? layout(ps, np, avail_w, tbox, lead, FS_MAX, FS_MIN, lines, LINES_MAX, &n)
             : 0;
    if (fs == 0) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the stamp rectangle is too small for its text: make it larger "
                            "(e.g. 220x80 points)");
        goto out;
    }
    /* Frame and background. */
    pdf_buf_printf(c, "q\n0.96 0.97 1 rg 0 0 %.2f %.2f re f\n", s->w, s->h);
    pdf_buf_printf(c, "0.05 0.25 0.55 RG 0.8 w 0.4 0.4 %.2f %.2f re S\n", s->w - 0.8, s->h - 0.8);
    if (qs > 0)
        pdf_buf_printf(c, "q %.2f 0 0 %.2f %.2f %.2f cm /QR Do Q\n", qs, qs, pad,
                       bottom + (box - qs) / 2);
    if (iw > 0) {
        double m[6];
        image_matrix(s->image_orientation, tx, iy, iw, ih, m);
        pdf_buf_printf(c, "q %.3f %.3f %.3f %.3f %.2f %.2f cm /Img Do Q\n", m[0], m[1], m[2], m[3],
                       m[4], m[5]);
    }
    y = bottom + (tbox + (double)n * fs * lead) / 2 - fs;
    pdf_buf_printf(c, "BT 0 0 0 rg\n");
    for (i = 0; i < n; i++) {
        pdf_buf_printf(c, "/%s %.2f Tf 1 0 0 1 %.2f %.2f Tm ", lines[i].bold ? "F2" : "F1", fs, tx,
                       y - (double)i * fs * lead);
        put_winansi(c, lines[i].s);
        pdf_buf_put(c, " Tj\n", 4);
    }
    for (i = 0; i < nf; i++) {
        pdf_buf_printf(c, "/F1 %.2f Tf 0.25 0.25 0.25 rg 1 0 0 1 %.2f %.2f Tm ", ffs, pad,
                       pad + (double)(nf - 1 - i) * ffs * 1.15);
        put_winansi(c, flines[i].s);
        pdf_buf_put(c, " Tj\n", 4);
    }
    pdf_buf_put(c, "ET\nQ\n", 5);
    if (c->failed)
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory building the stamp");
out:
    free(lines);
    return rc;
}

int pdf_stamp_build(const pdf_stamp *s, pdf_buf *c, unsigned char **qr_pixels, int *qr_n,
                    sertel_err *err)
{
    int rc = stamp_build(s, c, qr_pixels, qr_n, err);

    if (rc != SERTEL_OK) { /* the QR code may be made before the layout fails */
        free(*qr_pixels);
        *qr_pixels = NULL;
        *qr_n = 0;
    }
    return rc;
}

/* --- the stamp's objects in an update --- */

/* A name attribute of a certificate name as UTF-8 (into out; "" when absent). */
static void name_attr(const X509_NAME *nm, int nid, char *out, size_t cap)
{
    int idx = X509_NAME_get_index_by_NID(nm, nid, -1);
    unsigned char *utf8 = NULL;
    int len;

    out[0] = '\0';
    if (idx < 0)
        return;
    len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, idx)));
    if (len > 0)
        snprintf(out, cap, "%.*s", len, (const char *)utf8);
    OPENSSL_free(utf8);
}

/* Deflated copy of n bytes (malloc'ed), NULL when out of memory. */
static unsigned char *deflate_copy(const unsigned char *p, size_t n, int level, size_t *zlen)
{
    uLongf zl = compressBound((uLong)n);
    unsigned char *z = malloc(zl);

    if (z == NULL || compress2(z, &zl, p, (uLong)n, level) != Z_OK) {
        free(z);
        return NULL;
    }
    *zlen = zl;
    return z;
}

/* An 8-bit image XObject of deflated samples (the QR code, a soft mask). */
static void put_gray_image(pdf_update *u, uint32_t num, unsigned w, unsigned h,
                           const unsigned char *z, size_t zlen)
{
    pdf_upd_begin(u, num, 0);
    pdf_buf_printf(&u->b,
                   "<</Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace "
                   "/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %zu>>\nstream\n",
                   w, h, zlen);
    pdf_buf_put(&u->b, z, zlen);
    pdf_buf_put(&u->b, "\nendstream", 10);
    pdf_upd_end(u);
}

/*
 * The signer's handwritten-signature image as an image XObject (ISO 32000-1
 * §8.9.5), written the way the /QR image is: a PNG's samples deflated, with
 * its alpha plane as a soft mask (§11.6.5.3) in n->smask; a JPEG's own
 * bytes with /DCTDecode (§7.4.8).
 */
static int put_sig_image(pdf_update *u, const pdf_image *im, const pdf_stamp_objs *n,
                         sertel_err *err)
{
    static const char *const cs[5] = {NULL, "DeviceGray", NULL, "DeviceRGB", "DeviceCMYK"};
    unsigned char *z = NULL;
    size_t zlen = 0, npx = (size_t)im->width * im->height;

    if (im->ncomp < 1 || im->ncomp > 4 || cs[im->ncomp] == NULL || im->data == NULL ||
        (im->kind == PDF_IMAGE_PNG && (im->ncomp == 4 || im->len != npx * (size_t)im->ncomp)) ||
        (im->kind != PDF_IMAGE_PNG && im->kind != PDF_IMAGE_JPEG))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the signature image is not one pdf_image_load prepared");
    if (im->kind == PDF_IMAGE_PNG && im->alpha != NULL) {
        if ((z = deflate_copy(im->alpha, npx, 6, &zlen)) == NULL)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot compress the signature image");
        put_gray_image(u, n->smask, im->width, im->height, z, zlen);
        free(z);
        z = NULL;
    }
    pdf_upd_begin(u, n->img, 0);
    pdf_buf_printf(&u->b,
                   "<</Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace /%s "
                   "/BitsPerComponent 8",
                   im->width, im->height, cs[im->ncomp]);
    if (im->kind == PDF_IMAGE_JPEG) {
        pdf_buf_put(&u->b, " /Filter /DCTDecode", 19);
        if (im->ncomp >= 3)
            pdf_buf_printf(&u->b, " /DecodeParms <</ColorTransform %d>>",
                           im->color_transform ? 1 : 0);
        if (im->ncomp == 4 && im->adobe_inverted)
            pdf_buf_put(&u->b, " /Decode [1 0 1 0 1 0 1 0]", 26);
        pdf_buf_printf(&u->b, " /Length %zu>>\nstream\n", im->len);
        pdf_buf_put(&u->b, im->data, im->len);
    } else {
        if ((z = deflate_copy(im->data, im->len, 6, &zlen)) == NULL)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot compress the signature image");
        pdf_buf_put(&u->b, " /Filter /FlateDecode", 21);
        if (im->alpha != NULL)
            pdf_buf_printf(&u->b, " /SMask %u 0 R", n->smask);
        pdf_buf_printf(&u->b, " /Length %zu>>\nstream\n", zlen);
        pdf_buf_put(&u->b, z, zlen);
        free(z);
    }
    pdf_buf_put(&u->b, "\nendstream", 10);
    pdf_upd_end(u);
    return pdf_upd_status(u);
}

/*
 * The /Matrix that turns the stamp (w x h as displayed) to read upright on
 * a page shown turned by rot degrees clockwise; its box then fills the
 * widget's /Rect (§12.5.5).
 */
static void turn_matrix(int rot, double w, double h, char *out, size_t cap)
{
    switch (rot) {
    case 90:
        (void)num_snprintf(out, cap, "0 1 -1 0 %.2f 0", h);
        break;
    case 180:
        (void)num_snprintf(out, cap, "-1 0 0 -1 %.2f %.2f", w, h);
        break;
    case 270:
        (void)num_snprintf(out, cap, "0 -1 1 0 0 %.2f", w);
        break;
    default:
        snprintf(out, cap, "1 0 0 1 0 0");
    }
}

int pdf_stamp_put(pdf_update *u, const pdf_sign_opts *o, int rot, time_t now,
                  const pdf_stamp_objs *n, sertel_err *err)
{
    char mtx[96], cn[256], org[256], issuer[256];
    pdf_stamp st;
    pdf_buf content = {0};
    unsigned char *px = NULL, *z = NULL, white = 0xff;
    size_t zlen = 0;
    int qn = 0, rc;

    if (o->signer.cert == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "a visible signature needs the signer's certificate");
    name_attr(X509_get_subject_name(o->signer.cert), NID_commonName, cn, sizeof(cn));
    name_attr(X509_get_subject_name(o->signer.cert), NID_organizationName, org, sizeof(org));
    name_attr(X509_get_issuer_name(o->signer.cert), NID_organizationName, issuer, sizeof(issuer));
    memset(&st, 0, sizeof(st));
    st.w = rot == 90 || rot == 270 ? o->rect[3] : o->rect[2];
    st.h = rot == 90 || rot == 270 ? o->rect[2] : o->rect[3];
    turn_matrix(rot, st.w, st.h, mtx, sizeof(mtx));
    st.name = cn;
    st.org = org;
    st.issuer = issuer;
    st.reason = o->reason;
    st.qr_text = o->qr_text;
    st.text = o->stamp_text;
    st.position = o->position;
    st.nip = o->nip;
    st.when = now;
    st.footer = o->footer;
    if (o->image != NULL) {
        st.image_w = o->image->width;
        st.image_h = o->image->height;
        st.image_orientation = o->image->orientation;
    }
    if ((rc = pdf_stamp_build(&st, &content, &px, &qn, err)) != SERTEL_OK)
        return rc;
    /* The QR image, deflated (or a 1x1 white one when there is no QR code). */
    z = deflate_copy(px != NULL ? px : &white, px != NULL ? (size_t)qn * (size_t)qn : 1, 9, &zlen);
    if (z == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot compress the QR code");
        goto out;
    }
    put_gray_image(u, n->qr, px != NULL ? (unsigned)qn : 1, px != NULL ? (unsigned)qn : 1, z, zlen);
    if (o->image != NULL && (rc = put_sig_image(u, o->image, n, err)) != SERTEL_OK)
        goto out;
    pdf_upd_begin(u, n->ap, 0);
    pdf_buf_printf(&u->b,
                   "<</Type /XObject /Subtype /Form /BBox [0 0 %.2f %.2f] /Matrix [%s] "
                   "/Resources <</Font "
                   "<</F1 <</Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding "
                   "/WinAnsiEncoding>> /F2 <</Type /Font /Subtype /Type1 /BaseFont "
                   "/Helvetica-Bold /Encoding /WinAnsiEncoding>>>> /XObject <</QR %u 0 R",
                   st.w, st.h, mtx, n->qr);
    if (o->image != NULL)
        pdf_buf_printf(&u->b, " /Img %u 0 R", n->img);
    pdf_buf_printf(&u->b, ">>>> /Length %zu>>\nstream\n", content.len);
    pdf_buf_put(&u->b, content.p, content.len);
    pdf_buf_put(&u->b, "\nendstream", 10);
    pdf_upd_end(u);
    rc = pdf_upd_status(u);
out:
    pdf_buf_free(&content);
    free(px);
    free(z);
    return rc;
}
