#include "stacks.h"

#include <dlfcn.h>
#include <math.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "got.h"
#include "leakbridge/options.h"
#include "modules.h"

static uintptr_t agent_start, agent_end; /* the agent's own code: hook frames */

/* The agent is linked with -z now, but the libraries it calls on the hooks' path are bound
 * lazily by Debian (libunwind's calls into libc and into itself, libm's): bind them now, so
 * that the dynamic linker's resolver never runs on a hook's stack. */
static void bind_now(uintptr_t in)
{
    const struct lb_module *m = lb_modules_find(in);
    if (m && (m->start > (uintptr_t)&lb_stacks_init || m->end <= (uintptr_t)&lb_stacks_init))
        lb_got_bind_now(m->base, m->phdr, m->phnum);
}

void lb_stacks_init(void)
{
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    const struct lb_module *self = lb_modules_find((uintptr_t)&lb_stacks_init);
    if (self) {
        agent_start = self->start;
        agent_end = self->end;
    }
    bind_now((uintptr_t)&unw_backtrace);
    bind_now((uintptr_t)&expm1);
}

/* HotSpot's AsyncGetCallTrace, exported by libjvm on JDK 17 and 25 (not in jvmti.h). */
typedef struct {
    jint lineno; /* bytecode index; negative for native methods */
    jmethodID method_id;
} asgct_frame;
typedef struct {
    JNIEnv *env_id;
    jint num_frames; /* negative: an error (no ClassLoad event, unknown thread state, ...) */
    asgct_frame *frames;
} asgct_trace;
static void (*async_get_call_trace)(asgct_trace *trace, jint depth, void *ucontext);

void lb_stacks_java_init(jvmtiEnv *jvmti, JNIEnv *jni)
{
    /* The ids of classes loaded so far; later ones come through ClassPrepare. Each class is a
     * local reference: in a frame of their own, so that hundreds of them neither stay in the
     * caller's frame nor make -Xcheck:jni warn on the JVM's stdout. */
    jint n = 0;
    jclass *classes = NULL;
    bool framed = (*jni)->PushLocalFrame(jni, 16) == 0;
    if ((*jvmti)->GetLoadedClasses(jvmti, &n, &classes) == JVMTI_ERROR_NONE) {
        for (jint i = 0; i < n; i++)
            lb_stacks_prepare_class(jvmti, classes[i]);
        (*jvmti)->Deallocate(jvmti, (unsigned char *)classes);
    }
    if (framed)
        (*jni)->PopLocalFrame(jni, NULL);
    else
        (*jni)->ExceptionClear(jni);
    async_get_call_trace =
        (void (*)(asgct_trace *, jint, void *))dlsym(RTLD_DEFAULT, "AsyncGetCallTrace");
}

void lb_stacks_prepare_class(jvmtiEnv *jvmti, jclass klass)
{
    jint n = 0;
    jmethodID *methods = NULL;
    if ((*jvmti)->GetClassMethods(jvmti, klass, &n, &methods) == JVMTI_ERROR_NONE)
        (*jvmti)->Deallocate(jvmti, (unsigned char *)methods);
}

static int java_frames_async(JNIEnv *env, struct lb_frame *out, int max)
{
    asgct_frame frames[max]; /* 1 <= max <= LB_DEPTH_MAX: the hook's stack may be small */
    asgct_trace trace = {env, 0, frames};
    /* In native state it walks from the thread's last Java frame and ignores the context. */
    async_get_call_trace(&trace, max, NULL);
    if (trace.num_frames <= 0)
        return -1;
    for (jint i = 0; i < trace.num_frames; i++) {
        if (!frames[i].method_id)
            return -1; /* a method whose id was not made yet: ask JVMTI instead */
        out[i] = (struct lb_frame){.id = (uintptr_t)frames[i].method_id,
                                   .bci = frames[i].lineno >= 0 ? frames[i].lineno : -1,
                                   .type = LB_FRAME_JAVA};
    }
    return trace.num_frames;
}

int lb_stacks_java(jvmtiEnv *jvmti, JNIEnv *env, struct lb_frame *out, int max)
{
    if (max > LB_DEPTH_MAX)
        max = LB_DEPTH_MAX;
    if (max <= 0)
        return 0;
    if (async_get_call_trace && env) {
        int n = java_frames_async(env, out, max);
        if (n > 0)
            return n;
    }
    jvmtiFrameInfo info[max];
    jint count = 0;
    if ((*jvmti)->GetStackTrace(jvmti, NULL, 0, max, info, &count) != JVMTI_ERROR_NONE)
        return 0;
    for (jint i = 0; i < count; i++) {
        out[i].id = (uintptr_t)info[i].method;
        out[i].bci =
            info[i].location >= 0 && info[i].location <= INT32_MAX ? (int32_t)info[i].location : -1;
        out[i].type = LB_FRAME_JAVA;
    }
    return count;
}

/* unw_backtrace stops by itself after the first JIT frame (which has no unwind tables); the
 * frames from there on are cut off here: the first PC outside every loaded ELF object ends the
 * native part. The agent's own frames are left out, and so are the C++ runtime's at the top
 * (operator new calling malloc, basic_string growing): the leaf is the code that asked.
 * *java_s tells whose the allocation is (see lb_stacks_native_pcs). */
static int native_frames(void *const *pcs, int got, struct lb_frame *out, int max, bool *java_s)
{
    int n = 0;
    bool foreign = false, jvm = false, reached_java = false;
    for (int i = 0; i < got; i++) {
        uintptr_t pc = (uintptr_t)pcs[i];
        if (pc >= agent_start && pc < agent_end)
            continue;
        const struct lb_module *m = pc ? lb_modules_find(pc - 1) : NULL;
        if (!m) {
            reached_java = pc != 0;
            break;
        }
        int role = atomic_load_explicit(&m->role, memory_order_relaxed);
        foreign |= role == LB_ROLE_JNI || role == LB_ROLE_DEPENDENCY;
        jvm |= m->jvm_itself;
        if (n == max || (n == 0 && m->cxx_runtime))
            continue;
        out[n++] = (struct lb_frame){.id = pc, .bci = -1, .type = LB_FRAME_NATIVE};
    }
    *java_s = foreign || (reached_java && !jvm);
    return n;
}

int lb_stacks_native_pcs(void *const *pcs, int npcs, struct lb_frame *out, int max)
{
    if (max > LB_DEPTH_MAX)
        max = LB_DEPTH_MAX;
    bool java_s;
    int n = native_frames(pcs, npcs, out, max, &java_s);
    return java_s ? n : -1; /* the JVM's own: no JVMTI call may be made, nothing is recorded */
}

JNIEnv *lb_stacks_env(JavaVM *vm)
{
    JNIEnv *env;
    return (*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_6) == JNI_OK ? env : NULL;
}

int lb_stacks_java_async(JNIEnv *env, struct lb_frame *out, int max)
{
    if (max > LB_DEPTH_MAX)
        max = LB_DEPTH_MAX;
    return async_get_call_trace && env && max > 0 ? java_frames_async(env, out, max) : -1;
}
