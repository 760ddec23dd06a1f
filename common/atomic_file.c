#include "leakbridge/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool lb_atomic_file_temp_name(const char *path, char *out, size_t len)
{
    /* Hidden, beside the target (a rename stays on one file system), named by pid so that two
     * processes writing the same target do not share it. */
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    int n = snprintf(out, len, "%.*s.%s.tmp%ld", dir_len, path, path + dir_len, (long)getpid());
    return n >= 0 && (size_t)n < len;
}

bool lb_atomic_file_is_stream(const char *path)
{
    struct stat st;
    return strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/proc/", 6) == 0 ||
           (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode));
}

/* N for /dev/stdout (1), /dev/stderr (2), /dev/fd/N and /proc/self/fd/N; else -1. */
static int own_descriptor(const char *path)
{
    if (strcmp(path, "/dev/stdout") == 0)
        return 1;
    if (strcmp(path, "/dev/stderr") == 0)
        return 2;
    const char *n = strncmp(path, "/dev/fd/", 8) == 0          ? path + 8
                    : strncmp(path, "/proc/self/fd/", 14) == 0 ? path + 14
                                                               : NULL;
    if (!n || !*n || strspn(n, "0123456789") != strlen(n) || strlen(n) > 6)
        return -1;
    return atoi(n);
}

int lb_atomic_file_open(struct lb_atomic_file *f, const char *path)
{
    f->fd = -1;
    f->path = path;
    /* A stream (/dev/stdout, a FIFO a collector reads) is appended to: renaming a file over it
     * would replace the device node or the link (as root, for the whole machine). */
    f->direct = lb_atomic_file_is_stream(path);
    if (f->direct) {
        /* The process's own descriptor is written through itself (a copy of it): opened again,
         * a regular file it leads to would be written at another offset than its other output. */
        int own = own_descriptor(path);
        f->fd =
            own >= 0 ? fcntl(own, F_DUPFD_CLOEXEC, 3) : open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        return f->fd < 0 ? errno : 0;
    }
    if (!lb_atomic_file_temp_name(path, f->tmp, sizeof f->tmp))
        return ENAMETOOLONG;
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    return f->fd < 0 ? errno : 0;
}

int lb_atomic_file_write(struct lb_atomic_file *f, const char *text, size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = write(f->fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        done += (size_t)n;
    }
    return 0;
}

int lb_atomic_file_commit(struct lb_atomic_file *f)
{
    if (f->direct) {
        int err = close(f->fd) != 0 ? errno : 0;
        f->fd = -1;
        return err;
    }
    int err = fsync(f->fd) != 0 ? errno : 0;
    if (close(f->fd) != 0 && !err)
        err = errno;
    f->fd = -1;
    if (!err && rename(f->tmp, f->path) != 0)
        err = errno;
    if (err)
        unlink(f->tmp);
    return err;
}

void lb_atomic_file_abort(struct lb_atomic_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (!f->direct)
        unlink(f->tmp);
}
