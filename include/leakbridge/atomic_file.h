/* A file written whole or not at all: the text goes to a temporary file beside the target,
 * which is synced and renamed into place, so a reader (a dashboard, a CI step, a person
 * running `leakbridge top` on the last report) never sees half of one, and a crash or a full
 * disk never replaces a good file with a broken one. Used by the agent's reports and the
 * command's merged reports. A target that names a stream rather than a file
 * (lb_atomic_file_is_stream: /dev/stdout, a FIFO) is appended to directly instead. */
#ifndef LEAKBRIDGE_ATOMIC_FILE_H
#define LEAKBRIDGE_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>

struct lb_atomic_file {
    int fd;              /* the temporary file; write to it */
    const char *path;    /* the target */
    char tmp[4096 + 64]; /* DIR/.NAME.tmpPID */
    bool direct;         /* fd is the target itself (not a regular file) */
};

/* Whether path names a stream rather than a file: anything under /dev/ or /proc/ (/dev/stdout,
 * /proc/self/fd/1, which may lead to a regular file the shell redirected to), or an existing
 * target that is not a regular file or a directory (a FIFO, a socket, a device). A stream is
 * appended to, whole reports one after the other, never replaced by a renamed file. */
bool lb_atomic_file_is_stream(const char *path);

/* The temporary file's name for path in this process (DIR/.NAME.tmpPID) into out; false when
 * it does not fit. */
bool lb_atomic_file_temp_name(const char *path, char *out, size_t len);

/* Creates the temporary file for path. Returns 0, or an errno (ENAMETOOLONG when the
 * temporary name does not fit). */
int lb_atomic_file_open(struct lb_atomic_file *f, const char *path);

/* Writes all of text to the temporary file. Returns 0 or an errno. */
int lb_atomic_file_write(struct lb_atomic_file *f, const char *text, size_t len);

/* Syncs, closes and renames the file into place. Returns 0, or an errno after removing the
 * temporary file. */
int lb_atomic_file_commit(struct lb_atomic_file *f);

/* Closes and removes the temporary file: nothing is written at path. */
void lb_atomic_file_abort(struct lb_atomic_file *f);

#endif
