/*
 * dl.h - shared libraries loaded on first use (dlopen, POSIX.1-2017).
 *
 * Every `sertel` command used to map libcurl, libarchive and libmicrohttpd
 * and, through them, some forty more libraries (GnuTLS, Kerberos, LDAP,
 * ICU, libxml2...) at start: resolving their symbols was half of the time
 * of a `sertel verify` that needs none of them (docs/benchmarks.md). The
 * modules that call those libraries now link small stubs with the
 * libraries' own function names (lib/cms/curl_lazy.c,
 * lib/ca/archive_lazy.c, lib/http/mhd_lazy.c): the first call loads the
 * library by its soname and every later call goes straight through.
 *
 * Thread safety: dl_load may be called from several threads at once; the
 * library is loaded once and never unloaded.
 */
#ifndef SERTEL_UTIL_DL_H
#define SERTEL_UTIL_DL_H

#include <pthread.h>
#include <stddef.h>

#include "util/err.h"

/* A library and the functions wanted from it. Define one statically with DL_LIB_INIT. */
typedef struct dl_lib {
    const char *soname;       /* e.g. "libcurl.so.4" */
    const char *package;      /* the Debian package that installs it, for the message */
    const char *const *names; /* the functions, n of them */
    void **fns;               /* their addresses, filled by dl_load (same order) */
    size_t n;
    pthread_mutex_t mu;
    int state; /* 0 not tried, 1 loaded, -1 failed (why says why) */
    char why[256];
} dl_lib;

#define DL_LIB_INIT(so, pkg, names_, fns_)                                                         \
    {                                                                                              \
        (so), (pkg), (names_), (fns_), sizeof(names_) / sizeof((names_)[0]),                       \
            PTHREAD_MUTEX_INITIALIZER, 0, ""                                                       \
    }

/*
 * Load lib (once) and resolve all its functions. Returns SERTEL_OK, or
 * SERTEL_ERR_UNSUPPORTED with a message naming the library, the package
 * to install and what dlopen/dlsym said (err may be NULL). A failure is
 * remembered: later calls fail the same way without trying again.
 */
int dl_load(dl_lib *lib, sertel_err *err) SERTEL_NONNULL(1);

#endif
