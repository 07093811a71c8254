/*
 * image.c - the signer's handwritten-signature image for a visible stamp:
 * a PNG (ISO/IEC 15948) or a JPEG (ITU-T T.81, JFIF/Adobe) checked and
 * prepared for embedding as an image XObject (ISO 32000-1 §8.9.5), with
 * Debian's libpng and libjpeg(-turbo), no decoder of our own.
 *
 * PNG: decoded to 8-bit gray or RGB samples plus, when the file has
 * transparency (an alpha channel or tRNS), a separate 8-bit alpha plane
 * that the writer turns into a soft mask (/SMask, §11.6.5.3). JPEG: the
 * whole file is decoded once to prove it is complete and sound (any libjpeg
 * warning, such as a premature end of data, refuses it); what is embedded
 * are the original bytes with /Filter /DCTDecode (§7.4.8).
 *
 * Phones store photos as the sensor saw them and say in an EXIF tag how to
 * turn them upright (CIPA DC-008, tag 0x0112 Orientation). The tag is read
 * from a JPEG's APP1 "Exif" segment (found by libjpeg) or a PNG's eXIf
 * chunk (found by libpng); the pixels are left alone and the stamp turns
 * the image with its placement matrix.
 *
 * The input is hostile: the file size, both dimensions and the pixel count
 * are bounded before anything is allocated for pixels; libpng's and
 * libjpeg's errors come back through setjmp/longjmp handlers that record
 * the message and never print or exit. The functions that call setjmp
 * change only memory reached through a pointer (never their own automatic
 * variables), so nothing is indeterminate after a longjmp.
 */
#include <setjmp.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE and size_t */
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "pdf/pdf.h"
#include "util/fs.h"

#define IMG_MSG 200
#define JPEG_MAX_SCANS 256

static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static int dims_ok(unsigned long w, unsigned long h, sertel_err *err)
{
    if (w == 0 || h == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the image has no pixels (%lux%lu)", w, h);
    if (w > PDF_IMAGE_MAX_SIDE || h > PDF_IMAGE_MAX_SIDE ||
        (unsigned long long)w * h > PDF_IMAGE_MAX_PIXELS)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the image is %lux%lu pixels, more than sertel accepts (at most "
                              "%ux%u and %u megapixels): scale it down",
                              w, h, PDF_IMAGE_MAX_SIDE, PDF_IMAGE_MAX_SIDE,
                              (unsigned)(PDF_IMAGE_MAX_PIXELS >> 20));
    return SERTEL_OK;
}

/* --- EXIF orientation --- */

static unsigned tiff_u16(const unsigned char *p, int be)
{
    return be ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static unsigned long tiff_u32(const unsigned char *p, int be)
{
    return be ? (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned)p[2] << 8 | p[3]
              : (unsigned long)p[3] << 24 | (unsigned long)p[2] << 16 | (unsigned)p[1] << 8 | p[0];
}

/*
 * The Orientation (1..8) in IFD0 of the TIFF structure tiff[0..len) (CIPA
 * DC-008 §4.5.4, TIFF 6.0 §2); 1 (upright) when it is missing, malformed or
 * out of range. Reads only inside the buffer; one IFD, no links followed.
 */
static int exif_orientation(const unsigned char *tiff, size_t len)
{
    unsigned long ifd;
    unsigned n, i;
    int be;

    if (len < 8)
        return 1;
    if (memcmp(tiff, "II*\0", 4) == 0)
        be = 0;
    else if (memcmp(tiff, "MM\0*", 4) == 0)
        be = 1;
    else
        return 1;
    ifd = tiff_u32(tiff + 4, be);
    if (ifd < 8 || ifd > len - 2)
        return 1;
    n = tiff_u16(tiff + ifd, be);
    for (i = 0; i < n && i < 512; i++) {
        const unsigned char *e = tiff + ifd + 2 + (size_t)i * 12;
        unsigned v;
        if ((size_t)(e - tiff) + 12 > len)
            break;
        if (tiff_u16(e, be) != 0x0112)
            continue;
        if (tiff_u16(e + 2, be) != 3 || tiff_u32(e + 4, be) != 1) /* SHORT, count 1 */
            return 1;
        v = tiff_u16(e + 8, be);
        return v >= 1 && v <= 8 ? (int)v : 1;
    }
    return 1;
}

/* --- PNG --- */

typedef struct png_job {
    const unsigned char *data;
    size_t len, pos;
    char msg[IMG_MSG];
    unsigned width, height;
    int channels;       /* after the transforms: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
    int dims_rc;        /* dims_ok's code when the header's size is out of bounds */
    unsigned char *pix; /* width * height * channels */
    png_bytep *rows;
    sertel_err *err;
} png_job;

static void png_err_fn(png_structp png, png_const_charp msg)
{
    png_job *j = png_get_error_ptr(png);

    snprintf(j->msg, sizeof(j->msg), "%s", msg ? msg : "error");
    png_longjmp(png, 1);
}

static void png_warn_fn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* benign: never printed */
}

static void png_read_fn(png_structp png, png_bytep out, size_t n)
{
    png_job *j = png_get_io_ptr(png);

    if (n > j->len - j->pos)
        png_error(png, "the file is truncated");
    memcpy(out, j->data + j->pos, n);
    j->pos += n;
}

/* Everything that may longjmp; results only through j. Returns 0 or -1. */
static int png_decode(png_structp png, png_infop info, png_job *j)
{
    png_uint_32 w, h, y;
    int depth, ctype, interlace;
    size_t rowbytes;

    if (setjmp(png_jmpbuf(png)))
        return -1;
    png_set_read_fn(png, j, png_read_fn);
    /* Ancillary chunks are bounded; the size is checked below, before rows are allocated. */
    png_set_chunk_cache_max(png, 128);
    png_set_chunk_malloc_max(png, 8u << 20);
    png_read_info(png, info);
    if (!png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL, NULL))
        png_error(png, "no image header");
    if ((j->dims_rc = dims_ok(w, h, j->err)) != SERTEL_OK)
        return -1;
    /* To 8-bit gray or RGB, with an alpha channel when there is transparency. */
    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    if (depth == 16)
        png_set_scale_16(png);
    if (interlace != PNG_INTERLACE_NONE)
        (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);
    j->channels = png_get_channels(png, info);
    rowbytes = png_get_rowbytes(png, info);
    if (png_get_bit_depth(png, info) != 8 || j->channels < 1 || j->channels > 4 ||
        rowbytes != (size_t)w * (size_t)j->channels)
        png_error(png, "unexpected sample layout after conversion");
    j->width = w;
    j->height = h;
    j->pix = malloc(rowbytes * h);
    j->rows = malloc(sizeof(*j->rows) * h);
    if (j->pix == NULL || j->rows == NULL)
        png_error(png, "out of memory");
    for (y = 0; y < h; y++)
        j->rows[y] = j->pix + (size_t)y * rowbytes;
    png_read_image(png, j->rows);
    png_read_end(png, info); /* an eXIf chunk may follow the image data */
    return 0;
}

static int load_png(const unsigned char *data, size_t len, pdf_image *out, sertel_err *err)
{
    png_job j;
    png_structp png = NULL;
    png_infop info = NULL;
    size_t npx, i;
    int rc, color, has_alpha, opaque = 1;

    memset(&j, 0, sizeof(j));
    j.data = data;
    j.len = len;
    j.err = err;
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &j, png_err_fn, png_warn_fn);
    if (png == NULL || (info = png_create_info_struct(png)) == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory reading the PNG");
        goto out;
    }
    if (png_decode(png, info, &j) != 0) {
        rc = j.dims_rc != SERTEL_OK
                 ? j.dims_rc
                 : sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "the PNG is damaged or truncated (%s): re-save it "
                                  "with an image editor",
                                  j.msg);
        goto out;
    }
    npx = (size_t)j.width * j.height;
    has_alpha = j.channels == 2 || j.channels == 4;
    color = j.channels - has_alpha;
    out->kind = PDF_IMAGE_PNG;
    out->width = j.width;
    out->height = j.height;
    out->ncomp = color;
    out->orientation = 1;
    {
        png_uint_32 xn = 0;
        png_bytep xd = NULL;
        if (png_get_eXIf_1(png, info, &xn, &xd) != 0 && xd != NULL)
            out->orientation = exif_orientation(xd, xn);
    }
    out->len = npx * (size_t)color;
    if (has_alpha)
        for (i = 0; i < npx && opaque; i++)
            opaque = j.pix[i * (size_t)j.channels + (size_t)color] == 0xff;
    if (has_alpha && !opaque) {
        out->alpha = malloc(npx);
        if (out->alpha == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory reading the PNG");
            goto out;
        }
    }
    if (has_alpha) {
        /* Split in place: colour samples packed to the front, alpha to its plane. */
        for (i = 0; i < npx; i++) {
            const unsigned char *s = j.pix + i * (size_t)j.channels;
            if (out->alpha != NULL)
                out->alpha[i] = s[color];
            memmove(j.pix + i * (size_t)color, s, (size_t)color);
        }
    }
    out->data = j.pix;
    j.pix = NULL;
    rc = SERTEL_OK;
out:
    png_destroy_read_struct(png ? &png : NULL, info ? &info : NULL, NULL);
    free(j.pix);
    free(j.rows);
    return rc;
}

/* --- JPEG --- */

typedef struct jpeg_job {
    struct jpeg_error_mgr pub; /* first: libjpeg hands us this pointer */
    jmp_buf jb;
    struct jpeg_progress_mgr progress;
    char msg[JMSG_LENGTH_MAX];
    int warned;
    int dims_rc;
    int orientation;    /* EXIF, 1..8 */
    unsigned char *row; /* one output row, for the full decode */
    sertel_err *err;
} jpeg_job;

static void jpeg_exit_fn(j_common_ptr c)
{
    jpeg_job *j = (jpeg_job *)c->err;

    (*c->err->format_message)(c, j->msg);
    longjmp(j->jb, 1);
}

static void jpeg_emit_fn(j_common_ptr c, int level)
{
    jpeg_job *j = (jpeg_job *)c->err;

    if (level < 0 && !j->warned) { /* a warning: damaged data; trace messages are ignored */
        j->warned = 1;
        (*c->err->format_message)(c, j->msg);
    }
}

static void jpeg_output_fn(j_common_ptr c)
{
    (void)c; /* never print */
}

/* A progressive JPEG of thousands of tiny scans costs time, not bytes: refuse it. */
static void jpeg_progress_fn(j_common_ptr c)
{
    jpeg_job *j = (jpeg_job *)c->err;

    if (c->is_decompressor && ((j_decompress_ptr)c)->input_scan_number > JPEG_MAX_SCANS) {
        snprintf(j->msg, sizeof(j->msg), "more than %d progressive scans", JPEG_MAX_SCANS);
        longjmp(j->jb, 1);
    }
}

/* The orientation in the first APP1 "Exif" segment jpeg_read_header saved; 1 without one. */
static int jpeg_orientation(j_decompress_ptr c)
{
    jpeg_saved_marker_ptr m;

    for (m = c->marker_list; m != NULL; m = m->next)
        if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && memcmp(m->data, "Exif\0\0", 6) == 0)
            return exif_orientation(m->data + 6, m->data_length - 6);
    return 1;
}

/* Header and a full decode; results only through c and j. Returns 0 or -1. */
static int jpeg_decode(struct jpeg_decompress_struct *c, jpeg_job *j, const unsigned char *data,
                       size_t len)
{
    if (setjmp(j->jb))
        return -1;
    jpeg_create_decompress(c);
    c->progress = &j->progress;
    jpeg_mem_src(c, data, (unsigned long)len);
    jpeg_save_markers(c, JPEG_APP0 + 1, 0xffff); /* EXIF, for the orientation */
    if (jpeg_read_header(c, TRUE) != JPEG_HEADER_OK) {
        snprintf(j->msg, sizeof(j->msg), "no image in it");
        return -1;
    }
    /* Saved markers live in libjpeg's image pool, freed by jpeg_finish_decompress. */
    j->orientation = jpeg_orientation(c);
    if ((j->dims_rc = dims_ok(c->image_width, c->image_height, j->err)) != SERTEL_OK)
        return -1;
    if (c->data_precision != 8 || c->arith_code) {
        snprintf(j->msg, sizeof(j->msg), "%s JPEG is not supported in PDF",
                 c->arith_code ? "an arithmetic-coded" : "a 12-bit");
        return -1;
    }
    if (!(c->num_components == 1 && c->jpeg_color_space == JCS_GRAYSCALE) &&
        !(c->num_components == 3 &&
          (c->jpeg_color_space == JCS_YCbCr || c->jpeg_color_space == JCS_RGB)) &&
        !(c->num_components == 4 &&
          (c->jpeg_color_space == JCS_CMYK || c->jpeg_color_space == JCS_YCCK))) {
        snprintf(j->msg, sizeof(j->msg), "%d colour components in an unknown colour space",
                 c->num_components);
        return -1;
    }
    /* Decode every row once: damaged or truncated data shows up as an error or a warning. */
    c->dct_method = JDCT_IFAST;
    c->do_fancy_upsampling = FALSE;
    c->out_color_space = c->jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE
                         : c->num_components == 4             ? JCS_CMYK
                                                              : JCS_RGB;
    jpeg_start_decompress(c);
    j->row = malloc((size_t)c->output_width * (size_t)c->output_components);
    if (j->row == NULL) {
        snprintf(j->msg, sizeof(j->msg), "out of memory");
        return -1;
    }
    while (c->output_scanline < c->output_height) {
        JSAMPROW r = j->row;
        if (jpeg_read_scanlines(c, &r, 1) != 1 || j->warned)
            return -1;
    }
    jpeg_finish_decompress(c);
    return j->warned ? -1 : 0;
}

static int load_jpeg(const unsigned char *data, size_t len, pdf_image *out, sertel_err *err)
{
    struct jpeg_decompress_struct c;
    jpeg_job j;
    int rc;

    memset(&c, 0, sizeof(c));
    memset(&j, 0, sizeof(j));
    j.err = err;
    c.err = jpeg_std_error(&j.pub);
    j.pub.error_exit = jpeg_exit_fn;
    j.pub.emit_message = jpeg_emit_fn;
    j.pub.output_message = jpeg_output_fn;
    j.progress.progress_monitor = jpeg_progress_fn;
    if (jpeg_decode(&c, &j, data, len) != 0) {
        rc = j.dims_rc != SERTEL_OK
                 ? j.dims_rc
                 : sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "the JPEG is damaged or truncated (%s): re-save it with "
                                  "an image editor",
                                  j.msg[0] ? j.msg : "unreadable");
        goto out;
    }
    out->data = malloc(len);
    if (out->data == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory reading the JPEG");
        goto out;
    }
    memcpy(out->data, data, len);
    out->len = len;
    out->kind = PDF_IMAGE_JPEG;
    out->width = c.image_width;
    out->height = c.image_height;
    out->orientation = j.orientation;
    out->ncomp = c.num_components;
    out->color_transform =
        c.jpeg_color_space == JCS_YCbCr || c.jpeg_color_space == JCS_YCCK ? 1 : 0;
    /* Adobe software writes CMYK inverted (and says so with its APP14 marker). */
    out->adobe_inverted = c.num_components == 4 && c.saw_Adobe_marker;
    rc = SERTEL_OK;
out:
    jpeg_destroy_decompress(&c);
    free(j.row);
    return rc;
}

int pdf_image_load(const unsigned char *data, size_t len, pdf_image *out, sertel_err *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (data == NULL || len == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the image file is empty");
    if (len > PDF_IMAGE_MAX_FILE)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the image file has %zu bytes, more than %zu: scale it down", len,
                              (size_t)PDF_IMAGE_MAX_FILE);
    if (len >= sizeof(png_sig) && memcmp(data, png_sig, sizeof(png_sig)) == 0)
        rc = load_png(data, len, out, err);
    else if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        rc = load_jpeg(data, len, out, err);
    else
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "it starts with neither the PNG nor the JPEG signature");
    if (rc != SERTEL_OK)
        pdf_image_free(out);
    return rc;
}

int pdf_image_load_file(const char *path, pdf_image *out, sertel_err *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = fs_read_file(path, PDF_IMAGE_MAX_FILE, &data, &len, err);
    if (rc != SERTEL_OK)
        return rc;
    rc = pdf_image_load(data, len, out, err);
    free(data);
    return rc;
}

void pdf_image_free(pdf_image *img)
{
    if (img == NULL)
        return;
    free(img->data);
    free(img->alpha);
    memset(img, 0, sizeof(*img));
}
