/*
 * fault.h - failure injection for tests, in the spirit of curl's torture
 * tests and SQLite's fault simulation: make the Nth allocation, store call
 * or key-store call fail, and check that sertel answers with an error and
 * loses nothing, never crashes, never half-does a step.
 *
 * Compiled in only when the build defines SERTEL_FAULT_INJECTION (cmake
 * -DSERTEL_FAULT_INJECTION=ON, what scripts/test.sh builds); otherwise
 * fault_hit() is the constant 0 and costs nothing.
 *
 * Arming: fault_arm(site, n) from a test, or the environment variable
 *   SERTEL_FAULT="store:N", "keystore:N", "alloc:N" (comma-separated)
 * read on the first call: the Nth call at that site from then on fails,
 * once. With SERTEL_FAULT_REPORT=FILE the process writes, at exit, one line
 * per site: "<site> <armed N> <calls seen> <fired 0|1>" (scripts/torture.sh
 * steps N until the fault no longer fires). fault_seen() tells how many calls a site saw, so a
 * driver can step N from 1 until a run no longer reaches it. Allocation failures reach sertel's own
 * code through the linker's --wrap=malloc/calloc/realloc (test executables of a fault-injection
 * build only).
 *
 * Thread safety: counters are atomic; arming is for single-threaded
 * test set-up.
 */
#ifndef SERTEL_UTIL_FAULT_H
#define SERTEL_UTIL_FAULT_H

typedef enum fault_site {
    FAULT_ALLOC = 0,    /* malloc, calloc, realloc in sertel's code */
    FAULT_STORE = 1,    /* store_begin, store_commit, store_prepare, store_step */
    FAULT_KEYSTORE = 2, /* ks_load, ks_generate, ks_destroy, ks_sign, audit checkpoint signatures */
    FAULT_SITES = 3
} fault_site;

#ifdef SERTEL_FAULT_INJECTION
/* 1 when this call at site must fail (counts the call). */
int fault_hit(fault_site site);
/* Fail the nth call at site from now on (1-based); 0 disarms. Resets the count. */
void fault_arm(fault_site site, long nth);
/* Calls counted at site since it was last armed (or since start). */
long fault_seen(fault_site site);
/* 1 when the armed fault at site has fired. */
int fault_fired(fault_site site);
#else
#define fault_hit(site) 0
#define fault_arm(site, nth) ((void)0)
#define fault_seen(site) 0L
#define fault_fired(site) 0
#endif

#endif
