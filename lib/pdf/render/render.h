/*
 * render.h - the interface of sertel's page renderer, sertel-render.so
 * (render_mupdf.c), a module loaded with dlopen by the validator's visual
 * check (lib/pdf/verify_visual.c) only when a document needs it: rendering
 * pulls in MuPDF and its libraries (FreeType, HarfBuzz, OpenJPEG, jbig2dec,
 * libjpeg, zlib, gumbo, mujs), which a `sertel verify` of the usual
 * document must not pay for at start.
 *
 * The module renders pages of a PDF held in memory to 8-bit grayscale
 * (ISO 32000-1 §8 rendering, §12.5.5 annotation appearances included, as
 * a viewer shows them), with the matrix from the page's user space to the
 * pixels, so that the caller can map rectangles (/Rect) onto the image.
 * It opens no file and makes no system call beyond memory allocation: it
 * runs in the validator's confined job process (seccomp). Fonts are
 * MuPDF's built-in ones. One srender_doc is used by one thread at a time.
 */
#ifndef SERTEL_PDF_RENDER_H
#define SERTEL_PDF_RENDER_H

#include <stddef.h>

/* Bumped when any of the declarations below changes. */
#define SRENDER_ABI 1

/* The module's file name, looked for next to the executable, then in SERTEL_RENDER_DIR. */
#define SRENDER_FILE "sertel-render.so"

typedef struct srender_doc srender_doc;

/* One rendered page: w x h gray pixels (0 black, 255 white), row after row. */
typedef struct srender_page {
    unsigned char *pix; /* malloc'ed by the module; free with srender_page_free */
    int w, h;
    /* user space to pixels: px = m[0] x + m[2] y + m[4], py = m[1] x + m[3] y + m[5] */
    double m[6];
} srender_page;

/* The exported functions, resolved by name (dlsym). */
typedef int (*srender_abi_fn)(void);
/*
 * Open buf[0..len) (not copied: it must outlive the document); password
 * may be NULL. store_max bounds MuPDF's cache (bytes). NULL on failure,
 * with a message in err.
 */
typedef srender_doc *(*srender_open_fn)(const unsigned char *buf, size_t len, const char *password,
                                        size_t store_max, char *err, size_t errcap);
/* Number of pages, -1 when the page tree cannot be read. */
typedef int (*srender_count_fn)(srender_doc *d);
/*
 * Render page index (0-based) at dpi; a page that would exceed max_pixels
 * is rendered at the resolution that fits. 0 on success, -1 with a
 * message in err.
 */
typedef int (*srender_draw_fn)(srender_doc *d, int index, float dpi, size_t max_pixels,
                               srender_page *out, char *err, size_t errcap);
typedef void (*srender_page_free_fn)(srender_page *p);
typedef void (*srender_close_fn)(srender_doc *d);

/* The module's definitions of the types above (for its own build; callers use dlsym). */
int srender_abi(void);
srender_doc *srender_open(const unsigned char *buf, size_t len, const char *password,
                          size_t store_max, char *err, size_t errcap);
int srender_count(srender_doc *d);
int srender_draw(srender_doc *d, int index, float dpi, size_t max_pixels, srender_page *out,
                 char *err, size_t errcap);
void srender_page_free(srender_page *p);
void srender_close(srender_doc *d);

#endif
