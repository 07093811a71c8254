/*
 * curl_lazy.c - libcurl's functions as sertel calls them (lib/cms
 * fetch.c, lib/ra mail.c), loaded on first use (util/dl.h): a command
 * that fetches nothing never maps libcurl and the thirty libraries it
 * needs (GnuTLS, Kerberos, LDAP, SSH, HTTP/2...). Each function has
 * libcurl's own name and prototype; the first call loads libcurl by its
 * soname (SERTEL_SONAME_CURL, found by CMake), every call then goes to the
 * real function. When libcurl cannot be loaded the calls fail as libcurl
 * itself fails when out of memory (NULL, CURLE_FAILED_INIT), and
 * cms_curl_load says why.
 *
 * The two variadic calls pass their one argument on by type: a
 * curl_easy_setopt option's type is in its number (CURLOPTTYPE_* ranges,
 * curl.h), curl_easy_getinfo always takes a pointer.
 */
#define CURL_DISABLE_TYPECHECK 1 /* the real prototypes, not typecheck-gcc.h's macros */
#include <curl/curl.h>
#include <stdarg.h>

#include "cms/curl_lazy.h"
#include "util/dl.h"

#ifndef SERTEL_SONAME_CURL
#define SERTEL_SONAME_CURL "libcurl.so.4"
#endif

enum {
    F_EASY_INIT,
    F_EASY_SETOPT,
    F_EASY_PERFORM,
    F_EASY_CLEANUP,
    F_EASY_GETINFO,
    F_EASY_STRERROR,
    F_FREE,
    F_GLOBAL_INIT,
    F_GLOBAL_CLEANUP,
    F_SLIST_APPEND,
    F_SLIST_FREE_ALL,
    F_URL,
    F_URL_CLEANUP,
    F_URL_GET,
    F_URL_SET,
    F_COUNT
};

static const char *const names[F_COUNT] = {
    "curl_easy_init",      "curl_easy_setopt",   "curl_easy_perform",   "curl_easy_cleanup",
    "curl_easy_getinfo",   "curl_easy_strerror", "curl_free",           "curl_global_init",
    "curl_global_cleanup", "curl_slist_append",  "curl_slist_free_all", "curl_url",
    "curl_url_cleanup",    "curl_url_get",       "curl_url_set",
};
static void *fns[F_COUNT];
static dl_lib lib = DL_LIB_INIT(SERTEL_SONAME_CURL, "libcurl4", names, fns);

int cms_curl_load(sertel_err *err)
{
    return dl_load(&lib, err);
}

#define LOADED() (dl_load(&lib, NULL) == SERTEL_OK)
#define FN(i, type) ((type)fns[i])

CURL *curl_easy_init(void)
{
    return LOADED() ? FN(F_EASY_INIT, CURL * (*)(void))() : NULL;
}

CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
    typedef CURLcode (*setopt_fn)(CURL *, CURLoption, ...);
    setopt_fn f = FN(F_EASY_SETOPT, setopt_fn);
    CURLcode rc;
    va_list ap;

    if (!LOADED())
        return CURLE_FAILED_INIT;
    va_start(ap, option);
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        long v = va_arg(ap, long);
        rc = f(curl, option, v);
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
        void *v = va_arg(ap, void *);
        rc = f(curl, option, v);
    } else if (option < CURLOPTTYPE_OFF_T) {
        void (*v)(void) = va_arg(ap, void (*)(void));
        rc = f(curl, option, v);
    } else if (option < CURLOPTTYPE_BLOB) {
        curl_off_t v = va_arg(ap, curl_off_t);
        rc = f(curl, option, v);
    } else {
        void *v = va_arg(ap, void *);
        rc = f(curl, option, v);
    }
    va_end(ap);
    return rc;
}

CURLcode curl_easy_perform(CURL *curl)
{
    return LOADED() ? FN(F_EASY_PERFORM, CURLcode(*)(CURL *))(curl) : CURLE_FAILED_INIT;
}

void curl_easy_cleanup(CURL *curl)
{
    if (LOADED())
        FN(F_EASY_CLEANUP, void (*)(CURL *))(curl);
}

CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
    typedef CURLcode (*getinfo_fn)(CURL *, CURLINFO, ...);
    void *out;
    va_list ap;

    if (!LOADED())
        return CURLE_FAILED_INIT;
    va_start(ap, info);
    out = va_arg(ap, void *); /* every CURLINFO takes a pointer to its result */
    va_end(ap);
    return FN(F_EASY_GETINFO, getinfo_fn)(curl, info, out);
}

const char *curl_easy_strerror(CURLcode code)
{
    return LOADED() ? FN(F_EASY_STRERROR, const char *(*)(CURLcode))(code)
                    : "libcurl could not be loaded";
}

void curl_free(void *p)
{
    if (LOADED())
        FN(F_FREE, void (*)(void *))(p);
}

CURLcode curl_global_init(long flags)
{
    return LOADED() ? FN(F_GLOBAL_INIT, CURLcode(*)(long))(flags) : CURLE_FAILED_INIT;
}

void curl_global_cleanup(void)
{
    if (LOADED())
        FN(F_GLOBAL_CLEANUP, void (*)(void))();
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *data)
{
    return LOADED() ? FN(F_SLIST_APPEND,
                         struct curl_slist * (*)(struct curl_slist *, const char *))(list, data)
                    : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
    if (LOADED())
        FN(F_SLIST_FREE_ALL, void (*)(struct curl_slist *))(list);
}

CURLU *curl_url(void)
{
    return LOADED() ? FN(F_URL, CURLU * (*)(void))() : NULL;
}

void curl_url_cleanup(CURLU *handle)
{
    if (LOADED())
        FN(F_URL_CLEANUP, void (*)(CURLU *))(handle);
}

CURLUcode curl_url_get(CURLU *handle, CURLUPart what, char **part, unsigned int flags)
{
    return LOADED() ? FN(F_URL_GET, CURLUcode(*)(CURLU *, CURLUPart, char **, unsigned int))(
                          handle, what, part, flags)
                    : CURLUE_OUT_OF_MEMORY;
}

CURLUcode curl_url_set(CURLU *handle, CURLUPart what, const char *part, unsigned int flags)
{
    return LOADED() ? FN(F_URL_SET, CURLUcode(*)(CURLU *, CURLUPart, const char *, unsigned int))(
                          handle, what, part, flags)
                    : CURLUE_OUT_OF_MEMORY;
}
