#include "sites.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define BUCKET_BITS 16
#define BUCKETS (1u << BUCKET_BITS)

static struct lb_site *_Atomic buckets[BUCKETS];
static struct lb_site *_Atomic all_sites;
static _Atomic size_t site_count;
static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t hash_stack(enum lb_origin origin, const struct lb_frame *frames, int n,
                           const char *file)
{
    uint64_t h = (0xcbf29ce484222325ULL ^ (uint64_t)origin) + (uint64_t)(uintptr_t)file;
    for (int i = 0; i < n; i++) {
        uint64_t v =
            (uint64_t)frames[i].id ^ ((uint64_t)(uint32_t)frames[i].bci << 32) ^ frames[i].type;
        h = (h ^ v) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    return h;
}

static size_t site_bytes(int nframes)
{
    return sizeof(struct lb_site) + (size_t)nframes * sizeof(struct lb_frame);
}

static bool same_stack(const struct lb_site *s, uint64_t h, enum lb_origin origin,
                       const struct lb_frame *frames, int n, const char *file)
{
    return s->hash == h && s->origin == origin && s->nframes == n && s->file == file &&
           memcmp(s->frames, frames, (size_t)n * sizeof *frames) == 0;
}

static struct lb_site *find(struct lb_site *_Atomic *bucket, uint64_t h, enum lb_origin origin,
                            const struct lb_frame *frames, int n, const char *file)
{
    for (struct lb_site *s = atomic_load_explicit(bucket, memory_order_acquire); s;
         s = atomic_load_explicit(&s->bucket_next, memory_order_acquire))
        if (same_stack(s, h, origin, frames, n, file))
            return s;
    return NULL;
}

struct lb_site *lb_sites_intern_at(enum lb_origin origin, const struct lb_frame *frames,
                                   int nframes, lb_sites_kind_fn kind_of, uint32_t module_gen,
                                   const char *file)
{
    uint64_t h = hash_stack(origin, frames, nframes, file);
    struct lb_site *_Atomic *bucket = &buckets[h & (BUCKETS - 1)];
    struct lb_site *site = find(bucket, h, origin, frames, nframes, file);
    if (site)
        return site;

    /* New stack: its kind is decided before taking the lock (kind_of may call into the JVM). */
    enum lb_kind kind = kind_of ? kind_of(origin, frames, nframes) : LB_KIND_MALLOC;
    struct lb_site *fresh = lb_arena_calloc(site_bytes(nframes));
    if (!fresh)
        return NULL;
    fresh->hash = h;
    fresh->origin = (uint8_t)origin;
    fresh->kind = (uint8_t)kind;
    fresh->nframes = (uint16_t)nframes;
    fresh->module_gen = module_gen;
    fresh->file = file;
    if (nframes > 0)
        memcpy(fresh->frames, frames, (size_t)nframes * sizeof *frames);

    pthread_mutex_lock(&intern_lock);
    site = find(bucket, h, origin, frames, nframes, file); /* another thread may have won */
    if (!site) {
        site = fresh;
        fresh = NULL;
        site->id = (uint32_t)atomic_fetch_add(&site_count, 1) + 1;
        site->all_next = atomic_load_explicit(&all_sites, memory_order_relaxed);
        atomic_store_explicit(&site->bucket_next,
                              atomic_load_explicit(bucket, memory_order_relaxed),
                              memory_order_relaxed);
        /* Release: readers that find the site see its frames. */
        atomic_store_explicit(bucket, site, memory_order_release);
        atomic_store_explicit(&all_sites, site, memory_order_release);
    }
    pthread_mutex_unlock(&intern_lock);
    if (fresh)
        lb_arena_free(fresh, site_bytes(nframes));
    return site;
}

struct lb_site *lb_sites_first(void)
{
    return atomic_load_explicit(&all_sites, memory_order_acquire);
}

size_t lb_sites_count(void)
{
    return atomic_load_explicit(&site_count, memory_order_relaxed);
}

void lb_sites_reset(void)
{
    struct lb_site *s = atomic_exchange(&all_sites, NULL);
    while (s) {
        struct lb_site *next = s->all_next;
        lb_arena_free(s, site_bytes(s->nframes));
        s = next;
    }
    for (unsigned i = 0; i < BUCKETS; i++)
        atomic_store(&buckets[i], NULL);
    atomic_store(&site_count, 0);
}
