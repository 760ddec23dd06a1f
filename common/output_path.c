#include "leakbridge/output_path.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

bool lb_output_path_expand(const char *pattern, const struct lb_output_path_values *v, char *out,
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
    if (strchr("*?[\\", c))
        *o++ = '\\';
    *o++ = c;
    return o;
}

char *lb_output_path_glob(const char *pattern, long pid, const char *cwd)
{
    /* Worst case: every character escaped, plus the directory and a pid per %p. */
    size_t cap = strlen(cwd) + 2 + strlen(pattern) * 12 + 1;
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    if (pattern[0] != '/') {
        for (const char *c = cwd; *c; c++)
            o = glob_literal(o, *c);
        *o++ = '/';
    }
    for (const char *c = pattern; *c; c++) {
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
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        slash[slash == dir] = '\0'; /* "/x.json" is in "/" */
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(why, why_len,
                 "reports cannot be written to %s (%s): the JVM runs on, and each dump tries "
                 "again",
                 dir, strerror(errno));
        return false;
    }
    return true;
}
