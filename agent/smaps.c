#include "smaps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FIRST_TEXT_BYTES ((size_t)1 << 20)

static void *map_bytes(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void *grow(void *old, size_t old_bytes, size_t new_bytes)
{
    if (!old)
        return map_bytes(new_bytes);
    void *p = mremap(old, old_bytes, new_bytes, MREMAP_MAYMOVE);
    return p == MAP_FAILED ? NULL : p;
}

static bool read_all(int fd, struct lb_smaps *s)
{
    size_t cap = FIRST_TEXT_BYTES, len = 0;
    char *text = map_bytes(cap);
    if (!text)
        return false;
    for (;;) {
        if (cap - len < 65536) {
            char *bigger = grow(text, cap, cap * 2);
            if (!bigger) {
                munmap(text, cap);
                return false;
            }
            text = bigger;
            cap *= 2;
        }
        ssize_t got = read(fd, text + len, cap - len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            munmap(text, cap);
            return false;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    text[len] = '\0';
    s->text = text;
    s->text_bytes = cap;
    s->read_bytes = len;
    return true;
}

static uintptr_t hex(const char **p)
{
    uintptr_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        if (c >= '0' && c <= '9')
            v = v * 16 + (uintptr_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (uintptr_t)(c - 'a' + 10);
        else
            return v;
    }
}

static const char *skip_field(const char *p)
{
    while (*p == ' ')
        p++;
    while (*p && *p != ' ' && *p != '\n')
        p++;
    return p;
}

/* "START-END PERM OFFSET DEV INODE   NAME": the name is cut at its newline in place. */
static bool parse_header(char *line, struct lb_smaps_map *m)
{
    const char *p = line;
    m->start = hex(&p);
    if (*p++ != '-')
        return false;
    m->end = hex(&p);
    if (*p++ != ' ' || !p[0] || !p[1] || !p[2] || !p[3])
        return false;
    m->prot = (uint8_t)((p[0] == 'r' ? LB_SMAPS_R : 0) | (p[1] == 'w' ? LB_SMAPS_W : 0) |
                        (p[2] == 'x' ? LB_SMAPS_X : 0));
    m->shared = p[3] == 's';
    p = skip_field(p + 4); /* offset */
    p = skip_field(p);     /* device */
    while (*p == ' ')
        p++;
    bool inode = *p && *p != '0';
    p = skip_field(p);
    while (*p == ' ')
        p++;
    char *name = (char *)p, *nl = strchr(name, '\n');
    if (nl)
        *nl = '\0';
    m->name = name;
    m->file = inode || name[0] == '/';
    m->rss = m->anon_rss = 0;
    return true;
}

static uint64_t kb_value(const char *p)
{
    while (*p == ' ')
        p++;
    uint64_t v = 0;
    while (*p >= '0' && *p <= '9')
        v = v * 10 + (uint64_t)(*p++ - '0');
    return v * 1024;
}

bool lb_smaps_read(const char *path, struct lb_smaps *out)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = read_all(fd, out);
    close(fd);
    if (!ok)
        return false;
    /* A header line per mapping and about 25 field lines: 512 bytes of text each at least. */
    size_t cap = out->read_bytes / 512 + 64;
    out->maps_bytes = cap * sizeof *out->maps;
    out->maps = map_bytes(out->maps_bytes);
    if (!out->maps) {
        lb_smaps_free(out);
        return false;
    }
    char *line = out->text, *end = out->text + out->read_bytes;
    struct lb_smaps_map *cur = NULL;
    while (line < end) {
        char *next = memchr(line, '\n', (size_t)(end - line));
        next = next ? next + 1 : end;
        char c = line[0];
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
            if (out->n == cap) {
                size_t bigger = out->maps_bytes * 2;
                void *p = grow(out->maps, out->maps_bytes, bigger);
                if (!p) {
                    lb_smaps_free(out);
                    return false;
                }
                out->maps = p;
                out->maps_bytes = bigger;
                cap *= 2;
            }
            cur = &out->maps[out->n];
            if (parse_header(line, cur))
                out->n++;
            else
                cur = NULL;
        } else if (cur && c == 'R' && strncmp(line, "Rss:", 4) == 0) {
            cur->rss = kb_value(line + 4);
            out->rss += cur->rss;
        } else if (cur && c == 'A' && strncmp(line, "Anonymous:", 10) == 0) {
            cur->anon_rss = kb_value(line + 10);
        }
        line = next;
    }
    return true;
}

void lb_smaps_free(struct lb_smaps *s)
{
    if (s->text)
        munmap(s->text, s->text_bytes);
    if (s->maps)
        munmap(s->maps, s->maps_bytes);
    memset(s, 0, sizeof *s);
}

size_t lb_smaps_find(const struct lb_smaps *s, uintptr_t addr)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (addr < s->maps[mid].start)
            hi = mid;
        else if (addr >= s->maps[mid].end)
            lo = mid + 1;
        else
            return mid;
    }
    return SIZE_MAX;
}

bool lb_smaps_anonymous(const struct lb_smaps_map *m)
{
    if (m->file)
        return false;
    return m->name[0] == '\0' || strcmp(m->name, "[heap]") == 0 ||
           strncmp(m->name, "[stack", 6) == 0 || strncmp(m->name, "[anon:", 6) == 0;
}
