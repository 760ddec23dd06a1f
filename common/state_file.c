#include "leakbridge/state_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* The process's start time in clock ticks since boot, 0 if unknown. */
unsigned long long lb_state_file_start_time(long pid)
{
    char path[64], stat[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, stat, sizeof stat - 1);
    close(fd);
    if (n <= 0)
        return 0;
    stat[n] = '\0';
    const char *after = strrchr(stat, ')'); /* the command name may hold spaces and ')' */
    unsigned long long t = 0;
    if (!after || sscanf(after + 1,
                         " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
                         "%*d %*d %llu",
                         &t) != 1)
        return 0;
    return t;
}

/* The state directory for runtime_dir (the XDG_RUNTIME_DIR to use, or NULL), made if missing.
 * False if it cannot be made or is not the user's alone. */
bool lb_state_file_dir(const char *runtime_dir, char *out, size_t len)
{
    int n = runtime_dir && runtime_dir[0] == '/'
                ? snprintf(out, len, "%s/leakbridge", runtime_dir)
                : snprintf(out, len, "/tmp/leakbridge-%ld", (long)getuid());
    if (n < 0 || (size_t)n >= len)
        return false;
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
        return false;
    struct stat st;
    return lstat(out, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
           (st.st_mode & 077) == 0; /* in /tmp, another user could have made it first */
}

/* DIR/PID into out; false if it does not fit. */
bool lb_state_file_path(const char *dir, long pid, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%ld", dir, pid);
    return n >= 0 && (size_t)n < len;
}

/* Writes pid's state file in dir with this absolute pattern. */
bool lb_state_file_write(const char *dir, long pid, const char *pattern)
{
    char path[4200];
    unsigned long long started = lb_state_file_start_time(pid);
    if (!started || pattern[0] != '/' || !lb_state_file_path(dir, pid, path, sizeof path))
        return false;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    char text[4200];
    int n = snprintf(text, sizeof text, "%llu\n%s\n", started, pattern);
    bool ok = n > 0 && (size_t)n < sizeof text && write(fd, text, (size_t)n) == n;
    return close(fd) == 0 && ok;
}

/* Reads pid's pattern from dir into pattern; false if there is none for this very process. */
bool lb_state_file_read(const char *dir, long pid, char *pattern, size_t len)
{
    char path[4200], text[4200];
    if (!lb_state_file_path(dir, pid, path, sizeof path))
        return false;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return false;
    text[n] = '\0';
    char *line = strchr(text, '\n');
    unsigned long long started = 0;
    if (!line || sscanf(text, "%llu", &started) != 1 || started != lb_state_file_start_time(pid) ||
        line[1] != '/')
        return false;
    line++;
    line[strcspn(line, "\n")] = '\0';
    int w = snprintf(pattern, len, "%s", line);
    return w > 0 && (size_t)w < len;
}
