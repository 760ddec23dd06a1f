#include "memory_limit.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values at or above this mean "no limit" (v1 writes 9223372036854771712). */
#define UNLIMITED (INT64_C(1) << 62)

/* The whole of a small file, NUL-terminated; false if it cannot be read. */
static bool read_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    return true;
}

/* read_file of a cgroup or /proc path, under LEAKBRIDGE_TEST_ROOT when that is set. */
static bool read_text(const char *path, char *buf, size_t len)
{
    const char *root = getenv("LEAKBRIDGE_TEST_ROOT");
    char full[2048];
    snprintf(full, sizeof full, "%s%s", root && root[0] == '/' ? root : "", path);
    return read_file(full, buf, len);
}

/* A file holding one number ("max" and v1's huge value: -1). */
static int64_t read_number(const char *dir, const char *name)
{
    char path[1200], text[64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!read_text(path, text, sizeof text))
        return -1;
    if (strncmp(text, "max", 3) == 0)
        return -1;
    char *end;
    long long v = strtoll(text, &end, 10);
    return end == text || v < 0 || v >= UNLIMITED ? -1 : (int64_t)v;
}

/* "key value" from a stat file such as memory.stat; -1 if absent. */
static int64_t stat_value(const char *dir, const char *file, const char *key)
{
    char path[1200], text[8192];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (!read_text(path, text, sizeof text))
        return -1;
    size_t klen = strlen(key);
    for (char *line = text; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
            return strtoll(line + klen + 1, NULL, 10);
    return -1;
}

/* The smaller limit, -1 being none. */
static int64_t lower(int64_t a, int64_t b)
{
    return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* A mount of the memory controller: v2 (cgroup2) or v1 (cgroup with the memory option). */
struct mount {
    char root[512], point[512];
};

static bool find_mount(int version, struct mount *out)
{
    char text[65536];
    if (!read_text("/proc/self/mountinfo", text, sizeof text))
        return false;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char root[512], point[512], fstype[64], super[512];
        /* id parent major:minor root mountpoint options [optional...] - fstype source super */
        const char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %511s %511s", root, point) != 2 ||
            sscanf(dash + 3, "%63s %*s %511s", fstype, super) != 2)
            continue;
        bool v2 = strcmp(fstype, "cgroup2") == 0;
        bool v1_memory = strcmp(fstype, "cgroup") == 0 &&
                         (strstr(super, ",memory") || strncmp(super, "memory", 6) == 0);
        if ((version == 2 && v2) || (version == 1 && v1_memory)) {
            snprintf(out->root, sizeof out->root, "%s", root);
            snprintf(out->point, sizeof out->point, "%s", point);
            return true;
        }
    }
    return false;
}

/* The cgroup path of the memory controller from /proc/self/cgroup: v1's "N:...memory...:PATH"
 * line, else v2's "0::PATH". */
static int cgroup_path(char *path, size_t len)
{
    char text[8192], v2[1024] = "";
    if (!read_text("/proc/self/cgroup", text, sizeof text))
        return 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        const char *controllers = c1 + 1;
        if (strcmp(line, "0") == 0 && controllers[0] == '\0') {
            snprintf(v2, sizeof v2, "%s", c2 + 1);
            continue;
        }
        for (const char *c = controllers; c; c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL)
            if (strncmp(c, "memory", 6) == 0 && (c[6] == ',' || c[6] == '\0')) {
                snprintf(path, len, "%s", c2 + 1);
                return 1;
            }
    }
    if (v2[0]) {
        snprintf(path, len, "%s", v2);
        return 2;
    }
    return 0;
}

/* The mount point plus the cgroup path below the mount's root. In a cgroup namespace the
 * path is relative to a root that is the mount's own: then the mount point is the cgroup. */
static void join(const struct mount *m, const char *path, char *out, size_t len)
{
    size_t rlen = strcmp(m->root, "/") == 0 ? 0 : strlen(m->root);
    if (rlen && strncmp(path, m->root, rlen) == 0 && (path[rlen] == '/' || path[rlen] == '\0'))
        path += rlen;
    else if (rlen)
        path = "";
    if (snprintf(out, len, "%s%s", m->point, strcmp(path, "/") == 0 ? "" : path) >= (int)len)
        out[0] = '\0'; /* too long to be a cgroup directory: none */
}

void lb_memory_limit_find(struct lb_memory_limit *m)
{
    *m = (struct lb_memory_limit){.limit_bytes = -1, .high_bytes = -1};
    char path[1024];
    int version = cgroup_path(path, sizeof path);
    struct mount mnt;
    if (version && !find_mount(version, &mnt))
        version = 0;
    if (version) {
        m->cgroup_version = version;
        join(&mnt, path, m->dir, sizeof m->dir);
        snprintf(m->mount, sizeof m->mount, "%s", mnt.point);
    }
    lb_memory_limit_usage(m);
}

/* The lowest limit from the cgroup up to the mount point: a parent's limit binds too (the pod's
 * cgroup on Kubernetes, a slice under systemd). Read each time: a limit can change at run time. */
static void read_limits(struct lb_memory_limit *m)
{
    m->limit_bytes = m->high_bytes = -1;
    if (!m->cgroup_version || !m->dir[0])
        return;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", m->dir);
    for (;;) {
        if (m->cgroup_version == 2) {
            m->limit_bytes = lower(m->limit_bytes, read_number(dir, "memory.max"));
            m->high_bytes = lower(m->high_bytes, read_number(dir, "memory.high"));
        } else {
            m->limit_bytes = lower(m->limit_bytes, read_number(dir, "memory.limit_in_bytes"));
            int64_t h = stat_value(dir, "memory.stat", "hierarchical_memory_limit");
            m->limit_bytes = lower(m->limit_bytes, h >= UNLIMITED ? -1 : h);
        }
        char *slash = strrchr(dir, '/');
        if (strlen(dir) <= strlen(m->mount) || !slash)
            break;
        *slash = '\0';
    }
}

void lb_memory_limit_usage(struct lb_memory_limit *m)
{
    read_limits(m);
    m->usage_bytes = m->working_set_bytes = -1;
    if (m->cgroup_version && m->dir[0]) {
        m->usage_bytes = read_number(m->dir, m->cgroup_version == 2 ? "memory.current"
                                                                    : "memory.usage_in_bytes");
        int64_t inactive =
            stat_value(m->dir, "memory.stat",
                       m->cgroup_version == 2 ? "inactive_file" : "total_inactive_file");
        if (m->usage_bytes >= 0)
            m->working_set_bytes = inactive > 0 && inactive < m->usage_bytes
                                       ? m->usage_bytes - inactive
                                       : m->usage_bytes;
    }
    char status[8192];
    m->rss_bytes = -1;
    if (read_file("/proc/self/status", status, sizeof status)) { /* the real process's */
        const char *rss = strstr(status, "\nVmRSS:");
        if (rss)
            m->rss_bytes = strtoll(rss + 7, NULL, 10) * 1024;
    }
}

static struct lb_memory_limit found;

void lb_memory_limit_start(void)
{
    lb_memory_limit_find(&found);
}

void lb_memory_limit_now(struct lb_memory_limit *out)
{
    *out = found;
    lb_memory_limit_usage(out);
}
