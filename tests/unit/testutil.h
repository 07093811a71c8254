/*
 * testutil.h - helpers shared by the cmocka unit tests: temporary
 * directories that are removed afterwards, and test data paths.
 */
#ifndef SERTEL_TESTUTIL_H
#define SERTEL_TESTUTIL_H

#include <stddef.h>

/* Make a fresh temporary directory; returns a malloc'ed path. Aborts on failure. */
char *tu_mkdtemp(void);

/* Remove a directory tree made by tu_mkdtemp and free the path. NULL-safe. */
void tu_rmtree(char *dir);

/* Path join into a static rotating buffer (valid for a few calls). */
const char *tu_path(const char *dir, const char *name);

#endif
