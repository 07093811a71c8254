/*
 * img.h - PNG and JPEG images decoded to pixels and written again, with
 * Debian's libpng and libjpeg(-turbo): the one place sertel decodes
 * images. Used by the stamp's signature image (pdf/image.c) and by the
 * e-KTP upload (ra/upload_image.c): both store only what they wrote
 * themselves from pixels, so nothing of the original file but its pixels
 * survives (no comments, text chunks, EXIF, ICC profiles, thumbnails or
 * data after the end of the image).
 *
 * Decoding bounds the width, the height and the pixel count before any
 * pixel memory is allocated, decodes every row (a damaged or truncated file
 * is refused, also on a libjpeg warning), never prints and never exits;
 * libpng's and libjpeg's errors come back through setjmp/longjmp handlers.
 * The EXIF Orientation (CIPA DC-008 tag 0x0112, from a JPEG's APP1 "Exif"
 * segment or a PNG's eXIf chunk) is reported, not applied; img_encode can
 * apply it.
 *
 * Thread safety: no shared state; concurrent calls on different images are
 * safe.
 */
#ifndef SERTEL_IMG_H
#define SERTEL_IMG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef enum img_format { IMG_NONE = 0, IMG_PNG = 1, IMG_JPEG = 2 } img_format;

/* Why img_decode refused an image (img.fault). */
typedef enum img_fault {
    IMG_FAULT_NONE = 0,
    IMG_FAULT_FORMAT,    /* neither PNG nor JPEG */
    IMG_FAULT_TOO_LARGE, /* width, height or pixel count over the limits (img.width/height say) */
    IMG_FAULT_DAMAGED,   /* the decoder failed or warned (img.detail says why) */
    IMG_FAULT_NOMEM
} img_fault;

/* Bounds on what img_decode accepts. */
typedef struct img_limits {
    unsigned max_side;   /* largest width or height, in pixels */
    uint64_t max_pixels; /* largest width x height */
} img_limits;

#define IMG_DETAIL_MAX 200

/*
 * A decoded image. pix holds width x height x channels bytes, 8 bits a
 * sample, rows from the top, no padding: channels 1 gray, 2 gray + alpha,
 * 3 RGB, 4 RGBA, or with cmyk set 4 CMYK as the JPEG stores it (inverted
 * when adobe is set: Adobe's convention). orientation is the EXIF
 * Orientation (1 upright .. 8); width and height are those of the samples,
 * before it is applied. Free with img_free.
 *
 * After a failed img_decode, pix is NULL and fault and detail say why;
 * width and height are the declared size when the header was read (for
 * IMG_FAULT_TOO_LARGE).
 */
typedef struct img_pixels {
    img_format format;
    unsigned width, height;
    int channels;
    int cmyk;
    int adobe;
    int orientation;
    unsigned char *pix;
    img_fault fault;
    char detail[IMG_DETAIL_MAX]; /* the decoder's words, e.g. "Premature end of JPEG file" */
} img_pixels;

/* IMG_PNG or IMG_JPEG by the signature at data[0], IMG_NONE otherwise. */
img_format img_sniff(const unsigned char *data, size_t len);

/*
 * Decode a PNG (every colour type and bit depth, interlaced or not; to 8
 * bits, palettes to RGB, tRNS to alpha) or a JPEG (baseline, progressive or
 * arithmetic-coded, 8-bit; gray, YCbCr/RGB to RGB, CMYK/YCCK to CMYK) from
 * data (borrowed, len bytes) into out. A progressive JPEG of more than 256
 * scans is refused (it costs time, not bytes). PNG text, ICC and other
 * ancillary chunks are skipped unread, except tRNS and eXIf.
 *
 * Returns SERTEL_OK; SERTEL_ERR_INVALID (out->fault FORMAT, TOO_LARGE or
 * DAMAGED; err says what in a sentence that names the format); or
 * SERTEL_ERR_NOMEM. On failure out->pix is NULL. err may be NULL.
 */
int img_decode(const unsigned char *data, size_t len, const img_limits *lim, img_pixels *out,
               sertel_err *err) SERTEL_WUR SERTEL_NONNULL(3, 4);

/*
 * Write im as a new PNG or JPEG file in memory (*out malloc'ed, caller
 * frees with free(); *out_len its length), turned upright by orientation
 * (1..8 as in EXIF; 1 keeps the samples as they are, any other value out of
 * range counts as 1): the output's width and height are swapped for 5..8.
 * The file holds only what the format needs: PNG signature, IHDR, IDAT,
 * IEND; JPEG SOI, a JFIF (or, for CMYK, Adobe) marker, tables, frame and
 * scan, EOI.
 *
 * fmt IMG_PNG: channels 1..4 without cmyk; level is the zlib level 0..9.
 * fmt IMG_JPEG: channels 1, 3 or 4 with cmyk (written with an Adobe marker,
 * so in Adobe's inverted convention: samples without adobe set are
 * inverted on the way); quality 1..100 (libjpeg's scale).
 * Returns SERTEL_OK, SERTEL_ERR_INTERNAL for a combination not listed
 * here, SERTEL_ERR_NOMEM, SERTEL_ERR_INVALID when the encoder fails.
 */
int img_encode(const img_pixels *im, int orientation, img_format fmt, int quality_or_level,
               unsigned char **out, size_t *out_len, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 5, 6);

/*
 * The Orientation (1..8) in IFD0 of the TIFF structure tiff[0..len) (CIPA
 * DC-008 §4.5.4, TIFF 6.0 §2): 1 (upright) when it is missing, malformed or
 * out of range. Reads only inside the buffer; one IFD, no links followed.
 */
int img_exif_orientation(const unsigned char *tiff, size_t len);

/*
 * 1 when data[0..len) is laid out exactly as img_encode writes a file of
 * format fmt, else 0, without decoding anything: PNG signature, IHDR,
 * IDAT chunks, IEND and nothing after it; or JPEG SOI, then only JFIF
 * APP0, Adobe APP14, DQT, SOF0, DHT and DRI segments, one SOS, its
 * entropy-coded data, and EOI as the last two bytes. No comment, text,
 * metadata or profile segment, no second scan, no trailing bytes. *w and
 * *h (may be NULL) receive the frame's size. For a caller that receives an
 * image another process wrote (a sandboxed worker, lib/ra/upload_job.c):
 * whatever that process was made to do, what is stored carries only
 * image data. Reads only inside the buffer; linear in len.
 */
int img_check_written(const unsigned char *data, size_t len, img_format fmt, unsigned *w,
                      unsigned *h);

/* Free the pixels and empty the image. NULL-safe. */
void img_free(img_pixels *im);

#endif
