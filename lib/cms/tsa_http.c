/*
 * tsa_http.c - RFC 3161 §3.4 time-stamp protocol over HTTP: POST an
 * application/timestamp-query, expect 200 with application/timestamp-reply.
 * Untrusted peer: the body is capped at CMS_TSA_RESP_MAX, the whole
 * exchange at 30 seconds, redirects are not followed (cms_http_fetch).
 */
#include <stdlib.h>
#include <string.h>

#include "cms/cms.h"

int cms_tsa_http(void *arg, const unsigned char *req, size_t req_len, unsigned char **resp,
                 size_t *resp_len, sertel_err *err)
{
    const char *url = arg;
    char ct[128];
    int rc;

    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "time-stamping URL must start with http:// or https://");
    rc = cms_http_fetch(url, "application/timestamp-query", req, req_len, CMS_TSA_RESP_MAX, 30L,
                        resp, resp_len, ct, sizeof(ct), err);
    if (rc != SERTEL_OK)
        return rc;
    if (strncmp(ct, "application/timestamp-reply", 27) != 0) {
        free(*resp);
        *resp = NULL;
        *resp_len = 0;
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s answered %s, not a time-stamp reply",
                              url, ct[0] ? ct : "no content type");
    }
    return SERTEL_OK;
}
