/*
 * api.h - sertel's HTTP API: the native JSON API under /api/v1 and the
 * BSrE-compatible facade (/api/sign/..., /api/v2/...), as routes for the
 * HTTP server (lib/http). It holds no rule of the process: every handler
 * reads its input, calls the registration authority (lib/ra) or the
 * signing and validation libraries, and writes what they answered as JSON.
 *
 * Who is calling is established once per request, before the handler runs:
 *  - a person by the session cookie of a login (ra_session); every unsafe
 *    method (POST, PUT, PATCH, DELETE) must also carry the session's CSRF
 *    token in the X-CSRF-Token header;
 *  - an agency system by HTTP Basic authentication with its client id and
 *    secret (ra_client_auth), as BSrE's clients send it.
 * What the caller may then do is decided by the library's policy table.
 *
 * Answers: JSON, "Cache-Control: no-store", and the headers that keep a
 * browser from reading them as anything else (nosniff, a CSP that allows
 * nothing, no referrer, no framing). Errors have one shape,
 * {"error":{"code":"passphrase_wrong","message":"..."}}, with the message
 * in Indonesian, or in English when Accept-Language prefers it; the codes
 * are stable and listed in docs/api.md and the OpenAPI file.
 *
 * Settings ([api] in sertel.conf): trusted_proxies (addresses whose
 * X-Forwarded-For and X-Forwarded-Proto are believed), max_body_mib;
 * signing limits (docs/operations.md): batch_max_files, max_pages,
 * sign_memory_mib, sign_queue, verify_queue, client_rate_per_minute. The
 * library's own [api] settings (sessions, logins, the facade's signing
 * sessions and download retention) are read by lib/ra.
 *
 * Ownership: api_open returns an api freed by api_close after the server
 * that uses its routes has stopped.
 * Thread safety: the handlers run on the server's threads concurrently;
 * each call borrows a registration authority handle from a pool.
 */
#ifndef SERTEL_API_H
#define SERTEL_API_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "util/err.h"

typedef struct api api;

typedef struct api_config {
    const char *home;      /* the CA home */
    const char *base_path; /* the path of the base URL ("" or "/pki"): routes live under it */
    int tls;               /* 1: the server speaks TLS itself */
    unsigned handles;      /* registration authority handles in the pool, 0: 8 (one for
                              each worker of the signing and validation pools is added) */
    struct pki *services;  /* the home's TSA, OCSP, CRLs for signing (borrowed, thread-safe);
                              NULL: api_open opens its own */
    const char *spool_dir; /* where signed answers are written (unnamed files); NULL:
                              <home>/spool */
} api_config;

/*
 * Open the API over a home: reads [api] settings, checks them, and opens
 * the first registration authority handle (so a broken home fails here,
 * not on the first request). The home is opened for the online services
 * (CA_OPEN_ONLINE: never the root key).
 */
int api_open(const api_config *cfg, api **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/*
 * Append the API's routes to routes[*n..cap); *n grows by their number.
 * SERTEL_ERR_INVALID when they do not fit. The routes point into a.
 */
int api_routes(api *a, http_route *routes, size_t cap, size_t *n, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 4);

/*
 * Housekeeping the API's stored state needs, run at api_open and then by
 * the server's periodic tick (at most once a minute, whatever the calling
 * rate): signed files kept for download past [api]
 * download_retention_hours and expired signing sessions are deleted
 * (audited by the library). Failures go to stderr; the next tick tries
 * again. Call from one thread (the server's controlling thread).
 */
void api_tick(api *a, int64_t now) SERTEL_NONNULL(1);

/* Close the handles. NULL-safe. Call only after the server has stopped. */
void api_close(api *a);

#endif
