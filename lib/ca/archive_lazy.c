/*
 * archive_lazy.c - libarchive's functions as backup.c calls them, loaded
 * on first use (util/dl.h): only `sertel backup` and `sertel restore` map
 * libarchive and what it needs (libxml2, ICU, the compressors). Each
 * function has libarchive's own name and prototype; the first call loads
 * libarchive by its soname (SERTEL_SONAME_ARCHIVE, found by CMake), every
 * call then goes to the real function. When it cannot be loaded the calls
 * fail as libarchive does when out of memory (NULL, ARCHIVE_FATAL) and
 * ca_archive_load says why. archive_set_error's format is applied here
 * and passed on as "%s".
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>

#include "ca/ca_int.h"
#include "util/dl.h"

#ifndef SERTEL_SONAME_ARCHIVE
#define SERTEL_SONAME_ARCHIVE "libarchive.so.13"
#endif

enum {
    F_ENTRY_FILETYPE,
    F_ENTRY_FREE,
    F_ENTRY_NEW,
    F_ENTRY_PATHNAME,
    F_ENTRY_PERM,
    F_ENTRY_SET_FILETYPE,
    F_ENTRY_SET_MTIME,
    F_ENTRY_SET_PATHNAME,
    F_ENTRY_SET_PERM,
    F_ENTRY_SET_SIZE,
    F_ERROR_STRING,
    F_READ_DATA,
    F_READ_DATA_BLOCK,
    F_READ_FREE,
    F_READ_NEW,
    F_READ_NEXT_HEADER,
    F_READ_OPEN,
    F_READ_SUPPORT_FORMAT_TAR,
    F_SET_ERROR,
    F_WRITE_CLOSE,
    F_WRITE_DATA,
    F_WRITE_FREE,
    F_WRITE_HEADER,
    F_WRITE_NEW,
    F_WRITE_OPEN,
    F_WRITE_SET_BYTES_IN_LAST_BLOCK,
    F_WRITE_SET_FORMAT_PAX_RESTRICTED,
    F_COUNT
};

static const char *const names[F_COUNT] = {
    "archive_entry_filetype",
    "archive_entry_free",
    "archive_entry_new",
    "archive_entry_pathname",
    "archive_entry_perm",
    "archive_entry_set_filetype",
    "archive_entry_set_mtime",
    "archive_entry_set_pathname",
    "archive_entry_set_perm",
    "archive_entry_set_size",
    "archive_error_string",
    "archive_read_data",
    "archive_read_data_block",
    "archive_read_free",
    "archive_read_new",
    "archive_read_next_header",
    "archive_read_open",
    "archive_read_support_format_tar",
    "archive_set_error",
    "archive_write_close",
    "archive_write_data",
    "archive_write_free",
    "archive_write_header",
    "archive_write_new",
    "archive_write_open",
    "archive_write_set_bytes_in_last_block",
    "archive_write_set_format_pax_restricted",
};
static void *fns[F_COUNT];
static dl_lib lib = DL_LIB_INIT(SERTEL_SONAME_ARCHIVE, "libarchive13", names, fns);

int ca_archive_load(sertel_err *err)
{
    return dl_load(&lib, err);
}

#define LOADED() (dl_load(&lib, NULL) == SERTEL_OK)
#define FN(i, type) ((type)fns[i])

mode_t archive_entry_filetype(struct archive_entry *e)
{
    return LOADED() ? FN(F_ENTRY_FILETYPE, mode_t(*)(struct archive_entry *))(e) : 0;
}

void archive_entry_free(struct archive_entry *e)
{
    if (LOADED())
        FN(F_ENTRY_FREE, void (*)(struct archive_entry *))(e);
}

struct archive_entry *archive_entry_new(void)
{
    return LOADED() ? FN(F_ENTRY_NEW, struct archive_entry * (*)(void))() : NULL;
}

const char *archive_entry_pathname(struct archive_entry *e)
{
    return LOADED() ? FN(F_ENTRY_PATHNAME, const char *(*)(struct archive_entry *))(e) : NULL;
}

mode_t archive_entry_perm(struct archive_entry *e)
{
    return LOADED() ? FN(F_ENTRY_PERM, mode_t(*)(struct archive_entry *))(e) : 0;
}

void archive_entry_set_filetype(struct archive_entry *e, unsigned int t)
{
    if (LOADED())
        FN(F_ENTRY_SET_FILETYPE, void (*)(struct archive_entry *, unsigned int))(e, t);
}

void archive_entry_set_mtime(struct archive_entry *e, time_t t, long ns)
{
    if (LOADED())
        FN(F_ENTRY_SET_MTIME, void (*)(struct archive_entry *, time_t, long))(e, t, ns);
}

void archive_entry_set_pathname(struct archive_entry *e, const char *p)
{
    if (LOADED())
        FN(F_ENTRY_SET_PATHNAME, void (*)(struct archive_entry *, const char *))(e, p);
}

void archive_entry_set_perm(struct archive_entry *e, mode_t m)
{
    if (LOADED())
        FN(F_ENTRY_SET_PERM, void (*)(struct archive_entry *, mode_t))(e, m);
}

void archive_entry_set_size(struct archive_entry *e, la_int64_t s)
{
    if (LOADED())
        FN(F_ENTRY_SET_SIZE, void (*)(struct archive_entry *, la_int64_t))(e, s);
}

const char *archive_error_string(struct archive *a)
{
    return LOADED() ? FN(F_ERROR_STRING, const char *(*)(struct archive *))(a)
                    : "libarchive could not be loaded";
}

la_ssize_t archive_read_data(struct archive *a, void *buf, size_t n)
{
    return LOADED() ? FN(F_READ_DATA, la_ssize_t(*)(struct archive *, void *, size_t))(a, buf, n)
                    : ARCHIVE_FATAL;
}

int archive_read_data_block(struct archive *a, const void **buff, size_t *size, la_int64_t *offset)
{
    return LOADED() ? FN(F_READ_DATA_BLOCK, int (*)(struct archive *, const void **, size_t *,
                                                    la_int64_t *))(a, buff, size, offset)
                    : ARCHIVE_FATAL;
}

int archive_read_free(struct archive *a)
{
    return LOADED() ? FN(F_READ_FREE, int (*)(struct archive *))(a) : ARCHIVE_FATAL;
}

struct archive *archive_read_new(void)
{
    return LOADED() ? FN(F_READ_NEW, struct archive * (*)(void))() : NULL;
}

int archive_read_next_header(struct archive *a, struct archive_entry **e)
{
    return LOADED()
               ? FN(F_READ_NEXT_HEADER, int (*)(struct archive *, struct archive_entry **))(a, e)
               : ARCHIVE_FATAL;
}

int archive_read_open(struct archive *a, void *data, archive_open_callback *o,
                      archive_read_callback *r, archive_close_callback *c)
{
    return LOADED() ? FN(F_READ_OPEN, int (*)(struct archive *, void *, archive_open_callback *,
                                              archive_read_callback *,
                                              archive_close_callback *))(a, data, o, r, c)
                    : ARCHIVE_FATAL;
}

int archive_read_support_format_tar(struct archive *a)
{
    return LOADED() ? FN(F_READ_SUPPORT_FORMAT_TAR, int (*)(struct archive *))(a) : ARCHIVE_FATAL;
}

void archive_set_error(struct archive *a, int e, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!LOADED())
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    FN(F_SET_ERROR, void (*)(struct archive *, int, const char *, ...))(a, e, "%s", msg);
}

int archive_write_close(struct archive *a)
{
    return LOADED() ? FN(F_WRITE_CLOSE, int (*)(struct archive *))(a) : ARCHIVE_FATAL;
}

la_ssize_t archive_write_data(struct archive *a, const void *buf, size_t n)
{
    return LOADED()
               ? FN(F_WRITE_DATA, la_ssize_t(*)(struct archive *, const void *, size_t))(a, buf, n)
               : ARCHIVE_FATAL;
}

int archive_write_free(struct archive *a)
{
    return LOADED() ? FN(F_WRITE_FREE, int (*)(struct archive *))(a) : ARCHIVE_FATAL;
}

int archive_write_header(struct archive *a, struct archive_entry *e)
{
    return LOADED() ? FN(F_WRITE_HEADER, int (*)(struct archive *, struct archive_entry *))(a, e)
                    : ARCHIVE_FATAL;
}

struct archive *archive_write_new(void)
{
    return LOADED() ? FN(F_WRITE_NEW, struct archive * (*)(void))() : NULL;
}

int archive_write_open(struct archive *a, void *data, archive_open_callback *o,
                       archive_write_callback *w, archive_close_callback *c)
{
    return LOADED() ? FN(F_WRITE_OPEN, int (*)(struct archive *, void *, archive_open_callback *,
                                               archive_write_callback *,
                                               archive_close_callback *))(a, data, o, w, c)
                    : ARCHIVE_FATAL;
}

int archive_write_set_bytes_in_last_block(struct archive *a, int n)
{
    return LOADED() ? FN(F_WRITE_SET_BYTES_IN_LAST_BLOCK, int (*)(struct archive *, int))(a, n)
                    : ARCHIVE_FATAL;
}

int archive_write_set_format_pax_restricted(struct archive *a)
{
    return LOADED() ? FN(F_WRITE_SET_FORMAT_PAX_RESTRICTED, int (*)(struct archive *))(a)
                    : ARCHIVE_FATAL;
}
