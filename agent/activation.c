#include "activation.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "arena.h"
#include "hotspot.h"
#include "leakbridge/options.h"
#include "modules.h"
#include "native_entry.h"
#include "peek.h"
#include "stacks.h"

#define THREAD_IN_NATIVE 4 /* JavaThreadState's _thread_in_native, the same since JDK 1.2 */
#define RETURN_SLOT 8      /* the call from the wrapper at sp pushes the return address at sp - 8 */

enum { UNKNOWN, CALIBRATING, READY, OFF };
static _Atomic int readiness = UNKNOWN;
static struct lb_hotspot_thread layout;
static uintptr_t env_offset; /* JNIEnv * minus this is the JavaThread * */
static pthread_key_t cache_key;

/* A proven call: what current_call found. */
struct call {
    uint64_t count, binds; /* lb_native_entry.count and lb_native_entry_binds */
    uintptr_t slot, ret, pc;
};

/* A thread's last Java walk, with the call it was taken in, and its last native walk, with
 * what it read; and the site last recorded with both. */
struct cache {
    struct call java_call;
    int asked, n; /* the Java walk's max and its frames (the first array) */
    bool native_valid;
    struct lb_hook_caller caller; /* rbp as walked_rbp gives it */
    uintptr_t end;                /* the call's return slot when the walk was taken */
    int walk, native_n;           /* the walk's max and its frames (the second array) */
    unsigned module_gen;
    size_t region_len;
    /* What the thread's current sample uses: set by each step, cleared when a sample starts. */
    bool native_current, java_current;
    struct lb_site *site; /* recorded with the current pair, NULL: none yet */
    enum lb_origin origin;
    const char *file;
    uint64_t reused, native_reused; /* not yet added to the totals */
    int room;                       /* frames in each of the two arrays */
    unsigned char region[LB_ACTIVATION_REGION];
    struct lb_frame frames[]; /* the Java walk's: room, then the native walk's: room */
};
static __thread struct cache *cache __attribute__((tls_model("initial-exec")));

static _Atomic uint64_t reused_total, kept_total, native_reused_total;

static size_t cache_bytes(int room)
{
    return sizeof(struct cache) + 2 * (size_t)room * sizeof(struct lb_frame);
}

static void drop_cache(void *p)
{
    struct cache *c = p;
    atomic_fetch_add_explicit(&reused_total, c->reused, memory_order_relaxed);
    atomic_fetch_add_explicit(&native_reused_total, c->native_reused, memory_order_relaxed);
    lb_arena_free(c, cache_bytes(c->room));
}

/* JNIEnv is a field of HotSpot's JavaThread, at an offset its tables do not give: found once,
 * on a thread in native state, as the only offset below env at which a JavaThread's stack
 * bounds enclose this frame, its state is "in native" and its anchor is inside those bounds.
 * None found (a hook running while its thread was in another state): tried again at a later
 * sample, a few times; two found: never reused. */
#define CALIBRATION_TRIES 8

static void calibrate(JNIEnv *env)
{
    static int tries;
    static bool keyed;
    if (!keyed &&
        (!lb_hotspot_thread_layout(&layout) || pthread_key_create(&cache_key, drop_cache) != 0)) {
        atomic_store(&readiness, OFF);
        return;
    }
    keyed = true;
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    uintptr_t found = 0;
    int matches = 0;
    for (uintptr_t x = 8; x <= 8192; x += 8) {
        uintptr_t t = (uintptr_t)env - x;
        uint64_t base = lb_peek_word(t + layout.stack_base);
        if (base <= here || base - here > ((uint64_t)1 << 32))
            continue;
        uint64_t size = lb_peek_word(t + layout.stack_size);
        int32_t state = 0;
        if (size == 0 || size > base || base - size > here ||
            !lb_peek(t + layout.state, &state, sizeof state) || state != THREAD_IN_NATIVE)
            continue;
        uint64_t sp = lb_peek_word(t + layout.anchor + layout.last_java_sp);
        if (sp <= here || sp >= base)
            continue;
        found = x;
        matches++;
    }
    env_offset = found;
    atomic_store(&readiness, matches == 1                                  ? READY
                             : matches == 0 && ++tries < CALIBRATION_TRIES ? UNKNOWN
                                                                           : OFF);
}

/* The proof (activation.h), for the call the thread is in now; false if it does not hold. */
static bool current_call(JNIEnv *env, struct call *out)
{
    const unsigned char *t = (const unsigned char *)env - env_offset;
    int32_t state;
    uintptr_t sp;
    memcpy(&state, t + layout.state, sizeof state);
    memcpy(&sp, t + layout.anchor + layout.last_java_sp, sizeof sp);
    if (state != THREAD_IN_NATIVE || sp == 0 || lb_native_entry.slot != sp - RETURN_SLOT)
        return false;
    uintptr_t r = lb_native_entry.ret;
    if (r == 0 || *(const uintptr_t *)(sp - RETURN_SLOT) != r ||
        (r >= layout.interpreter_start && r < layout.interpreter_end))
        return false;
    memcpy(&out->pc, t + layout.anchor + layout.last_java_pc, sizeof out->pc);
    out->slot = sp - RETURN_SLOT;
    out->ret = r;
    out->count = lb_native_entry.count;
    out->binds = atomic_load_explicit(&lb_native_entry_binds, memory_order_acquire);
    return true;
}

static bool same_call(const struct call *a, const struct call *b)
{
    return a->count == b->count && a->binds == b->binds && a->slot == b->slot && a->ret == b->ret &&
           a->pc == b->pc;
}

/* The thread's cache with room for max frames in each array, or NULL. From the agent's own
 * mappings, not the allocator: a block of ours among the thread's own in its malloc arena
 * changed how fast glibc served the workload's mallocs (jni-malloc-churn 20% slower). */
static struct cache *cache_for(int max)
{
    if (cache && cache->room >= max)
        return cache;
    struct cache *c = lb_arena_calloc(cache_bytes(max));
    if (!c)
        return NULL;
    if (cache) {
        c->reused = cache->reused;
        c->native_reused = cache->native_reused;
        lb_arena_free(cache, cache_bytes(cache->room));
    }
    pthread_setspecific(cache_key, c);
    c->room = max;
    cache = c;
    return c;
}

static bool ready(JNIEnv *env)
{
    int r = atomic_load_explicit(&readiness, memory_order_acquire);
    if (r == UNKNOWN) {
        int expected = UNKNOWN;
        if (atomic_compare_exchange_strong(&readiness, &expected, CALIBRATING))
            calibrate(env);
        r = atomic_load_explicit(&readiness, memory_order_acquire);
    }
    return r == READY;
}

static void count_reuse(uint64_t *local, _Atomic uint64_t *total)
{
    if (++*local == 256) { /* totals without a shared line written at every sample */
        atomic_fetch_add_explicit(total, *local, memory_order_relaxed);
        *local = 0;
    }
}

int lb_activation_java(jvmtiEnv *jvmti, JNIEnv *env, struct lb_frame *out, int max)
{
    struct call now;
    if (!env || max <= 0 || !ready(env) || !current_call(env, &now))
        return lb_stacks_java(jvmti, env, out, max);
    struct cache *c = cache;
    if (c && c->n > 0 && same_call(&c->java_call, &now) && max <= c->asked) {
        int n = c->n < max ? c->n : max;
        memcpy(out, c->frames, (size_t)n * sizeof out[0]);
        count_reuse(&c->reused, &reused_total);
        c->java_current = true;
        return n;
    }
    int n = lb_stacks_java(jvmti, env, out, max);
    if (n > 0 && (c = cache_for(max)) != NULL) {
        c->java_call = now;
        c->asked = max;
        c->n = n;
        memcpy(c->frames, out, (size_t)n * sizeof out[0]);
        c->java_current = true;
        c->site = NULL;
        atomic_fetch_add_explicit(&kept_total, 1, memory_order_relaxed);
    }
    return n;
}

int lb_activation_add_java(JNIEnv *env, jvmtiEnv *jvmti, struct lb_frame *out, int n, int max,
                           bool java_room)
{
    if (max > LB_DEPTH_MAX)
        max = LB_DEPTH_MAX;
    /* A library's own pthread is unknown to the JVM: native frames only. */
    if (n < max && env)
        n += java_room ? lb_activation_java(jvmti, env, out + n, max - n)
                       : (out[n] = lb_stacks_marker(), 1);
    return n;
}

/* The frame pointer register as the walk can use it. A frame whose return address the walk
 * finds through rbp (a function with a frame pointer, alloca or a realigned stack) has rbp
 * pointing into its own frame, inside the region; an rbp outside it is one the walk never
 * follows (a function using rbp for data, as -O2 code does), whatever its value: one value
 * stands for all of them, so that such a function's changing data does not defeat reuse. */
static uintptr_t walked_rbp(struct lb_hook_caller caller, uintptr_t end)
{
    return caller.rbp >= caller.slot && caller.rbp < end + RETURN_SLOT ? caller.rbp : 1;
}

int lb_activation_native(struct lb_hook_caller caller, int walk, struct lb_frame *out)
{
    struct cache *c = cache;
    if (!c)
        return LB_ACTIVATION_MISS;
    c->native_current = c->java_current = false;
    if (!c->native_valid || caller.slot != c->caller.slot || walk != c->walk ||
        caller.rbp == LB_HOOK_NO_REUSE || walked_rbp(caller, c->end) != c->caller.rbp ||
        c->module_gen != lb_modules_generation() ||
        memcmp((const void *)caller.slot, c->region, c->region_len) != 0)
        return LB_ACTIVATION_MISS;
    memcpy(out, c->frames + c->room, (size_t)c->native_n * sizeof out[0]);
    count_reuse(&c->native_reused, &native_reused_total);
    c->native_current = true;
    return c->native_n;
}

void lb_activation_keep_native(JNIEnv *env, struct lb_hook_caller caller, int walk,
                               const struct lb_frame *frames, int n)
{
    struct call now;
    struct cache *c;
    if (!env || n < 0 || n > walk || caller.rbp == LB_HOOK_NO_REUSE || !ready(env) ||
        !current_call(env, &now) || caller.slot == 0 || caller.slot >= now.slot ||
        now.slot + RETURN_SLOT - caller.slot > LB_ACTIVATION_REGION ||
        (c = cache_for(walk)) == NULL)
        return;
    c->caller = caller;
    c->caller.rbp = walked_rbp(caller, now.slot);
    c->end = now.slot;
    c->walk = walk;
    c->module_gen = lb_modules_generation();
    c->region_len = now.slot + RETURN_SLOT - caller.slot;
    memcpy(c->region, (const void *)caller.slot, c->region_len);
    c->native_n = n;
    memcpy(c->frames + c->room, frames, (size_t)n * sizeof frames[0]);
    c->native_valid = c->native_current = true;
    c->site = NULL;
}

struct lb_site *lb_activation_site(enum lb_origin origin, const char *file)
{
    const struct cache *c = cache;
    return c && c->native_current && c->java_current && c->site && c->origin == origin &&
                   c->file == file
               ? c->site
               : NULL;
}

void lb_activation_keep_site(enum lb_origin origin, const char *file, struct lb_site *site)
{
    struct cache *c = cache;
    if (c && c->native_current && c->java_current) {
        c->site = site;
        c->origin = origin;
        c->file = file;
    }
}

void lb_activation_stats(struct lb_activation_stats *out)
{
    out->reused = atomic_load(&reused_total) + (cache ? cache->reused : 0);
    out->native_reused = atomic_load(&native_reused_total) + (cache ? cache->native_reused : 0);
    out->kept = atomic_load(&kept_total);
}
