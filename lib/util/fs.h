/*
 * fs.h - careful file-system helpers: bounded reads, atomic replacement,
 * exclusive creation of secret files.
 *
 * Every function returns SERTEL_OK or a negative sertel_rc with detail in
 * err. No function leaves a half-written file behind: writes go to a
 * temporary file in the same directory, are fsync'ed, then renamed.
 */
#ifndef SERTEL_UTIL_FS_H
#define SERTEL_UTIL_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "util/err.h"

/*
 * Read at most max bytes of path into a new buffer (NUL-terminated for
 * convenience; *len excludes the NUL). A larger file is refused with
 * SERTEL_ERR_INVALID. The caller frees *out with free() (or with
 * fs_free_secret() when secret was non-zero: the buffer is then wiped).
 */
int fs_read_file(const char *path, size_t max, unsigned char **out, size_t *len,
                 sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3, 4);

/*
 * Atomically replace path with data: write to "path.tmp-XXXXXX", fsync,
 * rename, fsync the directory. mode is applied to the new file. On failure
 * the old file (if any) is untouched and no temporary file remains; a
 * crash can leave one, which fs_remove_stale_temps clears (the file is
 * locked with flock until the rename, so a write in progress is not taken
 * for debris).
 */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                    sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/*
 * Remove the temporary files fs_write_atomic leaves in dir when a process
 * dies between creating and renaming one: regular files named
 * "<prefix>.tmp-XXXXXX" (prefix NULL: any non-empty name before
 * ".tmp-XXXXXX"), last modified at least min_age seconds ago and not locked
 * (a write in progress holds a lock on its file until the rename). Symbolic
 * links and other types are left alone; a missing dir is fine. *removed
 * (if not NULL) receives how many were removed. Returns SERTEL_ERR_IO when
 * the directory cannot be read or a file cannot be removed (the others
 * are still tried).
 */
int fs_remove_stale_temps(const char *dir, const char *prefix, int64_t min_age, int *removed,
                          sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/*
 * Create path exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) with the given mode,
 * write data and fsync. Fails with SERTEL_ERR_EXISTS when path exists. On a
 * write failure the partial file is removed.
 */
int fs_create_excl(const char *path, const void *data, size_t len, mode_t mode,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/* fsync a directory so a rename or create in it is durable. */
int fs_sync_dir(const char *dir, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/* 1 when path exists (any type), 0 otherwise. */
int fs_exists(const char *path) SERTEL_NONNULL(1);

/*
 * The digest md of the file at path, read in 1 MiB blocks (any size):
 * out needs EVP_MAX_MD_SIZE bytes, *len receives the length. SERTEL_ERR_IO
 * when the file cannot be read, SERTEL_ERR_NOMEM / SERTEL_ERR_CRYPTO.
 */
int fs_digest_file(const char *path, const EVP_MD *md, unsigned char *out, unsigned int *len,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/* fs_digest_file with SHA-256. */
int fs_sha256_file(const char *path, unsigned char out[32], sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/* Remove a directory tree (used to undo a failed init). Best effort. */
void fs_rmtree(const char *path) SERTEL_NONNULL(1);

/*
 * Read a secret (password, PIN, passphrase) from the first line of a file.
 * Trailing CR/LF are dropped. An empty first line is refused with a message
 * that names the file. *out is sodium_malloc'ed; free with secret_free().
 */
int secret_read_file(const char *path, char **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* Allocate a wiped-on-free secure string copy of s (sodium_malloc). */
char *secret_dup(const char *s);

/* Wipe and free a secret from secret_read_file/secret_dup. NULL-safe. */
void secret_free(char *s);

/*
 * out = dir + "/" + name. SERTEL_ERR_INVALID (message naming dir) when the
 * result would not fit in cap bytes.
 */
int fs_path_join(char *out, size_t cap, const char *dir, const char *name,
                 sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3, 4);

#endif
