#include "stacks.h"

#include "options.h"

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
