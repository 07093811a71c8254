/*
 * upload_pdf.c - a recommendation letter carries no active content: the
 * policy over every object of a PDF (see upload.h; ISO 32000-1 §12.6
 * actions, §12.6.3 trigger events, §12.7 interactive forms, §7.11 file
 * specifications and embedded files, §7.7.4 the name dictionary, §12.3.2
 * destinations, §7.4 filters).
 *
 * The file is opened with sertel's PDF reader (lib/pdf), which handles
 * cross-reference streams, object streams, hybrid files, revisions and the
 * standard security handler (an encrypted file is read with the empty user
 * password; one that needs a password is refused). pdf_walk then hands over
 * every object of every revision, each place once: what every
 * cross-reference section lists, what a scan for "N G obj" finds, and
 * every member of every object stream. Names are compared as the reader
 * decoded them, so #xx escapes (/J#61vaScript) change nothing.
 *
 * Refused, wherever they appear, as a dictionary key or as a name value
 * (an action's /S, an annotation's /Subtype, a stream's /Type):
 * JavaScript (/JS, /JavaScript), automatic actions (/AA), /Launch, /URI,
 * /GoToR, /GoToE, /SubmitForm, /ImportData, XFA forms (/XFA), /RichMedia,
 * attached files (/EmbeddedFiles, /EmbeddedFile, /EF, /FileAttachment).
 * An /OpenAction must be a page destination: an array [page /Fit...], or a
 * /GoTo action to one (or to a named destination) with no /Next. Each
 * stream is decoded through its filters without holding the output
 * (pdf_stream_expand) and refused when any stage passes upload_expand_max,
 * or when all streams together pass upload_expand_total. An object a
 * cross-reference section or an object stream lists but that cannot be
 * read is refused too: what sertel cannot read it cannot vouch for.
 *
 * A second net, for parsers that are more lenient than ours: the bytes no
 * object covers (between objects, in the gaps of object streams, and
 * objects our reader refuses but a viewer might accept) are scanned for
 * the same names, #xx escapes decoded. Stream data is not scanned that way
 * (it is compressed or binary, and would match by chance); its objects are
 * found by the header scan.
 *
 * Limitation: inline images inside content streams (BI ... ID ... EI) are
 * not measured; their size is bounded by the content stream's own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf.h"
#include "ra/upload_int.h"
#include "util/hex.h"

#define NAME_MAX_LEN 127

/* Names that make a PDF active, what they are, and what to leave out. */
static const struct active_name {
    const char *name;
    const char *what;
    const char *without;
} active[] = {
    {"JS", "JavaScript", "scripts"},
    {"JavaScript", "JavaScript", "scripts"},
    {"AA", "automatic actions (run when it is opened, a page is shown or a field is used)",
     "scripts and form actions"},
    {"Launch", "an action that starts a program or opens a file", "links and actions"},
    {"URI", "a link to a web address", "links"},
    {"GoToR", "a link to another file", "links"},
    {"GoToE", "a link into an attached file", "attachments and links"},
    {"SubmitForm", "a form that sends data to a server", "form fields"},
    {"ImportData", "an action that imports form data from a file", "form fields"},
    {"XFA", "an XFA form, which can hold scripts", "form fields"},
    {"RichMedia", "rich media (Flash or video)", "embedded media"},
    {"EmbeddedFiles", "attached files", "attachments"},
    {"EmbeddedFile", "an attached file", "attachments"},
    {"EF", "an attached file", "attachments"},
    {"FileAttachment", "a file attachment", "attachments"},
};

#define ADVICE                                                                                     \
    "print the letter to PDF again without %s (open it, choose Print and then \"Save as PDF\" "    \
    "or \"Microsoft Print to PDF\"), and upload the new file"

typedef struct policy {
    const char *what;
    const upload_limits *lim;
    uint64_t work; /* bytes decoded so far, all streams */
    int refused;   /* on_item wrote the applicant's message (not the reader) */
} policy;

static const struct active_name *find_active(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(active) / sizeof(active[0]); i++)
        if (strcmp(name, active[i].name) == 0)
            return &active[i];
    return NULL;
}

/* " in object 12 0 (in object stream 30), revision 2 of 2: an incremental update". */
static void where(const pdf_walk_item *it, char *out, size_t cap)
{
    char rev[96] = "";
    int n;

    if (it->revision == 0)
        snprintf(rev, sizeof(rev), ", which no cross-reference section lists");
    else if (it->revisions > 1)
        snprintf(rev, sizeof(rev), ", revision %u of %u%s", it->revision, it->revisions,
                 it->revision > 1 ? ": an incremental update" : "");
    if (it->kind == PDF_WALK_TRAILER)
        n = snprintf(out, cap, "in the trailer at byte %llu%s", (unsigned long long)it->offset,
                     rev);
    else if (it->kind == PDF_WALK_RAW && it->objstm != 0)
        n = snprintf(out, cap,
                     "at offset %llu of object stream %u, outside any object sertel "
                     "could read",
                     (unsigned long long)it->offset, it->objstm);
    else if (it->kind == PDF_WALK_RAW)
        n = snprintf(out, cap, "at byte %llu, outside any object sertel could read",
                     (unsigned long long)it->offset);
    else if (it->objstm != 0)
        n = snprintf(out, cap, "in object %u %u (in object stream %u)%s", it->num, it->gen,
                     it->objstm, rev);
    else
        n = snprintf(out, cap, "in object %u %u at byte %llu%s", it->num, it->gen,
                     (unsigned long long)it->offset, rev);
    if (n < 0)
        out[0] = '\0';
}

static int refuse_name(const policy *p, const pdf_walk_item *it, const struct active_name *a,
                       const char *as, sertel_err *err)
{
    char at[256];

    where(it, at, sizeof(at));
    return sertel_err_set(err, SERTEL_ERR_INVALID, "%s contains %s (%s /%s %s); " ADVICE, p->what,
                          a->what, as, a->name, at, a->without);
}

/* A destination (§12.3.2.2): [page /XYZ ...] and the other /Fit forms. */
static int is_page_dest(pdf_doc *d, const pdf_obj *o)
{
    static const char *const fits[] = {"XYZ",  "Fit",  "FitH",  "FitV",
                                       "FitR", "FitB", "FitBH", "FitBV"};
    const pdf_obj *page, *fit;
    size_t i;

    o = pdf_resolve(d, o);
    if (o == NULL || o->type != PDF_ARRAY || o->u.arr.n < 2)
        return 0;
    page = o->u.arr.items[0];
    fit = o->u.arr.items[1];
    if (page->type != PDF_REF && page->type != PDF_INT)
        return 0;
    for (i = 0; i < sizeof(fits) / sizeof(fits[0]); i++)
        if (pdf_is_name(fit, fits[i]))
            return 1;
    return 0;
}

/* /OpenAction: a page destination, or a /GoTo to one (or to a named one) with nothing chained. */
static int open_action_ok(pdf_doc *d, const pdf_obj *v)
{
    const pdf_obj *a = pdf_resolve(d, v), *dest;

    if (a == NULL || is_page_dest(d, a))
        return 1;
    if (a->type != PDF_DICT || !pdf_is_name(pdf_resolve(d, pdf_dict_get(a, "S")), "GoTo") ||
        pdf_dict_get(a, "Next") != NULL)
        return 0;
    dest = pdf_resolve(d, pdf_dict_get(a, "D"));
    return dest != NULL &&
           (dest->type == PDF_NAME || dest->type == PDF_STRING || is_page_dest(d, dest));
}

static int check_tree(const policy *p, pdf_doc *d, const pdf_walk_item *it, const pdf_obj *o,
                      int depth, sertel_err *err)
{
    const struct active_name *a;
    size_t i;
    int rc;

    if (o == NULL || depth > PDF_MAX_DEPTH + 1)
        return SERTEL_OK; /* the reader bounds nesting to PDF_MAX_DEPTH */
    switch (o->type) {
    case PDF_NAME:
        if ((a = find_active(o->u.str.p)) != NULL)
            return refuse_name(p, it, a, "the name", err);
        return SERTEL_OK;
    case PDF_ARRAY:
        for (i = 0; i < o->u.arr.n; i++)
            if ((rc = check_tree(p, d, it, o->u.arr.items[i], depth + 1, err)) != SERTEL_OK)
                return rc;
        return SERTEL_OK;
    case PDF_DICT:
    case PDF_STREAM:
        for (i = 0; i < o->u.dict.n; i++) {
            const char *k = o->u.dict.keys[i];
            char at[256];
            if ((a = find_active(k)) != NULL)
                return refuse_name(p, it, a, "the key", err);
            if (strcmp(k, "OpenAction") == 0 && !open_action_ok(d, o->u.dict.vals[i])) {
                where(it, at, sizeof(at));
                return sertel_err_set(err, SERTEL_ERR_INVALID,
                                      "%s runs an action when it is opened (the key /OpenAction "
                                      "%s does not just show a page); " ADVICE,
                                      p->what, at, "actions");
            }
            if ((rc = check_tree(p, d, it, o->u.dict.vals[i], depth + 1, err)) != SERTEL_OK)
                return rc;
        }
        return SERTEL_OK;
    default:
        return SERTEL_OK;
    }
}

static int name_char(unsigned char c)
{
    return !(c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ' || c == '(' ||
             c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' || c == '}' ||
             c == '/' || c == '%');
}

/* The second net: names in bytes no object covers, #xx escapes decoded (§7.3.5). */
static int check_raw(const policy *p, const pdf_walk_item *it, sertel_err *err)
{
    const unsigned char *b = it->raw;
    size_t n = it->raw_len, i = 0;

    while (i < n) {
        const unsigned char *slash = memchr(b + i, '/', n - i);
        char name[NAME_MAX_LEN + 1];
        size_t k = 0, at;
        const struct active_name *a;

        if (slash == NULL)
            break;
        at = (size_t)(slash - b);
        i = at + 1;
        while (i < n && name_char(b[i])) {
            int c = b[i];
            if (c == '#' && i + 2 < n && hex_value(b[i + 1]) >= 0 && hex_value(b[i + 2]) >= 0) {
                c = hex_value(b[i + 1]) << 4 | hex_value(b[i + 2]);
                i += 2;
            }
            if (c == 0) /* a name ends at NUL for the comparison, as for the reader's */
                k = NAME_MAX_LEN + 1;
            if (k < NAME_MAX_LEN)
                name[k++] = (char)c;
            else if (k == NAME_MAX_LEN)
                k = NAME_MAX_LEN + 1; /* too long to be one of ours */
            i++;
        }
        if (k > NAME_MAX_LEN)
            continue;
        name[k] = '\0';
        if ((a = find_active(name)) != NULL) {
            pdf_walk_item at_it = *it;
            at_it.offset += at;
            return refuse_name(p, &at_it, a, "the name", err);
        }
    }
    return SERTEL_OK;
}

static int check_stream(policy *p, pdf_doc *d, const pdf_walk_item *it, sertel_err *err)
{
    uint64_t size = 0, work = 0;
    sertel_err why = {0};
    char at[256];
    int rc;

    rc = pdf_stream_expand(d, it->obj, p->lim->expand_max, &size, &work, &why);
    where(it, at, sizeof(at));
    if (rc == SERTEL_ERR_NOMEM)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "%s", why.msg);
    if (rc != SERTEL_OK)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s cannot be checked: the stream %s: %s; save or print the letter "
                              "to PDF again and upload the new file",
                              p->what, at, why.msg);
    if (size > p->lim->expand_max)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s holds a decompression bomb: the stream %s decodes to more than "
                              "%llu bytes (the limit); " ADVICE,
                              p->what, at, (unsigned long long)p->lim->expand_max,
                              "oversized images (or scan it at 150-300 dpi)");
    p->work += work;
    if (p->work > p->lim->expand_total)
        return sertel_err_set(
            err, SERTEL_ERR_INVALID,
            "%s holds a decompression bomb: its streams decode to more than "
            "%llu bytes together (the limit; the last one counted is %s); " ADVICE,
            p->what, (unsigned long long)p->lim->expand_total, at,
            "oversized images (or scan it at 150-300 dpi)");
    return SERTEL_OK;
}

static int on_item_check(policy *p, pdf_doc *d, const pdf_walk_item *it, sertel_err *err)
{
    char at[256];
    int rc;

    switch (it->kind) {
    case PDF_WALK_OBJECT:
    case PDF_WALK_TRAILER:
        rc = check_tree(p, d, it, it->obj, 0, err);
        if (rc == SERTEL_OK && it->kind == PDF_WALK_OBJECT && it->obj->type == PDF_STREAM)
            rc = check_stream(p, d, it, err);
        return rc;
    case PDF_WALK_BROKEN:
        where(it, at, sizeof(at));
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s is damaged: the object %s cannot be read (%s), so it cannot be "
                              "checked; save or print the letter to PDF again and upload the new "
                              "file",
                              p->what, at, it->why != NULL ? it->why : "unreadable");
    case PDF_WALK_RAW:
        return check_raw(p, it, err);
    }
    return SERTEL_OK;
}

static int on_item(void *ctx, pdf_doc *d, const pdf_walk_item *it, sertel_err *err)
{
    policy *p = ctx;
    int rc = on_item_check(p, d, it, err);

    if (rc != SERTEL_OK)
        p->refused = 1;
    return rc;
}

int upload_pdf_check(const unsigned char *data, size_t len, const upload_limits *lim,
                     const char *what, sertel_err *err)
{
    pdf_doc *d = NULL;
    sertel_err why = {0};
    policy p;
    int rc;

    memset(&p, 0, sizeof(p));
    p.what = what;
    p.lim = lim;
    rc = pdf_open_mem(data, len, &d, &why);
    switch (rc) {
    case SERTEL_OK:
        break;
    case SERTEL_ERR_DENIED:
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s is protected with a password, so sertel cannot check it; save "
                              "or print the letter to PDF again without a password and upload the "
                              "new file",
                              what);
    case SERTEL_ERR_UNSUPPORTED:
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s is encrypted in a way sertel cannot read (%s); save or print the "
                              "letter to PDF again without encryption and upload the new file",
                              what, why.msg);
    case SERTEL_ERR_NOMEM:
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "%s", why.msg);
    default:
        return upload_refuse(err, what, UPLOAD_PDF, "%s", why.msg);
    }
    rc = pdf_walk(d, lim->expand_max, on_item, &p, &why);
    pdf_close(d);
    if (rc == SERTEL_OK)
        return SERTEL_OK;
    if (p.refused || rc != SERTEL_ERR_INVALID)
        return sertel_err_set(err, rc, "%s", why.msg);
    return upload_refuse(err, what, UPLOAD_PDF, "%s", why.msg); /* the reader's own message */
}
