/*
 * fault.c - failure injection for tests (see fault.h). Everything here is
 * compiled only with SERTEL_FAULT_INJECTION.
 */
#include "util/fault.h"

#ifdef SERTEL_FAULT_INJECTION
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long seen[FAULT_SITES];
static atomic_long armed[FAULT_SITES];
static atomic_int fired[FAULT_SITES];
static atomic_int env_read;

static const char *const site_names[FAULT_SITES] = {"alloc", "store", "keystore"};
static char report_path[4096];

/* At exit, for the torture driver: "<site> <armed> <seen> <fired>" per site. */
static void write_report(void)
{
    FILE *f;
    int s;

    if (report_path[0] == '\0' || (f = fopen(report_path, "w")) == NULL)
        return;
    for (s = 0; s < FAULT_SITES; s++)
        fprintf(f, "%s %ld %ld %d\n", site_names[s], atomic_load(&armed[s]), atomic_load(&seen[s]),
                atomic_load(&fired[s]));
    fclose(f);
}

/* Parse SERTEL_FAULT once (without allocating: malloc itself may be the site). */
static void read_env(void)
{
    const char *e;
    int expect = 0;

    if (!atomic_compare_exchange_strong(&env_read, &expect, 1))
        return;
    e = getenv("SERTEL_FAULT_REPORT");
    if (e != NULL && strlen(e) < sizeof(report_path)) {
        memcpy(report_path, e, strlen(e) + 1);
        atexit(write_report);
    }
    e = getenv("SERTEL_FAULT");
    while (e != NULL && *e != '\0') {
        int s;
        for (s = 0; s < FAULT_SITES; s++) {
            size_t n = strlen(site_names[s]);
            if (strncmp(e, site_names[s], n) == 0 && e[n] == ':') {
                long v = 0;
                const char *p = e + n + 1;
                while (*p >= '0' && *p <= '9' && v < 100000000)
                    v = v * 10 + (*p++ - '0');
                atomic_store(&armed[s], v);
                break;
            }
        }
        e = strchr(e, ',');
        if (e != NULL)
            e++;
    }
}

int fault_hit(fault_site site)
{
    long n, a;

    if ((unsigned)site >= FAULT_SITES)
        return 0;
    read_env();
    n = atomic_fetch_add(&seen[site], 1) + 1;
    a = atomic_load(&armed[site]);
    if (a > 0 && n == a) {
        atomic_store(&fired[site], 1);
        return 1;
    }
    return 0;
}

void fault_arm(fault_site site, long nth)
{
    if ((unsigned)site >= FAULT_SITES)
        return;
    read_env();
    atomic_store(&seen[site], 0);
    atomic_store(&fired[site], 0);
    atomic_store(&armed[site], nth);
}

long fault_seen(fault_site site)
{
    return (unsigned)site < FAULT_SITES ? atomic_load(&seen[site]) : 0;
}

int fault_fired(fault_site site)
{
    return (unsigned)site < FAULT_SITES ? atomic_load(&fired[site]) : 0;
}

#else
/* ISO C wants a translation unit to declare something. */
typedef int fault_unused;
#endif
