#include "stacks.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "modules.h"
#include "options.h"

static uintptr_t agent_start, agent_end; /* the agent's own code: hook frames */

void lb_stacks_init(void)
{
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    const struct lb_module *self = lb_modules_find((uintptr_t)&lb_stacks_init);
    if (self) {
        agent_start = self->start;
        agent_end = self->end;
    }
}

int lb_stack_java(jvmtiEnv *jvmti, struct lb_frame *out, int max)
{
    jvmtiFrameInfo info[LB_DEPTH_MAX];
    jint count = 0;
    if (max > LB_DEPTH_MAX)
        max = LB_DEPTH_MAX;
    if (max <= 0 || (*jvmti)->GetStackTrace(jvmti, NULL, 0, max, info, &count) != JVMTI_ERROR_NONE)
        return 0;
    for (jint i = 0; i < count; i++) {
        out[i].id = (uintptr_t)info[i].method;
        out[i].bci =
            info[i].location >= 0 && info[i].location <= INT32_MAX ? (int32_t)info[i].location : -1;
        out[i].type = LB_FRAME_JAVA;
    }
    return count;
}

/* unw_backtrace keeps a per-thread cache of how to step out of each return address, so a
 * repeated stack costs about a hundred nanoseconds; a walk with unw_step pays for a lookup and
 * two sigprocmask calls per frame. It stops by itself after the first JIT frame (which has no
 * unwind tables); the frames from there on are cut off here: the first PC outside every loaded
 * ELF object ends the native part. The agent's own frames are left out. */
static int native_frames(struct lb_frame *out, int max)
{
    void *pcs[LB_DEPTH_MAX + 8];
    int want =
        max + 8 <= (int)(sizeof pcs / sizeof pcs[0]) ? max + 8 : (int)(sizeof pcs / sizeof pcs[0]);
    int got = unw_backtrace(pcs, want);
    int n = 0;
    for (int i = 0; i < got && n < max; i++) {
        uintptr_t pc = (uintptr_t)pcs[i];
        if (pc >= agent_start && pc < agent_end)
            continue;
        if (pc == 0 || !lb_modules_find(pc - 1))
            break;
        out[n++] = (struct lb_frame){.id = pc, .bci = -1, .type = LB_FRAME_NATIVE};
    }
    return n;
}

int lb_stack_mixed(JavaVM *vm, jvmtiEnv *jvmti, struct lb_frame *out, int max)
{
    if (max > LB_DEPTH_MAX)
        max = LB_DEPTH_MAX;
    int n = native_frames(out, max);
    JNIEnv *env;
    /* A library's own pthread is unknown to the JVM: native frames only. */
    if (n < max && (*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_6) == JNI_OK)
        n += lb_stack_java(jvmti, out + n, max - n);
    return n;
}
