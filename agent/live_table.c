#include "live_table.h"

#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define SHARD_BITS 7
#define SHARDS (1u << SHARD_BITS)
#define MIN_SLOTS 64u

/* Keys 0 and 1 are never allocator addresses. */
#define KEY_EMPTY ((uintptr_t)0)
#define KEY_TOMBSTONE ((uintptr_t)1)

/* A slot's block is two words, written under the shard lock before the key is published and
 * read with relaxed atomics, so that a dump can copy slots without the lock (copy_shard). */
struct slot {
    _Atomic uintptr_t key;
    _Atomic uint64_t block[2];
};
_Static_assert(sizeof(struct lb_block) == 2 * sizeof(uint64_t), "a block is two words");

static inline void block_put(struct slot *sl, const struct lb_block *b)
{
    uint64_t w[2];
    memcpy(w, b, sizeof w);
    for (int i = 0; i < 2; i++)
        atomic_store_explicit(&sl->block[i], w[i], memory_order_relaxed);
}

static inline struct lb_block block_get(struct slot *sl)
{
    uint64_t w[2];
    for (int i = 0; i < 2; i++)
        w[i] = atomic_load_explicit(&sl->block[i], memory_order_relaxed);
    struct lb_block b;
    memcpy(&b, w, sizeof b);
    return b;
}

/* A table is n slots, any n: it grows by 1.35 times, from 70% full to 52%, so that it is never
 * less than half full while it grows (24 bytes a slot: at most 46.3 bytes a block; doubling a
 * power of two would leave it 35% full, 69 bytes a block). */
struct table {
    size_t n;
    size_t used; /* live + tombstones */
    size_t live;
    struct table *prev; /* replaced tables, until no lock-free reader can hold them */
    struct slot *slots;
};

/* Where h starts its probe in t: h scaled to n. */
static inline size_t start_in(size_t n, uint64_t h)
{
    return (size_t)(((unsigned __int128)h * n) >> 64);
}

static inline size_t start_of(const struct table *t, uint64_t h)
{
    return start_in(t->n, h);
}

static inline size_t next_of(const struct table *t, size_t i)
{
    return i + 1 == t->n ? 0 : i + 1;
}

static inline size_t prev_of(const struct table *t, size_t i)
{
    return i == 0 ? t->n - 1 : i - 1;
}

/* seq is odd while keys move (a rebuild); lock-free readers retry under the lock then. */
struct shard {
    _Atomic int lock; /* shard_lock */
    _Atomic unsigned seq;
    _Atomic unsigned readers; /* lock-free readers now (reader_enter) */
    struct table *_Atomic table;
    /* The current table's slots and size, for lb_live_table_prefetch: a hint that may be stale,
     * read without the lock and never dereferenced but by a prefetch (which cannot fault). */
    struct slot *_Atomic hint_slots;
    _Atomic size_t hint_n;
} __attribute__((aligned(64)));

static struct shard shards[SHARDS]; /* all unlocked and empty */

_Atomic uint16_t lb_live_table_filter[1u << LB_TABLE_FILTER_BITS];

static inline uint64_t mix(uintptr_t addr)
{
    uint64_t x = (uint64_t)addr;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* A shard holds the addresses of one range of filter buckets, so that each bucket's count
 * changes only under its shard's lock and needs no atomic read-modify-write of its own. */
static inline struct shard *shard_of(uintptr_t addr)
{
    return &shards[lb_live_table_filter_index(addr) >> (LB_TABLE_FILTER_BITS - SHARD_BITS)];
}

/* The shard lock: an exchange to take it and a plain store to give it back. A pthread mutex
 * gives it back with a locked instruction too, and at sample=0 every allocation and free takes
 * a shard lock: the unlock's atomic operation was a tenth of the agent's time on a malloc/free
 * churn. Held for a probe, or for a rebuild (at most a few milliseconds for millions of
 * blocks): a waiter spins briefly, then yields its CPU, then sleeps in short steps. */
static void shard_lock_wait(struct shard *s)
{
    for (unsigned n = 0;; n++) {
        while (atomic_load_explicit(&s->lock, memory_order_relaxed)) {
            if (n < 128)
                __builtin_ia32_pause();
            else if (n < 1024)
                sched_yield();
            else
                nanosleep(&(struct timespec){.tv_nsec = 50000}, NULL);
            n++;
        }
        if (!atomic_exchange_explicit(&s->lock, 1, memory_order_acquire))
            return;
    }
}

static inline void shard_lock(struct shard *s)
{
    if (__builtin_expect(atomic_exchange_explicit(&s->lock, 1, memory_order_acquire), 0))
        shard_lock_wait(s);
}

static inline void shard_unlock(struct shard *s)
{
    atomic_store_explicit(&s->lock, 0, memory_order_release);
}

/* The filter bucket's count, changed under the shard lock that owns the bucket (shard_of);
 * read without it by lb_live_table_may_hold. */
static inline void filter_add(uintptr_t addr, int d)
{
    _Atomic uint16_t *c = &lb_live_table_filter[lb_live_table_filter_index(addr)];
    atomic_store_explicit(c, (uint16_t)(atomic_load_explicit(c, memory_order_relaxed) + d),
                          memory_order_release);
}

static struct table *table_new(size_t nslots)
{
    struct table *t = lb_arena_calloc(sizeof *t);
    struct slot *slots = t ? lb_arena_calloc(nslots * sizeof *slots) : NULL;
    if (!slots) {
        lb_arena_free(t, sizeof *t);
        return NULL;
    }
    t->n = nslots;
    t->slots = slots;
    return t;
}

static void table_free(struct table *t)
{
    if (t->slots)
        lb_arena_free(t->slots, t->n * sizeof *t->slots);
    lb_arena_free(t, sizeof *t);
}

/* Lock-free readers (maybe_recorded, copy_shard) count themselves in the shard before they
 * load its table and out when done with it; a table replaced by a rebuild is freed, under the
 * lock, once the count is seen at zero after the replacement was published: a reader that
 * comes later loads the new table (both sides sequentially consistent). */
static inline const struct table *reader_enter(struct shard *s)
{
    atomic_fetch_add(&s->readers, 1);
    return atomic_load(&s->table);
}

static inline void reader_exit(struct shard *s)
{
    atomic_fetch_sub_explicit(&s->readers, 1, memory_order_release);
}

/* Frees the replaced tables if no reader can hold them. Under the shard lock. */
static void free_replaced(struct shard *s)
{
    struct table *t = atomic_load_explicit(&s->table, memory_order_relaxed);
    if (!t || !t->prev || atomic_load(&s->readers) != 0)
        return;
    for (struct table *p = t->prev, *next; p; p = next) {
        next = p->prev;
        table_free(p);
    }
    t->prev = NULL;
}

/* Index of addr's slot, or of the slot where it would go (first tombstone or empty). */
static size_t probe(const struct table *t, uintptr_t addr, uint64_t h, bool *found)
{
    size_t i = start_of(t, h);
    size_t reuse = SIZE_MAX;
    for (;;) {
        uintptr_t k = atomic_load_explicit(&t->slots[i].key, memory_order_relaxed);
        if (k == addr) {
            *found = true;
            return i;
        }
        if (k == KEY_EMPTY) {
            *found = false;
            return reuse != SIZE_MAX ? reuse : i;
        }
        if (k == KEY_TOMBSTONE && reuse == SIZE_MAX)
            reuse = i;
        i = next_of(t, i);
    }
}

static void copy_live(struct table *to, struct slot *from, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uintptr_t k = atomic_load_explicit(&from[i].key, memory_order_relaxed);
        if (k <= KEY_TOMBSTONE)
            continue;
        bool found;
        size_t j = probe(to, k, mix(k), &found);
        struct lb_block b = block_get(&from[i]);
        block_put(&to->slots[j], &b);
        atomic_store_explicit(&to->slots[j].key, k, memory_order_relaxed);
        to->used++;
        to->live++;
    }
}

/* Whether one more entry keeps a table that cannot grow at most 80% full (probes stay short: a
 * free of an address not in the table probes to an empty slot, 13 slots on average at 80%). */
static bool below_80(const struct table *t)
{
    return (t->used + 1) * 10 <= t->n * 8;
}

/* The next size up: 1.35 times. */
static size_t grown(size_t n)
{
    return n + (n * 7 + 19) / 20;
}

/* Makes room for one more entry, under the shard lock: grows into a new table when the live
 * entries need it (the old one's slots are given back), otherwise clears tombstones in place.
 * Returns false when out of memory. */
static bool ensure_room(struct shard *s)
{
    struct table *t = atomic_load_explicit(&s->table, memory_order_relaxed);
    if (t && (t->used + 1) * 10 <= t->n * 7)
        return true;
    size_t live = t ? t->live : 0;
    /* Never shrink: a smaller table would replace the bigger one at every burst of churn. */
    size_t nslots = t ? t->n : MIN_SLOTS;
    while ((live + 1) * 100 > nslots * 52) /* at most 52% full after a rebuild */
        nslots = grown(nslots);
    struct table *n = t && nslots <= t->n ? NULL : table_new(nslots);
    struct slot *saved = NULL;
    if (!n && t && nslots > t->n && t->live * 10 >= t->n * 6)
        /* Could not grow (the arena's limit, or out of memory) and clearing tombstones would
         * free too little: fill up to 80%, then refuse. */
        return below_80(t);
    if (!n) {
        /* Past the arena's limit: given back at once, and without it tombstones would fill
         * the table until nothing can be recorded. */
        saved = t ? lb_arena_calloc_past_limit(t->n * sizeof *saved) : NULL;
        if (!saved) /* out of memory: fill up to 80%, as above */
            return t && below_80(t);
    }
    atomic_fetch_add_explicit(&s->seq, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    if (n) {
        if (t)
            copy_live(n, t->slots, t->n);
        n->prev = t;
        atomic_store(&s->table, n);
        atomic_store_explicit(&s->hint_slots, n->slots, memory_order_relaxed);
        atomic_store_explicit(&s->hint_n, n->n, memory_order_relaxed);
    } else {
        size_t nsl = t->n;
        for (size_t i = 0; i < nsl; i++) {
            struct lb_block b = block_get(&t->slots[i]);
            block_put(&saved[i], &b);
            atomic_store_explicit(&saved[i].key,
                                  atomic_load_explicit(&t->slots[i].key, memory_order_relaxed),
                                  memory_order_relaxed);
            atomic_store_explicit(&t->slots[i].key, KEY_EMPTY, memory_order_relaxed);
        }
        t->used = t->live = 0;
        copy_live(t, saved, nsl);
        lb_arena_free(saved, nsl * sizeof *saved);
    }
    atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
    return true;
}

enum lb_insert_result lb_live_table_insert(uintptr_t addr, const struct lb_block *block,
                                           struct lb_block *replaced)
{
    uint64_t h = mix(addr);
    struct shard *s = shard_of(addr);
    bool was_there = false;
    enum lb_insert_result result = LB_INSERT_NO_MEMORY;
    shard_lock(s);
    bool room = ensure_room(s);
    free_replaced(s); /* what this rebuild or an earlier one replaced */
    if (room) {
        struct table *t = atomic_load_explicit(&s->table, memory_order_relaxed);
        size_t i = probe(t, addr, h, &was_there);
        struct slot *sl = &t->slots[i];
        if (was_there) {
            *replaced = block_get(sl);
        } else {
            if (atomic_load_explicit(&sl->key, memory_order_relaxed) == KEY_EMPTY)
                t->used++;
            t->live++;
            filter_add(addr, 1);
        }
        /* A dump copying this slot without the lock reads key, block, key: the release fence
         * keeps these block words after the remove that made the slot free. */
        atomic_thread_fence(memory_order_release);
        block_put(sl, block);
        atomic_store_explicit(&sl->key, addr, memory_order_release);
        result = was_there ? LB_INSERT_REPLACED : LB_INSERT_ADDED;
    }
    shard_unlock(s);
    return result;
}

/* Lock-free: may a block at addr be recorded? Exact for addresses whose insert happened before
 * this call (the caller got addr from an allocation that returned after the insert); when a
 * rebuild moved keys meanwhile, the answer is "maybe" and the caller looks under the lock. */
static bool maybe_recorded(struct shard *s, uintptr_t addr, uint64_t h)
{
    unsigned seq = atomic_load_explicit(&s->seq, memory_order_acquire);
    if (seq & 1)
        return true;
    const struct table *t = reader_enter(s);
    bool hit = false;
    for (size_t i = t ? start_of(t, h) : 0; t; i = next_of(t, i)) {
        uintptr_t k = atomic_load_explicit(&t->slots[i].key, memory_order_relaxed);
        if (k == addr) {
            hit = true;
            break;
        }
        if (k == KEY_EMPTY)
            break;
    }
    reader_exit(s);
    atomic_thread_fence(memory_order_acquire);
    return hit || atomic_load_explicit(&s->seq, memory_order_relaxed) != seq;
}

void lb_live_table_prefetch(uintptr_t addr)
{
    uint64_t h = mix(addr);
    struct shard *s = shard_of(addr);
    struct slot *slots = atomic_load_explicit(&s->hint_slots, memory_order_relaxed);
    size_t n = atomic_load_explicit(&s->hint_n, memory_order_relaxed);
    if (slots && n)
        __builtin_prefetch(&slots[start_in(n, h)], 1);
    __builtin_prefetch(&lb_live_table_filter[lb_live_table_filter_index(addr)], 1);
}

static bool exact;

void lb_live_table_set_exact(bool on)
{
    exact = on;
}

bool lb_live_table_remove(uintptr_t addr, struct lb_block *removed)
{
    if (!lb_live_table_may_hold(addr))
        return false;
    uint64_t h = mix(addr);
    struct shard *s = shard_of(addr);
    if (!exact && !maybe_recorded(s, addr, h))
        return false;
    bool found = false;
    shard_lock(s);
    free_replaced(s);
    struct table *t = atomic_load_explicit(&s->table, memory_order_relaxed);
    size_t i = t ? probe(t, addr, h, &found) : 0;
    if (found) {
        *removed = block_get(&t->slots[i]);
        t->live--;
        filter_add(addr, -1);
        if (atomic_load_explicit(&t->slots[next_of(t, i)].key, memory_order_relaxed) == KEY_EMPTY) {
            /* The end of a cluster: this slot and the tombstones before it can become empty,
             * which keeps misses short. No present key's probe path crosses them, since such a
             * path would run into the empty slot after them. */
            size_t j = i;
            do {
                atomic_store_explicit(&t->slots[j].key, KEY_EMPTY, memory_order_release);
                t->used--;
                j = prev_of(t, j);
            } while (j != i &&
                     atomic_load_explicit(&t->slots[j].key, memory_order_relaxed) == KEY_TOMBSTONE);
        } else {
            atomic_store_explicit(&t->slots[i].key, KEY_TOMBSTONE, memory_order_release);
        }
    }
    shard_unlock(s);
    return found;
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static _Atomic uint64_t longest_hold_ns;

uint64_t lb_live_table_foreach_longest_hold_ns(void)
{
    return atomic_exchange(&longest_hold_ns, 0);
}

/* Lock-free copies of a shard that a rebuild interrupted, before it is copied under the lock. */
#define COPY_RETRIES 4

/* Copies a shard's live entries into *buf (grown as needed) and returns how many. Without the
 * lock, so that a dump never makes an allocating thread wait, even when the dumping thread is
 * preempted mid-copy: each slot is read key, block, key and kept only if the key did not change
 * (so the block is the key's own); a rebuild moves keys (seq odd, then changed), so the copy
 * restarts then, and after COPY_RETRIES restarts it is done under the lock. Entries added or
 * removed during the copy may or may not be seen; entries present throughout are seen once. */
/* A copied entry: the dump's own memory, read by nobody else. */
struct entry {
    uintptr_t addr;
    struct lb_block block;
};

#ifdef LB_LIVE_TABLE_TEST_HOOKS
/* Unit tests only: runs between a copy's first read of a slot's key and its read of the block,
 * where another thread may reuse the slot; lb_live_table_test_reuse writes such a reuse. */
void (*lb_live_table_test_copy_hook)(uintptr_t key, void *slot);

void lb_live_table_test_reuse(void *slot, uintptr_t key, const struct lb_block *block)
{
    struct slot *sl = slot;
    atomic_store_explicit(&sl->key, KEY_TOMBSTONE, memory_order_release);
    atomic_thread_fence(memory_order_release);
    block_put(sl, block);
    atomic_store_explicit(&sl->key, key, memory_order_release);
}
#define COPY_HOOK(key, slot)                                                                       \
    do {                                                                                           \
        if (lb_live_table_test_copy_hook)                                                          \
            lb_live_table_test_copy_hook(key, slot);                                               \
    } while (0)
#else
#define COPY_HOOK(key, slot) ((void)0)
#endif

static size_t copy_shard(struct shard *s, struct entry **buf, size_t *cap)
{
    for (unsigned attempt = 0;; attempt++) {
        bool locked = attempt >= COPY_RETRIES;
        uint64_t lock_start = 0;
        if (locked) {
            shard_lock(s);
            lock_start = monotonic_ns();
        }
        unsigned seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        const struct table *t = locked ? atomic_load(&s->table) : reader_enter(s);
        size_t n = 0;
        if (t && t->n > *cap) { /* room for every slot */
            size_t want = t->n;
            if (locked)
                shard_unlock(s);
            else
                reader_exit(s);
            struct entry *bigger = realloc(*buf, want * sizeof *bigger);
            if (!bigger)
                return 0;
            *buf = bigger;
            *cap = want;
            attempt--; /* not a restart */
            continue;
        }
        for (size_t i = 0; t && !(seq & 1) && i < t->n; i++) {
            struct slot *sl = &t->slots[i];
            uintptr_t k = atomic_load_explicit(&sl->key, memory_order_acquire);
            if (k <= KEY_TOMBSTONE)
                continue;
            COPY_HOOK(k, sl);
            struct lb_block b = block_get(sl);
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(&sl->key, memory_order_relaxed) != k)
                continue; /* removed or replaced meanwhile */
            (*buf)[n++] = (struct entry){k, b};
        }
        if (locked) {
            uint64_t held = monotonic_ns() - lock_start;
            shard_unlock(s);
            if (held > atomic_load_explicit(&longest_hold_ns, memory_order_relaxed))
                atomic_store_explicit(&longest_hold_ns, held, memory_order_relaxed);
            return n;
        }
        reader_exit(s);
        atomic_thread_fence(memory_order_acquire);
        if (!(seq & 1) && atomic_load_explicit(&s->seq, memory_order_relaxed) == seq)
            return n;
    }
}

void lb_live_table_foreach(void (*fn)(uintptr_t addr, const struct lb_block *block, void *ctx),
                           void *ctx)
{
    struct entry *buf = NULL;
    size_t cap = 0;
    for (unsigned n = 0; n < SHARDS; n++) {
        size_t count = copy_shard(&shards[n], &buf, &cap);
        for (size_t i = 0; i < count; i++)
            fn(buf[i].addr, &buf[i].block, ctx);
    }
    free(buf);
}

static size_t table_bytes(const struct table *t)
{
    return sizeof *t + (t->slots ? t->n * sizeof(struct slot) : 0);
}

size_t lb_live_table_displacement(void)
{
    size_t sum = 0;
    for (unsigned n = 0; n < SHARDS; n++) {
        struct shard *s = &shards[n];
        shard_lock(s);
        const struct table *t = atomic_load_explicit(&s->table, memory_order_relaxed);
        for (size_t i = 0; t && i < t->n; i++) {
            uintptr_t k = atomic_load_explicit(&t->slots[i].key, memory_order_relaxed);
            size_t start = k > KEY_TOMBSTONE ? start_of(t, mix(k)) : i;
            sum += i >= start ? i - start : t->n - start + i;
        }
        shard_unlock(s);
    }
    return sum;
}

void lb_live_table_stats(struct lb_live_table_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    for (unsigned n = 0; n < SHARDS; n++) {
        struct shard *s = &shards[n];
        shard_lock(s);
        struct table *t = atomic_load_explicit(&s->table, memory_order_relaxed);
        if (t) {
            stats->live += t->live;
            stats->slots += t->n;
            stats->bytes += table_bytes(t);
            for (struct table *p = t->prev; p; p = p->prev)
                stats->retired_bytes += table_bytes(p);
        }
        shard_unlock(s);
    }
}

void lb_live_table_reset(void)
{
    for (size_t i = 0; i < (1u << LB_TABLE_FILTER_BITS); i++)
        atomic_store(&lb_live_table_filter[i], 0);
    for (unsigned n = 0; n < SHARDS; n++) {
        atomic_store(&shards[n].hint_slots, NULL);
        atomic_store(&shards[n].hint_n, 0);
        struct table *t = atomic_exchange(&shards[n].table, NULL);
        while (t) {
            struct table *prev = t->prev;
            table_free(t);
            t = prev;
        }
    }
}
