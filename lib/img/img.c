/*
 * img.c - PNG (ISO/IEC 15948) and JPEG (ITU-T T.81, JFIF/Adobe) decoded to
 * 8-bit pixels and encoded again, with libpng and libjpeg(-turbo); EXIF
 * orientation (CIPA DC-008 §4.5.4) read and applied (see img.h).
 *
 * The functions that call setjmp change only memory reached through a
 * pointer (never their own automatic variables), so nothing is
 * indeterminate after a longjmp.
 */
#include "img/img.h"
#include "util/dynbuf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE and size_t */
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#define JPEG_MAX_SCANS 256

static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

img_format img_sniff(const unsigned char *data, size_t len)
{
    if (data == NULL)
        return IMG_NONE;
    if (len >= sizeof(png_sig) && memcmp(data, png_sig, sizeof(png_sig)) == 0)
        return IMG_PNG;
    if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        return IMG_JPEG;
    return IMG_NONE;
}

static const char *format_name(img_format f)
{
    return f == IMG_PNG ? "PNG" : f == IMG_JPEG ? "JPEG" : "image";
}

void img_free(img_pixels *im)
{
    if (im == NULL)
        return;
    free(im->pix);
    memset(im, 0, sizeof(*im));
}

static void set_detail(img_pixels *im, const char *fmt, ...) SERTEL_PRINTF(2, 3);

static void set_detail(img_pixels *im, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(im->detail, sizeof(im->detail), fmt, ap);
    va_end(ap);
}

/* Record a size over the limits (fault TOO_LARGE); 0 when the size is fine. */
static int over_limits(img_pixels *im, unsigned long w, unsigned long h, const img_limits *lim)
{
    if (w > 0 && h > 0 && w <= lim->max_side && h <= lim->max_side &&
        (uint64_t)w * h <= lim->max_pixels)
        return 0;
    im->width = (unsigned)(w > 0xffffffffUL ? 0xffffffffUL : w);
    im->height = (unsigned)(h > 0xffffffffUL ? 0xffffffffUL : h);
    im->fault = IMG_FAULT_TOO_LARGE;
    set_detail(im, "%lux%lu pixels", w, h);
    return -1;
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

int img_exif_orientation(const unsigned char *tiff, size_t len)
{
    unsigned long ifd;
    unsigned n, i;
    int be;

    if (tiff == NULL || len < 8)
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

/* --- PNG decoding --- */

/* Known ancillary chunks libpng would otherwise read (and inflate, for zTXt/iTXt/iCCP). */
static const png_byte png_skipped[] = "bKGD\0cHRM\0gAMA\0hIST\0iCCP\0iTXt\0oFFs\0pCAL\0pHYs\0"
                                      "sBIT\0sCAL\0sPLT\0sRGB\0sTER\0tEXt\0tIME\0zTXt";

typedef struct png_job {
    const unsigned char *data;
    size_t len, pos;
    const img_limits *lim;
    img_pixels *out;
    png_bytep *rows;
    int nomem;
} png_job;

static void png_err_fn(png_structp png, png_const_charp msg)
{
    png_job *j = png_get_error_ptr(png);

    if (j->out->fault == IMG_FAULT_NONE) {
        j->out->fault = IMG_FAULT_DAMAGED;
        set_detail(j->out, "%s", msg ? msg : "error");
    }
    png_longjmp(png, 1);
}

static void png_warn_fn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* benign (an ancillary chunk's CRC, a known chunk skipped): never printed */
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
    img_pixels *o = j->out;
    png_uint_32 w, h, y, xn = 0;
    png_bytep xd = NULL;
    int depth, ctype, interlace;
    size_t rowbytes;

    if (setjmp(png_jmpbuf(png)))
        return -1;
    png_set_read_fn(png, j, png_read_fn);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, png_skipped,
                                (int)(sizeof(png_skipped) / 5));
    /* What remains (tRNS, eXIf) is bounded; the size is checked before rows are allocated. */
    png_set_chunk_cache_max(png, 128);
    png_set_chunk_malloc_max(png, 8u << 20);
    png_read_info(png, info);
    if (!png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL, NULL))
        png_error(png, "no image header");
    if (over_limits(o, w, h, j->lim) != 0)
        return -1;
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
    o->channels = png_get_channels(png, info);
    rowbytes = png_get_rowbytes(png, info);
    if (png_get_bit_depth(png, info) != 8 || o->channels < 1 || o->channels > 4 ||
        rowbytes != (size_t)w * (size_t)o->channels)
        png_error(png, "unexpected sample layout after conversion");
    o->width = w;
    o->height = h;
    o->pix = malloc(rowbytes * h);
    j->rows = malloc(sizeof(*j->rows) * h);
    if (o->pix == NULL || j->rows == NULL) {
        j->nomem = 1;
        png_error(png, "out of memory");
    }
    for (y = 0; y < h; y++)
        j->rows[y] = o->pix + (size_t)y * rowbytes;
    png_read_image(png, j->rows);
    png_read_end(png, info); /* an eXIf chunk may follow the image data */
    if (png_get_eXIf_1(png, info, &xn, &xd) != 0 && xd != NULL)
        o->orientation = img_exif_orientation(xd, xn);
    return 0;
}

static int decode_png(const unsigned char *data, size_t len, const img_limits *lim, img_pixels *out)
{
    png_job j;
    png_structp png = NULL;
    png_infop info = NULL;
    int rc = -1;

    memset(&j, 0, sizeof(j));
    j.data = data;
    j.len = len;
    j.lim = lim;
    j.out = out;
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &j, png_err_fn, png_warn_fn);
    if (png == NULL || (info = png_create_info_struct(png)) == NULL) {
        out->fault = IMG_FAULT_NOMEM;
        goto out;
    }
    rc = png_decode(png, info, &j);
    if (rc != 0 && j.nomem)
        out->fault = IMG_FAULT_NOMEM;
out:
    png_destroy_read_struct(png ? &png : NULL, info ? &info : NULL, NULL);
    free(j.rows);
    return rc;
}

/* --- JPEG decoding --- */

typedef struct jpeg_job {
    struct jpeg_error_mgr pub; /* first: libjpeg hands us this pointer */
    jmp_buf jb;
    struct jpeg_progress_mgr progress;
    char msg[JMSG_LENGTH_MAX];
    int warned;
    const img_limits *lim;
    img_pixels *out;
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
            return img_exif_orientation(m->data + 6, m->data_length - 6);
    return 1;
}

/* Header and a full decode; results only through c and j. Returns 0 or -1. */
static int jpeg_decode(struct jpeg_decompress_struct *c, jpeg_job *j, const unsigned char *data,
                       size_t len)
{
    img_pixels *o = j->out;
    size_t stride;

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
    o->orientation = jpeg_orientation(c);
    if (over_limits(o, c->image_width, c->image_height, j->lim) != 0)
        return -1;
    if (c->num_components == 1 && c->jpeg_color_space == JCS_GRAYSCALE) {
        c->out_color_space = JCS_GRAYSCALE;
    } else if (c->num_components == 3 &&
               (c->jpeg_color_space == JCS_YCbCr || c->jpeg_color_space == JCS_RGB)) {
        c->out_color_space = JCS_RGB;
    } else if (c->num_components == 4 &&
               (c->jpeg_color_space == JCS_CMYK || c->jpeg_color_space == JCS_YCCK)) {
        c->out_color_space = JCS_CMYK;
        o->cmyk = 1;
        o->adobe = c->saw_Adobe_marker ? 1 : 0;
    } else {
        snprintf(j->msg, sizeof(j->msg), "%d colour components in an unknown colour space",
                 c->num_components);
        return -1;
    }
    jpeg_start_decompress(c);
    if (c->output_components < 1 || c->output_components > 4 || c->output_width != c->image_width ||
        c->output_height != c->image_height) {
        snprintf(j->msg, sizeof(j->msg), "unexpected sample layout");
        return -1;
    }
    o->channels = c->output_components;
    o->width = c->output_width;
    o->height = c->output_height;
    stride = (size_t)o->width * (size_t)o->channels;
    o->pix = malloc(stride * o->height);
    if (o->pix == NULL) {
        o->fault = IMG_FAULT_NOMEM;
        snprintf(j->msg, sizeof(j->msg), "out of memory");
        return -1;
    }
    /* Every row: damaged or truncated data shows up as an error or a warning. */
    while (c->output_scanline < c->output_height) {
        JSAMPROW r = o->pix + (size_t)c->output_scanline * stride;
        if (jpeg_read_scanlines(c, &r, 1) != 1 || j->warned)
            return -1;
    }
    jpeg_finish_decompress(c);
    return j->warned ? -1 : 0;
}

static int decode_jpeg(const unsigned char *data, size_t len, const img_limits *lim,
                       img_pixels *out)
{
    struct jpeg_decompress_struct c;
    jpeg_job j;
    int rc;

    memset(&c, 0, sizeof(c));
    memset(&j, 0, sizeof(j));
    j.lim = lim;
    j.out = out;
    c.err = jpeg_std_error(&j.pub);
    j.pub.error_exit = jpeg_exit_fn;
    j.pub.emit_message = jpeg_emit_fn;
    j.pub.output_message = jpeg_output_fn;
    j.progress.progress_monitor = jpeg_progress_fn;
    rc = jpeg_decode(&c, &j, data, len);
    if (rc != 0 && out->fault == IMG_FAULT_NONE) {
        out->fault = IMG_FAULT_DAMAGED;
        set_detail(out, "%s", j.msg[0] ? j.msg : "unreadable");
    }
    jpeg_destroy_decompress(&c);
    return rc;
}

int img_decode(const unsigned char *data, size_t len, const img_limits *lim, img_pixels *out,
               sertel_err *err)
{
    img_format f = img_sniff(data, len);
    int rc;

    memset(out, 0, sizeof(*out));
    out->orientation = 1;
    out->format = f;
    if (f == IMG_NONE) {
        out->fault = IMG_FAULT_FORMAT;
        set_detail(out, "neither the PNG nor the JPEG signature");
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the image starts with neither the PNG nor the JPEG signature");
    }
    rc = f == IMG_PNG ? decode_png(data, len, lim, out) : decode_jpeg(data, len, lim, out);
    if (rc == 0)
        return SERTEL_OK;
    free(out->pix);
    out->pix = NULL;
    out->channels = 0;
    switch (out->fault) {
    case IMG_FAULT_NOMEM:
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory decoding the %s image",
                              format_name(f));
    case IMG_FAULT_TOO_LARGE:
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the %s image is %s, more than the limit of %u on a side and %llu "
                              "pixels",
                              format_name(f), out->detail, lim->max_side,
                              (unsigned long long)lim->max_pixels);
    default:
        out->fault = IMG_FAULT_DAMAGED;
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the %s image is damaged or truncated (%s)",
                              format_name(f), out->detail);
    }
}

/* --- orientation --- */

/* The size of the image turned upright by orientation o. */
static void oriented_size(const img_pixels *im, int o, unsigned *w, unsigned *h)
{
    if (o >= 5 && o <= 8) {
        *w = im->height;
        *h = im->width;
    } else {
        *w = im->width;
        *h = im->height;
    }
}

/*
 * Row y of the image turned upright by orientation o into row (its
 * oriented width x channels bytes). Stored pixel (sx, sy) for shown (x, y):
 * 2 mirrored, 3 turned 180, 4 flipped, 5 transposed, 6 turned 90 clockwise,
 * 7 transversed, 8 turned 90 anticlockwise (EXIF's eight orientations).
 */
static const unsigned char *oriented_row(const img_pixels *im, int o, unsigned y,
                                         unsigned char *row)
{
    const size_t ch = (size_t)im->channels, W = im->width, H = im->height;
    unsigned ow, oh, x;

    if (o < 2 || o > 8)
        return im->pix + (size_t)y * W * ch;
    oriented_size(im, o, &ow, &oh);
    for (x = 0; x < ow; x++) {
        size_t sx, sy;
        switch (o) {
        case 2:
            sx = W - 1 - x;
            sy = y;
            break;
        case 3:
            sx = W - 1 - x;
            sy = H - 1 - y;
            break;
        case 4:
            sx = x;
            sy = H - 1 - y;
            break;
        case 5:
            sx = y;
            sy = x;
            break;
        case 6:
            sx = y;
            sy = H - 1 - x;
            break;
        case 7:
            sx = W - 1 - y;
            sy = H - 1 - x;
            break;
        default: /* 8 */
            sx = W - 1 - y;
            sy = x;
            break;
        }
        memcpy(row + (size_t)x * ch, im->pix + (sy * W + sx) * ch, ch);
    }
    return row;
}

/* --- PNG encoding --- */

typedef struct png_wjob {
    const img_pixels *im;
    int orientation, level;
    dynbuf out;
    unsigned char *row;
    char msg[IMG_DETAIL_MAX];
} png_wjob;

static void png_werr_fn(png_structp png, png_const_charp msg)
{
    png_wjob *j = png_get_error_ptr(png);

    snprintf(j->msg, sizeof(j->msg), "%s", msg ? msg : "error");
    png_longjmp(png, 1);
}

static void png_write_fn(png_structp png, png_bytep d, size_t n)
{
    png_wjob *j = png_get_io_ptr(png);

    if (dynbuf_add(&j->out, d, n) != SERTEL_OK)
        png_error(png, "out of memory");
}

static void png_flush_fn(png_structp png)
{
    (void)png;
}

static int png_encode(png_structp png, png_infop info, png_wjob *j)
{
    static const int ctypes[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                  PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    unsigned w, h, y;

    if (setjmp(png_jmpbuf(png)))
        return -1;
    oriented_size(j->im, j->orientation, &w, &h);
    png_set_write_fn(png, j, png_write_fn, png_flush_fn);
    png_set_compression_level(png, j->level);
    png_set_IHDR(png, info, w, h, 8, ctypes[j->im->channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (y = 0; y < h; y++)
        png_write_row(png, oriented_row(j->im, j->orientation, y, j->row));
    png_write_end(png, NULL);
    return 0;
}

/* --- JPEG encoding --- */

typedef struct jpeg_wjob {
    struct jpeg_error_mgr pub; /* first */
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
    const img_pixels *im;
    int orientation, quality;
    struct jpeg_destination_mgr dest;
    dynbuf out;
    size_t lent; /* bytes of out handed to libjpeg */
    unsigned char *row;
} jpeg_wjob;

static void jpeg_wexit_fn(j_common_ptr c)
{
    jpeg_wjob *j = (jpeg_wjob *)c->err;

    (*c->err->format_message)(c, j->msg);
    longjmp(j->jb, 1);
}

static void jpeg_wemit_fn(j_common_ptr c, int level)
{
    (void)c;
    (void)level; /* the encoder's warnings concern our own input: never printed */
}

static jpeg_wjob *wjob_of(j_compress_ptr c)
{
    return (jpeg_wjob *)c->err;
}

/* libjpeg writes into room lent from the growing buffer (at least 64 KiB, doubling). */
static void dest_lend(jpeg_wjob *j)
{
    size_t want = j->out.len > 65536 ? j->out.len : 65536, avail = 0;
    unsigned char *p = dynbuf_reserve(&j->out, want, &avail);

    if (p == NULL) {
        snprintf(j->msg, sizeof(j->msg), "out of memory");
        longjmp(j->jb, 1);
    }
    j->lent = avail;
    j->dest.next_output_byte = p;
    j->dest.free_in_buffer = avail;
}

static void dest_init(j_compress_ptr c)
{
    dest_lend(wjob_of(c));
}

static boolean dest_empty(j_compress_ptr c)
{
    jpeg_wjob *j = wjob_of(c);

    dynbuf_advance(&j->out, j->lent); /* the whole room is full */
    dest_lend(j);
    return TRUE;
}

static void dest_term(j_compress_ptr c)
{
    jpeg_wjob *j = wjob_of(c);

    dynbuf_advance(&j->out, j->lent - j->dest.free_in_buffer);
    j->lent = 0;
}

static int jpeg_encode(struct jpeg_compress_struct *c, jpeg_wjob *j)
{
    unsigned w, h, y;

    if (setjmp(j->jb))
        return -1;
    jpeg_create_compress(c);
    j->dest.init_destination = dest_init;
    j->dest.empty_output_buffer = dest_empty;
    j->dest.term_destination = dest_term;
    c->dest = &j->dest;
    oriented_size(j->im, j->orientation, &w, &h);
    c->image_width = w;
    c->image_height = h;
    c->input_components = j->im->channels;
    c->in_color_space = j->im->channels == 1 ? JCS_GRAYSCALE : j->im->cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(c);
    if (j->im->cmyk)
        jpeg_set_colorspace(c, JCS_CMYK); /* writes an Adobe marker, no transform */
    jpeg_set_quality(c, j->quality, TRUE);
    c->dct_method = JDCT_ISLOW;
    jpeg_start_compress(c, TRUE);
    for (y = 0; y < h; y++) {
        const unsigned char *src = oriented_row(j->im, j->orientation, y, j->row);
        JSAMPROW r = (JSAMPROW)(uintptr_t)src;
        if (j->im->cmyk && !j->im->adobe) {
            /* Written with an Adobe marker: in Adobe's (inverted) convention. */
            size_t k, n = (size_t)w * 4;
            for (k = 0; k < n; k++)
                j->row[k] = (unsigned char)(255 - src[k]);
            r = j->row;
        }
        (void)jpeg_write_scanlines(c, &r, 1);
    }
    jpeg_finish_compress(c);
    return 0;
}

int img_encode(const img_pixels *im, int orientation, img_format fmt, int quality_or_level,
               unsigned char **out, size_t *out_len, sertel_err *err)
{
    unsigned char *row = NULL;
    unsigned ow, oh;
    int rc;

    *out = NULL;
    *out_len = 0;
    if (orientation < 1 || orientation > 8)
        orientation = 1;
    if (im->pix == NULL || im->width == 0 || im->height == 0 || im->channels < 1 ||
        im->channels > 4 ||
        (fmt == IMG_PNG && (im->cmyk || quality_or_level < 0 || quality_or_level > 9)) ||
        (fmt == IMG_JPEG && (im->channels == 2 || (im->channels == 4 && !im->cmyk) ||
                             quality_or_level < 1 || quality_or_level > 100)) ||
        (fmt != IMG_PNG && fmt != IMG_JPEG))
        return sertel_err_set(err, SERTEL_ERR_INTERNAL,
                              "img_encode: cannot write this image (%d channels%s) as %s with "
                              "setting %d",
                              im->channels, im->cmyk ? ", CMYK" : "", format_name(fmt),
                              quality_or_level);
    oriented_size(im, orientation, &ow, &oh);
    row = malloc((size_t)ow * (size_t)im->channels);
    if (row == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory writing an image");
    if (fmt == IMG_PNG) {
        png_wjob j;
        png_structp png;
        png_infop info = NULL;

        memset(&j, 0, sizeof(j));
        dynbuf_init(&j.out, 0);
        j.im = im;
        j.orientation = orientation;
        j.level = quality_or_level;
        j.row = row;
        png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &j, png_werr_fn, png_warn_fn);
        if (png == NULL || (info = png_create_info_struct(png)) == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory writing a PNG image");
        } else if (png_encode(png, info, &j) != 0) {
            rc = j.out.failed
                     ? sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory writing a PNG image")
                     : sertel_err_set(err, SERTEL_ERR_INVALID, "writing a PNG image failed: %s",
                                      j.msg);
        } else {
            *out = (unsigned char *)dynbuf_take(&j.out, out_len);
            rc = SERTEL_OK;
        }
        png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
        dynbuf_free(&j.out);
    } else {
        struct jpeg_compress_struct c;
        jpeg_wjob j;

        memset(&c, 0, sizeof(c));
        memset(&j, 0, sizeof(j));
        dynbuf_init(&j.out, 0);
        j.im = im;
        j.orientation = orientation;
        j.quality = quality_or_level;
        j.row = row;
        c.err = jpeg_std_error(&j.pub);
        j.pub.error_exit = jpeg_wexit_fn;
        j.pub.emit_message = jpeg_wemit_fn;
        j.pub.output_message = jpeg_output_fn;
        if (jpeg_encode(&c, &j) != 0) {
            rc = j.out.failed
                     ? sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory writing a JPEG image")
                     : sertel_err_set(err, SERTEL_ERR_INVALID, "writing a JPEG image failed: %s",
                                      j.msg);
        } else {
            *out = (unsigned char *)dynbuf_take(&j.out, out_len);
            rc = SERTEL_OK;
        }
        jpeg_destroy_compress(&c);
        dynbuf_free(&j.out);
    }
    free(row);
    return rc;
}

/* --- the layout img_encode writes, checked without decoding --- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* PNG (ISO/IEC 15948 §5.3): signature, IHDR, IDAT..., IEND, end of file. */
static int png_written(const unsigned char *d, size_t len, unsigned *w, unsigned *h)
{
    size_t off = sizeof(png_sig);
    int n = 0, idat = 0, end = 0;

    if (len < off || memcmp(d, png_sig, off) != 0)
        return 0;
    while (off < len && !end) {
        uint32_t clen;
        const unsigned char *type;
        if (len - off < 12)
            return 0;
        clen = be32(d + off);
        type = d + off + 4;
        if (clen > len - off - 12)
            return 0;
        if (n == 0) {
            if (memcmp(type, "IHDR", 4) != 0 || clen != 13)
                return 0;
            if (w != NULL)
                *w = be32(d + off + 8);
            if (h != NULL)
                *h = be32(d + off + 12);
        } else if (memcmp(type, "IDAT", 4) == 0) {
            idat = 1;
        } else if (memcmp(type, "IEND", 4) == 0 && clen == 0 && idat) {
            end = 1;
        } else {
            return 0;
        }
        off += 12 + (size_t)clen;
        n++;
    }
    return end && off == len;
}

/* JPEG (ITU-T T.81 Annex B): the markers libjpeg writes for a baseline image, nothing else. */
static int jpeg_written(const unsigned char *d, size_t len, unsigned *w, unsigned *h)
{
    size_t off = 2;
    int sof = 0;

    if (len < 4 || d[0] != 0xff || d[1] != 0xd8)
        return 0;
    for (;;) {
        unsigned m;
        size_t seg;
        if (len - off < 4 || d[off] != 0xff)
            return 0;
        m = d[off + 1];
        seg = (size_t)d[off + 2] << 8 | d[off + 3];
        if (seg < 2 || seg > len - off - 2)
            return 0;
        if (m == 0xe0) { /* APP0: JFIF only */
            if (seg < 7 || memcmp(d + off + 4, "JFIF", 5) != 0)
                return 0;
        } else if (m == 0xee) { /* APP14: Adobe only */
            if (seg < 7 || memcmp(d + off + 4, "Adobe", 5) != 0)
                return 0;
        } else if (m == 0xc0) { /* SOF0, once */
            if (sof || seg < 8)
                return 0;
            sof = 1;
            if (h != NULL)
                *h = (unsigned)d[off + 5] << 8 | d[off + 6];
            if (w != NULL)
                *w = (unsigned)d[off + 7] << 8 | d[off + 8];
        } else if (m == 0xda) { /* SOS: the one scan */
            if (!sof)
                return 0;
            off += 2 + seg;
            break;
        } else if (m != 0xdb && m != 0xc4 && m != 0xdd) { /* DQT, DHT, DRI */
            return 0;
        }
        off += 2 + seg;
    }
    /* Entropy-coded data: 0xFF only as FF00 (stuffing) or a restart marker, up to EOI at the end.
     */
    for (; off < len; off++) {
        if (d[off] != 0xff)
            continue;
        if (off + 1 >= len)
            return 0;
        if (d[off + 1] == 0x00 || (d[off + 1] >= 0xd0 && d[off + 1] <= 0xd7)) {
            off++;
            continue;
        }
        return d[off + 1] == 0xd9 && off + 2 == len;
    }
    return 0;
}

int img_check_written(const unsigned char *data, size_t len, img_format fmt, unsigned *w,
                      unsigned *h)
{
    if (w != NULL)
        *w = 0;
    if (h != NULL)
        *h = 0;
    if (data == NULL)
        return 0;
    if (fmt == IMG_PNG)
        return png_written(data, len, w, h);
    if (fmt == IMG_JPEG)
        return jpeg_written(data, len, w, h);
    return 0;
}
