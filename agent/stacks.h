/* Stack capture for a sampled allocation: Java frames from JVMTI, native frames from libunwind. */
#ifndef LB_STACKS_H
#define LB_STACKS_H

#include <jvmti.h>

#include "sites.h"

/* Prepares the native unwinder (per-thread caches). */
void lb_stacks_init(void);

/* Finds AsyncGetCallTrace in libjvm. It walks Java frames about twice as fast as
 * GetStackTrace, but only once the ClassLoad event is enabled and the jmethodIDs of the
 * methods on the stack exist: lb_stacks_prepare_class makes them for each class. */
void lb_stacks_java_init(jvmtiEnv *jvmti, JNIEnv *jni);
void lb_stacks_prepare_class(jvmtiEnv *jvmti, jclass klass);

/* Java frames of the calling thread (env is its JNIEnv), leaf first, at most max. Returns how
 * many were written: 0 on a thread the JVM does not know or outside the live phase. The thread
 * must be in native state: never call this from a hook running inside libjvm. */
int lb_stacks_java(jvmtiEnv *jvmti, JNIEnv *env, struct lb_frame *out, int max);

/* The same through AsyncGetCallTrace only, which is safe in any thread state, even inside
 * libjvm; -1 when it cannot answer (no AsyncGetCallTrace, no Java frames, an id not made). */
int lb_stacks_java_async(JNIEnv *env, struct lb_frame *out, int max);

/* Mixed stack for a hook inside a JNI library, from the return addresses the hook took itself
 * with libunwind's unw_backtrace (pcs[0..npcs), leaf first): native frames up to the first one
 * outside every loaded ELF object (JIT or interpreter code), leaving out the agent's own
 * frames, then the thread's Java frames if the JVM knows the thread.
 *
 * The hook walks, not this function, so that the walk starts in the hook's frame instead of
 * stepping through frames of the agent only to drop them: unw_backtrace keeps a per-thread
 * cache of how to step out of each return address, but every step still costs. Ask for
 * max + LB_STACK_AGENT_FRAMES addresses.
 *
 * Returns -1, having made no JVM call, when the allocation is not one to record: its native
 * frames are all in the JDK's libraries and those loaded before the agent (libzip, libz,
 * libstdc++...; no JNI library or dependency among them) and either pass through libjvm (the
 * JVM allocating for itself: class loading, CDS, the JIT, with the thread in VM state, where
 * JVMTI must not be called) or never reach Java code (a thread the JVM does not run Java on,
 * or a walk cut short: whose it is cannot be told). */
#define LB_STACK_AGENT_FRAMES 3
int lb_stacks_mixed_pcs(JavaVM *vm, jvmtiEnv *jvmti, void *const *pcs, int npcs,
                        struct lb_frame *out, int max);

#endif
