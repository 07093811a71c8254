/*
 * testutil.c - helpers shared by the cmocka unit tests (see testutil.h).
 */

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"

char *tu_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    char *d;

    snprintf(tmpl, sizeof(tmpl), "%s/sertel-test-XXXXXX", base ? base : "/tmp");
    d = mkdtemp(tmpl);
    if (d == NULL) {
        perror("mkdtemp");
        abort();
    }
    return strdup(d);
}

void tu_rmtree(char *dir)
{
    if (dir == NULL)
        return;
    fs_rmtree(dir);
    free(dir);
}

const char *tu_path(const char *dir, const char *name)
{
    static char bufs[8][4096];
    static int next;
    char *b = bufs[next++ % 8];

    snprintf(b, 4096, "%s/%s", dir, name);
    return b;
}
