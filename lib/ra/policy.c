/*
 * policy.c - every rule of the certificate process in one place, as tables
 * (in the shape of the linter's rules, lib/ca/lint.c):
 *
 *   1. who may do what: role x action x scope (any, own agency, self) x
 *      "not on your own" - ra_policy_check;
 *   2. which application state moves to which on which event, and which
 *      open application blocks a new one - ra_app_next_state,
 *      ra_app_may_open;
 *   3. what a revocation does to a person: the certificate revoked, its key
 *      destroyed, its signing sessions voided (a suspension voids them too),
 *      the person's unfinished issuance, renewal and update applications
 *      cancelled and their passphrase links voided - ra_revoke_in_txn;
 *   4. the revocation reasons an owner chooses from, in Indonesian, and
 *      the RFC 5280 §5.3.1 reason each asks for - ra_revocation_choice_find.
 *
 * The CLI, the HTTP API and the portal call these and write no rule of
 * their own (DOMAIN.md: the verifier approves or rejects every application
 * for issuance, renewal and revocation; PP 71/2019 art. 52).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "audit/events.h"
#include "ra/ra_int.h"
#include "util/check.h"

/* --- 1. who may do what --- */

/* Roles as the table knows them; ROLE_PUBLIC is someone not logged in. */
enum {
    ROLE_PUBLIC,
    ROLE_APPLICANT,
    ROLE_VERIFIER,
    ROLE_ADMIN,
    ROLE_AUDITOR,
    ROLE_LOCAL,  /* the operator at the CA host's shell (account 0) */
    ROLE_CLIENT, /* an agency system (API client) */
    ROLE_N
};

const char *const ra_policy_roles[] = {"public",  "applicant",           "verifier", "admin",
                                       "auditor", "local administrator", "client"};
const size_t ra_policy_nroles = ROLE_N;

/* Bits for a rule's roles. */
#define R_PUBLIC (1u << ROLE_PUBLIC)
#define R_APPLICANT (1u << ROLE_APPLICANT)
#define R_VERIFIER (1u << ROLE_VERIFIER)
#define R_ADMIN (1u << ROLE_ADMIN)
#define R_AUDITOR (1u << ROLE_AUDITOR)
#define R_LOCAL (1u << ROLE_LOCAL)
#define R_CLIENT (1u << ROLE_CLIENT)
#define R_ACCOUNT (R_APPLICANT | R_VERIFIER | R_ADMIN | R_AUDITOR) /* anyone logged in */

typedef enum scope {
    SCOPE_ANY,    /* any target */
    SCOPE_AGENCY, /* a target of the actor's own agency */
    SCOPE_SELF,   /* the actor's own account */
} scope;

typedef struct rule {
    ra_action act;
    unsigned roles;
    scope scope;
    int not_own; /* refused when the target is the actor's own account */
} rule;

/*
 * The table. An action is allowed when some row of it matches the actor's
 * role and scope (and, with not_own, the target is not the actor's own
 * account). Anything not listed is refused.
 */
static const rule rules[] = {
    {RA_ACT_AGENCY_ADD, R_ADMIN | R_LOCAL, SCOPE_ANY, 0},
    {RA_ACT_ACCOUNT_ADD, R_ADMIN | R_LOCAL, SCOPE_ANY, 0},

    /* A person registers themselves (public), or the agency's verifier or an admin does. */
    {RA_ACT_REGISTER, R_PUBLIC, SCOPE_ANY, 0},
    {RA_ACT_REGISTER, R_ADMIN | R_LOCAL, SCOPE_ANY, 0},
    {RA_ACT_REGISTER, R_VERIFIER, SCOPE_AGENCY, 0},

    /* The owner's own acts: only the owner, or the CA host's operator on their behalf. */
    {RA_ACT_APPLY, R_ACCOUNT, SCOPE_SELF, 0},
    {RA_ACT_APPLY, R_LOCAL, SCOPE_ANY, 0},
    {RA_ACT_PASSPHRASE_CREATE, R_ACCOUNT, SCOPE_SELF, 0},
    {RA_ACT_PASSPHRASE_CREATE, R_LOCAL, SCOPE_ANY, 0},
    /* ... or whoever holds the single-use token mailed to the owner, without logging in (the
     * link in the approval mail): the token is the credential, as a confirmation link's is. */
    {RA_ACT_PASSPHRASE_CREATE, R_PUBLIC, SCOPE_ANY, 0},
    {RA_ACT_FACTOR_ENROLL, R_ACCOUNT, SCOPE_SELF, 0},
    {RA_ACT_FACTOR_ENROLL, R_LOCAL, SCOPE_ANY, 0},
    {RA_ACT_CODE_REQUEST, R_ACCOUNT, SCOPE_SELF, 0},
    {RA_ACT_CODE_REQUEST, R_LOCAL, SCOPE_ANY, 0},
    {RA_ACT_SIGN, R_ACCOUNT, SCOPE_SELF, 0},
    {RA_ACT_SIGN, R_LOCAL, SCOPE_ANY, 0},

    /* Reading applications and the register. */
    {RA_ACT_APPLICATION_VIEW, R_ACCOUNT, SCOPE_SELF, 0},
    {RA_ACT_APPLICATION_VIEW, R_VERIFIER, SCOPE_AGENCY, 0},
    {RA_ACT_APPLICATION_VIEW, R_ADMIN | R_AUDITOR | R_LOCAL, SCOPE_ANY, 0},
    {RA_ACT_REVIEW_LIST, R_VERIFIER, SCOPE_AGENCY, 0},
    {RA_ACT_REVIEW_LIST, R_ADMIN | R_AUDITOR | R_LOCAL, SCOPE_ANY, 0},
    {RA_ACT_DOC_VIEW, R_ACCOUNT, SCOPE_SELF, 0},
    {RA_ACT_DOC_VIEW, R_VERIFIER, SCOPE_AGENCY, 0},
    {RA_ACT_DOC_VIEW, R_ADMIN | R_AUDITOR | R_LOCAL, SCOPE_ANY, 0},
    {RA_ACT_AUDIT_VIEW, R_ADMIN | R_AUDITOR | R_LOCAL, SCOPE_ANY, 0},

    /* Decisions on people: the agency's verifier or an admin, never on their own. */
    {RA_ACT_REVIEW_DECIDE, R_VERIFIER, SCOPE_AGENCY, 1},
    {RA_ACT_REVIEW_DECIDE, R_ADMIN, SCOPE_ANY, 1},
    {RA_ACT_REVIEW_DECIDE, R_LOCAL, SCOPE_ANY, 0},
    {RA_ACT_UNLOCK, R_VERIFIER, SCOPE_AGENCY, 1},
    {RA_ACT_UNLOCK, R_ADMIN, SCOPE_ANY, 1},
    {RA_ACT_UNLOCK, R_LOCAL, SCOPE_ANY, 0},
    {RA_ACT_FACTOR_RESET, R_VERIFIER, SCOPE_AGENCY, 1},
    {RA_ACT_FACTOR_RESET, R_ADMIN, SCOPE_ANY, 1},
    {RA_ACT_FACTOR_RESET, R_LOCAL, SCOPE_ANY, 0},
    {RA_ACT_CERT_REVOKE, R_VERIFIER, SCOPE_AGENCY, 1},
    {RA_ACT_CERT_REVOKE, R_ADMIN, SCOPE_ANY, 1},
    {RA_ACT_CERT_REVOKE, R_LOCAL, SCOPE_ANY, 0},

    /* A person's status: the person, the agency's staff, administrators; a client only for
     * its own agency's people (any other NIK looks NOT_REGISTERED to it). */
    {RA_ACT_STATUS_VIEW, R_ACCOUNT, SCOPE_SELF, 0},
    {RA_ACT_STATUS_VIEW, R_VERIFIER | R_CLIENT, SCOPE_AGENCY, 0},
    {RA_ACT_STATUS_VIEW, R_ADMIN | R_AUDITOR | R_LOCAL, SCOPE_ANY, 0},
    /* Anyone may have a document checked (the public verification service). */
    {RA_ACT_VERIFY, R_PUBLIC | R_ACCOUNT | R_LOCAL | R_CLIENT, SCOPE_ANY, 0},
    {RA_ACT_CLIENT_ADMIN, R_ADMIN | R_LOCAL, SCOPE_ANY, 0},

    /* Agencies and accounts: administrators and auditors see all; a verifier its agency's
     * (the people it unlocks and resets); everyone its own account and agency. */
    {RA_ACT_AGENCY_VIEW, R_ADMIN | R_AUDITOR | R_LOCAL, SCOPE_ANY, 0},
    {RA_ACT_AGENCY_VIEW, R_VERIFIER | R_APPLICANT, SCOPE_AGENCY, 0},
    {RA_ACT_ACCOUNT_VIEW, R_ACCOUNT, SCOPE_SELF, 0},
    {RA_ACT_ACCOUNT_VIEW, R_VERIFIER, SCOPE_AGENCY, 0},
    {RA_ACT_ACCOUNT_VIEW, R_ADMIN | R_AUDITOR | R_LOCAL, SCOPE_ANY, 0},
    /* An application's letter and e-KTP scan (personal data): those who decide it. */
    {RA_ACT_APPLICATION_DOCS, R_VERIFIER, SCOPE_AGENCY, 0},
    {RA_ACT_APPLICATION_DOCS, R_ADMIN | R_LOCAL, SCOPE_ANY, 0},

    /* Agency systems act for their own agency's people only (the owner still proves
     * consent with the passphrase). */
    {RA_ACT_SIGN, R_CLIENT, SCOPE_AGENCY, 0},
    {RA_ACT_REGISTER, R_CLIENT, SCOPE_AGENCY, 0},
    {RA_ACT_CODE_REQUEST, R_CLIENT, SCOPE_AGENCY, 0},
    {RA_ACT_DOC_VIEW, R_CLIENT, SCOPE_AGENCY, 0},
};

/* The scope an API client needs for an action (0: no client may do it). */
static unsigned client_scope(ra_action act)
{
    switch (act) {
    case RA_ACT_SIGN:
    case RA_ACT_CODE_REQUEST:
    case RA_ACT_DOC_VIEW:
        return RA_SCOPE_SIGN;
    case RA_ACT_VERIFY:
        return RA_SCOPE_VERIFY;
    case RA_ACT_STATUS_VIEW:
        return RA_SCOPE_STATUS;
    case RA_ACT_REGISTER:
        return RA_SCOPE_REGISTER;
    default:
        return 0;
    }
}

static const char *const action_names[RA_ACT_COUNT] = {
    [RA_ACT_AGENCY_ADD] = "agency.add",
    [RA_ACT_ACCOUNT_ADD] = "account.add",
    [RA_ACT_REGISTER] = "person.register",
    [RA_ACT_APPLY] = "application.submit",
    [RA_ACT_PASSPHRASE_CREATE] = "passphrase.create",
    [RA_ACT_FACTOR_ENROLL] = "factor.enroll",
    [RA_ACT_CODE_REQUEST] = "code.request",
    [RA_ACT_SIGN] = "sign",
    [RA_ACT_APPLICATION_VIEW] = "application.view",
    [RA_ACT_REVIEW_LIST] = "review.list",
    [RA_ACT_REVIEW_DECIDE] = "review.decide",
    [RA_ACT_UNLOCK] = "signing.unlock",
    [RA_ACT_FACTOR_RESET] = "factor.reset",
    [RA_ACT_CERT_REVOKE] = "certificate.revoke",
    [RA_ACT_DOC_VIEW] = "document.view",
    [RA_ACT_AUDIT_VIEW] = "audit.view",
    [RA_ACT_STATUS_VIEW] = "status.view",
    [RA_ACT_VERIFY] = "document.verify",
    [RA_ACT_CLIENT_ADMIN] = "client.admin",
    [RA_ACT_AGENCY_VIEW] = "agency.view",
    [RA_ACT_ACCOUNT_VIEW] = "account.view",
    [RA_ACT_APPLICATION_DOCS] = "application.documents",
};

/* Why an action is refused, in words for the person refused. */
static const char *const refusals[RA_ACT_COUNT] = {
    [RA_ACT_AGENCY_ADD] = "only an administrator registers agencies",
    [RA_ACT_ACCOUNT_ADD] = "only an administrator adds staff accounts",
    [RA_ACT_REGISTER] = "only an administrator or a verifier of that agency registers people for "
                        "it",
    [RA_ACT_APPLY] = "an application is made by the owner (or at the CA host on their behalf)",
    [RA_ACT_PASSPHRASE_CREATE] = "the passphrase is created by the owner, personally",
    [RA_ACT_FACTOR_ENROLL] = "the second factor is enrolled by the owner, personally",
    [RA_ACT_CODE_REQUEST] = "a one-time code is requested by the owner",
    [RA_ACT_SIGN] = "only the owner signs with the owner's key",
    [RA_ACT_APPLICATION_VIEW] = "the application belongs to someone else",
    [RA_ACT_REVIEW_LIST] = "only verifiers, administrators and auditors see the review queue",
    [RA_ACT_REVIEW_DECIDE] = "only a verifier of the person's agency or an administrator decides "
                             "applications",
    [RA_ACT_UNLOCK] = "only a verifier of the person's agency or an administrator unlocks signing",
    [RA_ACT_FACTOR_RESET] = "only a verifier of the person's agency or an administrator resets a "
                            "second factor",
    [RA_ACT_CERT_REVOKE] = "only a verifier of the person's agency or an administrator revokes "
                           "directly; owners apply for revocation",
    [RA_ACT_DOC_VIEW] = "the document was signed by someone else",
    [RA_ACT_AUDIT_VIEW] = "only administrators and auditors read the audit log",
    [RA_ACT_STATUS_VIEW] = "the person belongs to another agency",
    [RA_ACT_VERIFY] = "this client may not have documents checked",
    [RA_ACT_CLIENT_ADMIN] = "only an administrator manages API clients",
    [RA_ACT_AGENCY_VIEW] = "the agency is another agency",
    [RA_ACT_ACCOUNT_VIEW] = "the account belongs to another agency or person",
    [RA_ACT_APPLICATION_DOCS] = "only a verifier of the applicant's agency or an administrator "
                                "reads an application's documents",
};

const char *ra_action_name(ra_action act)
{
    return (unsigned)act < RA_ACT_COUNT ? action_names[act] : "unknown";
}

static int role_of(const ra_actor *by)
{
    if (by == NULL)
        return ROLE_PUBLIC;
    if (by->account_id == 0 && by->local)
        return ROLE_LOCAL;
    if (strcmp(by->role, RA_ROLE_CLIENT) == 0)
        return ROLE_CLIENT;
    if (strcmp(by->role, RA_ROLE_ADMIN) == 0)
        return ROLE_ADMIN;
    if (strcmp(by->role, RA_ROLE_VERIFIER) == 0)
        return ROLE_VERIFIER;
    if (strcmp(by->role, RA_ROLE_AUDITOR) == 0)
        return ROLE_AUDITOR;
    if (strcmp(by->role, RA_ROLE_APPLICANT) == 0)
        return ROLE_APPLICANT;
    return -1;
}

static int in_scope(scope sc, const ra_actor *by, const ra_target *t)
{
    switch (sc) {
    case SCOPE_ANY:
        return 1;
    case SCOPE_AGENCY:
        return by != NULL && t != NULL && by->agency_id != 0 && t->agency_id == by->agency_id;
    case SCOPE_SELF:
        return by != NULL && t != NULL && by->account_id != 0 && t->account_id == by->account_id;
    }
    return 0;
}

int ra_policy_check(const ra_actor *by, ra_action act, const ra_target *t, sertel_err *err)
{
    int role = role_of(by), own_refused = 0;
    size_t i;

    if ((unsigned)act >= RA_ACT_COUNT || role < 0)
        return sertel_err_set(err, SERTEL_ERR_DENIED, "not allowed");
    /* An agency system only within the scopes it was given. */
    if (role == ROLE_CLIENT && !(by->scopes & client_scope(act)))
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "client %s may not do this: its scopes do not include %s",
                              by->client_id, ra_action_name(act));
    for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const rule *ru = &rules[i];
        if (ru->act != act || !(ru->roles & (1u << role)) || !in_scope(ru->scope, by, t))
            continue;
        if (ru->not_own && t != NULL && by->account_id != 0 && t->account_id == by->account_id) {
            own_refused = 1;
            continue;
        }
        return SERTEL_OK;
    }
    if (own_refused)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "this concerns your own account or certificate: another verifier "
                              "or administrator must do it (%s)",
                              action_names[act]);
    return sertel_err_set(err, SERTEL_ERR_DENIED, "%s may not do this: %s",
                          by == NULL ? "someone not logged in" : ra_actor_name(by), refusals[act]);
}

ra_reach ra_policy_reach(const ra_actor *by, ra_action act)
{
    int role = role_of(by);
    ra_reach best = RA_REACH_NONE;
    size_t i;

    if ((unsigned)act >= RA_ACT_COUNT || role < 0 ||
        (role == ROLE_CLIENT && !(by->scopes & client_scope(act))))
        return RA_REACH_NONE;
    for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const rule *ru = &rules[i];
        ra_reach reach;
        if (ru->act != act || !(ru->roles & (1u << role)))
            continue;
        reach = ru->scope == SCOPE_ANY ? RA_REACH_ALL
                : ru->scope == SCOPE_AGENCY
                    ? (by != NULL && by->agency_id ? RA_REACH_AGENCY : RA_REACH_NONE)
                    : (by != NULL && by->account_id ? RA_REACH_SELF : RA_REACH_NONE);
        if (reach > best)
            best = reach;
    }
    return best;
}

/* --- 2. applications: states and events --- */

typedef struct transition {
    const char *kind; /* NULL: every kind */
    const char *from;
    ra_app_event ev;
    const char *to;
} transition;

static const transition transitions[] = {
    {"issuance", "returned", RA_EV_RESUBMIT, "pending"},
    {"issuance", "pending", RA_EV_APPROVE, "approved"},
    {"renewal", "pending", RA_EV_APPROVE, "approved"},
    {"update", "pending", RA_EV_APPROVE, "approved"},
    {"revocation", "pending", RA_EV_APPROVE, "completed"},
    {NULL, "pending", RA_EV_REJECT, "rejected"},
    {"issuance", "pending", RA_EV_RETURN, "returned"},
    {NULL, "pending", RA_EV_WITHDRAW, "withdrawn"},
    {NULL, "returned", RA_EV_WITHDRAW, "withdrawn"},
    {"issuance", "approved", RA_EV_COMPLETE, "completed"},
    {"renewal", "approved", RA_EV_COMPLETE, "completed"},
    {"update", "approved", RA_EV_COMPLETE, "completed"},
    /* A direct revocation settles a pending revocation application. */
    {"revocation", "pending", RA_EV_SETTLE, "completed"},
    /* A revocation of the person's certificate cancels what would issue a new one. */
    {"issuance", "pending", RA_EV_CANCEL, "cancelled"},
    {"issuance", "returned", RA_EV_CANCEL, "cancelled"},
    {"issuance", "approved", RA_EV_CANCEL, "cancelled"},
    {"renewal", "pending", RA_EV_CANCEL, "cancelled"},
    {"renewal", "approved", RA_EV_CANCEL, "cancelled"},
    {"update", "pending", RA_EV_CANCEL, "cancelled"},
    {"update", "approved", RA_EV_CANCEL, "cancelled"},
};

static const char *const event_words[] = {
    [RA_EV_RESUBMIT] = "resubmitted", [RA_EV_APPROVE] = "approved",
    [RA_EV_REJECT] = "rejected",      [RA_EV_RETURN] = "returned for revision",
    [RA_EV_WITHDRAW] = "withdrawn",   [RA_EV_COMPLETE] = "completed",
    [RA_EV_SETTLE] = "settled",       [RA_EV_CANCEL] = "cancelled",
};

/* The names of the events in an application's history (application_events.event). */
static const char *const event_names[] = {
    [RA_EV_RESUBMIT] = "resubmitted", [RA_EV_APPROVE] = "approved",
    [RA_EV_REJECT] = "rejected",      [RA_EV_RETURN] = "returned",
    [RA_EV_WITHDRAW] = "withdrawn",   [RA_EV_COMPLETE] = "completed",
    [RA_EV_SETTLE] = "settled",       [RA_EV_CANCEL] = "cancelled",
};

const char *ra_app_event_name(ra_app_event ev)
{
    SERTEL_ASSERT((unsigned)ev < sizeof(event_names) / sizeof(event_names[0]));
    return event_names[ev];
}

int ra_app_next_state(const char *kind, const char *from, ra_app_event ev, const char **to,
                      sertel_err *err)
{
    size_t i;

    *to = NULL;
    for (i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++) {
        const transition *t = &transitions[i];
        if (t->ev == ev && strcmp(t->from, from) == 0 &&
            (t->kind == NULL || strcmp(t->kind, kind) == 0)) {
            SERTEL_ASSERT(strcmp(t->to, t->from) != 0); /* every event moves */
            *to = t->to;
            return SERTEL_OK;
        }
    }
    if (ev == RA_EV_RETURN && strcmp(from, "pending") == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "only issuance applications are returned for revision; approve or "
                              "reject a%s %s application",
                              strchr("aeiou", kind[0]) != NULL ? "n" : "", kind);
    if (ev == RA_EV_APPROVE || ev == RA_EV_REJECT || ev == RA_EV_RETURN)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "the %s application is %s: decisions are final, only a pending "
                              "application can be decided",
                              kind, from);
    if (ev == RA_EV_WITHDRAW)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "the %s application is %s: only a pending or returned application "
                              "can be withdrawn",
                              kind, from);
    if (ev == RA_EV_COMPLETE)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "the %s application is %s, not approved: no passphrase can be "
                              "created for it",
                              kind, from);
    return sertel_err_set(
        err, SERTEL_ERR_STATE, "a %s %s application cannot be %s", from, kind,
        (unsigned)ev < sizeof(event_words) / sizeof(event_words[0]) ? event_words[ev] : "changed");
}

int ra_app_may_open(const char *kind, const char *open_kind, const char *open_state,
                    sertel_err *err)
{
    if (open_kind == NULL || open_kind[0] == '\0')
        return SERTEL_OK;
    /* Revocation may always be asked for, unless one is already open. */
    if (strcmp(kind, "revocation") == 0) {
        if (strcmp(open_kind, "revocation") != 0)
            return SERTEL_OK;
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "a revocation application is already in progress (%s)", open_state);
    }
    if (strcmp(kind, "issuance") == 0 && strcmp(open_kind, "issuance") == 0 &&
        strcmp(open_state, "returned") == 0)
        return SERTEL_OK; /* resubmission */
    return sertel_err_set(err, SERTEL_ERR_STATE,
                          "a %s application is already in progress (%s): wait for its decision "
                          "or withdraw it",
                          open_kind, open_state);
}

/* --- 3. revocation and what it does to a person --- */

/* Cancel the person's unfinished issuance, renewal and update applications; void passphrase
 * links. */
static int cancel_unfinished(ra *r, const char *actor, int64_t account, const char *serial,
                             sertel_err *err)
{
    store_stmt *s = NULL;
    int64_t ids[64], now = (int64_t)time(NULL);
    char kinds[64][16], states[64][16];
    int n = 0, i, rc;

    rc = store_queryf(r->st, &s, err,
                      "SELECT id, kind, state FROM applications WHERE account_id = ? AND kind IN "
                      "('issuance', 'renewal', 'update') AND state IN ('pending', 'returned', "
                      "'approved') ORDER BY id",
                      "i", account);
    while (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        if (n < 64) {
            ids[n] = store_col_int64(s, 0);
            snprintf(kinds[n], sizeof(kinds[n]), "%s", store_col_text(s, 1));
            snprintf(states[n], sizeof(states[n]), "%s", store_col_text(s, 2));
            n++;
        }
        rc = SERTEL_OK;
    }
    store_finalize(s);
    if (rc < 0)
        return rc;
    for (i = 0; i < n && rc == SERTEL_OK; i++) {
        const char *to;
        char obj[32];
        if ((rc = ra_app_next_state(kinds[i], states[i], RA_EV_CANCEL, &to, err)) != SERTEL_OK)
            break;
        rc = store_execf(r->st, err,
                         "UPDATE applications SET state = ?, updated_at = ? WHERE id = ? AND "
                         "state = ?",
                         "tiit", to, now, ids[i], states[i]);
        snprintf(obj, sizeof(obj), "application:%lld", (long long)ids[i]);
        if (rc == SERTEL_OK)
            rc = ra_app_log(r, ids[i], actor, ra_app_event_name(RA_EV_CANCEL), to, NULL, err);
        if (rc == SERTEL_OK)
            rc = ra_audit_json(r, actor, AUDIT_APPLICATION_CANCELLED, obj,
                               json_pack("{s:I, s:s, s:s, s:s}", "application", (json_int_t)ids[i],
                                         "kind", kinds[i], "was", states[i], "because_revoked",
                                         serial),
                               err);
    }
    if (rc != SERTEL_OK)
        return rc;
    rc = store_execf(r->st, err,
                     "UPDATE tokens SET used_at = ? WHERE account_id = ? AND purpose = "
                     "'passphrase' AND used_at IS NULL",
                     "ii", now, account);
    if (rc == SERTEL_OK && store_changes(r->st) > 0)
        rc = ra_audit_json(r, actor, AUDIT_TOKENS_REVOKED, serial,
                           json_pack("{s:s, s:I}", "purpose", "passphrase", "count",
                                     (json_int_t)store_changes(r->st)),
                           err);
    return rc;
}

int ra_revoke_in_txn(ra *r, const char *actor, const char *serial, const ra_revocation *rv,
                     int64_t account, int by_renewal, sertel_err *err)
{
    int rc = ca_revoke_in_txn(r->ca, serial, rv->reason, rv->invalidity_date, actor, err);

    /* Signing sessions end with the certificate's standing, a suspension too. */
    if (rc == SERTEL_OK)
        rc = ra_sign_sessions_void(
            r, actor, serial, rv->reason == CA_REASON_CERTIFICATE_HOLD ? "suspended" : "revoked",
            err);
    if (rc != SERTEL_OK || rv->reason == CA_REASON_CERTIFICATE_HOLD)
        return rc; /* a suspension keeps the key and the person's applications */
    rc = ra_key_destroy_for_cert(r, serial, by_renewal ? "superseded" : "revoked", actor, err);
    /* A renewal's own "superseded" does not cancel the renewal that caused it. */
    if (rc == SERTEL_OK && !by_renewal && account != 0)
        rc = cancel_unfinished(r, actor, account, serial, err);
    return rc;
}

/* --- 4. the revocation reasons an owner chooses from --- */

/*
 * What an owner may say, and what it asks for (RFC 5280 §5.3.1). Every
 * keyCompromise choice suspends the certificate at once (ra_apply_revocation),
 * so each needs the owner's confirmation; "dicurigai" is the suspension
 * BSrE's owners ask for when they only suspect misuse: certificateHold now,
 * and the verifier then revokes (keyCompromise) or releases.
 */
static const ra_revocation_choice choices[] = {
    {"kunci_hilang", CA_REASON_KEY_COMPROMISE, 1, 1,
     "Kunci privat atau sarana penggunaannya hilang",
     "The private key, or the means to use it, is lost"},
    {"kunci_bocor", CA_REASON_KEY_COMPROMISE, 1, 1,
     "Kunci privat atau passphrase diketahui orang lain",
     "The private key or the passphrase is known to someone else"},
    {"dicurigai", CA_REASON_KEY_COMPROMISE, 0, 1,
     "Dicurigai disalahgunakan: tangguhkan sekarang, verifikator memutuskan",
     "Misuse suspected: suspend now, the verifier decides"},
    {"data_berubah", CA_REASON_AFFILIATION_CHANGED, 0, 0,
     "Data dalam sertifikat berubah (nama, unit kerja, instansi)",
     "The data in the certificate changed (name, unit, agency)"},
    {"tidak_digunakan", CA_REASON_CESSATION_OF_OPERATION, 0, 0,
     "Sertifikat tidak digunakan lagi (pindah tugas, pensiun)",
     "The certificate is no longer needed (transfer, retirement)"},
    {"lainnya", CA_REASON_UNSPECIFIED, 0, 0, "Alasan lain (jelaskan dalam catatan)",
     "Another reason (explain in the note)"},
};

const ra_revocation_choice *ra_revocation_choice_find(const char *name)
{
    size_t i;

    for (i = 0; name != NULL && i < sizeof(choices) / sizeof(choices[0]); i++)
        if (strcmp(choices[i].name, name) == 0)
            return &choices[i];
    return NULL;
}

const ra_revocation_choice *ra_revocation_choice_at(size_t i)
{
    return i < sizeof(choices) / sizeof(choices[0]) ? &choices[i] : NULL;
}
