/*
 * place.c - where a visible signature's stamp goes on its page: at a
 * rectangle the caller gives, or at and below a marker text (BSrE's
 * tag_koordinat) with its top edge at the marker's top, within the page;
 * on pages shown turned (/Rotate, ISO 32000-1 §7.7.3.3) as the page shows;
 * and whether it covers text already on the page (the glyph boxes of
 * marker.c), which the signer is told about.
 */
#include <stdio.h>
#include <string.h>

#include "pdf/pdf_int.h"

#define DEFAULT_W 220
#define DEFAULT_H 80

/* A /Rotate value as 0, 90, 180 or 270 (clockwise, as displayed); anything else is 0. */
static int rotation_of(pdf_doc *d, const pdf_obj *v)
{
    int64_t r;

    v = pdf_resolve(d, v);
    if (v == NULL || v->type != PDF_INT || v->u.integer % 90 != 0)
        return 0;
    r = v->u.integer % 360;
    return (int)(r < 0 ? r + 360 : r);
}

/* The page's MediaBox as llx, lly, urx, ury (US Letter when missing or damaged). */
static void page_box(pdf_doc *d, const pdf_page *pg, double box[4])
{
    const pdf_obj *mb = pdf_as_array(d, pg->mediabox);
    size_t i;

    box[0] = box[1] = 0;
    box[2] = 612;
    box[3] = 792;
    if (mb == NULL || mb->u.arr.n != 4)
        return;
    for (i = 0; i < 4; i++) {
        double v = pdf_num(pdf_resolve(d, mb->u.arr.items[i]));
        if (!(v >= -1e7 && v <= 1e7)) { /* beyond any page (or not a number): the default */
            box[0] = box[1] = 0;
            box[2] = 612;
            box[3] = 792;
            return;
        }
        box[i] = v;
    }
    if (box[0] > box[2]) {
        double t = box[0];
        box[0] = box[2];
        box[2] = t;
    }
    if (box[1] > box[3]) {
        double t = box[1];
        box[1] = box[3];
        box[3] = t;
    }
}

/*
 * Where user-space point x, y of a page with rotation r and box shows, in
 * the coordinates of the page as displayed (origin at its lower left, x to
 * the right, y up). r == 0: unchanged (user space itself).
 */
static void user_to_shown(int r, const double box[4], double x, double y, double *sx, double *sy)
{
    switch (r) {
    case 90:
        *sx = y - box[1], *sy = box[2] - x;
        break;
    case 180:
        *sx = box[2] - x, *sy = box[3] - y;
        break;
    case 270:
        *sx = box[3] - y, *sy = x - box[0];
        break;
    default:
        *sx = x, *sy = y;
    }
}

/* The user-space rectangle (x, y, w, h) of rectangle in (as displayed) on that page. */
static void shown_to_user_rect(int r, const double box[4], const double in[4], double out[4])
{
    double x = in[0], y = in[1], w = in[2], h = in[3];

    switch (r) {
    case 90:
        out[0] = box[2] - y - h, out[1] = box[1] + x, out[2] = h, out[3] = w;
        break;
    case 180:
        out[0] = box[2] - x - w, out[1] = box[3] - y - h, out[2] = w, out[3] = h;
        break;
    case 270:
        out[0] = box[0] + y, out[1] = box[3] - x - w, out[2] = h, out[3] = w;
        break;
    default:
        memcpy(out, in, 4 * sizeof(double));
    }
}

/* The page as displayed: llx, lly, urx, ury in the coordinates user_to_shown gives. */
static void shown_bounds(int r, const double box[4], double out[4])
{
    double w = box[2] - box[0], h = box[3] - box[1];

    if (r == 0) {
        memcpy(out, box, 4 * sizeof(double));
        return;
    }
    out[0] = out[1] = 0;
    out[2] = r == 180 ? w : h;
    out[3] = r == 180 ? h : w;
}

int pdf_field_rotation(pdf_doc *d, const pdf_obj *wdict)
{
    const pdf_obj *mk = pdf_as_dict(d, pdf_dict_get(wdict, "MK")), *p;
    int depth;

    if (mk != NULL && pdf_dict_get(mk, "R") != NULL)
        return rotation_of(d, pdf_dict_get(mk, "R"));
    /* The page's /Rotate, inherited from the page tree (§7.7.3.4), 32 levels at most. */
    p = pdf_resolve(d, pdf_dict_get(wdict, "P"));
    for (depth = 0; p != NULL && p->type == PDF_DICT && depth < 32; depth++) {
        if (pdf_dict_get(p, "Rotate") != NULL)
            return rotation_of(d, pdf_dict_get(p, "Rotate"));
        p = pdf_resolve(d, pdf_dict_get(p, "Parent"));
    }
    return 0;
}

/*
 * At a marker: the marker's box as the page shows it; the stamp's left
 * edge at the marker's left, its top at the marker's top, its width and
 * height as asked; moved left (never right of the page) when it would
 * cross the page's right edge. No room below the marker is an error: the
 * stamp is not moved up over the text above it.
 */
static int at_marker(const pdf_sign_opts *o, const pdf_marker_pos *pos, int r, const double box[4],
                     pdf_placement *pl, double shown[4], sertel_err *err)
{
    double b[4], x1, y1, x2, y2;

    memcpy(pl->marker, pos->box, sizeof(pl->marker));
    user_to_shown(r, box, pos->box[0], pos->box[1], &x1, &y1);
    user_to_shown(r, box, pos->box[2], pos->box[3], &x2, &y2);
    shown_bounds(r, box, b);
    shown[2] = o->rect[2] > 0 ? o->rect[2] : DEFAULT_W;
    shown[3] = o->rect[3] > 0 ? o->rect[3] : DEFAULT_H;
    shown[0] = x1 < x2 ? x1 : x2;
    shown[1] = (y1 > y2 ? y1 : y2) - shown[3];
    if (shown[2] > b[2] - b[0])
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the stamp (%.0f points wide) is wider than page %zu (%.0f): give "
                              "a smaller --size",
                              shown[2], pl->page, b[2] - b[0]);
    if (shown[0] + shown[2] > b[2])
        shown[0] = b[2] - shown[2];
    if (shown[0] < b[0])
        shown[0] = b[0];
    if (shown[1] < b[1] || shown[1] + shown[3] > b[3])
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "there is no room for a stamp %.0f points high below the marker "
                              "'%s' on page %zu (%.0f points to the page's edge): give a smaller "
                              "--size, or move the marker up in the document",
                              shown[3], o->marker, pl->page,
                              shown[1] + shown[3] - b[1] > 0 ? shown[1] + shown[3] - b[1] : 0);
    return SERTEL_OK;
}

/* Tell the signer when the stamp covers text already on its page (through o->note). */
static int check_overlap(pdf_doc *d, const pdf_sign_opts *o, const pdf_placement *pl,
                         sertel_err *err)
{
    double r[4] = {pl->rect[0], pl->rect[1], pl->rect[0] + pl->rect[2], pl->rect[1] + pl->rect[3]};
    char sample[64], msg[320];
    size_t n = 0;
    int rc;

    if (o->note == NULL)
        return SERTEL_OK;
    rc = pdf_text_overlap(d, pl->page, r, o->marker != NULL ? pl->marker : NULL, &n, sample,
                          sizeof(sample), err);
    if (rc != SERTEL_OK || n == 0)
        return rc;
    snprintf(msg, sizeof(msg),
             "the stamp on page %zu covers %zu character%s of the page's text (\"%s%s\"): choose "
             "another place (--rect, or a marker with room below it)",
             pl->page, n, n == 1 ? "" : "s", sample, n > 20 ? "..." : "");
    o->note(o->note_arg, msg);
    return SERTEL_OK;
}

int pdf_place_stamp(pdf_doc *d, const pdf_sign_opts *o, size_t page, pdf_placement *pl,
                    sertel_err *err)
{
    pdf_marker_pos pos;
    pdf_page pg;
    double box[4], shown[4];
    int rc, r;

    memset(pl, 0, sizeof(*pl));
    if (o->marker != NULL) {
        rc = pdf_find_marker_at(d, o->marker, page, &pos, err);
        if (rc != SERTEL_OK)
            return rc;
        page = pos.page;
    }
    pl->page = page;
    if ((rc = pdf_page_get(d, page, &pg, err)) != SERTEL_OK)
        return rc;
    r = rotation_of(d, pg.rotate);
    page_box(d, &pg, box);
    if (o->marker != NULL) {
        rc = at_marker(o, &pos, r, box, pl, shown, err);
        if (rc != SERTEL_OK)
            return rc;
    } else {
        memcpy(shown, o->rect, sizeof(shown));
    }
    pl->rot = r;
    shown_to_user_rect(r, box, shown, pl->rect);
    return check_overlap(d, o, pl, err);
}
