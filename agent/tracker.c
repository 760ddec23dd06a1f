#include "tracker.h"

#include "arena.h"
#include "clock.h"
#include "modules.h"
#include "sampler.h"

static _Atomic bool stopped;

void lb_tracker_stop(void)
{
    atomic_store(&stopped, true);
}

static void (*_Atomic on_new_site)(void);
static _Atomic uint32_t newest_site_seen;

void lb_tracker_on_new_site(void (*fn)(void))
{
    atomic_store(&on_new_site, fn);
}

_Atomic uint64_t lb_tracker_untracked_bytes;
_Atomic uint64_t lb_tracker_untracked_count_fp;

/* An overflow site's module: the first JNI library or dependency among the native frames,
 * leaf first (the code that asked for the memory), or NULL. */
static const char *fold_module(const struct lb_frame *frames, int nframes, uint32_t module_gen)
{
    for (int i = 0; i < nframes; i++) {
        if (frames[i].type != LB_FRAME_NATIVE)
            continue;
        const struct lb_module *m = lb_modules_find_at(frames[i].id - 1, module_gen);
        int role = m ? atomic_load_explicit(&m->role, memory_order_relaxed) : LB_ROLE_RUNTIME;
        if (role == LB_ROLE_JNI || role == LB_ROLE_DEPENDENCY)
            return m->path;
    }
    return NULL;
}

void lb_tracker_set_limits(size_t max_sites, size_t max_memory)
{
    lb_sites_set_limit(max_sites, fold_module);
    lb_arena_set_limit(max_memory);
}

static void count_untracked(size_t size)
{
    struct lb_weight w;
    lb_sampler_weight(size, &w);
    atomic_fetch_add_explicit(&lb_tracker_untracked_bytes, w.bytes, memory_order_relaxed);
    atomic_fetch_add_explicit(&lb_tracker_untracked_count_fp, w.count_fp, memory_order_relaxed);
}

_Atomic uint64_t lb_tracker_old_before_ms;
_Atomic uint64_t lb_tracker_old_frees;

void lb_tracker_release(const struct lb_block *block)
{
    if (block->time_ms < atomic_load_explicit(&lb_tracker_old_before_ms, memory_order_relaxed))
        atomic_fetch_add_explicit(&lb_tracker_old_frees, 1, memory_order_relaxed);
    struct lb_site *site = lb_sites_by_id(block->site_id);
    if (!site)
        return;
    struct lb_weight w;
    lb_sampler_weight(block->size, &w);
    lb_sites_sub(site, &w);
}

struct lb_site *lb_tracker_alloc_file(uintptr_t addr, size_t size, enum lb_origin origin,
                                      const struct lb_frame *frames, int nframes,
                                      lb_sites_kind_fn kind_of, const char *file)
{
    if (atomic_load_explicit(&stopped, memory_order_relaxed))
        return NULL;
    struct lb_site *site =
        lb_sites_intern_at(origin, frames, nframes, kind_of, lb_modules_generation(), file);
    if (!site || site->kind == LB_KIND_JDK_INTERNAL)
        return site;
    uint32_t seen = atomic_load_explicit(&newest_site_seen, memory_order_relaxed);
    if (site->id > seen && atomic_compare_exchange_strong(&newest_site_seen, &seen, site->id)) {
        void (*fn)(void) = atomic_load(&on_new_site);
        if (fn)
            fn();
    }
    lb_tracker_alloc_site(addr, size, site);
    return site;
}

void lb_tracker_alloc_site(uintptr_t addr, size_t size, struct lb_site *site)
{
    if (site->kind == LB_KIND_JDK_INTERNAL || atomic_load_explicit(&stopped, memory_order_relaxed))
        return;
    if (!site->by_id || size > LB_BLOCK_SIZE_MAX) {
        count_untracked(size); /* no id for its block (past 2^28 sites), or past 16 TiB */
        return;
    }
    uint32_t epoch = atomic_load_explicit(&lb_clock_gc_epoch, memory_order_relaxed);
    uint64_t now = lb_clock_ms();
    struct lb_block block = {
        .size = size,
        .site_id = site->id,
        .time_ms = now > LB_BLOCK_TIME_MAX ? LB_BLOCK_TIME_MAX : now,
        .gc_epoch = epoch > LB_BLOCK_EPOCH_MAX ? LB_BLOCK_EPOCH_MAX : epoch,
    };
    struct lb_block stale;
    enum lb_insert_result r = lb_live_table_insert(addr, &block, &stale);
    if (r == LB_INSERT_NO_MEMORY) {
        count_untracked(size); /* rather than counted live forever */
        return;
    }
    if (r == LB_INSERT_REPLACED)
        lb_tracker_release(&stale);
    struct lb_weight w;
    lb_sampler_weight(size, &w);
    lb_sites_add(site, &w);
}

void lb_tracker_forget(uintptr_t addr)
{
    struct lb_block block;
    if (!atomic_load_explicit(&stopped, memory_order_relaxed) && lb_live_table_remove(addr, &block))
        lb_tracker_release(&block);
}

bool lb_tracker_take(uintptr_t addr, struct lb_block *block)
{
    return !atomic_load_explicit(&stopped, memory_order_relaxed) &&
           lb_live_table_remove(addr, block);
}

void lb_tracker_put_back(uintptr_t addr, const struct lb_block *block)
{
    struct lb_block stale;
    enum lb_insert_result r = lb_live_table_insert(addr, block, &stale);
    if (r == LB_INSERT_REPLACED)
        lb_tracker_release(&stale);
    else if (r == LB_INSERT_NO_MEMORY) {
        lb_tracker_release(block);
        count_untracked(block->size);
    }
}
