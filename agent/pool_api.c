#include "pool_api.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>

#include "leakbridge/leakbridge.h"
#include "live_table.h"
#include "log.h"
#include "malloc_hooks.h"
#include "pools.h"
#include "runtime.h"
#include "sampler.h"
#include "tracker.h"

static bool good_tag(const char *pool, const void *ptr)
{
    if (pool && pool[0])
        return true;
    lb_pools_misuse(LB_POOLS_BAD_TAG, pool, ptr);
    return false;
}

/* A thread the JVM does not know: GetEnv answers so on any thread, attached or not. */
static bool unknown_thread(void)
{
    JavaVM *vm = lb_runtime.vm;
    JNIEnv *env;
    return vm && (*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_6) == JNI_EDETACHED;
}

static void pool_alloc(const char *pool, const void *ptr, size_t size)
{
    if (!good_tag(pool, ptr) || !ptr || !lb_sampler_take(size))
        return;
    if (atomic_load_explicit(&lb_runtime.phase, memory_order_relaxed) != LB_PHASE_LIVE)
        return;
    const char *tag = lb_pools_tag(pool);
    uintptr_t key = lb_pools_key(ptr);
    if (!tag ||
        !lb_malloc_hooks_record_block(key, size, LB_ORIGIN_POOL, tag, __builtin_return_address(0)))
        return;
    lb_pools_note_live(key);
    if (unknown_thread())
        lb_pools_misuse(LB_POOLS_UNKNOWN_THREAD, pool, ptr);
}

static void pool_free(const char *pool, const void *ptr)
{
    if (!good_tag(pool, ptr) || !ptr)
        return;
    uintptr_t key = lb_pools_key(ptr);
    struct lb_block block;
    /* An unrecorded block (with sampling, nearly every one) is answered by the filter. */
    if (lb_live_table_may_hold(key) && lb_tracker_take(key, &block)) {
        lb_tracker_release(&block);
        lb_pools_note_freed(key);
        return;
    }
    /* Unsampled blocks are not in the table: only with every block recorded is a miss wrong. */
    if (lb_sampler_mean != 0 ||
        atomic_load_explicit(&lb_runtime.phase, memory_order_relaxed) != LB_PHASE_LIVE)
        return;
    lb_pools_misuse(lb_pools_freed_before(key) ? LB_POOLS_DOUBLE_FREE : LB_POOLS_UNKNOWN_FREE, pool,
                    ptr);
}

static void pool_realloc(const char *pool, const void *old_ptr, const void *new_ptr, size_t size)
{
    if (!good_tag(pool, new_ptr))
        return;
    if (old_ptr)
        pool_free(pool, old_ptr);
    pool_alloc(pool, new_ptr, size);
}

__attribute__((visibility("default")))
const struct leakbridge_pool_api_v1 leakbridge_pool_api_v1 = {sizeof(struct leakbridge_pool_api_v1),
                                                              pool_alloc, pool_free, pool_realloc};

void lb_pool_api_publish(void)
{
    Dl_info info;
    if (dladdr(&leakbridge_pool_api_v1, &info) && info.dli_fname &&
        dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_GLOBAL))
        return;
    const char *why = dlerror();
    lb_log("the pool API (leakbridge.h) is off: cannot make the agent's symbols global (%s)",
           why ? why : "the agent's own file is not known");
}
