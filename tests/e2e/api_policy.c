/*
 * api_policy.c - a helper for the API's end-to-end tests (built with the
 * tests, found in $SERTEL_BUILD): it answers from the library itself what
 * the tests must expect, so that the authorization matrix is generated
 * from the tables and never written out by hand.
 *
 *   api_policy routes
 *       every endpoint of lib/api's tables (api_endpoint_at), as one JSON
 *       array: method, path ("{}" segments), auth (none, session, client,
 *       any), in (none, json, form), flags, name and the policy action
 *       (null for none).
 *
 *   api_policy check
 *       reads lines "ROLE ACCOUNT AGENCY SCOPES ACTION TACCOUNT TAGENCY"
 *       (ROLE public|applicant|verifier|admin|auditor|client; SCOPES
 *       comma-separated or "-"; TACCOUNT "-" for no target, then TAGENCY
 *       is ignored; ACTION a name of ra_action_name) and prints for each
 *       "allow" or "deny": ra_policy_check for a target, ra_policy_reach
 *       (anything but none) without one.
 *
 *   api_policy enrol-staff HOME EMAIL
 *       enrols the staff account's login authenticator as the account
 *       itself would after its first login (ra_totp_enroll_staff), vouched
 *       for by the operator at the CA host, and prints the otpauth URI (a
 *       set-up step: the API's own enrolment endpoint belongs to another
 *       part of the API).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "ra/totp.h"
#include "util/num.h"

static const char *auth_name(api_auth a)
{
    switch (a) {
    case API_AUTH_NONE:
        return "none";
    case API_AUTH_SESSION:
        return "session";
    case API_AUTH_CLIENT:
        return "client";
    case API_AUTH_ANY:
        return "any";
    }
    return "unknown";
}

static int routes(void)
{
    json_t *arr = json_array();
    size_t i;
    char *s;

    for (i = 0; i < api_endpoint_count(); i++) {
        const api_endpoint *ep = api_endpoint_at(i);
        json_t *flags = json_array();
        if (ep->flags & API_F_SECRET)
            json_array_append_new(flags, json_string("secret"));
        if (ep->flags & API_F_ENROLMENT)
            json_array_append_new(flags, json_string("enrolment"));
        if (ep->flags & API_F_FACADE)
            json_array_append_new(flags, json_string("facade"));
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o}", "method", ep->method, "path",
                           ep->path, "auth", auth_name(ep->auth), "in",
                           ep->in == API_IN_JSON   ? "json"
                           : ep->in == API_IN_FORM ? "form"
                                                   : "none",
                           "flags", flags, "name", ep->name, "act",
                           ep->act == RA_ACT_COUNT ? json_null()
                                                   : json_string(ra_action_name(ep->act))));
    }
    s = json_dumps(arr, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(arr);
    if (s == NULL)
        return 2;
    puts(s);
    free(s);
    return 0;
}

static int parse_id(const char *s, int64_t *out)
{
    if (strcmp(s, "-") == 0) {
        *out = -1;
        return 0;
    }
    return num_parse_i64z(s, 0, INT64_MAX, out) == SERTEL_OK ? 0 : -1;
}

static int check(void)
{
    char line[512], role[32], scopes[64], act[64], ta[32], tg[32], ac[32], ag[32];

    while (fgets(line, sizeof(line), stdin) != NULL) {
        ra_actor a;
        ra_target t;
        int64_t acct, agency, tacct, tagency;
        int k, found = -1, ok;

        if (sscanf(line, "%31s %31s %31s %63s %63s %31s %31s", role, ac, ag, scopes, act, ta, tg) !=
                7 ||
            parse_id(ac, &acct) != 0 || parse_id(ag, &agency) != 0 || parse_id(ta, &tacct) != 0 ||
            parse_id(tg, &tagency) != 0) {
            fprintf(stderr, "api_policy: malformed line: %s", line);
            return 2;
        }
        for (k = 0; k < RA_ACT_COUNT; k++)
            if (strcmp(ra_action_name((ra_action)k), act) == 0)
                found = k;
        if (found < 0) {
            fprintf(stderr, "api_policy: unknown action %s\n", act);
            return 2;
        }
        memset(&a, 0, sizeof(a));
        snprintf(a.role, sizeof(a.role), "%.15s", role);
        a.account_id = acct > 0 ? acct : 0;
        a.agency_id = agency > 0 ? agency : 0;
        snprintf(a.email, sizeof(a.email), "%s", "matrix");
        if (strcmp(role, RA_ROLE_CLIENT) == 0) {
            snprintf(a.client_id, sizeof(a.client_id), "cl_matrix");
            if (strcmp(scopes, "-") != 0 && ra_scopes_parse(scopes, &a.scopes, NULL) != SERTEL_OK)
                return 2;
        }
        t.account_id = tacct > 0 ? tacct : 0;
        t.agency_id = tagency > 0 ? tagency : 0;
        if (tacct < 0)
            ok = ra_policy_reach(strcmp(role, "public") == 0 ? NULL : &a, (ra_action)found) !=
                 RA_REACH_NONE;
        else
            ok = ra_policy_check(strcmp(role, "public") == 0 ? NULL : &a, (ra_action)found, &t,
                                 NULL) == SERTEL_OK;
        printf("%s\n", ok ? "allow" : "deny");
        fflush(stdout);
    }
    return 0;
}

static int enrol_staff(const char *home, const char *email)
{
    ra *r = NULL;
    ra_actor a;
    char uri[TOTP_URI_MAX];
    sertel_err err = {0};
    int rc;

    if ((rc = ra_open(home, &r, &err)) == SERTEL_OK &&
        (rc = ra_actor_local_as(r, email, &a, &err)) == SERTEL_OK)
        rc = ra_totp_enroll_staff(r, &a, uri, sizeof(uri), &err);
    ra_close(r);
    if (rc != SERTEL_OK) {
        fprintf(stderr, "api_policy: %s\n", err.msg);
        return 1;
    }
    puts(uri);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "routes") == 0)
        return routes();
    if (argc == 2 && strcmp(argv[1], "check") == 0)
        return check();
    if (argc == 4 && strcmp(argv[1], "enrol-staff") == 0)
        return enrol_staff(argv[2], argv[3]);
    fprintf(stderr, "usage: api_policy routes | check | enrol-staff HOME EMAIL\n");
    return 2;
}
