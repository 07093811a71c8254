/*
 * upload_store.c - applicants' uploads on disk (see upload.h): stored
 * content-addressed at <uploads>/ab/<sha256>, written atomically, read
 * back with the SHA-256 checked.
 *
 * Below the uploads directory every call goes through directory file
 * descriptors (openat, fstatat, renameat, unlinkat): the uploads directory
 * and its ab subdirectory are opened with O_DIRECTORY|O_NOFOLLOW, so
 * neither may be a symbolic link, and once open nobody can swap a path
 * component under us. An entry is looked at with fstatat without
 * following links and is opened only when it is a regular file, then with
 * O_NOFOLLOW|O_NONBLOCK (should it have become a FIFO in between, the open
 * does not block) and checked again with fstat. Anything else there (a
 * symbolic link, a FIFO, a device, a directory) is reported as tampering,
 * never opened and never followed. Writes go to an exclusively created
 * temporary file in the same directory, are fsync'ed, renamed over the
 * name (rename never follows a link) and the directory is fsync'ed: a
 * crash leaves the old file or the new one, never half of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ra/upload_int.h"
#include "util/fs.h"
#include "util/hex.h"

/* Exactly 64 lower-case hex digits: the only names ever used below the directory. */
static int valid_sha256_hex(const char *s)
{
    size_t i;

    for (i = 0; i < UPLOAD_SHA256_HEX_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0; /* also stops at the NUL of a short string */
    return s[UPLOAD_SHA256_HEX_LEN] == '\0';
}

static const char *file_type(mode_t m)
{
    if (S_ISLNK(m))
        return "a symbolic link";
    if (S_ISFIFO(m))
        return "a FIFO (named pipe)";
    if (S_ISCHR(m) || S_ISBLK(m))
        return "a device";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISDIR(m))
        return "a directory";
    return "not a regular file";
}

/*
 * Open directory name (relative to at; shown as shown in messages) without
 * following a symbolic link, creating it with mode 0700 first when create
 * is set (*created tells). SERTEL_ERR_NOTFOUND when it is missing (and not
 * created), SERTEL_ERR_TAMPERED when it is a link or not a directory.
 */
static int open_dir(int at, const char *name, const char *shown, int create, int *created, int *fd,
                    sertel_err *err)
{
    struct stat st;
    int e;

    *fd = -1;
    if (created != NULL)
        *created = 0;
    if (create) {
        if (mkdirat(at, name, 0700) == 0) {
            if (created != NULL)
                *created = 1;
        } else if (errno != EEXIST) {
            return sertel_err_set(err, SERTEL_ERR_IO, "cannot create directory %s: %s", shown,
                                  strerror(errno));
        }
    }
    *fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd >= 0)
        return SERTEL_OK;
    e = errno;
    if (e == ENOENT)
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "directory %s does not exist", shown);
    if ((e == ELOOP || e == ENOTDIR) && fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return sertel_err_set(err, SERTEL_ERR_TAMPERED,
                              "the upload store was altered: %s is %s, not a directory; remove "
                              "it and restore the directory from a backup",
                              shown, file_type(st.st_mode));
    return sertel_err_set(err, SERTEL_ERR_IO, "cannot open directory %s: %s", shown, strerror(e));
}

/* dir and dir/ab opened (and created when create is set); *sub_created for dir/ab. */
static int open_dirs(const char *dir, const char *sha256, int create, int *dfd, int *sfd,
                     sertel_err *err)
{
    char ab[3] = {sha256[0], sha256[1], '\0'}, shown[4200];
    int rc, created = 0;

    *sfd = -1;
    rc = open_dir(AT_FDCWD, dir, dir, create, NULL, dfd, err);
    if (rc != SERTEL_OK)
        return rc;
    snprintf(shown, sizeof(shown), "%s/%s", dir, ab);
    rc = open_dir(*dfd, ab, shown, create, &created, sfd, err);
    if (rc == SERTEL_OK && created && fsync(*dfd) != 0 && errno != EINVAL)
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot sync directory %s: %s", dir,
                            strerror(errno));
    return rc;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/*
 * Open the regular file name in directory sfd for reading: never a link, a
 * FIFO or a device (SERTEL_ERR_TAMPERED, not opened), SERTEL_ERR_NOTFOUND
 * when absent. *st is its fstat.
 */
static int open_regular(int sfd, const char *name, const char *shown, int *fd, struct stat *st,
                        sertel_err *err)
{
    *fd = -1;
    if (fstatat(sfd, name, st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "%s does not exist", shown);
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot inspect %s: %s", shown, strerror(errno));
    }
    if (S_ISREG(st->st_mode)) {
        *fd = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (*fd < 0 && errno != ELOOP)
            return sertel_err_set(err, errno == ENOENT ? SERTEL_ERR_NOTFOUND : SERTEL_ERR_IO,
                                  "cannot open %s: %s", shown, strerror(errno));
        if (*fd >= 0 && fstat(*fd, st) != 0) {
            close_fd(fd);
            return sertel_err_set(err, SERTEL_ERR_IO, "cannot inspect %s: %s", shown,
                                  strerror(errno));
        }
        if (*fd >= 0 && S_ISREG(st->st_mode))
            return SERTEL_OK;
        close_fd(fd); /* replaced by something else since fstatat */
    }
    return sertel_err_set(err, SERTEL_ERR_TAMPERED,
                          "stored upload %s is %s, not a regular file: the upload store was "
                          "altered; remove it and restore the file from a backup",
                          shown, file_type(st->st_mode));
}

/* Read all of fd (at most max bytes; more is SERTEL_ERR_INVALID) into a new buffer. */
static int read_fd(int fd, const char *shown, size_t max, unsigned char **out, size_t *len,
                   sertel_err *err)
{
    unsigned char *buf = malloc(max + 1);
    size_t used = 0;

    *out = NULL;
    *len = 0;
    if (buf == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory reading %s", shown);
    for (;;) {
        ssize_t n = read(fd, buf + used, max + 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            return sertel_err_set(err, SERTEL_ERR_IO, "cannot read %s: %s", shown, strerror(e));
        }
        if (n == 0)
            break;
        used += (size_t)n;
        if (used > max) {
            free(buf);
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "stored upload %s is more than the limit of %zu bytes", shown,
                                  max);
        }
    }
    *out = buf;
    *len = used;
    return SERTEL_OK;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Write data to a fresh temporary file in sfd and rename it to name; fsync both. */
static int replace_atomically(int sfd, const char *name, const char *shown,
                              const unsigned char *data, size_t len, sertel_err *err)
{
    unsigned char rnd[8];
    char tmp[32];
    int fd = -1, tries, rc = SERTEL_OK;

    for (tries = 0; tries < 8 && fd < 0; tries++) {
        char hex[17];
        randombytes_buf(rnd, sizeof(rnd));
        hex_encode(rnd, sizeof(rnd), hex);
        snprintf(tmp, sizeof(tmp), ".tmp-%s", hex);
        fd = openat(sfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot create a file next to %s: %s", shown,
                              strerror(errno));
    if (fchmod(fd, 0640) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", shown, strerror(errno));
        close(fd);
        goto fail;
    }
    if (close(fd) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", shown, strerror(errno));
        goto fail;
    }
    if (renameat(sfd, tmp, sfd, name) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot store %s: %s", shown, strerror(errno));
        goto fail;
    }
    if (fsync(sfd) != 0 && errno != EINVAL)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot sync the directory of %s: %s", shown,
                              strerror(errno));
    return SERTEL_OK;
fail:
    (void)unlinkat(sfd, tmp, 0);
    return rc;
}

int upload_store(const char *dir, const unsigned char *data, size_t len, const upload_info *info,
                 sertel_err *err)
{
    char hex[UPLOAD_SHA256_HEX_LEN + 1], shown[4200];
    unsigned char *old = NULL;
    size_t oldlen = 0;
    struct stat st;
    int rc, dfd = -1, sfd = -1, fd = -1, same = 0;
    sertel_err ignore = {0};

    if (!valid_sha256_hex(info->sha256))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "upload_store: the SHA-256 in the upload record is not 64 "
                              "lower-case hex digits; pass the record from upload_check");
    if (data == NULL || len == 0 || info->size != len)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "upload_store: the upload record describes %zu bytes but %zu were "
                              "given; pass the record and the bytes from upload_check",
                              info->size, data == NULL ? (size_t)0 : len);
    rc = upload_sha256_hex(data, len, hex, err);
    if (rc != SERTEL_OK)
        return rc;
    if (strcmp(hex, info->sha256) != 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "upload_store: the data does not have the SHA-256 of its upload "
                              "record; pass the record and the bytes from upload_check");
    snprintf(shown, sizeof(shown), "%s/%.2s/%s", dir, hex, hex);
    rc = open_dirs(dir, hex, 1, &dfd, &sfd, err);
    if (rc != SERTEL_OK)
        goto out;
    rc = open_regular(sfd, hex, shown, &fd, &st, err);
    if (rc == SERTEL_OK) {
        /* Already there? Compare the bytes themselves (stronger than the hash). */
        if ((unsigned long long)st.st_size == len &&
            read_fd(fd, shown, len, &old, &oldlen, &ignore) == SERTEL_OK)
            same = oldlen == len && memcmp(old, data, len) == 0;
        free(old);
        close_fd(&fd);
        if (same)
            goto out;
    } else if (rc != SERTEL_ERR_NOTFOUND) {
        goto out; /* not a regular file: tampering, reported and left for the operator */
    }
    rc = replace_atomically(sfd, hex, shown, data, len, err);
out:
    close_fd(&fd);
    close_fd(&sfd);
    close_fd(&dfd);
    return rc;
}

int upload_load(const char *dir, const char *sha256, size_t max, unsigned char **out, size_t *len,
                sertel_err *err)
{
    char hex[UPLOAD_SHA256_HEX_LEN + 1], shown[4200];
    unsigned char *buf = NULL;
    size_t n = 0;
    struct stat st;
    int rc, dfd = -1, sfd = -1, fd = -1;

    *out = NULL;
    *len = 0;
    if (!valid_sha256_hex(sha256))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "not a valid upload reference: expected a SHA-256 as 64 lower-case "
                              "hex digits");
    if (max == 0)
        max = UPLOAD_DEFAULT_MAX;
    snprintf(shown, sizeof(shown), "%s/%.2s/%s", dir, sha256, sha256);
    rc = open_dirs(dir, sha256, 0, &dfd, &sfd, err);
    if (rc == SERTEL_OK)
        rc = open_regular(sfd, sha256, shown, &fd, &st, err);
    if (rc == SERTEL_ERR_NOTFOUND)
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                            "upload %s is not stored in %s (it was never stored, or was removed)",
                            sha256, dir);
    if (rc != SERTEL_OK)
        goto out;
    if ((unsigned long long)st.st_size > max) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "stored upload %s is %lld bytes, more than the limit of %zu bytes",
                            shown, (long long)st.st_size, max);
        goto out;
    }
    rc = read_fd(fd, shown, max, &buf, &n, err);
    if (rc != SERTEL_OK)
        goto out;
    rc = upload_sha256_hex(buf, n, hex, err);
    if (rc == SERTEL_OK && strcmp(hex, sha256) != 0)
        rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                            "stored upload %s was altered or damaged: its content now has SHA-256 "
                            "%s; restore it from a backup",
                            shown, hex);
    if (rc != SERTEL_OK) {
        free(buf);
        goto out;
    }
    *out = buf;
    *len = n;
out:
    close_fd(&fd);
    close_fd(&sfd);
    close_fd(&dfd);
    return rc;
}
