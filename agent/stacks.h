/* Stack capture for a sampled allocation: Java frames from JVMTI, native frames from libunwind. */
#ifndef LB_STACKS_H
#define LB_STACKS_H

#include <jvmti.h>

#include "sites.h"

/* Java frames of the calling thread, leaf first, at most max. Returns how many were written:
 * 0 on a thread the JVM does not know or outside the live phase. The thread must not be in
 * VM state (never call this from a hook running inside libjvm). */
int lb_stack_java(jvmtiEnv *jvmti, struct lb_frame *out, int max);

#endif
