/*
 * verify_report.c - the validation report as JSON (docs/verify-json.md)
 * and as text, Indonesian by default, English with lang "en".
 */
#include <string.h>

#include "pdf/verify_int.h"

static json_t *str_or_null(const char *s)
{
    return s != NULL && s[0] ? json_string(s) : json_null();
}

/* A certificate's validity as BSrE shows it: "<not before> - <not after>", or null. */
static json_t *validity_json(const char *from, const char *to)
{
    char v[96];

    if (from[0] == '\0' || to[0] == '\0')
        return json_null();
    snprintf(v, sizeof(v), "%s - %s", from, to);
    return json_string(v);
}

static json_t *strs(char **a, size_t n)
{
    json_t *arr = json_array();
    size_t i;

    for (i = 0; arr != NULL && i < n; i++)
        json_array_append_new(arr, json_string(a[i]));
    return arr;
}

/* The same strings in Indonesian (verify_id.c). */
static json_t *strs_id(char **a, size_t n)
{
    json_t *arr = json_array();
    char t[1024];
    size_t i;

    for (i = 0; arr != NULL && i < n; i++)
        json_array_append_new(arr, json_string(vfy_text_id(a[i], t, sizeof(t))));
    return arr;
}

/* Every change named: {object, kind, level, permitted, detail, detail_id}. */
/* The visual check of s (verify_visual.c; docs/verify-json.md "visual"). */
static json_t *visual_json(const vfy_sig *s)
{
    json_t *o = json_object(), *pd = json_array();
    size_t k;

    for (k = 0; pd != NULL && k < s->n_visual_differ; k++)
        json_array_append_new(pd, json_integer(s->visual_differ[k]));
    json_object_set_new(o, "checked", json_boolean(s->visual_checked));
    json_object_set_new(o, "pages_compared", json_integer(s->visual_compared));
    json_object_set_new(o, "pages_rendered", json_integer(s->visual_rendered));
    json_object_set_new(o, "pages",
                        s->visual_checked ? json_integer(s->visual_pages) : json_null());
    json_object_set_new(o, "pages_differing", pd);
    json_object_set_new(o, "dpi", s->visual_checked ? json_integer(s->visual_dpi) : json_null());
    return o;
}

static void print_visual(FILE *f, const vfy_sig *s, int en)
{
    size_t k;

    fprintf(f,
            en ? "  Visual check: %d of %d pages compared with the signed revision (%d rendered "
                 "at %d dpi): "
               : "  Pemeriksaan tampilan: %d dari %d halaman dibandingkan dengan revisi yang "
                 "ditandatangani (%d dirender pada %d dpi): ",
            s->visual_compared, s->visual_pages, s->visual_rendered, s->visual_dpi);
    if (s->n_visual_differ == 0) {
        fprintf(f, "%s\n", en ? "no difference" : "tidak ada perbedaan");
        return;
    }
    fprintf(f, "%s ", en ? "pages that look different:" : "halaman yang tampak berbeda:");
    for (k = 0; k < s->n_visual_differ; k++)
        fprintf(f, "%s%d", k ? ", " : "", s->visual_differ[k]);
    fprintf(f, "\n");
}

static json_t *mods_json(const vfy_sig *s)
{
    json_t *arr = json_array();
    char t[1024];
    size_t i;

    for (i = 0; arr != NULL && i < s->n_mods; i++) {
        const vfy_mod *m = &s->mods[i];
        json_t *o =
            json_pack("{s:o, s:s, s:s, s:b, s:s, s:s}", "object",
                      m->object ? json_integer(m->object) : json_null(), "kind", m->kind, "level",
                      vfy_modlevel_name(m->level), "permitted", m->permitted, "detail", m->detail,
                      "detail_id", vfy_text_id(m->detail, t, sizeof(t)));
        if (o != NULL)
            json_array_append_new(arr, o);
    }
    return arr;
}

static const char *integrity_name(const vfy_sig *s)
{
    if (s->integrity)
        return s->modified_after_signing ? "modified" : "valid";
    return strcmp(s->sub_indication, "HASH_FAILURE") == 0         ? "hash_mismatch"
           : strcmp(s->sub_indication, "SIG_CRYPTO_FAILURE") == 0 ? "signature_invalid"
                                                                  : "not_checked";
}

json_t *vfy_report_json(const vfy_report *r, const char *file)
{
    json_t *root = json_object(), *sigs = json_array(), *details = json_array();
    size_t i;
    int all_ok = r->conclusion == VFY_TOTAL_PASSED;

    if (root == NULL || sigs == NULL || details == NULL) {
        json_decref(root);
        json_decref(sigs);
        json_decref(details);
        return NULL;
    }
    json_object_set_new(root, "schema", json_string("sertel-verify/1"));
    json_object_set_new(root, "file", str_or_null(file));
    json_object_set_new(root, "type", json_string(r->detached ? "cms-detached" : "pdf"));
    json_object_set_new(root, "conclusion", json_string(vfy_conclusion_name(r->conclusion)));
    json_object_set_new(root, "sub_indication", str_or_null(r->sub_indication));
    json_object_set_new(root, "revisions", json_integer((json_int_t)r->n_revisions));
    json_object_set_new(root, "validation_time", str_or_null(r->validation_time));
    json_object_set_new(root, "validation_time_given", json_boolean(r->validation_time_given));
    if (r->certification) {
        json_t *cj = json_object();
        json_object_set_new(cj, "permissions", json_integer(r->certification));
        json_object_set_new(root, "certification", cj);
    } else {
        json_object_set_new(root, "certification", json_null());
    }
    json_object_set_new(root, "document_notes", strs(r->notes, r->n_notes));
    json_object_set_new(root, "document_notes_id", strs_id(r->notes, r->n_notes));
    for (i = 0; i < r->n_sigs; i++) {
        const vfy_sig *s = &r->sigs[i];
        json_t *o = json_object(), *signer = json_object(), *ts, *br = json_array(),
               *d = json_object();
        json_t *is = json_object(), *sd = json_object();
        size_t k;

        json_object_set_new(o, "index", json_integer((json_int_t)(i + 1)));
        json_object_set_new(o, "field", str_or_null(s->field));
        json_object_set_new(o, "subfilter", str_or_null(s->subfilter));
        json_object_set_new(o, "document_timestamp", json_boolean(s->doc_timestamp));
        if (s->certification) {
            json_t *cj = json_object();
            json_object_set_new(cj, "permissions", json_integer(s->certification));
            json_object_set_new(o, "certification", cj);
        } else {
            json_object_set_new(o, "certification", json_null());
        }
        json_object_set_new(o, "conclusion", json_string(vfy_conclusion_name(s->conclusion)));
        json_object_set_new(o, "sub_indication", str_or_null(s->sub_indication));
        json_object_set_new(o, "integrity", json_string(integrity_name(s)));
        json_object_set_new(o, "covers_whole_document", json_boolean(s->covers_whole_document));
        json_object_set_new(o, "modified_after_signing", json_boolean(s->modified_after_signing));
        json_object_set_new(o, "changes", strs(s->changes, s->n_changes));
        json_object_set_new(o, "changes_id", strs_id(s->changes, s->n_changes));
        json_object_set_new(o, "harmless_changes", strs(s->harmless, s->n_harmless));
        json_object_set_new(o, "harmless_changes_id", strs_id(s->harmless, s->n_harmless));
        json_object_set_new(o, "modification_level",
                            s->changes_analysed
                                ? json_string(vfy_modlevel_name(s->modification_level))
                                : json_null());
        json_object_set_new(o, "modifications", mods_json(s));
        json_object_set_new(o, "visual", visual_json(s));
        json_object_set_new(signer, "name", str_or_null(s->signer_name));
        json_object_set_new(signer, "subject", str_or_null(s->signer_subject));
        json_object_set_new(signer, "issuer", str_or_null(s->signer_issuer));
        json_object_set_new(signer, "serial", str_or_null(s->signer_serial));
        json_object_set_new(signer, "not_before", str_or_null(s->signer_not_before));
        json_object_set_new(signer, "not_after", str_or_null(s->signer_not_after));
        json_object_set_new(o, "signer", signer);
        json_object_set_new(o, "claimed_signing_time", str_or_null(s->claimed_time));
        if (s->has_timestamp) {
            ts = json_object();
            json_object_set_new(ts, "time", json_string(s->timestamp_time));
            json_object_set_new(ts, "tsa", str_or_null(s->timestamp_tsa));
            json_object_set_new(ts, "tsa_not_before", str_or_null(s->tsa_not_before));
            json_object_set_new(ts, "tsa_not_after", str_or_null(s->tsa_not_after));
        } else {
            ts = json_null();
        }
        json_object_set_new(o, "timestamp", ts);
        json_object_set_new(o, "timestamp_present", json_boolean(s->timestamp_present));
        json_object_set_new(o, "timestamp_unverified_time", str_or_null(s->timestamp_unverified));
        json_object_set_new(o, "level", str_or_null(s->level));
        json_object_set_new(o, "hash_value", str_or_null(s->hash_value));
        json_object_set_new(o, "signature_value", str_or_null(s->signature_value));
        json_object_set_new(o, "certificate_status", str_or_null(s->certificate_status));
        if (s->anchor_sha256[0]) {
            json_t *ta = json_object();
            json_object_set_new(ta, "sha256", json_string(s->anchor_sha256));
            json_object_set_new(ta, "name", str_or_null(s->anchor_name));
            json_object_set_new(ta, "certified", json_boolean(s->anchor_certified));
            json_object_set_new(o, "trust_anchor", ta);
        } else {
            json_object_set_new(o, "trust_anchor", json_null());
        }
        json_object_set_new(o, "certified", json_boolean(s->anchor_certified));
        json_object_set_new(o, "revocation", str_or_null(s->revocation));
        json_object_set_new(o, "revocation_source", str_or_null(s->revocation_source));
        json_object_set_new(o, "revocation_time", str_or_null(s->revocation_time));
        json_object_set_new(o, "revocation_reason", str_or_null(s->revocation_reason));
        json_object_set_new(o, "revocation_invalidity_date", str_or_null(s->revocation_invalidity));
        {
            json_t *cr = json_array();
            size_t j;
            for (j = 0; cr != NULL && j < s->n_chain_rev; j++) {
                const vfy_certrev *e = &s->chain_rev[j];
                json_t *x = json_object();
                if (x == NULL)
                    break;
                json_object_set_new(x, "role", json_string(e->role));
                json_object_set_new(x, "subject", str_or_null(e->subject));
                json_object_set_new(x, "status", json_string(e->status));
                json_object_set_new(x, "source", str_or_null(e->source));
                json_object_set_new(x, "revocation_time", str_or_null(e->time));
                json_object_set_new(x, "revocation_reason", str_or_null(e->reason));
                json_array_append_new(cr, x);
            }
            json_object_set_new(o, "chain_revocation", cr != NULL ? cr : json_null());
        }
        json_object_set_new(o, "reason", str_or_null(s->reason));
        json_object_set_new(o, "location", str_or_null(s->location));
        for (k = 0; k < 4 && s->revision_end > 0; k++)
            json_array_append_new(br, json_integer((json_int_t)s->byterange[k]));
        json_object_set_new(o, "byte_range", br);
        json_object_set_new(o, "reasons", strs(s->reasons, s->n_reasons));
        json_object_set_new(o, "reasons_id", strs_id(s->reasons, s->n_reasons));
        json_array_append_new(sigs, o);

        /* BSrE-compatible detail. */
        json_object_set_new(d, "signature_field", str_or_null(s->field));
        json_object_set_new(is, "signer_name", str_or_null(s->signer_name));
        json_object_set_new(is, "signer_dn", str_or_null(s->signer_subject));
        json_object_set_new(is, "issuer_dn", str_or_null(s->signer_issuer));
        json_object_set_new(is, "serial", str_or_null(s->signer_serial));
        json_object_set_new(is, "cert_user_certified",
                            json_boolean(strcmp(s->certificate_status, "valid") == 0));
        json_object_set_new(is, "signer_cert_validity",
                            validity_json(s->signer_not_before, s->signer_not_after));
        json_object_set_new(d, "info_signer", is);
        if (s->has_timestamp || s->doc_timestamp) {
            json_t *it = json_object();
            json_object_set_new(it, "name", str_or_null(s->timestamp_tsa));
            json_object_set_new(it, "tsa_cert_validity",
                                validity_json(s->tsa_not_before, s->tsa_not_after));
            json_object_set_new(d, "info_tsa", it);
        } else {
            json_object_set_new(d, "info_tsa", json_null());
        }
        json_object_set_new(sd, "signed_in",
                            str_or_null(s->has_timestamp ? s->timestamp_time : s->claimed_time));
        json_object_set_new(sd, "signed_using_tsa", json_boolean(s->has_timestamp));
        json_object_set_new(sd, "document_integrity",
                            json_boolean(s->integrity && !s->modified_after_signing));
        json_object_set_new(sd, "signature_valid", json_boolean(s->conclusion == VFY_TOTAL_PASSED));
        json_object_set_new(sd, "reason", str_or_null(s->reason));
        json_object_set_new(sd, "location", str_or_null(s->location));
        json_object_set_new(sd, "hash_value", str_or_null(s->hash_value));
        json_object_set_new(sd, "signature_value", str_or_null(s->signature_value));
        json_object_set_new(d, "signature_document", sd);
        json_array_append_new(details, d);
    }
    json_object_set_new(root, "signatures", sigs);
    json_object_set_new(root, "summary",
                        json_string(all_ok ? "DOCUMENT VALID !!!" : "DOCUMENT NOT VALID !!!"));
    json_object_set_new(
        root, "notes",
        json_string(r->n_sigs == 0 ? "Dokumen tidak memiliki tanda tangan elektronik"
                    : all_ok       ? "Dokumen valid, tanda tangan elektronik terverifikasi"
                                   : "Dokumen tidak valid atau tanda tangan tidak dapat "
                                     "diverifikasi"));
    json_object_set_new(root, "jumlah_signature", json_integer((json_int_t)r->n_sigs));
    json_object_set_new(root, "details", details);
    return root;
}

typedef struct words {
    const char *sig, *valid, *invalid, *indet, *signer, *issuer, *serial, *claimed, *tstamp, *none,
        *level, *cert, *revoc, *unchanged, *changed, *changes, *harmless, *why, *doc, *nosig,
        *reason, *location, *partial, *field;
} words;

static const words ID = {
    "Tanda tangan",
    "VALID",
    "TIDAK VALID",
    "TIDAK DAPAT DIPASTIKAN",
    "Penanda tangan",
    "Penerbit sertifikat",
    "Nomor seri",
    "Waktu penandatanganan (klaim)",
    "Stempel waktu",
    "tidak ada",
    "Level",
    "Status sertifikat",
    "Pencabutan",
    "Dokumen tidak berubah sejak ditandatangani",
    "Dokumen DIUBAH setelah ditandatangani",
    "Perubahan",
    "Perubahan yang diizinkan",
    "Keterangan",
    "Kesimpulan dokumen",
    "Dokumen tidak memiliki tanda tangan",
    "Alasan penandatanganan",
    "Lokasi",
    "Tanda tangan ini mencakup revisi sebelumnya; revisi berikutnya hanya berisi perubahan yang "
    "diizinkan",
    "Kolom"};
static const words EN = {
    "Signature",
    "VALID",
    "NOT VALID",
    "INDETERMINATE",
    "Signer",
    "Issuer",
    "Serial",
    "Signing time (claimed)",
    "Time-stamp",
    "none",
    "Level",
    "Certificate status",
    "Revocation",
    "The document has not changed since it was signed",
    "The document was CHANGED after signing",
    "Changes",
    "Allowed changes",
    "Notes",
    "Document conclusion",
    "The document has no signatures",
    "Reason",
    "Location",
    "This signature covers an earlier revision; later revisions hold only allowed changes",
    "Field"};

/* A finding in the report's language. */
static const char *say(const words *w, const char *en, char *buf, size_t cap)
{
    return w == &EN ? en : vfy_text_id(en, buf, cap);
}

static const char *cert_status_id(const char *s)
{
    static const char *const map[][2] = {
        {"valid", "valid"},         {"expired", "kedaluwarsa"},
        {"revoked", "DICABUT"},     {"untrusted", "tidak tepercaya"},
        {"invalid", "tidak valid"}, {"unknown", "tidak diketahui"},
    };
    size_t i;

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(s, map[i][0]) == 0)
            return map[i][1];
    return s;
}

void vfy_report_text(const vfy_report *r, const char *file, const char *lang, FILE *f)
{
    vfy_report_text_tz(r, file, lang, NULL, f);
}

void vfy_report_text_tz(const vfy_report *r, const char *file, const char *lang, const char *tz,
                        FILE *f)
{
    const words *w = lang != NULL && strcmp(lang, "en") == 0 ? &EN : &ID;
    size_t i, k;
    char t[1024], z1[64], z2[64];

    if (tz == NULL)
        tz = w == &EN ? "UTC" : "WIB";

    if (file != NULL)
        fprintf(f, "%s\n", file);
    for (i = 0; i < r->n_notes; i++)
        fprintf(f, "! %s\n", say(w, r->notes[i], t, sizeof(t)));
    if (r->n_sigs == 0)
        fprintf(f, "%s\n", w->nosig);
    for (i = 0; i < r->n_sigs; i++) {
        const vfy_sig *s = &r->sigs[i];
        const char *v = s->conclusion == VFY_TOTAL_PASSED    ? w->valid
                        : s->conclusion == VFY_INDETERMINATE ? w->indet
                                                             : w->invalid;
        fprintf(f, "\n%s %zu: %s (%s%s%s)\n", w->sig, i + 1, v, vfy_conclusion_name(s->conclusion),
                s->sub_indication[0] ? " / " : "", s->sub_indication);
        if (s->field[0])
            fprintf(f, "  %s: %s%s\n", w->field, s->field,
                    s->doc_timestamp ? " (DocTimeStamp)" : "");
        if (s->certification) {
            static const char *const id[] = {
                "", "tidak ada perubahan yang diizinkan",
                "hanya pengisian formulir dan penandatanganan yang diizinkan",
                "pengisian formulir, penandatanganan dan komentar (anotasi) yang diizinkan"};
            static const char *const en[] = {
                "", "no changes allowed", "only form filling and signing allowed",
                "form filling, signing and comments (annotations) allowed"};
            if (w == &EN)
                fprintf(f, "  Certification signature (DocMDP P=%d): %s\n", s->certification,
                        en[s->certification & 3]);
            else
                fprintf(f, "  Tanda tangan sertifikasi (DocMDP P=%d): %s\n", s->certification,
                        id[s->certification & 3]);
        }
        if (s->signer_name[0] || s->signer_subject[0])
            fprintf(f, "  %s: %s\n    %s\n", w->signer, s->signer_name, s->signer_subject);
        if (s->signer_issuer[0])
            fprintf(f, "  %s: %s\n", w->issuer, s->signer_issuer);
        if (s->signer_serial[0])
            fprintf(f, "  %s: %s\n", w->serial, s->signer_serial);
        vfy_time_in_zone(s->claimed_time, tz, z1, sizeof(z1));
        fprintf(f, "  %s: %s\n", w->claimed, s->claimed_time[0] ? z1 : w->none);
        if (s->has_timestamp) {
            vfy_time_in_zone(s->timestamp_time, tz, z1, sizeof(z1));
            fprintf(f, "  %s: %s (%s)\n", w->tstamp, z1, s->timestamp_tsa);
        } else if (s->timestamp_present && !s->doc_timestamp) {
            vfy_time_in_zone(s->timestamp_unverified, tz, z1, sizeof(z1));
            fprintf(f, "  %s: %s (%s %s)\n", w->tstamp,
                    w == &EN ? "present, not verified" : "ada, tidak terverifikasi",
                    w == &EN ? "its time:" : "waktunya:", z1);
        } else {
            fprintf(f, "  %s: %s\n", w->tstamp, w->none);
        }
        if (s->reason[0])
            fprintf(f, "  %s: %s\n", w->reason, s->reason);
        if (s->location[0])
            fprintf(f, "  %s: %s\n", w->location, s->location);
        fprintf(f, "  %s: %s\n", w->level, s->level[0] ? s->level : "-");
        fprintf(f, "  %s: %s\n", w->cert,
                w == &EN ? s->certificate_status : cert_status_id(s->certificate_status));
        if (s->anchor_name[0])
            fprintf(f, "  %s: %s%s\n", w == &EN ? "Trust anchor" : "Akar kepercayaan",
                    s->anchor_name,
                    !s->anchor_certified ? ""
                    : w == &EN           ? " (certified Indonesian CA, PP 71/2019 art. 59-60)"
                               : " (tersertifikasi: PSrE Indonesia, PP 71/2019 pasal 59-60)");
        if (s->anchor_certified)
            fprintf(f, "  %s\n",
                    w == &EN ? "Certified electronic certificate: yes"
                             : "Sertifikat elektronik: tersertifikasi");
        if (s->revocation[0]) {
            const char *src = s->revocation_source;
            int en = w == &EN;
            if (strncmp(src, "DSS", 3) == 0)
                src = en ? "embedded in the document (DSS)" : "tertanam dalam dokumen (DSS)";
            else if (strncmp(src, "online", 6) == 0)
                src = en ? src : strcmp(src, "online OCSP") == 0 ? "OCSP daring" : "CRL daring";
            else if (strcmp(src, "CMS CRL") == 0)
                src = en ? "CRL in the signature" : "CRL dalam tanda tangan";
            else if (strcmp(src, "CMS OCSP") == 0)
                src = en ? "OCSP in the signature" : "OCSP dalam tanda tangan";
            else if (strcmp(src, "home database") == 0)
                src = en ? "the issuing CA's database, authoritative"
                         : "basis data CA penerbit, otoritatif";
            fprintf(f, "  %s: %s%s%s%s\n", w->revoc,
                    strcmp(s->revocation, "good") == 0      ? (en ? "good" : "baik (tidak dicabut)")
                    : strcmp(s->revocation, "revoked") == 0 ? (en ? "REVOKED" : "DICABUT")
                    : strcmp(s->revocation, "unknown") == 0 ? (en ? "unknown" : "tidak diketahui")
                    : strcmp(s->revocation, "not checked (offline)") == 0
                        ? (en ? "not checked (offline)" : "tidak diperiksa (luring)")
                    : strcmp(s->revocation, "not checked") == 0
                        ? (en ? "not checked" : "tidak diperiksa")
                    : strcmp(s->revocation, "not needed (ocsp-nocheck)") == 0
                        ? (en ? "not needed (ocsp-nocheck)" : "tidak diperlukan (ocsp-nocheck)")
                        : s->revocation,
                    src[0] ? " (" : "", src, src[0] ? ")" : "");
            vfy_time_in_zone(s->revocation_time, tz, z1, sizeof(z1));
            vfy_time_in_zone(s->revocation_invalidity, tz, z2, sizeof(z2));
            if (s->revocation_time[0])
                fprintf(f, "  %s: %s (%s)\n", en ? "Revoked at" : "Dicabut pada", z1,
                        s->revocation_reason);
            if (s->revocation_invalidity[0])
                fprintf(f, "  %s: %s\n", en ? "Invalid since" : "Tidak sah sejak", z2);
        }
        if (s->integrity && !s->modified_after_signing)
            fprintf(f, "  %s\n", s->covers_whole_document ? w->unchanged : w->partial);
        if (s->modified_after_signing)
            fprintf(f, "  %s\n", w->changed);
        if (s->changes_analysed && !s->covers_whole_document) {
            static const char *const lid[] = {
                "tidak ada", "pembaruan arsip jangka panjang (LTA: DSS, stempel waktu dokumen)",
                "pengisian formulir dan tanda tangan", "anotasi (komentar)", "perubahan lain"};
            static const char *const len[] = {
                "none", "long-term archival updates (DSS, document time-stamps)",
                "form filling and signatures", "annotations (comments)", "other changes"};
            fprintf(f, "  %s: %s (%s)\n", w == &EN ? "Modification level" : "Tingkat perubahan",
                    vfy_modlevel_name(s->modification_level),
                    (w == &EN ? len : lid)[s->modification_level]);
        }
        if (s->visual_checked)
            print_visual(f, s, w == &EN);
        if (s->n_changes) {
            fprintf(f, "  %s:\n", w->changes);
            for (k = 0; k < s->n_changes; k++)
                fprintf(f, "    - %s\n", say(w, s->changes[k], t, sizeof(t)));
        }
        if (s->n_harmless) {
            fprintf(f, "  %s:\n", w->harmless);
            for (k = 0; k < s->n_harmless; k++)
                fprintf(f, "    - %s\n", say(w, s->harmless[k], t, sizeof(t)));
        }
        if (s->n_reasons) {
            fprintf(f, "  %s:\n", w->why);
            for (k = 0; k < s->n_reasons; k++)
                fprintf(f, "    - %s\n", say(w, s->reasons[k], t, sizeof(t)));
        }
    }
    if (r->validation_time_given) {
        vfy_time_in_zone(r->validation_time, tz, z1, sizeof(z1));
        fprintf(f, "\n%s: %s\n", w == &EN ? "Validated as of" : "Divalidasi per waktu", z1);
    }
    fprintf(f, "\n%s: %s (%s%s%s)\n", w->doc,
            r->conclusion == VFY_TOTAL_PASSED    ? w->valid
            : r->conclusion == VFY_INDETERMINATE ? w->indet
                                                 : w->invalid,
            vfy_conclusion_name(r->conclusion), r->sub_indication[0] ? " / " : "",
            r->sub_indication);
}
