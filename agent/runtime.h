/* The agent's one global state, on the ground floor: the VM, the JVMTI environment, the
 * options and the phase, set by agent.c at load and read by every module above. Never torn
 * down: hooks may still run on daemon threads after VMDeath, so nothing they reach is freed. */
#ifndef LB_RUNTIME_H
#define LB_RUNTIME_H

#include <jvmti.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "leakbridge/options.h"

enum lb_phase { LB_PHASE_ONLOAD = 0, LB_PHASE_LIVE, LB_PHASE_DEAD };

struct lb_runtime {
    JavaVM *vm;
    jvmtiEnv *jvmti;
    struct lb_options options;
    _Atomic int phase; /* enum lb_phase */
    /* Set when the exit report starts (VMDeath): every other dump gives up where it is (dump.h),
     * and the dumper thread makes no JVMTI or JNI call it can avoid. */
    _Atomic bool exiting;
    char jvm_version[128];
    char jvm_vendor[128];
    char jvm_name[128];
    bool attached;   /* loaded into a running JVM (Agent_OnAttach) */
    char run_id[17]; /* random at start, 16 hex digits: tells this run's reports from others' */
};

extern struct lb_runtime lb_runtime;

/* Frames per stack, from depth=, as a bound for the stack arrays of the sampling path: they
 * are sized by it (not by LB_DEPTH_MAX) because a hook runs on whatever stack the allocating
 * thread has, and a library's own thread may have a small one. */
static inline int lb_runtime_depth(void)
{
    int d = (int)lb_runtime.options.depth;
    return d < 1 ? 1 : d > LB_DEPTH_MAX ? LB_DEPTH_MAX : d;
}

#endif
