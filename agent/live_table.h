/* The live table: address -> block, for every recorded allocation not yet freed.
 *
 * Sharded open-addressing hash tables. Inserts and removals take the shard's lock; the question
 * "is this address recorded at all?", which every free of an unsampled block asks, takes no lock
 * and reads one or two slots. A table that grows is replaced, never changed in place, and the old
 * one is freed only once no lock-free reader can hold it (live_table.c: reader_enter). */
#ifndef LB_LIVE_TABLE_H
#define LB_LIVE_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lb_site;

/* Two words, so that a slot is three (24 bytes a tracked block, with the table's load): each
 * field is as wide as it needs to be, and the one writing a block clamps to the widths. */
struct lb_block {
    uint64_t size : 44;     /* bytes the allocator was asked for (16 TiB at most) */
    uint64_t gc_epoch : 20; /* full GCs finished before the allocation (clamped) */
    uint64_t time_ms : 36;  /* lb_clock_ms() at allocation (795 days; clamped) */
    uint64_t site_id : 28;  /* the site's id (sites.h: lb_sites_by_id) */
};
#define LB_BLOCK_SIZE_MAX ((UINT64_C(1) << 44) - 1)
#define LB_BLOCK_EPOCH_MAX ((UINT64_C(1) << 20) - 1)
#define LB_BLOCK_TIME_MAX ((UINT64_C(1) << 36) - 1)
#define LB_BLOCK_SITE_ID_MAX ((UINT64_C(1) << 28) - 1)

enum lb_insert_result {
    LB_INSERT_ADDED,
    LB_INSERT_REPLACED, /* addr was recorded already: its free went by where no hook saw it; the
                           stale block is in *replaced, for the caller to count as freed */
    LB_INSERT_NO_MEMORY,
};

enum lb_insert_result lb_live_table_insert(uintptr_t addr, const struct lb_block *block,
                                           struct lb_block *replaced);

/* How many recorded addresses fall in each filter bucket: a free whose bucket is empty (nearly
 * every free, with sampling) is answered with one load from this small array, inlined into the
 * hook, instead of a chain of hash, shard, table and slot loads. */
#define LB_TABLE_FILTER_BITS 16
extern _Atomic uint16_t lb_live_table_filter[1u << LB_TABLE_FILTER_BITS];

static inline size_t lb_live_table_filter_index(uintptr_t addr)
{
    /* Allocator addresses are 16-byte aligned; the top bits of a multiplicative hash depend on
     * every address bit, so that blocks at one offset in two threads' arenas differ (the top bits
     * also choose the live table's shard). */
    return (size_t)(((uint64_t)(addr >> 4) * 0x9e3779b97f4a7c15ULL) >> (64 - LB_TABLE_FILTER_BITS));
}

/* False only if addr is certainly not recorded (exact for addresses whose insert happened
 * before: the caller got addr from an allocation that returned after it). */
static inline bool lb_live_table_may_hold(uintptr_t addr)
{
    return atomic_load_explicit(&lb_live_table_filter[lb_live_table_filter_index(addr)],
                                memory_order_acquire) != 0;
}

/* Starts bringing into the cache the slot where addr's insert will probe first and its filter
 * counter: a sample calls it before its stack walk, so that in a table larger than the caches
 * (every live direct buffer, at sample=0) the insert after the walk does not wait on memory. */
void lb_live_table_prefetch(uintptr_t addr);

/* Forgets addr. Returns false, after one lock-free lookup, when it was not recorded. */
bool lb_live_table_remove(uintptr_t addr, struct lb_block *removed);

/* Exact mode (sample=0): nearly every free the filter lets through is of a recorded block, so
 * remove goes straight to the shard's lock; the lock-free look first (two atomic operations to
 * count itself in and out as a reader, and a probe) would only add to it. Set before hooks run. */
void lb_live_table_set_exact(bool on);

/* Calls fn for each live block. Each shard is copied without its lock (key, block, key again per
 * slot; a rebuild during the copy restarts the shard, and after 4 restarts it is copied under
 * the lock), and fn runs on the copy with no lock held, so allocating threads never wait on a
 * dump but in that last case, and then for one shard's copy. Every block live throughout is
 * seen once; blocks allocated or freed meanwhile may or may not be. */
void lb_live_table_foreach(void (*fn)(uintptr_t addr, const struct lb_block *block, void *ctx),
                           void *ctx);

/* The longest time one lb_live_table_foreach call held a shard's lock (during which allocations
 * and frees of recorded blocks in that shard wait), since the last call; resets it. */
uint64_t lb_live_table_foreach_longest_hold_ns(void);

struct lb_live_table_stats {
    size_t live;          /* blocks recorded now */
    size_t slots;         /* slots in the current tables */
    size_t bytes;         /* memory held by current tables */
    size_t retired_bytes; /* memory held by replaced tables kept for lock-free readers */
};
void lb_live_table_stats(struct lb_live_table_stats *stats);

/* Slots between each live block's first probe and its slot, summed: how long probes are (for
 * tests; it reads every slot under each shard's lock). */
size_t lb_live_table_displacement(void);

/* Frees everything. Only for tests and only when no other thread uses the table. */
void lb_live_table_reset(void);

#ifdef LB_LIVE_TABLE_TEST_HOOKS
/* Unit tests only (live_table.c): a hook run inside a dump's copy of each slot, and a way for
 * it to reuse that slot for another address as a concurrent free and insert would. */
extern void (*lb_live_table_test_copy_hook)(uintptr_t key, void *slot);
void lb_live_table_test_reuse(void *slot, uintptr_t key, const struct lb_block *block);
#endif

#endif
