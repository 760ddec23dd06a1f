#include "hotspot.h"

#include <dlfcn.h>
#include <stddef.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "peek.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Where the values live: found once (the tables and the statics they name do not move). */
struct places {
    bool found;
    uintptr_t collected_heap; /* &Universe::_collectedHeap */
    uint64_t reserved_offset; /* CollectedHeap::_reserved */
    uint64_t region_start;    /* MemRegion::_start */
    uint64_t region_words;    /* MemRegion::_word_size */
    uintptr_t code_low, code_high, klass_base, cds_base, cds_top;
    uintptr_t perf_start, perf_top;
    uintptr_t flag_addr[16];
    struct lb_hotspot_thread thread; /* offsets only: the interpreter's range is read later */
    uintptr_t interpreter_code;      /* &AbstractInterpreter::_code */
    uint64_t stub_buffer, buffer_limit;
    unsigned thread_found; /* a bit per field of thread_wanted, then the interpreter's */
};
static struct places places;

enum flag_index {
    F_G1,
    F_PARALLEL,
    F_SERIAL,
    F_Z,
    F_SHENANDOAH,
    F_CCS_SIZE,
    F_CCP,
    F_MAX_HEAP,
    F_NMT,
    F_COUNT
};
static const char *const flag_names[F_COUNT] = {"UseG1GC",
                                                "UseParallelGC",
                                                "UseSerialGC",
                                                "UseZGC",
                                                "UseShenandoahGC",
                                                "CompressedClassSpaceSize",
                                                "UseCompressedClassPointers",
                                                "MaxHeapSize",
                                                "NativeMemoryTracking"};

static void *jvm_handle(void)
{
    return RTLD_DEFAULT;
}

static uint64_t sym_word(void *h, const char *name, bool *ok)
{
    void *p = dlsym(h, name);
    if (!p) {
        *ok = false;
        return 0;
    }
    return lb_peek_word((uintptr_t)p);
}

static int find_libjvm(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    const char *name = info->dlpi_name, *slash = name ? strrchr(name, '/') : NULL;
    if (slash && strcmp(slash + 1, "libjvm.so") == 0) {
        *(void **)data = dlopen(name, RTLD_LAZY | RTLD_NOLOAD);
        return 1;
    }
    return 0;
}

/* The fields lb_hotspot_thread_layout needs, each an offset kept in places; and
 * AbstractInterpreter::_code, an address. */
static const struct {
    const char *type, *field;
    size_t at; /* offsetof in struct places */
} thread_wanted[] = {
    {"JavaThread", "_anchor", offsetof(struct places, thread.anchor)},
    {"JavaFrameAnchor", "_last_Java_sp", offsetof(struct places, thread.last_java_sp)},
    {"JavaFrameAnchor", "_last_Java_pc", offsetof(struct places, thread.last_java_pc)},
    {"JavaThread", "_thread_state", offsetof(struct places, thread.state)},
    {"JavaThread", "_stack_base", offsetof(struct places, thread.stack_base)},
    {"JavaThread", "_stack_size", offsetof(struct places, thread.stack_size)},
    {"StubQueue", "_stub_buffer", offsetof(struct places, stub_buffer)},
    {"StubQueue", "_buffer_limit", offsetof(struct places, buffer_limit)},
};
#define THREAD_WANTED (sizeof thread_wanted / sizeof thread_wanted[0])
#define THREAD_ALL_FOUND ((1u << (THREAD_WANTED + 1)) - 1) /* and the interpreter's bit */

/* True if (type, field) is one of them: kept, and its bit set in places.thread_found. */
static bool thread_field(const char *type, const char *field, uint64_t offset, uintptr_t address)
{
    if (!strcmp(type, "AbstractInterpreter") && !strcmp(field, "_code")) {
        places.interpreter_code = address;
        places.thread_found |= 1u << THREAD_WANTED;
        return true;
    }
    for (size_t i = 0; i < THREAD_WANTED; i++) {
        if (strcmp(type, thread_wanted[i].type) == 0 &&
            strcmp(field, thread_wanted[i].field) == 0) {
            memcpy((char *)&places + thread_wanted[i].at, &offset, sizeof offset);
            places.thread_found |= 1u << i;
            return true;
        }
    }
    return false;
}

/* One table of entries of a stride, each with string fields at the given offsets. */
struct table {
    uintptr_t base;
    uint64_t stride;
};

static bool entry_string(uintptr_t entry, uint64_t offset, char *out, size_t len)
{
    return lb_peek_string(lb_peek_word(entry + offset), out, len);
}

static void find_places(void)
{
    void *h = jvm_handle();
    if (!dlsym(h, "gHotSpotVMStructs")) {
        h = NULL;
        dl_iterate_phdr(find_libjvm, &h);
        if (!h)
            return;
    }
    bool ok = true;
    struct table s = {sym_word(h, "gHotSpotVMStructs", &ok),
                      sym_word(h, "gHotSpotVMStructEntryArrayStride", &ok)};
    uint64_t type_off = sym_word(h, "gHotSpotVMStructEntryTypeNameOffset", &ok);
    uint64_t field_off = sym_word(h, "gHotSpotVMStructEntryFieldNameOffset", &ok);
    uint64_t offset_off = sym_word(h, "gHotSpotVMStructEntryOffsetOffset", &ok);
    uint64_t address_off = sym_word(h, "gHotSpotVMStructEntryAddressOffset", &ok);
    struct table t = {sym_word(h, "gHotSpotVMTypes", &ok),
                      sym_word(h, "gHotSpotVMTypeEntryArrayStride", &ok)};
    uint64_t ttype_off = sym_word(h, "gHotSpotVMTypeEntryTypeNameOffset", &ok);
    uint64_t tsize_off = sym_word(h, "gHotSpotVMTypeEntrySizeOffset", &ok);
    if (!ok || !s.base || !s.stride || !t.base || !t.stride)
        return;
    uintptr_t flags_array = 0;
    uint64_t nflags = 0, flag_stride = 0, flag_addr_off = 0, flag_name_off = 8;
    bool have_reserved = false, have_start = false, have_words = false;
    for (int i = 0; i < 20000; i++) {
        uintptr_t e = s.base + (uintptr_t)i * s.stride;
        char type[64], field[96];
        if (!entry_string(e, type_off, type, sizeof type))
            break; /* the table ends with a NULL type name */
        if (!entry_string(e, field_off, field, sizeof field))
            continue;
        uint64_t offset = lb_peek_word(e + offset_off);
        uintptr_t address = lb_peek_word(e + address_off);
        if (!strcmp(type, "Universe") && !strcmp(field, "_collectedHeap"))
            places.collected_heap = address;
        else if (!strcmp(type, "CollectedHeap") && !strcmp(field, "_reserved"))
            places.reserved_offset = offset, have_reserved = true;
        else if (!strcmp(type, "MemRegion") && !strcmp(field, "_start"))
            places.region_start = offset, have_start = true;
        else if (!strcmp(type, "MemRegion") && !strcmp(field, "_word_size"))
            places.region_words = offset, have_words = true;
        else if (!strcmp(type, "CodeCache") && !strcmp(field, "_low_bound"))
            places.code_low = address;
        else if (!strcmp(type, "CodeCache") && !strcmp(field, "_high_bound"))
            places.code_high = address;
        else if (!strcmp(type, "CompressedKlassPointers") &&
                 (!strcmp(field, "_base") || !strcmp(field, "_narrow_klass._base")))
            places.klass_base = address;
        else if (!strcmp(type, "MetaspaceObj") && !strcmp(field, "_shared_metaspace_base"))
            places.cds_base = address;
        else if (!strcmp(type, "MetaspaceObj") && !strcmp(field, "_shared_metaspace_top"))
            places.cds_top = address;
        else if (!strcmp(type, "PerfMemory") && !strcmp(field, "_start"))
            places.perf_start = address;
        else if (!strcmp(type, "PerfMemory") && !strcmp(field, "_top"))
            places.perf_top = address;
        else if (thread_field(type, field, offset, address))
            continue;
        else if (!strcmp(type, "JVMFlag") && !strcmp(field, "flags"))
            flags_array = address;
        else if (!strcmp(type, "JVMFlag") && !strcmp(field, "numFlags"))
            nflags = lb_peek_word(address);
        else if (!strcmp(type, "JVMFlag") && !strcmp(field, "_addr"))
            flag_addr_off = offset;
        else if (!strcmp(type, "JVMFlag") && !strcmp(field, "_name"))
            flag_name_off = offset;
    }
    if (!have_reserved || !have_start || !have_words)
        places.collected_heap = 0;
    for (int i = 0; i < 5000; i++) {
        uintptr_t e = t.base + (uintptr_t)i * t.stride;
        char type[64];
        if (!entry_string(e, ttype_off, type, sizeof type))
            break;
        if (!strcmp(type, "JVMFlag")) {
            flag_stride = lb_peek_word(e + tsize_off);
            break;
        }
    }
    uintptr_t flags = lb_peek_word(flags_array);
    for (uint64_t i = 0; flags && flag_stride && i < nflags && i < 10000; i++) {
        uintptr_t f = flags + i * flag_stride;
        char name[64];
        if (!lb_peek_string(lb_peek_word(f + flag_name_off), name, sizeof name))
            continue;
        for (int k = 0; k < F_COUNT; k++)
            if (!strcmp(name, flag_names[k]))
                places.flag_addr[k] = lb_peek_word(f + flag_addr_off);
    }
    places.found = true;
}

static bool flag_bool(int k)
{
    unsigned char v = 0;
    return places.flag_addr[k] && lb_peek(places.flag_addr[k], &v, 1) && v;
}

/* Perf data (src/hotspot/share/runtime/perfData.hpp, perfMemory.hpp): a prologue, then entries
 * each with a name and, for 'J' (jlong) scalars, one 8-byte value. */
#define PERF_MAGIC 0xc0c0feca /* 0xcafec0c0 written big-endian */
#define PERF_MAX ((size_t)1 << 22)

struct counter {
    const char *name;
    int64_t *into;
    bool sum; /* several entries add up (generations, their spaces) */
};

static bool matches(const char *pattern, const char *name)
{
    /* '#' stands for one or more digits */
    while (*pattern) {
        if (*pattern == '#') {
            if (*name < '0' || *name > '9')
                return false;
            while (*name >= '0' && *name <= '9')
                name++;
            pattern++;
        } else if (*pattern++ != *name++) {
            return false;
        }
    }
    return *name == '\0';
}

static void read_perf(struct lb_hotspot *h)
{
    uintptr_t start = lb_peek_word(places.perf_start), top = lb_peek_word(places.perf_top);
    if (!start || top <= start || top - start > PERF_MAX)
        return;
    size_t len = top - start;
    unsigned char *buf =
        mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED)
        return;
    struct counter counters[] = {
        {"sun.gc.generation.#.capacity", &h->heap_capacity, true},
        {"sun.gc.generation.#.space.#.used", &h->heap_used, true},
        {"sun.gc.metaspace.capacity", &h->meta_capacity, false},
        {"sun.gc.metaspace.used", &h->meta_used, false},
        {"sun.gc.compressedclassspace.capacity", &h->class_capacity, false},
        {"sun.gc.compressedclassspace.used", &h->class_used, false},
        {"java.threads.live", &h->java_threads, false},
    };
    uint32_t magic, entry_offset, entries;
    if (!lb_peek(start, buf, len) || (memcpy(&magic, buf, 4), magic != PERF_MAGIC))
        goto out;
    memcpy(&entry_offset, buf + 24, 4);
    memcpy(&entries, buf + 28, 4);
    size_t at = entry_offset;
    for (uint32_t i = 0; i < entries && at + 20 <= len; i++) {
        int32_t entry_length, name_offset, vector_length, data_offset;
        memcpy(&entry_length, buf + at, 4);
        memcpy(&name_offset, buf + at + 4, 4);
        memcpy(&vector_length, buf + at + 8, 4);
        memcpy(&data_offset, buf + at + 16, 4);
        char type = (char)buf[at + 12];
        if (entry_length <= 0 || at + (size_t)entry_length > len)
            break;
        const char *name = (const char *)buf + at + name_offset;
        if (type == 'J' && vector_length == 0 && name_offset > 0 && name_offset < entry_length &&
            memchr(name, '\0', (size_t)(entry_length - name_offset)) && data_offset > 0 &&
            data_offset + 8 <= entry_length) {
            int64_t v;
            memcpy(&v, buf + at + data_offset, 8);
            for (size_t c = 0; c < sizeof counters / sizeof counters[0]; c++) {
                if (!matches(counters[c].name, name))
                    continue;
                if (counters[c].sum && *counters[c].into >= 0)
                    *counters[c].into += v;
                else
                    *counters[c].into = v;
            }
        }
        at += (size_t)entry_length;
    }
    h->perf = true;
out:
    munmap(buf, len);
}

void lb_hotspot_read(struct lb_hotspot *h)
{
    memset(h, 0, sizeof *h);
    h->heap_capacity = h->heap_used = -1;
    h->meta_capacity = h->meta_used = h->class_capacity = h->class_used = -1;
    h->java_threads = -1;
    snprintf(h->nmt, sizeof h->nmt, "unknown");
    pthread_once(&once, find_places);
    if (!places.found)
        return;
    h->structs = true;
    h->gc = flag_bool(F_G1)           ? LB_GC_G1
            : flag_bool(F_PARALLEL)   ? LB_GC_PARALLEL
            : flag_bool(F_SERIAL)     ? LB_GC_SERIAL
            : flag_bool(F_Z)          ? LB_GC_Z
            : flag_bool(F_SHENANDOAH) ? LB_GC_SHENANDOAH
                                      : LB_GC_UNKNOWN;
    uintptr_t heap = lb_peek_word(places.collected_heap);
    if (heap && h->gc != LB_GC_Z) {
        uintptr_t r = heap + places.reserved_offset;
        uintptr_t start = lb_peek_word(r + places.region_start);
        uint64_t words = lb_peek_word(r + places.region_words);
        if (start && words && words < ((uint64_t)1 << 45)) {
            h->heap_start = start;
            h->heap_end = start + words * 8;
        }
    }
    h->code_start = lb_peek_word(places.code_low);
    h->code_end = lb_peek_word(places.code_high);
    if (h->code_end <= h->code_start)
        h->code_start = h->code_end = 0;
    h->klass_base = lb_peek_word(places.klass_base);
    h->cds_start = lb_peek_word(places.cds_base);
    h->cds_end = lb_peek_word(places.cds_top);
    if (h->cds_end <= h->cds_start)
        h->cds_start = h->cds_end = 0;
    if (flag_bool(F_CCP))
        h->class_space_size = lb_peek_word(places.flag_addr[F_CCS_SIZE]);
    h->max_heap = lb_peek_word(places.flag_addr[F_MAX_HEAP]);
    char nmt[16];
    if (lb_peek_string(lb_peek_word(places.flag_addr[F_NMT]), nmt, sizeof nmt))
        snprintf(h->nmt, sizeof h->nmt, "%s", nmt);
    read_perf(h);
}

const char *lb_hotspot_gc_name(enum lb_hotspot_gc gc)
{
    static const char *const names[] = {"unknown", "G1", "Parallel", "Serial", "Z", "Shenandoah"};
    return (unsigned)gc < sizeof names / sizeof names[0] ? names[gc] : "unknown";
}

bool lb_hotspot_thread_layout(struct lb_hotspot_thread *out)
{
    pthread_once(&once, find_places);
    if (!places.found || places.thread_found != THREAD_ALL_FOUND)
        return false;
    *out = places.thread;
    uintptr_t queue = lb_peek_word(places.interpreter_code);
    uint32_t limit = 0;
    out->interpreter_start = queue ? lb_peek_word(queue + places.stub_buffer) : 0;
    if (!out->interpreter_start || !lb_peek(queue + places.buffer_limit, &limit, sizeof limit) ||
        limit == 0)
        return false;
    out->interpreter_end = out->interpreter_start + limit;
    return true;
}

bool lb_hotspot_nmt_on(void)
{
    pthread_once(&once, find_places);
    char nmt[16];
    return places.found && lb_peek_string(lb_peek_word(places.flag_addr[F_NMT]), nmt, sizeof nmt) &&
           (strcmp(nmt, "summary") == 0 || strcmp(nmt, "detail") == 0);
}
