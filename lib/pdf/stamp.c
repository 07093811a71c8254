/*
 * stamp.c - the appearance of a visible signature (ISO 32000-1 §12.7.4.5,
 * §12.5.5): a form XObject drawn in the widget's rectangle, in the style of
 * Indonesian e-signature stamps: a QR code (libqrencode) of the document's
 * verification URL on the left, and on the right "Ditandatangani secara
 * elektronik oleh", the signer, the organisation, the date and time in WIB
 * (UTC+7) and the reason; optionally the signer's handwritten signature
 * (an image, image.c) above that text, and a footer stating that the
 * document was signed with a certificate from the named CA.
 *
 * Only the standard 14 fonts are used (Helvetica, Helvetica-Bold with
 * WinAnsiEncoding), so nothing is embedded; sizes shrink to fit the box.
 */
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "img/img.h"
#include "pdf/pdf.h"

#define QR_QUIET 2
#define LINES_MAX 12
#define STAMP_LINE 256

/* UTF-8 to WinAnsi (Latin-1 subset), escaped for a literal string. */
static void put_winansi(pdf_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    pdf_buf_put(b, "(", 1);
    while (*p) {
        unsigned c = *p;
        char ch;
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
        if (c < 0x20)
            c = ' ';
        ch = (char)c;
        if (ch == '(' || ch == ')' || ch == '\\')
            pdf_buf_put(b, "\\", 1);
        if (c >= 0x80)
            pdf_buf_printf(b, "\\%03o", c);
        else
            pdf_buf_put(b, &ch, 1);
    }
    pdf_buf_put(b, ")", 1);
}

/* Approximate Helvetica advance width of s at size 1 (average 0.52 em). */
static double text_width(const char *s, int bold)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return (double)n * (bold ? 0.58 : 0.52);
}

/* Split s into lines of at most max_w (at size fs), at spaces. */
static int wrap(const char *s, double max_w, double fs, char out[][STAMP_LINE], int room)
{
    char word[STAMP_LINE];
    int n = 0;
    const char *p = s;

    if (room <= 0)
        return 0;
    out[0][0] = '\0';
    while (*p && n < room) {
        size_t wl = strcspn(p, " ");
        char cand[2 * STAMP_LINE];
        if (wl >= sizeof(word))
            wl = sizeof(word) - 1;
        memcpy(word, p, wl);
        word[wl] = '\0';
        p += wl;
        while (*p == ' ')
            p++;
        snprintf(cand, sizeof(cand), "%s%s%s", out[n], out[n][0] ? " " : "", word);
        if (out[n][0] && text_width(cand, 0) * fs > max_w) {
            if (++n >= room)
                break;
            snprintf(out[n], STAMP_LINE, "%s", word);
        } else {
            size_t cl = strlen(cand);
            if (cl >= STAMP_LINE)
                cl = STAMP_LINE - 1; /* a single word longer than a line: cut */
            memcpy(out[n], cand, cl);
            out[n][cl] = '\0';
        }
    }
    return n < room ? n + 1 : room;
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

static int stamp_build(const pdf_stamp *s, pdf_buf *c, unsigned char **qr_pixels, int *qr_n,
                       sertel_err *err)
{
    char lines[LINES_MAX][STAMP_LINE], when[64], foot[512];
    int bold[LINES_MAX] = {0}, n = 0, i, nf = 0;
    char flines[4][STAMP_LINE];
    double pad, qs = 0, tx, avail_w, fs, lead, y, ffs = 0;
    time_t wib;
    struct tm tm;

    *qr_pixels = NULL;
    *qr_n = 0;
    if (s->w < 40 || s->h < 20 || s->w > 14400 || s->h > 14400)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the stamp rectangle %.0fx%.0f is too small or too large (at "
                              "least 40x20 points)",
                              s->w, s->h);
    pad = s->h * 0.06 < 2 ? 2 : s->h * 0.06;
    wib = s->when + 7 * 3600;
    gmtime_r(&wib, &tm);
    snprintf(when, sizeof(when), "%02d-%02d-%04d %02d:%02d:%02d WIB", tm.tm_mday, tm.tm_mon + 1,
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    snprintf(lines[n++], STAMP_LINE, "Ditandatangani secara elektronik oleh:");
    bold[n] = 1;
    snprintf(lines[n++], STAMP_LINE, "%s", s->name ? s->name : "?");
    if (s->org && *s->org)
        snprintf(lines[n++], STAMP_LINE, "%s", s->org);
    snprintf(lines[n++], STAMP_LINE, "Tanggal: %s", when);
    if (s->reason && *s->reason)
        snprintf(lines[n++], STAMP_LINE, "Alasan: %.200s", s->reason);
    if (s->text && *s->text)
        snprintf(lines[n++], STAMP_LINE, "%.200s", s->text);

    /* Footer: a band at the bottom, small type. */
    if (s->footer) {
        snprintf(foot, sizeof(foot),
                 "Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat "
                 "elektronik yang diterbitkan oleh %s",
                 s->issuer && *s->issuer ? s->issuer : "penyelenggara sertifikasi elektronik");
        ffs = s->h * 0.07;
        if (ffs > 6.5)
            ffs = 6.5;
        if (ffs < 3)
            ffs = 3;
        nf = wrap(foot, s->w - 2 * pad, ffs, flines, 3);
    }
    {
        double top = s->h - pad, bottom = pad + (nf ? nf * ffs * 1.15 + pad * 0.5 : 0);
        double box = top - bottom, tbox = box, iw = 0, ih = 0, iy = 0;
        if (s->qr_text != NULL) {
            int rc = make_qr(s->qr_text, qr_pixels, qr_n, err);
            if (rc != SERTEL_OK)
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
        /* The largest size at which the lines fit both ways. */
        fs = tbox / ((double)n * 1.2);
        for (i = 0; i < n; i++) {
            double wi = text_width(lines[i], bold[i]);
            if (wi * fs > avail_w)
                fs = avail_w / wi;
        }
        if (fs > 11)
            fs = 11;
        if (fs < 2.5)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "the stamp rectangle is too small for its text: make it larger "
                                  "(e.g. 220x80 points)");
        lead = fs * 1.2;
        /* Frame and background. */
        pdf_buf_printf(c, "q\n0.96 0.97 1 rg 0 0 %.2f %.2f re f\n", s->w, s->h);
        pdf_buf_printf(c, "0.05 0.25 0.55 RG 0.8 w 0.4 0.4 %.2f %.2f re S\n", s->w - 0.8,
                       s->h - 0.8);
        if (qs > 0)
            pdf_buf_printf(c, "q %.2f 0 0 %.2f %.2f %.2f cm /QR Do Q\n", qs, qs, pad,
                           bottom + (box - qs) / 2);
        if (iw > 0) {
            double m[6];
            image_matrix(s->image_orientation, tx, iy, iw, ih, m);
            pdf_buf_printf(c, "q %.3f %.3f %.3f %.3f %.2f %.2f cm /Img Do Q\n", m[0], m[1], m[2],
                           m[3], m[4], m[5]);
        }
        y = bottom + (tbox + (double)n * lead) / 2 - fs;
        pdf_buf_printf(c, "BT 0 0 0 rg\n");
        for (i = 0; i < n; i++) {
            pdf_buf_printf(c, "/%s %.2f Tf 1 0 0 1 %.2f %.2f Tm ", bold[i] ? "F2" : "F1", fs, tx,
                           y - (double)i * lead);
            put_winansi(c, lines[i]);
            pdf_buf_put(c, " Tj\n", 4);
        }
        for (i = 0; i < nf; i++) {
            pdf_buf_printf(c, "/F1 %.2f Tf 0.25 0.25 0.25 rg 1 0 0 1 %.2f %.2f Tm ", ffs, pad,
                           pad + (double)(nf - 1 - i) * ffs * 1.15);
            put_winansi(c, flines[i]);
            pdf_buf_put(c, " Tj\n", 4);
        }
        pdf_buf_put(c, "ET\nQ\n", 5);
    }
    if (c->failed)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory building the stamp");
    return SERTEL_OK;
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
