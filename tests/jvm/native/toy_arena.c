/* The toy arena of toy_arena.h. Fingerprint: chunks of TOY_ARENA_CHUNK bytes (new_chunk). */
#include "toy_arena.h"

#include <stdlib.h>
#include <string.h>

#include "leakbridge/leakbridge.h"

#define LOCAL static __attribute__((noinline, noclone))
#define MAX_CHUNKS 4096

struct toy_arena {
    char *chunks[MAX_CHUNKS];
    size_t nchunks;
    size_t used; /* in the newest chunk */
};

struct toy_arena *toy_arena_new(void)
{
    return calloc(1, sizeof(struct toy_arena));
}

LOCAL char *new_chunk(struct toy_arena *a)
{
    if (a->nchunks == MAX_CHUNKS)
        return NULL;
    char *c = malloc(TOY_ARENA_CHUNK);
    if (c) {
        a->chunks[a->nchunks++] = c;
        a->used = 0;
    }
    return c;
}

/* size bytes, rounded to 8, from the newest chunk or a new one; not reported yet. */
static char *carve(struct toy_arena *a, size_t size)
{
    if (size == 0 || size > TOY_ARENA_CHUNK)
        return NULL;
    if (a->nchunks == 0 || a->used + size > TOY_ARENA_CHUNK)
        if (!new_chunk(a))
            return NULL;
    char *p = a->chunks[a->nchunks - 1] + a->used;
    a->used += size;
    return p;
}

static size_t rounded(size_t size)
{
    return (size + 7) & ~(size_t)7;
}

__attribute__((noinline)) void *toy_arena_alloc(struct toy_arena *a, size_t size)
{
    char *p = carve(a, rounded(size));
    if (p)
        leakbridge_pool_alloc(TOY_ARENA_TAG, p, rounded(size));
    return p;
}

__attribute__((noinline)) void toy_arena_free(struct toy_arena *a, void *block)
{
    (void)a;
    leakbridge_pool_free(TOY_ARENA_TAG, block);
}

__attribute__((noinline)) void *toy_arena_grow(struct toy_arena *a, void *block, size_t old_size,
                                               size_t size)
{
    char *p = carve(a, rounded(size));
    if (!p)
        return NULL;
    memcpy(p, block, old_size < size ? old_size : size);
    leakbridge_pool_realloc(TOY_ARENA_TAG, block, p, rounded(size));
    return p;
}

size_t toy_arena_chunks(const struct toy_arena *a)
{
    return a->nchunks;
}
