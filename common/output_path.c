#include "leakbridge/output_path.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakbridge/atomic_file.h"

static bool is_escape(char c)
{
    return c && strchr("ptnh%", c) != NULL;
}

bool lb_output_path_valid(const char *pattern, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (pattern[i] != '%')
            continue;
        if (i + 1 == len || !is_escape(pattern[i + 1]))
            return false;
        i++; /* skip the escaped character, so "%%n" is a literal "%n" */
    }
    return true;
}

/* Whether pattern numbers its reports (%n, not %%n). */
static bool numbered(const char *pattern)
{
    for (const char *p = pattern; *p; p++)
        if (*p == '%' && p[1]) {
            if (p[1] == 'n')
                return true;
            p++;
        }
    return false;
}

/* Inserts "-N" before the file name's extension (or at its end), in place. */
static bool add_sequence(char *out, size_t out_len, unsigned sequence)
{
    char *name = strrchr(out, '/');
    name = name ? name + 1 : out;
    char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        dot = name + strlen(name);
    char suffix[16];
    int n = snprintf(suffix, sizeof suffix, "-%u", sequence);
    size_t len = strlen(out);
    if (n < 0 || len + (size_t)n >= out_len)
        return false;
    memmove(dot + n, dot, strlen(dot) + 1);
    memcpy(dot, suffix, (size_t)n);
    return true;
}

static bool expand(const char *pattern, const struct lb_output_path_values *v, char *out,
                   size_t out_len);

bool lb_output_path_expand(const char *pattern, const struct lb_output_path_values *v, char *out,
                           size_t out_len)
{
    if (!expand(pattern, v, out, out_len))
        return false;
    /* Without %n every report would replace the one before (an incident's jcmd report by the
     * exit report): from the second on, the number goes before the extension; a stream such as
     * /dev/stdout gets every report appended instead. */
    return numbered(pattern) || v->sequence < 2 || lb_atomic_file_is_stream(out) ||
           add_sequence(out, out_len, v->sequence);
}

static bool expand(const char *pattern, const struct lb_output_path_values *v, char *out,
                   size_t out_len)
{
    size_t n = 0;
    if (out_len == 0)
        return false;
    char host[256] = "";
    for (const char *p = pattern; *p; p++) {
        char piece[64];
        const char *add = piece;
        if (*p != '%') {
            piece[0] = *p;
            piece[1] = '\0';
        } else if (p[1] == 'p') {
            snprintf(piece, sizeof piece, "%ld", v->pid);
        } else if (p[1] == 'n') {
            snprintf(piece, sizeof piece, "%u", v->sequence);
        } else if (p[1] == 't') {
            struct tm tm;
            gmtime_r(&v->wall_time, &tm);
            strftime(piece, sizeof piece, "%Y%m%dT%H%M%SZ", &tm);
        } else if (p[1] == 'h') {
            if (v->host)
                add = v->host;
            else {
                if (!host[0] && (gethostname(host, sizeof host - 1) != 0 || !host[0]))
                    snprintf(host, sizeof host, "localhost");
                add = host;
            }
            if (strchr(add, '/')) /* a host name is one path component */
                add = "localhost";
        } else if (p[1] == '%') {
            add = "%";
        } else {
            return false; /* lb_output_path_valid rejects these */
        }
        if (*p == '%')
            p++;
        size_t len = strlen(add);
        if (n + len >= out_len)
            return false;
        memcpy(out + n, add, len);
        n += len;
    }
    out[n] = '\0';
    return n > 0;
}

/* Appends c to o, escaped for glob(3). */
static char *glob_literal(char *o, char c)
{
    if (strchr("*?[\\{}", c))
        *o++ = '\\';
    *o++ = c;
    return o;
}

char *lb_output_path_glob(const char *pattern, long pid, const char *cwd)
{
    /* Worst case: every character escaped, plus the directory, a pid per %p and the
     * alternatives for an unnumbered pattern's suffix. */
    size_t cap = strlen(cwd) + 2 + strlen(pattern) * 12 + 16;
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    if (pattern[0] != '/') {
        for (const char *c = cwd; *c; c++)
            o = glob_literal(o, *c);
        *o++ = '/';
    }
    /* Without %n, the second report on is NAME-N.EXT (lb_output_path_expand): "{,-*}" before
     * the file name's extension matches both (glob's GLOB_BRACE). */
    const char *name = strrchr(pattern, '/');
    name = name ? name + 1 : pattern;
    const char *ext = strrchr(name, '.');
    if (!ext || ext == name)
        ext = name + strlen(name);
    bool alternatives = !numbered(pattern);
    for (const char *c = pattern;; c++) {
        if (alternatives && c == ext) {
            memcpy(o, "{,-*}", 5);
            o += 5;
        }
        if (!*c)
            break;
        if (*c == '%' && (c[1] == 'n' || c[1] == 't' || c[1] == 'h')) {
            *o++ = '*';
            c++;
        } else if (*c == '%' && c[1] == 'p') {
            o += sprintf(o, "%ld", pid);
            c++;
        } else if (*c == '%' && c[1] == '%') {
            *o++ = '%';
            c++;
        } else {
            o = glob_literal(o, *c);
        }
    }
    *o = '\0';
    return out;
}

void lb_output_path_absolute(const char *path, char *out, size_t len)
{
    char cwd[PATH_MAX];
    if (path[0] != '/' && getcwd(cwd, sizeof cwd))
        snprintf(out, len, "%s/%s", cwd, path);
    else
        snprintf(out, len, "%s", path);
}

static bool cannot_write(char *why, size_t why_len, const char *where)
{
    snprintf(why, why_len,
             "reports cannot be written to %s (%s): the JVM runs on, and each dump tries again",
             where, strerror(errno));
    return false;
}

bool lb_output_path_check(const char *pattern, char *why, size_t why_len)
{
    char path[PATH_MAX], dir[PATH_MAX];
    struct lb_output_path_values v = {
        .pid = (long)getpid(), .wall_time = time(NULL), .sequence = 1};
    if (!lb_output_path_expand(pattern, &v, path, sizeof path))
        return true; /* too long once expanded: each dump says so */
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(why, why_len,
                 "output '%s' is a directory: no report can be written; end it with '/' to "
                 "write reports into it",
                 pattern);
        return false;
    }
    if (lb_atomic_file_is_stream(path)) /* appended to, no file made beside it */
        return access(path, W_OK) == 0 || cannot_write(why, why_len, path);
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        slash[slash == dir] = '\0'; /* "/x.json" is in "/" */
    return access(dir, W_OK | X_OK) == 0 || cannot_write(why, why_len, dir);
}

int lb_output_path_remove_stale(const char *pattern)
{
    char path[PATH_MAX], dir[PATH_MAX];
    struct lb_output_path_values v = {
        .pid = (long)getpid(), .wall_time = time(NULL), .sequence = 1};
    if (!lb_output_path_expand(pattern, &v, path, sizeof path) || lb_atomic_file_is_stream(path))
        return 0; /* a stream has no temporary files beside it */
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        slash[slash == dir] = '\0';
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        /* ".NAME.tmpPID", as lb_atomic_file_open names them, of a process that is gone. */
        const char *tmp = strstr(e->d_name, ".tmp");
        if (e->d_name[0] != '.' || !tmp)
            continue;
        while (strstr(tmp + 1, ".tmp"))
            tmp = strstr(tmp + 1, ".tmp");
        char *end;
        long pid = strtol(tmp + 4, &end, 10);
        if (pid <= 0 || *end || end == tmp + 4 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* alive, or not ours to know */
        char full[PATH_MAX + 260];
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) && unlink(full) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}
