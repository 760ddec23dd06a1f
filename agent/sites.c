#include "sites.h"

#include <math.h>
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
static size_t max_sites; /* 0: no bound */
static lb_sites_module_fn module_of;
static _Atomic uint64_t folds;
static _Atomic size_t overflow_sites;
static _Atomic bool full_by_count, full_by_memory;

/* Sites by id, for the live table's blocks, which hold an id rather than a pointer: pages of
 * ID_PAGE pointers, made as ids reach them (under intern_lock). */
#define ID_PAGE_BITS 14
#define ID_PAGE (1u << ID_PAGE_BITS)
#define ID_PAGES (1u << (28 - ID_PAGE_BITS))
static struct lb_site *_Atomic *_Atomic id_pages[ID_PAGES];

struct lb_site *lb_sites_by_id(uint32_t id)
{
    if (id >> ID_PAGE_BITS >= ID_PAGES)
        return NULL;
    struct lb_site *_Atomic *page =
        atomic_load_explicit(&id_pages[id >> ID_PAGE_BITS], memory_order_acquire);
    return page ? atomic_load_explicit(&page[id & (ID_PAGE - 1)], memory_order_acquire) : NULL;
}

/* Files site under its id; false when its page cannot be made (or the id is past 2^28 - 1). */
static bool file_by_id(struct lb_site *site)
{
    uint32_t id = site->id;
    if (id >> ID_PAGE_BITS >= ID_PAGES)
        return false;
    struct lb_site *_Atomic *page =
        atomic_load_explicit(&id_pages[id >> ID_PAGE_BITS], memory_order_relaxed);
    if (!page) {
        page = lb_arena_calloc_past_limit(ID_PAGE * sizeof *page);
        if (!page)
            return false;
        atomic_store_explicit(&id_pages[id >> ID_PAGE_BITS], page, memory_order_release);
    }
    atomic_store_explicit(&page[id & (ID_PAGE - 1)], site, memory_order_release);
    return true;
}

void lb_sites_set_limit(size_t max, lb_sites_module_fn fn)
{
    max_sites = max;
    module_of = fn;
}

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
           !s->overflow && memcmp(s->frames, frames, (size_t)n * sizeof *frames) == 0;
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

/* Gives site its id and adds it to its bucket and the list; returns it. Called with intern_lock
 * held, once the bucket was searched again under it. */
static struct lb_site *publish(struct lb_site *_Atomic *bucket, struct lb_site *site)
{
    site->id = (uint32_t)atomic_fetch_add(&site_count, 1) + 1;
    site->by_id = file_by_id(site);
    site->all_next = atomic_load_explicit(&all_sites, memory_order_relaxed);
    atomic_store_explicit(&site->bucket_next, atomic_load_explicit(bucket, memory_order_relaxed),
                          memory_order_relaxed);
    /* Release: readers that find the site see its frames. */
    atomic_store_explicit(bucket, site, memory_order_release);
    atomic_store_explicit(&all_sites, site, memory_order_release);
    return site;
}

static uint64_t overflow_hash(enum lb_origin origin, enum lb_kind kind, const char *module)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)origin << 8 | (uint64_t)kind);
    h = (h ^ (uint64_t)(uintptr_t)module) * 0x100000001b3ULL;
    return h ^ (h >> 31);
}

static bool same_overflow(const struct lb_site *s, uint64_t h, enum lb_origin origin,
                          enum lb_kind kind, const char *module)
{
    return s->hash == h && s->overflow && s->origin == origin && s->overflow->kind == kind &&
           s->overflow->module == module;
}

static struct lb_site *find_overflow(struct lb_site *_Atomic *bucket, uint64_t h,
                                     enum lb_origin origin, enum lb_kind kind, const char *module)
{
    for (struct lb_site *s = atomic_load_explicit(bucket, memory_order_acquire); s;
         s = atomic_load_explicit(&s->bucket_next, memory_order_acquire))
        if (same_overflow(s, h, origin, kind, module))
            return s;
    return NULL;
}

/* Counts one folded allocation of a stack with this hash into the overflow site's sketch. */
static void sketch_add(struct lb_site_overflow *o, uint64_t stack_hash)
{
    atomic_fetch_add_explicit(&o->folds, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&folds, 1, memory_order_relaxed);
    uint64_t x = stack_hash * 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    unsigned reg = (unsigned)(x >> (64 - LB_SITES_SKETCH_BITS));
    uint64_t rest = x << LB_SITES_SKETCH_BITS;
    uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : 64 - LB_SITES_SKETCH_BITS + 1;
    uint8_t old = atomic_load_explicit(&o->sketch[reg], memory_order_relaxed);
    while (rank > old &&
           !atomic_compare_exchange_weak_explicit(&o->sketch[reg], &old, rank, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

uint64_t lb_sites_folded_stacks(const struct lb_site *site)
{
    if (!site->overflow)
        return 0;
    const unsigned m = 1u << LB_SITES_SKETCH_BITS;
    double sum = 0;
    unsigned zeros = 0;
    for (unsigned i = 0; i < m; i++) {
        uint8_t r = atomic_load_explicit(&site->overflow->sketch[i], memory_order_relaxed);
        sum += 1.0 / (double)(1ULL << r);
        zeros += r == 0;
    }
    double estimate = 0.7213 / (1 + 1.079 / m) * m * m / sum;
    if (estimate <= 2.5 * m && zeros)
        estimate = m * log((double)m / zeros); /* few stacks: linear counting is closer */
    uint64_t folded = atomic_load_explicit(&site->overflow->folds, memory_order_relaxed);
    uint64_t n = (uint64_t)(estimate + 0.5);
    if (n == 0 && folded)
        n = 1;
    return n < folded ? n : folded; /* never more stacks than allocations */
}

void lb_sites_folding(struct lb_sites_folding *out)
{
    out->folds = atomic_load_explicit(&folds, memory_order_relaxed);
    out->overflow_sites = atomic_load_explicit(&overflow_sites, memory_order_relaxed);
    out->by_count = atomic_load_explicit(&full_by_count, memory_order_relaxed);
    out->by_memory = atomic_load_explicit(&full_by_memory, memory_order_relaxed);
}

/* Stacks folded lately, by hash: a folded stack has no site of its own to be found by, and
 * deciding its kind again (kind_of may look up every Java frame's class) on each of its
 * allocations would cost what a site costs once. An entry packs the hash's top 48 bits and the
 * overflow site's index in overflow_index; a wrong hit would need two stacks equal in 60 bits
 * of their hash. Only the first OVERFLOW_INDEXED overflow sites are cached. */
#define FOLD_CACHE_BITS 12
#define OVERFLOW_INDEXED 65536u
static _Atomic uint64_t fold_cache[1u << FOLD_CACHE_BITS];
static struct lb_site *_Atomic overflow_index[OVERFLOW_INDEXED];

static struct lb_site *fold_cached(uint64_t stack_hash, enum lb_origin origin)
{
    uint64_t e = atomic_load_explicit(&fold_cache[stack_hash & ((1u << FOLD_CACHE_BITS) - 1)],
                                      memory_order_acquire);
    if (!e || e >> 16 != stack_hash >> 16)
        return NULL;
    struct lb_site *site =
        atomic_load_explicit(&overflow_index[e & (OVERFLOW_INDEXED - 1)], memory_order_acquire);
    return site && site->origin == origin ? site : NULL;
}

static void fold_remember(uint64_t stack_hash, const struct lb_site *site)
{
    if (site->overflow->index < OVERFLOW_INDEXED)
        atomic_store_explicit(&fold_cache[stack_hash & ((1u << FOLD_CACHE_BITS) - 1)],
                              (stack_hash >> 16 << 16) | site->overflow->index,
                              memory_order_release);
}

/* The overflow site a new stack folds into, made if needed: its few bytes are taken past the
 * arena's limit (arena.h), or the stack is not counted at all (NULL) if even that fails. */
static struct lb_site *fold(enum lb_origin origin, enum lb_kind kind, uint64_t stack_hash,
                            const struct lb_frame *frames, int nframes, uint32_t module_gen)
{
    const char *module = module_of ? module_of(frames, nframes, module_gen) : NULL;
    uint64_t h = overflow_hash(origin, kind, module);
    struct lb_site *_Atomic *bucket = &buckets[h & (BUCKETS - 1)];
    struct lb_site *site = find_overflow(bucket, h, origin, kind, module);
    if (!site) {
        pthread_mutex_lock(&intern_lock);
        site = find_overflow(bucket, h, origin, kind, module);
        if (!site) {
            struct lb_site *fresh = lb_arena_calloc_past_limit(site_bytes(0));
            struct lb_site_overflow *o =
                fresh ? lb_arena_calloc_past_limit(sizeof *fresh->overflow) : NULL;
            if (o) {
                o->module = module;
                o->kind = (uint8_t)kind;
                fresh->hash = h;
                fresh->origin = (uint8_t)origin;
                fresh->kind = (uint8_t)kind;
                fresh->overflow = o;
                site = publish(bucket, fresh);
                o->index =
                    (uint32_t)atomic_fetch_add_explicit(&overflow_sites, 1, memory_order_relaxed);
                if (o->index < OVERFLOW_INDEXED)
                    atomic_store_explicit(&overflow_index[o->index], site, memory_order_release);
            } else {
                lb_arena_free(fresh, site_bytes(0));
            }
        }
        pthread_mutex_unlock(&intern_lock);
        if (!site)
            return NULL;
    }
    sketch_add(site->overflow, stack_hash);
    fold_remember(stack_hash, site);
    return site;
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

    if (atomic_load_explicit(&overflow_sites, memory_order_relaxed)) {
        site = fold_cached(h, origin); /* a stack folded before */
        if (site) {
            sketch_add(site->overflow, h);
            return site;
        }
    }
    /* New stack: its kind is decided before taking the lock (kind_of may call into the JVM). */
    enum lb_kind kind = kind_of ? kind_of(origin, frames, nframes) : LB_KIND_MALLOC;
    if (max_sites && atomic_load_explicit(&site_count, memory_order_relaxed) >= max_sites) {
        atomic_store_explicit(&full_by_count, true, memory_order_relaxed);
        return fold(origin, kind, h, frames, nframes, module_gen);
    }
    struct lb_site *fresh = lb_arena_calloc(site_bytes(nframes));
    if (!fresh) {
        atomic_store_explicit(&full_by_memory, true, memory_order_relaxed);
        return fold(origin, kind, h, frames, nframes, module_gen);
    }
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
        site = publish(bucket, fresh);
        fresh = NULL;
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
        lb_arena_free(s->overflow, sizeof *s->overflow);
        lb_arena_free(s, site_bytes(s->nframes));
        s = next;
    }
    for (unsigned i = 0; i < BUCKETS; i++)
        atomic_store(&buckets[i], NULL);
    for (unsigned i = 0; i < ID_PAGES; i++) {
        struct lb_site *_Atomic *page = atomic_exchange(&id_pages[i], NULL);
        if (page)
            lb_arena_free(page, ID_PAGE * sizeof *page);
    }
    atomic_store(&site_count, 0);
    atomic_store(&folds, 0);
    atomic_store(&overflow_sites, 0);
    for (unsigned i = 0; i < (1u << FOLD_CACHE_BITS); i++)
        atomic_store(&fold_cache[i], 0);
    for (unsigned i = 0; i < OVERFLOW_INDEXED; i++)
        atomic_store(&overflow_index[i], NULL);
    atomic_store(&full_by_count, false);
    atomic_store(&full_by_memory, false);
}
