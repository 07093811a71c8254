/*
 * dl.c - shared libraries loaded on first use (dl.h): dlopen(3) by
 * soname with RTLD_NOW | RTLD_LOCAL, then dlsym(3) for every function a
 * stub file needs, all before any is used, so a library of the wrong
 * version is refused as a whole.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "util/dl.h"

static int fail(dl_lib *lib, sertel_err *err)
{
    return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED, "%s", lib->why);
}

int dl_load(dl_lib *lib, sertel_err *err)
{
    void *h;
    size_t i;
    int rc = SERTEL_OK;

    if (__atomic_load_n(&lib->state, __ATOMIC_ACQUIRE) == 1)
        return SERTEL_OK;
    pthread_mutex_lock(&lib->mu);
    if (lib->state == 0) {
        h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (h == NULL) {
            const char *e = dlerror();
            snprintf(lib->why, sizeof(lib->why), "%s cannot be loaded (%s): install the package %s",
                     lib->soname, e != NULL ? e : "unknown error", lib->package);
            lib->state = -1;
        }
        for (i = 0; h != NULL && i < lib->n; i++) {
            lib->fns[i] = dlsym(h, lib->names[i]);
            if (lib->fns[i] == NULL) {
                snprintf(lib->why, sizeof(lib->why),
                         "%s has no %s: install the version of the package %s that sertel was "
                         "built with",
                         lib->soname, lib->names[i], lib->package);
                lib->state = -1;
                break; /* the handle stays open: harmless, and never half used */
            }
        }
        if (lib->state == 0)
            __atomic_store_n(&lib->state, 1, __ATOMIC_RELEASE);
    }
    if (lib->state != 1)
        rc = fail(lib, err);
    pthread_mutex_unlock(&lib->mu);
    return rc;
}
