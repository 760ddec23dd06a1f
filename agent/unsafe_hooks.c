#include "unsafe_hooks.h"

#include <jni.h>
#include <string.h>

#include "runtime.h"
#include "sampler.h"
#include "site_kind.h"
#include "stack_left.h"
#include "stacks.h"
#include "tracker.h"

typedef jlong(JNICALL *allocate_fn)(JNIEnv *, jobject, jlong);
typedef jlong(JNICALL *reallocate_fn)(JNIEnv *, jobject, jlong, jlong);
typedef void(JNICALL *free_fn)(JNIEnv *, jobject, jlong);

static allocate_fn real_allocate;
static reallocate_fn real_reallocate;
static free_fn real_free;

/* A sample. Inside these wrappers the thread is in native state, where GetStackTrace is
 * allowed. Out of line, so that an allocation that is not sampled takes no frame for the
 * stack (depth frames) that a sample needs. */
__attribute__((noinline, cold)) static void record_sampled(JNIEnv *env, jlong addr, jlong size)
{
    if (atomic_load_explicit(&lb_runtime.phase, memory_order_relaxed) == LB_PHASE_DEAD)
        return; /* the last report is written; JVMTI no longer answers */
    lb_live_table_prefetch((uintptr_t)addr); /* its slot, fetched while the stack is walked */
    int depth = lb_runtime_depth();
    /* A safeguard: a thread running Java code calls native code with the JVM's shadow zone
     * (80 KiB on x86_64) below it, more than a Java walk takes (stacks.h). */
    if (lb_stack_left_bytes() < LB_STACKS_JAVA_BYTES + (size_t)depth * LB_STACKS_FRAME_BYTES) {
        struct lb_frame marker = lb_stacks_marker(); /* counted, not walked (stacks.h) */
        lb_tracker_alloc((uintptr_t)addr, (size_t)size, LB_ORIGIN_UNSAFE, &marker, 1,
                         lb_site_kind_of);
        return;
    }
    struct lb_frame frames[depth];
    int n = lb_stacks_java(lb_runtime.jvmti, env, frames, depth);
    lb_tracker_alloc((uintptr_t)addr, (size_t)size, LB_ORIGIN_UNSAFE, frames, n, lb_site_kind_of);
}

static inline void record(JNIEnv *env, jlong addr, jlong size)
{
    if (addr != 0 && lb_sampler_take((size_t)size))
        record_sampled(env, addr, size);
}

static jlong JNICALL allocate_hook(JNIEnv *env, jobject unsafe, jlong size)
{
    jlong addr = real_allocate(env, unsafe, size);
    record(env, addr, size);
    return addr;
}

static jlong JNICALL reallocate_hook(JNIEnv *env, jobject unsafe, jlong addr, jlong size)
{
    struct lb_block old;
    bool had = addr != 0 && lb_tracker_take((uintptr_t)addr, &old);
    jlong fresh = real_reallocate(env, unsafe, addr, size);
    if (fresh == 0 && size != 0) {
        if (had) /* failed: the old block is still the caller's */
            lb_tracker_put_back((uintptr_t)addr, &old);
        return fresh;
    }
    if (had)
        lb_tracker_release(&old);
    record(env, fresh, size);
    return fresh;
}

static void JNICALL free_hook(JNIEnv *env, jobject unsafe, jlong addr)
{
    if (addr != 0)
        lb_tracker_free((uintptr_t)addr); /* before the allocator can hand addr out again */
    real_free(env, unsafe, addr);
}

bool lb_unsafe_hooks_bind(const char *name, void *address, void **new_address)
{
    struct {
        const char *name;
        void **real;
        void *hook;
    } const natives[] = {
        {"allocateMemory0", (void **)&real_allocate, (void *)allocate_hook},
        {"reallocateMemory0", (void **)&real_reallocate, (void *)reallocate_hook},
        {"freeMemory0", (void **)&real_free, (void *)free_hook},
    };
    for (size_t i = 0; i < sizeof natives / sizeof natives[0]; i++) {
        if (strcmp(name, natives[i].name) != 0)
            continue;
        if (address != natives[i].hook) /* never wrap our own wrapper */
            *natives[i].real = address;
        *new_address = natives[i].hook;
        return true;
    }
    return false;
}
