#include "arena.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define USE_CALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define USE_CALLOC 1
#endif
#endif
#ifndef USE_CALLOC
#define USE_CALLOC 0
#endif

/* Classes: 64, 128, ... 1024 bytes (16 classes, for sites), then 2, 4, ... 64 KiB (6 classes,
 * for table slots, which come in powers of two). Anything larger is a mapping of its own. */
#define GRANULE_CLASSES 16
#define GRANULE_MAX (GRANULE_CLASSES * LB_ARENA_ALIGN)
#define CLASSES (GRANULE_CLASSES + 6)
#define SMALL_MAX ((size_t)64 * 1024)
#define CHUNK_BYTES ((size_t)1 << 20)
#define PAGE_BYTES ((size_t)4096)

struct free_block {
    struct free_block *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct free_block *free_lists[CLASSES];
static char *chunk_next, *chunk_end; /* what is left of the current chunk */
static _Atomic size_t mapped_bytes;
static _Atomic size_t limit_bytes; /* 0: none */
static _Atomic size_t refusals;

void lb_arena_set_limit(size_t limit)
{
    atomic_store(&limit_bytes, limit);
}

size_t lb_arena_refusals(void)
{
    return atomic_load_explicit(&refusals, memory_order_relaxed);
}

/* False, and a refusal counted, when mapping bytes more would pass the limit. */
static bool within_limit(size_t bytes, bool past_limit)
{
    size_t limit = atomic_load_explicit(&limit_bytes, memory_order_relaxed);
    if (past_limit || limit == 0 ||
        atomic_load_explicit(&mapped_bytes, memory_order_relaxed) + bytes <= limit)
        return true;
    atomic_fetch_add_explicit(&refusals, 1, memory_order_relaxed);
    return false;
}

static unsigned class_of(size_t size)
{
    if (size <= GRANULE_MAX)
        return (unsigned)((size + LB_ARENA_ALIGN - 1) / LB_ARENA_ALIGN - 1);
    unsigned c = GRANULE_CLASSES;
    for (size_t s = 2 * GRANULE_MAX; s < size; s *= 2)
        c++;
    return c;
}

static size_t class_size(unsigned c)
{
    if (c < GRANULE_CLASSES)
        return (size_t)(c + 1) * LB_ARENA_ALIGN;
    return (size_t)2 * GRANULE_MAX << (c - GRANULE_CLASSES);
}

static void *map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    atomic_fetch_add_explicit(&mapped_bytes, bytes, memory_order_relaxed);
    return p;
}

static size_t large_bytes(size_t size)
{
    return (size + PAGE_BYTES - 1) & ~(PAGE_BYTES - 1);
}

/* A block of class c from its free list (not zeroed) or from the chunk (zero: fresh pages). */
static void *take(unsigned c, bool *dirty, bool past_limit)
{
    struct free_block *b = free_lists[c];
    if (b) {
        free_lists[c] = b->next;
        *dirty = true;
        return b;
    }
    size_t bytes = class_size(c);
    /* A chunk mapped past the limit serves only what may go past it. */
    if (!past_limit && !within_limit(0, false))
        return NULL;
    if ((size_t)(chunk_end - chunk_next) < bytes) {
        /* The rest of the old chunk (less than one block) is left unused. */
        char *fresh = within_limit(CHUNK_BYTES, past_limit) ? map(CHUNK_BYTES) : NULL;
        if (!fresh)
            return NULL;
        chunk_next = fresh;
        chunk_end = fresh + CHUNK_BYTES;
    }
    void *p = chunk_next;
    chunk_next += bytes;
    *dirty = false;
    return p;
}

static void *arena_calloc(size_t size, bool past_limit)
{
    if (size == 0)
        return NULL;
    if (USE_CALLOC) {
        /* No limit (nothing is mapped), but counted as what it would have cost: the agent's own
         * memory stays reported. */
        void *p = calloc(1, size);
        if (p)
            atomic_fetch_add_explicit(&mapped_bytes, size, memory_order_relaxed);
        return p;
    }
    if (size > SMALL_MAX) {
        if (size > SIZE_MAX - PAGE_BYTES || !within_limit(large_bytes(size), past_limit))
            return NULL;
        return map(large_bytes(size));
    }
    bool dirty = false;
    pthread_mutex_lock(&lock);
    void *p = take(class_of(size), &dirty, past_limit);
    pthread_mutex_unlock(&lock);
    if (p && dirty)
        memset(p, 0, size);
    return p;
}

void *lb_arena_calloc(size_t size)
{
    return arena_calloc(size, false);
}

void *lb_arena_calloc_past_limit(size_t size)
{
    return arena_calloc(size, true);
}

void lb_arena_free(void *p, size_t size)
{
    if (!p)
        return;
    if (USE_CALLOC) {
        free(p);
        atomic_fetch_sub_explicit(&mapped_bytes, size, memory_order_relaxed);
        return;
    }
    if (size > SMALL_MAX) {
        munmap(p, large_bytes(size));
        atomic_fetch_sub_explicit(&mapped_bytes, large_bytes(size), memory_order_relaxed);
        return;
    }
    unsigned c = class_of(size);
    struct free_block *b = p;
    pthread_mutex_lock(&lock);
    b->next = free_lists[c];
    free_lists[c] = b;
    pthread_mutex_unlock(&lock);
}

bool lb_arena_mapped(void)
{
    return !USE_CALLOC;
}

size_t lb_arena_mapped_bytes(void)
{
    return atomic_load_explicit(&mapped_bytes, memory_order_relaxed);
}
