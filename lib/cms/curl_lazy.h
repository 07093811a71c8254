/*
 * curl_lazy.h - libcurl is loaded on its first use (curl_lazy.c): the
 * curl_* calls of sertel go to stubs that load it. For a caller that
 * wants to say why a call failed.
 */
#ifndef SERTEL_CMS_CURL_LAZY_H
#define SERTEL_CMS_CURL_LAZY_H

#include "util/err.h"

/*
 * Load libcurl now (once; later calls only report). SERTEL_OK, or
 * SERTEL_ERR_UNSUPPORTED naming the library and the package to install.
 * Thread-safe.
 */
int cms_curl_load(sertel_err *err);

#endif
