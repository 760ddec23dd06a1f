#include "unsafe_attach.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "got.h"
#include "runtime.h"
#include "sampler.h"
#include "stack_left.h"
#include "stacks.h"
#include "tracker.h"

static void *(*real_malloc)(size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);

/* Method ids, compared without asking the JVM anything. */
static jmethodID allocate_id, reallocate_id;
#define CONSTRUCTORS_MAX 16
static jmethodID buffer_constructors[CONSTRUCTORS_MAX];
static int nconstructors;

static enum lb_kind kind_of(enum lb_origin origin, const struct lb_frame *frames, int nframes)
{
    (void)origin;
    for (int i = 0; i < nframes; i++)
        for (int c = 0; c < nconstructors; c++)
            if (frames[i].type == LB_FRAME_JAVA &&
                (jmethodID)frames[i].id == buffer_constructors[c])
                return LB_KIND_DIRECT_BUFFER;
    return LB_KIND_UNSAFE;
}

static void record_if_unsafe(void *p, size_t size)
{
    if (!p || !lb_sampler_take(size))
        return;
    if (atomic_load_explicit(&lb_runtime.phase, memory_order_relaxed) != LB_PHASE_LIVE)
        return;
    JNIEnv *env = NULL;
    if ((*lb_runtime.vm)->GetEnv(lb_runtime.vm, (void **)&env, JNI_VERSION_1_6) != JNI_OK)
        return; /* a GC or compiler thread, not Unsafe */
    int depth = lb_runtime_depth();
    /* Unsafe is called from Java code, with the JVM's shadow zone below: a thread with less
     * left than a Java walk takes (a small native thread attached to the JVM, in a JNI call
     * that allocates) is not allocating for Unsafe. */
    if (lb_stack_left_bytes() < LB_STACKS_JAVA_BYTES + (size_t)depth * LB_STACKS_FRAME_BYTES)
        return;
    struct lb_frame frames[depth];
    int n = lb_stacks_java_async(env, frames, depth);
    if (n < 1 ||
        ((jmethodID)frames[0].id != allocate_id && (jmethodID)frames[0].id != reallocate_id))
        return;
    lb_tracker_alloc((uintptr_t)p, size, LB_ORIGIN_UNSAFE, frames, n, kind_of);
}

static void *malloc_hook(size_t size)
{
    void *p = real_malloc(size);
    record_if_unsafe(p, size);
    return p;
}

static void *realloc_hook(void *old, size_t size)
{
    struct lb_block block;
    bool had =
        old && lb_live_table_may_hold((uintptr_t)old) && lb_tracker_take((uintptr_t)old, &block);
    void *p = real_realloc(old, size);
    if (!p && size) {
        if (had) /* failed: the old block is still the caller's */
            lb_tracker_put_back((uintptr_t)old, &block);
        return p;
    }
    if (had)
        lb_tracker_release(&block);
    record_if_unsafe(p, size);
    return p;
}

static void free_hook(void *p)
{
    if (p)
        lb_tracker_free((uintptr_t)p); /* before the allocator can hand p out again */
    real_free(p);
}

struct found_object {
    uintptr_t base;
    const ElfW(Phdr) * phdr;
    int phnum;
};

static int find_by_base(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    struct found_object *o = ctx;
    if (info->dlpi_addr != o->base)
        return 0;
    o->phdr = info->dlpi_phdr;
    o->phnum = info->dlpi_phnum;
    return 1;
}

static bool method_ids(jvmtiEnv *jvmti, JNIEnv *jni)
{
    jclass unsafe = (*jni)->FindClass(jni, "jdk/internal/misc/Unsafe");
    if (unsafe) {
        allocate_id = (*jni)->GetMethodID(jni, unsafe, "allocateMemory0", "(J)J");
        reallocate_id = (*jni)->GetMethodID(jni, unsafe, "reallocateMemory0", "(JJ)J");
    }
    jclass buffer = (*jni)->FindClass(jni, "java/nio/DirectByteBuffer");
    jint n = 0;
    jmethodID *methods = NULL;
    if (buffer && (*jvmti)->GetClassMethods(jvmti, buffer, &n, &methods) == JVMTI_ERROR_NONE) {
        for (jint i = 0; i < n && nconstructors < CONSTRUCTORS_MAX; i++) {
            char *name = NULL;
            if ((*jvmti)->GetMethodName(jvmti, methods[i], &name, NULL, NULL) == JVMTI_ERROR_NONE) {
                if (strcmp(name, "<init>") == 0)
                    buffer_constructors[nconstructors++] = methods[i];
                (*jvmti)->Deallocate(jvmti, (unsigned char *)name);
            }
        }
        (*jvmti)->Deallocate(jvmti, (unsigned char *)methods);
    }
    (*jni)->ExceptionClear(jni);
    return allocate_id && reallocate_id;
}

bool lb_unsafe_attach(jvmtiEnv *jvmti, JNIEnv *jni, char *why, size_t why_len)
{
    if (!method_ids(jvmti, jni)) {
        snprintf(why, why_len, "jdk.internal.misc.Unsafe.allocateMemory0 not found");
        return false;
    }
    real_malloc = (void *(*)(size_t))dlsym(RTLD_DEFAULT, "malloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_DEFAULT, "realloc");
    real_free = (void (*)(void *))dlsym(RTLD_DEFAULT, "free");
    void *in_jvm = dlsym(RTLD_DEFAULT, "JNI_CreateJavaVM");
    Dl_info info;
    struct link_map *map = NULL;
    if (!real_malloc || !real_realloc || !real_free || !in_jvm ||
        !dladdr1(in_jvm, &info, (void **)&map, RTLD_DL_LINKMAP) || !map) {
        snprintf(why, why_len, "libjvm.so or the process's malloc not found");
        return false;
    }
    struct found_object jvm = {.base = map->l_addr};
    dl_iterate_phdr(find_by_base, &jvm);
    const struct lb_got_hook hooks[] = {
        {"malloc", (void *)malloc_hook},
        {"realloc", (void *)realloc_hook},
        {"free", (void *)free_hook},
    };
    uint64_t found = 0;
    if (!jvm.phdr || lb_got_patch(jvm.base, jvm.phdr, jvm.phnum, hooks, 3, &found) < 0 ||
        found != 7) {
        snprintf(why, why_len, "cannot redirect malloc, realloc and free in %s", info.dli_fname);
        return false;
    }
    return true;
}
