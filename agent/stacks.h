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

/* The calling thread's JNIEnv, or NULL on a thread the JVM does not know. GetEnv changes no
 * thread state: safe in a hook running inside libjvm. */
JNIEnv *lb_stacks_env(JavaVM *vm);

/* The native part of a mixed stack for a hook inside a JNI library: from the return addresses
 * the hook took itself with libunwind's unw_backtrace (pcs[0..npcs), leaf first), the native
 * frames up to the first one outside every loaded ELF object (JIT or interpreter code), leaving
 * out the agent's own frames. The Java part is added apart (activation.h:
 * lb_activation_add_java), so that a reused native part still gets its call's own Java frames.
 *
 * The hook walks, not this function, so that the walk starts in the hook's frame instead of
 * stepping through frames of the agent only to drop them: unw_backtrace keeps a per-thread
 * cache of how to step out of each return address, but every step still costs. Ask for
 * max + LB_STACK_AGENT_FRAMES addresses.
 *
 * lb_stacks_native_pcs returns -1 when the allocation is not one to record (and then no JVM
 * call may be made): its native frames are all in the JDK's libraries and those loaded before
 * the agent (libzip, libz, libstdc++...; no JNI library or dependency among them) and either
 * pass through libjvm (the JVM allocating for itself: class loading, CDS, the JIT, with the
 * thread in VM state, where JVMTI must not be called) or never reach Java code (a thread the
 * JVM does not run Java on, or a walk cut short: whose it is cannot be told). */
#define LB_STACK_AGENT_FRAMES 3
int lb_stacks_native_pcs(void *const *pcs, int npcs, struct lb_frame *out, int max);

/* The frame that stands where a stack was not walked, or walked only in part, because too
 * little of the thread's stack was left (reports show "[stack too small to walk]"). */
static inline struct lb_frame lb_stacks_marker(void)
{
    return (struct lb_frame){.id = LB_FRAME_ID_STACK_TOO_SMALL, .bci = -1, .type = LB_FRAME_MARKER};
}

/* The bytes of the allocating thread's stack a sampled allocation needs below its hook's
 * caller, measured (docs/reliability.md): a hook with less left records the allocation under
 * the marker frame without walking, or walks fewer frames. Walking native frames takes
 * LB_STACKS_WALK_BYTES plus LB_STACKS_FRAME_BYTES per frame of depth=; Java frames
 * (AsyncGetCallTrace, GetStackTrace) LB_STACKS_JAVA_BYTES more: a thread running Java code has
 * the JVM's shadow zone (80 KiB on x86_64) below it when it enters native code. */
#ifndef LB_STACKS_WALK_BYTES
#define LB_STACKS_WALK_BYTES 6144
#endif
#define LB_STACKS_FRAME_BYTES (sizeof(void *) + sizeof(struct lb_frame))
#define LB_STACKS_JAVA_BYTES (16 * 1024)

#endif
