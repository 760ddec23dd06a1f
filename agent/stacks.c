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

/* Walks with unw_step and stops before stepping out of a frame that has no ELF object (JIT
 * code has no unwind tables, so going further would read guesses). */
static int native_frames(struct lb_frame *out, int max)
{
    unw_context_t uc;
    unw_cursor_t cursor;
    if (unw_getcontext(&uc) != 0 || unw_init_local(&cursor, &uc) != 0)
        return 0;
    int n = 0;
    while (n < max) {
        unw_word_t ip;
        if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0 || ip == 0)
            break;
        if (!(ip >= agent_start && ip < agent_end)) {
            if (!lb_modules_find((uintptr_t)ip - 1))
                break;
            out[n++] = (struct lb_frame){.id = (uintptr_t)ip, .bci = -1, .type = LB_FRAME_NATIVE};
        }
        if (unw_step(&cursor) <= 0)
            break;
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
