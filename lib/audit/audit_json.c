/*
 * audit_json.c - audit entries whose details are a JSON object built with
 * jansson: values of any length and content are escaped by the library,
 * nothing is truncated (a detail that does not fit DETAILS_MAX is an
 * error, not a cut-off entry), and keys come out sorted so equal details
 * always hash alike.
 */
#include <jansson.h>
#include <stdlib.h>

#include "audit/audit.h"

int audit_append_json(audit *a, const char *actor, const char *event, const char *object,
                      json_t *details, int64_t *seq, sertel_err *err)
{
    char *text = NULL;
    int rc;

    if (details == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM,
                              "the details of audit event %s could not be built (out of memory)",
                              event);
    if (!json_is_object(details)) {
        json_decref(details);
        return sertel_err_set(err, SERTEL_ERR_INTERNAL,
                              "the details of audit event %s are not a JSON object", event);
    }
    text = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(details);
    if (text == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM,
                              "the details of audit event %s could not be written", event);
    rc = audit_append(a, actor, event, object, text, seq, err);
    free(text);
    return rc;
}
