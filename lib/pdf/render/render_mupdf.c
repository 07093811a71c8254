/*
 * render_mupdf.c - sertel-render.so: pages of a PDF rendered to grayscale
 * with MuPDF (render.h; ISO 32000-1 §8 graphics, §12.5.5 annotation
 * appearances as pdf_run_page draws them for viewing). Built as a module
 * of its own from Debian's static libmupdf (libmupdf-dev) so that only the
 * validations that compare pages load it.
 *
 * Each document has its own fz_context (MuPDF contexts are not shared
 * between threads without locks). Warnings and errors are not printed:
 * they come back as the message of a failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>

#include "render.h"

#define EXPORT __attribute__((visibility("default")))

struct srender_doc {
    fz_context *ctx;
    fz_stream *stm;
    pdf_document *doc;
};

static void quiet(void *user, const char *msg)
{
    (void)user;
    (void)msg;
}

static void put_err(char *err, size_t cap, const char *what, const char *msg)
{
    if (err != NULL && cap > 0)
        snprintf(err, cap, "%s: %s", what, msg != NULL ? msg : "unknown error");
}

EXPORT int srender_abi(void)
{
    return SRENDER_ABI;
}

EXPORT void srender_close(srender_doc *d)
{
    if (d == NULL)
        return;
    if (d->ctx != NULL) {
        pdf_drop_document(d->ctx, d->doc);
        fz_drop_stream(d->ctx, d->stm);
        fz_drop_context(d->ctx);
    }
    free(d);
}

EXPORT srender_doc *srender_open(const unsigned char *buf, size_t len, const char *password,
                                 size_t store_max, char *err, size_t errcap)
{
    srender_doc *volatile d = calloc(1, sizeof(*d));
    volatile int failed = 0;

    if (d == NULL) {
        put_err(err, errcap, "renderer", "out of memory");
        return NULL;
    }
    d->ctx = fz_new_context(NULL, NULL, store_max);
    if (d->ctx == NULL) {
        free(d);
        put_err(err, errcap, "renderer", "cannot make a MuPDF context (out of memory)");
        return NULL;
    }
    fz_set_warning_callback(d->ctx, quiet, NULL);
    fz_set_error_callback(d->ctx, quiet, NULL);
    fz_try(d->ctx)
    {
        d->stm = fz_open_memory(d->ctx, buf, len);
        d->doc = pdf_open_document_with_stream(d->ctx, d->stm);
        if (pdf_needs_password(d->ctx, d->doc) &&
            !pdf_authenticate_password(d->ctx, d->doc, password != NULL ? password : ""))
            fz_throw(d->ctx, FZ_ERROR_GENERIC, "the password does not open the document");
    }
    fz_catch(d->ctx)
    {
        put_err(err, errcap, "the renderer cannot open the document", fz_caught_message(d->ctx));
        failed = 1;
    }
    if (failed) {
        srender_close(d);
        return NULL;
    }
    return d;
}

EXPORT int srender_count(srender_doc *d)
{
    volatile int n = -1;

    fz_try(d->ctx) n = pdf_count_pages(d->ctx, d->doc);
    fz_catch(d->ctx) n = -1;
    return n;
}

EXPORT void srender_page_free(srender_page *p)
{
    if (p == NULL)
        return;
    free(p->pix);
    memset(p, 0, sizeof(*p));
}

EXPORT int srender_draw(srender_doc *d, int index, float dpi, size_t max_pixels, srender_page *out,
                        char *err, size_t errcap)
{
    fz_context *ctx = d->ctx;
    pdf_page *page = NULL;
    fz_pixmap *pix = NULL;
    fz_device *dev = NULL;
    fz_rect media, r;
    fz_matrix page_ctm, ctm, draw;
    fz_irect box;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    fz_var(page);
    fz_var(pix);
    fz_var(dev);
    fz_try(ctx)
    {
        float zoom = dpi / 72.0f;
        double area;
        int y;

        page = pdf_load_page(ctx, d->doc, index);
        pdf_page_transform(ctx, page, &media, &page_ctm);
        r = fz_transform_rect(media, page_ctm);
        area = (double)(r.x1 - r.x0) * (r.y1 - r.y0) * zoom * zoom;
        if (!(area > 0) || !isfinite(area))
            fz_throw(ctx, FZ_ERROR_GENERIC, "page %d has an empty or invalid size", index + 1);
        if (area > (double)max_pixels)
            zoom *= (float)sqrt((double)max_pixels / area);
        /* pdf_run_page applies the page's own transform: it is given page space to pixels. */
        draw = fz_scale(zoom, zoom);
        ctm = fz_concat(page_ctm, draw);
        box = fz_round_rect(fz_transform_rect(r, draw));
        if ((double)(box.x1 - box.x0) * (box.y1 - box.y0) > (double)max_pixels * 1.05 + 4096)
            fz_throw(ctx, FZ_ERROR_GENERIC, "page %d is too large to render", index + 1);
        pix = fz_new_pixmap_with_bbox(ctx, fz_device_gray(ctx), box, NULL, 0);
        fz_clear_pixmap_with_value(ctx, pix, 255);
        dev = fz_new_draw_device(ctx, fz_identity, pix);
        pdf_run_page(ctx, page, dev, draw, NULL);
        fz_close_device(ctx, dev);
        out->w = fz_pixmap_width(ctx, pix);
        out->h = fz_pixmap_height(ctx, pix);
        out->pix = malloc((size_t)out->w * (size_t)out->h + 1);
        if (out->pix == NULL)
            fz_throw(ctx, FZ_ERROR_MEMORY, "out of memory");
        for (y = 0; y < out->h; y++)
            memcpy(out->pix + (size_t)y * (size_t)out->w,
                   fz_pixmap_samples(ctx, pix) + (size_t)y * (size_t)fz_pixmap_stride(ctx, pix),
                   (size_t)out->w);
        out->m[0] = ctm.a;
        out->m[1] = ctm.b;
        out->m[2] = ctm.c;
        out->m[3] = ctm.d;
        out->m[4] = ctm.e - (float)box.x0;
        out->m[5] = ctm.f - (float)box.y0;
    }
    fz_always(ctx)
    {
        fz_drop_device(ctx, dev);
        fz_drop_pixmap(ctx, pix);
        fz_drop_page(ctx, (fz_page *)page);
    }
    fz_catch(ctx)
    {
        put_err(err, errcap, "the renderer", fz_caught_message(ctx));
        srender_page_free(out);
        rc = -1;
    }
    return rc;
}
