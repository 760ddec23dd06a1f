#include "memory.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "allocator.h"
#include "clock.h"
#include "hotspot.h"
#include "leakbridge/units.h"
#include "peek.h"
#include "smaps.h"
#include "task_stacks.h"

#define MIB ((uint64_t)1 << 20)

enum cls {
    C_NONE,
    C_HEAP,
    C_META,
    C_CODE,
    C_STACK,
    C_MALLOC,
    C_FILE,
    C_KERNEL,
    C_RESERVED, /* anonymous, claimed by no rule, in a run of mappings with a reserved part */
    C_PLAIN,    /* anonymous, claimed by no rule, readable throughout */
};

struct facts {
    struct lb_smaps smaps;
    struct lb_hotspot hs;
    struct lb_task_stacks stacks;
    struct lb_allocator alloc;
    const struct lb_memory_input *in;
    uint8_t *cls;
    size_t cls_bytes;
    uintptr_t class_start, class_end; /* compressed class space, as found */
    uint64_t arena_heaps, chunk_bytes, stack_maps;
    uint64_t rss[C_PLAIN + 1], committed[C_PLAIN + 1], class_rss, cds_rss;
};

static uint64_t len_of(const struct lb_smaps_map *m)
{
    return m->end - m->start;
}

/* Whether most of a mapping lies in [lo, hi): a range's first mapping may have merged with a
 * neighbour of the same permissions (the heap's committed start with 64 KiB just below it). */
static bool in_range(const struct lb_smaps_map *m, uintptr_t lo, uintptr_t hi)
{
    uintptr_t a = m->start > lo ? m->start : lo, b = m->end < hi ? m->end : hi;
    return hi > lo && b > a && (b - a) * 2 >= m->end - m->start;
}

static bool readable_private(const struct lb_smaps_map *m)
{
    return (m->prot & (LB_SMAPS_R | LB_SMAPS_W)) == (LB_SMAPS_R | LB_SMAPS_W) && !m->shared;
}

/* Compressed class space: CompressedClassSpaceSize bytes of anonymous mappings from the end of
 * the CDS archive (which it follows), or from the class base without CDS. */
static void find_class_space(struct facts *f)
{
    uintptr_t from = f->hs.cds_end ? f->hs.cds_end : f->hs.klass_base;
    uint64_t want = f->hs.class_space_size, sum = 0;
    if (!from || !want)
        return;
    size_t i = 0;
    while (i < f->smaps.n && f->smaps.maps[i].end <= from)
        i++;
    uintptr_t at = from;
    for (; i < f->smaps.n && sum < want; i++) {
        const struct lb_smaps_map *m = &f->smaps.maps[i];
        if (m->start > at || !lb_smaps_anonymous(m))
            break;
        sum += m->end - (m->start > from ? m->start : from);
        at = m->end;
    }
    if (sum >= want) {
        f->class_start = from;
        f->class_end = at;
    }
}

static void glibc_by_address(struct facts *f);

static void by_address(struct facts *f)
{
    const struct lb_hotspot *h = &f->hs;
    for (size_t i = 0; i < f->smaps.n; i++) {
        const struct lb_smaps_map *m = &f->smaps.maps[i];
        uint8_t c = C_NONE;
        bool anon = lb_smaps_anonymous(m);
        if (in_range(m, h->heap_start, h->heap_end) ||
            (h->gc == LB_GC_Z && strncmp(m->name, "/memfd:java_heap", 16) == 0))
            c = C_HEAP;
        else if (in_range(m, h->code_start, h->code_end) ||
                 (!h->code_end && anon && (m->prot & LB_SMAPS_X)))
            c = C_CODE;
        else if (anon && in_range(m, f->class_start, f->class_end))
            c = C_META;
        else if (strcmp(m->name, "[stack]") == 0)
            c = C_STACK;
        else if (strcmp(m->name, "[heap]") == 0)
            c = C_MALLOC;
        else if (m->file)
            c = C_FILE;
        else if (!anon)
            c = C_KERNEL; /* [vdso], [vvar], [vsyscall] */
        f->cls[i] = c;
        if (c == C_META)
            f->class_rss += m->rss;
        if (c == C_FILE && in_range(m, h->cds_start, h->cds_end))
            f->cds_rss += m->rss;
    }
    for (size_t s = 0; s < f->stacks.located; s++) {
        size_t i = lb_smaps_find(&f->smaps, f->stacks.sp[s]);
        if (i != SIZE_MAX && f->cls[i] == C_NONE) {
            f->cls[i] = C_STACK;
            f->stack_maps++;
        }
    }
    if (f->alloc.kind == LB_ALLOCATOR_GLIBC)
        glibc_by_address(f);
}

static bool unclaimed_rw(const struct facts *f, size_t i)
{
    const struct lb_smaps_map *m = &f->smaps.maps[i];
    return f->cls[i] == C_NONE && readable_private(m) && lb_smaps_anonymous(m);
}

/* glibc's arena heaps, then its mmapped chunks: the first 16 bytes of every other unclaimed
 * mapping, read in batches (one system call per 1,024 mappings, not one per mapping). */
static void glibc_by_address(struct facts *f)
{
    /* An arena heap that filled its 64 MiB may have merged with a neighbour of the same
     * permissions: every 64 MiB-aligned address inside a mapping is a candidate, and the
     * mapping is malloc's when most of it is arena heap. */
    const uintptr_t span = LB_ALLOCATOR_ARENA_HEAP;
    for (size_t i = 0; i < f->smaps.n; i++) {
        if (!unclaimed_rw(f, i))
            continue;
        const struct lb_smaps_map *m = &f->smaps.maps[i];
        uint64_t covered = 0, rw;
        uintptr_t last_end = 0;
        for (uintptr_t a = (m->start + span - 1) & ~(span - 1); a >= m->start && a < m->end;
             a += span) {
            if (!lb_allocator_arena_heap(a, &rw))
                continue;
            f->arena_heaps++;
            covered += (m->end - a < span ? m->end - a : span);
            last_end = a + span;
        }
        if (!covered || covered * 2 < len_of(m))
            continue;
        f->cls[i] = C_MALLOC;
        /* The heap's reserved tail: the mappings that start inside it. */
        for (size_t k = i + 1; k < f->smaps.n && f->smaps.maps[k].start < last_end; k++)
            if (f->cls[k] == C_NONE && lb_smaps_anonymous(&f->smaps.maps[k]))
                f->cls[k] = C_MALLOC;
    }
    size_t bytes = f->smaps.n * (sizeof(size_t) + sizeof(uintptr_t) + 2 * sizeof(uint64_t));
    char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return;
    size_t *index = (size_t *)mem, n = 0;
    uintptr_t *addrs = (uintptr_t *)(index + f->smaps.n);
    uint64_t *heads = (uint64_t *)(addrs + f->smaps.n);
    for (size_t i = 0; i < f->smaps.n; i++)
        if (unclaimed_rw(f, i)) {
            index[n] = i;
            addrs[n++] = f->smaps.maps[i].start;
        }
    for (size_t done = 0; done < n;) {
        size_t got = lb_peek_batch(addrs + done, n - done, 16, heads + 2 * done);
        for (size_t k = done; k < done + got; k++) {
            const struct lb_smaps_map *m = &f->smaps.maps[index[k]];
            uint64_t chunks = lb_allocator_mmapped_chunks(m->start, m->end, heads + 2 * k);
            if (chunks == len_of(m)) {
                f->cls[index[k]] = C_MALLOC;
                f->chunk_bytes += chunks;
            }
        }
        done += got + 1; /* past the one that could not be read (unmapped since) */
    }
    munmap(mem, bytes);
}

/* Runs of adjacent anonymous mappings no rule claimed, split by whether the run has a reserved
 * (inaccessible) part: the JVM's reservations (non-class metaspace, the GC's side tables) or
 * plain mappings. Metaspace nodes are not told apart by shape: 64 MiB reservations aligned to
 * 4 MiB, which is also what G1's side tables of a 1 GiB heap look like together. */
static void pools(struct facts *f)
{
    for (size_t i = 0; i < f->smaps.n;) {
        if (f->cls[i] != C_NONE || !lb_smaps_anonymous(&f->smaps.maps[i])) {
            i++;
            continue;
        }
        size_t j = i;
        bool reserved = false;
        while (j < f->smaps.n && f->cls[j] == C_NONE && lb_smaps_anonymous(&f->smaps.maps[j]) &&
               (j == i || f->smaps.maps[j].start == f->smaps.maps[j - 1].end)) {
            reserved |= (f->smaps.maps[j].prot & (LB_SMAPS_R | LB_SMAPS_W)) == 0;
            j++;
        }
        uint8_t c = reserved ? C_RESERVED : C_PLAIN;
        for (size_t k = i; k < j; k++)
            f->cls[k] = c;
        i = j;
    }
}

static void sum_up(struct facts *f)
{
    for (size_t i = 0; i < f->smaps.n; i++) {
        const struct lb_smaps_map *m = &f->smaps.maps[i];
        f->rss[f->cls[i]] += m->rss;
        if (m->prot & (LB_SMAPS_R | LB_SMAPS_W))
            f->committed[f->cls[i]] += len_of(m);
    }
}

/* Takes up to want bytes from the pools, first from *a, then from *b (NULL: none). */
static uint64_t take(uint64_t want, uint64_t *a, uint64_t *b)
{
    uint64_t got = want < *a ? want : *a;
    *a -= got;
    if (b && got < want) {
        uint64_t more = want - got < *b ? want - got : *b;
        *b -= more;
        got += more;
    }
    return got;
}

static json_t *opt_int(int64_t v)
{
    return v >= 0 ? json_integer((json_int_t)v) : json_null();
}

static void set_int(json_t *o, const char *key, int64_t v)
{
    if (v >= 0)
        json_object_set_new(o, key, json_integer((json_int_t)v));
}

static json_t *region(const char *name, uint64_t rss, bool exact, const char *method)
{
    return json_pack("{s:s,s:I,s:b,s:s}", "name", name, "rss_bytes", (json_int_t)rss, "exact",
                     exact, "method", method);
}

static json_t *part(const char *name, uint64_t rss, const char *what)
{
    return json_pack("{s:s,s:I,s:s}", "name", name, "rss_bytes", (json_int_t)rss, "what", what);
}

static void finding(json_t *list, const char *code, json_t *figures, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void finding(json_t *list, const char *code, json_t *figures, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    json_array_append_new(
        list, json_pack("{s:s,s:s,s:o}", "code", code, "message", message, "figures", figures));
}

/* Resident bytes of the GC's side tables (card table, block offset table, mark bitmaps: G1 keeps
 * two bitmaps before JDK 20, one since) for the committed heap, when NMT does not say: G1
 * clears them as it commits regions, so they are resident as far as the heap is committed. */
static uint64_t gc_tables_estimate(const struct facts *f, uint64_t heap_committed)
{
    switch (f->hs.gc) {
    case LB_GC_G1:
        return f->in->jdk_major && f->in->jdk_major < 20
                   ? heap_committed / 32 + 3 * heap_committed / 512
                   : heap_committed / 64 + 2 * heap_committed / 512;
    case LB_GC_PARALLEL:
    case LB_GC_SERIAL:
        return 2 * heap_committed / 512;
    case LB_GC_SHENANDOAH:
        return heap_committed / 32;
    default:
        return 0;
    }
}

/* NMT categories whose mappings are none of the regions': the GC's side tables, Internal... */
static uint64_t nmt_other_mmap(const struct lb_jmx *j)
{
    static const char *const regions[] = {
        "Java Heap", "Class",        "Metaspace",          "Code",
        "Thread",    "Thread Stack", "Shared class space", "Native Memory Tracking"};
    uint64_t sum = 0;
    for (int i = 0; j && j->nmt && i < j->nnmt; i++) {
        bool skip = false;
        for (size_t r = 0; r < sizeof regions / sizeof regions[0]; r++)
            skip |= strcmp(j->nmt_rows[i].name, regions[r]) == 0;
        if (!skip && j->nmt_rows[i].mmap_committed > 0)
            sum += (uint64_t)j->nmt_rows[i].mmap_committed;
    }
    return sum;
}

static json_t *build(struct facts *f, uint64_t gather_us)
{
    const struct lb_jmx *jmx = f->in->jmx && f->in->jmx->ok ? f->in->jmx : NULL;
    const struct lb_hotspot *h = &f->hs;
    uint64_t rss = f->smaps.rss;
    uint64_t reserved = f->rss[C_RESERVED], plain = f->rss[C_PLAIN];
    const char *from = jmx ? "jmx" : h->perf ? "perf_data" : "none";

    /* By size, out of the anonymous memory no address rule claimed. */
    int64_t meta_committed = jmx ? jmx->meta_committed : h->meta_capacity;
    int64_t class_committed = jmx ? jmx->class_committed : h->class_capacity;
    uint64_t meta_guess = 0;
    if (meta_committed > 0)
        meta_guess =
            take((uint64_t)meta_committed - (class_committed > 0 && class_committed < meta_committed
                                                 ? (uint64_t)class_committed
                                                 : 0),
                 &reserved, &plain);
    uint64_t malloc_guess = 0;
    if (f->alloc.kind == LB_ALLOCATOR_GLIBC && f->alloc.mmapped > f->chunk_bytes)
        malloc_guess = take(f->alloc.mmapped - f->chunk_bytes, &plain, NULL);
    else if (f->alloc.kind == LB_ALLOCATOR_JEMALLOC && f->alloc.stats)
        malloc_guess = take(f->alloc.resident, &plain, &reserved);
    uint64_t gc_tables = 0;
    bool gc_from_nmt = false;
    if (jmx && jmx->nmt) {
        gc_tables = take(nmt_other_mmap(jmx), &reserved, &plain);
        gc_from_nmt = true;
    } else {
        gc_tables = take(gc_tables_estimate(f, f->committed[C_HEAP]), &reserved, &plain);
    }
    uint64_t agent = take(f->in->agent_bytes, &plain, NULL);
    uint64_t tracked_mmap = take(f->in->tracked_mmap_bytes, &plain, NULL);
    uint64_t reservations = reserved;

    uint64_t heap_rss = f->rss[C_HEAP], meta_rss = f->rss[C_META] + meta_guess;
    uint64_t code_rss = f->rss[C_CODE], stack_rss = f->rss[C_STACK];
    uint64_t malloc_rss = f->rss[C_MALLOC] + malloc_guess, file_rss = f->rss[C_FILE];
    uint64_t other_rss = f->rss[C_KERNEL] + gc_tables + agent + tracked_mmap + reservations;
    uint64_t named = heap_rss + meta_rss + code_rss + stack_rss + malloc_rss + file_rss + other_rss;
    uint64_t unexplained = rss > named ? rss - named : 0;

    json_t *regions = json_array();
    char method[512];

    /* java_heap */
    if (h->heap_end)
        snprintf(method, sizeof method,
                 "smaps Rss of the heap's reserved range %#lx-%#lx (CollectedHeap::_reserved); "
                 "used and committed from %s",
                 (unsigned long)h->heap_start, (unsigned long)h->heap_end, from);
    else if (h->gc == LB_GC_Z)
        snprintf(method, sizeof method,
                 "smaps Rss of ZGC's java_heap memfd mappings (each view counts, as the kernel "
                 "counts RSS); used and committed from %s",
                 from);
    else
        snprintf(method, sizeof method, "heap range unknown (no HotSpot tables): counted below");
    json_t *heap = region("java_heap", heap_rss, h->heap_end || h->gc == LB_GC_Z, method);
    json_object_set_new(heap, "reserved_bytes",
                        json_integer((json_int_t)(h->heap_end - h->heap_start)));
    json_object_set_new(heap, "mapped_committed_bytes",
                        json_integer((json_int_t)f->committed[C_HEAP]));
    json_object_set_new(heap, "committed_bytes",
                        opt_int(jmx ? jmx->heap_committed : h->heap_capacity));
    json_object_set_new(heap, "used_bytes", opt_int(jmx ? jmx->heap_used : h->heap_used));
    json_object_set_new(heap, "max_bytes",
                        opt_int(jmx && jmx->heap_max > 0 ? jmx->heap_max : (int64_t)h->max_heap));
    json_object_set_new(heap, "collector", json_string(lb_hotspot_gc_name(h->gc)));
    json_object_set_new(heap, "figures_from", json_string(from));
    json_array_append_new(regions, heap);

    /* metaspace */
    snprintf(method, sizeof method,
             "class space: smaps Rss of CompressedClassSpaceSize from %s%s; non-class: %s; "
             "committed and used from %s%s",
             f->hs.cds_end ? "the CDS archive's end" : "the class base",
             f->class_end ? "" : " (not found)",
             "its committed size, taken from the JVM's reservations (estimate)", from,
             jmx ? "" : " (perf data: as of the last GC)");
    json_t *meta = region("metaspace", meta_rss, false, method);
    json_object_set_new(meta, "class_space_rss_bytes", json_integer((json_int_t)f->class_rss));
    json_object_set_new(meta, "committed_bytes", opt_int(meta_committed));
    json_object_set_new(meta, "used_bytes", opt_int(jmx ? jmx->meta_used : h->meta_used));
    json_object_set_new(meta, "class_committed_bytes", opt_int(class_committed));
    json_object_set_new(meta, "figures_from", json_string(from));
    json_array_append_new(regions, meta);

    /* code_cache */
    json_t *code = region("code_cache", code_rss, true,
                          h->code_end ? "smaps Rss of CodeCache's bounds (_low_bound, _high_bound)"
                                      : "smaps Rss of anonymous rwx mappings");
    json_object_set_new(code, "reserved_bytes",
                        json_integer((json_int_t)(h->code_end - h->code_start)));
    json_object_set_new(code, "mapped_committed_bytes",
                        json_integer((json_int_t)f->committed[C_CODE]));
    if (jmx) {
        set_int(code, "committed_bytes", jmx->code_committed);
        set_int(code, "used_bytes", jmx->code_used);
    }
    json_array_append_new(regions, code);

    /* thread_stacks */
    snprintf(method, sizeof method,
             "smaps Rss of the mapping holding each thread's stack pointer "
             "(/proc/self/task/TID/syscall); %zu of %zu threads located (a thread on a CPU at "
             "that instant is not)",
             f->stacks.located, f->stacks.tasks);
    json_t *stacks =
        region("thread_stacks", stack_rss, f->stacks.located == f->stacks.tasks, method);
    json_object_set_new(stacks, "count", json_integer((json_int_t)f->stacks.tasks));
    json_object_set_new(stacks, "located", json_integer((json_int_t)f->stacks.located));
    if (h->java_threads >= 0)
        json_object_set_new(stacks, "java_threads", json_integer((json_int_t)h->java_threads));
    json_array_append_new(regions, stacks);

    /* malloc */
    if (f->alloc.kind == LB_ALLOCATOR_GLIBC) {
        char found[LB_UNITS_MAX], all[LB_UNITS_MAX];
        lb_units_bytes(f->chunk_bytes, found);
        lb_units_bytes(f->alloc.mmapped, all);
        snprintf(method, sizeof method,
                 "smaps Rss of [heap], of %llu arena heaps (64 MiB-aligned, heap_info checked) and "
                 "of mmapped chunks found by their headers (%s of %s); the rest of the mmapped "
                 "chunks counted at their size (estimate); in use and free from mallinfo2, arenas "
                 "from malloc_info",
                 (unsigned long long)f->arena_heaps, found, all);
    } else if (f->alloc.kind == LB_ALLOCATOR_JEMALLOC) {
        snprintf(
            method, sizeof method,
            "jemalloc's stats.resident (mallctl, after an epoch refresh), taken from anonymous "
            "memory no other rule claimed: its mappings are not told apart (estimate)");
    } else {
        snprintf(method, sizeof method,
                 "unknown allocator: only [heap] is counted; the rest is in unexplained_bytes");
    }
    json_t *mal = region("malloc", malloc_rss,
                         f->alloc.kind == LB_ALLOCATOR_GLIBC && malloc_guess == 0, method);
    json_object_set_new(mal, "allocator", json_string(lb_allocator_name(f->alloc.kind)));
    if (f->alloc.stats) {
        json_object_set_new(mal, "in_use_bytes", json_integer((json_int_t)f->alloc.in_use));
        json_object_set_new(mal, "free_bytes", json_integer((json_int_t)f->alloc.free));
        json_object_set_new(mal, "arenas", json_integer((json_int_t)f->alloc.arenas));
    }
    if (f->alloc.kind == LB_ALLOCATOR_GLIBC) {
        json_object_set_new(mal, "arena_heaps", json_integer((json_int_t)f->arena_heaps));
        json_object_set_new(mal, "mmapped_bytes", json_integer((json_int_t)f->alloc.mmapped));
    } else if (f->alloc.kind == LB_ALLOCATOR_JEMALLOC) {
        json_object_set_new(mal, "jemalloc",
                            json_pack("{s:I,s:I,s:I,s:I}", "active", (json_int_t)f->alloc.active,
                                      "resident", (json_int_t)f->alloc.resident, "retained",
                                      (json_int_t)f->alloc.retained, "mapped",
                                      (json_int_t)f->alloc.mapped));
    }
    json_object_set_new(mal, "tracked_bytes", json_integer((json_int_t)f->in->tracked_bytes));
    if (jmx && jmx->direct_bytes >= 0) {
        json_object_set_new(mal, "direct_buffers",
                            json_pack("{s:o,s:o}", "count", opt_int(jmx->direct_count), "bytes",
                                      opt_int(jmx->direct_bytes)));
    }
    if (jmx && jmx->nmt && jmx->nmt_malloc >= 0)
        json_object_set_new(mal, "jvm_bytes", json_integer((json_int_t)jmx->nmt_malloc));
    json_array_append_new(regions, mal);

    /* mapped_files */
    json_t *files = region("mapped_files", file_rss, true,
                           "smaps Rss of file-backed mappings outside the regions above: "
                           "libraries, jars, the CDS archive, mapped data");
    json_object_set_new(files, "cds_rss_bytes", json_integer((json_int_t)f->cds_rss));
    json_array_append_new(regions, files);

    /* other */
    json_t *parts = json_array();
    json_array_append_new(
        parts,
        part("gc_tables", gc_tables,
             gc_from_nmt ? "NMT's mapped memory of categories outside the regions (GC and others)"
                         : "the GC's side tables (card table, offset table, mark bitmaps), "
                           "estimated from the committed heap"));
    json_array_append_new(
        parts, part("reservations", reservations,
                    "anonymous memory committed in reservations (mappings with an inaccessible "
                    "part) no rule above claims: the JVM's own (GC, compiler), stacks of threads "
                    "not located or ended (glibc caches them), other native reservations"));
    json_array_append_new(parts, part("leakbridge", agent, "the agent's own tables"));
    json_array_append_new(
        parts, part("tracked_mmap", tracked_mmap, "anonymous mappings at leakbridge's mmap sites"));
    json_array_append_new(parts, part("kernel", f->rss[C_KERNEL], "[vdso], [vvar]"));
    json_t *other = region("other", other_rss, false,
                           "anonymous memory of none of the regions above, by what is known to "
                           "hold some (parts); sizes taken from anonymous memory are estimates");
    json_object_set_new(other, "parts", parts);
    json_object_set_new(other, "unclaimed_by_address",
                        json_pack("{s:I,s:I}", "reserved_bytes", (json_int_t)f->rss[C_RESERVED],
                                  "plain_bytes", (json_int_t)f->rss[C_PLAIN]));
    json_array_append_new(regions, other);

    json_t *section = json_pack("{s:I,s:s,s:I,s:o,s:I,s:I}", "rss_bytes", (json_int_t)rss, "source",
                                "/proc/self/smaps (sum of Rss)", "mappings", (json_int_t)f->smaps.n,
                                "regions", regions, "unexplained_bytes", (json_int_t)unexplained,
                                "gather_us", (json_int_t)gather_us);
    if (!section)
        return NULL;
    if (jmx)
        json_object_set_new(section, "jmx_us", json_integer((json_int_t)f->in->jmx_us));

    if (jmx && jmx->nmt) {
        json_t *cats = json_array();
        for (int i = 0; i < jmx->nnmt; i++) {
            const struct lb_jmx_nmt *r = &jmx->nmt_rows[i];
            json_t *c =
                json_pack("{s:s,s:I,s:I}", "name", r->name, "reserved_bytes",
                          (json_int_t)r->reserved, "committed_bytes", (json_int_t)r->committed);
            set_int(c, "malloc_bytes", r->malloc_bytes);
            set_int(c, "mmap_committed_bytes", r->mmap_committed);
            json_array_append_new(cats, c);
        }
        json_object_set_new(section, "nmt",
                            json_pack("{s:s,s:o,s:o}", "mode", h->nmt, "malloc_bytes",
                                      opt_int(jmx->nmt_malloc), "categories", cats));
    }

    /* Findings: the usual reasons RSS is high without a leak. */
    json_t *findings = json_array();
    char a[LB_UNITS_MAX], b[LB_UNITS_MAX];
    uint64_t held = f->alloc.free;
    if (f->alloc.stats && held > 64 * MIB && held * 4 > malloc_rss) {
        lb_units_bytes(held, a);
        json_t *fig = json_pack("{s:I,s:I,s:I,s:I}", "free_bytes", (json_int_t)held, "in_use_bytes",
                                (json_int_t)f->alloc.in_use, "malloc_rss_bytes",
                                (json_int_t)malloc_rss, "arenas", (json_int_t)f->alloc.arenas);
        if (f->alloc.kind == LB_ALLOCATOR_GLIBC)
            finding(findings, "malloc-free-held", fig,
                    "RSS grows but nothing leaks: %s of freed memory is held in %llu glibc "
                    "%s; try MALLOC_ARENA_MAX=2 or jemalloc",
                    a, (unsigned long long)f->alloc.arenas,
                    lb_units_plural((int64_t)f->alloc.arenas, "arena", "arenas"));
        else
            finding(findings, "malloc-free-held", fig,
                    "RSS grows but nothing leaks: jemalloc holds %s it does not use (resident - "
                    "allocated); a shorter dirty_decay_ms in MALLOC_CONF returns it sooner",
                    a);
    }
    if ((stack_rss * 100 >= rss * 15 && stack_rss >= 32 * MIB) || f->stacks.tasks >= 2000) {
        lb_units_bytes(stack_rss, a);
        finding(findings, "many-threads",
                json_pack("{s:I,s:I,s:I}", "count", (json_int_t)f->stacks.tasks, "rss_bytes",
                          (json_int_t)stack_rss, "percent_of_rss",
                          (json_int_t)(rss ? stack_rss * 100 / rss : 0)),
                "%zu threads hold %s in their stacks (%llu%% of RSS): a pool without a bound? "
                "Each can grow to -Xss",
                f->stacks.tasks, a, (unsigned long long)(rss ? stack_rss * 100 / rss : 0));
    }
    int64_t heap_committed = jmx ? jmx->heap_committed : h->heap_capacity;
    uint64_t heap_max = jmx && jmx->heap_max > 0 ? (uint64_t)jmx->heap_max : h->max_heap;
    if (heap_committed > 0 && heap_max && (uint64_t)heap_committed >= heap_max) {
        lb_units_bytes((uint64_t)heap_committed, a);
        lb_units_bytes(rss > heap_rss ? rss - heap_rss : 0, b);
        finding(findings, "heap-at-max",
                json_pack("{s:I,s:I,s:I}", "committed_bytes", (json_int_t)heap_committed,
                          "max_bytes", (json_int_t)heap_max, "rss_bytes", (json_int_t)heap_rss),
                "the heap is committed to its maximum (-Xmx, %s): a memory limit must hold it "
                "and the %s of RSS outside it",
                a, b);
    }
    if (unexplained * 10 > rss && unexplained > 32 * MIB) {
        lb_units_bytes(unexplained, a);
        finding(findings, "unexplained-large",
                json_pack("{s:I,s:I}", "unexplained_bytes", (json_int_t)unexplained,
                          "percent_of_rss", (json_int_t)(unexplained * 100 / rss)),
                "%s (%llu%% of RSS) is anonymous memory no known owner holds: native code "
                "mapping memory itself or an allocator other than malloc; "
                "-XX:NativeMemoryTracking=summary shows the JVM's own",
                a, (unsigned long long)(unexplained * 100 / rss));
    }
    json_object_set_new(section, "findings", findings);
    return section;
}

json_t *lb_memory_section(const struct lb_memory_input *in)
{
    uint64_t start = lb_clock_us();
    struct facts f;
    memset(&f, 0, sizeof f);
    f.in = in;
    /* The allocator first: its figures come before our own reads add anything. */
    lb_allocator_read(&f.alloc);
    lb_hotspot_read(&f.hs);
    lb_task_stacks_read(&f.stacks);
    if (!lb_smaps_read("/proc/self/smaps", &f.smaps)) {
        lb_task_stacks_free(&f.stacks);
        return NULL;
    }
    json_t *section = NULL;
    f.cls_bytes = f.smaps.n ? f.smaps.n : 1;
    f.cls = mmap(NULL, f.cls_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (f.cls != MAP_FAILED) {
        find_class_space(&f);
        by_address(&f);
        pools(&f);
        sum_up(&f);
        section = build(&f, lb_clock_us() - start);
        munmap(f.cls, f.cls_bytes);
    }
    lb_smaps_free(&f.smaps);
    lb_task_stacks_free(&f.stacks);
    return section;
}
