/*
 * sign.c - PAdES signing by incremental update (ISO 32000-1 §7.5.6,
 * §12.7.4.5 signature fields, §12.8 digital signatures; ETSI EN 319 142-1
 * baseline B-B and B-T and the document time-stamp of B-LTA; certification
 * signatures with DocMDP, §12.8.2.2; ../shared/docs/PDF-SIGNING.md).
 *
 * A signature revision is planned once (plan_*: the options as they
 * apply, the field, the stamp's place, what the certification permits,
 * the field's name), then written (write_*) around a /Contents of the
 * reserved size: the signature dictionary (/ByteRange with a fixed
 * 64-character placeholder, wide enough for any 64-bit offset), the field
 * and widget (a new one, merged, or the empty field named), the page's
 * /Annots, the stamp's objects (stamp.c), the AcroForm and the catalog
 * where they change, and the cross-reference section (update.c).
 *
 * /Contents is reserved from an estimate: the signature made over a dummy
 * digest, plus room for a time-stamp token (what the TSA answered before,
 * else CMS_TST_RESERVE), so the TSA is asked once per signature. Should the
 * real signature not fit, the revision is written again around its real
 * size and signed again, once.
 *
 * Streaming: the original bytes are copied to the output in 1 MiB blocks
 * and hashed as they pass; only the update is held in memory. The output
 * is an fs_output (util/fs.h): a regular file is a temporary, fsync'ed and
 * renamed into place (a failure leaves no file); a device, FIFO or stdout
 * is written into, after a hashing pass, once the signature is known.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"
#include "util/check.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/text.h"

#define BR_WIDTH 64         /* "0 a b c" with three 20-digit numbers fits in 63 */
#define CONTENTS_MARGIN 64  /* what varies between two signatures (an ECDSA value) */
#define TST_MARGIN 192      /* and between two time-stamps (serial, time, nonce) */
#define MAX_TEXT_ENTRY 4096 /* /Reason, /Location, /ContactInfo, /Name */

/* A signature (or document time-stamp) revision as decided before it is written. */
typedef struct sig_plan {
    pdf_sign_opts o; /* the options as they apply: the page, a field's rectangle, the stamp */
    int doc_ts;
    time_t now;
    const pdf_obj *cat;
    uint32_t catnum;
    uint16_t catgen;
    const pdf_obj *af_ref, *af, *fields; /* the AcroForm (reference and dictionary), /Fields */
    int existing;                        /* signing into the empty field ef */
    pdf_sigfield ef;
    pdf_page page; /* of a new field's widget */
    int rot;       /* the stamp turns with a page shown turned */
    char name[64]; /* a new field's name */
} sig_plan;

/* The numbers of the objects one revision writes. */
typedef struct sig_nums {
    uint32_t sig, wid;
    pdf_stamp_objs stamp;
} sig_nums;

/* --- the plan --- */

/* The document's form and catalog, and the empty field named by o->field if there is one. */
static int plan_form(pdf_doc *d, sig_plan *p, sertel_err *err)
{
    int rc;

    if (d->encrypted && d->crypt == NULL)
        return sertel_err_set(err, SERTEL_ERR_DENIED, "the PDF is encrypted and was not opened");
    if ((rc = pdf_catalog(d, &p->cat, &p->catnum, &p->catgen, err)) != SERTEL_OK)
        return rc;
    p->af_ref = pdf_dict_get(p->cat, "AcroForm");
    p->af = pdf_as_dict(d, p->af_ref);
    p->fields = pdf_as_array(d, pdf_dict_get(p->af, "Fields"));
    if (p->o.field == NULL || p->doc_ts)
        return SERTEL_OK;
    /* An empty signature field of that name is signed into (§12.7.5.5). */
    if (strlen(p->o.field) >= 200)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "field name must be under 200 bytes");
    rc = pdf_field_find(d, p->fields, p->o.field, &p->ef, err);
    if (rc == SERTEL_ERR_NOTFOUND)
        return SERTEL_OK;
    if (rc != SERTEL_OK)
        return rc;
    p->existing = 1;
    if (p->ef.num == p->catnum || p->ef.wnum == p->catnum ||
        (p->af_ref != NULL && p->af_ref->type == PDF_REF &&
         (p->af_ref->u.ref.num == p->ef.num || p->af_ref->u.ref.num == p->ef.wnum)))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "damaged PDF: signature field %s is the catalog or the form",
                              p->o.field);
    /* The field's own rectangle decides where the stamp goes; an empty one is invisible. */
    if (p->o.marker != NULL || p->o.visible)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "signature field %s has its own place on the page: leave out "
                              "--visible, --rect and --marker",
                              p->o.field);
    p->o.visible = p->ef.rect[2] >= 1 && p->ef.rect[3] >= 1;
    memcpy(p->o.rect, p->ef.rect, sizeof(p->o.rect));
    /* (A QR text is a default of the caller's and does not make a field visible.) */
    if (!p->o.visible && (p->o.image != NULL || p->o.footer))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "signature field %s is invisible (no rectangle on a page): a "
                              "stamp image or footer needs a visible field",
                              p->o.field);
    return SERTEL_OK;
}

/* The texts of the signature dictionary: bounded and valid UTF-8. */
static int plan_texts(const sig_plan *p, sertel_err *err)
{
    const char *keys[] = {"Reason", "Location", "ContactInfo", "Name"};
    const char *vals[] = {p->o.reason, p->o.location, p->o.contact, p->o.name};
    size_t i;

    for (i = 0; i < 4 && !p->doc_ts; i++) {
        if (vals[i] == NULL)
            continue;
        if (strlen(vals[i]) > MAX_TEXT_ENTRY)
            return sertel_err_set(err, SERTEL_ERR_INVALID, "/%s is longer than %d bytes", keys[i],
                                  MAX_TEXT_ENTRY);
        if (!text_utf8_valid((const unsigned char *)vals[i], strlen(vals[i]), NULL))
            return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not valid UTF-8", keys[i]);
    }
    return SERTEL_OK;
}

/*
 * What a certification permits (ISO 32000-1 §12.8.2.2.2; pyHanko's and
 * sertel's validators): document time-stamps always; at P=1 no signature;
 * at P=2 signing an existing empty field; at P=3 also a new invisible
 * field. A new visible field after a certification is refused at every P.
 */
static int plan_permissions(pdf_doc *d, const sig_plan *p, sertel_err *err)
{
    char names[256];
    int mdp;

    if (p->o.certify < 0 || p->o.certify > 3)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "certification permission must be 1, 2 or 3 (DocMDP P)");
    if (p->doc_ts)
        return SERTEL_OK;
    mdp = pdf_docmdp(d);
    if (p->o.certify != 0 && (mdp != 0 || pdf_fields_signed(d, p->fields)))
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "the document is already signed or certified: a certification "
                              "signature (--certify) must be the first signature");
    if (mdp == 1)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "the document is certified with no changes allowed (DocMDP P=1): "
                              "another signature would break its certification");
    if (mdp == 0 || p->existing)
        return SERTEL_OK;
    if (mdp == 2) {
        size_t n = pdf_fields_empty_sig(d, p->fields, names, sizeof(names));
        if (n == 0)
            return sertel_err_set(err, SERTEL_ERR_DENIED,
                                  "the document is certified for form filling and signing "
                                  "(DocMDP P=2), which permits signing its empty signature "
                                  "fields only, and it has none: another signature would break "
                                  "its certification");
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "the document is certified for form filling and signing (DocMDP "
                              "P=2), which permits signing its empty signature fields only: "
                              "give --field with one of them (%s)",
                              names);
    }
    if (p->o.visible)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "the document is certified (DocMDP P=%d): a new visible signature "
                              "field would be refused by validators (it could show other "
                              "content); sign invisibly, or into an empty signature field "
                              "(--field NAME)",
                              mdp);
    return SERTEL_OK;
}

/* A new field's name: the one asked for, else "Signature<n>" / "DocTimeStamp<n>", unique. */
static int plan_name(pdf_doc *d, sig_plan *p, sertel_err *err)
{
    unsigned k = 1;

    if (p->existing)
        return SERTEL_OK; /* the field keeps its /T */
    if (p->o.field != NULL && !p->doc_ts) {
        if (strlen(p->o.field) >= sizeof(p->name) || strchr(p->o.field, '.') != NULL)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "field name must be under 64 bytes and contain no '.'");
        if (pdf_field_name_taken(d, p->fields, p->o.field))
            return sertel_err_set(err, SERTEL_ERR_EXISTS,
                                  "the document already has a field named %s", p->o.field);
        snprintf(p->name, sizeof(p->name), "%s", p->o.field);
        return SERTEL_OK;
    }
    do {
        snprintf(p->name, sizeof(p->name), "%s%u", p->doc_ts ? "DocTimeStamp" : "Signature", k);
    } while (pdf_field_name_taken(d, p->fields, p->name) && ++k < 1000);
    return SERTEL_OK;
}

/* The page and the stamp's place: a field's own, a rectangle, or a marker (place.c). */
static int plan_place(pdf_doc *d, sig_plan *p, sertel_err *err)
{
    size_t page = p->o.page, count = 0;
    pdf_placement pl;
    int rc;

    if (p->doc_ts) {
        p->o.visible = 0;
        page = 1;
    } else if (page == PDF_PAGE_LAST) {
        if ((rc = pdf_page_count(d, &count, err)) != SERTEL_OK)
            return rc;
        page = count;
    }
    if (p->existing) {
        p->rot = p->o.visible ? pdf_field_rotation(d, p->ef.wdict) : 0;
        return SERTEL_OK;
    }
    if (p->o.visible) {
        if (p->o.marker == NULL && (p->o.rect[2] <= 0 || p->o.rect[3] <= 0))
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "give the stamp's rectangle as X,Y,WIDTH,HEIGHT in points");
        rc = pdf_place_stamp(d, &p->o, p->o.marker != NULL ? page : (page ? page : 1), &pl, err);
        if (rc != SERTEL_OK)
            return rc;
        page = pl.page;
        p->rot = pl.rot;
        memcpy(p->o.rect, pl.rect, sizeof(p->o.rect));
    }
    p->o.page = page ? page : 1;
    return pdf_page_get(d, p->o.page, &p->page, err);
}

static int plan(pdf_doc *d, const pdf_sign_opts *o, int doc_ts, sig_plan *p, sertel_err *err)
{
    int rc;

    memset(p, 0, sizeof(*p));
    p->o = *o;
    p->doc_ts = doc_ts;
    p->now = o->when ? o->when : time(NULL);
    if (doc_ts)
        p->o.field = NULL;
    if ((rc = plan_form(d, p, err)) != SERTEL_OK || (rc = plan_texts(p, err)) != SERTEL_OK ||
        (rc = plan_permissions(d, p, err)) != SERTEL_OK ||
        (rc = plan_place(d, p, err)) != SERTEL_OK || (rc = plan_name(d, p, err)) != SERTEL_OK)
        return rc;
    if (!p->existing && p->page.num == p->catnum)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: the page is the catalog");
    return SERTEL_OK;
}

/* --- writing the revision --- */

static void pdf_date(time_t t, char out[64])
{
    struct tm tm;
    time_t w = t + 7 * 3600; /* WIB */

    gmtime_r(&w, &tm);
    snprintf(out, 64, "D:%04d%02d%02d%02d%02d%02d+07'00'", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A FieldMDP reference (§12.8.2.4) from a signature field's /Lock dictionary. */
static void put_fieldmdp(pdf_buf *b, pdf_doc *d, const pdf_obj *lock)
{
    const pdf_obj *action = pdf_resolve(d, pdf_dict_get(lock, "Action"));
    const pdf_obj *fl = pdf_as_array(d, pdf_dict_get(lock, "Fields"));

    if (action == NULL || action->type != PDF_NAME)
        return;
    pdf_buf_printf(b, "<</Type /SigRef /TransformMethod /FieldMDP /TransformParams "
                      "<</Type /TransformParams /Action ");
    pdf_buf_obj(b, action);
    if (fl != NULL && !pdf_is_name(action, "All")) {
        pdf_buf_put(b, " /Fields ", 9);
        pdf_buf_obj(b, fl);
    }
    pdf_buf_printf(b, " /V /1.2>>>>");
}

/*
 * The signature dictionary (§12.8.1), or a document time-stamp's (/Type
 * /DocTimeStamp /SubFilter /ETSI.RFC3161, no /M: the time is the token's).
 * *br_pos and *lt_pos: where the /ByteRange placeholder and the '<' of
 * /Contents are in u->b.
 */
static void write_sig_dict(pdf_update *u, pdf_doc *d, const sig_plan *p, uint32_t num,
                           size_t contents_hex, size_t *br_pos, size_t *lt_pos)
{
    const char *keys[] = {"Reason", "Location", "ContactInfo", "Name"};
    const char *vals[] = {p->o.reason, p->o.location, p->o.contact, p->o.name};
    const pdf_obj *lock = p->existing ? pdf_as_dict(d, pdf_dict_get(p->ef.dict, "Lock")) : NULL;
    char date[64];
    size_t i;

    pdf_upd_begin(u, num, 0);
    if (p->doc_ts)
        pdf_buf_printf(&u->b, "<</Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter "
                              "/ETSI.RFC3161\n/ByteRange [");
    else
        pdf_buf_printf(&u->b, "<</Type /Sig /Filter /Adobe.PPKLite /SubFilter "
                              "/ETSI.CAdES.detached\n/ByteRange [");
    *br_pos = u->b.len;
    for (i = 0; i < BR_WIDTH; i++)
        pdf_buf_put(&u->b, " ", 1);
    pdf_buf_put(&u->b, "]\n/Contents ", 11);
    *lt_pos = u->b.len;
    pdf_buf_put(&u->b, "<", 1);
    for (i = 0; i < contents_hex; i++)
        pdf_buf_put(&u->b, "0", 1);
    pdf_buf_put(&u->b, ">", 1);
    if (!p->doc_ts) {
        pdf_date(p->now, date);
        pdf_buf_printf(&u->b, "\n/M (%s)", date);
    }
    /* Transforms: DocMDP for a certification, FieldMDP for a field's /Lock. */
    if (p->o.certify != 0 || lock != NULL) {
        pdf_buf_put(&u->b, "\n/Reference [", 13);
        if (p->o.certify != 0)
            pdf_buf_printf(&u->b,
                           "<</Type /SigRef /TransformMethod /DocMDP /TransformParams "
                           "<</Type /TransformParams /P %d /V /1.2>>>>",
                           p->o.certify);
        if (lock != NULL)
            put_fieldmdp(&u->b, d, lock);
        pdf_buf_put(&u->b, "]", 1);
    }
    for (i = 0; i < 4 && !p->doc_ts; i++) {
        if (vals[i] == NULL)
            continue;
        pdf_buf_printf(&u->b, " /%s ", keys[i]);
        (void)pdf_put_text(&u->b, vals[i]); /* checked by plan_texts */
    }
    pdf_buf_put(&u->b, ">>", 2);
    pdf_upd_track(u, br_pos);
    pdf_upd_track(u, lt_pos);
    pdf_upd_end(u);
}

/* An empty field signed: the field gets /V, its widget the appearance (one object if merged). */
static void write_existing_field(pdf_update *u, const sig_plan *p, const sig_nums *n)
{
    static const char *const skip[] = {"V", "AP", "AS", NULL};
    const pdf_sigfield *ef = &p->ef;

    pdf_upd_begin(u, ef->num, ef->gen);
    pdf_buf_put(&u->b, "<<", 2);
    pdf_put_dict_except(&u->b, ef->dict, skip);
    pdf_buf_printf(&u->b, "/V %u 0 R", n->sig);
    if (p->o.visible && ef->wnum == ef->num)
        pdf_buf_printf(&u->b, " /AP <</N %u 0 R>>", n->stamp.ap);
    pdf_buf_put(&u->b, ">>", 2);
    pdf_upd_end(u);
    if (ef->wnum == ef->num)
        return;
    /* The widget repeats /V: poppler and MuPDF read a signature's value from the widget. */
    pdf_upd_begin(u, ef->wnum, ef->wgen);
    pdf_buf_put(&u->b, "<<", 2);
    pdf_put_dict_except(&u->b, ef->wdict, skip);
    pdf_buf_printf(&u->b, "/V %u 0 R", n->sig);
    if (p->o.visible)
        pdf_buf_printf(&u->b, " /AP <</N %u 0 R>>", n->stamp.ap);
    pdf_buf_put(&u->b, ">>", 2);
    pdf_upd_end(u);
}

/* A new field merged with its widget (§12.5.6.19, §12.7.4.5); invisible: an empty /Rect. */
static void write_new_field(pdf_update *u, const sig_plan *p, const sig_nums *n)
{
    const double *r = p->o.rect;

    pdf_upd_begin(u, n->wid, 0);
    pdf_buf_printf(&u->b, "<</Type /Annot /Subtype /Widget /FT /Sig /T ");
    (void)pdf_put_text(&u->b, p->name);
    pdf_buf_printf(&u->b, " /V %u 0 R /F 132 /P %u %u R", n->sig, p->page.num,
                   (unsigned)p->page.gen);
    if (!p->o.visible) {
        pdf_buf_put(&u->b, " /Rect [0 0 0 0]>>", 18);
    } else {
        pdf_buf_printf(&u->b, " /Rect [%.2f %.2f %.2f %.2f] /AP <</N %u 0 R>>", r[0], r[1],
                       r[0] + r[2], r[1] + r[3], n->stamp.ap);
        if (p->rot != 0)
            pdf_buf_printf(&u->b, " /MK <</R %d>>", p->rot);
        pdf_buf_put(&u->b, ">>", 2);
    }
    pdf_upd_end(u);
}

/* The page's /Annots with the new widget: a new version of the array object, or of the page. */
static void write_annots(pdf_update *u, pdf_doc *d, const sig_plan *p, const sig_nums *n)
{
    static const char *const skip[] = {"Annots", NULL};
    const pdf_obj *annots = pdf_dict_get(p->page.dict, "Annots");

    if (annots != NULL && annots->type == PDF_REF && pdf_as_array(d, annots) != NULL &&
        annots->u.ref.num != p->catnum && annots->u.ref.num != p->page.num) {
        pdf_upd_begin(u, annots->u.ref.num, annots->u.ref.gen);
        pdf_put_items_plus(&u->b, pdf_as_array(d, annots), n->wid);
        pdf_upd_end(u);
        return;
    }
    pdf_upd_begin(u, p->page.num, p->page.gen);
    pdf_buf_put(&u->b, "<<", 2);
    pdf_put_dict_except(&u->b, p->page.dict, skip);
    pdf_buf_put(&u->b, "/Annots ", 8);
    pdf_put_items_plus(&u->b, pdf_as_array(d, annots), n->wid);
    pdf_buf_put(&u->b, ">>", 2);
    pdf_upd_end(u);
}

/* The AcroForm's entries with /Fields (plus the new field) and /SigFlags 3, without << >>. */
static void put_acroform_body(pdf_update *u, const sig_plan *p, const sig_nums *n)
{
    static const char *const skip[] = {"Fields", "SigFlags", NULL};

    pdf_put_dict_except(&u->b, p->af, skip);
    pdf_buf_put(&u->b, "/Fields ", 8);
    pdf_put_items_plus(&u->b, p->fields, p->existing ? 0 : n->wid);
    pdf_buf_put(&u->b, " /SigFlags 3", 12);
}

/* Whether the catalog needs /Extensions /ESIC (PAdES for PDF before 2.0, EN 319 142-1 §5.2). */
static int needs_esic(pdf_doc *d, const sig_plan *p)
{
    return pdf_version(d) < 20 &&
           pdf_dict_get(pdf_as_dict(d, pdf_dict_get(p->cat, "Extensions")), "ESIC") == NULL;
}

/*
 * The AcroForm and the catalog, each only where it changes: a new field
 * extends /Fields, /SigFlags becomes 3, a certification sets /Perms
 * /DocMDP, /Extensions gains /ESIC. An indirect AcroForm gets its own new
 * version; a direct one (or none) makes a new catalog.
 */
static int write_form(pdf_update *u, pdf_doc *d, const sig_plan *p, const sig_nums *n,
                      sertel_err *err)
{
    int af_indirect = p->af != NULL && p->af_ref->type == PDF_REF;
    const pdf_obj *sf = pdf_resolve(d, pdf_dict_get(p->af, "SigFlags"));
    int form_changes = !p->existing || sf == NULL || sf->type != PDF_INT || sf->u.integer != 3;
    int esic = needs_esic(d, p);

    if (af_indirect && form_changes) {
        if (p->af_ref->u.ref.num == p->catnum || p->af_ref->u.ref.num == p->page.num)
            return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: bad /AcroForm");
        pdf_upd_begin(u, p->af_ref->u.ref.num, p->af_ref->u.ref.gen);
        pdf_buf_put(&u->b, "<<", 2);
        put_acroform_body(u, p, n);
        pdf_buf_put(&u->b, ">>", 2);
        pdf_upd_end(u);
    }
    if (!(form_changes && !af_indirect) && p->o.certify == 0 && !esic)
        return SERTEL_OK; /* the catalog stays as it is */
    pdf_upd_begin(u, p->catnum, p->catgen);
    pdf_buf_put(&u->b, "<<", 2);
    {
        static const char *const skip_af[] = {"AcroForm", "Extensions", "Perms", NULL};
        static const char *const skip[] = {"Extensions", "Perms", NULL};
        pdf_put_dict_except(&u->b, p->cat, af_indirect || !form_changes ? skip : skip_af);
    }
    if (p->o.certify != 0) {
        static const char *const pskip[] = {"DocMDP", NULL};
        pdf_buf_put(&u->b, "/Perms <<", 9);
        pdf_put_dict_except(&u->b, pdf_as_dict(d, pdf_dict_get(p->cat, "Perms")), pskip);
        pdf_buf_printf(&u->b, "/DocMDP %u 0 R>>\n", n->sig);
    } else if (pdf_dict_get(p->cat, "Perms") != NULL) {
        pdf_buf_put(&u->b, "/Perms ", 7);
        pdf_buf_obj(&u->b, pdf_dict_get(p->cat, "Perms"));
        pdf_buf_put(&u->b, "\n", 1);
    }
    if (!af_indirect && form_changes) {
        pdf_buf_put(&u->b, "/AcroForm <<", 12);
        put_acroform_body(u, p, n);
        pdf_buf_put(&u->b, ">>\n", 3);
    }
    if (esic) {
        static const char *const eskip[] = {"ESIC", NULL};
        pdf_buf_put(&u->b, "/Extensions <<", 14);
        pdf_put_dict_except(&u->b, pdf_as_dict(d, pdf_dict_get(p->cat, "Extensions")), eskip);
        pdf_buf_put(&u->b, "/ESIC <</BaseVersion /1.7 /ExtensionLevel 1>>>>", 47);
    } else if (pdf_dict_get(p->cat, "Extensions") != NULL) {
        pdf_buf_put(&u->b, "/Extensions ", 12);
        pdf_buf_obj(&u->b, pdf_dict_get(p->cat, "Extensions"));
    }
    pdf_buf_put(&u->b, ">>", 2);
    pdf_upd_end(u);
    return SERTEL_OK;
}

/* The numbers of the revision's new objects. */
static void number_objects(pdf_update *u, const sig_plan *p, sig_nums *n)
{
    memset(n, 0, sizeof(*n));
    n->sig = pdf_upd_alloc(u);
    n->wid = p->existing ? p->ef.wnum : pdf_upd_alloc(u);
    if (!p->o.visible)
        return;
    n->stamp.ap = pdf_upd_alloc(u);
    n->stamp.qr = pdf_upd_alloc(u);
    if (p->o.image != NULL) {
        n->stamp.img = pdf_upd_alloc(u);
        if (p->o.image->alpha != NULL)
            n->stamp.smask = pdf_upd_alloc(u);
    }
}

/*
 * The update of plan p around a /Contents of contents_hex hex digits: its
 * bytes (malloc'ed) with /ByteRange filled and /Contents all zeros, and
 * the offset in the whole output of the '<' of /Contents.
 */
static int build_update(pdf_doc *d, const sig_plan *p, size_t contents_hex,
                        unsigned char **update_out, size_t *update_len, uint64_t *contents_off,
                        sertel_err *err)
{
    pdf_update u;
    sig_nums n;
    size_t br_pos = 0, lt_pos = 0;
    char brs[BR_WIDTH + 1];
    int rc;

    pdf_upd_init(&u, d, err);
    number_objects(&u, p, &n);
    write_sig_dict(&u, d, p, n.sig, contents_hex, &br_pos, &lt_pos);
    if (p->existing) {
        write_existing_field(&u, p, &n);
    } else {
        write_new_field(&u, p, &n);
        write_annots(&u, d, p, &n);
    }
    rc = pdf_upd_status(&u);
    if (rc == SERTEL_OK && p->o.visible)
        rc = pdf_stamp_put(&u, &p->o, p->rot, p->now, &n.stamp, err);
    if (rc == SERTEL_OK)
        rc = write_form(&u, d, p, &n, err);
    if (rc == SERTEL_OK)
        rc = pdf_upd_finish(&u);
    if (rc != SERTEL_OK) {
        pdf_upd_free(&u);
        return rc;
    }
    /* Fill /ByteRange: everything but the /Contents hex string, angle brackets included. */
    {
        uint64_t lt = u.base + lt_pos, gt_end = lt + contents_hex + 2, total = u.base + u.b.len;
        int k = snprintf(brs, sizeof(brs), "0 %llu %llu %llu", (unsigned long long)lt,
                         (unsigned long long)gt_end, (unsigned long long)(total - gt_end));
        SERTEL_ASSERT(k > 0 && k <= BR_WIDTH); /* three 64-bit numbers fit */
        memcpy(u.b.p + br_pos, brs, (size_t)k);
        *contents_off = lt;
    }
    free(u.ents);
    *update_out = (unsigned char *)u.b.p;
    *update_len = u.b.len;
    return SERTEL_OK;
}

int pdf_build_sig_update(pdf_doc *d, const pdf_sign_opts *o, size_t contents_hex,
                         unsigned char **update_out, size_t *update_len, uint64_t *contents_off,
                         sertel_err *err)
{
    sig_plan p;
    int rc = plan(d, o, 0, &p, err);

    return rc != SERTEL_OK
               ? rc
               : build_update(d, &p, contents_hex, update_out, update_len, contents_off, err);
}

int pdf_build_ts_update(pdf_doc *d, size_t contents_hex, unsigned char **update_out,
                        size_t *update_len, uint64_t *contents_off, sertel_err *err)
{
    pdf_sign_opts none;
    sig_plan p;
    int rc;

    memset(&none, 0, sizeof(none));
    rc = plan(d, &none, 1, &p, err);
    return rc != SERTEL_OK
               ? rc
               : build_update(d, &p, contents_hex, update_out, update_len, contents_off, err);
}

/* --- signing --- */

/* /Contents: a CAdES signature, or (docts set) a time-stamp token, over digest. */
static int make_contents(const pdf_sign_opts *o, const cms_tsa *docts, const unsigned char dig[32],
                         unsigned char **der, size_t *der_len, sertel_err *err)
{
    if (docts != NULL)
        return cms_timestamp_digest(docts, dig, der, der_len, err);
    return cms_sign_digest(&o->signer, dig, o->level == PDF_LEVEL_BT ? &o->tsa : NULL, der, der_len,
                           err);
}

/*
 * The hex digits /Contents reserves: a signature over a dummy digest made
 * without its time-stamp (the key is used, the TSA is not), plus room for
 * the token (what this TSA answered before, else CMS_TST_RESERVE), plus
 * margins for what varies between two of them.
 */
static int reserve_contents(const pdf_sign_opts *o, const cms_tsa *docts, size_t *hexlen,
                            sertel_err *err)
{
    const cms_tsa *tsa = docts != NULL ? docts : o->level == PDF_LEVEL_BT ? &o->tsa : NULL;
    unsigned char zero[32] = {0}, *der = NULL;
    size_t der_len = 0;
    int rc;

    if (docts == NULL) {
        rc = cms_sign_digest(&o->signer, zero, NULL, &der, &der_len, err);
        if (rc != SERTEL_OK)
            return rc;
        OPENSSL_free(der);
    }
    der_len += CONTENTS_MARGIN;
    if (tsa != NULL) /* (a size beyond any answer cms_tsa_http takes is not believed) */
        der_len += (tsa->token_size > 0 && tsa->token_size <= (256u << 10) ? tsa->token_size
                                                                           : CMS_TST_RESERVE) +
                   TST_MARGIN;
    *hexlen = 2 * der_len;
    return SERTEL_OK;
}

/*
 * Sign (docts NULL) or add a document time-stamp from docts into out,
 * streaming. An output that can be rewound (a temporary file) gets the
 * original while it is hashed, in one pass; a device, FIFO or stdout only
 * once the signature is known to fit, after a hashing pass, so that a
 * start over never leaves stray bytes in it.
 */
static int sign_to(const char *in_path, fs_output *out, const pdf_sign_opts *o,
                   const cms_tsa *docts, sertel_err *err)
{
    pdf_doc *d = NULL;
    sig_plan *p = NULL;
    unsigned char dig[32], *upd = NULL, *der = NULL, *blk = NULL;
    size_t upd_len = 0, der_len = 0, hexlen = 0, k = 0;
    uint64_t lt = 0;
    int rc, attempt, direct = fs_output_can_rewind(out);
    EVP_MD_CTX *md = NULL;
    int with_ts = docts != NULL || o->level == PDF_LEVEL_BT;

    if (docts != NULL && docts->fn == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "a document time-stamp needs a time-stamping authority");
    if (docts == NULL && o->level == PDF_LEVEL_BT && o->tsa.fn == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "B-T needs a time-stamping authority (--tsa URL or a home)");
    if (fs_output_same(out, in_path))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the output must be a new file, not the input itself");
    if ((rc = pdf_open_file_pw(in_path, o->password, &d, err)) != SERTEL_OK)
        return rc;
    blk = malloc(1 << 20);
    md = EVP_MD_CTX_new();
    p = malloc(sizeof(*p));
    if (blk == NULL || md == NULL || p == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = plan(d, o, docts != NULL, p, err)) != SERTEL_OK ||
        (rc = reserve_contents(o, docts, &hexlen, err)) != SERTEL_OK)
        goto out;
    for (attempt = 0;; attempt++) {
        if ((rc = build_update(d, p, hexlen, &upd, &upd_len, &lt, err)) != SERTEL_OK)
            goto out;
        if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
            rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot hash the document");
            goto out;
        }
        if (direct && attempt > 0 && (rc = fs_output_rewind(out, err)) != SERTEL_OK)
            goto out;
        /* Hash (and copy) the original revision(s): all of it lies before /Contents. */
        if ((rc = pdf_copy_original(d, in_path, direct ? out : NULL, md, blk, err)) != SERTEL_OK)
            goto out;
        k = (size_t)(lt - d->len);
        if (!EVP_DigestUpdate(md, upd, k) ||
            !EVP_DigestUpdate(md, upd + k + hexlen + 2, upd_len - (k + hexlen + 2)) ||
            !EVP_DigestFinal_ex(md, dig, NULL)) {
            rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot hash the document");
            goto out;
        }
        if ((rc = make_contents(o, docts, dig, &der, &der_len, err)) != SERTEL_OK)
            goto out;
        if (2 * der_len <= hexlen)
            break;
        if (attempt == 1) {
            rc = sertel_err_set(err, SERTEL_ERR_CRYPTO,
                                "the signature%s grew again (%zu bytes, %zu reserved) after the "
                                "space was sized to it: the time-stamping authority's answers "
                                "vary too much",
                                with_ts ? " with its time-stamp" : "", der_len, hexlen / 2);
            goto out;
        }
        /* Start over with room for the real size; nothing written so far is kept. */
        hexlen = 2 * (der_len + CONTENTS_MARGIN + (with_ts ? TST_MARGIN : 0));
        OPENSSL_free(der);
        der = NULL;
        free(upd);
        upd = NULL;
    }
    if (!direct && (rc = pdf_copy_original(d, in_path, out, NULL, blk, err)) != SERTEL_OK)
        goto out;
    hex_encode(der, der_len, (char *)blk);
    memcpy(upd + k + 1, blk, 2 * der_len);
    rc = fs_output_write(out, upd, upd_len, err);
out:
    free(p);
    free(blk);
    free(upd);
    OPENSSL_free(der);
    EVP_MD_CTX_free(md);
    pdf_close(d);
    return rc;
}

int pdf_sign_to(const char *in_path, fs_output *out, const pdf_sign_opts *o, sertel_err *err)
{
    return sign_to(in_path, out, o, NULL, err);
}

int pdf_sign_file(const char *in_path, const char *out_path, const pdf_sign_opts *o,
                  sertel_err *err)
{
    fs_output *out = NULL;
    int rc = fs_output_open(out_path, 0644, 0, &out, err);

    if (rc != SERTEL_OK)
        return rc;
    return pdf_finish_output(out, sign_to(in_path, out, o, NULL, err), err);
}

int pdf_timestamp_to(const char *in_path, fs_output *out, const char *password, const cms_tsa *tsa,
                     sertel_err *err)
{
    pdf_sign_opts none;

    memset(&none, 0, sizeof(none));
    none.password = password;
    return sign_to(in_path, out, &none, tsa, err);
}

int pdf_timestamp_file_pw(const char *in_path, const char *out_path, const char *password,
                          const cms_tsa *tsa, sertel_err *err)
{
    fs_output *out = NULL;
    int rc = fs_output_open(out_path, 0644, 0, &out, err);

    if (rc != SERTEL_OK)
        return rc;
    return pdf_finish_output(out, pdf_timestamp_to(in_path, out, password, tsa, err), err);
}

int pdf_timestamp_file(const char *in_path, const char *out_path, const cms_tsa *tsa,
                       sertel_err *err)
{
    return pdf_timestamp_file_pw(in_path, out_path, NULL, tsa, err);
}
