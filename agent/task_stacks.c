#include "task_stacks.h"

#include <dirent.h>
#include <sched.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* The SP in a syscall file: "NR A1 A2 A3 A4 A5 A6 SP PC", "-1 SP PC" (in user space), or
 * "running". 0 when none. */
static uintptr_t parse_sp(const char *text)
{
    uintptr_t fields[10];
    int n = 0;
    const char *p = text;
    while (*p && *p != '\n' && n < 10) {
        while (*p == ' ')
            p++;
        if (!*p || *p == '\n')
            break;
        if (*p == 'r')
            return 0; /* running */
        char *end;
        fields[n++] = (uintptr_t)strtoull(p, &end, 0);
        if (end == p)
            return 0;
        p = end;
    }
    return n >= 3 ? fields[n - 2] : 0;
}

static uintptr_t task_sp(int taskdir, const char *tid)
{
    char path[64], text[256];
    size_t len = strlen(tid);
    if (len > 40)
        return 0;
    memcpy(path, tid, len);
    memcpy(path + len, "/syscall", sizeof "/syscall");
    for (int attempt = 0; attempt < 2; attempt++) {
        if (attempt)
            sched_yield();
        int fd = openat(taskdir, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return 0;
        ssize_t got = read(fd, text, sizeof text - 1);
        close(fd);
        if (got <= 0)
            return 0;
        text[got] = '\0';
        uintptr_t sp = parse_sp(text);
        if (sp)
            return sp;
    }
    return 0;
}

static bool add(struct lb_task_stacks *s, uintptr_t sp)
{
    if ((s->located + 1) * sizeof *s->sp > s->sp_bytes) {
        size_t bigger = s->sp_bytes ? s->sp_bytes * 2 : 65536;
        void *p =
            s->sp ? mremap(s->sp, s->sp_bytes, bigger, MREMAP_MAYMOVE)
                  : mmap(NULL, bigger, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return false;
        s->sp = p;
        s->sp_bytes = bigger;
    }
    s->sp[s->located++] = sp;
    return true;
}

bool lb_task_stacks_read(struct lb_task_stacks *out)
{
    memset(out, 0, sizeof *out);
    int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return false;
    char buf[16384];
    /* Threads that were on a CPU are asked again once all others were: most are off it by then. */
    char missed[64][24];
    size_t nmissed = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
        if (n <= 0)
            break;
        for (long at = 0; at < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + at);
            at += d->d_reclen;
            if (d->d_name[0] < '0' || d->d_name[0] > '9')
                continue;
            out->tasks++;
            uintptr_t sp = task_sp(dir, d->d_name);
            if (sp)
                add(out, sp);
            else if (nmissed < 64 && strlen(d->d_name) < sizeof missed[0])
                strcpy(missed[nmissed++], d->d_name);
        }
    }
    for (size_t i = 0; i < nmissed; i++) {
        uintptr_t sp = task_sp(dir, missed[i]);
        if (sp)
            add(out, sp);
    }
    close(dir);
    return true;
}

void lb_task_stacks_free(struct lb_task_stacks *s)
{
    if (s->sp)
        munmap(s->sp, s->sp_bytes);
    memset(s, 0, sizeof *s);
}
