/*
 * dynbuf.h - a growing byte buffer with a hard cap (curl's dynbuf): the one
 * buffer sertel builds messages, PDF updates and HTTP bodies in. Every
 * buffer that grows from input has a maximum; going past it, or running out
 * of memory, puts the buffer into a failed state that later appends keep
 * (so a builder may append many pieces and check once at the end).
 *
 * The contents are always NUL-terminated (not counted in len). A buffer
 * marked secret is wiped when it grows and when it is freed.
 *
 * Ownership: the buffer owns p until dynbuf_take hands it over.
 * Thread safety: one buffer per thread.
 */
#ifndef SERTEL_UTIL_DYNBUF_H
#define SERTEL_UTIL_DYNBUF_H

#include <stddef.h>

#include "util/err.h"

typedef struct dynbuf {
    char *p;    /* the bytes, NUL-terminated; NULL while empty */
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
    size_t max; /* most bytes it may hold (0: DYNBUF_DEFAULT_MAX) */
    int failed; /* SERTEL_ERR_NOMEM or SERTEL_ERR_INVALID (too big) once failed, else 0 */
    int secret; /* wipe on growth and free */
} dynbuf;

#define DYNBUF_DEFAULT_MAX ((size_t)256 << 20)

/* Start an empty buffer that may hold at most max bytes (0: DYNBUF_DEFAULT_MAX). */
void dynbuf_init(dynbuf *b, size_t max) SERTEL_NONNULL(1);

/*
 * Append n bytes. Returns SERTEL_OK, or the failure code (also when the
 * buffer had failed before): SERTEL_ERR_NOMEM, SERTEL_ERR_INVALID when
 * the maximum would be passed.
 */
int dynbuf_add(dynbuf *b, const void *data, size_t n) SERTEL_NONNULL(1);

/* Append a NUL-terminated string. */
int dynbuf_addstr(dynbuf *b, const char *s) SERTEL_NONNULL(1, 2);

/* Append printf-formatted text. */
int dynbuf_addf(dynbuf *b, const char *fmt, ...) SERTEL_PRINTF(2, 3) SERTEL_NONNULL(1, 2);

/*
 * Room for a writer that fills memory itself (libjpeg's destination
 * manager): make at least n bytes free after the contents and return where
 * they start (NULL, and the buffer failed, past the maximum or out of
 * memory); then dynbuf_advance(b, k) counts the k bytes written there.
 * *avail (may be NULL) receives how many bytes are free (>= n).
 */
unsigned char *dynbuf_reserve(dynbuf *b, size_t n, size_t *avail) SERTEL_NONNULL(1);
void dynbuf_advance(dynbuf *b, size_t k) SERTEL_NONNULL(1);

/* Forget the contents but keep the memory (wiped when secret). */
void dynbuf_reset(dynbuf *b) SERTEL_NONNULL(1);

/* Hand the bytes to the caller (free() them; NULL when empty) and reset the buffer. */
char *dynbuf_take(dynbuf *b, size_t *len) SERTEL_NONNULL(1);

/* Release the memory (wiped when secret). NULL-safe. */
void dynbuf_free(dynbuf *b);

#endif
