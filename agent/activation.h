/* Java frames walked once per JNI call. A thread inside a native method cannot change its Java
 * frames until the method returns, so every sample inside one call has the same ones; walking
 * them (AsyncGetCallTrace) was about 45% of an exact sample's time. This module keeps a thread's
 * last walk and hands it out again only with a proof, taken at each sample, that the thread is
 * still in the same call:
 *
 * - HotSpot's frame anchor (JavaThread::_anchor, through the Serviceability Agent's tables) says
 *   the thread is in native code entered from Java at stack pointer sp, and the thread state is
 *   "in native";
 * - the latest stubbed entry on this thread (native_entry.h) put its return address at sp - 8,
 *   the slot the native method's return address takes when the JVM's wrapper calls it at sp,
 *   and that slot still holds it: the call the anchor names is a stubbed method's call;
 * - that return address is in a compiled native wrapper (not the interpreter, whose native
 *   entry is shared by every method): a wrapper belongs to one method, so the call is a call of
 *   a method whose every entry goes through its stub;
 * - no stub was entered since the walk (the count), no method was bound since (the binds), and
 *   the slot, return address and anchor pc are the walk's: the same call, since a new call of
 *   the same method would have entered the stub.
 *
 * Anything else (JDK natives, FFM downcalls, natives bound before an attach, the interpreter,
 * a JVM whose tables lack a field) walks as before. */
#ifndef LB_ACTIVATION_H
#define LB_ACTIVATION_H

#include <jvmti.h>
#include <stdbool.h>
#include <stdint.h>

#include "sites.h"

/* A malloc hook's caller, taken in the hook (malloc_hooks.c): the stack slot holding the return
 * address into it (so the address is *slot) and the caller's frame pointer register. Two words,
 * passed in registers: a hook's frames stay as small as they were. rbp LB_HOOK_NO_REUSE: the
 * slot is only where the address is kept, nothing is reused. */
struct lb_hook_caller {
    uintptr_t slot, rbp;
};
#define LB_HOOK_NO_REUSE UINTPTR_MAX

/* The whole stack of a sample in a JNI call, native frames too, reused: libunwind's walk of the
 * native frames (the rest of an exact sample's time, once the Java frames are reused) is a
 * function of where it starts (the hook's caller: its return address, stack slot and frame
 * pointer register) and of the stack memory it reads between there and the call's own return
 * slot, the frames of the JNI library's functions. When the call is proven the same (above),
 * those three and that memory (at most LB_ACTIVATION_REGION bytes) equal the last walk's,
 * and so do walk, java_room and the loaded modules' generation, the last walk's frames are
 * copied into out and their count returned; otherwise -2, and the caller walks and calls
 * lb_activation_keep_stack. env: lb_stacks_env's (NULL: -2). */
#define LB_ACTIVATION_REGION 1024
#define LB_ACTIVATION_MISS (-2)
int lb_activation_stack(JNIEnv *env, struct lb_hook_caller caller, int walk, bool java_room,
                        struct lb_frame *out);
void lb_activation_keep_stack(JNIEnv *env, struct lb_hook_caller caller, int walk, bool java_room,
                              const struct lb_frame *frames, int n);

/* lb_stacks_java, but reusing the thread's last walk when the proof holds. */
int lb_activation_java(jvmtiEnv *jvmti, JNIEnv *env, struct lb_frame *out, int max);

/* Counters for the report's agent section: Java parts reused (each thread adds its count every
 * 256 and when it ends, so the figure trails by up to 255 a live thread), and Java walks kept
 * with a proof. */
struct lb_activation_stats {
    uint64_t reused, kept, stack_reused; /* stack_reused: whole stacks (lb_activation_stack) */
};
void lb_activation_stats(struct lb_activation_stats *out);

#endif
