#include "pools.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "live_table.h"
#include "log.h"
#include "ptr_map.h"
#include "sampler.h"

/* Tags: a short array scanned by pointer, then by text; added to under a lock. */
#define TAGS 256
static struct {
    const char *_Atomic given; /* the caller's pointer last seen for it */
    const char *kept;
} tags[TAGS];
static _Atomic unsigned ntags;
static pthread_mutex_t tag_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *find_tag(const char *tag, unsigned n, bool by_text)
{
    for (unsigned i = 0; i < n; i++) {
        if (atomic_load_explicit(&tags[i].given, memory_order_relaxed) == tag)
            return tags[i].kept;
        if (by_text && strncmp(tags[i].kept, tag, LB_POOLS_TAG_MAX) == 0 &&
            strlen(tags[i].kept) == strnlen(tag, LB_POOLS_TAG_MAX)) {
            atomic_store_explicit(&tags[i].given, tag, memory_order_relaxed);
            return tags[i].kept;
        }
    }
    return NULL;
}

const char *lb_pools_tag(const char *tag)
{
    const char *kept = find_tag(tag, atomic_load_explicit(&ntags, memory_order_acquire), false);
    if (kept)
        return kept;
    pthread_mutex_lock(&tag_lock);
    unsigned n = atomic_load_explicit(&ntags, memory_order_relaxed);
    kept = find_tag(tag, n, true);
    if (!kept && n == TAGS) {
        kept = "<other pools>";
    } else if (!kept) {
        size_t len = strnlen(tag, LB_POOLS_TAG_MAX);
        char *copy = lb_arena_calloc(len + 1);
        if (copy) {
            memcpy(copy, tag, len);
            tags[n].kept = kept = copy;
            atomic_store_explicit(&tags[n].given, tag, memory_order_relaxed);
            atomic_store_explicit(&ntags, n + 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&tag_lock);
    return kept;
}

static _Atomic uint64_t misuse_count[LB_POOLS_MISUSE_COUNT];
static _Atomic uint64_t recorded;

void lb_pools_misuse(enum lb_pools_misuse what, const char *tag, const void *ptr)
{
    static const char *const said[LB_POOLS_MISUSE_COUNT] = {
        "a pool call with a NULL or empty tag was ignored",
        "a block never reported was freed",
        "a block was freed twice",
        "a block was reported by a thread the JVM does not know (recorded with native frames "
        "only)",
    };
    if (atomic_fetch_add_explicit(&misuse_count[what], 1, memory_order_relaxed) == 0)
        lb_log("pool API misuse: %s (pool '%.*s', block %p); counted in the report's "
               "agent.pool_api, said once",
               said[what], LB_POOLS_TAG_MAX, tag ? tag : "(null)", ptr);
}

/* Keys of blocks freed lately, one per slot: a free that finds no live block but its key here
 * is a double free. Written only by recorded blocks' frees. */
#define FREED_SLOTS 4096
static _Atomic uintptr_t freed[FREED_SLOTS];

static size_t freed_slot(uintptr_t key)
{
    return (size_t)((key >> 4) ^ (key >> 16)) & (FREED_SLOTS - 1);
}

void lb_pools_note_live(uintptr_t key)
{
    atomic_fetch_add_explicit(&recorded, 1, memory_order_relaxed);
    /* A load first: the slot rarely holds this key, and a failed exchange still takes the
     * cache line from the threads that use it. */
    _Atomic uintptr_t *slot = &freed[freed_slot(key)];
    uintptr_t k = key;
    if (atomic_load_explicit(slot, memory_order_relaxed) == key)
        atomic_compare_exchange_strong(slot, &k, 0);
}

void lb_pools_note_freed(uintptr_t key)
{
    atomic_store_explicit(&freed[freed_slot(key)], key, memory_order_relaxed);
}

bool lb_pools_freed_before(uintptr_t key)
{
    return atomic_load_explicit(&freed[freed_slot(key)], memory_order_relaxed) == key;
}

json_t *lb_pools_json(void)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I}", "blocks_recorded", (json_int_t)atomic_load(&recorded),
                     "bad_tag", (json_int_t)atomic_load(&misuse_count[LB_POOLS_BAD_TAG]),
                     "unknown_free", (json_int_t)atomic_load(&misuse_count[LB_POOLS_UNKNOWN_FREE]),
                     "double_free", (json_int_t)atomic_load(&misuse_count[LB_POOLS_DOUBLE_FREE]),
                     "unknown_thread",
                     (json_int_t)atomic_load(&misuse_count[LB_POOLS_UNKNOWN_THREAD]));
}

/* Pool blocks by address, then each other block looks for those inside it. */
struct pool_block {
    uintptr_t start, end;
    uint64_t weight_bytes;
    const char *tag;
};

struct walk {
    uint64_t since_ms;
    struct pool_block *blocks;
    size_t n, cap;
    struct lb_ptr_map by_site; /* site -> index + 1 in shares */
    struct lb_pools_share *shares;
    size_t nshares, share_cap;
    bool failed;
};

/* b's site if b counts (allocated since the mark, not the JDK's own), else NULL. */
static struct lb_site *counted(const struct walk *w, const struct lb_block *b)
{
    struct lb_site *site = b->time_ms >= w->since_ms ? lb_sites_by_id(b->site_id) : NULL;
    return site && site->kind < LB_KIND_COUNT ? site : NULL;
}

static void collect_pool_block(uintptr_t key, const struct lb_block *b, void *ctx)
{
    struct walk *w = ctx;
    struct lb_site *site = key & LB_POOLS_KEY_BIT ? counted(w, b) : NULL;
    if (!site || w->failed)
        return;
    if (w->n == w->cap) {
        size_t cap = w->cap * 2 + 256;
        struct pool_block *more = realloc(w->blocks, cap * sizeof *more);
        if (!more) {
            w->failed = true;
            return;
        }
        w->blocks = more;
        w->cap = cap;
    }
    struct lb_weight weight;
    lb_sampler_weight(b->size, &weight);
    uintptr_t start = key & ~LB_POOLS_KEY_BIT;
    w->blocks[w->n++] = (struct pool_block){start, start + b->size, weight.bytes, site->file};
}

static int by_start(const void *a, const void *b)
{
    const struct pool_block *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

static struct lb_pools_share *share_of(struct walk *w, const struct lb_site *site)
{
    void **cell = lb_ptr_map_put(&w->by_site, site);
    if (!cell)
        return NULL;
    if (*cell)
        return &w->shares[(uintptr_t)*cell - 1];
    if (w->nshares == w->share_cap) {
        size_t cap = w->share_cap * 2 + 8;
        struct lb_pools_share *more = realloc(w->shares, cap * sizeof *more);
        if (!more)
            return NULL;
        w->shares = more;
        w->share_cap = cap;
    }
    w->shares[w->nshares] = (struct lb_pools_share){.site = site};
    *cell = (void *)(uintptr_t)(++w->nshares);
    return &w->shares[w->nshares - 1];
}

static void find_in_chunk(uintptr_t key, const struct lb_block *b, void *ctx)
{
    struct walk *w = ctx;
    struct lb_site *site = key & LB_POOLS_KEY_BIT ? NULL : counted(w, b);
    if (!site || w->failed)
        return;
    uintptr_t end = key + b->size;
    size_t lo = 0, hi = w->n; /* the first pool block starting at or after key */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->blocks[mid].start < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint64_t covered = 0;
    const char *tag = NULL;
    for (size_t i = lo; i < w->n && w->blocks[i].start < end; i++) {
        if (w->blocks[i].end > end)
            continue; /* not inside this block */
        covered += w->blocks[i].weight_bytes;
        tag = tag ? tag : w->blocks[i].tag;
    }
    if (!tag)
        return;
    struct lb_pools_share *s = share_of(w, site);
    if (!s) {
        w->failed = true;
        return;
    }
    struct lb_weight weight;
    lb_sampler_weight(b->size, &weight);
    s->pool = s->pool ? s->pool : tag;
    s->capacity_bytes += weight.bytes;
    s->handed_out_bytes += covered < weight.bytes ? covered : weight.bytes;
}

size_t lb_pools_shares(uint64_t since_ms, struct lb_pools_share **out)
{
    *out = NULL;
    if (atomic_load_explicit(&recorded, memory_order_relaxed) == 0)
        return 0;
    struct walk w = {.since_ms = since_ms};
    lb_live_table_foreach(collect_pool_block, &w);
    if (w.n && !w.failed && lb_ptr_map_init(&w.by_site, 16)) {
        qsort(w.blocks, w.n, sizeof *w.blocks, by_start);
        lb_live_table_foreach(find_in_chunk, &w);
    }
    free(w.blocks);
    lb_ptr_map_free(&w.by_site);
    if (w.failed) {
        free(w.shares);
        return 0;
    }
    *out = w.shares;
    return w.nshares;
}

void lb_pools_apply_shares(const struct lb_pools_share *shares, size_t nshares,
                           struct lb_snapshot *snaps, size_t n)
{
    for (size_t k = 0; k < nshares; k++)
        for (size_t i = 0; i < n; i++) {
            struct lb_snapshot *sn = &snaps[i];
            if (sn->site != shares[k].site)
                continue;
            uint64_t out = shares[k].handed_out_bytes;
            sn->pool_chunks = shares[k].pool;
            sn->pool_capacity_bytes = shares[k].capacity_bytes;
            sn->pool_handed_out_bytes = out;
            sn->live_bytes = sn->live_bytes > out ? sn->live_bytes - out : 0;
            break;
        }
}

void lb_pools_apply(struct lb_snapshot *snaps, size_t n)
{
    struct lb_pools_share *shares;
    size_t nshares = lb_pools_shares(0, &shares);
    lb_pools_apply_shares(shares, nshares, snaps, n);
    free(shares);
}
