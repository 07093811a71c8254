/*
 * fs.h - careful file-system helpers: bounded reads, atomic replacement,
 * exclusive creation of secret files.
 *
 * Every function returns SERTEL_OK or a negative sertel_rc with detail in
 * err. No function leaves a half-written file behind: writes go to a
 * temporary file in the same directory, are fsync'ed, then renamed. A
 * user's output (fs_output_*) is written into a device or FIFO instead and
 * never through a symbolic link.
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
 * for debris). For the home's own files: nothing is ever written through a
 * symbolic link or into a device, the rename replaces whatever entry is at
 * path (a link itself, not its target). A user's output goes through
 * fs_write_output instead, which refuses links and writes into devices.
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
 * Outputs the user names (sertel sign OUT, crl --out, timestamp --out):
 * one routine decides how a path is written, so that an output never
 * destroys what it lands on.
 *
 *   - a regular file, or a path that does not exist yet: atomic replacement
 *     (a temporary "path.tmp-XXXXXX" in the same directory, fsync, rename,
 *     fsync of the directory); on failure nothing is half-written and the
 *     old file is untouched;
 *   - a character device (/dev/null, a terminal) or a FIFO: written into
 *     directly, never renamed over, unlinked or truncated;
 *   - "-": standard output (write "./-" for a file of that name);
 *   - a symbolic link (by lstat, whatever it points to), a directory, a
 *     block device or a socket: refused with SERTEL_ERR_INVALID and a
 *     message naming the path ("out.pdf is a symbolic link: give the real
 *     path"); nothing is written.
 *
 * Streaming writers: fs_output_open, any number of fs_output_write, then
 * fs_output_commit (the output is complete) or fs_output_abort (it is not).
 * Bytes written to a device, a FIFO or stdout cannot be taken back: abort
 * only stops there (the reader sees a short stream and the command fails).
 *
 * Thread safety: an fs_output belongs to one thread.
 */
typedef struct fs_output fs_output;

/* fs_output_open flags. */
#define FS_OUTPUT_SHA256 0x1 /* keep the SHA-256 of what is written (fs_output_sha256) */

/*
 * Open path for output as described above. mode is the new file's mode
 * (regular files only). Blocks until a reader opens a FIFO, as any writer
 * does. *out is the caller's: fs_output_commit or fs_output_abort frees it.
 * Errors: SERTEL_ERR_INVALID (a link, directory, block device or socket),
 * SERTEL_ERR_IO (cannot create or open), SERTEL_ERR_NOMEM.
 */
int fs_output_open(const char *path, mode_t mode, int flags, fs_output **out,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 4);

/* Append len bytes. SERTEL_ERR_IO with the output's name on failure. */
int fs_output_write(fs_output *o, const void *data, size_t len, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1);

/*
 * Append the whole file at path (read in 1 MiB blocks, any size).
 * SERTEL_ERR_IO naming the file or the output on failure.
 */
int fs_output_copy_file(fs_output *o, const char *path, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/*
 * 1 when what was written so far can be discarded with fs_output_rewind
 * (a regular file: it is a temporary until the commit), 0 for a device,
 * a FIFO or stdout. A streaming writer that may need to start over writes
 * to an output that cannot rewind only once it knows its bytes are final.
 */
int fs_output_can_rewind(const fs_output *o) SERTEL_NONNULL(1);

/* Discard everything written so far (fs_output_can_rewind outputs only, else SERTEL_ERR_STATE). */
int fs_output_rewind(fs_output *o, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/* 1 when path names the file or device the output goes to (it existed when opened). */
int fs_output_same(const fs_output *o, const char *path) SERTEL_NONNULL(1, 2);

/*
 * A new empty temporary file for intermediate results of a multi-step
 * writer, named "<path>.<tag>-XXXXXX" next to a regular-file output (same
 * file system), else "sertel-<tag>-XXXXXX" in $TMPDIR or /tmp (never next
 * to a device). *path is malloc'ed; the caller unlinks and frees it.
 */
int fs_output_temp(const fs_output *o, const char *tag, char **path, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/* The SHA-256 of everything written (FS_OUTPUT_SHA256 only, else SERTEL_ERR_STATE). */
int fs_output_sha256(const fs_output *o, unsigned char out[32], sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/* The output's name for messages: the path, or "stdout". Borrowed. */
const char *fs_output_name(const fs_output *o) SERTEL_NONNULL(1);

/* 1 when path means standard output ("-"). */
int fs_output_is_stdout(const char *path) SERTEL_NONNULL(1);

/*
 * Finish: a regular file is fsync'ed and renamed into place (the directory
 * fsync'ed); a device or FIFO is closed; stdout is left open. Frees o in
 * every case. On failure nothing was renamed (the temporary is removed).
 */
int fs_output_commit(fs_output *o, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/* Give up: a regular file's temporary is removed, the target untouched. Frees o. NULL-safe. */
void fs_output_abort(fs_output *o);

/*
 * An output into a regular file the caller holds open (fd; e.g. an unnamed
 * O_TMPFILE file for an HTTP answer): truncated at open, written from its
 * start, rewindable; intermediate files of multi-step writers
 * (fs_output_temp) go to tmpdir. Commit only finishes the hashing (no
 * fsync, no rename: the file is the caller's, and ephemeral); abort
 * truncates it to nothing. fd stays open and the caller's. name is for
 * messages.
 */
int fs_output_open_fd(int fd, const char *name, const char *tmpdir, int flags, fs_output **out,
                      sertel_err *err) SERTEL_WUR SERTEL_NONNULL(2, 3, 5);

/* fs_output_open, write data, fs_output_commit: a whole buffer to a user's output. */
int fs_write_output(const char *path, const void *data, size_t len, mode_t mode,
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
 * Whether this process has loaded a key or a secret: 1 from the first
 * secret_held_mark on (secret_read_file and secret_dup mark; so do ca_open,
 * the keystore and ra_open). A process that holds one may not fork a
 * process that parses hostile input (lib/sandbox refuses to make a
 * clean-parent sandbox then). Thread-safe; the mark is never cleared.
 */
int secret_held(void);
void secret_held_mark(void);

/*
 * out = dir + "/" + name. SERTEL_ERR_INVALID (message naming dir) when the
 * result would not fit in cap bytes.
 */
int fs_path_join(char *out, size_t cap, const char *dir, const char *name,
                 sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3, 4);

#endif
