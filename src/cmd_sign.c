/*
 * cmd_sign.c - `sertel sign`: PAdES signatures on PDFs (B-B to B-LTA) and
 * detached CAdES (.p7s) for any file. The key comes from a PKCS#12 file
 * (no home needed) or from an owner's signing authorization in a home
 * (--email, --passphrase-file, --otp). Time-stamps come from --tsa URL or,
 * without it, from the home's own TSA in-process. The PAdES levels, B-LT
 * and B-LTA included, are one library call (pades_sign_file); detached
 * signatures are cms_sign_file.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/pkcs12.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "conf/conf.h"
#include "cms/cms.h"
#include "pades/pades.h"
#include "pdf/image_job.h"
#include "pdf/pdf.h"
#include "pki/pki.h"
#include "ra/ra.h"
#include "sign/sign.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/num.h"

static const char sign_usage[] =
    "usage: sertel [--home H] sign (--p12 FILE --p12-password-file F |\n"
    "                              (--email E | --nik NIK) [--passphrase-file F|-] [--otp CODE])\n"
    "                  [--level B-B|B-T|B-LT|B-LTA] [--tsa URL] [--reason R] [--location L]\n"
    "                  [--contact C] [--name N] [--field NAME] [--page N|first|last]\n"
    "                  [--certify 1|2|3]\n"
    "                  [--visible (--rect X,Y,W,H | --marker TEXT [--size W,H])\n                  "
    " [--qr TEXT] [--text T] [--footer] [--image FILE]] [--pdf-password-file F] [--json]\n"
    "                  IN.pdf OUT.pdf\n"
    "       sertel [--home H] sign --detached (key options) [--level B-B|B-T] [--tsa URL]\n"
    "                  FILE OUT.p7s\n"
    "\n"
    "Signs IN.pdf as a new incremental revision (PAdES baseline) into OUT.pdf, or\n"
    "writes a detached CAdES signature of FILE. With --email or --nik the owner's\n"
    "key in the home signs: the passphrase is asked on the terminal without echo,\n"
    "or read from the first line of F (- : standard input); never an argument.\n"
    "--visible draws a stamp on --page\n"
    "in --rect (points from the page's lower left): a QR code of --qr (the\n"
    "document's verification URL; default <base URL>/verify with --home), the\n"
    "signer, organisation, date and time in WIB and the reason; --position and\n"
    "--nip add the signer's position (jabatan; an owner's registered one by\n"
    "default) and NIP under the name; --footer adds the statement that the\n"
    "document was signed electronically under UU ITE, naming the issuing CA;\n"
    "the text wraps at spaces without leaving one word alone on a last line;\n"
    "--image FILE (PNG or JPEG,\n"
    "at most 4 MiB and 4096x4096 pixels) adds the signer's handwritten signature\n"
    "above the text, transparency kept. --marker TEXT places the stamp in the\n"
    "space at and below TEXT (e.g. #ttd#; as a reader extracts it): its top edge\n"
    "at the marker's top, its left edge at the marker's left, on the page; on\n"
    "--page N or the first page that has it; --size W,H (default 220,80). A stamp\n"
    "that would cover text already on the page is signed with a warning naming\n"
    "the page.\n"
    "B-LT adds a revision with a Document Security Store: the signer's and the\n"
    "TSA's chains, OCSP responses and CRLs. With --tsa URL they are fetched\n"
    "online from the OCSP, CRL and caIssuers URLs the certificates carry (no home\n"
    "needed; a certificate without reachable revocation data fails the signing);\n"
    "without --tsa they come from the home's own TSA, OCSP responder and CRLs.\n"
    "B-LTA adds after that a document time-stamp revision from the same TSA.\n"
    "--field NAME names the new signature field; when IN.pdf already has an empty\n"
    "signature field of that (fully qualified) name, the signature goes into it:\n"
    "its own rectangle holds the stamp (--qr, --footer, --image apply; no\n"
    "--visible), and a /Lock on it becomes the signature's FieldMDP reference.\n"
    "--certify P makes a certification signature (DocMDP), only as the first\n"
    "signature: P=1 no changes allowed, 2 form filling and signing, 3 also\n"
    "annotations. A certified document is signed only as it permits: P=2 into\n"
    "one of its empty signature fields (--field NAME), P=3 also with a new\n"
    "invisible signature; never with a new visible field; P=1 not at all.\n"
    "A certificate known to be revoked (by the home, or by the status fetched\n"
    "for B-LT and B-LTA) does not sign.\n"
    "B-T adds a signature time-stamp from --tsa URL, or from the home's TSA.\n"
    "An encrypted IN.pdf is opened with the password in --pdf-password-file F\n"
    "(user or owner password), else with the empty user password; the new\n"
    "revision is encrypted like the file.\n"
    "OUT is written atomically when it is a file (on any error no output file\n"
    "exists), into a device or FIFO directly, to stdout when it is -; a symbolic\n"
    "link or a directory is refused.\n";

static int load_p12(const char *file, const char *pwfile, cms_signer *s, sertel_err *err)
{
    unsigned char *der = NULL;
    const unsigned char *q;
    size_t len = 0;
    char *pw = NULL;
    PKCS12 *p12 = NULL;
    int rc;

    rc = fs_read_file(file, 1 << 20, &der, &len, err);
    if (rc != SERTEL_OK)
        return rc;
    rc = secret_read_file(pwfile, &pw, err);
    if (rc != SERTEL_OK)
        goto out;
    q = der;
    p12 = d2i_PKCS12(NULL, &q, (long)len);
    if (p12 == NULL) {
        rc = sertel_err_openssl(err, SERTEL_ERR_INVALID, "%s is not a PKCS#12 file", file);
        goto out;
    }
    if (!PKCS12_parse(p12, pw, &s->key, &s->cert, &s->chain) || s->key == NULL || s->cert == NULL) {
        rc = sertel_err_openssl(err, SERTEL_ERR_DENIED,
                                "cannot open %s (wrong password, or no key and certificate in it)",
                                file);
        goto out;
    }
    rc = SERTEL_OK;
out:
    PKCS12_free(p12);
    secret_free(pw);
    free(der);
    return rc;
}

/* An NIP (Nomor Induk Pegawai): 18 digits. 0 when it is one. */
static int check_nip(const char *s)
{
    size_t n = strlen(s);

    return n == 18 && strspn(s, "0123456789") == n ? 0 : -1;
}

/* What the signer should know (a stamp over text): on stderr, the signing goes on. */
static void print_note(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "sertel: warning: %s\n", msg);
}

int cmd_sign(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"p12", required_argument, NULL, 'p'},
        {"p12-password-file", required_argument, NULL, 'P'},
        {"email", required_argument, NULL, 'e'},
        {"nik", required_argument, NULL, 'k'},
        {"passphrase-file", required_argument, NULL, 'f'},
        {"otp", required_argument, NULL, 'o'},
        {"level", required_argument, NULL, 'l'},
        {"tsa", required_argument, NULL, 't'},
        {"reason", required_argument, NULL, 'r'},
        {"location", required_argument, NULL, 'L'},
        {"contact", required_argument, NULL, 'c'},
        {"name", required_argument, NULL, 'n'},
        {"field", required_argument, NULL, 'F'},
        {"page", required_argument, NULL, 'g'},
        {"detached", no_argument, NULL, 'd'},
        {"visible", no_argument, NULL, 'V'},
        {"rect", required_argument, NULL, 'R'},
        {"marker", required_argument, NULL, 'M'},
        {"size", required_argument, NULL, 'S'},
        {"qr", required_argument, NULL, 'Q'},
        {"text", required_argument, NULL, 'X'},
        {"footer", no_argument, NULL, 'O'},
        {"image", required_argument, NULL, 'I'},
        {"position", required_argument, NULL, 'j'},
        {"nip", required_argument, NULL, 'N'},
        {"certify", required_argument, NULL, 'C'},
        {"pdf-password-file", required_argument, NULL, 'W'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *p12 = NULL, *p12pw = NULL, *email = NULL, *nik = NULL, *ppfile = NULL, *otp = NULL,
               *tsa_url = NULL, *pdfpw_file = NULL, *image = NULL;
    pades_opts po;
    pdf_sign_opts *sop = &po.sign;
    pdf_image img;
    cms_signer *s = &po.sign.signer;
    int c, detached = 0, rc = EXIT_ERROR, has_rect = 0, has_size = 0, as_json = 0;
    char *pass = NULL, *pdfpw = NULL;
    ra *r = NULL;
    sign_session *ss = NULL;
    char docid[33] = "";
    pki *p = NULL;
    fs_output *out = NULL;
    const char *out_path;
    FILE *msg = stdout;
    sertel_err err = {0};

    memset(&po, 0, sizeof(po));
    memset(&img, 0, sizeof(img));
    sop->note = print_note;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            p12 = optarg;
            break;
        case 'P':
            p12pw = optarg;
            break;
        case 'e':
            email = optarg;
            break;
        case 'k':
            nik = optarg;
            break;
        case 'f':
            ppfile = optarg;
            break;
        case 'o':
            otp = optarg;
            break;
        case 't':
            tsa_url = optarg;
            break;
        case 'r':
            sop->reason = optarg;
            break;
        case 'L':
            sop->location = optarg;
            break;
        case 'c':
            sop->contact = optarg;
            break;
        case 'n':
            sop->name = optarg;
            break;
        case 'F':
            sop->field = optarg;
            break;
        case 'd':
            detached = 1;
            break;
        case 'V':
            sop->visible = 1;
            break;
        case 'O':
            sop->footer = 1;
            break;
        case 'X':
            if (text_check_field("--text", optarg, 200, &err) != SERTEL_OK)
                return cli_fail(&err);
            sop->stamp_text = optarg;
            break;
        case 'Q':
            sop->qr_text = optarg;
            break;
        case 'j':
            if (text_check_field("--position", optarg, 128, &err) != SERTEL_OK)
                return cli_fail(&err);
            sop->position = optarg;
            break;
        case 'N':
            if (check_nip(optarg) != 0)
                return cli_usage_error("sign: --nip takes the signer's NIP, 18 digits (e.g. "
                                       "198001012005011001)");
            sop->nip = optarg;
            break;
        case 'W':
            pdfpw_file = optarg;
            break;
        case 'J':
            as_json = 1;
            break;
        case 'I':
            image = optarg;
            break;
        case 'C':
            if (strlen(optarg) != 1 || optarg[0] < '1' || optarg[0] > '3')
                return cli_usage_error("sign: --certify takes the DocMDP permission 1, 2 or 3 "
                                       "(1: no changes, 2: form filling and signing, 3: also "
                                       "annotations)");
            sop->certify = optarg[0] - '0';
            break;
        case 'M':
            if (optarg[0] == '\0' || strlen(optarg) > 128)
                return cli_usage_error("sign: --marker takes the text to look for (1 to 128 "
                                       "bytes), e.g. #ttd#");
            sop->marker = optarg;
            break;
        case 'S':
            has_size = 1;
            if (num_parse_decimal_list(optarg, ',', 0, 14400, sop->rect + 2, 2) != SERTEL_OK ||
                sop->rect[2] <= 0 || sop->rect[3] <= 0)
                return cli_usage_error("sign: --size is WIDTH,HEIGHT in points, e.g. 220,80");
            break;
        case 'R':
            has_rect = 1;
            if (num_parse_decimal_list(optarg, ',', 0, 14400, sop->rect, 4) != SERTEL_OK)
                return cli_usage_error("sign: --rect is X,Y,WIDTH,HEIGHT in points, e.g. "
                                       "350,60,220,80");
            break;
        case 'l':
            if (pades_level_parse(optarg, &po.level) != 0)
                return cli_usage_error("sign: --level must be B-B, B-T, B-LT or B-LTA");
            break;
        case 'g': {
            int64_t v;
            if (strcmp(optarg, "last") == 0 || strcmp(optarg, "first") == 0) {
                /* BSrE's halaman = first / last */
                sop->page = optarg[0] == 'l' ? PDF_PAGE_LAST : 1;
                break;
            }
            if (num_parse_i64z(optarg, 1, 10000000, &v) != SERTEL_OK)
                return cli_usage_error("sign: --page needs a page number from 1, or first or last");
            sop->page = (size_t)v;
            break;
        }
        case 'h':
            fputs(sign_usage, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("sign: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind + 2 != argc)
        return cli_usage_error("sign: give the input and the output file (see sertel sign --help)");
    if ((p12 != NULL) + (email != NULL) + (nik != NULL) != 1)
        return cli_usage_error("sign: give one of --p12 FILE, --email E or --nik NIK");
    if (p12 != NULL && p12pw == NULL)
        return cli_usage_error("sign: --p12 needs --p12-password-file F");
    if ((email != NULL || nik != NULL) && ppfile == NULL && !isatty(STDIN_FILENO))
        return cli_usage_error("sign: --email and --nik need the owner's passphrase: give "
                               "--passphrase-file F (or - for standard input), or run on a "
                               "terminal to be asked");
    if (sop->marker != NULL && has_rect)
        return cli_usage_error("sign: give either --rect or --marker, not both");
    if (has_size && sop->marker == NULL)
        return cli_usage_error("sign: --size goes with --marker (--rect has its own size)");
    if (sop->marker != NULL)
        sop->visible = 1; /* --marker implies --visible */
    if (sop->visible && sop->marker == NULL && (sop->rect[2] <= 0 || sop->rect[3] <= 0))
        return cli_usage_error("sign: --visible needs --rect X,Y,WIDTH,HEIGHT (points), e.g. "
                               "--rect 350,60,220,80, or --marker TEXT");
    if (!sop->visible && sop->rect[2] > 0)
        return cli_usage_error("sign: --rect goes with --visible");
    if (!sop->visible && sop->field == NULL &&
        (sop->qr_text != NULL || sop->footer || image != NULL || sop->stamp_text != NULL ||
         sop->position != NULL || sop->nip != NULL))
        return cli_usage_error(
            "sign: --qr, --text, --position, --nip, --footer and --image go with --visible (or "
            "with --field NAME of a visible empty signature field)");
    if (sop->visible && detached)
        return cli_usage_error("sign: a detached signature has no visible stamp");
    if (po.level >= PADES_B_LT && detached)
        return cli_usage_error("sign: %s applies to PDFs; a detached signature goes up to B-T",
                               pades_level_name(po.level));
    if (sop->certify != 0 && detached)
        return cli_usage_error("sign: --certify applies to PDFs, not detached signatures");
    out_path = argv[optind + 1];
    if (fs_output_is_stdout(out_path)) {
        if (as_json)
            return cli_usage_error("sign: --json and the output - both use stdout: give an "
                                   "output file");
        msg = stderr; /* stdout carries the signed file */
    }

    if (pdfpw_file != NULL) {
        if (detached)
            return cli_usage_error("sign: --pdf-password-file applies to PDFs");
        if (secret_read_file(pdfpw_file, &pdfpw, &err) != SERTEL_OK)
            goto fail;
        sop->password = pdfpw;
    }
    /* Opened before the key: a refused output (a link, a directory) costs no passphrase
     * attempt. With a home's key the SHA-256 of what is written goes into the register. */
    if (fs_output_open(out_path, 0644, p12 == NULL ? FS_OUTPUT_SHA256 : 0, &out, &err) != SERTEL_OK)
        goto fail;
    if (image != NULL) {
        /* Checked before the key is opened: a bad image costs no passphrase attempt. It is
         * decoded in the sandboxed worker (docs/architecture.md). */
        sbx *sb = NULL;
        sbx_config sbc;
        int irc;
        cli_sandbox_config(&sbc, 1);
        irc = sbx_new(&sbc, &sb, &err);
        if (irc == SERTEL_OK)
            irc = pdf_image_load_file_sb(sb, image, &img, &err);
        sbx_free(sb);
        if (irc != SERTEL_OK) {
            if (err.code == SERTEL_ERR_INVALID)
                sertel_err_prefix(&err, "--image must be a PNG or JPEG file: %s", image);
            else
                sertel_err_prefix(&err, "--image %s", image);
            goto fail;
        }
        sop->image = &img;
    }
    if (po.level >= PADES_B_T && tsa_url != NULL) {
        /* An external TSA: B-LT/B-LTA data is fetched online from the certificates' URLs. */
        sop->tsa.fn = cms_tsa_http;
        sop->tsa.arg = (void *)tsa_url;
    } else if (po.level >= PADES_B_T) {
        if (pki_open(g->home, &p, &err) != SERTEL_OK) {
            sertel_err_prefix(&err, "%s without --tsa URL uses the home's TSA",
                              pades_level_name(po.level));
            goto fail;
        }
        if (p12 != NULL) {
            sop->tsa.fn = pki_tsa_exchange;
            sop->tsa.arg = p;
            po.home = p;
        }
    }
    if (p12 != NULL && p == NULL && access(g->home, F_OK) == 0) {
        /* A home is here: it says, at every level, whether it revoked the signer's certificate. */
        if (pki_open(g->home, &p, &err) != SERTEL_OK) {
            sertel_err_prefix(&err, "checking the signer's certificate with the home %s", g->home);
            goto fail;
        }
    }
    if (p12 != NULL && p != NULL)
        po.home = p;
    if (p12 != NULL) {
        if (load_p12(p12, p12pw, s, &err) != SERTEL_OK)
            goto fail;
    } else {
        /* An owner's key the home holds: one authorization, then the library's signing
         * operation (the QR code carries the document's own link, the register records it). */
        ra_actor by;
        sign_ctx sc = {0};
        ra_actor_local_admin(&by); /* the CA host's operator, on the owner's behalf */
        if (cli_secret_get(ppfile, "--passphrase-file", "passphrase", 0, &pass, &err) !=
                SERTEL_OK ||
            ra_open(g->home, &r, &err) != SERTEL_OK)
            goto fail;
        sc.r = r;
        sc.services = p;
        if (sign_session_open(&sc, &by, email, nik, pass, otp, &ss, NULL, &err) != SERTEL_OK)
            goto fail;
    }
    if (!detached && sop->visible) {
        /* The stamp's text uses the standard Helvetica, not embedded: say what that means for
         * a document that claims PDF/A (its signatures stay valid either way). */
        pdf_doc *pd = NULL;
        sertel_err pe = {0};
        int part = 0;
        if (pdf_open_file_pw(argv[optind], sop->password, &pd, &pe) == SERTEL_OK)
            part = pdf_pdfa_part(pd);
        pdf_close(pd);
        if (part > 0)
            fprintf(stderr,
                    "sertel: note: %s claims PDF/A-%d; the visible stamp's fonts are not "
                    "embedded, so the signed file is no longer strictly PDF/A (an invisible "
                    "signature keeps it)\n",
                    argv[optind], part);
    }
    if (ss != NULL && detached)
        rc = sign_detached(ss, argv[optind], po.level, tsa_url != NULL ? &sop->tsa : NULL, out,
                           docid, &err);
    else if (ss != NULL)
        rc = sign_pdf(ss, &po, argv[optind], out, docid, &err);
    else if (detached)
        rc = cms_sign_to(argv[optind], out, s, po.level == PADES_B_T ? &sop->tsa : NULL, &err);
    else
        rc = pades_sign_to(argv[optind], out, &po, &err);
    if (ss == NULL && rc == SERTEL_OK)
        rc = fs_output_commit(out, &err);
    else if (ss == NULL)
        fs_output_abort(out);
    out = NULL; /* taken over: committed, or aborted */
    if (rc != SERTEL_OK)
        goto fail;
    if (as_json) {
        /* For programs that run the command: one JSON object on stdout. */
        char lvl[32];
        json_t *o;
        char *js;
        snprintf(lvl, sizeof(lvl), "%s%s", detached ? "CAdES " : "PAdES ",
                 pades_level_name(po.level));
        o = json_pack("{s:s, s:s, s:s, s:i}", "input", argv[optind], "output", argv[optind + 1],
                      "level", lvl, "certify", sop->certify);
        if (o != NULL && docid[0])
            json_object_set_new(o, "document_id", json_string(docid));
        js = o != NULL ? json_dumps(o, JSON_PRESERVE_ORDER) : NULL;
        if (js != NULL)
            fprintf(msg, "%s\n", js);
        free(js);
        json_decref(o);
    } else {
        fprintf(msg, "signed %s -> %s (%s%s%s)%s%s\n", argv[optind], out_path,
                detached ? "CAdES " : "PAdES ", pades_level_name(po.level),
                sop->certify == 1   ? ", certified: no changes allowed"
                : sop->certify == 2 ? ", certified: form filling and signing allowed"
                : sop->certify == 3 ? ", certified: forms, signing and annotations allowed"
                                    : "",
                docid[0] ? ", document id " : "", docid);
    }
    rc = EXIT_OK;
    goto out;
fail:
    rc = cli_fail(&err);
out:
    fs_output_abort(out);
    if (p12 != NULL) {
        EVP_PKEY_free(s->key);
        X509_free(s->cert);
        sk_X509_pop_free(s->chain, X509_free);
    }
    sign_session_close(ss);
    ra_close(r);
    pki_close(p);
    secret_free(pass);
    secret_free(pdfpw);
    pdf_image_free(&img);
    return rc;
}
