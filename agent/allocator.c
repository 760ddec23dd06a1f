#include "allocator.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "peek.h"

#define MALLOC_INFO_MAX ((size_t)4 << 20)

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);

/* mallinfo2 (glibc 2.33) by name, so the agent still loads on an older glibc. */
struct mallinfo2_fields {
    size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
typedef struct mallinfo2_fields (*mallinfo2_fn)(void);

static mallctl_fn process_mallctl(void)
{
    mallctl_fn ctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info a, b;
    /* A library with jemalloc of its own may export mallctl; only the one whose malloc is the
     * process's counts. */
    if (!ctl || !m || !dladdr((void *)ctl, &a) || !dladdr(m, &b) || a.dli_fbase != b.dli_fbase)
        return NULL;
    return ctl;
}

static bool is_glibc_malloc(void)
{
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info info;
    if (!m || !dladdr(m, &info) || !info.dli_fname)
        return false;
    const char *slash = strrchr(info.dli_fname, '/');
    return strncmp(slash ? slash + 1 : info.dli_fname, "libc.so", 7) == 0;
}

enum lb_allocator_kind lb_allocator_trim(void)
{
    mallctl_fn ctl = process_mallctl();
    if (ctl) {
        /* 4096 is MALLCTL_ARENAS_ALL: every arena. */
        ctl("arena.4096.purge", NULL, NULL, NULL, 0);
        return LB_ALLOCATOR_JEMALLOC;
    }
    if (!is_glibc_malloc())
        return LB_ALLOCATOR_UNKNOWN;
    malloc_trim(0);
    return LB_ALLOCATOR_GLIBC;
}

static uint64_t ctl_size(mallctl_fn ctl, const char *name, bool *ok)
{
    size_t v = 0, len = sizeof v;
    if (ctl(name, &v, &len, NULL, 0) != 0)
        *ok = false;
    return v;
}

static void read_jemalloc(mallctl_fn ctl, struct lb_allocator *a)
{
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    ctl("epoch", &epoch, &len, &epoch, len); /* refreshes the stats */
    bool ok = true;
    uint64_t allocated = ctl_size(ctl, "stats.allocated", &ok);
    a->active = ctl_size(ctl, "stats.active", &ok);
    a->resident = ctl_size(ctl, "stats.resident", &ok);
    a->mapped = ctl_size(ctl, "stats.mapped", &ok);
    bool retained_ok = true;
    a->retained = ctl_size(ctl, "stats.retained", &retained_ok);
    unsigned narenas = 0;
    len = sizeof narenas;
    if (ctl("arenas.narenas", &narenas, &len, NULL, 0) != 0)
        ok = false;
    a->in_use = allocated;
    a->free = a->resident > allocated ? a->resident - allocated : 0;
    a->arenas = narenas;
    a->stats = ok;
}

static void read_glibc(struct lb_allocator *a)
{
    mallinfo2_fn info2 = (mallinfo2_fn)dlsym(RTLD_DEFAULT, "mallinfo2");
    if (!info2)
        return;
    struct mallinfo2_fields mi = info2();
    a->in_use = mi.uordblks + mi.hblkhd;
    a->free = mi.fordblks;
    a->mmapped = mi.hblkhd;
    a->mmapped_count = mi.hblks;
    a->system = mi.arena;
    a->stats = true;
    /* malloc_info writes XML into memory of our own, not into a malloc'd stream. */
    char *buf = mmap(NULL, MALLOC_INFO_MAX, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (buf == MAP_FAILED)
        return;
    FILE *f = fmemopen(buf, MALLOC_INFO_MAX, "w");
    if (f) {
        malloc_info(0, f);
        fputc('\0', f);
        fclose(f);
        buf[MALLOC_INFO_MAX - 1] = '\0';
        for (const char *p = buf; (p = strstr(p, "<heap nr=")) != NULL; p++)
            a->arenas++;
    }
    munmap(buf, MALLOC_INFO_MAX);
}

void lb_allocator_read(struct lb_allocator *a)
{
    memset(a, 0, sizeof *a);
    mallctl_fn ctl = process_mallctl();
    if (ctl) {
        a->kind = LB_ALLOCATOR_JEMALLOC;
        read_jemalloc(ctl, a);
    } else if (is_glibc_malloc()) {
        a->kind = LB_ALLOCATOR_GLIBC;
        read_glibc(a);
    }
}

const char *lb_allocator_name(enum lb_allocator_kind kind)
{
    return kind == LB_ALLOCATOR_GLIBC      ? "glibc"
           : kind == LB_ALLOCATOR_JEMALLOC ? "jemalloc"
                                           : "unknown";
}

/* glibc's heap_info (malloc/arena.c): ar_ptr, prev, size, mprotect_size (then pagesize). */
bool lb_allocator_arena_heap(uintptr_t start, uint64_t *rw_bytes)
{
    const uintptr_t max = LB_ALLOCATOR_ARENA_HEAP;
    uint64_t h[4];
    if (start % max || !lb_peek(start, h, sizeof h))
        return false;
    uintptr_t ar_ptr = h[0], prev = h[1];
    uint64_t size = h[2], mprotect_size = h[3];
    /* The first heap of an arena holds the arena right after its header; later heaps point
     * to it in another heap's first bytes. */
    bool arena_ok = ar_ptr && (ar_ptr & (max - 1)) < 128;
    bool prev_ok = prev == 0 || prev % max == 0;
    bool sizes_ok = size && size <= max && mprotect_size >= size && mprotect_size <= max &&
                    mprotect_size % 4096 == 0;
    if (!arena_ok || !prev_ok || !sizes_ok)
        return false;
    *rw_bytes = mprotect_size;
    return true;
}

/* An mmapped chunk (malloc/malloc.c): prev_size 0, then its size with IS_MMAPPED (2) set and
 * the mapping's length. */
uint64_t lb_allocator_mmapped_chunks(uintptr_t start, uintptr_t end, const uint64_t *first)
{
    uint64_t found = 0;
    for (uintptr_t p = start; p + 4096 <= end;) {
        uint64_t h[2];
        if (p == start && first)
            memcpy(h, first, sizeof h);
        else if (!lb_peek(p, h, sizeof h))
            break;
        if (h[0] != 0 || (h[1] & 7) != 2)
            break;
        uint64_t size = h[1] & ~(uint64_t)7;
        if (size < 4096 || size % 4096 || size > end - p)
            break;
        found += size;
        p += size;
    }
    return found;
}
